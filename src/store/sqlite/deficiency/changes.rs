//! Changes to items and charts: completion, pauses, reassignment, comments, the ladder, leave,
//! suspension, deficiencies added by hand, chart status.

use super::*;

fn provider_id(conn: &Connection, npi: &str) -> StoreResult<i64> {
    conn.query_row("SELECT id FROM provider WHERE npi = ?1", [npi], |r| r.get(0))
        .optional()
        .map_err(map_err)?
        .ok_or_else(|| StoreError::NotFound(format!("a provider with NPI {npi}")))
}

pub(in crate::store::sqlite) fn add_leave(
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

pub(in crate::store::sqlite) fn confirm_suspension(
    conn: &mut Connection,
    npi: &str,
    on: NaiveDate,
    by_override: bool,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    let id = provider_id(&tx, npi)?;
    tx.execute(
        "UPDATE provider SET status = 'SUSPENDED', suspension_started_on = ?2, suspension_ended_on = NULL,
             suspension_override = ?3, version = version + 1 WHERE id = ?1",
        params![id, date_text(on), by_override as i64],
    )
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

pub(in crate::store::sqlite) fn chart_completion(
    conn: &Connection,
    account: &str,
) -> StoreResult<Option<crate::store::ChartCompletionView>> {
    let id: Option<i64> = conn
        .query_row("SELECT id FROM encounter WHERE account = ?1", [account], |r| r.get(0))
        .optional()
        .map_err(map_err)?;
    Ok(match id {
        Some(id) => chart_states(conn, &[id])?.pop(),
        None => None,
    })
}

/// The chart-completion state of each encounter, with its open items.
pub(in crate::store::sqlite) fn chart_states(
    conn: &Connection,
    encounter_ids: &[i64],
) -> StoreResult<Vec<crate::store::ChartCompletionView>> {
    let mut head = conn
        .prepare_cached(
            "SELECT e.id, e.patient_id, e.account, p.mrn, c.status, c.version, e.discharge_at, e.facility_id
             FROM encounter e JOIN patient p ON p.id = e.patient_id
             LEFT JOIN chart_completion c ON c.encounter_id = e.id WHERE e.id = ?1",
        )
        .map_err(map_err)?;
    let mut open = conn
        .prepare_cached(&format!("SELECT id FROM deficiency WHERE encounter_id = ?1 AND status IN {OPEN} ORDER BY id"))
        .map_err(map_err)?;
    let mut out = Vec::with_capacity(encounter_ids.len());
    for id in encounter_ids {
        let Some(mut view) = head
            .query_row([id], |r| {
                let status: Option<String> = r.get(4)?;
                let discharge: Option<String> = r.get(6)?;
                Ok(crate::store::ChartCompletionView {
                    encounter_id: r.get(0)?,
                    patient_id: r.get(1)?,
                    account: r.get(2)?,
                    mrn: r.get(3)?,
                    status: status.as_deref().and_then(ChartStatus::from_code).unwrap_or(ChartStatus::AwaitingAnalysis),
                    version: r.get(5)?,
                    open_ids: Vec::new(),
                    discharged_on: discharge.as_deref().and_then(|d| d.get(..10)).map(date),
                    facility_id: r.get(7)?,
                })
            })
            .optional()
            .map_err(map_err)?
        else {
            continue;
        };
        view.open_ids =
            open.query_map([id], |r| r.get(0)).map_err(map_err)?.collect::<Result<_, _>>().map_err(map_err)?;
        out.push(view);
    }
    Ok(out)
}

/// The listed items as they stand, with their labels and pauses.
pub(in crate::store::sqlite) fn items(conn: &Connection, ids: &[i64]) -> StoreResult<Vec<ItemState>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT d.id, d.version, d.status, d.type_code, d.encounter_id, e.account, e.patient_id, p.mrn,
                    d.provider_id, pr.npi, e.facility_id, d.event_on, d.delinquent_on, d.paused_days,
                    d.resolved_on, d.resolved_by, d.claimed_by, d.claimed_at, d.claim_until
             FROM deficiency d JOIN encounter e ON e.id = d.encounter_id JOIN patient p ON p.id = e.patient_id
             JOIN provider pr ON pr.id = d.provider_id WHERE d.id = ?1",
        )
        .map_err(map_err)?;
    let mut pauses = conn
        .prepare_cached("SELECT from_on, to_on FROM aging_pause WHERE deficiency_id = ?1 ORDER BY from_on")
        .map_err(map_err)?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(mut item) = stmt
            .query_row([id], |r| {
                let status: String = r.get(2)?;
                Ok(ItemState {
                    id: r.get(0)?,
                    version: r.get(1)?,
                    status: DeficiencyStatus::from_code(&status).unwrap_or(DeficiencyStatus::Open),
                    type_code: r.get(3)?,
                    encounter_id: r.get(4)?,
                    account: r.get(5)?,
                    patient_id: r.get(6)?,
                    mrn: r.get(7)?,
                    provider_id: r.get(8)?,
                    provider_npi: r.get(9)?,
                    facility_id: r.get(10)?,
                    event_on: date(&r.get::<_, String>(11)?),
                    delinquent_on: date(&r.get::<_, String>(12)?),
                    paused_days: r.get(13)?,
                    resolved_on: r.get::<_, Option<String>>(14)?.as_deref().map(date),
                    resolved_by: r.get(15)?,
                    pauses: Vec::new(),
                    claim: claim_from(r, 16)?,
                })
            })
            .optional()
            .map_err(map_err)?
        else {
            continue;
        };
        item.pauses = pauses
            .query_map([id], |r| Ok((date(&r.get::<_, String>(0)?), date(&r.get::<_, String>(1)?))))
            .map_err(map_err)?
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        out.push(item);
    }
    Ok(out)
}

