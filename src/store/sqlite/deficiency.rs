//! Chart completion in SQLite: analysis, the queue, notices, completion, leave and suspension.

use super::admin::{append_audit, timestamp};
use super::map_err;
use super::search::{date_text, parse_date};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::chart::{DeficiencyStatus, DeficiencyType, DocumentStatus, EncounterKind};
use crate::domain::deficiency::{AgeBucket, DeficiencyPolicy, NoticeLevel, SeedDocument};
use crate::domain::names::display_name;
use crate::store::deficiencies::{NoticeLine, QueueRow};
use crate::store::{
    CompletionOutcome, DischargedEncounter, NewSeededDeficiency, NoticeDraft, NoticeRecord, OpenItem, Page,
    PhysicianStanding, QueueCounts, QueueFilter, QueuePage, QueueSort, StoreError, StoreResult,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};

const OPEN: &str = "('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED')";

fn date(text: &str) -> NaiveDate {
    parse_date(text).unwrap_or_default()
}

pub(super) fn policy(conn: &Connection) -> StoreResult<DeficiencyPolicy> {
    conn.query_row(
        "SELECT notice_days, final_notice_days, delinquent_days FROM deficiency_policy WHERE id = 1",
        [],
        |r| Ok(DeficiencyPolicy { notice_days: r.get(0)?, final_notice_days: r.get(1)?, delinquent_days: r.get(2)? }),
    )
    .map_err(map_err)
}

pub(super) fn set_policy(conn: &mut Connection, p: &DeficiencyPolicy, audit: &NewAuditEvent) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    tx.execute(
        "UPDATE deficiency_policy SET notice_days = ?1, final_notice_days = ?2, delinquent_days = ?3, version = version + 1
         WHERE id = 1",
        params![p.notice_days, p.final_notice_days, p.delinquent_days],
    )
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

