//! The networked store: PostgreSQL through a small connection pool (deadpool-postgres over
//! tokio-postgres).
//!
//! The [`Store`] trait is blocking and is called from a CLI's main thread, from the terminal
//! program's `spawn_blocking` workers and sometimes from inside a runtime context, where
//! `Runtime::block_on` would panic. So the store owns a runtime of its own (two workers): every
//! method spawns its work onto it and waits on a channel for the answer, whatever thread it is
//! called from. Every write and its audit event go in one transaction ([`PgStore::write`]).

mod admin;
mod chart;
mod copy;
mod deficiency;
mod disclosure;
mod feed;
mod fees;
mod file_room;
mod import;
mod insert;
mod packet;
mod roi;
mod roi_stats;
pub mod schema;
mod search;
pub mod target;

pub(crate) use copy::{SetAside, two_lanes};
pub use search::{SearchStatement, rows_by_id_sql, search_statements};

use super::{
    AuditFilter, NewUser, Page, PatientLookup, RecordBatch, SearchPage, Store, StoreError, StoreInfo, StoreResult,
    User, records::BatchCounts,
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
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Transaction};
use futures_util::future::BoxFuture;
use std::path::Path;
use std::time::Duration;
use tokio_postgres::error::SqlState;

/// How long connecting may take before the server counts as unreachable: a wrong URL, an
/// unreachable host or a bad password is one clear message at start, within this.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A clerk's session runs one or two statements at a time; a few connections let a search run
/// beside a long write without holding a server's connection slots for nothing.
const POOL_SIZE: usize = 4;
/// How long a call waits for a free pooled connection before the store says it is busy.
const POOL_WAIT: Duration = Duration::from_secs(30);
/// A transaction that lost a serialization race or a deadlock is run again this many times in all
/// before the clerk is told of a conflict.
const TX_ATTEMPTS: u32 = 4;

/// A failure inside a job: PostgreSQL's own error (kept whole, so a transaction can tell a
/// serialization failure worth retrying) or the store's. `?` takes both.
#[derive(Debug)]
pub(crate) enum PgError {
    Db(tokio_postgres::Error),
    Store(StoreError),
}

pub(crate) type PgResult<T> = Result<T, PgError>;

impl From<tokio_postgres::Error> for PgError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Db(e)
    }
}

impl From<StoreError> for PgError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl PgError {
    /// A serialization failure or a deadlock: the transaction did nothing and may simply run again.
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Db(e) if matches!(
            e.code(),
            Some(&SqlState::T_R_SERIALIZATION_FAILURE) | Some(&SqlState::T_R_DEADLOCK_DETECTED)
        ))
    }

    /// The connection broke (the server ended it, or the network did): nothing more will come of
    /// it, and a new one may work.
    fn is_connection_lost(&self) -> bool {
        matches!(self, Self::Db(e) if connection_lost(e))
    }

    fn into_store(self) -> StoreError {
        match self {
            Self::Db(e) => map_err(&e),
            Self::Store(e) => e,
        }
    }
}

/// The store over one PostgreSQL database.
pub struct PgStore {
    /// None only while the store closes.
    runtime: Option<tokio::runtime::Runtime>,
    pool: Pool,
    /// Where the store connects, for messages: hosts, ports, user and database, never a password.
    target: String,
    /// The change feed's own session connects as the pool does.
    config: tokio_postgres::Config,
    feed: std::sync::Arc<feed::Feed>,
}

/// Closing never blocks: the store may be dropped on a runtime's worker, where waiting for its own
/// runtime's threads would panic. Pooled connections close with their tasks.
impl Drop for PgStore {
    fn drop(&mut self) {
        self.pool.close();
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("target", &self.target).finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database `config` names, at once: a wrong address, an unreachable host, a
    /// bad password or a missing database is one clear error within [`CONNECT_TIMEOUT`] (unless
    /// the configuration sets its own `connect_timeout`). A database written by a newer chartroom is
    /// refused; one behind this program is accepted, for [`PgStore::migrate`] to bring up to date.
    ///
    /// A database whose audit trail has lost the triggers that keep it append-only is refused
    /// ([`StoreError::Unprotected`]).
    pub fn connect(config: tokio_postgres::Config) -> StoreResult<Self> {
        let store = Self::connect_unchecked(config)?;
        if store.schema_version()? > 0 {
            store.check_protection()?;
        }
        Ok(store)
    }

    /// [`PgStore::connect`] without the audit trail's protection checked.
    fn connect_unchecked(mut config: tokio_postgres::Config) -> StoreResult<Self> {
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // tokio-postgres bounds only the socket's connecting by it; the pool bounds the whole of a
        // new connection (and its login) by the same, so a port where something else listens and
        // never answers is as quick to report as a closed one.
        let whole_connect = config.get_connect_timeout().copied().unwrap_or(CONNECT_TIMEOUT);
        if config.get_application_name().is_none() {
            config.application_name("chartroom");
        }
        // A clerk's queries are short and many: starting parallel workers (about 90 ms on a small
        // server) or compiling a plan (JIT) costs more than the query (a first queue page took
        // 114 ms with parallel workers, 14 ms without, at 100,000 patients). The session settings go
        // after any the URL gave, so a department's own choice is the one kept.
        //
        // A write that waits on another's lock (a row another clerk is saving, a table an
        // administrator holds) gives up after 5 s and says the store is busy, as SQLite's does,
        // instead of leaving the clerk's screen waiting with no word.
        let session = "-c max_parallel_workers_per_gather=0 -c jit=off -c lock_timeout=5s";
        let options = match config.get_options() {
            Some(own) if !own.is_empty() => format!("{session} {own}"),
            _ => session.to_string(),
        };
        config.options(&options);
        // A server that vanished without closing the connection (a cable, a VM paused) is noticed
        // within a minute rather than at the kernel's two hours.
        config.keepalives(true).keepalives_idle(Duration::from_secs(30));
        let target = describe_target(&config);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("chartroom-pg")
            .enable_all()
            .build()?;
        let manager = Manager::from_config(
            config.clone(),
            tokio_postgres::NoTls,
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(POOL_WAIT))
            .create_timeout(Some(whole_connect))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Backend(format!("cannot set up connections to {target}: {e}")))?;
        let feed = std::sync::Arc::new(feed::Feed::new());
        let store = Self { runtime: Some(runtime), pool, target, config, feed };
        let found = store.schema_version()?;
        let known = schema::current_version();
        if found > known {
            return Err(StoreError::TooNew { found, known });
        }
        Ok(store)
    }

