//! `:roi-stats` (and `S` on the ROI queue): the Director's figures of release of information over
//! a period — requests received and released per week as pairs of bars, the turnaround's median
//! and 90th percentile, open and overdue, pended by reason, fees invoiced and collected. Every
//! figure is written whole: where the screen is narrow, a reason's words give way, and weeks are
//! drawn two or more to a bar rather than any number being cut.

use super::accounting::wrap;
use crate::desk::roi::stats::RoiStatsReport;
use crate::domain::dates::us_date;
use crate::domain::roi::fees::dollars;
use crate::domain::roi::stats::{Period, PeriodPreset, RoiStats, WeekStats};
use crate::tui::theme::Theme;
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph};
use unicode_width::UnicodeWidthStr;

/// The screen's state: the period asked for (a preset, or days typed), and the figures read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoiStatsState {
    pub period: Period,
    /// The preset the period is, while it is one: its name heads the screen.
    pub preset: Option<PeriodPreset>,
    /// The figures last read: of `period`, or of the one before while a read is on its way.
    pub report: Option<RoiStatsReport>,
    /// A read of `period` is on its way.
    pub loading: bool,
}

impl RoiStatsState {
    pub fn new(preset: PeriodPreset, today: NaiveDate) -> Self {
        Self { period: preset.period(today), preset: Some(preset), report: None, loading: false }
    }

    /// `last 13 weeks (12/02/2024 to 03/03/2025)`, or the days alone when typed.
    pub fn period_words(&self) -> String {
        let days = format!("{} to {}", us_date(self.period.from), us_date(self.period.to));
        match self.preset {
            Some(preset) => format!("{} ({days})", preset.label()),
            None => days,
        }
    }
}

/// `9 d`: a turnaround on screen; `-` when nothing was released.
fn days(value: Option<i64>) -> String {
    value.map_or_else(|| "-".to_string(), |d| format!("{d} d"))
}

pub fn render(frame: &mut Frame, area: Rect, state: &RoiStatsState, theme: &Theme) {
    let width = usize::from(area.width);
    let mut title = format!("ROI figures · {}", state.period_words());
    if state.loading {
        title.push_str(" · reading…");
    }
    let Some(report) = &state.report else {
        frame.render_widget(Paragraph::new(Span::styled(format!(" {title}"), theme.muted)), area);
        return;
    };
    let s = &report.stats;
    let whose = report.facility.clone().unwrap_or_else(|| "every facility".to_string());
    let mut head: Vec<Line> = Vec::new();
    for part in wrap(&format!("{title} · {whose}"), width.saturating_sub(2)) {
        head.push(Line::from(Span::styled(format!(" {part}"), theme.title)));
    }
    let summary = format!(
        "Received {} · Released {} · turnaround median {}, 90th percentile {} · Open {} · Overdue {} (as of {})",
        s.received,
        s.released(),
        days(s.turnaround.median_days),
        days(s.turnaround.p90_days),
        s.open,
        s.overdue,
        us_date(s.as_of)
    );
    for part in wrap(&summary, width.saturating_sub(2)) {
        head.push(Line::from(Span::styled(format!(" {part}"), theme.text)));
    }
    let height = area.height;
    // A table of the weeks under the chart where there is room for both (120×40, not 80×24).
    let table_rows = if height >= 30 { (height / 3).min(s.weeks.len() as u16 + 1) } else { 0 };
    let [head_area, middle, table_area] =
        Layout::vertical([Constraint::Length(head.len() as u16), Constraint::Fill(1), Constraint::Length(table_rows)])
            .areas(area);
    frame.render_widget(Paragraph::new(head), head_area);

    // Two fifths of the width beside the chart: at 80 columns a reason of 26 characters whole.
    let side_width = (area.width * 2 / 5).clamp(32, 48).min(area.width / 2);
    let side_lines =
        side(s, usize::from(side_width.saturating_sub(2)), usize::from(middle.height.saturating_sub(2)), theme);
    let [chart_area, side_area] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(side_width)]).areas(middle);
    chart(frame, chart_area, s, theme);
    let side_block = Block::default().borders(Borders::ALL).border_set(theme.border).border_style(theme.muted);
    frame.render_widget(Paragraph::new(side_lines).block(side_block), side_area);
    if table_rows > 0 {
        frame.render_widget(Paragraph::new(week_table(s, usize::from(table_rows), theme)), table_area);
    }
}

