//! The file room on PostgreSQL (schema migration 14): `sqlite/file_room.rs`, statement for
//! statement. Movements are only inserted (statement triggers refuse the rest).

use super::PgResult;
use super::admin::append_audit;
use super::roi::corrupt;
use crate::domain::audit::NewAuditEvent;
use crate::domain::file_room::{Location, RequestStatus, VolumeStatus};
use crate::domain::names::display_name;
use crate::store::StoreError;
use crate::store::file_room::{
    ChartRequestRecord, FileRoomWrite, NewChartRequest, NewChartVolume, Place, VolumeBrief, VolumeRecord,
};
use chrono::NaiveDate;
use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

pub(super) async fn locations(c: &impl GenericClient) -> PgResult<Vec<Location>> {
    let stmt = c.prepare_cached("SELECT id, code, name, kind, default_loan_days FROM location ORDER BY code").await?;
    c.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(Location {
                id: r.try_get(0)?,
                code: r.try_get(1)?,
                name: r.try_get(2)?,
                kind: r.try_get(3)?,
                default_loan_days: r.try_get(4)?,
            })
        })
        .collect()
}

const VOLUME_COLUMNS: &str = "v.id, v.patient_id, p.mrn, p.family, p.given, p.middle, v.volume_no, v.record_type, \
     v.barcode, v.status, h.id, h.code, h.name, c.id, c.code, c.name, v.borrower, v.due_back_on, v.version";

const VOLUME_JOINS: &str = "FROM chart_volume v JOIN patient p ON p.id = v.patient_id \
     JOIN location h ON h.id = v.home_location_id JOIN location c ON c.id = v.current_location_id";

fn status_of(code: &str) -> PgResult<VolumeStatus> {
    VolumeStatus::parse(code).ok_or_else(|| corrupt(format!("unknown volume status {code:?}")).into())
}

fn volume_from(r: &Row) -> PgResult<VolumeRecord> {
    let (family, given, middle): (String, String, String) = (r.try_get(3)?, r.try_get(4)?, r.try_get(5)?);
    Ok(VolumeRecord {
        id: r.try_get(0)?,
        patient_id: r.try_get(1)?,
        mrn: r.try_get(2)?,
        patient_name: display_name(&family, &given, &middle),
        volume_no: r.try_get(6)?,
        record_type: r.try_get(7)?,
        barcode: r.try_get(8)?,
        status: status_of(r.try_get(9)?)?,
        home: Place { id: r.try_get(10)?, code: r.try_get(11)?, name: r.try_get(12)? },
        current: Place { id: r.try_get(13)?, code: r.try_get(14)?, name: r.try_get(15)? },
        borrower: r.try_get(16)?,
        due_back_on: r.try_get(17)?,
        version: r.try_get(18)?,
    })
}

async fn volumes_where(
    c: &impl GenericClient,
    condition: &str,
    params: &[&(dyn ToSql + Sync)],
) -> PgResult<Vec<VolumeRecord>> {
    let stmt = c.prepare_cached(&format!("SELECT {VOLUME_COLUMNS} {VOLUME_JOINS} WHERE {condition}")).await?;
    c.query(&stmt, params).await?.iter().map(volume_from).collect()
}

pub(super) async fn volume_by_barcode(c: &impl GenericClient, barcode: &str) -> PgResult<Option<VolumeRecord>> {
    Ok(volumes_where(c, "v.barcode = $1", &[&barcode]).await?.into_iter().next())
}

pub(super) async fn patient_volumes(c: &impl GenericClient, patient_id: i64) -> PgResult<Vec<VolumeRecord>> {
    volumes_where(c, "v.patient_id = $1 ORDER BY v.volume_no", &[&patient_id]).await
}

pub(super) async fn overdue_volumes(c: &impl GenericClient, today: NaiveDate) -> PgResult<Vec<VolumeRecord>> {
    volumes_where(
        c,
        "v.status = 'CHARGED_OUT' AND v.due_back_on < $1 ORDER BY c.name, v.due_back_on, p.mrn, v.volume_no",
        &[&today],
    )
    .await
}

pub(super) async fn missing_volumes(
    c: &impl GenericClient,
) -> PgResult<Vec<(VolumeRecord, chrono::DateTime<chrono::Utc>)>> {
    // The volume's last move that was not the flag itself: when it came to its last known place.
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {VOLUME_COLUMNS}, (SELECT max(m.at) FROM chart_movement m
                 WHERE m.chart_volume_id = v.id AND m.movement_type <> 'MISSING')
             {VOLUME_JOINS} WHERE v.status = 'MISSING' ORDER BY c.name, p.mrn, v.volume_no"
        ))
        .await?;
    c.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            let since: Option<chrono::DateTime<chrono::Utc>> = r.try_get(19)?;
            Ok((volume_from(r)?, since.unwrap_or_default()))
        })
        .collect()
}

pub(super) async fn add_volume(tx: &Transaction<'_>, v: &NewChartVolume, audit: &NewAuditEvent) -> PgResult<i64> {
    let row = tx
        .query_one(
            "INSERT INTO chart_volume (patient_id, volume_no, record_type, barcode, home_location_id,
                 current_location_id, status) VALUES ($1, $2, $3, $4, $5, $5, 'IN_FILE') RETURNING id",
            &[&v.patient_id, &v.volume_no, &v.record_type, &v.barcode, &v.home_location_id],
        )
        .await?;
    let id: i64 = row.try_get(0)?;
    tx.execute(
        "INSERT INTO chart_movement (chart_volume_id, movement_type, to_location_id, by_username, at)
         VALUES ($1, 'CREATE', $2, $3, $4)",
        &[&id, &v.home_location_id, &v.by, &v.at],
    )
    .await?;
    append_audit(tx, audit).await?;
    Ok(id)
}

