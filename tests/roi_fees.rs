//! Release of information, fees: AS-18's invoice and payment-gated clock and AS-25's schedule
//! versioning through the desk (on a clock stopped on the scenario's day, on every backend), who
//! may write off, refund and change a schedule, and AS-18 end to end through the real binary.

mod common;

use common::cli::{chartroom, json, ok, refused};

use chartroom::desk::roi::fees::fee_view;
use chartroom::desk::roi::{IntakeForm, IntakeRequester, Logged, OnOpenRequest};
use chartroom::desk::{Desk, DeskError, FixedClock};
use chartroom::domain::roi::fees::{FeeLine, InvoiceStatus, TX_HOSPITAL};
use chartroom::domain::roi::status::Step;
use chartroom::domain::roi::{
    AuthorizationForm, AuthorizationKind, Delivery, NewRequester, ReceivedVia, RecordFormat, RequestStatus,
    RequestType, RequesterKind, Scope,
};
use chartroom::store::AuditFilter;
use chartroom::store::roi::{FeeKind, RoiRequest};
use chrono::{NaiveDate, TimeZone, Utc};
use common::{key, scenarios};
use std::sync::Arc;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn desk_on(fixture: &common::Fixture, username: &str, today: NaiveDate) -> Desk {
    let now = Utc.from_utc_datetime(&today.and_hms_opt(15, 0, 0).unwrap());
    Desk::sign_in(fixture.store.clone(), username, "local".into(), key(), Arc::new(FixedClock { now, today })).unwrap()
}

/// GARCIA's authorization for Baker & Lowe LLP, every element present.
fn authorization() -> AuthorizationForm {
    AuthorizationForm {
        kind: Some(AuthorizationKind::Hipaa),
        signed_on: Some(d(2025, 2, 20)),
        signer: "GARCIA, MARIA L".into(),
        relationship: "self".into(),
        discloser: "Riverbend General Hospital".into(),
        recipient: "Baker & Lowe LLP".into(),
        information: "All records of the stay of February 2025".into(),
        purpose: "Personal injury claim".into(),
        expires_on: Some(d(2026, 2, 20)),
        signature: true,
        revocation_statement: true,
        conditioning_statement: true,
        redisclosure_statement: true,
        ..AuthorizationForm::default()
    }
}

