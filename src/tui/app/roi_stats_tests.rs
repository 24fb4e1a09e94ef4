//! `update()` tests of the Director's ROI figures: who may open them, the period by key and as
//! typed, each read a command (never a wait), stale answers dropped. No terminal, no store.

use super::roi::{RoiCommand, RoiMsg};
use super::*;
use crate::desk::roi::stats::RoiStatsReport;
use crate::domain::roi::stats::{Period, StatsFacts, roi_stats};
use crate::tui::screens::roi_stats::RoiStatsState;
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Today in these tests: a Wednesday.
const TODAY: (i32, u32, u32) = (2025, 3, 5);

fn today() -> NaiveDate {
    d(TODAY.0, TODAY.1, TODAY.2)
}

fn app_as(role: Role) -> App {
    App::new(Arc::new(Keymap::default()), HeaderInfo::new("dhim", &[role]), today(), (80, 24))
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

/// The one read the commands ask for: (id, from, to).
fn read_of(commands: &[Command]) -> (RequestId, NaiveDate, NaiveDate) {
    let reads: Vec<_> = commands
        .iter()
        .filter_map(|c| match c {
            Command::Roi(RoiCommand::LoadStats { id, from, to }) => Some((*id, *from, *to)),
            _ => None,
        })
        .collect();
    assert_eq!(reads.len(), 1, "{commands:?}");
    reads[0]
}

fn answer(app: &mut App, id: RequestId, from: NaiveDate, to: NaiveDate, received: i64) -> Vec<Command> {
    let facts = StatsFacts { received: vec![(from, received)], ..StatsFacts::default() };
    let stats = roi_stats(Period::new(from, to).unwrap(), today(), &facts);
    app.update(Msg::Roi(RoiMsg::StatsLoaded { id, result: Ok(Box::new(RoiStatsReport { facility: None, stats })) }))
}

fn shown(app: &App) -> &RoiStatsState {
    app.roi.stats.as_ref().expect("the figures' state")
}

#[test]
fn s_on_the_roi_queue_opens_the_last_13_weeks_read_off_the_render_path() {
    let mut app = app_as(Role::Director);
    palette(&mut app, "roi");
    assert_eq!(app.screen, Screen::Roi);
    let commands = app.update(Msg::Key(KeyEvent::new(KeyCode::Char('S'), KeyModifiers::SHIFT)));
    assert_eq!((app.screen, app.context()), (Screen::RoiStats, crate::tui::keymap::Context::RoiStats));
    let (id, from, to) = read_of(&commands);
    assert_eq!((from, to), (d(2024, 12, 9), today()), "13 ISO weeks, this one to today");
    assert!(shown(&app).loading && shown(&app).report.is_none());
    answer(&mut app, id, from, to, 7);
    let state = shown(&app);
    assert!(!state.loading);
    assert_eq!(state.report.as_ref().map(|r| r.stats.received), Some(7));
    assert_eq!(app.roi.pending_stats, None);
    // Esc goes back where it was opened from.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Roi);
}

#[test]
fn a_clerk_is_told_the_figures_are_not_hers_and_nothing_is_read() {
    for role in [Role::RoiSpecialist, Role::HimClerk, Role::MedicalStaffOffice] {
        let mut app = app_as(role);
        let commands = palette(&mut app, "roi-stats");
        assert!(commands.iter().all(|c| !matches!(c, Command::Roi(RoiCommand::LoadStats { .. }))), "{role:?}");
        assert_ne!(app.screen, Screen::RoiStats);
        assert_eq!(app.toast.as_deref(), Some("The ROI figures are a supervisor's and the Director of HIM's."));
    }
    let mut supervisor = app_as(Role::Supervisor);
    read_of(&palette(&mut supervisor, "roi-stats"));
    assert_eq!(supervisor.screen, Screen::RoiStats);
}

#[test]
fn the_period_changes_by_key_each_change_a_new_read() {
    let mut app = app_as(Role::Director);
    let (id, from, to) = read_of(&palette(&mut app, "roi-stats"));
    answer(&mut app, id, from, to, 1);

    let (_, from, to) = read_of(&app.update(key(KeyCode::Char('w'))));
    assert_eq!((from, to), (d(2025, 2, 10), today()));
    assert_eq!(shown(&app).preset, Some(crate::domain::roi::stats::PeriodPreset::FourWeeks));
    let (_, from, to) = read_of(&app.update(key(KeyCode::Char('y'))));
    assert_eq!((from, to), (d(2024, 3, 11), today()));
    let (_, from, _) = read_of(&app.update(key(KeyCode::Char('q'))));
    assert_eq!(from, d(2024, 12, 9));

    // Earlier: as long, just before; later again: back, never past today.
    app.update(key(KeyCode::Char('w')));
    let (_, from, to) = read_of(&app.update(key(KeyCode::Left)));
    assert_eq!((from, to), (d(2025, 1, 17), d(2025, 2, 9)), "the 24 days before 02/10");
    assert_eq!(shown(&app).preset, None, "no longer the preset: its days head the screen");
    let (_, from, to) = read_of(&app.update(key(KeyCode::Right)));
    assert_eq!((from, to), (d(2025, 2, 10), today()));
    let commands = app.update(key(KeyCode::Right));
    assert!(commands.is_empty(), "{commands:?}");
    assert_eq!(app.toast.as_deref(), Some("The period already reaches today (03/05/2025)."));
    // r reads the same period again.
    let (_, from, to) = read_of(&app.update(key(KeyCode::Char('r'))));
    assert_eq!((from, to), (d(2025, 2, 10), today()));
}

#[test]
fn a_typed_period_is_read_and_one_that_cannot_be_is_refused_before_any_read() {
    let mut app = app_as(Role::Director);
    let (_, from, to) = read_of(&palette(&mut app, "roi-stats 01/01/2025 01/31/2025"));
    assert_eq!((from, to), (d(2025, 1, 1), d(2025, 1, 31)));
    assert_eq!(shown(&app).period_words(), "01/01/2025 to 01/31/2025");

    // `p` opens the palette with the command typed.
    app.update(key(KeyCode::Char('p')));
    assert!(matches!(&app.overlay, Some(Overlay::Palette(p)) if p.input == "roi-stats "), "{:?}", app.overlay);
    app.update(key(KeyCode::Esc));

    for (typed, said) in [
        ("roi-stats 03/01/2025 02/01/2025", "the period ends (02/01/2025) before it starts (03/01/2025)"),
        (
            "roi-stats 03/06/2025 03/20/2025",
            "The period starts 03/06/2025, after today: there is nothing to count yet.",
        ),
    ] {
        let commands = palette(&mut app, typed);
        assert!(commands.iter().all(|c| !matches!(c, Command::Roi(RoiCommand::LoadStats { .. }))), "{typed}");
        assert_eq!(app.toast.as_deref(), Some(said));
    }
    assert_eq!(shown(&app).period.from, d(2025, 1, 1), "the period shown is kept");
}

#[test]
fn an_answer_for_a_period_left_is_dropped_and_a_refusal_with_nothing_shown_goes_back() {
    let mut app = app_as(Role::Director);
    palette(&mut app, "roi");
    let (first, from, to) = read_of(&palette(&mut app, "roi-stats"));
    let (second, _, _) = read_of(&app.update(key(KeyCode::Char('w'))));
    app.dirty = false; // the frame drawn
    answer(&mut app, first, from, to, 99);
    assert!(shown(&app).report.is_none(), "the quarter's answer is not the 4 weeks'");
    assert!(!app.dirty, "and draws nothing");
    assert_eq!(app.roi.pending_stats, Some(second));

    app.update(Msg::Roi(RoiMsg::StatsLoaded { id: second, result: Err("the store is busy".into()) }));
    assert_eq!(app.toast.as_deref(), Some("the store is busy"));
    assert_eq!(app.screen, Screen::Roi, "nothing to show: back where it was opened");
    assert!(app.roi.stats.is_none());
}
