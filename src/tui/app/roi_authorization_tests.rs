//! `update()` tests of the authorization form: opened from a request (refused first when it may
//! not be), its checklist run again as fields change, saved through the desk with the version the
//! clerk saw, Esc asking before typed work is dropped; and from intake, kept with the request form
//! and its draft.

use super::roi::{KeptForm, RequestChange, RoiCommand, RoiMsg};
use super::roi_tests::{
    app_as, app_with_chart, ctrl, key, offered, open_intake, open_request, request, requester, today, type_text,
};
use super::*;
use crate::desk::roi::{IntakeForm, IntakeRequester};
use crate::domain::chart::{Facility, FacilityKind};
use crate::domain::roi::{
    AuthorizationForm, AuthorizationKind, ChecklistItem, RequestStatus, RequestType, RequesterKind,
};
use crate::store::roi::{RoiRequest, StoredAuthorization};
use crate::tui::screens::roi_authorization::{AuthField, AuthTarget};
use crate::tui::screens::roi_intake::Field;
use chrono::{NaiveDate, TimeZone, Utc};
use crossterm::event::KeyCode;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, day).unwrap()
}

/// The corrected paper's expiry: 02/20/2026.
fn next_year() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, 20).unwrap()
}

fn riverbend() -> Facility {
    Facility {
        id: 1,
        code: "RGH".into(),
        name: "Riverbend General Hospital".into(),
        state: "TX".into(),
        kind: FacilityKind::Hospital,
        timezone: "America/Chicago".into(),
    }
}

/// A specialist (or `role`) on an attorney's request in `status`, the store's facilities known.
fn on_request(role: Role, status: RequestStatus, authorizations: Vec<StoredAuthorization>) -> App {
    let mut app = app_as(role);
    app.header.facilities = vec![riverbend()];
    app.update(key(KeyCode::Esc));
    let mut r = request(1, status);
    r.request_type = RequestType::Authorization;
    r.purpose = "Litigation:\nmotor vehicle accident".into();
    r.authorizations = authorizations;
    open_request(&mut app, r);
    app
}

/// AS-17's paper: signed 02/20/2025, no expiration and no statement of the right to revoke.
fn deficient() -> AuthorizationForm {
    AuthorizationForm {
        kind: Some(AuthorizationKind::Hipaa),
        patient_name: "GARCIA, MARIA".into(),
        signed_on: Some(d(2, 20)),
        signer: "Maria Garcia".into(),
        relationship: "self".into(),
        discloser: "Riverbend General Hospital".into(),
        recipient: "SMITH & JONES LLP".into(),
        information: "All records of 2024".into(),
        purpose: "Litigation".into(),
        signature: true,
        conditioning_statement: true,
        redisclosure_statement: true,
        ..AuthorizationForm::default()
    }
}

fn stored(form: AuthorizationForm, received_on: NaiveDate) -> StoredAuthorization {
    let checklist = crate::desk::roi::authorization_checklist(&form, received_on, "TX", RequesterKind::Attorney);
    StoredAuthorization {
        form,
        received_on,
        checklist,
        by: "jdoe".into(),
        at: Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap(),
    }
}

fn failed(items: &[ChecklistItem]) -> Vec<&str> {
    items.iter().filter(|i| !i.passed).map(|i| i.element.as_str()).collect()
}

fn auth(app: &App) -> &crate::tui::screens::roi_authorization::AuthState {
    app.roi.authorization.as_ref().unwrap_or_else(|| panic!("no form: {:?}", app.toast))
}

/// Tab until `field` has focus.
fn to_field(app: &mut App, field: AuthField) {
    for _ in 0..AuthField::ORDER.len() {
        if auth(app).focus == field {
            return;
        }
        app.update(key(KeyCode::Tab));
    }
    panic!("{field:?} never had focus");
}

fn clear(app: &mut App) {
    for _ in 0..100 {
        app.update(key(KeyCode::Backspace));
    }
}

