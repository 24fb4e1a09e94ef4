//! The authorization checklist (45 CFR 164.508(b)–(c); 42 CFR 2.31 for a Part 2 consent; NY PHL
//! 2782 for HIV-related information): each element passes or fails with its reason, in words a
//! clerk reads and a deficient-authorization letter can quote. The checklist judges the form as
//! keyed; it is kept with the authorization as run, and run again on a corrected one.

use super::model::{AuthorizationForm, AuthorizationKind, ChecklistItem};
use crate::domain::dates::us_date;
use chrono::NaiveDate;

/// The status reason of a request pended on its checklist (AS-17).
pub const DEFICIENT_AUTHORIZATION: &str = "Deficient authorization";

/// The element names: stable, since tests, `--json` and the letter's lines key on them.
pub mod element {
    pub const DESCRIPTION: &str = "core.description";
    pub const DISCLOSER: &str = "core.discloser";
    pub const RECIPIENT: &str = "core.recipient";
    pub const PURPOSE: &str = "core.purpose";
    pub const EXPIRATION: &str = "core.expiration";
    pub const SIGNATURE: &str = "core.signature";
    pub const REVOCATION: &str = "statement.revocation";
    pub const CONDITIONING: &str = "statement.conditioning";
    pub const REDISCLOSURE: &str = "statement.redisclosure";
    pub const PSYCHOTHERAPY: &str = "psychotherapy.separate";
    pub const PART2_CONSENT: &str = "part2.consent";
    pub const PART2_PATIENT: &str = "part2.patient_name";
    pub const PART2_DISCLOSER: &str = "part2.discloser";
    pub const PART2_DESCRIPTION: &str = "part2.description";
    pub const PART2_RECIPIENTS: &str = "part2.recipients";
    pub const PART2_PURPOSE: &str = "part2.purpose";
    pub const PART2_REVOCATION: &str = "part2.revocation";
    pub const PART2_EXPIRATION: &str = "part2.expiration";
    pub const PART2_SIGNATURE: &str = "part2.signature";
    pub const PART2_DATE: &str = "part2.date";
    pub const HIV: &str = "hiv.specific_release";
}

/// What an element checks, as a line of the request screen or a letter reads it: `Expiration date or
/// event`. An unknown element (one a later version named) reads as its code.
pub fn element_title(element: &str) -> &str {
    use element::*;
    match element {
        DESCRIPTION | PART2_DESCRIPTION => "Description of the information",
        DISCLOSER | PART2_DISCLOSER => "Who may disclose it",
        RECIPIENT | PART2_RECIPIENTS => "Who receives it",
        PURPOSE | PART2_PURPOSE => "Purpose of the disclosure",
        EXPIRATION | PART2_EXPIRATION => "Expiration date or event",
        SIGNATURE | PART2_SIGNATURE => "Signature",
        PART2_DATE => "Date signed",
        REVOCATION | PART2_REVOCATION => "Statement of the right to revoke",
        CONDITIONING => "Statement on conditioning treatment or payment",
        REDISCLOSURE => "Statement on redisclosure by the recipient",
        PSYCHOTHERAPY => "Separate authorization for psychotherapy notes",
        PART2_CONSENT => "Part 2 consent for substance use disorder records",
        PART2_PATIENT => "Name of the patient",
        HIV => "HIV-specific release",
        other => other,
    }
}

/// What the checklist needs beyond the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecklistContext<'a> {
    /// The day the checklist runs: the day the authorization was received. An expiry or a
    /// revocation on or before it fails the form; a signature after it cannot be right.
    pub checked_on: NaiveDate,
    /// The facility's two-letter state: New York needs an HIV-specific release.
    pub state: &'a str,
    /// The request asks for psychotherapy notes.
    pub psychotherapy_notes: bool,
    /// The request asks for records of a Part 2 (substance use disorder) program.
    pub part2: bool,
    /// The request asks for HIV-related information.
    pub hiv: bool,
    /// A researcher asks: "none" is an expiration only for research (164.508(c)(1)(v)).
    pub research: bool,
}