/// AS-18: 75 paper pages mailed, actual postage $4.50, under a valid authorization.
fn attorney_request(received_on: NaiveDate) -> IntakeForm {
    IntakeForm {
        facility: "RGH".into(),
        patient: "204511".into(),
        received_on: Some(received_on),
        received_via: Some(ReceivedVia::Fax),
        request_type: Some(RequestType::Authorization),
        purpose: "Personal injury claim".into(),
        format: Some(RecordFormat::Paper),
        delivery: Some(Delivery::Mail),
        pages: Some(75),
        postage_cents: Some(450),
        requester: IntakeRequester::New(NewRequester {
            kind: RequesterKind::Attorney,
            name: "Baker & Lowe LLP".into(),
            organization: String::new(),
            address: "400 Congress Ave\nAustin TX 78701".into(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        }),
        scope: Scope { entire_record: true, ..Scope::default() },
        authorization: Some(authorization()),
        ..IntakeForm::default()
    }
}

fn log_new(desk: &Desk, form: IntakeForm) -> RoiRequest {
    match desk.log_roi_request(form, OnOpenRequest::LogNew, None).unwrap() {
        Ok(Logged::New { request, .. }) => *request,
        other => panic!("not logged as a new request: {other:?}"),
    }
}

/// A request logged on `received_on` and walked to QC by the director.
fn in_qc(f: &common::Fixture, received_on: NaiveDate) -> String {
    let dhim = desk_on(f, "dhim", received_on);
    let number = log_new(&dhim, attorney_request(received_on)).number.to_string();
    for step in [Step::Validate, Step::Fulfil, Step::Qc] {
        dhim.roi_step(&number, None, step, None, None).unwrap();
    }
    number
}

fn line(description: &str, quantity: i64, unit_cents: i64, amount_cents: i64) -> FeeLine {
    FeeLine { description: description.into(), quantity, unit_cents, amount_cents }
}

#[test]
fn as18_the_invoice_is_itemized_and_the_payment_that_settles_it_starts_the_15_days() {
    for f in scenarios() {
        let number = in_qc(&f, d(2025, 3, 3));
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 4));

        // Quoted before work: recorded with the request, the status unmoved.
        let quoted = jdoe.roi_quote(&number, None, None).unwrap();
        let quote = fee_view(&quoted).unwrap();
        assert_eq!((quote.kind, quote.total_cents, quote.status), (FeeKind::Quote, 9200, None));
        assert_eq!(quoted.status, RequestStatus::InQc);
        assert_eq!(quoted.history.last().unwrap().detail, "Fee quoted: $92.00 under TX-241.154 v1 (TX HSC 241.154)");

        // One page limit and one amount cap: no page count of 0, and no fee above $100,000.00.
        let none = jdoe.roi_quote(&number, None, Some(0)).unwrap_err().to_string();
        assert!(none.contains("0 pages: a page count is 1 to 100,000"), "{none}");
        let huge = jdoe.roi_invoice(&number, None, Some(1_000_000)).unwrap_err().to_string();
        assert!(huge.contains("1000000 pages: a page count is 1 to 100,000"), "{huge}");
        let most = jdoe.roi_fee_quote(&jdoe.roi_request(&number).unwrap(), Some(100_000)).unwrap();
        assert!(most.total_cents <= chartroom::domain::roi::fees::MAX_AMOUNT_CENTS, "{}", most.total_cents);

        // Before the invoice, a payment is at most what is left of the quote.
        let over_quote = jdoe.roi_pay(&number, None, d(2025, 3, 4), 9201).unwrap_err().to_string();
        assert!(
            over_quote.starts_with(&format!("$92.01 is more than what is left of {number}'s quote")),
            "{over_quote}"
        );

        let invoiced = jdoe.roi_invoice(&number, None, None).unwrap();
        let invoice = fee_view(&invoiced).unwrap();
        assert_eq!(invoice.invoice_no, Some(format!("{number}-1")));
        assert_eq!((invoice.schedule.as_str(), invoice.schedule_version), (TX_HOSPITAL, 1));
        assert_eq!(
            invoice.lines,
            [
                line("Retrieval/processing incl. pages 1-10", 1, 3000, 3000),
                line("Pages 11-60", 50, 100, 5000),
                line("Pages 61-75", 15, 50, 750),
                line("Postage", 1, 450, 450),
            ]
        );
        assert_eq!((invoice.total_cents, invoice.balance_cents), (9200, 9200));
        assert_eq!(invoiced.status, RequestStatus::AwaitingPayment);
        assert_eq!(invoiced.due.due_on, None, "the clock waits for payment");
        assert_eq!(invoiced.due.due_rule, "TX HSC 241.154: 15 days after payment");
        let again = jdoe.roi_invoice(&number, None, None).unwrap_err().to_string();
        assert!(again.contains(&format!("already has invoice {number}-1 ($92.00)")), "{again}");

        // A part payment leaves it waiting; more than the balance is refused; the rest settles it.
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 10));
        let part = jdoe.roi_pay(&number, None, d(2025, 3, 7), 5000).unwrap();
        assert_eq!((part.status, part.due.due_on), (RequestStatus::AwaitingPayment, None));
        assert_eq!(fee_view(&part).unwrap().balance_cents, 4200);
        let over = jdoe.roi_pay(&number, None, d(2025, 3, 10), 4201).unwrap_err().to_string();
        assert!(over.contains("$42.01 is more than the balance of invoice"), "{over}");
        let paid = jdoe.roi_pay(&number, None, d(2025, 3, 10), 4200).unwrap();
        assert_eq!(paid.status, RequestStatus::ReadyToRelease);
        assert_eq!(paid.due.due_on, Some(d(2025, 3, 25)), "{:?}", paid.due);
        let view = fee_view(&paid).unwrap();
        assert_eq!((view.paid_cents, view.balance_cents, view.status), (9200, 0, Some(InvoiceStatus::Paid)));
        assert_eq!(paid.fees.iter().filter(|f| f.kind == FeeKind::Invoice).count(), 1);
        assert_eq!(paid.fees.last().unwrap().quote.lines, invoice.lines, "the invoice is as issued");
    }
}

