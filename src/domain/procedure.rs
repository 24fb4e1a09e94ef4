//! Procedures performed during an encounter, as the chart-completion rules see them: a surgical
//! procedure wants an operative report (CMS 482.51(b)(6): written or dictated immediately after
//! surgery, signed by the surgeon).
//!
//! Imported procedures carry a SNOMED CT code and its description but no flag saying "this was an
//! operation", and the SNOMED hierarchy that would say so is licensed, large and not shipped here.
//! The rule below reads the description instead: the surgical word-endings (-ectomy, -otomy,
//! -plasty…) and the words surgeons' procedures are named with (resection, excision, biopsy…).
//! It errs towards asking for a report, which an analyst can void; a missed operation would leave
//! the chart silently incomplete. The test below pins it against every procedure Synthea's shared
//! exports contain.

use chrono::NaiveDate;

/// The document type of an operative report.
pub const OPERATIVE_REPORT: &str = "OP_NOTE";

/// Word-endings that name an operation on their own.
const SURGICAL_ENDINGS: &[&str] = &["ectomy", "otomy", "ostomy", "plasty", "pexy", "rrhaphy", "desis"];

/// Words (or word beginnings) that name an operation.
const SURGICAL_WORDS: &[&str] = &[
    "resection",
    "excision",
    "biopsy",
    "extraction",
    "ligation",
    "surgical",
    "surgery",
    "amputation",
    "transplant",
    "implantation",
    "implantable",
    "bypass",
    "graft",
    "repair",
    "cesarean",
    "laparoscop",
    "arthroscop",
    "thoracoscop",
];

/// Procedures that match a surgical word but are documented elsewhere (an episiotomy is part of
/// the delivery note).
const NOT_OPERATIONS: &[&str] = &["episiotomy"];

/// Whether a procedure, by its description, is an operation that needs an operative report.
pub fn is_surgical(description: &str) -> bool {
    let lower = description.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    if words.iter().any(|w| NOT_OPERATIONS.contains(w)) {
        return false;
    }
    words.iter().any(|word| {
        SURGICAL_ENDINGS.iter().any(|ending| word.ends_with(ending))
            || SURGICAL_WORDS.iter().any(|surgical| word.starts_with(surgical))
    })
}

/// A procedure of an encounter, as the seeding rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedProcedure {
    pub performed_on: NaiveDate,
    pub description: String,
}

/// The days of the operations that no operative report on file accounts for: with `reports`
/// operative reports and more surgical procedures than that, the earliest procedures are taken as
/// reported and the rest are missing their report.
pub fn operations_without_report(procedures: &[SeedProcedure], reports: usize) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> =
        procedures.iter().filter(|p| is_surgical(&p.description)).map(|p| p.performed_on).collect();
    days.sort_unstable();
    days.into_iter().skip(reports).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_told_from_other_procedures() {
        // Every procedure in the shared Synthea exports that should want an operative report…
        for surgical in [
            "Appendectomy",
            "Partial resection of colon",
            "Lumpectomy of breast (procedure)",
            "Biopsy of breast (procedure)",
            "Laparoscopic Removal of Gall Bladder",
            "Bilateral tubal ligation",
            "Surgical manipulation of joint of knee",
            "Cesarean section",
            "Coronary artery bypass grafting",
            "Insertion of biventricular implantable cardioverter defibrillator",
            "Percutaneous mechanical thrombectomy of portal vein using fluoroscopic guidance",
            "Rectal polypectomy",
            "Extraction of wisdom tooth",
            "Vasectomy",
            "Total knee arthroplasty",
        ] {
            assert!(is_surgical(surgical), "{surgical}");
        }
        // …and those that should not.
        for other in [
            "Medication Reconciliation (procedure)",
            "Oxygen administration by mask (procedure)",
            "Placing subject in prone position (procedure)",
            "Insertion of endotracheal tube (procedure)",
            "Replacement of contraceptive intrauterine device",
            "Colonoscopy",
            "Episiotomy",
            "Plain chest X-ray (procedure)",
            "Chemotherapy (procedure)",
            "Childbirth",
            "Suture open wound",
            "",
        ] {
            assert!(!is_surgical(other), "{other}");
        }
    }

    #[test]
    fn each_operation_beyond_the_reports_on_file_is_missing_one() {
        let p = |day: u32, description: &str| SeedProcedure {
            performed_on: NaiveDate::from_ymd_opt(2025, 2, day).unwrap_or_default(),
            description: description.into(),
        };
        let stay = [p(5, "Appendectomy"), p(3, "Oxygen administration by mask"), p(7, "Partial resection of colon")];
        let feb = |d| NaiveDate::from_ymd_opt(2025, 2, d).unwrap_or_default();
        assert_eq!(operations_without_report(&stay, 0), [feb(5), feb(7)]);
        assert_eq!(operations_without_report(&stay, 1), [feb(7)]);
        assert!(operations_without_report(&stay, 2).is_empty());
        assert!(operations_without_report(&stay[1..2], 0).is_empty());
    }
}