/// Pended by reason, then the fees: each count and amount whole and to the right of its words,
/// the words cut first where the panel is narrow. Reasons beyond the panel's `height` (less the
/// fees') are summed on one line, so that the fees always show.
fn side(s: &RoiStats, width: usize, height: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(Span::styled(format!("Pended {}, by reason", s.pended_total()), theme.header))];
    let counts: Vec<String> = s.pended.iter().map(|p| p.count.to_string()).collect();
    let count_width = counts.iter().map(String::len).max().unwrap_or(1);
    let words = width.saturating_sub(count_width + 1).max(4);
    if s.pended.is_empty() {
        lines.push(Line::from(Span::styled("none", theme.muted)));
    }
    // The heading, the reasons, a blank line, the fees' heading and five amounts.
    let room = height.saturating_sub(8).max(1);
    let shown = if s.pended.len() > room { room - 1 } else { s.pended.len() };
    for (p, count) in s.pended.iter().zip(&counts).take(shown) {
        let reason = crate::domain::text::clean(&p.reason).into_owned();
        let reason = if reason.width() > words {
            let mut cut: String = String::new();
            for c in reason.chars() {
                if cut.width() + unicode_width::UnicodeWidthChar::width(c).unwrap_or(0) >= words {
                    break;
                }
                cut.push(c);
            }
            format!("{cut}…")
        } else {
            reason
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{reason:<words$} "), theme.text),
            Span::styled(format!("{count:>count_width$}"), theme.text),
        ]));
    }
    if shown < s.pended.len() {
        let rest = &s.pended[shown..];
        let more = format!("and {} more reasons", rest.len());
        let count = rest.iter().map(|p| p.count).sum::<i64>().to_string();
        lines.push(Line::from(vec![
            Span::styled(format!("{more:<w$} ", w = width.saturating_sub(count.len() + 1)), theme.muted),
            Span::styled(count, theme.text),
        ]));
    }
    lines.push(Line::from(""));
    let f = &s.fees;
    let fees = [
        ("Invoiced", f.invoiced_cents),
        ("Collected", f.collected_cents),
        ("Written off", f.written_off_cents),
        ("Voided", f.voided_cents),
        ("Refunded", f.refunded_cents),
    ];
    let amounts: Vec<String> = fees.iter().map(|(_, cents)| dollars(*cents)).collect();
    let amount_width = amounts.iter().map(String::len).max().unwrap_or(0);
    lines.push(Line::from(Span::styled("Fees", theme.header)));
    for ((label, _), amount) in fees.iter().zip(&amounts) {
        let amount_width = amount_width.max(width.saturating_sub(12));
        lines.push(Line::from(Span::styled(format!("{label:<12}{amount:>amount_width$}"), theme.text)));
    }
    lines
}

/// How many weeks each bar pair draws, and the bars' width, for `weeks` in `inner` columns: one
/// week a pair where they fit (each pair two bars and a gap), else as few weeks a pair as fit.
fn layout_bars(weeks: usize, inner: usize) -> (usize, u16) {
    let weeks = weeks.max(1);
    let mut per = 1;
    while weeks.div_ceil(per) * 3 > inner + 1 && per < weeks {
        per += 1;
    }
    let groups = weeks.div_ceil(per);
    // Wider bars where there is room, up to six columns.
    let bar = ((inner + 1) / groups).saturating_sub(1) / 2;
    (per, bar.clamp(1, 6) as u16)
}

