//! Release-of-information fees: the seed schedules a migration writes, new versions that never
//! change the old, and a request's quotes, invoices, payments and adjustments kept as written,
//! each with its history line and audit event.

use super::roi::{GARCIA, at, attorney, change, day, log, request};
use super::{audit_since, audit_trail, each_backend, fails_writing_nothing, noted};
use chartroom::domain::roi::RequestStatus;
use chartroom::domain::roi::fees::{AdjustmentKind, FeeLine, Quote, TX_HOSPITAL, seed_schedules};
use chartroom::store::roi::{FeeAdjustment, FeeKind, FeeRecord, NewInvoice, PaymentRecord, RequesterRef};

fn sorted(
    mut schedules: Vec<chartroom::domain::roi::fees::FeeSchedule>,
) -> Vec<chartroom::domain::roi::fees::FeeSchedule> {
    schedules.sort_by(|a, b| (&a.code, a.version).cmp(&(&b.code, b.version)));
    schedules
}

#[test]
fn the_seed_schedules_are_the_domains_and_a_change_is_a_new_version_with_its_event() {
    each_backend(|f| {
        let store = &*f.store;
        let seeded = store.fee_schedules().unwrap();
        assert_eq!(seeded, sorted(seed_schedules()), "the migration's rows are the domain's seed, by code");

        let v1 = seeded.iter().find(|s| s.code == TX_HOSPITAL).unwrap().clone();
        let mut rates = v1.rates.clone();
        rates.paper.bands[0].unit_cents = 110;
        let before = audit_trail(store);
        let v2 = store
            .save_fee_schedule(TX_HOSPITAL, day(4, 1), &rates, "dhim", at(3, 20, 9), noted("fee_schedule", "raised"))
            .unwrap();
        assert_eq!((v2.code.as_str(), v2.version, v2.effective_from, &v2.rates), (TX_HOSPITAL, 2, day(4, 1), &rates));
        let events = audit_since(store, &before);
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].entity_id.as_deref(), events[0].detail.as_str()), (Some("TX-241.154 v2"), "raised"));

        let now = store.fee_schedules().unwrap();
        assert_eq!(now.len(), seeded.len() + 1);
        assert!(now.contains(&v1), "version 1 is kept unchanged");
        assert!(now.contains(&v2));
        let v3 = store
            .save_fee_schedule(TX_HOSPITAL, day(5, 1), &v1.rates, "dhim", at(3, 21, 9), noted("fee_schedule", "back"))
            .unwrap();
        assert_eq!(v3.version, 3, "numbered after the last, whatever it holds");
    });
}

fn quote(total_cents: i64) -> Quote {
    Quote {
        schedule: TX_HOSPITAL.into(),
        version: 1,
        basis: "TX HSC 241.154".into(),
        lines: vec![
            FeeLine {
                description: "Retrieval/processing incl. pages 1-10".into(),
                quantity: 1,
                unit_cents: 3000,
                amount_cents: 3000,
            },
            FeeLine { description: "Pages 11-60".into(), quantity: 50, unit_cents: 100, amount_cents: 5000 },
            FeeLine { description: "Pages 61-75".into(), quantity: 15, unit_cents: 50, amount_cents: 750 },
            FeeLine { description: "Postage".into(), quantity: 1, unit_cents: 450, amount_cents: 450 },
        ],
        total_cents,
    }
}

