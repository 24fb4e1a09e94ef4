//! The frame around every screen — header, rules, footer of keys — and the overlays drawn over it:
//! help, the command palette, the too-small notice.

use super::super::action::Action;
use super::super::app::{HeaderInfo, Screen};
use super::super::keymap::{Context, Keymap};
use super::super::theme::Theme;
use super::palette::PaletteState;
use crate::domain::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn header(frame: &mut Frame, area: Rect, info: &HeaderInfo, theme: &Theme) {
    let right = format!(" {} · {} ", clean(&info.username), info.role);
    let right_width = (right.chars().count() as u16).min(area.width / 2);
    let badge_width = if info.is_demo { 13 } else { 0 };
    let [name, facility, badge, user] = Layout::horizontal([
        Constraint::Length(12),
        Constraint::Fill(1),
        Constraint::Length(badge_width),
        Constraint::Length(right_width),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Span::styled(" chartroom", theme.title)), name);
    // A long facility name gives way before the demo badge and the user do.
    frame.render_widget(Paragraph::new(clean(&info.facility).to_string()), facility);
    if info.is_demo {
        frame.render_widget(Paragraph::new(Span::styled(" DEMO DATA ", theme.demo)).centered(), badge);
    }
    frame.render_widget(Paragraph::new(right).style(theme.header).right_aligned(), user);
}

pub fn rule(frame: &mut Frame, area: Rect, theme: &Theme) {
    frame.render_widget(Paragraph::new(theme.rule.repeat(area.width as usize)).style(theme.muted), area);
}

/// The keys of the focused context, generated from the keymap, and the screen numbers.
pub fn footer(
    frame: &mut Frame,
    area: Rect,
    keymap: &Keymap,
    context: Context,
    screen: Screen,
    chart_open: bool,
    theme: &Theme,
) {
    let wanted: &[Action] = match context {
        Context::Find => &[
            Action::OpenSelected,
            Action::FocusResults,
            Action::ClearOrLeave,
            Action::CommandPalette,
            Action::Help,
            Action::Quit,
        ],
        Context::Results => &[
            Action::OpenSelected,
            Action::NextRow,
            Action::FocusFind,
            Action::CommandPalette,
            Action::Help,
            Action::Quit,
        ],
        Context::Chart => &[
            Action::NextSection,
            Action::OpenSelected,
            Action::Back,
            Action::CommandPalette,
            Action::Help,
            Action::Quit,
        ],
        Context::Queue => &[
            Action::ToggleSelect,
            Action::OpenSelected,
            Action::CycleSort,
            Action::ToggleDelinquent,
            Action::CycleBucket,
            Action::CommandPalette,
            Action::Help,
        ],
        Context::Global => &[Action::CommandPalette, Action::Help, Action::Quit],
    };
    let mut spans = vec![Span::raw(" ")];
    let room = usize::from(area.width.saturating_sub(6));
    let mut used = 1;
    for action in wanted {
        if let Some(key) = keymap.key_for(context, *action) {
            let (key, hint) = (key.to_string(), format!(" {}  ", action.hint()));
            let width = key.chars().count() + hint.chars().count();
            // Whole hints only: a key without its meaning is worse than no hint.
            if used + width > room {
                break;
            }
            used += width;
            spans.push(Span::styled(key, theme.key));
            spans.push(Span::raw(hint));
        }
    }
    let screens = [(Screen::Lookup, "1"), (Screen::Chart, "2"), (Screen::Queue, "3")];
    let mut right = Vec::new();
    for (s, label) in screens {
        let style = if s == screen {
            theme.selected
        } else if s == Screen::Chart && !chart_open {
            theme.muted
        } else {
            theme.text
        };
        right.push(Span::styled(label, style));
        right.push(Span::raw(" "));
    }
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(7)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), l);
    frame.render_widget(Paragraph::new(Line::from(right)).right_aligned(), r);
}

pub fn toast(frame: &mut Frame, area: Rect, message: &str, theme: &Theme) {
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(format!(" {}", clean(message))).style(theme.warning), area);
}

pub fn too_small(frame: &mut Frame, area: Rect) {
    let text =
        format!("Terminal is {}×{} — chartroom needs at least {MIN_WIDTH}×{MIN_HEIGHT}.", area.width, area.height);
    let y = area.height / 2;
    let line = Rect { x: area.x, y: area.y + y, width: area.width, height: 1.min(area.height) };
    frame.render_widget(Paragraph::new(text).centered(), line);
}

fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
}

/// `?` help: every binding of every context, from the keymap itself.
pub fn help(frame: &mut Frame, area: Rect, keymap: &Keymap, scroll: u16, theme: &Theme) {
    let mut lines = Vec::new();
    for context in [Context::Global, Context::Find, Context::Results, Context::Chart, Context::Queue] {
        lines.push(Line::styled(context.title(), theme.header));
        for (action, keys) in keymap.bindings_of(context) {
            let keys = keys.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<22}"), theme.key),
                Span::raw(action.description()),
            ]));
        }
        lines.push(Line::from(""));
    }
    lines.push(Line::styled(
        "Commands (: or Ctrl-P): lookup, chart, deficiencies, mrn MRN, QC=1-3 [date], help, quit",
        theme.muted,
    ));
    lines.push(Line::styled("Keys are set in config.toml [keymap.<context>]; see config.example.toml.", theme.muted));
    let popup = centered(area, 74, area.height.saturating_sub(2));
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border)
        .title(" Keys — Esc closes, ↑↓ scroll ")
        .border_style(theme.focus);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), popup);
}

pub fn palette(frame: &mut Frame, area: Rect, state: &PaletteState, theme: &Theme) {
    let matches = state.matches();
    let height = (matches.len() as u16 + 3).min(area.height);
    let [_, top] = Layout::vertical([Constraint::Length(2), Constraint::Length(height)]).areas(area);
    let popup = centered(top, 64, height);
    frame.render_widget(Clear, popup);
    let mut lines =
        vec![Line::from(vec![Span::raw(format!(" :{}", clean(&state.input))), Span::styled(" ", theme.selected)])];
    for (i, (name, arg, description)) in matches.iter().enumerate() {
        let style = if i == state.selected { theme.selected } else { theme.text };
        lines.push(Line::styled(format!("   {:<18}{description}", format!("{name}{arg}")), style));
    }
    let block = Block::default().borders(Borders::ALL).border_set(theme.border).title(" : ").border_style(theme.focus);
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// A yes/no question before something hard to undo.
pub fn confirm(frame: &mut Frame, area: Rect, prompt: &str, theme: &Theme) {
    let width = (prompt.chars().count() as u16 + 4).min(area.width);
    let popup = centered(area, width, 3);
    frame.render_widget(Clear, popup);
    let block = Block::default().borders(Borders::ALL).border_set(theme.border).border_style(theme.warning);
    frame.render_widget(Paragraph::new(format!(" {}", clean(prompt))).block(block), popup);
}
