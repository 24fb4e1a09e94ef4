//! The deficiency queue: the department's open chart-completion work, a page at a time from the
//! store, with a band of open, delinquent and the delinquency rate against the 50% line.

use super::super::app::RequestId;
use super::super::theme::Theme;
use crate::domain::chart::DeficiencyStatus;
use crate::domain::deficiency::{AgeBucket, DelinquencyRate, RateBand, age_days};
use crate::domain::text::clean;
use crate::store::deficiencies::QueueRow;
use crate::store::{QueueCounts, QueueFilter, QueueSort};
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table, TableState};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct QueueState {
    pub rows: Vec<QueueRow>,
    pub selected: usize,
    /// Rows picked for a bulk action: id → the version the clerk saw.
    pub picked: BTreeMap<i64, i64>,
    pub filter: QueueFilter,
    pub sort: QueueSort,
    pub has_more: bool,
    pub latest: Option<RequestId>,
    pub counts: Option<(QueueCounts, DelinquencyRate)>,
    pub error: Option<String>,
    pub loaded: bool,
    /// The physician view: the queue narrowed to one physician, with their standing.
    pub physician: Option<crate::store::PhysicianStanding>,
    /// Standings of the physicians listed, for the group lines when sorted by physician.
    pub standings: std::collections::HashMap<i64, crate::store::PhysicianStanding>,
    /// Physicians whose groups are folded to their group line.
    pub folded: std::collections::BTreeSet<i64>,
}

const SORTS: [QueueSort; 5] =
    [QueueSort::Age, QueueSort::Physician, QueueSort::Type, QueueSort::Mrn, QueueSort::Discharge];

impl QueueState {
    pub fn sort_label(&self) -> &'static str {
        match self.sort {
            QueueSort::Age => "oldest first",
            QueueSort::Physician => "by physician",
            QueueSort::Type => "by type",
            QueueSort::Mrn => "by MRN",
            QueueSort::Discharge => "newest discharge first",
        }
    }

    pub fn next_sort(&mut self) {
        let i = SORTS.iter().position(|s| *s == self.sort).unwrap_or(0);
        self.sort = SORTS[(i + 1) % SORTS.len()];
    }

    pub fn next_bucket(&mut self) {
        self.filter.bucket = match self.filter.bucket {
            None => Some(AgeBucket::UpTo14),
            Some(b) => AgeBucket::ALL.iter().position(|x| *x == b).and_then(|i| AgeBucket::ALL.get(i + 1)).copied(),
        };
    }

    pub fn show(&mut self, rows: Vec<QueueRow>, has_more: bool, append: bool) {
        if append {
            self.rows.extend(rows);
        } else {
            self.rows = rows;
            self.selected = 0;
        }
        self.has_more = has_more;
        self.loaded = true;
        self.selected = self.selected.min(self.rows.len().saturating_sub(1));
    }

    fn grouped(&self) -> bool {
        self.sort == QueueSort::Physician && self.physician.is_none()
    }

    fn visible(&self, index: usize) -> bool {
        !(self.grouped() && self.rows.get(index).is_some_and(|r| self.folded.contains(&r.provider_id)))
    }

    /// Moves the highlight over the rows that are shown (folded groups are skipped); true when it
    /// rests on the last loaded row going down.
    pub fn move_selection(&mut self, delta: isize) -> bool {
        if self.rows.is_empty() {
            return false;
        }
        let last = self.rows.len() - 1;
        let step: isize = if delta < 0 { -1 } else { 1 };
        let mut remaining = delta.unsigned_abs().min(self.rows.len());
        let mut at = self.selected;
        while remaining > 0 {
            let next = at as isize + step;
            if next < 0 || next > last as isize {
                break;
            }
            at = next as usize;
            if self.visible(at) {
                self.selected = at;
                remaining -= 1;
            }
        }
        self.selected == last && delta > 0
    }

    /// Folds or unfolds the group of the highlighted row's physician (sorted by physician).
    pub fn toggle_fold(&mut self) {
        if !self.grouped() {
            return;
        }
        let Some(provider) = self.rows.get(self.selected).map(|r| r.provider_id) else { return };
        if !self.folded.remove(&provider) {
            self.folded.insert(provider);
            // The highlight leaves the folded group: forward if it can, else back.
            if !self.visible(self.selected) {
                let before = self.selected;
                self.move_selection(1);
                if self.selected == before || !self.visible(self.selected) {
                    self.move_selection(-1);
                }
            }
        }
    }

    pub fn toggle_pick(&mut self) {
        if let Some(row) = self.rows.get(self.selected)
            && self.picked.remove(&row.id).is_none()
        {
            self.picked.insert(row.id, row.version);
        }
    }

    pub fn pick_all_loaded(&mut self) {
        if self.picked.len() == self.rows.len() {
            self.picked.clear();
        } else {
            self.picked = self.rows.iter().map(|r| (r.id, r.version)).collect();
        }
    }

    /// The (id, version) of rows numbered as displayed (1-based), or the picked rows when no
    /// numbers are given. Numbers past the list are refused.
    pub fn items_for(&self, numbers: Option<&[usize]>) -> Result<Vec<(i64, i64)>, String> {
        match numbers {
            None if self.picked.is_empty() => Err("select rows with Space, or name them: :QC=1-3".into()),
            None => Ok(self.picked.iter().map(|(id, v)| (*id, *v)).collect()),
            Some(numbers) => numbers
                .iter()
                .map(|n| {
                    self.rows
                        .get(n.wrapping_sub(1))
                        .map(|r| (r.id, r.version))
                        .ok_or_else(|| format!("there is no row {n} on screen ({} listed)", self.rows.len()))
                })
                .collect(),
        }
    }

    fn describe_filter(&self) -> String {
        let mut parts = vec!["open".to_string()];
        if let Some(p) = &self.physician {
            parts[0] = clean(&p.name).to_string();
        }
        for (label, value) in [
            ("type", &self.filter.type_code),
            ("category", &self.filter.category),
            ("service", &self.filter.service),
            ("facility", &self.filter.facility),
        ] {
            if let Some(v) = value {
                parts.push(format!("{label} {}", clean(v)));
            }
        }
        if let Some(status) = self.filter.status {
            parts.push(status.code().to_ascii_lowercase());
        }
        if self.filter.delinquent_only {
            parts.push("delinquent only".into());
        }
        if let Some(b) = self.filter.bucket {
            parts.push(format!("{} days", b.label()));
        }
        parts.push(self.sort_label().into());
        parts.join(" · ")
    }
}

