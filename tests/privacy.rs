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
            Err(DeskError::WrongSignature { .. })
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
        assert!(matches!(jdoe.unlock("tulip24"), Err(DeskError::WrongSignature { .. })));
        jdoe.record_lock(LockReason::WrongCodes).unwrap();
        jdoe.unlock("tulip42").unwrap();
        let locks: Vec<String> = events(&f, AuditAction::Lock).into_iter().map(|e| e.detail).collect();
        assert_eq!(locks, ["three wrong signature codes", "idle"]);
        assert_eq!(events(&f, AuditAction::Unlock).len(), 1);
        // The code is changed, never shown: the event says so and no more.
        jdoe.change_signature("tulip42", "orchid77").unwrap();
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

// ---- the own record at every door (issue 12: refused on select or open, whatever the screen) ----

/// GARCIA's own request for a copy of everything, as intake keys it.
fn garcia_copy() -> chartroom::desk::roi::IntakeForm {
    use chartroom::desk::roi::{IntakeForm, IntakeRequester};
    use chartroom::domain::roi::{
        Delivery, NewRequester, ReceivedVia, RecordFormat, RequestType, RequesterKind, Scope,
    };
    IntakeForm {
        facility: "RGH".into(),
        patient: "204511".into(),
        received_on: Some(common::today()),
        received_via: Some(ReceivedVia::Portal),
        request_type: Some(RequestType::RightOfAccess),
        purpose: "Personal use".into(),
        format: Some(RecordFormat::Pdf),
        delivery: Some(Delivery::Portal),
        requester: IntakeRequester::New(NewRequester {
            kind: RequesterKind::Patient,
            name: "GARCIA, MARIA L".into(),
            organization: String::new(),
            address: "1 Elm St\nAustin TX 78701".into(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        }),
        scope: Scope { entire_record: true, ..Scope::default() },
        ..IntakeForm::default()
    }
}

/// jdoe (HIM clerk and ROI specialist), linked by the director to GARCIA's record, 204511.
fn jdoe_is_garcia(f: &common::Fixture) -> chartroom::desk::Desk {
    desk_for(f, "dhim").link_user("jdoe", Some("204511")).unwrap();
    common::signed_desk_for(f, "jdoe")
}

#[track_caller]
fn own<T: std::fmt::Debug>(result: Result<T, DeskError>) {
    match result {
        Err(e @ DeskError::OwnRecord) => {
            assert_eq!(e.to_string(), "You may not access your own record; contact the Privacy Office");
        }
        other => panic!("expected the own-record refusal, got {other:?}"),
    }
}

/// The own-record refusals written for jdoe on GARCIA (204511).
fn own_refusals(f: &common::Fixture) -> usize {
    let garcia = f.store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap().patient_id;
    events(f, AuditAction::AccessDenied)
        .iter()
        .filter(|e| e.username == "jdoe" && e.patient_id == Some(garcia) && e.detail == "own record")
        .count()
}

#[test]
fn a_clerk_is_refused_her_own_release_requests_whether_she_opens_logs_packs_or_releases_them() {
    use chartroom::desk::roi::packet::ReleasePick;
    use chartroom::desk::roi::{Logged, OnOpenRequest, RoiQuery};
    for f in scenarios() {
        let dhim = desk_for(&f, "dhim");
        let number = match dhim.log_roi_request(garcia_copy(), OnOpenRequest::LogNew, None).unwrap() {
            Ok(Logged::New { request, .. }) => request.number.to_string(),
            other => panic!("not logged: {other:?}"),
        };
        let id = dhim.roi_request(&number).unwrap().id;
        let jdoe = jdoe_is_garcia(&f);
        own(jdoe.roi_request(&number));
        own(jdoe.reread_roi_request(id));
        own(jdoe.roi_packet(&number));
        own(jdoe.roi_release(&number, None, common::today(), None, &ReleasePick::default(), common::CODE));
        own(jdoe.roi_step(&number, None, chartroom::domain::roi::status::Step::Validate, None, None));
        own(jdoe.log_roi_request(garcia_copy(), OnOpenRequest::LogNew, None));
        own(jdoe.roi_queue(
            &RoiQuery { patient: Some("204511".into()), ..RoiQuery::default() },
            chartroom::store::roi::RoiSort::default(),
            chartroom::store::Page::first(10),
        ));
        assert_eq!(own_refusals(&f), 7);
        // Nothing moved: the request is as the director logged it, and no second one was logged.
        let after = dhim.roi_request(&number).unwrap();
        assert_eq!(after.status, chartroom::domain::roi::RequestStatus::Logged);
        assert_eq!(dhim.roi_intake_check(after.patient_id, None).unwrap().recent.len(), 1);
    }
}

#[test]
fn a_clerk_is_refused_her_own_accounting_and_disclosures() {
    use chartroom::desk::roi::accounting::DisclosureForm;
    for f in scenarios() {
        let jdoe = jdoe_is_garcia(&f);
        own(jdoe.accounting("204511", common::today(), None));
        own(jdoe.reread_accounting("204511", common::today()));
        own(jdoe.patient_disclosures("204511", common::today()));
        own(jdoe.add_accounting_suspension("204511", "FBI Austin field office", common::today(), None));
        let form = DisclosureForm {
            mrn: "204511".into(),
            recipient: "Texas DSHS".into(),
            description: "Immunization record".into(),
            purpose: "Public health reporting".into(),
            basis: "public_health".into(),
            pages: 1,
            ..DisclosureForm::default()
        };
        own(jdoe.record_disclosure(&form));
        // One made by another clerk is hers to be refused too, by its name.
        let made = desk_for(&f, "dhim").record_disclosure(&form).unwrap();
        own(jdoe.disclosure(&chartroom::domain::roi::accounting::disclosure_label(made.disclosure.id)));
        assert_eq!(own_refusals(&f), 6);
    }
}

#[test]
fn a_clerk_is_refused_her_own_paper_chart_in_the_file_room() {
    for f in scenarios() {
        let jdoe = jdoe_is_garcia(&f);
        own(jdoe.chart_volumes("204511"));
        own(jdoe.volume("V204511-1"));
        own(jdoe.check_in("V204511-1"));
        own(jdoe.flag_missing("V204511-1", Some("not on the shelf")));
        own(jdoe.new_volume("204511"));
        own(jdoe.request_chart("204511", "CARD", common::today(), "clinic visit"));
        let garcia = f.store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap().patient_id;
        own(jdoe.request_chart_to(garcia, "ROI", "release"));
        let asked = desk_for(&f, "dhim").request_chart("204511", "CARD", common::today(), "clinic visit").unwrap();
        own(jdoe.chart_request(asked.id));
        own(jdoe.fill_request(asked.id));
        assert_eq!(own_refusals(&f), 9);
        // Nothing moved: the volume is where it was.
        assert_eq!(desk_for(&f, "dhim").volume("V204511-1").unwrap().status.label(), "charged out");
    }
}

#[test]
fn the_command_line_refuses_a_clerk_her_own_request_volume_and_disclosures_and_records_each_refusal() {
    use common::cli::{chartroom, demo_store, ok, refused};
    let dir = demo_store(50);
    let me = chartroom::desk::identity::current_account().unwrap();
    // GARCIA (204511) has request RGH-00010 and paper volume V204511-1 in the demo.
    ok(&chartroom(dir.path(), &["user", "link", &me, "204511"]));
    for args in [
        &["roi", "show", "RGH-00010"][..],
        &["roi", "packet", "RGH-00010"],
        &["chart-volume", "list", "204511"],
        &["disclosure", "list", "204511"],
        &["volume", "missing", "V204511-1"],
    ] {
        let err = refused(&chartroom(dir.path(), args));
        assert!(err.contains("You may not access your own record; contact the Privacy Office"), "{args:?}: {err}");
    }
    let events: serde_json::Value =
        serde_json::from_str(&ok(&chartroom(dir.path(), &["audit", "list", "--json", "--limit", "20"]))).unwrap();
    let own = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "ACCESS_DENIED" && e["detail"] == "own record" && e["patient_mrn"] == "204511")
        .count();
    assert_eq!(own, 5, "{events:#}");
}

