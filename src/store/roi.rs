//! The types the release-of-information operations of a [`super::Store`] speak. The store keeps
//! what the desk decided — the due date and the rule that set it, the checklist as run, the status
//! a transition reached — and computes none of it (`domain::roi` does).

use crate::domain::mrn::Mrn;
use crate::domain::roi::{
    AuthorizationForm, ChecklistItem, Delivery, LegalProcess, LetterKind, NewRequester, ReceivedVia, RecordFormat,
    RequestNumber, RequestStatus, RequestType, Requester, Scope,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub use crate::domain::roi::fees::{AdjustmentKind, FeeRates, FeeSchedule, Quote};

/// The clocks are the domain's (`domain::roi::clocks` computes them); the store keeps them as
/// decided.
pub use crate::domain::roi::{ClockRecord, DueDate};

/// Who asks: one already in the address book, or a new entry written with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequesterRef {
    Existing(i64),
    New(NewRequester),
}

/// An authorization as received, with its checklist as the desk ran it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAuthorization {
    pub form: AuthorizationForm,
    pub received_on: NaiveDate,
    pub checklist: Vec<ChecklistItem>,
}

/// A request as logged; its number is issued by the store in the same transaction (the next of
/// its facility's sequence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRoiRequest {
    pub facility_id: i64,
    pub patient_id: i64,
    pub requester: RequesterRef,
    pub received_on: NaiveDate,
    pub received_via: ReceivedVia,
    pub request_type: RequestType,
    pub purpose: String,
    pub format: RecordFormat,
    pub delivery: Delivery,
    pub pages: Option<i64>,
    pub postage_cents: Option<i64>,
    pub clerical_minutes: Option<i64>,
    pub scope: Scope,
    pub authorization: Option<NewAuthorization>,
    pub legal_process: Option<LegalProcess>,
    /// The status the desk put it in (logged; pended when its checklist failed).
    pub status: RequestStatus,
    pub status_reason: Option<String>,
    pub assigned_to: Option<String>,
    pub due: DueDate,
    pub logged_by: String,
    pub logged_at: DateTime<Utc>,
    /// For an accounting request: the period it covers.
    pub accounting_period: Option<(NaiveDate, NaiveDate)>,
    /// What left on a request logged already released (the demo's history): written with it.
    pub disclosure: Option<DisclosureRecord>,
    /// The day it was released (`domain::roi::accounting::first_release` of its disclosure), as
    /// the desk or the demo decided it: the store keeps it and works out none.
    pub released_on: Option<NaiveDate>,
    /// An invoice written with the request (the demo's bulk path: requests already invoiced and
    /// paid when they are loaded). The store numbers it after the request, `{number}-1`, in the same
    /// transaction; it and its payments are by `logged_by` at `logged_at`.
    pub invoice: Option<NewInvoice>,
}

/// An invoice logged with its request, and the payments made against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub quote: Quote,
    pub issued_on: NaiveDate,
    /// (paid on, amount in cents)
    pub payments: Vec<(NaiveDate, i64)>,
}

/// The number of the first invoice of a request: `RGH-00042-1`.
pub fn first_invoice_no(number: &RequestNumber) -> String {
    format!("{number}-1")
}

/// A re-sent request recorded on the original (AS-16): never a new clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub received_on: NaiveDate,
    pub received_via: ReceivedVia,
    pub note: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A letter as produced: the text it went out with and the template version it used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterRecord {
    pub kind: LetterKind,
    pub template_version: i64,
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A payment recorded against a request (part 1: what payment-gated clocks wait for).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub paid_on: NaiveDate,
    pub amount_cents: i64,
    pub by: String,
    pub at: DateTime<Utc>,
    /// The invoice it pays (`RGH-00042-1`); none for a payment taken before invoices existed.
    #[serde(default)]
    pub invoice_no: Option<String>,
}

/// Whether a fee record is a quote (the fee told in advance, 164.524(c)(4)) or an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeKind {
    Quote,
    Invoice,
}

impl FeeKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Quote => "quote",
            Self::Invoice => "invoice",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Quote, Self::Invoice].into_iter().find(|k| k.code() == code)
    }
}

