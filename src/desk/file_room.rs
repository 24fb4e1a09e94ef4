//! The file room's desk: charge out, check in, transfer, missing and found, new and inactive
//! volumes, chart requests and their pull list, the overdue and missing lists (VistA Record
//! Tracking; domain.md §1.4, AS-05).
//!
//! Who may: moving volumes, making and inactivating them, and filling requests is the file room's
//! work — `TrackPaperCharts` (HIM clerks, supervisors, the director). Asking for a chart is open to
//! every desk that needs paper: the file room, the ROI desk (`LogRequests`) and chart completion
//! (`ManageDeficiencies`, `CompleteDeficiencies`). The lists are the file room's and the
//! supervisors' reports (`TrackPaperCharts` or `ViewReports`). Every change is audited with the
//! volume's barcode and the patient; no free text (a reason may name someone) goes into the event.

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::file_room::{
    Location, MoveRequest, MovementType, RequestStatus, VolumeState, VolumeStatus, overdue_days, plan_move,
    scan_request, terminal_digit_key,
};
use crate::domain::mrn::Mrn;
use crate::domain::role::Permission;
use crate::store::file_room::{
    ChartRequestRecord, FileRoomWrite, NewChartRequest, NewChartVolume, Place, RequestResolution, VolumeMove,
    VolumeRecord,
};
use chrono::NaiveDate;

/// A move made: the volume as it now stands, and what was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub movement: MovementType,
    pub volume: VolumeRecord,
    /// Where the volume was before the move: a transfer's confirmation names it.
    pub from: Place,
}

impl Moved {
    /// The confirmation line a clerk reads: `V204511-1  GARCIA, MARIA L vol 1 charged out to
    /// CODING, due 03/06/2025`.
    pub fn confirmation(&self) -> String {
        let v = &self.volume;
        let place = match self.movement {
            MovementType::CheckIn | MovementType::ChargeOut | MovementType::Transfer => {
                format!(" to {}", v.current.name)
            }
            MovementType::Found => format!(", now at {}", v.current.name),
            _ => String::new(),
        };
        let due = v.due_back_on.map(|d| format!(", due {}", crate::domain::dates::us_date(d))).unwrap_or_default();
        format!("{}  {} vol {} {}{place}{due}", v.barcode, v.patient_name, v.volume_no, self.movement.past_tense())
    }
}

/// What a scan was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scanned {
    /// A location's code: the volumes scanned next go there.
    Location(Location),
    Moved(Box<Moved>),
}

/// A volume past its due-back day, and by how many days.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OverdueVolume {
    #[serde(flatten)]
    pub volume: VolumeRecord,
    pub days_overdue: i64,
}

/// A volume flagged missing, where it was last known to be and since which day (the facility's):
/// where the search starts, rather than the file area it belongs in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MissingVolume {
    #[serde(flatten)]
    pub volume: VolumeRecord,
    pub last_known_since: NaiveDate,
}

/// What a fill did: the volumes charged out to the requester.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub request: ChartRequestRecord,
    pub charged: Vec<String>,
}

/// Who may ask for a chart and follow the request: the file room and every desk that needs paper.
const REQUESTERS: &[Permission] = &[
    Permission::TrackPaperCharts,
    Permission::LogRequests,
    Permission::ManageDeficiencies,
    Permission::CompleteDeficiencies,
    Permission::ViewReports,
];

/// A barcode or code as typed or scanned: trimmed, upper case (a wedge scanner types what the label
/// holds; a clerk typing may not hold shift).
fn scanned_text(raw: &str) -> String {
    raw.trim().to_uppercase()
}

/// Text safe to repeat in a message: short, printable.
fn shown(raw: &str) -> String {
    crate::domain::text::clean(raw).chars().take(30).collect()
}