    /// Refuses a database whose audit trail has lost the triggers that keep it append-only.
    fn check_protection(&self) -> StoreResult<()> {
        let missing = self.read((), |c, ()| Box::pin(admin::missing_protection(c)))?;
        if missing.is_empty() { Ok(()) } else { Err(StoreError::Unprotected(missing.join("; "))) }
    }

    /// Connects to a database whose audit trail lost its protection, and puts it back
    /// (`chartroom migrate`), with `audit`, its detail followed by what was missing. Returns that;
    /// nothing when all was in place. The chain is what shows whether events were changed
    /// meanwhile (`chartroom audit verify`).
    pub fn restore_protection(config: tokio_postgres::Config, audit: NewAuditEvent) -> StoreResult<Vec<String>> {
        match Self::connect(config.clone()) {
            Ok(_) => Ok(Vec::new()),
            Err(StoreError::Unprotected(_)) => {
                let store = Self::connect_unchecked(config)?;
                store.write(audit, |tx, audit| Box::pin(admin::restore_protection(tx, audit)))
            }
            Err(e) => Err(e),
        }
    }

    /// Brings the database up to this program's schema in one transaction, under an advisory lock
    /// so that two clerks starting at once cannot both migrate; returns the version it is at.
    pub fn migrate(&self) -> StoreResult<i64> {
        self.write((), |tx, ()| Box::pin(schema::migrate(tx)))
    }

    /// Makes the schema in an empty database; true when this call made it, false when another
    /// program made it first (it waited on the migration lock, then found the work done).
    pub fn create_schema(&self) -> StoreResult<bool> {
        self.write((), |tx, ()| Box::pin(async move { Ok(schema::migrate_from(tx).await?.0 == 0) }))
    }

    /// The schema version the database holds: 0 for one chartroom has never migrated.
    pub fn schema_version(&self) -> StoreResult<i64> {
        self.read((), |c, ()| Box::pin(schema::version_of(c)))
    }

    /// Where this store connects (hosts, ports, user, database), for messages and logs.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs `work` on the store's runtime and waits for its answer: the one place a caller's thread
    /// blocks, on a channel rather than a runtime, so any thread may call.
    fn spawn<T: Send + 'static>(
        &self,
        work: impl FnOnce(Pool, String) -> BoxFuture<'static, StoreResult<T>> + Send + 'static,
    ) -> StoreResult<T> {
        let runtime = self.runtime.as_ref().ok_or_else(|| StoreError::Backend("the store is closing".into()))?;
        let (reply, answer) = std::sync::mpsc::sync_channel(1);
        let work = work(self.pool.clone(), self.target.clone());
        runtime.spawn(async move {
            let _ = reply.send(work.await);
        });
        answer.recv().map_err(|_| StoreError::Backend("the store's database task stopped before it answered".into()))?
    }

    /// Runs `job` with a pooled connection of its own, once. The job owns the connection; it goes
    /// back to the pool when the job's future ends. For work that must not run twice and is no
    /// transaction (building indexes); reads use [`PgStore::read`], writes [`PgStore::write`].
    pub(crate) fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(Object) -> BoxFuture<'static, PgResult<T>> + Send + 'static,
    ) -> StoreResult<T> {
        self.spawn(move |pool, target| {
            Box::pin(async move { job(connection(&pool, &target).await?).await.map_err(PgError::into_store) })
        })
    }

    /// Runs a read. A pooled connection the server has ended since its last use (a restart, an
    /// administrator, a failover) fails on its first statement: the read is run once more on a
    /// fresh connection, so a clerk sees "unreachable" only when the server is.
    pub(crate) fn read<D, T, F>(&self, data: D, job: F) -> StoreResult<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'c> Fn(&'c Object, &'c D) -> BoxFuture<'c, PgResult<T>> + Send + Sync + 'static,
    {
        self.spawn(move |pool, target| {
            Box::pin(async move {
                let mut attempt = 1;
                loop {
                    let client = connection(&pool, &target).await?;
                    let result = job(&client, &data).await;
                    match result {
                        Err(e) if e.is_connection_lost() && attempt < 2 => {
                            tracing::info!("a pooled connection to the database was lost; reading again on a new one");
                            forget(client, &pool);
                            attempt += 1;
                        }
                        other => return other.map_err(PgError::into_store),
                    }
                }
            })
        })
    }

    /// Runs `job` in one transaction, committed when it succeeds and rolled back when it fails.
    /// A transaction that lost a serialization race or a deadlock is run again from the start (so
    /// `job` is `Fn`, and reads its inputs from `data`), a few times, before it is a `Conflict`; one
    /// whose connection was lost before it committed (so the server rolled it back) runs once more
    /// on a fresh connection. A connection lost during the commit itself is never retried: whether
    /// the change was saved is then not known, and the error says so.
    pub(crate) fn write<D, T, F>(&self, data: D, job: F) -> StoreResult<T>
    where
        D: Send + Sync + 'static,
        T: Send + 'static,
        F: for<'t> Fn(&'t Transaction<'t>, &'t D) -> BoxFuture<'t, PgResult<T>> + Send + Sync + 'static,
    {
        self.spawn(move |pool, target| {
            Box::pin(async move {
                let (mut races, mut losses) = (1, 1);
                loop {
                    let mut client = connection(&pool, &target).await?;
                    let outcome = match client.transaction().await {
                        Ok(tx) => match job(&tx, &data).await {
                            Ok(value) => match tx.commit().await {
                                Ok(()) => return Ok(value),
                                Err(e) if connection_lost(&e) => {
                                    return Err(StoreError::Unreachable(format!(
                                        "the connection to {target} was lost as a change was being saved; \
                                         {}: look before making it again",
                                        super::OUTCOME_UNKNOWN
                                    )));
                                }
                                Err(e) => Err(PgError::Db(e)),
                            },
                            Err(e) => Err(e),
                        },
                        Err(e) => Err(PgError::Db(e)),
                    };
                    match outcome {
                        Err(e) if e.is_retryable() && races < TX_ATTEMPTS => {
                            tracing::debug!(attempt = races, "a transaction lost a race; running it again");
                            tokio::time::sleep(Duration::from_millis(5 << races)).await;
                            races += 1;
                        }
                        Err(e) if e.is_retryable() => return Err(StoreError::Conflict),
                        Err(e) if e.is_connection_lost() && losses < 2 => {
                            tracing::info!("a pooled connection to the database was lost; writing again on a new one");
                            forget(client, &pool);
                            losses += 1;
                        }
                        Err(e) => return Err(e.into_store()),
                        Ok(value) => return Ok(value),
                    }
                }
            })
        })
    }
}

