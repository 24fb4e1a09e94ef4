//! What the benchmarks share: their sizes from the environment and the demo store they run on.

use std::path::{Path, PathBuf};
use std::time::Instant;

/// A size or count from the environment, or `default`.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `patients`-patient demo store under target/, made once (about a minute at a million) and
/// kept for every later run; returns its directory.
#[allow(dead_code)] // the import benchmark makes its own store
pub fn demo_store(binary: &Path, patients: usize, store_args: impl Fn(&Path) -> Vec<String>) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-store-{patients}"));
    if !dir.join("data").join("chartroom.db").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let started = Instant::now();
        let status = std::process::Command::new(binary)
            .args(store_args(&dir))
            .args(["demo", "--patients", &patients.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        println!("made the {patients}-patient demo store in {:.1} s", started.elapsed().as_secs_f64());
    }
    dir
}
