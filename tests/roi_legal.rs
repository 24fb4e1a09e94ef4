//! Subpoenas and court orders: AS-20 (a California civil subpoena pended until its assurance, its
//! clock, the custodian's papers, the judicial disclosure), the criminal clock, the objection
//! window, the refusals of papers that cannot be right, AS-21's §2.64 order, and the same through
//! the real binary.

mod common;

use common::CODE;
use common::cli::{chartroom, json, ok, refused};

use chartroom::desk::roi::legal::{after_paper, has_part2_court_order, paper_outcome, part2_blocking_item};
use chartroom::desk::roi::{IntakeForm, IntakeRequester, Logged, OnOpenRequest};
use chartroom::desk::{Desk, FixedClock};
use chartroom::domain::roi::legal::{AWAITING_ASSURANCE, LegalPaper, PART2_ORDER_REQUIRED, objection_window};
use chartroom::domain::roi::status::Step;
use chartroom::domain::roi::{
    Delivery, LegalBasis, LegalProcess, LegalProcessKind, LetterKind, NewRequester, ReceivedVia, RecordFormat,
    RequestStatus, RequestType, RequesterKind, Scope,
};
use chartroom::domain::role::Role;
use chartroom::store::AuditFilter;
use chartroom::store::roi::RoiRequest;
use chrono::{NaiveDate, TimeZone, Utc};
use common::key;
use std::sync::Arc;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn desk_on(fixture: &common::Fixture, username: &str, today: NaiveDate) -> Desk {
    let now = Utc.from_utc_datetime(&today.and_hms_opt(18, 0, 0).unwrap());
    Desk::sign_in(fixture.store.clone(), username, "local".into(), key(), Arc::new(FixedClock { now, today })).unwrap()
}

