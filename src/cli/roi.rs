//! `chartroom roi …` and `chartroom template …`: the release-of-information desk from a script,
//! through the same desk functions the screens call. docs/roi.md documents the request file and
//! every command; `roi show --json` is a contract other systems read.

use super::{CliError, args, fail, print};
use crate::desk::Desk;
use crate::desk::roi::request_file::{self, FileProblems};
use crate::desk::roi::{Assignee, Logged, OnOpenRequest, RoiQuery};
use crate::domain::dates::us_date;
use crate::domain::roi::status::Step;
use crate::domain::roi::{LetterKind, ReceivedVia, RequestStatus, RequestType};
use crate::domain::text::clean;
use crate::domain::text::plural;
use crate::store::Page;
use crate::store::roi::{RoiQueueRow, RoiRequest, RoiSort};
use chrono::NaiveDate;
use clap::Subcommand;
use serde::Serialize;
use std::fmt::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Subcommand)]
pub enum RoiCommand {
    /// Log a request from a request file (docs/roi.md lists its fields). Prints the new number, or
    /// the open request it was recorded on as a follow-up.
    Log {
        /// The request file (TOML).
        #[arg(long, value_name = "REQUEST.toml")]
        file: PathBuf,
        /// Log a new request even when the patient has an open one from the same requester (it asks
        /// for something else).
        #[arg(long, conflicts_with = "follow_up")]
        new: bool,
        /// Record it as a follow-up on this open request.
        #[arg(long, value_name = "NUMBER")]
        follow_up: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A request whole: its clocks and rules, checklist, follow-ups, letters and history.
    Show {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// The ROI queue: open requests, soonest due first, unless filtered or sorted otherwise.
    List {
        #[command(flatten)]
        filter: RoiFilterArgs,
        /// due, received, number, patient, requester or status.
        #[arg(long, default_value = "due")]
        sort: String,
        /// How many requests to show, 1 to 1000.
        #[arg(long, default_value_t = 50, value_parser = args::limit::<1000>)]
        limit: usize,
        /// How many to skip, for the pages after the first.
        #[arg(long, default_value_t = 0, value_parser = args::offset)]
        offset: usize,
        #[arg(long)]
        json: bool,
    },
    /// Open requests by days since receipt: 0-15, 16-25, 26-30 and over 30.
    Aging {
        #[command(flatten)]
        filter: RoiFilterArgs,
        #[arg(long)]
        json: bool,
    },
    /// Record the one extension HIPAA allows, with its notice letter: within the first 30 days of
    /// receipt (60 for an accounting), at most 30 days past the HIPAA date.
    Extend {
        number: String,
        /// The date the request will be completed by.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: NaiveDate,
        /// Why it needs the time (it goes in the notice).
        #[arg(long)]
        reason: String,
        /// The day the written notice went out, when not today.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        noticed_on: Option<NaiveDate>,
    },
    /// Pend a request for something the requester must supply.
    Pend(ReasonArgs),
    /// Put a request on hold.
    Hold(ReasonArgs),
    /// Reject a request that cannot be fulfilled: a rejection letter (a denial, for the patient's
    /// own right of access) goes out with the reason.
    Reject(ReasonArgs),
    /// Cancel a request entered in error (supervisor): kept, never deleted.
    Cancel(ReasonArgs),
    /// Move a request one step: validate, resume, exception, fulfil, qc, rework, await_payment,
    /// payment_received, ready_to_release or close.
    Step {
        number: String,
        step: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Assign a request to a clerk (your own name to take it), or with --nobody to no one.
    Assign {
        number: String,
        #[arg(required_unless_present = "nobody")]
        user: Option<String>,
        #[arg(long, conflicts_with = "user")]
        nobody: bool,
    },
    /// Record a payment: payment-gated clocks get their date; a request awaiting payment is ready
    /// to release.
    Pay {
        number: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: NaiveDate,
        /// Dollars: 92.00.
        #[arg(long)]
        amount: String,
    },
    /// Release a request ready to release: writes the packet (PDF and manifest under
    /// DATA_DIR/releases/) and records the disclosure (who, what, when, legal basis).
    Release {
        number: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: NaiveDate,
        /// Pages released, when no document on file is within the request's scope (paper records);
        /// otherwise the packet counts them.
        #[arg(long)]
        pages: Option<i64>,
        /// Rows of the packet (roi packet NUMBER) to leave out.
        #[arg(long, value_name = "ROW", num_args = 1.., value_delimiter = ',')]
        leave_out: Vec<usize>,
        /// Release fewer documents than requested: what the rules or --leave-out leave out stays
        /// behind, and the audit names who confirmed.
        #[arg(long)]
        confirm_partial: bool,
        /// Read the signature code that signs the release from standard input rather than the
        /// terminal.
        #[arg(long = "signature-stdin")]
        signature_stdin: bool,
    },
    /// The release packet: every document the request reaches, what goes, what the rules leave
    /// out and why, the notices, and the totals.
    Packet {
        number: String,
        #[arg(long)]
        json: bool,
    },
    /// Record an authorization received after the request (a corrected one): its checklist runs,
    /// and a pended request resumes when it passes.
    Authorization {
        number: String,
        /// A file holding an [authorization] table, as in the request file.
        #[arg(long, value_name = "AUTH.toml")]
        file: PathBuf,
        /// The day it arrived, when not today.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        received_on: Option<NaiveDate>,
    },
    /// Record a request re-sent by its requester on the original: no new number, no new clock.
    FollowUp {
        number: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: NaiveDate,
        /// mail, fax, portal, email, in_person or phone.
        #[arg(long)]
        via: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Make the acknowledgement or the deficient-authorization letter again.
    Letter {
        number: String,
        /// acknowledgement or deficient_authorization.
        kind: String,
    },
    /// A patient's accounting of disclosures (164.528) for a request made on --date: text, --json,
    /// --pdf; --deliver records it given (its text and PDF go with the letters).
    Accounting(super::disclosure::AccountingArgs),
    /// Record a paper received for a subpoena or an order: the satisfactory assurance, a
    /// qualified protective order, or a 42 CFR 2.64 order (with --court and --order-no). A
    /// subpoena pended for its assurance returns to validating.
    Legal(super::legal::LegalArgs),
    /// Write the custodian's declaration (CA Evid 1561) and the sealed inner and outer envelope
    /// labels (Evid 1560(c)) for a subpoena's records, as text and PDF under the letters directory.
    CustodianPapers {
        number: String,
        /// The pages of the records, when not the request's own count.
        #[arg(long)]
        pages: Option<i64>,
    },
    /// The Director's view (supervisor, Director of HIM): over --from..--to, per ISO week, requests
    /// received and released, turnaround median and 90th percentile, fees invoiced and collected;
    /// open, overdue and pended by reason. Text, or --json.
    Stats(super::roi_stats::StatsArgs),
    /// Quote the fee before work, under the schedule in force when the request was received, and
    /// record the quote with the request.
    Quote {
        number: String,
        /// The pages counted, when the request does not say or the count changed.
        #[arg(long)]
        pages: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Issue the request's invoice, itemized; a request in QC then awaits payment.
    Invoice {
        number: String,
        #[arg(long)]
        pages: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Write off what is owed on the invoice, or part of it (supervisor, Director of HIM).
    WriteOff {
        number: String,
        /// Dollars: 12.00.
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Refund money paid on the invoice (supervisor, Director of HIM).
    Refund {
        number: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        reason: String,
    },
    /// Void an invoice nothing is paid on, so a corrected one can be issued (supervisor, Director).
    VoidInvoice {
        number: String,
        #[arg(long)]
        reason: String,
    },
    /// Find requesters in the address book by the first letters of a name or organization.
    Requesters {
        prefix: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct ReasonArgs {
    pub number: String,
    #[arg(long)]
    pub reason: String,
}

/// What narrows the ROI queue, as its filters on screen.
#[derive(Debug, clap::Args)]
pub struct RoiFilterArgs {
    /// A status (logged, validating, pended, on_hold, exception, ready_to_fulfil, in_qc,
    /// awaiting_payment, ready_to_release, released, closed, rejected, cancelled); repeat for more.
    #[arg(long = "status", value_name = "STATUS")]
    pub statuses: Vec<String>,
    #[arg(long = "type", value_name = "TYPE")]
    pub request_type: Option<String>,
    /// A requester's name or organization, by its first letters.
    #[arg(long)]
    pub requester: Option<String>,
    /// Whose: mine, nobody, or a user's name.
    #[arg(long, value_name = "WHO")]
    pub assignee: Option<String>,
    /// Only requests past their due date.
    #[arg(long)]
    pub overdue: bool,
    /// Only requests due within this many days.
    #[arg(long, value_name = "N")]
    pub due_within: Option<u32>,
    #[arg(long, value_name = "CODE")]
    pub facility: Option<String>,
    /// One patient's requests.
    #[arg(long, value_name = "MRN")]
    pub mrn: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// The letter templates, each at its current version.
    List {
        #[arg(long)]
        json: bool,
    },
    /// A template's text (the current version, or --version N), and the placeholders it may use.
    Show {
        /// acknowledgement, deficient_authorization, extension_notice, denial or rejection.
        kind: String,
        #[arg(long)]
        version: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Save a new version of a template (Director of HIM): from --file, or edited in $EDITOR.
    Edit {
        kind: String,
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
}

pub(super) fn run(
    desk: &Desk,
    letters_dir: &Path,
    releases_dir: &Path,
    action: RoiCommand,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let letters = Some(letters_dir);
    match action {
        RoiCommand::Log { file, new, follow_up, json } => log(desk, letters, &file, new, follow_up, json, emit),
        RoiCommand::Show { number, json } => {
            let request = desk.roi_request(&number).map_err(fail)?;
            if json {
                emit(print::to_json(&ShowJson::of(&request)))
            } else {
                {
                    // The request's own facility's wall clock, as its screen shows it.
                    let zone = desk
                        .facility_by_id(request.facility_id)
                        .ok()
                        .and_then(|f| f.timezone.parse::<chrono_tz::Tz>().ok());
                    let local = move |at: chrono::DateTime<chrono::Utc>| match zone {
                        Some(tz) => at.with_timezone(&tz).naive_local(),
                        None => desk.local_time(at),
                    };
                    emit(show_text(&request, desk.today(), &local))
                }
            }
        }
        RoiCommand::List { filter, sort, limit, offset, json } => {
            let sort = parse_sort(&sort)?;
            let query = query(desk, filter)?;
            let page = desk.roi_queue(&query, sort, Page { offset, limit }).map_err(fail)?;
            let today = desk.today();
            if json {
                let rows: Vec<RowJson> = page.rows.iter().map(|r| RowJson::of(r, today)).collect();
                return emit(print::to_json(&serde_json::json!({ "total": page.total, "rows": rows })));
            }
            let mut out = queue_text(&page.rows, today);
            let shown = offset.saturating_add(page.rows.len());
            let total = usize::try_from(page.total).unwrap_or(usize::MAX);
            let noun = |n: usize| if n == 1 { "request" } else { "requests" };
            if page.rows.is_empty() {
                out = format!("No {} matches.", if offset > 0 { "more request" } else { "request" });
            } else if shown < total {
                let _ = write!(out, "\n… {} more {} below (--offset {shown})", total - shown, noun(total - shown));
            } else {
                let _ = write!(out, "\n{total} {}", noun(total));
            }
            emit(out)
        }
        RoiCommand::Aging { filter, json } => {
            let query = query(desk, filter)?;
            let bands = desk.roi_aging(&query).map_err(fail)?;
            if json {
                return emit(print::to_json(&bands));
            }
            let mut out = String::from("Open requests by days since receipt:\n");
            for band in &bands {
                let _ = writeln!(out, "  {:>6}  {}", band.label, band.count);
            }
            emit(out.trim_end().to_string())
        }
        RoiCommand::Extend { number, date, reason, noticed_on } => {
            let request = desk.roi_extend(&number, None, date, &reason, noticed_on, letters).map_err(fail)?;
            let mut said = format!(
                "{} extended to {}; the extension notice is written.",
                request.number,
                request.extended_due_on.map(us_date).unwrap_or_default()
            );
            // A shorter state clock is not extended by HIPAA's extension.
            if request.due.due_on != request.extended_due_on {
                let _ = write!(
                    said,
                    " It is still due {} ({}).",
                    request.due.due_on.map(us_date).unwrap_or_else(|| "-".into()),
                    request.due.due_rule
                );
            }
            emit(said)
        }
        RoiCommand::Pend(a) => step(desk, letters, &a.number, Step::Pend, Some(&a.reason), emit),
        RoiCommand::Hold(a) => step(desk, letters, &a.number, Step::Hold, Some(&a.reason), emit),
        RoiCommand::Reject(a) => step(desk, letters, &a.number, Step::Reject, Some(&a.reason), emit),
        RoiCommand::Cancel(a) => step(desk, letters, &a.number, Step::Cancel, Some(&a.reason), emit),
        RoiCommand::Step { number, step: word, reason } => {
            let chosen = Step::parse(&word.replace('-', "_")).filter(|s| *s != Step::Release).ok_or_else(|| {
                let words: Vec<&str> = Step::ALL.iter().filter(|s| **s != Step::Release).map(|s| s.code()).collect();
                CliError::new(format!("{:?} is not a step; one of: {}", clean(&word), words.join(", ")))
            })?;
            step(desk, letters, &number, chosen, reason.as_deref(), emit)
        }
        RoiCommand::Assign { number, user, nobody } => {
            let user = if nobody { None } else { user };
            let request = desk.roi_assign(&number, None, user.as_deref()).map_err(fail)?;
            emit(match &request.assigned_to {
                Some(user) => format!("{} is assigned to {user}.", request.number),
                None => format!("{} is assigned to no one.", request.number),
            })
        }
        RoiCommand::Pay { number, date, amount } => {
            let cents = crate::desk::roi::intake::parse_dollars(&amount)
                .map_err(|problem| CliError::new(format!("--amount: {problem}")))?;
            let request = desk.roi_pay(&number, None, date, cents).map_err(fail)?;
            emit(format!(
                "{}: payment of {} received {} is recorded; {}. {}.",
                request.number,
                crate::desk::roi::intake::dollars(cents),
                us_date(date),
                due_words(&request),
                request.status.title()
            ))
        }
        RoiCommand::Release { number, date, pages, leave_out, confirm_partial, signature_stdin } => {
            let pick = super::packet::Pick { leave_out: &leave_out, confirm_partial, signature_stdin };
            super::packet::release(desk, releases_dir, &number, date, pages, pick, emit)
        }
        RoiCommand::Packet { number, json } => super::packet::show(desk, &number, json, emit),
        RoiCommand::Authorization { number, file, received_on } => {
            let text = read_file(&file)?;
            let form = request_file::parse_authorization(&text).map_err(|p| refused_file(&file, &p))?;
            let request = desk.roi_add_authorization(&number, None, form, received_on, letters).map_err(fail)?;
            let latest = request.authorizations.iter().max_by_key(|a| (a.received_on, a.at));
            let failed: Vec<&str> = latest
                .map(|a| a.checklist.iter().filter(|i| !i.passed).map(|i| i.element.as_str()).collect())
                .unwrap_or_default();
            emit(if failed.is_empty() {
                format!("{}: the authorization passes its checklist. {}.", request.number, status_words(&request))
            } else {
                format!(
                    "{}: the authorization fails {} ({}); the deficient-authorization letter is written. {}.",
                    request.number,
                    plural(failed.len(), "item", "items"),
                    failed.join(", "),
                    status_words(&request)
                )
            })
        }
        RoiCommand::FollowUp { number, date, via, note } => {
            let via = ReceivedVia::parse(&via).map_err(|e| CliError::new(format!("--via: {e}")))?;
            let request = desk.log_roi_follow_up(&number, None, date, via, &note).map_err(fail)?;
            emit(format!("{} (follow-up): {}", request.number, follow_up_words(&request)))
        }
        RoiCommand::Letter { number, kind } => {
            let kind = LetterKind::parse(&kind).map_err(|e| CliError::new(e.to_string()))?;
            let (request, files) = desk.roi_letter(&number, None, kind, letters).map_err(fail)?;
            emit(format!(
                "{}: the {} letter is written: {}",
                request.number,
                kind.title().to_lowercase(),
                files_words(&files)
            ))
        }
        RoiCommand::Accounting(a) => super::disclosure::accounting(desk, letters_dir, a, emit),
        RoiCommand::Legal(a) => super::legal::record(desk, a, emit),
        RoiCommand::CustodianPapers { number, pages } => {
            super::legal::custodian_papers(desk, letters_dir, &number, pages, emit)
        }
        RoiCommand::Stats(a) => super::roi_stats::stats(desk, a, emit),
        RoiCommand::Quote { number, pages, json } => super::fees::quote(desk, &number, pages, json, emit),
        RoiCommand::Invoice { number, pages, json } => super::fees::invoice(desk, &number, pages, json, emit),
        RoiCommand::WriteOff { number, amount, reason } => {
            super::fees::adjust(desk, &number, super::fees::Adjust::WriteOff, Some(&amount), &reason, emit)
        }
        RoiCommand::Refund { number, amount, reason } => {
            super::fees::adjust(desk, &number, super::fees::Adjust::Refund, Some(&amount), &reason, emit)
        }
        RoiCommand::VoidInvoice { number, reason } => {
            super::fees::adjust(desk, &number, super::fees::Adjust::Void, None, &reason, emit)
        }
        RoiCommand::Requesters { prefix, json } => {
            let found = desk.search_requesters(&prefix, 50).map_err(fail)?;
            if json {
                return emit(print::to_json(&found));
            }
            if found.is_empty() {
                return emit(format!("No requester's name or organization starts with {:?}.", clean(&prefix)));
            }
            use print::Align::Left;
            let mut table = print::Columns::new("", &[Left, Left, Left, Left]);
            table.row(["NAME", "ORGANIZATION", "KIND", "ADDRESS"].map(String::from).to_vec());
            for r in &found {
                table.row(vec![
                    clean(&r.name).into_owned(),
                    clean(&r.organization).into_owned(),
                    r.kind.title().to_string(),
                    r.address.lines().map(|l| clean(l.trim()).into_owned()).collect::<Vec<_>>().join(", "),
                ]);
            }
            emit(table.render())
        }
    }
}

fn log(
    desk: &Desk,
    letters: Option<&Path>,
    file: &Path,
    new: bool,
    follow_up: Option<String>,
    json: bool,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let text = read_file(file)?;
    let parsed = request_file::parse(&text).map_err(|problems| refused_file(file, &problems))?;
    if let Some(original) = follow_up {
        // Named by the clerk: recorded on that request, whatever the file's requester.
        let form = &parsed.form;
        let (Some(received_on), Some(via)) = (form.received_on, form.received_via) else {
            return Err(CliError::new("the file needs received_on and received_via for a follow-up".into()));
        };
        let request = desk.log_roi_follow_up(&original, None, received_on, via, "").map_err(fail)?;
        return print_logged(&Logged::FollowUp { request: Box::new(request) }, json, emit);
    }
    let on_open = if new { OnOpenRequest::LogNew } else { OnOpenRequest::FollowUp };
    match desk.log_roi_request(parsed.form.clone(), on_open, letters).map_err(fail)? {
        Ok(logged) => {
            if let Logged::New { letter_problem: Some(problem), request, .. } = &logged {
                eprintln!(
                    "warning: {problem}\nMake it again with: chartroom roi letter {} {}",
                    request.number,
                    if request.status == RequestStatus::Pended { "deficient_authorization" } else { "acknowledgement" }
                );
            }
            print_logged(&logged, json, emit)
        }
        Err(problems) => Err(refused_file(file, &parsed.located(&problems))),
    }
}

fn print_logged(
    logged: &Logged,
    json: bool,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let (request, follow_up, letters) = match logged {
        Logged::New { request, letters, .. } => (request, false, letters.clone()),
        Logged::FollowUp { request } => (request, true, Vec::new()),
    };
    if json {
        return emit(print::to_json(&serde_json::json!({
            "number": request.number.to_string(),
            "follow_up": follow_up,
            "status": request.status.code(),
            "status_reason": request.status_reason,
            "due_on": request.due.due_on,
            "due_rule": request.due.due_rule,
            "letters": letters,
        })));
    }
    // The number first, so that a script can take the first word.
    if follow_up {
        return emit(format!("{} (follow-up): {}", request.number, follow_up_words(request)));
    }
    let mut said = format!(
        "{} logged for {} (MRN {}): {}; {}.",
        request.number,
        clean(&request.patient_name),
        request.mrn,
        request.request_type.title().to_lowercase(),
        due_words(request)
    );
    if request.status == RequestStatus::Pended {
        let _ = write!(said, " Pended: {}.", request.status_reason.as_deref().unwrap_or_default());
        let failed: Vec<&str> = request
            .authorizations
            .last()
            .map(|a| a.checklist.iter().filter(|i| !i.passed).map(|i| i.element.as_str()).collect())
            .unwrap_or_default();
        if !failed.is_empty() {
            let _ = write!(said, " The authorization fails {}.", failed.join(", "));
        }
    }
    if !letters.is_empty() {
        let _ = write!(said, " Letter: {}", files_words(&letters));
    }
    emit(said)
}

fn step(
    desk: &Desk,
    letters: Option<&Path>,
    number: &str,
    step: Step,
    reason: Option<&str>,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let request = desk.roi_step(number, None, step, reason, letters).map_err(fail)?;
    let mut said = match request.status_reason.as_deref().filter(|r| !r.is_empty()) {
        Some(reason) => format!("{} is {}: {}", request.number, request.status.title().to_lowercase(), clean(reason)),
        None => format!("{} is {}", request.number, request.status.title().to_lowercase()),
    };
    let letter = match (step, request.status) {
        (Step::Reject, _) | (Step::Validate, RequestStatus::Pended) => request.letters.last(),
        _ => None,
    };
    if let Some(letter) = letter {
        let _ = write!(said, "; the {} letter is written", letter.kind.title().to_lowercase());
    }
    said.push('.');
    emit(said)
}

fn parse_sort(word: &str) -> Result<RoiSort, CliError> {
    Ok(match word.trim().to_ascii_lowercase().as_str() {
        "due" => RoiSort::Due,
        "received" => RoiSort::Received,
        "number" => RoiSort::Number,
        "patient" => RoiSort::Patient,
        "requester" => RoiSort::Requester,
        "status" => RoiSort::Status,
        _ => {
            return Err(CliError::new(format!(
                "sort by due, received, number, patient, requester or status, not {:?}",
                clean(word)
            )));
        }
    })
}

fn query(desk: &Desk, filter: RoiFilterArgs) -> Result<RoiQuery, CliError> {
    let statuses = filter
        .statuses
        .iter()
        .flat_map(|s| s.split(','))
        .filter(|s| !s.trim().is_empty())
        .map(|s| RequestStatus::parse(s).map_err(|e| CliError::new(format!("--status: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let request_type = filter
        .request_type
        .as_deref()
        .map(|t| RequestType::parse(t).map_err(|e| CliError::new(format!("--type: {e}"))))
        .transpose()?;
    let assignee = filter.assignee.as_deref().map(|who| match who.trim().to_ascii_lowercase().as_str() {
        "mine" | "me" => Assignee::Me,
        "nobody" | "none" | "unassigned" => Assignee::Nobody,
        _ => Assignee::User(who.trim().to_string()),
    });
    let _ = desk;
    Ok(RoiQuery {
        statuses,
        request_type,
        requester: filter.requester,
        assignee,
        overdue: filter.overdue,
        due_within: filter.due_within,
        facility: filter.facility,
        patient: filter.mrn,
    })
}

fn read_file(file: &Path) -> Result<String, CliError> {
    let bytes = std::fs::read(file).map_err(|e| CliError::new(format!("could not read {}: {e}", file.display())))?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::new(format!(
            "{} is not UTF-8 text (byte {}); save it as UTF-8 — nothing was logged",
            file.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Every problem of a file, each with its line, and the assurance that nothing happened.
fn refused_file(file: &Path, problems: &FileProblems) -> CliError {
    let n = problems.0.len();
    CliError::new(format!(
        "{} was refused ({}); nothing was logged:\n{}",
        file.display(),
        plural(n, "problem", "problems"),
        problems.0.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n")
    ))
}

fn files_words(files: &[PathBuf]) -> String {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(" and ")
}

/// `due 03/24/2025 (TX HSC 181.102: 15 business days)`, or what the date waits for.
fn due_words(request: &RoiRequest) -> String {
    match request.due.due_on {
        Some(on) => format!("due {} ({})", us_date(on), request.due.due_rule),
        None => format!("no due date yet: {}", request.due.due_rule),
    }
}

/// `Pended: Deficient authorization`.
fn status_words(request: &RoiRequest) -> String {
    match &request.status_reason {
        Some(reason) if !reason.is_empty() => format!("{}: {}", request.status.title(), clean(reason)),
        _ => request.status.title().to_string(),
    }
}

fn follow_up_words(request: &RoiRequest) -> String {
    let last = request.history.last().map(|h| clean(&h.detail).into_owned()).unwrap_or_default();
    format!("{last}; {} ({}).", due_words(request), request.status.title().to_lowercase())
}

/// The queue as a table: numbers, names and dates whole; `!` marks an overdue request.
fn queue_text(rows: &[RoiQueueRow], today: NaiveDate) -> String {
    use print::Align::{Left, Right};
    let mut table = print::Columns::new("", &[Left, Left, Left, Left, Left, Left, Left, Left, Left, Right, Left]);
    table.row(
        ["NUMBER", "PATIENT", "MRN", "REQUESTER", "TYPE", "STATUS", "RECEIVED", "DUE", "", "LEFT", "ASSIGNED"]
            .map(String::from)
            .to_vec(),
    );
    for r in rows {
        let left = r.due_on.map(|d| (d - today).num_days());
        table.row(vec![
            r.number.to_string(),
            clean(&r.patient_name).into_owned(),
            r.mrn.to_string(),
            clean(&r.requester).into_owned(),
            r.request_type.title().to_string(),
            r.status.title().to_string(),
            us_date(r.received_on),
            r.due_on.map_or_else(|| crate::domain::roi::clocks::undated_due(&r.due_rule).to_string(), us_date),
            if left.is_some_and(|d| d < 0) { "!".into() } else { String::new() },
            left.map(|d| d.to_string()).unwrap_or_default(),
            r.assigned_to.as_deref().map(|a| clean(a).into_owned()).unwrap_or_default(),
        ]);
    }
    table.render()
}

#[derive(Serialize)]
struct RowJson<'a> {
    number: String,
    patient: &'a str,
    mrn: String,
    requester: &'a str,
    #[serde(rename = "type")]
    request_type: RequestType,
    status: RequestStatus,
    received_on: NaiveDate,
    due_on: Option<NaiveDate>,
    due_rule: &'a str,
    days_left: Option<i64>,
    overdue: bool,
    assigned_to: Option<&'a str>,
    version: i64,
}

impl<'a> RowJson<'a> {
    fn of(r: &'a RoiQueueRow, today: NaiveDate) -> Self {
        let days_left = r.due_on.map(|d| (d - today).num_days());
        Self {
            number: r.number.to_string(),
            patient: &r.patient_name,
            mrn: r.mrn.to_string(),
            requester: &r.requester,
            request_type: r.request_type,
            status: r.status,
            received_on: r.received_on,
            due_on: r.due_on,
            due_rule: &r.due_rule,
            days_left,
            overdue: days_left.is_some_and(|d| d < 0),
            assigned_to: r.assigned_to.as_deref(),
            version: r.version,
        }
    }
}

/// `roi show --json`: the issue's fields by their names (number, status, received_on, due_on,
/// due_rule, extended_due_on, clocks, checklist, accounting_period, follow_ups, history), then the
/// rest of the request.
#[derive(Serialize)]
struct ShowJson<'a> {
    number: String,
    status: RequestStatus,
    received_on: NaiveDate,
    due_on: Option<NaiveDate>,
    due_rule: &'a str,
    extended_due_on: Option<NaiveDate>,
    clocks: &'a [crate::store::roi::ClockRecord],
    /// The checklist of the latest authorization, as run when it was received.
    checklist: &'a [crate::domain::roi::ChecklistItem],
    accounting_period: Option<Period>,
    follow_ups: &'a [crate::store::roi::FollowUp],
    history: &'a [crate::store::roi::HistoryEntry],
    version: i64,
    status_reason: Option<&'a str>,
    #[serde(rename = "type")]
    request_type: RequestType,
    facility_id: i64,
    patient: PatientJson<'a>,
    requester: &'a crate::domain::roi::Requester,
    received_via: crate::domain::roi::ReceivedVia,
    purpose: &'a str,
    format: crate::domain::roi::RecordFormat,
    delivery: crate::domain::roi::Delivery,
    pages: Option<i64>,
    postage_cents: Option<i64>,
    clerical_minutes: Option<i64>,
    scope: &'a crate::domain::roi::Scope,
    legal_process: Option<super::legal::LegalJson<'a>>,
    assigned_to: Option<&'a str>,
    extension_noticed_on: Option<NaiveDate>,
    extension_reason: Option<&'a str>,
    authorizations: &'a [crate::store::roi::StoredAuthorization],
    letters: Vec<LetterJson<'a>>,
    payments: &'a [crate::store::roi::PaymentRecord],
    disclosures: &'a [crate::store::roi::DisclosureRecord],
    /// The invoice standing, else the latest quote; null before either.
    fee: Option<crate::desk::roi::fees::FeeView>,
    logged_by: &'a str,
    logged_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Serialize)]
struct Period {
    from: NaiveDate,
    to: NaiveDate,
}

#[derive(Serialize)]
struct PatientJson<'a> {
    mrn: String,
    name: &'a str,
    birth_date: Option<NaiveDate>,
}

/// A letter without its text (which `roi show` prints whole only on request: the files hold it).
#[derive(Serialize)]
struct LetterJson<'a> {
    kind: LetterKind,
    template_version: i64,
    by: &'a str,
    at: chrono::DateTime<chrono::Utc>,
}

impl<'a> ShowJson<'a> {
    fn of(r: &'a RoiRequest) -> Self {
        let latest = r.authorizations.iter().max_by_key(|a| (a.received_on, a.at));
        Self {
            number: r.number.to_string(),
            status: r.status,
            received_on: r.received_on,
            due_on: r.due.due_on,
            due_rule: &r.due.due_rule,
            extended_due_on: r.extended_due_on,
            clocks: &r.due.clocks,
            checklist: latest.map(|a| a.checklist.as_slice()).unwrap_or_default(),
            accounting_period: r.accounting_period.map(|(from, to)| Period { from, to }),
            follow_ups: &r.follow_ups,
            history: &r.history,
            version: r.version,
            status_reason: r.status_reason.as_deref(),
            request_type: r.request_type,
            facility_id: r.facility_id,
            patient: PatientJson { mrn: r.mrn.to_string(), name: &r.patient_name, birth_date: r.birth_date },
            requester: &r.requester,
            received_via: r.received_via,
            purpose: &r.purpose,
            format: r.format,
            delivery: r.delivery,
            pages: r.pages,
            postage_cents: r.postage_cents,
            clerical_minutes: r.clerical_minutes,
            scope: &r.scope,
            legal_process: r.legal_process.as_ref().map(super::legal::LegalJson::of),
            assigned_to: r.assigned_to.as_deref(),
            extension_noticed_on: r.extension_noticed_on,
            extension_reason: r.extension_reason.as_deref(),
            authorizations: &r.authorizations,
            letters: r
                .letters
                .iter()
                .map(|l| LetterJson { kind: l.kind, template_version: l.template_version, by: &l.by, at: l.at })
                .collect(),
            payments: &r.payments,
            disclosures: &r.disclosures,
            fee: crate::desk::roi::fees::fee_view(r),
            logged_by: &r.logged_by,
            logged_at: r.logged_at,
        }
    }
}

/// A request as a clerk reads it on paper: who, what, its clocks with their rules, the checklist,
/// what happened to it.
/// The request as text; times on the department's wall clock (`local`), as the screen shows them.
fn show_text(
    r: &RoiRequest,
    today: NaiveDate,
    local: &dyn Fn(chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime,
) -> String {
    let mut out = String::new();
    let line = |out: &mut String, label: &str, text: String| {
        let _ = writeln!(out, "{label:<12}{text}");
    };
    let _ = writeln!(out, "{}  {}  {}", r.number, r.request_type.title(), status_words(r));
    line(
        &mut out,
        "Patient",
        format!(
            "{}  MRN {}{}",
            clean(&r.patient_name),
            r.mrn,
            r.birth_date.map(|b| format!("  born {}", us_date(b))).unwrap_or_default()
        ),
    );
    let requester = &r.requester;
    let mut who = format!("{} ({})", clean(&requester.name), requester.kind.title());
    if !requester.organization.trim().is_empty() && requester.organization.trim() != requester.name.trim() {
        let _ = write!(who, ", {}", clean(&requester.organization));
    }
    line(&mut out, "Requester", who);
    for address_line in requester.address.lines().filter(|l| !l.trim().is_empty()) {
        line(&mut out, "", clean(address_line.trim()).into_owned());
    }
    line(&mut out, "Received", format!("{} by {}", us_date(r.received_on), r.received_via.title().to_lowercase()));
    // A purpose typed on several lines (intake's text area) is printed on as many.
    for (i, purpose_line) in r.purpose.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        line(&mut out, if i == 0 { "Purpose" } else { "" }, clean(purpose_line.trim()).into_owned());
    }
    line(&mut out, "Scope", crate::desk::roi::scope_words(r));
    line(
        &mut out,
        "Format",
        format!(
            "{}, by {}{}",
            r.format.title(),
            r.delivery.title().to_lowercase(),
            r.pages.map(|p| format!(", {p} pages")).unwrap_or_default()
        ),
    );
    if let Some(process) = &r.legal_process {
        for (label, text) in super::legal::legal_lines(process) {
            line(&mut out, label, text);
        }
    }
    if let Some((from, to)) = r.accounting_period {
        line(&mut out, "Period", format!("{} to {}", us_date(from), us_date(to)));
    }
    let due = match r.due.due_on {
        Some(on) => {
            let left = (on - today).num_days();
            let when = match left {
                0 => "due today".to_string(),
                n if n > 0 => format!("{} left", plural(n as usize, "day", "days")),
                n => format!("{} overdue", plural(n.unsigned_abs() as usize, "day", "days")),
            };
            if r.status.is_open() {
                format!("{}  {}  ({when})", us_date(on), r.due.due_rule)
            } else {
                format!("{}  {}", us_date(on), r.due.due_rule)
            }
        }
        None => format!("no date yet: {}", r.due.due_rule),
    };
    line(&mut out, "Due", due);
    for (i, clock) in r.due.clocks.iter().enumerate() {
        let when = match (clock.due_on, &clock.waits_for) {
            (Some(on), _) => us_date(on),
            (None, Some(waits)) => format!("waits for {waits}"),
            (None, None) => "-".into(),
        };
        line(&mut out, if i == 0 { "Clocks" } else { "" }, format!("{when:<18}{} [{}]", clock.rule, clock.code));
    }
    if let Some(extended) = r.extended_due_on {
        line(
            &mut out,
            "Extended",
            format!(
                "to {} (notice sent {}): {}",
                us_date(extended),
                r.extension_noticed_on.map(us_date).unwrap_or_default(),
                clean(r.extension_reason.as_deref().unwrap_or_default())
            ),
        );
    }
    line(
        &mut out,
        "Assigned",
        r.assigned_to.as_deref().map(|a| clean(a).into_owned()).unwrap_or_else(|| "no one".into()),
    );
    if let Some(latest) = r.authorizations.iter().max_by_key(|a| (a.received_on, a.at)) {
        line(
            &mut out,
            "Checklist",
            format!(
                "{} received {}{}",
                latest.form.kind.map(|k| k.title()).unwrap_or("Authorization"),
                us_date(latest.received_on),
                if r.authorizations.len() > 1 {
                    format!(" ({} received in all)", r.authorizations.len())
                } else {
                    String::new()
                }
            ),
        );
        for item in &latest.checklist {
            line(
                &mut out,
                "",
                format!("{} {:<24} {}", if item.passed { "pass" } else { "FAIL" }, item.element, clean(&item.reason)),
            );
        }
    }
    for (i, f) in r.follow_ups.iter().enumerate() {
        line(
            &mut out,
            if i == 0 { "Follow-ups" } else { "" },
            format!(
                "{} by {}{}",
                us_date(f.received_on),
                f.received_via.title().to_lowercase(),
                if f.note.is_empty() { String::new() } else { format!(": {}", clean(&f.note)) }
            ),
        );
    }
    for (i, l) in r.letters.iter().enumerate() {
        line(
            &mut out,
            if i == 0 { "Letters" } else { "" },
            format!(
                "{} {} (template version {}) by {}",
                local(l.at).format("%m/%d/%Y"),
                l.kind.title(),
                l.template_version,
                clean(&l.by)
            ),
        );
    }
    for (i, p) in r.payments.iter().enumerate() {
        line(
            &mut out,
            if i == 0 { "Payments" } else { "" },
            match &p.invoice_no {
                Some(no) => {
                    format!("{} {} on {no}", us_date(p.paid_on), crate::desk::roi::intake::dollars(p.amount_cents))
                }
                None => format!("{} {}", us_date(p.paid_on), crate::desk::roi::intake::dollars(p.amount_cents)),
            },
        );
    }
    if let Some(view) = crate::desk::roi::fees::fee_view(r) {
        for (i, text) in super::fees::fee_text(&view).lines().enumerate() {
            line(&mut out, if i == 0 { "Fee" } else { "" }, text.to_string());
        }
    }
    for (i, d) in r.disclosures.iter().enumerate() {
        line(
            &mut out,
            if i == 0 { "Released" } else { "" },
            format!(
                "{} to {}: {} ({}; {})",
                us_date(d.disclosed_on),
                clean(&d.recipient),
                clean(&d.description),
                d.legal_basis.title().to_lowercase(),
                if d.accountable { "accountable" } else { "not accountable" }
            ),
        );
    }
    let _ = writeln!(out, "History");
    for h in &r.history {
        let _ = writeln!(out, "  {}  {:<10} {}", local(h.at).format("%m/%d/%Y %H:%M"), clean(&h.by), clean(&h.detail));
    }
    out.trim_end().to_string()
}

/// A template with no built-in text that no one has written yet (the §2.32 notice: its wording is
/// the facility's to choose): nothing is "built in" to be stored when first used.
fn unset(t: &crate::desk::roi::TemplateView) -> bool {
    !t.stored && t.text.trim().is_empty()
}

fn not_set(kind: LetterKind) -> String {
    format!("not set — a Director must write it (template edit {} --file F)", kind.code())
}

pub(super) fn run_template(
    desk: &Desk,
    action: TemplateCommand,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    match action {
        TemplateCommand::List { json } => {
            let templates = desk.letter_templates().map_err(fail)?;
            if json {
                return emit(print::to_json(&templates));
            }
            use print::Align::{Left, Right};
            let mut table = print::Columns::new("", &[Left, Right, Left]);
            table.row(["LETTER", "VERSION", "SAVED"].map(String::from).to_vec());
            for t in &templates {
                let saved = match (&t.saved_by, t.saved_at) {
                    (Some(by), Some(at)) => {
                        format!("{} by {}", desk.local_time(at).format("%m/%d/%Y %H:%M"), clean(by))
                    }
                    _ if unset(t) => not_set(t.kind),
                    _ => "built in (stored when first used)".into(),
                };
                let version = if unset(t) { "-".to_string() } else { t.version.to_string() };
                table.row(vec![t.kind.code().to_string(), version, saved]);
            }
            emit(table.render())
        }
        TemplateCommand::Show { kind, version, json } => {
            let kind = LetterKind::parse(&kind).map_err(|e| CliError::new(e.to_string()))?;
            let template = desk.letter_template(kind, version).map_err(fail)?;
            if json {
                return emit(print::to_json(&template));
            }
            let mut out = if unset(&template) {
                format!("{} template: {}\n\n", kind.title(), not_set(kind))
            } else {
                format!(
                    "{} template, version {}{}\n\n",
                    kind.title(),
                    template.version,
                    if template.stored { String::new() } else { " (built in)".into() }
                )
            };
            out.push_str(&crate::domain::text::clean_multiline(&template.text));
            out.push_str("\nPlaceholders:\n");
            for (name, what) in crate::report::roi_letters::PLACEHOLDERS {
                let _ = writeln!(out, "  {{{{{name}}}}}  {what}");
            }
            emit(out.trim_end().to_string())
        }
        TemplateCommand::Edit { kind, file } => {
            let kind = LetterKind::parse(&kind).map_err(|e| CliError::new(e.to_string()))?;
            // Refused before an editor opens for someone who may not save.
            desk.require_permission(crate::domain::role::Permission::ManageRules).map_err(fail)?;
            let current = desk.letter_template(kind, None).map_err(fail)?;
            let text = match file {
                Some(file) => read_file(&file)?,
                None => edit_in_editor(&current.text)?,
            };
            let seen = current.stored.then_some(current.version);
            let saved = desk.save_letter_template(kind, &text, seen).map_err(fail)?;
            emit(format!(
                "Saved the {} template as version {}; letters from now on use it.",
                kind.title().to_lowercase(),
                saved.version
            ))
        }
    }
}

/// Opens `$VISUAL` or `$EDITOR` (vi when neither is set) on a private temporary file holding
/// `text`, and returns what was saved.
fn edit_in_editor(text: &str) -> Result<String, CliError> {
    use std::os::unix::fs::OpenOptionsExt;
    let editor = std::env::var("VISUAL")
        .ok()
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let dir = std::env::temp_dir();
    let path = dir.join(format!("chartroom-template-{}.txt", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| CliError::new(format!("could not make a file to edit in {}: {e}", dir.display())))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| CliError::new(e.to_string()))?;
    drop(file);
    // The editor line may carry arguments (`code --wait`): run through the shell, the file quoted.
    let quoted = format!("'{}'", path.display().to_string().replace('\'', r"'\''"));
    let status = std::process::Command::new("sh").arg("-c").arg(format!("{editor} {quoted}")).status();
    let edited = std::fs::read_to_string(&path);
    let _ = std::fs::remove_file(&path);
    match status {
        Ok(s) if s.success() => edited.map_err(|e| CliError::new(format!("could not read the edited template: {e}"))),
        Ok(s) => Err(CliError::new(format!("the editor ({editor}) exited with {s}; nothing was saved"))),
        Err(e) => Err(CliError::new(format!("could not run the editor ({editor}): {e}; nothing was saved"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mrn::Mrn;
    use crate::domain::roi::{RequestNumber, RequestStatus, RequestType, clocks};

    fn row(seq: i64, due_on: Option<NaiveDate>, due_rule: &str) -> RoiQueueRow {
        RoiQueueRow {
            id: seq,
            number: RequestNumber { facility: "RGH".into(), seq },
            version: 1,
            patient_name: "GARCIA, MARIA".into(),
            mrn: Mrn::parse("204511").unwrap(),
            requester: "SMITH & JONES LLP".into(),
            request_type: RequestType::LawEnforcement,
            status: RequestStatus::Validating,
            received_on: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
            due_on,
            due_rule: due_rule.into(),
            assigned_to: None,
        }
    }

    #[test]
    fn an_undated_request_is_due_none_when_no_clock_applies_and_after_payment_when_one_waits() {
        let today = NaiveDate::from_ymd_opt(2025, 3, 10).unwrap();
        let text = queue_text(
            &[row(41, None, clocks::NO_CLOCK), row(42, None, "TX HSC 241.154: 15 days after payment")],
            today,
        );
        let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
        assert!(lines[1].ends_with("03/03/2025 none"), "{text}");
        assert!(lines[2].ends_with("03/03/2025 after payment"), "{text}");
    }
}
