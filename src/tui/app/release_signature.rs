//! The signature that a release carries (issue 12): after the clerk's yes to the packet's
//! question, her signature code, typed unseen, before the desk records the disclosure. Three wrong
//! codes lock the session as they do at a restricted chart's warning.

use super::guard::{Code, CodeRefusal, LockState};
use super::roi::{RequestChange, RoiCommand};
use super::*;
use crate::desk::privacy::LockReason;
use crate::desk::roi::packet::ReleasePick;
use crossterm::event::KeyCode;

/// The longest code kept while typing: past it, keys are ignored.
const CODE_MAX: usize = 40;

/// A release agreed to and waiting for its signature code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseSignature {
    pub number: String,
    pub version: i64,
    /// What the toast says once it is done.
    pub done: String,
    pub on: chrono::NaiveDate,
    pub pick: ReleasePick,
    pub code: String,
    /// The code is with the desk.
    pub waiting: bool,
    pub message: Option<String>,
}

impl App {
    /// The yes to a question: a release goes on to its signature; anything else runs.
    pub(super) fn confirmed(&mut self, command: Command) -> Vec<Command> {
        match command {
            Command::Roi(RoiCommand::Change {
                number,
                version,
                done,
                change: RequestChange::Release { on, pick, .. },
            }) => {
                self.overlay = Some(Overlay::ReleaseSignature(Box::new(ReleaseSignature {
                    number,
                    version,
                    done,
                    on,
                    pick,
                    code: String::new(),
                    waiting: false,
                    message: None,
                })));
                Vec::new()
            }
            command => {
                if matches!(command, Command::Roi(RoiCommand::Change { .. })) {
                    // A second key on the request waits for this change's answer.
                    self.roi.changing = true;
                }
                vec![command]
            }
        }
    }

    pub(super) fn on_release_signature_key(&mut self, mut form: Box<ReleaseSignature>, key: KeyEvent) -> Vec<Command> {
        if self.keymap.action(Context::Global, &key) == Some(Action::Quit) {
            return self.quit();
        }
        if form.waiting {
            self.overlay = Some(Overlay::ReleaseSignature(form));
            self.dirty = false;
            return Vec::new();
        }
        match key.code {
            KeyCode::Esc => {
                self.toast = Some(format!("{} was not released.", form.number));
                return Vec::new();
            }
            KeyCode::Backspace => {
                form.code.pop();
            }
            KeyCode::Enter if form.code.is_empty() => form.message = Some("Type your signature code.".into()),
            KeyCode::Enter => {
                form.waiting = true;
                form.message = None;
                self.roi.changing = true;
                let command = Command::Roi(RoiCommand::Change {
                    number: form.number.clone(),
                    version: form.version,
                    done: form.done.clone(),
                    change: RequestChange::Release {
                        on: form.on,
                        pick: form.pick.clone(),
                        code: Code(std::mem::take(&mut form.code)),
                    },
                });
                self.overlay = Some(Overlay::ReleaseSignature(form));
                return vec![command];
            }
            KeyCode::Char('u') if key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL) => form.code.clear(),
            KeyCode::Char(c) if !c.is_control() && form.code.chars().count() < CODE_MAX => form.code.push(c),
            _ => {}
        }
        self.overlay = Some(Overlay::ReleaseSignature(form));
        Vec::new()
    }

    /// The desk did not take the code: nothing was released.
    pub(super) fn on_release_signature_refused(&mut self, refusal: CodeRefusal) -> Vec<Command> {
        self.roi.changing = false;
        let Some(Overlay::ReleaseSignature(mut form)) = self.overlay.take() else {
            if let CodeRefusal::Other(message) = refusal {
                self.toast = Some(message);
            }
            return Vec::new();
        };
        form.waiting = false;
        match refusal {
            CodeRefusal::Wrong { left } => {
                if left == 0 {
                    self.lock = Some(LockState {
                        message: Some("Three wrong signature codes: the session locked. Nothing was released.".into()),
                        ..LockState::default()
                    });
                    return vec![Command::RecordLock(LockReason::WrongCodes)];
                }
                form.message = Some(format!(
                    "That is not your signature code; nothing was released. {} left before the session locks.",
                    plural(usize::from(left), "try", "tries")
                ));
            }
            CodeRefusal::Other(message) => form.message = Some(message),
        }
        self.overlay = Some(Overlay::ReleaseSignature(form));
        Vec::new()
    }
}
