//! Runs the model's commands against the desk on worker threads and brings each answer back as a
//! message. The render path never waits on the store.

use super::app::{Command, HeaderInfo, Msg, PAGE_SIZE, RequestId};
use crate::desk::{Desk, DeskError};
use crate::store::{ChangeStamp, Page};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

pub struct Effects {
    desk: Desk,
    /// Where notices' letters go (`DATA_DIR/letters`).
    letters_dir: Option<std::path::PathBuf>,
    tx: UnboundedSender<Msg>,
    search: Arc<SearchSlot>,
    /// The last desk call could not reach the store: the next that does says so.
    store_down: Arc<AtomicBool>,
    /// When the band's last count started: counts are spaced (see [`COUNT_SPACING`]).
    last_count: std::sync::Mutex<Option<std::time::Instant>>,
    /// The order the screen asked for its draft's saves and discards in (see [`DraftOrder`]).
    drafts: Arc<DraftOrder>,
}

/// Draft writes land in the order the screen asked for them. Each save runs on a worker thread,
/// and the last save (at a hang-up) runs in line: without an order, an earlier save still on its
/// way could land after it and keep the form as it was a few keys before — or bring back a draft
/// already discarded. Each write takes a ticket when asked for; one whose ticket is older than the
/// last written is dropped.
#[derive(Default)]
pub(super) struct DraftOrder {
    issued: std::sync::atomic::AtomicU64,
    written: std::sync::Mutex<u64>,
}

impl DraftOrder {
    pub(super) fn ticket(&self) -> u64 {
        self.issued.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Runs `write` unless a later ticket was written already; the writes never overlap.
    pub(super) fn write<T>(&self, ticket: u64, write: impl FnOnce() -> T) -> Option<T> {
        let mut written = match self.written.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if ticket < *written {
            return None;
        }
        *written = ticket;
        Some(write())
    }
}

/// The least time between two counts of the deficiency band. A count reads every open item (0.14 s
/// of the server's CPU at a million patients), and every open queue in the department counts again
/// after each change anyone makes: sixteen clerks at work would keep every workstation's count
/// running back to back. Spaced, the band is at most this late, and changes that arrive meanwhile
/// are one count (the app asks again only once the last count came back).
const COUNT_SPACING: std::time::Duration = std::time::Duration::from_secs(2);

/// What kind of desk call a command makes, for what its failing to reach the store means.
enum Kind {
    /// A read: while the store cannot be reached its failure is not shown (the screen keeps what
    /// it showed) and the read is run again when the store is back.
    Read(Command),
    /// An edit: the clerk is told it was not saved; it is never run again by itself, so it is never
    /// applied twice.
    Edit,
    /// A search's or a sign-in's audit event: one known not to be saved is written when the store
    /// is back, since every search shown is audited; one whose commit was lost is said, not retried.
    Audit(Command),
    /// Long jobs: their own message says what happened.
    Other,
}

/// A desk call that could not reach the store.
struct Unreached {
    /// The store's words: what was tried, what failed.
    reason: String,
    /// The connection was lost while a change was committed: it may have been saved.
    saved_unknown: bool,
}

/// One desk call's failure, in the clerk's words, noting whether the store could not be reached.
struct Watch {
    edit: bool,
    unreached: std::cell::RefCell<Option<Unreached>>,
}

impl Watch {
    fn new(edit: bool) -> Self {
        Self { edit, unreached: std::cell::RefCell::new(None) }
    }

    fn unreached(self) -> Option<Unreached> {
        self.unreached.into_inner()
    }

