//! Semantic styles. The default uses the 16 ANSI colours, which follow the clerk's own palette on a
//! light or dark terminal; the monochrome set (NO_COLOR, `--color never`) keeps every distinction
//! with reverse video, bold and markers; the ASCII set draws borders with `+ - |`.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

#[derive(Debug, Clone)]
pub struct Theme {
    pub text: Style,
    pub muted: Style,
    pub header: Style,
    pub title: Style,
    pub selected: Style,
    pub focus: Style,
    pub danger: Style,
    pub warning: Style,
    pub demo: Style,
    pub key: Style,
    pub border: border::Set<'static>,
    /// The separator line's glyph.
    pub rule: &'static str,
    pub ascii: bool,
}

impl Theme {
    pub fn ansi16() -> Self {
        Self {
            text: Style::new(),
            muted: Style::new().fg(Color::DarkGray),
            header: Style::new().add_modifier(Modifier::BOLD),
            title: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            focus: Style::new().fg(Color::Cyan),
            danger: Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            warning: Style::new().fg(Color::Yellow),
            demo: Style::new().fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD),
            key: Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            border: border::PLAIN,
            rule: "─",
            ascii: false,
        }
    }

    /// No colour at all: every state is still visible through modifiers.
    pub fn monochrome() -> Self {
        Self {
            text: Style::new(),
            muted: Style::new().add_modifier(Modifier::DIM),
            header: Style::new().add_modifier(Modifier::BOLD),
            title: Style::new().add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            focus: Style::new().add_modifier(Modifier::UNDERLINED),
            danger: Style::new().add_modifier(Modifier::BOLD),
            warning: Style::new().add_modifier(Modifier::BOLD),
            demo: Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            key: Style::new().add_modifier(Modifier::BOLD),
            border: border::PLAIN,
            rule: "─",
            ascii: false,
        }
    }

    pub fn ascii(mut self) -> Self {
        self.border = border::Set {
            top_left: "+",
            top_right: "+",
            bottom_left: "+",
            bottom_right: "+",
            vertical_left: "|",
            vertical_right: "|",
            horizontal_top: "-",
            horizontal_bottom: "-",
        };
        self.rule = "-";
        self.ascii = true;
        self
    }

    pub fn from_settings(color: bool, ascii: bool) -> Self {
        let theme = if color { Self::ansi16() } else { Self::monochrome() };
        if ascii { theme.ascii() } else { theme }
    }

    /// A glyph, or its ASCII stand-in.
    pub fn glyph(&self, unicode: &'static str, ascii: &'static str) -> &'static str {
        if self.ascii { ascii } else { unicode }
    }
}
