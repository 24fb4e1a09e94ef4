//! What only the PostgreSQL store has: connecting over a network, its own migrations, and an audit
//! trail the database itself keeps append-only. (Everything the two stores share is in
//! store_conformance.rs, run against both.)

mod common;

use chartroom::store::postgres::{PgStore, schema};
use chartroom::store::{AuditFilter, Store, StoreError};
use common::pg;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

fn migrated() -> (pg::PgDatabase, PgStore) {
    let database = pg::fresh_database();
    let store = PgStore::connect(database.config.clone()).unwrap();
    assert_eq!(store.migrate().unwrap(), schema::current_version());
    (database, store)
}

#[test]
fn a_closed_port_is_one_clear_message_at_once() {
    // No server needed: a port just released on 127.0.0.1 refuses connections.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut config = tokio_postgres::Config::new();
    config.host("127.0.0.1").port(port).user("clerk").dbname("chartroom").password("hunter2-secret");
    let started = Instant::now();
    let err = PgStore::connect(config).unwrap_err();
    let took = started.elapsed();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");
    assert!(took < Duration::from_secs(5), "refused within 5 s, took {took:?}");
    assert!(text.contains("cannot be reached"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")) && text.contains("clerk"), "says what was tried: {text}");
    assert!(!text.contains("hunter2"), "never the password: {text}");
}

#[test]
fn a_host_that_never_answers_is_unreachable_within_the_timeout() {
    // TEST-NET-1 (RFC 5737) is never routed: the connection either fails at once or times out.
    let mut config = tokio_postgres::Config::new();
    config.host("192.0.2.1").port(5432).user("clerk").dbname("chartroom").connect_timeout(Duration::from_secs(1));
    let started = Instant::now();
    let err = PgStore::connect(config).unwrap_err();
    assert!(matches!(err, StoreError::Unreachable(_)), "{err:?}");
    assert!(err.to_string().contains("192.0.2.1:5432"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(20), "gave up in {:?}", started.elapsed());
}

#[test]
fn a_missing_database_is_named_as_such() {
    if !pg::available() {
        return;
    }
    let database = pg::fresh_database();
    let mut config = database.config.clone();
    config.dbname("no_such_chartroom_database");
    let err = PgStore::connect(config).unwrap_err();
    assert!(err.to_string().contains("no such database"), "{err}");
}

#[test]
fn a_login_the_server_does_not_know_is_named_with_what_to_do() {
    if !pg::available() {
        return;
    }
    let database = pg::fresh_database();
    let mut config = database.config.clone();
    config.user("no_such_clerk").password("hunter2-secret");
    let err = PgStore::connect(config).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("no such login") && text.contains("no_such_clerk"), "{text}");
    // Not a password problem: the advice is the role's, not the password's.
    assert!(text.contains("user=") && !text.contains("~/.pgpass"), "says what to do: {text}");
    assert!(!text.contains("hunter2"), "never the password: {text}");
}

#[test]
fn the_audit_trail_refuses_update_delete_and_truncate_in_the_database() {
    if !pg::available() {
        return;
    }
    let (database, store) = migrated();
    let mut event = common::event("store");
    event.detail = "as written".into();
    store.append_audit(event).unwrap();
    for sql in [
        "UPDATE audit_event SET detail = 'rewritten'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
        "DELETE FROM audit_event WHERE false",
    ] {
        let refused = pg::exec(&database, sql).unwrap_err();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
    let events = store.list_audit(&AuditFilter { limit: 10, ..Default::default() }).unwrap();
    assert_eq!(events.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(), ["as written"]);
    pg::exec(&database, "INSERT INTO audit_event (at, username, source, action, entity) VALUES (now(), 'x', 'local', 'CREATE', 'store')")
        .expect("inserts are what it takes");
}

#[test]
fn two_clerks_starting_at_once_migrate_once() {
    if !pg::available() {
        return;
    }
    let database = pg::fresh_database();
    let stores: Vec<PgStore> = (0..2).map(|_| PgStore::connect(database.config.clone()).unwrap()).collect();
    assert_eq!(stores[0].schema_version().unwrap(), 0);
    let barrier = std::sync::Barrier::new(2);
    let versions: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .map(|store| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    store.migrate()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for version in versions {
        assert_eq!(version.unwrap(), schema::current_version());
    }
    let recorded = pg::exec(&database, "SELECT version FROM schema_version ORDER BY version").unwrap();
    let expected: Vec<String> = (1..=schema::current_version()).map(|v| v.to_string()).collect();
    assert_eq!(recorded, expected, "each step once");
    let types = pg::exec(&database, "SELECT count(*) FROM deficiency_type").unwrap();
    let seeded = chartroom::domain::chart::seed_deficiency_types().len().to_string();
    assert_eq!(types, [seeded], "the catalog seeded once");
}

#[test]
fn of_two_workstations_starting_on_an_empty_database_one_made_it() {
    if !pg::available() {
        return;
    }
    let database = pg::fresh_database();
    let stores: Vec<PgStore> = (0..2).map(|_| PgStore::connect(database.config.clone()).unwrap()).collect();
    let barrier = std::sync::Barrier::new(2);
    let made: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .map(|store| {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    store.create_schema().unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Only the one that made it names the founder and fills the demo (setup::open_store).
    assert_eq!(made.iter().filter(|m| **m).count(), 1, "{made:?}");
    assert!(!stores[0].create_schema().unwrap(), "a third start finds it made");
}

#[test]
fn a_schema_from_a_newer_chartroom_is_refused() {
    if !pg::available() {
        return;
    }
    let (database, store) = migrated();
    pg::exec(&database, "INSERT INTO schema_version (version) VALUES (999)").unwrap();
    let err = store.migrate().unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 999, .. }), "{err}");
    let err = PgStore::connect(database.config.clone()).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 999, .. }), "{err}");
    assert!(err.to_string().contains("newer chartroom"));
}

