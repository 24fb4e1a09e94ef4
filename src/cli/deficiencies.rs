//! `chartroom deficiencies …`: the same numbers the queue screen shows.

use super::{CliError, DeficiencyCommand, fail, print};
use crate::desk::Desk;
use crate::desk::queue_filter::FilterKey;
use crate::domain::chart::{DeficiencyType, npi_label};
use crate::domain::dates::us_date;
use crate::domain::deficiency::AgeBucket;
use crate::domain::text::clean;
use crate::store::{Page, QueueFilter, QueueSort};
use std::fmt::Write;

pub(super) fn run(
    desk: &Desk,
    action: DeficiencyCommand,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    match action {
        DeficiencyCommand::List { filter, sort, limit, offset, json } => {
            let today = desk.today();
            let sort = QueueSort::parse(&sort)
                .ok_or_else(|| CliError::new("sort by age, physician, type, mrn or discharge".into()))?;
            let filter = queue_filter(desk, filter)?;
            let page = desk.deficiency_queue(&filter, sort, Page { offset, limit }).map_err(fail)?;
            if json {
                return emit(print::to_json(&page.rows));
            }
            use print::Align::{Left, Right};
            let mut table = print::Columns::new("", &[Left, Left, Left, Left, Left, Left, Left, Right, Left, Left]);
            table.row(
                ["PHYSICIAN", "TYPE", "DEFICIENCY", "MRN", "ACCOUNT", "DISCHARGE", "", "AGE", "STATUS", "TAKEN BY"]
                    .map(String::from)
                    .to_vec(),
            );
            for r in &page.rows {
                let age = crate::domain::deficiency::age_days(r.event_on, r.paused_days, today);
                // `!` marks an item past its delinquency date, in a column of its own.
                let mark = if r.delinquent_on <= today { "!" } else { "" };
                table.row(vec![
                    clean(&r.physician).into_owned(),
                    clean(&r.type_code).into_owned(),
                    clean(&r.type_name).into_owned(),
                    clean(&r.mrn).into_owned(),
                    clean(&r.account).into_owned(),
                    us_date(r.event_on),
                    mark.to_string(),
                    age.to_string(),
                    print::deficiency_status(r.status),
                    r.claim.as_ref().map(|c| clean(&c.holder).into_owned()).unwrap_or_default(),
                ]);
            }
            let mut out = table.render();
            out.push('\n');
            if page.has_more {
                let _ = write!(out, "… more below (--offset {})", offset.saturating_add(page.rows.len()));
            }
            emit(out.trim_end().to_string())
        }
        DeficiencyCommand::Rate { date, json } => {
            let date = date.unwrap_or_else(|| desk.today());
            let (counts, rate) = desk.deficiency_counts(date).map_err(fail)?;
            if json {
                #[derive(serde::Serialize)]
                struct RateJson<'a> {
                    date: chrono::NaiveDate,
                    rate: &'a crate::domain::deficiency::DelinquencyRate,
                    open: i64,
                    delinquent_items: i64,
                    buckets: Vec<(&'static str, i64)>,
                    top_physicians: &'a [(String, i64)],
                }
                let buckets = counts.buckets.iter().map(|(b, n)| (b.label(), *n)).collect();
                return emit(print::to_json(&RateJson {
                    date,
                    rate: &rate,
                    open: counts.open,
                    delinquent_items: counts.delinquent,
                    buckets,
                    top_physicians: &counts.top_physicians,
                }));
            }
            let mut out = String::new();
            let _ = writeln!(out, "Delinquency rate on {}: {}", us_date(date), rate.describe(date));
            let charts = if rate.delinquent_charts == 1 { "chart" } else { "charts" };
            if rate.computed.is_some() {
                let _ = writeln!(
                    out,
                    "  {} delinquent {charts} ÷ {:.1} average monthly inpatient discharges ({} in the last 12 months)",
                    rate.delinquent_charts, rate.average_monthly_discharges, rate.discharges_12_months
                );
            } else {
                let _ = writeln!(out, "  {} delinquent {charts}; nothing to divide them by", rate.delinquent_charts);
            }
            let _ = writeln!(out, "  open deficiencies {}, delinquent {}", counts.open, counts.delinquent);
            let _ = writeln!(out, "Aging (days since discharge):");
            for (bucket, n) in &counts.buckets {
                let _ = writeln!(out, "  {:>6}  {n}", bucket.label());
            }
            let _ = writeln!(out, "Top physicians by delinquent items:");
            for (name, n) in &counts.top_physicians {
                let _ = writeln!(out, "  {:<30} {n}", clean(name));
            }
            emit(out.trim_end().to_string())
        }
        DeficiencyCommand::Add { account, type_code, npi, confirm_duplicate } => {
            match desk.add_deficiency(&account, &type_code, &npi, confirm_duplicate).map_err(fail)? {
                crate::desk::deficiencies::AddDeficiency::Added(_) => emit(format!(
                    "Added {} {} for the provider with NPI {npi}.",
                    account.to_ascii_uppercase(),
                    type_code.to_ascii_uppercase()
                )),
                crate::desk::deficiencies::AddDeficiency::AlreadyDefined(question) => {
                    Err(CliError::new(format!("{question} — nothing added; repeat with --confirm-duplicate to add it")))
                }
            }
        }
        DeficiencyCommand::CompleteChart { account } => {
            desk.complete_chart(&account).map_err(fail)?;
            emit(format!("Chart {account} is complete."))
        }
        DeficiencyCommand::Reopen { account, reason } => {
            desk.reopen_chart(&account, &reason).map_err(fail)?;
            emit(format!("Chart {account} is reopened."))
        }
        DeficiencyCommand::Take { items, filter, limit, take_over } => {
            let ids = if items.is_empty() {
                let mut filter = queue_filter(desk, filter)?;
                // Taking by a filter asks for work: the oldest nobody holds.
                if filter.claimed.is_none() {
                    filter.claimed = Some(crate::store::ClaimFilter::Unclaimed);
                }
                let page = desk.deficiency_queue(&filter, QueueSort::Age, Page::first(limit)).map_err(fail)?;
                if page.rows.is_empty() {
                    return Err(CliError::new("no deficiency matches: nothing taken".into()));
                }
                page.rows.iter().map(|r| r.id).collect()
            } else {
                if filter.is_set() {
                    return Err(CliError::new("name items or narrow by options, not both".into()));
                }
                desk.deficiencies_named(&items).map_err(fail)?
            };
            let outcome = desk.take_deficiencies(&ids, take_over).map_err(fail)?;
            claim_result(&outcome, emit)
        }
        DeficiencyCommand::Release { items, all, take_over } => {
            let ids = if all {
                let mine = crate::store::ClaimFilter::By(desk.user().username.clone());
                let filter = QueueFilter { claimed: Some(mine), today: Some(desk.today()), ..QueueFilter::default() };
                let held: Vec<i64> =
                    desk.deficiency_ids(&filter).map_err(fail)?.into_iter().map(|(id, _)| id).collect();
                if held.is_empty() {
                    return emit("You hold no deficiency: nothing to give up.".into());
                }
                held
            } else if items.is_empty() {
                return Err(CliError::new("name the items to give up (A25-000781, A25-000781:OP-D), or --all".into()));
            } else {
                desk.deficiencies_named(&items).map_err(fail)?
            };
            let outcome = desk.release_deficiencies(&ids, take_over).map_err(fail)?;
            claim_result(&outcome, emit)
        }
        DeficiencyCommand::Suspensions { json } => {
            let today = desk.today();
            let standings: Vec<_> = desk
                .physician_standings(today)
                .map_err(fail)?
                .into_iter()
                .filter(|s| s.delinquent > 0 || s.suspended_since.is_some())
                .collect();
            if json {
                return emit(print::to_json(&standings));
            }
            use print::Align::{Left, Right};
            let mut table = print::Columns::new("", &[Left, Left, Right, Right, Left, Left]);
            table.row(["PHYSICIAN", "NPI", "OPEN", "DELINQUENT", "OLDEST", "STANDING"].map(String::from).to_vec());
            for s in &standings {
                let on_leave = s.leave.iter().any(|(from, to)| *from <= today && today <= *to);
                let standing = match (s.suspended_since, on_leave) {
                    (Some(since), _) => format!("suspended since {}", us_date(since)),
                    (None, true) => "on leave: not proposed".into(),
                    (None, false) => "suspension eligible".into(),
                };
                table.row(vec![
                    clean(&s.name).into_owned(),
                    npi_label(&s.npi),
                    s.open.to_string(),
                    s.delinquent.to_string(),
                    s.oldest_delinquent_discharge.map(us_date).unwrap_or_default(),
                    standing,
                ]);
            }
            let out = table.render();
            emit(out.trim_end().to_string())
        }
    }
}

