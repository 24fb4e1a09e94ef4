//! Intake: a new release-of-information request for the patient in context. The requester is found
//! in the address book as the clerk types (or entered new), then the type, the purpose (several
//! lines), the scope, the format and delivery, and when and how it came. Before a number is issued
//! the patient's last four requests and any open one from the same requester are shown, so that a
//! re-sent request is logged as a follow-up on the original instead of a second clock. The form
//! is kept as a draft in the store while it is filled in.

use super::super::theme::Theme;
use super::super::widgets::chrome::wrap;
use super::super::widgets::find_field::FindField;
use super::roi_queue::{status_short, type_short};
use crate::desk::roi::{IntakeForm, IntakeRequester};
use crate::domain::dates::us_date;
use crate::domain::roi::{Delivery, ReceivedVia, RecordFormat, RequestType, Requester, RequesterKind};
use crate::domain::text::clean;
use crate::store::roi::RoiQueueRow;
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};
use unicode_width::UnicodeWidthStr;

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
    const ORDER: [Self; 15] = [
        Self::Requester,
        Self::Kind,
        Self::Name,
        Self::Organization,
        Self::Address,
        Self::Type,
        Self::Purpose,
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
    /// The clerk chose "new requester": its kind, name, organization and address are asked.
    pub new_requester: bool,
    pub focus: Field,
    pub stage: Stage,
    requester_field: FindField,
    name: FindField,
    organization: FindField,
    address: FindField,
    from: FindField,
    to: FindField,
    document_types: FindField,
    received: FindField,
    purpose: TextArea<'static>,
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
            .collect()
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

const LABEL: u16 = 14;

/// One line (or several) of the form, drawn where the layout puts it.
type Draw<'a> = Box<dyn Fn(&mut Frame, Rect) + 'a>;

pub fn render(frame: &mut Frame, area: Rect, state: &IntakeState, theme: &Theme) {
    let d = &state.form;
    let p = &state.patient;
    let mut title = vec![
        Span::styled(format!(" New request at {}", clean(&d.facility)), theme.header),
        Span::styled(format!("  {}", clean(&p.name)), theme.header),
        Span::raw(format!("  MRN {}", clean(&p.mrn))),
    ];
    if let Some(dob) = p.birth_date {
        title.push(Span::raw(format!("  DOB {}", us_date(dob))));
    }
    let title_of = |o: Option<&'static str>| o.unwrap_or("(choose)");
    let saved = if state.saved_once && !state.unsaved { "draft kept " } else { "" };
    let [title_area, form_area] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let [t_left, t_right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(saved.width() as u16)]).areas(title_area);
    frame.render_widget(Paragraph::new(Line::from(title)), t_left);
    frame.render_widget(Paragraph::new(saved).style(theme.muted).right_aligned(), t_right);

    let focused = |f: Field| state.focus == f && state.stage == Stage::Editing;
    let label = |f: Field, text: &str| {
        let style = if focused(f) { theme.focus.patch(theme.header) } else { theme.muted };
        Span::styled(format!(" {text:<w$}", w = usize::from(LABEL) - 1), style)
    };
    let choice = |f: Field, value: &str| -> Line<'static> {
        if focused(f) {
            Line::from(vec![
                Span::styled(theme.glyph("◂ ", "< "), theme.key),
                Span::styled(value.to_string(), theme.selected),
                Span::styled(theme.glyph(" ▸", " >"), theme.key),
            ])
        } else {
            Line::from(value.to_string())
        }
    };
    let mut rows: Vec<(u16, Draw<'_>)> = Vec::new();
    // Requester, and the address book's matches under it while it has focus.
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
            frame.render_widget(Paragraph::new(label(Field::Requester, "Requester")), l);
            if !focused(Field::Requester) {
                let shown = match (&d.requester, &state.requester_label) {
                    (IntakeRequester::Existing(_), Some(label)) => Line::from(clean(label).into_owned()),
                    (IntakeRequester::Existing(_), None) => Line::from("(from the address book)"),
                    (IntakeRequester::New(n), _) if state.new_requester => Line::from(vec![
                        Span::raw(clean(&n.name).into_owned()),
                        Span::styled("  (new to the address book)", theme.muted),
                    ]),
                    _ if state.requester_query().is_empty() => Line::styled("(type a name)", theme.muted),
                    _ => Line::styled(format!("{}  (not chosen)", clean(&state.requester_query())), theme.warning),
                };
                frame.render_widget(Paragraph::new(shown), v);
            } else {
                frame.render_widget(&state.requester_field.widget(true, theme.text), v);
            }
        }),
    ));
    if focused(Field::Requester) {
        let shown: Vec<&Requester> = state.matches.iter().take(REQUESTER_CHOICES).collect();
        let lines = shown.len() as u16 + 1;
        rows.push((
            lines,
            Box::new(move |frame, r| {
                let [_, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                let mut out = Vec::new();
                for (i, req) in shown.iter().enumerate() {
                    let mut text = requester_label(req);
                    let address = clean(&req.address.replace('\n', ", ")).into_owned();
                    if !address.trim().is_empty() {
                        text.push_str(&format!(" — {address}"));
                    }
                    let text = super::queue::fit(&text, usize::from(v.width).saturating_sub(2), theme);
                    let style = if i == state.highlighted { theme.selected } else { theme.text };
                    out.push(Line::styled(format!(" {text}"), style));
                }
                let query = clean(&state.requester_query()).trim().to_string();
                let new = if query.is_empty() {
                    "+ new requester".to_string()
                } else {
                    format!("+ new requester \"{query}\"")
                };
                let style = if state.highlighted >= shown.len() { theme.selected } else { theme.muted };
                out.push(Line::styled(format!(" {new}"), style));
                frame.render_widget(Paragraph::new(out), v);
            }),
        ));
    }
    if let (IntakeRequester::New(n), true) = (&d.requester, state.new_requester) {
        rows.push((
            1,
            Box::new(move |frame, r| {
                let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                frame.render_widget(Paragraph::new(label(Field::Kind, "  Kind")), l);
                frame.render_widget(Paragraph::new(choice(Field::Kind, n.kind.title())), v);
            }),
        ));
        for (f, text, input) in [
            (Field::Name, "  Name", &state.name),
            (Field::Organization, "  Organization", &state.organization),
            (Field::Address, "  Address", &state.address),
        ] {
            rows.push((
                1,
                Box::new(move |frame, r| {
                    let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                    frame.render_widget(Paragraph::new(label(f, text)), l);
                    frame.render_widget(&input.widget(focused(f), theme.text), v);
                }),
            ));
        }
    }
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
            frame.render_widget(Paragraph::new(label(Field::Type, "Type")), l);
            frame.render_widget(
                Paragraph::new(choice(Field::Type, title_of(d.request_type.map(RequestType::title)))),
                v,
            );
        }),
    ));
    // The purpose: several lines, in a box while it has focus.
    let purpose_lines = if focused(Field::Purpose) { 5 } else { d.purpose.lines().count().clamp(1, 3) as u16 };
    rows.push((
        purpose_lines,
        Box::new(move |frame, r| {
            let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
            frame.render_widget(Paragraph::new(label(Field::Purpose, "Purpose")), l);
            if focused(Field::Purpose) {
                let mut area = state.purpose.clone();
                area.set_style(theme.text);
                area.set_block(
                    Block::default().borders(Borders::ALL).border_set(theme.border).border_style(theme.focus),
                );
                frame.render_widget(&area, v);
            } else if d.purpose.trim().is_empty() {
                frame.render_widget(Paragraph::new("(what the records are for)").style(theme.muted), v);
            } else {
                let width = usize::from(v.width).max(10);
                let mut lines: Vec<String> = d.purpose.lines().flat_map(|l| wrap(&clean(l), width)).collect();
                if lines.len() > usize::from(purpose_lines) {
                    lines.truncate(usize::from(purpose_lines));
                    if let Some(last) = lines.last_mut() {
                        *last = super::queue::fit(&format!("{last} …"), width, theme);
                    }
                }
                frame.render_widget(Paragraph::new(lines.into_iter().map(Line::from).collect::<Vec<_>>()), v);
            }
        }),
    ));
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
            frame.render_widget(Paragraph::new(label(Field::EntireRecord, "Scope")), l);
            let entire = d.scope.entire_record;
            let mark = if entire { "[x]" } else { "[ ]" };
            let style = if focused(Field::EntireRecord) { theme.selected } else { theme.text };
            let mut spans = vec![Span::styled(format!("{mark} entire record"), style)];
            if !entire {
                spans.push(Span::styled("   from ", if focused(Field::From) { theme.focus } else { theme.muted }));
            }
            frame.render_widget(Paragraph::new(Line::from(spans)), v);
            if !entire {
                // `[x] entire record   from ` then the dates' fields.
                let x = v.x + 24;
                let width = v.width.saturating_sub(24);
                let [from, to_label, to] =
                    Layout::horizontal([Constraint::Length(11), Constraint::Length(4), Constraint::Length(11)])
                        .areas(Rect { x, width, ..v });
                // An empty date says what it wants.
                for (f, input, at) in [(Field::From, &state.from, from), (Field::To, &state.to, to)] {
                    if input.text().is_empty() && !focused(f) {
                        frame.render_widget(Paragraph::new("MM/DD/YYYY").style(theme.muted), at);
                    } else {
                        frame.render_widget(&input.widget(focused(f), theme.text), at);
                    }
                }
                frame.render_widget(
                    Paragraph::new(" to").style(if focused(Field::To) { theme.focus } else { theme.muted }),
                    to_label,
                );
            }
        }),
    ));
    if !d.scope.entire_record {
        rows.push((
            1,
            Box::new(move |frame, r| {
                let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                frame.render_widget(Paragraph::new(label(Field::DocumentTypes, "  Types")), l);
                if d.scope.document_types.is_empty() && !focused(Field::DocumentTypes) {
                    frame.render_widget(Paragraph::new("document types: DS, HP, OP…").style(theme.muted), v);
                } else {
                    frame.render_widget(&state.document_types.widget(focused(Field::DocumentTypes), theme.text), v);
                }
            }),
        ));
    }
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v, l2, v2] = Layout::horizontal([
                Constraint::Length(LABEL),
                Constraint::Length(20),
                Constraint::Length(10),
                Constraint::Fill(1),
            ])
            .areas(r);
            frame.render_widget(Paragraph::new(label(Field::Format, "Format")), l);
            frame.render_widget(Paragraph::new(choice(Field::Format, title_of(d.format.map(RecordFormat::title)))), v);
            frame.render_widget(Paragraph::new(label(Field::Delivery, "Delivery")), l2);
            frame.render_widget(Paragraph::new(choice(Field::Delivery, title_of(d.delivery.map(Delivery::title)))), v2);
        }),
    ));
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v, l2, v2] = Layout::horizontal([
                Constraint::Length(LABEL),
                Constraint::Length(20),
                Constraint::Length(10),
                Constraint::Fill(1),
            ])
            .areas(r);
            frame.render_widget(Paragraph::new(label(Field::Received, "Received")), l);
            let [date, _] = Layout::horizontal([Constraint::Length(11), Constraint::Fill(1)]).areas(v);
            frame.render_widget(&state.received.widget(focused(Field::Received), theme.text), date);
            frame.render_widget(Paragraph::new(label(Field::Via, "Via")), l2);
            frame.render_widget(
                Paragraph::new(choice(Field::Via, title_of(d.received_via.map(ReceivedVia::title)))),
                v2,
            );
        }),
    ));

    let mut y = form_area.y + 1;
    for (height, draw) in rows {
        let height = height.min((form_area.y + form_area.height).saturating_sub(y));
        if height == 0 {
            break;
        }
        draw(frame, Rect { x: form_area.x, y, width: form_area.width, height });
        y += height;
    }

    match &state.stage {
        Stage::Checking | Stage::Logging => {
            let text = if state.stage == Stage::Checking {
                " Looking for this patient's requests before a number is issued…"
            } else {
                " Logging…"
            };
            let bottom = Rect { y: form_area.y + form_area.height.saturating_sub(1), height: 1, ..form_area };
            frame.render_widget(Paragraph::new(text).style(theme.muted), bottom);
        }
        Stage::Choosing(check) => choosing(frame, form_area, check, theme),
        Stage::Editing => {}
    }
}

