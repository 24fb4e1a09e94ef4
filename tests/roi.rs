//! Release of information, part 1: the acceptance scenarios AS-14 to AS-17 with their exact dates
//! (through the desk, on a clock stopped on the scenario's day, on every backend), who may take each
//! step, and the issue's end-to-end run through the real binary — a request logged from a file,
//! its checklist failed, corrected, extended and released.

mod common;

use common::CODE;
use common::cli::{chartroom, chartroom_with_stdin, json, ok, refused, set_own_signature};

use chartroom::desk::roi::packet::ReleasePick;
use chartroom::desk::roi::{IntakeForm, IntakeRequester, Logged, OnOpenRequest, RoiQuery};
use chartroom::desk::{Desk, DeskError, FixedClock};
use chartroom::domain::roi::status::{Step, steps_from};
use chartroom::domain::roi::{
    AuthorizationForm, AuthorizationKind, Delivery, LetterKind, NewRequester, ReceivedVia, RecordFormat, RequestStatus,
    RequestType, RequesterKind, Scope,
};
use chartroom::domain::role::{Role, allows};
use chartroom::store::Page;
use chartroom::store::roi::{RoiRequest, RoiSort};
use chrono::{NaiveDate, TimeZone, Utc};
use common::{key, scenario, scenarios};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// `username` at the desk on `today` (the scenarios' clock is 2025-03-03, 15:00 UTC).
fn desk_on(fixture: &common::Fixture, username: &str, today: NaiveDate) -> Desk {
    let now = Utc.from_utc_datetime(&today.and_hms_opt(15, 0, 0).unwrap());
    Desk::sign_in(fixture.store.clone(), username, "local".into(), key(), Arc::new(FixedClock { now, today })).unwrap()
}

fn requester(kind: RequesterKind, name: &str) -> IntakeRequester {
    IntakeRequester::New(NewRequester {
        kind,
        name: name.into(),
        organization: String::new(),
        address: "400 Congress Ave\nAustin TX 78701".into(),
        phone: String::new(),
        fax: String::new(),
        email: String::new(),
    })
}

/// GARCIA's own request for an electronic copy of everything, by the portal (AS-14).
fn own_copy(facility: &str, received_on: NaiveDate) -> IntakeForm {
    IntakeForm {
        facility: facility.into(),
        patient: "204511".into(),
        received_on: Some(received_on),
        received_via: Some(ReceivedVia::Portal),
        request_type: Some(RequestType::RightOfAccess),
        purpose: "Personal use".into(),
        format: Some(RecordFormat::Pdf),
        delivery: Some(Delivery::Portal),
        requester: requester(RequesterKind::Patient, "GARCIA, MARIA L"),
        scope: Scope { entire_record: true, ..Scope::default() },
        ..IntakeForm::default()
    }
}

/// AS-17's authorization: signed 2025-02-20, no expiration date or event, no revocation statement.
fn deficient_authorization() -> AuthorizationForm {
    AuthorizationForm {
        kind: Some(AuthorizationKind::Hipaa),
        signed_on: Some(d(2025, 2, 20)),
        signer: "GARCIA, MARIA L".into(),
        relationship: "self".into(),
        discloser: "Riverbend General Hospital".into(),
        recipient: "Baker & Lowe LLP".into(),
        information: "All records of the stay of February 2025".into(),
        purpose: "Personal injury claim".into(),
        signature: true,
        conditioning_statement: true,
        redisclosure_statement: true,
        ..AuthorizationForm::default()
    }
}

/// Baker & Lowe LLP's request for GARCIA's records under her authorization (AS-16, AS-17).
fn attorney_request(received_on: NaiveDate, authorization: AuthorizationForm) -> IntakeForm {
    IntakeForm {
        facility: "RGH".into(),
        patient: "204511".into(),
        received_on: Some(received_on),
        received_via: Some(ReceivedVia::Fax),
        request_type: Some(RequestType::Authorization),
        purpose: "Personal injury claim".into(),
        format: Some(RecordFormat::Paper),
        delivery: Some(Delivery::Mail),
        pages: Some(75),
        postage_cents: Some(450),
        requester: requester(RequesterKind::Attorney, "Baker & Lowe LLP"),
        scope: Scope { entire_record: true, ..Scope::default() },
        authorization: Some(authorization),
        ..IntakeForm::default()
    }
}

fn log_new(desk: &Desk, form: IntakeForm) -> RoiRequest {
    match desk.log_roi_request(form, OnOpenRequest::LogNew, None).unwrap() {
        Ok(Logged::New { request, letter_problem: None, .. }) => *request,
        other => panic!("not logged as a new request: {other:?}"),
    }
}

fn failed(request: &RoiRequest) -> Vec<String> {
    let latest = request.authorizations.last().expect("an authorization");
    latest.checklist.iter().filter(|i| !i.passed).map(|i| i.element.clone()).collect()
}