/// Closes a connection that was lost, and every idle one with it: when one was lost the others most
/// likely were too (a server restart ends them all), and each would fail its next statement. The
/// next caller connects afresh.
fn forget(lost: Object, pool: &Pool) {
    drop(Object::take(lost));
    pool.retain(|_, _| false);
}

/// A pooled connection, or why there is none.
async fn connection(pool: &Pool, target: &str) -> StoreResult<Object> {
    pool.get().await.map_err(|e| pool_error(e, target))
}

/// `127.0.0.1:5432 as chartroom, database chartroom`: what a message says was tried.
fn describe_target(config: &tokio_postgres::Config) -> String {
    let ports = config.get_ports();
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, host)| {
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            match host {
                tokio_postgres::config::Host::Tcp(name) => format!("{name}:{port}"),
                tokio_postgres::config::Host::Unix(dir) => format!("{}/.s.PGSQL.{port}", dir.display()),
            }
        })
        .collect();
    let hosts = if hosts.is_empty() { "no host".to_string() } else { hosts.join(", ") };
    let user = config.get_user().unwrap_or("(no user)");
    let database = config.get_dbname().unwrap_or(user);
    format!("{hosts} as {user}, database {database}")
}

/// The innermost cause of an error, which says what actually went wrong ("Connection refused").
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// PostgreSQL's own words for an error, without its DETAIL (which may quote a row's values).
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => innermost(e),
    }
}

/// A failure to get a connection: the server is unreachable, refused the login, or every pooled
/// connection is busy.
fn pool_error(e: PoolError, target: &str) -> StoreError {
    use deadpool_postgres::TimeoutType;
    match e {
        PoolError::Backend(e) => connect_error(&e, target),
        PoolError::Timeout(TimeoutType::Wait) => StoreError::Busy,
        PoolError::Timeout(_) => StoreError::Unreachable(format!(
            "tried {target}; it did not answer within the connect timeout ({} s, or the store URL's connect_timeout)",
            CONNECT_TIMEOUT.as_secs()
        )),
        PoolError::Closed => StoreError::Backend("the store is closing".into()),
        other => StoreError::Backend(format!("cannot connect to {target}: {other}")),
    }
}

/// What went wrong connecting, in a clerk's (or their IT's) words.
fn connect_error(e: &tokio_postgres::Error, target: &str) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION && db.message().contains("does not exist") {
            return StoreError::Backend(format!(
                "the database server has no such login ({target}): {}; name a role that exists with user= in \
                 the store URL, or ask the database's owner to create it",
                db.message()
            ));
        }
        if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            return StoreError::Backend(format!(
                "the database server refused the login ({target}): {}; check the password in ~/.pgpass, \
                 PGPASSWORD or the store's password_file",
                db.message()
            ));
        }
        if *code == SqlState::INVALID_CATALOG_NAME {
            return StoreError::Backend(format!(
                "the database server has no such database ({target}): {}",
                db.message()
            ));
        }
        if *code == SqlState::CANNOT_CONNECT_NOW || *code == SqlState::TOO_MANY_CONNECTIONS {
            return StoreError::Unreachable(format!("tried {target}: {}", db.message()));
        }
        return map_err(e);
    }
    let cause = innermost(e);
    if cause.contains("password missing") {
        return StoreError::Backend(format!(
            "the database server asks for a password and none was given ({target}); put it in ~/.pgpass, \
             PGPASSWORD or the store's password_file"
        ));
    }
    StoreError::Unreachable(format!("tried {target}: {cause}"))
}

/// The connection broke: the server ended it (shutting down, an administrator) or the network did.
fn connection_lost(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        Some(code) => {
            *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
                || code.code().starts_with("08")
        }
        None => lost_in_transit(e),
    }
}

/// An error with no word from the server: the connection closed or its socket failed.
/// tokio-postgres says which only in its words: "connection closed", "error communicating with the
/// server" (the socket broke), "error connecting to server".
fn lost_in_transit(e: &tokio_postgres::Error) -> bool {
    let text = e.to_string();
    e.is_closed() || text.starts_with("error communicating") || text.starts_with("error connecting")
}

