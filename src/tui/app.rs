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
use crate::domain::text::plural;
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
    /// Screen 4: the release-of-information queue.
    Roi,
    /// One release-of-information request.
    Request,
    /// The intake form of a new request.
    Intake,
    /// A patient's accounting of disclosures (`:accounting MRN`).
    Accounting,
    /// An authorization keyed for a request, or for intake.
    Authorization,
    /// A request's release packet (`P` on the request).
    Packet,
    /// The Director's ROI figures (`:roi-stats`, `S` on the ROI queue).
    RoiStats,
    /// Screen 5: the file room — the scan line, overdue, missing, the pull list.
    FileRoom,
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
    /// A request form kept from before, offered back.
    Draft(Box<roi_intake::DraftOffer>),
    /// Esc on an authorization form with something typed: `y` drops it, anything else stays.
    DiscardAuthorization {
        prompt: String,
    },
    /// A fee told before work (a repeat accounting, 164.528(c)(2)): `y` is the patient going ahead
    /// and runs the command; anything else is their withdrawing, told as `withdrawn`.
    ProceedOrWithdraw {
        prompt: String,
        command: Command,
        withdrawn: String,
    },
    /// A restricted chart's warning: a reason and the signature code before it opens (AS-03).
    BreakGlass(Box<guard::BreakGlassForm>),
    /// A release agreed to, asking for the signature code that signs it.
    ReleaseSignature(Box<release_signature::ReleaseSignature>),
    /// The privacy office's list of break-the-glass events (`:privacy`), newest first.
    Privacy {
        scroll: u16,
        rows: Vec<guard::GlassRow>,
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
    /// The store's facilities: the name an authorization names as its discloser, and the state
    /// whose rules its checklist runs under.
    pub facilities: Vec<crate::domain::chart::Facility>,
}

impl HeaderInfo {
    pub fn new(username: &str, roles: &[Role]) -> Self {
        let role = roles.iter().max_by_key(|r| role_rank(**r)).map(|r| r.title().to_string()).unwrap_or_default();
        Self {
            facility: String::new(),
            is_demo: false,
            username: username.to_string(),
            role,
            roles: roles.to_vec(),
            facilities: Vec::new(),
        }
    }
}

impl HeaderInfo {
    /// The facility's code, which the header shows after its name in parentheses (`RGH`).
    pub fn facility_code(&self) -> String {
        match self.facility.rsplit_once(" (") {
            Some((_, code)) => code.strip_suffix(')').unwrap_or_default().to_string(),
            None => String::new(),
        }
    }

    /// A facility by its code (`RGH`), as the store read it with the header.
    pub fn facility_by_code(&self, code: &str) -> Option<&crate::domain::chart::Facility> {
        self.facilities.iter().find(|f| f.code.eq_ignore_ascii_case(code.trim()))
    }