/// Why a chart request cannot be filled as it stands: it is closed, or no volume of the chart is
/// in file to charge out (none at all, or each elsewhere). The desk refuses with these words and
/// the pull list says them before its question.
pub fn fill_refusal(request: &ChartRequestRecord) -> Option<String> {
    if request.status != RequestStatus::Open {
        return Some(format!("This request is already {}.", request.status.label()));
    }
    if request.volumes.iter().any(|v| v.status == VolumeStatus::InFile) {
        return None;
    }
    let whereabouts: Vec<String> =
        request.volumes.iter().map(|v| format!("vol {} {} ({})", v.volume_no, v.status.label(), v.location)).collect();
    Some(if whereabouts.is_empty() {
        "This chart has no paper volume: mark the request not fillable.".into()
    } else {
        format!(
            "No volume of this chart is in file ({}): mark the request not fillable, or transfer the volume.",
            whereabouts.join("; ")
        )
    })
}

impl Desk {
    fn require_file_room(&self) -> DeskResult<()> {
        self.require(Permission::TrackPaperCharts)
    }

    /// Every location, by code.
    pub fn locations(&self) -> DeskResult<Vec<Location>> {
        self.require_any(&[Permission::TrackPaperCharts, Permission::ViewChart])?;
        Ok(self.store().locations()?)
    }

    /// The location a clerk typed or scanned the code of.
    pub fn location(&self, code: &str) -> DeskResult<Location> {
        let wanted = scanned_text(code);
        let all = self.locations()?;
        all.iter().find(|l| l.code == wanted).cloned().ok_or_else(|| {
            let codes: Vec<&str> = all.iter().map(|l| l.code.as_str()).collect();
            DeskError::NotFound(format!(
                "No location has the code {}. The codes are: {}.",
                shown(code),
                codes.join(", ")
            ))
        })
    }

    /// The volume with this barcode.
    pub fn volume(&self, barcode: &str) -> DeskResult<VolumeRecord> {
        self.require_any(&[Permission::TrackPaperCharts, Permission::ViewChart])?;
        let volume = self
            .store()
            .volume_by_barcode(&scanned_text(barcode))?
            .ok_or_else(|| DeskError::NotFound(format!("No volume has the barcode {}.", shown(barcode))))?;
        self.refuse_own_record(volume.patient_id, Some(&volume.mrn))?;
        Ok(volume)
    }

    /// A patient's volumes, recorded as a look at the patient's chart.
    pub fn chart_volumes(&self, mrn: &str) -> DeskResult<Vec<VolumeRecord>> {
        self.require(Permission::ViewChart)?;
        let mrn = Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let patient = self
            .store()
            .patient_by_mrn(&mrn)?
            .ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?;
        self.refuse_own_record(patient.patient_id, Some(mrn.as_str()))?;
        let volumes = self.store().patient_volumes(patient.patient_id)?;
        let mut event =
            self.event(AuditAction::ViewPatient, "chart_volume", Some(mrn.to_string()), Some(patient.patient_id));
        event.detail = format!("volumes={}", volumes.len());
        self.store().append_audit(event)?;
        Ok(volumes)
    }

    /// Plans a move with the domain's rules and writes it at the version read.
    fn make_move(
        &self,
        volume: VolumeRecord,
        request: &MoveRequest<'_>,
        borrower: Option<String>,
        reason: Option<String>,
        request_id: Option<i64>,
    ) -> DeskResult<VolumeMove> {
        let state = VolumeState {
            status: volume.status,
            home_location_id: volume.home.id,
            current_location_id: volume.current.id,
        };
        let plan = plan_move(state, request, self.today()).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let mut audit =
            self.event(AuditAction::Update, "chart_volume", Some(volume.barcode.clone()), Some(volume.patient_id));
        let borrower = if plan.status == VolumeStatus::ChargedOut { borrower } else { None };
        let places = self.store().locations()?;
        let code = |id: i64| places.iter().find(|l| l.id == id).map_or("?", |l| l.code.as_str()).to_string();
        audit.detail = format!(
            "{} from={} to={}{}",
            plan.movement.code(),
            code(plan.from_location_id),
            code(plan.to_location_id),
            plan.due_back_on.map(|d| format!(" due={d}")).unwrap_or_default()
        );
        Ok(VolumeMove {
            volume_id: volume.id,
            expected_version: volume.version,
            status: plan.status,
            location_id: plan.to_location_id,
            borrower,
            due_back_on: plan.due_back_on,
            movement: plan.movement,
            from_location_id: Some(plan.from_location_id),
            to_location_id: Some(plan.to_location_id),
            reason,
            request_id,
            by: self.user().username.clone(),
            at: self.now(),
            audit,
        })
    }

