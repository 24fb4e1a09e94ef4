//! The queue: pages per sort and filter, counts for the band, physician standings.

use super::*;

/// A physician's standing from a row of `p.id, p.npi, p.family, p.given, p.suspension_started_on,
/// p.suspension_ended_on, open count, delinquent count, oldest delinquent discharge`.
fn standing_from_row(r: &Row) -> PgResult<PhysicianStanding> {
    let started: Option<NaiveDate> = r.try_get(4)?;
    let ended: Option<NaiveDate> = r.try_get(5)?;
    Ok(PhysicianStanding {
        provider_id: r.try_get(0)?,
        npi: r.try_get(1)?,
        name: display_name(&r.try_get::<_, String>(2)?, &r.try_get::<_, String>(3)?, ""),
        open: r.try_get(6)?,
        delinquent: r.try_get(7)?,
        oldest_delinquent_discharge: r.try_get(8)?,
        suspended_since: if ended.is_none() { started } else { None },
        leave: Vec::new(),
    })
}

/// The columns of a standing, over `provider p LEFT JOIN` its open items `d`, counted to `$1`.
const STANDING_COLUMNS: &str = "SELECT p.id, p.npi, p.family, p.given, p.suspension_started_on, p.suspension_ended_on,
            count(d.id),
            count(d.id) FILTER (WHERE d.delinquent_on <= $1),
            min(d.event_on) FILTER (WHERE d.delinquent_on <= $1)";

/// A provider's leave that has not ended by `today`.
async fn current_leave(
    c: &impl GenericClient,
    provider_id: i64,
    today: NaiveDate,
) -> PgResult<Vec<(NaiveDate, NaiveDate)>> {
    let stmt = c
        .prepare_cached(
            "SELECT from_on, to_on FROM provider_leave WHERE provider_id = $1 AND to_on >= $2 ORDER BY from_on",
        )
        .await?;
    c.query(&stmt, &[&provider_id, &today]).await?.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

pub(in crate::store::postgres) async fn standings(
    c: &impl GenericClient,
    today: NaiveDate,
) -> PgResult<Vec<PhysicianStanding>> {
    // Ties (same count, same name) keep the providers' order, as SQLite's grouping by id leaves them.
    let stmt = c
        .prepare_cached(&format!(
            "{STANDING_COLUMNS}
             FROM provider p LEFT JOIN deficiency d ON d.provider_id = p.id AND d.status IN {OPEN}
             GROUP BY p.id
             HAVING count(d.id) > 0 OR (p.suspension_started_on IS NOT NULL AND p.suspension_ended_on IS NULL)
             ORDER BY 8 DESC, p.family, p.given, p.id"
        ))
        .await?;
    let rows = c.query(&stmt, &[&today]).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut standing = standing_from_row(row)?;
        standing.leave = current_leave(c, standing.provider_id, today).await?;
        out.push(standing);
    }
    Ok(out)
}

pub(in crate::store::postgres) async fn standing(
    c: &impl GenericClient,
    provider_id: i64,
    today: NaiveDate,
) -> PgResult<Option<PhysicianStanding>> {
    let stmt = c
        .prepare_cached(&format!(
            "{STANDING_COLUMNS}
             FROM provider p LEFT JOIN deficiency d ON d.provider_id = p.id AND d.status IN {OPEN}
             WHERE p.id = $2 GROUP BY p.id"
        ))
        .await?;
    let Some(row) = c.query_opt(&stmt, &[&today, &provider_id]).await? else { return Ok(None) };
    let mut standing = standing_from_row(&row)?;
    standing.leave = current_leave(c, provider_id, today).await?;
    Ok(Some(standing))
}

const QUEUE_COLUMNS: &str =
    "SELECT d.id, d.version, d.provider_id, pr.family, pr.given, d.type_code, t.name, t.category,
        d.status, p.mrn, p.family, p.given, e.account, f.code, e.service, d.event_on, d.delinquent_on, d.paused_days,
        p.id, e.id, t.days_to_dictate, t.days_to_sign, t.days_to_review, d.claimed_by, d.claimed_at, d.claim_until";

const QUEUE_FROM: &str = "FROM deficiency d JOIN provider pr ON pr.id = d.provider_id
     JOIN encounter e ON e.id = d.encounter_id JOIN patient p ON p.id = e.patient_id
     JOIN deficiency_type t ON t.code = d.type_code JOIN facility f ON f.id = e.facility_id";

