//! The nightly run's reads and writes: charts to analyse, their seeded deficiencies, open items,
//! notices, and the run's own ledger.

use super::*;
use chrono::SubsecRound;

pub(in crate::store::postgres) async fn encounters_to_analyse(
    c: &impl GenericClient,
    after: Option<NaiveDate>,
    through: NaiveDate,
) -> PgResult<Vec<DischargedEncounter>> {
    // Discharge instants compare in UTC; the day boundary is the day after `through` at midnight.
    let mut params = Params::default();
    let upper = params.add(midnight_utc(through + Duration::days(1)));
    let lower = match after {
        Some(after) => format!("AND e.discharge_at >= {}", params.add(midnight_utc(after + Duration::days(1)))),
        None => String::new(),
    };
    // The charts discharged since the last run, and those an import left waiting (their discharges
    // may be older than the last run, yet nobody has analysed them).
    let sql = format!(
        "SELECT e.id, e.account, e.kind, e.attending_id, e.discharge_at, e.facility_id FROM encounter e
         WHERE e.kind = 'INPATIENT' {lower} AND e.discharge_at < {upper}
           AND NOT EXISTS (SELECT 1 FROM chart_completion c WHERE c.encounter_id = e.id)
         UNION
         SELECT e.id, e.account, e.kind, e.attending_id, e.discharge_at, e.facility_id
         FROM analysis_pending p JOIN encounter e ON e.id = p.encounter_id
         WHERE e.discharge_at < {upper}
           AND NOT EXISTS (SELECT 1 FROM chart_completion c WHERE c.encounter_id = e.id)
         ORDER BY 5, 1"
    );
    let stmt = c.prepare_cached(&sql).await?;
    let mut found = c
        .query(&stmt, &params.refs())
        .await?
        .iter()
        .map(|r| {
            let kind: String = r.try_get(2)?;
            let discharge: DateTime<Utc> = r.try_get(4)?;
            Ok(DischargedEncounter {
                encounter_id: r.try_get(0)?,
                facility_id: r.try_get(5)?,
                account: r.try_get(1)?,
                kind: EncounterKind::from_code(&kind).unwrap_or(EncounterKind::Inpatient),
                attending_id: r.try_get(3)?,
                discharged_on: discharge.date_naive(),
                documents: Vec::new(),
                procedures: Vec::new(),
            })
        })
        .collect::<PgResult<Vec<_>>>()?;
    if found.is_empty() {
        return Ok(found);
    }
    let ids: Vec<i64> = found.iter().map(|e| e.encounter_id).collect();
    let at: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let stmt = c
        .prepare_cached(
            "SELECT encounter_id, performed_at, description FROM encounter_procedure WHERE encounter_id = ANY($1)
             ORDER BY encounter_id, performed_at, id",
        )
        .await?;
    for r in c.query(&stmt, &[&ids]).await? {
        let performed_at: DateTime<Utc> = r.try_get(1)?;
        if let Some(&i) = at.get(&r.try_get::<_, i64>(0)?) {
            found[i]
                .procedures
                .push(SeedProcedure { performed_on: performed_at.date_naive(), description: r.try_get(2)? });
        }
    }
    let stmt = c
        .prepare_cached(
            "SELECT encounter_id, id, doc_type, status, author_id FROM document WHERE encounter_id = ANY($1)
             ORDER BY encounter_id, id",
        )
        .await?;
    for r in c.query(&stmt, &[&ids]).await? {
        let status: String = r.try_get(3)?;
        if let Some(&i) = at.get(&r.try_get::<_, i64>(0)?) {
            found[i].documents.push(SeedDocument {
                id: r.try_get(1)?,
                doc_type: r.try_get(2)?,
                status: DocumentStatus::from_code(&status).unwrap_or(DocumentStatus::Undictated),
                author_id: r.try_get(4)?,
            });
        }
    }
    Ok(found)
}

