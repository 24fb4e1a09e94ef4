//! Synthea's CSV rows as chartroom records. Every Synthea layout so far (before v3.0, v3.0, and the
//! current one with MIDDLE, FIPS and INCOME) is read by header name; the columns below are the ones
//! a row cannot do without.

use super::Rejection;
use super::table::TableRow;
use crate::domain::chart::EncounterKind;
use crate::domain::names::PersonName;
use crate::domain::patient::{RecordDate, Sex, check_record_date};
use crate::domain::ssn::Ssn;
use chrono::{DateTime, NaiveDate, Utc};

pub const PATIENT_COLUMNS: &[&str] = &["Id", "BIRTHDATE", "FIRST", "LAST", "GENDER"];
pub const ENCOUNTER_COLUMNS: &[&str] = &["Id", "START", "PATIENT", "ENCOUNTERCLASS"];
pub const ORGANIZATION_COLUMNS: &[&str] = &["Id", "NAME"];
pub const PROVIDER_COLUMNS: &[&str] = &["Id", "NAME"];
/// The v3.0 layout names the day of a procedure START (with STOP); the others, DATE.
pub const PROCEDURE_COLUMNS: &[&str] = &["DATE|START", "PATIENT", "ENCOUNTER", "CODE"];

/// `organizations.csv`: a facility of the source, kept as the location of its encounters.
pub fn organization_from_row(row: &TableRow<'_>) -> Result<crate::store::imports::ImportedOrganization, Rejection> {
    let source_id = row.get("Id").to_string();
    let name = row.get("NAME");
    if source_id.is_empty() || name.is_empty() {
        return Err(row.reject(Some(if source_id.is_empty() { "Id" } else { "NAME" }), "required"));
    }
    Ok(crate::store::imports::ImportedOrganization { source_id, name: crate::domain::text::clean(name).into_owned() })
}

/// `providers.csv`: NAME is one "Given## Family##" string; the family name is its last word.
pub fn provider_from_row(row: &TableRow<'_>) -> Result<crate::store::imports::ImportedProvider, Rejection> {
    let source_id = row.get("Id").to_string();
    if source_id.is_empty() {
        return Err(row.reject(Some("Id"), "no provider Id"));
    }
    let name = row.get("NAME");
    if let Some(problem) = super::name_problem(name) {
        return Err(row.reject(Some("NAME"), problem));
    }
    let mut words: Vec<String> = name.split_whitespace().map(strip_numeric_suffix).collect();
    let family = words.pop().filter(|f| !f.is_empty()).ok_or_else(|| row.reject(Some("NAME"), "no name"))?;
    Ok(crate::store::imports::ImportedProvider {
        source_id,
        npi: None,
        family,
        given: words.join(" "),
        specialty: crate::domain::text::clean(row.get("SPECIALITY")).into_owned(),
    })
}

/// A patient as Synthea wrote them, names cleaned of Synthea's numeric suffixes.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheaPatient {
    pub source_id: String,
    pub name: PersonName,
    pub maiden: Option<String>,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub deceased_on: Option<NaiveDate>,
    /// Held only until it is reduced to its last four and keyed hash.
    pub ssn: Option<Ssn>,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SyntheaEncounter {
    pub source_id: String,
    pub patient_source_id: String,
    pub kind: EncounterKind,
    /// Synthea's own class (`inpatient`, `wellness`…), kept for the record.
    pub class: String,
    pub start: DateTime<Utc>,
    pub stop: Option<DateTime<Utc>>,
    pub provider_source_id: Option<String>,
    pub organization_source_id: Option<String>,
    pub description: String,
}

/// `Lesley194` → `Lesley`; `Peña909` → `Peña`. Synthea appends digits to every personal name.
pub fn strip_numeric_suffix(name: &str) -> String {
    name.trim().trim_end_matches(|c: char| c.is_ascii_digit()).to_string()
}

fn date(row: &TableRow<'_>, column: &str) -> Result<Option<NaiveDate>, Rejection> {
    let text = row.get(column);
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| row.reject(Some(column), format!("{text:?} is not a date (YYYY-MM-DD)")))
}

fn instant(row: &TableRow<'_>, column: &str) -> Result<Option<DateTime<Utc>>, Rejection> {
    let text = row.get(column);
    if text.is_empty() {
        return Ok(None);
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| row.reject(Some(column), format!("{text:?} is not an instant (2014-01-31T13:58:14Z)")))
}

