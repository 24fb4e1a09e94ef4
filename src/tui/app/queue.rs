//! The deficiency queue's side of the model: paging, selection, folding and the bulk actions.

use super::*;
use crate::desk::queue_filter::FilterKey;
use crate::store::deficiencies::QueueRow;
use crate::tui::screens::queue::{name_rows, row_numbers};

impl App {
    /// Loads the first page again and, after a change to the items themselves, the band's counts
    /// (a new sort or filter leaves the department's totals as they were).
    pub(super) fn reload_queue(&mut self) -> Vec<Command> {
        // Counts change when items do: group lines are fetched again.
        self.queue.standings.clear();
        let mut commands = self.reload_queue_page();
        commands.push(self.ask_counts());
        commands.extend(self.reread_physician());
        commands
    }

    /// After work on items: the rows on screen are read again and updated where they stand, with
    /// the counts and standings; nothing is renumbered (`r` does that).
    pub(super) fn refresh_queue(&mut self) -> Vec<Command> {
        self.queue.standings.clear();
        let id = self.next_request();
        self.queue.refreshing = Some(id);
        self.queue.filter.today = Some(self.today);
        // A little beyond the rows on screen: an item that moved down the order is still found.
        let limit = self.queue.rows.len() + PAGE_SIZE;
        let mut commands =
            vec![Command::RefreshQueue { id, filter: self.queue.filter.clone(), sort: self.queue.sort, limit }];
        commands.push(self.ask_counts());
        commands.extend(self.reread_physician());
        commands
    }

    /// Another clerk's work (or this one's) moved `topics`: the rows on screen are read again with
    /// the same filter and sort, as many as are loaded, then the counts, and the standings shown;
    /// each answer draws a frame only when it differs from what is on screen.
    pub(super) fn follow_queue(&mut self, topics: Topics) -> Vec<Command> {
        let mut commands = Vec::new();
        if topics.contains(Topic::Deficiencies) {
            let id = self.next_request();
            self.queue.refreshing = Some(id);
            self.queue.filter.today = Some(self.today);
            let limit = self.queue.rows.len() + PAGE_SIZE;
            commands.push(Command::RefreshQueue {
                id,
                filter: self.queue.filter.clone(),
                sort: self.queue.sort,
                limit,
            });
            // After the rows (on two cores a count beside them slows them), and one at a time.
            self.counts_owed = true;
        }
        commands.extend(self.reread_physician());
        // The group lines count each physician's items and name a suspension: kept on screen (no
        // blank lines while they are read) and replaced where they changed.
        if self.queue.sort == QueueSort::Physician && self.queue.physician.is_none() {
            let mut provider_ids: Vec<i64> = self.queue.rows.iter().map(|r| r.provider_id).collect();
            provider_ids.sort_unstable();
            provider_ids.dedup();
            if !provider_ids.is_empty() {
                commands.push(Command::LoadStandings { provider_ids });
            }
        }
        commands
    }

    /// The band's counts, asked for.
    pub(super) fn ask_counts(&mut self) -> Command {
        self.counting = true;
        Command::CountQueue
    }

    /// The count another clerk's change owes, once no count is on its way.
    pub(super) fn owed_counts(&mut self) -> Vec<Command> {
        if self.counts_owed && !self.counting {
            self.counts_owed = false;
            return vec![self.ask_counts()];
        }
        Vec::new()
    }

    /// The physician view's standing, read again.
    fn reread_physician(&mut self) -> Vec<Command> {
        match &self.queue.physician {
            Some(p) => {
                self.queue.refreshing_physician = true;
                vec![Command::LoadPhysician { npi: p.npi.clone() }]
            }
            None => Vec::new(),
        }
    }

    /// The standings the group lines still need, when sorted by physician.
    pub(super) fn standings_wanted(&self) -> Vec<Command> {
        if self.queue.sort == QueueSort::Physician && self.queue.physician.is_none() {
            let mut provider_ids: Vec<i64> = self.queue.rows.iter().map(|r| r.provider_id).collect();
            provider_ids.dedup();
            provider_ids.retain(|id| !self.queue.standings.contains_key(id));
            if !provider_ids.is_empty() {
                return vec![Command::LoadStandings { provider_ids }];
            }
        }
        Vec::new()
    }