#[test]
fn another_programs_database_is_not_taken_over() {
    if !pg::available() {
        return;
    }
    let database = pg::fresh_database();
    pg::exec(&database, "CREATE TABLE inventory (item text)").unwrap();
    let store = PgStore::connect(database.config.clone()).unwrap();
    assert!(matches!(store.migrate(), Err(StoreError::Corrupt(_))));
    assert_eq!(pg::exec(&database, "SELECT to_regclass('patient') IS NULL").unwrap(), ["t"], "nothing written");
}

/// The tables, columns (with whether they take NULL) and named indexes of the SQLite store, and of
/// the PostgreSQL store: the same, but PostgreSQL's own `schema_version`.
#[test]
fn the_schema_is_the_sqlite_stores_table_for_table_and_index_for_index() {
    if !pg::available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(chartroom::store::sqlite::SqliteStore::open(&path).unwrap());
    let lite = rusqlite::Connection::open(&path).unwrap();
    let tables: Vec<String> = lite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut sqlite_columns = BTreeSet::new();
    for table in &tables {
        let mut stmt = lite.prepare(&format!("PRAGMA table_info({table})")).unwrap();
        let columns = stmt
            .query_map([], |r| Ok((r.get::<_, String>(1)?, r.get::<_, i64>(3)? != 0 || r.get::<_, i64>(5)? > 0)))
            .unwrap();
        for column in columns {
            let (name, not_null) = column.unwrap();
            sqlite_columns.insert(format!("{table}.{name} not null: {not_null}"));
        }
    }
    let sqlite_indexes: BTreeSet<String> = lite
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();

    let (database, _store) = migrated();
    let pg_columns: BTreeSet<String> = pg::exec(
        &database,
        "SELECT table_name || '.' || column_name || ' not null: ' || (is_nullable = 'NO')::text
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_version'",
    )
    .unwrap()
    .into_iter()
    .collect();
    let pg_indexes: BTreeSet<String> = pg::exec(
        &database,
        "SELECT i.indexname FROM pg_indexes i
         WHERE i.schemaname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
    )
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(pg_columns, sqlite_columns);
    assert_eq!(pg_indexes, sqlite_indexes);
    let bulk: BTreeSet<_> = schema::BULK_INDEXES.iter().map(|(name, _)| *name).collect();
    let sqlite_bulk: BTreeSet<_> =
        chartroom::store::sqlite::schema::BULK_INDEXES.iter().map(|(name, _)| *name).collect();
    assert_eq!(bulk, sqlite_bulk, "a bulk load drops and builds the same indexes on both");
}

