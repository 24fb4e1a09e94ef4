//! The letters of the release-of-information desk: acknowledgement, deficient authorization,
//! extension notice, denial and rejection. Each is a template a Director may edit, with
//! `{{placeholders}}` filled from the request; the built-in texts below are version 1 of each.
//! Pure: the desk reads the template, this fills it, the desk writes the files.

use crate::domain::dates::us_date;
use crate::domain::roi::{ChecklistItem, LetterKind};
use crate::domain::text::clean;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// Every placeholder a template may use, with what it is filled with (for `template show` and
/// the Director's editor).
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    ("date", "the letter's date (MM/DD/YYYY)"),
    ("facility_name", "the facility's name"),
    ("request_number", "the request's number (RGH-00041)"),
    ("request_type", "the request's type in words (Right of access)"),
    ("received_on", "the day the request arrived"),
    ("due", "when the desk will respond and under which rule, or what the date waits for"),
    ("patient_name", "the patient's name (GARCIA, MARIA L)"),
    ("patient_birth_date", "the patient's birth date"),
    ("requester_name", "the requester's name"),
    ("requester_organization", "the requester's organization, if any"),
    ("requester_address", "the requester's address, one line per line"),
    ("failed_items", "deficient authorization: the checklist items that failed, one a line, in words"),
    ("extended_due_on", "extension notice: the date the request will be completed by"),
    ("extension_reason", "extension notice: why it needs more time"),
    ("reason", "denial and rejection: why"),
    ("signer", "the name of the clerk who produced the letter"),
    ("case_caption", "subpoena papers: the case's title (GARCIA v. LAKESIDE TRANSIT)"),
    ("case_number", "subpoena papers: the case number"),
    ("court", "subpoena papers: the court"),
    ("served_on", "subpoena papers: the day the subpoena was served"),
    ("pages", "subpoena papers: how many pages the records are"),
    ("withheld", "subpoena papers: what was withheld from the copies, counted by reason, or that nothing was"),
];

/// The placeholders a kind of letter cannot do without: a deficient-authorization letter that did
/// not list the failed items, or an extension notice without its date and reason (164.524(b)(2)),
/// would not be the letter the law asks for.
pub fn required_placeholders(kind: LetterKind) -> &'static [&'static str] {
    match kind {
        LetterKind::Acknowledgement => &["request_number"],
        LetterKind::DeficientAuthorization => &["request_number", "failed_items"],
        LetterKind::ExtensionNotice => &["request_number", "extended_due_on", "extension_reason"],
        LetterKind::Denial | LetterKind::Rejection => &["request_number", "reason"],
        // Evid 1561's declaration must count the pages; Evid 1560(c)'s envelopes carry the title
        // and number of the action.
        LetterKind::CustodianAffidavit => &["request_number", "case_caption", "case_number", "pages", "signer"],
        LetterKind::EnvelopeLabels => &["case_caption", "case_number", "served_on"],
        LetterKind::Part2Notice | LetterKind::NyHivStatement => &[],
    }
}

const HEAD: &str = "{{facility_name}}
Health Information Management - Release of Information

{{date}}

{{requester_name}}
{{requester_organization}}
{{requester_address}}

Re: {{patient_name}}, born {{patient_birth_date}}
    Request {{request_number}} ({{request_type}}), received {{received_on}}
";

const FOOT: &str = "
Please quote {{request_number}} when you write or call about this request.

{{signer}}
Health Information Management
{{facility_name}}
";

/// The custodian's declaration (CA Evid 1561): the records are true copies of all those the
/// subpoena describes, prepared in the regular course at or near the time, so many pages, under
/// penalty of perjury; with blanks for the signature, the day and the place.
const CUSTODIAN_AFFIDAVIT: &str = "DECLARATION OF CUSTODIAN OF RECORDS
(California Evidence Code sections 1561 and 1562)

{{case_caption}}
Case No. {{case_number}}
{{court}}

Records of: {{patient_name}}, born {{patient_birth_date}}
Subpoena served: {{served_on}}
Our reference: {{request_number}}

I, the undersigned, declare:

1. I am the duly authorized custodian of the records of {{facility_name}}, or other
   qualified witness, and have authority to certify the records.

2. The copies transmitted with this declaration are true copies of all the records
   described in the subpoena duces tecum served on {{served_on}}.

3. The records were prepared by the personnel of {{facility_name}} in the ordinary
   course of business, at or near the time of the act, condition or event recorded.

4. The records consist of {{pages}} pages.

5. {{withheld}}

I declare under penalty of perjury under the laws of the State of California that
the foregoing is true and correct.

Executed on ____________________ at ________________________________, California.


______________________________________________
Signature of custodian of records

{{signer}}
______________________________________________
Printed name and title
";

