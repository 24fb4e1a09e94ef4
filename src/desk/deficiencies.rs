//! Chart completion at the desk: the nightly run, the queue, bulk completion, pauses, leave and
//! suspension, the delinquency rate.

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::deficiency::{
    DeficiencyPolicy, DelinquencyRate, Leave, NoticeLevel, delinquency_rate, standard_deficiencies, suspension_proposed,
};
use crate::domain::role::Permission;
use crate::store::{
    CompletionOutcome, NewSeededDeficiency, NoticeDraft, Page, PhysicianStanding, QueueCounts, QueueFilter, QueuePage,
    QueueSort,
};
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The date through which the nightly run has worked, kept in the store.
pub const NIGHTLY_THROUGH: &str = "nightly_through";

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NightlySummary {
    pub run_on: NaiveDate,
    /// The run for this day had already finished: nothing was changed.
    pub already_ran: bool,
    pub encounters_analysed: usize,
    pub deficiencies_created: usize,
    pub notices_created: usize,
    pub letters: Vec<PathBuf>,
    pub open: i64,
    pub delinquent: i64,
    pub suspension_eligible: Vec<String>,
}

impl std::fmt::Display for NightlySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.already_ran {
            return write!(f, "The nightly run for {} had already finished; nothing changed.", self.run_on);
        }
        writeln!(f, "Nightly run for {}:", self.run_on)?;
        writeln!(f, "  charts analysed          {}", self.encounters_analysed)?;
        writeln!(f, "  deficiencies created     {}", self.deficiencies_created)?;
        writeln!(f, "  notices generated        {}", self.notices_created)?;
        writeln!(f, "  open deficiencies        {}", self.open)?;
        writeln!(f, "  delinquent               {}", self.delinquent)?;
        write!(f, "  suspension eligible      {}", self.suspension_eligible.len())?;
        for name in self.suspension_eligible.iter().take(10) {
            write!(f, "\n    {name}")?;
        }
        if self.suspension_eligible.len() > 10 {
            write!(f, "\n    … (chartroom deficiencies suspensions lists them all)")?;
        }
        if !self.letters.is_empty() {
            write!(f, "\n  letters written          {}", self.letters.len())?;
        }
        Ok(())
    }
}

impl Desk {
    fn require_any(&self, permissions: &[Permission]) -> DeskResult<()> {
        match permissions.iter().find(|p| self.can(**p)) {
            Some(_) => Ok(()),
            None => self.require_permission(permissions[0]),
        }
    }

    pub fn deficiency_policy(&self) -> DeskResult<DeficiencyPolicy> {
        Ok(self.store().deficiency_policy()?)
    }

    /// A facility's policy: its own when it set one, else the store-wide default.
    pub fn facility_deficiency_policy(&self, facility_code: &str) -> DeskResult<DeficiencyPolicy> {
        let facility = self.facility_by_code(facility_code)?;
        let own = self.store().facility_policies()?.into_iter().find(|(id, _)| *id == facility.id).map(|(_, p)| p);
        Ok(match own {
            Some(policy) => policy,
            None => self.store().deficiency_policy()?,
        })
    }

    fn facility_by_code(&self, code: &str) -> DeskResult<crate::domain::chart::Facility> {
        self.store()
            .list_facilities()?
            .into_iter()
            .find(|f| f.code.eq_ignore_ascii_case(code))
            .ok_or_else(|| DeskError::NotFound(format!("no facility has code {code}")))
    }

    /// Sets one facility's own policy (director); audited with old and new values.
    pub fn set_facility_deficiency_policy(
        &self,
        facility_code: &str,
        policy: DeficiencyPolicy,
    ) -> DeskResult<DeficiencyPolicy> {
        self.require_permission(Permission::ManageRules)?;
        let policy = policy.validate().map_err(|e| DeskError::Invalid(e.to_string()))?;
        let facility = self.facility_by_code(facility_code)?;
        let before = self.facility_deficiency_policy(&facility.code)?;
        let detail = format!(
            "{}: notice {}→{} final {}→{} delinquent {}→{}",
            facility.code,
            before.notice_days,
            policy.notice_days,
            before.final_notice_days,
            policy.final_notice_days,
            before.delinquent_days,
            policy.delinquent_days
        );
        self.store().set_facility_policy(
            facility.id,
            policy,
            self.audit_event(AuditAction::Update, "deficiency_policy", detail),
        )?;
        Ok(policy)
    }