pub(super) fn types(conn: &Connection) -> StoreResult<Vec<DeficiencyType>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT code, name, abbreviation, category, level, responsible, days_to_dictate, days_to_sign, days_to_review,
                    standard_for, document_type
             FROM deficiency_type WHERE active = 1 ORDER BY code",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            let standard: String = r.get(9)?;
            Ok(DeficiencyType {
                code: r.get(0)?,
                name: r.get(1)?,
                abbreviation: r.get(2)?,
                category: r.get(3)?,
                level: r.get(4)?,
                responsible: r.get(5)?,
                days_to_dictate: r.get(6)?,
                days_to_sign: r.get(7)?,
                days_to_review: r.get(8)?,
                standard_for: standard.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                document_type: r.get(10)?,
            })
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn encounters_to_analyse(
    conn: &Connection,
    after: Option<NaiveDate>,
    through: NaiveDate,
) -> StoreResult<Vec<DischargedEncounter>> {
    // Discharge instants are UTC; the day boundary is the day after `through` at midnight.
    let upper = format!("{}T00:00:00Z", date_text(through + Duration::days(1)));
    let lower = after.map(|a| format!("{}T00:00:00Z", date_text(a + Duration::days(1)))).unwrap_or_default();
    let mut stmt = conn
        .prepare_cached(
            "SELECT e.id, e.account, e.kind, e.attending_id, e.discharge_at, e.facility_id FROM encounter e
             WHERE e.kind = 'INPATIENT' AND e.discharge_at >= ?1 AND e.discharge_at < ?2
               AND NOT EXISTS (SELECT 1 FROM chart_completion c WHERE c.encounter_id = e.id)
             ORDER BY e.discharge_at, e.id",
        )
        .map_err(map_err)?;
    let found = stmt
        .query_map(params![lower, upper], |r| {
            let kind: String = r.get(2)?;
            let discharge: String = r.get(4)?;
            Ok(DischargedEncounter {
                encounter_id: r.get(0)?,
                facility_id: r.get(5)?,
                account: r.get(1)?,
                kind: EncounterKind::from_code(&kind).unwrap_or(EncounterKind::Inpatient),
                attending_id: r.get(3)?,
                discharged_on: date(discharge.get(..10).unwrap_or("")),
                documents: Vec::new(),
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let mut docs = conn
        .prepare_cached("SELECT id, doc_type, status, author_id FROM document WHERE encounter_id = ?1 ORDER BY id")
        .map_err(map_err)?;
    let mut out = Vec::with_capacity(found.len());
    for mut encounter in found {
        encounter.documents = docs
            .query_map([encounter.encounter_id], |r| {
                let status: String = r.get(2)?;
                Ok(SeedDocument {
                    id: r.get(0)?,
                    doc_type: r.get(1)?,
                    status: DocumentStatus::from_code(&status).unwrap_or(DocumentStatus::Undictated),
                    author_id: r.get(3)?,
                })
            })
            .map_err(map_err)?
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        out.push(encounter);
    }
    Ok(out)
}

pub(super) fn record_analysis(
    conn: &mut Connection,
    analysed: &[(i64, NaiveDate, Vec<NewSeededDeficiency>)],
    audit: &NewAuditEvent,
) -> StoreResult<usize> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let mut created = 0;
    {
        let mut completion = tx
            .prepare_cached(
                "INSERT INTO chart_completion (encounter_id, status, received_on, completed_on) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (encounter_id) DO NOTHING",
            )
            .map_err(map_err)?;
        let mut deficiency = tx
            .prepare_cached(
                "INSERT INTO deficiency (chart_completion_id, encounter_id, document_id, type_code, provider_id, status,
                     event_on, delinquent_on, created_at)
                 VALUES ((SELECT id FROM chart_completion WHERE encounter_id = ?1), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(map_err)?;
        let mut history = tx
            .prepare_cached(
                "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note)
                 VALUES (?1, ?2, ?3, NULL, ?4, 'seeded at discharge analysis')",
            )
            .map_err(map_err)?;
        for (encounter_id, received_on, seeds) in analysed {
            let status = if seeds.is_empty() { "COMPLETE" } else { "INCOMPLETE" };
            let completed_on = seeds.is_empty().then(|| date_text(*received_on));
            let inserted = completion
                .execute(params![encounter_id, status, date_text(*received_on), completed_on])
                .map_err(map_err)?;
            if inserted == 0 {
                continue; // analysed by a concurrent run meanwhile
            }
            for seed in seeds {
                deficiency
                    .execute(params![
                        seed.encounter_id,
                        seed.document_id,
                        seed.type_code,
                        seed.provider_id,
                        seed.status.code(),
                        date_text(seed.event_on),
                        date_text(seed.delinquent_on),
                        timestamp(audit.at)
                    ])
                    .map_err(map_err)?;
                let id = tx.last_insert_rowid();
                history
                    .execute(params![id, timestamp(audit.at), audit.username, seed.status.code()])
                    .map_err(map_err)?;
                let mut event = audit.clone();
                event.action = AuditAction::Create;
                event.entity = "deficiency".into();
                event.entity_id = Some(id.to_string());
                event.patient_id = tx
                    .query_row("SELECT patient_id FROM encounter WHERE id = ?1", [seed.encounter_id], |r| r.get(0))
                    .optional()
                    .map_err(map_err)?;
                event.detail = format!("{} {}", seed.type_code, seed.status.code());
                append_audit(&tx, &event)?;
                created += 1;
            }
        }
    }
    tx.commit().map_err(map_err)?;
    Ok(created)
}

pub(super) fn open_items(conn: &Connection) -> StoreResult<Vec<OpenItem>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT d.id, d.provider_id, pr.supervisor_id, d.event_on, d.paused_days, d.delinquent_on, e.facility_id
             FROM deficiency d JOIN provider pr ON pr.id = d.provider_id JOIN encounter e ON e.id = d.encounter_id
             WHERE d.status IN {OPEN} ORDER BY d.provider_id, d.id"
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(OpenItem {
                id: r.get(0)?,
                facility_id: r.get(6)?,
                provider_id: r.get(1)?,
                supervisor_id: r.get(2)?,
                event_on: date(&r.get::<_, String>(3)?),
                paused_days: r.get(4)?,
                delinquent_on: date(&r.get::<_, String>(5)?),
            })
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn record_notices(
    conn: &mut Connection,
    notices: &[NoticeDraft],
    audit: &NewAuditEvent,
) -> StoreResult<Vec<i64>> {
    let tx = conn.transaction().map_err(map_err)?;
    let mut created = Vec::new();
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO deficiency_notice (provider_id, level, notice_on, copy_to_id, deficiency_ids, count_open,
                     count_delinquent, generated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (provider_id, level, notice_on) DO NOTHING",
            )
            .map_err(map_err)?;
        for n in notices {
            let ids = n.deficiency_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let inserted = stmt
                .execute(params![
                    n.provider_id,
                    n.level.code(),
                    date_text(n.notice_on),
                    n.copy_to_id,
                    ids,
                    n.count_open,
                    n.count_delinquent,
                    timestamp(audit.at)
                ])
                .map_err(map_err)?;
            if inserted == 1 {
                let id = tx.last_insert_rowid();
                let mut event = audit.clone();
                event.entity = "deficiency_notice".into();
                event.entity_id = Some(id.to_string());
                event.detail =
                    format!("{} provider={} items={}", n.level.code(), n.provider_id, n.deficiency_ids.len());
                append_audit(&tx, &event)?;
                created.push(id);
            }
        }
    }
    tx.commit().map_err(map_err)?;
    Ok(created)
}

pub(super) fn notice(conn: &Connection, id: i64, today: NaiveDate) -> StoreResult<Option<NoticeRecord>> {
    let head = conn
        .query_row(
            "SELECT n.level, n.notice_on, p.family, p.given, p.npi, c.family, c.given, n.deficiency_ids
             FROM deficiency_notice n JOIN provider p ON p.id = n.provider_id
             LEFT JOIN provider c ON c.id = n.copy_to_id WHERE n.id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    display_name(&r.get::<_, String>(2)?, &r.get::<_, String>(3)?, ""),
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?.map(|f| f.to_uppercase()),
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()
        .map_err(map_err)?;
    let Some((level, notice_on, physician, npi, copy_family, copy_given, ids)) = head else { return Ok(None) };
    let mut lines = Vec::new();
    let mut stmt = conn
        .prepare_cached(
            "SELECT p.mrn, e.account, d.event_on, t.name, d.paused_days FROM deficiency d
             JOIN encounter e ON e.id = d.encounter_id JOIN patient p ON p.id = e.patient_id
             JOIN deficiency_type t ON t.code = d.type_code WHERE d.id = ?1",
        )
        .map_err(map_err)?;
    for id in ids.split(',').filter_map(|s| s.parse::<i64>().ok()) {
        if let Some((mrn, account, event_on, name, paused)) = stmt
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .optional()
            .map_err(map_err)?
        {
            let discharged_on = date(&event_on);
            let on = date(&notice_on);
            let _ = today;
            lines.push(NoticeLine {
                mrn,
                account,
                discharged_on,
                deficiency: name,
                days_outstanding: crate::domain::deficiency::age_days(discharged_on, paused, on),
            });
        }
    }
    Ok(Some(NoticeRecord {
        id,
        level: NoticeLevel::from_code(&level).unwrap_or(NoticeLevel::Notice),
        notice_on: date(&notice_on),
        physician,
        npi,
        copy_to: copy_family.map(|f| display_name(&f, copy_given.as_deref().unwrap_or(""), "")),
        lines,
    }))
}

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

pub(super) fn standings(conn: &Connection, today: NaiveDate) -> StoreResult<Vec<PhysicianStanding>> {
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
        p.id, e.id, t.days_to_dictate, t.days_to_sign, t.days_to_review";

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
    (conditions.join(" AND "), params)
}

pub(super) fn queue_page(
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
    let from = queue_from(sort, by_provider, filter.status.is_none());
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
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let has_more = rows.len() > page.limit;
    rows.truncate(page.limit);
    Ok(QueuePage { rows, has_more })
}

pub(super) fn queue_counts(conn: &Connection, today: NaiveDate) -> StoreResult<QueueCounts> {
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

pub(super) fn complete(
    conn: &mut Connection,
    items: &[(i64, i64)],
    resolved_on: NaiveDate,
    audit: &NewAuditEvent,
) -> StoreResult<CompletionOutcome> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let mut outcome = CompletionOutcome::default();
    let mut encounters = Vec::new();
    let mut providers = Vec::new();
    {
        let mut update = tx
            .prepare_cached(&format!(
                "UPDATE deficiency SET status = 'COMPLETED', resolved_on = ?3, resolved_by = ?4, version = version + 1
                 WHERE id = ?1 AND version = ?2 AND status IN {OPEN}
                 RETURNING encounter_id, provider_id"
            ))
            .map_err(map_err)?;
        let mut current = tx
            .prepare_cached(
                "SELECT d.status, d.resolved_by, d.resolved_on, p.mrn FROM deficiency d
                 JOIN encounter e ON e.id = d.encounter_id JOIN patient p ON p.id = e.patient_id WHERE d.id = ?1",
            )
            .map_err(map_err)?;
        let mut history = tx
            .prepare_cached(
                "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note)
                 SELECT ?1, ?2, ?3, to_status, 'COMPLETED', ?4 FROM deficiency_event WHERE deficiency_id = ?1
                 ORDER BY id DESC LIMIT 1",
            )
            .map_err(map_err)?;
        for (id, version) in items {
            let done: Option<(i64, i64)> = update
                .query_row(params![id, version, date_text(resolved_on), audit.username], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(map_err)?;
            match done {
                Some((encounter_id, provider_id)) => {
                    let note = format!("completed, resolved {}", date_text(resolved_on));
                    if history.execute(params![id, timestamp(audit.at), audit.username, note]).map_err(map_err)? == 0 {
                        tx.execute(
                            "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note)
                             VALUES (?1, ?2, ?3, NULL, 'COMPLETED', ?4)",
                            params![id, timestamp(audit.at), audit.username, note],
                        )
                        .map_err(map_err)?;
                    }
                    let mut event = audit.clone();
                    event.entity = "deficiency".into();
                    event.entity_id = Some(id.to_string());
                    event.patient_id = tx
                        .query_row("SELECT patient_id FROM encounter WHERE id = ?1", [encounter_id], |r| r.get(0))
                        .optional()
                        .map_err(map_err)?;
                    event.detail = format!("COMPLETED resolved_on={}", date_text(resolved_on));
                    append_audit(&tx, &event)?;
                    outcome.completed.push(*id);
                    encounters.push(encounter_id);
                    providers.push(provider_id);
                }
                None => {
                    let why = current
                        .query_row([id], |r| {
                            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?))
                        })
                        .optional()
                        .map_err(map_err)?;
                    let reason = match why {
                        None => "no longer exists".to_string(),
                        Some((status, Some(by), Some(on))) if status == "COMPLETED" => {
                            format!("already completed by {by} on {on}")
                        }
                        Some((status, _, _))
                            if status != "OPEN"
                                && !DeficiencyStatus::from_code(&status).is_some_and(DeficiencyStatus::is_open) =>
                        {
                            format!("is {status}")
                        }
                        Some(_) => "was changed by someone else since it was listed".to_string(),
                    };
                    outcome.skipped.push((*id, reason));
                }
            }
        }
    }
    encounters.sort_unstable();
    encounters.dedup();
    for encounter_id in encounters {
        let open: i64 = tx
            .query_row(
                &format!("SELECT count(*) FROM deficiency WHERE encounter_id = ?1 AND status IN {OPEN}"),
                [encounter_id],
                |r| r.get(0),
            )
            .map_err(map_err)?;
        if open == 0 {
            let changed = tx
                .execute(
                    "UPDATE chart_completion SET status = 'COMPLETE', completed_on = ?2, version = version + 1
                     WHERE encounter_id = ?1 AND status != 'COMPLETE'",
                    params![encounter_id, date_text(resolved_on)],
                )
                .map_err(map_err)?;
            if changed > 0 {
                let account: String = tx
                    .query_row("SELECT account FROM encounter WHERE id = ?1", [encounter_id], |r| r.get(0))
                    .map_err(map_err)?;
                outcome.charts_completed.push(account);
            }
        }
    }
    providers.sort_unstable();
    providers.dedup();
    for provider_id in providers {
        let (suspended, delinquent): (bool, i64) = tx
            .query_row(
                &format!(
                    "SELECT p.suspension_started_on IS NOT NULL AND p.suspension_ended_on IS NULL,
                            (SELECT count(*) FROM deficiency d WHERE d.provider_id = p.id AND d.status IN {OPEN}
                                AND d.delinquent_on <= ?2)
                     FROM provider p WHERE p.id = ?1"
                ),
                params![provider_id, date_text(resolved_on)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(map_err)?;
        if suspended && delinquent == 0 {
            tx.execute(
                "UPDATE provider SET suspension_ended_on = ?2, status = 'ACTIVE', version = version + 1 WHERE id = ?1",
                params![provider_id, date_text(resolved_on)],
            )
            .map_err(map_err)?;
            outcome.reinstated.push(provider_id);
        }
    }
    tx.commit().map_err(map_err)?;
    Ok(outcome)
}

fn provider_id(conn: &Connection, npi: &str) -> StoreResult<i64> {
    conn.query_row("SELECT id FROM provider WHERE npi = ?1", [npi], |r| r.get(0))
        .optional()
        .map_err(map_err)?
        .ok_or_else(|| StoreError::NotFound(format!("a provider with NPI {npi}")))
}

pub(super) fn add_leave(
    conn: &mut Connection,
    npi: &str,
    from: NaiveDate,
    to: NaiveDate,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    let id = provider_id(&tx, npi)?;
    tx.execute(
        "INSERT INTO provider_leave (provider_id, from_on, to_on) VALUES (?1, ?2, ?3)",
        params![id, date_text(from), date_text(to)],
    )
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

pub(super) fn confirm_suspension(
    conn: &mut Connection,
    npi: &str,
    on: NaiveDate,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    let id = provider_id(&tx, npi)?;
    tx.execute(
        "UPDATE provider SET status = 'SUSPENDED', suspension_started_on = ?2, suspension_ended_on = NULL,
             version = version + 1 WHERE id = ?1",
        params![id, date_text(on)],
    )
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

pub(super) fn begin_nightly(conn: &mut Connection, run_on: NaiveDate, started_at: DateTime<Utc>) -> StoreResult<bool> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let existing: Option<Option<String>> = tx
        .query_row("SELECT finished_at FROM nightly_run WHERE run_on = ?1", [date_text(run_on)], |r| r.get(0))
        .optional()
        .map_err(map_err)?;
    let claimed = match existing {
        Some(Some(_)) => false,
        Some(None) => return Err(StoreError::Busy),
        None => {
            tx.execute(
                "INSERT INTO nightly_run (run_on, started_at) VALUES (?1, ?2)",
                params![date_text(run_on), timestamp(started_at)],
            )
            .map_err(map_err)?;
            true
        }
    };
    tx.commit().map_err(map_err)?;
    Ok(claimed)
}

pub(super) fn finish_nightly(
    conn: &Connection,
    run_on: NaiveDate,
    finished_at: DateTime<Utc>,
    summary: &str,
) -> StoreResult<()> {
    conn.execute(
        "UPDATE nightly_run SET finished_at = ?2, summary = ?3 WHERE run_on = ?1",
        params![date_text(run_on), timestamp(finished_at), summary],
    )
    .map_err(map_err)?;
    Ok(())
}

/// Pauses aging of each item still at the listed version: its delinquent date moves by the pause's
/// length (AS-11). Returns the paused ids and the skipped ones with why.
pub(super) fn pause(
    conn: &mut Connection,
    items: &[(i64, i64)],
    from: NaiveDate,
    to: NaiveDate,
    reason: &str,
    audit: &NewAuditEvent,
) -> StoreResult<CompletionOutcome> {
    let days = (to - from).num_days().max(0);
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let mut outcome = CompletionOutcome::default();
    for (id, version) in items {
        let changed = tx
            .execute(
                &format!(
                    "UPDATE deficiency SET paused_days = paused_days + ?3,
                         delinquent_on = date(delinquent_on, '+' || ?3 || ' days'), version = version + 1
                     WHERE id = ?1 AND version = ?2 AND status IN {OPEN}"
                ),
                params![id, version, days],
            )
            .map_err(map_err)?;
        if changed == 0 {
            outcome.skipped.push((*id, "was changed by someone else since it was listed".into()));
            continue;
        }
        tx.execute(
            "INSERT INTO aging_pause (deficiency_id, reason, from_on, to_on, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, reason, date_text(from), date_text(to), audit.username],
        )
        .map_err(map_err)?;
        let mut event = audit.clone();
        event.entity = "deficiency".into();
        event.entity_id = Some(id.to_string());
        event.detail = format!("aging paused {} to {} ({days} days): {reason}", date_text(from), date_text(to));
        append_audit(&tx, &event)?;
        outcome.completed.push(*id);
    }
    tx.commit().map_err(map_err)?;
    Ok(outcome)
}

pub(super) fn chart_completion(
    conn: &Connection,
    account: &str,
) -> StoreResult<Option<crate::store::ChartCompletionView>> {
    conn.query_row(
        &format!(
            "SELECT e.id, e.patient_id, coalesce(c.status, 'AWAITING_ANALYSIS'), e.discharge_at,
                    (SELECT count(*) FROM deficiency d WHERE d.encounter_id = e.id AND d.status IN {OPEN}), e.facility_id
             FROM encounter e LEFT JOIN chart_completion c ON c.encounter_id = e.id WHERE e.account = ?1"
        ),
        [account],
        |r| {
            let discharge: Option<String> = r.get(3)?;
            Ok(crate::store::ChartCompletionView {
                encounter_id: r.get(0)?,
                facility_id: r.get(5)?,
                patient_id: r.get(1)?,
                status: r.get(2)?,
                discharged_on: discharge.as_deref().and_then(|d| d.get(..10)).map(date),
                open: r.get(4)?,
            })
        },
    )
    .optional()
    .map_err(map_err)
}

pub(super) fn has_deficiency(
    conn: &Connection,
    encounter_id: i64,
    type_code: &str,
    provider_id: i64,
) -> StoreResult<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM deficiency WHERE encounter_id = ?1 AND type_code = ?2 AND provider_id = ?3
             AND status != 'VOIDED')",
        params![encounter_id, type_code, provider_id],
        |r| r.get(0),
    )
    .map_err(map_err)
}

pub(super) fn add_deficiency(
    conn: &mut Connection,
    new: &NewSeededDeficiency,
    duplicate_confirmed: bool,
    audit: &NewAuditEvent,
) -> StoreResult<i64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    tx.execute(
        "INSERT INTO chart_completion (encounter_id, status, received_on) VALUES (?1, 'INCOMPLETE', ?2)
         ON CONFLICT (encounter_id) DO UPDATE SET status = 'INCOMPLETE', version = version + 1
         WHERE chart_completion.status != 'COMPLETE'",
        params![new.encounter_id, date_text(new.event_on)],
    )
    .map_err(map_err)?;
    let status: String = tx
        .query_row("SELECT status FROM chart_completion WHERE encounter_id = ?1", [new.encounter_id], |r| r.get(0))
        .map_err(map_err)?;
    if status == "COMPLETE" {
        // Checked by the desk first; re-checked here so a concurrent completion cannot slip past.
        return Err(StoreError::Conflict);
    }
    tx.execute(
        "INSERT INTO deficiency (chart_completion_id, encounter_id, document_id, type_code, provider_id, status, event_on,
             delinquent_on, created_at, duplicate_confirmed)
         VALUES ((SELECT id FROM chart_completion WHERE encounter_id = ?1), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            new.encounter_id,
            new.document_id,
            new.type_code,
            new.provider_id,
            new.status.code(),
            date_text(new.event_on),
            date_text(new.delinquent_on),
            timestamp(audit.at),
            duplicate_confirmed as i64
        ],
    )
    .map_err(map_err)?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note) VALUES (?1, ?2, ?3, NULL, ?4, ?5)",
        params![id, timestamp(audit.at), audit.username, new.status.code(), audit.detail],
    )
    .map_err(map_err)?;
    let mut event = audit.clone();
    event.entity_id = Some(id.to_string());
    append_audit(&tx, &event)?;
    tx.commit().map_err(map_err)?;
    Ok(id)
}

