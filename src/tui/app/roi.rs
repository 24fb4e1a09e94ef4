//! The release-of-information desk's side of the model: the ROI queue (screen 4), and the
//! messages and commands of every ROI screen. The request screen and intake have their own files
//! (`roi_request.rs`, `roi_intake.rs`).

use super::*;
use crate::desk::roi::{Assignee, RoiQuery};
use crate::domain::role::{Permission, allows};
use crate::store::roi::{RoiQueuePage, RoiQueueRow, RoiRequest, RoiSort};
use crate::tui::screens::roi_intake::{IntakeCheck, IntakeState};
use crate::tui::screens::roi_queue::{Band, RoiQueueState};
use crate::tui::screens::roi_request::RequestState;
use chrono::{DateTime, NaiveDate, Utc};

/// How a request is named to the desk: by the clerk's number, by the row it was listed as, or as
/// the request on screen read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestRef {
    /// Read again to follow work on it: no second look recorded.
    Id(i64),
    /// Opened from a list (the queue, a chart's releases): a look, recorded.
    Row(i64),
    Number(String),
}

/// Work for the desk from the ROI screens. Each answer comes back as a [`RoiMsg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoiCommand {
    LoadQueue {
        id: RequestId,
        query: RoiQuery,
        sort: RoiSort,
        offset: usize,
        append: bool,
    },
    /// The first `limit` rows again, to update the rows on screen where they stand.
    RefreshQueue {
        id: RequestId,
        query: RoiQuery,
        sort: RoiSort,
        limit: usize,
    },
    /// The band: open requests by age, and how many are overdue.
    CountBand,
    OpenRequest {
        id: RequestId,
        request: RequestRef,
    },
    /// A change to a request, decided by the desk; the answer is the request as it now is.
    Change {
        /// The request's number, and the version the clerk saw: a change made meanwhile by
        /// another is refused, naming who.
        number: String,
        version: i64,
        /// The clerk's words for what it did, for the message: `RGH-00041 pended`.
        done: String,
        change: RequestChange,
    },
    /// The patient's requests, newest first, for the chart's Releases tab.
    LoadPatientRequests {
        patient_id: i64,
    },
    SearchRequesters {
        id: RequestId,
        prefix: String,
    },
    /// What the clerk sees before a number is issued.
    CheckIntake {
        patient_id: i64,
        requester_id: Option<i64>,
    },
    /// Log the form: a new request, or a follow-up on an open one (its number and the version
    /// the clerk saw).
    Log {
        form: Box<crate::desk::roi::IntakeForm>,
        follow_up_on: Option<(String, i64)>,
    },
    LoadDraft,
    SaveDraft {
        form: Box<crate::desk::roi::IntakeForm>,
    },
    DiscardDraft,
    /// A patient's accounting of disclosures for a request made on `on`; `follow` when it is the
    /// one on screen read again after a change (no second look recorded).
    LoadAccounting {
        id: RequestId,
        mrn: String,
        on: NaiveDate,
        follow: bool,
    },
    /// Void a disclosure (`D-118`) of the accounting on screen (`mrn` as of `on`), with the reason.
    VoidDisclosure {
        label: String,
        reason: String,
        mrn: String,
        on: NaiveDate,
    },
    /// Print the accounting on screen: text and PDF with the letters.
    PrintAccounting {
        mrn: String,
        on: NaiveDate,
    },
    /// Deliver the accounting on screen to the patient and record it; `proceed` once the patient
    /// chose to go ahead with a repeat one's fee.
    DeliverAccounting {
        mrn: String,
        on: NaiveDate,
        proceed: bool,
    },
    /// The release packet of a request, as it stands today. `again`: read again to follow work on
    /// it, not another look (no event).
    LoadPacket {
        id: RequestId,
        number: String,
        again: bool,
    },
    /// The Director's figures for `from`..=`to`.
    LoadStats {
        id: RequestId,
        from: NaiveDate,
        to: NaiveDate,
    },
}

