//! The model of the terminal program and its pure `update`: a message in, state changes and
//! commands out. No IO, no clock, no channels — every behaviour here is testable without a terminal.

use super::action::Action;
use super::keymap::{Context, Keymap};
use super::screens::chart::ChartState;
use super::screens::lookup::LookupState;
use super::screens::queue::QueueState;
use super::theme::Theme;
use super::widgets::chrome::{self, MIN_HEIGHT, MIN_WIDTH};
use super::widgets::palette::{BulkAction, PaletteCommand, PaletteState, ProviderChoice};
use crate::desk::SearchOutcome;
use crate::domain::chart::Chart;
use crate::domain::deficiency::DelinquencyRate;
use crate::domain::query::QueryShape;
use crate::domain::role::Role;
use crate::store::{CompletionOutcome, QueueCounts, QueueFilter, QueuePage, QueueSort, Topic, Topics};
use crossterm::event::{KeyEvent, KeyEventKind};
use std::sync::Arc;

/// Identifies a request to the desk, so that a stale answer is recognised and dropped.
pub type RequestId = u64;

/// Rows fetched per page of results.
pub const PAGE_SIZE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Lookup,
    Chart,
    Queue,
}

#[derive(Debug)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// The session's messages (`:messages`), newest last.
    Messages {
        scroll: u16,
    },
    Palette(PaletteState),
    /// A question before something hard to undo: `y` runs the command, anything else cancels.
    Confirm {
        prompt: String,
        command: Command,
    },
}

/// What the header shows: where, whether demo data, and who.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderInfo {
    pub facility: String,
    pub is_demo: bool,
    pub username: String,
    pub role: String,
    /// What the user may do, for refusing an action before its question rather than after.
    pub roles: Vec<Role>,
}

impl HeaderInfo {
    pub fn new(username: &str, roles: &[Role]) -> Self {
        let role = roles.iter().max_by_key(|r| role_rank(**r)).map(|r| r.title().to_string()).unwrap_or_default();
        Self { facility: String::new(), is_demo: false, username: username.to_string(), role, roles: roles.to_vec() }
    }
}

/// The role a header names when a user holds several: the broadest.
fn role_rank(role: Role) -> u8 {
    match role {
        Role::Director => 9,
        Role::PrivacyOfficer => 8,
        Role::Supervisor => 7,
        Role::RoiSpecialist => 6,
        Role::ChartAnalyst => 5,
        Role::Coder => 4,
        Role::MedicalStaffOffice => 3,
        Role::HimClerk => 2,
    }
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize(u16, u16),
    /// The header's facts arrived.
    InfoLoaded(Result<HeaderInfo, String>),
    SearchDone {
        id: RequestId,
        append: bool,
        result: Result<SearchOutcome, String>,
    },
    ChartLoaded {
        id: RequestId,
        encounter_id: Option<i64>,
        result: Result<Box<Chart>, String>,
    },
    /// The pause timer for search `generation` ran out: the search has settled.
    SearchSettled {
        generation: u64,
    },
    /// A background write (an audit event) failed.
    BackgroundFailed(String),
    /// The providers, for completing a physician's name in the palette.
    ProvidersLoaded(Result<Vec<ProviderChoice>, String>),
    QueueLoaded {
        id: RequestId,
        append: bool,
        result: Result<QueuePage, String>,
    },
    /// The rows on screen read again after work on them, to update in place.
    QueueRefreshed {
        id: RequestId,
        result: Result<QueuePage, String>,
    },
    QueueCounted(Result<(QueueCounts, DelinquencyRate), String>),
    PhysicianLoaded(Result<crate::store::PhysicianStanding, String>),
    StandingsLoaded(Result<Vec<crate::store::PhysicianStanding>, String>),
    /// Every item of the filter, to select.
    FilterSelected(Result<Vec<(i64, i64)>, String>),
    /// The desk checked a `:filter` line: the queue's new filter, or why not.
    FilterChecked(Result<QueueFilter, String>),
    /// A line of progress from a long job.
    Progress(String),
    NightlyDone(Result<crate::desk::deficiencies::NightlySummary, String>),
    /// An import finished: its counts, or why it stopped.
    ImportDone(Result<Box<crate::desk::import::ImportReport>, String>),
    /// A bulk action finished: what it did, in the past tense (`completed`, `reassigned`…).
    Completed {
        verb: &'static str,
        result: Result<CompletionOutcome, String>,
    },
    /// The store's change feed: what moved since the last message (another clerk's work, or this
    /// one's). The screen in view reads again what it shows of these topics.
    StoreChanged(Topics),
    /// Items were taken to work or given up: which, and which not and why.
    Claimed(Result<crate::desk::claims::ClaimOutcome, String>),
    /// A desk call could not reach the store: the read to run again (None for an edit, which the
    /// clerk was told was not saved), and the store's words.
    StoreUnreachable {
        reason: String,
        retry: Option<Command>,
    },
    /// A desk call reached the store after one could not.
    StoreReachable,
    /// The wait before retrying the reads that could not reach the store is over.
    RetryDue,
    /// SIGHUP, SIGTERM, or the terminal went away.
    Terminate,
}

