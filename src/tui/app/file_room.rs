//! The file room's side of the model (screen 5, `:file-room`, `:scan`): the scan line, whose scans
//! go to the desk one at a time in the order typed — a scanner types faster than a scan is
//! written, and a volume scanned after a location must go where that location said — and the
//! lists, each read off the render path.

use super::*;
use crate::desk::file_room::{MissingVolume, OverdueVolume, Scanned};
use crate::domain::file_room::{Location, RequestStatus};
use crate::domain::role::{Permission, allows};
use crate::store::file_room::ChartRequestRecord;
use crate::tui::screens::file_room::{FileRoomState, ScanLine, Tab};
use chrono::NaiveDate;

/// Characters a scan line holds: a barcode or a location's code, never a paragraph.
const MAX_SCAN: usize = 40;

/// Work for the desk from the file room and its links. Each answer comes back as a
/// [`FileRoomMsg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRoomCommand {
    /// One scan, to move to `at` (or to become the place the next scans go).
    Scan {
        at: Option<Location>,
        text: String,
    },
    LoadOverdue {
        id: RequestId,
    },
    LoadMissing {
        id: RequestId,
    },
    LoadPullList {
        id: RequestId,
        on: NaiveDate,
    },
    /// Fill a chart request: its volumes in file are charged out to the requester.
    Fill {
        request_id: i64,
    },
    NotFillable {
        request_id: i64,
        reason: String,
    },
    /// An overdue notice to each borrower, with the letters.
    WriteNotices,
    /// Ask for a patient's paper chart at the first location of `kind` (`HIM_COMPLETION`, `ROI`).
    RequestChart {
        patient_id: i64,
        kind: &'static str,
        reason: String,
    },
}

/// The desk's answers to [`FileRoomCommand`]s.
#[derive(Debug)]
pub enum FileRoomMsg {
    Scanned {
        text: String,
        result: Result<Scanned, String>,
    },
    OverdueLoaded {
        id: RequestId,
        result: Result<Vec<OverdueVolume>, String>,
    },
    MissingLoaded {
        id: RequestId,
        result: Result<Vec<MissingVolume>, String>,
    },
    PullListLoaded {
        id: RequestId,
        result: Result<Vec<ChartRequestRecord>, String>,
    },
    /// A request filled or marked not fillable: the clerk's words for it.
    Resolved(Result<String, String>),
    NoticesWritten(Result<Vec<std::path::PathBuf>, String>),
    /// A paper chart asked for from another desk.
    ChartRequested(Result<ChartRequestRecord, String>),
}

impl App {
    /// Opens the file room; `scan` puts the keyboard on the scan line (`:scan`, and the first
    /// visit).
    pub(super) fn open_file_room(&mut self, scan: bool) -> Vec<Command> {
        if !allows(&self.header.roles, Permission::TrackPaperCharts)
            && !allows(&self.header.roles, Permission::ViewReports)
        {
            self.toast = Some(format!(
                "you ({}) may not work the file room: that needs {}",
                crate::domain::text::clean(&self.header.username),
                Permission::TrackPaperCharts.roles_needed()
            ));
            return Vec::new();
        }
        let mut commands = self.flush_search_audit();
        if self.screen != Screen::FileRoom {
            self.file_room_return = self.screen;
        }
        let today = self.today;
        let first = self.file_room.is_none();
        let state = self.file_room.get_or_insert_with(|| FileRoomState::new(today));
        if scan || first {
            state.tab = Tab::Scan;
            state.scanning = true;
        }
        self.screen = Screen::FileRoom;
        commands.push(Command::LoadInfo);
        // A list left on screen and changed since (a scan, a chart asked for) is read again.
        commands.extend(self.load_file_room_tab(false));
        commands
    }

    /// A key typed on the scan line: text, or `:` on an empty line for the palette.
    pub(super) fn on_scan_text(&mut self, key: KeyEvent) -> Vec<Command> {
        use crossterm::event::KeyCode;
        let Some(state) = self.file_room.as_mut() else { return Vec::new() };
        match key.code {
            KeyCode::Char(':') if state.input.is_empty() => return self.open_palette(""),
            KeyCode::Char(c) if is_typing(&key) => {
                if state.input.chars().count() < MAX_SCAN {
                    state.input.push(c);
                }
            }
            KeyCode::Backspace => {
                state.input.pop();
            }
            _ => self.dirty = false,
        }
        Vec::new()
    }

