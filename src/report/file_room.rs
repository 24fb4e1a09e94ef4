//! Overdue notices to each borrower location: one letter per location listing its volumes past
//! due back, as text and as PDF (`report::pdf`), like the other letters.

use crate::desk::file_room::OverdueVolume;
use crate::domain::dates::us_date;
use crate::domain::text::clean;
use chrono::NaiveDate;
use std::fmt::Write;

/// One borrower's notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverdueNotice {
    pub location_code: String,
    pub location_name: String,
    pub text: String,
}

/// The notices for the overdue list, one per borrower location, in the list's order.
pub fn overdue_notices(overdue: &[OverdueVolume], today: NaiveDate) -> Vec<OverdueNotice> {
    let mut notices: Vec<OverdueNotice> = Vec::new();
    let mut start = 0;
    while start < overdue.len() {
        let place = &overdue[start].volume.current;
        let end =
            overdue[start..].iter().position(|o| o.volume.current.id != place.id).map_or(overdue.len(), |n| start + n);
        notices.push(OverdueNotice {
            location_code: place.code.clone(),
            location_name: place.name.clone(),
            text: notice_text(&place.name, &overdue[start..end], today),
        });
        start = end;
    }
    notices
}

fn notice_text(location: &str, rows: &[OverdueVolume], today: NaiveDate) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Health Information Management — File Room");
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", us_date(today));
    let _ = writeln!(out);
    let _ = writeln!(out, "To: {}", clean(location));
    let _ = writeln!(out);
    let _ = writeln!(out, "OVERDUE RECORDS NOTICE");
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "The paper records below were charged to you and are past their due-back date. Please return them to \
         the file room, or call the file room to renew the loan."
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<12} {:<10} {:<28} {:>4} {:<10} {:>5}", "BARCODE", "MRN", "PATIENT", "VOL", "DUE", "DAYS");
    for o in rows {
        let v = &o.volume;
        let due = v.due_back_on.map(us_date).unwrap_or_default();
        let name: String = clean(&v.patient_name).chars().take(28).collect();
        let _ = writeln!(
            out,
            "{:<12} {:<10} {:<28} {:>4} {:<10} {:>5}",
            v.barcode, v.mrn, name, v.volume_no, due, o.days_overdue
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{} overdue.", crate::domain::text::plural(rows.len(), "record", "records"));
    out
}

/// `overdue-CODING-2025-03-07`: the notice's file name, without extension.
pub fn file_stem(notice: &OverdueNotice, today: NaiveDate) -> String {
    let code: String = notice.location_code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    format!("overdue-{code}-{today}")
}
