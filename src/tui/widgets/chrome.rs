//! The frame around every screen — header, rules, footer of keys — and the overlays drawn over it:
//! help, the command palette, the too-small notice.

use super::super::action::Action;
use super::super::app::{HeaderInfo, Screen};
use super::super::keymap::{Context, Keymap};
use super::super::screens::chart::Section;
use super::super::theme::Theme;
use super::palette::PaletteState;
use crate::domain::text::clean;
use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn header(frame: &mut Frame, area: Rect, info: &HeaderInfo, theme: &Theme) {
    let facility = clean(&info.facility).to_string();
    let username = clean(&info.username).to_string();
    let width = usize::from(area.width);
    let badge = if info.is_demo { " DEMO DATA " } else { "" };
    // The badge's gaps count only when it is drawn.
    let gaps = if info.is_demo { 2 } else { 0 };
    let with_role =
        if info.role.is_empty() { format!(" {username} ") } else { format!(" {username} · {} ", info.role) };
    let (name, code) = match facility.rsplit_once(" (") {
        Some((name, code)) if code.ends_with(')') => (name.to_string(), Some(format!(" ({code}"))),
        _ => (facility.clone(), None),
    };
    // The first shape that fits is drawn: the program's name goes first, then the facility's name
    // is shortened with `…` (its code kept whole), and the role goes only when even the code and
    // the role cannot share the line.
    let fits = |left: &str, place: &str, user: &str| {
        left.width() + place.width() + badge.width() + gaps + user.width() <= width
    };
    let mut chosen = None;
    for (left, user) in [(" chartroom  ", &with_role), (" ", &with_role), (" ", &format!(" {username} "))] {
        if fits(left, &facility, user) {
            chosen = Some((left.to_string(), facility.clone(), user.clone()));
            break;
        }
        let suffix = code.clone().unwrap_or_default();
        let room = width.saturating_sub(left.width() + suffix.width() + badge.width() + gaps + user.width() + 1);
        // A few letters and `…` still say which facility; fewer say nothing.
        if left == " " && room >= 6 {
            chosen = Some((left.to_string(), format!("{}{suffix}", ellipsize(&name, room)), user.clone()));
            break;
        }
        if left == " " && code.is_some() {
            let bare = code.as_deref().unwrap_or_default().trim().trim_start_matches('(').trim_end_matches(')');
            if fits(left, bare, user) {
                chosen = Some((left.to_string(), bare.to_string(), user.clone()));
                break;
            }
        }
    }
    let (left, place, user) =
        chosen.unwrap_or_else(|| (" ".to_string(), ellipsize(&facility, width / 2), format!(" {username} ")));
    let app_name = left.len() > 1;
    let [left_area, place_area, badge_area, user_area] = Layout::horizontal([
        Constraint::Length(left.width() as u16),
        Constraint::Fill(1),
        Constraint::Length(if info.is_demo { badge.width() as u16 + 2 } else { 0 }),
        Constraint::Length(user.width() as u16),
    ])
    .areas(area);
    if app_name {
        frame.render_widget(Paragraph::new(Span::styled(left, theme.title)), left_area);
    }
    frame.render_widget(Paragraph::new(place), place_area);
    if info.is_demo {
        frame.render_widget(Paragraph::new(Span::styled(badge, theme.demo)).centered(), badge_area);
    }
    frame.render_widget(Paragraph::new(user).style(theme.header).right_aligned(), user_area);
}

/// `text` in at most `width` columns: whole, or cut with `…`.
pub fn ellipsize(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    for c in text.chars() {
        if out.width() + c.to_string().width() + 1 > width {
            break;
        }
        out.push(c);
    }
    let mut out = out.trim_end().to_string();
    out.push('…');
    out
}