/// Prints what a take or release did; exits with failure when nothing of what was asked happened
/// and something was refused, so a script knows.
fn claim_result(
    outcome: &crate::desk::claims::ClaimOutcome,
    emit: &mut dyn FnMut(String) -> Result<(), CliError>,
) -> Result<(), CliError> {
    if outcome.done.is_empty() && outcome.unchanged.is_empty() && !outcome.refused.is_empty() {
        return Err(CliError::new(outcome.message()));
    }
    emit(outcome.message())
}

/// The queue filter the options name, each value checked by the desk as `:filter` is.
fn queue_filter(desk: &Desk, args: super::QueueArgs) -> Result<QueueFilter, CliError> {
    let provider_id = match args.physician {
        Some(npi) => Some(desk.provider_id_by_npi(&npi).map_err(fail)?),
        None => None,
    };
    let bucket = match args.bucket {
        Some(b) => Some(
            AgeBucket::ALL
                .into_iter()
                .find(|x| x.label() == b)
                .ok_or_else(|| CliError::new(format!("unknown bucket {b:?}: use 0-14, 15-21, 22-30, 31-60 or >60")))?,
        ),
        None => None,
    };
    let base = QueueFilter {
        provider_id,
        bucket,
        delinquent_only: args.delinquent,
        today: Some(desk.today()),
        ..QueueFilter::default()
    };
    // The same check as the queue screen's `:filter`: a value no item can carry is refused.
    let terms: Vec<(FilterKey, String)> = [
        (FilterKey::Type, args.type_code),
        (FilterKey::Category, args.category),
        (FilterKey::Service, args.service),
        (FilterKey::Facility, args.facility),
        (FilterKey::Mrn, args.mrn),
        (FilterKey::Claim, args.claim),
    ]
    .into_iter()
    .filter_map(|(key, value)| value.map(|v| (key, v)))
    .collect();
    desk.queue_filter(base, &terms).map_err(fail)
}