    fn move_one(
        &self,
        barcode: &str,
        request: &MoveRequest<'_>,
        borrower: Option<String>,
        reason: Option<&str>,
    ) -> DeskResult<Moved> {
        self.require_file_room()?;
        let reason = checked_reason(reason)?;
        let volume = self.volume(barcode)?;
        let (barcode, from) = (volume.barcode.clone(), volume.current.clone());
        let planned = self.make_move(volume, request, borrower, reason, None)?;
        let movement = planned.movement;
        self.store().write_file_room(FileRoomWrite { moves: vec![planned], resolution: None })?;
        Ok(Moved { movement, volume: self.volume(&barcode)?, from })
    }

    /// Charges a volume out to a borrower location, due back on `due` or after the location's loan
    /// days; `borrower` is the person who has it, when there is one.
    pub fn charge_out(
        &self,
        barcode: &str,
        to: &str,
        due: Option<NaiveDate>,
        borrower: Option<&str>,
    ) -> DeskResult<Moved> {
        let to = self.location(to)?;
        let due = due.map(super::checked_date).transpose()?;
        self.move_one(barcode, &MoveRequest::ChargeOut { to: &to, due }, checked_borrower(borrower)?, None)
    }

    /// Checks a volume in to its home file area.
    pub fn check_in(&self, barcode: &str) -> DeskResult<Moved> {
        self.move_one(barcode, &MoveRequest::CheckIn, None, None)
    }

    /// Moves a charged-out volume to another borrower without a trip home.
    pub fn transfer(
        &self,
        barcode: &str,
        to: &str,
        due: Option<NaiveDate>,
        borrower: Option<&str>,
    ) -> DeskResult<Moved> {
        let to = self.location(to)?;
        let due = due.map(super::checked_date).transpose()?;
        self.move_one(barcode, &MoveRequest::Transfer { to: &to, due }, checked_borrower(borrower)?, None)
    }

    pub fn flag_missing(&self, barcode: &str, reason: Option<&str>) -> DeskResult<Moved> {
        self.move_one(barcode, &MoveRequest::Missing, None, reason)
    }

    /// Marks a missing volume found: in its file area, or charged to where it turned up.
    pub fn mark_found(&self, barcode: &str, at: Option<&str>, reason: Option<&str>) -> DeskResult<Moved> {
        let at = at.map(|code| self.location(code)).transpose()?;
        self.move_one(barcode, &MoveRequest::Found { at: at.as_ref() }, None, reason)
    }

    pub fn inactivate(&self, barcode: &str, reason: Option<&str>) -> DeskResult<Moved> {
        self.require_file_room()?;
        let volume = self.volume(barcode)?;
        let others = self.store().patient_volumes(volume.patient_id)?;
        let other_active = others.iter().filter(|v| v.id != volume.id && v.status != VolumeStatus::Inactive).count();
        crate::domain::file_room::may_inactivate(volume.status, other_active)
            .map_err(|e| DeskError::Invalid(e.to_string()))?;
        self.move_one(barcode, &MoveRequest::Inactivate, None, reason)
    }

    /// One scan of the scan workflow: a location's code sets where the next volumes go; a volume's
    /// barcode moves it there (charge-out from file, transfer from another borrower, check-in when
    /// the place is a file area). Anything else is refused with one line and moves nothing.
    pub fn scan(&self, at: Option<&Location>, text: &str) -> DeskResult<Scanned> {
        self.require_file_room()?;
        let code = scanned_text(text);
        if code.is_empty() {
            return Err(DeskError::Invalid("Nothing was scanned.".into()));
        }
        let locations = self.store().locations()?;
        if let Some(place) = locations.into_iter().find(|l| l.code == code) {
            return Ok(Scanned::Location(place));
        }
        let Some(at) = at else {
            return Err(DeskError::Invalid(format!(
                "{} is not a location: scan or type the location first, then the volumes.",
                shown(text)
            )));
        };
        let volume = self.volume(&code)?;
        let state = VolumeState {
            status: volume.status,
            home_location_id: volume.home.id,
            current_location_id: volume.current.id,
        };
        let request = scan_request(state, at);
        let (barcode, from) = (volume.barcode.clone(), volume.current.clone());
        let planned = self.make_move(volume, &request, None, None, None)?;
        let movement = planned.movement;
        self.store().write_file_room(FileRoomWrite { moves: vec![planned], resolution: None })?;
        Ok(Scanned::Moved(Box::new(Moved { movement, volume: self.volume(&barcode)?, from })))
    }

