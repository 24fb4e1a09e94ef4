//! The file room in SQLite (schema migration 22): volumes by barcode, their moves, chart requests
//! and the overdue, missing and pull lists. Movements are only inserted (a trigger refuses the rest).

use super::admin::{append_audit, timestamp};
use super::map_err;
use super::roi::{bad, date_at, optional_date_at};
use super::search::date_text;
use crate::domain::file_room::{Location, RequestStatus, VolumeStatus};
use crate::domain::names::display_name;
use crate::store::file_room::{
    ChartRequestRecord, FileRoomWrite, NewChartRequest, NewChartVolume, Place, VolumeBrief, VolumeRecord,
};
use crate::store::{StoreError, StoreResult};
use chrono::NaiveDate;
use rusqlite::{Connection, Row, TransactionBehavior, params};

#[derive(Debug, thiserror::Error)]
#[error("unknown {0} {1:?}")]
struct UnknownWord(&'static str, String);

pub(super) fn locations(conn: &Connection) -> StoreResult<Vec<Location>> {
    let mut stmt = conn
        .prepare_cached("SELECT id, code, name, kind, default_loan_days FROM location ORDER BY code")
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Location {
                id: r.get(0)?,
                code: r.get(1)?,
                name: r.get(2)?,
                kind: r.get(3)?,
                default_loan_days: r.get(4)?,
            })
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

const VOLUME_COLUMNS: &str = "v.id, v.patient_id, p.mrn, p.family, p.given, p.middle, v.volume_no, v.record_type, \
     v.barcode, v.status, h.id, h.code, h.name, c.id, c.code, c.name, v.borrower, v.due_back_on, v.version";

const VOLUME_JOINS: &str = "FROM chart_volume v JOIN patient p ON p.id = v.patient_id \
     JOIN location h ON h.id = v.home_location_id JOIN location c ON c.id = v.current_location_id";

fn status_at(r: &Row<'_>, column: usize) -> rusqlite::Result<VolumeStatus> {
    let code: String = r.get(column)?;
    VolumeStatus::parse(&code).ok_or_else(|| bad(column)(UnknownWord("volume status", code)))
}

fn volume_from(r: &Row<'_>) -> rusqlite::Result<VolumeRecord> {
    let (family, given, middle): (String, String, String) = (r.get(3)?, r.get(4)?, r.get(5)?);
    Ok(VolumeRecord {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        mrn: r.get(2)?,
        patient_name: display_name(&family, &given, &middle),
        volume_no: r.get(6)?,
        record_type: r.get(7)?,
        barcode: r.get(8)?,
        status: status_at(r, 9)?,
        home: Place { id: r.get(10)?, code: r.get(11)?, name: r.get(12)? },
        current: Place { id: r.get(13)?, code: r.get(14)?, name: r.get(15)? },
        borrower: r.get(16)?,
        due_back_on: optional_date_at(r, 17)?,
        version: r.get(18)?,
    })
}

fn volumes_where(
    conn: &Connection,
    condition: &str,
    params: &[&dyn rusqlite::ToSql],
) -> StoreResult<Vec<VolumeRecord>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {VOLUME_COLUMNS} {VOLUME_JOINS} WHERE {condition}")).map_err(map_err)?;
    let rows = stmt.query_map(params, volume_from).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn volume_by_barcode(conn: &Connection, barcode: &str) -> StoreResult<Option<VolumeRecord>> {
    Ok(volumes_where(conn, "v.barcode = ?1", &[&barcode])?.into_iter().next())
}

pub(super) fn patient_volumes(conn: &Connection, patient_id: i64) -> StoreResult<Vec<VolumeRecord>> {
    volumes_where(conn, "v.patient_id = ?1 ORDER BY v.volume_no", &[&patient_id])
}

pub(super) fn overdue_volumes(conn: &Connection, today: NaiveDate) -> StoreResult<Vec<VolumeRecord>> {
    volumes_where(
        conn,
        "v.status = 'CHARGED_OUT' AND v.due_back_on < ?1 ORDER BY c.name, v.due_back_on, p.mrn, v.volume_no",
        &[&date_text(today)],
    )
}

pub(super) fn missing_volumes(conn: &Connection) -> StoreResult<Vec<(VolumeRecord, chrono::DateTime<chrono::Utc>)>> {
    // The volume's last move that was not the flag itself: when it came to its last known place.
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {VOLUME_COLUMNS}, (SELECT max(m.at) FROM chart_movement m
                 WHERE m.chart_volume_id = v.id AND m.movement_type <> 'MISSING')
             {VOLUME_JOINS} WHERE v.status = 'MISSING' ORDER BY c.name, p.mrn, v.volume_no"
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            let since: Option<String> = r.get(19)?;
            Ok((volume_from(r)?, since.as_deref().map(super::admin::parse_timestamp).unwrap_or_default()))
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn add_volume(
    conn: &mut Connection,
    v: &NewChartVolume,
    audit: &crate::domain::audit::NewAuditEvent,
) -> StoreResult<i64> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    tx.prepare_cached(
        "INSERT INTO chart_volume (patient_id, volume_no, record_type, barcode, home_location_id, current_location_id,
             status) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 'IN_FILE')",
    )
    .and_then(|mut s| s.execute(params![v.patient_id, v.volume_no, v.record_type, v.barcode, v.home_location_id]))
    .map_err(map_err)?;
    let id = tx.last_insert_rowid();
    tx.prepare_cached(
        "INSERT INTO chart_movement (chart_volume_id, movement_type, to_location_id, by_username, at)
         VALUES (?1, 'CREATE', ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute(params![id, v.home_location_id, v.by, timestamp(v.at)]))
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)?;
    Ok(id)
}

