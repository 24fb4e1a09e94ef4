//! Release-of-information fees (domain.md §2.1, §2.12, §4.4): schedules are data, kept by version
//! in the store and changed only by a Director; which one governs a request, and what it charges,
//! is the rule here. Money is integer cents everywhere.
//!
//! The rule (post-*Ciox v. Azar*): a patient's own copy (right of access) costs the lower of the
//! state schedule and the HIPAA cost-based amount (164.524(c)(4)); a third party pays the state
//! schedule; a disability-benefit request in Texas is free (THSC 161.202).

use super::model::{RecordFormat, RequestType, RequesterKind};
use crate::domain::chart::FacilityKind;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The most one amount of money on a request may be — a rate of a schedule, a fee or invoice
/// total, a payment, a write-off, a refund, an accounting's fee — so that every limit says the
/// same: $100,000.00. Above it is a typo.
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000;

/// The most pages one request, release or declaration may count: 100,000. A count is at least 1:
/// a record of no pages is not a record that can be copied, priced or sworn to.
pub const MAX_PAGES: i64 = 100_000;

/// Why `pages` cannot be a page count, in a clerk's words; None when it can.
pub fn pages_problem(pages: i64) -> Option<String> {
    (!(1..=MAX_PAGES).contains(&pages)).then(|| format!("{pages} pages: a page count is 1 to 100,000"))
}

/// Why `cents` cannot be an amount of money on a request; None when it can (nothing is allowed: a
/// fee may be waived).
pub fn amount_problem(cents: i64) -> Option<String> {
    match cents {
        ..0 => Some(format!("{} is below nothing", dollars(cents))),
        0..=MAX_AMOUNT_CENTS => None,
        _ => Some(format!("{} is more than any one amount may be ({})", dollars(cents), dollars(MAX_AMOUNT_CENTS))),
    }
}

/// A fee schedule in force from a date: one version of one code. A change is a new version with a
/// later effective date; versions are never edited, since invoices name the one they used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeSchedule {
    /// `TX-241.154`.
    pub code: String,
    pub version: i64,
    pub effective_from: NaiveDate,
    pub rates: FeeRates,
}

/// What a schedule charges. Empty parts charge nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeeRates {
    /// The clerk's words for the law: `TX HSC 241.154`.
    pub title: String,
    /// `US` for the federal rule, else the two-letter state.
    pub jurisdiction: String,
    /// Whom it governs, in words (`third parties with a valid authorization`).
    pub requester_class: String,
    /// The law forbids any charge (THSC 161.202).
    pub no_fee: bool,
    /// One amount per request whatever its pages (a repeat accounting of disclosures, 164.528(c)(2)).
    pub per_request_cents: Option<i64>,
    /// Copies on paper (and the fallback for any format without its own rule).
    pub paper: PageRates,
    /// Copies from microfilm, where the law prices them apart.
    pub microfilm: Option<PageRates>,
    /// Electronic copies, where the law prices them apart.
    pub electronic: Option<Electronic>,
    /// Clerical time, billed per started quarter hour (CA Evid 1563: $6).
    pub clerical_quarter_hour_cents: Option<i64>,
    /// Actual postage may be added.
    pub postage: bool,
    /// The most the schedule allows in all.
    pub max_total_cents: Option<i64>,
}

