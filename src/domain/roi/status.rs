//! Where a request can go from where it stands, and who may move it (issue 10's status machine):
//!
//! ```text
//! logged → validating → ready to fulfil → in QC → (awaiting payment →) ready to release → released → closed
//!             ↕ pended / on hold / exception (back to validating)
//! rejected (cannot be fulfilled) and cancelled (entered in error) from any open status
//! ```
//!
//! Choices a real desk needs beyond the issue's line:
//! - QC sends work back (`Rework`: in QC → ready to fulfil, with what QC found). QC is never
//!   skipped: a request with no payment due goes from QC straight to ready to release.
//! - Pending, holding and raising an exception are possible anywhere work is under way, from logging
//!   to ready to release, since a problem can surface at any of them; resuming always returns to
//!   validating, because the paper is checked again after a pause (an authorization may have
//!   expired or been revoked meanwhile).
//! - Nothing is deleted and nothing reopens: released, closed, rejected and cancelled requests
//!   take no step but a released one's close.
//!
//! Who may (per step, never per screen; `Role::permissions` grants the permissions):
//! - `LogRequests` (HIM clerk and up): the intake side — putting a request on hold at the
//!   requester's word, resuming a paused one when the missing paper comes in, and recording
//!   the payment that makes a request ready to release.
//! - `ReleaseRecords` (ROI specialist, supervisor, director): the judgement of the work —
//!   validating, pending, raising an exception, fulfilling, QC, invoicing, releasing, closing,
//!   and rejecting a request that cannot be fulfilled (a letter goes out with it).
//! - `VoidRecords` (supervisor, director): cancelling a request entered in error, as every void is
//!   a supervisor's (IHS `DGZICE`).

use super::model::{RequestNumber, RequestStatus};
use crate::domain::role::{Permission, Role, allows};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One move of the status machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Logged → validating: the specialist takes up the paper.
    Validate,
    /// Something the requester must supply (a deficient authorization); a reason is required.
    Pend,
    /// Paused at the requester's (or the patient's) word; a reason is required.
    Hold,
    /// Something out of the ordinary for a supervisor's eye (records not found, a legal question).
    Exception,
    /// Pended, on hold or an exception → validating.
    Resume,
    /// Validating → ready to fulfil: the paper is good.
    Fulfil,
    /// Ready to fulfil → in QC: the records are gathered.
    Qc,
    /// In QC → ready to fulfil: QC found something to redo; the reason says what.
    Rework,
    /// In QC → awaiting payment: an invoice is out.
    AwaitPayment,
    /// Awaiting payment → ready to release: the payment arrived.
    PaymentReceived,
    /// In QC → ready to release: QC passed and no payment is due.
    ReadyToRelease,
    /// Ready to release → released: the records left (the disclosure is recorded).
    Release,
    /// Released → closed.
    Close,
    /// Cannot be fulfilled: a reason and a letter.
    Reject,
    /// Entered in error: kept, never deleted.
    Cancel,
}

use RequestStatus as S;

/// Statuses in which work is under way (and can pause).
const WORKING: &[RequestStatus] =
    &[S::Logged, S::Validating, S::ReadyToFulfil, S::InQc, S::AwaitingPayment, S::ReadyToRelease];
const PAUSED: &[RequestStatus] = &[S::Pended, S::OnHold, S::Exception];
const OPEN: &[RequestStatus] = &[
    S::Logged,
    S::Validating,
    S::Pended,
    S::OnHold,
    S::Exception,
    S::ReadyToFulfil,
    S::InQc,
    S::AwaitingPayment,
    S::ReadyToRelease,
];

