//! The accounting of disclosures screen (`:accounting MRN`) at the design size (80×24) and a wide
//! terminal (120×40), drawn from real desk answers: GARCIA's AS-24 history recorded through the
//! desk on the scenario store, the screen's commands run in line through the function the effects
//! runner calls.

mod common;

use chartroom::desk::Desk;
use chartroom::desk::roi::accounting::DisclosureForm;
use chartroom::domain::role::Role;
use chartroom::store::roi::DisclosureVoid;
use chartroom::tui::app::{HeaderInfo, Overlay, Screen};
use chrono::NaiveDate;
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn form(
    on: NaiveDate,
    recipient: &str,
    address: &str,
    basis: &str,
    description: &str,
    purpose: &str,
) -> DisclosureForm {
    DisclosureForm {
        mrn: "204511".into(),
        date: Some(on),
        recipient: recipient.into(),
        address: address.into(),
        description: description.into(),
        purpose: purpose.into(),
        basis: basis.into(),
        pages: 2,
    }
}

/// GARCIA's AS-24 history, a disclosure to the sheriff, and the sheriff's oral suspension of
/// 2025-02-20 (the scenario's day is 2025-03-03: still withheld). The scenario hospital's own
/// release of hers is voided first.
fn record_history(fixture: &common::Fixture, desk: &Desk) {
    let store = &fixture.store;
    let garcia = store.patient_by_mrn(&chartroom::domain::mrn::Mrn::parse("204511").unwrap()).unwrap().unwrap();
    for old in store.patient_disclosures(garcia.patient_id, d(1900, 1, 1), d(2100, 1, 1)).unwrap() {
        let void = DisclosureVoid { at: common::clock().now, by: "dhim".into(), reason: "not in the scenario".into() };
        store.void_disclosure(old.disclosure.id, void, None, common::event("disclosure")).unwrap();
    }
    let history = [
        form(
            d(2021, 6, 1),
            "Texas Department of State Health Services, Infectious Disease Control Unit",
            "1100 W 49th St\nAustin TX 78756",
            "public_health",
            "Hepatitis B laboratory result of 05/28/2021",
            "Notifiable condition report required by Texas Administrative Code",
        ),
        form(
            d(2023, 8, 15),
            "Travis County District Court",
            "1000 Guadalupe St\nAustin TX 78701",
            "judicial",
            "Emergency department records of the 2023 admission",
            "Subpoena duces tecum, cause no. D-1-GN-23-004512",
        ),
        form(
            d(2024, 1, 10),
            "GARCIA, MARIA L",
            "4 Elm St\nAustin TX 78702",
            "individual",
            "Copy of the record",
            "Personal use",
        ),
        form(
            d(2024, 5, 2),
            "Blue Cross Blue Shield of Texas",
            "PO Box 660044\nDallas TX 75266",
            "tpo",
            "Bill",
            "Payment",
        ),
        form(
            d(2024, 11, 12),
            "Baker & Lowe LLP",
            "400 Congress Ave\nAustin TX 78701",
            "authorization",
            "Records",
            "Claim",
        ),
        form(
            d(2024, 12, 5),
            "Travis County Sheriff",
            "5555 Airport Blvd\nAustin TX 78751",
            "law_enforcement",
            "ED note",
            "Investigation",
        ),
    ];
    for f in &history {
        desk.record_disclosure(f).unwrap();
    }
    desk.add_accounting_suspension("204511", "Travis County Sheriff", d(2025, 2, 20), None).unwrap();
}

use common::screens::{Harness, key};

/// `username` (holding `roles`) at the desk, GARCIA's history recorded.
fn harness(width: u16, height: u16, username: &str, roles: &[Role]) -> Harness {
    let fixture = common::scenario();
    record_history(&fixture, &common::desk_for(&fixture, "jdoe"));
    let desk = common::desk_for(&fixture, username);
    Harness::on(fixture, desk, HeaderInfo::new(username, roles), (width, height))
}

fn text_of(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().buffer().content().iter().map(|c| c.symbol()).collect()
}

#[test]
fn accounting_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h, "jdoe", &[Role::HimClerk, Role::RoiSpecialist]);
        harness.palette("accounting 204511");
        assert_eq!(harness.app.screen, Screen::Accounting, "{:?}", harness.app.toast);
        let state = harness.app.roi.accounting.as_ref().unwrap();
        assert_eq!(state.entries(), 2, "AS-24's two entries, the sheriff's withheld");
        let shown = harness.draw(w, h);
        let text = text_of(&shown);
        assert!(!text.contains("void"), "a clerk is not offered Void");
        insta::assert_snapshot!(format!("accounting_{w}x{h}"), shown.backend());
    }
}