/// A retrieval fee that covers the first pages, then bands of pages each at a unit price.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PageRates {
    pub retrieval: Option<Retrieval>,
    /// In page order, not overlapping.
    pub bands: Vec<PageBand>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retrieval {
    pub cents: i64,
    /// Pages the retrieval fee includes (TX HSC 241.154: the first 10).
    pub pages_included: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageBand {
    pub from_page: i64,
    /// Inclusive; `None` runs to the last page.
    pub to_page: Option<i64>,
    pub unit_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Electronic {
    /// One amount whatever the pages (the HIPAA $6.50 option).
    Flat { cents: i64 },
    /// The first tier the page count fits (TX 22 TAC 165.2: $25 up to 500 pages, $50 above).
    Tiers { tiers: Vec<ElectronicTier> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectronicTier {
    /// Inclusive; `None` for every count above the tiers before it.
    pub up_to_pages: Option<i64>,
    pub cents: i64,
}

/// One line of a quote or an invoice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    pub description: String,
    pub quantity: i64,
    pub unit_cents: i64,
    pub amount_cents: i64,
}

impl FeeLine {
    fn new(description: impl Into<String>, quantity: i64, unit_cents: i64) -> Self {
        Self { description: description.into(), quantity, unit_cents, amount_cents: quantity * unit_cents }
    }
}

/// What a request will cost, itemized, under the schedule version that governs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// The schedule's code and version: what an invoice keeps.
    pub schedule: String,
    pub version: i64,
    /// Why this schedule: `TX HSC 241.154`, or `lower of CA HSC 123110 ($20.00) and HIPAA … ($24.00)`.
    pub basis: String,
    pub lines: Vec<FeeLine>,
    pub total_cents: i64,
}

/// What the fee rule needs to know about a request and its facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeFacts<'a> {
    pub state: &'a str,
    pub facility_kind: FacilityKind,
    pub request_type: RequestType,
    pub requester_kind: RequesterKind,
    pub format: RecordFormat,
    pub pages: Option<i64>,
    pub clerical_minutes: Option<i64>,
    pub postage_cents: Option<i64>,
    /// Copies made from microfilm.
    pub microfilm: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeeProblem {
    /// No schedule governs this kind of request here: the desk says so, it does not invent one.
    #[error("no fee schedule applies to {what}")]
    NoSchedule { what: String },
    /// The governing schedule's code has no version in force on the day.
    #[error("fee schedule {code} has no version in force on {on}")]
    NotInForce { code: String, on: String },
    /// The schedule prices by the page and the page count is not known yet.
    #[error("the fee under {title} depends on the page count: give the pages")]
    PagesNeeded { title: String },
    /// The fee comes to more than any one amount may be: a page count or a rate is wrong.
    #[error("the fee would be {total}, more than any one amount may be ($100,000.00): check the page count")]
    TooLarge { total: String },
}

pub const TX_HOSPITAL: &str = "TX-241.154";
pub const TX_PHYSICIAN: &str = "TX-165.2";
pub const TX_DISABILITY: &str = "TX-161.202";
pub const CA_PATIENT: &str = "CA-123110";
pub const CA_SUBPOENA: &str = "CA-1563";
pub const NY_COPIES: &str = "NY-18";
pub const HIPAA_PATIENT: &str = "HIPAA-524";
/// A second accounting of disclosures within 12 months (164.528(c)(2)): the accounting decides
/// when it is owed (`domain::roi::accounting`); this schedule says how much.
pub const HIPAA_ACCOUNTING_REPEAT: &str = "HIPAA-528";

/// The schedules that may govern a request, by code; more than one means the lowest total wins.
pub fn governing(facts: &FeeFacts<'_>) -> Result<Vec<&'static str>, FeeProblem> {
    let state = facts.state.trim().to_ascii_uppercase();
    let texas = state == "TX";
    if texas
        && (facts.request_type == RequestType::Disability
            || matches!(facts.requester_kind, RequesterKind::Ssa | RequesterKind::Va))
    {
        return Ok(vec![TX_DISABILITY]);
    }
    let state_copies = match (state.as_str(), facts.facility_kind) {
        ("TX", FacilityKind::Hospital) => Some(TX_HOSPITAL),
        ("TX", FacilityKind::Practice) => Some(TX_PHYSICIAN),
        ("NY", _) => Some(NY_COPIES),
        _ => None,
    };
    let none = || FeeProblem::NoSchedule {
        what: format!("{} requests in {}", facts.request_type.title().to_lowercase(), shown_state(&state)),
    };
    match facts.request_type {
        RequestType::RightOfAccess => {
            let state_cap = if state == "CA" { Some(CA_PATIENT) } else { state_copies };
            Ok(state_cap.into_iter().chain([HIPAA_PATIENT]).collect())
        }
        RequestType::ThirdPartyDirective | RequestType::Authorization | RequestType::WorkersComp => {
            state_copies.map(|code| vec![code]).ok_or_else(none)
        }
        RequestType::Subpoena | RequestType::CourtOrder => {
            let code = if state == "CA" { Some(CA_SUBPOENA) } else { state_copies };
            code.map(|code| vec![code]).ok_or_else(none)
        }
        RequestType::Disability
        | RequestType::ContinuityOfCare
        | RequestType::LawEnforcement
        | RequestType::PublicHealth
        | RequestType::Accounting => Err(none()),
    }
}

fn shown_state(state: &str) -> String {
    if state.is_empty() { "this state".to_string() } else { state.to_string() }
}

/// The cost-based fee of a repeat accounting of disclosures under the schedule in force on `on`;
/// None until a Director sets the amount (the seed names no price: it is the facility's cost).
pub fn repeat_accounting_fee(schedules: &[FeeSchedule], on: NaiveDate) -> Option<i64> {
    in_force(schedules, HIPAA_ACCOUNTING_REPEAT, on).and_then(|s| s.rates.per_request_cents)
}

/// The version of `code` in force on `on`: the one with the latest effective date not after it
/// (the later version on the same date).
pub fn in_force<'a>(schedules: &'a [FeeSchedule], code: &str, on: NaiveDate) -> Option<&'a FeeSchedule> {
    schedules.iter().filter(|s| s.code == code && s.effective_from <= on).max_by_key(|s| (s.effective_from, s.version))
}

/// The quote for a request: the governing schedules as in force on `on` (the day the request was
/// received, so a rate change never reprices a request already in hand), and of several the one
/// with the lowest total. A schedule that needs the page count while it is unknown is passed over
/// only when even its one-page charge is above another's whole fee (the HIPAA $6.50 flat fee
/// against a $30 retrieval fee); otherwise the pages are asked for.
pub fn quote(facts: &FeeFacts<'_>, schedules: &[FeeSchedule], on: NaiveDate) -> Result<Quote, FeeProblem> {
    let codes = governing(facts)?;
    let mut priced: Vec<(&FeeSchedule, Vec<FeeLine>, i64)> = Vec::new();
    let mut unpriced: Vec<(&FeeSchedule, i64)> = Vec::new();
    for code in codes {
        let schedule = in_force(schedules, code, on)
            .ok_or_else(|| FeeProblem::NotInForce { code: code.to_string(), on: on.to_string() })?;
        match charge(&schedule.rates, facts) {
            Ok(lines) => {
                let total = lines.iter().map(|l| l.amount_cents).sum();
                priced.push((schedule, lines, total));
            }
            Err(problem) => {
                let one_page = FeeFacts { pages: Some(1), ..*facts };
                let least = charge(&schedule.rates, &one_page).map_err(|_| problem)?;
                unpriced.push((schedule, least.iter().map(|l| l.amount_cents).sum()));
            }
        }
    }
    let Some(best) = priced.iter().min_by_key(|(_, _, total)| *total) else {
        let title = unpriced.first().map(|(s, _)| s.rates.title.clone()).unwrap_or_default();
        return Err(FeeProblem::PagesNeeded { title });
    };
    if let Some((schedule, _)) = unpriced.iter().find(|(_, least)| *least < best.2) {
        return Err(FeeProblem::PagesNeeded { title: schedule.rates.title.clone() });
    }
    let (schedule, lines, total) = best.clone();
    if total > MAX_AMOUNT_CENTS {
        return Err(FeeProblem::TooLarge { total: dollars(total) });
    }
    let basis = match priced.len() + unpriced.len() {
        1 => schedule.rates.title.clone(),
        _ => {
            let mut others: Vec<String> = priced
                .iter()
                .map(|(s, _, t)| format!("{} ({})", s.rates.title, dollars(*t)))
                .chain(unpriced.iter().map(|(s, least)| format!("{} (at least {})", s.rates.title, dollars(*least))))
                .collect();
            let last = others.pop().unwrap_or_default();
            format!("lower of {} and {last}", others.join(", "))
        }
    };
    Ok(Quote { schedule: schedule.code.clone(), version: schedule.version, basis, lines, total_cents: total })
}

/// The lines one schedule charges for a request.
pub fn charge(rates: &FeeRates, facts: &FeeFacts<'_>) -> Result<Vec<FeeLine>, FeeProblem> {
    if rates.no_fee {
        return Ok(vec![FeeLine::new(format!("No fee ({})", rates.title), 1, 0)]);
    }
    let pages_needed = || FeeProblem::PagesNeeded { title: rates.title.clone() };
    let pages = facts.pages.map(|p| p.max(0));
    let mut lines = Vec::new();
    if let Some(cents) = rates.per_request_cents {
        lines.push(FeeLine::new("Fee per request", 1, cents));
    }
    match (&rates.electronic, facts.format.is_electronic()) {
        (Some(Electronic::Flat { cents }), true) => lines.push(FeeLine::new("Electronic copy, flat fee", 1, *cents)),
        (Some(Electronic::Tiers { tiers }), true) => {
            let pages = pages.ok_or_else(pages_needed)?;
            if let Some(tier) = tiers.iter().find(|t| t.up_to_pages.is_none_or(|up_to| pages <= up_to)) {
                lines.push(FeeLine::new(format!("Electronic copy, {pages} pages"), 1, tier.cents));
            }
        }
        _ => {
            let page_rates = match (&rates.microfilm, facts.microfilm) {
                (Some(microfilm), true) => microfilm,
                _ => &rates.paper,
            };
            if page_rates.retrieval.is_some() || !page_rates.bands.is_empty() {
                lines.extend(page_lines(page_rates, pages.ok_or_else(pages_needed)?, facts.microfilm));
            }
        }
    }
    if let (Some(unit), Some(minutes)) = (rates.clerical_quarter_hour_cents, facts.clerical_minutes)
        && minutes > 0
    {
        let quarters = (minutes + 14) / 15;
        lines.push(FeeLine::new("Clerical time (quarter hours)", quarters, unit));
    }
    if let Some(postage) = facts.postage_cents
        && rates.postage
        && postage > 0
    {
        lines.push(FeeLine::new("Postage", 1, postage));
    }
    let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
    if let Some(max) = rates.max_total_cents
        && total > max
    {
        lines.push(FeeLine::new(format!("Limited to the schedule's maximum of {}", dollars(max)), 1, max - total));
    }
    Ok(lines)
}

fn page_lines(rates: &PageRates, pages: i64, microfilm: bool) -> Vec<FeeLine> {
    let mut lines = Vec::new();
    if pages == 0 {
        return lines;
    }
    let source = if microfilm { " (microfilm)" } else { "" };
    let mut covered = 0;
    if let Some(retrieval) = rates.retrieval {
        covered = retrieval.pages_included.max(0);
        let words = match covered {
            0 => format!("Retrieval/processing{source}"),
            n => format!("Retrieval/processing incl. pages 1-{n}{source}"),
        };
        lines.push(FeeLine::new(words, 1, retrieval.cents));
    }
    for band in &rates.bands {
        let from = band.from_page.max(covered + 1);
        let to = band.to_page.map_or(pages, |to| to.min(pages));
        if to >= from {
            let words = if from == to { format!("Page {from}{source}") } else { format!("Pages {from}-{to}{source}") };
            lines.push(FeeLine::new(words, to - from + 1, band.unit_cents));
        }
    }
    lines
}

/// The most a schedule allows for a request with these facts, when it says (its maximum total, or
/// its highest electronic tier for an electronic copy).
pub fn ceiling(rates: &FeeRates, facts: &FeeFacts<'_>) -> Option<i64> {
    if rates.no_fee {
        return Some(0);
    }
    // What any copy adds besides the copying: a fee per request, postage, clerical time.
    let fixed = rates.per_request_cents.unwrap_or(0) + postage_allowed(rates, facts) + clerical_allowed(rates, facts);
    let tier_max = match (&rates.electronic, facts.format.is_electronic()) {
        (Some(Electronic::Flat { cents }), true) => Some(*cents + fixed),
        (Some(Electronic::Tiers { tiers }), true) => tiers.iter().map(|t| t.cents).max().map(|m| m + fixed),
        _ => None,
    };
    match (rates.max_total_cents, tier_max) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn postage_allowed(rates: &FeeRates, facts: &FeeFacts<'_>) -> i64 {
    if rates.postage { facts.postage_cents.unwrap_or(0).max(0) } else { 0 }
}

fn clerical_allowed(rates: &FeeRates, facts: &FeeFacts<'_>) -> i64 {
    match (rates.clerical_quarter_hour_cents, facts.clerical_minutes) {
        (Some(unit), Some(minutes)) if minutes > 0 => (minutes + 14) / 15 * unit,
        _ => 0,
    }
}

/// What is wrong with a schedule a Director keyed, in their words; empty when it can be saved.
pub fn schedule_problems(rates: &FeeRates) -> Vec<String> {
    let mut problems = Vec::new();
    let mut amount = |what: &str, cents: i64| {
        if !(0..=MAX_AMOUNT_CENTS).contains(&cents) {
            problems.push(format!("{what}: {} is not a fee (0 to {})", dollars(cents), dollars(MAX_AMOUNT_CENTS)));
        }
    };
    for (name, pages) in [("paper", Some(&rates.paper)), ("microfilm", rates.microfilm.as_ref())] {
        let Some(pages) = pages else { continue };
        if let Some(r) = pages.retrieval {
            amount(&format!("{name} retrieval fee"), r.cents);
        }
        for band in &pages.bands {
            amount(&format!("{name} pages from {}", band.from_page), band.unit_cents);
        }
    }
    if let Some(Electronic::Flat { cents }) = &rates.electronic {
        amount("electronic flat fee", *cents);
    }
    if let Some(Electronic::Tiers { tiers }) = &rates.electronic {
        for tier in tiers {
            amount("electronic tier", tier.cents);
        }
    }
    if let Some(cents) = rates.clerical_quarter_hour_cents {
        amount("clerical quarter hour", cents);
    }
    if let Some(cents) = rates.per_request_cents {
        amount("fee per request", cents);
    }
    if let Some(cents) = rates.max_total_cents {
        amount("maximum total", cents);
    }
    if rates.title.trim().is_empty() {
        problems.push("a schedule needs a title, the law's name as a clerk reads it (TX HSC 241.154)".into());
    }
    // Printed on quotes, invoices and screens: plain text only, as every other input.
    for (what, text) in [
        ("the title", &rates.title),
        ("the jurisdiction", &rates.jurisdiction),
        ("the requester class", &rates.requester_class),
    ] {
        problems.extend(crate::domain::text::control_character_problem(what, text));
    }
    for (name, pages) in [("paper", Some(&rates.paper)), ("microfilm", rates.microfilm.as_ref())] {
        let Some(pages) = pages else { continue };
        if pages.retrieval.is_some_and(|r| !(0..=100_000).contains(&r.pages_included)) {
            problems.push(format!("{name}: the pages a retrieval fee includes are 0 to 100000"));
        }
        let mut next = 1;
        let first_priced = pages.retrieval.map_or(1, |r| r.pages_included + 1);
        for (i, band) in pages.bands.iter().enumerate() {
            if band.from_page < next {
                problems.push(format!(
                    "{name}: the band from page {} overlaps the one before it (bands run in page order)",
                    band.from_page
                ));
            } else if next != i64::MAX && band.from_page > next.max(first_priced) {
                // Pages in a gap would be priced by no band: each band starts where the last ended
                // (the first where the retrieval fee's pages end).
                let (from, before) = match i {
                    0 => (first_priced, "the first band starts after the pages the retrieval fee includes".to_string()),
                    _ => (next, format!("the band before it ends at page {}", next - 1)),
                };
                problems.push(format!(
                    "{name}: the band from page {} leaves pages {from} to {} unpriced ({before})",
                    band.from_page,
                    band.from_page - 1
                ));
            }
            match band.to_page {
                Some(to) if to < band.from_page => {
                    problems.push(format!("{name}: the band from page {} ends before it starts", band.from_page));
                }
                Some(to) => next = to + 1,
                None => next = i64::MAX,
            }
        }
    }
    if let Some(Electronic::Tiers { tiers }) = &rates.electronic {
        let mut last = 0;
        for tier in tiers {
            match tier.up_to_pages {
                Some(up_to) if up_to > last && last != i64::MAX => last = up_to,
                Some(up_to) => problems.push(format!("electronic: the tier up to {up_to} pages is out of order")),
                None => last = i64::MAX,
            }
        }
    }
    if rates.no_fee
        && (rates.paper != PageRates::default() || rates.electronic.is_some() || rates.per_request_cents.is_some())
    {
        problems.push("a no-fee schedule charges nothing: leave its rates empty".into());
    }
    problems
}

/// `$1,234.50`.
pub fn dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// Where an invoice stands, read from what was recorded against it; nothing on an invoice is ever
/// changed after it is issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Issued,
    Paid,
    WrittenOff,
    Void,
}

impl InvoiceStatus {
    pub fn title(self) -> &'static str {
        match self {
            Self::Issued => "Open",
            Self::Paid => "Paid",
            Self::WrittenOff => "Written off",
            Self::Void => "Void",
        }
    }
}

