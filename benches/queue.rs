//! The deficiency queue on the 1,000,000-patient demo store (≥ 100,000 open deficiencies):
//! frames measured from outside through a pseudo-terminal (opening the queue, changing the sort and
//! a filter, paging), a change made by one clerk seen on another's open queue (100 changes:
//! CHARTROOM_BENCH_CHANGES), and completing 1,000 selected items through the desk. `cargo bench
//! --bench queue`; the store is the one `--bench tui` makes (CHARTROOM_BENCH_PATIENTS), made here if
//! absent. And the change feed alone, store to store, on both backends (PostgreSQL: the tests'
//! throwaway cluster, where its binaries are found).

mod common;
#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;
#[path = "../tests/common/pty.rs"]
mod pty;

use common::{demo_store, env_number};

use chartroom::desk::{Desk, SystemClock};
use chartroom::domain::role::Role;
use chartroom::store::{Page, QueueFilter, QueueSort, Store};
use pty::{percentile, store_args};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

/// Sends `keys` and returns the milliseconds until the last output within `settle` of sending.
fn frame_after(s: &mut pty::Session, keys: &[u8], settle: Duration) -> f64 {
    let start = Instant::now();
    s.send(keys);
    std::thread::sleep(settle);
    let arrivals = s.arrivals.lock().unwrap().clone();
    arrivals
        .iter()
        .filter(|(t, _)| *t >= start)
        .map(|(t, _)| (*t - start).as_secs_f64() * 1000.0)
        .fold(f64::NAN, f64::max)
}

