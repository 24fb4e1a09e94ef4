//! The store conformance suite: every backend runs every test here unchanged (`common::backends`).

mod common;

use chartroom::desk::name_lookup;
use chartroom::domain::dates::one_swap_variants;
use chartroom::domain::mrn::Mrn;
use chartroom::domain::patient::MatchKind;
use chartroom::domain::query::NameQuery;
use chartroom::domain::role::Role;
use chartroom::domain::ssn::Ssn;
use chartroom::store::{AuditFilter, NewUser, Page, PatientLookup, RecordBatch, StoreError};
use chrono::NaiveDate;
use common::{backends, event, patient, populate};

// The tests of each part of the trait, beside this file. A test crate's root resolves `mod x;` to
// tests/x.rs, so each names its file; Cargo makes no target of files in a directory without main.rs.
#[path = "store_conformance/admin.rs"]
mod admin;
#[path = "store_conformance/audit.rs"]
mod audit;
#[path = "store_conformance/completion.rs"]
mod completion;
#[path = "store_conformance/disclosure.rs"]
mod disclosure;
#[path = "store_conformance/fees.rs"]
mod fees;
#[path = "store_conformance/file_room.rs"]
mod file_room;
#[path = "store_conformance/guard.rs"]
mod guard;
#[path = "store_conformance/nightly.rs"]
mod nightly;
#[path = "store_conformance/packet.rs"]
mod packet;
#[path = "store_conformance/races.rs"]
mod races;
#[path = "store_conformance/records.rs"]
mod records;
#[path = "store_conformance/roi.rs"]
mod roi;
#[path = "store_conformance/roi_stats.rs"]
mod roi_stats;

/// Runs `test` on the scenario hospital (`common::populate`) in every backend.
fn each_backend(test: impl Fn(&common::Fixture)) {
    each_named_backend(|_, fixture| test(fixture));
}

/// [`each_backend`], telling the test which backend it runs on: for the few promises that differ
/// by engine (a backup is the engine's own).
fn each_named_backend(test: impl Fn(&str, &common::Fixture)) {
    for (name, make) in backends() {
        eprintln!("backend: {name}");
        let fixture = make();
        populate(&*fixture.store);
        test(name, &fixture);
    }
}

/// Runs `test` on a store of every backend as it is made: no facility, user or patient.
fn each_empty_backend(test: impl Fn(&common::Fixture)) {
    for (name, make) in backends() {
        eprintln!("backend: {name} (empty)");
        let fixture = make();
        test(&fixture);
    }
}

/// Every audit event of the store, oldest first.
fn audit_trail(store: &dyn chartroom::store::Store) -> Vec<chartroom::domain::audit::AuditEvent> {
    let mut events = store.list_audit(&AuditFilter { limit: 1_000_000, ..Default::default() }).unwrap();
    events.reverse();
    events
}

/// The audit events written since the trail was `before` long, oldest first.
fn audit_since(
    store: &dyn chartroom::store::Store,
    before: &[chartroom::domain::audit::AuditEvent],
) -> Vec<chartroom::domain::audit::AuditEvent> {
    let last = before.last().map_or(i64::MIN, |e| e.id);
    audit_trail(store).into_iter().filter(|e| e.id > last).collect()
}

/// An audit event told apart from the others by its detail.
fn noted(entity: &str, detail: &str) -> chartroom::domain::audit::NewAuditEvent {
    let mut audit = event(entity);
    audit.detail = detail.into();
    audit
}

/// Asserts that the call was refused without an audit event: the event goes in the same transaction
/// as the change, so an event written for a refused call would record a change that never happened.
/// Each test checks the data itself too. Returns the error.
#[track_caller]
fn fails_writing_nothing<T: std::fmt::Debug>(
    store: &dyn chartroom::store::Store,
    call: impl FnOnce() -> Result<T, StoreError>,
) -> StoreError {
    let before = audit_trail(store);
    let err = call().expect_err("the call is refused");
    let written = audit_since(store, &before);
    assert!(written.is_empty(), "a refused call wrote audit events: {written:#?}");
    err
}

/// The details of the audit events written since `before`, oldest first.
fn details_since(store: &dyn chartroom::store::Store, before: &[chartroom::domain::audit::AuditEvent]) -> Vec<String> {
    audit_since(store, before).into_iter().map(|e| e.detail).collect()
}

fn name(family: &str, given: &str) -> PatientLookup {
    PatientLookup::Name(name_lookup(&NameQuery { family: family.into(), given: given.into() }))
}

fn mrns(page: &chartroom::store::SearchPage) -> Vec<&str> {
    page.rows.iter().map(|r| r.mrn.as_str()).collect()
}

#[test]
fn mrn_is_exact() {
    each_backend(|f| {
        let page =
            f.store.search_patients(&PatientLookup::Mrn(Mrn::parse("100234").unwrap()), Page::first(50)).unwrap();
        assert_eq!(mrns(&page), ["100234"]);
        assert!(!page.has_more);
        let none =
            f.store.search_patients(&PatientLookup::Mrn(Mrn::parse("999999").unwrap()), Page::first(50)).unwrap();
        assert!(none.rows.is_empty());
    });
}

#[test]
fn as01_initial_and_last4_finds_exactly_smith() {
    each_backend(|f| {
        let lookup = PatientLookup::InitialLast4 { initial: 'S', last4: "4821".into() };
        let page = f.store.search_patients(&lookup, Page::first(50)).unwrap();
        assert_eq!(mrns(&page), ["100234"]);
        let row = &page.rows[0];
        assert_eq!(row.display_name(), "SMITH, JOHN A");
        assert_eq!(row.birth_date, NaiveDate::from_ymd_opt(1961, 4, 12).unwrap());
        assert_eq!(row.ssn_last4.as_deref(), Some("4821"));
    });
}

