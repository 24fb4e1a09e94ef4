//! The screens at the design size (80×24) and a wide terminal (120×40), drawn from real desk
//! answers on the scenario store. Accepted snapshots live in tests/snapshots/.

mod common;

use chartroom::domain::query::QueryShape;
use chartroom::domain::role::Role;
use chartroom::store::{Page, RecordBatch};
use chartroom::tui::app::{App, Command, HeaderInfo, Msg};
use chartroom::tui::keymap::Keymap;
use chartroom::tui::theme::Theme;
use chartroom::tui::view;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

struct Harness {
    fixture: common::Fixture,
    desk: chartroom::desk::Desk,
    app: App,
}

impl Harness {
    fn new(width: u16, height: u16) -> Self {
        let fixture = common::scenario();
        let desk = common::desk_for(&fixture, "mlee");
        let mut header = HeaderInfo::new("mlee", &[Role::ChartAnalyst]);
        header.facility = "Riverbend General Hospital (RGH)".into();
        header.is_demo = true;
        let app = App::new(Arc::new(Keymap::default()), header, common::today(), (width, height));
        Self { fixture, desk, app }
    }

    /// Feeds keys and carries out the commands they produce against the real desk, synchronously.
    fn keys(&mut self, keys: &[KeyEvent]) {
        for key in keys {
            let commands = self.app.update(Msg::Key(*key));
            self.run(commands);
        }
    }

    /// The deficiency queue by the palette (digits in the results are text now).
    fn open_queue(&mut self) {
        self.keys(&[KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)]);
        self.type_text("deficiencies");
        self.keys(&[key(KeyCode::Enter)]);
    }

    fn type_text(&mut self, text: &str) {
        let keys: Vec<_> = text.chars().map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)).collect();
        self.keys(&keys);
    }

    fn run(&mut self, commands: Vec<Command>) {
        for command in commands {
            let msg = match command {
                Command::Search { id, text, offset, append } => Msg::SearchDone {
                    id,
                    append,
                    result: self.desk.search(&text, Page { offset, limit: 50 }).map_err(|e| e.to_string()),
                },
                Command::OpenChart { id, patient_id, encounter_id } => Msg::ChartLoaded {
                    id,
                    encounter_id,
                    result: self.desk.open_chart(patient_id).map(Box::new).map_err(|e| e.to_string()),
                },
                Command::LoadQueue { id, filter, sort, offset, append } => Msg::QueueLoaded {
                    id,
                    append,
                    result: self
                        .desk
                        .deficiency_queue(&filter, sort, Page { offset, limit: 50 })
                        .map_err(|e| e.to_string()),
                },
                Command::LoadPhysician { npi } => {
                    Msg::PhysicianLoaded(self.desk.physician_standing(&npi, common::today()).map_err(|e| e.to_string()))
                }
                Command::LoadStandings { provider_ids } => Msg::StandingsLoaded(
                    self.desk.physician_standings_of(&provider_ids, common::today()).map_err(|e| e.to_string()),
                ),
                Command::RefreshQueue { id, filter, sort, limit } => Msg::QueueRefreshed {
                    id,
                    result: self
                        .desk
                        .deficiency_queue(&filter, sort, Page { offset: 0, limit })
                        .map_err(|e| e.to_string()),
                },
                Command::CountQueue => {
                    Msg::QueueCounted(self.desk.deficiency_counts(common::today()).map_err(|e| e.to_string()))
                }
                Command::CompleteDeficiencies { items, resolved_on } => Msg::Completed {
                    verb: "completed",
                    result: self.desk.complete_deficiencies(items, resolved_on, None).map_err(|e| e.to_string()),
                },
                Command::TakeDeficiencies { ids, take_over } => {
                    Msg::Claimed(self.desk.take_deficiencies(&ids, take_over).map_err(|e| e.to_string()))
                }
                Command::OpenChartByMrn { id, mrn } => Msg::ChartLoaded {
                    id,
                    encounter_id: None,
                    result: self.desk.open_chart_by_mrn(&mrn).map(Box::new).map_err(|e| e.to_string()),
                },
                _ => continue,
            };
            let more = self.app.update(msg);
            self.run(more);
        }
    }

    fn draw(&self, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view::render(frame, &self.app, theme)).unwrap();
        terminal
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn theme() -> Theme {
    Theme::ansi16()
}

