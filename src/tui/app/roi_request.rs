//! The request screen's side of the model: opening a request, moving over its parts, and the
//! steps and changes a clerk makes to it — each refused before its question when the request's
//! status or the clerk's roles do not allow it, and asked about (y/N) naming the request.

use super::roi::{RequestChange, RequestRef, RoiCommand};
use super::*;
use crate::domain::roi::clocks::{HIPAA_ACCESS, HIPAA_ACCOUNTING, check_extension};
use crate::domain::roi::fees::AdjustmentKind;
use crate::domain::roi::status::{Step, transition};
use crate::domain::role::{Permission, allows};
use crate::store::roi::RoiRequest;
use crate::tui::screens::roi_authorization::AuthTarget;
use crate::tui::screens::roi_request::{Offered, Part, RequestState};
use crate::tui::widgets::palette::LegalWhat;

/// The key action of each step a clerk takes from the request screen. Payment received and
/// release carry data (the payment, the date) and have their own actions.
fn step_action(step: Step) -> Action {
    match step {
        Step::Validate => Action::StepValidate,
        Step::Pend => Action::StepPend,
        Step::Hold => Action::StepHold,
        Step::Exception => Action::StepException,
        Step::Resume => Action::StepResume,
        Step::Fulfil => Action::StepFulfil,
        Step::Qc => Action::StepQc,
        Step::Rework => Action::StepRework,
        Step::AwaitPayment => Action::StepAwaitPayment,
        Step::PaymentReceived => Action::RecordPayment,
        Step::ReadyToRelease => Action::StepReadyToRelease,
        Step::Release => Action::ReleaseRequest,
        Step::Close => Action::StepClose,
        Step::Reject => Action::StepReject,
        Step::Cancel => Action::StepCancel,
    }
}

fn action_step(action: Action) -> Option<Step> {
    Some(match action {
        Action::StepValidate => Step::Validate,
        Action::StepPend => Step::Pend,
        Action::StepHold => Step::Hold,
        Action::StepException => Step::Exception,
        Action::StepResume => Step::Resume,
        Action::StepFulfil => Step::Fulfil,
        Action::StepQc => Step::Qc,
        Action::StepRework => Step::Rework,
        Action::StepAwaitPayment => Step::AwaitPayment,
        Action::StepReadyToRelease => Step::ReadyToRelease,
        Action::StepClose => Step::Close,
        Action::StepReject => Step::Reject,
        Action::StepCancel => Step::Cancel,
        _ => return None,
    })
}

/// `RGH-00041 (GARCIA, MARIA)`: how a question names a request.
fn named(r: &RoiRequest) -> String {
    format!("{} ({})", r.number, crate::domain::text::clean(&r.patient_name))
}

impl App {
    /// Opens a request; Esc comes back to `from`.
    pub(super) fn open_request(&mut self, request: RequestRef, from: Screen) -> Vec<Command> {
        let id = self.next_request();
        self.roi.pending_request = Some(id);
        self.roi.refreshing_request = false;
        self.roi.request_return = from;
        let mut commands = self.flush_search_audit();
        commands.push(Command::Roi(RoiCommand::OpenRequest { id, request }));
        commands
    }

    /// The request on screen read again (after a change, this clerk's or another's).
    pub(super) fn reread_request(&mut self) -> Vec<Command> {
        let Some(request_id) = self.roi.request.as_ref().map(|r| r.request.id) else { return Vec::new() };
        let id = self.next_request();
        self.roi.pending_request = Some(id);
        self.roi.refreshing_request = true;
        vec![Command::Roi(RoiCommand::OpenRequest { id, request: RequestRef::Id(request_id) })]
    }

    /// A request as the screen holds it, with its facility's time zone for the times it shows.
    pub(super) fn request_state(&self, request: RoiRequest) -> RequestState {
        let zone = self
            .header
            .facilities
            .iter()
            .find(|f| f.id == request.facility_id)
            .and_then(|f| f.timezone.parse::<chrono_tz::Tz>().ok());
        let mut state = RequestState::new(request);
        state.zone = zone;
        state.may_adjust = allows(&self.header.roles, Permission::VoidRecords);
        state
    }

