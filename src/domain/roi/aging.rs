//! How old an open request is, for the ROI queue's aging buckets (issue 10: 0–15 / 16–25 / 26–30 /
//! > 30 days since receipt), and how near its due date is.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An aging bucket of open requests, by whole days since receipt. The edges follow HIPAA's 30
/// days: past 30 a right-of-access request is late unless extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RoiAge {
    #[serde(rename = "0-15")]
    UpTo15,
    #[serde(rename = "16-25")]
    UpTo25,
    #[serde(rename = "26-30")]
    UpTo30,
    #[serde(rename = ">30")]
    Over30,
}

impl RoiAge {
    pub const ALL: [Self; 4] = [Self::UpTo15, Self::UpTo25, Self::UpTo30, Self::Over30];

    /// The bucket of an age in days; a request received "in the future" (a date typed ahead) is
    /// counted as new rather than dropped.
    pub fn of(age_days: i64) -> Self {
        match age_days {
            ..=15 => Self::UpTo15,
            16..=25 => Self::UpTo25,
            26..=30 => Self::UpTo30,
            _ => Self::Over30,
        }
    }

    /// The bucket of a request received on `received_on`, as of `today`.
    pub fn since(received_on: NaiveDate, today: NaiveDate) -> Self {
        Self::of(age_days(received_on, today))
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::UpTo15 => "0-15",
            Self::UpTo25 => "16-25",
            Self::UpTo30 => "26-30",
            Self::Over30 => ">30",
        }
    }

    /// The inclusive range of ages, for queries.
    pub fn days(self) -> (i64, i64) {
        match self {
            Self::UpTo15 => (0, 15),
            Self::UpTo25 => (16, 25),
            Self::UpTo30 => (26, 30),
            Self::Over30 => (31, i64::MAX / 4),
        }
    }
}

/// Whole days since receipt: 0 on the day it came in.
pub fn age_days(received_on: NaiveDate, today: NaiveDate) -> i64 {
    (today - received_on).num_days()
}

/// Counts per bucket of `(received_on, count)` rows (what `Store::roi_open_ages` returns), in
/// [`RoiAge::ALL`]'s order.
pub fn age_buckets(rows: &[(NaiveDate, i64)], today: NaiveDate) -> [(RoiAge, i64); 4] {
    let mut buckets = RoiAge::ALL.map(|age| (age, 0));
    for (received_on, count) in rows {
        let bucket = RoiAge::since(*received_on, today);
        if let Some(slot) = buckets.iter_mut().find(|(age, _)| *age == bucket) {
            slot.1 += count;
        }
    }
    buckets
}

/// How near a request's due date is, for the queue's styling: overdue in the danger style, five
/// days or fewer in the warning style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueUrgency {
    Overdue,
    Soon,
    Later,
    /// No date: a clock waiting for payment, or none applies.
    Undated,
}

/// Days from `today` to the due date: 0 on the day it is due, negative once overdue.
pub fn days_left(due_on: NaiveDate, today: NaiveDate) -> i64 {
    (due_on - today).num_days()
}

/// Five days or fewer left is "soon" (issue 10).
pub const SOON_DAYS: i64 = 5;

impl DueUrgency {
    pub fn of(due_on: Option<NaiveDate>, today: NaiveDate) -> Self {
        match due_on.map(|due_on| days_left(due_on, today)) {
            None => Self::Undated,
            Some(left) if left < 0 => Self::Overdue,
            Some(left) if left <= SOON_DAYS => Self::Soon,
            Some(_) => Self::Later,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn buckets_at_their_edges() {
        let today = d(2025, 4, 10);
        let bucket = |received: NaiveDate| RoiAge::since(received, today);
        assert_eq!(bucket(d(2025, 4, 10)), RoiAge::UpTo15);
        assert_eq!(bucket(d(2025, 3, 26)), RoiAge::UpTo15); // 15 days
        assert_eq!(bucket(d(2025, 3, 25)), RoiAge::UpTo25); // 16
        assert_eq!(bucket(d(2025, 3, 16)), RoiAge::UpTo25); // 25
        assert_eq!(bucket(d(2025, 3, 15)), RoiAge::UpTo30); // 26
        assert_eq!(bucket(d(2025, 3, 11)), RoiAge::UpTo30); // 30
        assert_eq!(bucket(d(2025, 3, 10)), RoiAge::Over30); // 31
        assert_eq!(bucket(d(2025, 4, 12)), RoiAge::UpTo15);
        for age in RoiAge::ALL {
            let (low, high) = age.days();
            assert_eq!((RoiAge::of(low), RoiAge::of(high.min(10_000))), (age, age), "{}", age.label());
        }
    }

    #[test]
    fn open_ages_sum_into_buckets() {
        let today = d(2025, 4, 10);
        let rows =
            [(d(2025, 4, 9), 3), (d(2025, 3, 20), 2), (d(2025, 3, 12), 1), (d(2025, 1, 2), 7), (d(2025, 4, 1), 4)];
        assert_eq!(
            age_buckets(&rows, today),
            [(RoiAge::UpTo15, 7), (RoiAge::UpTo25, 2), (RoiAge::UpTo30, 1), (RoiAge::Over30, 7)]
        );
    }

    #[test]
    fn urgency_by_days_left() {
        let today = d(2025, 3, 20);
        assert_eq!(DueUrgency::of(Some(d(2025, 3, 19)), today), DueUrgency::Overdue);
        assert_eq!(DueUrgency::of(Some(d(2025, 3, 20)), today), DueUrgency::Soon);
        assert_eq!(DueUrgency::of(Some(d(2025, 3, 25)), today), DueUrgency::Soon);
        assert_eq!(DueUrgency::of(Some(d(2025, 3, 26)), today), DueUrgency::Later);
        assert_eq!(DueUrgency::of(None, today), DueUrgency::Undated);
        assert_eq!(days_left(d(2025, 3, 18), today), -2);
    }
}