#[test]
fn lookup_empty_80x24() {
    let h = Harness::new(80, 24);
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn lookup_name_and_dob_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("smith jon 4/12/61");
    assert_eq!(h.app.lookup.shape, Some(QueryShape::NameDob));
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn lookup_name_prefix_120x40() {
    let mut h = Harness::new(120, 40);
    h.type_text("smi");
    insta::assert_snapshot!(h.draw(120, 40, &theme()).backend());
}

#[test]
fn chart_by_account_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("A25-000781");
    h.keys(&[key(KeyCode::Enter)]);
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn chart_by_account_120x40() {
    let mut h = Harness::new(120, 40);
    h.type_text("A25-000781");
    h.keys(&[key(KeyCode::Enter)]);
    insta::assert_snapshot!(h.draw(120, 40, &theme()).backend());
}

#[test]
fn chart_sections_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("204511");
    h.keys(&[key(KeyCode::Enter), key(KeyCode::Tab)]);
    insta::assert_snapshot!("chart_documents_80x24", h.draw(80, 24, &theme()).backend());
    h.keys(&[key(KeyCode::Enter)]);
    insta::assert_snapshot!("chart_document_text_80x24", h.draw(80, 24, &theme()).backend());
    h.keys(&[key(KeyCode::Esc), key(KeyCode::Tab)]);
    insta::assert_snapshot!("chart_deficiencies_80x24", h.draw(80, 24, &theme()).backend());
    h.keys(&[key(KeyCode::Tab), key(KeyCode::Tab)]);
    insta::assert_snapshot!("chart_paper_80x24", h.draw(80, 24, &theme()).backend());
}

#[test]
fn help_80x24() {
    let mut h = Harness::new(80, 24);
    h.keys(&[KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)]);
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

/// `?` in the deficiency queue opens at the queue's keys, not at the top of every context's; the
/// Everywhere keys are above it, and the border says how many lines are.
#[test]
fn help_opens_at_the_keys_of_where_the_clerk_is_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut h_ = Harness::new(w, h);
        h_.open_queue();
        h_.keys(&[key(KeyCode::Char('?'))]);
        let screen = format!("{:?}", h_.draw(w, h, &theme()).backend());
        assert!(screen.contains("In the deficiency queue"), "{screen}");
        assert!(!screen.contains("Everywhere"), "{screen}");
        assert!(screen.contains(" above "), "the Everywhere keys are a scroll away: {screen}");
        insta::assert_snapshot!(format!("help_in_the_queue_{w}x{h}"), h_.draw(w, h, &theme()).backend());
    }
}

