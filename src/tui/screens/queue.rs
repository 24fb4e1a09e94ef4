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
use std::collections::{BTreeMap, BTreeSet};
use unicode_width::UnicodeWidthStr;

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
    /// Rows completed or voided since the list was loaded: kept in their place, shown as done,
    /// until the clerk reloads (`r`, a filter, a sort), so that row numbers stay where they were.
    pub done: BTreeSet<i64>,
    /// Rows this clerk worked here since the list was loaded (completed, reassigned, paused…): they
    /// keep their place when a read no longer lists them, until the clerk reloads.
    pub worked: BTreeSet<i64>,
    /// The selection is every item of the filter (`A`): `A` again clears it.
    pub picked_filter: bool,
    /// The read of the rows on screen after work on them, updated in place when it comes.
    pub refreshing: Option<RequestId>,
    /// The physician view's standing is being read again after a change or `r`.
    pub refreshing_physician: bool,
    /// A reload that renumbers the rows is on its way: rows cannot be named by number until it shows.
    pub reloading: bool,
    /// The signed-in clerk, to tell her own claims from others'.
    pub me: String,
}

/// Rows a bulk command names: (row number as displayed, the row), in row order, and how many
/// selected items are not among the rows loaded (selected with `A`).
pub struct Named<'a> {
    pub items: Vec<(i64, i64)>,
    pub rows: Vec<(usize, &'a QueueRow)>,
    pub unseen: usize,
}

/// `A25-000781 OP-D`: how a clerk names an item, as the desk does.
pub fn row_label(row: &QueueRow) -> String {
    format!("{} {}", clean(&row.account), clean(&row.type_code))
}

