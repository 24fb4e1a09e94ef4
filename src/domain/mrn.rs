//! Medical record numbers.

use std::fmt;

/// A medical record number: 6 to 8 digits, unique across the store. Never 9 — nine digits read as an
/// SSN at the Find prompt, and a clerk must never have to guess which one she typed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mrn(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MrnError {
    #[error("an MRN is 6 to 8 digits; {0:?} is not")]
    Malformed(String),
}

impl Mrn {
    pub fn parse(raw: &str) -> Result<Self, MrnError> {
        let trimmed = raw.trim();
        if (6..=8).contains(&trimmed.len()) && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(trimmed.to_string()))
        } else {
            Err(MrnError::Malformed(trimmed.chars().take(20).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The MRNs an import gives new patients: the free numbers from 5,000,000 up, in order, 7 digits and
/// then 8 (a demo store of ten million patients takes all of the 7-digit ones).
pub const IMPORT_MRNS: std::ops::RangeInclusive<u64> = 5_000_000..=99_999_999;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportMrnError<E> {
    #[error("the import MRN range ({}-{}) is used up", IMPORT_MRNS.start(), IMPORT_MRNS.end())]
    UsedUp,
    /// The question whether a number is taken could not be answered.
    #[error(transparent)]
    Lookup(E),
}

/// The MRN for the next imported patient: the first free number of [`IMPORT_MRNS`] at or after
/// `from` (the number after the last one given, as kept by the store), stepping over those `taken`
/// (a demo store scatters its MRNs through the 7-digit space).
pub fn next_import_mrn<E>(from: u64, mut taken: impl FnMut(&Mrn) -> Result<bool, E>) -> Result<Mrn, ImportMrnError<E>> {
    for number in from.max(*IMPORT_MRNS.start())..=*IMPORT_MRNS.end() {
        let mrn = Mrn(number.to_string());
        if !taken(&mrn).map_err(ImportMrnError::Lookup)? {
            return Ok(mrn);
        }
    }
    Err(ImportMrnError::UsedUp)
}

impl Mrn {
    /// The MRN's number (an MRN is digits only).
    pub fn number(&self) -> u64 {
        self.0.parse().unwrap_or_default()
    }
}

impl fmt::Display for Mrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl TryFrom<String> for Mrn {
    type Error = MrnError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Mrn> for String {
    fn from(value: Mrn) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_to_eight_digits_only() {
        assert!(Mrn::parse("100234").is_ok());
        assert!(Mrn::parse("1002345").is_ok());
        assert!(Mrn::parse("10023456").is_ok());
        assert!(Mrn::parse("12345").is_err());
        assert!(Mrn::parse("123456789").is_err(), "nine digits is an SSN");
        assert!(Mrn::parse("12a456").is_err());
        assert_eq!(Mrn::parse(" 100234 ").map(|m| m.to_string()), Ok("100234".into()));
    }

    #[test]
    fn import_mrns_start_at_five_million_and_step_over_taken_ones() {
        let free = |from, taken: &[u64]| {
            next_import_mrn(from, |m: &Mrn| Ok::<_, ()>(taken.contains(&m.number()))).map(|m| m.to_string())
        };
        assert_eq!(free(0, &[]), Ok("5000000".into()));
        assert_eq!(free(5_000_001, &[5_000_001, 5_000_002]), Ok("5000003".into()));
        // Past the 7-digit numbers, 8 digits: still an MRN, never 9 (an SSN's length).
        assert_eq!(free(9_999_999, &[9_999_999]), Ok("10000000".into()));
        assert_eq!(free(99_999_999, &[99_999_999]), Err(ImportMrnError::UsedUp));
        assert_eq!(free(100_000_000, &[]), Err(ImportMrnError::UsedUp));
        assert_eq!(next_import_mrn(0, |_| Err("busy")), Err(ImportMrnError::Lookup("busy")));
    }
}
