//! `chartroom audit`: the trail listed, verified, and the privacy officer's reports as text, JSON or
//! CSV.

use super::print::{self, Align, Columns};
use super::{CliError, fail};
use crate::desk::Desk;
use crate::desk::audit::{AuditReport, ChainReport, REPORT_LIMIT};
use crate::domain::audit::AuditEvent;
use crate::domain::text::clean;
use chrono::{DateTime, NaiveDate, Utc};

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Csv,
}

impl Format {
    pub fn of(json: bool, csv: bool) -> Self {
        match (json, csv) {
            (true, _) => Self::Json,
            (_, true) => Self::Csv,
            _ => Self::Text,
        }
    }
}

/// The range a report covers: `--to` defaults to today, `--from` to 30 days before `--to` (the
/// privacy officer's usual "last 30 days").
pub fn range(desk: &Desk, from: Option<NaiveDate>, to: Option<NaiveDate>) -> (NaiveDate, NaiveDate) {
    let to = to.unwrap_or_else(|| desk.today());
    let from = from.unwrap_or_else(|| to - chrono::Duration::days(30));
    (from, to)
}

/// `audit verify`: the text, and whether the chain is whole (the exit status says so too).
pub fn verify_text(report: &ChainReport) -> String {
    match &report.first_break {
        None if report.anchor.as_ref().is_some_and(|a| a.found_at.is_none()) => format!(
            "The audit trail's {} events each match their hash and follow the one before, but the trail \
             does not hold the anchor {}: it was rewritten at or before the event that hash was taken \
             from (or the anchor is another store's). Keep this store as it is and tell the Privacy Officer.",
            grouped(report.checked as i64),
            report.anchor.as_ref().map_or("", |a| a.hash.as_str())
        ),
        None => {
            let mut text = format!(
                "The audit trail is whole: {} events, each matching its hash and linked to the one before it.",
                grouped(report.checked as i64)
            );
            if let Some(position) = report.anchor.as_ref().and_then(|a| a.found_at) {
                text.push_str(&format!(
                    "\nIt holds the anchor given, at event {}: nothing up to it was rewritten.",
                    grouped(position as i64)
                ));
            }
            if let Some(head) = &report.head {
                text.push_str(&format!(
                    "\nIts last hash, to keep away from this machine (the Privacy Officer's records):\n  {head}\n\
                     Later, `chartroom audit verify --anchor HASH` shows whether the trail up to it is still\n\
                     this one, even if every hash after an edit was computed again."
                ));
            }
            text
        }
        Some(b) => {
            let what = match b.kind {
                "content" => "its content does not match its hash: it was changed after it was written",
                _ => "it does not follow the event before it: an event was removed or put in there",
            };
            format!(
                "The audit trail is broken at event {} of {} (id {}, at {}): {what}.\n\
                 The {} events before it are whole. Keep this store as it is and tell the Privacy Officer.",
                grouped(b.position as i64),
                grouped(report.total),
                b.id,
                b.at.format("%Y-%m-%d %H:%M:%S UTC"),
                grouped(report.checked as i64)
            )
        }
    }
}

/// A count with thousands separated: `1,000,312`.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A report written as asked. Text fits 80 columns: each event is a line of when, who and what,
/// and a line of where from and what about, wrapped at spaces (never through a number).
pub fn report(desk: &Desk, title: &str, report: &AuditReport, format: Format) -> Result<String, CliError> {
    match format {
        Format::Json => Ok(print::to_json(report)),
        Format::Csv => report_csv(&report.events),
        Format::Text => Ok(report_text(title, report, |at| desk.local_time(at))),
    }
}

pub fn report_text(
    title: &str,
    report: &AuditReport,
    local: impl Fn(DateTime<Utc>) -> chrono::NaiveDateTime,
) -> String {
    let mut out = vec![clean(title).into_owned()];
    if report.events.is_empty() {
        out.push("No events.".into());
        return out.join("\n");
    }
    let mut table = Columns::new("", &[Align::Left; 3]);
    table.row(["WHEN (local)", "USER", "ACTION"].map(String::from).to_vec());
    for e in &report.events {
        table.row(vec![
            local(e.at).format("%Y-%m-%d %H:%M:%S").to_string(),
            clean(&e.username).into_owned(),
            e.action.code().to_string(),
        ]);
        for line in wrap(&about(e), 76) {
            table.line(format!("    {line}"));
        }
    }
    out.push(table.render());
    let n = report.events.len();
    let count = format!("{} {}", grouped(n as i64), if n == 1 { "event" } else { "events" });
    if report.truncated {
        out.push(format!("{count} shown; there are more: ask for a shorter range (at most {REPORT_LIMIT})."));
    } else {
        out.push(format!("{count}."));
    }
    out.join("\n")
}

