//! Working a request after it is logged: its steps through the status machine, a corrected
//! authorization, an extension, a payment, the release, and who holds it. Each is one versioned
//! change with its history line and audit event; a letter that goes with it (a rejection, an
//! extension notice, a deficient-authorization letter) is written first and recorded in the same
//! change, or taken back when the change is refused.

use super::intake::{FieldProblem, check_authorization, needs_authorization};
use super::letters::{LetterFacts, Produced};
use super::log::NO_AUTHORIZATION;
use super::rules::{checklist, due_now, status_after_authorization};
use crate::desk::{Desk, DeskError, DeskResult, checked_date};
use crate::domain::audit::AuditAction;
use crate::domain::dates::us_date;
use crate::domain::roi::checklist::{DEFICIENT_AUTHORIZATION, failed_items, passed};
use crate::domain::roi::clocks::{self, HIPAA_ACCESS, HIPAA_ACCOUNTING};
use crate::domain::roi::legal;
use crate::domain::roi::status::{Step, transition};
use crate::domain::roi::{AuthorizationForm, ChecklistItem, LetterKind, RequestStatus, RequestType};
use crate::domain::role::{Permission, allows};
use crate::domain::text::control_character_problem;
use crate::store::roi::{NewAuthorization, PaymentRecord, RoiRequest};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

impl Desk {
    /// Moves a request one step (`roi pend|hold|reject|cancel|…`). Validating runs the checklist
    /// again on the day (an authorization may have expired since it came) and pends the request
    /// with a letter when it fails; a rejection sends its letter — a denial when the request was
    /// the patient's own right (164.524(d)).
    pub fn roi_step(
        &self,
        number: &str,
        seen_version: Option<i64>,
        step: Step,
        reason: Option<&str>,
        letters_dir: Option<&Path>,
    ) -> DeskResult<RoiRequest> {
        self.require_permission(step.permission())?;
        if step == Step::Release {
            return Err(DeskError::Invalid(
                "a release records what left and when: use release with its date (roi release NUMBER --date D)".into(),
            ));
        }
        let request = self.request_as_seen(number, seen_version)?;
        let mut to =
            transition(request.status, step).map_err(|refusal| DeskError::Invalid(refusal.message(&request.number)))?;
        let reason = clean_reason(reason)?;
        if step.needs_reason() && reason.is_empty() {
            return Err(DeskError::Invalid(format!(
                "say why {} is to be {} (--reason)",
                request.number,
                step.to().title().to_lowercase()
            )));
        }
        let mut status_reason = reason.clone();
        let mut detail = match reason.as_str() {
            "" => to.title().to_string(),
            why => format!("{}: {why}", to.title()),
        };
        let mut letter: Option<(LetterKind, LetterFacts)> = None;
        if let Some(refusal) = super::legal::awaiting_assurance_refusal(&request, step) {
            return Err(DeskError::Invalid(refusal));
        }
        match step {
            Step::Resume => {
                // The paper is checked again on the day the work resumes: one that still fails
                // waits for a corrected authorization, not for a second letter.
                if let Some(failed) = self.authorization_failures(&request, self.today())? {
                    return Err(DeskError::Invalid(format!(
                        "{}'s authorization still fails its checklist ({}); add a corrected one and the request \
                         resumes with it",
                        request.number,
                        elements(&failed)
                    )));
                }
            }
            Step::Validate => {
                // The paper is checked on the day validation starts.
                if let Some(failed) = self.authorization_failures(&request, self.today())? {
                    to = RequestStatus::Pended;
                    status_reason = if request.authorizations.is_empty() {
                        NO_AUTHORIZATION.to_string()
                    } else {
                        DEFICIENT_AUTHORIZATION.to_string()
                    };
                    detail = format!("Pended: {status_reason} ({})", elements(&failed));
                    letter = Some((
                        LetterKind::DeficientAuthorization,
                        LetterFacts { failed_items: failed, ..LetterFacts::default() },
                    ));
                } else if let Some(reason) = legal::pend_at_logging(request.legal_process.as_ref()) {
                    // Logged before the rule pended it at intake: it waits for its assurance now.
                    to = RequestStatus::Pended;
                    status_reason = reason.to_string();
                    detail = format!("Pended: {reason}");
                }
            }
            Step::Reject => {
                let kind =
                    if individual_right(request.request_type) { LetterKind::Denial } else { LetterKind::Rejection };
                letter = Some((kind, LetterFacts { reason: reason.clone(), ..LetterFacts::default() }));
            }
            _ => {}
        }
        let mut change = self.roi_change(&request, detail.clone());
        change.status = to;
        change.status_reason = Some(reasoned(to).then_some(status_reason));
        let action = if step == Step::Cancel { AuditAction::Void } else { AuditAction::Update };
        let audit = self.roi_event(action, &request, detail);
        let produced = match letter {
            Some((kind, facts)) => Some(self.produce_letter(kind, &request, facts, letters_dir)?),
            None => None,
        };
        change.add_letter = produced.as_ref().map(|p| p.record.clone());
        self.apply_with_letter(&request, change, audit, produced)
    }

