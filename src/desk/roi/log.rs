//! Logging a request: the form checked whole, the address book consulted, the intake check of
//! open requests from the same requester (a re-sent request is a follow-up on the original and
//! never a new clock, AS-16), the checklist of its authorization, its clocks, its number, and the
//! first letter — an acknowledgement, or the deficient-authorization letter when it is pended.

use super::intake::{FieldProblem, IntakeForm, IntakeRequester, check_form, needs_authorization};
use super::letters::LetterFacts;
use super::rules::{RequestFacts, checklist};
use crate::desk::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::dates::us_date;
use crate::domain::mrn::Mrn;
use crate::domain::roi::checklist::{DEFICIENT_AUTHORIZATION, failed_items, passed};
use crate::domain::roi::{
    AuthorizationForm, LetterKind, NewRequester, ReceivedVia, RequestStatus, RequestType, Requester, RequesterKind,
};
use crate::domain::role::Permission;
use crate::store::roi::requester_key;
use crate::store::roi::{FollowUp, NewAuthorization, NewRoiRequest, RequesterRef, RoiQueueRow, RoiRequest};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// Why a request is pended at intake when the authorization it needs did not come with it.
pub const NO_AUTHORIZATION: &str = "No authorization received";

/// What to do when the patient already has an open request from the same requester.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnOpenRequest {
    /// Issue no number: return the open ones as the problem, for the clerk to choose (the screen).
    Refuse,
    /// The re-sent request is a follow-up on the open one (the command line's default); with
    /// several open, the clerk is asked which.
    FollowUp,
    /// It asks for something else: a new request, with its own clock.
    LogNew,
}

/// What logging did.
#[derive(Debug, Clone)]
pub enum Logged {
    /// A new request, with the letter it produced (its files) — or why the letter was not made;
    /// the request is logged either way.
    New { request: Box<RoiRequest>, letters: Vec<PathBuf>, letter_problem: Option<String> },
    /// A follow-up recorded on an open request: no new number, no new clock.
    FollowUp { request: Box<RoiRequest> },
}

