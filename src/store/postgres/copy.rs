//! The PostgreSQL side of `chartroom copy` (`store::copy`): the plan read from the catalog, the
//! emptiness check, `COPY … FROM STDIN` a batch per transaction, the sequences moved past the ids
//! copied, and the event that records the copy.

use super::{PgResult, PgStore, admin};

use crate::domain::audit::NewAuditEvent;
use crate::store::copy::{Chunk, Column, ColumnKind, CopyProgress, TablePlan, quoted};
use crate::store::{StoreError, StoreResult};
use futures_util::SinkExt;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;
use std::time::Instant;
use tokio_postgres::error::SqlState;

/// Tables a new database is given rows in by its migrations (the deficiency-type catalog, the
/// default policy, the change feed's counters, the seed fee schedules): the source's rows replace
/// them, since the source may have changed them.
const SEEDED: &[&str] = &["deficiency_type", "deficiency_policy", "change_counter", "fee_schedule"];

/// What a refusal calls the rows of a table a clerk would recognise.
fn rows_of(table: &str, n: i64) -> String {
    let (one, many) = match table {
        "patient" => ("patient", "patients"),
        "app_user" => ("user", "users"),
        "audit_event" => ("audit event", "audit events"),
        "encounter" => ("encounter", "encounters"),
        "facility" => ("facility", "facilities"),
        "roi_request" => ("release-of-information request", "release-of-information requests"),
        "requester" => ("requester", "requesters"),
        _ => return format!("{table} ({n} {})", if n == 1 { "row" } else { "rows" }),
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

impl PgStore {
    /// The target's tables in the order their foreign keys need (a table after those it refers
    /// to), with their columns as the catalog has them.
    pub(crate) fn copy_plan(&self) -> StoreResult<Vec<TablePlan>> {
        self.read((), |c, ()| {
            Box::pin(async move {
                let columns = c
                    .query(
                        "SELECT table_name::text, column_name::text, data_type::text, is_identity::text = 'YES'
                         FROM information_schema.columns c
                         JOIN pg_catalog.pg_tables t ON t.schemaname = c.table_schema AND t.tablename = c.table_name
                         WHERE c.table_schema = current_schema() AND c.table_name <> 'schema_version'
                         ORDER BY c.table_name, c.ordinal_position",
                        &[],
                    )
                    .await?;
                let mut tables: BTreeMap<String, TablePlan> = BTreeMap::new();
                for row in columns {
                    let (table, column, data_type, identity): (String, String, String, bool) =
                        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?, row.try_get(3)?);
                    let kind = ColumnKind::of_postgres(&data_type).ok_or_else(|| {
                        StoreError::Backend(format!(
                            "{table}.{column} is of type {data_type}, which copy does not know"
                        ))
                    })?;
                    let plan = tables.entry(table.clone()).or_insert_with(|| TablePlan {
                        name: table,
                        columns: Vec::new(),
                        identity: None,
                    });
                    if identity {
                        plan.identity = Some(column.clone());
                    }
                    plan.columns.push(Column { name: column, kind });
                }
                let references = c
                    .query(
                        "SELECT DISTINCT r.relname::text, t.relname::text
                         FROM pg_catalog.pg_constraint k
                         JOIN pg_catalog.pg_class r ON r.oid = k.conrelid
                         JOIN pg_catalog.pg_class t ON t.oid = k.confrelid
                         JOIN pg_catalog.pg_namespace n ON n.oid = k.connamespace
                         WHERE k.contype = 'f' AND n.nspname = current_schema()",
                        &[],
                    )
                    .await?;
                let mut needs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                for row in references {
                    let (table, referred): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                    // A table that refers to itself (a resident's supervisor) is checked at the end
                    // of each COPY statement, so its own order does not matter.
                    if table != referred {
                        needs.entry(table).or_default().insert(referred);
                    }
                }
                in_dependency_order(tables, &needs)
            })
        })
    }

    /// Refuses a database holding anything but what its migration seeded, naming what it holds.
    pub(crate) fn refuse_unless_empty(&self, plan: &[TablePlan]) -> StoreResult<()> {
        let tables: Vec<String> =
            plan.iter().map(|t| t.name.clone()).filter(|t| !SEEDED.contains(&t.as_str())).collect();
        let found = self.read(tables, |c, tables| {
            Box::pin(async move {
                let mut found = Vec::new();
                for table in tables {
                    let sql = format!("SELECT count(*) FROM {}", quoted(table));
                    let n: i64 = c.query_one(sql.as_str(), &[]).await?.try_get(0)?;
                    if n > 0 {
                        found.push((table.clone(), n));
                    }
                }
                Ok(found)
            })
        })?;
        if found.is_empty() {
            return Ok(());
        }
        // The rows a clerk would name first, then the rest by table.
        let first = ["patient", "app_user", "audit_event"];
        let mut named: Vec<String> = first
            .iter()
            .filter_map(|t| found.iter().find(|(name, _)| name == t))
            .map(|(t, n)| rows_of(t, *n))
            .collect();
        named.extend(found.iter().filter(|(t, _)| !first.contains(&t.as_str())).map(|(t, n)| rows_of(t, *n)));
        Err(StoreError::Unsupported(format!(
            "the PostgreSQL database ({}) is not empty: it holds {}. chartroom copies a store only into an empty \
             database, so nothing was copied; create a new database (createdb) and copy into that",
            self.target,
            named.join(", ")
        )))
    }

    /// Readies an empty database for the load, in one transaction: the foreign keys and the
    /// secondary indexes are set aside (returned, to be made again by [`PgStore::finish_copy`]),
    /// and the seeded rows make way for the source's. A foreign key checked row by row cost seven
    /// times the COPY itself (432,000 notes: 23.5 s with their three keys, 3.1 s without, 0.9 s to
    /// check all three at the end), and an index built once by sorting beats one grown a row at a
    /// time. Primary keys and unique constraints stay: they are what keeps a row from arriving twice.
    pub(crate) fn begin_copy(&self, plan: &[TablePlan]) -> StoreResult<SetAside> {
        let seeded: Vec<String> =
            plan.iter().map(|t| t.name.clone()).filter(|t| SEEDED.contains(&t.as_str())).collect();
        self.write(seeded, |tx, seeded| {
            Box::pin(async move {
                let mut aside = SetAside::default();
                let keys = tx
                    .query(
                        "SELECT r.relname::text, k.conname::text, pg_catalog.pg_get_constraintdef(k.oid)
                         FROM pg_catalog.pg_constraint k
                         JOIN pg_catalog.pg_class r ON r.oid = k.conrelid
                         JOIN pg_catalog.pg_namespace n ON n.oid = k.connamespace
                         WHERE k.contype = 'f' AND n.nspname = current_schema()
                         ORDER BY 1, 2",
                        &[],
                    )
                    .await?;
                for row in keys {
                    aside.foreign_keys.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
                }
                // Every index but those of a primary key or unique constraint.
                let indexes = tx
                    .query(
                        "SELECT t.relname::text, c.relname::text, pg_catalog.pg_get_indexdef(i.indexrelid)
                         FROM pg_catalog.pg_index i
                         JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
                         JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
                         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = current_schema()
                           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint k
                                           WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
                         ORDER BY 1, 2",
                        &[],
                    )
                    .await?;
                for row in indexes {
                    aside.indexes.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
                }
                for (table, name, _) in &aside.foreign_keys {
                    tx.batch_execute(&format!("ALTER TABLE {} DROP CONSTRAINT {}", quoted(table), quoted(name)))
                        .await?;
                }
                for (_, name, _) in &aside.indexes {
                    tx.batch_execute(&format!("DROP INDEX {}", quoted(name))).await?;
                }
                for table in seeded {
                    tx.batch_execute(&format!("DELETE FROM {}", quoted(table))).await?;
                }
                Ok(aside)
            })
        })
    }

    /// Writes the batches the reading thread sends, each with `COPY` in a transaction of its own,
    /// on one connection; returns the rows written per table of `plan`. `counts` are the source's,
    /// for progress.
    pub(crate) fn copy_rows(
        &self,
        plan: Vec<TablePlan>,
        counts: Vec<u64>,
        mut chunks: tokio::sync::mpsc::Receiver<Chunk>,
        mut progress: impl FnMut(CopyProgress) + Send + 'static,
    ) -> StoreResult<Vec<u64>> {
        self.run(move |mut client| {
            Box::pin(async move {
                // Instants arrive with their offset (`…Z`); any that did not would be read as UTC,
                // as the SQLite store reads them, not in the server's zone.
                client.batch_execute("SET TimeZone = 'UTC'").await?;
                let mut written = vec![0u64; plan.len()];
                let mut began: Vec<Option<Instant>> = vec![None; plan.len()];
                while let Some(chunk) = chunks.recv().await {
                    let table = match chunk {
                        Chunk::Begin { table } if table < plan.len() => table,
                        Chunk::Failed(e) => return Err(e.into()),
                        _ => return Err(out_of_turn().into()),
                    };
                    let began = *began[table].get_or_insert_with(Instant::now);
                    let tx = client.transaction().await?;
                    let mut sink = Box::pin(tx.copy_in::<_, Cursor<Vec<u8>>>(&plan[table].copy_sql()).await?);
                    let rows = loop {
                        match chunks.recv().await {
                            Some(Chunk::Rows(bytes)) => {
                                sink.send(Cursor::new(bytes)).await.map_err(|e| refused(&plan[table].name, e))?
                            }
                            Some(Chunk::End { rows }) => break rows,
                            Some(Chunk::Failed(e)) => return Err(e.into()),
                            _ => return Err(out_of_turn().into()),
                        }
                    };
                    let copied = sink.as_mut().finish().await.map_err(|e| refused(&plan[table].name, e))?;
                    if copied != rows {
                        return Err(StoreError::Backend(format!(
                            "PostgreSQL took {copied} rows of a batch of {rows} for {}",
                            plan[table].name
                        ))
                        .into());
                    }
                    tx.commit().await?;
                    written[table] += copied;
                    progress(CopyProgress::Rows {
                        table: plan[table].name.clone(),
                        rows: written[table],
                        of: counts[table],
                        elapsed: began.elapsed(),
                    });
                }
                client.batch_execute("RESET TimeZone").await?;
                Ok(written)
            })
        })
    }

    /// Makes again what [`PgStore::begin_copy`] set aside: each index by one sort of its table,
    /// each foreign key checked by one query over its table (a row that refers to nothing fails the
    /// copy here, naming the key); then vacuums and analyzes every table, for the planner's
    /// statistics and the visibility map that lets a birth-date search rank from its index alone.
    /// Indexes and vacuums go two at a time, on two connections: each is one process's sort or scan
    /// of one table, and a server has more than one core. `rows` weighs the tables.
    pub(crate) fn finish_copy(&self, aside: SetAside, rows: &BTreeMap<String, u64>) -> StoreResult<()> {
        let started = Instant::now();
        let weight = |table: &String| rows.get(table).copied().unwrap_or(0);
        let builds = two_lanes(aside.indexes, |(table, _, _)| weight(table));
        self.run_lanes(builds.map(|lane| lane.into_iter().map(|(_, _, definition)| definition).collect()))?;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "copy: indexes built");
        // One at a time: adding a key locks both its tables, and two at once could wait on each other.
        let keys = aside.foreign_keys;
        self.run(move |c| {
            Box::pin(async move {
                // Each check is one join of two whole tables: the one query of this session worth
                // the parallel workers a clerk's session goes without.
                c.batch_execute("SET max_parallel_workers_per_gather = 2").await?;
                for (table, name, definition) in &keys {
                    let sql = format!("ALTER TABLE {} ADD CONSTRAINT {} {definition}", quoted(table), quoted(name));
                    match c.batch_execute(&sql).await {
                        Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => {
                            return Err(StoreError::Backend(format!(
                                "rows of {table} refer to rows the store does not hold ({name}: {definition})"
                            ))
                            .into());
                        }
                        other => other?,
                    }
                }
                c.batch_execute("RESET max_parallel_workers_per_gather").await?;
                Ok(())
            })
        })?;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "copy: foreign keys checked");
        let tables: Vec<String> = rows.keys().cloned().collect();
        let vacuums = two_lanes(tables, weight);
        self.run_lanes(vacuums.map(|lane| lane.iter().map(|t| format!("VACUUM (ANALYZE) {}", quoted(t))).collect()))?;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "copy: vacuumed and analyzed");
        Ok(())
    }

    /// Runs each lane's statements in order on a connection of its own, the lanes at once.
    fn run_lanes(&self, lanes: [Vec<String>; 2]) -> StoreResult<()> {
        std::thread::scope(|scope| {
            let running: Vec<_> = lanes
                .into_iter()
                .map(|statements| {
                    scope.spawn(move || {
                        self.run(move |c| {
                            Box::pin(async move {
                                // Each sort in memory where it fits: for this session's builds only.
                                c.batch_execute("SET maintenance_work_mem = '256MB'").await?;
                                for sql in &statements {
                                    c.batch_execute(sql).await?;
                                }
                                c.batch_execute("RESET maintenance_work_mem").await?;
                                Ok(())
                            })
                        })
                    })
                })
                .collect();
            running.into_iter().try_for_each(|lane| {
                lane.join().map_err(|_| StoreError::Backend("a thread of the copy's last steps failed".into()))?
            })
        })
    }

    /// How many rows each table of `plan` holds.
    pub(crate) fn table_counts(&self, plan: &[TablePlan]) -> StoreResult<Vec<u64>> {
        let tables: Vec<String> = plan.iter().map(|t| t.name.clone()).collect();
        self.read(tables, |c, tables| {
            Box::pin(async move {
                let mut counts = Vec::with_capacity(tables.len());
                for table in tables {
                    let sql = format!("SELECT count(*) FROM {}", quoted(table));
                    let n: i64 = c.query_one(sql.as_str(), &[]).await?.try_get(0)?;
                    counts.push(n.max(0) as u64);
                }
                Ok(counts)
            })
        })
    }

    /// Moves every identity sequence past the greatest id copied (the next row made here must not
    /// take a copied row's id) and records the copy, in one transaction.
    pub(crate) fn seal_copy(&self, plan: &[TablePlan], audit: NewAuditEvent) -> StoreResult<()> {
        let identities: Vec<(String, String)> =
            plan.iter().filter_map(|t| Some((t.name.clone(), t.identity.clone()?))).collect();
        self.write((identities, audit), |tx, (identities, audit)| {
            Box::pin(async move {
                for (table, column) in identities {
                    // is_called = false: the next value is exactly greatest + 1 (1 for an empty table).
                    let sql = format!(
                        "SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max({}), 0) + 1, false) FROM {}",
                        quoted(column),
                        quoted(table)
                    );
                    tx.query_one(sql.as_str(), &[&quoted(table), column]).await?;
                }
                admin::append_audit(tx, audit).await
            })
        })
    }
}

