//! The clocks of a release-of-information request (domain.md §2.1, §2.3, §2.12, §4.6): every clock
//! that applies is computed, and the earliest dated one is the due date, shown with the rule that
//! set it. A clock that counts from payment has no date until payment is recorded, and says so.
//!
//! Nothing here takes a follow-up's date: a requester re-sending a request never restarts a clock
//! (AS-16); the clocks count from the first receipt, the payment and the service of a subpoena only.

use super::calendar::{add_business_days, add_calendar_days};
use super::model::{ClockRecord, DueDate};
use super::model::{RecordFormat, RequestType, RequesterKind};
use crate::domain::chart::FacilityKind;
use crate::domain::dates::us_date;
use chrono::{Months, NaiveDate};

/// What a clock needs to know about a request and its facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockFacts<'a> {
    /// The facility's two-letter state (`TX`): picks the state clocks.
    pub state: &'a str,
    pub facility_kind: FacilityKind,
    pub request_type: RequestType,
    pub requester_kind: RequesterKind,
    pub format: RecordFormat,
    pub received_on: NaiveDate,
    /// The payment a payment-gated clock waits for (TX HSC 241.154, TX 22 TAC 165.2).
    pub paid_on: Option<NaiveDate>,
    /// When a subpoena was served (CA Evid 1560 counts from it); the receipt date stands in when
    /// the request carries no legal process, since a subpoena is served when the desk receives it.
    pub served_on: Option<NaiveDate>,
    /// A criminal matter's subpoena (CA Evid 1560: 5 days, not 15).
    pub criminal: bool,
}

/// How a rule counts its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayCount {
    Calendar,
    /// Weekdays that are not federal holidays (`calendar::is_business_day`).
    Business,
}

/// The day a rule counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountFrom {
    Receipt,
    /// The later of receipt and payment: no date while unpaid.
    ReceiptAndPayment,
    /// The service of the subpoena.
    Service,
}

/// One row of the clock rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockRule {
    /// Stable short code kept with the request: `HIPAA-30`, `TX-181.102`.
    pub code: &'static str,
    /// The clerk's words: `CA HSC 123110: 15 days`.
    pub words: &'static str,
    /// `US` for a federal rule, else the two-letter state.
    pub jurisdiction: &'static str,
    /// Empty: every kind of facility.
    pub facility_kinds: &'static [FacilityKind],
    pub request_types: &'static [RequestType],
    /// Empty: every kind of requester.
    pub requester_kinds: &'static [RequesterKind],
    /// Only for a copy in an electronic format (TX HSC 181.102).
    pub electronic_only: bool,
    /// `Some(true)`: criminal matters only; `Some(false)`: civil only; `None`: either.
    pub criminal: Option<bool>,
    pub days: u32,
    pub count: DayCount,
    pub from: CountFrom,
}

const ACCESS: &[RequestType] = &[RequestType::RightOfAccess, RequestType::ThirdPartyDirective];
/// Requests resting on the patient's written authorization or request, which the Texas
/// copy-and-fee rules govern.
const WRITTEN_RELEASE: &[RequestType] =
    &[RequestType::RightOfAccess, RequestType::ThirdPartyDirective, RequestType::Authorization];
const THE_INDIVIDUAL: &[RequesterKind] = &[RequesterKind::Patient, RequesterKind::PersonalRep];

