//! Subpoenas and court orders (domain.md §2.4, §2.5, §2.12): when the desk may answer one, and
//! what it must wait for. Pure: the desk passes today in.
//!
//! - 164.512(e): an order of a court or tribunal is answered as it reads. A subpoena without one is
//!   answered only once the party's written satisfactory assurance (the individual was notified
//!   and the time to object has passed) or a qualified protective order is on file; until then the
//!   request is pended, from logging, with [`AWAITING_ASSURANCE`].
//! - FRCP 45(d)(2)(B): objections to a civil subpoena are due before the earlier of its compliance
//!   date and 14 days after service. The desk shows that day; it decides nothing by it.
//! - 42 CFR 2.61, 2.64: a subpoena alone never reaches Part 2 records; a §2.64 authorizing order
//!   must be on file ([`PART2_ORDER_REQUIRED`] until it is). The packet excludes the records; this
//!   module says whether the order is there.

use super::model::{Assurance, LegalProcess, LegalProcessKind, Part2Order, RequestStatus};
use super::status::Step;
use crate::domain::dates::us_date;
use crate::domain::text::control_character_problem;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// Why a subpoena without a court order waits (AS-20): the request's pend reason, word for word.
pub const AWAITING_ASSURANCE: &str = "Awaiting HIPAA satisfactory assurance / QPO";

/// The blocking item of a subpoena that touches Part 2 records (AS-21), word for word.
pub use super::packet::PART2_ORDER_REQUIRED;

/// Days after service within which a civil subpoena's objections are due (FRCP 45(d)(2)(B)).
pub const OBJECTION_DAYS: u64 = 14;

/// The longest court name and order number kept: room for any real one, a bound on a paste.
pub const MAX_COURT: usize = 200;
pub const MAX_ORDER_NO: usize = 80;
pub const MAX_NOTE: usize = 2_000;

/// The last day objections to a subpoena may be served, and what set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectionWindow {
    pub until: NaiveDate,
    /// `FRCP 45(d)(2)(B): 14 days after service`, or `… the compliance date`.
    pub rule: String,
}

/// When objections to `process` close: for a civil subpoena, the earlier of its compliance date and
/// 14 days after service. None for an order (it is obeyed or appealed, not objected to) and for a
/// criminal subpoena (FRCrP 17 sets no such window).
pub fn objection_window(process: &LegalProcess) -> Option<ObjectionWindow> {
    if process.kind != LegalProcessKind::Subpoena || process.criminal {
        return None;
    }
    let fourteen = process.served_on.checked_add_days(Days::new(OBJECTION_DAYS))?;
    Some(match process.return_on {
        Some(compliance) if compliance < fourteen => {
            ObjectionWindow { until: compliance, rule: "FRCP 45(d)(2)(B): the compliance date".into() }
        }
        _ => ObjectionWindow { until: fourteen, rule: "FRCP 45(d)(2)(B): 14 days after service".into() },
    })
}

/// Whether the desk must still wait for an assurance or a QPO before answering (164.512(e)(1)(ii)).
pub fn awaits_assurance(process: &LegalProcess) -> bool {
    process.kind == LegalProcessKind::Subpoena && process.assurance.is_none() && process.qpo_on.is_none()
}

/// The reason a request with this process is pended at logging, if it is.
pub fn pend_at_logging(process: Option<&LegalProcess>) -> Option<&'static str> {
    process.filter(|p| awaits_assurance(p)).map(|_| AWAITING_ASSURANCE)
}

/// Whether a 42 CFR 2.64 order authorizing Part 2 records is on file: the packet releases Part 2
/// documents on a legal process only then.
pub fn has_part2_court_order(process: Option<&LegalProcess>) -> bool {
    process.is_some_and(|p| p.part2_order.is_some())
}