    /// Opens a new volume of a patient's chart (the last one is full), in the file area of the
    /// chart's other volumes (or the first file area): numbered after the last, barcode
    /// `V{MRN}-{number}`.
    pub fn new_volume(&self, mrn: &str) -> DeskResult<VolumeRecord> {
        self.require_file_room()?;
        let mrn = Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let patient = self
            .store()
            .patient_by_mrn(&mrn)?
            .ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?;
        self.refuse_own_record(patient.patient_id, Some(mrn.as_str()))?;
        let volumes = self.store().patient_volumes(patient.patient_id)?;
        let home = match volumes.last() {
            Some(v) => v.home.id,
            None => {
                let areas = self.store().locations()?;
                areas.iter().find(|l| l.is_file_area()).map(|l| l.id).ok_or_else(|| {
                    DeskError::Invalid("No file area is set up: a volume needs a home file area.".into())
                })?
            }
        };
        let volume_no = volumes.iter().map(|v| v.volume_no).max().unwrap_or(0) + 1;
        let barcode = format!("V{mrn}-{volume_no}");
        let mut audit =
            self.event(AuditAction::Create, "chart_volume", Some(barcode.clone()), Some(patient.patient_id));
        audit.detail = format!("CREATE volume={volume_no}");
        self.store().add_volume(
            NewChartVolume {
                patient_id: patient.patient_id,
                volume_no,
                record_type: "MEDICAL_RECORD".into(),
                barcode: barcode.clone(),
                home_location_id: home,
                by: self.user().username.clone(),
                at: self.now(),
            },
            audit,
        )?;
        self.volume(&barcode)
    }

    // ---- requests and pull lists ------------------------------------------------------------

    /// Asks the file room for a patient's chart at a location by a day.
    pub fn request_chart(
        &self,
        mrn: &str,
        for_location: &str,
        needed_on: NaiveDate,
        reason: &str,
    ) -> DeskResult<ChartRequestRecord> {
        let mrn = Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let patient = self
            .store()
            .patient_by_mrn(&mrn)?
            .ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?;
        let location = self.location(for_location)?;
        self.request_for_patient(patient.patient_id, &mrn, &location, needed_on, reason)
    }

    fn request_for_patient(
        &self,
        patient_id: i64,
        mrn: &Mrn,
        location: &Location,
        needed_on: NaiveDate,
        reason: &str,
    ) -> DeskResult<ChartRequestRecord> {
        self.require_any(REQUESTERS)?;
        self.refuse_own_record(patient_id, Some(mrn.as_str()))?;
        let needed_on = super::checked_date(needed_on)?;
        if needed_on < self.today() {
            return Err(DeskError::Invalid(format!(
                "The chart cannot be needed on {}: that is before today.",
                crate::domain::dates::us_date(needed_on)
            )));
        }
        let reason = checked_reason(Some(reason))?.unwrap_or_default();
        let on_hand =
            self.store().patient_volumes(patient_id)?.iter().filter(|v| v.status != VolumeStatus::Inactive).count();
        let open_same = self
            .store()
            .pull_list(needed_on)?
            .into_iter()
            .find(|r| r.patient_id == patient_id && r.for_location.id == location.id && r.status == RequestStatus::Open)
            .map(|r| crate::domain::file_room::OpenRequest { requested_by: r.requested_by, reason: r.reason });
        if let Some(refusal) =
            crate::domain::file_room::chart_request_refusal(location, needed_on, on_hand, open_same.as_ref())
        {
            return Err(DeskError::Invalid(refusal));
        }
        let mut audit = self.event(AuditAction::Create, "chart_request", Some(mrn.to_string()), Some(patient_id));
        audit.detail = format!("for={} needed={needed_on}", location.code);
        let ids = self.store().add_chart_requests(
            vec![NewChartRequest {
                patient_id,
                for_location_id: location.id,
                needed_on,
                requested_by: self.user().username.clone(),
                reason,
                filing_key: terminal_digit_key(mrn.as_str()),
                created_at: self.now(),
            }],
            audit,
        )?;
        let id = ids.first().copied().ok_or_else(|| DeskError::Invalid("the request was not written".into()))?;
        self.chart_request(id)
    }

