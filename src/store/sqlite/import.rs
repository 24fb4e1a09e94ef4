//! Writing records from another system, found again by their source identifiers.
//!
//! The rules are the domain's: which MRN a new patient gets ([`crate::domain::mrn::next_import_mrn`],
//! from the number after the last one given, kept in `store_setting` as `next_import_mrn`), which
//! account a new visit gets ([`AccountNumber::next_after`] the last of its prefix, kept in
//! `account_sequence`), and which encounter is the same visit from another export
//! ([`crate::domain::visit::same_visit`]). This file answers their questions and writes the result.

use super::admin::{append_audit, timestamp};
use super::map_err;
use super::search::date_text;
use crate::domain::account::{AccountNumber, AccountPrefix};
use crate::domain::chart::EncounterKind;
use crate::domain::mrn::{ImportMrnError, Mrn};
use crate::domain::visit::{VisitCandidate, same_visit};
use crate::store::imports::{ImportBatch, ImportCounts, KindCounts};
use crate::store::{StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;

fn source_lookup(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    system: &str,
    value: &str,
) -> StoreResult<Option<i64>> {
    tx.prepare_cached(&format!("SELECT {column} FROM {table} WHERE system = ?1 AND value = ?2"))
        .and_then(|mut stmt| stmt.query_row(params![system, value], |r| r.get(0)).optional())
        .map_err(map_err)
}

/// Records that the row `id` is known in `system` as `value`, so that it is found again.
fn remember_source(tx: &Connection, table: &str, column: &str, system: &str, value: &str, id: i64) -> StoreResult<()> {
    execute_cached(
        tx,
        &format!("INSERT INTO {table} (system, value, {column}) VALUES (?1, ?2, ?3)"),
        params![system, value, id],
    )
    .map(drop)
    .map_err(map_err)
}

/// `execute` through the statement cache: an import runs the same few statements a million times,
/// and preparing each anew cost more than running it.
fn execute_cached(tx: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

fn query_row_cached<T>(
    tx: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    tx.prepare_cached(sql)?.query_row(params, row)
}

pub(super) fn apply(conn: &mut Connection, batch: &ImportBatch) -> StoreResult<ImportCounts> {
    // Every statement below stays prepared for the whole import.
    conn.set_prepared_statement_cache_capacity(64);
    // A batch dirties a page per row of each index keyed at random (source ids are UUIDs, discharges
    // span decades), and a checkpoint after every batch wrote and synced each of them again: half
    // the import's time at 760,000 encounters. The log grows to 256 MB between checkpoints while an
    // import runs (each then writes a page once for several batches), and back to the default after.
    conn.pragma_update(None, "wal_autocheckpoint", 65_536).map_err(map_err)?;
    let counts = apply_in_transaction(conn, batch);
    conn.pragma_update(None, "wal_autocheckpoint", 1_000).map_err(map_err)?;
    counts
}

fn apply_in_transaction(conn: &mut Connection, batch: &ImportBatch) -> StoreResult<ImportCounts> {
    // The event is the batch's instant too: the store reads no clock of its own.
    let audit = batch
        .audit
        .as_ref()
        .ok_or_else(|| StoreError::Backend("an import batch without its audit event is not written".into()))?;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let mut counts = ImportCounts::default();
    let facility_id: i64 =
        query_row_cached(&tx, "SELECT id FROM facility WHERE code = ?1", [&batch.facility_code], |r| r.get(0))
            .optional()
            .map_err(map_err)?
            .ok_or_else(|| StoreError::NotFound(format!("facility {}", batch.facility_code)))?;

    apply_organizations(&tx, batch, &mut counts.organizations)?;
    apply_locations(&tx, batch, &mut counts.locations)?;
    apply_providers(&tx, batch, &mut counts.providers)?;
    apply_practitioner_roles(&tx, batch, &mut counts.practitioner_roles)?;
    apply_patients(&tx, batch, &timestamp(audit.at), &mut counts.patients)?;
    apply_encounters(&tx, batch, facility_id, &mut counts.encounters)?;
    apply_procedures(&tx, batch, &mut counts.procedures)?;
    apply_documents(&tx, batch, &mut counts.documents)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)?;
    Ok(counts)
}

/// Organizations, kept as the encounters' locations.
fn apply_organizations(tx: &Transaction<'_>, batch: &ImportBatch, counts: &mut KindCounts) -> StoreResult<()> {
    let system = batch.system.as_str();
    for org in &batch.organizations {
        counts.read += 1;
        match source_lookup(tx, "location_source_id", "location_id", system, &org.source_id)? {
            Some(id) => {
                if rename_location(tx, id, &org.name)? {
                    counts.updated += 1
                } else {
                    counts.unchanged += 1
                }
            }
            None => {
                execute_cached(
                    tx,
                    "INSERT INTO location (code, name, kind) VALUES (?1, ?2, 'ORGANIZATION')",
                    params![format!("{system}:{}", org.source_id), org.name],
                )
                .map_err(map_err)?;
                let id = tx.last_insert_rowid();
                remember_source(tx, "location_source_id", "location_id", system, &org.source_id, id)?;
                counts.created += 1;
            }
        }
    }
    Ok(())
}

/// Providers: found again by source id; a FHIR NPI replaces the CSV's stand-in.
fn apply_providers(tx: &Transaction<'_>, batch: &ImportBatch, counts: &mut KindCounts) -> StoreResult<()> {
    let system = batch.system.as_str();
    for p in &batch.providers {
        counts.read += 1;
        match source_lookup(tx, "provider_source_id", "provider_id", system, &p.source_id)? {
            Some(id) => {
                // A FHIR bundle brings the NPI the CSV lacked: it replaces the source-key stand-in.
                let changed = execute_cached(
                    tx,
                    "UPDATE provider SET family = ?2, given = ?3,
                         specialty = CASE WHEN ?4 = '' THEN specialty ELSE ?4 END,
                         npi = coalesce(?5, npi), version = version + 1
                     WHERE id = ?1 AND (family != ?2 OR given != ?3 OR (?4 != '' AND specialty != ?4)
                         OR (?5 IS NOT NULL AND npi != ?5))",
                    params![id, p.family, p.given, p.specialty, p.npi],
                )
                .map_err(map_err)?;
                if changed > 0 { counts.updated += 1 } else { counts.unchanged += 1 }
            }
            None => {
                // Synthea's CSV carries no NPI: the source key stands in until a FHIR bundle brings it.
                execute_cached(
                    tx,
                    "INSERT INTO provider (npi, family, given, specialty) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        p.npi.clone().unwrap_or_else(|| format!("{system}:{}", p.source_id)),
                        p.family,
                        p.given,
                        p.specialty
                    ],
                )
                .map_err(map_err)?;
                let id = tx.last_insert_rowid();
                remember_source(tx, "provider_source_id", "provider_id", system, &p.source_id, id)?;
                counts.created += 1;
            }
        }
    }
    Ok(())
}

