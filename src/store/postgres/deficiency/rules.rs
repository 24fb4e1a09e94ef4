//! The deficiency policy (store-wide and per facility) and the type catalog.

use super::*;

fn policy_from(r: &Row, first: usize) -> PgResult<DeficiencyPolicy> {
    Ok(DeficiencyPolicy {
        notice_days: r.try_get(first)?,
        final_notice_days: r.try_get(first + 1)?,
        delinquent_days: r.try_get(first + 2)?,
    })
}

pub(in crate::store::postgres) async fn policy(c: &impl GenericClient) -> PgResult<DeficiencyPolicy> {
    let stmt = c
        .prepare_cached("SELECT notice_days, final_notice_days, delinquent_days FROM deficiency_policy WHERE id = 1")
        .await?;
    match c.query_opt(&stmt, &[]).await? {
        Some(row) => policy_from(&row, 0),
        None => Err(StoreError::Corrupt("the store has no deficiency policy".into()).into()),
    }
}

pub(in crate::store::postgres) async fn set_policy(
    tx: &Transaction<'_>,
    p: &DeficiencyPolicy,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    tx.execute(
        "UPDATE deficiency_policy SET notice_days = $1, final_notice_days = $2, delinquent_days = $3,
             version = version + 1
         WHERE id = 1",
        &[&p.notice_days, &p.final_notice_days, &p.delinquent_days],
    )
    .await?;
    append_audit(tx, audit).await
}

pub(in crate::store::postgres) async fn types(c: &impl GenericClient) -> PgResult<Vec<DeficiencyType>> {
    let stmt = c
        .prepare_cached(
            "SELECT code, name, abbreviation, category, level, responsible, days_to_dictate, days_to_sign, days_to_review,
                    standard_for, document_type
             FROM deficiency_type WHERE active ORDER BY code",
        )
        .await?;
    c.query(&stmt, &[])
        .await?
        .iter()
        .map(|r| {
            let standard: String = r.try_get(9)?;
            Ok(DeficiencyType {
                code: r.try_get(0)?,
                name: r.try_get(1)?,
                abbreviation: r.try_get(2)?,
                category: r.try_get(3)?,
                level: r.try_get(4)?,
                responsible: r.try_get(5)?,
                days_to_dictate: r.try_get(6)?,
                days_to_sign: r.try_get(7)?,
                days_to_review: r.try_get(8)?,
                standard_for: standard.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
                document_type: r.try_get(10)?,
            })
        })
        .collect()
}

/// Writes a type: a new code is added, an existing one takes the new values and is active again.
pub(in crate::store::postgres) async fn save_type(
    tx: &Transaction<'_>,
    t: &DeficiencyType,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    tx.execute(
        "INSERT INTO deficiency_type AS t (code, name, abbreviation, category, level, responsible, days_to_dictate,
             days_to_sign, days_to_review, standard_for, document_type, active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, true)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, abbreviation = excluded.abbreviation,
             category = excluded.category, level = excluded.level, responsible = excluded.responsible,
             days_to_dictate = excluded.days_to_dictate, days_to_sign = excluded.days_to_sign,
             days_to_review = excluded.days_to_review, standard_for = excluded.standard_for,
             document_type = excluded.document_type, active = true, version = t.version + 1",
        &[
            &t.code,
            &t.name,
            &t.abbreviation,
            &t.category,
            &t.level,
            &t.responsible,
            &t.days_to_dictate,
            &t.days_to_sign,
            &t.days_to_review,
            &t.standard_for.join(","),
            &t.document_type,
        ],
    )
    .await?;
    append_audit(tx, audit).await
}

pub(in crate::store::postgres) async fn retire_type(
    tx: &Transaction<'_>,
    code: &str,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    let changed = tx
        .execute(
            "UPDATE deficiency_type SET active = false, version = version + 1 WHERE code = $1 AND active",
            &[&code],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound(format!("an active deficiency type {code}")).into());
    }
    append_audit(tx, audit).await
}

pub(in crate::store::postgres) async fn facility_policies(
    c: &impl GenericClient,
) -> PgResult<Vec<(i64, DeficiencyPolicy)>> {
    let stmt = c
        .prepare_cached(
            "SELECT facility_id, notice_days, final_notice_days, delinquent_days FROM facility_deficiency_policy
             ORDER BY 1",
        )
        .await?;
    c.query(&stmt, &[]).await?.iter().map(|r| Ok((r.try_get(0)?, policy_from(r, 1)?))).collect()
}

pub(in crate::store::postgres) async fn set_facility_policy(
    tx: &Transaction<'_>,
    facility_id: i64,
    p: &DeficiencyPolicy,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    tx.execute(
        "INSERT INTO facility_deficiency_policy AS f (facility_id, notice_days, final_notice_days, delinquent_days)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (facility_id) DO UPDATE SET notice_days = excluded.notice_days,
             final_notice_days = excluded.final_notice_days, delinquent_days = excluded.delinquent_days,
             version = f.version + 1",
        &[&facility_id, &p.notice_days, &p.final_notice_days, &p.delinquent_days],
    )
    .await?;
    append_audit(tx, audit).await
}
