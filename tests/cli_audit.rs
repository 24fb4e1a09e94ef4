//! `chartroom audit verify | access | user | break-glass` and `migrate` putting back the trail's
//! guard, run as the binary on a demo store (issue 12).

mod common;

use common::cli::{chartroom, demo_store, json, ok, refused};
use std::path::Path;

fn store_file(dir: &Path) -> std::path::PathBuf {
    dir.join("data").join("chartroom.db")
}

/// Runs `sql` on the store file with a connection of its own, as its owner could.
fn tamper(dir: &Path, sql: &str) {
    rusqlite::Connection::open(store_file(dir)).unwrap().execute_batch(sql).unwrap();
}

#[test]
fn verify_names_the_row_edited_in_the_file() {
    let dir = demo_store(10);
    let whole = ok(&chartroom(dir.path(), &["audit", "verify"]));
    assert!(whole.starts_with("The audit trail is whole: "), "{whole}");
    let report = json(&chartroom(dir.path(), &["audit", "verify", "--json"]));
    assert_eq!(report["first_break"], serde_json::Value::Null);
    let total = report["total"].as_i64().unwrap();
    assert!(total > 5, "{report}");

    // The attacker drops the guard, edits an event, and puts the guard back.
    tamper(
        dir.path(),
        "DROP TRIGGER audit_event_no_update;
         UPDATE audit_event SET username = 'someone_else' WHERE id = 4;
         CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
             BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    );
    let out = chartroom(dir.path(), &["audit", "verify"]);
    let err = refused(&out);
    assert!(err.contains("the audit trail did not verify"), "{err}");
    let said = String::from_utf8_lossy(&out.stdout);
    // The JSON run's own read was recorded after it took the total.
    let expected = format!("broken at event 4 of {} (id 4, at ", total + 1);
    assert!(said.contains(&expected), "expected {expected:?} in {said}");
    assert!(said.contains("its content does not match its hash"), "{said}");
    assert!(said.contains("The 3 events before it are whole"), "{said}");
}

#[test]
fn a_store_without_its_guard_refuses_to_run_until_migrate_puts_it_back() {
    let dir = demo_store(10);
    tamper(dir.path(), "DROP TRIGGER audit_event_no_delete;");
    let err = refused(&chartroom(dir.path(), &["audit", "list"]));
    assert!(err.contains("the store's append-only protection is missing: the trigger audit_event_no_delete"), "{err}");
    assert!(err.contains("chartroom migrate"), "{err}");
    let put_back = ok(&chartroom(dir.path(), &["migrate"]));
    assert!(put_back.contains("Put back the audit trail's protection"), "{put_back}");
    assert!(put_back.contains("chartroom audit verify"), "{put_back}");
    let listed = ok(&chartroom(dir.path(), &["audit", "list", "--json"]));
    assert!(listed.contains("put back the store's append-only protection"), "the repair is in the trail: {listed}");
    ok(&chartroom(dir.path(), &["audit", "verify"]));
    let again = ok(&chartroom(dir.path(), &["migrate"]));
    assert!(again.contains("nothing to do"), "{again}");
}