#[test]
fn as14_an_electronic_copy_in_texas_is_due_on_the_15th_business_day() {
    for f in scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
        let request = log_new(&jdoe, own_copy("RGH", d(2025, 3, 3)));
        assert_eq!(request.number.facility, "RGH");
        assert_eq!(request.request_type, RequestType::RightOfAccess);
        assert_eq!(request.status, RequestStatus::Logged);
        assert_eq!(request.due.due_on, Some(d(2025, 3, 24)), "{:?}", request.due);
        let binding = request.due.clocks.iter().find(|c| c.due_on == Some(d(2025, 3, 24))).unwrap();
        assert_eq!(binding.code, "TX-181.102");
        assert_eq!(request.due.due_rule, binding.rule);
        let hipaa = request.due.clocks.iter().find(|c| c.code == "HIPAA-30").unwrap();
        assert_eq!(hipaa.due_on, Some(d(2025, 4, 2)), "HIPAA's 30 days are kept beside it");
        // The acknowledgement went out with it, made from the built-in template, stored as version 1.
        assert_eq!(request.letters.len(), 1);
        assert_eq!(request.letters[0].kind, LetterKind::Acknowledgement);
        assert_eq!(request.letters[0].template_version, 1);
        assert!(
            request.letters[0].text.contains(&format!("It is logged as {}.", request.number)),
            "{}",
            request.letters[0].text
        );
        assert!(request.letters[0].text.contains("by 03/24/2025"), "{}", request.letters[0].text);

        // Worked through to its release: the disclosure is the individual's own, not accountable.
        let kwong = desk_on(&f, "kwong", d(2025, 3, 3));
        common::sign(&kwong);
        let number = request.number.to_string();
        for step in [Step::Validate, Step::Fulfil, Step::Qc, Step::ReadyToRelease] {
            kwong.roi_step(&number, None, step, None, None).unwrap();
        }
        // The packet leaves her psychotherapy note out by itself (164.524(a)(1)(i)): the rest of
        // her chart goes, on the clerk's confirmation of a release short of "all records".
        let packet = kwong.roi_packet(&number).unwrap();
        let left: Vec<&str> = packet.left_out().iter().map(|r| r.document.title.as_str()).collect();
        assert_eq!(left, ["Psychotherapy session note"], "{}", packet.totals());
        let unconfirmed =
            kwong.roi_release(&number, None, d(2025, 3, 3), None, &ReleasePick::default(), CODE).unwrap_err();
        assert!(unconfirmed.to_string().contains("Psychotherapy session note (2 pages)"), "{unconfirmed}");
        let confirmed = ReleasePick { confirm_partial: true, ..ReleasePick::default() };
        let released = kwong.roi_release(&number, None, d(2025, 3, 3), None, &confirmed, CODE).unwrap();
        assert_eq!(released.status, RequestStatus::Released);
        let disclosure = &released.disclosures[0];
        assert_eq!(disclosure.legal_basis, chartroom::domain::roi::LegalBasis::Individual);
        assert!(!disclosure.accountable);
        assert_eq!(disclosure.pages, packet.requested_pages() - 2);
        let kept = kwong.roi_released_packets(&number).unwrap();
        let psychotherapy = packet.left_out()[0].document.id;
        assert!(kept[0].packet.items.iter().any(|i| i.document_id == psychotherapy && !i.included));
        // The psychotherapy note stayed: the disclosure says what went, not the entire record.
        assert_eq!(
            disclosure.description,
            "Entire record, in part: CONSULT, PROGRESS, LAB, HP, OP_NOTE, VERBAL_ORDER (19 of 21 pages); 1 document \
             withheld by rule"
        );
        let chart = kwong.open_chart_by_mrn("204511").unwrap();
        assert!(
            chart.releases.iter().any(|r| r.recipient.contains("GARCIA, MARIA L")),
            "the chart's releases list the disclosure: {:?}",
            chart.releases
        );
    }
}

#[test]
fn as15_one_extension_noticed_within_the_first_30_days() {
    for f in scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
        let request = log_new(&jdoe, own_copy("HDH", d(2025, 3, 3)));
        assert_eq!(request.due.due_on, Some(d(2025, 4, 2)), "no New York clock is shorter than HIPAA's");
        let number = request.number.to_string();

        let on_28th = desk_on(&f, "jdoe", d(2025, 3, 28));
        let extended =
            on_28th.roi_extend(&number, None, d(2025, 5, 2), "records in off-site storage", None, None).unwrap();
        assert_eq!(extended.extended_due_on, Some(d(2025, 5, 2)));
        assert_eq!(extended.extension_noticed_on, Some(d(2025, 3, 28)));
        assert_eq!(extended.due.due_on, Some(d(2025, 5, 2)));
        let notice = extended.letters.iter().find(|l| l.kind == LetterKind::ExtensionNotice).unwrap();
        assert!(notice.text.contains("records in off-site storage"), "{}", notice.text);
        assert!(notice.text.contains("by 05/02/2025"), "{}", notice.text);
        assert!(notice.text.contains("03/28/2025"), "the notice is dated the day it went out: {}", notice.text);

        let again = on_28th.roi_extend(&number, None, d(2025, 5, 1), "still off site", None, None).unwrap_err();
        assert!(again.to_string().contains("Only one extension allowed"), "{again}");

        let other = log_new(&jdoe, own_copy("HDH", d(2025, 3, 3)));
        let on_3rd = desk_on(&f, "jdoe", d(2025, 4, 3));
        let late = on_3rd
            .roi_extend(&other.number.to_string(), None, d(2025, 5, 2), "records in off-site storage", None, None)
            .unwrap_err();
        assert!(late.to_string().contains("Extension must be sent within the first 30 days"), "{late}");
        let unchanged = jdoe.roi_request(&other.number.to_string()).unwrap();
        assert_eq!((unchanged.extended_due_on, unchanged.letters.len()), (None, 1), "a refusal writes nothing");
    }
}

