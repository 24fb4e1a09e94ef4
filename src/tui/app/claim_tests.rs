//! `update()` tests for taking work: `t`, `:take`, `:release`, a refused take, a supervisor's
//! take-over, and the queue narrowed to whose work it is.

use super::*;
use crate::desk::claims::ClaimOutcome;
use crate::domain::completion::Claim;
use crate::store::deficiencies::QueueRow;
use crate::store::{ClaimFilter, QueuePage, SkippedItem};
use chrono::{NaiveDate, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
}

fn app_as(username: &str, role: Role) -> App {
    App::new(Arc::new(Keymap::default()), HeaderInfo::new(username, &[role]), today(), (80, 24))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn palette(app: &mut App, text: &str) -> Vec<Command> {
    app.update(key(KeyCode::Char(':')));
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter))
}

fn held(holder: &str) -> Option<Claim> {
    Some(Claim {
        holder: holder.into(),
        since: Utc.with_ymd_and_hms(2025, 3, 3, 16, 42, 0).unwrap(),
        until: Utc.with_ymd_and_hms(2025, 3, 4, 6, 0, 0).unwrap(),
    })
}

fn row(id: i64, claim: Option<Claim>) -> QueueRow {
    QueueRow {
        id,
        version: 1,
        patient_id: 100 + id,
        encounter_id: 200 + id,
        provider_id: 1,
        physician: "OKAFOR, BEN".into(),
        type_code: "OP-S".into(),
        type_name: "Operative report unsigned".into(),
        category: "OPERATIVE".into(),
        status: crate::domain::chart::DeficiencyStatus::Transcribed,
        mrn: "204511".into(),
        patient: "GARCIA, MARIA".into(),
        account: format!("A25-00078{id}"),
        facility: "RGH".into(),
        service: "SURGERY".into(),
        event_on: NaiveDate::from_ymd_opt(2025, 2, 10).unwrap(),
        delinquent_on: NaiveDate::from_ymd_opt(2025, 3, 12).unwrap(),
        paused_days: 0,
        step_due: None,
        pauses: Vec::new(),
        claim,
    }
}

/// Opens the queue with `rows` on screen.
fn queue_with(app: &mut App, rows: Vec<QueueRow>) {
    app.update(key(KeyCode::Esc));
    let commands = palette(app, "deficiencies");
    let Some(Command::LoadQueue { id, .. }) = commands.first().cloned() else { panic!("{commands:?}") };
    app.update(Msg::QueueLoaded { id, append: false, result: Ok(QueuePage { rows, has_more: false }) });
    assert_eq!(app.screen, Screen::Queue);
}

#[test]
fn t_takes_the_highlighted_row() {
    let mut app = app_as("tnguyen", Role::ChartAnalyst);
    queue_with(&mut app, vec![row(1, None), row(2, None), row(3, None)]);
    app.update(key(KeyCode::Down));
    let commands = app.update(key(KeyCode::Char('t')));
    assert_eq!(commands, vec![Command::TakeDeficiencies { ids: vec![2], take_over: false }]);
    assert!(app.overlay.is_none(), "taking is undone by giving up: no question");
}

#[test]
fn t_takes_the_selected_rows_and_they_stay_selected() {
    let mut app = app_as("tnguyen", Role::ChartAnalyst);
    queue_with(&mut app, vec![row(1, None), row(2, None), row(3, None)]);
    app.update(key(KeyCode::Char(' '))); // row 1, on to 2
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char(' '))); // row 3
    let commands = app.update(key(KeyCode::Char('t')));
    assert_eq!(commands, vec![Command::TakeDeficiencies { ids: vec![1, 3], take_over: false }]);
    let outcome =
        ClaimOutcome { done: vec![1, 3], lapses: Some("until the end of the day".into()), ..Default::default() };
    let refresh = app.update(Msg::Claimed(Ok(outcome)));
    assert_eq!(app.toast.as_deref(), Some("2 deficiencies taken, yours until the end of the day"));
    assert!(matches!(refresh.first(), Some(Command::RefreshQueue { .. })), "the holders show: {refresh:?}");
    assert_eq!(app.queue.picked.keys().copied().collect::<Vec<_>>(), vec![1, 3], "taken, then worked");
}

#[test]
fn a_refused_take_names_who_has_it_and_since_when() {
    let mut app = app_as("tnguyen", Role::ChartAnalyst);
    // The screen still shows row 1 free: mlee took it a moment ago.
    queue_with(&mut app, vec![row(1, None), row(2, None)]);
    let commands = palette(&mut app, "take 1-2");
    assert_eq!(commands, vec![Command::TakeDeficiencies { ids: vec![1, 2], take_over: false }]);
    let outcome = ClaimOutcome {
        done: vec![2],
        refused: vec![SkippedItem {
            id: 1,
            label: "A25-000781 OP-S".into(),
            reason: "is being worked by mlee since 10:42".into(),
        }],
        lapses: Some("until the end of the day".into()),
        ..Default::default()
    };
    app.update(Msg::Claimed(Ok(outcome)));
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "1 deficiency taken, yours until the end of the day; not taken 1: A25-000781 OP-S is being worked by \
             mlee since 10:42"
        )
    );
    let all_refused = ClaimOutcome {
        refused: vec![SkippedItem {
            id: 1,
            label: "A25-000781 OP-S".into(),
            reason: "is being worked by mlee since 10:42".into(),
        }],
        lapses: Some("until the end of the day".into()),
        ..Default::default()
    };
    app.update(key(KeyCode::Down));
    app.update(Msg::Claimed(Ok(all_refused)));
    assert_eq!(app.toast.as_deref(), Some("not taken 1: A25-000781 OP-S is being worked by mlee since 10:42"));
}