fn step_label(status: DeficiencyStatus) -> &'static str {
    match status {
        DeficiencyStatus::Open => "OPEN",
        DeficiencyStatus::Dictated => "DICT",
        DeficiencyStatus::Transcribed => "TRAN",
        DeficiencyStatus::Signed => "SIGN",
        DeficiencyStatus::Reviewed => "REVW",
        DeficiencyStatus::Completed => "DONE",
        DeficiencyStatus::Rejected => "REJ",
        DeficiencyStatus::Voided => "VOID",
    }
}

pub fn render(frame: &mut Frame, area: Rect, state: &QueueState, today: NaiveDate, theme: &Theme) {
    let [band, rule, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let right = match (&state.physician, &state.counts) {
        (Some(p), _) => {
            let on_leave = p.leave.iter().any(|(from, to)| *from <= today && today <= *to);
            let standing = match (p.suspended_since, on_leave, p.delinquent > 0) {
                (Some(since), _, _) => format!("suspended since {}", crate::domain::dates::us_date(since)),
                (None, true, _) => "on leave".to_string(),
                (None, false, true) => "suspension eligible".to_string(),
                (None, false, false) => "in good standing".to_string(),
            };
            let style = if p.suspended_since.is_some() || p.delinquent > 0 { theme.danger } else { theme.text };
            vec![
                Span::raw(format!("  {} open · {} delinquent · ", p.open, p.delinquent)),
                Span::styled(standing, style),
                Span::raw(" "),
            ]
        }
        (None, Some((counts, rate))) => {
            // No discharges in the window: no rate, never a reassuring 0%.
            let (text, style) = match rate.computed {
                None => ("rate n/a".to_string(), theme.muted),
                Some(c) => match c.band {
                    RateBand::Within => (format!("rate {:.1}%", c.percent), theme.text),
                    RateBand::Warning => (format!("! rate {:.1}%", c.percent), theme.warning),
                    RateBand::Exceeds => (format!("! rate {:.1}%", c.percent), theme.danger),
                },
            };
            vec![
                Span::raw(format!("  {} open · {} delinquent · ", counts.open, counts.delinquent)),
                Span::styled(text, style),
                Span::raw(" "),
            ]
        }
        (None, None) => vec![Span::styled("counting… ", theme.muted)],
    };
    let right_width: u16 = right.iter().map(|s| s.width() as u16).sum();
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width)]).areas(band);
    let picked = if state.picked.is_empty() { String::new() } else { format!(" · {} selected", state.picked.len()) };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Deficiencies", theme.header),
            Span::raw(format!("  {}{picked}", state.describe_filter())),
        ])),
        left_area,
    );
    frame.render_widget(Paragraph::new(Line::from(right)).right_aligned(), right_area);
    frame.render_widget(Paragraph::new(theme.rule.repeat(rule.width as usize)).style(theme.muted), rule);

    if let Some(error) = &state.error {
        frame.render_widget(Paragraph::new(format!(" {}", clean(error))).style(theme.warning), body);
        return;
    }
    if state.rows.is_empty() {
        let text = if state.loaded {
            " There are no DEFICIENCIES that meet this action's criteria."
        } else {
            " Loading the queue…"
        };
        frame.render_widget(Paragraph::new(text).style(theme.muted), body);
        return;
    }
    let wide = body.width >= 110;
    let mut header = vec!["  #", "PHYSICIAN", "DEFICIENCY", "MRN", "ACCOUNT", "DISCH", " AGE", "ST"];
    let mut widths = vec![
        Constraint::Length(4),
        Constraint::Length(if wide { 18 } else { 16 }),
        Constraint::Fill(1),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(if wide { 10 } else { 5 }),
        Constraint::Length(5),
        Constraint::Length(4),
    ];
    if wide {
        header.insert(3, "PATIENT");
        widths.insert(3, Constraint::Length(16));
        header.push("STEP DUE");
        widths.push(Constraint::Length(10));
        header.push("FAC");
        widths.push(Constraint::Length(4));
    }
    let check = theme.glyph("✓", "*");
    let grouped = state.sort == QueueSort::Physician && state.physician.is_none();
    let mut table_rows: Vec<Row> = Vec::with_capacity(state.rows.len() + 8);
    // (line of the table, its text) for each group line, drawn across the whole width afterwards:
    // a table has no column spans.
    let mut groups: Vec<(usize, Line<'static>)> = Vec::new();
    let mut selected_line = state.selected;
    let mut last_provider = None;
    for (i, r) in state.rows.iter().enumerate() {
        let folded = grouped && state.folded.contains(&r.provider_id);
        if grouped && last_provider != Some(r.provider_id) {
            last_provider = Some(r.provider_id);
            let line = group_line(r, state.standings.get(&r.provider_id), today, folded, theme);
            groups.push((table_rows.len(), line));
            table_rows.push(Row::new(Vec::<String>::new()));
            if i <= state.selected {
                selected_line += 1;
            }
        }
        if folded {
            if i < state.selected {
                selected_line -= 1;
            }
            continue;
        }
        table_rows.push(item_row(i, r, state, today, wide, check, theme));
    }
    let table = Table::new(table_rows, widths)
        .header(Row::new(header).style(theme.header))
        .column_spacing(1)
        .row_highlight_style(theme.selected);
    let mut table_state = TableState::default().with_selected(Some(selected_line));
    frame.render_stateful_widget(table, body, &mut table_state);
    let first_visible = table_state.offset();
    let visible = usize::from(body.height.saturating_sub(1));
    for (line, text) in groups {
        if line >= first_visible && line < first_visible + visible {
            let y = body.y + 1 + (line - first_visible) as u16;
            frame.render_widget(Paragraph::new(text), Rect { x: body.x, y, width: body.width, height: 1 });
        }
    }
}

