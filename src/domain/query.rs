//! What the clerk typed at Find, and which index it picks.
//!
//! VistA's rule (`DPTLK1.m`): the *shape* of the input chooses the index. `S4821` is an initial and the
//! last four of the SSN; `4821` is the last four; nine digits are an SSN; six to eight digits are an
//! MRN; `A25-000781` is an account; a date is a birth date; anything else is a name, `LAST,FIRST`.

use super::dates::{looks_like_date, parse_date};
use super::mrn::Mrn;
use super::names::name_key;
use super::ssn::Ssn;
use super::text::clean;
use chrono::NaiveDate;

/// The name part of a query, already reduced to search keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameQuery {
    /// Family-name key prefix (letters only, upper case). Never empty.
    pub family: String,
    /// Given-name key prefix; empty when only a family name was typed.
    pub given: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchQuery {
    Empty,
    Mrn(Mrn),
    Account(String),
    Ssn(Ssn),
    Last4(String),
    InitialLast4 {
        initial: char,
        last4: String,
    },
    Dob(NaiveDate),
    Name(NameQuery),
    NameDob(NameQuery, NaiveDate),
    /// Something the desk cannot search on, with the reason shown under the field.
    Unrecognized(String),
}

/// The index a query used: written to the audit trail (never the query text, which may hold SSN
/// digits) and shown beside the Find field so a clerk learns the grammar by using it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum QueryShape {
    Mrn,
    Account,
    Ssn,
    Last4,
    InitialLast4,
    Dob,
    Name,
    NameDob,
}

impl QueryShape {
    /// The audit label: `INITIAL+LAST4`, `NAME+DOB`…
    pub fn audit_label(self) -> &'static str {
        match self {
            Self::Mrn => "MRN",
            Self::Account => "ACCOUNT",
            Self::Ssn => "SSN",
            Self::Last4 => "LAST4",
            Self::InitialLast4 => "INITIAL+LAST4",
            Self::Dob => "DOB",
            Self::Name => "NAME",
            Self::NameDob => "NAME+DOB",
        }
    }

    /// What the clerk reads beside the Find field.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Mrn => "MRN",
            Self::Account => "account number",
            Self::Ssn => "full SSN",
            Self::Last4 => "SSN last 4",
            Self::InitialLast4 => "initial + last 4",
            Self::Dob => "birth date",
            Self::Name => "name",
            Self::NameDob => "name + DOB",
        }
    }

    pub fn from_audit_label(label: &str) -> Option<Self> {
        [Self::Mrn, Self::Account, Self::Ssn, Self::Last4, Self::InitialLast4, Self::Dob, Self::Name, Self::NameDob]
            .into_iter()
            .find(|s| s.audit_label() == label)
    }
}

impl SearchQuery {
    pub fn shape(&self) -> Option<QueryShape> {
        Some(match self {
            Self::Mrn(_) => QueryShape::Mrn,
            Self::Account(_) => QueryShape::Account,
            Self::Ssn(_) => QueryShape::Ssn,
            Self::Last4(_) => QueryShape::Last4,
            Self::InitialLast4 { .. } => QueryShape::InitialLast4,
            Self::Dob(_) => QueryShape::Dob,
            Self::Name(_) => QueryShape::Name,
            Self::NameDob(..) => QueryShape::NameDob,
            Self::Empty | Self::Unrecognized(_) => return None,
        })
    }

    /// Reads the Find field. `today` settles two-digit years.
    ///
    /// Text that starts like an MRN, an SSN, an account or a date and then stops making sense is
    /// refused with what was understood, never searched as something else: `204511x` read as a name
    /// would list XIONG, and a wrong patient is the one mistake this desk must not invite.
    pub fn parse(raw: &str, today: NaiveDate) -> Self {
        let text = raw.trim();
        if text.is_empty() {
            return Self::Empty;
        }
        if let Some(query) = Self::parse_identifier(text, today) {
            return query;
        }
        if !text.contains(char::is_whitespace)
            && let Some(problem) = misshapen(text, today)
        {
            return Self::Unrecognized(problem);
        }
        Self::parse_name(text, today)
    }

