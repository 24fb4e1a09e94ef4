//! A deterministic synthetic hospital, from the first-run demo (a few thousand patients) to a
//! million patients for benchmarks. Dates are relative to the day it is made, so queues look live.
//!
//! Three hospitals (TX, CA, NY) and a TX practice; a medical staff with specialties and supervised
//! residents; patients named with US census frequencies; about three encounters each over the last
//! two years, a fifth of them inpatient stays; documents on the TIU ladder; open deficiencies for
//! recent discharges; paper chart volumes, some charged out; a few releases; deceased, restricted
//! and near-duplicate patients; and users of every role. The acceptance-scenario patients of
//! domain.md (SMITH, JOHN A; SMYTHE, JON; GARCIA, MARIA L; NGUYEN, THANH) are always there.

mod clinical;
mod names;
mod rng;
pub mod roi;

use crate::desk::{Desk, DeskError};
use crate::domain::chart::{FacilityKind, NewFacility};
use crate::domain::role::{Permission, Role};
use crate::domain::ssn::SsnKey;
use crate::store::records::BatchCounts;
use crate::store::{RecordBatch, StoreError};
use chrono::NaiveDate;
pub use clinical::HospitalPlan;

/// Patients per batch: one transaction each, small enough that memory stays flat at a million.
const BATCH_PATIENTS: usize = 5_000;

/// The most patients a demo makes: the master index of a large health system.
pub const MAX_PATIENTS: usize = 10_000_000;

/// How many patients the first run's demo hospital has.
pub const FIRST_RUN_PATIENTS: usize = 3_000;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub patients: usize,
    pub seed: u64,
    pub today: NaiveDate,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(
        "this store holds patients that the demo did not make; the demo writes only into an empty or demo store \
         (name another: --data-dir for a store file, --store for a database)"
    )]
    RealData,
    #[error(
        "this store already holds a demo hospital of {0} patients; for a new one, name another store \
         (--data-dir for a store file, --store for an empty database)"
    )]
    AlreadyPopulated(i64),
    #[error("{0} patients is more than the demo makes (at most 10,000,000)")]
    TooMany(usize),
    #[error("a demo makes at least 1 patient")]
    NoPatients,
    #[error("{0}")]
    Build(String),
    #[error(transparent)]
    Desk(#[from] DeskError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DemoError {
    /// The store's server could not be reached, or the connection to it was lost.
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::Desk(e) => e.is_unreachable(),
            Self::Store(e) => e.is_unreachable(),
            _ => false,
        }
    }
}

pub const FACILITIES: &[(&str, &str, &str, FacilityKind, &str)] = &[
    ("RGH", "Riverbend General Hospital", "TX", FacilityKind::Hospital, "America/Chicago"),
    ("RGC", "Riverbend Clinic", "TX", FacilityKind::Practice, "America/Chicago"),
    ("MVC", "Mission Valley Center", "CA", FacilityKind::Hospital, "America/Los_Angeles"),
    ("HDH", "Hudson Hospital", "NY", FacilityKind::Hospital, "America/New_York"),
];

/// The demo's staff (domain.md §5 fixtures), one of every role.
pub const USERS: &[(&str, &str, &[Role])] = &[
    ("jdoe", "Jane Doe", &[Role::HimClerk, Role::RoiSpecialist]),
    ("mlee", "Min Lee", &[Role::ChartAnalyst]),
    ("kwong", "Karen Wong", &[Role::Supervisor]),
    ("dhim", "Dana Hill", &[Role::Director]),
    ("pofc", "Pat Ofori", &[Role::PrivacyOfficer]),
    ("cody", "Cody Reyes", &[Role::Coder]),
    ("msoffice", "Morgan Stone", &[Role::MedicalStaffOffice]),
    ("tnguyen", "Thanh Nguyen", &[Role::HimClerk]),
];