/// Work for the effects runner. Each answer comes back as a [`Msg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    LoadInfo,
    Search {
        id: RequestId,
        text: String,
        offset: usize,
        append: bool,
    },
    OpenChart {
        id: RequestId,
        patient_id: i64,
        encounter_id: Option<i64>,
    },
    OpenChartByMrn {
        id: RequestId,
        mrn: String,
    },
    /// The open chart read again after another clerk's work, without recording another view.
    RefreshChart {
        id: RequestId,
        patient_id: i64,
    },
    RecordSearch {
        shape: QueryShape,
        shown: usize,
        more: bool,
    },
    RecordSignIn,
    LoadQueue {
        id: RequestId,
        filter: QueueFilter,
        sort: QueueSort,
        offset: usize,
        append: bool,
    },
    /// The first `limit` rows of the queue again, to update the rows on screen where they stand.
    RefreshQueue {
        id: RequestId,
        filter: QueueFilter,
        sort: QueueSort,
        limit: usize,
    },
    CountQueue,
    CompleteDeficiencies {
        items: Vec<(i64, i64)>,
        resolved_on: chrono::NaiveDate,
    },
    ReassignDeficiencies {
        items: Vec<(i64, i64)>,
        npi: String,
    },
    LoadPhysician {
        npi: String,
    },
    SelectAllInFilter {
        filter: QueueFilter,
    },
    /// Narrow `base` by what `:filter` named, each value checked by the desk.
    CheckFilter {
        base: QueueFilter,
        terms: Vec<(crate::desk::queue_filter::FilterKey, String)>,
    },
    /// The standings of the physicians on the page, for the group lines of the by-physician sort.
    LoadStandings {
        provider_ids: Vec<i64>,
    },
    RunNightly {
        date: chrono::NaiveDate,
    },
    RunImport {
        fhir: bool,
        paths: Vec<std::path::PathBuf>,
        facility: Option<String>,
        open_since: chrono::NaiveDate,
    },
    PauseAging {
        items: Vec<(i64, i64)>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        reason: String,
    },
    CommentDeficiencies {
        items: Vec<(i64, i64)>,
        text: String,
    },
    MoveDeficiencies {
        items: Vec<(i64, i64)>,
        to: crate::domain::chart::DeficiencyStatus,
        note: String,
    },
    /// Take the items to work; `take_over` takes those another clerk holds (a supervisor's).
    TakeDeficiencies {
        ids: Vec<i64>,
        take_over: bool,
    },
    /// Give the items up; `take_over` gives up those another clerk holds (a supervisor's).
    ReleaseDeficiencies {
        ids: Vec<i64>,
        take_over: bool,
    },
    /// The providers for the palette's completion, once per session.
    LoadProviders,
    /// [`Msg::RetryDue`] after this long.
    RetryAfter(std::time::Duration),
    Suspend,
    Quit,
}

/// A search whose audit event is owed: once it settles (a pause, opening a row, leaving, quitting),
/// or once results that were on screen are replaced by another query's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSearchAudit {
    pub generation: u64,
    pub shape: QueryShape,
    pub shown: usize,
    pub more: bool,
    /// The query as typed, spaces collapsed and upper-cased: held in memory only (never logged or
    /// audited), to tell an edit of this query from a new one.
    pub text: String,
    /// A frame has shown these results.
    pub drawn: bool,
}

impl PendingSearchAudit {
    /// Whether these results, replaced by a search of `text` that found `shown` rows in `shape`, are
    /// owed their event now. Results that were drawn with rows count once they were on screen, unless
    /// the new query only continues typing or correcting this one (one text starts the other, same
    /// shape, rows still shown): the whole edit is then audited once, by whichever result settles or
    /// is replaced in turn. So a word typed letter by letter writes one event, not one per letter,
    /// and results glimpsed for half a second before the clerk typed another name or cleared the
    /// field still write theirs. Results never drawn, or with no rows, showed no patient.
    fn owed_when_replaced_by(&self, shape: Option<QueryShape>, text: &str, shown: usize) -> bool {
        if !self.drawn || self.shown == 0 {
            return false;
        }
        let continues = shape == Some(self.shape)
            && shown > 0
            && (text.starts_with(self.text.as_str()) || self.text.starts_with(text));
        !continues
    }
}

/// A query's text as [`PendingSearchAudit::text`] keeps it.
fn audit_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

