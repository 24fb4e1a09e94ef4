//! The nightly run's bookkeeping: its claim on a day, and the notices it records.

use super::{
    audit_since, audit_trail, common, details_since, each_backend, fails_writing_nothing, garcia_items, noted,
};
use chartroom::domain::deficiency::NoticeLevel;
use chartroom::store::{NightlyClaim, NoticeDraft, Store, StoreError};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, d).unwrap()
}

fn at(m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, m, d, h, 0, 0).unwrap()
}

fn claim(run_on: NaiveDate, started_at: DateTime<Utc>, pid: u32) -> NightlyClaim {
    NightlyClaim { run_on, started_at, finished_at: None, username: "mlee".into(), host: "hima".into(), pid }
}

#[test]
fn each_step_of_a_nightly_claim_is_audited_and_a_refused_one_writes_nothing() {
    each_backend(|f| {
        let store = &*f.store;
        let before = audit_trail(store);
        assert!(store.begin_nightly(claim(day(3, 3), at(3, 3, 2), 41), None, noted("nightly_run", "begin")).unwrap());
        assert_eq!(details_since(store, &before), ["begin"]);

        let err = fails_writing_nothing(store, || {
            store.begin_nightly(claim(day(3, 3), at(3, 3, 3), 42), None, noted("nightly_run", "second"))
        });
        assert!(matches!(err, StoreError::Busy), "{err}");
        let held = store.nightly_claims().unwrap();
        assert_eq!(held, [claim(day(3, 3), at(3, 3, 2), 41)], "the first claim holds, as it was made");

        let before = audit_trail(store);
        store.release_nightly(day(3, 3), at(3, 3, 2), noted("nightly_run", "released")).unwrap();
        assert_eq!(details_since(store, &before), ["released"]);
        assert!(store.nightly_claims().unwrap().is_empty(), "given up: no claim, none finished yet");

        let before = audit_trail(store);
        assert!(store.begin_nightly(claim(day(3, 3), at(3, 3, 4), 43), None, noted("nightly_run", "again")).unwrap());
        store.finish_nightly(day(3, 3), at(3, 3, 4), at(3, 3, 5), "done", noted("nightly_run", "finished")).unwrap();
        assert_eq!(details_since(store, &before), ["again", "finished"]);
        let finished = NightlyClaim { finished_at: Some(at(3, 3, 5)), ..claim(day(3, 3), at(3, 3, 4), 43) };
        assert_eq!(store.nightly_claims().unwrap(), std::slice::from_ref(&finished));

        // A day already run: nothing to do, and nothing written.
        let before = audit_trail(store);
        let again = store.begin_nightly(claim(day(3, 3), at(3, 3, 6), 44), None, noted("nightly_run", "no-op"));
        assert!(!again.unwrap());
        assert!(audit_since(store, &before).is_empty(), "a run with nothing to do records nothing");
        let replacing =
            store.begin_nightly(claim(day(3, 3), at(3, 3, 6), 44), Some(at(3, 3, 4)), noted("nightly_run", "no-op"));
        assert!(!replacing.unwrap(), "a finished run is not replaced either");
        assert!(audit_since(store, &before).is_empty());
        assert_eq!(store.nightly_claims().unwrap(), [finished]);
    });
}

#[test]
fn the_claims_listed_are_those_unfinished_and_the_last_finished() {
    each_backend(|f| {
        let store = &*f.store;
        for (d, pid) in [(1, 51), (2, 52)] {
            assert!(
                store.begin_nightly(claim(day(3, d), at(3, d, 2), pid), None, noted("nightly_run", "begin")).unwrap()
            );
            store.finish_nightly(day(3, d), at(3, d, 2), at(3, d, 3), "done", noted("nightly_run", "finish")).unwrap();
        }
        assert!(store.begin_nightly(claim(day(3, 3), at(3, 3, 2), 53), None, noted("nightly_run", "begin")).unwrap());
        assert!(store.begin_nightly(claim(day(3, 4), at(3, 3, 9), 54), None, noted("nightly_run", "begin")).unwrap());
        let mut claims = store.nightly_claims().unwrap();
        claims.sort_by_key(|c| c.run_on);
        let listed: Vec<_> = claims.iter().map(|c| (c.run_on, c.pid, c.finished_at)).collect();
        assert_eq!(listed, [(day(3, 2), 52, Some(at(3, 2, 3))), (day(3, 3), 53, None), (day(3, 4), 54, None)]);
        // Releasing one day's claim leaves the other's.
        store.release_nightly(day(3, 3), at(3, 3, 2), noted("nightly_run", "release")).unwrap();
        let pids: Vec<u32> = store.nightly_claims().unwrap().iter().map(|c| c.pid).collect();
        assert!(pids.contains(&54) && !pids.contains(&53), "{pids:?}");
        // A finished day's run is not held: releasing it gives nothing up.
        let err = fails_writing_nothing(store, || {
            store.release_nightly(day(3, 2), at(3, 2, 2), noted("nightly_run", "release"))
        });
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        assert!(!store.begin_nightly(claim(day(3, 2), at(3, 4, 1), 55), None, noted("nightly_run", "x")).unwrap());
    });
}

