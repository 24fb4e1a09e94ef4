//! The release-of-information queue (screen 4): the department's open requests, soonest due first,
//! a page at a time from the store, with a band of how many are open, overdue and due within five
//! days, and how old the open ones are (0–15, 16–25, 26–30, over 30 days since receipt).

use super::super::app::RequestId;
use super::super::theme::Theme;
use super::queue::{fit, share};
use crate::desk::roi::{Assignee, RoiQuery};
use crate::domain::dates::us_date;
use crate::domain::roi::{RequestStatus, RequestType};
use crate::domain::text::clean;
use crate::store::roi::{RoiQueueRow, RoiSort};
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState};
use unicode_width::UnicodeWidthStr;

/// Days left at or under which a request is shown in the warning style.
pub const WARN_DAYS: i64 = 5;

/// Columns a name keeps before the types and statuses give up their titles for short forms.
const NAME_ROOM: u16 = 24;

/// Columns the wide queue's rule keeps however long the names.
const RULE_ROOM: u16 = 12;

/// The band: the department's open requests by days since receipt (the desk's buckets, 0–15,
/// 16–25, 26–30, over 30), and how many are overdue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Band {
    /// (label, count), youngest first.
    pub aging: Vec<(String, i64)>,
    pub overdue: i64,
}

impl Band {
    pub fn open(&self) -> i64 {
        self.aging.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Debug, Default)]
pub struct RoiQueueState {
    pub rows: Vec<RoiQueueRow>,
    pub selected: usize,
    /// Every request the filter matches, not only those loaded.
    pub total: i64,
    /// What narrows the list, in the clerk's terms (the desk turns "overdue" and "due within" into
    /// dates).
    pub query: RoiQuery,
    pub sort: RoiSort,
    /// The page read the screen waits for; any other answer is stale.
    pub latest: Option<RequestId>,
    /// The rows on screen being read again (after work on them, or another clerk's).
    pub refreshing: Option<RequestId>,
    pub band: Option<Band>,
    pub error: Option<String>,
    pub loaded: bool,
    /// The signed-in clerk, to say "assigned to you".
    pub me: String,
}

pub const SORTS: [RoiSort; 6] =
    [RoiSort::Due, RoiSort::Received, RoiSort::Number, RoiSort::Patient, RoiSort::Requester, RoiSort::Status];

/// How a request type is written where the columns are narrow; the wide queue writes its title.
/// ROI desks' own shorthand (AOD, DDS, COC); `?` help lists them.
pub fn type_short(kind: RequestType) -> &'static str {
    match kind {
        RequestType::RightOfAccess => "ROA",
        RequestType::ThirdPartyDirective => "3PD",
        RequestType::Authorization => "AUTH",
        RequestType::Subpoena => "SUBP",
        RequestType::CourtOrder => "ORDER",
        RequestType::ContinuityOfCare => "COC",
        RequestType::Disability => "DDS",
        RequestType::LawEnforcement => "LAW",
        RequestType::PublicHealth => "PH",
        RequestType::WorkersComp => "WC",
        RequestType::Accounting => "AOD",
    }
}

/// How a status is written where the columns are narrow.
pub fn status_short(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Logged => "LOGGED",
        RequestStatus::Validating => "VALID",
        RequestStatus::Pended => "PENDED",
        RequestStatus::OnHold => "HOLD",
        RequestStatus::Exception => "EXCEPT",
        RequestStatus::ReadyToFulfil => "FULFIL",
        RequestStatus::InQc => "IN QC",
        RequestStatus::AwaitingPayment => "PAY",
        RequestStatus::ReadyToRelease => "READY",
        RequestStatus::Released => "RELSD",
        RequestStatus::Closed => "CLOSED",
        RequestStatus::Rejected => "REJECT",
        RequestStatus::Cancelled => "CANCEL",
    }
}

/// The legend of the short forms, for `?` help.
pub fn legend() -> String {
    let types: Vec<String> = RequestType::ALL.iter().map(|t| format!("{} {}", type_short(*t), t.title())).collect();
    let statuses: Vec<String> =
        RequestStatus::ALL.iter().map(|s| format!("{} {}", status_short(*s), s.title())).collect();
    format!("ROI types: {}. ROI statuses: {}.", types.join(", "), statuses.join(", "))
}

