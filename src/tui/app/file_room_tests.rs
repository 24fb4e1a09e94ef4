//! `update()` tests of the file room: the scan line (a location, then volumes; an unknown barcode;
//! a refused move; scans typed faster than they are answered), leaving scan mode and the screen,
//! and the pull list's questions. No terminal, no store: the desk's answers are made here.

use super::file_room::{FileRoomCommand, FileRoomMsg};
use super::*;
use crate::desk::file_room::{Moved, Scanned};
use crate::domain::file_room::{Location, MovementType, RequestStatus, VolumeStatus};
use crate::store::file_room::{ChartRequestRecord, Place, VolumeRecord};
use crate::tui::screens::file_room::{ScanLine, Tab};
use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
}

fn clerk() -> App {
    App::new(Arc::new(Keymap::default()), HeaderInfo::new("jdoe", &[Role::HimClerk]), today(), (80, 24))
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

/// A scanner: the barcode's characters, then Enter.
fn scan(app: &mut App, text: &str) -> Vec<Command> {
    for c in text.chars() {
        assert!(app.update(key(KeyCode::Char(c))).is_empty(), "a typed character asks the desk nothing");
    }
    app.update(key(KeyCode::Enter))
}

fn coding() -> Location {
    Location { id: 4, code: "CODING".into(), name: "Coding".into(), kind: "CODING".into(), default_loan_days: 3 }
}

fn place(id: i64, code: &str) -> Place {
    Place { id, code: code.into(), name: code.into() }
}

fn moved(barcode: &str, name: &str, from: &str) -> Moved {
    let mrn = barcode.trim_start_matches('V').split('-').next().unwrap_or_default().to_string();
    Moved {
        movement: if from == "FILE_A" { MovementType::ChargeOut } else { MovementType::Transfer },
        volume: VolumeRecord {
            id: 1,
            patient_id: 1,
            mrn,
            patient_name: name.into(),
            volume_no: 1,
            record_type: "MEDICAL_RECORD".into(),
            barcode: barcode.into(),
            status: VolumeStatus::ChargedOut,
            home: place(1, "FILE_A"),
            current: place(4, "CODING"),
            borrower: None,
            due_back_on: Some(NaiveDate::from_ymd_opt(2025, 3, 6).unwrap()),
            version: 2,
        },
        from: place(9, from),
    }
}

/// The scans the commands send: (where to, what).
fn scans(commands: &[Command]) -> Vec<(Option<String>, String)> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::FileRoom(FileRoomCommand::Scan { at, text }) => {
                Some((at.as_ref().map(|l| l.code.clone()), text.clone()))
            }
            _ => None,
        })
        .collect()
}

fn answered(app: &mut App, text: &str, result: Result<Scanned, String>) -> Vec<Command> {
    app.update(Msg::FileRoom(FileRoomMsg::Scanned { text: text.into(), result }))
}

fn state(app: &App) -> &crate::tui::screens::file_room::FileRoomState {
    app.file_room.as_ref().expect("the file room is open")
}

#[test]
fn scan_opens_the_file_room_on_the_scan_line_and_a_location_then_volumes_move_there() {
    let mut app = clerk();
    palette(&mut app, "scan");
    assert_eq!(app.screen, Screen::FileRoom);
    assert_eq!(app.context(), crate::tui::keymap::Context::Scan);

    let sent = scan(&mut app, "coding");
    assert_eq!(scans(&sent), [(None, "coding".to_string())]);
    assert!(answered(&mut app, "coding", Ok(Scanned::Location(coding()))).is_empty());
    assert_eq!(state(&app).target.as_ref().map(|l| l.code.as_str()), Some("CODING"));

    let sent = scan(&mut app, "V204511-1");
    assert_eq!(scans(&sent), [(Some("CODING".to_string()), "V204511-1".to_string())]);
    answered(&mut app, "V204511-1", Ok(Scanned::Moved(Box::new(moved("V204511-1", "GARCIA, MARIA L", "FILE_A")))));
    let sent = scan(&mut app, "V100234-1");
    answered(&mut app, "V100234-1", Ok(Scanned::Moved(Box::new(moved("V100234-1", "SMITH, JOHN A", "ROI")))));
    assert_eq!(scans(&sent).len(), 1);
    assert_eq!(state(&app).counts(), "2 scanned · 2 moved · 0 refused");
    assert_eq!(state(&app).log.len(), 3, "the location's line and a line per volume");
    assert!(state(&app).input.is_empty(), "the scan line is ready for the next scan");
}

