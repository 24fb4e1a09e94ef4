//! The file room (screen 5, `:file-room`, `:scan`): a scan line that takes one scan after another
//! — a location's code, then the volumes to move there — with a line per scan and a running count;
//! and the file room's lists: overdue by borrower, missing, and a day's pull list in
//! terminal-digit order. Barcodes, MRNs, volume numbers, dates and days are never cut; a long
//! name gives way first.

use crate::desk::file_room::{MissingVolume, Moved, OverdueVolume};
use crate::domain::dates::us_date;
use crate::domain::file_room::{Location, MovementType, RequestStatus};
use crate::store::file_room::ChartRequestRecord;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::ellipsize;
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::collections::VecDeque;
use unicode_width::UnicodeWidthStr;

/// Scan lines kept on screen; older ones have scrolled away (the movements are in the store).
pub const SCAN_LOG: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Scan,
    Overdue,
    Missing,
    PullList,
}

impl Tab {
    pub const ALL: [Self; 4] = [Self::Scan, Self::Overdue, Self::Missing, Self::PullList];

    fn label(self) -> &'static str {
        match self {
            Self::Scan => "Scan",
            Self::Overdue => "Overdue",
            Self::Missing => "Missing",
            Self::PullList => "Pull list",
        }
    }

    pub fn next(self, step: isize) -> Self {
        let at = Self::ALL.iter().position(|t| *t == self).unwrap_or(0) as isize;
        Self::ALL[(at + step).rem_euclid(Self::ALL.len() as isize) as usize]
    }
}

/// One line of the scan log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanLine {
    /// A location scanned: the volumes after it go there.
    Target(Location),
    Moved(Box<Moved>),
    /// A scan refused: what was scanned, and why, in the clerk's words. Nothing moved.
    Refused {
        scanned: String,
        why: String,
    },
}

/// A list read from the desk, with its highlighted row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub rows: Option<Vec<T>>,
    pub selected: usize,
    /// The read the list waits for.
    pub pending: Option<u64>,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self { rows: None, selected: 0, pending: None }
    }
}

impl<T> Listed<T> {
    pub fn len(&self) -> usize {
        self.rows.as_ref().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn selected_row(&self) -> Option<&T> {
        self.rows.as_ref()?.get(self.selected)
    }

    pub fn move_selection(&mut self, delta: isize) {
        let last = self.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize).saturating_add(delta).clamp(0, last.max(0)) as usize;
    }

