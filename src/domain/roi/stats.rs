//! The Director's view of release of information (issue 11): over a period of facility days, per
//! ISO week, the requests received and released, the turnaround from receipt to release (median
//! and 90th percentile), the fees invoiced and collected; and for the period, the requests overdue,
//! those pended by reason. Pure: the store hands over counts ([`StatsFacts`]), already grouped by
//! day, and every rule that turns them into figures is here.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::fees::AdjustmentKind;

/// The longest period the view takes: five years of weeks is already more than a screen shows.
pub const MAX_PERIOD_DAYS: i64 = 5 * 366;

/// A period of facility days, both ends included, `from` never after `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("the period ends ({to}) before it starts ({from})")]
    Backwards { from: String, to: String },
    #[error("a period of {days} days is longer than the {MAX_PERIOD_DAYS} days the view takes (five years)")]
    TooLong { days: i64 },
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, PeriodError> {
        if to < from {
            return Err(PeriodError::Backwards {
                from: crate::domain::dates::us_date(from),
                to: crate::domain::dates::us_date(to),
            });
        }
        let days = (to - from).num_days() + 1;
        if days > MAX_PERIOD_DAYS {
            return Err(PeriodError::TooLong { days });
        }
        Ok(Self { from, to })
    }

    /// The day overdue is judged on: the period's last, or today when the period reaches past it
    /// (nothing is overdue yet on a day still to come).
    pub fn as_of(self, today: NaiveDate) -> NaiveDate {
        self.to.min(today)
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        (self.from..=self.to).contains(&day)
    }

    pub fn days(self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// The periods the Director's screen offers by key: whole ISO weeks back from this one, this week
/// (to today) the last of them, so that every bar but the last is a full week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeriodPreset {
    FourWeeks,
    Quarter,
    Year,
}

impl PeriodPreset {
    pub const ALL: [Self; 3] = [Self::FourWeeks, Self::Quarter, Self::Year];

    pub fn weeks(self) -> i64 {
        match self {
            Self::FourWeeks => 4,
            Self::Quarter => 13,
            Self::Year => 52,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::FourWeeks => "last 4 weeks",
            Self::Quarter => "last 13 weeks",
            Self::Year => "last 52 weeks",
        }
    }

    pub fn period(self, today: NaiveDate) -> Period {
        let from = week_start(today) - Duration::weeks(self.weeks() - 1);
        Period { from, to: today }
    }
}

/// The Monday of `day`'s ISO week.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// What the store counts for a period (`Store::roi_stats_facts`): rows grouped by day, no patient
/// named. Every figure of [`RoiStats`] is computed from these.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsFacts {
    /// Requests received each day of the period: (day, count).
    pub received: Vec<(NaiveDate, i64)>,
    /// Requests first released in the period — the day of their first disclosure not voided — by
    /// the day each was received and the day it was released: (received, released, count).
    pub released: Vec<(NaiveDate, NaiveDate, i64)>,
    /// The requests that stood open on the as-of day (received by then, and open now or released
    /// after it), by due date: (due, count); `None` for a clock waiting on payment.
    pub open_by_due: Vec<(Option<NaiveDate>, i64)>,
    /// Requests received by the period's end that stand pended, by the reason given: (reason,
    /// count); an empty reason for one pended without.
    pub pended: Vec<(String, i64)>,
    /// Invoices issued each day of the period, in cents: (day, total).
    pub invoiced: Vec<(NaiveDate, i64)>,
    /// Payments taken each day of the period, in cents: (day, total).
    pub paid: Vec<(NaiveDate, i64)>,
    /// Write-offs, refunds and voids each day of the period, in cents: (day, kind, total).
    pub adjusted: Vec<(NaiveDate, AdjustmentKind, i64)>,
}

/// The p-th percentile of whole-day values counted in `counts` (value → how many), by nearest rank:
/// the least value v such that at least p% of the values are v or less — the value at rank
/// ⌈p·n/100⌉ (counting from 1) of the n values sorted. So the median (p = 50) of an even number of
/// values is the lower of the two middle ones, always a day that some request actually took. None
/// when nothing was counted.
pub fn percentile(counts: &BTreeMap<i64, i64>, p: u32) -> Option<i64> {
    let n: i64 = counts.values().filter(|c| **c > 0).sum();
    if n == 0 {
        return None;
    }
    let p = i64::from(p.clamp(1, 100));
    // ⌈p·n/100⌉ in integers; at least the first value.
    let rank = ((p * n + 99) / 100).max(1);
    let mut seen = 0;
    for (value, count) in counts.iter().filter(|(_, c)| **c > 0) {
        seen += count;
        if seen >= rank {
            return Some(*value);
        }
    }
    counts.keys().next_back().copied()
}