pub(super) fn set_chart_status(
    conn: &mut Connection,
    encounter_id: i64,
    status: &str,
    completed_on: Option<NaiveDate>,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    let changed = tx
        .execute(
            "UPDATE chart_completion SET status = ?2, completed_on = ?3, version = version + 1 WHERE encounter_id = ?1",
            params![encounter_id, status, completed_on.map(date_text)],
        )
        .map_err(map_err)?;
    if changed == 0 {
        return Err(StoreError::NotFound("a chart-completion record for that encounter".into()));
    }
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

pub(super) fn save_type(conn: &mut Connection, t: &DeficiencyType, audit: &NewAuditEvent) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    tx.execute(
        "INSERT INTO deficiency_type (code, name, abbreviation, category, level, responsible, days_to_dictate,
             days_to_sign, days_to_review, standard_for, document_type, active)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 1)
         ON CONFLICT (code) DO UPDATE SET name = ?2, abbreviation = ?3, category = ?4, level = ?5, responsible = ?6,
             days_to_dictate = ?7, days_to_sign = ?8, days_to_review = ?9, standard_for = ?10, document_type = ?11,
             active = 1, version = version + 1",
        params![
            t.code,
            t.name,
            t.abbreviation,
            t.category,
            t.level,
            t.responsible,
            t.days_to_dictate,
            t.days_to_sign,
            t.days_to_review,
            t.standard_for.join(","),
            t.document_type
        ],
    )
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

