//! The accounting of disclosures (164.528): AS-24 with its exact dates and its two entries, the
//! agency's suspension and the repeat accounting's fee step, AS-25's void that leaves the
//! accounting and stays in the audit (and is no clerk's), through the desk on every backend and
//! through the real binary.

mod common;

use common::cli::{chartroom, ok, refused};

use chartroom::desk::roi::accounting::{Delivery, DisclosureForm};
use chartroom::desk::{Desk, DeskError, FixedClock};
use chartroom::domain::audit::AuditAction;
use chartroom::domain::roi::accounting::{AccountingFee, disclosure_label};
use chartroom::store::roi::DisclosureVoid;
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

fn form(on: NaiveDate, recipient: &str, basis: &str, description: &str, purpose: &str) -> DisclosureForm {
    DisclosureForm {
        mrn: "204511".into(),
        date: Some(on),
        recipient: recipient.into(),
        address: format!("{recipient}, 100 Congress Ave, Austin TX 78701"),
        description: description.into(),
        purpose: purpose.into(),
        basis: basis.into(),
        pages: 3,
    }
}

/// GARCIA's disclosure history in AS-24, recorded on the days it happened. The scenario hospital
/// gave her a release of its own, which is voided first so that hers is exactly the scenario's.
fn garcia_history(fixture: &common::Fixture) -> Vec<i64> {
    let store = &fixture.store;
    let garcia = store.patient_by_mrn(&chartroom::domain::mrn::Mrn::parse("204511").unwrap()).unwrap().unwrap();
    for old in store.patient_disclosures(garcia.patient_id, d(1900, 1, 1), d(2100, 1, 1)).unwrap() {
        let void = DisclosureVoid { at: Utc::now(), by: "dhim".into(), reason: "not in the scenario".into() };
        store.void_disclosure(old.disclosure.id, void, None, common::event("disclosure")).unwrap();
    }
    let history = [
        form(
            d(2021, 6, 1),
            "Texas DSHS",
            "public_health",
            "Hepatitis B laboratory result",
            "Notifiable condition report",
        ),
        form(d(2023, 8, 15), "Travis County District Court", "judicial", "Records of the 2023 admission", "Subpoena"),
        form(d(2024, 1, 10), "GARCIA, MARIA L", "individual", "Copy of the record", "Personal use"),
        form(d(2024, 5, 2), "Blue Cross Blue Shield of Texas", "tpo", "Itemized bill and discharge summary", "Payment"),
        form(d(2024, 11, 12), "Baker & Lowe LLP", "authorization", "Records of the 2024 stay", "Litigation"),
    ];
    history
        .iter()
        .map(|f| desk_on(fixture, "jdoe", f.date.unwrap()).record_disclosure(f).unwrap().disclosure.id)
        .collect()
}

