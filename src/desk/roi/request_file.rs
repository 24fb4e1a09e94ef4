//! The request file of `chartroom roi log --file REQUEST.toml` (docs/roi.md documents every field):
//! a request as another system or a clerk's script writes it. Read whole before anything is
//! logged: a field this file does not know, one missing, or a value that cannot be one is refused
//! naming the field and its line, every problem at once, and nothing is logged.

use super::intake::{FieldProblem, IntakeForm, IntakeRequester, parse_dollars, shown};
use crate::domain::roi::{
    AuthorizationForm, AuthorizationKind, Delivery, Jurisdiction, LegalProcess, LegalProcessKind, NewRequester,
    ReceivedVia, RecordFormat, RequestType, RequesterKind, Scope,
};
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use toml::{Spanned, Value};

type Field = Option<Spanned<Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    facility: Field,
    patient: Field,
    received_on: Field,
    received_via: Field,
    #[serde(rename = "type")]
    request_type: Field,
    purpose: Field,
    format: Field,
    delivery: Field,
    pages: Field,
    postage: Field,
    clerical_minutes: Field,
    requester: Option<Spanned<RawRequester>>,
    scope: Option<Spanned<RawScope>>,
    authorization: Option<Spanned<RawAuthorization>>,
    legal_process: Option<Spanned<RawLegalProcess>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequester {
    kind: Field,
    name: Field,
    address: Field,
    organization: Field,
    phone: Field,
    fax: Field,
    email: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScope {
    entire_record: Field,
    from: Field,
    to: Field,
    document_types: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthorization {
    kind: Field,
    patient_name: Field,
    signed_on: Field,
    signer: Field,
    relationship: Field,
    discloser: Field,
    recipient: Field,
    information: Field,
    purpose: Field,
    expires_on: Field,
    expiration_event: Field,
    signature: Field,
    revocation_statement: Field,
    conditioning_statement: Field,
    redisclosure_statement: Field,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLegalProcess {
    kind: Field,
    criminal: Field,
    served_on: Field,
    court: Field,
    case_number: Field,
    caption: Field,
    return_on: Field,
    jurisdiction: Field,
}

/// A request file read whole: the form it holds, and the line of each field, so that a problem the
/// desk finds later (an MRN no patient has) is told at its line too.
#[derive(Debug, Clone)]
pub struct RequestFile {
    pub form: IntakeForm,
    lines: BTreeMap<String, usize>,
}

impl RequestFile {
    /// The line a field (`requester.name`) or table (`requester`) is on, or its table's line when
    /// the field is not in the file.
    pub fn line_of(&self, field: &str) -> Option<usize> {
        let mut key = field;
        loop {
            if let Some(line) = self.lines.get(key) {
                return Some(*line);
            }
            key = key.rsplit_once('.')?.0;
        }
    }

    /// Problems the desk found, each with its line: `line 3: patient: no patient has MRN 999999`.
    pub fn located(&self, problems: &[FieldProblem]) -> FileProblems {
        FileProblems(
            problems
                .iter()
                .map(|p| Located { line: self.line_of(&p.field), field: p.field.clone(), message: p.message.clone() })
                .collect(),
        )
    }
}

/// One problem with a request file: where, which field, what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}: {}", self.field, self.message),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

/// Every problem of a file, one a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblems(pub Vec<Located>);

impl fmt::Display for FileProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthorizationFile {
    authorization: Option<Spanned<RawAuthorization>>,
}

/// An authorization received after its request (`roi authorization NUMBER --file AUTH.toml`): a
/// file holding the `[authorization]` table of a request file alone.
pub fn parse_authorization(text: &str) -> Result<AuthorizationForm, FileProblems> {
    let raw: RawAuthorizationFile = toml::from_str(text).map_err(|e| FileProblems(vec![toml_problem(text, &e)]))?;
    let mut reader = Reader { text, lines: BTreeMap::new(), problems: Vec::new() };
    let line = reader.table_line("authorization", &raw.authorization);
    let Some(table) = raw.authorization else {
        return Err(FileProblems(vec![Located {
            line: None,
            field: "authorization".into(),
            message: "missing: the [authorization] table".into(),
        }]));
    };
    let form = reader.authorization(table.into_inner(), line);
    if reader.problems.is_empty() { Ok(form) } else { Err(FileProblems(reader.problems)) }
}

/// Reads a request file. Every problem is returned, each with its field and line.
pub fn parse(text: &str) -> Result<RequestFile, FileProblems> {
    let raw: RawFile = toml::from_str(text).map_err(|e| FileProblems(vec![toml_problem(text, &e)]))?;
    let mut reader = Reader { text, lines: BTreeMap::new(), problems: Vec::new() };
    let form = reader.form(raw);
    if reader.problems.is_empty() {
        Ok(RequestFile { form, lines: reader.lines })
    } else {
        Err(FileProblems(reader.problems))
    }
}

/// TOML's own refusal (a syntax error, a field the file does not know, a table given as a value),
/// at its line.
fn toml_problem(text: &str, e: &toml::de::Error) -> Located {
    let line = e.span().map(|span| line_at(text, span.start));
    let message = e.message().trim().to_string();
    // serde's words for an unknown field name it: `unknown field `pagez`, expected one of …`;
    // otherwise the key written on the line TOML refused, under its table.
    let field = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| shown(name))
        .or_else(|| line.and_then(|line| key_on_line(text, line)))
        .unwrap_or_else(|| "file".to_string());
    Located { line, field, message }
}

/// `scope.entire_record` for a line `entire_record = …` under `[scope]`.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let mut table = String::new();
    for (i, row) in text.lines().enumerate() {
        let row = row.trim();
        if let Some(name) = row.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            table = name.trim().to_string();
        }
        if i + 1 == line {
            let (key, _) = row.split_once('=')?;
            let key = key.trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return None;
            }
            return Some(if table.is_empty() { key.to_string() } else { format!("{table}.{key}") });
        }
    }
    None
}

fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|b| **b == b'\n').count() + 1
}

struct Reader<'a> {
    text: &'a str,
    lines: BTreeMap<String, usize>,
    problems: Vec<Located>,
}

impl Reader<'_> {
    fn problem(&mut self, field: &str, line: Option<usize>, message: impl Into<String>) {
        self.problems.push(Located { line, field: field.to_string(), message: message.into() });
    }

    /// The field's value when it is there, its line noted.
    fn take(&mut self, field: &str, value: Field) -> Option<(Value, usize)> {
        let value = value?;
        let line = line_at(self.text, value.span().start);
        self.lines.insert(field.to_string(), line);
        Some((value.into_inner(), line))
    }

    fn required<T>(&mut self, field: &str, table_line: Option<usize>, value: Option<T>, what: &str) -> Option<T> {
        if value.is_none() && !self.lines.contains_key(field) {
            self.problem(field, table_line, format!("missing: {what}"));
        }
        value
    }

    fn string(&mut self, field: &str, value: Field) -> Option<String> {
        let (value, line) = self.take(field, value)?;
        match value {
            Value::String(s) => Some(s),
            other => {
                self.problem(field, Some(line), format!("write it as text in quotes, not {}", other.type_str()));
                None
            }
        }
    }

    fn bool(&mut self, field: &str, value: Field) -> Option<bool> {
        let (value, line) = self.take(field, value)?;
        match value {
            Value::Boolean(b) => Some(b),
            other => {
                self.problem(field, Some(line), format!("true or false, not {}", describe(&other)));
                None
            }
        }
    }

    fn integer(&mut self, field: &str, value: Field) -> Option<i64> {
        let (value, line) = self.take(field, value)?;
        match value {
            Value::Integer(n) => Some(n),
            other => {
                self.problem(field, Some(line), format!("a whole number, not {}", describe(&other)));
                None
            }
        }
    }

    /// A date: a TOML date (`2025-03-03`) or one in quotes (`"2025-03-03"`, `"03/03/2025"`).
    fn date(&mut self, field: &str, value: Field) -> Option<NaiveDate> {
        let (value, line) = self.take(field, value)?;
        let text = match &value {
            Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
            Value::String(s) => s.clone(),
            other => {
                self.problem(field, Some(line), format!("a date like 2025-03-03, not {}", describe(other)));
                return None;
            }
        };
        match crate::domain::dates::parse_full_date(&text) {
            Ok(date) => Some(date),
            Err(problem) => {
                self.problem(field, Some(line), problem.to_string());
                None
            }
        }
    }

    fn code<T>(
        &mut self,
        field: &str,
        value: Field,
        parse: fn(&str) -> Result<T, crate::domain::roi::UnknownCode>,
    ) -> Option<T> {
        let line = value.as_ref().map(|v| line_at(self.text, v.span().start));
        let text = self.string(field, value)?;
        match parse(&text) {
            Ok(code) => Some(code),
            Err(unknown) => {
                self.problem(field, line, unknown.to_string());
                None
            }
        }
    }

    fn table_line<T>(&mut self, name: &str, table: &Option<Spanned<T>>) -> Option<usize> {
        let line = table.as_ref().map(|t| line_at(self.text, t.span().start))?;
        self.lines.insert(name.to_string(), line);
        Some(line)
    }

    fn authorization(&mut self, a: RawAuthorization, table_line: Option<usize>) -> AuthorizationForm {
        let kind = self.code("authorization.kind", a.kind, AuthorizationKind::parse);
        let kind = self.required("authorization.kind", table_line, kind, "hipaa, part2, hiv_specific or psychotherapy");
        let mut text = |field: &str, value: Field| self.string(field, value).unwrap_or_default();
        let patient_name = text("authorization.patient_name", a.patient_name);
        let signer = text("authorization.signer", a.signer);
        let relationship = text("authorization.relationship", a.relationship);
        let discloser = text("authorization.discloser", a.discloser);
        let recipient = text("authorization.recipient", a.recipient);
        let information = text("authorization.information", a.information);
        let purpose = text("authorization.purpose", a.purpose);
        let expiration_event = text("authorization.expiration_event", a.expiration_event);
        // What the paper lacks is the checklist's to judge, not the file's: a statement left out
        // of the file is read as not on the paper.
        let mut flag = |field: &str, value: Field| self.bool(field, value).unwrap_or(false);
        let signature = flag("authorization.signature", a.signature);
        let revocation_statement = flag("authorization.revocation_statement", a.revocation_statement);
        let conditioning_statement = flag("authorization.conditioning_statement", a.conditioning_statement);
        let redisclosure_statement = flag("authorization.redisclosure_statement", a.redisclosure_statement);
        AuthorizationForm {
            kind,
            patient_name,
            signed_on: self.date("authorization.signed_on", a.signed_on),
            signer,
            relationship,
            discloser,
            recipient,
            information,
            purpose,
            expires_on: self.date("authorization.expires_on", a.expires_on),
            expiration_event,
            signature,
            revocation_statement,
            conditioning_statement,
            redisclosure_statement,
            revoked_on: None,
        }
    }

    fn form(&mut self, raw: RawFile) -> IntakeForm {
        let facility = self.string("facility", raw.facility);
        let facility = self.required("facility", None, facility, "the facility's code, like RGH");
        let patient = match self.take("patient", raw.patient) {
            // An MRN written as a number is still the MRN.
            Some((Value::Integer(n), _)) => Some(n.to_string()),
            Some((Value::String(s), _)) => Some(s),
            Some((other, line)) => {
                self.problem("patient", Some(line), format!("the patient's MRN, not {}", describe(&other)));
                None
            }
            None => None,
        };
        let patient = self.required("patient", None, patient, "the patient's MRN");
        let received_on = self.date("received_on", raw.received_on);
        let received_on = self.required("received_on", None, received_on, "the day the request arrived");
        let received_via = self.code("received_via", raw.received_via, ReceivedVia::parse);
        let received_via = self.required("received_via", None, received_via, "how it arrived");
        let request_type = self.code("type", raw.request_type, RequestType::parse);
        let request_type = self.required("type", None, request_type, "the request type");
        let purpose = self.string("purpose", raw.purpose);
        let purpose = self.required("purpose", None, purpose, "why the records are asked for");
        let format = self.code("format", raw.format, RecordFormat::parse);
        let format = self.required("format", None, format, "the format asked for");
        let delivery = self.code("delivery", raw.delivery, Delivery::parse);
        let delivery = self.required("delivery", None, delivery, "how the records go out");
        let pages = self.integer("pages", raw.pages);
        let clerical_minutes = self.integer("clerical_minutes", raw.clerical_minutes);
        let postage_cents = match self.take("postage", raw.postage) {
            Some((Value::String(s), line)) => match parse_dollars(&s) {
                Ok(cents) => Some(cents),
                Err(problem) => {
                    self.problem("postage", Some(line), problem);
                    None
                }
            },
            // A float is refused: 4.10 as a binary fraction is not 410 cents.
            Some((other, line)) => {
                self.problem(
                    "postage",
                    Some(line),
                    format!("write dollars as text in quotes, like \"4.50\", not {}", describe(&other)),
                );
                None
            }
            None => None,
        };

        let requester_line = self.table_line("requester", &raw.requester);
        let requester = match raw.requester.map(Spanned::into_inner) {
            Some(r) => {
                let kind = self.code("requester.kind", r.kind, RequesterKind::parse);
                let kind =
                    self.required("requester.kind", requester_line, kind, "who is asking (patient, attorney, …)");
                let name = self.string("requester.name", r.name);
                let name = self.required("requester.name", requester_line, name, "the requester's name");
                let address = self.string("requester.address", r.address);
                let address = self.required("requester.address", requester_line, address, "where letters go");
                let mut optional = |field: &str, value: Field| self.string(field, value).unwrap_or_default();
                NewRequester {
                    kind: kind.unwrap_or(RequesterKind::Other),
                    name: name.unwrap_or_default(),
                    organization: optional("requester.organization", r.organization),
                    address: address.unwrap_or_default(),
                    phone: optional("requester.phone", r.phone),
                    fax: optional("requester.fax", r.fax),
                    email: optional("requester.email", r.email),
                }
            }
            None => {
                self.problem("requester", None, "missing: the [requester] table (kind, name, address)");
                IntakeRequester::default().into_new()
            }
        };

        self.table_line("scope", &raw.scope);
        let scope = match raw.scope.map(Spanned::into_inner) {
            Some(s) => {
                let entire_record = self.bool("scope.entire_record", s.entire_record).unwrap_or(false);
                let from = self.date("scope.from", s.from);
                let to = self.date("scope.to", s.to);
                let document_types = match self.take("scope.document_types", s.document_types) {
                    Some((Value::Array(items), line)) => {
                        let mut codes = Vec::new();
                        for item in items {
                            match item {
                                Value::String(code) => codes.push(code.trim().to_ascii_uppercase()),
                                other => self.problem(
                                    "scope.document_types",
                                    Some(line),
                                    format!(
                                        "a list of codes in quotes, like [\"DS\", \"HP\"], not {}",
                                        describe(&other)
                                    ),
                                ),
                            }
                        }
                        codes
                    }
                    Some((other, line)) => {
                        self.problem(
                            "scope.document_types",
                            Some(line),
                            format!("a list of codes in quotes, like [\"DS\", \"HP\"], not {}", describe(&other)),
                        );
                        Vec::new()
                    }
                    None => Vec::new(),
                };
                Scope { entire_record, from, to, document_types }
            }
            None => {
                self.problem(
                    "scope",
                    None,
                    "missing: the [scope] table (entire_record = true, or from, to, document_types)",
                );
                Scope::default()
            }
        };

        let authorization_line = self.table_line("authorization", &raw.authorization);
        let authorization =
            raw.authorization.map(Spanned::into_inner).map(|a| self.authorization(a, authorization_line));

        let process_line = self.table_line("legal_process", &raw.legal_process);
        let legal_process = raw.legal_process.map(Spanned::into_inner).and_then(|p| {
            let kind = self.code("legal_process.kind", p.kind, LegalProcessKind::parse);
            let kind = self.required("legal_process.kind", process_line, kind, "subpoena or court_order");
            let criminal = self.bool("legal_process.criminal", p.criminal);
            let criminal = self.required("legal_process.criminal", process_line, criminal, "true for a criminal case");
            let served_on = self.date("legal_process.served_on", p.served_on);
            let served_on = self.required("legal_process.served_on", process_line, served_on, "the day it was served");
            let court = self.string("legal_process.court", p.court);
            let court = self.required("legal_process.court", process_line, court, "the court");
            let case_number = self.string("legal_process.case_number", p.case_number);
            let case_number = self.required("legal_process.case_number", process_line, case_number, "the case number");
            let caption = self.string("legal_process.caption", p.caption);
            let return_on = self.date("legal_process.return_on", p.return_on);
            let jurisdiction = self.code("legal_process.jurisdiction", p.jurisdiction, Jurisdiction::parse);
            Some(LegalProcess {
                caption: caption.unwrap_or_default(),
                return_on,
                jurisdiction: jurisdiction.unwrap_or_default(),
                ..LegalProcess::served(kind?, criminal?, served_on?, court?, case_number?)
            })
        });

        IntakeForm {
            facility: facility.unwrap_or_default(),
            patient: patient.unwrap_or_default(),
            received_on,
            received_via,
            request_type,
            purpose: purpose.unwrap_or_default(),
            format,
            delivery,
            pages,
            postage_cents,
            clerical_minutes,
            requester: IntakeRequester::New(requester),
            scope,
            authorization,
            legal_process,
        }
    }
}