/// Runs the checklist: every element that applies, in a fixed order, each passed or failed with
/// its reason.
///
/// A HIPAA authorization (and an HIV-specific or psychotherapy-notes one, which are HIPAA
/// authorizations too) is judged on the six core elements and three statements of 164.508(c); a
/// Part 2 consent on the nine elements of 42 CFR 2.31(a) instead. Then, by what the request asks
/// for: psychotherapy notes need their own authorization, Part 2 records a Part 2 consent, and
/// in New York HIV-related information an HIV-specific release.
pub fn run_checklist(form: &AuthorizationForm, ctx: &ChecklistContext<'_>) -> Vec<ChecklistItem> {
    use element::*;
    let kind = form.kind.unwrap_or(AuthorizationKind::Hipaa);
    let mut items = Vec::with_capacity(12);
    let mut push = |element: &str, outcome: Outcome| {
        let (passed, reason) = match outcome {
            Ok(reason) => (true, reason),
            Err(reason) => (false, reason),
        };
        items.push(ChecklistItem { element: element.to_string(), passed, reason });
    };
    if kind == AuthorizationKind::Part2 {
        let cite = "42 CFR 2.31(a)";
        push(PART2_PATIENT, filled(&form.patient_name, "The patient is not named", cite));
        push(PART2_DISCLOSER, filled(&form.discloser, "No one is named as allowed to disclose", cite));
        push(PART2_DESCRIPTION, filled(&form.information, "No description of the information to disclose", cite));
        push(PART2_RECIPIENTS, filled(&form.recipient, "No recipient is named", cite));
        push(PART2_PURPOSE, filled(&form.purpose, "No purpose is given", cite));
        push(PART2_REVOCATION, statement(form.revocation_statement, "No statement of the right to revoke", cite));
        // A Part 2 TPO consent may run until "none" (§2.31(a)).
        push(PART2_EXPIRATION, expiration(form, ctx, true, cite));
        push(PART2_SIGNATURE, signature(form, cite));
        push(PART2_DATE, signed_date(form, ctx, cite));
    } else {
        push(
            DESCRIPTION,
            filled(&form.information, "No description of the information to disclose", "45 CFR 164.508(c)(1)(i)"),
        );
        push(DISCLOSER, filled(&form.discloser, "No one is named as allowed to disclose", "45 CFR 164.508(c)(1)(ii)"));
        push(RECIPIENT, filled(&form.recipient, "No recipient is named", "45 CFR 164.508(c)(1)(iii)"));
        push(PURPOSE, filled(&form.purpose, "No purpose is given", "45 CFR 164.508(c)(1)(iv)"));
        push(EXPIRATION, expiration(form, ctx, ctx.research, "45 CFR 164.508(c)(1)(v)"));
        push(SIGNATURE, dated_signature(form, ctx, "45 CFR 164.508(c)(1)(vi)"));
        push(
            REVOCATION,
            statement(form.revocation_statement, "No statement of the right to revoke", "45 CFR 164.508(c)(2)(i)"),
        );
        push(
            CONDITIONING,
            statement(
                form.conditioning_statement,
                "No statement on whether treatment or payment may be conditioned on signing",
                "45 CFR 164.508(c)(2)(ii)",
            ),
        );
        push(
            REDISCLOSURE,
            statement(
                form.redisclosure_statement,
                "No statement that the recipient may redisclose the information",
                "45 CFR 164.508(c)(2)(iii)",
            ),
        );
    }
    if ctx.psychotherapy_notes {
        push(
            PSYCHOTHERAPY,
            required_kind(
                kind,
                AuthorizationKind::Psychotherapy,
                "Psychotherapy notes need their own authorization (45 CFR 164.508(a)(2))",
            ),
        );
    }
    if ctx.part2 {
        push(
            PART2_CONSENT,
            required_kind(
                kind,
                AuthorizationKind::Part2,
                "Substance use disorder program records need a Part 2 consent (42 CFR 2.31)",
            ),
        );
    }
    if ctx.hiv && ctx.state.trim().eq_ignore_ascii_case("NY") {
        push(
            HIV,
            required_kind(
                kind,
                AuthorizationKind::HivSpecific,
                "HIV-related information needs New York's HIV-specific release (NY PHL 2782)",
            ),
        );
    }
    items
}

