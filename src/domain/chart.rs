//! The chart: encounters, documents, deficiencies, releases and the paper folder.

use super::patient::PatientRow;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A facility of the department: its state and time zone decide clocks and fees in later rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facility {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub state: String,
    pub kind: FacilityKind,
    pub timezone: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    Hospital,
    Practice,
}

impl FacilityKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Hospital => "hospital",
            Self::Practice => "practice",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "hospital" => Some(Self::Hospital),
            "practice" => Some(Self::Practice),
            _ => None,
        }
    }
}

/// A facility to be created: validated here so the CLI, importers and the demo agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFacility {
    pub code: String,
    pub name: String,
    pub state: String,
    pub kind: FacilityKind,
    pub timezone: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FacilityError {
    #[error("a facility code is 2 to 8 letters or digits, like RGH")]
    BadCode,
    #[error("a state is its two-letter postal code, like TX")]
    BadState,
    #[error("unknown time zone {0:?}; use an IANA name like America/Chicago")]
    BadTimezone(String),
    #[error("a facility needs a name")]
    NoName,
    #[error("{0}")]
    ControlCharacters(String),
}

impl NewFacility {
    pub fn validate(
        code: &str,
        name: &str,
        state: &str,
        kind: FacilityKind,
        timezone: &str,
    ) -> Result<Self, FacilityError> {
        let code = code.trim().to_ascii_uppercase();
        if !(2..=8).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(FacilityError::BadCode);
        }
        let state = state.trim().to_ascii_uppercase();
        if state.len() != 2 || !state.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(FacilityError::BadState);
        }
        if timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(FacilityError::BadTimezone(timezone.chars().take(60).collect()));
        }
        if let Some(problem) = super::text::control_character_problem("a facility name", name) {
            return Err(FacilityError::ControlCharacters(problem));
        }
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(FacilityError::NoName);
        }
        Ok(Self { code, name, state, kind, timezone: timezone.to_string() })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EncounterKind {
    Inpatient,
    Observation,
    DaySurgery,
    Outpatient,
    Emergency,
}

impl EncounterKind {
    pub const ALL: [Self; 5] =
        [Self::Inpatient, Self::Observation, Self::DaySurgery, Self::Outpatient, Self::Emergency];

    pub fn code(self) -> &'static str {
        match self {
            Self::Inpatient => "INPATIENT",
            Self::Observation => "OBSERVATION",
            Self::DaySurgery => "DAY_SURGERY",
            Self::Outpatient => "OUTPATIENT",
            Self::Emergency => "ED",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Inpatient => "Inpatient",
            Self::Observation => "Observation",
            Self::DaySurgery => "Day surgery",
            Self::Outpatient => "Outpatient",
            Self::Emergency => "ED",
        }
    }

    /// The account-number letter: `A25-000781` is an admission.
    pub fn account_letter(self) -> char {
        match self {
            Self::Inpatient => 'A',
            Self::Observation => 'B',
            Self::DaySurgery => 'S',
            Self::Outpatient => 'O',
            Self::Emergency => 'E',
        }
    }
}

/// The TIU document ladder (VistA file 8925.6), as far as chart completion cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DocumentStatus {
    Undictated,
    Untranscribed,
    Unsigned,
    Uncosigned,
    Completed,
    Amended,
    Retracted,
}

impl DocumentStatus {
    pub const ALL: [Self; 7] = [
        Self::Undictated,
        Self::Untranscribed,
        Self::Unsigned,
        Self::Uncosigned,
        Self::Completed,
        Self::Amended,
        Self::Retracted,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Undictated => "UNDICTATED",
            Self::Untranscribed => "UNTRANSCRIBED",
            Self::Unsigned => "UNSIGNED",
            Self::Uncosigned => "UNCOSIGNED",
            Self::Completed => "COMPLETED",
            Self::Amended => "AMENDED",
            Self::Retracted => "RETRACTED",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn is_complete(self) -> bool {
        matches!(self, Self::Completed | Self::Amended)
    }
}

/// A deficiency's step on the ladder (VistA 393.2), with the "what's missing" label derived from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeficiencyStatus {
    Open,
    Dictated,
    Transcribed,
    Signed,
    Reviewed,
    Completed,
    Rejected,
    Voided,
}

