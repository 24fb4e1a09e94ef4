//! Moving a whole SQLite store into an empty PostgreSQL database (`chartroom copy`).
//!
//! Persistence only: which tables, in which order, how a value of one engine becomes a value of the
//! other, and a count check at the end. Who may copy and what the audit event says are the desk's
//! (`desk::copy`).
//!
//! The target's catalog is the plan: its tables in the order their foreign keys need, its columns
//! and their types. Every table and column of the source must be in it and every one of it in the
//! source, or nothing is copied: a table left behind would be data lost without a word.
//!
//! The source is read in one read transaction, so the copy is the store as it was at one instant
//! even if a clerk writes to it meanwhile (what they write after that is not in the copy). Rows go
//! to the server with `COPY … FROM STDIN` in PostgreSQL's text format, one transaction per batch of
//! rows, ids kept; a thread reads and encodes the SQLite rows while the server writes the last
//! chunk.

use super::postgres::{PgStore, two_lanes};
use super::{StoreError, StoreResult};
use crate::domain::audit::NewAuditEvent;
use crate::domain::role::Role;
use rusqlite::types::ValueRef;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Rows per transaction unless the caller says otherwise: large enough that a commit costs nothing
/// beside the rows, small enough that a failure loses little work and a progress line comes often.
pub const DEFAULT_BATCH_ROWS: usize = 100_000;

/// Encoded rows are handed to the server in chunks of about this many bytes.
const CHUNK_BYTES: usize = 1 << 20;

/// How a column's values are written for PostgreSQL. SQLite keeps dates and instants as ISO 8601
/// text (`2025-03-03`, `2025-03-03T02:00:00Z`), which PostgreSQL reads as `date` and
/// `timestamptz`; flags are integers 0 and 1, which become `f` and `t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Integer,
    Boolean,
    Text,
    Date,
    Instant,
}

impl ColumnKind {
    /// The kind of a PostgreSQL column, from `information_schema.columns.data_type`.
    pub fn of_postgres(data_type: &str) -> Option<Self> {
        match data_type {
            "bigint" | "integer" | "smallint" => Some(Self::Integer),
            "boolean" => Some(Self::Boolean),
            "text" | "character varying" => Some(Self::Text),
            "date" => Some(Self::Date),
            "timestamp with time zone" => Some(Self::Instant),
            _ => None,
        }
    }

    fn wants(self) -> &'static str {
        match self {
            Self::Integer => "an integer",
            Self::Boolean => "a flag (0 or 1)",
            Self::Text => "text",
            Self::Date => "a date",
            Self::Instant => "an instant",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

/// One table to copy, as the target has it.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub name: String,
    pub columns: Vec<Column>,
    /// The identity column (`id`), whose sequence is moved past the ids copied.
    pub identity: Option<String>,
}

impl TablePlan {
    fn column_list(&self) -> String {
        self.columns.iter().map(|c| quoted(&c.name)).collect::<Vec<_>>().join(", ")
    }

    /// The statement that reads the table from SQLite, in id order where it has one (the order
    /// rows were made, which also keeps the target's id index appending).
    fn select_sql(&self) -> String {
        let order = match &self.identity {
            Some(id) => format!(" ORDER BY {}", quoted(id)),
            None => String::new(),
        };
        format!("SELECT {} FROM {}{order}", self.column_list(), quoted(&self.name))
    }

    /// The statement that writes it into PostgreSQL.
    pub fn copy_sql(&self) -> String {
        format!("COPY {} ({}) FROM STDIN", quoted(&self.name), self.column_list())
    }
}

/// `"name"`: names come from the target's catalog, quoted all the same.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// What the reading thread hands the writer: a batch begins, its rows in chunks, it ends.
pub(crate) enum Chunk {
    Begin { table: usize },
    Rows(Vec<u8>),
    End { rows: u64 },
    Failed(StoreError),
}

/// How far a copy is.
#[derive(Debug, Clone)]
pub enum CopyProgress {
    /// A batch of a table's rows written and committed.
    Rows {
        table: String,
        /// Rows of the table committed so far, and how many it has in all.
        rows: u64,
        of: u64,
        /// Since the table's first batch began.
        elapsed: Duration,
    },
    /// Every row is in; the indexes the load dropped are being built, then the tables analyzed.
    BuildingIndexes,
}

/// One table's count check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub source: u64,
    pub target: u64,
}