/// A quote or an invoice as the desk made it: the schedule code and version it was made under and
/// its lines, kept as issued. Never changed; a new quote or invoice is a new record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeRecord {
    pub kind: FeeKind,
    /// An invoice's number, the request's number and a sequence (`RGH-00042-1`); none for a quote.
    pub invoice_no: Option<String>,
    pub quote: Quote,
    pub issued_on: NaiveDate,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A write-off, refund or void recorded against an invoice, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeAdjustment {
    pub invoice_no: String,
    pub kind: AdjustmentKind,
    pub on: NaiveDate,
    pub amount_cents: i64,
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// What left the building (the accounting's source, 164.528): who, what, when, legal basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureRecord {
    pub disclosed_on: NaiveDate,
    pub recipient: String,
    /// The recipient's address, its lines kept (the accounting names it beside the recipient).
    #[serde(default)]
    pub recipient_address: String,
    pub description: String,
    pub purpose: String,
    pub legal_basis: crate::domain::roi::LegalBasis,
    pub accountable: bool,
    pub pages: i64,
    pub by: String,
}

/// One document offered for a release (domain.md §4.4 `release_item`): released or left out,
/// with the reason in the clerk's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseItem {
    pub document_id: i64,
    pub pages: i64,
    pub included: bool,
    pub reason: String,
}

/// What a release carried beyond its disclosure line: each document offered, the notices that went
/// with them, the version of the §2.32 notice template printed, and the packet file written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketRecord {
    pub items: Vec<ReleaseItem>,
    pub notices_attached: Vec<crate::domain::roi::packet::Notice>,
    pub notice_template_version: Option<i64>,
    /// The packet's file name under the releases directory.
    pub file: Option<String>,
    pub sha256: Option<String>,
}

/// A packet as kept, with the disclosure it went out as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPacket {
    pub disclosure_id: i64,
    pub disclosed_on: NaiveDate,
    pub packet: PacketRecord,
}

/// A chart document as a release reads it: what the packet rule judges, and what prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartDocument {
    pub document: crate::domain::roi::packet::PacketDocument,
    pub account: String,
    pub text: Option<String>,
}

/// A disclosure as kept: what the accounting reads (`domain::roi::accounting::Disclosure`) and
/// who recorded it, how many pages, and its void when it was voided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDisclosure {
    pub disclosure: crate::domain::roi::accounting::Disclosure,
    pub patient_id: i64,
    pub pages: i64,
    pub by: String,
    pub void: Option<DisclosureVoid>,
}

/// Why and by whom a disclosure was voided: it stays, out of the accounting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureVoid {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

/// What voiding a request's disclosure does to the request, as the desk decided it: the day it now
/// stands released (`None`: not released), written with the void, the request moving to its next
/// version with a history line; a request no longer at `expected_version` is a conflict, as a
/// release meanwhile may have changed the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoidedRelease {
    pub request_id: i64,
    pub expected_version: i64,
    pub released_on: Option<NaiveDate>,
    /// The history line's words.
    pub detail: String,
}

/// A disclosure not made on a request (a public-health report, an abuse report), as the desk
/// decided it: `accountable` is the desk's, from the legal basis and the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisclosure {
    pub patient_id: i64,
    pub disclosed_on: NaiveDate,
    pub recipient: String,
    pub recipient_address: String,
    pub description: String,
    pub purpose: String,
    pub legal_basis: crate::domain::roi::LegalBasis,
    pub accountable: bool,
    pub pages: i64,
    pub by: String,
}

/// An agency's suspension of one patient's accounting, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSuspension {
    pub id: i64,
    pub patient_id: i64,
    pub suspension: crate::domain::roi::accounting::Suspension,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// An accounting of disclosures given to the patient: the next one in 12 months is not free.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountingDelivery {
    pub patient_id: i64,
    pub requested_on: NaiveDate,
    pub delivered_on: NaiveDate,
    pub fee_cents: i64,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// One line of a request's history: every change, who made it and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub version: i64,
    pub at: DateTime<Utc>,
    pub by: String,
    pub from_status: Option<RequestStatus>,
    pub to_status: RequestStatus,
    /// The clerk's words: `Pended: Deficient authorization`, `Assigned to jdoe`.
    pub detail: String,
}

