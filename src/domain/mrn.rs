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
}
