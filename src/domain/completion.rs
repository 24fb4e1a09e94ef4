//! The rules of working a deficiency once it exists: which changes an item can take, which dates a
//! completion or a pause may carry, when a chart becomes complete and when a suspended physician is
//! reinstated. Pure: the desk reads the items' current state, asks here, and tells the store what to
//! write, so every backend persists the same decisions.

use super::chart::DeficiencyStatus;
use super::dates::us_date;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// An encounter's chart-completion status (domain.md §4.3 `chart_completion.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChartStatus {
    /// Discharged; the nightly run has not analysed it yet.
    AwaitingAnalysis,
    Incomplete,
    Complete,
}

impl ChartStatus {
    pub fn code(self) -> &'static str {
        match self {
            Self::AwaitingAnalysis => "AWAITING_ANALYSIS",
            Self::Incomplete => "INCOMPLETE",
            Self::Complete => "COMPLETE",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::AwaitingAnalysis, Self::Incomplete, Self::Complete].into_iter().find(|s| s.code() == code)
    }

    /// What an analysis leaves: complete when it found nothing missing.
    pub fn after_analysis(deficiencies_found: usize) -> Self {
        if deficiencies_found == 0 { Self::Complete } else { Self::Incomplete }
    }
}

impl std::fmt::Display for ChartStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One deficiency as it stands now, with what a clerk calls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemState {
    pub id: i64,
    pub version: i64,
    pub status: DeficiencyStatus,
    pub type_code: String,
    pub encounter_id: i64,
    pub account: String,
    pub patient_id: i64,
    pub mrn: String,
    pub provider_id: i64,
    pub provider_npi: String,
    pub facility_id: i64,
    /// The day the item ages from (the discharge, or the operation for OP-D).
    pub event_on: NaiveDate,
    pub delinquent_on: NaiveDate,
    pub paused_days: i64,
    pub resolved_on: Option<NaiveDate>,
    pub resolved_by: Option<String>,
    /// The pauses already on the item (from, to).
    pub pauses: Vec<(NaiveDate, NaiveDate)>,
}

impl ItemState {
    /// `A25-000781 OP-D`: how a clerk names an item.
    pub fn label(&self) -> String {
        format!("{} {}", self.account, self.type_code)
    }
}

/// Why an item the clerk listed at `seen_version` cannot take a change now; None when it can.
pub fn stale_reason(item: &ItemState, seen_version: i64) -> Option<String> {
    if item.status == DeficiencyStatus::Completed {
        return Some(match (&item.resolved_by, item.resolved_on) {
            (Some(by), Some(on)) => format!("already completed by {by} on {}", us_date(on)),
            _ => "already completed".to_string(),
        });
    }
    if !item.status.is_open() {
        return Some(format!("is {}", item.status.code().to_ascii_lowercase()));
    }
    (item.version != seen_version).then(|| "was changed by someone else since it was listed".to_string())
}

/// A completion date must fall between the event the item ages from and today.
pub fn check_resolved_on(event_on: NaiveDate, resolved_on: NaiveDate, today: NaiveDate) -> Result<(), String> {
    if resolved_on > today {
        return Err(format!("a completion date cannot be after today ({})", us_date(today)));
    }
    if resolved_on < event_on {
        return Err(format!("a completion date cannot be before the event the item ages from ({})", us_date(event_on)));
    }
    Ok(())
}

/// The part of a pause that counts for one item: the days it was actually aging, after the event
/// it ages from and up to today. `days` is the span's length as the aging ladder counts it (a pause
/// from the 20th to the 25th is 5 days, AS-11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PauseSpan {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
}

