//! The release packet (domain.md §2.1, §2.2, §2.5, §2.6): which of a patient's documents a request
//! may carry out of the building. Each document the request's scope reaches is either included —
//! with the notices that must travel with it — or left out with the reason in a clerk's words;
//! what stands in the way of the rest of the request is a blocking item. Pure: the desk passes in
//! the request's kind, the authorizations that stand on the day, the facility's state and whether
//! a §2.64 order is on file.

use super::{AuthorizationKind, RequestType, Scope};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The categories a document may carry that change who may receive it (domain.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SensitiveCategory {
    #[serde(rename = "SUD_PART2")]
    SudPart2,
    #[serde(rename = "PSYCHOTHERAPY")]
    Psychotherapy,
    #[serde(rename = "HIV")]
    Hiv,
    #[serde(rename = "GENETIC")]
    Genetic,
    #[serde(rename = "BEHAVIORAL")]
    Behavioral,
    #[serde(rename = "REPRODUCTIVE")]
    Reproductive,
}

impl SensitiveCategory {
    pub const ALL: &'static [Self] =
        &[Self::SudPart2, Self::Psychotherapy, Self::Hiv, Self::Genetic, Self::Behavioral, Self::Reproductive];

    pub fn code(self) -> &'static str {
        match self {
            Self::SudPart2 => "SUD_PART2",
            Self::Psychotherapy => "PSYCHOTHERAPY",
            Self::Hiv => "HIV",
            Self::Genetic => "GENETIC",
            Self::Behavioral => "BEHAVIORAL",
            Self::Reproductive => "REPRODUCTIVE",
        }
    }

    /// The short flag a packet row shows.
    pub fn flag(self) -> &'static str {
        match self {
            Self::SudPart2 => "P2",
            Self::Psychotherapy => "PSY",
            Self::Hiv => "HIV",
            Self::Genetic => "GEN",
            Self::Behavioral => "BH",
            Self::Reproductive => "RH",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.code().eq_ignore_ascii_case(code.trim()))
    }

    /// `SUD_PART2,HIV` as the stores keep it, and back; codes not known are dropped, never guessed.
    pub fn join(categories: &[Self]) -> String {
        categories.iter().map(|c| c.code()).collect::<Vec<_>>().join(",")
    }

    pub fn split(text: &str) -> Vec<Self> {
        let mut found: Vec<Self> = text.split(',').filter_map(Self::parse).collect();
        found.sort();
        found.dedup();
        found
    }
}

/// What must travel with released pages (domain.md §4.4 `disclosure.notices_attached`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Notice {
    /// 42 CFR 2.32's notice prohibiting redisclosure.
    #[serde(rename = "PART2_2_32")]
    Part2Notice,
    /// A copy of the Part 2 consent (2024 rule).
    #[serde(rename = "CONSENT_COPY")]
    ConsentCopy,
    /// New York's HIV redisclosure statement (10 NYCRR 63.5(b)).
    #[serde(rename = "NY_HIV")]
    NyHiv,
}

impl Notice {
    pub const ALL: &'static [Self] = &[Self::Part2Notice, Self::ConsentCopy, Self::NyHiv];

    pub fn code(self) -> &'static str {
        match self {
            Self::Part2Notice => "PART2_2_32",
            Self::ConsentCopy => "CONSENT_COPY",
            Self::NyHiv => "NY_HIV",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Part2Notice => "Part 2 notice (42 CFR 2.32)",
            Self::ConsentCopy => "Copy of the Part 2 consent",
            Self::NyHiv => "NY HIV redisclosure statement",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|n| n.code() == code.trim())
    }

    pub fn join(notices: &[Self]) -> String {
        notices.iter().map(|n| n.code()).collect::<Vec<_>>().join(",")
    }

    pub fn split(text: &str) -> Vec<Self> {
        text.split(',').filter_map(Self::parse).collect()
    }
}

/// The blocking item of a Part 2 document under a subpoena with no order (AS-21).
pub const PART2_ORDER_REQUIRED: &str =
    "Part 2: §2.64 authorizing court order required (subpoena alone insufficient, §2.61)";

/// A document as the packet rule sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketDocument {
    pub id: i64,
    pub doc_type: String,
    pub title: String,
    /// The day of service the request's date range is judged by.
    pub on: NaiveDate,
    pub pages: i64,
    pub categories: Vec<SensitiveCategory>,
    pub in_designated_record_set: bool,
    /// The facility of the document's encounter: a request is made to one facility, and its
    /// packet carries that facility's records only.
    pub facility_id: i64,
}