/// Fills the desk's store with a demo hospital. `progress(done, total)` is called after each batch.
pub fn populate(
    desk: &Desk,
    key: &SsnKey,
    options: &DemoOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BatchCounts, DemoError> {
    desk.require_permission(Permission::AdministerStore)?;
    if options.patients > MAX_PATIENTS {
        return Err(DemoError::TooMany(options.patients));
    }
    // Refused before anything is written: 0 once marked the store a demo and wrote the fixtures.
    if options.patients == 0 {
        return Err(DemoError::NoPatients);
    }
    let info = desk.store_info()?;
    if info.has_real_data {
        return Err(DemoError::RealData);
    }
    if info.is_demo && info.patient_count > 0 {
        return Err(DemoError::AlreadyPopulated(info.patient_count));
    }
    desk.mark_demo(format!("demo hospital: {} patients, seed {}", options.patients, options.seed))?;

    for (code, name, state, kind, tz) in FACILITIES {
        if info.facilities.iter().any(|f| f.code == *code) {
            continue;
        }
        let facility =
            NewFacility::validate(code, name, state, *kind, tz).map_err(|e| DeskError::Invalid(e.to_string()))?;
        desk.add_facility(facility)?;
    }
    let existing: Vec<String> = desk.list_users()?.into_iter().map(|u| u.username).collect();
    for (username, display, roles) in USERS {
        if !existing.iter().any(|u| u == username) {
            desk.add_user(username, Some(display), roles.to_vec())?;
        }
    }

    let bulk = info.patient_count == 0 && options.patients >= 50_000;
    if bulk {
        desk.begin_bulk_load()?;
    }
    let plan = HospitalPlan::new(options, key.clone());
    let mut counts = desk.insert_records(plan.foundation_batch(), "demo hospital: staff and fixtures".into())?;
    let total = options.patients;
    let batches = total.div_ceil(BATCH_PATIENTS);
    // Generate the next batch on a second thread while the store writes this one.
    std::thread::scope(|scope| -> Result<(), DemoError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let plan = &plan;
        scope.spawn(move || {
            for b in 0..batches {
                let start = b * BATCH_PATIENTS;
                let end = (start + BATCH_PATIENTS).min(total);
                if tx.send(plan.patient_batch(start..end)).is_err() {
                    break;
                }
            }
        });
        for (b, batch) in rx.into_iter().enumerate() {
            // Each batch with its event: a demo killed part way leaves no row that no event covers.
            let (first, last) = (b * BATCH_PATIENTS + 1, ((b + 1) * BATCH_PATIENTS).min(total));
            let twins = batch.patients.len().saturating_sub(last + 1 - first);
            let detail = match twins {
                0 => format!("demo hospital: patients {first} to {last} of {total}"),
                1 => format!("demo hospital: patients {first} to {last} of {total} and 1 near-duplicate"),
                n => format!("demo hospital: patients {first} to {last} of {total} and {n} near-duplicates"),
            };
            counts += desk.insert_records(batch, detail)?;
            // Counted by the patients asked for: near-duplicates would run the count ahead of them.
            progress(last, total);
        }
        Ok(())
    })?;
    desk.finish_bulk_load()?;
    // The demo already analysed its discharges: the nightly run starts from today.
    let yesterday = options.today - chrono::Duration::days(1);
    desk.set_nightly_through(yesterday, format!("demo hospital: discharges analysed through {yesterday}"))?;
    // The ROI desk's address book and requests, on the patients just written.
    let requests = roi::populate(desk, options, &clinical::mrn_for, &mut |_, _| {})?;
    // Today's chart requests, so the file room's pull list has rows on the first run.
    let wanted = todays_chart_requests(desk, options)?;
    desk.insert_chart_requests(&wanted, format!("demo hospital: {} chart requests for today", wanted.len()))?;
    let summary = format!(
        "demo hospital: patients={} encounters={} documents={} deficiencies={} requests={requests} seed={}",
        counts.patients, counts.encounters, counts.documents, counts.deficiencies, options.seed
    );
    // How far the demo numbered each kind's accounts, so that imports number on from there.
    let numbering = RecordBatch { account_sequences: plan.account_sequences(), ..Default::default() };
    desk.insert_records(numbering, summary)?;
    Ok(counts)
}

/// How far past its place in the population a chart request looks for a patient with paper.
const PAPER_LOOK_AHEAD: usize = 400;

/// A dozen charts wanted today, spread over the population, each of a patient whose paper chart
/// is in the file room to pull: the demo gives paper only to patients who had a stay, so the
/// patient at each twelfth of the population is passed over for the next one who has a volume in
/// file (a request for a chart that has no paper would be unfillable on the first pull list).
fn todays_chart_requests(
    desk: &Desk,
    options: &DemoOptions,
) -> Result<Vec<(crate::domain::mrn::Mrn, &'static str, NaiveDate, &'static str)>, DemoError> {
    const PLACES: [&str; 6] = ["CARD", "ORTHO", "5N", "CODING", "ROI", "HIMC"];
    let mut wanted: Vec<(crate::domain::mrn::Mrn, &'static str, NaiveDate, &'static str)> = Vec::new();
    for k in 0..12usize.min(options.patients) {
        let start = k * options.patients / 12;
        for index in start..(start + PAPER_LOOK_AHEAD).min(options.patients) {
            let mrn = clinical::mrn_for(index);
            if wanted.iter().any(|(taken, ..)| *taken == mrn) {
                continue;
            }
            let Some(patient) = desk.store().patient_by_mrn(&mrn)? else { continue };
            let volumes = desk.store().patient_volumes(patient.patient_id)?;
            if volumes.iter().any(|v| v.status == crate::domain::file_room::VolumeStatus::InFile) {
                wanted.push((mrn, PLACES[k % PLACES.len()], options.today, "clinic visit"));
                break;
            }
        }
    }
    Ok(wanted)
}