#[test]
fn as02_name_and_dob_rank_exact_dates_then_one_swap_dates() {
    each_backend(|f| {
        let dob = NaiveDate::from_ymd_opt(1961, 4, 12).unwrap();
        let lookup = PatientLookup::NameDob {
            name: name_lookup(&NameQuery { family: "SMITH".into(), given: "JON".into() }),
            exact: dob,
            swaps: one_swap_variants(dob),
        };
        let page = f.store.search_patients(&lookup, Page::first(50)).unwrap();
        // SMITH, JONATHAN (prefix, exact date) before SMITH, JOHN A (sounds alike, exact date) before
        // SMYTHE, JON (sounds alike, day and month digits transposed). JONES, ANN shares the date but
        // not the name and is not listed.
        assert_eq!(mrns(&page), ["100999", "100234", "100877"]);
        assert_eq!(page.rows[0].match_kind, MatchKind::Prefix);
        assert_eq!(page.rows[1].match_kind, MatchKind::Phonetic);
        assert!(!page.rows[1].dob_swapped);
        assert!(page.rows[2].dob_swapped);
        assert_eq!(page.rows[2].flags(), vec!["~", "~DOB"]);
    });
}

#[test]
fn names_rank_exact_then_prefix_then_phonetic() {
    each_backend(|f| {
        let page = f.store.search_patients(&name("SMITH", ""), Page::first(50)).unwrap();
        let kinds: Vec<_> = page.rows.iter().map(|r| (r.family.as_str(), r.match_kind)).collect();
        assert_eq!(
            kinds,
            [
                ("Smith", MatchKind::Exact),
                ("Smith", MatchKind::Exact),
                ("Smithson", MatchKind::Prefix),
                ("Smythe", MatchKind::Phonetic)
            ]
        );
        // Exact family names are ordered by given name.
        assert_eq!(page.rows[0].given, "John");
        assert_eq!(page.rows[1].given, "Jonathan");
    });
}

#[test]
fn punctuation_and_diacritics_are_ignored() {
    each_backend(|f| {
        let page = f.store.search_patients(&name("NGUYEN", ""), Page::first(50)).unwrap();
        assert!(page.rows.iter().any(|r| r.family == "Nguyễn"), "nguyen finds Nguyễn");
        let page = f.store.search_patients(&name("OBRIEN", ""), Page::first(50)).unwrap();
        assert_eq!(page.rows.first().map(|r| r.family.as_str()), Some("O'Brien"));
        let page = f.store.search_patients(&name("SMITH", "JO"), Page::first(50)).unwrap();
        assert_eq!(mrns(&page)[..2], ["100234", "100999"]);
    });
}

#[test]
fn a_given_name_catches_its_spellings() {
    each_backend(|f| {
        let page = f.store.search_patients(&name("SMITH", "JON"), Page::first(50)).unwrap();
        // SMITH, JONATHAN and SMITHSON, JON by prefix; then SMITH, JOHN because JON sounds like JOHN,
        // and SMYTHE, JON because SMYTHE sounds like SMITH.
        assert_eq!(mrns(&page), ["100999", "101000", "100234", "100877"]);
        assert_eq!(page.rows[2].match_kind, MatchKind::Phonetic);
    });
}

#[test]
fn as04_account_number_finds_the_patient_and_the_encounter() {
    each_backend(|f| {
        let page = f.store.search_patients(&PatientLookup::Account("A25-000781".into()), Page::first(50)).unwrap();
        assert_eq!(mrns(&page), ["204511"]);
        let encounter_id = page.rows[0].encounter_id.expect("the encounter to open");
        let chart = f.store.load_chart(page.rows[0].patient_id).unwrap().unwrap();
        let encounter = chart.encounters.iter().find(|e| e.id == encounter_id).unwrap();
        assert_eq!(encounter.account, "A25-000781");
        assert_eq!(encounter.kind, chartroom::domain::chart::EncounterKind::Inpatient);
        assert_eq!(encounter.attending.as_deref(), Some("PATEL, ALICE"));
        assert_eq!(encounter.completion_label(), "INCOMPLETE (3 open deficiencies)");
        assert_eq!(chart.open_deficiency_count(), 3);
        let volume = &chart.volumes[0];
        assert_eq!(volume.current_location, "HIM COMPLETION");
        assert!(volume.location_label().starts_with("Charged to HIM COMPLETION (mlee) since"));
        assert_eq!(volume.movements.len(), 2);
        assert_eq!(chart.releases.len(), 1);
        // The operation the unsigned operative report describes, on the same encounter.
        let operations: Vec<_> =
            chart.procedures.iter().map(|p| (p.encounter_id, p.code.as_str(), p.operation)).collect();
        assert_eq!(operations, [(encounter_id, "6025007", true)]);
    });
}

#[test]
fn a_full_ssn_matches_by_keyed_hash_and_last4_alone_lists_everyone() {
    each_backend(|f| {
        let hash = common::key().hash(&Ssn::parse("123-45-4821").unwrap());
        let page = f.store.search_patients(&PatientLookup::SsnHash(hash), Page::first(50)).unwrap();
        assert_eq!(mrns(&page), ["100234"]);
        let page = f.store.search_patients(&PatientLookup::Last4("4821".into()), Page::first(50)).unwrap();
        assert_eq!(mrns(&page), ["100234"]);
    });
}

#[test]
fn a_birth_date_alone_lists_exact_dates_first() {
    each_backend(|f| {
        let dob = NaiveDate::from_ymd_opt(1961, 4, 12).unwrap();
        let page = f
            .store
            .search_patients(&PatientLookup::Dob { exact: dob, swaps: one_swap_variants(dob) }, Page::first(50))
            .unwrap();
        let exact: Vec<_> = page.rows.iter().filter(|r| !r.dob_swapped).map(|r| r.mrn.as_str()).collect();
        assert_eq!(exact, ["101002", "100234", "100999"], "alphabetical: JONES, SMITH JOHN, SMITH JONATHAN");
        assert_eq!(page.rows.last().map(|r| r.mrn.as_str()), Some("100877"));
    });
}