/// The clock rules, one row each. They live in one table so that a Director-editable, versioned
/// rules table (domain.md §2: "never hard-coded") can replace this constant without touching the
/// code that reads it. State rows come before the federal ones: when two clocks fall on the same
/// day, the state's, the more specific, is the one named.
///
/// Choices made where the law leaves the desk to read it:
/// - TX HSC 241.154 and TX 22 TAC 165.2 count from receipt of the request *and* the fee; both
///   govern copies made on the patient's written release, so they apply to access requests,
///   directives and authorizations (not to disability requests: THSC 161.202 makes those free,
///   and a clock waiting for a payment never owed would never run).
/// - New York has no clock shorter than HIPAA's (AS-15), so it has no rows.
pub const CLOCK_RULES: &[ClockRule] = &[
    ClockRule {
        code: "TX-181.102",
        words: "TX HSC 181.102: 15 business days (electronic copy)",
        jurisdiction: "TX",
        facility_kinds: &[],
        request_types: &[RequestType::RightOfAccess],
        requester_kinds: THE_INDIVIDUAL,
        electronic_only: true,
        criminal: None,
        days: 15,
        count: DayCount::Business,
        from: CountFrom::Receipt,
    },
    ClockRule {
        code: "TX-241.154",
        words: "TX HSC 241.154: 15 days after payment",
        jurisdiction: "TX",
        facility_kinds: &[FacilityKind::Hospital],
        request_types: WRITTEN_RELEASE,
        requester_kinds: &[],
        electronic_only: false,
        criminal: None,
        days: 15,
        count: DayCount::Calendar,
        from: CountFrom::ReceiptAndPayment,
    },
    ClockRule {
        code: "TX-165.2",
        words: "TX 22 TAC 165.2: 15 business days after payment",
        jurisdiction: "TX",
        facility_kinds: &[FacilityKind::Practice],
        request_types: WRITTEN_RELEASE,
        requester_kinds: &[],
        electronic_only: false,
        criminal: None,
        days: 15,
        count: DayCount::Business,
        from: CountFrom::ReceiptAndPayment,
    },
    ClockRule {
        code: "CA-123110",
        words: "CA HSC 123110: 15 days",
        jurisdiction: "CA",
        facility_kinds: &[],
        request_types: &[RequestType::RightOfAccess],
        requester_kinds: THE_INDIVIDUAL,
        electronic_only: false,
        criminal: None,
        days: 15,
        count: DayCount::Calendar,
        from: CountFrom::Receipt,
    },
    ClockRule {
        code: "CA-1158",
        words: "CA Evid 1158: 5 days",
        jurisdiction: "CA",
        facility_kinds: &[],
        request_types: &[RequestType::Authorization],
        requester_kinds: &[RequesterKind::Attorney],
        electronic_only: false,
        criminal: None,
        days: 5,
        count: DayCount::Calendar,
        from: CountFrom::Receipt,
    },
    ClockRule {
        code: "CA-1560-15",
        words: "CA Evid 1560: 15 days after service (civil)",
        jurisdiction: "CA",
        facility_kinds: &[],
        request_types: &[RequestType::Subpoena],
        requester_kinds: &[],
        electronic_only: false,
        criminal: Some(false),
        days: 15,
        count: DayCount::Calendar,
        from: CountFrom::Service,
    },
    ClockRule {
        code: "CA-1560-5",
        words: "CA Evid 1560: 5 days after service (criminal)",
        jurisdiction: "CA",
        facility_kinds: &[],
        request_types: &[RequestType::Subpoena],
        requester_kinds: &[],
        electronic_only: false,
        criminal: Some(true),
        days: 5,
        count: DayCount::Calendar,
        from: CountFrom::Service,
    },
    ClockRule {
        code: HIPAA_ACCESS,
        words: "HIPAA 164.524: 30 days",
        jurisdiction: "US",
        facility_kinds: &[],
        request_types: ACCESS,
        requester_kinds: &[],
        electronic_only: false,
        criminal: None,
        days: 30,
        count: DayCount::Calendar,
        from: CountFrom::Receipt,
    },
    ClockRule {
        code: HIPAA_ACCOUNTING,
        words: "HIPAA 164.528: 60 days",
        jurisdiction: "US",
        facility_kinds: &[],
        request_types: &[RequestType::Accounting],
        requester_kinds: &[],
        electronic_only: false,
        criminal: None,
        days: 60,
        count: DayCount::Calendar,
        from: CountFrom::Receipt,
    },
];

/// The code of the HIPAA right-of-access clock, the one an extension moves.
pub const HIPAA_ACCESS: &str = "HIPAA-30";
/// The code of the HIPAA accounting clock, the one an extension moves.
pub const HIPAA_ACCOUNTING: &str = "HIPAA-528-60";

