//! `chartroom import synthea-csv DIR`: a Synthea CSV export, by header name, streamed.

use super::reading::{read, stream};
use super::{FirstLines, ImportMode, ImportProgress, ImportReport, count_rejected, rejected_rows, source_key};
use crate::desk::{Desk, DeskError, DeskResult};
use crate::domain::role::Permission;
use crate::import::synthea::{self, SyntheaEncounter, SyntheaPatient};
use crate::store::imports::{ImportBatch, ImportedEncounter, SourceRecord};
use chrono::NaiveDate;
use std::path::Path;

/// The name of the source in audit events.
const SOURCE: &str = "synthea-csv";

/// `patients.csv lines 2-5001`: which rows of a file a batch carries.
fn lines_of(file: &str, lines: &std::ops::RangeInclusive<u64>) -> String {
    format!("{file} lines {}-{}", lines.start(), lines.end())
}

impl Desk {
    /// `chartroom import synthea-csv DIR`: organizations, providers, patients, encounters and
    /// procedures, by header name, into the facility `facility` (or the store's only one).
    /// Inpatient charts discharged before `open_since` arrive complete; later ones wait for the
    /// nightly analysis. With `dry_run`, everything is checked and nothing written.
    pub fn import_synthea_csv(
        &self,
        dir: &Path,
        facility: Option<&str>,
        open_since: NaiveDate,
        dry_run: bool,
    ) -> DeskResult<ImportReport> {
        self.import_synthea_csv_with(dir, facility, open_since, ImportMode { dry_run, strict: false }, &mut |_| {})
    }

    /// [`Desk::import_synthea_csv`] with `--strict` (any bad row aborts the import before anything is
    /// written) and the progress of each file, batch by batch.
    pub fn import_synthea_csv_with(
        &self,
        dir: &Path,
        facility: Option<&str>,
        open_since: NaiveDate,
        mode: ImportMode,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> DeskResult<ImportReport> {
        self.require_permission(Permission::AdministerStore)?;
        if mode.strict && !mode.dry_run {
            // Check everything first; write only when every row is good.
            let check = self.import_synthea_csv_with(
                dir,
                facility,
                open_since,
                ImportMode { dry_run: true, strict: false },
                progress,
            )?;
            if let Some(first) = check.rejections.first() {
                return Err(DeskError::Invalid(format!(
                    "--strict: nothing was imported; the first bad row is {first} ({} in all)",
                    check.rejections.len()
                )));
            }
        }
        const EXPORT_FILES: [&str; 5] =
            ["organizations.csv", "providers.csv", "patients.csv", "encounters.csv", "procedures.csv"];
        if !EXPORT_FILES.iter().any(|f| dir.join(f).is_file()) {
            return Err(DeskError::Invalid(format!(
                "{}: no Synthea CSV export here (none of {})",
                dir.display(),
                EXPORT_FILES.join(", ")
            )));
        }

        let dry_run = mode.dry_run;
        let mut report = ImportReport { dry_run, ..Default::default() };
        // Encounters may follow their patients in a later export; said, in case patients.csv was
        // left behind by mistake (each encounter of a patient not imported before is then refused).
        if !dir.join("patients.csv").is_file() && dir.join("encounters.csv").is_file() {
            report
                .warnings
                .push("the export has no patients.csv: its encounters were matched to patients imported before".into());
        }
        let facility_code = self.import_facility(facility)?;
        let base = || ImportBatch {
            system: "synthea".into(),
            export: "csv".into(),
            facility_code: facility_code.clone(),
            open_since: Some(open_since),
            ..Default::default()
        };

        let mut batch = base();
        batch.organizations = read(
            &dir.join("organizations.csv"),
            synthea::ORGANIZATION_COLUMNS,
            synthea::organization_from_row,
            &mut report,
        )?;
        batch.providers =
            read(&dir.join("providers.csv"), synthea::PROVIDER_COLUMNS, synthea::provider_from_row, &mut report)?;
        report.counts.organizations.rejected = count_rejected(&report, "organizations.csv");
        report.counts.organizations.read += rejected_rows(&report, "organizations.csv");
        report.counts.providers.rejected = count_rejected(&report, "providers.csv");
        report.counts.providers.read += rejected_rows(&report, "providers.csv");
        self.write(batch, dry_run, &mut report, SOURCE, "organizations.csv and providers.csv")?;

        // Into an empty store, the indexes keyed at random (names, birth dates, discharges, source
        // ids) are built once after the encounters rather than row by row: their writes made the
        // rate fall as the store grew. Writes stay durable and batches whole; an import killed
        // before the indexes are built leaves them to be built when the store next opens, and a
        // rerun then finds what was written.
        let load = !dry_run && self.store_info()?.patient_count == 0;
        if load {
            self.store().begin_import_load()?;
        }
        let mut encounter_keys = std::collections::HashSet::new();
        let loaded = self.import_synthea_people(dir, &base, load, &mut encounter_keys, &mut report, progress);
        let built = if load { self.store().finish_bulk_load() } else { Ok(()) };
        loaded?;
        built?;

        let started = std::time::Instant::now();
        let known_encounter = |row: &crate::import::table::TableRow<'_>| {
            let procedure = synthea::procedure_from_row(row)?;
            let id = &procedure.encounter_source_id;
            let earlier = || self.store().has_imported(SourceRecord::Encounter, "synthea", id);
            if !encounter_keys.contains(&source_key(id))
                && !earlier()
                    .map_err(|e| row.reject(Some("ENCOUNTER"), format!("could not check the encounter: {e}")))?
            {
                return Err(row.reject(Some("ENCOUNTER"), format!("a procedure of an unknown encounter {id}")));
            }
            Ok(procedure)
        };
        stream(
            &dir.join("procedures.csv"),
            synthea::PROCEDURE_COLUMNS,
            &known_encounter,
            &mut report,
            &mut |procedures, lines, report, done| {
                let mut batch = base();
                batch.procedures = procedures;
                self.write(batch, dry_run, report, SOURCE, &lines_of("procedures.csv", &lines))?;
                progress(&ImportProgress::since("procedures", report.counts.procedures.read, started, done));
                Ok(())
            },
        )?;
        report.counts.procedures.rejected = count_rejected(&report, "procedures.csv");
        report.counts.procedures.read += rejected_rows(&report, "procedures.csv");
        if !dry_run {
            self.audit_import(SOURCE, &report)?;
        }
        Ok(report)
    }

