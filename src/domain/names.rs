//! Person names and the keys that find them.
//!
//! A clerk types `obrien` and expects `O'Brien`; types `nguyen` and expects `Nguyễn`. So every name is
//! stored as given (for display and letters) and also as a *search key*: ASCII-folded, upper case, with
//! everything but letters removed — VistA's "NOP" (no punctuation) index. A *phonetic key* (Double
//! Metaphone, primary code) catches spellings: `JON` finds `JOHN`, `SMYTHE` finds `SMITH`.

use rphonetic::{DoubleMetaphone, Encoder};
use std::sync::OnceLock;

/// The search key of one name part: diacritics folded to ASCII, upper case, letters only.
///
/// `O'Brien` → `OBRIEN`, `Nguyễn` → `NGUYEN`, `van der Berg` → `VANDERBERG`, `Müller` → `MULLER`.
pub fn name_key(raw: &str) -> String {
    let folded = deunicode::deunicode(raw);
    folded.chars().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_uppercase()).collect()
}

fn metaphone() -> &'static DoubleMetaphone {
    static ENCODER: OnceLock<DoubleMetaphone> = OnceLock::new();
    ENCODER.get_or_init(DoubleMetaphone::default)
}

/// The primary Double Metaphone code of a name part (at most 4 letters), computed on its search key.
/// Empty for a name with no letters.
pub fn phonetic_key(raw: &str) -> String {
    let key = name_key(raw);
    if key.is_empty() {
        return String::new();
    }
    metaphone().encode(&key)
}

/// Both Double Metaphone codes (primary, alternate) of a name part. A query matches a stored
/// primary code by either, which is how `SCHMIDT` still finds `SMITH`-like spellings.
pub fn phonetic_keys(raw: &str) -> (String, String) {
    let key = name_key(raw);
    if key.is_empty() {
        return (String::new(), String::new());
    }
    let result = metaphone().double_metaphone(&key);
    (result.primary(), result.alternate())
}

/// A person's name as recorded, with the keys computed from it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PersonName {
    pub family: String,
    pub given: String,
    pub middle: String,
    pub suffix: String,
}

impl PersonName {
    pub fn new(family: &str, given: &str, middle: &str) -> Self {
        Self {
            family: family.trim().to_string(),
            given: given.trim().to_string(),
            middle: middle.trim().to_string(),
            suffix: String::new(),
        }
    }

    pub fn family_key(&self) -> String {
        name_key(&self.family)
    }

    pub fn given_key(&self) -> String {
        name_key(&self.given)
    }

    pub fn family_phonetic(&self) -> String {
        phonetic_key(&self.family)
    }

    pub fn given_phonetic(&self) -> String {
        phonetic_key(&self.given)
    }

    /// `LAST, FIRST MIDDLE` in capitals, the way the HIM desk reads a name.
    pub fn display(&self) -> String {
        display_name(&self.family, &self.given, &self.middle)
    }
}

/// `LAST, FIRST MIDDLE` in capitals (the middle name shortened to its initial when it is long,
/// as VistA prints it: `SMITH, JOHN A`).
pub fn display_name(family: &str, given: &str, middle: &str) -> String {
    let mut out = family.trim().to_uppercase();
    let given = given.trim();
    if !given.is_empty() {
        out.push_str(", ");
        out.push_str(&given.to_uppercase());
    }
    let middle = middle.trim();
    if !middle.is_empty() {
        out.push(' ');
        out.push_str(&middle.to_uppercase());
    }
    out
}

/// The smallest key greater than every key that starts with `prefix` — the exclusive upper bound of
/// an index range scan. Keys are `A`–`Z` only, so appending the byte after `Z` is enough.
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut upper = prefix.to_string();
    upper.push('[');
    upper
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_fold_case_punctuation_and_diacritics() {
        assert_eq!(name_key("O'Brien"), "OBRIEN");
        assert_eq!(name_key("obrien"), "OBRIEN");
        assert_eq!(name_key("Nguyễn"), "NGUYEN");
        assert_eq!(name_key("nguyen"), "NGUYEN");
        assert_eq!(name_key("Peña-López"), "PENALOPEZ");
        assert_eq!(name_key("  van der Berg "), "VANDERBERG");
        assert_eq!(name_key("Müller"), "MULLER");
        assert_eq!(name_key("1234"), "");
    }

    #[test]
    fn phonetic_keys_catch_common_spellings() {
        assert_eq!(phonetic_key("JON"), phonetic_key("JOHN"));
        assert_eq!(phonetic_key("SMYTHE"), phonetic_key("SMITH"));
        assert_eq!(phonetic_key("Catherine"), phonetic_key("Kathryn"));
        assert_ne!(phonetic_key("SMITH"), phonetic_key("JONES"));
    }

    #[test]
    fn display_is_last_comma_first_middle_in_capitals() {
        assert_eq!(display_name("Smith", "John", "A"), "SMITH, JOHN A");
        assert_eq!(display_name("Garcia", "Maria", ""), "GARCIA, MARIA");
        assert_eq!(display_name("Cher", "", ""), "CHER");
    }

    #[test]
    fn prefix_bound_is_above_every_extension() {
        let upper = prefix_upper_bound("SMI");
        assert!("SMITH" < upper.as_str());
        assert!("SMIZZZZ" < upper.as_str());
        assert!("SMJ" > upper.as_str());
    }

    proptest! {
        #[test]
        fn name_key_is_ascii_upper_and_idempotent(raw in "\\PC{0,40}") {
            let key = name_key(&raw);
            prop_assert!(key.chars().all(|c| c.is_ascii_uppercase()));
            prop_assert_eq!(name_key(&key), key);
        }

        #[test]
        fn latin_names_ignore_case(raw in "[a-zA-Z' .àáâãäåçèéêëìíîïñòóôõöùúûüýễ-]{0,40}") {
            prop_assert_eq!(name_key(&raw.to_lowercase()), name_key(&raw.to_uppercase()));
        }

        #[test]
        fn phonetic_key_never_panics_and_is_short(raw in "\\PC{0,40}") {
            let key = phonetic_key(&raw);
            prop_assert!(key.len() <= 4);
        }
    }
}
