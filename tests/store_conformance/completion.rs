//! Chart completion: policies, the type catalog, discharge analysis, the queue and its counts,
//! items added by hand, physicians' standing, leave and suspension.

use super::{
    audit_since, audit_trail, common, details_since, each_backend, fails_writing_nothing, garcia_items, noted,
};
use chartroom::domain::chart::{DeficiencyStatus, DeficiencyType, DocumentStatus, EncounterKind};
use chartroom::domain::completion::{ChartStatus, ItemState};
use chartroom::domain::deficiency::{AgeBucket, DeficiencyPolicy};
use chartroom::domain::mrn::Mrn;
use chartroom::store::records::{NewChartCompletion, NewDocument, NewEncounter};
use chartroom::store::{
    AnalysedChart, ChartWrite, DeficiencyChanges, ItemChange, ItemWrite, NewSeededDeficiency, Page, QueueFilter,
    QueueSort, RecordBatch, Store, StoreError,
};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use common::event;

const PATEL: &str = "1000000001";
const OKAFOR: &str = "1000000002";
const REYES: &str = "1000000003";
/// One of the demo's staff, who owes nothing.
const QUIET: &str = "1000000100";

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

fn provider_id(store: &dyn Store, npi: &str) -> i64 {
    store.provider_by_npi(npi).unwrap().unwrap_or_else(|| panic!("provider {npi}")).id
}

fn facility_id(store: &dyn Store, code: &str) -> i64 {
    store.list_facilities().unwrap().into_iter().find(|f| f.code == code).unwrap().id
}

/// GARCIA's items' day of discharge, which they age from.
fn garcia_discharge(f: &common::Fixture) -> NaiveDate {
    let items = garcia_items(f);
    assert!(items.iter().all(|i| i.event_on == items[0].event_on));
    items[0].event_on
}

/// A change that completes `item` as read.
fn complete(item: &ItemState, on: NaiveDate) -> ItemWrite {
    ItemWrite {
        id: item.id,
        version: item.version,
        change: ItemChange::Complete { resolved_on: on, resolved_by: "mlee".into() },
        from: item.status,
        to: DeficiencyStatus::Completed,
        note: String::new(),
        // Completing ends the item's claim, as the desk writes it.
        claim: chartroom::store::ClaimWrite::Clear,
        audit: noted("deficiency", &format!("complete {}", item.label())),
    }
}

fn step(item: &ItemState, to: DeficiencyStatus) -> ItemWrite {
    ItemWrite {
        id: item.id,
        version: item.version,
        change: ItemChange::Step,
        from: item.status,
        to,
        note: String::new(),
        claim: chartroom::store::ClaimWrite::Keep,
        audit: noted("deficiency", &format!("{} to {to:?}", item.label())),
    }
}

fn item(store: &dyn Store, id: i64) -> ItemState {
    store.deficiency_items(&[id]).unwrap().pop().unwrap_or_else(|| panic!("item {id}"))
}

#[test]
fn the_store_wide_policy_is_replaced_with_its_audit_event() {
    each_backend(|f| {
        let store = &*f.store;
        assert_eq!(store.deficiency_policy().unwrap(), DeficiencyPolicy::default(), "a new store's: 14, 21, 30");
        let stricter = DeficiencyPolicy { notice_days: 7, final_notice_days: 10, delinquent_days: 15 };
        let before = audit_trail(store);
        store.set_deficiency_policy(stricter, noted("deficiency_policy", "stricter")).unwrap();
        assert_eq!(details_since(store, &before), ["stricter"]);
        assert_eq!(store.deficiency_policy().unwrap(), stricter);
        assert!(store.facility_policies().unwrap().is_empty(), "facilities keep following it");
    });
}

#[test]
fn a_facility_policy_is_its_own_replaced_in_place_and_audited() {
    each_backend(|f| {
        let store = &*f.store;
        assert!(store.facility_policies().unwrap().is_empty());
        let (rgh, hdh) = (facility_id(store, "RGH"), facility_id(store, "HDH"));
        let first = DeficiencyPolicy { notice_days: 10, final_notice_days: 20, delinquent_days: 25 };
        let second = DeficiencyPolicy { notice_days: 12, final_notice_days: 18, delinquent_days: 28 };
        let before = audit_trail(store);
        store.set_facility_policy(rgh, first, noted("facility", "rgh first")).unwrap();
        store.set_facility_policy(hdh, first, noted("facility", "hdh")).unwrap();
        store.set_facility_policy(rgh, second, noted("facility", "rgh second")).unwrap();
        assert_eq!(details_since(store, &before), ["rgh first", "hdh", "rgh second"]);
        let mut policies = store.facility_policies().unwrap();
        policies.sort_by_key(|(id, _)| *id);
        let mut expected = vec![(rgh, second), (hdh, first)];
        expected.sort_by_key(|(id, _)| *id);
        assert_eq!(policies, expected, "one policy per facility, the last set");
        assert_eq!(store.deficiency_policy().unwrap(), DeficiencyPolicy::default(), "the store's is untouched");

        let unknown = store.list_facilities().unwrap().iter().map(|x| x.id).max().unwrap() + 1000;
        fails_writing_nothing(store, || store.set_facility_policy(unknown, first, event("facility")));
        let mut after = store.facility_policies().unwrap();
        after.sort_by_key(|(id, _)| *id);
        assert_eq!(after, expected);
    });
}

