//! The release-of-information screens' desk calls, each on a worker thread, each answer a
//! [`RoiMsg`]. Reads are retried when the store could not be reached; changes never are.

use super::{Effects, Kind, Watch};
use crate::desk::roi::{Logged, OnOpenRequest, RoiQuery};
use crate::desk::{Desk, DeskError};
use crate::store::Page;
use crate::tui::app::{Command, Msg, PAGE_SIZE, RequestChange, RequestRef, RoiCommand, RoiMsg};
use crate::tui::screens::roi_intake::{IntakeCheck, REQUESTER_CHOICES, requester_label};
use crate::tui::screens::roi_queue::Band;

/// The patient's requests the chart's Releases tab lists.
const PATIENT_REQUESTS: usize = 200;

impl Effects {
    pub(super) fn run_roi(&self, command: RoiCommand) {
        let kind = match &command {
            RoiCommand::Change { .. }
            | RoiCommand::Log { .. }
            | RoiCommand::SaveDraft { .. }
            | RoiCommand::DiscardDraft
            | RoiCommand::VoidDisclosure { .. }
            | RoiCommand::PrintAccounting { .. }
            | RoiCommand::DeliverAccounting { .. } => Kind::Edit,
            // A search answers one keystroke; the next keystroke asks again.
            RoiCommand::SearchRequesters { .. } => Kind::Other,
            _ => Kind::Read(Command::Roi(command.clone())),
        };
        let letters = self.letters_dir.clone();
        if matches!(command, RoiCommand::SaveDraft { .. } | RoiCommand::DiscardDraft) {
            // Ticketed now, on the screen's thread, so that the writes keep the order asked in.
            let (drafts, ticket) = (self.drafts.clone(), self.drafts.ticket());
            self.background(kind, move |desk, watch: &Watch| {
                drafts
                    .write(ticket, || answer_roi(desk, command, letters.as_deref(), &|e| watch.fail(e)))
                    // A later save or discard already landed: this one is no longer the form.
                    .unwrap_or(Msg::Roi(RoiMsg::DraftSaved(Ok(()))))
            });
            return;
        }
        self.background(kind, move |desk, watch: &Watch| {
            answer_roi(desk, command, letters.as_deref(), &|e| watch.fail(e))
        });
    }
}

