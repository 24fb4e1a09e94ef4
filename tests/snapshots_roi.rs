//! The release-of-information screens at the design size (80×24) and a wide terminal (120×40),
//! drawn from real desk answers: requests logged through the desk on the scenario store, the
//! screens' commands run in line through the same function the effects runner calls.

mod common;

use chartroom::desk::Desk;
use chartroom::desk::roi::{IntakeForm, IntakeRequester, OnOpenRequest};
use chartroom::domain::roi::status::Step;
use chartroom::domain::roi::{
    AuthorizationForm, AuthorizationKind, Delivery, NewRequester, ReceivedVia, RecordFormat, RequestStatus,
    RequestType, RequesterKind, Scope,
};
use chartroom::domain::role::Role;
use chartroom::tui::app::{HeaderInfo, Overlay, Screen};
use chartroom::tui::theme::Theme;
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

fn requester(kind: RequesterKind, name: &str, address: &str) -> IntakeRequester {
    IntakeRequester::New(NewRequester {
        kind,
        name: name.into(),
        organization: String::new(),
        address: address.into(),
        phone: String::new(),
        fax: String::new(),
        email: String::new(),
    })
}

fn form(mrn: &str, kind: RequestType, who: IntakeRequester, received: NaiveDate, purpose: &str) -> IntakeForm {
    IntakeForm {
        facility: "RGH".into(),
        patient: mrn.into(),
        received_on: Some(received),
        received_via: Some(ReceivedVia::Mail),
        request_type: Some(kind),
        purpose: purpose.into(),
        format: Some(RecordFormat::Pdf),
        delivery: Some(Delivery::Portal),
        requester: who,
        scope: Scope { entire_record: true, ..Scope::default() },
        ..IntakeForm::default()
    }
}

/// A few requests of the scenario's patients, in the statuses a desk has on a Monday: one a
/// patient's own, one an attorney's whose authorization has neither an expiration nor the right
/// to revoke (pended, AS-17's shape), one overdue from an insurer, one just in.
fn log_requests(desk: &Desk) {
    let attorney = requester(RequesterKind::Attorney, "SMITH & JONES LLP", "12 Main St\nAustin TX 78701");
    let mut litigation = form("204511", RequestType::Authorization, attorney, day(2, 20), "Litigation");
    litigation.authorization = Some(AuthorizationForm {
        kind: Some(AuthorizationKind::Hipaa),
        patient_name: "GARCIA, MARIA L".into(),
        signed_on: Some(day(2, 12)),
        signer: "Maria L Garcia".into(),
        relationship: "self".into(),
        discloser: "Riverbend General Hospital".into(),
        recipient: "SMITH & JONES LLP".into(),
        information: "All records of 2024 and 2025".into(),
        purpose: "Litigation".into(),
        signature: true,
        conditioning_statement: true,
        redisclosure_statement: true,
        ..AuthorizationForm::default()
    });
    let forms = [
        form(
            "204511",
            RequestType::RightOfAccess,
            requester(RequesterKind::Patient, "GARCIA, MARIA L", "4 Elm St\nAustin TX 78702"),
            day(2, 14),
            "Personal copy",
        ),
        litigation,
        form(
            "100999",
            RequestType::ThirdPartyDirective,
            requester(RequesterKind::Insurer, "TX MUTUAL INSURANCE", "PO Box 77\nDallas TX 75201"),
            day(1, 27),
            "Claim review",
        ),
        form(
            "101003",
            RequestType::ContinuityOfCare,
            requester(RequesterKind::Provider, "AUSTIN FAMILY MEDICINE", "9 Oak Ave\nAustin TX 78704"),
            day(3, 3),
            "New primary care physician",
        ),
    ];
    for f in forms {
        desk.log_roi_request(f, OnOpenRequest::LogNew, None).unwrap().unwrap();
    }
}

use common::screens::{Harness, key};

/// The scenario hospital with the requests of [`log_requests`], as jdoe (HIM clerk and ROI
/// specialist) sees it.
fn harness(width: u16, height: u16) -> Harness {
    let fixture = common::scenario();
    let desk = common::desk_for(&fixture, "jdoe");
    log_requests(&desk);
    let mut header = HeaderInfo::new("jdoe", &[Role::HimClerk, Role::RoiSpecialist]);
    header.facilities = desk.list_facilities().unwrap();
    Harness::on(fixture, desk, header, (width, height))
}