/// The footer's hints for where the clerk is: the keys that matter there, most used first.
pub fn footer_actions(context: Context, chart_section: Option<Section>) -> &'static [Action] {
    match context {
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
            Action::NewFind,
            Action::CommandPalette,
            Action::Help,
            Action::Quit,
        ],
        Context::Chart if chart_section == Some(Section::Deficiencies) => &[
            Action::CompleteItems,
            Action::CommentItems,
            Action::ReassignItems,
            Action::PauseItems,
            Action::ToggleSelect,
            Action::Back,
            Action::Help,
        ],
        Context::Chart if chart_section == Some(Section::Releases) => &[
            Action::NextSection,
            Action::OpenSelected,
            Action::NewRequest,
            Action::Back,
            Action::CommandPalette,
            Action::Help,
        ],
        Context::Chart => &[
            Action::NextSection,
            Action::OpenSelected,
            Action::NewFind,
            Action::Back,
            Action::CommandPalette,
            Action::Help,
        ],
        Context::Queue => &[
            Action::ToggleSelect,
            Action::OpenSelected,
            Action::CycleSort,
            Action::ToggleDelinquent,
            Action::CycleBucket,
            Action::CommandPalette,
            // Past 80 columns: at 80 the palette's hint is the last that fits, and `?` lists these.
            Action::TakeItems,
            Action::CycleClaimFilter,
            Action::Help,
        ],
        Context::Roi => &[
            Action::OpenSelected,
            Action::TakeItems,
            Action::CycleSort,
            Action::ToggleOverdue,
            Action::NewRequest,
            Action::CommandPalette,
            // Past 80 columns; `?` lists them all.
            Action::CycleDueWithin,
            Action::CycleClaimFilter,
            Action::Help,
        ],
        // The request's own steps are on its Next line; these move about it.
        Context::Request => &[Action::NextSection, Action::NextRow, Action::Back, Action::CommandPalette, Action::Help],
        Context::Intake => &[Action::NextField, Action::SubmitForm, Action::Back, Action::Help],
        // Void is added by the view for those who may: a clerk is not offered it.
        Context::Accounting => {
            &[Action::NextRow, Action::PrintAccounting, Action::Back, Action::CommandPalette, Action::Help]
        }
        Context::Authorization => &[Action::NextField, Action::SubmitForm, Action::Back, Action::Help],
        Context::Packet => &[
            Action::ToggleSelect,
            Action::ReleaseRequest,
            Action::NextRow,
            Action::Back,
            Action::Help,
            Action::CommandPalette,
        ],
        Context::RoiStats => &[
            Action::StatsFourWeeks,
            Action::StatsQuarter,
            Action::StatsYear,
            Action::StatsEarlier,
            Action::StatsPeriod,
            Action::Back,
            // Past 80 columns; `?` lists them all.
            Action::StatsLater,
            Action::Help,
        ],
        Context::Scan => &[Action::TakeScan, Action::NextTab, Action::Back, Action::CommandPalette, Action::Help],
        Context::FileRoom => &[
            Action::NextTab,
            Action::ScanMode,
            Action::FillRequest,
            Action::NotFillable,
            Action::WriteNotices,
            Action::PullListDate,
            // Past 80 columns; `?` lists them all.
            Action::Back,
            Action::CommandPalette,
            Action::Help,
        ],
        Context::Global => &[Action::CommandPalette, Action::Help, Action::Quit],
    }
}

pub fn rule(frame: &mut Frame, area: Rect, theme: &Theme) {
    frame.render_widget(Paragraph::new(theme.rule.repeat(area.width as usize)).style(theme.muted), area);
}

/// A queue's filter as a clerk reads it: the lines that describe it above, then a rule that names
/// its order (`─ open · oldest first ───`). Both queues draw it the same way.
pub fn described_rule(
    frame: &mut Frame,
    above: Rect,
    rule: Rect,
    described: Vec<String>,
    on_rule: &str,
    theme: &Theme,
) {
    let lines: Vec<Line> = described.into_iter().map(|l| Line::from(format!(" {l}"))).collect();
    frame.render_widget(Paragraph::new(lines).style(theme.muted), above);
    let lead = format!("{} {on_rule} ", theme.rule);
    let rest = theme.rule.repeat(usize::from(rule.width).saturating_sub(lead.width()));
    frame.render_widget(Paragraph::new(format!("{lead}{rest}")).style(theme.muted), rule);
}

