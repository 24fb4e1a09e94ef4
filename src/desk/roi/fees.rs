//! Fees at the desk: the quote told before work (164.524(c)(4): the individual is told the
//! approximate fee in advance), the invoice, payments against it, write-offs and refunds, and a
//! Director's new version of a fee schedule. What a request costs is `domain::roi::fees`'s; the
//! desk gathers the facts, checks who may, and writes each act as one versioned change of the
//! request with its history line and audit event.
//!
//! The quote is recorded (a history line and the quote's lines kept with the request), not only
//! shown: that the fee was told before work is what AS-14 asks the desk to be able to prove.

use super::rules::due_now;
use crate::desk::{Desk, DeskError, DeskResult, checked_date};
use crate::domain::audit::AuditAction;
use crate::domain::chart::Facility;
use crate::domain::dates::us_date;
use crate::domain::roi::RequestStatus;
use crate::domain::roi::fees::{
    self, AdjustmentKind, FeeFacts, FeeLine, FeeRates, FeeSchedule, InvoiceStatus, MAX_AMOUNT_CENTS, Quote, Tally,
    dollars,
};
use crate::domain::roi::status::{Step, transition};
use crate::domain::role::{Permission, allows};
use crate::domain::text::control_character_problem;
use crate::store::roi::{FeeAdjustment, FeeKind, FeeRecord, PaymentRecord, RoiRequest};
use chrono::NaiveDate;
use serde::Serialize;

/// The fee a request shows: its invoice when it has one standing, else its latest quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeView {
    pub kind: FeeKind,
    pub invoice_no: Option<String>,
    /// The schedule's code (`TX-241.154`).
    pub schedule: String,
    pub schedule_version: i64,
    pub basis: String,
    pub issued_on: NaiveDate,
    pub lines: Vec<FeeLine>,
    pub total_cents: i64,
    pub paid_cents: i64,
    pub written_off_cents: i64,
    pub refunded_cents: i64,
    pub balance_cents: i64,
    /// An invoice's standing; none for a quote.
    pub status: Option<InvoiceStatus>,
}

/// The fee `roi show` and the request screen show (None before any quote or invoice).
pub fn fee_view(request: &RoiRequest) -> Option<FeeView> {
    // An invoice standing, else the latest quote, else the latest invoice though void: what the
    // requester was last told.
    let record = current_invoice(request)
        .or_else(|| request.fees.iter().rev().find(|f| f.kind == FeeKind::Quote))
        .or_else(|| request.fees.iter().rev().find(|f| f.kind == FeeKind::Invoice))?;
    let tally = match &record.invoice_no {
        Some(no) => invoice_tally(request, no, record.quote.total_cents),
        None => fees::tally(record.quote.total_cents, &[], &[]),
    };
    Some(FeeView {
        kind: record.kind,
        invoice_no: record.invoice_no.clone(),
        schedule: record.quote.schedule.clone(),
        schedule_version: record.quote.version,
        basis: record.quote.basis.clone(),
        issued_on: record.issued_on,
        lines: record.quote.lines.clone(),
        total_cents: tally.total_cents,
        paid_cents: tally.paid_cents,
        written_off_cents: tally.written_off_cents,
        refunded_cents: tally.refunded_cents,
        balance_cents: tally.balance_cents,
        status: (record.kind == FeeKind::Invoice).then_some(tally.status),
    })
}

/// The latest invoice not voided: the one payments go against.
pub fn current_invoice(request: &RoiRequest) -> Option<&FeeRecord> {
    request.fees.iter().rev().filter(|f| f.kind == FeeKind::Invoice).find(|f| {
        !request
            .fee_adjustments
            .iter()
            .any(|a| a.kind == AdjustmentKind::Void && Some(&a.invoice_no) == f.invoice_no.as_ref())
    })
}

/// Why the request cannot be released for its money: its standing invoice has a balance due. An
/// invoice moves a request to awaiting payment and the payment that settles it moves it on, so a
/// balance at release is money a refund gave back: it is taken again, or written off, first.
/// Asked by the screen before its question and by the desk before it writes.
pub fn unpaid_refusal(request: &RoiRequest) -> Option<String> {
    let invoice = current_invoice(request)?;
    let no = invoice.invoice_no.clone().unwrap_or_default();
    let tally = invoice_tally(request, &no, invoice.quote.total_cents);
    (tally.balance_cents > 0).then(|| {
        format!(
            "{} cannot be released while invoice {no} has {} due: take the payment, or write off what is not \
             owed (W), first",
            request.number,
            dollars(tally.balance_cents)
        )
    })
}

