//! Runs the model's commands against the desk on worker threads and brings each answer back as a
//! message. The render path never waits on the store.

use super::app::{Command, HeaderInfo, Msg, PAGE_SIZE, RequestId};
use crate::desk::Desk;
use crate::store::Page;
use std::sync::{Arc, Condvar, Mutex};
use tokio::sync::mpsc::UnboundedSender;

pub struct Effects {
    desk: Desk,
    /// Where notices' letters go (`DATA_DIR/letters`).
    letters_dir: Option<std::path::PathBuf>,
    tx: UnboundedSender<Msg>,
    search: Arc<SearchSlot>,
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
    pub fn new(desk: Desk, tx: UnboundedSender<Msg>, letters_dir: Option<std::path::PathBuf>) -> std::io::Result<Self> {
        let search = Arc::new(SearchSlot::default());
        let worker_slot = search.clone();
        let worker_desk = desk.clone();
        let worker_tx = tx.clone();
        std::thread::Builder::new().name("chartroom-search".into()).spawn(move || {
            loop {
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
                let result = worker_desk
                    .search(&job.text, Page { offset: job.offset, limit: PAGE_SIZE })
                    .map_err(|e| e.to_string());
                if worker_tx.send(Msg::SearchDone { id: job.id, append: job.append, result }).is_err() {
                    break;
                }
            }
        })?;
        Ok(Self { desk, letters_dir, tx, search })
    }

