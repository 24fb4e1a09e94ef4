//! The release packet at the desk: the documents a request reaches, each decided by
//! `domain::roi::packet`, the clerk's pick among them, and the release that writes the packet's
//! PDF and manifest and records its items and notices with the disclosure — a partial release only
//! on an explicit confirmation, named in its audit event (AS-21), and no Part 2 page without the
//! facility's §2.32 notice (AS-22).

use super::rules::checklist;
use crate::desk::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::dates::us_date;
use crate::domain::roi::checklist::passed as checklist_passed;
use crate::domain::roi::fees::dollars;
use crate::domain::roi::packet::{Decision, Notice, PacketContext, PacketDocument, rule_packet};
use crate::domain::roi::status::{Step, transition};
use crate::domain::roi::timeline::{self, Event};
use crate::domain::roi::{AuthorizationKind, LetterKind, RequestStatus};
use crate::domain::role::Permission;
use crate::report::packet::{Manifest, ManifestDocument, PacketLayout, PrintedDocument, packet_pdf, sha256_hex};
use crate::store::roi::{
    ChartDocument, DisclosureRecord, LetterTemplate, PacketRecord, ReleaseItem, RoiRequest, StoredAuthorization,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One document offered for a request, as the picker lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacketRow {
    /// Its place in the list, from 1: how the clerk names it (`--leave-out 3`, "row 3").
    pub row: usize,
    pub document: PacketDocument,
    pub account: String,
    pub decision: Decision,
    /// Whether it goes: every document the rules allow, until the clerk leaves it out.
    pub picked: bool,
}

impl PacketRow {
    /// `P2 HIV`, the row's flags.
    pub fn flags(&self) -> String {
        self.document.categories.iter().map(|c| c.flag()).collect::<Vec<_>>().join(" ")
    }

    /// Why it does not go: the rule's reason, or the clerk's choice.
    pub fn left_out_reason(&self) -> Option<String> {
        match (&self.decision, self.picked) {
            (Decision::Excluded { reason }, _) => Some(reason.clone()),
            (Decision::Included { .. }, false) => Some("Left out by the clerk".to_string()),
            (Decision::Included { .. }, true) => None,
        }
    }

    /// `row 3, 03/01/2025 Psychotherapy session note (2 pages)`.
    pub fn named(&self) -> String {
        format!(
            "row {}, {} {} ({})",
            self.row,
            us_date(self.document.on),
            self.document.title,
            pages_words(self.document.pages)
        )
    }
}

/// A request's packet as the clerk works it: the documents offered, decided and picked, what
/// blocks, and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacketView {
    pub number: String,
    pub version: i64,
    pub status: RequestStatus,
    pub patient_name: String,
    pub recipient: String,
    pub rows: Vec<PacketRow>,
    /// What the rules say stands in the way of the documents they left out.
    pub blocking: Vec<String>,
    /// The version of the §2.32 notice template saved, if one is.
    pub part2_notice_version: Option<i64>,
}

impl PacketView {
    pub fn requested_pages(&self) -> i64 {
        self.rows.iter().map(|r| r.document.pages).sum()
    }

    pub fn picked_pages(&self) -> i64 {
        self.rows.iter().filter(|r| r.picked).map(|r| r.document.pages).sum()
    }

    /// `114 of 120 pages`.
    pub fn totals(&self) -> String {
        format!("{} of {} pages", self.picked_pages(), self.requested_pages())
    }

    pub fn left_out(&self) -> Vec<&PacketRow> {
        self.rows.iter().filter(|r| !r.picked).collect()
    }

    /// Fewer than every document the request reaches would go.
    pub fn is_partial(&self) -> bool {
        self.rows.iter().any(|r| !r.picked)
    }

    /// The notices the picked documents need, each once.
    pub fn notices(&self) -> Vec<Notice> {
        crate::domain::roi::packet::notices_of(self.rows.iter().filter(|r| r.picked).map(|r| &r.decision))
    }

    /// The rules' blocking items, and the missing §2.32 template when picked Part 2 pages need it.
    pub fn blocking_now(&self) -> Vec<String> {
        let mut items = self.blocking.clone();
        if self.part2_notice_version.is_none() && self.notices().contains(&Notice::Part2Notice) {
            items.push(PART2_TEMPLATE_MISSING.to_string());
        }
        items
    }

