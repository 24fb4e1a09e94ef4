//! The audit trail's hash chain on every backend: each event linked as it is appended, walked whole;
//! a row edited past the program (its guard dropped first, as an attacker would) breaks the chain
//! at that row; a store whose guard is gone refuses to open until `migrate` puts it back; the
//! privacy officer's report reads by patient, user, action and window.

use super::{audit_trail, each_backend, noted};
use crate::common::{self, Fixture};
use chartroom::domain::audit::chain::{BreakKind, ChainWalk, ChainedEvent, GENESIS};
use chartroom::domain::audit::{AuditAction, NewAuditEvent};
use chartroom::store::{AuditQuery, Store, StoreError};
use chrono::{Duration, TimeZone, Utc};

/// The whole chain, oldest first, read a few events at a time as `audit verify` reads it.
fn chain(store: &dyn Store) -> Vec<ChainedEvent> {
    let mut all: Vec<ChainedEvent> = Vec::new();
    loop {
        let after = all.last().map_or(i64::MIN, |e| e.id);
        let page = store.audit_chain(after, 7).unwrap();
        let done = page.len() < 7;
        all.extend(page);
        if done {
            return all;
        }
    }
}

/// Walks the chain: Ok(count), or the break's (position, id, kind).
fn walk(store: &dyn Store) -> Result<u64, (u64, i64, BreakKind)> {
    let mut walk = ChainWalk::new();
    for event in chain(store) {
        walk.step(&event).map_err(|b| (b.position, b.id, b.kind))?;
    }
    Ok(walk.checked())
}

/// Runs `sql` on the fixture's store past the program, as its owner could: the SQLite file opened
/// with a connection of its own, or the database as its superuser.
fn tamper(fixture: &Fixture, sqlite_sql: &str, postgres_sql: &str) {
    match &fixture.pg {
        Some(database) => {
            common::pg::exec(database, postgres_sql).unwrap();
        }
        None => {
            let conn = rusqlite::Connection::open(fixture.dir.path().join("chartroom.db")).unwrap();
            conn.execute_batch(sqlite_sql).unwrap();
        }
    }
}

/// Opens the fixture's store anew, as a program starting on it would: where the guard is checked.
fn open_anew(fixture: &Fixture) -> Result<(), StoreError> {
    match &fixture.pg {
        Some(database) => chartroom::store::postgres::PgStore::connect(database.config.clone()).map(drop),
        None => chartroom::store::sqlite::SqliteStore::open(&fixture.dir.path().join("chartroom.db")).map(drop),
    }
}

/// `chartroom migrate`'s repair: puts back what the guard misses; returns what that was.
fn restore(fixture: &Fixture) -> Vec<String> {
    let audit = |missing: &str| NewAuditEvent { detail: format!("put back: {missing}"), ..noted("store", "") };
    match &fixture.pg {
        Some(database) => {
            chartroom::store::postgres::PgStore::restore_protection(database.config.clone(), audit("")).unwrap()
        }
        None => {
            chartroom::store::sqlite::SqliteStore::restore_protection(&fixture.dir.path().join("chartroom.db"), audit)
                .unwrap()
        }
    }
}

/// Runs `sql` on the fixture's store past the program; the engine's refusal, as text, if any.
fn run_past_the_program(fixture: &Fixture, sql: &str) -> Result<(), String> {
    match &fixture.pg {
        Some(database) => common::pg::exec(database, sql).map(drop),
        None => rusqlite::Connection::open(fixture.dir.path().join("chartroom.db"))
            .unwrap()
            .execute_batch(sql)
            .map_err(|e| e.to_string()),
    }
}

#[test]
fn every_event_is_linked_to_the_one_before_it() {
    each_backend(|f| {
        let store = &*f.store;
        store.append_audit(noted("probe", "one")).unwrap();
        store.append_audit_events(vec![noted("probe", "two"), noted("probe", "three")]).unwrap();
        let events = chain(store);
        assert_eq!(events.len() as i64, store.audit_count().unwrap());
        assert_eq!(events[0].prev_hash.as_deref(), Some(GENESIS));
        for pair in events.windows(2) {
            assert!(pair[0].id < pair[1].id);
            assert_eq!(pair[1].prev_hash, pair[0].hash, "event {} does not name {}", pair[1].id, pair[0].id);
        }
        let tail: Vec<&str> = events.iter().rev().take(3).map(|e| e.detail.as_str()).collect();
        assert_eq!(tail, ["three", "two", "one"], "appended in the order given");
        assert_eq!(walk(store), Ok(events.len() as u64));
        // The chain and the trail are the same events.
        let trail = audit_trail(store);
        assert_eq!(trail.iter().map(|e| e.id).collect::<Vec<_>>(), events.iter().map(|e| e.id).collect::<Vec<_>>());
        assert_eq!(store.audit_chain(events.last().unwrap().id, 10).unwrap(), vec![]);
    });
}

