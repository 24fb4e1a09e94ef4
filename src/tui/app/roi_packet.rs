//! The release packet screen's side of the model (`P` on a request): reading the packet off the
//! render path, moving among its documents, picking them in and out (never one a rule leaves
//! out), and the release of the pick — refused before the question when it cannot be right, and
//! asked y/N saying exactly what goes and what is left out. The yes is the partial release's
//! explicit confirmation, which the desk records with the clerk's name.

use super::roi::{RequestChange, RoiCommand};
use super::*;
use crate::desk::roi::packet::{PART2_TEMPLATE_MISSING, PacketView, ReleasePick};
use crate::domain::roi::status::{Step, transition};
use crate::domain::role::{Permission, allows};
use crate::tui::screens::roi_packet::PacketState;

impl App {
    /// Opens the packet of the request on screen, to be released today.
    pub(super) fn open_packet(&mut self) -> Vec<Command> {
        self.open_packet_on(self.today)
    }

    /// Opens the packet of the request on screen, its release to be dated `on` (`:roi release
    /// DATE`, checked by the caller).
    pub(super) fn open_packet_on(&mut self, on: chrono::NaiveDate) -> Vec<Command> {
        let Some(request) = self.roi.request.as_ref().map(|r| &r.request) else {
            self.toast = Some("Open a request to see its packet.".into());
            return Vec::new();
        };
        if !allows(&self.header.roles, Permission::ReleaseRecords)
            && !allows(&self.header.roles, Permission::LogRequests)
        {
            self.toast = Some(format!(
                "You may not see a request's packet: that needs {}.",
                Permission::LogRequests.roles_needed()
            ));
            return Vec::new();
        }
        let number = request.number.to_string();
        self.roi.packet = Some(PacketState { number: number.clone(), view: None, selected: 0, on });
        self.screen = Screen::Packet;
        self.load_packet(number, false)
    }

    fn load_packet(&mut self, number: String, again: bool) -> Vec<Command> {
        let id = self.next_request();
        self.roi.pending_packet = Some(id);
        vec![Command::Roi(RoiCommand::LoadPacket { id, number, again })]
    }

    /// The packet read again after a change in the store: the clerk's own picks are kept.
    pub(super) fn follow_packet(&mut self) -> Vec<Command> {
        match self.roi.packet.as_ref() {
            Some(state) => {
                let number = state.number.clone();
                self.load_packet(number, true)
            }
            None => Vec::new(),
        }
    }

    pub(super) fn on_packet_loaded(&mut self, id: RequestId, result: Result<Box<PacketView>, String>) -> Vec<Command> {
        if self.roi.pending_packet != Some(id) {
            self.dirty = false;
            return Vec::new();
        }
        self.roi.pending_packet = None;
        match (self.roi.packet.as_mut(), result) {
            (Some(state), Ok(mut view)) => {
                // What the clerk left out stays left out when the packet is read again.
                if let Some(before) = &state.view {
                    let left = before.clerk_left_out();
                    for row in view.rows.iter_mut().filter(|r| left.contains(&r.document.id)) {
                        row.picked = false;
                    }
                }
                state.view = Some(*view);
                state.selected = state.selected.min(state.rows().saturating_sub(1));
            }
            (_, Err(e)) => {
                self.toast = Some(e);
                if self.roi.packet.as_ref().is_some_and(|s| s.view.is_none()) {
                    self.roi.packet = None;
                    self.screen = Screen::Request;
                }
            }
            (None, Ok(_)) => {}
        }
        Vec::new()
    }