#[test]
fn a_birth_date_search_comes_a_page_at_a_time_in_its_order() {
    each_backend(|f| {
        let mut batch = RecordBatch::default();
        // Inserted in an order unlike the ranking, with sound-alikes and a slip of the date among them.
        for (i, (family, given, born)) in [
            ("Zeller", "Ann", (1975, 3, 14)),
            ("Smith", "Jon", (1975, 6, 2)),
            ("Smyth", "Jonas", (1975, 3, 14)),
            ("Smithers", "Jo", (1975, 3, 14)),
            ("Smith", "Joan", (1975, 3, 14)),
            ("Smith", "Jon", (1975, 3, 14)),
            ("Smith", "Jonathan", (1957, 3, 14)),
            ("Smith", "Jo", (1975, 3, 14)),
        ]
        .into_iter()
        .enumerate()
        {
            batch.patients.push(patient(&format!("{}", 3_000_000 + i), family, given, "", born, None));
        }
        f.store.insert_batch(batch, event("batch")).unwrap();
        let dob = NaiveDate::from_ymd_opt(1975, 3, 14).unwrap();
        let lookup = PatientLookup::NameDob {
            name: name_lookup(&NameQuery { family: "SMITH".into(), given: "JO".into() }),
            exact: dob,
            swaps: one_swap_variants(dob),
        };
        let whole = f.store.search_patients(&lookup, Page::first(50)).unwrap();
        assert!(!whole.has_more);
        // Exact date: SMITH JO (exact), then the prefixes SMITH JOAN, SMITH JON, SMITHERS JO, then
        // SMYTH JONAS (sounds alike); then the slip of the date, SMITH JONATHAN 1957. ZELLER is not
        // named so, and the second SMITH JON is born on another day.
        assert_eq!(mrns(&whole), ["3000007", "3000004", "3000005", "3000003", "3000002", "3000006"]);
        let mut paged = Vec::new();
        for offset in [0, 2, 4] {
            let page = f.store.search_patients(&lookup, Page { offset, limit: 2 }).unwrap();
            assert_eq!(page.has_more, offset < 4, "more after the page at {offset}");
            paged.extend(page.rows.into_iter().map(|r| (r.mrn.as_str().to_string(), r.match_kind, r.dob_swapped)));
        }
        let whole: Vec<_> =
            whole.rows.into_iter().map(|r| (r.mrn.as_str().to_string(), r.match_kind, r.dob_swapped)).collect();
        assert_eq!(paged, whole, "the pages, joined, are the one long page: rows, match and date slip");
    });
}

#[test]
fn results_come_a_page_at_a_time() {
    each_backend(|f| {
        let mut batch = RecordBatch::default();
        let mut inserted = std::collections::BTreeSet::new();
        for i in 0..60 {
            inserted.insert(Mrn::parse(&format!("{}", 2_000_000 + i)).unwrap());
            batch.patients.push(patient(
                &format!("{}", 2_000_000 + i),
                "Pagewright",
                &format!("Given{i:02}"),
                "",
                (1990, 1, 1),
                None,
            ));
        }
        f.store.insert_batch(batch, event("batch")).unwrap();
        let first = f.store.search_patients(&name("PAGEWRIGHT", ""), Page { offset: 0, limit: 50 }).unwrap();
        assert_eq!(first.rows.len(), 50);
        assert!(first.has_more);
        let second = f.store.search_patients(&name("PAGEWRIGHT", ""), Page { offset: 50, limit: 50 }).unwrap();
        assert_eq!(second.rows.len(), 10);
        assert!(!second.has_more);
        // A set, not `dedup()`: a row repeated on both pages is never adjacent once they are joined.
        let listed: Vec<_> = first.rows.iter().chain(&second.rows).map(|r| r.mrn.clone()).collect();
        let distinct: std::collections::BTreeSet<_> = listed.iter().cloned().collect();
        assert_eq!(distinct.len(), listed.len(), "no row twice");
        assert_eq!(distinct, inserted, "none skipped, none from elsewhere");
    });
}

#[test]
fn a_batch_is_all_or_nothing() {
    each_backend(|f| {
        let mut batch = RecordBatch::default();
        batch.patients.push(patient("3000001", "Fresh", "Anna", "", (1990, 1, 1), None));
        batch.patients.push(patient("100234", "Duplicate", "Mrn", "", (1990, 1, 1), None));
        let err = f.store.insert_batch(batch, event("batch")).unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(ref what) if what.contains("MRN")), "{err}");
        let page = f.store.search_patients(&name("FRESH", ""), Page::first(5)).unwrap();
        assert!(page.rows.is_empty(), "the good row of a failed batch is not written");
    });
}

#[test]
fn users_are_added_changed_and_audited() {
    each_backend(|f| {
        let user = f
            .store
            .add_user(
                NewUser { username: "rnew".into(), display_name: "R New".into(), roles: vec![Role::Coder] },
                event("user"),
            )
            .unwrap();
        assert_eq!(user.roles, vec![Role::Coder]);
        assert!(user.enabled);
        let dup = f.store.add_user(
            NewUser { username: "rnew".into(), display_name: "x".into(), roles: vec![Role::Coder] },
            event("user"),
        );
        assert!(matches!(dup, Err(StoreError::Duplicate(_))));
        let changed = f.store.set_user_roles("rnew", vec![Role::HimClerk, Role::RoiSpecialist], event("user")).unwrap();
        assert_eq!(changed.roles, vec![Role::HimClerk, Role::RoiSpecialist]);
        let disabled = f.store.set_user_enabled("rnew", false, event("user")).unwrap();
        assert!(!disabled.enabled);
        assert!(matches!(f.store.set_user_enabled("nobody", false, event("user")), Err(StoreError::NotFound(_))));
        let names: Vec<_> = f.store.list_users().unwrap().into_iter().map(|u| u.username).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let events = f.store.list_audit(&AuditFilter { limit: 1000, ..Default::default() }).unwrap();
        assert!(events.iter().filter(|e| e.entity == "user").count() >= 3);
    });
}

