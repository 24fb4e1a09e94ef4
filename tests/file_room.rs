//! The file room through the desk, on every backend: AS-05 with its dates, every movement type,
//! every refused move writing nothing, the scan workflow, requests and the pull list.

mod common;

use chartroom::desk::file_room::Scanned;
use chartroom::desk::{Desk, DeskError, FixedClock};
use chartroom::domain::chart::ChartVolumeView;
use chartroom::domain::file_room::{MovementType, RequestStatus, VolumeStatus};
use chartroom::store::AuditFilter;
use chrono::NaiveDate;
use std::sync::Arc;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, day).unwrap()
}

fn desk_on(f: &common::Fixture, user: &str, today: NaiveDate) -> Desk {
    let clock = Arc::new(FixedClock { now: today.and_hms_opt(10, 0, 0).unwrap().and_utc(), today });
    Desk::sign_in(f.store.clone(), user, "local".into(), common::key(), clock).unwrap()
}

fn scenarios() -> impl Iterator<Item = common::Fixture> {
    common::on_each_backend(|store| common::populate(store))
}

fn volume_1(f: &common::Fixture) -> ChartVolumeView {
    let garcia = f.store.patient_by_mrn(&"204511".parse_mrn()).unwrap().unwrap();
    f.store.load_chart(garcia.patient_id).unwrap().unwrap().volumes.remove(0)
}

trait ParseMrn {
    fn parse_mrn(&self) -> chartroom::domain::mrn::Mrn;
}

impl ParseMrn for &str {
    fn parse_mrn(&self) -> chartroom::domain::mrn::Mrn {
        chartroom::domain::mrn::Mrn::parse(self).unwrap()
    }
}

