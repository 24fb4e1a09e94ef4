//! Chart completion, scenario by scenario (domain.md AS-06 to AS-13), through the desk with exact
//! dates and figures. Today moves as each scenario says.

mod common;

use chartroom::desk::{Desk, FixedClock};
use chartroom::domain::chart::{DeficiencyStatus, DocumentStatus, EncounterKind};
use chartroom::domain::deficiency::NoticeLevel;
use chartroom::domain::role::Role;
use chartroom::store::records::{NewDocument, NewEncounter, NewProvider};
use chartroom::store::{NewUser, Page, QueueFilter, QueueSort, RecordBatch};
use chrono::{NaiveDate, TimeZone, Utc};
use std::sync::Arc;

fn d(m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, m, day).unwrap()
}

fn desk_on(f: &common::Fixture, user: &str, today: NaiveDate) -> Desk {
    let clock = Arc::new(FixedClock { now: today.and_hms_opt(23, 0, 0).unwrap().and_utc(), today });
    Desk::sign_in(f.store.clone(), user, "local".into(), common::key(), clock).unwrap()
}

fn provider(npi: &str, family: &str, given: &str, supervisor: Option<&str>) -> NewProvider {
    NewProvider {
        npi: npi.into(),
        family: family.into(),
        given: given.into(),
        credentials: "MD".into(),
        specialty: "Internal Medicine".into(),
        service: "MEDICINE".into(),
        supervisor_npi: supervisor.map(str::to_string),
    }
}

fn stay(mrn: &str, account: &str, admit: NaiveDate, discharge: NaiveDate, attending: &str) -> NewEncounter {
    NewEncounter {
        patient_mrn: mrn.into(),
        account: account.into(),
        kind: EncounterKind::Inpatient,
        facility_code: "RGH".into(),
        service: "MEDICINE".into(),
        admit_at: Utc.from_utc_datetime(&admit.and_hms_opt(9, 0, 0).unwrap()),
        discharge_at: Some(Utc.from_utc_datetime(&discharge.and_hms_opt(14, 0, 0).unwrap())),
        attending_npi: Some(attending.into()),
    }
}

fn doc(account: &str, doc_type: &str, author: &str, status: DocumentStatus) -> NewDocument {
    NewDocument {
        account: account.into(),
        doc_type: doc_type.into(),
        title: doc_type.into(),
        author_npi: Some(author.into()),
        status,
        created_at: Utc.with_ymd_and_hms(2025, 2, 6, 10, 0, 0).unwrap(),
        signed_at: None,
        text: None,
        page_count: 1,
        sensitive_categories: Vec::new(),
        in_designated_record_set: true,
    }
}

const PATEL: &str = "1000000001";
const OKAFOR: &str = "1000000002";
const REYES: &str = "1000000003";

/// GARCIA's stay A25-000781 (admitted 02/05, discharged 02/10): H&P signed, no discharge summary, the
/// op note by OKAFOR transcribed but unsigned, a verbal order by REYES unauthenticated. Two more
/// patients' stays (discharged 02/10 and 02/12) each with an unsigned op note by OKAFOR and every
/// other document complete.
fn ready(store: &dyn chartroom::store::Store) {
    chartroom::desk::ensure_founder(store, "dhim", "local", common::clock().now).unwrap();
    for (code, name, state, kind, tz) in chartroom::demo::FACILITIES {
        let facility = chartroom::domain::chart::NewFacility::validate(code, name, state, *kind, tz).unwrap();
        store.add_facility(facility, common::event("facility")).unwrap();
    }
    for (name, role) in [
        ("mlee", Role::ChartAnalyst),
        ("kwong", Role::Supervisor),
        ("msoffice", Role::MedicalStaffOffice),
        ("jdoe", Role::HimClerk),
    ] {
        store
            .add_user(
                NewUser { username: name.into(), display_name: name.into(), roles: vec![role] },
                common::event("user"),
            )
            .unwrap();
    }
    let mut batch = RecordBatch {
        providers: vec![
            provider(PATEL, "Patel", "Alice", None),
            provider(OKAFOR, "Okafor", "Ben", None),
            provider(REYES, "Reyes", "Carla", Some(PATEL)),
        ],
        ..Default::default()
    };
    batch.patients = vec![
        common::patient("204511", "Garcia", "Maria", "L", (1988, 9, 30), Some("234560417")),
        common::patient("204512", "Hale", "Ann", "", (1970, 1, 1), None),
        common::patient("204513", "Ito", "Ken", "", (1960, 2, 2), None),
    ];
    batch.encounters = vec![
        stay("204511", "A25-000781", d(2, 5), d(2, 10), PATEL),
        stay("204512", "A25-000782", d(2, 6), d(2, 10), PATEL),
        stay("204513", "A25-000790", d(2, 8), d(2, 12), PATEL),
    ];
    batch.documents = vec![
        doc("A25-000781", "HP", PATEL, DocumentStatus::Completed),
        doc("A25-000781", "OP_NOTE", OKAFOR, DocumentStatus::Unsigned),
        doc("A25-000781", "VERBAL_ORDER", REYES, DocumentStatus::Unsigned),
    ];
    for account in ["A25-000782", "A25-000790"] {
        batch.documents.push(doc(account, "HP", PATEL, DocumentStatus::Completed));
        batch.documents.push(doc(account, "DS", PATEL, DocumentStatus::Completed));
        batch.documents.push(doc(account, "OP_NOTE", OKAFOR, DocumentStatus::Unsigned));
    }
    store.insert_batch(batch, common::event("batch")).unwrap();
    store.put_setting(chartroom::desk::deficiencies::NIGHTLY_THROUGH, "2025-02-09", None).unwrap();
}

/// The scenario on each backend in turn.
fn scenarios() -> impl Iterator<Item = common::Fixture> {
    common::on_each_backend(ready)
}

fn garcia_items(f: &common::Fixture, today: NaiveDate) -> Vec<chartroom::store::deficiencies::QueueRow> {
    let desk = desk_on(f, "mlee", today);
    let mut rows = desk
        .deficiency_queue(&QueueFilter { today: Some(today), ..Default::default() }, QueueSort::Type, Page::first(100))
        .unwrap()
        .rows;
    rows.retain(|r| r.account == "A25-000781");
    rows
}

