//! Requests written straight to a store for the tests that count them (the Director's figures):
//! GARCIA's, from a new attorney each, in any status, released on a given day.

use chartroom::domain::mrn::Mrn;
use chartroom::domain::roi::{
    Delivery, LegalBasis, NewRequester, ReceivedVia, RecordFormat, RequestStatus, RequestType, RequesterKind, Scope,
};
use chartroom::store::Store;
use chartroom::store::roi::{ClockRecord, DisclosureRecord, DueDate, NewRoiRequest, RequesterRef};
use chrono::{Duration, NaiveDate, TimeZone, Utc};

/// A request of GARCIA's at `facility`, received on `received`, due 30 days later, in `status`.
pub fn request(store: &dyn Store, facility: &str, received: NaiveDate, status: RequestStatus) -> NewRoiRequest {
    let facility_id = store.list_facilities().unwrap().into_iter().find(|f| f.code == facility).unwrap().id;
    let patient_id = store.patient_by_mrn(&Mrn::parse("204511").unwrap()).unwrap().unwrap().patient_id;
    let due = received + Duration::days(30);
    NewRoiRequest {
        facility_id,
        patient_id,
        requester: RequesterRef::New(NewRequester {
            kind: RequesterKind::Attorney,
            name: "Baker & Lowe LLP".into(),
            organization: String::new(),
            address: "12 Main St".into(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        }),
        received_on: received,
        received_via: ReceivedVia::Fax,
        request_type: RequestType::Authorization,
        purpose: "Litigation".into(),
        format: RecordFormat::Pdf,
        delivery: Delivery::Email,
        pages: None,
        postage_cents: None,
        clerical_minutes: None,
        scope: Scope { entire_record: true, ..Default::default() },
        authorization: None,
        legal_process: None,
        status,
        status_reason: None,
        assigned_to: None,
        due: DueDate {
            due_on: Some(due),
            due_rule: "HIPAA-30".into(),
            clocks: vec![ClockRecord {
                code: "HIPAA-30".into(),
                rule: "HIPAA 164.524: 30 days".into(),
                due_on: Some(due),
                waits_for: None,
            }],
        },
        logged_by: "jdoe".into(),
        logged_at: Utc.from_utc_datetime(&received.and_hms_opt(15, 0, 0).unwrap()),
        accounting_period: None,
        disclosure: None,
        released_on: None,
        invoice: None,
    }
}

pub fn released(store: &dyn Store, facility: &str, received: NaiveDate, on: NaiveDate) -> NewRoiRequest {
    let mut r = request(store, facility, received, RequestStatus::Released);
    r.disclosure = Some(DisclosureRecord {
        disclosed_on: on,
        recipient: "Baker & Lowe LLP".into(),
        recipient_address: "12 Main St".into(),
        description: "Entire record".into(),
        purpose: "Litigation".into(),
        legal_basis: LegalBasis::Authorization,
        accountable: false,
        pages: 10,
        by: "jdoe".into(),
    });
    r.released_on = Some(on);
    r
}
