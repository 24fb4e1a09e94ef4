//! Intake: a new release-of-information request for the patient in context. The requester is found
//! in the address book as the clerk types (or entered new), then the type, the purpose (several
//! lines), the scope, the format and delivery, and when and how it came. Before a number is issued
//! the patient's last four requests and any open one from the same requester are shown, so that a
//! re-sent request is logged as a follow-up on the original instead of a second clock. The
//! authorization that came with a request made under one is keyed in its own form (Enter on the
//! Authorization line). The form is kept as a draft in the store while it is filled in. The drawing
//! is in `roi_intake_view.rs`.

use super::super::widgets::find_field::FindField;
use crate::desk::roi::{IntakeForm, IntakeRequester};
use crate::domain::dates::us_date;
use crate::domain::roi::{Delivery, ReceivedVia, RecordFormat, RequestType, Requester, RequesterKind};
use crate::domain::text::clean;
use crate::store::roi::RoiQueueRow;
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

/// The longest purpose a clerk types; more is a paste gone wrong.
pub const MAX_PURPOSE: usize = 1000;

/// Requesters listed under the field as the clerk types.
pub const REQUESTER_CHOICES: usize = 4;

/// The patient the form is for, as the chart's banner shows them: the guard against a request
/// logged on the wrong patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPatient {
    pub patient_id: i64,
    pub name: String,
    pub mrn: String,
    pub birth_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Requester,
    Kind,
    Name,
    Organization,
    Address,
    Type,
    Purpose,
    /// The authorization that came with the request: Enter opens its form.
    Authorization,
    EntireRecord,
    From,
    To,
    DocumentTypes,
    Format,
    Delivery,
    Received,
    Via,
}

impl Field {
    const ORDER: [Self; 16] = [
        Self::Requester,
        Self::Kind,
        Self::Name,
        Self::Organization,
        Self::Address,
        Self::Type,
        Self::Purpose,
        Self::Authorization,
        Self::EntireRecord,
        Self::From,
        Self::To,
        Self::DocumentTypes,
        Self::Format,
        Self::Delivery,
        Self::Received,
        Self::Via,
    ];

    /// How the form names the field in a message.
    pub fn label(self) -> &'static str {
        match self {
            Self::Requester => "Requester",
            Self::Kind => "Kind",
            Self::Name => "Name",
            Self::Organization => "Organization",
            Self::Address => "Address",
            Self::Type => "Type",
            Self::Purpose => "Purpose",
            Self::Authorization => "Authorization",
            Self::EntireRecord => "Entire record",
            Self::From => "From",
            Self::To => "To",
            Self::DocumentTypes => "Document types",
            Self::Format => "Format",
            Self::Delivery => "Delivery",
            Self::Received => "Received",
            Self::Via => "Via",
        }
    }
}

/// Where the form is: being filled in, waiting for the desk's check, the check shown for the
/// clerk's choice, or being logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    Editing,
    Checking,
    Choosing(IntakeCheck),
    Logging,
}

/// What the clerk sees before a number is issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeCheck {
    /// The patient's last four requests, newest first.
    pub recent: Vec<RoiQueueRow>,
    /// Open requests from the same requester for this patient: the one a re-sent request follows up.
    pub open_same: Vec<RoiQueueRow>,
    /// The open request highlighted for a follow-up.
    pub selected: usize,
}

#[derive(Debug)]
pub struct IntakeState {
    /// What the desk logs, and keeps as the draft across a dropped session.
    pub form: IntakeForm,
    pub patient: FormPatient,
    /// The address-book entry chosen, as the list showed it: `SMITH & JONES LLP (attorney)`.
    pub requester_label: Option<String>,
    /// The address-book entry chosen here (a kept form has its label only): the authorization's
    /// recipient, and the kind of requester its checklist is run for.
    pub picked: Option<Requester>,
    /// The clerk chose "new requester": its kind, name, organization and address are asked.
    pub new_requester: bool,
    pub focus: Field,
    pub stage: Stage,
    pub(super) requester_field: FindField,
    pub(super) name: FindField,
    pub(super) organization: FindField,
    pub(super) address: FindField,
    pub(super) from: FindField,
    pub(super) to: FindField,
    pub(super) document_types: FindField,
    pub(super) received: FindField,
    pub(super) purpose: TextArea<'static>,
    /// The address book's entries for what is typed; `highlighted` one past the last shown is
    /// "new requester".
    pub matches: Vec<Requester>,
    pub highlighted: usize,
    /// The requester search the field waits for.
    pub searching: Option<super::super::app::RequestId>,
    /// The form changed since the draft was last saved.
    pub unsaved: bool,
    /// The form is kept in the store as it stands.
    pub saved_once: bool,
    /// Keys typed since the draft was last saved.
    pub edits: u32,
    /// The form as checked when the clerk asked to log it, logged once she chooses.
    pub checked_form: Option<IntakeForm>,
}

