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

fn each_backend(test: impl Fn(&common::Fixture)) {
    for (name, make) in backends() {
        eprintln!("backend: {name}");
        let fixture = make();
        populate(&*fixture.store);
        test(&fixture);
    }
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
        f.store.insert_batch(batch, None).unwrap();
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
        let err = f.store.insert_batch(batch, None).unwrap_err();
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
        f.store.insert_batch(batch, None).unwrap();
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
fn a_backup_is_a_consistent_copy() {
    each_backend(|f| {
        let destination = f.dir.path().join("copy.db");
        f.store.backup_to(&destination, event("store")).unwrap();
        let copy = chartroom::store::sqlite::SqliteStore::open(&destination).unwrap();
        use chartroom::store::Store;
        let found = copy.search_patients(&PatientLookup::Mrn(Mrn::parse("204511").unwrap()), Page::first(1)).unwrap();
        assert_eq!(found.rows.len(), 1);
        assert!(f.store.backup_to(&destination, event("store")).is_err(), "never overwrites a file");
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