#[test]
fn the_store_answers_from_inside_a_runtime_too() {
    if !pg::available() {
        return;
    }
    let (_database, store) = migrated();
    let store = std::sync::Arc::new(store);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    // Called on a runtime's own thread (as the terminal program sometimes does), and dropped there.
    let info = runtime.block_on(async move {
        let info = store.info().unwrap();
        drop(store);
        info
    });
    assert_eq!(info.schema_version, schema::current_version());
}

/// Ends every connection the store holds, from the server's side (as a restart or an
/// administrator's `pg_terminate_backend` does).
fn end_connections(database: &pg::PgDatabase) {
    pg::exec(
        database,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
            database.name
        ),
    )
    .unwrap();
}

#[test]
fn connections_the_server_ended_are_replaced() {
    if !pg::available() {
        return;
    }
    let (database, store) = migrated();
    common::populate(&store);
    for n in 0..3 {
        end_connections(&database);
        let found = store.patient_by_mrn(&chartroom::domain::mrn::Mrn::parse("204511").unwrap());
        assert!(found.unwrap().is_some(), "a read after the server ended the store's connections");
        end_connections(&database);
        let mut audit = common::event("store");
        audit.detail = format!("write {n}");
        store.put_setting("marker", &n.to_string(), Some(audit)).unwrap();
    }
    assert_eq!(store.setting("marker").unwrap().as_deref(), Some("2"));
    let events = store.list_audit(&AuditFilter { limit: 1000, ..Default::default() }).unwrap();
    let writes: Vec<_> = events.iter().filter(|e| e.detail.starts_with("write ")).map(|e| e.detail.as_str()).collect();
    assert_eq!(writes, ["write 2", "write 1", "write 0"], "each write once, with its event");
}

#[test]
fn a_read_only_database_is_told_as_such_and_nothing_is_written() {
    if !pg::available() {
        return;
    }
    let (database, store) = migrated();
    drop(store);
    pg::exec(&database, &format!("ALTER DATABASE {} SET default_transaction_read_only = on", database.name)).unwrap();
    let store = PgStore::connect(database.config.clone()).unwrap();
    let err = store.init_setting("demo", "1").unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly), "{err:?}");
    assert_eq!(store.setting("demo").unwrap(), None);
}

