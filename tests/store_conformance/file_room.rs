//! The file room's store operations (migration 22 / 14), the same on every backend: a move is the
//! volume at its version, its movement row and its audit event together or not at all; the lists
//! read what was written; the movement history refuses to be rewritten.

use super::{audit_since, audit_trail, each_backend};
use crate::common::{self, event};
use chartroom::domain::file_room::{MovementType, RequestStatus, VolumeStatus};
use chartroom::domain::mrn::Mrn;
use chartroom::store::StoreError;
use chartroom::store::file_room::{FileRoomWrite, NewChartRequest, NewChartVolume, RequestResolution, VolumeMove};
use chrono::{NaiveDate, TimeZone, Utc};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

fn location_id(store: &dyn chartroom::store::Store, code: &str) -> i64 {
    store.locations().unwrap().into_iter().find(|l| l.code == code).unwrap().id
}

fn patient_id(store: &dyn chartroom::store::Store, mrn: &str) -> i64 {
    store.patient_by_mrn(&Mrn::parse(mrn).unwrap()).unwrap().unwrap().patient_id
}

#[test]
fn locations_carry_their_codes_and_loan_days() {
    each_backend(|f| {
        let locations = f.store.locations().unwrap();
        let roi = locations.iter().find(|l| l.code == "ROI").expect("the demo's ROI desk");
        assert_eq!((roi.name.as_str(), roi.kind.as_str(), roi.default_loan_days), ("ROI DESK", "ROI", 3));
        let codes: Vec<&str> = locations.iter().map(|l| l.code.as_str()).collect();
        let mut sorted = codes.clone();
        sorted.sort();
        assert_eq!(codes, sorted, "by code");
        assert!(codes.contains(&"HIMC") && codes.contains(&"CODING") && codes.contains(&"OFFSITE"));
    });
}

#[test]
fn a_move_writes_the_volume_its_movement_and_its_event_at_the_version_read() {
    each_backend(|f| {
        let store = &*f.store;
        let garcia = patient_id(store, "204511");
        let file_a = location_id(store, "FILE_A");
        let coding = location_id(store, "CODING");
        let before = audit_trail(store);
        let id = store
            .add_volume(
                NewChartVolume {
                    patient_id: garcia,
                    volume_no: 2,
                    record_type: "MEDICAL_RECORD".into(),
                    barcode: "V204511-2".into(),
                    home_location_id: file_a,
                    by: "jdoe".into(),
                    at: Utc.with_ymd_and_hms(2025, 3, 3, 9, 0, 0).unwrap(),
                },
                event("chart_volume"),
            )
            .unwrap();
        let made = store.volume_by_barcode("V204511-2").unwrap().unwrap();
        assert_eq!(
            (made.id, made.status, made.current.code.as_str(), made.version),
            (id, VolumeStatus::InFile, "FILE_A", 1)
        );
        assert_eq!(made.patient_name, "GARCIA, MARIA L");
        assert!(store.volume_by_barcode("V999999-9").unwrap().is_none());

        let charge = VolumeMove {
            volume_id: id,
            expected_version: 1,
            status: VolumeStatus::ChargedOut,
            location_id: coding,
            borrower: Some("cody".into()),
            due_back_on: Some(day(3, 6)),
            movement: MovementType::ChargeOut,
            from_location_id: Some(file_a),
            to_location_id: Some(coding),
            reason: None,
            request_id: None,
            by: "jdoe".into(),
            at: Utc.with_ymd_and_hms(2025, 3, 3, 10, 0, 0).unwrap(),
            audit: event("chart_volume"),
        };
        store.write_file_room(FileRoomWrite { moves: vec![charge.clone()], resolution: None }).unwrap();
        let moved = store.volume_by_barcode("V204511-2").unwrap().unwrap();
        assert_eq!(
            (moved.status, moved.current.code.as_str(), moved.borrower.as_deref(), moved.due_back_on, moved.version),
            (VolumeStatus::ChargedOut, "CODING", Some("cody"), Some(day(3, 6)), 2)
        );
        // The same move again is from a version no longer there: nothing is written.
        let stale = store.write_file_room(FileRoomWrite { moves: vec![charge], resolution: None });
        assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
        assert_eq!(audit_since(store, &before).len(), 2, "the creation and the one move");

        let volumes = store.patient_volumes(garcia).unwrap();
        assert_eq!(volumes.iter().map(|v| v.volume_no).collect::<Vec<_>>(), [1, 2]);
        let chart = store.load_chart(garcia).unwrap().unwrap();
        let kinds: Vec<&str> = chart.volumes[1].movements.iter().map(|m| m.movement_type.as_str()).collect();
        assert_eq!(kinds, ["CREATE", "CHARGE_OUT"]);

        // Not overdue on its due day; overdue the day after, under its borrower.
        assert!(store.overdue_volumes(day(3, 6)).unwrap().iter().all(|v| v.barcode != "V204511-2"));
        let overdue = store.overdue_volumes(day(3, 7)).unwrap();
        assert!(overdue.iter().any(|v| v.barcode == "V204511-2" && v.current.name == "CODING"));
        assert!(store.missing_volumes().unwrap().is_empty());
    });
}