    /// Records an authorization received after the request (a corrected one, AS-17): its
    /// checklist is run on the day it came and kept with it. Passed, a pended request returns to
    /// validating; failed, the request is pended with a letter listing exactly what failed.
    pub fn roi_add_authorization(
        &self,
        number: &str,
        seen_version: Option<i64>,
        form: AuthorizationForm,
        received_on: Option<NaiveDate>,
        letters_dir: Option<&Path>,
    ) -> DeskResult<RoiRequest> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        let request = self.request_as_seen(number, seen_version)?;
        if !request.status.is_open() {
            return Err(DeskError::Invalid(format!(
                "{} is {}; an authorization can no longer be added to it",
                request.number,
                request.status.title()
            )));
        }
        let received_on = self.past_date(received_on.unwrap_or_else(|| self.today()), &request, "received")?;
        let problems = check_authorization(&form, received_on);
        if !problems.is_empty() {
            return Err(DeskError::Invalid(join_problems(&problems)));
        }
        let facility = self.facility_by_id(request.facility_id)?;
        let items = checklist(&form, received_on, &facility, request.requester.kind);
        let ok = passed(&items);
        let user = self.current_user()?;
        let to = status_after_authorization(ok, request.status, &user.roles);
        let failed: Vec<ChecklistItem> = failed_items(&items).into_iter().cloned().collect();
        let mut detail = match ok {
            true => format!("Authorization received {}: checklist passed", us_date(received_on)),
            false => {
                format!("Authorization received {}: checklist failed ({})", us_date(received_on), elements(&failed))
            }
        };
        if to != request.status {
            detail.push_str(&format!("; {}", to.title()));
        }
        let mut change = self.roi_change(&request, detail.clone());
        change.status = to;
        if to == RequestStatus::Pended {
            change.status_reason = Some(Some(DEFICIENT_AUTHORIZATION.to_string()));
        } else if to != request.status {
            change.status_reason = Some(None);
        }
        change.add_authorization = Some(NewAuthorization { form, received_on, checklist: items });
        let produced = if ok {
            None
        } else {
            let facts = LetterFacts { failed_items: failed, ..LetterFacts::default() };
            Some(self.produce_letter(LetterKind::DeficientAuthorization, &request, facts, letters_dir)?)
        };
        change.add_letter = produced.as_ref().map(|p| p.record.clone());
        let audit = self.roi_event(AuditAction::Update, &request, detail);
        self.apply_with_letter(&request, change, audit, produced)
    }

    /// Records the one extension HIPAA allows (AS-15): the written notice (the extension-notice
    /// letter, dated `noticed_on`, today unless the notice went out earlier) inside the first 30
    /// days (60 for an accounting), with the reason and the new date, at most 30 days past the
    /// HIPAA date. A shorter state clock still binds, and the answer says so.
    pub fn roi_extend(
        &self,
        number: &str,
        seen_version: Option<i64>,
        new_due_on: NaiveDate,
        reason: &str,
        noticed_on: Option<NaiveDate>,
        letters_dir: Option<&Path>,
    ) -> DeskResult<RoiRequest> {
        self.require_permission(Permission::ReleaseRecords)?;
        let request = self.request_as_seen(number, seen_version)?;
        if !request.status.is_open() {
            return Err(DeskError::Invalid(format!(
                "{} is {}; it cannot be extended",
                request.number,
                request.status.title()
            )));
        }
        let reason = clean_reason(Some(reason))?;
        if reason.is_empty() {
            return Err(DeskError::Invalid(
                "an extension notice must say why the request needs more time (--reason)".into(),
            ));
        }
        checked_date(new_due_on)?;
        let noticed_on = self.past_date(noticed_on.unwrap_or_else(|| self.today()), &request, "noticed")?;
        let facility = self.facility_by_id(request.facility_id)?;
        let paid_on = super::fees::settled_on(&request);
        let base = RoiRequest { extended_due_on: None, ..request.clone() };
        let unextended = due_now(&base, &facility, paid_on);
        let hipaa = unextended
            .clocks
            .iter()
            .find(|c| c.code == HIPAA_ACCESS || c.code == HIPAA_ACCOUNTING)
            .and_then(|c| c.due_on)
            .unwrap_or(request.received_on);
        let extended_on = clocks::check_extension(
            request.received_on,
            hipaa,
            noticed_on,
            new_due_on,
            request.extended_due_on.is_some(),
            request.request_type,
        )
        .map_err(|refusal| DeskError::Invalid(format!("{}: {refusal}", request.number)))?;
        let due = clocks::extended(&unextended, extended_on);
        let detail = format!("Extended to {} (notice sent {}): {reason}", us_date(extended_on), us_date(noticed_on));
        let mut change = self.roi_change(&request, detail.clone());
        change.extension = Some((extended_on, noticed_on, reason.clone()));
        change.due = Some(due);
        let facts = LetterFacts {
            date: Some(noticed_on),
            extended_due_on: Some(extended_on),
            extension_reason: reason,
            ..LetterFacts::default()
        };
        let produced = self.produce_letter(LetterKind::ExtensionNotice, &request, facts, letters_dir)?;
        change.add_letter = Some(produced.record.clone());
        let audit = self.roi_event(AuditAction::Update, &request, detail);
        self.apply_with_letter(&request, change, audit, Some(produced))
    }

    /// Assigns a request to a clerk, or (with `None`) to nobody. Taking an unassigned request, or
    /// giving up one's own, is any ROI worker's; assigning to another or taking over another's is
    /// a supervisor's.
    pub fn roi_assign(&self, number: &str, seen_version: Option<i64>, to: Option<&str>) -> DeskResult<RoiRequest> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        let me = self.user().username.clone();
        let request = self.request_as_seen(number, seen_version)?;
        let to = to.map(str::trim).filter(|t| !t.is_empty());
        let own = |holder: Option<&str>| holder.is_none_or(|h| h == me);
        if !(own(to) && own(request.assigned_to.as_deref())) {
            self.require_permission(Permission::TakeOverWork)?;
        }
        if !request.status.is_open() {
            return Err(DeskError::Invalid(format!(
                "{} is {}; it is no one's work now",
                request.number,
                request.status.title()
            )));
        }
        if let Some(user) = to {
            let found = self
                .store()
                .user_by_name(user)?
                .ok_or_else(|| DeskError::NotFound(format!("no chartroom user {:?}", super::intake::shown(user))))?;
            if !found.enabled {
                return Err(DeskError::Invalid(format!("{user} is disabled")));
            }
            if !allows(&found.roles, Permission::ReleaseRecords) && !allows(&found.roles, Permission::LogRequests) {
                return Err(DeskError::Invalid(format!(
                    "{user} does not work requests: that needs {}",
                    Permission::LogRequests.roles_needed()
                )));
            }
        }
        if request.assigned_to.as_deref() == to {
            return Err(DeskError::Invalid(match to {
                Some(user) => format!("{} is already assigned to {user}", request.number),
                None => format!("{} is not assigned to anyone", request.number),
            }));
        }
        let detail = match (to, request.assigned_to.as_deref()) {
            (Some(user), None) => format!("Assigned to {user}"),
            (Some(user), Some(was)) => format!("Assigned to {user} (was {was})"),
            (None, Some(was)) => format!("Unassigned (was {was})"),
            (None, None) => "Unassigned".to_string(),
        };
        let mut change = self.roi_change(&request, detail.clone());
        change.assigned_to = Some(to.map(str::to_string));
        let audit = self.roi_event(AuditAction::Update, &request, detail);
        self.apply_roi_change(&request, change, audit)
    }

    /// Records a payment. With an invoice standing it is a payment against that invoice
    /// (`roi_pay_invoice`: the one that settles it starts the clocks); without one, as part 1 had
    /// it, the due date is computed again from the first payment, and a request awaiting payment
    /// becomes ready to release (AS-18).
    pub fn roi_pay(
        &self,
        number: &str,
        seen_version: Option<i64>,
        paid_on: NaiveDate,
        amount_cents: i64,
    ) -> DeskResult<RoiRequest> {
        self.require_any(&[Permission::LogRequests, Permission::ReleaseRecords])?;
        let request = self.request_as_seen(number, seen_version)?;
        super::fees::check_payment(&request, amount_cents).map_err(DeskError::Invalid)?;
        let paid_on = self.past_date(paid_on, &request, "paid")?;
        if super::fees::current_invoice(&request).is_some() {
            return self.roi_pay_invoice(&request, paid_on, amount_cents);
        }
        let facility = self.facility_by_id(request.facility_id)?;
        let first_paid = request.payments.iter().map(|p| p.paid_on).chain([paid_on]).min();
        let due = due_now(&request, &facility, first_paid);
        let user = self.current_user()?;
        let to = if request.status == RequestStatus::AwaitingPayment
            && allows(&user.roles, Step::PaymentReceived.permission())
        {
            RequestStatus::ReadyToRelease
        } else {
            request.status
        };
        let mut detail = format!(
            "Payment of {} received {}; {}",
            super::intake::dollars(amount_cents),
            us_date(paid_on),
            match due.due_on {
                Some(on) => format!("due {} ({})", us_date(on), due.due_rule),
                None => format!("due date: {}", due.due_rule),
            }
        );
        if to != request.status {
            detail.push_str(&format!("; {}", to.title()));
        }
        let mut change = self.roi_change(&request, detail.clone());
        change.status = to;
        change.due = Some(due);
        change.add_payment = Some(PaymentRecord {
            paid_on,
            amount_cents,
            by: self.user().username.clone(),
            at: self.now(),
            invoice_no: None,
        });
        let audit = self.roi_event(AuditAction::Update, &request, detail);
        self.apply_roi_change(&request, change, audit)
    }

    /// Releases a request ready to release: the disclosure is recorded — who received what, when,
    /// why and under which legal basis, and whether it belongs in an accounting (164.528). A
    /// request made under an authorization is released only on one that passed its checklist and
    /// had not expired or been revoked by the day of release. The documents that go are the
    /// packet's (`roi_release_packet`, which also writes its files): everything the rules allow
    /// unless `pick` leaves some out, and fewer than requested only on its confirmation. Signed
    /// with the clerk's signature code.
    pub fn roi_release(
        &self,
        number: &str,
        seen_version: Option<i64>,
        released_on: NaiveDate,
        pages: Option<i64>,
        pick: &super::packet::ReleasePick,
        signature: &str,
    ) -> DeskResult<RoiRequest> {
        self.roi_release_packet(number, seen_version, released_on, pages, pick, None, signature)
            .map(|(request, _)| request)
    }

    /// Makes the acknowledgement or the deficient-authorization letter again, on demand (one lost
    /// in the post, or one that could not be written when the request was logged). The others go
    /// out with their act: a rejection with `reject`, an extension notice with `extend`.
    pub fn roi_letter(
        &self,
        number: &str,
        seen_version: Option<i64>,
        kind: LetterKind,
        letters_dir: Option<&Path>,
    ) -> DeskResult<(RoiRequest, Vec<PathBuf>)> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        let request = self.request_as_seen(number, seen_version)?;
        let facts = match kind {
            LetterKind::Acknowledgement => LetterFacts::default(),
            LetterKind::DeficientAuthorization => match self.authorization_failures(&request, self.today())? {
                Some(failed) => LetterFacts { failed_items: failed, ..LetterFacts::default() },
                None => {
                    return Err(DeskError::Invalid(format!(
                        "{}'s authorization passes its checklist; there is nothing to ask for",
                        request.number
                    )));
                }
            },
            other => {
                let act = match other {
                    LetterKind::ExtensionNotice => "extend",
                    LetterKind::Denial | LetterKind::Rejection => "reject",
                    LetterKind::Part2Notice | LetterKind::NyHivStatement => "release, inside the packet",
                    _ => "its step",
                };
                return Err(DeskError::Invalid(format!(
                    "a {} letter goes out with its act (roi {act}), not on its own",
                    other.title().to_lowercase()
                )));
            }
        };
        self.record_letter(&request, kind, facts, letters_dir)
    }

    /// What fails about the request's authorization on `on`: None when it stands or the request
    /// needs none. The latest one received is the one that counts.
    pub(super) fn authorization_failures(
        &self,
        request: &RoiRequest,
        on: NaiveDate,
    ) -> DeskResult<Option<Vec<ChecklistItem>>> {
        let facility = self.facility_by_id(request.facility_id)?;
        let items = match request.authorizations.iter().max_by_key(|a| (a.received_on, a.at)) {
            Some(latest) => checklist(&latest.form, on.max(latest.received_on), &facility, request.requester.kind),
            None if needs_authorization(request.request_type) => {
                checklist(&AuthorizationForm::default(), on, &facility, request.requester.kind)
            }
            None => return Ok(None),
        };
        Ok((!passed(&items)).then(|| failed_items(&items).into_iter().cloned().collect()))
    }

    /// A date of something that happened to the request: not after today, not before it came.
    pub(super) fn past_date(&self, date: NaiveDate, request: &RoiRequest, what: &str) -> DeskResult<NaiveDate> {
        checked_date(date)?;
        if date > self.today() {
            return Err(DeskError::Invalid(format!(
                "{} is after today ({}): record it once it has happened",
                us_date(date),
                us_date(self.today())
            )));
        }
        if date < request.received_on {
            return Err(DeskError::Invalid(format!(
                "{what} {}: that is before {} was received ({})",
                us_date(date),
                request.number,
                us_date(request.received_on)
            )));
        }
        Ok(date)
    }

    /// Writes the change; when it is refused, the letter written for it is taken back.
    fn apply_with_letter(
        &self,
        request: &RoiRequest,
        change: crate::store::roi::RoiChange,
        audit: crate::domain::audit::NewAuditEvent,
        produced: Option<Produced>,
    ) -> DeskResult<RoiRequest> {
        match self.apply_roi_change(request, change, audit) {
            Ok(changed) => Ok(changed),
            Err(e) => {
                if let Some(produced) = &produced {
                    produced.withdraw();
                }
                Err(e)
            }
        }
    }
}

