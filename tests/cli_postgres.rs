//! The binary on a PostgreSQL store: created in an empty database, its schema checked at every
//! start, `migrate`, `backup` pointing at pg_dump; one clear message (and exit status) for every way
//! of not reaching it — a wrong address, a closed port, a server that never answers, a refused
//! login, a missing database — and for a server that goes away in the middle of a command. And a
//! clerk's claims, each command a program of its own on the one database.

mod common;

use common::pg::{self, Logins};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The binary with a store of its own (config and key in `dir`), a home without a `.pgpass` and
/// no password in the environment unless `env` gives one.
fn chartroom(dir: &Path, store: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_chartroom"));
    command
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env_remove("CHARTROOM_CONFIG")
        .env_remove("CHARTROOM_DATA_DIR")
        .env_remove("CHARTROOM_STORE")
        .env_remove("PGPASSWORD")
        .env_remove("PGPASSFILE")
        .env("HOME", dir);
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

/// Failed with `status`, one `chartroom:` line saying `expected`, and nothing else on stderr.
fn assert_one_message(out: &Output, status: i32, expected: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(status), "{err}");
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("chartroom:")).count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The exit status of a store that cannot be reached (sysexits' EX_UNAVAILABLE).
const UNAVAILABLE: i32 = 69;

#[test]
fn an_empty_database_becomes_a_store_and_every_command_finds_it() {
    let Some(url) = common::pg_database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = chartroom(dir.path(), &url, &["search", "S4821"], &[]);
    assert_one_message(&out, 1, "holds no chartroom store yet; run `chartroom` once, or `chartroom init`");

    let out = chartroom(dir.path(), &url, &["demo", "--patients", "300"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("ssn.key").exists(), "the key is a local file beside the config");
    let out = chartroom(dir.path(), &url, &["search", "S4821"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("SMITH, JOHN A"), "{}", stdout(&out));

    let out = chartroom(dir.path(), &url, &["init", "--empty"], &[]);
    assert_one_message(&out, 1, "a store already exists in the PostgreSQL database at 127.0.0.1:");

    let known = chartroom::store::postgres::schema::current_version();
    let out = chartroom(dir.path(), &url, &["migrate"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("is at schema version {known}; nothing to do")), "{}", stdout(&out));

    // backup names pg_dump with this very target, writes nothing, and fails.
    let file = dir.path().join("him.dump");
    let out = chartroom(dir.path(), &url, &["backup", file.to_str().unwrap()], &[]);
    let database = url.rsplit('/').next().unwrap();
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    let command = format!(
        "pg_dump --format=custom --host=127.0.0.1 --port={port} --username=postgres --dbname={database} --file={}",
        file.display()
    );
    assert!(err.contains(&command), "expected {command:?} in:\n{err}");
    assert!(!file.exists());

    // Without the key file, the store is refused rather than given a new key.
    std::fs::rename(dir.path().join("ssn.key"), dir.path().join("elsewhere.key")).unwrap();
    let out = chartroom(dir.path(), &url, &["search", "S4821"], &[]);
    assert_one_message(&out, 1, "copy it from a workstation that uses the store");
}

#[test]
fn a_newer_schema_is_refused_by_every_command_and_by_migrate() {
    let Some(url) = common::pg_database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = chartroom(dir.path(), &url, &["init", "--empty"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("copy it to every workstation"), "{}", stdout(&out));
    let database = url.rsplit('/').next().unwrap();
    run_sql(&url, database, "INSERT INTO schema_version (version) VALUES (999)");
    for args in [&["search", "S4821"][..], &["migrate"][..]] {
        let out = chartroom(dir.path(), &url, args, &[]);
        assert_one_message(&out, 1, "written by a newer chartroom (schema version 999");
    }
}

#[test]
fn an_older_schema_is_refused_until_migrate_brings_it_up_to_date() {
    let known = chartroom::store::postgres::schema::current_version();
    assert!(known >= 2, "the PostgreSQL schema has a second migration, so a database can be older than this chartroom");
    let Some(url) = common::pg_database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let database = url.rsplit('/').next().unwrap();
    // A store made by a chartroom one version behind: its migrations, and its version row.
    let mut sql = String::from(
        "CREATE TABLE schema_version (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());\n",
    );
    for (index, step) in chartroom::store::postgres::schema::MIGRATIONS.iter().enumerate().take(known as usize - 1) {
        sql.push_str(step);
        sql.push_str(&format!(";\nINSERT INTO schema_version (version) VALUES ({});\n", index + 1));
        // The chain's migration lifts the trail's update guard for its own transaction; the
        // upgrade puts it back after linking the events (none here).
        if index as i64 + 1 == chartroom::store::postgres::schema::CHAIN_VERSION {
            sql.push_str(chartroom::store::postgres::schema::UPDATE_GUARD);
            sql.push_str(";\n");
        }
    }
    run_sql(&url, database, &sql);
    let out = chartroom(dir.path(), &url, &["search", "S4821"], &[]);
    let expected =
        format!("of schema version {}, and this chartroom needs version {known}: run `chartroom migrate`", known - 1);
    assert_one_message(&out, 1, &expected);
    let out = chartroom(dir.path(), &url, &["migrate"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("from schema version {} to {known}", known - 1)), "{}", stdout(&out));
}

/// Runs `sql` in the test server's `database`, as its superuser.
fn run_sql(url: &str, database: &str, sql: &str) {
    let mut config: tokio_postgres::Config = url.parse().unwrap();
    config.dbname(database);
    let (config, sql) = (config, sql.to_string());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
            let connection = tokio::spawn(connection);
            client.batch_execute(&sql).await.unwrap();
            drop(client);
            let _ = connection.await;
        })
    })
    .join()
    .unwrap();
}