    /// Asks for a chart to be brought to the first location of `kind` (`HIM_COMPLETION` for chart
    /// completion, `ROI` for a release), needed today: the other desks' link to the file room.
    pub fn request_chart_to(&self, patient_id: i64, kind: &str, reason: &str) -> DeskResult<ChartRequestRecord> {
        let location = self
            .store()
            .locations()?
            .into_iter()
            .find(|l| l.kind == kind)
            .ok_or_else(|| DeskError::NotFound(format!("No {kind} location is set up to bring the chart to.")))?;
        let chart = self.reread_chart(patient_id)?;
        self.request_for_patient(patient_id, &chart.patient.mrn, &location, self.today(), reason)
    }

    pub fn chart_request(&self, id: i64) -> DeskResult<ChartRequestRecord> {
        self.require_any(REQUESTERS)?;
        let request = self
            .store()
            .chart_request(id)?
            .ok_or_else(|| DeskError::NotFound("That chart request is not on file.".into()))?;
        self.refuse_own_record(request.patient_id, Some(&request.mrn))?;
        Ok(request)
    }

    /// A day's requests in terminal-digit order, the order the shelves are walked. Recorded as a
    /// look: the list names patients.
    pub fn pull_list(&self, on: NaiveDate) -> DeskResult<Vec<ChartRequestRecord>> {
        self.require_any(&[Permission::TrackPaperCharts, Permission::ViewReports])?;
        let list = self.store().pull_list(super::checked_date(on)?)?;
        self.record_list("chart_request", format!("listed the pull list for {on}: {} requests", list.len()))?;
        Ok(list)
    }

    /// Records that a list naming patients was read (the pull list, the overdue and missing
    /// volumes): one event for the list, as a search's summary is.
    fn record_list(&self, entity: &str, detail: String) -> DeskResult<()> {
        Ok(self.store().append_audit(self.audit_event(AuditAction::ViewPatient, entity, detail))?)
    }

    /// Fills a request: every volume of the chart that is in file is charged out to the
    /// requesting location, and the request closed, in one transaction.
    pub fn fill_request(&self, id: i64) -> DeskResult<Filled> {
        self.require_file_room()?;
        let request = self.chart_request(id)?;
        if let Some(refusal) = fill_refusal(&request) {
            return Err(DeskError::Invalid(refusal));
        }
        let to = self.location(&request.for_location.code)?;
        let mut moves = Vec::new();
        let mut charged = Vec::new();
        for brief in request.volumes.iter().filter(|v| v.status == VolumeStatus::InFile) {
            let volume = self.volume(&brief.barcode)?;
            charged.push(volume.barcode.clone());
            moves.push(self.make_move(volume, &MoveRequest::ChargeOut { to: &to, due: None }, None, None, Some(id))?);
        }
        let mut audit =
            self.event(AuditAction::Update, "chart_request", Some(request.mrn.clone()), Some(request.patient_id));
        audit.detail = format!("FILLED volumes={}", moves.len());
        let resolution = RequestResolution {
            request_id: id,
            expected_version: request.version,
            status: RequestStatus::Filled,
            reason: None,
            by: self.user().username.clone(),
            at: self.now(),
            audit,
        };
        self.store().write_file_room(FileRoomWrite { moves, resolution: Some(resolution) })?;
        Ok(Filled { request: self.chart_request(id)?, charged })
    }