/// AS-20: MVC served a civil subpoena duces tecum for GARCIA on 03/10/2025; 40 pages, 30 minutes of
/// clerical time, postage $3.10.
fn subpoena(kind: LegalProcessKind, criminal: bool) -> IntakeForm {
    IntakeForm {
        facility: "MVC".into(),
        patient: "204511".into(),
        received_on: Some(d(2025, 3, 10)),
        received_via: Some(ReceivedVia::InPerson),
        request_type: Some(match kind {
            LegalProcessKind::Subpoena => RequestType::Subpoena,
            LegalProcessKind::CourtOrder => RequestType::CourtOrder,
        }),
        purpose: "Litigation".into(),
        format: Some(RecordFormat::Paper),
        delivery: Some(Delivery::Mail),
        pages: Some(40),
        postage_cents: Some(310),
        clerical_minutes: Some(30),
        requester: IntakeRequester::New(NewRequester {
            kind: RequesterKind::Attorney,
            name: "Ortega & Finch LLP".into(),
            organization: String::new(),
            address: "200 Market St\nSan Diego CA 92101".into(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        }),
        scope: Scope { entire_record: true, ..Scope::default() },
        legal_process: Some(LegalProcess {
            caption: "GARCIA v. LAKESIDE TRANSIT".into(),
            return_on: Some(d(2025, 4, 2)),
            ..LegalProcess::served(
                kind,
                criminal,
                d(2025, 3, 10),
                "Superior Court of California, County of San Diego",
                "24-CV-1187",
            )
        }),
        ..IntakeForm::default()
    }
}

fn log(desk: &Desk, form: IntakeForm) -> RoiRequest {
    match desk.log_roi_request(form, OnOpenRequest::LogNew, None).unwrap() {
        Ok(Logged::New { request, .. }) => *request,
        other => panic!("not logged: {other:?}"),
    }
}

#[test]
fn as20_a_civil_subpoena_waits_for_its_assurance_then_goes_out_with_the_custodians_papers() {
    for f in common::scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 10));
        let logged = log(&jdoe, subpoena(LegalProcessKind::Subpoena, false));
        let number = logged.number.to_string();
        assert_eq!(logged.due.due_on, Some(d(2025, 3, 25)));
        assert_eq!(logged.due.due_rule, "CA Evid 1560: 15 days after service (civil)");
        assert_eq!(logged.status, RequestStatus::Pended);
        assert_eq!(logged.status_reason.as_deref(), Some(AWAITING_ASSURANCE));
        let process = logged.legal_process.clone().unwrap();
        assert_eq!(process.caption, "GARCIA v. LAKESIDE TRANSIT");
        assert_eq!(process.return_on, Some(d(2025, 4, 2)));
        assert_eq!(objection_window(&process).unwrap().until, d(2025, 3, 24));

        // Nothing moves it on but the paper.
        let refused = jdoe.roi_step(&number, None, Step::Resume, None, None).unwrap_err().to_string();
        assert!(refused.contains("satisfactory assurance or a qualified protective order"), "{refused}");

        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 12));
        common::sign(&jdoe);
        let early = LegalPaper::Assurance { received_on: d(2025, 3, 9), note: String::new() };
        let refused = jdoe.roi_record_legal_paper(&number, None, early).unwrap_err().to_string();
        assert!(refused.contains("before the subpoena was served (03/10/2025)"), "{refused}");
        let paper = LegalPaper::Assurance {
            received_on: d(2025, 3, 12),
            note: "notice mailed to the patient 02/20/2025; no objection".into(),
        };
        let (_, to) = after_paper(&logged, &paper, d(2025, 3, 12), &[Role::HimClerk]).unwrap();
        assert_eq!(paper_outcome(&logged, to), format!("{number} leaves Pended for Validating"));
        let assured = jdoe.roi_record_legal_paper(&number, Some(logged.version), paper).unwrap();
        assert_eq!(assured.status, RequestStatus::Validating);
        assert_eq!(assured.status_reason, None);
        assert_eq!(assured.legal_process.as_ref().unwrap().assurance.as_ref().unwrap().received_on, d(2025, 3, 12));
        let line = assured.history.last().unwrap();
        assert_eq!(
            line.detail,
            "Satisfactory assurance received 03/12/2025: notice mailed to the patient 02/20/2025; no objection; \
             Validating"
        );
        let events = f.store.list_audit(&AuditFilter { limit: 1_000_000, ..Default::default() }).unwrap();
        assert!(
            events.iter().any(|e| e.entity_id.as_deref() == Some(number.as_str()) && e.detail == line.detail),
            "the paper is audited"
        );

        // The custodian's papers: the declaration and both envelopes, owner-only, recorded.
        let letters = tempfile::tempdir().unwrap();
        let (with_papers, files) = jdoe.roi_custodian_papers(&number, None, None, letters.path()).unwrap();
        assert_eq!(files.len(), 4, "{files:?}");
        let texts: Vec<String> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        let affidavit = &texts[0];
        for expected in [
            "DECLARATION OF CUSTODIAN OF RECORDS",
            "GARCIA v. LAKESIDE TRANSIT",
            "Case No. 24-CV-1187",
            "true copies of all the records",
            "ordinary\n   course of business",
            "The records consist of 40 pages.",
            "5. No record described in the subpoena that this facility holds was withheld.",
            "under penalty of perjury",
            "Signature of custodian of records",
        ] {
            assert!(affidavit.contains(expected), "{expected:?} missing from:\n{affidavit}");
        }
        let labels = &texts[1];
        for expected in
            ["INNER ENVELOPE - SEALED", "OUTER ENVELOPE - SEALED", "Case No. 24-CV-1187", "Ortega & Finch LLP"]
        {
            assert!(labels.contains(expected), "{expected:?} missing from:\n{labels}");
        }
        assert_eq!(labels.matches("GARCIA v. LAKESIDE TRANSIT").count(), 2, "{labels}");
        #[cfg(unix)]
        for file in &files {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{file:?}");
        }
        let kinds: Vec<(LetterKind, i64)> =
            with_papers.letters.iter().rev().take(2).map(|l| (l.kind, l.template_version)).collect();
        assert_eq!(kinds, [(LetterKind::EnvelopeLabels, 1), (LetterKind::CustodianAffidavit, 1)]);

        // Released: a judicial disclosure, in the accounting.
        for step in [Step::Fulfil, Step::Qc, Step::ReadyToRelease] {
            jdoe.roi_step(&number, None, step, None, None).unwrap();
        }
        // The subpoena was served on Mission Valley: GARCIA's documents are Riverbend General's
        // (A25-000781), which that facility's custodian answers for; none is offered here, and
        // what goes is the request's own count.
        let pick = chartroom::desk::roi::packet::ReleasePick { leave_out: Vec::new(), confirm_partial: true };
        let packet = jdoe.roi_packet(&number).unwrap();
        assert!(packet.rows.is_empty(), "another facility's documents were offered: {:?}", packet.rows);
        let released = jdoe.roi_release(&number, None, d(2025, 3, 12), None, &pick, CODE).unwrap();
        let disclosure = released.disclosures.last().unwrap();
        assert_eq!(disclosure.legal_basis, LegalBasis::Judicial);
        assert!(disclosure.accountable);
        assert_eq!(disclosure.pages, 40, "what went is the request's pages");
    }
}

