//! The Find field: one line of text on ratatui-textarea, fed only the keys that edit text — every
//! command key is taken by the keymap first.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Style;
use ratatui_textarea::{CursorMove, TextArea};

#[derive(Debug, Clone)]
pub struct FindField {
    area: TextArea<'static>,
    max: usize,
}

impl Default for FindField {
    fn default() -> Self {
        let mut area = TextArea::default();
        area.set_cursor_line_style(Style::default());
        Self { area, max: MAX_CHARS }
    }
}

/// Longest query a clerk needs; more is a paste gone wrong.
const MAX_CHARS: usize = 80;

impl FindField {
    /// A field that takes up to `max` characters: an authorization's description of the
    /// information runs longer than any search.
    pub fn with_max(max: usize) -> Self {
        Self { max, ..Self::default() }
    }

    pub fn text(&self) -> String {
        self.area.lines().first().cloned().unwrap_or_default()
    }

    pub fn set_text(&mut self, text: &str) {
        let mut area = TextArea::from([text.to_string()]);
        area.set_cursor_line_style(Style::default());
        area.move_cursor(CursorMove::End);
        self.area = area;
    }

    pub fn clear(&mut self) {
        self.set_text("");
    }

    /// Applies an editing key. Printable characters are typed; control characters never are.
    pub fn input(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char(c)
                if !ctrl && !crate::domain::text::is_unsafe_char(c) && self.text().chars().count() < self.max =>
            {
                self.area.insert_char(c);
            }
            KeyCode::Char('u') if ctrl => self.clear(),
            KeyCode::Char('w') if ctrl => {
                self.area.delete_word();
            }
            KeyCode::Char('a') if ctrl => self.area.move_cursor(CursorMove::Head),
            KeyCode::Char('e') if ctrl => self.area.move_cursor(CursorMove::End),
            KeyCode::Backspace => {
                self.area.delete_char();
            }
            KeyCode::Delete => {
                self.area.delete_next_char();
            }
            KeyCode::Left => self.area.move_cursor(CursorMove::Back),
            KeyCode::Right => self.area.move_cursor(CursorMove::Forward),
            KeyCode::Home => self.area.move_cursor(CursorMove::Head),
            KeyCode::End => self.area.move_cursor(CursorMove::End),
            _ => {}
        }
    }

    /// The widget, styled for focus: the block cursor shows only while the field has focus.
    pub fn widget(&self, focused: bool, text_style: Style) -> TextArea<'static> {
        let mut area = self.area.clone();
        area.set_style(text_style);
        if !focused {
            area.set_cursor_style(text_style);
        }
        area
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn edits_text_and_refuses_control_characters() {
        let mut field = FindField::default();
        for c in "smith".chars() {
            field.input(key(KeyCode::Char(c)));
        }
        field.input(key(KeyCode::Char('\u{1b}')));
        assert_eq!(field.text(), "smith");
        field.input(key(KeyCode::Backspace));
        field.input(key(KeyCode::Home));
        field.input(key(KeyCode::Char('x')));
        assert_eq!(field.text(), "xsmit");
        field.input(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert_eq!(field.text(), "");
        for _ in 0..200 {
            field.input(key(KeyCode::Char('a')));
        }
        assert_eq!(field.text().len(), MAX_CHARS);
    }
}
