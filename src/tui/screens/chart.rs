//! The chart: an identity banner that never scrolls away, and sections for encounters, documents,
//! deficiencies, releases and the paper chart.

use super::super::theme::Theme;
use crate::domain::chart::Chart;
use crate::domain::dates::{age_on, us_date};
use crate::domain::ssn::masked;
use crate::domain::text::{clean, clean_multiline};
use crate::tui::widgets::chrome::wrap;
use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Row, Table, TableState, Wrap};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Encounters,
    Documents,
    Deficiencies,
    Releases,
    PaperChart,
}

impl Section {
    pub const ALL: [Self; 5] =
        [Self::Encounters, Self::Documents, Self::Deficiencies, Self::Releases, Self::PaperChart];

    fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

#[derive(Debug)]
pub struct ChartState {
    pub chart: Chart,
    pub section: Section,
    selected: [usize; 5],
    /// The document whose text is open, by index into `chart.documents`.
    pub document: Option<usize>,
    pub doc_scroll: u16,
    /// Deficiencies selected with Space for the next action, by id.
    pub picked: std::collections::BTreeSet<i64>,
    /// The patient's release-of-information requests, newest first, once read (the Releases tab
    /// lists them above the disclosures; Enter opens one). None until read, or when the clerk may
    /// not see them.
    pub requests: Option<Vec<crate::store::roi::RoiQueueRow>>,
}

impl ChartState {
    /// Opens on the encounters, at `encounter_id` when the lookup came by account number.
    pub fn new(chart: Chart, encounter_id: Option<i64>) -> Self {
        let at = encounter_id.and_then(|id| chart.encounters.iter().position(|e| e.id == id)).unwrap_or(0);
        Self {
            chart,
            section: Section::Encounters,
            selected: [at, 0, 0, 0, 0],
            document: None,
            doc_scroll: 0,
            picked: Default::default(),
            requests: None,
        }
    }

    /// The patient's requests, read (again). Whether anything on screen changed.
    pub fn set_requests(&mut self, rows: Vec<crate::store::roi::RoiQueueRow>) -> bool {
        // The highlight stays on its request.
        let at = self.selected_request();
        let changed = self.requests.as_ref() != Some(&rows);
        self.requests = Some(rows);
        let i = Section::Releases.index();
        let len = self.requests.as_ref().map_or(0, Vec::len);
        self.selected[i] = at
            .and_then(|id| self.requests.as_ref()?.iter().position(|r| r.id == id))
            .unwrap_or(self.selected[i])
            .min(len.saturating_sub(1));
        changed
    }

    /// The request highlighted on the Releases tab.
    pub fn selected_request(&self) -> Option<i64> {
        self.requests.as_ref()?.get(self.selected[Section::Releases.index()]).map(|r| r.id)
    }

    /// The same patient's chart read again (after work on it, this clerk's or another's): the
    /// section stays, and each highlight stays on its encounter or deficiency (on the row where it
    /// was when that one is gone); selections of items no longer open are dropped. Returns whether
    /// anything on screen changed.
    pub fn refresh(&mut self, chart: Chart) -> bool {
        let before = (self.selected, self.picked.len(), self.document);
        let changed = chart != self.chart;
        // The items highlighted, by id: an item completed elsewhere moves down among the closed.
        let encounter = self.chart.encounters.get(self.selected[Section::Encounters.index()]).map(|e| e.id);
        let deficiency = self.chart.deficiencies.get(self.selected[Section::Deficiencies.index()]).map(|d| d.id);
        self.chart = chart;
        if let Some(i) = encounter.and_then(|id| self.chart.encounters.iter().position(|e| e.id == id)) {
            self.selected[Section::Encounters.index()] = i;
        }
        if let Some(i) = deficiency.and_then(|id| self.chart.deficiencies.iter().position(|d| d.id == id)) {
            self.selected[Section::Deficiencies.index()] = i;
        }
        let open: std::collections::BTreeSet<i64> =
            self.chart.deficiencies.iter().filter(|d| d.status.is_open()).map(|d| d.id).collect();
        self.picked.retain(|id| open.contains(id));
        if self.document.is_some_and(|i| i >= self.chart.documents.len()) {
            self.document = None;
        }
        let section = self.section;
        for s in Section::ALL {
            self.section = s;
            let len = self.len();
            self.selected[s.index()] = self.selected[s.index()].min(len.saturating_sub(1));
        }
        self.section = section;
        changed || before != (self.selected, self.picked.len(), self.document)
    }

