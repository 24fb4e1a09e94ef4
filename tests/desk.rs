//! Desk use cases: who may do what, and what each leaves in the audit trail.

mod common;

use chartroom::desk::{Desk, DeskError};
use chartroom::domain::audit::AuditAction;
use chartroom::domain::query::QueryShape;
use chartroom::domain::role::{Permission, Role};
use chartroom::store::{AuditFilter, Page};
use common::{clock, desk_for, key, scenarios};

fn audit(fixture: &common::Fixture) -> Vec<chartroom::domain::audit::AuditEvent> {
    fixture.store.list_audit(&AuditFilter { limit: 10_000, ..Default::default() }).unwrap()
}

#[test]
fn an_account_without_a_chartroom_user_gets_nothing() {
    for f in scenarios() {
        let err = Desk::sign_in(f.store.clone(), "mallory", "local".into(), key(), clock()).err().unwrap();
        assert!(err.to_string().contains("not a chartroom user"), "{err}");
        let dhim = desk_for(&f, "dhim");
        dhim.set_user_enabled("jdoe", false).unwrap();
        let err = Desk::sign_in(f.store.clone(), "jdoe", "local".into(), key(), clock()).err().unwrap();
        assert!(err.to_string().contains("disabled"), "{err}");
    }
}

#[test]
fn as01_search_then_open_writes_search_and_view_events() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        let before = audit(&f).len();
        let outcome = jdoe.search("S4821", Page::first(50)).unwrap();
        assert_eq!(outcome.shape, Some(QueryShape::InitialLast4));
        assert_eq!(outcome.page.rows.len(), 1);
        assert_eq!(audit(&f).len(), before, "searching alone writes nothing: a search is audited once it settles");
        jdoe.record_search(QueryShape::InitialLast4, 1, false).unwrap();
        assert_eq!(audit(&f).len(), before + 1, "the settled search is one event");
        let chart = jdoe.open_chart(outcome.page.rows[0].patient_id).unwrap();
        assert_eq!(chart.patient.mrn.as_str(), "100234");
        let events = audit(&f);
        let search = events.iter().find(|e| e.action == AuditAction::Search).unwrap();
        assert_eq!(search.detail, "shape=INITIAL+LAST4 results=1");
        assert_eq!(search.username, "jdoe");
        assert_eq!(search.source, "ssh 203.0.113.5");
        let view = events.iter().find(|e| e.action == AuditAction::ViewPatient).unwrap();
        assert_eq!(view.patient_mrn.as_deref(), Some("100234"));
    }
}

#[test]
fn a_full_ssn_search_never_leaves_its_digits_in_the_audit_trail() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        let outcome = jdoe.search("123-45-4821", Page::first(50)).unwrap();
        assert_eq!(outcome.shape, Some(QueryShape::Ssn));
        assert_eq!(outcome.page.rows[0].mrn.as_str(), "100234");
        jdoe.record_search(QueryShape::Ssn, 1, false).unwrap();
        for event in audit(&f) {
            assert!(!event.detail.contains("4821") && !event.detail.contains("12345"), "{event:?}");
        }
    }
}

#[test]
fn unrecognised_input_is_explained_not_searched() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        let outcome = jdoe.search("12345", Page::first(50)).unwrap();
        assert_eq!(outcome.shape, None);
        assert!(outcome.problem.unwrap().contains("6 to 8"));
        assert!(jdoe.search("", Page::first(50)).unwrap().page.rows.is_empty());
    }
}

#[test]
fn find_refuses_what_starts_like_an_mrn_instead_of_searching_a_name() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        // 204511 is GARCIA; read as a name, `204511x` would have listed patients named X….
        let outcome = jdoe.search("204511x", Page::first(50)).unwrap();
        assert_eq!(outcome.shape, None);
        assert!(outcome.page.rows.is_empty());
        assert_eq!(outcome.problem.as_deref(), Some("204511x: not an MRN (digits only) — did you mean 204511?"));
        // An impossible birth date beside a name is never dropped to search the name alone.
        let outcome = jdoe.search("smith 13/45/61", Page::first(50)).unwrap();
        assert!(outcome.page.rows.is_empty(), "no SMITH listed for an impossible date");
        assert_eq!(outcome.problem.as_deref(), Some("13/45/61: there is no month 13"));
    }
}

#[test]
fn a_queue_filter_value_no_item_can_carry_is_refused_with_the_known_ones() {
    use chartroom::desk::queue_filter::FilterKey;
    use chartroom::store::QueueFilter;
    for f in scenarios() {
        let dhim = desk_for(&f, "dhim");
        let refused = |key: FilterKey, value: &str| {
            dhim.queue_filter(QueueFilter::default(), &[(key, value.into())]).unwrap_err().to_string()
        };
        let err = refused(FilterKey::Type, "BOGUS");
        assert!(err.starts_with("no deficiency type \"BOGUS\"; known: "), "{err}");
        assert!(err.contains("DS-D"), "{err}");
        let err = refused(FilterKey::Facility, "NOPE");
        assert!(err.starts_with("no facility \"NOPE\"; known: ") && err.contains("RGH"), "{err}");
        let err = refused(FilterKey::Category, "NOPE");
        assert!(err.starts_with("no category \"NOPE\"; known: "), "{err}");
        let err = refused(FilterKey::Service, "NOPE");
        assert!(err.starts_with("no service \"NOPE\"; known: "), "{err}");
        let err = refused(FilterKey::Status, "DONE");
        assert!(err.contains("OPEN") && err.contains("COMPLETED"), "{err}");
        assert_eq!(refused(FilterKey::Mrn, "999999"), "no patient has MRN 999999");
        assert!(refused(FilterKey::Mrn, "12x").contains("6 to 8 digits"));

        // Known values are taken in any case and kept in the store's spelling.
        let filter = dhim
            .queue_filter(
                QueueFilter::default(),
                &[
                    (FilterKey::Type, "ds-d".into()),
                    (FilterKey::Facility, "rgh".into()),
                    (FilterKey::Mrn, "204511".into()),
                ],
            )
            .unwrap();
        assert_eq!(filter.type_code.as_deref(), Some("DS-D"));
        assert_eq!(filter.facility.as_deref(), Some("RGH"));
        assert_eq!(filter.mrn.as_ref().map(|m| m.as_str()), Some("204511"));
        // The clerk without queue rights is told so, not shown an empty list.
        let clerk = desk_for(&f, "jdoe");
        assert!(matches!(clerk.queue_filter(QueueFilter::default(), &[]), Err(DeskError::Forbidden { .. })));
    }
}