#[test]
fn as24_the_accounting_lists_exactly_the_two_accountable_entries_free() {
    for f in scenarios() {
        let ids = garcia_history(&f);
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
        let report = jdoe.accounting("204511", d(2025, 3, 3), None).unwrap();
        let a = &report.accounting;
        assert_eq!((a.period_from, a.period_to), (d(2019, 3, 3), d(2025, 3, 3)));
        assert_eq!((a.due_on, a.extended_due_on), (d(2025, 5, 2), d(2025, 6, 1)));
        let listed: Vec<_> = a.entries.iter().map(|e| (e.id, e.disclosed_on, e.recipient.as_str())).collect();
        assert_eq!(
            listed,
            [(ids[0], d(2021, 6, 1), "Texas DSHS"), (ids[1], d(2023, 8, 15), "Travis County District Court")]
        );
        assert_eq!(a.entries[0].recipient_address, "Texas DSHS, 100 Congress Ave, Austin TX 78701");
        assert_eq!(a.entries[0].description, "Hepatitis B laboratory result");
        assert_eq!(a.entries[0].purpose, "Notifiable condition report");
        assert_eq!(a.fee, AccountingFee::Free);
        let text = chartroom::report::accounting::accounting_text(&report, true);
        assert!(text.contains("Period:    03/03/2019 through 03/03/2025"), "{text}");
        assert!(text.contains("2 disclosures:"), "{text}");
        assert!(text.contains("Fee: none (the first accounting in 12 months is free)"), "{text}");

        // Printed (the screen's P): the patient's copy with the letters, an export in the audit
        // trail, and no delivery.
        let printed = jdoe.file_accounting(&report, &f.dir.path().join("printed")).unwrap();
        assert_eq!(printed.len(), 2);
        assert!(std::fs::read(&printed[1]).unwrap().starts_with(b"%PDF-"));
        let copy = std::fs::read_to_string(&printed[0]).unwrap();
        assert!(copy.contains("2 disclosures:") && !copy.contains("Due:"), "the patient's copy: {copy}");
        let events =
            jdoe.store().list_audit(&chartroom::store::AuditFilter { limit: 10, ..Default::default() }).unwrap();
        assert!(events.iter().any(|e| e.action == AuditAction::Export && e.entity == "accounting"), "{events:?}");
        assert_eq!(f.store.accounting_deliveries(report.patient.patient_id).unwrap(), []);

        // Delivered, it is recorded; a second on 2025-06-10 gets a quote and the withdraw-or-proceed
        // step before anything is written.
        let letters = f.dir.path().join("letters");
        let (_, files) = jdoe.deliver_accounting("204511", d(2025, 3, 3), Delivery::default(), &letters).unwrap();
        assert!(files.iter().all(|p| p.exists()), "{files:?}");
        assert!(files[0].ends_with("2025-03-03/204511-accounting.txt"), "{files:?}");
        let june = desk_on(&f, "jdoe", d(2025, 6, 10));
        let quoted = june.accounting("204511", d(2025, 6, 10), Some(1_250)).unwrap();
        assert_eq!(quoted.accounting.fee, AccountingFee::Quote { previous: d(2025, 3, 3), cents: Some(1_250) });
        let err = june.deliver_accounting("204511", d(2025, 6, 10), Delivery::default(), &letters).unwrap_err();
        assert!(err.to_string().contains("within 12 months, carries a cost-based fee"), "{err}");
        assert!(err.to_string().contains("may withdraw"), "{err}");
        let err = june
            .deliver_accounting("204511", d(2025, 6, 10), Delivery { proceed: true, cost_based_cents: None }, &letters)
            .unwrap_err();
        assert!(err.to_string().contains("give it with --fee"), "{err}");
        let typo = Delivery { proceed: true, cost_based_cents: Some(9_999_999_900) };
        let err = june.deliver_accounting("204511", d(2025, 6, 10), typo, &letters).unwrap_err().to_string();
        assert!(err.contains("$99,999,999.00 is more than any one amount may be ($100,000.00)"), "{err}");
        let proceed = Delivery { proceed: true, cost_based_cents: Some(1_250) };
        june.deliver_accounting("204511", d(2025, 6, 10), proceed, &letters).unwrap();
        let delivered = f.store.accounting_deliveries(quoted.patient.patient_id).unwrap();
        assert_eq!(
            delivered.iter().map(|d| (d.delivered_on, d.fee_cents)).collect::<Vec<_>>(),
            [(d(2025, 3, 3), 0), (d(2025, 6, 10), 1_250)]
        );

        // Once the Director's HIPAA-528 schedule sets the amount, a repeat is quoted at it without
        // anyone typing it, and a typed amount against it is refused.
        let director = desk_on(&f, "dhim", d(2025, 6, 20));
        let mut rates = director.fee_schedule("HIPAA-528", None).unwrap().rates;
        rates.per_request_cents = Some(1_500);
        director.set_fee_schedule("HIPAA-528", d(2025, 7, 1), rates).unwrap();
        let july = desk_on(&f, "jdoe", d(2025, 7, 2));
        let quoted = july.accounting("204511", d(2025, 7, 2), None).unwrap();
        assert_eq!(quoted.accounting.fee, AccountingFee::Quote { previous: d(2025, 6, 10), cents: Some(1_500) });
        let err = july.accounting("204511", d(2025, 7, 2), Some(999)).unwrap_err();
        assert!(err.to_string().contains("HIPAA-528 sets a repeat accounting at $15.00"), "{err}");
    }
}

