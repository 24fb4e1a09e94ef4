//! The screens of who is at the keyboard: the lock screen and the disabled account's (each
//! replacing the whole frame, so no patient data is left on the terminal), a restricted chart's
//! warning, and the privacy office's list of break-the-glass events.

use crate::domain::text::clean;
use crate::tui::app::HeaderInfo;
use crate::tui::app::guard::{BreakGlassForm, GlassField, GlassRow, LockState};
use crate::tui::app::release_signature::ReleaseSignature;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{centered, text_overlay, wrap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

/// A box of `lines` in the middle of `area`, as wide as its longest line allows.
fn boxed(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    style: ratatui::style::Style,
    theme: &Theme,
) {
    let widest = lines.iter().map(Line::width).max().unwrap_or(0).max(title.width() + 4);
    let width = (widest as u16 + 4).min(area.width);
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let block =
        Block::default().borders(Borders::ALL).border_set(theme.border).border_style(style).title(format!(" {title} "));
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// Lines of `text` wrapped to `width`, each with one space before.
fn wrapped(text: &str, width: usize, style: ratatui::style::Style) -> Vec<Line<'static>> {
    wrap(&clean(text), width.max(10)).into_iter().map(|l| Line::styled(format!(" {l}"), style)).collect()
}

/// The lock screen: who, since when, and the code's dots. Nothing of what was open.
pub fn locked(frame: &mut Frame, header: &HeaderInfo, lock: &LockState, theme: &Theme) {
    let area = frame.area();
    frame.render_widget(Clear, area);
    let room = usize::from(area.width.saturating_sub(6)).min(70);
    let mut lines = vec![Line::raw("")];
    let who = if lock.since.is_empty() {
        format!("chartroom is locked for {}.", header.username)
    } else {
        format!("chartroom is locked for {} since {}.", header.username, lock.since)
    };
    lines.extend(wrapped(&who, room, theme.header));
    lines.push(Line::raw(""));
    lines.extend(wrapped("Enter your signature code to go on where you were.", room, theme.text));
    lines.push(Line::raw(""));
    let dots = "•".repeat(lock.code.chars().count());
    lines.push(Line::from(vec![Span::styled(" Code: ", theme.text), Span::styled(format!("{dots}▌"), theme.focus)]));
    lines.push(Line::raw(""));
    if lock.waiting {
        lines.extend(wrapped("Checking…", room, theme.muted));
    }
    if let Some(message) = &lock.message {
        lines.extend(wrapped(message, room, theme.danger));
    }
    lines.extend(wrapped("Ctrl-Q ends the session (a half-filled form is kept).", room, theme.muted));
    boxed(frame, area, "Locked", lines, theme.warning, theme);
}

/// A disabled account's screen: why, and how to leave.
pub fn disabled(frame: &mut Frame, message: &str, theme: &Theme) {
    let area = frame.area();
    frame.render_widget(Clear, area);
    let room = usize::from(area.width.saturating_sub(6)).min(70);
    let mut lines = vec![Line::raw("")];
    lines.extend(wrapped(&capital(message), room, theme.danger));
    lines.push(Line::raw(""));
    lines.extend(wrapped("Press Enter to leave chartroom.", room, theme.text));
    boxed(frame, area, "Account disabled", lines, theme.danger, theme);
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A restricted chart's warning, over the whole body: the name only, the reason, the code.
pub fn break_glass(frame: &mut Frame, area: Rect, form: &BreakGlassForm, theme: &Theme) {
    frame.render_widget(Clear, area);
    let room = usize::from(area.width.saturating_sub(6)).min(90);
    let mut lines = vec![Line::raw("")];
    lines.extend(wrapped(&format!("{} has a restricted record.", form.name), room, theme.header));
    lines.push(Line::raw(""));
    lines.extend(wrapped(
        "Opening it is recorded with your reason and reviewed by the Privacy Office. Open it only if your work \
         needs it.",
        room,
        theme.text,
    ));
    lines.push(Line::raw(""));
    let field = |label: &str, value: String, focused: bool| {
        let style = if focused { theme.focus } else { theme.text };
        let cursor = if focused { "▌" } else { "" };
        Line::from(vec![Span::styled(format!(" {label}"), theme.text), Span::styled(format!("{value}{cursor}"), style)])
    };
    // The reason wraps under its label, never cut.
    let reason_room = room.saturating_sub(18).max(10);
    let reason = wrap(&clean(&form.reason), reason_room);
    for (i, part) in reason.iter().enumerate().chain(reason.is_empty().then_some((0, &String::new()))) {
        let label = if i == 0 { "Reason:         " } else { "                " };
        let last = i + 1 >= reason.len();
        lines.push(field(label, part.clone(), form.focus == GlassField::Reason && last));
    }
    lines.push(field("Signature code: ", "•".repeat(form.code.chars().count()), form.focus == GlassField::Code));
    lines.push(Line::raw(""));
    if form.waiting {
        lines.extend(wrapped("Checking…", room, theme.muted));
    }
    if let Some(message) = &form.message {
        lines.extend(wrapped(message, room, theme.danger));
    }
    lines.extend(wrapped(
        "At least three words of reason. Tab: the other field · Enter: open · Esc: do not open",
        room,
        theme.muted,
    ));
    boxed(frame, area, "Restricted record", lines, theme.warning, theme);
}

/// The privacy list's lines at `width`: when, who, MRN and from where, then the reason under.
pub fn glass_lines(rows: &[GlassRow], width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let width = usize::from(width).max(20);
    if rows.is_empty() {
        return vec![Line::raw(" No restricted chart has been opened past its warning.")];
    }
    let mut lines = Vec::new();
    for row in rows {
        let head = format!(
            "{}  {}  MRN {}  {}",
            row.at.format("%m/%d/%Y %H:%M"),
            clean(&row.username),
            clean(&row.mrn),
            clean(&row.source)
        );
        for part in wrap(&head, width.saturating_sub(1)) {
            lines.push(Line::styled(format!(" {part}"), theme.header));
        }
        for part in wrap(&clean(&row.detail), width.saturating_sub(5)) {
            lines.push(Line::raw(format!("    {part}")));
        }
    }
    lines
}

pub fn privacy(frame: &mut Frame, area: Rect, rows: &[GlassRow], scroll: u16, theme: &Theme) {
    let (width, _) = crate::tui::widgets::chrome::text_overlay_room((area.width, area.height + 6));
    text_overlay(frame, area, "Break the glass, newest first", glass_lines(rows, width, theme), scroll, theme);
}

/// The release's signature: what was agreed to, and the code's dots.
pub fn release_signature(frame: &mut Frame, area: Rect, form: &ReleaseSignature, theme: &Theme) {
    let room = usize::from(area.width.saturating_sub(6)).min(70);
    let mut lines = vec![Line::raw("")];
    lines.extend(wrapped(
        &format!("Sign the release of {} with your signature code.", form.number),
        room,
        theme.header,
    ));
    lines.push(Line::raw(""));
    let dots = "•".repeat(form.code.chars().count());
    let cursor = if form.waiting { "" } else { "▌" };
    lines.push(Line::from(vec![
        Span::styled(" Signature code: ", theme.text),
        Span::styled(format!("{dots}{cursor}"), theme.focus),
    ]));
    lines.push(Line::raw(""));
    if form.waiting {
        lines.extend(wrapped("Releasing…", room, theme.muted));
    }
    if let Some(message) = &form.message {
        lines.extend(wrapped(message, room, theme.danger));
    }
    lines.extend(wrapped("Enter: release · Esc: do not release", room, theme.muted));
    boxed(frame, area, "Release", lines, theme.warning, theme);
}
