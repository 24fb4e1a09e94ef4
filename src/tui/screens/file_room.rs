//! The file room (screen 5, `:file-room`, `:scan`): a scan line that takes one scan after another
//! — a location's code, then the volumes to move there — with a line per scan and a running count;
//! and the file room's lists: overdue by borrower, missing, and a day's pull list in
//! terminal-digit order. Barcodes, MRNs, volume numbers, dates and days are never cut; a long
//! name gives way first.

use crate::desk::file_room::{Moved, OverdueVolume};
use crate::domain::dates::us_date;
use crate::domain::file_room::{Location, MovementType, RequestStatus};
use crate::store::file_room::{ChartRequestRecord, VolumeRecord};
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
    pub missing: Listed<VolumeRecord>,
    pub pull: Listed<ChartRequestRecord>,
    /// The day of the pull list.
    pub pull_on: NaiveDate,
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
        None => "Scan a location first (CODING, ROI, HIMC, a ward or clinic code), then the volumes.".into(),
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

/// One row of fixed columns and a name that takes what room is left (at least a few letters):
/// `lead`, the name, then `tail`, each whole but the name.
fn row_with_name(lead: &str, name: &str, tail: &str, width: usize) -> String {
    let room = width.saturating_sub(lead.width() + tail.width()).max(4);
    let name = clean(name);
    let name = if name.width() > room { ellipsize(&name, room) } else { format!("{name:<room$}") };
    format!("{lead}{name}{tail}")
}

/// A scan line: `✓ V204511-1  GARCIA, MARIA L  MRN 204511  vol 1  charged out, due 03/06`.
fn scan_line(line: &ScanLine, width: usize, theme: &Theme) -> Line<'static> {
    match line {
        ScanLine::Target(place) => Line::from(Span::styled(format!(" → {}", target_words(Some(place))), theme.title)),
        ScanLine::Moved(m) => {
            let v = &m.volume;
            let lead = format!(" ✓ {}  ", v.barcode);
            let tail = format!("  MRN {}  vol {}  {}", v.mrn, v.volume_no, what_happened(m));
            Line::from(Span::styled(row_with_name(&lead, &v.patient_name, &tail, width), theme.text))
        }
        ScanLine::Refused { scanned, why } => {
            Line::from(Span::styled(format!(" ✗ {}  {}", clean(scanned), clean(why)), theme.danger))
        }
    }
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
    let skip = state.log.len().saturating_sub(log_room);
    lines.extend(state.log.iter().skip(skip).map(|l| scan_line(l, width, theme)));
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
        " Past due back, by borrower · N writes a notice to each (text and PDF, with the letters)",
        theme.muted,
    )));
    if let Some(line) = waiting_or_empty(&state.overdue, "Nothing is overdue.", theme) {
        lines.push(line);
        return;
    }
    let rows = state.overdue.rows.as_deref().unwrap_or_default();
    // Each borrower's heading before its first row: the lines, then which of them to show.
    let mut all: Vec<(Option<usize>, Line<'static>)> = Vec::new();
    let mut last_place = None;
    for (i, o) in rows.iter().enumerate() {
        let v = &o.volume;
        if last_place != Some(v.current.id) {
            last_place = Some(v.current.id);
            let count = rows.iter().filter(|r| r.volume.current.id == v.current.id).count();
            let heading = format!(" {} — {} ({count})", v.current.code, clean(&v.current.name));
            all.push((None, Line::from(Span::styled(heading, theme.header))));
        }
        let due = v.due_back_on.map(us_date).unwrap_or_default();
        let lead = format!("   {:<12} ", v.barcode);
        let who = v.borrower.as_deref().map(|b| format!("  {}", clean(b))).unwrap_or_default();
        let tail = format!("  MRN {:<8} vol {:<2} due {due}  {:>3} d{who}", v.mrn, v.volume_no, o.days_overdue);
        let style = if i == state.overdue.selected { theme.selected } else { theme.text };
        all.push((Some(i), Line::from(Span::styled(row_with_name(&lead, &v.patient_name, &tail, width), style))));
    }
    push_window(lines, all, state.overdue.selected, room.saturating_sub(1));
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
    let all = rows
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let lead = format!(" {:<12} ", v.barcode);
            let tail = format!("  MRN {:<8} vol {:<2} home {}", v.mrn, v.volume_no, v.home.code);
            let style = if i == state.missing.selected { theme.selected } else { theme.text };
            (Some(i), Line::from(Span::styled(row_with_name(&lead, &v.patient_name, &tail, width), style)))
        })
        .collect();
    push_window(lines, all, state.missing.selected, room.saturating_sub(1));
}

fn pull_tab(lines: &mut Vec<Line<'static>>, state: &FileRoomState, width: usize, room: usize, theme: &Theme) {
    lines.push(Line::from(Span::styled(
        format!(" Charts asked for {} · terminal-digit order · f filled · x not fillable", us_date(state.pull_on)),
        theme.muted,
    )));
    if let Some(line) = waiting_or_empty(&state.pull, "No chart is asked for that day.", theme) {
        lines.push(line);
        return;
    }
    let rows = state.pull.rows.as_deref().unwrap_or_default();
    let all = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let status = match r.status {
                RequestStatus::Open => "open".to_string(),
                other => other.label().to_string(),
            };
            let volumes = match r.volumes.as_slice() {
                [] => "no volume".to_string(),
                [only] => format!("{} {}", only.barcode, only.status.label()),
                many => format!("{} volumes", many.len()),
            };
            let lead = format!(" {:<8} ", r.mrn);
            let tail = format!("  → {:<6} {:<12} {volumes}", r.for_location.code, status);
            let style = if i == state.pull.selected {
                theme.selected
            } else if r.status == RequestStatus::Open {
                theme.text
            } else {
                theme.muted
            };
            (Some(i), Line::from(Span::styled(row_with_name(&lead, &r.patient_name, &tail, width), style)))
        })
        .collect();
    push_window(lines, all, state.pull.selected, room.saturating_sub(1));
}