/// The filter as SQL after `WHERE`, its parameters added to `params`. The open statuses are written
/// as the partial indexes' own predicate, so the planner may walk them.
fn queue_conditions(filter: &QueueFilter, params: &mut Params) -> String {
    let mut conditions = vec![match filter.status {
        Some(status) => {
            let code: &'static str = status.code();
            format!("d.status = '{code}'")
        }
        None => format!("d.status IN {OPEN}"),
    }];
    if let Some(id) = filter.provider_id {
        conditions.push(format!("d.provider_id = {}", params.add(id)));
    }
    if let Some(code) = &filter.type_code {
        conditions.push(format!("d.type_code = {}", params.add(code.clone())));
    }
    if let Some(category) = &filter.category {
        conditions.push(format!("t.category = {}", params.add(category.clone())));
    }
    if let Some(service) = &filter.service {
        conditions.push(format!("e.service = {}", params.add(service.clone())));
    }
    if let Some(facility) = &filter.facility {
        conditions.push(format!("f.code = {}", params.add(facility.clone())));
    }
    if let Some(mrn) = &filter.mrn {
        conditions.push(format!("p.mrn = {}", params.add(mrn.as_str().to_string())));
    }
    let today = filter.today.unwrap_or_default();
    if let Some(bucket) = filter.bucket {
        // age = today - event_on - paused, so event_on + paused lies between today - max and today - min.
        let (min, max) = bucket.days();
        let latest = today - Duration::days(min);
        let earliest = today - Duration::days(max.min(365 * 200));
        conditions.push(format!(
            "d.event_on + d.paused_days::integer BETWEEN {} AND {}",
            params.add(earliest),
            params.add(latest)
        ));
    }
    if filter.delinquent_only {
        conditions.push(format!("d.delinquent_on <= {}", params.add(today)));
    }
    let now = filter.now.unwrap_or_default();
    match &filter.claimed {
        Some(ClaimFilter::By(holder)) => {
            conditions.push(format!(
                "d.claimed_by = {} AND d.claim_until > {}",
                params.add(holder.clone()),
                params.add(now)
            ));
        }
        Some(ClaimFilter::Unclaimed) => {
            conditions.push(format!("(d.claimed_by IS NULL OR d.claim_until <= {})", params.add(now)));
        }
        None => {}
    }
    conditions.join(" AND ")
}

fn queue_row(r: &Row) -> PgResult<QueueRow> {
    let status = status_of(&r.try_get::<_, String>(8)?);
    let event_on: NaiveDate = r.try_get(15)?;
    let days = DeficiencyType {
        days_to_dictate: r.try_get(20)?,
        days_to_sign: r.try_get(21)?,
        days_to_review: r.try_get(22)?,
        ..DeficiencyType::default()
    };
    Ok(QueueRow {
        id: r.try_get(0)?,
        version: r.try_get(1)?,
        provider_id: r.try_get(2)?,
        physician: display_name(&r.try_get::<_, String>(3)?, &r.try_get::<_, String>(4)?, ""),
        type_code: r.try_get(5)?,
        type_name: r.try_get(6)?,
        category: r.try_get(7)?,
        status,
        mrn: r.try_get(9)?,
        patient: display_name(&r.try_get::<_, String>(10)?, &r.try_get::<_, String>(11)?, ""),
        account: r.try_get(12)?,
        facility: r.try_get(13)?,
        service: r.try_get(14)?,
        event_on,
        delinquent_on: r.try_get(16)?,
        paused_days: r.try_get(17)?,
        patient_id: r.try_get(18)?,
        encounter_id: r.try_get(19)?,
        step_due: days.step_due(status, event_on),
        pauses: Vec::new(),
        claim: claim_from(r, 23)?,
    })
}

/// The pauses of each of `ids`, oldest first.
pub(super) async fn pauses_of(
    c: &impl GenericClient,
    ids: Vec<i64>,
) -> PgResult<HashMap<i64, Vec<(NaiveDate, NaiveDate)>>> {
    let mut out: HashMap<i64, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let stmt = c
        .prepare_cached(
            "SELECT deficiency_id, from_on, to_on FROM aging_pause WHERE deficiency_id = ANY($1)
             ORDER BY deficiency_id, from_on, id",
        )
        .await?;
    for r in c.query(&stmt, &[&ids]).await? {
        out.entry(r.try_get(0)?).or_default().push((r.try_get(1)?, r.try_get(2)?));
    }
    Ok(out)
}