pub(super) async fn write(tx: &Transaction<'_>, w: &FileRoomWrite) -> PgResult<()> {
    for m in &w.moves {
        let stmt = tx
            .prepare_cached(
                "UPDATE chart_volume SET status = $1, current_location_id = $2, borrower = $3, due_back_on = $4,
                     version = version + 1
                 WHERE id = $5 AND version = $6",
            )
            .await?;
        let changed = tx
            .execute(
                &stmt,
                &[&m.status.code(), &m.location_id, &m.borrower, &m.due_back_on, &m.volume_id, &m.expected_version],
            )
            .await?;
        if changed != 1 {
            return Err(StoreError::Conflict.into());
        }
        let stmt = tx
            .prepare_cached(
                "INSERT INTO chart_movement (chart_volume_id, movement_type, from_location_id, to_location_id,
                     by_username, at, borrower, due_back_on, reason, request_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .await?;
        tx.execute(
            &stmt,
            &[
                &m.volume_id,
                &m.movement.code(),
                &m.from_location_id,
                &m.to_location_id,
                &m.by,
                &m.at,
                &m.borrower,
                &m.due_back_on,
                &m.reason,
                &m.request_id,
            ],
        )
        .await?;
        append_audit(tx, &m.audit).await?;
    }
    if let Some(r) = &w.resolution {
        let changed = tx
            .execute(
                "UPDATE chart_request SET status = $1, outcome_reason = $2, resolved_by = $3, resolved_at = $4,
                     version = version + 1
                 WHERE id = $5 AND version = $6",
                &[&r.status.code(), &r.reason, &r.by, &r.at, &r.request_id, &r.expected_version],
            )
            .await?;
        if changed != 1 {
            return Err(StoreError::Conflict.into());
        }
        append_audit(tx, &r.audit).await?;
    }
    Ok(())
}

pub(super) async fn add_chart_requests(
    tx: &Transaction<'_>,
    requests: &[NewChartRequest],
    audit: &NewAuditEvent,
) -> PgResult<Vec<i64>> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO chart_request (patient_id, for_location_id, needed_on, requested_by, reason, filing_key,
                 status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'OPEN', $7) RETURNING id",
        )
        .await?;
    let mut ids = Vec::with_capacity(requests.len());
    for r in requests {
        let row = tx
            .query_one(
                &stmt,
                &[
                    &r.patient_id,
                    &r.for_location_id,
                    &r.needed_on,
                    &r.requested_by,
                    &r.reason,
                    &r.filing_key,
                    &r.created_at,
                ],
            )
            .await?;
        ids.push(row.try_get(0)?);
    }
    append_audit(tx, audit).await?;
    Ok(ids)
}

async fn requests_where(
    c: &impl GenericClient,
    condition: &str,
    param: &(dyn ToSql + Sync),
) -> PgResult<Vec<ChartRequestRecord>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT r.id, r.patient_id, p.mrn, p.family, p.given, p.middle, l.id, l.code, l.name, r.needed_on,
                    r.requested_by, r.reason, r.status, r.outcome_reason, r.filing_key, r.version,
                    v.id, v.barcode, v.volume_no, v.status, cl.name
             FROM chart_request r
             JOIN patient p ON p.id = r.patient_id
             JOIN location l ON l.id = r.for_location_id
             LEFT JOIN chart_volume v ON v.patient_id = r.patient_id
             LEFT JOIN location cl ON cl.id = v.current_location_id
             WHERE {condition}
             ORDER BY r.filing_key, r.id, v.volume_no"
        ))
        .await?;
    let mut out: Vec<ChartRequestRecord> = Vec::new();
    for r in c.query(&stmt, &[param]).await? {
        let id: i64 = r.try_get(0)?;
        if out.last().is_none_or(|last| last.id != id) {
            let status: &str = r.try_get(12)?;
            let (family, given, middle): (String, String, String) = (r.try_get(3)?, r.try_get(4)?, r.try_get(5)?);
            out.push(ChartRequestRecord {
                id,
                patient_id: r.try_get(1)?,
                mrn: r.try_get(2)?,
                patient_name: display_name(&family, &given, &middle),
                for_location: Place { id: r.try_get(6)?, code: r.try_get(7)?, name: r.try_get(8)? },
                needed_on: r.try_get(9)?,
                requested_by: r.try_get(10)?,
                reason: r.try_get(11)?,
                status: RequestStatus::parse(status)
                    .ok_or_else(|| super::PgError::from(corrupt(format!("unknown chart request status {status:?}"))))?,
                outcome_reason: r.try_get(13)?,
                filing_key: r.try_get(14)?,
                version: r.try_get(15)?,
                volumes: Vec::new(),
            });
        }
        let volume_id: Option<i64> = r.try_get(16)?;
        if let (Some(volume_id), Some(last)) = (volume_id, out.last_mut()) {
            last.volumes.push(VolumeBrief {
                volume_id,
                barcode: r.try_get(17)?,
                volume_no: r.try_get(18)?,
                status: status_of(r.try_get(19)?)?,
                location: r.try_get(20)?,
            });
        }
    }
    Ok(out)
}

pub(super) async fn chart_request(c: &impl GenericClient, id: i64) -> PgResult<Option<ChartRequestRecord>> {
    Ok(requests_where(c, "r.id = $1", &id).await?.into_iter().next())
}

pub(super) async fn pull_list(c: &impl GenericClient, needed_on: NaiveDate) -> PgResult<Vec<ChartRequestRecord>> {
    requests_where(c, "r.needed_on = $1", &needed_on).await
}
