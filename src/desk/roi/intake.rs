//! What a clerk keys at intake — on the intake screen or in a request file — and the checks it
//! passes before a number is issued. A problem names the field it is about, in the request file's
//! words (`requester.name`, `authorization.signed_on`), so that the screen can put the cursor on
//! it and the command line can give its line.

use crate::domain::roi::{
    AuthorizationForm, Delivery, LegalProcess, NewRequester, ReceivedVia, RecordFormat, RequestType, Scope,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Who asks, as the intake form holds it: an address-book entry, or a new one written with the
/// request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntakeRequester {
    Existing(i64),
    New(NewRequester),
}

impl Default for IntakeRequester {
    fn default() -> Self {
        Self::New(NewRequester {
            kind: crate::domain::roi::RequesterKind::Patient,
            name: String::new(),
            organization: String::new(),
            address: String::new(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        })
    }
}

/// A request as keyed, before the desk checks it. Serializable: a half-filled form is kept as a
/// draft in the store across a dropped session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeForm {
    /// The facility's code (`RGH`).
    pub facility: String,
    /// The patient's MRN, as typed.
    pub patient: String,
    pub received_on: Option<NaiveDate>,
    pub received_via: Option<ReceivedVia>,
    pub request_type: Option<RequestType>,
    pub purpose: String,
    pub format: Option<RecordFormat>,
    pub delivery: Option<Delivery>,
    pub pages: Option<i64>,
    pub postage_cents: Option<i64>,
    pub clerical_minutes: Option<i64>,
    pub requester: IntakeRequester,
    pub scope: Scope,
    pub authorization: Option<AuthorizationForm>,
    pub legal_process: Option<LegalProcess>,
}

/// One thing wrong with what was keyed, and which field it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The request file's name of the field: `received_on`, `requester.name`.
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_string(), message: message.into() }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The longest texts a request holds: room for any real name, address or purpose, and a bound on
/// what a pasted file can put on a clerk's screen.
pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 2_000;
/// The domain's one page limit (`domain::roi::fees::MAX_PAGES`).
pub use crate::domain::roi::fees::MAX_PAGES;
/// A request's clerical minutes and postage are counts a desk can have; past these they are
/// keying slips.
pub const MAX_MINUTES: i64 = 100_000;
pub const MAX_POSTAGE_CENTS: i64 = 1_000_000;

/// Whether a request of this type is made under an authorization (164.508): the checklist runs on
/// it, and one that arrives without its authorization is pended until it does.
pub fn needs_authorization(kind: RequestType) -> bool {
    matches!(kind, RequestType::Authorization | RequestType::Disability | RequestType::WorkersComp)
}

