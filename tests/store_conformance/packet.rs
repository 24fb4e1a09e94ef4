//! The release packet's store operations: a patient's documents as a release reads them
//! (categories, pages, the designated-record-set flag; retracted ones not at all), and a release's
//! items and notices written with its disclosure in the change's transaction, or not at all.

use super::roi::{at, attorney, change, day, log, request};
use super::{audit_since, audit_trail, each_backend, fails_writing_nothing, noted};
use chartroom::domain::chart::{DocumentStatus, EncounterKind};
use chartroom::domain::mrn::Mrn;
use chartroom::domain::roi::packet::{Notice, SensitiveCategory};
use chartroom::domain::roi::{LegalBasis, RequestStatus};
use chartroom::store::records::{NewDocument, NewEncounter};
use chartroom::store::roi::{DisclosureRecord, PacketRecord, ReleaseItem, RequesterRef};
use chartroom::store::{RecordBatch, Store, StoreError};

const JONATHAN: &str = "100999";

fn jonathan(store: &dyn Store) -> i64 {
    store.patient_by_mrn(&Mrn::parse(JONATHAN).unwrap()).unwrap().unwrap().patient_id
}

/// A stay of JONATHAN's with a note of each kind the packet tells apart, and one retracted.
fn chart(store: &dyn Store) {
    let mut batch = RecordBatch::default();
    batch.encounters.push(NewEncounter {
        patient_mrn: JONATHAN.into(),
        account: "A25-900002".into(),
        kind: EncounterKind::Inpatient,
        facility_code: "RGH".into(),
        service: "MEDICINE".into(),
        admit_at: at(2, 3, 9),
        discharge_at: Some(at(2, 6, 12)),
        attending_npi: Some("1000000001".into()),
    });
    let doc = |title: &str, hour: u32, pages: i64, categories: Vec<SensitiveCategory>, in_drs: bool| NewDocument {
        account: "A25-900002".into(),
        doc_type: "PROGRESS".into(),
        title: title.into(),
        author_npi: Some("1000000001".into()),
        status: DocumentStatus::Completed,
        created_at: at(2, 4, hour),
        signed_at: Some(at(2, 4, hour + 1)),
        text: Some(format!("{title} text")),
        page_count: pages,
        sensitive_categories: categories,
        in_designated_record_set: in_drs,
    };
    batch.documents.push(doc(
        "Detox and HIV note",
        11,
        4,
        vec![SensitiveCategory::Hiv, SensitiveCategory::SudPart2],
        true,
    ));
    batch.documents.push(doc("Plain note", 10, 3, vec![], true));
    batch.documents.push(doc("Psychotherapy note", 12, 2, vec![SensitiveCategory::Psychotherapy], false));
    batch
        .documents
        .push(NewDocument { status: DocumentStatus::Retracted, ..doc("Entered in error", 13, 1, vec![], true) });
    store.insert_batch(batch, super::common::event("batch")).unwrap();
}

#[test]
fn a_patients_documents_are_read_with_their_pages_categories_and_record_set_oldest_first() {
    each_backend(|f| {
        let store = &*f.store;
        chart(store);
        let read = store.release_documents(jonathan(store)).unwrap();
        let seen: Vec<_> = read
            .iter()
            .map(|c| {
                let d = &c.document;
                (d.title.as_str(), d.on, d.pages, d.categories.clone(), d.in_designated_record_set, c.account.as_str())
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("Plain note", day(2, 4), 3, vec![], true, "A25-900002"),
                (
                    "Detox and HIV note",
                    day(2, 4),
                    4,
                    vec![SensitiveCategory::SudPart2, SensitiveCategory::Hiv],
                    true,
                    "A25-900002"
                ),
                ("Psychotherapy note", day(2, 4), 2, vec![SensitiveCategory::Psychotherapy], false, "A25-900002"),
            ],
            "the retracted note is never offered"
        );
        assert_eq!(read[0].text.as_deref(), Some("Plain note text"));
        assert!(store.release_documents(-1).unwrap().is_empty());
    });
}

#[test]
fn a_releases_items_and_notices_are_written_with_its_disclosure_or_not_at_all() {
    each_backend(|f| {
        let store = &*f.store;
        chart(store);
        let docs = store.release_documents(jonathan(store)).unwrap();
        let baker = store.add_requester(attorney(), noted("requester", "added")).unwrap();
        let logged = log(store, request(store, "RGH", JONATHAN, RequesterRef::Existing(baker.id), day(3, 3)));
        assert!(store.release_packets(logged.id).unwrap().is_empty());
        let packet = PacketRecord {
            items: vec![
                ReleaseItem { document_id: docs[0].document.id, pages: 3, included: true, reason: String::new() },
                ReleaseItem {
                    document_id: docs[1].document.id,
                    pages: 4,
                    included: false,
                    reason: "Part 2 record: needs a Part 2 consent".into(),
                },
            ],
            notices_attached: vec![Notice::Part2Notice, Notice::ConsentCopy],
            notice_template_version: Some(3),
            file: Some("RGH-00001-packet.pdf".into()),
            sha256: Some("ab".repeat(32)),
        };
        let mut release = change(&logged, RequestStatus::Released, "Released; partial release confirmed by jdoe");
        release.add_disclosure = Some(DisclosureRecord {
            disclosed_on: day(3, 4),
            recipient: "Baker & Lowe LLP".into(),
            recipient_address: String::new(),
            description: "Entire record".into(),
            purpose: "Litigation".into(),
            legal_basis: LegalBasis::Authorization,
            accountable: false,
            pages: 3,
            by: "jdoe".into(),
        });
        release.add_packet = Some(packet.clone());

        // A stale version writes neither the disclosure nor a single item.
        let mut stale = release.clone();
        stale.expected_version += 1;
        let err = fails_writing_nothing(store, || store.apply_roi_change(stale, noted("roi_request", "stale")));
        assert!(matches!(err, StoreError::Conflict), "{err:?}");
        assert!(store.release_packets(logged.id).unwrap().is_empty());

        let before = audit_trail(store);
        let released = store.apply_roi_change(release, noted("roi_request", "released")).unwrap();
        let kept = store.release_packets(released.id).unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].disclosed_on, day(3, 4));
        assert_eq!(kept[0].packet, packet);
        let written = audit_since(store, &before);
        assert_eq!(written.len(), 1, "one event for the release");
        assert_eq!(written[0].detail, "released");
    });
}
