//! Business days for the release-of-information clocks: weekends and the US federal holidays
//! (5 U.S.C. 6103) on the dates they are observed. A state clock "in 15 business days" (TX 22 TAC
//! 165.2, TX HSC 181.102) skips them; a calendar-day clock does not.
//!
//! Observed dates follow the federal rule: a holiday on a Saturday is observed the Friday before,
//! one on a Sunday the Monday after — so New Year's Day 2022 (a Saturday) was observed on Friday
//! 2021-12-31, a day of the year before. Juneteenth counts from 2021 and Martin Luther King Jr. Day
//! from 1986, the years they became federal holidays; the others are taken as they stand today.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// The federal holiday observed on `date`, by name; `None` on an ordinary day (and on a
/// Saturday or Sunday, when no holiday is ever observed).
pub fn federal_holiday(date: NaiveDate) -> Option<&'static str> {
    let weekday = date.weekday();
    if matches!(weekday, Weekday::Sat | Weekday::Sun) {
        return None;
    }
    if let Some(name) = fixed_holiday(date) {
        return Some(name);
    }
    // A Saturday holiday is observed on the Friday before; a Sunday one on the Monday after.
    let shifted = match weekday {
        Weekday::Fri => date.succ_opt(),
        Weekday::Mon => date.pred_opt(),
        _ => None,
    };
    if let Some(name) = shifted.and_then(fixed_holiday) {
        return Some(name);
    }
    floating_holiday(date)
}

/// The holidays fixed to a day of the year, on that day (before any weekend shift).
fn fixed_holiday(date: NaiveDate) -> Option<&'static str> {
    match (date.month(), date.day()) {
        (1, 1) => Some("New Year's Day"),
        (6, 19) if date.year() >= 2021 => Some("Juneteenth National Independence Day"),
        (7, 4) => Some("Independence Day"),
        (11, 11) => Some("Veterans Day"),
        (12, 25) => Some("Christmas Day"),
        _ => None,
    }
}

/// The holidays set as "the nth (or last) weekday of a month"; they never fall on a weekend.
fn floating_holiday(date: NaiveDate) -> Option<&'static str> {
    let nth = (date.day() - 1) / 7 + 1;
    let last = date.checked_add_days(Days::new(7)).is_none_or(|week_on| week_on.month() != date.month());
    match (date.month(), date.weekday()) {
        (1, Weekday::Mon) if nth == 3 && date.year() >= 1986 => Some("Birthday of Martin Luther King, Jr."),
        (2, Weekday::Mon) if nth == 3 => Some("Washington's Birthday"),
        (5, Weekday::Mon) if last => Some("Memorial Day"),
        (9, Weekday::Mon) if nth == 1 => Some("Labor Day"),
        (10, Weekday::Mon) if nth == 2 => Some("Columbus Day"),
        (11, Weekday::Thu) if nth == 4 => Some("Thanksgiving Day"),
        _ => None,
    }
}

/// Whether `date` counts toward a business-day clock: Monday to Friday, and no federal holiday
/// observed on it.
pub fn is_business_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && federal_holiday(date).is_none()
}

/// The `n`th business day after `from`: day 1 is the first business day after `from`, whatever
/// `from` itself is (a request received on a Saturday or a holiday starts counting on the next
/// business day, as one received on a Monday does on the Tuesday). `n = 0` is `from` itself.
pub fn add_business_days(from: NaiveDate, n: u32) -> NaiveDate {
    let mut date = from;
    let mut counted = 0;
    while counted < n {
        // Chrono's last date is far past any date the desk accepts (dates::LATEST); stopping
        // there keeps this total rather than looping.
        let Some(next) = date.succ_opt() else { return date };
        date = next;
        if is_business_day(date) {
            counted += 1;
        }
    }
    date
}

/// `n` calendar days after `from` (day 1 is the day after).
pub fn add_calendar_days(from: NaiveDate, n: u32) -> NaiveDate {
    from.checked_add_days(Days::new(u64::from(n))).unwrap_or(NaiveDate::MAX)
}