impl IntakeRequester {
    fn into_new(self) -> NewRequester {
        match self {
            Self::New(new) => new,
            Self::Existing(_) => IntakeRequester::default().into_new(),
        }
    }
}

/// A value's kind, and the value when it is short: `a number (4.5)`.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("text ({:?})", shown(s)),
        Value::Integer(n) => format!("a number ({n})"),
        Value::Float(x) => format!("a number ({x})"),
        Value::Boolean(b) => format!("{b}"),
        Value::Datetime(d) => format!("a date and time ({d})"),
        Value::Array(_) => "a list".to_string(),
        Value::Table(_) => "a table".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AS14: &str = r#"facility = "RGH"
patient = "204511"
received_on = 2025-03-03
received_via = "portal"
type = "right_of_access"
purpose = "personal use"
format = "pdf"
delivery = "portal"
postage = "0"

[requester]
kind = "patient"
name = "GARCIA, MARIA L"
address = """
12 Pecan St
Austin TX 78701"""

[scope]
entire_record = true
"#;

    fn problems(text: &str) -> Vec<String> {
        match parse(text) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.0.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn the_as14_request_reads_whole() {
        let file = parse(AS14).unwrap();
        let form = &file.form;
        assert_eq!(form.facility, "RGH");
        assert_eq!(form.patient, "204511");
        assert_eq!(form.received_on, NaiveDate::from_ymd_opt(2025, 3, 3));
        assert_eq!(form.received_via, Some(ReceivedVia::Portal));
        assert_eq!(form.request_type, Some(RequestType::RightOfAccess));
        assert_eq!(form.format, Some(RecordFormat::Pdf));
        assert_eq!(form.postage_cents, Some(0));
        assert!(form.scope.entire_record);
        let IntakeRequester::New(requester) = &form.requester else { panic!("a new requester") };
        assert_eq!(requester.address, "12 Pecan St\nAustin TX 78701");
        assert_eq!(file.line_of("requester.name"), Some(13));
        // A field not in the file is placed at its table.
        assert_eq!(file.line_of("requester.email"), Some(11));
        assert_eq!(file.line_of("patient"), Some(2));
    }

    #[test]
    fn an_unknown_field_is_refused_at_its_line() {
        let text = AS14.replace("kind = \"patient\"", "kind = \"patient\"\nfax_number = \"555\"");
        assert_eq!(problems(&text).len(), 1);
        let problem = &problems(&text)[0];
        assert!(problem.starts_with("line 13: fax_number: unknown field `fax_number`"), "{problem}");
    }

    #[test]
    fn a_missing_required_field_is_named_with_its_table_line() {
        let text = AS14.replace("name = \"GARCIA, MARIA L\"\n", "").replace("received_via = \"portal\"\n", "");
        assert_eq!(
            problems(&text),
            ["received_via: missing: how it arrived", "line 10: requester.name: missing: the requester's name"]
        );
    }

    #[test]
    fn bad_values_are_each_named_with_their_line() {
        let text = AS14
            .replace("received_via = \"portal\"", "received_via = \"pigeon\"")
            .replace("received_on = 2025-03-03", "received_on = \"1899-12-31\"")
            .replace("postage = \"0\"", "postage = 4.50")
            .replace("entire_record = true", "entire_record = \"yes\"");
        assert_eq!(
            problems(&text),
            [
                "line 3: received_on: 1899-12-31: dates run from 01/01/1900 to 12/31/2200",
                "line 4: received_via: \"pigeon\" is not a way of receipt; one of: mail, fax, portal, email, in_person, phone",
                "line 9: postage: write dollars as text in quotes, like \"4.50\", not a number (4.5)",
                "line 19: scope.entire_record: true or false, not text (\"yes\")"
            ]
        );
    }

    #[test]
    fn a_syntax_error_is_told_at_its_line() {
        let text = AS14.replace("format = \"pdf\"", "format = pdf");
        let found = problems(&text);
        assert_eq!(found.len(), 1);
        assert!(found[0].starts_with("line 7: format:"), "{found:?}");
        // TOML itself refuses a day a month does not have, at its line and under its key.
        let text = AS14.replace("entire_record = true", "entire_record = true\nfrom = 2025-02-30");
        assert_eq!(problems(&text), ["line 20: scope.from: invalid date, expected day between 01 and 28"]);
    }

    #[test]
    fn an_authorization_and_a_legal_process_read_with_their_types() {
        let text = format!(
            "{AS14}\n[authorization]\nkind = \"hipaa\"\nsigned_on = 2025-02-20\nsigner = \"GARCIA, MARIA L\"\n\
             signature = true\nconditioning_statement = true\n\n[legal_process]\nkind = \"subpoena\"\ncriminal = false\n\
             served_on = \"03/10/2025\"\ncourt = \"Travis County\"\ncase_number = \"D-1-GN-25-0042\"\n"
        );
        let form = parse(&text).unwrap().form;
        let auth = form.authorization.unwrap();
        assert_eq!(auth.kind, Some(AuthorizationKind::Hipaa));
        assert_eq!(auth.signed_on, NaiveDate::from_ymd_opt(2025, 2, 20));
        assert!(auth.signature && auth.conditioning_statement && !auth.revocation_statement);
        assert_eq!(auth.expires_on, None);
        let process = form.legal_process.unwrap();
        assert_eq!(process.served_on, NaiveDate::from_ymd_opt(2025, 3, 10).unwrap());
        assert!(!process.criminal);
    }
}