/// Patients: found again by source id, or given the next import MRN; a new one is stamped `created_at`.
fn apply_patients(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    created_at: &str,
    counts: &mut KindCounts,
) -> StoreResult<()> {
    let system = batch.system.as_str();
    let mut next_mrn: u64 = query_row_cached(
        tx,
        "SELECT CAST(value AS INTEGER) FROM store_setting WHERE key = 'next_import_mrn'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .optional()
    .map_err(map_err)?
    .map_or(0, |n| n.max(0) as u64);
    let taken = |mrn: &Mrn| {
        query_row_cached(tx, "SELECT EXISTS (SELECT 1 FROM patient WHERE mrn = ?1)", [mrn.as_str()], |r| r.get(0))
            .map_err(map_err)
    };
    for p in &batch.patients {
        counts.read += 1;
        match source_lookup(tx, "patient_source_id", "patient_id", system, &p.source_id)? {
            Some(id) => {
                let changed = execute_cached(
                    tx,
                    "UPDATE patient SET family = ?2, given = ?3, middle = ?4, family_key = ?5, given_key = ?6,
                             family_phon = ?7, given_phon = ?8, birth_date = ?9, deceased_on = ?10,
                             ssn_last4 = COALESCE(?11, ssn_last4), ssn_hash = COALESCE(?12, ssn_hash),
                             version = version + 1
                         WHERE id = ?1 AND (family != ?2 OR given != ?3 OR middle != ?4 OR birth_date != ?9
                             OR deceased_on IS NOT ?10 OR (?12 IS NOT NULL AND ssn_hash IS NOT ?12))",
                    params![
                        id,
                        p.name.family,
                        p.name.given,
                        p.name.middle,
                        p.keys.family_key,
                        p.keys.given_key,
                        p.keys.family_phonetic,
                        p.keys.given_phonetic,
                        date_text(p.birth_date),
                        p.deceased_on.map(date_text),
                        p.ssn_last4,
                        p.ssn_hash
                    ],
                )
                .map_err(map_err)?;
                if changed > 0 { counts.updated += 1 } else { counts.unchanged += 1 }
            }
            None => {
                let mrn = crate::domain::mrn::next_import_mrn(next_mrn, taken).map_err(|e| match e {
                    ImportMrnError::Lookup(e) => e,
                    used_up @ ImportMrnError::UsedUp => StoreError::Backend(used_up.to_string()),
                })?;
                execute_cached(tx,
                    "INSERT INTO patient (mrn, family, given, middle, family_key, given_key, family_phon, given_phon, sex,
                         birth_date, ssn_last4, ssn_hash, deceased_on, address, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                    params![
                        mrn.as_str(),
                        p.name.family,
                        p.name.given,
                        p.name.middle,
                        p.keys.family_key,
                        p.keys.given_key,
                        p.keys.family_phonetic,
                        p.keys.given_phonetic,
                        p.sex.code(),
                        date_text(p.birth_date),
                        p.ssn_last4,
                        p.ssn_hash,
                        p.deceased_on.map(date_text),
                        p.address,
                        created_at
                    ],
                )
                .map_err(map_err)?;
                let id = tx.last_insert_rowid();
                remember_source(tx, "patient_source_id", "patient_id", system, &p.source_id, id)?;
                next_mrn = mrn.number() + 1;
                counts.created += 1;
            }
        }
    }
    if counts.created > 0 {
        execute_cached(
            tx,
            "INSERT INTO store_setting (key, value) VALUES ('next_import_mrn', ?1)
             ON CONFLICT (key) DO UPDATE SET value = ?1",
            [next_mrn.to_string()],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

/// Encounters: found again by source id, joined to the same visit from another export, or created
/// with the next account number of their kind and year.
fn apply_encounters(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    facility_id: i64,
    counts: &mut KindCounts,
) -> StoreResult<()> {
    let system = batch.system.as_str();
    let mut sequences: HashMap<AccountPrefix, u64> = HashMap::new();
    for e in &batch.encounters {
        counts.read += 1;
        let found = if e.new_to_store {
            None
        } else {
            source_lookup(tx, "encounter_source_id", "encounter_id", system, &e.source_id)?
        };
        if let Some(id) = found {
            let changed = execute_cached(
                    tx,
                    "UPDATE encounter SET discharge_at = ?2, version = version + 1 WHERE id = ?1 AND discharge_at IS NOT ?2",
                    params![id, e.discharge_at.map(timestamp)],
                )
                .map_err(map_err)?;
            if changed > 0 {
                counts.updated += 1
            } else {
                counts.unchanged += 1
            }
            continue;
        }
        let patient_id = source_lookup(tx, "patient_source_id", "patient_id", system, &e.patient_source_id)?
            .ok_or_else(|| {
                StoreError::NotFound(format!("patient {} of encounter {}", e.patient_source_id, e.source_id))
            })?;
        // The same visit from another export: the domain decides among the patient's encounters
        // admitted at that instant.
        let mut candidates = Vec::new();
        {
            let mut stmt = tx
                .prepare_cached(
                    "SELECT e.id, e.kind, EXISTS (SELECT 1 FROM encounter_source_id s
                                                  WHERE s.encounter_id = e.id AND s.system = ?3 AND s.export = ?4)
                     FROM encounter e WHERE e.patient_id = ?1 AND e.admit_at = ?2",
                )
                .map_err(map_err)?;
            let rows = stmt
                .query_map(params![patient_id, timestamp(e.admit_at), system, batch.export], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?))
                })
                .map_err(map_err)?;
            for row in rows {
                let (encounter_id, kind, known_in_export) = row.map_err(map_err)?;
                let kind = EncounterKind::from_code(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("encounter kind {kind:?}")))?;
                candidates.push(VisitCandidate { encounter_id, kind, known_in_export });
            }
        }
        if let Some(id) = same_visit(&candidates, e.kind) {
            execute_cached(
                tx,
                "INSERT INTO encounter_source_id (system, value, encounter_id, export) VALUES (?1, ?2, ?3, ?4)",
                params![system, e.source_id, id, batch.export],
            )
            .map_err(map_err)?;
            counts.unchanged += 1;
            continue;
        }
        let attending = match (&e.provider_source_id, &e.provider_npi) {
            (Some(p), _) => source_lookup(tx, "provider_source_id", "provider_id", system, p)?,
            (None, Some(npi)) => query_row_cached(tx, "SELECT id FROM provider WHERE npi = ?1", [npi], |r| r.get(0))
                .optional()
                .map_err(map_err)?,
            (None, None) => None,
        };
        let location = match &e.organization_source_id {
            Some(o) => source_lookup(tx, "location_source_id", "location_id", system, o)?,
            None => None,
        };
        let prefix = AccountPrefix::of(e.kind, e.admit_at);
        let last = match sequences.get(&prefix) {
            Some(last) => *last,
            None => last_account(tx, prefix)?,
        };
        let account = AccountNumber::next_after(prefix, last).map_err(|e| StoreError::Backend(e.to_string()))?;
        sequences.insert(prefix, account.sequence());
        execute_cached(tx,
            "INSERT INTO encounter (patient_id, account, kind, facility_id, service, admit_at, discharge_at, attending_id,
                 location_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                patient_id,
                account.to_string(),
                e.kind.code(),
                facility_id,
                e.service,
                timestamp(e.admit_at),
                e.discharge_at.map(timestamp),
                attending,
                location
            ],
        )
        .map_err(map_err)?;
        let id = tx.last_insert_rowid();
        execute_cached(
            tx,
            "INSERT INTO encounter_source_id (system, value, encounter_id, export) VALUES (?1, ?2, ?3, ?4)",
            params![system, e.source_id, id, batch.export],
        )
        .map_err(map_err)?;
        // History arrives complete: inpatient charts discharged before the open-since day do not
        // become delinquent work. Later stays wait for the nightly analysis, however old.
        if e.kind == EncounterKind::Inpatient {
            match (e.discharge_at, batch.open_since) {
                (Some(discharged), Some(open_since)) if discharged.date_naive() < open_since => {
                    let day = date_text(discharged.date_naive());
                    execute_cached(tx,
                        "INSERT INTO chart_completion (encounter_id, status, received_on, completed_on) VALUES (?1, 'COMPLETE', ?2, ?2)",
                        params![id, day],
                    )
                    .map_err(map_err)?;
                }
                _ => {
                    execute_cached(tx, "INSERT INTO analysis_pending (encounter_id) VALUES (?1)", [id])
                        .map_err(map_err)?;
                }
            }
        }
        counts.created += 1;
    }
    for (prefix, last) in sequences {
        execute_cached(
            tx,
            "INSERT INTO account_sequence (prefix, last) VALUES (?1, ?2)
             ON CONFLICT (prefix) DO UPDATE SET last = max(last, ?2)",
            params![prefix.to_string(), last as i64],
        )
        .map_err(map_err)?;
    }
    Ok(())
}

