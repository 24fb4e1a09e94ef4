//! Release of information: the requester address book, requests numbered per facility, changes
//! written only at the version read with their history lines and audit events, the queue's
//! filters, sorts and pages, letter templates by version, and drafts.

use super::{FEED_DEADLINE, audit_since, audit_trail, common, each_backend, fails_writing_nothing, noted};
use chartroom::domain::mrn::Mrn;
use chartroom::domain::roi::{
    Assurance, AuthorizationForm, AuthorizationKind, ChecklistItem, Delivery, Jurisdiction, LegalBasis, LegalProcess,
    LegalProcessKind, LetterKind, NewRequester, Part2Order, ReceivedVia, RecordFormat, RequestNumber, RequestStatus,
    RequestType, RequesterKind, Scope,
};
use chartroom::store::roi::{
    ClockRecord, DisclosureRecord, DueDate, FollowUp, LetterRecord, NewAuthorization, NewRoiRequest, PaymentRecord,
    RequesterRef, RoiChange, RoiQueueFilter, RoiQueueRow, RoiRequest, RoiSort,
};
use chartroom::store::{ChangeStamp, Page, Store, StoreError, Topic};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::sync::Barrier;

pub(super) const GARCIA: &str = "204511";
const SMITH: &str = "100234";
const JONATHAN: &str = "100999";
const JONES: &str = "101002";
const SMITHSON: &str = "101000";

pub(super) fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

/// An instant in whole seconds, as every backend keeps it.
pub(super) fn at(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, h, 0, 0).unwrap()
}

fn facility(store: &dyn Store, code: &str) -> i64 {
    store.list_facilities().unwrap().into_iter().find(|f| f.code == code).unwrap().id
}

fn patient(store: &dyn Store, mrn: &str) -> i64 {
    store.patient_by_mrn(&Mrn::parse(mrn).unwrap()).unwrap().unwrap().patient_id
}

fn number(text: &str) -> RequestNumber {
    RequestNumber::parse(text).unwrap()
}

fn requester(kind: RequesterKind, name: &str, organization: &str) -> NewRequester {
    NewRequester {
        kind,
        name: name.into(),
        organization: organization.into(),
        address: "12 Main St\nAustin, TX 78701".into(),
        phone: "512-555-0100".into(),
        fax: String::new(),
        email: String::new(),
    }
}

pub(super) fn attorney() -> NewRequester {
    requester(RequesterKind::Attorney, "Baker & Lowe LLP", "")
}

fn clocks(due: Option<NaiveDate>) -> DueDate {
    match due {
        Some(on) => DueDate {
            due_on: Some(on),
            due_rule: "HIPAA-30".into(),
            clocks: vec![ClockRecord {
                code: "HIPAA-30".into(),
                rule: "HIPAA 164.524: 30 days".into(),
                due_on: Some(on),
                waits_for: None,
            }],
        },
        None => DueDate {
            due_on: None,
            due_rule: "waiting for payment".into(),
            clocks: vec![ClockRecord {
                code: "CA-123110".into(),
                rule: "CA HSC 123110: 15 days after payment".into(),
                due_on: None,
                waits_for: Some("payment".into()),
            }],
        },
    }
}

/// A request as the desk would log it, received on `received`.
pub(super) fn request(
    store: &dyn Store,
    facility_code: &str,
    mrn: &str,
    who: RequesterRef,
    received: NaiveDate,
) -> NewRoiRequest {
    NewRoiRequest {
        facility_id: facility(store, facility_code),
        patient_id: patient(store, mrn),
        requester: who,
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
        status: RequestStatus::Logged,
        status_reason: None,
        assigned_to: None,
        due: clocks(Some(received + chrono::Duration::days(30))),
        logged_by: "jdoe".into(),
        logged_at: at(3, 3, 15),
        accounting_period: None,
        disclosure: None,
        released_on: None,
        invoice: None,
    }
}

pub(super) fn log(store: &dyn Store, r: NewRoiRequest) -> RoiRequest {
    store.log_roi_request(r, noted("roi_request", "logged")).unwrap()
}

/// A change of `read` that moves it to `to` and does nothing else.
pub(super) fn change(read: &RoiRequest, to: RequestStatus, detail: &str) -> RoiChange {
    RoiChange {
        request_id: read.id,
        expected_version: read.version,
        at: at(3, 4, 10),
        by: "jdoe".into(),
        status: to,
        status_reason: None,
        assigned_to: None,
        due: None,
        extension: None,
        add_authorization: None,
        add_follow_up: None,
        add_letter: None,
        add_payment: None,
        add_disclosure: None,
        add_fee: None,
        add_fee_adjustment: None,
        legal_process: None,
        add_packet: None,
        released_on: None,
        detail: detail.into(),
    }
}

fn numbers(rows: &[RoiQueueRow]) -> Vec<String> {
    rows.iter().map(|r| r.number.to_string()).collect()
}

