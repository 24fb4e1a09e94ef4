//! Changes to items and charts: completion, pauses, reassignment, comments, the ladder, leave,
//! suspension, deficiencies added by hand, chart status.

use super::*;

async fn provider_id(tx: &Transaction<'_>, npi: &str) -> PgResult<i64> {
    let row = tx.query_opt("SELECT id FROM provider WHERE npi = $1", &[&npi]).await?;
    match row {
        Some(row) => Ok(row.try_get(0)?),
        None => Err(StoreError::NotFound(format!("a provider with NPI {npi}")).into()),
    }
}

pub(in crate::store::postgres) async fn add_leave(
    tx: &Transaction<'_>,
    npi: &str,
    from: NaiveDate,
    to: NaiveDate,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    let id = provider_id(tx, npi).await?;
    tx.execute("INSERT INTO provider_leave (provider_id, from_on, to_on) VALUES ($1, $2, $3)", &[&id, &from, &to])
        .await?;
    append_audit(tx, audit).await
}

pub(in crate::store::postgres) async fn confirm_suspension(
    tx: &Transaction<'_>,
    npi: &str,
    on: NaiveDate,
    by_override: bool,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    let id = provider_id(tx, npi).await?;
    tx.execute(
        "UPDATE provider SET status = 'SUSPENDED', suspension_started_on = $2, suspension_ended_on = NULL,
             suspension_override = $3, version = version + 1 WHERE id = $1",
        &[&id, &on, &by_override],
    )
    .await?;
    append_audit(tx, audit).await
}

pub(in crate::store::postgres) async fn chart_completion(
    c: &impl GenericClient,
    account: &str,
) -> PgResult<Option<ChartCompletionView>> {
    let stmt = c.prepare_cached("SELECT id FROM encounter WHERE account = $1").await?;
    let Some(row) = c.query_opt(&stmt, &[&account]).await? else { return Ok(None) };
    let id: i64 = row.try_get(0)?;
    Ok(chart_states(c, &[id]).await?.pop())
}