#[test]
fn as06_the_nightly_run_seeds_deficiencies_once() {
    for f in scenarios() {
        let summary = desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        assert_eq!(summary.encounters_analysed, 2, "the two stays discharged on 02/10");
        let rows = garcia_items(&f, d(2, 11));
        let got: Vec<_> = rows.iter().map(|r| (r.type_code.as_str(), r.physician.as_str(), r.status)).collect();
        assert_eq!(
            got,
            [
                ("DS-D", "PATEL, ALICE", DeficiencyStatus::Open),
                ("OP-S", "OKAFOR, BEN", DeficiencyStatus::Transcribed),
                ("VO", "REYES, CARLA", DeficiencyStatus::Transcribed),
            ]
        );
        let policy = f.store.deficiency_policy().unwrap();
        for row in &rows {
            assert_eq!(row.event_on, d(2, 10));
            assert_eq!(policy.notice_on(row.event_on, 0), d(2, 24));
            assert_eq!(policy.final_notice_on(row.event_on, 0), d(3, 3));
            assert_eq!(row.delinquent_on, d(3, 12));
        }
        let chart = f
            .store
            .load_chart(f.store.patient_by_mrn(&"204511".parse_mrn()).unwrap().unwrap().patient_id)
            .unwrap()
            .unwrap();
        assert_eq!(chart.encounters[0].completion, Some(chartroom::domain::completion::ChartStatus::Incomplete));

        let again = desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        assert!(again.already_ran);
        assert_eq!(garcia_items(&f, d(2, 11)).len(), 3, "no duplicates");
        // The next night catches up and seeds only the stay discharged since.
        let next = desk_on(&f, "mlee", d(2, 13)).nightly(d(2, 13), None).unwrap();
        assert_eq!(next.encounters_analysed, 1);
        assert_eq!(garcia_items(&f, d(2, 13)).len(), 3);
    }
}

trait ParseMrn {
    fn parse_mrn(&self) -> chartroom::domain::mrn::Mrn;
}

impl ParseMrn for str {
    fn parse_mrn(&self) -> chartroom::domain::mrn::Mrn {
        chartroom::domain::mrn::Mrn::parse(self).unwrap()
    }
}

#[test]
fn as08_final_notices_on_the_21st_day_once_with_the_residents_copy() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let letters = f.dir.path().join("letters");
        let summary = desk_on(&f, "mlee", d(3, 3)).nightly(d(3, 3), Some(&letters)).unwrap();
        let mut finals = Vec::new();
        for path in &summary.letters {
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("FINAL_21") && path.parent().unwrap().ends_with("2025-03-03") {
                finals.push((name, std::fs::read_to_string(path).unwrap()));
            }
        }
        finals.sort();
        let names: Vec<_> = finals.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                format!("FINAL_21-{PATEL}-RGH.txt"),
                format!("FINAL_21-{OKAFOR}-RGH.txt"),
                format!("FINAL_21-{REYES}-RGH.txt")
            ]
        );
        let patel = &finals[0].1;
        assert!(patel.contains("204511") && patel.contains("A25-000781") && patel.contains("02/10/2025"), "{patel}");
        assert!(patel.contains("Discharge summary not dictated"), "{patel}");
        assert!(
            patel.lines().any(|l| l.contains("A25-000781") && l.trim_end().ends_with("21")),
            "21 days outstanding:\n{patel}"
        );
        for path in summary.letters.iter().filter(|p| p.to_string_lossy().contains("FINAL_21")) {
            let pdf = std::fs::read(path.with_extension("pdf")).unwrap();
            assert!(pdf.starts_with(b"%PDF-"), "a PDF beside each text letter");
        }
        let reyes = &finals[2].1;
        assert!(reyes.contains("Copy: PATEL, ALICE, MD (supervising physician)"), "{reyes}");
        // Re-running the same day makes no duplicate notices.
        let again = desk_on(&f, "mlee", d(3, 3)).nightly(d(3, 3), Some(&letters));
        assert!(again.unwrap().already_ran);
        let level_count = f
            .store
            .list_audit(&chartroom::store::AuditFilter { limit: 10_000, ..Default::default() })
            .unwrap()
            .iter()
            .filter(|e| e.entity == "deficiency_notice" && e.detail.starts_with(NoticeLevel::FinalNotice.code()))
            .count();
        assert_eq!(level_count, 3);
    }
}

#[test]
fn as09_bulk_complete_okafors_op_reports() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 13)).nightly(d(2, 13), None).unwrap();
        let analyst = desk_on(&f, "mlee", d(3, 3));
        let okafor = f.store.list_providers(Page::first(10)).unwrap().into_iter().find(|p| p.npi == OKAFOR).unwrap();
        let queue = analyst
            .deficiency_queue(
                &QueueFilter { provider_id: Some(okafor.id), today: Some(d(3, 3)), ..Default::default() },
                QueueSort::Age,
                Page::first(50),
            )
            .unwrap();
        assert_eq!(queue.rows.len(), 3, "three unsigned op reports");
        let items: Vec<_> = queue.rows.iter().map(|r| (r.id, r.version)).collect();
        let outcome = analyst.complete_deficiencies(items.clone(), d(3, 3), None).unwrap();
        assert_eq!(outcome.completed.len(), 3);
        let mut charts = outcome.charts_completed.clone();
        charts.sort();
        assert_eq!(charts, ["A25-000782", "A25-000790"], "GARCIA stays incomplete: DS-D and VO are open");
        let audits = f
            .store
            .list_audit(&chartroom::store::AuditFilter {
                username: Some("mlee".into()),
                limit: 1000,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            audits.iter().filter(|e| e.detail.ends_with(": COMPLETED, resolved 03/03/2025")).count(),
            3,
            "one audit row per deficiency"
        );
        // A second clerk completing the same items is told, and nothing is written twice.
        let second = desk_on(&f, "kwong", d(3, 3)).complete_deficiencies(items, d(3, 3), None).unwrap();
        assert!(second.completed.is_empty());
        assert!(
            second.skipped.iter().all(|s| s.reason == "already completed by mlee on 03/03/2025"),
            "{:?}",
            second.skipped
        );
        // A clerk without the role may not.
        assert!(desk_on(&f, "jdoe", d(3, 3)).complete_deficiencies(vec![], d(3, 3), None).is_err());
    }
}

#[test]
fn as11_a_pause_moves_the_delinquent_date() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let ds = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        assert_eq!(ds.delinquent_on, d(3, 12));
        let outcome = desk_on(&f, "mlee", d(3, 3))
            .pause_aging(vec![(ds.id, ds.version)], d(2, 20), d(2, 25), "chart charged out to CODING")
            .unwrap();
        assert_eq!(outcome.completed, [ds.id]);
        let after = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        assert_eq!(after.delinquent_on, d(3, 17));
        assert_eq!(after.paused_days, 5);
    }
}