    pub fn set(&mut self, rows: Vec<T>) {
        self.selected = self.selected.min(rows.len().saturating_sub(1));
        self.rows = Some(rows);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRoomState {
    pub tab: Tab,
    /// The scan line has the keyboard (scan mode); Esc gives it up to the lists' keys.
    pub scanning: bool,
    /// What is typed on the scan line.
    pub input: String,
    /// Where the volumes scanned go.
    pub target: Option<Location>,
    /// The scan log, oldest first.
    pub log: VecDeque<ScanLine>,
    /// The scan the desk is working on, and those typed after it, in order.
    pub in_flight: Option<String>,
    pub queued: VecDeque<String>,
    pub scanned: usize,
    pub moved: usize,
    pub refused: usize,
    pub overdue: Listed<OverdueVolume>,
    pub missing: Listed<MissingVolume>,
    pub pull: Listed<ChartRequestRecord>,
    /// The day of the pull list.
    pub pull_on: NaiveDate,
    /// A volume moved since the lists were read: they are read again once the scans typed settle.
    pub lists_stale: bool,
}

impl FileRoomState {
    pub fn new(today: NaiveDate) -> Self {
        Self {
            tab: Tab::Scan,
            scanning: true,
            input: String::new(),
            target: None,
            log: VecDeque::new(),
            in_flight: None,
            queued: VecDeque::new(),
            scanned: 0,
            moved: 0,
            refused: 0,
            overdue: Listed::default(),
            missing: Listed::default(),
            pull: Listed::default(),
            pull_on: today,
            lists_stale: false,
        }
    }

    pub fn push_line(&mut self, line: ScanLine) {
        if self.log.len() >= SCAN_LOG {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }

    /// `5 scanned · 5 moved · 0 refused`, and the scans still waiting.
    pub fn counts(&self) -> String {
        let mut counts = format!("{} scanned · {} moved · {} refused", self.scanned, self.moved, self.refused);
        let waiting = self.queued.len() + usize::from(self.in_flight.is_some());
        if waiting > 0 {
            counts.push_str(&format!(" · {waiting} working"));
        }
        counts
    }
}

/// `Charging to CODING — Coding (loan 3 days)`: where the next volumes go, as the clerk reads it.
pub fn target_words(target: Option<&Location>) -> String {
    match target {
        None => "Scan a location first (CODING, ROI, HIMC, a ward or clinic), then its volumes.".into(),
        Some(place) if place.is_file_area() => format!("Checking in to {} — {}", place.code, place.name),
        Some(place) => {
            let loan = match place.default_loan_days {
                0 => "no due-back day".to_string(),
                1 => "loan 1 day".to_string(),
                n => format!("loan {n} days"),
            };
            format!("Charging to {} — {} ({loan})", place.code, place.name)
        }
    }
}

/// `03/06`: a due-back day on a scan line, where the year is this one or the next.
fn short_date(day: NaiveDate) -> String {
    day.format("%m/%d").to_string()
}

/// What a move did, short: `charged out, due 03/06`, `transferred from ROI, due 03/06`, `checked in`.
fn what_happened(moved: &Moved) -> String {
    let due = moved.volume.due_back_on.map(|d| format!(", due {}", short_date(d))).unwrap_or_default();
    match moved.movement {
        MovementType::Transfer => format!("transferred from {}{due}", moved.from.code),
        MovementType::ChargeOut => format!("charged out{due}"),
        MovementType::Found => format!("found, now at {}{due}", moved.volume.current.code),
        other => format!("{}{due}", other.past_tense()),
    }
}

fn clean(text: &str) -> String {
    crate::domain::text::clean(text).into_owned()
}

/// Rows of cells as aligned lines: each column as wide as its widest cell, but column `flex` (the
/// patient's name) takes only the room the others leave, and gives way with `…` first; `right`
/// columns (counts) are right-aligned. Every other cell is whole.
fn table(rows: &[Vec<String>], flex: usize, right: &[usize], width: usize) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths: Vec<usize> =
        (0..columns).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|t| t.width()).max().unwrap_or(0)).collect();
    if flex < columns {
        // One leading space, two between columns.
        let others: usize = widths.iter().enumerate().filter(|(c, _)| *c != flex).map(|(_, w)| w).sum();
        let room = width.saturating_sub(1 + others + 2 * columns.saturating_sub(1)).max(6);
        widths[flex] = widths[flex].min(room);
    }
    rows.iter()
        .map(|row| {
            let mut line = String::from(" ");
            for (c, cell) in row.iter().enumerate() {
                let w = widths[c];
                let cell = if c == flex && cell.width() > w { ellipsize(cell, w) } else { cell.clone() };
                let pad = " ".repeat(w.saturating_sub(cell.width()));
                if c > 0 {
                    line.push_str("  ");
                }
                if right.contains(&c) {
                    line.push_str(&pad);
                    line.push_str(&cell);
                } else if c + 1 < row.len() {
                    line.push_str(&cell);
                    line.push_str(&pad);
                } else {
                    line.push_str(&cell);
                }
            }
            line
        })
        .collect()
}

/// The cells of a move's line: `✓ V204511-1`, the name, `MRN 204511`, `vol 1`, what was done.
fn moved_cells(m: &Moved) -> Vec<String> {
    let v = &m.volume;
    vec![
        format!("✓ {}", v.barcode),
        clean(&v.patient_name),
        format!("MRN {}", v.mrn),
        format!("vol {}", v.volume_no),
        what_happened(m),
    ]
}

/// The scan log's lines, oldest first: moves aligned with each other, a refusal wrapped whole.
fn scan_lines(log: &VecDeque<ScanLine>, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let moves: Vec<Vec<String>> = log
        .iter()
        .filter_map(|l| match l {
            ScanLine::Moved(m) => Some(moved_cells(m)),
            _ => None,
        })
        .collect();
    let mut aligned = table(&moves, 1, &[], width).into_iter();
    let mut lines = Vec::new();
    for line in log {
        match line {
            ScanLine::Target(place) => {
                lines.push(Line::from(Span::styled(format!(" → {}", target_words(Some(place))), theme.title)))
            }
            ScanLine::Moved(_) => lines.push(Line::from(Span::styled(aligned.next().unwrap_or_default(), theme.text))),
            ScanLine::Refused { scanned, why } => {
                let text = format!("✗ {}  {}", clean(scanned), clean(why));
                for (i, part) in
                    crate::tui::widgets::chrome::wrap(&text, width.saturating_sub(2)).into_iter().enumerate()
                {
                    let lead = if i == 0 { " " } else { "   " };
                    lines.push(Line::from(Span::styled(format!("{lead}{part}"), theme.danger)));
                }
            }
        }
    }
    lines
}

