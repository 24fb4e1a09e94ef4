//! Checks on the command line's arguments, made by clap before anything opens the store, so a bad
//! value is one clear line and exit status 2, never a panic or an empty answer.

use crate::domain::dates::parse_full_date;
use chrono::NaiveDate;

/// Every date a user types on the command line: range-checked before any arithmetic, since
/// `--date=+262142-12-31` once overflowed chrono in the rate and the nightly run.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    parse_full_date(text).map_err(|problem| problem.to_string())
}

/// `--limit` on every command that takes one means the same: how many rows to show, at least one.
/// 0 is refused rather than read as "one" or "all", which it once meant on different commands.
pub fn limit<const MAX: usize>(text: &str) -> Result<usize, String> {
    let range = format!("--limit is how many rows to show, 1 to {MAX}");
    match text.trim().parse::<usize>() {
        Ok(0) => Err(format!("{range}; 0 would show nothing")),
        Ok(n) if n <= MAX => Ok(n),
        _ => Err(format!("{range}, not {text:?}")),
    }
}

/// `--offset` on every command that takes one: how many rows to skip, 0 up to the largest count a
/// store can hold (i64::MAX). A larger number once wrapped to a negative one, which the store read
/// as 0, and the first page came back under a later page's name.
pub fn offset(text: &str) -> Result<usize, String> {
    let refuse = || format!("--offset is how many rows to skip, 0 to {}, not {text:?}", i64::MAX);
    let n = text.trim().parse::<u64>().map_err(|_| refuse())?;
    if i64::try_from(n).is_err() {
        return Err(refuse());
    }
    usize::try_from(n).map_err(|_| refuse())
}

/// `demo --patients`: at least one, at most the demo's limit. 0 once ran and made a "demo" of the
/// fixtures alone.
pub fn demo_patients(text: &str) -> Result<usize, String> {
    let max = crate::demo::MAX_PATIENTS;
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("--patients is how many patients the demo makes, 1 to {max}, not {text:?}")),
    }
}

/// What `search` looks for: never empty, which would search for nothing in particular.
pub fn search_text(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err("type what to look for: an MRN (100234), a name (SMITH,JOHN), S4821, the last four of an SSN, \
                    a birth date (04/12/1961) or an account number (A25-000781)"
            .into());
    }
    Ok(text.to_string())
}
