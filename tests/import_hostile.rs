//! Files a clerk would never write but a broken or hostile export holds: each is refused at its
//! row, never merged into another record, and never takes the import down. Small fixtures are in
//! tests/fixtures/hostile/; the big ones are made here.

mod common;

use chartroom::desk::import::ImportMode;
use chartroom::store::Page;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile").join(name)
}

fn reasons_of(report: &chartroom::desk::import::ImportReport) -> Vec<String> {
    report.rejections.iter().map(ToString::to_string).collect()
}

/// The MRNs the desk finds for `text`, as the Find field would.
fn found(desk: &chartroom::desk::Desk, text: &str) -> Vec<String> {
    desk.search(text, Page::first(10)).unwrap().page.rows.iter().map(|r| r.mrn.as_str().to_string()).collect()
}

#[test]
fn one_id_on_two_rows_refuses_the_second_naming_the_first() {
    common::each_store_maker(|make| {
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let report = dhim.import_synthea_csv(&fixture("duplicate-id"), Some("MAH"), common::today(), false).unwrap();
        let reasons = reasons_of(&report);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0]
                .ends_with("patients.csv:4: Id: the patient Id p1 is also line 2's; one Id cannot be two patients")
        );
        assert!(
            reasons[1]
                .ends_with("encounters.csv:3: Id: the encounter Id e1 is also line 2's; one Id cannot be two visits")
        );
        // Ann Lee keeps her own SSN; the second p1's is nobody's.
        assert_eq!(found(&dhim, "999-11-1111").len(), 1);
        assert!(found(&dhim, "999-44-4444").is_empty(), "the second row's SSN went onto the first patient");
        assert!(found(&dhim, "DAY,CY").is_empty());
        assert_eq!(report.counts.patients.created, 2);
    });
}

#[test]
fn a_reimport_whose_ssn_changed_updates_its_hash_and_last_four() {
    common::each_store_maker(|make| {
        let f = common::one_facility_store_on(make);
        let dhim = common::desk_for(&f, "dhim");
        let dir = tempfile::tempdir().unwrap();
        let write = |ssn: &str| {
            std::fs::write(
                dir.path().join("patients.csv"),
                format!("Id,BIRTHDATE,SSN,FIRST,LAST,GENDER\np1,1960-01-01,{ssn},Ann1,Lee2,F\n"),
            )
            .unwrap()
        };
        write("999-11-1111");
        dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
        let mrn = found(&dhim, "999-11-1111");
        assert_eq!(mrn.len(), 1);
        write("999-22-2222");
        let again = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
        assert_eq!(again.counts.patients.updated, 1);
        assert_eq!(found(&dhim, "999-22-2222"), mrn, "the new SSN finds her");
        assert_eq!(found(&dhim, "L2222"), mrn, "by its last four too");
        assert!(found(&dhim, "999-11-1111").is_empty(), "the old SSN still finds her");
        // An export without SSNs does not erase the one she has.
        std::fs::write(dir.path().join("patients.csv"), "Id,BIRTHDATE,FIRST,LAST,GENDER\np1,1960-01-01,Ann1,Lee2,F\n")
            .unwrap();
        let without = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
        assert_eq!(without.counts.patients.unchanged, 1);
        assert_eq!(found(&dhim, "999-22-2222"), mrn);
    });
}

#[test]
fn a_name_past_200_characters_is_refused_with_its_line() {
    let f = common::one_facility_store_on(common::sqlite_empty);
    let dhim = common::desk_for(&f, "dhim");
    let dir = tempfile::tempdir().unwrap();
    let long = "A".repeat(201);
    std::fs::write(
        dir.path().join("patients.csv"),
        format!("Id,BIRTHDATE,FIRST,LAST,GENDER\np1,1960-01-01,Ann,{long},F\np2,1960-01-01,{},Ok,F\n", "B".repeat(200)),
    )
    .unwrap();
    let report = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
    let reasons = reasons_of(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].ends_with("patients.csv:2: LAST: a name of 201 characters (at most 200)"), "{reasons:?}");
    assert_eq!(report.counts.patients.created, 1, "200 characters is still a name");
}