#[test]
fn an_instant_finer_than_the_store_keeps_still_verifies() {
    each_backend(|f| {
        let mut event = noted("probe", "fine instant");
        event.at = Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap() + Duration::nanoseconds(123_456_789);
        f.store.append_audit(event).unwrap();
        assert!(walk(&*f.store).is_ok(), "{:?}", walk(&*f.store));
    });
}

#[test]
fn appends_from_two_handles_at_once_never_fork_the_chain() {
    each_backend(|f| {
        let other = common::another_handle(f);
        std::thread::scope(|scope| {
            for store in [f.store.clone(), other.clone()] {
                scope.spawn(move || {
                    for i in 0..25 {
                        store.append_audit(noted("race", &format!("{i}"))).unwrap();
                    }
                });
            }
        });
        let count = f.store.audit_count().unwrap();
        assert_eq!(walk(&*f.store), Ok(count as u64));
    });
}

#[test]
fn an_event_edited_past_the_program_breaks_the_chain_there() {
    each_backend(|f| {
        f.store.append_audit(noted("probe", "the truth")).unwrap();
        f.store.append_audit(noted("probe", "after it")).unwrap();
        let events = chain(&*f.store);
        let (position, target) = events
            .iter()
            .enumerate()
            .find(|(_, e)| e.detail == "the truth")
            .map(|(i, e)| (i as u64 + 1, e.id))
            .unwrap();
        tamper(
            f,
            &format!(
                "DROP TRIGGER audit_event_no_update;
                 UPDATE audit_event SET username = 'nobody' WHERE id = {target};
                 CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
                     BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
            ),
            &format!(
                "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update;
                 UPDATE audit_event SET username = 'nobody' WHERE id = {target};
                 ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update;"
            ),
        );
        assert_eq!(walk(&*f.store), Err((position, target, BreakKind::ContentAltered)));
    });
}

#[test]
fn an_event_deleted_past_the_program_breaks_the_chain_at_the_next() {
    each_backend(|f| {
        f.store.append_audit(noted("probe", "deleted")).unwrap();
        f.store.append_audit(noted("probe", "after it")).unwrap();
        let events = chain(&*f.store);
        let index = events.iter().position(|e| e.detail == "deleted").unwrap();
        let (target, next) = (events[index].id, events[index + 1].id);
        tamper(
            f,
            &format!(
                "DROP TRIGGER audit_event_no_delete;
                 DELETE FROM audit_event WHERE id = {target};
                 CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
                     BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;"
            ),
            &format!(
                "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_delete;
                 DELETE FROM audit_event WHERE id = {target};
                 ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_delete;"
            ),
        );
        assert_eq!(walk(&*f.store), Err((index as u64 + 1, next, BreakKind::DoesNotFollow)));
    });
}

#[test]
fn a_store_whose_guard_was_dropped_refuses_to_open_until_it_is_put_back() {
    each_backend(|f| {
        tamper(f, "DROP TRIGGER audit_event_no_delete;", "DROP TRIGGER audit_event_no_delete ON audit_event;");
        match open_anew(f) {
            Err(StoreError::Unprotected(what)) => {
                assert!(what.contains("audit_event_no_delete"), "{what}");
                let message = StoreError::Unprotected(what).to_string();
                assert!(message.contains("the store's append-only protection is missing"), "{message}");
            }
            other => panic!("a store without its guard opened: {other:?}"),
        }
        let restored = restore(f);
        assert_eq!(restored.len(), 1, "{restored:?}");
        let reopened = common::another_handle(f);
        let last = audit_trail(&*reopened).pop().unwrap();
        assert!(last.detail.contains("audit_event_no_delete"), "{last:?}");
        assert_eq!(walk(&*reopened), Ok(reopened.audit_count().unwrap() as u64));
        // Put back, it refuses again.
        let deleted = run_past_the_program(f, "DELETE FROM audit_event");
        assert!(deleted.is_err(), "the trail could be deleted after the guard was put back");
    });
}

#[test]
fn a_store_whose_movement_history_lost_its_guard_refuses_to_open_until_it_is_put_back() {
    each_backend(|f| {
        tamper(
            f,
            "DROP TRIGGER chart_movement_no_update;",
            "ALTER TABLE chart_movement DISABLE TRIGGER chart_movement_no_update;",
        );
        match open_anew(f) {
            Err(StoreError::Unprotected(what)) => {
                assert!(what.contains("chart_movement_no_update on chart_movement"), "{what}");
                assert!(!what.contains("audit_event"), "only what is missing is named: {what}");
            }
            other => panic!("a store whose movement history can be rewritten opened: {other:?}"),
        }
        let restored = restore(f);
        assert_eq!(restored.len(), 1, "{restored:?}");
        assert!(open_anew(f).is_ok(), "the store still refuses after its guard was put back");
        let rewritten = run_past_the_program(f, "UPDATE chart_movement SET movement_type = 'FOUND'");
        assert!(
            rewritten.as_ref().is_err_and(|e| e.contains("append-only")),
            "the movement history could be rewritten after its guard was put back: {rewritten:?}"
        );
    });
}