pub(in crate::store::postgres) async fn record_analysis(
    tx: &Transaction<'_>,
    analysed: &[AnalysedChart],
    audit: &NewAuditEvent,
) -> PgResult<usize> {
    let completion = tx
        .prepare_cached(
            "INSERT INTO chart_completion (encounter_id, status, received_on, completed_on) VALUES ($1, $2, $3, $4)
             ON CONFLICT (encounter_id) DO NOTHING",
        )
        .await?;
    let deficiency = tx
        .prepare_cached(
            "INSERT INTO deficiency (chart_completion_id, encounter_id, document_id, type_code, provider_id, status,
                 event_on, delinquent_on, created_at)
             VALUES ((SELECT id FROM chart_completion WHERE encounter_id = $1), $1, $2, $3, $4, $5, $6, $7, $8)
             RETURNING id",
        )
        .await?;
    let forget_pending = tx.prepare_cached("DELETE FROM analysis_pending WHERE encounter_id = $1").await?;
    let history = tx
        .prepare_cached(
            "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note)
             VALUES ($1, $2, $3, NULL, $4, 'seeded at discharge analysis')",
        )
        .await?;
    let patient_of = tx.prepare_cached("SELECT patient_id FROM encounter WHERE id = $1").await?;
    let mut created = 0;
    for chart in analysed {
        let inserted = tx
            .execute(&completion, &[&chart.encounter_id, &chart.status.code(), &chart.received_on, &chart.completed_on])
            .await?;
        tx.execute(&forget_pending, &[&chart.encounter_id]).await?;
        if inserted == 0 {
            continue; // analysed by a concurrent run meanwhile
        }
        for seed in &chart.seeds {
            let id: i64 = tx
                .query_one(
                    &deficiency,
                    &[
                        &seed.encounter_id,
                        &seed.document_id,
                        &seed.type_code,
                        &seed.provider_id,
                        &seed.status.code(),
                        &seed.event_on,
                        &seed.delinquent_on,
                        &audit.at,
                    ],
                )
                .await?
                .try_get(0)?;
            tx.execute(&history, &[&id, &audit.at, &audit.username, &seed.status.code()]).await?;
            let mut event = audit.clone();
            event.action = AuditAction::Create;
            event.entity = "deficiency".into();
            event.entity_id = Some(id.to_string());
            // Found by its physician as by its patient, like every other change to an item.
            event.provider_id = Some(seed.provider_id);
            event.patient_id =
                tx.query_opt(&patient_of, &[&seed.encounter_id]).await?.map(|r| r.try_get(0)).transpose()?;
            event.detail = format!("{} {}", seed.type_code, seed.status.code());
            append_audit(tx, &event).await?;
            created += 1;
        }
    }
    Ok(created)
}

pub(in crate::store::postgres) async fn open_items(c: &impl GenericClient) -> PgResult<Vec<OpenItem>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT d.id, d.provider_id, pr.supervisor_id, d.event_on, d.paused_days, d.delinquent_on, e.facility_id,
                    d.notice_level
             FROM deficiency d JOIN provider pr ON pr.id = d.provider_id JOIN encounter e ON e.id = d.encounter_id
             WHERE d.status IN {OPEN} ORDER BY d.provider_id, d.id"
        ))
        .await?;
    c.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            Ok(OpenItem {
                id: r.try_get(0)?,
                notice_level: r.try_get::<_, Option<String>>(7)?.as_deref().and_then(NoticeLevel::from_code),
                facility_id: r.try_get(6)?,
                provider_id: r.try_get(1)?,
                supervisor_id: r.try_get(2)?,
                event_on: r.try_get(3)?,
                paused_days: r.try_get(4)?,
                delinquent_on: r.try_get(5)?,
            })
        })
        .collect()
}

