//! Records arriving in bulk — from the demo generator now, from importers later. Rows refer to each
//! other by their natural keys (MRN, account number, NPI, facility and location codes), so a batch
//! can refer to rows written by an earlier batch.

use crate::domain::chart::{DeficiencyStatus, DocumentStatus, EncounterKind};
use crate::domain::patient::NewPatient;
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, Default)]
pub struct RecordBatch {
    pub providers: Vec<NewProvider>,
    pub locations: Vec<NewLocation>,
    pub patients: Vec<NewPatient>,
    pub encounters: Vec<NewEncounter>,
    pub procedures: Vec<NewProcedure>,
    pub documents: Vec<NewDocument>,
    pub completions: Vec<NewChartCompletion>,
    pub deficiencies: Vec<NewDeficiency>,
    pub volumes: Vec<NewVolume>,
    pub movements: Vec<NewMovement>,
    pub disclosures: Vec<NewDisclosure>,
    /// The last account sequence number used of each prefix (`A25-`), for the store to keep: the
    /// maker of the accounts says how far it numbered, so that later visits number on from there.
    pub account_sequences: Vec<(String, u64)>,
}

impl RecordBatch {
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
            && self.locations.is_empty()
            && self.patients.is_empty()
            && self.encounters.is_empty()
            && self.procedures.is_empty()
            && self.documents.is_empty()
            && self.completions.is_empty()
            && self.deficiencies.is_empty()
            && self.volumes.is_empty()
            && self.movements.is_empty()
            && self.disclosures.is_empty()
            && self.account_sequences.is_empty()
    }
}

/// How many rows of each kind a batch wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchCounts {
    pub providers: usize,
    pub locations: usize,
    pub patients: usize,
    pub encounters: usize,
    pub documents: usize,
    pub deficiencies: usize,
    pub volumes: usize,
    pub movements: usize,
    pub disclosures: usize,
}

impl std::ops::AddAssign for BatchCounts {
    fn add_assign(&mut self, o: Self) {
        self.providers += o.providers;
        self.locations += o.locations;
        self.patients += o.patients;
        self.encounters += o.encounters;
        self.documents += o.documents;
        self.deficiencies += o.deficiencies;
        self.volumes += o.volumes;
        self.movements += o.movements;
        self.disclosures += o.disclosures;
    }
}

#[derive(Debug, Clone)]
pub struct NewProvider {
    pub npi: String,
    pub family: String,
    pub given: String,
    pub credentials: String,
    pub specialty: String,
    pub service: String,
    /// The supervising physician's NPI, for residents.
    pub supervisor_npi: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewLocation {
    pub code: String,
    pub name: String,
    /// `FILE_ROOM`, `HIM_COMPLETION`, `CODING`, `ROI`, `CLINIC`, `WARD`, `OFFSITE`…
    pub kind: String,
    /// How long a charge-out to it lasts by default (0: no due-back day).
    pub default_loan_days: i64,
}

#[derive(Debug, Clone)]
pub struct NewEncounter {
    pub patient_mrn: String,
    pub account: String,
    pub kind: EncounterKind,
    pub facility_code: String,
    pub service: String,
    pub admit_at: DateTime<Utc>,
    pub discharge_at: Option<DateTime<Utc>>,
    pub attending_npi: Option<String>,
}

/// A procedure performed during an encounter (SNOMED CT).
#[derive(Debug, Clone)]
pub struct NewProcedure {
    pub account: String,
    pub performed_at: DateTime<Utc>,
    pub code: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct NewDocument {
    pub account: String,
    pub doc_type: String,
    pub title: String,
    pub author_npi: Option<String>,
    pub status: DocumentStatus,
    pub created_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub text: Option<String>,
    /// How many pages it prints to (a release counts and fees them).
    pub page_count: i64,
    /// What makes it sensitive (domain.md §4.2); a release judges each (`domain::roi::packet`).
    pub sensitive_categories: Vec<crate::domain::roi::packet::SensitiveCategory>,
    /// Whether it is in the designated record set (164.501): the right of access reaches no other.
    pub in_designated_record_set: bool,
}

/// The chart-completion record of an encounter that needs analysis after discharge.
#[derive(Debug, Clone)]
pub struct NewChartCompletion {
    pub account: String,
    pub status: crate::domain::completion::ChartStatus,
    pub received_on: NaiveDate,
    pub completed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct NewDeficiency {
    pub account: String,
    pub type_code: String,
    pub provider_npi: String,
    pub status: DeficiencyStatus,
    pub event_on: NaiveDate,
    pub delinquent_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    /// The highest notice level already sent for it (its maker's history), so that the next
    /// nightly run sends only what is newly owed.
    pub notice_level: Option<crate::domain::deficiency::NoticeLevel>,
}

#[derive(Debug, Clone)]
pub struct NewVolume {
    pub patient_mrn: String,
    pub volume_no: i64,
    pub record_type: String,
    pub barcode: String,
    pub home_location: String,
    pub current_location: String,
    /// `IN_FILE`, `CHARGED_OUT`, `MISSING`…
    pub status: String,
    pub borrower: Option<String>,
    pub due_back_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct NewMovement {
    pub barcode: String,
    pub movement_type: String,
    pub from_location: Option<String>,
    pub to_location: Option<String>,
    pub by_username: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewDisclosure {
    pub patient_mrn: String,
    pub disclosed_at: DateTime<Utc>,
    pub recipient: String,
    /// Where it went and what went: the accounting names both (164.528(b)(2)).
    pub recipient_address: String,
    pub description: String,
    pub purpose: String,
    pub legal_basis: String,
    pub accountable: bool,
    pub pages: i64,
    pub by_username: String,
}
