//! Two clerks at once: two handles on one store (two programs, each with connections of its own)
//! write the same rows at the same moment. A versioned write wins once; the other is told of the
//! conflict and writes nothing, its audit event included. A nightly claim is held by one run.

use super::{audit_trail, common, details_since, each_backend, garcia_items, noted};
use chartroom::domain::completion::{ChartStatus, ItemState};
use chartroom::store::{
    ChartWrite, DeficiencyChanges, ItemChange, ItemWrite, NewSeededDeficiency, NightlyClaim, Store, StoreError,
};
use chrono::{NaiveDate, TimeZone, Utc};
use std::sync::Barrier;

/// Rounds of each race: a race two threads start together usually overlaps, but not always; many
/// rounds make sure the writes really met.
const ROUNDS: usize = 25;

/// Runs `call` for each of two clerks, each on a thread of its own, released at the same moment.
fn at_once<T: Send + std::fmt::Debug>(stores: [&dyn Store; 2], call: impl Fn(usize, &dyn Store) -> T + Sync) -> [T; 2] {
    let gate = Barrier::new(2);
    std::thread::scope(|scope| {
        let clerks = [0, 1].map(|clerk| {
            let (gate, call) = (&gate, &call);
            let store = stores[clerk];
            scope.spawn(move || {
                gate.wait();
                call(clerk, store)
            })
        });
        clerks.map(|clerk| clerk.join().expect("a clerk's thread"))
    })
}

/// Which of the two outcomes succeeded; asserts that exactly one did and the other is `refused`.
#[track_caller]
fn one_winner<T: std::fmt::Debug>(
    outcomes: &[Result<T, StoreError>; 2],
    refused: fn(&StoreError) -> bool,
    round: usize,
) -> usize {
    let won: Vec<usize> = (0..2).filter(|&i| outcomes[i].is_ok()).collect();
    assert_eq!(won.len(), 1, "round {round}: exactly one clerk wins: {outcomes:?}");
    let lost = &outcomes[1 - won[0]];
    assert!(lost.as_ref().is_err_and(refused), "round {round}: the other is refused: {outcomes:?}");
    won[0]
}

fn item(store: &dyn Store, id: i64) -> ItemState {
    store.deficiency_items(&[id]).unwrap().pop().unwrap()
}

#[test]
fn two_clerks_changing_one_item_at_once_one_wins_and_the_other_is_told_writing_nothing() {
    each_backend(|f| {
        let other = common::second_handle(f);
        let stores: [&dyn Store; 2] = [&*f.store, &*other];
        let ds = garcia_items(f).into_iter().find(|i| i.type_code == "DS-D").unwrap();
        let before = audit_trail(&*f.store);
        let mut winners = Vec::new();
        for round in 0..ROUNDS {
            let read = item(&*f.store, ds.id);
            let outcomes = at_once(stores, |clerk, store| {
                let says = format!("round {round}: clerk {clerk}");
                store.apply_deficiency_changes(DeficiencyChanges {
                    items: vec![ItemWrite {
                        id: read.id,
                        version: read.version,
                        change: ItemChange::Comment { text: says.clone() },
                        from: read.status,
                        to: read.status,
                        note: String::new(),
                        claim: chartroom::store::ClaimWrite::Keep,
                        audit: noted("deficiency", &says),
                    }],
                    ..Default::default()
                })
            });
            let won = one_winner(&outcomes, |e| matches!(e, StoreError::Conflict), round);
            winners.push(format!("round {round}: clerk {won}"));
        }
        assert_eq!(item(&*f.store, ds.id).version, ds.version + ROUNDS as i64, "one write a round, never two");
        assert_eq!(details_since(&*f.store, &before), winners, "one audit event a round: the winner's");
    });
}

#[test]
fn two_clerks_completing_one_chart_at_once_complete_it_once() {
    each_backend(|f| {
        let other = common::second_handle(f);
        let stores: [&dyn Store; 2] = [&*f.store, &*other];
        let items = garcia_items(f);
        let chart = f.store.chart_completion("A25-000781").unwrap().unwrap();
        let before = audit_trail(&*f.store);
        let outcomes = at_once(stores, |clerk, store| {
            store.apply_deficiency_changes(DeficiencyChanges {
                items: items
                    .iter()
                    .map(|i| ItemWrite {
                        id: i.id,
                        version: i.version,
                        change: ItemChange::Complete {
                            resolved_on: common::today(),
                            resolved_by: format!("clerk{clerk}"),
                        },
                        from: i.status,
                        to: chartroom::domain::chart::DeficiencyStatus::Completed,
                        note: "completed".into(),
                        claim: chartroom::store::ClaimWrite::Clear,
                        audit: noted("deficiency", &format!("clerk {clerk} completes {}", i.label())),
                    })
                    .collect(),
                charts: vec![ChartWrite {
                    encounter_id: chart.encounter_id,
                    version: chart.version.unwrap(),
                    status: ChartStatus::Complete,
                    completed_on: Some(common::today()),
                    audit: noted("chart_completion", &format!("clerk {clerk} completes the chart")),
                }],
                ..Default::default()
            })
        });
        let won = one_winner(&outcomes, |e| matches!(e, StoreError::Conflict), 0);
        let mut expected: Vec<String> = items.iter().map(|i| format!("clerk {won} completes {}", i.label())).collect();
        expected.push(format!("clerk {won} completes the chart"));
        assert_eq!(details_since(&*f.store, &before), expected, "the winner's events, each once");
        let done = f.store.deficiency_items(&items.iter().map(|i| i.id).collect::<Vec<_>>()).unwrap();
        assert!(done.iter().all(|i| i.resolved_by.as_deref() == Some(format!("clerk{won}").as_str())), "{done:#?}");
        assert!(done.iter().zip(&items).all(|(now, then)| now.version == then.version + 1), "each written once");
        let after = f.store.chart_completion("A25-000781").unwrap().unwrap();
        assert_eq!((after.status, after.version), (ChartStatus::Complete, chart.version.map(|v| v + 1)));
    });
}

