//! Taking work through the desk, as two clerks and a supervisor on one store: who gets an item,
//! what the other is told, what bulk actions leave alone, when a claim ends or lapses, and what a
//! clerk whose action found an item moved is told, on each backend. Then the same from the command
//! line.

mod common;

use chartroom::desk::{Desk, DeskError, FixedClock};
use chartroom::domain::chart::DeficiencyStatus;
use chartroom::domain::completion::ClaimLapse;
use chartroom::domain::role::Role;
use chartroom::store::{AuditFilter, ClaimFilter, NewUser, Page, QueueFilter, QueueSort};
use chrono::{NaiveDate, TimeZone, Utc};
use std::sync::Arc;

/// The scenario store with a second analyst, `bsmith`, on each backend in turn.
fn stores() -> impl Iterator<Item = common::Fixture> {
    common::on_each_backend(|store| {
        common::populate(store);
        store
            .add_user(
                NewUser { username: "bsmith".into(), display_name: "Bo Smith".into(), roles: vec![Role::ChartAnalyst] },
                common::event("user"),
            )
            .unwrap();
    })
}

/// `user`'s desk at `h:m` UTC on `day` (the clock has no zone: the wall clock reads UTC).
fn desk_at(f: &common::Fixture, user: &str, day: NaiveDate, h: u32, m: u32) -> Desk {
    let now = Utc.from_utc_datetime(&day.and_hms_opt(h, m, 0).unwrap());
    let clock = Arc::new(FixedClock { now, today: day });
    Desk::sign_in(f.store.clone(), user, "local".into(), common::key(), clock).unwrap()
}

fn desk(f: &common::Fixture, user: &str) -> Desk {
    desk_at(f, user, common::today(), 10, 42)
}

/// GARCIA's open items, oldest first, as (id, version, label).
fn garcia(desk: &Desk) -> Vec<(i64, i64, String)> {
    let filter = QueueFilter { today: Some(desk.today()), ..Default::default() };
    let rows = desk.deficiency_queue(&filter, QueueSort::Type, Page::first(50)).unwrap().rows;
    rows.iter().map(|r| (r.id, r.version, format!("{} {}", r.account, r.type_code))).collect()
}

#[test]
fn of_two_clerks_taking_one_item_one_gets_it_and_the_other_is_told_who_and_since_when() {
    for f in stores() {
        let (mlee, bsmith) = (desk(&f, "mlee"), desk_at(&f, "bsmith", common::today(), 11, 5));
        let items = garcia(&mlee);
        let (ds, label) = (items[0].0, items[0].2.clone());
        let taken = mlee.take_deficiencies(&[ds], false).unwrap();
        assert_eq!(taken.done, [ds]);
        assert_eq!(taken.message(), "1 deficiency taken, yours until the end of the day");
        let refused = bsmith.take_deficiencies(&[ds, items[1].0], false).unwrap();
        assert_eq!(refused.done, [items[1].0]);
        assert_eq!(
            refused.message(),
            format!(
                "1 deficiency taken, yours until the end of the day; not taken 1: {label} is being worked by mlee since 10:42"
            )
        );
        assert_eq!(mlee.take_deficiencies(&[ds], false).unwrap().message(), "1 already yours");
        // The queue says whose each row is; `mine` and `unclaimed` narrow it.
        let rows = garcia(&bsmith);
        assert_eq!(rows.len(), 3);
        let whose = |who: Option<ClaimFilter>| {
            let filter = QueueFilter { today: Some(common::today()), claimed: who, ..Default::default() };
            let rows = bsmith.deficiency_queue(&filter, QueueSort::Type, Page::first(50)).unwrap().rows;
            rows.iter().map(|r| (r.id, r.claim.as_ref().map(|c| c.holder.clone()))).collect::<Vec<_>>()
        };
        assert_eq!(whose(Some(ClaimFilter::By("mlee".into()))), [(ds, Some("mlee".to_string()))]);
        assert_eq!(whose(Some(ClaimFilter::Unclaimed)), [(items[2].0, None)]);
        let mine = bsmith
            .queue_filter(QueueFilter::default(), &[(chartroom::desk::queue_filter::FilterKey::Claim, "mine".into())]);
        assert_eq!(mine.unwrap().claimed, Some(ClaimFilter::By("bsmith".into())));
        let nobody = bsmith
            .queue_filter(QueueFilter::default(), &[(chartroom::desk::queue_filter::FilterKey::Claim, "zz".into())]);
        assert!(nobody.unwrap_err().to_string().contains("claim=zz: no such user"));
    }
}