    fn fail(&self, e: DeskError) -> String {
        let text = e.to_string();
        if !e.is_unreachable() {
            return text;
        }
        let saved_unknown = matches!(&e, DeskError::Store(store) if store.outcome_unknown());
        *self.unreached.borrow_mut() = Some(Unreached { reason: text.clone(), saved_unknown });
        match e {
            // A connection lost while the change was committed may have saved it: the store's
            // message says to look, and "not saved" would be a guess.
            DeskError::Store(store) if self.edit && !store.outcome_unknown() => {
                format!("Not saved: {text}. Nothing was changed; make the change again when the store answers.")
            }
            _ => text,
        }
    }
}

/// The messages one desk call's answer makes: a read that could not reach the store is held back
/// for its retry; any other answer goes to the screen, after word that the store is back if it was
/// away, or before word that it is away.
fn answer(store_down: &AtomicBool, kind: Kind, unreached: Option<Unreached>, msg: Msg) -> Vec<Msg> {
    let msg = (!matches!(&msg, Msg::BackgroundFailed(m) if m.is_empty())).then_some(msg);
    match (unreached, kind) {
        (Some(Unreached { reason, .. }), Kind::Read(command))
        | (Some(Unreached { reason, saved_unknown: false }), Kind::Audit(command)) => {
            store_down.store(true, Ordering::SeqCst);
            vec![Msg::StoreUnreachable { reason, retry: Some(command) }]
        }
        (Some(Unreached { reason, .. }), Kind::Edit | Kind::Audit(_) | Kind::Other) => {
            store_down.store(true, Ordering::SeqCst);
            msg.into_iter().chain([Msg::StoreUnreachable { reason, retry: None }]).collect()
        }
        (None, _) => {
            let back = store_down.swap(false, Ordering::SeqCst).then_some(Msg::StoreReachable);
            back.into_iter().chain(msg).collect()
        }
    }
}

/// Search-as-you-type keeps at most one search waiting: a newer keystroke replaces the waiting one
/// (gitui's AsyncSingleJob), so a fast typist never queues up stale queries.
#[derive(Default)]
struct SearchSlot {
    next: Mutex<Option<SearchJob>>,
    ready: Condvar,
}

struct SearchJob {
    id: RequestId,
    text: String,
    offset: usize,
    append: bool,
}

impl Effects {
    /// Now on the department's wall clock, in the facility's zone as every time the screens show.
    pub fn wall_clock(&self) -> chrono::NaiveDateTime {
        self.desk.local_time(self.desk.now())
    }

    pub fn new(desk: Desk, tx: UnboundedSender<Msg>, letters_dir: Option<std::path::PathBuf>) -> std::io::Result<Self> {
        let search = Arc::new(SearchSlot::default());
        let store_down = Arc::new(AtomicBool::new(false));
        let worker_slot = search.clone();
        let worker_desk = desk.clone();
        let worker_tx = tx.clone();
        let worker_down = store_down.clone();
        std::thread::Builder::new().name("chartroom-search".into()).spawn(move || {
            'jobs: loop {
                let job = {
                    let mut next = match worker_slot.next.lock() {
                        Ok(guard) => guard,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    loop {
                        if let Some(job) = next.take() {
                            break job;
                        }
                        next = match worker_slot.ready.wait(next) {
                            Ok(guard) => guard,
                            Err(poisoned) => poisoned.into_inner(),
                        };
                    }
                };
                let watch = Watch::new(false);
                let result = worker_desk
                    .search(&job.text, Page { offset: job.offset, limit: PAGE_SIZE })
                    .map_err(|e| watch.fail(e));
                let msg = Msg::SearchDone { id: job.id, append: job.append, result };
                let retry = Command::Search { id: job.id, text: job.text, offset: job.offset, append: job.append };
                for msg in answer(&worker_down, Kind::Read(retry), watch.unreached(), msg) {
                    if worker_tx.send(msg).is_err() {
                        break 'jobs;
                    }
                }
            }
        })?;
        Ok(Self {
            desk,
            letters_dir,
            tx,
            search,
            store_down,
            last_count: std::sync::Mutex::new(None),
            drafts: Arc::new(DraftOrder::default()),
        })
    }