impl DeficiencyStatus {
    pub const ALL: [Self; 8] = [
        Self::Open,
        Self::Dictated,
        Self::Transcribed,
        Self::Signed,
        Self::Reviewed,
        Self::Completed,
        Self::Rejected,
        Self::Voided,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Dictated => "DICTATED",
            Self::Transcribed => "TRANSCRIBED",
            Self::Signed => "SIGNED",
            Self::Reviewed => "REVIEWED",
            Self::Completed => "COMPLETED",
            Self::Rejected => "REJECTED",
            Self::Voided => "VOIDED",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Still owed by the physician.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Open | Self::Dictated | Self::Transcribed | Self::Signed)
    }

    /// Whether an item may move from this step to `to`: forward along the ladder one or more steps,
    /// or out of it (completed, rejected, voided) from any open step.
    pub fn can_become(self, to: Self) -> bool {
        let rank = |s: Self| match s {
            Self::Open => Some(0),
            Self::Dictated => Some(1),
            Self::Transcribed => Some(2),
            Self::Signed => Some(3),
            Self::Reviewed => Some(4),
            _ => None,
        };
        if !self.is_open() {
            return false;
        }
        match (rank(self), rank(to)) {
            (Some(from), Some(next)) => next > from,
            _ => matches!(to, Self::Completed | Self::Rejected | Self::Voided),
        }
    }

    /// What the chart is missing at this step (VistA 393.2 labels).
    pub fn missing(self) -> &'static str {
        match self {
            Self::Open => "not dictated",
            Self::Dictated => "not transcribed",
            Self::Transcribed => "not signed",
            Self::Signed => "not reviewed",
            Self::Reviewed | Self::Completed => "completed",
            Self::Rejected => "rejected",
            Self::Voided => "voided",
        }
    }
}

/// A deficiency type of the catalog (domain.md §2.10; VistA 393.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeficiencyType {
    pub code: String,
    pub name: String,
    pub abbreviation: String,
    pub category: String,
    /// `DOCUMENT` or `CHART`.
    pub level: String,
    pub responsible: String,
    pub days_to_dictate: Option<i64>,
    pub days_to_sign: Option<i64>,
    pub days_to_review: Option<i64>,
    /// Encounter kinds for which the nightly run seeds it (`INPATIENT`…); empty for none.
    pub standard_for: Vec<String>,
    /// The document type whose absence or incompleteness this deficiency tracks.
    pub document_type: Option<String>,
}

