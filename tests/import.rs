//! Importing the shared Synthea CSV sets (skipped, with the reason printed, when they are absent).

mod common;

use chartroom::store::imports::SourceRecord;
use chartroom::store::{AuditFilter, Page, PatientLookup};
use std::path::PathBuf;

fn shared(set: &str) -> Option<PathBuf> {
    common::shared_data(set)
}

#[test]
fn the_main_csv_set_imports_once_and_again_changes_nothing() {
    common::each_store_maker(|make| {
        let Some(dir) = shared("synthea-csv") else { return };
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let open_since = chrono::NaiveDate::from_ymd_opt(2022, 9, 1).unwrap();

        let dry = dhim.import_synthea_csv(&dir, None, open_since, true).unwrap();
        assert!(dry.rejections.is_empty(), "{:?}", dry.rejections);
        assert_eq!(dry.counts.patients.read, 115);
        assert!(
            f.store.search_patients(&PatientLookup::Last4("2392".into()), Page::first(5)).unwrap().rows.is_empty(),
            "a dry run writes nothing"
        );

        let first = dhim.import_synthea_csv(&dir, None, open_since, false).unwrap();
        assert!(first.rejections.is_empty(), "{:?}", first.rejections);
        let c = &first.counts;
        assert_eq!((c.patients.read, c.patients.created), (115, 115));
        assert_eq!((c.encounters.read, c.encounters.created), (4_402, 4_402));
        assert_eq!((c.providers.read, c.providers.created), (627, 627));
        assert_eq!((c.organizations.read, c.organizations.created), (193, 193));

        // Freeman822 Kessler503, SSN 999-23-2392: suffixes dropped, SSN reduced to last 4 and hash.
        let found = f.store.search_patients(&PatientLookup::Last4("2392".into()), Page::first(5)).unwrap();
        let freeman = found.rows.iter().find(|r| r.family == "Kessler").expect("Kessler imported");
        assert_eq!(freeman.given, "Freeman");
        assert!(freeman.mrn.as_str().starts_with('5') && freeman.mrn.as_str().len() == 7, "import MRNs from 5000000");
        let chart = f.store.load_chart(freeman.patient_id).unwrap().unwrap();
        assert!(chart.encounters.iter().all(|e| e.facility_code == "MAH"));

        let again = dhim.import_synthea_csv(&dir, None, open_since, false).unwrap();
        let c = &again.counts;
        assert_eq!((c.patients.created, c.patients.unchanged), (0, 115), "re-running changes nothing");
        assert_eq!((c.encounters.created, c.encounters.unchanged), (0, 4_402));
        assert_eq!(c.providers.created + c.organizations.created, 0);

        let events = f.store.list_audit(&AuditFilter { limit: 100, ..Default::default() }).unwrap();
        let imports: Vec<_> =
            events.iter().filter(|e| e.entity == "import" && !e.detail.contains(" batch: ")).collect();
        assert_eq!(imports.len(), 2, "one summary event per run");
        let batches = events.iter().filter(|e| e.entity == "import" && e.detail.contains(" batch: ")).count();
        assert_eq!(
            batches, 8,
            "and one per batch written: organizations and providers, patients, encounters, procedures"
        );
        assert!(
            imports.iter().any(|e| e.detail.starts_with("synthea-csv: organizations 193 new/0 updated/0 unchanged;")
                && e.detail.contains(" patients 115 new/0 updated/0 unchanged;")
                && e.detail.ends_with(" rejected 0")),
            "{imports:?}"
        );
        // Inpatient stays before the open-since day arrive as completed charts, not delinquent work.
        let summary = dhim.nightly(common::today(), None).unwrap();
        assert_eq!(summary.deficiencies_created, 0);
    });
}

#[test]
fn bad_rows_are_reported_and_the_rest_imports() {
    common::each_store_maker(|make| {
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
        dir.path().join("patients.csv"),
        "Id,BIRTHDATE,FIRST,LAST,GENDER,SSN\np1,1960-01-01,Ann1,Lee2,F,999-11-1111\np2,1960-13-01,Bo3,Ray4,M,\np3,1970-02-02,Cy5,Day6,X,\n",
    )
    .unwrap();
        std::fs::write(
        dir.path().join("encounters.csv"),
        "Id,START,STOP,PATIENT,ENCOUNTERCLASS\ne1,2020-01-01T10:00:00Z,2020-01-03T10:00:00Z,p1,inpatient\ne2,2020-01-01T10:00:00Z,,nobody,wellness\n",
    )
    .unwrap();
        let report = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
        let reasons: Vec<String> = report.rejections.iter().map(ToString::to_string).collect();
        assert_eq!(report.counts.patients.created, 1);
        assert_eq!(report.counts.encounters.created, 1);
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(
            reasons[0].ends_with("patients.csv:3: BIRTHDATE: \"1960-13-01\" is not a date (YYYY-MM-DD)"),
            "{reasons:?}"
        );
        assert!(reasons[1].ends_with("patients.csv:4: GENDER: \"X\" is not F or M"), "{reasons:?}");
        assert!(reasons[2].contains("unknown patient nobody"), "{reasons:?}");

        // Procedures: one of an unknown encounter, one with a bad date; the good one is written.
        std::fs::write(
            dir.path().join("procedures.csv"),
            "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION
2020-01-02T10:00:00Z,p1,e1,80146002,Appendectomy
         2020-01-02T10:00:00Z,p1,e9,80146002,Appendectomy
2020-01-32,p1,e1,80146002,Appendectomy
",
        )
        .unwrap();
        let report = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
        let reasons: Vec<String> = report.rejections.iter().map(ToString::to_string).collect();
        assert_eq!((report.counts.procedures.created, report.counts.procedures.rejected), (1, 2), "{reasons:?}");
        assert!(
            reasons.iter().any(|r| r.ends_with("procedures.csv:3: ENCOUNTER: a procedure of an unknown encounter e9"))
        );
        assert!(reasons.iter().any(|r| r.contains("procedures.csv:4: DATE: \"2020-01-32\" is not an instant")));
        std::fs::write(
            dir.path().join("procedures.csv"),
            "PATIENT,ENCOUNTER,CODE
p1,e1,1
",
        )
        .unwrap();
        let report = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
        let skipped = report.rejections.last().map(ToString::to_string).unwrap_or_default();
        assert!(
        skipped.ends_with(
            "procedures.csv:1: DATE or START: the header has no such column, which is required; the file was skipped"
        ),
        "{skipped}"
    );
        std::fs::remove_file(dir.path().join("procedures.csv")).unwrap();
        // --strict: the bad rows abort the whole import before anything is written.
        let strict = tempfile::tempdir().unwrap();
        for file in ["patients.csv", "encounters.csv"] {
            std::fs::copy(dir.path().join(file), strict.path().join(file)).unwrap();
        }
        let f2 = common::one_facility_store_on(make);
        let mode = chartroom::desk::import::ImportMode { dry_run: false, strict: true };
        let err = common::desk_for(&f2, "dhim")
            .import_synthea_csv_with(strict.path(), None, common::today(), mode, &mut |_| {})
            .unwrap_err();
        assert!(err.to_string().starts_with("--strict: nothing was imported; the first bad row is"), "{err}");
        assert!(
            f2.store.search_patients(&PatientLookup::Last4("1111".into()), Page::first(5)).unwrap().rows.is_empty()
        );
        // A file that is not what it claims is reported and skipped; the other files import.
        std::fs::write(dir.path().join("patients.csv"), "Id,FIRST\nx,y\n").unwrap();
        std::fs::write(dir.path().join("providers.csv"), "").unwrap();
        let report = dhim.import_synthea_csv(dir.path(), None, common::today(), false).unwrap();
        let reasons: Vec<String> = report.rejections.iter().map(ToString::to_string).collect();
        assert!(
            reasons.iter().any(|r| r.ends_with(
                "patients.csv:1: BIRTHDATE: the header has no such column, which is required; the file was skipped"
            )),
            "{reasons:?}"
        );
        assert!(reasons.iter().any(|r| r.ends_with("providers.csv:1: no header row (the file is empty); skipped")));
        assert_eq!(report.counts.encounters.unchanged, 1, "the encounters file still imports: {reasons:?}");
        let nowhere = tempfile::tempdir().unwrap();
        let err = dhim.import_synthea_csv(nowhere.path(), None, common::today(), false).unwrap_err();
        assert!(err.to_string().contains("no Synthea CSV export here"), "{err}");
        assert!(
            common::desk_for(&f, "dhim").import_synthea_csv(dir.path(), Some("XXX"), common::today(), false).is_err()
        );
    });
}

