//! Who is at the keyboard, drawn at the design size (80×24) and a wide terminal (120×40): a
//! restricted chart's warning, the lock screen over a half-filled warning, and the privacy
//! office's list — from real desk answers on the scenario store.

mod common;

use chartroom::desk::DeskError;
use chartroom::domain::role::Role;
use chartroom::tui::app::guard::GlassRow;
use chartroom::tui::app::{Command, HeaderInfo, Msg};
use common::screens::{Harness, key};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn text_of(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().buffer().content().iter().map(|c| c.symbol()).collect()
}

/// jdoe found NGUYEN, pressed Enter, and the desk answered that the chart is restricted.
fn warned(width: u16, height: u16) -> Harness {
    let fixture = common::scenario();
    let desk = common::desk_for(&fixture, "jdoe");
    let mut h = Harness::on(fixture, desk, HeaderInfo::new("jdoe", &[Role::HimClerk]), (width, height));
    h.type_text("nguyen,thanh");
    let commands = h.app.update(Msg::Key(key(KeyCode::Enter)));
    let (id, patient_id) = commands
        .iter()
        .find_map(|c| match c {
            Command::OpenChart { id, patient_id, .. } => Some((*id, *patient_id)),
            _ => None,
        })
        .expect("Enter opens the row");
    let Err(DeskError::SensitiveChart { patient_id, name }) = h.desk.open_chart(patient_id) else {
        panic!("NGUYEN is an employee's record")
    };
    h.app.update(Msg::SensitiveChart { id, patient_id, encounter_id: None, name });
    h
}

#[test]
fn the_warning_of_a_restricted_chart_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = warned(w, h);
        harness.type_text("ROI request 2025-03-03 for the attorney of record");
        harness.keys(&[key(KeyCode::Tab)]);
        harness.type_text("tul");
        let shown = harness.draw(w, h);
        let text = text_of(&shown);
        assert!(text.contains("NGUYEN, THANH has a restricted record"), "{w}x{h}");
        // Nothing of the chart: no MRN, no birth date.
        assert!(!text.contains("300120") && !text.contains("1990"), "{w}x{h}");
        assert!(text.contains("•••") && !text.contains("tul"), "the code never shows");
        insta::assert_snapshot!(format!("break_glass_warning_{w}x{h}"), shown.backend());
    }
}

#[test]
fn the_lock_screen_80x24_and_120x40_shows_no_patient() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = warned(w, h);
        harness.type_text("ROI request");
        harness.app.update(Msg::IdleTimeout {
            at: chrono::NaiveDate::from_ymd_opt(2025, 3, 3).and_then(|d| d.and_hms_opt(14, 5, 0)).unwrap(),
        });
        harness.type_text("tulip");
        let shown = harness.draw(w, h);
        let text = text_of(&shown);
        assert!(text.contains("locked for jdoe since 14:05"), "{w}x{h}");
        assert!(!text.to_uppercase().contains("NGUYEN") && !text.contains("ROI request"), "{w}x{h}");
        assert!(text.contains("•••••") && !text.contains("tulip"));
        insta::assert_snapshot!(format!("lock_screen_{w}x{h}"), shown.backend());
    }
}

#[test]
fn the_privacy_list_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let fixture = common::scenario();
        let jdoe = common::desk_for(&fixture, "jdoe");
        jdoe.set_signature("tulip42").unwrap();
        let nguyen = fixture
            .store
            .patient_by_mrn(&chartroom::domain::mrn::Mrn::parse("300120").unwrap())
            .unwrap()
            .unwrap()
            .patient_id;
        jdoe.break_glass(nguyen, "ROI request 2025-03-03 for the attorney of record, Hale & Ortiz LLP", "tulip42")
            .unwrap();
        let desk = common::desk_for(&fixture, "pofc");
        let mut harness = Harness::on(fixture, desk, HeaderInfo::new("pofc", &[Role::PrivacyOfficer]), (w, h));
        harness.keys(&[key(KeyCode::Esc)]);
        harness.keys(&[crossterm::event::KeyEvent::new(KeyCode::Char(':'), crossterm::event::KeyModifiers::NONE)]);
        harness.type_text("privacy");
        let commands = harness.app.update(Msg::Key(key(KeyCode::Enter)));
        assert!(commands.contains(&Command::LoadPrivacy), "{commands:?} {:?}", harness.app.toast);
        let rows = harness
            .desk
            .privacy_glass_events(50)
            .unwrap()
            .into_iter()
            .map(|e| GlassRow {
                at: e.at.naive_utc(),
                username: e.username,
                mrn: e.patient_mrn.unwrap_or_default(),
                source: e.source,
                detail: e.detail,
            })
            .collect();
        harness.app.update(Msg::PrivacyLoaded(Ok(rows)));
        let shown = harness.draw(w, h);
        let text = text_of(&shown);
        assert!(text.contains("MRN 300120") && text.contains("jdoe"), "{w}x{h}");
        assert!(text.contains("Hale & Ortiz LLP") && text.contains("(EMPLOYEE)"), "the reason whole: {w}x{h}");
        insta::assert_snapshot!(format!("privacy_list_{w}x{h}"), shown.backend());
    }
}