#[derive(Debug, Clone)]
pub struct CopyReport {
    pub tables: Vec<TableCount>,
    pub elapsed: Duration,
}

impl CopyReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.target).sum()
    }
}

/// A SQLite store opened to be copied: read-only, at this program's schema version.
pub struct SqliteSource {
    conn: rusqlite::Connection,
    path: PathBuf,
    version: i64,
}

impl SqliteSource {
    /// Opens the store at `path` read-only. A store behind this program's schema is refused (the
    /// copy would not be the schema the target is at), and so is one ahead of it.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if !path.is_file() {
            return Err(StoreError::NotFound(format!("a SQLite store at {}", path.display())));
        }
        let conn = super::sqlite::open_reader(path)?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(sqlite_err)?;
        let known = super::sqlite::schema::current_version();
        if version == 0 {
            return Err(StoreError::Corrupt(format!("{} has no chartroom schema", path.display())));
        }
        if version > known {
            return Err(StoreError::TooNew { found: version, known });
        }
        if version < known {
            return Err(StoreError::Unsupported(format!(
                "the SQLite store at {} is at schema version {version}, older than this chartroom's ({known}): open \
                 it with chartroom once to upgrade it (for example `chartroom --data-dir {} search 1`), then copy it",
                path.display(),
                path.parent().unwrap_or(Path::new(".")).display()
            )));
        }
        Ok(Self { conn, path: path.to_path_buf(), version })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn schema_version(&self) -> i64 {
        self.version
    }

    /// The roles of an enabled user of the source store, or None: who may copy it is the desk's
    /// question, asked of the store being copied.
    pub fn enabled_user_roles(&self, username: &str) -> StoreResult<Option<Vec<Role>>> {
        let enabled: Option<bool> = self
            .conn
            .query_row("SELECT enabled FROM app_user WHERE username = ?1", [username], |r| r.get(0))
            .map(Some)
            .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
            .map_err(sqlite_err)?;
        if enabled != Some(true) {
            return Ok(None);
        }
        let mut stmt = self
            .conn
            .prepare("SELECT r.role FROM user_role r JOIN app_user u ON u.id = r.user_id WHERE u.username = ?1")
            .map_err(sqlite_err)?;
        let codes = stmt.query_map([username], |r| r.get::<_, String>(0)).map_err(sqlite_err)?;
        let mut roles = Vec::new();
        for code in codes {
            if let Ok(role) = Role::parse(&code.map_err(sqlite_err)?) {
                roles.push(role);
            }
        }
        Ok(Some(roles))
    }

    /// The source's tables (less SQLite's own) and their columns.
    fn tables(&self) -> StoreResult<BTreeMap<String, Vec<String>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .map_err(sqlite_err)?;
        let names: Vec<String> =
            stmt.query_map([], |r| r.get(0)).map_err(sqlite_err)?.collect::<Result<_, _>>().map_err(sqlite_err)?;
        let mut tables = BTreeMap::new();
        for name in names {
            let mut columns = self.conn.prepare("SELECT name FROM pragma_table_info(?1)").map_err(sqlite_err)?;
            let columns: Vec<String> = columns
                .query_map([&name], |r| r.get(0))
                .map_err(sqlite_err)?
                .collect::<Result<_, _>>()
                .map_err(sqlite_err)?;
            tables.insert(name, columns);
        }
        Ok(tables)
    }

    fn count(&self, table: &str) -> StoreResult<u64> {
        let n: i64 = self
            .conn
            .query_row(&format!("SELECT count(*) FROM {}", quoted(table)), [], |r| r.get(0))
            .map_err(sqlite_err)?;
        Ok(n.max(0) as u64)
    }
}

fn sqlite_err(e: rusqlite::Error) -> StoreError {
    StoreError::Backend(format!("reading the SQLite store: {e}"))
}