#[test]
fn a_opens_the_form_prefilled_from_the_request_and_the_checklist_follows_each_field() {
    let mut app = on_request(Role::RoiSpecialist, RequestStatus::Pended, Vec::new());
    assert!(offered(&app).contains(&"a Authorization…".to_string()), "{:?}", offered(&app));
    assert!(offered(&app).contains(&"A Assign…".to_string()), "{:?}", offered(&app));
    assert!(app.update(key(KeyCode::Char('a'))).is_empty(), "the form opens without the store");
    assert_eq!((app.screen, app.context()), (Screen::Authorization, Context::Authorization));
    let form = &auth(&app).form;
    assert_eq!(form.kind, Some(AuthorizationKind::Hipaa));
    assert_eq!((form.patient_name.as_str(), form.signer.as_str()), ("GARCIA, MARIA", "GARCIA, MARIA"));
    assert_eq!(form.relationship, "self");
    assert_eq!(form.discloser, "Riverbend General Hospital");
    assert_eq!(form.recipient, "SMITH & JONES LLP");
    assert_eq!(form.purpose, "Litigation: motor vehicle accident", "the request's purpose, on one line");
    assert_eq!(auth(&app).received_on, Some(today()));
    // Nothing of the paper yet: what it must hold fails.
    assert_eq!(
        failed(&auth(&app).checklist),
        [
            "core.description",
            "core.expiration",
            "core.signature",
            "statement.revocation",
            "statement.conditioning",
            "statement.redisclosure"
        ]
    );

    to_field(&mut app, AuthField::Information);
    type_text(&mut app, "All records of 2024");
    assert!(!failed(&auth(&app).checklist).contains(&"core.description"));
    to_field(&mut app, AuthField::SignedOn);
    type_text(&mut app, "02/20/2025");
    to_field(&mut app, AuthField::Signature);
    app.update(key(KeyCode::Char(' ')));
    assert!(auth(&app).form.signature);
    assert!(!failed(&auth(&app).checklist).contains(&"core.signature"), "{:?}", auth(&app).checklist);
    // A date half typed is no date yet; typed whole, it is.
    to_field(&mut app, AuthField::ExpiresOn);
    type_text(&mut app, "02/20/20");
    assert!(failed(&auth(&app).checklist).contains(&"core.expiration"));
    type_text(&mut app, "26");
    assert_eq!(auth(&app).form.expires_on, Some(next_year()));
    assert!(!failed(&auth(&app).checklist).contains(&"core.expiration"));
    for field in [AuthField::Revocation, AuthField::Conditioning, AuthField::Redisclosure] {
        to_field(&mut app, field);
        app.update(key(KeyCode::Char('y')));
    }
    assert!(auth(&app).passes(), "{:?}", auth(&app).checklist);
    // A relationship naming no authority fails the signature, with the reason the desk gives.
    to_field(&mut app, AuthField::Relationship);
    clear(&mut app);
    type_text(&mut app, "daughter");
    let signature = auth(&app).checklist.iter().find(|i| i.element == "core.signature").unwrap().clone();
    assert!(!signature.passed);
    assert!(signature.reason.starts_with("Signed by the patient's daughter without a description"), "{signature:?}");
    // The kind by its first letter: Part 2's own elements.
    to_field(&mut app, AuthField::Kind);
    app.update(key(KeyCode::Char('p')));
    assert_eq!(auth(&app).form.kind, Some(AuthorizationKind::Part2));
    assert!(auth(&app).checklist.iter().any(|i| i.element == "part2.patient_name"));
}

#[test]
fn as17_the_corrected_authorization_is_saved_at_the_version_seen_and_says_what_it_did() {
    let mut app = on_request(Role::RoiSpecialist, RequestStatus::Pended, vec![stored(deficient(), d(3, 3))]);
    app.update(key(KeyCode::Char('a')));
    // A correction starts from the paper on file.
    assert_eq!(auth(&app).form, deficient());
    assert_eq!(failed(&auth(&app).checklist), ["core.expiration", "statement.revocation"]);
    to_field(&mut app, AuthField::ExpiresOn);
    type_text(&mut app, "02/20/2026");
    to_field(&mut app, AuthField::Revocation);
    app.update(key(KeyCode::Char(' ')));
    assert!(auth(&app).passes());
    assert!(app.update(ctrl('s')).is_empty(), "asked first");
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?} {:?}", app.overlay, app.toast) };
    assert_eq!(
        prompt,
        "Record the authorization received 03/10/2025 for RGH-00041 (GARCIA, MARIA)? Its checklist passes: the \
         request goes from Pended to Validating. (y/N)"
    );
    let commands = app.update(key(KeyCode::Char('y')));
    // A second save waits for the first's answer.
    assert!(app.update(ctrl('s')).is_empty());
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("The authorization is on its way to the desk; a moment."));
    let done = "RGH-00041: authorization received 03/10/2025 — checklist passed; Validating".to_string();
    let corrected = AuthorizationForm { expires_on: Some(next_year()), revocation_statement: true, ..deficient() };
    assert_eq!(
        commands,
        vec![Command::Roi(RoiCommand::Change {
            number: "RGH-00041".into(),
            version: 3,
            done: done.clone(),
            change: RequestChange::Authorization { form: Box::new(corrected.clone()), received_on: today() },
        })]
    );
    let mut now = request(1, RequestStatus::Validating);
    now.version = 4;
    now.authorizations = vec![stored(deficient(), d(3, 3)), stored(corrected, today())];
    app.update(Msg::Roi(RoiMsg::Changed { done, result: Ok(Box::new(now)) }));
    assert_eq!(app.screen, Screen::Request);
    assert!(app.roi.authorization.is_none());
    assert_eq!(
        app.toast.as_deref(),
        Some("RGH-00041: authorization received 03/10/2025 — checklist passed; Validating; due 04/02/2025")
    );
}

