//! Issue 13's speed figures: a scan to its confirmation (the desk's `scan`, a volume moved and read
//! back), the overdue list, and a pull list of 500 charts, on the demo store.
//!
//! `cargo bench --bench file_room`. The demo store is made under target/ if absent
//! (`CHARTROOM_BENCH_PATIENTS`, default 1,000,000); a copy of it is brought to the shape
//! once — 1.5 volumes a patient (older paper charts for patients the demo gave none) and 10
//! movements a patient (past loans of volumes in file), each through the store's batch path with one
//! audit event per batch — and given 500 chart requests for a day a year ahead; then the bench
//! measures. Targets: scan p99 ≤ 16 ms, overdue list and pull list ≤ 100 ms.

mod common;

use chartroom::desk::file_room::Scanned;
use chartroom::desk::{Desk, SystemClock};
use chartroom::domain::mrn::Mrn;
use chartroom::store::records::{NewMovement, NewVolume};
use chartroom::store::{RecordBatch, Store};
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

/// Rows a batch of the store's writer takes: one audit event each.
const BATCH: usize = 100_000;

/// Rows in `table`.
fn count(conn: &rusqlite::Connection, table: &str) -> usize {
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0)).unwrap() as usize
}

/// Brings the store to 1.5 volumes and 10 movements a patient (the 1.5M and 10M at a
/// million) through the desk's batch writer, one audit event a batch; what the demo made is kept.
fn fill_paper(desk: &Desk, db: &Path, patients: usize) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let (want_volumes, want_movements) = (patients * 3 / 2, patients * 10);
    let at = |days_ago: i64| chrono::Utc::now() - chrono::Duration::days(days_ago);
    // An older paper chart for patients the demo gave none (outpatients, charts from before the
    // EHR); then, every patient having paper, a third volume (the demo numbers at most two).
    add_volumes(
        desk,
        &conn,
        want_volumes,
        "SELECT p.mrn FROM patient p WHERE NOT EXISTS (SELECT 1 FROM chart_volume v WHERE v.patient_id = p.id)
         ORDER BY p.id LIMIT ?1",
        (1, at(3000)),
        "older paper charts",
    );
    add_volumes(
        desk,
        &conn,
        want_volumes,
        "SELECT p.mrn FROM patient p WHERE NOT EXISTS
             (SELECT 1 FROM chart_volume v WHERE v.patient_id = p.id AND v.volume_no = 3)
         ORDER BY p.id LIMIT ?1",
        (3, at(2000)),
        "third volumes",
    );
    let movements = count(&conn, "chart_movement");
    if movements < want_movements {
        // Past loans (out and back) of volumes in file, spread over them, two movements each.
        let mut stmt = conn.prepare("SELECT barcode FROM chart_volume WHERE status = 'IN_FILE' ORDER BY id").unwrap();
        let barcodes: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        let loans = (want_movements - movements).div_ceil(2);
        let borrowers = ["CARD", "ORTHO", "5N", "ICU", "CODING", "ROI", "HIMC"];
        let mut batch = RecordBatch::default();
        for k in 0..loans {
            let barcode = &barcodes[k % barcodes.len()];
            let (to, days) = (borrowers[k % borrowers.len()], 2500 - (k / barcodes.len()) as i64 * 30);
            for (kind, from, into, ago) in [("CHARGE_OUT", "FILE_A", to, days), ("CHECK_IN", to, "FILE_A", days - 2)] {
                batch.movements.push(NewMovement {
                    barcode: barcode.clone(),
                    movement_type: kind.into(),
                    from_location: Some(from.into()),
                    to_location: Some(into.into()),
                    by_username: Some("jdoe".into()),
                    at: at(ago),
                });
            }
            if batch.movements.len() >= BATCH || k + 1 == loans {
                let detail = format!("bench: past loans, movements to {}", k * 2 + 2);
                desk.insert_records(std::mem::take(&mut batch), detail).unwrap();
            }
        }
    }
    println!(
        "store: {} patients, {} volumes, {} movements",
        count(&conn, "patient"),
        count(&conn, "chart_volume"),
        count(&conn, "chart_movement")
    );
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
    fill_paper(&desk, &db, patients);

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

/// Adds volume `volume_no` in file, made `made_at`, for the patients `select` names (their MRNs,
/// `?1` the shortfall) until the store holds `want` volumes, through the store's batch writer with
/// an audit event a batch.
fn add_volumes(
    desk: &Desk,
    conn: &rusqlite::Connection,
    want: usize,
    select: &str,
    (volume_no, made_at): (i64, chrono::DateTime<chrono::Utc>),
    what: &str,
) {
    let volumes = count(conn, "chart_volume");
    if volumes >= want {
        return;
    }
    let mut stmt = conn.prepare(select).unwrap();
    let mrns: Vec<String> =
        stmt.query_map([(want - volumes) as i64], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
    for (n, chunk) in mrns.chunks(BATCH / 2).enumerate() {
        let mut batch = RecordBatch::default();
        for mrn in chunk {
            let barcode = format!("V{mrn}-{volume_no}");
            batch.volumes.push(NewVolume {
                patient_mrn: mrn.clone(),
                volume_no,
                record_type: "MEDICAL_RECORD".into(),
                barcode: barcode.clone(),
                home_location: "FILE_A".into(),
                current_location: "FILE_A".into(),
                status: "IN_FILE".into(),
                borrower: None,
                due_back_on: None,
            });
            batch.movements.push(NewMovement {
                barcode,
                movement_type: "CREATE".into(),
                from_location: None,
                to_location: Some("FILE_A".into()),
                by_username: Some("jdoe".into()),
                at: made_at,
            });
        }
        desk.insert_records(batch, format!("bench: {what}, batch {}", n + 1)).unwrap();
    }
}
