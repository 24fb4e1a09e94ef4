//! The rules of working a deficiency once it exists: which changes an item can take, which dates a
//! completion or a pause may carry, when a chart becomes complete and when a suspended physician is
//! reinstated. Pure: the desk reads the items' current state, asks here, and tells the store what to
//! write, so every backend persists the same decisions.

use super::chart::DeficiencyStatus;
use super::dates::us_date;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
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
    /// Who took it to work, as the store holds it: lapsed or not, [`Claim::is_live`] says.
    pub claim: Option<Claim>,
}

impl ItemState {
    /// `A25-000781 OP-D`: how a clerk names an item.
    pub fn label(&self) -> String {
        format!("{} {}", self.account, self.type_code)
    }
}

/// Why an item the clerk listed at `seen_version` cannot take a change now; None when it can.
pub fn stale_reason(item: &ItemState, seen_version: i64) -> Option<String> {
    if let Some(reason) = closed_reason(item) {
        return Some(reason);
    }
    (item.version != seen_version).then(|| "was changed by someone else since it was listed".to_string())
}

/// A clerk's hold on an item she is working: who, since when, and when it lapses. Two clerks
/// never work one item unknowingly: the second is told who has it and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub holder: String,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Claim {
    /// Whether the claim still holds at `now`. A claim lapses on its own, so that the work of a
    /// clerk who went home does not stay blocked until someone notices.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.until
    }

    /// `mlee since 10:42`, or `mlee since 03/12/2025 16:05` for a claim taken on another day;
    /// `since_local` is `since` on the department's clock.
    pub fn holder_since(&self, since_local: NaiveDateTime, today: NaiveDate) -> String {
        let time = since_local.format("%H:%M").to_string();
        let time = if since_local.date() == today { time } else { format!("{} {time}", us_date(since_local.date())) };
        format!("{} since {time}", self.holder)
    }
}

/// When a claim lapses, as the department set it (`chartroom policy claims`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum ClaimLapse {
    /// At the end of the department's day it was taken on (the default): work is a clerk's for her
    /// shift, and nobody finds it held the next morning by someone who went home.
    #[default]
    EndOfDay,
    /// This many hours after it was taken (1 to 24), for a department whose shifts cross midnight.
    Hours(u32),
}

impl ClaimLapse {
    /// The store setting that holds it.
    pub const SETTING: &'static str = "claim_lapse";
    pub const MAX_HOURS: u32 = 24;

    /// `end_of_day`, `8h` or `8`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_ascii_lowercase();
        if matches!(text.as_str(), "end_of_day" | "end-of-day") {
            return Ok(Self::EndOfDay);
        }
        let hours: u32 = text
            .strip_suffix('h')
            .unwrap_or(&text)
            .parse()
            .map_err(|_| format!("{text:?}: a claim lapses at end_of_day or after 1 to 24 hours (8h)"))?;
        Self::hours(hours)
    }

    pub fn hours(hours: u32) -> Result<Self, String> {
        if !(1..=Self::MAX_HOURS).contains(&hours) {
            return Err(format!(
                "a claim lapses after 1 to {} hours, not {hours}: longer would keep work from the next shift",
                Self::MAX_HOURS
            ));
        }
        Ok(Self::Hours(hours))
    }

    /// What the setting holds: `end_of_day` or `8h`.
    pub fn code(self) -> String {
        match self {
            Self::EndOfDay => "end_of_day".into(),
            Self::Hours(h) => format!("{h}h"),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Self::EndOfDay => "at the end of the day it was taken".into(),
            Self::Hours(1) => "1 hour after it was taken".into(),
            Self::Hours(h) => format!("{h} hours after it was taken"),
        }
    }

    /// When a claim taken at `now` lapses; `end_of_day` is when the department's day ends.
    pub fn until(self, now: DateTime<Utc>, end_of_day: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::EndOfDay => end_of_day.max(now),
            Self::Hours(h) => now + chrono::Duration::hours(i64::from(h)),
        }
    }
}

/// What taking an item to work does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taking {
    /// Nobody holds it, or the last claim lapsed: the clerk takes it.
    Free,
    /// The clerk holds it already: nothing to write.
    AlreadyYours,
    /// Another clerk holds it and a supervisor takes it over; the audit event names both.
    Over(Claim),
}

