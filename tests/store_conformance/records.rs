//! Records arriving in bulk (batches, imports, the bulk load) and a patient's chart read back.

use super::{audit_trail, common, details_since, each_backend, each_empty_backend, fails_writing_nothing, noted};
use chartroom::domain::chart::{DeficiencyStatus, DocumentStatus, EncounterKind, FacilityKind, NewFacility};
use chartroom::domain::completion::ChartStatus;
use chartroom::domain::mrn::Mrn;
use chartroom::domain::names::PersonName;
use chartroom::domain::patient::{NameKeys, Sex};
use chartroom::store::imports::{
    ImportBatch, ImportedDocument, ImportedEncounter, ImportedPatient, ImportedProcedure, ImportedProvider,
    SourceRecord,
};
use chartroom::store::records::{
    BatchCounts, NewChartCompletion, NewDeficiency, NewDisclosure, NewDocument, NewEncounter, NewLocation, NewMovement,
    NewProcedure, NewProvider, NewVolume,
};
use chartroom::store::{Page, PatientLookup, RecordBatch, Store, StoreError};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use common::{event, patient};

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn by_mrn(store: &dyn Store, mrn: &str) -> Option<chartroom::domain::patient::PatientRow> {
    store.patient_by_mrn(&Mrn::parse(mrn).unwrap()).unwrap()
}

fn family_search(store: &dyn Store, family: &str) -> Vec<String> {
    let lookup = PatientLookup::Name(chartroom::desk::name_lookup(&chartroom::domain::query::NameQuery {
        family: family.into(),
        given: String::new(),
    }));
    store.search_patients(&lookup, Page::first(50)).unwrap().rows.into_iter().map(|r| r.mrn.to_string()).collect()
}

/// One of everything a batch can carry, for a new patient (MRN 3200001) with a stay at RGH.
fn full_batch() -> RecordBatch {
    let mut batch = RecordBatch::default();
    batch.locations.push(NewLocation {
        code: "WARD_5".into(),
        name: "WARD 5 EAST".into(),
        kind: "WARD".into(),
        default_loan_days: 2,
    });
    batch.providers.push(NewProvider {
        npi: "1777777771".into(),
        family: "Lindqvist".into(),
        given: "Eva".into(),
        credentials: "MD".into(),
        specialty: "Cardiology".into(),
        service: "CARDIOLOGY".into(),
        supervisor_npi: None,
    });
    batch.patients.push(patient("3200001", "Halvorsen", "Ingrid", "", (1955, 7, 1), None));
    batch.patients.push(patient("3200002", "Halvorsen", "Per", "", (1953, 2, 3), None));
    batch.encounters.push(NewEncounter {
        patient_mrn: "3200001".into(),
        account: "A25-009001".into(),
        kind: EncounterKind::Inpatient,
        facility_code: "RGH".into(),
        service: "CARDIOLOGY".into(),
        admit_at: at(2025, 2, 1, 9),
        discharge_at: Some(at(2025, 2, 4, 12)),
        attending_npi: Some("1777777771".into()),
    });
    batch.procedures.push(NewProcedure {
        account: "A25-009001".into(),
        performed_at: at(2025, 2, 2, 10),
        code: "232717009".into(),
        description: "Coronary artery bypass graft".into(),
    });
    batch.documents.push(NewDocument {
        account: "A25-009001".into(),
        doc_type: "DS".into(),
        title: "Discharge summary".into(),
        author_npi: Some("1777777771".into()),
        status: DocumentStatus::Undictated,
        created_at: at(2025, 2, 4, 13),
        signed_at: None,
        text: None,
        page_count: 1,
        sensitive_categories: Vec::new(),
        in_designated_record_set: true,
    });
    batch.completions.push(NewChartCompletion {
        account: "A25-009001".into(),
        status: ChartStatus::Incomplete,
        received_on: day(2025, 2, 4),
        completed_on: None,
    });
    batch.deficiencies.push(NewDeficiency {
        account: "A25-009001".into(),
        type_code: "DS-D".into(),
        provider_npi: "1777777771".into(),
        status: DeficiencyStatus::Open,
        event_on: day(2025, 2, 4),
        delinquent_on: day(2025, 3, 6),
        created_at: at(2025, 2, 5, 2),
        notice_level: None,
    });
    batch.volumes.push(NewVolume {
        patient_mrn: "3200001".into(),
        volume_no: 1,
        record_type: "MEDICAL_RECORD".into(),
        barcode: "V3200001-1".into(),
        home_location: "FILE_A".into(),
        current_location: "WARD_5".into(),
        status: "CHARGED_OUT".into(),
        borrower: Some("jdoe".into()),
        due_back_on: Some(day(2025, 3, 10)),
    });
    batch.movements.push(NewMovement {
        barcode: "V3200001-1".into(),
        movement_type: "CHARGE_OUT".into(),
        from_location: Some("FILE_A".into()),
        to_location: Some("WARD_5".into()),
        by_username: Some("jdoe".into()),
        at: at(2025, 2, 1, 11),
    });
    batch.disclosures.push(NewDisclosure {
        patient_mrn: "3200001".into(),
        disclosed_at: at(2025, 2, 20, 15),
        recipient: "Blue Shield".into(),
        recipient_address: "PO Box 660044\nDallas TX 75266".into(),
        description: "Claim records".into(),
        purpose: "Payment".into(),
        legal_basis: "TPO".into(),
        accountable: false,
        pages: 12,
        by_username: "jdoe".into(),
    });
    batch
}