#[test]
fn a_write_off_settles_the_invoice_and_refunds_and_write_offs_are_a_supervisors() {
    for f in scenarios() {
        let number = in_qc(&f, d(2025, 3, 3));
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 5));
        jdoe.roi_invoice(&number, None, None).unwrap();
        jdoe.roi_pay(&number, None, d(2025, 3, 5), 9000).unwrap();

        let refused = jdoe.roi_write_off(&number, None, 200, "hardship").unwrap_err();
        assert!(matches!(refused, DeskError::Forbidden { .. }), "{refused}");
        assert!(refused.to_string().contains("supervisor"), "the roles are named: {refused}");

        let kwong = desk_on(&f, "kwong", d(2025, 3, 6));
        let no_reason = kwong.roi_write_off(&number, None, 200, "  ").unwrap_err().to_string();
        assert!(no_reason.contains("say why invoice"), "{no_reason}");
        let too_much = kwong.roi_write_off(&number, None, 201, "hardship").unwrap_err().to_string();
        assert!(too_much.contains("at most its balance ($2.00)"), "{too_much}");
        let off = kwong.roi_write_off(&number, None, 200, "hardship").unwrap();
        assert_eq!(off.status, RequestStatus::ReadyToRelease);
        assert_eq!(off.due.due_on, Some(d(2025, 3, 21)), "15 days from the day it was settled");
        let view = fee_view(&off).unwrap();
        assert_eq!((view.written_off_cents, view.balance_cents), (200, 0));
        assert_eq!(view.status, Some(InvoiceStatus::WrittenOff));

        let refund = kwong.roi_refund(&number, None, 500, "charged twice for postage").unwrap();
        let view = fee_view(&refund).unwrap();
        assert_eq!((view.paid_cents, view.refunded_cents, view.balance_cents), (8500, 500, 500));
        let over = kwong.roi_refund(&number, None, 8501, "x").unwrap_err().to_string();
        assert!(over.contains("at most its amount paid ($85.00)"), "{over}");
        assert_eq!(
            refund.history.last().unwrap().detail,
            format!("Refund of $5.00 on invoice {number}-1: charged twice for postage")
        );
        // The money given back is owed again: nothing is released on it until it is taken again or
        // written off — a refund of an overcharge is followed by its write-off.
        let unpaid = chartroom::desk::roi::fees::unpaid_refusal(&refund).expect("a balance is due again");
        assert_eq!(
            unpaid,
            format!(
                "{number} cannot be released while invoice {number}-1 has $5.00 due: take the payment, or write off \
                 what is not owed (W), first"
            )
        );
        let release = kwong
            .roi_release(&number, None, d(2025, 3, 6), None, &chartroom::desk::roi::packet::ReleasePick::default(), "")
            .unwrap_err()
            .to_string();
        assert!(release.contains("has $5.00 due"), "refused for its money before anything else: {release}");
        let settled = kwong.roi_write_off(&number, None, 500, "postage charged twice").unwrap();
        let view = fee_view(&settled).unwrap();
        assert_eq!(
            (view.paid_cents, view.refunded_cents, view.written_off_cents, view.balance_cents),
            (8500, 500, 700, 0)
        );
        assert_eq!(chartroom::desk::roi::fees::unpaid_refusal(&settled), None);
    }
}