/// Checks of the form that need nothing but the form and today: presence, ranges, dates in their
/// order. The desk adds what needs the store (facility, patient, requester).
pub fn check_form(form: &IntakeForm, today: NaiveDate) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let mut need = |field: &str, present: bool, what: &str| {
        if !present {
            problems.push(FieldProblem::new(field, format!("missing: {what}")));
        }
    };
    need("facility", !form.facility.trim().is_empty(), "the facility's code, like RGH");
    need("patient", !form.patient.trim().is_empty(), "the patient's MRN");
    need("received_on", form.received_on.is_some(), "the day the request arrived");
    need("received_via", form.received_via.is_some(), "how it arrived (mail, fax, portal, email, in_person, phone)");
    need("type", form.request_type.is_some(), "the request type");
    need("format", form.format.is_some(), "the format asked for (paper, pdf, cd, portal, fax)");
    need("delivery", form.delivery.is_some(), "how the records go out (mail, pickup, portal, email, fax)");
    // Typed on several lines at intake (the screen's text area): lines kept, as an address's.
    text(&mut problems, "purpose", &form.purpose.lines().collect::<Vec<_>>().join(" "), MAX_TEXT, true);

    if let Some(received) = form.received_on {
        if received > today {
            problems.push(FieldProblem::new(
                "received_on",
                format!("{received} is after today ({today}); a request is logged once it has arrived"),
            ));
        }
        if received < crate::domain::dates::EARLIEST {
            problems.push(FieldProblem::new("received_on", format!("{received} is before 1900-01-01")));
        }
    }
    count(&mut problems, "pages", form.pages, 1, MAX_PAGES);
    count(&mut problems, "clerical_minutes", form.clerical_minutes, 0, MAX_MINUTES);
    count(&mut problems, "postage", form.postage_cents, 0, MAX_POSTAGE_CENTS);

    if let IntakeRequester::New(requester) = &form.requester {
        text(&mut problems, "requester.name", &requester.name, MAX_NAME, true);
        text(&mut problems, "requester.organization", &requester.organization, MAX_NAME, false);
        // Letters go there (the acknowledgement, a deficient-authorization letter): required.
        multiline(&mut problems, "requester.address", &requester.address, MAX_TEXT, true);
        text(&mut problems, "requester.phone", &requester.phone, 40, false);
        text(&mut problems, "requester.fax", &requester.fax, 40, false);
        text(&mut problems, "requester.email", &requester.email, MAX_NAME, false);
    }

    let scope = &form.scope;
    let narrowed = scope.from.is_some() || scope.to.is_some() || !scope.document_types.is_empty();
    if scope.entire_record && narrowed {
        problems
            .push(FieldProblem::new("scope.entire_record", "the whole record, or dates and document types: not both"));
    } else if !scope.entire_record && !narrowed {
        problems
            .push(FieldProblem::new("scope", "say what records: entire_record = true, or from, to and document_types"));
    }
    if let (Some(from), Some(to)) = (scope.from, scope.to)
        && to < from
    {
        problems.push(FieldProblem::new("scope.to", format!("{to} is before scope.from ({from})")));
    }
    for code in &scope.document_types {
        if code.is_empty()
            || code.len() > 20
            || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            problems.push(FieldProblem::new(
                "scope.document_types",
                format!("{:?} is not a document type code (letters, digits, _ or -, like DS or OP_NOTE)", shown(code)),
            ));
        }
    }

    if let Some(auth) = &form.authorization {
        text(&mut problems, "authorization.signer", &auth.signer, MAX_NAME, false);
        text(&mut problems, "authorization.relationship", &auth.relationship, MAX_NAME, false);
        text(&mut problems, "authorization.discloser", &auth.discloser, MAX_TEXT, false);
        text(&mut problems, "authorization.recipient", &auth.recipient, MAX_TEXT, false);
        text(&mut problems, "authorization.information", &auth.information, MAX_TEXT, false);
        text(&mut problems, "authorization.purpose", &auth.purpose, MAX_TEXT, false);
        text(&mut problems, "authorization.expiration_event", &auth.expiration_event, MAX_TEXT, false);
        // A paper that came with the request was signed before it came; a later date is a slip.
        if let (Some(signed), Some(received)) = (auth.signed_on, form.received_on)
            && signed > received
        {
            problems.push(FieldProblem::new(
                "authorization.signed_on",
                format!("{signed} is after the request was received ({received})"),
            ));
        }
    }

    match (form.request_type, &form.legal_process) {
        (Some(kind @ (RequestType::Subpoena | RequestType::CourtOrder)), None) => problems.push(FieldProblem::new(
            "legal_process",
            format!("a {} request needs its [legal_process]: kind, served_on, court, case_number", kind.code()),
        )),
        (Some(kind @ (RequestType::Subpoena | RequestType::CourtOrder)), Some(process))
            if process.kind.code() != kind.code() =>
        {
            problems.push(FieldProblem::new(
                "legal_process.kind",
                format!("{} does not match the request's type {}", process.kind.code(), kind.code()),
            ))
        }
        _ => {}
    }
    if let Some(process) = &form.legal_process {
        text(&mut problems, "legal_process.court", &process.court, MAX_NAME, true);
        text(&mut problems, "legal_process.case_number", &process.case_number, 80, true);
        if process.served_on > today {
            problems.push(FieldProblem::new(
                "legal_process.served_on",
                format!("{} is after today ({today})", process.served_on),
            ));
        }
        text(&mut problems, "legal_process.caption", &process.caption, MAX_TEXT, false);
        if let Some(return_on) = process.return_on
            && return_on < process.served_on
        {
            problems.push(FieldProblem::new(
                "legal_process.return_on",
                format!("{return_on} is before the process was served ({})", process.served_on),
            ));
        }
        if let Some(received) = form.received_on
            && process.served_on > received
        {
            problems.push(FieldProblem::new(
                "legal_process.served_on",
                format!("{} is after the request was received ({received})", process.served_on),
            ));
        }
    }
    problems
}