/// What a clerk asks of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestChange {
    /// A step of the status machine, with its reason when it needs one.
    Step {
        step: crate::domain::roi::status::Step,
        reason: Option<String>,
    },
    /// Assign it (None: to nobody).
    Assign {
        to: Option<String>,
    },
    Extend {
        to: NaiveDate,
        reason: String,
    },
    Pay {
        on: NaiveDate,
        cents: i64,
    },
    /// A write-off or refund of `cents` on the standing invoice, or its void (`cents` 0), with why.
    Adjust {
        kind: crate::domain::roi::fees::AdjustmentKind,
        cents: i64,
        reason: String,
    },
    Release {
        on: NaiveDate,
        /// The packet's pick: the documents the clerk left out, and the confirmation of a partial
        /// release (the request screen's own release sends none and is refused when partial).
        pick: crate::desk::roi::packet::ReleasePick,
        /// The clerk's signature code, which signs it: empty until asked for after the yes.
        code: super::guard::Code,
    },
    /// Quote the fee and record the quote.
    Quote,
    /// Issue the invoice.
    Invoice,
    /// An authorization received (or a corrected one) on `received_on`; its checklist is run and
    /// kept with it.
    Authorization {
        form: Box<crate::domain::roi::AuthorizationForm>,
        received_on: NaiveDate,
    },
    /// A paper received for the request's subpoena or order.
    Legal(crate::domain::roi::legal::LegalPaper),
}

/// The desk's answers to [`RoiCommand`]s.
#[derive(Debug)]
pub enum RoiMsg {
    QueueLoaded {
        id: RequestId,
        append: bool,
        result: Result<RoiQueuePage, String>,
    },
    QueueRefreshed {
        id: RequestId,
        result: Result<RoiQueuePage, String>,
    },
    /// The department's open requests by age, and how many are overdue.
    BandCounted(Result<Band, String>),
    RequestLoaded {
        id: RequestId,
        result: Result<Box<RoiRequest>, String>,
    },
    Changed {
        done: String,
        result: Result<Box<RoiRequest>, String>,
    },
    /// A release's signature code was not taken: nothing was released.
    ReleaseSignatureRefused(super::guard::CodeRefusal),
    PatientRequests {
        patient_id: i64,
        result: Result<Vec<RoiQueueRow>, String>,
    },
    RequestersFound {
        id: RequestId,
        result: Result<Vec<crate::domain::roi::Requester>, String>,
    },
    IntakeChecked(Result<IntakeCheck, String>),
    /// A request logged (`follow_up` false) or a follow-up recorded on an original: the request as
    /// it now is.
    Logged {
        follow_up: bool,
        result: Result<Box<RoiRequest>, String>,
        /// What else was done, or could not be, with it (the authorization that came with a
        /// re-sent request), in the clerk's words.
        also: Option<String>,
    },
    DraftLoaded(Result<Option<Box<KeptForm>>, String>),
    DraftSaved(Result<(), String>),
    AccountingLoaded {
        id: RequestId,
        result: Result<Box<crate::report::accounting::AccountingReport>, String>,
    },
    /// A disclosure voided: the clerk's words for it.
    DisclosureVoided(Result<String, String>),
    /// The accounting printed: the files written.
    AccountingPrinted(Result<Vec<std::path::PathBuf>, String>),
    /// The accounting delivered (what was written and the fee recorded), or why not.
    AccountingDelivered(Result<String, String>),
    PacketLoaded {
        id: RequestId,
        result: Result<Box<crate::desk::roi::packet::PacketView>, String>,
    },
    StatsLoaded {
        id: RequestId,
        result: Result<Box<crate::desk::roi::stats::RoiStatsReport>, String>,
    },
}

/// An intake form kept in the store, with the label of the address-book entry it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptForm {
    pub form: crate::desk::roi::IntakeForm,
    pub requester_label: Option<String>,
    /// When it was kept (None: the form in hand, not read from the store).
    pub at: Option<DateTime<Utc>>,
}

