//! The audit trail's hash chain: each event carries the SHA-256 of its own content and of the event
//! before it, so that an event changed, removed or slipped in after the fact shows as a break when
//! the chain is walked (`chartroom audit verify`). Pure: the stores call [`link_hash`] as they
//! append, and the desk walks what they read back with a [`ChainWalk`].

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first event of a store: no event comes before it.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Names the encoding, so that a later one can never be mistaken for this one.
const ENCODING: &[u8] = b"chartroom audit chain v1\0";

/// What an event's hash covers, as the store holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkContent<'a> {
    pub id: i64,
    /// Hashed to the microsecond: what PostgreSQL keeps; a SQLite store keeps whole seconds and so
    /// hashes the instant it writes, never a finer one it would not read back.
    pub at: DateTime<Utc>,
    pub username: &'a str,
    pub source: &'a str,
    /// The action's code as stored (`VIEW_PATIENT`), not parsed: a code changed to one this
    /// program does not know must still break the chain.
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<&'a str>,
    pub patient_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub detail: &'a str,
}

/// The hash of an event whose predecessor's hash is `prev_hash`, as 64 lowercase hex digits.
///
/// Every field is written with its length (and absent ones with a marker of their own), so that no
/// two different events encode alike: moving a character from `entity` to `detail` changes it.
pub fn link_hash(prev_hash: &str, content: &LinkContent<'_>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(ENCODING);
    text(&mut hasher, prev_hash);
    hasher.update(content.id.to_be_bytes());
    text(&mut hasher, &canonical_instant(content.at));
    text(&mut hasher, content.username);
    text(&mut hasher, content.source);
    text(&mut hasher, content.action);
    text(&mut hasher, content.entity);
    optional_text(&mut hasher, content.entity_id);
    optional_number(&mut hasher, content.patient_id);
    optional_number(&mut hasher, content.provider_id);
    text(&mut hasher, content.detail);
    hex(&hasher.finalize())
}

/// Lowercase hex, without a `format!` per byte: `audit verify` spells a million hashes.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// The instant as the chain spells it: RFC 3339 in UTC, to the microsecond.
pub fn canonical_instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn text(hasher: &mut Sha256, value: &str) {
    hasher.update((value.len() as u64).to_be_bytes());
    hasher.update(value.as_bytes());
}

fn optional_text(hasher: &mut Sha256, value: Option<&str>) {
    match value {
        None => hasher.update([0u8]),
        Some(value) => {
            hasher.update([1u8]);
            text(hasher, value);
        }
    }
}

fn optional_number(hasher: &mut Sha256, value: Option<i64>) {
    match value {
        None => hasher.update([0u8]),
        Some(value) => {
            hasher.update([1u8]);
            hasher.update(value.to_be_bytes());
        }
    }
}

/// An event as the chain holds it: its content and the two hashes stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub username: String,
    pub source: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub patient_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub detail: String,
    /// None for a row written without one (by hand, past the program).
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

impl ChainedEvent {
    pub fn content(&self) -> LinkContent<'_> {
        LinkContent {
            id: self.id,
            at: self.at,
            username: &self.username,
            source: &self.source,
            action: &self.action,
            entity: &self.entity,
            entity_id: self.entity_id.as_deref(),
            patient_id: self.patient_id,
            provider_id: self.provider_id,
            detail: &self.detail,
        }
    }
}

/// How the chain is broken at an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// The event's content is not what its hash was computed over: it was changed.
    ContentAltered,
    /// The event does not name the event before it: one was removed, inserted or reordered there.
    DoesNotFollow,
}

/// The first break found: where, and what kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// 1 for the oldest event.
    pub position: u64,
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: BreakKind,
}

/// Walks the chain oldest first, one event at a time, so that a million events need not be held.
#[derive(Debug, Clone)]
pub struct ChainWalk {
    expected_prev: String,
    checked: u64,
}

impl Default for ChainWalk {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainWalk {
    pub fn new() -> Self {
        Self { expected_prev: GENESIS.to_string(), checked: 0 }
    }

    /// How many events have been checked and found whole.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// Checks the next event. Content first: an event edited in place breaks there, whatever
    /// follows it.
    pub fn step(&mut self, event: &ChainedEvent) -> Result<(), ChainBreak> {
        let position = self.checked + 1;
        let broken = |kind| ChainBreak { position, id: event.id, at: event.at, kind };
        let (Some(prev_hash), Some(hash)) = (event.prev_hash.as_deref(), event.hash.as_deref()) else {
            return Err(broken(BreakKind::ContentAltered));
        };
        if link_hash(prev_hash, &event.content()) != hash {
            return Err(broken(BreakKind::ContentAltered));
        }
        if prev_hash != self.expected_prev {
            return Err(broken(BreakKind::DoesNotFollow));
        }
        self.expected_prev = hash.to_string();
        self.checked = position;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(id: i64, detail: &str) -> ChainedEvent {
        ChainedEvent {
            id,
            at: Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, id as u32).unwrap(),
            username: "kwong".into(),
            source: "local".into(),
            action: "VIEW_PATIENT".into(),
            entity: "patient".into(),
            entity_id: Some("204511".into()),
            patient_id: Some(7),
            provider_id: None,
            detail: detail.into(),
            prev_hash: None,
            hash: None,
        }
    }

