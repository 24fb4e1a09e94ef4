//! The accounting of disclosures' store: a patient's disclosures by day, one recorded without a
//! request, a void that keeps the row, agencies' suspensions and the accountings delivered — each
//! write with its audit event, the same on every backend.

use super::{FEED_DEADLINE, audit_since, audit_trail, common, each_backend, fails_writing_nothing, noted};
use chartroom::domain::mrn::Mrn;
use chartroom::domain::roi::LegalBasis;
use chartroom::domain::roi::accounting::{Statement, Suspension};
use chartroom::store::roi::{AccountingDelivery, DisclosureVoid, NewDisclosure};
use chartroom::store::{ChangeStamp, Store, StoreError, Topic, Topics};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

const GARCIA: &str = "204511";
const SMITH: &str = "100234";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn at(m: u32, day: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, day, h, 0, 0).unwrap()
}

fn patient(store: &dyn Store, mrn: &str) -> i64 {
    store.patient_by_mrn(&Mrn::parse(mrn).unwrap()).unwrap().unwrap().patient_id
}

fn disclosure(patient_id: i64, on: NaiveDate, recipient: &str, basis: LegalBasis) -> NewDisclosure {
    NewDisclosure {
        patient_id,
        disclosed_on: on,
        recipient: recipient.into(),
        recipient_address: format!("1100 W 49th St\nAustin, TX 78756 ({recipient})"),
        description: "Positive culture, lab report".into(),
        purpose: "Reportable condition".into(),
        legal_basis: basis,
        accountable: basis.accountable(),
        pages: 2,
        by: "jdoe".into(),
    }
}

#[test]
fn a_disclosure_is_recorded_with_its_event_and_read_back_by_day_in_order() {
    each_backend(|f| {
        let store = &*f.store;
        let garcia = patient(store, GARCIA);
        let smith = patient(store, SMITH);
        let before = audit_trail(store);
        let late = store
            .record_disclosure(
                disclosure(garcia, d(2023, 8, 15), "Travis County Court", LegalBasis::Judicial),
                noted("disclosure", "court"),
            )
            .unwrap();
        let early = store
            .record_disclosure(
                disclosure(garcia, d(2021, 6, 1), "Texas DSHS", LegalBasis::PublicHealth),
                noted("disclosure", "dshs"),
            )
            .unwrap();
        store
            .record_disclosure(
                disclosure(smith, d(2022, 1, 1), "Texas DSHS", LegalBasis::PublicHealth),
                noted("disclosure", "smith"),
            )
            .unwrap();
        store
            .record_disclosure(
                disclosure(garcia, d(2019, 3, 2), "Texas DSHS", LegalBasis::PublicHealth),
                noted("disclosure", "old"),
            )
            .unwrap();

        let written = audit_since(store, &before);
        assert_eq!(written.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(), ["court", "dshs", "smith", "old"]);
        assert_eq!(written[0].entity_id.as_deref(), Some(format!("D-{}", late.disclosure.id).as_str()));
        assert_eq!(written[0].patient_id, Some(garcia));

        assert_eq!(early.disclosure.recipient_address, "1100 W 49th St\nAustin, TX 78756 (Texas DSHS)");
        assert_eq!(early.disclosure.legal_basis, LegalBasis::PublicHealth);
        assert!(early.disclosure.accountable && !early.disclosure.voided && early.void.is_none());
        assert_eq!((early.pages, early.by.as_str(), early.patient_id), (2, "jdoe", garcia));
        assert_eq!(early.disclosure.request, None);
        assert_eq!(store.disclosure(early.disclosure.id).unwrap().as_ref(), Some(&early));

        // Both ends of the period are whole days, included; another patient's are not read.
        let found = store.patient_disclosures(garcia, d(2019, 3, 3), d(2023, 8, 15)).unwrap();
        let ids: Vec<i64> = found.iter().map(|s| s.disclosure.id).collect();
        assert_eq!(ids, [early.disclosure.id, late.disclosure.id]);
        assert_eq!(store.patient_disclosures(garcia, d(2023, 8, 16), d(2024, 8, 14)).unwrap(), []);
        assert_eq!(store.patient_disclosures(garcia, d(2019, 3, 2), d(2019, 3, 2)).unwrap().len(), 1);

        // A disclosure of no patient is refused and writes nothing.
        let err = fails_writing_nothing(store, || {
            store.record_disclosure(
                disclosure(i64::MAX, d(2024, 1, 1), "X", LegalBasis::Breach),
                noted("disclosure", "x"),
            )
        });
        assert!(!matches!(err, StoreError::Conflict), "{err:?}");
    });
}

