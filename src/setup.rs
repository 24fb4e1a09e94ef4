//! Opening the desk's store: creating it (and its SSN key) on first use, checking that the key
//! belongs to it, and making the account that created it its first director.
//!
//! The store is the embedded SQLite file, or a PostgreSQL database when the configuration names
//! one. The SSN key is a local file either way: every workstation of a department on PostgreSQL
//! holds a copy of the same key (the database holds only a check value, never the key).

use crate::config::{Config, PostgresStore};
use crate::domain::ssn::SsnKey;
use crate::store::postgres::target::{PasswordSources, find_password};
use crate::store::postgres::{PgStore, schema as pg_schema};
use crate::store::sqlite::{FileSharing, SqliteStore};
use crate::store::{Store, StoreError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("no store at {0}; run `chartroom` once, or `chartroom init`, to create one")]
    NoStore(String),
    #[error(
        "the SSN key file {0} is missing, but this store's SSN hashes were made with a key; put the store's key \
         there: restore it from the backup made with the store, or, on a PostgreSQL store, copy it from a \
         workstation that uses the store (README: Backups; Running on PostgreSQL)"
    )]
    KeyMissing(String),
    #[error(
        "the SSN key file {0} does not belong to this store (its check value differs); full-SSN search would \
         find nobody. Point ssn_key_file at the store's own key"
    )]
    KeyMismatch(String),
    #[error("the SSN key file {0} is damaged: it must hold exactly 32 bytes")]
    KeyDamaged(String),
    #[error(
        "another workstation created this store's SSN key at the same moment; the key file made here ({0}) was \
         removed: copy the store's key from the workstation that made it"
    )]
    KeyRace(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A PostgreSQL store that could not be opened, and which setting named it.
    #[error("{error} (the store is set by {named_in})")]
    Postgres { named_in: String, error: StoreError },
    #[error("{0}")]
    Password(String),
    #[error("cannot tell which account runs chartroom: {0}")]
    Account(String),
    #[error("the database {0} holds no chartroom store yet; run `chartroom` once, or `chartroom init`, to create one")]
    NoDatabaseStore(String),
    #[error(
        "the database {target} holds a chartroom store of schema version {found}, and this chartroom needs version \
         {known}: run `chartroom migrate` (once, for the whole department; every workstation then needs this \
         chartroom or a newer one)"
    )]
    NeedsMigrate { target: String, found: i64, known: i64 },
}

impl SetupError {
    /// The store's server could not be reached, or the connection to it was lost.
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::Store(e) | Self::Postgres { error: e, .. } => e.is_unreachable(),
            _ => false,
        }
    }
}

const KEY_CHECK_SETTING: &str = "ssn_key_check";

/// Which store is open, for messages and for what only one kind of store does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded store, at this file.
    Sqlite(PathBuf),
    /// A PostgreSQL database: where (`host:port, database D as R`).
    Postgres(String),
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(target) => write!(f, "the PostgreSQL database at {target}"),
        }
    }
}

/// An open store and the key that goes with it.
pub struct OpenedStore {
    pub store: Arc<dyn Store>,
    pub key: SsnKey,
    /// The store did not exist before this call (no file; a database without chartroom's schema).
    pub created: bool,
    pub key_file: PathBuf,
    pub location: StoreLocation,
    /// The modes of the store's files, which every file written beside it gets too.
    pub sharing: FileSharing,
}

/// Opens the configured store. With `create`, a missing store (and key) is made; without, a missing
/// store is an error naming where it was looked for.
pub fn open_store(config: &Config, create: bool) -> Result<OpenedStore, SetupError> {
    if let Some(postgres) = &config.postgres {
        return open_postgres(config, postgres, create);
    }
    let exists = config.store_file.exists();
    if !exists && !create {
        return Err(SetupError::NoStore(config.store_file.display().to_string()));
    }
    // `sqlite:PATH` may put the file outside the data directory: its own directory decides.
    let dir = match config.store_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let made_dir = !dir.exists();
    let key_existed = config.key_file.exists();
    if !exists {
        create_private_dir(&dir)?;
    }
    let sharing = FileSharing::of_directory(&dir);
    let opened = SqliteStore::open_with(&config.store_file, sharing).map_err(SetupError::from).and_then(|sqlite| {
        let store: Arc<dyn Store> = Arc::new(sqlite);
        let key = load_or_create_key(&*store, &config.key_file, sharing)?;
        Ok(OpenedStore {
            store,
            key,
            created: !exists,
            key_file: config.key_file.clone(),
            location: StoreLocation::Sqlite(config.store_file.clone()),
            sharing,
        })
    });
    if opened.is_err() && !exists {
        // A store that could not be made whole (a full disk, a key path that cannot be written)
        // leaves nothing behind: the next `init` starts from where this one did.
        discard_files(config, made_dir, !key_existed);
    }
    opened
}