    pub fn set_deficiency_policy(&self, policy: DeficiencyPolicy) -> DeskResult<DeficiencyPolicy> {
        self.require_permission(Permission::ManageRules)?;
        let policy = policy.validate().map_err(|e| DeskError::Invalid(e.to_string()))?;
        let before = self.store().deficiency_policy()?;
        let detail = format!(
            "notice {}→{} final {}→{} delinquent {}→{}",
            before.notice_days,
            policy.notice_days,
            before.final_notice_days,
            policy.final_notice_days,
            before.delinquent_days,
            policy.delinquent_days
        );
        self.store()
            .set_deficiency_policy(policy, self.audit_event(AuditAction::Update, "deficiency_policy", detail))?;
        Ok(policy)
    }

    /// What the overnight job does for `date`: analyse the charts discharged since the last run and
    /// seed their standard deficiencies; generate the notices falling due on each day since; list the
    /// physicians eligible for suspension. Idempotent for a date; a second run at the same time is
    /// refused. Letters are written under `letters_dir` when given.
    pub fn nightly(&self, date: NaiveDate, letters_dir: Option<&Path>) -> DeskResult<NightlySummary> {
        self.nightly_with_progress(date, letters_dir, &mut |_| {})
    }

    /// [`Desk::nightly`], saying what it is doing as it goes (for the terminal program's progress).
    pub fn nightly_with_progress(
        &self,
        date: NaiveDate,
        letters_dir: Option<&Path>,
        progress: &mut dyn FnMut(String),
    ) -> DeskResult<NightlySummary> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::AdministerStore])?;
        progress(format!("Nightly run for {date}: claiming the run…"));
        let store = self.store();
        let mut summary = NightlySummary { run_on: date, ..Default::default() };
        if !store.begin_nightly(date, self.now()).map_err(|e| match e {
            crate::store::StoreError::Busy => DeskError::Invalid(format!(
                "a nightly run for {date} is already in progress (or stopped without finishing); wait for it, \
                 or ask a supervisor to clear it"
            )),
            other => other.into(),
        })? {
            summary.already_ran = true;
            return Ok(summary);
        }
        // With no earlier run on record, the first run takes yesterday's and today's discharges, as
        // VistA's nightly job does; after that it catches up from the day after the last run.
        let through: Option<NaiveDate> = Some(
            store
                .setting(NIGHTLY_THROUGH)?
                .and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok())
                .unwrap_or(date - Duration::days(2)),
        );
        let default_policy = store.deficiency_policy()?;
        let facility_policies: std::collections::HashMap<i64, DeficiencyPolicy> =
            store.facility_policies()?.into_iter().collect();
        let policy_of = |facility_id: i64| facility_policies.get(&facility_id).copied().unwrap_or(default_policy);
        let types = store.deficiency_types()?;

        // 1. Seed the charts discharged since the last run.
        progress("Nightly run: finding the charts discharged since the last run…".into());
        let discharged = store.encounters_to_analyse(through, date)?;
        summary.encounters_analysed = discharged.len();
        progress(format!("Nightly run: analysing {} charts…", discharged.len()));
        let analysed: Vec<_> = discharged
            .iter()
            .map(|e| {
                let seeds = standard_deficiencies(&types, e.kind, e.attending_id, &e.documents, &e.procedures)
                    .into_iter()
                    .map(|s| {
                        let event_on = s.event_on.unwrap_or(e.discharged_on);
                        NewSeededDeficiency {
                            encounter_id: e.encounter_id,
                            type_code: s.type_code,
                            provider_id: s.provider_id,
                            document_id: s.document_id,
                            status: s.status,
                            event_on,
                            delinquent_on: policy_of(e.facility_id).delinquent_on(event_on, 0),
                        }
                    })
                    .collect();
                (e.encounter_id, e.discharged_on, seeds)
            })
            .collect();
        summary.deficiencies_created = store.record_analysis(
            analysed,
            self.audit_event(AuditAction::Create, "deficiency", format!("nightly {date}")),
        )?;

        // 2. The notices of every day since the last run (a missed night's notices are not lost).
        progress(format!("Nightly run: {} deficiencies seeded; generating notices…", summary.deficiencies_created));
        let first_day = through.map_or(date, |t| t + Duration::days(1)).min(date);
        let items = store.open_items()?;
        let mut drafts = Vec::new();
        let mut day = first_day;
        while day <= date {
            let mut due: BTreeMap<(i64, NoticeLevel), (Option<i64>, Vec<i64>)> = BTreeMap::new();
            for item in &items {
                if let Some(level) = policy_of(item.facility_id).notice_due(item.event_on, item.paused_days, day) {
                    due.entry((item.provider_id, level)).or_insert((item.supervisor_id, Vec::new())).1.push(item.id);
                }
            }
            for ((provider_id, level), (supervisor, ids)) in due {
                let mine = items.iter().filter(|i| i.provider_id == provider_id);
                let count_open = mine.clone().count() as i64;
                let count_delinquent = mine.filter(|i| i.delinquent_on <= day).count() as i64;
                drafts.push(NoticeDraft {
                    provider_id,
                    level,
                    notice_on: day,
                    copy_to_id: supervisor,
                    deficiency_ids: ids,
                    count_open,
                    count_delinquent,
                });
            }
            day += Duration::days(1);
        }
        let created =
            store.record_notices(drafts, self.audit_event(AuditAction::Create, "deficiency_notice", String::new()))?;
        summary.notices_created = created.len();
        summary.letters = self.write_letters(&created, letters_dir)?;

        // 3. The suspension list.
        progress(format!("Nightly run: {} notices; updating the suspension list…", summary.notices_created));
        let standings = store.physician_standings(date)?;
        summary.suspension_eligible = standings
            .iter()
            .filter(|s| s.suspended_since.is_none())
            .filter(|s| {
                let leave: Vec<Leave> = s.leave.iter().map(|(from, to)| Leave { from: *from, to: *to }).collect();
                suspension_proposed(s.delinquent, &leave, date)
            })
            .map(|s| s.name.clone())
            .collect();
        let counts = store.queue_counts(date)?;
        summary.open = counts.open;
        summary.delinquent = counts.delinquent;
        store.put_setting(NIGHTLY_THROUGH, &date.format("%Y-%m-%d").to_string(), None)?;
        store.finish_nightly(date, self.now(), &format!("{summary:?}"))?;
        Ok(summary)
    }

    fn write_letters(&self, notice_ids: &[i64], letters_dir: Option<&Path>) -> DeskResult<Vec<PathBuf>> {
        let Some(dir) = letters_dir else { return Ok(Vec::new()) };
        let facility = self
            .store()
            .list_facilities()?
            .first()
            .map(|f| f.name.clone())
            .unwrap_or_else(|| "Health Information Management".into());
        let mut written = Vec::new();
        for id in notice_ids {
            let Some(notice) = self.store().notice(*id, self.today())? else { continue };
            let day_dir = dir.join(notice.notice_on.format("%Y-%m-%d").to_string());
            create_private_dir(&day_dir).map_err(|e| DeskError::Invalid(format!("{}: {e}", day_dir.display())))?;
            let path = day_dir.join(crate::report::letters::file_name(&notice));
            let letter = crate::report::letters::notice_letter(&notice, &facility);
            write_private(&path, letter.as_bytes())
                .map_err(|e| DeskError::Invalid(format!("{}: {e}", path.display())))?;
            // The same letter as a PDF beside it, for mail and fax.
            let pdf = crate::report::pdf::text_to_pdf(&letter).map_err(|e| DeskError::Invalid(e.to_string()))?;
            let pdf_path = path.with_extension("pdf");
            write_private(&pdf_path, &pdf).map_err(|e| DeskError::Invalid(format!("{}: {e}", pdf_path.display())))?;
            written.push(path);
        }
        Ok(written)
    }

    pub fn deficiency_queue(&self, filter: &QueueFilter, sort: QueueSort, page: Page) -> DeskResult<QueuePage> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::ViewReports, Permission::CompleteDeficiencies])?;
        Ok(self.store().queue_page(filter, sort, page)?)
    }

    /// Every item the filter matches (id, version), for a bulk action on "all in the filter".
    pub fn deficiency_ids(&self, filter: &QueueFilter) -> DeskResult<Vec<(i64, i64)>> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::CompleteDeficiencies])?;
        Ok(self.store().queue_ids(filter)?)
    }

    pub fn deficiency_counts(&self, date: NaiveDate) -> DeskResult<(QueueCounts, DelinquencyRate)> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::ViewReports, Permission::CompleteDeficiencies])?;
        let counts = self.store().queue_counts(date)?;
        let rate = delinquency_rate(counts.delinquent_charts, counts.discharges_12_months);
        Ok((counts, rate))
    }

    /// A physician's standing by NPI: what they owe, suspension and leave.
    pub fn physician_standing(&self, npi: &str, date: NaiveDate) -> DeskResult<PhysicianStanding> {
        self.require_any(&[
            Permission::ManageDeficiencies,
            Permission::ViewReports,
            Permission::CompleteDeficiencies,
            Permission::ConfirmSuspensions,
        ])?;
        let provider = self
            .store()
            .provider_by_npi(npi)?
            .ok_or_else(|| DeskError::NotFound(format!("no provider has NPI {npi}")))?;
        self.store()
            .physician_standing(provider.id, date)?
            .ok_or_else(|| DeskError::NotFound(format!("no provider has NPI {npi}")))
    }

    /// The standings of the given providers (the physicians on a page of the queue).
    pub fn physician_standings_of(&self, provider_ids: &[i64], date: NaiveDate) -> DeskResult<Vec<PhysicianStanding>> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::ViewReports, Permission::CompleteDeficiencies])?;
        let mut out = Vec::with_capacity(provider_ids.len());
        for id in provider_ids {
            if let Some(standing) = self.store().physician_standing(*id, date)? {
                out.push(standing);
            }
        }
        Ok(out)
    }

    pub fn physician_standings(&self, date: NaiveDate) -> DeskResult<Vec<PhysicianStanding>> {
        self.require_any(&[Permission::ConfirmSuspensions, Permission::ViewReports, Permission::ManageDeficiencies])?;
        Ok(self.store().physician_standings(date)?)
    }

    /// Completes the listed items (id, version as listed) with one resolved date; an item that
    /// changed meanwhile is named and skipped. Completing a suspended physician's last delinquent
    /// item writes a reinstatement notice.
    pub fn complete_deficiencies(
        &self,
        items: Vec<(i64, i64)>,
        resolved_on: NaiveDate,
        letters_dir: Option<&Path>,
    ) -> DeskResult<CompletionOutcome> {
        self.require_permission(Permission::CompleteDeficiencies)?;
        if resolved_on > self.today() {
            return Err(DeskError::Invalid("a resolved date cannot be in the future".into()));
        }
        let outcome = self.store().complete_deficiencies(
            items,
            resolved_on,
            self.audit_event(AuditAction::Update, "deficiency", String::new()),
        )?;
        if !outcome.reinstated.is_empty() {
            let drafts = outcome
                .reinstated
                .iter()
                .map(|id| NoticeDraft {
                    provider_id: *id,
                    level: NoticeLevel::Reinstatement,
                    notice_on: resolved_on,
                    copy_to_id: None,
                    deficiency_ids: Vec::new(),
                    count_open: 0,
                    count_delinquent: 0,
                })
                .collect();
            let created = self
                .store()
                .record_notices(drafts, self.audit_event(AuditAction::Create, "deficiency_notice", String::new()))?;
            self.write_letters(&created, letters_dir)?;
        }
        Ok(outcome)
    }

    pub fn pause_aging(
        &self,
        items: Vec<(i64, i64)>,
        from: NaiveDate,
        to: NaiveDate,
        reason: &str,
    ) -> DeskResult<CompletionOutcome> {
        self.require_permission(Permission::ManageDeficiencies)?;
        if to < from {
            return Err(DeskError::Invalid("a pause ends after it starts".into()));
        }
        let reason = crate::domain::text::clean(reason.trim()).to_string();
        if reason.is_empty() {
            return Err(DeskError::Invalid("say why aging pauses (chart unavailable, provider on leave)".into()));
        }
        Ok(self.store().pause_aging(
            items,
            from,
            to,
            &reason,
            self.audit_event(AuditAction::Update, "deficiency", String::new()),
        )?)
    }

    pub fn add_provider_leave(&self, npi: &str, from: NaiveDate, to: NaiveDate) -> DeskResult<()> {
        self.require_any(&[Permission::ConfirmSuspensions, Permission::ManageDeficiencies])?;
        if to < from {
            return Err(DeskError::Invalid("leave ends after it starts".into()));
        }
        let detail = format!("leave {from} to {to}");
        Ok(self.store().add_provider_leave(npi, from, to, self.audit_event(AuditAction::Update, "provider", detail))?)
    }

    pub fn confirm_suspension(&self, npi: &str, on: NaiveDate) -> DeskResult<()> {
        self.require_permission(Permission::ConfirmSuspensions)?;
        let detail = format!("suspension confirmed from {on}");
        Ok(self.store().confirm_suspension(npi, on, self.audit_event(AuditAction::Update, "provider", detail))?)
    }
}

