//! Fixtures shared by the integration tests: a store holding the acceptance-scenario hospital of
//! domain.md §5 (today = Mon 2025-03-03), plus patients that exercise ranking.

#![allow(dead_code)]

pub mod cli;
pub mod pg;
pub mod roi_requests;
pub mod screens;
mod shared;
#[allow(unused_imports)]
pub use shared::{shared_data, shared_data_in};

use chartroom::demo::{DemoOptions, HospitalPlan};
use chartroom::desk::{Desk, FixedClock, ensure_founder};
use chartroom::domain::chart::NewFacility;
use chartroom::domain::mrn::Mrn;
use chartroom::domain::names::PersonName;
use chartroom::domain::patient::{NameKeys, NewPatient, Sensitivity, Sex};
use chartroom::domain::ssn::{Ssn, SsnKey};
use chartroom::store::postgres::PgStore;
use chartroom::store::records::NewEncounter;
use chartroom::store::sqlite::SqliteStore;
use chartroom::store::{RecordBatch, Store};
use chrono::{NaiveDate, TimeZone, Utc};
use std::sync::Arc;

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
}

pub fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock { now: Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap(), today: today() })
}

pub fn key() -> SsnKey {
    SsnKey::from_bytes([42; 32])
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
    /// The PostgreSQL database behind `store`, dropped after it (fields drop in order).
    pub pg: Option<pg::PgDatabase>,
}

/// Makes an empty store of one backend.
pub type MakeStore = fn() -> Fixture;

/// The backends every conformance test runs against. A second backend adds itself here.
/// PostgreSQL is left out, with the reason printed, where it cannot run (never in CI).
pub fn backends() -> Vec<(&'static str, MakeStore)> {
    let mut all: Vec<(&'static str, MakeStore)> = vec![("sqlite", sqlite_empty)];
    if pg::available() {
        all.push(("postgres", postgres_empty));
    }
    all
}

pub fn sqlite_empty() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&dir.path().join("chartroom.db")).unwrap());
    Fixture { dir, store, pg: None }
}

/// An empty store in a fresh database of the test PostgreSQL, brought to the current schema.
pub fn postgres_empty() -> Fixture {
    let database = pg::fresh_database();
    let store = PgStore::connect(database.config.clone()).unwrap();
    store.migrate().unwrap();
    Fixture { dir: tempfile::tempdir().unwrap(), store: Arc::new(store), pg: Some(database) }
}

/// The URL of a fresh, empty PostgreSQL database (not migrated), for end-to-end tests that drive
/// the binary; None, with the reason printed, where PostgreSQL cannot run.
pub fn pg_database_url() -> Option<String> {
    pg::pg_database_url()
}

/// A second handle on a fixture's store, opened on its own as another clerk's program opens it:
/// a second `open` of the SQLite file, a second connection pool to the PostgreSQL database.
pub fn another_handle(fixture: &Fixture) -> Arc<dyn Store> {
    match &fixture.pg {
        Some(database) => Arc::new(PgStore::connect(database.config.clone()).unwrap()),
        None => Arc::new(SqliteStore::open(&fixture.dir.path().join("chartroom.db")).unwrap()),
    }
}

pub fn patient(
    mrn: &str,
    family: &str,
    given: &str,
    middle: &str,
    dob: (i32, u32, u32),
    ssn: Option<&str>,
) -> NewPatient {
    let name = PersonName::new(family, given, middle);
    let ssn = ssn.and_then(Ssn::parse);
    NewPatient {
        mrn: Mrn::parse(mrn).unwrap(),
        keys: NameKeys::of(&name),
        name,
        sex: Sex::Male,
        birth_date: NaiveDate::from_ymd_opt(dob.0, dob.1, dob.2).unwrap(),
        ssn_last4: ssn.as_ref().map(Ssn::last4),
        ssn_hash: ssn.as_ref().map(|s| key().hash(s)),
        deceased_on: None,
        sensitivity: Sensitivity::None,
        address: String::new(),
        phone: String::new(),
        aliases: vec![],
        source_ids: vec![],
    }
}