pub(super) fn write(conn: &mut Connection, w: &FileRoomWrite) -> StoreResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    for m in &w.moves {
        let changed = tx
            .prepare_cached(
                "UPDATE chart_volume SET status = ?1, current_location_id = ?2, borrower = ?3, due_back_on = ?4,
                     version = version + 1
                 WHERE id = ?5 AND version = ?6",
            )
            .and_then(|mut s| {
                s.execute(params![
                    m.status.code(),
                    m.location_id,
                    m.borrower,
                    m.due_back_on.map(date_text),
                    m.volume_id,
                    m.expected_version
                ])
            })
            .map_err(map_err)?;
        if changed != 1 {
            return Err(StoreError::Conflict);
        }
        tx.prepare_cached(
            "INSERT INTO chart_movement (chart_volume_id, movement_type, from_location_id, to_location_id, by_username,
                 at, borrower, due_back_on, reason, request_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut s| {
            s.execute(params![
                m.volume_id,
                m.movement.code(),
                m.from_location_id,
                m.to_location_id,
                m.by,
                timestamp(m.at),
                m.borrower,
                m.due_back_on.map(date_text),
                m.reason,
                m.request_id
            ])
        })
        .map_err(map_err)?;
        append_audit(&tx, &m.audit)?;
    }
    if let Some(r) = &w.resolution {
        let changed = tx
            .prepare_cached(
                "UPDATE chart_request SET status = ?1, outcome_reason = ?2, resolved_by = ?3, resolved_at = ?4,
                     version = version + 1
                 WHERE id = ?5 AND version = ?6",
            )
            .and_then(|mut s| {
                s.execute(params![r.status.code(), r.reason, r.by, timestamp(r.at), r.request_id, r.expected_version])
            })
            .map_err(map_err)?;
        if changed != 1 {
            return Err(StoreError::Conflict);
        }
        append_audit(&tx, &r.audit)?;
    }
    tx.commit().map_err(map_err)
}