    /// Selects or unselects the highlighted deficiency; only an open one can be worked.
    pub fn toggle_pick(&mut self) -> Result<(), String> {
        let Some(d) = self.chart.deficiencies.get(self.selected[Section::Deficiencies.index()]) else {
            return Err("No deficiency on this chart.".into());
        };
        if !d.status.is_open() {
            return Err(format!("{} is {}; only open items can be worked.", item_name(d), d.status.code()));
        }
        if !self.picked.remove(&d.id) {
            self.picked.insert(d.id);
        }
        Ok(())
    }

    /// The (id, version) of the deficiencies an action works on: those selected, in the order
    /// listed, or else the highlighted one. Refused before any question when it is not open.
    pub fn work_items(&self) -> Result<Vec<(i64, i64)>, String> {
        if !self.picked.is_empty() {
            return Ok(self
                .chart
                .deficiencies
                .iter()
                .filter(|d| self.picked.contains(&d.id))
                .map(|d| (d.id, d.version))
                .collect());
        }
        if !self.chart.deficiencies.iter().any(|d| d.status.is_open()) {
            return Err("No open deficiency on this chart.".into());
        }
        let Some(d) = self.chart.deficiencies.get(self.selected[Section::Deficiencies.index()]) else {
            return Err("Highlight a deficiency first.".into());
        };
        if !d.status.is_open() {
            return Err(format!("{} is {}; only open items can be worked.", item_name(d), d.status.code()));
        }
        Ok(vec![(d.id, d.version)])
    }

    pub fn selected(&self) -> usize {
        self.selected[self.section.index()]
    }

    fn len(&self) -> usize {
        match self.section {
            Section::Encounters => self.chart.encounters.len(),
            Section::Documents => self.chart.documents.len(),
            Section::Deficiencies => self.chart.deficiencies.len(),
            Section::Releases => match &self.requests {
                Some(requests) => requests.len(),
                None => self.chart.releases.len(),
            },
            Section::PaperChart => self.chart.volumes.iter().map(|v| v.movements.len()).sum(),
        }
    }

    pub fn next_section(&mut self, step: isize) {
        self.document = None;
        let n = Section::ALL.len() as isize;
        let i = (self.section.index() as isize + step).rem_euclid(n);
        self.section = Section::ALL[i as usize];
    }

    pub fn move_selection(&mut self, delta: isize) {
        if self.document.is_some() {
            // In an open document, the row keys scroll its text.
            self.doc_scroll = (self.doc_scroll as isize).saturating_add(delta).clamp(0, u16::MAX as isize) as u16;
            return;
        }
        let len = self.len();
        if len == 0 {
            return;
        }
        let i = self.section.index();
        self.selected[i] = (self.selected[i] as isize).saturating_add(delta).clamp(0, len as isize - 1) as usize;
    }

    pub fn open_selected(&mut self) {
        match self.section {
            Section::Encounters => {
                // Enter on an encounter shows its documents.
                let Some(encounter) = self.chart.encounters.get(self.selected()) else { return };
                let id = encounter.id;
                self.section = Section::Documents;
                if let Some(first) = self.chart.documents.iter().position(|d| d.encounter_id == id) {
                    self.selected[Section::Documents.index()] = first;
                }
            }
            Section::Documents if self.chart.documents.get(self.selected()).is_some() => {
                self.document = Some(self.selected());
                self.doc_scroll = 0;
            }
            _ => {}
        }
    }