/// What an undated clock waits for.
pub const WAITS_FOR_PAYMENT: &str = "payment";

/// The due rule of a request no clock applies to (a law-enforcement request, say): the desk shows
/// it without a date rather than invent one.
pub const NO_CLOCK: &str = "No deadline in law applies";

/// What the due column says of a request without a date, in the words `roi show` and the screens
/// use: "none" where no clock in law applies, else the one thing an undated clock waits for.
pub fn undated_due(due_rule: &str) -> &'static str {
    if due_rule == NO_CLOCK { "none" } else { "after payment" }
}

impl ClockRule {
    /// Whether this rule governs a request with these facts.
    pub fn applies(&self, facts: &ClockFacts<'_>) -> bool {
        let state = facts.state.trim();
        (self.jurisdiction == "US" || self.jurisdiction.eq_ignore_ascii_case(state))
            && (self.facility_kinds.is_empty() || self.facility_kinds.contains(&facts.facility_kind))
            && self.request_types.contains(&facts.request_type)
            && (self.requester_kinds.is_empty() || self.requester_kinds.contains(&facts.requester_kind))
            && (!self.electronic_only || facts.format.is_electronic())
            && self.criminal.is_none_or(|criminal| criminal == facts.criminal)
    }

    /// This rule's clock for a request it governs.
    pub fn clock(&self, facts: &ClockFacts<'_>) -> ClockRecord {
        let start = match self.from {
            CountFrom::Receipt => Some(facts.received_on),
            CountFrom::ReceiptAndPayment => facts.paid_on.map(|paid_on| paid_on.max(facts.received_on)),
            CountFrom::Service => Some(facts.served_on.unwrap_or(facts.received_on)),
        };
        let due_on = start.map(|start| match self.count {
            DayCount::Calendar => add_calendar_days(start, self.days),
            DayCount::Business => add_business_days(start, self.days),
        });
        ClockRecord {
            code: self.code.to_string(),
            rule: self.words.to_string(),
            due_on,
            waits_for: due_on.is_none().then(|| WAITS_FOR_PAYMENT.to_string()),
        }
    }
}

/// Every clock that applies to the request, in the rules' order.
pub fn clocks(facts: &ClockFacts<'_>) -> Vec<ClockRecord> {
    CLOCK_RULES.iter().filter(|rule| rule.applies(facts)).map(|rule| rule.clock(facts)).collect()
}

/// The request's due date: the earliest dated clock, with its rule. With no dated clock, no date,
/// and the rule says what the first waiting clock waits for (`TX HSC 241.154: 15 days after
/// payment`); with no clock at all, [`NO_CLOCK`].
pub fn due_date(facts: &ClockFacts<'_>) -> DueDate {
    settle(clocks(facts))
}

/// The due date of a set of clocks (see [`due_date`]). On a tie the earlier clock in the list wins.
pub fn settle(clocks: Vec<ClockRecord>) -> DueDate {
    let earliest =
        clocks.iter().filter_map(|clock| clock.due_on.map(|due_on| (due_on, clock))).min_by_key(|(due_on, _)| *due_on);
    let (due_on, due_rule) = match (earliest, clocks.first()) {
        (Some((due_on, clock)), _) => (Some(due_on), clock.rule.clone()),
        (None, Some(waiting)) => (None, waiting.rule.clone()),
        (None, None) => (None, NO_CLOCK.to_string()),
    };
    DueDate { due_on, due_rule, clocks }
}

/// The due date once an extension of the HIPAA clock is granted: that clock moves to `extended_on`
/// and the others stand, so a shorter state clock still binds (a HIPAA extension does not extend
/// Texas's 15 business days).
pub fn extended(due: &DueDate, extended_on: NaiveDate) -> DueDate {
    let clocks = due
        .clocks
        .iter()
        .map(|clock| match extension_rule(&clock.code) {
            Some(_) => ClockRecord {
                code: clock.code.clone(),
                rule: format!("{}, extended once", clock.rule),
                due_on: Some(extended_on),
                waits_for: None,
            },
            None => clock.clone(),
        })
        .collect();
    settle(clocks)
}

