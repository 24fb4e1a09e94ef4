//! Physician deficiency notices as plain-text letters.

use crate::domain::dates::us_date;
use crate::domain::text::clean;
use crate::store::NoticeRecord;
use std::fmt::Write;

/// The letter of a notice: who, what level, and one line per deficiency with MRN, account,
/// discharge date, deficiency and days outstanding.
pub fn notice_letter(notice: &NoticeRecord) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", clean(&notice.facility));
    let _ = writeln!(out, "Health Information Management");
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", us_date(notice.notice_on));
    let _ = writeln!(out);
    // A provider imported without an NPI is filed under a key of the store's, not one to print.
    let _ = match crate::domain::chart::npi_label(&notice.npi).as_str() {
        "no NPI" => writeln!(out, "To: {}, MD", clean(&notice.physician)),
        npi => writeln!(out, "To: {}, MD (NPI {npi})", clean(&notice.physician)),
    };
    if let Some(copy) = &notice.copy_to {
        let _ = writeln!(out, "Copy: {}, MD (supervising physician)", clean(copy));
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{} — {}", notice.level.title(), notice.level.code());
    let _ = writeln!(out);
    let body = match notice.level {
        crate::domain::deficiency::NoticeLevel::Reinstatement => {
            "Your delinquent medical records are complete. Your privileges are reinstated. Thank you."
        }
        crate::domain::deficiency::NoticeLevel::Delinquent => {
            "The records below are delinquent. You are eligible for suspension of privileges until they are complete."
        }
        _ => "The records below are incomplete. Please complete them in the HIM department or your inbox.",
    };
    for line in wrap(body, 88) {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(out);
    if !notice.lines.is_empty() {
        let _ = writeln!(out, "{:<9} {:<11} {:<10} {:<38} {:>5}", "MRN", "ACCOUNT", "DISCHARGE", "DEFICIENCY", "DAYS");
        for line in &notice.lines {
            let _ = writeln!(
                out,
                "{:<9} {:<11} {:<10} {:<38} {:>5}",
                clean(&line.mrn),
                clean(&line.account),
                us_date(line.discharged_on),
                clean(&line.deficiency),
                line.days_outstanding
            );
        }
    }
    out
}

/// The file name of a notice's letter: `FINAL_21-1000000001-RGH.txt` (a physician working at two
/// facilities gets each one's letter).
pub fn file_name(notice: &NoticeRecord) -> String {
    let npi: String = notice.npi.chars().filter(char::is_ascii_alphanumeric).collect();
    let facility: String = notice.facility_code.chars().filter(char::is_ascii_alphanumeric).collect();
    if facility.is_empty() {
        format!("{}-{npi}.txt", notice.level.code())
    } else {
        format!("{}-{npi}-{facility}.txt", notice.level.code())
    }
}

/// Words of `text` in lines of at most `width` characters (a longer word stands alone).
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_text_wraps_to_the_page() {
        let lines = wrap(
            "The records below are delinquent. You are eligible for suspension of privileges until they are complete.",
            40,
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 40), "{lines:?}");
        assert_eq!(
            lines.join(" "),
            "The records below are delinquent. You are eligible for suspension of privileges until they are complete."
        );
    }
}