/// The greatest sequence number of `prefix` in use: the one kept, or else (a store whose accounts
/// were all made with six digits, before the sequence was kept) the greatest six-digit account.
fn last_account(tx: &Connection, prefix: AccountPrefix) -> StoreResult<u64> {
    let prefix = prefix.to_string();
    let kept: Option<i64> =
        query_row_cached(tx, "SELECT last FROM account_sequence WHERE prefix = ?1", [&prefix], |r| r.get(0))
            .optional()
            .map_err(map_err)?;
    // A range on the account's own unique index (LIKE would scan the table: it ignores case, the
    // index does not).
    let greatest: Option<String> = query_row_cached(
        tx,
        "SELECT max(account) FROM encounter WHERE account >= ?1 AND account < ?1 || '~'",
        [&prefix],
        |r| r.get(0),
    )
    .map_err(map_err)?;
    let written = greatest.as_deref().and_then(AccountNumber::parse).map_or(0, |a| a.sequence());
    Ok(written.max(kept.map_or(0, |n| n.max(0) as u64)))
}

/// Notes: found again by source id (their status follows the source's), or created with their text.
fn apply_documents(tx: &Transaction<'_>, batch: &ImportBatch, counts: &mut KindCounts) -> StoreResult<()> {
    let system = batch.system.as_str();
    for d in &batch.documents {
        counts.read += 1;
        let signed_at = d.status.is_complete().then(|| timestamp(d.created_at));
        if let Some(id) = source_lookup(tx, "document_source_id", "document_id", system, &d.source_id)? {
            // A note signed since it last arrived (or amended, or retracted) changes status.
            let changed = execute_cached(
                tx,
                "UPDATE document SET status = ?2, signed_at = coalesce(signed_at, ?3) WHERE id = ?1 AND status != ?2",
                params![id, d.status.code(), signed_at],
            )
            .map_err(map_err)?;
            if changed > 0 {
                counts.updated += 1
            } else {
                counts.unchanged += 1
            }
            continue;
        }
        let encounter_id = source_lookup(tx, "encounter_source_id", "encounter_id", system, &d.encounter_source_id)?
            .ok_or_else(|| {
                StoreError::NotFound(format!("encounter {} of document {}", d.encounter_source_id, d.source_id))
            })?;
        let author: Option<i64> = match &d.author_npi {
            Some(npi) => query_row_cached(tx, "SELECT id FROM provider WHERE npi = ?1", [npi], |r| r.get(0))
                .optional()
                .map_err(map_err)?,
            None => None,
        };
        execute_cached(tx,
            "INSERT INTO document (encounter_id, patient_id, doc_type, title, author_id, status, created_at, signed_at, text,
                 sensitive_categories)
             VALUES (?1, (SELECT patient_id FROM encounter WHERE id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                encounter_id,
                d.doc_type,
                d.title,
                author,
                d.status.code(),
                timestamp(d.created_at),
                signed_at,
                d.text,
                crate::domain::roi::packet::SensitiveCategory::join(&d.sensitive_categories)
            ],
        )
        .map_err(map_err)?;
        let id = tx.last_insert_rowid();
        remember_source(tx, "document_source_id", "document_id", system, &d.source_id, id)?;
        counts.created += 1;
    }
    Ok(())
}

