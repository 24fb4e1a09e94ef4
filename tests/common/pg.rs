//! A throwaway PostgreSQL for the tests: one cluster per test process, a fresh database per fixture.
//!
//! Unless `CHARTROOM_TEST_PG` names a server (a URL or `key=value` string whose role may create
//! databases), the first test that asks starts a PostgreSQL cluster of its own: `initdb` into a
//! temporary directory (as the `postgres` OS account when run as root, since initdb refuses root),
//! on a free port of 127.0.0.1, with durability off for speed. Statics are never dropped, so a
//! watchdog shell stops the cluster and removes its directory once this process is gone.
//!
//! Where no PostgreSQL binaries are found (`CHARTROOM_PG_BIN`, the directory of the `initdb` on the
//! PATH, `/usr/lib/postgresql/*/bin`), the PostgreSQL tests skip with the reason printed — except
//! when `CI=true`, where that is a failure. Binaries found but a cluster that will not start is a
//! failure everywhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The server the tests make their databases in.
pub struct Server {
    /// A superuser's connection to the maintenance database.
    admin: tokio_postgres::Config,
    /// The connection string less its database, for [`pg_database_url`].
    base: Base,
}

enum Base {
    /// `postgres://user@host:port` and the query string (with its `?`), if any.
    Url { prefix: String, query: String },
    /// A `key=value` string, to which ` dbname=…` is appended.
    KeyValue(String),
}

impl Base {
    fn with_database(&self, name: &str) -> String {
        match self {
            Self::Url { prefix, query } => format!("{prefix}/{name}{query}"),
            Self::KeyValue(conninfo) => format!("{conninfo} dbname={name}"),
        }
    }
}

enum Problem {
    /// Nothing to run PostgreSQL with here: the tests skip, unless in CI.
    Unavailable(String),
    /// PostgreSQL is here and did not work: always a failure.
    Broken(String),
}

static SERVER: OnceLock<Result<Server, Problem>> = OnceLock::new();
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(1);

fn server() -> Result<&'static Server, &'static Problem> {
    SERVER.get_or_init(start).as_ref()
}

/// Whether the PostgreSQL tests run here. Prints why not; fails in CI, and wherever PostgreSQL is
/// installed but does not start.
pub fn available() -> bool {
    match server() {
        Ok(_) => true,
        Err(Problem::Broken(why)) => panic!("the test PostgreSQL did not start: {why}"),
        Err(Problem::Unavailable(why)) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true and the PostgreSQL tests cannot run: {why}");
            }
            eprintln!("skipping the PostgreSQL backend: {why}");
            false
        }
    }
}

/// A database of the test server, dropped (with any connection still open to it) when this is.
pub struct PgDatabase {
    pub name: String,
    pub config: tokio_postgres::Config,
    pub url: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if let Ok(server) = server() {
            let dropped = admin_exec(&server.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
            if let Err(e) = dropped {
                eprintln!("could not drop the test database {}: {e}", self.name);
            }
        }
    }
}

/// A fresh, empty database. Panics where PostgreSQL is not [`available`].
pub fn fresh_database() -> PgDatabase {
    let server = match server() {
        Ok(server) => server,
        Err(Problem::Broken(why) | Problem::Unavailable(why)) => panic!("no test PostgreSQL: {why}"),
    };
    let name = format!("t_{}_{}", std::process::id(), NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
    if let Err(e) = admin_exec(&server.admin, &format!("CREATE DATABASE {name}")) {
        panic!("could not create the test database {name}: {e}");
    }
    let mut config = server.admin.clone();
    config.dbname(&name);
    PgDatabase { url: server.base.with_database(&name), name, config }
}

/// The URL of a fresh, empty database, for end-to-end tests that drive the binary; None (with the
/// reason printed) where PostgreSQL is not available. The database lives as long as the test
/// server: the cluster's directory goes with it, and a named server's are dropped by the next test
/// process that finds their process gone.
pub fn pg_database_url() -> Option<String> {
    if !available() {
        return None;
    }
    let database = fresh_database();
    let url = database.url.clone();
    std::mem::forget(database);
    Some(url)
}

/// Runs `sql` on the server's maintenance database, on a thread of its own: the caller may be on a
/// runtime's thread, where blocking on another runtime would panic.
fn admin_exec(config: &tokio_postgres::Config, sql: &str) -> Result<(), String> {
    admin_query(config, sql).map(drop)
}

/// Like [`admin_exec`], returning the first column of each row as text.
fn admin_query(config: &tokio_postgres::Config, sql: &str) -> Result<Vec<String>, String> {
    let (config, sql) = (config.clone(), sql.to_string());
    std::thread::spawn(move || -> Result<Vec<String>, String> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
            let connection = tokio::spawn(connection);
            let result = client.simple_query(&sql).await.map_err(|e| match e.as_db_error() {
                Some(db) => format!("{} ({})", db.message(), db.code().code()),
                None => e.to_string(),
            });
            drop(client);
            let _ = connection.await;
            Ok::<_, String>(
                result?
                    .into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                        _ => None,
                    })
                    .collect(),
            )
        })
    })
    .join()
    .map_err(|_| "the admin connection's thread panicked".to_string())?
}