/// The checks of an authorization keyed after the request was logged (the request screen), received
/// on `received_on`: the intake form's own, each named `authorization.…`.
pub fn check_authorization(form: &AuthorizationForm, received_on: NaiveDate) -> Vec<FieldProblem> {
    let probe =
        IntakeForm { received_on: Some(received_on), authorization: Some(form.clone()), ..IntakeForm::default() };
    check_form(&probe, received_on).into_iter().filter(|p| p.field.starts_with("authorization.")).collect()
}

/// A text field: control characters refused (never stripped: that would keep something other than
/// what was typed), a length bound, and presence when `required`.
fn text(problems: &mut Vec<FieldProblem>, field: &str, value: &str, max: usize, required: bool) {
    if let Some(problem) = crate::domain::text::control_character_problem(field, value) {
        problems.push(FieldProblem::new(field, problem));
    } else if required && value.trim().is_empty() {
        problems.push(FieldProblem::new(field, "missing"));
    }
    let chars = value.chars().count();
    if chars > max {
        problems.push(FieldProblem::new(field, format!("{chars} characters; at most {max}")));
    }
}

/// An address: lines kept, other control characters refused.
fn multiline(problems: &mut Vec<FieldProblem>, field: &str, value: &str, max: usize, required: bool) {
    let flat: String = value.lines().collect::<Vec<_>>().join(" ");
    text(problems, field, &flat, max, required);
}

fn count(problems: &mut Vec<FieldProblem>, field: &str, value: Option<i64>, min: i64, max: i64) {
    if let Some(n) = value
        && !(min..=max).contains(&n)
    {
        problems.push(FieldProblem::new(field, format!("{n} is not between {min} and {max}")));
    }
}

/// A value quoted in a message: at most 40 characters, nothing that could reach a terminal as a
/// command.
pub(crate) fn shown(value: &str) -> String {
    crate::domain::text::clean(&value.chars().take(40).collect::<String>()).into_owned()
}

/// Dollars as a clerk writes them (`4.50`, `$4.50`, `4`, `1,204.00`) in cents, by integer
/// arithmetic: money never passes through a float.
pub fn parse_dollars(text: &str) -> Result<i64, String> {
    let raw = text.trim();
    let digits = raw.strip_prefix('$').unwrap_or(raw).replace(',', "");
    let refuse = || format!("{:?} is not an amount of dollars (like \"4.50\")", shown(raw));
    let (whole, cents) = match digits.split_once('.') {
        Some((whole, cents)) => (whole, cents),
        None => (digits.as_str(), ""),
    };
    if whole.is_empty() && cents.is_empty() {
        return Err(refuse());
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !cents.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 9 {
        return Err(refuse());
    }
    if cents.len() > 2 {
        return Err(format!("{:?}: dollars have at most two digits of cents", shown(raw)));
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| refuse())? };
    let cents: i64 = match cents.len() {
        0 => 0,
        1 => cents.parse::<i64>().map_err(|_| refuse())? * 10,
        _ => cents.parse().map_err(|_| refuse())?,
    };
    Ok(whole * 100 + cents)
}

