//! Bulk writes: one transaction per batch, prepared statements, natural keys resolved to ids once.

use super::admin::{append_audit, timestamp};
use super::map_err;
use super::search::date_text;
use crate::domain::audit::NewAuditEvent;
use crate::store::records::{BatchCounts, RecordBatch};
use crate::store::{StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::collections::HashMap;

/// Looks natural keys up once per batch.
struct Keys<'t> {
    tx: &'t Transaction<'t>,
    cache: HashMap<(&'static str, String), i64>,
}

impl<'t> Keys<'t> {
    fn new(tx: &'t Transaction<'t>) -> Self {
        Self { tx, cache: HashMap::new() }
    }

    fn remember(&mut self, table: &'static str, key: &str, id: i64) {
        self.cache.insert((table, key.to_string()), id);
    }

    /// The id of the row of `table` whose natural key is `key`.
    fn id(&mut self, table: &'static str, key: &str) -> StoreResult<i64> {
        if let Some(id) = self.cache.get(&(table, key.to_string())) {
            return Ok(*id);
        }
        let sql = match table {
            "facility" => "SELECT id FROM facility WHERE code = ?1",
            "provider" => "SELECT id FROM provider WHERE npi = ?1",
            "location" => "SELECT id FROM location WHERE code = ?1",
            "patient" => "SELECT id FROM patient WHERE mrn = ?1",
            "encounter" => "SELECT id FROM encounter WHERE account = ?1",
            "chart_volume" => "SELECT id FROM chart_volume WHERE barcode = ?1",
            "chart_completion" => {
                "SELECT c.id FROM chart_completion c JOIN encounter e ON e.id = c.encounter_id WHERE e.account = ?1"
            }
            _ => return Err(StoreError::Backend(format!("no natural key for {table}"))),
        };
        let id: Option<i64> = self
            .tx
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_row([key], |r| r.get(0)).optional())
            .map_err(map_err)?;
        let id = id.ok_or_else(|| StoreError::NotFound(format!("{table} {key:?}")))?;
        self.remember(table, key, id);
        Ok(id)
    }

    fn optional_id(&mut self, table: &'static str, key: Option<&str>) -> StoreResult<Option<i64>> {
        key.map(|k| self.id(table, k)).transpose()
    }
}

pub(super) fn insert_batch(
    conn: &mut Connection,
    batch: &RecordBatch,
    audit: &NewAuditEvent,
) -> StoreResult<BatchCounts> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(map_err)?;
    let counts = write_all(&tx, batch, audit.at)?;
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)?;
    Ok(counts)
}