fn refusal(result: Result<impl std::fmt::Debug, DeskError>) -> String {
    match result {
        Err(DeskError::Invalid(message) | DeskError::NotFound(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn as05_charge_out_overdue_check_in_missing_and_found() {
    for f in scenarios() {
        // GARCIA's volume 1 comes home from the completion room first: IN_FILE in FILE ROOM A.
        desk_on(&f, "jdoe", d(3, 1)).check_in("V204511-1").unwrap();
        let before = volume_1(&f).movements.len();

        let march3 = desk_on(&f, "jdoe", d(3, 3));
        let moved = march3.charge_out("V204511-1", "ROI", None, Some("jdoe")).unwrap();
        assert_eq!(moved.movement, MovementType::ChargeOut);
        assert_eq!(moved.volume.due_back_on, Some(d(3, 6)));
        assert_eq!(volume_1(&f).location_label(), "Charged to ROI DESK (jdoe) since 03/03/2025, due 03/06/2025");

        let march7 = desk_on(&f, "jdoe", d(3, 7));
        let overdue = march7.overdue_volumes().unwrap();
        let garcia = overdue.iter().find(|o| o.volume.barcode == "V204511-1").expect("on the overdue list");
        assert_eq!(garcia.days_overdue, 1);
        assert!(
            desk_on(&f, "jdoe", d(3, 6)).overdue_volumes().unwrap().iter().all(|o| o.volume.barcode != "V204511-1")
        );

        march7.check_in("V204511-1").unwrap();
        assert!(march7.overdue_volumes().unwrap().iter().all(|o| o.volume.barcode != "V204511-1"));
        march7.flag_missing("V204511-1", Some("not on the shelf")).unwrap();
        assert_eq!(refusal(march7.flag_missing("V204511-1", None)), "This record is already flagged as missing.");
        assert!(march7.missing_volumes().unwrap().iter().any(|m| m.volume.barcode == "V204511-1"));
        let found = march7.mark_found("V204511-1", Some("CODING"), None).unwrap();
        assert_eq!((found.volume.status, found.volume.current.code.as_str()), (VolumeStatus::ChargedOut, "CODING"));

        let history = volume_1(&f).movements;
        let scenario: Vec<&str> = history[before..].iter().map(|m| m.movement_type.as_str()).collect();
        assert_eq!(scenario, ["CHARGE_OUT", "CHECK_IN", "MISSING", "FOUND"]);
        assert!(history.windows(2).all(|w| w[0].at <= w[1].at), "chronological");
        assert_eq!(history.last().and_then(|m| m.to_location.as_deref()), Some("CODING"));
    }
}

#[test]
fn the_missing_list_says_where_a_volume_was_last_known_and_since_when() {
    for f in scenarios() {
        desk_on(&f, "jdoe", d(3, 1)).check_in("V204511-1").unwrap();
        desk_on(&f, "jdoe", d(3, 3)).charge_out("V204511-1", "ROI", None, Some("jdoe")).unwrap();
        // Not at the ROI desk when asked for on the 7th: the search starts there, not in the file.
        let march7 = desk_on(&f, "jdoe", d(3, 7));
        march7.flag_missing("V204511-1", Some("not at the desk")).unwrap();
        let missing = march7.missing_volumes().unwrap();
        let garcia = missing.iter().find(|m| m.volume.barcode == "V204511-1").expect("on the missing list");
        assert_eq!(garcia.volume.current.code, "ROI");
        assert_ne!(garcia.volume.current.code, garcia.volume.home.code);
        assert_eq!(garcia.last_known_since, d(3, 3));
    }
}

#[test]
fn every_refused_move_says_why_and_writes_nothing() {
    for f in scenarios() {
        let desk = desk_on(&f, "jdoe", d(3, 3));
        let events = |f: &common::Fixture| {
            f.store.list_audit(&AuditFilter { limit: 100_000, ..Default::default() }).unwrap().len()
        };
        let (moves, trail) = (volume_1(&f).movements.len(), events(&f));
        // V204511-1 is charged out to HIM COMPLETION.
        assert_eq!(
            refusal(desk.charge_out("V204511-1", "HIMC", None, None)),
            "This record is already charged to HIM COMPLETION."
        );
        assert_eq!(
            refusal(desk.charge_out("V204511-1", "CODING", None, None)),
            "This record is already charged out to another borrower; transfer it instead."
        );
        assert_eq!(refusal(desk.found_in("V204511-1")), "This record is not flagged as missing.");
        assert_eq!(
            refusal(desk.inactivate("V204511-1", None)),
            "This record is charged out; check it in before inactivating it."
        );
        assert_eq!(
            refusal(desk.charge_out("V204511-1", "FILE_A", None, None)),
            "FILE ROOM A is a file area, not a borrower: check the record in instead."
        );
        assert_eq!(refusal(desk.check_in("V000000-1")), "No volume has the barcode V000000-1.");
        assert!(
            refusal(desk.charge_out("V204511-1", "NOWHERE", None, None))
                .starts_with("No location has the code NOWHERE.")
        );
        assert_eq!(
            refusal(desk.charge_out("V204511-1", "CODING", Some(d(3, 2)), None)),
            "This record is already charged out to another borrower; transfer it instead."
        );
        desk.check_in("V204511-1").unwrap();
        assert_eq!(refusal(desk.check_in("V204511-1")), "This record is already checked in.");
        assert_eq!(
            refusal(desk.transfer("V204511-1", "CODING", None, None)),
            "This record is in file; charge it out instead."
        );
        assert_eq!(
            refusal(desk.charge_out("V204511-1", "CODING", Some(d(3, 2)), None)),
            "The due-back date 03/02/2025 is before today."
        );
        assert!(
            refusal(desk.inactivate("V204511-1", Some("full"))).starts_with("This is the chart's last active volume"),
            "nothing reactivates a volume: the chart would have none to file into"
        );
        desk.new_volume("204511").unwrap();
        desk.inactivate("V204511-1", Some("full; volume 2 opened")).unwrap();
        assert_eq!(refusal(desk.charge_out("V204511-1", "CODING", None, None)), "This record is inactive.");
        assert_eq!(refusal(desk.inactivate("V204511-1", None)), "This record is already inactive.");
        assert_eq!(refusal(desk.flag_missing("V204511-1", None)), "This record is inactive.");
        // Only the check-in and the inactivation were written, each with its event (and volume 2,
        // opened with its own).
        assert_eq!(volume_1(&f).movements.len(), moves + 2);
        assert_eq!(events(&f), trail + 3);
        // A coder may look, not move.
        let coder = desk_on(&f, "cody", d(3, 3));
        assert!(matches!(coder.check_in("V204511-1"), Err(DeskError::Forbidden { .. })));
    }
}

trait FoundIn {
    fn found_in(&self, barcode: &str) -> Result<chartroom::desk::file_room::Moved, DeskError>;
}

impl FoundIn for Desk {
    fn found_in(&self, barcode: &str) -> Result<chartroom::desk::file_room::Moved, DeskError> {
        self.mark_found(barcode, None, None)
    }
}

#[test]
fn every_movement_type_through_the_desk() {
    for f in scenarios() {
        let desk = desk_on(&f, "jdoe", d(3, 3));
        let new = desk.new_volume("204511").unwrap();
        assert_eq!((new.barcode.as_str(), new.volume_no, new.status), ("V204511-2", 2, VolumeStatus::InFile));
        let kinds = [
            desk.charge_out("V204511-2", "5N", None, Some("Dr. Patel")).unwrap(),
            desk.transfer("V204511-2", "CARD", None, None).unwrap(),
            desk.check_in("V204511-2").unwrap(),
            desk.flag_missing("V204511-2", None).unwrap(),
            desk.mark_found("V204511-2", None, Some("misfiled under 11-45")).unwrap(),
            desk.inactivate("V204511-2", None).unwrap(),
        ]
        .map(|m| m.movement);
        assert_eq!(
            kinds,
            [
                MovementType::ChargeOut,
                MovementType::Transfer,
                MovementType::CheckIn,
                MovementType::Missing,
                MovementType::Found,
                MovementType::Inactivate
            ]
        );
        let volumes = desk.chart_volumes("204511").unwrap();
        assert_eq!(volumes[1].status, VolumeStatus::Inactive);
        let garcia = f.store.patient_by_mrn(&"204511".parse_mrn()).unwrap().unwrap();
        let chart = f.store.load_chart(garcia.patient_id).unwrap().unwrap();
        let types: Vec<&str> = chart.volumes[1].movements.iter().map(|m| m.movement_type.as_str()).collect();
        assert_eq!(types, ["CREATE", "CHARGE_OUT", "TRANSFER", "CHECK_IN", "MISSING", "FOUND", "INACTIVATE"]);
    }
}

#[test]
fn a_scan_sets_the_place_then_moves_each_volume_there() {
    for f in scenarios() {
        let desk = desk_on(&f, "jdoe", d(3, 3));
        desk.new_volume("204511").unwrap();
        assert_eq!(
            refusal(desk.scan(None, "V204511-2")),
            "V204511-2 is not a location: scan or type the location first, then the volumes."
        );
        let Scanned::Location(coding) = desk.scan(None, "coding").unwrap() else { panic!("a location") };
        let Scanned::Moved(moved) = desk.scan(Some(&coding), "V204511-2").unwrap() else { panic!("a move") };
        assert_eq!(moved.confirmation(), "V204511-2  GARCIA, MARIA L vol 2 charged out to CODING, due 03/06/2025");
        // Volume 1 is at HIM COMPLETION: scanning it at CODING transfers it.
        let Scanned::Moved(moved) = desk.scan(Some(&coding), "V204511-1").unwrap() else { panic!("a move") };
        assert_eq!(moved.movement, MovementType::Transfer);
        assert_eq!(refusal(desk.scan(Some(&coding), "V204511-1")), "This record is already charged to CODING.");
        assert_eq!(refusal(desk.scan(Some(&coding), "V2O4511-1")), "No volume has the barcode V2O4511-1.");
        let Scanned::Location(file_a) = desk.scan(Some(&coding), "FILE_A").unwrap() else { panic!("a location") };
        let Scanned::Moved(back) = desk.scan(Some(&file_a), "V204511-1").unwrap() else { panic!("a move") };
        assert_eq!(back.movement, MovementType::CheckIn);
    }
}

#[test]
fn requests_fill_from_the_pull_list_in_terminal_digit_order() {
    for f in scenarios() {
        let analyst = desk_on(&f, "mlee", d(3, 3));
        let garcia = f.store.patient_by_mrn(&"204511".parse_mrn()).unwrap().unwrap();
        // Chart completion asks for GARCIA's chart in the completion room.
        let into_himc = analyst.request_chart_to(garcia.patient_id, "HIM_COMPLETION", "chart completion").unwrap();
        assert_eq!((into_himc.for_location.code.as_str(), into_himc.needed_on), ("HIMC", d(3, 3)));
        let clerk = desk_on(&f, "jdoe", d(3, 3));
        // SMITH's chart is on paper: its first volume is made, in file, before it is asked for.
        clerk.new_volume("100999").unwrap();
        clerk.request_chart("100999", "CARD", d(3, 3), "clinic visit").unwrap();
        assert_eq!(
            refusal(clerk.request_chart("100999", "CARD", d(3, 2), "")),
            "The chart cannot be needed on 03/02/2025: that is before today."
        );
        let list = clerk.pull_list(d(3, 3)).unwrap();
        // 204511 files at 11-45-0020, 100999 at 99-09-0010.
        assert_eq!(list.iter().map(|r| r.mrn.as_str()).collect::<Vec<_>>(), ["204511", "100999"]);
        // GARCIA's only volume is out at HIM COMPLETION already: nothing in file to pull.
        assert!(
            refusal(clerk.fill_request(list[0].id))
                .starts_with("No volume of this chart is in file (vol 1 charged out (HIM COMPLETION))")
        );
        clerk.check_in("V204511-1").unwrap();
        let filled = clerk.fill_request(list[0].id).unwrap();
        assert_eq!(
            (filled.request.status, filled.charged.as_slice()),
            (RequestStatus::Filled, ["V204511-1".to_string()].as_slice())
        );
        assert_eq!(clerk.volume("V204511-1").unwrap().current.code, "HIMC");
        assert_eq!(refusal(clerk.fill_request(list[0].id)), "This request is already filled.");
        assert_eq!(refusal(clerk.request_not_fillable(list[1].id, " ")), "Say why the request cannot be filled.");
        let closed = clerk.request_not_fillable(list[1].id, "no paper chart on file").unwrap();
        assert_eq!(closed.status, RequestStatus::NotFillable);
        // A coder cannot ask for charts.
        assert!(matches!(
            desk_on(&f, "cody", d(3, 3)).request_chart("100999", "CODING", d(3, 3), ""),
            Err(DeskError::Forbidden { .. })
        ));
    }
}

#[test]
fn the_chart_banner_says_when_a_volume_is_missing_or_overdue() {
    use chartroom::tui::screens::chart::banner;
    use chartroom::tui::theme::Theme;
    let text = |f: &common::Fixture, today: NaiveDate| {
        let garcia = f.store.patient_by_mrn(&"204511".parse_mrn()).unwrap().unwrap();
        let chart = f.store.load_chart(garcia.patient_id).unwrap().unwrap();
        banner(&chart, today, 80, &Theme::monochrome())
            .iter()
            .map(|line| line.spans.iter().map(|s| s.content.to_string()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    };
    for f in scenarios() {
        let desk = desk_on(&f, "jdoe", d(3, 3));
        desk.check_in("V204511-1").unwrap();
        desk.charge_out("V204511-1", "ROI", None, None).unwrap();
        assert!(!text(&f, d(3, 6)).contains('!'), "due today is not overdue");
        assert!(text(&f, d(3, 7)).contains("! vol 1 overdue"), "{}", text(&f, d(3, 7)));
        assert!(text(&f, d(3, 7)).contains("MRN 204511"), "the MRN stays whole");
        desk.flag_missing("V204511-1", None).unwrap();
        assert!(text(&f, d(3, 7)).contains("! vol 1 missing"));
    }
}

/// The demo's requests are dated by its home facility's day (Chicago), not the host's: made on a
/// host whose day is not Chicago's at this instant, `pull-list` with no date (Chicago's today)
/// still lists the dozen charts wanted today, each of a patient with a volume in file to pull, and
/// the ROI desk's request received "today" (RGH-00041) was received on Chicago's today.
#[test]
fn the_demo_dates_todays_requests_by_the_facilitys_day_and_each_has_paper_to_pull() {
    use common::cli::{department_today, json};
    let chicago = department_today();
    // Two POSIX zones 26 hours apart (UTC+14, UTC−12): at any instant one of them is on another
    // day than Chicago.
    let now = chrono::Utc::now();
    let host = [("XXX-14", 14), ("XXX+12", -12)]
        .into_iter()
        .find(|(_, hours)| (now + chrono::Duration::hours(*hours)).date_naive() != chicago)
        .map(|(tz, _)| tz)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_chartroom"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .args(args)
            .env_remove("CHARTROOM_CONFIG")
            .env_remove("CHARTROOM_DATA_DIR")
            .env_remove("CHARTROOM_STORE")
            .env("TZ", host)
            .output()
            .unwrap()
    };
    common::cli::ok(&run(&["demo", "--patients", "600"]));
    let list = json(&run(&["pull-list", "--json"]));
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 12, "host zone {host}, Chicago's {chicago}: {list:#}");
    let in_file = serde_json::to_value(VolumeStatus::InFile).unwrap();
    for row in rows {
        assert_eq!(row["needed_on"], chicago.to_string(), "{row:#}");
        let volumes = row["volumes"].as_array().unwrap();
        assert!(volumes.iter().any(|v| v["status"] == in_file), "no paper volume to pull: {row:#}");
    }
    let mut mrns: Vec<&str> = rows.iter().map(|r| r["mrn"].as_str().unwrap()).collect();
    mrns.sort_unstable();
    mrns.dedup();
    assert_eq!(mrns.len(), 12, "a dozen different charts");
    let own = json(&run(&["roi", "show", "RGH-00041", "--json"]));
    assert_eq!(own["received_on"], chicago.to_string(), "{own:#}");
}

/// `volume overdue --notices DIR`: into a directory that must exist, never through a planted link
/// nor over a notice already there (the next name), owner-only whatever the umask.
#[test]
fn overdue_notices_never_follow_a_link_nor_overwrite_and_need_their_directory() {
    use std::os::unix::fs::PermissionsExt;
    let f = common::scenario();
    desk_on(&f, "jdoe", d(3, 1)).check_in("V204511-1").unwrap();
    desk_on(&f, "jdoe", d(3, 3)).charge_out("V204511-1", "ROI", None, Some("jdoe")).unwrap();
    let march7 = desk_on(&f, "jdoe", d(3, 7));

    let out = tempfile::tempdir().unwrap();
    let missing = out.path().join("not-made");
    let refused = refusal(march7.overdue_notices_to(&missing));
    assert!(refused.contains("is not a directory: make it first"), "{refused}");
    assert!(!missing.exists(), "nothing was made where the clerk did not say");

    let victim = out.path().join("victim");
    std::fs::write(&victim, b"keep me").unwrap();
    let planted = out.path().join("overdue-ROI-2025-03-07.txt");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let first = march7.overdue_notices_to(out.path()).unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me", "the link was not followed");
    let names: Vec<String> = first.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["overdue-ROI-2025-03-07-2.pdf", "overdue-ROI-2025-03-07-2.txt"]);
    let again = march7.overdue_notices_to(out.path()).unwrap();
    assert!(again[1].ends_with("overdue-ROI-2025-03-07-3.txt"), "{again:?}");
    assert!(std::fs::read_to_string(&first[1]).unwrap().contains("V204511-1"), "the first is as written");
    for file in first.iter().chain(&again) {
        assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{}", file.display());
    }
}

/// A volume flagged missing that is scanned is found where it was scanned: one FOUND movement,
/// audited, and the volume is there.
#[test]
fn scanning_a_missing_volume_marks_it_found_where_it_was_scanned() {
    for f in scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(3, 3));
        jdoe.check_in("V204511-1").unwrap();
        jdoe.flag_missing("V204511-1", Some("not on the shelf")).unwrap();
        let coding = jdoe.location("CODING").unwrap();
        let Scanned::Moved(moved) = jdoe.scan(Some(&coding), "v204511-1").unwrap() else { panic!("not a move") };
        assert_eq!(moved.movement, MovementType::Found);
        assert_eq!((moved.volume.status, moved.volume.current.code.as_str()), (VolumeStatus::ChargedOut, "CODING"));
        let movements = volume_1(&f).movements;
        let last = movements.last().unwrap();
        assert_eq!((last.movement_type.as_str(), last.to_location.as_deref()), ("FOUND", Some("CODING")));
        let events = f.store.list_audit(&AuditFilter { limit: 5, ..Default::default() }).unwrap();
        assert!(events.iter().any(|e| e.entity == "chart_volume" && e.detail.contains("FOUND")), "{events:?}");
    }
}

/// A chart is requested to where it is needed, once, and only when there is paper to pull.
#[test]
fn a_chart_request_to_a_file_area_a_second_time_or_for_no_paper_is_refused() {
    for f in scenarios() {
        let jdoe = desk_on(&f, "jdoe", d(3, 3));
        let to_file = refusal(jdoe.request_chart("204511", "FILE_A", d(3, 4), "coding review"));
        assert!(to_file.contains("is a file area, not a place a chart is sent"), "{to_file}");
        jdoe.request_chart("204511", "CODING", d(3, 4), "coding review").unwrap();
        let twice = refusal(jdoe.request_chart("204511", "CODING", d(3, 4), "coding review"));
        assert_eq!(
            twice,
            "The chart is already requested for CODING on 03/04/2025 (open, by jdoe: coding review); one request \
             brings it."
        );
        jdoe.request_chart("204511", "CODING", d(3, 5), "coding review").unwrap();
        let no_paper = refusal(jdoe.request_chart("101000", "CODING", d(3, 4), "coding review"));
        assert_eq!(no_paper, "This chart has no paper volume to pull: there is nothing to request.");
    }
}
