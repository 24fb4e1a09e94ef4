//! `chartroom roi stats`: the Director's view of release of information from a script, through the
//! desk call the `:roi-stats` screen makes.

use super::{CliError, args, fail, print};
use crate::desk::Desk;
use crate::domain::dates::us_date;
use crate::domain::roi::fees::dollars;
use crate::domain::roi::stats::{RoiStats, Turnaround};
use chrono::{Duration, NaiveDate};

/// `roi stats`'s arguments.
#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// The period's first day (the facility's day).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
    pub from: NaiveDate,
    /// Its last day, included.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
    pub to: NaiveDate,
    /// One facility's requests (its code, RGH); every facility's without.
    #[arg(long, value_name = "CODE")]
    pub facility: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub(super) fn stats(
    desk: &Desk,
    a: StatsArgs,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let report = desk.roi_stats(a.from, a.to, a.facility.as_deref()).map_err(fail)?;
    if a.json {
        return emit(print::to_json(&report));
    }
    let whose = report.facility.clone().unwrap_or_else(|| "every facility".into());
    emit(stats_text(&report.stats, &whose))
}

/// `1 day`, `38 days`, `none released` — a turnaround as the Director reads it.
pub fn days_words(days: Option<i64>) -> String {
    match days {
        Some(1) => "1 day".into(),
        Some(n) => format!("{n} days"),
        None => "none released".into(),
    }
}

fn turnaround_words(t: &Turnaround) -> String {
    match (t.median_days, t.p90_days) {
        (Some(median), Some(p90)) => {
            format!("median {}, 90th percentile {}", days_words(Some(median)), days_words(Some(p90)))
        }
        _ => "none released".into(),
    }
}

fn stats_text(stats: &RoiStats, whose: &str) -> String {
    let mut out = vec![
        format!(
            "ROI requests {} to {} ({whose}); open and overdue as of {}",
            us_date(stats.period.from),
            us_date(stats.period.to),
            us_date(stats.as_of)
        ),
        format!(
            "Received {}. Released {}: turnaround {} (days from receipt to release; percentiles by nearest rank).",
            stats.received,
            stats.released(),
            turnaround_words(&stats.turnaround)
        ),
        format!("Open {}, of which overdue {}.", stats.open, stats.overdue),
    ];
    if stats.pended.is_empty() {
        out.push("Pended: none.".into());
    } else {
        let reasons: Vec<String> = stats.pended.iter().map(|p| format!("{} {}", p.reason, p.count)).collect();
        out.push(format!("Pended {}: {}.", stats.pended_total(), reasons.join("; ")));
    }
    let f = &stats.fees;
    out.push(format!(
        "Fees: invoiced {} (billed {}, voided {}); collected {} (paid {}, refunded {}); written off {}.",
        dollars(f.invoiced_cents),
        dollars(f.billed_cents),
        dollars(f.voided_cents),
        dollars(f.collected_cents),
        dollars(f.paid_cents),
        dollars(f.refunded_cents),
        dollars(f.written_off_cents)
    ));
    out.push(String::new());
    use print::Align::{Left, Right};
    let mut table = print::Columns::new("", &[Left, Left, Left, Right, Right, Right, Right, Right, Right]);
    table.row(
        ["WEEK", "FROM", "TO", "RECEIVED", "RELEASED", "MEDIAN", "P90", "INVOICED", "COLLECTED"]
            .map(String::from)
            .to_vec(),
    );
    for week in &stats.weeks {
        let first = week.monday.max(stats.period.from);
        let last = (week.monday + Duration::days(6)).min(stats.period.to);
        let day = |d: Option<i64>| d.map_or_else(|| "-".to_string(), |d| d.to_string());
        table.row(vec![
            week.week.clone(),
            us_date(first),
            us_date(last),
            week.received.to_string(),
            week.released().to_string(),
            day(week.turnaround.median_days),
            day(week.turnaround.p90_days),
            dollars(week.invoiced_cents),
            dollars(week.collected_cents),
        ]);
    }
    out.push(table.render());
    out.join("\n")
}
