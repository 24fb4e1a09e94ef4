//! The file room's desk calls, each on a worker thread, each answer a [`FileRoomMsg`]. Reads are
//! retried when the store could not be reached; moves never are (a scan is answered either way,
//! so the scans waiting behind it go on).

use super::{Effects, Kind, Watch};
use crate::desk::{Desk, DeskError};
use crate::tui::app::{Command, FileRoomCommand, FileRoomMsg, Msg};

impl Effects {
    pub(super) fn run_file_room(&self, command: FileRoomCommand) {
        let kind = match &command {
            FileRoomCommand::LoadOverdue { .. }
            | FileRoomCommand::LoadMissing { .. }
            | FileRoomCommand::LoadPullList { .. } => Kind::Read(Command::FileRoom(command.clone())),
            _ => Kind::Edit,
        };
        let letters = self.letters_dir.clone();
        self.background(kind, move |desk, watch: &Watch| {
            answer_file_room(desk, command, letters.as_deref(), &|e| watch.fail(e))
        });
    }
}

/// The desk's answer to one file-room command, as the message the screen takes; `fail` says a
/// refusal in the clerk's words. Run on a worker thread by the effects runner; the snapshot and
/// update tests run it in line.
pub fn answer_file_room(
    desk: &Desk,
    command: FileRoomCommand,
    letters: Option<&std::path::Path>,
    fail: &dyn Fn(DeskError) -> String,
) -> Msg {
    let msg = match command {
        FileRoomCommand::Scan { at, text } => {
            let result = desk.scan(at.as_ref(), &text).map_err(fail);
            FileRoomMsg::Scanned { text, result }
        }
        FileRoomCommand::LoadOverdue { id } => {
            FileRoomMsg::OverdueLoaded { id, result: desk.overdue_volumes().map_err(fail) }
        }
        FileRoomCommand::LoadMissing { id } => {
            FileRoomMsg::MissingLoaded { id, result: desk.missing_volumes().map_err(fail) }
        }
        FileRoomCommand::LoadPullList { id, on } => {
            FileRoomMsg::PullListLoaded { id, result: desk.pull_list(on).map_err(fail) }
        }
        FileRoomCommand::Fill { request_id } => FileRoomMsg::Resolved(
            desk.fill_request(request_id)
                .map(|filled| {
                    format!(
                        "MRN {}'s request filled: {} charged out to {}.",
                        filled.request.mrn,
                        filled.charged.join(", "),
                        filled.request.for_location.code
                    )
                })
                .map_err(fail),
        ),
        FileRoomCommand::NotFillable { request_id, reason } => FileRoomMsg::Resolved(
            desk.request_not_fillable(request_id, &reason)
                .map(|r| format!("MRN {}'s request is marked not fillable.", r.mrn))
                .map_err(fail),
        ),
        FileRoomCommand::WriteNotices => FileRoomMsg::NoticesWritten(match letters {
            Some(dir) => desk.file_overdue_notices(dir).map_err(fail),
            None => Err("no letters directory is set, so no notice can be written".into()),
        }),
        FileRoomCommand::RequestChart { patient_id, kind, reason } => {
            FileRoomMsg::ChartRequested(desk.request_chart_to(patient_id, kind, &reason).map_err(fail))
        }
    };
    Msg::FileRoom(msg)
}