/// An authorization kept with its request, its checklist as run when it was received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAuthorization {
    pub form: AuthorizationForm,
    pub received_on: NaiveDate,
    pub checklist: Vec<ChecklistItem>,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A request, whole: what `roi show` and the request screen read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoiRequest {
    pub id: i64,
    pub number: RequestNumber,
    /// Every change carries the version it was read at; a stale one is a conflict.
    pub version: i64,
    pub facility_id: i64,
    pub patient_id: i64,
    pub mrn: Mrn,
    /// `GARCIA, MARIA L`, as the chart's banner.
    pub patient_name: String,
    pub birth_date: Option<NaiveDate>,
    pub requester: Requester,
    pub received_on: NaiveDate,
    pub received_via: ReceivedVia,
    pub request_type: RequestType,
    pub purpose: String,
    pub format: RecordFormat,
    pub delivery: Delivery,
    pub pages: Option<i64>,
    pub postage_cents: Option<i64>,
    pub clerical_minutes: Option<i64>,
    pub scope: Scope,
    pub legal_process: Option<LegalProcess>,
    pub status: RequestStatus,
    /// Why it is pended, on hold, an exception, rejected or cancelled.
    pub status_reason: Option<String>,
    pub assigned_to: Option<String>,
    pub due: DueDate,
    pub extended_due_on: Option<NaiveDate>,
    pub extension_noticed_on: Option<NaiveDate>,
    pub extension_reason: Option<String>,
    pub accounting_period: Option<(NaiveDate, NaiveDate)>,
    pub logged_by: String,
    pub logged_at: DateTime<Utc>,
    pub authorizations: Vec<StoredAuthorization>,
    pub follow_ups: Vec<FollowUp>,
    pub letters: Vec<LetterRecord>,
    pub payments: Vec<PaymentRecord>,
    /// Quotes and invoices, oldest first.
    #[serde(default)]
    pub fees: Vec<FeeRecord>,
    /// Write-offs, refunds and voids, oldest first.
    #[serde(default)]
    pub fee_adjustments: Vec<FeeAdjustment>,
    pub disclosures: Vec<DisclosureRecord>,
    /// Oldest first.
    pub history: Vec<HistoryEntry>,
}

/// One versioned change of a request, decided by the desk; the store writes it, a history line and
/// its audit event in one transaction, or refuses it with a conflict when the request is no longer
/// at `expected_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoiChange {
    pub request_id: i64,
    pub expected_version: i64,
    pub at: DateTime<Utc>,
    pub by: String,
    /// The status after the change (the same as before for a change that moves none).
    pub status: RequestStatus,
    /// Replaces the reason when `Some` (`Some(None)` clears it).
    pub status_reason: Option<Option<String>>,
    pub assigned_to: Option<Option<String>>,
    /// A due date computed again (after a payment, an extension).
    pub due: Option<DueDate>,
    /// (extended due date, noticed on, reason)
    pub extension: Option<(NaiveDate, NaiveDate, String)>,
    pub add_authorization: Option<NewAuthorization>,
    pub add_follow_up: Option<FollowUp>,
    pub add_letter: Option<LetterRecord>,
    pub add_payment: Option<PaymentRecord>,
    pub add_disclosure: Option<DisclosureRecord>,
    pub add_fee: Option<FeeRecord>,
    pub add_fee_adjustment: Option<FeeAdjustment>,
    /// Replaces the request's legal process whole (a paper received for it: an assurance, a QPO, a
    /// §2.64 order).
    pub legal_process: Option<LegalProcess>,
    /// The packet released with `add_disclosure`: written with it, its items linked to it.
    pub add_packet: Option<PacketRecord>,
    /// Replaces the day the request was released when `Some` (`Some(None)`: not released); the
    /// desk's, from its disclosures not voided (`domain::roi::accounting::first_release`).
    pub released_on: Option<Option<NaiveDate>>,
    /// The history line's words.
    pub detail: String,
}

/// Which requests a queue lists. Empty fields filter nothing; with no `statuses`, the open ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoiQueueFilter {
    pub statuses: Vec<RequestStatus>,
    pub request_type: Option<RequestType>,
    /// A requester's name (or organization) starting with this.
    pub requester: Option<String>,
    /// Requests one clerk is assigned; `Some("")` for nobody's.
    pub assigned_to: Option<String>,
    /// Due on or before this date (the desk sets it: overdue = before today; due within N days).
    pub due_by: Option<NaiveDate>,
    pub facility_id: Option<i64>,
    pub patient_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoiSort {
    /// Soonest due first; undated (waiting for payment) last.
    #[default]
    Due,
    Received,
    Number,
    Patient,
    Requester,
    Status,
}

/// One row of the ROI queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoiQueueRow {
    pub id: i64,
    pub number: RequestNumber,
    pub version: i64,
    pub patient_name: String,
    pub mrn: Mrn,
    pub requester: String,
    pub request_type: RequestType,
    pub status: RequestStatus,
    pub received_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub due_rule: String,
    pub assigned_to: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoiQueuePage {
    pub rows: Vec<RoiQueueRow>,
    /// Every row the filter matches, not only the page's.
    pub total: i64,
}

/// What the Director's view asks the store to count ([`super::Store::roi_stats_facts`]): a period
/// of facility days, the day the open requests are taken as they stood, and one facility or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoiStatsQuery {
    pub period: crate::domain::roi::stats::Period,
    /// The day whose open requests are counted by due date (the desk passes the period's end, or
    /// today when that is earlier).
    pub as_of: NaiveDate,
    pub facility_id: Option<i64>,
}

