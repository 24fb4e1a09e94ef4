//! The shared Synthea data beside the project, for the tests that read it. Integration tests reach it
//! through `common`; the importers' unit tests include this file by path, so there is one rule:
//! absent, a test is skipped with the reason printed — except in CI (`CI=true`), where a skipped
//! import test would pass without testing anything, so absence fails.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `../shared/data/<set>`, or `None` after printing why the test is skipped. Panics in CI.
pub fn shared_data(set: &str) -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    shared_data_in(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"), set, ci)
}

pub fn shared_data_in(root: &Path, set: &str, ci: bool) -> Option<PathBuf> {
    let dir = root.join(set);
    if dir.exists() {
        return Some(dir);
    }
    let why = format!("{} is absent (the shared Synthea data lives beside the project)", dir.display());
    assert!(!ci, "CI=true and {why}: in CI every test runs, none is skipped");
    eprintln!("skipped: {why}");
    None
}
