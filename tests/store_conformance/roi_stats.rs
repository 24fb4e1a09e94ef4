//! The Director's view of release of information: what the store counts for a period — requests
//! received per day, those first released in it, those open on a day by due date, those pended by
//! reason, fees by day — the same rows on every backend, no patient named, one facility or all.

use super::each_backend;
use super::noted;
use super::roi::{GARCIA, at, attorney, change, day, log, request};
use chartroom::domain::roi::accounting::first_release;
use chartroom::domain::roi::fees::{AdjustmentKind, Quote};
use chartroom::domain::roi::stats::{Period, StatsFacts};
use chartroom::domain::roi::{LegalBasis, RequestStatus};
use chartroom::store::Store;
use chartroom::store::roi::{
    DisclosureRecord, DisclosureVoid, FeeAdjustment, NewInvoice, NewRoiRequest, RequesterRef, RoiRequest,
    RoiStatsQuery, VoidedRelease,
};
use chrono::NaiveDate;

fn disclosure(on: NaiveDate) -> DisclosureRecord {
    DisclosureRecord {
        disclosed_on: on,
        recipient: "Baker & Lowe LLP".into(),
        recipient_address: "12 Main St".into(),
        description: "Entire record".into(),
        purpose: "Litigation".into(),
        legal_basis: LegalBasis::Authorization,
        accountable: false,
        pages: 12,
        by: "jdoe".into(),
    }
}

fn invoice(total_cents: i64, issued_on: NaiveDate, payments: Vec<(NaiveDate, i64)>) -> NewInvoice {
    NewInvoice {
        quote: Quote {
            schedule: "TX-241.154".into(),
            version: 1,
            basis: "TX HSC 241.154".into(),
            lines: Vec::new(),
            total_cents,
        },
        issued_on,
        payments,
    }
}

/// Releases `read` on `on`, as the desk's release writes it: the request stands released from its
/// first disclosure not voided.
fn release(store: &dyn Store, read: &RoiRequest, on: NaiveDate) -> RoiRequest {
    let mut c = change(read, RequestStatus::Released, "Released");
    c.add_disclosure = Some(disclosure(on));
    c.released_on = Some(first_release(read.disclosures.iter().map(|d| d.disclosed_on).chain([on])));
    store.apply_roi_change(c, noted("roi_request", "released")).unwrap()
}

fn adjust(store: &dyn Store, read: &RoiRequest, kind: AdjustmentKind, on: NaiveDate, cents: i64) -> RoiRequest {
    let mut c = change(read, read.status, "adjusted");
    c.add_fee_adjustment = Some(FeeAdjustment {
        invoice_no: format!("{}-1", read.number),
        kind,
        on,
        amount_cents: cents,
        reason: "test".into(),
        by: "msuper".into(),
        at: at(3, 12, 9),
    });
    store.apply_roi_change(c, noted("roi_request", "adjusted")).unwrap()
}

fn sorted(mut facts: StatsFacts) -> StatsFacts {
    facts.received.sort();
    facts.released.sort();
    facts.open_by_due.sort();
    facts.pended.sort();
    facts.invoiced.sort();
    facts.paid.sort();
    facts.adjusted.sort_by_key(|(on, kind, cents)| (*on, kind.code(), *cents));
    facts
}

