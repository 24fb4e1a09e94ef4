//! Chart lookup: the Find field, the line that says which index it used, and the ranked rows.

use super::super::app::RequestId;
use super::super::theme::Theme;
use super::super::widgets::find_field::FindField;
use crate::desk::SearchOutcome;
use crate::domain::dates::us_date;
use crate::domain::patient::PatientRow;
use crate::domain::query::QueryShape;
use crate::domain::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Default)]
pub struct LookupState {
    pub query: FindField,
    pub field_focused: bool,
    pub rows: Vec<PatientRow>,
    pub selected: usize,
    pub shape: Option<QueryShape>,
    pub problem: Option<String>,
    pub has_more: bool,
    /// The search whose answer the screen waits for; any other answer is stale.
    pub latest: Option<RequestId>,
    pub error: Option<String>,
    /// Rows that fit on screen, kept in step with the terminal size for paging.
    pub visible_rows: usize,
}

impl LookupState {
    pub fn new() -> Self {
        Self { field_focused: true, visible_rows: 16, ..Self::default() }
    }

    pub fn selected_row(&self) -> Option<&PatientRow> {
        self.rows.get(self.selected)
    }

    pub fn searching(&self) -> bool {
        self.latest.is_some()
    }

    pub fn clear(&mut self) {
        self.query.clear();
        self.rows.clear();
        self.selected = 0;
        self.shape = None;
        self.problem = None;
        self.has_more = false;
        self.latest = None;
        self.error = None;
    }

    pub fn begin_search(&mut self, id: RequestId) {
        self.latest = Some(id);
        self.error = None;
    }

