//! The authorization form's side of the model. From a request (`a`, or `:roi authorization`) it
//! records an authorization received, or a corrected one, through the desk — refused before the
//! form when the request is closed or the clerk's roles do not allow it, and asked about (y/N) with
//! what will happen to the request. From intake (Enter on its Authorization line) it keeps the
//! paper with the request form, to be judged when the request is logged. Either way the checklist
//! is run on what is keyed as it is keyed: the clerk sees before saving what will fail.

use super::roi::{RequestChange, RoiCommand};
use super::*;
use crate::desk::roi::{IntakeRequester, authorization_checklist, status_after_authorization};
use crate::domain::dates::us_date;
use crate::domain::roi::{AuthorizationForm, AuthorizationKind, ChecklistItem, RequesterKind};
use crate::domain::role::{Permission, allows};
use crate::domain::text::clean;
use crate::tui::screens::roi_authorization::{AuthField, AuthSetting, AuthState, AuthTarget, ForRequest, one_line};
use crate::tui::screens::roi_intake::Field;
use crossterm::event::KeyCode;

/// `Riverbend General Hospital`: the facility's name without the code the header adds.
fn facility_name(header: &HeaderInfo, code: Option<&str>, id: Option<i64>) -> String {
    let found = match (code, id) {
        (Some(code), _) => header.facility_by_code(code),
        (None, Some(id)) => header.facility_by_id(id),
        (None, None) => None,
    };
    match found {
        Some(f) => f.name.clone(),
        None => header.facility.rsplit_once(" (").map_or_else(|| header.facility.clone(), |(name, _)| name.into()),
    }
}

/// A fresh paper as the request tells it: signed by the patient, disclosed by the facility to the
/// requester, for the request's purpose. What the paper says differently, the clerk changes.
fn prefilled(patient: &str, discloser: String, recipient: String, purpose: &str) -> AuthorizationForm {
    AuthorizationForm {
        kind: Some(AuthorizationKind::Hipaa),
        patient_name: patient.to_string(),
        signer: patient.to_string(),
        relationship: "self".into(),
        discloser,
        recipient,
        purpose: one_line(purpose),
        ..AuthorizationForm::default()
    }
}

/// `SMITH & JONES LLP, Attn: records`: a requester as a recipient is named.
fn recipient_words(name: &str, organization: &str) -> String {
    let (name, organization) = (name.trim(), organization.trim());
    if organization.is_empty() || organization == name { name.to_string() } else { format!("{name}, {organization}") }
}

impl App {
    /// `a` on a request, or `:roi authorization`: the form for it, prefilled from its latest
    /// authorization (a correction usually changes an item or two), else from the request.
    pub(super) fn open_authorization(&mut self) -> Vec<Command> {
        let Some(open) = self.roi.request.as_ref().filter(|_| self.screen == Screen::Request) else {
            self.toast = Some("Open the request the authorization is for (the ROI queue, 4).".into());
            return Vec::new();
        };
        let r = &open.request;
        if !allows(&self.header.roles, Permission::ReleaseRecords)
            && let Err(problem) = self.may_roi(Permission::LogRequests, "record an authorization")
        {
            self.toast = Some(problem);
            return Vec::new();
        }
        if !r.status.is_open() {
            self.toast =
                Some(format!("{} is {}; an authorization can no longer be added to it", r.number, r.status.title()));
            return Vec::new();
        }
        if self.roi.changing {
            self.toast = Some("A change to this request is on its way; a moment.".into());
            return Vec::new();
        }
        // The form in hand for this request: back to it, as it was left.
        if let Some(auth) = self.roi.authorization.as_ref()
            && matches!(&auth.target, AuthTarget::Request(f) if f.id == r.id)
        {
            self.screen = Screen::Authorization;
            return Vec::new();
        }
        let form = match r.authorizations.iter().max_by_key(|a| (a.received_on, a.at)) {
            Some(latest) => latest.form.clone(),
            None => prefilled(
                &r.patient_name,
                facility_name(&self.header, None, Some(r.facility_id)),
                recipient_words(&r.requester.name, &r.requester.organization),
                &r.purpose,
            ),
        };
        let setting = AuthSetting {
            patient: r.patient_name.clone(),
            mrn: r.mrn.to_string(),
            state: self.header.facility_by_id(r.facility_id).map(|f| f.state.clone()).unwrap_or_default(),
            requester_kind: r.requester.kind,
            checked_on: self.today,
            today: self.today,
        };
        let target = AuthTarget::Request(ForRequest {
            id: r.id,
            number: r.number.clone(),
            version: r.version,
            status: r.status,
            received_on: r.received_on,
        });
        self.replace_authorization(AuthState::new(target, form, setting));
        Vec::new()
    }

