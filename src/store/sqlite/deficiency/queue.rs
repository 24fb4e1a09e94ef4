//! The queue: pages per sort and filter, counts for the band, physician standings.

use super::*;

/// A physician's standing from a row of `p.id, p.npi, p.family, p.given, p.suspension_started_on,
/// p.suspension_ended_on, open count, delinquent count, oldest delinquent discharge`.
fn standing_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<PhysicianStanding> {
    let started: Option<String> = r.get(4)?;
    let ended: Option<String> = r.get(5)?;
    let oldest: Option<String> = r.get(8)?;
    Ok(PhysicianStanding {
        provider_id: r.get(0)?,
        npi: r.get(1)?,
        name: display_name(&r.get::<_, String>(2)?, &r.get::<_, String>(3)?, ""),
        open: r.get(6)?,
        delinquent: r.get(7)?,
        oldest_delinquent_discharge: oldest.as_deref().map(date),
        suspended_since: if ended.is_none() { started.as_deref().map(date) } else { None },
        leave: Vec::new(),
    })
}

/// A provider's leave that has not ended by `today`.
fn current_leave(conn: &Connection, provider_id: i64, today: NaiveDate) -> StoreResult<Vec<(NaiveDate, NaiveDate)>> {
    let mut leave = conn
        .prepare_cached(
            "SELECT from_on, to_on FROM provider_leave WHERE provider_id = ?1 AND to_on >= ?2 ORDER BY from_on",
        )
        .map_err(map_err)?;
    let rows = leave
        .query_map(params![provider_id, date_text(today)], |r| {
            Ok((date(&r.get::<_, String>(0)?), date(&r.get::<_, String>(1)?)))
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(in crate::store::sqlite) fn standings(conn: &Connection, today: NaiveDate) -> StoreResult<Vec<PhysicianStanding>> {
    let today_text = date_text(today);
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT p.id, p.npi, p.family, p.given, p.suspension_started_on, p.suspension_ended_on,
                    count(d.id),
                    coalesce(sum(d.delinquent_on <= ?1), 0),
                    min(CASE WHEN d.delinquent_on <= ?1 THEN d.event_on END)
             FROM provider p LEFT JOIN deficiency d ON d.provider_id = p.id AND d.status IN {OPEN}
             GROUP BY p.id
             HAVING count(d.id) > 0 OR (p.suspension_started_on IS NOT NULL AND p.suspension_ended_on IS NULL)
             ORDER BY 8 DESC, p.family, p.given"
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map([&today_text], standing_from_row)
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let mut out = Vec::with_capacity(rows.len());
    for mut standing in rows {
        standing.leave = current_leave(conn, standing.provider_id, today)?;
        out.push(standing);
    }
    Ok(out)
}

const QUEUE_COLUMNS: &str =
    "SELECT d.id, d.version, d.provider_id, pr.family, pr.given, d.type_code, t.name, t.category,
        d.status, p.mrn, p.family, p.given, e.account, f.code, e.service, d.event_on, d.delinquent_on, d.paused_days,
        p.id, e.id, t.days_to_dictate, t.days_to_sign, t.days_to_review, d.claimed_by, d.claimed_at, d.claim_until";

/// The FROM clause for each sort, its tables in the order the sort walks them (SQLite's CROSS JOIN
/// keeps that order), so a first page reads about a page of rows whatever the statistics say.
fn queue_from(sort: QueueSort, filtered_by_provider: bool, open_items: bool) -> String {
    /// The rest of the row, looked up from a deficiency that drives the walk.
    const FROM_DEFICIENCY: &str = "CROSS JOIN provider pr ON pr.id = d.provider_id
         CROSS JOIN encounter e ON e.id = d.encounter_id CROSS JOIN patient p ON p.id = e.patient_id
         JOIN deficiency_type t ON t.code = d.type_code JOIN facility f ON f.id = e.facility_id";
    if !open_items {
        // A status filter: the partial indexes do not apply; let the planner choose.
        return "FROM deficiency d JOIN provider pr ON pr.id = d.provider_id JOIN encounter e ON e.id = d.encounter_id
             JOIN patient p ON p.id = e.patient_id JOIN deficiency_type t ON t.code = d.type_code
             JOIN facility f ON f.id = e.facility_id"
            .to_string();
    }
    let driving_index = match (sort, filtered_by_provider) {
        (_, true) => "deficiency_open_by_provider",
        (QueueSort::Age, false) => "deficiency_open_by_age",
        (QueueSort::Type, false) => "deficiency_open_by_type",
        (QueueSort::Discharge, false) => "deficiency_open_by_discharge",
        (QueueSort::Physician, false) => {
            return "FROM provider pr INDEXED BY provider_name
             CROSS JOIN deficiency d INDEXED BY deficiency_open_by_provider ON d.provider_id = pr.id
             CROSS JOIN encounter e ON e.id = d.encounter_id CROSS JOIN patient p ON p.id = e.patient_id
             JOIN deficiency_type t ON t.code = d.type_code JOIN facility f ON f.id = e.facility_id"
                .to_string();
        }
        (QueueSort::Mrn, false) => {
            return "FROM patient p INDEXED BY sqlite_autoindex_patient_1
             CROSS JOIN encounter e INDEXED BY encounter_patient ON e.patient_id = p.id
             CROSS JOIN deficiency d INDEXED BY deficiency_open_by_encounter ON d.encounter_id = e.id
             CROSS JOIN provider pr ON pr.id = d.provider_id
             JOIN deficiency_type t ON t.code = d.type_code JOIN facility f ON f.id = e.facility_id"
                .to_string();
        }
    };
    format!("FROM deficiency d INDEXED BY {driving_index} {FROM_DEFICIENCY}")
}

fn queue_conditions(filter: &QueueFilter) -> (String, Vec<Box<dyn ToSql>>) {
    let mut conditions = vec![match filter.status {
        Some(status) => {
            let code: &'static str = status.code();
            format!("d.status = '{code}'")
        }
        None => format!("d.status IN {OPEN}"),
    }];
    let mut params: Vec<Box<dyn ToSql>> = Vec::new();
    if let Some(id) = filter.provider_id {
        conditions.push("d.provider_id = ?".into());
        params.push(Box::new(id));
    }
    if let Some(code) = &filter.type_code {
        conditions.push("d.type_code = ?".into());
        params.push(Box::new(code.clone()));
    }
    if let Some(category) = &filter.category {
        conditions.push("t.category = ?".into());
        params.push(Box::new(category.clone()));
    }
    if let Some(service) = &filter.service {
        conditions.push("e.service = ?".into());
        params.push(Box::new(service.clone()));
    }
    if let Some(facility) = &filter.facility {
        conditions.push("f.code = ?".into());
        params.push(Box::new(facility.clone()));
    }
    if let Some(mrn) = &filter.mrn {
        conditions.push("p.mrn = ?".into());
        params.push(Box::new(mrn.as_str().to_string()));
    }
    let today = filter.today.unwrap_or_default();
    if let Some(bucket) = filter.bucket {
        // age = today - event_on - paused, so event_on + paused lies between today - max and today - min.
        let (min, max) = bucket.days();
        let latest = date_text(today - Duration::days(min));
        let earliest = date_text(today - Duration::days(max.min(365 * 200)));
        conditions.push("date(d.event_on, '+' || d.paused_days || ' days') BETWEEN ? AND ?".into());
        params.push(Box::new(earliest));
        params.push(Box::new(latest));
    }
    if filter.delinquent_only {
        conditions.push("d.delinquent_on <= ?".into());
        params.push(Box::new(date_text(today)));
    }
    let now = timestamp(filter.now.unwrap_or_default());
    match &filter.claimed {
        Some(crate::store::ClaimFilter::By(holder)) => {
            conditions.push("d.claimed_by = ? AND d.claim_until > ?".into());
            params.push(Box::new(holder.clone()));
            params.push(Box::new(now));
        }
        Some(crate::store::ClaimFilter::Unclaimed) => {
            conditions.push("(d.claimed_by IS NULL OR d.claim_until <= ?)".into());
            params.push(Box::new(now));
        }
        None => {}
    }
    (conditions.join(" AND "), params)
}

pub(in crate::store::sqlite) fn queue_page(
    conn: &Connection,
    filter: &QueueFilter,
    sort: QueueSort,
    page: Page,
) -> StoreResult<QueuePage> {
    let (condition, mut params) = queue_conditions(filter);
    let by_provider = filter.provider_id.is_some();
    let order = match (sort, by_provider) {
        (_, true) => "d.delinquent_on, d.id",
        (QueueSort::Age, false) => "d.delinquent_on, d.id",
        (QueueSort::Physician, false) => "pr.family, pr.given, pr.id, d.delinquent_on, d.id",
        (QueueSort::Type, false) => "d.type_code, d.delinquent_on, d.id",
        (QueueSort::Mrn, false) => "p.mrn, e.patient_id, e.admit_at, d.id",
        (QueueSort::Discharge, false) => "d.event_on DESC, d.id DESC",
    };
    params.push(Box::new((page.limit + 1) as i64));
    params.push(Box::new(page.offset as i64));
    // One patient's items are few: walking from the patient reads only them, whatever the sort.
    // One clerk's taken items are few too: the planner reads them from the claims' index.
    let open_items = filter.status.is_none() && !matches!(filter.claimed, Some(crate::store::ClaimFilter::By(_)));
    let from = match filter.mrn {
        Some(_) => queue_from(QueueSort::Mrn, false, open_items),
        None => queue_from(sort, by_provider, open_items),
    };
    let sql = format!("{QUEUE_COLUMNS} {from} WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?");
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let mut rows = stmt
        .query_map(params_from_iter(params.iter()), |r| {
            let status: String = r.get(8)?;
            Ok(QueueRow {
                id: r.get(0)?,
                version: r.get(1)?,
                provider_id: r.get(2)?,
                physician: display_name(&r.get::<_, String>(3)?, &r.get::<_, String>(4)?, ""),
                type_code: r.get(5)?,
                type_name: r.get(6)?,
                category: r.get(7)?,
                status: DeficiencyStatus::from_code(&status).unwrap_or(DeficiencyStatus::Open),
                mrn: r.get(9)?,
                patient: display_name(&r.get::<_, String>(10)?, &r.get::<_, String>(11)?, ""),
                account: r.get(12)?,
                facility: r.get(13)?,
                service: r.get(14)?,
                event_on: date(&r.get::<_, String>(15)?),
                delinquent_on: date(&r.get::<_, String>(16)?),
                paused_days: r.get(17)?,
                patient_id: r.get(18)?,
                encounter_id: r.get(19)?,
                step_due: {
                    let status = DeficiencyStatus::from_code(&status).unwrap_or(DeficiencyStatus::Open);
                    let days = DeficiencyType {
                        days_to_dictate: r.get(20)?,
                        days_to_sign: r.get(21)?,
                        days_to_review: r.get(22)?,
                        ..DeficiencyType::default()
                    };
                    days.step_due(status, date(&r.get::<_, String>(15)?))
                },
                pauses: Vec::new(),
                claim: claim_from(r, 23)?,
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let has_more = rows.len() > page.limit;
    rows.truncate(page.limit);
    // The pauses of the page's paused items, so that a new pause can be checked against them.
    let mut pauses = conn
        .prepare_cached("SELECT from_on, to_on FROM aging_pause WHERE deficiency_id = ?1 ORDER BY from_on")
        .map_err(map_err)?;
    for row in rows.iter_mut().filter(|r| r.paused_days > 0) {
        row.pauses = pauses
            .query_map([row.id], |r| Ok((date(&r.get::<_, String>(0)?), date(&r.get::<_, String>(1)?))))
            .map_err(map_err)?
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
    }
    Ok(QueuePage { rows, has_more })
}

pub(in crate::store::sqlite) fn queue_counts(conn: &Connection, today: NaiveDate) -> StoreResult<QueueCounts> {
    let today_text = date_text(today);
    let (open, delinquent, delinquent_charts): (i64, i64, i64) = conn
        .query_row(
            &format!(
                "SELECT count(*), coalesce(sum(delinquent_on <= ?1), 0),
                        count(DISTINCT CASE WHEN delinquent_on <= ?1 THEN encounter_id END)
                 FROM deficiency WHERE status IN {OPEN}"
            ),
            [&today_text],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(map_err)?;
    let year_ago = format!("{}T00:00:00Z", date_text(today - Duration::days(365)));
    let through = format!("{}T00:00:00Z", date_text(today));
    let discharges_12_months: i64 = conn
        .query_row(
            "SELECT count(*) FROM encounter WHERE kind = 'INPATIENT' AND discharge_at >= ?1 AND discharge_at < ?2",
            params![year_ago, through],
            |r| r.get(0),
        )
        .map_err(map_err)?;
    let mut buckets = Vec::new();
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT julianday(?1) - julianday(event_on) - paused_days AS age, count(*) FROM deficiency
             WHERE status IN {OPEN} GROUP BY age"
        ))
        .map_err(map_err)?;
    let mut counts = [0i64; 5];
    let ages =
        stmt.query_map([&today_text], |r| Ok((r.get::<_, f64>(0)? as i64, r.get::<_, i64>(1)?))).map_err(map_err)?;
    for age in ages {
        let (age, n) = age.map_err(map_err)?;
        let index = AgeBucket::ALL.iter().position(|b| *b == AgeBucket::of(age)).unwrap_or(0);
        counts[index] += n;
    }
    for (bucket, n) in AgeBucket::ALL.iter().zip(counts) {
        buckets.push((*bucket, n));
    }
    let mut top = conn
        .prepare_cached(&format!(
            "SELECT pr.family, pr.given, count(*) AS n FROM deficiency d JOIN provider pr ON pr.id = d.provider_id
             WHERE d.status IN {OPEN} AND d.delinquent_on <= ?1 GROUP BY d.provider_id ORDER BY n DESC, pr.family LIMIT 10"
        ))
        .map_err(map_err)?;
    let top_physicians = top
        .query_map([&today_text], |r| {
            Ok((display_name(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?, ""), r.get::<_, i64>(2)?))
        })
        .map_err(map_err)?
        .collect::<Result<_, _>>()
        .map_err(map_err)?;
    Ok(QueueCounts { open, delinquent, delinquent_charts, discharges_12_months, buckets, top_physicians })
}

pub(in crate::store::sqlite) fn standing(
    conn: &Connection,
    provider_id: i64,
    today: NaiveDate,
) -> StoreResult<Option<PhysicianStanding>> {
    let today_text = date_text(today);
    let found = conn
        .query_row(
            &format!(
                "SELECT p.id, p.npi, p.family, p.given, p.suspension_started_on, p.suspension_ended_on,
                        count(d.id), coalesce(sum(d.delinquent_on <= ?2), 0),
                        min(CASE WHEN d.delinquent_on <= ?2 THEN d.event_on END)
                 FROM provider p LEFT JOIN deficiency d ON d.provider_id = p.id AND d.status IN {OPEN}
                 WHERE p.id = ?1 GROUP BY p.id"
            ),
            params![provider_id, today_text],
            standing_from_row,
        )
        .optional()
        .map_err(map_err)?;
    let Some(mut standing) = found else { return Ok(None) };
    standing.leave = current_leave(conn, provider_id, today)?;
    Ok(Some(standing))
}

pub(in crate::store::sqlite) fn queue_ids(conn: &Connection, filter: &QueueFilter) -> StoreResult<Vec<(i64, i64)>> {
    let (condition, params) = queue_conditions(filter);
    let sql = format!(
        "SELECT d.id, d.version FROM deficiency d JOIN deficiency_type t ON t.code = d.type_code
         JOIN encounter e ON e.id = d.encounter_id JOIN facility f ON f.id = e.facility_id{patient}
         WHERE {condition} ORDER BY d.id",
        patient = if filter.mrn.is_some() { " JOIN patient p ON p.id = e.patient_id" } else { "" }
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| Ok((r.get(0)?, r.get(1)?))).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(in crate::store::sqlite) fn queue_vocabulary(conn: &Connection) -> StoreResult<crate::store::QueueVocabulary> {
    let column = |sql: &str| -> StoreResult<Vec<String>> {
        let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(map_err)?;
        rows.collect::<Result<_, _>>().map_err(map_err)
    };
    Ok(crate::store::QueueVocabulary {
        types: column("SELECT code FROM deficiency_type ORDER BY code")?,
        categories: column("SELECT DISTINCT category FROM deficiency_type ORDER BY category")?,
        facilities: column("SELECT code FROM facility ORDER BY code")?,
        services: column(
            "SELECT DISTINCT e.service FROM deficiency d JOIN encounter e ON e.id = d.encounter_id
             WHERE e.service <> '' ORDER BY e.service",
        )?,
    })
}
