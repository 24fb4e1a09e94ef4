//! The terminal program: a clerk's keystroke becomes a `Msg`; `App::update` turns it into state
//! changes and `Command`s; the effects runner carries each command to the desk; the answer comes back
//! as a `Msg`; the frame is drawn once, only if something changed.

pub mod action;
pub mod app;
pub mod effects;
pub mod event_loop;
pub mod keymap;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod widgets;

use crate::config::Config;
use crate::desk::Desk;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(transparent)]
    Keymap(#[from] keymap::KeymapError),
    #[error("the terminal: {0}")]
    Io(#[from] std::io::Error),
    #[error("chartroom's terminal program needs a terminal; for scripts use `chartroom search` and `chartroom chart`")]
    NotATerminal,
}

pub fn run(desk: Desk, config: &Config) -> Result<(), TuiError> {
    use std::io::IsTerminal;
    // Refuse a bad keymap before touching the terminal, so the message prints plainly.
    let keymap = Arc::new(keymap::Keymap::with_overrides(&config.keymap)?);
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    let theme = theme::Theme::from_settings(config.use_color(), config.use_ascii());
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let header = app::HeaderInfo::new(&desk.user().username, &desk.user().roles);
    let today = desk.today();
    let letters_dir = config.data_dir.join("letters");
    let idle_lock = config.idle_lock;
    runtime.block_on(async move {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let effects = effects::Effects::new(desk, tx, Some(letters_dir))?;
        effects.follow_store();
        terminal::install_panic_hook();
        let mut tui = terminal::enter()?;
        let size = tui.size().map(|s| (s.width, s.height)).unwrap_or((80, 24));
        let mut app = app::App::new(keymap, header, today, size);
        app.idle_lock = Some(idle_lock);
        let result = event_loop::run(&mut tui, &mut app, &effects, rx, &theme).await;
        terminal::restore();
        result.map_err(TuiError::from)
    })
}
