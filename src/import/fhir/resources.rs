//! Each FHIR resource the desk keeps, mapped to what the store takes: a resource that cannot be
//! mapped says why, and the bundle reports it as `entry[N]`.

use super::base64::base64_decode;
use super::{NPI_SYSTEM, SSN_SYSTEM, SYNTHEA_SYSTEM, id_of, identifier, identifier_reference, reference_key, str_at};
use crate::domain::chart::{DocumentStatus, EncounterKind};
use crate::domain::names::PersonName;
use crate::domain::patient::{RecordDate, Sex, check_record_date};
use crate::domain::roi::packet::SensitiveCategory;
use crate::domain::ssn::Ssn;
use crate::import::synthea::{SyntheaEncounter, SyntheaPatient, strip_numeric_suffix};
use crate::store::imports::{
    ImportedDocument, ImportedLocation, ImportedOrganization, ImportedPractitionerRole, ImportedProcedure,
    ImportedProvider,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

fn safe_name_part(raw: &str) -> Result<String, String> {
    if let Some(problem) = crate::import::name_problem(raw) {
        return Err(problem);
    }
    Ok(strip_numeric_suffix(raw))
}

/// The official (or first) human name as (family, given, middle).
fn human_name(resource: &Value) -> Result<(String, String, String), String> {
    let names = resource.get("name").and_then(Value::as_array).ok_or("no name")?;
    let name = names.iter().find(|n| str_at(n, "use") == Some("official")).or(names.first()).ok_or("no name")?;
    let family = safe_name_part(str_at(name, "family").unwrap_or_default())?;
    let given: Vec<&str> = name
        .get("given")
        .and_then(Value::as_array)
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let first = safe_name_part(given.first().copied().unwrap_or_default())?;
    let middle = safe_name_part(&given.get(1..).unwrap_or_default().join(" "))?;
    Ok((family, first, middle))
}

fn instant(raw: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    match raw {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| format!("{text:?} is not a date and time")),
    }
}

fn date(raw: Option<&str>) -> Result<Option<NaiveDate>, String> {
    match raw {
        None => Ok(None),
        // deceasedDateTime is a dateTime; its day is what the chart holds.
        Some(text) => NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("{text:?} is not a date")),
    }
}

pub(super) fn organization(resource: &Value) -> Result<ImportedOrganization, String> {
    let source_id = identifier(resource, SYNTHEA_SYSTEM).map_or_else(|| id_of(resource), Ok)?;
    let name = crate::domain::text::clean(str_at(resource, "name").unwrap_or_default()).into_owned();
    Ok(ImportedOrganization { source_id, name })
}

pub(super) fn location(resource: &Value) -> Result<ImportedLocation, String> {
    let source_id = identifier(resource, SYNTHEA_SYSTEM).map_or_else(|| id_of(resource), Ok)?;
    let name = crate::domain::text::clean(str_at(resource, "name").unwrap_or_default()).into_owned();
    Ok(ImportedLocation {
        source_id,
        name,
        organization_source_id: identifier_reference(resource.get("managingOrganization")),
    })
}

pub(super) fn practitioner_role(resource: &Value) -> Result<ImportedPractitionerRole, String> {
    let practitioner_npi = identifier_reference(resource.get("practitioner")).ok_or("no practitioner")?;
    let concept = resource.get("specialty").and_then(Value::as_array).and_then(|s| s.first());
    let specialty = concept
        .and_then(|c| str_at(c, "text"))
        .or_else(|| concept?.get("coding")?.as_array()?.first().and_then(|c| str_at(c, "display")))
        .unwrap_or_default();
    Ok(ImportedPractitionerRole { practitioner_npi, specialty: crate::domain::text::clean(specialty).into_owned() })
}

/// A procedure with its SNOMED code and the start of its performance; one not done (status other
/// than completed or in-progress) is not a procedure of the chart.
pub(super) fn procedure(resource: &Value) -> Result<Option<ImportedProcedure>, String> {
    if !matches!(str_at(resource, "status"), None | Some("completed" | "in-progress")) {
        return Ok(None);
    }
    let encounter_source_id = reference_key(resource.get("encounter")).ok_or("a procedure without an encounter")?;
    let code = resource.get("code").ok_or("no code")?;
    let coding = code.get("coding").and_then(Value::as_array).and_then(|c| c.first());
    let code_value = coding.and_then(|c| str_at(c, "code")).ok_or("no code")?;
    let description = str_at(code, "text").or_else(|| coding.and_then(|c| str_at(c, "display"))).unwrap_or_default();
    let performed = str_at(resource, "performedDateTime")
        .or_else(|| resource.get("performedPeriod").and_then(|p| str_at(p, "start")));
    let performed_at = instant(performed)?.ok_or("no performed date")?;
    Ok(Some(ImportedProcedure {
        encounter_source_id,
        performed_at,
        code: crate::domain::text::clean(code_value).into_owned(),
        description: crate::domain::text::clean(description).into_owned(),
    }))
}

