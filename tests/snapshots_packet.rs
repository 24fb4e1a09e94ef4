//! The release packet picker at the design size (80×24) and a wide terminal (120×40), drawn from
//! real desk answers: GARCIA's chart (the demo's, with its detox program, psychotherapy, HIV and
//! genetic documents) under an attorney's general authorization, so that the rules leave some out.

mod common;

use chartroom::desk::roi::{IntakeForm, IntakeRequester, Logged, OnOpenRequest};
use chartroom::domain::roi::status::Step;
use chartroom::domain::roi::{
    AuthorizationForm, AuthorizationKind, Delivery, NewRequester, ReceivedVia, RecordFormat, RequestType,
    RequesterKind, Scope,
};
use chartroom::domain::role::Role;
use chartroom::tui::app::{HeaderInfo, Overlay, Screen};
use chrono::NaiveDate;
use common::screens::{Harness, key};
use crossterm::event::KeyCode;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

/// jdoe (HIM clerk and ROI specialist) on GARCIA's request from Baker & Lowe LLP, ready to
/// release, with its packet open.
fn packet(width: u16, height: u16) -> Harness {
    packet_at("RGH", width, height)
}

/// [`packet`], the request made to `facility`.
fn packet_at(facility: &str, width: u16, height: u16) -> Harness {
    let fixture = common::scenario();
    let desk = common::signed_desk_for(&fixture, "jdoe");
    let form = IntakeForm {
        facility: facility.into(),
        patient: "204511".into(),
        received_on: Some(day(2, 24)),
        received_via: Some(ReceivedVia::Fax),
        request_type: Some(RequestType::Authorization),
        purpose: "Personal injury claim".into(),
        format: Some(RecordFormat::Paper),
        delivery: Some(Delivery::Mail),
        requester: IntakeRequester::New(NewRequester {
            kind: RequesterKind::Attorney,
            name: "BAKER & LOWE LLP".into(),
            organization: String::new(),
            address: "400 Congress Ave\nAustin TX 78701".into(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        }),
        scope: Scope { entire_record: true, ..Scope::default() },
        authorization: Some(AuthorizationForm {
            kind: Some(AuthorizationKind::Hipaa),
            patient_name: "GARCIA, MARIA L".into(),
            signed_on: Some(day(2, 20)),
            signer: "Maria L Garcia".into(),
            relationship: "self".into(),
            discloser: "Riverbend General Hospital".into(),
            recipient: "BAKER & LOWE LLP".into(),
            information: "All records of February 2025".into(),
            purpose: "Personal injury claim".into(),
            expires_on: Some(NaiveDate::from_ymd_opt(2026, 2, 20).unwrap()),
            signature: true,
            revocation_statement: true,
            conditioning_statement: true,
            redisclosure_statement: true,
            ..AuthorizationForm::default()
        }),
        ..IntakeForm::default()
    };
    let Ok(Logged::New { request, .. }) = desk.log_roi_request(form, OnOpenRequest::LogNew, None).unwrap() else {
        panic!("not logged")
    };
    let number = request.number.to_string();
    for step in [Step::Validate, Step::Fulfil, Step::Qc, Step::ReadyToRelease] {
        desk.roi_step(&number, None, step, None, None).unwrap();
    }
    let mut header = HeaderInfo::new("jdoe", &[Role::HimClerk, Role::RoiSpecialist]);
    header.facilities = desk.list_facilities().unwrap();
    let mut harness = Harness::on(fixture, desk, header, (width, height));
    harness.palette("roi");
    harness.keys(&[key(KeyCode::Enter)]);
    assert_eq!(harness.app.screen, Screen::Request);
    harness.keys(&[key(KeyCode::Char('P'))]);
    assert_eq!(harness.app.screen, Screen::Packet);
    harness
}

#[test]
fn roi_packet_picker_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = packet(w, h);
        let view = harness.app.roi.packet.as_ref().and_then(|p| p.view.clone()).expect("the packet is read");
        assert_eq!(view.left_out().len(), 4, "Part 2 twice, the psychotherapy note, the gene panel: {}", view.totals());
        // The clerk leaves out the verbal order too, and looks at the psychotherapy note's reason.
        let verbal = view.rows.iter().position(|r| r.document.title.starts_with("Verbal order")).unwrap();
        for _ in 0..verbal {
            harness.keys(&[key(KeyCode::Down)]);
        }
        harness.keys(&[key(KeyCode::Char(' '))]);
        let psy = view.rows.iter().position(|r| r.document.title == "Psychotherapy session note").unwrap();
        harness.keys(&[key(KeyCode::Home)]);
        for _ in 0..psy {
            harness.keys(&[key(KeyCode::Down)]);
        }
        harness.app.toast = None;
        insta::assert_snapshot!(format!("roi_packet_{w}x{h}"), harness.draw(w, h).backend());
    }
}

/// At Mission Valley, where GARCIA has no records: the sentence saying what `R` does then is read
/// whole at 80 columns.
#[test]
fn roi_packet_with_nothing_in_scope_says_so_whole_80x24() {
    let mut harness = packet_at("MVC", 80, 24);
    harness.app.toast = None;
    let screen = harness.draw(80, 24).backend().to_string();
    assert!(screen.contains("it names."), "the sentence ends on screen: {screen}");
    insta::assert_snapshot!("roi_packet_nothing_in_scope_80x24", screen);
}

#[test]
fn roi_packet_release_asks_what_goes_and_what_is_left_out_80x24() {
    let mut harness = packet(80, 24);
    harness.keys(&[key(KeyCode::Char('R'))]);
    assert!(matches!(harness.app.overlay, Some(Overlay::Confirm { .. })), "{:?}", harness.app.toast);
    insta::assert_snapshot!("roi_packet_release_question_80x24", harness.draw(80, 24).backend());
    // The yes asks for the signature code that signs the release; a wrong one releases nothing.
    harness.keys(&[key(KeyCode::Char('y'))]);
    assert!(matches!(harness.app.overlay, Some(Overlay::ReleaseSignature(_))), "{:?}", harness.app.overlay);
    harness.type_text("orchid77");
    harness.keys(&[key(KeyCode::Enter)]);
    assert_eq!(harness.app.screen, Screen::Packet, "{:?}", harness.app.toast);
    insta::assert_snapshot!("roi_packet_release_signature_80x24", harness.draw(80, 24).backend());
    harness.type_text(common::CODE);
    harness.keys(&[key(KeyCode::Enter)]);
    assert_eq!(harness.app.screen, Screen::Request, "{:?}", harness.app.toast);
    let released = &harness.app.roi.request.as_ref().unwrap().request;
    assert_eq!(released.status, chartroom::domain::roi::RequestStatus::Released, "{:?}", harness.app.toast);
}