    pub fn facility_by_id(&self, id: i64) -> Option<&crate::domain::chart::Facility> {
        self.facilities.iter().find(|f| f.id == id)
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
    /// An answer to a release-of-information command.
    Roi(roi::RoiMsg),
    /// An answer to a file-room command.
    FileRoom(file_room::FileRoomMsg),
    /// No key for the idle lock's time; `at` is the department's wall clock (the facility's zone,
    /// as history and audit times read), not the host's.
    IdleTimeout {
        at: chrono::NaiveDateTime,
    },
    /// The chart asked for (request `id`) is restricted: its glass must be broken first.
    SensitiveChart {
        id: RequestId,
        patient_id: i64,
        encounter_id: Option<i64>,
        name: String,
    },
    /// The desk's answer to a signature code given on the lock screen.
    Unlocked(Result<(), guard::CodeRefusal>),
    /// The desk refused to break the glass (request `id`).
    GlassRefused {
        id: RequestId,
        refusal: guard::CodeRefusal,
    },
    /// The signed-in user's account was disabled: the session shows nothing more.
    Disabled(String),
    PrivacyLoaded(Result<Vec<guard::GlassRow>, String>),
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
    /// A settled search's audit: its shape, and the rows it showed (each patient's event).
    RecordSearch {
        shape: QueryShape,
        shown: Vec<crate::domain::patient::PatientRow>,
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
        /// Real records meant for the demo hospital (`into-demo`): the desk refuses them otherwise.
        into_demo: bool,
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
    /// Work of the release-of-information screens.
    Roi(roi::RoiCommand),
    /// Work of the file room, and the other desks' requests for paper charts.
    FileRoom(file_room::FileRoomCommand),
    /// Write the session's `LOCK` event.
    RecordLock(crate::desk::privacy::LockReason),
    /// Check the code and resume the session (`UNLOCK`).
    Unlock {
        code: guard::Code,
    },
    /// Break a restricted chart's glass with the reason and code, then open it as request `id`.
    BreakGlass {
        id: RequestId,
        patient_id: i64,
        encounter_id: Option<i64>,
        reason: String,
        code: guard::Code,
    },
    /// The break-the-glass events for `:privacy`.
    LoadPrivacy,
    /// [`Msg::RetryDue`] after this long.
    RetryAfter(std::time::Duration),
    Suspend,
    Quit,
}

pub struct App {
    pub keymap: Arc<Keymap>,
    pub header: HeaderInfo,
    pub screen: Screen,
    pub overlay: Option<Overlay>,
    pub lookup: LookupState,
    pub chart: Option<ChartState>,
    pub queue: QueueState,
    /// The release-of-information screens: the queue, the request, intake.
    pub roi: roi::RoiScreens,
    /// The file room (screen 5), once opened: kept with its scan log when the clerk leaves.
    pub file_room: Option<crate::tui::screens::file_room::FileRoomState>,
    /// Where Esc from the file room's lists goes back to.
    pub file_room_return: Screen,
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
    /// The session is locked: the lock screen replaces everything until the signature code.
    pub lock: Option<guard::LockState>,
    /// The account was disabled while signed in: the screen says so and shows nothing else.
    pub disabled: Option<String>,
    /// How long without a key before the session locks (None: never, for tests of other things).
    pub idle_lock: Option<std::time::Duration>,
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
            queue: QueueState { me: me.clone(), ..QueueState::default() },
            roi: roi::RoiScreens::with_me(me),
            file_room: None,
            file_room_return: Screen::Lookup,
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
            lock: None,
            disabled: None,
            idle_lock: None,
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
        // A request form left half-filled (a dropped session) is offered back.
        self.roi.draft_at_start = true;
        vec![Command::LoadInfo, Command::RecordSignIn, Command::Roi(roi::RoiCommand::LoadDraft)]
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
            Screen::Roi => Context::Roi,
            Screen::Request => Context::Request,
            Screen::Intake => Context::Intake,
            Screen::Accounting => Context::Accounting,
            Screen::Authorization => Context::Authorization,
            Screen::Packet => Context::Packet,
            Screen::RoiStats => Context::RoiStats,
            Screen::FileRoom if self.file_room.as_ref().is_some_and(|f| f.scanning) => Context::Scan,
            Screen::FileRoom => Context::FileRoom,
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
        let was_intake = self.screen == Screen::Intake;
        let mut commands = self.update_inner(msg);
        if was_intake && self.screen != Screen::Intake {
            // However the clerk left the form, what she typed is kept.
            commands.extend(self.keep_draft());
        }
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
                let roles_changed = !self.header.roles.is_empty() && header.roles != self.header.roles;
                self.header = header;
                if roles_changed { self.on_roles_changed() } else { Vec::new() }
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
            Msg::QueueLoaded { id, append, result } => self.on_queue_loaded(id, append, result),
            Msg::QueueRefreshed { id, result } => self.on_queue_refreshed(id, result),
            Msg::StandingsLoaded(result) => self.on_standings_loaded(result),
            Msg::PhysicianLoaded(result) => self.on_physician_loaded(result),
            Msg::FilterChecked(result) => self.filter_checked(result),
            Msg::FilterSelected(result) => self.on_filter_selected(result),
            Msg::Progress(line) => self.on_progress(line),
            Msg::NightlyDone(result) => self.on_nightly_done(result),
            Msg::ImportDone(result) => self.on_import_done(result),
            Msg::QueueCounted(result) => self.on_queue_counted(result),
            Msg::Completed { verb, result } => self.on_completed(verb, result),
            Msg::Claimed(result) => self.on_claimed(result),
            Msg::Roi(msg) => self.on_roi_msg(msg),
            Msg::FileRoom(msg) => self.on_file_room_msg(msg),
            Msg::IdleTimeout { at } => self.on_idle(at),
            Msg::SensitiveChart { id, patient_id, encounter_id, name } => {
                self.on_sensitive_chart(id, patient_id, encounter_id, name)
            }
            Msg::Unlocked(result) => self.on_unlocked(result),
            Msg::GlassRefused { id, refusal } => self.on_glass_refused(id, refusal),
            Msg::Disabled(message) => self.on_disabled(message),
            Msg::PrivacyLoaded(result) => self.on_privacy_loaded(result),
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
        let mut commands = Vec::new();
        if topics.contains(Topic::Requests) && self.outage.is_none() {
            commands.extend(self.on_requests_changed());
        }
        // While the store is away its retries read the header, with backoff.
        if topics.contains(Topic::Users) && self.outage.is_none() {
            commands.push(Command::LoadInfo);
        }
        commands
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
            Screen::Roi | Screen::Request | Screen::Accounting | Screen::Packet => self.roi_catch_up(),
            _ => Vec::new(),
        }
    }