#[test]
fn a_criminal_subpoena_is_due_in_five_days_and_has_no_objection_window() {
    let f = common::scenario();
    let jdoe = desk_on(&f, "jdoe", d(2025, 3, 10));
    let logged = log(&jdoe, subpoena(LegalProcessKind::Subpoena, true));
    assert_eq!(logged.due.due_on, Some(d(2025, 3, 15)));
    assert_eq!(logged.due.due_rule, "CA Evid 1560: 5 days after service (criminal)");
    assert_eq!(logged.status_reason.as_deref(), Some(AWAITING_ASSURANCE));
    assert_eq!(objection_window(logged.legal_process.as_ref().unwrap()), None);
}

#[test]
fn a_court_order_needs_no_assurance_and_refuses_one() {
    let f = common::scenario();
    let jdoe = desk_on(&f, "jdoe", d(2025, 3, 12));
    let logged = log(&jdoe, subpoena(LegalProcessKind::CourtOrder, false));
    assert_eq!(logged.status, RequestStatus::Logged);
    assert_eq!(logged.status_reason, None);
    let qpo = LegalPaper::Qpo { received_on: d(2025, 3, 11) };
    let refused = jdoe.roi_record_legal_paper(&logged.number.to_string(), None, qpo).unwrap_err().to_string();
    assert!(refused.contains("no qualified protective order is needed"), "{refused}");
    // Validation goes on as for any request.
    let validating = jdoe.roi_step(&logged.number.to_string(), None, Step::Validate, None, None).unwrap();
    assert_eq!(validating.status, RequestStatus::Validating);
}

#[test]
fn papers_that_cannot_be_right_are_refused_and_nothing_is_written() {
    let f = common::scenario();
    let jdoe = desk_on(&f, "jdoe", d(2025, 3, 12));
    let logged = log(&jdoe, subpoena(LegalProcessKind::Subpoena, false));
    let number = logged.number.to_string();
    for (paper, words) in [
        (LegalPaper::Qpo { received_on: d(2025, 3, 1) }, "before the subpoena was served"),
        (LegalPaper::Qpo { received_on: d(2025, 3, 13) }, "after today (03/12/2025)"),
        (
            LegalPaper::Part2Order {
                ordered_on: d(2025, 2, 28),
                court: "Superior Court".into(),
                order_no: "O-1".into(),
            },
            "before the subpoena was served",
        ),
        (
            LegalPaper::Part2Order { ordered_on: d(2025, 3, 11), court: "Superior Court".into(), order_no: "".into() },
            "the order number is missing",
        ),
    ] {
        let refused = jdoe.roi_record_legal_paper(&number, None, paper).unwrap_err().to_string();
        assert!(refused.contains(words) && refused.starts_with(&number), "{refused}");
    }
    assert_eq!(jdoe.roi_request(&number).unwrap().version, logged.version, "nothing was written");

    // A return date before service is refused at intake, naming the field.
    let mut form = subpoena(LegalProcessKind::Subpoena, false);
    form.legal_process.as_mut().unwrap().return_on = Some(d(2025, 3, 9));
    let problems = jdoe.log_roi_request(form, OnOpenRequest::LogNew, None).unwrap().unwrap_err();
    assert_eq!(problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["legal_process.return_on"]);

    // Papers for a request that came with no legal process have nothing to attach to.
    let letters = tempfile::tempdir().unwrap();
    let mut no_caption = subpoena(LegalProcessKind::Subpoena, false);
    no_caption.legal_process.as_mut().unwrap().caption = String::new();
    let uncaptioned = log(&jdoe, no_caption);
    let refused =
        jdoe.roi_custodian_papers(&uncaptioned.number.to_string(), None, None, letters.path()).unwrap_err().to_string();
    assert!(refused.contains("no case caption"), "{refused}");
    assert_eq!(std::fs::read_dir(letters.path()).unwrap().count(), 0, "no file was written");
}