    /// Enter on intake's Authorization line: the paper that came with the request.
    pub(super) fn open_intake_authorization(&mut self) -> Vec<Command> {
        let today = self.today;
        let Some(intake) = self.roi.intake.as_ref() else { return Vec::new() };
        if self.roi.authorization.as_ref().is_some_and(|a| a.target == AuthTarget::Intake) {
            self.screen = Screen::Authorization;
            return Vec::new();
        }
        let (recipient, requester_kind) = match (&intake.form.requester, &intake.picked) {
            (IntakeRequester::New(n), _) => (recipient_words(&n.name, &n.organization), n.kind),
            (IntakeRequester::Existing(_), Some(r)) => (recipient_words(&r.name, &r.organization), r.kind),
            // A kept form names its entry by label only: `SMITH & JONES LLP (attorney)`.
            (IntakeRequester::Existing(_), None) => {
                let label = intake.requester_label.clone().unwrap_or_default();
                let name = label.rsplit_once(" (").map_or(label.as_str(), |(name, _)| name).to_string();
                (name, RequesterKind::Other)
            }
        };
        let form = match &intake.form.authorization {
            Some(entered) => entered.clone(),
            None => prefilled(
                &intake.patient.name,
                facility_name(&self.header, Some(&intake.form.facility), None),
                recipient,
                &intake.form.purpose,
            ),
        };
        let setting = AuthSetting {
            patient: intake.patient.name.clone(),
            mrn: intake.patient.mrn.clone(),
            state: self.header.facility_by_code(&intake.form.facility).map(|f| f.state.clone()).unwrap_or_default(),
            requester_kind,
            checked_on: intake.form.received_on.unwrap_or(today),
            today,
        };
        self.replace_authorization(AuthState::new(AuthTarget::Intake, form, setting));
        Vec::new()
    }

    fn replace_authorization(&mut self, state: AuthState) {
        // A form left half-typed for another request (the palette took the clerk away) is said to
        // be dropped, never dropped in silence.
        if let Some(old) = self.roi.authorization.take().filter(AuthState::changed) {
            let whose = match &old.target {
                AuthTarget::Request(r) => r.number.to_string(),
                AuthTarget::Intake => "the new request".to_string(),
            };
            self.toast = Some(format!("The authorization you were typing for {whose} was not saved."));
        }
        self.roi.authorization = Some(state);
        self.screen = Screen::Authorization;
    }

    /// The checklist of the authorization entered with the intake form, as logging will run it.
    pub fn intake_authorization_checklist(&self) -> Option<Vec<ChecklistItem>> {
        let intake = self.roi.intake.as_ref()?;
        let form = intake.form.authorization.as_ref()?;
        let kind = match (&intake.form.requester, &intake.picked) {
            (IntakeRequester::New(n), _) => n.kind,
            (_, Some(r)) => r.kind,
            _ => RequesterKind::Other,
        };
        let state = self.header.facility_by_code(&intake.form.facility).map(|f| f.state.as_str()).unwrap_or_default();
        Some(authorization_checklist(form, intake.form.received_on.unwrap_or(self.today), state, kind))
    }

    pub(super) fn on_authorization_action(&mut self, action: Action) -> Vec<Command> {
        let Some(auth) = self.roi.authorization.as_mut() else {
            self.screen = Screen::Lookup;
            return Vec::new();
        };
        match action {
            Action::NextField => auth.next_field(1),
            Action::PrevField => auth.next_field(-1),
            Action::SubmitForm => return self.save_authorization(),
            Action::Back if auth.changed() => {
                let prompt = match &auth.target {
                    AuthTarget::Request(r) => {
                        format!("Discard the authorization you typed for {}? Nothing of it is saved. (y/N)", r.number)
                    }
                    AuthTarget::Intake => "Discard what you changed in the authorization? The request form keeps \
                                           what it had before. (y/N)"
                        .to_string(),
                };
                self.overlay = Some(Overlay::DiscardAuthorization { prompt });
            }
            Action::Back => self.close_authorization(),
            _ => self.dirty = false,
        }
        Vec::new()
    }

    /// Keys the keymap leaves to the form: text, Enter, Space, the arrows.
    pub(super) fn on_authorization_key(&mut self, key: crossterm::event::KeyEvent) -> Vec<Command> {
        let Some(auth) = self.roi.authorization.as_mut() else { return Vec::new() };
        if key.code == KeyCode::Enter {
            auth.next_field(1);
            return Vec::new();
        }
        if auth.edit(key).is_none() {
            self.dirty = false;
        }
        Vec::new()
    }

    /// Back where the form was opened from, what was typed dropped.
    pub(super) fn close_authorization(&mut self) {
        let back = match self.roi.authorization.take().map(|a| a.target) {
            Some(AuthTarget::Intake) if self.roi.intake.is_some() => Screen::Intake,
            _ if self.roi.request.is_some() => Screen::Request,
            _ => Screen::Roi,
        };
        self.screen = back;
    }

