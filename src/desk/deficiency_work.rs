//! Working deficiencies: completing, pausing, reassigning, commenting and moving them along the
//! ladder, one item or a page of them, and the chart completions and reinstatements that follow.
//!
//! Every action goes the same way: read the items as they stand, leave out (and name) the ones that
//! changed since the clerk listed them, refuse the whole action when a value cannot be right for an
//! item (a completion date before its discharge), decide each write with `domain::completion`, and
//! hand the store one batch that it writes whole or not at all. When a row moved between the read
//! and the write, the store says `Conflict` and the desk decides again from a fresh read.

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::chart::DeficiencyStatus;
use crate::domain::completion::{
    ChartStatus, ItemState, chart_completes, check_resolved_on, clip_pause, ends_claim, held_by_other, moved_since,
    reinstated, stale_reason,
};
use crate::domain::dates::us_date;
use crate::domain::deficiency::NoticeLevel;
use crate::domain::role::Permission;
use crate::store::{
    ChartWrite, ClaimWrite, CompletionOutcome, DeficiencyChanges, ItemChange, ItemWrite, NoticeDraft, Reinstatement,
    SkippedItem, StoreError,
};
use chrono::NaiveDate;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What a bulk action does to each item it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemAction {
    Complete {
        resolved_on: NaiveDate,
    },
    Pause {
        from: NaiveDate,
        to: NaiveDate,
        reason: String,
    },
    Reassign {
        npi: String,
    },
    Comment {
        text: String,
    },
    /// Along the ladder (dictated, transcribed, signed, reviewed), or out of it (rejected, voided).
    Step {
        to: DeficiencyStatus,
        note: String,
    },
}

impl ItemAction {
    /// The permission the action needs.
    pub fn permission(&self) -> Permission {
        match self {
            Self::Complete { .. } => Permission::CompleteDeficiencies,
            Self::Step { to: DeficiencyStatus::Voided, .. } => Permission::VoidRecords,
            _ => Permission::ManageDeficiencies,
        }
    }
}

/// How many times an action is decided again when rows move under it.
const ATTEMPTS: usize = 3;