#[test]
fn a_periods_requests_releases_open_pended_and_fees_are_counted_by_day() {
    each_backend(|f| {
        let store = &*f.store;
        let baker = store.add_requester(attorney(), noted("requester", "added")).unwrap();
        let new = |facility: &str, received: NaiveDate| -> NewRoiRequest {
            request(store, facility, GARCIA, RequesterRef::Existing(baker.id), received)
        };
        let logged = |mut r: NewRoiRequest, status: RequestStatus, due: Option<NaiveDate>| {
            r.status = status;
            r.due.due_on = due;
            log(store, r)
        };
        // Released on 03/03, logged so (the demo's way): received 02/20.
        let mut a = new("RGH", day(2, 20));
        a.status = RequestStatus::Released;
        a.disclosure = Some(disclosure(day(3, 3)));
        a.released_on = Some(day(3, 3));
        log(store, a);
        // Received 03/03, invoiced $92.00 and half paid 03/04, released 03/04; then $0.50 refunded
        // and $46.00 written off on 03/12.
        let mut b = new("RGH", day(3, 3));
        b.invoice = Some(invoice(9200, day(3, 4), vec![(day(3, 4), 4600)]));
        let b = release(store, &log(store, b), day(3, 4));
        let b = adjust(store, &b, AdjustmentKind::Refund, day(3, 12), 50);
        adjust(store, &b, AdjustmentKind::WriteOff, day(3, 12), 4600);
        // The same at another facility; its $27.50 invoice of 03/11 voided that day.
        let mut c = new("MVC", day(3, 3));
        c.invoice = Some(invoice(2750, day(3, 11), Vec::new()));
        let c = release(store, &log(store, c), day(3, 4));
        adjust(store, &c, AdjustmentKind::Void, day(3, 11), 2750);
        // Released 02/10, before the period, and again 03/11: not a release of the period.
        let d = release(store, &log(store, new("RGH", day(2, 1))), day(2, 10));
        release(store, &d, day(3, 11));
        // Its 03/05 disclosure voided: first released 03/11.
        let e = release(store, &log(store, new("RGH", day(2, 27))), day(3, 5));
        let voided = store.patient_disclosures(e.patient_id, day(3, 5), day(3, 5)).unwrap();
        let voided = voided.iter().find(|s| s.disclosure.request.as_deref() == Some(&*e.number.to_string())).unwrap();
        let void = DisclosureVoid { at: at(3, 6, 9), by: "msuper".into(), reason: "wrong recipient".into() };
        let unreleased = VoidedRelease {
            request_id: e.id,
            expected_version: e.version,
            released_on: None,
            detail: "Voided it".into(),
        };
        store.void_disclosure(voided.disclosure.id, void, Some(unreleased), noted("disclosure", "voided")).unwrap();
        release(store, &store.roi_request_by_id(e.id).unwrap().unwrap(), day(3, 11));
        // Open on 03/12: due 03/11 (late), due 04/04 and pended, undated and pended (received before
        // the period), due 03/05 and released only on 03/13 (after the day: open, late, then).
        logged(new("RGH", day(3, 10)), RequestStatus::Logged, Some(day(3, 11)));
        let mut g = new("RGH", day(3, 5));
        g.status_reason = Some("Deficient authorization".into());
        logged(g, RequestStatus::Pended, Some(day(4, 4)));
        logged(new("RGH", day(2, 28)), RequestStatus::Pended, None);
        let i = logged(new("RGH", day(3, 1)), RequestStatus::ReadyToRelease, Some(day(3, 5)));
        release(store, &i, day(3, 13));
        // After the period, and one rejected: received only.
        logged(new("RGH", day(3, 20)), RequestStatus::Logged, Some(day(4, 19)));
        logged(new("RGH", day(3, 2)), RequestStatus::Rejected, Some(day(4, 1)));

        let period = Period::new(day(3, 1), day(3, 14)).unwrap();
        let all =
            sorted(store.roi_stats_facts(&RoiStatsQuery { period, as_of: day(3, 12), facility_id: None }).unwrap());
        assert_eq!(
            all,
            StatsFacts {
                received: vec![(day(3, 1), 1), (day(3, 2), 1), (day(3, 3), 2), (day(3, 5), 1), (day(3, 10), 1)],
                released: vec![
                    (day(2, 20), day(3, 3), 1),
                    (day(2, 27), day(3, 11), 1),
                    (day(3, 1), day(3, 13), 1),
                    (day(3, 3), day(3, 4), 2),
                ],
                open_by_due: vec![(None, 1), (Some(day(3, 5)), 1), (Some(day(3, 11)), 1), (Some(day(4, 4)), 1)],
                pended: vec![(String::new(), 1), ("Deficient authorization".into(), 1)],
                invoiced: vec![(day(3, 4), 9200), (day(3, 11), 2750)],
                paid: vec![(day(3, 4), 4600)],
                adjusted: vec![
                    (day(3, 11), AdjustmentKind::Void, 2750),
                    (day(3, 12), AdjustmentKind::Refund, 50),
                    (day(3, 12), AdjustmentKind::WriteOff, 4600),
                ],
            }
        );

        // One facility: MVC's request and its invoice are not RGH's.
        let rgh = store.list_facilities().unwrap().into_iter().find(|f| f.code == "RGH").unwrap().id;
        let one = sorted(
            store.roi_stats_facts(&RoiStatsQuery { period, as_of: day(3, 12), facility_id: Some(rgh) }).unwrap(),
        );
        assert_eq!(one.received[2], (day(3, 3), 1));
        assert_eq!(one.released[3], (day(3, 3), day(3, 4), 1));
        assert_eq!(one.invoiced, [(day(3, 4), 9200)]);
        assert_eq!(one.adjusted.len(), 2, "the void was MVC's");
        assert_eq!(one.open_by_due, all.open_by_due);

        // As of 03/13, the request released that day no longer stood open; a day with nothing in it.
        let later =
            sorted(store.roi_stats_facts(&RoiStatsQuery { period, as_of: day(3, 13), facility_id: None }).unwrap());
        assert_eq!(later.open_by_due, [(None, 1), (Some(day(3, 11)), 1), (Some(day(4, 4)), 1)]);
        let quiet = Period::new(day(1, 6), day(1, 12)).unwrap();
        let none =
            store.roi_stats_facts(&RoiStatsQuery { period: quiet, as_of: day(1, 12), facility_id: None }).unwrap();
        assert_eq!(
            (none.received.len(), none.released.len(), none.open_by_due.len(), none.invoiced.len()),
            (0, 0, 0, 0)
        );
    });
}