fn field(text: &str) -> FindField {
    let mut f = FindField::default();
    f.set_text(text);
    f
}

fn purpose_area(text: &str) -> TextArea<'static> {
    let lines: Vec<String> =
        if text.is_empty() { vec![String::new()] } else { text.split('\n').map(str::to_string).collect() };
    let mut area = TextArea::new(lines);
    area.set_cursor_line_style(Style::default());
    area.set_wrap_mode(WrapMode::WordOrGlyph);
    area.move_cursor(CursorMove::Bottom);
    area.move_cursor(CursorMove::End);
    area
}

fn date_text(date: Option<NaiveDate>) -> String {
    date.map(us_date).unwrap_or_default()
}

/// A new form for `patient` at `facility`: received today by mail, the patient's own copy as a
/// PDF on the portal — the commonest request — with the whole record.
pub fn fresh_form(patient: &FormPatient, facility: &str, today: NaiveDate) -> IntakeForm {
    IntakeForm {
        facility: facility.to_string(),
        patient: patient.mrn.clone(),
        received_on: Some(today),
        received_via: Some(ReceivedVia::Mail),
        request_type: Some(RequestType::RightOfAccess),
        format: Some(RecordFormat::Pdf),
        delivery: Some(Delivery::Portal),
        scope: crate::domain::roi::Scope { entire_record: true, ..Default::default() },
        requester: IntakeRequester::New(empty_requester(RequesterKind::Patient)),
        ..IntakeForm::default()
    }
}

fn empty_requester(kind: RequesterKind) -> crate::domain::roi::NewRequester {
    crate::domain::roi::NewRequester {
        kind,
        name: String::new(),
        organization: String::new(),
        address: String::new(),
        phone: String::new(),
        fax: String::new(),
        email: String::new(),
    }
}

impl IntakeState {
    /// The form on screen for `patient`: a fresh one, or a kept draft with the label of the
    /// address-book entry it names.
    pub fn new(form: IntakeForm, patient: FormPatient, requester_label: Option<String>) -> Self {
        let (new_requester, typed, name, organization, address) = match &form.requester {
            IntakeRequester::Existing(_) => {
                let shown = requester_label.clone().unwrap_or_default();
                (false, shown, String::new(), String::new(), String::new())
            }
            IntakeRequester::New(n) => {
                (!n.name.trim().is_empty(), n.name.clone(), n.name.clone(), n.organization.clone(), n.address.clone())
            }
        };
        let chosen = new_requester || matches!(form.requester, IntakeRequester::Existing(_));
        Self {
            requester_field: field(&typed),
            name: field(&name),
            organization: field(&organization),
            address: field(&address),
            from: field(&date_text(form.scope.from)),
            to: field(&date_text(form.scope.to)),
            document_types: field(&form.scope.document_types.join(", ")),
            received: field(&date_text(form.received_on)),
            purpose: purpose_area(&form.purpose),
            focus: if chosen { Field::Type } else { Field::Requester },
            stage: Stage::Editing,
            form,
            patient,
            requester_label,
            picked: None,
            new_requester,
            matches: Vec::new(),
            highlighted: 0,
            searching: None,
            unsaved: false,
            saved_once: false,
            edits: 0,
            checked_form: None,
        }
    }

    /// Whether a requester is chosen: an address-book entry, or a new one.
    pub fn requester_chosen(&self) -> bool {
        self.new_requester || matches!(self.form.requester, IntakeRequester::Existing(_))
    }

    /// The address-book entry chosen.
    pub fn requester_id(&self) -> Option<i64> {
        match self.form.requester {
            IntakeRequester::Existing(id) => Some(id),
            IntakeRequester::New(_) => None,
        }
    }

    fn entire_record(&self) -> bool {
        self.form.scope.entire_record
    }