/// Why a quote cannot be given now: an invoice stands, and a quote after it would be a second
/// price on file that changes nothing the requester owes (164.524(c)(4) is a fee told *before*
/// work). The invoice is corrected by a write-off, or voided and then quoted and invoiced again.
/// Asked by the screen before `F` and by the desk before it writes.
pub fn quote_refusal(request: &RoiRequest) -> Option<String> {
    let standing = current_invoice(request)?;
    Some(format!(
        "{} already has invoice {} ({}), which stands: a quote now would change nothing owed. Write off what is \
         not owed (W, roi write-off), or void the invoice (V, roi void-invoice) and quote again",
        request.number,
        standing.invoice_no.as_deref().unwrap_or_default(),
        dollars(standing.quote.total_cents)
    ))
}

/// The invoice a write-off, refund or void of `amount_cents` would touch and its tally before, or
/// why it cannot be: asked by the screen before its question and by the desk before it writes.
/// A write-off is at most the balance, a refund at most what was paid, and a void only of an
/// invoice nothing is paid on.
pub fn check_adjustment(
    request: &RoiRequest,
    kind: AdjustmentKind,
    amount_cents: i64,
) -> Result<(String, Tally), String> {
    let invoice = current_invoice(request).ok_or_else(|| format!("{} has no invoice standing", request.number))?;
    let no = invoice.invoice_no.clone().unwrap_or_default();
    let before = invoice_tally(request, &no, invoice.quote.total_cents);
    if kind == AdjustmentKind::Void && before.paid_cents > 0 {
        return Err(format!(
            "invoice {no} has {} paid on it; refund that first, then void it",
            dollars(before.paid_cents)
        ));
    }
    let limit = match kind {
        AdjustmentKind::WriteOff => before.balance_cents,
        AdjustmentKind::Refund => before.paid_cents,
        AdjustmentKind::Void => return Ok((no, before)),
    };
    if !(1..=limit).contains(&amount_cents) {
        let what = if kind == AdjustmentKind::WriteOff { "balance" } else { "amount paid" };
        return Err(format!(
            "a {} on invoice {no} is more than $0.00 and at most its {what} ({}), not {}",
            kind.title().to_lowercase(),
            dollars(limit),
            dollars(amount_cents)
        ));
    }
    Ok((no, before))
}

/// Why a payment of `amount_cents` cannot be recorded on `request`, in the words the desk refuses
/// it with: asked by the screen before its question and by the desk before it writes. Never more
/// than the standing invoice's balance; before any invoice, never more than the latest quote less
/// what was already paid on it; none on a void invoice or a closed request.
pub fn check_payment(request: &RoiRequest, amount_cents: i64) -> Result<(), String> {
    if !request.status.is_open() {
        return Err(format!("{} is {}; a payment for it is not recorded here", request.number, request.status.title()));
    }
    if !(1..=fees::MAX_AMOUNT_CENTS).contains(&amount_cents) {
        return Err(format!(
            "{} is not an amount a request is paid (more than $0.00, at most {})",
            dollars(amount_cents),
            dollars(fees::MAX_AMOUNT_CENTS)
        ));
    }
    if let Some(invoice) = current_invoice(request) {
        let no = invoice.invoice_no.clone().unwrap_or_default();
        let before = invoice_tally(request, &no, invoice.quote.total_cents);
        if amount_cents > before.balance_cents {
            return Err(format!(
                "{} is more than the balance of invoice {no} ({}); record no more than is owed",
                dollars(amount_cents),
                dollars(before.balance_cents)
            ));
        }
        return Ok(());
    }
    if request.fees.iter().any(|f| f.kind == FeeKind::Invoice) {
        return Err(format!(
            "{}'s invoice is void; issue a new one before taking a payment (roi invoice {})",
            request.number, request.number
        ));
    }
    if let Some(quote) = request.fees.iter().rev().find(|f| f.kind == FeeKind::Quote) {
        let taken: i64 = request.payments.iter().filter(|p| p.invoice_no.is_none()).map(|p| p.amount_cents).sum();
        let open = (quote.quote.total_cents - taken).max(0);
        if amount_cents > open {
            return Err(format!(
                "{} is more than what is left of {}'s quote ({} quoted, {} paid); record no more than was quoted, or \
                 issue the invoice first (roi invoice {})",
                dollars(amount_cents),
                request.number,
                dollars(quote.quote.total_cents),
                dollars(taken),
                request.number
            ));
        }
    }
    Ok(())
}

