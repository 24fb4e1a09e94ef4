//! One release-of-information request: who asks for whose records, where it stands and what it
//! may do next, its clocks with the rule of each (the due one marked), the authorization's
//! checklist, the follow-ups, the letters it produced and its whole history.

use super::super::theme::Theme;
use super::queue::fit;
use super::roi_queue::{WARN_DAYS, days_left};
use crate::domain::dates::us_date;
use crate::domain::text::{clean, clean_multiline};
use crate::store::roi::RoiRequest;
use crate::tui::widgets::chrome::wrap;
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Details,
    Clocks,
    /// The quote or invoice: its lines, paid and balance.
    Fee,
    Checklist,
    FollowUps,
    Letters,
    History,
}

impl Part {
    pub const ALL: [Self; 7] =
        [Self::Details, Self::Clocks, Self::Fee, Self::Checklist, Self::FollowUps, Self::Letters, Self::History];

    fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }
}

/// A step the request may take next, as the screen offers it: its key and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offered {
    pub key: String,
    pub label: String,
}

#[derive(Debug)]
pub struct RequestState {
    pub request: RoiRequest,
    pub part: Part,
    /// The first line shown of each part.
    scroll: [u16; 7],
    /// The next steps and other actions the clerk may take, keyed, worked out by the model from
    /// `domain::roi::status` and the clerk's roles.
    pub offered: Vec<Offered>,
    /// The facility's time zone, for the times a clerk reads (history, letters, logged); UTC, and
    /// said so, when the facility names none this program knows.
    pub zone: Option<chrono_tz::Tz>,
    /// Whether the clerk may write off, refund or void an invoice (supervisor, Director): the Fee
    /// part offers those keys only to them.
    pub may_adjust: bool,
}

/// `at` on the facility's wall clock (`03/06/2025 14:05`), as the history shows it under its
/// heading, which says UTC when the facility's zone is not known.
fn wall(zone: Option<chrono_tz::Tz>, at: chrono::DateTime<chrono::Utc>) -> String {
    match zone {
        Some(tz) => at.with_timezone(&tz).format("%m/%d/%Y %H:%M").to_string(),
        None => at.format("%m/%d/%Y %H:%M").to_string(),
    }
}

/// `at` as a line of its own says it: UTC named when that is what it is.
fn stamp(zone: Option<chrono_tz::Tz>, at: chrono::DateTime<chrono::Utc>) -> String {
    if zone.is_some() { wall(zone, at) } else { format!("{} UTC", wall(zone, at)) }
}

/// The facility's day `at` fell on: a letter written at 8 p.m. in Chicago is dated that day.
fn local_day(zone: Option<chrono_tz::Tz>, at: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    match zone {
        Some(tz) => at.with_timezone(&tz).date_naive(),
        None => at.date_naive(),
    }
}

impl RequestState {
    pub fn new(request: RoiRequest) -> Self {
        // A request held up by its checklist opens on it: that is what the clerk must fix.
        let failed = request.authorizations.last().is_some_and(|a| a.checklist.iter().any(|i| !i.passed));
        let part = if failed { Part::Checklist } else { Part::Details };
        Self { request, part, scroll: [0; 7], offered: Vec::new(), zone: None, may_adjust: false }
    }

    /// The same request read again: the part and its scroll stay. Whether anything changed.
    pub fn refresh(&mut self, request: RoiRequest) -> bool {
        let changed = request != self.request;
        self.request = request;
        changed
    }

    pub fn next_part(&mut self, step: isize) {
        let n = Part::ALL.len() as isize;
        let i = (self.part.index() as isize + step).rem_euclid(n);
        self.part = Part::ALL[i as usize];
    }

    pub fn scroll(&mut self, delta: isize) {
        let i = self.part.index();
        self.scroll[i] = (self.scroll[i] as isize).saturating_add(delta).clamp(0, u16::MAX as isize) as u16;
    }

    pub fn scroll_to(&mut self, line: u16) {
        self.scroll[self.part.index()] = line;
    }

    /// The failed checklist items of the latest authorization.
    pub fn failed(&self) -> usize {
        self.request.authorizations.last().map_or(0, |a| a.checklist.iter().filter(|i| !i.passed).count())
    }
}

