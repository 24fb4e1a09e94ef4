//! A store written by the first chartroom (schema version 1), kept as a fixture file, is backed up
//! and upgraded to the latest schema when the current code opens it, its rows intact and searchable.

mod common;

use chartroom::desk::Desk;
use chartroom::domain::names::PersonName;
use chartroom::domain::patient::NameKeys;
use chartroom::domain::query::QueryShape;
use chartroom::domain::ssn::Ssn;
use chartroom::store::Page;
use chartroom::store::sqlite::{SqliteStore, schema};
use rusqlite::{Connection, params};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-v1.db")
}

fn user_version(path: &Path) -> i64 {
    Connection::open(path).unwrap().query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

#[test]
fn a_version_1_store_is_backed_up_then_upgraded_with_its_rows_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chartroom.db");
    std::fs::copy(fixture(), &path).unwrap();
    assert_eq!(user_version(&path), 1, "the fixture is a version-1 store");

    let store = SqliteStore::open(&path).unwrap();

    // The copy taken before the upgrade is the version-1 file, private, with its rows.
    let backups: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("chartroom.db.v1-"))
        .collect();
    assert_eq!(backups.len(), 1, "one backup before the upgrade: {backups:?}");
    assert_eq!(user_version(&backups[0]), 1);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&backups[0]).unwrap().permissions().mode() & 0o777, 0o600);
    let patients: i64 =
        Connection::open(&backups[0]).unwrap().query_row("SELECT count(*) FROM patient", [], |r| r.get(0)).unwrap();
    assert_eq!(patients, 2);

    // The live file is at the latest version, and the desk finds the old rows by every shape.
    assert_eq!(user_version(&path), schema::current_version());
    let store: Arc<dyn chartroom::store::Store> = Arc::new(store);
    let desk = Desk::sign_in(store, "dhim", "local".into(), common::key(), common::clock()).unwrap();
    let find = |text: &str, shape: QueryShape| {
        let outcome = desk.search(text, Page::first(10)).unwrap();
        assert_eq!(outcome.shape, Some(shape), "{text}: {:?}", outcome.problem);
        outcome.page.rows.iter().map(|r| r.mrn.as_str().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(find("100234", QueryShape::Mrn), ["100234"]);
    assert_eq!(find("SMITH,JOHN", QueryShape::Name), ["100234"]);
    assert_eq!(find("S4821", QueryShape::InitialLast4), ["100234"]);
    assert_eq!(find("123-45-4821", QueryShape::Ssn), ["100234"]);
    assert_eq!(find("A25-000781", QueryShape::Account), ["204511"]);
    assert_eq!(find("garcia 9/30/1988", QueryShape::NameDob), ["204511"]);
    let chart = desk.open_chart_by_mrn("204511").unwrap();
    assert_eq!(chart.encounters.iter().map(|e| e.account.as_str()).collect::<Vec<_>>(), ["A25-000781"]);

    // Opening it again upgrades nothing and copies nothing.
    drop(desk);
    drop(SqliteStore::open(&path).unwrap());
    let files = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".bak"));
    assert_eq!(files.count(), 1);
}

/// An upgrade that fails (here a table in the way of version 2) and is tried again reuses the copy
/// its first try made, while the store is unchanged; once the store has changed, a new copy is made.
#[test]
fn a_failed_upgrade_tried_again_does_not_copy_the_store_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chartroom.db");
    std::fs::copy(fixture(), &path).unwrap();
    Connection::open(&path).unwrap().execute_batch("CREATE TABLE deficiency_policy (x INTEGER)").unwrap();
    let backups = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".bak"))
            .count()
    };
    for attempt in 1..=3 {
        let err = SqliteStore::open(&path).err().expect("the upgrade fails");
        assert!(err.to_string().contains("schema version 2 failed"), "{err}");
        assert_eq!(user_version(&path), 1);
        assert_eq!(backups(), 1, "try {attempt}: one copy, reused");
    }
    // A write between tries (an audit event, as every write carries) makes the copy stale.
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO audit_event (at, username, source, action, entity, detail)
             VALUES ('2025-03-03T00:00:00Z', 'dhim', 'local', 'UPDATE', 'patient', 'changed')",
            [],
        )
        .unwrap();
    assert!(SqliteStore::open(&path).is_err());
    assert_eq!(backups(), 2, "a store that changed since is copied afresh");
}

