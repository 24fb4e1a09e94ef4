//! The Director's ROI figures' side of the model (`:roi-stats`, `S` on the ROI queue): the period
//! chosen by key or typed, each read off the render path, and only for those the desk would answer.

use super::*;
use crate::desk::roi::stats::RoiStatsReport;
use crate::domain::dates::{parse_date, us_date};
use crate::domain::roi::stats::{Period, PeriodPreset};
use crate::domain::role::{Permission, allows};
use crate::tui::screens::roi_stats::RoiStatsState;
use chrono::Duration;

impl App {
    /// Opens the figures: of the period typed (`roi-stats FROM TO`), else of the one shown last,
    /// else of the last 13 weeks.
    pub(super) fn open_roi_stats(&mut self, typed: Option<(String, String)>) -> Vec<Command> {
        // The desk refuses the others; saying so here spares a read and an empty screen.
        if !(allows(&self.header.roles, Permission::ViewReports)
            && allows(&self.header.roles, Permission::ReleaseRecords))
        {
            self.toast = Some("The ROI figures are a supervisor's and the Director of HIM's.".into());
            return Vec::new();
        }
        let period = match typed {
            Some((from, to)) => match self.typed_period(&from, &to) {
                Ok(period) => Some(period),
                Err(problem) => {
                    self.toast = Some(problem);
                    return Vec::new();
                }
            },
            None => None,
        };
        let state = self.roi.stats.get_or_insert_with(|| RoiStatsState::new(PeriodPreset::Quarter, self.today));
        if let Some(period) = period {
            state.period = period;
            state.preset = None;
        }
        if self.screen != Screen::RoiStats {
            self.roi.stats_return = self.screen;
        }
        self.screen = Screen::RoiStats;
        self.load_roi_stats()
    }

    /// The days typed, read against today: a period that has begun, ending after it starts.
    fn typed_period(&self, from: &str, to: &str) -> Result<Period, String> {
        let read = |typed: &str| {
            parse_date(typed, self.today).map_err(|p| format!("{}: {p}", crate::domain::text::clean(typed)))
        };
        let period = Period::new(read(from)?, read(to)?).map_err(|e| e.to_string())?;
        if period.from > self.today {
            return Err(format!(
                "The period starts {}, after today: there is nothing to count yet.",
                us_date(period.from)
            ));
        }
        Ok(period)
    }

    fn load_roi_stats(&mut self) -> Vec<Command> {
        let id = self.next_request();
        let Some(state) = self.roi.stats.as_mut() else { return Vec::new() };
        state.loading = true;
        self.roi.pending_stats = Some(id);
        vec![Command::Roi(RoiCommand::LoadStats { id, from: state.period.from, to: state.period.to })]
    }

    pub(super) fn on_roi_stats_loaded(
        &mut self,
        id: RequestId,
        result: Result<Box<RoiStatsReport>, String>,
    ) -> Vec<Command> {
        if self.roi.pending_stats != Some(id) {
            // An answer about a period the Director has since left.
            self.dirty = false;
            return Vec::new();
        }
        self.roi.pending_stats = None;
        let Some(state) = self.roi.stats.as_mut() else { return Vec::new() };
        state.loading = false;
        match result {
            Ok(report) => state.report = Some(*report),
            Err(e) => {
                self.toast = Some(e);
                if state.report.is_none() {
                    self.roi.stats = None;
                    if self.screen == Screen::RoiStats {
                        self.screen = self.roi.stats_return;
                    }
                }
            }
        }
        Vec::new()
    }

    pub(super) fn on_roi_stats_action(&mut self, action: Action) -> Vec<Command> {
        let today = self.today;
        let Some(state) = self.roi.stats.as_mut() else {
            self.screen = self.roi.stats_return;
            return Vec::new();
        };
        let preset = |state: &mut RoiStatsState, preset: PeriodPreset| {
            state.period = preset.period(today);
            state.preset = Some(preset);
        };
        match action {
            Action::StatsFourWeeks => preset(state, PeriodPreset::FourWeeks),
            Action::StatsQuarter => preset(state, PeriodPreset::Quarter),
            Action::StatsYear => preset(state, PeriodPreset::Year),
            Action::StatsEarlier => {
                let length = Duration::days(state.period.days());
                state.period = Period { from: state.period.from - length, to: state.period.from - Duration::days(1) };
                state.preset = None;
            }
            Action::StatsLater => {
                if state.period.to >= today {
                    self.toast = Some(format!("The period already reaches today ({}).", us_date(today)));
                    return Vec::new();
                }
                let length = Duration::days(state.period.days());
                let from = state.period.to + Duration::days(1);
                state.period = Period { from, to: (state.period.to + length).min(today) };
                state.preset = None;
            }
            Action::StatsPeriod => return self.open_palette("roi-stats "),
            Action::Reload => {}
            Action::Back => {
                self.screen = self.roi.stats_return;
                return vec![Command::LoadInfo];
            }
            _ => {
                self.dirty = false;
                return Vec::new();
            }
        }
        self.load_roi_stats()
    }
}
