//! Intake's side of the model: the form opened for the patient in context (`n` on a chart, or
//! `:roi new MRN`), filled in, checked, shown against the patient's requests before a number is
//! issued, and logged as a new request or a follow-up on an open one. What the clerk typed is kept
//! in the store as a draft whenever she moves between fields, every few keys, when she leaves and
//! when the session ends; it is offered back when she returns.

use super::roi::{KeptForm, RoiCommand};
use super::*;
use crate::desk::roi::IntakeForm;
use crate::domain::role::Permission;
use crate::store::roi::RoiRequest;
use crate::tui::screens::roi_intake::{Field, FormPatient, IntakeCheck, IntakeState, Stage, fresh_form};
use crossterm::event::KeyCode;

/// Keys typed into the form between two saves of its draft, when the clerk stays in one field.
const SAVE_EVERY: u32 = 20;

/// A kept form offered back, and what the clerk may do with it.
#[derive(Debug)]
pub struct DraftOffer {
    pub prompt: String,
    pub kept: KeptForm,
    /// The form the clerk asked for instead (another patient's), started when she discards the
    /// kept one.
    pub instead: Option<(IntakeForm, FormPatient)>,
}

impl App {
    /// `n` on a chart: a new request for its patient (or the kept form for them, as it was).
    pub(super) fn start_intake_for_chart(&mut self) -> Vec<Command> {
        let Some(chart) = self.chart.as_ref() else {
            self.toast = Some("Open the patient's chart first (or :roi new MRN).".into());
            return Vec::new();
        };
        let p = &chart.chart.patient;
        let patient = FormPatient {
            patient_id: p.patient_id,
            name: crate::domain::names::display_name(&p.family, &p.given, &p.middle),
            mrn: p.mrn.as_str().to_string(),
            birth_date: Some(p.birth_date),
        };
        // The facility that holds the patient's latest stay answers the request; the desk's own
        // facility when the chart has none.
        let facility = chart
            .chart
            .encounters
            .iter()
            .max_by_key(|e| e.admit_at)
            .map(|e| e.facility_code.clone())
            .filter(|code| !code.trim().is_empty())
            .unwrap_or_else(|| self.header.facility_code());
        self.roi.intake_return = Screen::Chart;
        if let Some(kept) = self.roi.resume.take() {
            if kept.form.patient.trim() == patient.mrn {
                let mut state = IntakeState::new(kept.form, patient, kept.requester_label);
                state.saved_once = true;
                self.roi.intake = Some(state);
                self.screen = Screen::Intake;
                self.toast = Some("The form you started is back, as you left it.".into());
                return Vec::new();
            }
            self.roi.resume = Some(kept);
        }
        let fresh = fresh_form(&patient, &facility, self.today);
        self.start_intake(fresh, patient)
    }

    fn start_intake(&mut self, fresh: IntakeForm, patient: FormPatient) -> Vec<Command> {
        if let Err(problem) = self.may_roi(Permission::LogRequests, "log release requests") {
            self.toast = Some(problem);
            return Vec::new();
        }
        match self.roi.intake.as_ref() {
            // The form in hand, for this patient: back to it as it was.
            Some(open) if open.patient.patient_id == patient.patient_id => {
                self.screen = Screen::Intake;
                Vec::new()
            }
            Some(open) => {
                let kept =
                    KeptForm { form: open.form.clone(), requester_label: open.requester_label.clone(), at: None };
                self.offer_draft(kept, Some((fresh, patient)));
                Vec::new()
            }
            None => {
                // A form kept in the store (another session's) is asked for before a new one starts.
                self.roi.intake_waiting = Some((fresh, patient));
                vec![Command::Roi(RoiCommand::LoadDraft)]
            }
        }
    }

    fn offer_draft(&mut self, kept: KeptForm, instead: Option<(IntakeForm, FormPatient)>) {
        let mrn = crate::domain::text::clean(&kept.form.patient).into_owned();
        let when = kept.at.map(|at| format!(" on {}", at.format("%m/%d/%Y at %H:%M UTC"))).unwrap_or_default();
        let prompt = match &instead {
            Some((_, patient)) => format!(
                "A request form for MRN {mrn}, started{when}, is kept, not logged. y goes back to it; d discards it and \
                 starts one for {} (MRN {}); any other key: nothing changes.",
                crate::domain::text::clean(&patient.name),
                crate::domain::text::clean(&patient.mrn)
            ),
            None => format!(
                "A request form you started for MRN {mrn}{when} was kept when your session ended. Open it now? \
                 (y/N: it stays kept, and n on that patient's chart opens it)"
            ),
        };
        self.overlay = Some(Overlay::Draft(Box::new(DraftOffer { prompt, kept, instead })));
    }

