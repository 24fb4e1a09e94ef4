//! Where things live and what the user changed: the data directory, the SSN key file, the log
//! directory, display settings and keymap overrides.
//!
//! Two layers, later winning: the system config (`CHARTROOM_CONFIG`, else `/etc/chartroom/config.toml`)
//! that points every account on a host at one shared store, then the user's own
//! (`--config FILE`, else `~/.config/chartroom/config.toml`). Every setting is documented in
//! `config.example.toml`.

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
    display: DisplayFile,
    #[serde(default)]
    keymap: BTreeMap<String, BTreeMap<String, toml::Spanned<String>>>,
}

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
}

/// What the command line and environment say before any file is read.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub config: Option<PathBuf>,
    pub color: Option<ColorChoice>,
    pub ascii: bool,
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
        for (path, text, file) in &layers {
            let base = path.parent().unwrap_or(Path::new("."));
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
        Ok(Self { store_file: data_dir.join(STORE_FILE), data_dir, key_file, log_dir, color, ascii, keymap, files })
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
    fn unknown_settings_are_refused_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "\n\ncolour = \"never\"\n").unwrap();
        let err = Config::load(&Overrides { config: Some(path.clone()), ..Default::default() }).unwrap_err();
        assert!(err.to_string().starts_with(&format!("{}:3", path.display())), "{err}");
    }
}
