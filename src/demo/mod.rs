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

use crate::desk::{Desk, DeskError};
use crate::domain::audit::AuditAction;
use crate::domain::chart::{FacilityKind, NewFacility};
use crate::domain::role::{Permission, Role};
use crate::domain::ssn::SsnKey;
use crate::store::records::BatchCounts;
use crate::store::{RecordBatch, StoreError};
use chrono::NaiveDate;
pub use clinical::HospitalPlan;

/// Patients per batch: one transaction each, small enough that memory stays flat at a million.
const BATCH_PATIENTS: usize = 5_000;

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
         (use another --data-dir)"
    )]
    RealData,
    #[error("this store already holds a demo hospital of {0} patients; use another --data-dir for a new one")]
    AlreadyPopulated(i64),
    #[error("{0} patients is more than the demo makes (at most 4,000,000)")]
    TooMany(usize),
    #[error(transparent)]
    Desk(#[from] DeskError),
    #[error(transparent)]
    Store(#[from] StoreError),
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
    if options.patients > 4_000_000 {
        return Err(DemoError::TooMany(options.patients));
    }
    let info = desk.store_info()?;
    if info.has_real_data {
        return Err(DemoError::RealData);
    }
    if info.is_demo && info.patient_count > 0 {
        return Err(DemoError::AlreadyPopulated(info.patient_count));
    }
    desk.store().mark_demo()?;

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
        desk.store().begin_bulk_load()?;
    }
    let plan = HospitalPlan::new(options, key.clone());
    let mut counts = desk.store().insert_batch(plan.foundation_batch(), None)?;
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
        let mut done = 0;
        for batch in rx {
            done += batch.patients.len();
            counts += desk.store().insert_batch(batch, None)?;
            progress(done.min(total), total);
        }
        Ok(())
    })?;
    desk.store().finish_bulk_load()?;
    // The demo already analysed its discharges: the nightly run starts from today.
    let yesterday = options.today - chrono::Duration::days(1);
    desk.store().put_setting(
        crate::desk::deficiencies::NIGHTLY_THROUGH,
        &yesterday.format("%Y-%m-%d").to_string(),
        None,
    )?;
    let summary = format!(
        "demo hospital: patients={} encounters={} documents={} deficiencies={} seed={}",
        counts.patients, counts.encounters, counts.documents, counts.deficiencies, options.seed
    );
    desk.store().append_audit(desk.audit_event(AuditAction::Create, "store", summary))?;
    Ok(counts)
}