#[test]
fn permissions_are_checked_per_action() {
    for f in scenarios() {
        let coder = desk_for(&f, "cody");
        assert!(matches!(
            coder.add_user("x", None, vec![Role::Coder]),
            Err(DeskError::Forbidden { permission: Permission::AdministerUsers, .. })
        ));
        assert!(matches!(coder.list_audit(None, None, 10), Err(DeskError::Forbidden { .. })));
        let mso = desk_for(&f, "msoffice");
        assert!(matches!(mso.search("smith", Page::first(5)), Err(DeskError::Forbidden { .. })));
        let privacy = desk_for(&f, "pofc");
        assert!(privacy.list_audit(Some("204511"), None, 10).is_ok());
        let err = desk_for(&f, "jdoe").backup(&f.dir.path().join("b.db")).unwrap_err();
        assert!(err.to_string().contains("may not administer the store"), "{err}");
    }
}

#[test]
fn the_director_administers_users_and_every_change_is_audited() {
    for f in scenarios() {
        let dhim = desk_for(&f, "dhim");
        let added = dhim.add_user("rnew", Some("R. New"), vec![Role::HimClerk]).unwrap();
        assert_eq!(added.display_name, "R. New");
        dhim.set_user_roles("rnew", vec![Role::RoiSpecialist]).unwrap();
        dhim.set_user_enabled("rnew", false).unwrap();
        let events: Vec<_> = audit(&f).into_iter().filter(|e| e.entity_id.as_deref() == Some("rnew")).collect();
        let details: Vec<_> = events.iter().rev().map(|e| (e.action, e.detail.as_str())).collect();
        assert_eq!(
            details,
            [
                (AuditAction::Create, "roles=him_clerk"),
                (AuditAction::Update, "roles him_clerk -> roi_specialist"),
                (AuditAction::Update, "enabled true -> false"),
            ]
        );
        assert!(dhim.add_user("bad name", None, vec![Role::Coder]).is_err());
        assert!(dhim.add_user("noroles", None, vec![]).is_err());
    }
}

#[test]
fn the_last_director_cannot_be_removed() {
    for f in scenarios() {
        let dhim = desk_for(&f, "dhim");
        let err = dhim.set_user_roles("dhim", vec![Role::HimClerk]).unwrap_err();
        assert!(err.to_string().contains("last enabled director"), "{err}");
        assert!(dhim.set_user_enabled("dhim", false).is_err());
        dhim.add_user("deputy", None, vec![Role::Director]).unwrap();
        dhim.set_user_roles("dhim", vec![Role::HimClerk, Role::Director]).unwrap();
        assert!(dhim.set_user_enabled("dhim", false).is_ok(), "with a second director it is allowed");
    }
}

#[test]
fn an_unknown_mrn_is_one_clear_message() {
    for f in scenarios() {
        let err = desk_for(&f, "jdoe").open_chart_by_mrn("999999").unwrap_err();
        assert_eq!(err.to_string(), "no patient has MRN 999999");
    }
}

#[test]
fn the_demo_refuses_a_store_with_real_patients() {
    for f in scenarios() {
        let dhim = desk_for(&f, "dhim");
        let options = chartroom::demo::DemoOptions { patients: 10, seed: 1, today: common::today() };
        let err = chartroom::demo::populate(&dhim, &key(), &options, &mut |_, _| {}).unwrap_err();
        assert!(matches!(err, chartroom::demo::DemoError::RealData), "{err}");
        let clerk = desk_for(&f, "jdoe");
        assert!(chartroom::demo::populate(&clerk, &key(), &options, &mut |_, _| {}).is_err(), "only a director may");
    }
}

#[test]
fn a_demo_of_no_patients_is_refused_before_anything_is_written() {
    for f in common::on_each_backend(|_| {}) {
        chartroom::desk::ensure_founder(&*f.store, "dhim", "local", common::clock().now).unwrap();
        let dhim = desk_for(&f, "dhim");
        let options = chartroom::demo::DemoOptions { patients: 0, seed: 1, today: common::today() };
        let err = chartroom::demo::populate(&dhim, &key(), &options, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.to_string(), "a demo makes at least 1 patient");
        let info = f.store.info().unwrap();
        assert!(!info.is_demo && info.patient_count == 0 && info.facilities.is_empty(), "{info:?}");
    }
}