/// The desk's answer to one ROI command, as the message the screen takes; `fail` says a desk's
/// refusal in the clerk's words (and notes a store that could not be reached). Run on a worker
/// thread by the effects runner; the snapshot tests run it in line.
pub fn answer_roi(
    desk: &Desk,
    command: RoiCommand,
    letters: Option<&std::path::Path>,
    fail: &dyn Fn(DeskError) -> String,
) -> Msg {
    match command {
        RoiCommand::LoadQueue { id, query, sort, offset, append } => Msg::Roi(RoiMsg::QueueLoaded {
            id,
            append,
            result: desk.roi_queue(&query, sort, Page { offset, limit: PAGE_SIZE }).map_err(fail),
        }),
        RoiCommand::RefreshQueue { id, query, sort, limit } => Msg::Roi(RoiMsg::QueueRefreshed {
            id,
            result: desk.roi_queue(&query, sort, Page { offset: 0, limit }).map_err(fail),
        }),
        RoiCommand::CountBand => {
            // The department's whole open work, whatever the queue is narrowed to.
            let all = RoiQuery::default();
            let overdue = RoiQuery { overdue: true, ..RoiQuery::default() };
            let band = desk.roi_aging(&all).and_then(|aging| {
                let late = desk.roi_queue(&overdue, Default::default(), Page { offset: 0, limit: 1 })?;
                Ok(Band {
                    aging: aging.into_iter().map(|b| (b.label.to_string(), b.count)).collect(),
                    overdue: late.total,
                })
            });
            Msg::Roi(RoiMsg::BandCounted(band.map_err(fail)))
        }
        RoiCommand::OpenRequest { id, request } => {
            let read = match &request {
                // Read again to follow work on it: no second look recorded.
                RequestRef::Id(request_id) => desk.reread_roi_request(*request_id),
                RequestRef::Row(request_id) => desk.open_roi_request(*request_id),
                RequestRef::Number(number) => desk.roi_request(number),
            };
            Msg::Roi(RoiMsg::RequestLoaded { id, result: read.map(Box::new).map_err(fail) })
        }
        RoiCommand::Change { number, version, mut done, change } => {
            let seen = Some(version);
            let result = match change {
                RequestChange::Step { step, reason } => desk.roi_step(&number, seen, step, reason.as_deref(), letters),
                RequestChange::Assign { to } => desk.roi_assign(&number, seen, to.as_deref()),
                RequestChange::Extend { to, reason } => desk.roi_extend(&number, seen, to, &reason, None, letters),
                RequestChange::Pay { on, cents } => desk.roi_pay(&number, seen, on, cents),
                RequestChange::Adjust { kind, cents, reason } => {
                    use crate::domain::roi::fees::AdjustmentKind;
                    match kind {
                        AdjustmentKind::WriteOff => desk.roi_write_off(&number, seen, cents, &reason),
                        AdjustmentKind::Refund => desk.roi_refund(&number, seen, cents, &reason),
                        AdjustmentKind::Void => desk.roi_void_invoice(&number, seen, &reason),
                    }
                }
                RequestChange::Release { on, pick, code } => {
                    // The packets are kept beside the letters, under the data directory.
                    let releases = letters.and_then(std::path::Path::parent).map(|d| d.join("releases"));
                    match desk.roi_release_packet(&number, seen, on, None, &pick, releases.as_deref(), &code.0) {
                        Ok((r, files)) => {
                            if let Some(files) = files {
                                done.push_str(&packet_words(&files));
                            }
                            Ok(r)
                        }
                        // The code's refusal goes back to the code's question, not the request.
                        Err(
                            e @ (DeskError::WrongSignature { .. }
                            | DeskError::NoSignature { .. }
                            | DeskError::CodesResting { .. }),
                        ) => {
                            let refusal = match e {
                                DeskError::WrongSignature { left } => crate::tui::app::guard::CodeRefusal::Wrong {
                                    left: u8::try_from(left).unwrap_or(u8::MAX),
                                },
                                e => crate::tui::app::guard::CodeRefusal::Other(fail(e)),
                            };
                            return Msg::Roi(RoiMsg::ReleaseSignatureRefused(refusal));
                        }
                        Err(e) => Err(e),
                    }
                }
                RequestChange::Quote => desk.roi_quote(&number, seen, None),
                RequestChange::Invoice => desk.roi_invoice(&number, seen, None),
                RequestChange::Authorization { form, received_on } => {
                    desk.roi_add_authorization(&number, seen, *form, Some(received_on), letters)
                }
                RequestChange::Legal(paper) => desk.roi_record_legal_paper(&number, seen, paper),
            };
            Msg::Roi(RoiMsg::Changed { done, result: result.map(Box::new).map_err(fail) })
        }
        RoiCommand::LoadPatientRequests { patient_id } => Msg::Roi(RoiMsg::PatientRequests {
            patient_id,
            result: desk.roi_requests_for_patient(patient_id, PATIENT_REQUESTS).map_err(fail),
        }),
        RoiCommand::SearchRequesters { id, prefix } => Msg::Roi(RoiMsg::RequestersFound {
            id,
            result: desk.search_requesters(&prefix, REQUESTER_CHOICES).map_err(fail),
        }),
        RoiCommand::CheckIntake { patient_id, requester_id } => {
            let check = desk.roi_intake_check(patient_id, requester_id).map(|check| IntakeCheck {
                recent: check.recent,
                open_same: check.open_from_requester,
                selected: 0,
            });
            Msg::Roi(RoiMsg::IntakeChecked(check.map_err(fail)))
        }
        RoiCommand::Log { form, follow_up_on } => {
            let mut also = None;
            let (follow_up, result) = match follow_up_on {
                Some((number, version)) => {
                    let received_on = form.received_on.unwrap_or_else(|| desk.today());
                    let via = form.received_via.unwrap_or(crate::domain::roi::ReceivedVia::Mail);
                    let logged = desk.log_roi_follow_up(&number, Some(version), received_on, via, &form.purpose);
                    // An authorization keyed with the re-sent request goes on the original: a
                    // follow-up records only when and how it came, and the paper is not dropped.
                    let result = match (logged, form.authorization.clone()) {
                        (Ok(original), Some(paper)) => {
                            match desk.roi_add_authorization(
                                &number,
                                Some(original.version),
                                paper,
                                Some(received_on),
                                letters,
                            ) {
                                Ok(with) => {
                                    also = Some(format!(
                                        "The authorization that came with it was added: {}.",
                                        with.status.title()
                                    ));
                                    Ok(with)
                                }
                                Err(e) => {
                                    also = Some(format!(
                                        "The authorization that came with it was not added ({}): press A to add it.",
                                        fail(e)
                                    ));
                                    Ok(original)
                                }
                            }
                        }
                        (logged, _) => logged,
                    };
                    (true, result)
                }
                None => (
                    false,
                    desk.log_roi_request(*form, OnOpenRequest::LogNew, letters).and_then(|logged| match logged {
                        Ok(Logged::New { request, .. } | Logged::FollowUp { request }) => Ok(*request),
                        // Every problem, each named by its field: the screen goes to the first.
                        Err(problems) => Err(crate::desk::DeskError::Invalid(
                            problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
                        )),
                    }),
                ),
            };
            Msg::Roi(RoiMsg::Logged { follow_up, result: result.map(Box::new).map_err(fail), also })
        }
        RoiCommand::LoadDraft => {
            let kept = desk.intake_draft().map(|kept| {
                kept.map(|(form, at)| {
                    // The address-book entry a kept form names, shown by name: read here, the
                    // desk having just checked the clerk may log requests.
                    let requester_label = match form.requester {
                        crate::desk::roi::IntakeRequester::Existing(id) => {
                            desk.store().requester(id).ok().flatten().map(|r| requester_label(&r))
                        }
                        crate::desk::roi::IntakeRequester::New(_) => None,
                    };
                    Box::new(crate::tui::app::KeptForm { form, requester_label, at: Some(at) })
                })
            });
            Msg::Roi(RoiMsg::DraftLoaded(kept.map_err(fail)))
        }
        RoiCommand::SaveDraft { form } => Msg::Roi(RoiMsg::DraftSaved(desk.save_intake_draft(&form).map_err(fail))),
        c @ (RoiCommand::LoadAccounting { .. }
        | RoiCommand::VoidDisclosure { .. }
        | RoiCommand::PrintAccounting { .. }
        | RoiCommand::DeliverAccounting { .. }) => super::accounting::answer_accounting(desk, c, letters, fail),
        RoiCommand::LoadPacket { id, number, again } => {
            let read = if again { desk.reread_roi_packet(&number) } else { desk.roi_packet(&number) };
            Msg::Roi(RoiMsg::PacketLoaded { id, result: read.map(Box::new).map_err(fail) })
        }
        RoiCommand::LoadStats { id, from, to } => {
            Msg::Roi(RoiMsg::StatsLoaded { id, result: desk.roi_stats(from, to, None).map(Box::new).map_err(fail) })
        }
        RoiCommand::DiscardDraft => match desk.discard_intake_draft() {
            Ok(()) => Msg::BackgroundFailed(String::new()),
            Err(e) => Msg::BackgroundFailed(format!("the kept form could not be discarded: {}", fail(e))),
        },
    }
}

/// What a release wrote, for the clerk's toast: the packet, and a California subpoena's custodian
/// papers or why they were not made.
fn packet_words(files: &crate::desk::roi::packet::PacketFiles) -> String {
    let mut words = format!("; packet {} ({} pages)", files.pdf.display(), files.pdf_pages);
    if !files.custodian_papers.is_empty() {
        words.push_str("; custodian declaration and envelope labels made beside it");
    }
    if let Some(problem) = &files.custodian_problem {
        words.push_str(&format!("; the custodian's papers were not made: {problem}"));
    }
    words
}