    pub fn run(&self, command: Command) {
        match command {
            Command::Search { id, text, offset, append } => {
                if let Ok(mut next) = self.search.next.lock() {
                    *next = Some(SearchJob { id, text, offset, append });
                    self.search.ready.notify_one();
                }
            }
            Command::LoadInfo => self.background(|desk| {
                // The role as the store holds it now: a change made while the desk is open shows.
                let loaded = desk.current_user().and_then(|user| Ok((user, desk.store_info()?)));
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
                                ..HeaderInfo::default()
                            }
                        })
                        .map_err(|e| e.to_string()),
                )
            }),
            Command::OpenChart { id, patient_id, encounter_id } => self.background(move |desk| Msg::ChartLoaded {
                id,
                encounter_id,
                result: desk.open_chart(patient_id).map(Box::new).map_err(|e| e.to_string()),
            }),
            Command::OpenChartByMrn { id, mrn } => self.background(move |desk| Msg::ChartLoaded {
                id,
                encounter_id: None,
                result: desk.open_chart_by_mrn(&mrn).map(Box::new).map_err(|e| e.to_string()),
            }),
            Command::RecordSearch { shape, shown, more } => {
                self.background(move |desk| match desk.record_search(shape, shown, more) {
                    Ok(()) => Msg::BackgroundFailed(String::new()),
                    Err(e) => Msg::BackgroundFailed(format!("could not write the audit trail: {e}")),
                })
            }
            Command::RecordSignIn => self.background(|desk| match desk.record_sign_in() {
                Ok(()) => Msg::BackgroundFailed(String::new()),
                Err(e) => Msg::BackgroundFailed(format!("could not write the audit trail: {e}")),
            }),
            Command::LoadQueue { id, filter, sort, offset, append } => self.background(move |desk| Msg::QueueLoaded {
                id,
                append,
                result: desk
                    .deficiency_queue(&filter, sort, crate::store::Page { offset, limit: PAGE_SIZE })
                    .map_err(|e| e.to_string()),
            }),
            Command::RefreshQueue { id, filter, sort, limit } => self.background(move |desk| Msg::QueueRefreshed {
                id,
                result: desk
                    .deficiency_queue(&filter, sort, crate::store::Page { offset: 0, limit })
                    .map_err(|e| e.to_string()),
            }),
            Command::CountQueue => self.background(|desk| {
                let today = desk.today();
                Msg::QueueCounted(desk.deficiency_counts(today).map_err(|e| e.to_string()))
            }),
            Command::CompleteDeficiencies { items, resolved_on } => {
                let letters = self.letters_dir.clone();
                self.background(move |desk| Msg::Completed {
                    verb: "completed",
                    result: desk
                        .complete_deficiencies(items, resolved_on, letters.as_deref())
                        .map_err(|e| e.to_string()),
                })
            }
            Command::RunNightly { date } => {
                let letters = self.letters_dir.clone();
                let progress_tx = self.tx.clone();
                self.background(move |desk| {
                    let mut progress = |line: String| {
                        let _ = progress_tx.send(Msg::Progress(line));
                    };
                    Msg::NightlyDone(
                        desk.nightly_with_progress(date, letters.as_deref(), &mut progress).map_err(|e| e.to_string()),
                    )
                })
            }
            Command::RunImport { fhir, paths, facility, open_since } => {
                let progress_tx = self.tx.clone();
                self.background(move |desk| {
                    let mut progress = |step: &crate::desk::import::ImportProgress| {
                        let _ = progress_tx.send(Msg::Progress(format!("Importing: {}", step.bar(20))));
                    };
                    let mode = crate::desk::import::ImportMode::default();
                    let report = match (fhir, paths.first()) {
                        (true, _) => desk.import_fhir(&paths, facility.as_deref(), open_since, mode, &mut progress),
                        (false, Some(dir)) => {
                            desk.import_synthea_csv_with(dir, facility.as_deref(), open_since, mode, &mut progress)
                        }
                        (false, None) => Err(crate::desk::DeskError::Invalid("import csv DIR: no directory".into())),
                    };
                    Msg::ImportDone(report.map(Box::new).map_err(|e| e.to_string()))
                })
            }
            Command::LoadStandings { provider_ids } => self.background(move |desk| {
                let today = desk.today();
                Msg::StandingsLoaded(desk.physician_standings_of(&provider_ids, today).map_err(|e| e.to_string()))
            }),
            Command::CheckFilter { base, terms } => self
                .background(move |desk| Msg::FilterChecked(desk.queue_filter(base, &terms).map_err(|e| e.to_string()))),
            Command::SelectAllInFilter { filter } => self
                .background(move |desk| Msg::FilterSelected(desk.deficiency_ids(&filter).map_err(|e| e.to_string()))),
            Command::LoadPhysician { npi } => self.background(move |desk| {
                let today = desk.today();
                Msg::PhysicianLoaded(desk.physician_standing(&npi, today).map_err(|e| e.to_string()))
            }),
            Command::ReassignDeficiencies { items, npi } => self.background(move |desk| Msg::Completed {
                verb: "reassigned",
                result: desk.reassign_deficiencies(items, &npi).map_err(|e| e.to_string()),
            }),
            Command::PauseAging { items, from, to, reason } => self.background(move |desk| Msg::Completed {
                verb: "paused",
                result: desk.pause_aging(items, from, to, &reason).map_err(|e| e.to_string()),
            }),
            Command::MoveDeficiencies { items, to, note } => self.background(move |desk| Msg::Completed {
                verb: if to == crate::domain::chart::DeficiencyStatus::Voided { "voided" } else { "moved" },
                result: desk.move_deficiencies(items, to, &note).map_err(|e| e.to_string()),
            }),
            Command::CommentDeficiencies { items, text } => self.background(move |desk| Msg::Completed {
                verb: "commented",
                result: desk.comment_deficiencies(items, &text).map_err(|e| e.to_string()),
            }),
            Command::TakeDeficiencies { ids, take_over } => self.background(move |desk| {
                Msg::Claimed(desk.take_deficiencies(&ids, take_over).map_err(|e| e.to_string()))
            }),
            Command::ReleaseDeficiencies { ids, take_over } => self.background(move |desk| {
                Msg::Claimed(desk.release_deficiencies(&ids, take_over).map_err(|e| e.to_string()))
            }),
            Command::LoadProviders => self.background(|desk| {
                Msg::ProvidersLoaded(
                    desk.list_providers()
                        .map(|list| {
                            list.into_iter()
                                .map(|p| crate::tui::widgets::palette::ProviderChoice {
                                    name: p.display(),
                                    npi: p.npi,
                                    specialty: p.specialty,
                                })
                                .collect()
                        })
                        .map_err(|e| e.to_string()),
                )
            }),
            // The event loop handles these itself.
            Command::Suspend | Command::Quit => {}
        }
    }

    /// Runs a blocking desk call on tokio's blocking pool and sends its message.
    fn background(&self, job: impl FnOnce(&Desk) -> Msg + Send + 'static) {
        let desk = self.desk.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let msg = job(&desk);
            if !matches!(&msg, Msg::BackgroundFailed(m) if m.is_empty()) {
                let _ = tx.send(msg);
            }
        });
    }

    /// Runs the commands that must finish before the program exits (the last audit events).
    pub fn run_to_completion(&self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::RecordSearch { shape, shown, more } => {
                    if let Err(e) = self.desk.record_search(shape, shown, more) {
                        tracing::warn!(error = %e, "search audit event not written at exit");
                    }
                }
                other => self.run(other),
            }
        }
    }
}