/// Over the top rule while the store cannot be reached, until a read succeeds: the screen below
/// is what it last showed.
pub fn outage(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = format!(" {} ", super::super::app::outage::BANNER);
    let width = (text.width() as u16).min(area.width);
    let x = area.x + (area.width - width) / 2;
    frame.render_widget(Paragraph::new(Span::styled(text, theme.warning)), Rect { x, width, ..area });
}

/// The keys of the focused context, generated from the keymap, and the screen numbers.
#[allow(clippy::too_many_arguments)]
pub fn footer(
    frame: &mut Frame,
    area: Rect,
    keymap: &Keymap,
    context: Context,
    wanted: &[Action],
    // Words for a key where its usual ones would mislead (Enter opens a request on Releases).
    hints: &[(Action, &'static str)],
    screen: Screen,
    chart_open: bool,
    theme: &Theme,
) {
    // The screen numbers this context answers to, as the keymap binds them: none where digits are
    // text (the Find field, a form, the scan line), so the footer never offers a key that types.
    let screens = [
        (Screen::Lookup, Action::ScreenLookup),
        (Screen::Chart, Action::ScreenChart),
        (Screen::Queue, Action::ScreenQueue),
        (Screen::Roi, Action::ScreenRoi),
        (Screen::FileRoom, Action::ScreenFileRoom),
    ];
    let mut right = Vec::new();
    let mut right_width = 0;
    for (s, action) in screens {
        let Some(key) = keymap.key_for(context, action) else { continue };
        // A request and its intake are screen 4's.
        let here = s == screen
            || (s == Screen::Roi
                && matches!(
                    screen,
                    Screen::Request | Screen::Intake | Screen::Authorization | Screen::Accounting | Screen::RoiStats
                ));
        let style = if here {
            theme.selected
        } else if s == Screen::Chart && !chart_open {
            theme.muted
        } else {
            theme.text
        };
        let label = key.to_string();
        right_width += label.width() + 1;
        right.push(Span::styled(label, style));
        right.push(Span::raw(" "));
    }
    let mut spans = vec![Span::raw(" ")];
    let room = usize::from(area.width).saturating_sub(right_width + 1);
    let mut used = 1;
    for action in wanted {
        if let Some(key) = keymap.key_for(context, *action) {
            let hint = hints.iter().find(|(a, _)| a == action).map_or_else(|| action.hint_in(context), |(_, h)| *h);
            let (key, hint) = (key.to_string(), format!(" {hint}  "));
            let width = key.chars().count() + hint.chars().count();
            // Whole hints only: a key without its meaning is worse than no hint. The last one
            // needs no gap after it.
            if used + width - 2 > room {
                break;
            }
            used += width;
            spans.push(Span::styled(key, theme.key));
            spans.push(Span::raw(hint));
        }
    }
    let [l, r] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_width as u16)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), l);
    frame.render_widget(Paragraph::new(Line::from(right)), r);
}

/// The message over the bottom rule. A long one wraps upward over the screen's last lines (up
/// to three); what does not fit is in `:messages`.
pub fn toast(frame: &mut Frame, area: Rect, message: &str, theme: &Theme) {
    let width = usize::from(area.width.saturating_sub(2)).max(10);
    let mut lines = wrap(&clean(message), width);
    if lines.len() > TOAST_LINES {
        lines.truncate(TOAST_LINES);
        let tail = " … (:messages)";
        let last = &mut lines[TOAST_LINES - 1];
        while last.width() + tail.width() > width && last.pop().is_some() {}
        last.push_str(tail);
    }
    let height = (lines.len() as u16).min(area.y + 1);
    let block = Rect { x: area.x, y: area.y + 1 - height, width: area.width, height };
    frame.render_widget(Clear, block);
    let lines: Vec<Line> = lines.into_iter().map(|l| Line::from(format!(" {l}"))).collect();
    frame.render_widget(Paragraph::new(lines).style(theme.warning), block);
}

/// Lines a message may take over the bottom of the screen.
const TOAST_LINES: usize = 3;