#[test]
fn a_void_invoice_is_kept_refuses_payment_and_a_corrected_one_takes_the_next_number() {
    for f in scenarios() {
        let number = in_qc(&f, d(2025, 3, 3));
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 5));
        jdoe.roi_invoice(&number, None, None).unwrap();
        jdoe.roi_pay(&number, None, d(2025, 3, 5), 1000).unwrap();
        let kwong = desk_on(&f, "kwong", d(2025, 3, 6));
        let paid_on = kwong.roi_void_invoice(&number, None, "wrong page count").unwrap_err().to_string();
        assert!(paid_on.contains("has $10.00 paid on it; refund that first"), "{paid_on}");
        kwong.roi_refund(&number, None, 1000, "to be invoiced again").unwrap();
        let void = kwong.roi_void_invoice(&number, None, "wrong page count").unwrap();
        let view = fee_view(&void).unwrap();
        assert_eq!((view.invoice_no, view.status), (Some(format!("{number}-1")), Some(InvoiceStatus::Void)));
        assert_eq!(void.history.last().unwrap().detail, format!("Invoice {number}-1 void: wrong page count"));
        let refused = jdoe.roi_pay(&number, None, d(2025, 3, 5), 9200).unwrap_err().to_string();
        assert!(refused.contains("invoice is void; issue a new one"), "{refused}");

        // Once the invoice is void a quote means something again: the price before the next one.
        desk_on(&f, "jdoe", d(2025, 3, 6)).roi_quote(&number, None, Some(80)).unwrap();
        let again = desk_on(&f, "jdoe", d(2025, 3, 6)).roi_invoice(&number, None, Some(80)).unwrap();
        let view = fee_view(&again).unwrap();
        assert_eq!(view.invoice_no, Some(format!("{number}-2")));
        assert_eq!(view.total_cents, 9450, "80 pages: 20 at $0.50 after the first 60");
        assert_eq!(again.fees.iter().filter(|f| f.kind == FeeKind::Invoice).count(), 2, "the void one is kept");
    }
}

#[test]
fn as14_the_patients_electronic_copy_is_quoted_the_flat_fee_before_work() {
    for f in scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
        let form = IntakeForm {
            request_type: Some(RequestType::RightOfAccess),
            format: Some(RecordFormat::Portal),
            delivery: Some(Delivery::Portal),
            received_via: Some(ReceivedVia::Portal),
            pages: None,
            postage_cents: None,
            authorization: None,
            purpose: "Personal use".into(),
            requester: IntakeRequester::New(NewRequester {
                kind: RequesterKind::Patient,
                name: "GARCIA, MARIA L".into(),
                organization: String::new(),
                address: "18 Elm St\nAustin TX 78704".into(),
                phone: String::new(),
                fax: String::new(),
                email: String::new(),
            }),
            ..attorney_request(d(2025, 3, 3))
        };
        let number = log_new(&jdoe, form).number.to_string();
        let quoted = jdoe.roi_quote(&number, None, None).unwrap();
        let view = fee_view(&quoted).unwrap();
        assert_eq!(view.lines, [line("Electronic copy, flat fee", 1, 650, 650)]);
        assert_eq!(view.schedule, "HIPAA-524");
        // Her packet's pages price the Texas cap too ($39.00): the lower, HIPAA's flat fee, is hers.
        assert_eq!(view.basis, "lower of TX HSC 241.154 ($39.00) and HIPAA 164.524 cost-based ($6.50)");
    }
}

