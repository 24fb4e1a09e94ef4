//! A request's release packet (`P` on the request): each document its scope reaches — date, type,
//! pages, flags and whether it goes — the rules' blocking items above, the highlighted document's
//! title and reason whole below, and the totals (`114 of 120 pages`). Numbers, dates, types and
//! flags are never cut; at 80 columns a long title gives way, and is whole on the detail line.

use crate::desk::roi::packet::{PacketRow, PacketView};
use crate::domain::dates::us_date;
use crate::domain::roi::packet::Decision;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

/// The screen's state: the request it is of, the packet once read, and the highlighted row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketState {
    pub number: String,
    pub view: Option<PacketView>,
    pub selected: usize,
    /// The day the release is to be dated: today, or the day `:roi release DATE` named.
    pub on: chrono::NaiveDate,
}

impl PacketState {
    pub fn rows(&self) -> usize {
        self.view.as_ref().map_or(0, |v| v.rows.len())
    }

    pub fn selected_row(&self) -> Option<&PacketRow> {
        self.view.as_ref()?.rows.get(self.selected)
    }
}

fn clean(text: &str) -> String {
    crate::domain::text::clean(text).into_owned()
}

/// `[x]` goes, `[ ]` left out by the clerk, `[-]` left out by a rule (it cannot be picked).
fn mark(row: &PacketRow) -> &'static str {
    match (&row.decision, row.picked) {
        (Decision::Excluded { .. }, _) => "[-]",
        (Decision::Included { .. }, true) => "[x]",
        (Decision::Included { .. }, false) => "[ ]",
    }
}

fn status(row: &PacketRow) -> &'static str {
    match (&row.decision, row.picked) {
        (Decision::Excluded { .. }, _) => "LEFT OUT",
        (Decision::Included { .. }, true) => "goes",
        (Decision::Included { .. }, false) => "unpicked",
    }
}

/// `title` in at most `width` columns: whole when it fits, else cut with an ellipsis.
fn fit(title: &str, width: usize) -> String {
    if title.width() <= width {
        return title.to_string();
    }
    let mut out = String::new();
    for c in title.chars() {
        if out.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) + 1 > width {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

pub fn render(frame: &mut Frame, area: Rect, state: &PacketState, theme: &Theme) {
    let width = usize::from(area.width);
    let Some(view) = &state.view else {
        let waiting = format!(" Reading the packet of {}…", state.number);
        frame.render_widget(Paragraph::new(Span::styled(waiting, theme.muted)), area);
        return;
    };
    let wrap = |text: &str, lead: usize| super::accounting::wrap(text, width.saturating_sub(lead + 1));
    let mut head: Vec<Line> = Vec::new();
    let title = format!("Release packet {} · to {}", view.number, clean(&view.recipient));
    for part in wrap(&title, 1) {
        head.push(Line::from(Span::styled(format!(" {part}"), theme.title)));
    }
    for item in view.blocking_now() {
        for (i, part) in wrap(&item, 3).into_iter().enumerate() {
            let lead = if i == 0 { " ! " } else { "   " };
            head.push(Line::from(Span::styled(format!("{lead}{part}"), theme.danger)));
        }
    }
    let mut foot: Vec<Line> = Vec::new();
    if let Some(row) = state.selected_row() {
        let about = match row.left_out_reason() {
            Some(why) => format!("Row {}: {} — {why}", row.row, clean(&row.document.title)),
            None => match &row.decision {
                Decision::Included { notices } if !notices.is_empty() => format!(
                    "Row {}: {} — goes with {}",
                    row.row,
                    clean(&row.document.title),
                    notices.iter().map(|n| n.title()).collect::<Vec<_>>().join(", ")
                ),
                _ => format!("Row {}: {} ({}) — goes", row.row, clean(&row.document.title), clean(&row.account)),
            },
        };
        for part in wrap(&about, 1) {
            foot.push(Line::from(Span::styled(format!(" {part}"), theme.muted)));
        }
    }
    let mut total = format!("Total: {}", view.totals());
    let notices = view.notices();
    if !notices.is_empty() {
        total.push_str(&format!(" · with {}", notices.iter().map(|n| n.title()).collect::<Vec<_>>().join(", ")));
    }
    if view.is_partial() {
        total.push_str(" · partial: R asks you to confirm what is left out");
    }
    for part in wrap(&total, 1) {
        foot.push(Line::from(Span::styled(format!(" {part}"), theme.title)));
    }
    let [head_area, body, foot_area] = Layout::vertical([
        Constraint::Length(head.len() as u16),
        Constraint::Fill(1),
        Constraint::Length(foot.len() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(head), head_area);
    frame.render_widget(Paragraph::new(foot), foot_area);
    if view.rows.is_empty() {
        let none = "No document on file is within the request's scope: R releases it with the pages it names.";
        // Wrapped, a column in from each side: the sentence says what `R` will do, and a clerk at
        // 80 columns reads all of it.
        let wrapped = Paragraph::new(Span::styled(none, theme.muted)).wrap(ratatui::widgets::Wrap { trim: true });
        let inset = Rect { x: body.x + 1, width: body.width.saturating_sub(2), ..body };
        frame.render_widget(wrapped, inset);
        return;
    }

    // Every column but the title as wide as its widest value, so that none is ever cut.
    let number_w = view.rows.len().to_string().len().max(1);
    let type_w = view.rows.iter().map(|r| r.document.doc_type.width()).max().unwrap_or(4).max(4);
    let pages_w = view.rows.iter().map(|r| r.document.pages.to_string().len()).max().unwrap_or(1).max(5);
    let flags_w = view.rows.iter().map(|r| r.flags().width()).max().unwrap_or(0).max(5);
    let fixed = 1 + 3 + 1 + number_w + 1 + 10 + 1 + type_w + 1 + pages_w + 1 + flags_w + 1 + 8 + 1;
    let title_w = width.saturating_sub(fixed).max(8);
    let header = format!(
        " {:3} {:>number_w$} {:10} {:type_w$} {:>pages_w$} {:flags_w$} {:8} DOCUMENT",
        "", "#", "DATE", "TYPE", "PAGES", "FLAGS", "STATUS"
    );
    let mut lines = vec![Line::from(Span::styled(header, theme.muted))];
    let height = usize::from(body.height).saturating_sub(1).max(1);
    let first = state.selected.saturating_sub(height - 1);
    for (i, row) in view.rows.iter().enumerate().skip(first).take(height) {
        let pointer = if i == state.selected { theme.glyph("▶", ">") } else { " " };
        let text = format!(
            "{pointer}{} {:>number_w$} {} {:type_w$} {:>pages_w$} {:flags_w$} {:8} {}",
            mark(row),
            row.row,
            us_date(row.document.on),
            row.document.doc_type,
            row.document.pages,
            row.flags(),
            status(row),
            fit(&clean(&row.document.title), title_w)
        );
        let style = if i == state.selected {
            theme.selected
        } else if !row.picked {
            theme.muted
        } else {
            theme.text
        };
        lines.push(Line::from(Span::styled(text, style)));
    }
    frame.render_widget(Paragraph::new(lines), body);
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn a_title_gives_way_only_when_it_must() {
        assert_eq!(fit("History and physical", 30), "History and physical");
        assert_eq!(fit("History and physical", 10), "History a…");
    }
}
