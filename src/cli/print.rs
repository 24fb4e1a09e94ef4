//! Plain-text and JSON output of the command line. Every string from data goes through
//! [`clean`], so a hostile name cannot drive the terminal it is printed on.

use crate::desk::SearchOutcome;
use crate::domain::audit::AuditEvent;
use crate::domain::chart::{Chart, Facility};
use crate::domain::dates::{age_on, us_date};
use crate::domain::patient::PatientRow;
use crate::domain::role::Role;
use crate::domain::ssn::masked;
use crate::domain::text::{clean, clean_multiline};
use crate::store::User;
use chrono::NaiveDate;
use serde::Serialize;
use std::fmt::Write;

pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub fn roles(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(", ")
}

#[derive(Serialize)]
struct SearchRowJson<'a> {
    mrn: &'a str,
    name: String,
    family: &'a str,
    given: &'a str,
    middle: &'a str,
    birth_date: String,
    sex: &'a str,
    ssn_last4: Option<&'a str>,
    last_visit: Option<String>,
    deceased_on: Option<String>,
    flags: Vec<&'static str>,
    #[serde(rename = "match")]
    match_kind: &'static str,
    dob_swapped: bool,
}

fn match_label(row: &PatientRow) -> &'static str {
    match row.match_kind {
        crate::domain::patient::MatchKind::Exact => "exact",
        crate::domain::patient::MatchKind::Prefix => "prefix",
        crate::domain::patient::MatchKind::Phonetic => "phonetic",
    }
}

pub fn search_json(outcome: &SearchOutcome) -> String {
    let rows: Vec<SearchRowJson<'_>> = outcome
        .page
        .rows
        .iter()
        .map(|r| SearchRowJson {
            mrn: r.mrn.as_str(),
            name: r.display_name(),
            family: &r.family,
            given: &r.given,
            middle: &r.middle,
            birth_date: r.birth_date.format("%Y-%m-%d").to_string(),
            sex: r.sex.code(),
            ssn_last4: r.ssn_last4.as_deref(),
            last_visit: r.last_visit.map(|d| d.format("%Y-%m-%d").to_string()),
            deceased_on: r.deceased_on.map(|d| d.format("%Y-%m-%d").to_string()),
            flags: r.flags(),
            match_kind: match_label(r),
            dob_swapped: r.dob_swapped,
        })
        .collect();
    to_json(&rows)
}

pub fn search_text(outcome: &SearchOutcome, _today: NaiveDate) -> String {
    let mut out = String::new();
    let shape = outcome.shape.map_or("—", |s| s.describe());
    let count = outcome.page.rows.len();
    let reach = if outcome.page.has_more { format!("first {count}, more below") } else { format!("{count} found") };
    let _ = writeln!(out, "{shape} · {reach}");
    if count == 0 {
        return out.trim_end().to_string();
    }
    let _ = writeln!(
        out,
        "{:<30} {:<9} {:<10} {:<3} {:<4} {:<10} FLAGS",
        "NAME", "MRN", "DOB", "SEX", "SSN4", "LAST VISIT"
    );
    for r in &outcome.page.rows {
        let _ = writeln!(
            out,
            "{:<30} {:<9} {:<10} {:<3} {:<4} {:<10} {}",
            truncate(&clean(&r.display_name()), 30),
            r.mrn,
            us_date(r.birth_date),
            r.sex.code(),
            r.ssn_last4.as_deref().unwrap_or(""),
            r.last_visit.map(us_date).unwrap_or_default(),
            r.flags().join(" ")
        );
    }
    out.trim_end().to_string()
}

fn truncate(s: &str, width: usize) -> String {
    if s.chars().count() <= width { s.to_string() } else { s.chars().take(width - 1).chain(['…']).collect() }
}

pub fn chart_json(chart: &Chart) -> String {
    to_json(chart)
}