#[test]
fn as16_a_resent_request_is_a_follow_up_on_the_original_never_a_new_clock() {
    for f in scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
        let original = log_new(
            &jdoe,
            attorney_request(
                d(2025, 3, 3),
                AuthorizationForm {
                    expires_on: Some(d(2026, 2, 20)),
                    revocation_statement: true,
                    ..deficient_authorization()
                },
            ),
        );
        let due = original.due.clone();
        let on_17th = desk_on(&f, "jdoe", d(2025, 3, 17));
        let mut again = attorney_request(d(2025, 3, 17), deficient_authorization());
        again.received_via = Some(ReceivedVia::Fax);

        // Before a number is issued, the open request from the same requester is shown.
        let Err(problems) = on_17th.log_roi_request(again.clone(), OnOpenRequest::Refuse, None).unwrap() else {
            panic!("a number was issued");
        };
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains(&original.number.to_string()), "{problems:?}");
        let recent = on_17th.roi_intake_check(original.patient_id, Some(original.requester.id)).unwrap();
        assert_eq!(recent.open_from_requester.len(), 1);
        assert!(recent.recent.len() <= 4);

        let Logged::FollowUp { request } =
            on_17th.log_roi_request(again, OnOpenRequest::FollowUp, None).unwrap().unwrap()
        else {
            panic!("not a follow-up");
        };
        assert_eq!(request.number, original.number);
        assert_eq!(request.due, due, "the clock is not restarted");
        assert_eq!(request.follow_ups.len(), 1);
        assert_eq!(request.follow_ups[0].received_on, d(2025, 3, 17));
        assert_eq!(request.follow_ups[0].received_via, ReceivedVia::Fax);
        assert!(
            request.history.last().unwrap().detail.starts_with("Follow-up: 2nd request received 03/17/2025 by fax")
        );
        // The queue and its aging count one request.
        let query = RoiQuery { patient: Some("204511".into()), ..RoiQuery::default() };
        assert_eq!(on_17th.roi_queue(&query, RoiSort::Due, Page::first(50)).unwrap().total, 1);
        let aging: i64 = on_17th.roi_aging(&query).unwrap().iter().map(|b| b.count).sum();
        assert_eq!(aging, 1);
    }
}

#[test]
fn a_requester_at_another_address_is_another_entry_whose_letters_go_there_but_still_the_same_requester() {
    let f = scenario();
    let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
    let valid =
        AuthorizationForm { expires_on: Some(d(2026, 2, 20)), revocation_statement: true, ..deficient_authorization() };
    let austin = log_new(&jdoe, attorney_request(d(2025, 3, 3), valid.clone()));
    let dallas = |patient: &str| {
        let mut form = attorney_request(d(2025, 3, 3), valid.clone());
        form.patient = patient.into();
        let IntakeRequester::New(firm) = &mut form.requester else { unreachable!() };
        firm.address = "1 Main St\nDallas TX 75201".into();
        form
    };
    // Another patient's request from the firm's Dallas office: its own entry, its letter to Dallas.
    let smith = log_new(&jdoe, dallas("100234"));
    assert_ne!(smith.requester.id, austin.requester.id);
    assert!(smith.letters[0].text.contains("1 Main St\nDallas TX 75201"), "{}", smith.letters[0].text);
    assert!(!smith.letters[0].text.contains("Congress"), "{}", smith.letters[0].text);
    // GARCIA's request re-sent on the Dallas letterhead is still Baker & Lowe's: a follow-up.
    let Logged::FollowUp { request } =
        jdoe.log_roi_request(dallas("204511"), OnOpenRequest::FollowUp, None).unwrap().unwrap()
    else {
        panic!("a new request for a re-sent one");
    };
    assert_eq!(request.number, austin.number);
}

#[test]
fn as17_a_deficient_authorization_pends_the_request_with_a_letter_of_exactly_its_failures() {
    for f in scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
        let request = log_new(&jdoe, attorney_request(d(2025, 3, 3), deficient_authorization()));
        assert_eq!(request.status, RequestStatus::Pended);
        assert_eq!(request.status_reason.as_deref(), Some("Deficient authorization"));
        assert_eq!(failed(&request), ["core.expiration", "statement.revocation"]);
        let letter = request.letters.iter().find(|l| l.kind == LetterKind::DeficientAuthorization).unwrap();
        let listed: Vec<&str> = letter.text.lines().filter(|l| l.starts_with("  - ")).collect();
        assert_eq!(listed.len(), 2, "{}", letter.text);
        assert!(listed[0].starts_with("  - Expiration date or event: "), "{listed:?}");
        assert!(listed[1].starts_with("  - Statement of the right to revoke: "), "{listed:?}");
        let number = request.number.to_string();

        // Nothing moves on while it is pended.
        let kwong = desk_on(&f, "kwong", d(2025, 3, 3));
        common::sign(&kwong);
        let refused = kwong.roi_step(&number, None, Step::Fulfil, None, None).unwrap_err();
        assert!(refused.to_string().contains("is Pended; it cannot be made ready to fulfil"), "{refused}");
        let refused = kwong.roi_release(&number, None, d(2025, 3, 3), None, &ReleasePick::default(), CODE).unwrap_err();
        assert!(refused.to_string().contains("it cannot be released"), "{refused}");
        let refused = kwong.roi_step(&number, None, Step::Resume, None, None).unwrap_err();
        assert!(refused.to_string().contains("still fails its checklist"), "{refused}");

        // The corrected authorization, scanned on 03/06, passes: back to validating.
        let on_6th = desk_on(&f, "jdoe", d(2025, 3, 6));
        let corrected = AuthorizationForm {
            expires_on: Some(d(2026, 2, 20)),
            revocation_statement: true,
            signed_on: Some(d(2025, 3, 5)),
            ..deficient_authorization()
        };
        let request = on_6th.roi_add_authorization(&number, Some(request.version), corrected, None, None).unwrap();
        assert_eq!(request.status, RequestStatus::Validating);
        assert_eq!(request.status_reason, None);
        assert!(failed(&request).is_empty());
        // Both checklists are kept, each with its authorization.
        assert_eq!(request.authorizations.len(), 2);
        assert_eq!(request.authorizations[0].received_on, d(2025, 3, 3));
        assert_eq!(request.authorizations[1].received_on, d(2025, 3, 6));
        assert!(!request.authorizations[0].checklist.iter().all(|i| i.passed));
    }
}

