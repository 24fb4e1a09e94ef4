//! The file room: where each paper volume is, and which moves it can make (VistA Record Tracking,
//! domain.md §1.4 and §4.2, AS-05). Pure: the day is passed in.
//!
//! A volume lives in its home file area (`IN_FILE`), is charged out to a borrower location
//! (`CHARGED_OUT`, with a due-back day from that location's loan days), can be flagged `MISSING`
//! from anywhere and `FOUND` again, and is `INACTIVE` when retired from use (a full volume whose
//! successor is open). Every move is an append-only movement row; a move the status does not allow
//! is refused with Record Tracking's words.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a volume stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VolumeStatus {
    InFile,
    ChargedOut,
    Missing,
    Inactive,
}

impl VolumeStatus {
    pub const ALL: [Self; 4] = [Self::InFile, Self::ChargedOut, Self::Missing, Self::Inactive];

    pub fn code(self) -> &'static str {
        match self {
            Self::InFile => "IN_FILE",
            Self::ChargedOut => "CHARGED_OUT",
            Self::Missing => "MISSING",
            Self::Inactive => "INACTIVE",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// How a clerk reads it in a list.
    pub fn label(self) -> &'static str {
        match self {
            Self::InFile => "in file",
            Self::ChargedOut => "charged out",
            Self::Missing => "missing",
            Self::Inactive => "inactive",
        }
    }
}

/// One row of a volume's movement history (RT file 195.3, the types this desk makes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MovementType {
    Create,
    ChargeOut,
    CheckIn,
    Transfer,
    Missing,
    Found,
    Inactivate,
}

impl MovementType {
    pub const ALL: [Self; 7] =
        [Self::Create, Self::ChargeOut, Self::CheckIn, Self::Transfer, Self::Missing, Self::Found, Self::Inactivate];

    pub fn code(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::ChargeOut => "CHARGE_OUT",
            Self::CheckIn => "CHECK_IN",
            Self::Transfer => "TRANSFER",
            Self::Missing => "MISSING",
            Self::Found => "FOUND",
            Self::Inactivate => "INACTIVATE",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The verb a confirmation line uses: `charged out`, `checked in`…
    pub fn past_tense(self) -> &'static str {
        match self {
            Self::Create => "created",
            Self::ChargeOut => "charged out",
            Self::CheckIn => "checked in",
            Self::Transfer => "transferred",
            Self::Missing => "flagged missing",
            Self::Found => "found",
            Self::Inactivate => "inactivated",
        }
    }
}

impl fmt::Display for MovementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A place a volume can be: a file area, or a borrower (clinic, ward, coding, ROI, HIM completion,
/// off-site storage).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub id: i64,
    /// What a clerk types or scans: `CODING`, `ROI`, `HIMC`, `5N`.
    pub code: String,
    pub name: String,
    /// `FILE_ROOM`, `HIM_COMPLETION`, `CODING`, `ROI`, `CLINIC`, `WARD`, `PHYSICIAN`, `OFFSITE`.
    pub kind: String,
    /// How many days a charge-out lasts by default; 0 means no due-back day (off-site storage
    /// keeps what it is sent until it is asked for).
    pub default_loan_days: i64,
}

impl Location {
    /// A file area is where volumes live, not a borrower.
    pub fn is_file_area(&self) -> bool {
        self.kind == "FILE_ROOM"
    }
}

/// What a move needs to know about the volume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VolumeState {
    pub status: VolumeStatus,
    pub home_location_id: i64,
    pub current_location_id: i64,
}

/// A move as asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoveRequest<'a> {
    /// To a borrower; `due` overrides the location's loan days.
    ChargeOut {
        to: &'a Location,
        due: Option<NaiveDate>,
    },
    CheckIn,
    Transfer {
        to: &'a Location,
        due: Option<NaiveDate>,
    },
    Missing,
    /// Found in its home file area when `at` is None or the home itself; else charged to `at`.
    Found {
        at: Option<&'a Location>,
    },
    Inactivate,
}

impl MoveRequest<'_> {
    pub fn movement_type(&self) -> MovementType {
        match self {
            Self::ChargeOut { .. } => MovementType::ChargeOut,
            Self::CheckIn => MovementType::CheckIn,
            Self::Transfer { .. } => MovementType::Transfer,
            Self::Missing => MovementType::Missing,
            Self::Found { .. } => MovementType::Found,
            Self::Inactivate => MovementType::Inactivate,
        }
    }
}

