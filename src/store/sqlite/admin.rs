//! Users, facilities, settings and the audit trail.

use super::map_err;
use crate::domain::audit::{AuditAction, AuditEvent, NewAuditEvent, chain};
use crate::domain::chart::{Facility, FacilityKind, NewFacility, Provider};
use crate::domain::role::Role;
use crate::store::{
    AuditFilter, AuditQuery, ChangeStamp, NewUser, Page, StoreError, StoreInfo, StoreResult, Topic, User,
};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub(super) fn parse_timestamp(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

pub(super) fn info(conn: &Connection) -> StoreResult<StoreInfo> {
    let schema_version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(map_err)?;
    let is_demo = setting(conn, "demo")?.as_deref() == Some("1");
    let patient_count: i64 =
        conn.query_row("SELECT coalesce(max(id), 0) FROM patient", [], |r| r.get(0)).map_err(map_err)?;
    let has_patients = patient_count > 0;
    let has_real_data = !is_demo && has_patients;
    Ok(StoreInfo { schema_version, is_demo, has_real_data, facilities: list_facilities(conn)?, patient_count })
}

/// The change feed's counters, one per topic.
pub(super) fn change_stamp(conn: &Connection) -> StoreResult<ChangeStamp> {
    let mut stmt = conn.prepare_cached("SELECT topic, counter FROM change_counter").map_err(map_err)?;
    let counters = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    Ok(ChangeStamp::new(counters.into_iter().filter_map(|(topic, n)| Some((Topic::from_code(&topic)?, n)))))
}

pub(super) fn setting(conn: &Connection, key: &str) -> StoreResult<Option<String>> {
    conn.query_row("SELECT value FROM store_setting WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(map_err)
}

pub(super) fn mark_demo(conn: &mut Connection, audit: &NewAuditEvent) -> StoreResult<()> {
    let tx = conn.transaction().map_err(map_err)?;
    tx.execute(
        "INSERT INTO store_setting (key, value) VALUES ('demo', '1') ON CONFLICT (key) DO UPDATE SET value = '1'",
        [],
    )
    .map_err(map_err)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)
}

/// Appends one event to the chain. A lone event (no transaction open) gets one of its own, which
/// takes the write lock before the chain's head is read: two programs appending at once then take
/// turns, and neither links to a head the other has moved past. Inside a caller's transaction the
/// change written before it already holds that lock; one whose event comes first may find the
/// head moved by another program as it writes, and is refused as busy rather than fork the chain.
pub(super) fn append_audit(conn: &Connection, event: &NewAuditEvent) -> StoreResult<()> {
    if conn.is_autocommit() {
        let tx =
            rusqlite::Transaction::new_unchecked(conn, rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
        link_event(&tx, event)?;
        return tx.commit().map_err(map_err);
    }
    link_event(conn, event)
}

/// Appends `events` in order, in one transaction.
pub(super) fn append_audit_events(conn: &mut Connection, events: &[NewAuditEvent]) -> StoreResult<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    for event in events {
        link_event(&tx, event)?;
    }
    tx.commit().map_err(map_err)
}

/// Numbers the event after the chain's head and writes it with its link. The hash is the domain's
/// (`chain::link_hash`): the store computes nothing of its own, it only hands the domain the id and
/// the predecessor that it alone knows inside the transaction, and the instant as it will read it
/// back (whole seconds).
fn link_event(conn: &Connection, event: &NewAuditEvent) -> StoreResult<()> {
    let head: Option<(i64, Option<String>)> = conn
        .prepare_cached("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
        .and_then(|mut stmt| stmt.query_row([], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(map_err)?;
    let (id, prev_hash) = match head {
        Some((last, hash)) => (last + 1, hash.unwrap_or_default()),
        None => (1, chain::GENESIS.to_string()),
    };
    let at = timestamp(event.at);
    let action = event.action.code();
    let hash = chain::link_hash(
        &prev_hash,
        &chain::LinkContent {
            id,
            at: parse_timestamp(&at),
            username: &event.username,
            source: &event.source,
            action,
            entity: &event.entity,
            entity_id: event.entity_id.as_deref(),
            patient_id: event.patient_id,
            provider_id: event.provider_id,
            detail: &event.detail,
        },
    );
    conn.prepare_cached(
        "INSERT INTO audit_event (id, at, username, source, action, entity, entity_id, patient_id, detail, provider_id,
                                  prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            id,
            at,
            event.username,
            event.source,
            action,
            event.entity,
            event.entity_id,
            event.patient_id,
            event.detail,
            event.provider_id,
            prev_hash,
            hash
        ])
    })
    .map_err(map_err)?;
    Ok(())
}

/// Links the events written before the chain (an upgrade to schema 20), oldest first, in batches,
/// inside the upgrade's transaction. The hashes are the domain's, as for a new event.
pub(super) fn fill_chain(conn: &Connection) -> StoreResult<()> {
    const BATCH: usize = 10_000;
    let mut prev_hash = chain::GENESIS.to_string();
    let mut after = i64::MIN;
    loop {
        let events = audit_chain(conn, after, BATCH)?;
        let Some(last) = events.last() else { return Ok(()) };
        after = last.id;
        let mut update =
            conn.prepare_cached("UPDATE audit_event SET prev_hash = ?1, hash = ?2 WHERE id = ?3").map_err(map_err)?;
        for event in &events {
            let hash = chain::link_hash(&prev_hash, &event.content());
            update.execute(params![prev_hash, hash, event.id]).map_err(map_err)?;
            prev_hash = hash;
        }
        if events.len() < BATCH {
            return Ok(());
        }
    }
}

pub(super) fn audit_chain(conn: &Connection, after_id: i64, limit: usize) -> StoreResult<Vec<chain::ChainedEvent>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, at, username, source, action, entity, entity_id, patient_id, provider_id, detail, prev_hash, hash
             FROM audit_event WHERE id > ?1 ORDER BY id LIMIT ?2",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map(params![after_id, limit as i64], |r| {
            Ok(chain::ChainedEvent {
                id: r.get(0)?,
                at: parse_timestamp(&r.get::<_, String>(1)?),
                username: r.get(2)?,
                source: r.get(3)?,
                action: r.get(4)?,
                entity: r.get(5)?,
                entity_id: r.get(6)?,
                patient_id: r.get(7)?,
                provider_id: r.get(8)?,
                detail: r.get(9)?,
                prev_hash: r.get(10)?,
                hash: r.get(11)?,
            })
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn audit_count(conn: &Connection) -> StoreResult<i64> {
    conn.query_row("SELECT count(*) FROM audit_event", [], |r| r.get(0)).map_err(map_err)
}

/// Only the conditions given are written, so that each report is planned for its own index.
/// The audit events, each with the patient's MRN and the provider's NPI beside it, in the columns
/// [`audit_event_from_row`] reads.
const AUDIT_EVENTS: &str = "SELECT a.id, a.at, a.username, a.source, a.action, a.entity, a.entity_id, a.patient_id,
        p.mrn, a.detail, a.provider_id, pr.npi
    FROM audit_event a LEFT JOIN patient p ON p.id = a.patient_id LEFT JOIN provider pr ON pr.id = a.provider_id";

pub(super) fn audit_report(conn: &Connection, query: &AuditQuery) -> StoreResult<Vec<AuditEvent>> {
    let limit = if query.limit == 0 { 1000 } else { query.limit } as i64;
    let mut conditions = Vec::new();
    let mut values: Vec<rusqlite::types::Value> = Vec::new();
    let mut condition = |sql: &str, value: rusqlite::types::Value| {
        values.push(value);
        conditions.push(format!("{sql} ?{}", values.len()));
    };
    if let Some(patient_id) = query.patient_id {
        condition("a.patient_id =", patient_id.into());
    }
    if let Some(username) = &query.username {
        condition("a.username =", username.clone().into());
    }
    if let Some(action) = query.action {
        condition("a.action =", action.code().to_string().into());
    }
    if let Some(from) = query.from {
        condition("a.at >=", timestamp(from).into());
    }
    if let Some(until) = query.until {
        condition("a.at <", timestamp(until).into());
    }
    values.push(limit.into());
    let filter = if conditions.is_empty() { String::new() } else { format!("WHERE {}", conditions.join(" AND ")) };
    let sql = format!("{AUDIT_EVENTS} {filter} ORDER BY a.id LIMIT ?{}", values.len());
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), audit_event_from_row).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