/// Checks that the two schemas hold the same tables and columns; the differences, if any.
fn schema_differences(plan: &[TablePlan], source: &BTreeMap<String, Vec<String>>) -> Vec<String> {
    let mut differences = Vec::new();
    for table in plan {
        match source.get(&table.name) {
            None => differences.push(format!("table {} is not in the SQLite store", table.name)),
            Some(columns) => {
                for c in &table.columns {
                    if !columns.contains(&c.name) {
                        differences.push(format!("{}.{} is not in the SQLite store", table.name, c.name));
                    }
                }
                for c in columns {
                    if !table.columns.iter().any(|t| &t.name == c) {
                        differences.push(format!("{}.{c} is not in the PostgreSQL database", table.name));
                    }
                }
            }
        }
    }
    for name in source.keys() {
        if !plan.iter().any(|t| &t.name == name) {
            differences.push(format!("table {name} is not in the PostgreSQL database"));
        }
    }
    differences
}

/// Copies the whole store `source` into `target`, an empty database (brought to this program's
/// schema first). `audit` makes the event that records the copy from the count check; it is
/// written in the last transaction, with the identity sequences moved past the ids copied, once
/// every table's count matches. `progress` hears of every batch committed.
pub fn copy(
    source: SqliteSource,
    target: &PgStore,
    batch_rows: usize,
    audit: impl FnOnce(&[TableCount]) -> NewAuditEvent,
    progress: impl FnMut(CopyProgress) + Send + 'static,
) -> StoreResult<CopyReport> {
    let started = Instant::now();
    target.migrate()?;
    let plan = target.copy_plan()?;
    let differences = schema_differences(&plan, &source.tables()?);
    if !differences.is_empty() {
        return Err(StoreError::Backend(format!(
            "the SQLite store and the PostgreSQL schema differ, so a copy would lose data; nothing was copied: {}",
            differences.join("; ")
        )));
    }
    target.refuse_unless_empty(&plan)?;

    // One snapshot of the source from here to the last row read: the counts and the rows agree.
    source.conn.execute_batch("BEGIN").map_err(sqlite_err)?;
    let counts: Vec<u64> = plan.iter().map(|t| source.count(&t.name)).collect::<StoreResult<_>>()?;

    let aside = target.begin_copy(&plan)?;
    // From here a failure leaves part of a store behind, and says so.
    let tables = load(source, target, &plan, &counts, aside, batch_rows, progress).map_err(|e| {
        let said = match &e {
            StoreError::Backend(text) => text.clone(),
            other => other.to_string(),
        };
        StoreError::Backend(format!(
            "{said}. The PostgreSQL database now holds part of the store and must not be used: drop it, create it \
             again and copy again"
        ))
    })?;
    target.seal_copy(&plan, audit(&tables))?;
    Ok(CopyReport { tables, elapsed: started.elapsed() })
}

