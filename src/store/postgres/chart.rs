//! Loading one patient's chart: the SQLite store's statements (`sqlite/chart.rs`), one for one.

use super::PgResult;
use super::search::row_to_patient;
use crate::domain::chart::{
    Chart, ChartVolumeView, DeficiencyStatus, DeficiencyView, DocumentStatus, DocumentView, EncounterKind,
    EncounterView, MovementView, PauseView, ProcedureView, ReleaseView,
};
use crate::domain::completion::ChartStatus;
use crate::domain::names::display_name;
use crate::domain::patient::MatchKind;
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use std::collections::HashMap;

/// A chart shows at most this many documents and encounters, newest first (as SQLite's): keeps one
/// pathological chart from stalling the desk.
const SECTION_LIMIT: i64 = 500;

const OPEN: &str = "('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED')";

pub(super) async fn load(c: &impl GenericClient, patient_id: i64) -> PgResult<Option<Chart>> {
    let stmt = c
        .prepare_cached(
            "SELECT p.id, p.mrn, p.family, p.given, p.middle, p.birth_date, p.sex, p.ssn_last4, p.deceased_on,
                    p.sensitivity, (SELECT max(e.admit_at) FROM encounter e WHERE e.patient_id = p.id),
                    p.family_key, p.given_key, p.address, p.phone
             FROM patient p WHERE p.id = $1",
        )
        .await?;
    let Some(row) = c.query_opt(&stmt, &[&patient_id]).await? else {
        return Ok(None);
    };
    let patient = row_to_patient(&row, MatchKind::Exact)?;
    let address: String = row.try_get(13)?;
    let phone: String = row.try_get(14)?;

    let stmt = c.prepare_cached("SELECT family, given FROM patient_alias WHERE patient_id = $1 ORDER BY id").await?;
    let aliases = c
        .query(&stmt, &[&patient_id])
        .await?
        .iter()
        .map(|r| Ok(display_name(&r.try_get::<_, String>(0)?, &r.try_get::<_, String>(1)?, "")))
        .collect::<PgResult<Vec<_>>>()?;

    let stmt = c
        .prepare_cached(&format!(
            "SELECT e.id, e.account, e.kind, f.code, e.service, e.admit_at, e.discharge_at,
                    pr.family, pr.given, c.status,
                    (SELECT count(*) FROM deficiency d WHERE d.encounter_id = e.id AND d.status IN {OPEN})
             FROM encounter e
             JOIN facility f ON f.id = e.facility_id
             LEFT JOIN provider pr ON pr.id = e.attending_id
             LEFT JOIN chart_completion c ON c.encounter_id = e.id
             WHERE e.patient_id = $1
             ORDER BY e.admit_at DESC, e.id DESC LIMIT $2"
        ))
        .await?;
    let encounters = c
        .query(&stmt, &[&patient_id, &SECTION_LIMIT])
        .await?
        .iter()
        .map(|r| {
            let kind: String = r.try_get(2)?;
            let family: Option<String> = r.try_get(7)?;
            let given: Option<String> = r.try_get(8)?;
            let completion: Option<String> = r.try_get(9)?;
            Ok(EncounterView {
                id: r.try_get(0)?,
                account: r.try_get(1)?,
                kind: EncounterKind::from_code(&kind).unwrap_or(EncounterKind::Outpatient),
                facility_code: r.try_get(3)?,
                service: r.try_get(4)?,
                admit_at: r.try_get(5)?,
                discharge_at: r.try_get(6)?,
                attending: family.map(|f| display_name(&f, given.as_deref().unwrap_or(""), "")),
                completion: completion.as_deref().and_then(ChartStatus::from_code),
                open_deficiencies: r.try_get(10)?,
            })
        })
        .collect::<PgResult<Vec<_>>>()?;

    let stmt = c
        .prepare_cached(
            "SELECT d.id, d.encounter_id, e.account, d.doc_type, d.title, d.status, pr.family, pr.given,
                    d.created_at, d.signed_at, d.text
             FROM document d
             JOIN encounter e ON e.id = d.encounter_id
             LEFT JOIN provider pr ON pr.id = d.author_id
             WHERE d.patient_id = $1
             ORDER BY d.created_at DESC, d.id DESC LIMIT $2",
        )
        .await?;
    let documents = c
        .query(&stmt, &[&patient_id, &SECTION_LIMIT])
        .await?
        .iter()
        .map(|r| {
            let status: String = r.try_get(5)?;
            let family: Option<String> = r.try_get(6)?;
            let given: Option<String> = r.try_get(7)?;
            Ok(DocumentView {
                id: r.try_get(0)?,
                encounter_id: r.try_get(1)?,
                account: r.try_get(2)?,
                doc_type: r.try_get(3)?,
                title: r.try_get(4)?,
                status: DocumentStatus::from_code(&status).unwrap_or(DocumentStatus::Undictated),
                author: family.map(|f| display_name(&f, given.as_deref().unwrap_or(""), "")),
                created_at: r.try_get(8)?,
                signed_at: r.try_get(9)?,
                text: r.try_get(10)?,
            })
        })
        .collect::<PgResult<Vec<_>>>()?;

    let stmt = c
        .prepare_cached(
            "SELECT d.id, d.encounter_id, e.account, d.type_code, t.name, pr.family, pr.given, d.status,
                    d.event_on, d.delinquent_on, d.version
             FROM deficiency d
             JOIN encounter e ON e.id = d.encounter_id
             JOIN deficiency_type t ON t.code = d.type_code
             JOIN provider pr ON pr.id = d.provider_id
             WHERE e.patient_id = $1
             ORDER BY d.event_on DESC, d.id",
        )
        .await?;
    let mut deficiencies = c
        .query(&stmt, &[&patient_id])
        .await?
        .iter()
        .map(|r| {
            let status: String = r.try_get(7)?;
            Ok(DeficiencyView {
                id: r.try_get(0)?,
                encounter_id: r.try_get(1)?,
                account: r.try_get(2)?,
                type_code: r.try_get(3)?,
                type_name: r.try_get(4)?,
                provider: display_name(&r.try_get::<_, String>(5)?, &r.try_get::<_, String>(6)?, ""),
                status: DeficiencyStatus::from_code(&status).unwrap_or(DeficiencyStatus::Open),
                event_on: r.try_get(8)?,
                delinquent_on: r.try_get(9)?,
                version: r.try_get(10)?,
                pauses: Vec::new(),
            })
        })
        .collect::<PgResult<Vec<_>>>()?;
    // Every item's pauses in one statement, in the order SQLite reads each item's.
    if !deficiencies.is_empty() {
        let ids: Vec<i64> = deficiencies.iter().map(|d| d.id).collect();
        let stmt = c
            .prepare_cached(
                "SELECT deficiency_id, from_on, to_on, reason, days FROM aging_pause
                 WHERE deficiency_id = ANY($1) ORDER BY deficiency_id, from_on, id",
            )
            .await?;
        let mut pauses: HashMap<i64, Vec<PauseView>> = HashMap::new();
        for r in c.query(&stmt, &[&ids]).await? {
            let from: NaiveDate = r.try_get(1)?;
            let to: NaiveDate = r.try_get(2)?;
            pauses.entry(r.try_get(0)?).or_default().push(PauseView {
                from,
                to,
                // Pauses recorded before the count was kept counted their whole span.
                days: r.try_get::<_, Option<i64>>(4)?.unwrap_or((to - from).num_days()),
                reason: r.try_get(3)?,
            });
        }
        for d in &mut deficiencies {
            d.pauses = pauses.remove(&d.id).unwrap_or_default();
        }
    }

    let stmt = c
        .prepare_cached(
            "SELECT p.encounter_id, e.account, p.performed_at, p.code, p.description
             FROM encounter_procedure p JOIN encounter e ON e.id = p.encounter_id
             WHERE e.patient_id = $1 ORDER BY p.performed_at DESC, p.id",
        )
        .await?;
    let procedures = c
        .query(&stmt, &[&patient_id])
        .await?
        .iter()
        .map(|r| {
            let description: String = r.try_get(4)?;
            Ok(ProcedureView {
                encounter_id: r.try_get(0)?,
                account: r.try_get(1)?,
                performed_at: r.try_get(2)?,
                code: r.try_get(3)?,
                operation: crate::domain::procedure::is_surgical(&description),
                description,
            })
        })
        .collect::<PgResult<Vec<_>>>()?;

    let stmt = c
        .prepare_cached(
            "SELECT id, disclosed_at, recipient, purpose, pages FROM disclosure
             WHERE patient_id = $1 AND voided_at IS NULL ORDER BY disclosed_at DESC",
        )
        .await?;
    let releases = c
        .query(&stmt, &[&patient_id])
        .await?
        .iter()
        .map(|r| {
            let disclosed: DateTime<Utc> = r.try_get(1)?;
            Ok(ReleaseView {
                id: r.try_get(0)?,
                disclosed_on: disclosed.date_naive(),
                recipient: r.try_get(2)?,
                purpose: r.try_get(3)?,
                pages: r.try_get(4)?,
            })
        })
        .collect::<PgResult<Vec<_>>>()?;

    let stmt = c
        .prepare_cached(
            "SELECT v.id, v.volume_no, v.record_type, v.barcode, v.status, h.name, c.name, v.borrower, v.due_back_on
             FROM chart_volume v
             JOIN location h ON h.id = v.home_location_id
             JOIN location c ON c.id = v.current_location_id
             WHERE v.patient_id = $1 ORDER BY v.volume_no",
        )
        .await?;
    let mut volumes = c
        .query(&stmt, &[&patient_id])
        .await?
        .iter()
        .map(|r| {
            Ok(ChartVolumeView {
                id: r.try_get(0)?,
                volume_no: r.try_get(1)?,
                record_type: r.try_get(2)?,
                barcode: r.try_get(3)?,
                status: r.try_get(4)?,
                home_location: r.try_get(5)?,
                current_location: r.try_get(6)?,
                borrower: r.try_get(7)?,
                due_back_on: r.try_get(8)?,
                movements: Vec::new(),
            })
        })
        .collect::<PgResult<Vec<_>>>()?;
    if !volumes.is_empty() {
        let ids: Vec<i64> = volumes.iter().map(|v| v.id).collect();
        let stmt = c
            .prepare_cached(
                "SELECT m.chart_volume_id, m.at, m.movement_type, f.name, t.name, m.by_username
                 FROM chart_movement m
                 LEFT JOIN location f ON f.id = m.from_location_id
                 LEFT JOIN location t ON t.id = m.to_location_id
                 WHERE m.chart_volume_id = ANY($1) ORDER BY m.chart_volume_id, m.at, m.id",
            )
            .await?;
        let mut movements: HashMap<i64, Vec<MovementView>> = HashMap::new();
        for r in c.query(&stmt, &[&ids]).await? {
            movements.entry(r.try_get(0)?).or_default().push(MovementView {
                at: r.try_get(1)?,
                movement_type: r.try_get(2)?,
                from_location: r.try_get(3)?,
                to_location: r.try_get(4)?,
                by: r.try_get(5)?,
            });
        }
        for volume in &mut volumes {
            volume.movements = movements.remove(&volume.id).unwrap_or_default();
        }
    }

    Ok(Some(Chart {
        patient,
        address,
        phone,
        aliases,
        encounters,
        procedures,
        documents,
        deficiencies,
        releases,
        volumes,
    }))
}