fn name_part(row: &TableRow<'_>, column: &str) -> Result<String, Rejection> {
    let raw = row.get(column);
    if let Some(problem) = super::name_problem(raw) {
        return Err(row.reject(Some(column), problem));
    }
    Ok(strip_numeric_suffix(raw))
}

/// A row's date checked against the dates anyone can have (`today` is the import's, from the
/// desk's clock), refused with its column.
fn in_reach(
    row: &TableRow<'_>,
    column: &str,
    kind: RecordDate,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<(), Rejection> {
    check_record_date(kind, date, today).map_err(|reason| row.reject(Some(column), reason))
}

/// A patient row; `today` is the import's day, after which no one is born or dies.
pub fn patient_from_row(row: &TableRow<'_>, today: NaiveDate) -> Result<SyntheaPatient, Rejection> {
    let source_id = row.get("Id").to_string();
    if source_id.is_empty() {
        return Err(row.reject(Some("Id"), "no patient Id"));
    }
    let family = name_part(row, "LAST")?;
    if family.is_empty() {
        return Err(row.reject(Some("LAST"), "no family name"));
    }
    let given = name_part(row, "FIRST")?;
    let middle = name_part(row, "MIDDLE")?;
    let birth_date = date(row, "BIRTHDATE")?.ok_or_else(|| row.reject(Some("BIRTHDATE"), "no birth date"))?;
    in_reach(row, "BIRTHDATE", RecordDate::Birth, birth_date, today)?;
    let deceased_on = date(row, "DEATHDATE")?;
    if let Some(death) = deceased_on {
        in_reach(row, "DEATHDATE", RecordDate::Death, death, today)?;
        if death < birth_date {
            return Err(row.reject(Some("DEATHDATE"), "death before birth"));
        }
    }
    let sex = match row.get("GENDER") {
        "F" => Sex::Female,
        "M" => Sex::Male,
        "" => Sex::Unknown,
        other => return Err(row.reject(Some("GENDER"), format!("{other:?} is not F or M"))),
    };
    let ssn = match row.get("SSN") {
        "" => None,
        text => Some(Ssn::parse(text).ok_or_else(|| row.reject(Some("SSN"), "not nine digits"))?),
    };
    let maiden = Some(name_part(row, "MAIDEN")?).filter(|m| !m.is_empty());
    let address = [row.get("ADDRESS"), row.get("CITY"), row.get("STATE"), row.get("ZIP")]
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| crate::domain::text::clean(p).into_owned())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(SyntheaPatient {
        source_id,
        name: PersonName::new(&family, &given, &middle),
        maiden,
        sex,
        birth_date,
        deceased_on,
        ssn,
        address,
    })
}

/// Synthea's encounter classes as the HIM desk's encounter kinds.
pub fn encounter_kind(class: &str) -> Option<EncounterKind> {
    Some(match class {
        "inpatient" => EncounterKind::Inpatient,
        "emergency" | "urgentcare" => EncounterKind::Emergency,
        "ambulatory" | "outpatient" | "wellness" | "virtual" | "home" => EncounterKind::Outpatient,
        // A skilled-nursing or hospice stay is not an acute admission: no inpatient chart analysis.
        "snf" | "hospice" => EncounterKind::Observation,
        _ => return None,
    })
}

/// An encounter row; `today` is the import's day: a visit starts or ends by tomorrow.
pub fn encounter_from_row(row: &TableRow<'_>, today: NaiveDate) -> Result<SyntheaEncounter, Rejection> {
    let source_id = row.get("Id").to_string();
    if source_id.is_empty() {
        return Err(row.reject(Some("Id"), "no encounter Id"));
    }
    let patient_source_id = row.get("PATIENT").to_string();
    if patient_source_id.is_empty() {
        return Err(row.reject(Some("PATIENT"), "no patient"));
    }
    let class = row.get("ENCOUNTERCLASS").to_string();
    let kind = encounter_kind(&class)
        .ok_or_else(|| row.reject(Some("ENCOUNTERCLASS"), format!("unknown encounter class {class:?}")))?;
    let start = instant(row, "START")?.ok_or_else(|| row.reject(Some("START"), "no start"))?;
    in_reach(row, "START", RecordDate::Visit, start.date_naive(), today)?;
    let stop = instant(row, "STOP")?;
    if let Some(stop) = stop {
        in_reach(row, "STOP", RecordDate::Visit, stop.date_naive(), today)?;
        if stop < start {
            return Err(row.reject(Some("STOP"), "ends before it starts"));
        }
    }
    let optional = |column: &str| Some(row.get(column).to_string()).filter(|s| !s.is_empty());
    Ok(SyntheaEncounter {
        source_id,
        patient_source_id,
        kind,
        class,
        start,
        stop,
        provider_source_id: optional("PROVIDER"),
        organization_source_id: optional("ORGANIZATION"),
        description: crate::domain::text::clean(row.get("DESCRIPTION")).into_owned(),
    })
}

