//! Records from other systems (Synthea, FHIR), keyed by their identifiers there so that the same
//! record arriving again is found, not duplicated.

use crate::domain::chart::EncounterKind;
use crate::domain::names::PersonName;
use crate::domain::patient::{NameKeys, Sex};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// The records an import finds again by source identifier, for checking a reference before writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRecord {
    Patient,
    Encounter,
}

#[derive(Debug, Clone, Default)]
pub struct ImportBatch {
    /// The identifier system: `synthea`.
    pub system: String,
    /// Which of the source's exports (`csv`, `fhir`): the same visit arrives under a different id
    /// in each, and is joined across them by patient, kind and minute of admission.
    pub export: String,
    pub facility_code: String,
    /// Inpatient charts discharged before this day arrive already complete.
    pub open_since: Option<NaiveDate>,
    pub organizations: Vec<ImportedOrganization>,
    pub locations: Vec<ImportedLocation>,
    pub providers: Vec<ImportedProvider>,
    pub practitioner_roles: Vec<ImportedPractitionerRole>,
    pub patients: Vec<ImportedPatient>,
    pub encounters: Vec<ImportedEncounter>,
    pub procedures: Vec<ImportedProcedure>,
    pub documents: Vec<ImportedDocument>,
    /// The batch's audit event, written in the same transaction as its records: a killed import
    /// leaves no record that no event accounts for. Its instant stamps the rows. None only while
    /// the desk builds the batch (a dry run writes nothing): the store refuses a batch without it.
    pub audit: Option<crate::domain::audit::NewAuditEvent>,
}

#[derive(Debug, Clone)]
pub struct ImportedOrganization {
    pub source_id: String,
    pub name: String,
}

/// A place of care (FHIR Location). Synthea's repeats its managing organization, so it joins the
/// organization's location rather than making a second one; a place without a known organization
/// becomes a location of its own.
#[derive(Debug, Clone)]
pub struct ImportedLocation {
    pub source_id: String,
    pub name: String,
    pub organization_source_id: Option<String>,
}

/// What a practitioner does where (FHIR PractitionerRole): its specialty fills in the one a
/// practitioner arrived without (FHIR's Practitioner carries none; the CSV's SPECIALITY wins).
#[derive(Debug, Clone)]
pub struct ImportedPractitionerRole {
    pub practitioner_npi: String,
    pub specialty: String,
}

/// A procedure of an encounter (SNOMED CT code). Procedures have no id in Synthea's CSV: the
/// encounter, the instant and the code name one, in either export.
#[derive(Debug, Clone)]
pub struct ImportedProcedure {
    pub encounter_source_id: String,
    pub performed_at: DateTime<Utc>,
    pub code: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct ImportedProvider {
    pub source_id: String,
    /// The NPI when the source carries one (FHIR); Synthea's CSV does not.
    pub npi: Option<String>,
    pub family: String,
    pub given: String,
    pub specialty: String,
}

#[derive(Debug, Clone)]
pub struct ImportedPatient {
    pub source_id: String,
    pub name: PersonName,
    pub keys: NameKeys,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub ssn_last4: Option<String>,
    pub ssn_hash: Option<String>,
    pub deceased_on: Option<NaiveDate>,
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct ImportedEncounter {
    pub source_id: String,
    pub patient_source_id: String,
    pub provider_source_id: Option<String>,
    /// The attending by NPI, when the source refers to providers that way (FHIR).
    pub provider_npi: Option<String>,
    pub organization_source_id: Option<String>,
    pub kind: EncounterKind,
    pub admit_at: DateTime<Utc>,
    pub discharge_at: Option<DateTime<Utc>>,
    pub service: String,
    /// The desk knows no encounter has this source id yet (an import into an empty store, the id's
    /// first row in the export), so the store need not look for one: while such an import writes,
    /// source ids are not indexed by their value.
    pub new_to_store: bool,
}

/// A note from another system, with its text: an imported document is complete unless the source
/// says otherwise (an importer never invents an unsigned one).
#[derive(Debug, Clone)]
pub struct ImportedDocument {
    pub source_id: String,
    pub encounter_source_id: String,
    pub author_npi: Option<String>,
    pub doc_type: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
    /// Completed unless the source says the note awaits authentication (FHIR `docStatus`
    /// preliminary), was amended, or was entered in error.
    pub status: crate::domain::chart::DocumentStatus,
    pub text: String,
    /// The sensitive categories its security labels name (FHIR `securityLabel`, `meta.security`).
    pub sensitive_categories: Vec<crate::domain::roi::packet::SensitiveCategory>,
}

/// What an import did with the records of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCounts {
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub rejected: usize,
}

impl std::ops::AddAssign for KindCounts {
    fn add_assign(&mut self, o: Self) {
        self.read += o.read;
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
        self.rejected += o.rejected;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub organizations: KindCounts,
    pub locations: KindCounts,
    pub providers: KindCounts,
    pub practitioner_roles: KindCounts,
    pub patients: KindCounts,
    pub encounters: KindCounts,
    pub procedures: KindCounts,
    pub documents: KindCounts,
}

impl ImportCounts {
    /// Every kind with its name, in the order an import applies them.
    pub fn by_kind(&self) -> [(&'static str, KindCounts); 8] {
        [
            ("organizations", self.organizations),
            ("locations", self.locations),
            ("providers", self.providers),
            ("practitioner roles", self.practitioner_roles),
            ("patients", self.patients),
            ("encounters", self.encounters),
            ("procedures", self.procedures),
            ("documents", self.documents),
        ]
    }
}

impl std::ops::AddAssign for ImportCounts {
    fn add_assign(&mut self, o: Self) {
        self.organizations += o.organizations;
        self.locations += o.locations;
        self.providers += o.providers;
        self.practitioner_roles += o.practitioner_roles;
        self.patients += o.patients;
        self.encounters += o.encounters;
        self.procedures += o.procedures;
        self.documents += o.documents;
    }
}