impl Harness {
    /// The request logged for `mrn` by `requester`, opened from the queue.
    fn open_request_of(&mut self, requester: &str) {
        self.palette("roi");
        let at = self.app.roi.queue.rows.iter().position(|r| r.requester == requester).unwrap();
        for _ in 0..at {
            self.keys(&[key(KeyCode::Down)]);
        }
        self.keys(&[key(KeyCode::Enter)]);
        assert_eq!(self.app.screen, Screen::Request);
    }
}

#[test]
fn roi_queue_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.palette("roi");
        assert_eq!(harness.app.screen, Screen::Roi);
        assert_eq!(harness.app.roi.queue.rows.len(), 4);
        insta::assert_snapshot!(format!("roi_queue_{w}x{h}"), harness.draw(w, h).backend());
    }
}

#[test]
fn roi_queue_overdue_only_80x24() {
    let mut harness = harness(80, 24);
    harness.palette("roi");
    harness.keys(&[key(KeyCode::Char('o'))]);
    assert!(harness.app.roi.queue.rows.iter().all(|r| r.due_on.is_some_and(|d| d < common::today())));
    insta::assert_snapshot!(harness.draw(80, 24).backend());
}

#[test]
fn roi_request_pended_on_its_checklist_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.open_request_of("SMITH & JONES LLP");
        insta::assert_snapshot!(format!("roi_request_checklist_{w}x{h}"), harness.draw(w, h).backend());
    }
}

#[test]
fn roi_request_clocks_the_due_one_marked_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.open_request_of("GARCIA, MARIA L");
        harness.keys(&[key(KeyCode::Tab)]);
        insta::assert_snapshot!(format!("roi_request_clocks_{w}x{h}"), harness.draw(w, h).backend());
    }
}

#[test]
fn roi_request_details_and_history_80x24() {
    let mut harness = harness(80, 24);
    harness.open_request_of("GARCIA, MARIA L");
    insta::assert_snapshot!("roi_request_details_80x24", harness.draw(80, 24).backend());
    harness.keys(&[KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)]);
    insta::assert_snapshot!("roi_request_history_80x24", harness.draw(80, 24).backend());
}

#[test]
fn roi_pend_asks_naming_the_request_80x24() {
    let mut harness = harness(80, 24);
    harness.open_request_of("AUSTIN FAMILY MEDICINE");
    harness.keys(&[key(KeyCode::Char('p'))]);
    harness.type_text("records at another site");
    harness.keys(&[key(KeyCode::Enter)]);
    insta::assert_snapshot!(harness.draw(80, 24).backend());
}

/// GARCIA's chart by MRN, then `n`: the form, with `smi` typed and the address book's answer.
fn intake(w: u16, h: u16) -> Harness {
    let mut harness = harness(w, h);
    harness.palette("mrn 204511");
    assert_eq!(harness.app.screen, Screen::Chart);
    harness.keys(&[key(KeyCode::Char('n'))]);
    assert_eq!(harness.app.screen, Screen::Intake);
    harness.type_text("smi");
    harness
}

#[test]
fn roi_intake_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = intake(w, h);
        insta::assert_snapshot!(format!("roi_intake_requester_{w}x{h}"), harness.draw(w, h).backend());
        // The attorney from the address book, an authorization, two lines of purpose.
        harness.keys(&[key(KeyCode::Enter), key(KeyCode::Char('a')), key(KeyCode::Tab)]);
        harness.type_text("Litigation: motor vehicle accident");
        harness.keys(&[key(KeyCode::Enter)]);
        harness.type_text("of 06/14/2024");
        insta::assert_snapshot!(format!("roi_intake_purpose_{w}x{h}"), harness.draw(w, h).backend());
        // Before a number is issued: the open request from the same attorney is offered.
        harness.keys(&[KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)]);
        insta::assert_snapshot!(format!("roi_intake_before_a_number_{w}x{h}"), harness.draw(w, h).backend());
    }
}

#[test]
fn roi_intake_logs_a_follow_up_on_the_open_request_and_shows_it_80x24() {
    let mut harness = intake(80, 24);
    harness.keys(&[key(KeyCode::Enter), key(KeyCode::Char('a')), key(KeyCode::Tab)]);
    harness.type_text("Litigation, sent again");
    harness.keys(&[KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL), key(KeyCode::Char('f'))]);
    assert_eq!(harness.app.screen, Screen::Request);
    let request = &harness.app.roi.request.as_ref().unwrap().request;
    assert_eq!(request.follow_ups.len(), 1, "{:?}", harness.app.toast);
    assert_eq!(request.received_on, day(2, 20), "the original's clock stands");
    insta::assert_snapshot!(harness.draw(80, 24).backend());
}

