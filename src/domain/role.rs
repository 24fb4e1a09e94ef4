//! Roles and what each may do. Checked per desk action, never per screen (VistA locks protocol
//! actions by security key, not menus).

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    HimClerk,
    RoiSpecialist,
    ChartAnalyst,
    Coder,
    Supervisor,
    Director,
    PrivacyOfficer,
    MedicalStaffOffice,
}

impl Role {
    pub const ALL: [Self; 8] = [
        Self::HimClerk,
        Self::RoiSpecialist,
        Self::ChartAnalyst,
        Self::Coder,
        Self::Supervisor,
        Self::Director,
        Self::PrivacyOfficer,
        Self::MedicalStaffOffice,
    ];

    /// The snake_case name used in commands and config.
    pub fn code(self) -> &'static str {
        match self {
            Self::HimClerk => "him_clerk",
            Self::RoiSpecialist => "roi_specialist",
            Self::ChartAnalyst => "chart_analyst",
            Self::Coder => "coder",
            Self::Supervisor => "supervisor",
            Self::Director => "director",
            Self::PrivacyOfficer => "privacy_officer",
            Self::MedicalStaffOffice => "medical_staff_office",
        }
    }

    /// How the header names the role: `ROI specialist`.
    pub fn title(self) -> &'static str {
        match self {
            Self::HimClerk => "HIM clerk",
            Self::RoiSpecialist => "ROI specialist",
            Self::ChartAnalyst => "chart analyst",
            Self::Coder => "coder",
            Self::Supervisor => "supervisor",
            Self::Director => "Director of HIM",
            Self::PrivacyOfficer => "privacy officer",
            Self::MedicalStaffOffice => "medical staff office",
        }
    }

    pub fn parse(code: &str) -> Result<Self, UnknownRole> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code.trim())
            .ok_or_else(|| UnknownRole(code.chars().take(40).collect()))
    }

    /// The role → permission table, from domain.md §4.5. A supervisor has every clerk's, ROI
    /// specialist's and analyst's permission plus voiding, reopening and reports; the director has
    /// everything a supervisor has plus the rules, the users, the store and the audit trail. Two
    /// permissions are deliberately nobody else's: confirming a physician's suspension is the medical
    /// staff office's act under the medical staff bylaws (the director sees the list, does not
    /// decide it), and the audit trail is read by the privacy officer and the director only.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Self::HimClerk => &[SearchPatients, ViewChart, TrackPaperCharts, LogRequests],
            Self::RoiSpecialist => &[SearchPatients, ViewChart, LogRequests, ReleaseRecords],
            Self::ChartAnalyst => &[SearchPatients, ViewChart, ManageDeficiencies, CompleteDeficiencies],
            Self::Coder => &[SearchPatients, ViewChart],
            Self::Supervisor => SUPERVISOR,
            Self::Director => &[
                SearchPatients,
                ViewChart,
                TrackPaperCharts,
                LogRequests,
                ReleaseRecords,
                ManageDeficiencies,
                CompleteDeficiencies,
                TakeOverWork,
                ReopenCharts,
                VoidRecords,
                ViewReports,
                ViewAudit,
                AdministerUsers,
                AdministerStore,
                ManageRules,
            ],
            Self::PrivacyOfficer => &[SearchPatients, ViewChart, ViewAudit],
            Self::MedicalStaffOffice => &[ViewReports, ConfirmSuspensions],
        }
    }
}

const SUPERVISOR: &[Permission] = &[
    Permission::SearchPatients,
    Permission::ViewChart,
    Permission::TrackPaperCharts,
    Permission::LogRequests,
    Permission::ReleaseRecords,
    Permission::ManageDeficiencies,
    Permission::CompleteDeficiencies,
    Permission::TakeOverWork,
    Permission::ReopenCharts,
    Permission::VoidRecords,
    Permission::ViewReports,
];

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}; roles are him_clerk, roi_specialist, chart_analyst, coder, supervisor, director, privacy_officer, medical_staff_office"
)]
pub struct UnknownRole(pub String);