#[test]
fn a_store_whose_guard_was_narrowed_or_made_conditional_refuses_to_open() {
    // Each weakening keeps the trigger's name and its refusal, so a check of those alone passes it.
    let weakenings = [
        (
            "DROP TRIGGER audit_event_no_update;
             CREATE TRIGGER audit_event_no_update BEFORE UPDATE OF username ON audit_event
                 BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
            "DROP TRIGGER audit_event_no_update ON audit_event;
             CREATE TRIGGER audit_event_no_update BEFORE UPDATE OF username ON audit_event
                 FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();",
        ),
        (
            "DROP TRIGGER audit_event_no_update;
             CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event WHEN 0
                 BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
            "DROP TRIGGER audit_event_no_update ON audit_event;
             CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
                 FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION audit_event_append_only();",
        ),
        (
            "DROP TRIGGER audit_event_no_update;
             CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event WHEN false
                 BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;",
            "DROP TRIGGER audit_event_no_update ON audit_event;
             CREATE TRIGGER audit_event_no_update AFTER UPDATE ON audit_event
                 FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();",
        ),
    ];
    for (sqlite_sql, postgres_sql) in weakenings {
        each_backend(|f| {
            tamper(f, sqlite_sql, postgres_sql);
            match open_anew(f) {
                Err(StoreError::Unprotected(what)) => {
                    assert!(
                        what.contains("audit_event_no_update on audit_event no longer refuses every change"),
                        "{what}"
                    );
                }
                other => panic!("a store with a weakened guard opened ({sqlite_sql} / {postgres_sql}): {other:?}"),
            }
            let restored = restore(f);
            assert_eq!(restored.len(), 1, "{restored:?}");
            let rewritten = run_past_the_program(f, "UPDATE audit_event SET detail = 'x'");
            assert!(rewritten.is_err(), "the trail could be rewritten after its guard was put back");
        });
    }
}

#[test]
fn the_report_reads_by_patient_user_action_and_window() {
    each_backend(|f| {
        let store = &*f.store;
        let patient = store.patient_by_mrn(&chartroom::domain::mrn::Mrn::parse("100999").unwrap()).unwrap().unwrap();
        let at = |day: u32| Utc.with_ymd_and_hms(2025, 4, day, 12, 0, 0).unwrap();
        let event = |day: u32, user: &str, action: AuditAction, patient_id: Option<i64>| NewAuditEvent {
            at: at(day),
            username: user.into(),
            source: "ssh 203.0.113.5 (SSH_CONNECTION)".into(),
            action,
            entity: "patient".into(),
            entity_id: None,
            patient_id,
            provider_id: None,
            detail: format!("day {day}"),
        };
        let id = Some(patient.patient_id);
        store
            .append_audit_events(vec![
                event(1, "kwong", AuditAction::ViewPatient, id),
                event(2, "jdoe", AuditAction::Search, id),
                event(3, "kwong", AuditAction::BreakGlass, id),
                event(4, "kwong", AuditAction::ViewPatient, None),
                event(5, "jdoe", AuditAction::ViewPatient, id),
            ])
            .unwrap();
        let details = |query: AuditQuery| -> Vec<String> {
            store.audit_report(&query).unwrap().into_iter().map(|e| e.detail).collect()
        };
        let window = AuditQuery { from: Some(at(2)), until: Some(at(5)), limit: 100, ..AuditQuery::default() };
        assert_eq!(
            details(AuditQuery { patient_id: id, ..window.clone() }),
            ["day 2", "day 3"],
            "the patient's, from the first instant up to the last left out, oldest first"
        );
        assert_eq!(details(AuditQuery { username: Some("kwong".into()), ..window.clone() }), ["day 3", "day 4"]);
        assert_eq!(
            details(AuditQuery { action: Some(AuditAction::BreakGlass), limit: 100, ..AuditQuery::default() }),
            ["day 3"]
        );
        assert_eq!(details(AuditQuery { patient_id: id, limit: 2, ..AuditQuery::default() }), ["day 1", "day 2"]);
        let rows = store.audit_report(&AuditQuery { patient_id: id, limit: 1, ..AuditQuery::default() }).unwrap();
        assert_eq!(rows[0].patient_mrn.as_deref(), Some("100999"));
        assert_eq!(rows[0].source, "ssh 203.0.113.5 (SSH_CONNECTION)");
    });
}