#[test]
fn a_void_keeps_the_row_with_who_when_and_why_and_a_second_void_is_a_conflict() {
    each_backend(|f| {
        let store = &*f.store;
        let garcia = patient(store, GARCIA);
        let row = store
            .record_disclosure(
                disclosure(garcia, d(2024, 2, 1), "Texas DSHS", LegalBasis::PublicHealth),
                noted("disclosure", "dshs"),
            )
            .unwrap();
        let id = row.disclosure.id;
        let before = audit_trail(store);
        let void = DisclosureVoid { at: at(3, 4, 15), by: "kwong".into(), reason: "wrong patient".into() };
        let after = store.void_disclosure(id, void.clone(), None, noted("disclosure", "before/after")).unwrap();
        assert!(after.disclosure.voided);
        assert_eq!(after.void.as_ref(), Some(&void));
        assert_eq!(after.disclosure.recipient, row.disclosure.recipient, "the rest is as it was");
        let written = audit_since(store, &before);
        assert_eq!(written.len(), 1);
        assert_eq!(written[0].detail, "before/after");
        assert_eq!(written[0].entity_id.as_deref(), Some(format!("D-{id}").as_str()));
        assert_eq!(written[0].patient_id, Some(garcia));

        // Never deleted: still read, by id and by day, marked voided.
        assert_eq!(store.disclosure(id).unwrap().as_ref(), Some(&after));
        let found = store.patient_disclosures(garcia, d(2024, 2, 1), d(2024, 2, 1)).unwrap();
        assert_eq!(found, std::slice::from_ref(&after));
        // Off the chart's Releases tab.
        let chart = store.load_chart(garcia).unwrap().unwrap();
        assert!(chart.releases.iter().all(|r| r.id != id));

        let again = DisclosureVoid { at: at(3, 5, 9), by: "dhim".into(), reason: "again".into() };
        let err =
            fails_writing_nothing(store, || store.void_disclosure(id, again.clone(), None, noted("disclosure", "x")));
        assert!(matches!(err, StoreError::Conflict), "{err:?}");
        assert_eq!(store.disclosure(id).unwrap().unwrap().void.as_ref(), Some(&void), "the first void stands");
        let err = fails_writing_nothing(store, || {
            store.void_disclosure(i64::MAX, again.clone(), None, noted("disclosure", "x"))
        });
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    });
}

#[test]
fn suspensions_and_deliveries_are_kept_per_patient_in_order() {
    each_backend(|f| {
        let store = &*f.store;
        let garcia = patient(store, GARCIA);
        let smith = patient(store, SMITH);
        let before = audit_trail(store);
        let written = Suspension {
            agency: "Travis County Sheriff".into(),
            logged_on: d(2025, 3, 10),
            statement: Statement::Written { until: d(2025, 9, 1) },
        };
        let oral = Suspension {
            agency: "Travis County Sheriff".into(),
            logged_on: d(2025, 2, 20),
            statement: Statement::Oral,
        };
        store
            .add_accounting_suspension(
                garcia,
                written.clone(),
                "jdoe",
                at(3, 10, 9),
                noted("accounting_suspension", "written"),
            )
            .unwrap();
        let kept = store
            .add_accounting_suspension(
                garcia,
                oral.clone(),
                "jdoe",
                at(2, 20, 9),
                noted("accounting_suspension", "oral"),
            )
            .unwrap();
        assert_eq!((kept.patient_id, kept.by.as_str(), kept.at), (garcia, "jdoe", at(2, 20, 9)));
        let listed: Vec<Suspension> =
            store.accounting_suspensions(garcia).unwrap().into_iter().map(|s| s.suspension).collect();
        assert_eq!(listed, [oral, written], "by the day each was logged");
        assert_eq!(store.accounting_suspensions(smith).unwrap(), []);

        let delivery = |on: NaiveDate, cents: i64| AccountingDelivery {
            patient_id: garcia,
            requested_on: on,
            delivered_on: on,
            fee_cents: cents,
            by: "jdoe".into(),
            at: at(3, 3, 10),
        };
        store.record_accounting_delivery(delivery(d(2025, 6, 10), 1250), noted("accounting", "second")).unwrap();
        store.record_accounting_delivery(delivery(d(2025, 3, 3), 0), noted("accounting", "first")).unwrap();
        assert_eq!(
            store.accounting_deliveries(garcia).unwrap(),
            [delivery(d(2025, 3, 3), 0), delivery(d(2025, 6, 10), 1250)]
        );
        assert_eq!(store.accounting_deliveries(smith).unwrap(), []);
        let events = audit_since(store, &before);
        assert_eq!(
            events.iter().map(|e| e.detail.as_str()).collect::<Vec<_>>(),
            ["written", "oral", "second", "first"]
        );
        assert!(events.iter().all(|e| e.patient_id == Some(garcia)), "each names the patient");
    });
}

#[test]
fn a_disclosure_recorded_or_voided_and_a_suspension_move_the_requests_topic_for_another_handle() {
    each_backend(|f| {
        let store = &*f.store;
        let other = common::another_handle(f);
        let garcia = patient(store, GARCIA);
        let since = other.wait_for_change(&ChangeStamp::default(), FEED_DEADLINE).unwrap();
        let row = store
            .record_disclosure(
                disclosure(garcia, d(2024, 2, 1), "Texas DSHS", LegalBasis::PublicHealth),
                noted("disclosure", ""),
            )
            .unwrap();
        let seen = other.wait_for_change(&since, FEED_DEADLINE).unwrap();
        assert_eq!(seen.moved_since(&since), Topics::from(Topic::Requests));
        let void = DisclosureVoid { at: at(3, 4, 15), by: "kwong".into(), reason: "wrong patient".into() };
        store.void_disclosure(row.disclosure.id, void, None, noted("disclosure", "")).unwrap();
        let later = other.wait_for_change(&seen, FEED_DEADLINE).unwrap();
        assert_eq!(later.moved_since(&seen), Topics::from(Topic::Requests));
        let oral = Suspension {
            agency: "Travis County Sheriff".into(),
            logged_on: d(2025, 2, 20),
            statement: Statement::Oral,
        };
        store
            .add_accounting_suspension(garcia, oral, "jdoe", at(2, 20, 9), noted("accounting_suspension", ""))
            .unwrap();
        let last = other.wait_for_change(&later, FEED_DEADLINE).unwrap();
        assert_eq!(last.moved_since(&later), Topics::from(Topic::Requests));
    });
}