// ---- wrong signature codes: counted per user across sessions, audited, then rested ----------

fn at(f: &common::Fixture, username: &str, minutes_later: i64) -> chartroom::desk::Desk {
    let now = common::clock().now + chrono::Duration::minutes(minutes_later);
    let clock = std::sync::Arc::new(chartroom::desk::FixedClock { now, today: common::today() });
    chartroom::desk::Desk::sign_in(f.store.clone(), username, "local".into(), common::key(), clock).unwrap()
}

#[test]
fn three_wrong_codes_in_any_sessions_within_15_minutes_rest_the_code_for_15_minutes_each_try_audited() {
    for f in scenarios() {
        let nguyen = nguyen_id(&f);
        at(&f, "jdoe", 0).set_signature("tulip42").unwrap();
        let reason = "ROI request 2025-03-03";
        // Two wrong on the warning, then a new session (Esc and ask again, or a new command): the
        // count goes on.
        let first = at(&f, "jdoe", 0);
        assert!(matches!(first.break_glass(nguyen, reason, "wrong01"), Err(DeskError::WrongSignature { left: 2 })));
        assert!(matches!(first.unlock("wrong02"), Err(DeskError::WrongSignature { left: 1 })));
        let again = at(&f, "jdoe", 5);
        let third = again.break_glass(nguyen, reason, "wrong03").unwrap_err();
        assert!(matches!(third, DeskError::WrongSignature { left: 0 }), "{third:?}");
        assert!(third.to_string().contains("no code is taken for the next 15 minutes"), "{third}");
        // Even the right code is not checked now, and the refusal says until when.
        let rested = at(&f, "jdoe", 6).break_glass(nguyen, reason, "tulip42").unwrap_err();
        assert!(matches!(&rested, DeskError::CodesResting { until } if until == "15:20"), "{rested:?}");
        assert!(rested.to_string().contains("until 15:20"), "{rested}");
        assert!(events(&f, AuditAction::BreakGlass).is_empty());
        // Another user's codes are their own count.
        at(&f, "mlee", 6).set_signature("orchid77").unwrap();
        at(&f, "mlee", 6).unlock("orchid77").unwrap();
        // 15 minutes after the third, the code is taken again.
        at(&f, "jdoe", 20).break_glass(nguyen, reason, "tulip42").unwrap();
        let denied: Vec<(String, String)> = f
            .store
            .list_audit(&AuditFilter {
                username: Some("jdoe".into()),
                action: Some(AuditAction::AccessDenied),
                limit: 10,
                ..Default::default()
            })
            .unwrap()
            .into_iter()
            .rev()
            .map(|e| (e.entity, e.detail))
            .collect();
        let wrong = ("signature_code".to_string(), "wrong signature code".to_string());
        assert_eq!(
            denied,
            [
                wrong.clone(),
                wrong.clone(),
                wrong,
                ("permission".into(), "refused: a signature code, not checked until 15:20 (three wrong ones)".into())
            ]
        );
        assert!(denied.iter().all(|(_, d)| !d.contains("wrong0") && !d.contains("tulip")), "no code in the trail");
        // The tries at the glass are the chart's too: its access report lists them (not the unlock's).
        let at_the_chart = f
            .store
            .list_audit(&AuditFilter {
                patient_id: Some(nguyen),
                action: Some(AuditAction::AccessDenied),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(at_the_chart.iter().filter(|e| e.detail == "wrong signature code").count(), 2, "{at_the_chart:?}");
    }
}

#[test]
fn a_signature_code_is_changed_by_giving_the_old_one_and_a_forgotten_one_is_cleared_by_the_director() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        jdoe.set_signature("tulip42").unwrap();
        // Whoever finds her session open cannot make the code theirs.
        assert!(jdoe.set_signature("orchid77").unwrap_err().to_string().contains("give it to change it"));
        assert!(matches!(jdoe.change_signature("guess123", "orchid77"), Err(DeskError::WrongSignature { .. })));
        assert!(jdoe.change_signature("tulip42", "111111").unwrap_err().to_string().contains("repeated"));
        jdoe.change_signature("tulip42", "orchid77").unwrap();
        jdoe.unlock("orchid77").unwrap();
        // Forgotten: the director clears it (needing no code of hers), and she sets a new one.
        assert!(matches!(jdoe.clear_signature("mlee"), Err(DeskError::Forbidden { .. })));
        let dhim = desk_for(&f, "dhim");
        dhim.set_signature("lantern9").unwrap();
        assert!(dhim.clear_signature("dhim").unwrap_err().to_string().contains("giving the one you have"));
        assert!(dhim.clear_signature("mlee").unwrap_err().to_string().contains("no signature code"));
        dhim.clear_signature("jdoe").unwrap();
        assert!(matches!(jdoe.unlock("orchid77"), Err(DeskError::NoSignature { .. })));
        jdoe.set_signature("violet55").unwrap();
        jdoe.unlock("violet55").unwrap();
    }
}

