//! `update()` tests of the accounting of disclosures screen: keys and answers in, state and
//! commands out. No terminal, no store.

use super::roi::{RoiCommand, RoiMsg};
use super::*;
use crate::domain::roi::LegalBasis;
use crate::domain::roi::accounting::{self, AccountingFee, Disclosure};
use crate::report::accounting::{AccountingPatient, AccountingReport};
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn app_as(role: Role) -> App {
    App::new(Arc::new(Keymap::default()), HeaderInfo::new("kwong", &[role]), d(2025, 3, 3), (80, 24))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn palette(app: &mut App, text: &str) -> Vec<Command> {
    app.update(Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)));
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter))
}

fn report() -> AccountingReport {
    let entry = |id: i64, on: NaiveDate, recipient: &str, basis: LegalBasis| Disclosure {
        id,
        disclosed_on: on,
        recipient: recipient.into(),
        recipient_address: "Austin TX".into(),
        description: "Records".into(),
        purpose: "Report".into(),
        legal_basis: basis,
        accountable: true,
        request: None,
        voided: false,
    };
    let entries = [
        entry(7, d(2021, 6, 1), "Texas DSHS", LegalBasis::PublicHealth),
        entry(118, d(2023, 8, 15), "Travis County District Court", LegalBasis::Judicial),
    ];
    AccountingReport {
        patient: AccountingPatient {
            patient_id: 3,
            mrn: "204511".into(),
            name: "GARCIA, MARIA L".into(),
            birth_date: d(1961, 4, 12),
        },
        accounting: accounting::accounting(&entries, &[], d(2025, 3, 3), AccountingFee::Free),
    }
}

/// `:accounting 204511`, answered.
fn open(app: &mut App) {
    let commands = palette(app, "accounting 204511");
    let Some(Command::Roi(RoiCommand::LoadAccounting { id, mrn, on, follow: false })) = commands.last().cloned() else {
        panic!("{commands:?}")
    };
    assert_eq!((mrn.as_str(), on), ("204511", d(2025, 3, 3)), "today when no day is typed");
    assert_eq!((app.screen, app.context()), (Screen::Accounting, Context::Accounting));
    app.update(Msg::Roi(RoiMsg::AccountingLoaded { id, result: Ok(Box::new(report())) }));
    assert_eq!(app.roi.accounting.as_ref().map(|a| a.entries()), Some(2));
}

#[test]
fn the_palette_opens_the_accounting_off_the_render_path_and_a_stale_answer_is_dropped() {
    let mut app = app_as(Role::Supervisor);
    let first = palette(&mut app, "accounting 204511 03/01/2025");
    let Some(Command::Roi(RoiCommand::LoadAccounting { id: stale, on, .. })) = first.last().cloned() else {
        panic!("{first:?}")
    };
    assert_eq!(on, d(2025, 3, 1));
    open(&mut app);
    app.update(Msg::Roi(RoiMsg::AccountingLoaded { id: stale, result: Err("late".into()) }));
    assert_eq!(app.toast, None, "an answer no longer awaited is dropped");
    // A day after today is refused before any read.
    let commands = palette(&mut app, "accounting 204511 03/04/2025");
    assert!(commands.is_empty(), "{commands:?}");
    assert!(app.toast.as_deref().unwrap_or_default().contains("not after today"), "{:?}", app.toast);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Lookup, "back where it came from");
}

#[test]
fn a_clerk_is_refused_void_naming_the_roles_and_nothing_is_asked() {
    let mut app = app_as(Role::RoiSpecialist);
    open(&mut app);
    let commands = app.update(key(KeyCode::Char('V')));
    assert!(commands.is_empty() && app.overlay.is_none(), "{commands:?}");
    let toast = app.toast.clone().unwrap_or_default();
    assert!(toast.contains("supervisor") && toast.contains("director"), "{toast}");
}

#[test]
fn a_supervisor_voids_the_highlighted_one_after_a_reason_and_y() {
    let mut app = app_as(Role::Supervisor);
    open(&mut app);
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('V')));
    assert!(matches!(&app.overlay, Some(Overlay::Palette(p)) if p.input == "accounting void "), "the reason is asked");
    for c in "wrong patient".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert!(
        prompt.starts_with("Void D-118 (08/15/2023 to Travis County District Court) because \"wrong patient\"?"),
        "{prompt}"
    );
    let commands = app.update(key(KeyCode::Char('y')));
    assert_eq!(
        commands,
        [Command::Roi(RoiCommand::VoidDisclosure {
            label: "D-118".into(),
            reason: "wrong patient".into(),
            mrn: "204511".into(),
            on: d(2025, 3, 3),
        })]
    );
    // Voided: the accounting is read again, as a follow-up, not another look.
    let commands = app.update(Msg::Roi(RoiMsg::DisclosureVoided(Ok("D-118 is voided".into()))));
    assert!(
        matches!(commands.as_slice(), [Command::Roi(RoiCommand::LoadAccounting { follow: true, .. })]),
        "{commands:?}"
    );
    assert_eq!(app.toast.as_deref(), Some("D-118 is voided"));
}

