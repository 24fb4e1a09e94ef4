//! Importing a Synthea CSV export through the desk: parsed and checked row by row outside any
//! transaction, written in batches, one audit event for the run.

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::patient::NameKeys;
use crate::domain::role::Permission;
use crate::import::Rejection;
use crate::import::fhir;
use crate::import::synthea::{self, SyntheaEncounter, SyntheaPatient};
use crate::import::table::{Table, TableError};
use crate::store::imports::{ImportBatch, ImportCounts, ImportedEncounter, ImportedPatient, SourceRecord};
use chrono::NaiveDate;
use std::path::Path;

/// Rows written per transaction: a crash or Ctrl-C leaves whole batches, never half a record.
const BATCH_ROWS: usize = 5_000;

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportMode {
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Abort at any bad row with nothing written.
    pub strict: bool,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub counts: ImportCounts,
    pub rejections: Vec<Rejection>,
    pub dry_run: bool,
}

impl Desk {
    /// `chartroom import synthea-csv DIR`: organizations, providers, patients and encounters, by
    /// header name, into the facility `facility` (or the store's only one). Inpatient charts
    /// discharged before `open_since` arrive complete. With `dry_run`, everything is checked and
    /// nothing written.
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
    /// written) and a line of progress per file and batch.
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
        let facility_code = self.import_facility(facility)?;
        let mut report = ImportReport { dry_run, ..Default::default() };
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
        report.counts.providers.rejected = count_rejected(&report, "providers.csv");
        self.write(batch, dry_run, &mut report)?;

        // Patients and encounters stream: each batch of rows is written as it is read, so memory
        // holds one batch and the export's patient ids, whatever the size of the files.
        let mut known = std::collections::HashSet::new();
        let mut started = std::time::Instant::now();
        stream(
            &dir.join("patients.csv"),
            synthea::PATIENT_COLUMNS,
            &synthea::patient_from_row,
            &mut report,
            &mut |patients, report, done| {
                known.extend(patients.iter().map(|p: &SyntheaPatient| p.source_id.clone()));
                let mut batch = base();
                batch.patients = patients.iter().map(|p| self.imported_patient(p)).collect();
                self.write(batch, dry_run, report)?;
                progress(&ImportProgress::since("patients", report.counts.patients.read, started, done));
                Ok(())
            },
        )?;
        report.counts.patients.rejected = count_rejected(&report, "patients.csv");
        started = std::time::Instant::now();

