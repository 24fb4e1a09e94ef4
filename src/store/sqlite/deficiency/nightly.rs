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
        let mut forget_pending =
            tx.prepare_cached("DELETE FROM analysis_pending WHERE encounter_id = ?1").map_err(map_err)?;
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
            forget_pending.execute([encounter_id]).map_err(map_err)?;
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

pub(in crate::store::sqlite) fn open_items(conn: &Connection) -> StoreResult<Vec<OpenItem>> {
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

pub(in crate::store::sqlite) fn record_notices(
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

pub(in crate::store::sqlite) fn notice(
    conn: &Connection,
    id: i64,
    today: NaiveDate,
) -> StoreResult<Option<NoticeRecord>> {
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

pub(in crate::store::sqlite) fn begin_nightly(
    conn: &mut Connection,
    run_on: NaiveDate,
    started_at: DateTime<Utc>,
) -> StoreResult<bool> {
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

pub(in crate::store::sqlite) fn finish_nightly(
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