    /// The fields in the order Tab visits them: a new requester's own only while one is entered,
    /// the dates and types of the scope only when it is not the whole record.
    fn order(&self) -> Vec<Field> {
        let new = self.new_requester;
        let entire = self.entire_record();
        Field::ORDER
            .into_iter()
            .filter(|f| new || !matches!(f, Field::Kind | Field::Name | Field::Organization | Field::Address))
            .filter(|f| !(entire && matches!(f, Field::From | Field::To | Field::DocumentTypes)))
            .filter(|f| *f != Field::Authorization || self.shows_authorization())
            .collect()
    }

    /// The Authorization line: for a type made under an authorization, or once one is entered.
    pub fn shows_authorization(&self) -> bool {
        self.form.authorization.is_some()
            || self.form.request_type.is_some_and(crate::desk::roi::intake::needs_authorization)
    }

    pub fn next_field(&mut self, step: isize) {
        let order = self.order();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = order.len() as isize;
        self.focus = order[(at + step).rem_euclid(n) as usize];
    }

    pub fn focus_on(&mut self, field: Field) {
        if field == Field::From || field == Field::To || field == Field::DocumentTypes {
            self.form.scope.entire_record = false;
        }
        if self.order().contains(&field) {
            self.focus = field;
        }
    }

    /// The requester's words as typed.
    pub fn requester_query(&self) -> String {
        self.requester_field.text()
    }

    /// Entries of the list under the requester field: the matches shown, then "new requester".
    pub fn choices(&self) -> usize {
        self.matches.len().min(REQUESTER_CHOICES) + 1
    }

    /// Picks the highlighted entry of the requester list. Whether a requester is now chosen.
    pub fn pick_requester(&mut self) -> bool {
        let query = self.requester_field.text();
        match self.matches.get(self.highlighted).filter(|_| self.highlighted < REQUESTER_CHOICES) {
            Some(r) => {
                self.form.requester = IntakeRequester::Existing(r.id);
                self.requester_label = Some(requester_label(r));
                self.picked = Some(r.clone());
                self.new_requester = false;
                self.requester_field.set_text(&r.name);
            }
            None => {
                if query.trim().is_empty() {
                    return false;
                }
                let kind = match &self.form.requester {
                    IntakeRequester::New(n) if self.new_requester => n.kind,
                    _ => RequesterKind::Attorney,
                };
                let mut new = empty_requester(kind);
                new.name = query.trim().to_string();
                self.form.requester = IntakeRequester::New(new);
                self.requester_label = None;
                self.picked = None;
                self.new_requester = true;
                self.name.set_text(query.trim());
                self.organization.clear();
                self.address.clear();
            }
        }
        self.unsaved = true;
        true
    }