    /// The answer to the discard question.
    pub(super) fn on_discard_authorization_key(&mut self, key: crossterm::event::KeyEvent) -> Vec<Command> {
        if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
            self.close_authorization();
            self.toast = Some("The authorization was not saved.".into());
        } else {
            self.toast = Some("Nothing was discarded: the form is as you left it.".into());
        }
        Vec::new()
    }

    /// Ctrl-S: the form checked (the cursor goes to the first problem, said on its field); then,
    /// for a request, the question naming what will happen; for intake, the paper kept with the
    /// request form.
    fn save_authorization(&mut self) -> Vec<Command> {
        if self.roi.changing {
            // Saved once already: a second save would be refused as made on what the clerk saw before.
            self.toast = Some("The authorization is on its way to the desk; a moment.".into());
            return Vec::new();
        }
        let roles = self.header.roles.clone();
        let Some(auth) = self.roi.authorization.as_mut() else { return Vec::new() };
        let (form, received_on) = match auth.checked() {
            Ok(checked) => checked,
            Err((field, problem)) => {
                auth.focus_on(field);
                auth.problem = Some((field, problem.clone()));
                self.toast = Some(problem);
                return Vec::new();
            }
        };
        let items = authorization_checklist(&form, received_on, &auth.setting.state, auth.setting.requester_kind);
        let failed: Vec<&str> = items.iter().filter(|i| !i.passed).map(|i| i.element.as_str()).collect();
        let request = match &auth.target {
            AuthTarget::Request(request) => request.clone(),
            AuthTarget::Intake => return self.keep_intake_authorization(form, &failed, items.len()),
        };
        let from = request.status;
        let to = status_after_authorization(failed.is_empty(), from, &roles);
        let named = format!("{} ({})", request.number, clean(&auth.setting.patient));
        let moves = if to == from {
            format!("the request stays {}", from.title())
        } else {
            format!("the request goes from {} to {}", from.title(), to.title())
        };
        let date = us_date(received_on);
        let (prompt, done) = if failed.is_empty() {
            (
                format!("Record the authorization received {date} for {named}? Its checklist passes: {moves}. (y/N)"),
                format!(
                    "{}: authorization received {date} — checklist passed; {}{}",
                    request.number,
                    if to == from { "still " } else { "" },
                    to.title()
                ),
            )
        } else {
            (
                format!(
                    "Record the authorization received {date} for {named}? Its checklist fails {}: {moves}, and a \
                     deficient-authorization letter is written. (y/N)",
                    failed.join(", ")
                ),
                format!(
                    "{}: authorization received {date} — checklist failed ({}); {}{}: deficient authorization letter \
                     written",
                    request.number,
                    failed.join(", "),
                    if to == from && to != crate::domain::roi::RequestStatus::Pended { "still " } else { "" },
                    to.title()
                ),
            )
        };
        let command = Command::Roi(RoiCommand::Change {
            number: request.number.to_string(),
            version: request.version,
            done,
            change: RequestChange::Authorization { form: Box::new(form), received_on },
        });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }

    /// Intake's paper saved with the request form (and its draft): logging runs its checklist.
    fn keep_intake_authorization(&mut self, form: AuthorizationForm, failed: &[&str], total: usize) -> Vec<Command> {
        self.roi.authorization = None;
        let Some(intake) = self.roi.intake.as_mut() else {
            self.screen = Screen::Lookup;
            return Vec::new();
        };
        intake.form.authorization = Some(form);
        intake.unsaved = true;
        intake.focus_on(Field::Authorization);
        self.screen = Screen::Intake;
        self.toast = Some(match failed {
            [] => format!("Authorization entered: checklist {total} of {total} passed."),
            [_] => "Authorization entered: 1 item fails; logging pends the request with a deficient-authorization \
                    letter."
                .to_string(),
            failed => format!(
                "Authorization entered: {} items fail; logging pends the request with a deficient-authorization \
                 letter.",
                failed.len()
            ),
        });
        self.keep_draft()
    }

    /// The session ends with intake's authorization form open: what was typed goes with the kept
    /// request form, so that it comes back with it.
    pub(super) fn keep_typed_authorization(&mut self) {
        let Some(auth) = self.roi.authorization.as_ref().filter(|a| a.target == AuthTarget::Intake && a.changed())
        else {
            return;
        };
        let form = auth.form.clone();
        if let Some(intake) = self.roi.intake.as_mut() {
            intake.form.authorization = Some(form);
            intake.unsaved = true;
        }
    }

    /// A request read again while its authorization form is open: a save is made at the version
    /// and the status the clerk was last told of.
    pub(super) fn follow_request_under_authorization(&mut self) {
        let Some(request) = self.roi.request.as_ref().map(|r| &r.request) else { return };
        if let Some(auth) = self.roi.authorization.as_mut()
            && let AuthTarget::Request(target) = &mut auth.target
            && target.id == request.id
        {
            target.version = request.version;
            target.status = request.status;
        }
    }

    /// The desk refused the authorization: the form stays as typed, the refusal said on the field
    /// it is about when it names one.
    pub(super) fn authorization_refused(&mut self, message: &str) {
        let Some(auth) = self.roi.authorization.as_mut() else { return };
        let field = match message.split(':').next().and_then(AuthField::named) {
            Some(field) => Some(field),
            // The desk's refusals of the day received (`Desk::past_date`).
            None if message.starts_with("received ") || message.contains(": record it once it has happened") => {
                Some(AuthField::Received)
            }
            None => None,
        };
        if let Some(field) = field {
            auth.focus_on(field);
            auth.problem = Some((field, message.to_string()));
        }
    }
}