#[test]
fn palette_80x24() {
    let mut h = Harness::new(80, 24);
    h.keys(&[KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)]);
    h.type_text("m");
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn import_progress_80x24() {
    // What a director sees while `:import` runs: the bar in the status line, the desk still usable.
    let mut h = Harness::new(80, 24);
    let step = chartroom::desk::import::ImportProgress {
        what: "encounters",
        records: 450_000,
        elapsed: std::time::Duration::from_secs(36),
        done: 0.45,
    };
    h.app.update(Msg::Progress(format!("Importing: {}", step.bar(20))));
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn too_small_72x20() {
    let h = Harness::new(72, 20);
    insta::assert_snapshot!(h.draw(72, 20, &theme()).backend());
}

#[test]
fn ascii_and_no_colour_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("smith");
    let terminal = h.draw(80, 24, &Theme::monochrome().ascii());
    let buffer = terminal.backend().buffer();
    assert!(buffer.content().iter().all(|cell| cell.symbol().is_ascii()), "ASCII only");
    // With no colour the highlighted row is still visible: reverse video.
    let highlighted = buffer.content().iter().any(|c| c.modifier.contains(ratatui::style::Modifier::REVERSED));
    assert!(highlighted);
    assert!(buffer.content().iter().all(|c| c.fg == ratatui::style::Color::Reset));
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn a_hostile_name_shows_as_text() {
    let mut h = Harness::new(80, 24);
    let mut batch = RecordBatch::default();
    batch.patients.push(common::patient(
        "4000001",
        "\x1b[2J\x1b]0;pwned\x07Smith",
        "Eve\u{202E}",
        "",
        (1990, 1, 1),
        None,
    ));
    h.fixture.store.insert_batch(batch, common::event("batch")).unwrap();
    h.type_text("4000001");
    let terminal = h.draw(80, 24, &theme());
    for cell in terminal.backend().buffer().content() {
        assert!(!cell.symbol().chars().any(chartroom::domain::text::is_unsafe_char), "{:?}", cell.symbol());
    }
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn deficiency_queue_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut h_ = Harness::new(w, h);
        h_.open_queue();
        assert_eq!(h_.app.queue.rows.len(), 3);
        insta::assert_snapshot!(format!("deficiency_queue_{w}x{h}"), h_.draw(w, h, &theme()).backend());
    }
}

/// mlee takes row 1 with `t` while kwong, at his own desk, has row 3: her mark and his beside the
/// numbers at 80 columns (nothing else moves), their names in TAKEN BY at 120.
#[test]
fn deficiency_queue_with_claimed_items_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut h_ = Harness::new(w, h);
        h_.open_queue();
        let kwong = common::desk_for(&h_.fixture, "kwong");
        kwong.take_deficiencies(&[h_.app.queue.rows[2].id], false).unwrap();
        h_.keys(&[key(KeyCode::Char('t'))]);
        assert_eq!(h_.app.toast.as_deref(), Some("1 deficiency taken, yours until the end of the day"));
        let holders: Vec<Option<&str>> =
            h_.app.queue.rows.iter().map(|r| r.claim.as_ref().map(|c| c.holder.as_str())).collect();
        assert_eq!(holders, [Some("mlee"), None, Some("kwong")], "the rows were read again");
        let screen = format!("{:?}", h_.draw(w, h, &theme()).backend());
        for whole in ["204511", "A25-000781", "OPEN", "TRAN", "23"] {
            assert!(screen.contains(whole), "{whole} is cut: {screen}");
        }
        insta::assert_snapshot!(format!("deficiency_queue_claimed_{w}x{h}"), h_.draw(w, h, &theme()).backend());
    }
}

/// An item 9,460 days old and a very long patient name: the age, MRN, account and discharge year
/// are whole; the names give way.
#[test]
fn deficiency_queue_four_digit_age_and_long_name_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    let row = &mut h.app.queue.rows[1];
    row.event_on = common::today() - chrono::Duration::days(9460);
    row.delinquent_on = row.event_on + chrono::Duration::days(30);
    row.patient = "WOLFESCHLEGELSTEINHAUSENBERGERDORFF, MARIA GUADALUPE".into();
    let discharged = row.event_on.format("%m/%d/%y").to_string();
    let screen = format!("{:?}", h.draw(80, 24, &theme()).backend());
    for whole in ["! 9460", "204511", "A25-000781", discharged.as_str(), "OPEN", "TRAN"] {
        assert!(screen.contains(whole), "{whole} is cut: {screen}");
    }
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