    /// Puts the row in or leaves it out; a row the rules leave out cannot be put in.
    pub fn toggle(&mut self, row: usize) -> Result<bool, String> {
        let number = self.number.clone();
        let Some(r) = self.rows.iter_mut().find(|r| r.row == row) else {
            return Err(format!("{number}'s packet has no row {row}"));
        };
        if let Decision::Excluded { reason } = &r.decision {
            return Err(format!("row {row} cannot go: {reason}"));
        }
        r.picked = !r.picked;
        Ok(r.picked)
    }

    /// The documents the clerk left out of those the rules allow: what a release is told.
    pub fn clerk_left_out(&self) -> Vec<i64> {
        self.rows.iter().filter(|r| !r.picked && r.decision.is_included()).map(|r| r.document.id).collect()
    }

    /// What the disclosure says went (the accounting's "What", 164.528(b)(2)(iii)): the request's
    /// scope when everything it reaches goes; else the types of the documents that went, the
    /// pages, and how many were withheld and by whom — never the scope alone, which would claim
    /// pages that stayed in the building.
    pub fn description(&self, scope: &str) -> String {
        if !self.is_partial() {
            return scope.to_string();
        }
        let mut types: Vec<&str> = Vec::new();
        for row in self.rows.iter().filter(|r| r.picked) {
            let code = row.document.doc_type.trim();
            if !types.contains(&code) {
                types.push(code);
            }
        }
        let count = |n: usize| if n == 1 { "1 document".to_string() } else { format!("{n} documents") };
        let by_rule = self.rows.iter().filter(|r| !r.decision.is_included()).count();
        let by_clerk = self.rows.iter().filter(|r| !r.picked && r.decision.is_included()).count();
        let withheld = match (by_rule, by_clerk) {
            (r, 0) => format!("{} withheld by rule", count(r)),
            (0, c) => format!("{} left out by the clerk", count(c)),
            (r, c) => format!("{} withheld: {r} by rule, {c} by the clerk", count(r + c)),
        };
        format!("{scope}, in part: {} ({}); {withheld}", types.join(", "), self.totals())
    }

    /// What a release of the pick on `on` does, in full: what goes, with which notices, and each
    /// document left out. The release's y/N question is made of it.
    pub fn release_summary(&self, on: NaiveDate) -> String {
        let mut q = format!("Release {} to {} on {}: {}", self.number, self.recipient, us_date(on), self.totals());
        let notices = self.notices();
        if !notices.is_empty() {
            let names: Vec<&str> = notices.iter().map(|n| n.title()).collect();
            q.push_str(&format!(", with {}", names.join(", ")));
        }
        let left = self.left_out();
        if left.is_empty() {
            q.push_str(". Everything requested goes.");
        } else {
            let names: Vec<String> = left.iter().map(|r| r.named()).collect();
            q.push_str(&format!(". PARTIAL RELEASE, left out: {}.", names.join("; ")));
        }
        q
    }
}

/// The dated events of a request a release must follow (`domain::roi::timeline`): each move of its
/// status on the facility's day it was recorded (`day_of`), each payment, authorization, follow-up
/// and fee adjustment on its own date, and the papers of its subpoena or order.
pub fn request_events(request: &RoiRequest, day_of: impl Fn(DateTime<Utc>) -> NaiveDate) -> Vec<Event> {
    let event = |on: NaiveDate, what: String| Event { on, what };
    let mut events: Vec<Event> = request
        .history
        .iter()
        .filter(|h| h.from_status != Some(h.to_status))
        .map(|h| event(day_of(h.at), format!("its move to {}", h.to_status.title())))
        .collect();
    events.extend(request.authorizations.iter().map(|a| event(a.received_on, "the authorization received".into())));
    events.extend(request.follow_ups.iter().map(|f| event(f.received_on, "the follow-up received".into())));
    events.extend(
        request.payments.iter().map(|p| event(p.paid_on, format!("the payment of {}", dollars(p.amount_cents)))),
    );
    events.extend(
        request
            .fee_adjustments
            .iter()
            .map(|a| event(a.on, format!("the {} of {}", a.kind.title().to_lowercase(), dollars(a.amount_cents)))),
    );
    if let Some(process) = &request.legal_process {
        events.push(event(process.served_on, "the service of the subpoena or order".into()));
        if let Some(assurance) = &process.assurance {
            events.push(event(assurance.received_on, "the satisfactory assurance".into()));
        }
        if let Some(on) = process.qpo_on {
            events.push(event(on, "the qualified protective order".into()));
        }
        if let Some(order) = &process.part2_order {
            events.push(event(order.ordered_on, "the §2.64 court order".into()));
        }
    }
    events
}