/// The chart-completion state of each encounter, with its open items, in the order asked; an
/// encounter not found is left out.
pub(in crate::store::postgres) async fn chart_states(
    c: &impl GenericClient,
    encounter_ids: &[i64],
) -> PgResult<Vec<ChartCompletionView>> {
    let head = c
        .prepare_cached(
            "SELECT e.id, e.patient_id, e.account, p.mrn, c.status, c.version, e.discharge_at, e.facility_id
             FROM encounter e JOIN patient p ON p.id = e.patient_id
             LEFT JOIN chart_completion c ON c.encounter_id = e.id WHERE e.id = ANY($1)",
        )
        .await?;
    let open = c
        .prepare_cached(&format!(
            "SELECT encounter_id, id FROM deficiency WHERE encounter_id = ANY($1) AND status IN {OPEN}
             ORDER BY encounter_id, id"
        ))
        .await?;
    let mut found = HashMap::new();
    for r in c.query(&head, &[&encounter_ids]).await? {
        let status: Option<String> = r.try_get(4)?;
        let discharge: Option<DateTime<Utc>> = r.try_get(6)?;
        let view = ChartCompletionView {
            encounter_id: r.try_get(0)?,
            patient_id: r.try_get(1)?,
            account: r.try_get(2)?,
            mrn: r.try_get(3)?,
            status: status.as_deref().and_then(ChartStatus::from_code).unwrap_or(ChartStatus::AwaitingAnalysis),
            version: r.try_get(5)?,
            open_ids: Vec::new(),
            // The day of the instant in UTC, as SQLite reads the first ten characters of its text.
            discharged_on: discharge.map(|d| d.date_naive()),
            facility_id: r.try_get(7)?,
        };
        found.insert(view.encounter_id, view);
    }
    for r in c.query(&open, &[&encounter_ids]).await? {
        if let Some(view) = found.get_mut(&r.try_get::<_, i64>(0)?) {
            view.open_ids.push(r.try_get(1)?);
        }
    }
    Ok(encounter_ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

/// The listed items as they stand, with their labels and pauses, in the order asked; an id not
/// found is left out.
pub(in crate::store::postgres) async fn items(c: &impl GenericClient, ids: &[i64]) -> PgResult<Vec<ItemState>> {
    let stmt = c
        .prepare_cached(
            "SELECT d.id, d.version, d.status, d.type_code, d.encounter_id, e.account, e.patient_id, p.mrn,
                    d.provider_id, pr.npi, e.facility_id, d.event_on, d.delinquent_on, d.paused_days,
                    d.resolved_on, d.resolved_by, d.claimed_by, d.claimed_at, d.claim_until
             FROM deficiency d JOIN encounter e ON e.id = d.encounter_id JOIN patient p ON p.id = e.patient_id
             JOIN provider pr ON pr.id = d.provider_id WHERE d.id = ANY($1)",
        )
        .await?;
    let mut found = HashMap::new();
    for r in c.query(&stmt, &[&ids]).await? {
        let item = ItemState {
            id: r.try_get(0)?,
            version: r.try_get(1)?,
            status: status_of(&r.try_get::<_, String>(2)?),
            type_code: r.try_get(3)?,
            encounter_id: r.try_get(4)?,
            account: r.try_get(5)?,
            patient_id: r.try_get(6)?,
            mrn: r.try_get(7)?,
            provider_id: r.try_get(8)?,
            provider_npi: r.try_get(9)?,
            facility_id: r.try_get(10)?,
            event_on: r.try_get(11)?,
            delinquent_on: r.try_get(12)?,
            paused_days: r.try_get(13)?,
            resolved_on: r.try_get(14)?,
            resolved_by: r.try_get(15)?,
            pauses: Vec::new(),
            claim: claim_from(&r, 16)?,
        };
        found.insert(item.id, item);
    }
    let mut pauses = queue::pauses_of(c, found.keys().copied().collect()).await?;
    for item in found.values_mut() {
        item.pauses = pauses.remove(&item.id).unwrap_or_default();
    }
    Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

/// Each physician's suspension and the items delinquent on `on`, in the order asked; a provider
/// not found is left out.
pub(in crate::store::postgres) async fn provider_suspensions(
    c: &impl GenericClient,
    provider_ids: &[i64],
    on: NaiveDate,
) -> PgResult<Vec<ProviderSuspension>> {
    let head = c
        .prepare_cached(
            "SELECT id, version, suspension_started_on IS NOT NULL AND suspension_ended_on IS NULL,
                    suspension_override
             FROM provider WHERE id = ANY($1)",
        )
        .await?;
    let delinquent = c
        .prepare_cached(&format!(
            "SELECT provider_id, id FROM deficiency
             WHERE provider_id = ANY($1) AND status IN {OPEN} AND delinquent_on <= $2 ORDER BY provider_id, id"
        ))
        .await?;
    let mut found = HashMap::new();
    for r in c.query(&head, &[&provider_ids]).await? {
        let provider_id: i64 = r.try_get(0)?;
        found.insert(
            provider_id,
            ProviderSuspension {
                provider_id,
                version: r.try_get(1)?,
                suspended: r.try_get(2)?,
                by_override: r.try_get(3)?,
                delinquent_ids: Vec::new(),
            },
        );
    }
    for r in c.query(&delinquent, &[&provider_ids, &on]).await? {
        if let Some(standing) = found.get_mut(&r.try_get::<_, i64>(0)?) {
            standing.delinquent_ids.push(r.try_get(1)?);
        }
    }
    Ok(provider_ids.iter().filter_map(|id| found.get(id).cloned()).collect())
}

pub(in crate::store::postgres) async fn has_deficiency(
    c: &impl GenericClient,
    encounter_id: i64,
    type_code: &str,
    provider_id: i64,
) -> PgResult<bool> {
    let stmt = c
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM deficiency WHERE encounter_id = $1 AND type_code = $2 AND provider_id = $3
                 AND status <> 'VOIDED')",
        )
        .await?;
    Ok(c.query_one(&stmt, &[&encounter_id, &type_code, &provider_id]).await?.try_get(0)?)
}

pub(in crate::store::postgres) async fn add_deficiency(
    tx: &Transaction<'_>,
    new: &NewSeededDeficiency,
    chart_version: Option<i64>,
    duplicate_confirmed: bool,
    audit: &NewAuditEvent,
) -> PgResult<i64> {
    let incomplete = ChartStatus::Incomplete.code();
    let changed = match chart_version {
        Some(version) => {
            tx.execute(
                "UPDATE chart_completion SET status = $3, version = version + 1 WHERE encounter_id = $1 AND version = $2",
                &[&new.encounter_id, &version, &incomplete],
            )
            .await?
        }
        None => {
            tx.execute(
                "INSERT INTO chart_completion (encounter_id, status, received_on) VALUES ($1, $2, $3)
                 ON CONFLICT (encounter_id) DO NOTHING",
                &[&new.encounter_id, &incomplete, &new.event_on],
            )
            .await?
        }
    };
    if changed == 0 {
        return Err(StoreError::Conflict.into());
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO deficiency (chart_completion_id, encounter_id, document_id, type_code, provider_id, status,
                 event_on, delinquent_on, created_at, duplicate_confirmed)
             VALUES ((SELECT id FROM chart_completion WHERE encounter_id = $1), $1, $2, $3, $4, $5, $6, $7, $8, $9)
             RETURNING id",
            &[
                &new.encounter_id,
                &new.document_id,
                &new.type_code,
                &new.provider_id,
                &new.status.code(),
                &new.event_on,
                &new.delinquent_on,
                &audit.at,
                &duplicate_confirmed,
            ],
        )
        .await?
        .try_get(0)?;
    tx.execute(
        "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note)
         VALUES ($1, $2, $3, NULL, $4, $5)",
        &[&id, &audit.at, &audit.username, &new.status.code(), &audit.detail],
    )
    .await?;
    let mut event = audit.clone();
    event.entity_id = Some(id.to_string());
    append_audit(tx, &event).await?;
    Ok(id)
}

/// The claim in columns `first..first + 3` (claimed_by, claimed_at, claim_until), if any.
pub(in crate::store::postgres) fn claim_from(r: &Row, first: usize) -> PgResult<Option<Claim>> {
    let holder: Option<String> = r.try_get(first)?;
    let since: Option<DateTime<Utc>> = r.try_get(first + 1)?;
    let until: Option<DateTime<Utc>> = r.try_get(first + 2)?;
    Ok(match (holder, since, until) {
        (Some(holder), Some(since), Some(until)) => Some(Claim { holder, since, until }),
        _ => None,
    })
}

/// The item's change log after `after_version`, oldest first.
pub(in crate::store::postgres) async fn item_changes(
    c: &impl GenericClient,
    id: i64,
    after_version: i64,
) -> PgResult<Vec<ItemChangeRecord>> {
    let stmt = c
        .prepare_cached(
            "SELECT deficiency_id, version, at, username, change, to_status, holder, detail FROM deficiency_change
             WHERE deficiency_id = $1 AND version > $2 ORDER BY version",
        )
        .await?;
    c.query(&stmt, &[&id, &after_version])
        .await?
        .iter()
        .map(|r| {
            Ok(ItemChangeRecord {
                deficiency_id: r.try_get(0)?,
                version: r.try_get(1)?,
                at: r.try_get(2)?,
                username: r.try_get(3)?,
                change: r.try_get(4)?,
                status: status_of(&r.try_get::<_, String>(5)?),
                holder: r.try_get(6)?,
                detail: r.try_get(7)?,
            })
        })
        .collect()
}

/// Writes one action's changes whole: each row only at the version the desk read. Any row that
/// moved is a `Conflict`, and the caller's transaction is rolled back with everything before it.
pub(in crate::store::postgres) async fn apply_changes(
    tx: &Transaction<'_>,
    changes: &DeficiencyChanges,
) -> PgResult<()> {
    let history = tx
        .prepare_cached(
            "INSERT INTO deficiency_event (deficiency_id, at, username, from_status, to_status, note)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await?;
    // The holder is read from the item as the claim below left it: the log says who held it after.
    let log = tx
        .prepare_cached(
            "INSERT INTO deficiency_change (deficiency_id, version, at, username, change, to_status, holder, detail)
             VALUES ($1, $2, $3, $4, $5, $6, (SELECT claimed_by FROM deficiency WHERE id = $1), $7)",
        )
        .await?;
    for write in &changes.items {
        let (id, version, to) = (write.id, write.version, write.to.code());
        let changed = match &write.change {
            ItemChange::Complete { resolved_on, resolved_by } => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE deficiency SET status = $3, resolved_on = $4, resolved_by = $5, version = version + 1
                         WHERE id = $1 AND version = $2",
                    )
                    .await?;
                tx.execute(&stmt, &[&id, &version, &to, resolved_on, resolved_by]).await?
            }
            ItemChange::Pause { span, .. } => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE deficiency SET paused_days = paused_days + $3::bigint,
                             delinquent_on = delinquent_on + ($3::bigint)::integer, version = version + 1
                         WHERE id = $1 AND version = $2",
                    )
                    .await?;
                tx.execute(&stmt, &[&id, &version, &span.days]).await?
            }
            ItemChange::Reassign { provider_id } => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE deficiency SET provider_id = $3, version = version + 1 WHERE id = $1 AND version = $2",
                    )
                    .await?;
                tx.execute(&stmt, &[&id, &version, provider_id]).await?
            }
            ItemChange::Comment { text } => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE deficiency SET comment = $3, version = version + 1 WHERE id = $1 AND version = $2",
                    )
                    .await?;
                tx.execute(&stmt, &[&id, &version, text]).await?
            }
            ItemChange::Step => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE deficiency SET status = $3, version = version + 1 WHERE id = $1 AND version = $2",
                    )
                    .await?;
                tx.execute(&stmt, &[&id, &version, &to]).await?
            }
            // Who holds it is all these change; the claim is written below.
            ItemChange::Take | ItemChange::TakeOver | ItemChange::Release => {
                let stmt = tx
                    .prepare_cached("UPDATE deficiency SET version = version + 1 WHERE id = $1 AND version = $2")
                    .await?;
                tx.execute(&stmt, &[&id, &version]).await?
            }
        };
        if changed == 0 {
            return Err(StoreError::Conflict.into());
        }
        match &write.claim {
            ClaimWrite::Keep => {}
            ClaimWrite::Set(claim) => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE deficiency SET claimed_by = $2, claimed_at = $3, claim_until = $4 WHERE id = $1",
                    )
                    .await?;
                tx.execute(&stmt, &[&id, &claim.holder, &claim.since, &claim.until]).await?;
            }
            ClaimWrite::Clear => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE deficiency SET claimed_by = NULL, claimed_at = NULL, claim_until = NULL WHERE id = $1",
                    )
                    .await?;
                tx.execute(&stmt, &[&id]).await?;
            }
        }
        let made = version + 1;
        tx.execute(
            &log,
            &[&id, &made, &write.audit.at, &write.audit.username, &write.change.code(), &to, &write.audit.detail],
        )
        .await?;
        if let ItemChange::Pause { span, reason, by } = &write.change {
            let stmt = tx
                .prepare_cached(
                    "INSERT INTO aging_pause (deficiency_id, reason, from_on, to_on, created_by, days)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .await?;
            tx.execute(&stmt, &[&id, reason, &span.from, &span.to, by, &span.days]).await?;
        }
        if write.from != write.to {
            tx.execute(&history, &[&id, &write.audit.at, &write.audit.username, &write.from.code(), &to, &write.note])
                .await?;
        }
        append_audit(tx, &write.audit).await?;
    }
    for chart in &changes.charts {
        let changed = tx
            .execute(
                "UPDATE chart_completion SET status = $3, completed_on = $4, version = version + 1
                 WHERE encounter_id = $1 AND version = $2",
                &[&chart.encounter_id, &chart.version, &chart.status.code(), &chart.completed_on],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::Conflict.into());
        }
        append_audit(tx, &chart.audit).await?;
    }
    for r in &changes.reinstatements {
        let changed = tx
            .execute(
                "UPDATE provider SET suspension_ended_on = $3, status = 'ACTIVE', suspension_override = false,
                     version = version + 1
                 WHERE id = $1 AND version = $2",
                &[&r.provider_id, &r.version, &r.on],
            )
            .await?;
        if changed == 0 {
            return Err(StoreError::Conflict.into());
        }
        append_audit(tx, &r.audit).await?;
    }
    record_notices(tx, &changes.notices).await?;
    Ok(())
}