    pub(super) fn on_request_loaded(&mut self, id: RequestId, result: Result<Box<RoiRequest>, String>) -> Vec<Command> {
        if self.roi.pending_request != Some(id) {
            self.dirty = false;
            return Vec::new();
        }
        self.roi.pending_request = None;
        let refresh = std::mem::take(&mut self.roi.refreshing_request);
        match result {
            Ok(request) => match self.roi.request.as_mut() {
                Some(open) if refresh && open.request.id == request.id => {
                    self.dirty = open.refresh(*request);
                    self.follow_request_under_authorization();
                }
                _ => {
                    self.roi.request = Some(self.request_state(*request));
                    self.screen = Screen::Request;
                }
            },
            // A request read again that cannot be read now keeps what the screen shows.
            Err(e) => self.toast = Some(e),
        }
        self.offer_steps();
        Vec::new()
    }

    /// The steps the request may take next from its status, and what else the clerk may do, each
    /// with its key — only those her roles allow.
    pub(super) fn offer_steps(&mut self) {
        let roles = self.header.roles.clone();
        let keymap = self.keymap.clone();
        let Some(state) = self.roi.request.as_mut() else { return };
        let r = &state.request;
        let key = |action: Action| keymap.key_for(Context::Request, action).map(|k| k.to_string());
        let mut offered = Vec::new();
        for step in crate::domain::roi::status::steps_from(r.status) {
            if !step.allowed_for(&roles) {
                continue;
            }
            // A subpoena pended for its assurance resumes when the paper is recorded, not before.
            if step == Step::Resume && r.legal_process.as_ref().is_some_and(crate::domain::roi::legal::awaits_assurance)
            {
                continue;
            }
            let Some(k) = key(step_action(step)) else { continue };
            // What a release carries is picked in its packet, offered beside it.
            if step == Step::Release
                && let Some(packet) = key(Action::OpenPacket)
            {
                offered.push(Offered { key: packet, label: "Packet…".into() });
            }
            let mut label = match step {
                // The payment's date and amount are asked for in the palette.
                Step::PaymentReceived => "Payment received…".to_string(),
                _ => step.title().to_string(),
            };
            if step.needs_reason() {
                label.push('…');
            }
            offered.push(Offered { key: k, label });
        }
        if r.status.is_open() {
            // The paper a pended request waits for comes first after the steps.
            if (allows(&roles, Permission::LogRequests) || allows(&roles, Permission::ReleaseRecords))
                && let Some(k) = key(Action::AuthorizationReceived)
            {
                offered.push(Offered { key: k, label: "Authorization…".into() });
            }
            let waits_for_payment = r.due.clocks.iter().any(|c| c.due_on.is_none() && c.waits_for.is_some());
            if waits_for_payment
                && r.status != crate::domain::roi::RequestStatus::AwaitingPayment
                && allows(&roles, Permission::LogRequests)
                && let Some(k) = key(Action::RecordPayment)
            {
                offered.push(Offered { key: k, label: "Payment…".into() });
            }
            // The fee's steps, each only when the desk would take it: a quote and an invoice
            // while no invoice stands, a write-off, refund or void when the invoice has what it
            // would touch (the desk's own check).
            use crate::desk::roi::fees::{check_adjustment, current_invoice};
            if allows(&roles, Permission::LogRequests) || allows(&roles, Permission::ReleaseRecords) {
                let invoiced = current_invoice(r).is_some();
                for (action, label) in [(Action::QuoteFee, "Quote"), (Action::IssueInvoice, "Invoice")] {
                    if !invoiced && let Some(k) = key(action) {
                        offered.push(Offered { key: k, label: label.into() });
                    }
                }
            }
            if allows(&roles, Permission::VoidRecords) {
                for (kind, action, label) in [
                    (AdjustmentKind::WriteOff, Action::WriteOff, "Write off…"),
                    (AdjustmentKind::Refund, Action::Refund, "Refund…"),
                    (AdjustmentKind::Void, Action::VoidInvoice, "Void invoice…"),
                ] {
                    if check_adjustment(r, kind, 1).is_ok()
                        && let Some(k) = key(action)
                    {
                        offered.push(Offered { key: k, label: label.into() });
                    }
                }
            }
            // Only HIPAA's clocks are extended, once.
            let hipaa = r
                .due
                .clocks
                .iter()
                .find(|c| [HIPAA_ACCESS, HIPAA_ACCOUNTING].contains(&c.code.as_str()))
                .and_then(|c| c.due_on);
            // Offered only while a notice today could still extend it (inside the first 30 days).
            let extendable = hipaa.is_some_and(|base| {
                !matches!(
                    check_extension(
                        r.received_on,
                        base,
                        self.today,
                        base + chrono::Duration::days(1),
                        false,
                        r.request_type
                    ),
                    Err(crate::domain::roi::clocks::ExtensionRefusal::TooLate { .. })
                )
            });
            if extendable
                && r.extended_due_on.is_none()
                && allows(&roles, Permission::ReleaseRecords)
                && let Some(k) = key(Action::ExtendDue)
            {
                offered.push(Offered { key: k, label: "Extend…".into() });
            }
            if let Some(process) = &r.legal_process
                && (allows(&roles, Permission::LogRequests) || allows(&roles, Permission::ReleaseRecords))
            {
                use crate::domain::roi::legal::awaits_assurance;
                if awaits_assurance(process) {
                    for (action, label) in [(Action::LegalAssurance, "Assurance…"), (Action::LegalQpo, "QPO…")] {
                        if let Some(k) = key(action) {
                            offered.push(Offered { key: k, label: label.into() });
                        }
                    }
                }
                if process.part2_order.is_none()
                    && let Some(k) = key(Action::LegalPart2Order)
                {
                    offered.push(Offered { key: k, label: "§2.64 order…".into() });
                }
            }
            if allows(&roles, Permission::LogRequests) {
                if r.assigned_to.as_deref() != Some(self.header.username.as_str())
                    && let Some(k) = key(Action::TakeItems)
                {
                    offered.push(Offered { key: k, label: "Take".into() });
                }
                if let Some(k) = key(Action::AssignTo) {
                    offered.push(Offered { key: k, label: "Assign…".into() });
                }
            }
        }
        state.offered = offered;
    }

