//! The authorization form drawn: the paper's fields down the left, its checklist on the right as
//! saving would run it now. At 80 columns both fit side by side; a long value wraps under its
//! field, the form scrolls to keep the focused field in view, and a checklist longer than its room
//! scrolls with PgUp and PgDn — nothing a clerk must read is cut.

use super::super::theme::Theme;
use super::queue::fit;
use super::roi_authorization::{AuthField, AuthState, AuthTarget};
use crate::domain::dates::us_date;
use crate::domain::roi::ChecklistItem;
use crate::domain::text::clean;
use crate::tui::widgets::chrome::wrap;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

/// The margin of the form's labels: ` Relationship `.
const LABEL: u16 = 14;

/// The intake form's line for its authorization at `width` columns: what was entered, judged as
/// logging will judge it. One line, so that the form below it keeps its room at 80×24: the failed
/// elements are named when they fit, else counted (Enter shows them).
pub fn summary(items: Option<&[ChecklistItem]>, width: usize) -> String {
    let Some(items) = items else { return "none yet — Enter to enter it".to_string() };
    let failed: Vec<&str> = items.iter().filter(|i| !i.passed).map(|i| i.element.as_str()).collect();
    let counted = match failed.len() {
        0 => return format!("entered: checklist {0} of {0} passed", items.len()),
        1 => "entered: 1 item fails".to_string(),
        n => format!("entered: {n} items fail"),
    };
    let named = format!("{counted} ({})", failed.join(", "));
    if named.width() <= width { named } else { format!("{counted} — Enter to see which") }
}

/// What an empty field asks for.
fn placeholder(field: AuthField) -> &'static str {
    match field {
        AuthField::Patient => "(the patient, as the paper names them)",
        AuthField::Signer => "(who signed)",
        AuthField::Relationship => "(self, or the signer's authority)",
        AuthField::SignedOn | AuthField::ExpiresOn | AuthField::Received => "MM/DD/YYYY",
        AuthField::Discloser => "(who may disclose)",
        AuthField::Recipient => "(who receives)",
        AuthField::Information => "(what may be disclosed)",
        AuthField::Purpose => "(why)",
        AuthField::Event => "(an event, if no date)",
        _ => "",
    }
}

/// A checkbox's words.
fn box_words(field: AuthField) -> &'static str {
    match field {
        AuthField::Signature => "signed",
        AuthField::Revocation => "right to revoke",
        AuthField::Conditioning => "conditioning",
        AuthField::Redisclosure => "redisclosure",
        _ => "",
    }
}

/// The margin's words: the three statements share one.
fn margin(field: AuthField) -> &'static str {
    match field {
        AuthField::Revocation => "Statements",
        AuthField::Conditioning | AuthField::Redisclosure => "",
        other => other.label(),
    }
}

/// One row of the form: a field, its height at this width, and how it is drawn.
type Draw<'a> = Box<dyn Fn(&mut Frame, Rect) + 'a>;

pub fn render(frame: &mut Frame, area: Rect, state: &AuthState, theme: &Theme) {
    let [title_area, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(title(state, title_area.width, theme)), title_area);
    // The checklist takes what the form leaves it: at 80 columns 36, so that a passed element and
    // its finding share a line; wide, half, so that most reasons fit on one.
    let list_width = if body.width >= 100 { body.width / 2 } else { 36.min(body.width / 2) };
    let [form_area, rule_area, list_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(1), Constraint::Length(list_width)]).areas(body);
    form(frame, Rect { y: form_area.y + 1, height: form_area.height.saturating_sub(1), ..form_area }, state, theme);
    let rule: Vec<Line> = (0..rule_area.height).map(|_| Line::styled(theme.glyph("│", "|"), theme.muted)).collect();
    frame.render_widget(Paragraph::new(rule), rule_area);
    checklist(frame, list_area, state, theme);
}

/// `Authorization received for RGH-00002  GARCIA, MARIA L  MRN 204511`: the number and the MRN
/// whole, the name giving way.
fn title(state: &AuthState, width: u16, theme: &Theme) -> Line<'static> {
    let lead = match &state.target {
        AuthTarget::Request(r) => format!(" Authorization received for {}", r.number),
        AuthTarget::Intake => " Authorization with the new request".to_string(),
    };
    let mrn = format!("  MRN {}", clean(&state.setting.mrn));
    let room = usize::from(width).saturating_sub(lead.width() + 2 + mrn.width());
    Line::from(vec![
        Span::styled(lead, theme.header),
        Span::raw("  "),
        Span::styled(fit(&state.setting.patient, room.max(8), theme), theme.header),
        Span::raw(mrn),
    ])
}