/// Clips a typed pause to the item's aging window; a pause wholly outside it counts no day and is
/// refused with why. Days another pause of the item already covers are not counted twice.
pub fn clip_pause(
    event_on: NaiveDate,
    earlier: &[(NaiveDate, NaiveDate)],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<PauseSpan, String> {
    if to < from {
        return Err("a pause ends after it starts".into());
    }
    let start = from.max(event_on);
    let end = to.min(today);
    if end <= start {
        return Err(if to <= event_on {
            format!("the pause ends before the item started aging ({})", us_date(event_on))
        } else {
            format!("the pause counts no day up to today ({}): a pause records days already passed", us_date(today))
        });
    }
    // A pause covers the days from its start up to (not including) its end, as AS-11 counts them.
    let days = start
        .iter_days()
        .take_while(|day| *day < end)
        .filter(|day| !earlier.iter().any(|(f, t)| f <= day && day < t))
        .count() as i64;
    if days == 0 {
        return Err(format!("aging is already paused from {} to {}", us_date(start), us_date(end)));
    }
    Ok(PauseSpan { from: start, to: end, days })
}

/// Whether a chart becomes complete once the listed items close: it had open items and none is left.
pub fn chart_completes(open_item_ids: &[i64], closing: &[i64]) -> bool {
    !open_item_ids.is_empty() && open_item_ids.iter().all(|id| closing.contains(id))
}

/// Whether a suspended physician is reinstated once the listed items close: every delinquent item
/// is among them. A suspension the medical staff office made by override was not for delinquency,
/// so closing items does not lift it; the office does.
pub fn reinstated(suspended: bool, by_override: bool, delinquent_item_ids: &[i64], closing: &[i64]) -> bool {
    suspended && !by_override && delinquent_item_ids.iter().all(|id| closing.contains(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn item(status: DeficiencyStatus, version: i64) -> ItemState {
        ItemState {
            id: 53,
            version,
            status,
            type_code: "OP-D".into(),
            encounter_id: 7,
            account: "A25-000781".into(),
            patient_id: 3,
            mrn: "1000234".into(),
            provider_id: 2,
            provider_npi: "1000000002".into(),
            facility_id: 1,
            event_on: d(2026, 8, 14),
            delinquent_on: d(2026, 9, 13),
            paused_days: 0,
            resolved_on: Some(d(2026, 9, 1)),
            resolved_by: Some("mlee".into()),
            pauses: Vec::new(),
        }
    }

    #[test]
    fn a_completion_date_sits_between_the_event_and_today() {
        let today = d(2026, 12, 1);
        // QC=1-3 03/03/2025 on items discharged in August 2026.
        let err = check_resolved_on(d(2026, 8, 14), d(2025, 3, 3), today).unwrap_err();
        assert!(err.contains("08/14/2026"), "{err}");
        assert!(check_resolved_on(d(2026, 8, 14), d(2026, 12, 2), today).is_err());
        assert!(check_resolved_on(d(2026, 8, 14), d(2026, 8, 14), today).is_ok());
        assert!(check_resolved_on(d(2026, 8, 14), today, today).is_ok());
    }

    #[test]
    fn as11_a_pause_inside_the_window_counts_whole() {
        let span = clip_pause(d(2025, 2, 10), &[], d(2025, 2, 20), d(2025, 2, 25), d(2025, 3, 3)).unwrap();
        assert_eq!(span, PauseSpan { from: d(2025, 2, 20), to: d(2025, 2, 25), days: 5 });
    }

    #[test]
    fn a_pause_is_clipped_to_the_days_the_item_was_aging() {
        // Discharged 10/04/2026; a pause typed from 09/30 to 12/20, seen on 12/01.
        let span = clip_pause(d(2026, 10, 4), &[], d(2026, 9, 30), d(2026, 12, 20), d(2026, 12, 1)).unwrap();
        assert_eq!(span, PauseSpan { from: d(2026, 10, 4), to: d(2026, 12, 1), days: 58 });
    }

    #[test]
    fn a_pause_wholly_outside_the_window_is_refused() {
        // :PA=17 02/20/2025 02/25/2025 on a chart discharged 10/04/2026.
        let err = clip_pause(d(2026, 10, 4), &[], d(2025, 2, 20), d(2025, 2, 25), d(2026, 12, 1)).unwrap_err();
        assert!(err.contains("before the item started aging (10/04/2026)"), "{err}");
        let err = clip_pause(d(2026, 10, 4), &[], d(2026, 12, 5), d(2026, 12, 9), d(2026, 12, 1)).unwrap_err();
        assert!(err.contains("no day up to today (12/01/2026)"), "{err}");
        assert!(clip_pause(d(2026, 10, 4), &[], d(2026, 11, 5), d(2026, 11, 1), d(2026, 12, 1)).is_err());
    }

    #[test]
    fn days_already_paused_count_once() {
        let earlier = [(d(2025, 2, 20), d(2025, 2, 25))];
        // The same pause again.
        let err = clip_pause(d(2025, 2, 10), &earlier, d(2025, 2, 20), d(2025, 2, 25), d(2025, 3, 3)).unwrap_err();
        assert!(err.contains("already paused"), "{err}");
        // Overlapping by three days: 22nd to 28th adds the 25th, 26th and 27th.
        let span = clip_pause(d(2025, 2, 10), &earlier, d(2025, 2, 22), d(2025, 2, 28), d(2025, 3, 3)).unwrap();
        assert_eq!(span.days, 3);
    }

    #[test]
    fn stale_items_say_why_in_a_clerks_words() {
        assert_eq!(stale_reason(&item(DeficiencyStatus::Open, 4), 4), None);
        assert_eq!(
            stale_reason(&item(DeficiencyStatus::Open, 5), 4).as_deref(),
            Some("was changed by someone else since it was listed")
        );
        assert_eq!(
            stale_reason(&item(DeficiencyStatus::Completed, 5), 4).as_deref(),
            Some("already completed by mlee on 09/01/2026")
        );
        assert_eq!(stale_reason(&item(DeficiencyStatus::Voided, 4), 4).as_deref(), Some("is voided"));
        assert_eq!(item(DeficiencyStatus::Open, 4).label(), "A25-000781 OP-D");
    }

    #[test]
    fn a_chart_completes_when_its_last_open_item_closes() {
        assert!(chart_completes(&[1, 2], &[2, 1, 9]));
        assert!(!chart_completes(&[1, 2], &[2]));
        assert!(!chart_completes(&[], &[2]));
    }

    #[test]
    fn a_suspended_physician_is_reinstated_when_no_delinquent_item_is_left() {
        assert!(reinstated(true, false, &[4], &[4, 5]));
        assert!(!reinstated(true, false, &[4, 6], &[4]));
        assert!(!reinstated(false, false, &[4], &[4]));
        assert!(!reinstated(true, true, &[], &[4]), "an override suspension stays until the office lifts it");
    }

    #[test]
    fn chart_status_codes_round_trip() {
        for status in [ChartStatus::AwaitingAnalysis, ChartStatus::Incomplete, ChartStatus::Complete] {
            assert_eq!(ChartStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(ChartStatus::after_analysis(0), ChartStatus::Complete);
        assert_eq!(ChartStatus::after_analysis(2), ChartStatus::Incomplete);
    }
}
