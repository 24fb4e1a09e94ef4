//! The counts of the Director's view of release of information on PostgreSQL: `sqlite/roi_stats.rs`,
//! statement for statement, with the same rows; a request's `released_on` is the desk's, written
//! with each release and void. The statements run in one read-only repeatable-read transaction, so that
//! the parts agree.

use super::PgResult;
use super::roi::corrupt;
use crate::domain::roi::RequestStatus;
use crate::domain::roi::fees::AdjustmentKind;
use crate::domain::roi::stats::StatsFacts;
use crate::store::roi::{OPEN_STAGES_END, RoiStatsQuery, stage};
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;

/// A statement's own parameters, and the facility after them when one is named.
fn with_facility<'a>(own: &[&'a (dyn ToSql + Sync)], facility: &'a Option<i64>) -> Vec<&'a (dyn ToSql + Sync)> {
    let mut all = own.to_vec();
    if let Some(id) = facility {
        all.push(id);
    }
    all
}

pub(super) async fn roi_stats_facts(c: &deadpool_postgres::Object, query: &RoiStatsQuery) -> PgResult<StatsFacts> {
    c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let facts = read(c, query).await;
    // A failed read leaves nothing to keep; either way the connection goes back to the pool idle.
    let end = if facts.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = c.batch_execute(end).await;
    let facts = facts?;
    ended?;
    Ok(facts)
}

async fn read(c: &impl GenericClient, query: &RoiStatsQuery) -> PgResult<StatsFacts> {
    let (from, to) = (query.period.from, query.period.to);
    let as_of = query.as_of;
    // The facility's requests only, when one is named: `r` is the request in every statement, and
    // the facility the parameter after the statement's own.
    let facility = |n: usize| match query.facility_id {
        Some(_) => format!(" AND r.facility_id = ${n}"),
        None => String::new(),
    };
    let facility_id = query.facility_id;

    let sql = format!(
        "SELECT r.received_on, count(*) FROM roi_request r
         WHERE r.received_on >= $1 AND r.received_on <= $2{}
         GROUP BY r.received_on",
        facility(3)
    );
    let mut received = Vec::new();
    for r in c.query(&c.prepare_cached(&sql).await?, &with_facility(&[&from, &to], &facility_id)).await? {
        received.push((r.try_get(0)?, r.try_get(1)?));
    }

    let sql = format!(
        "SELECT r.received_on, r.released_on, count(*) FROM roi_request r
         WHERE r.released_on >= $1 AND r.released_on <= $2{}
         GROUP BY r.released_on, r.received_on",
        facility(3)
    );
    let mut released = Vec::new();
    for r in c.query(&c.prepare_cached(&sql).await?, &with_facility(&[&from, &to], &facility_id)).await? {
        released.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?));
    }

    let sql = format!(
        "SELECT due_on, sum(n)::bigint FROM (
             SELECT r.due_on AS due_on, count(*) AS n FROM roi_request r
             WHERE r.stage < {OPEN_STAGES_END} AND r.received_on <= $1{f}
             GROUP BY r.due_on
             UNION ALL
             SELECT r.due_on, count(*) FROM roi_request r
             WHERE r.released_on > $1 AND r.stage >= {OPEN_STAGES_END} AND r.received_on <= $1{f}
             GROUP BY r.due_on) open
         GROUP BY due_on",
        f = facility(2)
    );
    let mut open_by_due = Vec::new();
    for r in c.query(&c.prepare_cached(&sql).await?, &with_facility(&[&as_of], &facility_id)).await? {
        open_by_due.push((r.try_get(0)?, r.try_get(1)?));
    }

    let sql = format!(
        "SELECT coalesce(r.status_reason, ''), count(*) FROM roi_request r
         WHERE r.stage = {} AND r.received_on <= $1{}
         GROUP BY 1",
        stage(RequestStatus::Pended),
        facility(2)
    );
    let mut pended = Vec::new();
    for r in c.query(&c.prepare_cached(&sql).await?, &with_facility(&[&to], &facility_id)).await? {
        pended.push((r.try_get(0)?, r.try_get(1)?));
    }

    let join = if facility_id.is_some() { " JOIN roi_request r ON r.id = f.request_id" } else { "" };
    let sql = format!(
        "SELECT f.issued_on, sum(f.total_cents)::bigint FROM roi_fee f{join}
         WHERE f.issued_on >= $1 AND f.issued_on <= $2 AND f.kind = 'invoice'{}
         GROUP BY f.issued_on",
        facility(3)
    );
    let mut invoiced = Vec::new();
    for r in c.query(&c.prepare_cached(&sql).await?, &with_facility(&[&from, &to], &facility_id)).await? {
        invoiced.push((r.try_get(0)?, r.try_get(1)?));
    }
    let sql = format!(
        "SELECT f.paid_on, sum(f.amount_cents)::bigint FROM roi_payment f{join}
         WHERE f.paid_on >= $1 AND f.paid_on <= $2{}
         GROUP BY f.paid_on",
        facility(3)
    );
    let mut paid = Vec::new();
    for r in c.query(&c.prepare_cached(&sql).await?, &with_facility(&[&from, &to], &facility_id)).await? {
        paid.push((r.try_get(0)?, r.try_get(1)?));
    }
    let sql = format!(
        "SELECT f.on_date, f.kind, sum(f.amount_cents)::bigint FROM roi_fee_adjustment f{join}
         WHERE f.on_date >= $1 AND f.on_date <= $2{}
         GROUP BY f.on_date, f.kind",
        facility(3)
    );
    let mut adjusted = Vec::new();
    for r in c.query(&c.prepare_cached(&sql).await?, &with_facility(&[&from, &to], &facility_id)).await? {
        let kind: &str = r.try_get(1)?;
        let kind = AdjustmentKind::parse(kind).ok_or_else(|| corrupt(format!("unknown adjustment {kind:?}")))?;
        adjusted.push((r.try_get(0)?, kind, r.try_get(2)?));
    }
    Ok(StatsFacts { received, released, open_by_due, pended, invoiced, paid, adjusted })
}