/// 341 selected with a long filter: the counts on both sides are whole; the filter gives way.
#[test]
fn the_selection_count_is_never_cut_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    h.app.queue.picked = (1..=341).map(|id| (id, 1)).collect();
    h.app.queue.filter.service = Some("CARDIOTHORACIC SURGERY".into());
    h.app.queue.filter.delinquent_only = true;
    let terminal = h.draw(80, 24, &theme());
    let band: String = (0..80).map(|x| terminal.backend().buffer()[(x, 2)].symbol().to_string()).collect();
    assert!(band.contains(" 341 selected"), "{band}");
    assert!(band.contains("3 open · 0 delinquent"), "{band}");
    let rule: String = (0..80).map(|x| terminal.backend().buffer()[(x, 3)].symbol().to_string()).collect();
    assert!(rule.contains("service CARDIOTHORACIC SURGERY · delinquent only · oldest first"), "{rule}");
}

/// Row 2 completed: it stays row 2, shown done; row 3 is still row 3; the band's counts follow.
#[test]
fn deficiency_queue_after_completing_a_row_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    let before: Vec<i64> = h.app.queue.rows.iter().map(|r| r.id).collect();
    h.keys(&[key(KeyCode::Char(':'))]);
    h.type_text("QC=2");
    h.keys(&[key(KeyCode::Enter), key(KeyCode::Char('y'))]);
    assert_eq!(h.app.queue.rows.iter().map(|r| r.id).collect::<Vec<_>>(), before, "no row moved");
    let screen = format!("{:?}", h.draw(80, 24, &theme()).backend());
    assert!(screen.contains("2 open · 0 delinquent"), "the counts follow: {screen}");
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn deficiency_queue_confirm_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    h.keys(&[key(KeyCode::Char(' '))]);
    h.keys(&[key(KeyCode::Char(':'))]);
    h.type_text("QC=1-2");
    h.keys(&[key(KeyCode::Enter)]);
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn physician_view_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    h.keys(&[key(KeyCode::Char(':'))]);
    h.type_text("physician 1000000001");
    h.keys(&[key(KeyCode::Enter)]);
    assert_eq!(h.app.queue.rows.len(), 1);
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn deficiency_queue_grouped_by_physician_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    h.keys(&[key(KeyCode::Char('s'))]);
    assert_eq!(h.app.queue.standings.len(), 3);
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

/// A very long name on a deceased, restricted patient: the name is shortened, the MRN, birth date,
/// SSN and both flags are whole.
#[test]
fn chart_long_name_and_flags_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("204511");
    h.keys(&[key(KeyCode::Enter)]);
    let chart = &mut h.app.chart.as_mut().expect("the chart is open").chart;
    chart.patient.family = "Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh".into();
    chart.patient.given = "Maria Guadalupe".into();
    chart.patient.middle = "Esperanza".into();
    chart.patient.deceased_on = Some(common::today() - chrono::Duration::days(40));
    chart.patient.sensitivity = chartroom::domain::patient::Sensitivity::Employee;
    let screen = format!("{:?}", h.draw(80, 24, &theme()).backend());
    for whole in ["MRN 204511", "DOB 09/30/1988", "SSN xxx-xx-0417", "deceased", "R EMPLOYEE"] {
        assert!(screen.contains(whole), "{whole} is cut: {screen}");
    }
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

/// Names of 200 characters, the most an import lets in, in every part: the MRN and birth date stay
/// whole on the banner.
#[test]
fn chart_200_character_names_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("204511");
    h.keys(&[key(KeyCode::Enter)]);
    let chart = &mut h.app.chart.as_mut().expect("the chart is open").chart;
    chart.patient.family = "W".repeat(200);
    chart.patient.given = format!("Maria{}", "m".repeat(195));
    chart.patient.middle = "E".repeat(200);
    let screen = format!("{:?}", h.draw(80, 24, &theme()).backend());
    for whole in ["MRN 204511", "DOB 09/30/1988", "SSN xxx-xx-0417"] {
        assert!(screen.contains(whole), "{whole} is cut: {screen}");
    }
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

