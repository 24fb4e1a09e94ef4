//! Nothing one bad file can break: the log, the files written beside the store and their modes on a
//! shared install whatever a clerk's umask, and a store that could not be made whole.

mod common;

use common::cli::{chartroom, ok, refused};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn today_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

#[test]
fn a_log_file_that_cannot_be_opened_is_said_once_and_the_work_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    // Today's log file is a directory: nothing, root included, can append to it.
    let logs = dir.path().join("data").join("logs");
    std::fs::create_dir_all(logs.join(format!("chartroom.log.{}", today_utc()))).unwrap();
    let out = chartroom(dir.path(), &["init", "--empty"]);
    let stdout = ok(&out);
    assert!(stdout.contains("Created"), "{stdout}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("running without a log").count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_init_that_fails_leaves_nothing_and_the_next_one_works() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, b"").unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, format!("ssn_key_file = {:?}\n", blocker.join("ssn.key").display().to_string())).unwrap();
    refused(&chartroom(dir.path(), &["init", "--empty"]));
    assert!(!dir.path().join("data/chartroom.db").exists());
    std::fs::write(&config, format!("ssn_key_file = {:?}\n", dir.path().join("ssn.key").display().to_string()))
        .unwrap();
    ok(&chartroom(dir.path(), &["init", "--empty"]));
}

/// Two throwaway OS accounts in a throwaway group, removed when dropped.
struct Accounts {
    group: String,
    users: [String; 2],
}

impl Accounts {
    fn make() -> Option<Self> {
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: the shared-install test makes two OS accounts, which only root can");
            return None;
        }
        let tag = format!("{:x}", std::process::id() % 0xfffff);
        let accounts = Self { group: format!("crg{tag}"), users: [format!("cra{tag}"), format!("crb{tag}")] };
        let run = |program: &str, args: &[&str]| {
            let status = Command::new(program).args(args).status().unwrap();
            assert!(status.success(), "{program} {args:?}");
        };
        run("groupadd", &[&accounts.group]);
        for user in &accounts.users {
            run("useradd", &["-M", "-N", "-g", &accounts.group, "-s", "/bin/sh", user]);
        }
        Some(accounts)
    }

    /// `chartroom ARGS` as the `nth` account, with umask 022 (the careless one).
    fn chartroom(&self, nth: usize, dir: &Path, args: &[&str]) -> Output {
        Command::new("runuser")
            .args(["-u", &self.users[nth], "--", "sh", "-c", "umask 022; exec \"$0\" \"$@\""])
            .arg(env!("CARGO_BIN_EXE_chartroom"))
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--config")
            .arg(dir.join("config.toml"))
            .args(args)
            .env_remove("CHARTROOM_CONFIG")
            .env_remove("CHARTROOM_DATA_DIR")
            .env_remove("CHARTROOM_STORE")
            .env("HOME", dir)
            .output()
            .unwrap()
    }
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for user in &self.users {
            let _ = Command::new("userdel").arg(user).status();
        }
        let _ = Command::new("groupdel").arg(&self.group).status();
    }
}

#[test]
fn on_a_shared_install_one_clerks_umask_never_locks_out_another() {
    let Some(accounts) = Accounts::make() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = dir.path().join("data");
    // The README's department install: a setgid directory of the department's group.
    let status = Command::new("install")
        .args(["-d", "-m", "2770", "-o", &accounts.users[0], "-g", &accounts.group])
        .arg(&data)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::write(
        dir.path().join("config.toml"),
        format!("ssn_key_file = {:?}\n", data.join("keys/ssn.key").display().to_string()),
    )
    .unwrap();
    let [first, second] = [0, 1];
    ok(&accounts.chartroom(first, dir.path(), &["init", "--empty"]));
    let facility = [
        "facility",
        "add",
        "RGH",
        "--name",
        "Riverbend General",
        "--state",
        "TX",
        "--kind",
        "hospital",
        "--tz",
        "America/Chicago",
    ];
    ok(&accounts.chartroom(first, dir.path(), &facility));
    ok(&accounts.chartroom(first, dir.path(), &["user", "add", &accounts.users[1], "--role", "him_clerk"]));
    // An import with a bad row, its rejects kept: patient data, for its writer alone.
    let export = data.join("export");
    std::fs::create_dir(&export).unwrap();
    std::fs::write(
        export.join("patients.csv"),
        "Id,BIRTHDATE,SSN,FIRST,LAST,GENDER\np1,1970-01-02,999-12-3456,Ann,Lee,F\np2,not-a-date,,Bo,Lee,M\n",
    )
    .unwrap();
    std::process::Command::new("chown").arg("-R").arg(&accounts.users[0]).arg(&export).status().unwrap();
    let rejects = data.join("rejects.tsv");
    let rejects_arg = rejects.display().to_string();
    let export_arg = export.display().to_string();
    let import = ["import", "synthea-csv", &export_arg, "--rejects", &rejects_arg];
    assert!(refused(&accounts.chartroom(first, dir.path(), &import)).contains("1 records were rejected"));
    let backup = data.join("copy.db");
    ok(&accounts.chartroom(first, dir.path(), &["backup", &backup.display().to_string()]));

    // The other clerk runs, and logs, in the same files.
    let out = accounts.chartroom(second, dir.path(), &["search", "LEE,ANN"]);
    assert!(ok(&out).contains("LEE"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("without a log"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let log = data.join("logs").join(format!("chartroom.log.{}", today_utc()));
    for (file, expected) in [
        (data.join("chartroom.db"), 0o660),
        (log, 0o660),
        (backup, 0o660),
        (data.join("keys/ssn.key"), 0o640),
        (rejects, 0o600),
        (data.join("logs"), 0o770),
        (data.join("keys"), 0o770),
    ] {
        assert_eq!(mode(&file), expected, "{}", file.display());
    }
}

#[test]
fn a_demo_store_takes_a_real_import_only_when_told() {
    let dir = common::cli::demo_store(5);
    let export = dir.path().join("export");
    std::fs::create_dir(&export).unwrap();
    std::fs::write(export.join("patients.csv"), "Id,BIRTHDATE,FIRST,LAST,GENDER\nr1,1960-01-01,Real1,Person2,F\n")
        .unwrap();
    let export = export.display().to_string();
    let err = refused(&chartroom(dir.path(), &["import", "synthea-csv", &export, "--facility", "RGH"]));
    assert!(err.contains("this store holds the demo hospital") && err.contains("--into-demo"), "{err}");
    assert!(!ok(&chartroom(dir.path(), &["search", "PERSON,REAL"])).contains("PERSON"), "refused, yet imported");
    ok(&chartroom(dir.path(), &["import", "synthea-csv", &export, "--facility", "RGH", "--into-demo"]));
    assert!(ok(&chartroom(dir.path(), &["search", "PERSON,REAL"])).contains("PERSON"));
}

#[test]
fn the_users_own_arguments_reach_the_terminal_without_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    ok(&chartroom(dir.path(), &["init", "--empty"]));
    // An escape sequence in an argument the desk refuses, and in one clap refuses.
    for args in [
        &["chart", "12\u{1b}]0;owned\u{7}34"][..],
        &["facility", "add", "X\u{1b}[2J", "--bogus-flag\u{1b}[31m"][..],
        &["no-such-command\u{1b}[2J"][..],
    ] {
        let out = chartroom(dir.path(), args);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.is_empty());
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "{args:?}: {err:?}");
    }
}
