//! Loading one patient's chart.

use super::admin::parse_timestamp;
use super::map_err;
use super::search::{parse_date, row_to_patient};
use crate::domain::chart::{
    Chart, ChartVolumeView, DeficiencyStatus, DeficiencyView, DocumentStatus, DocumentView, EncounterKind,
    EncounterView, MovementView, ProcedureView, ReleaseView,
};
use crate::domain::patient::MatchKind;
use crate::store::StoreResult;
use rusqlite::{Connection, OptionalExtension};

/// A chart shows at most this many documents and encounters, newest first; a patient with more is
/// paged in a later issue. Keeps one pathological chart from stalling the desk.
const SECTION_LIMIT: i64 = 500;

pub(super) fn load(conn: &Connection, patient_id: i64) -> StoreResult<Option<Chart>> {
    let patient = conn
        .query_row(
            "SELECT p.id, p.mrn, p.family, p.given, p.middle, p.birth_date, p.sex, p.ssn_last4, p.deceased_on,
                    p.sensitivity, (SELECT max(e.admit_at) FROM encounter e WHERE e.patient_id = p.id),
                    p.family_key, p.given_key, p.address, p.phone
             FROM patient p WHERE p.id = ?1",
            [patient_id],
            |r| Ok((row_to_patient(r, MatchKind::Exact)?, r.get::<_, String>(13)?, r.get::<_, String>(14)?)),
        )
        .optional()
        .map_err(map_err)?;
    let Some((patient, address, phone)) = patient else {
        return Ok(None);
    };

    let mut aliases_stmt = conn
        .prepare_cached("SELECT family, given FROM patient_alias WHERE patient_id = ?1 ORDER BY id")
        .map_err(map_err)?;
    let aliases = aliases_stmt
        .query_map([patient_id], |r| {
            Ok(crate::domain::names::display_name(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?, ""))
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;

    let mut enc_stmt = conn
        .prepare_cached(
            "SELECT e.id, e.account, e.kind, f.code, e.service, e.admit_at, e.discharge_at,
                    pr.family, pr.given, c.status,
                    (SELECT count(*) FROM deficiency d WHERE d.encounter_id = e.id
                        AND d.status IN ('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED'))
             FROM encounter e
             JOIN facility f ON f.id = e.facility_id
             LEFT JOIN provider pr ON pr.id = e.attending_id
             LEFT JOIN chart_completion c ON c.encounter_id = e.id
             WHERE e.patient_id = ?1
             ORDER BY e.admit_at DESC, e.id DESC LIMIT ?2",
        )
        .map_err(map_err)?;
    let encounters = enc_stmt
        .query_map(rusqlite::params![patient_id, SECTION_LIMIT], |r| {
            let kind: String = r.get(2)?;
            let discharge: Option<String> = r.get(6)?;
            let family: Option<String> = r.get(7)?;
            let given: Option<String> = r.get(8)?;
            Ok(EncounterView {
                id: r.get(0)?,
                account: r.get(1)?,
                kind: EncounterKind::from_code(&kind).unwrap_or(EncounterKind::Outpatient),
                facility_code: r.get(3)?,
                service: r.get(4)?,
                admit_at: parse_timestamp(&r.get::<_, String>(5)?),
                discharge_at: discharge.as_deref().map(parse_timestamp),
                attending: family.map(|f| crate::domain::names::display_name(&f, given.as_deref().unwrap_or(""), "")),
                completion: r
                    .get::<_, Option<String>>(9)?
                    .as_deref()
                    .and_then(crate::domain::completion::ChartStatus::from_code),
                open_deficiencies: r.get(10)?,
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;

    let mut doc_stmt = conn
        .prepare_cached(
            "SELECT d.id, d.encounter_id, e.account, d.doc_type, d.title, d.status, pr.family, pr.given,
                    d.created_at, d.signed_at, d.text
             FROM document d
             JOIN encounter e ON e.id = d.encounter_id
             LEFT JOIN provider pr ON pr.id = d.author_id
             WHERE d.patient_id = ?1
             ORDER BY d.created_at DESC, d.id DESC LIMIT ?2",
        )
        .map_err(map_err)?;
    let documents = doc_stmt
        .query_map(rusqlite::params![patient_id, SECTION_LIMIT], |r| {
            let status: String = r.get(5)?;
            let family: Option<String> = r.get(6)?;
            let given: Option<String> = r.get(7)?;
            let signed: Option<String> = r.get(9)?;
            Ok(DocumentView {
                id: r.get(0)?,
                encounter_id: r.get(1)?,
                account: r.get(2)?,
                doc_type: r.get(3)?,
                title: r.get(4)?,
                status: DocumentStatus::from_code(&status).unwrap_or(DocumentStatus::Undictated),
                author: family.map(|f| crate::domain::names::display_name(&f, given.as_deref().unwrap_or(""), "")),
                created_at: parse_timestamp(&r.get::<_, String>(8)?),
                signed_at: signed.as_deref().map(parse_timestamp),
                text: r.get(10)?,
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;

    let mut def_stmt = conn
        .prepare_cached(
            "SELECT d.id, d.encounter_id, e.account, d.type_code, t.name, pr.family, pr.given, d.status,
                    d.event_on, d.delinquent_on, d.version
             FROM deficiency d
             JOIN encounter e ON e.id = d.encounter_id
             JOIN deficiency_type t ON t.code = d.type_code
             JOIN provider pr ON pr.id = d.provider_id
             WHERE e.patient_id = ?1
             ORDER BY d.event_on DESC, d.id",
        )
        .map_err(map_err)?;
    let deficiencies = def_stmt
        .query_map([patient_id], |r| {
            let status: String = r.get(7)?;
            Ok(DeficiencyView {
                id: r.get(0)?,
                encounter_id: r.get(1)?,
                account: r.get(2)?,
                type_code: r.get(3)?,
                type_name: r.get(4)?,
                provider: crate::domain::names::display_name(&r.get::<_, String>(5)?, &r.get::<_, String>(6)?, ""),
                status: DeficiencyStatus::from_code(&status).unwrap_or(DeficiencyStatus::Open),
                event_on: parse_date(&r.get::<_, String>(8)?).unwrap_or_default(),
                delinquent_on: parse_date(&r.get::<_, String>(9)?).unwrap_or_default(),
                version: r.get(10)?,
                pauses: Vec::new(),
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let mut deficiencies = deficiencies;
    let mut pause_stmt = conn
        .prepare_cached(
            "SELECT from_on, to_on, reason, days FROM aging_pause WHERE deficiency_id = ?1 ORDER BY from_on, id",
        )
        .map_err(map_err)?;
    for d in &mut deficiencies {
        d.pauses = pause_stmt
            .query_map([d.id], |r| {
                let from = parse_date(&r.get::<_, String>(0)?).unwrap_or_default();
                let to = parse_date(&r.get::<_, String>(1)?).unwrap_or_default();
                Ok(crate::domain::chart::PauseView {
                    from,
                    to,
                    // Pauses recorded before the count was kept counted their whole span.
                    days: r.get::<_, Option<i64>>(3)?.unwrap_or((to - from).num_days()),
                    reason: r.get(2)?,
                })
            })
            .map_err(map_err)?
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
    }

    let mut proc_stmt = conn
        .prepare_cached(
            "SELECT p.encounter_id, e.account, p.performed_at, p.code, p.description
             FROM encounter_procedure p JOIN encounter e ON e.id = p.encounter_id
             WHERE e.patient_id = ?1 ORDER BY p.performed_at DESC, p.id",
        )
        .map_err(map_err)?;
    let procedures = proc_stmt
        .query_map([patient_id], |r| {
            let description: String = r.get(4)?;
            Ok(ProcedureView {
                encounter_id: r.get(0)?,
                account: r.get(1)?,
                performed_at: parse_timestamp(&r.get::<_, String>(2)?),
                code: r.get(3)?,
                operation: crate::domain::procedure::is_surgical(&description),
                description,
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;

    let mut rel_stmt = conn
        .prepare_cached(
            "SELECT id, disclosed_at, recipient, purpose, pages FROM disclosure
             WHERE patient_id = ?1 AND voided_at IS NULL ORDER BY disclosed_at DESC",
        )
        .map_err(map_err)?;
    let releases = rel_stmt
        .query_map([patient_id], |r| {
            Ok(ReleaseView {
                id: r.get(0)?,
                disclosed_on: parse_timestamp(&r.get::<_, String>(1)?).date_naive(),
                recipient: r.get(2)?,
                purpose: r.get(3)?,
                pages: r.get(4)?,
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;

    let mut vol_stmt = conn
        .prepare_cached(
            "SELECT v.id, v.volume_no, v.record_type, v.barcode, v.status, h.name, c.name, v.borrower, v.due_back_on
             FROM chart_volume v
             JOIN location h ON h.id = v.home_location_id
             JOIN location c ON c.id = v.current_location_id
             WHERE v.patient_id = ?1 ORDER BY v.volume_no",
        )
        .map_err(map_err)?;
    let mut volumes = vol_stmt
        .query_map([patient_id], |r| {
            let due: Option<String> = r.get(8)?;
            Ok(ChartVolumeView {
                id: r.get(0)?,
                volume_no: r.get(1)?,
                record_type: r.get(2)?,
                barcode: r.get(3)?,
                status: r.get(4)?,
                home_location: r.get(5)?,
                current_location: r.get(6)?,
                borrower: r.get(7)?,
                due_back_on: due.as_deref().and_then(parse_date),
                movements: Vec::new(),
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let mut mov_stmt = conn
        .prepare_cached(
            "SELECT m.at, m.movement_type, f.name, t.name, m.by_username
             FROM chart_movement m
             LEFT JOIN location f ON f.id = m.from_location_id
             LEFT JOIN location t ON t.id = m.to_location_id
             WHERE m.chart_volume_id = ?1 ORDER BY m.at, m.id",
        )
        .map_err(map_err)?;
    for volume in &mut volumes {
        volume.movements = mov_stmt
            .query_map([volume.id], |r| {
                Ok(MovementView {
                    at: parse_timestamp(&r.get::<_, String>(0)?),
                    movement_type: r.get(1)?,
                    from_location: r.get(2)?,
                    to_location: r.get(3)?,
                    by: r.get(4)?,
                })
            })
            .map_err(map_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
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