    /// Enter on the scan line: the scan goes to the desk, or waits its turn behind the one there.
    fn take_scan(&mut self) -> Vec<Command> {
        let Some(state) = self.file_room.as_mut() else { return Vec::new() };
        let text = std::mem::take(&mut state.input).trim().to_string();
        if text.is_empty() {
            self.dirty = false;
            return Vec::new();
        }
        if state.in_flight.is_some() {
            state.queued.push_back(text);
            return Vec::new();
        }
        state.in_flight = Some(text.clone());
        vec![Command::FileRoom(FileRoomCommand::Scan { at: state.target.clone(), text })]
    }

    fn on_scanned(&mut self, text: String, result: Result<Scanned, String>) -> Vec<Command> {
        let Some(state) = self.file_room.as_mut() else { return Vec::new() };
        state.in_flight = None;
        match result {
            Ok(Scanned::Location(place)) => {
                state.target = Some(place.clone());
                state.push_line(ScanLine::Target(place));
            }
            Ok(Scanned::Moved(moved)) => {
                state.scanned += 1;
                state.moved += 1;
                state.push_line(ScanLine::Moved(moved));
                // The lists no longer say what is where; they keep their rows (and the tabs their
                // counts) until read again, once the scans typed meanwhile are done.
                state.lists_stale = true;
            }
            Err(why) => {
                state.scanned += 1;
                state.refused += 1;
                state.push_line(ScanLine::Refused { scanned: text, why });
            }
        }
        // The next scan typed meanwhile, to the place as it now is.
        match state.queued.pop_front() {
            Some(next) => {
                state.in_flight = Some(next.clone());
                vec![Command::FileRoom(FileRoomCommand::Scan { at: state.target.clone(), text: next })]
            }
            None if state.lists_stale => {
                state.lists_stale = false;
                self.reread_file_room_lists()
            }
            None => Vec::new(),
        }
    }

    /// Reads again each list already read (or being read), so that its tab's count follows the
    /// moves; a list never opened stays unread.
    fn reread_file_room_lists(&mut self) -> Vec<Command> {
        let ids = [self.next_request(), self.next_request(), self.next_request()];
        let Some(state) = self.file_room.as_mut() else { return Vec::new() };
        let mut commands = Vec::new();
        if state.overdue.rows.is_some() || state.overdue.pending.is_some() {
            state.overdue.pending = Some(ids[0]);
            commands.push(Command::FileRoom(FileRoomCommand::LoadOverdue { id: ids[0] }));
        }
        if state.missing.rows.is_some() || state.missing.pending.is_some() {
            state.missing.pending = Some(ids[1]);
            commands.push(Command::FileRoom(FileRoomCommand::LoadMissing { id: ids[1] }));
        }
        if state.pull.rows.is_some() || state.pull.pending.is_some() {
            state.pull.pending = Some(ids[2]);
            commands.push(Command::FileRoom(FileRoomCommand::LoadPullList { id: ids[2], on: state.pull_on }));
        }
        commands
    }