pub(super) fn retire_type(conn: &mut Connection, code: &str, audit: &NewAuditEvent) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    let changed = tx
        .execute("UPDATE deficiency_type SET active = 0, version = version + 1 WHERE code = ?1 AND active = 1", [code])
        .map_err(map_err)?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("an active deficiency type {code}")));
    }
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

/// A bulk change other than completion or a pause.
pub(super) enum Change {
    Provider(i64),
    Comment(String),
}

/// Applies `change` to each open item still at the listed version; the rest are named and skipped.
/// One audit event per item, in one transaction.
pub(super) fn change_each(
    conn: &mut Connection,
    items: &[(i64, i64)],
    change: Change,
    audit: &NewAuditEvent,
) -> StoreResult<CompletionOutcome> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let mut outcome = CompletionOutcome::default();
    for (id, version) in items {
        let (sql, detail): (String, String) = match &change {
            Change::Provider(provider_id) => (
                format!(
                    "UPDATE deficiency SET provider_id = ?3, version = version + 1
                     WHERE id = ?1 AND version = ?2 AND status IN {OPEN} RETURNING provider_id"
                ),
                format!("reassigned to provider {provider_id}"),
            ),
            Change::Comment(text) => (
                format!(
                    "UPDATE deficiency SET comment = ?3, version = version + 1
                     WHERE id = ?1 AND version = ?2 AND status IN {OPEN} RETURNING provider_id"
                ),
                format!("comment: {text}"),
            ),
        };
        let value: Box<dyn ToSql> = match &change {
            Change::Provider(provider_id) => Box::new(*provider_id),
            Change::Comment(text) => Box::new(text.clone()),
        };
        let changed: Option<i64> =
            tx.query_row(&sql, params![id, version, value], |r| r.get(0)).optional().map_err(map_err)?;
        if changed.is_none() {
            outcome.skipped.push((*id, "was changed by someone else since it was listed".into()));
            continue;
        }
        let mut event = audit.clone();
        event.entity = "deficiency".into();
        event.entity_id = Some(id.to_string());
        event.detail = detail;
        append_audit(&tx, &event)?;
        outcome.completed.push(*id);
    }
    tx.commit().map_err(map_err)?;
    Ok(outcome)
}

