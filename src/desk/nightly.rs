//! The nightly run: analysing discharged charts, the notices of each day since the last run with
//! their letters (each written before its notice is recorded), the suspension list, and the run's
//! claim — who holds it, since when, and taking over one whose process has gone.

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::completion::ChartStatus;
use crate::domain::deficiency::{DeficiencyPolicy, Leave, NoticeLevel, standard_deficiencies, suspension_proposed};
use crate::domain::role::Permission;
use crate::store::{AnalysedChart, NewSeededDeficiency, NoticeDraft};
use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
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
    // Each physician's delinquent dates at each facility, read once: a notice counts what its
    // physician owes there, and filtering every item for every notice of a busy day was quadratic.
    let mut owed: std::collections::HashMap<(i64, i64), Vec<NaiveDate>> = std::collections::HashMap::new();
    for item in items {
        owed.entry((item.provider_id, item.facility_id)).or_default().push(item.delinquent_on);
    }
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
            let mine = owed.get(&(provider_id, facility_id)).map_or(&[][..], Vec::as_slice);
            let count_open = mine.len() as i64;
            let count_delinquent = mine.iter().filter(|on| **on <= day).count() as i64;
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
        let Some(started_at) = self.claim_nightly(date)? else {
            return Ok(NightlySummary { run_on: date, already_ran: true, ..Default::default() });
        };
        match self.nightly_body(date, through, letters_dir, progress) {
            Ok(summary) => {
                let detail = format!(
                    "nightly {date} finished: {} charts analysed, {} deficiencies, {} notices",
                    summary.encounters_analysed, summary.deficiencies_created, summary.notices_created
                );
                self.store()
                    .finish_nightly(
                        date,
                        started_at,
                        self.now(),
                        &format!("{summary:?}"),
                        self.audit_event(AuditAction::Update, "nightly_run", detail),
                    )
                    .map_err(|e| match e {
                        // Taken over as abandoned while this run worked: the other run holds the
                        // day and finishes it; what this one wrote stays (every step is idempotent).
                        crate::store::StoreError::NotFound(_) => DeskError::Invalid(format!(
                            "the nightly run for {date} was taken over by another process while this one ran; \
                             that run finishes the day (chartroom nightly --status shows it)"
                        )),
                        other => other.into(),
                    })?;
                Ok(summary)
            }
            Err(failure) => {
                // Give the claim up, so that a rerun can write what is missing; the failure is
                // what the clerk needs to read, whatever becomes of the release.
                let detail = format!("nightly {date} failed: {failure}");
                let _ = self.store().release_nightly(
                    date,
                    started_at,
                    self.audit_event(AuditAction::Update, "nightly_run", detail),
                );
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
    /// machine. Returns the claim's `started_at`, which names it to finish or release it; None when
    /// the day's run had already finished.
    fn claim_nightly(&self, date: NaiveDate) -> DeskResult<Option<DateTime<Utc>>> {
        // Whole seconds: the store keeps a claim's instant to the second, and names it by that.
        let started_at = self.now().trunc_subsecs(0);
        let claim = crate::store::NightlyClaim {
            run_on: date,
            started_at,
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
                let audit = self.audit_event(AuditAction::Update, "nightly_run", detail);
                self.store().release_nightly(other.run_on, other.started_at, audit).map_err(|e| match e {
                    // Released or taken over by another run since it was read: that run is at work.
                    crate::store::StoreError::NotFound(_) => DeskError::Invalid(format!(
                        "the nightly run for {} was taken over by another process a moment ago \
                         (chartroom nightly --status shows it)",
                        other.run_on
                    )),
                    e => e.into(),
                })?;
            }
        }
        let detail = match &replacing {
            Some((_, took_over)) => took_over.clone(),
            None => format!("nightly {date} started"),
        };
        let audit = self.audit_event(AuditAction::Update, "nightly_run", detail);
        let claimed = self.store().begin_nightly(claim, replacing.map(|(at, _)| at), audit).map_err(|e| match e {
            crate::store::StoreError::Busy => DeskError::Invalid(format!(
                "the nightly run for {date} was claimed by another process a moment ago \
                     (chartroom nightly --status shows it)"
            )),
            other => other.into(),
        })?;
        Ok(claimed.then_some(started_at))
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
            crate::files::create_dir(day_dir, self.file_sharing()).map_err(|e| unwritable(day_dir, e))?;
        }
        let letter = crate::report::letters::notice_letter(notice);
        let pdf_path = path.with_extension("pdf");
        if pdf_path.exists() && std::fs::read(&path).is_ok_and(|on_disk| on_disk == letter.as_bytes()) {
            return Ok(None);
        }
        // The PDF first, the text last: a letter whose text is on disk is whole, both files.
        let pdf = crate::report::pdf::text_to_pdf(&letter).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let sharing = self.file_sharing();
        crate::files::write_private(&pdf_path, &pdf, sharing).map_err(|e| unwritable(&pdf_path, e))?;
        crate::files::write_private(&path, letter.as_bytes(), sharing).map_err(|e| unwritable(&path, e))?;
        Ok(Some(path))
    }
}