/// Gives a location the name a source sends, unless it is the name held spelt more sparsely (the
/// two Synthea exports punctuate names differently). Whether it changed anything.
fn rename_location(tx: &Connection, id: i64, name: &str) -> StoreResult<bool> {
    let held: String =
        query_row_cached(tx, "SELECT name FROM location WHERE id = ?1", [id], |r| r.get(0)).map_err(map_err)?;
    let wanted = crate::domain::text::fuller_spelling(&held, name).unwrap_or(name);
    if wanted == held {
        return Ok(false);
    }
    execute_cached(tx, "UPDATE location SET name = ?2 WHERE id = ?1", params![id, wanted]).map_err(map_err)?;
    Ok(true)
}

/// Locations: found again by their own id, else joined to their managing organization's location
/// (Synthea's Location repeats its Organization), else a location of their own.
fn apply_locations(tx: &Transaction<'_>, batch: &ImportBatch, counts: &mut KindCounts) -> StoreResult<()> {
    let system = batch.system.as_str();
    for place in &batch.locations {
        counts.read += 1;
        if let Some(id) = source_lookup(tx, "location_source_id", "location_id", system, &place.source_id)? {
            if rename_location(tx, id, &place.name)? {
                counts.updated += 1
            } else {
                counts.unchanged += 1
            }
            continue;
        }
        let organization = match &place.organization_source_id {
            Some(o) => source_lookup(tx, "location_source_id", "location_id", system, o)?,
            None => None,
        };
        let id = match organization {
            Some(id) => {
                counts.unchanged += 1;
                id
            }
            None => {
                execute_cached(
                    tx,
                    "INSERT INTO location (code, name, kind) VALUES (?1, ?2, 'PLACE')",
                    params![format!("{system}:{}", place.source_id), place.name],
                )
                .map_err(map_err)?;
                counts.created += 1;
                tx.last_insert_rowid()
            }
        };
        remember_source(tx, "location_source_id", "location_id", system, &place.source_id, id)?;
    }
    Ok(())
}