/// The Director's answer to a forgotten code ends the rest its wrong tries began: the new code is
/// taken at once, and its own wrong tries count from nothing.
#[test]
fn a_code_set_anew_after_the_director_cleared_it_is_taken_at_once() {
    for f in scenarios() {
        at(&f, "jdoe", 0).set_signature("tulip42").unwrap();
        for wrong in ["wrong01", "wrong02", "wrong03"] {
            assert!(matches!(at(&f, "jdoe", 1).unlock(wrong), Err(DeskError::WrongSignature { .. })));
        }
        assert!(matches!(at(&f, "jdoe", 2).unlock("tulip42"), Err(DeskError::CodesResting { .. })));
        at(&f, "dhim", 3).clear_signature("jdoe").unwrap();
        at(&f, "jdoe", 4).set_signature("violet55").unwrap();
        at(&f, "jdoe", 5).unlock("violet55").unwrap();
        assert!(matches!(at(&f, "jdoe", 5).unlock("wrong04"), Err(DeskError::WrongSignature { left: 2 })));
    }
}

#[test]
fn the_command_line_rests_the_code_after_three_wrong_ones_and_changing_it_reads_the_old_one_first() {
    use common::cli::{chartroom_with_stdin, demo_store, ok, refused};
    let dir = demo_store(50);
    let cli = |args: &[&str], input: &str| chartroom_with_stdin(dir.path(), args, input);
    ok(&cli(&["user", "signature", "--signature-stdin"], "tulip42\n"));
    // Changing it: the old one, then the new one, a line each.
    assert!(refused(&cli(&["user", "signature", "--signature-stdin"], "guess12\norchid77\n")).contains("not right"));
    ok(&cli(&["user", "signature", "--signature-stdin"], "tulip42\norchid77\n"));
    let open = ["chart", "300120", "--reason", "coding query DRG 470", "--signature-stdin"];
    // One wrong was spent on the change above: two more rest the code.
    assert!(refused(&cli(&open, "wrong01\n")).contains("one more wrong"));
    assert!(refused(&cli(&open, "wrong02\n")).contains("no code is taken for the next 15 minutes"));
    let err = refused(&cli(&open, "orchid77\n"));
    assert!(err.contains("three wrong signature codes within 15 minutes: no code is taken until"), "{err}");
}

