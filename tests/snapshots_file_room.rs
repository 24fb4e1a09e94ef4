//! The file room on screen at the design size (80×24) and a wide terminal (120×40), drawn from
//! real desk answers: volumes made and moved through the desk on the scenario store, the screen's
//! commands run in line through the function the effects runner calls. Also the links from the
//! chart and the request screens, through the same desk.

mod common;

use chartroom::desk::{Desk, FixedClock};
use chartroom::domain::role::Role;
use chartroom::store::RecordBatch;
use chartroom::tui::app::{HeaderInfo, Overlay, Screen};
use chartroom::tui::screens::file_room::{ScanLine, Tab};
use chrono::NaiveDate;
use common::screens::{Harness, key};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, day).unwrap()
}

fn desk_on(f: &common::Fixture, today: NaiveDate) -> Desk {
    let clock = Arc::new(FixedClock { now: today.and_hms_opt(10, 0, 0).unwrap().and_utc(), today });
    Desk::sign_in(f.store.clone(), "jdoe", "local".into(), common::key(), clock).unwrap()
}

/// The patients whose paper is moved here, one with a name longer than 80 columns leave room for.
const MRNS: [&str; 6] = ["100234", "100999", "101000", "101001", "101002", "101004"];

/// The scenario hospital with a volume for each of [`MRNS`] in FILE ROOM A; three charged out a
/// fortnight ago (overdue now), one missing, and today's chart requests — as jdoe (HIM clerk and
/// ROI specialist) sees it, on 03/03/2025.
fn harness(width: u16, height: u16) -> Harness {
    let fixture = common::scenario();
    let mut batch = RecordBatch::default();
    batch.patients.push(common::patient("101004", "Vanderbilt-Montgomery", "Alexandrina", "Q", (1948, 7, 9), None));
    fixture.store.insert_batch(batch, common::event("batch")).unwrap();
    let desk = common::desk_for(&fixture, "jdoe");
    for mrn in MRNS {
        desk.new_volume(mrn).unwrap();
    }
    let fortnight_ago = desk_on(&fixture, d(2, 17));
    fortnight_ago.charge_out("V100999-1", "CODING", None, Some("kpatel")).unwrap();
    fortnight_ago.charge_out("V101004-1", "CODING", None, None).unwrap();
    fortnight_ago.charge_out("V101001-1", "CARD", None, Some("Dr. Okafor")).unwrap();
    desk_on(&fixture, d(2, 24)).flag_missing("V101002-1", Some("not on the shelf")).unwrap();
    for (mrn, place) in [("204511", "ROI"), ("100234", "CARD"), ("101000", "5N"), ("101004", "ORTHO")] {
        desk.request_chart(mrn, place, d(3, 3), "clinic visit").unwrap();
    }
    let mut header = HeaderInfo::new("jdoe", &[Role::HimClerk, Role::RoiSpecialist]);
    header.facilities = desk.list_facilities().unwrap();
    Harness::on(fixture, desk, header, (width, height))
}

impl Harness {
    fn scan(&mut self, text: &str) {
        self.type_text(text);
        self.keys(&[key(KeyCode::Enter)]);
    }
}

/// `:scan`, CODING, then five volumes: two charged out, GARCIA's transferred from the completion
/// room, one mistyped, and one already at CODING.
fn scanned(width: u16, height: u16) -> Harness {
    let mut h = harness(width, height);
    h.palette("scan");
    for text in ["coding", "V100234-1", "V204511-1", "V10100-1", "V101000-1", "V100999-1"] {
        h.scan(text);
    }
    h
}

#[test]
fn scan_mode_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let harness = scanned(w, h);
        let state = harness.app.file_room.as_ref().unwrap();
        assert_eq!(state.counts(), "5 scanned · 3 moved · 2 refused");
        insta::assert_snapshot!(format!("file_room_scan_{w}x{h}"), harness.draw(w, h).backend());
    }
}

/// Before any location the screen says what to scan first, whole at 80 columns.
#[test]
fn scan_mode_before_a_location_says_what_to_scan_first_80x24() {
    let mut harness = harness(80, 24);
    harness.palette("scan");
    let screen = harness.draw(80, 24).backend().to_string();
    assert!(screen.contains("a ward or clinic), then its volumes."), "{screen}");
}

#[test]
fn scans_move_volumes_in_the_store_and_refuse_without_moving() {
    let h = scanned(80, 24);
    let volume = |barcode: &str| h.desk.volume(barcode).unwrap();
    assert_eq!(volume("V100234-1").current.code, "CODING");
    assert_eq!(volume("V101000-1").current.code, "CODING");
    assert_eq!(volume("V204511-1").current.code, "CODING", "transferred from HIMC without a trip home");
    let log = &h.app.file_room.as_ref().unwrap().log;
    let refusals: Vec<&str> = log
        .iter()
        .filter_map(|l| match l {
            ScanLine::Refused { why, .. } => Some(why.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(refusals, ["No volume has the barcode V10100-1.", "This record is already charged to CODING."]);
}

#[test]
fn overdue_list_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.palette("file-room");
        harness.keys(&[key(KeyCode::Tab)]);
        let state = harness.app.file_room.as_ref().unwrap();
        assert_eq!(state.tab, Tab::Overdue);
        let days: Vec<i64> = state.overdue.rows.as_ref().unwrap().iter().map(|o| o.days_overdue).collect();
        assert_eq!(days.len(), 3, "{days:?}");
        insta::assert_snapshot!(format!("file_room_overdue_{w}x{h}"), harness.draw(w, h).backend());
    }
}

/// The missing list names where each volume was last known and since when: where the search starts.
#[test]
fn missing_list_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.palette("file-room");
        harness.keys(&[key(KeyCode::Tab), key(KeyCode::Tab)]);
        let state = harness.app.file_room.as_ref().unwrap();
        assert_eq!(state.tab, Tab::Missing);
        assert_eq!(state.missing.rows.as_ref().map(Vec::len), Some(1));
        let shown = format!("{:?}", harness.draw(w, h).backend());
        assert!(shown.contains("Last known") && shown.contains("Since"), "{shown}");
        insta::assert_snapshot!(format!("file_room_missing_{w}x{h}"), harness.draw(w, h).backend());
    }
}