/// One thing a user may do at the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    SearchPatients,
    ViewChart,
    TrackPaperCharts,
    LogRequests,
    ReleaseRecords,
    ManageDeficiencies,
    CompleteDeficiencies,
    /// Take over (or give up) work another clerk has taken. A supervisor's: an analyst also
    /// manages deficiencies, and claims among analysts would mean nothing if each could take
    /// the others' work.
    TakeOverWork,
    ReopenCharts,
    VoidRecords,
    ViewReports,
    ViewAudit,
    AdministerUsers,
    /// Create demo data, import, back up the store, add facilities.
    AdministerStore,
    ManageRules,
    ConfirmSuspensions,
}

impl Permission {
    pub fn describe(self) -> &'static str {
        match self {
            Self::SearchPatients => "search patients",
            Self::ViewChart => "open charts",
            Self::TrackPaperCharts => "track paper charts",
            Self::LogRequests => "log release requests",
            Self::ReleaseRecords => "release records",
            Self::ManageDeficiencies => "manage deficiencies",
            Self::CompleteDeficiencies => "complete deficiencies",
            Self::TakeOverWork => "take over another clerk's work",
            Self::ReopenCharts => "reopen completed charts",
            Self::VoidRecords => "void records",
            Self::ViewReports => "run reports",
            Self::ViewAudit => "read the audit trail",
            Self::AdministerUsers => "administer users",
            Self::AdministerStore => "administer the store",
            Self::ManageRules => "change rules",
            Self::ConfirmSuspensions => "confirm suspensions",
        }
    }
}

impl Permission {
    /// The roles that grant this permission, for a refusal that says who may: `chart_analyst,
    /// supervisor or director`.
    pub fn roles_needed(self) -> String {
        let roles: Vec<&str> =
            Role::ALL.into_iter().filter(|r| r.permissions().contains(&self)).map(Role::code).collect();
        match roles.as_slice() {
            [] => "no role".to_string(),
            [one] => (*one).to_string(),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        }
    }
}

/// Whether any of `roles` grants `permission`.
pub fn allows(roles: &[Role], permission: Permission) -> bool {
    roles.iter().any(|r| r.permissions().contains(&permission))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
        }
        assert!(Role::parse("janitor").is_err());
    }

    #[test]
    fn the_director_administers_and_a_clerk_does_not() {
        assert!(allows(&[Role::Director], Permission::AdministerUsers));
        assert!(!allows(&[Role::HimClerk], Permission::AdministerUsers));
        assert!(!allows(&[Role::HimClerk], Permission::ViewAudit));
        assert!(allows(&[Role::PrivacyOfficer], Permission::ViewAudit));
        assert!(allows(&[Role::ChartAnalyst], Permission::CompleteDeficiencies));
        assert!(!allows(&[Role::MedicalStaffOffice], Permission::ViewChart));
        assert!(!allows(&[], Permission::SearchPatients));
    }

    #[test]
    fn a_director_can_do_everything_a_supervisor_can() {
        for permission in SUPERVISOR {
            assert!(allows(&[Role::Director], *permission), "{permission:?}");
        }
        assert!(allows(&[Role::Director], Permission::CompleteDeficiencies));
        // The two the table keeps from the director, on purpose.
        assert!(!allows(&[Role::Director], Permission::ConfirmSuspensions));
        assert!(!allows(&[Role::Supervisor], Permission::ViewAudit));
    }

    #[test]
    fn a_refusal_names_the_roles_that_may() {
        assert_eq!(Permission::ReopenCharts.roles_needed(), "supervisor or director");
        assert_eq!(Permission::CompleteDeficiencies.roles_needed(), "chart_analyst, supervisor or director");
        assert_eq!(Permission::ConfirmSuspensions.roles_needed(), "medical_staff_office");
        assert_eq!(Permission::TakeOverWork.roles_needed(), "supervisor or director");
    }
}