impl Desk {
    /// Adds or edits a deficiency type (director); the audit event carries the old and new values.
    pub fn save_deficiency_type(&self, kind: crate::domain::chart::DeficiencyType) -> DeskResult<()> {
        self.require_permission(Permission::ManageRules)?;
        let kind = validate_type(kind)?;
        let before = self.store().deficiency_types()?.into_iter().find(|t| t.code == kind.code);
        let describe = |t: &crate::domain::chart::DeficiencyType| {
            format!(
                "{} '{}' {} {} {} {} dictate={:?} sign={:?} review={:?} standard={} doc={:?}",
                t.code,
                t.name,
                t.abbreviation,
                t.category,
                t.level,
                t.responsible,
                t.days_to_dictate,
                t.days_to_sign,
                t.days_to_review,
                t.standard_for.join(","),
                t.document_type
            )
        };
        let detail = match &before {
            Some(old) => format!("{} -> {}", describe(old), describe(&kind)),
            None => format!("new {}", describe(&kind)),
        };
        let action = if before.is_some() { AuditAction::Update } else { AuditAction::Create };
        Ok(self.store().save_deficiency_type(kind, self.audit_event(action, "deficiency_type", detail))?)
    }

    pub fn retire_deficiency_type(&self, code: &str) -> DeskResult<()> {
        self.require_permission(Permission::ManageRules)?;
        let detail = format!("{code} retired");
        Ok(self.store().retire_deficiency_type(code, self.audit_event(AuditAction::Void, "deficiency_type", detail))?)
    }
}

