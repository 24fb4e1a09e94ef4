//! Records written in bulk by the demo generator: each write checks the permission and carries its
//! audit event, as every other use case does, so that the demo never reaches the store around the
//! desk.

use super::{Desk, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::role::Permission;
use crate::store::RecordBatch;
use crate::store::records::BatchCounts;

impl Desk {
    /// Marks the store as demo data (`DEMO DATA` in every header), with why.
    pub fn mark_demo(&self, detail: String) -> DeskResult<()> {
        self.require_permission(Permission::AdministerStore)?;
        Ok(self.store().mark_demo(self.audit_event(AuditAction::Create, "store", detail))?)
    }

    /// Writes one batch of records in one transaction with its audit event (`detail` says what it
    /// carries: "demo hospital: patients 1 to 5000 of 3000000").
    pub fn insert_records(&self, batch: RecordBatch, detail: String) -> DeskResult<BatchCounts> {
        self.require_permission(Permission::AdministerStore)?;
        Ok(self.store().insert_batch(batch, self.audit_event(AuditAction::Create, "store", detail))?)
    }

    /// Prepares an empty store for a large load: its secondary indexes are built once at the end.
    pub fn begin_bulk_load(&self) -> DeskResult<()> {
        self.require_permission(Permission::AdministerStore)?;
        Ok(self.store().begin_bulk_load()?)
    }

    /// Builds what [`Desk::begin_bulk_load`] set aside.
    pub fn finish_bulk_load(&self) -> DeskResult<()> {
        self.require_permission(Permission::AdministerStore)?;
        Ok(self.store().finish_bulk_load()?)
    }

    /// The day through which the nightly run's work is done, for a store whose discharges were
    /// analysed by whoever made them (the demo): the next run starts the day after.
    pub fn set_nightly_through(&self, through: chrono::NaiveDate, detail: String) -> DeskResult<()> {
        self.require_permission(Permission::AdministerStore)?;
        let through = super::checked_date(through)?;
        let audit = self.audit_event(AuditAction::Update, "setting", detail);
        Ok(self.store().put_setting(
            super::deficiencies::NIGHTLY_THROUGH,
            &through.format("%Y-%m-%d").to_string(),
            Some(audit),
        )?)
    }
}
