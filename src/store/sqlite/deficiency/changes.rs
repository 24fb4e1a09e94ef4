//! Changes to items and charts: completion, pauses, reassignment, comments, the ladder, leave,
//! suspension, deficiencies added by hand, chart status.

use super::*;

pub(in crate::store::sqlite) fn complete(
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

pub(in crate::store::sqlite) fn chart_completion(
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

pub(in crate::store::sqlite) fn set_chart_status(
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

/// Pauses aging of each item still at the listed version: its delinquent date moves by the pause's
/// length (AS-11). Returns the paused ids and the skipped ones with why.
pub(in crate::store::sqlite) fn pause(
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

/// Moves each open item still at the listed version to step `to`, where the ladder allows it.
pub(in crate::store::sqlite) fn move_to(
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

/// A bulk change other than completion or a pause.
pub(in crate::store::sqlite) enum Change {
    Provider(i64),
    Comment(String),
}

/// Applies `change` to each open item still at the listed version; the rest are named and skipped.
/// One audit event per item, in one transaction.
pub(in crate::store::sqlite) fn change_each(
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