fn invoice_tally(request: &RoiRequest, invoice_no: &str, total_cents: i64) -> Tally {
    let payments: Vec<i64> = request
        .payments
        .iter()
        .filter(|p| p.invoice_no.as_deref() == Some(invoice_no))
        .map(|p| p.amount_cents)
        .collect();
    let adjustments: Vec<(AdjustmentKind, i64)> = request
        .fee_adjustments
        .iter()
        .filter(|a| a.invoice_no == invoice_no)
        .map(|a| (a.kind, a.amount_cents))
        .collect();
    fees::tally(total_cents, &payments, &adjustments)
}

/// The day a payment-gated clock starts: with an invoice, the day its balance was settled (paid
/// or written off in full; the day it was issued when it was for nothing); before invoices, the
/// first payment recorded.
pub(super) fn settled_on(request: &RoiRequest) -> Option<NaiveDate> {
    let Some(invoice) = current_invoice(request) else {
        return request.payments.iter().map(|p| p.paid_on).min();
    };
    let no = invoice.invoice_no.as_deref()?;
    if invoice.quote.total_cents <= 0 {
        return Some(invoice.issued_on);
    }
    let mut events: Vec<(chrono::DateTime<chrono::Utc>, NaiveDate, i64)> = request
        .payments
        .iter()
        .filter(|p| p.invoice_no.as_deref() == Some(no))
        .map(|p| (p.at, p.paid_on, p.amount_cents))
        .chain(request.fee_adjustments.iter().filter(|a| a.invoice_no == no).map(|a| match a.kind {
            AdjustmentKind::WriteOff => (a.at, a.on, a.amount_cents),
            AdjustmentKind::Refund => (a.at, a.on, -a.amount_cents),
            AdjustmentKind::Void => (a.at, a.on, 0),
        }))
        .collect();
    events.sort_by_key(|(at, _, _)| *at);
    let mut settled = 0;
    for (_, on, amount) in events {
        settled += amount;
        if settled >= invoice.quote.total_cents {
            return Some(on);
        }
    }
    None
}

impl Desk {
    /// Every version of every fee schedule.
    pub fn fee_schedules(&self) -> DeskResult<Vec<FeeSchedule>> {
        self.require_any(&[Permission::LogRequests, Permission::ReleaseRecords, Permission::ManageRules])?;
        Ok(self.store().fee_schedules()?)
    }

    /// The version of a schedule in force on a day (today when none is given).
    pub fn fee_schedule(&self, code: &str, on: Option<NaiveDate>) -> DeskResult<FeeSchedule> {
        let on = on.unwrap_or_else(|| self.today());
        checked_date(on)?;
        let all = self.fee_schedules()?;
        let code = known_code(&all, code)?;
        fees::in_force(&all, &code, on).cloned().ok_or_else(|| {
            DeskError::NotFound(format!("fee schedule {code} has no version in force on {}", us_date(on)))
        })
    }

    /// The cost-based fee of a repeat accounting of disclosures requested on `on` (164.528(c)(2)),
    /// from the schedule in force that day; None until a Director sets it.
    pub fn repeat_accounting_fee(&self, on: NaiveDate) -> DeskResult<Option<i64>> {
        self.require_any(&[Permission::LogRequests, Permission::ReleaseRecords, Permission::ManageRules])?;
        Ok(fees::repeat_accounting_fee(&self.store().fee_schedules()?, on))
    }

