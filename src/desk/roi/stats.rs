//! The Director's view of release of information at the desk: who may run it (supervisors and the
//! Director — those who both release records and run reports), the period checked, the store's
//! counts turned into figures by `domain::roi::stats`, and the run recorded in the audit trail as a
//! report: what was counted, never a patient.

use super::super::{Desk, DeskError, DeskResult, checked_date};
use crate::domain::audit::AuditAction;
use crate::domain::dates::us_date;
use crate::domain::roi::stats::{Period, RoiStats, roi_stats};
use crate::domain::role::Permission;
use crate::store::roi::RoiStatsQuery;
use chrono::NaiveDate;
use serde::Serialize;

/// The figures of a period, and which facility they count (all when none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoiStatsReport {
    /// The facility's code; none for every facility.
    pub facility: Option<String>,
    #[serde(flatten)]
    pub stats: RoiStats,
}

impl Desk {
    /// The Director's figures for `from`..=`to` (facility days), of one facility or all; overdue is
    /// judged on the period's end, or today when the period reaches past it. Recorded as a report
    /// run.
    pub fn roi_stats(&self, from: NaiveDate, to: NaiveDate, facility: Option<&str>) -> DeskResult<RoiStatsReport> {
        // Both: reports alone is also the medical staff office's, which has no business with ROI.
        self.require_permission(Permission::ViewReports)?;
        self.require_permission(Permission::ReleaseRecords)?;
        let period =
            Period::new(checked_date(from)?, checked_date(to)?).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let today = self.today();
        if period.from > today {
            return Err(DeskError::Invalid(format!(
                "the period starts {}, after today ({}): there is nothing to count yet",
                us_date(period.from),
                us_date(today)
            )));
        }
        let facility = facility.map(|code| self.roi_facility(code)).transpose()?;
        let query = RoiStatsQuery { period, as_of: period.as_of(today), facility_id: facility.as_ref().map(|f| f.id) };
        let facts = self.store().roi_stats_facts(&query)?;
        let stats = roi_stats(period, today, &facts);
        let detail = format!(
            "ran the ROI report for {} to {} ({})",
            us_date(period.from),
            us_date(period.to),
            facility.as_ref().map_or_else(|| "every facility".to_string(), |f| f.code.clone())
        );
        self.store().append_audit(self.audit_event(AuditAction::Search, "roi_stats", detail))?;
        Ok(RoiStatsReport { facility: facility.map(|f| f.code), stats })
    }
}