#[test]
fn a_stale_change_is_refused_naming_who_changed_the_request_and_how() {
    let f = scenario();
    let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
    let request = log_new(&jdoe, own_copy("RGH", d(2025, 3, 3)));
    let kwong = desk_on(&f, "kwong", d(2025, 3, 3));
    let number = request.number.to_string();
    kwong.roi_step(&number, Some(request.version), Step::Hold, Some("patient asked to wait"), None).unwrap();
    let stale = jdoe.roi_step(&number, Some(request.version), Step::Validate, None, None).unwrap_err();
    let said = stale.to_string();
    assert!(
        said.starts_with(&format!("{number} was changed since you read it — by kwong at 03/03/2025 15:00")),
        "{said}"
    );
    assert!(said.contains("On hold: patient asked to wait"), "{said}");
    assert!(said.ends_with("Nothing was changed; look at it again."), "{said}");
    assert_eq!(jdoe.roi_request(&number).unwrap().status, RequestStatus::OnHold);
}

/// One user of each role, named for it.
fn staff(f: &common::Fixture) {
    let dhim = desk_on(f, "dhim", d(2025, 3, 3));
    for role in Role::ALL {
        dhim.add_user(&format!("u_{}", role.code()), None, vec![role]).unwrap();
    }
}

/// A new request walked by the director to `status`.
fn request_in(f: &common::Fixture, status: RequestStatus) -> String {
    let dhim = desk_on(f, "dhim", d(2025, 3, 3));
    common::sign(&dhim);
    let number = log_new(&dhim, own_copy("RGH", d(2025, 3, 3))).number.to_string();
    let path: &[Step] = match status {
        RequestStatus::Logged => &[],
        RequestStatus::Validating => &[Step::Validate],
        RequestStatus::Pended | RequestStatus::OnHold | RequestStatus::Exception => &[
            Step::Validate,
            match status {
                RequestStatus::Pended => Step::Pend,
                RequestStatus::OnHold => Step::Hold,
                _ => Step::Exception,
            },
        ],
        RequestStatus::ReadyToFulfil => &[Step::Validate, Step::Fulfil],
        RequestStatus::InQc => &[Step::Validate, Step::Fulfil, Step::Qc],
        RequestStatus::AwaitingPayment => &[Step::Validate, Step::Fulfil, Step::Qc, Step::AwaitPayment],
        RequestStatus::ReadyToRelease => &[Step::Validate, Step::Fulfil, Step::Qc, Step::ReadyToRelease],
        RequestStatus::Released => &[Step::Validate, Step::Fulfil, Step::Qc, Step::ReadyToRelease],
        other => panic!("no path to {other:?}"),
    };
    for step in path {
        dhim.roi_step(&number, None, *step, Some("for the test"), None).unwrap();
    }
    if status == RequestStatus::Released {
        let whole_or_not = ReleasePick { confirm_partial: true, ..ReleasePick::default() };
        dhim.roi_release(&number, None, d(2025, 3, 3), None, &whole_or_not, CODE).unwrap();
    }
    number
}

#[test]
fn every_step_is_taken_by_the_roles_that_may_and_refused_to_the_others() {
    let f = scenario();
    staff(&f);
    for step in Step::ALL.iter().copied().filter(|s| *s != Step::Release) {
        let from = step.leaves_from()[0];
        assert!(steps_from(from).contains(&step));
        for role in Role::ALL {
            let desk = desk_on(&f, &format!("u_{}", role.code()), d(2025, 3, 3));
            let number = request_in(&f, from);
            let outcome = desk.roi_step(&number, None, step, Some("for the test"), None);
            if allows(&[role], step.permission()) {
                let request = outcome.unwrap_or_else(|e| panic!("{role:?} {step:?} from {from:?}: {e}"));
                assert_eq!(request.status, step.to(), "{role:?} {step:?}");
            } else {
                match outcome {
                    Err(DeskError::Forbidden { .. }) => {}
                    other => panic!("{role:?} took {step:?}: {other:?}"),
                }
                assert_eq!(desk_on(&f, "dhim", d(2025, 3, 3)).roi_request(&number).unwrap().status, from);
            }
        }
    }
}

#[test]
fn a_clerk_is_offered_only_the_steps_her_roles_grant() {
    let f = scenario();
    staff(&f);
    let number = request_in(&f, RequestStatus::ReadyToRelease);
    let request = desk_on(&f, "dhim", d(2025, 3, 3)).roi_request(&number).unwrap();
    let offered = |user: &str| desk_on(&f, user, d(2025, 3, 3)).roi_next_steps(&request).unwrap();
    assert_eq!(offered("u_him_clerk"), [Step::Hold]);
    assert_eq!(offered("u_roi_specialist"), [Step::Pend, Step::Hold, Step::Exception, Step::Release, Step::Reject]);
    assert_eq!(offered("u_supervisor"), steps_from(RequestStatus::ReadyToRelease));
    assert_eq!(offered("u_coder"), []);
}