#[test]
fn an_unknown_barcode_is_one_refused_line_and_moves_nothing() {
    let mut app = clerk();
    palette(&mut app, "scan");
    scan(&mut app, "CODING");
    answered(&mut app, "CODING", Ok(Scanned::Location(coding())));
    scan(&mut app, "V9999x");
    let next = answered(&mut app, "V9999x", Err("No volume has the barcode V9999X.".into()));
    assert!(next.is_empty(), "nothing else is asked of the desk");
    let s = state(&app);
    assert_eq!(s.counts(), "1 scanned · 0 moved · 1 refused");
    assert_eq!(
        s.log.back(),
        Some(&ScanLine::Refused { scanned: "V9999x".into(), why: "No volume has the barcode V9999X.".into() })
    );
    assert_eq!(s.target.as_ref().map(|l| l.code.as_str()), Some("CODING"), "the place stays");
}

#[test]
fn a_refused_move_says_the_desks_words_and_the_next_scan_still_goes() {
    let mut app = clerk();
    palette(&mut app, "scan");
    // Before a location: the desk refuses a volume, and says to scan the place first.
    scan(&mut app, "V204511-1");
    answered(
        &mut app,
        "V204511-1",
        Err("V204511-1 is not a location: scan or type the location first, then the volumes.".into()),
    );
    scan(&mut app, "CODING");
    answered(&mut app, "CODING", Ok(Scanned::Location(coding())));
    scan(&mut app, "V204511-1");
    answered(&mut app, "V204511-1", Err("This record is already flagged as missing.".into()));
    let sent = scan(&mut app, "V100234-1");
    assert_eq!(scans(&sent), [(Some("CODING".to_string()), "V100234-1".to_string())]);
    let s = state(&app);
    assert_eq!((s.scanned, s.moved, s.refused), (2, 0, 2));
    assert!(
        matches!(s.log.back(), Some(ScanLine::Refused { why, .. }) if why == "This record is already flagged as missing.")
    );
}

#[test]
fn scans_typed_while_one_is_on_its_way_wait_and_go_in_order_to_the_place_before_them() {
    let mut app = clerk();
    palette(&mut app, "scan");
    assert_eq!(scans(&scan(&mut app, "CODING")).len(), 1);
    // The scanner is faster than the desk: three more before the first answer.
    for barcode in ["V1-1", "V2-1", "V3-1"] {
        assert!(scans(&scan(&mut app, barcode)).is_empty(), "{barcode} waits its turn");
    }
    assert_eq!(state(&app).queued.len(), 3);
    assert!(state(&app).counts().ends_with("· 4 working"), "{}", state(&app).counts());

    // Each answer sends the next, to the place the scans before it set.
    let next = answered(&mut app, "CODING", Ok(Scanned::Location(coding())));
    assert_eq!(scans(&next), [(Some("CODING".to_string()), "V1-1".to_string())]);
    let next = answered(&mut app, "V1-1", Ok(Scanned::Moved(Box::new(moved("V1-1", "A, A", "FILE_A")))));
    assert_eq!(scans(&next), [(Some("CODING".to_string()), "V2-1".to_string())]);
    // One more typed now goes behind V3-1.
    assert!(scans(&scan(&mut app, "V4-1")).is_empty());
    let next = answered(&mut app, "V2-1", Err("No volume has the barcode V2-1.".into()));
    assert_eq!(scans(&next), [(Some("CODING".to_string()), "V3-1".to_string())]);
    let next = answered(&mut app, "V3-1", Ok(Scanned::Moved(Box::new(moved("V3-1", "C, C", "FILE_A")))));
    assert_eq!(scans(&next), [(Some("CODING".to_string()), "V4-1".to_string())]);
    let next = answered(&mut app, "V4-1", Ok(Scanned::Moved(Box::new(moved("V4-1", "D, D", "FILE_A")))));
    assert!(next.is_empty());
    assert_eq!(state(&app).counts(), "4 scanned · 3 moved · 1 refused");
    let order: Vec<String> = state(&app)
        .log
        .iter()
        .map(|l| match l {
            ScanLine::Target(p) => p.code.clone(),
            ScanLine::Moved(m) => m.volume.barcode.clone(),
            ScanLine::Refused { scanned, .. } => scanned.clone(),
        })
        .collect();
    assert_eq!(order, ["CODING", "V1-1", "V2-1", "V3-1", "V4-1"]);
}