/// Whether every element passed.
pub fn passed(items: &[ChecklistItem]) -> bool {
    items.iter().all(|item| item.passed)
}

/// The elements that failed, in the checklist's order: what a deficient-authorization letter lists.
pub fn failed_items(items: &[ChecklistItem]) -> Vec<&ChecklistItem> {
    items.iter().filter(|item| !item.passed).collect()
}

/// Passed with what was found, or failed with why.
type Outcome = Result<String, String>;

fn filled(value: &str, missing: &str, cite: &str) -> Outcome {
    if value.trim().is_empty() { Err(format!("{missing} ({cite})")) } else { Ok("Given".to_string()) }
}

fn statement(present: bool, missing: &str, cite: &str) -> Outcome {
    if present { Ok("Present".to_string()) } else { Err(format!("{missing} ({cite})")) }
}

fn required_kind(kind: AuthorizationKind, needed: AuthorizationKind, rule: &str) -> Outcome {
    if kind == needed {
        Ok(format!("{} received", needed.title()))
    } else {
        Err(format!("{rule}; the one received is {}", with_article(kind)))
    }
}

fn with_article(kind: AuthorizationKind) -> &'static str {
    match kind {
        AuthorizationKind::Hipaa => "a HIPAA authorization",
        AuthorizationKind::Part2 => "a Part 2 consent",
        AuthorizationKind::HivSpecific => "an HIV-specific release",
        AuthorizationKind::Psychotherapy => "a psychotherapy-notes authorization",
    }
}

/// An expiration that says it never expires: allowed only for research (and a Part 2 TPO consent).
fn says_none(event: &str) -> bool {
    let event = event.trim().trim_end_matches('.').to_ascii_lowercase();
    matches!(event.as_str(), "none" | "never" | "n/a" | "na" | "no expiration" | "does not expire")
}

fn expiration(form: &AuthorizationForm, ctx: &ChecklistContext<'_>, none_allowed: bool, cite: &str) -> Outcome {
    if let Some(revoked_on) = form.revoked_on.filter(|revoked_on| *revoked_on <= ctx.checked_on) {
        return Err(format!("Revoked on {} ({cite})", us_date(revoked_on)));
    }
    let event = form.expiration_event.trim();
    match form.expires_on {
        Some(expires_on) => match form.signed_on {
            Some(signed_on) if expires_on < signed_on => {
                Err(format!("Expires {}, before it was signed on {} ({cite})", us_date(expires_on), us_date(signed_on)))
            }
            _ if expires_on < ctx.checked_on => Err(format!("Expired on {} ({cite})", us_date(expires_on))),
            _ => Ok(format!("Expires {}", us_date(expires_on))),
        },
        None if event.is_empty() => Err(format!("No expiration date or event ({cite})")),
        None if says_none(event) && !none_allowed => {
            Err(format!("\"{event}\" is an expiration only for research ({cite}); a date or an event is needed"))
        }
        None => Ok(format!("Expires: {event}")),
    }
}

/// The family words that name a relationship but no authority to act for the patient: a daughter
/// signs for her father only with a power of attorney, a guardianship, an estate or the like.
const KIN: &[&str] = &[
    "mother",
    "father",
    "parent",
    "son",
    "daughter",
    "child",
    "spouse",
    "wife",
    "husband",
    "partner",
    "brother",
    "sister",
    "sibling",
    "grandmother",
    "grandfather",
    "grandparent",
    "grandson",
    "granddaughter",
    "aunt",
    "uncle",
    "niece",
    "nephew",
    "cousin",
    "friend",
    "relative",
    "family",
    "stepmother",
    "stepfather",
    "stepson",
    "stepdaughter",
    "fiance",
    "fiancee",
    "boyfriend",
    "girlfriend",
    "neighbor",
    "caregiver",
];
const FILLER: &[&str] = &["the", "a", "an", "of", "patient", "patients", "s", "and", "is", "my", "his", "her", "their"];