/// What a volume becomes after an allowed move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovePlan {
    pub movement: MovementType,
    pub status: VolumeStatus,
    pub from_location_id: i64,
    pub to_location_id: i64,
    pub due_back_on: Option<NaiveDate>,
}

/// Why a move is refused, in Record Tracking's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveRefused {
    #[error("This record is already flagged as missing.")]
    AlreadyMissing,
    #[error("This record is flagged as missing; mark it found first.")]
    IsMissing,
    #[error("This record is not flagged as missing.")]
    NotMissing,
    #[error("This record is already checked in.")]
    AlreadyIn,
    #[error("This record is in file; charge it out instead.")]
    InFile,
    #[error("This record is already charged out to another borrower; transfer it instead.")]
    AlreadyOut,
    #[error("This record is already charged to {0}.")]
    AlreadyThere(String),
    #[error("This record is charged out; check it in before inactivating it.")]
    OutWhenInactivating,
    #[error("This record is inactive.")]
    IsInactive,
    #[error("This record is already inactive.")]
    AlreadyInactive,
    #[error(
        "This is the chart's last active volume: an inactive volume is never made active again, so the chart \
         would have none to file into. Open a new volume first (chart-volume new), then inactivate this one."
    )]
    LastActiveVolume,
    #[error("{0} is a file area, not a borrower: check the record in instead.")]
    FileArea(String),
    #[error("The due-back date {0} is before today.")]
    DueInPast(String),
}

/// Whether a volume in file may be inactivated, given how many of the chart's other volumes are
/// still active: nothing reactivates a volume, so the chart's last one stays active.
pub fn may_inactivate(status: VolumeStatus, other_active_volumes: usize) -> Result<(), MoveRefused> {
    if status == VolumeStatus::InFile && other_active_volumes == 0 {
        return Err(MoveRefused::LastActiveVolume);
    }
    Ok(())
}

/// The day a charge-out to `location` is due back from `today`: None when the location keeps what
/// it is sent (0 loan days).
pub fn due_back(location: &Location, today: NaiveDate) -> Option<NaiveDate> {
    (location.default_loan_days > 0).then(|| today + Duration::days(location.default_loan_days))
}

/// How many days past due a volume is on `today`: 0 on its due day and before.
pub fn overdue_days(due_back_on: NaiveDate, today: NaiveDate) -> i64 {
    (today - due_back_on).num_days().max(0)
}

/// Whether a move is allowed, and what the volume becomes. The whole of the file room's rules.
pub fn plan_move(volume: VolumeState, request: &MoveRequest<'_>, today: NaiveDate) -> Result<MovePlan, MoveRefused> {
    use VolumeStatus::*;
    let movement = request.movement_type();
    let here = volume.current_location_id;
    let plan = |status, to: i64, due| MovePlan {
        movement,
        status,
        from_location_id: here,
        to_location_id: to,
        due_back_on: due,
    };
    let due_for = |to: &Location, due: Option<NaiveDate>| match due {
        Some(day) if day < today => Err(MoveRefused::DueInPast(super::dates::us_date(day))),
        Some(day) => Ok(Some(day)),
        None => Ok(due_back(to, today)),
    };
    // Moves that need the record on hand refuse a missing or inactive one first.
    let on_hand = |status: VolumeStatus| match status {
        Missing => Err(MoveRefused::IsMissing),
        Inactive => Err(MoveRefused::IsInactive),
        _ => Ok(()),
    };
    match *request {
        MoveRequest::ChargeOut { to, due } => {
            on_hand(volume.status)?;
            if to.is_file_area() {
                return Err(MoveRefused::FileArea(to.name.clone()));
            }
            match volume.status {
                ChargedOut if here == to.id => Err(MoveRefused::AlreadyThere(to.name.clone())),
                ChargedOut => Err(MoveRefused::AlreadyOut),
                _ => Ok(plan(ChargedOut, to.id, due_for(to, due)?)),
            }
        }
        MoveRequest::CheckIn => {
            on_hand(volume.status)?;
            match volume.status {
                InFile => Err(MoveRefused::AlreadyIn),
                _ => Ok(plan(InFile, volume.home_location_id, None)),
            }
        }
        MoveRequest::Transfer { to, due } => {
            on_hand(volume.status)?;
            if to.is_file_area() {
                return Err(MoveRefused::FileArea(to.name.clone()));
            }
            match volume.status {
                InFile => Err(MoveRefused::InFile),
                _ if here == to.id => Err(MoveRefused::AlreadyThere(to.name.clone())),
                _ => Ok(plan(ChargedOut, to.id, due_for(to, due)?)),
            }
        }
        MoveRequest::Missing => match volume.status {
            Missing => Err(MoveRefused::AlreadyMissing),
            Inactive => Err(MoveRefused::IsInactive),
            // It stays where it was last known to be: that is where the search starts.
            _ => Ok(plan(Missing, here, None)),
        },
        MoveRequest::Found { at } => match (volume.status, at) {
            (Missing, Some(at)) if at.id != volume.home_location_id && !at.is_file_area() => {
                Ok(plan(ChargedOut, at.id, due_back(at, today)))
            }
            (Missing, Some(at)) if at.is_file_area() => Ok(plan(InFile, at.id, None)),
            (Missing, _) => Ok(plan(InFile, volume.home_location_id, None)),
            _ => Err(MoveRefused::NotMissing),
        },
        MoveRequest::Inactivate => match volume.status {
            InFile => Ok(plan(Inactive, here, None)),
            ChargedOut => Err(MoveRefused::OutWhenInactivating),
            Missing => Err(MoveRefused::IsMissing),
            Inactive => Err(MoveRefused::AlreadyInactive),
        },
    }
}