#[test]
fn a_bulk_load_drops_the_secondary_indexes_and_builds_them_again() {
    if !pg::available() {
        return;
    }
    let (database, store) = migrated();
    let indexes = || -> BTreeSet<String> {
        pg::exec(&database, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
            .unwrap()
            .into_iter()
            .collect()
    };
    let all = indexes();
    let bulk: BTreeSet<String> = schema::BULK_INDEXES.iter().map(|(name, _)| name.to_string()).collect();
    assert!(all.is_superset(&bulk));

    store.begin_bulk_load().unwrap();
    let during = indexes();
    assert!(during.is_disjoint(&bulk), "dropped: {:?}", during.intersection(&bulk).collect::<Vec<_>>());
    common::populate(&store);
    store.finish_bulk_load().unwrap();
    assert_eq!(indexes(), all, "every index back, and no other");
    let analyzed = pg::exec(
        &database,
        "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'patient' AND last_analyze IS NOT NULL",
    );
    assert_eq!(analyzed.unwrap(), ["1"], "statistics for the planner");
    let found = store.patient_by_mrn(&chartroom::domain::mrn::Mrn::parse("204511").unwrap()).unwrap();
    assert!(found.is_some());

    let refused = store.begin_bulk_load().unwrap_err();
    assert!(refused.to_string().contains("empty store"), "{refused}");
    assert_eq!(indexes(), all, "a refused load drops nothing");

    // An import keeps the index its visit matching reads while it writes.
    let (database, store) = migrated();
    store.begin_import_load().unwrap();
    let kept: BTreeSet<String> = pg::exec(&database, "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")
        .unwrap()
        .into_iter()
        .collect();
    let kept_bulk: Vec<_> = kept.intersection(&bulk).cloned().collect();
    assert_eq!(kept_bulk, schema::IMPORT_KEEPS);
    store.finish_bulk_load().unwrap();
}

/// Each statement of each search shape walks the index SQLite's does: with sequential scans priced
/// out, a statement no index can serve (a collation that does not match the index's, a cast on the
/// column) still scans the table, and says so in its plan.
#[test]
fn every_search_shape_walks_its_index() {
    use chartroom::desk::name_lookup;
    use chartroom::domain::dates::one_swap_variants;
    use chartroom::domain::query::NameQuery;
    use chartroom::store::PatientLookup;
    use chartroom::store::postgres::{rows_by_id_sql, search_statements};
    if !pg::available() {
        return;
    }
    let (database, store) = migrated();
    common::populate(&store);
    // Enough patients, of enough names and days, that the planner's choices are those of a real
    // store: on a handful of rows any index, or none, is as cheap as another.
    const SYLLABLES: [&str; 14] =
        ["BAR", "KOL", "MIN", "TES", "DOV", "RAN", "SEL", "PUT", "GAN", "LEW", "HOR", "FIN", "ZAK", "MUR"];
    const GIVEN: [&str; 12] = ["Ann", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kit", "Lou"];
    let mut batch = chartroom::store::RecordBatch::default();
    for i in 0..20_000_usize {
        let family = format!("{}{}{}", SYLLABLES[i % 14], SYLLABLES[(i / 14) % 14], SYLLABLES[(i / 196) % 14]);
        let dob = (1930 + (i % 80) as i32, 1 + (i / 80 % 12) as u32, 1 + (i / 960 % 28) as u32);
        let ssn = format!("{:03}{:02}{:04}", 100 + i % 600, 10 + i % 89, 1000 + i % 8999);
        batch.patients.push(common::patient(
            &format!("{}", 5_000_000 + i),
            &family,
            GIVEN[i % 12],
            "",
            dob,
            Some(&ssn),
        ));
    }
    store.insert_batch(batch, common::event("batch")).unwrap();
    pg::exec(&database, "VACUUM ANALYZE").unwrap();
    let dob = chrono::NaiveDate::from_ymd_opt(1961, 4, 12).unwrap();
    let smith_jon = || name_lookup(&NameQuery { family: "SMITH".into(), given: "JON".into() });
    let shapes: Vec<(&str, PatientLookup, Vec<&str>)> = vec![
        ("MRN", PatientLookup::Mrn(chartroom::domain::mrn::Mrn::parse("204511").unwrap()), vec!["patient_mrn_key"]),
        ("account", PatientLookup::Account("A25-000781".into()), vec!["encounter_account_key"]),
        ("SSN", PatientLookup::SsnHash("0".repeat(64)), vec!["patient_ssn_hash"]),
        ("last 4", PatientLookup::Last4("4821".into()), vec!["patient_last4"]),
        (
            "initial and last 4",
            PatientLookup::InitialLast4 { initial: 'S', last4: "4821".into() },
            vec!["patient_last4"],
        ),
        ("name", PatientLookup::Name(smith_jon()), vec!["patient_name", "patient_name", "patient_phonetic"]),
        ("birth date", PatientLookup::Dob { exact: dob, swaps: one_swap_variants(dob) }, vec!["patient_dob_name"]),
        (
            "name and birth date",
            PatientLookup::NameDob { name: smith_jon(), exact: dob, swaps: one_swap_variants(dob) },
            vec!["patient_dob_name"],
        ),
    ];
    let settings = "SET enable_seqscan = off; SET enable_bitmapscan = off";
    for (shape, lookup, indexes) in shapes {
        let statements = search_statements(&lookup, 51);
        assert_eq!(statements.len(), indexes.len(), "{shape}: one statement per tier");
        for (statement, index) in statements.into_iter().zip(indexes) {
            let plan = pg::explain(&database, settings, &statement.sql, statement.params).unwrap();
            assert!(plan.contains(&format!(" {index} ")), "{shape}: {index}?\n{plan}");
            assert!(!plan.contains("Seq Scan"), "{shape}:\n{plan}");
            if index == "patient_dob_name" {
                // The ranking reads the index alone, as SQLite's covering index does: the table's
                // rows are read only for the page shown.
                assert!(plan.contains("Index Only Scan"), "{shape}: index only?\n{plan}");
            }
        }
    }
    let plan = pg::explain(&database, settings, &rows_by_id_sql(), vec![Box::new(vec![1_i64, 2, 3])]).unwrap();
    assert!(plan.contains("patient_pkey") && plan.contains("encounter_patient"), "{plan}");
    assert!(!plan.contains("Seq Scan"), "{plan}");
}

/// A demo hospital written into each store through the desk: every kind of row a batch carries
/// (patients with aliases and source ids, encounters, procedures, documents, charts, deficiencies,
/// volumes, movements, releases), then read back by every search shape and as charts. PostgreSQL
/// must answer as SQLite does, row for row and in the same order.
#[test]
fn a_demo_hospital_reads_back_the_same_from_both_stores() {
    use chartroom::domain::patient::PatientRow;
    use chartroom::store::{NameLookup, Page, PatientLookup};
    if !pg::available() {
        return;
    }
    let options = chartroom::demo::DemoOptions { patients: 1_500, seed: 7, today: common::today() };
    let load = |fixture: &common::Fixture| {
        chartroom::desk::ensure_founder(&*fixture.store, "dhim", "local", common::clock().now).unwrap();
        let desk = common::desk_for(fixture, "dhim");
        chartroom::demo::populate(&desk, &common::key(), &options, &mut |_, _| {}).unwrap()
    };
    let lite = common::sqlite_empty();
    let post = common::postgres_empty();
    assert_eq!(load(&post), load(&lite), "the same rows written");
    // Namesakes, so that every tie-break of the ranking is exercised: the same name on several
    // birth dates, written in an order unlike any the ranking uses.
    let mut namesakes = chartroom::store::RecordBatch::default();
    for (i, (given, year)) in
        [("Sam", 1990), ("Sam", 1950), ("Samantha", 1970), ("Sam", 1970), ("Sam", 1950), ("Samuel", 1950)]
            .into_iter()
            .enumerate()
    {
        let mrn = format!("{}", 6_000_000 + i);
        namesakes.patients.push(common::patient(&mrn, "Tiewell", given, "", (year, 5, 5), Some("123454821")));
    }
    for fixture in [&lite, &post] {
        fixture.store.insert_batch(namesakes.clone(), common::event("batch")).unwrap();
    }

    let search = |fixture: &common::Fixture, lookup: &PatientLookup| -> Vec<PatientRow> {
        fixture.store.search_patients(lookup, Page::first(400)).unwrap().rows
    };
    let mut lookups: Vec<PatientLookup> = Vec::new();
    lookups.push(PatientLookup::Last4("4821".into()));
    for (family, given) in [("TIEWELL", ""), ("TIEWELL", "SAM"), ("TIEW", "S"), ("TUEWELL", "SAM")] {
        lookups.push(PatientLookup::Name(chartroom::desk::name_lookup(&chartroom::domain::query::NameQuery {
            family: family.into(),
            given: given.into(),
        })));
    }
    for initial in 'A'..='Z' {
        let family = initial.to_string();
        lookups.push(PatientLookup::Name(NameLookup {
            family: family.clone(),
            given: String::new(),
            family_phonetic: vec![],
            given_phonetic: vec![],
        }));
        lookups.push(PatientLookup::InitialLast4 { initial, last4: "4821".into() });
    }
    // Shapes built from the stored patients themselves: each one's name (with its sound-alikes),
    // name and birth date, birth date, last four, MRN and visits.
    let sample: Vec<PatientRow> = lookups.iter().flat_map(|l| search(&lite, l)).step_by(37).collect();
    assert!(sample.len() > 20, "a sample of {}", sample.len());
    for row in &sample {
        let name = chartroom::desk::name_lookup(&chartroom::domain::query::NameQuery {
            family: row.family.clone(),
            given: row.given.chars().take(2).collect(),
        });
        let swaps = chartroom::domain::dates::one_swap_variants(row.birth_date);
        let family = chartroom::desk::name_lookup(&chartroom::domain::query::NameQuery {
            family: row.family.clone(),
            given: String::new(),
        });
        lookups.push(PatientLookup::Name(family));
        lookups.push(PatientLookup::Name(name.clone()));
        lookups.push(PatientLookup::NameDob { name, exact: row.birth_date, swaps: swaps.clone() });
        lookups.push(PatientLookup::Dob { exact: row.birth_date, swaps });
        lookups.push(PatientLookup::Mrn(row.mrn.clone()));
        if let Some(last4) = &row.ssn_last4 {
            lookups.push(PatientLookup::Last4(last4.clone()));
        }
        let chart = lite.store.load_chart(row.patient_id).unwrap().unwrap();
        assert_eq!(post.store.load_chart(row.patient_id).unwrap().as_ref(), Some(&chart), "{}", row.mrn.as_str());
        for encounter in chart.encounters.iter().take(2) {
            lookups.push(PatientLookup::Account(encounter.account.clone()));
        }
    }
    for lookup in &lookups {
        assert_eq!(search(&post, lookup), search(&lite, lookup), "{lookup:?}");
    }
    let audit = |f: &common::Fixture| {
        let events = f.store.list_audit(&AuditFilter { limit: 1000, ..Default::default() }).unwrap();
        events.into_iter().map(|e| (e.action, e.entity, e.detail)).collect::<Vec<_>>()
    };
    assert_eq!(audit(&post), audit(&lite), "the same events, newest first");
}

/// Two writers each waiting for the other: PostgreSQL aborts one, and the store runs that one's
/// transaction again rather than handing the clerk "deadlock detected". Here the store's batch
/// writes patient X, then waits for Y, which another session holds while it waits for X.
#[test]
fn a_write_that_lost_a_deadlock_is_run_again() {
    if !pg::available() {
        return;
    }
    // The store's sessions look for a deadlock 3 s into a wait, the other session never: the
    // store's batch is the one aborted however slowly the other session gets to its second insert.
    let database = pg::fresh_database();
    pg::exec(&database, &format!("ALTER DATABASE {} SET deadlock_timeout = '3s'", database.name)).unwrap();
    let store = PgStore::connect(database.config.clone()).unwrap();
    store.migrate().unwrap();
    common::populate(&store);
    let (x, y) = ("7000001", "7000002");
    let other = |mrn: &str| {
        format!(
            "INSERT INTO patient (mrn, family, given, family_key, given_key, family_phon, given_phon, sex, birth_date,
                 created_at) VALUES ('{mrn}', 'Other', 'Session', 'OTHER', 'SESSION', 'A0R', 'SSN', 'U', '1990-01-01', now())"
        )
    };
    let config = database.config.clone();
    let (y_held, y_is_held) = std::sync::mpsc::channel();
    let session = std::thread::spawn(move || -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await.map_err(|e| e.to_string())?;
            tokio::spawn(connection);
            client
                .batch_execute(&format!("SET deadlock_timeout = '10min'; BEGIN; {}", other(y)))
                .await
                .map_err(|e| e.to_string())?;
            y_held.send(()).unwrap();
            // Wait (for as long as it takes, up to a generous deadline) until the store's batch is
            // blocked on Y, then take X: the cycle is closed.
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let waiting: i64 = client
                    .query_one(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                             AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'",
                        &[],
                    )
                    .await
                    .map_err(|e| e.to_string())?
                    .get(0);
                if waiting > 0 {
                    break;
                }
                assert!(Instant::now() < deadline, "the store's batch never waited for Y");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            // Blocks until the server breaks the cycle by aborting the store's transaction.
            client.batch_execute(&other(x)).await.map_err(|e| e.to_string())?;
            client.batch_execute("ROLLBACK").await.map_err(|e| e.to_string())
        })
    });
    y_is_held.recv().unwrap();
    let mut batch = chartroom::store::RecordBatch::default();
    batch.patients.push(common::patient(x, "Deadlock", "Xavier", "", (1980, 1, 1), None));
    batch.patients.push(common::patient(y, "Deadlock", "Yvonne", "", (1980, 1, 1), None));
    let written = store.insert_batch(batch, common::event("batch"));
    session.join().unwrap().unwrap();
    assert_eq!(written.unwrap().patients, 2, "written whole on its second run");
    for mrn in [x, y] {
        let row = store.patient_by_mrn(&chartroom::domain::mrn::Mrn::parse(mrn).unwrap()).unwrap().unwrap();
        assert_eq!(row.family, "Deadlock");
    }
}

