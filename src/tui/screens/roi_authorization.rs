//! The authorization form: the paper a third party sends (a HIPAA authorization, a Part 2 consent,
//! New York's HIV release, a psychotherapy-notes authorization) keyed field by field, with its
//! checklist run beside it as the clerk types, so that she sees before saving what will fail and
//! why. Opened from a request (an authorization received, or a corrected one) or from intake (the
//! one that came with the request). The drawing is in `roi_authorization_view.rs`.

use super::super::widgets::find_field::FindField;
use crate::desk::roi::intake::{MAX_NAME, MAX_TEXT, check_authorization};
use crate::domain::dates::{parse_date, parse_full_date, us_date};
use crate::domain::roi::{AuthorizationForm, AuthorizationKind, ChecklistItem, RequestNumber, RequestStatus};
use crate::domain::roi::{RequesterKind, checklist::passed};
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use super::roi_authorization_view::{render, summary};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthField {
    Kind,
    Patient,
    Signer,
    Relationship,
    SignedOn,
    Signature,
    Discloser,
    Recipient,
    Information,
    Purpose,
    ExpiresOn,
    Event,
    Revocation,
    Conditioning,
    Redisclosure,
    Received,
}

impl AuthField {
    /// The paper's order, as a clerk reads it down the page.
    pub const ORDER: [Self; 16] = [
        Self::Kind,
        Self::Patient,
        Self::Signer,
        Self::Relationship,
        Self::SignedOn,
        Self::Signature,
        Self::Discloser,
        Self::Recipient,
        Self::Information,
        Self::Purpose,
        Self::ExpiresOn,
        Self::Event,
        Self::Revocation,
        Self::Conditioning,
        Self::Redisclosure,
        Self::Received,
    ];

    /// The field's name in the form's margin and in its messages.
    pub fn label(self) -> &'static str {
        match self {
            Self::Kind => "Kind",
            Self::Patient => "Patient",
            Self::Signer => "Signed by",
            Self::Relationship => "Relationship",
            Self::SignedOn => "Signed on",
            Self::Signature => "Signature",
            Self::Discloser => "Discloser",
            Self::Recipient => "Recipient",
            Self::Information => "Information",
            Self::Purpose => "Purpose",
            Self::ExpiresOn => "Expires on",
            Self::Event => "or event",
            Self::Revocation => "Revocation",
            Self::Conditioning => "Conditioning",
            Self::Redisclosure => "Redisclosure",
            Self::Received => "Received on",
        }
    }

    pub fn is_checkbox(self) -> bool {
        matches!(self, Self::Signature | Self::Revocation | Self::Conditioning | Self::Redisclosure)
    }

    pub fn is_date(self) -> bool {
        matches!(self, Self::SignedOn | Self::ExpiresOn | Self::Received)
    }

    /// The field a desk's problem is about (`authorization.signed_on: …`).
    pub fn named(name: &str) -> Option<Self> {
        Some(match name.trim() {
            "authorization.kind" => Self::Kind,
            "authorization.patient_name" => Self::Patient,
            "authorization.signer" => Self::Signer,
            "authorization.relationship" => Self::Relationship,
            "authorization.signed_on" => Self::SignedOn,
            "authorization.signature" => Self::Signature,
            "authorization.discloser" => Self::Discloser,
            "authorization.recipient" => Self::Recipient,
            "authorization.information" => Self::Information,
            "authorization.purpose" => Self::Purpose,
            "authorization.expires_on" => Self::ExpiresOn,
            "authorization.expiration_event" => Self::Event,
            "authorization.revocation_statement" => Self::Revocation,
            "authorization.conditioning_statement" => Self::Conditioning,
            "authorization.redisclosure_statement" => Self::Redisclosure,
            _ => return None,
        })
    }
}

/// The request an authorization is added to, as the clerk saw it: the version a save is made at
/// (another's change meanwhile is refused, naming who), and the status the question speaks of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForRequest {
    pub id: i64,
    pub number: RequestNumber,
    pub version: i64,
    pub status: RequestStatus,
    /// The day the request came: its authorization cannot have come before it.
    pub received_on: NaiveDate,
}

/// Where the form's authorization goes when saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthTarget {
    /// Added to a logged request, received on the day typed.
    Request(ForRequest),
    /// Kept with the intake form, received with the request.
    Intake,
}

