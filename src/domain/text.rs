//! Strings from data on their way to a terminal cell or a printed line.
//!
//! A patient named `\x1b[2J\x1b]0;pwned\x07Smith` must show as text and change nothing on the clerk's
//! terminal. Every string that came from data passes through [`clean`] before it is drawn or printed.

use std::borrow::Cow;

/// Whether a character must never reach a terminal: Unicode control characters (Cc), and the
/// bidirectional controls that can make text read backwards (Trojan Source, CVE-2021-42574).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `raw` without control and bidirectional characters. Borrows when there is nothing to remove.
pub fn clean(raw: &str) -> Cow<'_, str> {
    if raw.chars().any(is_unsafe_char) {
        Cow::Owned(raw.chars().filter(|c| !is_unsafe_char(*c)).collect())
    } else {
        Cow::Borrowed(raw)
    }
}

/// Whether a character is an invisible format character (Unicode category Cf): a zero-width
/// space or joiner, a soft hyphen, a byte-order mark, a tag. Typed into a field, it makes two
/// texts that look alike differ, or pads a reason with nothing a reader can see.
pub fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Why typed text is refused when it holds a character that must never reach a terminal, or an
/// invisible one ([`is_format_char`]): it is named by its code point and place, since it cannot be
/// shown. Stripping it silently would store something other than what was typed.
pub fn control_character_problem(what: &str, raw: &str) -> Option<String> {
    let (at, c) = raw.chars().enumerate().find(|(_, c)| is_unsafe_char(*c) || is_format_char(*c))?;
    let kind = if is_unsafe_char(c) { "a control character" } else { "an invisible character" };
    Some(format!("{what} holds {kind} (U+{:04X}, character {}); type it as plain text", u32::from(c), at + 1))
}

/// Like [`clean`], but keeps line breaks and turns tabs into spaces: for document text shown as
/// paragraphs.
pub fn clean_multiline(raw: &str) -> String {
    raw.chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if is_unsafe_char(c) => None,
            c => Some(c),
        })
        .collect()
}

/// Which of two spellings of one name to keep, when they differ only in punctuation and spacing
/// (Synthea's CSV export turns the commas of `SOUTHCOAST HOSPITAL GROUP, INC` into spaces; its
/// FHIR export keeps them): the fuller one, so that reading both exports in either order settles on
/// one spelling and a rerun changes nothing. `None` when they are different names.
pub fn fuller_spelling<'a>(held: &'a str, arriving: &'a str) -> Option<&'a str> {
    let words = |s: &'a str| s.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
    if !words(held).eq(words(arriving)) {
        return None;
    }
    // Fuller: more punctuation kept (`INC,THE` over `INC THE`), then longer.
    let fullness = |s: &str| (s.chars().filter(|c| !c.is_alphanumeric() && !c.is_whitespace()).count(), s.len());
    Some(if fullness(arriving) > fullness(held) { arriving } else { held })
}

/// `1 entry`, `3 entries`: a count in the clerk's words.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_is_named_by_its_code_point_and_place() {
        assert_eq!(
            control_character_problem("a facility name", "Esc\x1b[2Jape").as_deref(),
            Some("a facility name holds a control character (U+001B, character 4); type it as plain text")
        );
        assert_eq!(control_character_problem("a name", "Peña Ørsted"), None);
        assert!(control_character_problem("a name", "Evil\u{202E}txt").is_some());
    }

    #[test]
    fn an_invisible_character_is_refused_as_typed_text_naming_it() {
        assert_eq!(
            control_character_problem("the reason", "ROI\u{200B} request").as_deref(),
            Some("the reason holds an invisible character (U+200B, character 4); type it as plain text")
        );
        for c in ['\u{00AD}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{E0041}'] {
            assert!(control_character_problem("a name", &format!("An{c}na")).is_some(), "U+{:04X}", u32::from(c));
        }
        assert_eq!(control_character_problem("a name", "Zoë Nguyễn-Smith"), None);
    }
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_become_inert_text() {
        let hostile = "\x1b[2J\x1b]0;pwned\x07Smith";
        assert_eq!(clean(hostile), "[2J]0;pwnedSmith");
        assert_eq!(clean("Ab\u{202E}cd"), "Abcd");
        assert!(matches!(clean("Nguyễn"), Cow::Borrowed(_)));
        assert_eq!(clean_multiline("a\tb\r\nc\x1b"), "a b\nc");
    }

    proptest! {
        #[test]
        fn cleaned_text_has_no_control_characters(raw in "\\PC*|[\\x00-\\x1f\\x7f\\u{202a}-\\u{202e}a-z]*") {
            prop_assert!(!clean(&raw).chars().any(is_unsafe_char));
        }
    }

    #[test]
    fn the_fuller_of_two_spellings_is_kept() {
        let csv = "SOUTHCOAST HOSPITAL GROUP  INC";
        let fhir = "SOUTHCOAST HOSPITAL GROUP, INC";
        assert_eq!(fuller_spelling(csv, fhir), Some(fhir));
        assert_eq!(fuller_spelling(fhir, csv), Some(fhir));
        assert_eq!(fuller_spelling(fhir, fhir), Some(fhir));
        assert_eq!(fuller_spelling("HOSPITAL INC THE", "HOSPITAL INC,THE"), Some("HOSPITAL INC,THE"));
        assert_eq!(fuller_spelling("MOUNT AUBURN HOSPITAL", "MOUNT AUBURN CLINIC"), None);
    }

    #[test]
    fn a_count_of_one_is_singular() {
        assert_eq!(super::plural(1, "entry", "entries"), "1 entry");
        assert_eq!(super::plural(0, "entry", "entries"), "0 entries");
        assert_eq!(super::plural(3, "entry", "entries"), "3 entries");
    }
}
