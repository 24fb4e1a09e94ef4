//! Chart completion rules: the deficiency ladder's dates, notices, delinquency, aging pauses, the
//! delinquency rate, suspension, and which deficiencies a discharge seeds. The numbers are data
//! (a director edits the policy and the type catalog in the store); the defaults are domain.md §2.11:
//! notice at 14 days after discharge, final notice at 21, delinquent at 30.

use super::chart::{DeficiencyStatus, DeficiencyType, DocumentStatus, EncounterKind};
use super::procedure::{OPERATIVE_REPORT, SeedProcedure, operations_without_report};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeficiencyPolicy {
    pub notice_days: i64,
    pub final_notice_days: i64,
    pub delinquent_days: i64,
}

impl Default for DeficiencyPolicy {
    fn default() -> Self {
        Self { notice_days: 14, final_notice_days: 21, delinquent_days: 30 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("days must rise: notice ({0}) < final notice ({1}) < delinquent ({2}), all between 1 and 365")]
    OutOfOrder(i64, i64, i64),
}

impl DeficiencyPolicy {
    pub fn validate(self) -> Result<Self, PolicyError> {
        let ok = 1 <= self.notice_days
            && self.notice_days < self.final_notice_days
            && self.final_notice_days < self.delinquent_days
            && self.delinquent_days <= 365;
        if ok {
            Ok(self)
        } else {
            Err(PolicyError::OutOfOrder(self.notice_days, self.final_notice_days, self.delinquent_days))
        }
    }

    /// The aging base (the discharge date), moved later by the days aging was paused.
    fn base(event_on: NaiveDate, paused_days: i64) -> NaiveDate {
        event_on + Duration::days(paused_days.max(0))
    }

    pub fn notice_on(&self, event_on: NaiveDate, paused_days: i64) -> NaiveDate {
        Self::base(event_on, paused_days) + Duration::days(self.notice_days)
    }

    pub fn final_notice_on(&self, event_on: NaiveDate, paused_days: i64) -> NaiveDate {
        Self::base(event_on, paused_days) + Duration::days(self.final_notice_days)
    }

    /// Delinquency is computed, not a status: an open item is delinquent from this date
    /// (discharge + policy days + paused days).
    pub fn delinquent_on(&self, event_on: NaiveDate, paused_days: i64) -> NaiveDate {
        Self::base(event_on, paused_days) + Duration::days(self.delinquent_days)
    }

    /// The notice an item is owed on `date`, given the highest level already sent it: the highest
    /// level whose day has come, if it is above what was sent. A level's day that passed unseen (a
    /// backlog imported long after discharge, a night with no run) is not lost: the item gets the
    /// level it has reached, once, and the levels below it are passed over.
    pub fn notice_owed(
        &self,
        event_on: NaiveDate,
        paused_days: i64,
        date: NaiveDate,
        sent: Option<NoticeLevel>,
    ) -> Option<NoticeLevel> {
        let reached = if date >= self.delinquent_on(event_on, paused_days) {
            NoticeLevel::Delinquent
        } else if date >= self.final_notice_on(event_on, paused_days) {
            NoticeLevel::FinalNotice
        } else if date >= self.notice_on(event_on, paused_days) {
            NoticeLevel::Notice
        } else {
            return None;
        };
        sent.is_none_or(|level| reached > level).then_some(reached)
    }

    /// Which notice, if any, falls due on `date` for an item with this aging base.
    pub fn notice_due(&self, event_on: NaiveDate, paused_days: i64, date: NaiveDate) -> Option<NoticeLevel> {
        if date == self.notice_on(event_on, paused_days) {
            Some(NoticeLevel::Notice)
        } else if date == self.final_notice_on(event_on, paused_days) {
            Some(NoticeLevel::FinalNotice)
        } else if date == self.delinquent_on(event_on, paused_days) {
            Some(NoticeLevel::Delinquent)
        } else {
            None
        }
    }
}

/// A physician notice (domain.md §4.3 `deficiency_notice.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NoticeLevel {
    /// `NOTICE_14`
    Notice,
    /// `FINAL_21`
    FinalNotice,
    /// `DELINQUENT_30`: delinquent, suspension eligible.
    Delinquent,
    Reinstatement,
}