impl Desk {
    /// Logs a request keyed on the intake screen or read from a request file. What cannot be
    /// right comes back as field problems, every one at once, and nothing is written.
    pub fn log_roi_request(
        &self,
        form: IntakeForm,
        on_open: OnOpenRequest,
        letters_dir: Option<&Path>,
    ) -> DeskResult<Result<Logged, Vec<FieldProblem>>> {
        self.require_permission(Permission::LogRequests)?;
        let today = self.today();
        let mut problems = check_form(&form, today);

        let facility = match form.facility.trim() {
            "" => None,
            code => match self.roi_facility(code) {
                Ok(f) => Some(f),
                Err(DeskError::NotFound(message)) => {
                    problems.push(FieldProblem::new("facility", message));
                    None
                }
                Err(e) => return Err(e),
            },
        };
        let patient = match form.patient.trim() {
            "" => None,
            typed => match Mrn::parse(typed) {
                Ok(mrn) => match self.store().patient_by_mrn(&mrn)? {
                    Some(patient) => {
                        self.refuse_own_record(patient.patient_id, Some(mrn.as_str()))?;
                        Some(patient)
                    }
                    None => {
                        problems.push(FieldProblem::new("patient", format!("no patient has MRN {mrn}")));
                        None
                    }
                },
                Err(e) => {
                    problems.push(FieldProblem::new("patient", e.to_string()));
                    None
                }
            },
        };
        if let (Some(patient), Some(received)) = (&patient, form.received_on)
            && received < patient.birth_date
        {
            problems.push(FieldProblem::new(
                "received_on",
                format!("{received} is before the patient was born ({})", patient.birth_date),
            ));
        }
        // Who asks, and every address-book entry of the same kind and name: a requester writing
        // again from a letterhead spelled another way is still the one whose open requests count.
        let (requester, same_requester) = match &form.requester {
            IntakeRequester::Existing(id) => match self.store().requester(*id)? {
                Some(r) => {
                    let mut same = self.same_requesters(r.kind, &r.name)?;
                    if !same.contains(&r.id) {
                        same.push(r.id);
                    }
                    (Some(RequesterRef::Existing(r.id)), same)
                }
                None => {
                    problems
                        .push(FieldProblem::new("requester", "the requester chosen is no longer in the address book"));
                    (None, Vec::new())
                }
            },
            IntakeRequester::New(new) => {
                let (known, same) = self.known_requester(new)?;
                (Some(known), same)
            }
        };
        let (Some(facility), Some(patient), Some(requester), Some(received_on), Some(received_via), Some(request_type)) =
            (facility, patient, requester, form.received_on, form.received_via, form.request_type)
        else {
            return Ok(Err(problems));
        };
        let (Some(format), Some(delivery)) = (form.format, form.delivery) else { return Ok(Err(problems)) };
        if !problems.is_empty() {
            return Ok(Err(problems));
        }

        // The intake check: a request re-sent by the same requester is not a new clock.
        if on_open != OnOpenRequest::LogNew && !same_requester.is_empty() {
            let mut open = Vec::new();
            for id in &same_requester {
                open.extend(self.store().roi_open_for_requester(patient.patient_id, *id)?);
            }
            open.sort_by_key(|r| (r.received_on, r.number.clone()));
            match (on_open, open.as_slice()) {
                (_, []) => {}
                (OnOpenRequest::FollowUp, [original]) => {
                    let note = format!("re-sent by {}", received_via.title().to_lowercase());
                    let request =
                        self.log_roi_follow_up(&original.number.to_string(), None, received_on, received_via, &note)?;
                    return Ok(Ok(Logged::FollowUp { request: Box::new(request) }));
                }
                (_, open) => return Ok(Err(vec![open_requests_problem(&patient.display_name(), open)])),
            }
        }

        let requester_kind = match (&form.requester, &requester) {
            (IntakeRequester::New(new), _) => new.kind,
            (_, RequesterRef::Existing(id)) => {
                self.store().requester(*id)?.map(|r| r.kind).unwrap_or(RequesterKind::Other)
            }
            (_, RequesterRef::New(new)) => new.kind,
        };
        // The checklist runs on what came; a request that needs an authorization and came without
        // one is judged on an empty paper, so that its letter lists everything one must hold.
        let authorization = form.authorization.as_ref().map(|auth| NewAuthorization {
            form: auth.clone(),
            received_on,
            checklist: checklist(auth, received_on, &facility, requester_kind),
        });
        let missing = authorization.is_none() && needs_authorization(request_type);
        let failed: Vec<_> = match (&authorization, missing) {
            (Some(auth), _) => failed_items(&auth.checklist).into_iter().cloned().collect(),
            (None, true) => {
                let empty = checklist(&AuthorizationForm::default(), received_on, &facility, requester_kind);
                failed_items(&empty).into_iter().cloned().collect()
            }
            (None, false) => Vec::new(),
        };
        let (status, status_reason) = match (&authorization, missing) {
            (_, true) => (RequestStatus::Pended, Some(NO_AUTHORIZATION.to_string())),
            (Some(auth), _) if !passed(&auth.checklist) => {
                (RequestStatus::Pended, Some(DEFICIENT_AUTHORIZATION.to_string()))
            }
            _ => match crate::domain::roi::legal::pend_at_logging(form.legal_process.as_ref()) {
                // 164.512(e): a subpoena without an order waits for the party's assurance or a QPO.
                Some(reason) => (RequestStatus::Pended, Some(reason.to_string())),
                None => (RequestStatus::Logged, None),
            },
        };
        let due = RequestFacts {
            facility: &facility,
            request_type,
            requester_kind,
            format,
            received_on,
            paid_on: None,
            legal_process: form.legal_process.as_ref(),
        }
        .due();
        let accounting_period = (request_type == RequestType::Accounting)
            .then(|| crate::domain::roi::clocks::accounting_period(received_on));
        let new = NewRoiRequest {
            facility_id: facility.id,
            patient_id: patient.patient_id,
            requester,
            received_on,
            received_via,
            request_type,
            purpose: form.purpose.trim().to_string(),
            format,
            delivery,
            pages: form.pages,
            postage_cents: form.postage_cents,
            clerical_minutes: form.clerical_minutes,
            scope: form.scope.clone(),
            authorization,
            legal_process: form.legal_process.clone(),
            status,
            status_reason: status_reason.clone(),
            assigned_to: None,
            due,
            logged_by: self.user().username.clone(),
            logged_at: self.now(),
            accounting_period,
            disclosure: None,
            released_on: None,
            invoice: None,
        };
        let mut audit = self.audit_event(
            AuditAction::Create,
            "roi_request",
            logged_detail(request_type, received_on, received_via, status_reason.as_deref()),
        );
        audit.patient_id = Some(patient.patient_id);
        let request = self.store().log_roi_request(new, audit)?;

        // The first letter: the number is the store's, so the letter follows in its own change.
        let kind = if !failed.is_empty() { LetterKind::DeficientAuthorization } else { LetterKind::Acknowledgement };
        let facts = LetterFacts { failed_items: failed, ..LetterFacts::default() };
        match self.record_letter(&request, kind, facts, letters_dir) {
            Ok((request, letters)) => Ok(Ok(Logged::New { request: Box::new(request), letters, letter_problem: None })),
            Err(e) => Ok(Ok(Logged::New {
                letter_problem: Some(format!("the {} letter was not made: {e}", kind.title().to_lowercase())),
                request: Box::new(request),
                letters: Vec::new(),
            })),
        }
    }