#[test]
fn chart_releases_lists_the_patients_requests_80x24() {
    let mut harness = harness(80, 24);
    harness.palette("mrn 204511");
    harness.keys(&[key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Tab)]);
    insta::assert_snapshot!(harness.draw(80, 24).backend());
    harness.keys(&[key(KeyCode::Enter)]);
    assert_eq!(harness.app.screen, Screen::Request);
}

/// Without colour or Unicode (`--ascii`, `NO_COLOR`): every screen of ROI in plain ASCII, the
/// overdue row still marked by `!`, the highlighted one by reverse video.
#[test]
fn roi_screens_in_ascii_without_colour_80x24() {
    let mut harness = harness(80, 24);
    let theme = Theme::monochrome().ascii();
    harness.palette("roi");
    let mut screens = vec![("roi_queue_ascii_80x24", harness.draw_with(80, 24, &theme))];
    harness.open_request_of("SMITH & JONES LLP");
    screens.push(("roi_request_ascii_80x24", harness.draw_with(80, 24, &theme)));
    harness.keys(&[key(KeyCode::Esc)]);
    harness.palette("mrn 204511");
    harness.keys(&[key(KeyCode::Char('n'))]);
    harness.type_text("smi");
    harness.keys(&[key(KeyCode::Enter)]);
    screens.push(("roi_intake_ascii_80x24", harness.draw_with(80, 24, &theme)));
    for (name, terminal) in screens {
        let buffer = terminal.backend().buffer();
        assert!(buffer.content().iter().all(|cell| cell.symbol().is_ascii()), "{name}: ASCII only");
        assert!(buffer.content().iter().all(|c| c.fg == ratatui::style::Color::Reset), "{name}: no colour");
        insta::assert_snapshot!(name, terminal.backend());
    }
}

/// Tab until `field` has the authorization form's focus.
fn to_auth_field(harness: &mut Harness, field: chartroom::tui::screens::roi_authorization::AuthField) {
    for _ in 0..20 {
        if harness.app.roi.authorization.as_ref().unwrap().focus == field {
            return;
        }
        harness.keys(&[key(KeyCode::Tab)]);
    }
    panic!("{field:?} never had focus");
}

/// AS-17 at the desk: the pended request's authorization corrected on screen — the form opens on
/// the paper on file with its two failures beside it, the expiration and the statement are keyed,
/// the checklist passes, the question says what will happen, and the request is validating again.
#[test]
fn roi_authorization_corrected_on_screen_80x24_and_120x40() {
    use chartroom::tui::screens::roi_authorization::AuthField;
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.open_request_of("SMITH & JONES LLP");
        harness.keys(&[key(KeyCode::Char('A'))]);
        assert_eq!(harness.app.screen, Screen::Authorization);
        insta::assert_snapshot!(format!("roi_authorization_on_file_{w}x{h}"), harness.draw(w, h).backend());
        to_auth_field(&mut harness, AuthField::ExpiresOn);
        harness.type_text("02/12/2026");
        to_auth_field(&mut harness, AuthField::Revocation);
        harness.keys(&[key(KeyCode::Char(' '))]);
        insta::assert_snapshot!(format!("roi_authorization_corrected_{w}x{h}"), harness.draw(w, h).backend());
        harness.keys(&[KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)]);
        if w == 80 {
            insta::assert_snapshot!("roi_authorization_question_80x24", harness.draw(w, h).backend());
        }
        harness.keys(&[key(KeyCode::Char('y'))]);
        assert_eq!(harness.app.screen, Screen::Request, "{:?}", harness.app.toast);
        let request = &harness.app.roi.request.as_ref().unwrap().request;
        assert_eq!(request.status, chartroom::domain::roi::RequestStatus::Validating);
        assert_eq!(request.authorizations.len(), 2, "the failed one is kept");
        assert!(request.authorizations.iter().any(|a| a.checklist.iter().all(|i| i.passed)));
        assert_eq!(
            harness.app.toast.as_deref(),
            Some("RGH-00002: authorization received 03/03/2025 — checklist passed; Validating"),
        );
    }
}