/// The chart's deficiencies with their work keys in the footer, one selected, and the question.
#[test]
fn chart_deficiencies_worked_from_the_chart_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("A25-000781");
    h.keys(&[key(KeyCode::Enter), key(KeyCode::Tab), key(KeyCode::Tab), key(KeyCode::Char(' '))]);
    insta::assert_snapshot!("chart_deficiencies_selected_80x24", h.draw(80, 24, &theme()).backend());
    h.keys(&[key(KeyCode::Char('c'))]);
    insta::assert_snapshot!("chart_deficiency_confirm_80x24", h.draw(80, 24, &theme()).backend());
}

/// The palette scrolled to its last entry: every entry is reachable, name and description apart.
#[test]
fn palette_scrolled_to_the_end_80x24() {
    let mut h = Harness::new(80, 24);
    h.keys(&[KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)]);
    h.keys(&vec![key(KeyCode::Down); 60]);
    let screen = format!("{:?}", h.draw(80, 24, &theme()).backend());
    assert!(screen.contains("VD=1-3 reason"), "{screen}");
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

/// Help scrolled to its end: the last line is readable, nothing runs off the right.
#[test]
fn help_scrolled_to_the_end_80x24() {
    let mut h = Harness::new(80, 24);
    h.keys(&[KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE), key(KeyCode::End)]);
    let screen = format!("{:?}", h.draw(80, 24, &theme()).backend());
    assert!(screen.contains("see config.example.toml."), "{screen}");
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

/// A message too long for the line wraps over the last lines, whole up to three lines.
#[test]
fn a_long_message_wraps_80x24() {
    let mut h = Harness::new(80, 24);
    h.app.update(Msg::ImportDone(Err(
        "the directory /srv/exports/synthea/2026-11-26/csv holds no patients.csv; name the directory that holds \
         patients.csv, encounters.csv and procedures.csv (the output/csv folder of a Synthea run)"
            .into(),
    )));
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

/// The screen's text, one string per row.
fn screen_lines(terminal: &Terminal<TestBackend>) -> Vec<String> {
    let buffer = terminal.backend().buffer();
    let width = usize::from(buffer.area.width);
    buffer.content().chunks(width).map(|row| row.iter().map(|c| c.symbol()).collect()).collect()
}

#[test]
fn the_queue_band_shows_no_rate_when_nothing_was_discharged_in_the_window() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    let (counts, _) = h.desk.deficiency_counts(common::today()).unwrap();
    let none_discharged =
        chartroom::store::QueueCounts { discharges_12_months: 0, delinquent_charts: 2, ..counts.clone() };
    let rate = chartroom::domain::deficiency::delinquency_rate(2, 0);
    h.app.update(Msg::QueueCounted(Ok((none_discharged, rate))));
    let band = screen_lines(&h.draw(80, 24, &theme()))
        .into_iter()
        .find(|l| l.contains(" delinquent · "))
        .expect("the queue's band");
    assert!(band.contains("rate n/a"), "{band:?}");
    assert!(!band.contains('%'), "a rate over no discharges is not a percentage: {band:?}");
}

#[test]
fn chart_deficiencies_with_one_completed_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut h_ = Harness::new(w, h);
        let mut rows = h_
            .desk
            .deficiency_queue(&Default::default(), chartroom::store::QueueSort::Type, Page::first(50))
            .unwrap()
            .rows;
        rows.retain(|r| r.mrn == "204511" && r.type_code == "DS-D");
        let ds = &rows[0];
        h_.desk.complete_deficiencies(vec![(ds.id, ds.version)], common::today(), None).unwrap();
        h_.type_text("204511");
        h_.keys(&[key(KeyCode::Enter), key(KeyCode::Tab), key(KeyCode::Tab)]);
        let terminal = h_.draw(w, h, &theme());
        let tabs = screen_lines(&terminal).into_iter().find(|l| l.contains("Encounters")).unwrap();
        assert!(tabs.trim_end().ends_with("Paper chart"), "no tab is cut: {tabs:?}");
        insta::assert_snapshot!(format!("chart_deficiencies_one_completed_{w}x{h}"), terminal.backend());
    }
}