        // The export's encounters, as 64-bit keys rather than strings, for checking procedures'
        // references in a fraction of the memory (a million ids in 16 MB, not 80).
        let procedures_file = dir.join("procedures.csv");
        let with_procedures = procedures_file.exists();
        let mut encounter_keys = std::collections::HashSet::new();
        let known_patient = |row: &crate::import::table::TableRow<'_>| {
            let encounter = synthea::encounter_from_row(row)?;
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
            &mut report,
            &mut |encounters: Vec<SyntheaEncounter>, report, done| {
                if with_procedures {
                    encounter_keys.extend(encounters.iter().map(|e| source_key(&e.source_id)));
                }
                let mut batch = base();
                batch.encounters = encounters
                    .into_iter()
                    .map(|e| ImportedEncounter {
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
                self.write(batch, dry_run, report)?;
                progress(&ImportProgress::since("encounters", report.counts.encounters.read, started, done));
                Ok(())
            },
        )?;
        report.counts.encounters.rejected = count_rejected(&report, "encounters.csv");

        started = std::time::Instant::now();
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
            &procedures_file,
            synthea::PROCEDURE_COLUMNS,
            &known_encounter,
            &mut report,
            &mut |procedures, report, done| {
                let mut batch = base();
                batch.procedures = procedures;
                self.write(batch, dry_run, report)?;
                progress(&ImportProgress::since("procedures", report.counts.procedures.read, started, done));
                Ok(())
            },
        )?;
        report.counts.procedures.rejected = count_rejected(&report, "procedures.csv");
        if !dry_run {
            let c = &report.counts;
            let detail = format!(
                "synthea-csv: patients {}+{}~{}, encounters {}+{}~{}, procedures {}, providers {}, organizations {}, \
                 rejected {}",
                c.patients.created,
                c.patients.updated,
                c.patients.unchanged,
                c.encounters.created,
                c.encounters.updated,
                c.encounters.unchanged,
                c.procedures.created,
                c.providers.read,
                c.organizations.read,
                report.rejections.len()
            );
            self.store().append_audit(self.audit_event(AuditAction::Create, "import", detail))?;
        }
        Ok(report)
    }

    /// A parsed patient as the store takes it: the SSN reduced to its last four and keyed hash.
    fn imported_patient(&self, p: &SyntheaPatient) -> ImportedPatient {
        ImportedPatient {
            source_id: p.source_id.clone(),
            keys: NameKeys::of(&p.name),
            name: p.name.clone(),
            sex: p.sex,
            birth_date: p.birth_date,
            ssn_last4: p.ssn.as_ref().map(crate::domain::ssn::Ssn::last4),
            ssn_hash: p.ssn.as_ref().map(|s| self.ssn_key().hash(s)),
            deceased_on: p.deceased_on,
            address: p.address.clone(),
        }
    }

    /// `chartroom import fhir PATH…`: Synthea's FHIR R4 bundles (files, or every `*.json` in a
    /// directory; the shared hospital and practitioner bundles first). Each bundle is written in
    /// one transaction, so an interrupted import leaves whole bundles. Notes arrive with their
    /// text, complete. The identifiers are Synthea's, so a population already imported from its
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
            let mut bundle = match fhir::parse_bundle(&name, &text) {
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
                    })
                    .collect(),
                documents: bundle.documents,
            };
            self.write(batch, mode.dry_run, &mut report).map_err(|e| DeskError::Invalid(format!("{name}: {e}")))?;
            let patients = report.counts.patients.read;
            progress(&ImportProgress::since("patients", patients, started, (done + 1) as f64 / total.max(1) as f64));
        }
        if !mode.dry_run {
            let c = &report.counts;
            let detail = format!(
                "fhir: patients {}+{}~{}, encounters {}+{}~{}, procedures {}, documents {}, practitioners {}, \
                 rejected {}",
                c.patients.created,
                c.patients.updated,
                c.patients.unchanged,
                c.encounters.created,
                c.encounters.updated,
                c.encounters.unchanged,
                c.procedures.created,
                c.documents.created,
                c.providers.read,
                report.rejections.len()
            );
            self.store().append_audit(self.audit_event(AuditAction::Create, "import", detail))?;
        }
        Ok(report)
    }

    /// The facility an import goes into: the one named, or the store's only one.
    fn import_facility(&self, facility: Option<&str>) -> DeskResult<String> {
        let facilities = self.store().list_facilities()?;
        Ok(match facility {
            Some(code) => facilities
                .iter()
                .find(|f| f.code.eq_ignore_ascii_case(code))
                .map(|f| f.code.clone())
                .ok_or_else(|| DeskError::NotFound(format!("no facility has code {code}")))?,
            None if facilities.len() == 1 => facilities[0].code.clone(),
            None if facilities.is_empty() => {
                return Err(DeskError::Invalid("the store has no facility; add one (chartroom facility add)".into()));
            }
            None => {
                return Err(DeskError::Invalid("the store has several facilities: name one with --facility".into()));
            }
        })
    }

    fn write(&self, batch: ImportBatch, dry_run: bool, report: &mut ImportReport) -> DeskResult<()> {
        if dry_run {
            let counts = &mut report.counts;
            counts.organizations.read += batch.organizations.len();
            counts.locations.read += batch.locations.len();
            counts.providers.read += batch.providers.len();
            counts.practitioner_roles.read += batch.practitioner_roles.len();
            counts.patients.read += batch.patients.len();
            counts.encounters.read += batch.encounters.len();
            counts.procedures.read += batch.procedures.len();
            counts.documents.read += batch.documents.len();
            return Ok(());
        }
        report.counts += self.store().apply_import(batch)?;
        Ok(())
    }
}

/// A source identifier as a 64-bit key (SipHash with fixed keys). That two of a million ids share a
/// key has odds of about 1 in 37 million; if they did and the procedure's encounter were the one
/// missing, the store would stop the import at that batch naming the encounter (whole batches
/// only), never write the procedure to another chart.
fn source_key(id: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}

fn count_rejected(report: &ImportReport, file: &str) -> usize {
    report.rejections.iter().filter(|r| r.file.ends_with(file)).count()
}

/// The table in `input`, or None when its header makes it something else than it claims (empty, a
/// required column missing, unreadable): then it is reported and skipped, and the import goes on
/// with the other files (and ends with a non-zero status).
fn open_table<R: std::io::Read>(
    path: &Path,
    input: R,
    required: &[&str],
    report: &mut ImportReport,
) -> Option<Table<R>> {
    let name = path.display().to_string();
    let refused = match Table::open(&name, input, required) {
        Ok(table) => return Some(table),
        Err(TableError::NoHeader { .. }) => (None, "no header row (the file is empty); skipped".to_string()),
        Err(TableError::MissingColumn { column, .. }) => {
            (Some(column), "the header has no such column, which is required; the file was skipped".to_string())
        }
        Err(TableError::Unreadable { reason, .. }) => (None, format!("unreadable ({reason}); skipped")),
    };
    report.rejections.push(Rejection { file: name, line: 1, column: refused.0, reason: refused.1 });
    None
}

/// Every good row of `path`, mapped; bad rows go to the report. A missing optional file reads as
/// empty; a file without a required column is reported and skipped.
fn read<T>(
    path: &Path,
    required: &[&str],
    map: impl Fn(&crate::import::table::TableRow<'_>) -> Result<T, Rejection>,
    report: &mut ImportReport,
) -> DeskResult<Vec<T>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(DeskError::Invalid(format!("{}: {e}", path.display()))),
    };
    let Some(mut table) = open_table(path, std::io::BufReader::new(file), required, report) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    while let Some(row) = table.next_row() {
        match row.and_then(|r| map(&r)) {
            Ok(value) => out.push(value),
            Err(rejection) => report.rejections.push(rejection),
        }
    }
    Ok(out)
}