pub fn chart_text(chart: &Chart, today: NaiveDate) -> String {
    let p = &chart.patient;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}   MRN {}   DOB {} ({})   {}   SSN {}   {}",
        clean(&p.display_name()),
        p.mrn,
        us_date(p.birth_date),
        age_on(p.birth_date, p.deceased_on.unwrap_or(today)),
        p.sex.code(),
        masked(p.ssn_last4.as_deref()),
        p.flags().join(" ")
    );
    if let Some(d) = p.deceased_on {
        let _ = writeln!(out, "Deceased {}", us_date(d));
    }
    if !chart.aliases.is_empty() {
        let _ = writeln!(out, "Also known as: {}", clean(&chart.aliases.join("; ")));
    }
    let _ = writeln!(out, "\nENCOUNTERS ({})", chart.encounters.len());
    for e in &chart.encounters {
        let _ = writeln!(
            out,
            "  {:<11} {:<12} {:<4} {:<10} {:<10} {:<24} {}",
            clean(&e.account),
            e.kind.label(),
            clean(&e.facility_code),
            us_date(e.admit_at.date_naive()),
            e.discharge_at.map(|d| us_date(d.date_naive())).unwrap_or_else(|| "in house".into()),
            truncate(&clean(e.attending.as_deref().unwrap_or("—")), 24),
            e.completion_label()
        );
    }
    if !chart.procedures.is_empty() {
        let _ = writeln!(out, "\nPROCEDURES ({})", chart.procedures.len());
        for p in &chart.procedures {
            let _ = writeln!(
                out,
                "  {:<10} {:<11} {:<44} {:<10} {}",
                us_date(p.performed_at.date_naive()),
                clean(&p.account),
                truncate(&clean(&p.description), 44),
                clean(&p.code),
                if p.operation { "operation" } else { "" }
            );
        }
    }
    let _ = writeln!(out, "\nDOCUMENTS ({})", chart.documents.len());
    for d in &chart.documents {
        let _ = writeln!(
            out,
            "  {:<10} {:<11} {:<36} {:<13} {}",
            us_date(d.created_at.date_naive()),
            clean(&d.account),
            truncate(&clean(&d.title), 36),
            d.status.code(),
            clean(d.author.as_deref().unwrap_or(""))
        );
    }
    let tally = chart.deficiency_tally();
    let _ = writeln!(out, "\nDEFICIENCIES ({})", tally.label());
    // The desk lists the open items first; the closed ones follow under their own heading, with no
    // delinquency date, since nothing is owed on them.
    let mut closed_heading = false;
    for d in &chart.deficiencies {
        let owed = d.owed_delinquent_on();
        if owed.is_none() && !closed_heading {
            let _ = writeln!(out, "  closed:");
            closed_heading = true;
        }
        let line = format!(
            "  {:<11} {:<6} {:<34} {:<20} {:<16}",
            clean(&d.account),
            clean(&d.type_code),
            truncate(&clean(&d.type_name), 34),
            truncate(&clean(&d.provider), 20),
            format!("{} ({})", d.status.code(), d.status.missing()),
        );
        let _ = match owed {
            Some(on) => writeln!(out, "{line} delinquent {}", us_date(on)),
            None => writeln!(out, "{}", line.trim_end()),
        };
        for pause in &d.pauses {
            let _ = writeln!(out, "  {:<11} {}", "", pause.describe());
        }
    }
    let _ = writeln!(out, "\nRELEASES ({})", chart.releases.len());
    for r in &chart.releases {
        let _ = writeln!(
            out,
            "  {:<10} {:<36} {:<30} {} pages",
            us_date(r.disclosed_on),
            truncate(&clean(&r.recipient), 36),
            truncate(&clean(&r.purpose), 30),
            r.pages
        );
    }
    let _ = writeln!(out, "\nPAPER CHART");
    if chart.volumes.is_empty() {
        let _ = writeln!(out, "  No paper chart on file.");
    }
    for v in &chart.volumes {
        let _ = writeln!(out, "  Volume {} ({}): {}", v.volume_no, clean(&v.barcode), clean(&v.location_label()));
        for m in &v.movements {
            let _ = writeln!(
                out,
                "    {}  {:<11} {} → {}  {}",
                us_date(m.at.date_naive()),
                clean(&m.movement_type),
                clean(m.from_location.as_deref().unwrap_or("—")),
                clean(m.to_location.as_deref().unwrap_or("—")),
                clean(m.by.as_deref().unwrap_or(""))
            );
        }
    }
    let with_text: Vec<_> = chart.documents.iter().filter(|d| d.text.is_some()).take(3).collect();
    for d in with_text {
        let _ = writeln!(out, "\n--- {} ({}) ---", clean(&d.title), us_date(d.created_at.date_naive()));
        let _ = writeln!(out, "{}", clean_multiline(d.text.as_deref().unwrap_or("")));
    }
    out.trim_end().to_string()
}