#[test]
fn the_access_report_as_text_json_and_csv() {
    let dir = demo_store(10);
    ok(&chartroom(dir.path(), &["search", "100234"]));
    ok(&chartroom(dir.path(), &["chart", "100234"]));
    {
        // An event whose detail a spreadsheet would run, written through the store as a program would.
        let store = chartroom::store::sqlite::SqliteStore::open(&store_file(dir.path())).unwrap();
        use chartroom::store::Store;
        let patient = store.patient_by_mrn(&chartroom::domain::mrn::Mrn::parse("100234").unwrap()).unwrap().unwrap();
        store
            .append_audit(chartroom::domain::audit::NewAuditEvent {
                at: chrono::Utc::now(),
                username: "jdoe".into(),
                source: "ssh 203.0.113.5 (SSH_CONNECTION)".into(),
                action: chartroom::domain::audit::AuditAction::Export,
                entity: "patient".into(),
                entity_id: Some("100234".into()),
                patient_id: Some(patient.patient_id),
                provider_id: None,
                detail: "=HYPERLINK(\"http://x\")".into(),
            })
            .unwrap();
    }
    let text = ok(&chartroom(dir.path(), &["audit", "access", "100234"]));
    assert!(text.starts_with("Access to the record of MRN 100234 from "), "{text}");
    for expected in ["SEARCH", "VIEW_PATIENT", "EXPORT", "shown in a search", "ssh 203.0.113.5 (SSH_CONNECTION)"] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }
    for line in text.lines() {
        assert!(unicode_width::UnicodeWidthStr::width(line) <= 80, "wider than 80 columns: {line:?}");
    }

    let report = json(&chartroom(dir.path(), &["audit", "access", "100234", "--json"]));
    let events = report["events"].as_array().unwrap();
    assert!(events.iter().all(|e| e["patient_mrn"] == "100234"), "{report}");
    assert_eq!(report["truncated"], false);

    let out = chartroom(dir.path(), &["audit", "access", "100234", "--csv"]);
    let csv = ok(&out);
    assert!(csv.starts_with("id,at_utc,user,source,action,entity,entity_id,mrn,npi,detail\r\n"), "{csv}");
    assert!(csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\"\r\n"), "the formula is neutralised and quoted: {csv}");
    assert!(!csv.contains(",=HYPERLINK"), "{csv}");

    let user = ok(&chartroom(dir.path(), &["audit", "user", "jdoe", "--csv"]));
    assert!(user.lines().skip(1).all(|l| l.split(',').nth(2) == Some("jdoe")), "{user}");
    let glass = ok(&chartroom(dir.path(), &["audit", "break-glass", "--since", "2025-01-01"]));
    assert!(glass.contains("since 2025-01-01") && glass.contains("No events."), "{glass}");
    let refused_range =
        refused(&chartroom(dir.path(), &["audit", "access", "100234", "--from", "2025-03-02", "--to", "2025-03-01"]));
    assert!(refused_range.contains("ends (2025-03-01) before it starts (2025-03-02)"), "{refused_range}");
}

#[test]
fn an_anchor_written_down_catches_an_edit_whose_later_hashes_were_computed_again() {
    use chartroom::domain::audit::chain::link_hash;
    use chartroom::store::Store;
    let dir = demo_store(10);
    let whole = ok(&chartroom(dir.path(), &["audit", "verify"]));
    // The hash printed on its own line, for the Privacy Officer to copy.
    let anchor = whole
        .lines()
        .skip_while(|l| !l.starts_with("Its last hash"))
        .nth(1)
        .map(|l| l.trim().to_string())
        .expect("a whole trail names its last hash");
    assert_eq!(anchor.len(), 64, "{whole}");
    let report = json(&chartroom(dir.path(), &["audit", "verify", "--json"]));
    assert_eq!(report["anchor"], serde_json::Value::Null, "no anchor was given");
    assert!(report["head"].as_str().is_some_and(|h| h.len() == 64 && h != anchor), "the trail went on: {report}");
    let held = ok(&chartroom(dir.path(), &["audit", "verify", "--anchor", &anchor]));
    assert!(held.contains("It holds the anchor given"), "{held}");

    // Someone with the store file edits event 4 and computes every hash after it again, so that
    // the chain itself verifies.
    let events = {
        let store = chartroom::store::sqlite::SqliteStore::open(&store_file(dir.path())).unwrap();
        store.audit_chain(i64::MIN, 100_000).unwrap()
    };
    let conn = rusqlite::Connection::open(store_file(dir.path())).unwrap();
    conn.execute_batch(
        "DROP TRIGGER audit_event_no_update; UPDATE audit_event SET username = 'someone_else' WHERE id = 4;",
    )
    .unwrap();
    let mut prev = events[2].hash.clone().unwrap();
    for event in &events[3..] {
        let mut event = event.clone();
        if event.id == 4 {
            event.username = "someone_else".into();
        }
        let hash = link_hash(&prev, &event.content());
        conn.execute(
            "UPDATE audit_event SET prev_hash = ?1, hash = ?2 WHERE id = ?3",
            rusqlite::params![prev, hash, event.id],
        )
        .unwrap();
        prev = hash;
    }
    conn.execute_batch(
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
             BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
    )
    .unwrap();
    drop(conn);
    let rechained = ok(&chartroom(dir.path(), &["audit", "verify"]));
    assert!(rechained.starts_with("The audit trail is whole"), "the chain alone cannot tell: {rechained}");
    let out = chartroom(dir.path(), &["audit", "verify", "--anchor", &anchor]);
    let err = refused(&out);
    assert!(err.contains("the audit trail did not verify"), "{err}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("does not hold the anchor {anchor}")), "{said}");
    let bad = refused(&chartroom(dir.path(), &["audit", "verify", "--anchor", "not-a-hash"]));
    assert!(bad.contains("64 hexadecimal digits"), "{bad}");
}