/// Records each notice with its audit event, inside the caller's transaction; one that exists (same
/// physician, facility, level and day) is left alone. Returns the ids of the new ones.
pub(in crate::store::postgres) async fn record_notices(
    tx: &Transaction<'_>,
    notices: &[(NoticeDraft, NewAuditEvent)],
) -> PgResult<Vec<i64>> {
    let mut created = Vec::new();
    if notices.is_empty() {
        return Ok(created);
    }
    let insert = tx
        .prepare_cached(
            "INSERT INTO deficiency_notice (provider_id, facility_id, level, notice_on, copy_to_id, deficiency_ids,
                 count_open, count_delinquent, generated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (provider_id, facility_id, level, notice_on) DO NOTHING
             RETURNING id",
        )
        .await?;
    let level_held = tx.prepare_cached("SELECT notice_level FROM deficiency WHERE id = $1").await?;
    let level_sent = tx.prepare_cached("UPDATE deficiency SET notice_level = $2 WHERE id = $1").await?;
    for (n, audit) in notices {
        let ids = n.deficiency_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let inserted = tx
            .query_opt(
                &insert,
                &[
                    &n.provider_id,
                    &n.facility_id,
                    &n.level.code(),
                    &n.notice_on,
                    &n.copy_to_id,
                    &ids,
                    &n.count_open,
                    &n.count_delinquent,
                    &audit.at,
                ],
            )
            .await?;
        let Some(row) = inserted else {
            // Left alone: the notice recorded before lists what was sent, and no letter lists
            // this one's items, so they are not marked sent (the next run owes them their notice).
            continue;
        };
        let id: i64 = row.try_get(0)?;
        let mut event = audit.clone();
        event.entity = "deficiency_notice".into();
        event.entity_id = Some(id.to_string());
        append_audit(tx, &event).await?;
        created.push(id);
        // The items listed have now been sent this level. An item keeps the highest level sent:
        // a lower one listed later (the desk lists only items it raises) does not lower it.
        if n.level != NoticeLevel::Reinstatement {
            for item in &n.deficiency_ids {
                let held: Option<String> =
                    tx.query_opt(&level_held, &[item]).await?.map(|r| r.try_get(0)).transpose()?.flatten();
                if held.as_deref().and_then(NoticeLevel::from_code).is_none_or(|held| held < n.level) {
                    tx.execute(&level_sent, &[item, &n.level.code()]).await?;
                }
            }
        }
    }
    Ok(created)
}

/// What a notice's letter says: its physician, copy, facility and items, as of the notice's day.
pub(in crate::store::postgres) async fn notice_preview(
    c: &impl GenericClient,
    n: &NoticeDraft,
) -> PgResult<NoticeRecord> {
    let stmt = c
        .prepare_cached(
            "SELECT p.family, p.given, p.npi, c.family, c.given FROM provider p
             LEFT JOIN provider c ON c.id = $2 WHERE p.id = $1",
        )
        .await?;
    let Some(r) = c.query_opt(&stmt, &[&n.provider_id, &n.copy_to_id]).await? else {
        return Err(StoreError::NotFound(format!("provider {}", n.provider_id)).into());
    };
    let copy_to = match (r.try_get::<_, Option<String>>(3)?, r.try_get::<_, Option<String>>(4)?) {
        (Some(f), g) => Some(display_name(&f.to_uppercase(), g.as_deref().unwrap_or(""), "")),
        (None, _) => None,
    };
    let physician = display_name(&r.try_get::<_, String>(0)?, &r.try_get::<_, String>(1)?, "");
    let npi: String = r.try_get(2)?;
    let stmt = c.prepare_cached("SELECT name, code FROM facility WHERE id = $1").await?;
    let (facility, facility_code) = match c.query_opt(&stmt, &[&n.facility_id]).await? {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => ("Health Information Management".to_string(), String::new()),
    };
    let stmt = c
        .prepare_cached(
            "SELECT d.id, p.mrn, e.account, d.event_on, t.name, d.paused_days FROM deficiency d
             JOIN encounter e ON e.id = d.encounter_id JOIN patient p ON p.id = e.patient_id
             JOIN deficiency_type t ON t.code = d.type_code WHERE d.id = ANY($1)",
        )
        .await?;
    let mut found = HashMap::new();
    for r in c.query(&stmt, &[&n.deficiency_ids]).await? {
        let discharged_on: NaiveDate = r.try_get(3)?;
        let paused: i64 = r.try_get(5)?;
        let line = NoticeLine {
            mrn: r.try_get(1)?,
            account: r.try_get(2)?,
            discharged_on,
            deficiency: r.try_get(4)?,
            days_outstanding: crate::domain::deficiency::age_days(discharged_on, paused, n.notice_on),
        };
        found.insert(r.try_get::<_, i64>(0)?, line);
    }
    let lines = n.deficiency_ids.iter().filter_map(|id| found.get(id).cloned()).collect();
    Ok(NoticeRecord {
        id: None,
        facility,
        facility_code,
        level: n.level,
        notice_on: n.notice_on,
        physician,
        npi,
        copy_to,
        lines,
    })
}