/// Where the event came from and what it was about, on one line before wrapping.
fn about(e: &AuditEvent) -> String {
    let mut parts = vec![format!("from {}", clean(&e.source))];
    let mut what = entity_words(&e.entity);
    // The number that tells two requests (volumes, disclosures) of one patient apart, as the CSV
    // has it, then the patient's MRN. Beside an MRN, a bare number is a row id the clerk never
    // sees, and an id that is the MRN or NPI again says nothing.
    let shown = |id: &&str| {
        !id.is_empty()
            && (e.patient_mrn.is_none() || !id.bytes().all(|b| b.is_ascii_digit()))
            && Some(*id) != e.patient_mrn.as_deref()
            && Some(*id) != e.provider_npi.as_deref()
    };
    if let Some(id) = e.entity_id.as_deref().filter(shown) {
        what.push_str(&format!(" {}", clean(id)));
    }
    if let Some(mrn) = &e.patient_mrn {
        what.push_str(&format!(" MRN {}", clean(mrn)));
    }
    if let Some(npi) = &e.provider_npi {
        what.push_str(&format!(" NPI {}", clean(npi)));
    }
    parts.push(what);
    if !e.detail.is_empty() {
        parts.push(clean(&e.detail).into_owned());
    }
    parts.join(" · ")
}

/// What an event was about, as the screens name it: "request", not the store's "roi_request".
fn entity_words(entity: &str) -> String {
    match entity {
        "roi_request" => "request".to_string(),
        other => clean(other).replace('_', " "),
    }
}

/// `text` in lines of at most `width` columns, broken at spaces; a word longer than a line is kept
/// whole on a line of its own rather than cut.
fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthStr;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// RFC 4180 with a header line and CRLF line ends. A cell that a spreadsheet would run as a
/// formula (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is written behind a
/// `'`, so that opening the file never runs what a user typed into the trail.
pub fn report_csv(events: &[AuditEvent]) -> Result<String, CliError> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let header = ["id", "at_utc", "user", "source", "action", "entity", "entity_id", "mrn", "npi", "detail"];
    writer.write_record(header).map_err(fail)?;
    for e in events {
        let cells = [
            e.id.to_string(),
            e.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            e.username.clone(),
            e.source.clone(),
            e.action.code().to_string(),
            e.entity.clone(),
            e.entity_id.clone().unwrap_or_default(),
            e.patient_mrn.clone().unwrap_or_default(),
            e.provider_npi.clone().unwrap_or_default(),
            e.detail.clone(),
        ];
        writer.write_record(cells.iter().map(|c| neutralised(c))).map_err(fail)?;
    }
    let bytes = writer.into_inner().map_err(|e| CliError::new(e.to_string()))?;
    let text = String::from_utf8(bytes).map_err(fail)?;
    // `emit` ends the output with a newline of its own, which completes the last CRLF.
    Ok(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

/// A cell as a spreadsheet may safely open it (OWASP's CSV injection advice).
pub fn neutralised(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_plain_text_is_not() {
        assert_eq!(neutralised("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralised("+1"), "'+1");
        assert_eq!(neutralised("-2+3"), "'-2+3");
        assert_eq!(neutralised("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralised("\tx"), "'\tx");
        assert_eq!(neutralised("kwong"), "kwong");
        assert_eq!(neutralised(""), "");
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(41_207), "41,207");
        assert_eq!(grouped(1_000_312), "1,000,312");
    }

    #[test]
    fn an_event_names_its_request_and_patient_and_one_event_is_singular() {
        use crate::domain::audit::AuditAction;
        let event = |number: &str| AuditEvent {
            id: 1,
            at: chrono::TimeZone::with_ymd_and_hms(&Utc, 2025, 4, 1, 12, 0, 0).unwrap(),
            username: "jdoe".into(),
            source: "tty".into(),
            action: AuditAction::Update,
            entity: "roi_request".into(),
            entity_id: Some(number.into()),
            patient_id: Some(7),
            patient_mrn: Some("204511".into()),
            detail: "Validating".into(),
            provider_id: None,
            provider_npi: None,
        };
        assert_eq!(about(&event("RGH-00042")), "from tty · request RGH-00042 MRN 204511 · Validating");
        assert_ne!(about(&event("RGH-00042")), about(&event("RGH-00043")));
        assert_eq!(about(&event("V204511-2")), "from tty · request V204511-2 MRN 204511 · Validating");
        assert_eq!(about(&event("204511")), "from tty · request MRN 204511 · Validating");
        assert_eq!(about(&event("88")), "from tty · request MRN 204511 · Validating");
        let one = AuditReport { events: vec![event("RGH-00042")], truncated: false };
        let text = report_text("Events", &one, |at| at.naive_utc());
        assert!(text.ends_with("\n1 event."), "{text}");
        let two = AuditReport { events: vec![event("RGH-00042"), event("RGH-00043")], truncated: false };
        assert!(report_text("Events", &two, |at| at.naive_utc()).ends_with("\n2 events."));
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_never_cuts_a_word() {
        let long = "x".repeat(90);
        let lines = wrap(&format!("from ssh 203.0.113.5 (SSH_CONNECTION) · {long} · 1,000,312"), 76);
        assert!(lines.iter().any(|l| l == &long), "{lines:?}");
        assert!(lines.iter().all(|l| l.len() <= 76 || l == &long), "{lines:?}");
        assert_eq!(lines.join(" "), format!("from ssh 203.0.113.5 (SSH_CONNECTION) · {long} · 1,000,312"));
    }
}
