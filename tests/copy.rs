//! `chartroom copy`: a SQLite store moved whole into an empty PostgreSQL database (a throwaway
//! one of the test cluster; skipped with the reason printed where PostgreSQL cannot run, except in
//! CI).

mod common;

use chartroom::desk::{Desk, identity};
use chartroom::store::postgres::PgStore;
use chartroom::store::sqlite::SqliteStore;
use chartroom::store::{AuditFilter, Page, Store};
use common::pg;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

fn chartroom(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chartroom"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        // The password never comes from the environment these tests run in.
        .env_remove("PGPASSWORD")
        .env("PGPASSFILE", "/nonexistent/chartroom-test-pgpass")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A demo store of `patients` patients made by the binary (you, the OS account, its director).
fn demo_store(scratch: &Path, patients: usize) -> PathBuf {
    let data_dir = scratch.join("data");
    let demo = chartroom(&data_dir, &["demo", "--patients", &patients.to_string()]);
    assert!(demo.status.success(), "{}", text(&demo.stderr));
    data_dir
}

/// Every table of the SQLite store with its rows.
fn sqlite_counts(path: &Path) -> Vec<(String, i64)> {
    let db = rusqlite::Connection::open(path).unwrap();
    let mut stmt = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .unwrap();
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    tables
        .into_iter()
        .map(|t| {
            let n = db.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0)).unwrap();
            (t, n)
        })
        .collect()
}

fn pg_count(database: &pg::PgDatabase, table: &str) -> i64 {
    pg::exec(database, &format!("SELECT count(*) FROM {table}")).unwrap()[0].parse().unwrap()
}

fn desk(store: Arc<dyn Store>) -> Desk {
    let me = identity::current_account().unwrap();
    Desk::sign_in(store, &me, "local".into(), common::key(), common::clock()).unwrap()
}

