//! Persistence, and nothing else. One [`Store`] interface of typed operations, backend-neutral: the
//! SQLite store is the embedded default; a PostgreSQL store implements the same trait and passes the
//! same conformance suite (`tests/store_conformance.rs`).
//!
//! Every mutation takes the audit event that records it and writes both in one transaction.

pub mod changes;
pub mod copy;
pub mod deficiencies;
pub mod file_room;
pub mod imports;
pub mod postgres;
pub mod records;
pub mod roi;
pub mod sqlite;

use crate::domain::audit::{AuditEvent, NewAuditEvent};
use crate::domain::chart::DeficiencyType;
use crate::domain::chart::{Chart, Facility, NewFacility, Provider};
use crate::domain::completion::ItemState;
use crate::domain::deficiency::DeficiencyPolicy;
use crate::domain::mrn::Mrn;
use crate::domain::patient::PatientRow;
use crate::domain::roi::{LetterKind, NewRequester, RequestNumber, Requester};
use crate::domain::role::Role;
pub use changes::{ChangeStamp, Topic, Topics};
use chrono::{DateTime, NaiveDate, Utc};
pub use deficiencies::{
    AnalysedChart, ChartCompletionView, ChartWrite, ClaimFilter, ClaimWrite, CompletionOutcome, DeficiencyChanges,
    DischargedEncounter, ItemChange, ItemChangeRecord, ItemWrite, NewSeededDeficiency, NightlyClaim, NoticeDraft,
    NoticeRecord, OpenItem, PhysicianStanding, ProviderSuspension, QueueCounts, QueueFilter, QueuePage, QueueSort,
    QueueVocabulary, Reinstatement, SkippedItem,
};
pub use records::RecordBatch;
pub use roi::{
    LetterTemplate, NewRoiRequest, RoiChange, RoiQueueFilter, RoiQueuePage, RoiQueueRow, RoiRequest, RoiSort,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "this store was written by a newer chartroom (schema version {found}; this program knows up to {known}); \
         run the newer chartroom, or restore a backup"
    )]
    TooNew { found: i64, known: i64 },
    #[error("the store is busy: another program holds a lock on it; try again in a moment")]
    Busy,
    #[error("the disk holding the store is full; nothing was written. Free some space and try again")]
    DiskFull,
    #[error("the store file is read-only for this account")]
    ReadOnly,
    #[error("{0} already exists")]
    Duplicate(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("this record was changed by someone else since you opened it; reload and try again")]
    Conflict,
    #[error("the store file is damaged or is not a chartroom store: {0}")]
    Corrupt(String),
    /// The triggers that keep the audit trail append-only are gone or changed: what is missing.
    /// chartroom does not run on a store whose history anyone could rewrite.
    #[error(
        "the store's append-only protection is missing: {0}. chartroom will not run on this store until it is back: \
         tell the Privacy Officer, then restore the store from a backup, or have the Director of HIM put the \
         protection back with `chartroom migrate` and check the trail with `chartroom audit verify`"
    )]
    Unprotected(String),
    #[error("store error: {0}")]
    Backend(String),
    /// The networked store's server cannot be reached, or the connection to it was lost: says what
    /// was tried (host, port, user, database; never a password).
    #[error("the database server cannot be reached: {0}")]
    Unreachable(String),
    /// An operation this kind of store does not do, with what to do instead.
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What an [`StoreError::Unreachable`] says when the connection was lost while a change was being
/// committed: the server may have saved it or not, and the clerk must look before making it again.
pub const OUTCOME_UNKNOWN: &str = "whether it was saved is not known";

impl StoreError {
    /// The store's server cannot be reached, or the connection to it was lost.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable(_))
    }

    /// The connection was lost as a change was committed: it may have been saved. A change that
    /// failed with any other error was not.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Unreachable(message) if message.contains(OUTCOME_UNKNOWN))
    }
}

/// A page of a result list: results are fetched a page at a time, never a whole table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: usize,
}