#[test]
fn pull_list_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.palette("pull-list");
        let state = harness.app.file_room.as_ref().unwrap();
        assert_eq!(state.tab, Tab::PullList);
        let mrns: Vec<&str> = state.pull.rows.as_ref().unwrap().iter().map(|r| r.mrn.as_str()).collect();
        // Terminal digit: by the last pair (00, 04, 11, 34), then the middle.
        assert_eq!(mrns, ["101000", "101004", "204511", "100234"]);
        insta::assert_snapshot!(format!("file_room_pull_list_{w}x{h}"), harness.draw(w, h).backend());
    }
}

#[test]
fn filling_from_the_pull_list_charges_the_chart_out_to_the_requester() {
    let mut h = harness(80, 24);
    h.palette("pull-list");
    // 101000, for 5N: its volume is in file.
    h.keys(&[key(KeyCode::Char('f'))]);
    assert!(matches!(&h.app.overlay, Some(Overlay::Confirm { prompt, .. }) if prompt.contains("(MRN 101000)")));
    h.keys(&[key(KeyCode::Char('y'))]);
    assert_eq!(h.desk.volume("V101000-1").unwrap().current.code, "5N");
    assert_eq!(h.app.toast.as_deref(), Some("MRN 101000's request filled: V101000-1 charged out to 5N."));
    let row = &h.app.file_room.as_ref().unwrap().pull.rows.as_ref().unwrap()[0];
    assert_eq!(row.status.label(), "filled", "the list is read again");
}

#[test]
fn b_on_a_chart_asks_for_its_paper_in_the_completion_room() {
    let mut h = harness(80, 24);
    h.palette("mrn 100999");
    assert_eq!(h.app.screen, Screen::Chart);
    h.keys(&[KeyEvent::new(KeyCode::Char('B'), KeyModifiers::SHIFT)]);
    let toast = h.app.toast.clone().unwrap_or_default();
    assert!(toast.starts_with("The file room is asked for MRN 100999's paper chart, to HIM COMPLETION"), "{toast}");
    let today = h.desk.pull_list(common::today()).unwrap();
    let asked = today.iter().find(|r| r.mrn == "100999").expect("on today's pull list");
    assert_eq!(asked.for_location.code, "HIMC");
}

#[test]
fn b_on_a_release_request_asks_for_the_paper_at_the_roi_desk() {
    use chartroom::domain::roi::RequestStatus;
    let mut h = harness(80, 24);
    let request = common::roi_requests::request(&*h.fixture.store, "RGH", d(3, 1), RequestStatus::Logged);
    h.fixture.store.insert_roi_batch(vec![request], common::event("roi_request")).unwrap();
    h.palette("roi");
    h.keys(&[key(KeyCode::Enter)]);
    assert_eq!(h.app.screen, Screen::Request);
    // The chart is already asked for at the ROI desk today: a second request is refused, naming it.
    h.keys(&[KeyEvent::new(KeyCode::Char('B'), KeyModifiers::SHIFT)]);
    let toast = h.app.toast.clone().unwrap_or_default();
    assert!(toast.contains("already requested for ROI on 03/03/2025 (open, by jdoe: clinic visit)"), "{toast}");
    let open = h.desk.pull_list(common::today()).unwrap().into_iter().find(|r| r.mrn == "204511").unwrap();
    h.desk.request_not_fillable(open.id, "asked again for the release").unwrap();
    h.keys(&[KeyEvent::new(KeyCode::Char('B'), KeyModifiers::SHIFT)]);
    let toast = h.app.toast.clone().unwrap_or_default();
    assert!(toast.starts_with("The file room is asked for MRN 204511's paper chart, to ROI DESK today"), "{toast}");
    let asked = h.desk.pull_list(common::today()).unwrap();
    assert!(
        asked.iter().any(|r| r.mrn == "204511" && r.for_location.code == "ROI" && r.reason.starts_with("release "))
    );
}

#[test]
fn n_on_the_overdue_list_writes_a_notice_to_each_borrower_with_the_letters() {
    let mut h = harness(80, 24);
    let letters = tempfile::tempdir().unwrap();
    h.letters = Some(letters.path().to_path_buf());
    h.palette("file-room");
    h.keys(&[key(KeyCode::Tab), KeyEvent::new(KeyCode::Char('N'), KeyModifiers::SHIFT)]);
    let toast = h.app.toast.clone().unwrap_or_default();
    assert!(toast.starts_with("Wrote 2 overdue notices (text and PDF):"), "{toast}");
    let day = letters.path().join("2025-03-03");
    for code in ["CARD", "CODING"] {
        for ext in ["txt", "pdf"] {
            assert!(day.join(format!("overdue-{code}-2025-03-03.{ext}")).is_file(), "{code}.{ext}: {toast}");
        }
    }
    let coding = std::fs::read_to_string(day.join("overdue-CODING-2025-03-03.txt")).unwrap();
    assert!(coding.contains("V100999-1") && coding.contains("V101004-1") && !coding.contains("V101001-1"));
}