/// The seed catalog, from domain.md §2.10. The store holds the live copy; a director edits it there.
pub fn seed_deficiency_types() -> Vec<DeficiencyType> {
    let t = |code: &str,
             name: &str,
             abbr: &str,
             category: &str,
             level: &str,
             responsible: &str,
             days: (Option<i64>, Option<i64>, Option<i64>),
             standard: &[&str],
             doc: Option<&str>| DeficiencyType {
        code: code.into(),
        name: name.into(),
        abbreviation: abbr.into(),
        category: category.into(),
        level: level.into(),
        responsible: responsible.into(),
        days_to_dictate: days.0,
        days_to_sign: days.1,
        days_to_review: days.2,
        standard_for: standard.iter().map(|s| s.to_string()).collect(),
        document_type: doc.map(str::to_string),
    };
    vec![
        t(
            "HP",
            "History & physical missing",
            "HP",
            "HISTORY",
            "CHART",
            "ATTENDING",
            (Some(1), Some(1), None),
            &["INPATIENT"],
            Some("HP"),
        ),
        t(
            "HPU",
            "H&P update missing",
            "HPU",
            "HISTORY",
            "CHART",
            "ATTENDING",
            (Some(1), Some(1), None),
            &[],
            Some("HP_UPDATE"),
        ),
        t(
            "DS-D",
            "Discharge summary not dictated",
            "DSD",
            "SUMMARY",
            "CHART",
            "ATTENDING",
            (Some(14), Some(30), None),
            &["INPATIENT"],
            Some("DS"),
        ),
        t(
            "DS-S",
            "Discharge summary unsigned",
            "DSS",
            "SUMMARY",
            "DOCUMENT",
            "ATTENDING",
            (None, Some(30), None),
            &[],
            Some("DS"),
        ),
        t(
            "OP-D",
            "Operative report not dictated",
            "OPD",
            "OPERATIVE",
            "CHART",
            "SURGEON",
            (Some(1), Some(14), None),
            &[],
            Some("OP_NOTE"),
        ),
        t(
            "OP-S",
            "Operative report unsigned",
            "OPS",
            "OPERATIVE",
            "DOCUMENT",
            "SURGEON",
            (None, Some(14), None),
            &["INPATIENT"],
            Some("OP_NOTE"),
        ),
        t(
            "PN",
            "Progress note missing or unsigned",
            "PN",
            "PROGRESS",
            "DOCUMENT",
            "ATTENDING",
            (None, Some(14), None),
            &[],
            Some("PROGRESS"),
        ),
        t(
            "VO",
            "Verbal order unauthenticated",
            "VO",
            "ORDERS",
            "DOCUMENT",
            "ORDERING",
            (None, Some(2), None),
            &["INPATIENT"],
            Some("VERBAL_ORDER"),
        ),
        t(
            "CON",
            "Consult report missing or unsigned",
            "CON",
            "REPORTS",
            "DOCUMENT",
            "AUTHOR",
            (Some(7), Some(14), None),
            &[],
            Some("CONSULT"),
        ),
        t(
            "CONS",
            "Informed consent missing or unsigned",
            "CNS",
            "AUTHORIZATIONS",
            "DOCUMENT",
            "AUTHOR",
            (None, Some(1), None),
            &[],
            Some("CONSENT"),
        ),
        t(
            "ANES",
            "Anesthesia evaluation missing",
            "ANE",
            "ANESTHESIA",
            "DOCUMENT",
            "AUTHOR",
            (None, Some(2), None),
            &[],
            Some("ANES_POST"),
        ),
        t(
            "SIG",
            "Missing signature, date or time",
            "SIG",
            "OTHER",
            "DOCUMENT",
            "AUTHOR",
            (None, Some(14), None),
            &[],
            None,
        ),
        t(
            "TRN",
            "Transcription needs edit",
            "TRN",
            "REPORTS",
            "DOCUMENT",
            "DICTATING",
            (None, Some(7), None),
            &[],
            None,
        ),
        t(
            "PATH",
            "Pathology report unsigned",
            "PTH",
            "TISSUE",
            "DOCUMENT",
            "AUTHOR",
            (None, Some(14), None),
            &[],
            Some("PATH"),
        ),
        t(
            "DC-ORD",
            "Discharge order missing",
            "DCO",
            "ORDERS",
            "CHART",
            "ATTENDING",
            (Some(1), Some(1), None),
            &[],
            Some("DC_ORDER"),
        ),
        t(
            "DTH",
            "Death certificate or autopsy authorization",
            "DTH",
            "AUTHORIZATIONS",
            "CHART",
            "ATTENDING",
            (Some(3), Some(3), None),
            &[],
            None,
        ),
    ]
}

impl DeficiencyType {
    /// When the item's current step is due, from the type's days (VistA 393.3): dictation from the
    /// event; signature and review from the event too, as a queue reads them at a glance.
    pub fn step_due(&self, status: DeficiencyStatus, event_on: NaiveDate) -> Option<NaiveDate> {
        let days = match status {
            DeficiencyStatus::Open => self.days_to_dictate.or(self.days_to_sign),
            DeficiencyStatus::Dictated | DeficiencyStatus::Transcribed => self.days_to_sign,
            DeficiencyStatus::Signed => self.days_to_review.or(self.days_to_sign),
            _ => None,
        }?;
        Some(event_on + chrono::Duration::days(days))
    }
}

/// An NPI as a clerk reads it: a real one (ten digits) as itself; anything else, such as the key
/// a provider imported without an NPI is filed under (`synthea:<uuid>`), as "no NPI", since that
/// key is the store's, not a number anyone could look up or type.
pub fn npi_label(npi: &str) -> String {
    let npi = npi.trim();
    if npi.len() == 10 && npi.bytes().all(|b| b.is_ascii_digit()) { npi.to_string() } else { "no NPI".to_string() }
}

/// A provider on the medical staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    pub id: i64,
    pub npi: String,
    pub family: String,
    pub given: String,
    pub credentials: String,
    pub specialty: String,
    pub is_resident: bool,
    pub supervisor_id: Option<i64>,
}

impl Provider {
    pub fn display(&self) -> String {
        super::names::display_name(&self.family, &self.given, "")
    }
}

