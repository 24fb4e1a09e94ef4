//! Release-of-information fees on PostgreSQL (schema migration 8): `sqlite/fees.rs`, statement for
//! statement. Rows are only inserted.

use super::PgResult;
use super::admin::append_audit;
use super::roi::{corrupt, from_json, json};
use crate::domain::audit::NewAuditEvent;
use crate::domain::roi::RequestNumber;
use crate::domain::roi::fees::{AdjustmentKind, FeeRates, FeeSchedule, Quote};
use crate::store::roi::{FeeAdjustment, FeeKind, FeeRecord, NewRoiRequest, first_invoice_no};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{GenericClient, Transaction};

pub(super) async fn fees_of(c: &impl GenericClient, request_id: i64) -> PgResult<Vec<FeeRecord>> {
    let stmt = c
        .prepare_cached(
            "SELECT kind, invoice_no, schedule_code, schedule_version, basis, issued_on, lines, total_cents,
                    by_username, at
             FROM roi_fee WHERE request_id = $1 ORDER BY id",
        )
        .await?;
    let mut fees = Vec::new();
    for r in c.query(&stmt, &[&request_id]).await? {
        let kind: &str = r.try_get(0)?;
        fees.push(FeeRecord {
            kind: FeeKind::parse(kind).ok_or_else(|| corrupt(format!("unknown fee kind {kind:?}")))?,
            invoice_no: r.try_get(1)?,
            quote: Quote {
                schedule: r.try_get(2)?,
                version: r.try_get(3)?,
                basis: r.try_get(4)?,
                lines: from_json(r.try_get(6)?)?,
                total_cents: r.try_get(7)?,
            },
            issued_on: r.try_get(5)?,
            by: r.try_get(8)?,
            at: r.try_get(9)?,
        });
    }
    Ok(fees)
}

pub(super) async fn adjustments_of(c: &impl GenericClient, request_id: i64) -> PgResult<Vec<FeeAdjustment>> {
    let stmt = c
        .prepare_cached(
            "SELECT invoice_no, kind, on_date, amount_cents, reason, by_username, at
             FROM roi_fee_adjustment WHERE request_id = $1 ORDER BY id",
        )
        .await?;
    let mut adjustments = Vec::new();
    for r in c.query(&stmt, &[&request_id]).await? {
        let kind: &str = r.try_get(1)?;
        adjustments.push(FeeAdjustment {
            invoice_no: r.try_get(0)?,
            kind: AdjustmentKind::parse(kind).ok_or_else(|| corrupt(format!("unknown adjustment {kind:?}")))?,
            on: r.try_get(2)?,
            amount_cents: r.try_get(3)?,
            reason: r.try_get(4)?,
            by: r.try_get(5)?,
            at: r.try_get(6)?,
        });
    }
    Ok(adjustments)
}

pub(super) async fn insert_fee(tx: &Transaction<'_>, request_id: i64, fee: &FeeRecord) -> PgResult<()> {
    tx.execute(
        "INSERT INTO roi_fee (request_id, kind, invoice_no, schedule_code, schedule_version, basis, issued_on, lines,
             total_cents, by_username, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        &[
            &request_id,
            &fee.kind.code(),
            &fee.invoice_no,
            &fee.quote.schedule,
            &fee.quote.version,
            &fee.quote.basis,
            &fee.issued_on,
            &json(&fee.quote.lines)?,
            &fee.quote.total_cents,
            &fee.by,
            &fee.at,
        ],
    )
    .await?;
    Ok(())
}

pub(super) async fn insert_adjustment(tx: &Transaction<'_>, request_id: i64, a: &FeeAdjustment) -> PgResult<()> {
    tx.execute(
        "INSERT INTO roi_fee_adjustment (request_id, invoice_no, kind, on_date, amount_cents, reason, by_username, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[&request_id, &a.invoice_no, &a.kind.code(), &a.on, &a.amount_cents, &a.reason, &a.by, &a.at],
    )
    .await?;
    Ok(())
}

