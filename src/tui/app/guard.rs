//! Who is at the keyboard, on screen: the lock (idle, or three wrong signature codes), the
//! screen of a disabled account, a restricted chart's warning (break the glass), and the privacy
//! office's list of those breaks.

use super::*;
use crate::desk::privacy::LockReason;
use crossterm::event::{KeyCode, KeyModifiers};

/// The longest code or reason kept while typing: past it, keys are ignored.
const CODE_MAX: usize = 40;

/// A signature code on its way to the desk. Its Debug never shows it, so that no log or panic
/// message can hold it.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(pub String);

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Code(..)")
    }
}

/// Why the desk did not take a signature code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Not the user's code. `left`: wrong codes the desk still takes, counted over every session
    /// and command of the user (asking again does not reset it); none left locks the session (or,
    /// on the lock screen, ends it).
    Wrong { left: u8 },
    /// Anything else (no code set, a reason refused, the store away), in the clerk's words.
    Other(String),
}

/// The lock screen's state. What was on screen before stays in the model untouched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockState {
    /// The wall clock's `HH:MM` when it locked.
    pub since: String,
    pub code: String,
    /// A code is with the desk.
    pub waiting: bool,
    pub message: Option<String>,
}

/// Which field of the warning has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlassField {
    Reason,
    Code,
}

/// A restricted chart's warning: the name the clerk saw in the results, and what she types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassForm {
    pub patient_id: i64,
    pub encounter_id: Option<i64>,
    pub name: String,
    pub reason: String,
    pub code: String,
    pub focus: GlassField,
    pub waiting: bool,
    pub message: Option<String>,
}

/// One break of the glass as the privacy screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlassRow {
    /// On the department's wall clock.
    pub at: chrono::NaiveDateTime,
    pub username: String,
    pub mrn: String,
    pub source: String,
    /// The reason typed, and the sensitivity in parentheses.
    pub detail: String,
}

impl App {
    pub fn locked(&self) -> bool {
        self.lock.is_some()
    }