impl NoticeLevel {
    pub fn code(self) -> &'static str {
        match self {
            Self::Notice => "NOTICE_14",
            Self::FinalNotice => "FINAL_21",
            Self::Delinquent => "DELINQUENT_30",
            Self::Reinstatement => "REINSTATEMENT",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Notice, Self::FinalNotice, Self::Delinquent, Self::Reinstatement].into_iter().find(|l| l.code() == code)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Notice => "Notice of incomplete medical records",
            Self::FinalNotice => "Final notice of incomplete medical records",
            Self::Delinquent => "Notice of delinquency and suspension eligibility",
            Self::Reinstatement => "Notice of reinstatement",
        }
    }
}

/// Age buckets of the queue and the Director's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBucket {
    #[serde(rename = "0-14")]
    UpTo14,
    #[serde(rename = "15-21")]
    UpTo21,
    #[serde(rename = "22-30")]
    UpTo30,
    #[serde(rename = "31-60")]
    UpTo60,
    #[serde(rename = ">60")]
    Over60,
}

impl AgeBucket {
    pub const ALL: [Self; 5] = [Self::UpTo14, Self::UpTo21, Self::UpTo30, Self::UpTo60, Self::Over60];

    pub fn of(age_days: i64) -> Self {
        match age_days {
            ..=14 => Self::UpTo14,
            15..=21 => Self::UpTo21,
            22..=30 => Self::UpTo30,
            31..=60 => Self::UpTo60,
            _ => Self::Over60,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::UpTo14 => "0-14",
            Self::UpTo21 => "15-21",
            Self::UpTo30 => "22-30",
            Self::UpTo60 => "31-60",
            Self::Over60 => ">60",
        }
    }

    /// The inclusive range of ages, for queries.
    pub fn days(self) -> (i64, i64) {
        match self {
            Self::UpTo14 => (0, 14),
            Self::UpTo21 => (15, 21),
            Self::UpTo30 => (22, 30),
            Self::UpTo60 => (31, 60),
            Self::Over60 => (61, i64::MAX / 4),
        }
    }
}

/// Days since the aging base, less paused days.
pub fn age_days(event_on: NaiveDate, paused_days: i64, today: NaiveDate) -> i64 {
    (today - event_on).num_days() - paused_days.max(0)
}

/// Where the delinquency rate stands against the Joint Commission line (domain.md §2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateBand {
    Within,
    /// At or above 40%: the warning band.
    Warning,
    /// Above 50% of average monthly discharges.
    Exceeds,
}

/// The rate itself, when there is anything to divide by.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComputedRate {
    /// Percent, rounded to one decimal.
    pub percent: f64,
    pub band: RateBand,
}

/// The delinquency rate and the counts it comes from. With no inpatient discharges in the window
/// the rate is not computable, never 0%: "0% — within the line" over a store whose discharges are
/// all older than a year would tell the Director all is well when nothing was measured.
///
/// As JSON the rate is `rate_percent` (a number, or `null` when not computable) and `band`
/// (`within`, `warning`, `exceeds`, or `not_computable`), beside the counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DelinquencyRate {
    pub delinquent_charts: i64,
    pub discharges_12_months: i64,
    pub average_monthly_discharges: f64,
    /// None when there were no discharges in the 12 months to the date.
    pub computed: Option<ComputedRate>,
}

pub const WARNING_PERCENT: f64 = 40.0;
pub const LIMIT_PERCENT: f64 = 50.0;

/// delinquent charts ÷ average monthly inpatient discharges over the 12 months before the date.
pub fn delinquency_rate(delinquent_charts: i64, discharges_12_months: i64) -> DelinquencyRate {
    let average = discharges_12_months.max(0) as f64 / 12.0;
    let computed = (discharges_12_months > 0).then(|| {
        let rate = delinquent_charts as f64 / average * 100.0;
        let band = if rate > LIMIT_PERCENT {
            RateBand::Exceeds
        } else if rate >= WARNING_PERCENT {
            RateBand::Warning
        } else {
            RateBand::Within
        };
        ComputedRate { percent: (rate * 10.0).round() / 10.0, band }
    });
    DelinquencyRate {
        delinquent_charts,
        discharges_12_months,
        average_monthly_discharges: (average * 10.0).round() / 10.0,
        computed,
    }
}