/// Why an item cannot be taken (or given up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotTaken {
    /// Another clerk holds it, and the user may not take it over (or did not ask to).
    Held(Claim),
    /// It is closed: there is no work left on it. The reason in a clerk's words.
    Closed(String),
}

/// Whether `me` may take `item` at `now`. An item held by another clerk is refused with who holds
/// it, unless a supervisor asks to take it over (`take_over`, allowed only with the permission).
pub fn taking(item: &ItemState, me: &str, now: DateTime<Utc>, take_over: bool) -> Result<Taking, NotTaken> {
    if let Some(reason) = closed_reason(item) {
        return Err(NotTaken::Closed(reason));
    }
    match item.claim.as_ref().filter(|c| c.is_live(now)) {
        None => Ok(Taking::Free),
        Some(c) if c.holder == me => Ok(Taking::AlreadyYours),
        Some(c) if take_over => Ok(Taking::Over(c.clone())),
        Some(c) => Err(NotTaken::Held(c.clone())),
    }
}

/// What giving up an item does: `Some(claim)` to clear (the claim ended, naming its holder when it
/// is not `me`); `None` when nothing holds it, so nothing is written.
pub fn releasing(item: &ItemState, me: &str, now: DateTime<Utc>, take_over: bool) -> Result<Option<Claim>, NotTaken> {
    match item.claim.as_ref().filter(|c| c.is_live(now)) {
        None => Ok(None),
        Some(c) if c.holder == me || take_over => Ok(Some(c.clone())),
        Some(c) => Err(NotTaken::Held(c.clone())),
    }
}

/// The live claim of another clerk on `item`, for which a bulk action leaves it alone: two clerks
/// working one item would each decide on what the other is about to change.
pub fn held_by_other<'a>(item: &'a ItemState, me: &str, now: DateTime<Utc>) -> Option<&'a Claim> {
    item.claim.as_ref().filter(|c| c.is_live(now) && c.holder != me)
}

/// Whether a change that leaves an item at `to` ends its claim: a closed item is no one's work.
pub fn ends_claim(to: DeficiencyStatus) -> bool {
    !to.is_open()
}

/// `was changed by kwong at 10:45 since it was listed (comment: please sign)`: what moved an item
/// the clerk listed at an older version, from the changes made since (oldest first), each as
/// (who, when on the department's clock, what it did).
pub fn moved_since(changes: &[(String, NaiveDateTime, String)], today: NaiveDate) -> String {
    let Some((by, at, what)) = changes.last() else {
        return "was changed by someone else since it was listed".to_string();
    };
    let when = if at.date() == today {
        at.format("%H:%M").to_string()
    } else {
        format!("{} {}", us_date(at.date()), at.format("%H:%M"))
    };
    let what = if what.is_empty() { String::new() } else { format!(" ({what})") };
    match changes.len() {
        1 => format!("was changed by {by} at {when} since it was listed{what}"),
        n => format!("was changed {n} times since it was listed, last by {by} at {when}{what}"),
    }
}

