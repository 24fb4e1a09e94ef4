//! Issue 11's speed figures on the 1,000,000-patient demo store with its 200,002 requests, and
//! 1,000,000 disclosures: a patient's six-year accounting of disclosures through the desk (a patient
//! with many disclosures, and typical ones), and the Director's ROI figures for a year — the desk
//! call, and the screen's frame from the key to the drawn buffer.
//!
//! `cargo bench --bench roi_stats`. The demo store is `--bench roi_queue`'s (`bench-store-roi`, made
//! if absent); the bench works on a copy under target/ to which it adds the disclosures the demo
//! does not write, through the store's batch (`insert_batch`, 20,000 a batch with the batch's audit
//! event): 2,000 of them one patient's over seven years, the rest at random over every patient. The
//! copy is kept, so later runs only measure. With CHARTROOM_BENCH_ROI_POSTGRES=1 the desk calls run
//! on PostgreSQL too, the copy moved by `chartroom copy` into a database of the tests' throwaway
//! cluster.

mod common;
#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use chartroom::desk::{Desk, SystemClock};
use chartroom::domain::audit::{AuditAction, NewAuditEvent};
use chartroom::domain::ssn::SsnKey;
use chartroom::store::records::{NewDisclosure, RecordBatch};
use chartroom::store::sqlite::SqliteStore;
use chartroom::store::{Store, postgres::PgStore};
use chartroom::tui::app::{App, Command, HeaderInfo, Msg};
use chartroom::tui::keymap::Keymap;
use chrono::{Duration, Utc};
use common::{demo_store_named, env_number};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The disclosures the store holds when the bench measures.
const DISCLOSURES: i64 = 1_000_000;
/// The one patient with many.
const HEAVY: usize = 2_000;

/// SplitMix64: the same disclosures on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((u128::from(z ^ (z >> 31)) * u128::from(n.max(1))) >> 64) as u64
    }
}

fn store_args(dir: &Path) -> Vec<String> {
    vec![
        "--data-dir".into(),
        dir.join("data").display().to_string(),
        "--config".into(),
        dir.join("config.toml").display().to_string(),
    ]
}

fn event(detail: &str) -> NewAuditEvent {
    NewAuditEvent {
        at: Utc::now(),
        username: "bench".into(),
        source: "local".into(),
        action: AuditAction::Create,
        entity: "disclosure".into(),
        entity_id: None,
        patient_id: None,
        provider_id: None,
        detail: detail.into(),
    }
}

/// Milliseconds of each of `runs` calls after one to warm: every sample, sorted.
fn timed(runs: usize, mut call: impl FnMut()) -> Vec<f64> {
    call();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            call();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times
}

fn row(name: &str, times: &[f64], target: &str) {
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "| {name} | {:.2} ms | **{:.2} ms** | {:.2} ms | {} | {target} |",
        at(0.5),
        at(0.99),
        at(1.0),
        times.len()
    );
}

/// Adds disclosures through `insert_batch` until the store holds [`DISCLOSURES`]; returns the
/// heavy patient's MRN.
fn fill(store: &dyn Store, db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let have = count("SELECT count(*) FROM disclosure");
    let patients = count("SELECT max(id) FROM patient");
    let mrn_of =
        |id: i64| -> String { conn.query_row("SELECT mrn FROM patient WHERE id = ?1", [id], |r| r.get(0)).unwrap() };
    let heavy = mrn_of(patients / 2);
    let wanted = DISCLOSURES - have;
    println!("the demo's store holds {have} disclosures; adding {wanted} (2,000 of them MRN {heavy}'s)");
    let mut rng = Rng(11);
    let now = Utc::now();
    let bases = ["public_health", "judicial", "law_enforcement", "authorization", "tpo", "individual"];
    let started = Instant::now();
    let mut written = 0i64;
    // A disclosure names its patient by MRN.
    let mut stmt = conn.prepare("SELECT mrn FROM patient WHERE id = ?1").unwrap();
    while written < wanted {
        let n = (wanted - written).min(20_000);
        let mut batch = RecordBatch::default();
        for k in 0..n {
            let mrn = if written + k < HEAVY as i64 {
                heavy.clone()
            } else {
                stmt.query_row([1 + rng.below(patients as u64) as i64], |r| r.get(0)).unwrap()
            };
            let basis = bases[rng.below(bases.len() as u64) as usize];
            batch.disclosures.push(NewDisclosure {
                patient_mrn: mrn,
                disclosed_at: now - Duration::days(rng.below(7 * 365) as i64),
                recipient: "Travis County District Court".into(),
                recipient_address: "1000 Guadalupe St\nAustin TX 78701".into(),
                description: "Records named in the subpoena".into(),
                purpose: "Bench".into(),
                legal_basis: basis.into(),
                accountable: matches!(basis, "public_health" | "judicial" | "law_enforcement"),
                pages: 1 + rng.below(40) as i64,
                by_username: "bench".into(),
            });
        }
        store.insert_batch(batch, event(&format!("bench: {n} disclosures"))).unwrap();
        written += n;
    }
    println!("added {wanted} disclosures in {:.1} s (batches of 20,000)", started.elapsed().as_secs_f64());
    heavy
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_PATIENTS", 1_000_000);
    let runs = env_number("CHARTROOM_BENCH_RUNS", 50);
    let demo = demo_store_named(&binary, "bench-store-roi", patients, store_args);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-roi-stats-{patients}"));
    let db = dir.join("data").join("chartroom.db");
    let heavy_file = dir.join("heavy-mrn");
    if !heavy_file.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::copy(demo.join("ssn.key"), dir.join("ssn.key")).unwrap();
        std::fs::copy(demo.join("data").join("chartroom.db"), &db).unwrap();
        let store = SqliteStore::open(&db).unwrap();
        let heavy = fill(&store, &db);
        std::fs::write(&heavy_file, heavy).unwrap();
    }
    let heavy = std::fs::read_to_string(&heavy_file).unwrap();
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
    measure(opened.store.clone(), opened.key.clone(), &heavy, &db, runs, "SQLite");
    if std::env::var("CHARTROOM_BENCH_ROI_POSTGRES").is_ok_and(|v| v == "1") && pg::available() {
        let database = pg::fresh_database();
        let started = Instant::now();
        let copy = std::process::Command::new(&binary)
            .args(["--data-dir", &dir.join("data").display().to_string(), "copy", "--from"])
            .arg(format!("sqlite:{}", db.display()))
            .args(["--to", &database.url])
            .output()
            .unwrap();
        assert!(copy.status.success(), "{}", String::from_utf8_lossy(&copy.stderr));
        println!("copied into PostgreSQL in {:.1} s", started.elapsed().as_secs_f64());
        let store: Arc<dyn Store> = Arc::new(PgStore::connect(database.config.clone()).unwrap());
        measure(store, opened.key.clone(), &heavy, &db, runs, "PostgreSQL");
    }
}