fn validate_type(mut t: crate::domain::chart::DeficiencyType) -> DeskResult<crate::domain::chart::DeficiencyType> {
    let bad = |what: &str| Err(DeskError::Invalid(what.to_string()));
    t.code = t.code.trim().to_ascii_uppercase();
    if t.code.is_empty() || t.code.len() > 8 || !t.code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return bad("a type code is 1 to 8 letters, digits or dashes, like DS-D");
    }
    t.name = crate::domain::text::clean(t.name.trim()).to_string();
    if !(3..=60).contains(&t.name.chars().count()) {
        return bad("a type name is 3 to 60 characters");
    }
    t.abbreviation = t.abbreviation.trim().to_ascii_uppercase();
    if t.abbreviation.is_empty() || t.abbreviation.len() > 3 {
        return bad("an abbreviation is 1 to 3 characters (VistA 393.3)");
    }
    t.level = t.level.trim().to_ascii_uppercase();
    if t.level != "DOCUMENT" && t.level != "CHART" {
        return bad("a level is DOCUMENT or CHART");
    }
    for days in [t.days_to_dictate, t.days_to_sign, t.days_to_review].into_iter().flatten() {
        if !(0..=365).contains(&days) {
            return bad("days are between 0 and 365");
        }
    }
    for kind in &t.standard_for {
        if crate::domain::chart::EncounterKind::from_code(kind).is_none() {
            return Err(DeskError::Invalid(format!(
                "{kind:?} is not an encounter kind (INPATIENT, OUTPATIENT, ED, …)"
            )));
        }
    }
    t.category = t.category.trim().to_ascii_uppercase();
    t.responsible = t.responsible.trim().to_ascii_uppercase();
    Ok(t)
}