#[test]
fn a_closed_port_an_unknown_host_and_a_missing_database_are_each_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let started = Instant::now();
    let out = chartroom(dir.path(), &format!("postgres://clerk@127.0.0.1:{closed}/him"), &["search", "x"], &[]);
    assert_one_message(
        &out,
        UNAVAILABLE,
        &format!("the database server cannot be reached: tried 127.0.0.1:{closed} as clerk, database him"),
    );
    assert!(stderr(&out).contains("(the store is set by --store)"), "{}", stderr(&out));
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    let out = chartroom(dir.path(), "postgres://clerk@no-such-host.invalid/him", &["search", "x"], &[]);
    assert_one_message(&out, UNAVAILABLE, "tried no-such-host.invalid:5432 as clerk, database him");

    let Some(url) = common::pg_database_url() else { return };
    let missing = format!("{}/no_such_database", url.rsplit_once('/').unwrap().0);
    let out = chartroom(dir.path(), &missing, &["search", "x"], &[]);
    assert_one_message(&out, 1, "the database server has no such database");
    assert!(!dir.path().join("ssn.key").exists(), "no key is made for a store that was not reached");
}

#[test]
fn a_port_where_nothing_answers_is_reported_within_the_connect_timeout() {
    // Something listens and never speaks: the connection is made, the login never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = chartroom(dir.path(), &format!("postgres://clerk@127.0.0.1:{port}/him"), &["search", "x"], &[]);
    let took = started.elapsed();
    assert_one_message(&out, UNAVAILABLE, "did not answer within the connect timeout (5 s");
    // The connect timeout is 5 s; the rest is the program starting on a busy machine.
    assert!(took < Duration::from_secs(9), "{took:?}");
    drop(silent);
}