    fn quit(&mut self) -> Vec<Command> {
        let mut commands = self.flush_search_audit();
        self.keep_typed_authorization();
        // Saved again in line, whatever was saved before: a save still on its way on a worker
        // thread may never land once the program is gone.
        if let Some(intake) = self.roi.intake.as_mut() {
            intake.unsaved = true;
        }
        commands.extend(self.keep_draft());
        self.quitting = true;
        commands.push(Command::Quit);
        commands
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
        if self.disabled.is_some() || self.lock.is_some() {
            return self.on_guarded_key(key);
        }
        if let Some(overlay) = self.overlay.take() {
            return self.on_overlay_key(overlay, key);
        }
        let context = self.context();
        match self.keymap.action(context, &key) {
            Some(action) => self.on_action(action),
            None if context == Context::Find => self.on_find_text(key),
            None if context == Context::Intake => self.on_intake_key(key),
            None if context == Context::Authorization => self.on_authorization_key(key),
            None if context == Context::Scan => self.on_scan_text(key),
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
                self.open_help();
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
            Action::ScreenRoi => self.show_roi_queue(),
            Action::RoiStats => self.open_roi_stats(None),
            Action::ScreenFileRoom => self.open_file_room(false),
            Action::RequestPaperChart => self.request_paper_chart(),
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
                Screen::Roi => self.on_roi_action(action),
                Screen::Request => self.on_request_action(action),
                Screen::Intake => self.on_intake_action(action),
                Screen::Accounting => self.on_accounting_action(action),
                Screen::Authorization => self.on_authorization_action(action),
                Screen::Packet => self.on_packet_action(action),
                Screen::RoiStats => self.on_roi_stats_action(action),
                Screen::FileRoom if self.context() == Context::Scan => self.on_scan_action(action),
                Screen::FileRoom => self.on_file_room_action(action),
            },
        }
    }
}

mod accounting;
mod chart;
mod claims;
pub mod file_room;
pub mod guard;
mod jobs;
mod lookup;
pub mod outage;
mod overlay;
mod queue;
pub mod release_signature;
mod roi;
mod roi_authorization;
mod roi_intake;
mod roi_legal;
mod roi_packet;
mod roi_request;
mod roi_stats;

pub use file_room::{FileRoomCommand, FileRoomMsg};
pub use lookup::PendingSearchAudit;
pub use roi::{KeptForm, RequestChange, RequestRef, RoiCommand, RoiMsg, RoiScreens};

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

#[cfg(test)]
mod roi_tests;

#[cfg(test)]
mod accounting_tests;

#[cfg(test)]
mod roi_authorization_tests;

#[cfg(test)]
mod file_room_tests;
#[cfg(test)]
mod guard_tests;
#[cfg(test)]
mod roi_legal_tests;
#[cfg(test)]
mod roi_packet_tests;
#[cfg(test)]
mod roi_stats_tests;