    /// One of the shapes that name a patient exactly (or a birth date), when `text` is one.
    fn parse_identifier(text: &str, today: NaiveDate) -> Option<Self> {
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return Some(match text.len() {
                4 => Self::Last4(text.to_string()),
                6..=8 => Mrn::parse(text).map_or_else(|e| Self::Unrecognized(e.to_string()), Self::Mrn),
                9 => Ssn::parse(text).map_or_else(|| Self::Unrecognized("not a valid SSN".into()), Self::Ssn),
                1 => Self::Unrecognized("1 digit: an MRN has 6 to 8, an SSN 9, its last four 4".into()),
                n => Self::Unrecognized(format!("{n} digits: an MRN has 6 to 8, an SSN 9, its last four 4")),
            });
        }
        if is_dashed_ssn(text) {
            return Some(Ssn::parse(text).map_or_else(|| Self::Unrecognized("not a valid SSN".into()), Self::Ssn));
        }
        if is_account(text) {
            return Some(Self::Account(text.to_ascii_uppercase()));
        }
        if let Some((initial, last4)) = initial_last4(text) {
            return Some(Self::InitialLast4 { initial, last4 });
        }
        if looks_like_date(text) {
            return Some(match birth_date(text, today) {
                Ok(date) => Self::Dob(date),
                Err(problem) => Self::Unrecognized(problem),
            });
        }
        None
    }

    fn parse_name(text: &str, today: NaiveDate) -> Self {
        let mut dob = None;
        let mut words = Vec::new();
        for word in text.split(|c: char| c.is_whitespace()).filter(|w| !w.is_empty()) {
            if looks_like_date(word) {
                match birth_date(word, today) {
                    Ok(date) if dob.is_none() => dob = Some(date),
                    Ok(_) => return Self::Unrecognized("two birth dates in one search".into()),
                    // An impossible date is never dropped: the name alone would list other patients.
                    Err(problem) => return Self::Unrecognized(problem),
                }
            } else if word.bytes().any(|b| b.is_ascii_digit()) {
                return Self::Unrecognized(digits_in_a_name(word, today));
            } else {
                words.push(word);
            }
        }
        let name_text = words.join(" ");
        let (family_raw, given_raw) = match name_text.split_once(',') {
            Some((family, given)) => (family.to_string(), given.trim().split(' ').next().unwrap_or("").to_string()),
            None => {
                let mut parts = name_text.split(' ');
                let family = parts.next().unwrap_or("").to_string();
                let given = parts.next().unwrap_or("").to_string();
                (family, given)
            }
        };
        let family = name_key(&family_raw);
        let given = name_key(&given_raw);
        if family.is_empty() {
            return match dob {
                Some(date) => Self::Dob(date),
                None => Self::Unrecognized("type a name, MRN, date of birth or S4821".into()),
            };
        }
        let name = NameQuery { family, given };
        match dob {
            Some(date) => Self::NameDob(name, date),
            None => Self::Name(name),
        }
    }
}

/// A birth date, or why the text cannot be one.
fn birth_date(text: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    match parse_date(text, today) {
        Ok(date) if date > today => Err(format!("{}: a birth date cannot be after today", shown(text))),
        Ok(date) => Ok(date),
        Err(problem) => Err(problem.to_string()),
    }
}

/// The typed text as it may be echoed back: no control characters, never long.
fn shown(text: &str) -> String {
    let shown: String = clean(text).chars().take(24).collect();
    // `300120:` would read `300120:: not an MRN`: a word ending in a colon is quoted.
    if shown.ends_with(':') { format!("\"{shown}\"") } else { shown }
}

/// Why one word (no spaces) that begins like an identifier or a date is none of them, saying what
/// was understood. `None` when it does not begin like one (a name, or punctuation).
fn misshapen(word: &str, today: NaiveDate) -> Option<String> {
    let b = word.as_bytes();
    if looks_like_date(word) {
        return birth_date(word, today).err();
    }
    if b.first().is_some_and(u8::is_ascii_digit) {
        let lead: String = word.chars().take_while(char::is_ascii_digit).collect();
        // An SSN's digits are never echoed back: the screen may be overlooked, the line logged.
        if word[lead.len()..].starts_with('-') && lead.len() == 3 {
            return Some("not an SSN: an SSN is nine digits, with or without dashes".into());
        }
        return Some(match lead.len() {
            4 => format!("{}: not the last four of an SSN (digits only) — did you mean {lead}?", shown(word)),
            6..=8 => format!("{}: not an MRN (digits only) — did you mean {lead}?", shown(word)),
            9 => "not an SSN: an SSN is nine digits only, with or without dashes".into(),
            _ => format!("{}: not an MRN, SSN, date or account number", shown(word)),
        });
    }
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1].is_ascii_digit() {
        return Some(if word.contains('-') {
            format!("{}: an account number is a letter, two digits, a dash and six digits (A25-000781)", shown(word))
        } else {
            format!("{}: initial + last 4 is a letter and four digits (S4821)", shown(word))
        });
    }
    None
}