/// Days from `today` to `due`: negative when overdue.
pub fn days_left(due: NaiveDate, today: NaiveDate) -> i64 {
    (due - today).num_days()
}

impl RoiQueueState {
    pub fn sort_label(&self) -> &'static str {
        match self.sort {
            RoiSort::Due => "soonest due first",
            RoiSort::Received => "oldest received first",
            RoiSort::Number => "by number",
            RoiSort::Patient => "by patient",
            RoiSort::Requester => "by requester",
            RoiSort::Status => "by status",
        }
    }

    pub fn next_sort(&mut self) {
        let i = SORTS.iter().position(|s| *s == self.sort).unwrap_or(0);
        self.sort = SORTS[(i + 1) % SORTS.len()];
    }

    pub fn has_more(&self) -> bool {
        (self.rows.len() as i64) < self.total
    }

    pub fn show(&mut self, rows: Vec<RoiQueueRow>, total: i64, append: bool) {
        if append {
            self.rows.extend(rows);
        } else {
            self.rows = rows;
            self.selected = 0;
        }
        self.total = total;
        self.loaded = true;
        self.error = None;
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// The rows on screen read again: each keeps its place, the highlight stays on its request (or
    /// the nearest left); a request gone from the filter goes, new ones come in where the read has
    /// them. Returns whether anything on screen changed.
    pub fn refresh(&mut self, mut rows: Vec<RoiQueueRow>, total: i64) -> bool {
        // As many rows as were loaded, and down to the last of them still listed (the read asks for
        // a page more, so that none shown is lost when new ones come in above it); a first page
        // when there were none.
        let last_shown = rows.iter().rposition(|r| self.rows.iter().any(|old| old.id == r.id)).map_or(0, |i| i + 1);
        let keep = match self.rows.len() {
            0 => rows.len().min(super::super::app::PAGE_SIZE),
            loaded => loaded.max(last_shown),
        };
        rows.truncate(keep);
        let at = self.rows.get(self.selected).map(|r| r.id);
        let selected = at
            .and_then(|id| rows.iter().position(|r| r.id == id))
            .unwrap_or_else(|| {
                // The nearest request below that stayed, else above.
                let below = self.rows.iter().skip(self.selected);
                let above = self.rows.iter().take(self.selected).rev();
                below.chain(above).find_map(|old| rows.iter().position(|r| r.id == old.id)).unwrap_or(0)
            })
            .min(rows.len().saturating_sub(1));
        let changed = rows != self.rows || total != self.total || selected != self.selected;
        self.rows = rows;
        self.total = total;
        self.selected = selected;
        changed
    }

    /// Moves the highlight; true when it rests on the last loaded row going down.
    pub fn move_selection(&mut self, delta: isize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let last = self.rows.len() - 1;
        self.selected = (self.selected as isize).saturating_add(delta).clamp(0, last as isize) as usize;
        self.selected == last && delta > 0
    }

    pub fn selected_row(&self) -> Option<&RoiQueueRow> {
        self.rows.get(self.selected)
    }

    /// What narrows the list and how it is sorted, in words, for the rule under the band.
    pub fn describe_filter(&self) -> String {
        let q = &self.query;
        let mut parts = Vec::new();
        if q.statuses.is_empty() {
            parts.push("open".to_string());
        } else {
            parts.push(q.statuses.iter().map(|s| s.title().to_lowercase()).collect::<Vec<_>>().join(", "));
        }
        if q.overdue {
            parts.push("overdue".into());
        }
        match q.due_within {
            None => {}
            Some(1) => parts.push("due within 1 day".into()),
            Some(n) => parts.push(format!("due within {n} days")),
        }
        if let Some(kind) = q.request_type {
            parts.push(kind.title().to_lowercase());
        }
        if let Some(requester) = &q.requester {
            parts.push(format!("requester {}", clean(requester)));
        }
        match &q.assignee {
            None => {}
            Some(Assignee::Nobody) => parts.push("assigned to nobody".into()),
            Some(Assignee::Me) => parts.push("assigned to you".into()),
            Some(Assignee::User(who)) if *who == self.me => parts.push("assigned to you".into()),
            Some(Assignee::User(who)) => parts.push(format!("assigned to {}", clean(who))),
        }
        parts.push(self.sort_label().into());
        parts.join(" · ")
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &RoiQueueState, today: NaiveDate, theme: &Theme) {
    let described = clean(&state.describe_filter()).into_owned();
    let mut described = super::super::widgets::chrome::wrap(&described, usize::from(area.width.saturating_sub(4)));
    let on_rule = described.pop().unwrap_or_default();
    let [band, aging, above_rule, rule, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(described.len() as u16),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let title = " Release of information";
    let right: Vec<Span> = match &state.band {
        Some(band) => {
            let style = if band.overdue > 0 { theme.danger } else { theme.text };
            vec![
                Span::raw(format!("{} open · ", band.open())),
                Span::styled(format!("{} overdue", band.overdue), style),
                Span::raw(" "),
            ]
        }
        None => vec![Span::styled("counting… ", theme.muted)],
    };
    let right_width =
        right.iter().map(|s| s.width()).sum::<usize>().min(usize::from(band.width).saturating_sub(title.width()));
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width as u16)]).areas(band);
    frame.render_widget(Paragraph::new(Span::styled(title, theme.header)), left_area);
    frame.render_widget(Paragraph::new(Line::from(right)).right_aligned(), right_area);
    if let Some(band) = &state.band {
        let mut spans = vec![Span::styled(" Days since received  ", theme.muted)];
        let last = band.aging.len().saturating_sub(1);
        for (i, (label, count)) in band.aging.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", theme.muted));
            }
            // Past thirty days a right-of-access request is late unless extended.
            let style = if i == last && *count > 0 { theme.danger } else { theme.text };
            spans.push(Span::styled(format!("{}: {count}", clean(label)), style));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), aging);
    }
    super::super::widgets::chrome::described_rule(frame, above_rule, rule, described, &on_rule, theme);

    if let Some(error) = &state.error {
        frame.render_widget(Paragraph::new(format!(" {}", clean(error))).style(theme.warning), body);
        return;
    }
    if state.rows.is_empty() {
        let text = if state.loaded { " No requests match." } else { " Loading the requests…" };
        frame.render_widget(Paragraph::new(text).style(theme.muted), body);
        return;
    }
    let wide = body.width >= 110;
    let columns = Columns::measure(state, today, body.width, wide);
    let widths: Vec<Constraint> = columns.widths().into_iter().map(Constraint::Length).collect();
    let rows: Vec<Row> = state.rows.iter().enumerate().map(|(i, r)| row(i, r, state, today, &columns, theme)).collect();
    let table = Table::new(rows, widths)
        .header(Row::new(columns.header()).style(theme.header))
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut table_state = TableState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(table, body, &mut table_state);
}