#[test]
fn as25_a_directors_rate_change_governs_requests_received_from_its_date_and_is_audited() {
    for f in scenarios() {
        let before_change = in_qc(&f, d(2025, 3, 3));
        let dhim = desk_on(&f, "dhim", d(2025, 3, 20));
        let mut rates = dhim.fee_schedule(TX_HOSPITAL, None).unwrap().rates;
        rates.paper.bands[0].unit_cents = 110;

        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 20));
        let refused = jdoe.set_fee_schedule(TX_HOSPITAL, d(2025, 4, 1), rates.clone()).unwrap_err();
        assert!(matches!(refused, DeskError::Forbidden { .. }), "{refused}");
        assert!(refused.to_string().contains("director"), "{refused}");
        let backdated = dhim.set_fee_schedule(TX_HOSPITAL, d(2025, 3, 19), rates.clone()).unwrap_err().to_string();
        assert!(backdated.contains("before today"), "{backdated}");

        let v2 = dhim.set_fee_schedule("tx-241.154", d(2025, 4, 1), rates.clone()).unwrap();
        assert_eq!((v2.code.as_str(), v2.version), (TX_HOSPITAL, 2));
        let events = f.store.list_audit(&AuditFilter { limit: 1_000_000, ..Default::default() }).unwrap();
        let event = events.iter().find(|e| e.entity == "fee_schedule").expect("the change is audited");
        assert_eq!(event.entity_id.as_deref(), Some("TX-241.154 v2"));
        assert_eq!(event.username, "dhim");
        assert_eq!(event.detail, "TX-241.154 version 2 from 04/01/2025: paper.bands[0].unit_cents: 100 -> 110");
        assert_eq!(dhim.fee_schedule(TX_HOSPITAL, Some(d(2025, 3, 31))).unwrap().version, 1);
        assert_eq!(dhim.fee_schedule(TX_HOSPITAL, Some(d(2025, 4, 1))).unwrap().version, 2);

        // Invoiced after the change, a request received before it keeps version 1.
        let jdoe = desk_on(&f, "jdoe", d(2025, 4, 5));
        let old = jdoe.roi_invoice(&before_change, None, None).unwrap();
        let view = fee_view(&old).unwrap();
        assert_eq!((view.schedule_version, view.total_cents), (1, 9200));
        let after_change = in_qc(&f, d(2025, 4, 2));
        let new = desk_on(&f, "jdoe", d(2025, 4, 5)).roi_invoice(&after_change, None, None).unwrap();
        let view = fee_view(&new).unwrap();
        assert_eq!((view.schedule_version, view.total_cents), (2, 9700));
        assert_eq!(view.lines[1], line("Pages 11-60", 50, 110, 5500));
    }
}

// ---- through the real binary ---------------------------------------------------------------------