/// The blocking item a request under a legal process shows for its Part 2 records until a §2.64
/// order is on file; none without a legal process (a Part 2 consent governs those).
pub fn part2_blocking_item(process: Option<&LegalProcess>) -> Option<&'static str> {
    process.filter(|p| p.part2_order.is_none()).map(|_| PART2_ORDER_REQUIRED)
}

/// A paper received for a subpoena or an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "paper")]
pub enum LegalPaper {
    Assurance { received_on: NaiveDate, note: String },
    Qpo { received_on: NaiveDate },
    Part2Order { ordered_on: NaiveDate, court: String, order_no: String },
}

impl LegalPaper {
    /// The clerk's name for it: `satisfactory assurance`.
    pub fn title(&self) -> &'static str {
        match self {
            Self::Assurance { .. } => "satisfactory assurance",
            Self::Qpo { .. } => "qualified protective order",
            Self::Part2Order { .. } => "§2.64 court order",
        }
    }

    pub fn dated(&self) -> NaiveDate {
        match self {
            Self::Assurance { received_on, .. } | Self::Qpo { received_on } => *received_on,
            Self::Part2Order { ordered_on, .. } => *ordered_on,
        }
    }

    /// The history's words: `Satisfactory assurance received 03/12/2025`.
    pub fn detail(&self) -> String {
        match self {
            Self::Assurance { received_on, note } if !note.trim().is_empty() => {
                format!("Satisfactory assurance received {}: {}", us_date(*received_on), note.trim())
            }
            Self::Assurance { received_on, .. } => format!("Satisfactory assurance received {}", us_date(*received_on)),
            Self::Qpo { received_on } => format!("Qualified protective order received {}", us_date(*received_on)),
            Self::Part2Order { ordered_on, court, order_no } => {
                format!("§2.64 court order {} of {} dated {}", order_no.trim(), court.trim(), us_date(*ordered_on))
            }
        }
    }
}

/// The process with `paper` recorded, or why it cannot be: a paper dated before service or after
/// today, an assurance or QPO for a court order (it needs none), one already on file, an order
/// without its court or number.
pub fn record_paper(process: &LegalProcess, paper: &LegalPaper, today: NaiveDate) -> Result<LegalProcess, String> {
    let dated = paper.dated();
    if dated > today {
        return Err(format!(
            "the {} is dated {}, after today ({}): record it once it has come",
            paper.title(),
            us_date(dated),
            us_date(today)
        ));
    }
    if dated < process.served_on {
        return Err(format!(
            "the {} is dated {}, before the {} was served ({})",
            paper.title(),
            us_date(dated),
            process.kind.title().to_lowercase(),
            us_date(process.served_on)
        ));
    }
    let mut next = process.clone();
    match paper {
        LegalPaper::Assurance { received_on, note } => {
            no_assurance_for_an_order(process, paper)?;
            if let Some(on_file) = &process.assurance {
                return Err(format!(
                    "a satisfactory assurance is already on file (received {})",
                    us_date(on_file.received_on)
                ));
            }
            text("the note", note, MAX_NOTE, false)?;
            next.assurance = Some(Assurance { received_on: *received_on, note: note.trim().to_string() });
        }
        LegalPaper::Qpo { received_on } => {
            no_assurance_for_an_order(process, paper)?;
            if let Some(on) = process.qpo_on {
                return Err(format!("a qualified protective order is already on file (received {})", us_date(on)));
            }
            next.qpo_on = Some(*received_on);
        }
        LegalPaper::Part2Order { ordered_on, court, order_no } => {
            if let Some(order) = &process.part2_order {
                return Err(format!(
                    "§2.64 order {} is already on file (dated {})",
                    order.order_no,
                    us_date(order.ordered_on)
                ));
            }
            text("the order's court", court, MAX_COURT, true)?;
            text("the order number", order_no, MAX_ORDER_NO, true)?;
            next.part2_order = Some(Part2Order {
                ordered_on: *ordered_on,
                court: court.trim().to_string(),
                order_no: order_no.trim().to_string(),
            });
        }
    }
    Ok(next)
}

