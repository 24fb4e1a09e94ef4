//! Taking deficiencies to work, and giving them up. A claim is a versioned change of the item like
//! any other, written with its audit event through the same batch as completions: of two clerks
//! taking one item, the store writes the first and refuses the second (`Conflict`), whose desk reads
//! again and tells her who has it and since when.

use super::{Desk, DeskError, DeskResult};
use crate::domain::completion::{Claim, ClaimLapse, ItemState, NotTaken, Taking, releasing, taking};
use crate::domain::role::Permission;
use crate::store::{ClaimWrite, DeficiencyChanges, ItemChange, ItemWrite, SkippedItem, StoreError};
use serde::Serialize;
use std::collections::BTreeSet;

/// How many times a take is decided again when items move under it: each retry reads afresh, and
/// items another clerk took meanwhile are then refused by name, so a retry rarely meets another.
const ATTEMPTS: usize = 5;

/// What taking (or giving up) items did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClaimOutcome {
    /// Items taken (or given up), taken over ones included.
    pub done: Vec<i64>,
    /// Items a supervisor took over (or gave up) from another clerk: (item, whose it was).
    pub from_others: Vec<(String, String)>,
    /// Items the clerk already held (taking), or nobody held (giving up): nothing written.
    pub unchanged: Vec<i64>,
    /// Items left alone, and why: who is working them, or that they are closed.
    pub refused: Vec<SkippedItem>,
    /// `until the end of the day` or `until 18:42`, when items were taken.
    pub lapses: Option<String>,
    /// Giving up rather than taking.
    pub release: bool,
}