#[test]
fn as12_delinquency_suspension_and_reinstatement() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let summary = desk_on(&f, "mlee", d(3, 12)).nightly(d(3, 12), None).unwrap();
        assert!(summary.suspension_eligible.contains(&"PATEL, ALICE".to_string()), "{summary:?}");
        let standings = desk_on(&f, "msoffice", d(3, 12)).physician_standings(d(3, 12)).unwrap();
        let patel = standings.iter().find(|s| s.npi == PATEL).unwrap();
        assert_eq!(patel.delinquent, 1);
        assert_eq!(patel.oldest_delinquent_discharge, Some(d(2, 10)));
        desk_on(&f, "msoffice", d(3, 12)).confirm_suspension(PATEL, d(3, 12), None).unwrap();
        let ds = garcia_items(&f, d(3, 14)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        let letters = f.dir.path().join("letters");
        let outcome = desk_on(&f, "mlee", d(3, 14))
            .complete_deficiencies(vec![(ds.id, ds.version)], d(3, 14), Some(&letters))
            .unwrap();
        let patel_id =
            f.store.list_providers(Page::first(10)).unwrap().into_iter().find(|p| p.npi == PATEL).unwrap().id;
        assert_eq!(outcome.reinstated, [patel_id]);
        assert!(letters.join("2025-03-14").join(format!("REINSTATEMENT-{PATEL}-RGH.txt")).exists());
        let standings = desk_on(&f, "msoffice", d(3, 14)).physician_standings(d(3, 14)).unwrap();
        assert!(standings.iter().find(|s| s.npi == PATEL).is_none_or(|s| s.suspended_since.is_none()));
    }
}

#[test]
fn as12_leave_postpones_the_proposal() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        desk_on(&f, "msoffice", d(3, 1)).add_provider_leave(PATEL, d(3, 10), d(3, 20)).unwrap();
        let on_leave = desk_on(&f, "mlee", d(3, 12)).nightly(d(3, 12), None).unwrap();
        assert!(!on_leave.suspension_eligible.contains(&"PATEL, ALICE".to_string()));
        let back = desk_on(&f, "mlee", d(3, 21)).nightly(d(3, 21), None).unwrap();
        assert!(back.suspension_eligible.contains(&"PATEL, ALICE".to_string()));
    }
}

#[test]
fn as13_the_rate_counts_delinquent_charts_against_monthly_discharges() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 13)).nightly(d(2, 13), None).unwrap();
        let (counts, rate) = desk_on(&f, "mlee", d(3, 13)).deficiency_counts(d(3, 13)).unwrap();
        assert_eq!(counts.discharges_12_months, 3);
        assert_eq!(counts.delinquent_charts, 2, "the two stays of 02/10 are delinquent from 03/12; 02/12's from 03/14");
        assert_eq!(rate.rate_percent(), Some(800.0));
        assert_eq!(counts.buckets.iter().map(|(_, n)| n).sum::<i64>(), counts.open);
    }
}

#[test]
fn the_policy_is_the_directors_and_audited() {
    for f in scenarios() {
        assert!(desk_on(&f, "mlee", d(3, 3)).set_deficiency_policy(Default::default()).is_err());
        let dhim = desk_on(&f, "dhim", d(3, 3));
        let policy = chartroom::domain::deficiency::DeficiencyPolicy {
            notice_days: 10,
            final_notice_days: 17,
            delinquent_days: 24,
        };
        dhim.set_deficiency_policy(policy).unwrap();
        assert_eq!(f.store.deficiency_policy().unwrap(), policy);
        let events = f.store.list_audit(&chartroom::store::AuditFilter { limit: 100, ..Default::default() }).unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.entity == "deficiency_policy" && e.detail == "notice 14→10 final 21→17 delinquent 30→24")
        );
    }
}

#[test]
fn as07_adding_a_deficiency_twice_asks_first() {
    use chartroom::desk::deficiencies::AddDeficiency;
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let mlee = desk_on(&f, "mlee", d(3, 3));
        let asked = mlee.add_deficiency("A25-000781", "OP-S", OKAFOR, false).unwrap();
        assert_eq!(
            asked,
            AddDeficiency::AlreadyDefined(
                "This deficiency already defined for this provider. Add it again? (N)".into()
            )
        );
        assert_eq!(garcia_items(&f, d(3, 3)).len(), 3, "answering N creates nothing");
        let AddDeficiency::Added(id) = mlee.add_deficiency("A25-000781", "OP-S", OKAFOR, true).unwrap() else {
            panic!()
        };
        assert_eq!(garcia_items(&f, d(3, 3)).len(), 4);
        let events = f.store.list_audit(&chartroom::store::AuditFilter { limit: 100, ..Default::default() }).unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.entity_id.as_deref() == Some(&id.to_string()) && e.detail.contains("duplicate confirmed"))
        );
        assert!(
            desk_on(&f, "jdoe", d(3, 3)).add_deficiency("A25-000781", "PN", PATEL, false).is_err(),
            "a clerk may not"
        );
    }
}

#[test]
fn as10_completion_invariants_and_the_supervisors_reopen() {
    use chartroom::desk::deficiencies::AddDeficiency;
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let mlee = desk_on(&f, "mlee", d(3, 3));
        let op = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "OP-S").unwrap();
        mlee.complete_deficiencies(vec![(op.id, op.version)], d(3, 3), None).unwrap();
        let err = mlee.complete_chart("A25-000781").unwrap_err();
        assert_eq!(err.to_string(), "Cannot complete: 2 pending deficiencies");
        let rest: Vec<_> = garcia_items(&f, d(3, 3)).iter().map(|r| (r.id, r.version)).collect();
        let outcome = mlee.complete_deficiencies(rest, d(3, 3), None).unwrap();
        assert_eq!(outcome.charts_completed, ["A25-000781"]);
        let err = mlee.add_deficiency("A25-000781", "PN", PATEL, false).unwrap_err();
        assert_eq!(err.to_string(), "Cannot add deficiencies to a COMPLETED chart");
        assert!(mlee.reopen_chart("A25-000781", "late addendum").is_err(), "only a supervisor reopens");
        let kwong = desk_on(&f, "kwong", d(3, 4));
        assert!(kwong.reopen_chart("A25-000781", "  ").is_err(), "with a reason");
        kwong.reopen_chart("A25-000781", "late addendum found in scanning").unwrap();
        assert!(matches!(mlee.add_deficiency("A25-000781", "PN", PATEL, false).unwrap(), AddDeficiency::Added(_)));
    }
}

#[test]
fn the_type_catalog_is_the_directors_with_old_and_new_values_audited() {
    for f in scenarios() {
        let dhim = desk_on(&f, "dhim", d(3, 3));
        let mut ds = f.store.deficiency_types().unwrap().into_iter().find(|t| t.code == "DS-D").unwrap();
        ds.days_to_dictate = Some(7);
        dhim.save_deficiency_type(ds.clone()).unwrap();
        let events = f.store.list_audit(&chartroom::store::AuditFilter { limit: 100, ..Default::default() }).unwrap();
        let change = events.iter().find(|e| e.entity == "deficiency_type").unwrap();
        assert!(
            change.detail.contains("dictate=Some(14)")
                && change.detail.contains("-> DS-D")
                && change.detail.contains("dictate=Some(7)"),
            "{}",
            change.detail
        );
        assert!(desk_on(&f, "mlee", d(3, 3)).save_deficiency_type(ds.clone()).is_err());
        let mut bad = ds;
        bad.level = "SOMETIMES".into();
        assert!(dhim.save_deficiency_type(bad).is_err());
        dhim.retire_deficiency_type("DTH").unwrap();
        assert!(f.store.deficiency_types().unwrap().iter().all(|t| t.code != "DTH"));
        assert!(dhim.retire_deficiency_type("DTH").is_err(), "already retired");
    }
}