    pub(super) fn reload_queue_page(&mut self) -> Vec<Command> {
        let id = self.next_request();
        self.queue.latest = Some(id);
        self.queue.reloading = true;
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
            Action::SelectAllInFilter if self.queue.picked_filter && !self.queue.picked.is_empty() => {
                self.queue.picked.clear();
                self.queue.picked_filter = false;
                self.toast = Some("Selection cleared.".into());
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
            Action::TakeItems => self.claim_rows(None, false),
            Action::CycleClaimFilter => self.cycle_claim_filter(),
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
            filter.claimed = None;
            // `d` and `b` narrow the list too: `filter` alone shows it all again.
            filter.delinquent_only = false;
            filter.bucket = None;
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

    /// A bulk action (`:QC`, `:AS`, `:PA`, `:ST`, `:VD`, `:CM`): everything it names is checked
    /// here, with the desk's own rules and what the screen holds, before it asks; the question says
    /// what will happen to which rows.
    pub(super) fn bulk(&mut self, action: BulkAction, rows: Option<Vec<usize>>, args: Vec<String>) -> Vec<Command> {
        if self.screen != Screen::Queue {
            self.toast = Some("Bulk actions work on the deficiency queue (3).".into());
            return Vec::new();
        }
        match self.queue_bulk(action, rows.as_deref(), &args) {
            Ok((prompt, command)) => self.overlay = Some(Overlay::Confirm { prompt, command }),
            Err(problem) => self.toast = Some(problem),
        }
        Vec::new()
    }

    fn queue_bulk(
        &self,
        action: BulkAction,
        numbers: Option<&[usize]>,
        args: &[String],
    ) -> Result<(String, Command), String> {
        self.may(action)?;
        if self.queue.reloading && numbers.is_some() {
            // The numbers on screen are about to change: a row named now could be another item.
            return Err("The list is reloading: name the rows once it shows.".into());
        }
        let named = self.queue.named(numbers)?;
        let command = self.parse_bulk(action, named.items.clone(), args)?;
        let checked: Vec<Checked> = named.rows.iter().map(|(n, row)| Checked::row(*n, row)).collect();
        let detail = self.check_items(&command, &checked)?;
        let mut subject = if named.rows.is_empty() { String::new() } else { name_rows(&named.rows) };
        if named.unseen > 0 {
            let word = if named.unseen == 1 { "deficiency" } else { "deficiencies" };
            let and = if subject.is_empty() { "" } else { " and " };
            subject.push_str(&format!("{and}{} more selected {word} not on screen", named.unseen));
        }
        Ok((prompt(&command, &subject, detail.as_deref()), command))
    }

    /// Whether the user's roles allow the action, asked of the desk's own permission table.
    fn may(&self, action: BulkAction) -> Result<(), String> {
        use crate::desk::deficiency_work::ItemAction;
        use crate::domain::chart::DeficiencyStatus;
        let as_item = match action {
            BulkAction::Complete => ItemAction::Complete { resolved_on: self.today },
            BulkAction::Void => ItemAction::Step { to: DeficiencyStatus::Voided, note: String::new() },
            BulkAction::Step => ItemAction::Step { to: DeficiencyStatus::Signed, note: String::new() },
            BulkAction::Assign => ItemAction::Reassign { npi: String::new() },
            BulkAction::Pause => ItemAction::Pause { from: self.today, to: self.today, reason: String::new() },
            BulkAction::Comment => ItemAction::Comment { text: String::new() },
        };
        let permission = as_item.permission();
        if crate::domain::role::allows(&self.header.roles, permission) {
            Ok(())
        } else {
            Err(format!(
                "you ({}) may not {}: that needs {}",
                crate::domain::text::clean(&self.header.username),
                permission.describe(),
                permission.roles_needed()
            ))
        }
    }

    /// Each named item checked against what the command would do to it, by the domain's rules;
    /// a refusal names the items. For a pause, what it will count for each.
    pub(super) fn check_items(&self, command: &Command, items: &[Checked]) -> Result<Option<String>, String> {
        use crate::domain::completion::{check_resolved_on, clip_pause};
        use crate::domain::dates::us_date;
        let mut problems: Vec<(String, Vec<&Checked>)> = Vec::new();
        let mut detail = None;
        match command {
            Command::CompleteDeficiencies { resolved_on, .. } => {
                for item in items {
                    if let Err(problem) = check_resolved_on(item.event_on, *resolved_on, self.today) {
                        note(&mut problems, problem, item);
                    }
                }
            }
            Command::PauseAging { from, to, .. } => {
                // (the days it counts, clipped start, clipped end) → items.
                let mut spans: Vec<(SpanKey, Vec<&Checked>)> = Vec::new();
                for item in items {
                    match clip_pause(item.event_on, &item.pauses, *from, *to, self.today) {
                        Ok(span) => {
                            let key = (span.days, span.from, span.to);
                            match spans.iter_mut().find(|(k, _)| *k == key) {
                                Some((_, these)) => these.push(item),
                                None => spans.push((key, vec![item])),
                            }
                        }
                        Err(problem) => note(&mut problems, problem, item),
                    }
                }
                let days = |d: i64| format!("{d} {}", if d == 1 { "day" } else { "days" });
                let clipped = |f: chrono::NaiveDate, t: chrono::NaiveDate| match (f != *from, t != *to) {
                    (true, true) => format!(" (from {} to {})", us_date(f), us_date(t)),
                    (true, false) => format!(" (from {})", us_date(f)),
                    (false, true) => format!(" (to {})", us_date(t)),
                    (false, false) => String::new(),
                };
                let text = match spans.as_slice() {
                    [((d, f, t), _)] => format!("{}{}", days(*d), clipped(*f, *t)),
                    _ => spans
                        .iter()
                        .map(|((d, f, t), these)| format!("{}: {}{}", short_names(these), days(*d), clipped(*f, *t)))
                        .collect::<Vec<_>>()
                        .join("; "),
                };
                detail = (!spans.is_empty()).then_some(text);
            }
            // The list the palette completes from; without it, the desk checks the NPI.
            Command::ReassignDeficiencies { npi, .. } if !self.providers.is_empty() => {
                let provider = self
                    .providers
                    .iter()
                    .find(|p| p.npi == *npi)
                    .ok_or_else(|| format!("no provider has NPI {npi}"))?;
                detail = Some(crate::domain::text::clean(&provider.name).into_owned());
            }
            Command::MoveDeficiencies { to, .. } => {
                for item in items {
                    if !item.status.can_become(*to) {
                        note(&mut problems, format!("cannot go from {} to {}", item.status.code(), to.code()), item);
                    }
                }
            }
            _ => {}
        }
        if problems.is_empty() {
            return Ok(detail);
        }
        let named: Vec<String> =
            problems.iter().map(|(problem, these)| format!("{}: {problem}", names(these))).collect();
        Err(format!("Nothing asked or changed: {}", named.join("; ")))
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

    /// A bulk action on items that are not the queue's rows (a chart's): permission, arguments and
    /// each item checked as the queue's rows are, asked about by count.
    pub(super) fn bulk_command(
        &self,
        action: BulkAction,
        items: Vec<(i64, i64)>,
        checked: &[Checked],
        args: &[String],
    ) -> Result<(String, Command), String> {
        self.may(action)?;
        let n = items.len();
        let command = self.parse_bulk(action, items, args)?;
        let detail = self.check_items(&command, checked)?;
        let subject = format!("{n} {}", if n == 1 { "deficiency" } else { "deficiencies" });
        Ok((prompt(&command, &subject, detail.as_deref()), command))
    }

    /// The command a bulk action's arguments make, checked whatever the items.
    fn parse_bulk(&self, action: BulkAction, items: Vec<(i64, i64)>, args: &[String]) -> Result<Command, String> {
        // An action that takes a fixed number of words refuses more: a word it would ignore may be
        // what the clerk meant (`QC=2 12/01/2026 junk`).
        let most = match action {
            BulkAction::Complete | BulkAction::Assign => Some(1),
            _ => None,
        };
        if let Some(most) = most
            && args.len() > most
        {
            let usage = match action {
                BulkAction::Complete => "QC=1-3 [date]",
                _ => "AS=1-3 NAME|NPI",
            };
            return Err(format!(
                "{usage} takes nothing more: {} not understood",
                args[most..]
                    .iter()
                    .map(|a| format!("\"{}\"", crate::domain::text::clean(a)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        Ok(match action {
            BulkAction::Complete => {
                let resolved_on = match args.first() {
                    Some(text) => self.typed_date(text)?,
                    None => self.today,
                };
                Command::CompleteDeficiencies { items, resolved_on }
            }
            BulkAction::Assign => {
                let npi = args.first().ok_or("name the provider: AS=1-3 NPI")?.clone();
                Command::ReassignDeficiencies { items, npi }
            }
            BulkAction::Pause => {
                let (Some(from), Some(to)) = (args.first(), args.get(1)) else {
                    return Err("PA=1-3 FROM TO reason (dates MM/DD/YYYY)".into());
                };
                let (from, to) = (self.typed_date(from)?, self.typed_date(to)?);
                if to < from {
                    return Err(format!(
                        "a pause ends after it starts: {} is before {}",
                        crate::domain::dates::us_date(to),
                        crate::domain::dates::us_date(from)
                    ));
                }
                let reason = args[2..].join(" ");
                if reason.trim().is_empty() {
                    return Err("say why aging pauses: PA=1-3 FROM TO chart in coding".into());
                }
                Command::PauseAging { items, from, to, reason }
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
                Command::MoveDeficiencies { items, to, note }
            }
            BulkAction::Void => {
                let reason = args.join(" ");
                if reason.trim().is_empty() {
                    return Err("VD=1-3 the reason (entered on the wrong patient…)".into());
                }
                Command::MoveDeficiencies { items, to: crate::domain::chart::DeficiencyStatus::Voided, note: reason }
            }
            BulkAction::Comment => {
                let text = args.join(" ");
                if text.trim().is_empty() {
                    return Err("CM=1-3 the message to the provider".into());
                }
                let length = text.trim().chars().count();
                if length > MAX_COMMENT {
                    return Err(format!("a comment is at most {MAX_COMMENT} characters; this one has {length}"));
                }
                Command::CommentDeficiencies { items, text }
            }
        })
    }

    /// A page of the queue arrived: shown unless a newer read replaced it.
    pub(super) fn on_queue_loaded(
        &mut self,
        id: RequestId,
        append: bool,
        result: Result<QueuePage, String>,
    ) -> Vec<Command> {
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

    /// The rows on screen read again: updated where they stand.
    pub(super) fn on_queue_refreshed(&mut self, id: RequestId, result: Result<QueuePage, String>) -> Vec<Command> {
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

    /// The standings of the group lines arrived.
    pub(super) fn on_standings_loaded(
        &mut self,
        result: Result<Vec<crate::store::PhysicianStanding>, String>,
    ) -> Vec<Command> {
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

    /// A physician's standing: the physician view opened, or the one on screen read again.
    pub(super) fn on_physician_loaded(
        &mut self,
        result: Result<crate::store::PhysicianStanding, String>,
    ) -> Vec<Command> {
        match result {
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
        }
    }

    /// Every item of the filter, selected (`A`).
    pub(super) fn on_filter_selected(&mut self, result: Result<Vec<(i64, i64)>, String>) -> Vec<Command> {
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

    /// The band's counts arrived.
    pub(super) fn on_queue_counted(&mut self, result: Result<(QueueCounts, DelinquencyRate), String>) -> Vec<Command> {
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

    /// A bulk action on deficiencies finished, from the queue or a chart.
    pub(super) fn on_completed(
        &mut self,
        verb: &'static str,
        result: Result<CompletionOutcome, String>,
    ) -> Vec<Command> {
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
}

/// A pause as it counts for an item: its days, and where it starts and ends once clipped.
type SpanKey = (i64, chrono::NaiveDate, chrono::NaiveDate);

/// The longest comment the desk keeps.
const MAX_COMMENT: usize = 255;

/// What the checks before a question need of one item, whether a queue's row or a chart's
/// deficiency: one set of checks for both.
pub(super) struct Checked {
    /// Its row number on the queue; a chart's items have none.
    number: Option<usize>,
    /// `A25-000781 OP-D`.
    label: String,
    event_on: chrono::NaiveDate,
    status: crate::domain::chart::DeficiencyStatus,
    pauses: Vec<(chrono::NaiveDate, chrono::NaiveDate)>,
}

impl Checked {
    fn row(number: usize, row: &QueueRow) -> Self {
        Self {
            number: Some(number),
            label: crate::tui::screens::queue::row_label(row),
            event_on: row.event_on,
            status: row.status,
            pauses: row.pauses.clone(),
        }
    }

    pub(super) fn deficiency(d: &crate::domain::chart::DeficiencyView) -> Self {
        Self {
            number: None,
            label: crate::tui::screens::chart::item_name(d),
            event_on: d.event_on,
            status: d.status,
            pauses: d.pauses.iter().map(|p| (p.from, p.to)).collect(),
        }
    }
}

/// `rows 1-3 (A25-000781 DS-D, …)` on the queue; `A25-000781 DS-D, A25-000781 OP-S` on a chart.
fn names(items: &[&Checked]) -> String {
    let mut labels = items.iter().take(3).map(|i| i.label.as_str()).collect::<Vec<_>>().join(", ");
    if items.len() > 3 {
        labels.push_str(&format!(" and {} more", items.len() - 3));
    }
    match items.iter().map(|i| i.number).collect::<Option<Vec<usize>>>() {
        Some(numbers) if !numbers.is_empty() => format!("{} ({labels})", row_numbers(&numbers)),
        _ => labels,
    }
}

/// The row numbers alone on the queue (`rows 1-2`); on a chart, the items' names.
fn short_names(items: &[&Checked]) -> String {
    match items.iter().map(|i| i.number).collect::<Option<Vec<usize>>>() {
        Some(numbers) if !numbers.is_empty() => row_numbers(&numbers),
        _ => names(items),
    }
}

/// Adds `item` to the items with `problem`, so that items refused for one reason are named together.
fn note<'a>(problems: &mut Vec<(String, Vec<&'a Checked>)>, problem: String, item: &'a Checked) {
    match problems.iter_mut().find(|(p, _)| *p == problem) {
        Some((_, items)) => items.push(item),
        None => problems.push((problem, vec![item])),
    }
}

/// The question before a bulk command: `Complete rows 1-3 (…) with resolved date 03/03/2025? (y/N)`.
/// `detail` is a pause's days per row, or the name of the provider assigned to.
fn prompt(command: &Command, subject: &str, detail: Option<&str>) -> String {
    use crate::domain::dates::us_date;
    match command {
        Command::CompleteDeficiencies { resolved_on, .. } => {
            format!("Complete {subject} with resolved date {}? (y/N)", us_date(*resolved_on))
        }
        Command::ReassignDeficiencies { npi, .. } => match detail {
            Some(name) => match crate::domain::chart::npi_label(npi).as_str() {
                "no NPI" => format!("Assign {subject} to {name} (no NPI)? (y/N)"),
                real => format!("Assign {subject} to {name} (NPI {real})? (y/N)"),
            },
            None => format!("Assign {subject} to the provider with NPI {npi}? (y/N)"),
        },
        // What the clerk typed is asked back whole: what she reads is what is saved.
        Command::PauseAging { from, to, reason, .. } => {
            let days = detail.map(|d| format!(": {d}")).unwrap_or_default();
            format!(
                "Pause aging of {subject} from {} to {}{days}, because \"{}\"? (y/N)",
                us_date(*from),
                us_date(*to),
                reason.trim()
            )
        }
        Command::MoveDeficiencies { to: crate::domain::chart::DeficiencyStatus::Voided, note, .. } => {
            format!("Void {subject} because \"{}\"? They stay on record, marked void. (y/N)", note.trim())
        }
        Command::MoveDeficiencies { to, note, .. } if !note.trim().is_empty() => {
            format!("Move {subject} to {} with the note \"{}\"? (y/N)", to.code(), note.trim())
        }
        Command::MoveDeficiencies { to, .. } => format!("Move {subject} to {}? (y/N)", to.code()),
        Command::CommentDeficiencies { text, .. } => format!("Comment on {subject}: \"{}\"? (y/N)", text.trim()),
        _ => format!("{subject}? (y/N)"),
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
