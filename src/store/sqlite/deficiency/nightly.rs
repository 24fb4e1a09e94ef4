//! The nightly run's reads and writes: charts to analyse, their seeded deficiencies, open items,
//! notices, and the run's own ledger.

use super::*;

pub(in crate::store::sqlite) fn encounters_to_analyse(
    conn: &Connection,
    after: Option<NaiveDate>,
    through: NaiveDate,
) -> StoreResult<Vec<DischargedEncounter>> {
    // Discharge instants are UTC; the day boundary is the day after `through` at midnight.
    let upper = format!("{}T00:00:00Z", date_text(through + Duration::days(1)));
    let lower = after.map(|a| format!("{}T00:00:00Z", date_text(a + Duration::days(1)))).unwrap_or_default();
    let mut stmt = conn
        .prepare_cached(
            // The charts discharged since the last run, and those an import left waiting (their
            // discharges may be older than the last run, yet nobody has analysed them).
            "SELECT e.id, e.account, e.kind, e.attending_id, e.discharge_at, e.facility_id FROM encounter e
             WHERE e.kind = 'INPATIENT' AND e.discharge_at >= ?1 AND e.discharge_at < ?2
               AND NOT EXISTS (SELECT 1 FROM chart_completion c WHERE c.encounter_id = e.id)
             UNION
             SELECT e.id, e.account, e.kind, e.attending_id, e.discharge_at, e.facility_id
             FROM analysis_pending p JOIN encounter e ON e.id = p.encounter_id
             WHERE e.discharge_at < ?2
               AND NOT EXISTS (SELECT 1 FROM chart_completion c WHERE c.encounter_id = e.id)
             ORDER BY 5, 1",
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
                procedures: Vec::new(),
            })
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let mut docs = conn
        .prepare_cached("SELECT id, doc_type, status, author_id FROM document WHERE encounter_id = ?1 ORDER BY id")
        .map_err(map_err)?;
    let mut procedures = conn
        .prepare_cached(
            "SELECT performed_at, description FROM encounter_procedure WHERE encounter_id = ?1 ORDER BY performed_at",
        )
        .map_err(map_err)?;
    let mut out = Vec::with_capacity(found.len());
    for mut encounter in found {
        encounter.procedures = procedures
            .query_map([encounter.encounter_id], |r| {
                let at: String = r.get(0)?;
                Ok(SeedProcedure { performed_on: date(at.get(..10).unwrap_or("")), description: r.get(1)? })
            })
            .map_err(map_err)?
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
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

pub(in crate::store::sqlite) fn record_analysis(
    conn: &mut Connection,
    analysed: &[AnalysedChart],
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
        let mut forget_pending =
            tx.prepare_cached("DELETE FROM analysis_pending WHERE encounter_id = ?1").map_err(map_err)?;
        let mut history = tx
            .prepare_cached(
                "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note)
                 VALUES (?1, ?2, ?3, NULL, ?4, 'seeded at discharge analysis')",
            )
            .map_err(map_err)?;
        for chart in analysed {
            let inserted = completion
                .execute(params![
                    chart.encounter_id,
                    chart.status.code(),
                    date_text(chart.received_on),
                    chart.completed_on.map(date_text)
                ])
                .map_err(map_err)?;
            forget_pending.execute([chart.encounter_id]).map_err(map_err)?;
            if inserted == 0 {
                continue; // analysed by a concurrent run meanwhile
            }
            for seed in &chart.seeds {
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
                // Found by its physician as by its patient, like every other change to an item.
                event.provider_id = Some(seed.provider_id);
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

pub(in crate::store::sqlite) fn open_items(conn: &Connection) -> StoreResult<Vec<OpenItem>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT d.id, d.provider_id, pr.supervisor_id, d.event_on, d.paused_days, d.delinquent_on, e.facility_id,
                    d.notice_level
             FROM deficiency d JOIN provider pr ON pr.id = d.provider_id JOIN encounter e ON e.id = d.encounter_id
             WHERE d.status IN {OPEN} ORDER BY d.provider_id, d.id"
        ))
        .map_err(map_err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(OpenItem {
                id: r.get(0)?,
                notice_level: r.get::<_, Option<String>>(7)?.as_deref().and_then(NoticeLevel::from_code),
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

/// Records each notice with its audit event, inside the caller's transaction; one that exists (same
/// physician, facility, level and day) is left alone. Returns the ids of the new ones.
pub(in crate::store::sqlite) fn record_notices<'a>(
    tx: &Connection,
    notices: impl Iterator<Item = (&'a NoticeDraft, &'a NewAuditEvent)>,
) -> StoreResult<Vec<i64>> {
    let mut created = Vec::new();
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO deficiency_notice (provider_id, facility_id, level, notice_on, copy_to_id, deficiency_ids,
                 count_open, count_delinquent, generated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (provider_id, facility_id, level, notice_on) DO NOTHING",
        )
        .map_err(map_err)?;
    let mut level_held = tx.prepare_cached("SELECT notice_level FROM deficiency WHERE id = ?1").map_err(map_err)?;
    let mut level_sent = tx.prepare_cached("UPDATE deficiency SET notice_level = ?2 WHERE id = ?1").map_err(map_err)?;
    for (n, audit) in notices {
        let ids = n.deficiency_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let inserted = stmt
            .execute(params![
                n.provider_id,
                n.facility_id,
                n.level.code(),
                date_text(n.notice_on),
                n.copy_to_id,
                ids,
                n.count_open,
                n.count_delinquent,
                timestamp(audit.at)
            ])
            .map_err(map_err)?;
        if inserted == 0 {
            // Left alone: the notice recorded before lists what was sent, and no letter lists
            // this one's items, so they are not marked sent (the next run owes them their notice).
            continue;
        }
        let id = tx.last_insert_rowid();
        let mut event = audit.clone();
        event.entity = "deficiency_notice".into();
        event.entity_id = Some(id.to_string());
        append_audit(tx, &event)?;
        created.push(id);
        // The items listed have now been sent this level. An item keeps the highest level sent:
        // a lower one listed later (the desk lists only items it raises) does not lower it.
        if n.level != NoticeLevel::Reinstatement {
            for item in &n.deficiency_ids {
                let held: Option<String> =
                    level_held.query_row([item], |r| r.get(0)).optional().map_err(map_err)?.flatten();
                if held.as_deref().and_then(NoticeLevel::from_code).is_none_or(|held| held < n.level) {
                    level_sent.execute(params![item, n.level.code()]).map_err(map_err)?;
                }
            }
        }
    }
    Ok(created)
}

/// What a notice's letter says: its physician, copy, facility and items, as of the notice's day.
pub(in crate::store::sqlite) fn notice_preview(conn: &Connection, n: &NoticeDraft) -> StoreResult<NoticeRecord> {
    let (physician, npi, copy_to): (String, String, Option<String>) = conn
        .query_row(
            "SELECT p.family, p.given, p.npi, c.family, c.given FROM provider p
             LEFT JOIN provider c ON c.id = ?2 WHERE p.id = ?1",
            params![n.provider_id, n.copy_to_id],
            |r| {
                let copy = match (r.get::<_, Option<String>>(3)?, r.get::<_, Option<String>>(4)?) {
                    (Some(f), g) => Some(display_name(&f.to_uppercase(), g.as_deref().unwrap_or(""), "")),
                    (None, _) => None,
                };
                Ok((display_name(&r.get::<_, String>(0)?, &r.get::<_, String>(1)?, ""), r.get(2)?, copy))
            },
        )
        .optional()
        .map_err(map_err)?
        .ok_or_else(|| StoreError::NotFound(format!("provider {}", n.provider_id)))?;
    let (facility, facility_code): (String, String) = conn
        .query_row("SELECT name, code FROM facility WHERE id = ?1", [n.facility_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map_err(map_err)?
        .unwrap_or_else(|| ("Health Information Management".into(), String::new()));
    let mut lines = Vec::new();
    let mut stmt = conn
        .prepare_cached(
            "SELECT p.mrn, e.account, d.event_on, t.name, d.paused_days FROM deficiency d
             JOIN encounter e ON e.id = d.encounter_id JOIN patient p ON p.id = e.patient_id
             JOIN deficiency_type t ON t.code = d.type_code WHERE d.id = ?1",
        )
        .map_err(map_err)?;
    for id in &n.deficiency_ids {
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
            lines.push(NoticeLine {
                mrn,
                account,
                discharged_on,
                deficiency: name,
                days_outstanding: crate::domain::deficiency::age_days(discharged_on, paused, n.notice_on),
            });
        }
    }
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
pub(in crate::store::sqlite) fn notices_between(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<NoticeRecord>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, provider_id, facility_id, level, notice_on, copy_to_id, deficiency_ids, count_open,
                    count_delinquent
             FROM deficiency_notice WHERE notice_on >= ?1 AND notice_on <= ?2 ORDER BY notice_on, id",
        )
        .map_err(map_err)?;
    let drafts = stmt
        .query_map(params![date_text(from), date_text(to)], |r| {
            let level: String = r.get(3)?;
            let ids: String = r.get(6)?;
            Ok((
                r.get::<_, i64>(0)?,
                NoticeDraft {
                    provider_id: r.get(1)?,
                    facility_id: r.get(2)?,
                    level: NoticeLevel::from_code(&level).unwrap_or(NoticeLevel::Notice),
                    notice_on: date(&r.get::<_, String>(4)?),
                    copy_to_id: r.get(5)?,
                    deficiency_ids: ids.split(',').filter_map(|s| s.parse().ok()).collect(),
                    count_open: r.get(7)?,
                    count_delinquent: r.get(8)?,
                },
            ))
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    drafts
        .into_iter()
        .map(|(id, draft)| {
            let mut record = notice_preview(conn, &draft)?;
            record.id = Some(id);
            Ok(record)
        })
        .collect()
}

fn claim_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<NightlyClaim> {
    let started: String = r.get(1)?;
    let finished: Option<String> = r.get(2)?;
    Ok(NightlyClaim {
        run_on: date(&r.get::<_, String>(0)?),
        started_at: parse_timestamp(&started),
        finished_at: finished.as_deref().map(parse_timestamp),
        username: r.get(3)?,
        host: r.get(4)?,
        pid: r.get(5)?,
    })
}

const CLAIM_COLUMNS: &str = "run_on, started_at, finished_at, holder, host, pid";

pub(in crate::store::sqlite) fn nightly_claims(conn: &Connection) -> StoreResult<Vec<NightlyClaim>> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {CLAIM_COLUMNS} FROM nightly_run WHERE finished_at IS NULL
             UNION ALL
             SELECT * FROM (SELECT {CLAIM_COLUMNS} FROM nightly_run WHERE finished_at IS NOT NULL
                            ORDER BY run_on DESC LIMIT 1)
             ORDER BY 1"
        ))
        .map_err(map_err)?;
    let rows = stmt.query_map([], claim_of).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(in crate::store::sqlite) fn begin_nightly(
    conn: &mut Connection,
    claim: &NightlyClaim,
    replacing: Option<DateTime<Utc>>,
    audit: &NewAuditEvent,
) -> StoreResult<bool> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let existing: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT started_at, finished_at FROM nightly_run WHERE run_on = ?1",
            [date_text(claim.run_on)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(map_err)?;
    match existing {
        Some((_, Some(_))) => return Ok(false),
        Some((started, None)) => {
            if replacing.map(timestamp).as_deref() != Some(started.as_str()) {
                return Err(StoreError::Busy);
            }
            tx.execute("DELETE FROM nightly_run WHERE run_on = ?1", [date_text(claim.run_on)]).map_err(map_err)?;
        }
        None => {}
    }
    tx.execute(
        "INSERT INTO nightly_run (run_on, started_at, holder, host, pid) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![date_text(claim.run_on), timestamp(claim.started_at), claim.username, claim.host, claim.pid],
    )
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)?;
    Ok(true)
}

/// Which claim a run finishes or releases: its own, as made (a claim taken over is another's).
fn claim_not_held(run_on: NaiveDate, started_at: DateTime<Utc>) -> StoreError {
    StoreError::NotFound(format!("the unfinished nightly run for {run_on} begun at {}", timestamp(started_at)))
}

pub(in crate::store::sqlite) fn finish_nightly(
    conn: &mut Connection,
    run_on: NaiveDate,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    summary: &str,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    let finished = tx
        .execute(
            "UPDATE nightly_run SET finished_at = ?3, summary = ?4
             WHERE run_on = ?1 AND started_at = ?2 AND finished_at IS NULL",
            params![date_text(run_on), timestamp(started_at), timestamp(finished_at), summary],
        )
        .map_err(map_err)?;
    if finished == 0 {
        return Err(claim_not_held(run_on, started_at));
    }
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

pub(in crate::store::sqlite) fn release_nightly(
    conn: &mut Connection,
    run_on: NaiveDate,
    started_at: DateTime<Utc>,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    let released = tx
        .execute(
            "DELETE FROM nightly_run WHERE run_on = ?1 AND started_at = ?2 AND finished_at IS NULL",
            params![date_text(run_on), timestamp(started_at)],
        )
        .map_err(map_err)?;
    if released == 0 {
        return Err(claim_not_held(run_on, started_at));
    }
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}