    /// Saves a new version of a fee schedule (Director of HIM), in force from `effective_from`:
    /// requests received from that day are quoted under it, earlier ones keep the version they
    /// were received under, and invoices keep the one they were made under. The audit event holds
    /// the old and new values. A date before today is refused: it would reprice quotes already
    /// given.
    pub fn set_fee_schedule(&self, code: &str, effective_from: NaiveDate, rates: FeeRates) -> DeskResult<FeeSchedule> {
        self.require_permission(Permission::ManageRules)?;
        checked_date(effective_from)?;
        let all = self.store().fee_schedules()?;
        let code = known_code(&all, code)?;
        if effective_from < self.today() {
            return Err(DeskError::Invalid(format!(
                "{code} cannot take effect on {}, before today ({}): requests already quoted would be repriced",
                us_date(effective_from),
                us_date(self.today())
            )));
        }
        let problems = fees::schedule_problems(&rates);
        if !problems.is_empty() {
            return Err(DeskError::Invalid(format!("{code} was not saved: {}", problems.join("; "))));
        }
        let latest = all.iter().filter(|s| s.code == code).max_by_key(|s| s.version);
        if let Some(latest) = latest
            && effective_from < latest.effective_from
        {
            return Err(DeskError::Invalid(format!(
                "{code} version {} takes effect {}: a new version takes effect on or after it",
                latest.version,
                us_date(latest.effective_from)
            )));
        }
        let before = fees::in_force(&all, &code, effective_from).or(latest);
        if before.is_some_and(|b| b.rates == rates) {
            return Err(DeskError::Invalid(format!("{code} is unchanged; nothing was saved")));
        }
        let changes = match before {
            Some(b) => changed_values(&b.rates, &rates),
            None => "new schedule".to_string(),
        };
        let detail = format!(
            "{code} version {} from {}: {changes}",
            latest.map_or(1, |l| l.version + 1),
            us_date(effective_from)
        );
        let audit = self.audit_event(AuditAction::Update, "fee_schedule", detail);
        Ok(self.store().save_fee_schedule(&code, effective_from, &rates, &self.user().username, self.now(), audit)?)
    }

    /// What a request costs, not recorded: the governing schedule as in force the day it was
    /// received, with the pages counted (`pages`, else the request's).
    pub fn roi_fee_quote(&self, request: &RoiRequest, pages: Option<i64>) -> DeskResult<Quote> {
        if let Some(problem) = pages.and_then(fees::pages_problem) {
            return Err(DeskError::Invalid(problem));
        }
        let facility = self.facility_by_id(request.facility_id)?;
        let schedules = self.store().fee_schedules()?;
        // Pages the clerk typed, else the request's, else what its packet would hold today: the
        // documents its authorization covers count their pages before anyone types a number.
        let pages = match pages.or(request.pages) {
            Some(pages) => Some(pages),
            None => Some(self.packet_for(request, self.today().max(request.received_on))?.picked_pages())
                .filter(|pages| *pages > 0),
        };
        let facts = fee_facts(request, &facility, pages);
        fees::quote(&facts, &schedules, request.received_on)
            .map_err(|problem| DeskError::Invalid(format!("{}: {problem}", request.number)))
    }

    /// Quotes a request's fee before work and records the quote with the request.
    pub fn roi_quote(&self, number: &str, seen_version: Option<i64>, pages: Option<i64>) -> DeskResult<RoiRequest> {
        self.require_any(&[Permission::LogRequests, Permission::ReleaseRecords])?;
        let request = self.request_as_seen(number, seen_version)?;
        open_for_fees(&request, "quoted")?;
        if let Some(refusal) = quote_refusal(&request) {
            return Err(DeskError::Invalid(refusal));
        }
        let quote = self.roi_fee_quote(&request, pages)?;
        let detail = format!(
            "Fee quoted: {} under {} v{} ({})",
            dollars(quote.total_cents),
            quote.schedule,
            quote.version,
            quote.basis
        );
        let mut change = self.roi_change(&request, detail.clone());
        change.add_fee = Some(FeeRecord {
            kind: FeeKind::Quote,
            invoice_no: None,
            quote,
            issued_on: self.today(),
            by: self.user().username.clone(),
            at: self.now(),
        });
        let audit = self.roi_event(AuditAction::Update, &request, detail);
        self.apply_roi_change(&request, change, audit)
    }

    /// Issues the request's invoice: itemized under the schedule version in force when the
    /// request was received, numbered after the request (`RGH-00042-1`), never changed after.
    /// A request in QC moves to awaiting payment when the invoice asks for money.
    pub fn roi_invoice(&self, number: &str, seen_version: Option<i64>, pages: Option<i64>) -> DeskResult<RoiRequest> {
        self.roi_invoice_dated(number, seen_version, pages, None)
    }

