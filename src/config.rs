//! Where things live and what the user changed: the data directory, the SSN key file, the log
//! directory, display settings and keymap overrides.
//!
//! Two layers, later winning: the system config (`CHARTROOM_CONFIG`, else `/etc/chartroom/config.toml`)
//! that points every account on a host at one shared store, then the user's own
//! (`--config FILE`, else `~/.config/chartroom/config.toml`). Every setting is documented in
//! `config.example.toml`.
//!
//! Which store: `--store URL`, else `CHARTROOM_STORE`, else `[store] url` (the user's config over the
//! system's); none is the embedded SQLite store in the data directory. A URL is `sqlite:PATH` or a
//! PostgreSQL URL, read by [`PgTarget::parse`]; a password is never taken from any of them.

use crate::store::postgres::target::{PgTarget, TargetError, WHERE_PASSWORDS_GO};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const SYSTEM_CONFIG: &str = "/etc/chartroom/config.toml";
pub const STORE_FILE: &str = "chartroom.db";
pub const KEY_FILE: &str = "ssn.key";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("no home directory for this account; pass --data-dir and --config")]
    NoHome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ColorChoice {
    /// Colour unless `NO_COLOR` is set.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    data_dir: Option<PathBuf>,
    ssn_key_file: Option<PathBuf>,
    log_dir: Option<PathBuf>,
    #[serde(default)]
    store: StoreFile,
    #[serde(default)]
    display: DisplayFile,
    #[serde(default)]
    session: SessionFile,
    #[serde(default)]
    keymap: BTreeMap<String, BTreeMap<String, toml::Spanned<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    url: Option<toml::Spanned<String>>,
    password_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    idle_lock_minutes: Option<toml::Spanned<u64>>,
    /// For tests that cannot wait a minute: seconds, taking the place of the minutes.
    idle_lock_seconds: Option<toml::Spanned<u64>>,
}

/// The idle lock's default, and the range a config may set: HIPAA's automatic logoff has no
/// "never", and past two hours a screen left open is not locked by any measure a clerk would own.
pub const IDLE_LOCK_DEFAULT_MINUTES: u64 = 10;
pub const IDLE_LOCK_MINUTES: std::ops::RangeInclusive<u64> = 1..=120;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DisplayFile {
    color: Option<ColorChoice>,
    ascii: Option<bool>,
}

/// One keymap line from a config file, with where it was written, so a bad binding is refused with
/// the file and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapOverride {
    pub context: String,
    pub key: String,
    pub action: String,
    /// `path:line`
    pub origin: String,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub store_file: PathBuf,
    pub key_file: PathBuf,
    pub log_dir: PathBuf,
    pub color: ColorChoice,
    pub ascii: bool,
    pub keymap: Vec<KeymapOverride>,
    /// The config files read, in order.
    pub files: Vec<PathBuf>,
    /// The PostgreSQL store selected, if one is; None means the SQLite store at `store_file`.
    pub postgres: Option<PostgresStore>,
    /// How long the terminal program waits without a key before it locks (`[session]
    /// idle_lock_minutes`, 1 to 120, default 10).
    pub idle_lock: std::time::Duration,
}

/// A PostgreSQL store the configuration selects: where it is, and where its password may be.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pub target: PgTarget,
    /// `[store] password_file`: a file holding only the password (tried before `PGPASSWORD` and
    /// `~/.pgpass`).
    pub password_file: Option<PathBuf>,
    /// Where the URL was given (`--store`, `CHARTROOM_STORE`, a config file), for messages.
    pub named_in: String,
}

/// Where a store URL was given, and what relative paths in it are taken from.
#[derive(Debug, Clone)]
enum UrlOrigin {
    Flag,
    Env,
    /// A config file, at `path:line`, and its directory.
    File {
        at: String,
        dir: PathBuf,
    },
}

impl UrlOrigin {
    fn name(&self) -> String {
        match self {
            Self::Flag => "--store".into(),
            Self::Env => "CHARTROOM_STORE".into(),
            Self::File { at, .. } => at.clone(),
        }
    }

    /// Why a password may not be written where this URL was.
    fn why_no_password(&self) -> &'static str {
        match self {
            Self::Flag => "and a command line can be read by every account on this host (ps)",
            Self::Env => "and a process's environment is seen by every program it starts",
            Self::File { .. } => "and a config file is read by more people than a ~/.pgpass",
        }
    }
}

/// What the command line and environment say before any file is read.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub color: Option<ColorChoice>,
    pub ascii: bool,
    /// `--store URL`.
    pub store: Option<String>,
}

