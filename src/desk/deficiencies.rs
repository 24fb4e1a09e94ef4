//! Chart completion at the desk: the policy, the queue, leave and suspension, the type catalog,
//! deficiencies added by hand and chart status. The nightly run is in `nightly.rs`; bulk work on
//! items in `deficiency_work.rs`.

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::completion::ChartStatus;
use crate::domain::dates::us_date;
use crate::domain::deficiency::{
    DeficiencyPolicy, DelinquencyRate, Leave, NoticeLevel, delinquency_rate, suspension_proposed,
};
use crate::domain::role::Permission;
use crate::store::{
    NewSeededDeficiency, NoticeDraft, Page, PhysicianStanding, QueueCounts, QueueFilter, QueuePage, QueueSort,
};
use chrono::NaiveDate;
use std::path::Path;

pub use super::nightly::{ClaimHolder, NIGHTLY_THROUGH, NightlySummary, check_nightly_date};

impl Desk {
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

    /// A page of the queue. Claims are judged at the desk's clock: one that lapsed is not shown.
    pub fn deficiency_queue(&self, filter: &QueueFilter, sort: QueueSort, page: Page) -> DeskResult<QueuePage> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::ViewReports, Permission::CompleteDeficiencies])?;
        let now = self.now();
        let filter = QueueFilter { now: Some(now), ..filter.clone() };
        let mut page = self.store().queue_page(&filter, sort, page)?;
        for row in &mut page.rows {
            if row.claim.as_ref().is_some_and(|c| !c.is_live(now)) {
                row.claim = None;
            }
        }
        Ok(page)
    }

    /// Every item the filter matches (id, version), for a bulk action on "all in the filter".
    pub fn deficiency_ids(&self, filter: &QueueFilter) -> DeskResult<Vec<(i64, i64)>> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::CompleteDeficiencies])?;
        let filter = QueueFilter { now: Some(self.now()), ..filter.clone() };
        Ok(self.store().queue_ids(&filter)?)
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

    pub fn add_provider_leave(&self, npi: &str, from: NaiveDate, to: NaiveDate) -> DeskResult<()> {
        self.require_any(&[Permission::ConfirmSuspensions, Permission::ManageDeficiencies])?;
        let (from, to) = (super::checked_date(from)?, super::checked_date(to)?);
        if to < from {
            return Err(DeskError::Invalid("leave ends after it starts".into()));
        }
        let provider = self
            .store()
            .provider_by_npi(npi)?
            .ok_or_else(|| DeskError::NotFound(format!("no provider has NPI {npi}")))?;
        let mut audit = self.audit_event(
            AuditAction::Update,
            "provider",
            format!("NPI {npi}: leave {} to {}", us_date(from), us_date(to)),
        );
        audit.entity_id = Some(npi.to_string());
        audit.provider_id = Some(provider.id);
        Ok(self.store().add_provider_leave(npi, from, to, audit)?)
    }

    /// The medical staff office confirms a suspension (AS-12). Only a physician the rules make
    /// eligible — delinquent charts, not on leave, not already suspended — unless the office
    /// overrides with a reason, which the audit trail keeps.
    pub fn confirm_suspension(&self, npi: &str, on: NaiveDate, override_reason: Option<&str>) -> DeskResult<()> {
        self.require_permission(Permission::ConfirmSuspensions)?;
        let on = super::checked_date(on)?;
        let standing = self.physician_standing(npi, on)?;
        if let Some(since) = standing.suspended_since {
            return Err(DeskError::Invalid(format!(
                "{} is already suspended (since {})",
                standing.name,
                us_date(since)
            )));
        }
        let leave: Vec<Leave> = standing.leave.iter().map(|(from, to)| Leave { from: *from, to: *to }).collect();
        let eligible = suspension_proposed(standing.delinquent, &leave, on);
        let override_reason = override_reason.map(|r| crate::domain::text::clean(r.trim()).to_string());
        let detail = match (&override_reason, eligible) {
            (_, true) => {
                format!("NPI {npi}: suspension confirmed from {} ({} delinquent)", us_date(on), standing.delinquent)
            }
            (Some(reason), false) if !reason.is_empty() => {
                format!("NPI {npi}: suspension confirmed from {} by override: {reason}", us_date(on))
            }
            (_, false) => {
                let why = if standing.delinquent == 0 {
                    "has no delinquent charts".to_string()
                } else {
                    "is on leave that day".to_string()
                };
                return Err(DeskError::Invalid(format!(
                    "{} {why}, so is not eligible for suspension on {}; to suspend anyway, give --override --reason",
                    standing.name,
                    us_date(on)
                )));
            }
        };
        let mut audit = self.audit_event(AuditAction::Update, "provider", detail);
        audit.entity_id = Some(npi.to_string());
        audit.provider_id = Some(standing.provider_id);
        Ok(self.store().confirm_suspension(npi, on, !eligible, audit)?)
    }

    /// The medical staff office lifts a suspension (one made by override, or before the items are
    /// done), with a reason; a reinstatement notice goes to the physician, its letter written first.
    pub fn lift_suspension(
        &self,
        npi: &str,
        on: NaiveDate,
        reason: &str,
        letters_dir: Option<&Path>,
    ) -> DeskResult<()> {
        self.require_permission(Permission::ConfirmSuspensions)?;
        let on = super::checked_date(on)?;
        let reason = crate::domain::text::clean(reason.trim()).to_string();
        if reason.is_empty() {
            return Err(DeskError::Invalid("lifting a suspension needs a reason".into()));
        }
        let provider = self
            .store()
            .provider_by_npi(npi)?
            .ok_or_else(|| DeskError::NotFound(format!("no provider has NPI {npi}")))?;
        let standing = self.store().provider_suspensions(&[provider.id], on)?.pop();
        let Some(standing) = standing.filter(|s| s.suspended) else {
            return Err(DeskError::Invalid(format!("the provider with NPI {npi} is not suspended")));
        };
        let home = self.store().list_facilities()?.into_iter().next().map(|f| f.id).unwrap_or_default();
        let draft = NoticeDraft {
            provider_id: provider.id,
            facility_id: home,
            level: NoticeLevel::Reinstatement,
            notice_on: on,
            copy_to_id: None,
            deficiency_ids: Vec::new(),
            count_open: 0,
            count_delinquent: 0,
        };
        let letter = match letters_dir {
            Some(dir) => self.write_letter(&draft, dir)?,
            None => None,
        };
        let mut audit = self.audit_event(
            AuditAction::Update,
            "provider",
            format!("NPI {npi}: suspension lifted {}: {reason}", us_date(on)),
        );
        audit.entity_id = Some(npi.to_string());
        audit.provider_id = Some(provider.id);
        let notice_audit = self.notice_event(&draft);
        let changes = crate::store::DeficiencyChanges {
            reinstatements: vec![crate::store::Reinstatement {
                provider_id: provider.id,
                version: standing.version,
                on,
                audit,
            }],
            notices: vec![(draft, notice_audit)],
            ..Default::default()
        };
        self.store().apply_deficiency_changes(changes).map_err(|e| {
            if let Some(path) = &letter {
                let _ = std::fs::remove_file(path);
                let _ = std::fs::remove_file(path.with_extension("pdf"));
            }
            match e {
                crate::store::StoreError::Conflict => {
                    DeskError::Invalid(format!("the provider with NPI {npi} changed meanwhile; look again and retry"))
                }
                other => other.into(),
            }
        })
    }
}

