//! The change feed on PostgreSQL: one session per store LISTENs on `chartroom_change` (schema
//! migration 2 notifies it from the commit of every change a screen shows) and reads the counters
//! again after each burst of notifications; [`Feed::wait`] blocks a caller's thread until they move.
//!
//! The session is opened at the first wait (a command that never waits never listens), lives on the
//! store's runtime, and is opened again when it drops (a server restarted, a network gone), with a
//! growing pause between tries. It reads the counters after every LISTEN: what was committed while
//! it was away shows as moved, and nothing is missed between the read and the first notification.

use crate::store::{ChangeStamp, StoreError, Topic};
use futures_util::future::poll_fn;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::AsyncMessage;

/// The channel the triggers notify.
const CHANNEL: &str = "chartroom_change";
/// The longest pause between tries to listen again while the server is away: a try is one
/// connection attempt, and every second it waits is a second clerks' screens look live and are not.
const RETRY_MAX: Duration = Duration::from_secs(1);

pub(super) struct Feed {
    state: Mutex<State>,
    moved: Condvar,
}

#[derive(Default)]
struct State {
    started: bool,
    /// The counters as last read; None before the first read.
    stamp: Option<ChangeStamp>,
    /// Why the session is not listening now, while it is not.
    down: Option<String>,
}

impl Feed {
    pub(super) fn new() -> Self {
        Self { state: Mutex::new(State::default()), moved: Condvar::new() }
    }

    /// Blocks until the counters differ from `since`, or `timeout` passes. `start` opens the
    /// listening session, at the first call. While the session is away, a wait that sees nothing
    /// move says why (`Unreachable`) at its end, so that a caller can tell and say so.
    pub(super) fn wait(
        &self,
        since: &ChangeStamp,
        timeout: Duration,
        start: impl FnOnce(),
    ) -> Result<ChangeStamp, StoreError> {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !state.started {
            state.started = true;
            start();
        }
        loop {
            if let Some(stamp) = state.stamp.as_ref().filter(|stamp| *stamp != since) {
                return Ok(stamp.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return match &state.down {
                    Some(why) => Err(StoreError::Unreachable(why.clone())),
                    None => Ok(state.stamp.clone().unwrap_or_else(|| since.clone())),
                };
            }
            state = self.moved.wait_timeout(state, left).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }

    fn publish(&self, stamp: ChangeStamp) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.stamp = Some(stamp);
        state.down = None;
        self.moved.notify_all();
    }

    fn went_down(&self, why: String) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.down = Some(why);
        self.moved.notify_all();
    }
}

/// Listens for as long as the store lives (the store's runtime ends this task when it closes).
pub(super) async fn listen(config: tokio_postgres::Config, target: String, feed: Arc<Feed>) {
    let mut retry = Duration::ZERO;
    loop {
        let began = Instant::now();
        let why = match session(&config, &feed).await {
            Ok(never) => match never {},
            Err(why) => why,
        };
        // A session that listened a while ended by a new outage: its tries start quick again.
        if began.elapsed() > Duration::from_secs(10) {
            retry = Duration::ZERO;
        }
        if retry.is_zero() {
            tracing::warn!(error = %why, "the store's change feed stopped listening; listening again");
        }
        feed.went_down(format!("the change feed lost {target}: {why}"));
        retry = (retry * 2).clamp(Duration::from_millis(250), RETRY_MAX);
        tokio::time::sleep(retry).await;
    }
}

/// One listening session: returns only with why it ended.
async fn session(config: &tokio_postgres::Config, feed: &Feed) -> Result<std::convert::Infallible, String> {
    let (client, mut connection) = config.connect(tokio_postgres::NoTls).await.map_err(|e| super::describe(&e))?;
    // The connection carries the client's statements and the notifications: it is driven here, and
    // hands each notification, or its end, to the session.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
    let driver = tokio::spawn(async move {
        loop {
            let ended = match poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(_))) => None,
                Some(Ok(_)) => continue,
                Some(Err(e)) => Some(super::describe(&e)),
                None => Some("the server closed the connection".to_string()),
            };
            let last = ended.is_some();
            if tx.send(ended.map_or(Ok(()), Err)).is_err() || last {
                return;
            }
        }
    });
    let listened = async {
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await.map_err(|e| super::describe(&e))?;
        // After LISTEN: a change committed before it is in this read, one after it is notified.
        feed.publish(counters(&client).await?);
        while let Some(message) = rx.recv().await {
            message?;
            // A burst of notifications (a nightly run, a page completed) is one read.
            while let Ok(more) = rx.try_recv() {
                more?;
            }
            feed.publish(counters(&client).await?);
        }
        Err("the connection's task ended".to_string())
    };
    let ended = listened.await;
    driver.abort();
    ended
}

async fn counters(client: &tokio_postgres::Client) -> Result<ChangeStamp, String> {
    let rows = client.query("SELECT topic, counter FROM change_counter", &[]).await.map_err(|e| super::describe(&e))?;
    let mut counters = Vec::with_capacity(rows.len());
    for row in rows {
        let topic: String = row.try_get(0).map_err(|e| super::describe(&e))?;
        let counter: i64 = row.try_get(1).map_err(|e| super::describe(&e))?;
        counters.extend(Topic::from_code(&topic).map(|topic| (topic, counter)));
    }
    Ok(ChangeStamp::new(counters))
}