#[test]
fn a_supervisor_voids_the_highlighted_disclosure_after_a_reason_and_a_question_80x24() {
    let mut harness = harness(80, 24, "kwong", &[Role::Supervisor]);
    harness.palette("accounting 204511 03/03/2025");
    harness.keys(&[key(KeyCode::Down)]);
    insta::assert_snapshot!("accounting_supervisor_80x24", harness.draw(80, 24).backend());
    harness.keys(&[key(KeyCode::Char('V'))]);
    harness.type_text("wrong patient");
    harness.keys(&[key(KeyCode::Enter)]);
    assert!(matches!(harness.app.overlay, Some(Overlay::Confirm { .. })), "{:?}", harness.app.toast);
    insta::assert_snapshot!("accounting_void_asks_naming_it_80x24", harness.draw(80, 24).backend());
    harness.keys(&[key(KeyCode::Char('y'))]);
    let state = harness.app.roi.accounting.as_ref().unwrap();
    assert_eq!(state.entries(), 1, "the voided one left the accounting: {:?}", harness.app.toast);
    assert!(harness.app.toast.as_deref().unwrap_or_default().contains("is voided"), "{:?}", harness.app.toast);
}

#[test]
fn an_accounting_delivered_on_screen_is_recorded_and_the_next_in_12_months_is_the_patients_choice_80x24() {
    let mut harness = harness(80, 24, "jdoe", &[Role::HimClerk, Role::RoiSpecialist]);
    let letters = harness.fixture.dir.path().join("letters");
    harness.letters = Some(letters.clone());
    harness.palette("accounting 204511 03/03/2025");
    harness.keys(&[key(KeyCode::Char('D'))]);
    assert!(matches!(harness.app.overlay, Some(Overlay::Confirm { .. })), "{:?}", harness.app.toast);
    harness.keys(&[key(KeyCode::Char('y'))]);
    let toast = harness.app.toast.clone().unwrap_or_default();
    assert!(
        toast.starts_with("Delivered MRN 204511's accounting (2 entries; free, the first in 12 months)"),
        "{toast}"
    );
    let delivered = letters.join(common::today().format("%Y-%m-%d").to_string()).join("204511-accounting.pdf");
    assert!(delivered.exists(), "{toast}");

    // The next one, within 12 months, is quoted at the Director's HIPAA-528 amount, and the
    // question says the patient may withdraw; before an amount is set, it is refused.
    harness.palette(&format!("accounting 204511 {}", common::today().format("%m/%d/%Y")));
    harness.keys(&[key(KeyCode::Char('D'))]);
    assert!(harness.app.overlay.is_none());
    assert!(
        harness.app.toast.as_deref().unwrap_or_default().contains("HIPAA-528 sets none"),
        "{:?}",
        harness.app.toast
    );
    let director = common::desk_for(&harness.fixture, "dhim");
    let mut rates = director.fee_schedule("HIPAA-528", None).unwrap().rates;
    rates.per_request_cents = Some(1_500);
    director.set_fee_schedule("HIPAA-528", common::today(), rates).unwrap();
    let desk = &harness.desk;
    let fee = desk.accounting("204511", common::today(), None).unwrap().accounting.fee;
    harness.palette(&format!("accounting 204511 {}", common::today().format("%m/%d/%Y")));
    harness.keys(&[key(KeyCode::Char('D'))]);
    match fee {
        chartroom::domain::roi::accounting::AccountingFee::Quote { cents: Some(_), .. } => {
            assert!(matches!(harness.app.overlay, Some(Overlay::ProceedOrWithdraw { .. })), "{:?}", harness.app.toast);
            let shown = harness.draw(80, 24);
            assert!(text_of(&shown).contains("$15.00"), "the question names the fee");
            insta::assert_snapshot!("accounting_repeat_proceed_or_withdraw_80x24", shown.backend());
            harness.keys(&[key(KeyCode::Char('n'))]);
            assert!(harness.app.toast.as_deref().unwrap_or_default().starts_with("Withdrawn"));
        }
        other => panic!("a repeat within 12 months is quoted from HIPAA-528: {other:?}"),
    }
}