/// What is recorded against an invoice besides payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    WriteOff,
    Refund,
    Void,
}

impl AdjustmentKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::WriteOff => "write_off",
            Self::Refund => "refund",
            Self::Void => "void",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::WriteOff, Self::Refund, Self::Void].into_iter().find(|k| k.code() == code)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::WriteOff => "Write-off",
            Self::Refund => "Refund",
            Self::Void => "Void",
        }
    }
}

/// An invoice's money: paid is payments less refunds; the balance is what is still owed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub total_cents: i64,
    pub paid_cents: i64,
    pub refunded_cents: i64,
    pub written_off_cents: i64,
    pub balance_cents: i64,
    pub status: InvoiceStatus,
}

/// Adds up an invoice: its total, the payments against it and its adjustments.
pub fn tally(total_cents: i64, payments: &[i64], adjustments: &[(AdjustmentKind, i64)]) -> Tally {
    let sum = |kind: AdjustmentKind| adjustments.iter().filter(|(k, _)| *k == kind).map(|(_, a)| *a).sum::<i64>();
    let refunded = sum(AdjustmentKind::Refund);
    let written_off = sum(AdjustmentKind::WriteOff);
    let paid = payments.iter().sum::<i64>() - refunded;
    let void = adjustments.iter().any(|(k, _)| *k == AdjustmentKind::Void);
    let balance = if void { 0 } else { total_cents - paid - written_off };
    let status = match () {
        _ if void => InvoiceStatus::Void,
        _ if balance > 0 => InvoiceStatus::Issued,
        _ if written_off > 0 => InvoiceStatus::WrittenOff,
        _ => InvoiceStatus::Paid,
    };
    Tally {
        total_cents,
        paid_cents: paid,
        refunded_cents: refunded,
        written_off_cents: written_off,
        balance_cents: balance,
        status,
    }
}