#[test]
fn as24_an_oral_suspension_hides_the_agency_until_2025_03_22_unless_a_written_one_is_logged() {
    for f in scenarios() {
        garcia_history(&f);
        let sheriff = form(
            d(2024, 12, 5),
            "Travis County Sheriff",
            "law_enforcement",
            "Emergency department record of 12/04/2024",
            "Investigation",
        );
        desk_on(&f, "jdoe", d(2024, 12, 5)).record_disclosure(&sheriff).unwrap();
        let logged = desk_on(&f, "jdoe", d(2025, 2, 20));
        logged.add_accounting_suspension("204511", "Travis County Sheriff", d(2025, 2, 20), None).unwrap();
        let on = |day: NaiveDate| {
            let report = desk_on(&f, "jdoe", day).accounting("204511", day, None).unwrap();
            report.accounting.entries.iter().map(|e| e.recipient.clone()).collect::<Vec<_>>()
        };
        assert_eq!(on(d(2025, 3, 3)), ["Texas DSHS", "Travis County District Court"]);
        assert_eq!(on(d(2025, 3, 21)).len(), 2, "withheld through the 30th day");
        assert_eq!(on(d(2025, 3, 22)).last().map(String::as_str), Some("Travis County Sheriff"));
        let report = desk_on(&f, "jdoe", d(2025, 3, 3)).accounting("204511", d(2025, 3, 3), None).unwrap();
        let desk_copy = chartroom::report::accounting::accounting_text(&report, false);
        assert!(desk_copy.contains("1 entry to Travis County Sheriff, until 03/22/2025"), "{desk_copy}");
        let patient_copy = chartroom::report::accounting::accounting_text(&report, true);
        assert!(!patient_copy.contains("Sheriff"), "the patient's copy does not say: {patient_copy}");

        // The written statement follows: the agency stays out for its own period.
        let written = desk_on(&f, "jdoe", d(2025, 3, 10));
        written
            .add_accounting_suspension("204511", "Travis County Sheriff", d(2025, 3, 10), Some(d(2025, 9, 1)))
            .unwrap();
        assert_eq!(on(d(2025, 3, 25)).len(), 2);
        assert_eq!(on(d(2025, 9, 1)).len(), 3);
        let err =
            written.add_accounting_suspension("204511", "Sheriff", d(2025, 3, 10), Some(d(2025, 3, 10))).unwrap_err();
        assert!(err.to_string().contains("must come after"), "{err}");
    }
}

#[test]
fn as25_a_void_leaves_the_accounting_stays_in_the_audit_and_is_no_clerks() {
    for f in scenarios() {
        let ids = garcia_history(&f);
        let label = disclosure_label(ids[1]);
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
        assert!(!jdoe.may_void_disclosures());
        let err = jdoe.void_disclosure(&label, "wrong patient").unwrap_err();
        assert!(matches!(err, DeskError::Forbidden { .. }), "{err:?}");
        assert!(err.to_string().contains("supervisor"), "names the roles: {err}");

        let kwong = desk_on(&f, "kwong", d(2025, 3, 3));
        assert!(kwong.may_void_disclosures());
        let err = kwong.void_disclosure(&label, "  ").unwrap_err();
        assert!(err.to_string().contains("say the reason"), "{err}");
        let voided = kwong.void_disclosure(&label, "wrong patient").unwrap();
        assert_eq!(voided.void.as_ref().map(|v| (v.by.as_str(), v.reason.as_str())), Some(("kwong", "wrong patient")));
        let report = kwong.accounting("204511", d(2025, 3, 3), None).unwrap();
        assert_eq!(report.accounting.entries.iter().map(|e| e.id).collect::<Vec<_>>(), [ids[0]]);
        // Kept, and its event holds it before and after.
        assert!(kwong.disclosure(&label).unwrap().disclosure.voided);
        let events =
            kwong.store().list_audit(&chartroom::store::AuditFilter { limit: 1000, ..Default::default() }).unwrap();
        let event = events.iter().find(|e| e.action == AuditAction::Void).expect("a void event");
        assert_eq!(event.entity_id.as_deref(), Some(label.as_str()));
        assert_eq!(event.username, "kwong");
        assert!(event.detail.contains("Before: 08/15/2023 to Travis County District Court"), "{}", event.detail);
        assert!(event.detail.contains("After: voided by kwong"), "{}", event.detail);
        assert!(event.detail.contains("wrong patient"), "{}", event.detail);
        let err = kwong.void_disclosure(&label, "again").unwrap_err();
        assert!(err.to_string().contains(&format!("{label} was already voided by kwong")), "{err}");
    }
}

