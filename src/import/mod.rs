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

/// A name longer than this is a broken or hostile file: no person's name part runs past it, and it
/// would push a chart's MRN and birth date off the banner.
pub const MAX_NAME_CHARS: usize = 200;

/// A note's text past this is not a clinical note (the longest discharge summaries are a few
/// hundred kilobytes); a chart must open it without stalling.
pub const MAX_NOTE_BYTES: usize = 10 * 1024 * 1024;

/// Why a name part is refused: control characters (escape sequences), or more than
/// [`MAX_NAME_CHARS`] characters.
pub fn name_problem(raw: &str) -> Option<String> {
    if raw.chars().any(crate::domain::text::is_unsafe_char) {
        return Some("control characters in a name".into());
    }
    let chars = raw.chars().count();
    (chars > MAX_NAME_CHARS).then(|| format!("a name of {chars} characters (at most {MAX_NAME_CHARS})"))
}

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
