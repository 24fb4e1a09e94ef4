//! Issue 11's packet figure: a 300-page release packet written — the PDF laid out page by page with
//! its footers, hashed, its manifest beside it, both owner-only — target ≤ 2 s. Measured twice: the
//! layout and PDF alone (`report::packet::packet_pdf`), and the whole release through the desk
//! (`roi_release_packet`: the chart's documents read, the rule, the PDF and manifest written, the
//! disclosure and its 30 items stored with the audit event) on a SQLite store of the scenario
//! hospital whose patient has thirty 10-page notes of 55 lines a page.
//!
//! `cargo bench --bench roi_packet` (CHARTROOM_BENCH_PACKET_RUNS, default 10).

mod common;

use chartroom::demo::{DemoOptions, HospitalPlan};
use chartroom::desk::roi::packet::ReleasePick;
use chartroom::desk::roi::{IntakeForm, IntakeRequester, Logged, OnOpenRequest};
use chartroom::desk::{Desk, FixedClock, ensure_founder};
use chartroom::domain::audit::{AuditAction, NewAuditEvent};
use chartroom::domain::chart::{DocumentStatus, EncounterKind, NewFacility};
use chartroom::domain::roi::status::Step;
use chartroom::domain::roi::{Delivery, NewRequester, ReceivedVia, RecordFormat, RequestType, RequesterKind, Scope};
use chartroom::domain::ssn::SsnKey;
use chartroom::report::packet::{PacketLayout, PrintedDocument, packet_pdf};
use chartroom::store::records::{NewDocument, NewEncounter};
use chartroom::store::sqlite::SqliteStore;
use chartroom::store::{RecordBatch, Store};
use chrono::{NaiveDate, TimeZone, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DOCUMENTS: usize = 30;
const PAGES_EACH: usize = 10;
const LINES_A_PAGE: usize = 55;

fn event() -> NewAuditEvent {
    NewAuditEvent {
        at: Utc::now(),
        username: "dhim".into(),
        source: "local".into(),
        action: AuditAction::Create,
        entity: "bench".into(),
        entity_id: None,
        patient_id: None,
        provider_id: None,
        detail: "bench".into(),
    }
}

/// A note's text: numbered lines of clinical prose, a full page's worth for each of its pages.
fn note_text(n: usize) -> String {
    (0..PAGES_EACH * LINES_A_PAGE)
        .map(|l| format!("{n:02}.{l:03} Patient seen and examined; vitals stable; plan discussed with the family.\n"))
        .collect()
}

fn summary(label: &str, mut runs: Vec<Duration>) {
    runs.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: median {:.0} ms, max {:.0} ms over {} runs",
        ms(runs[runs.len() / 2]),
        ms(*runs.last().unwrap()),
        runs.len()
    );
}

fn main() {
    let runs = common::env_number("CHARTROOM_BENCH_PACKET_RUNS", 10);

    // The layout and the PDF alone.
    let layout = PacketLayout {
        request_number: "RGH-00041".into(),
        front: vec!["Riverbend General Hospital\nRELEASE PACKET RGH-00041\n".into()],
        documents: (0..DOCUMENTS)
            .map(|n| PrintedDocument { heading: format!("Progress note {n}"), text: note_text(n), pages: PAGES_EACH })
            .collect(),
    };
    let mut pdf_runs = Vec::new();
    let mut pages = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let (pdf, total) = packet_pdf(&layout).unwrap();
        pdf_runs.push(started.elapsed());
        pages = total;
        assert!(pdf.len() > 10_000);
    }
    summary(&format!("packet_pdf, {pages} pages"), pdf_runs);

    // The whole release through the desk.
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("chartroom.db")).unwrap());
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let now = Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap();
    ensure_founder(&*store, "dhim", "local", now).unwrap();
    for (code, name, state, kind, tz) in chartroom::demo::FACILITIES {
        store.add_facility(NewFacility::validate(code, name, state, *kind, tz).unwrap(), event()).unwrap();
    }
    let key = SsnKey::from_bytes([42; 32]);
    let plan = HospitalPlan::new(&DemoOptions { patients: 0, seed: 1, today }, key.clone());
    store.insert_batch(plan.foundation_batch(), event()).unwrap();
    let mut batch = RecordBatch::default();
    let admit = Utc.with_ymd_and_hms(2025, 1, 6, 9, 0, 0).unwrap();
    batch.encounters.push(NewEncounter {
        patient_mrn: "100234".into(),
        account: "A25-900001".into(),
        kind: EncounterKind::Inpatient,
        facility_code: "RGH".into(),
        service: "MEDICINE".into(),
        admit_at: admit,
        discharge_at: Some(admit + chrono::Duration::days(30)),
        attending_npi: Some("1000000001".into()),
    });
    for n in 0..DOCUMENTS {
        let at = admit + chrono::Duration::days(n as i64);
        batch.documents.push(NewDocument {
            account: "A25-900001".into(),
            doc_type: "PROGRESS".into(),
            title: format!("Progress note, day {}", n + 1),
            author_npi: Some("1000000001".into()),
            status: DocumentStatus::Completed,
            created_at: at,
            signed_at: Some(at + chrono::Duration::hours(2)),
            text: Some(note_text(n)),
            page_count: PAGES_EACH as i64,
            sensitive_categories: Vec::new(),
            in_designated_record_set: true,
        });
    }
    store.insert_batch(batch, event()).unwrap();
    let desk = Desk::sign_in(store, "dhim", "local".into(), key, Arc::new(FixedClock { now, today })).unwrap();
    // A release is signed: its code's check (Argon2id) is part of what is measured.
    desk.set_signature("tulip42").unwrap();
    let releases = dir.path().join("releases");
    let mut release_runs = Vec::new();
    for _ in 0..runs {
        let form = IntakeForm {
            facility: "RGH".into(),
            patient: "100234".into(),
            received_on: Some(today),
            received_via: Some(ReceivedVia::Mail),
            request_type: Some(RequestType::RightOfAccess),
            purpose: "Personal copy".into(),
            format: Some(RecordFormat::Paper),
            delivery: Some(Delivery::Mail),
            requester: IntakeRequester::New(NewRequester {
                kind: RequesterKind::Patient,
                name: "SMITH, JOHN A".into(),
                organization: String::new(),
                address: "18 Elm St\nAustin TX 78704".into(),
                phone: String::new(),
                fax: String::new(),
                email: String::new(),
            }),
            scope: Scope { entire_record: true, ..Scope::default() },
            ..IntakeForm::default()
        };
        let Ok(Logged::New { request, .. }) = desk.log_roi_request(form, OnOpenRequest::LogNew, None).unwrap() else {
            panic!("not logged")
        };
        let number = request.number.to_string();
        for step in [Step::Validate, Step::Fulfil, Step::Qc, Step::ReadyToRelease] {
            desk.roi_step(&number, None, step, None, None).unwrap();
        }
        let started = Instant::now();
        let (_, files) = desk
            .roi_release_packet(&number, None, today, None, &ReleasePick::default(), Some(&releases), "tulip42")
            .unwrap();
        release_runs.push(started.elapsed());
        let files = files.unwrap();
        assert_eq!(files.pdf_pages, DOCUMENTS * PAGES_EACH + 1, "the cover and the 300 pages");
    }
    summary(&format!("roi_release_packet, {} pages + cover, SQLite", DOCUMENTS * PAGES_EACH), release_runs);
}