fn tabs_line(state: &FileRoomState, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::styled(" File room ", theme.title)];
    for tab in Tab::ALL {
        let count = match tab {
            Tab::Scan => None,
            Tab::Overdue => state.overdue.rows.as_ref().map(Vec::len),
            Tab::Missing => state.missing.rows.as_ref().map(Vec::len),
            Tab::PullList => state.pull.rows.as_ref().map(Vec::len),
        };
        let label = match count {
            Some(n) => format!(" {} ({n}) ", tab.label()),
            None => format!(" {} ", tab.label()),
        };
        spans.push(Span::styled(label, if tab == state.tab { theme.selected } else { theme.muted }));
    }
    Line::from(spans)
}

pub fn render(frame: &mut Frame, area: Rect, state: &FileRoomState, theme: &Theme) {
    let width = usize::from(area.width);
    let mut lines = vec![tabs_line(state, theme)];
    let room = usize::from(area.height).saturating_sub(1);
    match state.tab {
        Tab::Scan => scan_tab(&mut lines, state, width, room, theme),
        Tab::Overdue => overdue_tab(&mut lines, state, width, room, theme),
        Tab::Missing => missing_tab(&mut lines, state, width, room, theme),
        Tab::PullList => pull_tab(&mut lines, state, width, room, theme),
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn scan_tab(lines: &mut Vec<Line<'static>>, state: &FileRoomState, width: usize, room: usize, theme: &Theme) {
    let target_style = if state.target.is_some() { theme.header } else { theme.muted };
    lines.push(Line::from(Span::styled(format!(" {}", target_words(state.target.as_ref())), target_style)));
    let (prompt_style, cursor) = if state.scanning { (theme.focus, "▌") } else { (theme.muted, "") };
    let input = clean(&state.input);
    let room_for_input = width.saturating_sub(8);
    // The end of a long line shows: what was typed last is what the clerk checks.
    let shown: String = {
        let skip = input.chars().count().saturating_sub(room_for_input);
        input.chars().skip(skip).collect()
    };
    lines.push(Line::from(vec![
        Span::styled(" Scan ▸ ", prompt_style),
        Span::styled(shown, theme.text),
        Span::styled(cursor, prompt_style),
    ]));
    let counts = if state.scanning { state.counts() } else { format!("{} · s to scan again", state.counts()) };
    lines.push(Line::from(Span::styled(format!(" {counts}"), theme.muted)));
    // The newest scans, newest last, as many as the screen holds.
    let log_room = room.saturating_sub(3);
    if state.log.is_empty() {
        lines.push(Line::from(Span::styled(
            " Each scan shows here: the volume, the patient, what was done — or why not.",
            theme.muted,
        )));
        return;
    }
    // Only the lines that can show are laid out: the log may hold hundreds.
    let recent: VecDeque<ScanLine> = state.log.iter().skip(state.log.len().saturating_sub(log_room)).cloned().collect();
    let all = scan_lines(&recent, width, theme);
    lines.extend(all.into_iter().rev().take(log_room).rev());
}

/// The first row to draw so that `selected` shows among `room` rows.
fn first_shown(selected: usize, room: usize) -> usize {
    if room == 0 { selected } else { selected.saturating_sub(room - 1) }
}

fn waiting_or_empty<T>(list: &Listed<T>, empty: &str, theme: &Theme) -> Option<Line<'static>> {
    match &list.rows {
        None => Some(Line::from(Span::styled(" Reading…", theme.muted))),
        Some(rows) if rows.is_empty() => Some(Line::from(Span::styled(format!(" {empty}"), theme.muted))),
        Some(_) => None,
    }
}

fn overdue_tab(lines: &mut Vec<Line<'static>>, state: &FileRoomState, width: usize, room: usize, theme: &Theme) {
    lines.push(Line::from(Span::styled(
        " Past due back, by borrower · N: a notice to each (text and PDF)",
        theme.muted,
    )));
    if let Some(line) = waiting_or_empty(&state.overdue, "Nothing is overdue.", theme) {
        lines.push(line);
        return;
    }
    let rows = state.overdue.rows.as_deref().unwrap_or_default();
    let mut cells =
        vec![["Barcode", "Patient", "MRN", "Vol", "Due back", "Days", "Borrower"].map(String::from).to_vec()];
    cells.extend(rows.iter().map(|o| {
        let v = &o.volume;
        vec![
            v.barcode.clone(),
            clean(&v.patient_name),
            v.mrn.clone(),
            v.volume_no.to_string(),
            v.due_back_on.map(us_date).unwrap_or_default(),
            o.days_overdue.to_string(),
            v.borrower.as_deref().map(clean).unwrap_or_default(),
        ]
    }));
    let mut aligned = table(&cells, 1, &[3, 5], width).into_iter();
    lines.push(Line::from(Span::styled(aligned.next().unwrap_or_default(), theme.header)));
    // Each borrower's heading before its first row.
    let mut all: Vec<(Option<usize>, Line<'static>)> = Vec::new();
    let mut last_place = None;
    for (i, (o, line)) in rows.iter().zip(aligned).enumerate() {
        let v = &o.volume;
        if last_place != Some(v.current.id) {
            last_place = Some(v.current.id);
            let count = rows.iter().filter(|r| r.volume.current.id == v.current.id).count();
            let heading = format!(" {} — {} ({count})", v.current.code, clean(&v.current.name));
            all.push((None, Line::from(Span::styled(heading, theme.title))));
        }
        let style = if i == state.overdue.selected { theme.selected } else { theme.text };
        all.push((Some(i), Line::from(Span::styled(line, style))));
    }
    push_window(lines, all, state.overdue.selected, room.saturating_sub(2));
}

/// Shows the lines around the highlighted row, as many as `room` holds.
fn push_window(lines: &mut Vec<Line<'static>>, all: Vec<(Option<usize>, Line<'static>)>, selected: usize, room: usize) {
    let at = all.iter().position(|(i, _)| *i == Some(selected)).unwrap_or(0);
    let first = first_shown(at, room);
    lines.extend(all.into_iter().skip(first).take(room).map(|(_, l)| l));
}

fn missing_tab(lines: &mut Vec<Line<'static>>, state: &FileRoomState, width: usize, room: usize, theme: &Theme) {
    lines.push(Line::from(Span::styled(" Flagged missing · a scan of one marks it found", theme.muted)));
    if let Some(line) = waiting_or_empty(&state.missing, "No volume is missing.", theme) {
        lines.push(line);
        return;
    }
    let rows = state.missing.rows.as_deref().unwrap_or_default();
    let mut cells = vec![["Barcode", "Patient", "MRN", "Vol", "Last known", "Since"].map(String::from).to_vec()];
    cells.extend(rows.iter().map(|m| {
        let v = &m.volume;
        vec![
            v.barcode.clone(),
            clean(&v.patient_name),
            v.mrn.clone(),
            v.volume_no.to_string(),
            v.current.code.clone(),
            us_date(m.last_known_since),
        ]
    }));
    let mut aligned = table(&cells, 1, &[3], width).into_iter();
    lines.push(Line::from(Span::styled(aligned.next().unwrap_or_default(), theme.header)));
    let all = aligned
        .enumerate()
        .map(|(i, line)| {
            let style = if i == state.missing.selected { theme.selected } else { theme.text };
            (Some(i), Line::from(Span::styled(line, style)))
        })
        .collect();
    push_window(lines, all, state.missing.selected, room.saturating_sub(2));
}

fn pull_tab(lines: &mut Vec<Line<'static>>, state: &FileRoomState, width: usize, room: usize, theme: &Theme) {
    lines.push(Line::from(Span::styled(
        format!(" Charts asked for {} · terminal-digit order · f fill · x not fillable", us_date(state.pull_on)),
        theme.muted,
    )));
    if let Some(line) = waiting_or_empty(&state.pull, "No chart is asked for that day.", theme) {
        lines.push(line);
        return;
    }
    let rows = state.pull.rows.as_deref().unwrap_or_default();
    let mut cells = vec![["MRN", "Patient", "For", "Status", "Volumes"].map(String::from).to_vec()];
    cells.extend(rows.iter().map(|r| {
        let volumes = match r.volumes.as_slice() {
            [] => "no paper volume".to_string(),
            [only] => format!("{} {}", only.barcode, only.status.label()),
            many => {
                let in_file =
                    many.iter().filter(|v| v.status == crate::domain::file_room::VolumeStatus::InFile).count();
                format!("{} volumes, {in_file} in file", many.len())
            }
        };
        vec![r.mrn.clone(), clean(&r.patient_name), r.for_location.code.clone(), r.status.label().to_string(), volumes]
    }));
    let mut aligned = table(&cells, 1, &[], width).into_iter();
    lines.push(Line::from(Span::styled(aligned.next().unwrap_or_default(), theme.header)));
    let all = aligned
        .zip(rows)
        .enumerate()
        .map(|(i, (line, r))| {
            let style = if i == state.pull.selected {
                theme.selected
            } else if r.status == RequestStatus::Open {
                theme.text
            } else {
                theme.muted
            };
            (Some(i), Line::from(Span::styled(line, style)))
        })
        .collect();
    push_window(lines, all, state.pull.selected, room.saturating_sub(2));
}