/// Everything the ROI screens hold.
#[derive(Debug)]
pub struct RoiScreens {
    pub queue: RoiQueueState,
    pub request: Option<RequestState>,
    pub intake: Option<IntakeState>,
    /// The authorization form, for the request on screen or for intake.
    pub authorization: Option<crate::tui::screens::roi_authorization::AuthState>,
    /// Where Esc from a request, and from intake, goes back to.
    pub request_return: Screen,
    pub intake_return: Screen,
    /// The request read the screen waits for.
    pub(super) pending_request: Option<RequestId>,
    /// That read is of the request on screen, after a change: it keeps its part and scroll.
    pub(super) refreshing_request: bool,
    /// A change to the request on screen is on its way: a second key waits for it.
    pub(super) changing: bool,
    /// The store changed under the queue, or the request, since they last read it.
    pub(super) queue_stale: bool,
    pub(super) request_stale: bool,
    pub(super) counting: bool,
    pub(super) counts_owed: bool,
    /// `:roi new MRN`: the chart read by MRN whose patient the form is for.
    pub(super) intake_after_chart: Option<RequestId>,
    /// The new form that waits for the draft's answer (a kept one is offered first).
    pub(super) intake_waiting: Option<(crate::desk::roi::IntakeForm, crate::tui::screens::roi_intake::FormPatient)>,
    /// A kept form the clerk chose to go back to, opened once its patient's chart is read.
    pub(super) resume: Option<KeptForm>,
    /// Asked for the kept draft at sign-in, to offer it.
    pub(super) draft_at_start: bool,
    /// The accounting of disclosures on screen, where Esc from it goes, and the read it waits for.
    pub accounting: Option<crate::tui::screens::accounting::AccountingState>,
    pub accounting_return: Screen,
    pub(super) pending_accounting: Option<RequestId>,
    pub(super) accounting_stale: bool,
    /// The release packet of the request on screen, and the read it waits for.
    pub packet: Option<crate::tui::screens::roi_packet::PacketState>,
    pub(super) pending_packet: Option<RequestId>,
    /// The Director's figures on screen (kept when she leaves, to come back to), where Esc from
    /// them goes, and the read they wait for.
    pub stats: Option<crate::tui::screens::roi_stats::RoiStatsState>,
    pub stats_return: Screen,
    pub(super) pending_stats: Option<RequestId>,
}

impl Default for RoiScreens {
    fn default() -> Self {
        Self {
            queue: RoiQueueState::default(),
            request: None,
            intake: None,
            authorization: None,
            request_return: Screen::Roi,
            intake_return: Screen::Chart,
            pending_request: None,
            refreshing_request: false,
            changing: false,
            queue_stale: false,
            request_stale: false,
            counting: false,
            counts_owed: false,
            intake_after_chart: None,
            intake_waiting: None,
            resume: None,
            draft_at_start: false,
            accounting: None,
            accounting_return: Screen::Lookup,
            pending_accounting: None,
            accounting_stale: false,
            packet: None,
            pending_packet: None,
            stats: None,
            stats_return: Screen::Roi,
            pending_stats: None,
        }
    }
}

impl RoiScreens {
    /// The screens of a clerk signed in as `me` (her own requests are marked as hers).
    pub fn with_me(me: String) -> Self {
        let mut screens = Self::default();
        screens.queue.me = me;
        screens
    }
}