#[test]
fn esc_leaves_scan_mode_then_the_screen_and_s_scans_again() {
    let mut app = clerk();
    palette(&mut app, "roi");
    let before = app.screen;
    assert_eq!(before, Screen::Roi);
    palette(&mut app, "file-room");
    assert_eq!(app.context(), crate::tui::keymap::Context::Scan, "the first visit starts in scan mode");
    // `s` typed on the scan line is text, not a key.
    app.update(key(KeyCode::Char('s')));
    assert_eq!(state(&app).input, "s");
    app.update(key(KeyCode::Backspace));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.context(), crate::tui::keymap::Context::FileRoom);
    app.update(key(KeyCode::Char('s')));
    assert_eq!(app.context(), crate::tui::keymap::Context::Scan);
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, before);
    // `5` comes back to it.
    app.update(key(KeyCode::Char('5')));
    assert_eq!(app.screen, Screen::FileRoom);
}

#[test]
fn the_lists_are_read_off_the_render_path_and_a_stale_answer_is_dropped() {
    let mut app = clerk();
    palette(&mut app, "file-room");
    let commands = app.update(key(KeyCode::Tab));
    let id = match commands.as_slice() {
        [Command::FileRoom(FileRoomCommand::LoadOverdue { id })] => *id,
        other => panic!("one read of the overdue list: {other:?}"),
    };
    assert_eq!(state(&app).tab, Tab::Overdue);
    app.update(Msg::FileRoom(FileRoomMsg::OverdueLoaded { id: id + 100, result: Ok(Vec::new()) }));
    assert!(state(&app).overdue.rows.is_none(), "an answer to another read");
    app.update(Msg::FileRoom(FileRoomMsg::OverdueLoaded { id, result: Ok(Vec::new()) }));
    assert_eq!(state(&app).overdue.rows.as_ref().map(Vec::len), Some(0));
}

fn request(id: i64, mrn: &str, name: &str, status: RequestStatus) -> ChartRequestRecord {
    ChartRequestRecord {
        id,
        patient_id: id,
        mrn: mrn.into(),
        patient_name: name.into(),
        for_location: place(4, "CODING"),
        needed_on: today(),
        requested_by: "jdoe".into(),
        reason: "clinic visit".into(),
        status,
        outcome_reason: None,
        filing_key: String::new(),
        version: 1,
        volumes: Vec::new(),
    }
}

#[test]
fn the_pull_list_asks_before_filling_or_refusing_naming_the_chart() {
    let mut app = clerk();
    let commands = palette(&mut app, "pull-list 03/04/2025");
    let id = match commands.iter().find_map(|c| match c {
        Command::FileRoom(FileRoomCommand::LoadPullList { id, on }) => Some((*id, *on)),
        _ => None,
    }) {
        Some((id, on)) => {
            assert_eq!(on, NaiveDate::from_ymd_opt(2025, 3, 4).unwrap());
            id
        }
        None => panic!("a read of the pull list: {commands:?}"),
    };
    let mut garcia = request(8, "204511", "GARCIA, MARIA L", RequestStatus::Open);
    garcia.volumes.push(crate::store::file_room::VolumeBrief {
        volume_id: 1,
        barcode: "V0000001".into(),
        volume_no: 1,
        status: crate::domain::file_room::VolumeStatus::InFile,
        location: "FILE_A".into(),
    });
    let rows = vec![
        request(7, "100234", "SMITH, JOHN A", RequestStatus::Filled),
        request(9, "101000", "SMITHSON, JON", RequestStatus::Open),
        garcia,
    ];
    app.update(Msg::FileRoom(FileRoomMsg::PullListLoaded { id, result: Ok(rows) }));
    // A filled one is refused before any question.
    assert!(app.update(key(KeyCode::Char('f'))).is_empty());
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("MRN 100234's request is already filled."));
    // So is a chart with no paper volume to charge out, in the desk's words.
    app.update(key(KeyCode::Down));
    assert!(app.update(key(KeyCode::Char('f'))).is_empty());
    assert!(app.overlay.is_none(), "asked: {:?}", app.overlay);
    assert_eq!(app.toast.as_deref(), Some("This chart has no paper volume: mark the request not fillable."));

    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('f')));
    match &app.overlay {
        Some(Overlay::Confirm { prompt, command }) => {
            assert!(prompt.contains("GARCIA, MARIA L (MRN 204511)"), "{prompt}");
            assert_eq!(command, &Command::FileRoom(FileRoomCommand::Fill { request_id: 8 }));
        }
        other => panic!("a question: {other:?}"),
    }
    // Anything but y: nothing is sent.
    assert!(app.update(key(KeyCode::Char('n'))).is_empty());

    // x asks for the reason in the palette, then y/N naming the chart.
    app.update(key(KeyCode::Char('x')));
    assert!(matches!(app.overlay, Some(Overlay::Palette(_))));
    for c in "chart is at the bindery".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("a question: {:?}", app.overlay) };
    assert!(prompt.contains("GARCIA, MARIA L (MRN 204511) not fillable: chart is at the bindery"), "{prompt}");
    let sent = app.update(key(KeyCode::Char('y')));
    assert_eq!(
        sent,
        [Command::FileRoom(FileRoomCommand::NotFillable { request_id: 8, reason: "chart is at the bindery".into() })]
    );
}

