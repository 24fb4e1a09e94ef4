//! The accounting of disclosures in SQLite (migration 15): a patient's disclosures by day, one
//! recorded without a request, a void, the agencies' suspensions and the accountings delivered.
//! Each write carries its audit event in its transaction.

use super::admin::{append_audit, parse_timestamp, timestamp};
use super::map_err;
use super::search::date_text;
use crate::domain::audit::NewAuditEvent;
use crate::domain::roi::LegalBasis;
use crate::domain::roi::accounting::{Disclosure, Statement, Suspension, disclosure_label};
use crate::store::roi::{
    AccountingDelivery, DisclosureVoid, NewDisclosure, StoredDisclosure, StoredSuspension, VoidedRelease,
};
use crate::store::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

fn bad<E: std::error::Error + Send + Sync + 'static>(column: usize) -> impl FnOnce(E) -> rusqlite::Error {
    move |e| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e))
}

fn date_at(r: &Row<'_>, column: usize) -> rusqlite::Result<NaiveDate> {
    let text: String = r.get(column)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(bad(column))
}

/// The instant a disclosure is kept at: noon UTC of its day, as `roi.rs` keeps a release's.
fn disclosed_at(on: NaiveDate) -> String {
    format!("{}T12:00:00Z", date_text(on))
}

const COLUMNS: &str = "d.id, d.disclosed_at, d.recipient, d.recipient_address, coalesce(d.description, ''), d.purpose,
     d.legal_basis, d.accountable, d.pages, d.by_username, d.patient_id, d.voided_at, d.voided_by, d.void_reason,
     f.code, q.seq";

const FROM: &str =
    "disclosure d LEFT JOIN roi_request q ON q.id = d.roi_request_id LEFT JOIN facility f ON f.id = q.facility_id";

fn disclosure_from(r: &Row<'_>) -> rusqlite::Result<StoredDisclosure> {
    let voided_at: Option<String> = r.get(11)?;
    let facility: Option<String> = r.get(14)?;
    let seq: Option<i64> = r.get(15)?;
    let request =
        facility.zip(seq).map(|(facility, seq)| crate::domain::roi::RequestNumber { facility, seq }.to_string());
    let basis: String = r.get(6)?;
    Ok(StoredDisclosure {
        disclosure: Disclosure {
            id: r.get(0)?,
            disclosed_on: parse_timestamp(&r.get::<_, String>(1)?).date_naive(),
            recipient: r.get(2)?,
            recipient_address: r.get(3)?,
            description: r.get(4)?,
            purpose: r.get(5)?,
            legal_basis: LegalBasis::parse(&basis).map_err(bad(6))?,
            accountable: r.get::<_, i64>(7)? != 0,
            request,
            voided: voided_at.is_some(),
        },
        pages: r.get(8)?,
        by: r.get(9)?,
        patient_id: r.get(10)?,
        void: match voided_at {
            Some(at) => Some(DisclosureVoid {
                at: parse_timestamp(&at),
                by: r.get::<_, Option<String>>(12)?.unwrap_or_default(),
                reason: r.get::<_, Option<String>>(13)?.unwrap_or_default(),
            }),
            None => None,
        },
    })
}

pub(super) fn patient_disclosures(
    conn: &Connection,
    patient_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<StoredDisclosure>> {
    // The bounds are whole days: from the first instant of `from` to before the day after `to`.
    let after = to.succ_opt().unwrap_or(to);
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM}
             WHERE d.patient_id = ?1 AND d.disclosed_at >= ?2 AND d.disclosed_at < ?3
             ORDER BY d.disclosed_at, d.id"
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map(
            params![patient_id, format!("{}T00:00:00Z", date_text(from)), format!("{}T00:00:00Z", date_text(after))],
            disclosure_from,
        )
        .map_err(map_err)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
}

pub(super) fn disclosure(conn: &Connection, id: i64) -> StoreResult<Option<StoredDisclosure>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} WHERE d.id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id], disclosure_from).optional())
        .map_err(map_err)
}

fn disclosure_event(audit: &NewAuditEvent, id: i64, patient_id: i64) -> NewAuditEvent {
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| disclosure_label(id));
    event.patient_id.get_or_insert(patient_id);
    event
}

pub(super) fn record(conn: &mut Connection, d: &NewDisclosure, audit: &NewAuditEvent) -> StoreResult<StoredDisclosure> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    tx.prepare_cached(
        "INSERT INTO disclosure (patient_id, disclosed_at, recipient, recipient_address, description, purpose,
             legal_basis, accountable, pages, by_username)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            d.patient_id,
            disclosed_at(d.disclosed_on),
            d.recipient,
            d.recipient_address,
            d.description,
            d.purpose,
            d.legal_basis.code(),
            d.accountable as i64,
            d.pages,
            d.by
        ])
    })
    .map_err(map_err)?;
    let id = tx.last_insert_rowid();
    append_audit(&tx, &disclosure_event(audit, id, d.patient_id))?;
    let written = disclosure(&tx, id)?.ok_or_else(|| StoreError::NotFound(disclosure_label(id)))?;
    tx.commit().map_err(map_err)?;
    Ok(written)
}

