//! The words of the release-of-information desk (domain.md §4.4): who asks, for what, under which
//! paper, and where a request stands. Part 2 (fees, the packet, subpoenas, the accounting) builds
//! on these same types, so they name what part 2 needs even where part 1 only stores it.
//!
//! Every enum has one `code` (snake_case: the request file's and `--json`'s word, and the store's)
//! and a `title` (the screen's word); `parse` takes the code.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A code that names no value of an enum: `what` is the enum's human name (`request type`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what}; one of: {choices}")]
pub struct UnknownCode {
    pub what: &'static str,
    pub value: String,
    pub choices: String,
}

macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident => ($code:literal, $title:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The word of the request file, `--json` and the store.
            pub fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code),+
                }
            }

            /// The word a clerk reads on screen and in letters.
            pub fn title(self) -> &'static str {
                match self {
                    $(Self::$variant => $title),+
                }
            }

            pub fn parse(code: &str) -> Result<Self, UnknownCode> {
                let code = code.trim();
                Self::ALL.iter().copied().find(|v| v.code().eq_ignore_ascii_case(code)).ok_or_else(|| UnknownCode {
                    what: $what,
                    value: code.chars().take(40).collect(),
                    choices: Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", "),
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.title())
            }
        }
    };
}

coded_enum!(
    /// What kind of request it is: picks the clocks, the checklist and (part 2) the fee schedule.
    RequestType, "request type", {
    /// The patient's own copy (45 CFR 164.524).
    RightOfAccess => ("right_of_access", "Right of access"),
    /// The patient directs a copy to a third party (164.524(c)(3)).
    ThirdPartyDirective => ("third_party_directive", "Third-party directive"),
    /// A third party holding the patient's authorization (164.508).
    Authorization => ("authorization", "Authorization"),
    Subpoena => ("subpoena", "Subpoena"),
    CourtOrder => ("court_order", "Court order"),
    ContinuityOfCare => ("continuity_of_care", "Continuity of care"),
    Disability => ("disability", "Disability (SSA)"),
    LawEnforcement => ("law_enforcement", "Law enforcement"),
    PublicHealth => ("public_health", "Public health"),
    WorkersComp => ("workers_comp", "Workers' comp"),
    /// An accounting of disclosures (164.528).
    Accounting => ("accounting", "Accounting of disclosures"),
});

coded_enum!(
    /// Who is asking (domain.md §4.4 `requester.kind`).
    RequesterKind, "requester kind", {
    Patient => ("patient", "Patient"),
    PersonalRep => ("personal_rep", "Personal representative"),
    Attorney => ("attorney", "Attorney"),
    Insurer => ("insurer", "Insurer"),
    Provider => ("provider", "Provider"),
    Ssa => ("ssa", "SSA / DDS"),
    Va => ("va", "VA"),
    LawEnforcement => ("law_enforcement", "Law enforcement"),
    Court => ("court", "Court"),
    Agency => ("agency", "Government agency"),
    Employer => ("employer", "Employer"),
    Researcher => ("researcher", "Researcher"),
    Other => ("other", "Other"),
});

coded_enum!(
    /// How the request arrived.
    ReceivedVia, "way of receipt", {
    Mail => ("mail", "Mail"),
    Fax => ("fax", "Fax"),
    Portal => ("portal", "Portal"),
    Email => ("email", "Email"),
    InPerson => ("in_person", "In person"),
    /// Documented by the clerk who took the call.
    Phone => ("phone", "Phone"),
});

coded_enum!(
    /// The form the records are asked for in.
    RecordFormat, "format", {
    Paper => ("paper", "Paper"),
    Pdf => ("pdf", "PDF"),
    Cd => ("cd", "CD"),
    Portal => ("portal", "Portal"),
    Fax => ("fax", "Fax"),
});

impl RecordFormat {
    /// An electronic copy (TX THSC §181.102's clock; the HIPAA flat-fee option in part 2).
    pub fn is_electronic(self) -> bool {
        matches!(self, Self::Pdf | Self::Cd | Self::Portal)
    }
}

coded_enum!(
    /// How the records leave.
    Delivery, "delivery", {
    Mail => ("mail", "Mail"),
    Pickup => ("pickup", "Pickup"),
    Portal => ("portal", "Portal"),
    Email => ("email", "Email"),
    Fax => ("fax", "Fax"),
});