/// The change feed alone: a role changed through one handle on a store, from its commit to the
/// moment a wait on another handle (opened on its own, as another clerk's program) returns. Each
/// change comes at another moment of the waiter's poll, so that the figure is not one phase of it.
fn feed_latency(store: Arc<dyn Store>, other: Arc<dyn Store>, changes: usize) -> Vec<f64> {
    use chartroom::domain::audit::{AuditAction, NewAuditEvent};
    use chartroom::store::{ChangeStamp, NewUser};
    let event = || NewAuditEvent {
        at: chrono::Utc::now(),
        username: "dhim".into(),
        source: "local".into(),
        action: AuditAction::Update,
        entity: "user".into(),
        entity_id: Some("mlee".into()),
        patient_id: None,
        provider_id: None,
        detail: String::new(),
    };
    chartroom::desk::ensure_founder(&*store, "dhim", "local", chrono::Utc::now()).unwrap();
    let clerk = NewUser { username: "mlee".into(), display_name: "Min Lee".into(), roles: vec![Role::ChartAnalyst] };
    store.add_user(clerk, event()).unwrap();
    let mut since = other.wait_for_change(&ChangeStamp::default(), WAIT).unwrap();
    let mut seen = Vec::new();
    for n in 0..changes {
        let (returned, at) = std::sync::mpsc::channel();
        let waiter = {
            let (other, since) = (other.clone(), since.clone());
            std::thread::spawn(move || {
                let stamp = other.wait_for_change(&since, WAIT).unwrap();
                let _ = returned.send(Instant::now());
                stamp
            })
        };
        std::thread::sleep(Duration::from_millis(20 + (n as u64 * 37) % 150));
        let roles = if n % 2 == 0 { vec![Role::HimClerk] } else { vec![Role::ChartAnalyst] };
        store.set_user_roles("mlee", roles, event()).unwrap();
        let committed = Instant::now();
        let now = waiter.join().unwrap();
        assert_ne!(now, since, "the wait ended without the change");
        seen.push(at.recv().unwrap().saturating_duration_since(committed).as_secs_f64() * 1000.0);
        since = now;
    }
    seen
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let changes = env_number("CHARTROOM_BENCH_CHANGES", 100);
    let mut feed = Vec::new();
    {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("chartroom.db");
        let store: Arc<dyn Store> = Arc::new(chartroom::store::sqlite::SqliteStore::open(&file).unwrap());
        let other: Arc<dyn Store> = Arc::new(chartroom::store::sqlite::SqliteStore::open(&file).unwrap());
        feed.push(("SQLite, two opens of one file", feed_latency(store, other, changes)));
    }
    if pg::available() {
        use chartroom::store::postgres::PgStore;
        let database = pg::fresh_database();
        let store = PgStore::connect(database.config.clone()).unwrap();
        store.migrate().unwrap();
        let other: Arc<dyn Store> = Arc::new(PgStore::connect(database.config.clone()).unwrap());
        feed.push((
            "PostgreSQL 15, two pools on one database (fsync off)",
            feed_latency(Arc::new(store), other, changes),
        ));
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_PATIENTS", 1_000_000);
    let runs = env_number("CHARTROOM_BENCH_RUNS", 20);
    let dir = demo_store(&binary, patients, store_args);
    let account = chartroom::desk::identity::current_account().unwrap();
    let status = std::process::Command::new(&binary)
        .args(store_args(&dir))
        .args(["user", "roles", &account, "director", "chart_analyst"])
        .status()
        .unwrap();
    assert!(status.success());

    let (mut open, mut sort, mut filter, mut page) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let args = store_args(&dir);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut s = pty::spawn(&binary, &refs, (80, 24));
        s.wait_for("DEMO DATA", WAIT);
        // By the palette: a digit in the lookup is text now (`Esc 3` searched for "3").
        s.send(b"\x10deficiencies");
        s.wait_for("The deficiency queue", WAIT);
        std::thread::sleep(Duration::from_millis(150));
        let started = Instant::now();
        s.send(b"\r");
        s.wait_for("  #  PHYSICIAN", WAIT);
        open.push(started.elapsed().as_secs_f64() * 1000.0);
        s.wait_for("delinquent · ", WAIT);
        std::thread::sleep(Duration::from_millis(200));
        // Every sort in turn (physician, type, MRN, discharge, back to age), then the filters.
        for _ in 0..5 {
            sort.push(frame_after(&mut s, b"s", Duration::from_millis(500)));
        }
        filter.push(frame_after(&mut s, b"d", Duration::from_millis(500)));
        filter.push(frame_after(&mut s, b"d", Duration::from_millis(500)));
        for _ in 0..3 {
            filter.push(frame_after(&mut s, b"b", Duration::from_millis(500)));
        }
        for _ in 0..3 {
            page.push(frame_after(&mut s, b"\x1b[6~", Duration::from_millis(400)));
        }
        s.send(b"\x11");
        s.wait_exit(WAIT);
    }

    // Another clerk's program: the desk on its own handle of the store.
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
    let store: Arc<dyn Store> = opened.store.clone();
    let desk =
        Desk::sign_in(store, &account, "local".into(), opened.key.clone(), Arc::new(SystemClock::local())).unwrap();
    assert!(desk.user().roles.contains(&Role::ChartAnalyst));
    let today = desk.today();
    let oldest_first = QueueFilter { today: Some(today), ..Default::default() };

    // A change made by one clerk, seen by another: a session shows the queue, oldest first; the desk
    // completes the item on its first row; measured from the commit to the first screen of the
    // session whose row 1 is another item (the change feed's poll, the session's read of its rows,
    // its frame, the pseudo-terminal).
    let mut seen = Vec::new();
    {
        let args = store_args(&dir);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut s = pty::spawn(&binary, &refs, (80, 24));
        s.wait_for("DEMO DATA", WAIT);
        s.send(b"\x10deficiencies\r");
        s.wait_for("  #  PHYSICIAN", WAIT);
        s.wait_for("delinquent · ", WAIT);
        let row_one = |s: &pty::Session| {
            s.screen().lines().find(|l| l.starts_with("   1 ")).map(str::to_string).unwrap_or_default()
        };
        for _ in 0..changes {
            let shown = row_one(&s);
            let first = desk.deficiency_queue(&oldest_first, QueueSort::Age, Page::first(1)).unwrap().rows;
            let items: Vec<_> = first.iter().map(|r| (r.id, r.version)).collect();
            let outcome = desk.complete_deficiencies(items, today, None).unwrap();
            assert_eq!(outcome.completed.len(), 1, "{outcome:?}");
            let committed = Instant::now();
            while row_one(&s) == shown {
                assert!(committed.elapsed() < WAIT, "the change never showed:\n{}", s.screen());
                std::thread::sleep(Duration::from_millis(2));
            }
            seen.push(committed.elapsed().as_secs_f64() * 1000.0);
        }
        s.send(b"\x11");
        s.wait_exit(WAIT);
    }

    // Completing 1,000 selected items through the desk, as the screen's QC does.
    let rows = desk.deficiency_queue(&oldest_first, QueueSort::Age, Page::first(1000)).unwrap().rows;
    let items: Vec<_> = rows.iter().map(|r| (r.id, r.version)).collect();
    let started = Instant::now();
    let outcome = desk.complete_deficiencies(items, today, None).unwrap();
    let complete_ms = started.elapsed().as_secs_f64() * 1000.0;

    let row = |name: &str, values: &mut Vec<f64>| {
        let (p50, p99, max) = (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0));
        println!("| {name} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms | {} | ≤ 50 ms p99 |", values.len());
    };
    println!("\nDeficiency queue through a pseudo-terminal at 80x24, {patients} patients, {runs} runs");
    println!("| measure | p50 | p99 | max | samples | target |");
    println!("|---|---|---|---|---|---|");
    row("open the queue (Enter on the palette's `deficiencies` to first rows)", &mut open);
    row("change the sort (s: each of the five)", &mut sort);
    row("change a filter (d: delinquent only; b: age buckets)", &mut filter);
    row("page down (PgDn)", &mut page);
    let (p50, p99, max) = (percentile(&mut seen, 0.5), percentile(&mut seen, 0.99), percentile(&mut seen, 1.0));
    println!(
        "| a change by another clerk on the open queue (commit to the frame without the item) | {p50:.1} ms | \
         {p99:.1} ms | {max:.1} ms | {} | ≤ 1 s p99 |",
        seen.len()
    );
    println!(
        "| complete {} selected items (desk, one transaction, one audit event each) | {complete_ms:.0} ms | | | 1 | ≤ 2 s |",
        outcome.completed.len()
    );
    println!("\nThe change feed alone: commit on one handle to the return of a wait on another, {changes} changes");
    println!("| backend | p50 | p99 | max | samples | target |");
    println!("|---|---|---|---|---|---|");
    for (backend, mut values) in feed {
        let (p50, p99, max) =
            (percentile(&mut values, 0.5), percentile(&mut values, 0.99), percentile(&mut values, 1.0));
        println!("| {backend} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms | {} | ≤ 1 s p99 |", values.len());
    }
}
