//! `chartroom roi legal …` and `chartroom roi custodian-papers …`: the papers of a subpoena or a
//! court order, and the custodian's papers for subpoenaed records, through the desk functions the
//! request screen calls. docs/roi.md documents them; `roi show` prints the legal process with
//! [`legal_lines`] and `--json` with [`LegalJson`].

use super::{CliError, args, fail};
use crate::desk::Desk;
use crate::domain::dates::us_date;
use crate::domain::roi::LegalProcess;
use crate::domain::roi::legal::{self, LegalPaper, ObjectionWindow};
use crate::domain::text::clean;
use crate::store::roi::RoiRequest;
use chrono::NaiveDate;
use serde::Serialize;
use std::path::Path;

/// Record one paper received for a request's subpoena or order.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("paper").required(true).args(["assurance", "qpo", "part2_order"])))]
pub struct LegalArgs {
    pub number: String,
    /// The day the party's written satisfactory assurance came (164.512(e)(1)(ii)(A)): the
    /// individual was notified and the time to object has passed.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
    pub assurance: Option<NaiveDate>,
    /// What the assurance says (how and when the individual was notified).
    #[arg(long, requires = "assurance", value_name = "TEXT")]
    pub note: Option<String>,
    /// The day a qualified protective order came (164.512(e)(1)(ii)(B)).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
    pub qpo: Option<NaiveDate>,
    /// The date of a 42 CFR 2.64 order authorizing disclosure of Part 2 records.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date, requires_all = ["court", "order_no"])]
    pub part2_order: Option<NaiveDate>,
    /// The court that made the §2.64 order.
    #[arg(long, requires = "part2_order")]
    pub court: Option<String>,
    /// The §2.64 order's number.
    #[arg(long, requires = "part2_order", value_name = "NUMBER")]
    pub order_no: Option<String>,
}

pub(super) fn record(
    desk: &Desk,
    a: LegalArgs,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let paper = match (a.assurance, a.qpo, a.part2_order) {
        (Some(received_on), None, None) => LegalPaper::Assurance { received_on, note: a.note.unwrap_or_default() },
        (None, Some(received_on), None) => LegalPaper::Qpo { received_on },
        (None, None, Some(ordered_on)) => LegalPaper::Part2Order {
            ordered_on,
            court: a.court.unwrap_or_default(),
            order_no: a.order_no.unwrap_or_default(),
        },
        _ => return Err(CliError::new("one paper at a time: --assurance, --qpo or --part2-order".into())),
    };
    let title = paper.title();
    let request = desk.roi_record_legal_paper(&a.number, None, paper).map_err(fail)?;
    emit(format!("{}: the {title} is recorded. {}.", request.number, status_words(&request)))
}

pub(super) fn custodian_papers(
    desk: &Desk,
    letters_dir: &Path,
    number: &str,
    pages: Option<i64>,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let (request, files) = desk.roi_custodian_papers(number, None, pages, letters_dir).map_err(fail)?;
    let written: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    emit(format!(
        "{}: the custodian's declaration and the sealed inner and outer envelope labels are written:\n  {}",
        request.number,
        written.join("\n  ")
    ))
}

fn status_words(request: &RoiRequest) -> String {
    match request.status_reason.as_deref() {
        Some(reason) => format!("{}: {}", request.status.title(), clean(reason)),
        None => request.status.title().to_string(),
    }
}

/// The legal process as `roi show --json` gives it: its particulars and papers, with what the
/// desk computes from them.
#[derive(Debug, Serialize)]
pub(super) struct LegalJson<'a> {
    #[serde(flatten)]
    process: &'a LegalProcess,
    /// When objections to a civil subpoena close (FRCP 45(d)(2)(B)); null for an order or a
    /// criminal subpoena.
    objection_window: Option<ObjectionWindow>,
    awaits_assurance: bool,
    has_part2_court_order: bool,
    /// `Part 2: §2.64 authorizing court order required …` until the order is on file.
    part2_blocking_item: Option<&'static str>,
}

impl<'a> LegalJson<'a> {
    pub(super) fn of(process: &'a LegalProcess) -> Self {
        Self {
            process,
            objection_window: legal::objection_window(process),
            awaits_assurance: legal::awaits_assurance(process),
            has_part2_court_order: legal::has_part2_court_order(Some(process)),
            part2_blocking_item: legal::part2_blocking_item(Some(process)),
        }
    }
}

/// The legal process's lines of `roi show`: (label, text).
pub(super) fn legal_lines(process: &LegalProcess) -> Vec<(&'static str, String)> {
    let mut lines = vec![(
        "Legal",
        format!(
            "{}{} ({}) served {}, {} case {}",
            process.kind.title(),
            if process.criminal { " (criminal)" } else { " (civil)" },
            process.jurisdiction.title().to_lowercase(),
            us_date(process.served_on),
            clean(&process.court),
            clean(&process.case_number)
        ),
    )];
    if !process.caption.trim().is_empty() {
        lines.push(("Caption", clean(&process.caption).into_owned()));
    }
    if let Some(on) = process.return_on {
        lines.push(("Return", us_date(on)));
    }
    if let Some(window) = legal::objection_window(process) {
        lines.push(("Objections", format!("until {} ({})", us_date(window.until), window.rule)));
    }
    lines.push(("Assurance", assurance_words(process)));
    lines.push((
        "Part 2",
        match &process.part2_order {
            Some(order) => format!(
                "§2.64 order {} of {} dated {}",
                clean(&order.order_no),
                clean(&order.court),
                us_date(order.ordered_on)
            ),
            None => legal::PART2_ORDER_REQUIRED.to_string(),
        },
    ));
    lines
}

/// `received 03/12/2025`, `QPO received 03/11/2025`, or what is awaited.
fn assurance_words(process: &LegalProcess) -> String {
    let mut parts = Vec::new();
    if let Some(a) = &process.assurance {
        parts.push(match a.note.trim() {
            "" => format!("received {}", us_date(a.received_on)),
            note => format!("received {} ({})", us_date(a.received_on), clean(note)),
        });
    }
    if let Some(on) = process.qpo_on {
        parts.push(format!("QPO received {}", us_date(on)));
    }
    match (parts.is_empty(), process.kind) {
        (false, _) => parts.join("; "),
        (true, crate::domain::roi::LegalProcessKind::CourtOrder) => "none needed: a court order".to_string(),
        (true, _) => "awaited: satisfactory assurance or a QPO (164.512(e))".to_string(),
    }
}