// ---- audit gaps: what names patients is recorded when read; a probe is not a refusal ---------

fn audited(f: &common::Fixture, username: &str) -> Vec<(AuditAction, String, Option<i64>)> {
    f.store
        .list_audit(&AuditFilter { username: Some(username.into()), limit: 1000, ..Default::default() })
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| (e.action, e.detail, e.patient_id))
        .collect()
}

#[test]
fn a_release_packet_and_a_request_opened_from_a_list_are_recorded_as_looks_and_reading_them_again_is_not() {
    use chartroom::desk::roi::{Logged, OnOpenRequest};
    for f in scenarios() {
        let dhim = desk_for(&f, "dhim");
        let request = match dhim.log_roi_request(garcia_copy(), OnOpenRequest::LogNew, None).unwrap() {
            Ok(Logged::New { request, .. }) => request,
            other => panic!("not logged: {other:?}"),
        };
        let number = request.number.to_string();
        let jdoe = desk_for(&f, "jdoe");
        jdoe.open_roi_request(request.id).unwrap();
        jdoe.reread_roi_request(request.id).unwrap();
        jdoe.roi_packet(&number).unwrap();
        jdoe.reread_roi_packet(&number).unwrap();
        let garcia = Some(request.patient_id);
        assert_eq!(
            audited(&f, "jdoe"),
            [
                (AuditAction::ViewPatient, "viewed the request".to_string(), garcia),
                (AuditAction::ViewPatient, "viewed the release packet".to_string(), garcia)
            ]
        );
    }
}

