//! Chart completion at the desk: the nightly run, the queue, bulk completion, pauses, leave and
//! suspension, the delinquency rate.

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::completion::ChartStatus;
use crate::domain::dates::us_date;
use crate::domain::deficiency::{
    DeficiencyPolicy, DelinquencyRate, Leave, NoticeLevel, delinquency_rate, standard_deficiencies, suspension_proposed,
};
use crate::domain::role::Permission;
use crate::store::{
    AnalysedChart, NewSeededDeficiency, NoticeDraft, Page, PhysicianStanding, QueueCounts, QueueFilter, QueuePage,
    QueueSort,
};
use chrono::{Duration, NaiveDate};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The date through which the nightly run has worked, kept in the store.
pub const NIGHTLY_THROUGH: &str = "nightly_through";

/// Letters are written, then their notices recorded, this many at a time.
const NOTICE_BATCH: usize = 200;

/// Whether the process holding a nightly claim is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ClaimHolder {
    /// Finished: nobody holds it.
    Finished,
    /// Its process runs on this machine.
    Running,
    /// Held from another machine: whether it still runs cannot be seen from here.
    Elsewhere,
    /// Its process no longer exists on this machine: the next run takes it over.
    Gone,
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

fn holder_state(claim: &crate::store::NightlyClaim) -> ClaimHolder {
    if claim.finished_at.is_some() {
        return ClaimHolder::Finished;
    }
    if claim.host != this_host() {
        return ClaimHolder::Elsewhere;
    }
    let alive = i32::try_from(claim.pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
        // EPERM means the process exists under another account: it is alive.
        .is_some_and(|pid| !matches!(rustix::process::test_kill_process(pid), Err(rustix::io::Errno::SRCH)));
    if alive { ClaimHolder::Running } else { ClaimHolder::Gone }
}

/// A run is for a day from the last finished one (which then changes nothing) to tomorrow in the
/// facility's calendar: an earlier day would re-date notices the later run already sent, a later
/// one would send notices for days that have not come.
pub fn check_nightly_date(date: NaiveDate, today: NaiveDate, through: Option<NaiveDate>) -> Result<(), String> {
    let tomorrow = today + Duration::days(1);
    if date > tomorrow {
        return Err(format!("a nightly run is for today ({today}) or tomorrow at the latest; {date} has not come yet"));
    }
    if let Some(last) = through
        && date < last
    {
        return Err(format!(
            "the nightly run for {last} has already finished; a run for an earlier day ({date}) would re-date \
             its notices. Run for {last} or later"
        ));
    }
    Ok(())
}

/// The notices falling due on each day from `first` to `last`: one per physician, facility and
/// level a day, listing that facility's items that reached the level that day — or earlier without
/// being sent it (`DeficiencyPolicy::notice_owed`), so that an imported backlog is noticed once.
fn notices_due(
    items: &[crate::store::OpenItem],
    first: NaiveDate,
    last: NaiveDate,
    policy_of: &dyn Fn(i64) -> DeficiencyPolicy,
) -> Vec<NoticeDraft> {
    let mut sent: std::collections::HashMap<i64, Option<NoticeLevel>> =
        items.iter().map(|i| (i.id, i.notice_level)).collect();
    let mut drafts = Vec::new();
    let mut day = first;
    while day <= last {
        // (physician, facility, level) → (the supervisor copied, the items listed).
        type Due = BTreeMap<(i64, i64, NoticeLevel), (Option<i64>, Vec<i64>)>;
        let mut due = Due::new();
        for item in items {
            let already = sent.get(&item.id).copied().flatten();
            if let Some(level) = policy_of(item.facility_id).notice_owed(item.event_on, item.paused_days, day, already)
            {
                due.entry((item.provider_id, item.facility_id, level))
                    .or_insert((item.supervisor_id, Vec::new()))
                    .1
                    .push(item.id);
                sent.insert(item.id, Some(level));
            }
        }
        for ((provider_id, facility_id, level), (supervisor, ids)) in due {
            let mine = items.iter().filter(|i| i.provider_id == provider_id && i.facility_id == facility_id);
            let count_open = mine.clone().count() as i64;
            let count_delinquent = mine.filter(|i| i.delinquent_on <= day).count() as i64;
            drafts.push(NoticeDraft {
                provider_id,
                facility_id,
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
    drafts
}

/// `letters/2026-11-30/FINAL_21-1000000001-RGH.txt`.
fn letter_path(dir: &Path, notice: &crate::store::NoticeRecord) -> PathBuf {
    dir.join(notice.notice_on.format("%Y-%m-%d").to_string()).join(crate::report::letters::file_name(notice))
}

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
    /// seed their standard deficiencies; generate the notices falling due on each day since, each
    /// letter written before its notice is recorded; list the physicians eligible for suspension.
    /// Idempotent for a date; a second run at the same time is refused; a run for a day before the
    /// last finished one, or after tomorrow, is refused; a run that fails gives its claim up, and one
    /// whose process died is taken over. Letters are written under `letters_dir` when given.
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
        let date = super::checked_date(date)?;
        let through = self.nightly_through()?;
        check_nightly_date(date, self.today(), through).map_err(DeskError::Invalid)?;
        progress(format!("Nightly run for {date}: claiming the run…"));
        if !self.claim_nightly(date)? {
            return Ok(NightlySummary { run_on: date, already_ran: true, ..Default::default() });
        }
        match self.nightly_body(date, through, letters_dir, progress) {
            Ok(summary) => {
                let detail = format!(
                    "nightly {date} finished: {} charts analysed, {} deficiencies, {} notices",
                    summary.encounters_analysed, summary.deficiencies_created, summary.notices_created
                );
                self.store().finish_nightly(
                    date,
                    self.now(),
                    &format!("{summary:?}"),
                    self.audit_event(AuditAction::Update, "nightly_run", detail),
                )?;
                Ok(summary)
            }
            Err(failure) => {
                // Give the claim up, so that a rerun can write what is missing; the failure is
                // what the clerk needs to read, whatever becomes of the release.
                let detail = format!("nightly {date} failed: {failure}");
                let _ =
                    self.store().release_nightly(date, self.audit_event(AuditAction::Update, "nightly_run", detail));
                Err(failure)
            }
        }
    }

    /// The day through which the nightly run has finished, if it ever has.
    pub fn nightly_through(&self) -> DeskResult<Option<NaiveDate>> {
        Ok(self.store().setting(NIGHTLY_THROUGH)?.and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok()))
    }

    /// The runs not finished (who holds each, since when, whether its process still exists) and the
    /// last one finished: `chartroom nightly --status`.
    pub fn nightly_status(&self) -> DeskResult<Vec<(crate::store::NightlyClaim, ClaimHolder)>> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::AdministerStore, Permission::ViewReports])?;
        Ok(self
            .store()
            .nightly_claims()?
            .into_iter()
            .map(|c| {
                let h = holder_state(&c);
                (c, h)
            })
            .collect())
    }

    /// Claims the run for `date`, taking over a claim whose process no longer exists on this
    /// machine; false when the day's run had already finished.
    fn claim_nightly(&self, date: NaiveDate) -> DeskResult<bool> {
        let claim = crate::store::NightlyClaim {
            run_on: date,
            started_at: self.now(),
            finished_at: None,
            username: self.user().username.clone(),
            host: this_host(),
            pid: std::process::id(),
        };
        let claims = self.store().nightly_claims()?;
        let unfinished: Vec<_> = claims.iter().filter(|c| c.finished_at.is_none()).collect();
        let mut replacing = None;
        for other in unfinished {
            let state = holder_state(other);
            if state != ClaimHolder::Gone {
                return Err(DeskError::Invalid(format!(
                    "the nightly run for {} is in progress: started by {} on {} (process {}) at {}; wait for it \
                     (chartroom nightly --status shows it)",
                    other.run_on,
                    other.username,
                    other.host,
                    other.pid,
                    other.started_at.format("%Y-%m-%d %H:%M UTC")
                )));
            }
            let detail = format!(
                "took over the nightly run for {} from {} on {} (process {}, started {}), whose process no longer exists",
                other.run_on,
                other.username,
                other.host,
                other.pid,
                other.started_at.format("%Y-%m-%d %H:%M UTC")
            );
            if other.run_on == date {
                replacing = Some((other.started_at, detail));
            } else {
                self.store()
                    .release_nightly(other.run_on, self.audit_event(AuditAction::Update, "nightly_run", detail))?;
            }
        }
        let detail = match &replacing {
            Some((_, took_over)) => took_over.clone(),
            None => format!("nightly {date} started"),
        };
        let audit = self.audit_event(AuditAction::Update, "nightly_run", detail);
        self.store().begin_nightly(claim, replacing.map(|(at, _)| at), audit).map_err(|e| match e {
            crate::store::StoreError::Busy => DeskError::Invalid(format!(
                "the nightly run for {date} was claimed by another process a moment ago \
                 (chartroom nightly --status shows it)"
            )),
            other => other.into(),
        })
    }

    fn nightly_body(
        &self,
        date: NaiveDate,
        through: Option<NaiveDate>,
        letters_dir: Option<&Path>,
        progress: &mut dyn FnMut(String),
    ) -> DeskResult<NightlySummary> {
        let store = self.store();
        let mut summary = NightlySummary { run_on: date, ..Default::default() };
        // With no earlier run on record, the first run takes yesterday's and today's discharges, as
        // VistA's nightly job does; after that it catches up from the day after the last run.
        let through = through.unwrap_or(date - Duration::days(2));
        let default_policy = store.deficiency_policy()?;
        let facility_policies: std::collections::HashMap<i64, DeficiencyPolicy> =
            store.facility_policies()?.into_iter().collect();
        let policy_of = |facility_id: i64| facility_policies.get(&facility_id).copied().unwrap_or(default_policy);
        let types = store.deficiency_types()?;

        // 1. Seed the charts discharged since the last run.
        progress("Nightly run: finding the charts discharged since the last run…".into());
        let discharged = store.encounters_to_analyse(Some(through), date)?;
        summary.encounters_analysed = discharged.len();
        progress(format!("Nightly run: analysing {} charts…", discharged.len()));
        let analysed: Vec<AnalysedChart> = discharged
            .iter()
            .map(|e| {
                let seeds: Vec<NewSeededDeficiency> =
                    standard_deficiencies(&types, e.kind, e.attending_id, &e.documents, &e.procedures)
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
                let status = ChartStatus::after_analysis(seeds.len());
                AnalysedChart {
                    encounter_id: e.encounter_id,
                    received_on: e.discharged_on,
                    completed_on: (status == ChartStatus::Complete).then_some(e.discharged_on),
                    status,
                    seeds,
                }
            })
            .collect();
        summary.deficiencies_created = store.record_analysis(
            analysed,
            self.audit_event(AuditAction::Create, "deficiency", format!("nightly {date}")),
        )?;

        // 2. The notices of every day since the last run (a missed night's notices are not lost).
        progress(format!("Nightly run: {} deficiencies seeded; generating notices…", summary.deficiencies_created));
        let first_day = (through + Duration::days(1)).min(date);
        let drafts = notices_due(&store.open_items()?, first_day, date, &policy_of);
        let total = drafts.len();
        for chunk in drafts.chunks(NOTICE_BATCH) {
            // Each letter is on disk before its notice is recorded: a run stopped between the two
            // leaves a letter that the rerun writes again, never a notice without its letter.
            if let Some(dir) = letters_dir {
                for draft in chunk {
                    summary.letters.extend(self.write_letter(draft, dir)?);
                }
            }
            let audited: Vec<_> = chunk.iter().map(|n| (n.clone(), self.notice_event(n))).collect();
            let created = store.record_notices(audited)?;
            summary.notices_created += created.len();
            progress(format!("Nightly run: notices {} of {total}…", summary.notices_created));
        }
        // Notices an earlier chartroom recorded without their letters get them now.
        if let Some(dir) = letters_dir {
            for notice in store.notices_between(first_day, date)? {
                let path = letter_path(dir, &notice);
                if !path.exists() {
                    summary.letters.extend(self.write_notice_letter(&notice, dir)?);
                }
            }
        }

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
        store.put_setting(
            NIGHTLY_THROUGH,
            &date.format("%Y-%m-%d").to_string(),
            Some(self.audit_event(AuditAction::Update, "setting", format!("{NIGHTLY_THROUGH} = {date}"))),
        )?;
        Ok(summary)
    }

    /// The audit event of a notice: its level, its physician, how many items.
    pub(super) fn notice_event(&self, n: &NoticeDraft) -> crate::domain::audit::NewAuditEvent {
        let items = n.deficiency_ids.len();
        let detail = format!(
            "{} {}: {items} {}",
            n.level.code(),
            crate::domain::dates::us_date(n.notice_on),
            if items == 1 { "item" } else { "items" }
        );
        let mut event = self.audit_event(AuditAction::Create, "deficiency_notice", detail);
        event.provider_id = Some(n.provider_id);
        event
    }

    /// Writes the letter of a notice about to be recorded (text and PDF), headed by the facility
    /// whose charts it lists. Returns the text letter's path.
    /// Returns the letter's path when it was written now; None when the same letter was already
    /// there (a rerun after a run that stopped between writing it and recording its notice).
    pub(super) fn write_letter(&self, draft: &NoticeDraft, dir: &Path) -> DeskResult<Option<PathBuf>> {
        let notice = self.store().notice_preview(draft)?;
        self.write_notice_letter(&notice, dir)
    }

    fn write_notice_letter(&self, notice: &crate::store::NoticeRecord, dir: &Path) -> DeskResult<Option<PathBuf>> {
        let path = letter_path(dir, notice);
        let unwritable = |path: &Path, source: std::io::Error| DeskError::File {
            what: format!(
                "could not write the letter {} (nothing was recorded for it; make the letters directory \
                 writable for this account and run again)",
                path.display()
            ),
            source,
        };
        if let Some(day_dir) = path.parent() {
            create_private_dir(day_dir).map_err(|e| unwritable(day_dir, e))?;
        }
        let letter = crate::report::letters::notice_letter(notice);
        let pdf_path = path.with_extension("pdf");
        if pdf_path.exists() && std::fs::read(&path).is_ok_and(|on_disk| on_disk == letter.as_bytes()) {
            return Ok(None);
        }
        // The PDF first, the text last: a letter whose text is on disk is whole, both files.
        let pdf = crate::report::pdf::text_to_pdf(&letter).map_err(|e| DeskError::Invalid(e.to_string()))?;
        write_private(&pdf_path, &pdf).map_err(|e| unwritable(&pdf_path, e))?;
        write_private(&path, letter.as_bytes()).map_err(|e| unwritable(&path, e))?;
        Ok(Some(path))
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

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o770).create(dir)
}

/// Letters carry patient identifiers: the store's permissions, never world-readable. Written beside
/// and renamed into place, so a file at the letter's name is never half a letter (a run killed
/// mid-write leaves only a `.partial` file, which the rerun replaces).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o660).open(&partial)?;
    file.write_all(bytes)?;
    std::fs::rename(&partial, path)
}