    /// Closes an open document; false when none was open.
    pub fn close_document(&mut self) -> bool {
        self.document.take().is_some()
    }
}

/// The lines of a note a screen of `width` × `height` shows from line `from`, cleaned. Only they
/// are cleaned and wrapped, and each is cut at what the screen could show of it: a note of many
/// megabytes draws as fast as a short one, so Esc is never kept waiting behind a frame.
pub fn note_window(text: &str, from: usize, width: u16, height: u16) -> Vec<String> {
    let most = usize::from(width).max(1) * usize::from(height).max(1);
    text.lines()
        .skip(from)
        .take(usize::from(height))
        .map(|line| {
            let end = line.char_indices().nth(most).map_or(line.len(), |(at, _)| at);
            clean_multiline(&line[..end])
        })
        .collect()
}

/// A deficiency as a clerk names it: `A25-000781 DS-D`.
pub fn item_name(d: &crate::domain::chart::DeficiencyView) -> String {
    format!("{} {}", clean(&d.account), clean(&d.type_code))
}

/// The banner: who this is, on every chart screen, above anything that scrolls. At `width`
/// columns the MRN, birth date, sex, SSN and flags are always whole: a long name is shortened
/// first, and flags that still do not fit go on a second line.
pub fn banner(chart: &Chart, today: NaiveDate, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let p = &chart.patient;
    let width = usize::from(width);
    let age = age_on(p.birth_date, p.deceased_on.unwrap_or(today));
    let facts = [
        format!("MRN {}", p.mrn),
        format!("DOB {} ({age})", us_date(p.birth_date)),
        p.sex.code().to_string(),
        format!("SSN {}", masked(p.ssn_last4.as_deref())),
    ];
    let mut flags = Vec::new();
    if let Some(d) = p.deceased_on {
        flags.push(Span::styled(format!("{} deceased {}", theme.glyph("†", "+"), us_date(d)), theme.warning));
    }
    if p.sensitivity.is_restricted() {
        flags.push(Span::styled(format!("R {}", p.sensitivity.code()), theme.danger));
    }
    // The paper chart's trouble, so a clerk asked for it knows before she walks to the shelf.
    for v in &chart.volumes {
        let overdue = v.status == "CHARGED_OUT" && v.due_back_on.is_some_and(|due| due < today);
        if v.status == "MISSING" {
            flags.push(Span::styled(format!("! vol {} missing", v.volume_no), theme.danger));
        } else if overdue {
            flags.push(Span::styled(format!("! vol {} overdue", v.volume_no), theme.danger));
        }
    }
    let names = name_forms(&clean(&p.family), &clean(&p.given), &clean(&p.middle));
    let facts_width = |sep: usize| facts.iter().map(|f| sep + f.width()).sum::<usize>();
    let flags_width = |sep: usize| flags.iter().map(|f| sep + f.width()).sum::<usize>();
    let line = |name: &str, sep: usize, with_flags: bool| {
        let gap = " ".repeat(sep);
        let mut spans = vec![Span::styled(format!(" {name}"), theme.header)];
        spans.push(Span::raw(facts.iter().map(|f| format!("{gap}{f}")).collect::<String>()));
        if with_flags {
            for flag in &flags {
                spans.push(Span::raw(gap.clone()));
                spans.push(flag.clone());
            }
        }
        Line::from(spans)
    };
    // One line if the name fits whole, or shortened to no less than its family name and initial;
    // the gaps tighten before the name gives a letter.
    for name in &names {
        for sep in [3, 2] {
            if name.width() <= width.saturating_sub(1 + facts_width(sep) + flags_width(sep)) {
                return vec![line(name, sep, true)];
            }
        }
    }
    // Two lines: the flags below, whole; the name as long as the first line allows.
    let room = width.saturating_sub(1 + facts_width(2));
    let name = names.iter().find(|n| n.width() <= room).cloned().unwrap_or_else(|| {
        // The family name gives way; the given name's initial stays: `WOLFESCHLEGEL…, M`.
        let initial = clean(&p.given).chars().next().map(|c| format!(", {}", c.to_uppercase())).unwrap_or_default();
        let family = clean(&p.family).to_uppercase();
        format!("{}{initial}", shorten(&family, room.saturating_sub(initial.width())))
    });
    let mut lines = vec![line(&name, 2, false)];
    if !flags.is_empty() {
        let mut spans = Vec::new();
        for flag in flags {
            spans.push(Span::raw(" "));
            spans.push(flag);
            spans.push(Span::raw(" "));
        }
        lines.push(Line::from(spans));
    }
    lines
}

/// A name from whole to shorter: `FAMILY, GIVEN MIDDLE`, `FAMILY, GIVEN M`, `FAMILY, GIVEN`,
/// `FAMILY, G`. Each is something a clerk can read back; none is cut mid-word.
fn name_forms(family: &str, given: &str, middle: &str) -> Vec<String> {
    let initial = |s: &str| s.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    let mut forms = vec![crate::domain::names::display_name(family, given, middle)];
    if !middle.trim().is_empty() {
        forms.push(crate::domain::names::display_name(family, given, &initial(middle.trim())));
    }
    forms.push(crate::domain::names::display_name(family, given, ""));
    if !given.trim().is_empty() {
        forms.push(crate::domain::names::display_name(family, &initial(given.trim()), ""));
    }
    forms.dedup();
    forms
}

/// The last resort for a name longer than a whole line: as much as fits, marked with `…`.
fn shorten(name: &str, room: usize) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if out.width() + c.to_string().width() + 1 > room {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

pub fn render(frame: &mut Frame, area: Rect, state: &ChartState, today: NaiveDate, theme: &Theme) {
    let [tabs_area, rule_area, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    // The deficiency count says what it counts: "2 open, 1 completed" where there is room, "2 open"
    // where there is not, and the tabs lose their padding before any of them is cut.
    let tally = state.chart.deficiency_tally();
    let labels = |deficiencies: String| {
        [
            "Encounters".to_string(),
            "Documents".to_string(),
            format!("Deficiencies ({deficiencies})"),
            format!("Releases ({})", state.requests.as_ref().map_or(state.chart.releases.len(), Vec::len)),
            "Paper chart".to_string(),
        ]
    };
    let fits = |labels: &[String; 5], pad: usize| {
        let width: usize = labels.iter().map(|l| l.chars().count() + 2 * pad).sum::<usize>() + 1 + 3 * 4;
        width <= usize::from(tabs_area.width)
    };
    let (labels, pad) = [(labels(tally.label()), 1), (labels(tally.open_label()), 1), (labels(tally.open_label()), 0)]
        .into_iter()
        .find(|(labels, pad)| fits(labels, *pad))
        .unwrap_or_else(|| (labels(tally.open_label()), 0));
    let pad = " ".repeat(pad);
    let mut spans = vec![Span::raw(" ")];
    for (i, label) in labels.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(theme.glyph(" │ ", " | "), theme.muted));
        }
        let style = if Section::ALL[i] == state.section { theme.selected.patch(theme.header) } else { theme.text };
        spans.push(Span::styled(format!("{pad}{label}{pad}"), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs_area);
    frame.render_widget(Paragraph::new(theme.rule.repeat(rule_area.width as usize)).style(theme.muted), rule_area);

    if let Some(index) = state.document
        && let Some(doc) = state.chart.documents.get(index)
    {
        let mut lines = vec![
            Line::styled(format!(" {} — {}", clean(&doc.title), clean(&doc.account)), theme.header),
            Line::styled(
                format!(
                    " {}  {}  {}",
                    us_date(doc.created_at.date_naive()),
                    doc.status.code(),
                    clean(doc.author.as_deref().unwrap_or(""))
                ),
                theme.muted,
            ),
            Line::from(""),
        ];
        match &doc.text {
            Some(text) => lines.extend(
                note_window(text, usize::from(state.doc_scroll), body.width, body.height)
                    .into_iter()
                    .map(|l| Line::from(format!(" {l}"))),
            ),
            None => lines.push(Line::styled(" No text on file for this document.", theme.muted)),
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
        return;
    }

    let wide = body.width >= 110;
    let (header, widths, rows): (Vec<&str>, Vec<Constraint>, Vec<Row<'static>>) = match state.section {
        Section::Encounters => {
            let mut header = vec!["ACCOUNT", "TYPE", "ADMIT", "DISCHARGE", "ATTENDING", "COMPLETION"];
            let mut widths = vec![
                Constraint::Length(10),
                Constraint::Length(11),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Fill(1),
                Constraint::Length(if wide { 33 } else { 10 }),
            ];
            if wide {
                header.insert(2, "FAC");
                widths.insert(2, Constraint::Length(4));
                header.insert(3, "SERVICE");
                widths.insert(3, Constraint::Length(11));
            }
            let rows = state
                .chart
                .encounters
                .iter()
                .map(|e| {
                    let mut cells = vec![
                        clean(&e.account).to_string(),
                        e.kind.label().to_string(),
                        us_date(e.admit_at.date_naive()),
                        e.discharge_at.map(|d| us_date(d.date_naive())).unwrap_or_else(|| "in house".into()),
                        clean(e.attending.as_deref().unwrap_or("—")).to_string(),
                        if wide { e.completion_label() } else { e.completion_short() },
                    ];
                    if wide {
                        cells.insert(2, clean(&e.facility_code).to_string());
                        cells.insert(3, clean(&e.service).to_string());
                    }
                    Row::new(cells)
                })
                .collect();
            (header, widths, rows)
        }
        Section::Documents => {
            // Titles and authors are read whole: a long one wraps within its cell.
            let inner = usize::from(body.width).saturating_sub(1 + 4);
            let rest = inner.saturating_sub(10 + 10 + 13);
            let longest_author =
                state.chart.documents.iter().map(|d| clean(d.author.as_deref().unwrap_or("")).width()).max();
            let author = longest_author.unwrap_or(0).clamp(6, (rest / 3).max(6));
            let title = rest.saturating_sub(author).max(8);
            let rows = state
                .chart
                .documents
                .iter()
                .map(|d| {
                    let text =
                        if d.text.is_some() { format!("{} ¶", clean(&d.title)) } else { clean(&d.title).to_string() };
                    let titles = wrap(&text, title);
                    let authors = wrap(&clean(d.author.as_deref().unwrap_or("")), author);
                    let height = titles.len().max(authors.len()) as u16;
                    Row::new(vec![
                        Text::from(us_date(d.created_at.date_naive())),
                        Text::from(clean(&d.account).to_string()),
                        Text::from(titles.into_iter().map(Line::from).collect::<Vec<_>>()),
                        Text::from(d.status.code().to_string()),
                        Text::from(authors.into_iter().map(Line::from).collect::<Vec<_>>()),
                    ])
                    .height(height)
                })
                .collect();
            (
                vec!["DATE", "ACCOUNT", "TITLE", "STATUS", "AUTHOR"],
                vec![
                    Constraint::Length(10),
                    Constraint::Length(10),
                    Constraint::Length(title as u16),
                    Constraint::Length(13),
                    Constraint::Length(author as u16),
                ],
                rows,
            )
        }
        Section::Deficiencies => {
            // A deficiency's name and physician are read whole; selected items carry a mark.
            let type_width =
                state.chart.deficiencies.iter().map(|d| clean(&d.type_code).width()).max().unwrap_or(4).max(4);
            let inner = usize::from(body.width).saturating_sub(1 + 6);
            let rest = inner.saturating_sub(1 + 10 + type_width + 15 + 12);
            let longest_physician = state.chart.deficiencies.iter().map(|d| clean(&d.provider).width()).max();
            let physician = longest_physician.unwrap_or(0).clamp(9, (rest * 2 / 5).max(9));
            let name = rest.saturating_sub(physician).max(8);
            let mark = theme.glyph("✓", "*");
            let rows = state
                .chart
                .deficiencies
                .iter()
                .map(|d| {
                    // A closed item owes nothing: no delinquency date, and it sits after the open ones.
                    let overdue = d.owed_delinquent_on().is_some_and(|on| on <= today);
                    let when = match d.owed_delinquent_on() {
                        Some(on) => format!("{}{}", if overdue { "! " } else { "  " }, us_date(on)),
                        None => format!("  {}", theme.glyph("—", "-")),
                    };
                    // Each pause of its aging under the name, with why (AS-11).
                    let mut names = wrap(&clean(&d.type_name), name);
                    for pause in &d.pauses {
                        names.extend(wrap(&pause.describe(), name));
                    }
                    let physicians = wrap(&clean(&d.provider), physician);
                    let height = names.len().max(physicians.len()) as u16;
                    let row = Row::new(vec![
                        Text::from(if state.picked.contains(&d.id) { mark } else { " " }),
                        Text::from(clean(&d.account).to_string()),
                        Text::from(clean(&d.type_code).to_string()),
                        Text::from(names.into_iter().map(Line::from).collect::<Vec<_>>()),
                        Text::from(physicians.into_iter().map(Line::from).collect::<Vec<_>>()),
                        Text::from(d.status.missing()),
                        Text::from(when),
                    ])
                    .height(height);
                    if overdue {
                        row.style(theme.danger)
                    } else if d.status.is_open() {
                        row
                    } else {
                        row.style(theme.muted)
                    }
                })
                .collect();
            (
                vec!["", "ACCOUNT", "TYPE", "DEFICIENCY", "PHYSICIAN", "MISSING", "DELINQUENT"],
                vec![
                    Constraint::Length(1),
                    Constraint::Length(10),
                    Constraint::Length(type_width as u16),
                    Constraint::Length(name as u16),
                    Constraint::Length(physician as u16),
                    Constraint::Length(15),
                    Constraint::Length(12),
                ],
                rows,
            )
        }
        Section::Releases if state.requests.is_some() => {
            return releases(frame, body, state, today, theme);
        }
        Section::Releases => (
            vec!["DATE", "RECIPIENT", "PURPOSE", "PAGES"],
            vec![Constraint::Length(10), Constraint::Fill(1), Constraint::Fill(1), Constraint::Length(5)],
            state
                .chart
                .releases
                .iter()
                .map(|r| {
                    Row::new(vec![
                        us_date(r.disclosed_on),
                        clean(&r.recipient).to_string(),
                        clean(&r.purpose).to_string(),
                        r.pages.to_string(),
                    ])
                })
                .collect(),
        ),
        Section::PaperChart => {
            let rows = state
                .chart
                .volumes
                .iter()
                .flat_map(|v| {
                    v.movements.iter().map(move |m| {
                        Row::new(vec![
                            format!("Vol {}", v.volume_no),
                            us_date(m.at.date_naive()),
                            clean(&m.movement_type).to_string(),
                            clean(m.from_location.as_deref().unwrap_or("—")).to_string(),
                            clean(m.to_location.as_deref().unwrap_or("—")).to_string(),
                            clean(m.by.as_deref().unwrap_or("")).to_string(),
                        ])
                    })
                })
                .collect();
            (
                vec!["VOLUME", "DATE", "MOVEMENT", "FROM", "TO", "BY"],
                vec![
                    Constraint::Length(6),
                    Constraint::Length(10),
                    Constraint::Length(11),
                    Constraint::Fill(1),
                    Constraint::Fill(1),
                    Constraint::Length(10),
                ],
                rows,
            )
        }
    };
    let body = if state.section == Section::Encounters && !state.chart.procedures.is_empty() {
        // The procedures of the selected encounter under the list, for a chart that has any: an
        // analyst judging a missing operative report sees the operation beside the stay.
        let height = if body.height >= 30 { 7 } else { 4 };
        let [list, pane] = Layout::vertical([Constraint::Fill(1), Constraint::Length(height)]).areas(body);
        frame.render_widget(Paragraph::new(procedure_lines(state, height as usize, theme)), pane);
        list
    } else if state.section == Section::PaperChart {
        let lines: Vec<Line> = if state.chart.volumes.is_empty() {
            vec![Line::styled(" No paper chart on file.", theme.muted)]
        } else {
            state
                .chart
                .volumes
                .iter()
                .map(|v| {
                    Line::from(format!(
                        " Volume {} ({}): {}",
                        v.volume_no,
                        clean(&v.barcode),
                        clean(&v.location_label())
                    ))
                })
                .collect()
        };
        // A volume's location line may wrap at 80 columns: leave it room.
        let height = (2 * lines.len() as u16 + 1).min(body.height);
        let [top, rest] = Layout::vertical([Constraint::Length(height), Constraint::Fill(1)]).areas(body);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), top);
        rest
    } else {
        body
    };
    if rows.is_empty() {
        let empty = match state.section {
            Section::Encounters => " No encounters on file.",
            Section::Documents => " No documents on file.",
            Section::Deficiencies => " No deficiencies: this chart is complete.",
            Section::Releases => " No releases recorded.",
            Section::PaperChart => " No movements recorded.",
        };
        frame.render_widget(Paragraph::new(empty).style(theme.muted), body);
        return;
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.header))
        .column_spacing(1)
        .row_highlight_style(theme.selected)
        .highlight_symbol(theme.glyph("▌", ">"));
    let mut table_state = TableState::default().with_selected(Some(state.selected()));
    frame.render_stateful_widget(table, body, &mut table_state);
}