fn write_all(tx: &Transaction<'_>, batch: &RecordBatch, at: chrono::DateTime<chrono::Utc>) -> StoreResult<BatchCounts> {
    let mut keys = Keys::new(tx);
    let mut counts = BatchCounts::default();
    let now = timestamp(at);

    {
        let mut stmt = tx
            .prepare_cached("INSERT INTO location (code, name, kind, default_loan_days) VALUES (?1, ?2, ?3, ?4)")
            .map_err(map_err)?;
        for l in &batch.locations {
            stmt.execute(params![l.code, l.name, l.kind, l.default_loan_days]).map_err(map_err)?;
            keys.remember("location", &l.code, tx.last_insert_rowid());
            counts.locations += 1;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO provider (npi, family, given, credentials, specialty, service, is_resident)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .map_err(map_err)?;
        for p in &batch.providers {
            stmt.execute(params![
                p.npi,
                p.family,
                p.given,
                p.credentials,
                p.specialty,
                p.service,
                p.supervisor_npi.is_some() as i64
            ])
            .map_err(map_err)?;
            keys.remember("provider", &p.npi, tx.last_insert_rowid());
            counts.providers += 1;
        }
        for p in batch.providers.iter().filter(|p| p.supervisor_npi.is_some()) {
            let supervisor = keys.optional_id("provider", p.supervisor_npi.as_deref())?;
            tx.execute("UPDATE provider SET supervisor_id = ?2 WHERE npi = ?1", params![p.npi, supervisor])
                .map_err(map_err)?;
        }
    }
    {
        let mut patient = tx
            .prepare_cached(
                "INSERT INTO patient (mrn, family, given, middle, suffix, family_key, given_key, family_phon, given_phon,
                     sex, birth_date, ssn_last4, ssn_hash, deceased_on, sensitivity, address, phone, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
            )
            .map_err(map_err)?;
        let mut alias = tx
            .prepare_cached("INSERT INTO patient_alias (patient_id, family, given, kind) VALUES (?1, ?2, ?3, 'AKA')")
            .map_err(map_err)?;
        let mut source = tx
            .prepare_cached("INSERT INTO patient_source_id (system, value, patient_id) VALUES (?1, ?2, ?3)")
            .map_err(map_err)?;
        for p in &batch.patients {
            patient
                .execute(params![
                    p.mrn.as_str(),
                    p.name.family,
                    p.name.given,
                    p.name.middle,
                    p.name.suffix,
                    p.keys.family_key,
                    p.keys.given_key,
                    p.keys.family_phonetic,
                    p.keys.given_phonetic,
                    p.sex.code(),
                    date_text(p.birth_date),
                    p.ssn_last4,
                    p.ssn_hash,
                    p.deceased_on.map(date_text),
                    p.sensitivity.code(),
                    p.address,
                    p.phone,
                    now
                ])
                .map_err(map_err)?;
            let id = tx.last_insert_rowid();
            keys.remember("patient", p.mrn.as_str(), id);
            for a in &p.aliases {
                alias.execute(params![id, a.family, a.given]).map_err(map_err)?;
            }
            for (system, value) in &p.source_ids {
                source.execute(params![system, value, id]).map_err(map_err)?;
            }
            counts.patients += 1;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO encounter (patient_id, account, kind, facility_id, service, admit_at, discharge_at, attending_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(map_err)?;
        for e in &batch.encounters {
            let patient = keys.id("patient", &e.patient_mrn)?;
            let facility = keys.id("facility", &e.facility_code)?;
            let attending = keys.optional_id("provider", e.attending_npi.as_deref())?;
            stmt.execute(params![
                patient,
                e.account,
                e.kind.code(),
                facility,
                e.service,
                timestamp(e.admit_at),
                e.discharge_at.map(timestamp),
                attending
            ])
            .map_err(map_err)?;
            keys.remember("encounter", &e.account, tx.last_insert_rowid());
            counts.encounters += 1;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO encounter_procedure (encounter_id, performed_at, code, description) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(map_err)?;
        for p in &batch.procedures {
            let encounter = keys.id("encounter", &p.account)?;
            stmt.execute(params![encounter, timestamp(p.performed_at), p.code, p.description]).map_err(map_err)?;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO document (encounter_id, patient_id, doc_type, title, author_id, status, created_at, signed_at, text,
                     page_count, sensitive_categories, in_designated_record_set)
                 VALUES (?1, (SELECT patient_id FROM encounter WHERE id = ?1), ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .map_err(map_err)?;
        for d in &batch.documents {
            let encounter = keys.id("encounter", &d.account)?;
            let author = keys.optional_id("provider", d.author_npi.as_deref())?;
            stmt.execute(params![
                encounter,
                d.doc_type,
                d.title,
                author,
                d.status.code(),
                timestamp(d.created_at),
                d.signed_at.map(timestamp),
                d.text,
                d.page_count,
                crate::domain::roi::packet::SensitiveCategory::join(&d.sensitive_categories),
                d.in_designated_record_set as i64
            ])
            .map_err(map_err)?;
            counts.documents += 1;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO chart_completion (encounter_id, status, received_on, completed_on) VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(map_err)?;
        for c in &batch.completions {
            let encounter = keys.id("encounter", &c.account)?;
            stmt.execute(params![encounter, c.status.code(), date_text(c.received_on), c.completed_on.map(date_text)])
                .map_err(map_err)?;
            keys.remember("chart_completion", &c.account, tx.last_insert_rowid());
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO deficiency (chart_completion_id, encounter_id, type_code, provider_id, status, event_on,
                     delinquent_on, created_at, notice_level)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(map_err)?;
        for d in &batch.deficiencies {
            let completion = keys.id("chart_completion", &d.account)?;
            let encounter = keys.id("encounter", &d.account)?;
            let provider = keys.id("provider", &d.provider_npi)?;
            stmt.execute(params![
                completion,
                encounter,
                d.type_code,
                provider,
                d.status.code(),
                date_text(d.event_on),
                date_text(d.delinquent_on),
                timestamp(d.created_at),
                d.notice_level.map(|l| l.code())
            ])
            .map_err(map_err)?;
            counts.deficiencies += 1;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO chart_volume (patient_id, volume_no, record_type, barcode, home_location_id,
                     current_location_id, status, borrower, due_back_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(map_err)?;
        for v in &batch.volumes {
            let patient = keys.id("patient", &v.patient_mrn)?;
            let home = keys.id("location", &v.home_location)?;
            let current = keys.id("location", &v.current_location)?;
            stmt.execute(params![
                patient,
                v.volume_no,
                v.record_type,
                v.barcode,
                home,
                current,
                v.status,
                v.borrower,
                v.due_back_on.map(date_text)
            ])
            .map_err(map_err)?;
            keys.remember("chart_volume", &v.barcode, tx.last_insert_rowid());
            counts.volumes += 1;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO chart_movement (chart_volume_id, movement_type, from_location_id, to_location_id,
                     by_username, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(map_err)?;
        for m in &batch.movements {
            let volume = keys.id("chart_volume", &m.barcode)?;
            let from = keys.optional_id("location", m.from_location.as_deref())?;
            let to = keys.optional_id("location", m.to_location.as_deref())?;
            stmt.execute(params![volume, m.movement_type, from, to, m.by_username, timestamp(m.at)])
                .map_err(map_err)?;
            counts.movements += 1;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO disclosure (patient_id, disclosed_at, recipient, purpose, legal_basis, accountable, pages,
                     by_username, recipient_address, description)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(map_err)?;
        for d in &batch.disclosures {
            let patient = keys.id("patient", &d.patient_mrn)?;
            stmt.execute(params![
                patient,
                timestamp(d.disclosed_at),
                d.recipient,
                d.purpose,
                d.legal_basis,
                d.accountable as i64,
                d.pages,
                d.by_username,
                d.recipient_address,
                d.description
            ])
            .map_err(map_err)?;
            counts.disclosures += 1;
        }
    }
    {
        let mut stmt = tx
            .prepare_cached(
                "INSERT INTO account_sequence (prefix, last) VALUES (?1, ?2)
                 ON CONFLICT (prefix) DO UPDATE SET last = max(last, ?2)",
            )
            .map_err(map_err)?;
        for (prefix, last) in &batch.account_sequences {
            stmt.execute(params![prefix, *last as i64]).map_err(map_err)?;
        }
    }
    Ok(counts)
}

/// Seeds the deficiency-type catalog when it is empty (first open of a new store).
pub(super) fn seed_deficiency_types(conn: &Connection) -> StoreResult<()> {
    let existing: i64 = conn.query_row("SELECT count(*) FROM deficiency_type", [], |r| r.get(0)).map_err(map_err)?;
    if existing > 0 {
        return Ok(());
    }
    for t in crate::domain::chart::seed_deficiency_types() {
        super::deficiency::upsert_type(conn, &t)?;
    }
    Ok(())
}