/// Who signed, as the relationship field tells it.
enum Signer<'a> {
    TheIndividual,
    /// A representative with their authority described.
    Representative(&'a str),
    /// A relationship with no authority (`daughter`).
    NoAuthority(&'a str),
}

fn signer(relationship: &str) -> Signer<'_> {
    let relationship = relationship.trim();
    let lower = relationship.to_ascii_lowercase();
    if matches!(lower.as_str(), "" | "self" | "patient" | "the patient" | "myself") {
        return Signer::TheIndividual;
    }
    let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphabetic()).filter(|w| !w.is_empty()).collect();
    let kin_only = words.iter().all(|word| KIN.contains(word) || FILLER.contains(word));
    if kin_only { Signer::NoAuthority(relationship) } else { Signer::Representative(relationship) }
}

fn signature(form: &AuthorizationForm, cite: &str) -> Outcome {
    if !form.signature {
        return Err(format!("Not signed ({cite})"));
    }
    match signer(&form.relationship) {
        Signer::TheIndividual => Ok("Signed".to_string()),
        Signer::Representative(authority) => Ok(format!("Signed by a representative: {authority}")),
        Signer::NoAuthority(relationship) => Err(format!(
            "Signed by the patient's {relationship} without a description of their authority to act for the patient ({cite})"
        )),
    }
}

/// 164.508 keeps the signature and its date in one element; Part 2 lists them apart.
fn dated_signature(form: &AuthorizationForm, ctx: &ChecklistContext<'_>, cite: &str) -> Outcome {
    signature(form, cite)?;
    let dated = signed_date(form, ctx, cite)?;
    Ok(match signer(&form.relationship) {
        Signer::Representative(authority) => format!("{dated} by a representative: {authority}"),
        _ => dated,
    })
}

fn signed_date(form: &AuthorizationForm, ctx: &ChecklistContext<'_>, cite: &str) -> Outcome {
    match form.signed_on {
        None => Err(format!("The signature is not dated ({cite})")),
        Some(signed_on) if signed_on > ctx.checked_on => {
            Err(format!("Dated {}, after it was received on {}", us_date(signed_on), us_date(ctx.checked_on)))
        }
        Some(signed_on) => Ok(format!("Signed {}", us_date(signed_on))),
    }
}

#[cfg(test)]
mod tests {
    use super::element::*;
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// A complete HIPAA authorization, signed by the patient on 2025-02-20.
    fn complete() -> AuthorizationForm {
        AuthorizationForm {
            kind: Some(AuthorizationKind::Hipaa),
            patient_name: "Maria L Garcia".to_string(),
            signed_on: Some(d(2025, 2, 20)),
            signer: "Maria L Garcia".to_string(),
            relationship: "self".to_string(),
            discloser: "Riverside General Hospital".to_string(),
            recipient: "Baker & Lowe LLP".to_string(),
            information: "All records 01/01/2024 to 12/31/2024".to_string(),
            purpose: "Personal injury claim".to_string(),
            expires_on: Some(d(2026, 2, 20)),
            expiration_event: String::new(),
            signature: true,
            revocation_statement: true,
            conditioning_statement: true,
            redisclosure_statement: true,
            revoked_on: None,
        }
    }