fn start() -> Result<Server, Problem> {
    if let Ok(url) = std::env::var("CHARTROOM_TEST_PG") {
        return named_server(&url);
    }
    let bin = find_binaries().ok_or_else(|| {
        Problem::Unavailable(
            "no PostgreSQL binaries: set CHARTROOM_PG_BIN to a directory holding initdb and pg_ctl, put initdb on \
             the PATH, install postgresql (/usr/lib/postgresql/*/bin), or set CHARTROOM_TEST_PG to a server's URL"
                .into(),
        )
    })?;
    let cluster = Cluster::create(&bin).map_err(Problem::Broken)?;
    let port = cluster.start().map_err(Problem::Broken)?;
    let mut admin = tokio_postgres::Config::new();
    admin.host("127.0.0.1").port(port).user("postgres").dbname("postgres");
    Ok(Server {
        admin,
        base: Base::Url { prefix: format!("postgres://postgres@127.0.0.1:{port}"), query: String::new() },
    })
}

/// A server the developer named. Databases it holds from test processes of this host that are gone
/// are dropped first: they were a fixture's that never reached its end (a test killed).
fn named_server(url: &str) -> Result<Server, Problem> {
    let mut admin: tokio_postgres::Config =
        url.parse().map_err(|e| Problem::Broken(format!("CHARTROOM_TEST_PG is not a connection string: {e}")))?;
    admin.dbname("postgres");
    let base = match url.split_once("://") {
        Some((scheme, rest)) => {
            let (rest, query) = match rest.find('?') {
                Some(at) => (&rest[..at], rest[at..].to_string()),
                None => (rest, String::new()),
            };
            let authority = rest.split('/').next().unwrap_or(rest);
            Base::Url { prefix: format!("{scheme}://{authority}"), query }
        }
        None => Base::KeyValue(url.to_string()),
    };
    let names = admin_query(&admin, "SELECT datname FROM pg_database WHERE datname ~ '^t_[0-9]+_[0-9]+$'")
        .map_err(|e| Problem::Broken(format!("cannot reach CHARTROOM_TEST_PG: {e}")))?;
    for name in names {
        let pid = name.split('_').nth(1).unwrap_or("");
        if !Path::new("/proc").join(pid).exists() {
            let _ = admin_exec(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
    Ok(Server { admin, base })
}

/// The directory holding `initdb` and `pg_ctl`.
fn find_binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("CHARTROOM_PG_BIN") {
        let dir = PathBuf::from(dir);
        return has_both(&dir).then_some(dir);
    }
    // `initdb` on the PATH is often a symlink (Debian's wrapper, or a link to the versioned
    // binary); `pg_ctl` sits beside its target.
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("initdb"))
            .find(|candidate| candidate.is_file())
            .and_then(|initdb| std::fs::canonicalize(initdb).ok())
            .and_then(|initdb| initdb.parent().map(Path::to_path_buf))
            .filter(|dir| has_both(dir))
    });
    if on_path.is_some() {
        return on_path;
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            let bin = entry.path().join("bin");
            has_both(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A cluster in a temporary directory.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
}

impl Cluster {
    fn create(bin: &Path) -> Result<Self, String> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("chartroom-pg-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        if running_as_root() {
            let user = uzers::get_user_by_name("postgres")
                .ok_or("running as root, and there is no postgres account to run initdb as")?;
            std::os::unix::fs::chown(&dir, Some(user.uid()), Some(user.primary_group_id()))
                .map_err(|e| format!("cannot give {} to postgres: {e}", dir.display()))?;
        }
        let cluster = Self { bin: bin.to_path_buf(), dir };
        cluster.watch();
        let initdb = format!(
            "'{}/initdb' -D '{}/data' -A trust -U postgres --no-sync -E UTF8",
            cluster.bin.display(),
            cluster.dir.display()
        );
        cluster.run(&initdb, "initdb")?;
        Ok(cluster)
    }

    /// Starts the server on a free port and returns it. Another process may take the port between
    /// our asking and the server's binding, so a few ports are tried.
    fn start(&self) -> Result<u16, String> {
        let mut last = String::new();
        for _ in 0..4 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| format!("no free port: {e}"))?
                .port();
            match self.start_on(port) {
                Ok(()) => return Ok(port),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Starts the server on `port`.
    fn start_on(&self, port: u16) -> Result<(), String> {
        let dir = self.dir.display();
        let pg_ctl = format!(
            "'{bin}/pg_ctl' -D '{dir}/data' -l '{dir}/server.log' -w -t 60 -o \"-p {port} -k '{dir}' \
             -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start",
            bin = self.bin.display()
        );
        self.run(&pg_ctl, "pg_ctl start")
    }

    /// Runs `command` through a shell, as postgres when root; its output goes to a file, read back
    /// when it fails (the server it starts must not hold a pipe of ours open).
    fn run(&self, command: &str, what: &str) -> Result<(), String> {
        let out = self.dir.join(format!("{}.out", what.replace(' ', "_")));
        let command = format!("{command} > '{}' 2>&1", out.display());
        let status = as_postgres(&command)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run {what}: {e}"))?;
        if status.success() {
            return Ok(());
        }
        let output = std::fs::read_to_string(&out).unwrap_or_default();
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        Err(format!("{what} failed ({status}): {output}\n{log}"))
    }

    /// A shell that outlives this process by at most a second: once it is gone, the server stops
    /// and the directory goes. In a process group of its own, so a Ctrl-C that ends the tests does
    /// not end it first.
    fn watch(&self) {
        use std::os::unix::process::CommandExt;
        let dir = self.dir.display();
        let stop = format!("'{}/pg_ctl' -D '{dir}/data' -m immediate stop", self.bin.display());
        let stop = if running_as_root() { format!("su postgres -s /bin/sh -c \"{stop}\"") } else { stop };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id()
        );
        let spawned = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn();
        if let Err(e) = spawned {
            eprintln!("no watchdog for the test PostgreSQL at {dir}: {e}");
        }
    }
}

