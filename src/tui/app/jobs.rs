//! The long jobs a director starts from the palette (the nightly run, an import): their progress
//! in the status line and their outcome.

use super::*;

impl App {
    /// A line of progress from a long job, in the status line.
    pub(super) fn on_progress(&mut self, line: String) -> Vec<Command> {
        self.toast = Some(line);
        Vec::new()
    }

    pub(super) fn on_nightly_done(
        &mut self,
        result: Result<crate::desk::deficiencies::NightlySummary, String>,
    ) -> Vec<Command> {
        self.toast = Some(match result {
            Ok(s) if s.already_ran => {
                format!("The nightly run for {} had already finished; nothing changed.", s.run_on)
            }
            Ok(s) => format!(
                "Nightly {}: {} charts analysed, {} deficiencies, {} notices; {} delinquent; {} suspension eligible",
                s.run_on,
                s.encounters_analysed,
                s.deficiencies_created,
                s.notices_created,
                s.delinquent,
                s.suspension_eligible.len()
            ),
            Err(e) => e,
        });
        if self.queue.loaded { self.reload_queue() } else { Vec::new() }
    }

    pub(super) fn on_import_done(
        &mut self,
        result: Result<Box<crate::desk::import::ImportReport>, String>,
    ) -> Vec<Command> {
        // The patients just imported join the list on screen at once.
        let refresh = if result.is_ok() { self.search_again() } else { Vec::new() };
        self.toast = Some(match result {
            Ok(report) => {
                let c = &report.counts;
                let mut line = format!(
                    "Imported: {} patients new, {} unchanged; {} encounters new; {} procedures new; {} documents new",
                    c.patients.created,
                    c.patients.unchanged,
                    c.encounters.created,
                    c.procedures.created,
                    c.documents.created
                );
                if let Some(first) = report.rejections.first() {
                    line.push_str(&format!("; {} rejected, first: {first}", report.rejections.len()));
                }
                line
            }
            Err(e) => format!("Import stopped: {e}"),
        });
        refresh
    }
}
