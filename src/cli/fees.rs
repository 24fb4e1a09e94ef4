//! `chartroom fee-schedule …` and the fee commands of `chartroom roi …` (quote, invoice, write-off,
//! refund, void-invoice): the desk's fee functions from a script. docs/roi.md documents them.

use super::{CliError, args, fail, print};
use crate::desk::Desk;
use crate::desk::roi::fees::{FeeView, fee_view, parse_fee_amount};
use crate::domain::dates::us_date;
use crate::domain::roi::fees::{FeeRates, FeeSchedule, dollars};
use crate::store::roi::{FeeKind, RoiRequest};
use chrono::NaiveDate;
use clap::Subcommand;
use std::fmt::Write;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum FeeScheduleCommand {
    /// Every fee schedule, each version with the date it takes effect.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One schedule as in force on a day (today unless --as-of): its rates.
    Show {
        /// TX-241.154, TX-165.2, TX-161.202, CA-123110, CA-1563, NY-18 or HIPAA-524.
        code: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        as_of: Option<NaiveDate>,
        /// The rates alone as JSON: the file `set` reads.
        #[arg(long)]
        json: bool,
    },
    /// Save a new version of a schedule from a JSON file of its rates, in force from --effective
    /// (Director of HIM). Earlier versions, and the invoices made under them, are kept.
    Set {
        code: String,
        #[arg(long, value_name = "RATES.json")]
        file: PathBuf,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        effective: NaiveDate,
    },
}

pub(super) fn run_schedule(
    desk: &Desk,
    action: FeeScheduleCommand,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    match action {
        FeeScheduleCommand::List { json } => {
            let all = desk.fee_schedules().map_err(fail)?;
            if json {
                return emit(print::to_json(&all));
            }
            let mut out = format!("{:<12} {:>3}  {:<10}  {}\n", "Schedule", "Ver", "Effective", "Law / who");
            for s in &all {
                let _ = writeln!(
                    out,
                    "{:<12} {:>3}  {:<10}  {}: {}",
                    s.code,
                    s.version,
                    us_date(s.effective_from),
                    s.rates.title,
                    s.rates.requester_class
                );
            }
            emit(out.trim_end().to_string())
        }
        FeeScheduleCommand::Show { code, as_of, json } => {
            let schedule = desk.fee_schedule(&code, as_of).map_err(fail)?;
            if json { emit(print::to_json(&schedule.rates)) } else { emit(schedule_text(&schedule)) }
        }
        FeeScheduleCommand::Set { code, file, effective } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::new(format!("could not read {}: {e}", file.display())))?;
            let rates: FeeRates = serde_json::from_str(&text).map_err(|e| {
                CliError::new(format!(
                    "{} is not a schedule's rates ({e}); `chartroom fee-schedule show {code} --json` prints one to \
                     start from — nothing was saved",
                    file.display()
                ))
            })?;
            let saved = desk.set_fee_schedule(&code, effective, rates).map_err(fail)?;
            emit(format!(
                "{} version {} is saved, in force from {}. Requests received before then keep version {}.",
                saved.code,
                saved.version,
                us_date(saved.effective_from),
                saved.version - 1
            ))
        }
    }
}

fn schedule_text(s: &FeeSchedule) -> String {
    let r = &s.rates;
    let mut out = format!(
        "{} version {} — {}: {}; in force from {}\n",
        s.code,
        s.version,
        r.title,
        r.requester_class,
        us_date(s.effective_from)
    );
    if r.no_fee {
        out.push_str("  No fee may be charged.\n");
    }
    if let Some(cents) = r.per_request_cents {
        let _ = writeln!(out, "  Per request: {}", dollars(cents));
    }
    let mut pages = |name: &str, rates: &crate::domain::roi::fees::PageRates| {
        if let Some(retrieval) = rates.retrieval {
            let _ = writeln!(
                out,
                "  {name}: retrieval/processing {} incl. the first {} pages",
                dollars(retrieval.cents),
                retrieval.pages_included
            );
        }
        for band in &rates.bands {
            let to = band.to_page.map_or("on".to_string(), |to| format!("to {to}"));
            let _ = writeln!(out, "  {name}: pages {} {to} at {} a page", band.from_page, dollars(band.unit_cents));
        }
    };
    pages("Paper", &r.paper);
    if let Some(microfilm) = &r.microfilm {
        pages("Microfilm", microfilm);
    }
    match &r.electronic {
        Some(crate::domain::roi::fees::Electronic::Flat { cents }) => {
            let _ = writeln!(out, "  Electronic: flat {}", dollars(*cents));
        }
        Some(crate::domain::roi::fees::Electronic::Tiers { tiers }) => {
            for tier in tiers {
                let upto = tier.up_to_pages.map_or("above that".to_string(), |n| format!("up to {n} pages"));
                let _ = writeln!(out, "  Electronic: {upto} {}", dollars(tier.cents));
            }
        }
        None => {}
    }
    if let Some(cents) = r.clerical_quarter_hour_cents {
        let _ = writeln!(out, "  Clerical time: {} a quarter hour", dollars(cents));
    }
    if r.postage {
        out.push_str("  Actual postage added\n");
    }
    if let Some(max) = r.max_total_cents {
        let _ = writeln!(out, "  At most {} in all", dollars(max));
    }
    out.trim_end().to_string()
}

