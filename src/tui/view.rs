//! Draws the whole frame from the model. Reads only; never changes business state.

use super::app::{App, Overlay, Screen};
use super::screens::{
    accounting, chart, file_room, lookup, privacy, queue, roi_authorization, roi_intake, roi_packet, roi_queue,
    roi_request, roi_stats,
};
use super::theme::Theme;
use super::widgets::chrome::{self, MIN_HEIGHT, MIN_WIDTH};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::widgets::Paragraph;

pub fn render(frame: &mut Frame, app: &App, theme: &Theme) {
    draw(frame, app, theme);
    if theme.ascii {
        asciify(frame.buffer_mut());
    }
}

/// In ASCII mode (a non-UTF-8 locale, `--ascii`), every cell leaves as ASCII, whatever the screen
/// or the data put there: one character per cell, so columns stay aligned.
fn asciify(buffer: &mut ratatui::buffer::Buffer) {
    for cell in buffer.content.iter_mut() {
        let symbol = cell.symbol();
        if symbol.is_ascii() {
            continue;
        }
        let replacement = match symbol.chars().next() {
            Some('↓') => 'v',
            Some('↑') => '^',
            Some('←') => '<',
            Some('→') => '>',
            Some('·' | '—' | '–' | '─') => '-',
            Some('…') => '.',
            Some('▌' | '▸') => '>',
            Some('†') => '+',
            Some('¶') => '#',
            Some('│') => '|',
            Some(c) => deunicode::deunicode_char(c)
                .and_then(|s| s.chars().next())
                .filter(char::is_ascii_graphic)
                .unwrap_or('?'),
            None => ' ',
        };
        cell.set_char(replacement);
    }
}

