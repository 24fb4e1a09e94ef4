//! The accounting of disclosures on PostgreSQL (migration 7): `sqlite/disclosure.rs`, statement
//! for statement, with the same results, orders and errors. A void is
//! `UPDATE … WHERE voided_at IS NULL`: a second clerk voiding at once waits for the first, then
//! updates nothing — `Conflict`.

use super::PgResult;
use super::admin::append_audit;
use crate::domain::audit::NewAuditEvent;
use crate::domain::roi::accounting::{Disclosure, Statement, Suspension, disclosure_label};
use crate::domain::roi::{LegalBasis, RequestNumber};
use crate::store::StoreError;
use crate::store::roi::{
    AccountingDelivery, DisclosureVoid, NewDisclosure, StoredDisclosure, StoredSuspension, VoidedRelease,
};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::Row;

/// The instant a disclosure is kept at: noon UTC of its day, as SQLite's.
fn disclosed_at(on: NaiveDate) -> DateTime<Utc> {
    on.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN)).and_utc()
}

const COLUMNS: &str = "d.id, d.disclosed_at, d.recipient, d.recipient_address, coalesce(d.description, ''), d.purpose,
     d.legal_basis, d.accountable, d.pages, d.by_username, d.patient_id, d.voided_at, d.voided_by, d.void_reason,
     f.code, q.seq";

const FROM: &str =
    "disclosure d LEFT JOIN roi_request q ON q.id = d.roi_request_id LEFT JOIN facility f ON f.id = q.facility_id";

fn disclosure_from(r: &Row) -> PgResult<StoredDisclosure> {
    let voided_at: Option<DateTime<Utc>> = r.try_get(11)?;
    let facility: Option<String> = r.try_get(14)?;
    let seq: Option<i64> = r.try_get(15)?;
    let basis: &str = r.try_get(6)?;
    let at: DateTime<Utc> = r.try_get(1)?;
    Ok(StoredDisclosure {
        disclosure: Disclosure {
            id: r.try_get(0)?,
            disclosed_on: at.date_naive(),
            recipient: r.try_get(2)?,
            recipient_address: r.try_get(3)?,
            description: r.try_get(4)?,
            purpose: r.try_get(5)?,
            legal_basis: LegalBasis::parse(basis).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            accountable: r.try_get(7)?,
            request: facility.zip(seq).map(|(facility, seq)| RequestNumber { facility, seq }.to_string()),
            voided: voided_at.is_some(),
        },
        pages: r.try_get(8)?,
        by: r.try_get(9)?,
        patient_id: r.try_get(10)?,
        void: match voided_at {
            Some(at) => Some(DisclosureVoid {
                at,
                by: r.try_get::<_, Option<String>>(12)?.unwrap_or_default(),
                reason: r.try_get::<_, Option<String>>(13)?.unwrap_or_default(),
            }),
            None => None,
        },
    })
}

pub(super) async fn patient_disclosures(
    c: &impl GenericClient,
    patient_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> PgResult<Vec<StoredDisclosure>> {
    let after = to.succ_opt().unwrap_or(to);
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM}
             WHERE d.patient_id = $1 AND d.disclosed_at >= $2 AND d.disclosed_at < $3
             ORDER BY d.disclosed_at, d.id"
        ))
        .await?;
    let start = from.and_time(NaiveTime::MIN).and_utc();
    let end = after.and_time(NaiveTime::MIN).and_utc();
    let rows = c.query(&stmt, &[&patient_id, &start, &end]).await?;
    rows.iter().map(disclosure_from).collect()
}

pub(super) async fn disclosure(c: &impl GenericClient, id: i64) -> PgResult<Option<StoredDisclosure>> {
    let stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE d.id = $1")).await?;
    c.query_opt(&stmt, &[&id]).await?.as_ref().map(disclosure_from).transpose()
}

fn disclosure_event(audit: &NewAuditEvent, id: i64, patient_id: i64) -> NewAuditEvent {
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| disclosure_label(id));
    event.patient_id.get_or_insert(patient_id);
    event
}

pub(super) async fn record(
    tx: &Transaction<'_>,
    d: &NewDisclosure,
    audit: &NewAuditEvent,
) -> PgResult<StoredDisclosure> {
    let row = tx
        .query_one(
            "INSERT INTO disclosure (patient_id, disclosed_at, recipient, recipient_address, description, purpose,
                 legal_basis, accountable, pages, by_username)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &d.patient_id,
                &disclosed_at(d.disclosed_on),
                &d.recipient,
                &d.recipient_address,
                &d.description,
                &d.purpose,
                &d.legal_basis.code(),
                &d.accountable,
                &d.pages,
                &d.by,
            ],
        )
        .await?;
    let id: i64 = row.try_get(0)?;
    append_audit(tx, &disclosure_event(audit, id, d.patient_id)).await?;
    Ok(disclosure(tx, id).await?.ok_or_else(|| StoreError::NotFound(disclosure_label(id)))?)
}