fn form(frame: &mut Frame, area: Rect, state: &AuthState, theme: &Theme) {
    let value_width = usize::from(area.width.saturating_sub(LABEL)).max(8);
    let focused = |f: AuthField| state.focus == f;
    let label = move |f: AuthField| {
        let style = if focused(f) { theme.focus.patch(theme.header) } else { theme.muted };
        Span::styled(format!(" {:<w$}", margin(f), w = usize::from(LABEL) - 1), style)
    };
    let mut rows: Vec<(AuthField, u16, Draw<'_>)> = Vec::new();
    for f in state.order() {
        let problem: Vec<String> = match &state.problem {
            Some((at, message)) if *at == f => wrap(&clean(message), value_width),
            _ => Vec::new(),
        };
        let (lines, draw): (u16, Draw<'_>) = if f == AuthField::Kind {
            let kind = state.form.kind.map(|k| k.title()).unwrap_or("(choose)");
            let value = if focused(f) {
                Line::from(vec![
                    Span::styled(theme.glyph("◂ ", "< "), theme.key),
                    Span::styled(kind, theme.selected),
                    Span::styled(theme.glyph(" ▸", " >"), theme.key),
                ])
            } else {
                Line::from(kind)
            };
            (1, Box::new(move |frame, r| frame.render_widget(Paragraph::new(value.clone()), r)))
        } else if f.is_checkbox() {
            let mark = if state.ticked(f) { "[x]" } else { "[ ]" };
            let style = if focused(f) { theme.selected } else { theme.text };
            let words = format!("{mark} {}", box_words(f));
            (1, Box::new(move |frame, r| frame.render_widget(Paragraph::new(Span::styled(words.clone(), style)), r)))
        } else if focused(f) {
            let Some(input) = state.widget(f) else { continue };
            (1, Box::new(move |frame, r| frame.render_widget(&input.widget(true, theme.text), r)))
        } else {
            let text = clean(&state.text_of(f)).into_owned();
            let mut lines: Vec<Line> = if text.trim().is_empty() {
                vec![Line::styled(placeholder(f), theme.muted)]
            } else {
                wrap(&text, value_width).into_iter().map(Line::from).collect()
            };
            if state.date_problem(f).is_some()
                && let Some(first) = lines.first_mut()
            {
                first.push_span(Span::styled("  not a date", theme.warning));
            }
            (lines.len() as u16, Box::new(move |frame, r| frame.render_widget(Paragraph::new(lines.clone()), r)))
        };
        let problem_lines = problem.len() as u16;
        let height = lines + problem_lines;
        rows.push((
            f,
            height,
            Box::new(move |frame, r| {
                let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                frame.render_widget(Paragraph::new(label(f)), Rect { height: 1, ..l });
                draw(frame, Rect { height: lines.min(v.height), ..v });
                if problem_lines > 0 && v.height > lines {
                    let shown: Vec<Line> = problem.iter().map(|p| Line::styled(p.clone(), theme.warning)).collect();
                    frame.render_widget(Paragraph::new(shown), Rect { y: v.y + lines, height: v.height - lines, ..v });
                }
            }),
        ));
    }
    if let AuthTarget::Intake = state.target {
        let words = format!("with the request, {}", us_date(state.setting.checked_on));
        rows.push((
            AuthField::Received,
            1,
            Box::new(move |frame, r| {
                let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                frame.render_widget(Paragraph::new(Span::styled(" Received", theme.muted)), l);
                frame.render_widget(Paragraph::new(Span::styled(words.clone(), theme.muted)), v);
            }),
        ));
    }
    // The first row shown: as many from the top as let the focused one be seen whole.
    let heights: Vec<u16> = rows.iter().map(|(_, h, _)| *h).collect();
    let at = rows.iter().position(|(f, _, _)| *f == state.focus).unwrap_or(0);
    let mut first = 0;
    while first < at && heights[first..=at].iter().sum::<u16>() > area.height {
        first += 1;
    }
    let mut y = area.y;
    for (_, height, draw) in rows.into_iter().skip(first) {
        let height = height.min((area.y + area.height).saturating_sub(y));
        if height == 0 {
            break;
        }
        draw(frame, Rect { x: area.x, y, width: area.width, height });
        y += height;
    }
}

/// The checklist's lines at `width`: a passed element and its finding on one line when they fit;
/// a failed one with its reason wrapped under it, whole.
fn checklist_lines(items: &[ChecklistItem], width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for item in items {
        let (mark, style) =
            if item.passed { (theme.glyph("✓", "ok"), theme.text) } else { (theme.glyph("✗", "!!"), theme.danger) };
        let head = format!(" {mark} {}", item.element);
        let reason = clean(&item.reason).into_owned();
        if item.passed && head.width() + 1 + reason.width() <= width {
            lines.push(Line::from(vec![Span::styled(head, style), Span::raw(format!(" {reason}"))]));
            continue;
        }
        lines.push(Line::styled(head, style));
        // Under the element's name, a column short of the edge.
        for part in wrap(&reason, width.saturating_sub(4).max(8)) {
            lines.push(Line::raw(format!("   {part}")));
        }
    }
    lines
}

fn checklist(frame: &mut Frame, area: Rect, state: &AuthState, theme: &Theme) {
    let items = &state.checklist;
    let good = items.iter().filter(|i| i.passed).count();
    let count_style = if good == items.len() { theme.header } else { theme.danger };
    let head = Line::from(vec![
        Span::styled(" Checklist, if saved:", theme.header),
        Span::styled(format!(" {good} of {} pass", items.len()), count_style),
    ]);
    let [head_area, list] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    frame.render_widget(Paragraph::new(head), head_area);
    let lines = checklist_lines(items, usize::from(area.width), theme);
    let total = lines.len() as u16;
    if total <= list.height {
        frame.render_widget(Paragraph::new(lines), list);
        return;
    }
    // Longer than its room: the last line says where the clerk is and how to see the rest.
    let room = list.height.saturating_sub(1);
    let scroll = state.checklist_scroll.min(total - room);
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), Rect { height: room, ..list });
    let more = format!(" PgUp PgDn: lines {}-{} of {total}", scroll + 1, (scroll + room).min(total));
    frame.render_widget(Paragraph::new(Span::styled(more, theme.key)), Rect { y: list.y + room, height: 1, ..list });
}