/// The one extension a HIPAA clock allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionRule {
    /// The code of the clock it extends.
    pub clock: &'static str,
    /// The notice must be sent within this many days of receipt (the clock's own length).
    pub notice_within_days: u32,
    /// How far past the clock's date the new date may be.
    pub extra_days: u32,
    pub citation: &'static str,
}

/// The extensions of domain.md §2.1 and §2.3, in the same table spirit as [`CLOCK_RULES`].
pub const EXTENSION_RULES: &[ExtensionRule] = &[
    ExtensionRule { clock: HIPAA_ACCESS, notice_within_days: 30, extra_days: 30, citation: "45 CFR 164.524(b)(2)" },
    ExtensionRule { clock: HIPAA_ACCOUNTING, notice_within_days: 60, extra_days: 30, citation: "45 CFR 164.528(c)(2)" },
];

fn extension_rule(clock: &str) -> Option<&'static ExtensionRule> {
    EXTENSION_RULES.iter().find(|rule| rule.clock == clock)
}

/// The extension rule of a request type, if its HIPAA clock can be extended.
pub fn extension_rule_for(request_type: RequestType) -> Option<&'static ExtensionRule> {
    match request_type {
        RequestType::RightOfAccess | RequestType::ThirdPartyDirective => extension_rule(HIPAA_ACCESS),
        RequestType::Accounting => extension_rule(HIPAA_ACCOUNTING),
        _ => None,
    }
}

/// Why an extension cannot be recorded, in a clerk's words with the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionRefusal {
    #[error("Extension must be sent within the first {days} days ({citation}: by {last})")]
    TooLate { days: u32, last: String, citation: &'static str },
    #[error("Only one extension allowed ({citation})")]
    AlreadyExtended { citation: &'static str },
    #[error(
        "No extension in law for a request of type {request_type}: only right of access and accounting requests are extended"
    )]
    NotExtendable { request_type: &'static str },
    #[error("The notice date {noticed} is before the request was received ({received})")]
    NoticeBeforeReceipt { noticed: String, received: String },
    #[error("The new due date {new_due} must be after the current one, {due}")]
    NotLater { new_due: String, due: String },
    #[error(
        "The new due date {new_due} is too late: at most {extra} days past {due}, so {latest} at the latest ({citation})"
    )]
    TooFar { new_due: String, due: String, latest: String, extra: u32, citation: &'static str },
}

/// Checks an extension of a HIPAA clock (AS-15): the written notice goes out within the first 30
/// days of receipt (60 for an accounting), at most once, and the new date is no more than 30 days
/// past the clock's own date. Returns the new due date. `base_due_on` is the HIPAA clock's date, not
/// the request's due date (which a state clock may have set earlier). The desk checks that
/// `noticed_on` is not in the future; this takes no "today".
pub fn check_extension(
    received_on: NaiveDate,
    base_due_on: NaiveDate,
    noticed_on: NaiveDate,
    new_due_on: NaiveDate,
    already_extended: bool,
    request_type: RequestType,
) -> Result<NaiveDate, ExtensionRefusal> {
    let rule = extension_rule_for(request_type)
        .ok_or(ExtensionRefusal::NotExtendable { request_type: request_type.title() })?;
    if already_extended {
        return Err(ExtensionRefusal::AlreadyExtended { citation: rule.citation });
    }
    if noticed_on < received_on {
        return Err(ExtensionRefusal::NoticeBeforeReceipt {
            noticed: us_date(noticed_on),
            received: us_date(received_on),
        });
    }
    let last_notice = add_calendar_days(received_on, rule.notice_within_days);
    if noticed_on > last_notice {
        return Err(ExtensionRefusal::TooLate {
            days: rule.notice_within_days,
            last: us_date(last_notice),
            citation: rule.citation,
        });
    }
    if new_due_on <= base_due_on {
        return Err(ExtensionRefusal::NotLater { new_due: us_date(new_due_on), due: us_date(base_due_on) });
    }
    let latest = add_calendar_days(base_due_on, rule.extra_days);
    if new_due_on > latest {
        return Err(ExtensionRefusal::TooFar {
            new_due: us_date(new_due_on),
            due: us_date(base_due_on),
            latest: us_date(latest),
            extra: rule.extra_days,
            citation: rule.citation,
        });
    }
    Ok(new_due_on)
}