fn fhir_mode() -> chartroom::desk::import::ImportMode {
    chartroom::desk::import::ImportMode { dry_run: false, strict: false }
}

#[test]
fn the_fhir_bundles_import_with_their_notes_and_again_change_nothing() {
    common::each_store_maker(|make| {
        let Some(dir) = shared("synthea-fhir") else { return };
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let open_since = chrono::NaiveDate::from_ymd_opt(2022, 9, 1).unwrap();

        let first = dhim.import_fhir(std::slice::from_ref(&dir), None, open_since, fhir_mode(), &mut |_| {}).unwrap();
        assert!(first.rejections.is_empty(), "{:?}", first.rejections.first());
        let c = &first.counts;
        assert_eq!((c.patients.read, c.patients.created), (36, 36));
        assert_eq!((c.encounters.read, c.encounters.created), (681, 681));
        assert_eq!((c.documents.read, c.documents.created), (681, 681));
        assert_eq!((c.procedures.read, c.procedures.created), (370, 370));
        assert!(c.providers.created > 0 && c.organizations.created > 0);
        // The roles give the practitioners (who arrive without one) their specialty.
        assert_eq!((c.practitioner_roles.read, c.practitioner_roles.updated), (194, 194));
        let fisher = f.store.provider_by_npi("9999999989").unwrap().expect("practitioner 9999999989");
        assert_eq!((fisher.family.as_str(), fisher.specialty.as_str()), ("Fisher", "General Practice"));

        // Antone63 Simonis280, SSN 999-86-2761: suffixes dropped, SSN reduced to its last four.
        let rows = f.store.search_patients(&PatientLookup::Last4("2761".into()), Page::first(5)).unwrap().rows;
        let antone = rows.iter().find(|r| r.family == "Simonis").expect("Simonis imported");
        assert_eq!(antone.given, "Antone");
        // His ten notes arrive decoded, complete, with their text.
        let chart = f.store.load_chart(antone.patient_id).unwrap().unwrap();
        assert_eq!(chart.documents.len(), 10);
        assert!(chart.documents.iter().all(|d| d.status == chartroom::domain::chart::DocumentStatus::Completed));
        let texts: Vec<&str> = chart.documents.iter().filter_map(|d| d.text.as_deref()).collect();
        assert_eq!(texts.len(), 10);
        assert!(
            texts.iter().any(|t| t.contains("2012-10-19") && t.contains("# Chief Complaint")),
            "{:?}",
            texts.first()
        );

        let again = dhim.import_fhir(std::slice::from_ref(&dir), None, open_since, fhir_mode(), &mut |_| {}).unwrap();
        let c = &again.counts;
        assert_eq!((c.patients.created, c.encounters.created, c.documents.created), (0, 0, 0));
        assert_eq!(c.documents.unchanged, 681);
        assert_eq!((c.procedures.unchanged, c.practitioner_roles.unchanged), (370, 194));
    });
}

#[test]
fn csv_then_fhir_is_one_population() {
    common::each_store_maker(|make| {
        let (Some(csv), Some(fhir)) = (shared("synthea-csv"), shared("synthea-fhir")) else { return };
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let open_since = chrono::NaiveDate::from_ymd_opt(2022, 9, 1).unwrap();
        dhim.import_synthea_csv(&csv, None, open_since, false).unwrap();
        let report = dhim.import_fhir(std::slice::from_ref(&fhir), None, open_since, fhir_mode(), &mut |_| {}).unwrap();
        assert!(report.rejections.is_empty(), "{:?}", report.rejections.first());
        let c = &report.counts;
        // The FHIR patients are the CSV's: matched by Synthea id, not duplicated.
        assert_eq!(c.patients.created, 0, "{c:?}");
        assert_eq!(c.encounters.created, 0, "{c:?}");
        assert_eq!(c.documents.created, 681);
        // The FHIR export's procedures are the CSV's (same encounter, instant and code); its Locations
        // are its Organizations; its spellings keep the commas the CSV export dropped.
        assert_eq!((c.procedures.read, c.procedures.created), (370, 0), "{c:?}");
        assert_eq!((c.locations.read, c.locations.created), (193, 0), "{c:?}");
        assert_eq!(c.organizations.updated, 21, "{c:?}");
        assert_eq!(count_in(&f, "SELECT count(*) FROM location"), 193);
        assert_eq!(
            count_in(&f, "SELECT count(*) FROM location WHERE name = 'SOUTHCOAST HOSPITAL GROUP, INC'"),
            1,
            "the fuller spelling is kept"
        );
        // Either export again, in either order, changes nothing.
        let fhir_again =
            dhim.import_fhir(std::slice::from_ref(&fhir), None, open_since, fhir_mode(), &mut |_| {}).unwrap();
        let csv_again = dhim.import_synthea_csv(&csv, None, open_since, false).unwrap();
        for c in [&fhir_again.counts, &csv_again.counts] {
            let changed =
                [c.organizations, c.locations, c.providers, c.patients, c.encounters, c.procedures, c.documents]
                    .iter()
                    .map(|k| k.created + k.updated)
                    .sum::<usize>();
            assert_eq!(changed, 0, "{c:?}");
        }
    });
}

