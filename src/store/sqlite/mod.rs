//! The embedded store: one SQLite file in WAL mode, one writer thread that owns the only writing
//! connection, and a small pool of read-only connections. Writers never block readers; a second
//! process on the same host shares the file through SQLite's own locking, bounded by a busy timeout.

mod admin;
mod chart;
mod deficiency;
mod disclosure;
mod fees;
mod file_room;
mod import;
mod insert;
mod packet;
mod roi;
mod roi_stats;
pub mod schema;
mod search;

pub use search::{SearchStatement, rows_by_id_sql, search_statements};

use super::{
    AuditFilter, ChangeStamp, NewUser, Page, PatientLookup, RecordBatch, SearchPage, Store, StoreError, StoreInfo,
    StoreResult, User, records::BatchCounts,
};
use super::{
    DischargedEncounter, NewSeededDeficiency, NoticeDraft, NoticeRecord, OpenItem, PhysicianStanding, QueueCounts,
    QueueFilter, QueuePage, QueueSort,
};
use crate::domain::audit::{AuditEvent, NewAuditEvent};
use crate::domain::chart::{Chart, DeficiencyType, Facility, NewFacility, Provider};
use crate::domain::deficiency::DeficiencyPolicy;
use crate::domain::mrn::Mrn;
use crate::domain::patient::PatientRow;
use crate::domain::role::Role;
use crate::store::imports::SourceRecord;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};
use std::time::Duration;

/// How long a connection waits for another process's lock before giving up with `Busy`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READER_POOL_SIZE: usize = 4;
/// How often the change feed asks whether the file changed: a change is on another clerk's screen
/// well within a second, and the question costs no I/O.
const WATCH_EVERY: Duration = Duration::from_millis(100);

type WriteJob = Box<dyn FnOnce(&mut Connection) + Send>;

/// Who may read the store's files: one rule for the store and every file written beside it.
pub use crate::files::FileSharing;

pub struct SqliteStore {
    path: PathBuf,
    /// The modes of the store's file, which its backups get too.
    sharing: FileSharing,
    /// None only while the store closes.
    writer: Option<mpsc::Sender<WriteJob>>,
    writer_thread: Option<std::thread::JoinHandle<()>>,
    readers: Mutex<Vec<Connection>>,
    /// The change feed's own connection, opened at its first question.
    watch: Mutex<Option<Watch>>,
}

/// A read-only connection that watches the file: `PRAGMA data_version` moves only when another
/// connection (this process's writer, another clerk's program) committed, and is read from shared
/// memory, so the counters are read again only when it moved.
struct Watch {
    conn: Connection,
    data_version: i64,
    stamp: ChangeStamp,
}