fn row<'a>(i: usize, r: &RoiQueueRow, state: &RoiQueueState, today: NaiveDate, c: &Columns, theme: &Theme) -> Row<'a> {
    let left = r.due_on.map(|due| days_left(due, today));
    let open = r.status.is_open();
    let overdue = open && left.is_some_and(|d| d < 0);
    let soon = open && left.is_some_and(|d| (0..=WARN_DAYS).contains(&d));
    // Whose it is, in one character beside the number at 80 columns; the wide queue names them.
    let held = match r.assigned_to.as_deref() {
        Some(who) if who == state.me => theme.glyph("●", "+"),
        Some(_) => theme.glyph("○", "-"),
        None => " ",
    };
    let mut cells = vec![
        format!("{held}{:>w$}", i + 1, w = usize::from(c.number) - 1),
        r.number.to_string(),
        fit(&r.patient_name, usize::from(c.patient), theme),
        fit(&r.requester, usize::from(c.requester), theme),
        if c.type_titles { r.request_type.title().to_string() } else { type_short(r.request_type).to_string() },
        if c.status_titles { r.status.title().to_string() } else { status_short(r.status).to_string() },
        date(r.received_on, c.wide),
        match r.due_on {
            Some(due) => date(due, c.wide),
            None => undated(r).to_string(),
        },
        match left {
            Some(d) if overdue => format!("! {d:>w$}", w = usize::from(c.left) - 2),
            Some(d) if open => format!("{d:>w$}", w = usize::from(c.left)),
            _ => String::new(),
        },
    ];
    if c.wide {
        // The rule in as many words as fit; the request shows it whole.
        cells.push(fit(&r.due_rule, usize::from(c.rule), theme));
        cells.push(r.assigned_to.as_deref().map(|a| clean(a).into_owned()).unwrap_or_default());
    }
    let row = Row::new(cells);
    if overdue {
        row.style(theme.danger)
    } else if soon {
        row.style(theme.warning)
    } else if !open {
        row.style(theme.muted)
    } else {
        row
    }
}