/// AS-11: a paused item shows each pause's interval and why, under its name.
#[test]
fn chart_deficiency_with_a_pause_shows_its_interval_and_reason_80x24() {
    let mut h = Harness::new(80, 24);
    let mut rows =
        h.desk.deficiency_queue(&Default::default(), chartroom::store::QueueSort::Type, Page::first(50)).unwrap().rows;
    rows.retain(|r| r.mrn == "204511" && r.type_code == "DS-D");
    let ds = &rows[0];
    let from = ds.event_on + chrono::Duration::days(2);
    let to = ds.event_on + chrono::Duration::days(7);
    h.desk.pause_aging(vec![(ds.id, ds.version)], from, to, "chart charged out to CODING").unwrap();
    h.type_text("204511");
    h.keys(&[key(KeyCode::Enter), key(KeyCode::Tab), key(KeyCode::Tab)]);
    let terminal = h.draw(80, 24, &theme());
    let text = screen_lines(&terminal).join("\n");
    assert!(text.contains("paused"), "{text}");
    assert!(text.contains("CODING"), "the reason is shown: {text}");
    insta::assert_snapshot!("chart_deficiency_paused_80x24", terminal.backend());
}

const LONG_COMMENT: &str = "please dictate the discharge summary for this stay as soon as you can, the coders are \
                            waiting on it since last month";

#[test]
fn palette_with_a_comment_longer_than_its_box_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    h.keys(&[key(KeyCode::Char(':'))]);
    h.type_text(&format!("CM=2 {LONG_COMMENT}"));
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn a_long_comment_is_asked_back_whole_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    h.keys(&[key(KeyCode::Char(':'))]);
    h.type_text(&format!("CM=2 {LONG_COMMENT}"));
    h.keys(&[key(KeyCode::Enter)]);
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn a_refused_query_says_the_search_was_not_run_and_why_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("204511x");
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn a_failed_search_says_it_was_not_run_not_that_no_patient_matches() {
    let mut h = Harness::new(80, 24);
    h.type_text("smith");
    h.app.lookup.begin_search(9_999);
    h.app.update(Msg::SearchDone {
        id: 9_999,
        append: false,
        result: Err("the account mlee is disabled: ask the Director to enable it".into()),
    });
    let lines = screen_lines(&h.draw(80, 24, &theme()));
    assert!(lines.iter().all(|l| !l.contains("No patient matches")), "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("The search was not run: the account mlee is disabled: ask the Director")),
        "{lines:#?}"
    );
    assert!(lines[2].trim_end().ends_with("search failed"), "{:?}", lines[2]);
}

#[test]
fn a_long_facility_name_is_shortened_keeping_its_code_and_the_role() {
    let mut h = Harness::new(80, 24);
    h.app.header.facility =
        "Kiritimati Line Islands Regional Medical Center and Teaching Hospital of the Pacific (KIR)".into();
    let lines = screen_lines(&h.draw(80, 24, &theme()));
    assert_eq!(lines[0], " Kiritimati Line Islands Regional Med… (KIR)   DEMO DATA   mlee · chart analyst ");
    h.app.header.is_demo = false;
    let lines = screen_lines(&h.draw(80, 24, &theme()));
    assert_eq!(lines[0], " Kiritimati Line Islands Regional Medical Center a… (KIR)  mlee · chart analyst ");
}