/// The notices recorded for the days `from` to `to`.
pub(in crate::store::postgres) async fn notices_between(
    c: &impl GenericClient,
    from: NaiveDate,
    to: NaiveDate,
) -> PgResult<Vec<NoticeRecord>> {
    let stmt = c
        .prepare_cached(
            "SELECT id, provider_id, facility_id, level, notice_on, copy_to_id, deficiency_ids, count_open,
                    count_delinquent
             FROM deficiency_notice WHERE notice_on >= $1 AND notice_on <= $2 ORDER BY notice_on, id",
        )
        .await?;
    let drafts = c
        .query(&stmt, &[&from, &to])
        .await?
        .iter()
        .map(|r| {
            let level: String = r.try_get(3)?;
            let ids: String = r.try_get(6)?;
            Ok((
                r.try_get::<_, i64>(0)?,
                NoticeDraft {
                    provider_id: r.try_get(1)?,
                    facility_id: r.try_get(2)?,
                    level: NoticeLevel::from_code(&level).unwrap_or(NoticeLevel::Notice),
                    notice_on: r.try_get(4)?,
                    copy_to_id: r.try_get(5)?,
                    deficiency_ids: ids.split(',').filter_map(|s| s.parse().ok()).collect(),
                    count_open: r.try_get(7)?,
                    count_delinquent: r.try_get(8)?,
                },
            ))
        })
        .collect::<PgResult<Vec<_>>>()?;
    let mut out = Vec::with_capacity(drafts.len());
    for (id, draft) in drafts {
        let mut record = notice_preview(c, &draft).await?;
        record.id = Some(id);
        out.push(record);
    }
    Ok(out)
}

/// An instant as a claim is named by: whole seconds, as SQLite's store keeps it, so that a claim
/// reads back, and is found, the same on both.
fn claim_instant(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(0)
}

fn claim_of(r: &Row) -> PgResult<NightlyClaim> {
    let pid: i64 = r.try_get(5)?;
    Ok(NightlyClaim {
        run_on: r.try_get(0)?,
        started_at: r.try_get(1)?,
        finished_at: r.try_get(2)?,
        username: r.try_get(3)?,
        host: r.try_get(4)?,
        pid: u32::try_from(pid).unwrap_or_default(),
    })
}

const CLAIM_COLUMNS: &str = "run_on, started_at, finished_at, holder, host, pid";

pub(in crate::store::postgres) async fn nightly_claims(c: &impl GenericClient) -> PgResult<Vec<NightlyClaim>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {CLAIM_COLUMNS} FROM nightly_run WHERE finished_at IS NULL
             UNION ALL
             (SELECT {CLAIM_COLUMNS} FROM nightly_run WHERE finished_at IS NOT NULL ORDER BY run_on DESC LIMIT 1)
             ORDER BY 1"
        ))
        .await?;
    c.query(&stmt, &[]).await?.iter().map(claim_of).collect()
}

