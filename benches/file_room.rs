//! Issue 13's speed figures: a scan to its confirmation (the desk's `scan`, a volume moved and read
//! back), the overdue list, and a pull list of 500 charts, on the demo store.
//!
//! `cargo bench --bench file_room`. The demo store is made under target/ if absent
//! (`CHARTROOM_BENCH_PATIENTS`, default 1,000,000); the bench adds 500 chart requests for a day a
//! year ahead to a copy of it (once), then measures. Targets: scan p99 ≤ 16 ms, overdue list and
//! pull list ≤ 100 ms.

mod common;

use chartroom::desk::file_room::Scanned;
use chartroom::desk::{Desk, SystemClock};
use chartroom::domain::mrn::Mrn;
use chartroom::store::Store;
use common::{demo_store_named, env_number};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

fn store_args(dir: &Path) -> Vec<String> {
    vec![
        "--data-dir".into(),
        dir.join("data").display().to_string(),
        "--config".into(),
        dir.join("config.toml").display().to_string(),
    ]
}

/// Milliseconds of each call after one to warm, sorted.
fn timed(runs: usize, mut call: impl FnMut(usize)) -> Vec<f64> {
    call(0);
    let mut times: Vec<f64> = (1..=runs)
        .map(|i| {
            let started = Instant::now();
            call(i);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

fn row(name: &str, times: &[f64], target: &str) {
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!("| {name} | {:.2} ms | {:.2} ms | {:.2} ms | {} | {target} |", at(0.5), at(0.99), at(1.0), times.len());
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_PATIENTS", 1_000_000);
    let runs = env_number("CHARTROOM_BENCH_RUNS", 200);
    let demo = demo_store_named(&binary, "bench-store-paper", patients, store_args);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-file-room-{patients}"));
    let db = dir.join("data").join("chartroom.db");
    if !db.exists() {
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::copy(demo.join("ssn.key"), dir.join("ssn.key")).unwrap();
        std::fs::copy(demo.join("config.toml"), dir.join("config.toml")).ok();
        std::fs::copy(demo.join("data").join("chartroom.db"), &db).unwrap();
    }
    let opened = chartroom::setup::open_store(
        &chartroom::config::Config::load(&chartroom::config::Overrides {
            data_dir: Some(dir.join("data")),
            config: Some(dir.join("config.toml")),
            ..Default::default()
        })
        .unwrap(),
        false,
    )
    .unwrap();
    let (store, key): (Arc<dyn Store>, _) = (opened.store.clone(), opened.key.clone());
    let account = chartroom::desk::identity::current_account().unwrap();
    let desk = Desk::sign_in(store.clone(), &account, "local".into(), key, Arc::new(SystemClock::local())).unwrap();
    let pull_day = desk.today() + chrono::Duration::days(365);

    // 500 charts wanted on one day, spread over the MRNs that have volumes.
    let barcodes: Vec<String> = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut stmt =
            conn.prepare("SELECT barcode FROM chart_volume WHERE status = 'IN_FILE' ORDER BY id LIMIT 20000").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    if desk.pull_list(pull_day).unwrap().is_empty() {
        let wanted: Vec<(Mrn, &str, chrono::NaiveDate, &str)> = barcodes
            .iter()
            .step_by((barcodes.len() / 500).max(1))
            .take(500)
            .filter_map(|b| Mrn::parse(b.trim_start_matches('V').split('-').next().unwrap_or_default()).ok())
            .map(|mrn| (mrn, "CARD", pull_day, "bench"))
            .collect();
        desk.insert_chart_requests(&wanted, "bench: 500 chart requests".into()).unwrap();
    }

    let Scanned::Location(coding) = desk.scan(None, "CODING").unwrap() else { panic!("CODING is a location") };
    let Scanned::Location(roi) = desk.scan(None, "ROI").unwrap() else { panic!("ROI is a location") };
    println!("| call | p50 | p99 | max | samples | target |");
    println!("|---|---|---|---|---|---|");
    // Each scan moves a volume: charged out to CODING on the first pass, transferred to ROI on the next.
    let scans = timed(runs, |i| {
        let at = if (i / barcodes.len()).is_multiple_of(2) { &coding } else { &roi };
        let scanned = desk.scan(Some(at), &barcodes[i % barcodes.len()]).unwrap();
        assert!(matches!(scanned, Scanned::Moved(_)));
    });
    row("scan to confirmation", &scans, "p99 ≤ 16 ms");
    let overdue = desk.overdue_volumes().unwrap().len();
    row(
        &format!("overdue list ({overdue} volumes)"),
        &timed(20, |_| drop(desk.overdue_volumes().unwrap())),
        "≤ 100 ms",
    );
    let charts = desk.pull_list(pull_day).unwrap().len();
    row(&format!("pull list ({charts} charts)"), &timed(20, |_| drop(desk.pull_list(pull_day).unwrap())), "≤ 100 ms");
}