/// Every federal holiday observed in `year`, in date order, by name. A New Year's Day that falls on
/// a Saturday belongs to the year before, where it is observed.
pub fn federal_holidays(year: i32) -> Vec<(NaiveDate, &'static str)> {
    let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else { return Vec::new() };
    first
        .iter_days()
        .take_while(|date| date.year() == year)
        .filter_map(|date| federal_holiday(date).map(|name| (date, name)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_eleven_holidays_of_2025_on_their_observed_dates() {
        let dates: Vec<NaiveDate> = federal_holidays(2025).into_iter().map(|(date, _)| date).collect();
        assert_eq!(
            dates,
            vec![
                d(2025, 1, 1),
                d(2025, 1, 20),
                d(2025, 2, 17),
                d(2025, 5, 26),
                d(2025, 6, 19),
                d(2025, 7, 4),
                d(2025, 9, 1),
                d(2025, 10, 13),
                d(2025, 11, 11),
                d(2025, 11, 27),
                d(2025, 12, 25),
            ]
        );
        assert_eq!(federal_holiday(d(2025, 11, 27)), Some("Thanksgiving Day"));
        assert_eq!(federal_holiday(d(2025, 5, 26)), Some("Memorial Day"));
    }

    #[test]
    fn a_weekend_holiday_is_observed_on_the_nearest_weekday() {
        // Independence Day 2026 is a Saturday: observed Friday the 3rd.
        assert_eq!(federal_holiday(d(2026, 7, 3)), Some("Independence Day"));
        assert_eq!(federal_holiday(d(2026, 7, 4)), None);
        assert!(!is_business_day(d(2026, 7, 3)));
        // New Year's Day 2023 is a Sunday: observed Monday the 2nd.
        assert_eq!(federal_holiday(d(2023, 1, 2)), Some("New Year's Day"));
        // Veterans Day 2023 is a Saturday: observed Friday the 10th.
        assert_eq!(federal_holiday(d(2023, 11, 10)), Some("Veterans Day"));
        // Juneteenth 2022 is a Sunday: observed Monday the 20th.
        assert_eq!(federal_holiday(d(2022, 6, 20)), Some("Juneteenth National Independence Day"));
        // Christmas 2022 is a Sunday: observed Monday the 26th.
        assert_eq!(federal_holiday(d(2022, 12, 26)), Some("Christmas Day"));
        // The first Juneteenth, 2021, was a Saturday: observed Friday the 18th.
        assert_eq!(federal_holiday(d(2021, 6, 18)), Some("Juneteenth National Independence Day"));
    }

    #[test]
    fn a_saturday_new_year_is_observed_in_the_year_before() {
        // 2022-01-01 and 2028-01-01 are Saturdays.
        assert_eq!(federal_holiday(d(2021, 12, 31)), Some("New Year's Day"));
        assert_eq!(federal_holiday(d(2027, 12, 31)), Some("New Year's Day"));
        assert!(!federal_holidays(2022).iter().any(|(_, name)| *name == "New Year's Day"));
        assert_eq!(federal_holidays(2021).len(), 12);
        assert_eq!(federal_holidays(2022).len(), 10);
        // 2027: Christmas on a Saturday is observed the 24th, and New Year 2028 the 31st.
        assert_eq!(federal_holiday(d(2027, 12, 24)), Some("Christmas Day"));
    }

    #[test]
    fn holidays_begin_in_the_year_the_law_made_them() {
        assert_eq!(federal_holiday(d(2020, 6, 19)), None);
        assert_eq!(federal_holiday(d(1985, 1, 21)), None);
        assert_eq!(federal_holiday(d(1986, 1, 20)), Some("Birthday of Martin Luther King, Jr."));
        assert_eq!(federal_holidays(2020).len(), 10);
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // AS-14: received Monday 2025-03-03, 15 business days → Monday 2025-03-24.
        assert_eq!(add_business_days(d(2025, 3, 3), 15), d(2025, 3, 24));
        // Day 1 is the next business day: from a Friday, the Monday.
        assert_eq!(add_business_days(d(2025, 3, 7), 1), d(2025, 3, 10));
        // From a Saturday, too.
        assert_eq!(add_business_days(d(2025, 3, 8), 1), d(2025, 3, 10));
        // Across Thanksgiving 2025 (Thursday 11-27): Wednesday + 1 is Friday.
        assert_eq!(add_business_days(d(2025, 11, 26), 1), d(2025, 11, 28));
        // Across Veterans Day and Thanksgiving: from Friday 2025-11-07, 15 business days skip
        // 11-11 and 11-27 and land on Tuesday 2025-12-02, not Friday 11-28.
        assert_eq!(add_business_days(d(2025, 11, 7), 15), d(2025, 12, 2));
        // Across the observed Saturday Independence Day of 2026 (Friday 07-03).
        assert_eq!(add_business_days(d(2026, 7, 2), 1), d(2026, 7, 6));
        assert_eq!(add_business_days(d(2025, 3, 3), 0), d(2025, 3, 3));
    }

    #[test]
    fn calendar_days_count_every_day() {
        assert_eq!(add_calendar_days(d(2025, 3, 3), 30), d(2025, 4, 2));
        assert_eq!(add_calendar_days(d(2025, 3, 3), 15), d(2025, 3, 18));
        assert_eq!(add_calendar_days(d(2024, 2, 20), 10), d(2024, 3, 1));
        assert_eq!(add_calendar_days(NaiveDate::MAX, 1), NaiveDate::MAX);
    }

    fn date() -> impl Strategy<Value = NaiveDate> {
        (0i64..80 * 366).prop_map(|offset| d(1990, 1, 1) + chrono::Duration::days(offset))
    }

    proptest! {
        #[test]
        fn every_observed_holiday_is_a_weekday_and_a_year_keeps_eleven(year in 2021i32..2150) {
            let holidays = federal_holidays(year);
            for (date, _) in &holidays {
                prop_assert!(!matches!(date.weekday(), Weekday::Sat | Weekday::Sun));
            }
            // Eleven, less a New Year observed the year before, plus the next one observed on 12-31.
            let lost = d(year, 1, 1).weekday() == Weekday::Sat;
            let gained = d(year + 1, 1, 1).weekday() == Weekday::Sat;
            prop_assert_eq!(holidays.len(), 11 - usize::from(lost) + usize::from(gained));
        }

        #[test]
        fn the_nth_business_day_is_one_and_exactly_n_lie_between(from in date(), n in 0u32..60) {
            let due = add_business_days(from, n);
            let between = from.iter_days().skip(1).take_while(|day| *day <= due).filter(|day| is_business_day(*day)).count();
            prop_assert_eq!(between, n as usize);
            if n > 0 {
                prop_assert!(is_business_day(due));
                prop_assert!(add_business_days(from, n + 1) > due);
                // Business days never come sooner than calendar days.
                prop_assert!(due >= add_calendar_days(from, n));
            }
        }
    }
}