#[test]
fn a_demo_store_copied_into_postgresql_reads_back_the_same_and_a_second_copy_is_refused() {
    if !pg::available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = demo_store(scratch.path(), 2_000);
    let store_file = data_dir.join("chartroom.db");
    let database = pg::fresh_database();
    let from = format!("sqlite:{}", store_file.display());

    let copy = chartroom(&data_dir, &["copy", "--from", &from, "--to", &database.url, "--batch-rows", "700"]);
    let (out, err) = (text(&copy.stdout), text(&copy.stderr));
    assert!(copy.status.success(), "{err}");
    // Progress per batch on stderr, in batches of the size asked; the count check on stdout.
    assert!(err.contains("patient") && err.contains(" 700 of ") && err.contains("rows/s"), "{err}");
    assert!(err.starts_with(&format!("Copying the store at {}", store_file.display())), "{err}");
    assert!(err.contains("needs the key file of the store copied"), "the key file stays with the installation: {err}");
    assert!(out.contains("every one of the"), "{out}");

    // Every table, row for row.
    let counts = sqlite_counts(&store_file);
    assert!(counts.len() > 25, "{counts:?}");
    for (table, rows) in &counts {
        // The copy's own event is the one row more (below).
        let added = i64::from(table == "audit_event");
        assert_eq!(pg_count(&database, table), rows + added, "{table}");
        assert!(
            out.lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>()
                    == [table.as_str(), &rows.to_string(), &rows.to_string()]),
            "the count check lists {table}: {out}"
        );
    }
    let patients = counts.iter().find(|(t, _)| t == "patient").unwrap().1;
    assert!(patients >= 2_000, "{patients}");

    // Every foreign key and index set aside for the load is back, as a database made afresh has them.
    let fresh = pg::fresh_database();
    PgStore::connect(fresh.config.clone()).unwrap().migrate().unwrap();
    let catalog = "SELECT string_agg(name, ' ' ORDER BY name) FROM (
                       SELECT conname::text AS name FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                       UNION ALL SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public') AS names";
    let made = pg::exec(&fresh, catalog).unwrap();
    assert!(made[0].contains("encounter_patient_id_fkey") && made[0].contains("patient_name"), "{made:?}");
    assert_eq!(pg::exec(&database, catalog).unwrap(), made);

    // The same searches give the same rows, the same ids, in the same order, through both stores.
    let lite: Arc<dyn Store> = Arc::new(SqliteStore::open(&store_file).unwrap());
    let post: Arc<dyn Store> = Arc::new(PgStore::connect(database.config.clone()).unwrap());
    let db = rusqlite::Connection::open(&store_file).unwrap();
    let (mrn, family, given, last4): (String, String, String, String) = db
        .query_row(
            "SELECT mrn, family, given, ssn_last4 FROM patient WHERE ssn_last4 IS NOT NULL ORDER BY id LIMIT 1 OFFSET 77",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    let account: String =
        db.query_row("SELECT account FROM encounter ORDER BY id DESC LIMIT 1", [], |r| r.get(0)).unwrap();
    let (lite_desk, post_desk) = (desk(lite.clone()), desk(post.clone()));
    let initial: String = family.chars().next().unwrap().to_string();
    for query in [mrn.clone(), format!("{family},{given}"), format!("{initial}{last4}"), account, family.clone()] {
        let here = lite_desk.search(&query, Page::first(50)).unwrap().page;
        let there = post_desk.search(&query, Page::first(50)).unwrap().page;
        assert!(!here.rows.is_empty(), "{query} finds someone");
        assert_eq!(there.rows, here.rows, "{query}");
        assert_eq!(there.has_more, here.has_more, "{query}");
    }
    let patient_id =
        lite.patient_by_mrn(&chartroom::domain::mrn::Mrn::parse(&mrn).unwrap()).unwrap().unwrap().patient_id;
    assert_eq!(post.load_chart(patient_id).unwrap(), lite.load_chart(patient_id).unwrap(), "the chart too");

    // The copy is recorded in the target, with its counts and no patient's data.
    let events = post.list_audit(&AuditFilter { limit: 5, ..Default::default() }).unwrap();
    let copied = &events[0];
    assert_eq!(copied.entity, "store");
    assert_eq!(copied.username, identity::current_account().unwrap());
    assert!(copied.detail.starts_with("copied the SQLite store at "), "{}", copied.detail);
    assert!(copied.detail.contains(&format!("patient {patients}")), "{}", copied.detail);
    assert!(!copied.detail.contains(&mrn) && !copied.detail.contains(&family), "{}", copied.detail);
    assert_eq!(copied.patient_id, None);
    assert_eq!(pg_count(&database, "audit_event"), counts.iter().find(|(t, _)| t == "audit_event").unwrap().1 + 1);

    // New rows take ids after the copied ones: every sequence was moved past them.
    let facility = chartroom::domain::chart::NewFacility::validate(
        "NEW",
        "New Clinic",
        "TX",
        chartroom::domain::chart::FacilityKind::Practice,
        "America/Chicago",
    )
    .unwrap();
    let made = post.add_facility(facility, common::event("facility")).unwrap();
    let greatest: i64 = db.query_row("SELECT max(id) FROM facility", [], |r| r.get(0)).unwrap();
    assert_eq!(made.id, greatest + 1);

    // A second copy into the database, now holding a store, is refused and writes nothing.
    let before = pg_count(&database, "audit_event");
    let again = chartroom(&data_dir, &["copy", "--from", &from, "--to", &database.url]);
    let err = text(&again.stderr);
    assert!(!again.status.success());
    assert!(err.contains("is not empty") && err.contains(&format!("{patients} patients")), "{err}");
    assert!(err.contains("users") && err.contains("audit events"), "names what it found: {err}");
    assert_eq!(pg_count(&database, "audit_event"), before);
    assert_eq!(pg_count(&database, "patient"), patients);
}

#[test]
fn a_password_in_the_url_is_refused_before_anything_is_tried() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    // A closed port: were the URL used, the copy would fail there instead.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://clerk:hunter2@127.0.0.1:{port}/chartroom");
    let out = chartroom(&data_dir, &["copy", "--to", &url]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("~/.pgpass") && err.contains("PGPASSWORD") && err.contains("--password-file"), "{err}");
    assert!(!err.contains("hunter2"), "never repeats the password: {err}");
    assert!(!err.contains("cannot be reached"), "refused before connecting: {err}");
}