pub(super) fn standing(
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

pub(super) fn queue_ids(conn: &Connection, filter: &QueueFilter) -> StoreResult<Vec<(i64, i64)>> {
    let (condition, params) = queue_conditions(filter);
    let sql = format!(
        "SELECT d.id, d.version FROM deficiency d JOIN deficiency_type t ON t.code = d.type_code
         JOIN encounter e ON e.id = d.encounter_id JOIN facility f ON f.id = e.facility_id
         WHERE {condition} ORDER BY d.id"
    );
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| Ok((r.get(0)?, r.get(1)?))).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

/// Moves each open item still at the listed version to step `to`, where the ladder allows it.
pub(super) fn move_to(
    conn: &mut Connection,
    items: &[(i64, i64)],
    to: DeficiencyStatus,
    note: &str,
    audit: &NewAuditEvent,
) -> StoreResult<CompletionOutcome> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let mut outcome = CompletionOutcome::default();
    for (id, version) in items {
        let current: Option<(String, i64)> = tx
            .query_row("SELECT status, version FROM deficiency WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(map_err)?;
        let Some((status, now_version)) = current else {
            outcome.skipped.push((*id, "no longer exists".into()));
            continue;
        };
        let from = DeficiencyStatus::from_code(&status).unwrap_or(DeficiencyStatus::Open);
        if now_version != *version {
            outcome.skipped.push((*id, "was changed by someone else since it was listed".into()));
            continue;
        }
        if !from.can_become(to) {
            outcome.skipped.push((*id, format!("cannot go from {} to {}", from.code(), to.code())));
            continue;
        }
        tx.execute("UPDATE deficiency SET status = ?2, version = version + 1 WHERE id = ?1", params![id, to.code()])
            .map_err(map_err)?;
        tx.execute(
            "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, timestamp(audit.at), audit.username, from.code(), to.code(), note],
        )
        .map_err(map_err)?;
        let mut event = audit.clone();
        event.entity = "deficiency".into();
        event.entity_id = Some(id.to_string());
        event.detail = if note.is_empty() {
            format!("{} -> {}", from.code(), to.code())
        } else {
            format!("{} -> {}: {note}", from.code(), to.code())
        };
        append_audit(&tx, &event)?;
        outcome.completed.push(*id);
    }
    tx.commit().map_err(map_err)?;
    Ok(outcome)
}

pub(super) fn facility_policies(conn: &Connection) -> StoreResult<Vec<(i64, DeficiencyPolicy)>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT facility_id, notice_days, final_notice_days, delinquent_days FROM facility_deficiency_policy ORDER BY 1",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                DeficiencyPolicy { notice_days: r.get(1)?, final_notice_days: r.get(2)?, delinquent_days: r.get(3)? },
            ))
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn set_facility_policy(
    conn: &mut Connection,
    facility_id: i64,
    p: &DeficiencyPolicy,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    tx.execute(
        "INSERT INTO facility_deficiency_policy (facility_id, notice_days, final_notice_days, delinquent_days)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (facility_id) DO UPDATE SET notice_days = ?2, final_notice_days = ?3, delinquent_days = ?4,
             version = version + 1",
        params![facility_id, p.notice_days, p.final_notice_days, p.delinquent_days],
    )
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}
