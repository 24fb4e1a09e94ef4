//! `update()` tests of the request screen's subpoena papers: `S`, `Q`, `O` offered only where
//! they mean something, what is typed checked by the desk's rule before the question, and the
//! question saying where the request goes.

use super::roi::{RequestChange, RoiCommand};
use super::roi_tests::{app_as, key, offered, open_request, request, type_text};
use super::*;
use crate::domain::roi::legal::{AWAITING_ASSURANCE, LegalPaper};
use crate::domain::roi::{LegalProcess, LegalProcessKind, RequestStatus, RequestType};
use crate::store::roi::RoiRequest;
use chrono::NaiveDate;
use crossterm::event::KeyCode;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, day).unwrap()
}

/// AS-20's subpoena, served 03/03 (the fixture's day of receipt), pended for its assurance.
fn subpoena() -> RoiRequest {
    let mut r = request(1, RequestStatus::Pended);
    r.request_type = RequestType::Subpoena;
    r.status_reason = Some(AWAITING_ASSURANCE.into());
    r.legal_process = Some(LegalProcess {
        caption: "GARCIA v. LAKESIDE TRANSIT".into(),
        ..LegalProcess::served(LegalProcessKind::Subpoena, false, d(3, 3), "Superior Court", "24-CV-1187")
    });
    r
}

#[test]
fn a_pended_subpoena_offers_its_papers_and_the_assurance_is_asked_saying_it_leaves_pended() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, subpoena());
    let offers = offered(&app);
    for expected in ["S Assurance…", "Q QPO…", "O §2.64 order…"] {
        assert!(offers.contains(&expected.to_string()), "{offers:?}");
    }
    // S opens the palette on the command, dated today; the note is typed after it.
    app.update(key(KeyCode::Char('S')));
    let Some(Overlay::Palette(palette)) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(palette.input, "roi assurance 03/10/2025 ");
    type_text(&mut app, "no objection");
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { prompt, command }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(
        prompt,
        "Record for RGH-00041 (GARCIA, MARIA): Satisfactory assurance received 03/10/2025: no objection? \
         RGH-00041 leaves Pended for Validating. (y/N)"
    );
    assert!(
        matches!(command, Command::Roi(RoiCommand::Change { change: RequestChange::Legal(LegalPaper::Assurance { note, .. }), version: 3, .. }) if note == "no objection"),
        "{command:?}"
    );
}

#[test]
fn a_paper_dated_before_service_is_refused_before_the_question() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, subpoena());
    app.update(key(KeyCode::Char('Q')));
    // The palette holds today's date: replace it with a day before service.
    for _ in 0.."roi qpo 03/10/2025".len() {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "roi qpo 03/01/2025");
    app.update(key(KeyCode::Enter));
    assert!(app.overlay.is_none());
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "RGH-00041: the qualified protective order is dated 03/01/2025, before the subpoena was served (03/03/2025)"
        )
    );
}

#[test]
fn a_part2_order_while_the_assurance_is_awaited_leaves_the_request_pended_and_says_so() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, subpoena());
    app.update(key(KeyCode::Char('O')));
    type_text(&mut app, "CIV-2064-17 Superior Court, County of San Diego");
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert!(prompt.ends_with("RGH-00041 stays Pended. (y/N)"), "{prompt}");
    assert!(prompt.contains("§2.64 court order CIV-2064-17 of Superior Court, County of San Diego dated 03/10/2025"));
}

#[test]
fn a_request_without_a_legal_process_offers_no_papers_and_refuses_the_keys() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Validating));
    assert!(!offered(&app).iter().any(|o| o.starts_with("S ") || o.starts_with("O ")), "{:?}", offered(&app));
    app.update(key(KeyCode::Char('S')));
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("RGH-00041 came with no subpoena or court order"));
    // An order's request needs no assurance: only the §2.64 order is offered.
    let mut order = subpoena();
    order.request_type = RequestType::CourtOrder;
    order.status = RequestStatus::Validating;
    order.status_reason = None;
    order.legal_process.as_mut().unwrap().kind = LegalProcessKind::CourtOrder;
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, order);
    let offers = offered(&app);
    assert!(
        offers.contains(&"O §2.64 order…".to_string()) && !offers.iter().any(|o| o.starts_with("S ")),
        "{offers:?}"
    );
}
