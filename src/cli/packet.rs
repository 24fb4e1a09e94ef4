//! `chartroom roi packet NO` and `chartroom roi release NO …`: the release packet from a script —
//! what the request reaches, what the rules leave out and why, and the release of the clerk's pick
//! (`--leave-out ROW…`, `--confirm-partial`). docs/roi.md documents both.

use super::{CliError, fail, print};
use crate::desk::Desk;
use crate::desk::roi::packet::{PacketView, ReleasePick};
use crate::domain::dates::us_date;
use crate::domain::roi::packet::Decision;
use crate::domain::text::clean;
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt::Write;
use std::path::Path;

#[derive(Serialize)]
struct RowJson<'a> {
    row: usize,
    date: NaiveDate,
    doc_type: &'a str,
    title: &'a str,
    account: &'a str,
    pages: i64,
    flags: Vec<&'static str>,
    in_designated_record_set: bool,
    included: bool,
    notices: Vec<&'static str>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct PacketJson<'a> {
    request: &'a str,
    status: &'a str,
    recipient: &'a str,
    pages_released: i64,
    pages_requested: i64,
    totals: String,
    notices: Vec<&'static str>,
    blocking: Vec<String>,
    part2_notice_template_version: Option<i64>,
    documents: Vec<RowJson<'a>>,
}

fn packet_json(view: &PacketView) -> PacketJson<'_> {
    PacketJson {
        request: &view.number,
        status: view.status.code(),
        recipient: &view.recipient,
        pages_released: view.picked_pages(),
        pages_requested: view.requested_pages(),
        totals: view.totals(),
        notices: view.notices().iter().map(|n| n.code()).collect(),
        blocking: view.blocking_now(),
        part2_notice_template_version: view.part2_notice_version,
        documents: view
            .rows
            .iter()
            .map(|r| RowJson {
                row: r.row,
                date: r.document.on,
                doc_type: &r.document.doc_type,
                title: &r.document.title,
                account: &r.account,
                pages: r.document.pages,
                flags: r.document.categories.iter().map(|c| c.code()).collect(),
                in_designated_record_set: r.document.in_designated_record_set,
                included: r.picked,
                notices: match &r.decision {
                    Decision::Included { notices } => notices.iter().map(|n| n.code()).collect(),
                    Decision::Excluded { .. } => Vec::new(),
                },
                reason: match &r.decision {
                    Decision::Excluded { reason } => Some(reason),
                    Decision::Included { .. } => None,
                },
            })
            .collect(),
    }
}

/// `roi packet NO [--json]`.
pub(super) fn show(
    desk: &Desk,
    number: &str,
    json: bool,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let view = desk.roi_packet(number).map_err(fail)?;
    if json {
        return emit(print::to_json(&packet_json(&view)));
    }
    emit(packet_text(&view))
}

/// The packet as a clerk reads it: each row whole, with its decision, then the totals.
pub fn packet_text(view: &PacketView) -> String {
    let mut out = format!("{} to {}: packet of {}\n", view.number, clean(&view.recipient), view.totals());
    if view.rows.is_empty() {
        out.push_str("No document on file is within the request's scope.\n");
    }
    for r in &view.rows {
        let _ = write!(
            out,
            "{:>3}  {}  {:<8} {}  {}  {}",
            r.row,
            us_date(r.document.on),
            r.document.doc_type,
            clean(&r.document.title),
            if r.document.pages == 1 { "1 page".to_string() } else { format!("{} pages", r.document.pages) },
            if r.picked { "goes" } else { "LEFT OUT" }
        );
        if !r.document.categories.is_empty() {
            let _ = write!(out, "  [{}]", r.flags());
        }
        out.push('\n');
        match &r.decision {
            Decision::Excluded { reason } => {
                let _ = writeln!(out, "     {reason}");
            }
            Decision::Included { notices } if !notices.is_empty() => {
                let names: Vec<&str> = notices.iter().map(|n| n.title()).collect();
                let _ = writeln!(out, "     with {}", names.join(", "));
            }
            Decision::Included { .. } => {}
        }
    }
    for item in view.blocking_now() {
        let _ = writeln!(out, "BLOCKING: {item}");
    }
    let _ = writeln!(out, "Total: {}", view.totals());
    out
}

/// What the clerk said of a release: the rows left out, the partial's confirmation, and where the
/// signature code comes from.
pub(super) struct Pick<'a> {
    pub leave_out: &'a [usize],
    pub confirm_partial: bool,
    pub signature_stdin: bool,
}

/// `roi release NO --date D [--pages N] [--leave-out ROW…] [--confirm-partial] [--signature-stdin]`.
pub(super) fn release(
    desk: &Desk,
    releases_dir: &Path,
    number: &str,
    date: NaiveDate,
    pages: Option<i64>,
    Pick { leave_out, confirm_partial, signature_stdin }: Pick<'_>,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut pick = ReleasePick { leave_out: Vec::new(), confirm_partial };
    if !leave_out.is_empty() {
        let view = desk.roi_packet(number).map_err(fail)?;
        for row in leave_out {
            let found = view.rows.iter().find(|r| r.row == *row).ok_or_else(|| {
                CliError::new(format!(
                    "--leave-out {row}: {}'s packet has rows 1 to {} (roi packet {})",
                    view.number,
                    view.rows.len(),
                    view.number
                ))
            })?;
            pick.leave_out.push(found.document.id);
        }
    }
    // Asked once the rows are known good, and never of a clerk who may not release: a release is
    // signed like a break of the glass.
    desk.require_permission(crate::domain::role::Permission::ReleaseRecords).map_err(fail)?;
    let code = super::signature::read_code("Signature code", signature_stdin)?;
    let (request, files) =
        desk.roi_release_packet(number, None, date, pages, &pick, Some(releases_dir), &code).map_err(fail)?;
    let disclosure = request.disclosures.last();
    let mut out = format!(
        "{} released {} to {}; the disclosure is recorded ({}{}).",
        request.number,
        us_date(date),
        disclosure
            .map(|d| {
                // The recipient with the address it went to, on one line.
                let lines = d.recipient_address.lines().map(|l| clean(l.trim()).into_owned());
                std::iter::once(clean(&d.recipient).into_owned())
                    .chain(lines.filter(|l| !l.is_empty()))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default(),
        disclosure.map(|d| d.legal_basis.title().to_lowercase()).unwrap_or_default(),
        if disclosure.is_some_and(|d| d.accountable) {
            "; it belongs in the patient's accounting of disclosures"
        } else {
            "; not in an accounting of disclosures"
        }
    );
    if let Some(files) = files {
        let _ = write!(
            out,
            "\nPacket: {} ({} pages, sha256 {})\nManifest: {}",
            files.pdf.display(),
            files.pdf_pages,
            files.sha256,
            files.manifest.display()
        );
        for paper in &files.custodian_papers {
            let _ = write!(out, "\nCustodian paper: {}", paper.display());
        }
        if let Some(problem) = &files.custodian_problem {
            let _ = write!(out, "\nThe custodian's papers were not made: {problem} (roi custodian-papers makes them)");
        }
    }
    emit(out)
}
