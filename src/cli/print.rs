//! Plain-text and JSON output of the command line. Every string from data goes through
//! [`clean`], so a hostile name cannot drive the terminal it is printed on.

use crate::desk::SearchOutcome;
use crate::domain::audit::AuditEvent;
use crate::domain::chart::{Chart, Facility, npi_label};
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
    use Align::Left;
    let mut table = Columns::new("", &[Left; 7]);
    table.row(["NAME", "MRN", "DOB", "SEX", "SSN4", "LAST VISIT", "FLAGS"].map(String::from).to_vec());
    for r in &outcome.page.rows {
        table.row(vec![
            clean(&r.display_name()).into_owned(),
            r.mrn.to_string(),
            us_date(r.birth_date),
            r.sex.code().to_string(),
            r.ssn_last4.clone().unwrap_or_default(),
            r.last_visit.map(us_date).unwrap_or_default(),
            r.flags().join(" "),
        ]);
    }
    out.push_str(&table.render());
    out.trim_end().to_string()
}

/// A column's side: text to the left, counts to the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A plain-text table whose columns are as wide as their widest value. The command line has no
/// width limit, so a name, a title or a number a clerk reads is printed whole, never cut to fit.
#[derive(Debug)]
pub struct Columns {
    indent: &'static str,
    aligns: Vec<Align>,
    lines: Vec<Line>,
}

#[derive(Debug)]
enum Line {
    Row(Vec<String>),
    /// A line of its own between rows (a heading, a note under a row); it sets no width.
    Free(String),
}