/// `row 3`, `rows 1-3`, `rows 1-3, 5, 8-9` for sorted row numbers.
pub fn row_numbers(numbers: &[usize]) -> String {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &n in numbers {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let text: Vec<String> = runs.iter().map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect();
    format!("{} {}", if numbers.len() == 1 { "row" } else { "rows" }, text.join(", "))
}

/// `rows 1-3 (A25-000781 DS-D, A25-000782 OP-S, A25-000790 OP-S and 5 more)`.
pub fn name_rows(rows: &[(usize, &QueueRow)]) -> String {
    let numbers: Vec<usize> = rows.iter().map(|(n, _)| *n).collect();
    let mut labels = rows.iter().take(3).map(|(_, r)| row_label(r)).collect::<Vec<_>>().join(", ");
    if rows.len() > 3 {
        labels.push_str(&format!(" and {} more", rows.len() - 3));
    }
    format!("{} ({labels})", row_numbers(&numbers))
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
            self.done.clear();
            self.worked.clear();
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
        self.picked_filter = false;
        if let Some(row) = self.rows.get(self.selected)
            && !self.done.contains(&row.id)
            && self.picked.remove(&row.id).is_none()
        {
            self.picked.insert(row.id, row.version);
        }
    }

    pub fn pick_all_loaded(&mut self) {
        self.picked_filter = false;
        let open: Vec<&QueueRow> = self.rows.iter().filter(|r| !self.done.contains(&r.id)).collect();
        if self.picked.len() == open.len() {
            self.picked.clear();
        } else {
            self.picked = open.iter().map(|r| (r.id, r.version)).collect();
        }
    }

    /// Items just closed keep their row, marked with their new step.
    pub fn mark_done(&mut self, ids: &[i64], status: DeficiencyStatus) {
        for row in self.rows.iter_mut().filter(|r| ids.contains(&r.id)) {
            row.status = status;
            self.done.insert(row.id);
            self.picked.remove(&row.id);
        }
    }

    /// The rows on screen updated from a fresh read of the same filter and sort (its first rows,
    /// as many as are loaded and a page more), each where it stands: a row the read still lists
    /// takes its new values in its place; a row closed or worked here stays (shown done, or as it
    /// was) so that the clerk's own work renumbers nothing; any other row the read no longer lists
    /// is gone (another clerk closed it or moved it out of the filter); an item new to the rows
    /// shown comes in after the row it follows in the read. The highlight stays on its item, or
    /// goes to the nearest row left when the item went; the selection keeps the items still here.
    /// Returns whether anything on screen changed.
    pub fn refresh(&mut self, fresh: crate::store::QueuePage) -> bool {
        use std::collections::{HashMap, HashSet};
        let read_len = fresh.rows.len();
        let position: HashMap<i64, usize> = fresh.rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let shown: HashSet<i64> = self.rows.iter().map(|r| r.id).collect();
        // The part of the read that covers the rows shown: up to the last of them it still lists,
        // and at least as many rows as were open on screen (rows gone are made up from below).
        let open_shown = self.rows.iter().filter(|r| !self.done.contains(&r.id)).count();
        let last_listed = self.rows.iter().filter_map(|r| position.get(&r.id)).max().map_or(0, |i| i + 1);
        let covered = last_listed.max(open_shown.min(read_len));
        let mut fresh_rows: Vec<Option<QueueRow>> = fresh.rows.into_iter().map(Some).collect();
        // Items new to the screen, after the row shown that precedes them in the read (None: first).
        let mut arriving: HashMap<Option<i64>, Vec<QueueRow>> = HashMap::new();
        let mut after = None;
        for slot in fresh_rows.iter_mut().take(covered) {
            let Some(id) = slot.as_ref().map(|r| r.id) else { continue };
            if shown.contains(&id) {
                after = Some(id);
            } else if let Some(row) = slot.take() {
                arriving.entry(after).or_default().push(row);
            }
        }
        let mut rows = arriving.remove(&None).unwrap_or_default();
        for row in &self.rows {
            let listed = position.get(&row.id).and_then(|i| fresh_rows[*i].take());
            match listed {
                _ if self.done.contains(&row.id) => rows.push(row.clone()),
                Some(now) => rows.push(now),
                None if self.worked.contains(&row.id) => rows.push(row.clone()),
                None => {}
            }
            rows.extend(arriving.remove(&Some(row.id)).unwrap_or_default());
        }
        let has_more = fresh.has_more || read_len > covered;

        let selected = self.nearest_left(&rows);
        let here: HashSet<i64> = rows.iter().map(|r| r.id).collect();
        // Items selected that were on screen and are gone now; those selected unseen (`A`) stay.
        let picked_before = self.picked.len();
        self.picked.retain(|id, _| here.contains(id) || !shown.contains(id));
        let changed = rows != self.rows
            || selected != self.selected
            || has_more != self.has_more
            || self.picked.len() != picked_before;
        self.rows = rows;
        self.selected = selected;
        self.has_more = has_more;
        changed
    }

    /// Where the highlight goes in `rows`: its item, or else the nearest that stayed — the next
    /// row below it, or the one above when none below did.
    fn nearest_left(&self, rows: &[QueueRow]) -> usize {
        let at: std::collections::HashMap<i64, usize> = rows.iter().enumerate().map(|(i, r)| (r.id, i)).collect();
        let below = self.rows.iter().skip(self.selected);
        let above = self.rows.iter().take(self.selected).rev();
        below.chain(above).find_map(|r| at.get(&r.id).copied()).unwrap_or(0)
    }

    /// The rows a bulk command names: by number as displayed (1-based), or the selected ones.
    /// Numbers past the list and rows already closed here are refused.
    pub fn named(&self, numbers: Option<&[usize]>) -> Result<Named<'_>, String> {
        let mut rows: Vec<(usize, &QueueRow)> = Vec::new();
        let mut items = Vec::new();
        let mut unseen = 0;
        match numbers {
            None if self.picked.is_empty() => return Err("select rows with Space, or name them: :QC=1-3".into()),
            None => {
                for (id, version) in &self.picked {
                    items.push((*id, *version));
                    match self.rows.iter().position(|r| r.id == *id) {
                        Some(i) => rows.push((i + 1, &self.rows[i])),
                        None => unseen += 1,
                    }
                }
                rows.sort_by_key(|(n, _)| *n);
            }
            Some(numbers) => {
                let mut numbers = numbers.to_vec();
                numbers.sort_unstable();
                numbers.dedup();
                let missing: Vec<usize> = numbers.iter().copied().filter(|n| *n == 0 || *n > self.rows.len()).collect();
                if !missing.is_empty() {
                    let listed = self.rows.len();
                    return Err(format!(
                        "there is no {} on screen ({listed} listed)",
                        row_numbers(&missing).replace("rows", "row")
                    ));
                }
                for n in numbers {
                    let row = &self.rows[n - 1];
                    items.push((row.id, row.version));
                    rows.push((n, row));
                }
            }
        }
        let closed: Vec<(usize, &QueueRow)> = rows.iter().copied().filter(|(_, r)| self.done.contains(&r.id)).collect();
        if let Some((_, first)) = closed.first() {
            return Err(format!(
                "{}: already {} here; r reloads the list",
                name_rows(&closed),
                first.status.code().to_ascii_lowercase()
            ));
        }
        Ok(Named { items, rows, unseen })
    }

    pub fn describe_filter(&self) -> String {
        let mut parts = vec!["open".to_string()];
        if let Some(p) = &self.physician {
            parts[0] = clean(&p.name).to_string();
        }
        if let Some(mrn) = &self.filter.mrn {
            parts.push(format!("MRN {mrn}"));
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
        match &self.filter.claimed {
            Some(crate::store::ClaimFilter::By(who)) if *who == self.me => parts.push("taken by you".into()),
            Some(crate::store::ClaimFilter::By(who)) => parts.push(format!("taken by {}", clean(who))),
            Some(crate::store::ClaimFilter::Unclaimed) => parts.push("taken by nobody".into()),
            None => {}
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
    // What narrows the list and how it is sorted is never cut: it is written into the rule under
    // the band (where `b`, `d` and `s` are seen to change it), going on over more lines when long.
    let described = clean(&state.describe_filter()).into_owned();
    let mut described = super::super::widgets::chrome::wrap(&described, usize::from(area.width.saturating_sub(4)));
    let on_rule = described.pop().unwrap_or_default();
    let [band, above_rule, rule, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(described.len() as u16),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    let right = match (&state.physician, &state.counts) {
        (Some(p), _) => {
            use crate::domain::dates::us_date;
            let current = p.leave.iter().find(|(from, to)| *from <= today && today <= *to);
            let next = p.leave.iter().filter(|(from, _)| *from > today).map(|(from, _)| *from).min();
            let mut standing = match (p.suspended_since, current, p.delinquent > 0) {
                (Some(since), _, _) => format!("suspended since {}", us_date(since)),
                (None, Some((_, to)), _) => format!("on leave to {}", us_date(*to)),
                (None, None, true) => "suspension eligible".to_string(),
                (None, None, false) => "in good standing".to_string(),
            };
            // Leave recorded ahead is part of the physician's standing a clerk plans around.
            if let (None, Some(from)) = (current, next) {
                standing.push_str(&format!(" · leave from {}", us_date(from)));
            }
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
    let title = " Deficiencies";
    let picked = if state.picked.is_empty() { String::new() } else { format!("  {} selected", state.picked.len()) };
    let fixed = title.width() + picked.width();
    let right_width = right.iter().map(|s| s.width()).sum::<usize>().min(usize::from(band.width).saturating_sub(fixed));
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width as u16)]).areas(band);
    frame.render_widget(
        Paragraph::new(Line::from(vec![Span::styled(title, theme.header), Span::raw(picked)])),
        left_area,
    );
    frame.render_widget(Paragraph::new(Line::from(right)).right_aligned(), right_area);
    super::super::widgets::chrome::described_rule(frame, above_rule, rule, described, &on_rule, theme);

    if let Some(error) = &state.error {
        frame.render_widget(Paragraph::new(format!(" {}", clean(error))).style(theme.warning), body);
        return;
    }
    if state.rows.is_empty() {
        let text = if state.loaded { " No deficiencies match." } else { " Loading the queue…" };
        frame.render_widget(Paragraph::new(text).style(theme.muted), body);
        return;
    }
    let wide = body.width >= 110;
    let columns = Columns::measure(state, today, body.width, wide);
    let widths: Vec<Constraint> = columns.widths().into_iter().map(Constraint::Length).collect();
    let header = columns.header();
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
        table_rows.push(item_row(i, r, state, today, &columns, check, theme));
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
    columns: &Columns,
    check: &'a str,
    theme: &Theme,
) -> Row<'a> {
    let done = state.done.contains(&r.id);
    let age = age_days(r.event_on, r.paused_days, today);
    let delinquent = !done && r.delinquent_on <= today;
    let mark = if state.picked.contains_key(&r.id) { check } else { " " };
    // Who works it, in one character beside the number: at 80 columns there is no room for a
    // name, and a mark never pushes the MRN or the age off.
    let held = match r.claim.as_ref().filter(|_| !done) {
        Some(claim) if claim.holder == state.me => theme.glyph("●", "+"),
        Some(_) => theme.glyph("○", "-"),
        None => " ",
    };
    let c = columns;
    let mut cells = vec![
        format!("{mark}{held}{:>w$}", i + 1, w = usize::from(c.number) - 2),
        fit(&r.physician, usize::from(c.physician), theme),
    ];
    if c.wide {
        cells.push(fit(&r.type_name, usize::from(c.deficiency), theme));
    } else {
        cells.push(clean(&r.type_code).to_string());
    }
    cells.extend([
        fit(&r.patient, usize::from(c.patient), theme),
        clean(&r.mrn).to_string(),
        clean(&r.account).to_string(),
        discharge(r.event_on, c.wide),
        format!("{}{age:>w$}", if delinquent { "! " } else { "  " }, w = usize::from(c.age) - 2),
        step_label(r.status).to_string(),
    ]);
    if c.wide {
        cells.push(r.step_due.map(crate::domain::dates::us_date).unwrap_or_default());
        cells.push(clean(&r.facility).to_string());
    }
    if c.holder > 0 {
        cells.push(
            r.claim.as_ref().filter(|_| !done).map(|claim| clean(&claim.holder).into_owned()).unwrap_or_default(),
        );
    }
    let row = Row::new(cells);
    if done {
        row.style(theme.muted)
    } else if delinquent {
        row.style(theme.danger)
    } else {
        row
    }
}

/// The discharge with its year: at 80 columns `01/06/17`, wide `01/06/2017`.
fn discharge(date: NaiveDate, wide: bool) -> String {
    if wide { crate::domain::dates::us_date(date) } else { date.format("%m/%d/%y").to_string() }
}

/// `text` whole when it fits in `width` columns, else as much as fits and a mark that it was cut.
pub(crate) fn fit(text: &str, width: usize, theme: &Theme) -> String {
    let text = clean(text);
    if text.width() <= width {
        return text.into_owned();
    }
    let mark = theme.glyph("…", "~");
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + c.to_string().width() + mark.width() > width {
            break;
        }
        out.push(c);
    }
    out.push_str(mark);
    out
}

