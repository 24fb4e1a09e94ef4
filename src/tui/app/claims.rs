//! Taking queue rows to work and giving them up (`t`, `:take`, `:release`): the rows named, else
//! the selected ones, else the highlighted one. The desk decides who gets what; the screen says
//! what it did, in a clerk's words, and reads its rows again so that the holders show.

use super::*;
use crate::domain::role::{Permission, allows};
use crate::store::ClaimFilter;
use crate::tui::screens::queue::{name_rows, row_numbers};
use std::collections::BTreeSet;

impl App {
    pub(super) fn claim_rows(&mut self, numbers: Option<Vec<usize>>, release: bool) -> Vec<Command> {
        match self.claim_command(numbers, release) {
            Ok(Some(command)) => vec![command],
            Ok(None) => Vec::new(),
            Err(problem) => {
                self.toast = Some(problem);
                Vec::new()
            }
        }
    }

    /// The command to send, or None when a question was put first (a supervisor taking over).
    fn claim_command(&mut self, numbers: Option<Vec<usize>>, release: bool) -> Result<Option<Command>, String> {
        if self.screen != Screen::Queue {
            return Err("Take and release work on the deficiency queue (3).".into());
        }
        let roles = &self.header.roles;
        if !allows(roles, Permission::CompleteDeficiencies) && !allows(roles, Permission::ManageDeficiencies) {
            let needed = Permission::CompleteDeficiencies;
            return Err(format!(
                "you ({}) may not take work: that needs {}",
                crate::domain::text::clean(&self.header.username),
                needed.roles_needed()
            ));
        }
        if self.queue.reloading && numbers.is_some() {
            return Err("The list is reloading: name the rows once it shows.".into());
        }
        if self.queue.rows.is_empty() {
            return Err(format!("No deficiency to {} here.", if release { "give up" } else { "take" }));
        }
        let numbers = match numbers {
            Some(numbers) => Some(numbers),
            None if self.queue.picked.is_empty() => Some(vec![self.queue.selected + 1]),
            None => None,
        };
        let named = self.queue.named(numbers.as_deref())?;
        let ids: Vec<i64> = named.items.iter().map(|(id, _)| *id).collect();
        let me = &self.header.username;
        // Rows another clerk holds, as the screen shows them. A supervisor is asked before she
        // takes them over; anyone else's take goes to the desk, which names who holds them.
        let others: Vec<&(usize, &crate::store::deficiencies::QueueRow)> =
            named.rows.iter().filter(|(_, r)| r.claim.as_ref().is_some_and(|c| &c.holder != me)).collect();
        if others.is_empty() || !allows(roles, Permission::TakeOverWork) {
            return Ok(Some(claim(ids, release, false)));
        }
        let holders: BTreeSet<String> = others
            .iter()
            .filter_map(|(_, r)| r.claim.as_ref().map(|c| crate::domain::text::clean(&c.holder).into_owned()))
            .collect();
        let holders = holders.into_iter().collect::<Vec<_>>().join(", ");
        let mut subject = name_rows(&named.rows);
        if named.unseen > 0 {
            let word = if named.unseen == 1 { "deficiency" } else { "deficiencies" };
            subject.push_str(&format!(" and {} more selected {word} not on screen", named.unseen));
        }
        let prompt = if others.len() == named.rows.len() && named.unseen == 0 {
            match release {
                false => format!("Take over {subject} from {holders}? (y/N)"),
                true => format!("Release {subject} from {holders}? They are then nobody's. (y/N)"),
            }
        } else {
            let numbers: Vec<usize> = others.iter().map(|(n, _)| *n).collect();
            match release {
                false => format!("Take {subject}, taking over {} from {holders}? (y/N)", row_numbers(&numbers)),
                true => format!("Give up {subject}, releasing {} from {holders}? (y/N)", row_numbers(&numbers)),
            }
        };
        self.overlay = Some(Overlay::Confirm { prompt, command: claim(ids, release, true) });
        Ok(None)
    }

    pub(super) fn on_claimed(&mut self, result: Result<crate::desk::claims::ClaimOutcome, String>) -> Vec<Command> {
        match result {
            // The selection stays: the clerk takes rows, then works them.
            Ok(outcome) => self.toast = Some(outcome.message()),
            Err(e) => self.toast = Some(e),
        }
        if self.queue.loaded { self.refresh_queue() } else { Vec::new() }
    }

    /// `m`: every item, then the clerk's own, then those nobody holds.
    pub(super) fn cycle_claim_filter(&mut self) -> Vec<Command> {
        self.queue.filter.claimed = match self.queue.filter.claimed {
            None => Some(ClaimFilter::By(self.header.username.clone())),
            Some(ClaimFilter::By(_)) => Some(ClaimFilter::Unclaimed),
            Some(ClaimFilter::Unclaimed) => None,
        };
        self.reload_queue_page()
    }
}

fn claim(ids: Vec<i64>, release: bool, take_over: bool) -> Command {
    if release { Command::ReleaseDeficiencies { ids, take_over } } else { Command::TakeDeficiencies { ids, take_over } }
}
