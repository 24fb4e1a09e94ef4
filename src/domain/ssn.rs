//! Social security numbers, kept only as their last four digits and a keyed hash.
//!
//! The full number is never stored. A clerk who types all nine digits is matched through
//! HMAC-SHA256 under a per-installation key that lives in a file beside the config, never in the
//! database: a stolen database alone does not give the numbers back by brute force over 10⁹ values.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The per-installation secret for SSN hashes (32 random bytes).
#[derive(Clone)]
pub struct SsnKey([u8; 32]);

impl SsnKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The keyed hash of nine SSN digits, as lowercase hex.
    pub fn hash(&self, ssn: &Ssn) -> String {
        // HMAC accepts keys of any length, so construction cannot fail for a 32-byte key.
        let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(ssn.digits.as_bytes());
        let bytes = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for b in bytes {
            hex.push_str(&format!("{b:02x}"));
        }
        hex
    }
}

impl std::fmt::Debug for SsnKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SsnKey(..)")
    }
}

/// Nine SSN digits, held only long enough to hash them and keep the last four.
#[derive(Clone, PartialEq, Eq)]
pub struct Ssn {
    digits: String,
}

impl std::fmt::Debug for Ssn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ssn(xxx-xx-{})", self.last4())
    }
}

impl Ssn {
    /// `123-45-6789`, `123 45 6789` or `123456789`.
    pub fn parse(raw: &str) -> Option<Self> {
        let trimmed = raw.trim();
        if !trimmed.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ') {
            return None;
        }
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        (digits.len() == 9).then_some(Self { digits })
    }

    pub fn last4(&self) -> String {
        self.digits[5..].to_string()
    }
}

/// How the desk shows an SSN: `xxx-xx-4821`, or blanks when none is on file.
pub fn masked(last4: Option<&str>) -> String {
    match last4 {
        Some(l4) if l4.len() == 4 => format!("xxx-xx-{l4}"),
        _ => "xxx-xx-????".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings_and_keeps_last4() {
        let ssn = Ssn::parse("123-45-4821").unwrap();
        assert_eq!(ssn.last4(), "4821");
        assert_eq!(Ssn::parse("123454821"), Some(ssn.clone()));
        assert_eq!(Ssn::parse("123 45 4821"), Some(ssn));
        assert!(Ssn::parse("12345482").is_none());
        assert!(Ssn::parse("12345482a").is_none());
        assert!(!format!("{:?}", Ssn::parse("123454821").unwrap()).contains("12345"));
    }

    #[test]
    fn keyed_hash_depends_on_the_key() {
        let ssn = Ssn::parse("123454821").unwrap();
        let a = SsnKey::from_bytes([1; 32]);
        let b = SsnKey::from_bytes([2; 32]);
        assert_eq!(a.hash(&ssn), a.hash(&ssn));
        assert_ne!(a.hash(&ssn), b.hash(&ssn));
        assert_eq!(a.hash(&ssn).len(), 64);
        assert!(!a.hash(&ssn).contains("4821") || a.hash(&ssn).len() == 64);
    }

    #[test]
    fn masking_shows_only_last4() {
        assert_eq!(masked(Some("0417")), "xxx-xx-0417");
        assert_eq!(masked(None), "xxx-xx-????");
    }
}