impl App {
    pub(super) fn on_roi_msg(&mut self, msg: RoiMsg) -> Vec<Command> {
        match msg {
            RoiMsg::QueueLoaded { id, append, result } => self.on_roi_queue_loaded(id, append, result),
            RoiMsg::QueueRefreshed { id, result } => {
                if self.roi.queue.refreshing != Some(id) {
                    self.dirty = false;
                    return Vec::new();
                }
                self.roi.queue.refreshing = None;
                match result {
                    Ok(page) => self.dirty = self.roi.queue.refresh(page.rows, page.total),
                    Err(e) => self.toast = Some(e),
                }
                self.roi_owed_counts()
            }
            RoiMsg::BandCounted(result) => {
                self.roi.counting = false;
                match result {
                    Ok(band) => {
                        self.dirty = self.roi.queue.band.as_ref() != Some(&band);
                        self.roi.queue.band = Some(band);
                    }
                    Err(e) => self.toast = Some(e),
                }
                self.roi_owed_counts()
            }
            RoiMsg::RequestLoaded { id, result } => self.on_request_loaded(id, result),
            RoiMsg::Changed { done, result } => self.on_request_changed(done, result),
            RoiMsg::ReleaseSignatureRefused(refusal) => self.on_release_signature_refused(refusal),
            RoiMsg::PatientRequests { patient_id, result } => {
                match (self.chart.as_mut(), result) {
                    (Some(chart), Ok(rows)) if chart.chart.patient.patient_id == patient_id => {
                        self.dirty = chart.set_requests(rows);
                    }
                    // A clerk who may not see requests still sees the chart's disclosures, as before
                    // requests were kept: never "no request", which she could not know.
                    _ => self.dirty = false,
                }
                Vec::new()
            }
            RoiMsg::RequestersFound { id, result } => self.on_requesters_found(id, result),
            RoiMsg::IntakeChecked(result) => self.on_intake_checked(result),
            RoiMsg::Logged { follow_up, result, also } => self.on_logged(follow_up, result, also),
            RoiMsg::DraftLoaded(result) => self.on_draft_loaded(result),
            RoiMsg::AccountingLoaded { id, result } => self.on_accounting_loaded(id, result),
            RoiMsg::DisclosureVoided(result) => self.on_disclosure_voided(result),
            RoiMsg::AccountingPrinted(result) => self.on_accounting_printed(result),
            RoiMsg::AccountingDelivered(result) => self.on_accounting_delivered(result),
            RoiMsg::PacketLoaded { id, result } => self.on_packet_loaded(id, result),
            RoiMsg::StatsLoaded { id, result } => self.on_roi_stats_loaded(id, result),
            RoiMsg::DraftSaved(result) => {
                match result {
                    Ok(()) => {
                        if let Some(intake) = self.roi.intake.as_mut() {
                            intake.saved_once = true;
                        }
                    }
                    Err(e) => self.toast = Some(format!("The form could not be kept as a draft: {e}")),
                }
                Vec::new()
            }
        }
    }

    /// Screen 4, read when first shown (later reads follow the change feed, or `r`).
    pub(super) fn show_roi_queue(&mut self) -> Vec<Command> {
        let mut commands = self.flush_search_audit();
        self.screen = Screen::Roi;
        if !self.roi.queue.loaded && self.roi.queue.latest.is_none() {
            commands.extend(self.reload_roi_queue());
        }
        commands.push(Command::LoadInfo);
        commands
    }

    /// The first page again, and then the band: on two cores a count read beside the rows slows
    /// them, so it is asked for once they are in.
    pub(super) fn reload_roi_queue(&mut self) -> Vec<Command> {
        self.roi.counts_owed = true;
        self.reload_roi_page()
    }

    pub(super) fn reload_roi_page(&mut self) -> Vec<Command> {
        let id = self.next_request();
        let queue = &mut self.roi.queue;
        queue.latest = Some(id);
        vec![Command::Roi(RoiCommand::LoadQueue {
            id,
            query: queue.query.clone(),
            sort: queue.sort,
            offset: 0,
            append: false,
        })]
    }

    fn ask_roi_counts(&mut self) -> Command {
        self.roi.counting = true;
        Command::Roi(RoiCommand::CountBand)
    }

    fn roi_owed_counts(&mut self) -> Vec<Command> {
        if self.roi.counts_owed && !self.roi.counting {
            self.roi.counts_owed = false;
            return vec![self.ask_roi_counts()];
        }
        Vec::new()
    }

    /// The rows on screen read again, as many as are loaded, and then the band.
    pub(super) fn follow_roi_queue(&mut self) -> Vec<Command> {
        let id = self.next_request();
        let queue = &mut self.roi.queue;
        queue.refreshing = Some(id);
        let limit = queue.rows.len().max(1) + PAGE_SIZE;
        let command = RoiCommand::RefreshQueue { id, query: queue.query.clone(), sort: queue.sort, limit };
        self.roi.counts_owed = true;
        vec![Command::Roi(command)]
    }

    fn on_roi_queue_loaded(
        &mut self,
        id: RequestId,
        append: bool,
        result: Result<RoiQueuePage, String>,
    ) -> Vec<Command> {
        if self.roi.queue.latest != Some(id) {
            self.dirty = false;
            return Vec::new();
        }
        self.roi.queue.latest = None;
        match result {
            Ok(page) => self.roi.queue.show(page.rows, page.total, append),
            Err(e) => {
                self.roi.queue.error = Some(e);
                self.roi.queue.loaded = true;
            }
        }
        self.roi_owed_counts()
    }