/// Words laid into lines of at most `width` columns; a word longer than a line is split.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let mut word = word.to_string();
            loop {
                let sep = usize::from(!line.is_empty());
                if line.width() + sep + word.width() <= width {
                    if sep == 1 {
                        line.push(' ');
                    }
                    line.push_str(&word);
                    break;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    continue;
                }
                // A word longer than the line: as much as fits, the rest on the next.
                let mut head = String::new();
                let mut rest = word.chars();
                for c in rest.by_ref() {
                    if head.width() + c.to_string().width() > width {
                        let remaining: String = std::iter::once(c).chain(rest.by_ref()).collect();
                        lines.push(std::mem::take(&mut head));
                        word = remaining;
                        break;
                    }
                    head.push(c);
                }
                if head.is_empty() {
                    continue;
                }
                line = head;
                break;
            }
        }
        lines.push(line);
    }
    lines
}

/// Until the terminal grows only quitting works: the notice says which key does it.
pub fn too_small(frame: &mut Frame, area: Rect, quit_key: Option<String>) {
    let mut text =
        format!("Terminal is {}×{} — chartroom needs at least {MIN_WIDTH}×{MIN_HEIGHT}.", area.width, area.height);
    if let Some(key) = quit_key {
        text.push_str(&format!(" {key} quits."));
    }
    let lines = wrap(&text, usize::from(area.width.saturating_sub(2)).max(1));
    let height = (lines.len() as u16).min(area.height);
    let y = area.y + area.height.saturating_sub(height) / 2;
    let block = Rect { x: area.x, y, width: area.width, height };
    let lines: Vec<Line> = lines.into_iter().map(Line::from).collect();
    frame.render_widget(Paragraph::new(lines).centered(), block);
}

pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [v] = Layout::vertical([Constraint::Length(height.min(area.height))]).flex(Flex::Center).areas(area);
    let [h] = Layout::horizontal([Constraint::Length(width.min(area.width))]).flex(Flex::Center).areas(v);
    h
}

/// The room inside a help or messages overlay at the smallest body a screen can have (a chart
/// with a two-line banner): width and height, for clamping its scroll.
pub fn text_overlay_room(size: (u16, u16)) -> (u16, u16) {
    let body = size.1.saturating_sub(6);
    (overlay_width(size.0).saturating_sub(2), body.saturating_sub(2).max(1))
}

fn overlay_width(area_width: u16) -> u16 {
    popup_width(area_width, 100)
}

/// A popup's width: at most `widest`, and the whole width when only a column or two would be
/// left beside it (a lone letter of the screen beneath reads as part of the popup).
fn popup_width(area_width: u16, widest: u16) -> u16 {
    let width = area_width.saturating_sub(2).min(widest);
    if width + 2 >= area_width { area_width } else { width }
}

/// Where the description starts in help's lines.
const HELP_KEYS: usize = 24;

/// `?` help's lines at `width` columns: every binding of every context, from the keymap itself.
/// A description that does not fit goes on under itself, never cut.
pub fn help_lines(keymap: &Keymap, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    help_lines_from(keymap, width, theme).0
}

/// The line of the help where `context`'s section starts: `?` opens there, on the keys of where
/// the clerk is, with the Everywhere keys above it a scroll away.
pub fn help_section_start(keymap: &Keymap, width: u16, context: Context) -> usize {
    help_lines_from(keymap, width, &Theme::monochrome()).1.iter().find(|(c, _)| *c == context).map_or(0, |(_, at)| *at)
}