#[test]
fn two_analysts_adding_to_one_chart_at_once_add_once() {
    each_backend(|f| {
        let other = common::second_handle(f);
        let stores: [&dyn Store; 2] = [&*f.store, &*other];
        let okafor = f.store.provider_by_npi("1000000002").unwrap().unwrap().id;
        for (round, account) in ["A25-000781", "O25-000102"].into_iter().enumerate() {
            // GARCIA's stay has a record, read at its version; the visit has none yet.
            let chart = f.store.chart_completion(account).unwrap().unwrap();
            let before = audit_trail(&*f.store);
            let outcomes = at_once(stores, |clerk, store| {
                let new = NewSeededDeficiency {
                    encounter_id: chart.encounter_id,
                    type_code: "HP".into(),
                    provider_id: okafor,
                    document_id: None,
                    status: chartroom::domain::chart::DeficiencyStatus::Open,
                    event_on: common::today(),
                    delinquent_on: common::today(),
                };
                store.add_deficiency(new, chart.version, false, noted("deficiency", &format!("clerk {clerk} adds")))
            });
            let won = one_winner(&outcomes, |e| matches!(e, StoreError::Conflict), round);
            assert_eq!(details_since(&*f.store, &before), [format!("clerk {won} adds")], "{account}");
            let after = f.store.chart_completion(account).unwrap().unwrap();
            let added = *outcomes[won].as_ref().unwrap();
            assert!(after.open_ids.contains(&added), "{account}: {after:?}");
            assert_eq!(after.open_ids.len(), chart.open_ids.len() + 1, "{account}: one item added, not two");
        }
    });
}

fn claim(run_on: NaiveDate, hour: u32, pid: u32) -> NightlyClaim {
    NightlyClaim {
        run_on,
        started_at: Utc.with_ymd_and_hms(2025, 4, 1, hour, 0, 0).unwrap(),
        finished_at: None,
        username: "mlee".into(),
        host: "hima".into(),
        pid,
    }
}

#[test]
fn two_runs_claiming_one_night_at_once_one_holds_it() {
    each_backend(|f| {
        let other = common::second_handle(f);
        let stores: [&dyn Store; 2] = [&*f.store, &*other];
        for round in 0..ROUNDS {
            let day = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap() + chrono::Duration::days(round as i64);
            let before = audit_trail(&*f.store);
            let outcomes = at_once(stores, |clerk, store| {
                store.begin_nightly(claim(day, 2, 100 + clerk as u32), None, noted("nightly_run", &format!("{clerk}")))
            });
            let won = one_winner(&outcomes, |e| matches!(e, StoreError::Busy), round);
            assert!(outcomes[won].as_ref().is_ok_and(|claimed| *claimed), "round {round}: {outcomes:?}");
            assert_eq!(details_since(&*f.store, &before), [format!("{won}")], "round {round}");
            let held: Vec<_> = f.store.nightly_claims().unwrap().into_iter().filter(|c| c.run_on == day).collect();
            assert_eq!(held, [claim(day, 2, 100 + won as u32)], "round {round}");

            // Both find the claim abandoned and take it over at once: one does.
            let before = audit_trail(&*f.store);
            let abandoned = Some(held[0].started_at);
            let outcomes = at_once(stores, |clerk, store| {
                let taker = claim(day, 3, 200 + clerk as u32);
                store.begin_nightly(taker, abandoned, noted("nightly_run", &format!("{clerk} takes over")))
            });
            let won = one_winner(&outcomes, |e| matches!(e, StoreError::Busy), round);
            assert_eq!(details_since(&*f.store, &before), [format!("{won} takes over")], "round {round}");
            let held: Vec<_> = f.store.nightly_claims().unwrap().into_iter().filter(|c| c.run_on == day).collect();
            assert_eq!(held, [claim(day, 3, 200 + won as u32)], "round {round}");
        }
    });
}