#[test]
fn a_batch_says_what_it_wrote_with_one_audit_event_and_the_chart_shows_it_all() {
    each_backend(|f| {
        let store = &*f.store;
        let before = audit_trail(store);
        let counts = store.insert_batch(full_batch(), noted("batch", "the full batch")).unwrap();
        assert_eq!(
            counts,
            BatchCounts {
                providers: 1,
                locations: 1,
                patients: 2,
                encounters: 1,
                documents: 1,
                deficiencies: 1,
                volumes: 1,
                movements: 1,
                disclosures: 1,
            }
        );
        assert_eq!(details_since(store, &before), ["the full batch"], "one event for the whole batch");

        let row = by_mrn(store, "3200001").expect("the patient written");
        assert_eq!(row.display_name(), "HALVORSEN, INGRID");
        assert_eq!(row.birth_date, day(1955, 7, 1));
        let chart = store.load_chart(row.patient_id).unwrap().expect("the chart");
        assert_eq!(chart.patient.mrn.as_str(), "3200001");
        let [stay] = &chart.encounters[..] else { panic!("one encounter: {:?}", chart.encounters) };
        assert_eq!(
            (stay.account.as_str(), stay.kind, stay.facility_code.as_str()),
            ("A25-009001", EncounterKind::Inpatient, "RGH")
        );
        assert_eq!((stay.admit_at, stay.discharge_at), (at(2025, 2, 1, 9), Some(at(2025, 2, 4, 12))));
        assert_eq!(stay.attending.as_deref(), Some("LINDQVIST, EVA"));
        assert_eq!((stay.completion, stay.open_deficiencies), (Some(ChartStatus::Incomplete), 1));
        let procedures: Vec<_> = chart.procedures.iter().map(|p| (p.code.as_str(), p.performed_at)).collect();
        assert_eq!(procedures, [("232717009", at(2025, 2, 2, 10))]);
        let [document] = &chart.documents[..] else { panic!("one document: {:?}", chart.documents) };
        assert_eq!((document.doc_type.as_str(), document.status), ("DS", DocumentStatus::Undictated));
        let [deficiency] = &chart.deficiencies[..] else { panic!("one deficiency: {:?}", chart.deficiencies) };
        assert_eq!((deficiency.type_code.as_str(), deficiency.status), ("DS-D", DeficiencyStatus::Open));
        assert_eq!((deficiency.event_on, deficiency.delinquent_on), (day(2025, 2, 4), day(2025, 3, 6)));
        let [volume] = &chart.volumes[..] else { panic!("one volume: {:?}", chart.volumes) };
        assert_eq!((volume.barcode.as_str(), volume.current_location.as_str()), ("V3200001-1", "WARD 5 EAST"));
        assert_eq!(volume.movements.len(), 1);
        let [release] = &chart.releases[..] else { panic!("one release: {:?}", chart.releases) };
        assert_eq!(
            (release.recipient.as_str(), release.pages, release.disclosed_on),
            ("Blue Shield", 12, day(2025, 2, 20))
        );
        // The accounting reads what went and where from the batch's disclosure, not blanks.
        let [kept] = &store.patient_disclosures(row.patient_id, day(2025, 2, 20), day(2025, 2, 20)).unwrap()[..] else {
            panic!("one disclosure")
        };
        assert_eq!(
            (kept.disclosure.description.as_str(), kept.disclosure.recipient_address.as_str()),
            ("Claim records", "PO Box 660044\nDallas TX 75266")
        );
        // Found by its account too.
        let found = store.search_patients(&PatientLookup::Account("A25-009001".into()), Page::first(5)).unwrap();
        assert_eq!(found.rows.iter().map(|r| r.patient_id).collect::<Vec<_>>(), [row.patient_id]);
        assert_eq!(found.rows[0].encounter_id, Some(stay.id));
        // The new physician's item is in the queue.
        let lindqvist = store.provider_by_npi("1777777771").unwrap().unwrap();
        let filter = chartroom::store::QueueFilter { provider_id: Some(lindqvist.id), ..Default::default() };
        assert_eq!(store.queue_ids(&filter).unwrap().len(), 1);
    });
}