/// One encounter (visit/account) as the chart shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncounterView {
    pub id: i64,
    pub account: String,
    pub kind: EncounterKind,
    pub facility_code: String,
    pub service: String,
    pub admit_at: DateTime<Utc>,
    pub discharge_at: Option<DateTime<Utc>>,
    pub attending: Option<String>,
    pub open_deficiencies: i64,
    /// The chart-completion status; None when the encounter needs no analysis.
    pub completion: Option<super::completion::ChartStatus>,
}

impl EncounterView {
    /// `INCOMPLETE (3 open deficiencies)`, `complete`, or `—` when the encounter needs no analysis.
    pub fn completion_label(&self) -> String {
        use super::completion::ChartStatus;
        let open = self.open_deficiencies;
        match self.completion {
            Some(ChartStatus::Complete) => "complete".into(),
            Some(status) if open > 0 => {
                format!("{status} ({open} open {})", if open == 1 { "deficiency" } else { "deficiencies" })
            }
            Some(status) => status.to_string(),
            None => "—".into(),
        }
    }

    /// The chart screen's column: `3 open`, `complete`, `awaiting analysis`, or `—`.
    pub fn completion_short(&self) -> String {
        use super::completion::ChartStatus;
        match (self.completion, self.open_deficiencies) {
            (Some(ChartStatus::Complete), _) => "complete".into(),
            (Some(_), open) if open > 0 => format!("{open} open"),
            (Some(status), _) => status.code().to_ascii_lowercase().replace('_', " "),
            (None, _) => "—".into(),
        }
    }
}

/// A procedure of one of the patient's encounters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureView {
    pub encounter_id: i64,
    pub account: String,
    pub performed_at: DateTime<Utc>,
    /// SNOMED CT.
    pub code: String,
    pub description: String,
    /// Whether it is an operation, which wants an operative report.
    pub operation: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentView {
    pub id: i64,
    pub encounter_id: i64,
    pub account: String,
    pub doc_type: String,
    pub title: String,
    pub status: DocumentStatus,
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeficiencyView {
    pub id: i64,
    /// The version the chart was read at: work on the item from the chart is refused if it changed since.
    #[serde(skip)]
    pub version: i64,
    pub encounter_id: i64,
    pub account: String,
    pub type_code: String,
    pub type_name: String,
    pub provider: String,
    pub status: DeficiencyStatus,
    pub event_on: NaiveDate,
    pub delinquent_on: NaiveDate,
    /// The pauses of its aging, each with why (AS-11: the detail shows the interval).
    #[serde(default)]
    pub pauses: Vec<PauseView>,
}

/// A pause of an item's aging, as the chart shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PauseView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The days it moved the item's dates (AS-11 counts 02/20 to 02/25 as 5).
    pub days: i64,
    pub reason: String,
}