/// A fresh authorization for a request without one, at 80 columns: nothing of the paper keyed yet,
/// so the checklist is longer than its room and says how to see the rest.
#[test]
fn roi_authorization_fresh_form_scrolls_its_checklist_80x24() {
    let mut harness = harness(80, 24);
    harness.open_request_of("TX MUTUAL INSURANCE");
    harness.keys(&[key(KeyCode::Char('A'))]);
    insta::assert_snapshot!(harness.draw(80, 24).backend());
    harness.keys(&[key(KeyCode::PageDown), key(KeyCode::PageDown)]);
    insta::assert_snapshot!("roi_authorization_fresh_form_scrolled_80x24", harness.draw(80, 24).backend());
}

/// Intake of an attorney's request: the authorization line, the form opened from it, and the line
/// once the paper is entered.
#[test]
fn roi_intake_takes_its_authorization_80x24() {
    let mut harness = intake(80, 24);
    harness.keys(&[key(KeyCode::Enter), key(KeyCode::Char('a')), key(KeyCode::Tab)]);
    harness.type_text("Litigation");
    harness.keys(&[key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(harness.app.screen, Screen::Authorization);
    insta::assert_snapshot!("roi_intake_authorization_form_80x24", harness.draw(80, 24).backend());
    harness.keys(&[KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)]);
    assert_eq!(harness.app.screen, Screen::Intake);
    insta::assert_snapshot!("roi_intake_authorization_entered_80x24", harness.draw(80, 24).backend());
}

/// AS-18's request (75 paper pages, postage $4.50, a valid authorization) walked to QC, invoiced
/// from the request screen (`I`, asked y/N) and part paid (`:roi pay`): the Fee part with its
/// lines, what is paid and the balance.
#[test]
fn roi_request_fee_invoice_part_paid_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        as18_invoiced_and_part_paid(&mut harness);
        let shown = &harness.app.roi.request.as_ref().unwrap().request;
        assert_eq!(shown.status, RequestStatus::AwaitingPayment, "{:?}", harness.app.toast);
        assert_eq!(shown.payments.len(), 1);
        insta::assert_snapshot!(format!("roi_request_fee_{w}x{h}"), harness.draw(w, h).backend());
    }
}

/// AS-18's request (75 paper pages, postage $4.50, a valid authorization) walked to QC, invoiced
/// from the request screen (`I`, asked y/N) and part paid (`:roi pay`): $92.00, $50.00 paid.
fn as18_invoiced_and_part_paid(harness: &mut Harness) {
    as18_in_qc(harness);
    harness.keys(&[key(KeyCode::Char('I'))]);
    assert!(harness.app.overlay.is_some(), "the invoice is asked about first");
    harness.keys(&[key(KeyCode::Char('y'))]);
    harness.palette("roi pay 03/03/2025 50.00");
    harness.keys(&[key(KeyCode::Char('y'))]);
}

/// AS-18's request logged and walked to QC, its screen open: no fee yet.
fn as18_in_qc(harness: &mut Harness) {
    let mut as18 = form(
        "204511",
        RequestType::Authorization,
        requester(RequesterKind::Attorney, "BAKER & LOWE LLP", "400 Congress Ave\nAustin TX 78701"),
        day(2, 24),
        "Personal injury claim",
    );
    as18.format = Some(RecordFormat::Paper);
    as18.delivery = Some(Delivery::Mail);
    as18.pages = Some(75);
    as18.postage_cents = Some(450);
    as18.authorization = Some(AuthorizationForm {
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
    });
    let logged = harness.desk.log_roi_request(as18, OnOpenRequest::LogNew, None).unwrap().unwrap();
    let chartroom::desk::roi::Logged::New { request, .. } = logged else { panic!("not logged") };
    let number = request.number.to_string();
    for step in [Step::Validate, Step::Fulfil, Step::Qc] {
        harness.desk.roi_step(&number, None, step, None, None).unwrap();
    }
    harness.open_request_of("BAKER & LOWE LLP");
}

/// Before any quote the Fee part says so, its words wrapped at 80 columns, never cut.
#[test]
fn roi_request_fee_part_before_a_quote_wraps_its_words_80x24() {
    let mut harness = harness(80, 24);
    as18_in_qc(&mut harness);
    harness.keys(&[key(KeyCode::Tab), key(KeyCode::Tab)]);
    let screen = harness.draw(80, 24).backend().to_string();
    assert!(screen.contains("No fee quoted or invoiced yet"), "{screen}");
    assert!(screen.contains("request came."), "the sentence ends on screen: {screen}");
    insta::assert_snapshot!("roi_request_fee_part_before_a_quote_80x24", harness.draw(80, 24).backend());
}