impl Desk {
    /// Reassigns the listed items to the provider with `npi` (AS: `:AS=2 4 NPI`).
    pub fn reassign_deficiencies(&self, items: Vec<(i64, i64)>, npi: &str) -> DeskResult<CompletionOutcome> {
        self.require_permission(Permission::ManageDeficiencies)?;
        let provider = self
            .store()
            .provider_by_npi(npi)?
            .ok_or_else(|| DeskError::NotFound(format!("no provider has NPI {npi}")))?;
        Ok(self.store().reassign_deficiencies(
            items,
            provider.id,
            self.audit_event(AuditAction::Update, "deficiency", String::new()),
        )?)
    }

    /// Moves the listed items along the ladder (AS: dictated, transcribed, signed, reviewed), or out
    /// of it: rejected by an analyst, voided by a supervisor with a reason. Completion has its own
    /// action ([`Desk::complete_deficiencies`]).
    pub fn move_deficiencies(
        &self,
        items: Vec<(i64, i64)>,
        to: crate::domain::chart::DeficiencyStatus,
        note: &str,
    ) -> DeskResult<CompletionOutcome> {
        use crate::domain::chart::DeficiencyStatus;
        let note = crate::domain::text::clean(note.trim()).to_string();
        match to {
            DeficiencyStatus::Completed => {
                return Err(DeskError::Invalid("complete items with QC (quick complete)".into()));
            }
            DeficiencyStatus::Open => return Err(DeskError::Invalid("an item never goes back to OPEN".into())),
            DeficiencyStatus::Voided => {
                self.require_permission(Permission::VoidRecords)?;
                if note.is_empty() {
                    return Err(DeskError::Invalid("voiding needs a reason".into()));
                }
            }
            _ => self.require_permission(Permission::ManageDeficiencies)?,
        }
        Ok(self.store().move_deficiencies(
            items,
            to,
            &note,
            self.audit_event(AuditAction::Update, "deficiency", String::new()),
        )?)
    }