#[test]
fn a_claim_is_finished_or_released_only_by_its_own_run_and_another_is_not_found_writing_nothing() {
    each_backend(|f| {
        let store = &*f.store;
        let not_found = |err: StoreError| assert!(matches!(err, StoreError::NotFound(_)), "{err}");
        // No claim on the day: nothing to finish or release, and no event saying otherwise.
        not_found(fails_writing_nothing(store, || {
            store.finish_nightly(day(3, 3), at(3, 3, 2), at(3, 3, 5), "done", noted("nightly_run", "finished"))
        }));
        not_found(fails_writing_nothing(store, || {
            store.release_nightly(day(3, 3), at(3, 3, 2), noted("nightly_run", "released"))
        }));
        assert!(store.nightly_claims().unwrap().is_empty(), "nothing was made finished");

        // The run of 02:00 is taken over as abandoned by the run of 03:00.
        assert!(store.begin_nightly(claim(day(3, 3), at(3, 3, 2), 41), None, noted("nightly_run", "begin")).unwrap());
        let other_day = claim(day(3, 4), at(3, 3, 2), 40);
        assert!(store.begin_nightly(other_day.clone(), None, noted("nightly_run", "begin")).unwrap());
        let taker = claim(day(3, 3), at(3, 3, 3), 42);
        assert!(store.begin_nightly(taker.clone(), Some(at(3, 3, 2)), noted("nightly_run", "took over")).unwrap());
        // The run taken over, still at work, finishes or gives up nothing of its taker's.
        not_found(fails_writing_nothing(store, || {
            store.finish_nightly(day(3, 3), at(3, 3, 2), at(3, 3, 5), "done", noted("nightly_run", "finished"))
        }));
        not_found(fails_writing_nothing(store, || {
            store.release_nightly(day(3, 3), at(3, 3, 2), noted("nightly_run", "released"))
        }));
        // Another day's claim made at the same instant is not this day's.
        not_found(fails_writing_nothing(store, || {
            store.finish_nightly(day(3, 5), at(3, 3, 2), at(3, 3, 5), "done", noted("nightly_run", "finished"))
        }));
        let mut held = store.nightly_claims().unwrap();
        held.sort_by_key(|c| c.run_on);
        assert_eq!(held, [taker.clone(), other_day.clone()], "both claims held as they were made");

        // The taker's own run finishes it, once.
        let before = audit_trail(store);
        store.finish_nightly(day(3, 3), at(3, 3, 3), at(3, 3, 6), "done", noted("nightly_run", "finished")).unwrap();
        assert_eq!(details_since(store, &before), ["finished"]);
        not_found(fails_writing_nothing(store, || {
            store.finish_nightly(day(3, 3), at(3, 3, 3), at(3, 3, 7), "again", noted("nightly_run", "again"))
        }));
        not_found(fails_writing_nothing(store, || {
            store.release_nightly(day(3, 3), at(3, 3, 3), noted("nightly_run", "released"))
        }));
        let finished = NightlyClaim { finished_at: Some(at(3, 3, 6)), ..taker };
        let mut held = store.nightly_claims().unwrap();
        held.sort_by_key(|c| c.run_on);
        assert_eq!(held, [finished, other_day], "finished when its own run said so, not later");
        assert!(!store.begin_nightly(claim(day(3, 3), at(3, 3, 8), 43), None, noted("nightly_run", "x")).unwrap());
    });
}