/// The queue's column widths, from the longest value on the page: numbers, accounts and dates
/// are never cut; the names share what is left, and a long one gives way.
#[derive(Debug, Clone, Copy)]
struct Columns {
    wide: bool,
    number: u16,
    physician: u16,
    deficiency: u16,
    patient: u16,
    mrn: u16,
    account: u16,
    discharge: u16,
    age: u16,
    facility: u16,
    holder: u16,
}

const STEP: u16 = 4;
const STEP_DUE: u16 = 10;

impl Columns {
    fn measure(state: &QueueState, today: NaiveDate, width: u16, wide: bool) -> Self {
        let longest = |label: &str, values: &mut dyn Iterator<Item = usize>| {
            values.max().unwrap_or(0).max(label.width()).min(usize::from(u16::MAX)) as u16
        };
        let rows = &state.rows;
        // A selection mark, a holder's mark, then the number.
        let number = 2 + longest(" #", &mut std::iter::once((rows.len().max(1)).to_string().len()));
        let mrn = longest("MRN", &mut rows.iter().map(|r| clean(&r.mrn).width()));
        let account = longest("ACCOUNT", &mut rows.iter().map(|r| clean(&r.account).width()));
        let discharge = if wide { 10 } else { 8 };
        let age =
            2 + longest("AGE", &mut rows.iter().map(|r| age_days(r.event_on, r.paused_days, today).to_string().len()));
        let facility = if wide { longest("FAC", &mut rows.iter().map(|r| clean(&r.facility).width())) } else { 0 };
        // Only when someone has taken a row of the page: at 120 columns the longest type names
        // have three columns to spare, and a queue nobody has taken keeps them whole.
        let holders = rows.iter().filter_map(|r| r.claim.as_ref());
        let holder = match wide && rows.iter().any(|r| r.claim.is_some()) {
            true => longest("TAKEN BY", &mut holders.map(|c| clean(&c.holder).width())),
            false => 0,
        };
        let code = longest("TYPE", &mut rows.iter().map(|r| clean(&r.type_code).width()));
        let needs =
            |f: fn(&QueueRow) -> &str, label: &str| longest(label, &mut rows.iter().map(|r| clean(f(r)).width()));
        let physician = needs(|r| &r.physician, "PHYSICIAN");
        let patient = needs(|r| &r.patient, "PATIENT");
        let mut columns =
            Self { wide, number, physician, deficiency: code, patient, mrn, account, discharge, age, facility, holder };
        let fixed =
            columns.widths().iter().sum::<u16>() - physician - patient - if wide { code } else { 0 } + columns.gaps();
        let room = width.saturating_sub(fixed);
        if wide {
            let name = needs(|r| &r.type_name, "DEFICIENCY");
            let [p, d, t] = share(room, [physician, name, patient], 1);
            (columns.physician, columns.deficiency, columns.patient) = (p, d, t);
        } else {
            let [p, t] = share(room, [physician, patient], 1);
            (columns.physician, columns.patient) = (p, t);
        }
        columns
    }