/// The statuses whose reason is kept (why it is pended, on hold, an exception, rejected or
/// cancelled); any other clears it.
fn reasoned(status: RequestStatus) -> bool {
    matches!(
        status,
        RequestStatus::Pended
            | RequestStatus::OnHold
            | RequestStatus::Exception
            | RequestStatus::Rejected
            | RequestStatus::Cancelled
    )
}

/// The patient's own rights: refusing them is a denial, with its rights of review and complaint
/// (164.524(d)(2), 164.528).
fn individual_right(kind: RequestType) -> bool {
    matches!(kind, RequestType::RightOfAccess | RequestType::ThirdPartyDirective | RequestType::Accounting)
}

fn clean_reason(reason: Option<&str>) -> DeskResult<String> {
    let reason = reason.unwrap_or_default();
    if let Some(problem) = control_character_problem("the reason", reason) {
        return Err(DeskError::Invalid(problem));
    }
    let reason = reason.trim().to_string();
    if reason.chars().count() > super::intake::MAX_TEXT {
        return Err(DeskError::Invalid(format!("the reason is longer than {} characters", super::intake::MAX_TEXT)));
    }
    Ok(reason)
}

/// `core.expiration, statement.revocation`.
fn elements(items: &[ChecklistItem]) -> String {
    items.iter().map(|i| i.element.as_str()).collect::<Vec<_>>().join(", ")
}