#[test]
fn what_cannot_be_right_is_refused() {
    for f in scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(2025, 3, 3));
        let mut future = form(d(2025, 3, 4), "Texas DSHS", "public_health", "Lab", "Report");
        let err = jdoe.record_disclosure(&future).unwrap_err();
        assert!(err.to_string().contains("is after today"), "{err}");
        future.date = Some(d(1950, 1, 1));
        let err = jdoe.record_disclosure(&future).unwrap_err();
        assert!(err.to_string().contains("before 204511 was born"), "{err}");
        let err = jdoe.accounting("204511", d(1980, 1, 1), None).unwrap_err();
        assert!(err.to_string().contains("before 204511 was born"), "an accounting before birth: {err}");
        let mut wrong = form(d(2025, 3, 1), "Texas DSHS", "gossip", "Lab", "Report");
        let err = jdoe.record_disclosure(&wrong).unwrap_err();
        assert!(err.to_string().contains("not a legal basis"), "{err}");
        wrong.basis = "public_health".into();
        wrong.recipient = " ".into();
        assert!(jdoe.record_disclosure(&wrong).unwrap_err().to_string().contains("say the recipient"));
        assert!(jdoe.accounting("204511", d(2025, 3, 4), None).unwrap_err().to_string().contains("after today"));
        assert!(jdoe.void_disclosure("X-1", "r").is_err());
        let tnguyen = desk_on(&f, "tnguyen", d(2025, 3, 3));
        let err = tnguyen.record_disclosure(&form(d(2025, 3, 1), "Texas DSHS", "public_health", "Lab", "Report"));
        assert!(matches!(err, Err(DeskError::Forbidden { .. })), "a clerk who only logs requests records none");
    }
}

// ---- through the real binary ---------------------------------------------------------------------