    pub(super) fn on_request_action(&mut self, action: Action) -> Vec<Command> {
        let Some(state) = self.roi.request.as_mut() else {
            self.screen = Screen::Roi;
            return Vec::new();
        };
        match action {
            Action::NextSection => state.next_part(1),
            Action::PrevSection => state.next_part(-1),
            Action::NextRow => state.scroll(1),
            Action::PrevRow => state.scroll(-1),
            Action::NextPage => state.scroll(10),
            Action::PrevPage => state.scroll(-10),
            Action::FirstRow => state.scroll_to(0),
            Action::Back => {
                self.screen = match self.roi.request_return {
                    Screen::Chart if self.chart.is_none() => Screen::Roi,
                    Screen::Request | Screen::Intake => Screen::Roi,
                    other => other,
                };
                if self.screen == Screen::Roi && !self.roi.queue.loaded {
                    return self.show_roi_queue();
                }
            }
            Action::TakeItems => {
                let me = self.header.username.clone();
                return self.assign_highlighted(Some(me));
            }
            Action::AssignTo => return self.open_palette("roi assign "),
            Action::AuthorizationReceived => return self.open_authorization(),
            Action::ExtendDue => return self.ask_extension(),
            Action::LegalAssurance => return self.ask_legal_paper(LegalWhat::Assurance),
            Action::LegalQpo => return self.ask_legal_paper(LegalWhat::Qpo),
            Action::LegalPart2Order => return self.ask_legal_paper(LegalWhat::Part2Order),
            Action::RecordPayment => return self.ask_payment(),
            Action::QuoteFee => return self.quote_fee(),
            Action::IssueInvoice => return self.ask_invoice(),
            Action::WriteOff => return self.start_adjustment(AdjustmentKind::WriteOff),
            Action::Refund => return self.start_adjustment(AdjustmentKind::Refund),
            Action::VoidInvoice => return self.start_adjustment(AdjustmentKind::Void),
            Action::OpenPacket => return self.open_packet(),
            Action::ReleaseRequest => return self.step(Step::Release, None),
            other => match action_step(other) {
                Some(step) => return self.step(step, None),
                None => self.dirty = false,
            },
        }
        Vec::new()
    }

