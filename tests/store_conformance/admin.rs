//! Users, facilities and providers, settings, the store's own facts, the audit trail, backups.

use super::{
    audit_since, audit_trail, common, details_since, each_backend, each_empty_backend, each_named_backend,
    fails_writing_nothing, noted,
};
use chartroom::domain::audit::AuditAction;
use chartroom::domain::chart::{FacilityKind, NewFacility};
use chartroom::domain::mrn::Mrn;
use chartroom::domain::role::Role;
use chartroom::store::{AuditFilter, NewUser, Page, PatientLookup, RecordBatch, StoreError};
use common::{event, patient};

fn new_user(username: &str, roles: &[Role]) -> NewUser {
    NewUser { username: username.into(), display_name: format!("{username} display"), roles: roles.to_vec() }
}

#[test]
fn a_user_is_found_by_name_as_added_and_each_change_is_audited_with_it() {
    each_backend(|f| {
        assert_eq!(f.store.user_by_name("rnew").unwrap(), None, "no such user yet");
        let before = audit_trail(&*f.store);
        let added = f.store.add_user(new_user("rnew", &[Role::Coder]), noted("user", "add rnew")).unwrap();
        assert_eq!((added.username.as_str(), added.display_name.as_str()), ("rnew", "rnew display"));
        assert_eq!((added.roles.clone(), added.enabled), (vec![Role::Coder], true));
        assert_eq!(f.store.user_by_name("rnew").unwrap().as_ref(), Some(&added), "read back as returned");
        assert_eq!(details_since(&*f.store, &before), ["add rnew"]);

        let before = audit_trail(&*f.store);
        let changed = f
            .store
            .set_user_roles("rnew", vec![Role::ChartAnalyst, Role::Supervisor], noted("user", "roles rnew"))
            .unwrap();
        assert_eq!(changed.roles, [Role::ChartAnalyst, Role::Supervisor]);
        assert_eq!(f.store.user_by_name("rnew").unwrap().unwrap().roles, changed.roles, "the old role is gone");
        let none = f.store.set_user_roles("rnew", vec![], noted("user", "no roles")).unwrap();
        assert!(none.roles.is_empty(), "a user may hold no role: {none:?}");
        assert_eq!(details_since(&*f.store, &before), ["roles rnew", "no roles"]);

        let before = audit_trail(&*f.store);
        let off = f.store.set_user_enabled("rnew", false, noted("user", "disable rnew")).unwrap();
        assert!(!off.enabled);
        assert!(!f.store.user_by_name("rnew").unwrap().unwrap().enabled);
        let on = f.store.set_user_enabled("rnew", true, noted("user", "enable rnew")).unwrap();
        assert!(on.enabled);
        assert_eq!((on.id, on.created_at), (added.id, added.created_at), "the same account throughout");
        assert_eq!(details_since(&*f.store, &before), ["disable rnew", "enable rnew"]);
        // The other accounts are untouched.
        assert_eq!(f.store.user_by_name("mlee").unwrap().unwrap().roles, [Role::ChartAnalyst]);
    });
}

