//! Dates the way clerks type them, and the birth-date mistakes they make.

use chrono::{Datelike, NaiveDate};

/// The first day the desk accepts anywhere a date is typed.
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(date) => date,
    None => panic!("1900-01-01 is a date"),
};

/// The last day the desk accepts. Far enough for any policy date, near enough that adding a few
/// centuries of days to it can never overflow chrono's range (which `+262142-12-31` once did).
pub const LATEST: NaiveDate = match NaiveDate::from_ymd_opt(2200, 12, 31) {
    Some(date) => date,
    None => panic!("2200-12-31 is a date"),
};

/// Why typed text is not a date the desk can use, in the words a clerk reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateProblem {
    #[error("{0}: not a date (MM/DD/YYYY or YYYY-MM-DD)")]
    Shape(String),
    #[error("{text}: there is no month {month}")]
    NoMonth { text: String, month: u32 },
    #[error("{text}: {month} {year} has no day {day}")]
    NoDay { text: String, month: &'static str, year: i32, day: u32 },
    #[error("{0}: dates run from 01/01/1900 to 12/31/2200")]
    OutOfRange(String),
    #[error("{0}: write the year in full (MM/DD/YYYY or YYYY-MM-DD)")]
    ShortYear(String),
}

/// A date typed anywhere in chartroom: `MM/DD/YYYY`, `M/D/YY` or `YYYY-MM-DD`, between
/// [`EARLIEST`] and [`LATEST`].
///
/// A two-digit year is the latest year ending in those digits that is not after `today` —
/// `4/12/61` typed in 2026 is 1961, and `1/2/26` is 2026 — because a birth date is never in the future.
pub fn parse_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, DateProblem> {
    parse(raw, Some(today))
}

/// A date where no "today" settles a two-digit year (the command line): the year is written in full.
pub fn parse_full_date(raw: &str) -> Result<NaiveDate, DateProblem> {
    parse(raw, None)
}

/// [`parse_date`], for callers that only need to know whether it is one.
pub fn parse_typed_date(raw: &str, today: NaiveDate) -> Option<NaiveDate> {
    parse_date(raw, today).ok()
}

/// Whether a word is written like a date (`12/3x/1961`, `2025-13-01`), so that one that fails to
/// parse is reported as a bad date rather than read as something else.
pub fn looks_like_date(word: &str) -> bool {
    let word = word.trim();
    if !word.starts_with(|c: char| c.is_ascii_digit() || c == '+') {
        return false;
    }
    if word.contains('/') {
        return true;
    }
    // `2025-01-02`, `+262142-12-31`; but `123-45-6789` is an SSN's shape, not a date's.
    match word.split_once('-') {
        Some((year, _)) => {
            let digits = year.strip_prefix('+').unwrap_or(year);
            let year_like = digits.len() == 4 || (digits.len() > 4 && word.matches('-').count() == 2);
            year_like && digits.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

fn parse(raw: &str, today: Option<NaiveDate>) -> Result<NaiveDate, DateProblem> {
    let text = raw.trim();
    let shown = || crate::domain::text::clean(text).chars().take(24).collect::<String>();
    let shape = || DateProblem::Shape(shown());
    let small = |s: &str| -> Option<u32> { (!s.is_empty() && s.len() <= 2).then(|| digits(s)).flatten() };
    let (month, day, year) = if let Some((y, rest)) = text.split_once('-') {
        let (m, d) = rest.split_once('-').ok_or_else(shape)?;
        let unsigned = y.strip_prefix('+').unwrap_or(y);
        let (Some(month), Some(day)) = (small(m), small(d)) else { return Err(shape()) };
        if unsigned.len() > 4 && unsigned.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DateProblem::OutOfRange(shown()));
        }
        if y.len() != 4 {
            return Err(shape());
        }
        (month, day, digits::<i32>(y).ok_or_else(shape)?)
    } else {
        let mut parts = text.split('/');
        let (Some(m), Some(d), Some(y), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(shape());
        };
        let (Some(month), Some(day)) = (small(m), small(d)) else { return Err(shape()) };
        let year = match (y.len(), today) {
            (4, _) => digits::<i32>(y).ok_or_else(shape)?,
            (2, Some(today)) => {
                let yy = digits::<i32>(y).ok_or_else(shape)?;
                let century = today.year() - today.year().rem_euclid(100);
                let candidate = century + yy;
                // The latest year with those digits whose date is not after today.
                match NaiveDate::from_ymd_opt(candidate, month, day) {
                    Some(date) if date > today => candidate - 100,
                    _ => candidate,
                }
            }
            (2, None) => return Err(DateProblem::ShortYear(shown())),
            (n, _) if n > 4 && y.bytes().all(|b| b.is_ascii_digit()) => return Err(DateProblem::OutOfRange(shown())),
            _ => return Err(shape()),
        };
        (month, day, year)
    };
    if !(EARLIEST.year()..=LATEST.year()).contains(&year) {
        return Err(DateProblem::OutOfRange(shown()));
    }
    let Some(month_name) = chrono::Month::try_from(u8::try_from(month).unwrap_or(0)).ok().map(|m| m.name()) else {
        return Err(DateProblem::NoMonth { text: shown(), month });
    };
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateProblem::NoDay { text: shown(), month: month_name, year, day })
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { s.parse().ok() } else { None }
}

