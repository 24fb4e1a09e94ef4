//! The accounting of disclosures (45 CFR 164.528, domain.md §2.3, AS-24): which disclosures are
//! accountable, the six years an accounting covers, which entries it lists, the suspensions a
//! law-enforcement or oversight agency asks for, and whether it is free. Pure: the store hands in
//! what it keeps, the desk the day.

use super::LegalBasis;
use super::clocks::{CLOCK_RULES, EXTENSION_RULES, HIPAA_ACCOUNTING, accounting_period};
use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// 164.528(a)(1)(ix): disclosures made before the Privacy Rule's compliance date are never in an
/// accounting.
pub const COMPLIANCE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2003, 4, 14) {
    Some(day) => day,
    None => NaiveDate::MIN,
};

/// 164.528(a)(2)(ii): an oral statement suspends for at most this many days, unless the agency's
/// written statement is logged.
pub const ORAL_SUSPENSION_DAYS: u64 = 30;

/// Whether a disclosure under `basis` made on `disclosed_on` belongs in an accounting: the
/// 164.528(a)(1) exclusions by legal basis, and none before the compliance date. The desk derives
/// it when a disclosure is written; the store only keeps it.
pub fn accountable(basis: LegalBasis, disclosed_on: NaiveDate) -> bool {
    basis.accountable() && disclosed_on >= COMPLIANCE_DATE
}

/// One disclosure as the accounting reads it. `id` is the store's; clerks see it as `D-118`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disclosure {
    pub id: i64,
    pub disclosed_on: NaiveDate,
    pub recipient: String,
    pub recipient_address: String,
    pub description: String,
    pub purpose: String,
    pub legal_basis: LegalBasis,
    pub accountable: bool,
    /// The request it was released on (`RGH-00041`), when it was.
    pub request: Option<String>,
    pub voided: bool,
}

/// How a clerk names a disclosure: `D-118`.
pub fn disclosure_label(id: i64) -> String {
    format!("D-{id}")
}

/// The day a request was released (its `released_on`, what the Director's turnaround counts to):
/// the day of its first disclosure not voided, given the days of those not voided; none when all
/// were voided or none made.
pub fn first_release(not_voided: impl IntoIterator<Item = NaiveDate>) -> Option<NaiveDate> {
    not_voided.into_iter().min()
}

/// A request's release day once one of its disclosures, made on `voided`, is voided: the first of
/// the others. `not_voided` are the days of its disclosures not voided, the one being voided among
/// them; only one of them goes, as two disclosures of one day are two releases.
pub fn first_release_after_void(not_voided: &[NaiveDate], voided: NaiveDate) -> Option<NaiveDate> {
    let mut others = not_voided.to_vec();
    if let Some(at) = others.iter().position(|day| *day == voided) {
        others.swap_remove(at);
    }
    first_release(others)
}

/// The id in `D-118`, `d118` or `118`; None for anything else.
pub fn parse_disclosure_label(text: &str) -> Option<i64> {
    let text = text.trim();
    let digits = match text.get(..1) {
        Some("D" | "d") => text[1..].trim_start_matches('-'),
        _ => text,
    };
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().filter(|id| *id > 0)
}

/// What an agency's statement to suspend the accounting was (164.528(a)(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Statement {
    /// Documented by the clerk who took it: 30 days from the day it was logged.
    Oral,
    /// For the time the agency states: its entries show again on `until`.
    Written { until: NaiveDate },
}

/// An agency's request to keep its disclosures of one patient out of the accounting for a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub agency: String,
    pub logged_on: NaiveDate,
    pub statement: Statement,
}

impl Suspension {
    /// The day the agency's entries show again, by this statement alone.
    pub fn ends_on(&self) -> NaiveDate {
        match self.statement {
            Statement::Oral => {
                self.logged_on.checked_add_days(Days::new(ORAL_SUSPENSION_DAYS)).unwrap_or(NaiveDate::MAX)
            }
            Statement::Written { until } => until,
        }
    }
}

/// The key an agency is matched by: any case, runs of spaces made one.
fn agency_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// The agencies whose entries are withheld on `on`, each with the day they show again. An oral
/// statement holds for 30 days, unless the agency's written statement is logged on or after it
/// (and by `on`): then the written statement's period governs, longer or shorter.
pub fn suspended_on(suspensions: &[Suspension], on: NaiveDate) -> Vec<(String, NaiveDate)> {
    let mut held: Vec<(String, NaiveDate)> = Vec::new();
    for s in suspensions.iter().filter(|s| s.logged_on <= on) {
        let superseded = matches!(s.statement, Statement::Oral)
            && suspensions.iter().any(|w| {
                matches!(w.statement, Statement::Written { .. })
                    && agency_key(&w.agency) == agency_key(&s.agency)
                    && w.logged_on >= s.logged_on
                    && w.logged_on <= on
            });
        let ends_on = s.ends_on();
        if superseded || on >= ends_on {
            continue;
        }
        match held.iter_mut().find(|(agency, _)| agency_key(agency) == agency_key(&s.agency)) {
            Some((_, until)) => *until = (*until).max(ends_on),
            None => held.push((s.agency.clone(), ends_on)),
        }
    }
    held
}

