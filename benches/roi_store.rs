//! The ROI queue's store calls at 200,000 requests on the 1,000,000-patient demo store: each sort's
//! first page and a deep one, each filter, a patient's requests (intake's duplicate check), a
//! request whole (`roi show`), the aging counts and the requester search — the calls the screens
//! and the CLI make, without a terminal's noise. And the 200,000 requests written through
//! `insert_roi_batch`, timed.
//!
//! `cargo bench --bench roi_store`. The store is a copy of the demo store `--bench tui` makes
//! (CHARTROOM_BENCH_PATIENTS, default 1,000,000; made if absent), kept under target/ with its
//! requests (CHARTROOM_BENCH_REQUESTS, default 200,000) so that later runs only measure. With
//! CHARTROOM_BENCH_ROI_POSTGRES=1 the same calls run on PostgreSQL too, the store copied by
//! `chartroom copy` into a database of the tests' throwaway cluster.

mod common;
#[path = "../tests/common/pg.rs"]
#[allow(dead_code)]
mod pg;

use chartroom::domain::audit::{AuditAction, NewAuditEvent};
use chartroom::domain::roi::{
    Delivery, NewRequester, ReceivedVia, RecordFormat, RequestStatus, RequestType, RequesterKind, Scope,
};
use chartroom::store::postgres::PgStore;
use chartroom::store::roi::{ClockRecord, DueDate, NewRoiRequest, RequesterRef, RoiQueueFilter, RoiSort};
use chartroom::store::sqlite::SqliteStore;
use chartroom::store::{Page, Store};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::{demo_store, env_number};
use std::path::PathBuf;
use std::time::Instant;

/// SplitMix64: the same requests on every run.
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

fn event(entity: &str) -> NewAuditEvent {
    NewAuditEvent {
        at: Utc::now(),
        username: "dhim".into(),
        source: "local".into(),
        action: AuditAction::Create,
        entity: entity.into(),
        entity_id: None,
        patient_id: None,
        provider_id: None,
        detail: "bench".into(),
    }
}

const ASSIGNEES: [&str; 4] = ["jdoe", "tnguyen", "kwong", "dhim"];

/// Writes `count` requests, some open, spread over four years, 2,000 requesters and every patient,
/// in batches of 5,000; returns the seconds the batches took.
fn fill(store: &dyn Store, count: usize, patients: i64) -> f64 {
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let facilities: Vec<i64> = store.list_facilities().unwrap().into_iter().map(|f| f.id).collect();
    let kinds = [RequesterKind::Attorney, RequesterKind::Insurer, RequesterKind::Ssa, RequesterKind::Provider];
    let mut rng = Rng(10);
    let requesters: Vec<i64> = (0..2_000)
        .map(|n| {
            let requester = NewRequester {
                kind: kinds[n % kinds.len()],
                name: format!("{} {n:04}", ["Baker & Lowe", "Acme Insurance", "SSA DDS", "Valley Clinic"][n % 4]),
                organization: String::new(),
                address: "1 Main St".into(),
                phone: String::new(),
                fax: String::new(),
                email: String::new(),
            };
            store.add_requester(requester, event("requester")).unwrap().id
        })
        .collect();
    let mut written = 0;
    let mut writing = std::time::Duration::ZERO;
    while written < count {
        let batch: Vec<NewRoiRequest> = (0..5_000.min(count - written))
            .map(|_| {
                let received = today - Duration::days(rng.below(1_460) as i64);
                let open = received > today - Duration::days(60) || rng.below(40) == 0;
                let status = if open {
                    RequestStatus::ALL[rng.below(9) as usize]
                } else {
                    [RequestStatus::Released, RequestStatus::Closed, RequestStatus::Rejected, RequestStatus::Cancelled]
                        [rng.below(4) as usize]
                };
                let due = (rng.below(20) != 0).then(|| received + Duration::days(15 + rng.below(16) as i64));
                let facility = facilities[rng.below(facilities.len() as u64) as usize];
                let patient = 1 + rng.below(patients as u64) as i64;
                let requester = requesters[rng.below(requesters.len() as u64) as usize];
                let mut request = sample_request(facility, patient, requester);
                request.received_on = received;
                request.received_via = ReceivedVia::ALL[rng.below(6) as usize];
                request.request_type = RequestType::ALL[rng.below(RequestType::ALL.len() as u64) as usize];
                request.status = status;
                request.assigned_to = (rng.below(3) != 0).then(|| ASSIGNEES[rng.below(4) as usize].to_string());
                request.due = DueDate {
                    due_on: due,
                    due_rule: if due.is_some() { "HIPAA-30".into() } else { "waiting for payment".into() },
                    clocks: vec![ClockRecord {
                        code: "HIPAA-30".into(),
                        rule: "HIPAA 164.524: 30 days".into(),
                        due_on: due,
                        waits_for: due.is_none().then(|| "payment".into()),
                    }],
                };
                request
            })
            .collect();
        let started = Instant::now();
        written += store.insert_roi_batch(batch, event("roi_request")).unwrap();
        writing += started.elapsed();
    }
    let started = Instant::now();
    store.finish_bulk_load().unwrap();
    println!(
        "the queue's indexes built, the store analyzed and checkpointed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    writing.as_secs_f64()
}

/// A request as the desk logs one, at intake.
fn sample_request(facility_id: i64, patient_id: i64, requester: i64) -> NewRoiRequest {
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    NewRoiRequest {
        facility_id,
        patient_id,
        requester: RequesterRef::Existing(requester),
        received_on: today,
        received_via: ReceivedVia::Fax,
        request_type: RequestType::Authorization,
        purpose: "Continuing care".into(),
        format: RecordFormat::Pdf,
        delivery: Delivery::Portal,
        pages: None,
        postage_cents: None,
        clerical_minutes: None,
        scope: Scope { entire_record: true, ..Default::default() },
        authorization: None,
        legal_process: None,
        status: RequestStatus::Logged,
        status_reason: None,
        assigned_to: None,
        due: DueDate {
            due_on: Some(today + Duration::days(30)),
            due_rule: "HIPAA-30".into(),
            clocks: vec![ClockRecord {
                code: "HIPAA-30".into(),
                rule: "HIPAA 164.524: 30 days".into(),
                due_on: Some(today + Duration::days(30)),
                waits_for: None,
            }],
        },
        logged_by: "jdoe".into(),
        logged_at: Utc.with_ymd_and_hms(2025, 3, 3, 12, 0, 0).unwrap(),
        accounting_period: None,
        disclosure: None,
        released_on: None,
        invoice: None,
    }
}

/// Milliseconds of each of `runs` calls: p50, p99, max.
fn timed(runs: usize, mut call: impl FnMut()) -> (f64, f64, f64) {
    call();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            call();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99), at(1.0))
}