impl Config {
    pub fn load(overrides: &Overrides) -> Result<Self, ConfigError> {
        let dirs = directories::ProjectDirs::from("org", "chartroom", "chartroom");
        let system_path = std::env::var_os("CHARTROOM_CONFIG").map(PathBuf::from).or_else(|| {
            let path = PathBuf::from(SYSTEM_CONFIG);
            path.exists().then_some(path)
        });
        let user_path = match &overrides.config {
            Some(path) => Some(path.clone()),
            None => dirs.as_ref().map(|d| d.config_dir().join("config.toml")),
        };
        let mut files = Vec::new();
        let mut layers = Vec::new();
        for path in [system_path.clone(), user_path.clone()].into_iter().flatten() {
            if !path.exists() {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .map_err(|source| ConfigError::Io { path: path.display().to_string(), source })?;
            let file: ConfigFile = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
                path: format!("{}{}", path.display(), line_suffix(&text, e.span().map(|s| s.start))),
                message: e.message().to_string(),
            })?;
            files.push(path.clone());
            layers.push((path, text, file));
        }

        let mut data_dir = None;
        let mut key_file = None;
        let mut log_dir = None;
        let mut color = ColorChoice::Auto;
        let mut ascii = false;
        let mut keymap = Vec::new();
        let mut store_url = None;
        let mut password_file = None;
        let mut idle_lock = std::time::Duration::from_secs(IDLE_LOCK_DEFAULT_MINUTES * 60);
        for (path, text, file) in &layers {
            if let Some(minutes) = &file.session.idle_lock_minutes {
                if !IDLE_LOCK_MINUTES.contains(minutes.get_ref()) {
                    return Err(ConfigError::Invalid {
                        path: format!("{}{}", path.display(), line_suffix(text, Some(minutes.span().start))),
                        message: format!(
                            "idle_lock_minutes is {} to {} (the screen locks after that long without a key)",
                            IDLE_LOCK_MINUTES.start(),
                            IDLE_LOCK_MINUTES.end()
                        ),
                    });
                }
                idle_lock = std::time::Duration::from_secs(minutes.get_ref() * 60);
            }
            if let Some(seconds) = &file.session.idle_lock_seconds {
                if !(1..=IDLE_LOCK_MINUTES.end() * 60).contains(seconds.get_ref()) {
                    return Err(ConfigError::Invalid {
                        path: format!("{}{}", path.display(), line_suffix(text, Some(seconds.span().start))),
                        message: "idle_lock_seconds is 1 to 7200".into(),
                    });
                }
                idle_lock = std::time::Duration::from_secs(*seconds.get_ref());
            }
            let base = path.parent().unwrap_or(Path::new("."));
            if let Some(url) = &file.store.url {
                let at = format!("{}{}", path.display(), line_suffix(text, Some(url.span().start)));
                store_url = Some((url.get_ref().clone(), UrlOrigin::File { at, dir: base.to_path_buf() }));
            }
            if let Some(p) = &file.store.password_file {
                password_file = Some(base.join(p));
            }
            if let Some(d) = &file.data_dir {
                data_dir = Some(base.join(d));
            }
            if let Some(k) = &file.ssn_key_file {
                key_file = Some(base.join(k));
            }
            if let Some(l) = &file.log_dir {
                log_dir = Some(base.join(l));
            }
            if let Some(c) = file.display.color {
                color = c;
            }
            if let Some(a) = file.display.ascii {
                ascii = a;
            }
            for (context, bindings) in &file.keymap {
                for (key, action) in bindings {
                    keymap.push(KeymapOverride {
                        context: context.clone(),
                        key: key.clone(),
                        action: action.get_ref().clone(),
                        origin: format!("{}{}", path.display(), line_suffix(text, Some(action.span().start))),
                    });
                }
            }
        }