    fn gaps(&self) -> u16 {
        self.widths().len() as u16 - 1
    }

    /// In display order: #, physician, deficiency, patient, MRN, account, discharge, age, step
    /// (and wide: step due, facility, and who has taken each row when someone has).
    fn widths(&self) -> Vec<u16> {
        let mut widths = vec![
            self.number,
            self.physician,
            self.deficiency,
            self.patient,
            self.mrn,
            self.account,
            self.discharge,
            self.age,
            STEP,
        ];
        if self.wide {
            widths.extend([STEP_DUE, self.facility]);
        }
        if self.holder > 0 {
            widths.push(self.holder);
        }
        widths
    }

    fn header(&self) -> Vec<String> {
        let mut header = vec![
            "  #".to_string(),
            "PHYSICIAN".into(),
            if self.wide { "DEFICIENCY" } else { "TYPE" }.into(),
            "PATIENT".into(),
            "MRN".into(),
            "ACCOUNT".into(),
            "DISCH".into(),
            format!("{:>w$}", "AGE", w = usize::from(self.age)),
            "ST".into(),
        ];
        if self.wide {
            header.extend(["STEP DUE".to_string(), "FAC".into()]);
        }
        if self.holder > 0 {
            header.push("TAKEN BY".into());
        }
        header
    }
}

/// Shares `room` among columns that need `needs`: the smaller needs are met whole first, the
/// larger share what is left evenly; room to spare goes to column `spare`.
pub(crate) fn share<const N: usize>(room: u16, needs: [u16; N], spare: usize) -> [u16; N] {
    let mut order: Vec<usize> = (0..N).collect();
    order.sort_by_key(|i| needs[*i]);
    let mut widths = [0; N];
    let mut left = room;
    for (k, i) in order.into_iter().enumerate() {
        let even = left / (N - k) as u16;
        widths[i] = needs[i].min(even);
        left -= widths[i];
    }
    widths[spare] += left;
    widths
}