fn main() {
    let patients = env_number("CHARTROOM_BENCH_PATIENTS", 1_000_000);
    let requests = env_number("CHARTROOM_BENCH_REQUESTS", 200_000);
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let demo = demo_store(&binary, patients, |dir| {
        vec![
            "--data-dir".into(),
            dir.join("data").display().to_string(),
            "--config".into(),
            dir.join("config.toml").display().to_string(),
        ]
    });
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-roi-{patients}-{requests}"));
    let path = dir.join("chartroom.db");
    if !path.exists() {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(demo.join("data").join("chartroom.db"), &path).unwrap();
        let store = SqliteStore::open(&path).unwrap();
        // As the demo's bulk load writes them: the queue's indexes set aside, built once at the end.
        let conn = rusqlite::Connection::open(&path).unwrap();
        for (name, _) in chartroom::store::sqlite::schema::BULK_INDEXES.iter().filter(|(n, _)| n.starts_with("roi_")) {
            conn.execute_batch(&format!("DROP INDEX {name}")).unwrap();
        }
        drop(conn);
        let seconds = fill(&store, requests, store.info().unwrap().patient_count);
        println!("wrote {requests} requests through insert_roi_batch in {seconds:.1} s (batches of 5,000)");
        // A clerk's request on the whole store, its indexes built.
        let mut rng = Rng(7);
        let facility = store.list_facilities().unwrap()[0].id;
        let requester = store.search_requesters("acme", 1).unwrap()[0].id;
        let patients = store.info().unwrap().patient_count as u64;
        let logged = timed(100, || {
            let mut one = sample_request(facility, 1 + rng.below(patients) as i64, requester);
            one.status = RequestStatus::Logged;
            store.log_roi_request(one, event("roi_request")).unwrap();
        });
        println!(
            "a clerk's request logged (log_roi_request) on the full store: p50 {:.2} ms, p99 {:.2} ms",
            logged.0, logged.1
        );
    }
    let store = SqliteStore::open(&path).unwrap();
    measure(&store, "SQLite");
    drop(store);
    // The same calls on PostgreSQL, the store copied into a database of the tests' throwaway
    // cluster by `chartroom copy` (about a minute and a half at a million patients): opt-in.
    if std::env::var("CHARTROOM_BENCH_ROI_POSTGRES").is_ok_and(|v| v == "1") && pg::available() {
        let database = pg::fresh_database();
        let started = Instant::now();
        let copy = std::process::Command::new(&binary)
            .args(["--data-dir", &dir.display().to_string(), "copy", "--from"])
            .arg(format!("sqlite:{}", path.display()))
            .args(["--to", &database.url])
            .output()
            .unwrap();
        assert!(copy.status.success(), "{}", String::from_utf8_lossy(&copy.stderr));
        println!("copied into PostgreSQL in {:.1} s", started.elapsed().as_secs_f64());
        let store = PgStore::connect(database.config.clone()).unwrap();
        measure(&store, "PostgreSQL");
    }
}