    /// The request a change is made to: the one on screen, or the queue's highlighted one.
    fn target_request(&self) -> Option<(String, i64, crate::domain::roi::RequestStatus, String)> {
        match self.screen {
            Screen::Request => self
                .roi
                .request
                .as_ref()
                .map(|r| (r.request.number.to_string(), r.request.version, r.request.status, named(&r.request))),
            _ => self.roi.queue.selected_row().map(|r| {
                let name = format!("{} ({})", r.number, crate::domain::text::clean(&r.patient_name));
                (r.number.to_string(), r.version, r.status, name)
            }),
        }
    }

    /// A step of the status machine: refused at once when the status or the clerk's roles do not
    /// allow it; a step that needs a reason asks for it in the palette; then a question.
    pub(super) fn step(&mut self, step: Step, reason: Option<String>) -> Vec<Command> {
        let Some((number, version, status, name)) = self.target_request() else {
            self.toast = Some("No request here: open one from the ROI queue (4) or a chart's Releases.".into());
            return Vec::new();
        };
        if self.roi.changing {
            self.toast = Some("A change to this request is on its way; a moment.".into());
            return Vec::new();
        }
        let to = match transition(status, step) {
            Ok(to) => to,
            Err(refusal) => {
                self.toast = Some(match crate::domain::roi::RequestNumber::parse(&number) {
                    Some(n) => refusal.message(&n),
                    None => refusal.to_string(),
                });
                return Vec::new();
            }
        };
        if !step.allowed_for(&self.header.roles) {
            let permission = step.permission();
            self.toast = Some(format!(
                "you ({}) may not {} a request: that needs {}",
                crate::domain::text::clean(&self.header.username),
                step.title().to_lowercase(),
                permission.roles_needed()
            ));
            return Vec::new();
        }
        match step {
            Step::PaymentReceived => return self.ask_payment(),
            Step::Release if reason.is_none() => {
                // Released today unless the palette says another day (`:roi release DATE`).
                return self.release_on(self.today);
            }
            _ => {}
        }
        let reason = reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        if step.needs_reason() && reason.is_none() {
            let commands = self.open_palette(&format!("roi {} ", step.code()));
            // Said each time, so that Enter on an empty reason is never a silent no-op.
            self.toast = Some(format!("{} {name}: say why after \"roi {}\".", step.title(), step.code()));
            return commands;
        }
        let prompt = match (&reason, step) {
            (Some(why), Step::Reject) => {
                format!("Reject {name} because \"{why}\"? A rejection letter is produced. (y/N)")
            }
            (Some(why), Step::Cancel) => {
                format!("Cancel {name} because \"{why}\"? It stays on record, marked cancelled. (y/N)")
            }
            (Some(why), _) => {
                format!("{} {name} because \"{why}\"? Its status becomes {}. (y/N)", step.title(), to.title())
            }
            (None, Step::Close) => format!("Close {name}? Nothing more is done on it. (y/N)"),
            (None, _) => format!("{} {name}? It goes from {} to {}. (y/N)", step.title(), status.title(), to.title()),
        };
        let done = format!("{number} {}", to.title().to_lowercase());
        let command =
            Command::Roi(RoiCommand::Change { number, version, done, change: RequestChange::Step { step, reason } });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }

    fn release_on(&mut self, on: chrono::NaiveDate) -> Vec<Command> {
        let Some(state) = self.roi.request.as_ref().filter(|_| self.screen == Screen::Request) else {
            self.toast = Some("Open the request to release it.".into());
            return Vec::new();
        };
        let r = &state.request;
        if let Err(refusal) = transition(r.status, Step::Release) {
            self.toast = Some(refusal.message(&r.number));
            return Vec::new();
        }
        if on > self.today {
            self.toast = Some(format!("{}: a release cannot be dated after today", crate::domain::dates::us_date(on)));
            return Vec::new();
        }
        if on < r.received_on {
            self.toast = Some(format!(
                "{}: a release cannot be before the request came ({})",
                crate::domain::dates::us_date(on),
                crate::domain::dates::us_date(r.received_on)
            ));
            return Vec::new();
        }
        // What goes is picked and asked about in the request's packet.
        self.open_packet_on(on)
    }

