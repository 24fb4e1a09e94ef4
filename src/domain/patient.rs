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

/// Which date of a record a date is: each has its own reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordDate {
    Birth,
    Death,
    /// The start or end of an encounter: it may be tomorrow where the hospital is, when today is
    /// still today where the clock that reads it stands.
    Visit,
}

/// Whether a date of a record is one anyone can have: from 01/01/1900 (the desk's first day) to
/// today, or tomorrow for a visit. An import refuses the row that breaks it, naming the column, as
/// it refuses a death before a birth; a birth in 2999 or in the year +262142 would otherwise be
/// stored, shown as an age no one has, and be unsearchable.
pub fn check_record_date(kind: RecordDate, date: NaiveDate, today: NaiveDate) -> Result<(), String> {
    let (what, latest, latest_name) = match kind {
        RecordDate::Birth => ("a birth date", today, "today"),
        RecordDate::Death => ("a death date", today, "today"),
        RecordDate::Visit => ("a visit date", today.succ_opt().unwrap_or(today), "tomorrow"),
    };
    let earliest = super::dates::EARLIEST;
    if date < earliest {
        return Err(format!("{what} of {date} is before {earliest}"));
    }
    if date > latest {
        return Err(format!("{what} of {date} is after {latest_name} ({latest})"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_record_date_runs_from_1900_to_today_and_a_visit_to_tomorrow() {
        let today = d(2025, 3, 3);
        assert_eq!(check_record_date(RecordDate::Birth, d(1900, 1, 1), today), Ok(()));
        assert_eq!(check_record_date(RecordDate::Birth, today, today), Ok(()));
        assert_eq!(
            check_record_date(RecordDate::Birth, d(1800, 1, 1), today),
            Err("a birth date of 1800-01-01 is before 1900-01-01".into())
        );
        assert_eq!(
            check_record_date(RecordDate::Birth, d(2999, 1, 1), today),
            Err("a birth date of 2999-01-01 is after today (2025-03-03)".into())
        );
        assert_eq!(
            check_record_date(RecordDate::Birth, d(262_142, 1, 1), today),
            Err("a birth date of +262142-01-01 is after today (2025-03-03)".into())
        );
        assert!(check_record_date(RecordDate::Death, d(2025, 3, 4), today).is_err());
        assert_eq!(check_record_date(RecordDate::Visit, d(2025, 3, 4), today), Ok(()));
        assert_eq!(
            check_record_date(RecordDate::Visit, d(2025, 3, 5), today),
            Err("a visit date of 2025-03-05 is after tomorrow (2025-03-04)".into())
        );
        assert!(check_record_date(RecordDate::Visit, d(1899, 12, 31), today).is_err());
    }
}