fn no_assurance_for_an_order(process: &LegalProcess, paper: &LegalPaper) -> Result<(), String> {
    match process.kind {
        LegalProcessKind::CourtOrder => Err(format!(
            "it came with a court order, which is answered as it reads (164.512(e)(1)(i)): no {} is needed",
            paper.title()
        )),
        LegalProcessKind::Subpoena => Ok(()),
    }
}

fn text(what: &str, value: &str, max: usize, required: bool) -> Result<(), String> {
    if let Some(problem) = control_character_problem(what, value) {
        return Err(problem);
    }
    if required && value.trim().is_empty() {
        return Err(format!("{what} is missing"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(format!("{what} is {chars} characters; at most {max}"));
    }
    Ok(())
}

/// The step a request takes when a paper is recorded: a request pended for the assurance resumes
/// (to validating, as a pended request does when its paper comes, AS-17) once nothing is awaited;
/// any other stays where it is.
pub fn step_after_paper(status: RequestStatus, status_reason: Option<&str>, after: &LegalProcess) -> Option<Step> {
    (status == RequestStatus::Pended && status_reason == Some(AWAITING_ASSURANCE) && !awaits_assurance(after))
        .then_some(Step::Resume)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// AS-20's subpoena: served on MVC 03/10/2025, civil.
    fn as20() -> LegalProcess {
        LegalProcess::served(
            LegalProcessKind::Subpoena,
            false,
            d(2025, 3, 10),
            "Superior Court of California",
            "24-CV-1187",
        )
    }

    #[test]
    fn objections_close_fourteen_days_after_service_or_at_an_earlier_compliance_date() {
        let window = objection_window(&as20()).unwrap();
        assert_eq!(window.until, d(2025, 3, 24));
        assert_eq!(window.rule, "FRCP 45(d)(2)(B): 14 days after service");
        let early = LegalProcess { return_on: Some(d(2025, 3, 20)), ..as20() };
        assert_eq!(objection_window(&early).unwrap().until, d(2025, 3, 20));
        assert_eq!(objection_window(&early).unwrap().rule, "FRCP 45(d)(2)(B): the compliance date");
        let late = LegalProcess { return_on: Some(d(2025, 4, 30)), ..as20() };
        assert_eq!(objection_window(&late).unwrap().until, d(2025, 3, 24));
        assert_eq!(objection_window(&LegalProcess { criminal: true, ..as20() }), None);
        assert_eq!(objection_window(&LegalProcess { kind: LegalProcessKind::CourtOrder, ..as20() }), None);
    }

    #[test]
    fn a_subpoena_waits_for_an_assurance_or_a_qpo_and_an_order_for_neither() {
        assert!(awaits_assurance(&as20()));
        assert_eq!(pend_at_logging(Some(&as20())), Some(AWAITING_ASSURANCE));
        let order = LegalProcess { kind: LegalProcessKind::CourtOrder, ..as20() };
        assert!(!awaits_assurance(&order));
        assert_eq!(pend_at_logging(Some(&order)), None);
        assert_eq!(pend_at_logging(None), None);
        let today = d(2025, 3, 20);
        let assured = record_paper(
            &as20(),
            &LegalPaper::Assurance { received_on: d(2025, 3, 12), note: "notice mailed 02/20; no objection".into() },
            today,
        )
        .unwrap();
        assert!(!awaits_assurance(&assured));
        let protected = record_paper(&as20(), &LegalPaper::Qpo { received_on: d(2025, 3, 11) }, today).unwrap();
        assert!(!awaits_assurance(&protected));
        assert_eq!(protected.qpo_on, Some(d(2025, 3, 11)));
    }

    #[test]
    fn papers_dated_before_service_or_after_today_are_refused() {
        let today = d(2025, 3, 20);
        let early =
            record_paper(&as20(), &LegalPaper::Assurance { received_on: d(2025, 3, 9), note: String::new() }, today);
        assert_eq!(
            early.unwrap_err(),
            "the satisfactory assurance is dated 03/09/2025, before the subpoena was served (03/10/2025)"
        );
        let qpo = record_paper(&as20(), &LegalPaper::Qpo { received_on: d(2025, 2, 1) }, today).unwrap_err();
        assert!(qpo.starts_with("the qualified protective order is dated 02/01/2025, before"), "{qpo}");
        let order = LegalPaper::Part2Order {
            ordered_on: d(2025, 3, 1),
            court: "Superior Court".into(),
            order_no: "O-1".into(),
        };
        let refused = record_paper(&as20(), &order, today).unwrap_err();
        assert!(refused.starts_with("the §2.64 court order is dated 03/01/2025, before"), "{refused}");
        let future = record_paper(&as20(), &LegalPaper::Qpo { received_on: d(2025, 3, 21) }, today).unwrap_err();
        assert!(future.contains("after today (03/20/2025)"), "{future}");
    }

    #[test]
    fn an_order_needs_no_assurance_and_nothing_is_recorded_twice() {
        let today = d(2025, 3, 20);
        let order = LegalProcess { kind: LegalProcessKind::CourtOrder, ..as20() };
        let refused = record_paper(&order, &LegalPaper::Qpo { received_on: d(2025, 3, 12) }, today).unwrap_err();
        assert!(refused.contains("no qualified protective order is needed"), "{refused}");
        let once = record_paper(&as20(), &LegalPaper::Qpo { received_on: d(2025, 3, 12) }, today).unwrap();
        let twice = record_paper(&once, &LegalPaper::Qpo { received_on: d(2025, 3, 13) }, today).unwrap_err();
        assert_eq!(twice, "a qualified protective order is already on file (received 03/12/2025)");
    }

    #[test]
    fn part2_records_wait_for_a_2_64_order_with_its_court_and_number() {
        let today = d(2025, 3, 20);
        assert_eq!(part2_blocking_item(Some(&as20())), Some(PART2_ORDER_REQUIRED));
        assert!(!has_part2_court_order(Some(&as20())));
        assert_eq!(part2_blocking_item(None), None);
        assert!(!has_part2_court_order(None));
        let unnamed = LegalPaper::Part2Order { ordered_on: d(2025, 3, 18), court: " ".into(), order_no: "O-1".into() };
        assert_eq!(record_paper(&as20(), &unnamed, today).unwrap_err(), "the order's court is missing");
        let paper = LegalPaper::Part2Order {
            ordered_on: d(2025, 3, 18),
            court: "Superior Court of California, County of Marin".into(),
            order_no: "CIV-2064-17".into(),
        };
        let ordered = record_paper(&as20(), &paper, today).unwrap();
        assert!(has_part2_court_order(Some(&ordered)));
        assert_eq!(part2_blocking_item(Some(&ordered)), None);
        // The order reaches the Part 2 records; the 164.512(e) assurance is still awaited.
        assert!(awaits_assurance(&ordered));
        assert_eq!(
            paper.detail(),
            "§2.64 court order CIV-2064-17 of Superior Court of California, County of Marin dated 03/18/2025"
        );
    }

    #[test]
    fn only_a_request_pended_for_the_assurance_resumes_when_it_comes() {
        let assured = LegalProcess { qpo_on: Some(d(2025, 3, 12)), ..as20() };
        assert_eq!(step_after_paper(RequestStatus::Pended, Some(AWAITING_ASSURANCE), &assured), Some(Step::Resume));
        assert_eq!(step_after_paper(RequestStatus::Pended, Some(AWAITING_ASSURANCE), &as20()), None);
        assert_eq!(step_after_paper(RequestStatus::Pended, Some("Records off site"), &assured), None);
        assert_eq!(step_after_paper(RequestStatus::Validating, None, &assured), None);
    }
}