/// What the form is filled in for, beyond the paper: who the patient is, and what the checklist
/// needs to be run as the desk will run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSetting {
    /// `GARCIA, MARIA L`, as the chart's banner.
    pub patient: String,
    pub mrn: String,
    /// The facility's state: New York asks an HIV-specific release.
    pub state: String,
    /// Who asks: a researcher's authorization may run until "none".
    pub requester_kind: RequesterKind,
    /// The day the checklist is run on when no received date is typed: intake's received date, or
    /// today.
    pub checked_on: NaiveDate,
    pub today: NaiveDate,
}

#[derive(Debug)]
pub struct AuthState {
    pub target: AuthTarget,
    /// The paper as keyed so far; dates as typed once they read as dates.
    pub form: AuthorizationForm,
    pub setting: AuthSetting,
    pub focus: AuthField,
    /// The checklist as saving would run it now, run again after every change.
    pub checklist: Vec<ChecklistItem>,
    /// What is wrong with a field, shown under it until the field changes.
    pub problem: Option<(AuthField, String)>,
    /// The first line of the checklist shown, when it is longer than its room.
    pub checklist_scroll: u16,
    /// The day it was received, as typed (the request's only: intake's is the request's own).
    pub received_on: Option<NaiveDate>,
    texts: Texts,
    /// The form and received date as opened: Esc asks before discarding anything else.
    opened: (AuthorizationForm, String),
}

/// The typed fields.
#[derive(Debug, Clone)]
struct Texts {
    patient: FindField,
    signer: FindField,
    relationship: FindField,
    signed_on: FindField,
    discloser: FindField,
    recipient: FindField,
    information: FindField,
    purpose: FindField,
    expires_on: FindField,
    event: FindField,
    received: FindField,
}

fn field(max: usize, text: &str) -> FindField {
    let mut f = FindField::with_max(max);
    f.set_text(text);
    f
}

fn date_text(date: Option<NaiveDate>) -> String {
    date.map(us_date).unwrap_or_default()
}

/// A prefill on one line: a purpose typed on several lines at intake reads as one.
pub fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

impl AuthState {
    /// The form for `target`, filled with `form` (a fresh one prefilled from the request, or the
    /// latest authorization to correct), received today when it is the request's.
    pub fn new(target: AuthTarget, form: AuthorizationForm, setting: AuthSetting) -> Self {
        let received_on = matches!(target, AuthTarget::Request(_)).then_some(setting.today);
        let texts = Texts {
            patient: field(MAX_NAME, &form.patient_name),
            signer: field(MAX_NAME, &form.signer),
            relationship: field(MAX_NAME, &form.relationship),
            signed_on: field(10, &date_text(form.signed_on)),
            discloser: field(MAX_TEXT, &form.discloser),
            recipient: field(MAX_TEXT, &form.recipient),
            information: field(MAX_TEXT, &form.information),
            purpose: field(MAX_TEXT, &form.purpose),
            expires_on: field(10, &date_text(form.expires_on)),
            event: field(MAX_TEXT, &form.expiration_event),
            received: field(10, &date_text(received_on)),
        };
        let opened = (form.clone(), texts.received.text());
        let mut state = Self {
            target,
            form,
            setting,
            focus: AuthField::Kind,
            checklist: Vec::new(),
            problem: None,
            checklist_scroll: 0,
            received_on,
            texts,
            opened,
        };
        state.rerun();
        state
    }

    /// The fields Tab visits: the received date only on a request's form.
    pub fn order(&self) -> Vec<AuthField> {
        let request = matches!(self.target, AuthTarget::Request(_));
        AuthField::ORDER.into_iter().filter(|f| request || *f != AuthField::Received).collect()
    }

    pub fn next_field(&mut self, step: isize) {
        let order = self.order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        self.focus = order[(at + step).rem_euclid(order.len() as isize) as usize];
    }

    pub fn focus_on(&mut self, field: AuthField) {
        if self.order().contains(&field) {
            self.focus = field;
        }
    }

    /// The day the checklist runs on: the day received as typed, else the setting's.
    pub fn checked_on(&self) -> NaiveDate {
        self.received_on.unwrap_or(self.setting.checked_on)
    }

    /// The checklist again, on the form as it stands: the desk's own, run as it will run it.
    pub fn rerun(&mut self) {
        self.checklist = crate::desk::roi::authorization_checklist(
            &self.form,
            self.checked_on(),
            &self.setting.state,
            self.setting.requester_kind,
        );
    }

    pub fn passes(&self) -> bool {
        passed(&self.checklist)
    }