    /// [`Desk::roi_invoice`], dated the day it went out when that was before today (an invoice
    /// keyed after it was mailed): not after today, not before the request came.
    pub fn roi_invoice_dated(
        &self,
        number: &str,
        seen_version: Option<i64>,
        pages: Option<i64>,
        issued_on: Option<NaiveDate>,
    ) -> DeskResult<RoiRequest> {
        self.require_any(&[Permission::LogRequests, Permission::ReleaseRecords])?;
        let request = self.request_as_seen(number, seen_version)?;
        let issued_on = self.past_date(issued_on.unwrap_or_else(|| self.today()), &request, "issued")?;
        open_for_fees(&request, "invoiced")?;
        if let Some(standing) = current_invoice(&request) {
            return Err(DeskError::Invalid(format!(
                "{} already has invoice {} ({}); an invoice is never changed after it is issued",
                request.number,
                standing.invoice_no.as_deref().unwrap_or_default(),
                dollars(standing.quote.total_cents)
            )));
        }
        let quote = self.roi_fee_quote(&request, pages)?;
        let sequence = request.fees.iter().filter(|f| f.kind == FeeKind::Invoice).count() + 1;
        let invoice_no = format!("{}-{sequence}", request.number);
        let user = self.current_user()?;
        let to = if quote.total_cents > 0
            && transition(request.status, Step::AwaitPayment).is_ok()
            && allows(&user.roles, Step::AwaitPayment.permission())
        {
            RequestStatus::AwaitingPayment
        } else {
            request.status
        };
        let mut detail = format!(
            "Invoice {invoice_no} issued: {} under {} v{}",
            dollars(quote.total_cents),
            quote.schedule,
            quote.version
        );
        if to != request.status {
            detail.push_str(&format!("; {}", to.title()));
        }
        let mut change = self.roi_change(&request, detail.clone());
        change.status = to;
        if to != request.status {
            change.status_reason = Some(None);
        }
        let invoice = FeeRecord {
            kind: FeeKind::Invoice,
            invoice_no: Some(invoice_no),
            quote,
            issued_on,
            by: self.user().username.clone(),
            at: self.now(),
        };
        if invoice.quote.total_cents <= 0 {
            // Nothing is owed: a payment-gated clock starts the day the no-fee invoice is issued.
            let facility = self.facility_by_id(request.facility_id)?;
            change.due = Some(due_now(&request, &facility, Some(issued_on)));
        }
        change.add_fee = Some(invoice);
        let audit = self.roi_event(AuditAction::Create, &request, detail);
        self.apply_roi_change(&request, change, audit)
    }

    /// A payment against the request's invoice (`roi_pay` sends one here when there is an
    /// invoice). A payment above the balance is refused; the one that settles it starts the
    /// payment-gated clocks and moves a request awaiting payment to ready to release (AS-18).
    pub(super) fn roi_pay_invoice(
        &self,
        request: &RoiRequest,
        paid_on: NaiveDate,
        amount_cents: i64,
    ) -> DeskResult<RoiRequest> {
        let invoice = current_invoice(request).ok_or_else(|| DeskError::Invalid("no invoice".into()))?;
        let no = invoice.invoice_no.clone().unwrap_or_default();
        let before = invoice_tally(request, &no, invoice.quote.total_cents);
        if amount_cents > before.balance_cents {
            return Err(DeskError::Invalid(format!(
                "{} is more than the balance of invoice {no} ({}); record no more than is owed",
                dollars(amount_cents),
                dollars(before.balance_cents)
            )));
        }
        let payment = PaymentRecord {
            paid_on,
            amount_cents,
            by: self.user().username.clone(),
            at: self.now(),
            invoice_no: Some(no.clone()),
        };
        let mut after = request.clone();
        after.payments.push(payment.clone());
        let balance = before.balance_cents - amount_cents;
        let mut detail = format!(
            "Payment of {} received {} on invoice {no}; balance {}",
            dollars(amount_cents),
            us_date(paid_on),
            dollars(balance)
        );
        let mut change = self.roi_change(request, String::new());
        if balance == 0 {
            let (to, due_words) = self.settled(request, &after)?;
            detail.push_str(&due_words);
            change.status = to;
            change.due = Some(self.due_for(&after)?);
        }
        change.detail = detail.clone();
        change.add_payment = Some(payment);
        let audit = self.roi_event(AuditAction::Update, request, detail);
        self.apply_roi_change(request, change, audit)
    }

