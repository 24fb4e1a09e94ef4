//! `chartroom chart-volume …`, `volume …`, `chart-request …` and `pull-list`: the file room's desk
//! (`desk::file_room`) from a script. Each change is audited by the desk.

use super::{CliError, args, fail, print};
use crate::desk::Desk;
use crate::desk::file_room::{MissingVolume, Moved, OverdueVolume};
use crate::domain::dates::us_date;
use crate::domain::file_room::terminal_digit_label;
use crate::domain::text::clean;
use crate::store::file_room::{ChartRequestRecord, VolumeRecord};
use chrono::NaiveDate;
use std::fmt::Write;
use std::path::PathBuf;

type Emit<'a> = &'a mut dyn FnMut(String) -> Result<(), CliError>;

#[derive(Debug, clap::Subcommand)]
pub enum ChartVolumeCommand {
    /// A patient's paper volumes: where each is, and until when.
    List {
        mrn: String,
        #[arg(long)]
        json: bool,
    },
    /// Open a new volume of a patient's chart (the last one is full).
    New { mrn: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum VolumeCommand {
    /// Charge a volume out to a borrower location (due back after its loan days unless --due).
    ChargeOut {
        barcode: String,
        #[arg(long, value_name = "LOCATION")]
        to: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        due: Option<NaiveDate>,
        /// The person at the location who has it.
        #[arg(long)]
        borrower: Option<String>,
    },
    /// Check a volume in to its home file area.
    CheckIn { barcode: String },
    /// Move a charged-out volume to another borrower without a trip home.
    Transfer {
        barcode: String,
        #[arg(long, value_name = "LOCATION")]
        to: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        due: Option<NaiveDate>,
    },
    /// Flag a volume missing.
    Missing {
        barcode: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Mark a missing volume found: in its file area, or charged to where it turned up (--at).
    Found {
        barcode: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "LOCATION")]
        at: Option<String>,
    },
    /// Inactivate a volume that is in file (a full one whose successor is open).
    Inactivate {
        barcode: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Volumes past their due-back day, by borrower; --notices DIR writes a notice to each borrower
    /// (text and PDF).
    Overdue {
        #[arg(long)]
        json: bool,
        #[arg(long, value_name = "DIR")]
        notices: Option<PathBuf>,
    },
    /// Volumes flagged missing.
    MissingList {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ChartRequestCommand {
    /// Ask the file room for a chart at a location by a day.
    Add {
        mrn: String,
        #[arg(long = "for", value_name = "LOCATION")]
        for_location: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        needed: NaiveDate,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Fill a request: its in-file volumes are charged out to the requester.
    Fill { id: i64 },
    /// Close a request the file room cannot fill, with why.
    NotFillable {
        id: i64,
        #[arg(long)]
        reason: String,
    },
}

pub(super) fn run_chart_volume(desk: &Desk, action: ChartVolumeCommand, emit: Emit<'_>) -> Result<(), CliError> {
    match action {
        ChartVolumeCommand::List { mrn, json } => {
            let volumes = desk.chart_volumes(&mrn).map_err(fail)?;
            if json { emit(print::to_json(&volumes)) } else { emit(volumes_text(&volumes, desk.today())) }
        }
        ChartVolumeCommand::New { mrn } => {
            let v = desk.new_volume(&mrn).map_err(fail)?;
            emit(format!("{}  {} vol {} created, in file at {}", v.barcode, v.patient_name, v.volume_no, v.home.name))
        }
    }
}

fn moved(result: Result<Moved, crate::desk::DeskError>, emit: Emit<'_>) -> Result<(), CliError> {
    emit(result.map_err(fail)?.confirmation())
}

pub(super) fn run_volume(desk: &Desk, action: VolumeCommand, emit: Emit<'_>) -> Result<(), CliError> {
    match action {
        VolumeCommand::ChargeOut { barcode, to, due, borrower } => {
            moved(desk.charge_out(&barcode, &to, due, borrower.as_deref()), emit)
        }
        VolumeCommand::CheckIn { barcode } => moved(desk.check_in(&barcode), emit),
        VolumeCommand::Transfer { barcode, to, due } => moved(desk.transfer(&barcode, &to, due, None), emit),
        VolumeCommand::Missing { barcode, reason } => moved(desk.flag_missing(&barcode, reason.as_deref()), emit),
        VolumeCommand::Found { barcode, reason, at } => {
            moved(desk.mark_found(&barcode, at.as_deref(), reason.as_deref()), emit)
        }
        VolumeCommand::Inactivate { barcode, reason } => moved(desk.inactivate(&barcode, reason.as_deref()), emit),
        VolumeCommand::Overdue { json, notices } => {
            if let Some(dir) = notices {
                let files = desk.overdue_notices_to(&dir).map_err(fail)?;
                if files.is_empty() {
                    return emit("Nothing is overdue: no notice was written.".into());
                }
                return emit(format!(
                    "Wrote {} to {} (text and PDF).",
                    crate::domain::text::plural(files.len() / 2, "overdue notice", "overdue notices"),
                    dir.display()
                ));
            }
            let overdue = desk.overdue_volumes().map_err(fail)?;
            if json { emit(print::to_json(&overdue)) } else { emit(overdue_text(&overdue)) }
        }
        VolumeCommand::MissingList { json } => {
            let missing = desk.missing_volumes().map_err(fail)?;
            if json { emit(print::to_json(&missing)) } else { emit(missing_text(&missing)) }
        }
    }
}

pub(super) fn run_chart_request(desk: &Desk, action: ChartRequestCommand, emit: Emit<'_>) -> Result<(), CliError> {
    match action {
        ChartRequestCommand::Add { mrn, for_location, needed, reason } => {
            let r = desk.request_chart(&mrn, &for_location, needed, &reason).map_err(fail)?;
            emit(format!(
                "Request {} for {} ({}) at {} on {}: open",
                r.id,
                r.patient_name,
                r.mrn,
                r.for_location.name,
                us_date(r.needed_on)
            ))
        }
        ChartRequestCommand::Fill { id } => {
            let filled = desk.fill_request(id).map_err(fail)?;
            emit(format!(
                "Request {id} filled: {} charged out to {}",
                filled.charged.join(", "),
                filled.request.for_location.name
            ))
        }
        ChartRequestCommand::NotFillable { id, reason } => {
            desk.request_not_fillable(id, &reason).map_err(fail)?;
            emit(format!("Request {id} marked not fillable."))
        }
    }
}

pub(super) fn run_pull_list(desk: &Desk, date: Option<NaiveDate>, json: bool, emit: Emit<'_>) -> Result<(), CliError> {
    let date = date.unwrap_or_else(|| desk.today());
    let list = desk.pull_list(date).map_err(fail)?;
    if json { emit(print::to_json(&list)) } else { emit(pull_list_text(&list, date)) }
}

fn volumes_text(volumes: &[VolumeRecord], today: NaiveDate) -> String {
    if volumes.is_empty() {
        return "No volumes.".into();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<12} {:<9} {:<26} {:>3}  {:<11} {:<22} DUE",
        "BARCODE", "MRN", "PATIENT", "VOL", "STATUS", "WHERE"
    );
    for v in volumes {
        let name: String = clean(&v.patient_name).chars().take(26).collect();
        let due =
            v.due_back_on.map(|d| format!("{}{}", us_date(d), if d < today { " !" } else { "" })).unwrap_or_default();
        let _ = writeln!(
            out,
            "{:<12} {:<9} {:<26} {:>3}  {:<11} {:<22} {due}",
            v.barcode,
            v.mrn,
            name,
            v.volume_no,
            v.status.label(),
            v.current.name
        );
    }
    out.trim_end().to_string()
}

/// The missing list: WHERE is the last known place (where the search starts) and since when it
/// was there, not the file area the volume belongs in.
fn missing_text(missing: &[MissingVolume]) -> String {
    if missing.is_empty() {
        return "No volume is missing.".into();
    }
    let mut out = String::new();
    let _ = writeln!(out, "{:<12} {:<9} {:<26} {:>3}  {:<22} SINCE", "BARCODE", "MRN", "PATIENT", "VOL", "LAST KNOWN");
    for m in missing {
        let v = &m.volume;
        let name: String = clean(&v.patient_name).chars().take(26).collect();
        let _ = writeln!(
            out,
            "{:<12} {:<9} {:<26} {:>3}  {:<22} {}",
            v.barcode,
            v.mrn,
            name,
            v.volume_no,
            clean(&v.current.name),
            us_date(m.last_known_since)
        );
    }
    out.trim_end().to_string()
}

fn overdue_text(overdue: &[OverdueVolume]) -> String {
    if overdue.is_empty() {
        return "No volume is overdue.".into();
    }
    let mut out = String::new();
    let mut last = None;
    for o in overdue {
        let v = &o.volume;
        if last != Some(v.current.id) {
            let count = overdue.iter().filter(|x| x.volume.current.id == v.current.id).count();
            let _ = writeln!(out, "{} ({} overdue)", v.current.name, count);
            last = Some(v.current.id);
        }
        let name: String = clean(&v.patient_name).chars().take(26).collect();
        let due = v.due_back_on.map(us_date).unwrap_or_default();
        let borrower = v.borrower.as_deref().map(clean).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {:<12} {:<9} {:<26} vol {:<2} due {due}  ! {:>8}  {borrower}",
            v.barcode,
            v.mrn,
            name,
            v.volume_no,
            crate::domain::text::plural(o.days_overdue.unsigned_abs() as usize, "day", "days")
        );
    }
    out.trim_end().to_string()
}

fn pull_list_text(list: &[ChartRequestRecord], date: NaiveDate) -> String {
    if list.is_empty() {
        return format!("No chart is requested for {}.", us_date(date));
    }
    let mut out = format!("Pull list for {} — {} in terminal-digit order\n", us_date(date), list.len());
    let _ = writeln!(
        out,
        "{:>5} {:<10} {:<9} {:<24} {:<20} {:<12} VOLUMES",
        "ID", "FILED AT", "MRN", "PATIENT", "FOR", "STATUS"
    );
    for r in list {
        let name: String = clean(&r.patient_name).chars().take(24).collect();
        let volumes: Vec<String> =
            r.volumes.iter().map(|v| format!("{} {} ({})", v.barcode, v.status.label(), v.location)).collect();
        let volumes = if volumes.is_empty() { "no paper volume".to_string() } else { volumes.join("; ") };
        let _ = writeln!(
            out,
            "{:>5} {:<10} {:<9} {:<24} {:<20} {:<12} {volumes}",
            r.id,
            terminal_digit_label(&r.mrn),
            r.mrn,
            name,
            r.for_location.name,
            r.status.label()
        );
    }
    out.trim_end().to_string()
}