fn new_type(code: &str, name: &str) -> DeficiencyType {
    DeficiencyType {
        code: code.into(),
        name: name.into(),
        abbreviation: code.into(),
        category: "IMAGING".into(),
        level: "DOCUMENT".into(),
        responsible: "ATTENDING".into(),
        days_to_dictate: Some(2),
        days_to_sign: Some(3),
        days_to_review: None,
        standard_for: vec!["INPATIENT".into(), "OBSERVATION".into()],
        document_type: Some("RADIOLOGY".into()),
    }
}

#[test]
fn a_type_is_added_or_replaced_by_its_code_with_its_audit_event() {
    each_backend(|f| {
        let store = &*f.store;
        let seeded = store.deficiency_types().unwrap();
        assert!(seeded.iter().any(|t| t.code == "DS-D"), "a new store holds the standard catalog");
        assert!(seeded.iter().all(|t| t.code != "XR-S"));
        let before = audit_trail(store);
        let added = new_type("XR-S", "Radiology report unsigned");
        store.save_deficiency_type(added.clone(), noted("deficiency_type", "add XR-S")).unwrap();
        let types = store.deficiency_types().unwrap();
        assert_eq!(types.len(), seeded.len() + 1);
        assert_eq!(types.iter().find(|t| t.code == "XR-S"), Some(&added), "read back whole");

        let replaced = DeficiencyType {
            name: "Radiology read unsigned".into(),
            days_to_sign: Some(5),
            standard_for: vec![],
            document_type: None,
            ..added
        };
        store.save_deficiency_type(replaced.clone(), noted("deficiency_type", "change XR-S")).unwrap();
        let types = store.deficiency_types().unwrap();
        assert_eq!(types.len(), seeded.len() + 1, "replaced, not added");
        assert_eq!(types.iter().filter(|t| t.code == "XR-S").collect::<Vec<_>>(), [&replaced]);
        assert_eq!(details_since(store, &before), ["add XR-S", "change XR-S"]);
        // The other types are as they were.
        let others: Vec<_> = types.into_iter().filter(|t| t.code != "XR-S").collect();
        let mut seeded_sorted = seeded.clone();
        seeded_sorted.sort_by(|a, b| a.code.cmp(&b.code));
        let mut others_sorted = others;
        others_sorted.sort_by(|a, b| a.code.cmp(&b.code));
        assert_eq!(others_sorted, seeded_sorted);
    });
}