#[test]
fn facilities_have_unique_codes() {
    each_backend(|f| {
        let facilities = f.store.list_facilities().unwrap();
        assert_eq!(facilities.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(), ["RGH", "RGC", "MVC", "HDH"]);
        let again = chartroom::domain::chart::NewFacility::validate(
            "RGH",
            "Again",
            "TX",
            chartroom::domain::chart::FacilityKind::Hospital,
            "America/Chicago",
        )
        .unwrap();
        assert!(matches!(f.store.add_facility(again, event("facility")), Err(StoreError::Duplicate(_))));
    });
}

#[test]
fn audit_events_are_listed_newest_first_and_by_patient() {
    each_backend(|f| {
        let garcia = f.store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap();
        let mut view = event("patient");
        view.action = chartroom::domain::audit::AuditAction::ViewPatient;
        view.patient_id = Some(garcia.patient_id);
        f.store.append_audit(view).unwrap();
        let events = f
            .store
            .list_audit(&AuditFilter { patient_id: Some(garcia.patient_id), limit: 10, ..Default::default() })
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].patient_mrn.as_deref(), Some("204511"));
        let all = f.store.list_audit(&AuditFilter { limit: 1000, ..Default::default() }).unwrap();
        assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    });
}

#[test]
fn names_are_kept_exactly_as_given_even_hostile_ones() {
    each_backend(|f| {
        let hostile = "\x1b[2J\x1b]0;pwned\x07Smith";
        let mut batch = RecordBatch::default();
        batch.patients.push(patient("4000001", hostile, "Eve", "", (1990, 1, 1), None));
        f.store.insert_batch(batch, event("batch")).unwrap();
        let page =
            f.store.search_patients(&PatientLookup::Mrn(Mrn::parse("4000001").unwrap()), Page::first(5)).unwrap();
        // The store keeps data as given; every display path cleans it (see the snapshot and CLI tests).
        assert_eq!(page.rows[0].family, hostile);
        // Its search key is letters only.
        let by_key = f.store.search_patients(&name("JPWNEDSMITH", ""), Page::first(5)).unwrap();
        assert_eq!(mrns(&by_key), ["4000001"]);
    });
}

#[test]
fn the_deficiency_queue_pages_sorts_and_filters() {
    use chartroom::domain::chart::DeficiencyStatus;
    use chartroom::store::{QueueFilter, QueueSort};
    each_backend(|f| {
        let today = common::today();
        let all = QueueFilter { today: Some(today), ..Default::default() };
        for sort in [QueueSort::Age, QueueSort::Physician, QueueSort::Type, QueueSort::Mrn, QueueSort::Discharge] {
            let page = f.store.queue_page(&all, sort, Page::first(2)).unwrap();
            assert_eq!(page.rows.len(), 2, "{sort:?}");
            assert!(page.has_more, "{sort:?}: GARCIA has three open items");
            let rest = f.store.queue_page(&all, sort, Page { offset: 2, limit: 2 }).unwrap();
            assert_eq!(rest.rows.len(), 1);
            assert!(!rest.has_more);
        }
        let by_physician = f.store.queue_page(&all, QueueSort::Physician, Page::first(10)).unwrap();
        let names: Vec<_> = by_physician.rows.iter().map(|r| r.physician.as_str()).collect();
        assert_eq!(names, ["OKAFOR, BEN", "PATEL, ALICE", "REYES, CARLA"]);
        let open_only = QueueFilter { status: Some(DeficiencyStatus::Open), ..all.clone() };
        let page = f.store.queue_page(&open_only, QueueSort::Age, Page::first(10)).unwrap();
        assert_eq!(page.rows.iter().map(|r| r.type_code.as_str()).collect::<Vec<_>>(), ["DS-D"]);
        let done = QueueFilter { status: Some(DeficiencyStatus::Completed), ..all.clone() };
        assert!(f.store.queue_page(&done, QueueSort::Mrn, Page::first(10)).unwrap().rows.is_empty());
        let patel = f.store.provider_by_npi("1000000001").unwrap().unwrap();
        let mine = QueueFilter { provider_id: Some(patel.id), ..all.clone() };
        assert_eq!(f.store.queue_page(&mine, QueueSort::Type, Page::first(10)).unwrap().rows.len(), 1);
        let delinquent = QueueFilter { delinquent_only: true, ..all.clone() };
        assert!(f.store.queue_page(&delinquent, QueueSort::Age, Page::first(10)).unwrap().rows.is_empty());
        let ds = QueueFilter { type_code: Some("DS-D".into()), ..all.clone() };
        assert_eq!(f.store.queue_ids(&ds).unwrap().len(), 1);
        assert_eq!(f.store.queue_ids(&all).unwrap().len(), 3);
        let recent = QueueFilter { bucket: Some(chartroom::domain::deficiency::AgeBucket::UpTo30), ..all.clone() };
        assert_eq!(f.store.queue_page(&recent, QueueSort::Age, Page::first(10)).unwrap().rows.len(), 3);
        // One patient's items, whatever the sort; none for a patient who owes nothing.
        let garcia = QueueFilter { mrn: Some(Mrn::parse("204511").unwrap()), ..all.clone() };
        for sort in [QueueSort::Age, QueueSort::Physician, QueueSort::Type, QueueSort::Mrn, QueueSort::Discharge] {
            let page = f.store.queue_page(&garcia, sort, Page::first(10)).unwrap();
            assert_eq!(page.rows.len(), 3, "{sort:?}");
            assert!(page.rows.iter().all(|r| r.mrn == "204511"), "{sort:?}");
        }
        assert_eq!(f.store.queue_ids(&garcia).unwrap().len(), 3);
        let smith = QueueFilter { mrn: Some(Mrn::parse("100234").unwrap()), ..all.clone() };
        assert!(f.store.queue_page(&smith, QueueSort::Age, Page::first(10)).unwrap().rows.is_empty());
        assert!(f.store.queue_ids(&smith).unwrap().is_empty());
        let garcia_open = QueueFilter { status: Some(DeficiencyStatus::Open), ..garcia };
        assert_eq!(f.store.queue_page(&garcia_open, QueueSort::Age, Page::first(10)).unwrap().rows.len(), 1);
    });
}