    /// Anything typed or chosen since the form opened.
    pub fn changed(&self) -> bool {
        self.form != self.opened.0 || self.texts.received.text() != self.opened.1
    }

    /// What a field shows: its text as typed (a date as typed too, until it reads as one).
    pub fn text_of(&self, field: AuthField) -> String {
        match self.text(field) {
            Some(f) => f.text(),
            None => String::new(),
        }
    }

    pub fn widget(&self, field: AuthField) -> Option<&FindField> {
        self.text(field)
    }

    /// Whether a checkbox is ticked.
    pub fn ticked(&self, field: AuthField) -> bool {
        match field {
            AuthField::Signature => self.form.signature,
            AuthField::Revocation => self.form.revocation_statement,
            AuthField::Conditioning => self.form.conditioning_statement,
            AuthField::Redisclosure => self.form.redisclosure_statement,
            _ => false,
        }
    }

    /// A date field whose text does not read as a date: why, in the parser's words.
    pub fn date_problem(&self, field: AuthField) -> Option<String> {
        let text = self.text_of(field);
        if !field.is_date() || text.trim().is_empty() {
            return None;
        }
        self.read_date(field, &text).err()
    }

    fn read_date(&self, field: AuthField, text: &str) -> Result<NaiveDate, String> {
        // An expiry lies ahead: a two-digit year would be read as last century's, so it is written
        // in full.
        let read =
            if field == AuthField::ExpiresOn { parse_full_date(text) } else { parse_date(text, self.setting.today) };
        read.map_err(|e| e.to_string())
    }

    fn text(&self, field: AuthField) -> Option<&FindField> {
        let t = &self.texts;
        Some(match field {
            AuthField::Patient => &t.patient,
            AuthField::Signer => &t.signer,
            AuthField::Relationship => &t.relationship,
            AuthField::SignedOn => &t.signed_on,
            AuthField::Discloser => &t.discloser,
            AuthField::Recipient => &t.recipient,
            AuthField::Information => &t.information,
            AuthField::Purpose => &t.purpose,
            AuthField::ExpiresOn => &t.expires_on,
            AuthField::Event => &t.event,
            AuthField::Received => &t.received,
            _ => return None,
        })
    }

    fn text_mut(&mut self, field: AuthField) -> Option<&mut FindField> {
        let t = &mut self.texts;
        Some(match field {
            AuthField::Patient => &mut t.patient,
            AuthField::Signer => &mut t.signer,
            AuthField::Relationship => &mut t.relationship,
            AuthField::SignedOn => &mut t.signed_on,
            AuthField::Discloser => &mut t.discloser,
            AuthField::Recipient => &mut t.recipient,
            AuthField::Information => &mut t.information,
            AuthField::Purpose => &mut t.purpose,
            AuthField::ExpiresOn => &mut t.expires_on,
            AuthField::Event => &mut t.event,
            AuthField::Received => &mut t.received,
            _ => return None,
        })
    }

    /// A key the keymap left to the form. `Some(true)` when the paper changed (the checklist was
    /// run again), `Some(false)` when only what is shown moved, None when the key did nothing.
    pub fn edit(&mut self, key: KeyEvent) -> Option<bool> {
        let plain = !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match key.code {
            KeyCode::PageDown => {
                self.checklist_scroll = self.checklist_scroll.saturating_add(5);
                return Some(false);
            }
            KeyCode::PageUp => {
                self.checklist_scroll = self.checklist_scroll.saturating_sub(5);
                return Some(false);
            }
            _ => {}
        }
        let focus = self.focus;
        let changed = if focus == AuthField::Kind {
            match key.code {
                KeyCode::Right | KeyCode::Char(' ') if plain => self.cycle_kind(1),
                KeyCode::Left => self.cycle_kind(-1),
                KeyCode::Char(c) if plain && c.is_alphanumeric() => self.kind_by_letter(c),
                _ => return None,
            }
        } else if focus.is_checkbox() {
            let now = self.ticked(focus);
            let to = match key.code {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right if plain => !now,
                KeyCode::Char('y' | 'Y' | 'x' | 'X') if plain => true,
                KeyCode::Char('n' | 'N') if plain => false,
                _ => return None,
            };
            self.tick(focus, to);
            to != now
        } else {
            let today = self.setting.today;
            let f = self.text_mut(focus)?;
            let before = f.text();
            f.input(key);
            let after = f.text();
            if after == before {
                // The cursor may have moved within the field.
                return matches!(key.code, KeyCode::Left | KeyCode::Right | KeyCode::Home | KeyCode::End)
                    .then_some(false);
            }
            // A date is kept once it reads as one; until then the checklist runs without it.
            let date = self.read_date(focus, &after).ok();
            let f = &mut self.form;
            match focus {
                AuthField::Patient => f.patient_name = after,
                AuthField::Signer => f.signer = after,
                AuthField::Relationship => f.relationship = after,
                AuthField::SignedOn => f.signed_on = date,
                AuthField::Discloser => f.discloser = after,
                AuthField::Recipient => f.recipient = after,
                AuthField::Information => f.information = after,
                AuthField::Purpose => f.purpose = after,
                AuthField::ExpiresOn => f.expires_on = date,
                AuthField::Event => f.expiration_event = after,
                _ => self.received_on = parse_date(&after, today).ok(),
            }
            true
        };
        if self.problem.as_ref().is_some_and(|(f, _)| *f == focus) {
            self.problem = None;
        }
        if changed {
            self.rerun();
        }
        Some(changed)
    }