    fn ask_extension(&mut self) -> Vec<Command> {
        if let Err(problem) = self.may_roi(Permission::ReleaseRecords, "extend a request's due date") {
            self.toast = Some(problem);
            return Vec::new();
        }
        self.open_palette("roi extend ")
    }

    /// Before `F` and `I`: the clerk may (`what`), no change is on its way, and the request is
    /// open; the screen turns to the Fee part. Otherwise the toast says why and it is false.
    fn turn_to_fee(&mut self, what: &str, done: &str) -> bool {
        if let Err(problem) = self.may_fees(what) {
            self.toast = Some(problem);
            return false;
        }
        if self.roi.changing {
            self.toast = Some("A change to this request is on its way; a moment.".into());
            return false;
        }
        let Some(state) = self.roi.request.as_mut() else { return false };
        state.part = Part::Fee;
        let r = &state.request;
        if !r.status.is_open() {
            self.toast = Some(format!("{} is {}; it is no longer {done}", r.number, r.status.title()));
            return false;
        }
        true
    }

    /// `F`: the fee quoted before work and recorded with the request; the screen turns to it.
    fn quote_fee(&mut self) -> Vec<Command> {
        if !self.turn_to_fee("quote fees", "quoted") {
            return Vec::new();
        }
        let Some(r) = self.roi.request.as_ref().map(|state| &state.request) else { return Vec::new() };
        if let Some(refusal) = crate::desk::roi::fees::quote_refusal(r) {
            self.toast = Some(refusal);
            return Vec::new();
        }
        let command = Command::Roi(RoiCommand::Change {
            number: r.number.to_string(),
            version: r.version,
            done: format!("Fee quoted for {}", r.number),
            change: RequestChange::Quote,
        });
        self.roi.changing = true;
        vec![command]
    }

    /// `W`, `M`, `V`: a supervisor's adjustment of the standing invoice. Refused before any typing
    /// when she may not or there is nothing it could touch; else the palette asks the amount and
    /// why (`:roi write-off AMOUNT why`).
    fn start_adjustment(&mut self, kind: AdjustmentKind) -> Vec<Command> {
        match self.adjustment_refusal(kind, None) {
            Some(problem) => {
                self.toast = Some(problem);
                Vec::new()
            }
            None => self.open_palette(match kind {
                AdjustmentKind::WriteOff => "roi write-off ",
                AdjustmentKind::Refund => "roi refund ",
                AdjustmentKind::Void => "roi void-invoice ",
            }),
        }
    }

    /// Why a write-off, refund or void cannot be asked of the request on screen — the desk's own
    /// check of the invoice (`check_adjustment`) when an amount is known — or None.
    fn adjustment_refusal(&mut self, kind: AdjustmentKind, cents: Option<i64>) -> Option<String> {
        let what = match kind {
            AdjustmentKind::WriteOff => "write off fees",
            AdjustmentKind::Refund => "refund fees",
            AdjustmentKind::Void => "void invoices",
        };
        if !allows(&self.header.roles, Permission::VoidRecords) {
            return Some(format!("You may not {what}: that needs {}.", Permission::VoidRecords.roles_needed()));
        }
        if self.screen != Screen::Request {
            return Some("Open a request to adjust its invoice.".into());
        }
        if self.roi.changing {
            return Some("A change to this request is on its way; a moment.".into());
        }
        let state = self.roi.request.as_mut()?;
        state.part = Part::Fee;
        let r = &state.request;
        match (crate::desk::roi::fees::check_adjustment(r, kind, cents.unwrap_or(1)), cents, kind) {
            (Ok(_), ..) => None,
            // Before the amount is typed: only whether there is anything it could touch.
            (Err(_), None, AdjustmentKind::WriteOff) if crate::desk::roi::fees::current_invoice(r).is_some() => {
                Some(format!("{}'s invoice has no balance to write off", r.number))
            }
            (Err(_), None, AdjustmentKind::Refund) if crate::desk::roi::fees::current_invoice(r).is_some() => {
                Some(format!("Nothing is paid on {}'s invoice to refund", r.number))
            }
            (Err(problem), ..) => Some(problem),
        }
    }

