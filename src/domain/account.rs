//! Account numbers: `A25-000781` — the kind's letter, two digits of the admission year, a dash and
//! the visit's sequence number within that kind and year.
//!
//! Six digits ran out at 999,999 visits of one kind in one year, which a health system of ten
//! million patients passes. The sequence goes on with seven, eight or nine digits (`A25-1000000`):
//! every account ever made stays valid, and the two forms cannot be confused, because a wide number
//! never starts with 0 and a six-digit one always is exactly six.

use crate::domain::chart::EncounterKind;
use chrono::{DateTime, Datelike, Utc};
use std::fmt;

/// The greatest sequence number: nine digits after the dash.
pub const LAST_SEQUENCE: u64 = 999_999_999;

/// The sequence numbers written with six digits, zero-padded (`000781`); above, without padding.
const LAST_SIX_DIGIT: u64 = 999_999;

/// What comes before the sequence: `A25-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountPrefix {
    letter: char,
    year: u8,
}

impl AccountPrefix {
    /// The prefix of a visit of `kind` admitted at `admitted` (the year in UTC, as it always was).
    pub fn of(kind: EncounterKind, admitted: DateTime<Utc>) -> Self {
        Self::new(kind.account_letter(), admitted.year())
    }

    /// The prefix for `letter` (upper-cased) and the last two digits of `year`.
    pub fn new(letter: char, year: i32) -> Self {
        Self { letter: letter.to_ascii_uppercase(), year: year.rem_euclid(100) as u8 }
    }
}

impl fmt::Display for AccountPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{:02}-", self.letter, self.year)
    }
}

/// An account number as a clerk reads and types it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountNumber {
    prefix: AccountPrefix,
    sequence: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error("account numbers {prefix}1 to {prefix}{LAST_SEQUENCE} are all used")]
    UsedUp { prefix: AccountPrefix },
}

impl AccountNumber {
    /// The account `sequence` of `prefix`; 0 is no account, nor is anything past nine digits.
    pub fn new(prefix: AccountPrefix, sequence: u64) -> Option<Self> {
        (1..=LAST_SEQUENCE).contains(&sequence).then_some(Self { prefix, sequence })
    }

    /// The account after `last`, the greatest sequence of `prefix` already used (0 when none is).
    pub fn next_after(prefix: AccountPrefix, last: u64) -> Result<Self, AccountError> {
        last.checked_add(1).and_then(|n| Self::new(prefix, n)).ok_or(AccountError::UsedUp { prefix })
    }

    /// `A25-000781` or `a25-1000000`: a letter, two digits, a dash, then six digits, or seven to
    /// nine that do not start with 0 (the form every account has been written in).
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 10 || !b[0].is_ascii_alphabetic() || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
            return None;
        }
        let digits = &b[4..];
        let well_formed = b[3] == b'-'
            && digits.iter().all(u8::is_ascii_digit)
            && (digits.len() == 6 || ((7..=9).contains(&digits.len()) && digits[0] != b'0'));
        if !well_formed {
            return None;
        }
        let sequence = text[4..].parse().ok()?;
        let year = i32::from(b[1] - b'0') * 10 + i32::from(b[2] - b'0');
        Self::new(AccountPrefix::new(b[0] as char, year), sequence)
    }

    pub fn prefix(&self) -> AccountPrefix {
        self.prefix
    }

    pub fn sequence(&self) -> u64 {
        self.sequence
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sequence <= LAST_SIX_DIGIT {
            write!(f, "{}{:06}", self.prefix, self.sequence)
        } else {
            write!(f, "{}{}", self.prefix, self.sequence)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn prefix() -> AccountPrefix {
        AccountPrefix::new('A', 2025)
    }

    #[test]
    fn six_digits_then_seven_and_more() {
        let shown = |n| AccountNumber::new(prefix(), n).map(|a| a.to_string());
        assert_eq!(shown(781).as_deref(), Some("A25-000781"));
        assert_eq!(shown(999_999).as_deref(), Some("A25-999999"));
        assert_eq!(shown(1_000_000).as_deref(), Some("A25-1000000"));
        assert_eq!(shown(999_999_999).as_deref(), Some("A25-999999999"));
        assert_eq!(shown(0), None);
        assert_eq!(shown(1_000_000_000), None);
    }

    #[test]
    fn the_sequence_goes_past_999999_instead_of_stopping() {
        assert_eq!(AccountNumber::next_after(prefix(), 0).map(|a| a.to_string()), Ok("A25-000001".into()));
        assert_eq!(AccountNumber::next_after(prefix(), 999_999).map(|a| a.to_string()), Ok("A25-1000000".into()));
        assert_eq!(AccountNumber::next_after(prefix(), LAST_SEQUENCE), Err(AccountError::UsedUp { prefix: prefix() }));
        assert_eq!(
            AccountError::UsedUp { prefix: prefix() }.to_string(),
            "account numbers A25-1 to A25-999999999 are all used"
        );
    }

    #[test]
    fn the_prefix_is_the_kind_letter_and_the_year_of_admission() {
        let at = Utc.with_ymd_and_hms(2009, 3, 1, 6, 0, 0).single().unwrap_or_default();
        assert_eq!(AccountPrefix::of(EncounterKind::Emergency, at).to_string(), "E09-");
        assert_eq!(AccountPrefix::new('o', 1999).to_string(), "O99-");
    }

    #[test]
    fn parsing_takes_what_is_written_and_nothing_else() {
        let parsed = |t: &str| AccountNumber::parse(t).map(|a| (a.to_string(), a.sequence()));
        assert_eq!(parsed("A25-000781"), Some(("A25-000781".into(), 781)));
        assert_eq!(parsed("a25-000781"), Some(("A25-000781".into(), 781)));
        assert_eq!(parsed("A25-1000000"), Some(("A25-1000000".into(), 1_000_000)));
        assert_eq!(parsed("E24-123456789"), Some(("E24-123456789".into(), 123_456_789)));
        for bad in ["A25-00781", "A25-0000781", "A25-1234567890", "A2-000781", "A25000781", "125-000781", "A25-00078x"]
        {
            assert_eq!(AccountNumber::parse(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn every_account_made_reads_back_as_itself(letter in proptest::char::range('A', 'Z'), year in 0i32..100,
                                                   sequence in 1u64..=LAST_SEQUENCE) {
            let made = AccountNumber::new(AccountPrefix::new(letter, year), sequence);
            let read = made.as_ref().and_then(|a| AccountNumber::parse(&a.to_string()));
            proptest::prop_assert_eq!(read, made);
        }
    }
}