impl Page {
    pub fn first(limit: usize) -> Self {
        Self { offset: 0, limit }
    }
}

/// What the store is asked to match: the desk has already parsed the clerk's text, hashed any SSN and
/// computed phonetic codes and birth-date slips, so every backend only matches columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientLookup {
    Mrn(Mrn),
    Account(String),
    SsnHash(String),
    Last4(String),
    InitialLast4 { initial: char, last4: String },
    Dob { exact: NaiveDate, swaps: Vec<NaiveDate> },
    Name(NameLookup),
    NameDob { name: NameLookup, exact: NaiveDate, swaps: Vec<NaiveDate> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameLookup {
    /// Family-name key prefix (`SMITH`).
    pub family: String,
    /// Given-name key prefix, possibly empty.
    pub given: String,
    /// Double Metaphone codes (primary, alternate) of the typed family name; empty when the typed
    /// name is too short to sound like anything.
    pub family_phonetic: Vec<String>,
    pub given_phonetic: Vec<String>,
}

/// A stored patient's name keys, as a backend read them to rank a birth-date search.
pub(crate) struct StoredKeys {
    pub family: String,
    pub given: String,
    pub family_phon: String,
    pub given_phon: String,
}

/// How a stored name matches a typed one, if at all: the same rules as the name tiers, one place
/// for every backend.
pub(crate) fn name_match(name: &NameLookup, stored: &StoredKeys) -> Option<crate::domain::patient::MatchKind> {
    use crate::domain::patient::MatchKind;
    let given_prefix = stored.given.starts_with(&name.given);
    if stored.family.starts_with(&name.family) && given_prefix {
        let exact = stored.family == name.family && (name.given.is_empty() || stored.given == name.given);
        return Some(if exact { MatchKind::Exact } else { MatchKind::Prefix });
    }
    let family_sounds = name.family_phonetic.contains(&stored.family_phon) || stored.family.starts_with(&name.family);
    let given_sounds = name.given.is_empty() || given_prefix || name.given_phonetic.contains(&stored.given_phon);
    (family_sounds && given_sounds).then_some(MatchKind::Phonetic)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    pub rows: Vec<PatientRow>,
    /// More rows lie beyond this page.
    pub has_more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    /// The user's own patient record, which the desk refuses them (AS-03). Not in `--json`: who
    /// among the staff is a patient here is itself protected.
    #[serde(skip)]
    pub patient_id: Option<i64>,
    /// Whether the user has set a signature code. The hash itself is read only to check a code.
    pub has_signature: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
}

/// What the header needs and what `demo` checks before it touches a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub schema_version: i64,
    /// The store was made by `chartroom demo` and holds synthetic data only.
    pub is_demo: bool,
    /// The store holds patients or users that `demo` did not make.
    pub has_real_data: bool,
    pub facilities: Vec<Facility>,
    /// How many patients the store has made: the greatest patient id, cheap at ten million (every
    /// open terminal reads it each few seconds with the header), and zero exactly when the store
    /// holds no patient (`demo` and an import ask that; `demo` and `bench` print it). Patients are
    /// never deleted, so on SQLite, where a refused batch leaves no id used, it is the count; a
    /// PostgreSQL sequence is not rolled back with a refused batch, so there it may exceed the count
    /// by the ids refused batches drew.
    pub patient_count: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub patient_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub username: Option<String>,
    /// Events of this action only (the privacy screen's break-the-glass list).
    pub action: Option<crate::domain::audit::AuditAction>,
    /// Events about this kind of thing only (`signature_code`): a user's latest wrong codes, which
    /// a flood of other refusals must not push out of the newest few.
    pub entity: Option<String>,
    pub limit: usize,
}