/// Removes what making a new SQLite store wrote: its file (and SQLite's companions), the key when
/// it was made with it, and the data directory when it was made for it and is left empty.
pub fn discard_files(config: &Config, made_dir: bool, made_key: bool) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut path = config.store_file.as_os_str().to_owned();
        path.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(path));
    }
    if made_key {
        let _ = std::fs::remove_file(&config.key_file);
    }
    if made_dir && let Some(dir) = config.store_file.parent() {
        // The log directory may be in it; an empty directory only is removed.
        let _ = std::fs::remove_dir(dir.join("logs"));
        let _ = std::fs::remove_dir(dir);
    }
}

/// A PostgreSQL store: connected (a wrong address, an unreachable server, a refused login or a
/// missing database is one message within the connect timeout), its schema made in an empty
/// database when `create`, refused when older than this program (migrating is `chartroom
/// migrate`'s, done once for a department, not by whichever clerk starts first) or newer.
fn open_postgres(config: &Config, postgres: &PostgresStore, create: bool) -> Result<OpenedStore, SetupError> {
    let store = connect_postgres(postgres)?;
    let target = store.target().to_string();
    let in_setting = |error: StoreError| SetupError::Postgres { named_in: postgres.named_in.clone(), error };
    let found = store.schema_version().map_err(in_setting)?;
    let known = pg_schema::current_version();
    let created = if found == 0 {
        if !create {
            return Err(SetupError::NoDatabaseStore(target));
        }
        // Of two workstations starting at once, only the one whose migration made the schema
        // names the founder and fills the demo.
        store.create_schema().map_err(in_setting)?
    } else if found < known {
        return Err(SetupError::NeedsMigrate { target, found, known });
    } else {
        false
    };
    let store: Arc<dyn Store> = Arc::new(store);
    let sharing = config.key_file.parent().map_or(FileSharing::Private, FileSharing::of_directory);
    let key = load_or_create_key(&*store, &config.key_file, sharing)?;
    Ok(OpenedStore {
        store,
        key,
        created,
        key_file: config.key_file.clone(),
        location: StoreLocation::Postgres(target),
        sharing,
    })
}

/// Connects to the configured PostgreSQL store with its password (from `password_file`,
/// `PGPASSWORD` or `~/.pgpass`), whatever its schema: `migrate` brings it up to date.
pub fn connect_postgres(postgres: &PostgresStore) -> Result<PgStore, SetupError> {
    let config = postgres_config(postgres)?;
    PgStore::connect(config).map_err(|error| SetupError::Postgres { named_in: postgres.named_in.clone(), error })
}

/// The connection settings (password included) the store connects with, for a tool that needs a
/// connection of its own to the same database as the same role: `chartroom bench`'s baseline.
pub fn postgres_config(postgres: &PostgresStore) -> Result<tokio_postgres::Config, SetupError> {
    let os_user = crate::desk::identity::current_account().map_err(|e| SetupError::Account(e.to_string()))?;
    let sources = PasswordSources::from_environment(postgres.password_file.clone());
    let mut warnings = Vec::new();
    let password = find_password(&postgres.target, &os_user, &sources, &mut warnings)
        .map_err(|e| SetupError::Password(e.to_string()));
    // libpq says these on stderr too: a skipped ~/.pgpass is why a login then fails.
    for warning in &warnings {
        eprintln!("chartroom: warning: {warning}");
    }
    Ok(postgres.target.connect_config(&os_user, password?.as_deref()))
}

fn create_private_dir(dir: &Path) -> Result<(), SetupError> {
    crate::files::create_dir(dir, FileSharing::Private)
        .map_err(|source| SetupError::Io { path: dir.display().to_string(), source })
}

