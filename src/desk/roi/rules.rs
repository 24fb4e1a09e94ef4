//! How the desk asks `domain::roi` about a request it holds: the facts its clocks need, the
//! context of its checklist. One place, so that a request logged, paid, extended or validated is
//! judged the same way each time.

use crate::domain::chart::Facility;
use crate::domain::roi::checklist::{ChecklistContext, run_checklist};
use crate::domain::roi::clocks::{self, ClockFacts};
use crate::domain::roi::status::{Step, transition};
use crate::domain::roi::{
    AuthorizationForm, AuthorizationKind, ChecklistItem, LegalProcess, RecordFormat, RequestStatus, RequestType,
    RequesterKind,
};
use crate::domain::role::Role;
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

/// The checklist of an authorization received on `received_on` for a request from a requester of
/// this kind, at a facility in `state`, judged on the day it was received. Pure: the request screen
/// and intake run it as the clerk types, to show what saving will find.
pub fn authorization_checklist(
    form: &AuthorizationForm,
    received_on: NaiveDate,
    state: &str,
    requester_kind: RequesterKind,
) -> Vec<ChecklistItem> {
    let kind = form.kind;
    run_checklist(
        form,
        &ChecklistContext {
            checked_on: received_on,
            state,
            // What the request asks for beyond the designated record set is told by the paper's own
            // kind in part 1; part 2 reads it from the documents released.
            psychotherapy_notes: kind == Some(AuthorizationKind::Psychotherapy),
            part2: kind == Some(AuthorizationKind::Part2),
            hiv: kind == Some(AuthorizationKind::HivSpecific),
            research: requester_kind == RequesterKind::Researcher,
        },
    )
}

pub(super) fn checklist(
    form: &AuthorizationForm,
    received_on: NaiveDate,
    facility: &Facility,
    requester_kind: RequesterKind,
) -> Vec<ChecklistItem> {
    authorization_checklist(form, received_on, &facility.state, requester_kind)
}

/// Where a request at `status` goes when an authorization whose checklist `passed` is added by a
/// clerk holding `roles`: passed, paused work resumes and new work is validated; failed, the request
/// is pended — each only when her roles grant that step and the status machine allows it, else it
/// stays where it is. One rule for the desk that writes it and the screen that asks about it.
pub fn status_after_authorization(passed: bool, status: RequestStatus, roles: &[Role]) -> RequestStatus {
    let step = match (passed, status) {
        (true, RequestStatus::Pended) => Some(Step::Resume),
        (true, RequestStatus::Logged) => Some(Step::Validate),
        (false, status) if status != RequestStatus::Pended => Some(Step::Pend),
        _ => None,
    };
    step.filter(|step| step.allowed_for(roles)).and_then(|step| transition(status, step).ok()).unwrap_or(status)
}

/// What a release of `request` is made under: the court's process when it came with one, else
/// what its type is (a patient's own copy, an authorization…). The desk records it; the release
/// question says beforehand whether it will be in the patient's accounting (164.528).
pub fn release_basis(request: &RoiRequest) -> crate::domain::roi::LegalBasis {
    match &request.legal_process {
        Some(_) => crate::domain::roi::LegalBasis::Judicial,
        None => crate::domain::roi::LegalBasis::for_request(request.request_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authorization_moves_the_request_only_by_a_step_the_clerk_may_take() {
        use RequestStatus::*;
        let specialist = [Role::RoiSpecialist];
        let clerk = [Role::HimClerk];
        assert_eq!(status_after_authorization(true, Pended, &specialist), Validating);
        assert_eq!(status_after_authorization(true, Pended, &clerk), Validating, "resuming is a clerk's step");
        assert_eq!(status_after_authorization(true, Logged, &specialist), Validating);
        assert_eq!(status_after_authorization(true, Logged, &clerk), Logged, "validating is a specialist's");
        assert_eq!(status_after_authorization(false, Validating, &specialist), Pended);
        assert_eq!(status_after_authorization(false, Validating, &clerk), Validating, "pending is a specialist's");
        assert_eq!(status_after_authorization(false, Pended, &specialist), Pended);
        assert_eq!(status_after_authorization(true, ReadyToRelease, &specialist), ReadyToRelease);
    }
}