/// Each physician's suspension and the items delinquent on `on`.
pub(in crate::store::sqlite) fn provider_suspensions(
    conn: &Connection,
    provider_ids: &[i64],
    on: NaiveDate,
) -> StoreResult<Vec<crate::store::ProviderSuspension>> {
    let mut head = conn
        .prepare_cached(
            "SELECT version, suspension_started_on IS NOT NULL AND suspension_ended_on IS NULL, suspension_override
             FROM provider WHERE id = ?1",
        )
        .map_err(map_err)?;
    let mut delinquent = conn
        .prepare_cached(&format!(
            "SELECT id FROM deficiency WHERE provider_id = ?1 AND status IN {OPEN} AND delinquent_on <= ?2 ORDER BY id"
        ))
        .map_err(map_err)?;
    let mut out = Vec::with_capacity(provider_ids.len());
    for id in provider_ids {
        let Some((version, suspended, by_override)) = head
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)))
            .optional()
            .map_err(map_err)?
        else {
            continue;
        };
        let delinquent_ids = delinquent
            .query_map(params![id, date_text(on)], |r| r.get(0))
            .map_err(map_err)?
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        out.push(crate::store::ProviderSuspension {
            provider_id: *id,
            version,
            suspended,
            by_override,
            delinquent_ids,
        });
    }
    Ok(out)
}

