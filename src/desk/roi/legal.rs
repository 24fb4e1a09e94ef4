//! Subpoenas and court orders at the desk: the papers received for one (a satisfactory assurance, a
//! qualified protective order, a 42 CFR 2.64 order), each one versioned change with its history
//! line and audit event, and the custodian's papers that go with subpoenaed records (CA Evid 1560,
//! 1561). `domain::roi::legal` holds the rules; this applies them to a request.

use super::letters::LetterFacts;
use crate::desk::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::roi::legal::{self, LegalPaper};
use crate::domain::roi::status::{Step, transition};
use crate::domain::roi::{LegalProcess, LetterKind, RequestStatus};
use crate::domain::role::{Permission, Role};
use crate::store::roi::RoiRequest;
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// Whether a §2.64 order authorizing the request's Part 2 records is on file (AS-21): the packet
/// releases Part 2 documents under a subpoena or an order only then.
pub fn has_part2_court_order(request: &RoiRequest) -> bool {
    legal::has_part2_court_order(request.legal_process.as_ref())
}

/// Whether a release of `request` carries the custodian's declaration and sealed envelope labels:
/// a subpoena duces tecum served on a California facility (Evid 1560, 1561), the papers' law.
pub fn custodian_papers_due(request: &RoiRequest, facility: &crate::domain::chart::Facility) -> bool {
    facility.state == "CA"
        && request.legal_process.as_ref().is_some_and(|p| p.kind == crate::domain::roi::LegalProcessKind::Subpoena)
}

/// The blocking item the request shows for Part 2 records until that order is on file; none for a
/// request that came without a legal process.
pub fn part2_blocking_item(request: &RoiRequest) -> Option<&'static str> {
    legal::part2_blocking_item(request.legal_process.as_ref())
}

/// What recording `paper` on `request` would do, for the desk that writes it and the screen that
/// asks first: the process with the paper, and the status the request reaches when it moves (a
/// request pended for the assurance leaves Pended when the clerk may resume it). A refusal is in
/// the clerk's words and names the request.
pub fn after_paper(
    request: &RoiRequest,
    paper: &LegalPaper,
    today: NaiveDate,
    roles: &[Role],
) -> Result<(LegalProcess, Option<RequestStatus>), String> {
    let Some(process) = &request.legal_process else {
        return Err(format!("{} came with no subpoena or court order", request.number));
    };
    if !request.status.is_open() {
        return Err(format!("{} is {}; nothing more is recorded for it", request.number, request.status.title()));
    }
    let next = legal::record_paper(process, paper, today).map_err(|why| format!("{}: {why}", request.number))?;
    let to = legal::step_after_paper(request.status, request.status_reason.as_deref(), &next)
        .filter(|step| step.allowed_for(roles))
        .and_then(|step| transition(request.status, step).ok());
    Ok((next, to))
}

/// The y/N question's answer before a paper is recorded: `RGH-00043 leaves Pended for Validating`,
/// or that it stays where it is.
pub fn paper_outcome(request: &RoiRequest, to: Option<RequestStatus>) -> String {
    match to {
        Some(to) => format!("{} leaves {} for {}", request.number, request.status.title(), to.title()),
        None => format!("{} stays {}", request.number, request.status.title()),
    }
}