/// Waits for the change feed to move past `since`, through any time it says the server is away;
/// panics after a generous deadline.
fn moved_past(store: &PgStore, since: &chartroom::store::ChangeStamp) -> chartroom::store::ChangeStamp {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        match store.wait_for_change(since, Duration::from_secs(1)) {
            Ok(now) if now != *since => return now,
            Ok(_) | Err(StoreError::Unreachable(_)) => {}
            Err(other) => panic!("the change feed failed: {other}"),
        }
    }
    panic!("the change feed never moved past {since:?}");
}

#[test]
fn the_change_feed_listens_again_when_the_server_ends_its_session() {
    use chartroom::domain::role::Role;
    use chartroom::store::{ChangeStamp, Topic, Topics};
    if !pg::available() {
        return;
    }
    let (database, store) = migrated();
    common::populate(&store);
    let mut since = store.wait_for_change(&ChangeStamp::default(), Duration::from_secs(60)).unwrap();
    for roles in [vec![Role::HimClerk], vec![Role::ChartAnalyst]] {
        // The listening session ended from the server's side (a restart, an administrator), and a
        // change made before it listens again: the counters it reads when it does show it.
        end_connections(&database);
        store.set_user_roles("mlee", roles, common::event("user")).unwrap();
        let now = moved_past(&store, &since);
        assert_eq!(now.moved_since(&since), Topics::from(Topic::Users));
        since = now;
    }
    // And once back, it hears the next change as it comes.
    store.set_user_roles("mlee", vec![Role::Coder], common::event("user")).unwrap();
    assert_eq!(moved_past(&store, &since).moved_since(&since), Topics::from(Topic::Users));
}