pub(in crate::store::sqlite) fn has_deficiency(
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

pub(in crate::store::sqlite) fn add_deficiency(
    conn: &mut Connection,
    new: &NewSeededDeficiency,
    chart_version: Option<i64>,
    duplicate_confirmed: bool,
    audit: &NewAuditEvent,
) -> StoreResult<i64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let changed = match chart_version {
        Some(version) => tx
            .execute(
                "UPDATE chart_completion SET status = ?3, version = version + 1 WHERE encounter_id = ?1 AND version = ?2",
                params![new.encounter_id, version, ChartStatus::Incomplete.code()],
            )
            .map_err(map_err)?,
        None => tx
            .execute(
                "INSERT INTO chart_completion (encounter_id, status, received_on) VALUES (?1, ?2, ?3)
                 ON CONFLICT (encounter_id) DO NOTHING",
                params![new.encounter_id, ChartStatus::Incomplete.code(), date_text(new.event_on)],
            )
            .map_err(map_err)?,
    };
    if changed == 0 {
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

/// The claim in columns `first..first + 3` (claimed_by, claimed_at, claim_until), if any.
pub(in crate::store::sqlite) fn claim_from(
    r: &rusqlite::Row<'_>,
    first: usize,
) -> rusqlite::Result<Option<crate::domain::completion::Claim>> {
    let holder: Option<String> = r.get(first)?;
    let since: Option<String> = r.get(first + 1)?;
    let until: Option<String> = r.get(first + 2)?;
    Ok(match (holder, since, until) {
        (Some(holder), Some(since), Some(until)) => Some(crate::domain::completion::Claim {
            holder,
            since: parse_timestamp(&since),
            until: parse_timestamp(&until),
        }),
        _ => None,
    })
}

/// The item's change log after `after_version`, oldest first.
pub(in crate::store::sqlite) fn item_changes(
    conn: &Connection,
    id: i64,
    after_version: i64,
) -> StoreResult<Vec<crate::store::ItemChangeRecord>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT deficiency_id, version, at, username, change, to_status, holder, detail FROM deficiency_change
             WHERE deficiency_id = ?1 AND version > ?2 ORDER BY version",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map(params![id, after_version], |r| {
            let status: String = r.get(5)?;
            Ok(crate::store::ItemChangeRecord {
                deficiency_id: r.get(0)?,
                version: r.get(1)?,
                at: parse_timestamp(&r.get::<_, String>(2)?),
                username: r.get(3)?,
                change: r.get(4)?,
                status: DeficiencyStatus::from_code(&status).unwrap_or(DeficiencyStatus::Open),
                holder: r.get(6)?,
                detail: r.get(7)?,
            })
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

/// Writes one action's changes whole: each row only at the version the desk read.
pub(in crate::store::sqlite) fn apply_changes(
    conn: &mut Connection,
    changes: &crate::store::DeficiencyChanges,
) -> StoreResult<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    {
        let mut history = tx
            .prepare_cached(
                "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(map_err)?;
        let mut log = tx
            .prepare_cached(
                "INSERT INTO deficiency_change (deficiency_id, version, at, username, change, to_status, holder, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                         (SELECT claimed_by FROM deficiency WHERE id = ?1), ?7)",
            )
            .map_err(map_err)?;
        for write in &changes.items {
            let (id, version, to) = (write.id, write.version, write.to.code());
            let changed = match &write.change {
                ItemChange::Complete { resolved_on, resolved_by } => tx.execute(
                    "UPDATE deficiency SET status = ?3, resolved_on = ?4, resolved_by = ?5, version = version + 1
                     WHERE id = ?1 AND version = ?2",
                    params![id, version, to, date_text(*resolved_on), resolved_by],
                ),
                ItemChange::Pause { span, .. } => tx.execute(
                    "UPDATE deficiency SET paused_days = paused_days + ?3,
                         delinquent_on = date(delinquent_on, '+' || ?3 || ' days'), version = version + 1
                     WHERE id = ?1 AND version = ?2",
                    params![id, version, span.days],
                ),
                ItemChange::Reassign { provider_id } => tx.execute(
                    "UPDATE deficiency SET provider_id = ?3, version = version + 1 WHERE id = ?1 AND version = ?2",
                    params![id, version, provider_id],
                ),
                ItemChange::Comment { text } => tx.execute(
                    "UPDATE deficiency SET comment = ?3, version = version + 1 WHERE id = ?1 AND version = ?2",
                    params![id, version, text],
                ),
                ItemChange::Step => tx.execute(
                    "UPDATE deficiency SET status = ?3, version = version + 1 WHERE id = ?1 AND version = ?2",
                    params![id, version, to],
                ),
                // Who holds it is all these change; the claim is written below.
                ItemChange::Take | ItemChange::TakeOver | ItemChange::Release => tx.execute(
                    "UPDATE deficiency SET version = version + 1 WHERE id = ?1 AND version = ?2",
                    params![id, version],
                ),
            }
            .map_err(map_err)?;
            if changed == 0 {
                return Err(StoreError::Conflict);
            }
            match &write.claim {
                crate::store::ClaimWrite::Keep => 0,
                crate::store::ClaimWrite::Set(claim) => tx
                    .execute(
                        "UPDATE deficiency SET claimed_by = ?2, claimed_at = ?3, claim_until = ?4 WHERE id = ?1",
                        params![id, claim.holder, timestamp(claim.since), timestamp(claim.until)],
                    )
                    .map_err(map_err)?,
                crate::store::ClaimWrite::Clear => tx
                    .execute(
                        "UPDATE deficiency SET claimed_by = NULL, claimed_at = NULL, claim_until = NULL WHERE id = ?1",
                        [id],
                    )
                    .map_err(map_err)?,
            };
            log.execute(params![
                id,
                version + 1,
                timestamp(write.audit.at),
                write.audit.username,
                write.change.code(),
                to,
                write.audit.detail
            ])
            .map_err(map_err)?;
            if let ItemChange::Pause { span, reason, by } = &write.change {
                tx.execute(
                    "INSERT INTO aging_pause (deficiency_id, reason, from_on, to_on, created_by, days)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![id, reason, date_text(span.from), date_text(span.to), by, span.days],
                )
                .map_err(map_err)?;
            }
            if write.from != write.to {
                history
                    .execute(params![
                        id,
                        timestamp(write.audit.at),
                        write.audit.username,
                        write.from.code(),
                        to,
                        write.note
                    ])
                    .map_err(map_err)?;
            }
            append_audit(&tx, &write.audit)?;
        }
    }
    for chart in &changes.charts {
        let changed = tx
            .execute(
                "UPDATE chart_completion SET status = ?3, completed_on = ?4, version = version + 1
                 WHERE encounter_id = ?1 AND version = ?2",
                params![chart.encounter_id, chart.version, chart.status.code(), chart.completed_on.map(date_text)],
            )
            .map_err(map_err)?;
        if changed == 0 {
            return Err(StoreError::Conflict);
        }
        append_audit(&tx, &chart.audit)?;
    }
    for r in &changes.reinstatements {
        let changed = tx
            .execute(
                "UPDATE provider SET suspension_ended_on = ?3, status = 'ACTIVE', suspension_override = 0,
                     version = version + 1
                 WHERE id = ?1 AND version = ?2",
                params![r.provider_id, r.version, date_text(r.on)],
            )
            .map_err(map_err)?;
        if changed == 0 {
            return Err(StoreError::Conflict);
        }
        append_audit(&tx, &r.audit)?;
    }
    record_notices(&tx, changes.notices.iter().map(|(n, a)| (n, a)))?;
    tx.commit().map_err(map_err)
}