#[test]
fn the_queue_vocabulary_names_what_a_filter_can_match() {
    each_backend(|f| {
        let vocabulary = f.store.queue_vocabulary().unwrap();
        assert!(vocabulary.types.iter().any(|t| t == "DS-D"), "{vocabulary:?}");
        assert!(vocabulary.facilities.iter().any(|t| t == "RGH"), "{vocabulary:?}");
        assert!(!vocabulary.categories.is_empty(), "{vocabulary:?}");
        let rows = f.store.queue_page(&chartroom::store::QueueFilter::default(), Default::default(), Page::first(10));
        let mut services: Vec<String> = rows.unwrap().rows.into_iter().map(|r| r.service).collect();
        services.sort();
        services.dedup();
        assert_eq!(vocabulary.services, services, "the services of the items, each once");
    });
}

/// GARCIA's open items as the desk reads them before a change.
fn garcia_items(f: &common::Fixture) -> Vec<chartroom::domain::completion::ItemState> {
    use chartroom::store::QueueFilter;
    let garcia =
        QueueFilter { mrn: Some(Mrn::parse("204511").unwrap()), today: Some(common::today()), ..Default::default() };
    let ids: Vec<i64> = f.store.queue_ids(&garcia).unwrap().into_iter().map(|(id, _)| id).collect();
    f.store.deficiency_items(&ids).unwrap()
}

#[test]
fn items_are_read_with_their_labels_and_a_change_is_written_only_at_the_version_read() {
    use chartroom::domain::chart::DeficiencyStatus;
    use chartroom::store::{DeficiencyChanges, ItemChange, ItemWrite};
    each_backend(|f| {
        let items = garcia_items(f);
        assert_eq!(items.len(), 3);
        assert!(items.iter().all(|i| i.account == "A25-000781" && i.mrn == "204511"), "{items:#?}");
        assert!(items.iter().any(|i| i.label() == "A25-000781 DS-D"));
        let ds = items.iter().find(|i| i.type_code == "DS-D").unwrap().clone();
        let write = |version: i64, detail: &str| {
            let mut audit = event("deficiency");
            audit.detail = detail.into();
            audit.patient_id = Some(ds.patient_id);
            audit.provider_id = Some(ds.provider_id);
            DeficiencyChanges {
                items: vec![ItemWrite {
                    id: ds.id,
                    version,
                    change: ItemChange::Step,
                    from: ds.status,
                    to: DeficiencyStatus::Dictated,
                    note: String::new(),
                    claim: Default::default(),
                    audit,
                }],
                ..Default::default()
            }
        };
        f.store.apply_deficiency_changes(write(ds.version, "first")).unwrap();
        let stale = f.store.apply_deficiency_changes(write(ds.version, "second"));
        assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
        let now = f.store.deficiency_items(&[ds.id]).unwrap().pop().unwrap();
        assert_eq!((now.status, now.version), (DeficiencyStatus::Dictated, ds.version + 1));
        let audit =
            f.store.list_audit(&AuditFilter { provider_id: Some(ds.provider_id), limit: 50, ..Default::default() });
        let details: Vec<_> = audit.unwrap().into_iter().map(|e| e.detail).collect();
        assert!(details.contains(&"first".to_string()) && !details.contains(&"second".to_string()), "{details:?}");
    });
}

#[test]
fn a_conflict_anywhere_in_a_change_writes_nothing_of_it() {
    use chartroom::domain::completion::ChartStatus;
    use chartroom::store::{ChartWrite, DeficiencyChanges, ItemChange, ItemWrite};
    each_backend(|f| {
        let items = garcia_items(f);
        let chart = f.store.chart_completion("A25-000781").unwrap().unwrap();
        assert_eq!(chart.open_ids.len(), 3);
        let version = chart.version.expect("an analysed chart");
        let closing: Vec<ItemWrite> = items
            .iter()
            .map(|i| ItemWrite {
                id: i.id,
                version: i.version,
                change: ItemChange::Complete { resolved_on: common::today(), resolved_by: "mlee".into() },
                from: i.status,
                to: chartroom::domain::chart::DeficiencyStatus::Completed,
                note: "completed".into(),
                claim: Default::default(),
                audit: event("deficiency"),
            })
            .collect();
        let stale_chart = ChartWrite {
            encounter_id: chart.encounter_id,
            version: version + 7,
            status: ChartStatus::Complete,
            completed_on: Some(common::today()),
            audit: event("chart_completion"),
        };
        let changes =
            DeficiencyChanges { items: closing.clone(), charts: vec![stale_chart.clone()], ..Default::default() };
        assert!(matches!(f.store.apply_deficiency_changes(changes), Err(StoreError::Conflict)));
        assert_eq!(garcia_items(f).iter().filter(|i| i.status.is_open()).count(), 3, "no item was completed");
        let fresh = ChartWrite { version, ..stale_chart };
        f.store
            .apply_deficiency_changes(DeficiencyChanges { items: closing, charts: vec![fresh], ..Default::default() })
            .unwrap();
        let after = f.store.chart_completion("A25-000781").unwrap().unwrap();
        assert_eq!((after.status, after.open_ids.len()), (ChartStatus::Complete, 0));
    });
}

