//! Records from other systems (`Store::apply_import`, `Store::has_imported`) on PostgreSQL.
//!
//! Not built yet: the PostgreSQL import task fills this in, mirroring `sqlite/import.rs`. Until
//! then each call is refused in words, so a program on this store fails clearly, never silently.

use super::PgResult;
use crate::store::StoreError;
use crate::store::imports::{ImportBatch, ImportCounts, SourceRecord};
use deadpool_postgres::{GenericClient, Transaction};

fn unbuilt(what: &str) -> StoreError {
    StoreError::Backend(format!("{what} is not built on PostgreSQL yet"))
}

/// Writes an import batch with its audit event in the caller's transaction.
pub(super) async fn apply(_tx: &Transaction<'_>, _batch: &ImportBatch) -> PgResult<ImportCounts> {
    Err(unbuilt("importing records").into())
}

pub(super) async fn has_imported(
    _c: &impl GenericClient,
    _record: SourceRecord,
    _system: &str,
    _source_id: &str,
) -> PgResult<bool> {
    Err(unbuilt("finding an imported record").into())
}