pub(super) fn practitioner(resource: &Value) -> Result<ImportedProvider, String> {
    let npi = identifier(resource, NPI_SYSTEM).ok_or("a practitioner without an NPI")?;
    let (family, given, _) = human_name(resource)?;
    if family.is_empty() {
        return Err("no family name".into());
    }
    // Keyed by Synthea's id, which its CSV export shares; encounters and notes find it by NPI.
    Ok(ImportedProvider { source_id: id_of(resource)?, npi: Some(npi), family, given, specialty: String::new() })
}

/// A patient; `today` is the import's day, after which no one is born or dies.
pub(super) fn patient(resource: &Value, today: NaiveDate) -> Result<SyntheaPatient, String> {
    let source_id = id_of(resource)?;
    let (family, given, middle) = human_name(resource)?;
    if family.is_empty() {
        return Err("no family name".into());
    }
    let birth_date = date(str_at(resource, "birthDate"))?.ok_or("no birth date")?;
    check_record_date(RecordDate::Birth, birth_date, today)?;
    let deceased_on = date(str_at(resource, "deceasedDateTime"))?;
    if let Some(death) = deceased_on {
        check_record_date(RecordDate::Death, death, today)?;
        if death < birth_date {
            return Err("death before birth".into());
        }
    }
    let sex = match str_at(resource, "gender") {
        Some("female") => Sex::Female,
        Some("male") => Sex::Male,
        _ => Sex::Unknown,
    };
    let ssn = match identifier(resource, SSN_SYSTEM) {
        None => None,
        Some(text) => Some(Ssn::parse(&text).ok_or("the SSN is not nine digits")?),
    };
    let address = resource
        .get("address")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .map(|a| {
            let lines = a
                .get("line")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "));
            [lines.as_deref(), str_at(a, "city"), str_at(a, "state"), str_at(a, "postalCode")]
                .into_iter()
                .flatten()
                .filter(|p| !p.is_empty())
                .map(|p| crate::domain::text::clean(p).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    Ok(SyntheaPatient {
        source_id,
        name: PersonName::new(&family, &given, &middle),
        maiden: None,
        sex,
        birth_date,
        deceased_on,
        ssn,
        address,
    })
}

/// FHIR's v3 ActCode encounter classes as the desk's kinds; `None` for classes HIM does not track.
pub fn encounter_kind(class: &str) -> Option<EncounterKind> {
    Some(match class {
        "IMP" | "ACUTE" | "NONAC" => EncounterKind::Inpatient,
        "EMER" => EncounterKind::Emergency,
        "AMB" | "HH" | "VR" | "FLD" => EncounterKind::Outpatient,
        "OBSENC" | "SS" | "PRENC" => EncounterKind::Observation,
        _ => return None,
    })
}

/// An encounter; `today` is the import's day: a visit starts or ends by tomorrow.
pub(super) fn encounter(
    resource: &Value,
    today: NaiveDate,
) -> Result<Option<(SyntheaEncounter, Option<String>)>, String> {
    let source_id = id_of(resource)?;
    let patient_source_id = reference_key(resource.get("subject")).ok_or("no subject")?;
    let class = resource.get("class").and_then(|c| str_at(c, "code")).ok_or("no class")?;
    let kind = encounter_kind(class).ok_or_else(|| format!("unknown encounter class {class:?}"))?;
    let period = resource.get("period").ok_or("no period")?;
    let start = instant(str_at(period, "start"))?.ok_or("no start")?;
    check_record_date(RecordDate::Visit, start.date_naive(), today)?;
    let stop = instant(str_at(period, "end"))?;
    if let Some(stop) = stop {
        check_record_date(RecordDate::Visit, stop.date_naive(), today)?;
        if stop < start {
            return Err("ends before it starts".into());
        }
    }
    let attending = resource
        .get("participant")
        .and_then(Value::as_array)
        .and_then(|p| p.iter().find_map(|p| reference_key(p.get("individual"))));
    let description = resource
        .get("type")
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .and_then(|t| str_at(t, "text"))
        .map(|t| crate::domain::text::clean(t).into_owned())
        .unwrap_or_default();
    let service = match kind {
        EncounterKind::Inpatient => "INPATIENT",
        EncounterKind::Emergency => "EMERGENCY",
        EncounterKind::Observation => "OBSERVATION",
        _ => "AMBULATORY",
    };
    Ok(Some((
        SyntheaEncounter {
            source_id,
            patient_source_id,
            kind,
            class: service.to_ascii_lowercase(),
            start,
            stop,
            provider_source_id: None,
            organization_source_id: reference_key(resource.get("serviceProvider")).or_else(|| {
                let places = resource.get("location")?.as_array()?;
                places.iter().find_map(|l| reference_key(l.get("location")))
            }),
            description,
        },
        attending,
    )))
}

/// LOINC note codes as the desk's document types.
fn document_type(loinc: &str) -> &'static str {
    match loinc {
        "34117-2" => "HP",
        "18842-5" => "DS",
        "11506-3" => "PROGRESS",
        "11504-8" => "OP_NOTE",
        "34111-5" => "ED_NOTE",
        _ => "NOTE",
    }
}

/// Where a note stands, from FHIR's `docStatus` (composition status) and the reference's own
/// `status`: a note that says nothing is complete; only a `preliminary` one awaits a signature.
pub(super) fn document_status(resource: &Value) -> Result<DocumentStatus, String> {
    if str_at(resource, "status") == Some("entered-in-error") {
        return Ok(DocumentStatus::Retracted);
    }
    Ok(match str_at(resource, "docStatus") {
        None | Some("final") => DocumentStatus::Completed,
        Some("preliminary") => DocumentStatus::Unsigned,
        Some("amended") => DocumentStatus::Amended,
        Some("entered-in-error") => DocumentStatus::Retracted,
        Some(other) => return Err(format!("unknown docStatus {other:?}")),
    })
}

pub(super) fn document(resource: &Value) -> Result<Option<ImportedDocument>, String> {
    let source_id = id_of(resource)?;
    let status = document_status(resource)?;
    let encounter_source_id = resource
        .get("context")
        .and_then(|c| c.get("encounter"))
        .and_then(Value::as_array)
        .and_then(|e| reference_key(e.first()))
        .ok_or("a note without an encounter")?;
    let coding = resource.get("type").and_then(|t| t.get("coding")).and_then(Value::as_array).and_then(|c| c.first());
    let doc_type = document_type(coding.and_then(|c| str_at(c, "code")).unwrap_or_default()).to_string();
    let title =
        crate::domain::text::clean(coding.and_then(|c| str_at(c, "display")).unwrap_or("Clinical note")).into_owned();
    let created_at = instant(str_at(resource, "date"))?.ok_or("no date")?;
    let author_npi = resource.get("author").and_then(Value::as_array).and_then(|a| reference_key(a.first()));
    let data = resource
        .get("content")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find_map(|c| c.get("attachment").and_then(|a| str_at(a, "data"))));
    let text = match data {
        Some(encoded) => {
            let max = crate::import::MAX_NOTE_BYTES;
            // Checked before decoding: base64 is four characters for three bytes.
            let size = encoded.len() / 4 * 3;
            if size > max + 3 {
                let mb = size as f64 / 1_048_576.0;
                return Err(format!("the note's text is {mb:.1} MB (at most {} MB)", max / 1_048_576));
            }
            let bytes = base64_decode(encoded).ok_or("the note's text is not base64")?;
            if bytes.len() > max {
                return Err(format!("the note's text is {} bytes (at most {max})", bytes.len()));
            }
            let text = String::from_utf8(bytes).map_err(|_| "the note's text is not UTF-8")?;
            crate::domain::text::clean_multiline(&text)
        }
        None => String::new(),
    };
    let sensitive_categories = security_categories(resource);
    Ok(Some(ImportedDocument {
        source_id,
        encounter_source_id,
        author_npi,
        doc_type,
        title,
        created_at,
        status,
        text,
        sensitive_categories,
    }))
}

/// The sensitive categories a note's security labels name (`securityLabel` and `meta.security`,
/// HL7 v3 ActCode sensitivity codes): ETH (substance use, 42 CFR Part 2) and its SUD/ETHUD
/// variants, PSYTHPN (psychotherapy note), HIV, GDIS/GENETIC (genetic), PSY/BH/MH (psychiatry and
/// behavioural health: PSY is psychiatric information, not a psychotherapy note) and
/// SDV/REPRODUCTIVE/SEX. A label the source does not set is never guessed.
pub(super) fn security_categories(resource: &Value) -> Vec<SensitiveCategory> {
    let labels =
        resource.get("securityLabel").and_then(Value::as_array).into_iter().flatten().chain(
            resource.get("meta").and_then(|m| m.get("security")).and_then(Value::as_array).into_iter().flatten(),
        );
    let mut found: Vec<SensitiveCategory> = labels
        .flat_map(|label| {
            // A label is a Coding (meta.security) or a CodeableConcept of codings (securityLabel).
            let codings: Vec<&Value> = match label.get("coding").and_then(Value::as_array) {
                Some(codings) => codings.iter().collect(),
                None => vec![label],
            };
            codings.into_iter().filter_map(|c| str_at(c, "code"))
        })
        .filter_map(|code| match code.to_ascii_uppercase().as_str() {
            "ETH" | "ETHUD" | "SUD" | "OPIOIDUD" | "ALCUD" => Some(SensitiveCategory::SudPart2),
            "PSYTHPN" => Some(SensitiveCategory::Psychotherapy),
            "HIV" => Some(SensitiveCategory::Hiv),
            "GDIS" | "GENETIC" => Some(SensitiveCategory::Genetic),
            "PSY" | "BH" | "MH" | "BHPOL" => Some(SensitiveCategory::Behavioral),
            "SDV" | "REPRODUCTIVE" | "SEX" | "REPHPOL" => Some(SensitiveCategory::Reproductive),
            _ => None,
        })
        .collect();
    found.sort();
    found.dedup();
    found
}