/// The request as the packet rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketContext {
    /// The facility the request was made to: only its documents are offered.
    pub facility_id: i64,
    pub request_type: RequestType,
    pub scope: Scope,
    /// The kinds of the authorizations that stand on the day of release.
    pub authorizations: Vec<AuthorizationKind>,
    /// A standing authorization that describes genetic information by name (164.508(c)(1)(i):
    /// a specific description; many states ask for it by name).
    pub genetic_named: bool,
    /// The facility's state: New York's HIV rule is the facility's.
    pub state: String,
    /// A §2.64 order authorizing the Part 2 disclosure is on file (the legal-process record).
    pub part2_court_order: bool,
}

/// What the rule decided for one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Included { notices: Vec<Notice> },
    Excluded { reason: String },
}

impl Decision {
    pub fn is_included(&self) -> bool {
        matches!(self, Self::Included { .. })
    }
}

/// The documents the request reaches, each decided, and what blocks the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketRuling {
    pub documents: Vec<(PacketDocument, Decision)>,
    pub blocking: Vec<String>,
}

impl PacketRuling {
    /// Every notice the included documents need, each once, in the order the packet prints them.
    pub fn notices(&self) -> Vec<Notice> {
        notices_of(self.documents.iter().map(|(_, d)| d))
    }
}

/// The notices of the decisions given, each once, in [`Notice::ALL`]'s order.
pub fn notices_of<'a>(decisions: impl Iterator<Item = &'a Decision>) -> Vec<Notice> {
    let mut all: Vec<Notice> = decisions
        .filter_map(|d| match d {
            Decision::Included { notices } => Some(notices.iter().copied()),
            Decision::Excluded { .. } => None,
        })
        .flatten()
        .collect();
    all.sort();
    all.dedup();
    all
}

/// What a custodian's declaration says was withheld from the copies it swears to: the documents
/// and pages left out, counted by the reason each was left out, never what they hold. `left_out`
/// is each document left out as (pages, reason).
pub fn withheld_words<'a>(left_out: impl Iterator<Item = (i64, &'a str)>) -> String {
    let mut by_reason: Vec<(&str, i64, i64)> = Vec::new();
    for (pages, reason) in left_out {
        match by_reason.iter_mut().find(|(r, _, _)| *r == reason) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 += pages;
            }
            None => by_reason.push((reason, 1, pages)),
        }
    }
    if by_reason.is_empty() {
        return "No record described in the subpoena that this facility holds was withheld.".to_string();
    }
    let count = |n: i64, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    let (documents, pages) = by_reason.iter().fold((0, 0), |(d, p), (_, dn, pn)| (d + dn, p + pn));
    let reasons: Vec<String> = by_reason
        .iter()
        .map(|(reason, d, p)| {
            format!("{} ({}): {reason}", count(*d, "document", "documents"), count(*p, "page", "pages"))
        })
        .collect();
    format!(
        "Withheld from these copies: {} ({}), not transmitted, for these reasons: {}.",
        count(documents, "document", "documents"),
        count(pages, "page", "pages"),
        reasons.join("; ")
    )
}

/// Whether the request's scope reaches the document: the entire record does; otherwise its types
/// (none named: every type) and its dates, inclusive.
pub fn in_scope(scope: &Scope, doc: &PacketDocument) -> bool {
    if scope.entire_record {
        return true;
    }
    let typed = scope.document_types.is_empty()
        || scope.document_types.iter().any(|t| t.trim().eq_ignore_ascii_case(doc.doc_type.trim()));
    let after = scope.from.is_none_or(|from| doc.on >= from);
    let before = scope.to.is_none_or(|to| doc.on <= to);
    typed && after && before
}

/// The packet of a request: the documents of its facility in its scope, each decided; another
/// facility's documents, or those outside the scope, are not offered at all (that facility's
/// custodian answers for its own records).
pub fn rule_packet(ctx: &PacketContext, documents: &[PacketDocument]) -> PacketRuling {
    let mut blocking = Vec::new();
    let decided: Vec<(PacketDocument, Decision)> = documents
        .iter()
        .filter(|doc| doc.facility_id == ctx.facility_id && in_scope(&ctx.scope, doc))
        .map(|doc| {
            let decision = decide(ctx, doc);
            if part2_needs_order(ctx, doc) && !blocking.iter().any(|b| b == PART2_ORDER_REQUIRED) {
                blocking.push(PART2_ORDER_REQUIRED.to_string());
            }
            (doc.clone(), decision)
        })
        .collect();
    PacketRuling { documents: decided, blocking }
}