    /// Sets a message to the provider on the listed items.
    pub fn comment_deficiencies(&self, items: Vec<(i64, i64)>, comment: &str) -> DeskResult<CompletionOutcome> {
        self.require_permission(Permission::ManageDeficiencies)?;
        let comment = crate::domain::text::clean(comment.trim()).to_string();
        if comment.is_empty() || comment.chars().count() > 255 {
            return Err(DeskError::Invalid("a comment is 1 to 255 characters".into()));
        }
        Ok(self.store().comment_deficiencies(
            items,
            &comment,
            self.audit_event(AuditAction::Update, "deficiency", String::new()),
        )?)
    }
}

/// What adding a deficiency by hand did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddDeficiency {
    Added(i64),
    /// The same type is already on the encounter for this provider: ask, then call again confirmed.
    AlreadyDefined(String),
}

impl Desk {
    /// An analyst's finding (AS-07): a deficiency of `type_code` for the provider with `npi` on the
    /// encounter `account`. A duplicate is added only when `confirm_duplicate` says the analyst was
    /// asked; a completed chart takes none until a supervisor reopens it.
    pub fn add_deficiency(
        &self,
        account: &str,
        type_code: &str,
        npi: &str,
        confirm_duplicate: bool,
    ) -> DeskResult<AddDeficiency> {
        self.require_permission(Permission::ManageDeficiencies)?;
        let store = self.store();
        let chart = store
            .chart_completion(account)?
            .ok_or_else(|| DeskError::NotFound(format!("no encounter has account {account}")))?;
        crate::domain::deficiency::check_can_add_deficiency(&chart.status).map_err(DeskError::Invalid)?;
        let kind = store
            .deficiency_types()?
            .into_iter()
            .find(|t| t.code == type_code)
            .ok_or_else(|| DeskError::NotFound(format!("no active deficiency type {type_code}")))?;
        let provider =
            store.provider_by_npi(npi)?.ok_or_else(|| DeskError::NotFound(format!("no provider has NPI {npi}")))?;
        let duplicate = store.has_deficiency(chart.encounter_id, &kind.code, provider.id)?;
        if duplicate && !confirm_duplicate {
            return Ok(AddDeficiency::AlreadyDefined(
                "This deficiency already defined for this provider. Add it again? (N)".into(),
            ));
        }
        let event_on = chart.discharged_on.unwrap_or_else(|| self.today());
        let policy = match store.facility_policies()?.into_iter().find(|(id, _)| *id == chart.facility_id) {
            Some((_, own)) => own,
            None => store.deficiency_policy()?,
        };
        let mut audit = self.audit_event(AuditAction::Create, "deficiency", format!("{} added by hand", kind.code));
        audit.patient_id = Some(chart.patient_id);
        if duplicate {
            audit.detail = format!("{} added by hand; duplicate confirmed", kind.code);
        }
        let id = store.add_deficiency(
            NewSeededDeficiency {
                encounter_id: chart.encounter_id,
                type_code: kind.code,
                provider_id: provider.id,
                document_id: None,
                status: crate::domain::chart::DeficiencyStatus::Open,
                event_on,
                delinquent_on: policy.delinquent_on(event_on, 0),
            },
            duplicate,
            audit,
        )?;
        Ok(AddDeficiency::Added(id))
    }

