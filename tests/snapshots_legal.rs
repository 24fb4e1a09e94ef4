//! The request screen of a subpoena at the design size (80×24) and a wide terminal (120×40): its
//! legal process (served, court, caption, case number, civil or criminal, the objection window,
//! the assurance and the §2.64 order), and the question before an assurance is recorded. Drawn
//! from a subpoena logged through the desk on the scenario store.

mod common;

use chartroom::desk::roi::{IntakeForm, IntakeRequester, OnOpenRequest};
use chartroom::domain::roi::{
    Delivery, LegalProcess, LegalProcessKind, NewRequester, ReceivedVia, RecordFormat, RequestType, RequesterKind,
    Scope,
};
use chartroom::domain::role::Role;
use chartroom::tui::app::{HeaderInfo, Screen};
use chrono::NaiveDate;
use common::screens::{Harness, key};
use crossterm::event::KeyCode;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

/// A civil subpoena for GARCIA served on MVC 02/28/2025, logged 03/03 (the scenario's today):
/// pended for its assurance, objections until 03/14/2025.
fn harness(width: u16, height: u16) -> Harness {
    let fixture = common::scenario();
    let desk = common::desk_for(&fixture, "jdoe");
    let form = IntakeForm {
        facility: "MVC".into(),
        patient: "204511".into(),
        received_on: Some(day(3, 3)),
        received_via: Some(ReceivedVia::InPerson),
        request_type: Some(RequestType::Subpoena),
        purpose: "Litigation".into(),
        format: Some(RecordFormat::Paper),
        delivery: Some(Delivery::Mail),
        pages: Some(40),
        requester: IntakeRequester::New(NewRequester {
            kind: RequesterKind::Attorney,
            name: "ORTEGA & FINCH LLP".into(),
            organization: String::new(),
            address: "200 Market St\nSan Diego CA 92101".into(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        }),
        scope: Scope { entire_record: true, ..Scope::default() },
        legal_process: Some(LegalProcess {
            caption: "MARIA L. GARCIA v. LAKESIDE TRANSIT AUTHORITY AND DOES 1 THROUGH 20".into(),
            return_on: Some(day(3, 28)),
            ..LegalProcess::served(
                LegalProcessKind::Subpoena,
                false,
                day(2, 28),
                "Superior Court of California, County of San Diego",
                "24-CV-001187",
            )
        }),
        ..IntakeForm::default()
    };
    desk.log_roi_request(form, OnOpenRequest::LogNew, None).unwrap().unwrap();
    let mut header = HeaderInfo::new("jdoe", &[Role::HimClerk, Role::RoiSpecialist]);
    header.facilities = desk.list_facilities().unwrap();
    let mut harness = Harness::on(fixture, desk, header, (width, height));
    harness.palette("roi");
    harness.keys(&[key(KeyCode::Enter)]);
    assert_eq!(harness.app.screen, Screen::Request);
    harness
}

#[test]
fn roi_request_legal_process_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let harness = harness(w, h);
        insta::assert_snapshot!(format!("roi_request_legal_{w}x{h}"), harness.draw(w, h).backend());
    }
}

#[test]
fn roi_assurance_asks_saying_the_request_leaves_pended_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.keys(&[key(KeyCode::Char('S'))]);
        harness.type_text("notice mailed 02/10; no objection");
        harness.keys(&[key(KeyCode::Enter)]);
        insta::assert_snapshot!(format!("roi_request_legal_assurance_{w}x{h}"), harness.draw(w, h).backend());
    }
}