#[test]
fn a_pause_moves_the_delinquent_date_and_is_kept_with_its_days() {
    use chartroom::domain::completion::PauseSpan;
    use chartroom::store::{DeficiencyChanges, ItemChange, ItemWrite};
    each_backend(|f| {
        let ds = garcia_items(f).into_iter().find(|i| i.type_code == "DS-D").unwrap();
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
        let span = PauseSpan { from: d(2, 20), to: d(2, 25), days: 5 };
        let write = ItemWrite {
            id: ds.id,
            version: ds.version,
            change: ItemChange::Pause { span, reason: "chart in coding".into(), by: "mlee".into() },
            from: ds.status,
            to: ds.status,
            note: String::new(),
            claim: Default::default(),
            audit: event("deficiency"),
        };
        f.store.apply_deficiency_changes(DeficiencyChanges { items: vec![write], ..Default::default() }).unwrap();
        let after = f.store.deficiency_items(&[ds.id]).unwrap().pop().unwrap();
        assert_eq!(after.paused_days, ds.paused_days + 5);
        assert_eq!(after.delinquent_on, ds.delinquent_on + chrono::Duration::days(5));
        assert_eq!(after.pauses, [(d(2, 20), d(2, 25))]);
    });
}

#[test]
fn a_claim_is_written_at_the_version_read_logged_and_read_back_with_the_queue() {
    use chartroom::domain::completion::Claim;
    use chartroom::store::{ClaimFilter, ClaimWrite, DeficiencyChanges, ItemChange, ItemWrite, QueueFilter, QueueSort};
    each_backend(|f| {
        let ds = garcia_items(f).into_iter().find(|i| i.type_code == "DS-D").unwrap();
        assert_eq!(ds.claim, None);
        let at = |h| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, 3, h, 0, 0).unwrap();
        let claim = |holder: &str| Claim { holder: holder.into(), since: at(10), until: at(18) };
        let write = |version: i64, change: ItemChange, claim: ClaimWrite, by: &str| {
            let mut audit = event("deficiency");
            audit.username = by.into();
            audit.detail = format!("A25-000781 DS-D: {} by {by}", change.code());
            DeficiencyChanges {
                items: vec![ItemWrite {
                    id: ds.id,
                    version,
                    change,
                    from: ds.status,
                    to: ds.status,
                    note: String::new(),
                    claim,
                    audit,
                }],
                ..Default::default()
            }
        };
        f.store
            .apply_deficiency_changes(write(ds.version, ItemChange::Take, ClaimWrite::Set(claim("mlee")), "mlee"))
            .unwrap();
        // A second clerk who read the same version is refused, and nothing of hers is written.
        let second = f.store.apply_deficiency_changes(write(
            ds.version,
            ItemChange::Take,
            ClaimWrite::Set(claim("tnguyen")),
            "tnguyen",
        ));
        assert!(matches!(second, Err(StoreError::Conflict)), "{second:?}");
        let now = f.store.deficiency_items(&[ds.id]).unwrap().pop().unwrap();
        assert_eq!((now.version, now.claim), (ds.version + 1, Some(claim("mlee"))));

        let queue = |claimed: Option<ClaimFilter>, h: u32| {
            let filter = QueueFilter { today: Some(common::today()), claimed, now: Some(at(h)), ..Default::default() };
            let page = f.store.queue_page(&filter, QueueSort::Age, Page::first(50)).unwrap();
            let ids = f.store.queue_ids(&filter).unwrap();
            assert_eq!(page.rows.iter().map(|r| (r.id, r.version)).collect::<Vec<_>>().len(), ids.len());
            page.rows
        };
        let mine = queue(Some(ClaimFilter::By("mlee".into())), 12);
        assert_eq!(mine.iter().map(|r| r.id).collect::<Vec<_>>(), [ds.id]);
        assert_eq!(mine[0].claim, Some(claim("mlee")));
        assert!(queue(Some(ClaimFilter::By("tnguyen".into())), 12).is_empty());
        assert!(!queue(Some(ClaimFilter::Unclaimed), 12).iter().any(|r| r.id == ds.id));
        // At 18:00 the claim has lapsed: the item is nobody's, though the store still holds the claim.
        assert!(queue(Some(ClaimFilter::By("mlee".into())), 18).is_empty());
        let free = queue(Some(ClaimFilter::Unclaimed), 18);
        assert!(free.iter().any(|r| r.id == ds.id && r.claim == Some(claim("mlee"))));
        assert!(queue(None, 12).iter().any(|r| r.id == ds.id), "the whole queue lists it");

        f.store
            .apply_deficiency_changes(write(ds.version + 1, ItemChange::Release, ClaimWrite::Clear, "mlee"))
            .unwrap();
        let after = f.store.deficiency_items(&[ds.id]).unwrap().pop().unwrap();
        assert_eq!((after.version, after.claim), (ds.version + 2, None));

        let log = f.store.deficiency_changes(ds.id, 0).unwrap();
        let summary: Vec<_> =
            log.iter().map(|c| (c.version, c.username.as_str(), c.change.as_str(), c.holder.as_deref())).collect();
        assert_eq!(
            summary,
            [(ds.version + 1, "mlee", "TAKE", Some("mlee")), (ds.version + 2, "mlee", "RELEASE", None)],
            "one row per version, with who held it after"
        );
        assert_eq!(log[0].detail, "A25-000781 DS-D: TAKE by mlee");
        assert_eq!(log[0].status, ds.status);
        assert_eq!(f.store.deficiency_changes(ds.id, ds.version + 1).unwrap().len(), 1, "only those after");
        let audit =
            f.store.list_audit(&AuditFilter { username: Some("tnguyen".into()), limit: 10, ..Default::default() });
        assert!(audit.unwrap().is_empty(), "the refused take left no event");
    });
}