    /// Writes off what is owed on the request's invoice, or part of it, with the reason
    /// (supervisor or Director). Writing off the whole balance settles the invoice as a payment
    /// would.
    pub fn roi_write_off(
        &self,
        number: &str,
        seen_version: Option<i64>,
        amount_cents: i64,
        reason: &str,
    ) -> DeskResult<RoiRequest> {
        self.adjust(number, seen_version, AdjustmentKind::WriteOff, amount_cents, reason)
    }

    /// Refunds money paid on the request's invoice, with the reason (supervisor or Director).
    pub fn roi_refund(
        &self,
        number: &str,
        seen_version: Option<i64>,
        amount_cents: i64,
        reason: &str,
    ) -> DeskResult<RoiRequest> {
        self.adjust(number, seen_version, AdjustmentKind::Refund, amount_cents, reason)
    }

    /// Voids the request's invoice when nothing is paid on it (supervisor or Director), so that a
    /// corrected one can be issued. The invoice is kept.
    pub fn roi_void_invoice(&self, number: &str, seen_version: Option<i64>, reason: &str) -> DeskResult<RoiRequest> {
        self.adjust(number, seen_version, AdjustmentKind::Void, 0, reason)
    }

    fn adjust(
        &self,
        number: &str,
        seen_version: Option<i64>,
        kind: AdjustmentKind,
        amount_cents: i64,
        reason: &str,
    ) -> DeskResult<RoiRequest> {
        self.require_permission(Permission::VoidRecords)?;
        let request = self.request_as_seen(number, seen_version)?;
        let reason = reason_text(reason)?;
        let (no, before) = check_adjustment(&request, kind, amount_cents).map_err(DeskError::Invalid)?;
        if reason.is_empty() {
            return Err(DeskError::Invalid(format!(
                "say why invoice {no} gets a {} (--reason)",
                kind.title().to_lowercase()
            )));
        }
        let today = self.today();
        let adjustment = FeeAdjustment {
            invoice_no: no.clone(),
            kind,
            on: today,
            amount_cents,
            reason: reason.clone(),
            by: self.user().username.clone(),
            at: self.now(),
        };
        let mut after = request.clone();
        after.fee_adjustments.push(adjustment.clone());
        let mut detail = match kind {
            AdjustmentKind::Void => format!("Invoice {no} void: {reason}"),
            _ => format!("{} of {} on invoice {no}: {reason}", kind.title(), dollars(amount_cents)),
        };
        let mut change = self.roi_change(&request, String::new());
        if kind == AdjustmentKind::WriteOff && amount_cents == before.balance_cents {
            let (to, due_words) = self.settled(&request, &after)?;
            detail.push_str(&due_words);
            change.status = to;
            change.due = Some(self.due_for(&after)?);
        }
        change.detail = detail.clone();
        change.add_fee_adjustment = Some(adjustment);
        let action = if kind == AdjustmentKind::Void { AuditAction::Void } else { AuditAction::Update };
        let audit = self.roi_event(action, &request, detail);
        self.apply_roi_change(&request, change, audit)
    }

    /// The status a request reaches when its invoice is settled, and the history's words for it.
    fn settled(&self, request: &RoiRequest, after: &RoiRequest) -> DeskResult<(RequestStatus, String)> {
        let user = self.current_user()?;
        let due = self.due_for(after)?;
        let to = if request.status == RequestStatus::AwaitingPayment
            && allows(&user.roles, Step::PaymentReceived.permission())
        {
            RequestStatus::ReadyToRelease
        } else {
            request.status
        };
        let mut words = match due.due_on {
            Some(on) => format!("; due {} ({})", us_date(on), due.due_rule),
            None => format!("; due date: {}", due.due_rule),
        };
        if to != request.status {
            words.push_str(&format!("; {}", to.title()));
        }
        Ok((to, words))
    }