/// `roi quote`: records and prints the fee quoted before work.
pub(super) fn quote(
    desk: &Desk,
    number: &str,
    pages: Option<i64>,
    json: bool,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let request = desk.roi_quote(number, None, pages).map_err(fail)?;
    print_fee(&request, json, emit)
}

/// `roi invoice`: issues and prints the invoice.
pub(super) fn invoice(
    desk: &Desk,
    number: &str,
    pages: Option<i64>,
    json: bool,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let request = desk.roi_invoice(number, None, pages).map_err(fail)?;
    print_fee(&request, json, emit)
}

pub(super) enum Adjust {
    WriteOff,
    Refund,
    Void,
}

/// `roi write-off`, `roi refund`, `roi void-invoice`.
pub(super) fn adjust(
    desk: &Desk,
    number: &str,
    kind: Adjust,
    amount: Option<&str>,
    reason: &str,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let cents = match amount {
        Some(text) => parse_fee_amount(text).map_err(|problem| CliError::new(format!("--amount: {problem}")))?,
        None => 0,
    };
    let request = match kind {
        Adjust::WriteOff => desk.roi_write_off(number, None, cents, reason),
        Adjust::Refund => desk.roi_refund(number, None, cents, reason),
        Adjust::Void => desk.roi_void_invoice(number, None, reason),
    }
    .map_err(fail)?;
    let last = request.history.last().map(|h| h.detail.clone()).unwrap_or_default();
    emit(format!("{}: {last}. {}.", request.number, request.status.title()))
}

fn print_fee(
    request: &RoiRequest,
    json: bool,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let view = fee_view(request);
    if json {
        return emit(print::to_json(&view));
    }
    let mut out = match &view {
        Some(view) => fee_text(view),
        None => String::from("No fee."),
    };
    let _ = write!(out, "\n{}: {}.", request.number, request.status.title());
    emit(out)
}

/// The fee as `roi show` and `roi quote|invoice` print it: the lines, the total, paid and balance.
pub(super) fn fee_text(view: &FeeView) -> String {
    let head = match (view.kind, &view.invoice_no) {
        (FeeKind::Invoice, Some(no)) => format!(
            "Invoice {no} issued {} — {}",
            us_date(view.issued_on),
            view.status.map(|s| s.title()).unwrap_or_default()
        ),
        _ => format!("Quote of {}", us_date(view.issued_on)),
    };
    let mut out = format!("{head}\nSchedule {} v{}: {}\n", view.schedule, view.schedule_version, view.basis);
    for line in &view.lines {
        let _ = writeln!(
            out,
            "  {:<44} {:>6} x {:>9} = {:>10}",
            line.description,
            line.quantity,
            dollars(line.unit_cents),
            dollars(line.amount_cents)
        );
    }
    let _ = write!(out, "  {:<44} {:>31}", "Total", dollars(view.total_cents));
    if view.kind == FeeKind::Invoice {
        let _ = write!(out, "\n  {:<44} {:>31}", "Paid", dollars(view.paid_cents));
        if view.written_off_cents > 0 {
            let _ = write!(out, "\n  {:<44} {:>31}", "Written off", dollars(view.written_off_cents));
        }
        if view.refunded_cents > 0 {
            let _ = write!(out, "\n  {:<44} {:>31}", "Refunded", dollars(view.refunded_cents));
        }
        let _ = write!(out, "\n  {:<44} {:>31}", "Balance", dollars(view.balance_cents));
    }
    out
}