/// Closing: the read-only connections first, then the writer once it has finished its queue, so the
/// last connection to close is the one that may fold the write-ahead log into the file and remove
/// it (a read-only one cannot); a store closed is then one file, which `demo` relies on to move it.
impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Ok(mut pool) = self.readers.lock() {
            pool.clear();
        }
        if let Ok(mut watch) = self.watch.lock() {
            watch.take();
        }
        drop(self.writer.take());
        if let Some(thread) = self.writer_thread.take() {
            let _ = thread.join();
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`, upgrading an older schema after writing a
    /// backup beside it.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let sharing = path.parent().map_or(FileSharing::Private, FileSharing::of_directory);
        Self::open_with(path, sharing)
    }

    pub fn open_with(path: &Path, sharing: FileSharing) -> StoreResult<Self> {
        create_file_with_mode(path, sharing.file_mode())?;
        let mut conn = open_connection(path, false)?;
        migrate(&mut conn, path, sharing)?;
        let missing = schema::missing_protection(&conn).map_err(map_err)?;
        if !missing.is_empty() {
            return Err(StoreError::Unprotected(missing.join("; ")));
        }
        let (writer, thread) = spawn_writer(conn)?;
        Ok(Self {
            path: path.to_path_buf(),
            sharing,
            writer: Some(writer),
            writer_thread: Some(thread),
            readers: Mutex::new(Vec::new()),
            watch: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `job` on the writer thread and waits for its answer.
    fn write<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Connection) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        let boxed: WriteJob = Box::new(move |conn| {
            let _ = reply_tx.send(job(conn));
        });
        self.writer
            .as_ref()
            .ok_or_else(|| StoreError::Backend("the store is closing".into()))?
            .send(boxed)
            .map_err(|_| StoreError::Backend("the store's writer has stopped".into()))?;
        reply_rx.recv().map_err(|_| StoreError::Backend("the store's writer stopped mid-write".into()))?
    }

    /// Runs `job` on a pooled read-only connection.
    fn read<T>(&self, job: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let pooled = self.readers.lock().ok().and_then(|mut pool| pool.pop());
        let conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path, true)?,
        };
        let result = job(&conn);
        if let Ok(mut pool) = self.readers.lock()
            && pool.len() < READER_POOL_SIZE
        {
            pool.push(conn);
        }
        result
    }

    /// The counters as they stand, read again only when the file changed since the last question.
    fn change_stamp(&self) -> StoreResult<ChangeStamp> {
        let mut guard = self.watch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(watch) = guard.as_mut() {
            // The version first, then the counters: a commit between the two is in the counters
            // read, and only makes the next question read them once more.
            let read = data_version(&watch.conn).and_then(|now| {
                if now != watch.data_version {
                    watch.stamp = admin::change_stamp(&watch.conn)?;
                    watch.data_version = now;
                }
                Ok(watch.stamp.clone())
            });
            if read.is_err() {
                // Opened afresh at the next question (the file may have been replaced or restored).
                guard.take();
            }
            return read;
        }
        let conn = open_connection(&self.path, true)?;
        let data_version = data_version(&conn)?;
        let stamp = admin::change_stamp(&conn)?;
        *guard = Some(Watch { conn, data_version, stamp: stamp.clone() });
        Ok(stamp)
    }

    /// Puts back the triggers that keep the audit trail append-only, on a store at this program's
    /// schema that refuses to open without them (`chartroom migrate`), with an audit event saying
    /// what was missing. Returns that; nothing when all was in place. The chain is what shows
    /// whether events were changed meanwhile (`chartroom audit verify`).
    pub fn restore_protection(path: &Path, audit: impl FnOnce(&str) -> NewAuditEvent) -> StoreResult<Vec<String>> {
        let mut conn = open_connection(path, false)?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
        let restored = schema::restore_protection(&tx).map_err(map_err)?;
        if !restored.is_empty() {
            let audit = audit(&restored.join("; "));
            let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)?;
            if version >= schema::CHAIN_VERSION {
                admin::append_audit(&tx, &audit)?;
            } else {
                // A store from before the chain: its events have no hashes yet, and the upgrade
                // that follows links this one with the rest.
                tx.execute(
                    "INSERT INTO audit_event (at, username, source, action, entity, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![
                        admin::timestamp(audit.at),
                        audit.username,
                        audit.source,
                        audit.action.code(),
                        audit.entity,
                        audit.detail
                    ],
                )
                .map_err(map_err)?;
            }
        }
        tx.commit().map_err(map_err)?;
        Ok(restored)
    }

    /// A plain read-only rusqlite connection on the same file, for benchmarks that compare the store
    /// against bare prepared statements.
    pub fn raw_reader(&self) -> StoreResult<Connection> {
        open_connection(&self.path, true)
    }
}

fn create_file_with_mode(path: &Path, mode: u32) -> StoreResult<()> {
    if path.exists() {
        return Ok(());
    }
    // Created before SQLite opens it: SQLite gives its -wal and -shm files the database file's mode.
    crate::files::create_new(path, mode)?;
    Ok(())
}

/// The schema version a store file holds (`PRAGMA user_version`), read without opening it as a
/// store: opening upgrades it.
pub fn stored_version(path: &Path) -> StoreResult<i64> {
    let conn = open_connection(path, true)?;
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)
}

/// The copies an upgrade from `version` wrote beside the store (`chartroom.db.v9-<time>.bak`),
/// oldest first.
pub fn upgrade_backups(path: &Path, version: i64) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return Vec::new() };
    let prefix = format!("{}.v{version}-", name.to_string_lossy());
    let mut found: Vec<PathBuf> = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir })
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".bak"))
        })
        .collect();
    found.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    found
}

/// A read-only connection on the store file configured as the store's own readers are (the same
/// flags, busy timeout, statement cache and PRAGMAs), for a benchmark's bare baseline.
pub fn open_reader(path: &Path) -> StoreResult<Connection> {
    open_connection(path, true)
}

fn open_connection(path: &Path, read_only: bool) -> StoreResult<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let mut conn = Connection::open_with_flags(path, flags).map_err(map_err)?;
    if read_only {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(map_err)?;
    } else {
        conn.busy_handler(Some(wait_for_lock)).map_err(map_err)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    if !read_only {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0)).map_err(map_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!("could not switch the store to WAL (got {mode})")));
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;").map_err(map_err)?;
    }
    conn.execute_batch("PRAGMA cache_size = -32000; PRAGMA temp_store = MEMORY;").map_err(map_err)?;
    Ok(conn)
}

fn data_version(conn: &Connection) -> StoreResult<i64> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0)).map_err(map_err)
}

/// How a writer waits for another program's write lock: a try every millisecond, up to
/// [`BUSY_TIMEOUT`]. SQLite's own wait (`busy_timeout`) sleeps longer after each miss (1, 2, 5, 10 …
/// up to 100 ms), so with many clerks writing at once a writer that missed a few times slept
/// through several others' whole transactions: sixteen clerks saw 175 ms p99 and 1.6 s at worst.
fn wait_for_lock(tries: i32) -> bool {
    const STEP: Duration = Duration::from_millis(1);
    if STEP * u32::try_from(tries).unwrap_or(0) >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(STEP);
    true
}

fn spawn_writer(mut conn: Connection) -> StoreResult<(mpsc::Sender<WriteJob>, std::thread::JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<WriteJob>();
    let thread = std::thread::Builder::new().name("chartroom-store-writer".into()).spawn(move || {
        for job in rx {
            job(&mut conn);
        }
    })?;
    Ok((tx, thread))
}

/// Brings the file's schema up to [`schema::current_version`].
fn migrate(conn: &mut Connection, path: &Path, sharing: FileSharing) -> StoreResult<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)?;
    let known = schema::current_version();
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    if found == known {
        // An interrupted bulk load may have left indexes missing; rebuilding them is idempotent.
        return schema::ensure_indexes(conn).map_err(map_err);
    }
    let backup = if found > 0 {
        Some(backup_before_upgrade(conn, path, found, sharing)?)
    } else {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table'", [], |r| r.get(0))
            .map_err(map_err)?;
        if tables > 0 {
            return Err(StoreError::Corrupt(
                "the file holds tables but no chartroom schema version; is it another program's database?".into(),
            ));
        }
        None
    };
    for (index, sql) in schema::MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        // Each step is one transaction: a step that fails leaves the store at the step before it.
        let step = conn.transaction().map_err(map_err).and_then(|tx| {
            tx.execute_batch(sql).map_err(map_err)?;
            if version == schema::CHAIN_VERSION {
                admin::fill_chain(&tx)?;
                tx.execute_batch(schema::UPDATE_GUARD).map_err(map_err)?;
            }
            tx.pragma_update(None, "user_version", version).map_err(map_err)?;
            tx.commit().map_err(map_err)
        });
        if let Err(e) = step {
            let kept = match &backup {
                Some(file) => format!("; the copy made before the upgrade is {}", file.display()),
                None => String::new(),
            };
            return Err(StoreError::Backend(format!(
                "upgrading the store to schema version {version} failed ({e}); it is unchanged at version {}{kept}",
                version - 1
            )));
        }
        tracing::info!(version, "store schema upgraded");
    }
    insert::seed_deficiency_types(conn)?;
    schema::ensure_indexes(conn).map_err(map_err)?;
    // New indexes need statistics before the planner trusts them; bounded, so a big store upgrades
    // in seconds.
    conn.execute_batch("PRAGMA analysis_limit = 2000; PRAGMA optimize = 0x10002;").map_err(map_err)?;
    Ok(())
}

/// Writes `<store>.v<N>-<timestamp>.bak` with SQLite's online backup before an upgrade touches the file.
/// An upgrade that failed and is tried again finds the copy its first try made: that copy is reused
/// while the store is still what it holds (same schema version, same audit trail — every write
/// carries an audit event), so each retry of a big store does not write another full copy.
fn backup_before_upgrade(conn: &Connection, path: &Path, version: i64, sharing: FileSharing) -> StoreResult<PathBuf> {
    if let Some(earlier) = upgrade_backups(path, version).pop()
        && holds_the_same(conn, &earlier, version)
    {
        tracing::info!(from_version = version, "the backup from an earlier try of this upgrade is reused");
        return Ok(earlier);
    }
    // The store's one clock: a file's name, at open, before any desk can lend its own. No row is
    // stamped with it.
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let file_name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "store".into());
    // Two opens in the same second (a retry) each keep their own copy.
    let backup = (1..)
        .map(|n| match n {
            1 => path.with_file_name(format!("{file_name}.v{version}-{stamp}.bak")),
            n => path.with_file_name(format!("{file_name}.v{version}-{stamp}-{n}.bak")),
        })
        .find(|candidate| !candidate.exists())
        .unwrap_or_else(|| path.with_file_name(format!("{file_name}.v{version}-{stamp}.bak")));
    online_backup(conn, &backup, sharing)?;
    tracing::info!(from_version = version, "backup written before schema upgrade");
    Ok(backup)
}

/// Whether the copy at `backup` is at `version` with the same audit trail as the open store.
fn holds_the_same(conn: &Connection, backup: &Path, version: i64) -> bool {
    let trail = |c: &Connection| -> rusqlite::Result<(i64, Option<i64>, i64)> {
        let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let (last, count) =
            c.query_row("SELECT max(id), count(*) FROM audit_event", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok((version, last, count))
    };
    let Ok(copy) = open_connection(backup, true) else { return false };
    match (trail(conn), trail(&copy)) {
        (Ok(live), Ok(kept)) => live == kept && live.0 == version,
        _ => false,
    }
}

fn online_backup(conn: &Connection, destination: &Path, sharing: FileSharing) -> StoreResult<()> {
    if destination.exists() {
        return Err(StoreError::Duplicate(format!("the file {}", destination.display())));
    }
    create_file_with_mode(destination, sharing.file_mode())?;
    let mut target = Connection::open(destination).map_err(map_err)?;
    {
        let backup = rusqlite::backup::Backup::new(conn, &mut target).map_err(map_err)?;
        backup.run_to_completion(1024, Duration::from_millis(5), None).map_err(map_err)?;
    }
    // The copy is a plain file, not WAL: one file to carry to tape or another host.
    target.pragma_update(None, "journal_mode", "DELETE").map_err(map_err)?;
    Ok(())
}

/// Turns SQLite's errors into the store's own, so a locked file or a full disk reads as such.
pub(crate) fn map_err(err: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(ref failure, ref message) = err {
        match failure.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return StoreError::Busy,
            ErrorCode::DiskFull => return StoreError::DiskFull,
            ErrorCode::ReadOnly => return StoreError::ReadOnly,
            ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt => {
                return StoreError::Corrupt(message.clone().unwrap_or_else(|| failure.to_string()));
            }
            ErrorCode::ConstraintViolation => {
                let text = message.clone().unwrap_or_default();
                if text.contains("UNIQUE") {
                    return StoreError::Duplicate(unique_subject(&text));
                }
            }
            _ => {}
        }
    }
    StoreError::Backend(err.to_string())
}

/// `UNIQUE constraint failed: patient.mrn` → `a patient with that MRN`.
fn unique_subject(message: &str) -> String {
    let column = message.rsplit(':').next().unwrap_or("").trim();
    match column {
        "patient.mrn" => "a patient with that MRN".into(),
        "encounter.account" => "an encounter with that account number".into(),
        "app_user.username" => "a user with that name".into(),
        "facility.code" => "a facility with that code".into(),
        "provider.npi" => "a provider with that NPI".into(),
        other => format!("a record with that key ({other})"),
    }
}

impl Store for SqliteStore {
    fn info(&self) -> StoreResult<StoreInfo> {
        self.read(admin::info)
    }

    fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        self.read(|c| admin::user_by_name(c, username))
    }

    fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read(admin::list_users)
    }

    fn add_user(&self, user: NewUser, audit: NewAuditEvent) -> StoreResult<User> {
        self.write(move |c| admin::add_user(c, &user, &audit))
    }

    fn set_user_roles(&self, username: &str, roles: Vec<Role>, audit: NewAuditEvent) -> StoreResult<User> {
        let username = username.to_string();
        self.write(move |c| admin::set_user_roles(c, &username, &roles, &audit))
    }

    fn set_user_enabled(&self, username: &str, enabled: bool, audit: NewAuditEvent) -> StoreResult<User> {
        let username = username.to_string();
        self.write(move |c| admin::set_user_enabled(c, &username, enabled, &audit))
    }

    fn link_user_patient(&self, username: &str, patient_id: Option<i64>, audit: NewAuditEvent) -> StoreResult<User> {
        let username = username.to_string();
        self.write(move |c| admin::link_user_patient(c, &username, patient_id, &audit))
    }

    fn set_signature_hash(&self, username: &str, hash: Option<&str>, audit: NewAuditEvent) -> StoreResult<()> {
        let (username, hash) = (username.to_string(), hash.map(str::to_string));
        self.write(move |c| admin::set_signature_hash(c, &username, hash.as_deref(), &audit))
    }

    fn signature_hash(&self, username: &str) -> StoreResult<Option<String>> {
        self.read(|c| admin::signature_hash(c, username))
    }

    fn add_facility(&self, facility: NewFacility, audit: NewAuditEvent) -> StoreResult<Facility> {
        self.write(move |c| admin::add_facility(c, &facility, &audit))
    }

    fn list_facilities(&self) -> StoreResult<Vec<Facility>> {
        self.read(admin::list_facilities)
    }

    fn list_providers(&self, page: Page) -> StoreResult<Vec<Provider>> {
        self.read(|c| admin::list_providers(c, page))
    }

    fn provider_by_npi(&self, npi: &str) -> StoreResult<Option<Provider>> {
        self.read(|c| admin::provider_by_npi(c, npi))
    }

    fn apply_import(
        &self,
        batch: crate::store::imports::ImportBatch,
    ) -> StoreResult<crate::store::imports::ImportCounts> {
        self.write(move |c| import::apply(c, &batch))
    }

    fn has_imported(&self, record: SourceRecord, system: &str, source_id: &str) -> StoreResult<bool> {
        let sql = match record {
            SourceRecord::Patient => "SELECT EXISTS (SELECT 1 FROM patient_source_id WHERE system = ?1 AND value = ?2)",
            SourceRecord::Encounter => {
                "SELECT EXISTS (SELECT 1 FROM encounter_source_id WHERE system = ?1 AND value = ?2)"
            }
        };
        self.read(|c| {
            c.prepare_cached(sql)
                .and_then(|mut stmt| stmt.query_row([system, source_id], |r| r.get(0)))
                .map_err(map_err)
        })
    }

    fn insert_batch(&self, batch: RecordBatch, audit: NewAuditEvent) -> StoreResult<BatchCounts> {
        self.write(move |c| insert::insert_batch(c, &batch, &audit))
    }

    fn begin_bulk_load(&self) -> StoreResult<()> {
        self.write(|c| {
            let patients: i64 = c
                .query_row("SELECT count(*) FROM (SELECT 1 FROM patient LIMIT 1)", [], |r| r.get(0))
                .map_err(map_err)?;
            if patients > 0 {
                return Err(StoreError::Backend("a bulk load needs an empty store".into()));
            }
            // A big page cache for the unique indexes that stay (MRN, account) while rows pour in, and
            // no fsync until the load is done: a bulk load into an empty store is repeatable, and on a
            // throttled virtual disk the syncs of each checkpoint cost more than all the inserts.
            c.execute_batch(
                "PRAGMA cache_size = -1000000; PRAGMA synchronous = OFF; PRAGMA wal_autocheckpoint = 65536;",
            )
            .map_err(map_err)?;
            for (name, _) in schema::BULK_INDEXES {
                c.execute_batch(&format!("DROP INDEX IF EXISTS {name}")).map_err(map_err)?;
            }
            Ok(())
        })
    }

    fn begin_import_load(&self) -> StoreResult<()> {
        self.write(|c| {
            let patients: i64 = c
                .query_row("SELECT count(*) FROM (SELECT 1 FROM patient LIMIT 1)", [], |r| r.get(0))
                .map_err(map_err)?;
            if patients > 0 {
                return Err(StoreError::Backend("an import load needs an empty store".into()));
            }
            for (name, _) in schema::BULK_INDEXES.iter().filter(|(name, _)| !schema::IMPORT_KEEPS.contains(name)) {
                c.execute_batch(&format!("DROP INDEX IF EXISTS {name}")).map_err(map_err)?;
            }
            // The sorts that build them spill to files rather than memory: an import holds one batch
            // (the source-id index of 3,800,000 encounters sorted in memory took the importer from
            // 173 MB to 479 MB). Back to memory at the end of the load.
            c.execute_batch("PRAGMA temp_store = FILE;").map_err(map_err)?;
            Ok(())
        })
    }

    fn finish_bulk_load(&self) -> StoreResult<()> {
        self.write(|c| {
            let started = std::time::Instant::now();
            // Each index is one sort of a whole table: SQLite's sorter may use helper threads, one per
            // core, and off by default. Set back to one thread after, for the session's own queries.
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
            c.execute_batch(&format!("PRAGMA threads = {cores};")).map_err(map_err)?;
            let built = schema::ensure_indexes(c).map_err(map_err);
            c.execute_batch("PRAGMA threads = 0;").map_err(map_err)?;
            built?;
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "bulk load: indexes built");
            // A bounded ANALYZE: statistics enough for the planner without reading every index whole.
            c.execute_batch("PRAGMA analysis_limit = 2000; ANALYZE;").map_err(map_err)?;
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "bulk load: analyzed");
            // Back to durable writes before anything else is written.
            c.execute_batch(
                "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 1000; \
                 PRAGMA cache_size = -32000; PRAGMA temp_store = MEMORY;",
            )
            .map_err(map_err)?;
            tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "bulk load: checkpointed");
            Ok(())
        })?;
        // Readers opened before the load hold plans made without statistics.
        if let Ok(mut pool) = self.readers.lock() {
            pool.clear();
        }
        Ok(())
    }

    fn mark_demo(&self, audit: NewAuditEvent) -> StoreResult<()> {
        self.write(move |c| admin::mark_demo(c, &audit))
    }

    fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        self.read(|c| admin::setting(c, key))
    }

    fn init_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.write(move |c| {
            c.execute("INSERT OR IGNORE INTO store_setting (key, value) VALUES (?1, ?2)", [&key, &value])
                .map_err(map_err)?;
            Ok(())
        })
    }

    fn search_patients(&self, lookup: &PatientLookup, page: Page) -> StoreResult<SearchPage> {
        self.read(|c| search::search(c, lookup, page))
    }

    fn patient_by_mrn(&self, mrn: &Mrn) -> StoreResult<Option<PatientRow>> {
        self.read(|c| search::by_mrn(c, mrn))
    }

    fn load_chart(&self, patient_id: i64) -> StoreResult<Option<Chart>> {
        self.read(|c| chart::load(c, patient_id))
    }

    fn append_audit(&self, event: NewAuditEvent) -> StoreResult<()> {
        self.write(move |c| admin::append_audit(c, &event))
    }

    fn append_audit_events(&self, events: Vec<NewAuditEvent>) -> StoreResult<()> {
        self.write(move |c| admin::append_audit_events(c, &events))
    }

    fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        self.read(|c| admin::list_audit(c, filter))
    }

    fn audit_report(&self, query: &super::AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        self.read(|c| admin::audit_report(c, query))
    }

    fn audit_chain(&self, after_id: i64, limit: usize) -> StoreResult<Vec<crate::domain::audit::chain::ChainedEvent>> {
        self.read(|c| admin::audit_chain(c, after_id, limit))
    }

    fn audit_count(&self) -> StoreResult<i64> {
        self.read(admin::audit_count)
    }

    fn put_setting(&self, key: &str, value: &str, audit: Option<NewAuditEvent>) -> StoreResult<()> {
        let (key, value) = (key.to_string(), value.to_string());
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            tx.execute(
                "INSERT INTO store_setting (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
                [&key, &value],
            )
            .map_err(map_err)?;
            if let Some(audit) = &audit {
                admin::append_audit(&tx, audit)?;
            }
            tx.commit().map_err(map_err)
        })
    }

    fn deficiency_policy(&self) -> StoreResult<DeficiencyPolicy> {
        self.read(deficiency::policy)
    }

    fn set_deficiency_policy(&self, policy: DeficiencyPolicy, audit: NewAuditEvent) -> StoreResult<()> {
        self.write(move |c| deficiency::set_policy(c, &policy, &audit))
    }

    fn facility_policies(&self) -> StoreResult<Vec<(i64, DeficiencyPolicy)>> {
        self.read(deficiency::facility_policies)
    }

    fn set_facility_policy(&self, facility_id: i64, policy: DeficiencyPolicy, audit: NewAuditEvent) -> StoreResult<()> {
        self.write(move |c| deficiency::set_facility_policy(c, facility_id, &policy, &audit))
    }

    fn deficiency_types(&self) -> StoreResult<Vec<DeficiencyType>> {
        self.read(deficiency::types)
    }

    fn save_deficiency_type(&self, kind: DeficiencyType, audit: NewAuditEvent) -> StoreResult<()> {
        self.write(move |c| deficiency::save_type(c, &kind, &audit))
    }

    fn retire_deficiency_type(&self, code: &str, audit: NewAuditEvent) -> StoreResult<()> {
        let code = code.to_string();
        self.write(move |c| deficiency::retire_type(c, &code, &audit))
    }

    fn encounters_to_analyse(
        &self,
        after: Option<NaiveDate>,
        through: NaiveDate,
    ) -> StoreResult<Vec<DischargedEncounter>> {
        self.read(|c| deficiency::encounters_to_analyse(c, after, through))
    }

    fn record_analysis(&self, analysed: Vec<super::AnalysedChart>, audit: NewAuditEvent) -> StoreResult<usize> {
        self.write(move |c| deficiency::record_analysis(c, &analysed, &audit))
    }

    fn open_items(&self) -> StoreResult<Vec<OpenItem>> {
        self.read(deficiency::open_items)
    }

    fn record_notices(&self, notices: Vec<(NoticeDraft, NewAuditEvent)>) -> StoreResult<Vec<i64>> {
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            let created = deficiency::record_notices(&tx, notices.iter().map(|(n, a)| (n, a)))?;
            tx.commit().map_err(map_err)?;
            Ok(created)
        })
    }

    fn notice_preview(&self, draft: &NoticeDraft) -> StoreResult<NoticeRecord> {
        self.read(|c| deficiency::notice_preview(c, draft))
    }

    fn notices_between(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<NoticeRecord>> {
        self.read(|c| deficiency::notices_between(c, from, to))
    }

    fn physician_standings(&self, today: NaiveDate) -> StoreResult<Vec<PhysicianStanding>> {
        self.read(|c| deficiency::standings(c, today))
    }

    fn physician_standing(&self, provider_id: i64, today: NaiveDate) -> StoreResult<Option<PhysicianStanding>> {
        self.read(|c| deficiency::standing(c, provider_id, today))
    }

    fn queue_page(&self, filter: &QueueFilter, sort: QueueSort, page: Page) -> StoreResult<QueuePage> {
        self.read(|c| deficiency::queue_page(c, filter, sort, page))
    }

    fn queue_ids(&self, filter: &QueueFilter) -> StoreResult<Vec<(i64, i64)>> {
        self.read(|c| deficiency::queue_ids(c, filter))
    }

    fn queue_vocabulary(&self) -> StoreResult<crate::store::QueueVocabulary> {
        self.read(deficiency::queue_vocabulary)
    }

    fn queue_counts(&self, today: NaiveDate) -> StoreResult<QueueCounts> {
        self.read(|c| deficiency::queue_counts(c, today))
    }

    fn deficiency_items(&self, ids: &[i64]) -> StoreResult<Vec<crate::domain::completion::ItemState>> {
        self.read(|c| deficiency::items(c, ids))
    }

    fn chart_states(&self, encounter_ids: &[i64]) -> StoreResult<Vec<super::ChartCompletionView>> {
        self.read(|c| deficiency::chart_states(c, encounter_ids))
    }

    fn provider_suspensions(&self, provider_ids: &[i64], on: NaiveDate) -> StoreResult<Vec<super::ProviderSuspension>> {
        self.read(|c| deficiency::provider_suspensions(c, provider_ids, on))
    }

    fn apply_deficiency_changes(&self, changes: super::DeficiencyChanges) -> StoreResult<()> {
        self.write(move |c| deficiency::apply_changes(c, &changes))
    }

    fn deficiency_changes(&self, id: i64, after_version: i64) -> StoreResult<Vec<super::ItemChangeRecord>> {
        self.read(|c| deficiency::item_changes(c, id, after_version))
    }

    fn chart_completion(&self, account: &str) -> StoreResult<Option<super::ChartCompletionView>> {
        self.read(|c| deficiency::chart_completion(c, account))
    }

    fn has_deficiency(&self, encounter_id: i64, type_code: &str, provider_id: i64) -> StoreResult<bool> {
        self.read(|c| deficiency::has_deficiency(c, encounter_id, type_code, provider_id))
    }

    fn add_deficiency(
        &self,
        new: NewSeededDeficiency,
        chart_version: Option<i64>,
        duplicate_confirmed: bool,
        audit: NewAuditEvent,
    ) -> StoreResult<i64> {
        self.write(move |c| deficiency::add_deficiency(c, &new, chart_version, duplicate_confirmed, &audit))
    }

    fn add_provider_leave(&self, npi: &str, from: NaiveDate, to: NaiveDate, audit: NewAuditEvent) -> StoreResult<()> {
        let npi = npi.to_string();
        self.write(move |c| deficiency::add_leave(c, &npi, from, to, &audit))
    }

    fn confirm_suspension(&self, npi: &str, on: NaiveDate, by_override: bool, audit: NewAuditEvent) -> StoreResult<()> {
        let npi = npi.to_string();
        self.write(move |c| deficiency::confirm_suspension(c, &npi, on, by_override, &audit))
    }

    fn nightly_claims(&self) -> StoreResult<Vec<super::NightlyClaim>> {
        self.read(deficiency::nightly_claims)
    }

    fn begin_nightly(
        &self,
        claim: super::NightlyClaim,
        replacing: Option<DateTime<Utc>>,
        audit: NewAuditEvent,
    ) -> StoreResult<bool> {
        self.write(move |c| deficiency::begin_nightly(c, &claim, replacing, &audit))
    }

    fn finish_nightly(
        &self,
        run_on: NaiveDate,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        summary: &str,
        audit: NewAuditEvent,
    ) -> StoreResult<()> {
        let summary = summary.to_string();
        self.write(move |c| deficiency::finish_nightly(c, run_on, started_at, finished_at, &summary, &audit))
    }

    fn release_nightly(&self, run_on: NaiveDate, started_at: DateTime<Utc>, audit: NewAuditEvent) -> StoreResult<()> {
        self.write(move |c| deficiency::release_nightly(c, run_on, started_at, &audit))
    }

    // ---- release of information: built in roi.rs -------------------------------------------

    fn add_requester(
        &self,
        requester: crate::domain::roi::NewRequester,
        audit: NewAuditEvent,
    ) -> StoreResult<crate::domain::roi::Requester> {
        self.write(move |c| roi::add_requester(c, &requester, &audit))
    }

    fn search_requesters(&self, prefix: &str, limit: usize) -> StoreResult<Vec<crate::domain::roi::Requester>> {
        self.read(|c| roi::search_requesters(c, prefix, limit))
    }

    fn requester(&self, id: i64) -> StoreResult<Option<crate::domain::roi::Requester>> {
        self.read(|c| roi::requester(c, id))
    }

    fn log_roi_request(&self, request: super::NewRoiRequest, audit: NewAuditEvent) -> StoreResult<super::RoiRequest> {
        self.write(move |c| roi::log_request(c, &request, &audit))
    }

    fn insert_roi_batch(&self, requests: Vec<super::NewRoiRequest>, audit: NewAuditEvent) -> StoreResult<usize> {
        self.write(move |c| roi::insert_batch(c, &requests, &audit))
    }

    fn roi_request(&self, number: &crate::domain::roi::RequestNumber) -> StoreResult<Option<super::RoiRequest>> {
        self.read(|c| roi::by_number(c, number))
    }

    fn roi_request_by_id(&self, id: i64) -> StoreResult<Option<super::RoiRequest>> {
        self.read(|c| roi::load(c, id))
    }

    fn apply_roi_change(&self, change: super::RoiChange, audit: NewAuditEvent) -> StoreResult<super::RoiRequest> {
        self.write(move |c| roi::apply_change(c, &change, &audit))
    }

    fn release_documents(&self, patient_id: i64) -> StoreResult<Vec<super::roi::ChartDocument>> {
        self.read(|c| packet::release_documents(c, patient_id))
    }

    fn release_packets(&self, request_id: i64) -> StoreResult<Vec<super::roi::StoredPacket>> {
        self.read(|c| packet::release_packets(c, request_id))
    }

    fn roi_queue_page(
        &self,
        filter: &super::RoiQueueFilter,
        sort: super::RoiSort,
        page: Page,
    ) -> StoreResult<super::RoiQueuePage> {
        self.read(|c| roi::queue_page(c, filter, sort, page))
    }

    fn roi_open_ages(&self, filter: &super::RoiQueueFilter) -> StoreResult<Vec<(NaiveDate, i64)>> {
        self.read(|c| roi::open_ages(c, filter))
    }

    fn roi_requests_for_patient(&self, patient_id: i64, limit: usize) -> StoreResult<Vec<super::RoiQueueRow>> {
        self.read(|c| roi::for_patient(c, patient_id, limit))
    }

    fn roi_open_for_requester(&self, patient_id: i64, requester_id: i64) -> StoreResult<Vec<super::RoiQueueRow>> {
        self.read(|c| roi::open_for_requester(c, patient_id, requester_id))
    }

    fn letter_templates(&self) -> StoreResult<Vec<super::LetterTemplate>> {
        self.read(roi::templates)
    }

    fn letter_template_history(&self, kind: crate::domain::roi::LetterKind) -> StoreResult<Vec<super::LetterTemplate>> {
        self.read(|c| roi::template_history(c, kind))
    }

    fn save_letter_template(
        &self,
        kind: crate::domain::roi::LetterKind,
        text: &str,
        by: &str,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> StoreResult<super::LetterTemplate> {
        let (text, by) = (text.to_string(), by.to_string());
        self.write(move |c| roi::save_template(c, kind, &text, &by, at, &audit))
    }

    fn fee_schedules(&self) -> StoreResult<Vec<crate::domain::roi::fees::FeeSchedule>> {
        self.read(fees::schedules)
    }

    fn save_fee_schedule(
        &self,
        code: &str,
        effective_from: NaiveDate,
        rates: &crate::domain::roi::fees::FeeRates,
        by: &str,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> StoreResult<crate::domain::roi::fees::FeeSchedule> {
        let (code, rates, by) = (code.to_string(), rates.clone(), by.to_string());
        self.write(move |c| fees::save_schedule(c, &code, effective_from, &rates, &by, at, &audit))
    }

    fn roi_stats_facts(&self, query: &super::roi::RoiStatsQuery) -> StoreResult<crate::domain::roi::stats::StatsFacts> {
        self.read(|c| roi_stats::roi_stats_facts(c, query))
    }

    fn save_draft(&self, username: &str, kind: &str, body: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let (username, kind, body) = (username.to_string(), kind.to_string(), body.to_string());
        self.write(move |c| roi::save_draft(c, &username, &kind, &body, at))
    }

    fn draft(&self, username: &str, kind: &str) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        self.read(|c| roi::draft(c, username, kind))
    }

    fn discard_draft(&self, username: &str, kind: &str) -> StoreResult<()> {
        let (username, kind) = (username.to_string(), kind.to_string());
        self.write(move |c| roi::discard_draft(c, &username, &kind))
    }

    // ---- the file room: built in file_room.rs --------------------------------------------------

    fn locations(&self) -> StoreResult<Vec<crate::domain::file_room::Location>> {
        self.read(file_room::locations)
    }

    fn volume_by_barcode(&self, barcode: &str) -> StoreResult<Option<super::file_room::VolumeRecord>> {
        self.read(|c| file_room::volume_by_barcode(c, barcode))
    }

    fn patient_volumes(&self, patient_id: i64) -> StoreResult<Vec<super::file_room::VolumeRecord>> {
        self.read(|c| file_room::patient_volumes(c, patient_id))
    }

    fn add_volume(&self, volume: super::file_room::NewChartVolume, audit: NewAuditEvent) -> StoreResult<i64> {
        self.write(move |c| file_room::add_volume(c, &volume, &audit))
    }

    fn write_file_room(&self, write: super::file_room::FileRoomWrite) -> StoreResult<()> {
        self.write(move |c| file_room::write(c, &write))
    }

    fn add_chart_requests(
        &self,
        requests: Vec<super::file_room::NewChartRequest>,
        audit: NewAuditEvent,
    ) -> StoreResult<Vec<i64>> {
        self.write(move |c| file_room::add_chart_requests(c, &requests, &audit))
    }

    fn chart_request(&self, id: i64) -> StoreResult<Option<super::file_room::ChartRequestRecord>> {
        self.read(|c| file_room::chart_request(c, id))
    }

    fn pull_list(&self, needed_on: NaiveDate) -> StoreResult<Vec<super::file_room::ChartRequestRecord>> {
        self.read(|c| file_room::pull_list(c, needed_on))
    }

    fn overdue_volumes(&self, today: NaiveDate) -> StoreResult<Vec<super::file_room::VolumeRecord>> {
        self.read(|c| file_room::overdue_volumes(c, today))
    }

    fn missing_volumes(&self) -> StoreResult<Vec<(super::file_room::VolumeRecord, chrono::DateTime<chrono::Utc>)>> {
        self.read(file_room::missing_volumes)
    }

    // ---- the accounting of disclosures: built in disclosure.rs -------------------------------

    fn patient_disclosures(
        &self,
        patient_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<super::roi::StoredDisclosure>> {
        self.read(|c| disclosure::patient_disclosures(c, patient_id, from, to))
    }

    fn disclosure(&self, id: i64) -> StoreResult<Option<super::roi::StoredDisclosure>> {
        self.read(|c| disclosure::disclosure(c, id))
    }

    fn record_disclosure(
        &self,
        new: super::roi::NewDisclosure,
        audit: NewAuditEvent,
    ) -> StoreResult<super::roi::StoredDisclosure> {
        self.write(move |c| disclosure::record(c, &new, &audit))
    }

    fn void_disclosure(
        &self,
        id: i64,
        void: super::roi::DisclosureVoid,
        released: Option<super::roi::VoidedRelease>,
        audit: NewAuditEvent,
    ) -> StoreResult<super::roi::StoredDisclosure> {
        self.write(move |c| disclosure::void(c, id, &void, released.as_ref(), &audit))
    }

    fn add_accounting_suspension(
        &self,
        patient_id: i64,
        suspension: crate::domain::roi::accounting::Suspension,
        by: &str,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> StoreResult<super::roi::StoredSuspension> {
        let by = by.to_string();
        self.write(move |c| disclosure::add_suspension(c, patient_id, &suspension, &by, at, &audit))
    }

    fn accounting_suspensions(&self, patient_id: i64) -> StoreResult<Vec<super::roi::StoredSuspension>> {
        self.read(|c| disclosure::suspensions(c, patient_id))
    }

    fn record_accounting_delivery(
        &self,
        delivery: super::roi::AccountingDelivery,
        audit: NewAuditEvent,
    ) -> StoreResult<()> {
        self.write(move |c| disclosure::record_delivery(c, &delivery, &audit))
    }

    fn accounting_deliveries(&self, patient_id: i64) -> StoreResult<Vec<super::roi::AccountingDelivery>> {
        self.read(|c| disclosure::deliveries(c, patient_id))
    }

    fn wait_for_change(&self, since: &ChangeStamp, timeout: Duration) -> StoreResult<ChangeStamp> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let stamp = self.change_stamp()?;
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if stamp != *since || left.is_zero() {
                return Ok(stamp);
            }
            std::thread::sleep(left.min(WATCH_EVERY));
        }
    }

    fn backup_to(&self, destination: &Path, audit: NewAuditEvent) -> StoreResult<()> {
        let destination = destination.to_path_buf();
        let sharing = self.sharing;
        self.write(move |c| {
            online_backup(c, &destination, sharing)?;
            admin::append_audit(c, &audit)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_from_a_newer_chartroom_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        drop(SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        drop(conn);
        let err = SqliteStore::open(&path).err().unwrap();
        assert!(matches!(err, StoreError::TooNew { found: 999, .. }), "{err}");
        assert!(err.to_string().contains("newer chartroom"));
    }

    #[test]
    fn an_older_store_is_backed_up_then_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        // A version-1 file: the first migration only, and a row of its own.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute("INSERT INTO store_setting (key, value) VALUES ('marker', '42')", []).unwrap();
        drop(conn);

        drop(SqliteStore::open(&path).unwrap());

        let backups: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("store.db.v1-"))
            .collect();
        assert_eq!(backups.len(), 1, "backed up before the upgrade: {backups:?}");
        let copy = Connection::open(&backups[0]).unwrap();
        let version: i64 = copy.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, 1, "the backup is the file as it was");
        let marker: String =
            copy.query_row("SELECT value FROM store_setting WHERE key = 'marker'", [], |r| r.get(0)).unwrap();
        assert_eq!(marker, "42");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&backups[0]).unwrap().permissions().mode() & 0o777, 0o600);

        let live = Connection::open(&path).unwrap();
        let version: i64 = live.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, schema::current_version(), "upgraded to the latest");
        let marker: String =
            live.query_row("SELECT value FROM store_setting WHERE key = 'marker'", [], |r| r.get(0)).unwrap();
        assert_eq!(marker, "42", "its rows kept");
    }

    #[test]
    fn a_step_that_fails_leaves_the_store_at_the_step_before_and_says_where_its_copy_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let last = schema::current_version();
        // A file one step behind whose next step cannot apply: its last migration's first change is
        // already there (as a hand repair, or an unreleased build, might leave it).
        let conn = Connection::open(&path).unwrap();
        for sql in &schema::MIGRATIONS[..last as usize - 1] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", last - 1).unwrap();
        let first_change = schema::MIGRATIONS[last as usize - 1]
            .split(';')
            .map(str::trim)
            .find(|stmt| !stmt.is_empty() && !stmt.starts_with("--"))
            .unwrap();
        conn.execute_batch(first_change).unwrap();
        drop(conn);
        for _ in 0..2 {
            let err = SqliteStore::open(&path).err().expect("the step fails");
            let text = err.to_string();
            assert!(text.contains(&format!("upgrading the store to schema version {last} failed")), "{text}");
            assert!(text.contains(&format!("unchanged at version {}", last - 1)), "{text}");
            assert!(text.contains("store.db.v"), "names its copy: {text}");
        }
        let copies = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".bak"));
        // The retry found the store as its first try copied it: that copy serves both (issue 12).
        assert_eq!(copies.count(), 1, "a retry of an unchanged store reuses its copy");
        let version: i64 = Connection::open(&path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, last - 1);
    }

    #[test]
    fn a_closed_store_is_one_file_with_its_log_folded_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = SqliteStore::open(&path).unwrap();
        for n in 0..20 {
            store.init_setting(&format!("key{n}"), "value").unwrap();
            store.setting(&format!("key{n}")).unwrap();
        }
        let wal = dir.path().join("store.db-wal");
        assert!(wal.exists(), "an open store writes ahead");
        drop(store);
        assert!(!wal.exists(), "closed: the log is folded into the file and removed, at once");
    }

    #[test]
    fn notices_recorded_before_the_upgrade_say_what_each_item_was_sent() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        for sql in &schema::MIGRATIONS[..8] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 8).unwrap();
        conn.execute_batch(
            "INSERT INTO facility (id, code, name, state, kind, timezone)
                 VALUES (7, 'RGH', 'Riverbend General Hospital', 'TX', 'hospital', 'America/Chicago');
             INSERT INTO encounter (id, patient_id, account, kind, facility_id, admit_at)
                 VALUES (1, 1, 'A25-000781', 'INPATIENT', 7, '2025-02-05T09:00:00Z');",
        )
        .unwrap();
        // Three items (foreign keys are off on this bare connection); the first was sent a
        // notice and then a final notice, the second a notice, the third nothing.
        for id in 1..=3 {
            conn.execute(
                "INSERT INTO deficiency (id, chart_completion_id, encounter_id, type_code, provider_id, status,
                     event_on, delinquent_on, created_at) VALUES (?1, 1, 1, 'DS-D', 1, 'OPEN', '2025-02-10',
                     '2025-03-12', '2025-02-11T00:00:00Z')",
                [id],
            )
            .unwrap();
        }
        for (level, on, ids) in [("NOTICE_14", "2025-02-24", "1,2"), ("FINAL_21", "2025-03-03", "1")] {
            conn.execute(
                "INSERT INTO deficiency_notice (provider_id, level, notice_on, deficiency_ids, count_open,
                     count_delinquent, generated_at) VALUES (1, ?1, ?2, ?3, 2, 0, '2025-03-03T02:00:00Z')",
                [level, on, ids],
            )
            .unwrap();
        }
        // The step itself, on this bare connection (no parent rows are needed to test the backfill).
        conn.execute_batch(schema::MIGRATIONS[8]).unwrap();
        let levels: Vec<Option<String>> = conn
            .prepare("SELECT notice_level FROM deficiency ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(levels, [Some("FINAL_21".to_string()), Some("NOTICE_14".to_string()), None]);
        let facilities: Vec<i64> = conn
            .prepare("SELECT facility_id FROM deficiency_notice ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(facilities, [7, 7], "each notice takes the facility of its first item");
    }

    #[test]
    fn a_writer_waits_for_a_lock_in_even_steps_up_to_the_busy_timeout() {
        assert!(wait_for_lock(0), "tries again");
        assert!(wait_for_lock(4_999));
        assert!(!wait_for_lock(5_000), "gives up after five seconds of tries: Busy");
        assert!(!wait_for_lock(i32::MAX));
    }

    #[test]
    fn another_programs_database_is_not_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        Connection::open(&path).unwrap().execute_batch("CREATE TABLE t (x)").unwrap();
        assert!(matches!(SqliteStore::open(&path), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn files_are_private_by_default() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let path = dir.path().join("store.db");
        drop(SqliteStore::open(&path).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_group_writable_directory_makes_group_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o2770)).unwrap();
        let path = dir.path().join("store.db");
        drop(SqliteStore::open(&path).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o660);
    }
}