#[test]
fn reassign_and_comment_in_bulk_with_versions() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let mlee = desk_on(&f, "mlee", d(3, 3));
        let vo = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "VO").unwrap();
        let outcome = mlee.reassign_deficiencies(vec![(vo.id, vo.version)], PATEL).unwrap();
        assert_eq!(outcome.completed, [vo.id]);
        let moved = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.id == vo.id).unwrap();
        assert_eq!(moved.physician, "PATEL, ALICE");
        // The stale version is skipped, not overwritten.
        let stale = mlee.comment_deficiencies(vec![(vo.id, vo.version)], "please sign").unwrap();
        assert!(stale.completed.is_empty() && stale.skipped.len() == 1);
        let fresh = mlee.comment_deficiencies(vec![(moved.id, moved.version)], "please sign").unwrap();
        assert_eq!(fresh.completed, [vo.id]);
        assert!(mlee.reassign_deficiencies(vec![(vo.id, moved.version + 1)], "9999999999").is_err(), "an unknown NPI");
        assert!(desk_on(&f, "jdoe", d(3, 3)).comment_deficiencies(vec![], "x").is_err(), "a clerk may not");
    }
}

#[test]
fn the_ladder_moves_forward_and_a_supervisor_voids_with_a_reason() {
    use chartroom::domain::chart::DeficiencyStatus::*;
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let mlee = desk_on(&f, "mlee", d(3, 3));
        let ds = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        assert_eq!(ds.status, Open);
        assert_eq!(ds.step_due, Some(d(2, 24)), "discharge + 14 days to dictate");
        let moved = mlee.move_deficiencies(vec![(ds.id, ds.version)], Dictated, "").unwrap();
        assert_eq!(moved.completed, [ds.id]);
        let ds = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        assert_eq!((ds.status, ds.status.missing()), (Dictated, "not transcribed"));
        let back = mlee.move_deficiencies(vec![(ds.id, ds.version)], Open, "");
        assert!(back.is_err(), "never back to OPEN");
        let refused = mlee.move_deficiencies(vec![(ds.id, ds.version)], Dictated, "").unwrap_err().to_string();
        assert_eq!(refused, "nothing was changed: A25-000781 DS-D: cannot go from DICTATED to DICTATED");
        assert!(
            mlee.move_deficiencies(vec![(ds.id, ds.version)], Voided, "wrong patient").is_err(),
            "an analyst does not void"
        );
        let kwong = desk_on(&f, "kwong", d(3, 3));
        assert!(kwong.move_deficiencies(vec![(ds.id, ds.version)], Voided, " ").is_err(), "with a reason");
        let voided =
            kwong.move_deficiencies(vec![(ds.id, ds.version)], Voided, "entered on the wrong encounter").unwrap();
        assert_eq!(voided.completed, [ds.id]);
        assert!(garcia_items(&f, d(3, 3)).iter().all(|r| r.id != ds.id), "a void item leaves the open queue");
        let events = f.store.list_audit(&chartroom::store::AuditFilter { limit: 100, ..Default::default() }).unwrap();
        let void =
            events.iter().find(|e| e.detail == "A25-000781 DS-D: DICTATED -> VOIDED: entered on the wrong encounter");
        let void = void.expect("the void is audited with the item's name");
        assert_eq!(void.action, chartroom::domain::audit::AuditAction::Void);
        assert_eq!(void.patient_mrn.as_deref(), Some(ds.mrn.as_str()), "with its patient");
        assert_eq!(void.provider_npi.as_deref(), Some(PATEL), "and its physician");
    }
}

#[test]
fn a_facility_may_set_its_own_policy() {
    for f in scenarios() {
        let dhim = desk_on(&f, "dhim", d(2, 10));
        let tighter = chartroom::domain::deficiency::DeficiencyPolicy {
            notice_days: 7,
            final_notice_days: 10,
            delinquent_days: 14,
        };
        dhim.set_facility_deficiency_policy("RGH", tighter).unwrap();
        assert_eq!(dhim.facility_deficiency_policy("RGH").unwrap(), tighter);
        assert_eq!(
            dhim.facility_deficiency_policy("MVC").unwrap(),
            f.store.deficiency_policy().unwrap(),
            "others inherit"
        );
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let ds = garcia_items(&f, d(2, 11)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        assert_eq!(ds.delinquent_on, d(2, 24), "RGH: delinquent 14 days after discharge");
        assert!(dhim.set_facility_deficiency_policy("XXX", tighter).is_err());
    }
}

// ---- issue 8: dates refused, pauses clipped, runs that fail or die, who may, what is audited ------

#[test]
fn a_completion_date_before_the_discharge_is_refused_before_anything_is_written() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let items: Vec<_> = garcia_items(&f, d(3, 3)).iter().map(|r| (r.id, r.version)).collect();
        let err = desk_on(&f, "mlee", d(3, 3)).complete_deficiencies(items.clone(), d(1, 3), None).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("nothing was changed: A25-000781 "), "{text}");
        assert!(text.contains("before the event the item ages from (02/10/2025)"), "{text}");
        assert_eq!(garcia_items(&f, d(3, 3)).len(), items.len(), "every item still open");
        let future = desk_on(&f, "mlee", d(3, 3)).complete_deficiencies(items, d(3, 4), None).unwrap_err();
        assert!(future.to_string().contains("after today (03/03/2025)"), "{future}");
    }
}

#[test]
fn a_pause_outside_the_days_an_item_aged_is_refused_and_one_across_them_is_clipped() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let ds = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        let mlee = desk_on(&f, "mlee", d(3, 3));
        // Wholly before the discharge (02/10/2025).
        let err = mlee.pause_aging(vec![(ds.id, ds.version)], d(1, 20), d(1, 25), "chart out").unwrap_err();
        assert!(err.to_string().contains("ends before the item started aging (02/10/2025)"), "{err}");
        // From before the discharge to after today: only 02/10 to 03/03 counts, 21 days.
        mlee.pause_aging(vec![(ds.id, ds.version)], d(2, 1), d(4, 30), "chart in coding").unwrap();
        let after = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        assert_eq!(after.paused_days, 21);
        assert_eq!(after.delinquent_on, d(3, 12) + chrono::Duration::days(21));
        // The same days again count nothing, and are refused.
        let again = mlee.pause_aging(vec![(after.id, after.version)], d(2, 12), d(2, 20), "again").unwrap_err();
        assert!(again.to_string().contains("already paused"), "{again}");
    }
}