/// Writes the scenario hospital into `store`: facilities, the founder `dhim` and the demo staff,
/// the fixture patients (SMITH, JOHN A; SMYTHE, JON; GARCIA, MARIA L with A25-000781; NGUYEN,
/// THANH), and ranking patients.
pub fn populate(store: &dyn Store) {
    ensure_founder(store, "dhim", "local", clock().now).unwrap();
    let options = DemoOptions { patients: 0, seed: 1, today: today() };
    let plan = HospitalPlan::new(&options, key());
    for (code, name, state, kind, tz) in chartroom::demo::FACILITIES {
        let facility = NewFacility::validate(code, name, state, *kind, tz).unwrap();
        store.add_facility(facility, event("facility")).unwrap();
    }
    for (username, display, roles) in chartroom::demo::USERS {
        if *username == "dhim" {
            continue;
        }
        store
            .add_user(
                chartroom::store::NewUser {
                    username: username.to_string(),
                    display_name: display.to_string(),
                    roles: roles.to_vec(),
                },
                event("user"),
            )
            .unwrap();
    }
    store.insert_batch(plan.foundation_batch(), event("batch")).unwrap();
    let mut batch = RecordBatch::default();
    batch.patients.push(patient("100999", "Smith", "Jonathan", "", (1961, 4, 12), Some("111223333")));
    batch.patients.push(patient("101000", "Smithson", "Jon", "", (1970, 1, 1), None));
    batch.patients.push(patient("101001", "O'Brien", "Pat", "", (1950, 5, 5), None));
    batch.patients.push(patient("101002", "Jones", "Ann", "", (1961, 4, 12), None));
    let mut nguyen = patient("101003", "Nguyễn", "Van", "", (1980, 2, 2), None);
    nguyen.sex = Sex::Female;
    batch.patients.push(nguyen);
    batch.encounters.push(NewEncounter {
        patient_mrn: "100999".into(),
        account: "O25-000200".into(),
        kind: chartroom::domain::chart::EncounterKind::Outpatient,
        facility_code: "RGC".into(),
        service: "MEDICINE".into(),
        admit_at: Utc.with_ymd_and_hms(2025, 1, 15, 14, 0, 0).unwrap(),
        discharge_at: None,
        attending_npi: Some("1000000001".into()),
    });
    store.insert_batch(batch, event("batch")).unwrap();
}

/// The scenario store, ready.
pub fn scenario() -> Fixture {
    let fixture = sqlite_empty();
    populate(&*fixture.store);
    fixture
}

/// Another handle on the fixture's store, as a second clerk's program opens it: connections of its
/// own (PostgreSQL), or a connection of its own to the same file (SQLite).
pub fn second_handle(fixture: &Fixture) -> Arc<dyn Store> {
    match &fixture.pg {
        Some(database) => Arc::new(PgStore::connect(database.config.clone()).unwrap()),
        None => Arc::new(SqliteStore::open(&fixture.dir.path().join("chartroom.db")).unwrap()),
    }
}

/// The scenario store on each backend in turn, made as the loop reaches it, saying which backend
/// each is (a failing test's output then names the backend it failed on).
pub fn scenarios() -> impl Iterator<Item = Fixture> {
    on_each_backend(populate)
}

/// A store of each backend in turn, readied by `ready`, made as the loop reaches it and named.
pub fn on_each_backend(ready: fn(&dyn Store)) -> impl Iterator<Item = Fixture> {
    backends().into_iter().map(move |(name, make)| {
        eprintln!("backend: {name}");
        let fixture = make();
        ready(&*fixture.store);
        fixture
    })
}

pub fn desk_for(fixture: &Fixture, username: &str) -> Desk {
    Desk::sign_in(fixture.store.clone(), username, "ssh 203.0.113.5".into(), key(), clock()).unwrap()
}

pub fn event(entity: &str) -> chartroom::domain::audit::NewAuditEvent {
    chartroom::domain::audit::NewAuditEvent {
        at: clock().now,
        username: "dhim".into(),
        source: "local".into(),
        action: chartroom::domain::audit::AuditAction::Create,
        entity: entity.into(),
        entity_id: None,
        patient_id: None,
        provider_id: None,
        detail: String::new(),
    }
}

/// The signature code the tests give a user who signs (a release, a break of the glass).
pub const CODE: &str = "tulip42";

/// `username`'s desk, its user's signature code set to [`CODE`]: a release is signed with it.
pub fn signed_desk_for(fixture: &Fixture, username: &str) -> Desk {
    let desk = desk_for(fixture, username);
    sign(&desk);
    desk
}

/// Gives the desk's user the signature code [`CODE`], unless they have one already (a code is
/// changed only by giving the old one, which the tests' users do not).
pub fn sign(desk: &Desk) {
    if !desk.current_user().unwrap().has_signature {
        desk.set_signature(CODE).unwrap();
    }
}

/// A store of the backend `make` makes, with the founder `dhim` and one facility, MAH.
pub fn one_facility_store_on(make: MakeStore) -> Fixture {
    let f = make();
    chartroom::desk::ensure_founder(&*f.store, "dhim", "local", clock().now).unwrap();
    let facility = chartroom::domain::chart::NewFacility::validate(
        "MAH",
        "Mount Auburn Hospital",
        "MA",
        chartroom::domain::chart::FacilityKind::Hospital,
        "America/New_York",
    )
    .unwrap();
    f.store.add_facility(facility, event("facility")).unwrap();
    f
}

/// Runs `test` once per backend (`backends`), handing it the backend's store maker.
pub fn each_store_maker(test: impl Fn(MakeStore)) {
    for (name, make) in backends() {
        eprintln!("backend: {name}");
        test(make);
    }
}