impl Columns {
    pub fn new(indent: &'static str, aligns: &[Align]) -> Self {
        Self { indent, aligns: aligns.to_vec(), lines: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.lines.push(Line::Row(cells));
    }

    pub fn line(&mut self, text: String) {
        self.lines.push(Line::Free(text));
    }

    /// The lines, each without trailing spaces, joined by newlines (no newline at the end).
    pub fn render(&self) -> String {
        use unicode_width::UnicodeWidthStr;
        let mut widths: Vec<usize> = Vec::new();
        for line in &self.lines {
            if let Line::Row(cells) = line {
                for (i, cell) in cells.iter().enumerate() {
                    match widths.get_mut(i) {
                        Some(width) => *width = (*width).max(cell.width()),
                        None => widths.push(cell.width()),
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(self.lines.len());
        for line in &self.lines {
            match line {
                Line::Free(text) => out.push(text.trim_end().to_string()),
                Line::Row(cells) => {
                    let mut text = String::from(self.indent);
                    for (i, cell) in cells.iter().enumerate() {
                        if i > 0 {
                            text.push(' ');
                        }
                        let pad = " ".repeat(widths.get(i).copied().unwrap_or_default().saturating_sub(cell.width()));
                        match self.aligns.get(i).copied().unwrap_or(Align::Left) {
                            Align::Left => {
                                text.push_str(cell);
                                text.push_str(&pad);
                            }
                            Align::Right => {
                                text.push_str(&pad);
                                text.push_str(cell);
                            }
                        }
                    }
                    out.push(text.trim_end().to_string());
                }
            }
        }
        out.join("\n")
    }
}

/// A deficiency's status with what it is missing, said once when the two say the same
/// (`COMPLETED`, not `COMPLETED (completed)`).
pub fn deficiency_status(status: crate::domain::chart::DeficiencyStatus) -> String {
    let (code, missing) = (status.code(), status.missing());
    if code.eq_ignore_ascii_case(missing) { code.to_string() } else { format!("{code} ({missing})") }
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
    use Align::Left;
    let _ = writeln!(out, "\nENCOUNTERS ({})", chart.encounters.len());
    let mut table = Columns::new("  ", &[Left; 7]);
    for e in &chart.encounters {
        table.row(vec![
            clean(&e.account).into_owned(),
            e.kind.label().to_string(),
            clean(&e.facility_code).into_owned(),
            us_date(e.admit_at.date_naive()),
            e.discharge_at.map(|d| us_date(d.date_naive())).unwrap_or_else(|| "in house".into()),
            clean(e.attending.as_deref().unwrap_or("—")).into_owned(),
            e.completion_label(),
        ]);
    }
    push_table(&mut out, &table);
    if !chart.procedures.is_empty() {
        let _ = writeln!(out, "\nPROCEDURES ({})", chart.procedures.len());
        let mut table = Columns::new("  ", &[Left; 5]);
        for p in &chart.procedures {
            table.row(vec![
                us_date(p.performed_at.date_naive()),
                clean(&p.account).into_owned(),
                clean(&p.description).into_owned(),
                clean(&p.code).into_owned(),
                if p.operation { "operation" } else { "" }.to_string(),
            ]);
        }
        push_table(&mut out, &table);
    }
    let _ = writeln!(out, "\nDOCUMENTS ({})", chart.documents.len());
    let mut table = Columns::new("  ", &[Left; 5]);
    for d in &chart.documents {
        table.row(vec![
            us_date(d.created_at.date_naive()),
            clean(&d.account).into_owned(),
            clean(&d.title).into_owned(),
            d.status.code().to_string(),
            clean(d.author.as_deref().unwrap_or("")).into_owned(),
        ]);
    }
    push_table(&mut out, &table);
    let tally = chart.deficiency_tally();
    let _ = writeln!(out, "\nDEFICIENCIES ({})", tally.label());
    // The desk lists the open items first; the closed ones follow under their own heading, with no
    // delinquency date, since nothing is owed on them.
    let mut closed_heading = false;
    let mut table = Columns::new("  ", &[Left; 6]);
    for d in &chart.deficiencies {
        let owed = d.owed_delinquent_on();
        if owed.is_none() && !closed_heading {
            table.line("  closed:".into());
            closed_heading = true;
        }
        table.row(vec![
            clean(&d.account).into_owned(),
            clean(&d.type_code).into_owned(),
            clean(&d.type_name).into_owned(),
            clean(&d.provider).into_owned(),
            deficiency_status(d.status),
            owed.map(|on| format!("delinquent {}", us_date(on))).unwrap_or_default(),
        ]);
        for pause in &d.pauses {
            table.line(format!("  {:<11} {}", "", pause.describe()));
        }
    }
    push_table(&mut out, &table);
    let _ = writeln!(out, "\nRELEASES ({})", chart.releases.len());
    let mut table = Columns::new("  ", &[Left, Left, Left, Align::Right]);
    for r in &chart.releases {
        let pages = if r.pages == 1 { "1 page".to_string() } else { format!("{} pages", r.pages) };
        table.row(vec![
            us_date(r.disclosed_on),
            clean(&r.recipient).into_owned(),
            clean(&r.purpose).into_owned(),
            pages,
        ]);
    }
    push_table(&mut out, &table);
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

/// A section's rows, each on its own line, when it has any.
fn push_table(out: &mut String, table: &Columns) {
    let text = table.render();
    if !text.is_empty() {
        out.push_str(&text);
        out.push('\n');
    }
}

pub fn users_text(users: &[User]) -> String {
    let mut table = Columns::new("", &[Align::Left; 4]);
    table.row(["USER", "NAME", "STATUS", "ROLES"].map(String::from).to_vec());
    for u in users {
        table.row(vec![
            clean(&u.username).into_owned(),
            clean(&u.display_name).into_owned(),
            if u.enabled { "enabled" } else { "disabled" }.to_string(),
            roles(&u.roles),
        ]);
    }
    table.render()
}

pub fn facilities_text(facilities: &[Facility]) -> String {
    let mut table = Columns::new("", &[Align::Left; 5]);
    table.row(["CODE", "NAME", "STATE", "KIND", "TIME ZONE"].map(String::from).to_vec());
    for f in facilities {
        table.row(vec![
            clean(&f.code).into_owned(),
            clean(&f.name).into_owned(),
            clean(&f.state).into_owned(),
            f.kind.code().to_string(),
            clean(&f.timezone).into_owned(),
        ]);
    }
    table.render()
}

/// Whom or what an event is about, when its entity id is a name a clerk knows: the username, the
/// facility's code, the physician's NPI. A deficiency's entity id is the store's own row number,
/// which means nothing to a reader; its MRN and NPI columns say whose it is.
fn about(e: &AuditEvent) -> Option<String> {
    let id = e.entity_id.as_deref()?;
    match e.entity.as_str() {
        "user" | "facility" => Some(clean(id).into_owned()),
        "provider" if e.provider_npi.as_deref() == Some(id) => Some(npi_label(id)),
        _ => None,
    }
}

pub fn audit_text(events: &[AuditEvent]) -> String {
    let mut table = Columns::new("", &[Align::Left; 8]);
    table.row(["WHEN (UTC)", "USER", "ACTION", "MRN", "NPI", "FROM", "ABOUT", "DETAIL"].map(String::from).to_vec());
    for e in events {
        table.row(vec![
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            clean(&e.username).into_owned(),
            e.action.code().to_string(),
            clean(e.patient_mrn.as_deref().unwrap_or("")).into_owned(),
            e.provider_npi.as_deref().map(npi_label).unwrap_or_default(),
            clean(&e.source).into_owned(),
            about(e).unwrap_or_default(),
            clean(&format!("{} {}", e.entity, e.detail)).into_owned(),
        ]);
    }
    table.render()
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