/// One number from the fixture's database, read where the data lives.
fn count_in(f: &common::Fixture, sql: &str) -> i64 {
    let column = strings_in(f, sql);
    column.first().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{sql} gave {column:?}"))
}

/// The first column of every row `sql` finds, as text, read where the data lives.
fn strings_in(f: &common::Fixture, sql: &str) -> Vec<String> {
    if let Some(database) = &f.pg {
        return common::pg::exec(database, sql).unwrap();
    }
    let db =
        f.dir.path().read_dir().unwrap().flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "db"));
    let Some(db) = db else { panic!("no .db file in the fixture") };
    let db = rusqlite::Connection::open(db).unwrap();
    let mut stmt = db.prepare(sql).unwrap();
    stmt.query_map([], |r| {
        Ok(match r.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(n) => n.to_string(),
            other => other.as_str().unwrap_or_default().to_string(),
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn imported_open_stays_are_analysed_and_their_operations_want_reports() {
    common::each_store_maker(|make| {
        let Some(dir) = shared("synthea-csv") else { return };
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        // Everything discharged since 2000 arrives open: 61 of the 67 stays (data-mapping.md; checked
        // against the CSV by hand), 11 of them with an operation on file and no operative report.
        let open_since = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
        let report = dhim.import_synthea_csv(&dir, None, open_since, false).unwrap();
        assert_eq!((report.counts.procedures.read, report.counts.procedures.created), (3_219, 3_219));
        let summary = dhim.nightly(common::today(), None).unwrap();
        assert_eq!(summary.encounters_analysed, 61, "stays discharged years before the first run are analysed");
        assert_eq!(count_in(&f, "SELECT count(*) FROM deficiency WHERE type_code = 'DS-D'"), 61);
        assert_eq!(count_in(&f, "SELECT count(*) FROM deficiency WHERE type_code = 'OP-D'"), 11);
        // An operative report's clock starts at the operation (its day in UTC, as stored), not the
        // discharge.
        let operation_day =
            if f.pg.is_some() { "(p.performed_at AT TIME ZONE 'UTC')::date" } else { "substr(p.performed_at, 1, 10)" };
        assert_eq!(
            count_in(
                &f,
                &format!(
                    "SELECT count(*) FROM deficiency d WHERE d.type_code = 'OP-D' AND EXISTS (
                     SELECT 1 FROM encounter_procedure p
                     WHERE p.encounter_id = d.encounter_id AND d.event_on = {operation_day})"
                )
            ),
            11
        );
        let again = dhim.nightly(common::today(), None).unwrap();
        assert_eq!((again.encounters_analysed, again.deficiencies_created), (0, 0), "analysed once");
        // The chart shows the operation beside the stay that wants its report.
        let patient: i64 = count_in(
            &f,
            "SELECT e.patient_id FROM deficiency d JOIN encounter e ON e.id = d.encounter_id
         WHERE d.type_code = 'OP-D' ORDER BY d.id LIMIT 1",
        );
        let chart = f.store.load_chart(patient).unwrap().unwrap();
        let wanting = chart.deficiencies.iter().find(|d| d.type_code == "OP-D").expect("an OP-D on the chart");
        assert!(chart.procedures.iter().any(|p| p.operation && p.account == wanting.account), "{:?}", chart.procedures);
    });
}

#[test]
fn a_broken_bundle_is_reported_and_the_rest_imported() {
    common::each_store_maker(|make| {
        let Some(dir) = shared("synthea-fhir") else { return };
        let scratch = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(&dir).unwrap().flatten().take(3) {
            std::fs::copy(entry.path(), scratch.path().join(entry.file_name())).unwrap();
        }
        std::fs::write(scratch.path().join("zz-truncated.json"), "{\"resourceType\":\"Bundle\",\"entry\":[").unwrap();
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let open_since = chrono::NaiveDate::from_ymd_opt(2022, 9, 1).unwrap();
        let strict = chartroom::desk::import::ImportMode { dry_run: false, strict: true };
        assert!(
            dhim.import_fhir(&[scratch.path().to_path_buf()], None, open_since, strict, &mut |_| {}).is_err(),
            "--strict refuses"
        );
        let report =
            dhim.import_fhir(&[scratch.path().to_path_buf()], None, open_since, fhir_mode(), &mut |_| {}).unwrap();
        assert_eq!(report.rejections.len(), 1);
        assert!(report.rejections[0].file.ends_with("zz-truncated.json"));
        // A file far larger than any bundle is refused before it is read (sparse: costs no disk).
        let huge = scratch.path().join("zz-huge.json");
        std::fs::File::create(&huge).unwrap().set_len(300 * 1_048_576).unwrap();
        let report = dhim.import_fhir(&[huge], None, open_since, fhir_mode(), &mut |_| {}).unwrap();
        assert_eq!(report.rejections.len(), 1);
        assert!(
            report.rejections[0].reason.starts_with("300 MB is too large for one bundle"),
            "{:?}",
            report.rejections
        );
    });
}

#[test]
fn notes_procedures_and_roles_that_refer_nowhere_are_reported_alone() {
    common::each_store_maker(|make| {
        let scratch = tempfile::tempdir().unwrap();
        let bundle = serde_json::json!({"resourceType": "Bundle", "type": "transaction", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Lee1", "given": ["Ann2"]}],
                          "birthDate": "1950-02-03", "gender": "female"}},
            {"resource": {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "urn:uuid:p1"},
                          "class": {"code": "IMP"}, "period": {"start": "2020-01-01T08:00:00-05:00",
                          "end": "2020-01-03T08:00:00-05:00"}}},
            {"resource": {"resourceType": "Procedure", "id": "x1", "status": "completed",
                          "code": {"coding": [{"system": "http://snomed.info/sct", "code": "80146002"}], "text": "Appendectomy"},
                          "encounter": {"reference": "urn:uuid:e1"}, "performedPeriod": {"start": "2020-01-02T09:00:00-05:00"}}},
            {"resource": {"resourceType": "Procedure", "id": "x2", "status": "completed",
                          "code": {"coding": [{"code": "80146002"}]},
                          "encounter": {"reference": "urn:uuid:gone"}, "performedDateTime": "2020-01-02T09:00:00-05:00"}},
            {"resource": {"resourceType": "DocumentReference", "id": "d1", "date": "2020-01-02T09:00:00-05:00",
                          "context": {"encounter": [{"reference": "urn:uuid:gone"}]}}},
            {"resource": {"resourceType": "PractitionerRole", "id": "r1",
                          "practitioner": {"identifier": {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}},
                          "specialty": [{"text": "Surgery"}]}}
        ]});
        std::fs::write(scratch.path().join("b.json"), bundle.to_string()).unwrap();
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let report =
            dhim.import_fhir(&[scratch.path().to_path_buf()], None, common::today(), fhir_mode(), &mut |_| {}).unwrap();
        let c = &report.counts;
        assert_eq!((c.patients.created, c.encounters.created, c.procedures.created), (1, 1, 1), "{c:?}");
        assert_eq!((c.procedures.rejected, c.documents.rejected, c.practitioner_roles.rejected), (1, 1, 1), "{c:?}");
        let places: Vec<_> = report.rejections.iter().map(|r| r.column.clone().unwrap_or_default()).collect();
        assert_eq!(places, ["entry[5]", "entry[3]", "entry[4]"], "{:?}", report.rejections);
        assert!(report.rejections[1].reason.contains("its encounter gone is unknown"));
    });
}