/// How `tests/fixtures/store-v1.db` was made: only the first migration, then a few rows as the first
/// chartroom wrote them. Run with `--ignored` to write it again; the file is committed so the
/// upgrade test always starts from the same bytes.
#[test]
#[ignore = "writes tests/fixtures/store-v1.db"]
fn write_the_version_1_fixture() {
    let path = fixture();
    let _ = std::fs::remove_file(&path);
    let conn = Connection::open(&path).unwrap();
    // Small pages keep the committed file small; the schema, not the page size, is what is tested.
    conn.execute_batch("PRAGMA page_size = 512; PRAGMA journal_mode = DELETE;").unwrap();
    conn.execute_batch(schema::MIGRATIONS[0]).unwrap();
    conn.pragma_update(None, "user_version", 1).unwrap();
    let at = "2025-03-03T15:00:00Z";
    conn.execute(
        "INSERT INTO facility (code, name, state, kind, timezone) VALUES ('RGH', 'Riverside General Hospital', 'MA',
         'hospital', 'America/New_York')",
        [],
    )
    .unwrap();
    conn.execute("INSERT INTO app_user (username, display_name, created_at) VALUES ('dhim', 'D. Him', ?1)", [at])
        .unwrap();
    conn.execute("INSERT INTO user_role (user_id, role) VALUES (1, 'director')", []).unwrap();
    conn.execute(
        "INSERT INTO provider (npi, family, given, service) VALUES ('1000000001', 'Patel', 'Alice', 'MEDICINE')",
        [],
    )
    .unwrap();
    for (mrn, family, given, middle, born, ssn) in [
        ("100234", "Smith", "John", "A", "1961-04-12", Some("123454821")),
        ("204511", "Garcia", "Maria", "L", "1988-09-30", None),
    ] {
        let name = PersonName::new(family, given, middle);
        let keys = NameKeys::of(&name);
        let ssn = ssn.and_then(Ssn::parse);
        conn.execute(
            "INSERT INTO patient (mrn, family, given, middle, family_key, given_key, family_phon, given_phon, sex,
                 birth_date, ssn_last4, ssn_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'U', ?9, ?10, ?11, ?12)",
            params![
                mrn,
                name.family,
                name.given,
                name.middle,
                keys.family_key,
                keys.given_key,
                keys.family_phonetic,
                keys.given_phonetic,
                born,
                ssn.as_ref().map(Ssn::last4),
                ssn.as_ref().map(|s| common::key().hash(s)),
                at
            ],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO encounter (patient_id, account, kind, facility_id, service, admit_at, discharge_at, attending_id)
         VALUES (2, 'A25-000781', 'INPATIENT', 1, 'MEDICINE', '2025-02-05T09:00:00Z', '2025-02-10T11:00:00Z', 1)",
        [],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO audit_event (at, username, source, action, entity, detail) VALUES (?1, 'dhim', 'local',
         'CREATE', 'store', 'version 1 fixture')",
        [at],
    )
    .unwrap();
    conn.execute_batch("VACUUM").unwrap();
}

/// The upgrade to the audit chain (SQLite migration 20) links the events a store already holds, so
/// that `audit verify` finds the trail whole from its first event; the guard is back after it.
#[test]
fn an_upgrade_links_the_events_written_before_the_chain() {
    use chartroom::domain::audit::chain::ChainWalk;
    use chartroom::store::Store;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chartroom.db");
    std::fs::copy(fixture(), &path).unwrap();
    {
        let conn = Connection::open(&path).unwrap();
        for n in 0..25 {
            conn.execute(
                "INSERT INTO audit_event (at, username, source, action, entity, entity_id, patient_id, detail)
                 VALUES (?1, 'jdoe', 'local', 'VIEW_PATIENT', 'patient', ?2, NULL, ?3)",
                params![format!("2024-05-01T10:{n:02}:00Z"), format!("{}", 100_000 + n), format!("old event {n}")],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    let events = store.audit_chain(i64::MIN, 1000).unwrap();
    assert_eq!(events.len() as i64, store.audit_count().unwrap());
    assert!(events.len() >= 26, "{}", events.len());
    let mut walk = ChainWalk::new();
    for event in &events {
        walk.step(event).unwrap_or_else(|b| panic!("the upgraded trail breaks at {b:?}"));
    }
    let refused = Connection::open(&path).unwrap().execute("UPDATE audit_event SET detail = 'x'", []);
    assert!(refused.is_err(), "the update guard is back after the upgrade");
}