pub(super) fn types_text(types: &[DeficiencyType]) -> String {
    let mut table = print::Columns::new("", &[print::Align::Left; 7]);
    table.row(["CODE", "NAME", "ABBR", "CATEGORY", "LEVEL", "RESPONSIBLE", "STANDARD FOR"].map(String::from).to_vec());
    for t in types {
        table.row(vec![
            clean(&t.code).into_owned(),
            clean(&t.name).into_owned(),
            clean(&t.abbreviation).into_owned(),
            clean(&t.category).into_owned(),
            clean(&t.level).into_owned(),
            clean(&t.responsible).into_owned(),
            clean(&t.standard_for.join(",")).into_owned(),
        ]);
    }
    table.render()
}

/// A type from the command line's fields, over an existing definition when editing.
pub(super) fn type_from(
    fields: super::TypeFields,
    existing: Option<DeficiencyType>,
) -> Result<DeficiencyType, CliError> {
    let adding = existing.is_none();
    let base = existing.unwrap_or(DeficiencyType {
        code: fields.code.clone(),
        name: String::new(),
        abbreviation: String::new(),
        category: "OTHER".into(),
        level: "DOCUMENT".into(),
        responsible: "AUTHOR".into(),
        days_to_dictate: None,
        days_to_sign: None,
        days_to_review: None,
        standard_for: Vec::new(),
        document_type: None,
    });
    if adding && (fields.name.is_none() || fields.abbreviation.is_none()) {
        return Err(CliError::new("a new type needs --name and --abbr".into()));
    }
    Ok(DeficiencyType {
        code: fields.code.to_ascii_uppercase(),
        name: fields.name.unwrap_or(base.name),
        abbreviation: fields.abbreviation.unwrap_or(base.abbreviation),
        category: fields.category.unwrap_or(base.category),
        level: fields.level.unwrap_or(base.level),
        responsible: fields.responsible.unwrap_or(base.responsible),
        days_to_dictate: fields.days_to_dictate.or(base.days_to_dictate),
        days_to_sign: fields.days_to_sign.or(base.days_to_sign),
        days_to_review: fields.days_to_review.or(base.days_to_review),
        standard_for: match fields.standard_for {
            Some(list) => list.split(',').map(|s| s.trim().to_ascii_uppercase()).filter(|s| !s.is_empty()).collect(),
            None => base.standard_for,
        },
        document_type: fields.document_type.or(base.document_type),
    })
}
