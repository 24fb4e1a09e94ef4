//! Which store the binary opens: `--store` over `CHARTROOM_STORE` over the user's config over the
//! system's, `sqlite:PATH` anywhere; and `chartroom migrate` on the SQLite store.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn chartroom(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chartroom"));
    command
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(args)
        .env_remove("CHARTROOM_CONFIG")
        .env_remove("CHARTROOM_DATA_DIR")
        .env_remove("CHARTROOM_STORE");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn the_flag_wins_over_the_environment_over_the_user_config_over_the_system_config() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).join("chartroom.db");
    for name in ["system", "user", "env", "flag"] {
        std::fs::create_dir_all(dir.path().join(name)).unwrap();
    }
    let system = dir.path().join("system.toml");
    std::fs::write(&system, "[store]\nurl = \"sqlite:system/chartroom.db\"\n").unwrap();
    let system_env = ("CHARTROOM_CONFIG", system.to_str().unwrap());
    let env_url = format!("sqlite:{}", at("env").display());
    let flag_url = format!("sqlite:{}", at("flag").display());

    // Each run creates the store it chose; the ones above it in precedence are then added.
    let created = |out: &Output, name: &str| {
        assert!(out.status.success(), "{name}: {}", stderr(out));
        assert!(at(name).exists(), "{name}: {}", stdout(out));
        assert!(stdout(out).contains(&at(name).display().to_string()), "{name}: {}", stdout(out));
    };
    created(&chartroom(dir.path(), &["init", "--empty"], &[system_env]), "system");
    std::fs::write(dir.path().join("config.toml"), "[store]\nurl = \"sqlite:user/chartroom.db\"\n").unwrap();
    created(&chartroom(dir.path(), &["init", "--empty"], &[system_env]), "user");
    created(&chartroom(dir.path(), &["init", "--empty"], &[system_env, ("CHARTROOM_STORE", &env_url)]), "env");
    let out =
        chartroom(dir.path(), &["--store", &flag_url, "init", "--empty"], &[system_env, ("CHARTROOM_STORE", &env_url)]);
    created(&out, "flag");
    assert!(!dir.path().join("data").join("chartroom.db").exists(), "no store in the data directory");
}

#[test]
fn a_password_on_the_command_line_or_in_the_environment_is_refused_and_never_repeated() {
    let dir = tempfile::tempdir().unwrap();
    let out = chartroom(dir.path(), &["--store", "postgres://clerk:hunter2@db.example.org/him", "search", "x"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("chartroom: --store: the store URL carries a password"), "{err}");
    assert!(err.contains("~/.pgpass") && err.contains("PGPASSWORD") && err.contains("password_file"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");

    let out =
        chartroom(dir.path(), &["search", "x"], &[("CHARTROOM_STORE", "postgres://clerk@db/him?password=hunter2")]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.starts_with("chartroom: CHARTROOM_STORE: the store URL carries a password"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1.db")
}

#[test]
fn migrate_upgrades_a_sqlite_store_saying_from_which_version_to_which() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("old.db");
    std::fs::copy(fixture(), &store).unwrap();
    let url = format!("sqlite:{}", store.display());
    let known = chartroom::store::sqlite::schema::current_version();

    let out = chartroom(dir.path(), &["--store", &url, "migrate"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains(&format!("from schema version 1 to {known}")), "{said}");
    let copies = chartroom::store::sqlite::upgrade_backups(&store, 1);
    assert_eq!(copies.len(), 1, "{copies:?}");
    assert!(said.contains(&format!("A copy of it as it was is {}.", copies[0].display())), "{said}");
    assert_eq!(chartroom::store::sqlite::stored_version(&store).unwrap(), known);
    assert!(!dir.path().join("ssn.key").exists(), "a migration makes no key");

    let again = chartroom(dir.path(), &["--store", &url, "migrate"], &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stdout(&again).contains(&format!("is at schema version {known}; nothing to do")), "{}", stdout(&again));

    // A store from a newer chartroom is refused, and left as it was.
    rusqlite::Connection::open(&store).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let newer = chartroom(dir.path(), &["--store", &url, "migrate"], &[]);
    assert_eq!(newer.status.code(), Some(1));
    assert!(stderr(&newer).contains("written by a newer chartroom (schema version 999"), "{}", stderr(&newer));
    assert_eq!(chartroom::store::sqlite::stored_version(&store).unwrap(), 999);

    let missing = chartroom(dir.path(), &["migrate"], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no store at"), "{}", stderr(&missing));
}