#[test]
fn a_source_at_another_schema_version_is_refused_and_the_target_left_empty() {
    if !pg::available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    assert!(chartroom(&data_dir, &["init", "--empty"]).status.success());
    let store_file = data_dir.join("chartroom.db");
    let current = chartroom::store::sqlite::schema::current_version();
    let database = pg::fresh_database();
    let from = format!("sqlite:{}", store_file.display());
    let set_version = |v: i64| {
        rusqlite::Connection::open(&store_file).unwrap().pragma_update(None, "user_version", v).unwrap();
    };

    set_version(current - 1);
    let older = chartroom(&data_dir, &["copy", "--from", &from, "--to", &database.url]);
    assert!(!older.status.success());
    let err = text(&older.stderr);
    assert!(err.contains("open it with chartroom once to upgrade it"), "{err}");
    assert!(!err.contains("Copying the store"), "a copy refused never says it began: {err}");

    set_version(current + 1);
    let newer = chartroom(&data_dir, &["copy", "--from", &from, "--to", &database.url]);
    assert!(!newer.status.success());
    assert!(text(&newer.stderr).contains("newer chartroom"), "{}", text(&newer.stderr));

    let tables = pg::exec(&database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").unwrap();
    assert_eq!(tables, ["0"], "nothing made in the target");
}

#[test]
fn only_a_director_of_the_store_may_copy_it() {
    if !pg::available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = demo_store(scratch.path(), 10);
    let database = pg::fresh_database();
    let target = PgStore::connect(database.config.clone()).unwrap();
    let store_file = data_dir.join("chartroom.db");
    for (username, refusal) in [("jdoe", "may not"), ("nobody", "not an enabled chartroom user")] {
        let request = chartroom::desk::copy::CopyRequest {
            username,
            session_source: "local",
            source: &store_file,
            batch_rows: 1_000,
        };
        let err = chartroom::desk::copy::copy_to_postgres(&request, &target, &*common::clock(), |_| {}).unwrap_err();
        assert!(err.to_string().contains(refusal), "{username}: {err}");
    }
    assert_eq!(target.schema_version().unwrap(), 0, "nothing done to the target");
}

#[test]
fn a_row_that_refers_to_nothing_fails_the_copy_loudly() {
    if !pg::available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    assert!(chartroom(&data_dir, &["init", "--empty"]).status.success());
    let store_file = data_dir.join("chartroom.db");
    // Written past the store, its foreign keys off: a chart volume of a patient the store does not hold.
    let db = rusqlite::Connection::open(&store_file).unwrap();
    db.execute_batch(
        "PRAGMA foreign_keys = OFF;
         INSERT INTO location (id, code, name, kind) VALUES (1, 'MR', 'Medical Records', 'FILE_ROOM');
         INSERT INTO chart_volume (patient_id, volume_no, record_type, barcode, home_location_id, current_location_id,
             status) VALUES (4242, 1, 'MEDICAL', 'V0001', 1, 1, 'IN')",
    )
    .unwrap();
    let database = pg::fresh_database();
    let out =
        chartroom(&data_dir, &["copy", "--from", &format!("sqlite:{}", store_file.display()), "--to", &database.url]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("rows of chart_volume refer to rows the store does not hold"), "{err}");
    assert!(err.contains("must not be used: drop it"), "{err}");
    let copied: i64 = db.query_row("SELECT count(*) FROM audit_event", [], |r| r.get(0)).unwrap();
    assert_eq!(pg_count(&database, "audit_event"), copied, "the store's own events, and none for a copy that failed");
}

#[test]
fn a_value_postgresql_cannot_take_fails_the_copy_with_the_servers_reason() {
    if !pg::available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = demo_store(scratch.path(), 10);
    let store_file = data_dir.join("chartroom.db");
    // A day no calendar has, written past the store: SQLite keeps dates as text and takes it.
    rusqlite::Connection::open(&store_file)
        .unwrap()
        .execute("UPDATE facility SET inactivated_on = '2025-02-30' WHERE code = 'RGH'", [])
        .unwrap();
    let database = pg::fresh_database();
    let out =
        chartroom(&data_dir, &["copy", "--from", &format!("sqlite:{}", store_file.display()), "--to", &database.url]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("copying facility.inactivated_on: ") && err.contains("2025-02-30"),
        "the server's reason, by table and column, not the other lane's stop: {err}"
    );
    assert!(!err.contains("side of the copy stopped"), "{err}");
    assert!(err.contains("must not be used: drop it"), "{err}");
}

#[test]
fn release_of_information_is_copied_whole_and_numbers_go_on_from_where_they_were() {
    use chartroom::domain::audit::{AuditAction, NewAuditEvent};
    use chartroom::domain::mrn::Mrn;
    use chartroom::domain::roi::{
        AuthorizationForm, ChecklistItem, Delivery, LegalBasis, LegalProcess, LegalProcessKind, LetterKind,
        NewRequester, ReceivedVia, RecordFormat, RequestStatus, RequestType, RequesterKind, Scope,
    };
    use chartroom::store::roi::{
        ClockRecord, DisclosureRecord, DueDate, FollowUp, LetterRecord, NewAuthorization, NewRoiRequest, PaymentRecord,
        RequesterRef, RoiChange, RoiQueueFilter, RoiSort,
    };
    use chrono::{NaiveDate, TimeZone, Utc};
    if !pg::available() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = demo_store(scratch.path(), 10);
    let store_file = data_dir.join("chartroom.db");
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap();
    let day = |m, d| NaiveDate::from_ymd_opt(2025, m, d).unwrap();
    let event = || NewAuditEvent {
        at,
        username: "dhim".into(),
        source: "local".into(),
        action: AuditAction::Create,
        entity: "roi_request".into(),
        entity_id: None,
        patient_id: None,
        provider_id: None,
        detail: String::new(),
    };
    let lite = SqliteStore::open(&store_file).unwrap();
    let garcia = lite.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().expect("the demo's GARCIA").patient_id;
    let rgh = lite.list_facilities().unwrap().into_iter().find(|f| f.code == "RGH").unwrap().id;
    let new = |requester, status| NewRoiRequest {
        facility_id: rgh,
        patient_id: garcia,
        requester,
        received_on: day(3, 3),
        received_via: ReceivedVia::Fax,
        request_type: RequestType::Subpoena,
        purpose: "Litigation".into(),
        format: RecordFormat::Paper,
        delivery: Delivery::Mail,
        pages: Some(12),
        postage_cents: Some(275),
        clerical_minutes: None,
        scope: Scope { entire_record: false, from: Some(day(1, 1)), to: None, document_types: vec!["DS".into()] },
        authorization: Some(NewAuthorization {
            form: AuthorizationForm { signature: true, signer: "Maria Garcia".into(), ..Default::default() },
            received_on: day(3, 3),
            checklist: vec![ChecklistItem {
                element: "core.expiration".into(),
                passed: false,
                reason: "no expiration date or event".into(),
            }],
        }),
        legal_process: Some(LegalProcess {
            caption: "STATE v. DOE".into(),
            return_on: Some(day(3, 20)),
            qpo_on: Some(day(3, 2)),
            ..LegalProcess::served(LegalProcessKind::Subpoena, true, day(3, 1), "Travis County", "D-1-25")
        }),
        status,
        status_reason: Some("Deficient authorization".into()),
        assigned_to: Some("jdoe".into()),
        due: DueDate {
            due_on: None,
            due_rule: "waiting for payment".into(),
            clocks: vec![ClockRecord {
                code: "CA-123110".into(),
                rule: "CA HSC 123110: 15 days after payment".into(),
                due_on: None,
                waits_for: Some("payment".into()),
            }],
        },
        logged_by: "jdoe".into(),
        logged_at: at,
        accounting_period: Some((day(1, 1), day(3, 3))),
        disclosure: None,
        released_on: None,
        invoice: None,
    };
    let attorney = NewRequester {
        kind: RequesterKind::Attorney,
        name: "Baker & Lowe LLP".into(),
        organization: "Baker Group".into(),
        address: "1 Main St\nAustin".into(),
        phone: String::new(),
        fax: "512-555-0101".into(),
        email: String::new(),
    };
    let pended = lite.log_roi_request(new(RequesterRef::New(attorney), RequestStatus::Pended), event()).unwrap();
    let other = lite
        .log_roi_request(new(RequesterRef::Existing(pended.requester.id), RequestStatus::Validating), event())
        .unwrap();
    let released = lite
        .apply_roi_change(
            RoiChange {
                request_id: other.id,
                expected_version: other.version,
                at,
                by: "jdoe".into(),
                status: RequestStatus::Released,
                status_reason: Some(None),
                assigned_to: None,
                due: None,
                extension: Some((day(4, 30), day(3, 20), "off-site storage".into())),
                add_authorization: None,
                add_follow_up: Some(FollowUp {
                    received_on: day(3, 17),
                    received_via: ReceivedVia::Fax,
                    note: "re-faxed".into(),
                    by: "jdoe".into(),
                    at,
                }),
                add_letter: Some(LetterRecord {
                    kind: LetterKind::ExtensionNotice,
                    template_version: 1,
                    text: "We need more time:\tthe records are off site.".into(),
                    by: "jdoe".into(),
                    at,
                }),
                add_payment: Some(PaymentRecord {
                    paid_on: day(3, 10),
                    amount_cents: 650,
                    by: "jdoe".into(),
                    at,
                    invoice_no: None,
                }),
                add_disclosure: Some(DisclosureRecord {
                    disclosed_on: day(3, 21),
                    recipient: "Baker & Lowe LLP".into(),
                    recipient_address: "400 Congress Ave\nAustin TX 78701".into(),
                    description: "Discharge summaries".into(),
                    purpose: "Litigation".into(),
                    legal_basis: LegalBasis::Judicial,
                    accountable: true,
                    pages: 12,
                    by: "jdoe".into(),
                }),
                add_fee: None,
                add_fee_adjustment: None,
                legal_process: None,
                add_packet: None,
                released_on: Some(Some(day(3, 21))),
                detail: "Released".into(),
            },
            event(),
        )
        .unwrap();
    lite.save_letter_template(LetterKind::Denial, "No.", "dhim", at, event()).unwrap();
    lite.save_letter_template(LetterKind::Denial, "We cannot.", "dhim", at, event()).unwrap();
    lite.save_draft("jdoe", "roi_intake", "{\"mrn\":\"204511\"}", at).unwrap();
    drop(lite);

    let database = pg::fresh_database();
    let copy =
        chartroom(&data_dir, &["copy", "--from", &format!("sqlite:{}", store_file.display()), "--to", &database.url]);
    assert!(copy.status.success(), "{}", text(&copy.stderr));
    let out = text(&copy.stdout);
    for table in ["requester", "roi_request", "roi_history", "roi_letter", "letter_template", "draft", "roi_sequence"] {
        assert!(
            out.lines().any(|l| l.split_whitespace().next() == Some(table)),
            "the count check lists {table}: {out}"
        );
    }

    let lite: Arc<dyn Store> = Arc::new(SqliteStore::open(&store_file).unwrap());
    let post: Arc<dyn Store> = Arc::new(PgStore::connect(database.config.clone()).unwrap());
    for request in [&pended, &released] {
        let there = post.roi_request(&request.number).unwrap();
        assert_eq!(there.as_ref(), Some(request), "{} whole", request.number);
    }
    let everything = RoiQueueFilter { statuses: RequestStatus::ALL.to_vec(), ..Default::default() };
    for sort in [RoiSort::Due, RoiSort::Number, RoiSort::Patient, RoiSort::Requester, RoiSort::Status] {
        assert_eq!(
            post.roi_queue_page(&everything, sort, Page::first(50)).unwrap(),
            lite.roi_queue_page(&everything, sort, Page::first(50)).unwrap(),
            "{sort:?}"
        );
    }
    assert_eq!(post.search_requesters("baker g", 5).unwrap(), lite.search_requesters("baker g", 5).unwrap());
    assert_eq!(post.letter_template_history(LetterKind::Denial).unwrap().len(), 2);
    assert_eq!(post.letter_templates().unwrap(), lite.letter_templates().unwrap());
    assert_eq!(post.draft("jdoe", "roi_intake").unwrap(), lite.draft("jdoe", "roi_intake").unwrap());
    assert_eq!(post.load_chart(garcia).unwrap(), lite.load_chart(garcia).unwrap(), "the Releases tab too");

    // The next request at RGH takes the next number on both, and a new row's id follows the copied.
    let next_there =
        post.log_roi_request(new(RequesterRef::Existing(pended.requester.id), RequestStatus::Logged), event());
    let next_here =
        lite.log_roi_request(new(RequesterRef::Existing(pended.requester.id), RequestStatus::Logged), event());
    let (next_there, next_here) = (next_there.unwrap(), next_here.unwrap());
    assert_eq!(next_there.number, next_here.number);
    assert_eq!(next_there.number.seq, released.number.seq + 1);
    assert_eq!(next_there.id, next_here.id);
}
