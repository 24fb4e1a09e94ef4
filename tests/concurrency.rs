//! Sixteen clerks on one store at once: each session its own `Store` handle opened on the same
//! database (for SQLite a separate `SqliteStore::open` of one file, which is what clerks sharing a
//! host over SSH are) and its own desk, as sixteen different users, taking, completing, stepping,
//! commenting and giving up the same fifty items at random for a fixed number of operations.
//! Afterwards every item's history must be whole: versions one per change, no change after it
//! closed, never two holders at once, no change by a clerk to an item another held; every change a
//! session was told it made is in the history exactly once, with exactly one audit event.
//!
//! `CHARTROOM_CONCURRENCY_OPS` sets the operations per session (default 400).

mod common;

use chartroom::desk::claims::ClaimOutcome;
use chartroom::desk::deficiency_work::ItemAction;
use chartroom::desk::{Desk, DeskError};
use chartroom::domain::chart::DeficiencyStatus;
use chartroom::domain::role::Role;
use chartroom::store::postgres::PgStore;
use chartroom::store::sqlite::SqliteStore;
use chartroom::store::{AuditFilter, Page, QueueFilter, QueueSort, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Arc;

const SESSIONS: usize = 16;
const ITEMS: usize = 50;
/// The last two sessions are supervisors, who may take work over.
const SUPERVISORS: usize = 2;

fn username(session: usize) -> String {
    if session >= SESSIONS - SUPERVISORS { format!("super{session:02}") } else { format!("clerk{session:02}") }
}

/// xorshift64*: the same operations for the same seed, without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A change a session was told it made: (user, item, change code).
type Made = (String, i64, String);

/// Opens a new handle on the database under test: each session its own, as each clerk's program.
type Open<'a> = &'a (dyn Fn() -> Arc<dyn Store> + Sync);

/// A store with a demo hospital, sixteen users, and the fifty oldest open items.
fn setup(open: Open) -> Vec<i64> {
    let store = open();
    chartroom::desk::ensure_founder(&*store, "dhim", "local", common::clock().now).unwrap();
    let dhim = Desk::sign_in(store.clone(), "dhim", "local".into(), common::key(), common::clock()).unwrap();
    let options = chartroom::demo::DemoOptions { patients: 800, seed: 9, today: common::today() };
    chartroom::demo::populate(&dhim, &common::key(), &options, &mut |_, _| {}).unwrap();
    for session in 0..SESSIONS {
        let role = if session >= SESSIONS - SUPERVISORS { Role::Supervisor } else { Role::ChartAnalyst };
        dhim.add_user(&username(session), None, vec![role]).unwrap();
    }
    let filter = QueueFilter { today: Some(common::today()), ..Default::default() };
    let rows = dhim.deficiency_queue(&filter, QueueSort::Age, Page::first(ITEMS)).unwrap().rows;
    assert_eq!(rows.len(), ITEMS, "the demo makes enough open items");
    assert!(rows.iter().all(|r| r.version == 1 && r.claim.is_none()), "untouched before the sessions");
    rows.iter().map(|r| r.id).collect()
}

/// One session's work: `ops` operations on random items, as its user. Returns the changes the desk
/// said it made.
fn session(open: Open, index: usize, items: &[i64], ops: usize) -> Vec<Made> {
    let store = open();
    let user = username(index);
    let desk = Desk::sign_in(store.clone(), &user, "local".into(), common::key(), common::clock()).unwrap();
    let supervisor = index >= SESSIONS - SUPERVISORS;
    let mut random = Random(0x9E37_79B9_7F4A_7C15 ^ ((index as u64 + 1) * 0x1000_0000_01B3));
    let mut made = Vec::new();
    for _ in 0..ops {
        let count = 1 + random.below(3);
        let ids: Vec<i64> = (0..count).map(|_| items[random.below(items.len())]).collect();
        // The items as this clerk's screen listed them a moment ago.
        let listed: Vec<(i64, i64)> =
            store.deficiency_items(&ids).unwrap().into_iter().map(|i| (i.id, i.version)).collect();
        let current = store.deficiency_items(&ids[..1]).unwrap().pop().map(|i| i.status);
        let roll = random.below(100);
        let one = || listed[..1].to_vec();
        let result = match roll {
            0..=29 => claim(&desk.take_deficiencies(&ids, supervisor && random.below(4) == 0), &user),
            30..=49 => claim(&desk.release_deficiencies(&ids, supervisor && random.below(4) == 0), &user),
            // Closing is rare, so that the items stay worked on for most of the run.
            50..=51 => work(&desk, one(), ItemAction::Complete { resolved_on: common::today() }, "COMPLETE", &user),
            52..=71 => {
                let to = match current {
                    Some(DeficiencyStatus::Open) => Some(DeficiencyStatus::Dictated),
                    Some(DeficiencyStatus::Dictated) => Some(DeficiencyStatus::Transcribed),
                    Some(DeficiencyStatus::Transcribed) => Some(DeficiencyStatus::Signed),
                    Some(DeficiencyStatus::Signed) if random.below(8) == 0 => Some(DeficiencyStatus::Reviewed),
                    _ => None,
                };
                match to {
                    Some(to) => work(&desk, one(), ItemAction::Step { to, note: String::new() }, "STEP", &user),
                    None => Vec::new(),
                }
            }
            _ => {
                work(&desk, listed, ItemAction::Comment { text: format!("note {roll} from {user}") }, "COMMENT", &user)
            }
        };
        made.extend(result);
    }
    made
}

fn claim(result: &Result<ClaimOutcome, DeskError>, user: &str) -> Vec<Made> {
    match result {
        // A take-over counts as a take here; `claim_code` folds the log's alike.
        Ok(outcome) => {
            let code = if outcome.release { "RELEASE" } else { "TAKE" };
            outcome.done.iter().map(|id| (user.to_string(), *id, code.to_string())).collect()
        }
        Err(e) => refused(e),
    }
}

fn work(desk: &Desk, listed: Vec<(i64, i64)>, action: ItemAction, code: &str, user: &str) -> Vec<Made> {
    match desk.work_deficiencies(listed, action, None) {
        Ok(outcome) => outcome.completed.iter().map(|id| (user.to_string(), *id, code.to_string())).collect(),
        Err(e) => refused(&e),
    }
}

/// An action refused whole wrote nothing: it made no change. Anything else is a failure.
fn refused(e: &DeskError) -> Vec<Made> {
    match e {
        DeskError::Store(StoreError::Conflict) | DeskError::Invalid(_) => Vec::new(),
        other => panic!("a session failed: {other}"),
    }
}

#[test]
fn sixteen_clerks_on_fifty_items_lose_nothing_double_nothing_and_never_share_an_item() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chartroom.db");
    let sqlite = move || -> Arc<dyn Store> { Arc::new(SqliteStore::open(&path).unwrap()) };
    sixteen_sessions(&sqlite);
}