#[test]
fn a_quote_that_never_closes_is_refused_at_its_line() {
    let f = common::one_facility_store_on(common::sqlite_empty);
    let dhim = common::desk_for(&f, "dhim");
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"Id,BIRTHDATE,FIRST,LAST,GENDER\np1,1960-01-01,Ann1,Lee2,F\np2,1960-01-01,\"Bo".to_vec();
    text.extend(std::iter::repeat_n(b'x', 3 << 20));
    std::fs::write(dir.path().join("patients.csv"), text).unwrap();
    let report = dhim.import_synthea_csv(dir.path(), Some("MAH"), common::today(), false).unwrap();
    let reasons = reasons_of(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("patients.csv:3: a quote opened here is not closed within 1 MB"), "{reasons:?}");
    assert_eq!(report.counts.patients.created, 1);
}

#[test]
fn an_export_without_patients_says_so_and_one_without_ssns_warns() {
    let f = common::one_facility_store_on(common::sqlite_empty);
    let dhim = common::desk_for(&f, "dhim");
    let report = dhim.import_synthea_csv(&fixture("no-patients"), Some("MAH"), common::today(), false).unwrap();
    assert_eq!(report.warnings.len(), 1);
    assert!(report.warnings[0].contains("the export has no patients.csv"), "{:?}", report.warnings);
    assert!(reasons_of(&report)[0].contains("unknown patient p1"), "{:?}", report.rejections);

    let report = dhim.import_synthea_csv(&fixture("no-ssn"), Some("MAH"), common::today(), false).unwrap();
    assert!(report.rejections.is_empty());
    assert_eq!(report.counts.patients.created, 1);
    assert_eq!(report.warnings.len(), 1);
    assert!(report.warnings[0].contains("patients.csv has no SSN column"), "{:?}", report.warnings);
}

fn import_fhir(desk: &chartroom::desk::Desk, paths: &[PathBuf]) -> chartroom::desk::import::ImportReport {
    let mode = ImportMode { dry_run: false, strict: false };
    desk.import_fhir(paths, Some("MAH"), common::today(), mode, &mut |_| {}).unwrap()
}

#[test]
fn malformed_bundles_are_reported_not_skipped_in_silence() {
    let f = common::one_facility_store_on(common::sqlite_empty);
    let dhim = common::desk_for(&f, "dhim");
    let report = import_fhir(&dhim, &[fixture("fhir/entry-not-a-list.json")]);
    let reasons = reasons_of(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("entry-not-a-list.json:0: its \"entry\" is not a list of resources"), "{reasons:?}");

    let report = import_fhir(&dhim, &[fixture("fhir/null-resource.json")]);
    let reasons = reasons_of(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("entry[0]: the entry's resource is empty or not a resource"), "{reasons:?}");
    assert_eq!(report.counts.patients.created, 1, "the good entry beside it is imported");

    let report = import_fhir(&dhim, &[fixture("fhir/duplicate-patient.json")]);
    let reasons = reasons_of(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("entry[1]: Patient: the id d1 is also entry[0]'s"), "{reasons:?}");
    assert_eq!(report.counts.patients.created, 1);
    assert!(found(&dhim, "TWO,BO").is_empty(), "the second d1 was merged into the first");
}

#[test]
fn a_note_over_10_mb_is_refused_with_its_entry() {
    let f = common::one_facility_store_on(common::sqlite_empty);
    let dhim = common::desk_for(&f, "dhim");
    let dir = tempfile::tempdir().unwrap();
    // Base64 of 11 MB of 'A's: "QUFB" is "AAA".
    let encoded = "QUFB".repeat((11 << 20) / 3);
    let bundle = format!(
        r#"{{"resourceType":"Bundle","entry":[
          {{"resource":{{"resourceType":"Patient","id":"n1","name":[{{"family":"Note1","given":["Big2"]}}],"birthDate":"1950-01-01","gender":"female"}}}},
          {{"resource":{{"resourceType":"Encounter","id":"ne1","subject":{{"reference":"urn:uuid:n1"}},"class":{{"code":"AMB"}},
            "period":{{"start":"2020-01-01T10:00:00Z","end":"2020-01-01T11:00:00Z"}}}}}},
          {{"resource":{{"resourceType":"DocumentReference","id":"nd1","status":"current","date":"2020-01-01T11:00:00Z",
            "context":{{"encounter":[{{"reference":"urn:uuid:ne1"}}]}},
            "content":[{{"attachment":{{"contentType":"text/plain","data":"{encoded}"}}}}]}}}}
        ]}}"#
    );
    let path = dir.path().join("big-note.json");
    std::fs::write(&path, bundle).unwrap();
    let report = import_fhir(&dhim, &[path]);
    let reasons = reasons_of(&report);
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("entry[2]: DocumentReference: the note's text is 11.0 MB (at most 10 MB)"),
        "{reasons:?}"
    );
    assert_eq!(report.counts.patients.created, 1);
}
