//! Who may see which record (AS-03): a sensitive chart opens only past a warning with a reason a
//! privacy officer can read later, and a signature code stands for the clerk at the keyboard.

use super::patient::Sensitivity;
use chrono::{DateTime, Duration, Utc};

/// The fewest words a break-the-glass reason takes. "ROI request 2025-03-03" is three: enough to
/// say why, where one word ("work", "roi") says nothing a privacy officer could check. A word is
/// at least two letters or digits (". . ." and "x x x" are no words), and one of them at least
/// is a word of letters (three numbers say nothing either).
pub const REASON_MIN_WORDS: usize = 3;
/// The longest reason kept: a sentence or two, never a pasted note.
pub const REASON_MAX_CHARS: usize = 200;

/// Whether opening a chart of this sensitivity breaks the glass: restricted, employee and VIP do.
pub fn needs_break_glass(sensitivity: Sensitivity) -> bool {
    sensitivity.is_restricted()
}

/// Why `reason` cannot stand as a break-the-glass reason, in the clerk's words; None when it can.
pub fn reason_problem(reason: &str) -> Option<String> {
    if let Some(problem) = super::text::control_character_problem("the reason", reason) {
        return Some(problem);
    }
    let reason = reason.trim();
    let alphanumerics = |word: &str| word.chars().filter(|c| c.is_alphanumeric()).count();
    let letters = |word: &str| word.chars().filter(|c| c.is_alphabetic()).count();
    let words = reason.split_whitespace().filter(|w| alphanumerics(w) >= 2).count();
    let worded = reason.split_whitespace().any(|w| letters(w) >= 2);
    if words < REASON_MIN_WORDS || !worded {
        return Some(format!(
            "say why you need this chart in at least {REASON_MIN_WORDS} words (for example \"ROI request 2025-03-03\")"
        ));
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Some(format!("keep the reason to {REASON_MAX_CHARS} characters"));
    }
    None
}

/// The shortest and longest signature code.
pub const SIGNATURE_MIN: usize = 6;
pub const SIGNATURE_MAX: usize = 20;

/// Why `code` cannot be a signature code; None when it can. 6 to 20 characters, not one character
/// repeated (`111111`), no control characters; spaces inside count as characters.
pub fn signature_code_problem(code: &str) -> Option<String> {
    let count = code.chars().count();
    if !(SIGNATURE_MIN..=SIGNATURE_MAX).contains(&count) {
        return Some(format!("a signature code is {SIGNATURE_MIN} to {SIGNATURE_MAX} characters long"));
    }
    if code.chars().any(char::is_control) {
        return Some("a signature code holds no control characters".into());
    }
    let mut chars = code.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Some("a signature code is not one character repeated".into());
    }
    if code.trim() != code {
        return Some("a signature code does not start or end with a space".into());
    }
    None
}

/// Wrong signature codes within [`CODE_REST_MINUTES`] before no code is taken, whichever session
/// or command they came from: one guesser's count cannot be reset by asking again.
pub const CODE_TRIES: usize = 3;
/// How long the wrong codes are counted over, and how long no code is taken after the last of
/// [`CODE_TRIES`] of them.
pub const CODE_REST_MINUTES: i64 = 15;

fn rest() -> Duration {
    Duration::minutes(CODE_REST_MINUTES)
}

/// Until when no signature code is taken from a user whose latest wrong codes (newest first; the
/// first [`CODE_TRIES`] are enough) came at these times; None when one is taken now.
pub fn codes_refused_until(wrong_newest_first: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let newest = *wrong_newest_first.first()?;
    let third = *wrong_newest_first.get(CODE_TRIES - 1)?;
    let until = newest + rest();
    (newest - third < rest() && now < until).then_some(until)
}

/// How many more wrong codes a user may give before none is taken, their latest wrong ones
/// (newest first) counted over the last [`CODE_REST_MINUTES`].
pub fn code_tries_left(wrong_newest_first: &[DateTime<Utc>], now: DateTime<Utc>) -> usize {
    let recent = wrong_newest_first.iter().take(CODE_TRIES).filter(|at| now - **at < rest()).count();
    CODE_TRIES.saturating_sub(recent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_takes_three_words() {
        assert!(reason_problem("ROI request 2025-03-03").is_none());
        assert!(reason_problem("  ROI   request  ").is_some());
        assert!(reason_problem("work").is_some());
        assert!(reason_problem("a b \x1b[2J").is_some());
        assert!(reason_problem(&"word ".repeat(60)).is_some(), "too long");
    }

    #[test]
    fn a_reason_of_marks_letters_alone_numbers_alone_or_invisible_characters_is_no_reason() {
        for nothing in [". . .", "x x x", "- - - - -", "a b c d e", "11 22 33", "ROI . ."] {
            assert!(reason_problem(nothing).unwrap().contains("at least 3 words"), "{nothing:?}");
        }
        for invisible in ["ROI request\u{200B} 2025-03-03", "ROI\u{FEFF} request today", "ROI re\u{00AD}quest today"] {
            let problem = reason_problem(invisible).unwrap();
            assert!(problem.contains("invisible character"), "{invisible:?}: {problem}");
        }
        assert!(reason_problem("ROI request 2025-03-03").is_none());
        assert!(reason_problem("coding query DRG 470").is_none());
        assert!(reason_problem("QA of my unit's charts").is_none());
    }

    #[test]
    fn signature_codes() {
        assert!(signature_code_problem("tulip42").is_none());
        assert!(signature_code_problem("short").is_some());
        assert!(signature_code_problem("111111").is_some());
        assert!(signature_code_problem(&"ab".repeat(11)).is_some());
        assert!(signature_code_problem("abc\u{7}def").is_some());
        assert!(signature_code_problem(" tulip42").is_some());
        assert!(signature_code_problem("ab cd ef").is_none());
    }

    #[test]
    fn three_wrong_codes_within_fifteen_minutes_rest_the_code_for_fifteen_minutes() {
        let at = |minute: i64| DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minute);
        // Two wrong ones: one try left, and codes are taken.
        assert_eq!(code_tries_left(&[at(5), at(1)], at(6)), 1);
        assert_eq!(codes_refused_until(&[at(5), at(1)], at(6)), None);
        // The third within 15 minutes of the first: none taken until 15 minutes after it.
        let three = [at(10), at(5), at(1)];
        assert_eq!(code_tries_left(&three, at(10)), 0);
        assert_eq!(codes_refused_until(&three, at(10)), Some(at(25)));
        assert_eq!(codes_refused_until(&three, at(24)), Some(at(25)));
        assert_eq!(codes_refused_until(&three, at(25)), None);
        assert_eq!(code_tries_left(&three, at(25)), CODE_TRIES, "all of them 15 minutes old or more");
        // Three spread over more than 15 minutes never rest the code; the oldest no longer counts.
        let spread = [at(20), at(10), at(1)];
        assert_eq!(codes_refused_until(&spread, at(20)), None);
        assert_eq!(code_tries_left(&spread, at(20)), 1);
        assert_eq!(code_tries_left(&[], at(0)), CODE_TRIES);
    }

    #[test]
    fn only_sensitive_charts_break_the_glass() {
        assert!(!needs_break_glass(Sensitivity::None));
        for s in [Sensitivity::Employee, Sensitivity::Vip, Sensitivity::Restricted] {
            assert!(needs_break_glass(s));
        }
    }
}