/// A cluster of one test's own, which it may stop and start under a running program (the shared
/// cluster serves every test of the process), and whose logins over TCP may need a password.
pub struct OwnCluster {
    cluster: Cluster,
    pub port: u16,
    /// The superuser over the cluster's Unix socket, which trusts every local login.
    admin: tokio_postgres::Config,
}

/// How the cluster's TCP logins are checked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Logins {
    Trust,
    /// scram-sha-256: a role needs its password.
    Password,
}

/// A new cluster of the caller's own, started; None (with the reason printed) where PostgreSQL
/// cannot run here.
pub fn own_cluster(logins: Logins) -> Option<OwnCluster> {
    if !available() {
        return None;
    }
    if std::env::var_os("CHARTROOM_TEST_PG").is_some() && find_binaries().is_none() {
        eprintln!("skipping: a test of its own cluster needs the PostgreSQL binaries, not only CHARTROOM_TEST_PG");
        return None;
    }
    let bin = find_binaries().unwrap_or_else(|| panic!("no PostgreSQL binaries for a cluster of a test's own"));
    let cluster = Cluster::create(&bin).unwrap_or_else(|e| panic!("{e}"));
    if logins == Logins::Password {
        let hba =
            "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
        // Rewritten in place, so the file keeps the server's account as its owner.
        std::fs::write(cluster.dir.join("data/pg_hba.conf"), hba).unwrap();
    }
    let port = cluster.start().unwrap_or_else(|e| panic!("{e}"));
    let mut admin = tokio_postgres::Config::new();
    admin.host_path(&cluster.dir).port(port).user("postgres").dbname("postgres");
    Some(OwnCluster { cluster, port, admin })
}