/// An entry the accounting withholds for an agency, and until when: for the desk's eyes, never
/// the patient's copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    pub agency: String,
    pub until: NaiveDate,
    pub entries: usize,
}

/// What the accounting costs (164.528(c)(2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AccountingFee {
    /// The first in any 12 months.
    Free,
    /// Another within 12 months of the one requested on `previous`: a reasonable cost-based fee, quoted in advance,
    /// which the individual may withdraw the request rather than pay. `cents` is the fee
    /// schedule's cost-based amount, when one was supplied.
    Quote { previous: NaiveDate, cents: Option<i64> },
}

impl AccountingFee {
    pub fn cents(self) -> i64 {
        match self {
            Self::Free => 0,
            Self::Quote { cents, .. } => cents.unwrap_or(0),
        }
    }
}

/// The fee of an accounting requested on `requested_on`, given the days the patient requested the
/// accountings already given to them. The amount of a repeat one is a cost-based fee this module does not
/// know: `cost_based_cents` is the fee schedule's (the fees slice supplies it).
pub fn accounting_fee(earlier: &[NaiveDate], requested_on: NaiveDate, cost_based_cents: Option<i64>) -> AccountingFee {
    let year_before = requested_on.checked_sub_months(Months::new(12)).unwrap_or(NaiveDate::MIN);
    match earlier.iter().copied().filter(|d| *d > year_before && *d <= requested_on).max() {
        Some(previous) => AccountingFee::Quote { previous, cents: cost_based_cents },
        None => AccountingFee::Free,
    }
}

/// An accounting of disclosures as of its request date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    pub requested_on: NaiveDate,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub due_on: NaiveDate,
    /// The latest day the one extension may reach.
    pub extended_due_on: NaiveDate,
    /// Oldest first.
    pub entries: Vec<Disclosure>,
    pub withheld: Vec<Withheld>,
    pub fee: AccountingFee,
}

fn accounting_days() -> (u64, u64) {
    let days = CLOCK_RULES.iter().find(|r| r.code == HIPAA_ACCOUNTING).map_or(60, |r| u64::from(r.days));
    let extra = EXTENSION_RULES.iter().find(|r| r.clock == HIPAA_ACCOUNTING).map_or(30, |r| u64::from(r.extra_days));
    (days, extra)
}