fn chart(frame: &mut Frame, area: Rect, s: &RoiStats, theme: &Theme) {
    let inner_width = usize::from(area.width.saturating_sub(2));
    let (per, bar_width) = layout_bars(s.weeks.len(), inner_width);
    let what = if per == 1 { "per week".to_string() } else { format!("per {per} weeks") };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_set(theme.border)
        .border_style(theme.muted)
        .title(Line::from(Span::styled(format!(" Received │ released, {what} "), theme.header)))
        .title_bottom(Line::from(Span::styled(
            format!(" {} to {} ", us_date(s.period.from), us_date(s.period.to)),
            theme.muted,
        )));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The counts — received on one line, released on the next — and the weeks' dates go on lines
    // of their own under the bars, each under its bar and only where it fits whole with a space
    // either side: written on the bars, a pair's 23 and 9 read as 239.
    let [bars_area, received_area, released_area, dates_area] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(1), Constraint::Length(1), Constraint::Length(1)])
            .areas(inner);
    let chunks: Vec<&[WeekStats]> = s.weeks.chunks(per).collect();
    let pairs: Vec<(i64, i64)> = chunks
        .iter()
        .map(|chunk| (chunk.iter().map(|w| w.received).sum(), chunk.iter().map(|w| w.released()).sum()))
        .collect();
    let mut chart = BarChart::default().bar_width(bar_width).bar_gap(0).group_gap(1);
    for (received, released) in &pairs {
        let bars = [bar(*received, theme.text), bar(*released, theme.title)];
        chart = chart.data(BarGroup::default().bars(&bars));
    }
    frame.render_widget(chart, bars_area);

    let width = usize::from(inner.width);
    let bar = usize::from(bar_width);
    let stride = 2 * bar + 1;
    let (mut received_lane, mut released_lane) = (Lane::new(width), Lane::new(width));
    for (i, (received, released)) in pairs.iter().enumerate() {
        received_lane.place_under(i * stride, bar, &received.to_string(), theme.text);
        released_lane.place_under(i * stride + bar, bar, &released.to_string(), theme.title);
    }
    frame.render_widget(Paragraph::new(received_lane.line()), received_area);
    frame.render_widget(Paragraph::new(released_lane.line()), released_area);
    let mut dates = Lane::new(width);
    for (i, chunk) in chunks.iter().enumerate() {
        dates.place(i * stride, &chunk[0].monday.format("%m/%d").to_string(), theme.muted);
    }
    frame.render_widget(Paragraph::new(dates.line()), dates_area);
}

/// The bars only: their counts are written on the line under them (`Lane`).
fn bar(value: i64, style: ratatui::style::Style) -> Bar<'static> {
    let value = u64::try_from(value).unwrap_or(0);
    Bar::default().value(value).style(style).text_value(String::new())
}

/// One line of words under the chart, each placed only where it fits whole with a blank column
/// (or the edge) either side of it, so that no two run together; one that does not fit is left
/// out rather than cut.
struct Lane {
    cells: Vec<bool>,
    words: Vec<(usize, String, ratatui::style::Style)>,
}

impl Lane {
    fn new(width: usize) -> Self {
        Self { cells: vec![false; width], words: Vec::new() }
    }

    /// Whether `text` may start at `start`: whole within the line, with no word beside it.
    fn fits(&self, start: usize, text: &str) -> bool {
        let end = start + text.width();
        end <= self.cells.len() && !self.cells[start.saturating_sub(1)..(end + 1).min(self.cells.len())].contains(&true)
    }

    /// `text` at `start`, if it fits there.
    fn place(&mut self, start: usize, text: &str, style: ratatui::style::Style) -> bool {
        if !self.fits(start, text) {
            return false;
        }
        let end = start + text.width();
        self.cells[start..end].fill(true);
        self.words.push((start, text.to_string(), style));
        true
    }

    /// `text` under the `span` columns from `start` (its bar): centred if it is narrower, else
    /// starting under the bar's first column.
    fn place_under(&mut self, start: usize, span: usize, text: &str, style: ratatui::style::Style) -> bool {
        match span.checked_sub(text.width()) {
            Some(room) => {
                std::iter::once(start + room / 2).chain(start..=start + room).any(|at| self.place(at, text, style))
            }
            None => self.place(start, text, style),
        }
    }

    fn line(mut self) -> Line<'static> {
        self.words.sort_by_key(|(at, _, _)| *at);
        let mut spans = Vec::new();
        let mut x = 0;
        for (at, text, style) in self.words {
            spans.push(Span::raw(" ".repeat(at - x)));
            x = at + text.width();
            spans.push(Span::styled(text, style));
        }
        Line::from(spans)
    }
}