    /// A key that edits the focused field (the keymap took its own first). `Some(true)` when the
    /// requester's words changed (a search is due), `Some(false)` for any other change, None when
    /// the key did nothing here.
    pub fn edit(&mut self, key: KeyEvent, today: NaiveDate) -> Option<bool> {
        let plain = !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match self.focus {
            // Entered with its own form (Enter); Backspace or Delete takes it off the request.
            Field::Authorization => match key.code {
                KeyCode::Backspace | KeyCode::Delete if self.form.authorization.is_some() => {
                    self.form.authorization = None;
                    self.unsaved = true;
                    Some(false)
                }
                _ => None,
            },
            Field::Requester => match key.code {
                KeyCode::Down => {
                    self.highlighted = (self.highlighted + 1).min(self.choices() - 1);
                    Some(false)
                }
                KeyCode::Up => {
                    self.highlighted = self.highlighted.saturating_sub(1);
                    Some(false)
                }
                _ => {
                    let before = self.requester_field.text();
                    self.requester_field.input(key);
                    let after = self.requester_field.text();
                    if after == before {
                        return None;
                    }
                    // New words: the requester chosen for the old ones no longer stands.
                    self.form.requester = IntakeRequester::New(empty_requester(RequesterKind::Patient));
                    self.requester_label = None;
                    self.picked = None;
                    self.new_requester = false;
                    self.highlighted = 0;
                    self.unsaved = true;
                    Some(true)
                }
            },
            Field::Kind | Field::Type | Field::Format | Field::Delivery | Field::Via | Field::EntireRecord => {
                let step = match key.code {
                    KeyCode::Right | KeyCode::Char(' ') if plain => 1,
                    KeyCode::Left => -1,
                    KeyCode::Char(c) if plain && c.is_alphanumeric() => {
                        return self.choose_by_letter(c).then_some(false);
                    }
                    _ => return None,
                };
                self.cycle(step);
                self.unsaved = true;
                Some(false)
            }
            Field::Purpose => {
                match key.code {
                    // Ctrl and Alt chords of the text area (undo, kill to the end…) stay out: a
                    // clerk never loses a line to a stray chord.
                    KeyCode::Char(_) if !plain => return None,
                    KeyCode::Char(c) if crate::domain::text::is_unsafe_char(c) || self.purpose_len() >= MAX_PURPOSE => {
                        return None;
                    }
                    KeyCode::Enter if self.purpose_len() >= MAX_PURPOSE => return None,
                    KeyCode::Tab | KeyCode::BackTab | KeyCode::Esc => return None,
                    _ => {}
                }
                self.purpose.input(key);
                let text = self.purpose.lines().join("\n");
                if text == self.form.purpose {
                    // The cursor moved: nothing to keep, but the screen shows where it is.
                    return Some(false).filter(|_| {
                        matches!(
                            key.code,
                            KeyCode::Up | KeyCode::Down | KeyCode::Left | KeyCode::Right | KeyCode::Home | KeyCode::End
                        )
                    });
                }
                self.form.purpose = text;
                self.unsaved = true;
                Some(false)
            }
            Field::Name
            | Field::Organization
            | Field::Address
            | Field::From
            | Field::To
            | Field::DocumentTypes
            | Field::Received => {
                let focus = self.focus;
                let f = self.text_field(focus);
                let before = f.text();
                f.input(key);
                let after = f.text();
                if after == before {
                    return None;
                }
                // Dates are kept as soon as they read as dates; the check says what is wrong
                // with one that does not.
                let date = crate::domain::dates::parse_date(&after, today).ok();
                match focus {
                    Field::Name | Field::Organization | Field::Address => {
                        if let IntakeRequester::New(n) = &mut self.form.requester {
                            match focus {
                                Field::Name => n.name = after,
                                Field::Organization => n.organization = after,
                                _ => n.address = after,
                            }
                        }
                    }
                    Field::From => self.form.scope.from = date,
                    Field::To => self.form.scope.to = date,
                    Field::DocumentTypes => self.form.scope.document_types = document_types(&after),
                    _ => self.form.received_on = date,
                }
                self.unsaved = true;
                Some(false)
            }
        }
    }

    fn purpose_len(&self) -> usize {
        self.form.purpose.chars().count()
    }

    fn text_field(&mut self, field: Field) -> &mut FindField {
        match field {
            Field::Name => &mut self.name,
            Field::Organization => &mut self.organization,
            Field::Address => &mut self.address,
            Field::From => &mut self.from,
            Field::To => &mut self.to,
            Field::DocumentTypes => &mut self.document_types,
            Field::Received => &mut self.received,
            _ => &mut self.requester_field,
        }
    }

    /// ← and → (and Space) through a choice's values.
    fn cycle(&mut self, step: isize) {
        fn next<T: Copy + PartialEq>(all: &[T], now: Option<T>, step: isize) -> Option<T> {
            let Some(now) = now else { return all.first().copied() };
            let i = all.iter().position(|v| *v == now).unwrap_or(0) as isize;
            Some(all[(i + step).rem_euclid(all.len() as isize) as usize])
        }
        let f = &mut self.form;
        match self.focus {
            Field::Kind => {
                if let IntakeRequester::New(n) = &mut f.requester
                    && let Some(kind) = next(RequesterKind::ALL, Some(n.kind), step)
                {
                    n.kind = kind;
                }
            }
            Field::Type => f.request_type = next(RequestType::ALL, f.request_type, step),
            Field::Format => f.format = next(RecordFormat::ALL, f.format, step),
            Field::Delivery => f.delivery = next(Delivery::ALL, f.delivery, step),
            Field::Via => f.received_via = next(ReceivedVia::ALL, f.received_via, step),
            Field::EntireRecord => f.scope.entire_record = !f.scope.entire_record,
            _ => {}
        }
    }