/// The due date as a clerk reads it: `03/24/2025 (TX-181.102: 15 business days) · 7 days left`.
pub fn due_words(request: &RoiRequest, today: NaiveDate) -> (String, bool, bool) {
    // The due date kept with the request already counts the extension: it moves HIPAA's clock
    // only, and a shorter state clock still binds (AS-15; `roi extend` says so too).
    let due = request.due.due_on;
    let rule = clean(&request.due.due_rule).into_owned();
    match due {
        Some(on) => {
            let left = days_left(on, today);
            let open = request.status.is_open();
            let mut text = format!("{} ({rule})", us_date(on));
            if let Some(extended) = request.extended_due_on.filter(|e| *e != on) {
                text = format!("{text} · HIPAA's clock extended to {}; this one still binds", us_date(extended));
            }
            if open {
                text.push_str(&match left {
                    l if l < 0 => format!(" · ! {} overdue", plural(-l, "day", "days")),
                    0 => " · due today".to_string(),
                    l => format!(" · {} left", plural(l, "day", "days")),
                });
            }
            (text, open && left < 0, open && (0..=WARN_DAYS).contains(&left))
        }
        // No date: a clock waits for something (payment), or none applies; the rule says which.
        None if request.due.clocks.iter().any(|c| c.waits_for.is_some()) => (format!("none yet: {rule}"), false, false),
        None => (rule, false, false),
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The lines above the parts: what the request is, where it stands, and when it is due.
pub fn summary(state: &RequestState, today: NaiveDate, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let r = &state.request;
    let width = usize::from(width);
    let status = match &r.status_reason {
        Some(reason) if !reason.trim().is_empty() => format!("{}: {}", r.status.title(), clean(reason)),
        _ => r.status.title().to_string(),
    };
    let mut lines = Vec::new();
    // The number, the patient's MRN and the status are never cut: the name gives way first.
    let fixed = format!("  MRN {}  {}", r.mrn, r.request_type.title());
    let room = width.saturating_sub(1 + r.number.to_string().width() + 2 + fixed.width());
    lines.push(Line::from(vec![
        Span::styled(format!(" {}", r.number), theme.header),
        Span::raw("  "),
        Span::styled(fit(&r.patient_name, room.max(8), theme), theme.header),
        Span::raw(fixed),
    ]));
    let status_style = if r.status.is_open() { theme.text } else { theme.muted };
    for (i, part) in wrap(&status, width.saturating_sub(9)).into_iter().enumerate() {
        let label = if i == 0 { " Status  " } else { "         " };
        lines.push(Line::from(vec![Span::styled(label, theme.muted), Span::styled(part, status_style)]));
    }
    let requester = &r.requester;
    let mut from = clean(&requester.name).into_owned();
    if !requester.organization.trim().is_empty() && requester.organization != requester.name {
        from.push_str(&format!(", {}", clean(&requester.organization)));
    }
    from.push_str(&format!(
        " ({}) · {} {}",
        requester.kind.title().to_lowercase(),
        r.received_via.title().to_lowercase(),
        us_date(r.received_on)
    ));
    for (i, part) in wrap(&from, width.saturating_sub(9)).into_iter().enumerate() {
        let label = if i == 0 { " From    " } else { "         " };
        lines.push(Line::from(vec![Span::styled(label, theme.muted), Span::raw(part)]));
    }
    let (due, overdue, soon) = due_words(r, today);
    let mut due_line = due;
    match &r.assigned_to {
        Some(who) => due_line.push_str(&format!(" · assigned to {}", clean(who))),
        None => due_line.push_str(" · assigned to nobody"),
    }
    let style = if overdue {
        theme.danger
    } else if soon {
        theme.warning
    } else {
        theme.text
    };
    for (i, part) in wrap(&due_line, width.saturating_sub(9)).into_iter().enumerate() {
        let label = if i == 0 { " Due     " } else { "         " };
        lines.push(Line::from(vec![Span::styled(label, theme.muted), Span::styled(part, style)]));
    }
    if !state.offered.is_empty() {
        let mut spans = vec![Span::styled(" Next    ", theme.muted)];
        let mut used = 9;
        for (i, o) in state.offered.iter().enumerate() {
            let piece = o.key.width() + 1 + o.label.width() + if i > 0 { 2 } else { 0 };
            if used + piece > width {
                lines.push(Line::from(std::mem::take(&mut spans)));
                spans.push(Span::raw("         "));
                used = 9;
            } else if i > 0 {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(o.key.clone(), theme.key));
            spans.push(Span::raw(format!(" {}", o.label)));
            used += piece;
        }
        lines.push(Line::from(spans));
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, state: &RequestState, today: NaiveDate, theme: &Theme) {
    let r = &state.request;
    let summary = summary(state, today, area.width, theme);
    let [summary_area, tabs_area, rule_area, body] = Layout::vertical([
        Constraint::Length(summary.len() as u16),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(summary), summary_area);

    let failed = state.failed();
    let checklist = match (r.authorizations.last(), failed) {
        (None, _) => "Checklist".to_string(),
        (Some(_), 0) => "Checklist ✓".to_string(),
        (Some(_), n) => format!("Checklist ({n} failed)"),
    };
    // A count says there is something to read; none says nothing.
    let counted = |label: &str, n: usize| if n == 0 { label.to_string() } else { format!("{label} ({n})") };
    let mut labels = [
        "Details".to_string(),
        counted("Clocks", r.due.clocks.len()),
        "Fee".to_string(),
        checklist,
        counted("Follow-ups", r.follow_ups.len()),
        counted("Letters", r.letters.len()),
        counted("History", r.history.len()),
    ];
    let fits = |labels: &[String], pad: usize, sep: usize| {
        labels.iter().map(|l| l.width() + 2 * pad).sum::<usize>() + 1 + sep * (labels.len() - 1)
            <= usize::from(tabs_area.width)
    };
    // Tight: the failed count says its word by the danger mark, so that no count is cut.
    if !fits(&labels, 0, 1) && failed > 0 {
        labels[3] = format!("Checklist ({failed} ✗)");
    }
    let (pad, sep) = [(1, 3), (0, 3), (0, 1)].into_iter().find(|(p, s)| fits(&labels, *p, *s)).unwrap_or((0, 1));
    let pad = " ".repeat(pad);
    let mut spans = vec![Span::raw(" ")];
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(
                if sep == 3 { theme.glyph(" │ ", " | ") } else { theme.glyph("│", "|") },
                theme.muted,
            ));
        }
        let label = if theme.ascii { label.replace('✓', "ok").replace('✗', "!!") } else { label.clone() };
        let mut style = if Part::ALL[i] == state.part { theme.selected.patch(theme.header) } else { theme.text };
        if Part::ALL[i] == Part::Checklist && failed > 0 && Part::ALL[i] != state.part {
            style = theme.danger;
        }
        spans.push(Span::styled(format!("{pad}{label}{pad}"), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs_area);
    frame.render_widget(Paragraph::new(theme.rule.repeat(rule_area.width as usize)).style(theme.muted), rule_area);

    let scroll = state.scroll[state.part.index()];
    match state.part {
        Part::Details => {
            let lines = details(r, state.zone, body.width, theme);
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), body);
        }
        Part::Clocks => {
            if r.due.clocks.is_empty() {
                frame.render_widget(Paragraph::new(" No clock applies.").style(theme.muted), body);
                return;
            }
            let due_rule = r.due.due_rule.as_str();
            let rule_width = r.due.clocks.iter().map(|c| clean(&c.rule).width()).max().unwrap_or(4).max(4);
            let rows: Vec<Row> = r
                .due
                .clocks
                .iter()
                .map(|c| {
                    // The clock that set the due date: the one whose code (or words) it names.
                    let sets = c.due_on.is_some()
                        && c.due_on == r.due.due_on
                        && (due_rule.contains(&c.code) || due_rule == c.rule);
                    let when = match (c.due_on, &c.waits_for) {
                        (Some(on), _) => us_date(on),
                        (None, Some(what)) => format!("waits for {}", clean(what)),
                        (None, None) => "no date".to_string(),
                    };
                    let row = Row::new(vec![
                        if sets { theme.glyph("▸", ">").to_string() } else { " ".to_string() },
                        clean(&c.rule).into_owned(),
                        when,
                        if sets { "due".to_string() } else { String::new() },
                    ]);
                    if sets { row.style(theme.header) } else { row }
                })
                .collect();
            let mut rows = rows;
            if let Some(extended) = r.extended_due_on {
                let noticed = r.extension_noticed_on.map(|d| format!(", noticed {}", us_date(d))).unwrap_or_default();
                let why = r.extension_reason.as_deref().map(|w| format!(": {}", clean(w))).unwrap_or_default();
                // The extension sets the due date only when no shorter clock binds.
                let sets = r.due.due_on == Some(extended);
                let row = Row::new(vec![
                    if sets { theme.glyph("▸", ">").to_string() } else { " ".to_string() },
                    format!("Extension{noticed}{why}"),
                    us_date(extended),
                    if sets { "due".to_string() } else { String::new() },
                ]);
                rows.push(if sets { row.style(theme.header) } else { row });
            }
            let table = Table::new(
                rows,
                [
                    Constraint::Length(1),
                    Constraint::Length(rule_width.min(usize::from(body.width).saturating_sub(30)) as u16),
                    Constraint::Length(17),
                    Constraint::Fill(1),
                ],
            )
            .header(Row::new(vec!["", "RULE", "DATE", ""]).style(theme.header))
            .column_spacing(1);
            frame.render_widget(table, body);
        }
        Part::Checklist => {
            let Some(auth) = r.authorizations.last() else {
                frame.render_widget(
                    Paragraph::new(" No authorization on file: this request type needs none, or it has not come.")
                        .style(theme.muted)
                        .wrap(Wrap { trim: false }),
                    body,
                );
                return;
            };
            let element_width = auth.checklist.iter().map(|i| i.element.width()).max().unwrap_or(7).max(7);
            let reason_width = usize::from(body.width).saturating_sub(element_width + 4 + 3).max(10);
            let mut lines = vec![Line::styled(
                format!(
                    " {} signed {} by {}, received {}{}",
                    auth.form.kind.map(|k| k.title()).unwrap_or("Authorization"),
                    auth.form.signed_on.map(us_date).unwrap_or_else(|| "(no date)".into()),
                    if auth.form.signer.trim().is_empty() {
                        "(no signer)".to_string()
                    } else {
                        clean(&auth.form.signer).into_owned()
                    },
                    us_date(auth.received_on),
                    if r.authorizations.len() > 1 {
                        format!(" ({} of {})", r.authorizations.len(), r.authorizations.len())
                    } else {
                        String::new()
                    },
                ),
                theme.muted,
            )];
            for item in &auth.checklist {
                let mark = if item.passed { theme.glyph("✓", "ok") } else { theme.glyph("✗", "!!") };
                let style = if item.passed { theme.text } else { theme.danger };
                for (i, part) in wrap(&clean(&item.reason), reason_width).into_iter().enumerate() {
                    let head = if i == 0 {
                        format!(" {mark:<2} {:<w$} ", item.element, w = element_width)
                    } else {
                        " ".repeat(element_width + 5)
                    };
                    lines.push(Line::from(vec![Span::styled(head, style), Span::raw(part)]));
                }
            }
            frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
        }
        Part::FollowUps => {
            if r.follow_ups.is_empty() {
                frame.render_widget(
                    Paragraph::new(" No follow-up: the requester has not sent this request again.").style(theme.muted),
                    body,
                );
                return;
            }
            let note = usize::from(body.width).saturating_sub(1 + 10 + 10 + 10 + 3).max(10);
            let rows: Vec<Row> = r
                .follow_ups
                .iter()
                .map(|f| {
                    let notes = wrap(&clean(&f.note), note);
                    let height = notes.len().max(1) as u16;
                    Row::new(vec![
                        Text::from(us_date(f.received_on)),
                        Text::from(f.received_via.title().to_string()),
                        Text::from(notes.into_iter().map(Line::from).collect::<Vec<_>>()),
                        Text::from(clean(&f.by).into_owned()),
                    ])
                    .height(height)
                })
                .collect();
            table(frame, body, rows, &["RECEIVED", "VIA", "NOTE", "BY"], [10, 10, note as u16, 10], scroll, theme);
        }
        Part::Letters => {
            if r.letters.is_empty() {
                frame.render_widget(Paragraph::new(" No letter yet.").style(theme.muted), body);
                return;
            }
            let rows: Vec<Row> = r
                .letters
                .iter()
                .map(|l| {
                    Row::new(vec![
                        us_date(local_day(state.zone, l.at)),
                        l.kind.title().to_string(),
                        format!("v{}", l.template_version),
                        clean(&l.by).into_owned(),
                    ])
                })
                .collect();
            table(frame, body, rows, &["DATE", "LETTER", "TEMPLATE", "BY"], [10, 24, 8, 12], scroll, theme);
        }
        Part::History => {
            let detail = usize::from(body.width).saturating_sub(1 + 16 + 10 + 2).max(10);
            let rows: Vec<Row> = r
                .history
                .iter()
                .rev()
                .map(|h| {
                    let mut words = clean(&h.detail).into_owned();
                    if h.from_status.is_some_and(|from| from != h.to_status) {
                        let from = h.from_status.map(|s| s.title()).unwrap_or_default();
                        // `Pended: Awaiting proof of identity` already names where it went.
                        words = if words.starts_with(h.to_status.title()) {
                            format!("{from} → {words}")
                        } else {
                            format!("{from} → {}: {words}", h.to_status.title())
                        };
                    }
                    let lines = wrap(&words, detail);
                    let height = lines.len().max(1) as u16;
                    Row::new(vec![
                        Text::from(wall(state.zone, h.at)),
                        Text::from(clean(&h.by).into_owned()),
                        Text::from(lines.into_iter().map(Line::from).collect::<Vec<_>>()),
                    ])
                    .height(height)
                })
                .collect();
            let when = if state.zone.is_some() { "WHEN" } else { "WHEN (UTC)" };
            table(frame, body, rows, &[when, "BY", "WHAT"], [16, 10, detail as u16], scroll, theme);
        }
        Part::Fee => {
            let lines = fee_lines(r, state.may_adjust, body.width, theme);
            frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), body);
        }
    }
}

