//! The counts of the Director's view of release of information in SQLite
//! (`Store::roi_stats_facts`): grouped by day in the store, so that a year of 200,000 requests comes
//! back as a few thousand rows, and read in one transaction, so that the parts agree.
//!
//! A release is a request's first disclosure not voided: its day is the request's `released_on`,
//! which the desk decides and writes with each release and void. Its indexes make each
//! part a range read in order: receipts and releases by day, the fees, payments and adjustments
//! covered by theirs.

use super::map_err;
use super::roi::{bad, date_at, optional_date_at};
use super::search::date_text;
use crate::domain::roi::RequestStatus;
use crate::domain::roi::fees::AdjustmentKind;
use crate::domain::roi::stats::StatsFacts;
use crate::store::StoreResult;
use crate::store::roi::{OPEN_STAGES_END, RoiStatsQuery, stage};
use rusqlite::{Connection, ToSql};

#[derive(Debug, thiserror::Error)]
#[error("unknown adjustment {0:?}")]
struct UnknownAdjustment(String);

pub(super) fn roi_stats_facts(conn: &Connection, query: &RoiStatsQuery) -> StoreResult<StatsFacts> {
    // One read transaction: a release committed between two of the statements is in all or none.
    let tx = conn.unchecked_transaction().map_err(map_err)?;
    let from = date_text(query.period.from);
    let to = date_text(query.period.to);
    let as_of = date_text(query.as_of);
    // The facility's requests only, when one is named: `r` is the request in every statement.
    let (facility, facility_param) = match query.facility_id {
        Some(id) => (" AND r.facility_id = :facility", Some(id)),
        None => ("", None),
    };

    let received = rows(
        &tx,
        &format!(
            "SELECT r.received_on, count(*) FROM roi_request r
             WHERE r.received_on >= :from AND r.received_on <= :to{facility}
             GROUP BY r.received_on"
        ),
        &[(":from", &from), (":to", &to)],
        facility_param,
        |r| Ok((date_at(r, 0)?, r.get(1)?)),
    )?;

    // Grouped in the order of `roi_request_released`, so that no sort is needed.
    let released = rows(
        &tx,
        &format!(
            "SELECT r.received_on, r.released_on, count(*) FROM roi_request r
             WHERE r.released_on >= :from AND r.released_on <= :to{facility}
             GROUP BY r.released_on, r.received_on"
        ),
        &[(":from", &from), (":to", &to)],
        facility_param,
        |r| Ok((date_at(r, 0)?, date_at(r, 1)?, r.get(2)?)),
    )?;

    // Open then: open now (received by then), or released after it; two ranges of two indexes
    // rather than one OR that reads every request. The unary `+` keeps SQLite from reading the
    // second by receipt (every request received by then) rather than by release (the few after).
    let open_by_due = rows(
        &tx,
        &format!(
            "SELECT due_on, sum(n) FROM (
                 SELECT r.due_on AS due_on, count(*) AS n FROM roi_request r
                 WHERE r.stage < {OPEN_STAGES_END} AND r.received_on <= :as_of{facility}
                 GROUP BY r.due_on
                 UNION ALL
                 SELECT r.due_on, count(*) FROM roi_request r
                 WHERE r.released_on > :as_of AND +r.stage >= {OPEN_STAGES_END} AND +r.received_on <= :as_of{facility}
                 GROUP BY r.due_on)
             GROUP BY due_on"
        ),
        &[(":as_of", &as_of)],
        facility_param,
        |r| Ok((optional_date_at(r, 0)?, r.get(1)?)),
    )?;

    let pended = rows(
        &tx,
        &format!(
            "SELECT coalesce(r.status_reason, ''), count(*) FROM roi_request r
             WHERE r.stage = {} AND r.received_on <= :to{facility}
             GROUP BY 1",
            stage(RequestStatus::Pended)
        ),
        &[(":to", &to)],
        facility_param,
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;

    let join = if facility_param.is_some() { " JOIN roi_request r ON r.id = f.request_id" } else { "" };
    let invoiced = rows(
        &tx,
        &format!(
            "SELECT f.issued_on, sum(f.total_cents) FROM roi_fee f{join}
             WHERE f.issued_on >= :from AND f.issued_on <= :to AND f.kind = 'invoice'{facility}
             GROUP BY f.issued_on"
        ),
        &[(":from", &from), (":to", &to)],
        facility_param,
        |r| Ok((date_at(r, 0)?, r.get(1)?)),
    )?;
    let paid = rows(
        &tx,
        &format!(
            "SELECT f.paid_on, sum(f.amount_cents) FROM roi_payment f{join}
             WHERE f.paid_on >= :from AND f.paid_on <= :to{facility}
             GROUP BY f.paid_on"
        ),
        &[(":from", &from), (":to", &to)],
        facility_param,
        |r| Ok((date_at(r, 0)?, r.get(1)?)),
    )?;
    let adjusted = rows(
        &tx,
        &format!(
            "SELECT f.on_date, f.kind, sum(f.amount_cents) FROM roi_fee_adjustment f{join}
             WHERE f.on_date >= :from AND f.on_date <= :to{facility}
             GROUP BY f.on_date, f.kind"
        ),
        &[(":from", &from), (":to", &to)],
        facility_param,
        |r| {
            let kind: String = r.get(1)?;
            let kind = AdjustmentKind::parse(&kind).ok_or_else(|| bad(1)(UnknownAdjustment(kind.clone())))?;
            Ok((date_at(r, 0)?, kind, r.get(2)?))
        },
    )?;
    tx.finish().map_err(map_err)?;
    Ok(StatsFacts { received, released, open_by_due, pended, invoiced, paid, adjusted })
}

/// Every row of `sql`, its named parameters bound, `:facility` among them when one is named.
fn rows<T>(
    conn: &Connection,
    sql: &str,
    named: &[(&str, &dyn ToSql)],
    facility: Option<i64>,
    map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut params: Vec<(&str, &dyn ToSql)> = named.to_vec();
    if let Some(id) = facility.as_ref() {
        params.push((":facility", id));
    }
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let found = stmt.query_map(params.as_slice(), map).map_err(map_err)?;
    found.collect::<Result<_, _>>().map_err(map_err)
}