fn audit_event_from_row(r: &Row<'_>) -> rusqlite::Result<AuditEvent> {
    let action: String = r.get(4)?;
    Ok(AuditEvent {
        id: r.get(0)?,
        at: parse_timestamp(&r.get::<_, String>(1)?),
        username: r.get(2)?,
        source: r.get(3)?,
        action: AuditAction::from_code(&action).unwrap_or(AuditAction::Update),
        entity: r.get(5)?,
        entity_id: r.get(6)?,
        patient_id: r.get(7)?,
        patient_mrn: r.get(8)?,
        detail: r.get(9)?,
        provider_id: r.get(10)?,
        provider_npi: r.get(11)?,
    })
}

pub(super) fn list_audit(conn: &Connection, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
    let limit = if filter.limit == 0 { 1000 } else { filter.limit } as i64;
    let mut stmt = conn
        .prepare_cached(&format!(
            "{AUDIT_EVENTS}
                 WHERE (?1 IS NULL OR a.patient_id = ?1) AND (?2 IS NULL OR a.username = ?2)
                   AND (?4 IS NULL OR a.provider_id = ?4) AND (?5 IS NULL OR a.action = ?5)
                   AND (?6 IS NULL OR a.entity = ?6)
                 ORDER BY a.id DESC LIMIT ?3"
        ))
        .map_err(map_err)?;
    let action = filter.action.map(AuditAction::code);
    let rows = stmt
        .query_map(
            params![filter.patient_id, filter.username, limit, filter.provider_id, action, filter.entity],
            audit_event_from_row,
        )
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

fn roles_of(conn: &Connection, user_id: i64) -> StoreResult<Vec<Role>> {
    let mut stmt = conn.prepare_cached("SELECT role FROM user_role WHERE user_id = ?1").map_err(map_err)?;
    let codes = stmt
        .query_map([user_id], |r| r.get::<_, String>(0))
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let mut roles: Vec<Role> = codes.iter().filter_map(|c| Role::parse(c).ok()).collect();
    roles.sort();
    Ok(roles)
}

/// The columns [`user_from_row`] reads.
const USER_COLUMNS: &str = "id, username, display_name, enabled, created_at, patient_id, signature_hash IS NOT NULL";

type RawUser = (i64, String, String, bool, String, Option<i64>, bool);

fn user_from_row(r: &Row<'_>) -> rusqlite::Result<RawUser> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)? != 0, r.get(4)?, r.get(5)?, r.get::<_, i64>(6)? != 0))
}

fn finish_user(conn: &Connection, raw: RawUser) -> StoreResult<User> {
    let (id, username, display_name, enabled, created_at, patient_id, has_signature) = raw;
    Ok(User {
        id,
        roles: roles_of(conn, id)?,
        username,
        display_name,
        enabled,
        created_at: parse_timestamp(&created_at),
        patient_id,
        has_signature,
    })
}

/// Read before every permission check, so cached: two indexed lookups on a prepared statement each.
pub(super) fn user_by_name(conn: &Connection, username: &str) -> StoreResult<Option<User>> {
    let raw = conn
        .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM app_user WHERE username = ?1"))
        .map_err(map_err)?
        .query_row([username], user_from_row)
        .optional()
        .map_err(map_err)?;
    raw.map(|raw| finish_user(conn, raw)).transpose()
}

pub(super) fn list_users(conn: &Connection) -> StoreResult<Vec<User>> {
    let mut stmt =
        conn.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM app_user ORDER BY username")).map_err(map_err)?;
    let raws = stmt.query_map([], user_from_row).map_err(map_err)?.collect::<Result<Vec<_>, _>>().map_err(map_err)?;
    raws.into_iter().map(|raw| finish_user(conn, raw)).collect()
}

fn write_roles(conn: &Connection, user_id: i64, roles: &[Role]) -> StoreResult<()> {
    conn.execute("DELETE FROM user_role WHERE user_id = ?1", [user_id]).map_err(map_err)?;
    for role in roles {
        conn.execute("INSERT OR IGNORE INTO user_role (user_id, role) VALUES (?1, ?2)", params![user_id, role.code()])
            .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn add_user(conn: &mut Connection, user: &NewUser, audit: &NewAuditEvent) -> StoreResult<User> {
    let tx = conn.transaction().map_err(map_err)?;
    tx.execute(
        "INSERT INTO app_user (username, display_name, enabled, created_at) VALUES (?1, ?2, 1, ?3)",
        params![user.username, user.display_name, timestamp(audit.at)],
    )
    .map_err(map_err)?;
    let id = tx.last_insert_rowid();
    write_roles(&tx, id, &user.roles)?;
    append_audit(&tx, audit)?;
    let created = user_by_name(&tx, &user.username)?.ok_or_else(|| StoreError::NotFound("the new user".into()))?;
    tx.commit().map_err(map_err)?;
    Ok(created)
}

pub(super) fn set_user_roles(
    conn: &mut Connection,
    username: &str,
    roles: &[Role],
    audit: &NewAuditEvent,
) -> StoreResult<User> {
    let tx = conn.transaction().map_err(map_err)?;
    let user = user_by_name(&tx, username)?.ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
    write_roles(&tx, user.id, roles)?;
    tx.execute("UPDATE app_user SET version = version + 1 WHERE id = ?1", [user.id]).map_err(map_err)?;
    append_audit(&tx, audit)?;
    let updated = user_by_name(&tx, username)?.ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
    tx.commit().map_err(map_err)?;
    Ok(updated)
}

pub(super) fn set_user_enabled(
    conn: &mut Connection,
    username: &str,
    enabled: bool,
    audit: &NewAuditEvent,
) -> StoreResult<User> {
    update_user(conn, username, "enabled", &(enabled as i64), audit)
}

pub(super) fn link_user_patient(
    conn: &mut Connection,
    username: &str,
    patient_id: Option<i64>,
    audit: &NewAuditEvent,
) -> StoreResult<User> {
    update_user(conn, username, "patient_id", &patient_id, audit)
}

pub(super) fn set_signature_hash(
    conn: &mut Connection,
    username: &str,
    hash: Option<&str>,
    audit: &NewAuditEvent,
) -> StoreResult<()> {
    update_user(conn, username, "signature_hash", &hash, audit).map(drop)
}

/// Sets one column of a user's row (a name of this file's, never typed) and their version, with
/// its audit event, in one transaction; the user as they now stand.
fn update_user(
    conn: &mut Connection,
    username: &str,
    column: &str,
    value: &dyn rusqlite::ToSql,
    audit: &NewAuditEvent,
) -> StoreResult<User> {
    let tx = conn.transaction().map_err(map_err)?;
    let sql = format!("UPDATE app_user SET {column} = ?2, version = version + 1 WHERE username = ?1");
    if tx.execute(&sql, params![username, value]).map_err(map_err)? == 0 {
        return Err(StoreError::NotFound(format!("user {username}")));
    }
    append_audit(&tx, audit)?;
    let updated = user_by_name(&tx, username)?.ok_or_else(|| StoreError::NotFound(format!("user {username}")))?;
    tx.commit().map_err(map_err)?;
    Ok(updated)
}

pub(super) fn signature_hash(conn: &Connection, username: &str) -> StoreResult<Option<String>> {
    conn.prepare_cached("SELECT signature_hash FROM app_user WHERE username = ?1")
        .map_err(map_err)?
        .query_row([username], |r| r.get::<_, Option<String>>(0))
        .optional()
        .map(Option::flatten)
        .map_err(map_err)
}

fn facility_from_row(r: &Row<'_>) -> rusqlite::Result<Facility> {
    let kind: String = r.get(4)?;
    Ok(Facility {
        id: r.get(0)?,
        code: r.get(1)?,
        name: r.get(2)?,
        state: r.get(3)?,
        kind: FacilityKind::from_code(&kind).unwrap_or(FacilityKind::Hospital),
        timezone: r.get(5)?,
    })
}

pub(super) fn list_facilities(conn: &Connection) -> StoreResult<Vec<Facility>> {
    let mut stmt = conn
        .prepare_cached("SELECT id, code, name, state, kind, timezone FROM facility ORDER BY id")
        .map_err(map_err)?;
    let rows = stmt.query_map([], facility_from_row).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn add_facility(conn: &mut Connection, f: &NewFacility, audit: &NewAuditEvent) -> StoreResult<Facility> {
    let tx = conn.transaction().map_err(map_err)?;
    tx.execute(
        "INSERT INTO facility (code, name, state, kind, timezone) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![f.code, f.name, f.state, f.kind.code(), f.timezone],
    )
    .map_err(map_err)?;
    let id = tx.last_insert_rowid();
    append_audit(&tx, audit)?;
    let created = tx
        .query_row("SELECT id, code, name, state, kind, timezone FROM facility WHERE id = ?1", [id], facility_from_row)
        .map_err(map_err)?;
    tx.commit().map_err(map_err)?;
    Ok(created)
}

fn provider_from_row(r: &Row<'_>) -> rusqlite::Result<Provider> {
    Ok(Provider {
        id: r.get(0)?,
        npi: r.get(1)?,
        family: r.get(2)?,
        given: r.get(3)?,
        credentials: r.get(4)?,
        specialty: r.get(5)?,
        is_resident: r.get::<_, i64>(6)? != 0,
        supervisor_id: r.get(7)?,
    })
}

pub(super) fn provider_by_npi(conn: &Connection, npi: &str) -> StoreResult<Option<Provider>> {
    conn.query_row(
        "SELECT id, npi, family, given, credentials, specialty, is_resident, supervisor_id FROM provider WHERE npi = ?1",
        [npi],
        provider_from_row,
    )
    .optional()
    .map_err(map_err)
}

pub(super) fn list_providers(conn: &Connection, page: Page) -> StoreResult<Vec<Provider>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, npi, family, given, credentials, specialty, is_resident, supervisor_id
             FROM provider ORDER BY family, given, id LIMIT ?1 OFFSET ?2",
        )
        .map_err(map_err)?;
    let rows = stmt.query_map(params![page.limit as i64, page.offset as i64], provider_from_row).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}