impl Desk {
    /// Records a paper received for a request's subpoena or order (`roi legal`). A subpoena pended
    /// for its assurance returns to validating when the assurance or the QPO comes.
    pub fn roi_record_legal_paper(
        &self,
        number: &str,
        seen_version: Option<i64>,
        paper: LegalPaper,
    ) -> DeskResult<RoiRequest> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        let request = self.request_as_seen(number, seen_version)?;
        crate::desk::checked_date(paper.dated())?;
        let user = self.current_user()?;
        let (next, to) = after_paper(&request, &paper, self.today(), &user.roles).map_err(DeskError::Invalid)?;
        let mut detail = paper.detail();
        if let Some(to) = to {
            detail.push_str(&format!("; {}", to.title()));
        }
        let mut change = self.roi_change(&request, detail.clone());
        change.legal_process = Some(next);
        if let Some(to) = to {
            change.status = to;
            change.status_reason = Some(None);
        }
        let audit = self.roi_event(AuditAction::Update, &request, detail);
        self.apply_roi_change(&request, change, audit)
    }

    /// The custodian's papers for subpoenaed records (AS-20): the declaration of the custodian of
    /// records (CA Evid 1561) and the sealed inner and outer envelope labels (Evid 1560(c)), each
    /// a letter written as text and PDF under `letters_dir` and recorded with its template version.
    /// `pages` is what the records count, the request's own count unless given.
    pub fn roi_custodian_papers(
        &self,
        number: &str,
        seen_version: Option<i64>,
        pages: Option<i64>,
        letters_dir: &Path,
    ) -> DeskResult<(RoiRequest, Vec<PathBuf>)> {
        self.require_permission(Permission::ReleaseRecords)?;
        let request = self.request_as_seen(number, seen_version)?;
        let Some(process) = &request.legal_process else {
            return Err(DeskError::Invalid(format!(
                "{} came with no subpoena or court order; a custodian's declaration goes with subpoenaed records",
                request.number
            )));
        };
        if matches!(request.status, RequestStatus::Rejected | RequestStatus::Cancelled) {
            return Err(DeskError::Invalid(format!(
                "{} is {}; no records go out for it",
                request.number,
                request.status.title()
            )));
        }
        if process.caption.trim().is_empty() {
            return Err(DeskError::Invalid(format!(
                "{} has no case caption: the envelopes must carry the case's title (Evid 1560(c))",
                request.number
            )));
        }
        let pages = match pages.or(request.pages) {
            Some(pages) => match crate::domain::roi::fees::pages_problem(pages) {
                Some(problem) => return Err(DeskError::Invalid(format!("the declaration's count: {problem}"))),
                None => pages,
            },
            None => {
                return Err(DeskError::Invalid(format!(
                    "{} has no page count: the declaration must say how many pages the records are (--pages)",
                    request.number
                )));
            }
        };
        // The declaration swears to the copies sent: what the last packet left out is said, counted.
        let last_packet = self.store().release_packets(request.id)?.pop();
        let withheld = crate::domain::roi::packet::withheld_words(
            last_packet
                .iter()
                .flat_map(|p| &p.packet.items)
                .filter(|i| !i.included)
                .map(|i| (i.pages, i.reason.as_str())),
        );
        let mut files = Vec::new();
        let mut current = request;
        for kind in [LetterKind::CustodianAffidavit, LetterKind::EnvelopeLabels] {
            let facts = LetterFacts { pages: Some(pages), withheld: withheld.clone(), ..LetterFacts::default() };
            match self.record_letter(&current, kind, facts, Some(letters_dir)) {
                Ok((changed, written)) => {
                    current = changed;
                    files.extend(written);
                }
                // The declaration already recorded stays, files and all, as a sent letter does;
                // asking again makes the envelopes.
                Err(e) => return Err(e),
            }
        }
        Ok((current, files))
    }
}

/// Why `step` cannot be taken while the request's subpoena still waits for its assurance: a
/// resume or a release before it would answer a subpoena 164.512(e) does not let the desk answer.
pub(super) fn awaiting_assurance_refusal(request: &RoiRequest, step: Step) -> Option<String> {
    let process = request.legal_process.as_ref()?;
    if !legal::awaits_assurance(process) || !matches!(step, Step::Resume | Step::Release) {
        return None;
    }
    Some(format!(
        "{} waits for the party's satisfactory assurance or a qualified protective order (164.512(e)); record it \
         (roi legal {} --assurance DATE or --qpo DATE) and the request resumes",
        request.number, request.number
    ))
}