/// The sealed inner and outer envelopes (CA Evid 1560(c)): the inner carries the title and number
/// of the action, the witness's name and the subpoena's date; the outer is directed to whoever
/// the subpoena names.
const ENVELOPE_LABELS: &str = "INNER ENVELOPE - SEALED
==============================================================
{{case_caption}}
Case No. {{case_number}}
{{court}}
Witness: Custodian of Records, {{facility_name}}
Subpoena dated (served): {{served_on}}
Records of {{patient_name}} ({{pages}} pages) and the custodian's declaration
CONFIDENTIAL - NOT TO BE OPENED EXCEPT AS THE COURT DIRECTS
==============================================================



OUTER ENVELOPE - SEALED
==============================================================
From: Custodian of Records
      {{facility_name}}

To:   {{requester_name}}
      {{requester_organization}}
      {{requester_address}}

Re:   {{case_caption}}
      Case No. {{case_number}}
      {{court}}
      Subpoenaed records - our reference {{request_number}}
==============================================================
";

/// The redisclosure statement New York requires with every written disclosure of HIV-related
/// information (PHL §2782(5), 10 NYCRR 63.5(b); the DOH-2557 wording).
const NY_HIV_STATEMENT: &str =
    "This information has been disclosed to you from confidential records which are protected
by state law. State law prohibits you from making any further disclosure of this
information without the specific written consent of the person to whom it pertains, or as
otherwise permitted by law. Any unauthorized further disclosure in violation of state law
may result in a fine or jail sentence or both. A general authorization for the release of
medical or other information is NOT sufficient authorization for further disclosure.
";

/// The built-in text of each letter: version 1, stored the first time a letter of its kind is
/// produced.
pub fn default_template(kind: LetterKind) -> String {
    let body = match kind {
        LetterKind::CustodianAffidavit => return CUSTODIAN_AFFIDAVIT.to_string(),
        LetterKind::EnvelopeLabels => return ENVELOPE_LABELS.to_string(),
        // No built-in wording: a Part 2 release stops until the facility has saved its own.
        LetterKind::Part2Notice => return String::new(),
        LetterKind::NyHivStatement => return NY_HIV_STATEMENT.to_string(),
        LetterKind::Acknowledgement => {
            "
We received your request for the records of the patient named above on {{received_on}}.
It is logged as {{request_number}}.

We will respond {{due}}.
"
        }
        LetterKind::DeficientAuthorization => {
            "
We cannot release records on the authorization that came with your request. A valid
authorization (45 CFR 164.508) must hold every required element, and this one does not:

{{failed_items}}

Please send a new authorization, complete and signed by the patient or the patient's
personal representative. Your request is on hold until it arrives; we will then process it.
"
        }
        LetterKind::ExtensionNotice => {
            "
We received your request on {{received_on}}. We are not able to complete it in the time
the law first allows, for this reason:

{{extension_reason}}

We will complete your request by {{extended_due_on}}. This is the one extension the law
allows (45 CFR 164.524(b)(2)).
"
        }
        LetterKind::Denial => {
            "
We have denied your request, for this reason:

{{reason}}

Where the law allows the denial to be reviewed, you may ask in writing that a licensed health
care professional who took no part in it review the denial; we will tell you the outcome.
You may complain to our Privacy Officer, or to the Secretary of Health and Human Services
(Office for Civil Rights, www.hhs.gov/ocr/complaints). You will not be retaliated against for
complaining.
"
        }
        LetterKind::Rejection => {
            "
We cannot fulfil your request, for this reason:

{{reason}}

If the reason can be put right, you are welcome to send a new request.
"
        }
    };
    format!("{HEAD}{body}{FOOT}")
}

/// The placeholders a template uses, in order, each once.
pub fn placeholders_in(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_string();
        if !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found
}

/// Why a Director's text cannot be a template of `kind`: a placeholder no letter fills (a typo
/// would print as written), one the kind cannot do without, an unclosed `{{`, or a control
/// character. Every problem at once.
pub fn check_template(kind: LetterKind, text: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    if text.trim().is_empty() {
        problems.push("the template is empty".to_string());
    }
    if let Some((line, c)) = text.lines().enumerate().find_map(|(i, l)| {
        l.chars().find(|c| crate::domain::text::is_unsafe_char(*c) && *c != '\t').map(|c| (i + 1, c))
    }) {
        problems.push(format!("line {line} holds a control character (U+{:04X}); type it as plain text", u32::from(c)));
    }
    let used = placeholders_in(text);
    for name in &used {
        if !PLACEHOLDERS.iter().any(|(known, _)| known == name) {
            let known: Vec<&str> = PLACEHOLDERS.iter().map(|(k, _)| *k).collect();
            problems.push(format!("{{{{{name}}}}} is not a placeholder; they are {}", known.join(", ")));
        }
    }
    for needed in required_placeholders(kind) {
        if !used.iter().any(|u| u == needed) {
            let title = kind.title().to_lowercase();
            let article = if title.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
            problems.push(format!("{article} {title} letter must hold {{{{{needed}}}}}"));
        }
    }
    let opens = text.matches("{{").count();
    let closes = text.matches("}}").count();
    if opens != closes {
        problems.push(format!("{opens} {{{{ but {closes} }}}}: a placeholder is not closed"));
    }
    if text.chars().count() > 20_000 {
        problems.push("the template is longer than 20,000 characters".to_string());
    }
    if problems.is_empty() { Ok(()) } else { Err(problems) }
}

