//! Issue 12's figure: `audit verify` over a trail of 1,000,000 events — target ≤ 10 s.
//!
//! `cargo bench --bench audit_chain`. Makes a SQLite store under target/ (kept, so later runs only
//! measure) holding CHARTROOM_BENCH_AUDIT_EVENTS events (default 1,000,000), appended through the
//! store's own chained path (`append_audit_events`, 10,000 a transaction), and times the desk's
//! `verify_audit` — the count, the pages read in id order, each hash computed again — as the
//! director runs it, three times.

mod common;

use chartroom::desk::{Desk, FixedClock, ensure_founder};
use chartroom::domain::audit::{AuditAction, NewAuditEvent};
use chartroom::domain::ssn::SsnKey;
use chartroom::store::Store;
use chartroom::store::sqlite::SqliteStore;
use chrono::{Duration, TimeZone, Utc};
use common::env_number;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const BATCH: usize = 10_000;

fn main() {
    let events = env_number("CHARTROOM_BENCH_AUDIT_EVENTS", 1_000_000) as i64;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-audit-{events}"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("chartroom.db");
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let start = Utc.with_ymd_and_hms(2025, 1, 2, 8, 0, 0).unwrap();
    ensure_founder(&*store, "dhim", "local", start).unwrap();
    let have = store.audit_count().unwrap();
    if have < events {
        let began = Instant::now();
        let mut written = have;
        while written < events {
            let batch: Vec<NewAuditEvent> = (written..(written + BATCH as i64).min(events))
                .map(|n| NewAuditEvent {
                    at: start + Duration::seconds(n * 3),
                    username: ["jdoe", "mlee", "kwong", "tnguyen"][(n % 4) as usize].into(),
                    source: "ssh 203.0.113.5 (SSH_CONNECTION)".into(),
                    action: if n % 3 == 0 { AuditAction::Search } else { AuditAction::ViewPatient },
                    entity: "patient".into(),
                    entity_id: Some(format!("{:06}", 100_000 + n % 900_000)),
                    patient_id: Some(1 + n % 1_000_000),
                    provider_id: None,
                    detail: format!("shown in a search: shape=NAME row {} of 20", 1 + n % 20),
                })
                .collect();
            written += batch.len() as i64;
            store.append_audit_events(batch).unwrap();
        }
        let seconds = began.elapsed().as_secs_f64();
        println!(
            "appended {} chained events in {seconds:.1} s ({:.0} a second)",
            events - have,
            (events - have) as f64 / seconds
        );
    }
    let clock = Arc::new(FixedClock { now: Utc::now(), today: Utc::now().date_naive() });
    let desk = Desk::sign_in(store.clone(), "dhim", "local".into(), SsnKey::from_bytes([7; 32]), clock).unwrap();
    for run in 1..=3 {
        let began = Instant::now();
        let report = desk.verify_audit(None).unwrap();
        let seconds = began.elapsed().as_secs_f64();
        assert!(report.is_whole(), "{report:?}");
        println!(
            "audit verify, run {run}: {} events whole in {seconds:.2} s ({:.0} events a second) — target ≤ 10 s",
            report.checked,
            report.checked as f64 / seconds
        );
    }
}