/// Before a number is issued: the patient's last four requests and the open ones from the same
/// requester, and what each key does.
fn choosing(frame: &mut Frame, area: Rect, check: &IntakeCheck, theme: &Theme) {
    let room = usize::from(area.width.saturating_sub(4)).max(10);
    let open = &check.open_same;
    let said = if open.is_empty() {
        "No open request from this requester for this patient: logging issues a new number.".to_string()
    } else {
        format!(
            "This requester has {} for this patient. A request sent again is a follow-up on it: no new \
             number, and its clock is not started again.",
            if open.len() == 1 { "an open request".to_string() } else { format!("{} open requests", open.len()) }
        )
    };
    let said: Vec<Line> = wrap(&said, room)
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), if open.is_empty() { theme.text } else { theme.warning }))
        .collect();
    let keys = if open.is_empty() {
        "Enter logs it · Esc goes back to the form"
    } else {
        "f logs a follow-up on the highlighted request · n logs a new request, with its own clock · Esc goes back \
         to the form"
    };
    let keys: Vec<Line> = wrap(keys, room).into_iter().map(|l| Line::styled(format!(" {l}"), theme.key)).collect();
    let recent_h = if check.recent.is_empty() { 1 } else { check.recent.len() as u16 + 1 };
    let open_h = if open.is_empty() { 0 } else { open.len() as u16 + 3 };
    let height = (said.len() as u16 + 1 + 1 + recent_h + open_h + 1 + keys.len() as u16 + 2).min(area.height);
    let popup = Rect { x: area.x, y: area.y + area.height.saturating_sub(height), width: area.width, height };
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border)
        .border_style(theme.warning)
        .title(" Before a number is issued ");
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [said_area, _, recent_title, recent_area, open_area, _, keys_area] = Layout::vertical([
        Constraint::Length(said.len() as u16),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(recent_h),
        Constraint::Length(open_h),
        Constraint::Length(1),
        Constraint::Length(keys.len() as u16),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(said), said_area);
    frame.render_widget(Paragraph::new(" This patient's last requests").style(theme.header), recent_title);
    if check.recent.is_empty() {
        frame.render_widget(Paragraph::new(" None: this is the patient's first.").style(theme.muted), recent_area);
    } else {
        mini_table(frame, recent_area, &check.recent, None, theme);
    }
    if !open.is_empty() {
        let [gap_title, table] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(open_area);
        let title = Rect { y: gap_title.y + 1, height: 1, ..gap_title };
        frame.render_widget(Paragraph::new(" Open from this requester").style(theme.header), title);
        mini_table(frame, table, open, Some(check.selected), theme);
    }
    frame.render_widget(Paragraph::new(keys), keys_area);
}

