//! Users, facilities, providers, settings, the audit trail, and the bulk load's indexes.

use super::{PgResult, schema};
use crate::domain::audit::{AuditAction, AuditEvent, NewAuditEvent, chain};
use crate::domain::chart::{Facility, FacilityKind, NewFacility, Provider};
use crate::domain::role::Role;
use crate::store::{AuditFilter, AuditQuery, NewUser, Page, StoreError, StoreInfo, User};
use chrono::SubsecRound;
use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

pub(super) async fn info(c: &impl GenericClient) -> PgResult<StoreInfo> {
    let schema_version = schema::version_of(c).await?;
    let is_demo = setting(c, "demo").await?.as_deref() == Some("1");
    // The largest id, not a count: a count reads every row of a million-patient table, and ids are
    // never reused, so this is the count of patients ever made.
    let patient_count: i64 = c.query_one("SELECT coalesce(max(id), 0) FROM patient", &[]).await?.try_get(0)?;
    let has_real_data = !is_demo && patient_count > 0;
    Ok(StoreInfo { schema_version, is_demo, has_real_data, facilities: list_facilities(c).await?, patient_count })
}

pub(super) async fn setting(c: &impl GenericClient, key: &str) -> PgResult<Option<String>> {
    let stmt = c.prepare_cached("SELECT value FROM store_setting WHERE key = $1").await?;
    Ok(c.query_opt(&stmt, &[&key]).await?.map(|r| r.try_get(0)).transpose()?)
}

pub(super) async fn init_setting(tx: &Transaction<'_>, key: &str, value: &str) -> PgResult<()> {
    tx.execute("INSERT INTO store_setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", &[&key, &value])
        .await?;
    Ok(())
}

pub(super) async fn put_setting(
    tx: &Transaction<'_>,
    key: &str,
    value: &str,
    audit: Option<&NewAuditEvent>,
) -> PgResult<()> {
    tx.execute(
        "INSERT INTO store_setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&key, &value],
    )
    .await?;
    if let Some(audit) = audit {
        append_audit(tx, audit).await?;
    }
    Ok(())
}

pub(super) async fn mark_demo(tx: &Transaction<'_>, audit: &NewAuditEvent) -> PgResult<()> {
    tx.execute(
        "INSERT INTO store_setting (key, value) VALUES ('demo', '1') ON CONFLICT (key) DO UPDATE SET value = '1'",
        &[],
    )
    .await?;
    append_audit(tx, audit).await
}

/// The key of the advisory lock that takes appends to the audit chain one at a time ("chainaud"
/// in ASCII): held to the end of the appending transaction, so that the next append reads the head
/// this one wrote, and the chain never forks.
const CHAIN_LOCK: i64 = 0x6368_6169_6e61_7564;