/// The Releases tab once the patient's requests are read: the requests (Enter opens one), then
/// what was disclosed.
fn releases(frame: &mut Frame, area: Rect, state: &ChartState, today: NaiveDate, theme: &Theme) {
    use crate::tui::screens::roi_queue::{status_short, type_short};
    let requests = state.requests.as_deref().unwrap_or_default();
    let disclosures = &state.chart.releases;
    let below = if disclosures.is_empty() { 0 } else { (disclosures.len() as u16 + 2).min(area.height / 3) };
    let [top, bottom] = Layout::vertical([Constraint::Fill(1), Constraint::Length(below)]).areas(area);
    if requests.is_empty() {
        frame.render_widget(
            Paragraph::new(" No release-of-information request for this patient: n logs one.").style(theme.muted),
            top,
        );
    } else {
        let wide = area.width >= 110;
        let number = requests.iter().map(|r| r.number.to_string().width()).max().unwrap_or(9).max(6) as u16;
        let kind =
            if wide { requests.iter().map(|r| r.request_type.title().width()).max().unwrap_or(4) as u16 } else { 5 };
        let status = if wide { requests.iter().map(|r| r.status.title().width()).max().unwrap_or(6) as u16 } else { 6 };
        let date = if wide { 10 } else { 8 };
        let fixed = 1 + number + date + kind + status + date + 6;
        let requester = area.width.saturating_sub(fixed).max(8);
        let short = |d: NaiveDate| if wide { us_date(d) } else { d.format("%m/%d/%y").to_string() };
        let rows: Vec<Row> = requests
            .iter()
            .map(|r| {
                let overdue = r.status.is_open() && r.due_on.is_some_and(|d| d < today);
                let row = Row::new(vec![
                    r.number.to_string(),
                    short(r.received_on),
                    super::queue::fit(&r.requester, usize::from(requester), theme),
                    if wide { r.request_type.title().to_string() } else { type_short(r.request_type).to_string() },
                    if wide { r.status.title().to_string() } else { status_short(r.status).to_string() },
                    match r.due_on {
                        Some(d) if overdue => format!("! {}", short(d)),
                        Some(d) if r.status.is_open() => short(d),
                        Some(_) => String::new(),
                        None if r.status.is_open() => super::roi_queue::undated(r).into(),
                        None => String::new(),
                    },
                ]);
                if overdue {
                    row.style(theme.danger)
                } else if r.status.is_open() {
                    row
                } else {
                    row.style(theme.muted)
                }
            })
            .collect();
        let table = Table::new(
            rows,
            [
                Constraint::Length(number),
                Constraint::Length(date),
                Constraint::Length(requester),
                Constraint::Length(kind),
                Constraint::Length(status),
                Constraint::Length(date + 2),
            ],
        )
        .header(Row::new(vec!["REQUEST", "RECEIVED", "REQUESTER", "TYPE", "STATUS", "DUE"]).style(theme.header))
        .column_spacing(1)
        .row_highlight_style(theme.selected)
        .highlight_symbol(theme.glyph("▌", ">"));
        let mut table_state = TableState::default().with_selected(Some(state.selected()));
        frame.render_stateful_widget(table, top, &mut table_state);
    }
    if below > 0 {
        let mut lines = vec![Line::styled(" Disclosed", theme.header)];
        for r in disclosures.iter().take(usize::from(below).saturating_sub(1)) {
            lines.push(Line::from(format!(
                " {}  {}  {}  {} {}",
                us_date(r.disclosed_on),
                clean(&r.recipient),
                clean(&r.purpose),
                r.pages,
                if r.pages == 1 { "page" } else { "pages" }
            )));
        }
        frame.render_widget(Paragraph::new(lines), bottom);
    }
}