/// Copies every row, builds what the load set aside, and checks the counts: the tables' counts, or
/// why they could not be made to agree.
fn load(
    source: SqliteSource,
    target: &PgStore,
    plan: &[TablePlan],
    counts: &[u64],
    aside: super::postgres::SetAside,
    batch_rows: usize,
    progress: impl FnMut(CopyProgress) + Send + 'static,
) -> StoreResult<Vec<TableCount>> {
    let batch_rows = batch_rows.max(1) as u64;
    // Two lanes of tables, about equal in rows, each written on a connection of its own: the server
    // spends a core on each COPY, and with the keys set aside no table waits for another. One
    // thread reads both lanes from the one snapshot.
    let lanes = two_lanes((0..plan.len()).collect(), |t| counts[*t]);
    let (first, first_rx) = tokio::sync::mpsc::channel::<Chunk>(8);
    let (second, second_rx) = tokio::sync::mpsc::channel::<Chunk>(8);
    let reader_plan = plan.to_vec();
    let reader_lanes = lanes.clone();
    let reader = std::thread::Builder::new()
        .name("chartroom-copy-reader".into())
        .spawn(move || read_tables(source, &reader_plan, reader_lanes, batch_rows, [first, second]))?;
    let progress = std::sync::Arc::new(std::sync::Mutex::new(progress));
    let tell = || {
        let progress = progress.clone();
        move |step| {
            if let Ok(mut progress) = progress.lock() {
                progress(step)
            }
        }
    };
    let lanes_written: Vec<StoreResult<Vec<u64>>> = std::thread::scope(|scope| {
        let writers: Vec<_> = [first_rx, second_rx]
            .into_iter()
            .map(|receiver| {
                let tell = tell();
                scope.spawn(move || target.copy_rows(plan.to_vec(), counts.to_vec(), receiver, tell))
            })
            .collect();
        writers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Err(StoreError::Backend("a thread writing the copy failed".into()))))
            .collect()
    });
    let read =
        reader.join().unwrap_or_else(|_| Err(StoreError::Backend("the thread reading the SQLite store failed".into())));
    let mut written = vec![0u64; plan.len()];
    let mut failures = Vec::new();
    for lane in lanes_written {
        match lane {
            Ok(lane) => written.iter_mut().zip(lane).for_each(|(total, n)| *total += n),
            Err(e) => failures.push(e),
        }
    }
    failures.extend(read.err());
    // When one side fails the others stop for it: the failure told is the one that was not a stop.
    if let Some(first) = failures.iter().position(|e| !is_writer_gone(e)) {
        return Err(failures.swap_remove(first));
    }
    if let Some(failure) = failures.pop() {
        return Err(failure);
    }

    // The indexes dropped for the load are built again before anything is counted or recorded.
    if let Ok(mut progress) = progress.lock() {
        progress(CopyProgress::BuildingIndexes);
    }
    let rows: std::collections::BTreeMap<String, u64> =
        plan.iter().zip(counts).map(|(t, n)| (t.name.clone(), *n)).collect();
    target.finish_copy(aside, &rows)?;
    let target_counts = target.table_counts(plan)?;
    let tables: Vec<TableCount> = plan
        .iter()
        .zip(counts.iter().zip(&target_counts))
        .map(|(t, (source, target))| TableCount { table: t.name.clone(), source: *source, target: *target })
        .collect();
    let mismatched: Vec<String> = tables
        .iter()
        .zip(&written)
        .filter(|(t, written)| t.source != t.target || t.target != **written)
        .map(|(t, written)| {
            format!(
                "{}: {} rows in the SQLite store, {} in PostgreSQL ({} written)",
                t.table, t.source, t.target, written
            )
        })
        .collect();
    if !mismatched.is_empty() {
        return Err(StoreError::Backend(format!("the copy is incomplete: {}", mismatched.join("; "))));
    }
    Ok(tables)
}

/// Reads every table of `plan`, in the source's read transaction, and hands its rows on in
/// batches to the writer of its lane (`lanes` holds indexes of `plan`). Stops at the first failure
/// (said to both writers), or when a writer is gone.
fn read_tables(
    source: SqliteSource,
    plan: &[TablePlan],
    lanes: [Vec<usize>; 2],
    batch_rows: u64,
    senders: [tokio::sync::mpsc::Sender<Chunk>; 2],
) -> StoreResult<()> {
    let outcome = read_all(&source, plan, lanes, batch_rows, &senders);
    if let Err(e) = &outcome {
        // A writer may be gone already (it failed first); then it has its own error to tell.
        for sender in &senders {
            let _ = sender.blocking_send(Chunk::Failed(restate(e)));
        }
    }
    let _ = source.conn.execute_batch("COMMIT");
    outcome
}

/// The same error again, for the writer to stop with while the reader returns its own.
fn restate(e: &StoreError) -> StoreError {
    match e {
        StoreError::Backend(text) => StoreError::Backend(text.clone()),
        StoreError::Corrupt(text) => StoreError::Corrupt(text.clone()),
        other => StoreError::Backend(other.to_string()),
    }
}

/// What the reader says when a writer stopped taking chunks: that writer failed, and says why.
const WRITER_GONE: &str = "the PostgreSQL side of the copy stopped";

fn writer_gone() -> StoreError {
    StoreError::Backend(WRITER_GONE.into())
}

fn is_writer_gone(e: &StoreError) -> bool {
    matches!(e, StoreError::Backend(text) if text == WRITER_GONE)
}

/// A lane's table being read: its statement's rows and the batch they are filling.
struct Reading<'s> {
    table: usize,
    rows: rusqlite::Rows<'s>,
    in_batch: u64,
    buffer: Vec<u8>,
}