#[test]
fn a_clerk_who_may_not_track_paper_is_told_so_before_the_screen() {
    let mut app = App::new(Arc::new(Keymap::default()), HeaderInfo::new("mlee", &[Role::Coder]), today(), (80, 24));
    palette(&mut app, "scan");
    assert_ne!(app.screen, Screen::FileRoom);
    assert!(app.toast.as_deref().is_some_and(|t| t.contains("may not work the file room")), "{:?}", app.toast);
}

#[test]
fn coming_back_to_a_list_changed_meanwhile_reads_it_again() {
    let mut app = clerk();
    let read = palette(&mut app, "pull-list");
    let Some(id) = read.iter().find_map(|c| match c {
        Command::FileRoom(FileRoomCommand::LoadPullList { id, .. }) => Some(*id),
        _ => None,
    }) else {
        panic!("a read of the pull list: {read:?}")
    };
    app.update(Msg::FileRoom(FileRoomMsg::PullListLoaded { id, result: Ok(Vec::new()) }));
    assert!(state(&app).pull.rows.is_some());
    app.update(key(KeyCode::Esc));
    // A chart asked for from another screen: the pull list no longer says what is asked.
    app.update(Msg::FileRoom(FileRoomMsg::ChartRequested(Ok(request(
        9,
        "204511",
        "GARCIA, MARIA L",
        RequestStatus::Open,
    )))));
    assert!(state(&app).pull.rows.is_none());
    let commands = palette(&mut app, "file-room");
    assert_eq!(state(&app).tab, Tab::PullList, "the tab it was left on");
    assert!(
        commands.iter().any(|c| matches!(c, Command::FileRoom(FileRoomCommand::LoadPullList { .. }))),
        "{commands:?}"
    );
}

#[test]
fn a_move_keeps_the_tabs_counts_and_reads_the_lists_again_once_the_scans_settle() {
    let mut app = clerk();
    palette(&mut app, "file-room");
    let commands = app.update(key(KeyCode::Tab));
    let [Command::FileRoom(FileRoomCommand::LoadOverdue { id })] = commands.as_slice() else { panic!("{commands:?}") };
    app.update(Msg::FileRoom(FileRoomMsg::OverdueLoaded { id: *id, result: Ok(Vec::new()) }));
    app.update(key(KeyCode::BackTab));
    assert_eq!(state(&app).tab, Tab::Scan);
    scan(&mut app, "coding");
    answered(&mut app, "coding", Ok(Scanned::Location(coding())));
    scan(&mut app, "V204511-1");
    // Typed while the first is on its way: the lists wait for it.
    assert!(scan(&mut app, "V100234-1").is_empty());
    let next =
        answered(&mut app, "V204511-1", Ok(Scanned::Moved(Box::new(moved("V204511-1", "GARCIA, MARIA L", "FILE_A")))));
    assert_eq!(scans(&next).len(), 1, "{next:?}");
    assert_eq!(state(&app).overdue.rows.as_ref().map(Vec::len), Some(0), "the count stays on its tab");
    let reread =
        answered(&mut app, "V100234-1", Ok(Scanned::Moved(Box::new(moved("V100234-1", "SMITH, JOHN A", "ROI")))));
    let [Command::FileRoom(FileRoomCommand::LoadOverdue { id })] = reread.as_slice() else {
        panic!("the overdue list read again, the others never opened left alone: {reread:?}")
    };
    assert_eq!(state(&app).overdue.rows.as_ref().map(Vec::len), Some(0));
    app.update(Msg::FileRoom(FileRoomMsg::OverdueLoaded { id: *id, result: Ok(Vec::new()) }));
    assert_eq!(state(&app).overdue.pending, None);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| crate::tui::view::render(frame, &app, &crate::tui::theme::Theme::monochrome())).unwrap();
    let screen = format!("{:?}", terminal.backend().buffer());
    assert!(screen.contains("Overdue (0)"), "{screen}");
}