impl DelinquencyRate {
    pub fn rate_percent(&self) -> Option<f64> {
        self.computed.map(|c| c.percent)
    }

    pub fn band(&self) -> Option<RateBand> {
        self.computed.map(|c| c.band)
    }

    /// `41.7% — warning: …`, or why there is no rate on `date`.
    pub fn describe(&self, date: NaiveDate) -> String {
        match self.computed {
            Some(c) => format!("{:.1}% — {}", c.percent, c.band.verdict()),
            None => {
                format!("not computable (no inpatient discharges in the 12 months to {})", super::dates::us_date(date))
            }
        }
    }
}

impl RateBand {
    pub fn verdict(self) -> &'static str {
        match self {
            RateBand::Within => "within the 50% line",
            RateBand::Warning => "warning: 40% or more of average monthly discharges",
            RateBand::Exceeds => "exceeds 50% of average monthly discharges",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            RateBand::Within => "within",
            RateBand::Warning => "warning",
            RateBand::Exceeds => "exceeds",
        }
    }
}

impl Serialize for DelinquencyRate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Json {
            delinquent_charts: i64,
            discharges_12_months: i64,
            average_monthly_discharges: f64,
            rate_percent: Option<f64>,
            band: &'static str,
        }
        Json {
            delinquent_charts: self.delinquent_charts,
            discharges_12_months: self.discharges_12_months,
            average_monthly_discharges: self.average_monthly_discharges,
            rate_percent: self.rate_percent(),
            band: self.band().map_or("not_computable", RateBand::code),
        }
        .serialize(serializer)
    }
}

/// A period of leave: the physician is away, so no suspension is proposed while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leave {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Leave {
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

/// A physician with delinquent items is proposed for suspension unless on leave that day.
pub fn suspension_proposed(delinquent_items: i64, leave: &[Leave], date: NaiveDate) -> bool {
    delinquent_items > 0 && !leave.iter().any(|l| l.covers(date))
}

/// Which step a document's TIU status puts its deficiency on; None when nothing is missing.
pub fn step_of_document(status: DocumentStatus) -> Option<DeficiencyStatus> {
    match status {
        DocumentStatus::Undictated => Some(DeficiencyStatus::Open),
        DocumentStatus::Untranscribed => Some(DeficiencyStatus::Dictated),
        DocumentStatus::Unsigned | DocumentStatus::Uncosigned => Some(DeficiencyStatus::Transcribed),
        DocumentStatus::Completed | DocumentStatus::Amended | DocumentStatus::Retracted => None,
    }
}

/// A document of an encounter, as the seeding rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedDocument {
    pub id: i64,
    pub doc_type: String,
    pub status: DocumentStatus,
    pub author_id: Option<i64>,
}

/// A deficiency the nightly run should create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub type_code: String,
    pub provider_id: i64,
    pub document_id: Option<i64>,
    pub status: DeficiencyStatus,
    /// The event the item ages from when it is not the discharge: the day of the operation for a
    /// missing operative report (VistA's event date for OP).
    pub event_on: Option<NaiveDate>,
}

impl Seed {
    /// A chart-level item: the document is missing altogether, not dictated.
    fn missing(type_code: &str, provider_id: i64, event_on: Option<NaiveDate>) -> Self {
        Self { type_code: type_code.into(), provider_id, document_id: None, status: DeficiencyStatus::Open, event_on }
    }
}

