//! Release of information at the desk: logging a request (after the intake check of the
//! patient's recent requests), its authorization checklist, its steps through the status machine,
//! extensions, payments and the release itself, the queue, the requester address book, drafts of
//! the intake form and the letter templates.
//!
//! Every change goes the same way: the permission first, then what was typed is checked, the rules
//! of `domain::roi` decide, and the store writes one versioned change with its audit event — or
//! refuses it because someone else changed the request first, which comes back as who and what.

pub mod accounting;
pub mod fees;
pub mod intake;
pub mod legal;
mod letters;
mod log;
pub mod packet;
pub mod request_file;
mod rules;
pub mod stats;
mod work;

pub use intake::{FieldProblem, IntakeForm, IntakeRequester};
pub use letters::TemplateView;
pub use log::{Logged, NO_AUTHORIZATION, OnOpenRequest};
pub use rules::{authorization_checklist, release_basis, status_after_authorization};
pub use work::{scope_description, scope_words};

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::chart::Facility;
use crate::domain::roi::aging::RoiAge;
use crate::domain::roi::status::{Step, steps_from};
use crate::domain::roi::{RequestNumber, RequestStatus, RequestType, Requester};
use crate::domain::role::Permission;
use crate::store::roi::{RoiChange, RoiQueueFilter, RoiQueuePage, RoiQueueRow, RoiRequest, RoiSort};
use crate::store::{Page, StoreError};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The kind under which the intake form's draft is kept.
pub const INTAKE_DRAFT: &str = "roi_intake";

/// Whose requests a queue lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    /// The signed-in clerk's.
    Me,
    /// Nobody's yet.
    Nobody,
    User(String),
}

/// What narrows the ROI queue, in a clerk's terms; the desk turns "overdue" and "due within N
/// days" into dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoiQuery {
    /// None: the open ones.
    pub statuses: Vec<RequestStatus>,
    pub request_type: Option<RequestType>,
    /// A requester's name or organization starting with this.
    pub requester: Option<String>,
    pub assignee: Option<Assignee>,
    /// Past their due date.
    pub overdue: bool,
    /// Due today or within this many days.
    pub due_within: Option<u32>,
    /// A facility's code.
    pub facility: Option<String>,
    /// One patient's, by MRN.
    pub patient: Option<String>,
}

/// The aging bands of the ROI queue (domain.md §3 P2): days since receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgingBand {
    pub label: &'static str,
    pub count: i64,
}

/// What intake shows before a number is issued (BRN's "last 4 disclosures", AS-16): the patient's
/// last four requests, and every open one from the same requester.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IntakeCheck {
    pub recent: Vec<RoiQueueRow>,
    pub open_from_requester: Vec<RoiQueueRow>,
}