    /// Three events chained as a store appends them.
    fn chain() -> Vec<ChainedEvent> {
        let mut prev = GENESIS.to_string();
        (1..=3)
            .map(|id| {
                let mut e = event(id, &format!("event {id}"));
                let hash = link_hash(&prev, &e.content());
                e.prev_hash = Some(prev.clone());
                e.hash = Some(hash.clone());
                prev = hash;
                e
            })
            .collect()
    }

    fn walk(events: &[ChainedEvent]) -> Result<u64, ChainBreak> {
        let mut walk = ChainWalk::new();
        for e in events {
            walk.step(e)?;
        }
        Ok(walk.checked())
    }

    #[test]
    fn a_whole_chain_walks_to_its_end() {
        assert_eq!(walk(&chain()), Ok(3));
        assert_eq!(walk(&[]), Ok(0));
    }

    #[test]
    fn the_hash_is_sha256_hex_and_depends_on_every_field() {
        let base = event(1, "x");
        let hash = link_hash(GENESIS, &base.content());
        assert_eq!(hash.len(), 64);
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        let variants: Vec<ChainedEvent> = vec![
            ChainedEvent { id: 2, ..base.clone() },
            ChainedEvent { at: base.at + chrono::Duration::microseconds(1), ..base.clone() },
            ChainedEvent { username: "kwonh".into(), ..base.clone() },
            ChainedEvent { source: "ssh 203.0.113.5".into(), ..base.clone() },
            ChainedEvent { action: "SEARCH".into(), ..base.clone() },
            ChainedEvent { entity: "patients".into(), ..base.clone() },
            ChainedEvent { entity_id: None, ..base.clone() },
            ChainedEvent { patient_id: Some(8), ..base.clone() },
            ChainedEvent { provider_id: Some(7), ..base.clone() },
            ChainedEvent { detail: "y".into(), ..base.clone() },
        ];
        for v in &variants {
            assert_ne!(link_hash(GENESIS, &v.content()), hash, "{v:?}");
        }
        assert_ne!(link_hash(&"1".repeat(64), &base.content()), hash);
    }

    #[test]
    fn fields_cannot_trade_characters() {
        let a = ChainedEvent { entity: "patient".into(), detail: "x".into(), ..event(1, "") };
        let b = ChainedEvent { entity: "patien".into(), detail: "tx".into(), ..event(1, "") };
        assert_ne!(link_hash(GENESIS, &a.content()), link_hash(GENESIS, &b.content()));
        let none = ChainedEvent { entity_id: None, ..event(1, "") };
        let empty = ChainedEvent { entity_id: Some(String::new()), ..event(1, "") };
        assert_ne!(link_hash(GENESIS, &none.content()), link_hash(GENESIS, &empty.content()));
    }

    #[test]
    fn an_edited_event_breaks_the_chain_where_it_is() {
        let mut events = chain();
        events[1].detail = "event 2, edited".into();
        let broken = walk(&events).unwrap_err();
        assert_eq!((broken.position, broken.id, broken.kind), (2, 2, BreakKind::ContentAltered));
    }

    #[test]
    fn a_removed_event_breaks_the_chain_at_the_one_after_it() {
        let mut events = chain();
        events.remove(1);
        let broken = walk(&events).unwrap_err();
        assert_eq!((broken.position, broken.id, broken.kind), (2, 3, BreakKind::DoesNotFollow));
    }

    #[test]
    fn an_event_rehashed_after_an_edit_still_breaks_the_next() {
        let mut events = chain();
        events[1].detail = "forged".into();
        events[1].hash = Some(link_hash(events[1].prev_hash.as_deref().unwrap(), &events[1].content()));
        let broken = walk(&events).unwrap_err();
        assert_eq!((broken.position, broken.kind), (3, BreakKind::DoesNotFollow));
    }

    #[test]
    fn an_event_without_hashes_is_a_break() {
        let mut events = chain();
        events.push(event(4, "written by hand"));
        let broken = walk(&events).unwrap_err();
        assert_eq!((broken.position, broken.kind), (4, BreakKind::ContentAltered));
    }

    #[test]
    fn the_instant_is_spelled_to_the_microsecond() {
        let at = Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 9).unwrap();
        assert_eq!(canonical_instant(at), "2025-03-03T15:00:09.000000Z");
    }
}