/// Takes a batch of good rows, the report, and the share of the file read so far.
type BatchSink<'a, T> = dyn FnMut(Vec<T>, &mut ImportReport, f64) -> DeskResult<()> + 'a;

/// Reads `path` row by row, handing each [`BATCH_ROWS`] good rows to `sink` (and the last, shorter
/// batch); bad rows go to the report. A missing optional file reads as empty; one whose header is
/// not what it claims is reported and skipped.
fn stream<T>(
    path: &Path,
    required: &[&str],
    map: &dyn Fn(&crate::import::table::TableRow<'_>) -> Result<T, Rejection>,
    report: &mut ImportReport,
    sink: &mut BatchSink<'_, T>,
) -> DeskResult<()> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(DeskError::Invalid(format!("{}: {e}", path.display()))),
    };
    let total = file.metadata().map(|m| m.len()).unwrap_or(0).max(1) as f64;
    let consumed = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let counted = CountingReader { inner: file, consumed: consumed.clone() };
    let Some(mut table) = open_table(path, std::io::BufReader::new(counted), required, report) else {
        return Ok(());
    };
    let fraction = || (consumed.get() as f64 / total).min(1.0);
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    while let Some(row) = table.next_row() {
        match row.and_then(|r| map(&r)) {
            Ok(value) => batch.push(value),
            Err(rejection) => report.rejections.push(rejection),
        }
        if batch.len() == BATCH_ROWS {
            sink(std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS)), report, fraction())?;
        }
    }
    if !batch.is_empty() {
        sink(batch, report, 1.0)?;
    }
    Ok(())
}

/// Counts the bytes read from a file, for the share of it done.
struct CountingReader<R> {
    inner: R,
    consumed: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}

/// Where an import stands: the records of one kind done so far, the time spent on them and the
/// share of the work done (by bytes read, or bundles).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportProgress {
    pub what: &'static str,
    pub records: usize,
    pub elapsed: std::time::Duration,
    /// From 0 to 1.
    pub done: f64,
}

impl ImportProgress {
    pub fn since(what: &'static str, records: usize, started: std::time::Instant, done: f64) -> Self {
        Self { what, records, elapsed: started.elapsed(), done: done.clamp(0.0, 1.0) }
    }

    fn rate(&self) -> f64 {
        self.records as f64 / self.elapsed.as_secs_f64().max(0.001)
    }

    /// The seconds left at the pace so far, while there is a pace to go by.
    fn seconds_left(&self) -> Option<f64> {
        (self.done > 0.0 && self.done < 1.0).then(|| self.elapsed.as_secs_f64() * (1.0 - self.done) / self.done)
    }

    /// `patients: 45000 · 12300/s · 41% · 6 s left`: a line for a log or the TUI's status line.
    pub fn line(&self) -> String {
        let mut line = format!("{}: {} · {:.0}/s · {:.0}%", self.what, self.records, self.rate(), self.done * 100.0);
        if let Some(left) = self.seconds_left() {
            line.push_str(&format!(" · {left:.0} s left"));
        }
        line
    }

    /// `encounters [=========>          ]  45%  450000  12300/s  0:06 left`: a bar for a terminal,
    /// in ASCII so that any locale and font draws it, `width` cells between the brackets.
    pub fn bar(&self, width: usize) -> String {
        let filled = ((self.done * width as f64).round() as usize).min(width);
        let mut cells = "=".repeat(filled);
        if filled < width {
            cells.push(if filled > 0 { '>' } else { ' ' });
            cells.push_str(&" ".repeat(width - filled - 1));
        }
        let mut bar =
            format!("{:<10} [{cells}] {:>3.0}%  {}  {:.0}/s", self.what, self.done * 100.0, self.records, self.rate());
        if let Some(left) = self.seconds_left() {
            let left = left.round() as u64;
            bar.push_str(&format!("  {}:{:02} left", left / 60, left % 60));
        }
        bar
    }
}

#[cfg(test)]
mod tests {
    use super::ImportProgress;
    use std::time::Duration;

    fn at(records: usize, seconds: u64, done: f64) -> ImportProgress {
        ImportProgress { what: "encounters", records, elapsed: Duration::from_secs(seconds), done }
    }

    #[test]
    fn a_progress_line_says_rate_share_and_time_left() {
        assert_eq!(at(50_000, 10, 0.25).line(), "encounters: 50000 · 5000/s · 25% · 30 s left");
        assert_eq!(at(100, 10, 1.0).line(), "encounters: 100 · 10/s · 100%");
    }

    #[test]
    fn a_progress_bar_fills_with_the_share_done() {
        assert_eq!(at(50_000, 10, 0.25).bar(8), "encounters [==>     ]  25%  50000  5000/s  0:30 left");
        assert_eq!(at(0, 0, 0.0).bar(4), "encounters [    ]   0%  0  0/s");
        assert_eq!(at(9, 90, 1.0).bar(4), "encounters [====] 100%  9  0/s");
        let long = at(1, 1, 0.01).bar(20);
        assert!(long.ends_with("1/s  1:39 left"), "{long}");
    }
}