    pub(super) fn on_draft_offer_key(&mut self, offer: DraftOffer, key: crossterm::event::KeyEvent) -> Vec<Command> {
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                let kept_mrn = offer.kept.form.patient.trim().to_string();
                if self.roi.intake.as_ref().is_some_and(|i| i.patient.mrn == kept_mrn) {
                    // The form in hand: back to it. Esc returns to its patient's chart when open.
                    let chart_is_its = self.chart.as_ref().is_some_and(|c| c.chart.patient.mrn.as_str() == kept_mrn);
                    self.roi.intake_return = if chart_is_its { Screen::Chart } else { Screen::Lookup };
                    self.screen = Screen::Intake;
                    return Vec::new();
                }
                // The kept form's patient, read by MRN as the chart reads them: the form shows who
                // it is for from the store, never from the draft alone.
                self.roi.resume = Some(offer.kept);
                self.intake_by_mrn(kept_mrn)
            }
            KeyCode::Char('d') | KeyCode::Char('D') if offer.instead.is_some() => {
                let Some((fresh, patient)) = offer.instead else { return Vec::new() };
                self.roi.intake = Some(IntakeState::new(fresh, patient, None));
                self.screen = Screen::Intake;
                self.toast = Some("The kept form was discarded.".into());
                vec![Command::Roi(RoiCommand::DiscardDraft)]
            }
            _ => {
                self.toast = Some("Nothing changed: the form stays kept.".into());
                Vec::new()
            }
        }
    }

    pub(super) fn on_draft_loaded(&mut self, result: Result<Option<Box<KeptForm>>, String>) -> Vec<Command> {
        let at_start = std::mem::take(&mut self.roi.draft_at_start);
        let waiting = self.roi.intake_waiting.take();
        let kept = match result {
            Ok(kept) => kept.map(|k| *k),
            Err(e) => {
                // At sign-in a clerk who logs no requests has no form to be offered: said nothing.
                if waiting.is_some() {
                    self.toast = Some(format!("Whether a request form was kept could not be read: {e}"));
                }
                None
            }
        };
        match (kept, waiting) {
            (Some(kept), Some((_, patient))) if kept.form.patient.trim() == patient.mrn => {
                let mut state = IntakeState::new(kept.form, patient, kept.requester_label);
                state.saved_once = true;
                self.roi.intake = Some(state);
                self.screen = Screen::Intake;
                self.toast = Some("The form you started for this patient is back, as you left it.".into());
            }
            (Some(kept), Some(instead)) => self.offer_draft(kept, Some(instead)),
            (None, Some((fresh, patient))) => {
                self.roi.intake = Some(IntakeState::new(fresh, patient, None));
                self.screen = Screen::Intake;
            }
            (Some(kept), None) if at_start && self.overlay.is_none() => self.offer_draft(kept, None),
            _ => self.dirty = false,
        }
        Vec::new()
    }

    /// The draft's save, when the form changed since the last.
    pub(super) fn keep_draft(&mut self) -> Vec<Command> {
        let Some(intake) = self.roi.intake.as_mut() else { return Vec::new() };
        if !intake.unsaved {
            return Vec::new();
        }
        intake.unsaved = false;
        intake.edits = 0;
        vec![Command::Roi(RoiCommand::SaveDraft { form: Box::new(intake.form.clone()) })]
    }

    pub(super) fn on_intake_action(&mut self, action: Action) -> Vec<Command> {
        let Some(intake) = self.roi.intake.as_mut() else {
            self.screen = Screen::Lookup;
            return Vec::new();
        };
        match (&intake.stage, action) {
            (Stage::Choosing(_), Action::Back) => {
                intake.stage = Stage::Editing;
                Vec::new()
            }
            (Stage::Checking | Stage::Logging, Action::Back) => {
                self.toast = Some("A moment: the desk is answering.".into());
                Vec::new()
            }
            (_, Action::Back) => {
                self.screen = match self.roi.intake_return {
                    Screen::Chart if self.chart.is_none() => Screen::Lookup,
                    Screen::Intake | Screen::Request => Screen::Lookup,
                    other => other,
                };
                if intake.unsaved || intake.saved_once {
                    self.toast = Some(format!(
                        "The form for {} is kept: n on the chart (or :roi new {}) goes back to it.",
                        crate::domain::text::clean(&intake.patient.name),
                        crate::domain::text::clean(&intake.patient.mrn)
                    ));
                } else {
                    // Nothing was typed: nothing to keep.
                    self.roi.intake = None;
                }
                Vec::new()
            }
            (Stage::Editing, Action::NextField | Action::PrevField) => {
                if intake.focus == Field::Requester
                    && !intake.requester_chosen()
                    && !intake.requester_query().trim().is_empty()
                {
                    // Tab from a typed name takes the highlighted entry, as Enter does.
                    intake.pick_requester();
                }
                intake.next_field(if action == Action::NextField { 1 } else { -1 });
                self.keep_draft()
            }
            (Stage::Editing, Action::SubmitForm) => self.submit_intake(),
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// Keys the keymap leaves to the form: text, Enter, the arrows.
    pub(super) fn on_intake_key(&mut self, key: crossterm::event::KeyEvent) -> Vec<Command> {
        let today = self.today;
        let Some(intake) = self.roi.intake.as_mut() else { return Vec::new() };
        if let Stage::Choosing(check) = &mut intake.stage {
            return match key.code {
                KeyCode::Down => {
                    check.selected = (check.selected + 1).min(check.open_same.len().saturating_sub(1));
                    Vec::new()
                }
                KeyCode::Up => {
                    check.selected = check.selected.saturating_sub(1);
                    Vec::new()
                }
                KeyCode::Char('f') | KeyCode::Char('F') if !check.open_same.is_empty() => {
                    let original = check.open_same.get(check.selected).map(|r| (r.number.to_string(), r.version));
                    self.log_intake(original)
                }
                KeyCode::Char('n') | KeyCode::Char('N') => self.log_intake(None),
                KeyCode::Enter if check.open_same.is_empty() => self.log_intake(None),
                KeyCode::Enter => {
                    self.toast =
                        Some("f logs it as a follow-up on the highlighted request; n logs a new request.".into());
                    Vec::new()
                }
                _ => {
                    self.dirty = false;
                    Vec::new()
                }
            };
        }
        if intake.stage != Stage::Editing {
            self.dirty = false;
            return Vec::new();
        }
        if key.code == KeyCode::Enter && intake.focus == Field::Authorization {
            return self.open_intake_authorization();
        }
        if key.code == KeyCode::Enter && intake.focus != Field::Purpose {
            if intake.focus == Field::Requester && !intake.pick_requester() {
                self.toast = Some("Type the requester's name first: the address book is searched as you type.".into());
                return Vec::new();
            }
            intake.next_field(1);
            return self.keep_draft();
        }
        let Some(search) = intake.edit(key, today) else {
            self.dirty = false;
            return Vec::new();
        };
        intake.edits += 1;
        let mut commands = Vec::new();
        if search {
            let prefix = intake.requester_query().trim().to_string();
            if prefix.is_empty() {
                intake.matches.clear();
                intake.searching = None;
            } else {
                let id = self.next_request();
                if let Some(intake) = self.roi.intake.as_mut() {
                    intake.searching = Some(id);
                }
                commands.push(Command::Roi(RoiCommand::SearchRequesters { id, prefix }));
            }
        }
        if self.roi.intake.as_ref().is_some_and(|i| i.edits >= SAVE_EVERY) {
            commands.extend(self.keep_draft());
        }
        commands
    }

    pub(super) fn on_requesters_found(
        &mut self,
        id: RequestId,
        result: Result<Vec<crate::domain::roi::Requester>, String>,
    ) -> Vec<Command> {
        let Some(intake) = self.roi.intake.as_mut().filter(|i| i.searching == Some(id)) else {
            self.dirty = false;
            return Vec::new();
        };
        intake.searching = None;
        match result {
            Ok(found) => {
                intake.matches = found;
                intake.highlighted = 0;
            }
            Err(e) => self.toast = Some(e),
        }
        Vec::new()
    }

    /// Ctrl-S: the form checked field by field (the clerk is taken to the first problem), then the
    /// patient's requests read before a number is issued.
    fn submit_intake(&mut self) -> Vec<Command> {
        let today = self.today;
        let Some(intake) = self.roi.intake.as_mut() else { return Vec::new() };
        if intake.focus == Field::Requester && !intake.requester_chosen() && !intake.requester_query().trim().is_empty()
        {
            intake.pick_requester();
        }
        match intake.checked(today) {
            Err((field, problem)) => {
                intake.focus_on(field);
                self.toast = Some(problem);
                Vec::new()
            }
            Ok(form) => {
                intake.stage = Stage::Checking;
                let patient_id = intake.patient.patient_id;
                let requester_id = intake.requester_id();
                intake.checked_form = Some(form);
                let mut commands = self.keep_draft();
                commands.push(Command::Roi(RoiCommand::CheckIntake { patient_id, requester_id }));
                commands
            }
        }
    }

    pub(super) fn on_intake_checked(&mut self, result: Result<IntakeCheck, String>) -> Vec<Command> {
        let Some(intake) = self.roi.intake.as_mut().filter(|i| i.stage == Stage::Checking) else {
            self.dirty = false;
            return Vec::new();
        };
        match result {
            Ok(check) => intake.stage = Stage::Choosing(check),
            Err(e) => {
                intake.stage = Stage::Editing;
                self.toast = Some(e);
            }
        }
        Vec::new()
    }

    /// Logs the checked form: a new request, or a follow-up on `original` (its number and the
    /// version the clerk saw).
    fn log_intake(&mut self, original: Option<(String, i64)>) -> Vec<Command> {
        let Some(intake) = self.roi.intake.as_mut() else { return Vec::new() };
        let Some(form) = intake.checked_form.clone() else {
            intake.stage = Stage::Editing;
            return Vec::new();
        };
        intake.stage = Stage::Logging;
        vec![Command::Roi(RoiCommand::Log { form: Box::new(form), follow_up_on: original })]
    }

    pub(super) fn on_logged(
        &mut self,
        follow_up: bool,
        result: Result<Box<RoiRequest>, String>,
        also: Option<String>,
    ) -> Vec<Command> {
        let Some(intake) = self.roi.intake.as_mut() else {
            self.dirty = false;
            return Vec::new();
        };
        match result {
            Ok(request) => {
                let due = match request.due.due_on {
                    Some(on) => format!(
                        "due {} ({})",
                        crate::domain::dates::us_date(on),
                        crate::domain::text::clean(&request.due.due_rule)
                    ),
                    None => format!("no due date yet: {}", crate::domain::text::clean(&request.due.due_rule)),
                };
                self.toast = Some(
                    if follow_up {
                        format!(
                            "Logged as a follow-up on {} (received {}); its clock was not started again: {due}.",
                            request.number,
                            crate::domain::dates::us_date(request.received_on)
                        )
                    } else {
                        format!("Logged {}: {due}.", request.number)
                    } + &also.map(|also| format!(" {also}")).unwrap_or_default(),
                );
                self.roi.intake = None;
                self.roi.request_return = self.roi.intake_return;
                self.roi.request = Some(self.request_state(*request));
                self.screen = Screen::Request;
                self.offer_steps();
                let mut commands = vec![Command::Roi(RoiCommand::DiscardDraft)];
                if self.roi.queue.loaded {
                    commands.extend(self.follow_roi_queue());
                }
                if let Some(chart) = self.chart.as_ref() {
                    let patient_id = chart.chart.patient.patient_id;
                    commands.push(Command::Roi(RoiCommand::LoadPatientRequests { patient_id }));
                }
                commands
            }
            Err(e) => {
                intake.stage = Stage::Editing;
                // The desk names the field in the request file's words (`requester.name: …`).
                if let Some(field) = crate::tui::screens::roi_intake::field_named(&e) {
                    intake.focus_on(field);
                }
                self.toast = Some(format!("Not logged: {e}"));
                Vec::new()
            }
        }
    }

    /// `:roi new MRN`: the chart by MRN, then the form for its patient.
    pub(super) fn intake_by_mrn(&mut self, mrn: String) -> Vec<Command> {
        if let Err(problem) = self.may_roi(Permission::LogRequests, "log release requests") {
            self.toast = Some(problem);
            return Vec::new();
        }
        let id = self.next_request();
        self.pending_chart = Some(id);
        self.roi.intake_after_chart = Some(id);
        let mut commands = self.flush_search_audit();
        commands.push(Command::OpenChartByMrn { id, mrn });
        commands
    }
}