#[test]
fn an_analyst_on_a_row_another_holds_lets_the_desk_refuse_it() {
    let mut app = app_as("tnguyen", Role::ChartAnalyst);
    queue_with(&mut app, vec![row(1, held("mlee"))]);
    let commands = app.update(key(KeyCode::Char('t')));
    assert_eq!(commands, vec![Command::TakeDeficiencies { ids: vec![1], take_over: false }]);
}

#[test]
fn a_supervisor_is_asked_before_taking_over_and_no_means_nothing() {
    let mut app = app_as("kwong", Role::Supervisor);
    queue_with(&mut app, vec![row(1, None), row(2, held("mlee")), row(3, held("kwong"))]);
    assert!(app.update(key(KeyCode::Char('a'))).is_empty(), "every row selected");
    assert!(app.update(key(KeyCode::Char('t'))).is_empty(), "a question first");
    let Some(Overlay::Confirm { prompt, command }) = &app.overlay else { panic!("a question") };
    assert_eq!(
        prompt,
        "Take rows 1-3 (A25-000781 OP-S, A25-000782 OP-S, A25-000783 OP-S), taking over row 2 from mlee? (y/N)"
    );
    assert_eq!(command, &Command::TakeDeficiencies { ids: vec![1, 2, 3], take_over: true });
    assert!(app.update(key(KeyCode::Char('n'))).is_empty());
    assert_eq!(app.toast.as_deref(), Some("Nothing changed."));

    app.update(key(KeyCode::Char('a'))); // none
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('t')));
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("a question") };
    assert_eq!(prompt, "Take over row 2 (A25-000782 OP-S) from mlee? (y/N)");
    assert_eq!(app.update(key(KeyCode::Char('y'))), vec![Command::TakeDeficiencies { ids: vec![2], take_over: true }]);
    palette(&mut app, "release 2");
    let Some(Overlay::Confirm { prompt, command }) = &app.overlay else { panic!("a question") };
    assert_eq!(prompt, "Release row 2 (A25-000782 OP-S) from mlee? They are then nobody's. (y/N)");
    assert_eq!(command, &Command::ReleaseDeficiencies { ids: vec![2], take_over: true });
}

#[test]
fn release_gives_up_the_clerks_own_rows_without_a_question() {
    let mut app = app_as("mlee", Role::ChartAnalyst);
    queue_with(&mut app, vec![row(1, held("mlee")), row(2, held("mlee"))]);
    assert_eq!(
        palette(&mut app, "release 1-2"),
        vec![Command::ReleaseDeficiencies { ids: vec![1, 2], take_over: false }]
    );
    let outcome = ClaimOutcome { done: vec![1, 2], release: true, ..Default::default() };
    app.update(Msg::Claimed(Ok(outcome)));
    assert_eq!(app.toast.as_deref(), Some("2 deficiencies given up"));
}

#[test]
fn a_clerk_who_may_not_work_deficiencies_is_told_before_asking() {
    let mut app = app_as("jdoe", Role::HimClerk);
    app.screen = Screen::Queue;
    app.queue.rows = vec![row(1, None)];
    assert!(app.update(key(KeyCode::Char('t'))).is_empty());
    assert_eq!(
        app.toast.as_deref(),
        Some("you (jdoe) may not take work: that needs chart_analyst, supervisor or director")
    );
}

#[test]
fn take_on_an_empty_queue_or_a_row_not_there_says_so() {
    let mut app = app_as("mlee", Role::ChartAnalyst);
    queue_with(&mut app, Vec::new());
    assert!(app.update(key(KeyCode::Char('t'))).is_empty());
    assert_eq!(app.toast.as_deref(), Some("No deficiency to take here."));
    let mut app = app_as("mlee", Role::ChartAnalyst);
    queue_with(&mut app, vec![row(1, None)]);
    assert!(palette(&mut app, "take 4").is_empty());
    assert_eq!(app.toast.as_deref(), Some("there is no row 4 on screen (1 listed)"));
}

#[test]
fn m_narrows_the_queue_to_the_clerks_own_work_then_to_nobodys_then_back() {
    let mut app = app_as("mlee", Role::ChartAnalyst);
    queue_with(&mut app, vec![row(1, held("mlee")), row(2, None)]);
    let filter_of = |commands: Vec<Command>| match commands.first() {
        Some(Command::LoadQueue { filter, offset: 0, .. }) => filter.claimed.clone(),
        other => panic!("a reload: {other:?}"),
    };
    assert_eq!(filter_of(app.update(key(KeyCode::Char('m')))), Some(ClaimFilter::By("mlee".into())));
    assert!(app.queue.describe_filter().contains("taken by you"), "{}", app.queue.describe_filter());
    assert_eq!(filter_of(app.update(key(KeyCode::Char('m')))), Some(ClaimFilter::Unclaimed));
    assert!(app.queue.describe_filter().contains("taken by nobody"));
    assert_eq!(filter_of(app.update(key(KeyCode::Char('m')))), None);
    // `:filter claim=mine` goes to the desk like every filter, and `:filter` alone clears it.
    app.queue.filter.claimed = Some(ClaimFilter::Unclaimed);
    let commands = palette(&mut app, "filter");
    assert_eq!(filter_of(commands), None);
}