#[test]
fn the_password_comes_from_pgpass_pgpassword_or_the_password_file_and_a_wrong_one_is_one_message() {
    let Some(cluster) = pg::own_cluster(Logins::Password) else { return };
    cluster.exec("CREATE ROLE clerk LOGIN PASSWORD 'right:pw'").unwrap();
    let url = cluster.database("him", Some("clerk"));
    let dir = tempfile::tempdir().unwrap();
    let secret_free = |out: &Output| {
        let all = format!("{}{}", stdout(out), stderr(out));
        assert!(!all.contains("right:pw") && !all.contains("wrong-pw"), "{all}");
    };

    let out = chartroom(dir.path(), &url, &["init", "--empty"], &[]);
    assert_one_message(&out, 1, "asks for a password and none was given");
    assert!(stderr(&out).contains("put it in ~/.pgpass, PGPASSWORD or the store's password_file"), "{}", stderr(&out));

    let out = chartroom(dir.path(), &url, &["init", "--empty"], &[("PGPASSWORD", "wrong-pw")]);
    assert_one_message(&out, 1, "the database server refused the login");
    secret_free(&out);

    // ~/.pgpass, escapes and all; read only while no one else may.
    let pgpass = dir.path().join(".pgpass");
    let set_mode = |mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    std::fs::write(&pgpass, format!("# the test cluster\n127.0.0.1:{}:him:clerk:right\\:pw\n", cluster.port)).unwrap();
    set_mode(0o644);
    let out = chartroom(dir.path(), &url, &["init", "--empty"], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("has group or world access (mode 0644), so it is not read"), "{}", stderr(&out));
    set_mode(0o600);
    let out = chartroom(dir.path(), &url, &["init", "--empty"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    secret_free(&out);

    // PGPASSWORD comes before ~/.pgpass, as in libpq.
    let out = chartroom(dir.path(), &url, &["user", "list"], &[("PGPASSWORD", "wrong-pw")]);
    assert_one_message(&out, 1, "the database server refused the login");
    std::fs::remove_file(&pgpass).unwrap();
    let out = chartroom(dir.path(), &url, &["user", "list"], &[("PGPASSWORD", "right:pw")]);
    assert!(out.status.success(), "{}", stderr(&out));

    // A password file named by the config, before PGPASSWORD; refused while others may read it.
    let file = dir.path().join("db.password");
    std::fs::write(&file, "right:pw\n").unwrap();
    std::fs::write(dir.path().join("config.toml"), "[store]\npassword_file = \"db.password\"\n").unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let out = chartroom(dir.path(), &url, &["user", "list"], &[]);
        assert_one_message(&out, 1, "may be read or changed by others (mode 0644)");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let out = chartroom(dir.path(), &url, &["user", "list"], &[("PGPASSWORD", "wrong-pw")]);
    assert!(out.status.success(), "{}", stderr(&out));
    secret_free(&out);
}

#[test]
fn a_server_that_stops_in_the_middle_of_a_command_is_one_message_and_the_next_command_works() {
    let Some(cluster) = pg::own_cluster(Logins::Trust) else { return };
    let url = cluster.database("him", None);
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_chartroom"));
    demo.arg("--data-dir")
        .arg(dir.path().join("data"))
        .arg("--config")
        .arg(dir.path().join("config.toml"))
        .args(["--store", &url, "demo", "--patients", "40000"])
        .env_remove("CHARTROOM_CONFIG")
        .env_remove("CHARTROOM_STORE")
        .env_remove("PGPASSWORD")
        .env("HOME", dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = demo.spawn().unwrap();
    // Stopped once the demo's first batch of patients is in, well before its last.
    let batches = "SELECT count(*) FROM audit_event WHERE detail LIKE 'demo hospital: patients %'";
    let started = Instant::now();
    loop {
        let count = cluster.exec_in("him", batches).ok().and_then(|r| r.first().cloned());
        if count.is_some_and(|c| c != "0") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "the demo wrote no patient");
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.stop();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(UNAVAILABLE), "{err}");
    assert!(err.contains("chartroom: the database server cannot be reached"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("chartroom:")).count(), 1, "{err}");
    assert!(err.contains("The demo wrote part of a hospital into the PostgreSQL database"), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    // Back up, the store answers again; the demo stopped part way (each batch is one transaction
    // with its audit event, so what it wrote is whole batches).
    cluster.start();
    let written: i64 = cluster.exec_in("him", batches).unwrap()[0].parse().unwrap();
    assert!((1..8).contains(&written), "{written} batches of 8 written");
    let out = chartroom(dir.path(), &url, &["search", "S4821"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("SMITH, JOHN A"), "{}", stdout(&out));
}

#[test]
fn a_clerk_takes_lists_and_gives_up_work_on_a_postgresql_store() {
    let Some(url) = common::pg_database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = chartroom(dir.path(), &url, args, &[]);
        (out.status.code(), stdout(&out).trim().to_string(), stderr(&out).trim().to_string())
    };
    let (code, _, err) = run(&["init"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = run(&["deficiencies", "take", "A25-000781:DS-D"]);
    assert_eq!((code, out.as_str()), (Some(0), "1 deficiency taken, yours until the end of the day"), "{err}");
    let (_, out, _) = run(&["deficiencies", "take", "A25-000781:DS-D"]);
    assert_eq!(out, "1 already yours", "a second program, the same database: the claim was stored");
    let (_, listed, _) = run(&["deficiencies", "list", "--claim", "mine"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].ends_with("TAKEN BY") && lines[1].contains("A25-000781"), "{listed}");
    let (code, out, err) = run(&["deficiencies", "release", "--all"]);
    assert_eq!((code, out.as_str()), (Some(0), "1 deficiency given up"), "{err}");
    let (_, listed, _) = run(&["deficiencies", "list", "--claim", "mine"]);
    assert!(!listed.contains("A25-000781"), "given up: {listed}");
}

#[test]
fn bench_runs_on_postgresql_beside_a_sqlite_store_of_the_same_hospital() {
    let Some(url) = common::pg_database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = chartroom(dir.path(), &url, &["demo", "--patients", "300"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // The same demo (same size, same seed) in a SQLite store: the same patients.
    let lite = tempfile::tempdir().unwrap();
    let sqlite = lite.path().join("data").join("chartroom.db");
    let sqlite_url = format!("sqlite:{}", sqlite.display());
    let out = chartroom(lite.path(), &sqlite_url, &["demo", "--patients", "300"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = chartroom(dir.path(), &url, &["bench", "--iterations", "20", "--json", "--compare", &sqlite_url], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["backend"], "postgres");
    // 300 patients and the demo's near-duplicates of some of them, the same in both stores.
    assert!(report["patients"].as_i64().unwrap() >= 300, "{report}");
    assert_eq!(report["compared_patients"], report["patients"]);
    let shapes = report["shapes"].as_array().unwrap();
    let names: Vec<&str> = shapes.iter().map(|s| s["shape"].as_str().unwrap()).collect();
    assert_eq!(names, ["MRN", "NAME prefix", "INITIAL+LAST4", "NAME+DOB", "PHONETIC"]);
    for shape in shapes {
        for figure in ["store_p99_ms", "bare_p99_ms"] {
            assert!(shape[figure].as_f64().unwrap() > 0.0, "{shape}");
            assert!(shape["sqlite"][figure].as_f64().unwrap() > 0.0, "{shape}");
        }
        assert!(shape["sqlite"]["ratio_p99"].as_f64().unwrap() > 0.0, "{shape}");
    }

    // Without --compare, the PostgreSQL columns alone; a PostgreSQL URL is no SQLite store to compare.
    let out = chartroom(dir.path(), &url, &["bench", "--iterations", "10"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("store-level search on PostgreSQL, warm, "), "{}", stdout(&out));
    let out = chartroom(dir.path(), &url, &["bench", "--compare", &url], &[]);
    assert_one_message(&out, 1, "--compare takes a SQLite store as sqlite:PATH");
    let out = chartroom(lite.path(), &sqlite_url, &["bench", "--compare", &sqlite_url], &[]);
    assert_one_message(&out, 1, "this store is SQLite already");
}

/// `audit verify` on PostgreSQL names the event edited past the program (the guard disabled first,
/// as the role that owns the table could), and a database whose guard was dropped is refused by
/// every command until `migrate` puts it back.
#[test]
fn audit_verify_names_an_edited_event_and_a_dropped_guard_is_refused_until_migrate() {
    let Some(url) = common::pg_database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let database = url.rsplit('/').next().unwrap().to_string();
    let out = chartroom(dir.path(), &url, &["init", "--empty"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = chartroom(dir.path(), &url, &["audit", "verify"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("The audit trail is whole: "), "{}", stdout(&out));

    run_sql(
        &url,
        &database,
        "ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update;
         UPDATE audit_event SET detail = 'nothing happened' WHERE id = (SELECT min(id) FROM audit_event);
         ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update;",
    );
    let out = chartroom(dir.path(), &url, &["audit", "verify"], &[]);
    assert_one_message(&out, 1, "the audit trail did not verify");
    assert!(stdout(&out).contains("broken at event 1 of "), "{}", stdout(&out));
    assert!(stdout(&out).contains("its content does not match its hash"), "{}", stdout(&out));

    run_sql(&url, &database, "DROP TRIGGER audit_event_no_truncate ON audit_event");
    let out = chartroom(dir.path(), &url, &["audit", "list"], &[]);
    assert_one_message(&out, 1, "the store's append-only protection is missing: the trigger audit_event_no_truncate");
    let out = chartroom(dir.path(), &url, &["migrate"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("Put back the audit trail's protection"), "{}", stdout(&out));
    let out = chartroom(dir.path(), &url, &["audit", "list"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("put back the store's append-only protection"), "{}", stdout(&out));
}