/// Why `request` cannot be released on `released_on`: it would be dated before the last thing
/// recorded on it (named, with its date). The desk refuses it and the screen says it before y/N.
pub fn release_date_refusal(
    request: &RoiRequest,
    released_on: NaiveDate,
    day_of: impl Fn(DateTime<Utc>) -> NaiveDate,
) -> Option<String> {
    timeline::release_date_refusal(&request.number.to_string(), released_on, &request_events(request, day_of))
}

/// The blocking item of a Part 2 release without the facility's §2.32 notice (AS-22).
pub const PART2_TEMPLATE_MISSING: &str =
    "Part 2: the §2.32 notice template is not configured (a Director saves it: chartroom template edit part2_notice)";

/// What the clerk decided about a packet: the documents left out of those the rules allow, and
/// whether releasing fewer than requested was confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleasePick {
    pub leave_out: Vec<i64>,
    pub confirm_partial: bool,
}

/// The files a release wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PacketFiles {
    pub pdf: PathBuf,
    pub manifest: PathBuf,
    pub pdf_pages: usize,
    pub sha256: String,
    /// A California subpoena's custodian declaration and envelope labels, made with the packet
    /// (AS-20), text and PDF.
    pub custodian_papers: Vec<PathBuf>,
    /// Why those papers were not made though due; the release stands, and `roi custodian-papers`
    /// makes them once what they lack is there.
    pub custodian_problem: Option<String>,
}

fn pages_words(pages: i64) -> String {
    if pages == 1 { "1 page".to_string() } else { format!("{pages} pages") }
}