impl Desk {
    /// Applies `action` to the listed items (id, version as listed). Items that changed since are
    /// named and skipped; a value that cannot be right for an item refuses the whole action, before
    /// anything is written.
    pub fn work_deficiencies(
        &self,
        items: Vec<(i64, i64)>,
        action: ItemAction,
        letters_dir: Option<&Path>,
    ) -> DeskResult<CompletionOutcome> {
        self.require_permission(action.permission())?;
        let action = self.check_action(action)?;
        if items.is_empty() {
            return Err(DeskError::Invalid("no deficiencies were named".into()));
        }
        let reassign_to = match &action {
            ItemAction::Reassign { npi } => Some(
                self.store()
                    .provider_by_npi(npi)?
                    .ok_or_else(|| DeskError::NotFound(format!("no provider has NPI {npi}")))?,
            ),
            _ => None,
        };
        let seen: BTreeMap<i64, i64> = items.into_iter().collect();
        let ids: Vec<i64> = seen.keys().copied().collect();
        for _ in 0..ATTEMPTS {
            let found = self.store().deficiency_items(&ids)?;
            let mut outcome = CompletionOutcome::default();
            let found_ids: BTreeSet<i64> = found.iter().map(|i| i.id).collect();
            for id in ids.iter().filter(|id| !found_ids.contains(id)) {
                outcome.skipped.push(SkippedItem {
                    id: *id,
                    label: "a deficiency".into(),
                    reason: "no longer exists".into(),
                });
            }
            let mut fresh = Vec::new();
            let now = self.now();
            for item in found {
                let seen_version = seen[&item.id];
                let reason = match stale_reason(&item, seen_version) {
                    Some(_) if item.status.is_open() => self.what_moved(&item, seen_version)?,
                    Some(reason) => Some(reason),
                    None => None,
                }
                // Another clerk is working it: what she is about to do was decided on the item as
                // she sees it, not as this action would leave it.
                .or_else(|| held_by_other(&item, &self.user().username, now).map(|claim| self.held_reason(claim)));
                match reason {
                    Some(reason) => outcome.skipped.push(SkippedItem { id: item.id, label: item.label(), reason }),
                    None => fresh.push(item),
                }
            }
            let mut changes = DeficiencyChanges::default();
            let mut problems = Vec::new();
            for item in &fresh {
                match self.item_write(item, &action, reassign_to.as_ref()) {
                    Ok(write) => changes.items.push(write),
                    Err(problem) => problems.push(format!("{}: {problem}", item.label())),
                }
            }
            if !problems.is_empty() {
                return Err(DeskError::Invalid(refusal(&problems)));
            }
            let closed_on = match &action {
                ItemAction::Complete { resolved_on } => *resolved_on,
                _ => self.today(),
            };
            let letters = self.follow_closures(&fresh, &mut changes, &mut outcome, closed_on, letters_dir)?;
            outcome.completed = changes.items.iter().map(|w| w.id).collect();
            if changes.items.is_empty() {
                return Ok(outcome);
            }
            match self.store().apply_deficiency_changes(changes) {
                Ok(()) => return Ok(outcome),
                Err(e) => {
                    remove_letters(&letters);
                    if !matches!(e, StoreError::Conflict) {
                        return Err(e.into());
                    }
                }
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// Cleans and checks what the clerk typed for the action, whatever the items.
    fn check_action(&self, action: ItemAction) -> DeskResult<ItemAction> {
        let clean = |text: &str| crate::domain::text::clean(text.trim()).to_string();
        Ok(match action {
            ItemAction::Complete { resolved_on } => {
                if resolved_on > self.today() {
                    return Err(DeskError::Invalid(format!(
                        "a completion date cannot be after today ({})",
                        us_date(self.today())
                    )));
                }
                ItemAction::Complete { resolved_on }
            }
            ItemAction::Pause { from, to, reason } => {
                if to < from {
                    return Err(DeskError::Invalid("a pause ends after it starts".into()));
                }
                let reason = clean(&reason);
                if reason.is_empty() {
                    return Err(DeskError::Invalid(
                        "say why aging pauses (chart unavailable, provider on leave)".into(),
                    ));
                }
                ItemAction::Pause { from, to, reason }
            }
            ItemAction::Reassign { npi } => ItemAction::Reassign { npi: npi.trim().to_string() },
            ItemAction::Comment { text } => {
                let text = clean(&text);
                if text.is_empty() || text.chars().count() > 255 {
                    return Err(DeskError::Invalid("a comment is 1 to 255 characters".into()));
                }
                ItemAction::Comment { text }
            }
            ItemAction::Step { to, note } => {
                let note = clean(&note);
                match to {
                    DeficiencyStatus::Completed => {
                        return Err(DeskError::Invalid("complete items with QC (quick complete)".into()));
                    }
                    DeficiencyStatus::Open => {
                        return Err(DeskError::Invalid("an item never goes back to OPEN".into()));
                    }
                    DeficiencyStatus::Voided if note.is_empty() => {
                        return Err(DeskError::Invalid("voiding needs a reason".into()));
                    }
                    _ => {}
                }
                ItemAction::Step { to, note }
            }
        })
    }

    /// The write that `action` makes of one item, or why it cannot be right for it.
    fn item_write(
        &self,
        item: &ItemState,
        action: &ItemAction,
        reassign_to: Option<&crate::domain::chart::Provider>,
    ) -> Result<ItemWrite, String> {
        let today = self.today();
        let mut audit = self.item_event(item);
        let (change, to, note) = match action {
            ItemAction::Complete { resolved_on } => {
                check_resolved_on(item.event_on, *resolved_on, today)?;
                audit.detail = format!("{}: COMPLETED, resolved {}", item.label(), us_date(*resolved_on));
                (
                    ItemChange::Complete { resolved_on: *resolved_on, resolved_by: self.user().username.clone() },
                    DeficiencyStatus::Completed,
                    format!("completed, resolved {}", us_date(*resolved_on)),
                )
            }
            ItemAction::Pause { from, to, reason } => {
                let span = clip_pause(item.event_on, &item.pauses, *from, *to, today)?;
                audit.detail = format!(
                    "{}: aging paused {} to {} ({} {}): {reason}",
                    item.label(),
                    us_date(span.from),
                    us_date(span.to),
                    span.days,
                    if span.days == 1 { "day" } else { "days" }
                );
                let by = self.user().username.clone();
                (ItemChange::Pause { span, reason: reason.clone(), by }, item.status, String::new())
            }
            ItemAction::Reassign { npi } => {
                let provider = reassign_to.ok_or("no provider to reassign to")?;
                if provider.id == item.provider_id {
                    return Err(format!("already assigned to NPI {npi}"));
                }
                audit.provider_id = Some(provider.id);
                let named = |npi: &str| match crate::domain::chart::npi_label(npi).as_str() {
                    "no NPI" => "a provider with no NPI".to_string(),
                    real => format!("NPI {real}"),
                };
                audit.detail =
                    format!("{}: reassigned from {} to {}", item.label(), named(&item.provider_npi), named(npi));
                (ItemChange::Reassign { provider_id: provider.id }, item.status, String::new())
            }
            ItemAction::Comment { text } => {
                audit.detail = format!("{}: comment: {text}", item.label());
                (ItemChange::Comment { text: text.clone() }, item.status, String::new())
            }
            ItemAction::Step { to, note } => {
                if !item.status.can_become(*to) {
                    return Err(format!("cannot go from {} to {}", item.status.code(), to.code()));
                }
                if *to == DeficiencyStatus::Voided {
                    audit.action = AuditAction::Void;
                }
                audit.detail = if note.is_empty() {
                    format!("{}: {} -> {}", item.label(), item.status.code(), to.code())
                } else {
                    format!("{}: {} -> {}: {note}", item.label(), item.status.code(), to.code())
                };
                (ItemChange::Step, *to, note.clone())
            }
        };
        // A closed item is no one's work: closing it ends its claim.
        let claim = if ends_claim(to) { ClaimWrite::Clear } else { ClaimWrite::Keep };
        Ok(ItemWrite { id: item.id, version: item.version, change, from: item.status, to, note, claim, audit })
    }

    /// `was changed by kwong at 10:45 since it was listed (comment: please sign)`: what moved an
    /// open item since the clerk listed it at `seen_version`, from its change log. None when only
    /// who holds it changed (the clerk's own take, most often): the item she read is the item
    /// there, and a claim by someone else is told apart.
    pub(crate) fn what_moved(&self, item: &ItemState, seen_version: i64) -> DeskResult<Option<String>> {
        let all = self.store().deficiency_changes(item.id, seen_version)?;
        // Every version since has its row in the log, unless something wrote the item without one.
        let whole = all.len() as i64 == item.version - seen_version;
        let label = format!("{}: ", item.label());
        let moved: Vec<_> = all
            .into_iter()
            .filter(|c| !ItemChange::CLAIMS.contains(&c.change.as_str()))
            .map(|c| {
                let what = c.detail.strip_prefix(&label).unwrap_or(&c.detail).to_string();
                (c.username, self.local_time(c.at), what)
            })
            .collect();
        Ok((!whole || !moved.is_empty()).then(|| moved_since(&moved, self.today())))
    }

    /// `is being worked by mlee since 10:42`.
    pub(crate) fn held_reason(&self, claim: &crate::domain::completion::Claim) -> String {
        format!("is being worked by {}", claim.holder_since(self.local_time(claim.since), self.today()))
    }

    /// An audit event about one item: its patient and its physician.
    pub(crate) fn item_event(&self, item: &ItemState) -> NewAuditEvent {
        let mut event = self.audit_event(AuditAction::Update, "deficiency", String::new());
        event.entity_id = Some(item.id.to_string());
        event.patient_id = Some(item.patient_id);
        event.provider_id = Some(item.provider_id);
        event
    }

    /// What closing items brings with it: charts left with no open item become complete; a
    /// suspended physician left with no delinquent item is reinstated, with a notice whose letter is
    /// written first (a notice is recorded with its letter or not at all). Returns the letters
    /// written, so that a failed write can take them back.
    fn follow_closures(
        &self,
        items: &[ItemState],
        changes: &mut DeficiencyChanges,
        outcome: &mut CompletionOutcome,
        closed_on: NaiveDate,
        letters_dir: Option<&Path>,
    ) -> DeskResult<Vec<PathBuf>> {
        let closing: Vec<i64> = changes.items.iter().filter(|w| !w.to.is_open()).map(|w| w.id).collect();
        if closing.is_empty() {
            return Ok(Vec::new());
        }
        let closing_items: Vec<&ItemState> = items.iter().filter(|i| closing.contains(&i.id)).collect();
        let encounters: BTreeSet<i64> = closing_items.iter().map(|i| i.encounter_id).collect();
        for chart in self.store().chart_states(&encounters.into_iter().collect::<Vec<_>>())? {
            let Some(version) = chart.version else { continue };
            if chart.status != ChartStatus::Complete && chart_completes(&chart.open_ids, &closing) {
                let mut audit = self.audit_event(
                    AuditAction::Update,
                    "chart_completion",
                    format!("{}: {} -> COMPLETE (no deficiency left)", chart.account, chart.status),
                );
                audit.patient_id = Some(chart.patient_id);
                changes.charts.push(ChartWrite {
                    encounter_id: chart.encounter_id,
                    version,
                    status: ChartStatus::Complete,
                    completed_on: Some(closed_on),
                    audit,
                });
                outcome.charts_completed.push(chart.account);
            }
        }
        let providers: BTreeSet<i64> = closing_items.iter().map(|i| i.provider_id).collect();
        let mut letters = Vec::new();
        for standing in self.store().provider_suspensions(&providers.into_iter().collect::<Vec<_>>(), closed_on)? {
            if !reinstated(standing.suspended, standing.by_override, &standing.delinquent_ids, &closing) {
                continue;
            }
            let facility_id = closing_items
                .iter()
                .find(|i| i.provider_id == standing.provider_id)
                .map(|i| i.facility_id)
                .unwrap_or_default();
            let draft = NoticeDraft {
                provider_id: standing.provider_id,
                facility_id,
                level: NoticeLevel::Reinstatement,
                notice_on: closed_on,
                copy_to_id: None,
                deficiency_ids: Vec::new(),
                count_open: 0,
                count_delinquent: 0,
            };
            if let Some(dir) = letters_dir {
                match self.write_letter(&draft, dir) {
                    Ok(written) => letters.extend(written),
                    Err(e) => {
                        remove_letters(&letters);
                        return Err(e);
                    }
                }
            }
            let mut audit =
                self.audit_event(AuditAction::Update, "provider", format!("reinstated {}", us_date(closed_on)));
            audit.entity_id = Some(standing.provider_id.to_string());
            audit.provider_id = Some(standing.provider_id);
            let notice_audit = self.notice_event(&draft);
            changes.reinstatements.push(Reinstatement {
                provider_id: standing.provider_id,
                version: standing.version,
                on: closed_on,
                audit,
            });
            changes.notices.push((draft, notice_audit));
            outcome.reinstated.push(standing.provider_id);
        }
        Ok(letters)
    }

    /// Completes the listed items with one resolved date (`:QC`).
    pub fn complete_deficiencies(
        &self,
        items: Vec<(i64, i64)>,
        resolved_on: NaiveDate,
        letters_dir: Option<&Path>,
    ) -> DeskResult<CompletionOutcome> {
        self.work_deficiencies(items, ItemAction::Complete { resolved_on }, letters_dir)
    }

    /// Pauses aging from `from` to `to`, clipped for each item to the days it was aging (`:PA`).
    pub fn pause_aging(
        &self,
        items: Vec<(i64, i64)>,
        from: NaiveDate,
        to: NaiveDate,
        reason: &str,
    ) -> DeskResult<CompletionOutcome> {
        self.work_deficiencies(items, ItemAction::Pause { from, to, reason: reason.to_string() }, None)
    }

    /// Reassigns the listed items to the provider with `npi` (`:AS=2 4 NPI`).
    pub fn reassign_deficiencies(&self, items: Vec<(i64, i64)>, npi: &str) -> DeskResult<CompletionOutcome> {
        self.work_deficiencies(items, ItemAction::Reassign { npi: npi.to_string() }, None)
    }

    /// Moves the listed items along the ladder, or out of it: rejected by an analyst, voided by a
    /// supervisor with a reason (`:ST`, `:VD`).
    pub fn move_deficiencies(
        &self,
        items: Vec<(i64, i64)>,
        to: DeficiencyStatus,
        note: &str,
    ) -> DeskResult<CompletionOutcome> {
        self.work_deficiencies(items, ItemAction::Step { to, note: note.to_string() }, None)
    }

    /// Sets a message to the provider on the listed items (`:CM`).
    pub fn comment_deficiencies(&self, items: Vec<(i64, i64)>, comment: &str) -> DeskResult<CompletionOutcome> {
        self.work_deficiencies(items, ItemAction::Comment { text: comment.to_string() }, None)
    }
}

/// One refusal for every item a value cannot be right for: the first three named, the rest counted.
fn refusal(problems: &[String]) -> String {
    let mut text = problems.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
    if problems.len() > 3 {
        text.push_str(&format!("; and {} more", problems.len() - 3));
    }
    format!("nothing was changed: {text}")
}

fn remove_letters(paths: &[PathBuf]) {
    for path in paths {
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(path.with_extension("pdf"));
    }
}