#[test]
fn a_note_awaiting_signature_arrives_unsigned_and_is_signed_by_a_later_feed() {
    common::each_store_maker(|make| {
        let scratch = tempfile::tempdir().unwrap();
        let bundle = |doc_status: &str| {
            serde_json::json!({"resourceType": "Bundle", "type": "batch", "entry": [
            {"resource": {"resourceType": "Patient", "id": "p1", "name": [{"family": "Lee1", "given": ["Ann2"]}],
                          "birthDate": "1950-02-03"}},
            {"resource": {"resourceType": "Encounter", "id": "e1", "subject": {"reference": "Patient/p1"},
                          "class": {"code": "IMP"}, "period": {"start": "2020-01-01T08:00:00Z", "end": "2020-01-03T08:00:00Z"}}},
            {"resource": {"resourceType": "DocumentReference", "id": "d1", "status": "current", "docStatus": doc_status,
                          "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5", "display": "Discharge summary"}]},
                          "date": "2020-01-03T09:00:00Z", "context": {"encounter": [{"reference": "urn:uuid:e1"}]}}}
        ]})
        .to_string()
        };
        let path = scratch.path().join("b.json");
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let import = || dhim.import_fhir(std::slice::from_ref(&path), None, common::today(), fhir_mode(), &mut |_| {});
        std::fs::write(&path, bundle("preliminary")).unwrap();
        assert_eq!(import().unwrap().counts.documents.created, 1);
        let status = || {
            count_in(
                &f,
                "SELECT count(*) FROM document WHERE status = 'UNSIGNED' AND signed_at IS NULL AND doc_type = 'DS'",
            )
        };
        assert_eq!(status(), 1, "preliminary: awaiting a signature");
        std::fs::write(&path, bundle("final")).unwrap();
        assert_eq!(import().unwrap().counts.documents.updated, 1);
        assert_eq!(status(), 0);
        assert_eq!(
            count_in(&f, "SELECT count(*) FROM document WHERE status = 'COMPLETED' AND signed_at IS NOT NULL"),
            1
        );
        assert_eq!(import().unwrap().counts.documents.unchanged, 1);
    });
}

#[test]
fn imported_mrns_step_over_the_numbers_a_store_already_uses() {
    common::each_store_maker(|make| {
        let f = common::one_facility_store_on(make);
        // A demo store scatters its MRNs through the 7-digit space: 5000000 and 5000002 are taken.
        let mut batch = chartroom::store::RecordBatch::default();
        batch.patients.push(common::patient("5000000", "Demo", "One", "", (1950, 1, 1), None));
        batch.patients.push(common::patient("5000002", "Demo", "Two", "", (1950, 1, 1), None));
        f.store.insert_batch(batch, common::event("batch")).unwrap();
        let dhim = common::desk_for(&f, "dhim");
        let dir = tempfile::tempdir().unwrap();
        let import = |rows: &str| {
            std::fs::write(dir.path().join("patients.csv"), format!("Id,BIRTHDATE,FIRST,LAST,GENDER\n{rows}")).unwrap();
            dhim.import_synthea_csv(dir.path(), None, common::today(), false).unwrap()
        };
        import("p1,1960-01-01,Ann1,Lee2,F\np2,1960-01-01,Bo1,Lee2,M\np3,1960-01-01,Cy1,Lee2,M\n");
        import("p4,1960-01-01,Di1,Lee2,F\n");
        let mrn = |given: &str| {
            let found = dhim.search(&format!("lee,{given}"), Page::first(5)).unwrap().page.rows;
            found.iter().find(|r| r.given == given).map(|r| r.mrn.as_str().to_string()).unwrap_or_default()
        };
        assert_eq!([mrn("Ann"), mrn("Bo"), mrn("Cy"), mrn("Di")], ["5000001", "5000003", "5000004", "5000005"]);
    });
}

#[test]
fn the_command_writes_rejects_and_exits_non_zero() {
    let Some(dir) = shared("synthea-fhir") else { return };
    let scratch = tempfile::tempdir().unwrap();
    let one = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("Antone63"))
        .unwrap();
    let broken = scratch.path().join("broken.json");
    std::fs::write(&broken, b"\xff\xfe not json").unwrap();
    let data_dir = scratch.path().join("data");
    let rejects = scratch.path().join("rejects.tsv");
    let chartroom = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chartroom"))
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .output()
            .unwrap()
    };
    let demo = chartroom(&["demo".as_ref(), "--patients".as_ref(), "20".as_ref()]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = chartroom(&[
        "import".as_ref(),
        "fhir".as_ref(),
        one.as_os_str(),
        broken.as_os_str(),
        "--facility".as_ref(),
        "RGH".as_ref(),
        "--rejects".as_ref(),
        rejects.as_os_str(),
        "--into-demo".as_ref(),
        "--json".as_ref(),
    ]);
    assert!(!out.status.success(), "a rejected file makes the exit status non-zero");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["counts"]["patients"]["created"], 1);
    assert_eq!(summary["counts"]["documents"]["created"], 10, "{summary}");
    let written = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}");
    assert!(written.contains("broken.json") && written.contains("not UTF-8"), "{written}");
}

