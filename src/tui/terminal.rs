//! Entering and leaving the terminal: raw mode, the alternate screen, a panic hook that restores the
//! terminal before anything is printed, a buffered writer, and each frame in synchronized output.

use crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute, queue};
use ratatui::backend::CrosstermBackend;
use ratatui::{Frame, Terminal};
use std::io::{self, BufWriter, Stdout, Write};

pub type Tui = Terminal<CrosstermBackend<BufWriter<Stdout>>>;

/// One SSH packet's worth: a full 80×24 frame goes out in one or two writes.
const WRITE_BUFFER: usize = 64 * 1024;

pub fn enter() -> io::Result<Tui> {
    terminal::enable_raw_mode()?;
    let entered = (|| {
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, io::stdout());
        execute!(out, EnterAlternateScreen, cursor::Hide)?;
        let mut tui = Terminal::new(CrosstermBackend::new(out))?;
        full_redraw(&mut tui)?;
        Ok(tui)
    })();
    if entered.is_err() {
        // Whatever failed, the clerk gets their shell back as it was.
        restore();
    }
    entered
}

/// Clears the screen and makes the next frame repaint every cell. Unlike `Terminal::clear`, it
/// never asks the terminal where its cursor is: a terminal (or a test harness) that does not answer
/// that query would stall the start.
pub fn full_redraw(tui: &mut Tui) -> io::Result<()> {
    let size = tui.size()?;
    tui.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

/// Leaves the terminal as it was found. Safe to call twice and from a panic hook.
pub fn restore() {
    let mut out = io::stdout();
    let _ = execute!(out, EndSynchronizedUpdate, LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal before the previous hook (color-eyre's report) prints.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Draws one frame inside synchronized output, so a slow link never shows half a frame.
pub fn draw(tui: &mut Tui, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
    queue!(tui.backend_mut(), BeginSynchronizedUpdate)?;
    tui.draw(render)?;
    execute!(tui.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}

/// Ctrl-Z: give the terminal back, stop, and take it again on `fg`.
pub fn suspend(tui: &mut Tui) -> io::Result<()> {
    restore();
    rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TSTP).map_err(io::Error::from)?;
    // Execution resumes here after SIGCONT.
    terminal::enable_raw_mode()?;
    execute!(tui.backend_mut(), EnterAlternateScreen, cursor::Hide)?;
    full_redraw(tui)
}