#[test]
fn requests_are_numbered_per_facility_in_sequence_and_a_refused_one_uses_no_number() {
    each_backend(|f| {
        let store = &*f.store;
        let baker = store.add_requester(attorney(), noted("requester", "added")).unwrap();
        let who = || RequesterRef::Existing(baker.id);
        let before = audit_trail(store);
        let batch: Vec<NewRoiRequest> = (0..40).map(|_| request(store, "RGH", SMITH, who(), day(2, 1))).collect();
        assert_eq!(store.insert_roi_batch(batch, noted("roi_request", "demo batch")).unwrap(), 40);
        assert_eq!(super::details_since(store, &before), ["demo batch"], "one event for the batch");
        let last = store.roi_request(&number("RGH-00040")).unwrap().expect("the batch's last");
        assert_eq!(last.history.len(), 1, "each of the batch has its first history line");

        let hdh = log(store, request(store, "HDH", GARCIA, who(), day(3, 3)));
        assert_eq!(hdh.number.to_string(), "HDH-00001", "a facility of its own numbers from one");
        let rgh = log(store, request(store, "RGH", GARCIA, who(), day(3, 3)));
        assert_eq!(rgh.number.to_string(), "RGH-00041", "after the batch's 00040");

        // A request for no patient is refused, writes nothing, and leaves its number unissued.
        let mut nobody = request(store, "RGH", GARCIA, who(), day(3, 3));
        nobody.patient_id = i64::MAX;
        let err = fails_writing_nothing(store, || store.log_roi_request(nobody.clone(), noted("roi_request", "x")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        let mut unknown = request(store, "RGH", GARCIA, who(), day(3, 3));
        unknown.requester = RequesterRef::Existing(i64::MAX);
        let err = fails_writing_nothing(store, || store.log_roi_request(unknown.clone(), noted("roi_request", "x")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        let next = log(store, request(store, "RGH", GARCIA, who(), day(3, 3)));
        assert_eq!(next.number.to_string(), "RGH-00042");
        assert_eq!(log(store, request(store, "HDH", GARCIA, who(), day(3, 3))).number.to_string(), "HDH-00002");

        // Found by number and by id, the same; a number never issued finds nothing.
        assert_eq!(store.roi_request(&number("rgh-42")).unwrap().as_ref(), Some(&next));
        assert_eq!(store.roi_request_by_id(next.id).unwrap().as_ref(), Some(&next));
        assert_eq!(store.roi_request(&number("RGH-00043")).unwrap(), None);
        assert_eq!(store.roi_request(&number("XXX-00001")).unwrap(), None);
        assert_eq!(store.roi_request_by_id(i64::MAX).unwrap(), None);
    });
}

#[test]
fn a_logged_request_reads_back_whole_with_its_requester_authorization_and_first_history_line() {
    each_backend(|f| {
        let store = &*f.store;
        let before = audit_trail(store);
        let mut new = request(store, "MVC", GARCIA, RequesterRef::New(attorney()), day(3, 3));
        let form = AuthorizationForm {
            kind: Some(AuthorizationKind::Hipaa),
            patient_name: "GARCIA, MARIA L".into(),
            signed_on: Some(day(2, 20)),
            signer: "Maria L Garcia".into(),
            relationship: "self".into(),
            discloser: "Mission Valley Center".into(),
            recipient: "Baker & Lowe LLP".into(),
            information: "All records 2024".into(),
            purpose: "Litigation".into(),
            expires_on: None,
            expiration_event: String::new(),
            signature: true,
            revocation_statement: false,
            conditioning_statement: true,
            redisclosure_statement: true,
            revoked_on: None,
        };
        let checklist = vec![
            ChecklistItem { element: "core.description".into(), passed: true, reason: "All records 2024".into() },
            ChecklistItem {
                element: "core.expiration".into(),
                passed: false,
                reason: "no expiration date or event".into(),
            },
            ChecklistItem {
                element: "statement.revocation".into(),
                passed: false,
                reason: "no statement of the right to revoke".into(),
            },
        ];
        new.authorization =
            Some(NewAuthorization { form: form.clone(), received_on: day(3, 3), checklist: checklist.clone() });
        new.legal_process = Some(LegalProcess::served(
            LegalProcessKind::Subpoena,
            false,
            day(3, 1),
            "Travis County District Court",
            "D-1-GN-25-000123",
        ));
        new.scope = Scope {
            entire_record: false,
            from: Some(day(1, 1)),
            to: None,
            document_types: vec!["DS".into(), "OP".into()],
        };
        new.status = RequestStatus::Pended;
        new.status_reason = Some("Deficient authorization".into());
        new.assigned_to = Some("jdoe".into());
        new.pages = Some(120);
        new.postage_cents = Some(1_275);
        new.clerical_minutes = Some(30);
        new.request_type = RequestType::Accounting;
        new.accounting_period = Some((NaiveDate::from_ymd_opt(2019, 3, 3).unwrap(), day(3, 3)));
        new.due = clocks(None);
        let logged = store.log_roi_request(new.clone(), noted("roi_request", "logged")).unwrap();

        assert_eq!(logged.number.to_string(), "MVC-00001");
        assert_eq!(logged.version, 1);
        assert_eq!(logged.mrn.as_str(), GARCIA);
        assert_eq!(logged.patient_name, "GARCIA, MARIA L");
        assert!(logged.birth_date.is_some());
        assert_eq!(logged.facility_id, new.facility_id);
        assert_eq!(logged.patient_id, new.patient_id);
        assert_eq!(logged.requester.name, "Baker & Lowe LLP");
        assert_eq!(logged.requester.kind, RequesterKind::Attorney);
        assert_eq!(logged.requester.address, "12 Main St\nAustin, TX 78701", "lines kept");
        assert_eq!(store.requester(logged.requester.id).unwrap().as_ref(), Some(&logged.requester));
        assert_eq!(
            (logged.received_on, logged.received_via, logged.request_type),
            (day(3, 3), ReceivedVia::Fax, RequestType::Accounting)
        );
        assert_eq!(
            (logged.purpose.as_str(), logged.format, logged.delivery),
            ("Litigation", RecordFormat::Pdf, Delivery::Email)
        );
        assert_eq!((logged.pages, logged.postage_cents, logged.clerical_minutes), (Some(120), Some(1_275), Some(30)));
        assert_eq!(logged.scope, new.scope);
        assert_eq!(logged.legal_process, new.legal_process);
        assert_eq!(logged.status, RequestStatus::Pended);
        assert_eq!(logged.status_reason.as_deref(), Some("Deficient authorization"));
        assert_eq!(logged.assigned_to.as_deref(), Some("jdoe"));
        assert_eq!(logged.due, clocks(None), "a clock waiting on payment has no date, and says so");
        assert_eq!(
            (logged.extended_due_on, logged.extension_noticed_on, &logged.extension_reason),
            (None, None, &None)
        );
        assert_eq!(logged.accounting_period, new.accounting_period);
        assert_eq!((logged.logged_by.as_str(), logged.logged_at), ("jdoe", at(3, 3, 15)));
        assert_eq!(logged.authorizations.len(), 1);
        let kept = &logged.authorizations[0];
        assert_eq!((&kept.form, kept.received_on, &kept.checklist), (&form, day(3, 3), &checklist));
        assert_eq!((kept.by.as_str(), kept.at), ("jdoe", at(3, 3, 15)));
        assert!(logged.follow_ups.is_empty() && logged.letters.is_empty() && logged.payments.is_empty());
        assert!(logged.disclosures.is_empty());
        assert_eq!(logged.history.len(), 1);
        let first = &logged.history[0];
        assert_eq!((first.version, first.from_status, first.to_status), (1, None, RequestStatus::Pended));
        assert_eq!((first.by.as_str(), first.at, first.detail.as_str()), ("jdoe", at(3, 3, 15), "Logged"));

        // One event: the request's, naming it by number and concerning its patient.
        let events = audit_since(store, &before);
        assert_eq!(events.len(), 1, "{events:#?}");
        assert_eq!(events[0].entity_id.as_deref(), Some("MVC-00001"));
        assert_eq!(events[0].patient_id, Some(logged.patient_id));
        assert_eq!(store.roi_request(&logged.number).unwrap(), Some(logged));
    });
}

#[test]
fn a_change_is_written_only_at_the_version_read_with_a_history_line_and_its_event() {
    each_backend(|f| {
        let store = &*f.store;
        let garcia = patient(store, GARCIA);
        let logged = log(store, request(store, "RGH", GARCIA, RequesterRef::New(attorney()), day(3, 3)));

        let mut pend = change(&logged, RequestStatus::Pended, "Pended: Deficient authorization");
        pend.status_reason = Some(Some("Deficient authorization".into()));
        pend.assigned_to = Some(Some("jdoe".into()));
        pend.add_letter = Some(LetterRecord {
            kind: LetterKind::DeficientAuthorization,
            template_version: 2,
            text: "Your authorization lacks:\n- an expiration date or event".into(),
            by: "jdoe".into(),
            at: at(3, 4, 10),
        });
        let before = audit_trail(store);
        let pended = store.apply_roi_change(pend.clone(), noted("roi_request", "pended")).unwrap();
        assert_eq!(pended.version, 2);
        assert_eq!(
            (pended.status, pended.status_reason.as_deref()),
            (RequestStatus::Pended, Some("Deficient authorization"))
        );
        assert_eq!(pended.assigned_to.as_deref(), Some("jdoe"));
        assert_eq!(pended.letters, [pend.add_letter.clone().unwrap()]);
        assert_eq!(pended.due, logged.due, "a change that names no due date leaves it");
        let events = audit_since(store, &before);
        assert_eq!(events.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(), ["pended"]);
        assert_eq!((events[0].entity_id.as_deref(), events[0].patient_id), (Some("RGH-00001"), Some(garcia)));

        // The same change again, read at version 1: a conflict, and nothing of it written.
        let err = fails_writing_nothing(store, || store.apply_roi_change(pend.clone(), noted("roi_request", "again")));
        assert!(matches!(err, StoreError::Conflict), "{err}");
        assert_eq!(store.roi_request_by_id(logged.id).unwrap().as_ref(), Some(&pended), "unchanged");
        let mut nothing = pend.clone();
        nothing.request_id = i64::MAX;
        let err = fails_writing_nothing(store, || store.apply_roi_change(nothing.clone(), noted("roi_request", "x")));
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");

        // A corrected authorization, a follow-up, a payment that dates the clock, an extension,
        // the reason cleared and the assignee taken off.
        let mut correct = change(&pended, RequestStatus::Validating, "Corrected authorization received");
        correct.status_reason = Some(None);
        correct.assigned_to = Some(None);
        correct.add_authorization = Some(NewAuthorization {
            form: AuthorizationForm { signature: true, expires_on: Some(day(12, 31)), ..Default::default() },
            received_on: day(3, 10),
            checklist: vec![ChecklistItem { element: "core.expiration".into(), passed: true, reason: String::new() }],
        });
        correct.add_follow_up = Some(FollowUp {
            received_on: day(3, 17),
            received_via: ReceivedVia::Fax,
            note: "re-faxed by the attorney".into(),
            by: "jdoe".into(),
            at: at(3, 17, 9),
        });
        correct.add_payment = Some(PaymentRecord {
            paid_on: day(3, 10),
            amount_cents: 650,
            by: "jdoe".into(),
            at: at(3, 10, 9),
            invoice_no: None,
        });
        correct.due = Some(clocks(Some(day(3, 24))));
        correct.extension = Some((day(5, 2), day(3, 28), "records in off-site storage".into()));
        let corrected = store.apply_roi_change(correct.clone(), noted("roi_request", "corrected")).unwrap();
        assert_eq!(corrected.version, 3);
        assert_eq!(
            (corrected.status, &corrected.status_reason, &corrected.assigned_to),
            (RequestStatus::Validating, &None, &None)
        );
        assert_eq!(corrected.authorizations.len(), 1, "the first was logged with none");
        assert_eq!(corrected.authorizations[0].checklist, correct.add_authorization.as_ref().unwrap().checklist);
        assert_eq!((corrected.authorizations[0].by.as_str(), corrected.authorizations[0].at), ("jdoe", at(3, 4, 10)));
        assert_eq!(corrected.follow_ups, [correct.add_follow_up.clone().unwrap()]);
        assert_eq!(corrected.payments, [correct.add_payment.clone().unwrap()]);
        assert_eq!(corrected.due, clocks(Some(day(3, 24))));
        assert_eq!(
            (corrected.extended_due_on, corrected.extension_noticed_on, corrected.extension_reason.as_deref()),
            (Some(day(5, 2)), Some(day(3, 28)), Some("records in off-site storage"))
        );
        assert_eq!(corrected.letters, pended.letters, "what was added before stays");

        // The release: a disclosure row on the patient's chart, and on the request.
        let releases_before = store.load_chart(garcia).unwrap().unwrap().releases.len();
        let mut release = change(&corrected, RequestStatus::Released, "Released");
        let disclosure = DisclosureRecord {
            disclosed_on: day(3, 20),
            recipient: "Baker & Lowe LLP".into(),
            recipient_address: "400 Congress Ave\nAustin TX 78701".into(),
            description: "Discharge summaries and operative reports, 2025".into(),
            purpose: "Litigation".into(),
            legal_basis: LegalBasis::Authorization,
            accountable: false,
            pages: 42,
            by: "jdoe".into(),
        };
        release.add_disclosure = Some(disclosure.clone());
        let released = store.apply_roi_change(release, noted("roi_request", "released")).unwrap();
        assert_eq!(released.disclosures, std::slice::from_ref(&disclosure));
        let chart = store.load_chart(garcia).unwrap().unwrap();
        assert_eq!(chart.releases.len(), releases_before + 1);
        let shown = chart.releases.iter().find(|r| r.recipient == "Baker & Lowe LLP").expect("on the Releases tab");
        assert_eq!((shown.disclosed_on, shown.pages, shown.purpose.as_str()), (day(3, 20), 42, "Litigation"));

        // Every version has its line, oldest first, each from the status before it.
        let lines: Vec<_> =
            released.history.iter().map(|h| (h.version, h.from_status, h.to_status, h.detail.as_str())).collect();
        assert_eq!(
            lines,
            [
                (1, None, RequestStatus::Logged, "Logged"),
                (2, Some(RequestStatus::Logged), RequestStatus::Pended, "Pended: Deficient authorization"),
                (3, Some(RequestStatus::Pended), RequestStatus::Validating, "Corrected authorization received"),
                (4, Some(RequestStatus::Validating), RequestStatus::Released, "Released"),
            ]
        );
        assert_eq!(released.version, 4);
    });
}

/// The queue's requests (logged in this order; E is released, the others open):
/// A RGH GARCIA, Baker & Lowe, received 02-01, due 03-03, logged, authorization, jdoe;
/// B RGH SMITH JOHN, Acme Insurance, 02-10, due 03-12, pended, authorization, nobody;
/// C HDH SMITH JONATHAN, himself, 02-20, undated (waits for payment), awaiting payment, access, tnguyen;
/// D MVC JONES, Baker & Lowe, 01-15, due 02-14, validating, subpoena, jdoe;
/// E RGH GARCIA, Acme Insurance, 01-05, due 02-04, released;
/// F RGC SMITHSON, Public Health Office of the County Health Dept, 02-20, due 03-27, on hold, nobody.
fn queue_of_six(store: &dyn Store) -> [RoiRequest; 6] {
    let mut a = request(store, "RGH", GARCIA, RequesterRef::New(attorney()), day(2, 1));
    a.due = clocks(Some(day(3, 3)));
    a.assigned_to = Some("jdoe".into());
    let a = log(store, a);
    let baker = RequesterRef::Existing(a.requester.id);
    let mut b = request(
        store,
        "RGH",
        SMITH,
        RequesterRef::New(requester(RequesterKind::Insurer, "Acme Insurance", "")),
        day(2, 10),
    );
    b.due = clocks(Some(day(3, 12)));
    b.status = RequestStatus::Pended;
    let b = log(store, b);
    let acme = RequesterRef::Existing(b.requester.id);
    let mut c = request(
        store,
        "HDH",
        JONATHAN,
        RequesterRef::New(requester(RequesterKind::Patient, "Jonathan Smith", "")),
        day(2, 20),
    );
    c.due = clocks(None);
    c.status = RequestStatus::AwaitingPayment;
    c.request_type = RequestType::RightOfAccess;
    c.assigned_to = Some("tnguyen".into());
    let c = log(store, c);
    let mut d = request(store, "MVC", JONES, baker, day(1, 15));
    d.due = clocks(Some(day(2, 14)));
    d.status = RequestStatus::Validating;
    d.request_type = RequestType::Subpoena;
    d.assigned_to = Some("jdoe".into());
    let d = log(store, d);
    let mut e = request(store, "RGH", GARCIA, acme, day(1, 5));
    e.due = clocks(Some(day(2, 4)));
    e.status = RequestStatus::Released;
    let e = log(store, e);
    let county = requester(RequesterKind::Agency, "Public Health Office", "County Health Dept");
    let mut f = request(store, "RGC", SMITHSON, RequesterRef::New(county), day(2, 20));
    f.due = clocks(Some(day(3, 27)));
    f.status = RequestStatus::OnHold;
    let f = log(store, f);
    [a, b, c, d, e, f]
}

#[test]
fn the_queue_lists_open_requests_by_each_sort_a_page_at_a_time() {
    each_backend(|f| {
        let store = &*f.store;
        let [a, b, c, d, e, f6] = queue_of_six(store);
        let n = |r: &RoiRequest| r.number.to_string();
        assert_eq!(
            [&a, &b, &c, &d, &e, &f6].map(n),
            ["RGH-00001", "RGH-00002", "HDH-00001", "MVC-00001", "RGH-00003", "RGC-00001"]
        );
        let open = RoiQueueFilter::default();
        let sorted = |sort| store.roi_queue_page(&open, sort, Page::first(50)).unwrap();
        let by_due = sorted(RoiSort::Due);
        assert_eq!(by_due.total, 5, "the released one is not in the open queue");
        assert_eq!(numbers(&by_due.rows), [n(&d), n(&a), n(&b), n(&f6), n(&c)], "soonest due first, undated last");
        assert_eq!(numbers(&sorted(RoiSort::Received).rows), [n(&d), n(&a), n(&b), n(&c), n(&f6)]);
        assert_eq!(
            numbers(&sorted(RoiSort::Number).rows),
            ["HDH-00001", "MVC-00001", "RGC-00001", "RGH-00001", "RGH-00002"]
        );
        assert_eq!(
            numbers(&sorted(RoiSort::Patient).rows),
            [n(&a), n(&d), n(&b), n(&c), n(&f6)],
            "GARCIA, JONES, SMITH JOHN, SMITH JONATHAN, SMITHSON"
        );
        assert_eq!(
            numbers(&sorted(RoiSort::Requester).rows),
            [n(&b), n(&a), n(&d), n(&c), n(&f6)],
            "Acme, Baker & Lowe (twice), Jonathan Smith, Public Health Office"
        );
        assert_eq!(
            numbers(&sorted(RoiSort::Status).rows),
            [n(&a), n(&d), n(&b), n(&f6), n(&c)],
            "in the request's life: logged, validating, pended, on hold, awaiting payment"
        );

        // A row says what the queue shows.
        let row = by_due.rows.iter().find(|r| r.id == a.id).unwrap();
        assert_eq!(
            (row.patient_name.as_str(), row.mrn.as_str(), row.requester.as_str()),
            ("GARCIA, MARIA L", GARCIA, "Baker & Lowe LLP")
        );
        assert_eq!(
            (row.request_type, row.status, row.received_on),
            (RequestType::Authorization, RequestStatus::Logged, day(2, 1))
        );
        assert_eq!(
            (row.due_on, row.due_rule.as_str(), row.assigned_to.as_deref(), row.version),
            (Some(day(3, 3)), "HIPAA-30", Some("jdoe"), 1)
        );
        let undated = by_due.rows.iter().find(|r| r.id == c.id).unwrap();
        assert_eq!((undated.due_on, undated.due_rule.as_str()), (None, "waiting for payment"));

        // Pages of two, joined, are the one long page, each with the whole total.
        for sort in
            [RoiSort::Due, RoiSort::Received, RoiSort::Number, RoiSort::Patient, RoiSort::Requester, RoiSort::Status]
        {
            let mut paged = Vec::new();
            for offset in [0, 2, 4, 6] {
                let page = store.roi_queue_page(&open, sort, Page { offset, limit: 2 }).unwrap();
                assert_eq!(page.total, 5, "{sort:?} at {offset}");
                assert_eq!(page.rows.len(), 5usize.saturating_sub(offset).min(2), "{sort:?} at {offset}");
                paged.extend(page.rows);
            }
            assert_eq!(paged, sorted(sort).rows, "{sort:?}");
        }
    });
}

#[test]
fn the_queue_filters_by_status_type_requester_assignee_due_date_facility_and_patient() {
    each_backend(|f| {
        let store = &*f.store;
        let [a, b, c, d, e, f6] = queue_of_six(store);
        let n = |r: &RoiRequest| r.number.to_string();
        let listed = |filter: RoiQueueFilter| {
            let page = store.roi_queue_page(&filter, RoiSort::Due, Page::first(50)).unwrap();
            assert_eq!(page.total as usize, page.rows.len(), "{filter:?}");
            numbers(&page.rows)
        };
        let all = RoiQueueFilter::default;
        assert_eq!(listed(RoiQueueFilter { statuses: vec![RequestStatus::Released], ..all() }), [n(&e)]);
        assert_eq!(
            listed(RoiQueueFilter { statuses: vec![RequestStatus::OnHold, RequestStatus::Pended], ..all() }),
            [n(&b), n(&f6)]
        );
        assert_eq!(
            listed(RoiQueueFilter { statuses: vec![RequestStatus::Released, RequestStatus::Logged], ..all() }),
            [n(&e), n(&a)],
            "open and closed together, by due date"
        );
        assert_eq!(
            listed(RoiQueueFilter { request_type: Some(RequestType::Authorization), ..all() }),
            [n(&a), n(&b), n(&f6)]
        );
        assert_eq!(listed(RoiQueueFilter { request_type: Some(RequestType::Subpoena), ..all() }), [n(&d)]);
        assert_eq!(listed(RoiQueueFilter { requester: Some(" baker ".into()), ..all() }), [n(&d), n(&a)], "any case");
        assert_eq!(listed(RoiQueueFilter { requester: Some("county h".into()), ..all() }), [n(&f6)], "by organization");
        assert_eq!(listed(RoiQueueFilter { requester: Some("Bakes".into()), ..all() }), Vec::<String>::new());
        assert_eq!(listed(RoiQueueFilter { assigned_to: Some("jdoe".into()), ..all() }), [n(&d), n(&a)]);
        assert_eq!(listed(RoiQueueFilter { assigned_to: Some(String::new()), ..all() }), [n(&b), n(&f6)], "nobody's");
        assert_eq!(
            listed(RoiQueueFilter { due_by: Some(day(3, 3)), ..all() }),
            [n(&d), n(&a)],
            "due on or before; an undated one is due by no date"
        );
        assert_eq!(listed(RoiQueueFilter { facility_id: Some(facility(store, "RGH")), ..all() }), [n(&a), n(&b)]);
        let garcia = patient(store, GARCIA);
        assert_eq!(listed(RoiQueueFilter { patient_id: Some(garcia), ..all() }), [n(&a)]);
        assert_eq!(
            listed(RoiQueueFilter {
                patient_id: Some(garcia),
                statuses: vec![RequestStatus::Released, RequestStatus::Logged],
                ..all()
            }),
            [n(&e), n(&a)]
        );
        assert_eq!(
            listed(RoiQueueFilter {
                assigned_to: Some("jdoe".into()),
                request_type: Some(RequestType::Subpoena),
                due_by: Some(day(2, 28)),
                requester: Some("BAK".into()),
                ..all()
            }),
            [n(&d)],
            "filters together"
        );
        // The same filters count the open requests by the day each was received.
        assert_eq!(
            store.roi_open_ages(&all()).unwrap(),
            [(day(1, 15), 1), (day(2, 1), 1), (day(2, 10), 1), (day(2, 20), 2)],
            "E, released, is not open"
        );
        assert_eq!(
            store.roi_open_ages(&RoiQueueFilter { facility_id: Some(facility(store, "RGH")), ..all() }).unwrap(),
            [(day(2, 1), 1), (day(2, 10), 1)]
        );
        assert_eq!(
            store
                .roi_open_ages(&RoiQueueFilter {
                    statuses: vec![RequestStatus::Released, RequestStatus::OnHold],
                    ..all()
                })
                .unwrap(),
            [(day(2, 20), 1)],
            "only the open ones of the statuses asked"
        );
        assert!(
            store
                .roi_open_ages(&RoiQueueFilter { statuses: vec![RequestStatus::Released], ..all() })
                .unwrap()
                .is_empty()
        );
        // A prefix naming many requesters is read another way (the queue's index, not the
        // requesters'): the same requests.
        for n in 0..30 {
            let clone = requester(RequesterKind::Attorney, &format!("Bakerson {n:02}"), "");
            store.add_requester(clone, noted("requester", "")).unwrap();
        }
        assert_eq!(listed(RoiQueueFilter { requester: Some(" baker ".into()), ..all() }), [n(&d), n(&a)]);
        assert_eq!(
            store.roi_open_ages(&RoiQueueFilter { requester: Some("BAKER".into()), ..all() }).unwrap(),
            [(day(1, 15), 1), (day(2, 1), 1)]
        );
        let _ = c;
    });
}

#[test]
fn a_patients_requests_are_listed_newest_first_and_a_requesters_open_ones_for_intake() {
    each_backend(|f| {
        let store = &*f.store;
        let [a, _, _, d, e, _] = queue_of_six(store);
        let garcia = patient(store, GARCIA);
        let recent = store.roi_requests_for_patient(garcia, 4).unwrap();
        assert_eq!(numbers(&recent), [a.number.to_string(), e.number.to_string()], "newest first, closed ones too");
        assert_eq!(recent[1].status, RequestStatus::Released);
        assert_eq!(store.roi_requests_for_patient(garcia, 1).unwrap().len(), 1);
        assert!(store.roi_requests_for_patient(patient(store, "101001"), 4).unwrap().is_empty());
        // Baker & Lowe has an open request for GARCIA; Acme's for her is released.
        assert_eq!(numbers(&store.roi_open_for_requester(garcia, a.requester.id).unwrap()), [a.number.to_string()]);
        assert!(store.roi_open_for_requester(garcia, e.requester.id).unwrap().is_empty());
        assert_eq!(
            numbers(&store.roi_open_for_requester(patient(store, JONES), d.requester.id).unwrap()),
            [d.number.to_string()]
        );
    });
}

#[test]
fn requesters_are_found_by_a_prefix_of_name_or_organization_in_any_case() {
    each_backend(|f| {
        let store = &*f.store;
        let before = audit_trail(store);
        let baker = store.add_requester(attorney(), noted("requester", "added")).unwrap();
        assert_eq!(super::details_since(store, &before), ["added"]);
        assert_eq!(baker.name, "Baker & Lowe LLP");
        let acme = store
            .add_requester(requester(RequesterKind::Insurer, "Acme Insurance", ""), noted("requester", ""))
            .unwrap();
        let county = store
            .add_requester(
                requester(RequesterKind::Agency, "Public Health Office", "County Health Dept"),
                noted("requester", ""),
            )
            .unwrap();
        let bakery = store
            .add_requester(requester(RequesterKind::Employer, "bakery co", "Acme Holdings"), noted("requester", ""))
            .unwrap();
        let names = |prefix: &str, limit| -> Vec<String> {
            store.search_requesters(prefix, limit).unwrap().into_iter().map(|r| r.name).collect()
        };
        assert_eq!(names("baker &", 10), [baker.name.as_str()]);
        assert_eq!(names("BAKE", 10), [baker.name.as_str(), bakery.name.as_str()], "by name, any case");
        assert_eq!(
            names("  acme ", 10),
            [acme.name.as_str(), bakery.name.as_str()],
            "by name or organization, once each"
        );
        assert_eq!(names("county health", 10), [county.name.as_str()]);
        assert_eq!(names("baker & lowe llp", 10), [baker.name.as_str()]);
        assert_eq!(names("baker & lowe llpx", 10), Vec::<String>::new());
        assert_eq!(names("", 2), [acme.name.as_str(), baker.name.as_str()], "every one, by name, to the limit");
        assert_eq!(names("acme", 1), [acme.name.as_str()]);
        assert_eq!(store.search_requesters("county", 5).unwrap(), std::slice::from_ref(&county), "whole");
        assert_eq!(store.requester(county.id).unwrap(), Some(county));
        assert_eq!(store.requester(i64::MAX).unwrap(), None);
    });
}

#[test]
fn letter_templates_are_kept_by_version_and_the_current_one_of_each_kind_is_read() {
    each_backend(|f| {
        let store = &*f.store;
        assert!(store.letter_templates().unwrap().is_empty(), "none saved in a new store");
        let before = audit_trail(store);
        let save = |kind, text: &str, hour| {
            store.save_letter_template(kind, text, "dhim", at(3, 3, hour), noted("letter_template", text)).unwrap()
        };
        let denial = save(LetterKind::Denial, "We cannot release {records}.", 9);
        let first = save(LetterKind::Acknowledgement, "We received your request {number}.", 10);
        let second = save(LetterKind::Acknowledgement, "We received your request {number} on {received}.", 11);
        assert_eq!((denial.version, first.version, second.version), (1, 1, 2));
        assert_eq!((second.saved_by.as_str(), second.saved_at), ("dhim", at(3, 3, 11)));
        assert_eq!(super::details_since(store, &before).len(), 3, "each save its event");
        assert_eq!(
            store.letter_templates().unwrap(),
            [second.clone(), denial.clone()],
            "the current of each, in the kinds' order"
        );
        assert_eq!(store.letter_template_history(LetterKind::Acknowledgement).unwrap(), [first, second]);
        assert!(store.letter_template_history(LetterKind::Rejection).unwrap().is_empty());
    });
}

#[test]
fn a_draft_is_kept_per_clerk_and_kind_until_discarded() {
    each_backend(|f| {
        let store = &*f.store;
        assert_eq!(store.draft("jdoe", "roi_intake").unwrap(), None);
        store.save_draft("jdoe", "roi_intake", "{\"mrn\":\"204511\"}", at(3, 3, 9)).unwrap();
        store.save_draft("jdoe", "roi_intake", "{\"mrn\":\"204511\",\"purpose\":\"x\"}", at(3, 3, 10)).unwrap();
        store.save_draft("tnguyen", "roi_intake", "{}", at(3, 3, 11)).unwrap();
        assert_eq!(
            store.draft("jdoe", "roi_intake").unwrap(),
            Some(("{\"mrn\":\"204511\",\"purpose\":\"x\"}".to_string(), at(3, 3, 10))),
            "the last saved replaces the one before"
        );
        assert_eq!(store.draft("jdoe", "other").unwrap(), None);
        store.discard_draft("jdoe", "roi_intake").unwrap();
        assert_eq!(store.draft("jdoe", "roi_intake").unwrap(), None);
        store.discard_draft("jdoe", "roi_intake").unwrap();
        assert_eq!(
            store.draft("tnguyen", "roi_intake").unwrap(),
            Some(("{}".to_string(), at(3, 3, 11))),
            "another's kept"
        );
    });
}

#[test]
fn a_logged_or_changed_request_moves_the_requests_topic_for_another_handle() {
    use chartroom::store::Topics;
    each_backend(|f| {
        let store = &*f.store;
        let other = common::another_handle(f);
        let since = other.wait_for_change(&ChangeStamp::default(), FEED_DEADLINE).unwrap();
        // The address book and a draft are no screen's topic; the request is.
        let baker = store.add_requester(attorney(), noted("requester", "")).unwrap();
        store.save_draft("jdoe", "roi_intake", "{}", at(3, 3, 9)).unwrap();
        let logged = log(store, request(store, "RGH", GARCIA, RequesterRef::Existing(baker.id), day(3, 3)));
        let seen = other.wait_for_change(&since, FEED_DEADLINE).unwrap();
        assert_eq!(seen.moved_since(&since), Topics::from(Topic::Requests));
        store
            .apply_roi_change(change(&logged, RequestStatus::Validating, "Validating"), noted("roi_request", ""))
            .unwrap();
        let later = other.wait_for_change(&seen, FEED_DEADLINE).unwrap();
        assert_eq!(later.moved_since(&seen), Topics::from(Topic::Requests));
    });
}

/// Rounds of each race: two threads started together usually overlap, not always.
const ROUNDS: usize = 20;

#[test]
fn two_clerks_logging_at_once_never_issue_one_number_twice() {
    each_backend(|f| {
        let other = common::second_handle(f);
        let stores: [&dyn Store; 2] = [&*f.store, &*other];
        let baker = f.store.add_requester(attorney(), noted("requester", "")).unwrap();
        let mut issued = Vec::new();
        for round in 0..ROUNDS {
            let gate = Barrier::new(2);
            let logged: Vec<RoiRequest> = std::thread::scope(|scope| {
                let clerks: Vec<_> = (0..2)
                    .map(|clerk| {
                        let (gate, store) = (&gate, stores[clerk]);
                        let new = request(store, "RGH", GARCIA, RequesterRef::Existing(baker.id), day(3, 3));
                        scope.spawn(move || {
                            gate.wait();
                            store.log_roi_request(new, noted("roi_request", &format!("round {round} clerk {clerk}")))
                        })
                    })
                    .collect();
                clerks.into_iter().map(|c| c.join().unwrap().expect("both are logged")).collect()
            });
            let mut seqs: Vec<i64> = logged.iter().map(|r| r.number.seq).collect();
            seqs.sort_unstable();
            assert_eq!(seqs, [2 * round as i64 + 1, 2 * round as i64 + 2], "round {round}: two numbers, in sequence");
            issued.extend(seqs);
        }
        let page = f.store.roi_queue_page(&RoiQueueFilter::default(), RoiSort::Number, Page::first(100)).unwrap();
        assert_eq!(page.rows.iter().map(|r| r.number.seq).collect::<Vec<_>>(), issued);
    });
}

#[test]
fn two_clerks_changing_one_request_at_once_one_wins_and_the_other_writes_nothing() {
    each_backend(|f| {
        let other = common::second_handle(f);
        let stores: [&dyn Store; 2] = [&*f.store, &*other];
        let logged = log(&*f.store, request(&*f.store, "RGH", GARCIA, RequesterRef::New(attorney()), day(3, 3)));
        let before = audit_trail(&*f.store);
        let mut winners = Vec::new();
        for round in 0..ROUNDS {
            let read = f.store.roi_request_by_id(logged.id).unwrap().unwrap();
            let gate = Barrier::new(2);
            let outcomes: Vec<Result<RoiRequest, StoreError>> = std::thread::scope(|scope| {
                let clerks: Vec<_> = (0..2)
                    .map(|clerk| {
                        let (gate, store) = (&gate, stores[clerk]);
                        let mut assign =
                            change(&read, RequestStatus::Validating, &format!("round {round}: clerk {clerk}"));
                        assign.assigned_to = Some(Some(format!("clerk{clerk}")));
                        scope.spawn(move || {
                            gate.wait();
                            let says = assign.detail.clone();
                            store.apply_roi_change(assign, noted("roi_request", &says))
                        })
                    })
                    .collect();
                clerks.into_iter().map(|c| c.join().unwrap()).collect()
            });
            let won: Vec<usize> = (0..2).filter(|&i| outcomes[i].is_ok()).collect();
            assert_eq!(won.len(), 1, "round {round}: exactly one wins: {outcomes:?}");
            assert!(matches!(outcomes[1 - won[0]], Err(StoreError::Conflict)), "round {round}: {outcomes:?}");
            winners.push(format!("round {round}: clerk {}", won[0]));
        }
        let now = f.store.roi_request_by_id(logged.id).unwrap().unwrap();
        assert_eq!(now.version, 1 + ROUNDS as i64, "one write a round");
        let details: Vec<String> = now.history.iter().skip(1).map(|h| h.detail.clone()).collect();
        assert_eq!(details, winners, "one history line a round: the winner's");
        assert_eq!(super::details_since(&*f.store, &before), winners, "one audit event a round: the winner's");
    });
}

#[test]
fn a_patient_renamed_by_an_import_sorts_by_the_new_name() {
    use chartroom::domain::names::PersonName;
    use chartroom::domain::patient::{NameKeys, Sex};
    use chartroom::store::imports::{ImportBatch, ImportedPatient};
    each_backend(|f| {
        let store = &*f.store;
        let import = |family: &str| {
            let name = PersonName::new(family, "Anna", "");
            ImportBatch {
                system: "synthea".into(),
                export: "fhir".into(),
                facility_code: "RGH".into(),
                patients: vec![ImportedPatient {
                    source_id: "pat-roi".into(),
                    keys: NameKeys::of(&name),
                    name,
                    sex: Sex::Female,
                    birth_date: NaiveDate::from_ymd_opt(1970, 5, 6).unwrap(),
                    ssn_last4: None,
                    ssn_hash: None,
                    deceased_on: None,
                    address: String::new(),
                }],
                audit: Some(noted("import", family)),
                ..Default::default()
            }
        };
        store.apply_import(import("Aaberg")).unwrap();
        let anna = store.search_patients(&super::name("AABERG", "ANNA"), Page::first(5)).unwrap().rows[0].clone();
        let baker = store.add_requester(attorney(), noted("requester", "")).unwrap();
        let mut hers = request(store, "RGH", GARCIA, RequesterRef::Existing(baker.id), day(3, 3));
        hers.patient_id = anna.patient_id;
        let hers = log(store, hers);
        let garcias = log(store, request(store, "RGH", GARCIA, RequesterRef::Existing(baker.id), day(3, 3)));
        let by_patient = || {
            let page = store.roi_queue_page(&RoiQueueFilter::default(), RoiSort::Patient, Page::first(10)).unwrap();
            page.rows.into_iter().map(|r| (r.number.to_string(), r.patient_name)).collect::<Vec<_>>()
        };
        assert_eq!(
            by_patient(),
            [
                (hers.number.to_string(), "AABERG, ANNA".to_string()),
                (garcias.number.to_string(), "GARCIA, MARIA L".into())
            ]
        );
        store.apply_import(import("Zysk")).unwrap();
        assert_eq!(
            by_patient(),
            [
                (garcias.number.to_string(), "GARCIA, MARIA L".to_string()),
                (hers.number.to_string(), "ZYSK, ANNA".into())
            ],
            "the request sorts under the name the patient has now"
        );
    });
}

#[test]
fn a_request_logged_released_is_written_with_its_disclosure_in_a_batch_or_alone() {
    each_backend(|f| {
        let store = &*f.store;
        let baker = store.add_requester(attorney(), noted("requester", "added")).unwrap();
        let garcia = patient(store, GARCIA);
        let released = |on: NaiveDate, recipient: &str| {
            let mut r = request(store, "RGH", GARCIA, RequesterRef::Existing(baker.id), day(1, 10));
            r.status = RequestStatus::Released;
            r.disclosure = Some(DisclosureRecord {
                disclosed_on: on,
                recipient: recipient.into(),
                recipient_address: "400 Congress Ave\nAustin TX 78701".into(),
                description: "Entire record".into(),
                purpose: "Litigation".into(),
                legal_basis: LegalBasis::Judicial,
                accountable: true,
                pages: 30,
                by: "jdoe".into(),
            });
            r
        };
        let open = request(store, "RGH", GARCIA, RequesterRef::Existing(baker.id), day(1, 10));
        let batch = vec![released(day(1, 20), "Baker & Lowe LLP"), open, released(day(1, 21), "Second LLP")];
        assert_eq!(store.insert_roi_batch(batch, noted("roi_request", "batch")).unwrap(), 3);
        let alone = log(store, released(day(1, 22), "Third LLP"));
        assert_eq!(alone.disclosures.len(), 1);
        assert_eq!(alone.disclosures[0].recipient_address, "400 Congress Ave\nAustin TX 78701");

        let found = store.patient_disclosures(garcia, day(1, 20), day(1, 22)).unwrap();
        let shown: Vec<(&str, Option<&str>)> =
            found.iter().map(|d| (d.disclosure.recipient.as_str(), d.disclosure.request.as_deref())).collect();
        assert_eq!(shown.len(), 3, "the open request wrote none: {shown:?}");
        assert_eq!(shown[2], ("Third LLP", Some(alone.number.to_string().as_str())));
        assert!(shown.iter().all(|(_, number)| number.is_some_and(|n| n.starts_with("RGH-"))), "{shown:?}");
        let first = store.roi_request(&RequestNumber::parse(shown[0].1.unwrap()).unwrap()).unwrap().unwrap();
        assert_eq!(first.disclosures[0].recipient, "Baker & Lowe LLP", "each on its own request");
    });
}

#[test]
fn a_legal_process_and_the_papers_received_for_it_read_back_whole_and_are_replaced_in_a_change() {
    each_backend(|f| {
        let store = &*f.store;
        let mut new = request(store, "MVC", GARCIA, RequesterRef::New(attorney()), day(3, 10));
        new.request_type = RequestType::Subpoena;
        new.status = RequestStatus::Pended;
        new.status_reason = Some("Awaiting HIPAA satisfactory assurance / QPO".into());
        let served = LegalProcess {
            caption: "GARCIA v. LAKESIDE TRANSIT".into(),
            return_on: Some(day(4, 2)),
            jurisdiction: Jurisdiction::Federal,
            ..LegalProcess::served(LegalProcessKind::Subpoena, false, day(3, 10), "S.D. Cal.", "3:25-cv-0042")
        };
        new.legal_process = Some(served.clone());
        let logged = log(store, new);
        assert_eq!(logged.legal_process.as_ref(), Some(&served), "no paper yet: none read back");

        let papered = LegalProcess {
            assurance: Some(Assurance { received_on: day(3, 12), note: "notice mailed 02/20; no objection".into() }),
            qpo_on: Some(day(3, 13)),
            part2_order: Some(Part2Order {
                ordered_on: day(3, 14),
                court: "S.D. Cal.".into(),
                order_no: "CIV-2064-17".into(),
            }),
            ..served.clone()
        };
        let mut resume = change(&logged, RequestStatus::Validating, "Satisfactory assurance received 03/12/2025");
        resume.status_reason = Some(None);
        resume.legal_process = Some(papered.clone());
        let before = audit_trail(store);
        let resumed = store.apply_roi_change(resume.clone(), noted("roi_request", "assurance")).unwrap();
        assert_eq!(resumed.legal_process.as_ref(), Some(&papered));
        assert_eq!((resumed.status, resumed.status_reason.as_deref()), (RequestStatus::Validating, None));
        assert_eq!(audit_since(store, &before).iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(), ["assurance"]);
        assert_eq!(store.roi_request_by_id(logged.id).unwrap().as_ref(), Some(&resumed), "read back the same");

        // Refused at a stale version: the papers are not written either.
        let err =
            fails_writing_nothing(store, || store.apply_roi_change(resume.clone(), noted("roi_request", "again")));
        assert!(matches!(err, StoreError::Conflict), "{err}");

        // A change that names no legal process leaves it.
        let unassigned = store
            .apply_roi_change(change(&resumed, RequestStatus::Validating, "note"), noted("roi_request", "n"))
            .unwrap();
        assert_eq!(unassigned.legal_process.as_ref(), Some(&papered));
    });
}