        let data_dir = match (&overrides.data_dir, std::env::var_os("CHARTROOM_DATA_DIR"), data_dir) {
            (Some(dir), _, _) => dir.clone(),
            (None, Some(dir), _) => PathBuf::from(dir),
            (None, None, Some(dir)) => dir,
            (None, None, None) => dirs.as_ref().ok_or(ConfigError::NoHome)?.data_dir().to_path_buf(),
        };
        // The SSN key lives beside the config that governs the store: the system config of a shared
        // install, else the user's config — never in the database.
        let key_file = match key_file {
            Some(path) => path,
            None => {
                let beside = system_path
                    .filter(|p| p.exists())
                    .or(user_path)
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .ok_or(ConfigError::NoHome)?;
                beside.join(KEY_FILE)
            }
        };
        let log_dir = match log_dir {
            Some(dir) => dir,
            None => match &overrides.data_dir {
                Some(dir) => dir.join("logs"),
                None => dirs
                    .as_ref()
                    .map(|d| d.state_dir().unwrap_or(d.data_local_dir()).join("logs"))
                    .unwrap_or_else(|| data_dir.join("logs")),
            },
        };
        if let Some(c) = overrides.color {
            color = c;
        }
        ascii |= overrides.ascii;
        let env_store = std::env::var("CHARTROOM_STORE").ok().filter(|u| !u.trim().is_empty());
        let store_url = match (&overrides.store, env_store) {
            (Some(url), _) => Some((url.clone(), UrlOrigin::Flag)),
            (None, Some(url)) => Some((url, UrlOrigin::Env)),
            (None, None) => store_url,
        };
        let mut store_file = data_dir.join(STORE_FILE);
        let mut postgres = None;
        match store_url.map(|(url, origin)| (select_store(url.trim(), &origin), origin)) {
            None => {}
            Some((Ok(Selected::Sqlite(path)), _)) => store_file = path,
            Some((Ok(Selected::Postgres(target)), origin)) => {
                postgres = Some(PostgresStore { target, password_file, named_in: origin.name() })
            }
            Some((Err(message), origin)) => return Err(ConfigError::Invalid { path: origin.name(), message }),
        }
        Ok(Self { store_file, data_dir, key_file, log_dir, color, ascii, keymap, files, postgres, idle_lock })
    }

    /// Whether colour is on, after `NO_COLOR` (no-color.org: any non-empty value).
    pub fn use_color(&self) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// Whether to draw with ASCII only: `--ascii`, the config, or a locale that is not UTF-8.
    pub fn use_ascii(&self) -> bool {
        self.ascii || !locale_is_utf8()
    }
}

enum Selected {
    Sqlite(PathBuf),
    Postgres(PgTarget),
}

/// What a store URL names: `sqlite:PATH` (relative to the config file that says so, or to the
/// working directory) or a PostgreSQL database. A password in it is refused, saying why here and
/// where it goes instead.
fn select_store(url: &str, origin: &UrlOrigin) -> Result<Selected, String> {
    if let Some(path) = url.strip_prefix("sqlite:") {
        if path.is_empty() {
            return Err("sqlite: names no file; write sqlite:/path/to/chartroom.db".into());
        }
        return Ok(Selected::Sqlite(match origin {
            UrlOrigin::File { dir, .. } => dir.join(path),
            UrlOrigin::Flag | UrlOrigin::Env => PathBuf::from(path),
        }));
    }
    match PgTarget::parse(url) {
        Ok(target) => Ok(Selected::Postgres(target)),
        Err(TargetError::PasswordInUrl) => Err(format!(
            "the store URL carries a password, {}; remove the password from it and {WHERE_PASSWORDS_GO}",
            origin.why_no_password()
        )),
        Err(e) => Err(e.to_string()),
    }
}

fn locale_is_utf8() -> bool {
    for var in ["LC_ALL", "LC_CTYPE", "LANG"] {
        if let Some(value) = std::env::var_os(var) {
            let value = value.to_string_lossy().to_ascii_lowercase();
            if value.is_empty() {
                continue;
            }
            return value.contains("utf-8") || value.contains("utf8");
        }
    }
    // No locale at all (a bare SSH session, cron): modern terminals are UTF-8.
    true
}