/// `▸ PATEL, ALICE  (12 open, 3 delinquent, suspension eligible)`.
fn group_line(
    first: &QueueRow,
    standing: Option<&crate::store::PhysicianStanding>,
    today: NaiveDate,
    folded: bool,
    theme: &Theme,
) -> Line<'static> {
    let detail = match standing {
        Some(s) => {
            let on_leave = s.leave.iter().any(|(from, to)| *from <= today && today <= *to);
            let state = match (s.suspended_since, on_leave, s.delinquent > 0) {
                (Some(_), _, _) => ", suspended",
                (None, true, _) => ", on leave",
                (None, false, true) => ", suspension eligible",
                (None, false, false) => "",
            };
            format!("  ({} open, {} delinquent{state})", s.open, s.delinquent)
        }
        None => String::new(),
    };
    let marker = if folded { theme.glyph("▸", ">") } else { theme.glyph("▾", "v") };
    Line::from(vec![
        Span::styled(format!(" {marker} {}", clean(&first.physician)), theme.header),
        Span::styled(detail, if standing.is_some_and(|s| s.delinquent > 0) { theme.danger } else { theme.muted }),
    ])
}

fn item_row<'a>(
    i: usize,
    r: &QueueRow,
    state: &QueueState,
    today: NaiveDate,
    wide: bool,
    check: &'a str,
    theme: &Theme,
) -> Row<'a> {
    {
        let age = age_days(r.event_on, r.paused_days, today);
        let delinquent = r.delinquent_on <= today;
        let mark = if state.picked.contains_key(&r.id) { check } else { " " };
        let discharge =
            if wide { crate::domain::dates::us_date(r.event_on) } else { r.event_on.format("%m/%d").to_string() };
        let mut cells = vec![
            format!("{mark}{:>3}", i + 1),
            clean(&r.physician).to_string(),
            clean(&r.type_name).to_string(),
            clean(&r.mrn).to_string(),
            clean(&r.account).to_string(),
            discharge,
            format!("{}{age:>3}", if delinquent { "! " } else { "  " }),
            step_label(r.status).to_string(),
        ];
        if wide {
            cells.insert(3, clean(&r.patient).to_string());
            cells.push(r.step_due.map(crate::domain::dates::us_date).unwrap_or_default());
            cells.push(clean(&r.facility).to_string());
        }
        let row = Row::new(cells);
        if delinquent { row.style(theme.danger) } else { row }
    }
}