fn read_all(
    source: &SqliteSource,
    plan: &[TablePlan],
    lanes: [Vec<usize>; 2],
    batch_rows: u64,
    senders: &[tokio::sync::mpsc::Sender<Chunk>; 2],
) -> StoreResult<()> {
    let mut statements: Vec<Option<rusqlite::Statement<'_>>> = plan
        .iter()
        .map(|t| source.conn.prepare(&t.select_sql()).map(Some))
        .collect::<Result<_, _>>()
        .map_err(sqlite_err)?;
    // Each lane's statements, in its order, lent to it whole.
    let mut queues: [std::collections::VecDeque<(usize, &mut rusqlite::Statement<'_>)>; 2] = Default::default();
    let mut lent: Vec<Option<&mut rusqlite::Statement<'_>>> = statements.iter_mut().map(Option::as_mut).collect();
    for (queue, lane) in queues.iter_mut().zip(&lanes) {
        for &table in lane {
            if let Some(statement) = lent.get_mut(table).and_then(Option::take) {
                queue.push_back((table, statement));
            }
        }
    }
    let mut reading: [Option<Reading<'_>>; 2] = [None, None];
    loop {
        let mut busy = false;
        // A chunk for each lane in turn, so both writers have work.
        for lane in 0..2 {
            if reading[lane].is_none()
                && let Some((table, statement)) = queues[lane].pop_front()
            {
                let rows = statement.query([]).map_err(sqlite_err)?;
                reading[lane] =
                    Some(Reading { table, rows, in_batch: 0, buffer: Vec::with_capacity(CHUNK_BYTES + 64 * 1024) });
            }
            let Some(current) = reading[lane].as_mut() else { continue };
            busy = true;
            let send = |chunk: Chunk| senders[lane].blocking_send(chunk).map_err(|_| writer_gone());
            if !read_chunk(current, &plan[current.table], batch_rows, send)? {
                reading[lane] = None;
            }
        }
        if !busy {
            return Ok(());
        }
    }
}

/// Reads rows of `table` into its buffer until a chunk is full, the batch complete or the table
/// read, and sends what that made. Whether the table has rows left.
fn read_chunk(
    current: &mut Reading<'_>,
    table: &TablePlan,
    batch_rows: u64,
    send: impl Fn(Chunk) -> StoreResult<()>,
) -> StoreResult<bool> {
    loop {
        let Some(row) = current.rows.next().map_err(sqlite_err)? else {
            if current.in_batch > 0 {
                if !current.buffer.is_empty() {
                    send(Chunk::Rows(std::mem::take(&mut current.buffer)))?;
                }
                send(Chunk::End { rows: current.in_batch })?;
            }
            return Ok(false);
        };
        if current.in_batch == 0 {
            send(Chunk::Begin { table: current.table })?;
        }
        for (i, column) in table.columns.iter().enumerate() {
            if i > 0 {
                current.buffer.push(b'\t');
            }
            let value = row.get_ref(i).map_err(sqlite_err)?;
            encode(value, column.kind, &mut current.buffer).map_err(|found| {
                StoreError::Corrupt(format!(
                    "{}.{} holds {found} where PostgreSQL wants {}",
                    table.name,
                    column.name,
                    column.kind.wants()
                ))
            })?;
        }
        current.buffer.push(b'\n');
        current.in_batch += 1;
        if current.in_batch == batch_rows {
            send(Chunk::Rows(std::mem::replace(&mut current.buffer, Vec::with_capacity(CHUNK_BYTES + 64 * 1024))))?;
            send(Chunk::End { rows: current.in_batch })?;
            current.in_batch = 0;
            return Ok(true);
        }
        if current.buffer.len() >= CHUNK_BYTES {
            send(Chunk::Rows(std::mem::replace(&mut current.buffer, Vec::with_capacity(CHUNK_BYTES + 64 * 1024))))?;
            return Ok(true);
        }
    }
}

/// Writes one value in COPY's text format: `\N` for NULL, backslash escapes for the characters that
/// separate fields and rows. Err names what the source held instead of what the column wants.
pub(crate) fn encode(value: ValueRef<'_>, kind: ColumnKind, out: &mut Vec<u8>) -> Result<(), &'static str> {
    match (value, kind) {
        (ValueRef::Null, _) => out.extend_from_slice(b"\\N"),
        (ValueRef::Integer(n), ColumnKind::Integer) => {
            let _ = write!(out, "{n}");
        }
        (ValueRef::Integer(0), ColumnKind::Boolean) => out.push(b'f'),
        (ValueRef::Integer(1), ColumnKind::Boolean) => out.push(b't'),
        (ValueRef::Integer(_), ColumnKind::Boolean) => return Err("an integer other than 0 and 1"),
        (ValueRef::Text(text), ColumnKind::Text | ColumnKind::Date | ColumnKind::Instant) => escape(text, out),
        (ValueRef::Integer(_), _) => return Err("an integer"),
        (ValueRef::Text(_), _) => return Err("text"),
        (ValueRef::Real(_), _) => return Err("a real number"),
        (ValueRef::Blob(_), _) => return Err("binary data"),
    }
    Ok(())
}

fn escape(text: &[u8], out: &mut Vec<u8>) {
    if !text.iter().any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) {
        out.extend_from_slice(text);
        return;
    }
    for &b in text {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: ValueRef<'_>, kind: ColumnKind) -> Result<String, &'static str> {
        let mut out = Vec::new();
        encode(value, kind, &mut out).map(|()| String::from_utf8(out).unwrap())
    }

    #[test]
    fn values_are_written_in_copys_text_format() {
        assert_eq!(encoded(ValueRef::Null, ColumnKind::Text).unwrap(), "\\N");
        assert_eq!(encoded(ValueRef::Integer(-42), ColumnKind::Integer).unwrap(), "-42");
        assert_eq!(encoded(ValueRef::Integer(1), ColumnKind::Boolean).unwrap(), "t");
        assert_eq!(encoded(ValueRef::Integer(0), ColumnKind::Boolean).unwrap(), "f");
        assert_eq!(
            encoded(ValueRef::Text(b"2025-03-03T02:00:00Z"), ColumnKind::Instant).unwrap(),
            "2025-03-03T02:00:00Z"
        );
        // A note's text keeps its tabs, line breaks and backslashes.
        assert_eq!(
            encoded(ValueRef::Text(b"a\tb\nc\r\\N"), ColumnKind::Text).unwrap(),
            "a\\tb\\nc\\r\\\\N",
            "a backslash-N in text is text, not NULL"
        );
    }

    #[test]
    fn a_value_of_another_kind_is_refused_by_what_it_is() {
        assert_eq!(encoded(ValueRef::Integer(2), ColumnKind::Boolean), Err("an integer other than 0 and 1"));
        assert_eq!(encoded(ValueRef::Text(b"12"), ColumnKind::Integer), Err("text"));
        assert_eq!(encoded(ValueRef::Integer(7), ColumnKind::Date), Err("an integer"));
        assert_eq!(encoded(ValueRef::Real(1.5), ColumnKind::Integer), Err("a real number"));
        assert_eq!(encoded(ValueRef::Blob(b"x"), ColumnKind::Text), Err("binary data"));
    }

    #[test]
    fn the_two_schemas_must_hold_the_same_tables_and_columns() {
        let plan = vec![TablePlan {
            name: "patient".into(),
            columns: vec![
                Column { name: "id".into(), kind: ColumnKind::Integer },
                Column { name: "mrn".into(), kind: ColumnKind::Text },
            ],
            identity: Some("id".into()),
        }];
        let mut source = BTreeMap::new();
        source.insert("patient".to_string(), vec!["id".to_string(), "mrn".to_string()]);
        assert!(schema_differences(&plan, &source).is_empty());
        source.insert("patient".to_string(), vec!["id".to_string(), "legacy".to_string()]);
        source.insert("extra".to_string(), vec![]);
        assert_eq!(
            schema_differences(&plan, &source),
            [
                "patient.mrn is not in the SQLite store",
                "patient.legacy is not in the PostgreSQL database",
                "table extra is not in the PostgreSQL database"
            ]
        );
    }
}