    fn due_for(&self, request: &RoiRequest) -> DeskResult<crate::store::roi::DueDate> {
        let facility = self.facility_by_id(request.facility_id)?;
        Ok(due_now(request, &facility, settled_on(request)))
    }
}

fn fee_facts<'a>(request: &RoiRequest, facility: &'a Facility, pages: Option<i64>) -> FeeFacts<'a> {
    FeeFacts {
        state: &facility.state,
        facility_kind: facility.kind,
        request_type: request.request_type,
        requester_kind: request.requester.kind,
        format: request.format,
        pages,
        clerical_minutes: request.clerical_minutes,
        postage_cents: request.postage_cents,
        microfilm: false,
    }
}

fn open_for_fees(request: &RoiRequest, act: &str) -> DeskResult<()> {
    if request.status.is_open() {
        return Ok(());
    }
    Err(DeskError::Invalid(format!("{} is {}; it is no longer {act}", request.number, request.status.title())))
}

/// A schedule code as the store knows it (`tx-241.154` finds `TX-241.154`); a new code is refused,
/// since which schedule governs a request is a rule in code, not a row.
fn known_code(all: &[FeeSchedule], code: &str) -> DeskResult<String> {
    let code = code.trim();
    all.iter().find(|s| s.code.eq_ignore_ascii_case(code)).map(|s| s.code.clone()).ok_or_else(|| {
        let mut codes: Vec<&str> = all.iter().map(|s| s.code.as_str()).collect();
        codes.dedup();
        DeskError::NotFound(format!(
            "no fee schedule {:?}; the schedules are {}",
            code.chars().take(40).collect::<String>(),
            codes.join(", ")
        ))
    })
}

fn reason_text(reason: &str) -> DeskResult<String> {
    if let Some(problem) = control_character_problem("the reason", reason) {
        return Err(DeskError::Invalid(problem));
    }
    let reason = reason.trim().to_string();
    if reason.chars().count() > super::intake::MAX_TEXT {
        return Err(DeskError::Invalid(format!("the reason is longer than {} characters", super::intake::MAX_TEXT)));
    }
    Ok(reason)
}

/// The values that differ between two versions of a schedule, `path: old → new`, for the audit
/// trail (AS-25: a change is audited with its old and new values).
pub fn changed_values(old: &FeeRates, new: &FeeRates) -> String {
    let mut old_values = Vec::new();
    let mut new_values = Vec::new();
    flatten("", &serde_json::to_value(old).unwrap_or_default(), &mut old_values);
    flatten("", &serde_json::to_value(new).unwrap_or_default(), &mut new_values);
    let find = |values: &[(String, String)], path: &str| {
        values.iter().find(|(p, _)| p == path).map(|(_, v)| v.clone()).unwrap_or_else(|| "none".into())
    };
    let mut paths: Vec<&String> = old_values.iter().chain(new_values.iter()).map(|(p, _)| p).collect();
    paths.sort();
    paths.dedup();
    let changes: Vec<String> = paths
        .into_iter()
        .filter_map(|path| {
            let (was, now) = (find(&old_values, path), find(&new_values, path));
            (was != now).then(|| format!("{path}: {was} -> {now}"))
        })
        .collect();
    if changes.is_empty() { "no change".into() } else { changes.join("; ") }
}

fn flatten(path: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                let p = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                flatten(&p, v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), v, out);
            }
        }
        serde_json::Value::Null => {}
        leaf => out.push((path.to_string(), leaf.to_string())),
    }
}

/// A dollar amount a clerk types for a fee (`92.00`, `$1,234.50`), in cents.
pub fn parse_fee_amount(text: &str) -> Result<i64, String> {
    let cents = super::intake::parse_dollars(text)?;
    if !(0..=MAX_AMOUNT_CENTS).contains(&cents) {
        return Err(format!("{} is not an amount of a fee (up to {})", dollars(cents), dollars(MAX_AMOUNT_CENTS)));
    }
    Ok(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_change_names_each_value_old_and_new() {
        let old = fees::seed_schedules().into_iter().find(|s| s.code == fees::TX_HOSPITAL).unwrap().rates;
        let mut new = old.clone();
        new.paper.bands[0].unit_cents = 110;
        assert_eq!(changed_values(&old, &new), "paper.bands[0].unit_cents: 100 -> 110");
        assert_eq!(changed_values(&old, &old), "no change");
    }
}