    pub(super) fn on_roi_action(&mut self, action: Action) -> Vec<Command> {
        let page = self.lookup.visible_rows as isize;
        match action {
            Action::NextRow => self.roi_move(1),
            Action::PrevRow => self.roi_move(-1),
            Action::NextPage => self.roi_move(page),
            Action::PrevPage => self.roi_move(-page),
            Action::FirstRow => self.roi_move(isize::MIN / 2),
            Action::LastRow => self.roi_move(isize::MAX / 2),
            Action::CycleSort => {
                self.roi.queue.next_sort();
                self.reload_roi_page()
            }
            Action::ToggleOverdue => {
                let query = &mut self.roi.queue.query;
                query.overdue = !query.overdue;
                if query.overdue {
                    query.due_within = None;
                }
                self.reload_roi_page()
            }
            Action::CycleDueWithin => {
                let query = &mut self.roi.queue.query;
                query.due_within = match query.due_within {
                    Some(5) => Some(10),
                    Some(10) => None,
                    _ => Some(5),
                };
                if query.due_within.is_some() {
                    query.overdue = false;
                }
                self.reload_roi_page()
            }
            Action::CycleClaimFilter => {
                let query = &mut self.roi.queue.query;
                query.assignee = match query.assignee {
                    None => Some(Assignee::Me),
                    Some(Assignee::Me) => Some(Assignee::Nobody),
                    Some(_) => None,
                };
                self.reload_roi_page()
            }
            Action::AssignTo => self.open_palette("roi assign "),
            Action::Reload => self.reload_roi_queue(),
            Action::TakeItems => {
                let me = self.header.username.clone();
                self.assign_highlighted(Some(me))
            }
            Action::NewRequest => self.open_palette("roi new "),
            Action::OpenSelected => {
                let Some(row) = self.roi.queue.selected_row() else {
                    self.dirty = false;
                    return Vec::new();
                };
                let id = row.id;
                self.open_request(RequestRef::Row(id), Screen::Roi)
            }
            Action::Back => {
                self.screen = Screen::Lookup;
                Vec::new()
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    fn roi_move(&mut self, delta: isize) -> Vec<Command> {
        let at_end = self.roi.queue.move_selection(delta);
        if at_end && self.roi.queue.has_more() && self.roi.queue.latest.is_none() {
            let id = self.next_request();
            let queue = &mut self.roi.queue;
            queue.latest = Some(id);
            return vec![Command::Roi(RoiCommand::LoadQueue {
                id,
                query: queue.query.clone(),
                sort: queue.sort,
                offset: queue.rows.len(),
                append: true,
            })];
        }
        Vec::new()
    }

    /// `t` (to the clerk herself) or `:roi assign USER` on the queue's highlighted request or the
    /// request on screen.
    pub(super) fn assign_highlighted(&mut self, to: Option<String>) -> Vec<Command> {
        let target = match self.screen {
            Screen::Request => self
                .roi
                .request
                .as_ref()
                .map(|r| (r.request.version, r.request.number.to_string(), r.request.assigned_to.clone())),
            _ => self.roi.queue.selected_row().map(|r| (r.version, r.number.to_string(), r.assigned_to.clone())),
        };
        let Some((version, number, now)) = target else {
            self.toast = Some("No request here to assign: open one, or highlight one on the ROI queue (4).".into());
            return Vec::new();
        };
        if let Err(problem) = self.may_roi(Permission::LogRequests, "assign requests") {
            self.toast = Some(problem);
            return Vec::new();
        }
        if now == to {
            self.toast = Some(match &to {
                Some(who) if *who == self.header.username => format!("{number} is already yours."),
                Some(who) => format!("{number} is already assigned to {}.", crate::domain::text::clean(who)),
                None => format!("{number} is assigned to nobody already."),
            });
            return Vec::new();
        }
        let done = match &to {
            Some(who) if *who == self.header.username => format!("{number} is yours now"),
            Some(who) => format!("{number} assigned to {}", crate::domain::text::clean(who)),
            None => format!("{number} is assigned to nobody now"),
        };
        let command = Command::Roi(RoiCommand::Change {
            number: number.clone(),
            version,
            done,
            change: RequestChange::Assign { to: to.clone() },
        });
        match (&now, &to) {
            // Taking a request another clerk has is asked first: she may be working it.
            (Some(holder), _) if Some(holder) != to.as_ref() => {
                let prompt = match &to {
                    Some(who) if *who == self.header.username => {
                        format!("{number} is assigned to {}. Take it over? (y/N)", crate::domain::text::clean(holder))
                    }
                    Some(who) => format!(
                        "Assign {number} from {} to {}? (y/N)",
                        crate::domain::text::clean(holder),
                        crate::domain::text::clean(who)
                    ),
                    None => format!(
                        "Take {number} away from {}, assigned to nobody? (y/N)",
                        crate::domain::text::clean(holder)
                    ),
                };
                self.overlay = Some(Overlay::Confirm { prompt, command });
                Vec::new()
            }
            _ => {
                self.roi.changing = true;
                vec![command]
            }
        }
    }

    /// Refuses before any question what the clerk's roles do not allow: `you (mlee) may not
    /// release records: that needs roi_specialist, supervisor or director`.
    pub(super) fn may_roi(&self, permission: Permission, what: &str) -> Result<(), String> {
        if allows(&self.header.roles, permission) {
            return Ok(());
        }
        Err(format!(
            "you ({}) may not {what}: that needs {}",
            crate::domain::text::clean(&self.header.username),
            permission.roles_needed()
        ))
    }

    /// The store moved requests: the queue, the request and the chart's list are marked, and read
    /// again when in view.
    pub(super) fn on_requests_changed(&mut self) -> Vec<Command> {
        if self.roi.queue.loaded {
            self.roi.queue_stale = true;
        }
        if self.roi.request.is_some() {
            self.roi.request_stale = true;
        }
        if self.roi.accounting.is_some() {
            self.roi.accounting_stale = true;
        }
        match self.chart.as_ref() {
            // The Releases tab of the open chart is read at once: it is small, and the tab's count
            // shows on every section.
            Some(chart) if chart.requests.is_some() => {
                vec![Command::Roi(RoiCommand::LoadPatientRequests { patient_id: chart.chart.patient.patient_id })]
            }
            _ => Vec::new(),
        }
    }

    /// What the store changed under the ROI screen in view, read again.
    pub(super) fn roi_catch_up(&mut self) -> Vec<Command> {
        match self.screen {
            Screen::Roi
                if self.roi.queue_stale && self.roi.queue.latest.is_none() && self.roi.queue.refreshing.is_none() =>
            {
                self.roi.queue_stale = false;
                self.follow_roi_queue()
            }
            Screen::Request if self.roi.request_stale && self.roi.pending_request.is_none() && !self.roi.changing => {
                self.roi.request_stale = false;
                self.reread_request()
            }
            Screen::Packet if self.roi.request_stale && self.roi.pending_packet.is_none() && !self.roi.changing => {
                self.roi.request_stale = false;
                let mut commands = self.follow_packet();
                commands.extend(self.reread_request());
                commands
            }
            Screen::Accounting if self.roi.accounting_stale && self.roi.pending_accounting.is_none() => {
                self.roi.accounting_stale = false;
                self.follow_accounting()
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn run_roi_palette(&mut self, command: crate::tui::widgets::palette::RoiPalette) -> Vec<Command> {
        use crate::tui::widgets::palette::RoiPalette;
        match command {
            RoiPalette::Queue => self.show_roi_queue(),
            RoiPalette::Filter(terms) => self.filter_roi(terms),
            RoiPalette::New(mrn) => self.intake_by_mrn(mrn),
            RoiPalette::Open(number) => {
                let from =
                    if matches!(self.screen, Screen::Request | Screen::Intake) { Screen::Roi } else { self.screen };
                self.open_request(RequestRef::Number(number), from)
            }
            RoiPalette::Step { step, reason } => self.step(step, Some(reason)),
            RoiPalette::Authorization => self.open_authorization(),
            RoiPalette::Assign(who) => {
                let to = match who.to_ascii_lowercase().as_str() {
                    "me" => Some(self.header.username.clone()),
                    "none" | "nobody" => None,
                    _ => Some(who),
                };
                self.assign_highlighted(to)
            }
            RoiPalette::Extend { to, reason } => match crate::domain::dates::parse_date(&to, self.today) {
                Ok(to) => self.extend_request(to, reason),
                Err(problem) => {
                    self.toast = Some(format!("roi extend DATE why: {problem}"));
                    Vec::new()
                }
            },
            RoiPalette::Pay { on, amount } => {
                let on = match self.typed_date(&on) {
                    Ok(on) => on,
                    Err(problem) => {
                        self.toast = Some(format!("roi pay DATE AMOUNT: {problem}"));
                        return Vec::new();
                    }
                };
                match crate::desk::roi::intake::parse_dollars(&amount) {
                    Ok(cents) if cents > 0 => self.pay_request(on, cents),
                    Ok(_) => {
                        self.toast = Some("roi pay DATE AMOUNT: a payment is more than $0.00".into());
                        Vec::new()
                    }
                    Err(problem) => {
                        self.toast = Some(format!("roi pay DATE AMOUNT: {problem}"));
                        Vec::new()
                    }
                }
            }
            RoiPalette::Legal { paper, on, rest } => self.legal_paper_typed(paper, &on, &rest),
            RoiPalette::Adjust { kind, amount, reason } => self.adjust_invoice(kind, amount.as_deref(), &reason),
            RoiPalette::Release { on } => {
                let on = match on.map(|text| self.typed_date(&text)).transpose() {
                    Ok(on) => on.unwrap_or(self.today),
                    Err(problem) => {
                        self.toast = Some(format!("roi release [DATE]: {problem}"));
                        return Vec::new();
                    }
                };
                self.release_request(on)
            }
        }
    }

    /// `:roi status=pended type=subpoena requester=smith assigned=me overdue due=5`; `:roi clear`.
    /// Each value is checked here against the words the desk knows, before the queue narrows.
    pub(super) fn filter_roi(&mut self, terms: Vec<(String, String)>) -> Vec<Command> {
        let mut query = self.roi.queue.query.clone();
        for (key, value) in terms {
            let refused = |what: &str| Some(format!("roi {key}={}: {what}", crate::domain::text::clean(&value)));
            let problem = match key.as_str() {
                "clear" => {
                    query = RoiQuery::default();
                    None
                }
                "overdue" => {
                    query.overdue = true;
                    query.due_within = None;
                    None
                }
                "due" => match value.parse::<u32>() {
                    Ok(n) if n <= 3650 => {
                        query.due_within = Some(n);
                        query.overdue = false;
                        None
                    }
                    _ => refused("the number of days, like due=5"),
                },
                "status" => {
                    let mut statuses = Vec::new();
                    let mut problem = None;
                    for word in value.split(',').filter(|w| !w.eq_ignore_ascii_case("open")) {
                        match crate::domain::roi::RequestStatus::parse(word) {
                            Ok(status) => statuses.push(status),
                            Err(e) => problem = Some(format!("roi status: {e}")),
                        }
                    }
                    query.statuses = statuses;
                    problem
                }
                "type" => match crate::domain::roi::RequestType::parse(&value) {
                    Ok(kind) => {
                        query.request_type = Some(kind);
                        None
                    }
                    Err(e) => Some(format!("roi type: {e}")),
                },
                // Words of a name are joined by `_` on the command line: `requester=smith_jones`.
                "requester" => {
                    query.requester = Some(value.replace('_', " "));
                    None
                }
                "assigned" => {
                    query.assignee = match value.to_ascii_lowercase().as_str() {
                        "me" => Some(Assignee::Me),
                        "none" | "nobody" => Some(Assignee::Nobody),
                        "any" | "all" => None,
                        _ => Some(Assignee::User(value.clone())),
                    };
                    None
                }
                _ => refused("filter by status=, type=, requester=, assigned=me|none|USER, overdue, due=N (or clear)"),
            };
            if let Some(problem) = problem {
                self.toast = Some(problem);
                return Vec::new();
            }
        }
        self.roi.queue.query = query;
        let mut commands = self.flush_search_audit();
        self.screen = Screen::Roi;
        if self.roi.queue.band.is_none() {
            self.roi.counts_owed = true;
        }
        commands.extend(self.reload_roi_page());
        commands
    }
}