coded_enum!(
    /// Where a request stands (domain.md §4.4). Nothing is deleted: a request entered in error is
    /// cancelled; one that cannot be fulfilled is rejected, with a reason and a letter.
    RequestStatus, "status", {
    Logged => ("logged", "Logged"),
    Validating => ("validating", "Validating"),
    Pended => ("pended", "Pended"),
    OnHold => ("on_hold", "On hold"),
    Exception => ("exception", "Exception"),
    ReadyToFulfil => ("ready_to_fulfil", "Ready to fulfil"),
    InQc => ("in_qc", "In QC"),
    AwaitingPayment => ("awaiting_payment", "Awaiting payment"),
    ReadyToRelease => ("ready_to_release", "Ready to release"),
    Released => ("released", "Released"),
    Closed => ("closed", "Closed"),
    Rejected => ("rejected", "Rejected"),
    Cancelled => ("cancelled", "Cancelled"),
});

impl RequestStatus {
    /// Still work for the desk: its clock runs and the queue lists it by default.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Released | Self::Closed | Self::Rejected | Self::Cancelled)
    }
}

coded_enum!(
    /// The paper that permits a disclosure (domain.md §4.4 `authorization.kind`).
    AuthorizationKind, "authorization kind", {
    /// A HIPAA authorization (164.508).
    Hipaa => ("hipaa", "HIPAA authorization"),
    /// A 42 CFR Part 2 consent (§2.31).
    Part2 => ("part2", "Part 2 consent"),
    /// New York's HIV-specific release (PHL §2782).
    HivSpecific => ("hiv_specific", "HIV-specific release"),
    /// An authorization for psychotherapy notes alone (164.508(a)(2)).
    Psychotherapy => ("psychotherapy", "Psychotherapy-notes authorization"),
});

coded_enum!(
    /// A subpoena or an order (part 2 works them; part 1 logs and clocks them).
    LegalProcessKind, "legal process", {
    Subpoena => ("subpoena", "Subpoena"),
    CourtOrder => ("court_order", "Court order"),
});

coded_enum!(
    /// Whose court a subpoena or an order comes from: a federal civil subpoena's objections run
    /// under FRCP 45; a state's under its own code (California's under CCP 1985.3 and Evid 1560).
    #[derive(Default)]
    Jurisdiction, "jurisdiction", {
    #[default]
    State => ("state", "State"),
    Federal => ("federal", "Federal"),
});

coded_enum!(
    /// The letters the desk writes; each records the template version it used.
    LetterKind, "letter", {
    Acknowledgement => ("acknowledgement", "Acknowledgement"),
    DeficientAuthorization => ("deficient_authorization", "Deficient authorization"),
    ExtensionNotice => ("extension_notice", "Extension notice"),
    Denial => ("denial", "Denial"),
    Rejection => ("rejection", "Rejection"),
    /// The custodian's declaration that goes with subpoenaed records (CA Evid 1561).
    CustodianAffidavit => ("custodian_affidavit", "Custodian affidavit"),
    /// The sealed inner and outer envelope labels of subpoenaed records (CA Evid 1560(c)).
    EnvelopeLabels => ("envelope_labels", "Envelope labels"),
    /// The 42 CFR 2.32 notice that goes first in a packet carrying Part 2 pages. It has no
    /// built-in text: the facility's counsel-checked wording must be saved before any Part 2
    /// release (AS-22).
    Part2Notice => ("part2_notice", "Part 2 notice"),
    /// New York's HIV redisclosure statement (10 NYCRR 63.5(b)), in a packet carrying HIV pages.
    NyHivStatement => ("ny_hiv_statement", "NY HIV redisclosure statement"),
});

impl LetterKind {
    /// A text printed inside a release packet, never a letter on its own.
    pub fn is_packet_notice(self) -> bool {
        matches!(self, Self::Part2Notice | Self::NyHivStatement)
    }
}