#[test]
fn the_file_rooms_lists_are_recorded_as_looks() {
    for f in scenarios() {
        let jdoe = desk_for(&f, "jdoe");
        jdoe.overdue_volumes().unwrap();
        jdoe.missing_volumes().unwrap();
        jdoe.pull_list(common::today()).unwrap();
        let details: Vec<String> = audited(&f, "jdoe")
            .into_iter()
            .map(|(action, detail, _)| {
                assert_eq!(action, AuditAction::ViewPatient);
                detail
            })
            .collect();
        assert_eq!(
            details,
            [
                "listed the overdue volumes: 0",
                "listed the missing volumes: 0",
                "listed the pull list for 2025-03-03: 0 requests"
            ]
        );
    }
}

#[test]
fn a_disabled_users_sign_in_is_refused_and_recorded_and_a_clerks_palette_records_no_refusal() {
    for f in scenarios() {
        desk_for(&f, "dhim").set_user_enabled("mlee", false).unwrap();
        let refused = chartroom::desk::Desk::sign_in(
            f.store.clone(),
            "mlee",
            "ssh 203.0.113.9".into(),
            common::key(),
            common::clock(),
        );
        assert!(refused.is_err());
        let denied = events(&f, AuditAction::AccessDenied);
        assert_eq!(denied.len(), 1, "{denied:?}");
        assert_eq!(
            (denied[0].username.as_str(), denied[0].source.as_str(), denied[0].detail.as_str()),
            ("mlee", "ssh 203.0.113.9", "refused: sign in (the account is disabled)")
        );
        // A clerk opening the palette: its completions are asked for, and none is hers to read.
        let tnguyen = desk_for(&f, "tnguyen");
        assert!(tnguyen.palette_providers().unwrap().is_empty());
        assert_eq!(events(&f, AuditAction::AccessDenied).len(), 1, "no refusal for a probe");
        // Asking for the list itself is still refused, and recorded.
        assert!(matches!(tnguyen.list_providers(), Err(DeskError::Forbidden { .. })));
        assert_eq!(events(&f, AuditAction::AccessDenied).len(), 2);
        assert!(!desk_for(&f, "kwong").palette_providers().unwrap().is_empty(), "a supervisor's palette has them");
    }
}

#[test]
fn the_command_lines_packet_and_file_room_lists_are_recorded() {
    use common::cli::{chartroom, demo_store, ok};
    let dir = demo_store(50);
    for args in [
        &["roi", "packet", "RGH-00010"][..],
        &["roi", "packet", "RGH-00010", "--json"],
        &["volume", "overdue"],
        &["volume", "missing-list"],
        &["pull-list"],
    ] {
        ok(&chartroom(dir.path(), args));
    }
    let events: serde_json::Value =
        serde_json::from_str(&ok(&chartroom(dir.path(), &["audit", "list", "--json", "--limit", "5"]))).unwrap();
    let mut details: Vec<String> =
        events.as_array().unwrap().iter().map(|e| e["detail"].as_str().unwrap().to_string()).collect();
    details.reverse();
    assert_eq!(details[..2], ["viewed the release packet", "viewed the release packet"], "{details:?}");
    assert!(details[2].starts_with("listed the overdue volumes: "), "{details:?}");
    assert!(details[3].starts_with("listed the missing volumes: "), "{details:?}");
    assert!(details[4].starts_with("listed the pull list for "), "{details:?}");
}