/// The last weeks that fit, a line each: received, released, turnaround, fees.
fn week_table(s: &RoiStats, rows: usize, theme: &Theme) -> Vec<Line<'static>> {
    let header = ["Week", "From", "Received", "Released", "Median", "P90", "Invoiced", "Collected"];
    let shown = &s.weeks[s.weeks.len().saturating_sub(rows.saturating_sub(1))..];
    let cells: Vec<[String; 8]> = shown
        .iter()
        .map(|w| {
            [
                w.week.clone(),
                us_date(w.monday.max(s.period.from)),
                w.received.to_string(),
                w.released().to_string(),
                days(w.turnaround.median_days),
                days(w.turnaround.p90_days),
                dollars(w.invoiced_cents),
                dollars(w.collected_cents),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.width());
        }
    }
    let line = |row: &[String], style| {
        let text: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| if i < 2 { format!("{c:<w$}", w = widths[i]) } else { format!("{c:>w$}", w = widths[i]) })
            .collect();
        Line::from(Span::styled(format!(" {}", text.join("  ")), style))
    };
    let mut lines = vec![line(&header.map(String::from), theme.header)];
    lines.extend(cells.iter().map(|row| line(row, theme.text)));
    lines
}

#[cfg(test)]
mod tests {
    use super::{Lane, layout_bars, side};
    use crate::domain::roi::stats::{Period, StatsFacts, roi_stats};
    use chrono::NaiveDate;

    #[test]
    fn reasons_past_the_panel_are_summed_on_one_line_and_the_fees_still_show() {
        let day = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
        let facts = StatsFacts {
            pended: (1..=20).map(|n| (format!("Reason number {n:02}"), n)).collect(),
            ..StatsFacts::default()
        };
        let stats = roi_stats(Period::new(day, day).unwrap(), day, &facts);
        let text: Vec<String> = side(&stats, 30, 16, &crate::tui::theme::Theme::monochrome())
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.to_string()).collect())
            .collect();
        assert_eq!(text.len(), 16, "{text:#?}");
        assert_eq!(text[0], "Pended 210, by reason");
        // Most first: 20, 19, …, 14 shown; the 13 others (1 to 13, 91 requests) summed.
        assert!(text[1].starts_with("Reason number 20") && text[1].ends_with(" 20"), "{text:#?}");
        assert!(text[8].starts_with("and 13 more reasons") && text[8].ends_with(" 91"), "{text:#?}");
        assert!(text.iter().all(|l| unicode_width::UnicodeWidthStr::width(l.as_str()) <= 30), "{text:#?}");
        assert!(text[15].starts_with("Refunded"), "{text:#?}");
    }

    #[test]
    fn a_lane_sets_each_word_apart_or_leaves_it_out() {
        let style = ratatui::style::Style::default();
        let mut lane = Lane::new(8);
        assert!(lane.place(0, "23", style));
        assert!(!lane.place(2, "9", style), "touching 23: it would read 239");
        assert!(lane.place_under(2, 2, "9", style), "moved within its bar, a column apart");
        assert!(!lane.place(6, "123", style), "not cut at the edge");
        assert!(lane.place_under(5, 1, "45", style), "wider than its bar: from its first column");
        let text: String = lane.line().spans.iter().map(|s| s.content.to_string()).collect();
        assert_eq!(text, "23 9 45");
    }

    #[test]
    fn weeks_share_a_bar_only_when_they_do_not_fit_one_each() {
        assert_eq!(layout_bars(4, 44), (1, 5), "4 weeks: wide bars");
        assert_eq!(layout_bars(13, 44).0, 1, "a quarter fits a pair a week at 80 columns");
        let (per, width) = layout_bars(52, 44);
        assert_eq!((per, width), (4, 1));
        assert!(52usize.div_ceil(per) * 3 <= 45);
        assert_eq!(layout_bars(52, 200).0, 1);
        assert_eq!(layout_bars(0, 10), (1, 5));
    }
}