/// An open request already on the pull list for the same chart, place and day, as a duplicate
/// check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    pub requested_by: String,
    pub reason: String,
}

/// Why a chart cannot be requested to `to` for `needed_on`: a file area is where charts are kept,
/// not a place one is sent (a charge-out there is refused alike); a chart with no paper volume on
/// hand (`volumes`, inactive ones left out) can never be pulled; and an open request for the same
/// chart, place and day already brings it. None when the request can be filled.
pub fn chart_request_refusal(
    to: &Location,
    needed_on: NaiveDate,
    volumes: usize,
    open_same: Option<&OpenRequest>,
) -> Option<String> {
    if to.is_file_area() {
        return Some(format!(
            "{} is a file area, not a place a chart is sent: request it for the desk or unit that needs it.",
            to.name
        ));
    }
    if volumes == 0 {
        return Some("This chart has no paper volume to pull: there is nothing to request.".into());
    }
    open_same.map(|open| {
        format!(
            "The chart is already requested for {} on {} (open, by {}: {}); one request brings it.",
            to.code,
            super::dates::us_date(needed_on),
            open.requested_by,
            if open.reason.is_empty() { "no reason given" } else { open.reason.as_str() }
        )
    })
}

/// What scanning a volume at a location means (the scan workflow): into its own file area is a
/// check-in, to a borrower a charge-out from file or a transfer from another borrower. A volume
/// flagged missing that is scanned is in the clerk's hand: it is found where it was scanned (one
/// FOUND movement, to the borrower or into the file area), as Record Tracking's scan does.
pub fn scan_request<'a>(volume: VolumeState, at: &'a Location) -> MoveRequest<'a> {
    if volume.status == VolumeStatus::Missing {
        MoveRequest::Found { at: Some(at) }
    } else if at.is_file_area() {
        MoveRequest::CheckIn
    } else if volume.status == VolumeStatus::ChargedOut && volume.current_location_id != at.id {
        MoveRequest::Transfer { to: at, due: None }
    } else {
        MoveRequest::ChargeOut { to: at, due: None }
    }
}

/// The terminal-digit filing key of an MRN: the order a file room's shelves run in.
///
/// The MRN is read as eight digits (zeros in front of a shorter one); its last two digits are the
/// primary section, the two before them the secondary, and the first four the tertiary. Folders
/// sort by primary, then secondary, then tertiary: `204511` is `00-20-45-11`, filed at 11-45-0020.
/// A 6-digit MRN `12-34-56` so files at 56, then 34, then 12 (the classic three pairs), and a
/// 7-digit `1234567` at 67, then 45, then 0123 — its extra leading digit only orders folders within
/// the same primary and secondary, as a file room with longer numbers shelves them.
pub fn terminal_digit_key(mrn: &str) -> String {
    let digits: String = mrn.chars().filter(char::is_ascii_digit).collect();
    let padded = format!("{digits:0>8}");
    let n = padded.len();
    format!("{}{}{}", &padded[n - 2..], &padded[n - 4..n - 2], &padded[..n - 4])
}