#[test]
fn logging_extending_paying_releasing_and_assigning_are_refused_to_the_roles_that_may_not() {
    let f = scenario();
    staff(&f);
    let ready = request_in(&f, RequestStatus::ReadyToRelease);
    let fresh = request_in(&f, RequestStatus::Logged);
    for role in Role::ALL {
        let desk = desk_on(&f, &format!("u_{}", role.code()), d(2025, 3, 3));
        let forbidden = |result: Result<(), DeskError>, what: &str, may: bool| match (result, may) {
            (Err(DeskError::Forbidden { .. }), false) => {}
            (Err(DeskError::Forbidden { .. }), true) => panic!("{role:?} was refused {what}"),
            (_, false) => panic!("{role:?} was let {what}"),
            (_, true) => {}
        };
        let log = allows(&[role], chartroom::domain::role::Permission::LogRequests);
        let release = allows(&[role], chartroom::domain::role::Permission::ReleaseRecords);
        forbidden(
            desk.log_roi_request(own_copy("RGC", d(2025, 3, 3)), OnOpenRequest::LogNew, None).map(|_| ()),
            "log",
            log,
        );
        forbidden(desk.roi_extend(&fresh, None, d(2025, 4, 10), "off site", None, None).map(|_| ()), "extend", release);
        forbidden(desk.roi_pay(&fresh, None, d(2025, 3, 3), 650).map(|_| ()), "pay", log || release);
        forbidden(desk.roi_request(&fresh).map(|_| ()), "read", log || release);
        forbidden(
            desk.roi_assign(&fresh, None, Some("jdoe")).map(|_| ()),
            "assign to another",
            allows(&[role], chartroom::domain::role::Permission::TakeOverWork),
        );
        if role != Role::Director {
            forbidden(
                desk.roi_release(&ready, None, d(2025, 3, 3), None, &ReleasePick::default(), CODE).map(|_| ()),
                "release",
                release,
            );
        }
        let template = desk.save_letter_template(LetterKind::Rejection, "{{request_number}}: {{reason}}", None);
        forbidden(template.map(|_| ()), "edit a template", role == Role::Director);
    }
}

#[test]
fn a_template_edit_is_a_new_version_and_letters_record_the_one_they_used() {
    let f = scenario();
    let dhim = desk_on(&f, "dhim", d(2025, 3, 3));
    let typo =
        dhim.save_letter_template(LetterKind::Acknowledgement, "Dear {{requester_nmae}}, {{request_number}}", None);
    assert!(typo.unwrap_err().to_string().contains("{{requester_nmae}} is not a placeholder"));
    let saved = dhim
        .save_letter_template(
            LetterKind::Acknowledgement,
            "Dear {{requester_name}}: we have {{request_number}}.\n",
            None,
        )
        .unwrap();
    assert_eq!(saved.version, 2, "the built-in text is stored as version 1 first");
    let history = dhim.letter_template(LetterKind::Acknowledgement, Some(1)).unwrap();
    assert!(history.text.contains("We received your request"), "{}", history.text);
    let stale =
        dhim.save_letter_template(LetterKind::Acknowledgement, "{{request_number}} again\n", Some(1)).unwrap_err();
    assert!(stale.to_string().contains("since you opened version 1"), "{stale}");
    let request = log_new(&dhim, own_copy("RGH", d(2025, 3, 3)));
    assert_eq!(request.letters[0].template_version, 2);
    assert_eq!(request.letters[0].text, format!("Dear GARCIA, MARIA L: we have {}.\n", request.number));
}

#[test]
fn an_intake_draft_is_kept_for_the_clerk_who_left_it() {
    let f = scenario();
    let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
    assert_eq!(jdoe.intake_draft().unwrap(), None);
    let half = IntakeForm { patient: "204511".into(), purpose: "Personal".into(), ..IntakeForm::default() };
    jdoe.save_intake_draft(&half).unwrap();
    let (kept, _) = jdoe.intake_draft().unwrap().unwrap();
    assert_eq!(kept, half);
    assert_eq!(desk_on(&f, "kwong", d(2025, 3, 3)).intake_draft().unwrap(), None, "drafts are one clerk's");
    jdoe.discard_intake_draft().unwrap();
    assert_eq!(jdoe.intake_draft().unwrap(), None);
}

/// The intake screen keeps an authorization keyed with the request in its draft: it comes back
/// whole, and logging the kept form runs the very checklist the screen showed beside the paper.
#[test]
fn an_intake_draft_keeps_its_authorization_and_logging_it_runs_the_checklist_the_screen_showed() {
    let f = scenario();
    let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
    let form = attorney_request(d(2025, 3, 3), deficient_authorization());
    jdoe.save_intake_draft(&form).unwrap();
    let (kept, _) = jdoe.intake_draft().unwrap().unwrap();
    assert_eq!(kept.authorization, Some(deficient_authorization()));
    assert_eq!(kept, form);

    let state = jdoe.list_facilities().unwrap().into_iter().find(|f| f.code == "RGH").unwrap().state;
    let shown = chartroom::desk::roi::authorization_checklist(
        &deficient_authorization(),
        d(2025, 3, 3),
        &state,
        RequesterKind::Attorney,
    );
    let request = log_new(&jdoe, kept);
    assert_eq!(request.status, RequestStatus::Pended);
    assert_eq!(request.authorizations.len(), 1);
    assert_eq!(request.authorizations[0].checklist, shown, "the desk judged what the screen showed");
    assert_eq!(failed(&request), ["core.expiration", "statement.revocation"]);
}

// ---- through the real binary ---------------------------------------------------------------------

/// A demo store (its patients include SMITH, JOHN A, MRN 100234, and GARCIA, MARIA L, 204511).
fn demo_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(&chartroom(dir.path(), &["init"]));
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The command line's day: the home facility's, as the binary counts it.
fn host_today() -> NaiveDate {
    common::cli::department_today()
}

fn request_file(
    facility: &str,
    mrn: &str,
    received_on: NaiveDate,
    kind: &str,
    format: &str,
    requester: &str,
) -> String {
    format!(
        r#"facility = "{facility}"
patient = "{mrn}"
received_on = {received_on}
received_via = "mail"
type = "{kind}"
purpose = "At the request of the individual"
format = "{format}"
delivery = "mail"
pages = 40
postage = "3.10"

[requester]
{requester}

[scope]
entire_record = true
"#
    )
}

const SMITH: &str = "kind = \"patient\"\nname = \"SMITH, JOHN A\"\naddress = \"18 Elm St\\nAustin TX 78704\"";

fn logged_number(stdout: &str) -> String {
    stdout.split_whitespace().next().unwrap().to_string()
}

