//! Opening the desk's store: creating it (and its SSN key) on first use, checking that the key
//! belongs to it, and making the account that created it its first director.

use crate::config::Config;
use crate::domain::ssn::SsnKey;
use crate::store::sqlite::{FileSharing, SqliteStore};
use crate::store::{Store, StoreError};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("no store at {0}; run `chartroom` once, or `chartroom init`, to create one")]
    NoStore(String),
    #[error(
        "the SSN key file {0} is missing, but this store's SSN hashes were made with a key; restore the key file \
         from the backup you made with the store (README: Backups)"
    )]
    KeyMissing(String),
    #[error(
        "the SSN key file {0} does not belong to this store (its check value differs); full-SSN search would \
         find nobody. Point ssn_key_file at the store's own key"
    )]
    KeyMismatch(String),
    #[error("the SSN key file {0} is damaged: it must hold exactly 32 bytes")]
    KeyDamaged(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

const KEY_CHECK_SETTING: &str = "ssn_key_check";

/// An open store and the key that goes with it.
pub struct OpenedStore {
    pub store: Arc<dyn Store>,
    pub key: SsnKey,
    /// The store file did not exist before this call.
    pub created: bool,
    pub key_file: std::path::PathBuf,
    pub store_file: std::path::PathBuf,
}

/// Opens the configured store. With `create`, a missing store (and key) is made; without, a missing
/// store is an error naming the path.
pub fn open_store(config: &Config, create: bool) -> Result<OpenedStore, SetupError> {
    let exists = config.store_file.exists();
    if !exists && !create {
        return Err(SetupError::NoStore(config.store_file.display().to_string()));
    }
    if !exists {
        create_private_dir(&config.data_dir)?;
    }
    let sharing = FileSharing::of_directory(&config.data_dir);
    let sqlite = SqliteStore::open_with(&config.store_file, sharing)?;
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let key = load_or_create_key(&*store, &config.key_file, sharing)?;
    Ok(OpenedStore {
        store,
        key,
        created: !exists,
        key_file: config.key_file.clone(),
        store_file: config.store_file.clone(),
    })
}

fn create_private_dir(dir: &Path) -> Result<(), SetupError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if dir.exists() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| SetupError::Io { path: dir.display().to_string(), source })?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|source| SetupError::Io { path: dir.display().to_string(), source })
}

/// The key file's 32 bytes; created (with the store's check value) when neither exists yet.
pub fn load_or_create_key(store: &dyn Store, path: &Path, sharing: FileSharing) -> Result<SsnKey, SetupError> {
    let check = store.setting(KEY_CHECK_SETTING)?;
    let shown = path.display().to_string();
    let key = if path.exists() {
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
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
            Ok(key)
        }
    }
}

fn write_key_file(path: &Path, bytes: &[u8; 32], sharing: FileSharing) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    if let Some(parent) = path.parent()
        && !parent.exists()
    {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent)?;
    }
    let mode = match sharing {
        FileSharing::Private => 0o600,
        FileSharing::Group => 0o640,
    };
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    file.write_all(bytes)?;
    file.sync_all()
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
}