    pub fn run(&self, command: Command) {
        let kind = match &command {
            Command::LoadInfo
            | Command::OpenChart { .. }
            | Command::OpenChartByMrn { .. }
            | Command::RefreshChart { .. }
            | Command::LoadQueue { .. }
            | Command::RefreshQueue { .. }
            | Command::CountQueue
            | Command::LoadPhysician { .. }
            | Command::SelectAllInFilter { .. }
            | Command::CheckFilter { .. }
            | Command::LoadStandings { .. }
            | Command::LoadPrivacy
            | Command::LoadProviders => Kind::Read(command.clone()),
            Command::CompleteDeficiencies { .. }
            | Command::ReassignDeficiencies { .. }
            | Command::PauseAging { .. }
            | Command::MoveDeficiencies { .. }
            | Command::CommentDeficiencies { .. }
            | Command::TakeDeficiencies { .. }
            | Command::ReleaseDeficiencies { .. } => Kind::Edit,
            Command::RecordSearch { .. } | Command::RecordSignIn => Kind::Audit(command.clone()),
            _ => Kind::Other,
        };
        match command {
            Command::Roi(command) => self.run_roi(command),
            Command::FileRoom(command) => self.run_file_room(command),
            Command::Search { id, text, offset, append } => {
                if let Ok(mut next) = self.search.next.lock() {
                    *next = Some(SearchJob { id, text, offset, append });
                    self.search.ready.notify_one();
                }
            }
            Command::LoadInfo => self.background(kind, |desk, watch| {
                // The role as the store holds it now: a change made while the desk is open shows.
                let loaded = desk.current_user().and_then(|user| Ok((user, desk.store_info()?)));
                if let Err(e @ DeskError::Disabled { .. }) = &loaded {
                    return Msg::Disabled(e.to_string());
                }
                Msg::InfoLoaded(
                    loaded
                        .map(|(user, info)| {
                            let facility = match info.facilities.first() {
                                Some(f) => format!("{} ({})", f.name, f.code),
                                None => "no facility yet".into(),
                            };
                            let now = HeaderInfo::new(&user.username, &user.roles);
                            HeaderInfo {
                                facility,
                                is_demo: info.is_demo,
                                role: now.role,
                                roles: now.roles,
                                facilities: info.facilities,
                                ..HeaderInfo::default()
                            }
                        })
                        .map_err(|e| watch.fail(e)),
                )
            }),
            Command::OpenChart { id, patient_id, encounter_id } => self.background(kind, move |desk, watch| {
                chart_answer(id, encounter_id, desk.open_chart(patient_id), watch)
            }),
            Command::RefreshChart { id, patient_id } => self.background(kind, move |desk, watch| Msg::ChartLoaded {
                id,
                encounter_id: None,
                result: desk.reread_chart(patient_id).map(Box::new).map_err(|e| watch.fail(e)),
            }),
            Command::OpenChartByMrn { id, mrn } => {
                self.background(kind, move |desk, watch| chart_answer(id, None, desk.open_chart_by_mrn(&mrn), watch))
            }
            Command::BreakGlass { id, patient_id, encounter_id, reason, code } => {
                self.background(kind, move |desk, watch| match desk.break_glass(patient_id, &reason, &code.0) {
                    Ok(()) => chart_answer(id, encounter_id, desk.open_chart(patient_id), watch),
                    Err(e) => Msg::GlassRefused { id, refusal: refusal(e, watch) },
                })
            }
            Command::Unlock { code } => self.background(kind, move |desk, watch| {
                Msg::Unlocked(desk.unlock(&code.0).map_err(|e| refusal(e, watch)))
            }),
            Command::RecordLock(why) => self.background(kind, move |desk, watch| match desk.record_lock(why) {
                Ok(()) => Msg::BackgroundFailed(String::new()),
                Err(e) => Msg::BackgroundFailed(format!("could not write the audit trail: {}", watch.fail(e))),
            }),
            Command::LoadPrivacy => self.background(kind, |desk, watch| {
                Msg::PrivacyLoaded(
                    desk.privacy_glass_events(PRIVACY_ROWS)
                        .map(|events| {
                            events
                                .into_iter()
                                .map(|e| crate::tui::app::guard::GlassRow {
                                    at: desk.local_time(e.at),
                                    username: e.username,
                                    mrn: e.patient_mrn.or(e.entity_id).unwrap_or_default(),
                                    source: e.source,
                                    detail: e.detail,
                                })
                                .collect()
                        })
                        .map_err(|e| watch.fail(e)),
                )
            }),
            Command::RecordSearch { shape, shown, more } => {
                self.background(kind, move |desk, watch| match desk.record_search_shown(shape, &shown, more) {
                    Ok(()) => Msg::BackgroundFailed(String::new()),
                    Err(e) => Msg::BackgroundFailed(format!("could not write the audit trail: {}", watch.fail(e))),
                })
            }
            Command::RecordSignIn => self.background(kind, |desk, watch| match desk.record_sign_in() {
                Ok(()) => Msg::BackgroundFailed(String::new()),
                Err(e) => Msg::BackgroundFailed(format!("could not write the audit trail: {}", watch.fail(e))),
            }),
            Command::LoadQueue { id, filter, sort, offset, append } => {
                self.background(kind, move |desk, watch| Msg::QueueLoaded {
                    id,
                    append,
                    result: desk
                        .deficiency_queue(&filter, sort, crate::store::Page { offset, limit: PAGE_SIZE })
                        .map_err(|e| watch.fail(e)),
                })
            }
            Command::RefreshQueue { id, filter, sort, limit } => {
                self.background(kind, move |desk, watch| Msg::QueueRefreshed {
                    id,
                    result: desk
                        .deficiency_queue(&filter, sort, crate::store::Page { offset: 0, limit })
                        .map_err(|e| watch.fail(e)),
                })
            }
            Command::CountQueue => {
                let wait = {
                    let mut last = match self.last_count.lock() {
                        Ok(guard) => guard,
                        Err(poisoned) => poisoned.into_inner(),
                    };
                    let now = std::time::Instant::now();
                    let wait = last.map_or(std::time::Duration::ZERO, |at| COUNT_SPACING.saturating_sub(now - at));
                    *last = Some(now + wait);
                    wait
                };
                self.background(kind, move |desk, watch| {
                    // On the blocking pool, off the screen's path: the rows are already shown.
                    std::thread::sleep(wait);
                    let today = desk.today();
                    Msg::QueueCounted(desk.deficiency_counts(today).map_err(|e| watch.fail(e)))
                })
            }
            Command::CompleteDeficiencies { items, resolved_on } => {
                let letters = self.letters_dir.clone();
                self.background(kind, move |desk, watch| Msg::Completed {
                    verb: "completed",
                    result: desk
                        .complete_deficiencies(items, resolved_on, letters.as_deref())
                        .map_err(|e| watch.fail(e)),
                })
            }
            Command::RunNightly { date } => {
                let letters = self.letters_dir.clone();
                let progress_tx = self.tx.clone();
                self.background(kind, move |desk, watch| {
                    let mut progress = |line: String| {
                        let _ = progress_tx.send(Msg::Progress(line));
                    };
                    Msg::NightlyDone(
                        desk.nightly_with_progress(date, letters.as_deref(), &mut progress).map_err(|e| watch.fail(e)),
                    )
                })
            }
            Command::RunImport { fhir, paths, facility, open_since, into_demo } => {
                let progress_tx = self.tx.clone();
                self.background(kind, move |desk, watch| {
                    let mut progress = |step: &crate::desk::import::ImportProgress| {
                        let _ = progress_tx.send(Msg::Progress(format!("Importing: {}", step.bar(20))));
                    };
                    let mode = crate::desk::import::ImportMode::default();
                    if let Err(e) = desk.check_import_target(into_demo) {
                        return Msg::ImportDone(Err(watch.fail(e)));
                    }
                    let report = match (fhir, paths.first()) {
                        (true, _) => desk.import_fhir(&paths, facility.as_deref(), open_since, mode, &mut progress),
                        (false, Some(dir)) => {
                            desk.import_synthea_csv_with(dir, facility.as_deref(), open_since, mode, &mut progress)
                        }
                        (false, None) => Err(crate::desk::DeskError::Invalid("import csv DIR: no directory".into())),
                    };
                    Msg::ImportDone(report.map(Box::new).map_err(|e| watch.fail(e)))
                })
            }
            Command::LoadStandings { provider_ids } => self.background(kind, move |desk, watch| {
                let today = desk.today();
                Msg::StandingsLoaded(desk.physician_standings_of(&provider_ids, today).map_err(|e| watch.fail(e)))
            }),
            Command::CheckFilter { base, terms } => self.background(kind, move |desk, watch| {
                Msg::FilterChecked(desk.queue_filter(base, &terms).map_err(|e| watch.fail(e)))
            }),
            Command::SelectAllInFilter { filter } => self.background(kind, move |desk, watch| {
                Msg::FilterSelected(desk.deficiency_ids(&filter).map_err(|e| watch.fail(e)))
            }),
            Command::LoadPhysician { npi } => self.background(kind, move |desk, watch| {
                let today = desk.today();
                Msg::PhysicianLoaded(desk.physician_standing(&npi, today).map_err(|e| watch.fail(e)))
            }),
            Command::ReassignDeficiencies { items, npi } => self.background(kind, move |desk, watch| Msg::Completed {
                verb: "reassigned",
                result: desk.reassign_deficiencies(items, &npi).map_err(|e| watch.fail(e)),
            }),
            Command::PauseAging { items, from, to, reason } => {
                self.background(kind, move |desk, watch| Msg::Completed {
                    verb: "paused",
                    result: desk.pause_aging(items, from, to, &reason).map_err(|e| watch.fail(e)),
                })
            }
            Command::MoveDeficiencies { items, to, note } => self.background(kind, move |desk, watch| Msg::Completed {
                verb: if to == crate::domain::chart::DeficiencyStatus::Voided { "voided" } else { "moved" },
                result: desk.move_deficiencies(items, to, &note).map_err(|e| watch.fail(e)),
            }),
            Command::CommentDeficiencies { items, text } => self.background(kind, move |desk, watch| Msg::Completed {
                verb: "commented",
                result: desk.comment_deficiencies(items, &text).map_err(|e| watch.fail(e)),
            }),
            Command::TakeDeficiencies { ids, take_over } => self.background(kind, move |desk, watch| {
                Msg::Claimed(desk.take_deficiencies(&ids, take_over).map_err(|e| watch.fail(e)))
            }),
            Command::ReleaseDeficiencies { ids, take_over } => self.background(kind, move |desk, watch| {
                Msg::Claimed(desk.release_deficiencies(&ids, take_over).map_err(|e| watch.fail(e)))
            }),
            Command::LoadProviders => self.background(kind, |desk, watch| {
                Msg::ProvidersLoaded(
                    desk.palette_providers()
                        .map(|list| {
                            list.into_iter()
                                .map(|p| crate::tui::widgets::palette::ProviderChoice {
                                    name: p.display(),
                                    npi: p.npi,
                                    specialty: p.specialty,
                                })
                                .collect()
                        })
                        .map_err(|e| watch.fail(e)),
                )
            }),
            Command::RetryAfter(wait) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    let _ = tx.send(Msg::RetryDue);
                });
            }
            // The event loop handles these itself.
            Command::Suspend | Command::Quit => {}
        }
    }

    /// Follows the store's change feed for as long as the program runs: a task on the blocking pool
    /// waits on the store and sends `StoreChanged` with the topics that moved. It ends within one
    /// wait once the event loop is gone (the runtime waits for it when the program leaves).
    pub fn follow_store(&self) {
        let desk = self.desk.clone();
        let tx = self.tx.clone();
        let store_down = self.store_down.clone();
        tokio::task::spawn_blocking(move || follow_store(&desk, &tx, &store_down));
    }

    /// Runs a blocking desk call on tokio's blocking pool and sends its message (see [`answer`]).
    fn background(&self, kind: Kind, job: impl FnOnce(&Desk, &Watch) -> Msg + Send + 'static) {
        let desk = self.desk.clone();
        let tx = self.tx.clone();
        let store_down = self.store_down.clone();
        tokio::task::spawn_blocking(move || {
            let watch = Watch::new(matches!(kind, Kind::Edit));
            let msg = job(&desk, &watch);
            for msg in answer(&store_down, kind, watch.unreached(), msg) {
                let _ = tx.send(msg);
            }
        });
    }

    /// Runs the commands that must finish before the program exits (the last audit events).
    pub fn run_to_completion(&self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::RecordSearch { shape, shown, more } => {
                    if let Err(e) = self.desk.record_search_shown(shape, &shown, more) {
                        tracing::warn!(error = %e, "search audit event not written at exit");
                    }
                }
                // The form a clerk was filling in when the session ended: kept before it goes.
                Command::Roi(crate::tui::app::RoiCommand::SaveDraft { form }) => {
                    let ticket = self.drafts.ticket();
                    if let Some(Err(e)) = self.drafts.write(ticket, || self.desk.save_intake_draft(&form)) {
                        tracing::warn!(error = %e, "the request form was not kept at exit");
                    }
                }
                other => self.run(other),
            }
        }
    }
}