#[test]
fn a_nightly_run_for_a_day_before_the_last_or_after_tomorrow_is_refused() {
    for f in scenarios() {
        let mlee = desk_on(&f, "mlee", d(3, 3));
        mlee.nightly(d(3, 3), None).unwrap();
        let err = mlee.nightly(d(3, 1), None).unwrap_err().to_string();
        assert!(err.contains("the nightly run for 2025-03-03 has already finished"), "{err}");
        let err = mlee.nightly(d(3, 5), None).unwrap_err().to_string();
        assert!(err.contains("2025-03-05 has not come yet"), "{err}");
        assert!(mlee.nightly(d(3, 4), None).is_ok(), "tomorrow is allowed (a run just after midnight)");
        let far = NaiveDate::from_ymd_opt(262_142, 12, 31).unwrap();
        assert!(mlee.nightly(far, None).is_err(), "an absurd date is refused, not a panic");
    }
}

#[test]
fn a_run_whose_letters_cannot_be_written_records_no_notice_and_can_run_again() {
    use std::os::unix::fs::PermissionsExt;
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let letters = f.dir.path().join("letters");
        std::fs::create_dir_all(&letters).unwrap();
        std::fs::set_permissions(&letters, std::fs::Permissions::from_mode(0o500)).unwrap();
        let probe = letters.join("probe");
        let writable = std::fs::write(&probe, b"x").is_ok(); // root ignores permissions
        let _ = std::fs::remove_file(&probe);
        if writable {
            // Another way in: a file where the day's directory should be.
            std::fs::set_permissions(&letters, std::fs::Permissions::from_mode(0o700)).unwrap();
            std::fs::write(letters.join("2025-02-24"), b"in the way").unwrap();
        }
        let err = desk_on(&f, "mlee", d(2, 24)).nightly(d(2, 24), Some(&letters)).unwrap_err();
        assert!(
            std::error::Error::source(&err).is_some_and(|s| s.is::<std::io::Error>()),
            "the operating system's error is kept: {err:?}"
        );
        let err = err.to_string();
        assert!(err.contains("could not write the letter") && err.contains("nothing was recorded for it"), "{err}");
        let notices = f
            .store
            .list_audit(&chartroom::store::AuditFilter { limit: 10_000, ..Default::default() })
            .unwrap()
            .into_iter()
            .filter(|e| e.entity == "deficiency_notice")
            .count();
        assert_eq!(notices, 0, "no notice without its letter");
        assert!(desk_on(&f, "mlee", d(2, 24)).nightly_status().unwrap().iter().all(|(c, _)| c.finished_at.is_some()));
        // Fixed, the same day runs again and writes everything.
        std::fs::set_permissions(&letters, std::fs::Permissions::from_mode(0o700)).unwrap();
        let _ = std::fs::remove_file(letters.join("2025-02-24"));
        let summary = desk_on(&f, "mlee", d(2, 24)).nightly(d(2, 24), Some(&letters)).unwrap();
        assert!(summary.notices_created > 0);
        assert_eq!(summary.letters.len(), summary.notices_created);
        assert!(summary.letters.iter().all(|p| p.exists()));
    }
}

#[test]
fn a_run_whose_process_died_is_taken_over_with_an_audit_event() {
    for f in scenarios() {
        // A process that has come and gone: its pid is free.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead_pid = child.id();
        child.wait().unwrap();
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
        let started = Utc.with_ymd_and_hms(2025, 2, 11, 2, 15, 0).unwrap();
        let claim = chartroom::store::NightlyClaim {
            run_on: d(2, 11),
            started_at: started,
            finished_at: None,
            username: "mlee".into(),
            host,
            pid: dead_pid,
        };
        assert!(f.store.begin_nightly(claim, None, common::event("nightly_run")).unwrap());
        let status = desk_on(&f, "mlee", d(2, 11)).nightly_status().unwrap();
        assert_eq!(status.first().map(|(_, h)| *h), Some(chartroom::desk::deficiencies::ClaimHolder::Gone));
        let summary = desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        assert_eq!(summary.encounters_analysed, 2);
        let events = f.store.list_audit(&chartroom::store::AuditFilter { limit: 100, ..Default::default() }).unwrap();
        assert!(
            events.iter().any(|e| e.detail.starts_with("took over the nightly run for 2025-02-11 from mlee")),
            "{events:#?}"
        );
    }
}

#[test]
fn a_run_taken_over_while_it_works_finishes_nothing_of_its_takers_and_says_so() {
    for f in scenarios() {
        let store = f.store.clone();
        let mut taken_over = None;
        // Once the run holds its claim, another run takes it over as abandoned (as one that saw its
        // process gone would): the taker's claim is the day's from then on.
        let mut take_over = |step: String| {
            if taken_over.is_some() || !step.contains("finding the charts") {
                return;
            }
            let [held] = &store.nightly_claims().unwrap()[..] else { panic!("one claim held") };
            let taker = chartroom::store::NightlyClaim {
                started_at: held.started_at + chrono::Duration::seconds(1),
                pid: held.pid + 1,
                ..held.clone()
            };
            assert!(store.begin_nightly(taker.clone(), Some(held.started_at), common::event("nightly_run")).unwrap());
            taken_over = Some(taker);
        };
        let err = desk_on(&f, "mlee", d(2, 11)).nightly_with_progress(d(2, 11), None, &mut take_over).unwrap_err();
        assert!(err.to_string().contains("was taken over by another process while this one ran"), "{err}");
        let taker = taken_over.expect("the run went as far as analysing");
        assert_eq!(f.store.nightly_claims().unwrap(), [taker], "the taker's claim, unfinished: its run finishes it");
    }
}

#[test]
fn a_run_held_by_a_live_process_is_refused_with_who_holds_it() {
    for f in scenarios() {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim().to_string();
        let claim = chartroom::store::NightlyClaim {
            run_on: d(2, 11),
            started_at: Utc.with_ymd_and_hms(2025, 2, 11, 2, 15, 0).unwrap(),
            finished_at: None,
            username: "kwong".into(),
            host,
            pid: std::process::id(),
        };
        f.store.begin_nightly(claim, None, common::event("nightly_run")).unwrap();
        let err = desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap_err().to_string();
        assert!(err.contains("in progress: started by kwong on") && err.contains("2025-02-11 02:15 UTC"), "{err}");
    }
}