fn draw(frame: &mut Frame, app: &App, theme: &Theme) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let quit = app.keymap.key_for(super::keymap::Context::Global, super::action::Action::Quit);
        chrome::too_small(frame, area, quit.map(|k| k.to_string()));
        return;
    }
    // Nothing of the session shows behind these: a screen left alone shows no patient.
    if let Some(message) = &app.disabled {
        privacy::disabled(frame, message, theme);
        return;
    }
    if let Some(lock) = &app.lock {
        privacy::locked(frame, &app.header, lock, theme);
        return;
    }
    let banner_lines = match (app.screen, &app.chart) {
        (Screen::Chart, Some(state)) => chart::banner(&state.chart, app.today, area.width, theme),
        _ => Vec::new(),
    };
    let [header, banner, rule_top, body, rule_bottom, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_lines.len() as u16),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::header(frame, header, &app.header, theme);
    chrome::rule(frame, rule_top, theme);
    if app.outage.is_some() {
        chrome::outage(frame, rule_top, theme);
    }
    match (app.screen, &app.chart) {
        (Screen::Chart, Some(state)) => {
            frame.render_widget(Paragraph::new(banner_lines), banner);
            chart::render(frame, body, state, app.today, theme);
        }
        (Screen::Queue, _) => queue::render(frame, body, &app.queue, app.today, theme),
        (Screen::Roi, _) => roi_queue::render(frame, body, &app.roi.queue, app.today, theme),
        (Screen::Request, _) => match &app.roi.request {
            Some(state) => roi_request::render(frame, body, state, app.today, theme),
            None => roi_queue::render(frame, body, &app.roi.queue, app.today, theme),
        },
        (Screen::Accounting, _) => match &app.roi.accounting {
            Some(state) => accounting::render(frame, body, state, theme),
            None => lookup::render(frame, body, &app.lookup, theme),
        },
        (Screen::Intake, _) => match &app.roi.intake {
            Some(state) => {
                let checklist = app.intake_authorization_checklist();
                roi_intake::render(frame, body, state, checklist.as_deref(), theme)
            }
            None => lookup::render(frame, body, &app.lookup, theme),
        },
        (Screen::Packet, _) => match &app.roi.packet {
            Some(state) => roi_packet::render(frame, body, state, theme),
            None => lookup::render(frame, body, &app.lookup, theme),
        },
        (Screen::RoiStats, _) => match &app.roi.stats {
            Some(state) => roi_stats::render(frame, body, state, theme),
            None => roi_queue::render(frame, body, &app.roi.queue, app.today, theme),
        },
        (Screen::FileRoom, _) => match &app.file_room {
            Some(state) => file_room::render(frame, body, state, theme),
            None => lookup::render(frame, body, &app.lookup, theme),
        },
        (Screen::Authorization, _) => match &app.roi.authorization {
            Some(state) => roi_authorization::render(frame, body, state, theme),
            None => lookup::render(frame, body, &app.lookup, theme),
        },
        _ => lookup::render(frame, body, &app.lookup, theme),
    }
    chrome::rule(frame, rule_bottom, theme);
    if let Some(message) = &app.toast {
        chrome::toast(frame, rule_bottom, message, theme);
    }
    let section = match (app.screen, &app.chart) {
        (Screen::Chart, Some(c)) if c.document.is_none() => Some(c.section),
        _ => None,
    };
    let mut wanted = chrome::footer_actions(app.context(), section).to_vec();
    // Void is offered only to those who may void: a clerk never sees it.
    if app.screen == Screen::Accounting && app.roi.accounting.as_ref().is_some_and(|a| a.may_void) {
        wanted.insert(2, super::action::Action::VoidDisclosure);
    }
    // The file room's keys are its lists' own: filling is the pull list's, notices the overdue
    // list's; on the missing list a scan is what finds a volume.
    if let (super::keymap::Context::FileRoom, Some(room)) = (app.context(), app.file_room.as_ref()) {
        use super::action::Action::{FillRequest, NotFillable, PullListDate, WriteNotices};
        use super::screens::file_room::Tab;
        wanted.retain(|action| match room.tab {
            Tab::Overdue => ![FillRequest, NotFillable, PullListDate].contains(action),
            Tab::Missing => ![FillRequest, NotFillable, PullListDate, WriteNotices].contains(action),
            Tab::PullList => *action != WriteNotices,
            Tab::Scan => true,
        });
    }
    // Deliver likewise only to those who release records.
    if app.screen == Screen::Accounting
        && crate::domain::role::allows(&app.header.roles, crate::domain::role::Permission::ReleaseRecords)
    {
        wanted.insert(2, super::action::Action::DeliverAccounting);
    }
    let requests = app.chart.as_ref().is_some_and(|c| c.requests.is_some());
    let hints: &[(super::action::Action, &str)] = match section {
        Some(chart::Section::Releases) if requests => &[(super::action::Action::OpenSelected, "open request")],
        _ => &[],
    };
    // A box over the screen takes the keys and says its own: the screen's keys and digits under it
    // would offer what the box types or ignores.
    let (context, wanted) =
        if app.overlay.is_some() { (super::keymap::Context::Find, Vec::new()) } else { (app.context(), wanted) };
    chrome::footer(frame, footer, &app.keymap, context, &wanted, hints, app.screen, app.chart.is_some(), theme);
    match &app.overlay {
        Some(Overlay::Help { scroll }) => chrome::help(frame, body, &app.keymap, *scroll, theme),
        Some(Overlay::Messages { scroll }) => chrome::messages(frame, body, &app.messages, *scroll, theme),
        Some(Overlay::Palette(state)) => chrome::palette(frame, body, state, theme),
        Some(Overlay::Confirm { prompt, .. }) => chrome::confirm(frame, body, prompt, theme),
        Some(Overlay::Draft(offer)) => chrome::confirm(frame, body, &offer.prompt, theme),
        Some(Overlay::DiscardAuthorization { prompt }) => chrome::confirm(frame, body, prompt, theme),
        Some(Overlay::ProceedOrWithdraw { prompt, .. }) => chrome::confirm(frame, body, prompt, theme),
        Some(Overlay::BreakGlass(form)) => {
            // Over the footer too: the screen's keys beneath are not the warning's.
            let below = ratatui::layout::Rect::new(area.x, body.y, area.width, area.height.saturating_sub(body.y));
            privacy::break_glass(frame, below, form, theme)
        }
        Some(Overlay::ReleaseSignature(form)) => privacy::release_signature(frame, body, form, theme),
        Some(Overlay::Privacy { scroll, rows }) => privacy::privacy(frame, body, rows, *scroll, theme),
        None => {}
    }
}