struct Scene {
    ds: i64,
    op: i64,
    vo: i64,
    patel: i64,
    okafor: i64,
    reyes: i64,
    rgh: i64,
    hdh: i64,
}

fn scene(store: &dyn Store, f: &common::Fixture) -> Scene {
    let items = garcia_items(f);
    let id = |code: &str| items.iter().find(|i| i.type_code == code).unwrap().id;
    let provider = |npi: &str| store.provider_by_npi(npi).unwrap().unwrap().id;
    let facility = |code: &str| store.list_facilities().unwrap().into_iter().find(|x| x.code == code).unwrap().id;
    Scene {
        ds: id("DS-D"),
        op: id("OP-S"),
        vo: id("VO"),
        patel: provider("1000000001"),
        okafor: provider("1000000002"),
        reyes: provider("1000000003"),
        rgh: facility("RGH"),
        hdh: facility("HDH"),
    }
}

fn draft(provider_id: i64, facility_id: i64, level: NoticeLevel, notice_on: NaiveDate, ids: &[i64]) -> NoticeDraft {
    NoticeDraft {
        provider_id,
        facility_id,
        level,
        notice_on,
        copy_to_id: None,
        deficiency_ids: ids.to_vec(),
        count_open: ids.len() as i64,
        count_delinquent: 0,
    }
}

fn levels(store: &dyn Store) -> std::collections::HashMap<i64, Option<NoticeLevel>> {
    store.open_items().unwrap().into_iter().map(|i| (i.id, i.notice_level)).collect()
}

#[test]
fn notices_are_recorded_once_per_physician_facility_level_and_day_each_new_one_audited() {
    each_backend(|f| {
        let store = &*f.store;
        let s = scene(store, f);
        let notice = |provider, facility, level, on, ids: &[i64]| {
            (draft(provider, facility, level, on, ids), noted("deficiency_notice", &format!("{level:?} {on}")))
        };
        let before = audit_trail(store);
        let first = store
            .record_notices(vec![
                notice(s.patel, s.rgh, NoticeLevel::Delinquent, day(3, 10), &[s.ds]),
                notice(s.okafor, s.rgh, NoticeLevel::Delinquent, day(3, 10), &[s.op]),
            ])
            .unwrap();
        assert_eq!(first.len(), 2);
        assert_ne!(first[0], first[1]);
        assert_eq!(details_since(store, &before), ["Delinquent 2025-03-10", "Delinquent 2025-03-10"]);

        // The same physician, facility, level and day again, alongside new ones: only those are new.
        let before = audit_trail(store);
        let next = store
            .record_notices(vec![
                notice(s.patel, s.rgh, NoticeLevel::Delinquent, day(3, 10), &[s.ds, s.vo]),
                notice(s.patel, s.hdh, NoticeLevel::Delinquent, day(3, 10), &[s.ds]),
                notice(s.patel, s.rgh, NoticeLevel::Delinquent, day(3, 11), &[s.ds]),
                notice(s.patel, s.rgh, NoticeLevel::Reinstatement, day(3, 10), &[]),
            ])
            .unwrap();
        assert_eq!(next.len(), 3, "another facility, another day, another level");
        assert!(next.iter().all(|id| !first.contains(id)), "ids new to the store");
        assert_eq!(audit_since(store, &before).len(), 3, "an event per notice written, none for the one left");

        let recorded = store.notices_between(day(3, 10), day(3, 10)).unwrap();
        let mut ids: Vec<i64> = recorded.iter().map(|n| n.id.unwrap()).collect();
        ids.sort_unstable();
        let mut expected = vec![first[0], first[1], next[0], next[2]];
        expected.sort_unstable();
        assert_eq!(ids, expected, "the 3/10 notices");
        let kept = recorded.iter().find(|n| n.id == Some(first[0])).unwrap();
        let accounts: Vec<&str> = kept.lines.iter().map(|l| l.account.as_str()).collect();
        assert_eq!(accounts, ["A25-000781"], "the notice left alone lists what it listed");
        assert_eq!(store.notices_between(day(3, 11), day(3, 30)).unwrap().len(), 1);
        assert!(store.notices_between(day(3, 1), day(3, 9)).unwrap().is_empty());
        assert_eq!(store.notices_between(day(3, 1), day(3, 31)).unwrap().len(), 5);
        assert!(store.record_notices(vec![]).unwrap().is_empty());
    });
}