/// The same sessions on PostgreSQL: each a `PgStore` of its own (its own pool of connections) on
/// one throwaway database, as each clerk's program on its own workstation connects.
#[test]
fn sixteen_clerks_on_fifty_items_on_postgresql_lose_nothing_double_nothing_and_never_share_an_item() {
    if !common::pg::available() {
        return;
    }
    let database = common::pg::fresh_database();
    PgStore::connect(database.config.clone()).unwrap().migrate().unwrap();
    let config = database.config.clone();
    let postgres = move || -> Arc<dyn Store> { Arc::new(PgStore::connect(config.clone()).unwrap()) };
    sixteen_sessions(&postgres);
}

fn sixteen_sessions(open: Open) {
    let items = setup(open);
    let ops = std::env::var("CHARTROOM_CONCURRENCY_OPS").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let made: Vec<Made> = std::thread::scope(|scope| {
        let sessions: Vec<_> = (0..SESSIONS)
            .map(|i| {
                let items = &items;
                scope.spawn(move || session(open, i, items, ops))
            })
            .collect();
        sessions.into_iter().flat_map(|s| s.join().expect("a session panicked")).collect()
    });
    assert!(made.len() > SESSIONS * ops / 20, "the sessions got work done: {} changes", made.len());
    let kinds: BTreeMap<&str, usize> = made.iter().fold(BTreeMap::new(), |mut m, (_, _, c)| {
        *m.entry(c.as_str()).or_default() += 1;
        m
    });
    eprintln!("{} changes by {SESSIONS} sessions of {ops} operations: {kinds:?}", made.len());

    let store = open();
    let supervisors: Vec<String> = (SESSIONS - SUPERVISORS..SESSIONS).map(username).collect();
    let mut logged: BTreeMap<(String, i64, String), usize> = BTreeMap::new();
    let mut by_user_item: BTreeMap<(String, i64), usize> = BTreeMap::new();
    let states = store.deficiency_items(&items).unwrap();
    assert_eq!(states.len(), ITEMS);
    for item in &states {
        let log = store.deficiency_changes(item.id, 0).unwrap();
        let versions: Vec<i64> = log.iter().map(|c| c.version).collect();
        let expected: Vec<i64> = (2..=item.version).collect();
        assert_eq!(versions, expected, "item {}: one change per version, none missing or doubled", item.id);
        let mut holder: Option<String> = None;
        let mut closed = false;
        for change in &log {
            let what = format!("item {} version {}: {} by {}", item.id, change.version, change.change, change.username);
            assert!(!closed, "{what}: a change after the item closed");
            let me = Some(&change.username);
            match change.change.as_str() {
                "TAKE" => assert_eq!(holder, None, "{what}: taken while held"),
                "TAKE_OVER" => {
                    assert!(holder.is_some() && holder.as_ref() != me, "{what}: taken over from nobody");
                    assert!(supervisors.contains(&change.username), "{what}: only a supervisor takes over");
                }
                "RELEASE" => {
                    assert!(holder.is_some(), "{what}: given up while nobody held it");
                    assert!(holder.as_ref() == me || supervisors.contains(&change.username), "{what}: not hers");
                }
                _ => assert!(holder.is_none() || holder.as_ref() == me, "{what}: worked while {holder:?} held it"),
            }
            closed = !change.status.is_open();
            let expected_holder = match change.change.as_str() {
                "TAKE" | "TAKE_OVER" => Some(change.username.clone()),
                "RELEASE" => None,
                _ if closed => None,
                _ => holder.clone(),
            };
            assert_eq!(change.holder, expected_holder, "{what}: the holder after it");
            holder = change.holder.clone();
            *logged.entry((change.username.clone(), item.id, claim_code(&change.change))).or_default() += 1;
            *by_user_item.entry((change.username.clone(), item.id)).or_default() += 1;
        }
        assert_eq!(item.claim.as_ref().map(|c| c.holder.clone()), holder, "item {}: the holder now", item.id);
    }

    let mut told: BTreeMap<(String, i64, String), usize> = BTreeMap::new();
    for (user, id, code) in made {
        *told.entry((user, id, code)).or_default() += 1;
    }
    assert_eq!(told, logged, "every change a session made is in the history once, and nothing else is");

    let mut audited: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for session in 0..SESSIONS {
        let filter = AuditFilter { username: Some(username(session)), limit: 1_000_000, ..Default::default() };
        for event in store.list_audit(&filter).unwrap() {
            if event.entity != "deficiency" {
                continue;
            }
            let id: i64 = event.entity_id.as_deref().and_then(|i| i.parse().ok()).expect("the item's id");
            *audited.entry((event.username, id)).or_default() += 1;
        }
    }
    assert_eq!(audited, by_user_item, "one audit event per change");
}

/// A take-over is a take as the session counts it.
fn claim_code(code: &str) -> String {
    if code == "TAKE_OVER" { "TAKE".into() } else { code.into() }
}
