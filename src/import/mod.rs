//! Importing patient populations as the world exports them. Parsing happens outside any
//! transaction and reports every bad row with file, line and column; writing goes through the
//! desk, in batches that are each one transaction.
//!
//! `table` reads CSV as RFC 4180 allows it; `synthea` maps Synthea's CSV rows (patients, providers,
//! organizations, encounters, procedures) by header name; `fhir` maps its FHIR R4 bundles (Patient,
//! Practitioner and PractitionerRole, Organization and Location, Encounter, Procedure,
//! DocumentReference).

pub mod fhir;
pub mod synthea;
pub mod table;

/// The one rule for tests that read the shared data (skipped when absent, failed in CI), the same
/// file the integration tests use.
#[cfg(test)]
#[path = "../../tests/common/shared.rs"]
mod shared_data;

/// A row the importer refused, and why: enough for a clerk to find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    pub file: String,
    pub line: u64,
    /// The column at fault, by header name, when one is.
    pub column: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(column) => write!(f, "{}:{}: {column}: {}", self.file, self.line, self.reason),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.reason),
        }
    }
}