#[test]
fn letters_carry_the_letterhead_of_the_facility_whose_charts_they_list() {
    for f in scenarios() {
        let mut clinic = stay("204512", "A25-000799", d(2, 6), d(2, 10), PATEL);
        clinic.facility_code = "HDH".into();
        f.store
            .insert_batch(RecordBatch { encounters: vec![clinic], ..Default::default() }, common::event("batch"))
            .unwrap();
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let letters = f.dir.path().join("letters");
        let summary = desk_on(&f, "mlee", d(2, 24)).nightly(d(2, 24), Some(&letters)).unwrap();
        let patel: Vec<_> = summary.letters.iter().filter(|p| p.to_string_lossy().contains(PATEL)).collect();
        assert_eq!(patel.len(), 2, "one notice per facility: {patel:?}");
        let hudson =
            std::fs::read_to_string(letters.join("2025-02-24").join(format!("NOTICE_14-{PATEL}-HDH.txt"))).unwrap();
        assert!(hudson.starts_with("Hudson Hospital\n"), "{hudson}");
        assert!(hudson.contains("A25-000799") && !hudson.contains("A25-000781"), "{hudson}");
        let riverbend =
            std::fs::read_to_string(letters.join("2025-02-24").join(format!("NOTICE_14-{PATEL}-RGH.txt"))).unwrap();
        assert!(riverbend.starts_with("Riverbend General Hospital\n"), "{riverbend}");
    }
}

#[test]
fn suspension_needs_standing_or_an_override_with_a_reason() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let office = desk_on(&f, "msoffice", d(3, 3));
        let err = office.confirm_suspension(PATEL, d(3, 3), None).unwrap_err().to_string();
        assert!(err.contains("has no delinquent charts") && err.contains("--override --reason"), "{err}");
        assert!(office.confirm_suspension(PATEL, d(3, 3), Some("  ")).is_err(), "an override needs a reason");
        office.confirm_suspension(PATEL, d(3, 3), Some("bylaws 4.2: repeated late H&Ps")).unwrap();
        let history = office.store().list_audit(&chartroom::store::AuditFilter {
            provider_id: Some(f.store.provider_by_npi(PATEL).unwrap().unwrap().id),
            limit: 10,
            ..Default::default()
        });
        let history = history.unwrap();
        assert!(history.iter().any(|e| e.detail.contains("by override: bylaws 4.2")), "{history:#?}");
        let again = office.confirm_suspension(PATEL, d(3, 13), None).unwrap_err();
        assert!(again.to_string().contains("already suspended"), "{again}");
    }
}

#[test]
fn the_director_completes_and_a_refusal_names_the_roles_that_may() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let ds = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        let done =
            desk_on(&f, "dhim", d(3, 3)).complete_deficiencies(vec![(ds.id, ds.version)], d(3, 3), None).unwrap();
        assert_eq!(done.completed, [ds.id]);
        let err = desk_on(&f, "jdoe", d(3, 3)).complete_deficiencies(vec![(1, 1)], d(3, 3), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "you (jdoe) may not complete deficiencies: that needs chart_analyst, supervisor or director"
        );
    }
}

#[test]
fn every_change_to_an_item_is_found_by_its_patient_and_its_physician() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let mlee = desk_on(&f, "mlee", d(3, 3));
        let vo = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "VO").unwrap();
        mlee.comment_deficiencies(vec![(vo.id, vo.version)], "please sign").unwrap();
        let vo = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "VO").unwrap();
        mlee.pause_aging(vec![(vo.id, vo.version)], d(2, 20), d(2, 25), "chart out").unwrap();
        let vo = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "VO").unwrap();
        mlee.move_deficiencies(vec![(vo.id, vo.version)], DeficiencyStatus::Signed, "").unwrap();
        let vo = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "VO").unwrap();
        mlee.reassign_deficiencies(vec![(vo.id, vo.version)], PATEL).unwrap();
        let privacy = desk_on(&f, "dhim", d(3, 3));
        let by_patient = privacy.list_audit(Some("204511"), None, 100).unwrap();
        let about_vo: Vec<_> = by_patient.iter().filter(|e| e.detail.starts_with("A25-000781 VO: ")).collect();
        assert_eq!(about_vo.len(), 4, "comment, pause, step and reassignment: {about_vo:#?}");
        let reyes = privacy.list_audit(None, Some(REYES), 100).unwrap();
        assert!(reyes.iter().any(|e| e.detail == "A25-000781 VO: comment: please sign"), "{reyes:#?}");
        let patel = privacy.list_audit(None, Some(PATEL), 100).unwrap();
        assert!(
            patel.iter().any(|e| e.detail == format!("A25-000781 VO: reassigned from NPI {REYES} to NPI {PATEL}")),
            "{patel:#?}"
        );
    }
}

#[test]
fn the_chart_counts_open_and_completed_apart_and_a_completed_item_has_no_delinquency_date() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let ds = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        let desk = desk_on(&f, "mlee", d(3, 3));
        desk.complete_deficiencies(vec![(ds.id, ds.version)], d(3, 3), None).unwrap();
        let chart = desk.open_chart_by_mrn("204511").unwrap();
        let order: Vec<_> = chart.deficiencies.iter().map(|d| (d.type_code.as_str(), d.status)).collect();
        assert_eq!(
            order,
            [
                ("OP-S", DeficiencyStatus::Transcribed),
                ("VO", DeficiencyStatus::Transcribed),
                ("DS-D", DeficiencyStatus::Completed)
            ],
            "the open items first, the completed one after them"
        );
        assert_eq!(chart.deficiency_tally().label(), "2 open, 1 completed");
        let text = chartroom::cli::print::chart_text(&chart, d(3, 3));
        assert!(text.contains("DEFICIENCIES (2 open, 1 completed)"), "{text}");
        let completed = text.lines().find(|l| l.contains("COMPLETED")).expect("the completed row");
        assert!(!completed.contains("delinquent") && !completed.contains("03/12/2025"), "{completed:?}");
        let closed = text.lines().position(|l| l.trim() == "closed:").expect("a heading over the closed items");
        let open_rows: Vec<_> = text.lines().enumerate().filter(|(_, l)| l.contains(" delinquent ")).collect();
        assert_eq!(open_rows.len(), 2, "{text}");
        assert!(open_rows.iter().all(|(i, _)| *i < closed), "{text}");
    }
}

