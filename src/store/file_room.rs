//! What the file room's desk (`desk::file_room`) asks the store to keep and read: volumes by
//! barcode, their moves, chart requests and the lists. The store persists what it is told — which
//! move is allowed and what a volume becomes are `domain::file_room`'s.

use crate::domain::audit::NewAuditEvent;
use crate::domain::file_room::{MovementType, RequestStatus, VolumeStatus};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A location as a list names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// One paper volume, where it is, and whose chart it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeRecord {
    pub id: i64,
    pub patient_id: i64,
    pub mrn: String,
    /// `GARCIA, MARIA L`.
    pub patient_name: String,
    pub volume_no: i64,
    pub record_type: String,
    pub barcode: String,
    pub status: VolumeStatus,
    pub home: Place,
    pub current: Place,
    pub borrower: Option<String>,
    pub due_back_on: Option<NaiveDate>,
    pub version: i64,
}

/// One move of one volume: the volume's new state, written only if the volume is still at
/// `expected_version`, with its movement row and audit event.
#[derive(Debug, Clone)]
pub struct VolumeMove {
    pub volume_id: i64,
    pub expected_version: i64,
    pub status: VolumeStatus,
    pub location_id: i64,
    pub borrower: Option<String>,
    pub due_back_on: Option<NaiveDate>,
    pub movement: MovementType,
    pub from_location_id: Option<i64>,
    pub to_location_id: Option<i64>,
    pub reason: Option<String>,
    /// The chart request this move fills.
    pub request_id: Option<i64>,
    pub by: String,
    pub at: DateTime<Utc>,
    pub audit: NewAuditEvent,
}

/// A chart request closed: filled or not fillable, at the version the clerk saw.
#[derive(Debug, Clone)]
pub struct RequestResolution {
    pub request_id: i64,
    pub expected_version: i64,
    pub status: RequestStatus,
    pub reason: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
    pub audit: NewAuditEvent,
}

/// What one file-room action writes, all in one transaction: a fill charges out a chart's
/// volumes and closes its request together, or neither.
#[derive(Debug, Clone, Default)]
pub struct FileRoomWrite {
    pub moves: Vec<VolumeMove>,
    pub resolution: Option<RequestResolution>,
}

/// A new volume (a full one's successor, or a chart's first): written with its CREATE movement.
#[derive(Debug, Clone)]
pub struct NewChartVolume {
    pub patient_id: i64,
    pub volume_no: i64,
    pub record_type: String,
    pub barcode: String,
    pub home_location_id: i64,
    pub by: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewChartRequest {
    pub patient_id: i64,
    pub for_location_id: i64,
    pub needed_on: NaiveDate,
    pub requested_by: String,
    pub reason: String,
    /// The MRN's terminal-digit key (`domain::file_room::terminal_digit_key`), so that a pull list
    /// reads in filing order from an index.
    pub filing_key: String,
    pub created_at: DateTime<Utc>,
}

/// A volume as a pull list shows it: which one, and where it is now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeBrief {
    pub volume_id: i64,
    pub barcode: String,
    pub volume_no: i64,
    pub status: VolumeStatus,
    pub location: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartRequestRecord {
    pub id: i64,
    pub patient_id: i64,
    pub mrn: String,
    pub patient_name: String,
    pub for_location: Place,
    pub needed_on: NaiveDate,
    pub requested_by: String,
    pub reason: String,
    pub status: RequestStatus,
    pub outcome_reason: Option<String>,
    pub filing_key: String,
    pub version: i64,
    /// The chart's volumes, by number.
    pub volumes: Vec<VolumeBrief>,
}