/// The standard deficiencies of a discharged encounter (VistA `DGJBGJ` AUTO; AS-06): for each type
/// standard for the encounter's kind, a chart-level type whose document is missing goes to the
/// attending as not dictated; every document of the type that is not complete goes to its author at
/// the step its status implies. Complete documents seed nothing. Besides, each surgical procedure
/// that no operative report accounts for seeds the chart-level operative-report type (OP-D) to the
/// attending, aging from the day of the operation.
pub fn standard_deficiencies(
    types: &[DeficiencyType],
    kind: EncounterKind,
    attending_id: Option<i64>,
    documents: &[SeedDocument],
    procedures: &[SeedProcedure],
) -> Vec<Seed> {
    let mut seeds = Vec::new();
    for t in types.iter().filter(|t| t.standard_for.iter().any(|k| k == kind.code())) {
        let Some(doc_type) = &t.document_type else { continue };
        let of_type: Vec<&SeedDocument> = documents.iter().filter(|d| &d.doc_type == doc_type).collect();
        if of_type.is_empty() {
            if t.level == "CHART"
                && let Some(attending) = attending_id
            {
                seeds.push(Seed::missing(&t.code, attending, None));
            }
            continue;
        }
        for doc in of_type {
            let Some(step) = step_of_document(doc.status) else { continue };
            let Some(provider) = doc.author_id.or(attending_id) else { continue };
            seeds.push(Seed {
                type_code: t.code.clone(),
                provider_id: provider,
                document_id: Some(doc.id),
                status: step,
                event_on: None,
            });
        }
    }
    seeds.extend(operative_reports_missing(types, kind, attending_id, documents, procedures));
    seeds
}

/// An operative report wanted for each operation beyond the reports on file, from the chart-level
/// types that track the operative report (unless the catalog already makes them standard for the
/// kind, which the loop above has seeded). Synthea and most feeds name no surgeon, so the item goes
/// to the attending, who can reassign it.
fn operative_reports_missing(
    types: &[DeficiencyType],
    kind: EncounterKind,
    attending_id: Option<i64>,
    documents: &[SeedDocument],
    procedures: &[SeedProcedure],
) -> Vec<Seed> {
    let Some(attending) = attending_id else { return Vec::new() };
    let reports = documents.iter().filter(|d| d.doc_type == OPERATIVE_REPORT).count();
    let missing = operations_without_report(procedures, reports);
    types
        .iter()
        .filter(|t| {
            t.level == "CHART"
                && t.document_type.as_deref() == Some(OPERATIVE_REPORT)
                && !t.standard_for.iter().any(|k| k == kind.code())
        })
        .flat_map(|t| missing.iter().map(|day| Seed::missing(&t.code, attending, Some(*day))))
        .collect()
}

/// Why a chart may not be marked complete (IHS BDGICE2: no completion with pending deficiencies).
pub fn check_chart_completion(open_deficiencies: i64) -> Result<(), String> {
    if open_deficiencies > 0 {
        Err(format!(
            "Cannot complete: {open_deficiencies} pending {}",
            if open_deficiencies == 1 { "deficiency" } else { "deficiencies" }
        ))
    } else {
        Ok(())
    }
}