mod accounting;
mod file_room;
mod roi;

pub use file_room::answer_file_room;

/// The break-the-glass events the privacy screen lists.
const PRIVACY_ROWS: usize = 500;

/// A chart's answer: the chart, the warning of a restricted one, or why not.
fn chart_answer(
    id: RequestId,
    encounter_id: Option<i64>,
    result: crate::desk::DeskResult<crate::domain::chart::Chart>,
    watch: &Watch,
) -> Msg {
    match result {
        Err(DeskError::SensitiveChart { patient_id, name }) => {
            Msg::SensitiveChart { id, patient_id, encounter_id, name }
        }
        result => Msg::ChartLoaded { id, encounter_id, result: result.map(Box::new).map_err(|e| watch.fail(e)) },
    }
}

/// Why a signature code was not taken: a wrong one counts toward the lock.
fn refusal(e: DeskError, watch: &Watch) -> crate::tui::app::guard::CodeRefusal {
    use crate::tui::app::guard::CodeRefusal;
    match e {
        DeskError::WrongSignature { left } => CodeRefusal::Wrong { left: u8::try_from(left).unwrap_or(u8::MAX) },
        e => CodeRefusal::Other(watch.fail(e)),
    }
}

pub use roi::answer_roi;

/// How long one wait on the change feed lasts: also how long the program may take to leave after
/// its last frame.
const FEED_WAIT: Duration = Duration::from_millis(250);
/// The longest pause between tries while the feed fails (the store unreachable, a file replaced).
const FEED_RETRY_MAX: Duration = Duration::from_secs(5);