/// The schedules a new store starts with, version 1 of each, in force from 2000-01-01. The HIPAA
/// cost-based paper rate is a placeholder for the facility's own average cost (164.524(c)(4)
/// permits an average-cost schedule): a Director sets it from the facility's labor and supplies.
pub fn seed_schedules() -> Vec<FeeSchedule> {
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(crate::domain::dates::EARLIEST);
    let band = |from_page, to_page, unit_cents| PageBand { from_page, to_page, unit_cents };
    let per_page = |unit_cents| PageRates { retrieval: None, bands: vec![band(1, None, unit_cents)] };
    let schedule =
        |code: &str, rates: FeeRates| FeeSchedule { code: code.into(), version: 1, effective_from: from, rates };
    vec![
        schedule(
            TX_HOSPITAL,
            FeeRates {
                title: "TX HSC 241.154".into(),
                jurisdiction: "TX".into(),
                requester_class: "hospitals: anyone with a valid authorization".into(),
                paper: PageRates {
                    retrieval: Some(Retrieval { cents: 3000, pages_included: 10 }),
                    bands: vec![band(11, Some(60), 100), band(61, Some(400), 50), band(401, None, 25)],
                },
                microfilm: Some(PageRates {
                    retrieval: Some(Retrieval { cents: 4500, pages_included: 10 }),
                    bands: vec![band(11, None, 100)],
                }),
                postage: true,
                ..FeeRates::default()
            },
        ),
        schedule(
            TX_PHYSICIAN,
            FeeRates {
                title: "TX 22 TAC 165.2".into(),
                jurisdiction: "TX".into(),
                requester_class: "physician practices: the patient or a representative".into(),
                paper: PageRates {
                    retrieval: Some(Retrieval { cents: 2500, pages_included: 20 }),
                    bands: vec![band(21, None, 50)],
                },
                electronic: Some(Electronic::Tiers {
                    tiers: vec![
                        ElectronicTier { up_to_pages: Some(500), cents: 2500 },
                        ElectronicTier { up_to_pages: None, cents: 5000 },
                    ],
                }),
                postage: true,
                ..FeeRates::default()
            },
        ),
        schedule(
            TX_DISABILITY,
            FeeRates {
                title: "TX HSC 161.202".into(),
                jurisdiction: "TX".into(),
                requester_class: "disability-benefit claims (SSA, Medicaid, VA)".into(),
                no_fee: true,
                ..FeeRates::default()
            },
        ),
        schedule(
            CA_PATIENT,
            FeeRates {
                title: "CA HSC 123110".into(),
                jurisdiction: "CA".into(),
                requester_class: "the patient or a representative".into(),
                paper: per_page(25),
                microfilm: Some(per_page(50)),
                ..FeeRates::default()
            },
        ),
        schedule(
            CA_SUBPOENA,
            FeeRates {
                title: "CA Evid 1563".into(),
                jurisdiction: "CA".into(),
                requester_class: "subpoena duces tecum".into(),
                paper: per_page(10),
                microfilm: Some(per_page(20)),
                clerical_quarter_hour_cents: Some(600),
                postage: true,
                ..FeeRates::default()
            },
        ),
        schedule(
            NY_COPIES,
            FeeRates {
                title: "NY PHL 18".into(),
                jurisdiction: "NY".into(),
                requester_class: "qualified persons and those they authorize".into(),
                paper: per_page(75),
                ..FeeRates::default()
            },
        ),
        schedule(
            HIPAA_PATIENT,
            FeeRates {
                title: "HIPAA 164.524 cost-based".into(),
                jurisdiction: "US".into(),
                requester_class: "the individual's own copy".into(),
                paper: per_page(30),
                electronic: Some(Electronic::Flat { cents: 650 }),
                postage: true,
                ..FeeRates::default()
            },
        ),
        schedule(
            HIPAA_ACCOUNTING_REPEAT,
            FeeRates {
                title: "HIPAA 164.528 repeat accounting".into(),
                jurisdiction: "US".into(),
                requester_class: "a second accounting within 12 months (cost-based; the Director sets it)".into(),
                ..FeeRates::default()
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn facts(state: &str, kind: FacilityKind, request_type: RequestType, requester: RequesterKind) -> FeeFacts<'_> {
        FeeFacts {
            state,
            facility_kind: kind,
            request_type,
            requester_kind: requester,
            format: RecordFormat::Paper,
            pages: None,
            clerical_minutes: None,
            postage_cents: None,
            microfilm: false,
        }
    }

    fn line(description: &str, quantity: i64, unit_cents: i64, amount_cents: i64) -> FeeLine {
        FeeLine { description: description.into(), quantity, unit_cents, amount_cents }
    }

    const ON: fn() -> NaiveDate = || NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();

    #[test]
    fn as18_texas_hospital_itemizes_retrieval_page_bands_and_postage() {
        let f = FeeFacts {
            pages: Some(75),
            postage_cents: Some(450),
            ..facts("TX", FacilityKind::Hospital, RequestType::Authorization, RequesterKind::Attorney)
        };
        let q = quote(&f, &seed_schedules(), ON()).unwrap();
        assert_eq!((q.schedule.as_str(), q.version, q.basis.as_str()), (TX_HOSPITAL, 1, "TX HSC 241.154"));
        assert_eq!(
            q.lines,
            vec![
                line("Retrieval/processing incl. pages 1-10", 1, 3000, 3000),
                line("Pages 11-60", 50, 100, 5000),
                line("Pages 61-75", 15, 50, 750),
                line("Postage", 1, 450, 450),
            ]
        );
        assert_eq!(q.total_cents, 9200);
    }

    #[test]
    fn as18_texas_clinic_paper_electronic_and_disability() {
        let clinic = facts("TX", FacilityKind::Practice, RequestType::Authorization, RequesterKind::Attorney);
        let paper = quote(&FeeFacts { pages: Some(25), ..clinic }, &seed_schedules(), ON()).unwrap();
        assert_eq!(paper.schedule, TX_PHYSICIAN);
        assert_eq!(
            paper.lines,
            vec![line("Retrieval/processing incl. pages 1-20", 1, 2500, 2500), line("Pages 21-25", 5, 50, 250)]
        );
        assert_eq!(paper.total_cents, 2750);
        let electronic =
            quote(&FeeFacts { pages: Some(600), format: RecordFormat::Pdf, ..clinic }, &seed_schedules(), ON())
                .unwrap();
        assert_eq!(electronic.lines, vec![line("Electronic copy, 600 pages", 1, 5000, 5000)]);
        let small = quote(&FeeFacts { pages: Some(500), format: RecordFormat::Cd, ..clinic }, &seed_schedules(), ON());
        assert_eq!(small.unwrap().total_cents, 2500);
        let ssa = FeeFacts {
            pages: Some(300),
            postage_cents: Some(450),
            ..facts("TX", FacilityKind::Hospital, RequestType::Disability, RequesterKind::Ssa)
        };
        let free = quote(&ssa, &seed_schedules(), ON()).unwrap();
        assert_eq!((free.schedule.as_str(), free.total_cents), (TX_DISABILITY, 0));
        assert_eq!(free.lines, vec![line("No fee (TX HSC 161.202)", 1, 0, 0)]);
    }

    #[test]
    fn as19_california_patient_pays_the_lower_of_the_state_cap_and_hipaa() {
        let f = FeeFacts {
            pages: Some(80),
            ..facts("CA", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient)
        };
        let q = quote(&f, &seed_schedules(), ON()).unwrap();
        assert_eq!(q.schedule, CA_PATIENT);
        assert_eq!(q.lines, vec![line("Pages 1-80", 80, 25, 2000)]);
        assert_eq!(q.total_cents, 2000);
        assert_eq!(q.basis, "lower of CA HSC 123110 ($20.00) and HIPAA 164.524 cost-based ($24.00)");
    }

    #[test]
    fn as20_california_subpoena_is_pages_clerical_quarter_hours_and_postage() {
        let f = FeeFacts {
            pages: Some(40),
            clerical_minutes: Some(30),
            postage_cents: Some(310),
            ..facts("CA", FacilityKind::Hospital, RequestType::Subpoena, RequesterKind::Attorney)
        };
        let q = quote(&f, &seed_schedules(), ON()).unwrap();
        assert_eq!(q.schedule, CA_SUBPOENA);
        assert_eq!(
            q.lines,
            vec![
                line("Pages 1-40", 40, 10, 400),
                line("Clerical time (quarter hours)", 2, 600, 1200),
                line("Postage", 1, 310, 310),
            ]
        );
        assert_eq!(q.total_cents, 1910);
        // A started quarter hour is billed whole.
        let f31 = FeeFacts { clerical_minutes: Some(31), ..f };
        assert_eq!(quote(&f31, &seed_schedules(), ON()).unwrap().total_cents, 400 + 1800 + 310);
    }

    #[test]
    fn as23_new_york_insurer_pays_at_most_75_cents_a_page() {
        let f = FeeFacts {
            pages: Some(114),
            ..facts("NY", FacilityKind::Hospital, RequestType::Authorization, RequesterKind::Insurer)
        };
        let q = quote(&f, &seed_schedules(), ON()).unwrap();
        assert_eq!(q.lines, vec![line("Pages 1-114", 114, 75, 8550)]);
        assert_eq!(q.total_cents, 8550);
    }

    #[test]
    fn as14_patient_electronic_copy_is_the_flat_fee_even_before_pages_are_counted() {
        let f = FeeFacts {
            format: RecordFormat::Portal,
            ..facts("TX", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient)
        };
        let q = quote(&f, &seed_schedules(), ON()).unwrap();
        assert_eq!((q.schedule.as_str(), q.total_cents), (HIPAA_PATIENT, 650));
        assert_eq!(q.lines, vec![line("Electronic copy, flat fee", 1, 650, 650)]);
        assert_eq!(q.basis, "lower of HIPAA 164.524 cost-based ($6.50) and TX HSC 241.154 (at least $30.00)");
        // Paper needs the count: the HIPAA per-page rate may be the lower.
        let paper = FeeFacts { format: RecordFormat::Paper, ..f };
        assert!(matches!(quote(&paper, &seed_schedules(), ON()), Err(FeeProblem::PagesNeeded { .. })));
    }

    #[test]
    fn requests_without_a_schedule_are_refused_in_words() {
        let f = facts("FL", FacilityKind::Hospital, RequestType::Authorization, RequesterKind::Attorney);
        assert_eq!(
            quote(&f, &seed_schedules(), ON()).unwrap_err().to_string(),
            "no fee schedule applies to authorization requests in FL"
        );
        // A patient anywhere has HIPAA's.
        let own = FeeFacts {
            pages: Some(10),
            ..facts("FL", FacilityKind::Hospital, RequestType::RightOfAccess, RequesterKind::Patient)
        };
        assert_eq!(quote(&own, &seed_schedules(), ON()).unwrap().total_cents, 300);
    }

    #[test]
    fn as25_a_new_version_governs_requests_received_from_its_date() {
        let mut schedules = seed_schedules();
        let mut raised = in_force(&schedules, TX_HOSPITAL, ON()).unwrap().clone();
        raised.version = 2;
        raised.effective_from = d(2025, 4, 1);
        raised.rates.paper.bands[0].unit_cents = 110;
        schedules.push(raised);
        let f = FeeFacts {
            pages: Some(75),
            postage_cents: Some(450),
            ..facts("TX", FacilityKind::Hospital, RequestType::Authorization, RequesterKind::Attorney)
        };
        let before = quote(&f, &schedules, d(2025, 3, 31)).unwrap();
        let after = quote(&f, &schedules, d(2025, 4, 1)).unwrap();
        assert_eq!((before.version, before.total_cents), (1, 9200));
        assert_eq!((after.version, after.total_cents), (2, 9700));
        assert!(matches!(
            quote(&f, &schedules, d(1999, 12, 31)),
            Err(FeeProblem::NotInForce { code, .. }) if code == TX_HOSPITAL
        ));
    }

    #[test]
    fn a_maximum_total_limits_the_fee_with_a_line_that_says_so() {
        let rates = FeeRates {
            title: "T".into(),
            paper: PageRates {
                retrieval: None,
                bands: vec![PageBand { from_page: 1, to_page: None, unit_cents: 100 }],
            },
            max_total_cents: Some(1500),
            ..FeeRates::default()
        };
        let f = FeeFacts {
            pages: Some(20),
            ..facts("TX", FacilityKind::Hospital, RequestType::Authorization, RequesterKind::Attorney)
        };
        let lines = charge(&rates, &f).unwrap();
        assert_eq!(lines.last(), Some(&line("Limited to the schedule's maximum of $15.00", 1, -500, -500)));
        assert_eq!(lines.iter().map(|l| l.amount_cents).sum::<i64>(), 1500);
    }

    #[test]
    fn a_repeat_accountings_fee_is_the_directors_amount_and_none_until_set() {
        let mut schedules = seed_schedules();
        assert_eq!(repeat_accounting_fee(&schedules, ON()), None, "the seed names no price");
        let mut set = in_force(&schedules, HIPAA_ACCOUNTING_REPEAT, ON()).unwrap().clone();
        set.version = 2;
        set.effective_from = d(2025, 4, 1);
        set.rates.per_request_cents = Some(1250);
        schedules.push(set.clone());
        assert_eq!(repeat_accounting_fee(&schedules, d(2025, 3, 31)), None);
        assert_eq!(repeat_accounting_fee(&schedules, d(2025, 6, 10)), Some(1250));
        let f = facts("TX", FacilityKind::Hospital, RequestType::Accounting, RequesterKind::Patient);
        assert_eq!(charge(&set.rates, &f).unwrap(), vec![line("Fee per request", 1, 1250, 1250)]);
        // The accounting decides when it is owed: no quote of its own.
        assert!(matches!(quote(&f, &schedules, d(2025, 6, 10)), Err(FeeProblem::NoSchedule { .. })));
    }

    #[test]
    fn the_seed_schedules_pass_their_own_checks_and_a_bad_one_is_named() {
        for s in seed_schedules() {
            assert_eq!(schedule_problems(&s.rates), Vec::<String>::new(), "{}", s.code);
        }
        let bad = FeeRates {
            title: "X".into(),
            paper: PageRates {
                retrieval: None,
                bands: vec![
                    PageBand { from_page: 1, to_page: Some(10), unit_cents: 100 },
                    PageBand { from_page: 5, to_page: None, unit_cents: -1 },
                ],
            },
            ..FeeRates::default()
        };
        let problems = schedule_problems(&bad);
        assert!(problems.iter().any(|p| p.contains("-$0.01 is not a fee")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("from page 5 overlaps")), "{problems:?}");
    }

    #[test]
    fn a_schedule_with_a_gap_between_bands_or_a_control_character_in_its_words_is_refused() {
        let mut rates = seed_schedules().into_iter().find(|s| s.code == TX_HOSPITAL).unwrap().rates;
        assert_eq!(schedule_problems(&rates), Vec::<String>::new());
        rates.title = "TX \u{1b}]0;PWNED\u{7} HSC".into();
        rates.requester_class = "\u{1b}[2J".into();
        rates.jurisdiction = "TX\u{7}".into();
        rates.paper.bands = vec![
            PageBand { from_page: 1, to_page: Some(60), unit_cents: 100 },
            PageBand { from_page: 70, to_page: None, unit_cents: 50 },
        ];
        let problems = schedule_problems(&rates);
        for what in ["the title", "the jurisdiction", "the requester class"] {
            assert!(
                problems.iter().any(|p| p.starts_with(&format!("{what} holds a control character"))),
                "{what}: {problems:?}"
            );
        }
        assert!(
            problems.iter().any(|p| p
                == "paper: the band from page 70 leaves pages 61 to 69 unpriced (the band before it ends at page 60)"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_invoice_tally_reads_its_status_from_what_was_recorded() {
        use AdjustmentKind::*;
        assert_eq!(tally(9200, &[], &[]).status, InvoiceStatus::Issued);
        let part = tally(9200, &[5000], &[]);
        assert_eq!((part.paid_cents, part.balance_cents, part.status), (5000, 4200, InvoiceStatus::Issued));
        assert_eq!(tally(9200, &[5000, 4200], &[]).status, InvoiceStatus::Paid);
        let off = tally(9200, &[5000], &[(WriteOff, 4200)]);
        assert_eq!((off.balance_cents, off.status), (0, InvoiceStatus::WrittenOff));
        let refunded = tally(9200, &[9200, 500], &[(Refund, 500)]);
        assert_eq!((refunded.paid_cents, refunded.balance_cents, refunded.status), (9200, 0, InvoiceStatus::Paid));
        assert_eq!(tally(9200, &[], &[(Void, 0)]).status, InvoiceStatus::Void);
        assert_eq!(dollars(-12_345_678), "-$123,456.78");
    }

    #[test]
    fn one_page_limit_and_one_amount_cap_say_the_same_everywhere() {
        assert_eq!(pages_problem(0).as_deref(), Some("0 pages: a page count is 1 to 100,000"));
        assert_eq!(pages_problem(1), None);
        assert_eq!(pages_problem(MAX_PAGES), None);
        assert!(pages_problem(MAX_PAGES + 1).is_some());
        assert_eq!(amount_problem(0), None);
        assert_eq!(amount_problem(MAX_AMOUNT_CENTS), None);
        assert_eq!(
            amount_problem(9_999_999_900).as_deref(),
            Some("$99,999,999.00 is more than any one amount may be ($100,000.00)")
        );
        assert!(amount_problem(-1).is_some_and(|p| p.contains("below nothing")));
    }

    #[test]
    fn money_is_written_with_its_thousands_separated() {
        assert_eq!(dollars(5), "$0.05");
        assert_eq!(dollars(99_999), "$999.99");
        assert_eq!(dollars(100_000), "$1,000.00");
        assert_eq!(dollars(123_456_789), "$1,234,567.89");
    }

    proptest! {
        #[test]
        fn no_fee_is_negative_or_above_its_schedules_ceiling_and_a_patient_pays_the_lower(
            state in 0..5usize,
            kind in 0..2usize,
            request_type in 0..RequestType::ALL.len(),
            requester in 0..RequesterKind::ALL.len(),
            format in 0..RecordFormat::ALL.len(),
            pages in proptest::option::of(0i64..5_000),
            minutes in proptest::option::of(0i64..600),
            postage in proptest::option::of(0i64..5_000),
            microfilm in any::<bool>(),
        ) {
            let f = FeeFacts {
                state: ["TX", "CA", "NY", "FL", ""][state],
                facility_kind: [FacilityKind::Hospital, FacilityKind::Practice][kind],
                request_type: RequestType::ALL[request_type],
                requester_kind: RequesterKind::ALL[requester],
                format: RecordFormat::ALL[format],
                pages,
                clerical_minutes: minutes,
                postage_cents: postage,
                microfilm,
            };
            let schedules = seed_schedules();
            for s in &schedules {
                if let Ok(lines) = charge(&s.rates, &f) {
                    let total: i64 = lines.iter().map(|l| l.amount_cents).sum();
                    prop_assert!(total >= 0, "{}: {}", s.code, total);
                    if let Some(ceiling) = ceiling(&s.rates, &f) {
                        prop_assert!(total <= ceiling, "{}: {} > {}", s.code, total, ceiling);
                    }
                    for l in lines.iter().filter(|l| !l.description.starts_with("Limited")) {
                        prop_assert!(l.quantity >= 0 && l.unit_cents >= 0);
                        prop_assert_eq!(l.amount_cents, l.quantity * l.unit_cents);
                    }
                }
            }
            if let Ok(q) = quote(&f, &schedules, ON()) {
                prop_assert_eq!(q.total_cents, q.lines.iter().map(|l| l.amount_cents).sum::<i64>());
                prop_assert!(q.total_cents >= 0);
                // Never more than any schedule that governs it, when that one can be priced.
                for code in governing(&f).unwrap() {
                    let s = in_force(&schedules, code, ON()).unwrap();
                    if let Ok(lines) = charge(&s.rates, &f) {
                        prop_assert!(q.total_cents <= lines.iter().map(|l| l.amount_cents).sum::<i64>());
                    }
                }
                // More pages never cost less.
                if let Some(p) = pages
                    && let Ok(more) = quote(&FeeFacts { pages: Some(p + 1), ..f }, &schedules, ON())
                {
                    prop_assert!(more.total_cents >= q.total_cents);
                }
            }
        }
    }
}