    /// Closes a request the file room cannot fill, with why (RT's "Not Fillable").
    pub fn request_not_fillable(&self, id: i64, reason: &str) -> DeskResult<ChartRequestRecord> {
        self.require_file_room()?;
        let reason = checked_reason(Some(reason))?
            .ok_or_else(|| DeskError::Invalid("Say why the request cannot be filled.".into()))?;
        let request = self.chart_request(id)?;
        if request.status != RequestStatus::Open {
            return Err(DeskError::Invalid(format!("This request is already {}.", request.status.label())));
        }
        let mut audit =
            self.event(AuditAction::Update, "chart_request", Some(request.mrn.clone()), Some(request.patient_id));
        audit.detail = "NOT_FILLABLE".into();
        let resolution = RequestResolution {
            request_id: id,
            expected_version: request.version,
            status: RequestStatus::NotFillable,
            reason: Some(reason),
            by: self.user().username.clone(),
            at: self.now(),
            audit,
        };
        self.store().write_file_room(FileRoomWrite { moves: Vec::new(), resolution: Some(resolution) })?;
        self.chart_request(id)
    }

    /// Writes many requests with one audit event saying what they are (the demo, the benches):
    /// `(MRN, location code, needed on, reason)` each.
    pub fn insert_chart_requests(&self, wanted: &[(Mrn, &str, NaiveDate, &str)], detail: String) -> DeskResult<usize> {
        self.require(Permission::AdministerStore)?;
        let locations = self.store().locations()?;
        let mut requests = Vec::with_capacity(wanted.len());
        for (mrn, code, needed_on, reason) in wanted {
            let Some(patient) = self.store().patient_by_mrn(mrn)? else { continue };
            let location = locations
                .iter()
                .find(|l| l.code == *code)
                .ok_or_else(|| DeskError::NotFound(format!("No location has the code {}.", shown(code))))?;
            requests.push(NewChartRequest {
                patient_id: patient.patient_id,
                for_location_id: location.id,
                needed_on: *needed_on,
                requested_by: self.user().username.clone(),
                reason: (*reason).to_string(),
                filing_key: terminal_digit_key(mrn.as_str()),
                created_at: self.now(),
            });
        }
        let made = requests.len();
        self.store().add_chart_requests(requests, self.audit_event(AuditAction::Create, "chart_request", detail))?;
        Ok(made)
    }

    // ---- lists ------------------------------------------------------------------------------

    /// Volumes past their due-back day, by borrower location, with the days overdue. Recorded as
    /// a look.
    pub fn overdue_volumes(&self) -> DeskResult<Vec<OverdueVolume>> {
        self.require_any(&[Permission::TrackPaperCharts, Permission::ViewReports])?;
        let overdue = self.overdue_rows()?;
        self.record_list("chart_volume", format!("listed the overdue volumes: {}", overdue.len()))?;
        Ok(overdue)
    }

    fn overdue_rows(&self) -> DeskResult<Vec<OverdueVolume>> {
        let today = self.today();
        Ok(self
            .store()
            .overdue_volumes(today)?
            .into_iter()
            .map(|volume| {
                let days_overdue = volume.due_back_on.map_or(0, |due| overdue_days(due, today));
                OverdueVolume { volume, days_overdue }
            })
            .collect())
    }

    /// Volumes flagged missing. Recorded as a look.
    pub fn missing_volumes(&self) -> DeskResult<Vec<MissingVolume>> {
        self.require_any(&[Permission::TrackPaperCharts, Permission::ViewReports])?;
        let missing = self.store().missing_volumes()?;
        self.record_list("chart_volume", format!("listed the missing volumes: {}", missing.len()))?;
        Ok(missing
            .into_iter()
            .map(|(volume, since)| MissingVolume { volume, last_known_since: self.local_time(since).date() })
            .collect())
    }