#[test]
fn quotes_invoices_payments_and_adjustments_are_kept_as_written_with_their_events() {
    each_backend(|f| {
        let store = &*f.store;
        let logged = log(store, request(store, "RGH", GARCIA, RequesterRef::New(attorney()), day(3, 3)));
        assert!(logged.fees.is_empty() && logged.fee_adjustments.is_empty());

        let quoted_record = FeeRecord {
            kind: FeeKind::Quote,
            invoice_no: None,
            quote: quote(9200),
            issued_on: day(3, 4),
            by: "jdoe".into(),
            at: at(3, 4, 10),
        };
        let mut c = change(&logged, RequestStatus::Logged, "Fee quoted: $92.00");
        c.add_fee = Some(quoted_record.clone());
        let quoted = store.apply_roi_change(c, noted("roi_request", "quoted")).unwrap();
        assert_eq!(quoted.fees, std::slice::from_ref(&quoted_record));

        let invoice = FeeRecord {
            kind: FeeKind::Invoice,
            invoice_no: Some("RGH-00001-1".into()),
            issued_on: day(3, 5),
            ..quoted_record.clone()
        };
        let mut c = change(&quoted, RequestStatus::AwaitingPayment, "Invoice RGH-00001-1 issued");
        c.add_fee = Some(invoice.clone());
        let before = audit_trail(store);
        let invoiced = store.apply_roi_change(c, noted("roi_request", "invoiced")).unwrap();
        assert_eq!(invoiced.fees, [quoted_record.clone(), invoice.clone()], "oldest first");
        assert_eq!(invoiced.status, RequestStatus::AwaitingPayment);
        assert_eq!(audit_since(store, &before).len(), 1);

        // One invoice number is one invoice: a second with it is refused, writing nothing.
        let mut again = change(&invoiced, RequestStatus::AwaitingPayment, "Invoice again");
        again.add_fee = Some(invoice.clone());
        fails_writing_nothing(store, || store.apply_roi_change(again.clone(), noted("roi_request", "again")));
        assert_eq!(store.roi_request_by_id(logged.id).unwrap().unwrap(), invoiced, "unchanged");

        let payment = PaymentRecord {
            paid_on: day(3, 10),
            amount_cents: 5000,
            by: "jdoe".into(),
            at: at(3, 10, 9),
            invoice_no: Some("RGH-00001-1".into()),
        };
        let mut c = change(&invoiced, RequestStatus::AwaitingPayment, "Payment of $50.00");
        c.add_payment = Some(payment.clone());
        let paid = store.apply_roi_change(c, noted("roi_request", "paid")).unwrap();
        assert_eq!(paid.payments, std::slice::from_ref(&payment));

        let write_off = FeeAdjustment {
            invoice_no: "RGH-00001-1".into(),
            kind: AdjustmentKind::WriteOff,
            on: day(3, 11),
            amount_cents: 4200,
            reason: "hardship".into(),
            by: "msuper".into(),
            at: at(3, 11, 9),
        };
        let mut c = change(&paid, RequestStatus::ReadyToRelease, "Write-off of $42.00");
        c.add_fee_adjustment = Some(write_off.clone());
        let settled = store.apply_roi_change(c, noted("roi_request", "written off")).unwrap();
        assert_eq!(settled.fee_adjustments, std::slice::from_ref(&write_off));
        assert_eq!(settled.fees, invoiced.fees, "an invoice is never changed by what is recorded against it");
        let details: Vec<_> = settled.history.iter().map(|h| h.detail.as_str()).collect();
        assert_eq!(
            details[1..],
            ["Fee quoted: $92.00", "Invoice RGH-00001-1 issued", "Payment of $50.00", "Write-off of $42.00"]
        );
        assert_eq!(store.roi_request(&settled.number).unwrap().unwrap(), settled, "read by number, the same");
    });
}

#[test]
fn an_invoice_logged_with_its_request_is_numbered_after_it_alone_or_in_a_batch() {
    each_backend(|f| {
        let store = &*f.store;
        let invoice = NewInvoice { quote: quote(9200), issued_on: day(3, 4), payments: vec![(day(3, 6), 9200)] };
        let mut one = request(store, "RGH", GARCIA, RequesterRef::New(attorney()), day(3, 3));
        one.invoice = Some(invoice.clone());
        let logged = log(store, one);
        let expected_no = format!("{}-1", logged.number);
        assert_eq!(logged.fees.len(), 1);
        let fee = &logged.fees[0];
        assert_eq!(
            (fee.kind, fee.invoice_no.as_deref(), &fee.quote, fee.issued_on, fee.by.as_str(), fee.at),
            (FeeKind::Invoice, Some(expected_no.as_str()), &invoice.quote, day(3, 4), "jdoe", at(3, 3, 15))
        );
        let paid: Vec<_> = logged.payments.iter().map(|p| (p.paid_on, p.amount_cents, p.invoice_no.clone())).collect();
        assert_eq!(paid, [(day(3, 6), 9200, Some(expected_no.clone()))]);

        // In a batch, each its own request's number; one without an invoice has none.
        let mut with = request(store, "MVC", GARCIA, RequesterRef::Existing(logged.requester.id), day(3, 3));
        with.invoice = Some(NewInvoice { payments: Vec::new(), ..invoice.clone() });
        let without = request(store, "MVC", GARCIA, RequesterRef::Existing(logged.requester.id), day(3, 3));
        assert_eq!(store.insert_roi_batch(vec![with, without], noted("roi_request", "batch")).unwrap(), 2);
        let first = store.roi_request(&chartroom::domain::roi::RequestNumber::parse("MVC-00001").unwrap()).unwrap();
        let second = store.roi_request(&chartroom::domain::roi::RequestNumber::parse("MVC-00002").unwrap()).unwrap();
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!(first.fees.iter().map(|f| f.invoice_no.clone()).collect::<Vec<_>>(), [Some("MVC-00001-1".into())]);
        assert!(first.payments.is_empty());
        assert!(second.fees.is_empty() && second.payments.is_empty());
    });
}