/// The day a request was released is the desk's: the store writes the day it is told, with a
/// release and with a void, and a void read before the request moved is refused whole.
#[test]
fn the_release_day_is_written_as_told_and_a_void_against_a_moved_request_writes_nothing() {
    each_backend(|f| {
        let store = &*f.store;
        let baker = store.add_requester(attorney(), noted("requester", "added")).unwrap();
        let read = log(store, request(store, "RGH", GARCIA, RequesterRef::Existing(baker.id), day(3, 2)));
        let released_on = |store: &dyn Store| {
            let period = Period::new(day(3, 1), day(3, 31)).unwrap();
            store.roi_stats_facts(&RoiStatsQuery { period, as_of: day(3, 31), facility_id: None }).unwrap().released
        };
        // Disclosed 03/04, but the desk said 03/09: the store works nothing out.
        let mut c = change(&read, RequestStatus::Released, "Released");
        c.add_disclosure = Some(disclosure(day(3, 4)));
        c.released_on = Some(Some(day(3, 9)));
        let released = store.apply_roi_change(c, noted("roi_request", "released")).unwrap();
        assert_eq!(released_on(store), [(day(3, 2), day(3, 9), 1)]);

        let made = store.patient_disclosures(released.patient_id, day(3, 4), day(3, 4)).unwrap();
        let made =
            made.iter().find(|s| s.disclosure.request.as_deref() == Some(&*released.number.to_string())).unwrap();
        let void = DisclosureVoid { at: at(3, 10, 9), by: "msuper".into(), reason: "wrong recipient".into() };
        let stale = VoidedRelease {
            request_id: released.id,
            expected_version: read.version,
            released_on: None,
            detail: "Voided it".into(),
        };
        let err = super::fails_writing_nothing(store, || {
            store.void_disclosure(made.disclosure.id, void.clone(), Some(stale.clone()), noted("disclosure", "x"))
        });
        assert!(matches!(err, chartroom::store::StoreError::Conflict), "{err:?}");
        assert!(store.disclosure(made.disclosure.id).unwrap().unwrap().void.is_none(), "not voided");
        assert_eq!(released_on(store), [(day(3, 2), day(3, 9), 1)]);

        let current = VoidedRelease { expected_version: released.version, ..stale };
        store.void_disclosure(made.disclosure.id, void, Some(current), noted("disclosure", "voided")).unwrap();
        assert_eq!(released_on(store), []);
        let after = store.roi_request_by_id(released.id).unwrap().unwrap();
        assert_eq!(after.version, released.version + 1);
        let last = after.history.last().unwrap();
        assert_eq!(
            (last.detail.as_str(), last.by.as_str(), last.to_status),
            ("Voided it", "msuper", RequestStatus::Released)
        );
    });
}