/// `:LINE` for a byte offset into `text`.
fn line_suffix(text: &str, offset: Option<usize>) -> String {
    match offset {
        Some(offset) => format!(":{}", text[..offset.min(text.len())].matches('\n').count() + 1),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keymap_lines_and_layering() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "data_dir = \"store\"\n\n[display]\ncolor = \"never\"\n\n[keymap.global]\n\"ctrl-x\" = \"quit\"\n",
        )
        .unwrap();
        let config = Config::load(&Overrides { config: Some(path.clone()), ..Default::default() }).unwrap();
        assert_eq!(config.color, ColorChoice::Never);
        assert!(!config.use_color());
        assert_eq!(config.key_file, dir.path().join(KEY_FILE));
        assert_eq!(config.keymap.len(), 1);
        assert_eq!(config.keymap[0].origin, format!("{}:7", path.display()));
        assert_eq!(config.keymap[0].action, "quit");
        let explicit = Config::load(&Overrides {
            config: Some(path),
            data_dir: Some(dir.path().join("elsewhere")),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(explicit.store_file, dir.path().join("elsewhere").join(STORE_FILE));
    }

    #[test]
    fn the_idle_lock_is_ten_minutes_unless_set_within_its_range() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let load = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Config::load(&Overrides { config: Some(path.clone()), ..Default::default() })
        };
        assert_eq!(load("").unwrap().idle_lock, std::time::Duration::from_secs(600));
        assert_eq!(load("[session]\nidle_lock_minutes = 3\n").unwrap().idle_lock.as_secs(), 180);
        let never = load("[session]\nidle_lock_minutes = 0\n").unwrap_err().to_string();
        assert!(never.contains("1 to 120") && never.contains(":2"), "{never}");
        assert!(load("[session]\nidle_lock_minutes = 121\n").is_err());
        assert_eq!(load("[session]\nidle_lock_seconds = 2\n").unwrap().idle_lock.as_secs(), 2);
    }

    #[test]
    fn the_example_config_is_valid_as_shipped_and_uncommented() {
        let dir = tempfile::tempdir().unwrap();
        let example = include_str!("../config.example.toml");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, example).unwrap();
        Config::load(&Overrides { config: Some(path.clone()), ..Default::default() }).unwrap();
        // Every commented-out setting and binding, switched on.
        let uncommented: String = example
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.starts_with('[') || rest.starts_with('"') || rest.contains(" = \"") => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(&path, uncommented).unwrap();
        let config = Config::load(&Overrides { config: Some(path), ..Default::default() }).unwrap();
        assert!(config.keymap.len() >= 9, "{:?}", config.keymap);
        crate::tui::keymap::Keymap::with_overrides(&config.keymap).unwrap();
    }

    #[test]
    fn the_store_url_selects_the_store_and_the_flag_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[store]\nurl = \"sqlite:stores/him.db\"\n").unwrap();
        let load = |store: Option<&str>| {
            Config::load(&Overrides {
                config: Some(path.clone()),
                store: store.map(str::to_string),
                ..Default::default()
            })
        };
        let config = load(None).unwrap();
        assert_eq!(config.store_file, dir.path().join("stores/him.db"), "relative to the config's directory");
        assert!(config.postgres.is_none());

        std::fs::write(&path, "[store]\nurl = \"postgres://clerk@db.example.org/him\"\npassword_file = \"pw\"\n")
            .unwrap();
        let config = load(None).unwrap();
        let postgres = config.postgres.as_ref().unwrap();
        assert_eq!(postgres.target.describe("root"), "db.example.org:5432, database him as clerk");
        assert_eq!(postgres.password_file.as_deref(), Some(dir.path().join("pw").as_path()));
        assert_eq!(postgres.named_in, format!("{}:2", path.display()));

        let config = load(Some("sqlite:here.db")).unwrap();
        assert!(config.postgres.is_none(), "--store wins over the config file");
        assert_eq!(config.store_file, PathBuf::from("here.db"), "relative to the working directory");
        let config = load(Some("postgres://other@h:6000/x")).unwrap();
        assert_eq!(config.postgres.unwrap().named_in, "--store");
    }

    #[test]
    fn a_password_in_a_store_url_is_refused_wherever_it_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "\n[store]\nurl = \"postgres://clerk:hunter2@db/him\"\n").unwrap();
        let err = Config::load(&Overrides { config: Some(path.clone()), ..Default::default() }).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with(&format!("{}:3: ", path.display())), "{text}");
        assert!(text.contains("a config file is read by more people than a ~/.pgpass"), "{text}");
        assert!(text.contains("~/.pgpass") && text.contains("PGPASSWORD") && !text.contains("hunter2"), "{text}");

        std::fs::remove_file(&path).unwrap();
        let flag = Overrides {
            config: Some(path),
            store: Some("postgres://clerk@db/him?password=hunter2".into()),
            ..Default::default()
        };
        let text = Config::load(&flag).unwrap_err().to_string();
        assert!(text.starts_with("--store: the store URL carries a password"), "{text}");
        assert!(text.contains("command line") && !text.contains("hunter2"), "{text}");
    }

    #[test]
    fn a_store_url_that_is_neither_kind_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bad = |url: &str| {
            let overrides = Overrides {
                config: Some(dir.path().join("absent.toml")),
                store: Some(url.into()),
                ..Default::default()
            };
            Config::load(&overrides).unwrap_err().to_string()
        };
        assert!(bad("/srv/chartroom.db").contains("starts postgres:// (a PostgreSQL database) or sqlite:"));
        assert!(bad("sqlite:").contains("sqlite: names no file"));
        assert!(bad("postgres://h/db?sslmode=verify-full").contains("without TLS"));
    }

    #[test]
    fn unknown_settings_are_refused_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "\n\ncolour = \"never\"\n").unwrap();
        let err = Config::load(&Overrides { config: Some(path.clone()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().starts_with(&format!("{}:3", path.display())), "{err}");
    }
}
