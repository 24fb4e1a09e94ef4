//! `chartroom disclosure …` and `chartroom roi accounting …`: the accounting of disclosures
//! (164.528) from a script, through the desk functions the `:accounting` screen calls.

use super::{CliError, args, fail, print};
use crate::desk::Desk;
use crate::desk::roi::accounting::{Delivery, DisclosureForm};
use crate::desk::roi::intake::parse_dollars;
use crate::domain::dates::us_date;
use crate::domain::roi::accounting::disclosure_label;
use crate::domain::text::clean;
use crate::report::accounting::accounting_text;
use crate::store::roi::StoredDisclosure;
use chrono::NaiveDate;
use clap::Subcommand;
use std::path::{Path, PathBuf};

/// `roi accounting`'s arguments.
#[derive(Debug, clap::Args)]
pub struct AccountingArgs {
    pub mrn: String,
    /// The day the patient asked for it: the six years before it are accounted for.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
    pub date: NaiveDate,
    #[arg(long)]
    pub json: bool,
    /// Also write the patient's copy as a PDF here.
    #[arg(long, value_name = "PATH")]
    pub pdf: Option<PathBuf>,
    /// Deliver it to the patient: its text and PDF go with the letters, and the delivery is
    /// recorded (the next in 12 months is not free).
    #[arg(long)]
    pub deliver: bool,
    /// The patient, told the fee of a repeat accounting, chose to go ahead rather than withdraw.
    #[arg(long, requires = "deliver")]
    pub proceed: bool,
    /// The repeat accounting's cost-based fee, in dollars, from the fee schedule: 12.50.
    #[arg(long, value_name = "DOLLARS")]
    pub fee: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum DisclosureCommand {
    /// Record a disclosure made without a request (a public-health report, an abuse report): from a
    /// file (TOML: date, recipient, address, description, purpose, basis, pages) or from flags.
    Add {
        mrn: String,
        #[arg(long, value_name = "DISCLOSURE.toml", conflicts_with_all = ["recipient", "description", "purpose", "basis"])]
        file: Option<PathBuf>,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: Option<NaiveDate>,
        #[arg(long)]
        recipient: Option<String>,
        #[arg(long, default_value = "")]
        address: String,
        /// What was disclosed, briefly.
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        purpose: Option<String>,
        /// The legal basis: public_health, judicial, law_enforcement, oversight, required_by_law,
        /// workers_comp, research_waiver, decedent, breach, tpo, individual, authorization, …
        #[arg(long)]
        basis: Option<String>,
        #[arg(long, default_value_t = 0)]
        pages: i64,
    },
    /// A patient's disclosures over the six years to today (or --date), voided ones marked.
    List {
        mrn: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: Option<NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Void a disclosure entered in error (supervisor, Director of HIM): it leaves the accounting
    /// and stays in the store and the audit trail.
    Void {
        /// As a clerk sees it: D-118.
        id: String,
        #[arg(long)]
        reason: String,
    },
    /// Log an agency's statement suspending a patient's accounting of its disclosures
    /// (164.528(a)(2)): oral for 30 days, or written until the day it names.
    Suspend {
        mrn: String,
        #[arg(long)]
        agency: String,
        /// The day the statement was received (default: today).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        logged: Option<NaiveDate>,
        /// A written statement: the day the agency's entries show again. Without it, oral.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        until: Option<NaiveDate>,
    },
}

/// `disclosure add --file`: a TOML table of the disclosure's fields; its date is a TOML date.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct DisclosureFile {
    date: Option<toml::value::Datetime>,
    recipient: String,
    #[serde(default)]
    address: String,
    description: String,
    purpose: String,
    basis: String,
    #[serde(default)]
    pages: i64,
}

pub(super) fn accounting(
    desk: &Desk,
    letters_dir: &Path,
    a: AccountingArgs,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let fee = a
        .fee
        .as_deref()
        .map(parse_dollars)
        .transpose()
        .map_err(|problem| CliError::new(format!("--fee: {problem}")))?;
    let (report, files) = if a.deliver {
        let delivery = Delivery { proceed: a.proceed, cost_based_cents: fee };
        let (report, files) = desk.deliver_accounting(&a.mrn, a.date, delivery, letters_dir).map_err(fail)?;
        (report, files)
    } else {
        (desk.accounting(&a.mrn, a.date, fee).map_err(fail)?, Vec::new())
    };
    if let Some(path) = &a.pdf {
        desk.print_accounting(&report, path).map_err(fail)?;
    }
    if a.json {
        return emit(print::to_json(&serde_json::json!({
            "accounting": report,
            "files": files,
            "pdf": a.pdf,
        })));
    }
    let mut out = clean_lines(&accounting_text(&report, false));
    for file in files.iter().chain(a.pdf.iter()) {
        out.push_str(&format!("\nWritten: {}", file.display()));
    }
    if a.deliver {
        out.push_str("\nThe delivery is recorded.");
    }
    emit(out.trim_end().to_string())
}

/// Text for a terminal: every line without control characters, the line breaks kept.
fn clean_lines(text: &str) -> String {
    text.lines().map(|l| clean(l).into_owned()).collect::<Vec<_>>().join("\n")
}

pub(super) fn run(
    desk: &Desk,
    action: DisclosureCommand,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    match action {
        DisclosureCommand::Add { mrn, file, date, recipient, address, description, purpose, basis, pages } => {
            let form = match file {
                Some(file) => {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| CliError::new(format!("could not read {}: {e}", file.display())))?;
                    let refuse =
                        |why: String| CliError::new(format!("{}: {why} — nothing was recorded", file.display()));
                    let f: DisclosureFile = toml::from_str(&text).map_err(|e| refuse(e.message().to_string()))?;
                    let date = f
                        .date
                        .map(|d| args::date(&d.to_string()))
                        .transpose()
                        .map_err(|why| refuse(format!("date: {why}")))?;
                    DisclosureForm {
                        mrn,
                        date,
                        recipient: f.recipient,
                        address: f.address,
                        description: f.description,
                        purpose: f.purpose,
                        basis: f.basis,
                        pages: f.pages,
                    }
                }
                None => {
                    let need = |value: Option<String>, flag: &str| {
                        value.ok_or_else(|| {
                            CliError::new(format!("say the disclosure's {flag} (--{flag}), or give --file"))
                        })
                    };
                    DisclosureForm {
                        mrn,
                        date,
                        recipient: need(recipient, "recipient")?,
                        address,
                        description: need(description, "description")?,
                        purpose: need(purpose, "purpose")?,
                        basis: need(basis, "basis")?,
                        pages,
                    }
                }
            };
            let d = desk.record_disclosure(&form).map_err(fail)?;
            emit(format!(
                "{}: disclosed {} to {} is recorded ({}; {}).",
                disclosure_label(d.disclosure.id),
                us_date(d.disclosure.disclosed_on),
                clean(&d.disclosure.recipient),
                d.disclosure.legal_basis.title().to_lowercase(),
                if d.disclosure.accountable { "in the accounting of disclosures" } else { "not in an accounting" }
            ))
        }
        DisclosureCommand::List { mrn, date, json } => {
            let on = date.unwrap_or_else(|| desk.today());
            let found = desk.patient_disclosures(&mrn, on).map_err(fail)?;
            if json {
                return emit(print::to_json(&found));
            }
            if found.is_empty() {
                return emit("No disclosures in the six years to that day.".into());
            }
            emit(list_text(&found))
        }
        DisclosureCommand::Void { id, reason } => {
            let d = desk.void_disclosure(&id, &reason).map_err(fail)?;
            emit(format!(
                "{} is voided ({}): it is out of the accounting, and kept with its audit trail.",
                disclosure_label(d.disclosure.id),
                clean(&d.void.map(|v| v.reason).unwrap_or_default())
            ))
        }
        DisclosureCommand::Suspend { mrn, agency, logged, until } => {
            let logged = logged.unwrap_or_else(|| desk.today());
            let s = desk.add_accounting_suspension(&mrn, &agency, logged, until).map_err(fail)?;
            emit(format!(
                "The accounting of disclosures to {} is suspended until {} ({} statement logged {}).",
                clean(&s.suspension.agency),
                us_date(s.suspension.ends_on()),
                if until.is_some() { "written" } else { "oral, 30 days unless a written one follows;" },
                us_date(s.suspension.logged_on)
            ))
        }
    }
}

fn list_text(found: &[StoredDisclosure]) -> String {
    use print::Align::Left;
    let mut table = print::Columns::new("", &[Left, Left, Left, Left, Left, Left]);
    table.row(["ID", "DATE", "RECIPIENT", "BASIS", "ACCOUNTING", "REQUEST"].map(String::from).to_vec());
    for d in found {
        let e = &d.disclosure;
        table.row(vec![
            disclosure_label(e.id),
            us_date(e.disclosed_on),
            clean(&e.recipient).into_owned(),
            e.legal_basis.code().to_string(),
            match (&d.void, e.accountable) {
                (Some(v), _) => format!("voided: {}", clean(&v.reason)),
                (None, true) => "in".into(),
                (None, false) => "excluded".into(),
            },
            e.request.clone().unwrap_or_default(),
        ]);
    }
    table.render()
}