#[test]
fn a_batch_referring_to_a_record_that_is_nowhere_is_not_found_and_writes_nothing() {
    each_backend(|f| {
        let store = &*f.store;
        let mut batch = full_batch();
        batch.encounters[0].patient_mrn = "3999999".into();
        let err = fails_writing_nothing(store, || store.insert_batch(batch, event("batch")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        assert!(by_mrn(store, "3200001").is_none(), "the batch's good patient is not written");
        assert!(store.provider_by_npi("1777777771").unwrap().is_none(), "nor its physician");
        assert_eq!(store.info().unwrap().patient_count, 9);
    });
}

fn imported_patient(source_id: &str, family: &str, given: &str, born: (i32, u32, u32)) -> ImportedPatient {
    let name = PersonName::new(family, given, "");
    ImportedPatient {
        source_id: source_id.into(),
        keys: NameKeys::of(&name),
        name,
        sex: Sex::Female,
        birth_date: day(born.0, born.1, born.2),
        ssn_last4: None,
        ssn_hash: None,
        deceased_on: None,
        address: "1 Elm St".into(),
    }
}

fn imported_stay(
    source_id: &str,
    patient: &str,
    kind: EncounterKind,
    admit: DateTime<Utc>,
    discharge: DateTime<Utc>,
) -> ImportedEncounter {
    ImportedEncounter {
        source_id: source_id.into(),
        patient_source_id: patient.into(),
        provider_source_id: Some("prov-1".into()),
        provider_npi: None,
        organization_source_id: None,
        kind,
        admit_at: admit,
        discharge_at: Some(discharge),
        service: "CARDIOLOGY".into(),
        new_to_store: false,
    }
}

/// Two patients from another system: QUIST, ANNA with a stay before `open_since` and one after it,
/// FALK, BO with a clinic visit; a procedure and a note on the later stay.
fn first_import() -> ImportBatch {
    ImportBatch {
        system: "synthea".into(),
        export: "fhir".into(),
        facility_code: "RGH".into(),
        open_since: Some(day(2025, 1, 1)),
        providers: vec![ImportedProvider {
            source_id: "prov-1".into(),
            npi: Some("1888888881".into()),
            family: "Lindgren".into(),
            given: "Olof".into(),
            specialty: "Cardiology".into(),
        }],
        patients: vec![
            imported_patient("pat-1", "Quist", "Anna", (1970, 5, 6)),
            imported_patient("pat-2", "Falk", "Bo", (1981, 8, 9)),
        ],
        encounters: vec![
            imported_stay("enc-1", "pat-1", EncounterKind::Inpatient, at(2024, 12, 1, 8), at(2024, 12, 5, 16)),
            imported_stay("enc-2", "pat-1", EncounterKind::Inpatient, at(2025, 2, 20, 8), at(2025, 2, 25, 16)),
            imported_stay("enc-3", "pat-2", EncounterKind::Outpatient, at(2025, 2, 26, 10), at(2025, 2, 26, 11)),
        ],
        procedures: vec![ImportedProcedure {
            encounter_source_id: "enc-2".into(),
            performed_at: at(2025, 2, 21, 9),
            code: "232717009".into(),
            description: "Coronary artery bypass graft".into(),
        }],
        documents: vec![ImportedDocument {
            source_id: "doc-1".into(),
            encounter_source_id: "enc-2".into(),
            author_npi: Some("1888888881".into()),
            doc_type: "DS".into(),
            title: "Discharge summary".into(),
            created_at: at(2025, 2, 25, 17),
            status: DocumentStatus::Unsigned,
            text: "Discharged home.".into(),
            sensitive_categories: vec![chartroom::domain::roi::packet::SensitiveCategory::Hiv],
        }],
        audit: Some(noted("import", "first import")),
        ..Default::default()
    }
}

/// The MRN the domain gives the next imported patient, from `from`, in this store.
fn next_import_mrn(store: &dyn Store, from: u64) -> String {
    chartroom::domain::mrn::next_import_mrn(from, |m| store.patient_by_mrn(m).map(|p| p.is_some())).unwrap().to_string()
}

#[test]
fn an_import_numbers_new_records_by_the_domains_rules_and_is_found_again_by_source_id() {
    each_backend(|f| {
        let store = &*f.store;
        assert!(!store.has_imported(SourceRecord::Patient, "synthea", "pat-1").unwrap());
        let first_mrn = next_import_mrn(store, 0);
        let second_mrn = next_import_mrn(store, first_mrn.parse::<u64>().unwrap() + 1);
        let before = audit_trail(store);
        let counts = store.apply_import(first_import()).unwrap();
        assert_eq!(details_since(store, &before), ["first import"], "with its audit event");
        assert_eq!((counts.providers.created, counts.patients.created, counts.encounters.created), (1, 2, 3));
        assert_eq!((counts.procedures.created, counts.documents.created), (1, 1));
        assert_eq!((counts.patients.read, counts.encounters.read), (2, 3));
        assert_eq!(store.info().unwrap().patient_count, 11);

        for (record, id) in [
            (SourceRecord::Patient, "pat-1"),
            (SourceRecord::Patient, "pat-2"),
            (SourceRecord::Encounter, "enc-1"),
            (SourceRecord::Encounter, "enc-3"),
        ] {
            assert!(store.has_imported(record, "synthea", id).unwrap(), "{record:?} {id}");
        }
        assert!(!store.has_imported(SourceRecord::Patient, "synthea", "pat-9").unwrap());
        assert!(!store.has_imported(SourceRecord::Patient, "epic", "pat-1").unwrap(), "an id is of its system");
        assert!(!store.has_imported(SourceRecord::Encounter, "synthea", "pat-1").unwrap(), "and of its kind");

        // MRNs from the import range, one after the other; accounts after the last of their prefix.
        assert_eq!(family_search(store, "QUIST"), std::slice::from_ref(&first_mrn));
        assert_eq!(family_search(store, "FALK"), [second_mrn]);
        let row = by_mrn(store, &first_mrn).unwrap();
        let chart = store.load_chart(row.patient_id).unwrap().unwrap();
        let mut accounts: Vec<(&str, Option<ChartStatus>)> =
            chart.encounters.iter().map(|e| (e.account.as_str(), e.completion)).collect();
        accounts.sort_unstable_by_key(|(account, _)| *account);
        // A24- had none; A25- had A25-000781. The stay discharged before `open_since` arrives
        // complete; the later one waits for the nightly analysis.
        assert_eq!(accounts, [("A24-000001", Some(ChartStatus::Complete)), ("A25-000782", None)]);
        let waiting = store.chart_completion("A25-000782").unwrap().unwrap();
        assert_eq!((waiting.status, waiting.version), (ChartStatus::AwaitingAnalysis, None));
        let due = store.encounters_to_analyse(None, day(2025, 3, 3)).unwrap();
        assert_eq!(due.iter().map(|e| e.account.as_str()).collect::<Vec<_>>(), ["A25-000782"]);
        assert_eq!(due[0].documents.len(), 1);
        assert_eq!(due[0].procedures.len(), 1);
        // The source's security label is kept for the release packet.
        let offered = store.release_documents(row.patient_id).unwrap();
        let labels: Vec<_> = offered.iter().map(|d| d.document.categories.clone()).collect();
        assert_eq!(labels, [vec![chartroom::domain::roi::packet::SensitiveCategory::Hiv]]);
        let falk = by_mrn(store, &family_search(store, "FALK")[0]).unwrap();
        let visit = store.load_chart(falk.patient_id).unwrap().unwrap();
        assert_eq!(visit.encounters.iter().map(|e| e.account.as_str()).collect::<Vec<_>>(), ["O25-000201"]);
        assert_eq!(visit.encounters[0].attending.as_deref(), Some("LINDGREN, OLOF"));
    });
}

#[test]
fn a_record_imported_again_is_updated_or_left_never_duplicated() {
    each_backend(|f| {
        let store = &*f.store;
        store.apply_import(first_import()).unwrap();
        let mrn = family_search(store, "QUIST").pop().unwrap();
        let encounters_before = store.load_chart(by_mrn(store, &mrn).unwrap().patient_id).unwrap().unwrap().encounters;

        let mut again = first_import();
        again.patients[0] = imported_patient("pat-1", "Quist-Berg", "Anna", (1970, 5, 6));
        again.documents[0].status = DocumentStatus::Completed;
        again.audit = Some(noted("import", "second import"));
        let before = audit_trail(store);
        let counts = store.apply_import(again).unwrap();
        assert_eq!(details_since(store, &before), ["second import"]);
        assert_eq!((counts.patients.created, counts.patients.updated, counts.patients.unchanged), (0, 1, 1));
        assert_eq!((counts.encounters.created, counts.encounters.unchanged), (0, 3));
        assert_eq!((counts.providers.created, counts.providers.unchanged), (0, 1));
        assert_eq!((counts.documents.created, counts.documents.updated), (0, 1));
        assert_eq!(counts.procedures.created, 0);
        assert_eq!(store.info().unwrap().patient_count, 11, "no patient twice");

        let row = by_mrn(store, &mrn).unwrap();
        assert_eq!(row.display_name(), "QUIST-BERG, ANNA", "updated in place, under its MRN");
        assert!(family_search(store, "QUIST").contains(&mrn), "found by its new name");
        let chart = store.load_chart(row.patient_id).unwrap().unwrap();
        assert_eq!(chart.encounters, encounters_before, "no encounter twice");
        assert_eq!(chart.procedures.len(), 1);
        let statuses: Vec<_> = chart.documents.iter().map(|d| d.status).collect();
        assert_eq!(statuses, [DocumentStatus::Completed], "the note's status follows the source");

        // The same stay from the other export (same patient, kind and admission) joins it.
        let mut csv = first_import();
        csv.export = "csv".into();
        csv.patients.clear();
        csv.providers.clear();
        csv.procedures.clear();
        csv.documents.clear();
        csv.encounters = vec![imported_stay(
            "csv-enc-2",
            "pat-1",
            EncounterKind::Inpatient,
            at(2025, 2, 20, 8),
            at(2025, 2, 25, 16),
        )];
        csv.audit = Some(noted("import", "csv"));
        let counts = store.apply_import(csv).unwrap();
        assert_eq!((counts.encounters.created, counts.encounters.unchanged), (0, 1));
        assert!(store.has_imported(SourceRecord::Encounter, "synthea", "csv-enc-2").unwrap());
        let chart = store.load_chart(row.patient_id).unwrap().unwrap();
        assert_eq!(chart.encounters.len(), 2, "joined, not added");
    });
}

#[test]
fn an_import_with_an_encounter_whose_patient_is_nowhere_is_not_found_and_writes_nothing() {
    each_backend(|f| {
        let store = &*f.store;
        let mut batch = first_import();
        batch.encounters.push(imported_stay(
            "enc-9",
            "pat-nowhere",
            EncounterKind::Inpatient,
            at(2025, 2, 1, 8),
            at(2025, 2, 3, 8),
        ));
        let err = fails_writing_nothing(store, || store.apply_import(batch));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        assert!(
            !store.has_imported(SourceRecord::Patient, "synthea", "pat-1").unwrap(),
            "the batch's patients neither"
        );
        assert!(!store.has_imported(SourceRecord::Encounter, "synthea", "enc-1").unwrap());
        assert!(store.provider_by_npi("1888888881").unwrap().is_none());
        assert_eq!(store.info().unwrap().patient_count, 9);
        assert!(family_search(store, "QUIST").is_empty());
        // The next import that can be written takes the first number still.
        let first_mrn = next_import_mrn(store, 0);
        store.apply_import(first_import()).unwrap();
        assert_eq!(family_search(store, "QUIST"), [first_mrn]);
        assert!(store.chart_completion("A25-000782").unwrap().is_some(), "the first account still");
    });
}

#[test]
fn an_import_batch_without_its_audit_event_is_refused_and_writes_nothing() {
    each_backend(|f| {
        let store = &*f.store;
        // The event is the batch's record and its instant: without one, nothing can be written.
        let batch = ImportBatch { audit: None, ..first_import() };
        fails_writing_nothing(store, || store.apply_import(batch));
        assert!(!store.has_imported(SourceRecord::Patient, "synthea", "pat-1").unwrap());
        assert!(store.provider_by_npi("1888888881").unwrap().is_none());
        assert_eq!(store.info().unwrap().patient_count, 9);
    });
}

#[test]
fn an_imported_stay_waiting_for_analysis_is_to_analyse_though_discharged_before_the_window() {
    each_backend(|f| {
        let store = &*f.store;
        store.apply_import(first_import()).unwrap();
        // A stay a batch wrote, discharged the same day as the import's waiting one (02/25).
        let mut batch = RecordBatch::default();
        batch.encounters.push(NewEncounter {
            patient_mrn: "100234".into(),
            account: "A25-009201".into(),
            kind: EncounterKind::Inpatient,
            facility_code: "RGH".into(),
            service: "MEDICINE".into(),
            admit_at: at(2025, 2, 20, 8),
            discharge_at: Some(at(2025, 2, 25, 16)),
            attending_npi: None,
        });
        store.insert_batch(batch, event("batch")).unwrap();
        let due = |after: Option<NaiveDate>, through: NaiveDate| -> Vec<String> {
            let mut accounts: Vec<String> =
                store.encounters_to_analyse(after, through).unwrap().into_iter().map(|e| e.account).collect();
            accounts.sort_unstable();
            accounts
        };
        assert_eq!(due(None, day(2025, 3, 3)), ["A25-000782", "A25-009201"]);
        // A run after 03/01 reaches no 02/25 discharge, except the one the import left waiting.
        assert_eq!(due(Some(day(2025, 3, 1)), day(2025, 3, 3)), ["A25-000782"]);
        // Not before it was discharged.
        assert!(due(Some(day(2025, 3, 1)), day(2025, 2, 24)).is_empty());
        // Analysed, it waits no more.
        let waiting = store.encounters_to_analyse(Some(day(2025, 3, 1)), day(2025, 3, 3)).unwrap();
        let analysed = chartroom::store::AnalysedChart {
            encounter_id: waiting[0].encounter_id,
            received_on: day(2025, 3, 3),
            status: ChartStatus::Complete,
            completed_on: Some(day(2025, 3, 3)),
            seeds: vec![],
        };
        store.record_analysis(vec![analysed], event("deficiency")).unwrap();
        assert!(due(Some(day(2025, 3, 1)), day(2025, 3, 3)).is_empty());
        assert_eq!(due(None, day(2025, 3, 3)), ["A25-009201"]);
    });
}

#[test]
fn an_account_sequence_a_batch_keeps_numbers_the_next_imported_visit() {
    each_backend(|f| {
        let store = &*f.store;
        let batch = RecordBatch { account_sequences: vec![("A25-".into(), 5000)], ..Default::default() };
        store.insert_batch(batch, event("batch")).unwrap();
        store.apply_import(first_import()).unwrap();
        assert!(store.chart_completion("A25-005001").unwrap().is_some(), "numbered on from the kept sequence");
        assert!(store.chart_completion("A25-000782").unwrap().is_none());
    });
}

fn rgh(store: &dyn Store) {
    let facility =
        NewFacility::validate("RGH", "Riverbend General Hospital", "TX", FacilityKind::Hospital, "America/Chicago")
            .unwrap();
    store.add_facility(facility, event("facility")).unwrap();
}

#[test]
fn a_bulk_load_into_an_empty_store_is_searchable_once_finished() {
    each_empty_backend(|f| {
        let store = &*f.store;
        rgh(store);
        store.begin_bulk_load().unwrap();
        let mut batch = RecordBatch::default();
        for i in 0..30 {
            batch.patients.push(patient(
                &format!("{}", 3_300_000 + i),
                "Bulkley",
                &format!("Given{i:02}"),
                "",
                (1980, 1, 1),
                None,
            ));
        }
        batch.encounters.push(NewEncounter {
            patient_mrn: "3300007".into(),
            account: "A25-000001".into(),
            kind: EncounterKind::Inpatient,
            facility_code: "RGH".into(),
            service: "MEDICINE".into(),
            admit_at: at(2025, 2, 1, 9),
            discharge_at: Some(at(2025, 2, 2, 9)),
            attending_npi: None,
        });
        let counts = store.insert_batch(batch, event("batch")).unwrap();
        assert_eq!((counts.patients, counts.encounters), (30, 1));
        store.finish_bulk_load().unwrap();
        assert_eq!(family_search(store, "BULKLEY").len(), 30);
        let dob = PatientLookup::Dob { exact: day(1980, 1, 1), swaps: vec![] };
        assert_eq!(store.search_patients(&dob, Page::first(50)).unwrap().rows.len(), 30);
        let by_account = store.search_patients(&PatientLookup::Account("A25-000001".into()), Page::first(5)).unwrap();
        assert_eq!(by_account.rows.iter().map(|r| r.mrn.as_str()).collect::<Vec<_>>(), ["3300007"]);
        assert_eq!(store.encounters_to_analyse(None, day(2025, 3, 3)).unwrap().len(), 1);
        assert_eq!(store.info().unwrap().patient_count, 30);
    });
}

#[test]
fn an_import_load_into_an_empty_store_is_found_again_once_finished() {
    each_empty_backend(|f| {
        let store = &*f.store;
        rgh(store);
        store.begin_import_load().unwrap();
        store.apply_import(first_import()).unwrap();
        store.finish_bulk_load().unwrap();
        assert!(store.has_imported(SourceRecord::Patient, "synthea", "pat-2").unwrap());
        assert!(store.has_imported(SourceRecord::Encounter, "synthea", "enc-2").unwrap());
        assert_eq!(family_search(store, "QUIST").len(), 1);
        // Imported again after the load: found by source id, not duplicated.
        let counts = store.apply_import(first_import()).unwrap();
        assert_eq!((counts.patients.created, counts.encounters.created), (0, 0));
        assert_eq!(store.info().unwrap().patient_count, 2);
    });
}

#[test]
fn a_bulk_or_import_load_is_refused_on_a_store_with_patients_and_leaves_it_working() {
    each_backend(|f| {
        let store = &*f.store;
        fails_writing_nothing(store, || store.begin_bulk_load());
        fails_writing_nothing(store, || store.begin_import_load());
        // Nothing was dropped: searches and writes go on as before.
        assert_eq!(family_search(store, "SMITH").len(), 4);
        let mut batch = RecordBatch::default();
        batch.patients.push(patient("3400001", "Afterload", "Ada", "", (1990, 1, 1), None));
        store.insert_batch(batch, event("batch")).unwrap();
        assert_eq!(family_search(store, "AFTERLOAD"), ["3400001"]);
    });
}

#[test]
fn finishing_a_bulk_load_is_safe_at_any_time() {
    each_backend(|f| {
        let store = &*f.store;
        let smiths = family_search(store, "SMITH");
        store.finish_bulk_load().unwrap();
        store.finish_bulk_load().unwrap();
        assert_eq!(family_search(store, "SMITH"), smiths);
        let mut batch = RecordBatch::default();
        batch.patients.push(patient("3400002", "Smithwick", "Al", "", (1990, 1, 1), None));
        store.insert_batch(batch, event("batch")).unwrap();
        assert_eq!(family_search(store, "SMITHWICK"), ["3400002"]);
    });
    each_empty_backend(|f| f.store.finish_bulk_load().unwrap());
}

#[test]
fn a_patient_or_chart_that_is_not_there_is_none() {
    each_backend(|f| {
        let store = &*f.store;
        assert!(by_mrn(store, "999999").is_none());
        let smith = by_mrn(store, "100234").unwrap();
        assert_eq!((smith.mrn.as_str(), smith.display_name().as_str()), ("100234", "SMITH, JOHN A"));
        assert_eq!(smith.ssn_last4.as_deref(), Some("4821"));
        let chart = store.load_chart(smith.patient_id).unwrap().unwrap();
        assert_eq!(chart.patient.patient_id, smith.patient_id);
        assert_eq!(chart.encounters.iter().map(|e| e.account.as_str()).collect::<Vec<_>>(), ["O25-000102"]);
        assert_eq!(chart.encounters[0].completion, None, "a clinic visit needs no analysis");
        assert!(chart.deficiencies.is_empty() && chart.volumes.is_empty());
        let unknown =
            (1..=20).map(|n| smith.patient_id + 1_000_000 * n).find(|id| store.load_chart(*id).unwrap().is_none());
        assert!(unknown.is_some(), "an id no patient has loads no chart");
    });
}
