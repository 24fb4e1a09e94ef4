//! Release-of-information fees in SQLite (schema migration 16): fee schedules by version, a
//! request's quotes and invoices, and the adjustments against an invoice. Rows are only inserted.

use super::admin::{append_audit, timestamp};
use super::map_err;
use super::roi::{bad, date_at, instant_at, json, json_at};
use super::search::date_text;
use crate::domain::audit::NewAuditEvent;
use crate::domain::roi::RequestNumber;
use crate::domain::roi::fees::{AdjustmentKind, FeeRates, FeeSchedule, Quote};
use crate::store::StoreResult;
use crate::store::roi::{FeeAdjustment, FeeKind, FeeRecord, NewInvoice, PaymentRecord, first_invoice_no};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, TransactionBehavior, params};

#[derive(Debug, thiserror::Error)]
#[error("unknown {0} {1:?}")]
struct UnknownWord(&'static str, String);

pub(super) fn fees_of(conn: &Connection, request_id: i64) -> StoreResult<Vec<FeeRecord>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT kind, invoice_no, schedule_code, schedule_version, basis, issued_on, lines, total_cents,
                    by_username, at
             FROM roi_fee WHERE request_id = ?1 ORDER BY id",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([request_id], |r| {
            let kind: String = r.get(0)?;
            Ok(FeeRecord {
                kind: FeeKind::parse(&kind).ok_or_else(|| bad(0)(UnknownWord("fee kind", kind.clone())))?,
                invoice_no: r.get(1)?,
                quote: Quote {
                    schedule: r.get(2)?,
                    version: r.get(3)?,
                    basis: r.get(4)?,
                    lines: json_at(r, 6)?,
                    total_cents: r.get(7)?,
                },
                issued_on: date_at(r, 5)?,
                by: r.get(8)?,
                at: instant_at(r, 9)?,
            })
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn adjustments_of(conn: &Connection, request_id: i64) -> StoreResult<Vec<FeeAdjustment>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT invoice_no, kind, on_date, amount_cents, reason, by_username, at
             FROM roi_fee_adjustment WHERE request_id = ?1 ORDER BY id",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([request_id], |r| {
            let kind: String = r.get(1)?;
            Ok(FeeAdjustment {
                invoice_no: r.get(0)?,
                kind: AdjustmentKind::parse(&kind).ok_or_else(|| bad(1)(UnknownWord("adjustment", kind.clone())))?,
                on: date_at(r, 2)?,
                amount_cents: r.get(3)?,
                reason: r.get(4)?,
                by: r.get(5)?,
                at: instant_at(r, 6)?,
            })
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn insert_fee(tx: &Connection, request_id: i64, fee: &FeeRecord) -> StoreResult<()> {
    let lines = json(&fee.quote.lines)?;
    tx.prepare_cached(
        "INSERT INTO roi_fee (request_id, kind, invoice_no, schedule_code, schedule_version, basis, issued_on, lines,
             total_cents, by_username, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            request_id,
            fee.kind.code(),
            fee.invoice_no,
            fee.quote.schedule,
            fee.quote.version,
            fee.quote.basis,
            date_text(fee.issued_on),
            lines,
            fee.quote.total_cents,
            fee.by,
            timestamp(fee.at)
        ])
    })
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn insert_adjustment(tx: &Connection, request_id: i64, a: &FeeAdjustment) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO roi_fee_adjustment (request_id, invoice_no, kind, on_date, amount_cents, reason, by_username, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            request_id,
            a.invoice_no,
            a.kind.code(),
            date_text(a.on),
            a.amount_cents,
            a.reason,
            a.by,
            timestamp(a.at)
        ])
    })
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn schedules(conn: &Connection) -> StoreResult<Vec<FeeSchedule>> {
    let mut stmt = conn
        .prepare_cached("SELECT code, version, effective_from, rates FROM fee_schedule ORDER BY code, version")
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(FeeSchedule {
                code: r.get(0)?,
                version: r.get(1)?,
                effective_from: date_at(r, 2)?,
                rates: json_at(r, 3)?,
            })
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn save_schedule(
    conn: &mut Connection,
    code: &str,
    effective_from: NaiveDate,
    rates: &FeeRates,
    by: &str,
    at: DateTime<Utc>,
    audit: &NewAuditEvent,
) -> StoreResult<FeeSchedule> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let version: i64 = tx
        .query_row(
            "INSERT INTO fee_schedule (code, version, effective_from, rates, saved_by, saved_at)
             SELECT ?1, coalesce(max(version), 0) + 1, ?2, ?3, ?4, ?5 FROM fee_schedule WHERE code = ?1
             RETURNING version",
            params![code, date_text(effective_from), json(rates)?, by, timestamp(at)],
            |r| r.get(0),
        )
        .map_err(map_err)?;
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| format!("{code} v{version}"));
    append_audit(&tx, &event)?;
    tx.commit().map_err(map_err)?;
    Ok(FeeSchedule { code: code.to_string(), version, effective_from, rates: rates.clone() })
}

/// An invoice logged with its request (`NewRoiRequest::invoice`) and its payments.
pub(super) fn insert_logged_invoice(
    tx: &Connection,
    request_id: i64,
    number: &RequestNumber,
    invoice: &NewInvoice,
    by: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let invoice_no = first_invoice_no(number);
    let record = FeeRecord {
        kind: FeeKind::Invoice,
        invoice_no: Some(invoice_no.clone()),
        quote: invoice.quote.clone(),
        issued_on: invoice.issued_on,
        by: by.to_string(),
        at,
    };
    insert_fee(tx, request_id, &record)?;
    for (paid_on, amount_cents) in &invoice.payments {
        let p = PaymentRecord {
            paid_on: *paid_on,
            amount_cents: *amount_cents,
            by: by.to_string(),
            at,
            invoice_no: Some(invoice_no.clone()),
        };
        tx.prepare_cached(
            "INSERT INTO roi_payment (request_id, paid_on, amount_cents, by_username, at, invoice_no)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![request_id, date_text(p.paid_on), p.amount_cents, p.by, timestamp(p.at), p.invoice_no])
        })
        .map_err(map_err)?;
    }
    Ok(())
}