pub struct App {
    pub keymap: Arc<Keymap>,
    pub header: HeaderInfo,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub lookup: LookupState,
    pub chart: Option<ChartState>,
    pub queue: QueueState,
    /// Where Esc from the chart goes back to.
    pub chart_return: Screen,
    /// A message (errors, refusals) shown above the footer until the next key.
    pub toast: Option<String>,
    /// Every message shown this session, oldest first, for `:messages`.
    pub messages: Vec<String>,
    /// Providers for the palette's completion; asked for when the palette first opens.
    pub providers: Arc<Vec<ProviderChoice>>,
    providers_asked: bool,
    pub size: (u16, u16),
    pub quitting: bool,
    pub today: chrono::NaiveDate,
    next_id: RequestId,
    /// The chart request the screen is waiting for.
    pending_chart: Option<RequestId>,
    /// A reload of the open chart after work on it: it keeps its section and highlight.
    refreshing_chart: Option<RequestId>,
    audit_generation: u64,
    pub pending_audit: Option<PendingSearchAudit>,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Why the header's facts could not be read last time, to say it once.
    info_failed: Option<String>,
    /// What the store changed under the queue and the chart since they last read it, read again
    /// when they are in view with nothing open over them ([`App::catch_up`]).
    queue_stale: Topics,
    chart_stale: bool,
    /// A count of the band is on its way, and whether another clerk's change owes a new one: a
    /// count reads every open item (0.14 s of CPU at a million patients), so the rows are read
    /// first and one count at a time goes however fast changes come.
    counting: bool,
    counts_owed: bool,
    /// The store cannot be reached: the banner, and the reads to try again.
    pub outage: Option<outage::Outage>,
}

impl App {
    pub fn new(keymap: Arc<Keymap>, header: HeaderInfo, today: chrono::NaiveDate, size: (u16, u16)) -> Self {
        let me = header.username.clone();
        let mut app = Self {
            keymap,
            header,
            screen: Screen::Lookup,
            overlay: None,
            lookup: LookupState::new(),
            chart: None,
            queue: QueueState { me, ..QueueState::default() },
            chart_return: Screen::Lookup,
            toast: None,
            messages: Vec::new(),
            providers: Arc::new(Vec::new()),
            providers_asked: false,
            size,
            quitting: false,
            today,
            next_id: 0,
            pending_chart: None,
            refreshing_chart: None,
            audit_generation: 0,
            pending_audit: None,
            dirty: true,
            info_failed: None,
            queue_stale: Topics::NONE,
            chart_stale: false,
            counting: false,
            counts_owed: false,
            outage: None,
        };
        app.set_size(size.0, size.1);
        app
    }

    fn set_size(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        // Header, two rules, footer, the Find line, and the table's borders and header row.
        self.lookup.visible_rows = usize::from(height.saturating_sub(8)).max(1);
    }

    /// The commands to run when the program starts.
    pub fn init(&mut self) -> Vec<Command> {
        vec![Command::LoadInfo, Command::RecordSignIn]
    }

    fn next_request(&mut self) -> RequestId {
        self.next_id += 1;
        self.next_id
    }