/// The time zone the demo's days are counted in: the store's home facility's (the first, as the
/// desk's day is), or the demo's own home's when the store has none yet. A demo dated by the
/// host's day (UTC on a server) would put "today's" requests on tomorrow in the evening in Chicago.
pub fn home_zone(facilities: &[crate::domain::chart::Facility]) -> String {
    facilities.first().map(|f| f.timezone.clone()).unwrap_or_else(|| FACILITIES[0].4.to_string())
}

/// Where a demo into a store that does not exist yet is built: beside it, named for the process
/// (`chartroom.db.building-4242`), and renamed to the store only once it is whole. A demo that
/// fails or is killed part way leaves no half-built store at the store's path.
pub fn building_path(store_file: &std::path::Path) -> std::path::PathBuf {
    let name = store_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    store_file.with_file_name(format!("{name}.building-{}", std::process::id()))
}

/// The files SQLite keeps for the database at `path`: itself, its write-ahead log and its index.
fn with_companions(path: &std::path::Path) -> [std::path::PathBuf; 3] {
    let name = path.as_os_str().to_owned();
    let suffixed = |suffix: &str| {
        let mut s = name.clone();
        s.push(suffix);
        std::path::PathBuf::from(s)
    };
    [path.to_path_buf(), suffixed("-wal"), suffixed("-shm")]
}

/// Removes the builds of demos whose process no longer runs (killed, or the machine restarted):
/// a ten-million-patient one holds tens of gigabytes. Returns the builds removed.
pub fn remove_stale_builds(store_file: &std::path::Path) -> Vec<std::path::PathBuf> {
    let (Some(dir), Some(name)) = (store_file.parent(), store_file.file_name()) else { return Vec::new() };
    let prefix = format!("{}.building-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file_name.strip_prefix(&prefix).and_then(|rest| rest.parse::<u32>().ok()) else { continue };
        let running = pid == std::process::id() || std::path::Path::new(&format!("/proc/{pid}")).exists();
        if !running {
            for file in with_companions(&entry.path()) {
                let _ = std::fs::remove_file(file);
            }
            removed.push(entry.path());
        }
    }
    removed
}

/// Makes the finished build at `building` the store at `store_file`, once the build's last
/// connection has closed (SQLite then folds its log into the file and removes it).
pub fn finish_build(building: &std::path::Path, store_file: &std::path::Path) -> Result<(), DemoError> {
    let [_, wal, shm] = with_companions(building);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while wal.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    if wal.exists() {
        return Err(DemoError::Build(format!(
            "the demo was built at {} but its store did not close; nothing is at {} yet: rename the first to the \
             second once no chartroom runs",
            building.display(),
            store_file.display()
        )));
    }
    let _ = std::fs::remove_file(shm);
    if store_file.exists() {
        return Err(DemoError::Build(format!(
            "a store appeared at {} while the demo was being built; the demo is at {}",
            store_file.display(),
            building.display()
        )));
    }
    std::fs::rename(building, store_file).map_err(|e| {
        DemoError::Build(format!(
            "could not move the demo from {} to {}: {e}",
            building.display(),
            store_file.display()
        ))
    })
}

/// Where a demo written into an existing store keeps a copy of the store as it was, until the
/// demo is whole.
pub fn before_demo_path(store_file: &std::path::Path) -> std::path::PathBuf {
    let name = store_file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    store_file.with_file_name(format!("{name}.before-demo"))
}

/// The shell command that puts back the copy of a store taken before a demo was written into it:
/// the log and its index go first, since the copy is whole without them and a log left beside it
/// would be read as the copy's.
pub fn undo_command(store_file: &std::path::Path, before: &std::path::Path) -> String {
    let [store, wal, shm] = with_companions(store_file).map(|p| shell_quoted(&p));
    format!("rm -f {wal} {shm} && mv {} {store}", shell_quoted(before))
}

/// A path as one shell word, whatever it holds.
fn shell_quoted(path: &std::path::Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// Removes a build that failed.
pub fn discard_build(building: &std::path::Path) {
    for file in with_companions(building) {
        let _ = std::fs::remove_file(file);
    }
}
