//! `update()` tests of who is at the keyboard: the restricted chart's warning, the lock, the
//! disabled account, the privacy list.

use super::guard::{BreakGlassForm, Code, CodeRefusal, GlassField, GlassRow};
use super::*;
use crate::desk::privacy::LockReason;
use crate::domain::mrn::Mrn;
use crate::domain::patient::{MatchKind, PatientRow, Sensitivity, Sex};
use crate::store::SearchPage;
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn app_as(roles: &[Role]) -> App {
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    App::new(Arc::new(Keymap::default()), HeaderInfo::new("jdoe", roles), today, (80, 24))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A time on the department's wall clock, on the test's day.
fn wall(hour: u32, minute: u32) -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 3, 3).unwrap().and_hms_opt(hour, minute, 0).unwrap()
}

fn type_text(app: &mut App, text: &str) -> Vec<Command> {
    text.chars().flat_map(|c| app.update(key(KeyCode::Char(c)))).collect()
}

fn nguyen() -> PatientRow {
    PatientRow {
        patient_id: 4,
        mrn: Mrn::parse("300120").unwrap(),
        family: "Nguyen".into(),
        given: "Thanh".into(),
        middle: String::new(),
        birth_date: NaiveDate::from_ymd_opt(1990, 6, 2).unwrap(),
        sex: Sex::Female,
        ssn_last4: Some("1234".into()),
        last_visit: None,
        deceased_on: None,
        sensitivity: Sensitivity::Employee,
        match_kind: MatchKind::Exact,
        dob_swapped: false,
        encounter_id: None,
    }
}