/// A letter template as a Director saved it; letters record the version they used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterTemplate {
    pub kind: LetterKind,
    pub version: i64,
    pub text: String,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
}

/// The key a requester is found by as a clerk types: upper case, runs of spaces made one. Both
/// backends keep it beside the name, so that a case-insensitive prefix is an index range.
pub fn requester_key(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

/// The least string above every string that starts with `prefix` (`BAKER` → `BAKES`), so that
/// `key >= prefix AND key < end` is a prefix match on a B-tree of byte-ordered text (SQLite's and
/// PostgreSQL's `COLLATE "C"`: UTF-8 orders as code points do). None when no string is above them
/// all (an empty prefix, or one of only the last code point).
pub(crate) fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        // The next scalar value, skipping the surrogate gap.
        let next = match last as u32 {
            0xD7FF => Some('\u{E000}'),
            n => char::from_u32(n + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Where a status stands in a request's life, as the store keeps it beside the code: the queue's
/// status sort walks an index in this order, and every open status is below
/// [`OPEN_STAGES_END`], so "open" is one range (and the partial indexes' predicate). Numbers are
/// kept in stores: a status added later takes a number of its own, never one of these.
pub(crate) fn stage(status: RequestStatus) -> i64 {
    match status {
        RequestStatus::Logged => 0,
        RequestStatus::Validating => 1,
        RequestStatus::Pended => 2,
        RequestStatus::OnHold => 3,
        RequestStatus::Exception => 4,
        RequestStatus::ReadyToFulfil => 5,
        RequestStatus::InQc => 6,
        RequestStatus::AwaitingPayment => 7,
        RequestStatus::ReadyToRelease => 8,
        RequestStatus::Released => 9,
        RequestStatus::Closed => 10,
        RequestStatus::Rejected => 11,
        RequestStatus::Cancelled => 12,
    }
}

/// Every open status's stage is below this; every other's is not.
pub(crate) const OPEN_STAGES_END: i64 = 9;

/// The stages a queue filter asks for, sorted, and whether they are all open (then the open
/// requests' partial indexes serve it). No statuses asked: the open ones.
pub(crate) fn filter_stages(statuses: &[RequestStatus]) -> (Vec<i64>, bool) {
    if statuses.is_empty() {
        return (Vec::new(), true);
    }
    let mut stages: Vec<i64> = statuses.iter().map(|s| stage(*s)).collect();
    stages.sort_unstable();
    stages.dedup();
    let open = stages.iter().all(|s| *s < OPEN_STAGES_END);
    (stages, open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requester_is_found_by_any_case_and_spacing() {
        assert_eq!(requester_key("  Baker &   Lowe llp "), "BAKER & LOWE LLP");
        assert_eq!(requester_key("Société  Générale"), "SOCIÉTÉ GÉNÉRALE");
    }

    #[test]
    fn a_prefix_ends_at_the_next_string_of_its_length() {
        assert_eq!(prefix_end("BAKER").as_deref(), Some("BAKES"));
        assert_eq!(prefix_end("BAKER &").as_deref(), Some("BAKER '"));
        assert_eq!(prefix_end("Z\u{10FFFF}").as_deref(), Some("["));
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        // Byte order agrees: every key starting with the prefix is below the end, the end above.
        for key in ["BAKER", "BAKER & LOWE", "BAKER\u{10FFFF}"] {
            assert!(key >= "BAKER" && key < prefix_end("BAKER").unwrap().as_str(), "{key}");
        }
        assert!("BAKES" >= prefix_end("BAKER").unwrap().as_str());
    }

    #[test]
    fn the_open_statuses_are_the_stages_below_the_end_and_each_stage_is_one_status() {
        for status in RequestStatus::ALL {
            assert_eq!(stage(*status) < OPEN_STAGES_END, status.is_open(), "{status:?}");
        }
        let mut stages: Vec<i64> = RequestStatus::ALL.iter().map(|s| stage(*s)).collect();
        stages.dedup();
        assert_eq!(stages.len(), RequestStatus::ALL.len(), "in the life's order, none shared");
        assert!(stages.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(filter_stages(&[]), (vec![], true));
        assert_eq!(
            filter_stages(&[RequestStatus::OnHold, RequestStatus::Pended, RequestStatus::Pended]),
            (vec![2, 3], true)
        );
        assert_eq!(filter_stages(&[RequestStatus::Released, RequestStatus::Logged]), (vec![0, 9], false));
    }
}