#[test]
fn a_role_change_or_a_disabled_account_takes_effect_in_a_running_session() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let ds = garcia_items(&f, d(3, 3)).into_iter().find(|r| r.type_code == "DS-D").unwrap();
        // mlee signs in as a chart analyst and keeps the session open.
        let analyst = desk_on(&f, "mlee", d(3, 3));
        assert!(analyst.can(chartroom::domain::role::Permission::CompleteDeficiencies));
        let director = desk_on(&f, "dhim", d(3, 3));
        director.set_user_roles("mlee", vec![Role::HimClerk]).unwrap();
        let refused = analyst.complete_deficiencies(vec![(ds.id, ds.version)], d(3, 3), None).unwrap_err();
        assert!(
            matches!(
                refused,
                chartroom::desk::DeskError::Forbidden {
                    permission: chartroom::domain::role::Permission::CompleteDeficiencies,
                    ..
                }
            ),
            "{refused}"
        );
        let chart = director.open_chart_by_mrn("204511").unwrap();
        let still = chart.deficiencies.iter().find(|d| d.id == ds.id).unwrap();
        assert_eq!(still.status, DeficiencyStatus::Open, "nothing was completed");
        // Given the role back, the same session may again, without signing in anew.
        director.set_user_roles("mlee", vec![Role::ChartAnalyst]).unwrap();
        assert!(analyst.can(chartroom::domain::role::Permission::CompleteDeficiencies));
        // Disabled, the next action of any kind is refused, saying why.
        director.set_user_enabled("mlee", false).unwrap();
        let refused = analyst.search("garcia", Page::first(5)).unwrap_err();
        assert!(matches!(refused, chartroom::desk::DeskError::Disabled { .. }), "{refused}");
        assert!(refused.to_string().contains("your chartroom account (mlee) has been disabled"), "{refused}");
        assert!(!analyst.can(chartroom::domain::role::Permission::SearchPatients));
    }
}

#[test]
fn an_item_whose_notice_days_passed_unseen_is_sent_the_level_it_reached_once() {
    for f in scenarios() {
        // A stay from last year, found wanting only now (an analyst's finding, or an imported backlog).
        let old = stay(
            "204512",
            "A24-000100",
            NaiveDate::from_ymd_opt(2024, 5, 28).unwrap(),
            NaiveDate::from_ymd_opt(2024, 6, 1).unwrap(),
            PATEL,
        );
        f.store
            .insert_batch(RecordBatch { encounters: vec![old], ..Default::default() }, common::event("batch"))
            .unwrap();
        let mlee = desk_on(&f, "mlee", d(2, 10));
        mlee.add_deficiency("A24-000100", "DS-D", PATEL, false).unwrap();
        let letters = f.dir.path().join("letters");
        let first = desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), Some(&letters)).unwrap();
        // The run catches up from the day after the last one (02/10): the backlog item is sent the
        // delinquency notice on the first day it looks, and never the two levels below it.
        let about_it: Vec<_> = first
            .letters
            .iter()
            .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("A24-000100")))
            .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
            .collect();
        assert_eq!(about_it, [format!("DELINQUENT_30-{PATEL}-RGH.txt")], "{first:?}");
        let next = desk_on(&f, "mlee", d(2, 12)).nightly(d(2, 12), Some(&letters)).unwrap();
        let again =
            next.letters.iter().filter_map(|p| std::fs::read_to_string(p).ok()).any(|t| t.contains("A24-000100"));
        assert!(!again, "sent once: {next:?}");
    }
}

#[test]
fn a_suspension_by_override_is_not_lifted_by_completing_items_but_by_the_office() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let office = desk_on(&f, "msoffice", d(3, 3));
        office.confirm_suspension(OKAFOR, d(3, 3), Some("bylaws 4.2")).unwrap();
        let mlee = desk_on(&f, "mlee", d(3, 3));
        let rows = mlee
            .deficiency_queue(
                &QueueFilter { today: Some(d(3, 3)), ..Default::default() },
                QueueSort::Type,
                Page::first(100),
            )
            .unwrap()
            .rows;
        let okafor: Vec<_> =
            rows.iter().filter(|r| r.physician.starts_with("OKAFOR")).map(|r| (r.id, r.version)).collect();
        assert!(!okafor.is_empty());
        let letters = f.dir.path().join("letters");
        let outcome = mlee.complete_deficiencies(okafor, d(3, 3), Some(&letters)).unwrap();
        assert!(outcome.reinstated.is_empty(), "{outcome:?}");
        let standing = office.physician_standing(OKAFOR, d(3, 3)).unwrap();
        assert_eq!(standing.suspended_since, Some(d(3, 3)), "still suspended");
        assert!(!letters.join("2025-03-03").join(format!("REINSTATEMENT-{OKAFOR}-RGH.txt")).exists());
        // The office lifts it, with a reason; the letter goes out.
        assert!(office.lift_suspension(OKAFOR, d(3, 4), " ", Some(&letters)).is_err(), "a reason is needed");
        assert!(mlee.lift_suspension(OKAFOR, d(3, 4), "done", Some(&letters)).is_err(), "an analyst may not");
        office.lift_suspension(OKAFOR, d(3, 4), "committee review 03/04", Some(&letters)).unwrap();
        assert_eq!(office.physician_standing(OKAFOR, d(3, 4)).unwrap().suspended_since, None);
        assert!(letters.join("2025-03-04").join(format!("REINSTATEMENT-{OKAFOR}-RGH.txt")).exists());
        let again = office.lift_suspension(OKAFOR, d(3, 5), "twice", Some(&letters)).unwrap_err();
        assert!(again.to_string().contains("is not suspended"), "{again}");
    }
}

#[test]
fn a_rerun_after_a_stop_between_letter_and_notice_records_the_notice_and_leaves_its_letter_alone() {
    for f in scenarios() {
        desk_on(&f, "mlee", d(2, 11)).nightly(d(2, 11), None).unwrap();
        let letters = f.dir.path().join("letters");
        let first = desk_on(&f, "mlee", d(2, 24)).nightly(d(2, 24), Some(&letters)).unwrap();
        assert!(!first.letters.is_empty());
        // As a run killed after writing its letters and before recording their notices leaves it: the
        // letters on disk, the notices and the day's run not in the store.
        let killed = "DELETE FROM deficiency_notice; DELETE FROM nightly_run WHERE run_on = '2025-02-24';
             UPDATE store_setting SET value = '2025-02-23' WHERE key = 'nightly_through';
             UPDATE deficiency SET notice_level = NULL;";
        match &f.pg {
            Some(database) => drop(common::pg::exec(database, killed).unwrap()),
            None => {
                let db = rusqlite::Connection::open(f.dir.path().join("chartroom.db")).unwrap();
                db.execute_batch(killed).unwrap();
            }
        }
        let modified = |p: &std::path::PathBuf| std::fs::metadata(p).unwrap().modified().unwrap();
        let before: Vec<_> = first.letters.iter().map(modified).collect();
        let rerun = desk_on(&f, "mlee", d(2, 24)).nightly(d(2, 24), Some(&letters)).unwrap();
        assert_eq!(rerun.notices_created, first.notices_created, "every notice recorded");
        assert!(rerun.letters.is_empty(), "the same letters were already there: {:?}", rerun.letters);
        let after: Vec<_> = first.letters.iter().map(modified).collect();
        assert_eq!(before, after, "not rewritten");
    }
}

