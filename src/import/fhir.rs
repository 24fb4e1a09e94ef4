//! Synthea's FHIR R4 transaction bundles: one per patient, plus the shared `hospitalInformation*`
//! and `practitionerInformation*` bundles. A bundle refers inside itself by `urn:uuid:` and outside
//! itself by conditional reference (`Practitioner?identifier=…us-npi|NPI`,
//! `Organization?identifier=…synthea|UUID`); both are resolved here to the keys the store knows.
//!
//! Identifiers are Synthea's own UUIDs under the `synthea` system, the same ones its CSV export
//! uses, so a population imported from CSV and then from FHIR is one population.

use super::Rejection;
use super::synthea::{SyntheaEncounter, SyntheaPatient, strip_numeric_suffix};
use crate::domain::chart::{DocumentStatus, EncounterKind};
use crate::domain::names::PersonName;
use crate::domain::patient::Sex;
use crate::domain::ssn::Ssn;
use crate::store::imports::{
    ImportedDocument, ImportedLocation, ImportedOrganization, ImportedPractitionerRole, ImportedProcedure,
    ImportedProvider,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";
const SSN_SYSTEM: &str = "http://hl7.org/fhir/sid/us-ssn";
const SYNTHEA_SYSTEM: &str = "https://github.com/synthetichealth/synthea";

/// What one bundle holds, mapped; its bad resources are in `rejections`.
#[derive(Debug, Default)]
pub struct FhirBundle {
    pub organizations: Vec<ImportedOrganization>,
    pub locations: Vec<ImportedLocation>,
    pub providers: Vec<ImportedProvider>,
    pub practitioner_roles: Vec<ImportedPractitionerRole>,
    pub patients: Vec<SyntheaPatient>,
    /// Encounters with their attending's NPI (FHIR names providers by NPI, not by source key).
    pub encounters: Vec<(SyntheaEncounter, Option<String>)>,
    pub procedures: Vec<ImportedProcedure>,
    pub documents: Vec<ImportedDocument>,
    pub rejections: Vec<Rejection>,
    /// Where each role, procedure and note stood in the bundle, for rejecting them later when
    /// what they refer to is found missing.
    positions: Positions,
}

#[derive(Debug, Default)]
struct Positions {
    practitioner_roles: Vec<usize>,
    procedures: Vec<usize>,
    documents: Vec<usize>,
}

impl FhirBundle {
    /// Drops the roles whose practitioner, and the procedures and notes whose encounter, is neither
    /// in this bundle (accepted) nor `known` elsewhere, each with a rejection naming what is missing.
    /// Synthea writes a role beside its practitioner and a note beside its encounter; a reference
    /// that leads nowhere is reported, not guessed.
    pub fn drop_orphans(&mut self, file: &str, known_encounter: &mut dyn FnMut(&str) -> bool) {
        let npis: std::collections::HashSet<String> = self.providers.iter().filter_map(|p| p.npi.clone()).collect();
        let encounters: std::collections::HashSet<String> =
            self.encounters.iter().map(|(e, _)| e.source_id.clone()).collect();
        let mut found = |id: &str| encounters.contains(id) || known_encounter(id);
        let reject = |index: usize, reason: String| Rejection {
            file: file.to_string(),
            line: index as u64,
            column: Some(format!("entry[{index}]")),
            reason,
        };
        let mut rejections = Vec::new();
        keep_where(&mut self.practitioner_roles, &self.positions.practitioner_roles, |r, at| {
            let ok = npis.contains(&r.practitioner_npi);
            if !ok {
                rejections.push(reject(
                    at,
                    format!("PractitionerRole: its practitioner (NPI {}) is not in the bundle", r.practitioner_npi),
                ));
            }
            ok
        });
        keep_where(&mut self.procedures, &self.positions.procedures, |p, at| {
            let ok = found(&p.encounter_source_id);
            if !ok {
                rejections.push(reject(at, format!("Procedure: its encounter {} is unknown", p.encounter_source_id)));
            }
            ok
        });
        keep_where(&mut self.documents, &self.positions.documents, |d, at| {
            let ok = found(&d.encounter_source_id);
            if !ok {
                rejections
                    .push(reject(at, format!("DocumentReference: its encounter {} is unknown", d.encounter_source_id)));
            }
            ok
        });
        self.positions = Positions::default();
        self.rejections.extend(rejections);
    }
}

/// Keeps the items `keep` accepts, told each item's position in the bundle.
fn keep_where<T>(items: &mut Vec<T>, positions: &[usize], mut keep: impl FnMut(&T, usize) -> bool) {
    let mut index = 0;
    items.retain(|item| {
        let at = positions.get(index).copied().unwrap_or_default();
        index += 1;
        keep(item, at)
    });
}

/// Parses one bundle. A file that is not a FHIR bundle is refused whole; a bad resource inside a
/// good bundle is refused alone, with its position (`entry[N]`) in place of a line.
pub fn parse_bundle(file: &str, text: &str) -> Result<FhirBundle, Rejection> {
    let whole = |reason: String| Rejection { file: file.to_string(), line: 0, column: None, reason };
    let root: Value = serde_json::from_str(text).map_err(|e| Rejection {
        file: file.to_string(),
        line: e.line() as u64,
        column: None,
        reason: format!("not JSON: {e}"),
    })?;
    if root.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
        return Err(whole("not a FHIR Bundle".into()));
    }
    let entries = root.get("entry").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut bundle = FhirBundle::default();
    for (index, entry) in entries.iter().enumerate() {
        let reject = |reason: String| Rejection {
            file: file.to_string(),
            line: index as u64,
            column: Some(format!("entry[{index}]")),
            reason,
        };
        let Some(resource) = entry.get("resource") else { continue };
        let kind = resource.get("resourceType").and_then(Value::as_str);
        let outcome = match kind {
            Some("Organization") => organization(resource).map(|o| bundle.organizations.push(o)),
            Some("Location") => location(resource).map(|l| bundle.locations.push(l)),
            Some("Practitioner") => practitioner(resource).map(|p| bundle.providers.push(p)),
            Some("PractitionerRole") => practitioner_role(resource).map(|r| {
                bundle.practitioner_roles.push(r);
                bundle.positions.practitioner_roles.push(index);
            }),
            Some("Procedure") => procedure(resource).map(|p| {
                if let Some(p) = p {
                    bundle.procedures.push(p);
                    bundle.positions.procedures.push(index);
                }
            }),
            Some("Patient") => patient(resource).map(|p| bundle.patients.push(p)),
            Some("Encounter") => encounter(resource).map(|e| {
                if let Some(e) = e {
                    bundle.encounters.push(e);
                }
            }),
            Some("DocumentReference") => document(resource).map(|d| {
                if let Some(d) = d {
                    bundle.documents.push(d);
                    bundle.positions.documents.push(index);
                }
            }),
            // Everything else (observations, claims, …) is not the HIM desk's to hold.
            _ => Ok(()),
        };
        if let Err(reason) = outcome {
            bundle.rejections.push(reject(format!("{}: {reason}", kind.unwrap_or("resource"))));
        }
    }
    Ok(bundle)
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn id_of(resource: &Value) -> Result<String, String> {
    str_at(resource, "id").map(str::to_string).ok_or_else(|| "no id".to_string())
}

/// The value of the identifier of `system`.
fn identifier(resource: &Value, system: &str) -> Option<String> {
    resource
        .get("identifier")?
        .as_array()?
        .iter()
        .find_map(|i| (str_at(i, "system") == Some(system)).then(|| str_at(i, "value").map(str::to_string)).flatten())
}

/// The key a reference points at: the UUID of `urn:uuid:X`, the value after `|` of a conditional
/// reference, or the id of a relative (`Patient/X`) or absolute one.
fn reference_key(reference: Option<&Value>) -> Option<String> {
    let text = reference?.get("reference")?.as_str()?;
    let key = if let Some(uuid) = text.strip_prefix("urn:uuid:") {
        uuid
    } else if let Some((_, value)) = text.split_once('|') {
        value
    } else {
        // `Patient/X`, `https://host/fhir/Patient/X`, or `Patient/X/_history/2`.
        let path = text.split("/_history/").next().unwrap_or(text);
        path.rsplit_once('/').map_or("", |(_, id)| id)
    };
    Some(key.to_string()).filter(|s| !s.is_empty())
}

fn safe_name_part(raw: &str) -> Result<String, String> {
    if raw.chars().any(crate::domain::text::is_unsafe_char) {
        return Err("control characters in a name".into());
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

fn organization(resource: &Value) -> Result<ImportedOrganization, String> {
    let source_id = identifier(resource, SYNTHEA_SYSTEM).map_or_else(|| id_of(resource), Ok)?;
    let name = crate::domain::text::clean(str_at(resource, "name").unwrap_or_default()).into_owned();
    Ok(ImportedOrganization { source_id, name })
}

fn location(resource: &Value) -> Result<ImportedLocation, String> {
    let source_id = identifier(resource, SYNTHEA_SYSTEM).map_or_else(|| id_of(resource), Ok)?;
    let name = crate::domain::text::clean(str_at(resource, "name").unwrap_or_default()).into_owned();
    Ok(ImportedLocation {
        source_id,
        name,
        organization_source_id: identifier_reference(resource.get("managingOrganization")),
    })
}

/// A reference by identifier (`{"identifier": {"system", "value"}}`), as Synthea's roles make them.
fn identifier_reference(reference: Option<&Value>) -> Option<String> {
    reference_key(reference).or_else(|| str_at(reference?.get("identifier")?, "value").map(str::to_string))
}

fn practitioner_role(resource: &Value) -> Result<ImportedPractitionerRole, String> {
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
fn procedure(resource: &Value) -> Result<Option<ImportedProcedure>, String> {
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

fn practitioner(resource: &Value) -> Result<ImportedProvider, String> {
    let npi = identifier(resource, NPI_SYSTEM).ok_or("a practitioner without an NPI")?;
    let (family, given, _) = human_name(resource)?;
    if family.is_empty() {
        return Err("no family name".into());
    }
    // Keyed by Synthea's id, which its CSV export shares; encounters and notes find it by NPI.
    Ok(ImportedProvider { source_id: id_of(resource)?, npi: Some(npi), family, given, specialty: String::new() })
}

fn patient(resource: &Value) -> Result<SyntheaPatient, String> {
    let source_id = id_of(resource)?;
    let (family, given, middle) = human_name(resource)?;
    if family.is_empty() {
        return Err("no family name".into());
    }
    let birth_date = date(str_at(resource, "birthDate"))?.ok_or("no birth date")?;
    let deceased_on = date(str_at(resource, "deceasedDateTime"))?;
    if deceased_on.is_some_and(|d| d < birth_date) {
        return Err("death before birth".into());
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

fn encounter(resource: &Value) -> Result<Option<(SyntheaEncounter, Option<String>)>, String> {
    let source_id = id_of(resource)?;
    let patient_source_id = reference_key(resource.get("subject")).ok_or("no subject")?;
    let class = resource.get("class").and_then(|c| str_at(c, "code")).ok_or("no class")?;
    let kind = encounter_kind(class).ok_or_else(|| format!("unknown encounter class {class:?}"))?;
    let period = resource.get("period").ok_or("no period")?;
    let start = instant(str_at(period, "start"))?.ok_or("no start")?;
    let stop = instant(str_at(period, "end"))?;
    if stop.is_some_and(|s| s < start) {
        return Err("ends before it starts".into());
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
fn document_status(resource: &Value) -> Result<DocumentStatus, String> {
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

fn document(resource: &Value) -> Result<Option<ImportedDocument>, String> {
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
            let bytes = base64_decode(encoded).ok_or("the note's text is not base64")?;
            let text = String::from_utf8(bytes).map_err(|_| "the note's text is not UTF-8")?;
            crate::domain::text::clean_multiline(&text)
        }
        None => String::new(),
    };
    Ok(Some(ImportedDocument { source_id, encounter_source_id, author_npi, doc_type, title, created_at, status, text }))
}

/// Standard base64 (RFC 4648), padding optional, whitespace ignored. Small enough to keep here
/// rather than take a crate for one call.
pub fn base64_decode(encoded: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let symbols: Vec<u8> = encoded.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let body = symbols.strip_suffix(b"==").or_else(|| symbols.strip_suffix(b"=")).unwrap_or(&symbols);
    if body.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(body.len() * 3 / 4);
    for chunk in body.chunks(4) {
        let mut bits = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            bits |= sextet(c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_known_vectors() {
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64_decode(encoded).as_deref(), Some(plain.as_bytes()), "{encoded}");
        }
        assert_eq!(base64_decode("Zm9v\nYmFy").as_deref(), Some(&b"foobar"[..]));
        assert_eq!(base64_decode("Zm9v!"), None);
        assert_eq!(base64_decode("Z"), None);
    }

    #[test]
    fn references_of_every_form_name_their_target() {
        let key = |r: &str| reference_key(Some(&serde_json::json!({ "reference": r })));
        assert_eq!(key("urn:uuid:abc").as_deref(), Some("abc"));
        assert_eq!(key("Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999").as_deref(), Some("9999"));
        assert_eq!(key("Patient/p1").as_deref(), Some("p1"));
        assert_eq!(key("https://example.org/fhir/Patient/p1/_history/3").as_deref(), Some("p1"));
        assert_eq!(key("Patient/"), None);
        assert_eq!(key("p1"), None);
    }

    #[test]
    fn a_note_is_complete_unless_its_source_says_otherwise() {
        let status = |json: serde_json::Value| document_status(&json);
        assert_eq!(status(serde_json::json!({"status": "current"})), Ok(DocumentStatus::Completed));
        assert_eq!(status(serde_json::json!({"docStatus": "final"})), Ok(DocumentStatus::Completed));
        assert_eq!(status(serde_json::json!({"docStatus": "preliminary"})), Ok(DocumentStatus::Unsigned));
        assert_eq!(status(serde_json::json!({"docStatus": "amended"})), Ok(DocumentStatus::Amended));
        assert_eq!(status(serde_json::json!({"status": "entered-in-error"})), Ok(DocumentStatus::Retracted));
        assert!(status(serde_json::json!({"docStatus": "draft"})).is_err());
    }

    #[test]
    fn a_file_that_is_not_a_bundle_is_refused_whole() {
        assert!(parse_bundle("x.json", "{").is_err());
        assert!(parse_bundle("x.json", r#"{"resourceType":"Patient"}"#).is_err());
    }

    #[test]
    fn a_bad_resource_is_refused_alone() {
        let bundle = parse_bundle(
            "b.json",
            r#"{"resourceType":"Bundle","entry":[
              {"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Smith12","given":["Ann3"]}],"birthDate":"1950-02-03","gender":"female"}},
              {"resource":{"resourceType":"Patient","id":"p2","name":[{"family":"Evil\u001b[2J","given":["X"]}],"birthDate":"1950-02-03"}},
              {"resource":{"resourceType":"Encounter","id":"e1","subject":{"reference":"urn:uuid:p1"},"class":{"code":"IMP"},
                "period":{"start":"2020-01-01T08:00:00-05:00","end":"2020-01-03T08:00:00-05:00"},
                "participant":[{"individual":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999"}}]}}
            ]}"#,
        )
        .unwrap();
        assert_eq!(bundle.patients.len(), 1);
        assert_eq!(bundle.patients[0].name.display(), PersonName::new("Smith", "Ann", "").display());
        assert_eq!(bundle.rejections.len(), 1);
        assert_eq!(bundle.rejections[0].column.as_deref(), Some("entry[1]"));
        let (encounter, npi) = &bundle.encounters[0];
        assert_eq!(encounter.kind, EncounterKind::Inpatient);
        assert_eq!(encounter.patient_source_id, "p1");
        assert_eq!(npi.as_deref(), Some("9999"));
    }

    #[test]
    fn every_shared_bundle_parses_clean() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/synthea-fhir");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipped: {} is absent", dir.display());
            return;
        };
        let (mut patients, mut encounters, mut documents) = (0, 0, 0);
        let (mut procedures, mut locations, mut roles) = (0, 0, 0);
        for entry in entries.flatten() {
            let path = entry.path();
            let text = std::fs::read_to_string(&path).unwrap();
            let bundle = parse_bundle(&path.display().to_string(), &text).unwrap();
            assert!(bundle.rejections.is_empty(), "{:?}", bundle.rejections.first());
            patients += bundle.patients.len();
            encounters += bundle.encounters.len();
            documents += bundle.documents.len();
            procedures += bundle.procedures.len();
            locations += bundle.locations.len();
            roles += bundle.practitioner_roles.len();
        }
        assert_eq!((patients, encounters, documents), (36, 681, 681));
        assert_eq!((procedures, locations, roles), (370, 193, 194));
    }

    proptest::proptest! {
        #[test]
        fn no_text_makes_the_bundle_parser_panic(text in "\\PC{0,400}") {
            let _ = parse_bundle("p.json", &text);
        }

        #[test]
        fn no_resource_makes_it_panic(kind in "(Patient|Encounter|DocumentReference|Practitioner|PractitionerRole|Organization|Location|Procedure)",
                                      field in "[a-zA-Z]{1,12}", value in "\\PC{0,40}", data in "[A-Za-z0-9+/=]{0,40}") {
            let resource = serde_json::json!({
                "resourceType": kind, "id": value, field: value,
                "name": [{"family": value, "given": [value]}], "birthDate": value,
                "period": {"start": value}, "class": {"code": value},
                "subject": {"reference": value}, "context": {"encounter": [{"reference": value}]},
                "content": [{"attachment": {"data": data}}], "date": value,
                "encounter": {"reference": value}, "code": {"coding": [{"code": value}], "text": value},
                "performedDateTime": value, "practitioner": {"identifier": {"value": value}},
                "specialty": [{"text": value}], "managingOrganization": {"identifier": {"value": value}},
            });
            let bundle = serde_json::json!({"resourceType": "Bundle", "entry": [{"resource": resource}]});
            if let Ok(mut parsed) = parse_bundle("p.json", &bundle.to_string()) {
                parsed.drop_orphans("p.json", &mut |_| false);
            }
        }

        #[test]
        fn no_symbols_make_base64_panic(text in "\\PC{0,80}") {
            let _ = base64_decode(&text);
        }
    }
}