/// The accounting of a request made on `requested_on`: the accountable disclosures not voided,
/// made in the six years to that day, less those to an agency whose suspension holds that day.
pub fn accounting(
    disclosures: &[Disclosure],
    suspensions: &[Suspension],
    requested_on: NaiveDate,
    fee: AccountingFee,
) -> Accounting {
    let (period_from, period_to) = accounting_period(requested_on);
    let held = suspended_on(suspensions, requested_on);
    let mut withheld: Vec<Withheld> = Vec::new();
    let mut entries: Vec<Disclosure> = Vec::new();
    for d in disclosures.iter().filter(|d| {
        d.accountable
            && !d.voided
            && accountable(d.legal_basis, d.disclosed_on)
            && (period_from..=period_to).contains(&d.disclosed_on)
    }) {
        match held.iter().find(|(agency, _)| agency_key(agency) == agency_key(&d.recipient)) {
            Some((agency, until)) => match withheld.iter_mut().find(|w| w.agency == *agency) {
                Some(w) => w.entries += 1,
                None => withheld.push(Withheld { agency: agency.clone(), until: *until, entries: 1 }),
            },
            None => entries.push(d.clone()),
        }
    }
    entries.sort_by_key(|d| (d.disclosed_on, d.id));
    let (days, extra) = accounting_days();
    let due_on = requested_on.checked_add_days(Days::new(days)).unwrap_or(NaiveDate::MAX);
    let extended_due_on = due_on.checked_add_days(Days::new(extra)).unwrap_or(NaiveDate::MAX);
    Accounting { requested_on, period_from, period_to, due_on, extended_due_on, entries, withheld, fee }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn disclosure(id: i64, on: NaiveDate, recipient: &str, basis: LegalBasis) -> Disclosure {
        Disclosure {
            id,
            disclosed_on: on,
            recipient: recipient.into(),
            recipient_address: format!("{id} Main St, Austin TX"),
            description: "records".into(),
            purpose: "purpose".into(),
            legal_basis: basis,
            accountable: accountable(basis, on),
            request: None,
            voided: false,
        }
    }

    /// GARCIA's history in AS-24, and a disclosure to the sheriff for the suspension's part.
    fn garcia() -> Vec<Disclosure> {
        vec![
            disclosure(1, d(2021, 6, 1), "Texas DSHS", LegalBasis::PublicHealth),
            disclosure(2, d(2023, 8, 15), "Baker & Lowe LLP", LegalBasis::Judicial),
            disclosure(3, d(2024, 1, 10), "GARCIA, MARIA L", LegalBasis::Individual),
            disclosure(4, d(2024, 5, 2), "Blue Cross", LegalBasis::Tpo),
            disclosure(5, d(2024, 11, 12), "Smith Law", LegalBasis::Authorization),
        ]
    }

    fn ids(a: &Accounting) -> Vec<i64> {
        a.entries.iter().map(|e| e.id).collect()
    }

    #[test]
    fn as24_lists_exactly_the_two_accountable_entries_over_six_years_free() {
        let a = accounting(&garcia(), &[], d(2025, 3, 3), accounting_fee(&[], d(2025, 3, 3), None));
        assert_eq!((a.period_from, a.period_to), (d(2019, 3, 3), d(2025, 3, 3)));
        assert_eq!(a.due_on, d(2025, 5, 2));
        assert_eq!(a.extended_due_on, d(2025, 6, 1));
        assert_eq!(ids(&a), vec![1, 2]);
        assert_eq!(a.entries[0].recipient_address, "1 Main St, Austin TX");
        assert_eq!(a.fee, AccountingFee::Free);
        assert_eq!(a.fee.cents(), 0);
        assert!(a.withheld.is_empty());
    }

    #[test]
    fn as24_a_second_request_within_twelve_months_is_quoted_with_the_schedules_amount() {
        let fee = accounting_fee(&[d(2025, 3, 3)], d(2025, 6, 10), Some(1_250));
        assert_eq!(fee, AccountingFee::Quote { previous: d(2025, 3, 3), cents: Some(1_250) });
        assert_eq!(fee.cents(), 1_250);
        // No amount supplied: still a quote, never a price made up here.
        assert_eq!(accounting_fee(&[d(2025, 3, 3)], d(2025, 6, 10), None).cents(), 0);
        // Twelve months on, free again; one delivered after the request does not count.
        assert_eq!(accounting_fee(&[d(2024, 3, 3)], d(2025, 3, 3), Some(1)), AccountingFee::Free);
        assert!(matches!(accounting_fee(&[d(2024, 3, 4)], d(2025, 3, 3), Some(1)), AccountingFee::Quote { .. }));
        assert_eq!(accounting_fee(&[d(2025, 3, 4)], d(2025, 3, 3), Some(1)), AccountingFee::Free);
    }

    #[test]
    fn the_period_is_six_years_to_the_day_inclusive() {
        let mut history = garcia();
        history.push(disclosure(6, d(2019, 3, 2), "Texas DSHS", LegalBasis::PublicHealth));
        history.push(disclosure(7, d(2019, 3, 3), "Texas DSHS", LegalBasis::PublicHealth));
        history.push(disclosure(8, d(2025, 3, 4), "Texas DSHS", LegalBasis::PublicHealth));
        let a = accounting(&history, &[], d(2025, 3, 3), AccountingFee::Free);
        assert_eq!(ids(&a), vec![7, 1, 2]);
    }

    #[test]
    fn a_voided_disclosure_leaves_the_accounting() {
        let mut history = garcia();
        history[1].voided = true;
        assert_eq!(ids(&accounting(&history, &[], d(2025, 3, 3), AccountingFee::Free)), vec![1]);
    }

    #[test]
    fn each_exclusion_of_164_528_a_1_is_out_and_the_rest_are_in() {
        let excluded = [
            LegalBasis::Tpo,
            LegalBasis::Individual,
            LegalBasis::Authorization,
            LegalBasis::Incidental,
            LegalBasis::Directory,
            LegalBasis::NationalSecurity,
            LegalBasis::Custody,
            LegalBasis::LimitedDataSet,
        ];
        for basis in LegalBasis::ALL {
            assert_eq!(accountable(*basis, d(2024, 1, 1)), !excluded.contains(basis), "{basis:?}");
            assert!(!accountable(*basis, d(2003, 4, 13)), "before the compliance date: {basis:?}");
        }
        assert!(accountable(LegalBasis::PublicHealth, COMPLIANCE_DATE));
    }

    #[test]
    fn as24_an_oral_suspension_hides_the_agency_for_30_days_from_its_logging() {
        let mut history = garcia();
        history.push(disclosure(9, d(2024, 12, 5), "Travis County Sheriff", LegalBasis::LawEnforcement));
        let oral = Suspension {
            agency: "TRAVIS COUNTY  sheriff".into(),
            logged_on: d(2025, 2, 20),
            statement: Statement::Oral,
        };
        assert_eq!(oral.ends_on(), d(2025, 3, 22));
        let on = |day| accounting(&history, std::slice::from_ref(&oral), day, AccountingFee::Free);
        let a = on(d(2025, 3, 3));
        assert_eq!(ids(&a), vec![1, 2]);
        assert_eq!(
            a.withheld,
            vec![Withheld { agency: "TRAVIS COUNTY  sheriff".into(), until: d(2025, 3, 22), entries: 1 }]
        );
        assert_eq!(ids(&on(d(2025, 3, 21))), vec![1, 2], "the 30th day is still withheld");
        assert_eq!(ids(&on(d(2025, 3, 22))), vec![1, 2, 9], "shown again on 2025-03-22");
        assert_eq!(ids(&on(d(2025, 2, 19))), vec![1, 2, 9], "not before it was logged");
    }

    #[test]
    fn as24_a_written_statement_keeps_the_agency_hidden_for_its_own_period() {
        let mut history = garcia();
        history.push(disclosure(9, d(2024, 12, 5), "Travis County Sheriff", LegalBasis::LawEnforcement));
        let oral = Suspension {
            agency: "Travis County Sheriff".into(),
            logged_on: d(2025, 2, 20),
            statement: Statement::Oral,
        };
        let written = Suspension {
            agency: "Travis County Sheriff".into(),
            logged_on: d(2025, 3, 10),
            statement: Statement::Written { until: d(2025, 9, 1) },
        };
        let both = [oral.clone(), written];
        assert_eq!(ids(&accounting(&history, &both, d(2025, 3, 25), AccountingFee::Free)), vec![1, 2]);
        assert_eq!(ids(&accounting(&history, &[oral], d(2025, 3, 25), AccountingFee::Free)), vec![1, 2, 9]);
        assert_eq!(ids(&accounting(&history, &both, d(2025, 9, 1), AccountingFee::Free)), vec![1, 2, 9]);
        // A written statement for a shorter time than the oral's 30 days governs from its logging.
        let short = Suspension {
            agency: "Travis County Sheriff".into(),
            logged_on: d(2025, 2, 25),
            statement: Statement::Written { until: d(2025, 3, 1) },
        };
        let oral = Suspension {
            agency: "Travis County Sheriff".into(),
            logged_on: d(2025, 2, 20),
            statement: Statement::Oral,
        };
        assert_eq!(ids(&accounting(&history, &[oral, short], d(2025, 3, 3), AccountingFee::Free)), vec![1, 2, 9]);
    }

    #[test]
    fn a_disclosure_is_named_as_clerks_see_it() {
        assert_eq!(disclosure_label(118), "D-118");
        for text in ["D-118", "d118", " 118 ", "d-118"] {
            assert_eq!(parse_disclosure_label(text), Some(118), "{text}");
        }
        for text in ["", "D-", "D-0", "X-118", "D-11a", "-118", "D-99999999999999999999"] {
            assert_eq!(parse_disclosure_label(text), None, "{text}");
        }
    }

    #[test]
    fn a_request_is_released_on_its_first_disclosure_not_voided() {
        assert_eq!(first_release([d(2025, 3, 11), d(2025, 3, 5), d(2025, 3, 9)]), Some(d(2025, 3, 5)));
        assert_eq!(first_release([]), None);
        // Voiding the first moves the release to the next; voiding one of two the same day leaves
        // the other standing; voiding the only one leaves it unreleased.
        let days = [d(2025, 3, 11), d(2025, 3, 5), d(2025, 3, 9)];
        assert_eq!(first_release_after_void(&days, d(2025, 3, 5)), Some(d(2025, 3, 9)));
        assert_eq!(first_release_after_void(&days, d(2025, 3, 11)), Some(d(2025, 3, 5)));
        assert_eq!(first_release_after_void(&[d(2025, 3, 5), d(2025, 3, 5)], d(2025, 3, 5)), Some(d(2025, 3, 5)));
        assert_eq!(first_release_after_void(&[d(2025, 3, 5)], d(2025, 3, 5)), None);
    }
}