pub(super) fn void(
    conn: &mut Connection,
    id: i64,
    v: &DisclosureVoid,
    released: Option<&VoidedRelease>,
    audit: &NewAuditEvent,
) -> StoreResult<StoredDisclosure> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let Some(before) = disclosure(&tx, id)? else {
        return Err(StoreError::NotFound(disclosure_label(id)));
    };
    let changed = tx
        .prepare_cached(
            "UPDATE disclosure SET voided_at = ?2, voided_by = ?3, void_reason = ?4 WHERE id = ?1 AND voided_at IS NULL",
        )
        .and_then(|mut stmt| stmt.execute(params![id, timestamp(v.at), v.by, v.reason]))
        .map_err(map_err)?;
    if changed == 0 {
        return Err(StoreError::Conflict);
    }
    if let Some(released) = released {
        super::roi::write_voided_release(&tx, released, v.at, &v.by)?;
    }
    append_audit(&tx, &disclosure_event(audit, id, before.patient_id))?;
    let after = disclosure(&tx, id)?.ok_or_else(|| StoreError::NotFound(disclosure_label(id)))?;
    tx.commit().map_err(map_err)?;
    Ok(after)
}

fn suspension_from(r: &Row<'_>) -> rusqlite::Result<StoredSuspension> {
    let until: Option<String> = r.get(4)?;
    let until = until.map(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(bad(4))).transpose()?;
    Ok(StoredSuspension {
        id: r.get(0)?,
        patient_id: r.get(1)?,
        suspension: Suspension {
            agency: r.get(2)?,
            logged_on: date_at(r, 3)?,
            statement: match until {
                Some(until) => Statement::Written { until },
                None => Statement::Oral,
            },
        },
        by: r.get(5)?,
        at: parse_timestamp(&r.get::<_, String>(6)?),
    })
}

const SUSPENSION_COLUMNS: &str = "id, patient_id, agency, logged_on, written_until, by_username, at";

pub(super) fn add_suspension(
    conn: &mut Connection,
    patient_id: i64,
    s: &Suspension,
    by: &str,
    at: DateTime<Utc>,
    audit: &NewAuditEvent,
) -> StoreResult<StoredSuspension> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let until = match s.statement {
        Statement::Written { until } => Some(date_text(until)),
        Statement::Oral => None,
    };
    tx.prepare_cached(
        "INSERT INTO accounting_suspension (patient_id, agency, logged_on, written_until, by_username, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut stmt| stmt.execute(params![patient_id, s.agency, date_text(s.logged_on), until, by, timestamp(at)]))
    .map_err(map_err)?;
    let id = tx.last_insert_rowid();
    let mut event = audit.clone();
    event.patient_id.get_or_insert(patient_id);
    append_audit(&tx, &event)?;
    let written = tx
        .prepare_cached(&format!("SELECT {SUSPENSION_COLUMNS} FROM accounting_suspension WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id], suspension_from))
        .map_err(map_err)?;
    tx.commit().map_err(map_err)?;
    Ok(written)
}

pub(super) fn suspensions(conn: &Connection, patient_id: i64) -> StoreResult<Vec<StoredSuspension>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {SUSPENSION_COLUMNS} FROM accounting_suspension WHERE patient_id = ?1 ORDER BY logged_on, id"
        ))
        .map_err(map_err)?;
    let rows = stmt.query_map([patient_id], suspension_from).map_err(map_err)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
}

pub(super) fn record_delivery(conn: &mut Connection, d: &AccountingDelivery, audit: &NewAuditEvent) -> StoreResult<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    tx.prepare_cached(
        "INSERT INTO accounting_delivery (patient_id, requested_on, delivered_on, fee_cents, by_username, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            d.patient_id,
            date_text(d.requested_on),
            date_text(d.delivered_on),
            d.fee_cents,
            d.by,
            timestamp(d.at)
        ])
    })
    .map_err(map_err)?;
    let mut event = audit.clone();
    event.patient_id.get_or_insert(d.patient_id);
    append_audit(&tx, &event)?;
    tx.commit().map_err(map_err)
}

pub(super) fn deliveries(conn: &Connection, patient_id: i64) -> StoreResult<Vec<AccountingDelivery>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT patient_id, requested_on, delivered_on, fee_cents, by_username, at FROM accounting_delivery
             WHERE patient_id = ?1 ORDER BY delivered_on, id",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([patient_id], |r| {
            Ok(AccountingDelivery {
                patient_id: r.get(0)?,
                requested_on: date_at(r, 1)?,
                delivered_on: date_at(r, 2)?,
                fee_cents: r.get(3)?,
                by: r.get(4)?,
                at: parse_timestamp(&r.get::<_, String>(5)?),
            })
        })
        .map_err(map_err)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
}
