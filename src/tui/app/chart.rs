//! The chart's side of the model: its deficiencies worked where they are shown, through the same
//! bulk actions, desk calls and confirmation as the queue.

use super::*;
use crate::tui::screens::chart::Section;

impl App {
    /// Space, `c`, `m`, `r`, `p` on a chart: select, complete, comment, reassign, pause.
    pub(super) fn on_chart_work(&mut self, action: Action) -> Vec<Command> {
        let Some(chart) = self.chart.as_mut() else { return Vec::new() };
        if chart.section != Section::Deficiencies || chart.document.is_some() {
            // The clerk means this chart's deficiencies: show them rather than act on a hidden row.
            chart.document = None;
            chart.section = Section::Deficiencies;
            self.toast = Some(if chart.chart.deficiencies.iter().any(|d| d.status.is_open()) {
                format!(
                    "This chart's deficiencies: highlight one (or select with Space), then {}.",
                    self.keymap.key_for(Context::Chart, action).map(|k| k.to_string()).unwrap_or_default()
                )
            } else {
                "No open deficiency on this chart.".into()
            });
            return Vec::new();
        }
        match action {
            Action::ToggleSelect => {
                if let Err(problem) = chart.toggle_pick() {
                    self.toast = Some(problem);
                }
                chart.move_selection(1);
                Vec::new()
            }
            Action::CompleteItems => {
                self.chart_bulk(BulkAction::Complete, None, Vec::new());
                Vec::new()
            }
            Action::CommentItems | Action::ReassignItems | Action::PauseItems => {
                // The arguments are typed in the palette, which shows what the action needs.
                if let Err(problem) = chart.work_items() {
                    self.toast = Some(problem);
                    return Vec::new();
                }
                let input = match action {
                    Action::CommentItems => "CM ",
                    Action::ReassignItems => "AS ",
                    _ => "PA ",
                };
                self.open_palette(input)
            }
            _ => Vec::new(),
        }
    }

    /// A bulk action typed on a chart: the items are the selected ones or the highlighted one.
    pub(super) fn chart_bulk(
        &mut self,
        action: BulkAction,
        rows: Option<Vec<usize>>,
        args: Vec<String>,
    ) -> Vec<Command> {
        let Some(chart) = self.chart.as_ref() else {
            self.toast = Some("No chart is open yet: find a patient and press Enter.".into());
            return Vec::new();
        };
        let prepared = if rows.is_some() {
            Err("On a chart, work the highlighted deficiency or those selected with Space; row numbers are the \
                 queue's (3)."
                .to_string())
        } else if chart.section != Section::Deficiencies {
            Err("Open the chart's Deficiencies (Tab) to work them here.".to_string())
        } else {
            chart.work_items().and_then(|items| {
                // The question names the items as the chart lists them, when they are few.
                let chosen: Vec<&crate::domain::chart::DeficiencyView> =
                    chart.chart.deficiencies.iter().filter(|d| items.iter().any(|(id, _)| *id == d.id)).collect();
                let names: Vec<String> = chosen.iter().map(|d| crate::tui::screens::chart::item_name(d)).collect();
                let checked: Vec<queue::Checked> = chosen.iter().map(|d| queue::Checked::deficiency(d)).collect();
                self.bulk_command(action, items, &checked, &args).map(|(prompt, command)| match names.len() {
                    1..=2 => (format!("{}: {prompt}", names.join(", ")), command),
                    _ => (prompt, command),
                })
            })
        };
        match prepared {
            Ok((prompt, command)) => self.overlay = Some(Overlay::Confirm { prompt, command }),
            Err(problem) => self.toast = Some(problem),
        }
        Vec::new()
    }

    /// The open chart read again after another clerk's work, keeping its section and highlight;
    /// no view is recorded for it (the clerk's own look was, when she opened it).
    pub(super) fn reread_chart(&mut self) -> Vec<Command> {
        let Some(patient_id) = self.chart.as_ref().map(|c| c.chart.patient.patient_id) else {
            return Vec::new();
        };
        let id = self.next_request();
        self.pending_chart = Some(id);
        self.refreshing_chart = Some(id);
        vec![Command::RefreshChart { id, patient_id }]
    }

    /// The chart last opened, brought up to date after work done here, keeping its section and
    /// highlight: read now when it is in view, else when the clerk comes back to it. It is the
    /// same look, so no view is recorded (work on another patient's items from the queue must not
    /// write a view of the chart left open behind it).
    pub(super) fn refresh_chart(&mut self) -> Vec<Command> {
        if self.chart.is_none() {
            return Vec::new();
        }
        if self.screen != Screen::Chart || self.pending_chart.is_some() {
            // Read when next in view; or another chart is on its way, and it will be current.
            self.chart_stale = true;
            return Vec::new();
        }
        self.reread_chart()
    }

    pub(super) fn on_chart_loaded(
        &mut self,
        id: RequestId,
        encounter_id: Option<i64>,
        result: Result<Box<Chart>, String>,
    ) -> Vec<Command> {
        if self.pending_chart != Some(id) {
            self.dirty = false;
            return Vec::new();
        }
        self.pending_chart = None;
        if matches!(self.overlay, Some(Overlay::BreakGlass(_))) {
            // The glass broken (or the chart refused after all): the warning has done its work.
            self.overlay = None;
        }
        let refresh = self.refreshing_chart.take() == Some(id);
        let intake = self.roi.intake_after_chart.take() == Some(id);
        let mut commands = Vec::new();
        match result {
            Ok(chart) => match self.chart.as_mut() {
                Some(open) if refresh && open.chart.patient.patient_id == chart.patient.patient_id => {
                    self.dirty = open.refresh(*chart);
                }
                _ => {
                    let patient_id = chart.patient.patient_id;
                    self.chart = Some(ChartState::new(*chart, encounter_id));
                    self.screen = Screen::Chart;
                    // The Releases tab lists the patient's requests: read beside the chart.
                    commands.push(Command::Roi(super::roi::RoiCommand::LoadPatientRequests { patient_id }));
                    if intake {
                        // `:roi new MRN`: the form for the patient just found.
                        commands.extend(self.start_intake_for_chart());
                    }
                }
            },
            Err(e) => self.toast = Some(e),
        }
        commands
    }

    pub(super) fn on_chart_action(&mut self, action: Action) -> Vec<Command> {
        let Some(chart) = self.chart.as_mut() else {
            self.screen = Screen::Lookup;
            return Vec::new();
        };
        match action {
            Action::Back => {
                if !chart.close_document() {
                    self.screen = self.chart_return;
                }
            }
            Action::NextSection => chart.next_section(1),
            Action::PrevSection => chart.next_section(-1),
            Action::NextRow => chart.move_selection(1),
            Action::PrevRow => chart.move_selection(-1),
            Action::NextPage => chart.move_selection(10),
            Action::PrevPage => chart.move_selection(-10),
            Action::FirstRow => chart.move_selection(isize::MIN / 2),
            Action::LastRow => chart.move_selection(isize::MAX / 2),
            Action::OpenSelected if chart.section == Section::Releases && chart.document.is_none() => {
                match chart.selected_request() {
                    Some(id) => return self.open_request(super::roi::RequestRef::Row(id), Screen::Chart),
                    None => self.dirty = false,
                }
            }
            Action::OpenSelected => chart.open_selected(),
            Action::NewRequest => return self.start_intake_for_chart(),
            Action::ToggleSelect
            | Action::CompleteItems
            | Action::CommentItems
            | Action::ReassignItems
            | Action::PauseItems => return self.on_chart_work(action),
            _ => self.dirty = false,
        }
        Vec::new()
    }
}
