//! The types the chart-completion operations of a [`super::Store`] speak.

use crate::domain::audit::NewAuditEvent;
use crate::domain::chart::{DeficiencyStatus, EncounterKind};
use crate::domain::completion::{ChartStatus, Claim, PauseSpan};
use crate::domain::deficiency::{AgeBucket, NoticeLevel, SeedDocument};
use crate::domain::mrn::Mrn;
use chrono::NaiveDate;
use serde::Serialize;

/// Which open work to list. Empty fields filter nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    pub provider_id: Option<i64>,
    pub type_code: Option<String>,
    pub category: Option<String>,
    pub bucket: Option<AgeBucket>,
    pub service: Option<String>,
    pub facility: Option<String>,
    pub status: Option<DeficiencyStatus>,
    /// One patient's items.
    pub mrn: Option<Mrn>,
    /// Only items delinquent on `today`.
    pub delinquent_only: bool,
    /// The day ages are counted to.
    pub today: Option<NaiveDate>,
    /// Only the items one clerk has taken, or only those nobody holds.
    pub claimed: Option<ClaimFilter>,
    /// The instant claims are judged live at (set by the desk from its clock).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// Whose work a queue lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimFilter {
    /// Items this user holds (a claim not lapsed at `now`).
    By(String),
    /// Items nobody holds at `now`.
    Unclaimed,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// Oldest first (by delinquent date).
    #[default]
    Age,
    Physician,
    Type,
    Mrn,
    Discharge,
}

impl QueueSort {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "age" => Some(Self::Age),
            "physician" => Some(Self::Physician),
            "type" => Some(Self::Type),
            "mrn" => Some(Self::Mrn),
            "discharge" => Some(Self::Discharge),
            _ => None,
        }
    }
}

/// The values a queue filter can match, for refusing one that matches nothing by construction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueVocabulary {
    /// Every type code, retired ones too: their items may still be open.
    pub types: Vec<String>,
    pub categories: Vec<String>,
    pub facilities: Vec<String>,
    /// The services of the encounters that carry deficiencies.
    pub services: Vec<String>,
}

/// One row of the deficiency queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueRow {
    pub id: i64,
    pub version: i64,
    pub patient_id: i64,
    pub encounter_id: i64,
    pub provider_id: i64,
    pub physician: String,
    pub type_code: String,
    pub type_name: String,
    pub category: String,
    pub status: DeficiencyStatus,
    pub mrn: String,
    pub patient: String,
    pub account: String,
    pub facility: String,
    pub service: String,
    pub event_on: NaiveDate,
    pub delinquent_on: NaiveDate,
    pub paused_days: i64,
    /// When the current step is due, from the type's days to dictate, sign and review.
    pub step_due: Option<NaiveDate>,
    /// The pauses of its aging already recorded (from, to).
    pub pauses: Vec<(NaiveDate, NaiveDate)>,
    /// Who is working it. The desk leaves out a claim that lapsed.
    pub claim: Option<Claim>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuePage {
    pub rows: Vec<QueueRow>,
    pub has_more: bool,
}

/// Counts for the queue's band and the Director's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueCounts {
    pub open: i64,
    pub delinquent: i64,
    pub delinquent_charts: i64,
    /// Inpatient discharges in the 12 months before the day.
    pub discharges_12_months: i64,
    pub buckets: Vec<(AgeBucket, i64)>,
    /// (physician, delinquent items), most first.
    pub top_physicians: Vec<(String, i64)>,
}

/// A discharged encounter the nightly run has not analysed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DischargedEncounter {
    pub encounter_id: i64,
    pub facility_id: i64,
    pub account: String,
    pub kind: EncounterKind,
    pub attending_id: Option<i64>,
    pub discharged_on: NaiveDate,
    pub documents: Vec<SeedDocument>,
    pub procedures: Vec<crate::domain::procedure::SeedProcedure>,
}

/// A deficiency to write, for a chart being analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSeededDeficiency {
    pub encounter_id: i64,
    pub type_code: String,
    pub provider_id: i64,
    pub document_id: Option<i64>,
    pub status: DeficiencyStatus,
    pub event_on: NaiveDate,
    pub delinquent_on: NaiveDate,
}

/// A notice to record: one per physician, facility, level and day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeDraft {
    pub provider_id: i64,
    /// The facility whose items the notice lists, and whose name heads its letter.
    pub facility_id: i64,
    pub level: NoticeLevel,
    pub notice_on: NaiveDate,
    pub copy_to_id: Option<i64>,
    pub deficiency_ids: Vec<i64>,
    pub count_open: i64,
    pub count_delinquent: i64,
}

/// An open item whose notice may fall due, as the nightly run reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub id: i64,
    /// The highest notice level already sent for it.
    pub notice_level: Option<NoticeLevel>,
    pub facility_id: i64,
    pub provider_id: i64,
    pub supervisor_id: Option<i64>,
    pub event_on: NaiveDate,
    pub paused_days: i64,
    pub delinquent_on: NaiveDate,
}

/// A physician's standing for the suspension list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PhysicianStanding {
    pub provider_id: i64,
    pub npi: String,
    pub name: String,
    pub open: i64,
    pub delinquent: i64,
    pub oldest_delinquent_discharge: Option<NaiveDate>,
    pub suspended_since: Option<NaiveDate>,
    pub leave: Vec<(NaiveDate, NaiveDate)>,
}

/// What completing a set of deficiencies did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CompletionOutcome {
    pub completed: Vec<i64>,
    /// Items that changed meanwhile: named and skipped, never guessed.
    pub skipped: Vec<SkippedItem>,
    /// Encounters whose charts became complete.
    pub charts_completed: Vec<String>,
    /// Physicians whose last delinquent item this was, while suspended.
    pub reinstated: Vec<i64>,
}