    /// Patients and encounters, streamed: each batch of rows is written as it is read, so memory
    /// holds one batch and the export's patient ids, whatever the size of the files. The export's
    /// encounters are kept in `encounter_keys` as 64-bit keys rather than strings (a million ids in
    /// 16 MB, not 80), for checking procedures' references and, with `load` (an import into an empty
    /// store), for telling the store which encounters are new without it looking.
    fn import_synthea_people(
        &self,
        dir: &Path,
        base: &dyn Fn() -> ImportBatch,
        load: bool,
        encounter_keys: &mut std::collections::HashSet<u64>,
        report: &mut ImportReport,
        progress: &mut dyn FnMut(&ImportProgress),
    ) -> DeskResult<()> {
        let dry_run = report.dry_run;
        // The import's day, by the desk's clock: no one is born, dies or is seen after it.
        let today = self.today();
        let mut known = std::collections::HashSet::new();
        let mut started = std::time::Instant::now();
        let patient_lines = FirstLines::default();
        let no_ssn_column = std::cell::Cell::new(false);
        let patient = |row: &crate::import::table::TableRow<'_>| {
            no_ssn_column.set(!row.has_column("SSN"));
            if let Some(first) = patient_lines.earlier(row) {
                return Err(row.reject(
                    Some("Id"),
                    format!("the patient Id {} is also line {first}'s; one Id cannot be two patients", row.get("Id")),
                ));
            }
            synthea::patient_from_row(row, today)
        };
        stream(
            &dir.join("patients.csv"),
            synthea::PATIENT_COLUMNS,
            &patient,
            report,
            &mut |patients, lines, report, done| {
                known.extend(patients.iter().map(|p: &SyntheaPatient| p.source_id.clone()));
                let mut batch = base();
                batch.patients = patients.iter().map(|p| self.imported_patient(p)).collect();
                self.write(batch, dry_run, report, SOURCE, &lines_of("patients.csv", &lines))?;
                progress(&ImportProgress::since("patients", report.counts.patients.read, started, done));
                Ok(())
            },
        )?;
        if no_ssn_column.get() {
            report.warnings.push(
                "patients.csv has no SSN column: the patients were imported without SSNs, so they cannot be found by \
                 SSN or its last four"
                    .into(),
            );
        }
        report.counts.patients.rejected = count_rejected(report, "patients.csv");
        report.counts.patients.read += rejected_rows(report, "patients.csv");
        started = std::time::Instant::now();

        let keep_keys = load || dir.join("procedures.csv").exists();
        let encounter_lines = FirstLines::default();
        let known_patient = |row: &crate::import::table::TableRow<'_>| {
            if let Some(first) = encounter_lines.earlier(row) {
                return Err(row.reject(
                    Some("Id"),
                    format!("the encounter Id {} is also line {first}'s; one Id cannot be two visits", row.get("Id")),
                ));
            }
            let encounter = synthea::encounter_from_row(row, today)?;
            // An encounter of a patient neither this export nor an earlier import holds is a
            // broken reference: reported, not guessed.
            let earlier = || self.store().has_imported(SourceRecord::Patient, "synthea", &encounter.patient_source_id);
            if !known.contains(&encounter.patient_source_id)
                && !earlier().map_err(|e| row.reject(Some("PATIENT"), format!("could not check the patient: {e}")))?
            {
                return Err(row.reject(
                    Some("PATIENT"),
                    format!(
                        "encounter {} refers to an unknown patient {}",
                        encounter.source_id, encounter.patient_source_id
                    ),
                ));
            }
            Ok(encounter)
        };
        stream(
            &dir.join("encounters.csv"),
            synthea::ENCOUNTER_COLUMNS,
            &known_patient,
            report,
            &mut |encounters: Vec<SyntheaEncounter>, lines, report, done| {
                let mut batch = base();
                batch.encounters = encounters
                    .into_iter()
                    .map(|e| ImportedEncounter {
                        // A key seen before is a repeated row or, once in millions, two ids with one
                        // key: the store looks for it.
                        new_to_store: keep_keys && encounter_keys.insert(source_key(&e.source_id)) && load,
                        service: e.class.to_ascii_uppercase(),
                        source_id: e.source_id,
                        patient_source_id: e.patient_source_id,
                        provider_source_id: e.provider_source_id,
                        provider_npi: None,
                        organization_source_id: e.organization_source_id,
                        kind: e.kind,
                        admit_at: e.start,
                        discharge_at: e.stop,
                    })
                    .collect();
                self.write(batch, dry_run, report, SOURCE, &lines_of("encounters.csv", &lines))?;
                progress(&ImportProgress::since("encounters", report.counts.encounters.read, started, done));
                Ok(())
            },
        )?;
        report.counts.encounters.rejected = count_rejected(report, "encounters.csv");
        report.counts.encounters.read += rejected_rows(report, "encounters.csv");
        Ok(())
    }
}