/// `$4.50`, `$1,204.00`: the domain's one way of writing money.
pub use crate::domain::roi::fees::dollars;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dollars_are_read_without_floats() {
        assert_eq!(parse_dollars("4.50"), Ok(450));
        assert_eq!(parse_dollars("$4.5"), Ok(450));
        assert_eq!(parse_dollars("4"), Ok(400));
        assert_eq!(parse_dollars(".07"), Ok(7));
        assert_eq!(parse_dollars("1,204.00"), Ok(120_400));
        assert_eq!(parse_dollars("0.1"), Ok(10));
        assert!(parse_dollars("4.505").unwrap_err().contains("two digits of cents"));
        for bad in ["", "$", "four", "-4.50", "4.5.0", "1e3", "4 50"] {
            assert!(parse_dollars(bad).is_err(), "{bad:?} was read as dollars");
        }
    }

    proptest! {
        #[test]
        fn cents_round_trip_through_their_words(cents in 0i64..10_000_000_000) {
            prop_assert_eq!(parse_dollars(&dollars(cents)), Ok(cents));
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
    }

    fn filled() -> IntakeForm {
        IntakeForm {
            facility: "RGH".into(),
            patient: "204511".into(),
            received_on: Some(today()),
            received_via: Some(ReceivedVia::Portal),
            request_type: Some(RequestType::RightOfAccess),
            purpose: "personal use".into(),
            format: Some(RecordFormat::Pdf),
            delivery: Some(Delivery::Portal),
            requester: IntakeRequester::New(NewRequester {
                kind: crate::domain::roi::RequesterKind::Patient,
                name: "GARCIA, MARIA L".into(),
                organization: String::new(),
                address: "12 Pecan St\nAustin TX".into(),
                phone: String::new(),
                fax: String::new(),
                email: String::new(),
            }),
            scope: Scope { entire_record: true, ..Scope::default() },
            ..IntakeForm::default()
        }
    }

    fn fields(problems: &[FieldProblem]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn a_whole_form_passes() {
        assert_eq!(check_form(&filled(), today()), Vec::new());
    }

    #[test]
    fn an_empty_form_names_every_missing_field() {
        let problems = check_form(&IntakeForm::default(), today());
        assert_eq!(
            fields(&problems),
            [
                "facility",
                "patient",
                "received_on",
                "received_via",
                "type",
                "format",
                "delivery",
                "purpose",
                "requester.name",
                "requester.address",
                "scope"
            ]
        );
    }

    #[test]
    fn what_cannot_be_right_is_refused() {
        let mut form = filled();
        form.received_on = Some(today() + chrono::Duration::days(1));
        form.pages = Some(0);
        form.scope = Scope {
            entire_record: false,
            from: Some(today()),
            to: Some(today() - chrono::Duration::days(3)),
            document_types: vec!["D S".into()],
        };
        form.authorization = Some(AuthorizationForm {
            signed_on: Some(today() + chrono::Duration::days(2)),
            ..AuthorizationForm::default()
        });
        form.request_type = Some(RequestType::Subpoena);
        let problems = check_form(&form, today());
        assert_eq!(
            fields(&problems),
            ["received_on", "pages", "scope.to", "scope.document_types", "authorization.signed_on", "legal_process"],
            "{problems:?}"
        );
        assert!(problems[0].message.contains("after today"), "{problems:?}");
    }

    #[test]
    fn control_characters_are_refused_not_stripped() {
        let mut form = filled();
        form.purpose = "litigation\u{1b}[2J".into();
        let problems = check_form(&form, today());
        assert_eq!(fields(&problems), ["purpose"]);
        form.purpose = "litigation:\nmotor vehicle accident of 06/14/2024".into();
        assert!(check_form(&form, today()).is_empty(), "a purpose on two lines is a purpose");
        assert!(problems[0].message.contains("U+001B"), "{problems:?}");
    }
}