#[test]
fn a_nightly_claim_is_held_until_finished_or_released_and_replaced_only_by_name() {
    use chartroom::store::NightlyClaim;
    each_backend(|f| {
        let day = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
        let at = |h| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, 3, h, 0, 0).unwrap();
        let claim = |h, pid| NightlyClaim {
            run_on: day,
            started_at: at(h),
            finished_at: None,
            username: "mlee".into(),
            host: "hima".into(),
            pid,
        };
        assert!(f.store.begin_nightly(claim(2, 41), None, event("nightly_run")).unwrap());
        assert!(matches!(f.store.begin_nightly(claim(3, 42), None, event("nightly_run")), Err(StoreError::Busy)));
        assert!(
            matches!(f.store.begin_nightly(claim(3, 42), Some(at(1)), event("nightly_run")), Err(StoreError::Busy)),
            "only the claim named is replaced"
        );
        assert!(f.store.begin_nightly(claim(3, 42), Some(at(2)), event("nightly_run")).unwrap());
        let held = f.store.nightly_claims().unwrap();
        let unfinished: Vec<_> = held.iter().filter(|c| c.finished_at.is_none()).collect();
        assert_eq!(unfinished.len(), 1);
        assert_eq!((unfinished[0].pid, unfinished[0].host.as_str()), (42, "hima"));
        f.store.release_nightly(day, at(3), event("nightly_run")).unwrap();
        assert!(f.store.nightly_claims().unwrap().iter().all(|c| c.finished_at.is_some()));
        assert!(f.store.begin_nightly(claim(4, 43), None, event("nightly_run")).unwrap());
        f.store.finish_nightly(day, at(4), at(5), "done", event("nightly_run")).unwrap();
        assert!(!f.store.begin_nightly(claim(6, 44), None, event("nightly_run")).unwrap(), "finished: nothing to do");
        let last = f.store.nightly_claims().unwrap();
        assert_eq!(last.iter().filter(|c| c.finished_at == Some(at(5))).count(), 1);
    });
}

#[test]
fn notices_are_one_per_physician_facility_level_and_day() {
    use chartroom::domain::deficiency::NoticeLevel;
    use chartroom::store::NoticeDraft;
    each_backend(|f| {
        let items = garcia_items(f);
        let ds = items.iter().find(|i| i.type_code == "DS-D").unwrap();
        let day = NaiveDate::from_ymd_opt(2025, 2, 24).unwrap();
        let rgh = f.store.list_facilities().unwrap().into_iter().find(|x| x.code == "RGH").unwrap();
        let hdh = f.store.list_facilities().unwrap().into_iter().find(|x| x.code == "HDH").unwrap();
        let draft = |facility_id| NoticeDraft {
            provider_id: ds.provider_id,
            facility_id,
            level: NoticeLevel::Notice,
            notice_on: day,
            copy_to_id: None,
            deficiency_ids: vec![ds.id],
            count_open: 1,
            count_delinquent: 0,
        };
        let preview = f.store.notice_preview(&draft(rgh.id)).unwrap();
        assert_eq!((preview.id, preview.facility.as_str()), (None, "Riverbend General Hospital"));
        assert_eq!(preview.lines.len(), 1);
        assert_eq!(preview.lines[0].account, "A25-000781");
        let first = f
            .store
            .record_notices(vec![
                (draft(rgh.id), event("deficiency_notice")),
                (draft(hdh.id), event("deficiency_notice")),
            ])
            .unwrap();
        assert_eq!(first.len(), 2, "one per facility");
        let again = f.store.record_notices(vec![(draft(rgh.id), event("deficiency_notice"))]).unwrap();
        assert!(again.is_empty(), "the same notice is recorded once");
        let recorded = f.store.notices_between(day, day).unwrap();
        let heads: Vec<_> = recorded.iter().map(|n| (n.facility_code.as_str(), n.id.is_some())).collect();
        assert_eq!(heads, [("RGH", true), ("HDH", true)]);
    });
}

#[test]
fn chart_states_and_suspensions_are_read_as_the_desk_decides_with_them() {
    each_backend(|f| {
        let items = garcia_items(f);
        let encounter = items[0].encounter_id;
        let states = f.store.chart_states(&[encounter, 999_999]).unwrap();
        assert_eq!(states.len(), 1, "an unknown encounter is left out");
        let mut open = states[0].open_ids.clone();
        open.sort_unstable();
        let mut ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        assert_eq!(open, ids);
        let patel = f.store.provider_by_npi("1000000001").unwrap().unwrap();
        let far = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        let standing = f.store.provider_suspensions(&[patel.id], far).unwrap();
        assert_eq!(standing.len(), 1);
        assert!(!standing[0].suspended);
        assert_eq!(standing[0].delinquent_ids.len(), 1, "PATEL's DS-D is delinquent by 2030");
        let early = f.store.provider_suspensions(&[patel.id], NaiveDate::from_ymd_opt(2025, 2, 11).unwrap()).unwrap();
        assert!(early[0].delinquent_ids.is_empty());
    });
}

// ---- the change feed ---------------------------------------------------------------------------

/// A deadline, not a pause: a change is normally seen in a fraction of a second.
const FEED_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// Steps GARCIA's DS-D along the ladder: a change to what the queue shows.
fn step_garcias_item(f: &common::Fixture) {
    use chartroom::domain::chart::DeficiencyStatus;
    use chartroom::store::{DeficiencyChanges, ItemChange, ItemWrite};
    let ds = garcia_items(f).into_iter().find(|i| i.type_code == "DS-D").unwrap();
    let write = ItemWrite {
        id: ds.id,
        version: ds.version,
        change: ItemChange::Step,
        from: ds.status,
        to: DeficiencyStatus::Dictated,
        note: String::new(),
        claim: Default::default(),
        audit: event("deficiency"),
    };
    f.store.apply_deficiency_changes(DeficiencyChanges { items: vec![write], ..Default::default() }).unwrap();
}