/// Valid dates one keying slip away from `date`: day and month swapped (`04/12` ↔ `12/04`), or two
/// adjacent digits of `MMDDYYYY` transposed (`04/12` ↔ `04/21`). Never `date` itself; no duplicates.
pub fn one_swap_variants(date: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut push = |candidate: Option<NaiveDate>| {
        if let Some(c) = candidate
            && c != date
            && !out.contains(&c)
        {
            out.push(c);
        }
    };
    push(NaiveDate::from_ymd_opt(date.year(), date.day(), date.month()));
    let typed: Vec<u8> = format!("{:02}{:02}{:04}", date.month(), date.day(), date.year()).into_bytes();
    for i in 0..typed.len() - 1 {
        if typed[i] == typed[i + 1] {
            continue;
        }
        let mut swapped = typed.clone();
        swapped.swap(i, i + 1);
        let text = String::from_utf8_lossy(&swapped).to_string();
        let parsed = (|| {
            let m: u32 = text[0..2].parse().ok()?;
            let d: u32 = text[2..4].parse().ok()?;
            let y: i32 = text[4..8].parse().ok()?;
            NaiveDate::from_ymd_opt(y, m, d)
        })();
        push(parsed);
    }
    out
}

/// Whole years from `born` to `on`.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - born.year();
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years.max(0)
}

