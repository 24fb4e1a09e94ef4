//! The accounting of disclosures screen's side of the model (`:accounting MRN [DATE]`): reading
//! it off the render path, moving among its entries, voiding one (only for those who may, with a
//! reason and a question naming it) and printing it.

use super::*;
use crate::domain::roi::accounting::AccountingFee;
use crate::domain::role::{Permission, allows};
use crate::report::accounting::AccountingReport;
use crate::tui::screens::accounting::AccountingState;

impl App {
    /// Opens the accounting of the patient with `mrn`, as of `date` (today when not given).
    pub(super) fn open_accounting(&mut self, mrn: String, date: Option<String>) -> Vec<Command> {
        let requested_on = match date {
            None => self.today,
            Some(typed) => match crate::domain::dates::parse_date(&typed, self.today) {
                Ok(on) if on > self.today => {
                    self.toast = Some(format!(
                        "{}: an accounting is asked for on a day that has come, not after today",
                        crate::domain::dates::us_date(on)
                    ));
                    return Vec::new();
                }
                Ok(on) => on,
                Err(problem) => {
                    self.toast = Some(format!("{}: {problem}", crate::domain::text::clean(&typed)));
                    return Vec::new();
                }
            },
        };
        if self.screen != Screen::Accounting {
            self.roi.accounting_return = self.screen;
        }
        let may_void = allows(&self.header.roles, Permission::VoidRecords);
        self.roi.accounting =
            Some(AccountingState { mrn: mrn.clone(), requested_on, report: None, selected: 0, may_void });
        self.screen = Screen::Accounting;
        self.roi.accounting_stale = false;
        self.load_accounting(mrn, requested_on, false)
    }

    fn load_accounting(&mut self, mrn: String, on: chrono::NaiveDate, follow: bool) -> Vec<Command> {
        let id = self.next_request();
        self.roi.pending_accounting = Some(id);
        vec![Command::Roi(RoiCommand::LoadAccounting { id, mrn, on, follow })]
    }

    /// The accounting on screen read again after a change in the store (a void, a release, a
    /// suspension): its highlight kept where it can be.
    pub(super) fn follow_accounting(&mut self) -> Vec<Command> {
        match self.roi.accounting.as_ref() {
            Some(state) => {
                let (mrn, on) = (state.mrn.clone(), state.requested_on);
                self.load_accounting(mrn, on, true)
            }
            None => Vec::new(),
        }
    }

    pub(super) fn on_accounting_loaded(
        &mut self,
        id: RequestId,
        result: Result<Box<AccountingReport>, String>,
    ) -> Vec<Command> {
        if self.roi.pending_accounting != Some(id) {
            self.dirty = false;
            return Vec::new();
        }
        self.roi.pending_accounting = None;
        match (self.roi.accounting.as_mut(), result) {
            (Some(state), Ok(report)) => {
                state.report = Some(*report);
                state.selected = state.selected.min(state.entries().saturating_sub(1));
            }
            (_, Err(e)) => {
                self.toast = Some(e);
                if self.roi.accounting.as_ref().is_some_and(|s| s.report.is_none()) {
                    self.roi.accounting = None;
                    self.screen = self.roi.accounting_return;
                }
            }
            (None, Ok(_)) => {}
        }
        Vec::new()
    }

    pub(super) fn on_accounting_action(&mut self, action: Action) -> Vec<Command> {
        let Some(state) = self.roi.accounting.as_mut() else {
            self.screen = self.roi.accounting_return;
            return Vec::new();
        };
        let last = state.entries().saturating_sub(1);
        match action {
            Action::NextRow => state.selected = (state.selected + 1).min(last),
            Action::PrevRow => state.selected = state.selected.saturating_sub(1),
            Action::NextPage => state.selected = (state.selected + 5).min(last),
            Action::PrevPage => state.selected = state.selected.saturating_sub(5),
            Action::FirstRow => state.selected = 0,
            Action::LastRow => state.selected = last,
            Action::Back => {
                self.screen = self.roi.accounting_return;
                return vec![Command::LoadInfo];
            }
            Action::VoidDisclosure => return self.void_selected(None),
            Action::PrintAccounting => return self.print_accounting(),
            Action::DeliverAccounting => return self.deliver_accounting(),
            _ => self.dirty = false,
        }
        Vec::new()
    }

    /// Void asks for the reason in the palette, then y/N naming the disclosure. A clerk who may
    /// not void is told so before any question (the screen does not offer it to her).
    pub(super) fn void_selected(&mut self, reason: Option<String>) -> Vec<Command> {
        let Some(state) = self.roi.accounting.as_ref().filter(|_| self.screen == Screen::Accounting) else {
            self.toast = Some("Open an accounting (:accounting MRN) to void one of its disclosures.".into());
            return Vec::new();
        };
        if !state.may_void {
            self.toast =
                Some(format!("You may not void a disclosure: that needs {}.", Permission::VoidRecords.roles_needed()));
            return Vec::new();
        }
        let Some((label, named)) = state.selected_words() else {
            self.toast = Some("No disclosure is highlighted.".into());
            return Vec::new();
        };
        let reason = reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
        let Some(reason) = reason else {
            return self.open_palette("accounting void ");
        };
        let (mrn, on) = (state.mrn.clone(), state.requested_on);
        let prompt = format!(
            "Void {named} because \"{}\"? It leaves MRN {mrn}'s accounting and stays in the audit trail. (y/N)",
            crate::domain::text::clean(&reason)
        );
        let command = Command::Roi(RoiCommand::VoidDisclosure { label, reason, mrn, on });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }

