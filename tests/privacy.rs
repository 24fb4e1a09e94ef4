//! Who is at the keyboard, through the desk on both engines (AS-03): breaking the glass of a
//! restricted chart, the own record refused, the signature code, the lock, the privacy list.

mod common;

use chartroom::desk::DeskError;
use chartroom::desk::privacy::LockReason;
use chartroom::domain::audit::{AuditAction, AuditEvent};
use chartroom::domain::mrn::Mrn;
use chartroom::store::AuditFilter;
use common::{desk_for, scenarios};

fn events(f: &common::Fixture, action: AuditAction) -> Vec<AuditEvent> {
    f.store.list_audit(&AuditFilter { action: Some(action), limit: 1000, ..Default::default() }).unwrap()
}

fn nguyen_id(f: &common::Fixture) -> i64 {
    f.store.patient_by_mrn(&Mrn::parse("300120").unwrap()).unwrap().unwrap().patient_id
}

#[test]
fn as03_a_restricted_chart_opens_only_past_a_reason_and_the_signature_code() {
    for f in scenarios() {
        let nguyen = nguyen_id(&f);
        let jdoe = desk_for(&f, "jdoe");
        let err = jdoe.open_chart(nguyen).unwrap_err();
        assert!(
            matches!(&err, DeskError::SensitiveChart { patient_id, name } if *patient_id == nguyen && name == "NGUYEN, THANH"),
            "{err:?}"
        );
        assert!(err.to_string().contains("restricted"), "{err}");
        // No code set yet: told how to set one.
        let err = jdoe.break_glass(nguyen, "ROI request 2025-03-03", "tulip42").unwrap_err();
        assert!(err.to_string().contains("chartroom user signature"), "{err}");
        assert!(jdoe.set_signature("111111").unwrap_err().to_string().contains("repeated"));
        assert!(jdoe.set_signature("abc").is_err());
        jdoe.set_signature("tulip42").unwrap();
        assert!(jdoe.user().username == "jdoe" && jdoe.current_user().unwrap().has_signature);
        let stored = f.store.signature_hash("jdoe").unwrap().unwrap();
        assert!(stored.starts_with("$argon2id$") && !stored.contains("tulip42"), "{stored}");
        // A reason of one word, a wrong code: refused, nothing written.
        assert!(jdoe.break_glass(nguyen, "roi", "tulip42").unwrap_err().to_string().contains("3 words"));
        assert!(matches!(
            jdoe.break_glass(nguyen, "ROI request 2025-03-03", "tulip43"),
            Err(DeskError::WrongSignature)
        ));
        assert!(events(&f, AuditAction::BreakGlass).is_empty());
        // Broken: the event carries the reason, and the chart opens — again without asking.
        jdoe.break_glass(nguyen, "ROI request  2025-03-03", "tulip42").unwrap();
        let broken = events(&f, AuditAction::BreakGlass);
        assert_eq!(broken.len(), 1);
        assert_eq!(broken[0].detail, "ROI request 2025-03-03 (EMPLOYEE)");
        assert_eq!((broken[0].username.as_str(), broken[0].patient_id), ("jdoe", Some(nguyen)));
        assert_eq!(jdoe.open_chart(nguyen).unwrap().patient.mrn.as_str(), "300120");
        assert_eq!(jdoe.open_chart(nguyen).unwrap().patient.mrn.as_str(), "300120");
        // The next session asks again.
        let again = desk_for(&f, "jdoe");
        assert!(matches!(again.open_chart(nguyen), Err(DeskError::SensitiveChart { .. })));
        // A chart that is not restricted needs no glass broken, and gets none.
        let garcia = f.store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap().patient_id;
        assert!(jdoe.open_chart(garcia).is_ok());
        assert!(jdoe.break_glass(garcia, "ROI request 2025-03-03", "tulip42").is_err());
        // By MRN, as the command line does.
        let chart = again.open_chart_by_mrn_with_reason("300120", "coding query for the DRG", "tulip42").unwrap();
        assert_eq!(chart.patient.patient_id, nguyen);
        assert_eq!(events(&f, AuditAction::BreakGlass).len(), 2);
    }
}

