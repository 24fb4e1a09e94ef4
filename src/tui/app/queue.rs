//! The deficiency queue's side of the model: paging, selection, folding and the bulk actions.

use super::*;
use crate::desk::queue_filter::FilterKey;

impl App {
    /// Loads the first page again and, after a change to the items themselves, the band's counts
    /// (a new sort or filter leaves the department's totals as they were).
    pub(super) fn reload_queue(&mut self) -> Vec<Command> {
        // Counts change when items do: group lines are fetched again.
        self.queue.standings.clear();
        let mut commands = self.reload_queue_page();
        commands.push(Command::CountQueue);
        commands
    }

    pub(super) fn reload_queue_page(&mut self) -> Vec<Command> {
        let id = self.next_request();
        self.queue.latest = Some(id);
        self.queue.filter.today = Some(self.today);
        vec![Command::LoadQueue {
            id,
            filter: self.queue.filter.clone(),
            sort: self.queue.sort,
            offset: 0,
            append: false,
        }]
    }

    pub(super) fn on_queue_action(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::NextRow => self.queue_move(1),
            Action::PrevRow => self.queue_move(-1),
            Action::NextPage => self.queue_move(self.lookup.visible_rows as isize),
            Action::PrevPage => self.queue_move(-(self.lookup.visible_rows as isize)),
            Action::FirstRow => self.queue_move(isize::MIN / 2),
            Action::LastRow => self.queue_move(isize::MAX / 2),
            Action::ToggleSelect => {
                self.queue.toggle_pick();
                self.queue_move(1)
            }
            Action::SelectAll => {
                self.queue.pick_all_loaded();
                Vec::new()
            }
            Action::SelectAllInFilter => {
                self.queue.filter.today = Some(self.today);
                vec![Command::SelectAllInFilter { filter: self.queue.filter.clone() }]
            }
            Action::CycleSort => {
                self.queue.next_sort();
                self.reload_queue_page()
            }
            Action::ToggleDelinquent => {
                self.queue.filter.delinquent_only = !self.queue.filter.delinquent_only;
                self.reload_queue_page()
            }
            Action::CycleBucket => {
                self.queue.next_bucket();
                self.reload_queue_page()
            }
            Action::Reload => self.reload_queue(),
            Action::ToggleFold => {
                self.queue.toggle_fold();
                Vec::new()
            }
            Action::Back if self.queue.physician.is_some() => {
                // From one physician's view back to the department's queue.
                self.queue.physician = None;
                self.queue.filter.provider_id = None;
                self.queue.picked.clear();
                self.reload_queue_page()
            }
            Action::Back => {
                self.screen = Screen::Lookup;
                Vec::new()
            }
            Action::OpenSelected => {
                let Some((patient_id, encounter_id)) =
                    self.queue.rows.get(self.queue.selected).map(|r| (r.patient_id, r.encounter_id))
                else {
                    self.dirty = false;
                    return Vec::new();
                };
                let id = self.next_request();
                self.pending_chart = Some(id);
                self.chart_return = Screen::Queue;
                vec![Command::OpenChart { id, patient_id, encounter_id: Some(encounter_id) }]
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// `:filter key=value…`: the desk checks the values against the store before the queue narrows;
    /// `:filter` alone clears every narrowing it set.
    pub(super) fn filter_queue(&mut self, terms: Vec<(FilterKey, String)>) -> Vec<Command> {
        if terms.is_empty() {
            let filter = &mut self.queue.filter;
            filter.type_code = None;
            filter.category = None;
            filter.service = None;
            filter.facility = None;
            filter.status = None;
            filter.mrn = None;
            let cleared = self.queue.filter.clone();
            return self.filter_checked(Ok(cleared));
        }
        vec![Command::CheckFilter { base: self.queue.filter.clone(), terms }]
    }

    pub(super) fn filter_checked(&mut self, result: Result<QueueFilter, String>) -> Vec<Command> {
        match result {
            Ok(filter) => {
                self.queue.filter = filter;
                self.queue.picked.clear();
                self.screen = Screen::Queue;
                self.reload_queue_page()
            }
            Err(problem) => {
                self.toast = Some(problem);
                Vec::new()
            }
        }
    }

    /// Moves the queue's highlight; past the last loaded row, fetches the next page.
    pub(super) fn queue_move(&mut self, delta: isize) -> Vec<Command> {
        let at_end = self.queue.move_selection(delta);
        if at_end && self.queue.has_more && self.queue.latest.is_none() {
            let id = self.next_request();
            self.queue.latest = Some(id);
            return vec![Command::LoadQueue {
                id,
                filter: self.queue.filter.clone(),
                sort: self.queue.sort,
                offset: self.queue.rows.len(),
                append: true,
            }];
        }
        Vec::new()
    }

    /// A bulk action (`:QC`, `:AS`, `:PA`, `:CM`): checks its rows and arguments, then asks once,
    /// saying how many items it touches.
    pub(super) fn bulk(&mut self, action: BulkAction, rows: Option<Vec<usize>>, args: Vec<String>) -> Vec<Command> {
        if self.screen != Screen::Queue {
            self.toast = Some("Bulk actions work on the deficiency queue (3).".into());
            return Vec::new();
        }
        let prepared = self.queue.items_for(rows.as_deref()).and_then(|items| self.bulk_command(action, items, &args));
        match prepared {
            Ok((prompt, command)) => self.overlay = Some(Overlay::Confirm { prompt, command }),
            Err(problem) => self.toast = Some(problem),
        }
        Vec::new()
    }

    /// A date typed after a bulk action (`:QC=… DATE`, `:PA=… FROM TO`): the one range-checked
    /// parser every typed date goes through, and never after today.
    pub(super) fn typed_date(&self, text: &str) -> Result<chrono::NaiveDate, String> {
        match crate::domain::dates::parse_date(text, self.today) {
            Ok(date) if date <= self.today => Ok(date),
            Ok(date) => Err(format!("{}: a date cannot be after today", crate::domain::dates::us_date(date))),
            Err(problem) => Err(problem.to_string()),
        }
    }

    pub(super) fn bulk_command(
        &self,
        action: BulkAction,
        items: Vec<(i64, i64)>,
        args: &[String],
    ) -> Result<(String, Command), String> {
        let n = items.len();
        let items_word = if n == 1 { "deficiency" } else { "deficiencies" };
        Ok(match action {
            BulkAction::Complete => {
                let resolved_on = match args.first() {
                    Some(text) => self.typed_date(text)?,
                    None => self.today,
                };
                (
                    format!(
                        "Complete {n} {items_word} with resolved date {}? (y/N)",
                        crate::domain::dates::us_date(resolved_on)
                    ),
                    Command::CompleteDeficiencies { items, resolved_on },
                )
            }
            BulkAction::Assign => {
                let npi = args.first().ok_or("name the provider: AS=1-3 NPI")?.clone();
                (
                    format!("Assign {n} {items_word} to the provider with NPI {npi}? (y/N)"),
                    Command::ReassignDeficiencies { items, npi },
                )
            }
            BulkAction::Pause => {
                let (Some(from), Some(to)) = (args.first(), args.get(1)) else {
                    return Err("PA=1-3 FROM TO reason (dates MM/DD/YYYY)".into());
                };
                let (from, to) = (self.typed_date(from)?, self.typed_date(to)?);
                let reason = args[2..].join(" ");
                if reason.trim().is_empty() {
                    return Err("say why aging pauses: PA=1-3 FROM TO chart in coding".into());
                }
                (
                    format!(
                        "Pause aging of {n} {items_word} from {} to {}? (y/N)",
                        crate::domain::dates::us_date(from),
                        crate::domain::dates::us_date(to)
                    ),
                    Command::PauseAging { items, from, to, reason },
                )
            }
            BulkAction::Step => {
                let step = args.first().ok_or("ST=1-3 DICTATED|TRANSCRIBED|SIGNED|REVIEWED|REJECTED")?;
                let to = crate::domain::chart::DeficiencyStatus::from_code(&step.to_ascii_uppercase())
                    .filter(|s| {
                        !matches!(
                            s,
                            crate::domain::chart::DeficiencyStatus::Open
                                | crate::domain::chart::DeficiencyStatus::Completed
                                | crate::domain::chart::DeficiencyStatus::Voided
                        )
                    })
                    .ok_or("a step is DICTATED, TRANSCRIBED, SIGNED, REVIEWED or REJECTED (QC completes, VD voids)")?;
                let note = args[1..].join(" ");
                (
                    format!("Move {n} {items_word} to {}? (y/N)", to.code()),
                    Command::MoveDeficiencies { items, to, note },
                )
            }
            BulkAction::Void => {
                let reason = args.join(" ");
                if reason.trim().is_empty() {
                    return Err("VD=1-3 the reason (entered on the wrong patient…)".into());
                }
                (
                    format!("Void {n} {items_word}? They stay on record, marked void. (y/N)"),
                    Command::MoveDeficiencies {
                        items,
                        to: crate::domain::chart::DeficiencyStatus::Voided,
                        note: reason,
                    },
                )
            }
            BulkAction::Comment => {
                let text = args.join(" ");
                if text.trim().is_empty() {
                    return Err("CM=1-3 the message to the provider".into());
                }
                (format!("Comment on {n} {items_word}? (y/N)"), Command::CommentDeficiencies { items, text })
            }
        })
    }
}

/// `3 completed; 2 charts complete; skipped 1: A25-000781 OP-D already completed by mlee on 03/03/2025`.
pub(super) fn completion_message(verb: &str, outcome: &CompletionOutcome) -> String {
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut message = format!("{} {verb}", plural(outcome.completed.len(), "deficiency", "deficiencies"));
    if !outcome.charts_completed.is_empty() {
        message.push_str(&format!("; {} complete", plural(outcome.charts_completed.len(), "chart", "charts")));
    }
    if !outcome.reinstated.is_empty() {
        message.push_str(&format!("; {} reinstated", plural(outcome.reinstated.len(), "physician", "physicians")));
    }
    if !outcome.skipped.is_empty() {
        let skipped: Vec<String> =
            outcome.skipped.iter().take(3).map(|s| format!("{} {}", s.label, s.reason)).collect();
        let more = outcome.skipped.len().saturating_sub(3);
        message.push_str(&format!("; skipped {}: {}", outcome.skipped.len(), skipped.join(", ")));
        if more > 0 {
            message.push_str(&format!(" and {more} more"));
        }
    }
    message
}
