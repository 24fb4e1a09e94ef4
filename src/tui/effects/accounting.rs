//! The accounting of disclosures screen's desk calls: each answer a [`RoiMsg`], run on a worker
//! thread by [`super::answer_roi`] (and in line by the snapshot tests).

use crate::desk::{Desk, DeskError};
use crate::domain::roi::accounting::disclosure_label;
use crate::tui::app::{Msg, RoiCommand, RoiMsg};
use std::path::Path;

pub(super) fn answer_accounting(
    desk: &Desk,
    command: RoiCommand,
    letters: Option<&Path>,
    fail: &dyn Fn(DeskError) -> String,
) -> Msg {
    match command {
        RoiCommand::LoadAccounting { id, mrn, on, follow } => {
            let read = if follow { desk.reread_accounting(&mrn, on) } else { desk.accounting(&mrn, on, None) };
            Msg::Roi(RoiMsg::AccountingLoaded { id, result: read.map(Box::new).map_err(fail) })
        }
        RoiCommand::VoidDisclosure { label, reason, .. } => {
            let done = desk.void_disclosure(&label, &reason).map(|d| {
                format!(
                    "{} is voided: it is out of the accounting, and kept with its audit trail.",
                    disclosure_label(d.disclosure.id)
                )
            });
            Msg::Roi(RoiMsg::DisclosureVoided(done.map_err(fail)))
        }
        RoiCommand::PrintAccounting { mrn, on } => {
            let printed = match letters {
                Some(dir) => desk.accounting(&mrn, on, None).and_then(|report| desk.file_accounting(&report, dir)),
                None => Err(DeskError::Invalid("no letters directory is set, so nothing can be printed".into())),
            };
            Msg::Roi(RoiMsg::AccountingPrinted(printed.map_err(fail)))
        }
        RoiCommand::DeliverAccounting { mrn, on, proceed } => {
            let delivered = match letters {
                Some(dir) => {
                    let delivery = crate::desk::roi::accounting::Delivery { proceed, cost_based_cents: None };
                    desk.deliver_accounting(&mrn, on, delivery, dir)
                        .map(|(report, files)| delivered_words(&report, &files))
                }
                None => Err(DeskError::Invalid("no letters directory is set, so nothing can be delivered".into())),
            };
            Msg::Roi(RoiMsg::AccountingDelivered(delivered.map_err(fail)))
        }
        // Only the accounting's commands come here (`answer_roi` sends them); any other is
        // answered as a write with nothing to say.
        _ => Msg::BackgroundFailed(String::new()),
    }
}

/// What the clerk is told of a delivery: to whom, what it cost, where its copies are.
fn delivered_words(report: &crate::report::accounting::AccountingReport, files: &[std::path::PathBuf]) -> String {
    use crate::domain::roi::accounting::AccountingFee;
    let fee = match report.accounting.fee {
        AccountingFee::Free => "free, the first in 12 months".to_string(),
        AccountingFee::Quote { cents, .. } => {
            format!("fee {}", cents.map_or_else(|| "not set".into(), crate::domain::roi::fees::dollars))
        }
    };
    format!(
        "Delivered MRN {}'s accounting ({}; {fee}); recorded: {}",
        report.patient.mrn,
        crate::domain::text::plural(report.accounting.entries.len(), "entry", "entries"),
        files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
    )
}
