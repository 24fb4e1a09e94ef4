//! `:accounting MRN`: a patient's accounting of disclosures (164.528) — its period and due date,
//! each entry with its date, recipient and address, description and purpose, the fee line, and
//! what an agency's suspension withholds. Each entry is a block of lines that wrap, so that no name
//! or address is ever cut; the highlighted one is the one Void names.

use crate::domain::dates::us_date;
use crate::domain::roi::accounting::disclosure_label;
use crate::report::accounting::{AccountingReport, fee_line};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

/// The screen's state: the report on screen, which entry is highlighted, and the first line shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountingState {
    pub mrn: String,
    pub requested_on: chrono::NaiveDate,
    pub report: Option<AccountingReport>,
    pub selected: usize,
    /// Whether the clerk may void: the Void action is shown only then.
    pub may_void: bool,
}

impl AccountingState {
    pub fn entries(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.accounting.entries.len())
    }

    /// `D-118 (08/15/2023 to Travis County District Court)`: how the question names it.
    pub fn selected_words(&self) -> Option<(String, String)> {
        let e = self.report.as_ref()?.accounting.entries.get(self.selected)?;
        let name = disclosure_label(e.id);
        Some((name.clone(), format!("{name} ({} to {})", us_date(e.disclosed_on), clean(&e.recipient))))
    }
}

fn clean(text: &str) -> String {
    crate::domain::text::clean(text).into_owned()
}

/// Lines of `text` no wider than `width`, broken at spaces (a word longer than the line is broken
/// where it must): every character kept.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        while word.width() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let cut: String = word
                .chars()
                .scan(0, |w, c| {
                    *w += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                    (*w <= width).then_some(c)
                })
                .collect();
            word = word[cut.len()..].to_string();
            lines.push(cut);
        }
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, state: &AccountingState, theme: &Theme) {
    let width = usize::from(area.width);
    let Some(report) = &state.report else {
        let waiting = format!(" Reading the accounting of disclosures of MRN {}…", state.mrn);
        frame.render_widget(Paragraph::new(Span::styled(waiting, theme.muted)), area);
        return;
    };
    let a = &report.accounting;
    let p = &report.patient;
    let mut head: Vec<Line> = Vec::new();
    let title =
        format!("Accounting of disclosures · {} · MRN {} · born {}", clean(&p.name), p.mrn, us_date(p.birth_date));
    for (i, part) in wrap(&title, width.saturating_sub(4)).into_iter().enumerate() {
        let text = if i == 0 { format!(" {part}") } else { format!("   {part}") };
        head.push(Line::from(Span::styled(text, theme.title)));
    }
    let period = format!(
        "Requested {} · covers {} through {} · due {} (extension to {})",
        us_date(a.requested_on),
        us_date(a.period_from),
        us_date(a.period_to),
        us_date(a.due_on),
        us_date(a.extended_due_on)
    );
    for part in wrap(&period, width.saturating_sub(2)) {
        head.push(Line::from(Span::styled(format!(" {part}"), theme.text)));
    }
    let mut foot: Vec<Line> = Vec::new();
    for part in wrap(&fee_line(a.fee), width.saturating_sub(2)) {
        foot.push(Line::from(Span::styled(format!(" {part}"), theme.text)));
    }
    for w in &a.withheld {
        let note = format!(
            "Withheld at the agency's request (164.528(a)(2)), not on the patient's copy: {} {} to {}, until {}",
            w.entries,
            if w.entries == 1 { "entry" } else { "entries" },
            clean(&w.agency),
            us_date(w.until)
        );
        for part in wrap(&note, width.saturating_sub(2)) {
            foot.push(Line::from(Span::styled(format!(" {part}"), theme.warning)));
        }
    }
    let [head_area, body, foot_area] = Layout::vertical([
        Constraint::Length(head.len() as u16 + 1),
        Constraint::Fill(1),
        Constraint::Length(foot.len() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), head_area);
    frame.render_widget(Paragraph::new(foot), foot_area);

    if a.entries.is_empty() {
        let none = " No disclosures to account for in this period.";
        frame.render_widget(Paragraph::new(Span::styled(none, theme.muted)), body);
        return;
    }
    // Each entry a block: `D-2  06/01/2021  Texas DSHS`, then its address, what and why, indented.
    let inner = width.saturating_sub(12);
    let mut lines: Vec<Line> = Vec::new();
    let mut selected_from = 0;
    let mut selected_to = 0;
    for (i, e) in a.entries.iter().enumerate() {
        let style = if i == state.selected { theme.selected } else { theme.text };
        if i == state.selected {
            selected_from = lines.len();
        }
        let marker = if i == state.selected { theme.glyph("▶", ">") } else { " " };
        let first = format!("{marker}{:<7} {}  ", disclosure_label(e.id), us_date(e.disclosed_on));
        let recipient = wrap(&clean(&e.recipient), width.saturating_sub(first.width() + 1));
        for (j, part) in recipient.into_iter().enumerate() {
            let lead = if j == 0 { first.clone() } else { " ".repeat(first.width()) };
            lines.push(Line::from(Span::styled(format!("{lead}{part}"), style)));
        }
        let address = if e.recipient_address.trim().is_empty() {
            "(address not known)".to_string()
        } else {
            e.recipient_address.lines().map(|l| clean(l.trim())).collect::<Vec<_>>().join(", ")
        };
        for (label, text) in [("Address", address), ("What", clean(&e.description)), ("Purpose", clean(&e.purpose))] {
            for (j, part) in wrap(&text, inner).into_iter().enumerate() {
                let lead = if j == 0 { format!("   {label:<8} ") } else { " ".repeat(12) };
                lines.push(Line::from(vec![Span::styled(lead, theme.muted), Span::styled(part, theme.text)]));
            }
        }
        if i == state.selected {
            selected_to = lines.len();
        }
    }
    // Scrolled so that the highlighted entry is whole on screen when it fits.
    let height = usize::from(body.height);
    let scroll = if selected_to > height { selected_from.min(selected_to - height) } else { 0 };
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)).wrap(Wrap { trim: false }),
        body,
    );
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrapping_keeps_every_character_and_fits_the_width() {
        let text = "Travis County District Court, Civil Records Division, 1000 Guadalupe St";
        let lines = wrap(text, 20);
        assert!(lines.iter().all(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        let long = wrap("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10);
        assert_eq!(long.concat(), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        assert_eq!(wrap("", 10), vec![String::new()]);
    }
}