    fn print_accounting(&mut self) -> Vec<Command> {
        match self.roi.accounting.as_ref() {
            Some(state) if state.report.is_some() => {
                vec![Command::Roi(RoiCommand::PrintAccounting { mrn: state.mrn.clone(), on: state.requested_on })]
            }
            _ => {
                self.toast = Some("The accounting is still being read.".into());
                Vec::new()
            }
        }
    }

    /// Deliver asks first, naming what will happen: a free one is recorded so that the next in
    /// 12 months is not; a repeat one states its fee and is the patient's choice to go ahead or
    /// withdraw (164.528(c)(2)). One whose fee no schedule sets is refused before any question.
    fn deliver_accounting(&mut self) -> Vec<Command> {
        if !allows(&self.header.roles, Permission::ReleaseRecords) {
            self.toast = Some(format!(
                "You may not deliver an accounting: that needs {}.",
                Permission::ReleaseRecords.roles_needed()
            ));
            return Vec::new();
        }
        let Some((state, report)) = self.roi.accounting.as_ref().and_then(|s| s.report.as_ref().map(|r| (s, r))) else {
            self.toast = Some("The accounting is still being read.".into());
            return Vec::new();
        };
        let a = &report.accounting;
        let (mrn, on) = (state.mrn.clone(), state.requested_on);
        let entries = match a.entries.len() {
            1 => "1 entry".to_string(),
            n => format!("{n} entries"),
        };
        let as_of = crate::domain::dates::us_date(on);
        match a.fee {
            AccountingFee::Free => {
                let prompt = format!(
                    "Deliver MRN {mrn}'s accounting as of {as_of} ({entries}, no fee: the first in 12 months)? Its \
                     text and PDF go with the letters and the delivery is recorded, so that another within 12 months \
                     carries a fee. (y/N)"
                );
                let command = Command::Roi(RoiCommand::DeliverAccounting { mrn, on, proceed: false });
                self.overlay = Some(Overlay::Confirm { prompt, command });
            }
            AccountingFee::Quote { previous, cents: Some(cents) } => {
                let prompt = format!(
                    "A repeat accounting: MRN {mrn} was given one requested {}, within 12 months, so this one costs \
                     {}. Tell the patient. y: they go ahead — deliver it ({entries}) and record the fee; N: they \
                     withdraw — nothing is delivered or charged. (y/N)",
                    crate::domain::dates::us_date(previous),
                    crate::domain::roi::fees::dollars(cents)
                );
                let command = Command::Roi(RoiCommand::DeliverAccounting { mrn: mrn.clone(), on, proceed: true });
                let withdrawn = format!(
                    "Withdrawn: MRN {mrn}'s accounting as of {as_of} was not delivered and nothing is charged."
                );
                self.overlay = Some(Overlay::ProceedOrWithdraw { prompt, command, withdrawn });
            }
            AccountingFee::Quote { previous, cents: None } => {
                self.toast = Some(format!(
                    "MRN {mrn} was given an accounting requested {}: this one carries a cost-based fee, and the fee \
                     schedule HIPAA-528 sets none. A Director sets it (chartroom fee-schedule set) before it goes out.",
                    crate::domain::dates::us_date(previous)
                ));
            }
        }
        Vec::new()
    }

    pub(super) fn on_accounting_delivered(&mut self, result: Result<String, String>) -> Vec<Command> {
        match result {
            Ok(done) => {
                self.toast = Some(done);
                // Its fee line changes (the next is not free): read it again now.
                self.roi.accounting_stale = false;
                self.follow_accounting()
            }
            Err(e) => {
                self.toast = Some(e);
                Vec::new()
            }
        }
    }

    pub(super) fn on_disclosure_voided(&mut self, result: Result<String, String>) -> Vec<Command> {
        match result {
            Ok(done) => {
                self.toast = Some(done);
                // Read again now rather than on the change feed's word, which may come later.
                self.roi.accounting_stale = false;
                self.follow_accounting()
            }
            Err(e) => {
                self.toast = Some(e);
                Vec::new()
            }
        }
    }

    pub(super) fn on_accounting_printed(&mut self, result: Result<Vec<std::path::PathBuf>, String>) -> Vec<Command> {
        self.toast = Some(match result {
            Ok(files) => format!(
                "The accounting is printed: {}",
                files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
            ),
            Err(e) => e,
        });
        Vec::new()
    }
}
