//! The ROI queue (screen 4) on the 1,000,000-patient demo store, with its 200,000 requests: frames
//! measured from outside through a pseudo-terminal at 80×24 (opening the queue, each sort, the
//! filters, paging), and the screens' desk calls without a terminal's noise (a first, a filtered,
//! a deep page; the band; intake's check before a number is issued; the address book as typed).
//! `cargo bench --bench roi_queue`; the store is made once under target/ (CHARTROOM_BENCH_PATIENTS,
//! default 1,000,000), apart from the other benchmarks' (theirs may predate the ROI demo).

mod common;
#[path = "../tests/common/pty.rs"]
mod pty;

use common::env_number;

use chartroom::desk::roi::RoiQuery;
use chartroom::desk::{Desk, SystemClock};
use chartroom::store::Page;
use chartroom::store::roi::RoiSort;
use pty::{percentile, store_args};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);

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

/// `calls` timings of `call`, after one unmeasured.
fn timed(calls: usize, call: &dyn Fn()) -> Vec<f64> {
    call();
    (0..calls)
        .map(|_| {
            let started = Instant::now();
            call();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_PATIENTS", 1_000_000);
    let runs = env_number("CHARTROOM_BENCH_RUNS", 20);
    let dir = common::demo_store_named(&binary, "bench-store-roi", patients, store_args);
    let args = store_args(&dir);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();

    let (mut open, mut sort, mut filter, mut page) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut s = pty::spawn(&binary, &refs, (80, 24));
        s.wait_for("DEMO DATA", WAIT);
        s.send(b"\x10roi");
        s.wait_for("release-of-information queue", WAIT);
        std::thread::sleep(Duration::from_millis(150));
        let started = Instant::now();
        s.send(b"\r");
        s.wait_for(" NUMBER ", WAIT);
        open.push(started.elapsed().as_secs_f64() * 1000.0);
        s.wait_for(" overdue ", WAIT);
        std::thread::sleep(Duration::from_millis(200));
        // Every sort in turn (received, number, patient, requester, status, back to due).
        for _ in 0..6 {
            sort.push(frame_after(&mut s, b"s", Duration::from_millis(500)));
        }
        // Overdue on and off; due within 5, 10, any; assigned to you, to nobody, anyone.
        for key in [b"o", b"o", b"w", b"w", b"w", b"m", b"m", b"m"] {
            filter.push(frame_after(&mut s, key, Duration::from_millis(500)));
        }
        for _ in 0..3 {
            page.push(frame_after(&mut s, b"\x1b[6~", Duration::from_millis(400)));
        }
        s.send(b"\x11");
        s.wait_exit(WAIT);
    }

    // The desk's calls, as the screens make them, on another handle of the store.
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
    let account = chartroom::desk::identity::current_account().unwrap();
    let desk = Desk::sign_in(
        opened.store.clone(),
        &account,
        "local".into(),
        opened.key.clone(),
        Arc::new(SystemClock::local()),
    )
    .unwrap();
    let calls = env_number("CHARTROOM_BENCH_PAGES", 200);
    let limit = chartroom::tui::app::PAGE_SIZE;
    let all = RoiQuery::default();
    let overdue = RoiQuery { overdue: true, ..RoiQuery::default() };
    let total = desk.roi_queue(&all, RoiSort::Due, Page::first(1)).unwrap().total;
    let deep = (total as usize / 2).max(1);
    let first = desk.roi_queue(&all, RoiSort::Due, Page::first(1)).unwrap().rows;
    let (patient_id, requester) = {
        let request = desk.reread_roi_request(first[0].id).unwrap();
        (request.patient_id, request.requester.id)
    };
    let mut cases: Vec<(String, Vec<f64>)> = Vec::new();
    let mut case = |name: String, call: &dyn Fn()| cases.push((name, timed(calls, call)));
    case("first page, soonest due first".into(), &|| {
        std::hint::black_box(desk.roi_queue(&all, RoiSort::Due, Page { offset: 0, limit }).unwrap());
    });
    case("first page by requester".into(), &|| {
        desk.roi_queue(&all, RoiSort::Requester, Page { offset: 0, limit }).unwrap();
    });
    case("filtered page (overdue)".into(), &|| {
        desk.roi_queue(&overdue, RoiSort::Due, Page { offset: 0, limit }).unwrap();
    });
    case(format!("deep page (offset {deep}, soonest due first)"), &|| {
        desk.roi_queue(&all, RoiSort::Due, Page { offset: deep, limit }).unwrap();
    });
    case("the band (aging of every open request, and the overdue count)".into(), &|| {
        desk.roi_aging(&all).unwrap();
        desk.roi_queue(&overdue, RoiSort::Due, Page::first(1)).unwrap();
    });
    case("intake's check before a number (last 4, open from the requester)".into(), &|| {
        desk.roi_intake_check(patient_id, Some(requester)).unwrap();
    });
    case("the address book as typed (\"smi\")".into(), &|| {
        desk.search_requesters("smi", 4).unwrap();
    });

    let row = |name: &str, values: &mut Vec<f64>| {
        let (p50, p99, max) = (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0));
        println!("| {name} | {p50:.1} ms | {p99:.1} ms | {max:.1} ms | {} | ≤ 50 ms p99 |", values.len());
    };
    println!("\nROI queue through a pseudo-terminal at 80x24, {patients} patients, {total} open requests, {runs} runs");
    println!("| measure | p50 | p99 | max | samples | target |");
    println!("|---|---|---|---|---|---|");
    // In the order measured: a slow first run is the store's first read after a cold start.
    println!("open, in the order run: {}", open.iter().map(|ms| format!("{ms:.0}")).collect::<Vec<_>>().join(" "));
    row("open the queue (Enter on the palette's `roi` to first rows)", &mut open);
    row("change the sort (s: each of the six)", &mut sort);
    row("change a filter (o overdue, w due within, m whose)", &mut filter);
    row("page down (PgDn)", &mut page);
    println!("\nThe ROI screens' desk calls, {calls} calls each");
    println!("| call | p50 | p99 | max | samples |");
    println!("|---|---|---|---|---|");
    for (name, times) in &mut cases {
        let (p50, p99, max) = (percentile(times, 0.5), percentile(times, 0.99), percentile(times, 1.0));
        println!("| {name} | {p50:.2} ms | {p99:.2} ms | {max:.2} ms | {} |", times.len());
    }
}