impl ClaimOutcome {
    /// `2 deficiencies taken, yours until the end of the day; not taken 1: A25-000781 OP-D is being
    /// worked by mlee since 10:42`.
    pub fn message(&self) -> String {
        let plural = |n: usize| if n == 1 { "deficiency" } else { "deficiencies" };
        let (verb, not) = if self.release { ("given up", "not given up") } else { ("taken", "not taken") };
        let mut parts = Vec::new();
        let done = self.done.len();
        if done > 0 || (self.unchanged.is_empty() && self.refused.is_empty()) {
            let mut part = format!("{done} {} {verb}", plural(done));
            if let Some(lapses) = self.lapses.as_ref().filter(|_| done > 0) {
                part.push_str(&format!(", yours {lapses}"));
            }
            parts.push(part);
        }
        if !self.from_others.is_empty() {
            let whose: BTreeSet<&str> = self.from_others.iter().map(|(_, from)| from.as_str()).collect();
            let n = self.from_others.len();
            let how = if self.release { "released from" } else { "taken over from" };
            parts.push(format!("{n} of them {how} {}", whose.into_iter().collect::<Vec<_>>().join(", ")));
        }
        if !self.unchanged.is_empty() {
            let n = self.unchanged.len();
            parts.push(match self.release {
                false => format!("{n} already yours"),
                true => format!("{n} not taken by anyone"),
            });
        }
        if !self.refused.is_empty() {
            let named: Vec<String> = self.refused.iter().take(3).map(|s| format!("{} {}", s.label, s.reason)).collect();
            let mut part = format!("{not} {}: {}", self.refused.len(), named.join(", "));
            if self.refused.len() > 3 {
                part.push_str(&format!(" and {} more", self.refused.len() - 3));
            }
            parts.push(part);
        }
        parts.join("; ")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claiming {
    Take,
    Release,
}

impl Desk {
    /// Takes the items to work. An item another clerk holds is refused with who and since when,
    /// unless a supervisor asks to take it over (`take_over`), which the audit trail records with
    /// both names.
    pub fn take_deficiencies(&self, ids: &[i64], take_over: bool) -> DeskResult<ClaimOutcome> {
        self.claim_work(ids, Claiming::Take, take_over)
    }

    /// Gives the items up. Only their holder does, or a supervisor with `take_over`.
    pub fn release_deficiencies(&self, ids: &[i64], take_over: bool) -> DeskResult<ClaimOutcome> {
        self.claim_work(ids, Claiming::Release, take_over)
    }

    /// When a claim lapses, as the department set it.
    pub fn claim_lapse(&self) -> DeskResult<ClaimLapse> {
        Ok(match self.store().setting(ClaimLapse::SETTING)? {
            Some(text) => ClaimLapse::parse(&text).unwrap_or_else(|problem| {
                tracing::warn!(%problem, "the stored claim lapse is not one chartroom knows; using the default");
                ClaimLapse::default()
            }),
            None => ClaimLapse::default(),
        })
    }

    /// Sets when claims lapse (director): claims taken from now on.
    pub fn set_claim_lapse(&self, lapse: ClaimLapse) -> DeskResult<ClaimLapse> {
        self.require_permission(Permission::ManageRules)?;
        let lapse = match lapse {
            ClaimLapse::Hours(h) => ClaimLapse::hours(h).map_err(DeskError::Invalid)?,
            other => other,
        };
        let before = self.claim_lapse()?;
        let audit = self.audit_event(
            crate::domain::audit::AuditAction::Update,
            "claim_lapse",
            format!("a claim lapses {} -> {}", before.describe(), lapse.describe()),
        );
        self.store().put_setting(ClaimLapse::SETTING, &lapse.code(), Some(audit))?;
        Ok(lapse)
    }

    /// The open items a clerk names on the command line: a chart's (`A25-000781`) or one type of
    /// them (`A25-000781:OP-D`). A name that matches nothing is refused, naming it.
    pub fn deficiencies_named(&self, names: &[String]) -> DeskResult<Vec<i64>> {
        self.require_any(&[Permission::CompleteDeficiencies, Permission::ManageDeficiencies])?;
        let mut ids = Vec::new();
        for name in names {
            let (account, type_code) = match name.split_once(':') {
                Some((account, code)) => (account.trim(), Some(code.trim())),
                None => (name.trim(), None),
            };
            let shown = |text: &str| crate::domain::text::clean(text).chars().take(30).collect::<String>();
            let chart = self
                .store()
                .chart_completion(&account.to_ascii_uppercase())?
                .ok_or_else(|| DeskError::NotFound(format!("no chart has account {}", shown(account))))?;
            let open = match type_code {
                None => chart.open_ids,
                Some(code) => self
                    .store()
                    .deficiency_items(&chart.open_ids)?
                    .into_iter()
                    .filter(|i| i.type_code.eq_ignore_ascii_case(code))
                    .map(|i| i.id)
                    .collect(),
            };
            if open.is_empty() {
                return Err(DeskError::NotFound(match type_code {
                    Some(code) => format!("{} has no open {}", chart.account, shown(code).to_ascii_uppercase()),
                    None => format!("{} has no open deficiency", chart.account),
                }));
            }
            ids.extend(open);
        }
        Ok(ids)
    }

    fn claim_work(&self, ids: &[i64], claiming: Claiming, take_over: bool) -> DeskResult<ClaimOutcome> {
        self.require_any(&[Permission::CompleteDeficiencies, Permission::ManageDeficiencies])?;
        if take_over {
            self.require_permission(Permission::TakeOverWork)?;
        }
        let ids: Vec<i64> = ids.iter().copied().collect::<BTreeSet<_>>().into_iter().collect();
        if ids.is_empty() {
            return Err(DeskError::Invalid("no deficiencies were named".into()));
        }
        let lapse = self.claim_lapse()?;
        let me = self.user().username.clone();
        for _ in 0..ATTEMPTS {
            let now = self.now();
            let until = lapse.until(now, self.end_of_day());
            let found = self.store().deficiency_items(&ids)?;
            let mut outcome = ClaimOutcome { release: claiming == Claiming::Release, ..Default::default() };
            let found_ids: BTreeSet<i64> = found.iter().map(|i| i.id).collect();
            for id in ids.iter().filter(|id| !found_ids.contains(id)) {
                outcome.refused.push(SkippedItem {
                    id: *id,
                    label: "a deficiency".into(),
                    reason: "no longer exists".into(),
                });
            }
            let mut changes = DeficiencyChanges::default();
            for item in &found {
                let refuse = |outcome: &mut ClaimOutcome, reason: String| {
                    outcome.refused.push(SkippedItem { id: item.id, label: item.label(), reason })
                };
                let decided = match claiming {
                    Claiming::Take => taking(item, &me, now, take_over).map(|t| match t {
                        Taking::Free => Some((ItemChange::Take, None)),
                        Taking::AlreadyYours => None,
                        Taking::Over(from) => Some((ItemChange::TakeOver, Some(from))),
                    }),
                    Claiming::Release => releasing(item, &me, now, take_over).map(|held| {
                        held.map(|claim| {
                            let from = (claim.holder != me).then_some(claim);
                            (ItemChange::Release, from)
                        })
                    }),
                };
                match decided {
                    Ok(Some((change, from))) => {
                        let claim = match claiming {
                            Claiming::Take => ClaimWrite::Set(Claim { holder: me.clone(), since: now, until }),
                            Claiming::Release => ClaimWrite::Clear,
                        };
                        changes.items.push(self.claim_write(item, change, claim, from.as_ref()));
                        if let Some(from) = from {
                            outcome.from_others.push((item.label(), from.holder));
                        }
                        outcome.done.push(item.id);
                    }
                    Ok(None) => outcome.unchanged.push(item.id),
                    Err(NotTaken::Held(claim)) => refuse(&mut outcome, self.held_reason(&claim)),
                    Err(NotTaken::Closed(reason)) => refuse(&mut outcome, reason),
                }
            }
            if claiming == Claiming::Take {
                outcome.lapses = Some(match lapse {
                    ClaimLapse::EndOfDay => "until the end of the day".to_string(),
                    ClaimLapse::Hours(_) => format!("until {}", self.local_time(until).format("%H:%M")),
                });
            }
            if changes.items.is_empty() {
                return Ok(outcome);
            }
            match self.store().apply_deficiency_changes(changes) {
                Ok(()) => return Ok(outcome),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// The write of a take, a take-over or a release, with its audit event naming the clerk and,
    /// for a supervisor's, the clerk whose claim it ends.
    fn claim_write(&self, item: &ItemState, change: ItemChange, claim: ClaimWrite, from: Option<&Claim>) -> ItemWrite {
        let me = &self.user().username;
        let mut audit = self.item_event(item);
        let held = |c: &Claim| c.holder_since(self.local_time(c.since), self.today());
        audit.detail = match (&change, from) {
            (ItemChange::TakeOver, Some(from)) => {
                format!("{}: taken over from {} by {me}", item.label(), held(from))
            }
            (ItemChange::Release, Some(from)) => format!("{}: released from {} by {me}", item.label(), held(from)),
            (ItemChange::Release, None) => format!("{}: given up by {me}", item.label()),
            _ => format!("{}: taken by {me}", item.label()),
        };
        ItemWrite {
            id: item.id,
            version: item.version,
            change,
            from: item.status,
            to: item.status,
            note: String::new(),
            claim,
            audit,
        }
    }
}
