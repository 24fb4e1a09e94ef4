//! Moving a department's SQLite store into PostgreSQL (`chartroom copy`): who may, and what the
//! target's audit trail says about it. The moving itself is the store's (`store::copy`).

use super::{Clock, DeskError, DeskResult};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::role::{Permission, allows};
use crate::store::copy::{CopyProgress, CopyReport, SqliteSource, TableCount};
use crate::store::postgres::PgStore;
use std::path::Path;

/// Who copies, from where, in what batches.
pub struct CopyRequest<'a> {
    /// The OS account running the copy: a Director of HIM in the store being copied.
    pub username: &'a str,
    /// The session's source for the audit trail (`local`, `ssh 203.0.113.5`).
    pub session_source: &'a str,
    pub source: &'a Path,
    pub batch_rows: usize,
}

/// Copies the SQLite store at `request.source` into `target`, an empty database. A whole store is
/// every patient's record, so only a user the source store holds as able to administer it (a
/// Director of HIM) may; the copy is recorded in the target's audit trail, with the counts and
/// no patient's data.
pub fn copy_to_postgres(
    request: &CopyRequest<'_>,
    target: &PgStore,
    clock: &dyn Clock,
    progress: impl FnMut(CopyProgress) + Send + 'static,
) -> DeskResult<CopyReport> {
    let source = SqliteSource::open(request.source)?;
    let roles = source.enabled_user_roles(request.username)?.ok_or_else(|| {
        DeskError::NotFound(format!(
            "the account {:?} is not an enabled chartroom user of the store at {}; a Director of HIM of that store \
             copies it",
            request.username,
            request.source.display()
        ))
    })?;
    if !allows(&roles, Permission::AdministerStore) {
        return Err(DeskError::Forbidden {
            user: request.username.to_string(),
            permission: Permission::AdministerStore,
        });
    }
    let from = format!("the SQLite store at {} (schema version {})", request.source.display(), source.schema_version());
    let into = format!("PostgreSQL {}", target.target());
    let started = clock.now();
    let audit = |tables: &[TableCount]| NewAuditEvent {
        at: clock.now(),
        username: request.username.to_string(),
        source: request.session_source.to_string(),
        action: AuditAction::Create,
        entity: "store".into(),
        entity_id: None,
        patient_id: None,
        provider_id: None,
        detail: copy_detail(&from, &into, tables, (clock.now() - started).num_seconds()),
    };
    Ok(crate::store::copy::copy(source, target, request.batch_rows, audit, progress)?)
}

/// `copied from … into …: 9412123 rows in 32 tables in 154 s (patient 1005090, …); empty: …`
fn copy_detail(from: &str, into: &str, tables: &[TableCount], seconds: i64) -> String {
    let rows: u64 = tables.iter().map(|t| t.target).sum();
    let held: Vec<String> =
        tables.iter().filter(|t| t.target > 0).map(|t| format!("{} {}", t.table, t.target)).collect();
    let empty: Vec<&str> = tables.iter().filter(|t| t.target == 0).map(|t| t.table.as_str()).collect();
    let mut detail = format!(
        "copied {from} into {into}: {rows} {} in {} {} in {seconds} s ({})",
        if rows == 1 { "row" } else { "rows" },
        tables.len(),
        if tables.len() == 1 { "table" } else { "tables" },
        held.join(", ")
    );
    if !empty.is_empty() {
        detail.push_str(&format!("; empty: {}", empty.join(", ")));
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_counts_every_table_and_names_no_patient() {
        let tables = [
            TableCount { table: "patient".into(), source: 2, target: 2 },
            TableCount { table: "aging_pause".into(), source: 0, target: 0 },
            TableCount { table: "audit_event".into(), source: 1, target: 1 },
        ];
        assert_eq!(
            copy_detail("the SQLite store at /d/chartroom.db (schema version 11)", "PostgreSQL h:5432", &tables, 3),
            "copied the SQLite store at /d/chartroom.db (schema version 11) into PostgreSQL h:5432: 3 rows in 3 tables \
             in 3 s (patient 2, audit_event 1); empty: aging_pause"
        );
    }
}
