//! A request's timeline: the dated things that happened to it (each move of its status, each
//! payment, each paper received), as the release date is judged against them. A release follows
//! every step before it: one dated before the last of them cannot be right. Pure: the desk reads
//! the events off the request.

use crate::domain::dates::us_date;
use chrono::NaiveDate;

/// One thing that happened to a request, on its day, in a clerk's words (`the payment of $92.00`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub on: NaiveDate,
    pub what: String,
}

/// The latest event; of events on one day, the last given.
pub fn last_event(events: &[Event]) -> Option<&Event> {
    events.iter().max_by_key(|e| e.on)
}

/// Why a release of `number` dated `released_on` cannot be right: it is before the last event
/// recorded on the request, which it names with its date. None when it follows them all.
pub fn release_date_refusal(number: &str, released_on: NaiveDate, events: &[Event]) -> Option<String> {
    let last = last_event(events)?;
    (released_on < last.on).then(|| {
        format!(
            "{number} cannot be released on {}: {} was recorded for {}, and a release comes after it; date the release \
             {} or later",
            us_date(released_on),
            last.what,
            us_date(last.on),
            us_date(last.on)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn event(on: NaiveDate, what: &str) -> Event {
        Event { on, what: what.into() }
    }

    #[test]
    fn a_release_before_the_last_event_is_refused_naming_it_and_its_day() {
        let events = [
            event(d(12, 2), "the payment of $92.00"),
            event(d(12, 1), "the satisfactory assurance"),
            event(d(11, 20), "its move to Validating"),
        ];
        let refused = release_date_refusal("MVC-00125", d(11, 28), &events).unwrap();
        assert_eq!(
            refused,
            "MVC-00125 cannot be released on 11/28/2026: the payment of $92.00 was recorded for 12/02/2026, and a \
             release comes after it; date the release 12/02/2026 or later"
        );
        assert_eq!(release_date_refusal("MVC-00125", d(12, 2), &events), None, "the same day may follow it");
        assert_eq!(release_date_refusal("MVC-00125", d(1, 1), &[]), None);
    }

    #[test]
    fn of_events_on_one_day_the_last_given_is_the_last() {
        let events = [event(d(12, 2), "first"), event(d(12, 2), "second"), event(d(12, 1), "earlier")];
        assert_eq!(last_event(&events).map(|e| e.what.as_str()), Some("second"));
    }
}
