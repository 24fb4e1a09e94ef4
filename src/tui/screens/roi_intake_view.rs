//! The intake form drawn: the patient it is for above, its fields one to a line (the requester's
//! matches under it while it has focus, the purpose in a box while it is typed), and the patient's
//! requests over it before a number is issued.

use super::super::theme::Theme;
use super::super::widgets::chrome::wrap;
use super::roi_intake::{Field, IntakeCheck, IntakeState, REQUESTER_CHOICES, Stage, requester_label};
use super::roi_queue::{status_short, type_short};
use crate::desk::roi::IntakeRequester;
use crate::domain::dates::us_date;
use crate::domain::roi::{Delivery, ReceivedVia, RecordFormat, RequestType, Requester};
use crate::domain::text::clean;
use crate::store::roi::RoiQueueRow;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState};
use unicode_width::UnicodeWidthStr;

/// The margin of the labels: ` Authorization `.
const LABEL: u16 = 15;

/// One line (or several) of the form, drawn where the layout puts it.
type Draw<'a> = Box<dyn Fn(&mut Frame, Rect) + 'a>;

/// `authorization`: the checklist of the authorization entered, as logging will run it.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &IntakeState,
    authorization: Option<&[crate::domain::roi::ChecklistItem]>,
    theme: &Theme,
) {
    let d = &state.form;
    let p = &state.patient;
    let mut title = vec![
        Span::styled(format!(" New request at {}", clean(&d.facility)), theme.header),
        Span::styled(format!("  {}", clean(&p.name)), theme.header),
        Span::raw(format!("  MRN {}", clean(&p.mrn))),
    ];
    if let Some(dob) = p.birth_date {
        title.push(Span::raw(format!("  DOB {}", us_date(dob))));
    }
    let title_of = |o: Option<&'static str>| o.unwrap_or("(choose)");
    let saved = if state.saved_once && !state.unsaved { "draft kept " } else { "" };
    let [title_area, form_area] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let [t_left, t_right] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(saved.width() as u16)]).areas(title_area);
    frame.render_widget(Paragraph::new(Line::from(title)), t_left);
    frame.render_widget(Paragraph::new(saved).style(theme.muted).right_aligned(), t_right);

    let focused = |f: Field| state.focus == f && state.stage == Stage::Editing;
    let label = |f: Field, text: &str| {
        let style = if focused(f) { theme.focus.patch(theme.header) } else { theme.muted };
        // A space after the longest label too: a label never runs into its value.
        Span::styled(format!(" {text:<w$} ", w = usize::from(LABEL) - 2), style)
    };
    let choice = |f: Field, value: &str| -> Line<'static> {
        if focused(f) {
            Line::from(vec![
                Span::styled(theme.glyph("◂ ", "< "), theme.key),
                Span::styled(value.to_string(), theme.selected),
                Span::styled(theme.glyph(" ▸", " >"), theme.key),
            ])
        } else {
            Line::from(value.to_string())
        }
    };
    let mut rows: Vec<(u16, Draw<'_>)> = Vec::new();
    // Requester, and the address book's matches under it while it has focus.
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
            frame.render_widget(Paragraph::new(label(Field::Requester, "Requester")), l);
            if !focused(Field::Requester) {
                let shown = match (&d.requester, &state.requester_label) {
                    (IntakeRequester::Existing(_), Some(label)) => Line::from(clean(label).into_owned()),
                    (IntakeRequester::Existing(_), None) => Line::from("(from the address book)"),
                    (IntakeRequester::New(n), _) if state.new_requester => Line::from(vec![
                        Span::raw(clean(&n.name).into_owned()),
                        Span::styled("  (new to the address book)", theme.muted),
                    ]),
                    _ if state.requester_query().is_empty() => Line::styled("(type a name)", theme.muted),
                    _ => Line::styled(format!("{}  (not chosen)", clean(&state.requester_query())), theme.warning),
                };
                frame.render_widget(Paragraph::new(shown), v);
            } else {
                frame.render_widget(&state.requester_field.widget(true, theme.text), v);
            }
        }),
    ));
    if focused(Field::Requester) {
        let shown: Vec<&Requester> = state.matches.iter().take(REQUESTER_CHOICES).collect();
        let lines = shown.len() as u16 + 1;
        rows.push((
            lines,
            Box::new(move |frame, r| {
                let [_, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                let mut out = Vec::new();
                for (i, req) in shown.iter().enumerate() {
                    let mut text = requester_label(req);
                    let address = clean(&req.address.replace('\n', ", ")).into_owned();
                    if !address.trim().is_empty() {
                        text.push_str(&format!(" — {address}"));
                    }
                    let text = super::queue::fit(&text, usize::from(v.width).saturating_sub(2), theme);
                    let style = if i == state.highlighted { theme.selected } else { theme.text };
                    out.push(Line::styled(format!(" {text}"), style));
                }
                let query = clean(&state.requester_query()).trim().to_string();
                let new = if query.is_empty() {
                    "+ new requester".to_string()
                } else {
                    format!("+ new requester \"{query}\"")
                };
                let style = if state.highlighted >= shown.len() { theme.selected } else { theme.muted };
                out.push(Line::styled(format!(" {new}"), style));
                frame.render_widget(Paragraph::new(out), v);
            }),
        ));
    }
    if let (IntakeRequester::New(n), true) = (&d.requester, state.new_requester) {
        rows.push((
            1,
            Box::new(move |frame, r| {
                let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                frame.render_widget(Paragraph::new(label(Field::Kind, " Kind")), l);
                frame.render_widget(Paragraph::new(choice(Field::Kind, n.kind.title())), v);
            }),
        ));
        for (f, text, input) in [
            (Field::Name, " Name", &state.name),
            (Field::Organization, " Organization", &state.organization),
            (Field::Address, " Address", &state.address),
        ] {
            rows.push((
                1,
                Box::new(move |frame, r| {
                    let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                    frame.render_widget(Paragraph::new(label(f, text)), l);
                    frame.render_widget(&input.widget(focused(f), theme.text), v);
                }),
            ));
        }
    }
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
            frame.render_widget(Paragraph::new(label(Field::Type, "Type")), l);
            frame.render_widget(
                Paragraph::new(choice(Field::Type, title_of(d.request_type.map(RequestType::title)))),
                v,
            );
        }),
    ));
    // The purpose: several lines, in a box while it has focus.
    let purpose_lines = if focused(Field::Purpose) { 5 } else { d.purpose.lines().count().clamp(1, 3) as u16 };
    rows.push((
        purpose_lines,
        Box::new(move |frame, r| {
            let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
            frame.render_widget(Paragraph::new(label(Field::Purpose, "Purpose")), l);
            if focused(Field::Purpose) {
                let mut area = state.purpose.clone();
                area.set_style(theme.text);
                area.set_block(
                    Block::default().borders(Borders::ALL).border_set(theme.border).border_style(theme.focus),
                );
                frame.render_widget(&area, v);
            } else if d.purpose.trim().is_empty() {
                frame.render_widget(Paragraph::new("(what the records are for)").style(theme.muted), v);
            } else {
                let width = usize::from(v.width).max(10);
                let mut lines: Vec<String> = d.purpose.lines().flat_map(|l| wrap(&clean(l), width)).collect();
                if lines.len() > usize::from(purpose_lines) {
                    lines.truncate(usize::from(purpose_lines));
                    if let Some(last) = lines.last_mut() {
                        *last = super::queue::fit(&format!("{last} …"), width, theme);
                    }
                }
                frame.render_widget(Paragraph::new(lines.into_iter().map(Line::from).collect::<Vec<_>>()), v);
            }
        }),
    ));
    if state.shows_authorization() {
        let width = usize::from(form_area.width.saturating_sub(LABEL)).max(10);
        let words = super::roi_authorization::summary(authorization, width);
        let style = match authorization {
            _ if focused(Field::Authorization) => theme.selected,
            None => theme.warning,
            Some(items) if items.iter().all(|i| i.passed) => theme.text,
            Some(_) => theme.danger,
        };
        let lines: Vec<Line> = wrap(&words, width).into_iter().map(|l| Line::styled(l, style)).collect();
        rows.push((
            lines.len() as u16,
            Box::new(move |frame, r| {
                let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                frame.render_widget(Paragraph::new(label(Field::Authorization, "Authorization")), l);
                frame.render_widget(Paragraph::new(lines.clone()), v);
            }),
        ));
    }
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
            frame.render_widget(Paragraph::new(label(Field::EntireRecord, "Scope")), l);
            let entire = d.scope.entire_record;
            let mark = if entire { "[x]" } else { "[ ]" };
            let style = if focused(Field::EntireRecord) { theme.selected } else { theme.text };
            let mut spans = vec![Span::styled(format!("{mark} entire record"), style)];
            if !entire {
                spans.push(Span::styled("   from ", if focused(Field::From) { theme.focus } else { theme.muted }));
            }
            frame.render_widget(Paragraph::new(Line::from(spans)), v);
            if !entire {
                // `[x] entire record   from ` then the dates' fields.
                let x = v.x + 24;
                let width = v.width.saturating_sub(24);
                let [from, to_label, to] =
                    Layout::horizontal([Constraint::Length(11), Constraint::Length(4), Constraint::Length(11)])
                        .areas(Rect { x, width, ..v });
                // An empty date says what it wants.
                for (f, input, at) in [(Field::From, &state.from, from), (Field::To, &state.to, to)] {
                    if input.text().is_empty() && !focused(f) {
                        frame.render_widget(Paragraph::new("MM/DD/YYYY").style(theme.muted), at);
                    } else {
                        frame.render_widget(&input.widget(focused(f), theme.text), at);
                    }
                }
                frame.render_widget(
                    Paragraph::new(" to").style(if focused(Field::To) { theme.focus } else { theme.muted }),
                    to_label,
                );
            }
        }),
    ));
    if !d.scope.entire_record {
        rows.push((
            1,
            Box::new(move |frame, r| {
                let [l, v] = Layout::horizontal([Constraint::Length(LABEL), Constraint::Fill(1)]).areas(r);
                frame.render_widget(Paragraph::new(label(Field::DocumentTypes, "  Types")), l);
                if d.scope.document_types.is_empty() && !focused(Field::DocumentTypes) {
                    frame.render_widget(Paragraph::new("document types: DS, HP, OP…").style(theme.muted), v);
                } else {
                    frame.render_widget(&state.document_types.widget(focused(Field::DocumentTypes), theme.text), v);
                }
            }),
        ));
    }
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v, l2, v2] = Layout::horizontal([
                Constraint::Length(LABEL),
                Constraint::Length(20),
                Constraint::Length(10),
                Constraint::Fill(1),
            ])
            .areas(r);
            frame.render_widget(Paragraph::new(label(Field::Format, "Format")), l);
            frame.render_widget(Paragraph::new(choice(Field::Format, title_of(d.format.map(RecordFormat::title)))), v);
            frame.render_widget(Paragraph::new(label(Field::Delivery, "Delivery")), l2);
            frame.render_widget(Paragraph::new(choice(Field::Delivery, title_of(d.delivery.map(Delivery::title)))), v2);
        }),
    ));
    rows.push((
        1,
        Box::new(move |frame, r| {
            let [l, v, l2, v2] = Layout::horizontal([
                Constraint::Length(LABEL),
                Constraint::Length(20),
                Constraint::Length(10),
                Constraint::Fill(1),
            ])
            .areas(r);
            frame.render_widget(Paragraph::new(label(Field::Received, "Received")), l);
            let [date, _] = Layout::horizontal([Constraint::Length(11), Constraint::Fill(1)]).areas(v);
            frame.render_widget(&state.received.widget(focused(Field::Received), theme.text), date);
            frame.render_widget(Paragraph::new(label(Field::Via, "Via")), l2);
            frame.render_widget(
                Paragraph::new(choice(Field::Via, title_of(d.received_via.map(ReceivedVia::title)))),
                v2,
            );
        }),
    ));

    let mut y = form_area.y + 1;
    for (height, draw) in rows {
        let height = height.min((form_area.y + form_area.height).saturating_sub(y));
        if height == 0 {
            break;
        }
        draw(frame, Rect { x: form_area.x, y, width: form_area.width, height });
        y += height;
    }

    match &state.stage {
        Stage::Checking | Stage::Logging => {
            let text = if state.stage == Stage::Checking {
                " Looking for this patient's requests before a number is issued…"
            } else {
                " Logging…"
            };
            let bottom = Rect { y: form_area.y + form_area.height.saturating_sub(1), height: 1, ..form_area };
            frame.render_widget(Paragraph::new(text).style(theme.muted), bottom);
        }
        Stage::Choosing(check) => choosing(frame, form_area, check, theme),
        Stage::Editing => {}
    }
}