fn has(ctx: &PacketContext, kind: AuthorizationKind) -> bool {
    ctx.authorizations.contains(&kind)
}

fn legal_process(kind: RequestType) -> bool {
    matches!(kind, RequestType::Subpoena | RequestType::CourtOrder)
}

/// The patient's own copy (164.524), which a directive sends on to another.
fn own_access(kind: RequestType) -> bool {
    matches!(kind, RequestType::RightOfAccess | RequestType::ThirdPartyDirective)
}

fn part2_needs_order(ctx: &PacketContext, doc: &PacketDocument) -> bool {
    doc.categories.contains(&SensitiveCategory::SudPart2) && legal_process(ctx.request_type) && !ctx.part2_court_order
}

/// One document: the first rule that leaves it out says why; else it goes with its notices.
pub fn decide(ctx: &PacketContext, doc: &PacketDocument) -> Decision {
    let out = |reason: &str| Decision::Excluded { reason: reason.to_string() };
    let cats = &doc.categories;
    let access = own_access(ctx.request_type);
    if cats.contains(&SensitiveCategory::Psychotherapy) {
        if access {
            return out("Psychotherapy notes are not part of the patient's right of access (164.524(a)(1)(i))");
        }
        if !has(ctx, AuthorizationKind::Psychotherapy) {
            return out(
                "Psychotherapy notes need their own authorization (164.508(a)(2)); a general one does not cover them",
            );
        }
    }
    if access && !doc.in_designated_record_set {
        return out("Outside the designated record set: not part of the right of access (164.524(a))");
    }
    let mut notices = Vec::new();
    if cats.contains(&SensitiveCategory::SudPart2) {
        if part2_needs_order(ctx, doc) {
            return out("Part 2 record: a §2.64 court order is required (a subpoena alone is insufficient, §2.61)");
        }
        // The patient's own access to their Part 2 record needs no consent (42 CFR 2.23); any other
        // disclosure does, and carries the §2.32 notice and a copy of the consent.
        if !access {
            if !legal_process(ctx.request_type) && !has(ctx, AuthorizationKind::Part2) {
                return out(
                    "Part 2 record: needs a Part 2 consent (42 CFR 2.31); a HIPAA authorization does not cover it",
                );
            }
            notices.push(Notice::Part2Notice);
            if has(ctx, AuthorizationKind::Part2) {
                notices.push(Notice::ConsentCopy);
            }
        }
    }
    if cats.contains(&SensitiveCategory::Hiv) && ctx.state.trim().eq_ignore_ascii_case("NY") && !access {
        if legal_process(ctx.request_type) && !has(ctx, AuthorizationKind::HivSpecific) {
            return out("HIV-related information: a subpoena alone is insufficient in New York (PHL §2785)");
        }
        if !has(ctx, AuthorizationKind::HivSpecific) {
            return out("HIV-related information: New York needs an HIV-specific release (PHL §2782)");
        }
        notices.push(Notice::NyHiv);
    }
    // domain.md §2.6: genetic information goes only on a specific authorization — a subpoena or a
    // court order is no authorization, so only the patient's own access or a release that names
    // genetic information carries it.
    if cats.contains(&SensitiveCategory::Genetic) && !access && !ctx.genetic_named {
        if legal_process(ctx.request_type) {
            return out(
                "Genetic information: needs an authorization that names it (164.508(c)(1)(i)); a subpoena or court order alone is not one",
            );
        }
        return out("Genetic information: needs an authorization that names it (164.508(c)(1)(i))");
    }
    Decision::Included { notices }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn doc(id: i64, pages: i64, categories: &[SensitiveCategory]) -> PacketDocument {
        PacketDocument {
            id,
            doc_type: "PROGRESS".into(),
            title: format!("Note {id}"),
            on: d(2025, 2, 10),
            pages,
            categories: categories.to_vec(),
            in_designated_record_set: true,
            facility_id: 1,
        }
    }

    fn ctx(request_type: RequestType, authorizations: &[AuthorizationKind]) -> PacketContext {
        PacketContext {
            facility_id: 1,
            request_type,
            scope: Scope { entire_record: true, ..Scope::default() },
            authorizations: authorizations.to_vec(),
            genetic_named: false,
            state: "TX".into(),
            part2_court_order: false,
        }
    }

    fn reason(decision: &Decision) -> &str {
        match decision {
            Decision::Excluded { reason } => reason,
            Decision::Included { .. } => panic!("included: {decision:?}"),
        }
    }

    use AuthorizationKind as A;
    use SensitiveCategory as C;

    #[test]
    fn psychotherapy_notes_go_only_under_their_own_authorization_and_never_on_access() {
        let note = doc(1, 3, &[C::Psychotherapy]);
        let access = decide(&ctx(RequestType::RightOfAccess, &[]), &note);
        assert!(reason(&access).contains("164.524(a)(1)(i)"));
        let general = decide(&ctx(RequestType::Authorization, &[A::Hipaa]), &note);
        assert!(reason(&general).contains("their own authorization"));
        let own = decide(&ctx(RequestType::Authorization, &[A::Psychotherapy]), &note);
        assert_eq!(own, Decision::Included { notices: vec![] });
        let directive = decide(&ctx(RequestType::ThirdPartyDirective, &[A::Psychotherapy]), &note);
        assert!(!directive.is_included(), "a directive is the patient's access, which never reaches them");
    }

    #[test]
    fn right_of_access_leaves_out_what_is_outside_the_designated_record_set() {
        let outside = PacketDocument { in_designated_record_set: false, ..doc(1, 2, &[]) };
        assert!(reason(&decide(&ctx(RequestType::RightOfAccess, &[]), &outside)).contains("designated record set"));
        assert!(decide(&ctx(RequestType::Authorization, &[A::Hipaa]), &outside).is_included());
    }

    #[test]
    fn part2_under_a_subpoena_without_an_order_is_left_out_and_blocks() {
        let docs = [doc(1, 10, &[]), doc(2, 4, &[C::SudPart2])];
        let ruling = rule_packet(&ctx(RequestType::Subpoena, &[]), &docs);
        assert!(ruling.documents[0].1.is_included());
        assert!(reason(&ruling.documents[1].1).contains("§2.64"));
        assert_eq!(ruling.blocking, [PART2_ORDER_REQUIRED]);
        let ordered = PacketContext { part2_court_order: true, ..ctx(RequestType::Subpoena, &[]) };
        let ruling = rule_packet(&ordered, &docs);
        assert!(ruling.blocking.is_empty());
        assert_eq!(ruling.documents[1].1, Decision::Included { notices: vec![Notice::Part2Notice] });
    }

    #[test]
    fn part2_under_a_consent_carries_the_notice_and_the_consent_copy() {
        let part2 = doc(1, 4, &[C::SudPart2]);
        let hipaa = decide(&ctx(RequestType::Authorization, &[A::Hipaa]), &part2);
        assert!(reason(&hipaa).contains("Part 2 consent"));
        let consent = decide(&ctx(RequestType::Authorization, &[A::Part2]), &part2);
        assert_eq!(consent, Decision::Included { notices: vec![Notice::Part2Notice, Notice::ConsentCopy] });
        // The patient's own access to their record needs no consent (42 CFR 2.23).
        assert_eq!(decide(&ctx(RequestType::RightOfAccess, &[]), &part2), Decision::Included { notices: vec![] });
    }

    #[test]
    fn new_york_hiv_needs_the_specific_release_and_adds_the_statement() {
        let hiv = doc(1, 6, &[C::Hiv]);
        let ny = |kinds: &[AuthorizationKind]| PacketContext {
            state: "NY".into(),
            ..ctx(RequestType::Authorization, kinds)
        };
        assert!(reason(&decide(&ny(&[A::Hipaa]), &hiv)).contains("HIV-specific release"));
        assert_eq!(decide(&ny(&[A::Hipaa, A::HivSpecific]), &hiv), Decision::Included { notices: vec![Notice::NyHiv] });
        assert!(decide(&ctx(RequestType::Authorization, &[A::Hipaa]), &hiv).is_included(), "Texas has no such rule");
    }

    #[test]
    fn genetic_information_needs_an_authorization_that_names_it() {
        let genetic = doc(1, 2, &[C::Genetic]);
        assert!(reason(&decide(&ctx(RequestType::Authorization, &[A::Hipaa]), &genetic)).contains("names it"));
        let named = PacketContext { genetic_named: true, ..ctx(RequestType::Authorization, &[A::Hipaa]) };
        assert!(decide(&named, &genetic).is_included());
        for legal in [RequestType::Subpoena, RequestType::CourtOrder] {
            assert!(reason(&decide(&ctx(legal, &[]), &genetic)).contains("subpoena or court order alone"), "{legal:?}");
            let named = PacketContext { genetic_named: true, ..ctx(legal, &[A::Hipaa]) };
            assert!(decide(&named, &genetic).is_included(), "{legal:?} with a release naming it");
        }
        assert!(decide(&ctx(RequestType::RightOfAccess, &[]), &genetic).is_included(), "the patient's own access");
    }

    #[test]
    fn documents_outside_the_scope_are_not_offered() {
        let scope = Scope {
            entire_record: false,
            from: Some(d(2025, 2, 1)),
            to: Some(d(2025, 2, 28)),
            document_types: vec!["DS".into()],
        };
        let context = PacketContext { scope, ..ctx(RequestType::Authorization, &[A::Hipaa]) };
        let ds = PacketDocument { doc_type: "DS".into(), ..doc(1, 2, &[]) };
        let early = PacketDocument { on: d(2025, 1, 31), ..ds.clone() };
        let other = doc(3, 2, &[]);
        let ruling = rule_packet(&context, &[ds.clone(), early, other]);
        assert_eq!(ruling.documents.iter().map(|(d, _)| d.id).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn the_declaration_counts_what_was_withheld_by_reason_and_never_names_it() {
        assert!(withheld_words(std::iter::empty()).starts_with("No record"));
        let words =
            withheld_words([(4, "Part 2 record"), (6, "Part 2 record"), (1, "Left out by the clerk")].into_iter());
        assert_eq!(
            words,
            "Withheld from these copies: 3 documents (11 pages), not transmitted, for these reasons: 2 documents \
             (10 pages): Part 2 record; 1 document (1 page): Left out by the clerk."
        );
    }

    #[test]
    fn another_facilitys_documents_are_not_offered() {
        let elsewhere = PacketDocument { facility_id: 2, ..doc(2, 12, &[]) };
        let ruling = rule_packet(&ctx(RequestType::Subpoena, &[]), &[doc(1, 3, &[]), elsewhere]);
        assert_eq!(ruling.documents.iter().map(|(d, _)| d.id).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn categories_and_notices_are_kept_as_codes_and_read_back() {
        assert_eq!(SensitiveCategory::split("HIV,SUD_PART2,nonsense,HIV"), [C::SudPart2, C::Hiv]);
        assert_eq!(SensitiveCategory::join(&[C::SudPart2, C::Hiv]), "SUD_PART2,HIV");
        assert_eq!(Notice::split(&Notice::join(Notice::ALL)), Notice::ALL);
        assert_eq!(Notice::split(""), []);
    }

    fn any_category() -> impl Strategy<Value = SensitiveCategory> {
        prop::sample::select(SensitiveCategory::ALL.to_vec())
    }

    fn any_kind() -> impl Strategy<Value = AuthorizationKind> {
        prop::sample::select(AuthorizationKind::ALL.to_vec())
    }

    fn any_request_type() -> impl Strategy<Value = RequestType> {
        prop::sample::select(RequestType::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn no_psychotherapy_note_or_part2_page_goes_without_its_paper(
            request_type in any_request_type(),
            kinds in prop::collection::vec(any_kind(), 0..4),
            categories in prop::collection::vec(any_category(), 0..4),
            in_drs in any::<bool>(),
            ny in any::<bool>(),
            order in any::<bool>(),
            genetic_named in any::<bool>(),
        ) {
            let context = PacketContext {
                state: if ny { "NY".into() } else { "TX".into() },
                part2_court_order: order,
                genetic_named,
                ..ctx(request_type, &kinds)
            };
            let document = PacketDocument { in_designated_record_set: in_drs, ..doc(1, 3, &categories) };
            let decision = decide(&context, &document);
            if let Decision::Included { notices } = &decision {
                let access = own_access(request_type);
                if categories.contains(&C::Psychotherapy) {
                    prop_assert!(!access && kinds.contains(&A::Psychotherapy));
                }
                if access {
                    prop_assert!(in_drs);
                }
                if categories.contains(&C::SudPart2) && !access {
                    prop_assert!(notices.contains(&Notice::Part2Notice));
                    prop_assert!(kinds.contains(&A::Part2) || (legal_process(request_type) && order));
                }
                if categories.contains(&C::Genetic) && !access {
                    prop_assert!(genetic_named);
                }
                if categories.contains(&C::Hiv) && ny && !access {
                    prop_assert!(kinds.contains(&A::HivSpecific) && notices.contains(&Notice::NyHiv));
                }
            } else {
                prop_assert!(!reason(&decision).is_empty());
            }
        }
    }
}
