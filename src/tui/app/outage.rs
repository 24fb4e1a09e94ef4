//! When the store stops answering (a networked store's server restarting, the network dropping):
//! a banner says so, the screens keep what they last showed, the reads that failed are tried again
//! with backoff, and the banner goes when a read succeeds. An edit that failed is never retried here:
//! the clerk was told it was not saved, and makes it again, so it is never applied twice. An audit
//! event known not to be saved (a search shown just before the store went) is written when it is back.

use super::{App, Command, Screen};
use std::time::Duration;

/// What the banner over the screen says.
pub const BANNER: &str = "store unreachable — retrying";

/// The first retry's wait; each next one doubles, up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(500);
/// A server back after a restart is seen within this.
const RETRY_MAX: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    /// What to run again once the store answers: the newest read of each kind (the screen waits
    /// only for its latest request of each), and every audit event known not to be saved.
    pub waiting: Vec<Command>,
    /// Retries made so far.
    pub attempts: u32,
    /// A retry's timer is running.
    pub retry_armed: bool,
}

/// Two reads of one kind (the ROI screens' each of its own kind): the newer replaces the older.
fn same_kind(a: &Command, b: &Command) -> bool {
    match (a, b) {
        (Command::Roi(a), Command::Roi(b)) => std::mem::discriminant(a) == std::mem::discriminant(b),
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

/// The wait before retry number `attempts + 1`.
pub fn backoff(attempts: u32) -> Duration {
    RETRY_FIRST.saturating_mul(1u32 << attempts.min(8)).min(RETRY_MAX)
}

impl App {
    /// A desk call failed because the store could not be reached; `retry` is the read (or audit
    /// event) to run again, None for an edit, whose failure the clerk has been told of.
    pub(super) fn on_store_unreachable(&mut self, reason: String, retry: Option<Command>) -> Vec<Command> {
        let first = self.outage.is_none();
        if first {
            // The banner says it in three words; the store's own (host, port, what failed) go to
            // `:messages`, for the clerk's IT.
            self.log_message(format!("The store cannot be reached; retrying. {reason}"));
        }
        let outage = self.outage.get_or_insert_with(|| Outage { waiting: Vec::new(), attempts: 0, retry_armed: false });
        if let Some(command) = retry {
            // Audit events are each owed; of reads only the newest of a kind is still awaited.
            let audit = matches!(command, Command::RecordSearch { .. } | Command::RecordSignIn);
            if !audit {
                outage.waiting.retain(|w| !same_kind(w, &command));
            }
            outage.waiting.push(command);
        }
        // Only the banner appearing changes what is on screen.
        self.dirty = first;
        if outage.retry_armed {
            return Vec::new();
        }
        outage.retry_armed = true;
        vec![Command::RetryAfter(backoff(outage.attempts))]
    }

    /// The retry timer ran out: the waiting reads run again, or the header's facts when none is
    /// waiting (a cheap read that tells whether the store is back).
    pub(super) fn on_retry_due(&mut self) -> Vec<Command> {
        self.dirty = false;
        let Some(outage) = self.outage.as_mut() else { return Vec::new() };
        outage.retry_armed = false;
        outage.attempts = outage.attempts.saturating_add(1);
        let mut commands = std::mem::take(&mut outage.waiting);
        if !commands.contains(&Command::LoadInfo) {
            commands.push(Command::LoadInfo);
        }
        commands
    }

    /// A read succeeded: the banner goes, and reads still waiting for their retry run now.
    pub(super) fn on_store_reachable(&mut self) -> Vec<Command> {
        let Some(outage) = self.outage.take() else {
            self.dirty = false;
            return Vec::new();
        };
        self.log_message("The store answers again.".into());
        outage.waiting
    }

    /// A director changed this clerk's roles while the session was open: a refusal still on screen
    /// (or a count the old roles could not make) is no longer the truth, so the clerk is told what
    /// she may do now and the screen in view is read again under the new roles.
    pub(super) fn on_roles_changed(&mut self) -> Vec<Command> {
        let titles: Vec<&str> = self.header.roles.iter().map(|r| r.title()).collect();
        self.toast = Some(format!("Your roles changed: you are now {}.", titles.join(", ")));
        match self.screen {
            Screen::Queue if self.queue.loaded => self.reload_queue(),
            Screen::Roi => self.reload_roi_queue(),
            _ => Vec::new(),
        }
    }

    fn log_message(&mut self, message: String) {
        if self.messages.len() >= super::MESSAGE_LOG {
            self.messages.remove(0);
        }
        self.messages.push(message);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{HeaderInfo, Msg, Screen};
    use super::*;
    use crate::desk::SearchOutcome;
    use crate::domain::query::QueryShape;
    use crate::domain::role::Role;
    use crate::store::SearchPage;
    use crate::tui::keymap::Keymap;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use std::sync::Arc;

    fn app() -> App {
        let today = chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
        App::new(Arc::new(Keymap::default()), HeaderInfo::new("jdoe", &[Role::HimClerk]), today, (80, 24))
    }

    fn typed(app: &mut App, text: &str) -> Vec<Command> {
        text.chars().flat_map(|c| app.update(Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))).collect()
    }

    fn search_id(commands: &[Command]) -> u64 {
        commands
            .iter()
            .rev()
            .find_map(|c| match c {
                Command::Search { id, .. } => Some(*id),
                _ => None,
            })
            .unwrap()
    }

    fn found(name: &str) -> Result<SearchOutcome, String> {
        let row = crate::domain::patient::PatientRow {
            patient_id: 1,
            mrn: crate::domain::mrn::Mrn::parse("100234").unwrap(),
            family: name.into(),
            given: "JOHN".into(),
            middle: String::new(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1961, 4, 12).unwrap(),
            sex: crate::domain::patient::Sex::Male,
            ssn_last4: Some("4821".into()),
            last_visit: None,
            deceased_on: None,
            sensitivity: crate::domain::patient::Sensitivity::None,
            match_kind: crate::domain::patient::MatchKind::Exact,
            dob_swapped: false,
            encounter_id: None,
        };
        Ok(SearchOutcome {
            shape: Some(QueryShape::Name),
            problem: None,
            page: SearchPage { rows: vec![row], has_more: false },
        })
    }

    #[test]
    fn the_banner_shows_on_a_failed_read_keeps_the_screen_and_retries_with_backoff_until_a_read_succeeds() {
        let mut app = app();
        let commands = typed(&mut app, "smith");
        let first = search_id(&commands);
        app.update(Msg::SearchDone { id: first, append: false, result: found("SMITH") });
        app.dirty = false;

        // The next keystroke's search cannot reach the store.
        let commands = typed(&mut app, ",j");
        let second = search_id(&commands);
        let search = commands.iter().rev().find(|c| matches!(c, Command::Search { .. })).unwrap().clone();
        let retry = app.update(Msg::StoreUnreachable { reason: "tried db:5432: refused".into(), retry: Some(search) });
        assert_eq!(retry, vec![Command::RetryAfter(backoff(0))]);
        assert!(app.dirty, "the banner is drawn");
        assert!(app.outage.is_some());
        assert_eq!(app.lookup.rows.len(), 1, "what the screen showed stays");
        assert!(app.lookup.error.is_none(), "no error replaces the rows");
        assert!(app.toast.is_none(), "the banner says it; nothing to dismiss");
        assert!(app.messages.last().unwrap().contains("tried db:5432: refused"), "{:?}", app.messages);

        // A read of the header fails too while the first retry waits: no second timer, no redraw.
        app.dirty = false;
        let again = app.update(Msg::StoreUnreachable { reason: "again".into(), retry: Some(Command::LoadInfo) });
        assert!(again.is_empty() && !app.dirty, "{again:?}");
        let users = Msg::StoreChanged(crate::store::Topic::Users.into());
        assert!(app.update(users).is_empty(), "the retry, not the change feed, reads while the store is away");

        // The retry runs both waiting reads; they fail again, and the next wait is longer.
        let rerun = app.update(Msg::RetryDue);
        assert!(rerun.iter().any(|c| matches!(c, Command::Search { id, .. } if *id == second)), "{rerun:?}");
        assert!(rerun.contains(&Command::LoadInfo), "{rerun:?}");
        assert!(!app.dirty);
        let search = rerun.iter().find(|c| matches!(c, Command::Search { .. })).unwrap().clone();
        let retry = app.update(Msg::StoreUnreachable { reason: "again".into(), retry: Some(search) });
        assert_eq!(retry, vec![Command::RetryAfter(backoff(1))]);
        assert!(backoff(1) > backoff(0) && backoff(30) == RETRY_MAX);

        // The store answers: the banner goes, the waiting search runs now, and its answer shows.
        let resumed = app.update(Msg::StoreReachable);
        assert!(app.outage.is_none() && app.dirty);
        assert!(resumed.iter().any(|c| matches!(c, Command::Search { id, .. } if *id == second)), "{resumed:?}");
        app.update(Msg::SearchDone { id: second, append: false, result: found("SMITHERS") });
        assert_eq!(app.lookup.rows[0].family, "SMITHERS");
        assert_eq!(app.update(Msg::RetryDue), Vec::new(), "a timer left over does nothing");
        let users = Msg::StoreChanged(crate::store::Topic::Users.into());
        assert_eq!(app.update(users), vec![Command::LoadInfo], "the change feed reads the header again");
        assert_eq!(app.screen, Screen::Lookup);
    }

    #[test]
    fn every_audit_event_that_could_not_be_written_waits_for_the_store() {
        let mut app = app();
        let search = |shape| Command::RecordSearch { shape, shown: Vec::new(), more: false };
        app.update(Msg::StoreUnreachable { reason: "refused".into(), retry: Some(search(QueryShape::Name)) });
        app.update(Msg::StoreUnreachable { reason: "refused".into(), retry: Some(search(QueryShape::Last4)) });
        app.update(Msg::StoreUnreachable { reason: "refused".into(), retry: Some(Command::LoadInfo) });
        app.update(Msg::StoreUnreachable { reason: "refused".into(), retry: Some(Command::LoadInfo) });
        assert_eq!(
            app.update(Msg::RetryDue),
            vec![search(QueryShape::Name), search(QueryShape::Last4), Command::LoadInfo]
        );
    }

    #[test]
    fn an_edit_that_failed_is_reported_and_never_retried() {
        let mut app = app();
        app.update(Msg::Completed { verb: "completed", result: Err("Not saved: the database server…".into()) });
        let commands = app.update(Msg::StoreUnreachable { reason: "lost".into(), retry: None });
        assert_eq!(commands, vec![Command::RetryAfter(backoff(0))]);
        assert_eq!(app.toast.as_deref(), Some("Not saved: the database server…"));
        // The retry probes the store with a read; the edit is not among what runs again.
        let rerun = app.update(Msg::RetryDue);
        assert_eq!(rerun, vec![Command::LoadInfo]);
        assert!(app.update(Msg::StoreReachable).is_empty());
    }
}