coded_enum!(
    /// The legal basis of a disclosure (domain.md §4.4 `disclosure.legal_basis`); whether it is
    /// accountable under 164.528 follows from it.
    LegalBasis, "legal basis", {
    Authorization => ("authorization", "Authorization"),
    Tpo => ("tpo", "Treatment, payment, operations"),
    Individual => ("individual", "To the individual"),
    RequiredByLaw => ("required_by_law", "Required by law"),
    PublicHealth => ("public_health", "Public health"),
    Judicial => ("judicial", "Judicial"),
    LawEnforcement => ("law_enforcement", "Law enforcement"),
    Oversight => ("oversight", "Health oversight"),
    WorkersComp => ("workers_comp", "Workers' comp"),
    ResearchWaiver => ("research_waiver", "Research under a waiver"),
    Decedent => ("decedent", "Coroner, funeral director, organ procurement"),
    Breach => ("breach", "Impermissible disclosure"),
    Incidental => ("incidental", "Incident to a permitted use"),
    Directory => ("directory", "Facility directory, persons involved in care"),
    NationalSecurity => ("national_security", "National security, intelligence"),
    Custody => ("custody", "Correctional institution, law-enforcement custody"),
    LimitedDataSet => ("limited_data_set", "Limited data set"),
});

impl LegalBasis {
    /// 164.528(a)(1): the bases whose disclosures are never in an accounting (TPO, to the
    /// individual, incidental, under an authorization, directory and persons involved, national
    /// security, custody, a limited data set); the others are. The date matters too:
    /// `accounting::accountable` is what the desk asks.
    pub fn accountable(self) -> bool {
        !matches!(
            self,
            Self::Tpo
                | Self::Individual
                | Self::Authorization
                | Self::Incidental
                | Self::Directory
                | Self::NationalSecurity
                | Self::Custody
                | Self::LimitedDataSet
        )
    }

    /// The basis a release under `kind` rests on, unless a legal process says otherwise.
    pub fn for_request(kind: RequestType) -> Self {
        match kind {
            RequestType::RightOfAccess | RequestType::Accounting => Self::Individual,
            RequestType::ThirdPartyDirective | RequestType::Authorization | RequestType::Disability => {
                Self::Authorization
            }
            RequestType::Subpoena | RequestType::CourtOrder => Self::Judicial,
            RequestType::ContinuityOfCare => Self::Tpo,
            RequestType::LawEnforcement => Self::LawEnforcement,
            RequestType::PublicHealth => Self::PublicHealth,
            RequestType::WorkersComp => Self::WorkersComp,
        }
    }
}

/// A request's number: the facility's code and a 5-digit sequence of that facility, BRN style
/// (`RGH-00041`). The sequence grows past 99,999 without being cut (`RGH-100000`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RequestNumber {
    pub facility: String,
    pub seq: i64,
}

impl RequestNumber {
    /// `RGH-00041`, `rgh-41` and ` RGH-00041 ` all name the same request.
    pub fn parse(text: &str) -> Option<Self> {
        let (facility, seq) = text.trim().split_once('-')?;
        let facility = facility.trim().to_ascii_uppercase();
        if !(2..=8).contains(&facility.len()) || !facility.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        let digits = seq.trim();
        if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let seq: i64 = digits.parse().ok()?;
        (seq > 0).then_some(Self { facility, seq })
    }
}

impl fmt::Display for RequestNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:05}", self.facility, self.seq)
    }
}

/// Someone who asks for records: the address book's entry. A patient asking for their own
/// records is a requester of kind `patient` too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub id: i64,
    pub kind: RequesterKind,
    pub name: String,
    pub organization: String,
    /// Lines separated by `\n`.
    pub address: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRequester {
    pub kind: RequesterKind,
    pub name: String,
    pub organization: String,
    pub address: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
}

/// What records a request covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    pub entire_record: bool,
    /// Service dates, inclusive; either end may be open.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Document type codes (`DS`, `HP`, `OP`…); empty with `entire_record` false means every type
    /// within the dates.
    pub document_types: Vec<String>,
}