/// Appends one event to the chain; callers put it in the transaction of the change it records.
/// The id is drawn and the head read under [`CHAIN_LOCK`], so ids follow the chain's order. The hash
/// is the domain's (`chain::link_hash`): the store only hands it the id and the predecessor that it
/// alone knows inside the transaction, and the instant as it will read it back (microseconds).
pub(super) async fn append_audit(c: &impl GenericClient, event: &NewAuditEvent) -> PgResult<()> {
    c.execute("SELECT pg_advisory_xact_lock($1)", &[&CHAIN_LOCK]).await?;
    let head = c.prepare_cached("SELECT hash FROM audit_event ORDER BY id DESC LIMIT 1").await?;
    let prev_hash = match c.query_opt(&head, &[]).await? {
        Some(row) => row.try_get::<_, Option<String>>(0)?.unwrap_or_default(),
        None => chain::GENESIS.to_string(),
    };
    let next = c.prepare_cached("SELECT nextval(pg_get_serial_sequence('audit_event', 'id'))").await?;
    let id: i64 = c.query_one(&next, &[]).await?.try_get(0)?;
    let at = event.at.trunc_subsecs(6);
    let action = event.action.code();
    let hash = chain::link_hash(
        &prev_hash,
        &chain::LinkContent {
            id,
            at,
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
    let stmt = c
        .prepare_cached(
            "INSERT INTO audit_event (id, at, username, source, action, entity, entity_id, patient_id, detail,
                                      provider_id, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .await?;
    c.execute(
        &stmt,
        &[
            &id,
            &at,
            &event.username,
            &event.source,
            &action,
            &event.entity,
            &event.entity_id,
            &event.patient_id,
            &event.detail,
            &event.provider_id,
            &prev_hash,
            &hash,
        ],
    )
    .await?;
    Ok(())
}

/// Links the events written before the chain (the upgrade to schema 12), oldest first, in batches,
/// inside the upgrade's transaction, with the domain's hashes as for a new event.
pub(super) async fn fill_chain(tx: &Transaction<'_>) -> PgResult<()> {
    const BATCH: usize = 10_000;
    let mut prev_hash = chain::GENESIS.to_string();
    let mut after = i64::MIN;
    loop {
        let events = audit_chain(tx, after, BATCH).await?;
        let Some(last) = events.last() else { return Ok(()) };
        after = last.id;
        let (mut ids, mut prevs, mut hashes) = (Vec::new(), Vec::new(), Vec::new());
        for event in &events {
            let hash = chain::link_hash(&prev_hash, &event.content());
            ids.push(event.id);
            prevs.push(std::mem::replace(&mut prev_hash, hash.clone()));
            hashes.push(hash);
        }
        tx.execute(
            "UPDATE audit_event a SET prev_hash = l.prev_hash, hash = l.hash
             FROM unnest($1::bigint[], $2::text[], $3::text[]) AS l (id, prev_hash, hash) WHERE a.id = l.id",
            &[&ids, &prevs, &hashes],
        )
        .await?;
        if events.len() < BATCH {
            return Ok(());
        }
    }
}

pub(super) async fn audit_chain(
    c: &impl GenericClient,
    after_id: i64,
    limit: usize,
) -> PgResult<Vec<chain::ChainedEvent>> {
    let stmt = c
        .prepare_cached(
            "SELECT id, at, username, source, action, entity, entity_id, patient_id, provider_id, detail, prev_hash, hash
             FROM audit_event WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .await?;
    let rows = c.query(&stmt, &[&after_id, &(limit as i64)]).await?;
    rows.iter()
        .map(|r| {
            Ok(chain::ChainedEvent {
                id: r.try_get(0)?,
                at: r.try_get(1)?,
                username: r.try_get(2)?,
                source: r.try_get(3)?,
                action: r.try_get(4)?,
                entity: r.try_get(5)?,
                entity_id: r.try_get(6)?,
                patient_id: r.try_get(7)?,
                provider_id: r.try_get(8)?,
                detail: r.try_get(9)?,
                prev_hash: r.try_get(10)?,
                hash: r.try_get(11)?,
            })
        })
        .collect()
}

pub(super) async fn audit_count(c: &impl GenericClient) -> PgResult<i64> {
    Ok(c.query_one("SELECT count(*) FROM audit_event", &[]).await?.try_get(0)?)
}

/// Oldest first; only the conditions given are written, as for [`list_audit`].
pub(super) async fn audit_report(c: &impl GenericClient, query: &AuditQuery) -> PgResult<Vec<AuditEvent>> {
    let action = query.action.map(AuditAction::code);
    let mut conditions = Conditions::default();
    conditions.add("a.patient_id =", &query.patient_id);
    conditions.add("a.username =", &query.username);
    conditions.add("a.action =", &action);
    conditions.add("a.at >=", &query.from);
    conditions.add("a.at <", &query.until);
    read_audit_events(c, conditions, "a.id", query.limit).await
}

/// The conditions a question gives, each with its parameter: only those given are written, so each
/// shape of question is planned for the index it can use rather than one generic plan for all.
#[derive(Default)]
struct Conditions<'a> {
    sql: Vec<String>,
    params: Vec<&'a (dyn ToSql + Sync)>,
}

impl<'a> Conditions<'a> {
    /// `test` against `value`, when there is one: `a.username =`.
    fn add<T: ToSql + Sync>(&mut self, test: &str, value: &'a Option<T>) {
        if let Some(value) = value {
            self.params.push(value);
            self.sql.push(format!("{test} ${}", self.params.len()));
        }
    }
}

/// The audit events meeting `conditions`, in `order`, at most `limit` (1,000 when 0), each with the
/// patient's MRN and the provider's NPI beside it.
async fn read_audit_events(
    c: &impl GenericClient,
    conditions: Conditions<'_>,
    order: &str,
    limit: usize,
) -> PgResult<Vec<AuditEvent>> {
    let limit = if limit == 0 { 1000 } else { limit } as i64;
    let mut params = conditions.params;
    params.push(&limit);
    let filter_sql =
        if conditions.sql.is_empty() { String::new() } else { format!("WHERE {}", conditions.sql.join(" AND ")) };
    let sql = format!(
        "SELECT a.id, a.at, a.username, a.source, a.action, a.entity, a.entity_id, a.patient_id, p.mrn, a.detail,
                a.provider_id, pr.npi
         FROM audit_event a LEFT JOIN patient p ON p.id = a.patient_id LEFT JOIN provider pr ON pr.id = a.provider_id
         {filter_sql} ORDER BY {order} LIMIT ${}",
        params.len()
    );
    let stmt = c.prepare_cached(&sql).await?;
    let rows = c.query(&stmt, &params).await?;
    rows.iter().map(audit_event_from_row).collect()
}

fn audit_event_from_row(r: &Row) -> PgResult<AuditEvent> {
    let action: String = r.try_get(4)?;
    Ok(AuditEvent {
        id: r.try_get(0)?,
        at: r.try_get(1)?,
        username: r.try_get(2)?,
        source: r.try_get(3)?,
        action: AuditAction::from_code(&action).unwrap_or(AuditAction::Update),
        entity: r.try_get(5)?,
        entity_id: r.try_get(6)?,
        patient_id: r.try_get(7)?,
        patient_mrn: r.try_get(8)?,
        detail: r.try_get(9)?,
        provider_id: r.try_get(10)?,
        provider_npi: r.try_get(11)?,
    })
}

/// pg_trigger's tgtype bits: a BEFORE trigger, and the one event it fires on; a FOR EACH ROW
/// trigger would have bit 0 set.
const BEFORE: i16 = 1 << 1;
const DELETE: i16 = 1 << 3;
const UPDATE: i16 = 1 << 4;
const TRUNCATE: i16 = 1 << 5;

/// The triggers that keep a table append-only (the audit trail since migration 1, the file room's
/// movement history since 14), with the tgtype each must have (BEFORE, statement level, its one
/// event) and the schema version that made them: the store refuses to run without those its
/// version has.
pub(super) const PROTECTION: &[(&str, &str, i16, i64)] = &[
    ("audit_event", "audit_event_no_update", BEFORE | UPDATE, 1),
    ("audit_event", "audit_event_no_delete", BEFORE | DELETE, 1),
    ("audit_event", "audit_event_no_truncate", BEFORE | TRUNCATE, 1),
    ("chart_movement", "chart_movement_no_update", BEFORE | UPDATE, schema::FILE_ROOM_VERSION),
    ("chart_movement", "chart_movement_no_delete", BEFORE | DELETE, schema::FILE_ROOM_VERSION),
    ("chart_movement", "chart_movement_no_truncate", BEFORE | TRUNCATE, schema::FILE_ROOM_VERSION),
];

/// What is missing of [`PROTECTION`]: a trigger gone, disabled, calling a function that no longer
/// refuses, or weakened: fired after the change, once a row, on another event, only for some
/// columns (`UPDATE OF username`) or under a condition (`WHEN (false)`).
pub(super) async fn missing_protection(c: &impl GenericClient) -> PgResult<Vec<String>> {
    let version = schema::version_of(c).await?;
    let rows = c
        .query(
            "SELECT c.relname::text, t.tgname::text, t.tgenabled::text, p.prosrc, t.tgtype,
                    t.tgattr::text = '' AND t.tgqual IS NULL
             FROM pg_catalog.pg_trigger t
             JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
             JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
             WHERE t.tgrelid IN (to_regclass('audit_event'), to_regclass('chart_movement')) AND NOT t.tgisinternal",
            &[],
        )
        .await?;
    let mut missing = Vec::new();
    for (table, name, tgtype, _) in PROTECTION.iter().filter(|(_, _, _, since)| *since <= version) {
        let found = rows.iter().find(|r| {
            r.try_get::<_, String>(0).is_ok_and(|t| t == *table) && r.try_get::<_, String>(1).is_ok_and(|n| n == *name)
        });
        match found {
            None => missing.push(format!("the trigger {name} on {table} is gone")),
            Some(row) => {
                let enabled: String = row.try_get(2)?;
                let source: String = row.try_get(3)?;
                let found_type: i16 = row.try_get(4)?;
                let unconditional: bool = row.try_get(5)?;
                if enabled != "O" && enabled != "A" {
                    missing.push(format!("the trigger {name} on {table} is disabled"));
                } else if !source.contains("RAISE EXCEPTION") {
                    missing.push(format!("the trigger {name} on {table} no longer refuses"));
                } else if found_type != *tgtype || !unconditional {
                    missing.push(format!("the trigger {name} on {table} no longer refuses every change"));
                }
            }
        }
    }
    Ok(missing)
}

/// Puts back what [`missing_protection`] finds missing, with an audit event saying what; returns
/// that.
pub(super) async fn restore_protection(tx: &Transaction<'_>, audit: &NewAuditEvent) -> PgResult<Vec<String>> {
    let missing = missing_protection(tx).await?;
    if missing.is_empty() {
        return Ok(missing);
    }
    tx.batch_execute(&schema::audit_protection()).await?;
    if schema::version_of(tx).await? >= schema::FILE_ROOM_VERSION {
        tx.batch_execute(&schema::movement_protection()).await?;
    }
    let mut audit = audit.clone();
    audit.detail = format!("{}{}", audit.detail, missing.join("; "));
    if schema::version_of(tx).await? >= schema::CHAIN_VERSION {
        append_audit(tx, &audit).await?;
    } else {
        // A store from before the chain: its events have no hashes yet, and the upgrade that
        // follows links this one with the rest.
        tx.execute(
            "INSERT INTO audit_event (at, username, source, action, entity, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&audit.at, &audit.username, &audit.source, &audit.action.code(), &audit.entity, &audit.detail],
        )
        .await?;
    }
    Ok(missing)
}

/// Newest first; only the filters given become conditions ([`Conditions`]).
pub(super) async fn list_audit(c: &impl GenericClient, filter: &AuditFilter) -> PgResult<Vec<AuditEvent>> {
    let action = filter.action.map(AuditAction::code);
    let mut conditions = Conditions::default();
    conditions.add("a.patient_id =", &filter.patient_id);
    conditions.add("a.username =", &filter.username);
    conditions.add("a.provider_id =", &filter.provider_id);
    conditions.add("a.action =", &action);
    conditions.add("a.entity =", &filter.entity);
    read_audit_events(c, conditions, "a.id DESC", filter.limit).await
}

/// A user with their roles, in one statement: read before every permission check.
const USER_SQL: &str = "SELECT u.id, u.username, u.display_name, u.enabled, u.created_at,
            coalesce(array_agg(r.role) FILTER (WHERE r.role IS NOT NULL), '{}'),
            u.patient_id, u.signature_hash IS NOT NULL
     FROM app_user u LEFT JOIN user_role r ON r.user_id = u.id";

fn user_from_row(r: &Row) -> PgResult<User> {
    let codes: Vec<String> = r.try_get(5)?;
    let mut roles: Vec<Role> = codes.iter().filter_map(|c| Role::parse(c).ok()).collect();
    roles.sort();
    Ok(User {
        id: r.try_get(0)?,
        username: r.try_get(1)?,
        display_name: r.try_get(2)?,
        enabled: r.try_get(3)?,
        created_at: r.try_get(4)?,
        roles,
        patient_id: r.try_get(6)?,
        has_signature: r.try_get(7)?,
    })
}

pub(super) async fn user_by_name(c: &impl GenericClient, username: &str) -> PgResult<Option<User>> {
    let stmt = c.prepare_cached(&format!("{USER_SQL} WHERE u.username = $1 GROUP BY u.id")).await?;
    c.query_opt(&stmt, &[&username]).await?.as_ref().map(user_from_row).transpose()
}

pub(super) async fn list_users(c: &impl GenericClient) -> PgResult<Vec<User>> {
    let stmt = c.prepare_cached(&format!("{USER_SQL} GROUP BY u.id ORDER BY u.username")).await?;
    c.query(&stmt, &[]).await?.iter().map(user_from_row).collect()
}

async fn write_roles(tx: &Transaction<'_>, user_id: i64, roles: &[Role]) -> PgResult<()> {
    tx.execute("DELETE FROM user_role WHERE user_id = $1", &[&user_id]).await?;
    let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
    tx.execute(
        "INSERT INTO user_role (user_id, role) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING",
        &[&user_id, &codes],
    )
    .await?;
    Ok(())
}

fn user_not_found(username: &str) -> StoreError {
    StoreError::NotFound(format!("user {username}"))
}

pub(super) async fn add_user(tx: &Transaction<'_>, user: &NewUser, audit: &NewAuditEvent) -> PgResult<User> {
    let id: i64 = tx
        .query_one(
            "INSERT INTO app_user (username, display_name, enabled, created_at) VALUES ($1, $2, true, $3) RETURNING id",
            &[&user.username, &user.display_name, &audit.at],
        )
        .await?
        .try_get(0)?;
    write_roles(tx, id, &user.roles).await?;
    append_audit(tx, audit).await?;
    Ok(user_by_name(tx, &user.username).await?.ok_or_else(|| StoreError::NotFound("the new user".into()))?)
}

pub(super) async fn set_user_roles(
    tx: &Transaction<'_>,
    username: &str,
    roles: &[Role],
    audit: &NewAuditEvent,
) -> PgResult<User> {
    let id: i64 = tx
        .query_opt("UPDATE app_user SET version = version + 1 WHERE username = $1 RETURNING id", &[&username])
        .await?
        .ok_or_else(|| user_not_found(username))?
        .try_get(0)?;
    write_roles(tx, id, roles).await?;
    append_audit(tx, audit).await?;
    Ok(user_by_name(tx, username).await?.ok_or_else(|| user_not_found(username))?)
}

pub(super) async fn set_user_enabled(
    tx: &Transaction<'_>,
    username: &str,
    enabled: bool,
    audit: &NewAuditEvent,
) -> PgResult<User> {
    update_user(tx, username, "enabled", &enabled, audit).await
}

pub(super) async fn link_user_patient(
    tx: &Transaction<'_>,
    username: &str,
    patient_id: Option<i64>,
    audit: &NewAuditEvent,
) -> PgResult<User> {
    update_user(tx, username, "patient_id", &patient_id, audit).await
}

pub(super) async fn set_signature_hash(
    tx: &Transaction<'_>,
    username: &str,
    hash: Option<&str>,
    audit: &NewAuditEvent,
) -> PgResult<()> {
    update_user(tx, username, "signature_hash", &hash, audit).await.map(drop)
}

/// Sets one column of a user's row (a name of this file's, never typed) and their version, with
/// its audit event in the caller's transaction; the user as they now stand.
async fn update_user(
    tx: &Transaction<'_>,
    username: &str,
    column: &str,
    value: &(dyn ToSql + Sync),
    audit: &NewAuditEvent,
) -> PgResult<User> {
    let sql = format!("UPDATE app_user SET {column} = $2, version = version + 1 WHERE username = $1");
    if tx.execute(&sql, &[&username, value]).await? == 0 {
        return Err(user_not_found(username).into());
    }
    append_audit(tx, audit).await?;
    Ok(user_by_name(tx, username).await?.ok_or_else(|| user_not_found(username))?)
}

pub(super) async fn signature_hash(c: &impl GenericClient, username: &str) -> PgResult<Option<String>> {
    let stmt = c.prepare_cached("SELECT signature_hash FROM app_user WHERE username = $1").await?;
    Ok(c.query_opt(&stmt, &[&username]).await?.map(|r| r.try_get::<_, Option<String>>(0)).transpose()?.flatten())
}

const FACILITY_COLUMNS: &str = "id, code, name, state, kind, timezone";

fn facility_from_row(r: &Row) -> PgResult<Facility> {
    let kind: String = r.try_get(4)?;
    Ok(Facility {
        id: r.try_get(0)?,
        code: r.try_get(1)?,
        name: r.try_get(2)?,
        state: r.try_get(3)?,
        kind: FacilityKind::from_code(&kind).unwrap_or(FacilityKind::Hospital),
        timezone: r.try_get(5)?,
    })
}

pub(super) async fn list_facilities(c: &impl GenericClient) -> PgResult<Vec<Facility>> {
    let stmt = c.prepare_cached(&format!("SELECT {FACILITY_COLUMNS} FROM facility ORDER BY id")).await?;
    c.query(&stmt, &[]).await?.iter().map(facility_from_row).collect()
}

pub(super) async fn add_facility(tx: &Transaction<'_>, f: &NewFacility, audit: &NewAuditEvent) -> PgResult<Facility> {
    let row = tx
        .query_one(
            format!(
                "INSERT INTO facility (code, name, state, kind, timezone) VALUES ($1, $2, $3, $4, $5)
                 RETURNING {FACILITY_COLUMNS}"
            )
            .as_str(),
            &[&f.code, &f.name, &f.state, &f.kind.code(), &f.timezone],
        )
        .await?;
    append_audit(tx, audit).await?;
    facility_from_row(&row)
}

const PROVIDER_COLUMNS: &str = "id, npi, family, given, credentials, specialty, is_resident, supervisor_id";

fn provider_from_row(r: &Row) -> PgResult<Provider> {
    Ok(Provider {
        id: r.try_get(0)?,
        npi: r.try_get(1)?,
        family: r.try_get(2)?,
        given: r.try_get(3)?,
        credentials: r.try_get(4)?,
        specialty: r.try_get(5)?,
        is_resident: r.try_get(6)?,
        supervisor_id: r.try_get(7)?,
    })
}

pub(super) async fn provider_by_npi(c: &impl GenericClient, npi: &str) -> PgResult<Option<Provider>> {
    let stmt = c.prepare_cached(&format!("SELECT {PROVIDER_COLUMNS} FROM provider WHERE npi = $1")).await?;
    c.query_opt(&stmt, &[&npi]).await?.as_ref().map(provider_from_row).transpose()
}

pub(super) async fn list_providers(c: &impl GenericClient, page: Page) -> PgResult<Vec<Provider>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {PROVIDER_COLUMNS} FROM provider ORDER BY family, given, id LIMIT $1 OFFSET $2"
        ))
        .await?;
    let (limit, offset) = (page.limit as i64, page.offset as i64);
    c.query(&stmt, &[&limit, &offset]).await?.iter().map(provider_from_row).collect()
}