fn mini_table(frame: &mut Frame, area: Rect, rows: &[RoiQueueRow], selected: Option<usize>, theme: &Theme) {
    // One column in, as the lines above it.
    let area = Rect { x: area.x + 1, width: area.width.saturating_sub(1), ..area };
    let number = rows.iter().map(|r| r.number.to_string().width()).max().unwrap_or(9).max(6) as u16;
    let fixed = number + 8 + 5 + 6 + 8 + 5;
    let requester = area.width.saturating_sub(fixed).max(8);
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            Row::new(vec![
                r.number.to_string(),
                r.received_on.format("%m/%d/%y").to_string(),
                super::queue::fit(&r.requester, usize::from(requester), theme),
                type_short(r.request_type).to_string(),
                status_short(r.status).to_string(),
                r.due_on.map_or_else(|| super::roi_queue::undated(r).to_string(), |d| d.format("%m/%d/%y").to_string()),
            ])
        })
        .collect();
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(number),
            Constraint::Length(8),
            Constraint::Length(requester),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(8),
        ],
    )
    .header(Row::new(vec!["NUMBER", "RECEIVED", "REQUESTER", "TYPE", "ST", "DUE"]).style(theme.muted))
    .column_spacing(1)
    .row_highlight_style(theme.selected);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}
