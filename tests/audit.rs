//! The audit trail at the desk (issue 12): refusals recorded, reading the trail recorded, the chain
//! verified, and the privacy officer's reports — on every backend.

mod common;

use chartroom::desk::DeskError;
use chartroom::domain::audit::{AuditAction, AuditEvent};
use chartroom::domain::query::QueryShape;
use chartroom::store::{AuditFilter, Page};
use common::{desk_for, scenarios, today};

fn trail(fixture: &common::Fixture) -> Vec<AuditEvent> {
    let mut events = fixture.store.list_audit(&AuditFilter { limit: 100_000, ..Default::default() }).unwrap();
    events.reverse();
    events
}

fn since(fixture: &common::Fixture, before: &[AuditEvent]) -> Vec<AuditEvent> {
    let last = before.last().map_or(i64::MIN, |e| e.id);
    trail(fixture).into_iter().filter(|e| e.id > last).collect()
}

#[test]
fn a_clerk_refused_a_directors_action_leaves_an_access_denied_event() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        let before = trail(&f);
        let refused = jdoe.add_user("mallory", None, vec![chartroom::domain::role::Role::Director]);
        assert!(matches!(refused, Err(DeskError::Forbidden { .. })), "{refused:?}");
        let written = since(&f, &before);
        assert_eq!(written.len(), 1, "{written:#?}");
        let denied = &written[0];
        assert_eq!(denied.action, AuditAction::AccessDenied);
        assert_eq!(denied.username, "jdoe");
        assert_eq!(denied.source, "ssh 203.0.113.5");
        assert_eq!(denied.detail, "refused: administer users (needs director)");
        // Reading the trail is refused to a clerk too, and that refusal is recorded as well.
        assert!(matches!(jdoe.verify_audit(None), Err(DeskError::Forbidden { .. })));
        let last = trail(&f).pop().unwrap();
        assert_eq!(
            (last.action, last.detail.as_str()),
            (AuditAction::AccessDenied, "refused: read the audit trail (needs director or privacy_officer)")
        );
    }
}

#[test]
fn reading_the_trail_is_itself_recorded() {
    for f in scenarios() {
        let pofc = desk_for(&f, "pofc");
        let before = trail(&f);
        pofc.list_audit(Some("100234"), None, 10).unwrap();
        pofc.verify_audit(None).unwrap();
        pofc.audit_access_report("100234", today(), today()).unwrap();
        pofc.audit_user_report("jdoe", today(), today()).unwrap();
        pofc.break_glass_events(None).unwrap();
        let reads = since(&f, &before);
        assert_eq!(reads.len(), 5, "{reads:#?}");
        for read in &reads {
            assert_eq!(
                (read.action, read.entity.as_str(), read.username.as_str()),
                (AuditAction::Search, "audit", "pofc")
            );
        }
        assert_eq!(reads[0].patient_mrn.as_deref(), Some("100234"), "a listing by patient names the patient");
        assert_eq!(reads[2].patient_mrn.as_deref(), Some("100234"), "an access report names the patient");
        assert_eq!(reads[3].entity_id.as_deref(), Some("jdoe"), "a user report names the user");
        assert!(reads[1].detail.starts_with("verified the chain"), "{}", reads[1].detail);
    }
}

#[test]
fn verify_walks_the_whole_chain_and_counts_it() {
    for f in scenarios() {
        let dhim = desk_for(&f, "dhim");
        let total = f.store.audit_count().unwrap();
        let report = dhim.verify_audit(None).unwrap();
        assert!(report.is_whole(), "{report:?}");
        assert_eq!((report.total, report.checked), (total, total as u64));
        // The read it recorded is in the chain too.
        let again = dhim.verify_audit(None).unwrap();
        assert_eq!(again.checked, total as u64 + 1);
    }
}