/// What fills a letter's placeholders.
#[derive(Debug, Clone, Default)]
pub struct LetterValues {
    pub date: Option<NaiveDate>,
    pub facility_name: String,
    pub request_number: String,
    pub request_type: String,
    pub received_on: Option<NaiveDate>,
    pub due: String,
    pub patient_name: String,
    pub patient_birth_date: Option<NaiveDate>,
    pub requester_name: String,
    pub requester_organization: String,
    pub requester_address: String,
    pub failed_items: Vec<ChecklistItem>,
    pub extended_due_on: Option<NaiveDate>,
    pub extension_reason: String,
    pub reason: String,
    pub signer: String,
    pub case_caption: String,
    pub case_number: String,
    pub court: String,
    pub served_on: Option<NaiveDate>,
    pub pages: Option<i64>,
    pub withheld: String,
}

impl LetterValues {
    fn map(&self) -> BTreeMap<&'static str, String> {
        let date = |d: Option<NaiveDate>| d.map(us_date).unwrap_or_default();
        let text = |s: &str| clean(s.trim()).into_owned();
        let lines = |s: &str| s.lines().map(|l| clean(l.trim()).into_owned()).collect::<Vec<_>>().join("\n");
        BTreeMap::from([
            ("date", date(self.date)),
            ("facility_name", text(&self.facility_name)),
            ("request_number", text(&self.request_number)),
            ("request_type", text(&self.request_type)),
            ("received_on", date(self.received_on)),
            ("due", text(&self.due)),
            ("patient_name", text(&self.patient_name)),
            ("patient_birth_date", self.patient_birth_date.map(us_date).unwrap_or_else(|| "(not recorded)".into())),
            ("requester_name", text(&self.requester_name)),
            ("requester_organization", text(&self.requester_organization)),
            ("requester_address", lines(&self.requester_address)),
            ("failed_items", failed_items_text(&self.failed_items)),
            ("extended_due_on", date(self.extended_due_on)),
            ("extension_reason", lines(&self.extension_reason)),
            ("reason", lines(&self.reason)),
            ("signer", text(&self.signer)),
            ("case_caption", text(&self.case_caption)),
            ("case_number", text(&self.case_number)),
            ("court", text(&self.court)),
            ("served_on", date(self.served_on)),
            ("pages", self.pages.map(|p| p.to_string()).unwrap_or_default()),
            // A numbered paragraph of the declaration: wrapped to its page, the following lines
            // under the first's words.
            ("withheld", super::letters::wrap(&text(&self.withheld), 76).join("\n   ")),
        ])
    }
}

/// Fills `template`. A line holding only a placeholder whose value is empty (a requester with no
/// organization) is left out rather than printed blank; a multi-line value keeps the line's
/// indent on each of its lines.
pub fn render(template: &str, values: &LetterValues) -> String {
    let map = values.map();
    let mut out = String::new();
    for line in template.lines() {
        let names = placeholders_in(line);
        let only_placeholder = names.len() == 1 && line.trim() == format!("{{{{{}}}}}", names[0]);
        if only_placeholder && map.get(names[0].as_str()).is_some_and(|v| v.is_empty()) {
            continue;
        }
        let indent: String = line.chars().take_while(|c| *c == ' ').collect();
        let mut filled = line.to_string();
        for name in &names {
            let value = map.get(name.as_str()).cloned().unwrap_or_default();
            let value = value.replace('\n', &format!("\n{indent}"));
            filled = filled.replace(&format!("{{{{{name}}}}}", name = name), &value);
            // `{{ name }}` with spaces inside is the same placeholder.
            filled = filled.replace(&format!("{{{{ {name} }}}}"), &value);
        }
        out.push_str(filled.trim_end());
        out.push('\n');
    }
    out
}