/// `MM/DD/YYYY`, as US clerks read dates.
pub fn us_date(date: NaiveDate) -> String {
    date.format("%m/%d/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn typed_formats() {
        let today = d(2026, 11, 26);
        assert_eq!(parse_typed_date("04/12/1961", today), Some(d(1961, 4, 12)));
        assert_eq!(parse_typed_date("4/12/61", today), Some(d(1961, 4, 12)));
        assert_eq!(parse_typed_date("1961-04-12", today), Some(d(1961, 4, 12)));
        assert_eq!(parse_typed_date("1/2/26", today), Some(d(2026, 1, 2)));
        assert_eq!(parse_typed_date("12/25/26", today), Some(d(1926, 12, 25)));
        assert_eq!(parse_typed_date("11/26/26", today), Some(d(2026, 11, 26)));
        assert_eq!(parse_typed_date("13/01/1990", today), None);
        assert_eq!(parse_typed_date("02/30/1990", today), None);
        assert_eq!(parse_typed_date("smith", today), None);
        assert_eq!(parse_typed_date("1990-1-2", today), Some(d(1990, 1, 2)));
        assert_eq!(parse_typed_date("4/12/961", today), None);
    }

    #[test]
    fn every_typed_date_is_range_checked_before_any_arithmetic() {
        let today = d(2026, 11, 26);
        let problem = |raw: &str| parse_date(raw, today).unwrap_err().to_string();
        assert_eq!(problem("+262142-12-31"), "+262142-12-31: dates run from 01/01/1900 to 12/31/2200");
        assert_eq!(problem("2201-01-01"), "2201-01-01: dates run from 01/01/1900 to 12/31/2200");
        assert_eq!(problem("12/31/1899"), "12/31/1899: dates run from 01/01/1900 to 12/31/2200");
        assert_eq!(problem("01/01/99999"), "01/01/99999: dates run from 01/01/1900 to 12/31/2200");
        assert_eq!(parse_date("1900-01-01", today), Ok(EARLIEST));
        assert_eq!(parse_date("12/31/2200", today), Ok(LATEST));
        // The far end leaves room for any policy's days without overflow.
        assert!(LATEST.checked_add_days(chrono::Days::new(365 * 1000)).is_some());
    }

    #[test]
    fn an_impossible_date_says_what_is_wrong_with_it() {
        let today = d(2026, 11, 26);
        let problem = |raw: &str| parse_date(raw, today).unwrap_err().to_string();
        assert_eq!(problem("13/45/61"), "13/45/61: there is no month 13");
        assert_eq!(problem("02/30/1990"), "02/30/1990: February 1990 has no day 30");
        assert_eq!(problem("2/29/2025"), "2/29/2025: February 2025 has no day 29");
        assert_eq!(problem("12/3x/1961"), "12/3x/1961: not a date (MM/DD/YYYY or YYYY-MM-DD)");
        assert_eq!(problem("2025-00-10"), "2025-00-10: there is no month 0");
        assert_eq!(
            parse_full_date("4/12/61").unwrap_err().to_string(),
            "4/12/61: write the year in full (MM/DD/YYYY or YYYY-MM-DD)"
        );
        assert_eq!(parse_full_date("2025-03-03"), Ok(d(2025, 3, 3)));
        assert_eq!(parse_full_date("03/03/2025"), Ok(d(2025, 3, 3)));
    }

    #[test]
    fn date_shapes_are_told_from_ssns_and_mrns() {
        for word in ["12/3x/1961", "13/45/61", "2025-13-01", "+262142-12-31", "4/12"] {
            assert!(looks_like_date(word), "{word}");
        }
        for word in ["123-45-482", "204511x", "smith", "A25-000781", "S4821"] {
            assert!(!looks_like_date(word), "{word}");
        }
    }

    #[test]
    fn swaps_include_day_month_and_adjacent_digits() {
        let variants = one_swap_variants(d(1961, 4, 12));
        assert!(variants.contains(&d(1961, 12, 4)), "day/month swap");
        assert!(variants.contains(&d(1961, 4, 21)), "12 ↔ 21");
        assert!(!variants.contains(&d(1961, 4, 12)));
        assert!(variants.contains(&d(1916, 4, 12)), "61 ↔ 16");
    }

    #[test]
    fn age() {
        assert_eq!(age_on(d(1988, 9, 30), d(2025, 3, 3)), 36);
        assert_eq!(age_on(d(1988, 9, 30), d(2025, 9, 30)), 37);
    }

    proptest! {
        #[test]
        fn variants_are_distinct_valid_and_symmetric(days in 0i64..60000) {
            let date = d(1900, 1, 1) + chrono::Duration::days(days);
            let variants = one_swap_variants(date);
            for v in &variants {
                prop_assert_ne!(*v, date);
                // A slip in one direction is a slip back in the other.
                prop_assert!(one_swap_variants(*v).contains(&date));
            }
        }

        #[test]
        fn typed_date_parser_never_panics(raw in "\\PC{0,20}") {
            let _ = parse_typed_date(&raw, d(2026, 11, 26));
        }

        #[test]
        fn whatever_parses_is_in_range(raw in "[+]?[0-9]{1,7}[-/][0-9]{1,3}[-/][0-9]{1,7}") {
            if let Ok(date) = parse_date(&raw, d(2026, 11, 26)) {
                prop_assert!((EARLIEST..=LATEST).contains(&date), "{raw} -> {date}");
            }
        }
    }
}