impl Step {
    pub const ALL: &'static [Self] = &[
        Self::Validate,
        Self::Pend,
        Self::Hold,
        Self::Exception,
        Self::Resume,
        Self::Fulfil,
        Self::Qc,
        Self::Rework,
        Self::AwaitPayment,
        Self::PaymentReceived,
        Self::ReadyToRelease,
        Self::Release,
        Self::Close,
        Self::Reject,
        Self::Cancel,
    ];

    /// The statuses this step leaves from.
    pub fn leaves_from(self) -> &'static [RequestStatus] {
        match self {
            Self::Validate => &[S::Logged],
            Self::Pend | Self::Hold | Self::Exception => WORKING,
            Self::Resume => PAUSED,
            Self::Fulfil => &[S::Validating],
            Self::Qc => &[S::ReadyToFulfil],
            Self::Rework | Self::AwaitPayment | Self::ReadyToRelease => &[S::InQc],
            Self::PaymentReceived => &[S::AwaitingPayment],
            Self::Release => &[S::ReadyToRelease],
            Self::Close => &[S::Released],
            Self::Reject | Self::Cancel => OPEN,
        }
    }

    /// The status this step reaches.
    pub fn to(self) -> RequestStatus {
        match self {
            Self::Validate | Self::Resume => S::Validating,
            Self::Pend => S::Pended,
            Self::Hold => S::OnHold,
            Self::Exception => S::Exception,
            Self::Fulfil | Self::Rework => S::ReadyToFulfil,
            Self::Qc => S::InQc,
            Self::AwaitPayment => S::AwaitingPayment,
            Self::PaymentReceived | Self::ReadyToRelease => S::ReadyToRelease,
            Self::Release => S::Released,
            Self::Close => S::Closed,
            Self::Reject => S::Rejected,
            Self::Cancel => S::Cancelled,
        }
    }

    /// Whether the clerk must say why (it becomes the status reason and the history's words).
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Pend | Self::Hold | Self::Exception | Self::Rework | Self::Reject | Self::Cancel)
    }

    /// The permission a user needs to take this step (see the module's table).
    pub fn permission(self) -> Permission {
        match self {
            Self::Hold | Self::Resume | Self::PaymentReceived => Permission::LogRequests,
            Self::Cancel => Permission::VoidRecords,
            Self::Validate
            | Self::Pend
            | Self::Exception
            | Self::Fulfil
            | Self::Qc
            | Self::Rework
            | Self::AwaitPayment
            | Self::ReadyToRelease
            | Self::Release
            | Self::Close
            | Self::Reject => Permission::ReleaseRecords,
        }
    }

    /// Whether a user with `roles` may take this step.
    pub fn allowed_for(self, roles: &[Role]) -> bool {
        allows(roles, self.permission())
    }

    /// The command-line word: `roi pend`, `roi hold`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Validate => "validate",
            Self::Pend => "pend",
            Self::Hold => "hold",
            Self::Exception => "exception",
            Self::Resume => "resume",
            Self::Fulfil => "fulfil",
            Self::Qc => "qc",
            Self::Rework => "rework",
            Self::AwaitPayment => "await_payment",
            Self::PaymentReceived => "payment_received",
            Self::ReadyToRelease => "ready_to_release",
            Self::Release => "release",
            Self::Close => "close",
            Self::Reject => "reject",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        let code = code.trim();
        Self::ALL.iter().copied().find(|step| step.code().eq_ignore_ascii_case(code))
    }

    /// The screen's word for the step, an imperative: `Put on hold`.
    pub fn title(self) -> &'static str {
        match self {
            Self::Validate => "Validate",
            Self::Pend => "Pend",
            Self::Hold => "Put on hold",
            Self::Exception => "Raise an exception",
            Self::Resume => "Resume",
            Self::Fulfil => "Ready to fulfil",
            Self::Qc => "Send to QC",
            Self::Rework => "Back from QC",
            Self::AwaitPayment => "Await payment",
            Self::PaymentReceived => "Payment received",
            Self::ReadyToRelease => "Ready to release",
            Self::Release => "Release",
            Self::Close => "Close",
            Self::Reject => "Reject",
            Self::Cancel => "Cancel",
        }
    }

    /// The step as a past participle, for "it cannot be …": `put on hold`.
    fn done(self) -> &'static str {
        match self {
            Self::Validate => "validated",
            Self::Pend => "pended",
            Self::Hold => "put on hold",
            Self::Exception => "marked an exception",
            Self::Resume => "resumed",
            Self::Fulfil => "made ready to fulfil",
            Self::Qc => "sent to QC",
            Self::Rework => "sent back from QC",
            Self::AwaitPayment => "set to await payment",
            Self::PaymentReceived => "marked paid",
            Self::ReadyToRelease => "made ready to release",
            Self::Release => "released",
            Self::Close => "closed",
            Self::Reject => "rejected",
            Self::Cancel => "cancelled",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// The steps a request in `status` can take, in the order a screen offers them (onward first).
pub fn steps_from(status: RequestStatus) -> Vec<Step> {
    Step::ALL.iter().copied().filter(|step| step.leaves_from().contains(&status)).collect()
}

/// A step the request's status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the request is {}; it cannot be {}", from.title(), step.done())]
pub struct TransitionRefusal {
    pub from: RequestStatus,
    pub step: Step,
}

impl TransitionRefusal {
    /// The refusal naming the request: `RGH-00041 is Released; it cannot be pended`.
    pub fn message(&self, number: &RequestNumber) -> String {
        format!("{number} is {}; it cannot be {}", self.from.title(), self.step.done())
    }
}

/// The status `step` takes a request in `from` to, or why it cannot. Who may take it is
/// [`Step::permission`]'s question, asked by the desk.
pub fn transition(from: RequestStatus, step: Step) -> Result<RequestStatus, TransitionRefusal> {
    if step.leaves_from().contains(&from) { Ok(step.to()) } else { Err(TransitionRefusal { from, step }) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_issues_line_from_logged_to_closed() {
        let mut status = S::Logged;
        for (step, reached) in [
            (Step::Validate, S::Validating),
            (Step::Fulfil, S::ReadyToFulfil),
            (Step::Qc, S::InQc),
            (Step::AwaitPayment, S::AwaitingPayment),
            (Step::PaymentReceived, S::ReadyToRelease),
            (Step::Release, S::Released),
            (Step::Close, S::Closed),
        ] {
            status = transition(status, step).unwrap();
            assert_eq!(status, reached, "{step:?}");
        }
        assert!(steps_from(S::Closed).is_empty());
    }

    #[test]
    fn pauses_return_to_validating_and_qc_can_send_work_back() {
        for pause in [Step::Pend, Step::Hold, Step::Exception] {
            let paused = transition(S::Validating, pause).unwrap();
            assert_eq!(transition(paused, Step::Resume), Ok(S::Validating));
            assert_eq!(transition(S::ReadyToRelease, pause), Ok(pause.to()));
        }
        assert_eq!(transition(S::InQc, Step::Rework), Ok(S::ReadyToFulfil));
        assert_eq!(transition(S::InQc, Step::ReadyToRelease), Ok(S::ReadyToRelease));
        // QC is never skipped.
        assert!(transition(S::ReadyToFulfil, Step::ReadyToRelease).is_err());
        assert!(transition(S::Validating, Step::Release).is_err());
    }

    #[test]
    fn the_steps_of_each_status() {
        use Step::*;
        let table: [(RequestStatus, &[Step]); 13] = [
            (S::Logged, &[Validate, Pend, Hold, Exception, Reject, Cancel]),
            (S::Validating, &[Pend, Hold, Exception, Fulfil, Reject, Cancel]),
            (S::Pended, &[Resume, Reject, Cancel]),
            (S::OnHold, &[Resume, Reject, Cancel]),
            (S::Exception, &[Resume, Reject, Cancel]),
            (S::ReadyToFulfil, &[Pend, Hold, Exception, Qc, Reject, Cancel]),
            (S::InQc, &[Pend, Hold, Exception, Rework, AwaitPayment, ReadyToRelease, Reject, Cancel]),
            (S::AwaitingPayment, &[Pend, Hold, Exception, PaymentReceived, Reject, Cancel]),
            (S::ReadyToRelease, &[Pend, Hold, Exception, Release, Reject, Cancel]),
            (S::Released, &[Close]),
            (S::Closed, &[]),
            (S::Rejected, &[]),
            (S::Cancelled, &[]),
        ];
        for (status, steps) in table {
            assert_eq!(steps_from(status), steps, "{status:?}");
        }
        assert_eq!(table.len(), RequestStatus::ALL.len());
    }

    #[test]
    fn a_refusal_names_the_request_and_the_step_in_a_clerks_words() {
        let number = RequestNumber::parse("RGH-00041").unwrap();
        let refusal = transition(S::Released, Step::Pend).unwrap_err();
        assert_eq!(refusal.message(&number), "RGH-00041 is Released; it cannot be pended");
        assert_eq!(refusal.to_string(), "the request is Released; it cannot be pended");
        let refusal = transition(S::Cancelled, Step::Hold).unwrap_err();
        assert_eq!(refusal.message(&number), "RGH-00041 is Cancelled; it cannot be put on hold");
    }

    #[test]
    fn rejected_and_cancelled_are_reached_from_every_open_status_and_left_from_none() {
        for status in RequestStatus::ALL.iter().copied() {
            assert_eq!(transition(status, Step::Reject).is_ok(), status.is_open(), "{status:?}");
            assert_eq!(transition(status, Step::Cancel).is_ok(), status.is_open(), "{status:?}");
            if !status.is_open() && status != S::Released {
                assert!(steps_from(status).is_empty(), "{status:?}");
            }
        }
    }

    #[test]
    fn reasons_are_asked_for_pausing_rejecting_cancelling_and_rework() {
        let needing: Vec<Step> = Step::ALL.iter().copied().filter(|step| step.needs_reason()).collect();
        assert_eq!(needing, [Step::Pend, Step::Hold, Step::Exception, Step::Rework, Step::Reject, Step::Cancel]);
    }

    /// Every step against every role, written out: a change to a role's permissions or a step's
    /// permission shows here.
    #[test]
    fn who_may_take_each_step() {
        use Step::*;
        let clerk_side: &[Step] = &[Hold, Resume, PaymentReceived];
        let specialist: &[Step] = &[
            Validate,
            Pend,
            Hold,
            Exception,
            Resume,
            Fulfil,
            Qc,
            Rework,
            AwaitPayment,
            PaymentReceived,
            ReadyToRelease,
            Release,
            Close,
            Reject,
        ];
        let everything: &[Step] = Step::ALL;
        let expected: [(Role, &[Step]); 8] = [
            (Role::HimClerk, clerk_side),
            (Role::RoiSpecialist, specialist),
            (Role::ChartAnalyst, &[]),
            (Role::Coder, &[]),
            (Role::Supervisor, everything),
            (Role::Director, everything),
            (Role::PrivacyOfficer, &[]),
            (Role::MedicalStaffOffice, &[]),
        ];
        assert_eq!(expected.len(), Role::ALL.len());
        for (role, steps) in expected {
            for step in Step::ALL.iter().copied() {
                assert_eq!(step.allowed_for(&[role]), steps.contains(&step), "{role:?} {step:?}");
            }
        }
        assert!(Cancel.allowed_for(&[Role::HimClerk, Role::Supervisor]));
        assert!(!Release.allowed_for(&[]));
    }

    #[test]
    fn step_codes_round_trip() {
        for step in Step::ALL.iter().copied() {
            assert_eq!(Step::parse(step.code()), Some(step));
            assert_eq!(Step::parse(&step.code().to_ascii_uppercase()), Some(step));
        }
        assert_eq!(Step::parse("delete"), None);
    }

    proptest! {
        /// Any sequence of steps from logged: each is allowed exactly when `steps_from` offers it,
        /// and a terminal status is never left.
        #[test]
        fn any_walk_moves_only_where_the_table_says(steps in proptest::collection::vec(0..Step::ALL.len(), 0..40)) {
            let mut status = S::Logged;
            let mut left_terminal = false;
            for index in steps {
                let step = Step::ALL[index];
                let offered = steps_from(status).contains(&step);
                match transition(status, step) {
                    Ok(next) => {
                        prop_assert!(offered);
                        prop_assert_eq!(next, step.to());
                        left_terminal |= matches!(status, S::Closed | S::Rejected | S::Cancelled);
                        status = next;
                    }
                    Err(refusal) => {
                        prop_assert!(!offered);
                        prop_assert_eq!(refusal, TransitionRefusal { from: status, step });
                    }
                }
            }
            prop_assert!(!left_terminal);
        }
    }

    #[test]
    fn every_status_is_reachable_from_logged_and_every_open_one_can_finish() {
        let mut seen = BTreeSet::from([S::Logged]);
        let mut frontier = vec![S::Logged];
        while let Some(status) = frontier.pop() {
            for step in steps_from(status) {
                if seen.insert(step.to()) {
                    frontier.push(step.to());
                }
            }
        }
        assert_eq!(seen.len(), RequestStatus::ALL.len());
        for status in RequestStatus::ALL.iter().copied().filter(|status| status.is_open()) {
            let mut reach = BTreeSet::from([status]);
            let mut frontier = vec![status];
            while let Some(at) = frontier.pop() {
                for step in steps_from(at) {
                    if reach.insert(step.to()) {
                        frontier.push(step.to());
                    }
                }
            }
            assert!(reach.contains(&S::Released), "{status:?} can never be released");
        }
    }
}