#[test]
fn a_failing_paper_is_asked_about_naming_what_fails_and_the_letter() {
    let mut app = on_request(Role::RoiSpecialist, RequestStatus::Validating, Vec::new());
    app.update(key(KeyCode::Char('a')));
    to_field(&mut app, AuthField::Information);
    type_text(&mut app, "All records");
    app.update(ctrl('s'));
    let Some(Overlay::Confirm { prompt, command }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(
        prompt,
        "Record the authorization received 03/10/2025 for RGH-00041 (GARCIA, MARIA)? Its checklist fails \
         core.expiration, core.signature, statement.revocation, statement.conditioning, statement.redisclosure: \
         the request goes from Validating to Pended, and a deficient-authorization letter is written. (y/N)"
    );
    let Command::Roi(RoiCommand::Change { done, .. }) = command else { panic!("{command:?}") };
    assert_eq!(
        done,
        "RGH-00041: authorization received 03/10/2025 — checklist failed (core.expiration, core.signature, \
         statement.revocation, statement.conditioning, statement.redisclosure); Pended: deficient authorization \
         letter written"
    );
    // n: nothing is sent, and the form is there as it was.
    assert!(app.update(key(KeyCode::Char('n'))).is_empty());
    assert_eq!(app.screen, Screen::Authorization);
    assert_eq!(auth(&app).form.information, "All records");
}

#[test]
fn a_clerk_whose_roles_do_not_move_the_request_is_told_it_stays() {
    // Validating is a specialist's step: a clerk's passing paper leaves a logged request logged.
    let mut app = on_request(Role::HimClerk, RequestStatus::Logged, Vec::new());
    app.update(key(KeyCode::Char('a')));
    let mut paper = deficient();
    paper.expires_on = Some(next_year());
    paper.revocation_statement = true;
    app.roi.authorization.as_mut().unwrap().form = paper;
    app.update(ctrl('s'));
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert!(prompt.ends_with("Its checklist passes: the request stays Logged. (y/N)"), "{prompt}");
}

#[test]
fn the_form_is_refused_before_it_opens_on_a_closed_request_or_without_the_roles() {
    let mut app = on_request(Role::RoiSpecialist, RequestStatus::Released, Vec::new());
    assert!(!offered(&app).iter().any(|o| o.starts_with("a ")), "{:?}", offered(&app));
    assert!(app.update(key(KeyCode::Char('a'))).is_empty());
    assert_eq!(app.screen, Screen::Request);
    assert_eq!(app.toast.as_deref(), Some("RGH-00041 is Released; an authorization can no longer be added to it"));

    let mut app = on_request(Role::Coder, RequestStatus::Pended, Vec::new());
    assert!(!offered(&app).iter().any(|o| o.starts_with("a ")), "{:?}", offered(&app));
    app.update(key(KeyCode::Char('a')));
    assert_eq!(app.screen, Screen::Request);
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "you (jdoe) may not record an authorization: that needs him_clerk, roi_specialist, supervisor or director"
        )
    );
}