    /// `:roi write-off|refund AMOUNT why` and `:roi void-invoice why`: checked as the desk will,
    /// then a y/N that says what the invoice comes to.
    pub(super) fn adjust_invoice(&mut self, kind: AdjustmentKind, amount: Option<&str>, reason: &str) -> Vec<Command> {
        let cents = match amount.map(crate::desk::roi::intake::parse_dollars) {
            None => 0,
            Some(Ok(cents)) => cents,
            Some(Err(problem)) => {
                self.toast = Some(format!("{}: {problem}", crate::domain::text::clean(amount.unwrap_or_default())));
                return Vec::new();
            }
        };
        let checked = if kind == AdjustmentKind::Void { None } else { Some(cents) };
        if let Some(problem) = self.adjustment_refusal(kind, checked) {
            self.toast = Some(problem);
            return Vec::new();
        }
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            self.toast = Some("Say why, after the amount: roi write-off 12.50 hardship waiver".into());
            return self.open_palette(match kind {
                AdjustmentKind::WriteOff => "roi write-off ",
                AdjustmentKind::Refund => "roi refund ",
                AdjustmentKind::Void => "roi void-invoice ",
            });
        }
        let Some(r) = self.roi.request.as_ref().map(|s| &s.request) else { return Vec::new() };
        let Ok((no, before)) = crate::desk::roi::fees::check_adjustment(r, kind, cents.max(1)) else {
            return Vec::new();
        };
        let money = crate::domain::roi::fees::dollars;
        let why = crate::domain::text::clean(&reason);
        let (prompt, done) = match kind {
            AdjustmentKind::WriteOff => (
                format!(
                    "Write off {} of invoice {no} for {} because \"{why}\"? The balance becomes {}{}. (y/N)",
                    money(cents),
                    named(r),
                    money(before.balance_cents - cents),
                    if cents == before.balance_cents { ", the invoice is settled" } else { "" }
                ),
                format!("{} written off invoice {no}", money(cents)),
            ),
            AdjustmentKind::Refund => (
                format!(
                    "Refund {} of the {} paid on invoice {no} for {} because \"{why}\"? (y/N)",
                    money(cents),
                    money(before.paid_cents),
                    named(r)
                ),
                format!("{} refunded on invoice {no}", money(cents)),
            ),
            AdjustmentKind::Void => (
                format!(
                    "Void invoice {no} ({}) for {} because \"{why}\"? It is kept, marked void, and a corrected one \
                     can be issued. (y/N)",
                    money(before.total_cents),
                    named(r)
                ),
                format!("Invoice {no} is void"),
            ),
        };
        let command = Command::Roi(RoiCommand::Change {
            number: r.number.to_string(),
            version: r.version,
            done,
            change: RequestChange::Adjust { kind, cents, reason },
        });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }

    /// `I`: asks before issuing the invoice, which is never changed once issued.
    fn ask_invoice(&mut self) -> Vec<Command> {
        if !self.turn_to_fee("issue invoices", "invoiced") {
            return Vec::new();
        }
        let Some(r) = self.roi.request.as_ref().map(|state| &state.request) else { return Vec::new() };
        if let Some(standing) = crate::desk::roi::fees::current_invoice(r) {
            self.toast = Some(format!(
                "{} already has invoice {}; an invoice is never changed after it is issued",
                r.number,
                standing.invoice_no.as_deref().unwrap_or_default()
            ));
            return Vec::new();
        }
        let then = if r.status == crate::domain::roi::RequestStatus::InQc { " It then awaits payment." } else { "" };
        // The quote the requester was told, when there is one: the invoice is priced again from the
        // same schedule and the pages as they now stand.
        let quoted = crate::desk::roi::fees::fee_view(r)
            .map(|q| {
                format!(
                    " Quoted {} on {}.",
                    crate::domain::roi::fees::dollars(q.total_cents),
                    crate::domain::dates::us_date(q.issued_on)
                )
            })
            .unwrap_or_default();
        let prompt = format!(
            "Issue the invoice for {}, itemized under the fee schedule in force when it came?{quoted} It cannot be \
             changed after.{then} (y/N)",
            named(r)
        );
        let command = Command::Roi(RoiCommand::Change {
            number: r.number.to_string(),
            version: r.version,
            done: format!("Invoice issued for {}", r.number),
            change: RequestChange::Invoice,
        });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }

    fn may_fees(&self, what: &str) -> Result<(), String> {
        self.may_roi(Permission::LogRequests, what).or_else(|_| self.may_roi(Permission::ReleaseRecords, what))
    }

    fn ask_payment(&mut self) -> Vec<Command> {
        if let Err(problem) = self.may_roi(Permission::LogRequests, "record payments") {
            self.toast = Some(problem);
            return Vec::new();
        }
        let today = crate::domain::dates::us_date(self.today);
        self.open_palette(&format!("roi pay {today} "))
    }

    /// `:roi extend DATE why…`: the new due date, noticed today; the desk checks the rule (inside
    /// the first 30 days, once, at most 30 days more) and says it in its refusal.
    pub(super) fn extend_request(&mut self, to: chrono::NaiveDate, reason: String) -> Vec<Command> {
        let Some(state) = self.roi.request.as_ref().filter(|_| self.screen == Screen::Request) else {
            self.toast = Some("Open the request to extend it.".into());
            return Vec::new();
        };
        let r = &state.request;
        if reason.trim().is_empty() {
            self.toast = Some("roi extend DATE why: say why (the extension notice tells the requester)".into());
            return Vec::new();
        }
        // The rule of 164.524(b)(2) (and 164.528(c)(2)), checked before the question: the notice
        // is today's, inside the first 30 days, once, and no more than 30 days more.
        let base = r
            .due
            .clocks
            .iter()
            .find(|c| [HIPAA_ACCESS, HIPAA_ACCOUNTING].contains(&c.code.as_str()))
            .and_then(|c| c.due_on)
            .unwrap_or(r.received_on);
        let extended =
            check_extension(r.received_on, base, self.today, to, r.extended_due_on.is_some(), r.request_type);
        let to = match extended {
            Ok(to) => to,
            Err(refusal) => {
                self.toast = Some(format!("{}: {refusal}", r.number));
                return Vec::new();
            }
        };
        // HIPAA's clock is the one extended; a shorter state clock still binds, and the question
        // says so rather than promising a date the state does not give.
        let binding = r
            .due
            .clocks
            .iter()
            .filter(|c| ![HIPAA_ACCESS, HIPAA_ACCOUNTING].contains(&c.code.as_str()))
            .filter_map(|c| c.due_on.filter(|on| *on < to).map(|on| (on, c)))
            .min_by_key(|(on, _)| *on)
            .map(|(on, c)| {
                format!(
                    " The state's clock is not extended: {} still makes it due {}.",
                    crate::domain::text::clean(&c.rule),
                    crate::domain::dates::us_date(on)
                )
            })
            .unwrap_or_default();
        let prompt = format!(
            "Extend {} to {} because \"{}\"? An extension notice is produced, dated today; it can be done once.{binding} (y/N)",
            named(r),
            crate::domain::dates::us_date(to),
            reason.trim()
        );
        let command = Command::Roi(RoiCommand::Change {
            number: r.number.to_string(),
            version: r.version,
            done: format!("{} extended to {}", r.number, crate::domain::dates::us_date(to)),
            change: RequestChange::Extend { to, reason: reason.trim().to_string() },
        });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }

    /// `:roi pay DATE AMOUNT`.
    pub(super) fn pay_request(&mut self, on: chrono::NaiveDate, cents: i64) -> Vec<Command> {
        let Some(state) = self.roi.request.as_ref().filter(|_| self.screen == Screen::Request) else {
            self.toast = Some("Open the request to record its payment.".into());
            return Vec::new();
        };
        let r = &state.request;
        if on > self.today {
            self.toast = Some(format!("{}: a payment cannot be dated after today", crate::domain::dates::us_date(on)));
            return Vec::new();
        }
        if on < r.received_on {
            self.toast = Some(format!(
                "{}: a payment cannot be before the request came ({})",
                crate::domain::dates::us_date(on),
                crate::domain::dates::us_date(r.received_on)
            ));
            return Vec::new();
        }
        // The desk's own check, said before the question rather than after the yes.
        if let Err(refusal) = crate::desk::roi::fees::check_payment(r, cents) {
            self.toast = Some(format!("{refusal}."));
            return Vec::new();
        }
        let amount = crate::domain::roi::fees::dollars(cents);
        let prompt = format!(
            "Record {amount} paid on {} for {}? A clock that waits for payment starts from it. (y/N)",
            crate::domain::dates::us_date(on),
            named(r)
        );
        let command = Command::Roi(RoiCommand::Change {
            number: r.number.to_string(),
            version: r.version,
            done: format!("{amount} recorded for {}", r.number),
            change: RequestChange::Pay { on, cents },
        });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }

    /// `:roi release DATE`.
    pub(super) fn release_request(&mut self, on: chrono::NaiveDate) -> Vec<Command> {
        if !Step::Release.allowed_for(&self.header.roles) {
            self.toast = Some(format!(
                "you ({}) may not release records: that needs {}",
                crate::domain::text::clean(&self.header.username),
                Step::Release.permission().roles_needed()
            ));
            return Vec::new();
        }
        self.release_on(on)
    }

    pub(super) fn on_request_changed(&mut self, done: String, result: Result<Box<RoiRequest>, String>) -> Vec<Command> {
        self.roi.changing = false;
        // A release's signature was taken: its question is answered, whatever came of it.
        if matches!(self.overlay, Some(Overlay::ReleaseSignature(_))) {
            self.overlay = None;
        }
        let mut commands = Vec::new();
        match result {
            Ok(request) => {
                let mut message = done;
                // The due date kept with the request counts the extension and every clock.
                if let Some(due) = request.due.due_on
                    && request.status.is_open()
                {
                    message.push_str(&format!("; due {}", crate::domain::dates::us_date(due)));
                    // Extended, yet due earlier: the clock that binds says why.
                    if request.extended_due_on.is_some_and(|extended| extended != due) {
                        message.push_str(&format!(" ({})", crate::domain::text::clean(&request.due.due_rule)));
                    }
                }
                self.toast = Some(message);
                // The authorization form saved: back to its request.
                if self.screen == Screen::Authorization
                    && self
                        .roi
                        .authorization
                        .as_ref()
                        .is_some_and(|a| matches!(&a.target, AuthTarget::Request(r) if r.id == request.id))
                {
                    self.roi.authorization = None;
                    self.screen = Screen::Request;
                }
                // Released from its packet: back to the request, which shows the release.
                if self.screen == Screen::Packet {
                    self.roi.packet = None;
                    self.screen = Screen::Request;
                }
                if let Some(open) = self.roi.request.as_mut().filter(|r| r.request.id == request.id) {
                    open.refresh(*request);
                    // A failed checklist is what the clerk must look at next.
                    if open.failed() > 0 && open.part != Part::Checklist {
                        open.part = Part::Checklist;
                    }
                }
                self.offer_steps();
            }
            Err(e) => {
                if self.screen == Screen::Authorization {
                    // The form stays as typed, the refusal on the field it is about.
                    self.authorization_refused(&e);
                }
                self.toast = Some(e);
                // The request may have moved under the clerk (another's change): read it again.
                commands.extend(self.reread_request());
            }
        }
        if self.roi.queue.loaded {
            commands.extend(self.follow_roi_queue());
        }
        if let Some(chart) = self.chart.as_ref().filter(|c| c.requests.is_some()) {
            commands.push(Command::Roi(RoiCommand::LoadPatientRequests { patient_id: chart.chart.patient.patient_id }));
        }
        commands
    }
}