    /// Makes a letter of `kind` for the request as it stands and records it in a change of its own.
    pub(super) fn record_letter(
        &self,
        request: &RoiRequest,
        kind: LetterKind,
        facts: LetterFacts,
        letters_dir: Option<&Path>,
    ) -> DeskResult<(RoiRequest, Vec<PathBuf>)> {
        let produced = self.produce_letter(kind, request, facts, letters_dir)?;
        let detail = format!("{} letter (template version {})", kind.title(), produced.record.template_version);
        let mut change = self.roi_change(request, detail.clone());
        change.add_letter = Some(produced.record.clone());
        let audit = self.roi_event(AuditAction::Update, request, detail);
        match self.apply_roi_change(request, change, audit) {
            Ok(changed) => Ok((changed, produced.files)),
            Err(e) => {
                produced.withdraw();
                Err(e)
            }
        }
    }

    /// Records a re-sent request on the original (AS-16): a follow-up with its date and how it
    /// came, and nothing else — no new number, no new clock.
    pub fn log_roi_follow_up(
        &self,
        number: &str,
        seen_version: Option<i64>,
        received_on: NaiveDate,
        received_via: ReceivedVia,
        note: &str,
    ) -> DeskResult<RoiRequest> {
        self.require_permission(Permission::LogRequests)?;
        let request = self.request_as_seen(number, seen_version)?;
        if !request.status.is_open() {
            return Err(DeskError::Invalid(format!(
                "{} is {}: a request sent again after it is finished is a new request",
                request.number,
                request.status.title()
            )));
        }
        crate::desk::checked_date(received_on)?;
        if received_on > self.today() {
            return Err(DeskError::Invalid(format!("{} is after today", us_date(received_on))));
        }
        if received_on < request.received_on {
            return Err(DeskError::Invalid(format!(
                "{} is before {} was first received ({})",
                us_date(received_on),
                request.number,
                us_date(request.received_on)
            )));
        }
        if let Some(problem) = crate::domain::text::control_character_problem("the note", note) {
            return Err(DeskError::Invalid(problem));
        }
        let nth = ordinal(request.follow_ups.len() + 2);
        let detail = format!(
            "Follow-up: {nth} request received {} by {}; the due date stands",
            us_date(received_on),
            received_via.title().to_lowercase()
        );
        let mut change = self.roi_change(&request, detail.clone());
        change.add_follow_up = Some(FollowUp {
            received_on,
            received_via,
            note: note.trim().to_string(),
            by: self.user().username.clone(),
            at: self.now(),
        });
        let audit = self.roi_event(AuditAction::Update, &request, detail);
        self.apply_roi_change(&request, change, audit)
    }

    /// The address-book entry a new requester already is — the same kind, name and address, in
    /// any case or spacing — and every entry of the same kind and name. The address is part of who
    /// an entry is: two patients of one name are two requesters, and letters go to the address on
    /// the request, never to another's.
    fn known_requester(&self, new: &NewRequester) -> DeskResult<(RequesterRef, Vec<i64>)> {
        let name = requester_key(&new.name);
        let address = requester_key(&new.address);
        let found = self.matching_requesters(new.kind, &name)?;
        let same: Vec<i64> = found.iter().map(|r| r.id).collect();
        if let Some(known) = found.iter().find(|r| requester_key(&r.address) == address) {
            return Ok((RequesterRef::Existing(known.id), same));
        }
        let cleaned = NewRequester {
            kind: new.kind,
            name: new.name.trim().to_string(),
            organization: new.organization.trim().to_string(),
            address: new.address.lines().map(str::trim).collect::<Vec<_>>().join("\n").trim().to_string(),
            phone: new.phone.trim().to_string(),
            fax: new.fax.trim().to_string(),
            email: new.email.trim().to_string(),
        };
        Ok((RequesterRef::New(cleaned), same))
    }