#[test]
fn as14_and_as15_through_the_command_line() {
    let dir = demo_store();
    let file =
        write(dir.path(), "as14.toml", &request_file("RGH", "100234", d(2025, 3, 3), "right_of_access", "pdf", SMITH));
    let said = ok(&chartroom(dir.path(), &["roi", "log", "--file", &file]));
    assert!(said.contains("logged for SMITH, JOHN A (MRN 100234): right of access; due 03/24/2025"), "{said}");
    let number = logged_number(&said);
    let shown = json(&chartroom(dir.path(), &["roi", "show", &number, "--json"]));
    assert_eq!(shown["number"], number);
    assert_eq!(shown["due_on"], "2025-03-24");
    assert_eq!(shown["received_on"], "2025-03-03");
    assert_eq!(shown["status"], "logged");
    assert_eq!(shown["extended_due_on"], serde_json::Value::Null);
    assert_eq!(shown["accounting_period"], serde_json::Value::Null);
    let clocks = shown["clocks"].as_array().unwrap();
    assert!(clocks.iter().any(|c| c["code"] == "TX-181.102" && c["due_on"] == "2025-03-24"), "{clocks:?}");
    assert!(clocks.iter().any(|c| c["code"] == "HIPAA-30" && c["due_on"] == "2025-04-02"), "{clocks:?}");
    assert_eq!(shown["due_rule"], clocks.iter().find(|c| c["code"] == "TX-181.102").unwrap()["rule"]);
    assert_eq!(shown["history"].as_array().unwrap()[0]["to_status"], "logged");
    assert_eq!(shown["checklist"], serde_json::json!([]));
    assert_eq!(shown["follow_ups"], serde_json::json!([]));

    // AS-15 at HDH: the notice went out on 03/28; a second extension, or one noticed after the 30th
    // day, is refused with the rule.
    let file = write(
        dir.path(),
        "as15.toml",
        &request_file("HDH", "100234", d(2025, 3, 3), "right_of_access", "paper", SMITH),
    );
    let number = logged_number(&ok(&chartroom(dir.path(), &["roi", "log", "--file", &file, "--new"])));
    let extend = |number: &str, date: &str, noticed: &str| {
        chartroom(
            dir.path(),
            &[
                "roi",
                "extend",
                number,
                "--date",
                date,
                "--reason",
                "records in off-site storage",
                "--noticed-on",
                noticed,
            ],
        )
    };
    let said = ok(&extend(&number, "2025-05-02", "2025-03-28"));
    assert!(said.starts_with(&format!("{number} extended to 05/02/2025")), "{said}");
    let shown = json(&chartroom(dir.path(), &["roi", "show", &number, "--json"]));
    assert_eq!(shown["extended_due_on"], "2025-05-02");
    assert!(shown["letters"].as_array().unwrap().iter().any(|l| l["kind"] == "extension_notice"));
    let err = refused(&extend(&number, "2025-05-01", "2025-03-29"));
    assert!(err.contains("Only one extension allowed (45 CFR 164.524(b)(2))"), "{err}");
    let later = logged_number(&ok(&chartroom(dir.path(), &["roi", "log", "--file", &file, "--new"])));
    let err = refused(&extend(&later, "2025-05-02", "2025-04-03"));
    assert!(err.contains("Extension must be sent within the first 30 days"), "{err}");
    assert!(err.contains("164.524(b)(2)"), "the rule is named: {err}");
    let letters = dir.path().join("data/letters/2025-03-28");
    assert!(letters.join(format!("{number}-extension_notice.txt")).exists(), "{letters:?}");
    assert!(letters.join(format!("{number}-extension_notice.pdf")).exists());
}

#[test]
fn as16_a_refaxed_request_from_a_file_is_recorded_on_the_open_one() {
    let dir = demo_store();
    // The demo's RGH-00042 is Baker & Lowe LLP's open request for GARCIA.
    let before = json(&chartroom(dir.path(), &["roi", "list", "--mrn", "204511", "--json"]));
    let original =
        before["rows"].as_array().unwrap().iter().find(|r| r["requester"] == "Baker & Lowe LLP").unwrap().clone();
    let attorney = "kind = \"attorney\"\nname = \"baker &  lowe llp\"\naddress = \"400 Congress Ave\"";
    let file = write(
        dir.path(),
        "again.toml",
        &request_file("RGH", "204511", host_today(), "authorization", "paper", attorney),
    );
    let said = ok(&chartroom(dir.path(), &["roi", "log", "--file", &file, "--json"]));
    let logged: serde_json::Value = serde_json::from_str(&said).unwrap();
    assert_eq!(logged["follow_up"], true, "{logged}");
    assert_eq!(logged["number"], original["number"]);
    assert_eq!(logged["due_on"], original["due_on"], "the clock is not restarted");
    let after = json(&chartroom(dir.path(), &["roi", "list", "--mrn", "204511", "--json"]));
    assert_eq!(after["total"], before["total"], "no new request");
    let shown = json(&chartroom(dir.path(), &["roi", "show", original["number"].as_str().unwrap(), "--json"]));
    assert_eq!(shown["follow_ups"].as_array().unwrap().len(), 1);
    assert_eq!(shown["follow_ups"][0]["received_via"], "mail");
}