/// What a privacy officer's report reads: the events in a window about one patient, by one user or
/// of one action, oldest first. Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub patient_id: Option<i64>,
    pub username: Option<String>,
    pub action: Option<crate::domain::audit::AuditAction>,
    /// From this instant, included.
    pub from: Option<DateTime<Utc>>,
    /// Up to this instant, left out.
    pub until: Option<DateTime<Utc>>,
    pub limit: usize,
}

/// The operations every backend provides. Blocking: the terminal program calls them from worker
/// tasks, never from the render path.
pub trait Store: Send + Sync {
    fn info(&self) -> StoreResult<StoreInfo>;

    fn user_by_name(&self, username: &str) -> StoreResult<Option<User>>;
    fn list_users(&self) -> StoreResult<Vec<User>>;
    fn add_user(&self, user: NewUser, audit: NewAuditEvent) -> StoreResult<User>;
    fn set_user_roles(&self, username: &str, roles: Vec<Role>, audit: NewAuditEvent) -> StoreResult<User>;
    fn set_user_enabled(&self, username: &str, enabled: bool, audit: NewAuditEvent) -> StoreResult<User>;
    /// Links the user to their own patient record (None unlinks), with its audit event.
    fn link_user_patient(&self, username: &str, patient_id: Option<i64>, audit: NewAuditEvent) -> StoreResult<User>;
    /// Replaces the user's signature code hash (a PHC string the desk made), or clears it (None),
    /// with its audit event.
    fn set_signature_hash(&self, username: &str, hash: Option<&str>, audit: NewAuditEvent) -> StoreResult<()>;
    /// The user's signature code hash, to check a code against; None when none is set.
    fn signature_hash(&self, username: &str) -> StoreResult<Option<String>>;

    fn add_facility(&self, facility: NewFacility, audit: NewAuditEvent) -> StoreResult<Facility>;
    fn list_facilities(&self) -> StoreResult<Vec<Facility>>;
    fn list_providers(&self, page: Page) -> StoreResult<Vec<Provider>>;
    fn provider_by_npi(&self, npi: &str) -> StoreResult<Option<Provider>>;

    /// Writes records from another system in one transaction with the batch's audit event: each
    /// found by its source identifier is left or updated, each new one is created (numbered and
    /// matched by the domain's rules: `domain::mrn`, `domain::account`, `domain::visit`). An
    /// encounter whose patient is neither in the batch nor in the store is `NotFound`. Every row is
    /// stamped with the event's instant, as in [`Store::insert_batch`]; a batch without its event
    /// is refused, and nothing written.
    fn apply_import(&self, batch: imports::ImportBatch) -> StoreResult<imports::ImportCounts>;
    /// Whether an earlier import brought the record known in `system` as `source_id`.
    fn has_imported(&self, record: imports::SourceRecord, system: &str, source_id: &str) -> StoreResult<bool>;
    /// Writes a batch of records (demo, import) in one transaction, with its audit event.
    /// Every row is stamped with the event's instant: the store reads no clock of its own.
    fn insert_batch(&self, batch: RecordBatch, audit: NewAuditEvent) -> StoreResult<records::BatchCounts>;
    /// Prepares an empty store for a large load (the demo at a million patients): secondary indexes
    /// are dropped and built once at [`Store::finish_bulk_load`]. Refused when the store has patients.
    fn begin_bulk_load(&self) -> StoreResult<()>;
    /// Prepares an empty store for a large import: the secondary indexes an import does not read
    /// while it writes are dropped and built at [`Store::finish_bulk_load`], and writes stay
    /// durable. An import killed before then leaves them to be rebuilt when the store next opens.
    /// Refused when the store has patients.
    fn begin_import_load(&self) -> StoreResult<()>;
    /// Builds the indexes and statistics after a bulk load. Safe to call at any time.
    fn finish_bulk_load(&self) -> StoreResult<()>;
    /// Marks the store as demo data (`DEMO DATA` in every header), with its audit event.
    fn mark_demo(&self, audit: NewAuditEvent) -> StoreResult<()>;
    /// A store-wide setting (installation facts such as the SSN key's check value).
    fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Writes a setting once: an existing value is never replaced.
    fn init_setting(&self, key: &str, value: &str) -> StoreResult<()>;