/// The period an accounting of disclosures covers (164.528(a), AS-24): the six years before the
/// request, to the day it was received. A request received on February 29 reaches back to
/// February 28.
pub fn accounting_period(received_on: NaiveDate) -> (NaiveDate, NaiveDate) {
    let from = received_on.checked_sub_months(Months::new(6 * 12)).unwrap_or(NaiveDate::MIN);
    (from, received_on)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn facts(
        state: &str,
        kind: FacilityKind,
        request_type: RequestType,
        requester_kind: RequesterKind,
    ) -> ClockFacts<'_> {
        ClockFacts {
            state,
            facility_kind: kind,
            request_type,
            requester_kind,
            format: RecordFormat::Paper,
            received_on: d(2025, 3, 3),
            paid_on: None,
            served_on: None,
            criminal: false,
        }
    }

    fn codes(clocks: &[ClockRecord]) -> Vec<&str> {
        clocks.iter().map(|clock| clock.code.as_str()).collect()
    }

    fn clock<'a>(due: &'a DueDate, code: &str) -> &'a ClockRecord {
        due.clocks.iter().find(|clock| clock.code == code).unwrap()
    }

    #[test]
    fn as14_texas_electronic_copy_is_due_in_15_business_days() {
        let facts = ClockFacts {
            format: RecordFormat::Portal,
            ..facts("TX", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient)
        };
        let due = due_date(&facts);
        assert_eq!(codes(&due.clocks), ["TX-181.102", "TX-241.154", "HIPAA-30"]);
        assert_eq!(clock(&due, "HIPAA-30").due_on, Some(d(2025, 4, 2)));
        assert_eq!(clock(&due, "TX-181.102").due_on, Some(d(2025, 3, 24)));
        assert_eq!(due.due_on, Some(d(2025, 3, 24)));
        assert_eq!(due.due_rule, "TX HSC 181.102: 15 business days (electronic copy)");
        // The hospital's own clock waits for the fee, and says so.
        let waiting = clock(&due, "TX-241.154");
        assert_eq!((waiting.due_on, waiting.waits_for.as_deref()), (None, Some("payment")));
    }

    #[test]
    fn tx_181_102_is_for_electronic_copies_only() {
        let paper = due_date(&facts("TX", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient));
        assert!(!codes(&paper.clocks).contains(&"TX-181.102"));
        assert_eq!(paper.due_on, Some(d(2025, 4, 2)));
        assert_eq!(paper.due_rule, "HIPAA 164.524: 30 days");
    }

    #[test]
    fn tx_181_102_at_its_boundary_across_a_federal_holiday() {
        // Received Friday 2025-11-07: Veterans Day (11-11) and Thanksgiving (11-27) are skipped, so
        // day 15 is Tuesday 12-02; on calendar days alone it would be Friday 11-28.
        let facts = ClockFacts {
            format: RecordFormat::Pdf,
            received_on: d(2025, 11, 7),
            ..facts("TX", FacilityKind::Practice, RequestType::RightOfAccess, RequesterKind::PersonalRep)
        };
        assert_eq!(clock(&due_date(&facts), "TX-181.102").due_on, Some(d(2025, 12, 2)));
    }

    #[test]
    fn as18_texas_hospital_clock_waits_for_payment_then_runs_15_days() {
        let unpaid = facts("TX", FacilityKind::Hospital, RequestType::Authorization, RequesterKind::Attorney);
        let due = due_date(&unpaid);
        assert_eq!(codes(&due.clocks), ["TX-241.154"]);
        assert_eq!(due.due_on, None);
        assert_eq!(due.due_rule, "TX HSC 241.154: 15 days after payment");
        let paid = ClockFacts { paid_on: Some(d(2025, 3, 10)), ..unpaid };
        let due = due_date(&paid);
        assert_eq!(due.due_on, Some(d(2025, 3, 25)));
        assert_eq!(due.clocks[0].waits_for, None);
        // Paid before the request arrived: the 15th day after the request.
        let prepaid = ClockFacts { paid_on: Some(d(2025, 2, 20)), ..unpaid };
        assert_eq!(due_date(&prepaid).due_on, Some(d(2025, 3, 18)));
    }

    #[test]
    fn tx_practice_counts_15_business_days_from_payment_across_a_holiday() {
        // AS-18's clinic: 22 TAC 165.2. Paid Friday 2025-05-16; Memorial Day (05-26) is skipped:
        // day 15 is Monday 06-09, not Friday 06-06.
        let unpaid = facts("TX", FacilityKind::Practice, RequestType::Authorization, RequesterKind::Insurer);
        let due = due_date(&unpaid);
        assert_eq!((codes(&due.clocks), due.due_on), (vec!["TX-165.2"], None));
        assert_eq!(due.due_rule, "TX 22 TAC 165.2: 15 business days after payment");
        let paid = ClockFacts { paid_on: Some(d(2025, 5, 16)), ..unpaid };
        assert_eq!(due_date(&paid).due_on, Some(d(2025, 6, 9)));
    }

    #[test]
    fn as19_california_patient_copy_is_due_in_15_days() {
        let due = due_date(&facts("CA", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient));
        assert_eq!(codes(&due.clocks), ["CA-123110", "HIPAA-30"]);
        assert_eq!(due.due_on, Some(d(2025, 3, 18)));
        assert_eq!(due.due_rule, "CA HSC 123110: 15 days");
        // An attorney's directive is not the patient's own copy under 123110.
        let directive =
            due_date(&facts("CA", FacilityKind::Hospital, RequestType::ThirdPartyDirective, RequesterKind::Attorney));
        assert_eq!(codes(&directive.clocks), ["HIPAA-30"]);
    }

    #[test]
    fn ca_attorney_with_an_authorization_gets_5_days() {
        let due = due_date(&facts("CA", FacilityKind::Practice, RequestType::Authorization, RequesterKind::Attorney));
        assert_eq!((due.due_on, due.due_rule.as_str()), (Some(d(2025, 3, 8)), "CA Evid 1158: 5 days"));
        let insurer =
            due_date(&facts("CA", FacilityKind::Practice, RequestType::Authorization, RequesterKind::Insurer));
        assert_eq!((insurer.due_on, insurer.due_rule.as_str()), (None, NO_CLOCK));
    }

    #[test]
    fn as20_california_subpoena_counts_from_service_civil_15_criminal_5() {
        let civil = ClockFacts {
            served_on: Some(d(2025, 3, 10)),
            received_on: d(2025, 3, 11),
            ..facts("CA", FacilityKind::Hospital, RequestType::Subpoena, RequesterKind::Attorney)
        };
        let due = due_date(&civil);
        assert_eq!(codes(&due.clocks), ["CA-1560-15"]);
        assert_eq!(due.due_on, Some(d(2025, 3, 25)));
        let criminal = due_date(&ClockFacts { criminal: true, ..civil });
        assert_eq!(codes(&criminal.clocks), ["CA-1560-5"]);
        assert_eq!(criminal.due_on, Some(d(2025, 3, 15)));
        assert_eq!(criminal.due_rule, "CA Evid 1560: 5 days after service (criminal)");
        // With no service date the receipt stands in.
        let unserved = ClockFacts { served_on: None, ..civil };
        assert_eq!(due_date(&unserved).due_on, Some(d(2025, 3, 26)));
    }

    #[test]
    fn as15_new_york_has_no_clock_shorter_than_hipaa() {
        let facts = ClockFacts {
            format: RecordFormat::Pdf,
            ..facts("NY", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient)
        };
        let due = due_date(&facts);
        assert_eq!(codes(&due.clocks), ["HIPAA-30"]);
        assert_eq!(due.due_on, Some(d(2025, 4, 2)));
        assert_eq!(due.due_rule, "HIPAA 164.524: 30 days");
    }

    #[test]
    fn as24_accounting_is_due_in_60_days_and_covers_six_years() {
        let due = due_date(&facts("NY", FacilityKind::Hospital, RequestType::Accounting, RequesterKind::Patient));
        assert_eq!(codes(&due.clocks), ["HIPAA-528-60"]);
        assert_eq!(due.due_on, Some(d(2025, 5, 2)));
        assert_eq!(accounting_period(d(2025, 3, 3)), (d(2019, 3, 3), d(2025, 3, 3)));
        assert_eq!(accounting_period(d(2024, 2, 29)), (d(2018, 2, 28), d(2024, 2, 29)));
        // The one extension: to 2025-06-01 at the latest.
        let base = d(2025, 5, 2);
        assert_eq!(
            check_extension(d(2025, 3, 3), base, d(2025, 4, 30), d(2025, 6, 1), false, RequestType::Accounting),
            Ok(d(2025, 6, 1))
        );
        assert!(matches!(
            check_extension(d(2025, 3, 3), base, d(2025, 4, 30), d(2025, 6, 2), false, RequestType::Accounting),
            Err(ExtensionRefusal::TooFar { .. })
        ));
    }

    #[test]
    fn a_request_no_clock_governs_has_no_date_and_says_so() {
        let due =
            due_date(&facts("TX", FacilityKind::Hospital, RequestType::LawEnforcement, RequesterKind::LawEnforcement));
        assert_eq!(due, DueDate { due_on: None, due_rule: NO_CLOCK.to_string(), clocks: vec![] });
    }

    #[test]
    fn as15_extension_within_the_first_30_days_once() {
        let received = d(2025, 3, 3);
        let base = d(2025, 4, 2);
        let access = RequestType::RightOfAccess;
        assert_eq!(check_extension(received, base, d(2025, 3, 28), d(2025, 5, 2), false, access), Ok(d(2025, 5, 2)));
        // Day 30 itself is still within the first 30 days.
        assert_eq!(check_extension(received, base, d(2025, 4, 2), d(2025, 5, 2), false, access), Ok(d(2025, 5, 2)));
        let late = check_extension(received, base, d(2025, 4, 3), d(2025, 5, 2), false, access).unwrap_err();
        assert_eq!(
            late.to_string(),
            "Extension must be sent within the first 30 days (45 CFR 164.524(b)(2): by 04/02/2025)"
        );
        assert!(late.to_string().starts_with("Extension must be sent within the first 30 days"));
        let second = check_extension(received, base, d(2025, 3, 28), d(2025, 5, 2), true, access).unwrap_err();
        assert_eq!(second.to_string(), "Only one extension allowed (45 CFR 164.524(b)(2))");
    }

    #[test]
    fn an_extension_is_refused_when_its_dates_cannot_be_right() {
        let received = d(2025, 3, 3);
        let base = d(2025, 4, 2);
        let access = RequestType::ThirdPartyDirective;
        let refuse = |noticed, new_due| check_extension(received, base, noticed, new_due, false, access).unwrap_err();
        assert_eq!(
            refuse(d(2025, 3, 1), d(2025, 5, 2)).to_string(),
            "The notice date 03/01/2025 is before the request was received (03/03/2025)"
        );
        assert_eq!(
            refuse(d(2025, 3, 28), d(2025, 4, 2)).to_string(),
            "The new due date 04/02/2025 must be after the current one, 04/02/2025"
        );
        assert_eq!(
            refuse(d(2025, 3, 28), d(2025, 5, 3)).to_string(),
            "The new due date 05/03/2025 is too late: at most 30 days past 04/02/2025, so 05/02/2025 at the latest (45 CFR 164.524(b)(2))"
        );
        let subpoena = check_extension(received, base, d(2025, 3, 28), d(2025, 5, 2), false, RequestType::Subpoena);
        assert_eq!(
            subpoena.unwrap_err().to_string(),
            "No extension in law for a request of type Subpoena: only right of access and accounting requests are extended"
        );
    }

    #[test]
    fn an_extension_moves_the_hipaa_clock_and_a_shorter_state_clock_still_binds() {
        let facts = ClockFacts {
            format: RecordFormat::Pdf,
            ..facts("TX", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient)
        };
        let due = extended(&due_date(&facts), d(2025, 5, 2));
        assert_eq!(clock(&due, "HIPAA-30").due_on, Some(d(2025, 5, 2)));
        assert_eq!(clock(&due, "HIPAA-30").rule, "HIPAA 164.524: 30 days, extended once");
        assert_eq!(due.due_on, Some(d(2025, 3, 24)));
        let ny = facts_ny();
        let due = extended(&due_date(&ny), d(2025, 5, 2));
        assert_eq!((due.due_on, due.due_rule.as_str()), (Some(d(2025, 5, 2)), "HIPAA 164.524: 30 days, extended once"));
    }

    fn facts_ny() -> ClockFacts<'static> {
        facts("NY", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient)
    }

    #[test]
    fn a_state_is_matched_whatever_its_case_or_spaces() {
        let lower = due_date(&facts(" ca", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient));
        assert_eq!(lower.due_on, Some(d(2025, 3, 18)));
    }

    #[test]
    fn every_rule_has_a_distinct_code_and_its_words_name_its_days() {
        for (i, rule) in CLOCK_RULES.iter().enumerate() {
            assert!(CLOCK_RULES[..i].iter().all(|other| other.code != rule.code), "{}", rule.code);
            assert!(rule.words.contains(&format!("{} ", rule.days)), "{}", rule.words);
            assert_eq!(rule.words.contains("business"), rule.count == DayCount::Business, "{}", rule.words);
            assert_eq!(rule.words.contains("payment"), rule.from == CountFrom::ReceiptAndPayment, "{}", rule.words);
        }
    }

    fn any_facts() -> impl Strategy<Value = (usize, usize, usize, usize, usize, i64, Option<i64>, bool)> {
        (
            0..4usize,
            0..2usize,
            0..RequestType::ALL.len(),
            0..RequesterKind::ALL.len(),
            0..RecordFormat::ALL.len(),
            0i64..20_000,
            proptest::option::of(-10i64..60),
            any::<bool>(),
        )
    }

    proptest! {
        #[test]
        fn the_due_date_is_the_earliest_dated_clock_and_never_before_receipt(
            (state, kind, request_type, requester, format, offset, paid, criminal) in any_facts()
        ) {
            let received_on = d(2000, 1, 1) + chrono::Duration::days(offset);
            let facts = ClockFacts {
                state: ["TX", "CA", "NY", "FL"][state],
                facility_kind: [FacilityKind::Hospital, FacilityKind::Practice][kind],
                request_type: RequestType::ALL[request_type],
                requester_kind: RequesterKind::ALL[requester],
                format: RecordFormat::ALL[format],
                received_on,
                paid_on: paid.map(|days| received_on + chrono::Duration::days(days)),
                served_on: None,
                criminal,
            };
            let due = due_date(&facts);
            let dated: Vec<NaiveDate> = due.clocks.iter().filter_map(|clock| clock.due_on).collect();
            prop_assert_eq!(due.due_on, dated.iter().copied().min());
            for clock in &due.clocks {
                prop_assert_eq!(clock.due_on.is_none(), clock.waits_for.is_some());
                if let Some(due_on) = clock.due_on {
                    prop_assert!(due_on > received_on);
                }
            }
            // Paying can only bring a due date nearer, never push it away.
            let paid_now = due_date(&ClockFacts { paid_on: Some(received_on), ..facts });
            if let (Some(before), Some(after)) = (due.due_on, paid_now.due_on) {
                prop_assert!(after <= before);
            }
            // Right of access always has HIPAA's 30 days.
            if facts.request_type == RequestType::RightOfAccess {
                prop_assert!(due.due_on.is_some_and(|due_on| due_on <= received_on + chrono::Duration::days(30)));
            }
        }
    }
}