/// A supervisor's write-off, refund and void from the Fee part: each checked as the desk checks it
/// before its question, which says what the invoice comes to; a specialist is not offered them.
#[test]
fn roi_request_fee_adjustments_are_a_supervisors_and_asked_with_their_outcome_80x24() {
    let mut harness = harness(80, 24);
    as18_invoiced_and_part_paid(&mut harness);
    harness.keys(&[key(KeyCode::Char('W'))]);
    assert!(harness.app.overlay.is_none());
    assert!(harness.app.toast.as_deref().unwrap_or_default().starts_with("You may not write off fees"));

    let Harness { fixture, .. } = harness;
    let desk = common::desk_for(&fixture, "kwong");
    let mut header = HeaderInfo::new("kwong", &[Role::Supervisor]);
    header.facilities = desk.list_facilities().unwrap();
    let mut harness = Harness::on(fixture, desk, header, (80, 24));
    harness.open_request_of("BAKER & LOWE LLP");
    // A refund of more than was paid, and a void of an invoice with money on it, never get a question.
    harness.palette("roi refund 60.00 overpaid");
    assert!(harness.app.overlay.is_none());
    assert!(harness.app.toast.as_deref().unwrap_or_default().contains("at most its amount paid ($50.00)"));
    harness.keys(&[key(KeyCode::Char('V'))]);
    assert!(harness.app.toast.as_deref().unwrap_or_default().contains("refund that first"), "{:?}", harness.app.toast);
    // W opens the palette for the amount and why; the question says the invoice is then settled.
    harness.keys(&[key(KeyCode::Char('W'))]);
    harness.type_text("42.00 hardship waiver");
    harness.keys(&[key(KeyCode::Enter)]);
    let Some(Overlay::Confirm { prompt, .. }) = &harness.app.overlay else { panic!("{:?}", harness.app.toast) };
    assert!(
        prompt.starts_with("Write off $42.00 of invoice RGH-")
            && prompt
                .ends_with("because \"hardship waiver\"? The balance becomes $0.00, the invoice is settled. (y/N)"),
        "{prompt}"
    );
    insta::assert_snapshot!("roi_request_fee_write_off_asks_80x24", harness.draw(80, 24).backend());
    harness.keys(&[key(KeyCode::Char('y'))]);
    let shown = &harness.app.roi.request.as_ref().unwrap().request;
    assert_eq!(shown.fee_adjustments.len(), 1, "{:?}", harness.app.toast);
    assert_eq!(shown.status, RequestStatus::ReadyToRelease, "settled, its payment-gated clock runs");
}

/// A re-sent request that came with an authorization, logged as a follow-up: the paper goes on the
/// original with its checklist, never dropped with the form (a follow-up records only when and how
/// the request came again).
#[test]
fn roi_intake_follow_up_keeps_the_authorization_that_came_with_it() {
    let mut harness = intake(80, 24);
    harness.keys(&[key(KeyCode::Enter), key(KeyCode::Char('a')), key(KeyCode::Tab)]);
    harness.type_text("Litigation, sent again");
    harness.keys(&[key(KeyCode::Tab), key(KeyCode::Enter)]);
    assert_eq!(harness.app.screen, Screen::Authorization);
    harness.keys(&[KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)]);
    assert_eq!(harness.app.screen, Screen::Intake);
    let before = harness.app.roi.intake.as_ref().unwrap().form.authorization.clone();
    assert!(before.is_some(), "the paper is on the form");
    harness.keys(&[KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL), key(KeyCode::Char('f'))]);
    assert_eq!(harness.app.screen, Screen::Request, "{:?}", harness.app.toast);
    let request = &harness.app.roi.request.as_ref().unwrap().request;
    assert_eq!(request.follow_ups.len(), 1, "{:?}", harness.app.toast);
    assert_eq!(request.authorizations.len(), 2, "the original's and the one re-sent: {:?}", harness.app.toast);
    let toast = harness.app.toast.clone().unwrap_or_default();
    assert!(toast.contains("The authorization that came with it was added"), "{toast}");
}