/// A completed chart takes no new deficiency until a supervisor reopens it.
pub fn check_can_add_deficiency(chart_status: super::completion::ChartStatus) -> Result<(), String> {
    if chart_status == super::completion::ChartStatus::Complete {
        Err("Cannot add deficiencies to a COMPLETED chart".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::chart::seed_deficiency_types;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn as06_the_ladder_of_dates() {
        let policy = DeficiencyPolicy::default();
        let discharged = d(2025, 2, 10);
        assert_eq!(policy.notice_on(discharged, 0), d(2025, 2, 24));
        assert_eq!(policy.final_notice_on(discharged, 0), d(2025, 3, 3));
        assert_eq!(policy.delinquent_on(discharged, 0), d(2025, 3, 12));
        assert_eq!(policy.notice_due(discharged, 0, d(2025, 3, 3)), Some(NoticeLevel::FinalNotice));
        assert_eq!(policy.notice_due(discharged, 0, d(2025, 3, 4)), None);
    }

    #[test]
    fn a_notice_is_owed_once_per_level_and_a_missed_day_is_not_lost() {
        let policy = DeficiencyPolicy::default();
        let discharged = d(2025, 2, 10);
        assert_eq!(policy.notice_owed(discharged, 0, d(2025, 2, 23), None), None);
        assert_eq!(policy.notice_owed(discharged, 0, d(2025, 2, 24), None), Some(NoticeLevel::Notice));
        assert_eq!(policy.notice_owed(discharged, 0, d(2025, 2, 25), Some(NoticeLevel::Notice)), None, "sent");
        assert_eq!(
            policy.notice_owed(discharged, 0, d(2025, 3, 3), Some(NoticeLevel::Notice)),
            Some(NoticeLevel::FinalNotice)
        );
        // A backlog item seen for the first time years later gets the delinquency notice, once.
        let old = d(2001, 1, 6);
        assert_eq!(policy.notice_owed(old, 0, d(2026, 12, 1), None), Some(NoticeLevel::Delinquent));
        assert_eq!(policy.notice_owed(old, 0, d(2026, 12, 2), Some(NoticeLevel::Delinquent)), None);
        // A pause moves the levels' days with it.
        assert_eq!(policy.notice_owed(discharged, 5, d(2025, 2, 24), None), None);
    }

    #[test]
    fn as11_a_five_day_pause_moves_delinquency_from_the_12th_to_the_17th() {
        let policy = DeficiencyPolicy::default();
        assert_eq!(policy.delinquent_on(d(2025, 2, 10), 5), d(2025, 3, 17));
        assert_eq!(age_days(d(2025, 2, 10), 5, d(2025, 3, 3)), 16);
    }

    #[test]
    fn as12_leave_postpones_the_suspension_proposal() {
        let leave = [Leave { from: d(2025, 3, 10), to: d(2025, 3, 20) }];
        assert!(suspension_proposed(1, &[], d(2025, 3, 12)));
        assert!(!suspension_proposed(1, &leave, d(2025, 3, 12)));
        assert!(!suspension_proposed(1, &leave, d(2025, 3, 20)));
        assert!(suspension_proposed(1, &leave, d(2025, 3, 21)));
        assert!(!suspension_proposed(0, &[], d(2025, 3, 21)));
    }

    #[test]
    fn as13_the_delinquency_rate_and_its_bands() {
        let warning = delinquency_rate(250, 7_200);
        assert_eq!(warning.average_monthly_discharges, 600.0);
        assert_eq!(warning.rate_percent(), Some(41.7));
        assert_eq!(warning.band(), Some(RateBand::Warning));
        let over = delinquency_rate(320, 7_200);
        assert_eq!(over.rate_percent(), Some(53.3));
        assert_eq!(over.band(), Some(RateBand::Exceeds));
        assert_eq!(over.describe(d(2025, 3, 13)), "53.3% — exceeds 50% of average monthly discharges");
        assert_eq!(delinquency_rate(100, 7_200).band(), Some(RateBand::Within));
    }

    #[test]
    fn with_no_discharges_in_the_window_there_is_no_rate_not_zero() {
        let rate = delinquency_rate(61, 0);
        assert_eq!(rate.rate_percent(), None);
        assert_eq!(rate.band(), None);
        assert_eq!(
            rate.describe(d(2026, 10, 4)),
            "not computable (no inpatient discharges in the 12 months to 10/04/2026)"
        );
        let json = serde_json::to_value(rate).unwrap();
        assert_eq!(json["rate_percent"], serde_json::Value::Null);
        assert_eq!(json["band"], "not_computable");
        assert_eq!(json["delinquent_charts"], 61);
        let json = serde_json::to_value(delinquency_rate(250, 7_200)).unwrap();
        assert_eq!((json["rate_percent"].as_f64(), json["band"].as_str()), (Some(41.7), Some("warning")));
    }

    #[test]
    fn buckets() {
        assert_eq!(AgeBucket::of(0), AgeBucket::UpTo14);
        assert_eq!(AgeBucket::of(14), AgeBucket::UpTo14);
        assert_eq!(AgeBucket::of(15), AgeBucket::UpTo21);
        assert_eq!(AgeBucket::of(30), AgeBucket::UpTo30);
        assert_eq!(AgeBucket::of(31), AgeBucket::UpTo60);
        assert_eq!(AgeBucket::of(61), AgeBucket::Over60);
    }

    #[test]
    fn as06_discharge_seeds_ds_d_op_s_and_vo() {
        let (patel, okafor, reyes) = (1, 2, 3);
        let docs = vec![
            SeedDocument { id: 10, doc_type: "HP".into(), status: DocumentStatus::Completed, author_id: Some(patel) },
            SeedDocument {
                id: 11,
                doc_type: "OP_NOTE".into(),
                status: DocumentStatus::Unsigned,
                author_id: Some(okafor),
            },
            SeedDocument {
                id: 12,
                doc_type: "VERBAL_ORDER".into(),
                status: DocumentStatus::Unsigned,
                author_id: Some(reyes),
            },
        ];
        let seeds = standard_deficiencies(&seed_deficiency_types(), EncounterKind::Inpatient, Some(patel), &docs, &[]);
        let got: Vec<_> = seeds.iter().map(|s| (s.type_code.as_str(), s.provider_id, s.status)).collect();
        assert_eq!(
            got,
            [
                ("DS-D", patel, DeficiencyStatus::Open),
                ("OP-S", okafor, DeficiencyStatus::Transcribed),
                ("VO", reyes, DeficiencyStatus::Transcribed),
            ]
        );
        assert!(
            standard_deficiencies(&seed_deficiency_types(), EncounterKind::Outpatient, Some(patel), &docs, &[])
                .is_empty()
        );
    }

    #[test]
    fn an_operation_without_its_report_seeds_op_d_dated_at_the_operation() {
        let (patel, okafor) = (1, 2);
        let day = |d| NaiveDate::from_ymd_opt(2025, 2, d).unwrap_or_default();
        let procedure = |d, description: &str| SeedProcedure { performed_on: day(d), description: description.into() };
        let stay = [procedure(4, "Appendectomy"), procedure(5, "Oxygen administration by mask (procedure)")];
        let hp =
            SeedDocument { id: 10, doc_type: "HP".into(), status: DocumentStatus::Completed, author_id: Some(patel) };
        let types = seed_deficiency_types();
        let seeds =
            standard_deficiencies(&types, EncounterKind::Inpatient, Some(patel), std::slice::from_ref(&hp), &stay);
        let op: Vec<_> = seeds.iter().filter(|s| s.type_code == "OP-D").collect();
        assert_eq!(op.len(), 1);
        assert_eq!((op[0].provider_id, op[0].status, op[0].event_on), (patel, DeficiencyStatus::Open, Some(day(4))));
        // A report on file, even unsigned, answers the operation (OP-S then tracks its signature).
        let report = SeedDocument {
            id: 11,
            doc_type: "OP_NOTE".into(),
            status: DocumentStatus::Unsigned,
            author_id: Some(okafor),
        };
        let seeds = standard_deficiencies(&types, EncounterKind::Inpatient, Some(patel), &[hp, report], &stay);
        assert!(seeds.iter().all(|s| s.type_code != "OP-D"));
        assert!(seeds.iter().any(|s| s.type_code == "OP-S" && s.provider_id == okafor));
        // Nobody to send it to: nothing seeded rather than a guess.
        assert!(standard_deficiencies(&types, EncounterKind::Inpatient, None, &[], &stay).is_empty());
    }

    #[test]
    fn as10_completion_invariants() {
        assert_eq!(check_chart_completion(2), Err("Cannot complete: 2 pending deficiencies".into()));
        assert!(check_chart_completion(0).is_ok());
        use crate::domain::completion::ChartStatus;
        assert_eq!(
            check_can_add_deficiency(ChartStatus::Complete),
            Err("Cannot add deficiencies to a COMPLETED chart".into())
        );
        assert!(check_can_add_deficiency(ChartStatus::Incomplete).is_ok());
    }

    #[test]
    fn a_policy_must_rise() {
        assert!(DeficiencyPolicy::default().validate().is_ok());
        assert!(DeficiencyPolicy { notice_days: 21, final_notice_days: 14, delinquent_days: 30 }.validate().is_err());
    }
}