pub fn users_text(users: &[User]) -> String {
    let mut out = format!("{:<16} {:<24} {:<8} ROLES\n", "USER", "NAME", "STATUS");
    for u in users {
        let _ = writeln!(
            out,
            "{:<16} {:<24} {:<8} {}",
            clean(&u.username),
            truncate(&clean(&u.display_name), 24),
            if u.enabled { "enabled" } else { "disabled" },
            roles(&u.roles)
        );
    }
    out.trim_end().to_string()
}

pub fn facilities_text(facilities: &[Facility]) -> String {
    let mut out = format!("{:<6} {:<34} {:<5} {:<9} TIME ZONE\n", "CODE", "NAME", "STATE", "KIND");
    for f in facilities {
        let _ = writeln!(
            out,
            "{:<6} {:<34} {:<5} {:<9} {}",
            clean(&f.code),
            truncate(&clean(&f.name), 34),
            clean(&f.state),
            f.kind.code(),
            clean(&f.timezone)
        );
    }
    out.trim_end().to_string()
}

pub fn audit_text(events: &[AuditEvent]) -> String {
    let mut out = format!(
        "{:<20} {:<12} {:<14} {:<9} {:<10} {:<18} DETAIL\n",
        "WHEN (UTC)", "USER", "ACTION", "MRN", "NPI", "FROM"
    );
    for e in events {
        let _ = writeln!(
            out,
            "{:<20} {:<12} {:<14} {:<9} {:<10} {:<18} {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            clean(&e.username),
            e.action.code(),
            e.patient_mrn.as_deref().unwrap_or(""),
            e.provider_npi.as_deref().unwrap_or(""),
            clean(&e.source),
            clean(&format!("{} {}", e.entity, e.detail))
        );
    }
    out.trim_end().to_string()
}

/// `chartroom nightly --status`: who holds a run since when, and the last one finished.
pub fn nightly_status_text(
    through: Option<chrono::NaiveDate>,
    claims: &[(crate::store::NightlyClaim, crate::desk::deficiencies::ClaimHolder)],
) -> String {
    use crate::desk::deficiencies::ClaimHolder;
    let mut out = match through {
        Some(day) => format!("Nightly runs have finished through {day}.\n"),
        None => "No nightly run has finished yet.\n".to_string(),
    };
    for (claim, holder) in claims {
        let who = format!("{} on {} (process {})", clean(&claim.username), clean(&claim.host), claim.pid);
        let started = claim.started_at.format("%Y-%m-%d %H:%M UTC");
        let line = match (holder, claim.finished_at) {
            (ClaimHolder::Finished, Some(done)) => {
                format!("{}: finished {} (run by {who})", claim.run_on, done.format("%Y-%m-%d %H:%M UTC"))
            }
            (ClaimHolder::Running, _) => format!("{}: in progress since {started}, held by {who}", claim.run_on),
            (ClaimHolder::Elsewhere, _) => format!(
                "{}: in progress since {started}, held by {who}, another machine; if that process has died, \
                 a nightly run started on {} takes it over",
                claim.run_on,
                clean(&claim.host)
            ),
            (ClaimHolder::Gone, _) | (ClaimHolder::Finished, None) => format!(
                "{}: stopped without finishing (started {started} by {who}; that process is gone); the next \
                 run takes it over and writes what is missing",
                claim.run_on
            ),
        };
        let _ = writeln!(out, "{line}");
    }
    out.trim_end().to_string()
}