/// Before a number is issued: the patient's last four requests and the open ones from the same
/// requester, and what each key does.
fn choosing(frame: &mut Frame, area: Rect, check: &IntakeCheck, theme: &Theme) {
    let room = usize::from(area.width.saturating_sub(4)).max(10);
    let open = &check.open_same;
    let said = if open.is_empty() {
        "No open request from this requester for this patient: logging issues a new number.".to_string()
    } else {
        format!(
            "This requester has {} for this patient. A request sent again is a follow-up on it: no new \
             number, and its clock is not started again.",
            if open.len() == 1 { "an open request".to_string() } else { format!("{} open requests", open.len()) }
        )
    };
    let said: Vec<Line> = wrap(&said, room)
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), if open.is_empty() { theme.text } else { theme.warning }))
        .collect();
    let keys = if open.is_empty() {
        "Enter logs it · Esc goes back to the form"
    } else {
        "f logs a follow-up on the highlighted request · n logs a new request, with its own clock · Esc goes back \
         to the form"
    };
    let keys: Vec<Line> = wrap(keys, room).into_iter().map(|l| Line::styled(format!(" {l}"), theme.key)).collect();
    let recent_h = if check.recent.is_empty() { 1 } else { check.recent.len() as u16 + 1 };
    let open_h = if open.is_empty() { 0 } else { open.len() as u16 + 3 };
    let height = (said.len() as u16 + 1 + 1 + recent_h + open_h + 1 + keys.len() as u16 + 2).min(area.height);
    let popup = Rect { x: area.x, y: area.y + area.height.saturating_sub(height), width: area.width, height };
    frame.render_widget(Clear, popup);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border)
        .border_style(theme.warning)
        .title(" Before a number is issued ");
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    let [said_area, _, recent_title, recent_area, open_area, _, keys_area] = Layout::vertical([
        Constraint::Length(said.len() as u16),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(recent_h),
        Constraint::Length(open_h),
        Constraint::Length(1),
        Constraint::Length(keys.len() as u16),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(said), said_area);
    frame.render_widget(Paragraph::new(" This patient's last requests").style(theme.header), recent_title);
    if check.recent.is_empty() {
        frame.render_widget(Paragraph::new(" None: this is the patient's first.").style(theme.muted), recent_area);
    } else {
        mini_table(frame, recent_area, &check.recent, None, theme);
    }
    if !open.is_empty() {
        let [gap_title, table] = Layout::vertical([Constraint::Length(2), Constraint::Fill(1)]).areas(open_area);
        let title = Rect { y: gap_title.y + 1, height: 1, ..gap_title };
        frame.render_widget(Paragraph::new(" Open from this requester").style(theme.header), title);
        mini_table(frame, table, open, Some(check.selected), theme);
    }
    frame.render_widget(Paragraph::new(keys), keys_area);
}

