//! The deficiency queue on the 1,000,000-patient demo store (≥ 100,000 open deficiencies):
//! frames measured from outside through a pseudo-terminal (opening the queue, changing the sort and
//! a filter, paging), a change made by one clerk seen on another's open queue (100 changes:
//! CHARTROOM_BENCH_CHANGES), the queue's pages through the desk (the first, a filtered one, a deep
//! one: the screen's own calls, without a terminal's noise, to set the backends side by side), and
//! completing 1,000 selected items through the desk. `cargo bench --bench queue`; the store is the
//! one `--bench tui` makes (CHARTROOM_BENCH_PATIENTS), made here if absent, or the one
//! CHARTROOM_STORE names (a PostgreSQL URL: its demo is made there once). And the change feed
//! alone, store to store, on both backends (PostgreSQL: the tests' throwaway cluster, where its
//! binaries are found).
//!
//! `cargo bench --bench queue -- clerks`: sixteen clerks at once on the same store, each with its
//! own store handle and desk, taking items from the queue and working them through the ladder to
//! completion (CHARTROOM_BENCH_CLERK_SECONDS, default 20 s). Every desk action is timed.

mod common;
#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;
#[path = "../tests/common/pty.rs"]
mod pty;

use common::{bench_store, demo_store, env_number};

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
    if std::env::args().any(|a| a == "clerks") {
        return clerks();
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
    let oldest_first = QueueFilter { today: Some(today), ..Default::default() };

    // A change made by one clerk, seen by another: a session shows the queue, oldest first; the desk
    // completes the item on its first row; measured from the commit to the first screen of the
    // session whose row 1 is another item (the change feed's poll, the session's read of its rows,
    // its frame, the pseudo-terminal).
    let mut seen = Vec::new();
    {
        let args = store.args();
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

    // The queue's pages through the desk, as the screen asks for them (PAGE_SIZE rows), each timed
    // `pages` times after one unmeasured call.
    let pages = env_number("CHARTROOM_BENCH_PAGES", 200);
    let deep = env_number("CHARTROOM_BENCH_DEEP_OFFSET", 50_000);
    let all = oldest_first.clone();
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

const CLERKS: usize = 16;

/// What one clerk did: each desk action's milliseconds by kind, each queue page read's, and the
/// item changes written.
#[derive(Default)]
struct ClerkRun {
    action_ms: Vec<(&'static str, f64)>,
    page_ms: Vec<f64>,
    transitions: usize,
    refused_takes: usize,
    conflicts: usize,
}

/// One clerk's day, compressed: read a page of the work nobody holds, take a row from it, move it
/// along the ladder (dictated, transcribed, signed) and complete it; again until `until`.
fn clerk(desk: &Desk, seed: u64, until: Instant) -> ClerkRun {
    use chartroom::desk::deficiency_work::ItemAction;
    use chartroom::domain::chart::DeficiencyStatus;
    let mut run = ClerkRun::default();
    let mut random = seed | 1;
    let mut next = move |n: usize| {
        random ^= random << 13;
        random ^= random >> 7;
        random ^= random << 17;
        (random % n as u64) as usize
    };
    let today = desk.today();
    let unclaimed = QueueFilter {
        today: Some(today),
        claimed: Some(chartroom::store::ClaimFilter::Unclaimed),
        ..Default::default()
    };
    let timed = |run: &mut ClerkRun, kind: &'static str, f: &mut dyn FnMut() -> Option<usize>| {
        let started = Instant::now();
        let written = f();
        run.action_ms.push((kind, started.elapsed().as_secs_f64() * 1000.0));
        match written {
            Some(n) => run.transitions += n,
            None => run.conflicts += 1,
        }
    };
    while Instant::now() < until {
        // Where in the oldest work this clerk looks, so that sixteen do not all reach for row 1.
        let page = Page { offset: next(200), limit: 50 };
        let started = Instant::now();
        let rows = desk.deficiency_queue(&unclaimed, QueueSort::Age, page).unwrap().rows;
        run.page_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        let Some(row) = rows.get(next(rows.len().max(1))) else { continue };
        let mut taken = false;
        timed(&mut run, "take", &mut || match desk.take_deficiencies(&[row.id], false) {
            Ok(outcome) => {
                taken = outcome.done.len() == 1;
                Some(outcome.done.len())
            }
            Err(_) => None,
        });
        if !taken {
            run.refused_takes += 1;
            continue;
        }
        let mut version = row.version + 1;
        let mut status = row.status;
        let mut act = |run: &mut ClerkRun, action: ItemAction| {
            let mut moved = false;
            let kind = if matches!(action, ItemAction::Complete { .. }) { "complete" } else { "step" };
            timed(run, kind, &mut || match desk.work_deficiencies(vec![(row.id, version)], action.clone(), None) {
                Ok(outcome) => {
                    moved = outcome.completed == [row.id];
                    Some(outcome.completed.len())
                }
                Err(_) => None,
            });
            if moved {
                version += 1;
            }
            moved
        };
        for to in [DeficiencyStatus::Dictated, DeficiencyStatus::Transcribed, DeficiencyStatus::Signed] {
            if status.can_become(to) && act(&mut run, ItemAction::Step { to, note: String::new() }) {
                status = to;
            }
        }
        act(&mut run, ItemAction::Complete { resolved_on: today });
    }
    run
}

fn clerks() {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_PATIENTS", 1_000_000);
    let seconds = env_number("CHARTROOM_BENCH_CLERK_SECONDS", 20);
    let dir = demo_store(&binary, patients, store_args);
    let account = chartroom::desk::identity::current_account().unwrap();
    let config = chartroom::config::Config::load(&chartroom::config::Overrides {
        data_dir: Some(dir.join("data")),
        config: Some(dir.join("config.toml")),
        ..Default::default()
    })
    .unwrap();
    let opened = chartroom::setup::open_store(&config, false).unwrap();
    let director = Desk::sign_in(
        opened.store.clone(),
        &account,
        "local".into(),
        opened.key.clone(),
        Arc::new(SystemClock::local()),
    )
    .unwrap();
    let names: Vec<String> = (1..=CLERKS).map(|n| format!("clerk{n:02}")).collect();
    let existing: Vec<String> = director.list_users().unwrap().into_iter().map(|u| u.username).collect();
    for name in names.iter().filter(|n| !existing.contains(n)) {
        director.add_user(name, None, vec![Role::ChartAnalyst]).unwrap();
    }
    let home = director.list_facilities().unwrap().into_iter().next().map(|f| f.timezone).unwrap_or_default();
    drop(director);
    drop(opened);

    // Each clerk a session of her own: her own store handle on the file, as over SSH.
    let until = Instant::now() + Duration::from_secs(seconds as u64);
    let started = Instant::now();
    let runs: Vec<ClerkRun> = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let (config, home) = (&config, &home);
                scope.spawn(move || {
                    let opened = chartroom::setup::open_store(config, false).unwrap();
                    let clock = Arc::new(SystemClock::in_zone(home));
                    let desk =
                        Desk::sign_in(opened.store.clone(), name, "local".into(), opened.key.clone(), clock).unwrap();
                    clerk(&desk, 0x9E37_79B9 * (i as u64 + 1), until)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let mut ms: Vec<f64> = runs.iter().flat_map(|r| r.action_ms.iter().map(|(_, ms)| *ms)).collect();
    let of = |kind: &str| -> Vec<f64> {
        runs.iter().flat_map(|r| r.action_ms.iter().filter(|(k, _)| *k == kind).map(|(_, ms)| *ms)).collect()
    };
    let mut pages: Vec<f64> = runs.iter().flat_map(|r| r.page_ms.iter().copied()).collect();
    let transitions: usize = runs.iter().map(|r| r.transitions).sum();
    let refused: usize = runs.iter().map(|r| r.refused_takes).sum();
    let conflicts: usize = runs.iter().map(|r| r.conflicts).sum();
    let actions = ms.len();
    let (p50, p99, max) = (percentile(&mut ms, 0.5), percentile(&mut ms, 0.99), percentile(&mut ms, 1.0));
    println!("\n{CLERKS} clerks at once, each its own store handle and desk, {patients} patients, {wall:.1} s");
    println!("| measure | figure | target |");
    println!("|---|---|---|");
    println!(
        "| transitions written (take, step, complete) | {transitions} ({:.0} per second) | ≥ 200 per second |",
        transitions as f64 / wall
    );
    println!(
        "| desk actions timed | {actions} ({refused} takes found the row taken meanwhile, {conflicts} given up after conflicts) | |"
    );
    println!("| action latency p50 / p99 / max | {p50:.1} / {p99:.1} / {max:.1} ms | p99 ≤ 100 ms |");
    for kind in ["take", "step", "complete"] {
        let mut ms = of(kind);
        let (p50, p99) = (percentile(&mut ms, 0.5), percentile(&mut ms, 0.99));
        println!("| … {kind} ({} actions) p50 / p99 | {p50:.1} / {p99:.1} ms | |", ms.len());
    }
    let (p50, p99) = (percentile(&mut pages, 0.5), percentile(&mut pages, 0.99));
    println!("| a page of the work nobody holds (not counted above) p50 / p99 | {p50:.1} / {p99:.1} ms | |");
}