/// The claim on `run_on` as it stands: its `started_at` and whether it finished.
async fn claim_on(tx: &Transaction<'_>, run_on: NaiveDate, lock: bool) -> PgResult<Option<(DateTime<Utc>, bool)>> {
    let sql = if lock {
        "SELECT started_at, finished_at IS NOT NULL FROM nightly_run WHERE run_on = $1 FOR UPDATE"
    } else {
        "SELECT started_at, finished_at IS NOT NULL FROM nightly_run WHERE run_on = $1"
    };
    Ok(tx
        .query_opt(sql, &[&run_on])
        .await?
        .map(|r| Ok::<_, tokio_postgres::Error>((r.try_get(0)?, r.try_get(1)?)))
        .transpose()?)
}

/// Claims the day. The day's row is the claim: read under a row lock, and inserted only where no
/// other connection's has been meanwhile (its primary key decides), so of two runs claiming one day
/// at once exactly one holds it and the other is `Busy`, as SQLite's write lock makes it there.
pub(in crate::store::postgres) async fn begin_nightly(
    tx: &Transaction<'_>,
    claim: &NightlyClaim,
    replacing: Option<DateTime<Utc>>,
    audit: &NewAuditEvent,
) -> PgResult<bool> {
    match claim_on(tx, claim.run_on, true).await? {
        Some((_, true)) => return Ok(false),
        Some((started, false)) => {
            if replacing.map(claim_instant) != Some(started) {
                return Err(StoreError::Busy.into());
            }
            tx.execute("DELETE FROM nightly_run WHERE run_on = $1", &[&claim.run_on]).await?;
        }
        None => {}
    }
    let inserted = tx
        .execute(
            "INSERT INTO nightly_run (run_on, started_at, holder, host, pid) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (run_on) DO NOTHING",
            &[&claim.run_on, &claim_instant(claim.started_at), &claim.username, &claim.host, &i64::from(claim.pid)],
        )
        .await?;
    if inserted == 0 {
        // Another connection claimed the day since it was read: it holds it now, or, if its run
        // has already finished, there is nothing left to do.
        return match claim_on(tx, claim.run_on, false).await? {
            Some((_, true)) => Ok(false),
            _ => Err(StoreError::Busy.into()),
        };
    }
    append_audit(tx, audit).await?;
    Ok(true)
}

/// Which claim a run finishes or releases: its own, as made (a claim taken over is another's).
fn claim_not_held(run_on: NaiveDate, started_at: DateTime<Utc>) -> StoreError {
    StoreError::NotFound(format!(
        "the unfinished nightly run for {run_on} begun at {}",
        started_at.format("%Y-%m-%dT%H:%M:%SZ")
    ))
}

pub(in crate::store::postgres) async fn finish_nightly(
    tx: &Transaction<'_>,
    run_on: NaiveDate,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    summary: &str,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    let finished = tx
        .execute(
            "UPDATE nightly_run SET finished_at = $3, summary = $4
             WHERE run_on = $1 AND started_at = $2 AND finished_at IS NULL",
            &[&run_on, &claim_instant(started_at), &claim_instant(finished_at), &summary],
        )
        .await?;
    if finished == 0 {
        return Err(claim_not_held(run_on, started_at).into());
    }
    append_audit(tx, audit).await
}

pub(in crate::store::postgres) async fn release_nightly(
    tx: &Transaction<'_>,
    run_on: NaiveDate,
    started_at: DateTime<Utc>,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    let released = tx
        .execute(
            "DELETE FROM nightly_run WHERE run_on = $1 AND started_at = $2 AND finished_at IS NULL",
            &[&run_on, &claim_instant(started_at)],
        )
        .await?;
    if released == 0 {
        return Err(claim_not_held(run_on, started_at).into());
    }
    append_audit(tx, audit).await
}