#[test]
fn the_access_report_lists_every_search_result_view_and_break_of_the_glass_of_one_patient() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        let outcome = jdoe.search("S4821", Page::first(50)).unwrap();
        jdoe.record_search_shown(QueryShape::InitialLast4, &outcome.page.rows, false).unwrap();
        let patient_id = outcome.page.rows[0].patient_id;
        jdoe.open_chart(patient_id).unwrap();
        // Another patient's view is not in the report.
        let other = jdoe.search("100999", Page::first(5)).unwrap();
        jdoe.open_chart(other.page.rows[0].patient_id).unwrap();
        let mut glass = jdoe.audit_event(AuditAction::BreakGlass, "patient", "reason: continuing care".into());
        glass.patient_id = Some(patient_id);
        f.store.append_audit(glass).unwrap();

        let pofc = desk_for(&f, "pofc");
        let report = pofc.audit_access_report("100234", today(), today()).unwrap();
        assert!(!report.truncated);
        let rows: Vec<(AuditAction, &str, &str)> =
            report.events.iter().map(|e| (e.action, e.username.as_str(), e.detail.as_str())).collect();
        assert_eq!(
            rows,
            [
                (AuditAction::Search, "jdoe", "shown in a search: shape=INITIAL+LAST4 row 1 of 1"),
                (AuditAction::ViewPatient, "jdoe", ""),
                (AuditAction::BreakGlass, "jdoe", "reason: continuing care"),
            ]
        );
        assert!(report.events.iter().all(|e| e.patient_mrn.as_deref() == Some("100234") && !e.source.is_empty()));
        // The day before holds none of it; an unknown MRN and a backwards range are refused.
        let yesterday = today().pred_opt().unwrap();
        assert!(pofc.audit_access_report("100234", yesterday, yesterday).unwrap().events.is_empty());
        let unknown = pofc.audit_access_report("999999", today(), today()).unwrap_err();
        assert!(unknown.to_string().contains("no patient has MRN 999999"), "{unknown}");
        let backwards = pofc.audit_access_report("100234", today(), yesterday).unwrap_err();
        assert!(backwards.to_string().contains("ends"), "{backwards}");

        let glass = pofc.break_glass_events(Some(today())).unwrap();
        assert_eq!(glass.events.len(), 1);
        assert_eq!(glass.events[0].detail, "reason: continuing care");
        assert!(pofc.break_glass_events(today().succ_opt()).unwrap().events.is_empty());

        let jdoes = pofc.audit_user_report("jdoe", today(), today()).unwrap();
        assert!(jdoes.events.iter().all(|e| e.username == "jdoe"));
        assert!(jdoes.events.len() >= 5, "{:#?}", jdoes.events);
        assert!(pofc.audit_user_report("nobody", today(), today()).is_err());
    }
}

#[test]
fn a_refusal_stands_when_its_event_cannot_be_written() {
    for f in scenarios() {
        // Every append to the trail now fails, as on a full disk.
        let block = "CREATE TRIGGER audit_event_blocked BEFORE INSERT ON audit_event
                         BEGIN SELECT RAISE(ABORT, 'disk full'); END;";
        match &f.pg {
            Some(database) => {
                common::pg::exec(
                    database,
                    "CREATE FUNCTION audit_blocked() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN RAISE EXCEPTION 'disk full'; END $$;
                     CREATE TRIGGER audit_event_blocked BEFORE INSERT ON audit_event
                         FOR EACH ROW EXECUTE FUNCTION audit_blocked();",
                )
                .unwrap();
            }
            None => {
                rusqlite::Connection::open(f.dir.path().join("chartroom.db")).unwrap().execute_batch(block).unwrap()
            }
        }
        let cody = desk_for(&f, "cody");
        assert!(cody.store().append_audit(cody.audit_event(AuditAction::Search, "probe", String::new())).is_err());
        match cody.list_users() {
            Err(DeskError::Forbidden { user, .. }) => assert_eq!(user, "cody"),
            other => panic!("the refusal was hidden by the failed event: {other:?}"),
        }
    }
}