#[test]
fn a_received_date_the_desk_would_refuse_is_said_on_its_field_before_any_question() {
    let mut app = on_request(Role::RoiSpecialist, RequestStatus::Pended, vec![stored(deficient(), d(3, 3))]);
    app.update(key(KeyCode::Char('a')));
    to_field(&mut app, AuthField::Received);
    clear(&mut app);
    type_text(&mut app, "03/01/2025");
    to_field(&mut app, AuthField::Kind);
    app.update(ctrl('s'));
    assert!(app.overlay.is_none());
    let said = "received 03/01/2025: that is before RGH-00041 was received (03/03/2025)";
    assert_eq!(app.toast.as_deref(), Some(said));
    assert_eq!(auth(&app).focus, AuthField::Received);
    assert_eq!(auth(&app).problem, Some((AuthField::Received, said.to_string())));
    clear(&mut app);
    assert_eq!(auth(&app).problem, None, "typing in the field clears what was said of it");
    type_text(&mut app, "03/11/2025");
    app.update(ctrl('s'));
    assert_eq!(app.toast.as_deref(), Some("03/11/2025 is after today (03/10/2025): record it once it has happened"));
    // A signature dated after the paper came is the desk's refusal too, on its field.
    clear(&mut app);
    type_text(&mut app, "03/05/2025");
    to_field(&mut app, AuthField::SignedOn);
    clear(&mut app);
    type_text(&mut app, "03/07/2025");
    app.update(ctrl('s'));
    assert_eq!(auth(&app).focus, AuthField::SignedOn);
    assert!(app.toast.as_deref().unwrap().starts_with("Signed on: 2025-03-07 is after"), "{:?}", app.toast);
}

#[test]
fn esc_asks_before_typed_work_is_dropped_and_leaves_at_once_when_nothing_was_typed() {
    let mut app = on_request(Role::RoiSpecialist, RequestStatus::Pended, Vec::new());
    app.update(key(KeyCode::Char('a')));
    app.update(key(KeyCode::Esc));
    assert_eq!((app.screen, app.overlay.is_none()), (Screen::Request, true), "nothing typed: no question");
    app.update(key(KeyCode::Char('a')));
    to_field(&mut app, AuthField::Information);
    type_text(&mut app, "All records");
    app.update(key(KeyCode::Esc));
    let Some(Overlay::DiscardAuthorization { prompt }) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert_eq!(prompt, "Discard the authorization you typed for RGH-00041? Nothing of it is saved. (y/N)");
    app.update(key(KeyCode::Char('n')));
    assert_eq!(app.screen, Screen::Authorization);
    assert_eq!(auth(&app).form.information, "All records");
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Char('y')));
    assert_eq!(app.screen, Screen::Request);
    assert!(app.roi.authorization.is_none());
    assert_eq!(app.toast.as_deref(), Some("The authorization was not saved."));
}