fn join_problems(problems: &[FieldProblem]) -> String {
    problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// `Baker & Lowe LLP, 400 Congress Ave, Austin TX 78701`: who received it, as the disclosure log
/// names them.
pub(super) fn recipient_line(request: &RoiRequest) -> String {
    let r = &request.requester;
    let mut parts = vec![r.name.trim().to_string()];
    if !r.organization.trim().is_empty() && r.organization.trim() != r.name.trim() {
        parts.push(r.organization.trim().to_string());
    }
    parts.join(", ")
}

/// The requester's address as the accounting names it beside the recipient, its lines kept.
pub(super) fn recipient_address(request: &RoiRequest) -> String {
    request.requester.address.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

/// `Entire record`, or `DS, HP from 01/01/2025 to 02/10/2025`.
pub fn scope_words(request: &RoiRequest) -> String {
    scope_description(&request.scope)
}

/// [`scope_words`] of a scope alone (a request not yet in the store: the demo's).
pub fn scope_description(scope: &crate::domain::roi::Scope) -> String {
    if scope.entire_record {
        return "Entire record".to_string();
    }
    let types = match scope.document_types.as_slice() {
        [] => "All documents".to_string(),
        codes => codes.join(", "),
    };
    match (scope.from, scope.to) {
        (Some(from), Some(to)) => format!("{types} from {} to {}", us_date(from), us_date(to)),
        (Some(from), None) => format!("{types} from {}", us_date(from)),
        (None, Some(to)) => format!("{types} to {}", us_date(to)),
        (None, None) => types,
    }
}