#[test]
fn as18_end_to_end_quote_invoice_pay_and_a_new_schedule_version_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(&chartroom(dir, &["init"]));
    let today = common::cli::department_today();
    let received = today - chrono::Duration::days(2);
    let text = format!(
        r#"facility = "RGH"
patient = "100234"
received_on = {received}
received_via = "fax"
type = "authorization"
purpose = "Personal injury claim"
format = "paper"
delivery = "mail"
pages = 75
postage = "4.50"

[requester]
kind = "attorney"
name = "Quill & Ramos LLP"
address = "12 Court St\nAustin TX 78701"

[scope]
entire_record = true

[authorization]
kind = "hipaa"
signed_on = {signed}
signer = "SMITH, JOHN A"
relationship = "self"
discloser = "Riverbend General Hospital"
recipient = "Quill & Ramos LLP"
information = "All records of 2025"
purpose = "Personal injury claim"
expires_on = {expires}
signature = true
revocation_statement = true
conditioning_statement = true
redisclosure_statement = true
"#,
        signed = received - chrono::Duration::days(3),
        expires = today + chrono::Duration::days(365),
    );
    let file = dir.join("request.toml");
    std::fs::write(&file, text).unwrap();
    let said = ok(&chartroom(dir, &["roi", "log", "--file", file.to_str().unwrap()]));
    let number = said.split_whitespace().next().unwrap().to_string();
    let shown = json(&chartroom(dir, &["roi", "show", &number, "--json"]));
    assert_eq!(shown["fee"], serde_json::Value::Null, "no fee before a quote");

    let quote = json(&chartroom(dir, &["roi", "quote", &number, "--json"]));
    assert_eq!(quote["kind"], "quote");
    assert_eq!(quote["total_cents"], 9200);
    for step in ["validate", "fulfil", "qc"] {
        ok(&chartroom(dir, &["roi", "step", &number, step]));
    }
    let invoice = ok(&chartroom(dir, &["roi", "invoice", &number]));
    assert!(invoice.contains(&format!("Invoice {number}-1 issued")), "{invoice}");
    assert!(invoice.contains("Pages 61-75") && invoice.contains("$92.00"), "{invoice}");
    assert!(invoice.trim_end().ends_with("Awaiting payment."), "{invoice}");
    // The invoice stands: a quote after it is refused, and nothing is recorded.
    let before = json(&chartroom(dir, &["roi", "show", &number, "--json"]));
    let err = refused(&chartroom(dir, &["roi", "quote", &number]));
    assert!(err.contains(&format!("already has invoice {number}-1 ($92.00), which stands")), "{err}");
    assert!(err.contains("void the invoice (V, roi void-invoice) and quote again"), "{err}");
    assert_eq!(json(&chartroom(dir, &["roi", "show", &number, "--json"]))["version"], before["version"]);

    let paid = ok(&chartroom(dir, &["roi", "pay", &number, "--date", &today.to_string(), "--amount", "92.00"]));
    assert!(paid.contains("Ready to release"), "{paid}");
    let shown = json(&chartroom(dir, &["roi", "show", &number, "--json"]));
    let fee = &shown["fee"];
    assert_eq!(fee["schedule"], TX_HOSPITAL);
    assert_eq!(fee["invoice_no"], format!("{number}-1"));
    assert_eq!(
        (fee["total_cents"].as_i64(), fee["paid_cents"].as_i64(), fee["balance_cents"].as_i64()),
        (Some(9200), Some(9200), Some(0))
    );
    let lines: Vec<(String, i64, i64, i64)> = fee["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["description"].as_str().unwrap().to_string(),
                l["quantity"].as_i64().unwrap(),
                l["unit_cents"].as_i64().unwrap(),
                l["amount_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines[1], ("Pages 11-60".to_string(), 50, 100, 5000));
    assert_eq!(shown["status"], "ready_to_release");
    assert_eq!(shown["due_on"], (today + chrono::Duration::days(15)).to_string());

    // A new version from tomorrow: listed beside the old, shown by date.
    let rates = ok(&chartroom(dir, &["fee-schedule", "show", TX_HOSPITAL, "--json"]));
    let raised = rates.replace("\"unit_cents\": 100", "\"unit_cents\": 110");
    assert_ne!(raised, rates);
    let rates_file = dir.join("rates.json");
    std::fs::write(&rates_file, raised).unwrap();
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let said = ok(&chartroom(
        dir,
        &["fee-schedule", "set", TX_HOSPITAL, "--file", rates_file.to_str().unwrap(), "--effective", &tomorrow],
    ));
    assert!(said.starts_with("TX-241.154 version 2 is saved"), "{said}");
    let list = ok(&chartroom(dir, &["fee-schedule", "list"]));
    assert_eq!(list.lines().filter(|l| l.starts_with("TX-241.154")).count(), 2, "{list}");
    let now = ok(&chartroom(dir, &["fee-schedule", "show", TX_HOSPITAL]));
    assert!(now.contains("pages 11 to 60 at $1.00"), "today's is still version 1: {now}");
    let then = ok(&chartroom(dir, &["fee-schedule", "show", TX_HOSPITAL, "--as-of", &tomorrow]));
    assert!(then.contains("version 2") && then.contains("pages 11 to 60 at $1.10"), "{then}");
}

/// A request logged without a page count is quoted on the pages its packet would hold: the
/// documents its authorization covers, what no rule or clerk leaves out.
#[test]
fn a_request_without_a_page_count_is_quoted_on_its_packets_pages() {
    for f in scenarios() {
        let dhim = desk_on(&f, "dhim", d(2025, 3, 3));
        let mut form = attorney_request(d(2025, 3, 3));
        form.pages = None;
        let number = log_new(&dhim, form).number.to_string();
        let packet = dhim.roi_packet(&number).unwrap();
        let pages = packet.picked_pages();
        assert!(pages > 0 && pages < packet.requested_pages(), "{pages} of {}", packet.requested_pages());

        let quoted = dhim.roi_quote(&number, None, None).unwrap();
        let request = dhim.roi_request(&number).unwrap();
        let on_the_packet = dhim.roi_fee_quote(&request, Some(pages)).unwrap();
        assert_eq!(fee_view(&quoted).unwrap().total_cents, on_the_packet.total_cents);
        assert_eq!(quoted.fees.last().unwrap().quote.lines, on_the_packet.lines);
        // A number the clerk types still wins.
        assert_ne!(dhim.roi_fee_quote(&request, Some(pages + 40)).unwrap().total_cents, on_the_packet.total_cents);
    }
}