#[test]
fn a_request_file_with_an_unknown_missing_or_bad_field_is_refused_by_line_and_nothing_is_logged() {
    let dir = demo_store();
    let count = || {
        json(&chartroom(dir.path(), &["roi", "list", "--mrn", "100234", "--json", "--status", "logged"]))["total"]
            .clone()
    };
    let before = count();
    let good = request_file("RGH", "100234", d(2025, 3, 3), "right_of_access", "pdf", SMITH);

    let file = write(dir.path(), "unknown.toml", &good.replace("pages = 40", "pages = 40\npagez = 41"));
    let err = refused(&chartroom(dir.path(), &["roi", "log", "--file", &file]));
    assert!(err.contains("nothing was logged"), "{err}");
    assert!(err.contains("line 10: pagez: unknown field `pagez`"), "{err}");

    let file = write(dir.path(), "missing.toml", &good.replace("delivery = \"mail\"\n", ""));
    let err = refused(&chartroom(dir.path(), &["roi", "log", "--file", &file]));
    assert!(err.contains("delivery: missing"), "{err}");

    let file = write(
        dir.path(),
        "bad.toml",
        &good
            .replace("type = \"right_of_access\"", "type = \"gossip\"")
            .replace("postage = \"3.10\"", "postage = 3.10"),
    );
    let err = refused(&chartroom(dir.path(), &["roi", "log", "--file", &file]));
    assert!(err.contains("(2 problems)"), "{err}");
    assert!(err.contains("line 5: type: \"gossip\" is not a request type; one of: right_of_access"), "{err}");
    assert!(err.contains("line 10: postage: write dollars as text in quotes"), "{err}");

    // What only the store knows is told at its line too.
    let file = write(dir.path(), "nobody.toml", &good.replace("patient = \"100234\"", "patient = \"999999\""));
    let err = refused(&chartroom(dir.path(), &["roi", "log", "--file", &file]));
    assert!(err.contains("line 2: patient: no patient has MRN 999999"), "{err}");
    let file = write(dir.path(), "future.toml", &good.replace("received_on = 2025-03-03", "received_on = 2199-01-01"));
    let err = refused(&chartroom(dir.path(), &["roi", "log", "--file", &file]));
    assert!(err.contains("line 3: received_on: 2199-01-01 is after today"), "{err}");

    assert_eq!(count(), before, "nothing was logged");
}

