//! Importing patient populations through the desk: files parsed and checked row by row outside
//! any transaction, written in batches that are each one transaction, one audit event for the run.
//! `csv` takes a Synthea CSV export, `fhir` FHIR R4 bundles; `reading` streams a CSV file in
//! batches; `progress` says where a long import stands.

mod csv;
mod fhir;
mod progress;
mod reading;

pub use progress::ImportProgress;

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::patient::NameKeys;
use crate::import::Rejection;
use crate::import::synthea::SyntheaPatient;
use crate::store::imports::{ImportBatch, ImportCounts, ImportedPatient};

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
    /// What was imported but is worth a look (a file without SSNs), in the clerk's words.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub dry_run: bool,
}

/// Remembers the first line of each source id of a file, to refuse a different row that gives the
/// same id: two patients merged into one record (one's name, the other's SSN) cannot be undone. A
/// row repeated word for word is the same record, and passes.
#[derive(Default)]
struct FirstLines(std::cell::RefCell<std::collections::HashMap<u64, (u64, u64)>>);

impl FirstLines {
    /// The line that first gave the row's Id, when that row said something else.
    fn earlier(&self, row: &crate::import::table::TableRow<'_>) -> Option<u64> {
        let mut seen = self.0.borrow_mut();
        let fingerprint = row.fingerprint();
        let (first, said) = *seen.entry(source_key(row.get("Id"))).or_insert((row.line, fingerprint));
        (said != fingerprint).then_some(first)
    }
}

impl Desk {
    /// A demo store (its `demo` setting, set when the demo filled it) takes an import only when the
    /// clerk says it is meant: real patients among made-up ones cannot be told apart afterwards.
    pub fn check_import_target(&self, into_demo: bool) -> DeskResult<()> {
        if !into_demo && self.store_info()?.is_demo {
            return Err(DeskError::Invalid(
                "this store holds the demo hospital: real patients imported into it would mix with made-up ones. \
                 Import into a store of its own (chartroom init --empty), or add --into-demo if this is meant"
                    .into(),
            ));
        }
        Ok(())
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
                let codes: Vec<&str> = facilities.iter().map(|f| f.code.as_str()).collect();
                return Err(DeskError::Invalid(format!(
                    "the store has several facilities: name one with --facility ({})",
                    codes.join(", ")
                )));
            }
        })
    }

    /// The run's one audit event: what it did, kind by kind, in counts (no identifiers).
    fn audit_import(&self, source: &str, report: &ImportReport) -> DeskResult<()> {
        let mut detail = format!("{source}:");
        for (kind, k) in report.counts.by_kind().iter().filter(|(_, k)| k.read > 0 || k.rejected > 0) {
            detail.push_str(&format!(" {kind} {} new/{} updated/{} unchanged;", k.created, k.updated, k.unchanged));
        }
        detail.push_str(&format!(" rejected {}", report.rejections.len()));
        self.store().append_audit(self.audit_event(AuditAction::Create, "import", detail))?;
        Ok(())
    }

    /// Writes one batch with its audit event: `source` and `what` say which records it carries
    /// (`synthea-csv`, `patients.csv lines 2-5001`), and the event counts them by kind.
    fn write(
        &self,
        mut batch: ImportBatch,
        dry_run: bool,
        report: &mut ImportReport,
        source: &str,
        what: &str,
    ) -> DeskResult<()> {
        if !dry_run {
            let carried = [
                (batch.organizations.len(), "organization", "organizations"),
                (batch.locations.len(), "location", "locations"),
                (batch.providers.len(), "provider", "providers"),
                (batch.practitioner_roles.len(), "practitioner role", "practitioner roles"),
                (batch.patients.len(), "patient", "patients"),
                (batch.encounters.len(), "encounter", "encounters"),
                (batch.procedures.len(), "procedure", "procedures"),
                (batch.documents.len(), "document", "documents"),
            ];
            let kinds: Vec<String> = carried
                .iter()
                .filter(|(n, ..)| *n > 0)
                .map(|(n, one, many)| format!("{n} {}", if *n == 1 { one } else { many }))
                .collect();
            let kinds = if kinds.is_empty() { "nothing".to_string() } else { kinds.join(", ") };
            let detail = format!("{source} batch: {what}: {kinds}");
            batch.audit = Some(self.audit_event(AuditAction::Create, "import", detail));
        }
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

/// The rows of `file` that were read and refused: "read" counts every row read, good or bad, so
/// that read = created + updated + unchanged + rejected. A file skipped for its header (line 1)
/// had no rows read.
fn rejected_rows(report: &ImportReport, file: &str) -> usize {
    report.rejections.iter().filter(|r| r.file.ends_with(file) && r.line > 1).count()
}
