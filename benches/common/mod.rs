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
    demo_store_named(binary, "bench-store", patients, store_args)
}

/// [`demo_store`] under a name of its own (`{name}-{patients}`): a benchmark that needs what an
/// older store may lack (the ROI demo's requests) makes its own rather than trust one made before.
pub fn demo_store_named(
    binary: &Path,
    name: &str,
    patients: usize,
    store_args: impl Fn(&Path) -> Vec<String>,
) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{patients}"));
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

/// The store a benchmark runs on: `CHARTROOM_STORE` when set (a PostgreSQL URL, or `sqlite:PATH`),
/// else the demo store under target/. The binary is pointed at it with `--store`, so a figure
/// never depends on which environment the pseudo-terminal's child inherits.
#[allow(dead_code)] // the import benchmark makes its own store
pub struct BenchStore {
    /// Holds `config.toml` and the SSN key (and, on the default store, `data/chartroom.db`).
    pub dir: PathBuf,
    /// The `--store` URL, when CHARTROOM_STORE chose one.
    pub url: Option<String>,
}

#[allow(dead_code)]
impl BenchStore {
    /// The command-line arguments that open this store.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--data-dir".into(),
            self.dir.join("data").display().to_string(),
            "--config".into(),
            self.dir.join("config.toml").display().to_string(),
        ];
        if let Some(url) = &self.url {
            args.extend(["--store".into(), url.clone()]);
        }
        args
    }

    /// `postgres` or `sqlite`, for the figures' headings.
    pub fn backend(&self) -> &'static str {
        match &self.url {
            Some(url) if !url.starts_with("sqlite:") => "PostgreSQL",
            _ => "SQLite",
        }
    }
}

/// The store of [`BenchStore`]: with CHARTROOM_STORE, its demo of `patients` is made once (in place,
/// timed) unless the key file under target/ says an earlier run made it; without, [`demo_store`].
#[allow(dead_code)]
pub fn bench_store(binary: &Path, patients: usize) -> BenchStore {
    let Some(url) = std::env::var("CHARTROOM_STORE").ok().filter(|u| !u.is_empty()) else {
        let dir = demo_store(binary, patients, |dir| BenchStore { dir: dir.to_path_buf(), url: None }.args());
        return BenchStore { dir, url: None };
    };
    // The URL is a database's address, never a password: a name safe for a directory.
    let name: String = url.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-store-{name}"));
    let store = BenchStore { dir, url: Some(url) };
    if !store.dir.join("ssn.key").exists() {
        std::fs::create_dir_all(&store.dir).unwrap();
        let started = Instant::now();
        let status = std::process::Command::new(binary)
            .args(store.args())
            .args(["demo", "--patients", &patients.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "the demo into CHARTROOM_STORE failed; it needs an empty database");
        println!("made the {patients}-patient demo store in {:.1} s", started.elapsed().as_secs_f64());
    }
    store
}