#[test]
fn the_issue_e2e_a_request_from_a_file_fails_its_checklist_is_corrected_extended_and_released() {
    let dir = demo_store();
    let today = host_today();
    let received = today - chrono::Duration::days(3);
    let requester =
        "kind = \"attorney\"\nname = \"Quill & Ramos LLP\"\naddress = \"\"\"\n12 Court St\nAustin TX 78701\"\"\"";
    let mut text = request_file("RGH", "100234", received, "third_party_directive", "paper", requester);
    let authorization = format!(
        "\n[authorization]\nkind = \"hipaa\"\nsigned_on = {signed}\nsigner = \"SMITH, JOHN A\"\nrelationship = \"self\"\n\
         discloser = \"Riverbend General Hospital\"\nrecipient = \"Quill & Ramos LLP\"\n\
         information = \"All records of 2025\"\npurpose = \"Litigation\"\nsignature = true\n\
         conditioning_statement = true\nredisclosure_statement = true\n",
        signed = received - chrono::Duration::days(2)
    );
    text.push_str(&authorization);
    let file = write(dir.path(), "directive.toml", &text);

    // Logged, and pended: the authorization has no expiration and no revocation statement.
    let said = ok(&chartroom(dir.path(), &["roi", "log", "--file", &file]));
    let number = logged_number(&said);
    assert!(said.contains("Pended: Deficient authorization."), "{said}");
    assert!(said.contains("The authorization fails core.expiration, statement.revocation."), "{said}");
    let shown = json(&chartroom(dir.path(), &["roi", "show", &number, "--json"]));
    assert_eq!(shown["status"], "pended");
    let failed: Vec<&str> = shown["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["passed"] == false)
        .map(|i| i["element"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["core.expiration", "statement.revocation"]);
    let letter_dir = dir.path().join("data/letters").join(today.to_string());
    let letter = std::fs::read_to_string(letter_dir.join(format!("{number}-deficient_authorization.txt"))).unwrap();
    assert_eq!(letter.lines().filter(|l| l.starts_with("  - ")).count(), 2, "{letter}");
    assert!(letter_dir.join(format!("{number}-deficient_authorization.pdf")).exists());

    // A release is refused while it is pended.
    let err = refused(&chartroom(
        dir.path(),
        &["roi", "release", &number, "--date", &today.to_string(), "--signature-stdin"],
    ));
    assert!(err.contains("is Pended; it cannot be released"), "{err}");

    // The corrected authorization passes: back to validating.
    let corrected = authorization.replace(
        "signature = true",
        &format!("signature = true\nrevocation_statement = true\nexpires_on = {}", today + chrono::Duration::days(365)),
    );
    let auth_file = write(dir.path(), "corrected.toml", &corrected);
    let said = ok(&chartroom(dir.path(), &["roi", "authorization", &number, "--file", &auth_file]));
    assert!(said.contains("the authorization passes its checklist. Validating."), "{said}");

    // Extended within the first 30 days, with its notice.
    let hipaa = received + chrono::Duration::days(30);
    let new_due = hipaa + chrono::Duration::days(20);
    let said = ok(&chartroom(
        dir.path(),
        &["roi", "extend", &number, "--date", &new_due.to_string(), "--reason", "records at the off-site vendor"],
    ));
    assert!(said.starts_with(&format!("{number} extended to")), "{said}");

    for step in ["fulfil", "qc", "ready_to_release"] {
        ok(&chartroom(dir.path(), &["roi", "step", &number, step]));
    }
    // Signed with the clerk's code: a wrong one releases nothing.
    set_own_signature(dir.path(), CODE);
    let release = ["roi", "release", &number, "--date", &today.to_string(), "--pages", "38", "--signature-stdin"];
    let err = refused(&chartroom_with_stdin(dir.path(), &release, "orchid77\n"));
    assert!(err.contains("that signature code is not right"), "{err}");
    let said = ok(&chartroom_with_stdin(dir.path(), &release, &format!("{CODE}\n")));
    assert!(said.contains("released") && said.contains("to Quill & Ramos LLP, 12 Court St, Austin TX 78701"), "{said}");

    let shown = json(&chartroom(dir.path(), &["roi", "show", &number, "--json"]));
    assert_eq!(shown["status"], "released");
    assert_eq!(shown["extended_due_on"], new_due.to_string());
    assert!(shown["checklist"].as_array().unwrap().iter().all(|i| i["passed"] == true));
    assert_eq!(shown["authorizations"].as_array().unwrap().len(), 2, "the failed checklist is kept");
    let kinds: Vec<&str> = shown["letters"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["deficient_authorization", "extension_notice"]);
    let disclosure = &shown["disclosures"][0];
    assert_eq!(disclosure["legal_basis"], "authorization");
    assert_eq!(disclosure["accountable"], false);
    assert_eq!(disclosure["pages"], 38);
    let statuses: Vec<&str> =
        shown["history"].as_array().unwrap().iter().map(|h| h["to_status"].as_str().unwrap()).collect();
    assert_eq!(statuses.first(), Some(&"pended"));
    assert_eq!(statuses.last(), Some(&"released"));
    // The text form says the same, in a clerk's words.
    let text = ok(&chartroom(dir.path(), &["roi", "show", &number]));
    assert!(text.starts_with(&format!("{number}  Third-party directive  Released")), "{text}");
    assert!(text.contains("pass core.expiration"), "{text}");
}

#[test]
fn a_clerk_is_told_which_roles_may_release_and_edit_templates() {
    let dir = demo_store();
    // The founder: the account running the tests.
    let me = chartroom::desk::identity::current_account().unwrap();
    let file =
        write(dir.path(), "r.toml", &request_file("RGH", "100234", d(2025, 3, 3), "right_of_access", "pdf", SMITH));
    let number = logged_number(&ok(&chartroom(dir.path(), &["roi", "log", "--file", &file])));
    ok(&chartroom(dir.path(), &["user", "add", "deputy", "--role", "director"]));
    ok(&chartroom(dir.path(), &["user", "roles", &me, "him_clerk"]));
    let err = refused(&chartroom(dir.path(), &["roi", "release", &number, "--date", "2025-03-04"]));
    assert!(err.contains("may not release records: that needs roi_specialist, supervisor or director"), "{err}");
    let err = refused(&chartroom(dir.path(), &["roi", "cancel", &number, "--reason", "logged twice"]));
    assert!(err.contains("may not void records: that needs supervisor or director"), "{err}");
    let template = write(dir.path(), "t.txt", "{{request_number}} {{reason}}");
    let err = refused(&chartroom(dir.path(), &["template", "edit", "rejection", "--file", &template]));
    assert!(err.contains("may not change rules: that needs director"), "{err}");
    // What a clerk may do, she does: hold it at the requester's word.
    let said = ok(&chartroom(dir.path(), &["roi", "hold", &number, "--reason", "requester asked to wait"]));
    assert_eq!(said.trim(), format!("{number} is on hold: requester asked to wait."));
}

#[test]
fn a_director_edits_a_template_in_her_editor_and_letters_use_the_new_version() {
    let dir = tempfile::tempdir().unwrap();
    ok(&chartroom(dir.path(), &["init", "--empty"]));
    let listed = ok(&chartroom(dir.path(), &["template", "list"]));
    assert!(listed.contains("acknowledgement") && listed.contains("built in (stored when first used)"), "{listed}");
    // The §2.32 notice has no built-in text: nothing is stored when first used, a Director writes it.
    let part2 = listed.lines().find(|l| l.starts_with("part2_notice")).unwrap();
    assert!(part2.ends_with(" - not set — a Director must write it (template edit part2_notice --file F)"), "{listed}");
    let shown = ok(&chartroom(dir.path(), &["template", "show", "part2_notice"]));
    assert!(shown.starts_with("Part 2 notice template: not set — a Director must write it"), "{shown}");
    let shown = ok(&chartroom(dir.path(), &["template", "show", "extension_notice"]));
    assert!(shown.starts_with("Extension notice template, version 1 (built in)"), "{shown}");
    assert!(shown.contains("{{extension_reason}}  extension notice: why it needs more time"), "{shown}");
    // The editor is whatever $EDITOR names, given the file to edit.
    let edit = |editor: &str| {
        Command::new(env!("CARGO_BIN_EXE_chartroom"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .args(["template", "edit", "acknowledgement"])
            .env_remove("VISUAL")
            .env("EDITOR", editor)
            .output()
            .unwrap()
    };
    let said = ok(&edit("sed -i 's/We received your request/We have your request/'"));
    assert_eq!(said.trim(), "Saved the acknowledgement template as version 2; letters from now on use it.");
    let shown = ok(&chartroom(dir.path(), &["template", "show", "acknowledgement"]));
    assert!(shown.starts_with("Acknowledgement template, version 2\n"), "{shown}");
    assert!(shown.contains("We have your request"), "{shown}");
    let first = ok(&chartroom(dir.path(), &["template", "show", "acknowledgement", "--version", "1"]));
    assert!(first.contains("We received your request"), "the old version is kept: {first}");
    // An editor that leaves a placeholder broken saves nothing, and says why.
    let err = refused(&edit("sed -i 's/{{request_number}}/{{request_numbr}}/g'"));
    assert!(err.contains("{{request_numbr}} is not a placeholder"), "{err}");
    assert!(err.contains("must hold {{request_number}}"), "{err}");
    let err = refused(&edit("false"));
    assert!(err.contains("nothing was saved"), "{err}");
    let listed = ok(&chartroom(dir.path(), &["template", "list"]));
    assert!(listed.lines().any(|l| l.starts_with("acknowledgement") && l.contains(" 2 ")), "{listed}");
}