/// Every call of the bench on `store`, printed as a table.
fn measure(store: &dyn Store, backend: &str) {
    let open = RoiQueueFilter::default();
    let all = store
        .roi_queue_page(
            &RoiQueueFilter { statuses: RequestStatus::ALL.to_vec(), ..Default::default() },
            RoiSort::Due,
            Page::first(1),
        )
        .unwrap()
        .total;
    let open_total = store.roi_queue_page(&open, RoiSort::Due, Page::first(1)).unwrap().total;
    let patients = store.info().unwrap().patient_count;
    println!("{backend}, {patients} patients, {all} requests ({open_total} open); ms per call, 200 calls each");
    println!("{:<58} {:>7} {:>7} {:>7}", "call", "p50", "p99", "max");
    let row = |name: &str, (p50, p99, max): (f64, f64, f64)| println!("{name:<58} {p50:>7.2} {p99:>7.2} {max:>7.2}");
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let page = |filter: &RoiQueueFilter, sort, offset| {
        let filter = filter.clone();

        move || {
            store.roi_queue_page(&filter, sort, Page { offset, limit: 22 }).unwrap();
        }
    };
    for sort in
        [RoiSort::Due, RoiSort::Received, RoiSort::Number, RoiSort::Patient, RoiSort::Requester, RoiSort::Status]
    {
        row(&format!("open queue, {sort:?}, first page"), timed(200, page(&open, sort, 0)));
        row(&format!("open queue, {sort:?}, page at row 10,000"), timed(200, page(&open, sort, 10_000)));
    }
    let filters = [
        ("status pended", RoiQueueFilter { statuses: vec![RequestStatus::Pended], ..Default::default() }),
        ("status released (closed)", RoiQueueFilter { statuses: vec![RequestStatus::Released], ..Default::default() }),
        ("type subpoena", RoiQueueFilter { request_type: Some(RequestType::Subpoena), ..Default::default() }),
        ("requester \"baker\"", RoiQueueFilter { requester: Some("baker".into()), ..Default::default() }),
        (
            "requester \"baker & lowe 0042\"",
            RoiQueueFilter { requester: Some("baker & lowe 0042".into()), ..Default::default() },
        ),
        ("assigned to jdoe", RoiQueueFilter { assigned_to: Some("jdoe".into()), ..Default::default() }),
        ("assigned to nobody", RoiQueueFilter { assigned_to: Some(String::new()), ..Default::default() }),
        ("overdue", RoiQueueFilter { due_by: Some(today - Duration::days(1)), ..Default::default() }),
        ("due within 5 days", RoiQueueFilter { due_by: Some(today + Duration::days(5)), ..Default::default() }),
        ("facility 1", RoiQueueFilter { facility_id: Some(1), ..Default::default() }),
    ];
    for (name, filter) in &filters {
        row(&format!("{name}, by due, first page"), timed(200, page(filter, RoiSort::Due, 0)));
    }
    for (name, filter) in &filters[..2] {
        for sort in [RoiSort::Received, RoiSort::Number, RoiSort::Patient, RoiSort::Requester, RoiSort::Status] {
            row(&format!("{name}, {sort:?}, first page"), timed(200, page(filter, sort, 0)));
        }
    }
    let mut rng = Rng(99);
    let patient_count = store.info().unwrap().patient_count as u64;
    row(
        "a patient's last 4 requests (intake)",
        timed(200, || {
            store.roi_requests_for_patient(1 + rng.below(patient_count) as i64, 4).unwrap();
        }),
    );
    let sample = store.roi_queue_page(&open, RoiSort::Due, Page::first(200)).unwrap().rows;
    let mut n = 0;
    row(
        "a request whole, by number (roi show)",
        timed(200, || {
            n += 1;
            store.roi_request(&sample[n % sample.len()].number).unwrap().unwrap();
        }),
    );
    row(
        "open requests counted by received date (aging)",
        timed(200, || {
            store.roi_open_ages(&open).unwrap();
        }),
    );
    row(
        "requester search \"bak\", 10",
        timed(200, || {
            store.search_requesters("bak", 10).unwrap();
        }),
    );
}