/// Killed with SIGKILL between batches, the import leaves whole batches; run again, it completes
/// with every patient once and each with its source id.
#[test]
fn an_import_killed_midway_completes_cleanly_when_rerun() {
    use std::io::Write;
    let scratch = tempfile::tempdir().unwrap();
    let export = scratch.path().join("export");
    std::fs::create_dir_all(&export).unwrap();
    let patients = 50_000;
    let mut out = std::io::BufWriter::new(std::fs::File::create(export.join("patients.csv")).unwrap());
    writeln!(out, "Id,BIRTHDATE,FIRST,LAST,GENDER,SSN").unwrap();
    for n in 0..patients {
        writeln!(
            out,
            "p-{n:08},19{:02}-01-{:02},Ann{n},Smith{},F,999-{:02}-{:04}",
            n % 100,
            1 + n % 28,
            n % 97,
            n % 100,
            n % 10_000
        )
        .unwrap();
    }
    drop(out);
    let data_dir = scratch.path().join("data");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chartroom"))
            .arg("--data-dir")
            .arg(&data_dir)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["init", "--empty"]).status.success());
    let add = run(&[
        "facility",
        "add",
        "MAH",
        "--name",
        "Mount Auburn",
        "--state",
        "MA",
        "--kind",
        "hospital",
        "--tz",
        "America/New_York",
    ]);
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));

    // The first batch is written; kill before the import can finish.
    killed_at(&data_dir, &["import", "synthea-csv", &export.display().to_string()], "patients: 5000");

    let db = rusqlite::Connection::open(data_dir.join("chartroom.db")).unwrap();
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let written = count("SELECT count(*) FROM patient");
    assert!(written >= 5_000 && written < patients as i64, "killed midway: {written} written");
    assert_eq!(written % 5_000, 0, "only whole batches");
    assert_eq!(count("SELECT count(*) FROM patient_source_id"), written);
    // Every patient written is covered by the audit event of its batch, written with it: the
    // events name the lines of patients.csv they carried (patient p-n is on line n + 2).
    let mut spans: Vec<(u64, u64)> = Vec::new();
    let mut stmt = db.prepare("SELECT detail FROM audit_event WHERE entity = 'import'").unwrap();
    for detail in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        let detail = detail.unwrap();
        let Some(lines) = detail.strip_prefix("synthea-csv batch: patients.csv lines ") else { continue };
        let (span, carried) = lines.split_once(": ").unwrap();
        let (first, last) = span.split_once('-').unwrap();
        assert_eq!(carried, format!("{} patients", last.parse::<u64>().unwrap() - first.parse::<u64>().unwrap() + 1));
        spans.push((first.parse().unwrap(), last.parse().unwrap()));
    }
    let mut stmt = db.prepare("SELECT value FROM patient_source_id").unwrap();
    for id in stmt.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        let line = id.unwrap().trim_start_matches("p-").parse::<u64>().unwrap() + 2;
        assert!(spans.iter().any(|(first, last)| (*first..=*last).contains(&line)), "line {line} has no event");
    }
    assert_eq!(spans.len() as i64, written / 5_000, "one event per batch written, no more");
    drop(stmt);

    let rerun = std::process::Command::new(env!("CARGO_BIN_EXE_chartroom"))
        .arg("--data-dir")
        .arg(&data_dir)
        .args(["import", "synthea-csv", "--json"])
        .arg(&export)
        .output()
        .unwrap();
    assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&rerun.stdout).unwrap();
    assert_eq!(summary["counts"]["patients"]["unchanged"], written);
    assert_eq!(summary["counts"]["patients"]["created"], patients as i64 - written);
    assert_eq!(count("SELECT count(*) FROM patient"), patients as i64);
    assert_eq!(count("SELECT count(*) FROM patient_source_id"), patients as i64);
}

/// Inpatient stays in the store, counted where the data lives.
fn inpatient_stays(f: &common::Fixture) -> i64 {
    count_in(f, "SELECT count(*) FROM encounter WHERE kind = 'INPATIENT'")
}

#[test]
fn the_v3_set_and_the_inpatient_counts_of_every_set() {
    common::each_store_maker(|make| {
        let (Some(csv), Some(v3), Some(fhir)) =
            (shared("synthea-csv"), shared("synthea-csv-dbt-apache2"), shared("synthea-fhir"))
        else {
            return;
        };
        let open_since = chrono::NaiveDate::from_ymd_opt(2022, 9, 1).unwrap();

        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let report = dhim.import_synthea_csv(&v3, None, open_since, false).unwrap();
        assert!(report.rejections.is_empty(), "{:?}", report.rejections.first());
        let c = &report.counts;
        assert_eq!(
            (c.patients.created, c.encounters.created, c.providers.created, c.organizations.created),
            (27, 604, 166, 63)
        );
        assert_eq!(c.procedures.created, 249, "the v3 layout dates procedures by START");
        assert_eq!(inpatient_stays(&f), 11);

        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        dhim.import_synthea_csv(&csv, None, open_since, false).unwrap();
        assert_eq!(inpatient_stays(&f), 67);

        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        dhim.import_fhir(std::slice::from_ref(&fhir), None, open_since, fhir_mode(), &mut |_| {}).unwrap();
        assert_eq!(inpatient_stays(&f), 17);
    });
}

#[test]
fn encounters_may_come_in_a_later_export_than_their_patients() {
    common::each_store_maker(|make| {
        let Some(dir) = shared("synthea-csv") else { return };
        let scratch = tempfile::tempdir().unwrap();
        let (first, later) = (scratch.path().join("first"), scratch.path().join("later"));
        std::fs::create_dir_all(&first).unwrap();
        std::fs::create_dir_all(&later).unwrap();
        for file in ["organizations.csv", "providers.csv", "patients.csv"] {
            std::fs::copy(dir.join(file), first.join(file)).unwrap();
        }
        std::fs::copy(dir.join("encounters.csv"), later.join("encounters.csv")).unwrap();
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let open_since = chrono::NaiveDate::from_ymd_opt(2022, 9, 1).unwrap();
        dhim.import_synthea_csv(&first, None, open_since, false).unwrap();
        let report = dhim.import_synthea_csv(&later, None, open_since, false).unwrap();
        assert!(report.rejections.is_empty(), "{:?}", report.rejections.first());
        assert_eq!(report.counts.encounters.created, 4_402);
        assert!(!f.store.has_imported(SourceRecord::Patient, "synthea", "no-such-patient").unwrap());
    });
}