    pub(super) fn on_packet_action(&mut self, action: Action) -> Vec<Command> {
        let Some(state) = self.roi.packet.as_mut() else {
            self.screen = Screen::Request;
            return Vec::new();
        };
        let last = state.rows().saturating_sub(1);
        match action {
            Action::NextRow => state.selected = (state.selected + 1).min(last),
            Action::PrevRow => state.selected = state.selected.saturating_sub(1),
            Action::NextPage => state.selected = (state.selected + 10).min(last),
            Action::PrevPage => state.selected = state.selected.saturating_sub(10),
            Action::FirstRow => state.selected = 0,
            Action::LastRow => state.selected = last,
            Action::ToggleSelect => {
                let selected = state.selected;
                if let Some(view) = state.view.as_mut()
                    && let Some(row) = view.rows.get(selected).map(|r| r.row)
                {
                    match view.toggle(row) {
                        Ok(true) => self.toast = Some(format!("Row {row} goes: {}.", view.totals())),
                        Ok(false) => self.toast = Some(format!("Row {row} is left out: {}.", view.totals())),
                        Err(refusal) => self.toast = Some(format!("{refusal}.")),
                    }
                }
            }
            Action::ReleaseRequest => return self.ask_packet_release(),
            Action::Back => {
                self.roi.packet = None;
                self.roi.pending_packet = None;
                self.screen = Screen::Request;
            }
            _ => self.dirty = false,
        }
        Vec::new()
    }

    /// Release asks y/N with the packet's own words; refused first when the request cannot be
    /// released now, the clerk may not release, nothing would go, or Part 2 pages would go with no
    /// §2.32 notice configured.
    fn ask_packet_release(&mut self) -> Vec<Command> {
        if let Err(problem) = self.may_roi(Permission::ReleaseRecords, "release records") {
            self.toast = Some(problem);
            return Vec::new();
        }
        let (Some(state), Some(request)) = (self.roi.packet.as_ref(), self.roi.request.as_ref().map(|r| &r.request))
        else {
            return Vec::new();
        };
        let Some(view) = state.view.as_ref() else {
            self.toast = Some(format!("{}'s packet is still being read.", state.number));
            return Vec::new();
        };
        if let Err(refusal) = transition(request.status, Step::Release) {
            self.toast = Some(refusal.message(&request.number));
            return Vec::new();
        }
        if let Some(refusal) = crate::desk::roi::fees::unpaid_refusal(request) {
            self.toast = Some(format!("{refusal}."));
            return Vec::new();
        }
        let zone = self.roi.request.as_ref().and_then(|r| r.zone);
        let day_of = |at: chrono::DateTime<chrono::Utc>| match zone {
            Some(tz) => at.with_timezone(&tz).date_naive(),
            None => at.date_naive(),
        };
        if let Some(refusal) = crate::desk::roi::packet::release_date_refusal(request, state.on, day_of) {
            self.toast = Some(format!("{refusal}."));
            return Vec::new();
        }
        if !view.rows.is_empty() && view.picked_pages() == 0 {
            self.toast = Some(format!("Nothing of {} would go: every document is left out.", view.number));
            return Vec::new();
        }
        if view.blocking_now().iter().any(|b| b == PART2_TEMPLATE_MISSING) {
            self.toast = Some(format!(
                "{} cannot go with its Part 2 pages: {PART2_TEMPLATE_MISSING}. Or leave them out (Space).",
                view.number
            ));
            return Vec::new();
        }
        let on = state.on;
        // What the desk will record, said before the clerk agrees to it.
        let basis = crate::desk::roi::release_basis(request);
        let accounting = if crate::domain::roi::accounting::accountable(basis, on) {
            format!("it will be listed in the patient's accounting of disclosures ({})", basis.title().to_lowercase())
        } else {
            format!("it is not listed in an accounting of disclosures ({})", basis.title().to_lowercase())
        };
        let prompt = format!("{} The disclosure is recorded; {accounting}. Release? (y/N)", view.release_summary(on));
        let command = Command::Roi(RoiCommand::Change {
            number: view.number.clone(),
            version: view.version,
            done: format!("{} released: {}", view.number, view.totals()),
            change: RequestChange::Release {
                on,
                pick: ReleasePick { leave_out: view.clerk_left_out(), confirm_partial: view.is_partial() },
                code: super::guard::Code(String::new()),
            },
        });
        self.overlay = Some(Overlay::Confirm { prompt, command });
        Vec::new()
    }
}