/// The due column of a request with no date: no clock in law applies, or its clock waits — and
/// the one thing a clock waits for is the payment (`TX HSC 241.154: 15 days after payment`).
pub fn undated(r: &RoiQueueRow) -> &'static str {
    if r.due_rule == crate::domain::roi::clocks::NO_CLOCK { "none" } else { "unpaid" }
}

/// A date as the queue writes it: at 80 columns `03/24/25`, wide `03/24/2025`.
fn date(on: NaiveDate, wide: bool) -> String {
    if wide { us_date(on) } else { on.format("%m/%d/%y").to_string() }
}

/// The queue's column widths, from the longest value on the page: numbers, dates and days are
/// never cut; the patient's and requester's names share what is left, and a long one gives way.
#[derive(Debug, Clone, Copy)]
struct Columns {
    wide: bool,
    /// Types and statuses by their titles (`Right of access`, `Ready to fulfil`), where the
    /// names keep room; else by their short forms.
    type_titles: bool,
    status_titles: bool,
    number: u16,
    request: u16,
    patient: u16,
    requester: u16,
    kind: u16,
    status: u16,
    date: u16,
    due: u16,
    left: u16,
    rule: u16,
    assignee: u16,
}

impl Columns {
    /// The widest layout that leaves the names room: titles for types and statuses when wide,
    /// giving way to their short forms before a name is cut short.
    fn measure(state: &RoiQueueState, today: NaiveDate, width: u16, wide: bool) -> Self {
        let variants: &[(bool, bool)] =
            if wide { &[(true, true), (false, true), (false, false)] } else { &[(false, false)] };
        let mut chosen = None;
        for &(type_titles, status_titles) in variants {
            let (columns, patient, requester) = Self::with(state, today, width, wide, type_titles, status_titles);
            let enough = |got: u16, need: u16| got >= need.min(NAME_ROOM);
            chosen = Some(columns);
            if enough(columns.patient, patient) && enough(columns.requester, requester) {
                break;
            }
        }
        chosen.unwrap_or_else(|| Self::with(state, today, width, wide, false, false).0)
    }

    /// The columns with these forms of type and status, and what the names need whole.
    fn with(
        state: &RoiQueueState,
        today: NaiveDate,
        width: u16,
        wide: bool,
        type_titles: bool,
        status_titles: bool,
    ) -> (Self, u16, u16) {
        let longest = |label: &str, values: &mut dyn Iterator<Item = usize>| {
            values.max().unwrap_or(0).max(label.width()).min(usize::from(u16::MAX)) as u16
        };
        let rows = &state.rows;
        let number = 1 + longest("  #", &mut std::iter::once(rows.len().max(1).to_string().len()));
        let request = longest("NUMBER", &mut rows.iter().map(|r| r.number.to_string().width()));
        let kind = match type_titles {
            true => longest("TYPE", &mut rows.iter().map(|r| r.request_type.title().width())),
            false => longest("TYPE", &mut rows.iter().map(|r| type_short(r.request_type).width())),
        };
        let status = match status_titles {
            true => longest("STATUS", &mut rows.iter().map(|r| r.status.title().width())),
            false => longest("ST", &mut rows.iter().map(|r| status_short(r.status).width())),
        };
        let date = if wide { 10 } else { 8 };
        let due = date;
        let left = longest(
            "LEFT",
            &mut rows.iter().filter_map(|r| {
                let d = days_left(r.due_on?, today);
                Some(d.to_string().len() + if d < 0 { 2 } else { 0 })
            }),
        );
        let rule = if wide { longest("RULE", &mut rows.iter().map(|r| clean(&r.due_rule).width())) } else { 0 };
        let assignee = match wide {
            true => {
                longest("ASSIGNED", &mut rows.iter().map(|r| r.assigned_to.as_deref().map_or(0, |a| clean(a).width())))
            }
            false => 0,
        };
        let patient = longest("PATIENT", &mut rows.iter().map(|r| clean(&r.patient_name).width()));
        let requester = longest("REQUESTER", &mut rows.iter().map(|r| clean(&r.requester).width()));
        let mut columns = Self {
            wide,
            type_titles,
            status_titles,
            number,
            request,
            patient,
            requester,
            kind,
            status,
            date,
            due,
            left,
            rule,
            assignee,
        };
        let fixed = columns.widths().iter().sum::<u16>() - patient - requester - rule + columns.gaps();
        let room = width.saturating_sub(fixed);
        // The names first; the rule (whole on the request screen) keeps a few words and takes
        // what the names leave.
        let rule_least = rule.min(RULE_ROOM);
        let [p, q] = share(room.saturating_sub(rule_least), [patient, requester], 1);
        let spare = q.saturating_sub(requester);
        let rule_width = (rule_least + spare).min(rule);
        (columns.patient, columns.requester, columns.rule) = (p, q - (rule_width - rule_least), rule_width);
        (columns, patient, requester)
    }