/// NGUYEN found and Enter pressed: the chart's request id, as the desk would answer it.
fn opening_nguyen(app: &mut App) -> RequestId {
    let commands = type_text(app, "nguyen");
    let id = commands
        .iter()
        .rev()
        .find_map(|c| match c {
            Command::Search { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap();
    let page = SearchPage { rows: vec![nguyen()], has_more: false };
    app.update(Msg::SearchDone {
        id,
        append: false,
        result: Ok(crate::desk::SearchOutcome { shape: Some(QueryShape::Name), problem: None, page }),
    });
    let commands = app.update(key(KeyCode::Enter));
    commands
        .iter()
        .find_map(|c| match c {
            Command::OpenChart { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap()
}

/// The warning for NGUYEN, on screen.
pub(crate) fn warned() -> App {
    let mut app = app_as(&[Role::HimClerk]);
    let id = opening_nguyen(&mut app);
    app.update(Msg::SensitiveChart { id, patient_id: 4, encounter_id: None, name: "NGUYEN, THANH".into() });
    app
}

fn form(app: &App) -> &BreakGlassForm {
    match &app.overlay {
        Some(Overlay::BreakGlass(form)) => form,
        other => panic!("no warning: {other:?}"),
    }
}

#[test]
fn a_restricted_chart_asks_a_reason_and_the_code_before_it_opens() {
    let mut app = warned();
    assert_eq!(form(&app).name, "NGUYEN, THANH");
    assert!(app.chart.is_none(), "nothing of the chart yet");
    // Too few words: said on the form, nothing sent.
    type_text(&mut app, "roi");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(form(&app).message.as_deref().unwrap().contains("at least 3 words"), "{:?}", form(&app).message);
    type_text(&mut app, " request 2025-03-03");
    // No code yet: the cursor goes to it.
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert_eq!(form(&app).focus, GlassField::Code);
    type_text(&mut app, "tulip42");
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::BreakGlass { id, patient_id: 4, reason, code, .. }) = commands.last().cloned() else {
        panic!("{commands:?}")
    };
    assert_eq!(reason, "roi request 2025-03-03");
    assert_eq!(code, Code("tulip42".into()));
    assert_eq!(format!("{code:?}"), "Code(..)", "a code never shows in Debug");
    assert!(form(&app).code.is_empty(), "the code leaves the form when sent");
    // The desk broke the glass and opened it: the warning closes, the chart shows.
    let chart = crate::tui::app::tests::chart_for_row(nguyen());
    app.update(Msg::ChartLoaded { id, encounter_id: None, result: Ok(Box::new(chart)) });
    assert!(app.overlay.is_none());
    assert_eq!(app.screen, Screen::Chart);
}

#[test]
fn ctrl_u_clears_the_reason_and_the_code_on_the_warning_and_the_lock_as_it_clears_find() {
    let ctrl_u = || Msg::Key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    let mut app = warned();
    type_text(&mut app, "ROI request");
    assert!(app.update(ctrl_u()).is_empty());
    assert_eq!(form(&app).reason, "", "cleared, no \"u\" typed");
    type_text(&mut app, "ROI request 2025-03-03");
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "tulip4");
    app.update(ctrl_u());
    assert_eq!(form(&app).code, "");
    assert_eq!(form(&app).reason, "ROI request 2025-03-03", "only the field with the cursor");
    app.update(Msg::IdleTimeout { at: wall(14, 5) });
    type_text(&mut app, "tulip4");
    app.update(ctrl_u());
    assert_eq!(app.lock.as_ref().unwrap().code, "");
}

#[test]
fn esc_on_the_warning_opens_nothing() {
    let mut app = warned();
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.overlay.is_none());
    assert!(app.chart.is_none());
    assert_eq!(app.toast.as_deref(), Some("NGUYEN, THANH's chart was not opened."));
}

#[test]
fn three_wrong_codes_on_the_warning_lock_the_session_and_say_so() {
    let mut app = warned();
    type_text(&mut app, "ROI request 2025-03-03");
    app.update(key(KeyCode::Tab));
    for n in 1..=3 {
        type_text(&mut app, "wrong1");
        let commands = app.update(key(KeyCode::Enter));
        let Some(Command::BreakGlass { id, .. }) = commands.last().cloned() else { panic!("{commands:?}") };
        let commands = app.update(Msg::GlassRefused { id, refusal: CodeRefusal::Wrong { left: 3 - n } });
        if n < 3 {
            assert!(commands.is_empty());
            assert!(form(&app).message.as_deref().unwrap().contains("not your signature code"));
            assert_eq!(form(&app).reason, "ROI request 2025-03-03", "the reason stays typed");
        } else {
            assert_eq!(commands, [Command::RecordLock(LockReason::WrongCodes)]);
        }
    }
    assert!(app.locked());
    assert!(app.overlay.is_none());
}

#[test]
fn the_count_of_wrong_codes_is_the_desks_so_esc_and_asking_again_does_not_reset_it() {
    let mut app = warned();
    type_text(&mut app, "ROI request 2025-03-03");
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "wrong1");
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::BreakGlass { id, .. }) = commands.last().cloned() else { panic!("{commands:?}") };
    // Two wrong ones already, the desk says (this and one before, in any session).
    app.update(Msg::GlassRefused { id, refusal: CodeRefusal::Wrong { left: 1 } });
    assert!(form(&app).message.as_deref().unwrap().contains("1 try"), "{:?}", form(&app).message);
    app.update(key(KeyCode::Esc));
    assert!(app.overlay.is_none());
    // Asked again from the results: a fresh form, but the count stands — one more wrong locks.
    let commands = app.update(key(KeyCode::Enter));
    let id = commands
        .iter()
        .find_map(|c| match c {
            Command::OpenChart { id, .. } => Some(*id),
            _ => None,
        })
        .expect("the chart asked for again");
    app.update(Msg::SensitiveChart { id, patient_id: 4, encounter_id: None, name: "NGUYEN, THANH".into() });
    assert!(form(&app).message.is_none());
    type_text(&mut app, "ROI request 2025-03-03");
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "wrong2");
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::BreakGlass { id, .. }) = commands.last().cloned() else { panic!("{commands:?}") };
    let commands = app.update(Msg::GlassRefused { id, refusal: CodeRefusal::Wrong { left: 0 } });
    assert_eq!(commands, [Command::RecordLock(LockReason::WrongCodes)]);
    assert!(app.locked());
}

#[test]
fn a_refusal_other_than_a_wrong_code_is_said_on_the_form() {
    let mut app = warned();
    type_text(&mut app, "ROI request 2025-03-03");
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "tulip42");
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::BreakGlass { id, .. }) = commands.last().cloned() else { panic!("{commands:?}") };
    let told = "you (jdoe) have no signature code yet; set one with `chartroom user signature`";
    app.update(Msg::GlassRefused { id, refusal: CodeRefusal::Other(told.into()) });
    assert_eq!(
        form(&app).message.as_deref(),
        Some("You (jdoe) have no signature code yet; set one with `chartroom user signature`")
    );
    assert!(!app.locked());
}

#[test]
fn the_own_record_refusal_is_a_message_and_no_chart() {
    let mut app = app_as(&[Role::HimClerk]);
    let id = opening_nguyen(&mut app);
    let refused = "You may not access your own record; contact the Privacy Office".to_string();
    app.update(Msg::ChartLoaded { id, encounter_id: None, result: Err(refused.clone()) });
    assert!(app.chart.is_none());
    assert_eq!(app.toast, Some(refused));
}