fn mini_table(frame: &mut Frame, area: Rect, rows: &[RoiQueueRow], selected: Option<usize>, theme: &Theme) {
    // One column in, as the lines above it.
    let area = Rect { x: area.x + 1, width: area.width.saturating_sub(1), ..area };
    let number = rows.iter().map(|r| r.number.to_string().width()).max().unwrap_or(9).max(6) as u16;
    let fixed = number + 8 + 5 + 6 + 8 + 5;
    let requester = area.width.saturating_sub(fixed).max(8);
    let table_rows: Vec<Row> = rows
        .iter()
        .map(|r| {
            Row::new(vec![
                r.number.to_string(),
                r.received_on.format("%m/%d/%y").to_string(),
                super::queue::fit(&r.requester, usize::from(requester), theme),
                type_short(r.request_type).to_string(),
                status_short(r.status).to_string(),
                r.due_on.map_or_else(|| super::roi_queue::undated(r).to_string(), |d| d.format("%m/%d/%y").to_string()),
            ])
        })
        .collect();
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(number),
            Constraint::Length(8),
            Constraint::Length(requester),
            Constraint::Length(5),
            Constraint::Length(6),
            Constraint::Length(8),
        ],
    )
    .header(Row::new(vec!["NUMBER", "RECEIVED", "REQUESTER", "TYPE", "ST", "DUE"]).style(theme.muted))
    .column_spacing(1)
    .row_highlight_style(theme.selected);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}