#[test]
fn an_item_listed_on_a_recorded_notice_has_been_sent_its_level_and_keeps_the_highest() {
    each_backend(|f| {
        let store = &*f.store;
        let s = scene(store, f);
        let sent = levels(store);
        let notice = |provider, level, on, ids: &[i64]| {
            (draft(provider, s.rgh, level, on, ids), noted("deficiency_notice", "n"))
        };
        store.record_notices(vec![notice(s.patel, NoticeLevel::Delinquent, day(3, 10), &[s.ds])]).unwrap();
        assert_eq!(levels(store)[&s.ds], Some(NoticeLevel::Delinquent));
        assert_eq!(levels(store)[&s.vo], sent[&s.vo], "an item not listed is as it was");

        // A lower level listed later does not lower what was sent.
        store.record_notices(vec![notice(s.patel, NoticeLevel::Notice, day(3, 11), &[s.ds])]).unwrap();
        assert_eq!(levels(store)[&s.ds], Some(NoticeLevel::Delinquent), "the highest level sent");

        // A notice left alone (one exists for that physician, facility, level and day) sent nothing:
        // the items it would have listed are as they were.
        let reyes_before = levels(store)[&s.vo];
        assert_ne!(reyes_before, Some(NoticeLevel::Delinquent));
        let left =
            store.record_notices(vec![notice(s.patel, NoticeLevel::Delinquent, day(3, 10), &[s.ds, s.vo])]).unwrap();
        assert!(left.is_empty());
        assert_eq!(levels(store)[&s.vo], reyes_before, "no letter lists it: not sent");
    });
}

#[test]
fn a_notice_preview_is_what_its_letter_says_and_a_recorded_one_reads_the_same() {
    each_backend(|f| {
        let store = &*f.store;
        let s = scene(store, f);
        let items = garcia_items(f);
        let vo = items.iter().find(|i| i.id == s.vo).unwrap();
        let mut reyes = draft(s.reyes, s.rgh, NoticeLevel::FinalNotice, day(3, 3), &[s.vo]);
        reyes.copy_to_id = Some(s.patel);
        let preview = store.notice_preview(&reyes).unwrap();
        assert_eq!(preview.id, None, "not recorded");
        assert_eq!((preview.facility.as_str(), preview.facility_code.as_str()), ("Riverbend General Hospital", "RGH"));
        assert_eq!((preview.physician.as_str(), preview.npi.as_str()), ("REYES, CARLA", "1000000003"));
        assert_eq!(preview.copy_to.as_deref(), Some("PATEL, ALICE"), "the resident's supervisor is copied");
        assert_eq!((preview.level, preview.notice_on), (NoticeLevel::FinalNotice, day(3, 3)));
        let [line] = &preview.lines[..] else { panic!("one line: {:?}", preview.lines) };
        assert_eq!(
            (line.mrn.as_str(), line.account.as_str(), line.discharged_on),
            ("204511", "A25-000781", vo.event_on)
        );
        assert_eq!(line.days_outstanding, (day(3, 3) - vo.event_on).num_days());
        assert!(!line.deficiency.is_empty(), "the type by name");

        let mut hdh = draft(s.okafor, s.hdh, NoticeLevel::Notice, day(3, 3), &[s.op]);
        hdh.count_open = 1;
        let other = store.notice_preview(&hdh).unwrap();
        assert_eq!(
            (other.facility.as_str(), other.copy_to),
            ("Hudson Hospital", None),
            "the letterhead of its facility"
        );

        let ids = store
            .record_notices(vec![
                (reyes.clone(), noted("deficiency_notice", "reyes")),
                (hdh, noted("deficiency_notice", "hdh")),
            ])
            .unwrap();
        let recorded = store.notices_between(day(3, 3), day(3, 3)).unwrap();
        let mine = recorded.iter().find(|n| n.id == Some(ids[0])).unwrap();
        assert_eq!(mine, &chartroom::store::NoticeRecord { id: Some(ids[0]), ..preview }, "as previewed");

        let unknown =
            store.list_providers(chartroom::store::Page::first(10_000)).unwrap().iter().map(|p| p.id).max().unwrap()
                + 1000;
        let err = store.notice_preview(&draft(unknown, s.rgh, NoticeLevel::Notice, day(3, 3), &[])).unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    });
}
