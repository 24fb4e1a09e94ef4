//! The request screen's papers of a subpoena or an order: `S` the satisfactory assurance, `Q` a
//! qualified protective order, `O` a §2.64 order. Each opens the palette on its command, dated
//! today; what is typed is checked by the desk's own rule (`desk::roi::legal::after_paper`) before
//! the question, and the question says where the request goes.

use super::roi::{RequestChange, RoiCommand};
use super::*;
use crate::desk::roi::legal::{after_paper, paper_outcome};
use crate::domain::roi::legal::LegalPaper;
use crate::domain::role::Permission;
use crate::tui::widgets::palette::LegalWhat;

impl App {
    /// `S`, `Q`, `O`: refused at once on a request with no legal process, or for a clerk who works
    /// no requests; else the palette on the paper's command.
    pub(super) fn ask_legal_paper(&mut self, what: LegalWhat) -> Vec<Command> {
        if self.may_roi(Permission::LogRequests, "record a subpoena's papers").is_err()
            && let Err(problem) = self.may_roi(Permission::ReleaseRecords, "record a subpoena's papers")
        {
            self.toast = Some(problem);
            return Vec::new();
        }
        let Some(r) = self.roi.request.as_ref().map(|s| &s.request) else { return Vec::new() };
        if r.legal_process.is_none() {
            self.toast = Some(format!("{} came with no subpoena or court order", r.number));
            return Vec::new();
        }
        let today = crate::domain::dates::us_date(self.today);
        self.open_palette(&match what {
            LegalWhat::Assurance => format!("roi assurance {today} "),
            LegalWhat::Qpo => format!("roi qpo {today}"),
            LegalWhat::Part2Order => format!("roi order {today} "),
        })
    }

    /// `:roi assurance DATE [note]`, `:roi qpo DATE`, `:roi order DATE NUMBER court`.
    pub(super) fn legal_paper_typed(&mut self, what: LegalWhat, on: &str, rest: &str) -> Vec<Command> {
        let command = match what {
            LegalWhat::Assurance => "roi assurance DATE [note]",
            LegalWhat::Qpo => "roi qpo DATE",
            LegalWhat::Part2Order => "roi order DATE NUMBER court",
        };
        let Some(state) = self.roi.request.as_ref().filter(|_| self.screen == Screen::Request) else {
            self.toast = Some("Open the request to record its subpoena's papers.".into());
            return Vec::new();
        };
        let on = match self.typed_date(on) {
            Ok(on) => on,
            Err(problem) => {
                self.toast = Some(format!("{command}: {problem}"));
                return Vec::new();
            }
        };
        let paper = match what {
            LegalWhat::Assurance => LegalPaper::Assurance { received_on: on, note: rest.trim().to_string() },
            LegalWhat::Qpo => LegalPaper::Qpo { received_on: on },
            LegalWhat::Part2Order => {
                let (number, court) = rest.trim().split_once(' ').unwrap_or((rest.trim(), ""));
                LegalPaper::Part2Order { ordered_on: on, court: court.trim().to_string(), order_no: number.to_string() }
            }
        };
        let r = &state.request;
        let (_, to) = match after_paper(r, &paper, self.today, &self.header.roles) {
            Ok(outcome) => outcome,
            Err(refusal) => {
                self.toast = Some(refusal);
                return Vec::new();
            }
        };
        let prompt = format!(
            "Record for {} ({}): {}? {}. (y/N)",
            r.number,
            crate::domain::text::clean(&r.patient_name),
            crate::domain::text::clean(&paper.detail()),
            paper_outcome(r, to)
        );
        let command = Command::Roi(RoiCommand::Change {
            number: r.number.to_string(),
            version: r.version,
            done: format!("{}: the {} is recorded", r.number, paper.title()),
            change: RequestChange::Legal(paper),
        });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }
}