#[test]
fn another_clerks_change_is_followed_once_the_read_on_its_way_is_in() {
    let mut app = app_as(Role::RoiSpecialist);
    open(&mut app);
    let commands = app.update(Msg::StoreChanged(crate::store::Topic::Requests.into()));
    let Some(Command::Roi(RoiCommand::LoadAccounting { id, follow: true, .. })) = commands.last().cloned() else {
        panic!("{commands:?}")
    };
    // A second word while the first read is out waits for it, then reads once more.
    assert!(app.update(Msg::StoreChanged(crate::store::Topic::Requests.into())).is_empty());
    let after = app.update(Msg::Roi(RoiMsg::AccountingLoaded { id, result: Ok(Box::new(report())) }));
    assert!(matches!(after.as_slice(), [Command::Roi(RoiCommand::LoadAccounting { follow: true, .. })]), "{after:?}");
}

/// The accounting on screen turned into a repeat one: an earlier requested 12/02/2024, quoted.
fn answer_as_repeat(app: &mut App, cents: Option<i64>) {
    let commands = palette(app, "accounting 204511");
    let Some(Command::Roi(RoiCommand::LoadAccounting { id, .. })) = commands.last().cloned() else { panic!() };
    let mut repeat = report();
    repeat.accounting.fee = AccountingFee::Quote { previous: d(2024, 12, 2), cents };
    app.update(Msg::Roi(RoiMsg::AccountingLoaded { id, result: Ok(Box::new(repeat)) }));
}

#[test]
fn a_first_accounting_is_delivered_after_a_question_that_says_it_is_free_and_recorded() {
    let mut app = app_as(Role::RoiSpecialist);
    open(&mut app);
    assert!(app.update(key(KeyCode::Char('D'))).is_empty(), "a question first");
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert!(
        prompt.starts_with(
            "Deliver MRN 204511's accounting as of 03/03/2025 (2 entries, no fee: the first in 12 months)?"
        ),
        "{prompt}"
    );
    let commands = app.update(key(KeyCode::Char('y')));
    assert_eq!(
        commands,
        [Command::Roi(RoiCommand::DeliverAccounting { mrn: "204511".into(), on: d(2025, 3, 3), proceed: false })]
    );
    let commands = app.update(Msg::Roi(RoiMsg::AccountingDelivered(Ok("Delivered MRN 204511's accounting".into()))));
    assert!(
        matches!(commands.as_slice(), [Command::Roi(RoiCommand::LoadAccounting { follow: true, .. })]),
        "its fee line changes, so it is read again: {commands:?}"
    );
}

#[test]
fn a_repeat_accounting_states_its_fee_and_the_patient_proceeds_or_withdraws() {
    let mut app = app_as(Role::RoiSpecialist);
    answer_as_repeat(&mut app, Some(1_250));
    app.update(key(KeyCode::Char('D')));
    let Some(Overlay::ProceedOrWithdraw { prompt, .. }) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert!(prompt.contains("requested 12/02/2024") && prompt.contains("costs $12.50"), "{prompt}");
    // N: withdrawn, nothing sent to the desk.
    let commands = app.update(key(KeyCode::Char('n')));
    assert!(commands.is_empty(), "{commands:?}");
    assert_eq!(
        app.toast.as_deref(),
        Some("Withdrawn: MRN 204511's accounting as of 03/03/2025 was not delivered and nothing is charged.")
    );
    // y: the patient goes ahead.
    app.update(key(KeyCode::Char('D')));
    let commands = app.update(key(KeyCode::Char('y')));
    assert_eq!(
        commands,
        [Command::Roi(RoiCommand::DeliverAccounting { mrn: "204511".into(), on: d(2025, 3, 3), proceed: true })]
    );
}

#[test]
fn a_repeat_accounting_with_no_fee_set_and_a_clerk_who_may_not_release_are_refused_before_any_question() {
    let mut app = app_as(Role::RoiSpecialist);
    answer_as_repeat(&mut app, None);
    assert!(app.update(key(KeyCode::Char('D'))).is_empty());
    assert!(app.overlay.is_none());
    assert!(app.toast.as_deref().unwrap_or_default().contains("HIPAA-528 sets none"), "{:?}", app.toast);

    let mut app = app_as(Role::HimClerk);
    open(&mut app);
    assert!(app.update(key(KeyCode::Char('D'))).is_empty());
    assert!(app.overlay.is_none());
    assert!(
        app.toast.as_deref().unwrap_or_default().starts_with("You may not deliver an accounting"),
        "{:?}",
        app.toast
    );
}