#[test]
fn the_deficiency_queue_is_vacuumed_before_dead_rows_pile_up_at_its_head() {
    if !pg::available() {
        return;
    }
    let (database, _store) = migrated();
    let options =
        pg::exec(&database, "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'deficiency'")
            .unwrap()
            .join("");
    // PostgreSQL's default waits for a fifth of the table to change.
    assert!(options.contains("autovacuum_vacuum_scale_factor=0.01"), "{options}");
}

#[test]
fn the_deficiency_queues_indexes_end_on_the_id_its_every_sort_ends_on() {
    if !pg::available() {
        return;
    }
    let (database, _store) = migrated();
    let definition = |name: &str| {
        pg::exec(&database, &format!("SELECT indexdef FROM pg_indexes WHERE indexname = '{name}'")).unwrap().join("")
    };
    // `ORDER BY d.delinquent_on, d.id LIMIT 23` stops after 23 rows only on an index that has both.
    for (index, columns) in [
        ("deficiency_open_by_age", "(delinquent_on, id)"),
        ("deficiency_open_by_provider", "(provider_id, delinquent_on, id)"),
        ("deficiency_open_by_type", "(type_code, delinquent_on, id)"),
        ("deficiency_open_by_discharge", "(event_on DESC, id DESC)"),
    ] {
        assert!(definition(index).contains(columns), "{index}: {}", definition(index));
    }
}

