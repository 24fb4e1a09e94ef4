//! How the desk asks `domain::roi` about a request it holds: the facts its clocks need, the
//! context of its checklist. One place, so that a request logged, paid, extended or validated is
//! judged the same way each time.

use crate::domain::chart::Facility;
use crate::domain::roi::checklist::{ChecklistContext, run_checklist};
use crate::domain::roi::clocks::{self, ClockFacts};
use crate::domain::roi::{AuthorizationForm, ChecklistItem, LegalProcess, RecordFormat, RequestType, RequesterKind};
use crate::store::roi::{DueDate, RoiRequest};
use chrono::NaiveDate;

/// What the clocks of a request are computed from.
pub(super) struct RequestFacts<'a> {
    pub facility: &'a Facility,
    pub request_type: RequestType,
    pub requester_kind: RequesterKind,
    pub format: RecordFormat,
    pub received_on: NaiveDate,
    pub paid_on: Option<NaiveDate>,
    pub legal_process: Option<&'a LegalProcess>,
}

impl RequestFacts<'_> {
    pub fn due(&self) -> DueDate {
        clocks::due_date(&ClockFacts {
            state: &self.facility.state,
            facility_kind: self.facility.kind,
            request_type: self.request_type,
            requester_kind: self.requester_kind,
            format: self.format,
            received_on: self.received_on,
            paid_on: self.paid_on,
            served_on: self.legal_process.map(|p| p.served_on),
            criminal: self.legal_process.is_some_and(|p| p.criminal),
        })
    }
}

/// The due date of a request as it stands: its clocks from receipt, the first payment recorded,
/// and the extension granted, if any.
pub(super) fn due_now(request: &RoiRequest, facility: &Facility, paid_on: Option<NaiveDate>) -> DueDate {
    let due = RequestFacts {
        facility,
        request_type: request.request_type,
        requester_kind: request.requester.kind,
        format: request.format,
        received_on: request.received_on,
        paid_on,
        legal_process: request.legal_process.as_ref(),
    }
    .due();
    match request.extended_due_on {
        Some(extended_on) => clocks::extended(&due, extended_on),
        None => due,
    }
}

/// The checklist of an authorization received on `received_on` for a request of this type from
/// this requester, judged on the day it was received.
pub(super) fn checklist(
    form: &AuthorizationForm,
    received_on: NaiveDate,
    facility: &Facility,
    requester_kind: RequesterKind,
) -> Vec<ChecklistItem> {
    let kind = form.kind;
    run_checklist(
        form,
        &ChecklistContext {
            checked_on: received_on,
            state: &facility.state,
            // What the request asks for beyond the designated record set is told by the paper's own
            // kind in part 1; part 2 reads it from the documents released.
            psychotherapy_notes: kind == Some(crate::domain::roi::AuthorizationKind::Psychotherapy),
            part2: kind == Some(crate::domain::roi::AuthorizationKind::Part2),
            hiv: kind == Some(crate::domain::roi::AuthorizationKind::HivSpecific),
            research: requester_kind == RequesterKind::Researcher,
        },
    )
}