/// Why an item cannot be worked at all: it is closed.
fn closed_reason(item: &ItemState) -> Option<String> {
    if item.status == DeficiencyStatus::Completed {
        return Some(match (&item.resolved_by, item.resolved_on) {
            (Some(by), Some(on)) => format!("already completed by {by} on {}", us_date(on)),
            _ => "already completed".to_string(),
        });
    }
    (!item.status.is_open()).then(|| format!("is {}", item.status.code().to_ascii_lowercase()))
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
            claim: None,
        }
    }

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        d(2026, 12, 1).and_hms_opt(h, m, 0).unwrap().and_utc()
    }

    fn held_by(holder: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> Option<Claim> {
        Some(Claim { holder: holder.into(), since, until })
    }

    #[test]
    fn an_item_held_by_another_clerk_is_refused_with_who_and_since_when() {
        let mut it = item(DeficiencyStatus::Open, 4);
        it.claim = held_by("mlee", at(10, 42), at(23, 59));
        let now = at(11, 0);
        assert_eq!(taking(&it, "tnguyen", now, false), Err(NotTaken::Held(it.claim.clone().unwrap())));
        assert_eq!(taking(&it, "mlee", now, false), Ok(Taking::AlreadyYours));
        assert_eq!(taking(&it, "kwong", now, true), Ok(Taking::Over(it.claim.clone().unwrap())));
        let claim = it.claim.clone().unwrap();
        assert_eq!(claim.holder_since(at(10, 42).naive_utc(), d(2026, 12, 1)), "mlee since 10:42");
        assert_eq!(claim.holder_since(at(16, 5).naive_utc(), d(2026, 12, 2)), "mlee since 12/01/2026 16:05");
        assert_eq!(held_by_other(&it, "tnguyen", now), it.claim.as_ref());
        assert_eq!(held_by_other(&it, "mlee", now), None, "her own claim does not stop her");
    }

    #[test]
    fn a_lapsed_claim_holds_nothing() {
        let mut it = item(DeficiencyStatus::Open, 4);
        it.claim = held_by("mlee", at(10, 42), at(18, 0));
        assert_eq!(taking(&it, "tnguyen", at(18, 0), false), Ok(Taking::Free), "lapsed at its end");
        assert_eq!(held_by_other(&it, "tnguyen", at(18, 0)), None);
        assert_eq!(releasing(&it, "mlee", at(18, 1), false), Ok(None), "nothing to give up");
        assert!(it.claim.as_ref().unwrap().is_live(at(17, 59)));
    }

    #[test]
    fn only_the_holder_or_a_supervisor_gives_an_item_up() {
        let mut it = item(DeficiencyStatus::Open, 4);
        it.claim = held_by("mlee", at(10, 42), at(23, 0));
        let claim = it.claim.clone().unwrap();
        assert_eq!(releasing(&it, "mlee", at(11, 0), false), Ok(Some(claim.clone())));
        assert_eq!(releasing(&it, "tnguyen", at(11, 0), false), Err(NotTaken::Held(claim.clone())));
        assert_eq!(releasing(&it, "kwong", at(11, 0), true), Ok(Some(claim)));
    }

    #[test]
    fn a_closed_item_cannot_be_taken_and_closing_ends_a_claim() {
        let it = item(DeficiencyStatus::Completed, 5);
        assert_eq!(
            taking(&it, "mlee", at(11, 0), false),
            Err(NotTaken::Closed("already completed by mlee on 09/01/2026".into()))
        );
        assert!(ends_claim(DeficiencyStatus::Completed));
        assert!(ends_claim(DeficiencyStatus::Voided));
        assert!(ends_claim(DeficiencyStatus::Reviewed));
        assert!(!ends_claim(DeficiencyStatus::Signed));
    }

    #[test]
    fn a_claim_lapses_at_the_end_of_the_day_or_after_the_hours_set() {
        let end = at(23, 59) + chrono::Duration::minutes(1);
        assert_eq!(ClaimLapse::default(), ClaimLapse::EndOfDay);
        assert_eq!(ClaimLapse::EndOfDay.until(at(10, 42), end), end);
        assert_eq!(ClaimLapse::Hours(8).until(at(10, 42), end), at(18, 42));
        assert_eq!(ClaimLapse::parse("end_of_day"), Ok(ClaimLapse::EndOfDay));
        assert_eq!(ClaimLapse::parse("8h"), Ok(ClaimLapse::Hours(8)));
        assert_eq!(ClaimLapse::parse(" 12 "), Ok(ClaimLapse::Hours(12)));
        assert!(ClaimLapse::parse("0h").is_err());
        assert!(ClaimLapse::parse("25").unwrap_err().contains("1 to 24 hours"));
        assert!(ClaimLapse::parse("tomorrow").is_err());
        for lapse in [ClaimLapse::EndOfDay, ClaimLapse::Hours(1), ClaimLapse::Hours(24)] {
            assert_eq!(ClaimLapse::parse(&lapse.code()), Ok(lapse));
        }
    }

    #[test]
    fn a_stale_item_says_what_moved_it() {
        let today = d(2026, 12, 1);
        let change = |by: &str, h: u32, what: &str| (by.to_string(), at(h, 45).naive_utc(), what.to_string());
        assert_eq!(
            moved_since(&[change("kwong", 10, "comment: please sign")], today),
            "was changed by kwong at 10:45 since it was listed (comment: please sign)"
        );
        assert_eq!(
            moved_since(&[change("mlee", 9, "taken by mlee"), change("kwong", 10, "OPEN -> SIGNED")], today),
            "was changed 2 times since it was listed, last by kwong at 10:45 (OPEN -> SIGNED)"
        );
        assert_eq!(moved_since(&[], today), "was changed by someone else since it was listed");
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