/// The help's lines, and the line each context's section starts at.
fn help_lines_from(keymap: &Keymap, width: u16, theme: &Theme) -> (Vec<Line<'static>>, Vec<(Context, usize)>) {
    let width = usize::from(width);
    let mut lines = Vec::new();
    let mut starts = Vec::new();
    for context in Context::ALL {
        starts.push((context, lines.len()));
        lines.push(Line::styled(context.title(), theme.header));
        for (action, keys) in keymap.bindings_of(context) {
            let keys = keys.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            let keys = format!("  {keys}");
            let described = wrap(action.description(), width.saturating_sub(HELP_KEYS).max(10));
            let mut first = true;
            if keys.width() >= HELP_KEYS {
                lines.push(Line::styled(keys.clone(), theme.key));
                first = false;
            }
            for part in described {
                let lead = if first { format!("{keys:<HELP_KEYS$}") } else { " ".repeat(HELP_KEYS) };
                lines.push(Line::from(vec![Span::styled(lead, theme.key), Span::raw(part)]));
                first = false;
            }
        }
        lines.push(Line::from(""));
    }
    for text in [
        "Commands (: or Ctrl-P): lookup, chart, deficiencies, mrn MRN, physician NAME|NPI, filter, \
         take, release, roi (new, open, assign, pend, hold, exception, rework, reject, cancel, extend, pay, \
         release, authorization), roi-stats [FROM TO], file-room, scan, pull-list [DATE], not-fillable why, messages, nightly, import, QC, AS, PA, CM, ST, VD, help, quit. Tab \
         completes.",
        crate::tui::screens::roi_queue::legend().as_str(),
        "In the request form, beside its keys above: ← → Space or a first letter choose a value; Enter takes \
         the highlighted requester, or goes to the next field; in Purpose, Enter starts a new line; on \
         Authorization, Enter opens the authorization form (Backspace removes the one entered).",
        "In the authorization form: ← → Space or a first letter choose its kind; Space (or y, n) ticks a \
         box; Enter goes to the next field; PgUp PgDn scroll the checklist, run as you type.",
        "Keys are set in config.toml [keymap.<context>]; see config.example.toml.",
    ] {
        lines.extend(wrap(text, width).into_iter().map(|l| Line::styled(l, theme.muted)));
    }
    (lines, starts)
}

/// `:messages`: every message of the session, oldest first, each wrapped whole.
pub fn message_lines(messages: &[String], width: u16) -> Vec<Line<'static>> {
    if messages.is_empty() {
        return vec![Line::from(" No messages yet.")];
    }
    let width = usize::from(width).saturating_sub(3).max(10);
    let mut lines = Vec::new();
    for message in messages {
        for (i, part) in wrap(&clean(message), width).into_iter().enumerate() {
            lines.push(Line::from(format!("{}{part}", if i == 0 { " · " } else { "   " })));
        }
    }
    lines
}

/// A scrolling text overlay (help, messages): the title says how to leave and what is below.
pub fn text_overlay(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>, scroll: u16, theme: &Theme) {
    // The whole body: a border of the screen beneath beside the popup's would read as its own.
    let popup = centered(area, overlay_width(area.width), area.height);
    let inner = popup.height.saturating_sub(2);
    let last = u16::try_from(lines.len().saturating_sub(usize::from(inner))).unwrap_or(u16::MAX);
    let scroll = scroll.min(last);
    let below = lines.len().saturating_sub(usize::from(scroll) + usize::from(inner));
    frame.render_widget(Clear, popup);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border)
        .title(format!(" {title} — Esc closes, ↑↓ PgUp PgDn scroll "))
        .border_style(theme.focus);
    if scroll > 0 {
        block = block.title_bottom(Line::from(format!(" ↑ {scroll} above ")).left_aligned());
    }
    if below > 0 {
        block = block.title_bottom(Line::from(format!(" ↓ {below} more ")).right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), popup);
}

/// `?` help: every binding of every context, from the keymap itself.
pub fn help(frame: &mut Frame, area: Rect, keymap: &Keymap, scroll: u16, theme: &Theme) {
    let lines = help_lines(keymap, overlay_width(area.width).saturating_sub(2), theme);
    text_overlay(frame, area, "Keys", lines, scroll, theme);
}

pub fn messages(frame: &mut Frame, area: Rect, messages: &[String], scroll: u16, theme: &Theme) {
    let lines = message_lines(messages, overlay_width(area.width).saturating_sub(2));
    text_overlay(frame, area, "Messages", lines, scroll, theme);
}