#[test]
fn a_save_refused_by_the_desk_keeps_the_form_and_the_next_is_made_at_the_version_read_again() {
    let mut app = on_request(Role::RoiSpecialist, RequestStatus::Pended, vec![stored(deficient(), d(3, 3))]);
    app.update(key(KeyCode::Char('a')));
    to_field(&mut app, AuthField::Revocation);
    app.update(key(KeyCode::Char(' ')));
    app.update(ctrl('s'));
    app.update(key(KeyCode::Char('y')));
    let said = "RGH-00041 was changed since you read it — by kwong at 03/10/2025 10:45: On hold: awaiting the \
                patient. Nothing was changed; look at it again."
        .to_string();
    let commands = app.update(Msg::Roi(RoiMsg::Changed { done: String::new(), result: Err(said.clone()) }));
    assert_eq!(app.screen, Screen::Authorization, "what was typed stays");
    assert!(auth(&app).form.revocation_statement);
    assert_eq!(app.toast.as_deref(), Some(said.as_str()));
    let Some(Command::Roi(RoiCommand::OpenRequest { id, .. })) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    let mut held: RoiRequest = request(1, RequestStatus::OnHold);
    held.version = 5;
    app.update(Msg::Roi(RoiMsg::RequestLoaded { id, result: Ok(Box::new(held)) }));
    let AuthTarget::Request(target) = &auth(&app).target else { panic!() };
    assert_eq!((target.version, target.status), (5, RequestStatus::OnHold));
    app.update(ctrl('s'));
    let Some(Overlay::Confirm { prompt, command }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert!(prompt.contains("from On hold") || prompt.contains("stays On hold"), "{prompt}");
    assert!(matches!(command, Command::Roi(RoiCommand::Change { version: 5, .. })), "{command:?}");
}

#[test]
fn intake_takes_the_authorization_that_came_with_the_request_and_keeps_it_in_the_draft() {
    let mut app = app_with_chart(Role::HimClerk);
    app.header.facilities = vec![riverbend()];
    open_intake(&mut app);
    let commands = type_text(&mut app, "smi");
    let Some(Command::Roi(RoiCommand::SearchRequesters { id, .. })) = commands.last().cloned() else {
        panic!("{commands:?}")
    };
    app.update(Msg::Roi(RoiMsg::RequestersFound { id, result: Ok(vec![requester()]) }));
    app.update(key(KeyCode::Enter));
    // The patient's own copy needs no authorization: no line for one.
    assert!(!app.roi.intake.as_ref().unwrap().shows_authorization());
    app.update(key(KeyCode::Char('a')));
    assert_eq!(app.roi.intake.as_ref().unwrap().form.request_type, Some(RequestType::Authorization));
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "Litigation");
    app.update(key(KeyCode::Tab));
    assert_eq!(app.roi.intake.as_ref().unwrap().focus, Field::Authorization);
    assert_eq!(app.intake_authorization_checklist(), None, "none yet");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Authorization);
    assert_eq!(auth(&app).target, AuthTarget::Intake);
    assert_eq!(auth(&app).form.recipient, "SMITH & JONES LLP", "the requester picked");
    assert_eq!(auth(&app).form.purpose, "Litigation");
    assert!(!auth(&app).order().contains(&AuthField::Received), "received with the request");
    let typed = AuthorizationForm { patient_name: "GARCIA, MARIA".into(), ..deficient() };
    app.roi.authorization.as_mut().unwrap().form = typed.clone();
    let commands = app.update(ctrl('s'));
    assert_eq!(app.screen, Screen::Intake);
    assert_eq!(app.roi.intake.as_ref().unwrap().form.authorization, Some(typed.clone()));
    assert_eq!(
        app.toast.as_deref(),
        Some("Authorization entered: 2 items fail; logging pends the request with a deficient-authorization letter.")
    );
    assert!(
        matches!(&commands[..], [Command::Roi(RoiCommand::SaveDraft { form })] if form.authorization == Some(typed.clone())),
        "the draft keeps it: {commands:?}"
    );
    let items = app.intake_authorization_checklist().unwrap();
    assert_eq!(failed(&items), ["core.expiration", "statement.revocation"]);
    assert_eq!(
        crate::tui::screens::roi_authorization::summary(Some(&items), 64),
        "entered: 2 items fail (core.expiration, statement.revocation)"
    );
    assert_eq!(
        crate::tui::screens::roi_authorization::summary(Some(&items), 40),
        "entered: 2 items fail — Enter to see which"
    );
    // Enter again: the paper entered, to correct.
    app.update(key(KeyCode::Enter));
    assert_eq!(auth(&app).form, typed);
    to_field(&mut app, AuthField::Revocation);
    app.update(key(KeyCode::Char(' ')));
    // The session ends with the form open: what was typed goes into the kept request form.
    let quit = app.update(ctrl('q'));
    assert!(
        quit.iter().any(|c| matches!(c, Command::Roi(RoiCommand::SaveDraft { form })
            if form.authorization.as_ref().is_some_and(|a| a.revocation_statement))),
        "{quit:?}"
    );
}

#[test]
fn a_kept_form_with_its_authorization_comes_back_with_it() {
    let mut app = app_with_chart(Role::HimClerk);
    app.update(key(KeyCode::Char('n')));
    let form = IntakeForm {
        patient: "204511".into(),
        facility: "RGH".into(),
        request_type: Some(RequestType::Authorization),
        requester: IntakeRequester::Existing(9),
        authorization: Some(deficient()),
        ..IntakeForm::default()
    };
    app.update(Msg::Roi(RoiMsg::DraftLoaded(Ok(Some(Box::new(KeptForm {
        form,
        requester_label: Some("SMITH & JONES LLP (attorney)".into()),
        at: None,
    }))))));
    assert_eq!(app.screen, Screen::Intake);
    let intake = app.roi.intake.as_ref().unwrap();
    assert_eq!(intake.form.authorization, Some(deficient()));
    assert!(intake.shows_authorization());
    // Backspace on its line takes it off the request.
    while app.roi.intake.as_ref().unwrap().focus != Field::Authorization {
        app.update(key(KeyCode::Tab));
    }
    app.update(key(KeyCode::Enter));
    assert_eq!(auth(&app).form.recipient, deficient().recipient);
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Backspace));
    assert_eq!(app.roi.intake.as_ref().unwrap().form.authorization, None);
}
