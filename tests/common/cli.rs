//! The real binary run on a scratch install, and what its answers say: the command-line tests'
//! one way of running it.

use std::path::Path;
use std::process::{Command, Output};

/// `chartroom ARGS` on the install in `dir` (its data and config there), deaf to the caller's
/// environment so that a developer's own store is never touched.
pub fn chartroom(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

/// The command [`chartroom`] runs, for a caller that gives it input.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chartroom"));
    command
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(args)
        .env_remove("CHARTROOM_CONFIG")
        .env_remove("CHARTROOM_DATA_DIR")
        .env_remove("CHARTROOM_STORE");
    command
}

/// Its standard output, once it succeeded.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Its standard error, once it refused (exit 1) without a panic.
pub fn refused(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Its standard output read as JSON, once it succeeded.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}

/// A scratch install holding a demo hospital of `patients` patients, made by the binary itself.
pub fn demo_store(patients: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = chartroom(dir.path(), &["demo", "--patients", &patients.to_string()]);
    assert!(out.status.success(), "demo failed: {}", String::from_utf8_lossy(&out.stderr));
    dir
}

/// Today as the binary counts it: the home facility's day (the demo's and `init`'s are in
/// Chicago), not the host's — between midnight UTC and midnight in Chicago the two differ, and a
/// date the test thought was today would be refused as tomorrow.
pub fn department_today() -> chrono::NaiveDate {
    use chartroom::desk::Clock;
    chartroom::desk::SystemClock::in_zone("America/Chicago").today()
}

/// `chartroom ARGS` as [`chartroom`] does, with `input` on its standard input (a signature code
/// given with `--signature-stdin`).
pub fn chartroom_with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child =
        command(dir, args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Sets the signature code of whoever runs the binary (the install's founder) to `code`.
pub fn set_own_signature(dir: &Path, code: &str) {
    ok(&chartroom_with_stdin(dir, &["user", "signature", "--signature-stdin"], &format!("{code}\n")));
}