    /// The ids of the address-book entries of this kind and name.
    fn same_requesters(&self, kind: RequesterKind, name: &str) -> DeskResult<Vec<i64>> {
        Ok(self.matching_requesters(kind, &requester_key(name))?.into_iter().map(|r| r.id).collect())
    }

    fn matching_requesters(&self, kind: RequesterKind, key: &str) -> DeskResult<Vec<Requester>> {
        if key.is_empty() {
            return Ok(Vec::new());
        }
        // A prefix search: entries whose name runs on past the key ("BAKER & LOWE LLP (DALLAS)")
        // are other requesters, and are left out by the exact comparison.
        let found = self.store().search_requesters(key, 200)?;
        Ok(found.into_iter().filter(|r| r.kind == kind && requester_key(&r.name) == key).collect())
    }
}

/// `GARCIA, MARIA L already has open requests from this requester: RGH-00042 (received …)`.
fn open_requests_problem(patient: &str, open: &[RoiQueueRow]) -> FieldProblem {
    let listed: Vec<String> = open
        .iter()
        .map(|r| format!("{} (received {}, {})", r.number, us_date(r.received_on), r.status.title().to_lowercase()))
        .collect();
    let (them, one) = if open.len() == 1 { ("it", "an open request") } else { ("one of them", "open requests") };
    FieldProblem::new(
        "requester",
        format!(
            "{} already has {one} from this requester: {}. Log this as a follow-up on {them}, or as a new request \
             if it asks for something else",
            crate::domain::text::clean(patient),
            listed.join(", ")
        ),
    )
}

/// `2nd`, `3rd`, `11th`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The trail's words for a request logged: the kind and the way in as the screens say them,
/// behind the right article ("an authorization request"), never the store's codes.
fn logged_detail(
    request_type: crate::domain::roi::RequestType,
    received_on: NaiveDate,
    received_via: crate::domain::roi::ReceivedVia,
    pended: Option<&str>,
) -> String {
    let kind = in_a_sentence(request_type.title());
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    let how = match received_via {
        crate::domain::roi::ReceivedVia::InPerson => "in person".to_string(),
        other => format!("by {}", in_a_sentence(other.title())),
    };
    format!(
        "logged {article} {kind} request received {received_on} {how}{}",
        pended.map(|r| format!("; pended: {r}")).unwrap_or_default()
    )
}

/// A title as it reads inside a sentence: its first letter small, unless it opens an acronym
/// ("PDF", "SSA / DDS").
fn in_a_sentence(title: &str) -> String {
    let mut chars = title.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if second.is_lowercase() || !second.is_alphabetic() => {
            first.to_lowercase().chain(title.chars().skip(1)).collect()
        }
        _ => title.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roi::{ReceivedVia, RequestType};

    #[test]
    fn a_logged_request_reads_in_words_with_the_right_article() {
        let day = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
        assert_eq!(
            logged_detail(RequestType::Authorization, day, ReceivedVia::InPerson, None),
            "logged an authorization request received 2025-04-01 in person"
        );
        assert_eq!(
            logged_detail(RequestType::RightOfAccess, day, ReceivedVia::Mail, Some("no signature")),
            "logged a right of access request received 2025-04-01 by mail; pended: no signature"
        );
        assert_eq!(
            logged_detail(RequestType::Disability, day, ReceivedVia::Fax, None),
            "logged a disability (SSA) request received 2025-04-01 by fax"
        );
        assert_eq!(in_a_sentence("SSA / DDS"), "SSA / DDS");
    }

    #[test]
    fn ordinals() {
        assert_eq!(
            [ordinal(2), ordinal(3), ordinal(4), ordinal(11), ordinal(12), ordinal(21), ordinal(22)],
            ["2nd", "3rd", "4th", "11th", "12th", "21st", "22nd"]
        );
    }
}