/// Drops the bulk-load indexes (but those in `keeps`) of an empty store, in the caller's
/// transaction: refused when the store has patients, whose searches need them.
pub(super) async fn drop_bulk_indexes(tx: &Transaction<'_>, keeps: &[&str]) -> PgResult<()> {
    let has_patients: bool = tx.query_one("SELECT EXISTS (SELECT 1 FROM patient)", &[]).await?.try_get(0)?;
    if has_patients {
        let load = if keeps.is_empty() { "a bulk load" } else { "an import load" };
        return Err(StoreError::Backend(format!("{load} needs an empty store")).into());
    }
    for (name, _) in schema::BULK_INDEXES.iter().filter(|(name, _)| !keeps.contains(name)) {
        tx.batch_execute(&format!("DROP INDEX IF EXISTS {name}")).await?;
    }
    Ok(())
}

/// Builds the bulk-load indexes, each committed as it is built, then vacuums and analyzes: the
/// statistics the planner needs, and the visibility map that lets a birth-date search rank from
/// the index alone. Safe to call at any time.
pub(super) async fn build_bulk_indexes(c: &deadpool_postgres::Object) -> PgResult<()> {
    let started = std::time::Instant::now();
    // Each index is one sort of a whole table: give it memory for this session's builds only.
    c.batch_execute("SET maintenance_work_mem = '256MB'").await?;
    for (_, sql) in schema::BULK_INDEXES {
        c.batch_execute(sql).await?;
    }
    c.batch_execute("RESET maintenance_work_mem").await?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "bulk load: indexes built");
    c.batch_execute("VACUUM (ANALYZE)").await?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "bulk load: vacuumed and analyzed");
    Ok(())
}