pub(super) fn add_chart_requests(
    conn: &mut Connection,
    requests: &[NewChartRequest],
    audit: &crate::domain::audit::NewAuditEvent,
) -> StoreResult<Vec<i64>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let mut ids = Vec::with_capacity(requests.len());
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO chart_request (patient_id, for_location_id, needed_on, requested_by, reason, filing_key,
                     status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'OPEN', ?7)",
            )
            .map_err(map_err)?;
        for r in requests {
            stmt.execute(params![
                r.patient_id,
                r.for_location_id,
                date_text(r.needed_on),
                r.requested_by,
                r.reason,
                r.filing_key,
                timestamp(r.created_at)
            ])
            .map_err(map_err)?;
            ids.push(tx.last_insert_rowid());
        }
    }
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)?;
    Ok(ids)
}

/// Requests and their volumes, one row per volume (or one with no volume), in the order asked.
fn requests_where(
    conn: &Connection,
    condition: &str,
    param: &dyn rusqlite::ToSql,
) -> StoreResult<Vec<ChartRequestRecord>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT r.id, r.patient_id, p.mrn, p.family, p.given, p.middle, l.id, l.code, l.name, r.needed_on,
                    r.requested_by, r.reason, r.status, r.outcome_reason, r.filing_key, r.version,
                    v.id, v.barcode, v.volume_no, v.status, c.name
             FROM chart_request r
             JOIN patient p ON p.id = r.patient_id
             JOIN location l ON l.id = r.for_location_id
             LEFT JOIN chart_volume v ON v.patient_id = r.patient_id
             LEFT JOIN location c ON c.id = v.current_location_id
             WHERE {condition}
             ORDER BY r.filing_key, r.id, v.volume_no"
        ))
        .map_err(map_err)?;
    let mut out: Vec<ChartRequestRecord> = Vec::new();
    let mut rows = stmt.query([param]).map_err(map_err)?;
    while let Some(r) = rows.next().map_err(map_err)? {
        let id: i64 = r.get(0).map_err(map_err)?;
        if out.last().is_none_or(|last| last.id != id) {
            let status: String = r.get(12).map_err(map_err)?;
            let (family, given, middle): (String, String, String) =
                (r.get(3).map_err(map_err)?, r.get(4).map_err(map_err)?, r.get(5).map_err(map_err)?);
            out.push(ChartRequestRecord {
                id,
                patient_id: r.get(1).map_err(map_err)?,
                mrn: r.get(2).map_err(map_err)?,
                patient_name: display_name(&family, &given, &middle),
                for_location: Place {
                    id: r.get(6).map_err(map_err)?,
                    code: r.get(7).map_err(map_err)?,
                    name: r.get(8).map_err(map_err)?,
                },
                needed_on: date_at(r, 9).map_err(map_err)?,
                requested_by: r.get(10).map_err(map_err)?,
                reason: r.get(11).map_err(map_err)?,
                status: RequestStatus::parse(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("unknown chart request status {status:?}")))?,
                outcome_reason: r.get(13).map_err(map_err)?,
                filing_key: r.get(14).map_err(map_err)?,
                version: r.get(15).map_err(map_err)?,
                volumes: Vec::new(),
            });
        }
        let volume_id: Option<i64> = r.get(16).map_err(map_err)?;
        if let (Some(volume_id), Some(last)) = (volume_id, out.last_mut()) {
            last.volumes.push(VolumeBrief {
                volume_id,
                barcode: r.get(17).map_err(map_err)?,
                volume_no: r.get(18).map_err(map_err)?,
                status: status_at(r, 19).map_err(map_err)?,
                location: r.get(20).map_err(map_err)?,
            });
        }
    }
    Ok(out)
}

pub(super) fn chart_request(conn: &Connection, id: i64) -> StoreResult<Option<ChartRequestRecord>> {
    Ok(requests_where(conn, "r.id = ?1", &id)?.into_iter().next())
}

pub(super) fn pull_list(conn: &Connection, needed_on: NaiveDate) -> StoreResult<Vec<ChartRequestRecord>> {
    requests_where(conn, "r.needed_on = ?1", &date_text(needed_on))
}