#[test]
fn a_write_held_up_by_another_programs_lock_gives_up_as_busy_within_seconds() {
    if !pg::available() {
        return;
    }
    let (database, store) = migrated();
    store.init_setting("first", "1").unwrap();
    // Another program (an administrator's session) holds the settings table.
    let (locked_tx, locked) = std::sync::mpsc::channel();
    let (release_tx, release) = std::sync::mpsc::channel::<()>();
    let config = database.config.clone();
    let holder = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let (mut client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(connection);
            let tx = client.transaction().await.unwrap();
            tx.batch_execute("LOCK TABLE store_setting IN ACCESS EXCLUSIVE MODE").await.unwrap();
            locked_tx.send(()).unwrap();
            // Held until the test has its answer.
            tokio::task::spawn_blocking(move || release.recv()).await.unwrap().unwrap();
            tx.rollback().await.unwrap();
        });
    });
    locked.recv().unwrap();
    let started = Instant::now();
    let err = store.put_setting("second", "2", None).unwrap_err();
    let waited = started.elapsed();
    release_tx.send(()).unwrap();
    holder.join().unwrap();
    assert!(matches!(err, StoreError::Busy), "{err:?}");
    assert!(waited < Duration::from_secs(20), "gave up within the lock timeout, not never: {waited:?}");
    assert!(waited >= Duration::from_secs(4), "and waited its 5 s first: {waited:?}");
    assert_eq!(store.setting("second").unwrap(), None, "nothing written");
    store.put_setting("second", "2", None).unwrap();
}