/// Turns PostgreSQL's errors into the store's own, so a full disk or a duplicate reads as such.
pub(crate) fn map_err(e: &tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else {
        return if lost_in_transit(e) {
            StoreError::Unreachable(format!("the connection to it was lost ({})", innermost(e)))
        } else {
            StoreError::Backend(describe(e))
        };
    };
    let code = db.code();
    if *code == SqlState::UNIQUE_VIOLATION {
        StoreError::Duplicate(unique_subject(db.constraint().unwrap_or("")))
    } else if *code == SqlState::DISK_FULL {
        StoreError::DiskFull
    } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
        StoreError::ReadOnly
    } else if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        StoreError::Conflict
    } else if *code == SqlState::LOCK_NOT_AVAILABLE {
        StoreError::Busy
    } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        StoreError::Backend(format!(
            "the database role this store connects as may not do that ({}); the database's owner must grant \
             it the chartroom tables (README, \"Running on PostgreSQL\")",
            db.message()
        ))
    } else if connection_lost(e) {
        StoreError::Unreachable(format!("the server ended the connection ({})", db.message()))
    } else {
        StoreError::Backend(describe(e))
    }
}

/// `patient_mrn_key` → `a patient with that MRN`, as the SQLite store words it.
fn unique_subject(constraint: &str) -> String {
    match constraint {
        "patient_mrn_key" => "a patient with that MRN".into(),
        "encounter_account_key" => "an encounter with that account number".into(),
        "app_user_username_key" => "a user with that name".into(),
        "facility_code_key" => "a facility with that code".into(),
        "provider_npi_key" => "a provider with that NPI".into(),
        other => format!("a record with that key ({other})"),
    }
}

impl Store for PgStore {
    fn info(&self) -> StoreResult<StoreInfo> {
        self.read((), |c, ()| Box::pin(admin::info(c)))
    }

    fn user_by_name(&self, username: &str) -> StoreResult<Option<User>> {
        let username = username.to_string();
        self.read(username, |c, username| Box::pin(admin::user_by_name(c, username)))
    }

    fn list_users(&self) -> StoreResult<Vec<User>> {
        self.read((), |c, ()| Box::pin(admin::list_users(c)))
    }

    fn add_user(&self, user: NewUser, audit: NewAuditEvent) -> StoreResult<User> {
        self.write((user, audit), |tx, (user, audit)| Box::pin(admin::add_user(tx, user, audit)))
    }

    fn set_user_roles(&self, username: &str, roles: Vec<Role>, audit: NewAuditEvent) -> StoreResult<User> {
        self.write((username.to_string(), roles, audit), |tx, (username, roles, audit)| {
            Box::pin(admin::set_user_roles(tx, username, roles, audit))
        })
    }

    fn set_user_enabled(&self, username: &str, enabled: bool, audit: NewAuditEvent) -> StoreResult<User> {
        self.write((username.to_string(), audit), move |tx, (username, audit)| {
            Box::pin(admin::set_user_enabled(tx, username, enabled, audit))
        })
    }

    fn link_user_patient(&self, username: &str, patient_id: Option<i64>, audit: NewAuditEvent) -> StoreResult<User> {
        self.write((username.to_string(), audit), move |tx, (username, audit)| {
            Box::pin(admin::link_user_patient(tx, username, patient_id, audit))
        })
    }

    fn set_signature_hash(&self, username: &str, hash: Option<&str>, audit: NewAuditEvent) -> StoreResult<()> {
        self.write((username.to_string(), hash.map(str::to_string), audit), |tx, (username, hash, audit)| {
            Box::pin(admin::set_signature_hash(tx, username, hash.as_deref(), audit))
        })
    }

    fn signature_hash(&self, username: &str) -> StoreResult<Option<String>> {
        self.read(username.to_string(), |c, username| Box::pin(admin::signature_hash(c, username)))
    }

    fn add_facility(&self, facility: NewFacility, audit: NewAuditEvent) -> StoreResult<Facility> {
        self.write((facility, audit), |tx, (facility, audit)| Box::pin(admin::add_facility(tx, facility, audit)))
    }

    fn list_facilities(&self) -> StoreResult<Vec<Facility>> {
        self.read((), |c, ()| Box::pin(admin::list_facilities(c)))
    }

    fn list_providers(&self, page: Page) -> StoreResult<Vec<Provider>> {
        self.read((), move |c, ()| Box::pin(admin::list_providers(c, page)))
    }

    fn provider_by_npi(&self, npi: &str) -> StoreResult<Option<Provider>> {
        let npi = npi.to_string();
        self.read(npi, |c, npi| Box::pin(admin::provider_by_npi(c, npi)))
    }

    fn apply_import(
        &self,
        batch: crate::store::imports::ImportBatch,
    ) -> StoreResult<crate::store::imports::ImportCounts> {
        self.write(batch, |tx, batch| Box::pin(import::apply(tx, batch)))
    }

    fn has_imported(&self, record: SourceRecord, system: &str, source_id: &str) -> StoreResult<bool> {
        let (system, source_id) = (system.to_string(), source_id.to_string());
        self.read((system, source_id), move |c, (system, source_id)| {
            Box::pin(import::has_imported(c, record, system, source_id))
        })
    }

    fn insert_batch(&self, batch: RecordBatch, audit: NewAuditEvent) -> StoreResult<BatchCounts> {
        self.write((batch, audit), |tx, (batch, audit)| Box::pin(insert::insert_batch(tx, batch, audit)))
    }

    fn begin_bulk_load(&self) -> StoreResult<()> {
        self.write((), |tx, ()| Box::pin(admin::drop_bulk_indexes(tx, &[])))
    }

    fn begin_import_load(&self) -> StoreResult<()> {
        self.write((), |tx, ()| Box::pin(admin::drop_bulk_indexes(tx, schema::IMPORT_KEEPS)))
    }

