//! The change feed: what a screen shows, counted by topic in the store itself, so that a clerk's
//! open queue, chart or header can tell — cheaply, and across processes and hosts — that another
//! clerk changed something it shows.
//!
//! Each backend bumps a topic's counter in the same transaction as the change (its schema's
//! triggers), and [`Store::wait_for_change`](super::Store::wait_for_change) blocks until a counter
//! moved. Writes no screen shows (the audit trail, above all: every search writes an event) bump
//! nothing, so twenty clerks searching all day never make an open queue read itself again.

/// What a change is about, as a screen follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topic {
    /// Deficiency items, their pauses, and the charts' completion records: the queue's rows and
    /// counts, a chart's deficiencies.
    Deficiencies,
    /// Physicians and their leave and suspensions: the queue's group lines and the physician view.
    Physicians,
    /// Users, their roles, and the facilities the header names.
    Users,
    /// Release-of-information requests and what is added to them (authorizations, follow-ups,
    /// letters, payments, releases): the ROI queue's rows, a request, a chart's Releases tab.
    Requests,
}

impl Topic {
    pub const ALL: [Self; 4] = [Self::Deficiencies, Self::Physicians, Self::Users, Self::Requests];

    /// The name the store keeps the topic's counter under (and PostgreSQL's notifications carry).
    pub fn code(self) -> &'static str {
        match self {
            Self::Deficiencies => "deficiencies",
            Self::Physicians => "physicians",
            Self::Users => "users",
            Self::Requests => "requests",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of topics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Topics(u8);

impl Topics {
    pub const NONE: Self = Self(0);

    pub fn all() -> Self {
        Topic::ALL.into_iter().collect()
    }

    pub fn contains(self, topic: Topic) -> bool {
        self.0 & topic.bit() != 0
    }

    pub fn insert(&mut self, topic: Topic) {
        self.0 |= topic.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Topic> {
        Topic::ALL.into_iter().filter(move |t| self.contains(*t))
    }
}

impl FromIterator<Topic> for Topics {
    fn from_iter<I: IntoIterator<Item = Topic>>(iter: I) -> Self {
        let mut topics = Self::NONE;
        for topic in iter {
            topics.insert(topic);
        }
        topics
    }
}

impl From<Topic> for Topics {
    fn from(topic: Topic) -> Self {
        Self(topic.bit())
    }
}

/// The store's counters at one moment. [`ChangeStamp::default`] knows none: any stamp the store
/// gives has moved on every topic since it, so a first wait returns at once with the store's own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeStamp {
    counters: [Option<i64>; Topic::ALL.len()],
}

impl ChangeStamp {
    pub fn new(counters: impl IntoIterator<Item = (Topic, i64)>) -> Self {
        let mut stamp = Self::default();
        for (topic, counter) in counters {
            stamp.counters[topic as usize] = Some(counter);
        }
        stamp
    }

    pub fn counter(&self, topic: Topic) -> Option<i64> {
        self.counters[topic as usize]
    }

    /// No counter known: a stamp no store gave.
    pub fn is_unknown(&self) -> bool {
        self.counters.iter().all(Option::is_none)
    }

    /// The topics whose counters differ from `earlier`'s (known to one and not the other counts).
    pub fn moved_since(&self, earlier: &ChangeStamp) -> Topics {
        Topic::ALL.into_iter().filter(|t| self.counter(*t) != earlier.counter(*t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_moved_on_the_topics_whose_counters_differ() {
        let before = ChangeStamp::new([
            (Topic::Deficiencies, 4),
            (Topic::Physicians, 1),
            (Topic::Users, 9),
            (Topic::Requests, 2),
        ]);
        let after = ChangeStamp::new([
            (Topic::Deficiencies, 6),
            (Topic::Physicians, 1),
            (Topic::Users, 9),
            (Topic::Requests, 3),
        ]);
        assert_eq!(after.moved_since(&before), Topics::from_iter([Topic::Deficiencies, Topic::Requests]));
        assert!(before.moved_since(&before).is_empty());
        assert_eq!(before.moved_since(&ChangeStamp::default()), Topics::all(), "from nothing known, all moved");
        assert!(ChangeStamp::default().is_unknown() && !before.is_unknown());
    }

    #[test]
    fn topics_are_named_as_the_store_keeps_them() {
        for topic in Topic::ALL {
            assert_eq!(Topic::from_code(topic.code()), Some(topic));
        }
        assert_eq!(Topic::from_code("audit"), None);
        let both: Topics = [Topic::Users, Topic::Deficiencies].into_iter().collect();
        assert_eq!(both.iter().collect::<Vec<_>>(), [Topic::Deficiencies, Topic::Users]);
        assert!(both.contains(Topic::Users) && !both.contains(Topic::Physicians));
        let three = both.union(Topic::Physicians.into());
        assert_ne!(three, Topics::all(), "requests are a topic of their own");
        assert_eq!(three.union(Topic::Requests.into()), Topics::all());
    }
}