impl Desk {
    /// The active deficiency types, for those who work or govern the queue.
    pub fn deficiency_types(&self) -> DeskResult<Vec<crate::domain::chart::DeficiencyType>> {
        self.require_any(&[
            Permission::ManageRules,
            Permission::ManageDeficiencies,
            Permission::CompleteDeficiencies,
            Permission::ViewReports,
        ])?;
        Ok(self.store().deficiency_types()?)
    }

    /// One active deficiency type by its code (any case), if there is one.
    pub fn deficiency_type(&self, code: &str) -> DeskResult<Option<crate::domain::chart::DeficiencyType>> {
        let code = code.trim().to_ascii_uppercase();
        Ok(self.deficiency_types()?.into_iter().find(|t| t.code == code))
    }

    /// The provider a queue filter names by NPI, for those who may read the queue.
    pub fn provider_id_by_npi(&self, npi: &str) -> DeskResult<i64> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::ViewReports, Permission::CompleteDeficiencies])?;
        let npi = npi.trim();
        match self.store().provider_by_npi(npi)? {
            Some(provider) => Ok(provider.id),
            None => Err(DeskError::NotFound(format!("no provider has NPI {npi}"))),
        }
    }

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
        crate::domain::deficiency::check_can_add_deficiency(chart.status).map_err(DeskError::Invalid)?;
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
        let label = format!("{} {}", chart.account, kind.code);
        let mut audit = self.audit_event(AuditAction::Create, "deficiency", format!("{label} added by hand"));
        audit.patient_id = Some(chart.patient_id);
        audit.provider_id = Some(provider.id);
        if duplicate {
            audit.detail = format!("{label} added by hand; duplicate confirmed");
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
            chart.version,
            duplicate,
            audit,
        )?;
        Ok(AddDeficiency::Added(id))
    }

    /// Marks a chart complete (AS-10): refused while any deficiency is pending.
    pub fn complete_chart(&self, account: &str) -> DeskResult<()> {
        self.require_permission(Permission::CompleteDeficiencies)?;
        let chart = self.chart_for_change(account)?;
        crate::domain::deficiency::check_chart_completion(chart.open()).map_err(DeskError::Invalid)?;
        if chart.status == ChartStatus::Complete {
            return Err(DeskError::Invalid(format!("the chart of {account} is already complete")));
        }
        let detail = format!("{account}: {} -> COMPLETE", chart.status);
        self.write_chart_status(&chart, ChartStatus::Complete, Some(self.today()), detail)
    }

    /// Reopens a completed chart so it can take deficiencies again: a supervisor's act, with a reason.
    pub fn reopen_chart(&self, account: &str, reason: &str) -> DeskResult<()> {
        self.require_permission(Permission::ReopenCharts)?;
        let reason = crate::domain::text::clean(reason.trim()).to_string();
        if reason.is_empty() {
            return Err(DeskError::Invalid("reopening a completed chart needs a reason".into()));
        }
        let chart = self.chart_for_change(account)?;
        if chart.status != ChartStatus::Complete {
            return Err(DeskError::Invalid(format!("the chart of {account} is {}, not complete", chart.status)));
        }
        let detail = format!("{account}: COMPLETE -> INCOMPLETE: {reason}");
        self.write_chart_status(&chart, ChartStatus::Incomplete, None, detail)
    }

    /// An analysed chart, by account number.
    fn chart_for_change(&self, account: &str) -> DeskResult<crate::store::ChartCompletionView> {
        let chart = self
            .store()
            .chart_completion(account)?
            .ok_or_else(|| DeskError::NotFound(format!("no encounter has account {account}")))?;
        if chart.version.is_none() {
            return Err(DeskError::Invalid(format!(
                "the chart of {account} has not been analysed yet (the nightly run analyses discharged charts)"
            )));
        }
        Ok(chart)
    }

    fn write_chart_status(
        &self,
        chart: &crate::store::ChartCompletionView,
        status: ChartStatus,
        completed_on: Option<NaiveDate>,
        detail: String,
    ) -> DeskResult<()> {
        let mut audit = self.audit_event(AuditAction::Update, "chart_completion", detail);
        audit.patient_id = Some(chart.patient_id);
        let version = chart.version.unwrap_or_default();
        let changes = crate::store::DeficiencyChanges {
            charts: vec![crate::store::ChartWrite {
                encounter_id: chart.encounter_id,
                version,
                status,
                completed_on,
                audit,
            }],
            ..Default::default()
        };
        self.store().apply_deficiency_changes(changes).map_err(|e| match e {
            crate::store::StoreError::Conflict => DeskError::Invalid(format!(
                "the chart of {} changed while you worked on it; look at it again and retry",
                chart.account
            )),
            other => other.into(),
        })
    }
}