/// The upgrade to the audit chain (migration 12) links the events a database already holds, so that
/// `audit verify` finds the trail whole from its first event; the guard is back after it.
#[test]
fn an_upgrade_links_the_events_written_before_the_chain() {
    use chartroom::domain::audit::chain::ChainWalk;
    if !pg::available() {
        return;
    }
    let database = pg::fresh_database();
    let before = (schema::CHAIN_VERSION - 1) as usize;
    let mut sql = String::from(
        "CREATE TABLE schema_version (version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());",
    );
    for migration in &schema::MIGRATIONS[..before] {
        sql.push_str(migration);
    }
    sql.push_str(&format!("INSERT INTO schema_version (version) SELECT generate_series(1, {before});"));
    sql.push_str(
        "INSERT INTO audit_event (at, username, source, action, entity, entity_id, detail)
         SELECT timestamptz '2024-05-01 10:00:00.123456+00' + n * interval '1 minute', 'jdoe', 'local',
                'VIEW_PATIENT', 'patient', (100000 + n)::text, 'old event ' || n
         FROM generate_series(1, 25) AS n;",
    );
    pg::exec(&database, &sql).unwrap();
    let store = PgStore::connect(database.config.clone()).unwrap();
    assert_eq!(store.migrate().unwrap(), schema::current_version());
    let events = store.audit_chain(i64::MIN, 1000).unwrap();
    assert_eq!(events.len(), 25);
    let mut walk = ChainWalk::new();
    for event in &events {
        walk.step(event).unwrap_or_else(|b| panic!("the upgraded trail breaks at {b:?}"));
    }
    assert!(pg::exec(&database, "UPDATE audit_event SET detail = 'x'").is_err(), "the update guard is back");
}