#[test]
fn as03_a_clerk_is_refused_her_own_record_and_the_refusal_is_recorded() {
    for f in scenarios() {
        let nguyen = nguyen_id(&f);
        let tnguyen = desk_for(&f, "tnguyen");
        // Linking is the director's.
        assert!(matches!(tnguyen.link_user("tnguyen", Some("300120")), Err(DeskError::Forbidden { .. })));
        let dhim = desk_for(&f, "dhim");
        assert!(dhim.link_user("tnguyen", Some("999999")).unwrap_err().to_string().contains("no patient"));
        let linked = dhim.link_user("tnguyen", Some("300120")).unwrap();
        assert_eq!(linked.patient_id, Some(nguyen));
        tnguyen.set_signature("orchid77").unwrap();
        let err = tnguyen.open_chart(nguyen).unwrap_err();
        assert_eq!(err.to_string(), "You may not access your own record; contact the Privacy Office");
        // No reason breaks that glass.
        assert!(matches!(tnguyen.break_glass(nguyen, "I need my own labs", "orchid77"), Err(DeskError::OwnRecord)));
        let denied = events(&f, AuditAction::AccessDenied);
        // Her try at linking is refused and recorded like any other refusal; then her record, twice.
        let (own, refused): (Vec<_>, Vec<_>) = denied.iter().partition(|e| e.entity == "patient");
        assert_eq!(
            refused.iter().map(|e| (e.username.as_str(), e.detail.as_str())).collect::<Vec<_>>(),
            [("tnguyen", "refused: administer users (needs director)")]
        );
        assert_eq!(own.len(), 2, "{denied:?}");
        assert!(
            own.iter().all(|e| e.username == "tnguyen" && e.patient_id == Some(nguyen) && e.detail == "own record")
        );
        assert!(events(&f, AuditAction::BreakGlass).is_empty());
        // Another clerk may, past the warning; and once unlinked, so may she.
        dhim.link_user("tnguyen", None).unwrap();
        assert!(matches!(tnguyen.open_chart(nguyen), Err(DeskError::SensitiveChart { .. })));
    }
}

#[test]
fn the_lock_and_the_unlock_are_recorded_and_the_privacy_office_lists_the_breaks() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        assert!(matches!(jdoe.unlock("tulip42"), Err(DeskError::NoSignature { .. })));
        jdoe.set_signature("tulip42").unwrap();
        jdoe.record_lock(LockReason::Idle).unwrap();
        assert!(matches!(jdoe.unlock("tulip24"), Err(DeskError::WrongSignature)));
        jdoe.record_lock(LockReason::WrongCodes).unwrap();
        jdoe.unlock("tulip42").unwrap();
        let locks: Vec<String> = events(&f, AuditAction::Lock).into_iter().map(|e| e.detail).collect();
        assert_eq!(locks, ["three wrong signature codes", "idle"]);
        assert_eq!(events(&f, AuditAction::Unlock).len(), 1);
        // The code is changed, never shown: the event says so and no more.
        jdoe.set_signature("orchid77").unwrap();
        let changes: Vec<String> = f
            .store
            .list_audit(&AuditFilter { username: Some("jdoe".into()), limit: 10, ..Default::default() })
            .unwrap()
            .into_iter()
            .filter(|e| e.entity == "user")
            .map(|e| e.detail)
            .collect();
        assert_eq!(changes, ["signature code changed", "signature code set"]);
        jdoe.break_glass(nguyen_id(&f), "ROI request 2025-03-03", "orchid77").unwrap();
        assert!(matches!(jdoe.privacy_glass_events(50), Err(DeskError::Forbidden { .. })));
        let listed = desk_for(&f, "pofc").privacy_glass_events(50).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].patient_mrn.as_deref(), Some("300120"));
    }
}

#[test]
fn a_disabled_user_loses_access_in_an_open_session_and_a_role_change_takes_effect_at_once() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        let garcia = f.store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap().patient_id;
        assert!(jdoe.open_chart(garcia).is_ok());
        let dhim = desk_for(&f, "dhim");
        dhim.set_user_roles("jdoe", vec![chartroom::domain::role::Role::MedicalStaffOffice]).unwrap();
        assert!(matches!(jdoe.open_chart(garcia), Err(DeskError::Forbidden { .. })));
        dhim.set_user_roles("jdoe", vec![chartroom::domain::role::Role::HimClerk]).unwrap();
        assert!(jdoe.open_chart(garcia).is_ok());
        dhim.set_user_enabled("jdoe", false).unwrap();
        assert!(matches!(jdoe.open_chart(garcia), Err(DeskError::Disabled { .. })));
    }
}