pub(super) async fn schedules(c: &impl GenericClient) -> PgResult<Vec<FeeSchedule>> {
    let stmt = c
        .prepare_cached("SELECT code, version, effective_from, rates FROM fee_schedule ORDER BY code, version")
        .await?;
    let mut schedules = Vec::new();
    for r in c.query(&stmt, &[]).await? {
        schedules.push(FeeSchedule {
            code: r.try_get(0)?,
            version: r.try_get(1)?,
            effective_from: r.try_get(2)?,
            rates: from_json(r.try_get(3)?)?,
        });
    }
    Ok(schedules)
}

pub(super) async fn save_schedule(
    tx: &Transaction<'_>,
    code: &str,
    effective_from: NaiveDate,
    rates: &FeeRates,
    by: &str,
    at: DateTime<Utc>,
    audit: &NewAuditEvent,
) -> PgResult<FeeSchedule> {
    // Two Directors saving one code at once: the second waits, then numbers after the first.
    tx.execute("SELECT pg_advisory_xact_lock(hashtextextended('chartroom.fee_schedule.' || $1::text, 0))", &[&code])
        .await?;
    let row = tx
        .query_one(
            "INSERT INTO fee_schedule (code, version, effective_from, rates, saved_by, saved_at)
             SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM fee_schedule WHERE code = $1
             RETURNING version",
            &[&code, &effective_from, &json(rates)?, &by, &at],
        )
        .await?;
    let version: i64 = row.try_get(0)?;
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| format!("{code} v{version}"));
    append_audit(tx, &event).await?;
    Ok(FeeSchedule { code: code.to_string(), version, effective_from, rates: rates.clone() })
}

/// The invoices logged with their requests (`NewRoiRequest::invoice`) and their payments, a
/// statement for each table, as the requests themselves are written.
pub(super) async fn insert_logged_invoices(
    tx: &Transaction<'_>,
    ids: &[i64],
    numbers: &[RequestNumber],
    requests: &[NewRoiRequest],
) -> PgResult<()> {
    let (mut request, mut invoice_no, mut code, mut version, mut basis) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut issued, mut lines, mut total, mut by, mut at) = (vec![], vec![], vec![], vec![], vec![]);
    let (mut p_request, mut p_on, mut p_amount, mut p_by, mut p_at, mut p_invoice) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for ((id, number), r) in ids.iter().zip(numbers).zip(requests) {
        let Some(invoice) = &r.invoice else { continue };
        let no = first_invoice_no(number);
        request.push(*id);
        invoice_no.push(no.clone());
        code.push(invoice.quote.schedule.clone());
        version.push(invoice.quote.version);
        basis.push(invoice.quote.basis.clone());
        issued.push(invoice.issued_on);
        lines.push(json(&invoice.quote.lines)?);
        total.push(invoice.quote.total_cents);
        by.push(r.logged_by.clone());
        at.push(r.logged_at);
        for (paid_on, amount) in &invoice.payments {
            p_request.push(*id);
            p_on.push(*paid_on);
            p_amount.push(*amount);
            p_by.push(r.logged_by.clone());
            p_at.push(r.logged_at);
            p_invoice.push(no.clone());
        }
    }
    if request.is_empty() {
        return Ok(());
    }
    let stmt = tx
        .prepare_cached(
            "INSERT INTO roi_fee (request_id, kind, invoice_no, schedule_code, schedule_version, basis, issued_on, lines,
                 total_cents, by_username, at)
             SELECT u.request, 'invoice', u.no, u.code, u.version, u.basis, u.issued, u.lines, u.total, u.who, u.at
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::date[], $7::text[],
                 $8::bigint[], $9::text[], $10::timestamptz[])
                 AS u(request, no, code, version, basis, issued, lines, total, who, at)",
        )
        .await?;
    tx.execute(&stmt, &[&request, &invoice_no, &code, &version, &basis, &issued, &lines, &total, &by, &at]).await?;
    if !p_request.is_empty() {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO roi_payment (request_id, paid_on, amount_cents, by_username, at, invoice_no)
                 SELECT * FROM unnest($1::bigint[], $2::date[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[])",
            )
            .await?;
        tx.execute(&stmt, &[&p_request, &p_on, &p_amount, &p_by, &p_at, &p_invoice]).await?;
    }
    Ok(())
}