#[test]
fn as24_and_as25_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    ok(&chartroom(dir.path(), &["init"]));
    // The demo gave GARCIA AS-24's first entry, the public-health report of 06/01/2021; the
    // subpoena release comes from a file, the excluded ones from flags.
    let file = dir.path().join("court.toml");
    std::fs::write(
        &file,
        "date = 2023-08-15\nrecipient = \"Travis County District Court\"\n\
         address = \"1000 Guadalupe St, Austin TX 78701\"\ndescription = \"Records of the 2023 admission\"\n\
         purpose = \"Subpoena duces tecum\"\nbasis = \"judicial\"\n",
    )
    .unwrap();
    let said = ok(&chartroom(dir.path(), &["disclosure", "add", "204511", "--file", file.to_str().unwrap()]));
    assert!(
        said.contains("disclosed 08/15/2023 to Travis County District Court is recorded (judicial; in the accounting"),
        "{said}"
    );
    let court = said.split(':').next().unwrap().to_string();
    let add = |date: &str, recipient: &str, basis: &str| {
        chartroom(
            dir.path(),
            &[
                "disclosure",
                "add",
                "204511",
                "--date",
                date,
                "--recipient",
                recipient,
                "--description",
                "Records",
                "--purpose",
                "Per request",
                "--basis",
                basis,
            ],
        )
    };
    ok(&add("2024-01-10", "GARCIA, MARIA L", "individual"));
    ok(&add("2024-05-02", "Blue Cross Blue Shield of Texas", "tpo"));
    let said = ok(&add("2024-11-12", "Baker & Lowe LLP", "authorization"));
    assert!(said.contains("not in an accounting"), "{said}");
    let err = refused(&add("2024-11-12", "Baker & Lowe LLP", "gossip"));
    assert!(err.contains("not a legal basis"), "{err}");

    let pdf = dir.path().join("accounting.pdf");
    let shown = ok(&chartroom(
        dir.path(),
        &["roi", "accounting", "204511", "--date", "2025-03-03", "--json", "--pdf", pdf.to_str().unwrap()],
    ));
    let json: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let a = &json["accounting"]["accounting"];
    assert_eq!(a["period_from"], "2019-03-03");
    assert_eq!(a["period_to"], "2025-03-03");
    assert_eq!(a["due_on"], "2025-05-02");
    assert_eq!(a["extended_due_on"], "2025-06-01");
    let entries = a["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0]["disclosed_on"], "2021-06-01");
    assert_eq!(entries[0]["recipient"], "Texas Department of State Health Services");
    assert_eq!(entries[0]["recipient_address"], "1100 W 49th St\nAustin TX 78756");
    assert_eq!(entries[1]["recipient"], "Travis County District Court");
    assert_eq!(entries[1]["recipient_address"], "1000 Guadalupe St, Austin TX 78701");
    assert_eq!(a["fee"]["kind"], "free");
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    // A file already at the name is never written over: the clerk names a new one.
    let before = std::fs::read(&pdf).unwrap();
    let err = refused(&chartroom(
        dir.path(),
        &["roi", "accounting", "204511", "--date", "2025-03-03", "--pdf", pdf.to_str().unwrap()],
    ));
    assert!(err.contains("is already there; name a new file for the PDF"), "{err}");
    assert_eq!(std::fs::read(&pdf).unwrap(), before);

    let text = ok(&chartroom(dir.path(), &["roi", "accounting", "204511", "--date", "2025-03-03", "--deliver"]));
    assert!(text.contains("1. 06/01/2021  Texas Department of State Health Services"), "{text}");
    assert!(text.contains("   Address: 1100 W 49th St, Austin TX 78756"), "{text}");
    assert!(text.contains("The delivery is recorded."), "{text}");
    let err = refused(&chartroom(dir.path(), &["roi", "accounting", "204511", "--date", "2025-06-10", "--deliver"]));
    assert!(err.contains("carries a cost-based fee"), "{err}");
    let text = ok(&chartroom(
        dir.path(),
        &["roi", "accounting", "204511", "--date", "2025-06-10", "--deliver", "--proceed", "--fee", "12.50"],
    ));
    assert!(text.contains("Fee: $12.50"), "{text}");

    // AS-25: voided, it leaves the accounting; the audit keeps it.
    let said = ok(&chartroom(dir.path(), &["disclosure", "void", &court, "--reason", "wrong patient"]));
    assert!(said.contains(&format!("{court} is voided (wrong patient)")), "{said}");
    let text = ok(&chartroom(dir.path(), &["roi", "accounting", "204511", "--date", "2025-03-03"]));
    assert!(text.contains("1 disclosure:") && !text.contains("Travis County District Court"), "{text}");
    let listed = ok(&chartroom(dir.path(), &["disclosure", "list", "204511", "--date", "2025-03-03"]));
    assert!(listed.contains("voided: wrong patient") && listed.contains(&court), "{listed}");
    let audit = ok(&chartroom(dir.path(), &["audit", "list", "--patient", "204511"]));
    assert!(audit.contains("VOID"), "{audit}");

    // A suspension, oral, through the command line.
    let said = ok(&chartroom(
        dir.path(),
        &["disclosure", "suspend", "204511", "--agency", "Travis County Sheriff", "--logged", "2025-02-20"],
    ));
    assert!(said.contains("suspended until 03/22/2025"), "{said}");
    let err = refused(&chartroom(dir.path(), &["disclosure", "void", "D-999999", "--reason", "x"]));
    assert!(err.contains("no disclosure D-999999"), "{err}");
}

/// The demo's disclosures are ones a clerk could have entered: `disclosure add` refuses one
/// without what went or where, so the accounting the demo shows never has "(address not known)"
/// or an empty "What".
#[test]
fn every_disclosure_the_demo_makes_says_what_went_and_where() {
    let dir = common::cli::demo_store(400);
    let today = common::cli::department_today().format("%Y-%m-%d").to_string();
    let shown = ok(&chartroom(dir.path(), &["roi", "accounting", "204511", "--date", &today, "--json"]));
    let json: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let entries = json["accounting"]["accounting"]["entries"].as_array().unwrap().clone();
    assert!(entries.iter().any(|e| e["recipient"] == "County Health Department"), "{entries:?}");
    for entry in &entries {
        for field in ["description", "recipient_address"] {
            let text = entry[field].as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "{field} blank: {entry}");
        }
    }
}