    /// Writes an overdue notice to each borrower, text and PDF, under `dir` by day as the other
    /// letters are (`letters/2025-03-07/overdue-CODING-2025-03-07.txt`), and audits it as an
    /// export. Nothing overdue writes nothing.
    pub fn file_overdue_notices(&self, dir: &std::path::Path) -> DeskResult<Vec<std::path::PathBuf>> {
        self.require_file_room()?;
        let day_dir = dir.join(self.today().format("%Y-%m-%d").to_string());
        crate::files::create_dir(&day_dir, self.file_sharing()).map_err(|e| unwritable_notice(&day_dir, e))?;
        self.overdue_notices_into(&day_dir)
    }

    /// `volume overdue --notices DIR`: the notices written into `dir` itself, which the clerk named
    /// and which must exist — nothing is made where the clerk did not say (a typo at / would be).
    pub fn overdue_notices_to(&self, dir: &std::path::Path) -> DeskResult<Vec<std::path::PathBuf>> {
        self.require_file_room()?;
        if !dir.is_dir() {
            return Err(DeskError::Invalid(format!(
                "{} is not a directory: make it first (nothing was written)",
                dir.display()
            )));
        }
        self.overdue_notices_into(dir)
    }

    /// Each borrower's notice, PDF then text, at names nothing holds (`-2`… beside an earlier one;
    /// a planted link is never followed), with the store's modes; audited, or taken back.
    fn overdue_notices_into(&self, dir: &std::path::Path) -> DeskResult<Vec<std::path::PathBuf>> {
        use crate::report::file_room::{file_stem, overdue_notices};
        // The export's own event says what went; the list read to make it is not another look.
        let overdue = self.overdue_rows()?;
        if overdue.is_empty() {
            return Ok(Vec::new());
        }
        let today = self.today();
        let sharing = self.file_sharing();
        let mut files = Vec::new();
        let notices = overdue_notices(&overdue, today);
        let written = (|| {
            for notice in &notices {
                let stem = file_stem(notice, today);
                let Some(names) = crate::files::free_names(dir, &stem, &["pdf", "txt"]) else {
                    return Err(DeskError::Invalid(format!("a thousand {stem} notices are in {}", dir.display())));
                };
                let pdf =
                    crate::report::pdf::text_to_pdf(&notice.text).map_err(|e| DeskError::Invalid(e.to_string()))?;
                for (path, bytes) in names.iter().zip([pdf.as_slice(), notice.text.as_bytes()]) {
                    crate::files::write_new(path, bytes, sharing).map_err(|e| unwritable_notice(path, e))?;
                    files.push(path.clone());
                }
            }
            Ok(())
        })();
        let detail = format!("overdue notices to {} borrowers, {} volumes", notices.len(), overdue.len());
        let audited = written.and_then(|()| {
            self.store().append_audit(self.audit_event(AuditAction::Export, "chart_volume", detail)).map_err(Into::into)
        });
        if let Err(e) = audited {
            // A notice not in the audit trail does not go out, nor half a set.
            for file in &files {
                let _ = std::fs::remove_file(file);
            }
            return Err(e);
        }
        Ok(files)
    }
}

fn unwritable_notice(path: &std::path::Path, source: std::io::Error) -> DeskError {
    DeskError::File {
        what: format!(
            "could not write the overdue notice {} (make the directory writable for this account and try again)",
            path.display()
        ),
        source,
    }
}

/// A reason as typed: trimmed, at most 255 characters (RT's), no control characters; None when blank.
fn checked_reason(reason: Option<&str>) -> DeskResult<Option<String>> {
    checked_text(reason, "a reason", 255, "A reason is at most 255 characters.")
}

fn checked_borrower(borrower: Option<&str>) -> DeskResult<Option<String>> {
    checked_text(borrower, "a borrower", 60, "A borrower's name is at most 60 characters.")
}

/// Text a clerk typed: trimmed, no control characters, at most `max` characters (else `too_long`
/// says so); None when blank.
fn checked_text(text: Option<&str>, what: &str, max: usize, too_long: &str) -> DeskResult<Option<String>> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if let Some(problem) = crate::domain::text::control_character_problem(what, text) {
        return Err(DeskError::Invalid(problem));
    }
    if text.chars().count() > max {
        return Err(DeskError::Invalid(too_long.into()));
    }
    Ok(Some(text.to_string()))
}