    /// Marks a chart complete (AS-10): refused while any deficiency is pending.
    pub fn complete_chart(&self, account: &str) -> DeskResult<()> {
        self.require_permission(Permission::CompleteDeficiencies)?;
        let chart = self
            .store()
            .chart_completion(account)?
            .ok_or_else(|| DeskError::NotFound(format!("no encounter has account {account}")))?;
        crate::domain::deficiency::check_chart_completion(chart.open).map_err(DeskError::Invalid)?;
        let mut audit =
            self.audit_event(AuditAction::Update, "chart_completion", format!("{} -> COMPLETE", chart.status));
        audit.patient_id = Some(chart.patient_id);
        Ok(self.store().set_chart_status(chart.encounter_id, "COMPLETE", Some(self.today()), audit)?)
    }

    /// Reopens a completed chart so it can take deficiencies again: a supervisor's act, with a reason.
    pub fn reopen_chart(&self, account: &str, reason: &str) -> DeskResult<()> {
        self.require_permission(Permission::ReopenCharts)?;
        let reason = crate::domain::text::clean(reason.trim()).to_string();
        if reason.is_empty() {
            return Err(DeskError::Invalid("reopening a completed chart needs a reason".into()));
        }
        let chart = self
            .store()
            .chart_completion(account)?
            .ok_or_else(|| DeskError::NotFound(format!("no encounter has account {account}")))?;
        if chart.status != "COMPLETE" {
            return Err(DeskError::Invalid(format!("the chart is {}, not complete", chart.status)));
        }
        let mut audit =
            self.audit_event(AuditAction::Update, "chart_completion", format!("COMPLETE -> INCOMPLETE: {reason}"));
        audit.patient_id = Some(chart.patient_id);
        Ok(self.store().set_chart_status(chart.encounter_id, "INCOMPLETE", None, audit)?)
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o770).create(dir)
}

/// Letters carry patient identifiers: the store's permissions, never world-readable.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o660).open(path)?;
    file.write_all(bytes)
}