/// The selected encounter's procedures, a title line and as many as fit in `height` lines.
fn procedure_lines(state: &ChartState, height: usize, theme: &Theme) -> Vec<Line<'static>> {
    let Some(encounter) = state.chart.encounters.get(state.selected[Section::Encounters.index()]) else {
        return Vec::new();
    };
    let of_encounter: Vec<_> = state.chart.procedures.iter().filter(|p| p.encounter_id == encounter.id).collect();
    let account = clean(&encounter.account).to_string();
    if of_encounter.is_empty() {
        return vec![Line::styled(format!(" No procedures recorded for {account}."), theme.muted)];
    }
    let mut lines = vec![Line::styled(format!(" Procedures of {account} ({})", of_encounter.len()), theme.header)];
    let room = height.saturating_sub(1);
    let shown = if of_encounter.len() > room { room.saturating_sub(1) } else { room };
    for p in of_encounter.iter().take(shown) {
        let mut spans = vec![Span::raw(format!(
            "  {}  {}  {}",
            us_date(p.performed_at.date_naive()),
            clean(&p.description),
            clean(&p.code)
        ))];
        if p.operation {
            spans.push(Span::styled("  operation", theme.warning));
        }
        lines.push(Line::from(spans));
    }
    if of_encounter.len() > shown {
        lines.push(Line::styled(format!("  … {} more", of_encounter.len() - shown), theme.muted));
    }
    lines
}

#[cfg(test)]
mod note_tests {
    use super::note_window;

    #[test]
    fn a_huge_note_hands_the_screen_only_what_it_shows() {
        // 20 MB on one line: the window holds one screen of it, not the whole.
        let one_line = "x".repeat(20 << 20);
        let shown = note_window(&one_line, 0, 80, 20);
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].chars().count(), 80 * 20);
        // A million short lines: the window starts where the clerk scrolled to.
        let many: String = (0..1_000_000).map(|n| format!("line {n}\n")).collect();
        let shown = note_window(&many, 60_000, 80, 3);
        assert_eq!(shown, ["line 60000", "line 60001", "line 60002"]);
        // Escape sequences in a note are shown as text, in the window as before.
        assert!(!note_window("a\u{1b}[2Jb", 0, 80, 3)[0].contains('\u{1b}'));
    }
}