    pub(super) fn on_scan_action(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::TakeScan => self.take_scan(),
            Action::Back => {
                if let Some(state) = self.file_room.as_mut() {
                    state.scanning = false;
                }
                Vec::new()
            }
            Action::NextTab => self.file_room_tab(1),
            Action::PrevTab => self.file_room_tab(-1),
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    fn file_room_tab(&mut self, step: isize) -> Vec<Command> {
        let Some(state) = self.file_room.as_mut() else { return Vec::new() };
        state.tab = state.tab.next(step);
        state.scanning = state.tab == Tab::Scan;
        self.load_file_room_tab(false)
    }

    /// Reads the list on screen when it has not been read (or `again`).
    fn load_file_room_tab(&mut self, again: bool) -> Vec<Command> {
        let id = self.next_request();
        let Some(state) = self.file_room.as_mut() else { return Vec::new() };
        let command = match state.tab {
            Tab::Scan => return Vec::new(),
            Tab::Overdue if again || (state.overdue.rows.is_none() && state.overdue.pending.is_none()) => {
                state.overdue.pending = Some(id);
                FileRoomCommand::LoadOverdue { id }
            }
            Tab::Missing if again || (state.missing.rows.is_none() && state.missing.pending.is_none()) => {
                state.missing.pending = Some(id);
                FileRoomCommand::LoadMissing { id }
            }
            Tab::PullList if again || (state.pull.rows.is_none() && state.pull.pending.is_none()) => {
                state.pull.pending = Some(id);
                FileRoomCommand::LoadPullList { id, on: state.pull_on }
            }
            _ => return Vec::new(),
        };
        vec![Command::FileRoom(command)]
    }

    pub(super) fn on_file_room_action(&mut self, action: Action) -> Vec<Command> {
        let Some(state) = self.file_room.as_mut() else {
            self.screen = Screen::Lookup;
            return Vec::new();
        };
        let page = (usize::from(self.size.1.saturating_sub(8))).max(1) as isize;
        let delta = match action {
            Action::NextRow => Some(1),
            Action::PrevRow => Some(-1),
            Action::NextPage => Some(page),
            Action::PrevPage => Some(-page),
            Action::FirstRow => Some(isize::MIN / 2),
            Action::LastRow => Some(isize::MAX / 2),
            _ => None,
        };
        if let Some(delta) = delta {
            match state.tab {
                Tab::Overdue => state.overdue.move_selection(delta),
                Tab::Missing => state.missing.move_selection(delta),
                Tab::PullList => state.pull.move_selection(delta),
                Tab::Scan => self.dirty = false,
            }
            return Vec::new();
        }
        match action {
            Action::NextTab => self.file_room_tab(1),
            Action::PrevTab => self.file_room_tab(-1),
            Action::ScanMode => {
                state.tab = Tab::Scan;
                state.scanning = true;
                Vec::new()
            }
            Action::Reload => self.load_file_room_tab(true),
            Action::PullListDate => self.open_palette("pull-list "),
            Action::FillRequest => self.ask_fill(),
            Action::NotFillable => self.ask_not_fillable(None),
            Action::WriteNotices => self.write_notices(),
            Action::Back => {
                self.screen = match self.file_room_return {
                    Screen::FileRoom => Screen::Lookup,
                    other => other,
                };
                vec![Command::LoadInfo]
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// The open request highlighted on the pull list, or why there is none to work.
    fn highlighted_open_request(&mut self) -> Option<ChartRequestRecord> {
        let row = self.file_room.as_ref().filter(|s| s.tab == Tab::PullList).and_then(|s| s.pull.selected_row());
        match row {
            None => {
                self.toast = Some("Highlight a chart on the pull list (Tab to it) first.".into());
                None
            }
            Some(r) if r.status != RequestStatus::Open => {
                self.toast = Some(format!("MRN {}'s request is already {}.", r.mrn, r.status.label()));
                None
            }
            Some(r) => Some(r.clone()),
        }
    }

    fn may_file_room(&mut self, what: &str) -> bool {
        if allows(&self.header.roles, Permission::TrackPaperCharts) {
            return true;
        }
        self.toast = Some(format!(
            "you ({}) may not {what}: that needs {}",
            crate::domain::text::clean(&self.header.username),
            Permission::TrackPaperCharts.roles_needed()
        ));
        false
    }

    /// `f`: asked y/N naming the chart, then filled.
    fn ask_fill(&mut self) -> Vec<Command> {
        if !self.may_file_room("fill chart requests") {
            return Vec::new();
        }
        let Some(request) = self.highlighted_open_request() else { return Vec::new() };
        // The desk's own refusal, before the question rather than after the yes.
        if let Some(refusal) = crate::desk::file_room::fill_refusal(&request) {
            self.toast = Some(refusal);
            return Vec::new();
        }
        let prompt = format!(
            "Fill the request for {} (MRN {}): charge its volumes in file out to {}? (y/N)",
            crate::domain::text::clean(&request.patient_name),
            request.mrn,
            request.for_location.code
        );
        self.overlay = Some(Overlay::Confirm {
            prompt,
            command: Command::FileRoom(FileRoomCommand::Fill { request_id: request.id }),
        });
        Vec::new()
    }

    /// `x` opens the palette for the reason; `:not-fillable why` asks y/N naming the chart.
    pub(super) fn ask_not_fillable(&mut self, reason: Option<String>) -> Vec<Command> {
        if !self.may_file_room("mark chart requests not fillable") {
            return Vec::new();
        }
        let Some(request) = self.highlighted_open_request() else { return Vec::new() };
        let Some(reason) = reason.filter(|r| !r.trim().is_empty()) else {
            return self.open_palette("not-fillable ");
        };
        let prompt = format!(
            "Mark the request for {} (MRN {}) not fillable: {}? (y/N)",
            crate::domain::text::clean(&request.patient_name),
            request.mrn,
            crate::domain::text::clean(&reason)
        );
        self.overlay = Some(Overlay::Confirm {
            prompt,
            command: Command::FileRoom(FileRoomCommand::NotFillable { request_id: request.id, reason }),
        });
        Vec::new()
    }

    /// `:pull-list DATE`: the pull list of that day.
    pub(super) fn pull_list_on(&mut self, typed: Option<String>) -> Vec<Command> {
        let on = match typed.map(|t| crate::domain::dates::parse_date(&t, self.today)).transpose() {
            Ok(on) => on.unwrap_or(self.today),
            Err(problem) => {
                self.toast = Some(format!("pull-list [DATE]: {problem}"));
                return Vec::new();
            }
        };
        let mut commands = self.open_file_room(false);
        if self.screen != Screen::FileRoom {
            return commands;
        }
        if let Some(state) = self.file_room.as_mut() {
            state.tab = Tab::PullList;
            state.scanning = false;
            state.pull_on = on;
            state.pull.selected = 0;
        }
        commands.extend(self.load_file_room_tab(true));
        commands
    }

    fn write_notices(&mut self) -> Vec<Command> {
        if !self.may_file_room("send overdue notices") {
            return Vec::new();
        }
        vec![Command::FileRoom(FileRoomCommand::WriteNotices)]
    }

    /// `B` on a chart or a request: the paper chart asked for, to HIM completion or the ROI desk.
    pub(super) fn request_paper_chart(&mut self) -> Vec<Command> {
        let (patient_id, kind, reason) = match self.screen {
            Screen::Chart => match &self.chart {
                Some(c) => (c.chart.patient.patient_id, "HIM_COMPLETION", "chart completion".to_string()),
                None => return Vec::new(),
            },
            Screen::Request => match &self.roi.request {
                Some(r) => (r.request.patient_id, "ROI", format!("release {}", r.request.number)),
                None => return Vec::new(),
            },
            _ => {
                self.dirty = false;
                return Vec::new();
            }
        };
        vec![Command::FileRoom(FileRoomCommand::RequestChart { patient_id, kind, reason })]
    }

    pub(super) fn on_file_room_msg(&mut self, msg: FileRoomMsg) -> Vec<Command> {
        match msg {
            FileRoomMsg::Scanned { text, result } => self.on_scanned(text, result),
            FileRoomMsg::OverdueLoaded { id, result } => {
                let Some(state) = self.file_room.as_mut().filter(|s| s.overdue.pending == Some(id)) else {
                    self.dirty = false;
                    return Vec::new();
                };
                state.overdue.pending = None;
                match result {
                    Ok(rows) => state.overdue.set(rows),
                    Err(e) => self.toast = Some(e),
                }
                Vec::new()
            }
            FileRoomMsg::MissingLoaded { id, result } => {
                let Some(state) = self.file_room.as_mut().filter(|s| s.missing.pending == Some(id)) else {
                    self.dirty = false;
                    return Vec::new();
                };
                state.missing.pending = None;
                match result {
                    Ok(rows) => state.missing.set(rows),
                    Err(e) => self.toast = Some(e),
                }
                Vec::new()
            }
            FileRoomMsg::PullListLoaded { id, result } => {
                let Some(state) = self.file_room.as_mut().filter(|s| s.pull.pending == Some(id)) else {
                    self.dirty = false;
                    return Vec::new();
                };
                state.pull.pending = None;
                match result {
                    Ok(rows) => state.pull.set(rows),
                    Err(e) => self.toast = Some(e),
                }
                Vec::new()
            }
            FileRoomMsg::Resolved(result) => {
                match result {
                    Ok(done) => self.toast = Some(done),
                    Err(e) => self.toast = Some(e),
                }
                self.load_file_room_tab(true)
            }
            FileRoomMsg::NoticesWritten(result) => {
                self.toast = Some(match result {
                    Ok(files) if files.is_empty() => "Nothing is overdue: no notice was written.".into(),
                    Ok(files) => format!(
                        "Wrote {} (text and PDF): {}",
                        plural(files.len() / 2, "overdue notice", "overdue notices"),
                        files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
                    ),
                    Err(e) => e,
                });
                Vec::new()
            }
            FileRoomMsg::ChartRequested(result) => {
                self.toast = Some(match result {
                    Ok(r) => format!(
                        "The file room is asked for MRN {}'s paper chart, to {} today{}.",
                        r.mrn,
                        r.for_location.name,
                        match r.volumes.len() {
                            0 => " (no paper volume is on file)".to_string(),
                            n => format!(" ({})", plural(n, "volume", "volumes")),
                        }
                    ),
                    Err(e) => e,
                });
                if let Some(state) = self.file_room.as_mut() {
                    state.pull.rows = None;
                }
                Vec::new()
            }
        }
    }
}