/// What a copy sets aside while it loads, as the catalog words it: foreign keys (table, name,
/// definition) and indexes.
#[derive(Debug, Default)]
pub(crate) struct SetAside {
    foreign_keys: Vec<(String, String, String)>,
    /// Indexes: (table, name, definition).
    indexes: Vec<(String, String, String)>,
}

/// Splits `items` into two lanes of about equal weight, the heaviest placed first.
pub(crate) fn two_lanes<T>(mut items: Vec<T>, weight: impl Fn(&T) -> u64) -> [Vec<T>; 2] {
    items.sort_by_key(|item| std::cmp::Reverse(weight(item)));
    let mut lanes: [(u64, Vec<T>); 2] = [(0, Vec::new()), (0, Vec::new())];
    for item in items {
        let lighter = if lanes[0].0 <= lanes[1].0 { 0 } else { 1 };
        lanes[lighter].0 += weight(&item);
        lanes[lighter].1.push(item);
    }
    let [(_, first), (_, second)] = lanes;
    [first, second]
}

/// A COPY the server refused, by table and column: `copying facility.inactivated_on: date/time
/// field value out of range: "2025-02-30"`. A lost connection stays what it is.
fn refused(table: &str, e: tokio_postgres::Error) -> super::PgError {
    let Some(db) = e.as_db_error() else { return super::PgError::Db(e) };
    // PostgreSQL's context reads `COPY facility, line 1, column inactivated_on: "2025-02-30"`.
    let column = db
        .where_()
        .and_then(|w| w.split(", column ").nth(1))
        .and_then(|rest| rest.split(':').next())
        .map(|c| format!(".{c}"))
        .unwrap_or_default();
    StoreError::Backend(format!("copying {table}{column}: {}", super::describe(&e))).into()
}