    fn tick(&mut self, field: AuthField, to: bool) {
        let f = &mut self.form;
        match field {
            AuthField::Signature => f.signature = to,
            AuthField::Revocation => f.revocation_statement = to,
            AuthField::Conditioning => f.conditioning_statement = to,
            AuthField::Redisclosure => f.redisclosure_statement = to,
            _ => {}
        }
    }

    fn cycle_kind(&mut self, step: isize) -> bool {
        let all = AuthorizationKind::ALL;
        let at = self.form.kind.and_then(|k| all.iter().position(|v| *v == k)).unwrap_or(0) as isize;
        let next = all[(at + step).rem_euclid(all.len() as isize) as usize];
        let changed = self.form.kind != Some(next);
        self.form.kind = Some(next);
        changed
    }

    /// The next kind whose title starts with the letter typed (`h` HIPAA, then HIV).
    fn kind_by_letter(&mut self, c: char) -> bool {
        let all = AuthorizationKind::ALL;
        let at = self.form.kind.and_then(|k| all.iter().position(|v| *v == k)).unwrap_or(0);
        let found = (1..=all.len())
            .map(|k| all[(at + k) % all.len()])
            .find(|v| v.title().chars().next().is_some_and(|f| f.eq_ignore_ascii_case(&c)));
        match found {
            Some(kind) => {
                let changed = self.form.kind != Some(kind);
                self.form.kind = Some(kind);
                changed
            }
            None => false,
        }
    }

    /// The form checked before any question: every date as typed reads as a date, the received
    /// date is neither after today nor before the request came (the desk's own refusals, said on
    /// the field), then the desk's checks of an authorization. The paper to save and the day it
    /// was received, or the first problem with the field it is in.
    pub fn checked(&self) -> Result<(AuthorizationForm, NaiveDate), (AuthField, String)> {
        let mut form = self.form.clone();
        for field in [AuthField::SignedOn, AuthField::ExpiresOn, AuthField::Received] {
            if let Some(problem) = self.date_problem(field) {
                return Err((field, format!("{}: {problem}", field.label())));
            }
        }
        let received_on = match &self.target {
            AuthTarget::Intake => self.setting.checked_on,
            AuthTarget::Request(request) => {
                let today = self.setting.today;
                let Some(on) = self.received_on else {
                    return Err((AuthField::Received, "Received on: the day the authorization came".into()));
                };
                if on > today {
                    return Err((
                        AuthField::Received,
                        format!("{} is after today ({}): record it once it has happened", us_date(on), us_date(today)),
                    ));
                }
                if on < request.received_on {
                    return Err((
                        AuthField::Received,
                        format!(
                            "received {}: that is before {} was received ({})",
                            us_date(on),
                            request.number,
                            us_date(request.received_on)
                        ),
                    ));
                }
                on
            }
        };
        for text in [
            &mut form.patient_name,
            &mut form.signer,
            &mut form.relationship,
            &mut form.discloser,
            &mut form.recipient,
            &mut form.information,
            &mut form.purpose,
            &mut form.expiration_event,
        ] {
            *text = text.trim().to_string();
        }
        if let Some(problem) = check_authorization(&form, received_on).into_iter().next() {
            let field = AuthField::named(&problem.field).unwrap_or(self.focus);
            return Err((field, format!("{}: {}", field.label(), problem.message)));
        }
        Ok((form, received_on))
    }
}