impl PauseView {
    /// `paused 02/20/2025 to 02/25/2025 (5 days): chart in coding`.
    pub fn describe(&self) -> String {
        format!(
            "paused {} to {} ({} {}): {}",
            super::dates::us_date(self.from),
            super::dates::us_date(self.to),
            self.days,
            if self.days == 1 { "day" } else { "days" },
            super::text::clean(&self.reason)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseView {
    pub id: i64,
    pub disclosed_on: NaiveDate,
    pub recipient: String,
    pub purpose: String,
    pub pages: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartVolumeView {
    pub id: i64,
    pub volume_no: i64,
    pub record_type: String,
    pub barcode: String,
    pub status: String,
    pub home_location: String,
    pub current_location: String,
    pub borrower: Option<String>,
    pub due_back_on: Option<NaiveDate>,
    pub movements: Vec<MovementView>,
}

impl ChartVolumeView {
    /// Where the folder is: `Charged to ROI DESK (jdoe) since 03/03/2025, due 03/06/2025` (AS-05).
    pub fn location_label(&self) -> String {
        use super::dates::us_date;
        match self.status.as_str() {
            "CHARGED_OUT" => {
                let since = self
                    .movements
                    .iter()
                    .rev()
                    .find(|m| m.movement_type == "CHARGE_OUT")
                    .map(|m| format!(" since {}", us_date(m.at.date_naive())))
                    .unwrap_or_default();
                let borrower = self.borrower.as_deref().map(|b| format!(" ({b})")).unwrap_or_default();
                let due = self.due_back_on.map(|d| format!(", due {}", us_date(d))).unwrap_or_default();
                format!("Charged to {}{borrower}{since}{due}", self.current_location)
            }
            "IN_FILE" => format!("In file, {}", self.current_location),
            other => format!("{other} ({})", self.current_location),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovementView {
    pub at: DateTime<Utc>,
    pub movement_type: String,
    pub from_location: Option<String>,
    pub to_location: Option<String>,
    pub by: Option<String>,
}

/// Everything the chart screen shows for one patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chart {
    pub patient: PatientRow,
    pub address: String,
    pub phone: String,
    pub aliases: Vec<String>,
    pub encounters: Vec<EncounterView>,
    /// Newest first, like the encounters.
    pub procedures: Vec<ProcedureView>,
    pub documents: Vec<DocumentView>,
    pub deficiencies: Vec<DeficiencyView>,
    pub releases: Vec<ReleaseView>,
    pub volumes: Vec<ChartVolumeView>,
}

impl Chart {
    pub fn open_deficiency_count(&self) -> usize {
        self.deficiencies.iter().filter(|d| d.status.is_open()).count()
    }

    /// How many deficiencies are open and how many were closed, and how.
    pub fn deficiency_tally(&self) -> DeficiencyTally {
        let mut tally = DeficiencyTally::default();
        for d in &self.deficiencies {
            match d.status {
                s if s.is_open() => tally.open += 1,
                DeficiencyStatus::Reviewed | DeficiencyStatus::Completed => tally.completed += 1,
                DeficiencyStatus::Rejected => tally.rejected += 1,
                _ => tally.voided += 1,
            }
        }
        tally
    }

    /// The open deficiencies first, the closed ones after them: a completed item listed among the
    /// owed ones read as still owed. Each group keeps the order the store gave it.
    pub fn order_deficiencies(&mut self) {
        self.deficiencies.sort_by_key(|d| !d.status.is_open());
    }
}

/// The chart's deficiencies counted by what they are, so that a title never counts one thing over a
/// list of another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeficiencyTally {
    pub open: usize,
    pub completed: usize,
    pub rejected: usize,
    pub voided: usize,
}

impl DeficiencyTally {
    /// `2 open, 1 completed`; the closed kinds only when there are some.
    pub fn label(&self) -> String {
        let mut parts = vec![format!("{} open", self.open)];
        for (n, what) in [(self.completed, "completed"), (self.rejected, "rejected"), (self.voided, "voided")] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        parts.join(", ")
    }

    /// `2 open`, for where there is no room for the rest.
    pub fn open_label(&self) -> String {
        format!("{} open", self.open)
    }

    pub fn closed(&self) -> usize {
        self.completed + self.rejected + self.voided
    }
}

impl DeficiencyView {
    /// The date the item becomes delinquent, only while it is owed: a closed item has none.
    pub fn owed_delinquent_on(&self) -> Option<NaiveDate> {
        self.status.is_open().then_some(self.delinquent_on)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_npi_is_shown_only_when_it_is_one() {
        assert_eq!(npi_label("1000000001"), "1000000001");
        assert_eq!(npi_label("synthea:c5d5e0a4-1b2c-4d3e-8f90-123456789abc"), "no NPI");
        assert_eq!(npi_label("100000000"), "no NPI");
        assert_eq!(npi_label("10000000011"), "no NPI");
        assert_eq!(npi_label(""), "no NPI");
    }

    fn chart_with(deficiencies: Vec<DeficiencyView>) -> Chart {
        use crate::domain::patient::{MatchKind, PatientRow, Sensitivity, Sex};
        let patient = PatientRow {
            patient_id: 1,
            mrn: crate::domain::mrn::Mrn::parse("204511").unwrap(),
            family: "GARCIA".into(),
            given: "MARIA".into(),
            middle: String::new(),
            birth_date: NaiveDate::from_ymd_opt(1988, 9, 30).unwrap(),
            sex: Sex::Female,
            ssn_last4: None,
            last_visit: None,
            deceased_on: None,
            sensitivity: Sensitivity::None,
            match_kind: MatchKind::Exact,
            dob_swapped: false,
            encounter_id: None,
        };
        Chart {
            patient,
            address: String::new(),
            phone: String::new(),
            aliases: Vec::new(),
            encounters: Vec::new(),
            procedures: Vec::new(),
            documents: Vec::new(),
            deficiencies,
            releases: Vec::new(),
            volumes: Vec::new(),
        }
    }

    fn deficiency(id: i64, status: DeficiencyStatus) -> DeficiencyView {
        let on = NaiveDate::from_ymd_opt(2025, 2, 10).unwrap();
        DeficiencyView {
            id,
            version: 1,
            encounter_id: 1,
            account: "A25-000781".into(),
            type_code: "DS-D".into(),
            type_name: "Discharge summary not dictated".into(),
            provider: "PATEL, ALICE".into(),
            status,
            event_on: on,
            delinquent_on: on + chrono::Duration::days(30),
            pauses: Vec::new(),
        }
    }

    #[test]
    fn deficiency_counts_say_what_they_count_and_closed_items_come_last_with_no_date() {
        use DeficiencyStatus::*;
        let mut deficiencies = vec![deficiency(1, Completed), deficiency(2, Open), deficiency(3, Voided)];
        deficiencies.push(deficiency(4, Signed));
        let mut chart = chart_with(deficiencies.clone());
        assert_eq!(chart.deficiency_tally().label(), "2 open, 1 completed, 1 voided");
        assert_eq!(chart.deficiency_tally().open_label(), "2 open");
        chart.order_deficiencies();
        assert_eq!(chart.deficiencies.iter().map(|d| d.id).collect::<Vec<_>>(), [2, 4, 1, 3]);
        assert_eq!(deficiencies[0].owed_delinquent_on(), None, "a completed item has no delinquency date");
        assert_eq!(deficiencies[1].owed_delinquent_on(), Some(NaiveDate::from_ymd_opt(2025, 3, 12).unwrap()));
        assert_eq!(DeficiencyTally { open: 0, ..Default::default() }.label(), "0 open");
    }

    #[test]
    fn facility_validation_names_the_problem() {
        let ok = NewFacility::validate("rgh", "Riverbend General", "tx", FacilityKind::Hospital, "America/Chicago");
        assert_eq!(ok.map(|f| (f.code, f.state)), Ok(("RGH".into(), "TX".into())));
        assert_eq!(
            NewFacility::validate("R", "x", "TX", FacilityKind::Hospital, "America/Chicago"),
            Err(FacilityError::BadCode)
        );
        assert_eq!(
            NewFacility::validate("RGH", "x", "Texas", FacilityKind::Hospital, "America/Chicago"),
            Err(FacilityError::BadState)
        );
        assert!(matches!(
            NewFacility::validate("RGH", "x", "TX", FacilityKind::Hospital, "Mars/Olympus"),
            Err(FacilityError::BadTimezone(_))
        ));
    }

    #[test]
    fn ladder_labels() {
        assert_eq!(DeficiencyStatus::Open.missing(), "not dictated");
        assert_eq!(DeficiencyStatus::Transcribed.missing(), "not signed");
        assert!(DeficiencyStatus::Signed.is_open());
        assert!(!DeficiencyStatus::Completed.is_open());
        for s in DeficiencyStatus::ALL {
            assert_eq!(DeficiencyStatus::from_code(s.code()), Some(s));
        }
    }

    #[test]
    fn the_ladder_moves_forward_or_out() {
        use DeficiencyStatus::*;
        assert!(Open.can_become(Dictated));
        assert!(Open.can_become(Signed), "a jump forward is allowed");
        assert!(Transcribed.can_become(Completed));
        assert!(Signed.can_become(Voided));
        assert!(!Signed.can_become(Dictated), "never backwards");
        assert!(!Completed.can_become(Open));
        assert!(!Voided.can_become(Completed));
        let ds = seed_deficiency_types().into_iter().find(|t| t.code == "DS-D").unwrap();
        let discharged = NaiveDate::from_ymd_opt(2025, 2, 10).unwrap();
        assert_eq!(ds.step_due(Open, discharged), NaiveDate::from_ymd_opt(2025, 2, 24));
        assert_eq!(ds.step_due(Transcribed, discharged), NaiveDate::from_ymd_opt(2025, 3, 12));
    }

    #[test]
    fn seed_catalog_has_unique_codes() {
        let types = seed_deficiency_types();
        let mut codes: Vec<_> = types.iter().map(|t| t.code.clone()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), types.len());
        assert!(types.iter().all(|t| t.abbreviation.len() <= 3));
    }
}