impl OwnCluster {
    /// `CREATE DATABASE name` (owned by `owner` when given); its URL for `user`, without a password.
    pub fn database(&self, name: &str, owner: Option<&str>) -> String {
        let owner_clause = owner.map(|o| format!(" OWNER {o}")).unwrap_or_default();
        self.exec(&format!("CREATE DATABASE {name}{owner_clause}")).unwrap_or_else(|e| panic!("{e}"));
        format!("postgres://{}@127.0.0.1:{}/{name}", owner.unwrap_or("postgres"), self.port)
    }

    /// Runs `sql` in the maintenance database as the superuser, over the socket.
    pub fn exec(&self, sql: &str) -> Result<Vec<String>, String> {
        admin_query(&self.admin, sql)
    }

    /// Runs `sql` in `database` as the superuser, over the socket.
    pub fn exec_in(&self, database: &str, sql: &str) -> Result<Vec<String>, String> {
        let mut config = self.admin.clone();
        config.dbname(database);
        admin_query(&config, sql)
    }

    /// `pg_ctl stop -m fast`: clients are disconnected, the server shuts down cleanly.
    pub fn stop(&self) {
        let stop =
            format!("'{}/pg_ctl' -D '{}/data' -m fast -w stop", self.cluster.bin.display(), self.cluster.dir.display());
        self.cluster.run(&stop, "pg_ctl stop").unwrap_or_else(|e| panic!("{e}"));
    }

    /// Starts the server again on its port.
    pub fn start(&self) {
        self.cluster.start_on(self.port).unwrap_or_else(|e| panic!("{e}"));
    }
}

impl Drop for OwnCluster {
    fn drop(&mut self) {
        let stop = format!(
            "'{}/pg_ctl' -D '{}/data' -m immediate stop",
            self.cluster.bin.display(),
            self.cluster.dir.display()
        );
        let _ = self.cluster.run(&stop, "pg_ctl stop at drop");
        let _ = std::fs::remove_dir_all(&self.cluster.dir);
    }
}

fn running_as_root() -> bool {
    uzers::get_effective_uid() == 0
}

/// `sh -c COMMAND`, as the postgres account when root (initdb and the server refuse root).
fn as_postgres(command: &str) -> Command {
    if running_as_root() {
        let mut su = Command::new("su");
        su.args(["postgres", "-s", "/bin/sh", "-c", command]);
        su
    } else {
        let mut sh = Command::new("sh");
        sh.args(["-c", command]);
        sh
    }
}

/// Runs `sql` in `database` as the server's superuser, returning the first column of each row.
pub fn exec(database: &PgDatabase, sql: &str) -> Result<Vec<String>, String> {
    admin_query(&database.config, sql)
}

/// The plan PostgreSQL makes for `sql` with `params`, after `settings` (e.g. `SET enable_seqscan =
/// off`), one line of EXPLAIN's text a line.
pub fn explain(
    database: &PgDatabase,
    settings: &str,
    sql: &str,
    params: Vec<Box<dyn tokio_postgres::types::ToSql + Sync + Send>>,
) -> Result<String, String> {
    let (config, settings, sql) = (database.config.clone(), settings.to_string(), format!("EXPLAIN {sql}"));
    std::thread::spawn(move || -> Result<String, String> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
            let connection = tokio::spawn(connection);
            client.batch_execute(&settings).await.map_err(|e| e.to_string())?;
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p.as_ref() as &(dyn tokio_postgres::types::ToSql + Sync)).collect();
            let rows = client.query(&sql, &refs).await.map_err(|e| e.to_string())?;
            drop(client);
            let _ = connection.await;
            let lines: Result<Vec<String>, _> = rows.iter().map(|r| r.try_get::<_, String>(0)).collect();
            lines.map(|lines| lines.join("\n")).map_err(|e| e.to_string())
        })
    })
    .join()
    .map_err(|_| "the EXPLAIN thread panicked".to_string())?
}
