//! Dates the way clerks type them, and the birth-date mistakes they make.

use chrono::{Datelike, NaiveDate};

/// A birth date typed at the Find prompt: `MM/DD/YYYY`, `M/D/YY` or `YYYY-MM-DD`.
///
/// A two-digit year is the latest year ending in those digits that is not after `today` —
/// `4/12/61` typed in 2026 is 1961, and `1/2/26` is 2026 — because a birth date is never in the future.
pub fn parse_typed_date(raw: &str, today: NaiveDate) -> Option<NaiveDate> {
    let raw = raw.trim();
    if let Some((y, rest)) = raw.split_once('-') {
        let (m, d) = rest.split_once('-')?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
            return None;
        }
        return NaiveDate::from_ymd_opt(digits(y)?, digits(m)?, digits(d)?);
    }
    let mut parts = raw.split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || m.is_empty() || m.len() > 2 || d.is_empty() || d.len() > 2 {
        return None;
    }
    let (month, day) = (digits(m)?, digits(d)?);
    let year = match y.len() {
        4 => digits::<i32>(y)?,
        2 => {
            let yy = digits::<i32>(y)?;
            let century = today.year() - today.year().rem_euclid(100);
            let candidate = century + yy;
            // The latest year with those digits whose date is not after today.
            match NaiveDate::from_ymd_opt(candidate, month, day) {
                Some(date) if date <= today => candidate,
                Some(_) => candidate - 100,
                None => return None,
            }
        }
        _ => return None,
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.bytes().all(|b| b.is_ascii_digit()) { s.parse().ok() } else { None }
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
    }
}
