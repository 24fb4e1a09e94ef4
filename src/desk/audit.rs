//! The audit trail as the privacy officer and the director read it: the chain verified, a
//! patient's access report, a user's activity, the charts opened past their warning. Reading the
//! trail is itself recorded, as a `SEARCH` of the entity `audit`.

use super::{Desk, DeskError, DeskResult, checked_date};
use crate::domain::audit::chain::{BreakKind, ChainBreak, ChainWalk};
use crate::domain::audit::{AuditAction, AuditEvent};
use crate::domain::mrn::Mrn;
use crate::domain::role::Permission;
use crate::store::AuditQuery;
use chrono::{DateTime, NaiveDate, Utc};

/// How many events one report shows at most; a longer one says that it was cut and asks for a
/// shorter range.
pub const REPORT_LIMIT: usize = 100_000;

/// How many events `audit verify` reads at a time.
const CHAIN_PAGE: usize = 20_000;

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainReport {
    /// The events the trail held when the walk began.
    pub total: i64,
    /// The events walked and found whole, oldest first, before any break.
    pub checked: u64,
    pub first_break: Option<ChainFault>,
    /// The hash of the last event walked whole: written down away from the store, it lets a later
    /// walk show that nothing up to it was rewritten (`--anchor`).
    pub head: Option<String>,
    /// What became of the anchor the walk was given: found at this position, or not in the trail.
    pub anchor: Option<AnchorCheck>,
}

/// An anchor (a hash written down after an earlier walk) looked for in the trail. Someone who can
/// write the store file can edit an event and compute every hash after it again, and the chain
/// then verifies; they cannot make the edited trail hold a hash taken before the edit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnchorCheck {
    pub hash: String,
    /// Its event's position in the trail, when found.
    pub found_at: Option<u64>,
}

/// Where the chain breaks, in the words `audit verify` prints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainFault {
    pub position: u64,
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `content` (the event is not what its hash was computed over) or `link` (it does not follow
    /// the event before it).
    pub kind: &'static str,
}

impl ChainReport {
    /// The chain holds, and holds the anchor it was given.
    pub fn is_whole(&self) -> bool {
        self.first_break.is_none() && self.anchor.as_ref().is_none_or(|a| a.found_at.is_some())
    }
}

impl From<ChainBreak> for ChainFault {
    fn from(b: ChainBreak) -> Self {
        let kind = match b.kind {
            BreakKind::ContentAltered => "content",
            BreakKind::DoesNotFollow => "link",
        };
        Self { position: b.position, id: b.id, at: b.at, kind }
    }
}

/// A report's events, oldest first, and whether there were more than it shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditReport {
    pub events: Vec<AuditEvent>,
    /// More events matched than [`REPORT_LIMIT`]: the report stops at the limit.
    pub truncated: bool,
}