#[test]
fn deficiency_queue_narrowed_every_way_shows_all_of_it_80x24() {
    let mut h = Harness::new(80, 24);
    h.open_queue();
    h.keys(&[key(KeyCode::Char('d')), key(KeyCode::Char('b')), key(KeyCode::Char('s'))]);
    h.app.queue.filter.type_code = Some("DS-D".into());
    h.app.queue.filter.service = Some("SURGERY".into());
    h.app.queue.filter.facility = Some("RGH".into());
    insta::assert_snapshot!(h.draw(80, 24, &theme()).backend());
}

#[test]
fn the_banner_tightens_its_gaps_before_it_shortens_a_name() {
    let mut h = Harness::new(80, 24);
    h.type_text("204511");
    h.keys(&[key(KeyCode::Enter)]);
    let chart = &mut h.app.chart.as_mut().expect("the chart is open").chart;
    chart.patient.family = "Nguyen".into();
    chart.patient.given = "Thanh".into();
    chart.patient.middle = String::new();
    chart.patient.sensitivity = chartroom::domain::patient::Sensitivity::Employee;
    let lines = screen_lines(&h.draw(80, 24, &theme()));
    assert!(lines[1].starts_with(" NGUYEN, THANH  MRN 204511  DOB"), "{:?}", lines[1]);
    assert!(lines[1].contains("R EMPLOYEE"), "{:?}", lines[1]);
}

#[test]
fn a_name_too_long_for_the_results_ends_in_an_ellipsis() {
    let mut h = Harness::new(80, 24);
    h.type_text("204511");
    h.app.lookup.rows[0].family = "Wolfeschlegelsteinhausenbergerdorff".into();
    let lines = screen_lines(&h.draw(80, 24, &theme()));
    let row = lines.iter().find(|l| l.starts_with('│') && l.contains("204511 ")).expect("the row");
    assert!(row.contains("WOLFESCHLEGELSTEINHAUSENBERG… 204511"), "{row:?}");
}

#[test]
fn the_palette_stays_where_it_opened_as_it_is_typed_in() {
    let mut h = Harness::new(80, 24);
    h.keys(&[KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)]);
    let top = |h: &Harness| screen_lines(&h.draw(80, 24, &theme())).iter().position(|l| l.starts_with("┌ : "));
    let opened = top(&h);
    assert!(opened.is_some());
    for c in ["m", "r", "n"] {
        h.type_text(c);
        assert_eq!(top(&h), opened, "after {c:?}");
    }
}

/// Leave recorded ahead shows in the physician's standing, with its first day.
#[test]
fn physician_view_with_leave_ahead_80x24() {
    let mut h = Harness::new(80, 24);
    let from = common::today() + chrono::Duration::days(9);
    h.desk.add_provider_leave("1000000001", from, from + chrono::Duration::days(10)).unwrap();
    h.open_queue();
    h.keys(&[key(KeyCode::Char(':'))]);
    h.type_text("physician 1000000001");
    h.keys(&[key(KeyCode::Enter)]);
    let terminal = h.draw(80, 24, &theme());
    let band = screen_lines(&terminal).into_iter().find(|l| l.contains(" open · ")).unwrap();
    assert!(band.contains(&format!("leave from {}", chartroom::domain::dates::us_date(from))), "{band:?}");
    insta::assert_snapshot!(terminal.backend());
}

/// The store stopped answering: the banner sits on the top rule, and the rows found before stay.
#[test]
fn store_unreachable_banner_keeps_the_rows_80x24() {
    let mut h = Harness::new(80, 24);
    h.type_text("smith jon 4/12/61");
    let retry = h.app.update(Msg::StoreUnreachable {
        reason: "tried db.example.org:5432 as chartroom, database chartroom: Connection refused".into(),
        retry: Some(Command::LoadInfo),
    });
    assert!(matches!(retry[..], [Command::RetryAfter(_)]), "{retry:?}");
    let terminal = h.draw(80, 24, &theme());
    assert!(screen_lines(&terminal)[1].contains("store unreachable — retrying"), "{:?}", screen_lines(&terminal));
    insta::assert_snapshot!(terminal.backend());
}