#[test]
fn a_bulk_action_leaves_alone_what_another_clerk_holds_and_names_her() {
    for f in stores() {
        let (mlee, bsmith) = (desk(&f, "mlee"), desk(&f, "bsmith"));
        let items = garcia(&mlee);
        mlee.take_deficiencies(&[items[0].0], false).unwrap();
        let listed: Vec<(i64, i64)> = items.iter().map(|(id, v, _)| (*id, *v)).collect();
        let outcome = bsmith.comment_deficiencies(listed, "please sign").unwrap();
        assert_eq!(outcome.completed.len(), 2);
        assert_eq!(outcome.skipped.len(), 1);
        assert_eq!(outcome.skipped[0].reason, "is being worked by mlee since 10:42");
        // Her own take does not make the rows she listed stale to her.
        let listed: Vec<(i64, i64)> = vec![(items[0].0, items[0].1)];
        let own = mlee.move_deficiencies(listed, DeficiencyStatus::Dictated, "").unwrap();
        assert_eq!(own.completed, [items[0].0], "{own:?}");
    }
}

#[test]
fn a_stale_item_says_what_moved_it_and_who() {
    for f in stores() {
        let (mlee, kwong) = (desk(&f, "mlee"), desk_at(&f, "kwong", common::today(), 10, 45));
        let items = garcia(&mlee);
        let (id, version, label) = items[1].clone();
        kwong.comment_deficiencies(vec![(id, version)], "please sign").unwrap();
        let outcome = mlee.complete_deficiencies(vec![(id, version)], common::today(), None).unwrap();
        assert!(outcome.completed.is_empty());
        assert_eq!(outcome.skipped[0].label, label);
        assert_eq!(
            outcome.skipped[0].reason,
            "was changed by kwong at 10:45 since it was listed (comment: please sign)"
        );
    }
}

#[test]
fn completing_an_item_ends_its_claim_and_a_claim_lapses_at_the_end_of_the_day() {
    for f in stores() {
        let mlee = desk(&f, "mlee");
        let items = garcia(&mlee);
        mlee.take_deficiencies(&[items[0].0, items[1].0], false).unwrap();
        mlee.complete_deficiencies(vec![(items[0].0, items[0].1)], common::today(), None).unwrap();
        let now = f.store.deficiency_items(&[items[0].0, items[1].0]).unwrap();
        assert_eq!(now[0].claim, None, "a completed item is no one's work");
        assert_eq!(now[1].claim.as_ref().map(|c| c.holder.as_str()), Some("mlee"));
        let midnight =
            Utc.from_utc_datetime(&(common::today() + chrono::Duration::days(1)).and_hms_opt(0, 0, 0).unwrap());
        assert_eq!(now[1].claim.as_ref().unwrap().until, midnight);
        // The next morning the item is anyone's, and the queue shows no holder.
        let morning = desk_at(&f, "bsmith", common::today() + chrono::Duration::days(1), 8, 0);
        let row = garcia(&morning).into_iter().find(|(id, ..)| *id == items[1].0).unwrap();
        let filter = QueueFilter { today: Some(morning.today()), ..Default::default() };
        let rows = morning.deficiency_queue(&filter, QueueSort::Type, Page::first(50)).unwrap().rows;
        assert!(rows.iter().all(|r| r.claim.is_none()), "a lapsed claim is not shown");
        assert_eq!(morning.take_deficiencies(&[row.0], false).unwrap().done, [row.0]);
    }
}

#[test]
fn a_claim_lapses_after_the_hours_the_director_set() {
    for f in stores() {
        let dhim = desk(&f, "dhim");
        assert_eq!(dhim.claim_lapse().unwrap(), ClaimLapse::EndOfDay);
        let refused = desk(&f, "mlee").set_claim_lapse(ClaimLapse::Hours(8));
        assert!(matches!(refused, Err(DeskError::Forbidden { .. })), "{refused:?}");
        assert!(dhim.set_claim_lapse(ClaimLapse::Hours(30)).is_err());
        dhim.set_claim_lapse(ClaimLapse::Hours(8)).unwrap();
        let mlee = desk(&f, "mlee");
        let items = garcia(&mlee);
        assert_eq!(mlee.take_deficiencies(&[items[0].0], false).unwrap().lapses.as_deref(), Some("until 18:42"));
        assert!(
            desk_at(&f, "bsmith", common::today(), 18, 41)
                .take_deficiencies(&[items[0].0], false)
                .unwrap()
                .done
                .is_empty()
        );
        assert_eq!(
            desk_at(&f, "bsmith", common::today(), 18, 42).take_deficiencies(&[items[0].0], false).unwrap().done.len(),
            1
        );
        let audit = f.store.list_audit(&AuditFilter { username: Some("dhim".into()), limit: 5, ..Default::default() });
        assert!(
            audit
                .unwrap()
                .iter()
                .any(|e| e.detail == "a claim lapses at the end of the day it was taken -> 8 hours after it was taken"),
            "the change of policy is audited with old and new"
        );
    }
}