    /// The focused keymap context.
    pub fn context(&self) -> Context {
        match self.screen {
            Screen::Lookup if self.lookup.field_focused => Context::Find,
            Screen::Lookup => Context::Results,
            Screen::Chart => Context::Chart,
            Screen::Queue => Context::Queue,
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        let progress = matches!(msg, Msg::Progress(_));
        if let Msg::Key(key) = &msg
            && key.kind != KeyEventKind::Release
        {
            // A key dismisses the message on screen; it stays in the log.
            self.toast = None;
        }
        let before = self.toast.clone();
        // A frame owed by an earlier message not drawn yet stays owed: the event loop handles every
        // waiting message before it draws, and a later one that changes nothing (the header read
        // again, a stale answer) must not cancel the frame an earlier one asked for.
        let owed = self.dirty;
        let mut commands = self.update_inner(msg);
        commands.extend(self.catch_up());
        self.dirty |= owed;
        // Progress lines change many times a second; only their outcome is worth keeping.
        if !progress
            && let Some(message) = &self.toast
            && Some(message) != before.as_ref()
            && !message.is_empty()
        {
            if self.messages.len() >= MESSAGE_LOG {
                self.messages.remove(0);
            }
            self.messages.push(message.clone());
        }
        commands
    }

    fn update_inner(&mut self, msg: Msg) -> Vec<Command> {
        self.dirty = true;
        match msg {
            Msg::Key(key) if key.kind == KeyEventKind::Press || key.kind == KeyEventKind::Repeat => self.on_key(key),
            Msg::Key(_) => {
                self.dirty = false;
                Vec::new()
            }
            Msg::Resize(w, h) => {
                self.set_size(w, h);
                Vec::new()
            }
            Msg::StoreChanged(topics) => {
                self.dirty = false;
                self.on_store_changed(topics)
            }
            Msg::StoreUnreachable { reason, retry } => self.on_store_unreachable(reason, retry),
            Msg::StoreReachable => self.on_store_reachable(),
            Msg::RetryDue => self.on_retry_due(),
            Msg::InfoLoaded(Ok(info)) => {
                self.info_failed = None;
                let username = self.header.username.clone();
                // The facts carry the role and roles only when they were read again.
                let role = if info.role.is_empty() { self.header.role.clone() } else { info.role.clone() };
                let roles = if info.roles.is_empty() { self.header.roles.clone() } else { info.roles.clone() };
                let header = HeaderInfo { username, role, roles, ..info };
                // Read after every change to users and roles: a frame only when something here changed.
                self.dirty = header != self.header;
                self.header = header;
                Vec::new()
            }
            // Reads fail alike while the store is away: said once, not at every change.
            Msg::InfoLoaded(Err(e)) if self.info_failed.as_ref() == Some(&e) => {
                self.dirty = false;
                Vec::new()
            }
            Msg::InfoLoaded(Err(e)) => {
                self.info_failed = Some(e.clone());
                self.toast = Some(e);
                Vec::new()
            }
            Msg::ProvidersLoaded(Ok(providers)) => {
                self.providers = Arc::new(providers);
                if let Some(Overlay::Palette(palette)) = &mut self.overlay {
                    palette.providers = self.providers.clone();
                }
                Vec::new()
            }
            // Without the provider list the palette still takes an NPI; a clerk who may not see
            // the queue is not told about a list she never asked for.
            Msg::ProvidersLoaded(Err(_)) => {
                self.dirty = false;
                Vec::new()
            }
            Msg::BackgroundFailed(e) => {
                self.toast = Some(e);
                Vec::new()
            }
            Msg::SearchDone { id, append, result } => self.on_search_done(id, append, result),
            Msg::ChartLoaded { id, encounter_id, result } => self.on_chart_loaded(id, encounter_id, result),
            Msg::SearchSettled { generation } => {
                if self.settle_generation() == Some(generation) {
                    self.flush_search_audit()
                } else {
                    self.dirty = false;
                    Vec::new()
                }
            }
            Msg::QueueLoaded { id, append, result } => {
                if self.queue.latest != Some(id) {
                    self.dirty = false;
                    return Vec::new();
                }
                self.queue.latest = None;
                if !append {
                    self.queue.reloading = false;
                }
                match result {
                    Ok(page) => {
                        self.queue.error = None;
                        self.queue.show(page.rows, page.has_more, append);
                    }
                    Err(e) => self.queue.error = Some(e),
                }
                self.standings_wanted()
            }
            Msg::QueueRefreshed { id, result } => {
                if self.queue.refreshing != Some(id) {
                    self.dirty = false;
                    return Vec::new();
                }
                self.queue.refreshing = None;
                match result {
                    // Read again after every change: a frame only when a row on screen differs.
                    Ok(page) => self.dirty = self.queue.refresh(page),
                    Err(e) => self.toast = Some(e),
                }
                let mut commands = self.standings_wanted();
                commands.extend(self.owed_counts());
                commands
            }
            Msg::StandingsLoaded(result) => {
                match result {
                    Ok(standings) => {
                        let mut changed = false;
                        for standing in standings {
                            let before = self.queue.standings.insert(standing.provider_id, standing.clone());
                            changed |= before.as_ref() != Some(&standing);
                        }
                        self.dirty = changed;
                    }
                    Err(e) => self.toast = Some(e),
                }
                Vec::new()
            }
            Msg::PhysicianLoaded(result) => match result {
                // The standing of the physician on screen, read again after a change or `r`.
                Ok(standing)
                    if std::mem::take(&mut self.queue.refreshing_physician)
                        && self.queue.physician.as_ref().is_some_and(|p| p.provider_id == standing.provider_id) =>
                {
                    self.dirty = self.queue.physician.as_ref() != Some(&standing);
                    self.queue.physician = Some(standing);
                    Vec::new()
                }
                Ok(standing) => {
                    self.queue.filter.provider_id = Some(standing.provider_id);
                    self.queue.physician = Some(standing);
                    self.queue.picked.clear();
                    self.screen = Screen::Queue;
                    self.reload_queue_page()
                }
                Err(e) => {
                    self.toast = Some(e);
                    Vec::new()
                }
            },
            Msg::FilterChecked(result) => self.filter_checked(result),
            Msg::FilterSelected(result) => {
                match result {
                    Ok(items) => {
                        self.toast = Some(format!(
                            "{} selected: every item the filter matches (A again clears)",
                            plural(items.len(), "item", "items")
                        ));
                        self.queue.picked = items.into_iter().collect();
                        self.queue.picked_filter = true;
                    }
                    Err(e) => self.toast = Some(e),
                }
                Vec::new()
            }
            Msg::Progress(line) => {
                self.toast = Some(line);
                Vec::new()
            }
            Msg::NightlyDone(result) => {
                self.toast = Some(match result {
                    Ok(s) if s.already_ran => {
                        format!("The nightly run for {} had already finished; nothing changed.", s.run_on)
                    }
                    Ok(s) => format!(
                        "Nightly {}: {} charts analysed, {} deficiencies, {} notices; {} delinquent; {} suspension eligible",
                        s.run_on,
                        s.encounters_analysed,
                        s.deficiencies_created,
                        s.notices_created,
                        s.delinquent,
                        s.suspension_eligible.len()
                    ),
                    Err(e) => e,
                });
                if self.queue.loaded { self.reload_queue() } else { Vec::new() }
            }
            Msg::ImportDone(result) => {
                // The patients just imported join the list on screen at once.
                let refresh = if result.is_ok() { self.search_again() } else { Vec::new() };
                self.toast = Some(match result {
                    Ok(report) => {
                        let c = &report.counts;
                        let mut line = format!(
                            "Imported: {} patients new, {} unchanged; {} encounters new; {} procedures new; {} documents new",
                            c.patients.created,
                            c.patients.unchanged,
                            c.encounters.created,
                            c.procedures.created,
                            c.documents.created
                        );
                        if let Some(first) = report.rejections.first() {
                            line.push_str(&format!("; {} rejected, first: {first}", report.rejections.len()));
                        }
                        line
                    }
                    Err(e) => format!("Import stopped: {e}"),
                });
                refresh
            }
            Msg::QueueCounted(result) => {
                self.counting = false;
                match result {
                    Ok(counts) => {
                        self.dirty = self.queue.counts.as_ref() != Some(&counts);
                        self.queue.counts = Some(counts);
                    }
                    Err(e) => self.toast = Some(e),
                }
                self.owed_counts()
            }
            Msg::Completed { verb, result } => {
                let from_chart = self.screen == Screen::Chart;
                match result {
                    Ok(outcome) => {
                        if from_chart {
                            if let Some(chart) = self.chart.as_mut() {
                                chart.picked.clear();
                            }
                        } else {
                            self.queue.picked.clear();
                            // Rows worked here keep their place whatever the next read says, so a
                            // second action by row number names what the first one saw.
                            self.queue.worked.extend(outcome.completed.iter().copied());
                        }
                        // Closed items keep their row, shown as done: the numbers on screen stay
                        // the clerk's until she reloads.
                        let closed_as = match verb {
                            "completed" => Some(crate::domain::chart::DeficiencyStatus::Completed),
                            "voided" => Some(crate::domain::chart::DeficiencyStatus::Voided),
                            _ => None,
                        };
                        if let Some(status) = closed_as {
                            self.queue.mark_done(&outcome.completed, status);
                        }
                        self.toast = Some(queue::completion_message(verb, &outcome));
                    }
                    Err(e) => self.toast = Some(e),
                }
                let mut commands = self.refresh_chart();
                if !from_chart || self.queue.loaded {
                    commands.extend(self.refresh_queue());
                }
                commands
            }
            Msg::Claimed(result) => self.on_claimed(result),
            Msg::Terminate => self.quit(),
        }
    }

    /// The store's change feed said `topics` moved. The header is on every screen and is read at
    /// once; the queue and the chart are marked, and read again when in view ([`App::catch_up`]).
    fn on_store_changed(&mut self, topics: Topics) -> Vec<Command> {
        if self.quitting {
            return Vec::new();
        }
        if self.queue.loaded && (topics.contains(Topic::Deficiencies) || topics.contains(Topic::Physicians)) {
            self.queue_stale = self.queue_stale.union(topics);
        }
        if self.chart.is_some() && topics.contains(Topic::Deficiencies) {
            self.chart_stale = true;
        }
        // While the store is away its retries read the header, with backoff.
        if topics.contains(Topic::Users) && self.outage.is_none() { vec![Command::LoadInfo] } else { Vec::new() }
    }

    /// Reads again what the store changed under the screen in view — once nothing is open over it
    /// (the row numbers a clerk is typing, or a question, stay about the rows she sees), no read of
    /// it is already on its way (it could have started before the change), and the store answers
    /// (while it is away, the reads it failed are retried with backoff instead).
    fn catch_up(&mut self) -> Vec<Command> {
        if self.overlay.is_some() || self.quitting || self.outage.is_some() {
            return Vec::new();
        }
        match self.screen {
            Screen::Queue if !self.queue_stale.is_empty() && self.queue.latest.is_none() => {
                let topics = std::mem::take(&mut self.queue_stale);
                self.follow_queue(topics)
            }
            Screen::Chart if self.chart_stale && self.pending_chart.is_none() => {
                self.chart_stale = false;
                self.reread_chart()
            }
            _ => Vec::new(),
        }
    }

    fn quit(&mut self) -> Vec<Command> {
        let mut commands = self.flush_search_audit();
        self.quitting = true;
        commands.push(Command::Quit);
        commands
    }

    /// Writes the owed audit event of the last search, if any.
    fn flush_search_audit(&mut self) -> Vec<Command> {
        match self.pending_audit.take() {
            Some(p) => vec![Command::RecordSearch { shape: p.shape, shown: p.shown, more: p.more }],
            None => Vec::new(),
        }
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let (width, height) = self.size;
        if width < MIN_WIDTH || height < MIN_HEIGHT {
            // Nothing can be seen to be acted on: only quitting works until the terminal grows.
            if self.keymap.action(Context::Global, &key) == Some(Action::Quit) {
                return self.quit();
            }
            self.dirty = false;
            return Vec::new();
        }
        if let Some(overlay) = self.overlay.take() {
            return self.on_overlay_key(overlay, key);
        }
        let context = self.context();
        match self.keymap.action(context, &key) {
            Some(action) => self.on_action(action),
            None if context == Context::Find => self.on_find_text(key),
            None if context == Context::Results && is_typing(&key) => {
                // A clerk typing in the results means a new search, not a command.
                let mut commands = self.on_action(Action::NewFind);
                commands.extend(self.on_find_text(key));
                commands
            }
            None => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    fn on_overlay_key(&mut self, overlay: Overlay, key: KeyEvent) -> Vec<Command> {
        use crossterm::event::KeyCode;
        match overlay {
            Overlay::Help { scroll } | Overlay::Messages { scroll } => {
                let help = matches!(overlay, Overlay::Help { .. });
                let (width, height) = chrome::text_overlay_room(self.size);
                let lines = if help {
                    chrome::help_lines(&self.keymap, width, &Theme::monochrome()).len()
                } else {
                    chrome::message_lines(&self.messages, width).len()
                };
                let last = u16::try_from(lines.saturating_sub(usize::from(height))).unwrap_or(u16::MAX);
                let scroll = match key.code {
                    KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
                    KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
                    KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(height.max(2) - 1),
                    KeyCode::PageUp => scroll.saturating_sub(height.max(2) - 1),
                    KeyCode::Home => 0,
                    KeyCode::End => last,
                    _ if self.keymap.action(Context::Global, &key) == Some(Action::Quit) => return self.quit(),
                    _ => return Vec::new(),
                }
                .min(last);
                self.overlay = Some(if help { Overlay::Help { scroll } } else { Overlay::Messages { scroll } });
                Vec::new()
            }
            Overlay::Confirm { command, .. } => {
                if matches!(key.code, KeyCode::Char('y') | KeyCode::Char('Y')) {
                    vec![command]
                } else {
                    self.toast = Some("Nothing changed.".into());
                    Vec::new()
                }
            }
            Overlay::Palette(mut palette) => {
                if self.keymap.action(Context::Global, &key) == Some(Action::Quit) {
                    return self.quit();
                }
                match palette.on_key(key) {
                    None => {
                        self.overlay = Some(Overlay::Palette(palette));
                        Vec::new()
                    }
                    Some(Ok(Some(command))) => self.run_palette(command),
                    Some(Ok(None)) => Vec::new(),
                    Some(Err(problem)) => {
                        self.toast = Some(problem);
                        self.overlay = Some(Overlay::Palette(palette));
                        Vec::new()
                    }
                }
            }
        }
    }

    fn run_palette(&mut self, command: PaletteCommand) -> Vec<Command> {
        match command {
            PaletteCommand::Lookup => self.go_lookup(),
            PaletteCommand::Chart => self.on_action(Action::ScreenChart),
            PaletteCommand::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                Vec::new()
            }
            PaletteCommand::Quit => self.quit(),
            PaletteCommand::Deficiencies => self.on_action(Action::ScreenQueue),
            PaletteCommand::Bulk { action, rows, args } if self.screen == Screen::Chart => {
                self.chart_bulk(action, rows, args)
            }
            PaletteCommand::Bulk { action, rows, args } => self.bulk(action, rows, args),
            PaletteCommand::Messages => {
                let (width, height) = chrome::text_overlay_room(self.size);
                let lines = chrome::message_lines(&self.messages, width).len();
                let scroll = u16::try_from(lines.saturating_sub(usize::from(height))).unwrap_or(u16::MAX);
                self.overlay = Some(Overlay::Messages { scroll });
                Vec::new()
            }
            PaletteCommand::Physician(npi) => vec![Command::LoadPhysician { npi }],
            PaletteCommand::Filter(terms) => self.filter_queue(terms),
            PaletteCommand::Take(rows) => self.claim_rows(rows, false),
            PaletteCommand::Release(rows) => self.claim_rows(rows, true),
            PaletteCommand::Nightly => {
                let prompt = format!(
                    "Run the nightly deficiency job for {} now? (y/N)",
                    crate::domain::dates::us_date(self.today)
                );
                self.overlay = Some(Overlay::Confirm { prompt, command: Command::RunNightly { date: self.today } });
                Vec::new()
            }
            PaletteCommand::Import { fhir, paths, facility } => {
                let shown: Vec<String> =
                    paths.iter().map(|p| crate::domain::text::clean(&p.display().to_string()).into_owned()).collect();
                let prompt = format!(
                    "Import Synthea {} from {}{}? (y/N)",
                    if fhir { "FHIR" } else { "CSV" },
                    shown.join(" "),
                    facility.as_ref().map(|f| format!(" into {f}")).unwrap_or_default()
                );
                let open_since = self.today - chrono::Duration::days(30);
                self.overlay = Some(Overlay::Confirm {
                    prompt,
                    command: Command::RunImport { fhir, paths, facility, open_since },
                });
                Vec::new()
            }
            PaletteCommand::Mrn(mrn) => {
                let id = self.next_request();
                self.pending_chart = Some(id);
                let mut commands = self.flush_search_audit();
                commands.push(Command::OpenChartByMrn { id, mrn });
                commands
            }
        }
    }

    fn go_lookup(&mut self) -> Vec<Command> {
        let changed = self.screen != Screen::Lookup;
        self.screen = Screen::Lookup;
        self.lookup.field_focused = true;
        // Like every change of screen, it re-reads the header (a role changed meanwhile shows).
        if changed { vec![Command::LoadInfo] } else { Vec::new() }
    }

    /// Opens the palette, with `input` typed; the first time, asks for the providers to complete.
    pub(super) fn open_palette(&mut self, input: &str) -> Vec<Command> {
        self.overlay = Some(Overlay::Palette(PaletteState::with_input(self.providers.clone(), input)));
        if self.providers_asked {
            return Vec::new();
        }
        self.providers_asked = true;
        vec![Command::LoadProviders]
    }

    fn on_action(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Quit => self.quit(),
            Action::CommandPalette => self.open_palette(""),
            Action::NewFind => {
                let commands = self.flush_search_audit();
                self.lookup.clear();
                self.screen = Screen::Lookup;
                self.lookup.field_focused = true;
                commands
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                Vec::new()
            }
            Action::Suspend => vec![Command::Suspend],
            // Each change of screen re-reads the header, so a role changed meanwhile shows in it.
            Action::ScreenLookup => {
                self.screen = Screen::Lookup;
                vec![Command::LoadInfo]
            }
            Action::ScreenQueue => {
                let mut commands = self.flush_search_audit();
                self.screen = Screen::Queue;
                if !self.queue.loaded && self.queue.latest.is_none() {
                    commands.extend(self.reload_queue());
                }
                commands.push(Command::LoadInfo);
                commands
            }
            Action::ScreenChart => {
                if self.chart.is_some() {
                    let mut commands = self.flush_search_audit();
                    self.screen = Screen::Chart;
                    commands.push(Command::LoadInfo);
                    commands
                } else {
                    self.toast = Some("No chart is open yet: find a patient and press Enter.".into());
                    Vec::new()
                }
            }
            _ => match self.screen {
                Screen::Lookup => self.on_lookup_action(action),
                Screen::Chart => self.on_chart_action(action),
                Screen::Queue => self.on_queue_action(action),
            },
        }
    }

    fn on_lookup_action(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::OpenSelected => {
                let Some(row) = self.lookup.selected_row().cloned() else {
                    self.toast = Some(if self.lookup.query.text().trim().is_empty() {
                        "Type an MRN, a name (LAST,FIRST), S4821, a birth date or an account number.".into()
                    } else if self.lookup.searching() {
                        "Still searching…".into()
                    } else if self.lookup.error.is_some() || self.lookup.problem.is_some() {
                        "Nothing to open: the search was not run (why is on screen).".into()
                    } else {
                        "Nothing to open: no patient matches.".into()
                    });
                    return Vec::new();
                };
                let id = self.next_request();
                self.pending_chart = Some(id);
                self.chart_return = Screen::Lookup;
                let mut commands = self.flush_search_audit();
                commands.push(Command::OpenChart { id, patient_id: row.patient_id, encounter_id: row.encounter_id });
                commands
            }
            Action::ClearOrLeave => {
                if self.lookup.query.text().is_empty() {
                    self.lookup.field_focused = false;
                    Vec::new()
                } else {
                    self.lookup.clear();
                    self.flush_search_audit()
                }
            }
            Action::FocusResults => {
                self.lookup.field_focused = false;
                Vec::new()
            }
            Action::FocusFind => {
                self.lookup.field_focused = true;
                Vec::new()
            }
            Action::NextRow => self.lookup_move(1),
            Action::PrevRow => self.lookup_move(-1),
            Action::NextPage => self.lookup_move(self.lookup.visible_rows as isize),
            Action::PrevPage => self.lookup_move(-(self.lookup.visible_rows as isize)),
            Action::FirstRow => self.lookup_move(isize::MIN / 2),
            Action::LastRow => self.lookup_move(isize::MAX / 2),
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// Moves the highlight; at the end of a page with more below, fetches the next page.
    fn lookup_move(&mut self, delta: isize) -> Vec<Command> {
        let at_end = self.lookup.move_selection(delta);
        if at_end && self.lookup.has_more && !self.lookup.searching() {
            let id = self.next_request();
            self.lookup.latest = Some(id);
            return vec![Command::Search {
                id,
                text: self.lookup.query.text(),
                offset: self.lookup.rows.len(),
                append: true,
            }];
        }
        Vec::new()
    }

    /// The search on the lookup screen run anew (after the store changed under it); nothing when
    /// the field is empty.
    fn search_again(&mut self) -> Vec<Command> {
        let text = self.lookup.query.text();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let id = self.next_request();
        self.lookup.begin_search(id);
        vec![Command::Search { id, text, offset: 0, append: false }]
    }

    fn on_find_text(&mut self, key: KeyEvent) -> Vec<Command> {
        let before = self.lookup.query.text();
        // `:` in an empty field is the palette, as outside a field; anywhere else in text it is text.
        if before.is_empty() && key.code == crossterm::event::KeyCode::Char(':') && key.modifiers.is_empty() {
            return self.open_palette("");
        }
        self.lookup.query.input(key);
        let text = self.lookup.query.text();
        if text == before {
            return Vec::new();
        }
        let id = self.next_request();
        self.lookup.begin_search(id);
        vec![Command::Search { id, text, offset: 0, append: false }]
    }

    fn on_search_done(&mut self, id: RequestId, append: bool, result: Result<SearchOutcome, String>) -> Vec<Command> {
        if self.lookup.latest != Some(id) {
            // A newer search superseded this one: its answer is dropped unseen.
            self.dirty = false;
            return Vec::new();
        }
        self.lookup.latest = None;
        let mut commands = Vec::new();
        match result {
            Ok(outcome) => {
                let shape = outcome.shape;
                // The latest search's answer: the field still holds the text it searched.
                let text = audit_text(&self.lookup.query.text());
                self.lookup.show(outcome, append);
                let shown = self.lookup.rows.len();
                let replaced = self.pending_audit.take();
                let mut still_drawn = false;
                if let Some(old) = replaced {
                    if old.owed_when_replaced_by(shape, &text, shown) {
                        commands.push(Command::RecordSearch { shape: old.shape, shown: old.shown, more: old.more });
                    }
                    // More rows of the same query: the first ones are still on screen.
                    still_drawn = append && old.drawn;
                }
                if let Some(shape) = shape {
                    self.audit_generation += 1;
                    self.pending_audit = Some(PendingSearchAudit {
                        generation: self.audit_generation,
                        shape,
                        shown,
                        more: self.lookup.has_more,
                        text,
                        drawn: still_drawn,
                    });
                }
            }
            Err(e) => {
                // Rows of an earlier query are not this one's: the body says why nothing shows.
                if !append {
                    self.lookup.rows.clear();
                    self.lookup.selected = 0;
                    self.lookup.has_more = false;
                }
                self.lookup.error = Some(e);
            }
        }
        commands
    }

    fn on_chart_loaded(
        &mut self,
        id: RequestId,
        encounter_id: Option<i64>,
        result: Result<Box<Chart>, String>,
    ) -> Vec<Command> {
        if self.pending_chart != Some(id) {
            self.dirty = false;
            return Vec::new();
        }
        self.pending_chart = None;
        let refresh = self.refreshing_chart.take() == Some(id);
        match result {
            Ok(chart) => match self.chart.as_mut() {
                Some(open) if refresh && open.chart.patient.patient_id == chart.patient.patient_id => {
                    self.dirty = open.refresh(*chart);
                }
                _ => {
                    self.chart = Some(ChartState::new(*chart, encounter_id));
                    self.screen = Screen::Chart;
                }
            },
            Err(e) => self.toast = Some(e),
        }
        Vec::new()
    }

    fn on_chart_action(&mut self, action: Action) -> Vec<Command> {
        let Some(chart) = self.chart.as_mut() else {
            self.screen = Screen::Lookup;
            return Vec::new();
        };
        match action {
            Action::Back => {
                if !chart.close_document() {
                    self.screen = self.chart_return;
                }
            }
            Action::NextSection => chart.next_section(1),
            Action::PrevSection => chart.next_section(-1),
            Action::NextRow => chart.move_selection(1),
            Action::PrevRow => chart.move_selection(-1),
            Action::NextPage => chart.move_selection(10),
            Action::PrevPage => chart.move_selection(-10),
            Action::FirstRow => chart.move_selection(isize::MIN / 2),
            Action::LastRow => chart.move_selection(isize::MAX / 2),
            Action::OpenSelected => chart.open_selected(),
            Action::ToggleSelect
            | Action::CompleteItems
            | Action::CommentItems
            | Action::ReassignItems
            | Action::PauseItems => return self.on_chart_work(action),
            _ => self.dirty = false,
        }
        Vec::new()
    }

    /// The search whose audit event waits for a pause, for the event loop's timer.
    pub fn settle_generation(&self) -> Option<u64> {
        self.pending_audit.as_ref().map(|p| p.generation)
    }

    /// The event loop drew a frame: the results on screen have now been seen.
    pub fn frame_drawn(&mut self) {
        if let Some(pending) = self.pending_audit.as_mut() {
            pending.drawn = true;
        }
    }
}

mod chart;
mod claims;
pub mod outage;
mod queue;

/// `1 item`, `3 items`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Messages kept for `:messages`.
const MESSAGE_LOG: usize = 200;

/// A plain printable key: text, whatever the focus.
fn is_typing(key: &KeyEvent) -> bool {
    use crossterm::event::{KeyCode, KeyModifiers};
    matches!(key.code, KeyCode::Char(c) if !c.is_control())
        && !key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod claim_tests;