pub(in crate::store::postgres) async fn queue_page(
    c: &impl GenericClient,
    filter: &QueueFilter,
    sort: QueueSort,
    page: Page,
) -> PgResult<QueuePage> {
    let mut params = Params::default();
    let condition = queue_conditions(filter, &mut params);
    // The same orders as SQLite's, each ending on a unique key so that pages never overlap or skip.
    let order = match (sort, filter.provider_id.is_some()) {
        (_, true) => "d.delinquent_on, d.id",
        (QueueSort::Age, false) => "d.delinquent_on, d.id",
        (QueueSort::Physician, false) => "pr.family, pr.given, pr.id, d.delinquent_on, d.id",
        (QueueSort::Type, false) => "d.type_code, d.delinquent_on, d.id",
        (QueueSort::Mrn, false) => "p.mrn, e.patient_id, e.admit_at, d.id",
        (QueueSort::Discharge, false) => "d.event_on DESC, d.id DESC",
    };
    let limit = params.add((page.limit + 1) as i64);
    let offset = params.add(page.offset as i64);
    let sql = format!("{QUEUE_COLUMNS} {QUEUE_FROM} WHERE {condition} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    let stmt = c.prepare_cached(&sql).await?;
    let mut rows = c.query(&stmt, &params.refs()).await?.iter().map(queue_row).collect::<PgResult<Vec<_>>>()?;
    let has_more = rows.len() > page.limit;
    rows.truncate(page.limit);
    // The pauses of the page's paused items, so that a new pause can be checked against them.
    let paused = rows.iter().filter(|r| r.paused_days > 0).map(|r| r.id).collect();
    let mut pauses = pauses_of(c, paused).await?;
    for row in rows.iter_mut().filter(|r| r.paused_days > 0) {
        row.pauses = pauses.remove(&row.id).unwrap_or_default();
    }
    Ok(QueuePage { rows, has_more })
}

pub(in crate::store::postgres) async fn queue_counts(
    c: &impl GenericClient,
    today: NaiveDate,
) -> PgResult<QueueCounts> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT count(*), count(*) FILTER (WHERE delinquent_on <= $1),
                    count(DISTINCT encounter_id) FILTER (WHERE delinquent_on <= $1)
             FROM deficiency WHERE status IN {OPEN}"
        ))
        .await?;
    let row = c.query_one(&stmt, &[&today]).await?;
    let (open, delinquent, delinquent_charts): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let stmt = c
        .prepare_cached(
            "SELECT count(*) FROM encounter WHERE kind = 'INPATIENT' AND discharge_at >= $1 AND discharge_at < $2",
        )
        .await?;
    let year_ago = midnight_utc(today - Duration::days(365));
    let discharges_12_months: i64 = c.query_one(&stmt, &[&year_ago, &midnight_utc(today)]).await?.try_get(0)?;
    let stmt = c
        .prepare_cached(&format!(
            "SELECT $1::date - event_on - paused_days AS age, count(*) FROM deficiency
             WHERE status IN {OPEN} GROUP BY 1"
        ))
        .await?;
    let mut counts = [0i64; 5];
    for r in c.query(&stmt, &[&today]).await? {
        let (age, n): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
        let index = AgeBucket::ALL.iter().position(|b| *b == AgeBucket::of(age)).unwrap_or(0);
        counts[index] += n;
    }
    let buckets = AgeBucket::ALL.iter().copied().zip(counts).collect();
    // Ties keep the providers' order, as SQLite's grouping by provider leaves them.
    let stmt = c
        .prepare_cached(&format!(
            "SELECT pr.family, pr.given, count(*) AS n FROM deficiency d JOIN provider pr ON pr.id = d.provider_id
             WHERE d.status IN {OPEN} AND d.delinquent_on <= $1 GROUP BY pr.id
             ORDER BY n DESC, pr.family, pr.id LIMIT 10"
        ))
        .await?;
    let top_physicians = c
        .query(&stmt, &[&today])
        .await?
        .iter()
        .map(|r| Ok((display_name(&r.try_get::<_, String>(0)?, &r.try_get::<_, String>(1)?, ""), r.try_get(2)?)))
        .collect::<PgResult<_>>()?;
    Ok(QueueCounts { open, delinquent, delinquent_charts, discharges_12_months, buckets, top_physicians })
}

pub(in crate::store::postgres) async fn queue_ids(
    c: &impl GenericClient,
    filter: &QueueFilter,
) -> PgResult<Vec<(i64, i64)>> {
    let mut params = Params::default();
    let condition = queue_conditions(filter, &mut params);
    let sql = format!(
        "SELECT d.id, d.version FROM deficiency d JOIN deficiency_type t ON t.code = d.type_code
         JOIN encounter e ON e.id = d.encounter_id JOIN facility f ON f.id = e.facility_id{patient}
         WHERE {condition} ORDER BY d.id",
        patient = if filter.mrn.is_some() { " JOIN patient p ON p.id = e.patient_id" } else { "" }
    );
    let stmt = c.prepare_cached(&sql).await?;
    c.query(&stmt, &params.refs()).await?.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

pub(in crate::store::postgres) async fn queue_vocabulary(c: &impl GenericClient) -> PgResult<QueueVocabulary> {
    async fn column(c: &impl GenericClient, sql: &str) -> PgResult<Vec<String>> {
        let stmt = c.prepare_cached(sql).await?;
        c.query(&stmt, &[]).await?.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
    Ok(QueueVocabulary {
        types: column(c, "SELECT code FROM deficiency_type ORDER BY code").await?,
        categories: column(c, "SELECT DISTINCT category FROM deficiency_type ORDER BY category").await?,
        facilities: column(c, "SELECT code FROM facility ORDER BY code").await?,
        services: column(
            c,
            "SELECT DISTINCT e.service FROM deficiency d JOIN encounter e ON e.id = d.encounter_id
             WHERE e.service <> '' ORDER BY e.service",
        )
        .await?,
    })
}