    fn finish_bulk_load(&self) -> StoreResult<()> {
        self.run(|c| Box::pin(async move { admin::build_bulk_indexes(&c).await }))
    }

    fn mark_demo(&self, audit: NewAuditEvent) -> StoreResult<()> {
        self.write(audit, |tx, audit| Box::pin(admin::mark_demo(tx, audit)))
    }

    fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let key = key.to_string();
        self.read(key, |c, key| Box::pin(admin::setting(c, key)))
    }

    fn init_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        self.write((key.to_string(), value.to_string()), |tx, (key, value)| {
            Box::pin(admin::init_setting(tx, key, value))
        })
    }

    fn search_patients(&self, lookup: &PatientLookup, page: Page) -> StoreResult<SearchPage> {
        let lookup = lookup.clone();
        self.read(lookup, move |c, lookup| Box::pin(search::search(c, lookup, page)))
    }

    fn patient_by_mrn(&self, mrn: &Mrn) -> StoreResult<Option<PatientRow>> {
        let mrn = mrn.clone();
        self.read(mrn, |c, mrn| Box::pin(search::by_mrn(c, mrn)))
    }

    fn load_chart(&self, patient_id: i64) -> StoreResult<Option<Chart>> {
        self.read((), move |c, ()| Box::pin(chart::load(c, patient_id)))
    }

    fn append_audit(&self, event: NewAuditEvent) -> StoreResult<()> {
        self.write(event, |tx, event| Box::pin(admin::append_audit(tx, event)))
    }

    fn append_audit_events(&self, events: Vec<NewAuditEvent>) -> StoreResult<()> {
        self.write(events, |tx, events| {
            Box::pin(async move {
                for event in events {
                    admin::append_audit(tx, event).await?;
                }
                Ok(())
            })
        })
    }

    fn list_audit(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let filter = filter.clone();
        self.read(filter, |c, filter| Box::pin(admin::list_audit(c, filter)))
    }

    fn audit_report(&self, query: &super::AuditQuery) -> StoreResult<Vec<AuditEvent>> {
        self.read(query.clone(), |c, query| Box::pin(admin::audit_report(c, query)))
    }

    fn audit_chain(&self, after_id: i64, limit: usize) -> StoreResult<Vec<crate::domain::audit::chain::ChainedEvent>> {
        self.read((), move |c, ()| Box::pin(admin::audit_chain(c, after_id, limit)))
    }

    fn audit_count(&self) -> StoreResult<i64> {
        self.read((), |c, ()| Box::pin(admin::audit_count(c)))
    }

    fn put_setting(&self, key: &str, value: &str, audit: Option<NewAuditEvent>) -> StoreResult<()> {
        self.write((key.to_string(), value.to_string(), audit), |tx, (key, value, audit)| {
            Box::pin(admin::put_setting(tx, key, value, audit.as_ref()))
        })
    }

    /// PostgreSQL is backed up by its own tools, which see the whole cluster consistently and
    /// without stopping clerks; a copy through chartroom would be neither.
    fn backup_to(&self, _destination: &Path, _audit: NewAuditEvent) -> StoreResult<()> {
        Err(StoreError::Unsupported(format!(
            "chartroom backs up only its embedded store; this store is a PostgreSQL database ({}). Back it up \
             with pg_dump (for example `pg_dump -Fc -f chartroom.dump DATABASE`) or the server's own backups",
            self.target
        )))
    }

    // ---- chart completion: built in deficiency/ -----------------------------------------------

    fn deficiency_policy(&self) -> StoreResult<DeficiencyPolicy> {
        self.read((), |c, ()| Box::pin(deficiency::policy(c)))
    }

    fn set_deficiency_policy(&self, policy: DeficiencyPolicy, audit: NewAuditEvent) -> StoreResult<()> {
        self.write((policy, audit), |tx, (policy, audit)| Box::pin(deficiency::set_policy(tx, policy, audit)))
    }

    fn facility_policies(&self) -> StoreResult<Vec<(i64, DeficiencyPolicy)>> {
        self.read((), |c, ()| Box::pin(deficiency::facility_policies(c)))
    }

    fn set_facility_policy(&self, facility_id: i64, policy: DeficiencyPolicy, audit: NewAuditEvent) -> StoreResult<()> {
        self.write((policy, audit), move |tx, (policy, audit)| {
            Box::pin(deficiency::set_facility_policy(tx, facility_id, policy, audit))
        })
    }

    fn deficiency_types(&self) -> StoreResult<Vec<DeficiencyType>> {
        self.read((), |c, ()| Box::pin(deficiency::types(c)))
    }

    fn save_deficiency_type(&self, kind: DeficiencyType, audit: NewAuditEvent) -> StoreResult<()> {
        self.write((kind, audit), |tx, (kind, audit)| Box::pin(deficiency::save_type(tx, kind, audit)))
    }

    fn retire_deficiency_type(&self, code: &str, audit: NewAuditEvent) -> StoreResult<()> {
        self.write((code.to_string(), audit), |tx, (code, audit)| Box::pin(deficiency::retire_type(tx, code, audit)))
    }

    fn encounters_to_analyse(
        &self,
        after: Option<NaiveDate>,
        through: NaiveDate,
    ) -> StoreResult<Vec<DischargedEncounter>> {
        self.read((), move |c, ()| Box::pin(deficiency::encounters_to_analyse(c, after, through)))
    }

    fn record_analysis(&self, analysed: Vec<super::AnalysedChart>, audit: NewAuditEvent) -> StoreResult<usize> {
        self.write((analysed, audit), |tx, (analysed, audit)| {
            Box::pin(deficiency::record_analysis(tx, analysed, audit))
        })
    }

    fn open_items(&self) -> StoreResult<Vec<OpenItem>> {
        self.read((), |c, ()| Box::pin(deficiency::open_items(c)))
    }

    fn record_notices(&self, notices: Vec<(NoticeDraft, NewAuditEvent)>) -> StoreResult<Vec<i64>> {
        self.write(notices, |tx, notices| Box::pin(deficiency::record_notices(tx, notices)))
    }

    fn notice_preview(&self, draft: &NoticeDraft) -> StoreResult<NoticeRecord> {
        let draft = draft.clone();
        self.read(draft, |c, draft| Box::pin(deficiency::notice_preview(c, draft)))
    }

    fn notices_between(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<Vec<NoticeRecord>> {
        self.read((), move |c, ()| Box::pin(deficiency::notices_between(c, from, to)))
    }

    fn physician_standings(&self, today: NaiveDate) -> StoreResult<Vec<PhysicianStanding>> {
        self.read((), move |c, ()| Box::pin(deficiency::standings(c, today)))
    }

    fn physician_standing(&self, provider_id: i64, today: NaiveDate) -> StoreResult<Option<PhysicianStanding>> {
        self.read((), move |c, ()| Box::pin(deficiency::standing(c, provider_id, today)))
    }

    fn queue_page(&self, filter: &QueueFilter, sort: QueueSort, page: Page) -> StoreResult<QueuePage> {
        let filter = filter.clone();
        self.read(filter, move |c, filter| Box::pin(deficiency::queue_page(c, filter, sort, page)))
    }

    fn queue_counts(&self, today: NaiveDate) -> StoreResult<QueueCounts> {
        self.read((), move |c, ()| Box::pin(deficiency::queue_counts(c, today)))
    }

    fn queue_ids(&self, filter: &QueueFilter) -> StoreResult<Vec<(i64, i64)>> {
        let filter = filter.clone();
        self.read(filter, |c, filter| Box::pin(deficiency::queue_ids(c, filter)))
    }

    fn queue_vocabulary(&self) -> StoreResult<super::QueueVocabulary> {
        self.read((), |c, ()| Box::pin(deficiency::queue_vocabulary(c)))
    }

    fn deficiency_items(&self, ids: &[i64]) -> StoreResult<Vec<crate::domain::completion::ItemState>> {
        let ids = ids.to_vec();
        self.read(ids, |c, ids| Box::pin(deficiency::items(c, ids)))
    }

    fn chart_states(&self, encounter_ids: &[i64]) -> StoreResult<Vec<super::ChartCompletionView>> {
        let ids = encounter_ids.to_vec();
        self.read(ids, |c, ids| Box::pin(deficiency::chart_states(c, ids)))
    }

    fn provider_suspensions(&self, provider_ids: &[i64], on: NaiveDate) -> StoreResult<Vec<super::ProviderSuspension>> {
        let ids = provider_ids.to_vec();
        self.read(ids, move |c, ids| Box::pin(deficiency::provider_suspensions(c, ids, on)))
    }

    fn apply_deficiency_changes(&self, changes: super::DeficiencyChanges) -> StoreResult<()> {
        self.write(changes, |tx, changes| Box::pin(deficiency::apply_changes(tx, changes)))
    }

    fn deficiency_changes(&self, id: i64, after_version: i64) -> StoreResult<Vec<super::ItemChangeRecord>> {
        self.read((), move |c, ()| Box::pin(deficiency::item_changes(c, id, after_version)))
    }

    fn chart_completion(&self, account: &str) -> StoreResult<Option<super::ChartCompletionView>> {
        let account = account.to_string();
        self.read(account, |c, account| Box::pin(deficiency::chart_completion(c, account)))
    }

    fn has_deficiency(&self, encounter_id: i64, type_code: &str, provider_id: i64) -> StoreResult<bool> {
        let type_code = type_code.to_string();
        self.read(type_code, move |c, type_code| {
            Box::pin(deficiency::has_deficiency(c, encounter_id, type_code, provider_id))
        })
    }

    fn add_deficiency(
        &self,
        new: NewSeededDeficiency,
        chart_version: Option<i64>,
        duplicate_confirmed: bool,
        audit: NewAuditEvent,
    ) -> StoreResult<i64> {
        self.write((new, audit), move |tx, (new, audit)| {
            Box::pin(deficiency::add_deficiency(tx, new, chart_version, duplicate_confirmed, audit))
        })
    }

    fn add_provider_leave(&self, npi: &str, from: NaiveDate, to: NaiveDate, audit: NewAuditEvent) -> StoreResult<()> {
        self.write((npi.to_string(), audit), move |tx, (npi, audit)| {
            Box::pin(deficiency::add_leave(tx, npi, from, to, audit))
        })
    }

    fn confirm_suspension(&self, npi: &str, on: NaiveDate, by_override: bool, audit: NewAuditEvent) -> StoreResult<()> {
        self.write((npi.to_string(), audit), move |tx, (npi, audit)| {
            Box::pin(deficiency::confirm_suspension(tx, npi, on, by_override, audit))
        })
    }

    fn nightly_claims(&self) -> StoreResult<Vec<super::NightlyClaim>> {
        self.read((), |c, ()| Box::pin(deficiency::nightly_claims(c)))
    }

    fn begin_nightly(
        &self,
        claim: super::NightlyClaim,
        replacing: Option<DateTime<Utc>>,
        audit: NewAuditEvent,
    ) -> StoreResult<bool> {
        self.write((claim, audit), move |tx, (claim, audit)| {
            Box::pin(deficiency::begin_nightly(tx, claim, replacing, audit))
        })
    }

    fn finish_nightly(
        &self,
        run_on: NaiveDate,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        summary: &str,
        audit: NewAuditEvent,
    ) -> StoreResult<()> {
        self.write((summary.to_string(), audit), move |tx, (summary, audit)| {
            Box::pin(deficiency::finish_nightly(tx, run_on, started_at, finished_at, summary, audit))
        })
    }

    fn release_nightly(&self, run_on: NaiveDate, started_at: DateTime<Utc>, audit: NewAuditEvent) -> StoreResult<()> {
        self.write(audit, move |tx, audit| Box::pin(deficiency::release_nightly(tx, run_on, started_at, audit)))
    }

    // ---- release of information: built in roi.rs ----------------------------------------------

    fn add_requester(
        &self,
        requester: crate::domain::roi::NewRequester,
        audit: NewAuditEvent,
    ) -> StoreResult<crate::domain::roi::Requester> {
        self.write((requester, audit), |tx, (requester, audit)| Box::pin(roi::add_requester(tx, requester, audit)))
    }

    fn search_requesters(&self, prefix: &str, limit: usize) -> StoreResult<Vec<crate::domain::roi::Requester>> {
        let prefix = prefix.to_string();
        self.read(prefix, move |c, prefix| Box::pin(roi::search_requesters(c, prefix, limit)))
    }

    fn requester(&self, id: i64) -> StoreResult<Option<crate::domain::roi::Requester>> {
        self.read((), move |c, ()| Box::pin(roi::requester(c, id)))
    }

    fn log_roi_request(&self, request: super::NewRoiRequest, audit: NewAuditEvent) -> StoreResult<super::RoiRequest> {
        self.write((request, audit), |tx, (request, audit)| Box::pin(roi::log_request(tx, request, audit)))
    }

    fn insert_roi_batch(&self, requests: Vec<super::NewRoiRequest>, audit: NewAuditEvent) -> StoreResult<usize> {
        self.write((requests, audit), |tx, (requests, audit)| Box::pin(roi::insert_batch(tx, requests, audit)))
    }

    fn roi_request(&self, number: &crate::domain::roi::RequestNumber) -> StoreResult<Option<super::RoiRequest>> {
        let number = number.clone();
        self.read(number, |c, number| Box::pin(roi::by_number(c, number)))
    }

    fn roi_request_by_id(&self, id: i64) -> StoreResult<Option<super::RoiRequest>> {
        self.read((), move |c, ()| Box::pin(roi::load(c, id)))
    }

    fn apply_roi_change(&self, change: super::RoiChange, audit: NewAuditEvent) -> StoreResult<super::RoiRequest> {
        self.write((change, audit), |tx, (change, audit)| Box::pin(roi::apply_change(tx, change, audit)))
    }

    fn release_documents(&self, patient_id: i64) -> StoreResult<Vec<super::roi::ChartDocument>> {
        self.read((), move |c, ()| Box::pin(packet::release_documents(c, patient_id)))
    }

    fn release_packets(&self, request_id: i64) -> StoreResult<Vec<super::roi::StoredPacket>> {
        self.read((), move |c, ()| Box::pin(packet::release_packets(c, request_id)))
    }

    fn roi_queue_page(
        &self,
        filter: &super::RoiQueueFilter,
        sort: super::RoiSort,
        page: Page,
    ) -> StoreResult<super::RoiQueuePage> {
        let filter = filter.clone();
        self.read(filter, move |c, filter| Box::pin(roi::queue_page(c, filter, sort, page)))
    }

    fn roi_open_ages(&self, filter: &super::RoiQueueFilter) -> StoreResult<Vec<(NaiveDate, i64)>> {
        let filter = filter.clone();
        self.read(filter, |c, filter| Box::pin(roi::open_ages(c, filter)))
    }

    fn roi_requests_for_patient(&self, patient_id: i64, limit: usize) -> StoreResult<Vec<super::RoiQueueRow>> {
        self.read((), move |c, ()| Box::pin(roi::for_patient(c, patient_id, limit)))
    }

    fn roi_open_for_requester(&self, patient_id: i64, requester_id: i64) -> StoreResult<Vec<super::RoiQueueRow>> {
        self.read((), move |c, ()| Box::pin(roi::open_for_requester(c, patient_id, requester_id)))
    }

    fn letter_templates(&self) -> StoreResult<Vec<super::LetterTemplate>> {
        self.read((), |c, ()| Box::pin(roi::templates(c)))
    }

    fn letter_template_history(&self, kind: crate::domain::roi::LetterKind) -> StoreResult<Vec<super::LetterTemplate>> {
        self.read((), move |c, ()| Box::pin(roi::template_history(c, kind)))
    }

    fn save_letter_template(
        &self,
        kind: crate::domain::roi::LetterKind,
        text: &str,
        by: &str,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> StoreResult<super::LetterTemplate> {
        self.write((text.to_string(), by.to_string(), audit), move |tx, (text, by, audit)| {
            Box::pin(roi::save_template(tx, kind, text, by, at, audit))
        })
    }

    fn fee_schedules(&self) -> StoreResult<Vec<crate::domain::roi::fees::FeeSchedule>> {
        self.read((), |c, ()| Box::pin(fees::schedules(c)))
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
        self.write((code.to_string(), rates.clone(), by.to_string(), audit), move |tx, (code, rates, by, audit)| {
            Box::pin(fees::save_schedule(tx, code, effective_from, rates, by, at, audit))
        })
    }

    fn roi_stats_facts(&self, query: &super::roi::RoiStatsQuery) -> StoreResult<crate::domain::roi::stats::StatsFacts> {
        self.read(*query, |c, query| Box::pin(roi_stats::roi_stats_facts(c, query)))
    }

    fn save_draft(&self, username: &str, kind: &str, body: &str, at: DateTime<Utc>) -> StoreResult<()> {
        self.write((username.to_string(), kind.to_string(), body.to_string()), move |tx, (username, kind, body)| {
            Box::pin(roi::save_draft(tx, username, kind, body, at))
        })
    }

    fn draft(&self, username: &str, kind: &str) -> StoreResult<Option<(String, DateTime<Utc>)>> {
        self.read((username.to_string(), kind.to_string()), |c, (username, kind)| {
            Box::pin(roi::draft(c, username, kind))
        })
    }

    fn discard_draft(&self, username: &str, kind: &str) -> StoreResult<()> {
        self.write((username.to_string(), kind.to_string()), |tx, (username, kind)| {
            Box::pin(roi::discard_draft(tx, username, kind))
        })
    }

    // ---- the file room: built in file_room.rs --------------------------------------------------

    fn locations(&self) -> StoreResult<Vec<crate::domain::file_room::Location>> {
        self.read((), |c, ()| Box::pin(file_room::locations(c)))
    }

    fn volume_by_barcode(&self, barcode: &str) -> StoreResult<Option<super::file_room::VolumeRecord>> {
        self.read(barcode.to_string(), |c, barcode| Box::pin(file_room::volume_by_barcode(c, barcode)))
    }

    fn patient_volumes(&self, patient_id: i64) -> StoreResult<Vec<super::file_room::VolumeRecord>> {
        self.read((), move |c, ()| Box::pin(file_room::patient_volumes(c, patient_id)))
    }

    fn add_volume(&self, volume: super::file_room::NewChartVolume, audit: NewAuditEvent) -> StoreResult<i64> {
        self.write((volume, audit), |tx, (volume, audit)| Box::pin(file_room::add_volume(tx, volume, audit)))
    }

    fn write_file_room(&self, write: super::file_room::FileRoomWrite) -> StoreResult<()> {
        self.write(write, |tx, write| Box::pin(file_room::write(tx, write)))
    }

    fn add_chart_requests(
        &self,
        requests: Vec<super::file_room::NewChartRequest>,
        audit: NewAuditEvent,
    ) -> StoreResult<Vec<i64>> {
        self.write((requests, audit), |tx, (requests, audit)| {
            Box::pin(file_room::add_chart_requests(tx, requests, audit))
        })
    }

    fn chart_request(&self, id: i64) -> StoreResult<Option<super::file_room::ChartRequestRecord>> {
        self.read((), move |c, ()| Box::pin(file_room::chart_request(c, id)))
    }

    fn pull_list(&self, needed_on: NaiveDate) -> StoreResult<Vec<super::file_room::ChartRequestRecord>> {
        self.read((), move |c, ()| Box::pin(file_room::pull_list(c, needed_on)))
    }

    fn overdue_volumes(&self, today: NaiveDate) -> StoreResult<Vec<super::file_room::VolumeRecord>> {
        self.read((), move |c, ()| Box::pin(file_room::overdue_volumes(c, today)))
    }

    fn missing_volumes(&self) -> StoreResult<Vec<(super::file_room::VolumeRecord, chrono::DateTime<chrono::Utc>)>> {
        self.read((), |c, ()| Box::pin(file_room::missing_volumes(c)))
    }

    // ---- the accounting of disclosures: built in disclosure.rs -------------------------------

    fn patient_disclosures(
        &self,
        patient_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<super::roi::StoredDisclosure>> {
        self.read((), move |c, ()| Box::pin(disclosure::patient_disclosures(c, patient_id, from, to)))
    }

    fn disclosure(&self, id: i64) -> StoreResult<Option<super::roi::StoredDisclosure>> {
        self.read((), move |c, ()| Box::pin(disclosure::disclosure(c, id)))
    }

    fn record_disclosure(
        &self,
        new: super::roi::NewDisclosure,
        audit: NewAuditEvent,
    ) -> StoreResult<super::roi::StoredDisclosure> {
        self.write((new, audit), |tx, (new, audit)| Box::pin(disclosure::record(tx, new, audit)))
    }

    fn void_disclosure(
        &self,
        id: i64,
        void: super::roi::DisclosureVoid,
        released: Option<super::roi::VoidedRelease>,
        audit: NewAuditEvent,
    ) -> StoreResult<super::roi::StoredDisclosure> {
        self.write((void, released, audit), move |tx, (void, released, audit)| {
            Box::pin(disclosure::void(tx, id, void, released.as_ref(), audit))
        })
    }

    fn add_accounting_suspension(
        &self,
        patient_id: i64,
        suspension: crate::domain::roi::accounting::Suspension,
        by: &str,
        at: DateTime<Utc>,
        audit: NewAuditEvent,
    ) -> StoreResult<super::roi::StoredSuspension> {
        self.write((suspension, by.to_string(), audit), move |tx, (suspension, by, audit)| {
            Box::pin(disclosure::add_suspension(tx, patient_id, suspension, by, at, audit))
        })
    }

    fn accounting_suspensions(&self, patient_id: i64) -> StoreResult<Vec<super::roi::StoredSuspension>> {
        self.read((), move |c, ()| Box::pin(disclosure::suspensions(c, patient_id)))
    }

    fn record_accounting_delivery(
        &self,
        delivery: super::roi::AccountingDelivery,
        audit: NewAuditEvent,
    ) -> StoreResult<()> {
        self.write((delivery, audit), |tx, (delivery, audit)| {
            Box::pin(disclosure::record_delivery(tx, delivery, audit))
        })
    }

    fn accounting_deliveries(&self, patient_id: i64) -> StoreResult<Vec<super::roi::AccountingDelivery>> {
        self.read((), move |c, ()| Box::pin(disclosure::deliveries(c, patient_id)))
    }

    fn wait_for_change(&self, since: &super::ChangeStamp, timeout: Duration) -> StoreResult<super::ChangeStamp> {
        let runtime = self.runtime.as_ref().ok_or_else(|| StoreError::Backend("the store is closing".into()))?;
        self.feed.wait(since, timeout, || {
            runtime.spawn(feed::listen(self.config.clone(), self.target.clone(), self.feed.clone()));
        })
    }
}