/// `procedures.csv`: a procedure of an encounter. The file gives procedures no id of their own;
/// the encounter, the instant and the code name one.
pub fn procedure_from_row(row: &TableRow<'_>) -> Result<crate::store::imports::ImportedProcedure, Rejection> {
    let encounter_source_id = row.get("ENCOUNTER").to_string();
    if encounter_source_id.is_empty() {
        return Err(row.reject(Some("ENCOUNTER"), "no encounter"));
    }
    let code = row.get("CODE").to_string();
    if code.is_empty() {
        return Err(row.reject(Some("CODE"), "no procedure code"));
    }
    let (date_column, _) = row.first_of(&["DATE", "START"]);
    let performed_at = instant(row, date_column)?.ok_or_else(|| row.reject(Some(date_column), "no date"))?;
    Ok(crate::store::imports::ImportedProcedure {
        encounter_source_id,
        performed_at,
        code,
        description: crate::domain::text::clean(row.get("DESCRIPTION")).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::table::Table;
    use std::path::PathBuf;

    fn shared(set: &str) -> Option<PathBuf> {
        crate::import::shared_data::shared_data(set)
    }

    fn read_all<T>(
        path: &std::path::Path,
        required: &[&str],
        map: impl Fn(&TableRow<'_>) -> Result<T, Rejection>,
    ) -> (Vec<T>, Vec<Rejection>) {
        let file = std::fs::File::open(path).unwrap();
        let mut table = Table::open(&path.display().to_string(), std::io::BufReader::new(file), required).unwrap();
        let (mut good, mut bad) = (Vec::new(), Vec::new());
        while let Some(row) = table.next_row() {
            match row.and_then(|r| map(&r)) {
                Ok(v) => good.push(v),
                Err(e) => bad.push(e),
            }
        }
        (good, bad)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
    }

    #[test]
    fn dates_no_one_can_have_are_refused_with_their_column() {
        let text = "Id,BIRTHDATE,DEATHDATE,FIRST,LAST,GENDER\n\
                    p-1,1800-01-01,,Ann1,Old2,F\n\
                    p-2,2999-01-01,,Ann1,Late2,F\n\
                    p-3,+262142-01-01,,Ann1,Far2,F\n\
                    p-4,1961-04-12,2999-01-01,Ann1,Gone2,F\n\
                    p-5,1961-04-12,2025-03-03,Ann1,Fine2,F\n";
        let mut table = Table::open("patients.csv", text.as_bytes(), PATIENT_COLUMNS).unwrap();
        let mut next = || table.next_row().unwrap().and_then(|r| patient_from_row(&r, today()));
        assert_eq!(
            next().unwrap_err().to_string(),
            "patients.csv:2: BIRTHDATE: a birth date of 1800-01-01 is before 1900-01-01"
        );
        assert_eq!(
            next().unwrap_err().to_string(),
            "patients.csv:3: BIRTHDATE: a birth date of 2999-01-01 is after today (2025-03-03)"
        );
        assert_eq!(next().unwrap_err().column.as_deref(), Some("BIRTHDATE"));
        assert_eq!(
            next().unwrap_err().to_string(),
            "patients.csv:5: DEATHDATE: a death date of 2999-01-01 is after today (2025-03-03)"
        );
        assert!(next().is_ok());

        let text = "Id,START,STOP,PATIENT,ENCOUNTERCLASS\n\
                    e-1,1899-12-31T10:00:00Z,,p-5,inpatient\n\
                    e-2,2025-03-01T10:00:00Z,2999-01-01T10:00:00Z,p-5,inpatient\n\
                    e-3,2025-03-04T10:00:00Z,,p-5,inpatient\n";
        let mut table = Table::open("encounters.csv", text.as_bytes(), ENCOUNTER_COLUMNS).unwrap();
        let mut next = || table.next_row().unwrap().and_then(|r| encounter_from_row(&r, today()));
        assert_eq!(next().unwrap_err().column.as_deref(), Some("START"));
        assert_eq!(
            next().unwrap_err().to_string(),
            "encounters.csv:3: STOP: a visit date of 2999-01-01 is after tomorrow (2025-03-04)"
        );
        assert!(next().is_ok(), "a visit may start tomorrow where the hospital is");
    }

    #[test]
    fn suffixes_go() {
        assert_eq!(strip_numeric_suffix("Lesley194"), "Lesley");
        assert_eq!(strip_numeric_suffix("Peña909"), "Peña");
        assert_eq!(strip_numeric_suffix("Smith"), "Smith");
    }

    #[test]
    fn the_main_set_parses_whole() {
        let Some(dir) = shared("synthea-csv") else { return };
        let (patients, bad) = read_all(&dir.join("patients.csv"), PATIENT_COLUMNS, |r| patient_from_row(r, today()));
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(patients.len(), 115);
        assert_eq!(patients.iter().filter(|p| p.deceased_on.is_some()).count(), 15);
        assert!(patients.iter().all(|p| !p.name.family.ends_with(|c: char| c.is_ascii_digit())));
        assert!(patients.iter().all(|p| p.ssn.is_some()));
        let (encounters, bad) =
            read_all(&dir.join("encounters.csv"), ENCOUNTER_COLUMNS, |r| encounter_from_row(r, today()));
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(encounters.len(), 4_402);
        assert_eq!(encounters.iter().filter(|e| e.kind == EncounterKind::Inpatient).count(), 67);
    }

    #[test]
    fn the_v3_set_parses_whole() {
        let Some(dir) = shared("synthea-csv-dbt-apache2") else { return };
        let (patients, bad) = read_all(&dir.join("patients.csv"), PATIENT_COLUMNS, |r| patient_from_row(r, today()));
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(patients.len(), 27);
        let (encounters, bad) =
            read_all(&dir.join("encounters.csv"), ENCOUNTER_COLUMNS, |r| encounter_from_row(r, today()));
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(encounters.len(), 604);
        assert_eq!(encounters.iter().filter(|e| e.kind == EncounterKind::Inpatient).count(), 11);
    }

    #[test]
    fn the_current_layout_with_middle_fips_and_income() {
        // Synthea's current patients.csv (data-mapping.md): MIDDLE after FIRST, FIPS after COUNTY,
        // INCOME last, unknown ZIPs written 00000.
        let text = "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,MIDDLE,LAST,SUFFIX,MAIDEN,MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,FIPS,ZIP,LAT,LON,HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE,INCOME\n\
                    p-1,1961-04-12,,999-45-4821,,,Mr.,John194,Allen12,Smith429,,,M,white,nonhispanic,M,Austin TX US,1 Main St,Austin,Texas,Travis County,,00000,30.2,-97.7,1000.0,10.0,54000\n\
                    p-2,1990-13-01,,,,,,Ann1,,Lee2,,,,,,F,,,,,,,,,,,,\n\
                    p-3,1990-01-01,,,,,,Eve\u{1b}[2J,,Dark3,,,,,,F,,,,,,,,,,,,\n";
        let mut table = Table::open("current.csv", text.as_bytes(), PATIENT_COLUMNS).unwrap();
        let first = table.next_row().unwrap().and_then(|r| patient_from_row(&r, today())).unwrap();
        assert_eq!(first.name.display(), "SMITH, JOHN ALLEN");
        assert_eq!(first.ssn.as_ref().map(Ssn::last4), Some("4821".into()));
        let bad_date = table.next_row().unwrap().and_then(|r| patient_from_row(&r, today())).unwrap_err();
        assert_eq!(bad_date.to_string(), "current.csv:3: BIRTHDATE: \"1990-13-01\" is not a date (YYYY-MM-DD)");
        let hostile = table.next_row().unwrap().and_then(|r| patient_from_row(&r, today())).unwrap_err();
        assert_eq!((hostile.line, hostile.column.as_deref()), (4, Some("FIRST")));
    }
}
