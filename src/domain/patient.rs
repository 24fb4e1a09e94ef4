//! Patients, as the master patient index knows them, and the rows a search returns.

use super::mrn::Mrn;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    #[serde(rename = "F")]
    Female,
    #[serde(rename = "M")]
    Male,
    #[serde(rename = "U")]
    Unknown,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Self::Female => "F",
            Self::Male => "M",
            Self::Unknown => "U",
        }
    }

    pub fn from_code(code: &str) -> Self {
        match code.trim().to_ascii_uppercase().as_str() {
            "F" | "FEMALE" => Self::Female,
            "M" | "MALE" => Self::Male,
            _ => Self::Unknown,
        }
    }
}

/// Who may see a chart without a second thought (VistA `DGSEC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Sensitivity {
    None,
    Employee,
    Vip,
    Restricted,
}

impl Sensitivity {
    pub fn code(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::Employee => "EMPLOYEE",
            Self::Vip => "VIP",
            Self::Restricted => "RESTRICTED",
        }
    }

    pub fn from_code(code: &str) -> Self {
        match code {
            "EMPLOYEE" => Self::Employee,
            "VIP" => Self::Vip,
            "RESTRICTED" => Self::Restricted,
            _ => Self::None,
        }
    }

    /// Shown as `R` in result rows: anything but NONE asks for care.
    pub fn is_restricted(self) -> bool {
        self != Self::None
    }
}

/// How a row came to match, best first. Ranking sorts on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The key matched exactly (MRN, account, SSN, last 4, the whole family name).
    Exact,
    /// The family name starts with what was typed.
    Prefix,
    /// The name sounds alike (Double Metaphone).
    Phonetic,
}

/// One row of a patient search: everything a clerk needs to tell two patients apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientRow {
    pub patient_id: i64,
    pub mrn: Mrn,
    pub family: String,
    pub given: String,
    pub middle: String,
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub ssn_last4: Option<String>,
    pub last_visit: Option<NaiveDate>,
    pub deceased_on: Option<NaiveDate>,
    pub sensitivity: Sensitivity,
    pub match_kind: MatchKind,
    /// The birth date matched only one keying slip away (`~DOB`).
    pub dob_swapped: bool,
    /// Set when the search came by account number: the encounter to open.
    pub encounter_id: Option<i64>,
}

impl PatientRow {
    pub fn display_name(&self) -> String {
        super::names::display_name(&self.family, &self.given, &self.middle)
    }

    /// The flags column: `†` deceased, `R` restricted, `~` phonetic, `~DOB` one-swap birth date.
    pub fn flags(&self) -> Vec<&'static str> {
        let mut flags = Vec::new();
        if self.deceased_on.is_some() {
            flags.push("†");
        }
        if self.sensitivity.is_restricted() {
            flags.push("R");
        }
        if self.match_kind == MatchKind::Phonetic {
            flags.push("~");
        }
        if self.dob_swapped {
            flags.push("~DOB");
        }
        flags
    }
}

/// A patient to be written to the store (by the demo, an import, registration).
#[derive(Debug, Clone, PartialEq)]
pub struct NewPatient {
    pub mrn: Mrn,
    pub name: super::names::PersonName,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub ssn_last4: Option<String>,
    pub ssn_hash: Option<String>,
    pub deceased_on: Option<NaiveDate>,
    pub sensitivity: Sensitivity,
    pub address: String,
    pub phone: String,
    /// The name's search keys. Computed once by whoever builds the record ([`NameKeys::of`]), so a
    /// bulk load can reuse the keys of a common surname instead of recomputing them per row.
    pub keys: NameKeys,
    pub aliases: Vec<super::names::PersonName>,
    /// Identifiers from the system a record came from (`synthea`, uuid).
    pub source_ids: Vec<(String, String)>,
}

/// The search keys of a person's name (see [`super::names`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameKeys {
    pub family_key: String,
    pub given_key: String,
    pub family_phonetic: String,
    pub given_phonetic: String,
}

impl NameKeys {
    pub fn of(name: &super::names::PersonName) -> Self {
        Self {
            family_key: name.family_key(),
            given_key: name.given_key(),
            family_phonetic: name.family_phonetic(),
            given_phonetic: name.given_phonetic(),
        }
    }
}