    fn search_patients(&self, lookup: &PatientLookup, page: Page) -> StoreResult<SearchPage>;
    fn patient_by_mrn(&self, mrn: &Mrn) -> StoreResult<Option<PatientRow>>;
    fn load_chart(&self, patient_id: i64) -> StoreResult<Option<Chart>>;

    /// Appends an event to the audit trail's hash chain ([`crate::domain::audit::chain`]): the
    /// store numbers it, links it to the event before it and writes its hash, appends being taken
    /// one at a time so that the chain never forks.
    fn append_audit(&self, event: NewAuditEvent) -> StoreResult<()>;
    /// Appends several events in order, in one transaction (the rows a search showed).
    fn append_audit_events(&self, events: Vec<NewAuditEvent>) -> StoreResult<()>;
    fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>>;
    /// The events matching `query`, oldest first, at most `query.limit` (0: 1000).
    fn audit_report(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>>;
    /// Up to `limit` events of the chain after the one numbered `after_id`, in id order, as stored,
    /// with their hashes: what `audit verify` walks.
    fn audit_chain(&self, after_id: i64, limit: usize) -> StoreResult<Vec<crate::domain::audit::chain::ChainedEvent>>;
    /// How many events the audit trail holds.
    fn audit_count(&self) -> StoreResult<i64>;

    /// A consistent copy of the live store, written to `destination`.
    fn backup_to(&self, destination: &std::path::Path, audit: NewAuditEvent) -> StoreResult<()>;
    /// Writes a store-wide setting, replacing any value, with its audit event.
    fn put_setting(&self, key: &str, value: &str, audit: Option<NewAuditEvent>) -> StoreResult<()>;

    // ---- chart completion ------------------------------------------------------------------

    /// The store-wide deficiency policy, the default of every facility.
    fn deficiency_policy(&self) -> StoreResult<DeficiencyPolicy>;
    fn set_deficiency_policy(&self, policy: DeficiencyPolicy, audit: NewAuditEvent) -> StoreResult<()>;
    /// The policies facilities set for themselves, by facility id.
    fn facility_policies(&self) -> StoreResult<Vec<(i64, DeficiencyPolicy)>>;
    fn set_facility_policy(&self, facility_id: i64, policy: DeficiencyPolicy, audit: NewAuditEvent) -> StoreResult<()>;
    fn deficiency_types(&self) -> StoreResult<Vec<DeficiencyType>>;
    /// Adds a deficiency type, or replaces the definition of the one with its code.
    fn save_deficiency_type(&self, kind: DeficiencyType, audit: NewAuditEvent) -> StoreResult<()>;
    /// Retires a type: no new deficiencies of it; existing ones stay.
    fn retire_deficiency_type(&self, code: &str, audit: NewAuditEvent) -> StoreResult<()>;
    /// Inpatient encounters discharged after `after` (if any) and on or before `through`, with no
    /// chart-completion record yet, with their documents. The inpatient stays an import left
    /// waiting (all it brought but those discharged before the batch's `open_since`) are among
    /// them once discharged on or before `through`, however long before `after`: the window moves
    /// on with each run, and an import brings old discharges after it. Each waits until
    /// [`Store::record_analysis`] opens its record.
    fn encounters_to_analyse(
        &self,
        after: Option<NaiveDate>,
        through: NaiveDate,
    ) -> StoreResult<Vec<DischargedEncounter>>;
    /// Opens the chart-completion record of each encounter with the status the desk decided and
    /// writes its deficiencies, each with a history row and an audit event naming its patient and
    /// physician, in one transaction. An encounter analysed meanwhile (by a concurrent run) is left
    /// as it is. Returns how many deficiencies were written.
    fn record_analysis(&self, analysed: Vec<AnalysedChart>, audit: NewAuditEvent) -> StoreResult<usize>;
    /// Every open deficiency, as the nightly run reads them for notices.
    fn open_items(&self) -> StoreResult<Vec<OpenItem>>;
    /// Records notices; one that exists (same physician, facility, level and day) is left alone.
    /// The items of each notice recorded have been sent its level ([`OpenItem::notice_level`]
    /// keeps the highest); those of a notice left alone have not. Returns the ids of the notices
    /// new to the store, in the order given.
    fn record_notices(&self, notices: Vec<(NoticeDraft, NewAuditEvent)>) -> StoreResult<Vec<i64>>;
    /// What a notice's letter says, recorded or not: the physician, the facility and the items.
    fn notice_preview(&self, draft: &NoticeDraft) -> StoreResult<NoticeRecord>;
    /// The notices recorded for the days `from` to `to`, as their letters need them.
    fn notices_between(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<NoticeRecord>>;
    /// Physicians with open or delinquent items on `today`, or suspended, most delinquent first.
    fn physician_standings(&self, today: NaiveDate) -> StoreResult<Vec<PhysicianStanding>>;
    /// One physician's standing (open, delinquent, suspension, leave) on `today`.
    fn physician_standing(&self, provider_id: i64, today: NaiveDate) -> StoreResult<Option<PhysicianStanding>>;
    fn queue_page(&self, filter: &QueueFilter, sort: QueueSort, page: Page) -> StoreResult<QueuePage>;
    fn queue_counts(&self, today: NaiveDate) -> StoreResult<QueueCounts>;
    /// Every item the filter matches, as (id, version), for "select all in the filter".
    fn queue_ids(&self, filter: &QueueFilter) -> StoreResult<Vec<(i64, i64)>>;
    /// The type codes, categories, facility codes and services a queue filter can name.
    fn queue_vocabulary(&self) -> StoreResult<QueueVocabulary>;
    /// The items with these ids as they stand now, with what a clerk calls them.
    fn deficiency_items(&self, ids: &[i64]) -> StoreResult<Vec<ItemState>>;
    /// The chart-completion records of these encounters, with their open items.
    fn chart_states(&self, encounter_ids: &[i64]) -> StoreResult<Vec<ChartCompletionView>>;
    /// These physicians' suspensions, with their items delinquent on `on`.
    fn provider_suspensions(&self, provider_ids: &[i64], on: NaiveDate) -> StoreResult<Vec<ProviderSuspension>>;
    /// Writes one action's changes whole, each row only at the version the desk read, each with its
    /// audit event and a row of the item's change log; `Conflict` and nothing written when any row
    /// moved meanwhile.
    fn apply_deficiency_changes(&self, changes: DeficiencyChanges) -> StoreResult<()>;
    /// The item's change log after `after_version`, oldest first: what moved it since a clerk read it.
    fn deficiency_changes(&self, id: i64, after_version: i64) -> StoreResult<Vec<ItemChangeRecord>>;
    /// The chart-completion record of the encounter with this account number.
    fn chart_completion(&self, account: &str) -> StoreResult<Option<ChartCompletionView>>;
    /// Whether a deficiency of this type is already open or done for this provider on the encounter.
    fn has_deficiency(&self, encounter_id: i64, type_code: &str, provider_id: i64) -> StoreResult<bool>;
    /// Adds one deficiency by hand (an analyst's finding). The chart's record, at `chart_version`
    /// as the desk read it, becomes INCOMPLETE; with no record yet, one is opened.
    fn add_deficiency(
        &self,
        new: NewSeededDeficiency,
        chart_version: Option<i64>,
        duplicate_confirmed: bool,
        audit: NewAuditEvent,
    ) -> StoreResult<i64>;
    fn add_provider_leave(&self, npi: &str, from: NaiveDate, to: NaiveDate, audit: NewAuditEvent) -> StoreResult<()>;
    /// Records a suspension from `on`; `by_override` when the medical staff office suspended a
    /// physician the rules did not make eligible (completing items then does not lift it).
    fn confirm_suspension(&self, npi: &str, on: NaiveDate, by_override: bool, audit: NewAuditEvent) -> StoreResult<()>;
    /// The nightly runs not finished, and the last one finished.
    fn nightly_claims(&self) -> StoreResult<Vec<NightlyClaim>>;
    /// Claims the nightly run for `claim.run_on`; false when a run for that day has already
    /// finished. A claim not finished is `Busy`, unless it is the one `replacing` names (its
    /// `started_at`), which the desk found abandoned: then the new claim takes its place. A claim
    /// is named by its day and its `started_at`, which the desk gives in whole seconds.
    fn begin_nightly(
        &self,
        claim: NightlyClaim,
        replacing: Option<DateTime<Utc>>,
        audit: NewAuditEvent,
    ) -> StoreResult<bool>;
    /// Marks finished, with its summary, the claim on `run_on` made at `started_at` (the run's own).
    /// `NotFound`, and nothing written, unless that claim is the one held for the day and not
    /// finished: a run whose claim was released, or taken over as abandoned, finishes nothing.
    fn finish_nightly(
        &self,
        run_on: NaiveDate,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        summary: &str,
        audit: NewAuditEvent,
    ) -> StoreResult<()>;
    /// Gives up the unfinished claim on `run_on` made at `started_at` (the run failed, or its
    /// process is gone), so that the day can be run again. `NotFound`, and nothing written, unless
    /// that claim is the one held for the day and not finished.
    fn release_nightly(&self, run_on: NaiveDate, started_at: DateTime<Utc>, audit: NewAuditEvent) -> StoreResult<()>;

    // ---- Release of information --------------------------------------------------------------

    /// Adds a requester to the address book.
    fn add_requester(&self, requester: NewRequester, audit: NewAuditEvent) -> StoreResult<Requester>;
    /// Requesters whose name or organization starts with `prefix`, any case (`roi::requester_key`),
    /// by name; every requester, by name, for an empty prefix.
    fn search_requesters(&self, prefix: &str, limit: usize) -> StoreResult<Vec<Requester>>;
    fn requester(&self, id: i64) -> StoreResult<Option<Requester>>;
    /// Logs a request and issues its number, the next of its facility's sequence, in the same
    /// transaction (two clerks logging at once never share one); writes its requester when new,
    /// its authorization with the checklist as run, history line version 1 and the audit event
    /// (whose `entity_id` becomes the number and `patient_id` the request's patient when unset).
    fn log_roi_request(&self, request: NewRoiRequest, audit: NewAuditEvent) -> StoreResult<RoiRequest>;
    /// Logs many requests in one transaction with one audit event (the demo's bulk path); each is
    /// numbered as [`Store::log_roi_request`] numbers them. Returns how many were written.
    fn insert_roi_batch(&self, requests: Vec<NewRoiRequest>, audit: NewAuditEvent) -> StoreResult<usize>;
    /// A request, whole, by its number.
    fn roi_request(&self, number: &RequestNumber) -> StoreResult<Option<RoiRequest>>;
    fn roi_request_by_id(&self, id: i64) -> StoreResult<Option<RoiRequest>>;
    /// Writes one change of a request decided by the desk, only at the version the desk read:
    /// its fields, the rows it adds (a disclosure is written to the patient's `disclosure` rows),
    /// a history line at the next version, and the audit event, in one transaction. `Conflict`,
    /// and nothing written, when the request moved meanwhile; `NotFound` when there is none.
    fn apply_roi_change(&self, change: RoiChange, audit: NewAuditEvent) -> StoreResult<RoiRequest>;
    /// A page of the ROI queue, with how many requests the filter matches in all.
    /// A patient's documents as a release reads them, oldest first; retracted ones are not.
    fn release_documents(&self, patient_id: i64) -> StoreResult<Vec<roi::ChartDocument>>;
    /// The packets released for a request, oldest first.
    fn release_packets(&self, request_id: i64) -> StoreResult<Vec<roi::StoredPacket>>;
    fn roi_queue_page(&self, filter: &RoiQueueFilter, sort: RoiSort, page: Page) -> StoreResult<RoiQueuePage>;
    /// The open requests the filter matches, counted by received date, oldest first (the desk's
    /// aging buckets).
    fn roi_open_ages(&self, filter: &RoiQueueFilter) -> StoreResult<Vec<(NaiveDate, i64)>>;
    /// A patient's requests, newest received first, whatever their status.
    fn roi_requests_for_patient(&self, patient_id: i64, limit: usize) -> StoreResult<Vec<RoiQueueRow>>;
    /// A patient's open requests from one requester, oldest received first (intake's duplicate check).
    fn roi_open_for_requester(&self, patient_id: i64, requester_id: i64) -> StoreResult<Vec<RoiQueueRow>>;
    /// The current version of each letter template saved, in `LetterKind::ALL`'s order.
    fn letter_templates(&self) -> StoreResult<Vec<LetterTemplate>>;
    /// Every version of one kind's template, oldest first.
    fn letter_template_history(&self, kind: LetterKind) -> StoreResult<Vec<LetterTemplate>>;
    /// Saves a new version of a template (the next after the kind's last); the old ones are kept,
    /// since letters name the version they used.
    fn save_letter_template(
        &self,
        kind: LetterKind,
        text: &str,
        by: &str,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> StoreResult<LetterTemplate>;
    /// A patient's disclosures made from `from` to `to` (days, both included), voided ones too,
    /// oldest first (the accounting and the chart read them).
    fn patient_disclosures(
        &self,
        patient_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<roi::StoredDisclosure>>;
    fn disclosure(&self, id: i64) -> StoreResult<Option<roi::StoredDisclosure>>;
    /// Writes a disclosure not made on a request, with its audit event (whose `entity_id` becomes
    /// `D-<id>` when unset).
    fn record_disclosure(
        &self,
        disclosure: roi::NewDisclosure,
        audit: NewAuditEvent,
    ) -> StoreResult<roi::StoredDisclosure>;
    /// Marks a disclosure voided (never deletes it) with its audit event, and writes what the desk
    /// decided for its request (`released`) in the same transaction; `Conflict`, and nothing
    /// written, when it was voided meanwhile or the request moved past `expected_version`;
    /// `NotFound` when there is none.
    fn void_disclosure(
        &self,
        id: i64,
        void: roi::DisclosureVoid,
        released: Option<roi::VoidedRelease>,
        audit: NewAuditEvent,
    ) -> StoreResult<roi::StoredDisclosure>;
    fn add_accounting_suspension(
        &self,
        patient_id: i64,
        suspension: crate::domain::roi::accounting::Suspension,
        by: &str,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> StoreResult<roi::StoredSuspension>;
    /// A patient's suspensions, in the order they were logged.
    fn accounting_suspensions(&self, patient_id: i64) -> StoreResult<Vec<roi::StoredSuspension>>;
    fn record_accounting_delivery(&self, delivery: roi::AccountingDelivery, audit: NewAuditEvent) -> StoreResult<()>;
    /// A patient's accountings delivered, oldest first.
    fn accounting_deliveries(&self, patient_id: i64) -> StoreResult<Vec<roi::AccountingDelivery>>;
    /// Every version of every fee schedule, by code then version (a handful of rows; the desk picks
    /// the one in force on a day, `domain::roi::fees::in_force`).
    fn fee_schedules(&self) -> StoreResult<Vec<crate::domain::roi::fees::FeeSchedule>>;
    /// Saves a new version of a fee schedule, the next after the code's last, in force from
    /// `effective_from`, with its audit event (which the desk writes with the old and new values)
    /// in the same transaction. Old versions are kept unchanged: invoices name the one they used.
    fn save_fee_schedule(
        &self,
        code: &str,
        effective_from: NaiveDate,
        rates: &crate::domain::roi::fees::FeeRates,
        by: &str,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> StoreResult<crate::domain::roi::fees::FeeSchedule>;
    /// The counts the Director's view of release of information is computed from
    /// (`domain::roi::stats`), no patient named: requests received per day of the period; those
    /// first released in it (the day of their first disclosure not voided) by received and released
    /// day; those that stood open on `as_of` (received by then, and open now or first released after
    /// it) by due date; those received by the period's end that stand pended, by reason; invoices
    /// issued, payments taken and adjustments made per day of the period, in cents. Each part
    /// counts only the facility's requests when one is named. Read as one snapshot.
    fn roi_stats_facts(&self, query: &roi::RoiStatsQuery) -> StoreResult<crate::domain::roi::stats::StatsFacts>;
    /// Keeps a clerk's half-filled form of `kind`, replacing the one kept before. Drafts hold PHI,
    /// so they live in the store, not in a file.
    fn save_draft(&self, username: &str, kind: &str, body: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// The form kept, and when it was saved.
    fn draft(&self, username: &str, kind: &str) -> StoreResult<Option<(String, DateTime<Utc>)>>;
    fn discard_draft(&self, username: &str, kind: &str) -> StoreResult<()>;

    // ---- the file room (file_room.rs) --------------------------------------------------------

    /// Every location, by code.
    fn locations(&self) -> StoreResult<Vec<crate::domain::file_room::Location>>;
    /// The volume with this barcode (an index lookup: a scan's first step).
    fn volume_by_barcode(&self, barcode: &str) -> StoreResult<Option<file_room::VolumeRecord>>;
    /// A patient's volumes, by number.
    fn patient_volumes(&self, patient_id: i64) -> StoreResult<Vec<file_room::VolumeRecord>>;
    /// Writes a volume and its CREATE movement with the audit event.
    fn add_volume(&self, volume: file_room::NewChartVolume, audit: NewAuditEvent) -> StoreResult<i64>;
    /// Writes the moves and the request's outcome in one transaction: each volume only if still at
    /// its expected version (else `Conflict`, and nothing is written), each with its movement row
    /// and audit event.
    fn write_file_room(&self, write: file_room::FileRoomWrite) -> StoreResult<()>;
    /// Writes chart requests, open, with one audit event; their ids in order.
    fn add_chart_requests(
        &self,
        requests: Vec<file_room::NewChartRequest>,
        audit: NewAuditEvent,
    ) -> StoreResult<Vec<i64>>;
    fn chart_request(&self, id: i64) -> StoreResult<Option<file_room::ChartRequestRecord>>;
    /// A day's chart requests, every status, in terminal-digit order of the MRN.
    fn pull_list(&self, needed_on: NaiveDate) -> StoreResult<Vec<file_room::ChartRequestRecord>>;
    /// Volumes charged out with a due-back day before `today`, by borrower location then due day.
    fn overdue_volumes(&self, today: NaiveDate) -> StoreResult<Vec<file_room::VolumeRecord>>;
    /// Volumes flagged missing, by last known location (the volume's current place), each with
    /// when it came there: its last move before it was flagged.
    fn missing_volumes(&self) -> StoreResult<Vec<(file_room::VolumeRecord, DateTime<Utc>)>>;

    // ---- the change feed -------------------------------------------------------------------

    /// Blocks until something a screen shows changed after `since` — committed by this handle, by
    /// another handle on the same store, or by another program or host — or until `timeout` passes,
    /// and returns the stamp as it then stands: equal to `since` when nothing moved. Cheap while
    /// nothing changes. From `ChangeStamp::default()` it returns the current stamp at once.
    fn wait_for_change(&self, since: &ChangeStamp, timeout: std::time::Duration) -> StoreResult<ChangeStamp>;
}