/// Why a word with digits cannot be part of a name, and what to do instead.
fn digits_in_a_name(word: &str, today: NaiveDate) -> String {
    match SearchQuery::parse_identifier(word, today).and_then(|q| q.shape()) {
        Some(QueryShape::Ssn) => return "a name takes no SSN: search the SSN on its own".into(),
        Some(shape) => return format!("a name takes no {}: search {} on its own", shape.describe(), shown(word)),
        None => {}
    }
    misshapen(word, today).unwrap_or_else(|| format!("{}: a name has no digits", shown(word)))
}

fn is_dashed_ssn(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 11
        && b[3] == b'-'
        && b[6] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 3 || i == 6 || c.is_ascii_digit())
}

/// `A25-000781` or `A25-1000000`: one letter, two digits of year, a dash, the sequence.
pub fn is_account(text: &str) -> bool {
    crate::domain::account::AccountNumber::parse(text).is_some()
}

fn initial_last4(text: &str) -> Option<(char, String)> {
    let b = text.as_bytes();
    (b.len() == 5 && b[0].is_ascii_alphabetic() && b[1..].iter().all(u8::is_ascii_digit))
        .then(|| ((b[0] as char).to_ascii_uppercase(), text[1..].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    fn shape(raw: &str) -> Option<QueryShape> {
        SearchQuery::parse(raw, today()).shape()
    }

    #[test]
    fn shapes_pick_the_index() {
        assert_eq!(shape("100234"), Some(QueryShape::Mrn));
        assert_eq!(shape("1002345"), Some(QueryShape::Mrn));
        assert_eq!(shape("123454821"), Some(QueryShape::Ssn));
        assert_eq!(shape("123-45-4821"), Some(QueryShape::Ssn));
        assert_eq!(shape("4821"), Some(QueryShape::Last4));
        assert_eq!(shape("S4821"), Some(QueryShape::InitialLast4));
        assert_eq!(shape("s4821"), Some(QueryShape::InitialLast4));
        assert_eq!(shape("A25-000781"), Some(QueryShape::Account));
        assert_eq!(shape("a25-000781"), Some(QueryShape::Account));
        assert_eq!(shape("04/12/1961"), Some(QueryShape::Dob));
        assert_eq!(shape("1961-04-12"), Some(QueryShape::Dob));
        assert_eq!(shape("smith"), Some(QueryShape::Name));
        assert_eq!(shape("SMITH,JOHN"), Some(QueryShape::Name));
        assert_eq!(shape("smith jon 4/12/61"), Some(QueryShape::NameDob));
        assert_eq!(shape(""), None);
        assert_eq!(shape("12345"), None);
        assert_eq!(shape("!!!"), None);
    }

    #[test]
    fn names_split_on_comma_or_first_space() {
        let today = today();
        let expect = |raw: &str, family: &str, given: &str| {
            assert_eq!(
                SearchQuery::parse(raw, today),
                SearchQuery::Name(NameQuery { family: family.into(), given: given.into() }),
                "{raw}"
            );
        };
        expect("smith", "SMITH", "");
        expect("SMITH,JO", "SMITH", "JO");
        expect("smith, jon", "SMITH", "JON");
        expect("smith jon", "SMITH", "JON");
        expect("o'brien,pat", "OBRIEN", "PAT");
        expect("nguyen", "NGUYEN", "");
        expect("Nguyễn", "NGUYEN", "");
        expect("SMITH,JOHN A", "SMITH", "JOHN");
        expect("van der berg, anna", "VANDERBERG", "ANNA");
    }

    #[test]
    fn name_and_dob_together() {
        let q = SearchQuery::parse("smith jon 4/12/61", today());
        assert_eq!(
            q,
            SearchQuery::NameDob(
                NameQuery { family: "SMITH".into(), given: "JON".into() },
                NaiveDate::from_ymd_opt(1961, 4, 12).unwrap()
            )
        );
    }

    fn problem(raw: &str) -> String {
        match SearchQuery::parse(raw, today()) {
            SearchQuery::Unrecognized(problem) => problem,
            other => panic!("{raw:?} was searched as {other:?}"),
        }
    }

    #[test]
    fn text_that_starts_like_an_identifier_is_refused_with_what_was_understood() {
        assert_eq!(problem("204511x"), "204511x: not an MRN (digits only) — did you mean 204511?");
        assert_eq!(problem("300120:"), "\"300120:\": not an MRN (digits only) — did you mean 300120?");
        assert_eq!(problem("7"), "1 digit: an MRN has 6 to 8, an SSN 9, its last four 4");
        assert_eq!(problem("1002345-"), "1002345-: not an MRN (digits only) — did you mean 1002345?");
        assert_eq!(problem("4821a"), "4821a: not the last four of an SSN (digits only) — did you mean 4821?");
        assert_eq!(
            problem("A25-00078"),
            "A25-00078: an account number is a letter, two digits, a dash and six digits (A25-000781)"
        );
        assert!(problem("A25-0007812").contains("a letter, two digits, a dash and six digits"));
        assert_eq!(problem("S482"), "S482: initial + last 4 is a letter and four digits (S4821)");
        assert_eq!(problem("S48211"), "S48211: initial + last 4 is a letter and four digits (S4821)");
        assert_eq!(problem("12/3x/1961"), "12/3x/1961: not a date (MM/DD/YYYY or YYYY-MM-DD)");
        assert_eq!(problem("13/45/61"), "13/45/61: there is no month 13");
        assert_eq!(problem("12/25/2030"), "12/25/2030: a birth date cannot be after today");
    }

    #[test]
    fn a_mistyped_ssn_is_refused_without_echoing_its_digits() {
        for raw in ["123-45-482", "123-45-48211", "123456789x", "smith 123456789"] {
            let problem = problem(raw);
            assert!(problem.contains("SSN"), "{raw}: {problem}");
            assert!(!problem.contains("123") && !problem.contains("482"), "{raw}: {problem}");
        }
    }

    #[test]
    fn an_impossible_date_beside_a_name_is_an_error_never_dropped() {
        assert_eq!(problem("smith 13/45/61"), "13/45/61: there is no month 13");
        assert_eq!(problem("smith 02/30/1961"), "02/30/1961: February 1961 has no day 30");
        assert_eq!(problem("smith 12/3x/1961"), "12/3x/1961: not a date (MM/DD/YYYY or YYYY-MM-DD)");
        assert_eq!(problem("smith jon 2025-13-01"), "2025-13-01: there is no month 13");
    }

    #[test]
    fn digits_in_a_name_are_refused_not_dropped() {
        assert_eq!(problem("smith 204511"), "a name takes no MRN: search 204511 on its own");
        assert_eq!(problem("smith 4821"), "a name takes no SSN last 4: search 4821 on its own");
        assert_eq!(problem("smith 204511x"), "204511x: not an MRN (digits only) — did you mean 204511?");
        assert_eq!(problem("smith2"), "smith2: a name has no digits");
        assert_eq!(problem("smith jon2"), "jon2: a name has no digits");
    }

    #[test]
    fn audit_labels_round_trip() {
        for label in ["MRN", "ACCOUNT", "SSN", "LAST4", "INITIAL+LAST4", "DOB", "NAME", "NAME+DOB"] {
            assert_eq!(QueryShape::from_audit_label(label).map(QueryShape::audit_label), Some(label));
        }
    }

    proptest! {
        #[test]
        fn parser_never_panics(raw in "\\PC{0,60}") {
            let _ = SearchQuery::parse(&raw, today());
        }

        #[test]
        fn nine_digits_are_never_an_mrn(digits in "[0-9]{9}") {
            prop_assert_eq!(shape(&digits), Some(QueryShape::Ssn));
        }

        #[test]
        fn six_to_eight_digits_are_an_mrn(digits in "[0-9]{6,8}") {
            prop_assert_eq!(shape(&digits), Some(QueryShape::Mrn));
        }
    }
}