fn out_of_turn() -> StoreError {
    StoreError::Backend("the copy's rows arrived out of turn".into())
}

/// Orders `tables` so that each comes after every table it refers to; ties alphabetically, so the
/// order is the same on every run.
fn in_dependency_order(
    mut tables: BTreeMap<String, TablePlan>,
    needs: &BTreeMap<String, BTreeSet<String>>,
) -> PgResult<Vec<TablePlan>> {
    let mut ordered: Vec<TablePlan> = Vec::with_capacity(tables.len());
    let mut placed: BTreeSet<String> = BTreeSet::new();
    while !tables.is_empty() {
        let ready: Option<String> = tables
            .keys()
            .find(|name| {
                needs.get(*name).is_none_or(|n| n.iter().all(|r| placed.contains(r) || !tables.contains_key(r)))
            })
            .cloned();
        let Some(name) = ready else {
            let left: Vec<&str> = tables.keys().map(String::as_str).collect();
            return Err(StoreError::Backend(format!(
                "the tables {} refer to each other in a circle; copy cannot order them",
                left.join(", ")
            ))
            .into());
        };
        if let Some(plan) = tables.remove(&name) {
            ordered.push(plan);
        }
        placed.insert(name);
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::two_lanes;

    #[test]
    fn two_lanes_share_the_weight() {
        let [a, b] =
            two_lanes(vec![("notes", 43), ("visits", 30), ("patients", 10), ("volumes", 5), ("users", 0)], |t| t.1);
        assert_eq!(a, [("notes", 43), ("users", 0)]);
        assert_eq!(b, [("visits", 30), ("patients", 10), ("volumes", 5)]);
    }
}
