//! The one `select!`: terminal input, effect results (the store's change feed among them), signals,
//! and the search-settle timer. All pending input is drained before a frame is drawn, and a frame is
//! drawn only when something changed.

use super::app::{App, Command, Msg};
use super::effects::Effects;
use super::terminal::{self, Tui};
use super::theme::Theme;
use super::view;
use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

/// How long a clerk pauses before a search counts as settled and is audited.
pub const SETTLE_AFTER: Duration = Duration::from_millis(1500);

pub async fn run(
    tui: &mut Tui,
    app: &mut App,
    effects: &Effects,
    mut results: UnboundedReceiver<Msg>,
    theme: &Theme,
) -> std::io::Result<()> {
    let mut events = EventStream::new();
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
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
            event = events.next() => match event {
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
                Msg::IdleTimeout { at: chrono::Local::now().format("%H:%M").to_string() }
            }
        };
        let commands = app.update(msg);
        dispatch(tui, app, effects, commands)?;
        // Drain whatever else is already waiting before drawing: typed-ahead keys, finished work.
        loop {
            // Polled inside `select!` with this task's own waker: crossterm's EventStream keeps one
            // wake-up registration at a time, and a throwaway waker (`now_or_never`) would swallow
            // the wake-up of the next key.
            let ready = tokio::select! {
                biased;
                event = events.next() => event,
                () = std::future::ready(()) => None,
            };
            if let Some(Ok(event)) = ready {
                if let Some(msg) = to_msg(event) {
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
