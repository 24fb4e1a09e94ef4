//! `chartroom import fhir PATH…`: FHIR R4 bundles, one transaction each.

use super::{ImportMode, ImportProgress, ImportReport};
use crate::desk::{Desk, DeskError, DeskResult};
use crate::domain::role::Permission;
use crate::import::{Rejection, fhir};
use crate::store::imports::{ImportBatch, ImportedEncounter, SourceRecord};
use chrono::NaiveDate;

/// Synthea's bundles are at most a few megabytes; one patient's whole record rarely passes 50.
const MAX_BUNDLE_BYTES: u64 = 256 * 1_048_576;

impl Desk {
    /// `chartroom import fhir PATH…`: Synthea's FHIR R4 bundles (files, or every `*.json` in a
    /// directory; the shared hospital and practitioner bundles first). Each bundle is written in
    /// one transaction, so an interrupted import leaves whole bundles. Notes arrive with their
    /// text, complete unless their `docStatus` says otherwise. The identifiers are Synthea's, so a population already imported from its
    /// CSV export is matched, not duplicated.
    pub fn import_fhir(
        &self,
        paths: &[std::path::PathBuf],
        facility: Option<&str>,
        open_since: NaiveDate,
        mode: ImportMode,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> DeskResult<ImportReport> {
        self.require_permission(Permission::AdministerStore)?;
        if mode.strict && !mode.dry_run {
            let check =
                self.import_fhir(paths, facility, open_since, ImportMode { dry_run: true, strict: false }, progress)?;
            if let Some(first) = check.rejections.first() {
                return Err(DeskError::Invalid(format!(
                    "--strict: nothing was imported; the first bad resource is {first} ({} in all)",
                    check.rejections.len()
                )));
            }
        }
        let facility_code = self.import_facility(facility)?;
        // The import's day, by the desk's clock: no one is born, dies or is seen after it.
        let today = self.today();
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                let entries =
                    std::fs::read_dir(path).map_err(|e| DeskError::Invalid(format!("{}: {e}", path.display())))?;
                files.extend(
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("json"))),
                );
            } else {
                files.push(path.clone());
            }
        }
        // Practitioners and organizations first, so that every patient bundle finds its references.
        let shared_first = |p: &std::path::PathBuf| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (!(name.starts_with("hospitalInformation") || name.starts_with("practitionerInformation")), name)
        };
        files.sort_by_key(shared_first);
        let mut report = ImportReport { dry_run: mode.dry_run, ..Default::default() };
        let total = files.len();
        let started = std::time::Instant::now();
        for (done, file) in files.iter().enumerate() {
            let name = file.display().to_string();
            let size = std::fs::metadata(file).map_err(|e| DeskError::Invalid(format!("{name}: {e}")))?.len();
            if size > MAX_BUNDLE_BYTES {
                // A bundle is read whole; a file this size is something else (a bulk export, an
                // image) and would only exhaust memory.
                report.rejections.push(Rejection {
                    file: name,
                    line: 0,
                    column: None,
                    reason: format!(
                        "{} MB is too large for one bundle (the limit is {} MB); skipped",
                        size / 1_048_576,
                        MAX_BUNDLE_BYTES / 1_048_576
                    ),
                });
                continue;
            }
            let bytes = std::fs::read(file).map_err(|e| DeskError::Invalid(format!("{name}: {e}")))?;
            let Ok(text) = String::from_utf8(bytes) else {
                report.rejections.push(Rejection {
                    file: name,
                    line: 0,
                    column: None,
                    reason: "not UTF-8 text (a FHIR bundle is JSON)".into(),
                });
                continue;
            };
            let mut bundle = match fhir::parse_bundle(&name, &text, today) {
                Ok(bundle) => bundle,
                Err(rejection) => {
                    report.rejections.push(rejection);
                    continue;
                }
            };
            let mut lookup_failed = None;
            bundle.drop_orphans(&name, &mut |id| {
                self.store().has_imported(SourceRecord::Encounter, "synthea", id).unwrap_or_else(|e| {
                    lookup_failed.get_or_insert(e);
                    false
                })
            });
            if let Some(e) = lookup_failed {
                return Err(DeskError::Invalid(format!("{name}: could not check the notes' encounters: {e}")));
            }
            for rejection in &bundle.rejections {
                let counts = &mut report.counts;
                let kind = match rejection.reason.split(':').next().unwrap_or_default() {
                    "Organization" => &mut counts.organizations,
                    "Location" => &mut counts.locations,
                    "Practitioner" => &mut counts.providers,
                    "PractitionerRole" => &mut counts.practitioner_roles,
                    "Patient" => &mut counts.patients,
                    "Procedure" => &mut counts.procedures,
                    "DocumentReference" => &mut counts.documents,
                    _ => &mut counts.encounters,
                };
                // Read and refused: "read" counts every resource of the kind read, good or bad.
                kind.read += 1;
                kind.rejected += 1;
            }
            report.rejections.extend(bundle.rejections);
            let batch = ImportBatch {
                system: "synthea".into(),
                export: "fhir".into(),
                facility_code: facility_code.clone(),
                open_since: Some(open_since),
                organizations: bundle.organizations,
                locations: bundle.locations,
                providers: bundle.providers,
                practitioner_roles: bundle.practitioner_roles,
                procedures: bundle.procedures,
                patients: bundle.patients.iter().map(|p| self.imported_patient(p)).collect(),
                encounters: bundle
                    .encounters
                    .into_iter()
                    .map(|(e, npi)| ImportedEncounter {
                        service: e.class.to_ascii_uppercase(),
                        source_id: e.source_id,
                        patient_source_id: e.patient_source_id,
                        provider_source_id: None,
                        provider_npi: npi,
                        organization_source_id: e.organization_source_id,
                        kind: e.kind,
                        admit_at: e.start,
                        discharge_at: e.stop,
                        new_to_store: false,
                    })
                    .collect(),
                documents: bundle.documents,
                audit: None,
            };
            // Bundles are named after their patient: the event says which of the run's files it was.
            let what = format!("bundle {} of {total}", done + 1);
            self.write(batch, mode.dry_run, &mut report, "fhir", &what)
                .map_err(|e| DeskError::Invalid(format!("{name}: {e}")))?;
            let patients = report.counts.patients.read;
            progress(&ImportProgress::since("patients", patients, started, (done + 1) as f64 / total.max(1) as f64));
        }
        if !mode.dry_run {
            self.audit_import("fhir", &report)?;
        }
        Ok(report)
    }
}