/// The key as a clerk reads it on a pull list: `11-45-0020`.
pub fn terminal_digit_label(mrn: &str) -> String {
    let key = terminal_digit_key(mrn);
    format!("{}-{}-{}", &key[..2], &key[2..4], &key[4..])
}

/// What a chart request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RequestStatus {
    Open,
    Filled,
    NotFillable,
}

impl RequestStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Filled => "FILLED",
            Self::NotFillable => "NOT_FILLABLE",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Open, Self::Filled, Self::NotFillable].into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Filled => "filled",
            Self::NotFillable => "not fillable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_active_volume_of_a_chart_is_not_inactivated() {
        assert_eq!(may_inactivate(VolumeStatus::InFile, 0), Err(MoveRefused::LastActiveVolume));
        assert_eq!(may_inactivate(VolumeStatus::InFile, 1), Ok(()));
        // Charged out, it is refused for that first, in plan_move's words.
        assert_eq!(may_inactivate(VolumeStatus::ChargedOut, 0), Ok(()));
    }
    use proptest::prelude::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn place(id: i64, code: &str, kind: &str, days: i64) -> Location {
        Location { id, code: code.into(), name: format!("{code} NAME"), kind: kind.into(), default_loan_days: days }
    }

    const HOME: i64 = 1;

    fn volume(status: VolumeStatus, at: i64) -> VolumeState {
        VolumeState { status, home_location_id: HOME, current_location_id: at }
    }

    #[test]
    fn as05_charge_out_is_due_back_after_the_loan_days() {
        let roi = place(4, "ROI", "ROI", 3);
        let plan = plan_move(
            volume(VolumeStatus::InFile, HOME),
            &MoveRequest::ChargeOut { to: &roi, due: None },
            day(2025, 3, 3),
        )
        .unwrap();
        assert_eq!(plan.status, VolumeStatus::ChargedOut);
        assert_eq!(plan.due_back_on, Some(day(2025, 3, 6)));
        assert_eq!((plan.from_location_id, plan.to_location_id), (HOME, 4));
        assert_eq!(overdue_days(day(2025, 3, 6), day(2025, 3, 7)), 1);
        assert_eq!(overdue_days(day(2025, 3, 6), day(2025, 3, 6)), 0);
    }

    #[test]
    fn every_refused_move_says_why_in_record_trackings_words() {
        let today = day(2025, 3, 3);
        let coding = place(3, "CODING", "CODING", 2);
        let file_b = place(9, "FILE_B", "FILE_ROOM", 0);
        let cases: Vec<(VolumeState, MoveRequest<'_>, MoveRefused)> = vec![
            (volume(VolumeStatus::Missing, HOME), MoveRequest::Missing, MoveRefused::AlreadyMissing),
            (volume(VolumeStatus::InFile, HOME), MoveRequest::CheckIn, MoveRefused::AlreadyIn),
            (volume(VolumeStatus::Missing, 3), MoveRequest::CheckIn, MoveRefused::IsMissing),
            (
                volume(VolumeStatus::Missing, HOME),
                MoveRequest::ChargeOut { to: &coding, due: None },
                MoveRefused::IsMissing,
            ),
            (
                volume(VolumeStatus::Inactive, HOME),
                MoveRequest::ChargeOut { to: &coding, due: None },
                MoveRefused::IsInactive,
            ),
            (volume(VolumeStatus::InFile, HOME), MoveRequest::Transfer { to: &coding, due: None }, MoveRefused::InFile),
            (
                volume(VolumeStatus::ChargedOut, 3),
                MoveRequest::Transfer { to: &coding, due: None },
                MoveRefused::AlreadyThere("CODING NAME".into()),
            ),
            (
                volume(VolumeStatus::ChargedOut, 3),
                MoveRequest::ChargeOut { to: &coding, due: None },
                MoveRefused::AlreadyThere("CODING NAME".into()),
            ),
            (
                volume(VolumeStatus::ChargedOut, 5),
                MoveRequest::ChargeOut { to: &coding, due: None },
                MoveRefused::AlreadyOut,
            ),
            (
                volume(VolumeStatus::InFile, HOME),
                MoveRequest::ChargeOut { to: &file_b, due: None },
                MoveRefused::FileArea("FILE_B NAME".into()),
            ),
            (
                volume(VolumeStatus::InFile, HOME),
                MoveRequest::ChargeOut { to: &coding, due: Some(day(2025, 3, 2)) },
                MoveRefused::DueInPast("03/02/2025".into()),
            ),
            (volume(VolumeStatus::InFile, HOME), MoveRequest::Found { at: None }, MoveRefused::NotMissing),
            (volume(VolumeStatus::ChargedOut, 3), MoveRequest::Inactivate, MoveRefused::OutWhenInactivating),
            (volume(VolumeStatus::Inactive, HOME), MoveRequest::Inactivate, MoveRefused::AlreadyInactive),
            (volume(VolumeStatus::Missing, HOME), MoveRequest::Inactivate, MoveRefused::IsMissing),
            (volume(VolumeStatus::Inactive, HOME), MoveRequest::Missing, MoveRefused::IsInactive),
        ];
        for (state, request, refused) in cases {
            assert_eq!(plan_move(state, &request, today), Err(refused), "{state:?} {request:?}");
        }
        assert_eq!(MoveRefused::AlreadyMissing.to_string(), "This record is already flagged as missing.");
    }

    #[test]
    fn every_movement_type_has_an_allowed_move() {
        let today = day(2025, 3, 3);
        let coding = place(3, "CODING", "CODING", 2);
        let ward = place(5, "5N", "WARD", 0);
        let out = |p: &MovePlan| (p.movement, p.status, p.to_location_id, p.due_back_on);
        let charged =
            plan_move(volume(VolumeStatus::InFile, HOME), &MoveRequest::ChargeOut { to: &coding, due: None }, today);
        assert_eq!(
            charged.map(|p| out(&p)),
            Ok((MovementType::ChargeOut, VolumeStatus::ChargedOut, 3, Some(day(2025, 3, 5))))
        );
        let moved =
            plan_move(volume(VolumeStatus::ChargedOut, 3), &MoveRequest::Transfer { to: &ward, due: None }, today);
        assert_eq!(moved.map(|p| out(&p)), Ok((MovementType::Transfer, VolumeStatus::ChargedOut, 5, None)));
        let back = plan_move(volume(VolumeStatus::ChargedOut, 5), &MoveRequest::CheckIn, today);
        assert_eq!(back.map(|p| out(&p)), Ok((MovementType::CheckIn, VolumeStatus::InFile, HOME, None)));
        let lost = plan_move(volume(VolumeStatus::ChargedOut, 5), &MoveRequest::Missing, today);
        assert_eq!(lost.map(|p| out(&p)), Ok((MovementType::Missing, VolumeStatus::Missing, 5, None)));
        let found = plan_move(volume(VolumeStatus::Missing, 5), &MoveRequest::Found { at: Some(&coding) }, today);
        assert_eq!(
            found.map(|p| out(&p)),
            Ok((MovementType::Found, VolumeStatus::ChargedOut, 3, Some(day(2025, 3, 5))))
        );
        let found_home = plan_move(volume(VolumeStatus::Missing, 5), &MoveRequest::Found { at: None }, today);
        assert_eq!(found_home.map(|p| out(&p)), Ok((MovementType::Found, VolumeStatus::InFile, HOME, None)));
        let retired = plan_move(volume(VolumeStatus::InFile, HOME), &MoveRequest::Inactivate, today);
        assert_eq!(retired.map(|p| out(&p)), Ok((MovementType::Inactivate, VolumeStatus::Inactive, HOME, None)));
        for m in MovementType::ALL {
            assert_eq!(MovementType::parse(m.code()), Some(m));
        }
        for s in VolumeStatus::ALL {
            assert_eq!(VolumeStatus::parse(s.code()), Some(s));
        }
    }

    #[test]
    fn a_chart_request_to_a_file_area_for_no_volume_or_twice_is_refused() {
        let coding = place(3, "CODING", "CODING", 2);
        let file_a = place(HOME, "FILE_A", "FILE_ROOM", 0);
        let on = day(2025, 3, 4);
        assert!(chart_request_refusal(&file_a, on, 1, None).is_some_and(|r| r.contains("is a file area")));
        assert_eq!(
            chart_request_refusal(&coding, on, 0, None).as_deref(),
            Some("This chart has no paper volume to pull: there is nothing to request.")
        );
        let open = OpenRequest { requested_by: "jdoe".into(), reason: "chart completion".into() };
        assert_eq!(
            chart_request_refusal(&coding, on, 1, Some(&open)).as_deref(),
            Some(
                "The chart is already requested for CODING on 03/04/2025 (open, by jdoe: chart completion); one request brings it."
            )
        );
        assert_eq!(chart_request_refusal(&coding, on, 1, None), None);
    }

    #[test]
    fn a_scan_charges_out_transfers_or_checks_in_by_where_it_is_scanned() {
        let coding = place(3, "CODING", "CODING", 2);
        let file_a = place(HOME, "FILE_A", "FILE_ROOM", 0);
        assert_eq!(
            scan_request(volume(VolumeStatus::InFile, HOME), &coding),
            MoveRequest::ChargeOut { to: &coding, due: None }
        );
        assert_eq!(
            scan_request(volume(VolumeStatus::ChargedOut, 5), &coding),
            MoveRequest::Transfer { to: &coding, due: None }
        );
        assert_eq!(scan_request(volume(VolumeStatus::ChargedOut, 5), &file_a), MoveRequest::CheckIn);
        // A missing volume scanned is in hand: found where it was scanned.
        let missing = volume(VolumeStatus::Missing, 5);
        assert_eq!(scan_request(missing, &coding), MoveRequest::Found { at: Some(&coding) });
        let today = day(2025, 3, 3);
        let to_coding = plan_move(missing, &scan_request(missing, &coding), today).unwrap();
        assert_eq!(
            (to_coding.movement, to_coding.status, to_coding.to_location_id),
            (MovementType::Found, VolumeStatus::ChargedOut, 3)
        );
        let home = plan_move(missing, &scan_request(missing, &file_a), today).unwrap();
        assert_eq!(
            (home.movement, home.status, home.to_location_id),
            (MovementType::Found, VolumeStatus::InFile, HOME)
        );
    }

    #[test]
    fn terminal_digit_files_by_the_last_pair_then_the_middle_then_the_first() {
        assert_eq!(terminal_digit_key("123456"), "56340012");
        assert_eq!(terminal_digit_label("204511"), "11-45-0020");
        assert_eq!(terminal_digit_label("1234567"), "67-45-0123");
        assert_eq!(terminal_digit_label("12345678"), "78-56-1234");
        let mut mrns = vec!["100234", "204511", "310011", "1200034", "999902"];
        mrns.sort_by_key(|m| terminal_digit_key(m));
        assert_eq!(mrns, vec!["999902", "310011", "204511", "1200034", "100234"]);
    }

    proptest! {
        #[test]
        fn the_key_orders_by_last_pair_then_middle_pair(a in 100_000u32..100_000_000, b in 100_000u32..100_000_000) {
            let (ka, kb) = (terminal_digit_key(&a.to_string()), terminal_digit_key(&b.to_string()));
            let parts = |n: u32| (n % 100, n / 100 % 100, n / 10_000);
            prop_assert_eq!(ka.cmp(&kb), parts(a).cmp(&parts(b)));
        }

        #[test]
        fn a_move_never_leaves_a_volume_charged_out_without_a_borrower_location(
            status in 0usize..4, at in 1i64..6, kind in 0usize..7, days in 0i64..30, today in 0i64..20_000
        ) {
            let today = day(1990, 1, 1) + Duration::days(today);
            let kinds = ["FILE_ROOM", "CODING", "ROI", "WARD", "CLINIC", "OFFSITE", "HIM_COMPLETION"];
            let to = place(at, "X", kinds[kind], days);
            let state = volume(VolumeStatus::ALL[status], if status == 0 { HOME } else { at % 3 + 1 });
            for request in [
                MoveRequest::ChargeOut { to: &to, due: None },
                MoveRequest::Transfer { to: &to, due: None },
                MoveRequest::CheckIn,
                MoveRequest::Missing,
                MoveRequest::Found { at: Some(&to) },
                MoveRequest::Inactivate,
            ] {
                if let Ok(plan) = plan_move(state, &request, today) {
                    prop_assert_eq!(plan.movement, request.movement_type());
                    if plan.status == VolumeStatus::ChargedOut {
                        prop_assert!(!to.is_file_area());
                        prop_assert_eq!(plan.to_location_id, to.id);
                    }
                    if let Some(due) = plan.due_back_on {
                        prop_assert!(due > today);
                    }
                    prop_assert!(plan.status != state.status || plan.to_location_id != state.current_location_id);
                }
            }
        }
    }
}