    /// Keys while the screen is locked or the account disabled: nothing behind reaches them.
    pub(super) fn on_guarded_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let quit = key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('q' | 'c'));
        if self.disabled.is_some() {
            if quit || matches!(key.code, KeyCode::Enter | KeyCode::Esc | KeyCode::Char('q')) {
                return self.quit();
            }
            self.dirty = false;
            return Vec::new();
        }
        if quit {
            return self.quit();
        }
        let Some(lock) = self.lock.as_mut() else { return Vec::new() };
        if lock.waiting {
            self.dirty = false;
            return Vec::new();
        }
        match key.code {
            KeyCode::Enter if !lock.code.is_empty() => {
                lock.waiting = true;
                lock.message = None;
                vec![Command::Unlock { code: Code(std::mem::take(&mut lock.code)) }]
            }
            KeyCode::Backspace => {
                lock.code.pop();
                Vec::new()
            }
            KeyCode::Esc => {
                lock.code.clear();
                Vec::new()
            }
            // Ctrl-U clears the field, as it does in Find and the palette (not a "u" typed).
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                lock.code.clear();
                Vec::new()
            }
            KeyCode::Char(c) if !c.is_control() && lock.code.chars().count() < CODE_MAX => {
                lock.code.push(c);
                Vec::new()
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// No key for the idle time: the lock screen, over whatever was open (kept as it was).
    pub(super) fn on_idle(&mut self, at: chrono::NaiveDateTime) -> Vec<Command> {
        if self.lock.is_some() || self.disabled.is_some() || self.quitting {
            self.dirty = false;
            return Vec::new();
        }
        self.lock = Some(LockState { since: at.format("%H:%M").to_string(), ..LockState::default() });
        vec![Command::RecordLock(LockReason::Idle)]
    }

    pub(super) fn on_unlocked(&mut self, result: Result<(), CodeRefusal>) -> Vec<Command> {
        let Some(lock) = self.lock.as_mut() else { return Vec::new() };
        lock.waiting = false;
        match result {
            Ok(()) => {
                self.lock = None;
                Vec::new()
            }
            Err(CodeRefusal::Wrong { left }) => {
                if left == 0 {
                    // Whoever is at the keyboard is not the clerk: the session ends, its form kept.
                    let mut commands = vec![Command::RecordLock(LockReason::WrongCodes)];
                    commands.extend(self.quit());
                    return commands;
                }
                lock.message = Some(format!(
                    "That is not your signature code. {} more wrong and the session ends.",
                    plural(usize::from(left), "try", "tries")
                ));
                Vec::new()
            }
            Err(CodeRefusal::Other(message)) => {
                lock.message = Some(capitalized(&message));
                Vec::new()
            }
        }
    }

    pub(super) fn on_disabled(&mut self, message: String) -> Vec<Command> {
        self.disabled = Some(message);
        self.lock = None;
        self.overlay = None;
        Vec::new()
    }

    // ---- break the glass ----------------------------------------------------------------------

    pub(super) fn on_sensitive_chart(
        &mut self,
        id: RequestId,
        patient_id: i64,
        encounter_id: Option<i64>,
        name: String,
    ) -> Vec<Command> {
        if self.pending_chart != Some(id) {
            self.dirty = false;
            return Vec::new();
        }
        self.pending_chart = None;
        self.overlay = Some(Overlay::BreakGlass(Box::new(BreakGlassForm {
            patient_id,
            encounter_id,
            name,
            reason: String::new(),
            code: String::new(),
            focus: GlassField::Reason,
            waiting: false,
            message: None,
        })));
        Vec::new()
    }

    pub(super) fn on_break_glass_key(&mut self, mut form: Box<BreakGlassForm>, key: KeyEvent) -> Vec<Command> {
        if self.keymap.action(Context::Global, &key) == Some(Action::Quit) {
            return self.quit();
        }
        if form.waiting {
            self.overlay = Some(Overlay::BreakGlass(form));
            self.dirty = false;
            return Vec::new();
        }
        let field = match form.focus {
            GlassField::Reason => &mut form.reason,
            GlassField::Code => &mut form.code,
        };
        match key.code {
            KeyCode::Esc => {
                self.toast = Some(format!("{}'s chart was not opened.", form.name));
                return Vec::new();
            }
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Down | KeyCode::Up => {
                form.focus = if form.focus == GlassField::Reason { GlassField::Code } else { GlassField::Reason };
            }
            KeyCode::Backspace => {
                field.pop();
            }
            KeyCode::Enter => return self.submit_break_glass(form),
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => field.clear(),
            KeyCode::Char(c) if !c.is_control() && field.chars().count() < limit(form.focus) => field.push(c),
            _ => {}
        }
        self.overlay = Some(Overlay::BreakGlass(form));
        Vec::new()
    }

    /// Checks what can be checked here (the reason's words, a code typed), then asks the desk.
    fn submit_break_glass(&mut self, mut form: Box<BreakGlassForm>) -> Vec<Command> {
        if let Some(problem) = crate::domain::privacy::reason_problem(&form.reason) {
            form.message = Some(capitalized(&problem));
            form.focus = GlassField::Reason;
        } else if form.code.is_empty() {
            form.message = Some("Type your signature code.".into());
            form.focus = GlassField::Code;
        } else {
            let id = self.next_request();
            self.pending_chart = Some(id);
            form.waiting = true;
            form.message = None;
            let command = Command::BreakGlass {
                id,
                patient_id: form.patient_id,
                encounter_id: form.encounter_id,
                reason: form.reason.trim().to_string(),
                code: Code(std::mem::take(&mut form.code)),
            };
            self.overlay = Some(Overlay::BreakGlass(form));
            let mut commands = self.flush_search_audit();
            commands.push(command);
            return commands;
        }
        self.overlay = Some(Overlay::BreakGlass(form));
        Vec::new()
    }

    pub(super) fn on_glass_refused(&mut self, id: RequestId, refusal: CodeRefusal) -> Vec<Command> {
        if self.pending_chart != Some(id) {
            self.dirty = false;
            return Vec::new();
        }
        self.pending_chart = None;
        let Some(Overlay::BreakGlass(mut form)) = self.overlay.take() else { return Vec::new() };
        form.waiting = false;
        match refusal {
            CodeRefusal::Wrong { left } => {
                if left == 0 {
                    self.lock = Some(LockState {
                        message: Some("Three wrong signature codes: the session locked.".into()),
                        ..LockState::default()
                    });
                    return vec![Command::RecordLock(LockReason::WrongCodes)];
                }
                form.focus = GlassField::Code;
                form.message = Some(format!(
                    "That is not your signature code. {} more wrong and the session locks.",
                    plural(usize::from(left), "try", "tries")
                ));
            }
            CodeRefusal::Other(message) => form.message = Some(capitalized(&message)),
        }
        self.overlay = Some(Overlay::BreakGlass(form));
        Vec::new()
    }

    // ---- the privacy office -------------------------------------------------------------------

    pub(super) fn open_privacy(&mut self) -> Vec<Command> {
        if !crate::domain::role::allows(&self.header.roles, crate::domain::role::Permission::ViewAudit) {
            self.toast = Some("The privacy screen is the privacy officer's and the director's.".into());
            return Vec::new();
        }
        vec![Command::LoadPrivacy]
    }

    pub(super) fn on_privacy_loaded(&mut self, result: Result<Vec<GlassRow>, String>) -> Vec<Command> {
        match result {
            Ok(rows) if self.overlay.is_none() => self.overlay = Some(Overlay::Privacy { scroll: 0, rows }),
            Ok(_) => self.dirty = false,
            Err(e) => self.toast = Some(e),
        }
        Vec::new()
    }

    pub(super) fn on_privacy_key(&mut self, scroll: u16, rows: Vec<GlassRow>, key: KeyEvent) -> Vec<Command> {
        let (width, height) = chrome::text_overlay_room(self.size);
        let lines = crate::tui::screens::privacy::glass_lines(&rows, width, &Theme::monochrome()).len();
        let last = u16::try_from(lines.saturating_sub(usize::from(height))).unwrap_or(u16::MAX);
        let scroll = match key.code {
            KeyCode::Down | KeyCode::Char('j') => scroll.saturating_add(1),
            KeyCode::Up | KeyCode::Char('k') => scroll.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') => scroll.saturating_add(height.max(2) - 1),
            KeyCode::PageUp => scroll.saturating_sub(height.max(2) - 1),
            KeyCode::Home => 0,
            KeyCode::End => last,
            KeyCode::Char('r') => return vec![Command::LoadPrivacy],
            _ if self.keymap.action(Context::Global, &key) == Some(Action::Quit) => return self.quit(),
            _ => return Vec::new(),
        }
        .min(last);
        self.overlay = Some(Overlay::Privacy { scroll, rows });
        Vec::new()
    }
}

fn limit(field: GlassField) -> usize {
    match field {
        GlassField::Reason => crate::domain::privacy::REASON_MAX_CHARS,
        GlassField::Code => CODE_MAX,
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
