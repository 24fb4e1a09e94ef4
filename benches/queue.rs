//! The deficiency queue on the 1,000,000-patient demo store (≥ 100,000 open deficiencies):
//! frames measured from outside through a pseudo-terminal (opening the queue, changing the sort and
//! a filter, paging); the queue's pages through the desk (the first, a filtered one, a deep one), the
//! same calls the screen makes, without a terminal's noise, to set the backends side by side; and
//! completing 1,000 selected items through the desk. `cargo bench --bench queue`; the store is the one
//! `--bench tui` makes (CHARTROOM_BENCH_PATIENTS), made here if absent, or the one CHARTROOM_STORE
//! names (a PostgreSQL URL: its demo is made there once).

mod common;
#[path = "../tests/common/pty.rs"]
mod pty;

use common::{bench_store, env_number};

use chartroom::desk::{Desk, SystemClock};
use chartroom::domain::role::Role;
use chartroom::store::{Page, QueueFilter, QueueSort};
use pty::percentile;
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

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_PATIENTS", 1_000_000);
    let runs = env_number("CHARTROOM_BENCH_RUNS", 20);
    let store = bench_store(&binary, patients);
    let account = chartroom::desk::identity::current_account().unwrap();
    let status = std::process::Command::new(&binary)
        .args(store.args())
        .args(["user", "roles", &account, "director", "chart_analyst"])
        .status()
        .unwrap();
    assert!(status.success());

    let (mut open, mut sort, mut filter, mut page) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let args = store.args();
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut s = pty::spawn(&binary, &refs, (80, 24));
        s.wait_for("DEMO DATA", WAIT);
        // The queue by the palette (Ctrl-P), as the e2e test reaches it: a digit on the search
        // screen is typed into the Find field.
        let started = Instant::now();
        s.send(b"\x10deficiencies\r");
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

    // Completing 1,000 selected items through the desk, as the screen's QC does.
    let opened = chartroom::setup::open_store(
        &chartroom::config::Config::load(&chartroom::config::Overrides {
            data_dir: Some(store.dir.join("data")),
            config: Some(store.dir.join("config.toml")),
            store: store.url.clone(),
            ..Default::default()
        })
        .unwrap(),
        false,
    )
    .unwrap();
    let desk = Desk::sign_in(
        opened.store.clone(),
        &account,
        "local".into(),
        opened.key.clone(),
        Arc::new(SystemClock::local()),
    )
    .unwrap();
    assert!(desk.user().roles.contains(&Role::ChartAnalyst));
    let today = desk.today();

    // The queue's pages through the desk, as the screen asks for them (PAGE_SIZE rows), each timed
    // `pages` times after one unmeasured call.
    let pages = env_number("CHARTROOM_BENCH_PAGES", 200);
    let deep = env_number("CHARTROOM_BENCH_DEEP_OFFSET", 50_000);
    let all = QueueFilter { today: Some(today), ..Default::default() };
    let delinquent = QueueFilter { today: Some(today), delinquent_only: true, ..Default::default() };
    let page_cases: [(String, &QueueFilter, QueueSort, usize); 4] = [
        ("first page (oldest first)".into(), &all, QueueSort::Age, 0),
        ("first page by physician".into(), &all, QueueSort::Physician, 0),
        ("filtered page (delinquent only, by physician)".into(), &delinquent, QueueSort::Physician, 0),
        (format!("deep page (offset {deep}, oldest first)"), &all, QueueSort::Age, deep),
    ];
    let mut page_times = Vec::new();
    for (name, filter, sort, offset) in &page_cases {
        let page = Page { offset: *offset, limit: chartroom::tui::app::PAGE_SIZE };
        desk.deficiency_queue(filter, *sort, page).unwrap();
        let mut times = Vec::with_capacity(pages);
        for _ in 0..pages {
            let started = Instant::now();
            std::hint::black_box(desk.deficiency_queue(filter, *sort, page).unwrap());
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        page_times.push((name.clone(), times));
    }

    let rows = desk
        .deficiency_queue(&QueueFilter { today: Some(today), ..Default::default() }, QueueSort::Age, Page::first(1000))
        .unwrap()
        .rows;
    let items: Vec<_> = rows.iter().map(|r| (r.id, r.version)).collect();
    let started = Instant::now();
    let outcome = desk.complete_deficiencies(items, today, None).unwrap();
    let complete_ms = started.elapsed().as_secs_f64() * 1000.0;

    let row = |name: &str, values: &mut Vec<f64>| {
        let (p50, p99, max) = (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0));
        println!("| {name} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms | {} | ≤ 50 ms p99 |", values.len());
    };
    let backend = store.backend();
    println!("\nDeficiency queue pages through the desk, {patients} patients on {backend}, {pages} calls each");
    println!("| page | p50 | p99 | max | samples |");
    println!("|---|---|---|---|---|");
    for (name, times) in &mut page_times {
        let (p50, p99, max) = (percentile(times, 0.5), percentile(times, 0.99), percentile(times, 1.0));
        println!("| {name} | {p50:.2} ms | {p99:.2} ms | {max:.2} ms | {} |", times.len());
    }
    println!("\nDeficiency queue through a pseudo-terminal at 80x24, {patients} patients on {backend}, {runs} runs");
    println!("| measure | p50 | p99 | max | samples | target |");
    println!("|---|---|---|---|---|---|");
    row("open the queue (Ctrl-P deficiencies Enter, to first rows)", &mut open);
    row("change the sort (s: each of the five)", &mut sort);
    row("change a filter (d: delinquent only; b: age buckets)", &mut filter);
    row("page down (PgDn)", &mut page);
    println!(
        "| complete {} selected items (desk, one transaction, one audit event each) | {complete_ms:.0} ms | | | 1 | ≤ 2 s |",
        outcome.completed.len()
    );
}