/// The feed's loop. It is also the first to know that a networked store went away while the
/// clerk reads (its session to the server drops at once): it says so as a read that could not
/// reach the store would, so the banner shows and the screen's retries begin, and that the store is
/// back when it follows again.
fn follow_store(desk: &Desk, tx: &UnboundedSender<Msg>, store_down: &AtomicBool) {
    // Unknown at first: the first answer is the store's stamp as the screens first read it.
    let mut since = ChangeStamp::default();
    let mut retry = Duration::ZERO;
    while !tx.is_closed() {
        match desk.wait_for_change(&since, FEED_WAIT) {
            Ok(now) => {
                if retry > Duration::ZERO {
                    tracing::info!("following the store's changes again");
                    retry = Duration::ZERO;
                    if store_down.swap(false, Ordering::SeqCst) && tx.send(Msg::StoreReachable).is_err() {
                        return;
                    }
                }
                let moved = now.moved_since(&since);
                if !since.is_unknown() && !moved.is_empty() && tx.send(Msg::StoreChanged(moved)).is_err() {
                    return;
                }
                since = now;
            }
            Err(e) => {
                if retry == Duration::ZERO {
                    tracing::warn!(error = %e, "could not follow the store's changes; trying again");
                    if e.is_unreachable() {
                        store_down.store(true, Ordering::SeqCst);
                        let _ = tx.send(Msg::StoreUnreachable { reason: e.to_string(), retry: None });
                    }
                }
                retry = (retry * 2).clamp(Duration::from_millis(250), FEED_RETRY_MAX);
                let until = std::time::Instant::now() + retry;
                while std::time::Instant::now() < until && !tx.is_closed() {
                    std::thread::sleep(FEED_WAIT.min(until.saturating_duration_since(std::time::Instant::now())));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_save_asked_for_earlier_never_lands_over_a_later_one() {
        let order = DraftOrder::default();
        let (first, second) = (order.ticket(), order.ticket());
        let mut kept = Vec::new();
        // The later one (the save at a hang-up) lands first; the earlier, still on its way, is dropped.
        assert_eq!(order.write(second, || kept.push("second")), Some(()));
        assert_eq!(order.write(first, || kept.push("first")), None);
        let third = order.ticket();
        assert_eq!(order.write(third, || kept.push("third")), Some(()));
        assert_eq!(kept, ["second", "third"]);
    }
    use crate::store::StoreError;

    fn unreachable(message: &str) -> DeskError {
        DeskError::Store(StoreError::Unreachable(message.into()))
    }

    #[test]
    fn a_read_that_cannot_reach_the_store_is_held_for_its_retry_and_the_next_answer_says_it_is_back() {
        let down = AtomicBool::new(false);
        let watch = Watch::new(false);
        let text = watch.fail(unreachable("tried db:5432: refused"));
        let msgs = answer(&down, Kind::Read(Command::CountQueue), watch.unreached(), Msg::QueueCounted(Err(text)));
        assert!(
            matches!(&msgs[..], [Msg::StoreUnreachable { reason, retry: Some(Command::CountQueue) }]
                if reason.contains("tried db:5432: refused")),
            "{msgs:?}"
        );
        // Another failure (the server answered) is the screen's to show, and tells that the store is back.
        let watch = Watch::new(false);
        let text = watch.fail(DeskError::NotFound("no patient has MRN 100999".into()));
        let msgs = answer(&down, Kind::Read(Command::LoadInfo), watch.unreached(), Msg::InfoLoaded(Err(text)));
        assert!(matches!(&msgs[..], [Msg::StoreReachable, Msg::InfoLoaded(Err(_))]), "{msgs:?}");
        let msgs = answer(&down, Kind::Read(Command::LoadInfo), None, Msg::InfoLoaded(Err("x".into())));
        assert!(matches!(&msgs[..], [Msg::InfoLoaded(Err(_))]), "said once: {msgs:?}");
    }

    #[test]
    fn an_edit_that_cannot_reach_the_store_is_reported_not_saved_unless_its_commit_was_lost() {
        let down = AtomicBool::new(false);
        let watch = Watch::new(true);
        let text = watch.fail(unreachable("tried db:5432: Connection refused"));
        assert!(text.starts_with("Not saved: the database server cannot be reached"), "{text}");
        let msgs =
            answer(&down, Kind::Edit, watch.unreached(), Msg::Completed { verb: "completed", result: Err(text) });
        assert!(
            matches!(&msgs[..], [Msg::Completed { result: Err(_), .. }, Msg::StoreUnreachable { retry: None, .. }]),
            "{msgs:?}"
        );
        let lost_in_commit =
            format!("the connection to db was lost as a change was being saved; {}", crate::store::OUTCOME_UNKNOWN);
        let text = Watch::new(true).fail(unreachable(&lost_in_commit));
        assert!(!text.contains("Not saved") && text.contains("is not known"), "{text}");
    }

    #[test]
    fn an_audit_event_known_not_saved_waits_for_the_store_and_one_that_may_be_saved_is_said() {
        let down = AtomicBool::new(false);
        let audit = |message: &str| {
            let watch = Watch::new(false);
            let text = watch.fail(unreachable(message));
            let failed = Msg::BackgroundFailed(format!("could not write the audit trail: {text}"));
            answer(&down, Kind::Audit(Command::RecordSignIn), watch.unreached(), failed)
        };
        let msgs = audit("tried db:5432: refused");
        assert!(matches!(&msgs[..], [Msg::StoreUnreachable { retry: Some(Command::RecordSignIn), .. }]), "{msgs:?}");
        let msgs = audit(&format!("lost as a change was being saved; {}", crate::store::OUTCOME_UNKNOWN));
        assert!(
            matches!(&msgs[..], [Msg::BackgroundFailed(m), Msg::StoreUnreachable { retry: None, .. }] if m.contains("not known")),
            "{msgs:?}"
        );
    }
}