/// The failed items, one a line: `  - Expiration date or event: no expiration date or event`.
pub fn failed_items_text(items: &[ChecklistItem]) -> String {
    items
        .iter()
        .filter(|i| !i.passed)
        .map(|i| {
            let reason = clean(i.reason.trim()).into_owned();
            if reason.is_empty() {
                format!("  - {}", element_words(&i.element))
            } else {
                format!("  - {}: {reason}", element_words(&i.element))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// An element of the authorization checklist in a requester's words (`Expiration date or event`).
pub fn element_words(element: &str) -> String {
    clean(crate::domain::roi::checklist::element_title(element)).into_owned()
}

/// `RGH-00041-deficient_authorization.txt`; `-2`, `-3` when one request has more than one letter of
/// a kind on a day.
pub fn file_name(number: &str, kind: LetterKind, nth: usize) -> String {
    let number: String = number.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    match nth {
        0 | 1 => format!("{number}-{}.txt", kind.code()),
        n => format!("{number}-{}-{n}.txt", kind.code()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(element: &str, passed: bool, reason: &str) -> ChecklistItem {
        ChecklistItem { element: element.into(), passed, reason: reason.into() }
    }

    fn values() -> LetterValues {
        LetterValues {
            date: NaiveDate::from_ymd_opt(2025, 3, 4),
            facility_name: "Riverbend General Hospital".into(),
            request_number: "RGH-00042".into(),
            request_type: "Authorization".into(),
            received_on: NaiveDate::from_ymd_opt(2025, 3, 3),
            due: "by 03/25/2025 (TX HSC 241.154)".into(),
            patient_name: "GARCIA, MARIA L".into(),
            patient_birth_date: NaiveDate::from_ymd_opt(1988, 9, 30),
            requester_name: "Baker & Lowe LLP".into(),
            requester_address: "400 Congress Ave\nAustin TX 78701".into(),
            failed_items: vec![
                item("core.description", true, ""),
                item("core.expiration", false, "no expiration date or event"),
                item("statement.revocation", false, "no statement of the right to revoke"),
            ],
            signer: "Jane Doe".into(),
            ..LetterValues::default()
        }
    }

    #[test]
    fn every_built_in_template_is_a_valid_template_of_its_kind() {
        for kind in LetterKind::ALL.iter().filter(|k| **k != LetterKind::Part2Notice) {
            assert_eq!(check_template(*kind, &default_template(*kind)), Ok(()), "{kind:?}");
        }
        assert!(
            check_template(LetterKind::Part2Notice, &default_template(LetterKind::Part2Notice)).is_err(),
            "the Part 2 notice has no built-in text to fall back on"
        );
    }

    #[test]
    fn the_deficient_authorization_letter_lists_exactly_the_failed_items() {
        let letter = render(&default_template(LetterKind::DeficientAuthorization), &values());
        assert!(letter.contains("  - Expiration date or event: no expiration date or event\n"), "{letter}");
        assert!(
            letter.contains("  - Statement of the right to revoke: no statement of the right to revoke\n"),
            "{letter}"
        );
        assert_eq!(letter.matches("\n  - ").count(), 2, "{letter}");
        assert!(!letter.contains("Description of the information"), "{letter}");
        assert!(!letter.contains("{{"), "{letter}");
        // No organization: its line is left out, not printed blank between name and address.
        assert!(letter.contains("Baker & Lowe LLP\n400 Congress Ave\nAustin TX 78701\n"), "{letter}");
        assert!(letter.contains("Re: GARCIA, MARIA L, born 09/30/1988"), "{letter}");
    }

    #[test]
    fn a_template_with_an_unknown_or_missing_placeholder_is_refused_naming_it() {
        let problems =
            check_template(LetterKind::ExtensionNotice, "Dear {{requester_nmae}}, request {{request_number}}")
                .unwrap_err();
        assert!(problems[0].starts_with("{{requester_nmae}} is not a placeholder; they are date,"), "{problems:?}");
        assert!(
            problems.iter().any(|p| p == "an extension notice letter must hold {{extended_due_on}}"),
            "{problems:?}"
        );
        assert!(check_template(LetterKind::Rejection, "{{request_number}} {{reason").is_err());
        assert!(check_template(LetterKind::Rejection, "{{request_number}}\u{1b}[2J {{reason}}").is_err());
    }

    #[test]
    fn a_placeholder_may_have_spaces_inside() {
        let letter = render("To {{ requester_name }} re {{request_number}}", &values());
        assert_eq!(letter, "To Baker & Lowe LLP re RGH-00042\n");
    }

    #[test]
    fn file_names_are_the_number_and_the_kind() {
        assert_eq!(file_name("RGH-00041", LetterKind::Acknowledgement, 1), "RGH-00041-acknowledgement.txt");
        assert_eq!(file_name("RGH-00041", LetterKind::Rejection, 2), "RGH-00041-rejection-2.txt");
        assert_eq!(file_name("../RGH-1", LetterKind::Denial, 1), "RGH-1-denial.txt");
    }
}