// ---- issue 9: the same answers from PostgreSQL as from SQLite -------------------------------------

/// A demo hospital written into each store through the desk, its nightly run made on each, then
/// every chart-completion read asked of both: PostgreSQL answers as SQLite does, row for row, page
/// for page (ties broken the same way, so a second page holds the same rows), and its bulk
/// changes leave the same items behind.
#[test]
fn a_demo_hospitals_queues_notices_and_standings_read_the_same_from_both_stores() {
    use chartroom::domain::deficiency::AgeBucket;
    use chartroom::store::Store;
    if !common::pg::available() {
        return;
    }
    let today = common::today();
    let options = chartroom::demo::DemoOptions { patients: 1_200, seed: 11, today };
    let load = |fixture: &common::Fixture| {
        chartroom::desk::ensure_founder(&*fixture.store, "dhim", "local", common::clock().now).unwrap();
        let desk = common::desk_for(fixture, "dhim");
        chartroom::demo::populate(&desk, &common::key(), &options, &mut |_, _| {}).unwrap()
    };
    let lite = common::sqlite_empty();
    let post = common::postgres_empty();
    assert_eq!(load(&post), load(&lite), "the same rows written");
    let stores: [&dyn Store; 2] = [&*lite.store, &*post.store];
    let same = |what: &str, ask: &dyn Fn(&dyn Store) -> String| {
        let (sqlite, postgres) = (ask(stores[0]), ask(stores[1]));
        assert!(sqlite == postgres, "{what}:\nSQLite:     {sqlite}\nPostgreSQL: {postgres}");
    };
    let summary = |f: &common::Fixture| {
        let run = desk_on(f, "dhim", today).nightly(today, None).unwrap();
        (run.encounters_analysed, run.deficiencies_created, run.notices_created, run.open, run.delinquent)
    };
    let ran = summary(&lite);
    assert_eq!(summary(&post), ran, "the nightly run did the same");

    let all = QueueFilter { today: Some(today), ..Default::default() };
    let first = lite.store.queue_page(&all, QueueSort::Age, Page::first(500)).unwrap().rows;
    assert!(first.len() > 100, "a queue worth paging: {} items ({ran:?})", first.len());
    let mut filters = vec![all.clone(), QueueFilter { delinquent_only: true, ..all.clone() }];
    filters.extend(AgeBucket::ALL.iter().map(|b| QueueFilter { bucket: Some(*b), ..all.clone() }));
    for status in [DeficiencyStatus::Open, DeficiencyStatus::Signed, DeficiencyStatus::Completed] {
        filters.push(QueueFilter { status: Some(status), ..all.clone() });
    }
    for row in first.iter().step_by(41) {
        filters.push(QueueFilter { provider_id: Some(row.provider_id), ..all.clone() });
        filters.push(QueueFilter { type_code: Some(row.type_code.clone()), ..all.clone() });
        filters.push(QueueFilter { category: Some(row.category.clone()), ..all.clone() });
        filters.push(QueueFilter { facility: Some(row.facility.clone()), ..all.clone() });
        filters.push(QueueFilter { service: Some(row.service.clone()), delinquent_only: true, ..all.clone() });
        filters.push(QueueFilter { mrn: Some(row.mrn.parse_mrn()), ..all.clone() });
    }
    let sorts = [QueueSort::Age, QueueSort::Physician, QueueSort::Type, QueueSort::Mrn, QueueSort::Discharge];
    for filter in &filters {
        same(&format!("queue_ids {filter:?}"), &|s| format!("{:?}", s.queue_ids(filter).unwrap()));
        for sort in sorts {
            // Pages of 7, so that most page boundaries fall among items of one day, physician or type.
            for offset in (0..70).step_by(7) {
                let page = Page { offset, limit: 7 };
                same(&format!("queue_page {sort:?} {page:?} {filter:?}"), &|s| {
                    format!("{:?}", s.queue_page(filter, sort, page).unwrap())
                });
            }
        }
    }
    for day in [today, d(3, 20), d(6, 1)] {
        same(&format!("queue_counts {day}"), &|s| format!("{:?}", s.queue_counts(day).unwrap()));
        same(&format!("physician_standings {day}"), &|s| format!("{:?}", s.physician_standings(day).unwrap()));
    }
    same("queue_vocabulary", &|s| format!("{:?}", s.queue_vocabulary().unwrap()));
    same("open_items", &|s| format!("{:?}", s.open_items().unwrap()));
    let ids: Vec<i64> = lite.store.queue_ids(&all).unwrap().into_iter().map(|(id, _)| id).collect();
    same("deficiency_items", &|s| format!("{:?}", s.deficiency_items(&ids).unwrap()));
    let mut encounters: Vec<i64> = first.iter().map(|r| r.encounter_id).collect();
    encounters.dedup();
    same("chart_states", &|s| format!("{:?}", s.chart_states(&encounters).unwrap()));
    let providers: Vec<i64> = first.iter().map(|r| r.provider_id).collect();
    for provider in providers.iter().take(20) {
        same(&format!("physician_standing {provider}"), &|s| {
            format!("{:?}", s.physician_standing(*provider, today).unwrap())
        });
    }
    same("provider_suspensions", &|s| format!("{:?}", s.provider_suspensions(&providers, d(4, 1)).unwrap()));
    same("notices_between", &|s| format!("{:?}", s.notices_between(d(1, 1), today).unwrap()));
    same("nightly_claims", &|s| format!("{:?}", s.nightly_claims().unwrap()));
    same("encounters_to_analyse", &|s| format!("{:?}", s.encounters_to_analyse(None, d(6, 1)).unwrap()));

    // The same bulk actions on each: a page of the oldest completed, the next one paused.
    for f in [&lite, &post] {
        let desk = desk_on(f, "mlee", today);
        let page = f.store.queue_page(&all, QueueSort::Age, Page { offset: 7, limit: 7 }).unwrap().rows;
        let items: Vec<_> = page.iter().map(|r| (r.id, r.version)).collect();
        desk.complete_deficiencies(items, today, None).unwrap();
        let page = f.store.queue_page(&all, QueueSort::Age, Page { offset: 14, limit: 7 }).unwrap().rows;
        let items: Vec<_> = page.iter().map(|r| (r.id, r.version)).collect();
        desk.pause_aging(items, d(2, 20), d(2, 25), "chart out for coding").unwrap();
    }
    for sort in sorts {
        same(&format!("queue after the changes {sort:?}"), &|s| {
            format!("{:?}", s.queue_page(&all, sort, Page::first(60)).unwrap())
        });
    }
    same("items after the changes", &|s| format!("{:?}", s.deficiency_items(&ids).unwrap()));
    same("chart states after the changes", &|s| format!("{:?}", s.chart_states(&encounters).unwrap()));
}