/// Past 999,999 visits of a kind in a year, accounts grow a digit instead of running out; the new
/// account is found at the Find prompt as typed.
#[test]
fn accounts_past_999999_get_seven_digits_and_are_found() {
    common::each_store_maker(|make| {
        let f = common::one_facility_store_on(make);
        // A store that has numbered its 2025 admissions up to 999,999 (a demo of millions keeps how far).
        let mut batch = chartroom::store::RecordBatch::default();
        batch.patients.push(common::patient("5100000", "Demo", "One", "", (1950, 1, 1), None));
        batch.encounters.push(chartroom::store::records::NewEncounter {
            patient_mrn: "5100000".into(),
            account: "A25-999999".into(),
            kind: chartroom::domain::chart::EncounterKind::Inpatient,
            facility_code: "MAH".into(),
            service: "MED".into(),
            admit_at: "2025-01-02T08:00:00Z".parse().unwrap(),
            discharge_at: None,
            attending_npi: None,
        });
        batch.account_sequences.push(("A25-".into(), 999_999));
        f.store.insert_batch(batch, common::event("batch")).unwrap();

        let dhim = common::desk_for(&f, "dhim");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("patients.csv"), "Id,BIRTHDATE,FIRST,LAST,GENDER\np1,1960-01-01,Ann,Wide,F\n")
            .unwrap();
        std::fs::write(
            dir.path().join("encounters.csv"),
            "Id,START,STOP,PATIENT,ENCOUNTERCLASS\n\
         e1,2025-03-01T06:00:00Z,2025-03-04T06:00:00Z,p1,inpatient\n\
         e2,2025-02-01T06:00:00Z,2025-02-03T06:00:00Z,p1,inpatient\n\
         e3,2024-05-01T06:00:00Z,2024-05-03T06:00:00Z,p1,inpatient\n",
        )
        .unwrap();
        let report = dhim.import_synthea_csv(dir.path(), None, common::today(), false).unwrap();
        assert!(report.rejections.is_empty(), "{:?}", report.rejections);
        assert_eq!(report.counts.encounters.created, 3);
        let accounts = strings_in(&f, "SELECT account FROM encounter ORDER BY id");
        assert_eq!(accounts, ["A25-999999", "A25-1000000", "A25-1000001", "A24-000001"]);
        // Typed in any case, the wide account is an account number, not a name.
        let found = dhim.search("a25-1000001", Page::first(5)).unwrap();
        assert_eq!(found.page.rows.len(), 1, "{found:?}");
        assert_eq!(found.page.rows[0].family, "Wide");

        // The next import numbers on from the kept sequence, not from the greatest string (A25-999999).
        std::fs::write(
            dir.path().join("encounters.csv"),
            "Id,START,STOP,PATIENT,ENCOUNTERCLASS\ne4,2025-02-20T06:00:00Z,2025-02-21T06:00:00Z,p1,inpatient\n",
        )
        .unwrap();
        std::fs::remove_file(dir.path().join("patients.csv")).unwrap();
        let again = dhim.import_synthea_csv(dir.path(), None, common::today(), false).unwrap();
        assert_eq!(again.counts.encounters.created, 1, "{:?}", again.rejections);
        let found = dhim.search("A25-1000002", Page::first(5)).unwrap();
        assert_eq!(found.page.rows.len(), 1);
    });
}

/// Every batch of a demo is written with its audit event, and so is marking the store a demo.
#[test]
fn a_demo_writes_each_batch_with_its_event() {
    let f = common::sqlite_empty();
    chartroom::desk::ensure_founder(&*f.store, "dhim", "local", common::clock().now).unwrap();
    let dhim = common::desk_for(&f, "dhim");
    let options = chartroom::demo::DemoOptions { patients: 12_000, seed: 3, today: common::today() };
    let counts = chartroom::demo::populate(&dhim, &common::key(), &options, &mut |_, _| {}).unwrap();
    let events = f.store.list_audit(&AuditFilter { limit: 1_000, ..Default::default() }).unwrap();
    let details: Vec<&str> = events.iter().filter(|e| e.entity == "store").map(|e| e.detail.as_str()).collect();
    for batch in ["patients 1 to 5000 of 12000", "patients 5001 to 10000 of 12000", "patients 10001 to 12000 of 12000"]
    {
        assert!(details.iter().any(|d| d.starts_with(&format!("demo hospital: {batch}"))), "{batch}: {details:?}");
    }
    assert!(details.iter().any(|d| d.starts_with("demo hospital: 12000 patients, seed 3")), "{details:?}");
    assert!(details.iter().any(|d| d.starts_with(&format!("demo hospital: patients={}", counts.patients))));
}

/// A demo killed part way leaves nothing at the store's path; the next demo removes the dead
/// build and makes the store whole.
#[test]
fn a_killed_demo_leaves_no_half_built_store() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    let chartroom = || {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_chartroom"));
        c.arg("--data-dir").arg(&data_dir);
        c
    };
    // The first batches are written; kill before the demo can finish.
    killed_at(&data_dir, &["demo", "--patients", "200000"], "/ 200000 patients");
    let store = data_dir.join("chartroom.db");
    assert!(!store.exists(), "no half-built store at the store's path");
    let builds = || {
        std::fs::read_dir(&data_dir)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("chartroom.db.building-"))
            .count()
    };
    assert!(builds() > 0, "the killed build is beside it");

    let again = chartroom().args(["demo", "--patients", "30"]).output().unwrap();
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(store.exists());
    assert_eq!(builds(), 0, "the dead build is removed and the new one moved into place");
    let db = rusqlite::Connection::open(&store).unwrap();
    let patients: i64 = db.query_row("SELECT count(*) FROM patient", [], |r| r.get(0)).unwrap();
    assert!(patients >= 30, "{patients}");
}