/// The palette: the input, then its entries, each name and description apart; a long list
/// scrolls with the highlight and says what is above and below.
pub fn palette(frame: &mut Frame, area: Rect, state: &PaletteState, theme: &Theme) {
    let entries = state.entries();
    let width = popup_width(area.width, 78);
    let inner = usize::from(width.saturating_sub(2));
    let label_width = entries.iter().map(|e| e.label.width()).max().unwrap_or(0).min(inner / 2) + 2;
    // Each entry's lines: the label, then its description beside it or under it.
    let blocks: Vec<Vec<Line<'static>>> = entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let style = if i == state.selected { theme.selected } else { theme.text };
            let beside = 2 + label_width + entry.description.width() <= inner && entry.label.width() < label_width;
            if beside {
                let text = format!("  {:<label_width$}{}", entry.label, entry.description);
                let pad = inner.saturating_sub(text.width());
                vec![Line::styled(format!("{text}{}", " ".repeat(pad)), style)]
            } else {
                let mut lines: Vec<Line<'static>> = wrap(&entry.label, inner.saturating_sub(2))
                    .into_iter()
                    .map(|l| Line::styled(format!("  {l:<w$}", w = inner.saturating_sub(2)), style))
                    .collect();
                lines.extend(
                    wrap(&entry.description, inner.saturating_sub(6))
                        .into_iter()
                        .map(|l| Line::styled(format!("      {l:<w$}", w = inner.saturating_sub(6)), style)),
                );
                lines
            }
        })
        .collect();
    let total: usize = blocks.iter().map(Vec::len).sum();
    // The box hangs from one line below the body's top, whatever it lists: it never moves as the
    // list shortens under the typing.
    let top = u16::from(area.height > 3);
    let height = (total as u16 + 3).min(area.height - top).max(3);
    let room = usize::from(height - 3);
    // The first entry shown: as late as needed for the highlighted one to show whole.
    let selected = state.selected.min(blocks.len().saturating_sub(1));
    let mut first = 0;
    while first < selected && blocks[first..=selected].iter().map(Vec::len).sum::<usize>() > room {
        first += 1;
    }
    // What was typed, every character kept: a line longer than the box shows its end, where the
    // cursor is, after `…`.
    let typed = clean(&state.input);
    let room_for_text = inner.saturating_sub(3);
    let shown = if typed.width() > room_for_text {
        let mut tail: Vec<char> = Vec::new();
        let mut used = 1;
        for c in typed.chars().rev() {
            let w = c.to_string().width();
            if used + w > room_for_text {
                break;
            }
            used += w;
            tail.push(c);
        }
        format!("…{}", tail.into_iter().rev().collect::<String>())
    } else {
        typed.into_owned()
    };
    let mut lines = vec![Line::from(vec![Span::raw(format!(" :{shown}")), Span::styled(" ", theme.selected)])];
    let mut used = 0;
    let mut last = first;
    for block in &blocks[first.min(blocks.len())..] {
        if used + block.len() > room {
            break;
        }
        used += block.len();
        lines.extend(block.iter().cloned());
        last += 1;
    }
    let popup = Rect { x: area.x + (area.width - width) / 2, y: area.y + top, width, height };
    frame.render_widget(Clear, popup);
    let mut block =
        Block::default().borders(Borders::ALL).border_set(theme.border).title(" : ").border_style(theme.focus);
    if first > 0 {
        block = block.title(Line::from(format!(" ↑ {first} more ")).right_aligned());
    }
    if last < blocks.len() {
        block = block.title_bottom(Line::from(format!(" ↓ {} more ", blocks.len() - last)).right_aligned());
    } else if entries.is_empty() {
        block = block.title_bottom(Line::from(" nothing matches ").right_aligned());
    }
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}

/// A yes/no question before something hard to undo.
pub fn confirm(frame: &mut Frame, area: Rect, prompt: &str, theme: &Theme) {
    // A question that names its rows can be longer than a line: it wraps, whole, never cut.
    let prompt = clean(prompt);
    let room = usize::from(area.width.saturating_sub(4)).max(10);
    let lines = wrap(&prompt, room);
    let longest = lines.iter().map(|l| l.width()).max().unwrap_or(0);
    let mut width = (longest as u16 + 4).min(area.width);
    // A box all but a column or two wide takes the whole width: a lone letter of the row beneath
    // beside its border reads as part of the question.
    if width + 2 >= area.width {
        width = area.width;
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let block = Block::default().borders(Borders::ALL).border_set(theme.border).border_style(theme.warning);
    let text: Vec<Line> = lines.into_iter().map(|l| Line::raw(format!(" {l}"))).collect();
    frame.render_widget(Paragraph::new(text).block(block), popup);
}