/// The fee steps the request takes now, as the Next line offers them: a quote and an invoice while
/// no invoice stands, a payment while one is owed, and (to a supervisor) a write-off, refund or void
/// when the invoice has what it would touch — the desk's own checks.
fn fee_keys(r: &RoiRequest, may_adjust: bool) -> String {
    use crate::desk::roi::fees::{check_adjustment, check_payment, current_invoice};
    use crate::domain::roi::fees::AdjustmentKind;
    let mut keys = Vec::new();
    if current_invoice(r).is_none() {
        keys.extend(["F quote", "I invoice"]);
    }
    if check_payment(r, 1).is_ok() {
        keys.push("$ payment");
    }
    if may_adjust {
        for (kind, label) in [
            (AdjustmentKind::WriteOff, "W write off"),
            (AdjustmentKind::Refund, "M refund"),
            (AdjustmentKind::Void, "V void invoice"),
        ] {
            if check_adjustment(r, kind, 1).is_ok() {
                keys.push(label);
            }
        }
    }
    keys.join(" · ")
}

/// The fee part: the invoice standing (else the latest quote), line by line, with its total, what
/// is paid and the balance; amounts in their own columns, never cut — a long description wraps.
fn fee_lines(r: &RoiRequest, may_adjust: bool, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    use crate::desk::roi::fees::fee_view;
    use crate::domain::roi::fees::dollars;
    let keys = fee_keys(r, may_adjust);
    let keys = keys.as_str();
    let width = usize::from(width);
    let Some(view) = fee_view(r) else {
        let said = "No fee quoted or invoiced yet: a quote uses the schedule in force when the request came.";
        return [said, keys]
            .iter()
            .flat_map(|text| wrap(text, width.saturating_sub(2)))
            .map(|l| Line::styled(format!(" {l}"), theme.muted))
            .collect();
    };
    let head = match (&view.invoice_no, view.status) {
        (Some(no), Some(status)) => format!(" Invoice {no} issued {} · {}", us_date(view.issued_on), status.title()),
        _ => format!(" Quote of {} (not an invoice)", us_date(view.issued_on)),
    };
    let mut lines = vec![Line::styled(head, theme.header)];
    let basis = format!("Schedule {} v{}: {}", clean(&view.schedule), view.schedule_version, clean(&view.basis));
    lines.extend(wrap(&basis, width.saturating_sub(2)).into_iter().map(|l| Line::styled(format!(" {l}"), theme.muted)));
    // QTY 6, UNIT 12, AMOUNT 12 and their spaces; the description has the rest.
    let numbers = 6 + 1 + 12 + 1 + 12;
    let described = width.saturating_sub(2 + numbers + 1).max(12);
    lines.push(Line::styled(
        format!(" {:<described$} {:>6} {:>12} {:>12}", "DESCRIPTION", "QTY", "UNIT", "AMOUNT"),
        theme.header,
    ));
    for l in &view.lines {
        let parts = wrap(&clean(&l.description), described);
        for (i, part) in parts.iter().enumerate() {
            if i + 1 < parts.len() {
                lines.push(Line::raw(format!(" {part}")));
            } else {
                lines.push(Line::raw(format!(
                    " {part:<described$} {:>6} {:>12} {:>12}",
                    l.quantity,
                    dollars(l.unit_cents),
                    dollars(l.amount_cents)
                )));
            }
        }
    }
    let mut total = |label: &str, cents: i64, style| {
        lines.push(Line::styled(format!(" {label:<w$} {:>12}", dollars(cents), w = described + 6 + 12 + 2), style));
    };
    total("Total", view.total_cents, theme.header);
    if view.invoice_no.is_some() {
        total("Paid", view.paid_cents, theme.text);
        if view.written_off_cents > 0 {
            total("Written off", view.written_off_cents, theme.text);
        }
        if view.refunded_cents > 0 {
            total("Refunded", view.refunded_cents, theme.text);
        }
        let style = if view.balance_cents > 0 { theme.warning } else { theme.text };
        total("Balance", view.balance_cents, style);
    }
    lines.push(Line::raw(""));
    lines.extend(wrap(keys, width.saturating_sub(2)).into_iter().map(|l| Line::styled(format!(" {l}"), theme.muted)));
    lines
}