#[test]
fn dates_no_one_can_have_are_refused_by_the_desk_clock_and_read_counts_every_row() {
    common::each_store_maker(|make| {
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let dir = tempfile::tempdir().unwrap();
        // The desk's day is 2025-03-03: a birth on the 4th is in its future, whatever the host's clock says.
        std::fs::write(
            dir.path().join("patients.csv"),
            "Id,BIRTHDATE,DEATHDATE,FIRST,LAST,GENDER\n\
         p1,1960-01-01,,Ann1,Lee2,F\n\
         p2,1800-01-01,,Old1,Ray2,M\n\
         p3,2999-01-01,,Late1,Day2,F\n\
         p4,+262142-01-01,,Far1,Off2,F\n\
         p5,2025-03-04,,Soon1,Born2,F\n\
         p6,1950-01-01,2025-03-04,Not1,Yet2,M\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("encounters.csv"),
            "Id,START,STOP,PATIENT,ENCOUNTERCLASS\n\
         e1,2025-03-04T10:00:00Z,,p1,emergency\n\
         e2,2025-03-05T10:00:00Z,,p1,emergency\n",
        )
        .unwrap();
        let report = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
        let reasons: Vec<String> = report.rejections.iter().map(ToString::to_string).collect();
        let expected = [
            "patients.csv:3: BIRTHDATE: a birth date of 1800-01-01 is before 1900-01-01",
            "patients.csv:4: BIRTHDATE: a birth date of 2999-01-01 is after today (2025-03-03)",
            "patients.csv:5: BIRTHDATE: a birth date of +262142-01-01 is after today (2025-03-03)",
            "patients.csv:6: BIRTHDATE: a birth date of 2025-03-04 is after today (2025-03-03)",
            "patients.csv:7: DEATHDATE: a death date of 2025-03-04 is after today (2025-03-03)",
            "encounters.csv:3: START: a visit date of 2025-03-05 is after tomorrow (2025-03-04)",
        ];
        assert_eq!(reasons.len(), expected.len(), "{reasons:?}");
        for (reason, want) in reasons.iter().zip(expected) {
            assert!(reason.ends_with(want), "{reason} should end with {want}");
        }
        let c = &report.counts;
        assert_eq!((c.patients.read, c.patients.created, c.patients.rejected), (6, 1, 5), "read is every row read");
        assert_eq!((c.encounters.read, c.encounters.created, c.encounters.rejected), (2, 1, 1));
        // A dry run counts the same.
        let dry = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), true).unwrap();
        assert_eq!((dry.counts.patients.read, dry.counts.patients.rejected), (6, 5));
    });
}

#[test]
fn an_import_into_a_store_of_several_facilities_lists_their_codes() {
    common::each_store_maker(|make| {
        let f = common::one_facility_store_on(make);
        let second = chartroom::domain::chart::NewFacility::validate(
            "CHA",
            "Cambridge Health",
            "MA",
            chartroom::domain::chart::FacilityKind::Hospital,
            "America/New_York",
        )
        .unwrap();
        f.store.add_facility(second, common::event("facility")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("patients.csv"), "Id,BIRTHDATE,FIRST,LAST,GENDER\np1,1960-01-01,Ann1,Lee2,F\n")
            .unwrap();
        let err =
            common::desk_for(&f, "dhim").import_synthea_csv(dir.path(), None, common::today(), false).unwrap_err();
        assert_eq!(err.to_string(), "the store has several facilities: name one with --facility (MAH, CHA)");
    });
}

/// A store made with `init --empty` and one facility, at `data_dir`, driven through the binary.
fn empty_store_at(data_dir: &std::path::Path) -> impl Fn(&[&str]) -> std::process::Output + '_ {
    let run = move |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chartroom"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["init", "--empty"]).status.success());
    let add = run(&[
        "facility",
        "add",
        "MAH",
        "--name",
        "Mount Auburn",
        "--state",
        "MA",
        "--kind",
        "hospital",
        "--tz",
        "America/New_York",
    ]);
    assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
    run
}

/// Into an empty store an import builds the source-id index after its encounters. Killed before
/// then, it leaves whole batches; the store rebuilds the index when it next opens, and a rerun
/// finds every encounter written and writes the rest, each once.
#[test]
fn an_import_into_an_empty_store_killed_among_its_encounters_completes_when_rerun() {
    use std::io::Write;
    let scratch = tempfile::tempdir().unwrap();
    let export = scratch.path().join("export");
    std::fs::create_dir_all(&export).unwrap();
    let (patients, per_patient) = (2_000, 15);
    let mut out = std::io::BufWriter::new(std::fs::File::create(export.join("patients.csv")).unwrap());
    writeln!(out, "Id,BIRTHDATE,FIRST,LAST,GENDER").unwrap();
    for n in 0..patients {
        writeln!(out, "p-{n:06},19{:02}-01-{:02},Ann{n},Smith{},F", n % 100, 1 + n % 28, n % 97).unwrap();
    }
    drop(out);
    let mut out = std::io::BufWriter::new(std::fs::File::create(export.join("encounters.csv")).unwrap());
    writeln!(out, "Id,START,STOP,PATIENT,ENCOUNTERCLASS").unwrap();
    for n in 0..patients {
        for k in 0..per_patient {
            // Ids that do not sort in the order they come, as Synthea's UUIDs do not.
            let id = (n * per_patient + k) * 7_919 % 1_000_003;
            writeln!(
                out,
                "e-{id:07},20{:02}-03-04T10:00:00Z,20{:02}-03-04T10:30:00Z,p-{n:06},ambulatory",
                k + 1,
                k + 1
            )
            .unwrap();
        }
    }
    drop(out);
    let total = (patients * per_patient) as i64;
    let data_dir = scratch.path().join("data");
    let run = empty_store_at(&data_dir);

    // The first batch of encounters is written; kill before the import can finish.
    killed_at(&data_dir, &["import", "synthea-csv", &export.display().to_string()], "encounters: 5000");

    let db = rusqlite::Connection::open(data_dir.join("chartroom.db")).unwrap();
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let index = "SELECT count(*) FROM sqlite_master WHERE name = 'encounter_source_id_value'";
    assert_eq!(count(index), 0, "killed before the import built its index");
    let written = count("SELECT count(*) FROM encounter");
    assert!(written >= 5_000 && written < total, "killed midway: {written} written");
    assert_eq!(written % 5_000, 0, "only whole batches");
    assert_eq!(count("SELECT count(*) FROM encounter_source_id"), written);
    drop(db);

    let rerun = run(&["import", "synthea-csv", "--json", export.to_str().unwrap()]);
    assert!(rerun.status.success(), "{}", String::from_utf8_lossy(&rerun.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&rerun.stdout).unwrap();
    assert_eq!(summary["counts"]["encounters"]["unchanged"], written);
    assert_eq!(summary["counts"]["encounters"]["created"], total - written);
    let db = rusqlite::Connection::open(data_dir.join("chartroom.db")).unwrap();
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count(index), 1, "the index is built again");
    assert_eq!(count("SELECT count(*) FROM encounter"), total);
    assert_eq!(count("SELECT count(DISTINCT value) FROM encounter_source_id"), total);
}