/// Days from receipt to release, median and 90th percentile ([`percentile`]), of `released`
/// requests; `None` for both when none was released.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turnaround {
    pub released: i64,
    pub median_days: Option<i64>,
    pub p90_days: Option<i64>,
}

impl Turnaround {
    pub fn of(days: &BTreeMap<i64, i64>) -> Self {
        Self { released: days.values().sum(), median_days: percentile(days, 50), p90_days: percentile(days, 90) }
    }
}

/// One ISO week of the period. The first and last may be cut by the period (`days` < 7): their
/// counts are of the days inside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekStats {
    /// `2025-W10`.
    pub week: String,
    /// Its Monday, which may be before the period starts.
    pub monday: NaiveDate,
    /// Days of the week inside the period, 1 to 7.
    pub days: i64,
    pub received: i64,
    pub turnaround: Turnaround,
    pub invoiced_cents: i64,
    pub collected_cents: i64,
}

impl WeekStats {
    pub fn released(&self) -> i64 {
        self.turnaround.released
    }
}

/// The fees of the period, in cents. Invoiced is what was billed less the invoices voided (a void
/// says the invoice should never have been); collected is what was paid less what was refunded.
/// Written off is shown apart: billed, not void, and not to be collected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeTotals {
    pub billed_cents: i64,
    pub voided_cents: i64,
    pub invoiced_cents: i64,
    pub paid_cents: i64,
    pub refunded_cents: i64,
    pub collected_cents: i64,
    pub written_off_cents: i64,
}

/// A reason requests stand pended for, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendedReason {
    pub reason: String,
    pub count: i64,
}

/// The Director's figures for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoiStats {
    pub period: Period,
    /// The day overdue was judged on ([`Period::as_of`]).
    pub as_of: NaiveDate,
    pub weeks: Vec<WeekStats>,
    pub received: i64,
    pub turnaround: Turnaround,
    /// Open on the as-of day.
    pub open: i64,
    /// Open on the as-of day with a due date before it.
    pub overdue: i64,
    /// Most first; the reason's words as the clerk gave them.
    pub pended: Vec<PendedReason>,
    pub fees: FeeTotals,
}

impl RoiStats {
    pub fn released(&self) -> i64 {
        self.turnaround.released
    }

    pub fn pended_total(&self) -> i64 {
        self.pended.iter().map(|p| p.count).sum()
    }
}

/// What a pended request with no reason given is counted under.
pub const NO_REASON: &str = "(no reason given)";

