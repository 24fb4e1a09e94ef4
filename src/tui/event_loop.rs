//! The one `select!`: terminal input, effect results (the store's change feed among them), signals,
//! and the search-settle timer. All pending input is drained before a frame is drawn, and a frame is
//! drawn only when something changed.

use super::app::{App, Command, Msg};
use super::effects::Effects;
use super::terminal::{self, Tui};
use super::theme::Theme;
use super::view;
use crossterm::event::Event;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

/// How long a clerk pauses before a search counts as settled and is audited.
pub const SETTLE_AFTER: Duration = Duration::from_millis(1500);

/// How often the terminal is asked whether it is still there. A terminal hung up without a
/// signal reaching this process (`su -c` starts it in a session of its own, which the hang-up
/// signals nothing) reads as endless end-of-input, which crossterm retries in a loop instead of
/// reporting (crossterm-rs/crossterm#793). That loop is kept on the input thread
/// ([`spawn_input`]); this check, on the loop's own thread, sees the terminal gone and leaves as
/// a hang-up would, drafts saved, and the process's end stops the input thread.
const TERMINAL_CHECK: Duration = Duration::from_secs(2);

pub async fn run(
    tui: &mut Tui,
    app: &mut App,
    effects: &Effects,
    mut results: UnboundedReceiver<Msg>,
    theme: &Theme,
) -> std::io::Result<()> {
    let mut events = spawn_input()?;
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    // The controlling terminal, held open to ask it whether it was hung up (None: there is none,
    // as under `su -c`, which starts the program in a session of its own; its input is then the
    // terminal, asked instead).
    let tty = std::fs::File::open("/dev/tty").ok();
    let mut terminal_check = tokio::time::interval(TERMINAL_CHECK);
    terminal_check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut armed: Option<(u64, Instant)> = None;
    // The last key: the idle lock falls due that long after it. A deadline, not a tick: nothing
    // wakes while the clerk types, and nothing at all while the screen is locked.
    let mut last_key = Instant::now();
    let startup = app.init();
    dispatch(tui, app, effects, startup)?;

    loop {
        if app.dirty {
            terminal::draw(tui, |frame| view::render(frame, app, theme))?;
            app.dirty = false;
            app.frame_drawn();
        }
        if app.quitting {
            return Ok(());
        }
        // (Re)arm the settle timer when a new search result owes an audit event.
        match (app.settle_generation(), armed) {
            (Some(generation), Some((armed_for, _))) if armed_for == generation => {}
            (Some(generation), _) => armed = Some((generation, Instant::now() + SETTLE_AFTER)),
            (None, _) => armed = None,
        }
        let deadline = armed.map(|(_, at)| at);
        let idle_at = match app.idle_lock {
            Some(after) if !app.locked() && app.disabled.is_none() => Some(last_key + after),
            _ => None,
        };
        let msg = tokio::select! {
            // Signals first: a hang-up or a stop request must never wait behind a stream of input.
            biased;
            _ = hangup.recv() => Msg::Terminate,
            _ = terminate.recv() => Msg::Terminate,
            _ = terminal_check.tick() => {
                if hung_up(&std::io::stdin()) || tty.as_ref().is_some_and(hung_up) {
                    tracing::info!("the terminal was hung up without a signal; leaving");
                    Msg::Terminate
                } else {
                    continue;
                }
            }
            event = events.recv() => match event {
                Some(Ok(event)) => match to_msg(event) {
                    Some(msg) => {
                        if matches!(msg, Msg::Key(_)) {
                            last_key = Instant::now();
                        }
                        msg
                    }
                    None => continue,
                },
                // The terminal is gone (an SSH link dropped): leave as if told to.
                Some(Err(e)) => {
                    tracing::info!(error = %e, "terminal input failed; leaving");
                    Msg::Terminate
                }
                None => Msg::Terminate,
            },
            Some(msg) = results.recv() => msg,
            _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                let generation = armed.take().map(|(g, _)| g).unwrap_or_default();
                Msg::SearchSettled { generation }
            }
            _ = tokio::time::sleep_until(idle_at.unwrap_or_else(Instant::now)), if idle_at.is_some() => {
                // Counted again from the lock: after the unlock the clerk has the whole time.
                last_key = Instant::now();
                Msg::IdleTimeout { at: effects.wall_clock() }
            }
        };
        let commands = app.update(msg);
        dispatch(tui, app, effects, commands)?;
        // Drain whatever else is already waiting before drawing: typed-ahead keys, finished work.
        loop {
            if let Ok(event) = events.try_recv() {
                if let Ok(event) = event
                    && let Some(msg) = to_msg(event)
                {
                    if matches!(msg, Msg::Key(_)) {
                        last_key = Instant::now();
                    }
                    let commands = app.update(msg);
                    dispatch(tui, app, effects, commands)?;
                }
                continue;
            }
            if let Ok(msg) = results.try_recv() {
                let commands = app.update(msg);
                dispatch(tui, app, effects, commands)?;
                continue;
            }
            break;
        }
    }
}

/// Terminal input, read on a thread of its own: what crossterm reads arrives here in order, and a
/// read that fails ends the thread after saying so (the loop then leaves). Whatever crossterm does
/// with a dead terminal (see [`TERMINAL_CHECK`]) it does on this thread, never the loop's.
fn spawn_input() -> std::io::Result<UnboundedReceiver<std::io::Result<Event>>> {
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    std::thread::Builder::new().name("chartroom-input".into()).spawn(move || {
        loop {
            let event = crossterm::event::read();
            let failed = event.is_err();
            if sender.send(event).is_err() || failed {
                return;
            }
        }
    })?;
    Ok(receiver)
}

/// Whether the terminal behind `tty` was hung up: the kernel then answers every terminal request
/// on it with EIO (a file that is no terminal answers ENOTTY, and is not).
fn hung_up(tty: &impl std::os::fd::AsFd) -> bool {
    matches!(rustix::termios::tcgetattr(tty), Err(rustix::io::Errno::IO))
}

fn to_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => Some(Msg::Key(key)),
        Event::Resize(w, h) => Some(Msg::Resize(w, h)),
        other => {
            // Never the key itself: keys are what a clerk types, and logs hold no patient data.
            tracing::trace!(event = event_kind(&other), "terminal event ignored");
            None
        }
    }
}

fn event_kind(event: &Event) -> &'static str {
    match event {
        Event::FocusGained => "focus_gained",
        Event::FocusLost => "focus_lost",
        Event::Mouse(_) => "mouse",
        Event::Paste(_) => "paste",
        Event::Key(_) => "key",
        Event::Resize(..) => "resize",
    }
}

fn dispatch(tui: &mut Tui, app: &mut App, effects: &Effects, commands: Vec<Command>) -> std::io::Result<()> {
    for command in commands {
        match command {
            Command::Suspend => {
                terminal::suspend(tui)?;
                app.dirty = true;
            }
            Command::Quit => {}
            Command::RecordSearch { .. } | Command::Roi(super::app::RoiCommand::SaveDraft { .. }) if app.quitting => {
                effects.run_to_completion(vec![command])
            }
            other => effects.run(other),
        }
    }
    Ok(())
}
