//! Synthea's FHIR R4 transaction bundles: one per patient, plus the shared `hospitalInformation*`
//! and `practitionerInformation*` bundles. A bundle refers inside itself by `urn:uuid:` and outside
//! itself by conditional reference (`Practitioner?identifier=…us-npi|NPI`,
//! `Organization?identifier=…synthea|UUID`); both are resolved here to the keys the store knows.
//!
//! Identifiers are Synthea's own UUIDs under the `synthea` system, the same ones its CSV export
//! uses, so a population imported from CSV and then from FHIR is one population.

mod base64;
mod resources;

pub use base64::base64_decode;
pub use resources::encounter_kind;

use super::Rejection;
use super::synthea::{SyntheaEncounter, SyntheaPatient};
use crate::store::imports::{
    ImportedDocument, ImportedLocation, ImportedOrganization, ImportedPractitionerRole, ImportedProcedure,
    ImportedProvider,
};
use resources::{document, encounter, location, organization, patient, practitioner, practitioner_role, procedure};
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
/// good bundle is refused alone, with its position (`entry[N]`) in place of a line. `today` is the
/// import's day: no one is born or dies after it, no visit is after the day that follows it.
pub fn parse_bundle(file: &str, text: &str, today: chrono::NaiveDate) -> Result<FhirBundle, Rejection> {
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
    let entries = match root.get("entry") {
        None => &[][..],
        Some(Value::Array(entries)) => entries.as_slice(),
        Some(_) => return Err(whole("its \"entry\" is not a list of resources".into())),
    };
    let mut bundle = FhirBundle::default();
    // A source id given twice in a bundle: the second is refused, naming the first, rather than
    // merging two records into one.
    let mut seen: std::collections::HashMap<(&str, String), usize> = std::collections::HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let reject = |reason: String| Rejection {
            file: file.to_string(),
            line: index as u64,
            column: Some(format!("entry[{index}]")),
            reason,
        };
        let resource = match entry.get("resource") {
            Some(resource @ Value::Object(_)) => resource,
            Some(_) => {
                bundle.rejections.push(reject("the entry's resource is empty or not a resource".into()));
                continue;
            }
            None => continue,
        };
        let kind = resource.get("resourceType").and_then(Value::as_str);
        if let (Some(kind @ ("Patient" | "Encounter")), Some(id)) = (kind, str_at(resource, "id")) {
            if let Some(first) = seen.get(&(kind, id.to_string())) {
                let reason = format!("{kind}: the id {id} is also entry[{first}]'s; one id cannot be two records");
                bundle.rejections.push(reject(reason));
                continue;
            }
            seen.insert((kind, id.to_string()), index);
        }
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
            Some("Patient") => patient(resource, today).map(|p| bundle.patients.push(p)),
            Some("Encounter") => encounter(resource, today).map(|e| {
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

/// A reference by identifier (`{"identifier": {"system", "value"}}`), as Synthea's roles make them.
fn identifier_reference(reference: Option<&Value>) -> Option<String> {
    reference_key(reference).or_else(|| str_at(reference?.get("identifier")?, "value").map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::resources::document_status;
    use super::*;
    use crate::domain::chart::{DocumentStatus, EncounterKind};
    use crate::domain::names::PersonName;

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
    }

    #[test]
    fn dates_no_one_can_have_are_refused_in_a_bundle_too() {
        let bundle = parse_bundle(
            "b.json",
            r#"{"resourceType":"Bundle","entry":[
              {"resource":{"resourceType":"Patient","id":"p1","name":[{"family":"Old1"}],"birthDate":"1800-01-01"}},
              {"resource":{"resourceType":"Patient","id":"p2","name":[{"family":"Late1"}],"birthDate":"2999-01-01"}},
              {"resource":{"resourceType":"Patient","id":"p3","name":[{"family":"Gone1"}],"birthDate":"1950-01-01",
                "deceasedDateTime":"2999-01-01T00:00:00Z"}},
              {"resource":{"resourceType":"Patient","id":"p4","name":[{"family":"Fine1"}],"birthDate":"1950-01-01"}},
              {"resource":{"resourceType":"Encounter","id":"e1","subject":{"reference":"urn:uuid:p4"},"class":{"code":"IMP"},
                "period":{"start":"2999-01-01T08:00:00Z"}}}
            ]}"#,
            today(),
        )
        .unwrap();
        assert_eq!(bundle.patients.len(), 1);
        assert!(bundle.encounters.is_empty());
        let reasons: Vec<String> = bundle.rejections.iter().map(ToString::to_string).collect();
        assert_eq!(
            reasons,
            [
                "b.json:0: entry[0]: Patient: a birth date of 1800-01-01 is before 1900-01-01",
                "b.json:1: entry[1]: Patient: a birth date of 2999-01-01 is after today (2025-03-03)",
                "b.json:2: entry[2]: Patient: a death date of 2999-01-01 is after today (2025-03-03)",
                "b.json:4: entry[4]: Encounter: a visit date of 2999-01-01 is after tomorrow (2025-03-04)",
            ]
        );
    }

    #[test]
    fn a_notes_security_labels_become_its_sensitive_categories() {
        use crate::domain::roi::packet::SensitiveCategory as C;
        let note: Value = serde_json::from_str(
            r#"{"resourceType":"DocumentReference","id":"d1",
                "securityLabel":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"ETH"}]},
                                 {"coding":[{"code":"R","system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}]}],
                "meta":{"security":[{"code":"HIV"},{"code":"PSYTHPN"},{"code":"PSY"},{"code":"ETH"}]}}"#,
        )
        .unwrap();
        assert_eq!(resources::security_categories(&note), [C::SudPart2, C::Psychotherapy, C::Hiv, C::Behavioral]);
        let plain: Value = serde_json::from_str(r#"{"resourceType":"DocumentReference","id":"d2"}"#).unwrap();
        assert!(resources::security_categories(&plain).is_empty(), "nothing is guessed");
    }

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
        assert!(parse_bundle("x.json", "{", today()).is_err());
        assert!(parse_bundle("x.json", r#"{"resourceType":"Patient"}"#, today()).is_err());
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
            today(),
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
        let Some(dir) = crate::import::shared_data::shared_data("synthea-fhir") else { return };
        let entries = std::fs::read_dir(&dir).unwrap();
        let (mut patients, mut encounters, mut documents) = (0, 0, 0);
        let (mut procedures, mut locations, mut roles) = (0, 0, 0);
        for entry in entries.flatten() {
            let path = entry.path();
            let text = std::fs::read_to_string(&path).unwrap();
            let bundle = parse_bundle(&path.display().to_string(), &text, today()).unwrap();
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
            let _ = parse_bundle("p.json", &text, today());
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
            if let Ok(mut parsed) = parse_bundle("p.json", &bundle.to_string(), today()) {
                parsed.drop_orphans("p.json", &mut |_| false);
            }
        }

        #[test]
        fn no_symbols_make_base64_panic(text in "\\PC{0,80}") {
            let _ = base64_decode(&text);
        }
    }
}