/// The figures of `period` from what the store counted, overdue judged on `period.as_of(today)`.
/// Rows outside the period (a store's rounding, a day the period does not hold) are not counted.
pub fn roi_stats(period: Period, today: NaiveDate, facts: &StatsFacts) -> RoiStats {
    let as_of = period.as_of(today);
    let mut weeks: BTreeMap<NaiveDate, WeekStats> = BTreeMap::new();
    let mut monday = week_start(period.from);
    while monday <= period.to {
        let first = monday.max(period.from);
        let last = (monday + Duration::days(6)).min(period.to);
        let iso = monday.iso_week();
        weeks.insert(
            monday,
            WeekStats {
                week: format!("{}-W{:02}", iso.year(), iso.week()),
                monday,
                days: (last - first).num_days() + 1,
                received: 0,
                turnaround: Turnaround::default(),
                invoiced_cents: 0,
                collected_cents: 0,
            },
        );
        monday += Duration::weeks(1);
    }
    fn week_of(weeks: &mut BTreeMap<NaiveDate, WeekStats>, period: Period, day: NaiveDate) -> Option<&mut WeekStats> {
        if period.contains(day) { weeks.get_mut(&week_start(day)) } else { None }
    }

    let mut received = 0;
    for (day, count) in &facts.received {
        if let Some(week) = week_of(&mut weeks, period, *day) {
            week.received += count;
            received += count;
        }
    }

    let mut all_days: BTreeMap<i64, i64> = BTreeMap::new();
    let mut week_days: BTreeMap<NaiveDate, BTreeMap<i64, i64>> = BTreeMap::new();
    for (received_on, released_on, count) in &facts.released {
        if !period.contains(*released_on) || *count <= 0 {
            continue;
        }
        // A release dated before its receipt is a keying slip the desk refuses; counted as same-day
        // rather than as a negative turnaround that would pull the median below zero.
        let days = (*released_on - *received_on).num_days().max(0);
        *all_days.entry(days).or_default() += count;
        *week_days.entry(week_start(*released_on)).or_default().entry(days).or_default() += count;
    }
    for (monday, days) in &week_days {
        if let Some(week) = weeks.get_mut(monday) {
            week.turnaround = Turnaround::of(days);
        }
    }

    let mut fees = FeeTotals::default();
    for (day, cents) in &facts.invoiced {
        if let Some(week) = week_of(&mut weeks, period, *day) {
            week.invoiced_cents += cents;
            fees.billed_cents += cents;
        }
    }
    for (day, cents) in &facts.paid {
        if let Some(week) = week_of(&mut weeks, period, *day) {
            week.collected_cents += cents;
            fees.paid_cents += cents;
        }
    }
    for (day, kind, cents) in &facts.adjusted {
        let Some(week) = week_of(&mut weeks, period, *day) else { continue };
        match kind {
            AdjustmentKind::Void => {
                week.invoiced_cents -= cents;
                fees.voided_cents += cents;
            }
            AdjustmentKind::Refund => {
                week.collected_cents -= cents;
                fees.refunded_cents += cents;
            }
            AdjustmentKind::WriteOff => fees.written_off_cents += cents,
        }
    }
    fees.invoiced_cents = fees.billed_cents - fees.voided_cents;
    fees.collected_cents = fees.paid_cents - fees.refunded_cents;

    let open: i64 = facts.open_by_due.iter().map(|(_, count)| count).sum();
    let overdue = facts.open_by_due.iter().filter(|(due, _)| due.is_some_and(|d| d < as_of)).map(|(_, c)| c).sum();

    let mut pended: BTreeMap<String, i64> = BTreeMap::new();
    for (reason, count) in &facts.pended {
        let reason = if reason.trim().is_empty() { NO_REASON.to_string() } else { reason.trim().to_string() };
        *pended.entry(reason).or_default() += count;
    }
    let mut pended: Vec<PendedReason> =
        pended.into_iter().filter(|(_, c)| *c > 0).map(|(reason, count)| PendedReason { reason, count }).collect();
    pended.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));

    RoiStats {
        period,
        as_of,
        weeks: weeks.into_values().collect(),
        received,
        turnaround: Turnaround::of(&all_days),
        open,
        overdue,
        pended,
        fees,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn counts(values: &[i64]) -> BTreeMap<i64, i64> {
        let mut out = BTreeMap::new();
        for v in values {
            *out.entry(*v).or_default() += 1;
        }
        out
    }

    #[test]
    fn the_percentile_of_nothing_is_none() {
        assert_eq!(percentile(&BTreeMap::new(), 50), None);
        assert_eq!(percentile(&BTreeMap::from([(3, 0)]), 90), None);
        assert_eq!(Turnaround::of(&BTreeMap::new()), Turnaround { released: 0, median_days: None, p90_days: None });
    }

    #[test]
    fn one_value_is_every_percentile() {
        for p in [1, 50, 90, 100] {
            assert_eq!(percentile(&counts(&[12]), p), Some(12), "p{p}");
        }
    }

    #[test]
    fn an_odd_count_has_its_middle_for_median() {
        // 2 4 9: rank ⌈1.5⌉ = 2 → 4; p90 rank ⌈2.7⌉ = 3 → 9.
        let t = Turnaround::of(&counts(&[9, 2, 4]));
        assert_eq!((t.released, t.median_days, t.p90_days), (3, Some(4), Some(9)));
        // 1..=9 and 30: p90 rank ⌈9⌉ = 9 → 9, not the outlier; p100 is it.
        let ten = counts(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 30]);
        assert_eq!(percentile(&ten, 90), Some(9));
        assert_eq!(percentile(&ten, 100), Some(30));
        assert_eq!(percentile(&ten, 91), Some(30));
    }

    #[test]
    fn an_even_count_has_the_lower_middle_for_median() {
        // 1 2 3 4: rank ⌈2⌉ = 2 → 2 (a day some request took, never 2.5); p90 rank ⌈3.6⌉ = 4 → 4.
        let t = Turnaround::of(&counts(&[4, 3, 2, 1]));
        assert_eq!((t.median_days, t.p90_days), (Some(2), Some(4)));
        // Repeats count each: 5 5 5 20 → median 5, p90 20.
        let t = Turnaround::of(&counts(&[5, 20, 5, 5]));
        assert_eq!((t.released, t.median_days, t.p90_days), (4, Some(5), Some(20)));
    }

    proptest! {
        #[test]
        fn the_percentile_is_the_nearest_rank_of_the_sorted_values(
            mut values in proptest::collection::vec(0i64..400, 1..200),
            p in 1u32..=100,
        ) {
            let got = percentile(&counts(&values), p).unwrap();
            values.sort_unstable();
            let n = values.len();
            let rank = (p as usize * n).div_ceil(100).max(1);
            prop_assert_eq!(got, values[rank - 1]);
            // What nearest rank promises: at least p% at or below it, fewer than p% below.
            let at_or_below = values.iter().filter(|v| **v <= got).count();
            let below = values.iter().filter(|v| **v < got).count();
            prop_assert!(at_or_below * 100 >= p as usize * n);
            prop_assert!(below * 100 < p as usize * n);
        }

        #[test]
        fn the_median_is_never_above_the_p90(values in proptest::collection::vec(0i64..400, 1..200)) {
            let t = Turnaround::of(&counts(&values));
            prop_assert!(t.median_days <= t.p90_days);
            prop_assert_eq!(t.released, values.len() as i64);
        }

        #[test]
        fn every_request_in_the_period_is_in_one_week(
            received in proptest::collection::vec((0i64..120, 1i64..5), 0..60),
            start in 0i64..400,
            len in 1i64..100,
        ) {
            let base = d(2024, 1, 1);
            let period = Period::new(base + Duration::days(start), base + Duration::days(start + len - 1)).unwrap();
            let facts = StatsFacts {
                received: received.iter().map(|(day, c)| (base + Duration::days(start + day - 10), *c)).collect(),
                ..StatsFacts::default()
            };
            let stats = roi_stats(period, d(2030, 1, 1), &facts);
            let inside: i64 = facts.received.iter().filter(|(day, _)| period.contains(*day)).map(|(_, c)| c).sum();
            prop_assert_eq!(stats.received, inside);
            prop_assert_eq!(stats.weeks.iter().map(|w| w.received).sum::<i64>(), inside);
            prop_assert_eq!(stats.weeks.iter().map(|w| w.days).sum::<i64>(), period.days());
            prop_assert!(stats.weeks.iter().all(|w| w.monday.weekday() == chrono::Weekday::Mon && (1..=7).contains(&w.days)));
        }
    }

    #[test]
    fn a_period_is_refused_backwards_or_too_long() {
        assert!(matches!(Period::new(d(2025, 3, 2), d(2025, 3, 1)), Err(PeriodError::Backwards { .. })));
        assert_eq!(
            Period::new(d(2025, 3, 2), d(2025, 3, 1)).unwrap_err().to_string(),
            "the period ends (03/01/2025) before it starts (03/02/2025)"
        );
        assert!(matches!(Period::new(d(2015, 1, 1), d(2025, 1, 1)), Err(PeriodError::TooLong { .. })));
        assert_eq!(Period::new(d(2025, 3, 1), d(2025, 3, 1)).unwrap().days(), 1);
    }

    #[test]
    fn the_presets_are_whole_weeks_to_today() {
        let today = d(2025, 3, 5); // a Wednesday
        let four = PeriodPreset::FourWeeks.period(today);
        assert_eq!((four.from, four.to), (d(2025, 2, 10), today));
        assert_eq!(PeriodPreset::Year.period(today).from, d(2024, 3, 11));
        let stats = roi_stats(PeriodPreset::Quarter.period(today), today, &StatsFacts::default());
        assert_eq!(stats.weeks.len(), 13);
        assert_eq!(stats.weeks.last().map(|w| w.days), Some(3));
        assert!(stats.weeks[..12].iter().all(|w| w.days == 7));
    }

    /// The scenario the conformance suite and the CLI test count too: a week of a small desk.
    fn week_of_march() -> StatsFacts {
        StatsFacts {
            received: vec![(d(2025, 2, 28), 4), (d(2025, 3, 3), 2), (d(2025, 3, 5), 1), (d(2025, 3, 10), 3)],
            released: vec![
                (d(2025, 2, 20), d(2025, 3, 3), 1),  // 11 days, week 10
                (d(2025, 3, 3), d(2025, 3, 4), 2),   // 1 day ×2, week 10
                (d(2025, 2, 1), d(2025, 3, 11), 1),  // 38 days, week 11
                (d(2025, 2, 27), d(2025, 2, 28), 5), // before the period: not counted
            ],
            open_by_due: vec![
                (Some(d(2025, 3, 1)), 2),
                (Some(d(2025, 3, 11)), 1),
                (Some(d(2025, 3, 12)), 4),
                (None, 3),
            ],
            pended: vec![("Deficient authorization".into(), 2), ("".into(), 1), ("Awaiting ID".into(), 2)],
            invoiced: vec![(d(2025, 3, 4), 9_200), (d(2025, 3, 11), 2_750)],
            paid: vec![(d(2025, 3, 4), 4_600), (d(2025, 3, 12), 2_750), (d(2025, 3, 20), 100)],
            adjusted: vec![
                (d(2025, 3, 11), AdjustmentKind::Void, 2_750),
                (d(2025, 3, 12), AdjustmentKind::Refund, 50),
                (d(2025, 3, 12), AdjustmentKind::WriteOff, 4_600),
            ],
        }
    }

    #[test]
    fn two_weeks_of_a_small_desk() {
        let period = Period::new(d(2025, 3, 1), d(2025, 3, 14)).unwrap();
        let stats = roi_stats(period, d(2025, 3, 12), &week_of_march());
        assert_eq!(stats.as_of, d(2025, 3, 12), "today, the period reaching past it");
        let weeks: Vec<(&str, i64, i64, i64)> =
            stats.weeks.iter().map(|w| (w.week.as_str(), w.days, w.received, w.released())).collect();
        assert_eq!(weeks, vec![("2025-W09", 2, 0, 0), ("2025-W10", 7, 3, 3), ("2025-W11", 5, 3, 1)]);
        assert_eq!((stats.received, stats.released()), (6, 4));
        // 1 1 11 38: median rank 2 → 1; p90 rank ⌈3.6⌉ = 4 → 38.
        assert_eq!((stats.turnaround.median_days, stats.turnaround.p90_days), (Some(1), Some(38)));
        assert_eq!((stats.weeks[1].turnaround.median_days, stats.weeks[1].turnaround.p90_days), (Some(1), Some(11)));
        // Due 03/01 and 03/11 are before 03/12; due 03/12 is not yet late; undated never.
        assert_eq!((stats.open, stats.overdue), (10, 3));
        assert_eq!(
            stats.pended,
            vec![
                PendedReason { reason: "Awaiting ID".into(), count: 2 },
                PendedReason { reason: "Deficient authorization".into(), count: 2 },
                PendedReason { reason: NO_REASON.into(), count: 1 },
            ]
        );
        assert_eq!(
            stats.fees,
            FeeTotals {
                billed_cents: 11_950,
                voided_cents: 2_750,
                invoiced_cents: 9_200,
                paid_cents: 7_350,
                refunded_cents: 50,
                collected_cents: 7_300,
                written_off_cents: 4_600,
            }
        );
        assert_eq!((stats.weeks[1].invoiced_cents, stats.weeks[1].collected_cents), (9_200, 4_600));
        assert_eq!((stats.weeks[2].invoiced_cents, stats.weeks[2].collected_cents), (0, 2_700));
    }

    #[test]
    fn overdue_is_judged_on_the_periods_end_when_it_is_past() {
        let period = Period::new(d(2025, 3, 1), d(2025, 3, 10)).unwrap();
        let stats = roi_stats(period, d(2025, 6, 1), &week_of_march());
        assert_eq!(stats.as_of, d(2025, 3, 10));
        assert_eq!(stats.overdue, 2, "only the one due 03/01 (two requests) was late on 03/10");
    }

    #[test]
    fn an_empty_period_has_no_turnaround_and_no_fees() {
        let period = Period::new(d(2025, 1, 6), d(2025, 1, 12)).unwrap();
        let stats = roi_stats(period, d(2025, 1, 12), &StatsFacts::default());
        assert_eq!(stats.weeks.len(), 1);
        assert_eq!((stats.received, stats.released(), stats.open, stats.overdue), (0, 0, 0, 0));
        assert_eq!(stats.turnaround.median_days, None);
        assert_eq!(stats.fees, FeeTotals::default());
        assert!(stats.pended.is_empty());
    }
}
