//! The screens driven key by key against the real desk, in line: each command the model asks for
//! is answered as the effects runner would answer it, and the answer given back to the model. For
//! snapshots of screens whose state comes from the store.

use chartroom::desk::Desk;
use chartroom::store::Page;
use chartroom::tui::app::{App, Command, HeaderInfo, Msg};
use chartroom::tui::keymap::Keymap;
use chartroom::tui::theme::Theme;
use chartroom::tui::view;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

pub struct Harness {
    pub fixture: super::Fixture,
    pub desk: Desk,
    pub app: App,
    /// Where letters, printed and delivered papers go; None: a screen that writes one is told so.
    pub letters: Option<std::path::PathBuf>,
}

impl Harness {
    /// The app as `header` signs in, at `size`, on the fixture's desk.
    pub fn on(fixture: super::Fixture, desk: Desk, mut header: HeaderInfo, size: (u16, u16)) -> Self {
        header.facility = "Riverbend General Hospital (RGH)".into();
        header.is_demo = true;
        let app = App::new(Arc::new(Keymap::default()), header, super::today(), size);
        Self { fixture, desk, app, letters: None }
    }

    pub fn keys(&mut self, keys: &[KeyEvent]) {
        for key in keys {
            let commands = self.app.update(Msg::Key(*key));
            self.run(commands);
        }
    }

    pub fn type_text(&mut self, text: &str) {
        let keys: Vec<_> = text.chars().map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)).collect();
        self.keys(&keys);
    }

    pub fn palette(&mut self, text: &str) {
        self.keys(&[KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)]);
        self.type_text(text);
        self.keys(&[key(KeyCode::Enter)]);
    }

    /// The commands carried out against the real desk, in line.
    pub fn run(&mut self, commands: Vec<Command>) {
        for command in commands {
            let msg = match command {
                Command::Roi(command) => {
                    chartroom::tui::effects::answer_roi(&self.desk, command, self.letters.as_deref(), &|e| {
                        e.to_string()
                    })
                }
                Command::FileRoom(command) => {
                    chartroom::tui::effects::answer_file_room(&self.desk, command, self.letters.as_deref(), &|e| {
                        e.to_string()
                    })
                }
                Command::OpenChartByMrn { id, mrn } => Msg::ChartLoaded {
                    id,
                    encounter_id: None,
                    result: self.desk.open_chart_by_mrn(&mrn).map(Box::new).map_err(|e| e.to_string()),
                },
                Command::Search { id, text, offset, append } => Msg::SearchDone {
                    id,
                    append,
                    result: self.desk.search(&text, Page { offset, limit: 50 }).map_err(|e| e.to_string()),
                },
                _ => continue,
            };
            // The effects runner drops a write's empty answer; so does this.
            if matches!(&msg, Msg::BackgroundFailed(m) if m.is_empty()) {
                continue;
            }
            let more = self.app.update(msg);
            self.run(more);
        }
    }

    pub fn draw(&self, width: u16, height: u16) -> Terminal<TestBackend> {
        self.draw_with(width, height, &Theme::ansi16())
    }

    pub fn draw_with(&self, width: u16, height: u16, theme: &Theme) -> Terminal<TestBackend> {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
        terminal.draw(|frame| view::render(frame, &self.app, theme)).unwrap();
        terminal
    }
}

pub fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}