#[test]
fn a_retired_type_takes_no_new_items_but_its_open_ones_stay() {
    each_backend(|f| {
        let store = &*f.store;
        let before_items = garcia_items(f);
        let before = audit_trail(store);
        store.retire_deficiency_type("DS-D", noted("deficiency_type", "retire DS-D")).unwrap();
        assert_eq!(details_since(store, &before), ["retire DS-D"]);
        assert!(store.deficiency_types().unwrap().iter().all(|t| t.code != "DS-D"), "no longer offered");
        assert_eq!(garcia_items(f), before_items, "GARCIA's DS-D is still owed, unchanged");
        let ds = QueueFilter { type_code: Some("DS-D".into()), today: Some(common::today()), ..Default::default() };
        assert_eq!(store.queue_ids(&ds).unwrap().len(), 1, "and still in the queue");
        let page = store.queue_page(&ds, QueueSort::Age, Page::first(10)).unwrap();
        assert_eq!(page.rows.len(), 1);
        assert!(!page.rows[0].type_name.is_empty(), "named as before");
        assert!(store.queue_vocabulary().unwrap().types.iter().any(|t| t == "DS-D"), "a filter may still name it");
        assert_eq!(store.chart_completion("A25-000781").unwrap().unwrap().open_ids.len(), 3);

        let err = fails_writing_nothing(store, || store.retire_deficiency_type("NOPE", event("deficiency_type")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    });
}

fn utc(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, h, min, 0).unwrap()
}

fn stay(account: &str, kind: EncounterKind, discharge: Option<DateTime<Utc>>) -> NewEncounter {
    NewEncounter {
        patient_mrn: "100234".into(),
        account: account.into(),
        kind,
        facility_code: "HDH".into(),
        service: "SURGERY".into(),
        admit_at: utc(2, 20, 8, 0),
        discharge_at: discharge,
        attending_npi: Some(OKAFOR.into()),
    }
}

/// SMITH's stays around the turn of February, at HDH: inpatient ones discharged on 02/27, late on
/// 02/28, just after midnight on 03/01 and on 03/02 (with two documents), plus a clinic visit, a
/// stay not yet discharged and one already analysed, which are never to analyse.
fn smiths_stays(store: &dyn Store) {
    let mut batch = RecordBatch::default();
    batch.encounters.push(stay("A25-009101", EncounterKind::Inpatient, Some(utc(2, 27, 10, 0))));
    batch.encounters.push(stay("A25-009102", EncounterKind::Inpatient, Some(utc(2, 28, 23, 30))));
    batch.encounters.push(stay("A25-009103", EncounterKind::Inpatient, Some(utc(3, 1, 0, 30))));
    batch.encounters.push(stay("A25-009104", EncounterKind::Inpatient, Some(utc(3, 2, 12, 0))));
    batch.encounters.push(stay("O25-009105", EncounterKind::Outpatient, Some(utc(3, 1, 12, 0))));
    batch.encounters.push(stay("A25-009106", EncounterKind::Inpatient, None));
    batch.encounters.push(stay("A25-009107", EncounterKind::Inpatient, Some(utc(2, 28, 12, 0))));
    batch.completions.push(NewChartCompletion {
        account: "A25-009107".into(),
        status: ChartStatus::Complete,
        received_on: day(2, 28),
        completed_on: Some(day(3, 1)),
    });
    for (doc_type, author, status) in
        [("OP_NOTE", OKAFOR, DocumentStatus::Unsigned), ("HP", PATEL, DocumentStatus::Completed)]
    {
        batch.documents.push(NewDocument {
            account: "A25-009104".into(),
            doc_type: doc_type.into(),
            title: doc_type.into(),
            author_npi: Some(author.into()),
            status,
            created_at: utc(2, 21, 9, 0),
            signed_at: None,
            text: None,
            page_count: 1,
            sensitive_categories: Vec::new(),
            in_designated_record_set: true,
        });
    }
    store.insert_batch(batch, event("batch")).unwrap();
}

fn accounts(found: &[chartroom::store::DischargedEncounter]) -> Vec<&str> {
    let mut accounts: Vec<&str> = found.iter().map(|e| e.account.as_str()).collect();
    accounts.sort_unstable();
    accounts
}

#[test]
fn encounters_to_analyse_are_the_inpatient_stays_discharged_in_the_window_by_utc_day_not_yet_analysed() {
    each_backend(|f| {
        let store = &*f.store;
        smiths_stays(store);
        let everything = store.encounters_to_analyse(None, day(3, 3)).unwrap();
        assert_eq!(accounts(&everything), ["A25-009101", "A25-009102", "A25-009103", "A25-009104"]);
        // After `after`, through `through`: the day before is out, the last minutes of the day in.
        assert_eq!(accounts(&store.encounters_to_analyse(Some(day(2, 27)), day(2, 28)).unwrap()), ["A25-009102"]);
        assert_eq!(accounts(&store.encounters_to_analyse(Some(day(2, 28)), day(3, 1)).unwrap()), ["A25-009103"]);
        assert_eq!(accounts(&store.encounters_to_analyse(None, day(2, 26)).unwrap()), Vec::<&str>::new());
        assert_eq!(
            accounts(&store.encounters_to_analyse(Some(day(2, 27)), day(3, 2)).unwrap()),
            ["A25-009102", "A25-009103", "A25-009104"]
        );

        let hdh = facility_id(store, "HDH");
        let okafor = provider_id(store, OKAFOR);
        for (account, discharged_on) in [
            ("A25-009101", day(2, 27)),
            ("A25-009102", day(2, 28)),
            ("A25-009103", day(3, 1)),
            ("A25-009104", day(3, 2)),
        ] {
            let e = everything.iter().find(|e| e.account == account).unwrap();
            assert_eq!(e.discharged_on, discharged_on, "{account}: the UTC day");
            assert_eq!((e.kind, e.facility_id, e.attending_id), (EncounterKind::Inpatient, hdh, Some(okafor)));
            let chart = store.chart_completion(account).unwrap().unwrap();
            assert_eq!(e.encounter_id, chart.encounter_id);
        }
        let with_documents = everything.iter().find(|e| e.account == "A25-009104").unwrap();
        let mut documents: Vec<_> =
            with_documents.documents.iter().map(|d| (d.doc_type.as_str(), d.status, d.author_id)).collect();
        documents.sort_unstable_by_key(|d| d.0);
        assert_eq!(
            documents,
            [
                ("HP", DocumentStatus::Completed, Some(provider_id(store, PATEL))),
                ("OP_NOTE", DocumentStatus::Unsigned, Some(okafor))
            ]
        );
        assert!(everything.iter().find(|e| e.account == "A25-009101").unwrap().documents.is_empty());
    });
}

fn seed(store: &dyn Store, account: &str, type_code: &str, npi: &str, on: NaiveDate) -> NewSeededDeficiency {
    NewSeededDeficiency {
        encounter_id: store.chart_completion(account).unwrap().unwrap().encounter_id,
        type_code: type_code.into(),
        provider_id: provider_id(store, npi),
        document_id: None,
        status: DeficiencyStatus::Open,
        event_on: on,
        delinquent_on: on + Duration::days(30),
    }
}

fn analysed(store: &dyn Store, account: &str, status: ChartStatus, seeds: Vec<NewSeededDeficiency>) -> AnalysedChart {
    AnalysedChart {
        encounter_id: store.chart_completion(account).unwrap().unwrap().encounter_id,
        received_on: day(3, 3),
        status,
        completed_on: (status == ChartStatus::Complete).then_some(day(3, 3)),
        seeds,
    }
}

#[test]
fn an_analysis_opens_each_chart_once_with_its_items_each_audited_and_counts_them() {
    each_backend(|f| {
        let store = &*f.store;
        smiths_stays(store);
        let before = audit_trail(store);
        let written = store
            .record_analysis(
                vec![
                    analysed(
                        store,
                        "A25-009101",
                        ChartStatus::Incomplete,
                        vec![
                            seed(store, "A25-009101", "DS-D", OKAFOR, day(2, 27)),
                            seed(store, "A25-009101", "HP", PATEL, day(2, 27)),
                        ],
                    ),
                    analysed(store, "A25-009102", ChartStatus::Complete, vec![]),
                ],
                noted("deficiency", "analysis"),
            )
            .unwrap();
        assert_eq!(written, 2, "the deficiencies written");
        let events = audit_since(store, &before);
        let smith = store.patient_by_mrn(&Mrn::parse("100234").unwrap()).unwrap().unwrap();
        assert_eq!(events.len(), 2, "an event per item: {events:#?}");
        let mut physicians: Vec<_> = events.iter().map(|e| e.provider_npi.as_deref()).collect();
        physicians.sort_unstable();
        assert_eq!(physicians, [Some(PATEL), Some(OKAFOR)], "each found by its physician");
        assert!(events.iter().all(|e| e.patient_id == Some(smith.patient_id)), "and by its patient");

        let opened = store.chart_completion("A25-009101").unwrap().unwrap();
        assert_eq!((opened.status, opened.open_ids.len()), (ChartStatus::Incomplete, 2));
        assert!(opened.version.is_some());
        let items = store.deficiency_items(&opened.open_ids).unwrap();
        let mut seeded: Vec<_> =
            items.iter().map(|i| (i.type_code.as_str(), i.provider_npi.as_str(), i.status)).collect();
        seeded.sort_unstable_by_key(|(code, npi, _)| (*code, *npi));
        assert_eq!(seeded, [("DS-D", OKAFOR, DeficiencyStatus::Open), ("HP", PATEL, DeficiencyStatus::Open)]);
        assert!(items.iter().all(|i| i.event_on == day(2, 27) && i.delinquent_on == day(3, 29)));
        let complete = store.chart_completion("A25-009102").unwrap().unwrap();
        assert_eq!((complete.status, complete.open_ids.len()), (ChartStatus::Complete, 0));
        assert_eq!(accounts(&store.encounters_to_analyse(None, day(3, 3)).unwrap()), ["A25-009103", "A25-009104"]);

        // Analysed meanwhile by another run: left as it is; the others of the call are written.
        let before = audit_trail(store);
        let again = store
            .record_analysis(
                vec![
                    analysed(
                        store,
                        "A25-009101",
                        ChartStatus::Complete,
                        vec![seed(store, "A25-009101", "VO", REYES, day(2, 27))],
                    ),
                    analysed(
                        store,
                        "A25-009103",
                        ChartStatus::Incomplete,
                        vec![seed(store, "A25-009103", "DS-D", OKAFOR, day(3, 1))],
                    ),
                ],
                noted("deficiency", "analysis again"),
            )
            .unwrap();
        assert_eq!(again, 1, "only A25-009103's item");
        assert_eq!(audit_since(store, &before).len(), 1);
        assert_eq!(store.chart_completion("A25-009101").unwrap().unwrap(), opened, "unchanged");
        assert_eq!(store.chart_completion("A25-009103").unwrap().unwrap().open_ids.len(), 1);
        assert_eq!(store.record_analysis(vec![], noted("deficiency", "nothing")).unwrap(), 0);
    });
}

#[test]
fn open_items_are_every_open_deficiency_with_what_its_notices_need() {
    each_backend(|f| {
        let store = &*f.store;
        let items = garcia_items(f);
        let open = store.open_items().unwrap();
        let mut ids: Vec<i64> = open.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        let mut expected: Vec<i64> = items.iter().map(|i| i.id).collect();
        expected.sort_unstable();
        assert_eq!(ids, expected);
        let (rgh, patel) = (facility_id(store, "RGH"), provider_id(store, PATEL));
        for o in &open {
            let i = items.iter().find(|i| i.id == o.id).unwrap();
            assert_eq!((o.provider_id, o.facility_id), (i.provider_id, rgh));
            assert_eq!((o.event_on, o.delinquent_on, o.paused_days), (i.event_on, i.delinquent_on, i.paused_days));
            let supervisor = if i.provider_npi == REYES { Some(patel) } else { None };
            assert_eq!(o.supervisor_id, supervisor, "a resident's notices copy her supervisor");
        }
        // A completed item and a voided one are no longer open; one moved a step still is.
        let by_type = |code: &str| items.iter().find(|i| i.type_code == code).unwrap();
        let changes = DeficiencyChanges {
            items: vec![
                complete(by_type("DS-D"), common::today()),
                step(by_type("OP-S"), DeficiencyStatus::Voided),
                step(by_type("VO"), DeficiencyStatus::Signed),
            ],
            ..Default::default()
        };
        store.apply_deficiency_changes(changes).unwrap();
        let open: Vec<i64> = store.open_items().unwrap().iter().map(|i| i.id).collect();
        assert_eq!(open, [by_type("VO").id]);
    });
}

#[test]
fn queue_counts_count_open_and_delinquent_items_and_charts_by_the_day_asked() {
    each_backend(|f| {
        let store = &*f.store;
        let discharged = garcia_discharge(f);
        let delinquent_on = garcia_items(f)[0].delinquent_on;
        let today = common::today();
        let counts = store.queue_counts(today).unwrap();
        assert_eq!((counts.open, counts.delinquent, counts.delinquent_charts), (3, 0, 0));
        assert!(counts.top_physicians.is_empty(), "no one is delinquent yet");
        let age = (today - discharged).num_days();
        let bucket = AgeBucket::of(age);
        assert_eq!(counts.buckets.len(), AgeBucket::ALL.len(), "every bucket, empty ones too");
        for (b, n) in &counts.buckets {
            assert_eq!(*n, if *b == bucket { 3 } else { 0 }, "{b:?} at age {age}");
        }
        assert_eq!(counts.discharges_12_months, 1, "GARCIA's stay");

        assert_eq!(store.queue_counts(delinquent_on - Duration::days(1)).unwrap().delinquent, 0, "the day before");
        let due = store.queue_counts(delinquent_on).unwrap();
        assert_eq!((due.open, due.delinquent, due.delinquent_charts), (3, 3, 1), "delinquent on its day");
        let mut top = due.top_physicians.clone();
        top.sort();
        assert_eq!(top, [("OKAFOR, BEN".to_string(), 1), ("PATEL, ALICE".into(), 1), ("REYES, CARLA".into(), 1)]);

        // Another delinquent item for PATEL puts him first; a completed one counts nowhere.
        let extra = seed(store, "A25-000781", "HP", PATEL, discharged);
        let version = store.chart_completion("A25-000781").unwrap().unwrap().version;
        store.add_deficiency(extra, version, false, event("deficiency")).unwrap();
        let ds = garcia_items(f).into_iter().find(|i| i.type_code == "OP-S").unwrap();
        store
            .apply_deficiency_changes(DeficiencyChanges { items: vec![complete(&ds, today)], ..Default::default() })
            .unwrap();
        let due = store.queue_counts(delinquent_on).unwrap();
        assert_eq!((due.open, due.delinquent, due.delinquent_charts), (3, 3, 1));
        assert_eq!(due.top_physicians, [("PATEL, ALICE".to_string(), 2), ("REYES, CARLA".into(), 1)]);
        // A year on, GARCIA's discharge is out of the 12 months.
        assert_eq!(store.queue_counts(discharged + Duration::days(400)).unwrap().discharges_12_months, 0);
    });
}

#[test]
fn queue_ids_are_the_ids_and_versions_of_the_items_the_filter_matches() {
    each_backend(|f| {
        let store = &*f.store;
        let today = Some(common::today());
        let patel = provider_id(store, PATEL);
        let filters = [
            QueueFilter { today, ..Default::default() },
            QueueFilter { provider_id: Some(patel), today, ..Default::default() },
            QueueFilter { status: Some(DeficiencyStatus::Transcribed), today, ..Default::default() },
            QueueFilter { facility: Some("RGH".into()), today, ..Default::default() },
            QueueFilter { facility: Some("HDH".into()), today, ..Default::default() },
            QueueFilter { service: Some("MEDICINE".into()), today, ..Default::default() },
            QueueFilter {
                mrn: Some(Mrn::parse("204511").unwrap()),
                type_code: Some("VO".into()),
                today,
                ..Default::default()
            },
            QueueFilter {
                delinquent_only: true,
                today: Some(common::today() + Duration::days(30)),
                ..Default::default()
            },
        ];
        let check = |filter: &QueueFilter| {
            let mut ids = store.queue_ids(filter).unwrap();
            ids.sort_unstable();
            let page = store.queue_page(filter, QueueSort::Age, Page::first(1000)).unwrap();
            let mut rows: Vec<(i64, i64)> = page.rows.iter().map(|r| (r.id, r.version)).collect();
            rows.sort_unstable();
            assert_eq!(ids, rows, "{filter:?}");
            ids.len()
        };
        let sizes: Vec<usize> = filters.iter().map(check).collect();
        assert_eq!(sizes, [3, 1, 2, 3, 0, 3, 1, 3]);

        // A change moves the version the ids carry.
        let vo = garcia_items(f).into_iter().find(|i| i.type_code == "VO").unwrap();
        store
            .apply_deficiency_changes(DeficiencyChanges {
                items: vec![step(&vo, DeficiencyStatus::Signed)],
                ..Default::default()
            })
            .unwrap();
        let after = store.queue_ids(&filters[6]).unwrap();
        assert_eq!(after, [(vo.id, vo.version + 1)]);
        assert_eq!(check(&filters[2]), 1, "no longer transcribed");
    });
}

#[test]
fn a_chart_is_found_by_its_account_with_its_record_or_without_one() {
    each_backend(|f| {
        let store = &*f.store;
        assert_eq!(store.chart_completion("A99-000001").unwrap(), None, "no such account");
        let garcia = store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap();
        let chart = store.chart_completion("A25-000781").unwrap().unwrap();
        assert_eq!(
            (chart.account.as_str(), chart.mrn.as_str(), chart.patient_id),
            ("A25-000781", "204511", garcia.patient_id)
        );
        assert_eq!((chart.status, chart.facility_id), (ChartStatus::Incomplete, facility_id(store, "RGH")));
        assert_eq!(chart.discharged_on, Some(garcia_discharge(f)));
        assert!(chart.version.is_some());
        let mut open = chart.open_ids.clone();
        open.sort_unstable();
        let mut ids: Vec<i64> = garcia_items(f).iter().map(|i| i.id).collect();
        ids.sort_unstable();
        assert_eq!(open, ids);
        // A clinic visit has no chart-completion record: none opened, none open.
        let visit = store.chart_completion("O25-000102").unwrap().unwrap();
        assert_eq!((visit.status, visit.version, visit.open_ids.len()), (ChartStatus::AwaitingAnalysis, None, 0));
        assert_eq!(visit.facility_id, facility_id(store, "RGC"));
        assert!(visit.discharged_on.is_some());
        assert_eq!(store.chart_states(&[chart.encounter_id]).unwrap(), [chart]);
    });
}

#[test]
fn a_deficiency_is_had_while_open_or_done_for_that_type_physician_and_stay() {
    each_backend(|f| {
        let store = &*f.store;
        let items = garcia_items(f);
        let encounter = items[0].encounter_id;
        let (patel, okafor) = (provider_id(store, PATEL), provider_id(store, OKAFOR));
        assert!(store.has_deficiency(encounter, "DS-D", patel).unwrap());
        assert!(!store.has_deficiency(encounter, "DS-D", okafor).unwrap(), "another physician's");
        assert!(!store.has_deficiency(encounter, "HP", patel).unwrap(), "another type");
        let smiths = store.chart_completion("O25-000102").unwrap().unwrap().encounter_id;
        assert!(!store.has_deficiency(smiths, "DS-D", patel).unwrap(), "another stay");
        let ds = items.iter().find(|i| i.type_code == "DS-D").unwrap();
        store
            .apply_deficiency_changes(DeficiencyChanges {
                items: vec![complete(ds, common::today())],
                ..Default::default()
            })
            .unwrap();
        assert!(store.has_deficiency(encounter, "DS-D", patel).unwrap(), "done is had too");
        let op = items.iter().find(|i| i.type_code == "OP-S").unwrap();
        store
            .apply_deficiency_changes(DeficiencyChanges {
                items: vec![step(op, DeficiencyStatus::Voided)],
                ..Default::default()
            })
            .unwrap();
        assert!(!store.has_deficiency(encounter, "OP-S", okafor).unwrap(), "a voided one is neither open nor done");
    });
}

#[test]
fn a_deficiency_added_by_hand_makes_the_chart_incomplete_at_the_version_read_and_only_then() {
    each_backend(|f| {
        let store = &*f.store;
        let discharged = garcia_discharge(f);
        let garcia = store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap();
        // The chart completed first: every item done, then the chart.
        let items = garcia_items(f);
        let read = store.chart_completion("A25-000781").unwrap().unwrap();
        let close = DeficiencyChanges {
            items: items.iter().map(|i| complete(i, common::today())).collect(),
            charts: vec![ChartWrite {
                encounter_id: read.encounter_id,
                version: read.version.unwrap(),
                status: ChartStatus::Complete,
                completed_on: Some(common::today()),
                audit: noted("chart_completion", "complete"),
            }],
            ..Default::default()
        };
        store.apply_deficiency_changes(close).unwrap();
        let complete = store.chart_completion("A25-000781").unwrap().unwrap();
        assert_eq!(complete.status, ChartStatus::Complete);

        let new = seed(store, "A25-000781", "HP", OKAFOR, discharged);
        let err = fails_writing_nothing(store, || {
            store.add_deficiency(new.clone(), read.version, false, event("deficiency"))
        });
        assert!(matches!(err, StoreError::Conflict), "the version before the completion: {err}");
        let err = fails_writing_nothing(store, || store.add_deficiency(new.clone(), None, false, event("deficiency")));
        assert!(matches!(err, StoreError::Conflict), "read as having no record, yet it has one: {err}");
        assert_eq!(store.chart_completion("A25-000781").unwrap().unwrap(), complete, "nothing written");
        assert!(!store.has_deficiency(complete.encounter_id, "HP", provider_id(store, OKAFOR)).unwrap());

        let mut audit = noted("deficiency", "added by hand");
        audit.patient_id = Some(garcia.patient_id);
        audit.provider_id = Some(provider_id(store, OKAFOR));
        let before = audit_trail(store);
        let id = store.add_deficiency(new.clone(), complete.version, false, audit).unwrap();
        assert_eq!(details_since(store, &before), ["added by hand"]);
        let reopened = store.chart_completion("A25-000781").unwrap().unwrap();
        assert_eq!((reopened.status, reopened.open_ids.clone()), (ChartStatus::Incomplete, vec![id]));
        assert_ne!(reopened.version, complete.version, "the record's version moved");
        let added = item(store, id);
        assert_eq!(
            (added.type_code.as_str(), added.provider_npi.as_str(), added.status),
            ("HP", OKAFOR, DeficiencyStatus::Open)
        );
        assert_eq!(
            (added.event_on, added.delinquent_on, added.encounter_id),
            (new.event_on, new.delinquent_on, new.encounter_id)
        );
        let found = store.list_audit(&chartroom::store::AuditFilter {
            patient_id: Some(garcia.patient_id),
            limit: 1,
            ..Default::default()
        });
        assert_eq!(found.unwrap()[0].detail, "added by hand", "found by its patient");

        // A duplicate the analyst confirmed is a second item of its own.
        assert!(store.has_deficiency(new.encounter_id, "HP", new.provider_id).unwrap());
        let twice = store.add_deficiency(new.clone(), reopened.version, true, event("deficiency")).unwrap();
        assert_ne!(twice, id);
        let mut open = store.chart_completion("A25-000781").unwrap().unwrap().open_ids;
        open.sort_unstable();
        assert_eq!(open, [id.min(twice), id.max(twice)]);
    });
}

#[test]
fn a_deficiency_added_to_a_stay_with_no_record_opens_one() {
    each_backend(|f| {
        let store = &*f.store;
        let visit = store.chart_completion("O25-000102").unwrap().unwrap();
        assert_eq!(visit.version, None);
        let new = seed(store, "O25-000102", "DS-D", PATEL, common::today());
        let id = store.add_deficiency(new, None, false, event("deficiency")).unwrap();
        let opened = store.chart_completion("O25-000102").unwrap().unwrap();
        assert_eq!((opened.status, opened.open_ids), (ChartStatus::Incomplete, vec![id]));
        assert!(opened.version.is_some());
        let err = fails_writing_nothing(store, || {
            store.add_deficiency(
                seed(store, "O25-000102", "HP", PATEL, common::today()),
                None,
                false,
                event("deficiency"),
            )
        });
        assert!(matches!(err, StoreError::Conflict), "opened meanwhile: {err}");
    });
}

#[test]
fn physicians_standing_lists_the_most_delinquent_first_with_suspension_and_leave() {
    each_backend(|f| {
        let store = &*f.store;
        let discharged = garcia_discharge(f);
        let delinquent_on = garcia_items(f)[0].delinquent_on;
        let (patel, okafor, reyes, quiet) = (
            provider_id(store, PATEL),
            provider_id(store, OKAFOR),
            provider_id(store, REYES),
            provider_id(store, QUIET),
        );
        let version = store.chart_completion("A25-000781").unwrap().unwrap().version;
        store
            .add_deficiency(seed(store, "A25-000781", "HP", PATEL, discharged), version, false, event("deficiency"))
            .unwrap();

        let today = common::today();
        let standings = store.physician_standings(today).unwrap();
        let rows: Vec<_> = standings.iter().map(|s| (s.name.as_str(), s.open, s.delinquent)).collect();
        assert_eq!(
            rows,
            [("OKAFOR, BEN", 1, 0), ("PATEL, ALICE", 2, 0), ("REYES, CARLA", 1, 0)],
            "none delinquent: by name"
        );
        let due = store.physician_standings(delinquent_on).unwrap();
        let rows: Vec<_> = due.iter().map(|s| (s.provider_id, s.delinquent)).collect();
        assert_eq!(rows, [(patel, 2), (okafor, 1), (reyes, 1)], "most delinquent first, then by name");
        assert!(due.iter().all(|s| s.oldest_delinquent_discharge == Some(discharged) && s.suspended_since.is_none()));
        assert_eq!(due[0].npi, PATEL);

        // A suspended physician is listed though he owes nothing; one who owes nothing is not.
        let before = audit_trail(store);
        store.confirm_suspension(QUIET, today, false, noted("provider", "suspend quiet")).unwrap();
        assert_eq!(details_since(store, &before), ["suspend quiet"]);
        let listed = store.physician_standings(today).unwrap();
        let quiet_row = listed.iter().find(|s| s.provider_id == quiet).expect("the suspended physician is listed");
        assert_eq!((quiet_row.open, quiet_row.delinquent, quiet_row.suspended_since), (0, 0, Some(today)));
        assert_eq!(listed.len(), 4);

        // One physician's standing is the same row.
        for s in &due {
            assert_eq!(store.physician_standing(s.provider_id, delinquent_on).unwrap().as_ref(), Some(s));
        }
        let nobody = provider_id(store, "1000000101");
        let clean = store.physician_standing(nobody, today).unwrap().expect("a physician who owes nothing");
        assert_eq!(
            (clean.open, clean.delinquent, clean.suspended_since, clean.npi.as_str()),
            (0, 0, None, "1000000101")
        );
        assert!(clean.leave.is_empty());
        let unknown = store.list_providers(Page::first(10_000)).unwrap().iter().map(|p| p.id).max().unwrap() + 1000;
        assert_eq!(store.physician_standing(unknown, today).unwrap(), None);
    });
}

#[test]
fn leave_is_recorded_by_npi_and_shown_until_it_ends() {
    each_backend(|f| {
        let store = &*f.store;
        let patel = provider_id(store, PATEL);
        let before = audit_trail(store);
        store.add_provider_leave(PATEL, day(3, 10), day(3, 20), noted("provider", "leave")).unwrap();
        assert_eq!(details_since(store, &before), ["leave"]);
        let on = |date| store.physician_standing(patel, date).unwrap().unwrap().leave;
        assert_eq!(on(day(3, 3)), [(day(3, 10), day(3, 20))], "leave to come");
        assert_eq!(on(day(3, 20)), [(day(3, 10), day(3, 20))], "its last day");
        assert!(on(day(3, 21)).is_empty(), "over");
        let listed = store.physician_standings(day(3, 3)).unwrap();
        assert_eq!(listed.iter().find(|s| s.provider_id == patel).unwrap().leave, [(day(3, 10), day(3, 20))]);
        let other = store.physician_standing(provider_id(store, OKAFOR), day(3, 3)).unwrap().unwrap();
        assert!(other.leave.is_empty(), "the physician's own");

        let err = fails_writing_nothing(store, || {
            store.add_provider_leave("1999999999", day(3, 10), day(3, 20), event("provider"))
        });
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    });
}

#[test]
fn a_suspension_is_recorded_by_npi_with_whether_it_was_an_override() {
    each_backend(|f| {
        let store = &*f.store;
        let (patel, okafor) = (provider_id(store, PATEL), provider_id(store, OKAFOR));
        let read_sorted = |ids: &[i64]| {
            let mut read = store.provider_suspensions(ids, common::today()).unwrap();
            read.sort_by_key(|s| s.provider_id);
            read
        };
        let read = read_sorted(&[patel, okafor]);
        assert_eq!(read.len(), 2);
        assert!(read.iter().all(|s| !s.suspended && !s.by_override));
        let before = audit_trail(store);
        store.confirm_suspension(PATEL, day(3, 3), false, noted("provider", "for delinquency")).unwrap();
        store.confirm_suspension(OKAFOR, day(3, 4), true, noted("provider", "by override")).unwrap();
        assert_eq!(details_since(store, &before), ["for delinquency", "by override"]);
        let now = read_sorted(&[patel, okafor]);
        let flags: Vec<_> = now.iter().map(|s| (s.provider_id, s.suspended, s.by_override)).collect();
        let mut expected = vec![(patel, true, false), (okafor, true, true)];
        expected.sort_unstable();
        assert_eq!(flags, expected);
        for (before, after) in read.iter().zip(&now) {
            assert_ne!(before.version, after.version, "a suspension moves the physician's version");
        }
        let standing = store.physician_standing(okafor, day(3, 5)).unwrap().unwrap();
        assert_eq!(standing.suspended_since, Some(day(3, 4)));

        let err = fails_writing_nothing(store, || {
            store.confirm_suspension("1999999999", day(3, 3), false, event("provider"))
        });
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    });
}