/// An item a bulk action left alone, and why, in a clerk's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedItem {
    pub id: i64,
    /// `A25-000781 OP-D`.
    pub label: String,
    pub reason: String,
}

/// A notice as recorded (or about to be), with what a letter needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeRecord {
    /// The store's id; None for a notice not yet recorded.
    pub id: Option<i64>,
    /// The facility whose letterhead the letter carries.
    pub facility: String,
    pub facility_code: String,
    pub level: NoticeLevel,
    pub notice_on: NaiveDate,
    pub physician: String,
    pub npi: String,
    pub copy_to: Option<String>,
    pub lines: Vec<NoticeLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeLine {
    pub mrn: String,
    pub account: String,
    pub discharged_on: NaiveDate,
    pub deficiency: String,
    pub days_outstanding: i64,
}

/// An encounter's chart-completion record, as the desk checks it before a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChartCompletionView {
    pub encounter_id: i64,
    pub facility_id: i64,
    pub patient_id: i64,
    pub account: String,
    pub mrn: String,
    pub status: ChartStatus,
    /// The chart-completion record's version; None before the analysis has opened one.
    pub version: Option<i64>,
    /// The open items of the chart.
    pub open_ids: Vec<i64>,
    pub discharged_on: Option<NaiveDate>,
}

impl ChartCompletionView {
    pub fn open(&self) -> i64 {
        self.open_ids.len() as i64
    }
}

/// A chart the nightly run analysed: the status it leaves and the items it found missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysedChart {
    pub encounter_id: i64,
    pub received_on: NaiveDate,
    pub status: ChartStatus,
    pub completed_on: Option<NaiveDate>,
    pub seeds: Vec<NewSeededDeficiency>,
}

/// A physician's suspension as a completion needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSuspension {
    pub provider_id: i64,
    pub version: i64,
    pub suspended: bool,
    /// Suspended by the medical staff office's override, not for delinquency.
    pub by_override: bool,
    /// The physician's open items delinquent on the day asked.
    pub delinquent_ids: Vec<i64>,
}

/// One change to an item, written only if the item is still at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemWrite {
    pub id: i64,
    pub version: i64,
    pub change: ItemChange,
    /// The item's step before and after: a history row is written when they differ.
    pub from: DeficiencyStatus,
    pub to: DeficiencyStatus,
    /// The history row's note.
    pub note: String,
    /// What becomes of who is working the item.
    pub claim: ClaimWrite,
    pub audit: NewAuditEvent,
}

/// What a change does to the item's claim, as the desk decided it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ClaimWrite {
    #[default]
    Keep,
    Set(Claim),
    Clear,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemChange {
    Complete {
        resolved_on: NaiveDate,
        resolved_by: String,
    },
    /// Aging paused over `span`: the delinquent date moves by its days.
    Pause {
        span: PauseSpan,
        reason: String,
        by: String,
    },
    Reassign {
        provider_id: i64,
    },
    Comment {
        text: String,
    },
    Step,
    /// Taken to work (the claim is in [`ItemWrite::claim`]).
    Take,
    /// Taken over from another clerk by a supervisor.
    TakeOver,
    /// Given up, by its holder or a supervisor.
    Release,
}

impl ItemChange {
    /// The changes that move only who holds an item, not the item.
    pub const CLAIMS: [&'static str; 3] = ["TAKE", "TAKE_OVER", "RELEASE"];

    /// The change's name in the item's change log.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Complete { .. } => "COMPLETE",
            Self::Pause { .. } => "PAUSE",
            Self::Reassign { .. } => "REASSIGN",
            Self::Comment { .. } => "COMMENT",
            Self::Step => "STEP",
            Self::Take => "TAKE",
            Self::TakeOver => "TAKE_OVER",
            Self::Release => "RELEASE",
        }
    }
}

/// One change an item took, from its change log: the version it made (the log holds one change
/// per version of an item), who, when, what, and who held the item after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemChangeRecord {
    pub deficiency_id: i64,
    pub version: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub username: String,
    /// [`ItemChange::code`].
    pub change: String,
    pub status: DeficiencyStatus,
    pub holder: Option<String>,
    /// The change's audit detail.
    pub detail: String,
}

/// A chart's completion status, written only if the record is still at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartWrite {
    pub encounter_id: i64,
    pub version: i64,
    pub status: ChartStatus,
    pub completed_on: Option<NaiveDate>,
    pub audit: NewAuditEvent,
}

/// A suspended physician reinstated, written only if the provider is still at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reinstatement {
    pub provider_id: i64,
    pub version: i64,
    pub on: NaiveDate,
    pub audit: NewAuditEvent,
}

/// Everything one clerk's action writes, in one transaction: the store applies it whole or, when
/// anything moved since the desk read it, not at all (`Conflict`), and the desk decides again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeficiencyChanges {
    pub items: Vec<ItemWrite>,
    pub charts: Vec<ChartWrite>,
    pub reinstatements: Vec<Reinstatement>,
    /// Notices that go with the change (a reinstatement), each with its audit event.
    pub notices: Vec<(NoticeDraft, NewAuditEvent)>,
}

/// A claim on the nightly run of one day: who runs it, where, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NightlyClaim {
    pub run_on: NaiveDate,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The chartroom user running it.
    pub username: String,
    /// The machine and process running it, so that a claim whose process is gone can be told
    /// from one still working.
    pub host: String,
    pub pid: u32,
}