/// A physician new to the store, by a batch (as an import brings one).
fn a_new_physician(f: &common::Fixture) {
    let mut batch = RecordBatch::default();
    batch.providers.push(chartroom::store::records::NewProvider {
        npi: "1000000077".into(),
        family: "Osei".into(),
        given: "Kwame".into(),
        credentials: "MD".into(),
        specialty: "Cardiology".into(),
        service: "MEDICINE".into(),
        supervisor_npi: None,
    });
    f.store.insert_batch(batch, event("batch")).unwrap();
}

/// A chart-completion record and a deficiency on SMITH, JONATHAN's visit, by a batch (as a demo or
/// an import brings them).
fn a_new_deficiency(f: &common::Fixture) {
    use chartroom::domain::chart::DeficiencyStatus;
    use chartroom::domain::completion::ChartStatus;
    use chartroom::store::records::{NewChartCompletion, NewDeficiency};
    let day = |d| NaiveDate::from_ymd_opt(2025, 1, d).unwrap();
    let mut batch = RecordBatch::default();
    batch.completions.push(NewChartCompletion {
        account: "O25-000200".into(),
        status: ChartStatus::Incomplete,
        received_on: day(16),
        completed_on: None,
    });
    batch.deficiencies.push(NewDeficiency {
        account: "O25-000200".into(),
        type_code: "DS-D".into(),
        provider_npi: "1000000001".into(),
        status: DeficiencyStatus::Open,
        event_on: day(15),
        delinquent_on: day(15) + chrono::Duration::days(30),
        created_at: common::clock().now,
        notice_level: None,
    });
    f.store.insert_batch(batch, event("batch")).unwrap();
}

#[test]
fn a_change_by_one_handle_is_seen_by_another_opened_on_its_own() {
    use chartroom::store::{ChangeStamp, Topic, Topics};
    each_backend(|f| {
        let other = common::another_handle(f);
        let mut since = other.wait_for_change(&ChangeStamp::default(), FEED_DEADLINE).unwrap();
        assert!(!since.is_unknown(), "from nothing known, the store's stamp at once");
        let changes: [(Topic, &dyn Fn()); 2] = [
            (Topic::Users, &|| {
                f.store.set_user_roles("mlee", vec![Role::ChartAnalyst, Role::HimClerk], event("user")).unwrap();
            }),
            (Topic::Deficiencies, &|| a_new_deficiency(f)),
        ];
        for (topic, change) in changes {
            // The other clerk waits; this one changes something.
            let waiting = {
                let (other, since) = (other.clone(), since.clone());
                std::thread::spawn(move || other.wait_for_change(&since, FEED_DEADLINE).unwrap())
            };
            change();
            let seen = waiting.join().unwrap();
            assert_eq!(seen.moved_since(&since), Topics::from(topic), "{since:?} → {seen:?}");
            // And the handle that wrote it sees its own change too, as the same counters.
            assert_eq!(f.store.wait_for_change(&since, FEED_DEADLINE).unwrap(), seen);
            since = seen;
        }
    });
}

#[test]
fn each_change_moves_its_own_topic_and_a_searchs_audit_event_moves_none() {
    use chartroom::domain::audit::AuditAction;
    use chartroom::store::{ChangeStamp, Topic, Topics};
    each_backend(|f| {
        let stamp = |since: &ChangeStamp| f.store.wait_for_change(since, FEED_DEADLINE).unwrap();
        let mut since = stamp(&ChangeStamp::default());
        // A settled search's event, the search itself, a chart read and a new patient: no screen's
        // topic. A user's change follows, so that the wait has something to return; only it moved.
        let mut search = event("patient");
        search.action = AuditAction::Search;
        search.detail = "shape=NAME results=3".into();
        f.store.append_audit(search).unwrap();
        let smith = f.store.search_patients(&name("SMITH", ""), Page::first(50)).unwrap();
        f.store.load_chart(smith.rows[0].patient_id).unwrap();
        let mut batch = RecordBatch::default();
        batch.patients.push(patient("4000002", "Quill", "Ada", "", (1971, 7, 7), None));
        f.store.insert_batch(batch, event("batch")).unwrap();
        f.store.set_user_roles("mlee", vec![Role::ChartAnalyst, Role::HimClerk], event("user")).unwrap();
        let now = stamp(&since);
        assert_eq!(now.moved_since(&since), Topics::from(Topic::Users), "nothing before it moved anything");
        since = now;

        a_new_physician(f);
        let now = stamp(&since);
        assert_eq!(now.moved_since(&since), Topics::from(Topic::Physicians));
        since = now;

        step_garcias_item(f);
        let now = stamp(&since);
        assert_eq!(now.moved_since(&since), Topics::from(Topic::Deficiencies));
        since = now;

        let from = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        f.store.add_provider_leave("1000000001", from, from + chrono::Duration::days(4), event("provider")).unwrap();
        let now = stamp(&since);
        assert_eq!(now.moved_since(&since), Topics::from(Topic::Physicians));
    });
}

#[test]
fn a_wait_with_nothing_changed_lasts_its_timeout_and_returns_the_same_stamp() {
    use chartroom::store::ChangeStamp;
    each_backend(|f| {
        let since = f.store.wait_for_change(&ChangeStamp::default(), FEED_DEADLINE).unwrap();
        let timeout = std::time::Duration::from_millis(400);
        let started = std::time::Instant::now();
        let again = f.store.wait_for_change(&since, timeout).unwrap();
        assert_eq!(again, since);
        assert!(started.elapsed() >= timeout, "it waited, rather than answer at once: {:?}", started.elapsed());
    });
}