#[test]
fn a_user_change_that_cannot_be_made_writes_nothing() {
    each_backend(|f| {
        let store = &*f.store;
        let jdoe = store.user_by_name("jdoe").unwrap().unwrap();
        let err = fails_writing_nothing(store, || store.add_user(new_user("jdoe", &[Role::Coder]), event("user")));
        assert!(matches!(err, StoreError::Duplicate(_)), "{err}");
        assert_eq!(store.user_by_name("jdoe").unwrap().unwrap(), jdoe, "the account held is unchanged");
        let err = fails_writing_nothing(store, || store.set_user_roles("nobody", vec![Role::Director], event("user")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        let err = fails_writing_nothing(store, || store.set_user_enabled("nobody", false, event("user")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        assert_eq!(store.user_by_name("nobody").unwrap(), None, "no account made on the way");
    });
}

#[test]
fn users_are_listed_by_name_each_once() {
    each_backend(|f| {
        let users = f.store.list_users().unwrap();
        let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
        let mut expected: Vec<&str> = chartroom::demo::USERS.iter().map(|(name, _, _)| *name).collect();
        expected.sort_unstable();
        assert_eq!(names, expected);
        let jdoe = users.iter().find(|u| u.username == "jdoe").unwrap();
        assert_eq!(jdoe.roles, [Role::HimClerk, Role::RoiSpecialist]);
        assert_eq!(Some(jdoe), f.store.user_by_name("jdoe").unwrap().as_ref(), "listed as found by name");
    });
}

#[test]
fn a_facility_is_added_listed_and_audited_and_a_code_is_taken_once() {
    each_backend(|f| {
        let store = &*f.store;
        let before = audit_trail(store);
        let facility =
            NewFacility::validate("NBH", "North Bank Hospital", "TX", FacilityKind::Hospital, "America/Chicago")
                .unwrap();
        let added = store.add_facility(facility, noted("facility", "add NBH")).unwrap();
        assert_eq!(
            (added.code.as_str(), added.name.as_str(), added.state.as_str(), added.kind, added.timezone.as_str()),
            ("NBH", "North Bank Hospital", "TX", FacilityKind::Hospital, "America/Chicago")
        );
        assert_eq!(details_since(store, &before), ["add NBH"]);
        let listed = store.list_facilities().unwrap();
        assert_eq!(listed.last(), Some(&added), "listed in the order added: {listed:?}");
        assert_eq!(listed.len(), 5);
        let ids: std::collections::BTreeSet<i64> = listed.iter().map(|x| x.id).collect();
        assert_eq!(ids.len(), 5, "each its own id");

        let again =
            NewFacility::validate("NBH", "Another", "CA", FacilityKind::Practice, "America/Los_Angeles").unwrap();
        let err = fails_writing_nothing(store, || store.add_facility(again, event("facility")));
        assert!(matches!(err, StoreError::Duplicate(_)), "{err}");
        assert_eq!(store.list_facilities().unwrap(), listed, "nothing changed");
    });
}

#[test]
fn providers_come_a_page_at_a_time_by_name_and_are_found_by_npi() {
    each_backend(|f| {
        let whole = f.store.list_providers(Page::first(10_000)).unwrap();
        assert!(whole.len() > 10, "the scenario's staff: {}", whole.len());
        let at = |family: &str| whole.iter().position(|p| p.family == family).unwrap();
        assert!(at("Okafor") < at("Patel") && at("Patel") < at("Reyes"), "listed by name");
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let page = f.store.list_providers(Page { offset, limit: 7 }).unwrap();
            assert!(page.len() <= 7);
            if page.is_empty() {
                break;
            }
            offset += page.len();
            paged.extend(page);
        }
        assert_eq!(paged, whole, "the pages, joined, are the whole list");

        let patel = f.store.provider_by_npi("1000000001").unwrap().unwrap();
        assert_eq!((patel.family.as_str(), patel.given.as_str()), ("Patel", "Alice"));
        assert!(whole.contains(&patel));
        let reyes = f.store.provider_by_npi("1000000003").unwrap().unwrap();
        assert!(reyes.is_resident);
        assert_eq!(reyes.supervisor_id, Some(patel.id), "a resident names the attending supervising her");
        assert_eq!(f.store.provider_by_npi("1999999999").unwrap(), None);
    });
}

#[test]
fn a_setting_is_written_once_by_init_and_replaced_only_by_put_with_its_audit_event() {
    each_backend(|f| {
        let store = &*f.store;
        assert_eq!(store.setting("ssn_key_check").unwrap(), None);
        let before = audit_trail(store);
        store.init_setting("ssn_key_check", "first").unwrap();
        store.init_setting("ssn_key_check", "second").unwrap();
        assert_eq!(store.setting("ssn_key_check").unwrap().as_deref(), Some("first"), "never replaced by init");

        store.put_setting("ssn_key_check", "third", Some(noted("store_setting", "put third"))).unwrap();
        assert_eq!(store.setting("ssn_key_check").unwrap().as_deref(), Some("third"), "replaced by put");
        assert_eq!(details_since(store, &before), ["put third"]);

        let before = audit_trail(store);
        store.put_setting("fresh_key", "new", None).unwrap();
        assert_eq!(store.setting("fresh_key").unwrap().as_deref(), Some("new"), "put makes a setting too");
        assert!(audit_since(store, &before).is_empty(), "no event asked, none written");
        store.init_setting("fresh_key", "ignored").unwrap();
        assert_eq!(store.setting("fresh_key").unwrap().as_deref(), Some("new"));
        // Values are kept as given.
        store.put_setting("spaced", "  a value, with ; and 'quotes'  ", None).unwrap();
        assert_eq!(store.setting("spaced").unwrap().as_deref(), Some("  a value, with ; and 'quotes'  "));
    });
}

#[test]
fn a_new_store_says_it_is_empty_and_real() {
    each_empty_backend(|f| {
        let info = f.store.info().unwrap();
        assert!(info.schema_version > 0, "{info:?}");
        assert_eq!((info.is_demo, info.has_real_data, info.patient_count), (false, false, 0));
        assert!(info.facilities.is_empty());
    });
}

#[test]
fn the_store_counts_its_patients_and_says_whether_they_are_demo_data() {
    each_named_backend(|name, f| {
        let store = &*f.store;
        let info = store.info().unwrap();
        // The demo's four fixture patients and the five of `common::populate`.
        assert_eq!(info.patient_count, 9);
        assert!(!info.is_demo);
        assert!(info.has_real_data, "patients demo did not make");
        assert_eq!(info.facilities, store.list_facilities().unwrap());

        // A batch refused whole makes no patient; a backend whose ids come from a sequence may have
        // drawn numbers for it (the count is then of ids made), but never fewer than the patients.
        let mut batch = RecordBatch::default();
        batch.patients.push(patient("3100001", "Counted", "Not", "", (1990, 1, 1), None));
        batch.patients.push(patient("100234", "Duplicate", "Mrn", "", (1990, 1, 1), None));
        store.insert_batch(batch, event("batch")).unwrap_err();
        let after_refused = store.info().unwrap().patient_count;
        if name == "sqlite" {
            assert_eq!(after_refused, 9);
        }
        assert!((9..=11).contains(&after_refused), "{after_refused}");
        let mut batch = RecordBatch::default();
        batch.patients.push(patient("3100002", "Counted", "Yes", "", (1990, 1, 1), None));
        store.insert_batch(batch, event("batch")).unwrap();
        let after_made = store.info().unwrap().patient_count;
        assert!(after_made > after_refused && after_made <= after_refused + 1 + 2, "{after_made}");

        let before = audit_trail(store);
        store.mark_demo(noted("store", "marked demo")).unwrap();
        assert_eq!(details_since(store, &before), ["marked demo"]);
        let info = store.info().unwrap();
        assert!(info.is_demo);
        assert!(!info.has_real_data, "a demo store's patients are the demo's");
        assert_eq!(info.patient_count, after_made);
    });
}

#[test]
fn the_audit_trail_is_filtered_by_patient_provider_and_user_newest_first_and_limited() {
    each_backend(|f| {
        let store = &*f.store;
        let garcia = store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap();
        let smith = store.patient_by_mrn(&Mrn::parse("100234").unwrap()).unwrap().unwrap();
        let patel = store.provider_by_npi("1000000001").unwrap().unwrap();
        let okafor = store.provider_by_npi("1000000002").unwrap().unwrap();
        let write = |detail: &str, username: &str, patient: Option<i64>, provider: Option<i64>| {
            let mut audit = noted("test", detail);
            audit.action = AuditAction::ViewPatient;
            audit.username = username.into();
            audit.patient_id = patient;
            audit.provider_id = provider;
            store.append_audit(audit).unwrap();
        };
        write("g1", "jdoe", Some(garcia.patient_id), None);
        write("s1", "mlee", Some(smith.patient_id), Some(patel.id));
        write("g2", "mlee", Some(garcia.patient_id), Some(okafor.id));
        write("p1", "jdoe", None, Some(patel.id));
        write("g3", "jdoe", Some(garcia.patient_id), Some(patel.id));

        let details = |filter: AuditFilter| -> Vec<String> {
            store.list_audit(&filter).unwrap().into_iter().map(|e| e.detail).collect()
        };
        let limit = 100;
        assert_eq!(
            details(AuditFilter { patient_id: Some(garcia.patient_id), limit, ..Default::default() }),
            ["g3", "g2", "g1"]
        );
        assert_eq!(
            details(AuditFilter { provider_id: Some(patel.id), limit, ..Default::default() }),
            ["g3", "p1", "s1"]
        );
        assert_eq!(details(AuditFilter { username: Some("mlee".into()), limit, ..Default::default() }), ["g2", "s1"]);
        assert_eq!(
            details(AuditFilter {
                patient_id: Some(garcia.patient_id),
                provider_id: Some(patel.id),
                username: Some("jdoe".into()),
                action: None,
                entity: None,
                limit,
            }),
            ["g3"],
            "filters combine"
        );
        assert_eq!(
            details(AuditFilter { patient_id: Some(garcia.patient_id), limit: 2, ..Default::default() }),
            ["g3", "g2"]
        );
        assert_eq!(details(AuditFilter { limit: 1, ..Default::default() }), ["g3"], "the newest");
        let newest = store.list_audit(&AuditFilter { limit: 1, ..Default::default() }).unwrap().pop().unwrap();
        assert_eq!(newest.patient_mrn.as_deref(), Some("204511"), "the patient named by MRN");
        assert_eq!(newest.provider_npi.as_deref(), Some("1000000001"), "the physician named by NPI");
        assert_eq!(
            (newest.action, newest.at, newest.source.as_str()),
            (AuditAction::ViewPatient, common::clock().now, "local")
        );
        assert!(newest.entity_id.is_none());
        let all = audit_trail(store);
        assert!(all.windows(2).all(|w| w[0].id < w[1].id), "ids grow with time");
        // By what the event is about: a user's wrong signature codes, among other refusals.
        let mut code = noted("signature_code", "c1");
        code.username = "jdoe".into();
        store.append_audit(code).unwrap();
        write("g4", "jdoe", None, None);
        let about = |entity: &str| AuditFilter {
            username: Some("jdoe".into()),
            entity: Some(entity.into()),
            limit: 2,
            ..Default::default()
        };
        assert_eq!(details(about("signature_code")), ["c1"]);
        assert_eq!(details(about("test")), ["g4", "g3"]);
    });
}

#[test]
fn a_backup_is_the_engines_own_and_audited_or_refused_naming_the_tool_that_makes_one() {
    each_named_backend(|backend, f| {
        let store = &*f.store;
        let destination = f.dir.path().join("copy.db");
        let mut audit = noted("store", "backup");
        audit.action = AuditAction::Backup;
        if backend == "sqlite" {
            let before = audit_trail(store);
            store.backup_to(&destination, audit).unwrap();
            assert_eq!(details_since(store, &before), ["backup"]);
            let copy = chartroom::store::sqlite::SqliteStore::open(&destination).unwrap();
            use chartroom::store::Store;
            let found = copy.search_patients(&PatientLookup::Mrn(Mrn::parse("204511").unwrap()), Page::first(1));
            assert_eq!(found.unwrap().rows.len(), 1);
            assert_eq!(copy.info().unwrap().patient_count, store.info().unwrap().patient_count);
            assert_eq!(copy.list_users().unwrap(), store.list_users().unwrap());
            drop(copy);
            let written = std::fs::read(&destination).unwrap();
            let err = fails_writing_nothing(store, || store.backup_to(&destination, event("store")));
            assert!(matches!(err, StoreError::Duplicate(_)), "never overwrites a file: {err}");
            assert_eq!(std::fs::read(&destination).unwrap(), written, "the file there is left as it was");
        } else {
            // A server's backup is the server's own tool: the store says which, and writes nothing.
            let tool = match backend {
                b if b.starts_with("postgres") => "pg_dump",
                other => panic!("which tool backs up a {other} store? Teach this test"),
            };
            let err = fails_writing_nothing(store, || store.backup_to(&destination, audit));
            assert!(err.to_string().contains(tool), "the refusal names {tool}: {err}");
            assert!(!destination.exists(), "no file written");
        }
    });
}

/// A user's own patient record and signature code hash are written as told, each with its audit
/// event, read back, and refused whole for an account that is not there.
#[test]
fn a_users_own_record_and_signature_hash_are_kept_with_their_events() {
    each_backend(|f| {
        let store = &*f.store;
        let garcia = store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap();
        let before = audit_trail(store);
        let linked = store.link_user_patient("jdoe", Some(garcia.patient_id), noted("user", "link jdoe")).unwrap();
        assert_eq!(linked.patient_id, Some(garcia.patient_id));
        assert_eq!(store.user_by_name("jdoe").unwrap().unwrap().patient_id, Some(garcia.patient_id));
        let unlinked = store.link_user_patient("jdoe", None, noted("user", "unlink jdoe")).unwrap();
        assert_eq!(unlinked.patient_id, None);

        assert_eq!(store.signature_hash("jdoe").unwrap(), None, "none set yet");
        assert!(!store.user_by_name("jdoe").unwrap().unwrap().has_signature);
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
        store.set_signature_hash("jdoe", Some(hash), noted("user", "signature jdoe")).unwrap();
        assert_eq!(store.signature_hash("jdoe").unwrap().as_deref(), Some(hash));
        assert!(store.user_by_name("jdoe").unwrap().unwrap().has_signature);
        assert_eq!(store.signature_hash("mlee").unwrap(), None, "another account's is its own");
        assert_eq!(details_since(store, &before), ["link jdoe", "unlink jdoe", "signature jdoe"]);
        store.set_signature_hash("jdoe", None, noted("user", "cleared jdoe")).unwrap();
        assert_eq!(store.signature_hash("jdoe").unwrap(), None, "cleared");
        assert!(!store.user_by_name("jdoe").unwrap().unwrap().has_signature);

        let err = fails_writing_nothing(store, || store.set_signature_hash("nobody", Some(hash), event("user")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        let err =
            fails_writing_nothing(store, || store.link_user_patient("nobody", Some(garcia.patient_id), event("user")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        assert_eq!(store.signature_hash("nobody").unwrap(), None);
    });
}
