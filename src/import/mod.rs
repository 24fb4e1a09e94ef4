//! Importing patient populations as the world exports them. Parsing happens outside any
//! transaction and reports every bad row with file, line and column; writing (through the desk, in
//! batches) comes with the importer commands.
//!
//! Where this stands: the header-mapped CSV reader, the Synthea row mappings, `chartroom import
//! synthea-csv` and `chartroom import fhir` (through the desk, with `--strict` and progress; also from the TUI
//! palette) are built; procedures and PractitionerRole/Location resources are the rest of issue 4.

pub mod fhir;
pub mod synthea;
pub mod table;

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