#[test]
fn a_supervisor_takes_over_with_an_event_naming_both_and_an_analyst_may_not() {
    for f in stores() {
        let (mlee, bsmith, kwong) =
            (desk(&f, "mlee"), desk(&f, "bsmith"), desk_at(&f, "kwong", common::today(), 11, 0));
        let items = garcia(&mlee);
        let (id, _, label) = items[0].clone();
        mlee.take_deficiencies(&[id], false).unwrap();
        let forbidden = bsmith.take_deficiencies(&[id], true);
        assert!(
            matches!(&forbidden, Err(e) if e.to_string().contains("take over another clerk's work: that needs supervisor or director")),
            "{forbidden:?}"
        );
        assert!(kwong.take_deficiencies(&[id], false).unwrap().done.is_empty(), "not without asking to");
        let over = kwong.take_deficiencies(&[id], true).unwrap();
        assert_eq!(
            over.message(),
            "1 deficiency taken, yours until the end of the day; 1 of them taken over from mlee"
        );
        let events =
            f.store.list_audit(&AuditFilter { username: Some("kwong".into()), limit: 5, ..Default::default() });
        let details: Vec<String> = events.unwrap().into_iter().map(|e| e.detail).collect();
        assert!(details.contains(&format!("{label}: taken over from mlee since 10:42 by kwong")), "{details:?}");
        // mlee can no longer give it up; kwong can, and a supervisor can give up another's.
        assert!(mlee.release_deficiencies(&[id], false).unwrap().done.is_empty());
        let log = f.store.deficiency_changes(id, 0).unwrap();
        let changes: Vec<(&str, &str, Option<&str>)> =
            log.iter().map(|c| (c.username.as_str(), c.change.as_str(), c.holder.as_deref())).collect();
        assert_eq!(changes, [("mlee", "TAKE", Some("mlee")), ("kwong", "TAKE_OVER", Some("kwong"))]);
        bsmith.take_deficiencies(&[items[1].0], false).unwrap();
        let released = kwong.release_deficiencies(&[items[1].0], true).unwrap();
        assert_eq!(released.message(), "1 deficiency given up; 1 of them released from bsmith");
        assert_eq!(f.store.deficiency_items(&[items[1].0]).unwrap()[0].claim, None);
    }
}

#[test]
fn a_clerk_who_does_not_work_deficiencies_takes_nothing() {
    for f in stores() {
        let items = garcia(&desk(&f, "mlee"));
        let err = desk(&f, "jdoe").take_deficiencies(&[items[0].0], false).unwrap_err();
        assert!(err.to_string().contains("that needs chart_analyst, supervisor or director"), "{err}");
        assert!(desk(&f, "mlee").take_deficiencies(&[], false).is_err(), "nothing named");
    }
}

#[test]
fn items_are_named_as_a_clerk_names_them() {
    for f in stores() {
        let mlee = desk(&f, "mlee");
        let items = garcia(&mlee);
        assert_eq!(mlee.deficiencies_named(&["a25-000781".into()]).unwrap().len(), 3);
        let ds = mlee.deficiencies_named(&["A25-000781:ds-d".into()]).unwrap();
        assert_eq!(ds.len(), 1);
        assert!(items.iter().any(|(id, _, label)| *id == ds[0] && label == "A25-000781 DS-D"));
        assert_eq!(
            mlee.deficiencies_named(&["A25-999999".into()]).unwrap_err().to_string(),
            "no chart has account A25-999999"
        );
        assert_eq!(
            mlee.deficiencies_named(&["A25-000781:OP-D".into()]).unwrap_err().to_string(),
            "A25-000781 has no open OP-D"
        );
    }
}

#[test]
fn the_command_line_takes_lists_and_gives_up_work() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_chartroom"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--config")
            .arg(dir.path().join("config.toml"))
            .args(args)
            .env_remove("CHARTROOM_CONFIG")
            .env_remove("CHARTROOM_DATA_DIR")
            .output()
            .unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    assert_eq!(run(&["init"]).0, Some(0));
    let (code, out, err) = run(&["deficiencies", "take", "A25-000781:DS-D"]);
    assert_eq!((code, out.as_str()), (Some(0), "1 deficiency taken, yours until the end of the day"), "{err}");
    let (_, out, _) = run(&["deficiencies", "take", "A25-000781:DS-D"]);
    assert_eq!(out, "1 already yours");
    let (_, listed, _) = run(&["deficiencies", "list", "--claim", "mine"]);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(lines[0].ends_with("TAKEN BY") && lines[1].contains("A25-000781"), "{listed}");
    let (code, _, err) = run(&["deficiencies", "take", "A25-999999"]);
    assert_eq!((code, err.as_str()), (Some(1), "chartroom: no chart has account A25-999999"));
    let (code, out, err) = run(&["deficiencies", "release", "--all"]);
    assert_eq!((code, out.as_str()), (Some(0), "1 deficiency given up"), "{err}");
    let (_, out, _) = run(&["policy", "claims", "--hours", "6"]);
    assert_eq!(out, "A claim on a deficiency lapses 6 hours after it was taken.");
}