/// The desk calls and the frame on `store`, printed as a table's rows.
fn measure(store: Arc<dyn Store>, key: SsnKey, heavy: &str, db: &Path, runs: usize, backend: &str) {
    let account = chartroom::desk::identity::current_account().unwrap();
    let desk = Desk::sign_in(store.clone(), &account, "local".into(), key, Arc::new(SystemClock::local())).unwrap();
    let today = desk.today();
    // Typical patients: those with a disclosure or two, read from the SQLite copy (the same rows).
    let typical: Vec<String> = {
        let conn = rusqlite::Connection::open(db).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT p.mrn FROM patient p WHERE p.id IN
                 (SELECT patient_id FROM disclosure GROUP BY patient_id HAVING count(*) BETWEEN 1 AND 3 LIMIT 200)",
            )
            .unwrap();
        let mrns: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap();
        // The demo's few impossible records (a birth date in the future) have no accounting.
        mrns.into_iter().filter(|mrn| desk.accounting(mrn, today, None).is_ok()).collect()
    };
    let shown = desk.accounting(heavy, today, None).unwrap();
    let disclosures: i64 =
        rusqlite::Connection::open(db).unwrap().query_row("SELECT count(*) FROM disclosure", [], |r| r.get(0)).unwrap();
    let year = desk.roi_stats(today - Duration::days(364), today, None).unwrap();
    println!(
        "\n{backend}: {disclosures} disclosures; MRN {heavy}'s accounting lists {} entries; a year's figures count {} received, {} released",
        shown.accounting.entries.len(),
        year.stats.received,
        year.stats.released()
    );
    println!("| call | p50 | p99 | max | samples | target |");
    println!("|---|---|---|---|---|---|");
    row(
        &format!("six-year accounting, MRN {heavy} ({} entries), `Desk::accounting`", shown.accounting.entries.len()),
        &timed(runs, || {
            desk.accounting(heavy, today, None).unwrap();
        }),
        "≤ 100 ms",
    );
    let mut n = 0;
    row(
        "six-year accounting, a typical patient (1–3 disclosures)",
        &timed(runs * 4, || {
            n += 1;
            desk.accounting(&typical[n % typical.len()], today, None).unwrap();
        }),
        "≤ 100 ms",
    );
    for (name, days) in [("52 weeks", 364), ("13 weeks", 90), ("4 weeks", 27)] {
        row(
            &format!("ROI figures, {name}, `Desk::roi_stats` (with its audit event)"),
            &timed(runs, || {
                desk.roi_stats(today - Duration::days(days), today, None).unwrap();
            }),
            "≤ 200 ms",
        );
    }
    let query = chartroom::store::roi::RoiStatsQuery {
        period: chartroom::domain::roi::stats::Period::new(today - Duration::days(364), today).unwrap(),
        as_of: today,
        facility_id: None,
    };
    row(
        "ROI figures, 52 weeks, the store's counts alone (`roi_stats_facts`)",
        &timed(runs, || {
            store.roi_stats_facts(&query).unwrap();
        }),
        "",
    );
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut app =
            App::new(Arc::new(Keymap::default()), HeaderInfo::new(&account, &desk.user().roles), today, (w, h));
        let answer = |app: &mut App, commands: Vec<Command>| {
            for command in commands {
                if let Command::Roi(c) = command {
                    let msg = chartroom::tui::effects::answer_roi(&desk, c, None, &|e| e.to_string());
                    app.update(msg);
                }
            }
        };
        let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        let commands = app.update(Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)));
        answer(&mut app, commands);
        for c in "roi-stats".chars() {
            app.update(key(c));
        }
        let commands = app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
        answer(&mut app, commands);
        let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
        let theme = chartroom::tui::theme::Theme::ansi16();
        // From the key to the frame: `y` (52 weeks), the read answered in line as the effects
        // runner answers it on its worker, and the frame drawn.
        let frame = timed(runs, || {
            let commands = app.update(key('y'));
            answer(&mut app, commands);
            terminal.draw(|frame| chartroom::tui::view::render(frame, &app, &theme)).unwrap();
        });
        row(&format!("`y` to the 52 weeks' frame drawn, {w}×{h} (key, desk call, draw)"), &frame, "≤ 200 ms");
        row(
            &format!("the 52 weeks' frame alone, {w}×{h}"),
            &timed(runs * 4, || {
                terminal.draw(|frame| chartroom::tui::view::render(frame, &app, &theme)).unwrap();
            }),
            "",
        );
    }
}