#[test]
fn as21_the_part2_records_wait_for_a_2_64_order_and_the_order_is_recorded() {
    let f = common::scenario();
    let jdoe = desk_on(&f, "jdoe", d(2025, 3, 18));
    let logged = log(&jdoe, subpoena(LegalProcessKind::Subpoena, false));
    let number = logged.number.to_string();
    assert!(!has_part2_court_order(&logged));
    assert_eq!(part2_blocking_item(&logged), Some(PART2_ORDER_REQUIRED));
    assert_eq!(
        PART2_ORDER_REQUIRED,
        "Part 2: §2.64 authorizing court order required (subpoena alone insufficient, §2.61)"
    );
    let order = LegalPaper::Part2Order {
        ordered_on: d(2025, 3, 17),
        court: "Superior Court of California, County of San Diego".into(),
        order_no: "CIV-2064-17".into(),
    };
    let ordered = jdoe.roi_record_legal_paper(&number, None, order).unwrap();
    assert!(has_part2_court_order(&ordered));
    assert_eq!(part2_blocking_item(&ordered), None);
    // The order reaches the Part 2 records; the subpoena still waits for its assurance.
    assert_eq!(ordered.status, RequestStatus::Pended);
    assert_eq!(ordered.status_reason.as_deref(), Some(AWAITING_ASSURANCE));
    assert_eq!(
        ordered.history.last().unwrap().detail,
        "§2.64 court order CIV-2064-17 of Superior Court of California, County of San Diego dated 03/17/2025"
    );
    let again = LegalPaper::Part2Order { ordered_on: d(2025, 3, 18), court: "X".into(), order_no: "Y".into() };
    let refused = jdoe.roi_record_legal_paper(&number, None, again).unwrap_err().to_string();
    assert!(refused.contains("CIV-2064-17 is already on file"), "{refused}");
}

// ---- through the real binary ---------------------------------------------------------------------

#[test]
fn a_subpoena_through_the_command_line_from_logging_to_the_custodians_papers() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(&chartroom(dir, &["init"]));
    let today = common::cli::department_today();
    let served = today - chrono::Duration::days(2);
    let text = format!(
        r#"facility = "RGH"
patient = "100234"
received_on = {served}
received_via = "in_person"
type = "subpoena"
purpose = "Litigation"
format = "paper"
delivery = "mail"
pages = 40

[requester]
kind = "attorney"
name = "Quill & Ramos LLP"
address = "12 Court St\nAustin TX 78701"

[scope]
entire_record = true

[legal_process]
kind = "subpoena"
criminal = false
served_on = {served}
court = "Travis County District Court"
case_number = "D-1-GN-25-000123"
caption = "SMITH v. CAPITAL FREIGHT"
jurisdiction = "state"
"#
    );
    let file = dir.join("subpoena.toml");
    std::fs::write(&file, text).unwrap();
    let said = ok(&chartroom(dir, &["roi", "log", "--file", file.to_str().unwrap()]));
    let number = said.split_whitespace().next().unwrap().to_string();
    let shown = json(&chartroom(dir, &["roi", "show", &number, "--json"]));
    assert_eq!(shown["status"], "pended");
    assert_eq!(shown["status_reason"], AWAITING_ASSURANCE);
    let legal = &shown["legal_process"];
    assert_eq!(legal["caption"], "SMITH v. CAPITAL FREIGHT");
    assert_eq!(legal["objection_window"]["until"], (served + chrono::Duration::days(14)).to_string());
    assert_eq!(legal["awaits_assurance"], true);
    assert_eq!(legal["has_part2_court_order"], false);
    assert_eq!(legal["part2_blocking_item"], PART2_ORDER_REQUIRED);
    let text = ok(&chartroom(dir, &["roi", "show", &number]));
    assert!(text.contains("Objections"), "{text}");

    let early = (served - chrono::Duration::days(1)).to_string();
    let err = refused(&chartroom(dir, &["roi", "legal", &number, "--qpo", &early]));
    assert!(err.contains("before the subpoena was served"), "{err}");
    let said =
        ok(&chartroom(dir, &["roi", "legal", &number, "--assurance", &today.to_string(), "--note", "no objection"]));
    assert!(said.contains("the satisfactory assurance is recorded. Validating."), "{said}");
    let said = ok(&chartroom(
        dir,
        &[
            "roi",
            "legal",
            &number,
            "--part2-order",
            &today.to_string(),
            "--court",
            "Travis County",
            "--order-no",
            "O-17",
        ],
    ));
    assert!(said.contains("§2.64 court order is recorded"), "{said}");
    let shown = json(&chartroom(dir, &["roi", "show", &number, "--json"]));
    assert_eq!(shown["legal_process"]["has_part2_court_order"], true);
    assert_eq!(shown["legal_process"]["part2_order"]["order_no"], "O-17");

    let said = ok(&chartroom(dir, &["roi", "custodian-papers", &number]));
    let files: Vec<&str> = said.lines().skip(1).map(str::trim).collect();
    assert_eq!(files.len(), 4, "{said}");
    for file in &files {
        assert!(std::path::Path::new(file).exists(), "{file}");
    }
    assert!(std::fs::read_to_string(files[0]).unwrap().contains("SMITH v. CAPITAL FREIGHT"));
}
