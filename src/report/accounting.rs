//! The accounting of disclosures as text (45 CFR 164.528(b)): what the patient receives, and the
//! desk's copy, which also says what an agency's suspension withholds for now.

use crate::desk::roi::intake::dollars;
use crate::domain::dates::us_date;
use crate::domain::roi::accounting::{Accounting, AccountingFee};
use serde::Serialize;

/// Whose patient the accounting is, as the banner names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountingPatient {
    pub patient_id: i64,
    pub mrn: String,
    /// `GARCIA, MARIA L`.
    pub name: String,
    pub birth_date: chrono::NaiveDate,
}

/// An accounting and whose it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountingReport {
    pub patient: AccountingPatient,
    pub accounting: Accounting,
}

/// The fee line: `Fee: none (the first accounting in 12 months is free)`.
pub fn fee_line(fee: AccountingFee) -> String {
    match fee {
        AccountingFee::Free => "Fee: none (the first accounting in 12 months is free)".into(),
        AccountingFee::Quote { previous, cents } => format!(
            "Fee: {} (a cost-based fee: an accounting was requested on {}, within 12 months; the patient may \
             withdraw the request instead of paying)",
            match cents {
                Some(cents) => dollars(cents),
                None => "the fee schedule's cost-based amount".into(),
            },
            us_date(previous)
        ),
    }
}

/// The accounting as text, one field a line so that no name or address is ever cut. `for_patient`
/// leaves out what a suspension withholds (the agency asked that the patient not be told yet).
pub fn accounting_text(report: &AccountingReport, for_patient: bool) -> String {
    let a = &report.accounting;
    let p = &report.patient;
    let mut out = String::new();
    out.push_str("ACCOUNTING OF DISCLOSURES (45 CFR 164.528)\n\n");
    out.push_str(&format!("Patient:   {}\nMRN:       {}\nBorn:      {}\n", p.name, p.mrn, us_date(p.birth_date)));
    out.push_str(&format!(
        "Requested: {}\nPeriod:    {} through {}\n",
        us_date(a.requested_on),
        us_date(a.period_from),
        us_date(a.period_to)
    ));
    if !for_patient {
        out.push_str(&format!(
            "Due:       {} (one extension, with a written notice, to {} at the latest)\n",
            us_date(a.due_on),
            us_date(a.extended_due_on)
        ));
    }
    out.push('\n');
    match a.entries.len() {
        0 => out.push_str("No disclosures to account for in this period.\n"),
        1 => out.push_str("1 disclosure:\n"),
        n => out.push_str(&format!("{n} disclosures:\n")),
    }
    for (i, e) in a.entries.iter().enumerate() {
        out.push_str(&format!("\n{}. {}  {}\n", i + 1, us_date(e.disclosed_on), e.recipient));
        // An address's lines on one line: the entry's fields stay aligned.
        let address = match e.recipient_address.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>() {
            lines if lines.is_empty() => "(not known)".to_string(),
            lines => lines.join(", "),
        };
        out.push_str(&format!("   Address: {address}\n"));
        out.push_str(&format!("   What:    {}\n", e.description));
        out.push_str(&format!("   Purpose: {}\n", e.purpose));
    }
    out.push('\n');
    out.push_str(&fee_line(a.fee));
    out.push('\n');
    if !for_patient && !a.withheld.is_empty() {
        out.push_str("\nWithheld for now at an agency's request (164.528(a)(2); not on the patient's copy):\n");
        for w in &a.withheld {
            out.push_str(&format!(
                "   {} {} to {}, until {}\n",
                w.entries,
                if w.entries == 1 { "entry" } else { "entries" },
                w.agency,
                us_date(w.until)
            ));
        }
    }
    out
}