fn table<const N: usize>(
    frame: &mut Frame,
    area: Rect,
    rows: Vec<Row<'static>>,
    header: &[&'static str],
    widths: [u16; N],
    scroll: u16,
    theme: &Theme,
) {
    let table = Table::new(rows, widths.map(Constraint::Length))
        .header(Row::new(header.to_vec()).style(theme.header))
        .column_spacing(1);
    let mut state = TableState::default().with_offset(usize::from(scroll));
    // One column in, as the lines of the other parts.
    let area = Rect { x: area.x + 1, width: area.width.saturating_sub(1), ..area };
    frame.render_stateful_widget(table, area, &mut state);
}

/// The request's particulars: purpose, scope, format and delivery, the legal process, the
/// extension, the payment.
fn details(r: &RoiRequest, zone: Option<chrono_tz::Tz>, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let width = usize::from(width).saturating_sub(14).max(10);
    let mut lines = Vec::new();
    let mut field = |label: &str, value: String| {
        for (i, part) in wrap(&value, width).into_iter().enumerate() {
            let head = if i == 0 { format!(" {label:<12} ") } else { " ".repeat(14) };
            lines.push(Line::from(vec![Span::styled(head, theme.muted), Span::raw(part)]));
        }
    };
    let purpose = clean_multiline(&r.purpose);
    field("Purpose", if purpose.trim().is_empty() { "(none given)".into() } else { purpose });
    // A subpoena's particulars and papers first: they decide whether it can be answered at all.
    if let Some(lp) = &r.legal_process {
        use crate::domain::roi::legal;
        field(
            "Legal",
            format!(
                "{} ({}, {}), served {}, {}",
                lp.kind.title(),
                if lp.criminal { "criminal" } else { "civil" },
                lp.jurisdiction.title().to_lowercase(),
                us_date(lp.served_on),
                clean(&lp.court)
            ),
        );
        if !lp.caption.trim().is_empty() {
            field("Caption", clean(&lp.caption).into_owned());
        }
        field(
            "Case no.",
            match lp.return_on {
                Some(on) => format!("{}, return date {}", clean(&lp.case_number), us_date(on)),
                None => clean(&lp.case_number).into_owned(),
            },
        );
        if let Some(window) = legal::objection_window(lp) {
            field("Objections", format!("objections until {}", us_date(window.until)));
        }
        let mut papers = Vec::new();
        if let Some(a) = &lp.assurance {
            papers.push(format!("assurance received {}", us_date(a.received_on)));
        }
        if let Some(on) = lp.qpo_on {
            papers.push(format!("QPO received {}", us_date(on)));
        }
        field(
            "Assurance",
            match (papers.is_empty(), lp.kind) {
                (false, _) => papers.join("; "),
                (true, crate::domain::roi::LegalProcessKind::CourtOrder) => "none needed (court order)".into(),
                (true, _) => "awaited: satisfactory assurance or QPO".into(),
            },
        );
        field(
            "§2.64 order",
            match &lp.part2_order {
                Some(o) => format!("{} of {}, {}", clean(&o.order_no), clean(&o.court), us_date(o.ordered_on)),
                None => "none: Part 2 records stay out (§2.61)".into(),
            },
        );
    }
    let scope = &r.scope;
    let mut scope_words = Vec::new();
    if scope.entire_record {
        scope_words.push("entire record".to_string());
    }
    match (scope.from, scope.to) {
        (Some(from), Some(to)) => scope_words.push(format!("from {} to {}", us_date(from), us_date(to))),
        (Some(from), None) => scope_words.push(format!("from {}", us_date(from))),
        (None, Some(to)) => scope_words.push(format!("to {}", us_date(to))),
        (None, None) => {}
    }
    if !scope.document_types.is_empty() {
        scope_words.push(format!(
            "document types {}",
            scope.document_types.iter().map(|t| clean(t).into_owned()).collect::<Vec<_>>().join(", ")
        ));
    }
    if scope_words.is_empty() {
        scope_words.push("every document type".into());
    }
    field("Scope", scope_words.join("; "));
    // "Fax by fax" says one thing twice: a format that is its own delivery is named once.
    let (format, delivery) = (r.format.title(), r.delivery.title().to_lowercase());
    field(
        "Format",
        if format.eq_ignore_ascii_case(&delivery) { format.to_string() } else { format!("{format} by {delivery}") },
    );
    field("Received", format!("{} by {}", us_date(r.received_on), r.received_via.title().to_lowercase()));
    field("Logged", format!("{} by {}", stamp(zone, r.logged_at), clean(&r.logged_by)));
    if let Some((from, to)) = r.accounting_period {
        field("Period", format!("disclosures from {} to {}", us_date(from), us_date(to)));
    }
    let address = clean_multiline(&r.requester.address).replace('\n', ", ");
    if !address.trim().is_empty() {
        field("Address", address);
    }
    if let Some(pages) = r.pages {
        field("Pages", pages.to_string());
    }
    for p in &r.payments {
        field(
            "Paid",
            format!(
                "{} on {} ({})",
                crate::domain::roi::fees::dollars(p.amount_cents),
                us_date(p.paid_on),
                clean(&p.by)
            ),
        );
    }
    for d in &r.disclosures {
        field(
            "Released",
            format!(
                "{} to {}: {} ({}{})",
                us_date(d.disclosed_on),
                clean(&d.recipient),
                clean(&d.description),
                d.legal_basis.title(),
                if d.accountable { ", accountable" } else { "" }
            ),
        );
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_clerk_reads_the_facilitys_wall_clock_and_utc_only_when_it_says_so() {
        // 02:30 UTC on March 7th is 8:30 p.m. on March 6th in Chicago (CST, before the change).
        let at = chrono::Utc.with_ymd_and_hms(2025, 3, 7, 2, 30, 0).unwrap();
        let chicago: Option<chrono_tz::Tz> = "America/Chicago".parse().ok();
        assert_eq!(wall(chicago, at), "03/06/2025 20:30");
        assert_eq!(stamp(chicago, at), "03/06/2025 20:30");
        assert_eq!(local_day(chicago, at), NaiveDate::from_ymd_opt(2025, 3, 6).unwrap());
        assert_eq!(stamp(None, at), "03/07/2025 02:30 UTC");
        assert_eq!(local_day(None, at), NaiveDate::from_ymd_opt(2025, 3, 7).unwrap());
    }
}