impl Desk {
    /// The packet of a request as it stands today: every document its scope reaches, decided, all
    /// that the rules allow picked. Recorded as a look at the patient: it lists their documents.
    pub fn roi_packet(&self, number: &str) -> DeskResult<PacketView> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        let request = self.request_by_number(number)?;
        let view = self.packet_for(&request, self.today().max(request.received_on))?;
        let event = self.roi_event(AuditAction::ViewPatient, &request, "viewed the release packet".into());
        self.store().append_audit(event)?;
        Ok(view)
    }

    /// The packet on screen read again to follow others' work: not another look, so no event (as
    /// [`Desk::reread_roi_request`]).
    pub fn reread_roi_packet(&self, number: &str) -> DeskResult<PacketView> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        let request = self.request_by_number(number)?;
        self.packet_for(&request, self.today().max(request.received_on))
    }

    /// The packets released for a request, with the disclosures they went out as.
    pub fn roi_released_packets(&self, number: &str) -> DeskResult<Vec<crate::store::roi::StoredPacket>> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        let request = self.request_by_number(number)?;
        Ok(self.store().release_packets(request.id)?)
    }

    /// The packet of `request` judged on `on`: the authorizations standing that day decide.
    pub(super) fn packet_for(&self, request: &RoiRequest, on: NaiveDate) -> DeskResult<PacketView> {
        Ok(self.packet_with_chart(request, on)?.0)
    }

    /// [`Self::packet_for`], with the chart's documents it was judged from (their text prints).
    fn packet_with_chart(&self, request: &RoiRequest, on: NaiveDate) -> DeskResult<(PacketView, Vec<ChartDocument>)> {
        let facility = self.facility_by_id(request.facility_id)?;
        let standing: Vec<&StoredAuthorization> = request
            .authorizations
            .iter()
            .filter(|a| checklist_passed(&checklist(&a.form, on.max(a.received_on), &facility, request.requester.kind)))
            .collect();
        let ctx = PacketContext {
            facility_id: request.facility_id,
            request_type: request.request_type,
            scope: request.scope.clone(),
            authorizations: standing.iter().map(|a| a.form.kind.unwrap_or(AuthorizationKind::Hipaa)).collect(),
            genetic_named: standing.iter().any(|a| a.form.information.to_lowercase().contains("genetic")),
            state: facility.state.clone(),
            part2_court_order: super::legal::has_part2_court_order(request),
        };
        let chart = self.store().release_documents(request.patient_id)?;
        let documents: Vec<PacketDocument> = chart.iter().map(|c| c.document.clone()).collect();
        let ruling = rule_packet(&ctx, &documents);
        let rows = ruling
            .documents
            .into_iter()
            .enumerate()
            .map(|(i, (document, decision))| {
                let account = chart.iter().find(|c| c.document.id == document.id).map(|c| c.account.clone());
                PacketRow {
                    row: i + 1,
                    picked: decision.is_included(),
                    document,
                    account: account.unwrap_or_default(),
                    decision,
                }
            })
            .collect();
        let view = PacketView {
            number: request.number.to_string(),
            version: request.version,
            status: request.status,
            patient_name: request.patient_name.clone(),
            recipient: super::work::recipient_line(request),
            rows,
            blocking: ruling.blocking,
            part2_notice_version: self
                .store()
                .letter_template_history(LetterKind::Part2Notice)?
                .last()
                .map(|t| t.version),
        };
        Ok((view, chart))
    }

    /// Releases a request ready to release with the clerk's pick: the packet's PDF and manifest
    /// are written under `releases_dir` (when given), and the disclosure is recorded with each
    /// document offered, the notices attached and the §2.32 template version, in one change with
    /// its audit event. Refused: fewer than requested without `confirm_partial`; picked Part 2
    /// pages without the §2.32 template; a pick naming a document not in the packet; a
    /// `signature` that is not the clerk's signature code (issue 12: a release is signed), checked
    /// after everything else, which writes nothing — the caller counts wrong codes toward the
    /// session's lock.
    #[allow(clippy::too_many_arguments)]
    pub fn roi_release_packet(
        &self,
        number: &str,
        seen_version: Option<i64>,
        released_on: NaiveDate,
        pages: Option<i64>,
        pick: &ReleasePick,
        releases_dir: Option<&Path>,
        signature: &str,
    ) -> DeskResult<(RoiRequest, Option<PacketFiles>)> {
        self.require_permission(Permission::ReleaseRecords)?;
        let request = self.request_as_seen(number, seen_version)?;
        transition(request.status, Step::Release)
            .map_err(|refusal| DeskError::Invalid(refusal.message(&request.number)))?;
        if let Some(refusal) = super::legal::awaiting_assurance_refusal(&request, Step::Release) {
            return Err(DeskError::Invalid(refusal));
        }
        if let Some(refusal) = super::fees::unpaid_refusal(&request) {
            return Err(DeskError::Invalid(refusal));
        }
        let released_on = self.past_date(released_on, &request, "released")?;
        if let Some(refusal) = release_date_refusal(&request, released_on, |at| self.local_time(at).date()) {
            return Err(DeskError::Invalid(refusal));
        }
        if let Some(problem) = pages.and_then(crate::domain::roi::fees::pages_problem) {
            return Err(DeskError::Invalid(problem));
        }
        if let Some(failed) = self.authorization_failures(&request, released_on)? {
            return Err(DeskError::Invalid(format!(
                "{} cannot be released on {}: its authorization does not stand that day ({}); add a current one first",
                request.number,
                us_date(released_on),
                failed.iter().map(|i| i.reason.clone()).collect::<Vec<_>>().join("; ")
            )));
        }
        let (mut view, chart) = self.packet_with_chart(&request, released_on)?;
        for id in &pick.leave_out {
            match view.rows.iter_mut().find(|r| r.document.id == *id) {
                Some(row) => row.picked = false,
                None => {
                    return Err(DeskError::Invalid(format!(
                        "a document left out is not in {}'s packet; look at the packet again (roi packet {})",
                        request.number, request.number
                    )));
                }
            }
        }
        let packet = !view.rows.is_empty();
        if packet && view.picked_pages() == 0 {
            return Err(DeskError::Invalid(format!(
                "nothing of {} would go: every document is left out ({}). Nothing was released.",
                request.number,
                view.left_out().iter().map(|r| r.named()).collect::<Vec<_>>().join("; ")
            )));
        }
        if view.is_partial() && !pick.confirm_partial {
            return Err(DeskError::Invalid(format!(
                "{} would go out partial — {}; left out: {}. Release the rest only on an explicit confirmation \
                 (the packet's release, P on the request, or --confirm-partial). Nothing was released.",
                request.number,
                view.totals(),
                left_out_words(&view)
            )));
        }
        let notices = view.notices();
        let part2_template = match notices.contains(&Notice::Part2Notice) {
            true => match self.store().letter_template_history(LetterKind::Part2Notice)?.pop() {
                Some(t) => Some(t),
                None => {
                    return Err(DeskError::Invalid(format!(
                        "{} carries Part 2 pages and {PART2_TEMPLATE_MISSING}; nothing was released. Or leave the Part \
                         2 documents out: {}",
                        request.number,
                        view.rows
                            .iter()
                            .filter(|r| r.picked && r.document.categories.contains(&Part2))
                            .map(|r| format!("row {}", r.row))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            },
            false => None,
        };
        let pages = match (packet, pages) {
            (true, Some(typed)) if typed != view.picked_pages() => {
                return Err(DeskError::Invalid(format!(
                    "{}'s packet is {}; {typed} pages were given — leave documents out instead of typing a count",
                    request.number,
                    view.totals()
                )));
            }
            (true, _) => view.picked_pages(),
            (false, typed) => typed.or(request.pages).unwrap_or(0),
        };
        // Signed last, once the release is known good: what would stop it is said first.
        self.check_signature(signature)?;
        let basis = super::release_basis(&request);
        let recipient = super::work::recipient_line(&request);
        let description = view.description(&super::work::scope_words(&request));
        let accountable = crate::domain::roi::accounting::accountable(basis, released_on);
        let mut detail = format!(
            "Released {} to {}: {} ({}; {})",
            us_date(released_on),
            recipient,
            description,
            basis.title().to_lowercase(),
            if accountable { "in an accounting of disclosures" } else { "not in an accounting" }
        );
        if packet {
            detail.push_str(&format!("; packet {}", view.totals()));
        }
        if !notices.is_empty() {
            detail.push_str(&format!("; notices {}", Notice::join(&notices)));
        }
        let confirmer = self.user().username.clone();
        if view.is_partial() {
            detail
                .push_str(&format!("; partial release confirmed by {confirmer}, left out: {}", left_out_words(&view)));
        }
        let files = match (packet, releases_dir) {
            (true, Some(dir)) => {
                Some(self.write_packet(dir, &request, &view, &chart, released_on, part2_template.as_ref())?)
            }
            _ => None,
        };
        let mut change = self.roi_change(&request, detail.clone());
        change.status = RequestStatus::Released;
        change.status_reason = Some(None);
        // The request stands released from its first disclosure not voided: this one, or an
        // earlier release still standing (a second packet does not move the turnaround).
        let first = crate::domain::roi::accounting::first_release(
            request.disclosures.iter().map(|d| d.disclosed_on).chain([released_on]),
        );
        change.released_on = Some(first);
        change.add_disclosure = Some(DisclosureRecord {
            disclosed_on: released_on,
            recipient,
            recipient_address: super::work::recipient_address(&request),
            description,
            purpose: request.purpose.clone(),
            legal_basis: basis,
            accountable,
            pages,
            by: confirmer,
        });
        if packet {
            change.add_packet = Some(PacketRecord {
                items: view
                    .rows
                    .iter()
                    .map(|r| ReleaseItem {
                        document_id: r.document.id,
                        pages: r.document.pages,
                        included: r.picked,
                        reason: r.left_out_reason().unwrap_or_default(),
                    })
                    .collect(),
                notices_attached: notices,
                notice_template_version: part2_template.map(|t| t.version),
                file: files.as_ref().and_then(|f| f.pdf.file_name()).map(|n| n.to_string_lossy().into_owned()),
                sha256: files.as_ref().map(|f| f.sha256.clone()),
            });
        }
        let audit = self.roi_event(AuditAction::Export, &request, detail);
        match self.apply_roi_change(&request, change, audit) {
            Ok(released) => {
                // The custodian's papers go in the same envelope as the packet: made now, beside it,
                // each recorded as a letter. The release stands whatever becomes of them.
                let mut files = files;
                if let (Some(f), Some(dir)) = (files.as_mut(), releases_dir)
                    && super::legal::custodian_papers_due(&released, &self.facility_by_id(released.facility_id)?)
                {
                    match self.roi_custodian_papers(number, Some(released.version), Some(pages.max(1)), dir) {
                        Ok((with_papers, papers)) => {
                            f.custodian_papers = papers;
                            return Ok((with_papers, files));
                        }
                        Err(e) => f.custodian_problem = Some(e.to_string()),
                    }
                }
                Ok((released, files))
            }
            Err(e) => {
                if let Some(f) = &files {
                    let _ = std::fs::remove_file(&f.pdf);
                    let _ = std::fs::remove_file(&f.manifest);
                }
                Err(e)
            }
        }
    }

    /// Writes the packet's PDF and then its manifest, owner-only, never over an earlier packet.
    fn write_packet(
        &self,
        dir: &Path,
        request: &RoiRequest,
        view: &PacketView,
        chart: &[ChartDocument],
        on: NaiveDate,
        part2_notice: Option<&LetterTemplate>,
    ) -> DeskResult<PacketFiles> {
        let notices = view.notices();
        let hiv_statement = match notices.contains(&Notice::NyHiv) {
            true => Some(self.current_template(LetterKind::NyHivStatement)?.text),
            false => None,
        };
        let facility = self.facility_by_id(request.facility_id)?;
        let documents: Vec<PrintedDocument> = view
            .rows
            .iter()
            .filter(|r| r.picked)
            .map(|r| PrintedDocument {
                heading: format!(
                    "{} {} {} ({})",
                    us_date(r.document.on),
                    r.document.doc_type,
                    r.document.title,
                    r.account
                ),
                text: chart
                    .iter()
                    .find(|c| c.document.id == r.document.id)
                    .and_then(|c| c.text.clone())
                    .unwrap_or_default(),
                pages: r.document.pages.max(1) as usize,
            })
            .collect();
        let front = |total: usize| {
            let mut first = String::new();
            if let Some(notice) = part2_notice {
                first.push_str(notice.text.trim_end());
                first.push_str("\n\n");
            }
            first.push_str(&cover_sheet(&facility.name, request, view, on, total, &self.user().display_name));
            let mut front = vec![first];
            if notices.contains(&Notice::ConsentCopy)
                && let Some(consent) = request
                    .authorizations
                    .iter()
                    .filter(|a| a.form.kind == Some(AuthorizationKind::Part2))
                    .max_by_key(|a| (a.received_on, a.at))
            {
                front.push(consent_copy(request, consent));
            }
            if let Some(statement) = &hiv_statement {
                front.push(format!("NEW YORK HIV REDISCLOSURE STATEMENT (10 NYCRR 63.5)\n\n{statement}"));
            }
            front
        };
        let number = request.number.to_string();
        let counted = crate::report::packet::paginate(&PacketLayout {
            request_number: number.clone(),
            front: front(0),
            documents: documents.clone(),
        })
        .len();
        let layout = PacketLayout { request_number: number.clone(), front: front(counted), documents };
        let (pdf, pdf_pages) = packet_pdf(&layout).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let sha256 = sha256_hex(&pdf);
        let day_dir = dir.join(on.format("%Y-%m-%d").to_string());
        let unwritable = |path: &Path, source: std::io::Error| DeskError::File {
            what: format!(
                "could not write the release packet {} (nothing was released; make the releases directory writable \
                 for this account and try again)",
                path.display()
            ),
            source,
        };
        crate::files::create_dir(&day_dir, self.file_sharing()).map_err(|e| unwritable(&day_dir, e))?;
        let (pdf_path, manifest_path) = (1..1000)
            .map(|nth| {
                let stem = if nth == 1 { format!("{number}-packet") } else { format!("{number}-packet-{nth}") };
                (day_dir.join(format!("{stem}.pdf")), day_dir.join(format!("{stem}.json")))
            })
            .find(|(pdf, manifest)| !pdf.exists() && !manifest.exists())
            .ok_or_else(|| {
                DeskError::Invalid(format!("{number} has a thousand packets on {on}; none more was written"))
            })?;
        let manifest = Manifest {
            request: number.clone(),
            patient: request.patient_name.clone(),
            recipient: view.recipient.clone(),
            released_on: on.to_string(),
            released_by: self.user().username.clone(),
            pages_released: view.picked_pages(),
            pages_requested: view.requested_pages(),
            pdf_file: pdf_path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            pdf_pages,
            pdf_bytes: pdf.len(),
            pdf_sha256: sha256.clone(),
            notices: notices.iter().map(|n| n.code().to_string()).collect(),
            notice_template_version: part2_notice.map(|t| t.version),
            partial_confirmed_by: view.is_partial().then(|| self.user().username.clone()),
            documents: view
                .rows
                .iter()
                .map(|r| ManifestDocument {
                    row: r.row,
                    date: r.document.on.to_string(),
                    doc_type: r.document.doc_type.clone(),
                    title: r.document.title.clone(),
                    pages: r.document.pages,
                    flags: r.document.categories.iter().map(|c| c.code().to_string()).collect(),
                    included: r.picked,
                    reason: r.left_out_reason().unwrap_or_default(),
                })
                .collect(),
        };
        let manifest_json = serde_json::to_vec_pretty(&manifest).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let sharing = self.file_sharing();
        crate::files::write_private(&pdf_path, &pdf, sharing).map_err(|e| unwritable(&pdf_path, e))?;
        if let Err(e) = crate::files::write_private(&manifest_path, &manifest_json, sharing) {
            let _ = std::fs::remove_file(&pdf_path);
            return Err(unwritable(&manifest_path, e));
        }
        Ok(PacketFiles {
            pdf: pdf_path,
            manifest: manifest_path,
            pdf_pages,
            sha256,
            custodian_papers: Vec::new(),
            custodian_problem: None,
        })
    }
}

use crate::domain::roi::packet::SensitiveCategory::SudPart2 as Part2;

/// `row 3, 03/01/2025 Psychotherapy session note (2 pages): Psychotherapy notes …; row 5, …`.
fn left_out_words(view: &PacketView) -> String {
    view.left_out()
        .iter()
        .map(|r| format!("{}: {}", r.named(), r.left_out_reason().unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("; ")
}

fn cover_sheet(
    facility: &str,
    request: &RoiRequest,
    view: &PacketView,
    on: NaiveDate,
    total: usize,
    by: &str,
) -> String {
    let mut s = format!(
        "{facility}\nHealth Information Management - Release of Information\n\nRELEASE PACKET {}\n\n",
        request.number
    );
    s.push_str(&format!("Patient:    {}", request.patient_name));
    if let Some(born) = request.birth_date {
        s.push_str(&format!(", born {}", us_date(born)));
    }
    s.push_str(&format!("\nRecipient:  {}\n", view.recipient));
    for line in request.requester.address.lines().map(str::trim).filter(|l| !l.is_empty()) {
        s.push_str(&format!("            {line}\n"));
    }
    s.push_str(&format!(
        "Request:    {}, received {}\nReleased:   {} by {by}\nRecords:    {} of records\nThis packet: {total} pages, this cover included\n",
        request.request_type.title(),
        us_date(request.received_on),
        us_date(on),
        view.totals()
    ));
    let notices = view.notices();
    if !notices.is_empty() {
        s.push_str(&format!("Enclosed:   {}\n", notices.iter().map(|n| n.title()).collect::<Vec<_>>().join("; ")));
    }
    let left = view.left_out();
    if left.is_empty() {
        s.push_str("\nEvery document requested is enclosed.\n");
    } else {
        s.push_str(&format!("\nLeft out ({}):\n", pages_words(left.iter().map(|r| r.document.pages).sum())));
        for r in left {
            s.push_str(&format!("  {}\n    {}\n", r.named(), r.left_out_reason().unwrap_or_default()));
        }
    }
    s
}

fn consent_copy(request: &RoiRequest, consent: &StoredAuthorization) -> String {
    let f = &consent.form;
    let or_blank = |s: &str| if s.trim().is_empty() { "(not given)".to_string() } else { s.trim().to_string() };
    let expires = match (f.expires_on, f.expiration_event.trim()) {
        (Some(on), _) => us_date(on),
        (None, "") => "(not given)".to_string(),
        (None, event) => event.to_string(),
    };
    format!(
        "COPY OF THE PART 2 CONSENT (42 CFR 2.31, 2.32) held with {}\n\n\
         Patient:            {}\n\
         Signed:             {} by {} ({})\n\
         Who may disclose:   {}\n\
         Recipient:          {}\n\
         Information:        {}\n\
         Purpose:            {}\n\
         Expires:            {}\n\
         Right to revoke:    {}\n\
         Received:           {}\n",
        request.number,
        or_blank(&f.patient_name),
        f.signed_on.map(us_date).unwrap_or_else(|| "(no date)".into()),
        or_blank(&f.signer),
        or_blank(&f.relationship),
        or_blank(&f.discloser),
        or_blank(&f.recipient),
        or_blank(&f.information),
        or_blank(&f.purpose),
        expires,
        if f.revocation_statement { "stated" } else { "not stated" },
        us_date(consent.received_on),
    )
}