/// The key file's 32 bytes; created (with the store's check value) when neither exists yet.
pub fn load_or_create_key(store: &dyn Store, path: &Path, sharing: FileSharing) -> Result<SsnKey, SetupError> {
    let check = store.setting(KEY_CHECK_SETTING)?;
    let shown = path.display().to_string();
    let made = !path.exists();
    let key = if !made {
        let mut bytes = Vec::new();
        // A key is 32 bytes: one more is enough to know the file is not one (a store pointed at
        // a multi-gigabyte file, or /dev/zero, must not be read whole).
        std::fs::File::open(path)
            .and_then(|f| f.take(33).read_to_end(&mut bytes))
            .map_err(|source| SetupError::Io { path: shown.clone(), source })?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SetupError::KeyDamaged(shown.clone()))?;
        SsnKey::from_bytes(bytes)
    } else {
        if check.is_some() {
            return Err(SetupError::KeyMissing(shown));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| SetupError::Io { path: shown.clone(), source: std::io::Error::other(e.to_string()) })?;
        write_key_file(path, &bytes, sharing).map_err(|source| SetupError::Io { path: shown.clone(), source })?;
        SsnKey::from_bytes(bytes)
    };
    let expected = key_check(&key);
    match check {
        Some(stored) if stored != expected => Err(SetupError::KeyMismatch(shown)),
        Some(_) => Ok(key),
        None => {
            store.init_setting(KEY_CHECK_SETTING, &expected)?;
            // Two workstations starting a new networked store at once each make a key; the first
            // check value written wins, and the other's key would hash SSNs no one can find.
            if store.setting(KEY_CHECK_SETTING)?.as_deref() != Some(expected.as_str()) {
                if made {
                    let _ = std::fs::remove_file(path);
                    return Err(SetupError::KeyRace(shown));
                }
                return Err(SetupError::KeyMismatch(shown));
            }
            Ok(key)
        }
    }
}

fn write_key_file(path: &Path, bytes: &[u8; 32], sharing: FileSharing) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        crate::files::create_dir(parent, sharing)?;
    }
    // The group reads a shared install's key but never rewrites it.
    let mode = match sharing {
        FileSharing::Private => 0o600,
        FileSharing::Group => 0o640,
    };
    let mut file = crate::files::create_new(path, mode)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if written.is_err() {
        // Half a key is worse than none: the next run would call it damaged.
        let _ = std::fs::remove_file(path);
    }
    written
}

/// A value that tells whether a key file is this store's, without revealing the key.
fn key_check(key: &SsnKey) -> String {
    let probe = crate::domain::ssn::Ssn::parse("000000000");
    probe.map(|p| key.hash(&p)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Overrides};

    fn config_in(dir: &Path) -> Config {
        Config::load(&Overrides {
            data_dir: Some(dir.join("data")),
            config: Some(dir.join("config.toml")),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn the_key_is_made_once_and_must_match_afterwards() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let config = config_in(dir.path());
        assert!(matches!(open_store(&config, false), Err(SetupError::NoStore(_))));
        let first = open_store(&config, true).unwrap();
        assert!(first.created);
        assert_eq!(std::fs::metadata(&config.key_file).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&config.data_dir).unwrap().permissions().mode() & 0o777, 0o700);
        drop(first);
        let again = open_store(&config, false).unwrap();
        assert!(!again.created);
        drop(again);

        std::fs::write(&config.key_file, [7u8; 32]).unwrap();
        assert!(matches!(open_store(&config, false), Err(SetupError::KeyMismatch(_))));
        std::fs::write(&config.key_file, [7u8; 5]).unwrap();
        assert!(matches!(open_store(&config, false), Err(SetupError::KeyDamaged(_))));
        std::fs::remove_file(&config.key_file).unwrap();
        assert!(matches!(open_store(&config, false), Err(SetupError::KeyMissing(_))));
    }

    #[test]
    fn a_key_path_that_is_no_key_is_read_only_as_far_as_a_key_goes() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config_in(dir.path());
        drop(open_store(&config, true).unwrap());
        // An endless file: read whole, it would never answer.
        config.key_file = PathBuf::from("/dev/zero");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(open_store(&config, false).err().map(|e| e.to_string())));
        let err = rx.recv_timeout(std::time::Duration::from_secs(20)).expect("reading the key never ended");
        assert!(err.is_some_and(|e| e.contains("exactly 32 bytes")));
    }

    #[test]
    fn a_store_whose_key_cannot_be_written_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config_in(dir.path());
        // A key path under a plain file: no account, root included, can make it.
        let blocker = dir.path().join("not-a-directory");
        std::fs::write(&blocker, b"").unwrap();
        config.key_file = blocker.join("ssn.key");
        assert!(matches!(open_store(&config, true), Err(SetupError::Io { .. })));
        assert!(!config.store_file.exists(), "the half-made store was left behind");
        assert!(!config.data_dir.exists(), "the data directory made for it was left behind");
        config.key_file = dir.path().join("ssn.key");
        assert!(open_store(&config, true).unwrap().created, "the next try makes the store afresh");
    }
}