/// Practitioner roles: the specialty fills in a practitioner's empty one. A role whose practitioner
/// the store does not hold is counted rejected (the parser refuses those it can see are orphans).
fn apply_practitioner_roles(tx: &Transaction<'_>, batch: &ImportBatch, counts: &mut KindCounts) -> StoreResult<()> {
    for role in &batch.practitioner_roles {
        counts.read += 1;
        let provider: Option<(i64, String)> =
            query_row_cached(tx, "SELECT id, specialty FROM provider WHERE npi = ?1", [&role.practitioner_npi], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(map_err)?;
        match provider {
            None => counts.rejected += 1,
            Some((id, specialty)) if specialty.is_empty() && !role.specialty.is_empty() => {
                execute_cached(
                    tx,
                    "UPDATE provider SET specialty = ?2, version = version + 1 WHERE id = ?1",
                    params![id, role.specialty],
                )
                .map_err(map_err)?;
                counts.updated += 1;
            }
            Some(_) => counts.unchanged += 1,
        }
    }
    Ok(())
}

/// Procedures, by encounter, instant and code, so that both exports' copies are one.
fn apply_procedures(tx: &Transaction<'_>, batch: &ImportBatch, counts: &mut KindCounts) -> StoreResult<()> {
    for p in &batch.procedures {
        counts.read += 1;
        let encounter_id =
            source_lookup(tx, "encounter_source_id", "encounter_id", &batch.system, &p.encounter_source_id)?
                .ok_or_else(|| StoreError::NotFound(format!("encounter {} of a procedure", p.encounter_source_id)))?;
        let at = timestamp(p.performed_at);
        let found: Option<(i64, String)> = query_row_cached(
            tx,
            "SELECT id, description FROM encounter_procedure WHERE encounter_id = ?1 AND performed_at = ?2 AND code = ?3",
            params![encounter_id, at, p.code],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(map_err)?;
        match found {
            Some((id, held)) => {
                let wanted = crate::domain::text::fuller_spelling(&held, &p.description).unwrap_or(&p.description);
                if wanted == held || wanted.is_empty() {
                    counts.unchanged += 1;
                } else {
                    execute_cached(
                        tx,
                        "UPDATE encounter_procedure SET description = ?2 WHERE id = ?1",
                        params![id, wanted],
                    )
                    .map_err(map_err)?;
                    counts.updated += 1;
                }
            }
            None => {
                execute_cached(
                    tx,
                    "INSERT INTO encounter_procedure (encounter_id, performed_at, code, description) VALUES (?1, ?2, ?3, ?4)",
                    params![encounter_id, at, p.code, p.description],
                )
                .map_err(map_err)?;
                counts.created += 1;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::domain::audit::{AuditAction, NewAuditEvent};
    use crate::domain::chart::{FacilityKind, NewFacility};
    use crate::domain::names::PersonName;
    use crate::domain::patient::{NameKeys, Sex};
    use crate::store::Store;
    use crate::store::imports::{ImportBatch, ImportedPatient};
    use crate::store::sqlite::SqliteStore;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn event(at: chrono::DateTime<Utc>) -> NewAuditEvent {
        NewAuditEvent {
            at,
            username: "dhim".into(),
            source: "local".into(),
            action: AuditAction::Create,
            entity: "import".into(),
            entity_id: None,
            patient_id: None,
            provider_id: None,
            detail: String::new(),
        }
    }

    /// The trait shows no patient's `created_at`, so the conformance suite cannot see this.
    #[test]
    fn an_imported_patient_is_stamped_with_the_batchs_instant_not_the_clocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        let store = SqliteStore::open(&path).unwrap();
        let at = Utc.with_ymd_and_hms(2025, 3, 3, 2, 0, 0).unwrap();
        let rgh =
            NewFacility::validate("RGH", "Riverbend General Hospital", "TX", FacilityKind::Hospital, "UTC").unwrap();
        store.add_facility(rgh, event(at)).unwrap();
        let name = PersonName::new("Quist", "Anna", "");
        let batch = ImportBatch {
            system: "synthea".into(),
            export: "csv".into(),
            facility_code: "RGH".into(),
            patients: vec![ImportedPatient {
                source_id: "pat-1".into(),
                keys: NameKeys::of(&name),
                name,
                sex: Sex::Female,
                birth_date: NaiveDate::from_ymd_opt(1970, 5, 6).unwrap(),
                ssn_last4: None,
                ssn_hash: None,
                deceased_on: None,
                address: String::new(),
            }],
            audit: Some(event(at)),
            ..Default::default()
        };
        store.apply_import(batch).unwrap();
        drop(store);
        let stamped: String = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("SELECT created_at FROM patient", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stamped, "2025-03-03T02:00:00Z");
    }
}