/// An authorization as the clerk keyed it from the paper (164.508(c); §2.31 for Part 2). Empty
/// strings are elements not filled in; the checklist (`domain::roi::checklist`) judges them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationForm {
    pub kind: Option<AuthorizationKind>,
    /// The patient as the paper names them: a Part 2 consent must (42 CFR 2.31(a)(1)).
    #[serde(default)]
    pub patient_name: String,
    pub signed_on: Option<NaiveDate>,
    pub signer: String,
    /// `self`, or the personal representative's relationship and authority.
    pub relationship: String,
    /// Who may disclose (core element 2).
    pub discloser: String,
    /// Who receives (core element 3).
    pub recipient: String,
    /// What information (core element 1).
    pub information: String,
    /// Why (core element 4).
    pub purpose: String,
    pub expires_on: Option<NaiveDate>,
    pub expiration_event: String,
    /// Signed (core element 6).
    pub signature: bool,
    pub revocation_statement: bool,
    pub conditioning_statement: bool,
    pub redisclosure_statement: bool,
    /// Known revoked on this date (164.508(b)(2)(iii)).
    pub revoked_on: Option<NaiveDate>,
}

/// One element of the authorization checklist, as run: `core.expiration` failed "no expiration
/// date or event".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// `core.description`, `statement.revocation`, `part2.patient_name`… stable: tests, `--json`
    /// and the letter's lines key on it.
    pub element: String,
    pub passed: bool,
    /// Why it failed, or what was found; in a clerk's words.
    pub reason: String,
}

/// A subpoena's or an order's particulars, and the papers that let the desk answer it
/// (164.512(e), 42 CFR 2.64); `domain::roi::legal` judges them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalProcess {
    pub kind: LegalProcessKind,
    pub criminal: bool,
    pub served_on: NaiveDate,
    pub court: String,
    pub case_number: String,
    /// The case's title as the subpoena gives it (`GARCIA v. LAKESIDE TRANSIT`): the envelopes and
    /// the affidavit carry it (CA Evid 1560(c)).
    #[serde(default)]
    pub caption: String,
    /// The return (compliance) date the subpoena sets.
    #[serde(default)]
    pub return_on: Option<NaiveDate>,
    #[serde(default)]
    pub jurisdiction: Jurisdiction,
    /// The party's written satisfactory assurance (164.512(e)(1)(ii)(A), (iii)).
    #[serde(default)]
    pub assurance: Option<Assurance>,
    /// The day a qualified protective order was received (164.512(e)(1)(ii)(B), (v)).
    #[serde(default)]
    pub qpo_on: Option<NaiveDate>,
    /// A 42 CFR 2.64 order authorizing disclosure of Part 2 records.
    #[serde(default)]
    pub part2_order: Option<Part2Order>,
}

impl LegalProcess {
    /// A process as served, before any paper has been received for it.
    pub fn served(
        kind: LegalProcessKind,
        criminal: bool,
        served_on: NaiveDate,
        court: impl Into<String>,
        case_number: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            criminal,
            served_on,
            court: court.into(),
            case_number: case_number.into(),
            caption: String::new(),
            return_on: None,
            jurisdiction: Jurisdiction::State,
            assurance: None,
            qpo_on: None,
            part2_order: None,
        }
    }
}

/// A satisfactory assurance as received: the notice to the individual, with the time to object
/// elapsed (or the objections resolved), as the note says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assurance {
    pub received_on: NaiveDate,
    #[serde(default)]
    pub note: String,
}

/// A 42 CFR 2.64 court order, as the clerk keyed it from the paper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part2Order {
    pub ordered_on: NaiveDate,
    pub court: String,
    pub order_no: String,
}

/// One clock as computed for a request, kept with it so that `roi show` and the request screen
/// say what the desk decided and why (`CA HSC 123110: 15 days` → 2025-03-18, or waiting for
/// payment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockRecord {
    /// Stable short code: `HIPAA-30`, `TX-181.102`, `CA-123110`.
    pub code: String,
    /// The clerk's words: `CA HSC 123110: 15 days`.
    pub rule: String,
    /// The date it falls on; `None` while it waits on something (`waits_for`).
    pub due_on: Option<NaiveDate>,
    /// What an undated clock waits for: `payment`.
    pub waits_for: Option<String>,
}

/// The due date the desk settled on: the earliest dated clock, with its rule; every clock kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueDate {
    pub due_on: Option<NaiveDate>,
    /// The rule of the clock that set `due_on` (`TX-181.102`), or what the earliest waits for.
    pub due_rule: String,
    pub clocks: Vec<ClockRecord>,
}
