//! The Director's view of release of information through the desk (who may run it, its figures,
//! its audit event, what it refuses) on every backend, and `chartroom roi stats` through the real
//! binary on a demo hospital, its counts checked against the store's rows.

mod common;

use common::cli::{chartroom, json, ok, refused};

use chartroom::desk::{Desk, DeskError, FixedClock};
use chartroom::domain::audit::AuditAction;
use chartroom::domain::roi::RequestStatus;
use chartroom::store::AuditFilter;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use common::roi_requests::{released, request};
use common::{event, key, scenarios};
use std::sync::Arc;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, day).unwrap()
}

fn desk_on(fixture: &common::Fixture, username: &str, today: NaiveDate) -> Desk {
    let now = Utc.from_utc_datetime(&today.and_hms_opt(15, 0, 0).unwrap());
    Desk::sign_in(fixture.store.clone(), username, "local".into(), key(), Arc::new(FixedClock { now, today })).unwrap()
}

#[test]
fn the_director_and_a_supervisor_run_it_and_it_is_recorded_as_a_report() {
    for f in scenarios() {
        let store = &*f.store;
        // Received 02/10, 03/03 and 03/04 (two at MVC): released after 3, 5 and 12 days; one open,
        // due 02/01 + 30 = 03/03, overdue by 03/14.
        let batch = vec![
            released(store, "RGH", d(3, 3), d(3, 6)),
            released(store, "RGH", d(2, 10), d(3, 7)),
            released(store, "MVC", d(3, 4), d(3, 9)),
            request(store, "MVC", d(3, 4), RequestStatus::Logged),
            request(store, "RGH", d(2, 1), RequestStatus::InQc),
        ];
        store.insert_roi_batch(batch, event("roi_request")).unwrap();

        let director = desk_on(&f, "dhim", d(3, 14));
        let report = director.roi_stats(d(3, 1), d(3, 14), None).unwrap();
        let s = &report.stats;
        assert_eq!(report.facility, None);
        assert_eq!((s.received, s.released(), s.open, s.overdue), (3, 3, 2, 1));
        // 3 5 25: median 5 days, p90 25 days.
        assert_eq!((s.turnaround.median_days, s.turnaround.p90_days), (Some(5), Some(25)));
        assert_eq!(s.weeks.iter().map(|w| w.week.as_str()).collect::<Vec<_>>(), ["2025-W09", "2025-W10", "2025-W11"]);
        let last = &store.list_audit(&AuditFilter { limit: 1, ..Default::default() }).unwrap()[0];
        assert_eq!(
            (last.action, last.entity.as_str(), last.detail.as_str(), last.username.as_str(), last.patient_id),
            (
                AuditAction::Search,
                "roi_stats",
                "ran the ROI report for 03/01/2025 to 03/14/2025 (every facility)",
                "dhim",
                None
            )
        );

        let supervisor = desk_on(&f, "kwong", d(3, 14));
        let rgh = supervisor.roi_stats(d(3, 1), d(3, 14), Some("rgh")).unwrap();
        assert_eq!(rgh.facility.as_deref(), Some("RGH"));
        assert_eq!((rgh.stats.received, rgh.stats.released(), rgh.stats.open), (1, 2, 1));
        let last = &store.list_audit(&AuditFilter { limit: 1, ..Default::default() }).unwrap()[0];
        assert!(last.detail.ends_with("(RGH)"), "{}", last.detail);
    }
}

#[test]
fn clerks_and_the_medical_staff_office_are_refused_and_a_period_that_cannot_be_is_refused() {
    for f in scenarios() {
        for who in ["jdoe", "tnguyen", "msoffice", "pofc"] {
            let err = desk_on(&f, who, d(3, 14)).roi_stats(d(3, 1), d(3, 14), None).unwrap_err();
            assert!(matches!(err, DeskError::Forbidden { .. }), "{who}: {err}");
        }
        let director = desk_on(&f, "dhim", d(3, 14));
        let said = |from, to, facility| director.roi_stats(from, to, facility).unwrap_err().to_string();
        assert_eq!(said(d(3, 14), d(3, 1), None), "the period ends (03/01/2025) before it starts (03/14/2025)");
        assert!(said(d(3, 15), d(3, 20), None).contains("after today (03/14/2025)"));
        assert!(said(NaiveDate::from_ymd_opt(2015, 1, 1).unwrap(), d(3, 1), None).contains("five years"));
        let unknown = said(d(3, 1), d(3, 14), Some("XYZ"));
        assert!(unknown.contains("no facility \"XYZ\"") && unknown.contains("RGH"), "{unknown}");
    }
}

#[test]
fn roi_stats_through_the_binary_counts_what_the_store_holds() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(&chartroom(dir, &["demo", "--patients", "300"]));
    let today = common::cli::department_today();
    let from = today - Duration::days(90);
    let (from_text, to_text) = (from.to_string(), today.to_string());
    let report = json(&chartroom(dir, &["roi", "stats", "--from", &from_text, "--to", &to_text, "--json"]));

    // Counted again from the store's rows, by SQL of the test's own.
    let db = rusqlite::Connection::open(dir.join("data").join("chartroom.db")).unwrap();
    let count = |sql: &str| -> i64 { db.query_row(sql, [&from_text, &to_text], |r| r.get(0)).unwrap() };
    let received = count("SELECT count(*) FROM roi_request WHERE received_on BETWEEN ?1 AND ?2");
    assert!(received > 0, "the demo has requests in the last 90 days");
    assert_eq!(report["received"], received);
    let released = count(
        "SELECT count(*) FROM (SELECT roi_request_id, min(substr(disclosed_at, 1, 10)) AS first FROM disclosure
         WHERE roi_request_id IS NOT NULL AND voided_at IS NULL GROUP BY roi_request_id)
         WHERE first BETWEEN ?1 AND ?2",
    );
    assert_eq!(report["turnaround"]["released"], released);
    let invoiced = count(
        "SELECT coalesce(sum(total_cents), 0) FROM roi_fee WHERE kind = 'invoice' AND issued_on BETWEEN ?1 AND ?2",
    );
    assert_eq!(report["fees"]["billed_cents"], invoiced);
    let weeks = report["weeks"].as_array().unwrap();
    let by_week: i64 = weeks.iter().map(|w| w["received"].as_i64().unwrap()).sum();
    assert_eq!(by_week, received);
    assert_eq!(report["as_of"], to_text);

    let text = ok(&chartroom(dir, &["roi", "stats", "--from", &from_text, "--to", &to_text, "--facility", "RGH"]));
    assert!(text.starts_with(&format!("ROI requests {} to {} (RGH)", us(from), us(today))), "{text}");
    assert!(text.contains("WEEK") && text.contains("COLLECTED"), "{text}");

    let err = refused(&chartroom(dir, &["roi", "stats", "--from", &to_text, "--to", &from_text]));
    assert!(err.contains("before it starts"), "{err}");
}

fn us(day: NaiveDate) -> String {
    day.format("%m/%d/%Y").to_string()
}
