//! The deficiency policy (store-wide and per facility) and the type catalog.

use super::*;

pub(in crate::store::sqlite) fn policy(conn: &Connection) -> StoreResult<DeficiencyPolicy> {
    conn.query_row(
        "SELECT notice_days, final_notice_days, delinquent_days FROM deficiency_policy WHERE id = 1",
        [],
        |r| Ok(DeficiencyPolicy { notice_days: r.get(0)?, final_notice_days: r.get(1)?, delinquent_days: r.get(2)? }),
    )
    .map_err(map_err)
}

pub(in crate::store::sqlite) fn set_policy(
    conn: &mut Connection,
    p: &DeficiencyPolicy,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
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

pub(in crate::store::sqlite) fn types(conn: &Connection) -> StoreResult<Vec<DeficiencyType>> {
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

/// Writes a type: a new code is added, an existing one takes the new values and is active again.
/// The seed of a new store goes through here too, so a type has one way into the catalog.
pub(in crate::store::sqlite) fn upsert_type(conn: &Connection, t: &DeficiencyType) -> StoreResult<()> {
    conn.execute(
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
    .map(drop)
    .map_err(map_err)
}

pub(in crate::store::sqlite) fn save_type(
    conn: &mut Connection,
    t: &DeficiencyType,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    upsert_type(&tx, t)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

pub(in crate::store::sqlite) fn retire_type(
    conn: &mut Connection,
    code: &str,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
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

pub(in crate::store::sqlite) fn facility_policies(conn: &Connection) -> StoreResult<Vec<(i64, DeficiencyPolicy)>> {
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

pub(in crate::store::sqlite) fn set_facility_policy(
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