pub(super) async fn void(
    tx: &Transaction<'_>,
    id: i64,
    v: &DisclosureVoid,
    released: Option<&VoidedRelease>,
    audit: &NewAuditEvent,
) -> PgResult<StoredDisclosure> {
    let Some(before) = disclosure(tx, id).await? else {
        return Err(StoreError::NotFound(disclosure_label(id)).into());
    };
    let changed = tx
        .execute(
            "UPDATE disclosure SET voided_at = $2, voided_by = $3, void_reason = $4 WHERE id = $1 AND voided_at IS NULL",
            &[&id, &v.at, &v.by, &v.reason],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::Conflict.into());
    }
    if let Some(released) = released {
        super::roi::write_voided_release(tx, released, v.at, &v.by).await?;
    }
    append_audit(tx, &disclosure_event(audit, id, before.patient_id)).await?;
    Ok(disclosure(tx, id).await?.ok_or_else(|| StoreError::NotFound(disclosure_label(id)))?)
}

const SUSPENSION_COLUMNS: &str = "id, patient_id, agency, logged_on, written_until, by_username, at";

fn suspension_from(r: &Row) -> PgResult<StoredSuspension> {
    let until: Option<NaiveDate> = r.try_get(4)?;
    Ok(StoredSuspension {
        id: r.try_get(0)?,
        patient_id: r.try_get(1)?,
        suspension: Suspension {
            agency: r.try_get(2)?,
            logged_on: r.try_get(3)?,
            statement: match until {
                Some(until) => Statement::Written { until },
                None => Statement::Oral,
            },
        },
        by: r.try_get(5)?,
        at: r.try_get(6)?,
    })
}

pub(super) async fn add_suspension(
    tx: &Transaction<'_>,
    patient_id: i64,
    s: &Suspension,
    by: &str,
    at: DateTime<Utc>,
    audit: &NewAuditEvent,
) -> PgResult<StoredSuspension> {
    let until = match s.statement {
        Statement::Written { until } => Some(until),
        Statement::Oral => None,
    };
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO accounting_suspension (patient_id, agency, logged_on, written_until, by_username, at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING {SUSPENSION_COLUMNS}"
            ),
            &[&patient_id, &s.agency, &s.logged_on, &until, &by, &at],
        )
        .await?;
    let mut event = audit.clone();
    event.patient_id.get_or_insert(patient_id);
    append_audit(tx, &event).await?;
    suspension_from(&row)
}

pub(super) async fn suspensions(c: &impl GenericClient, patient_id: i64) -> PgResult<Vec<StoredSuspension>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {SUSPENSION_COLUMNS} FROM accounting_suspension WHERE patient_id = $1 ORDER BY logged_on, id"
        ))
        .await?;
    c.query(&stmt, &[&patient_id]).await?.iter().map(suspension_from).collect()
}

pub(super) async fn record_delivery(
    tx: &Transaction<'_>,
    d: &AccountingDelivery,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    tx.execute(
        "INSERT INTO accounting_delivery (patient_id, requested_on, delivered_on, fee_cents, by_username, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&d.patient_id, &d.requested_on, &d.delivered_on, &d.fee_cents, &d.by, &d.at],
    )
    .await?;
    let mut event = audit.clone();
    event.patient_id.get_or_insert(d.patient_id);
    append_audit(tx, &event).await
}

pub(super) async fn deliveries(c: &impl GenericClient, patient_id: i64) -> PgResult<Vec<AccountingDelivery>> {
    let stmt = c
        .prepare_cached(
            "SELECT patient_id, requested_on, delivered_on, fee_cents, by_username, at FROM accounting_delivery
             WHERE patient_id = $1 ORDER BY delivered_on, id",
        )
        .await?;
    let rows = c.query(&stmt, &[&patient_id]).await?;
    rows.iter()
        .map(|r| {
            Ok(AccountingDelivery {
                patient_id: r.try_get(0)?,
                requested_on: r.try_get(1)?,
                delivered_on: r.try_get(2)?,
                fee_cents: r.try_get(3)?,
                by: r.try_get(4)?,
                at: r.try_get(5)?,
            })
        })
        .collect()
}
