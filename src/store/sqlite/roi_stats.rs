//! The counts of the Director's view of release of information in SQLite
//! (`Store::roi_stats_facts`): grouped by day in the store, so that a year of 200,000 requests comes
//! back as a few thousand rows, and read in one transaction, so that the parts agree.
//!
//! A release is a request's first disclosure not voided (kept at noon UTC of its day, so its first
//! ten characters are the day). Migration 17's partial indexes on those disclosures, by request and
//! by day, find the ones first released in a period and those released after a day without reading
//! every disclosure; the fee, payment and adjustment indexes cover their queries by day.

use super::map_err;
use super::roi::{bad, date_at, optional_date_at};
use super::search::date_text;
use crate::domain::roi::RequestStatus;
use crate::domain::roi::fees::AdjustmentKind;
use crate::domain::roi::stats::StatsFacts;
use crate::store::StoreResult;
use crate::store::roi::{OPEN_STAGES_END, RoiStatsQuery, stage};
use chrono::Duration;
use rusqlite::{Connection, ToSql};

#[derive(Debug, thiserror::Error)]
#[error("unknown adjustment {0:?}")]
struct UnknownAdjustment(String);

/// Every stage a request can be at, for an index range per stage on (stage, received_on): SQLite
/// then reads only the period's entries of `roi_request_stage_received`.
fn all_stages() -> String {
    let stages: Vec<String> = RequestStatus::ALL.iter().map(|s| stage(*s).to_string()).collect();
    stages.join(", ")
}

pub(super) fn roi_stats_facts(conn: &Connection, query: &RoiStatsQuery) -> StoreResult<StatsFacts> {
    // One read transaction: a release committed between two of the statements is in all or none.
    let tx = conn.unchecked_transaction().map_err(map_err)?;
    let from = date_text(query.period.from);
    let next = date_text(query.period.to + Duration::days(1));
    let to = date_text(query.period.to);
    let as_of = date_text(query.as_of);
    let after_as_of = date_text(query.as_of + Duration::days(1));
    // The facility's requests only, when one is named: `r` is the request in every statement.
    let (facility, facility_param) = match query.facility_id {
        Some(id) => (" AND r.facility_id = :facility", Some(id)),
        None => ("", None),
    };

    let received = rows(
        &tx,
        &format!(
            "SELECT r.received_on, count(*) FROM roi_request r
             WHERE r.stage IN ({}) AND r.received_on >= :from AND r.received_on <= :to{facility}
             GROUP BY r.received_on",
            all_stages()
        ),
        &[(":from", &from), (":to", &to)],
        facility_param,
        |r| Ok((date_at(r, 0)?, r.get(1)?)),
    )?;

    // Requests with a disclosure in the period, kept only if none came before it.
    let released = rows(
        &tx,
        &format!(
            "SELECT r.received_on, substr(x.first, 1, 10), count(*)
             FROM (SELECT d.roi_request_id AS id, min(d.disclosed_at) AS first FROM disclosure d
                   WHERE d.roi_request_id IS NOT NULL AND d.voided_at IS NULL
                     AND d.disclosed_at >= :from AND d.disclosed_at < :next
                   GROUP BY d.roi_request_id) x
             JOIN roi_request r ON r.id = x.id
             WHERE NOT EXISTS (SELECT 1 FROM disclosure e
                               WHERE e.roi_request_id = x.id AND e.roi_request_id IS NOT NULL
                                 AND e.voided_at IS NULL AND e.disclosed_at < :from){facility}
             GROUP BY 1, 2"
        ),
        &[(":from", &from), (":next", &next)],
        facility_param,
        |r| Ok((date_at(r, 0)?, date_at(r, 1)?, r.get(2)?)),
    )?;

    // Open then: open now (received by then), or first released after it.
    let open_by_due = rows(
        &tx,
        &format!(
            "SELECT r.due_on, count(*) FROM roi_request r
             WHERE r.received_on <= :as_of{facility}
               AND (r.stage < {OPEN_STAGES_END}
                    OR r.id IN (SELECT d.roi_request_id FROM disclosure d
                                WHERE d.roi_request_id IS NOT NULL AND d.voided_at IS NULL
                                  AND d.disclosed_at >= :after
                                  AND NOT EXISTS (SELECT 1 FROM disclosure e
                                                  WHERE e.roi_request_id = d.roi_request_id
                                                    AND e.roi_request_id IS NOT NULL AND e.voided_at IS NULL
                                                    AND e.disclosed_at < :after)))
             GROUP BY r.due_on"
        ),
        &[(":as_of", &as_of), (":after", &after_as_of)],
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