#[test]
fn the_movement_history_refuses_to_be_rewritten() {
    each_backend(|f| {
        let statements = ["UPDATE chart_movement SET movement_type = 'FOUND'", "DELETE FROM chart_movement"];
        for sql in statements {
            let refused = match &f.pg {
                Some(database) => common::pg::exec(database, sql).unwrap_err(),
                None => rusqlite::Connection::open(f.dir.path().join("chartroom.db"))
                    .unwrap()
                    .execute(sql, [])
                    .unwrap_err()
                    .to_string(),
            };
            assert!(refused.contains("append-only"), "{sql}: {refused}");
        }
    });
}

#[test]
fn requests_read_back_in_terminal_digit_order_and_close_at_their_version() {
    each_backend(|f| {
        let store = &*f.store;
        let himc = location_id(store, "HIMC");
        let request = |mrn: &str, key: &str| NewChartRequest {
            patient_id: patient_id(store, mrn),
            for_location_id: himc,
            needed_on: day(3, 4),
            requested_by: "mlee".into(),
            reason: "completion".into(),
            filing_key: key.into(),
            created_at: Utc.with_ymd_and_hms(2025, 3, 3, 8, 0, 0).unwrap(),
        };
        let before = audit_trail(store);
        let ids = store
            .add_chart_requests(
                vec![request("204511", "11450020"), request("100999", "99090010")],
                event("chart_request"),
            )
            .unwrap();
        assert_eq!(ids.len(), 2);
        assert_eq!(audit_since(store, &before).len(), 1, "one event for the batch");
        let list = store.pull_list(day(3, 4)).unwrap();
        assert_eq!(list.iter().map(|r| r.mrn.as_str()).collect::<Vec<_>>(), ["204511", "100999"]);
        assert!(store.pull_list(day(3, 5)).unwrap().is_empty());
        let garcia = &list[0];
        assert_eq!(garcia.status, RequestStatus::Open);
        assert_eq!(garcia.for_location.code, "HIMC");
        assert_eq!(garcia.volumes.iter().map(|v| v.barcode.as_str()).collect::<Vec<_>>(), ["V204511-1"]);
        assert!(list[1].volumes.is_empty(), "a chart with no paper has no volume row");

        let close = RequestResolution {
            request_id: ids[1],
            expected_version: 1,
            status: RequestStatus::NotFillable,
            reason: Some("no paper chart".into()),
            by: "jdoe".into(),
            at: Utc.with_ymd_and_hms(2025, 3, 4, 8, 0, 0).unwrap(),
            audit: event("chart_request"),
        };
        store.write_file_room(FileRoomWrite { moves: Vec::new(), resolution: Some(close.clone()) }).unwrap();
        let closed = store.chart_request(ids[1]).unwrap().unwrap();
        assert_eq!(
            (closed.status, closed.outcome_reason.as_deref(), closed.version),
            (RequestStatus::NotFillable, Some("no paper chart"), 2)
        );
        let again = store.write_file_room(FileRoomWrite { moves: Vec::new(), resolution: Some(close) });
        assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
        assert!(store.chart_request(9_999_999).unwrap().is_none());
    });
}
