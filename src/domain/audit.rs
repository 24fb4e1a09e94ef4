//! The audit trail: who did what, to which patient, from where. Append-only, hash-chained.

pub mod chain;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuditAction {
    Search,
    ViewPatient,
    Create,
    Update,
    Void,
    Export,
    Login,
    AccessDenied,
    Backup,
    /// A restricted, employee or VIP chart opened past its warning with a typed reason (AS-03).
    BreakGlass,
    /// A session locked (idle, or three wrong signature codes) or resumed with the signature code.
    Lock,
    Unlock,
}

impl AuditAction {
    pub const ALL: [Self; 12] = [
        Self::Search,
        Self::ViewPatient,
        Self::Create,
        Self::Update,
        Self::Void,
        Self::Export,
        Self::Login,
        Self::AccessDenied,
        Self::Backup,
        Self::BreakGlass,
        Self::Lock,
        Self::Unlock,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Search => "SEARCH",
            Self::ViewPatient => "VIEW_PATIENT",
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Void => "VOID",
            Self::Export => "EXPORT",
            Self::Login => "LOGIN",
            Self::AccessDenied => "ACCESS_DENIED",
            Self::Backup => "BACKUP",
            Self::BreakGlass => "BREAK_GLASS",
            Self::Lock => "LOCK",
            Self::Unlock => "UNLOCK",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// An event about to be written. The store stamps the id and writes it in the same transaction as
/// the change it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuditEvent {
    pub at: DateTime<Utc>,
    pub username: String,
    /// `ssh 203.0.113.5` when the session came over SSH, else `local`.
    pub source: String,
    pub action: AuditAction,
    /// What kind of thing: `patient`, `user`, `facility`, `store`…
    pub entity: String,
    pub entity_id: Option<String>,
    pub patient_id: Option<i64>,
    /// The physician the event concerns (a deficiency of theirs, their leave or suspension), so
    /// that a provider's history finds it.
    pub provider_id: Option<i64>,
    /// A short, identifier-free description: the query shape, the old and new values of a setting.
    pub detail: String,
}

/// An event as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub username: String,
    pub source: String,
    pub action: AuditAction,
    pub entity: String,
    pub entity_id: Option<String>,
    pub patient_id: Option<i64>,
    pub patient_mrn: Option<String>,
    pub provider_id: Option<i64>,
    pub provider_npi: Option<String>,
    pub detail: String,
}

/// Where a session comes from, for the audit trail: the SSH client address when there is one.
/// `ssh_connection` is the value of `SSH_CONNECTION` ("client_ip client_port server_ip server_port").
///
/// chartroom runs as the clerk's own process and never sees the network connection: the address
/// is what the environment says, which sshd sets but the clerk can change before starting
/// chartroom. So the source names where it was read (`ssh 203.0.113.5 (SSH_CONNECTION)`), and a
/// privacy officer reads it as the client's word, to be matched against sshd's own log.
pub fn session_source(ssh_connection: Option<&str>) -> String {
    match ssh_connection.and_then(|s| s.split_whitespace().next()) {
        Some(ip) if ip.chars().all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':') => {
            format!("ssh {ip} {FROM_ENVIRONMENT}")
        }
        _ => "local".to_string(),
    }
}

/// What a source read from the session's environment carries, so that it is never taken for an
/// address seen on a socket.
pub const FROM_ENVIRONMENT: &str = "(SSH_CONNECTION)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_source_is_the_client_address() {
        assert_eq!(session_source(Some("203.0.113.5 51234 10.0.0.2 22")), "ssh 203.0.113.5 (SSH_CONNECTION)");
        assert_eq!(session_source(Some("::1 5 ::1 22")), "ssh ::1 (SSH_CONNECTION)");
        assert_eq!(session_source(None), "local");
        assert_eq!(session_source(Some("\x1b[2J 1 2 3")), "local");
    }
}