    fn gaps(&self) -> u16 {
        self.widths().len() as u16 - 1
    }

    /// In display order: #, number, patient, requester, type, status, received, due, days left
    /// (and wide: the rule that set the due date, and who it is assigned to).
    fn widths(&self) -> Vec<u16> {
        let mut widths = vec![
            self.number,
            self.request,
            self.patient,
            self.requester,
            self.kind,
            self.status,
            self.date,
            self.due,
            self.left,
        ];
        if self.wide {
            widths.extend([self.rule, self.assignee]);
        }
        widths
    }

    fn header(&self) -> Vec<String> {
        let mut header = vec![
            format!("{:>w$}", "#", w = usize::from(self.number)),
            "NUMBER".to_string(),
            "PATIENT".into(),
            "REQUESTER".into(),
            "TYPE".into(),
            if self.status_titles { "STATUS" } else { "ST" }.into(),
            "RECEIVED".into(),
            "DUE".into(),
            format!("{:>w$}", "LEFT", w = usize::from(self.left)),
        ];
        if self.wide {
            header.extend(["RULE".to_string(), "ASSIGNED".into()]);
        }
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64) -> RoiQueueRow {
        RoiQueueRow {
            id,
            number: crate::domain::roi::RequestNumber { facility: "RGH".into(), seq: id },
            version: 1,
            patient_name: "GARCIA, MARIA".into(),
            mrn: crate::domain::mrn::Mrn::parse("204511").unwrap(),
            requester: "SMITH & JONES LLP".into(),
            request_type: RequestType::RightOfAccess,
            status: RequestStatus::Logged,
            received_on: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            due_on: None,
            due_rule: String::new(),
            assigned_to: None,
        }
    }

    #[test]
    fn a_read_again_keeps_the_rows_shown_and_those_come_in_above_them_but_no_more() {
        let mut state = RoiQueueState::default();
        state.show(vec![row(1), row(2), row(3)], 10, false);
        state.move_selection(1);
        // Request 9 came in first; 2 left the filter; the read has a page more than was shown.
        let fresh = vec![row(9), row(1), row(3), row(4), row(5), row(6)];
        assert!(state.refresh(fresh, 10));
        assert_eq!(state.rows.iter().map(|r| r.id).collect::<Vec<_>>(), [9, 1, 3]);
        assert_eq!(state.selected_row().map(|r| r.id), Some(3), "the highlight goes to the nearest left");
        assert!(!state.refresh(vec![row(9), row(1), row(3), row(4)], 10), "the same rows: nothing changed");
    }

    #[test]
    fn the_filter_is_said_in_words_and_the_clerk_is_you() {
        let mut state = RoiQueueState { me: "jdoe".into(), ..Default::default() };
        assert_eq!(state.describe_filter(), "open · soonest due first");
        state.query.overdue = true;
        state.query.request_type = Some(RequestType::Subpoena);
        state.query.assignee = Some(Assignee::User("jdoe".into()));
        state.next_sort();
        assert_eq!(state.describe_filter(), "open · overdue · subpoena · assigned to you · oldest received first");
        state.query = RoiQuery { due_within: Some(5), statuses: vec![RequestStatus::Pended], ..Default::default() };
        assert_eq!(state.describe_filter(), "pended · due within 5 days · oldest received first");
    }
}