#[test]
fn idle_locks_over_a_half_filled_form_and_the_code_resumes_it_untouched() {
    let mut app = warned();
    type_text(&mut app, "ROI request");
    let commands = app.update(Msg::IdleTimeout { at: wall(14, 5) });
    assert_eq!(commands, [Command::RecordLock(LockReason::Idle)]);
    assert!(app.locked());
    // Keys go to the lock, not to the form behind it.
    type_text(&mut app, "tulip4");
    assert_eq!(form(&app).reason, "ROI request");
    app.update(key(KeyCode::Backspace));
    type_text(&mut app, "42");
    let commands = app.update(key(KeyCode::Enter));
    assert_eq!(commands, [Command::Unlock { code: Code("tulip42".into()) }]);
    // A second idle while locked is nothing.
    assert!(app.update(Msg::IdleTimeout { at: wall(14, 20) }).is_empty());
    app.update(Msg::Unlocked(Ok(())));
    assert!(!app.locked());
    assert_eq!(form(&app).reason, "ROI request", "the form is where it was");
    type_text(&mut app, " 2025-03-03");
    assert_eq!(form(&app).reason, "ROI request 2025-03-03");
}

#[test]
fn three_wrong_codes_on_the_lock_screen_end_the_session() {
    let mut app = app_as(&[Role::HimClerk]);
    app.update(Msg::IdleTimeout { at: wall(14, 5) });
    for n in 1..=3 {
        type_text(&mut app, "nope123");
        assert!(matches!(&app.update(key(KeyCode::Enter))[..], [Command::Unlock { .. }]));
        let commands = app.update(Msg::Unlocked(Err(CodeRefusal::Wrong { left: 3 - n })));
        if n < 3 {
            assert!(commands.is_empty());
            assert!(!app.quitting);
            assert!(app.lock.as_ref().unwrap().message.as_deref().unwrap().contains("not your signature code"));
        } else {
            assert_eq!(commands.first(), Some(&Command::RecordLock(LockReason::WrongCodes)));
            assert!(commands.contains(&Command::Quit));
        }
    }
}

#[test]
fn a_disabled_account_shows_nothing_more_and_any_key_leaves() {
    let mut app = warned();
    app.update(Msg::Disabled("your chartroom account (jdoe) has been disabled".into()));
    assert!(app.overlay.is_none());
    assert!(app.disabled.is_some());
    // Typing does nothing but leave.
    assert!(app.update(key(KeyCode::Char('x'))).is_empty());
    assert!(app.update(key(KeyCode::Enter)).contains(&Command::Quit));
}

#[test]
fn privacy_is_the_privacy_officers_and_lists_what_the_desk_read() {
    let mut clerk = app_as(&[Role::HimClerk]);
    assert!(clerk.open_privacy().is_empty());
    assert!(clerk.toast.as_deref().unwrap().contains("privacy officer"));
    let mut officer = app_as(&[Role::PrivacyOfficer]);
    officer.update(key(KeyCode::Char(':')));
    type_text(&mut officer, "privacy");
    let commands = officer.update(key(KeyCode::Enter));
    assert!(commands.contains(&Command::LoadPrivacy), "{commands:?}");
    let row = GlassRow {
        at: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap().and_hms_opt(9, 41, 0).unwrap(),
        username: "jdoe".into(),
        mrn: "300120".into(),
        source: "local".into(),
        detail: "ROI request 2025-03-03 (EMPLOYEE)".into(),
    };
    officer.update(Msg::PrivacyLoaded(Ok(vec![row])));
    assert!(matches!(&officer.overlay, Some(Overlay::Privacy { rows, .. }) if rows.len() == 1));
    officer.update(key(KeyCode::Esc));
    assert!(officer.overlay.is_none());
}

#[test]
fn the_lock_screen_says_since_when_on_the_departments_wall_clock() {
    // 06:12 UTC is 00:12 in Chicago: the loop hands over the facility's time, as history shows it,
    // and the lock screen writes that, never the host's zone.
    let mut app = app_as(&[Role::HimClerk]);
    app.update(Msg::IdleTimeout { at: wall(0, 12) });
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| crate::tui::view::render(frame, &app, &crate::tui::theme::Theme::monochrome())).unwrap();
    let screen = format!("{:?}", terminal.backend().buffer());
    assert!(screen.contains("chartroom is locked for jdoe since 00:12."), "{screen}");
}