    pub fn show(&mut self, outcome: SearchOutcome, append: bool) {
        self.shape = outcome.shape;
        self.problem = outcome.problem;
        self.has_more = outcome.page.has_more;
        if append {
            self.rows.extend(outcome.page.rows);
        } else {
            self.rows = outcome.page.rows;
            self.selected = 0;
        }
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    /// Moves the highlight by `delta`, clamped. Returns whether it rests on the last row.
    pub fn move_selection(&mut self, delta: isize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let last = self.rows.len() - 1;
        let target = (self.selected as isize).saturating_add(delta).clamp(0, last as isize);
        self.selected = target as usize;
        self.selected == last && delta > 0
    }

    /// The line beside Find: which index the input chose and how far the results go.
    pub fn reach(&self) -> String {
        // Kept short: why is said in full in the body, where there is room.
        if self.error.is_some() {
            return "search failed".into();
        }
        if self.problem.is_some() {
            return "not searched".into();
        }
        let Some(shape) = self.shape else {
            return if self.searching() { "searching…".into() } else { String::new() };
        };
        let n = self.rows.len();
        let reach = if self.has_more {
            format!("first {n}, more below")
        } else if n == 0 {
            "none found".into()
        } else {
            format!("{n} found")
        };
        format!("{} · {reach}", shape.describe())
    }
}

/// What the empty Find screen offers to type; each finds a patient in the first-run demo (tested
/// end to end), so a new clerk's first try is never "none found".
pub const HINT_EXAMPLES: [&str; 8] =
    ["100234", "SMITH,JO", "smith jon", "S4821", "04/12/1961", "4/12/61", "1961-04-12", "A25-000781"];

pub fn render(frame: &mut Frame, area: Rect, state: &LookupState, theme: &Theme) {
    let [find_area, table_area] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let reach = state.reach();
    let reach_width = (reach.chars().count() as u16 + 2).min(find_area.width / 2);
    let [label_area, field_area, reach_area] =
        Layout::horizontal([Constraint::Length(7), Constraint::Fill(1), Constraint::Length(reach_width)])
            .areas(find_area);
    let label_style = if state.field_focused { theme.focus.patch(theme.header) } else { theme.muted };
    frame.render_widget(Paragraph::new(" Find:").style(label_style), label_area);
    frame.render_widget(&state.query.widget(state.field_focused, theme.text), field_area);
    let reach_style = if state.error.is_some() || state.problem.is_some() { theme.warning } else { theme.muted };
    frame.render_widget(Paragraph::new(reach).style(reach_style).right_aligned(), reach_area);

    let block = Block::default().borders(Borders::ALL).border_set(theme.border).border_style(if state.field_focused {
        theme.muted
    } else {
        theme.focus
    });
    if state.rows.is_empty() {
        let text = if state.query.text().trim().is_empty() {
            vec![
                Line::from(""),
                Line::from("  Type what you have:"),
                Line::from(""),
                Line::from(format!("    an MRN              {}", HINT_EXAMPLES[0])),
                Line::from(format!("    a name              {}   or   {}", HINT_EXAMPLES[1], HINT_EXAMPLES[2])),
                Line::from(format!(
                    "    initial + last 4    {}      (or the last 4 alone, or a full SSN)",
                    HINT_EXAMPLES[3]
                )),
                Line::from(format!(
                    "    a birth date        {}   {}   {}, or after a name",
                    HINT_EXAMPLES[4], HINT_EXAMPLES[5], HINT_EXAMPLES[6]
                )),
                Line::from(format!("    an account number   {}", HINT_EXAMPLES[7])),
            ]
        } else if state.searching() {
            vec![Line::from(""), Line::from("  Searching…")]
        } else if let Some(why) = state.error.as_ref().or(state.problem.as_ref()) {
            // A refusal is not "no patient": the clerk reads that nothing was looked for, and why.
            let room = usize::from(table_area.width.saturating_sub(6)).max(10);
            let mut lines = vec![Line::from("")];
            lines.extend(
                super::super::widgets::chrome::wrap(&format!("The search was not run: {}", clean(why)), room)
                    .into_iter()
                    .map(|l| Line::styled(format!("  {l}"), theme.warning)),
            );
            lines
        } else {
            vec![Line::from(""), Line::from("  No patient matches.")]
        };
        frame
            .render_widget(Paragraph::new(text).style(theme.muted).wrap(Wrap { trim: false }).block(block), table_area);
        return;
    }
    let wide = table_area.width >= 110;
    let mut header = vec!["NAME", "MRN", "DOB", "SEX", "SSN4", "LAST VISIT", "FLAGS"];
    let mut widths = vec![
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(3),
        Constraint::Length(4),
        Constraint::Length(10),
        Constraint::Length(7),
    ];
    if wide {
        header.insert(6, "MATCH");
        widths.insert(6, Constraint::Length(8));
    }
    // The name takes what the other columns leave (inside the borders, beside the highlight
    // mark, one space between columns); a longer one ends in `…`, never cut without a sign.
    let fixed: u16 = widths
        .iter()
        .map(|c| match c {
            Constraint::Length(n) => *n,
            _ => 0,
        })
        .sum();
    let name_width =
        usize::from(table_area.width.saturating_sub(2 + 1 + fixed + widths.len().saturating_sub(1) as u16));
    let mark = theme.glyph("…", "~");
    let rows = state.rows.iter().map(|r| {
        let name = clean(&r.display_name()).to_string();
        let name = if name.width() > name_width {
            let mut cut = String::new();
            for c in name.chars() {
                if cut.width() + c.to_string().width() + mark.width() > name_width {
                    break;
                }
                cut.push(c);
            }
            format!("{cut}{mark}")
        } else {
            name
        };
        let mut cells = vec![
            Cell::from(name),
            Cell::from(r.mrn.to_string()),
            Cell::from(us_date(r.birth_date)),
            Cell::from(r.sex.code()),
            Cell::from(r.ssn_last4.as_deref().map(|s| clean(s).to_string()).unwrap_or_default()),
            Cell::from(r.last_visit.map(us_date).unwrap_or_default()),
            Cell::from(flags(r, theme)),
        ];
        if wide {
            let label = match r.match_kind {
                crate::domain::patient::MatchKind::Exact => "exact",
                crate::domain::patient::MatchKind::Prefix => "prefix",
                crate::domain::patient::MatchKind::Phonetic => "sounds",
            };
            cells.insert(6, Cell::from(label));
        }
        let style = if r.deceased_on.is_some() { theme.muted } else { Style::default() };
        Row::new(cells).style(style)
    });
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.header))
        .column_spacing(1)
        .row_highlight_style(theme.selected)
        .highlight_symbol(theme.glyph("▌", ">"))
        .block(block);
    let mut table_state = TableState::default().with_selected(Some(state.selected));
    frame.render_stateful_widget(table, table_area, &mut table_state);
}

fn flags(row: &PatientRow, theme: &Theme) -> Line<'static> {
    let spans: Vec<Span<'static>> = row
        .flags()
        .into_iter()
        .map(|f| match f {
            "†" => Span::raw(theme.glyph("†", "+")),
            "R" => Span::styled("R", theme.danger),
            other => Span::raw(other),
        })
        .flat_map(|s| [s, Span::raw(" ")])
        .collect();
    Line::from(spans)
}