impl Desk {
    /// Those who work requests: the clerks who log them and the specialists who release them.
    fn require_roi_reader(&self) -> DeskResult<()> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])
    }

    /// A request by the number a clerk typed (`RGH-00041`, `rgh-41`), recording that she looked
    /// at it: a request names its patient.
    pub fn roi_request(&self, number: &str) -> DeskResult<RoiRequest> {
        self.require_roi_reader()?;
        let request = self.request_by_number(number)?;
        let event = self.roi_event(AuditAction::ViewPatient, &request, "viewed the request".into());
        self.store().append_audit(event)?;
        Ok(request)
    }

    /// The steps the signed-in clerk may take on `request` now, in the order a screen offers them
    /// (onward first): the status machine's, less those her roles do not grant. A release is among
    /// them; the desk takes it with its date ([`Desk::roi_release`]).
    pub fn roi_next_steps(&self, request: &RoiRequest) -> DeskResult<Vec<Step>> {
        let user = self.current_user()?;
        Ok(steps_from(request.status).into_iter().filter(|step| step.allowed_for(&user.roles)).collect())
    }

    /// A request opened from a list row (the queue, a chart's releases), recording the look as
    /// [`Desk::roi_request`] does.
    pub fn open_roi_request(&self, id: i64) -> DeskResult<RoiRequest> {
        let request = self.reread_roi_request(id)?;
        let event = self.roi_event(AuditAction::ViewPatient, &request, "viewed the request".into());
        self.store().append_audit(event)?;
        Ok(request)
    }

    /// The request on screen read again to follow others' work on it: not another look, so no
    /// event (as [`Desk::reread_chart`]).
    pub fn reread_roi_request(&self, id: i64) -> DeskResult<RoiRequest> {
        self.require_roi_reader()?;
        let request = self
            .store()
            .roi_request_by_id(id)?
            .ok_or_else(|| DeskError::NotFound("that request is no longer in the store".into()))?;
        self.refuse_own_record(request.patient_id, Some(request.mrn.as_str()))?;
        Ok(request)
    }

    /// Every use case on one request finds it here, so the clerk's own record is refused here.
    pub(crate) fn request_by_number(&self, number: &str) -> DeskResult<RoiRequest> {
        let parsed = RequestNumber::parse(number).ok_or_else(|| {
            DeskError::Invalid(format!(
                "{:?} is not a request number; they are a facility code and a number, like RGH-00041",
                intake::shown(number)
            ))
        })?;
        let request =
            self.store().roi_request(&parsed)?.ok_or_else(|| DeskError::NotFound(format!("no request {parsed}")))?;
        self.refuse_own_record(request.patient_id, Some(request.mrn.as_str()))?;
        Ok(request)
    }

    /// A page of the ROI queue.
    pub fn roi_queue(&self, query: &RoiQuery, sort: RoiSort, page: Page) -> DeskResult<RoiQueuePage> {
        self.require_roi_reader()?;
        let filter = self.roi_filter(query)?;
        Ok(self.store().roi_queue_page(&filter, sort, page)?)
    }

    /// The open requests the query matches, in the aging bands 0–15, 16–25, 26–30 and over 30
    /// days since receipt.
    pub fn roi_aging(&self, query: &RoiQuery) -> DeskResult<Vec<AgingBand>> {
        self.require_roi_reader()?;
        let filter = self.roi_filter(query)?;
        let today = self.today();
        let mut bands: Vec<AgingBand> =
            RoiAge::ALL.iter().map(|age| AgingBand { label: age.label(), count: 0 }).collect();
        for (received_on, count) in self.store().roi_open_ages(&filter)? {
            let age = RoiAge::since(received_on, today);
            if let Some(i) = RoiAge::ALL.iter().position(|a| *a == age) {
                bands[i].count += count;
            }
        }
        Ok(bands)
    }

    fn roi_filter(&self, query: &RoiQuery) -> DeskResult<RoiQueueFilter> {
        let today = self.today();
        let facility_id = match &query.facility {
            Some(code) => Some(self.roi_facility(code)?.id),
            None => None,
        };
        let patient_id = match &query.patient {
            Some(mrn) => {
                let mrn = crate::domain::mrn::Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
                let patient = self
                    .store()
                    .patient_by_mrn(&mrn)?
                    .ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?;
                self.refuse_own_record(patient.patient_id, Some(mrn.as_str()))?;
                Some(patient.patient_id)
            }
            None => None,
        };
        if let Some(days) = query.due_within
            && days > 3650
        {
            return Err(DeskError::Invalid(format!("due within {days} days: at most 3650 (ten years)")));
        }
        let overdue = query.overdue.then(|| today.pred_opt().unwrap_or(today));
        let within = query.due_within.map(|days| today + chrono::Duration::days(i64::from(days)));
        let due_by = match (overdue, within) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let assigned_to = query.assignee.as_ref().map(|a| match a {
            Assignee::Me => self.user().username.clone(),
            Assignee::Nobody => String::new(),
            Assignee::User(name) => name.trim().to_string(),
        });
        Ok(RoiQueueFilter {
            statuses: query.statuses.clone(),
            request_type: query.request_type,
            requester: query.requester.as_ref().map(|r| r.trim().to_string()).filter(|r| !r.is_empty()),
            assigned_to,
            due_by,
            facility_id,
            patient_id,
        })
    }

    /// A patient's requests, newest first: the chart's Releases tab.
    pub fn roi_requests_for_patient(&self, patient_id: i64, limit: usize) -> DeskResult<Vec<RoiQueueRow>> {
        self.require_permission(Permission::ViewChart)?;
        self.refuse_own_record(patient_id, None)?;
        Ok(self.store().roi_requests_for_patient(patient_id, limit)?)
    }

    /// What intake shows before a number is issued: the patient's last four requests, and the
    /// open ones from `requester` (an address-book entry) when one is chosen.
    pub fn roi_intake_check(&self, patient_id: i64, requester: Option<i64>) -> DeskResult<IntakeCheck> {
        self.require_permission(Permission::LogRequests)?;
        self.refuse_own_record(patient_id, None)?;
        let recent = self.store().roi_requests_for_patient(patient_id, 4)?;
        let open_from_requester = match requester {
            Some(id) => self.store().roi_open_for_requester(patient_id, id)?,
            None => Vec::new(),
        };
        Ok(IntakeCheck { recent, open_from_requester })
    }

    /// The address book, by the first letters of a name or organization, as the clerk types.
    pub fn search_requesters(&self, prefix: &str, limit: usize) -> DeskResult<Vec<Requester>> {
        self.require_roi_reader()?;
        if prefix.trim().is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.store().search_requesters(prefix.trim(), limit.clamp(1, 200))?)
    }

    /// Adds a requester to the address book (an attorney's firm, an insurer, an agency).
    pub fn add_requester(&self, new: crate::domain::roi::NewRequester) -> DeskResult<Requester> {
        self.require_permission(Permission::LogRequests)?;
        let form = IntakeForm { requester: IntakeRequester::New(new.clone()), ..IntakeForm::default() };
        let problems: Vec<FieldProblem> =
            intake::check_form(&form, self.today()).into_iter().filter(|p| p.field.starts_with("requester.")).collect();
        if !problems.is_empty() {
            return Err(DeskError::Invalid(problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")));
        }
        let mut event = self.audit_event(AuditAction::Create, "requester", format!("{} added", new.kind.code()));
        event.entity_id = None;
        Ok(self.store().add_requester(new, event)?)
    }

    /// Writes many requests in one transaction with one event: the demo's bulk path, numbered as
    /// logging numbers them. Store administration, as the rest of the demo.
    pub fn insert_roi_batch(
        &self,
        requests: Vec<crate::store::roi::NewRoiRequest>,
        detail: String,
    ) -> DeskResult<usize> {
        self.require_permission(Permission::AdministerStore)?;
        Ok(self.store().insert_roi_batch(requests, self.audit_event(AuditAction::Create, "roi_request", detail))?)
    }

    /// Keeps the clerk's half-filled intake form, to be offered back after a dropped session.
    pub fn save_intake_draft(&self, form: &IntakeForm) -> DeskResult<()> {
        self.require_permission(Permission::LogRequests)?;
        let body = serde_json::to_string(form).map_err(|e| DeskError::Invalid(e.to_string()))?;
        Ok(self.store().save_draft(&self.user().username, INTAKE_DRAFT, &body, self.now())?)
    }

    /// The intake form the clerk left, and when. A draft this version cannot read (kept by an
    /// older one) is offered as nothing rather than as an error.
    pub fn intake_draft(&self) -> DeskResult<Option<(IntakeForm, DateTime<Utc>)>> {
        self.require_permission(Permission::LogRequests)?;
        let Some((body, at)) = self.store().draft(&self.user().username, INTAKE_DRAFT)? else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&body).ok().map(|form| (form, at)))
    }

    pub fn discard_intake_draft(&self) -> DeskResult<()> {
        self.require_permission(Permission::LogRequests)?;
        Ok(self.store().discard_draft(&self.user().username, INTAKE_DRAFT)?)
    }

    pub(crate) fn roi_facility(&self, code: &str) -> DeskResult<Facility> {
        let facilities = self.store().list_facilities()?;
        let code = code.trim();
        facilities.iter().find(|f| f.code.eq_ignore_ascii_case(code)).cloned().ok_or_else(|| {
            let known: Vec<&str> = facilities.iter().map(|f| f.code.as_str()).collect();
            DeskError::NotFound(format!("no facility {:?}; known: {}", intake::shown(code), known.join(", ")))
        })
    }

    pub(crate) fn facility_by_id(&self, id: i64) -> DeskResult<Facility> {
        self.store()
            .list_facilities()?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or_else(|| DeskError::NotFound("the request's facility is no longer in the store".into()))
    }

    /// An event about a request: its number and its patient, never the patient's identifiers in
    /// the words.
    pub(crate) fn roi_event(&self, action: AuditAction, request: &RoiRequest, detail: String) -> NewAuditEvent {
        let mut event = self.audit_event(action, "roi_request", detail);
        event.entity_id = Some(request.number.to_string());
        event.patient_id = Some(request.patient_id);
        event
    }

    /// A change of `request` that moves nothing yet, at the version it was read.
    pub(crate) fn roi_change(&self, request: &RoiRequest, detail: String) -> RoiChange {
        RoiChange {
            request_id: request.id,
            expected_version: request.version,
            at: self.now(),
            by: self.user().username.clone(),
            status: request.status,
            status_reason: None,
            assigned_to: None,
            due: None,
            extension: None,
            add_authorization: None,
            add_follow_up: None,
            add_letter: None,
            add_payment: None,
            add_disclosure: None,
            add_fee: None,
            add_fee_adjustment: None,
            legal_process: None,
            add_packet: None,
            released_on: None,
            detail,
        }
    }

    /// The request as the clerk last saw it, or a refusal saying who changed it since, and how.
    pub(crate) fn request_as_seen(&self, number: &str, seen_version: Option<i64>) -> DeskResult<RoiRequest> {
        let request = self.request_by_number(number)?;
        match seen_version {
            Some(seen) if seen != request.version => Err(self.moved_since(&request, seen)),
            _ => Ok(request),
        }
    }

    /// Writes a change; a refusal because the request moved meanwhile says who moved it and how.
    pub(crate) fn apply_roi_change(
        &self,
        request: &RoiRequest,
        change: RoiChange,
        audit: NewAuditEvent,
    ) -> DeskResult<RoiRequest> {
        match self.store().apply_roi_change(change, audit) {
            Ok(changed) => Ok(changed),
            Err(StoreError::Conflict) => {
                let now = self.store().roi_request_by_id(request.id)?;
                Err(match now {
                    Some(now) => self.moved_since(&now, request.version),
                    None => DeskError::NotFound(format!("{} is no longer in the store", request.number)),
                })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `RGH-00041 was changed since you read it — by kwong at 03/03/2025 10:45: Pended: Deficient
    /// authorization. Nothing was changed; look at it again.`
    fn moved_since(&self, now: &RoiRequest, seen: i64) -> DeskError {
        let changes: Vec<String> = now
            .history
            .iter()
            .filter(|h| h.version > seen)
            .map(|h| format!("by {} at {}: {}", h.by, self.local_time(h.at).format("%m/%d/%Y %H:%M"), h.detail))
            .collect();
        let what = match changes.as_slice() {
            [] => String::new(),
            [one] => format!(" — {one}"),
            [.., last] => format!(" — {} changes, the last {last}", changes.len()),
        };
        DeskError::Invalid(format!(
            "{} was changed since you read it{what}. Nothing was changed; look at it again.",
            now.number
        ))
    }
}