    /// A letter typed on a choice picks the next value whose title starts with it (`y`/`n` on
    /// the whole record).
    fn choose_by_letter(&mut self, c: char) -> bool {
        fn pick<T: Copy + PartialEq>(all: &[T], now: Option<T>, title: fn(T) -> &'static str, c: char) -> Option<T> {
            let at = now.and_then(|now| all.iter().position(|v| *v == now)).unwrap_or(0);
            (1..=all.len())
                .map(|k| all[(at + k) % all.len()])
                .find(|v| title(*v).chars().next().is_some_and(|f| f.eq_ignore_ascii_case(&c)))
        }
        let f = &mut self.form;
        let found = match self.focus {
            Field::Kind => match &mut f.requester {
                IntakeRequester::New(n) => {
                    pick(RequesterKind::ALL, Some(n.kind), RequesterKind::title, c).map(|k| n.kind = k)
                }
                IntakeRequester::Existing(_) => None,
            },
            Field::Type => {
                pick(RequestType::ALL, f.request_type, RequestType::title, c).map(|v| f.request_type = Some(v))
            }
            Field::Format => pick(RecordFormat::ALL, f.format, RecordFormat::title, c).map(|v| f.format = Some(v)),
            Field::Delivery => pick(Delivery::ALL, f.delivery, Delivery::title, c).map(|v| f.delivery = Some(v)),
            Field::Via => {
                pick(ReceivedVia::ALL, f.received_via, ReceivedVia::title, c).map(|v| f.received_via = Some(v))
            }
            Field::EntireRecord => {
                let entire = match c.to_ascii_lowercase() {
                    'y' => Some(true),
                    'n' => Some(false),
                    _ => None,
                };
                entire.map(|entire| f.scope.entire_record = entire)
            }
            _ => None,
        };
        if found.is_some() {
            self.unsaved = true;
        }
        found.is_some()
    }

    /// The form checked before the desk sees it: a requester chosen, the dates as typed read as
    /// dates, then the desk's own checks of a form (presence, ranges, order). The form to log, or
    /// the first problem with the field it is in (the clerk is taken there).
    pub fn checked(&self, today: NaiveDate) -> Result<IntakeForm, (Field, String)> {
        if !self.requester_chosen() {
            return Err((
                Field::Requester,
                "Who asks? Type a name and pick from the address book, or choose \"new requester\".".into(),
            ));
        }
        let mut form = self.form.clone();
        let typed = |field: Field, input: &FindField| -> Result<Option<NaiveDate>, (Field, String)> {
            let text = input.text();
            if text.trim().is_empty() {
                return Ok(None);
            }
            crate::domain::dates::parse_date(&text, today)
                .map(Some)
                .map_err(|e| (field, format!("{}: {e}", field.label())))
        };
        form.received_on = typed(Field::Received, &self.received)?;
        if form.scope.entire_record {
            form.scope.from = None;
            form.scope.to = None;
            form.scope.document_types.clear();
        } else {
            form.scope.from = typed(Field::From, &self.from)?;
            form.scope.to = typed(Field::To, &self.to)?;
        }
        form.purpose = form.purpose.trim().to_string();
        if let Some(problem) = crate::desk::roi::intake::check_form(&form, today).into_iter().next() {
            let field = field_named(&problem.field).unwrap_or(self.focus);
            return Err((field, format!("{}: {}", field.label(), problem.message)));
        }
        Ok(form)
    }
}

/// `DS, hp op` → `DS`, `HP`, `OP`.
fn document_types(text: &str) -> Vec<String> {
    text.split([',', ' ']).filter(|t| !t.trim().is_empty()).map(|t| t.trim().to_ascii_uppercase()).collect()
}

/// The field a desk's message is about, named in the request file's words at its start
/// (`requester.name: missing…`), for the cursor to go to.
pub fn field_named(message: &str) -> Option<Field> {
    let name = message.split(':').next()?.trim();
    Some(match name {
        "requester" | "requester.id" => Field::Requester,
        "requester.kind" => Field::Kind,
        "requester.name" => Field::Name,
        "requester.organization" => Field::Organization,
        "requester.address" => Field::Address,
        "type" => Field::Type,
        "purpose" => Field::Purpose,
        authorization if authorization.starts_with("authorization") => Field::Authorization,
        "scope" | "scope.entire_record" => Field::EntireRecord,
        "scope.from" => Field::From,
        "scope.to" => Field::To,
        "scope.document_types" => Field::DocumentTypes,
        "format" => Field::Format,
        "delivery" => Field::Delivery,
        "received_on" => Field::Received,
        "received_via" => Field::Via,
        _ => return None,
    })
}

/// `SMITH & JONES LLP (attorney)`.
pub fn requester_label(r: &Requester) -> String {
    let name = clean(&r.name);
    let organization = clean(&r.organization);
    let mut label = name.to_string();
    if !organization.trim().is_empty() && organization != name {
        label.push_str(&format!(", {organization}"));
    }
    format!("{label} ({})", r.kind.title().to_lowercase())
}

pub use super::roi_intake_view::render;