/// An export that repeats an encounter's row, imported into an empty store (where the store is
/// told which encounters are new rather than looking): the repeat is the same encounter.
#[test]
fn a_repeated_encounter_row_into_an_empty_store_is_one_encounter() {
    let scratch = tempfile::tempdir().unwrap();
    let export = scratch.path().join("export");
    std::fs::create_dir_all(&export).unwrap();
    std::fs::write(export.join("patients.csv"), "Id,BIRTHDATE,FIRST,LAST,GENDER\np-1,1960-01-02,Ann,Smith,F\n")
        .unwrap();
    std::fs::write(
        export.join("encounters.csv"),
        "Id,START,STOP,PATIENT,ENCOUNTERCLASS\n\
         e-1,2020-03-04T10:00:00Z,2020-03-04T10:30:00Z,p-1,ambulatory\n\
         e-2,2021-03-04T10:00:00Z,2021-03-04T10:30:00Z,p-1,ambulatory\n\
         e-1,2020-03-04T10:00:00Z,2020-03-04T10:30:00Z,p-1,ambulatory\n",
    )
    .unwrap();
    let data_dir = scratch.path().join("data");
    let run = empty_store_at(&data_dir);
    let import = run(&["import", "synthea-csv", "--json", export.to_str().unwrap()]);
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&import.stdout).unwrap();
    assert_eq!(summary["counts"]["encounters"]["created"], 2);
    assert_eq!(summary["counts"]["encounters"]["unchanged"], 1);
    let db = rusqlite::Connection::open(data_dir.join("chartroom.db")).unwrap();
    let count = |sql: &str| db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT count(*) FROM encounter"), 2);
    assert_eq!(count("SELECT count(*) FROM encounter_source_id"), 2);
}

/// A demo into an existing store (`init --empty` and a facility) writes in place; killed part way,
/// the command it printed before writing removes what it wrote, leaving the store as it was.
/// A demo that finishes leaves no copy behind.
#[test]
fn a_demo_killed_in_an_existing_store_says_how_to_remove_what_it_wrote() {
    let scratch = tempfile::tempdir().unwrap();
    let data_dir = scratch.path().join("data");
    let run = empty_store_at(&data_dir);
    // The first batches are written; kill before the demo can finish.
    let said = killed_at(&data_dir, &["demo", "--patients", "200000"], "/ 200000 patients");
    let undo = said.iter().find(|l| l.trim_start().starts_with("rm -f ")).map(|l| l.trim().to_string());
    let undo = undo.expect("the command that removes what the demo wrote, said before it writes");
    let store = data_dir.join("chartroom.db");
    let count = |sql: &str| {
        let db = rusqlite::Connection::open(&store).unwrap();
        db.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap()
    };
    assert!(count("SELECT count(*) FROM patient") > 0, "the demo wrote in place");

    let undone = std::process::Command::new("sh").arg("-c").arg(&undo).output().unwrap();
    assert!(undone.status.success(), "{undo}: {}", String::from_utf8_lossy(&undone.stderr));
    assert_eq!(count("SELECT count(*) FROM patient"), 0, "what the demo wrote is gone");
    assert_eq!(count("SELECT count(*) FROM facility WHERE code = 'MAH'"), 1, "what was there stays");
    assert_eq!(count("SELECT count(*) FROM facility WHERE code = 'RGH'"), 0, "the demo's facilities are gone");

    let again = run(&["demo", "--patients", "30"]);
    assert!(again.status.success(), "{}", String::from_utf8_lossy(&again.stderr));
    assert!(count("SELECT count(*) FROM patient") >= 30);
    assert!(!data_dir.join("chartroom.db.before-demo").exists(), "a finished demo leaves no copy");
}

/// Runs `chartroom --data-dir DATA ARGS`, reads what it says on stderr, and kills it at the first
/// line that contains `at` (its work part done); returns the lines it said up to there.
fn killed_at(data_dir: &std::path::Path, args: &[&str], at: &str) -> Vec<String> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chartroom"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = Vec::new();
    for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let reached = line.contains(at);
        said.push(line);
        if reached {
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    said
}

/// Two imports at once on PostgreSQL (two workstations, two connections) each number their new
/// patients from the MRN after the last one given: the second waits for the first, then numbers on
/// from it, rather than both taking the same numbers and one failing on a duplicate.
#[test]
fn two_imports_at_once_on_postgresql_number_their_patients_one_after_the_other() {
    if !common::pg::available() {
        return;
    }
    let f = common::one_facility_store_on(common::postgres_empty);
    let database = f.pg.as_ref().unwrap();
    let other = chartroom::store::postgres::PgStore::connect(database.config.clone()).unwrap();
    let stores: [&dyn chartroom::store::Store; 2] = [&*f.store, &other];
    let batch = |n: usize| {
        let patients = (0..50)
            .map(|k| {
                let name = chartroom::domain::names::PersonName::new(&format!("Lee{n}"), &format!("Ann{k}"), "");
                chartroom::store::imports::ImportedPatient {
                    source_id: format!("p-{n}-{k}"),
                    keys: chartroom::domain::patient::NameKeys::of(&name),
                    name,
                    sex: chartroom::domain::patient::Sex::Female,
                    birth_date: chrono::NaiveDate::from_ymd_opt(1960, 1, 1).unwrap(),
                    ssn_last4: None,
                    ssn_hash: None,
                    deceased_on: None,
                    address: String::new(),
                }
            })
            .collect();
        chartroom::store::imports::ImportBatch {
            system: "synthea".into(),
            export: "csv".into(),
            facility_code: "MAH".into(),
            patients,
            audit: Some(common::event("import")),
            ..Default::default()
        }
    };
    let start = std::sync::Barrier::new(2);
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let threads: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(n, store)| {
                let (start, batch) = (&start, batch(n));
                s.spawn(move || {
                    start.wait();
                    store.apply_import(batch)
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    for outcome in outcomes {
        assert_eq!(outcome.unwrap().patients.created, 50, "both imports are written whole");
    }
    let mrns = strings_in(&f, "SELECT mrn FROM patient ORDER BY mrn");
    let expected: Vec<String> = (5_000_000..5_000_100).map(|n: u64| n.to_string()).collect();
    assert_eq!(mrns, expected, "one after the other, each number once");
}