    fn ctx() -> ChecklistContext<'static> {
        ChecklistContext {
            checked_on: d(2025, 3, 3),
            state: "TX",
            psychotherapy_notes: false,
            part2: false,
            hiv: false,
            research: false,
        }
    }

    fn failed(form: &AuthorizationForm, ctx: &ChecklistContext<'_>) -> Vec<String> {
        failed_items(&run_checklist(form, ctx)).into_iter().map(|item| item.element.clone()).collect()
    }

    fn reason<'a>(items: &'a [ChecklistItem], element: &str) -> &'a str {
        &items.iter().find(|item| item.element == element).unwrap().reason
    }

    #[test]
    fn a_complete_authorization_passes_the_nine_elements_of_164_508() {
        let items = run_checklist(&complete(), &ctx());
        let elements: Vec<&str> = items.iter().map(|item| item.element.as_str()).collect();
        assert_eq!(
            elements,
            [DESCRIPTION, DISCLOSER, RECIPIENT, PURPOSE, EXPIRATION, SIGNATURE, REVOCATION, CONDITIONING, REDISCLOSURE]
        );
        assert!(passed(&items), "{items:?}");
        assert_eq!(reason(&items, EXPIRATION), "Expires 02/20/2026");
        assert_eq!(reason(&items, SIGNATURE), "Signed 02/20/2025");
    }

    #[test]
    fn as17_no_expiration_and_no_revocation_statement_fail_exactly_those_two() {
        let form = AuthorizationForm { expires_on: None, revocation_statement: false, ..complete() };
        let items = run_checklist(&form, &ChecklistContext { checked_on: d(2025, 3, 3), ..ctx() });
        assert!(!passed(&items));
        assert_eq!(failed(&form, &ctx()), [EXPIRATION, REVOCATION]);
        assert_eq!(reason(&items, EXPIRATION), "No expiration date or event (45 CFR 164.508(c)(1)(v))");
        assert_eq!(reason(&items, REVOCATION), "No statement of the right to revoke (45 CFR 164.508(c)(2)(i))");
        // The corrected authorization, scanned 2025-03-06, passes.
        let corrected = AuthorizationForm { expires_on: Some(d(2026, 2, 20)), revocation_statement: true, ..form };
        let on_the_6th = ChecklistContext { checked_on: d(2025, 3, 6), ..ctx() };
        assert!(passed(&run_checklist(&corrected, &on_the_6th)));
    }

    #[test]
    fn each_missing_core_element_fails_alone_with_its_reason() {
        type Spoil = fn(&mut AuthorizationForm);
        let cases: [(&str, Spoil, &str); 9] = [
            (
                DESCRIPTION,
                |f| f.information = "  ".into(),
                "No description of the information to disclose (45 CFR 164.508(c)(1)(i))",
            ),
            (DISCLOSER, |f| f.discloser.clear(), "No one is named as allowed to disclose (45 CFR 164.508(c)(1)(ii))"),
            (RECIPIENT, |f| f.recipient.clear(), "No recipient is named (45 CFR 164.508(c)(1)(iii))"),
            (PURPOSE, |f| f.purpose.clear(), "No purpose is given (45 CFR 164.508(c)(1)(iv))"),
            (SIGNATURE, |f| f.signature = false, "Not signed (45 CFR 164.508(c)(1)(vi))"),
            (SIGNATURE, |f| f.signed_on = None, "The signature is not dated (45 CFR 164.508(c)(1)(vi))"),
            (
                REVOCATION,
                |f| f.revocation_statement = false,
                "No statement of the right to revoke (45 CFR 164.508(c)(2)(i))",
            ),
            (
                CONDITIONING,
                |f| f.conditioning_statement = false,
                "No statement on whether treatment or payment may be conditioned on signing (45 CFR 164.508(c)(2)(ii))",
            ),
            (
                REDISCLOSURE,
                |f| f.redisclosure_statement = false,
                "No statement that the recipient may redisclose the information (45 CFR 164.508(c)(2)(iii))",
            ),
        ];
        for (element, spoil, why) in cases {
            let mut form = complete();
            spoil(&mut form);
            let items = run_checklist(&form, &ctx());
            assert_eq!(failed(&form, &ctx()), [element], "{why}");
            assert_eq!(reason(&items, element), why);
        }
    }

    #[test]
    fn an_expired_or_revoked_authorization_fails_its_expiration() {
        let expired = AuthorizationForm { expires_on: Some(d(2025, 3, 2)), ..complete() };
        let items = run_checklist(&expired, &ctx());
        assert_eq!(reason(&items, EXPIRATION), "Expired on 03/02/2025 (45 CFR 164.508(c)(1)(v))");
        // Expiring the day it is checked, it is still good that day.
        let today = AuthorizationForm { expires_on: Some(d(2025, 3, 3)), ..complete() };
        assert!(passed(&run_checklist(&today, &ctx())));
        let revoked = AuthorizationForm { revoked_on: Some(d(2025, 3, 1)), ..complete() };
        assert_eq!(
            reason(&run_checklist(&revoked, &ctx()), EXPIRATION),
            "Revoked on 03/01/2025 (45 CFR 164.508(c)(1)(v))"
        );
        let backwards = AuthorizationForm { expires_on: Some(d(2025, 1, 1)), ..complete() };
        assert_eq!(
            reason(&run_checklist(&backwards, &ctx()), EXPIRATION),
            "Expires 01/01/2025, before it was signed on 02/20/2025 (45 CFR 164.508(c)(1)(v))"
        );
    }

    #[test]
    fn an_expiration_event_serves_and_none_only_for_research() {
        let event =
            AuthorizationForm { expires_on: None, expiration_event: "End of the litigation".into(), ..complete() };
        assert_eq!(reason(&run_checklist(&event, &ctx()), EXPIRATION), "Expires: End of the litigation");
        let none = AuthorizationForm { expiration_event: "None".into(), ..event };
        assert_eq!(failed(&none, &ctx()), [EXPIRATION]);
        assert_eq!(
            reason(&run_checklist(&none, &ctx()), EXPIRATION),
            "\"None\" is an expiration only for research (45 CFR 164.508(c)(1)(v)); a date or an event is needed"
        );
        assert!(passed(&run_checklist(&none, &ChecklistContext { research: true, ..ctx() })));
    }

    #[test]
    fn a_signature_dated_after_receipt_cannot_be_right() {
        let form = AuthorizationForm { signed_on: Some(d(2025, 3, 4)), ..complete() };
        assert_eq!(
            reason(&run_checklist(&form, &ctx()), SIGNATURE),
            "Dated 03/04/2025, after it was received on 03/03/2025"
        );
    }

    #[test]
    fn a_representative_must_describe_their_authority() {
        let daughter = AuthorizationForm { relationship: "Daughter".into(), ..complete() };
        assert_eq!(
            reason(&run_checklist(&daughter, &ctx()), SIGNATURE),
            "Signed by the patient's Daughter without a description of their authority to act for the patient (45 CFR 164.508(c)(1)(vi))"
        );
        assert_eq!(failed(&daughter, &ctx()), [SIGNATURE]);
        let attorney_in_fact =
            AuthorizationForm { relationship: "daughter, health care power of attorney".into(), ..complete() };
        let items = run_checklist(&attorney_in_fact, &ctx());
        assert!(passed(&items));
        assert_eq!(
            reason(&items, SIGNATURE),
            "Signed 02/20/2025 by a representative: daughter, health care power of attorney"
        );
        for guardian in ["legal guardian", "mother of a minor", "executor of the estate"] {
            let form = AuthorizationForm { relationship: guardian.into(), ..complete() };
            assert!(passed(&run_checklist(&form, &ctx())), "{guardian}");
        }
        for individual in ["", "Self", " patient "] {
            let form = AuthorizationForm { relationship: individual.into(), ..complete() };
            assert_eq!(reason(&run_checklist(&form, &ctx()), SIGNATURE), "Signed 02/20/2025", "{individual:?}");
        }
    }

    #[test]
    fn psychotherapy_notes_need_their_own_authorization() {
        let asks = ChecklistContext { psychotherapy_notes: true, ..ctx() };
        let items = run_checklist(&complete(), &asks);
        assert_eq!(failed(&complete(), &asks), [PSYCHOTHERAPY]);
        assert_eq!(
            reason(&items, PSYCHOTHERAPY),
            "Psychotherapy notes need their own authorization (45 CFR 164.508(a)(2)); the one received is a HIPAA authorization"
        );
        let own = AuthorizationForm { kind: Some(AuthorizationKind::Psychotherapy), ..complete() };
        assert!(passed(&run_checklist(&own, &asks)));
        // Not asked for: no such element.
        assert!(!run_checklist(&complete(), &ctx()).iter().any(|item| item.element == PSYCHOTHERAPY));
    }

    #[test]
    fn part2_records_need_a_part2_consent_with_its_nine_elements() {
        let asks = ChecklistContext { part2: true, ..ctx() };
        assert_eq!(failed(&complete(), &asks), [PART2_CONSENT]);
        assert_eq!(
            reason(&run_checklist(&complete(), &asks), PART2_CONSENT),
            "Substance use disorder program records need a Part 2 consent (42 CFR 2.31); the one received is a HIPAA authorization"
        );
        let consent = AuthorizationForm { kind: Some(AuthorizationKind::Part2), ..complete() };
        let items = run_checklist(&consent, &asks);
        let elements: Vec<&str> = items.iter().map(|item| item.element.as_str()).collect();
        assert_eq!(
            elements,
            [
                PART2_PATIENT,
                PART2_DISCLOSER,
                PART2_DESCRIPTION,
                PART2_RECIPIENTS,
                PART2_PURPOSE,
                PART2_REVOCATION,
                PART2_EXPIRATION,
                PART2_SIGNATURE,
                PART2_DATE,
                PART2_CONSENT
            ]
        );
        assert!(passed(&items), "{items:?}");
        let unnamed = AuthorizationForm { patient_name: String::new(), signed_on: None, ..consent.clone() };
        assert_eq!(failed(&unnamed, &asks), [PART2_PATIENT, PART2_DATE]);
        assert_eq!(reason(&run_checklist(&unnamed, &asks), PART2_PATIENT), "The patient is not named (42 CFR 2.31(a))");
        // A TPO consent may say it never expires.
        let tpo = AuthorizationForm { expires_on: None, expiration_event: "none".into(), ..consent };
        assert!(passed(&run_checklist(&tpo, &asks)));
    }

    #[test]
    fn new_york_hiv_information_needs_the_hiv_specific_release() {
        let ny = ChecklistContext { state: "NY", hiv: true, ..ctx() };
        assert_eq!(failed(&complete(), &ny), [HIV]);
        assert_eq!(
            reason(&run_checklist(&complete(), &ny), HIV),
            "HIV-related information needs New York's HIV-specific release (NY PHL 2782); the one received is a HIPAA authorization"
        );
        let specific = AuthorizationForm { kind: Some(AuthorizationKind::HivSpecific), ..complete() };
        assert!(passed(&run_checklist(&specific, &ny)));
        // Texas has no such rule in this table.
        assert!(passed(&run_checklist(&complete(), &ChecklistContext { hiv: true, ..ctx() })));
    }

    #[test]
    fn every_element_has_a_title() {
        let everything = ChecklistContext { state: "NY", psychotherapy_notes: true, part2: true, hiv: true, ..ctx() };
        for kind in AuthorizationKind::ALL {
            let form = AuthorizationForm { kind: Some(*kind), ..complete() };
            for item in run_checklist(&form, &everything) {
                assert_ne!(element_title(&item.element), item.element, "{}", item.element);
            }
        }
        assert_eq!(element_title("core.expiration"), "Expiration date or event");
        assert_eq!(element_title("later.element"), "later.element");
    }

    fn text() -> impl Strategy<Value = String> {
        "[A-Za-z][A-Za-z ,.&]{0,30}"
    }

    proptest! {
        /// Any filled-in, signed, unexpired authorization with its statements passes; taking any
        /// one thing away fails one element, and never more.
        #[test]
        fn a_whole_form_passes_and_one_gap_fails_one_element(
            description in text(), discloser in text(), recipient in text(), purpose in text(),
            signed_before in 0i64..400, expires_after in 0i64..2000, gap in 0usize..9,
        ) {
            let checked_on = d(2025, 3, 3);
            let form = AuthorizationForm {
                information: description,
                discloser,
                recipient,
                purpose,
                signed_on: Some(checked_on - chrono::Duration::days(signed_before)),
                expires_on: Some(checked_on + chrono::Duration::days(expires_after)),
                ..complete()
            };
            prop_assert!(passed(&run_checklist(&form, &ctx())));
            let mut spoilt = form.clone();
            match gap {
                0 => spoilt.information.clear(),
                1 => spoilt.discloser.clear(),
                2 => spoilt.recipient.clear(),
                3 => spoilt.purpose.clear(),
                4 => spoilt.expires_on = None,
                5 => spoilt.signature = false,
                6 => spoilt.revocation_statement = false,
                7 => spoilt.conditioning_statement = false,
                _ => spoilt.redisclosure_statement = false,
            }
            prop_assert_eq!(failed(&spoilt, &ctx()).len(), 1);
        }
    }
}