impl Desk {
    /// Walks the audit chain from its first event and stops at the first break.
    pub fn verify_audit(&self, anchor: Option<&str>) -> DeskResult<ChainReport> {
        self.require(Permission::ViewAudit)?;
        let anchor = anchor.map(str::trim).map(str::to_ascii_lowercase);
        if let Some(hash) = &anchor
            && (hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(DeskError::Invalid(
                "an anchor is the 64 hexadecimal digits `audit verify` printed as the trail's last hash".into(),
            ));
        }
        let total = self.store.audit_count()?;
        let mut walk = ChainWalk::new();
        let mut after = i64::MIN;
        let mut first_break = None;
        let mut head = None;
        let mut found_at = None;
        'pages: loop {
            let page = self.store.audit_chain(after, CHAIN_PAGE)?;
            for event in &page {
                if let Err(broken) = walk.step(event) {
                    first_break = Some(ChainFault::from(broken));
                    break 'pages;
                }
                if found_at.is_none() && anchor.is_some() && event.hash == anchor {
                    found_at = Some(walk.checked());
                }
                head.clone_from(&event.hash);
            }
            match page.last() {
                Some(last) if page.len() == CHAIN_PAGE => after = last.id,
                _ => break,
            }
        }
        let anchor = anchor.map(|hash| AnchorCheck { hash, found_at });
        let report = ChainReport { total, checked: walk.checked(), first_break, head, anchor };
        let detail = match (&report.first_break, &report.anchor) {
            (Some(b), _) => format!("verified the chain: broken at event {} (id {}, {})", b.position, b.id, b.kind),
            (None, Some(AnchorCheck { found_at: None, .. })) => {
                format!("verified the chain: {} events whole, but without the anchor given", report.checked)
            }
            (None, _) => format!("verified the chain: {} events whole", report.checked),
        };
        self.record_audit_read(None, None, detail)?;
        Ok(report)
    }

    /// Every event about the patient with `mrn` from `from` to `to` (the department's days, both
    /// included): the searches that showed them, each look at their chart, what was printed,
    /// exported and released, each refusal and break of the glass, with who, when and from where.
    pub fn audit_access_report(&self, mrn: &str, from: NaiveDate, to: NaiveDate) -> DeskResult<AuditReport> {
        self.require(Permission::ViewAudit)?;
        let (start, end) = self.report_window(from, to)?;
        let mrn = Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let patient =
            self.store.patient_by_mrn(&mrn)?.ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?;
        let query = AuditQuery {
            patient_id: Some(patient.patient_id),
            from: Some(start),
            until: Some(end),
            limit: REPORT_LIMIT + 1,
            ..AuditQuery::default()
        };
        let report = self.report(&query)?;
        let detail = format!("access report {from} to {to}: {} events", report.events.len());
        self.record_audit_read(Some(patient.patient_id), Some(mrn.to_string()), detail)?;
        Ok(report)
    }

    /// Everything the user `username` did from `from` to `to` (the department's days, both included).
    pub fn audit_user_report(&self, username: &str, from: NaiveDate, to: NaiveDate) -> DeskResult<AuditReport> {
        self.require(Permission::ViewAudit)?;
        let (start, end) = self.report_window(from, to)?;
        let username = username.trim();
        if self.store.user_by_name(username)?.is_none() {
            return Err(DeskError::NotFound(format!("no chartroom user {username:?}")));
        }
        let query = AuditQuery {
            username: Some(username.to_string()),
            from: Some(start),
            until: Some(end),
            limit: REPORT_LIMIT + 1,
            ..AuditQuery::default()
        };
        let report = self.report(&query)?;
        let detail = format!("user report {from} to {to}: {} events", report.events.len());
        self.record_audit_read(None, Some(username.to_string()), detail)?;
        Ok(report)
    }

    /// The charts opened past their warning (`BREAK_GLASS`), since the department's day `since`, or
    /// all of them.
    pub fn break_glass_events(&self, since: Option<NaiveDate>) -> DeskResult<AuditReport> {
        self.require(Permission::ViewAudit)?;
        let from = match since {
            Some(day) => Some(self.clock.day_start(checked_date(day)?)),
            None => None,
        };
        let query = AuditQuery {
            action: Some(AuditAction::BreakGlass),
            from,
            limit: REPORT_LIMIT + 1,
            ..AuditQuery::default()
        };
        let report = self.report(&query)?;
        let since = since.map(|d| format!(" since {d}")).unwrap_or_default();
        let detail = format!("break-glass list{since}: {} events", report.events.len());
        self.record_audit_read(None, None, detail)?;
        Ok(report)
    }

    fn report(&self, query: &AuditQuery) -> DeskResult<AuditReport> {
        let mut events = self.store.audit_report(query)?;
        let truncated = events.len() > REPORT_LIMIT;
        events.truncate(REPORT_LIMIT);
        Ok(AuditReport { events, truncated })
    }

    /// The instants a report of the department's days `from` to `to` covers: from the start of
    /// `from` up to, not including, the start of the day after `to`.
    fn report_window(&self, from: NaiveDate, to: NaiveDate) -> DeskResult<(DateTime<Utc>, DateTime<Utc>)> {
        let (from, to) = (checked_date(from)?, checked_date(to)?);
        if from > to {
            return Err(DeskError::Invalid(format!("the range ends ({to}) before it starts ({from})")));
        }
        let after = to.succ_opt().unwrap_or(to);
        Ok((self.clock.day_start(from), self.clock.day_start(after)))
    }

    /// Records that the trail was read: a `SEARCH` of `audit`, naming the patient or user read about
    /// where there is one. Not written, the reading is refused: a read that leaves no trace is
    /// what this prevents.
    pub(crate) fn record_audit_read(
        &self,
        patient_id: Option<i64>,
        entity_id: Option<String>,
        detail: String,
    ) -> DeskResult<()> {
        let mut event = self.event(AuditAction::Search, "audit", entity_id, patient_id);
        event.detail = detail;
        Ok(self.store.append_audit(event)?)
    }
}
