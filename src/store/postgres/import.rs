//! Writing records from another system on PostgreSQL, found again by their source identifiers:
//! `sqlite/import.rs`, statement for statement.
//!
//! The rules are the domain's: which MRN a new patient gets ([`crate::domain::mrn::next_import_mrn`],
//! from the number after the last one given, kept in `store_setting` as `next_import_mrn`), which
//! account a new visit gets ([`AccountNumber::next_after`] the last of its prefix, kept in
//! `account_sequence`), and which encounter is the same visit from another export
//! ([`crate::domain::visit::same_visit`]). This file answers their questions and writes the result.
//!
//! Every statement is a round trip to the server, so the questions asked of every row of a kind
//! ("is this source id known?") are asked once per kind for the whole batch, and the answers kept
//! up to date as the batch writes.

use super::PgResult;
use super::admin::append_audit;
use crate::domain::account::{AccountNumber, AccountPrefix};
use crate::domain::chart::EncounterKind;
use crate::domain::mrn::{IMPORT_MRNS, ImportMrnError, Mrn};
use crate::domain::visit::{VisitCandidate, same_visit};
use crate::store::StoreError;
use crate::store::imports::{ImportBatch, ImportCounts, KindCounts, SourceRecord};
use chrono::{DateTime, NaiveDate, Timelike, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use std::collections::{HashMap, HashSet};

/// The key of the advisory lock an import holds for its transaction. SQLite runs one writer at a
/// time; here two imports at once would both read the same next MRN and account number, and the
/// second would fail on a duplicate. Any constant unlikely to collide will do ("cr-imprt").
const IMPORT_LOCK: i64 = 0x6372_2d69_6d70_7274;

/// How many MRNs past the last one given are checked in one statement: a batch's worth, so an
/// import into a demo store (whose MRNs are scattered through the import range) asks once a batch.
const MRN_WINDOW: u64 = 8_192;

/// An instant to the second, as the SQLite store writes it (`2025-03-03T02:00:00Z`): the same
/// visit arriving from two exports is matched on its admission, which must compare equal on both
/// backends.
fn second(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(0).unwrap_or(at)
}

/// One kind of source id (`patient_source_id`, …): which rows the batch's ids name, read once
/// for the ids of a whole kind and kept current as the batch writes.
struct SourceIds {
    table: &'static str,
    column: &'static str,
    known: HashMap<String, Option<i64>>,
}

impl SourceIds {
    fn new(table: &'static str, column: &'static str) -> Self {
        Self { table, column, known: HashMap::new() }
    }

    /// Looks up every id of `values` not yet known, in one statement.
    async fn preload(&mut self, tx: &Transaction<'_>, system: &str, mut wanted: Vec<&str>) -> PgResult<()> {
        wanted.retain(|v| !self.known.contains_key(*v));
        if wanted.is_empty() {
            return Ok(());
        }
        wanted.sort_unstable();
        wanted.dedup();
        let stmt = tx
            .prepare_cached(&format!(
                "SELECT value, {} FROM {} WHERE system = $1 AND value = ANY($2)",
                self.column, self.table
            ))
            .await?;
        for row in tx.query(&stmt, &[&system, &wanted]).await? {
            self.known.insert(row.try_get(0)?, Some(row.try_get(1)?));
        }
        for value in wanted {
            self.known.entry(value.to_string()).or_insert(None);
        }
        Ok(())
    }

    /// The row `value` names in `system`, if any.
    async fn get(&mut self, tx: &Transaction<'_>, system: &str, value: &str) -> PgResult<Option<i64>> {
        if let Some(id) = self.known.get(value) {
            return Ok(*id);
        }
        self.preload(tx, system, vec![value]).await?;
        Ok(self.known.get(value).copied().flatten())
    }

    /// Records that the row `id` is known in `system` as `value`, so that it is found again.
    async fn remember(&mut self, tx: &Transaction<'_>, system: &str, value: &str, id: i64) -> PgResult<()> {
        let stmt = tx
            .prepare_cached(&format!("INSERT INTO {} (system, value, {}) VALUES ($1, $2, $3)", self.table, self.column))
            .await?;
        tx.execute(&stmt, &[&system, &value, &id]).await?;
        self.known.insert(value.to_string(), Some(id));
        Ok(())
    }

    /// [`SourceIds::remember`] for an encounter, with the export that brought its id.
    async fn remember_encounter(
        &mut self,
        tx: &Transaction<'_>,
        system: &str,
        value: &str,
        id: i64,
        export: &str,
    ) -> PgResult<()> {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO encounter_source_id (system, value, encounter_id, export) VALUES ($1, $2, $3, $4)",
            )
            .await?;
        tx.execute(&stmt, &[&system, &value, &id, &export]).await?;
        self.known.insert(value.to_string(), Some(id));
        Ok(())
    }
}

/// The batch's source ids, by the table that keeps them.
struct Sources {
    patients: SourceIds,
    encounters: SourceIds,
    providers: SourceIds,
    locations: SourceIds,
    documents: SourceIds,
    /// Provider ids by NPI, as asked.
    npis: HashMap<String, Option<i64>>,
}

impl Sources {
    fn new() -> Self {
        Self {
            patients: SourceIds::new("patient_source_id", "patient_id"),
            encounters: SourceIds::new("encounter_source_id", "encounter_id"),
            providers: SourceIds::new("provider_source_id", "provider_id"),
            locations: SourceIds::new("location_source_id", "location_id"),
            documents: SourceIds::new("document_source_id", "document_id"),
            npis: HashMap::new(),
        }
    }

    /// The provider with this NPI. Asked only once the batch's providers are written, and an NPI
    /// never changes after that within the batch.
    async fn provider_by_npi(&mut self, tx: &Transaction<'_>, npi: &str) -> PgResult<Option<i64>> {
        if let Some(id) = self.npis.get(npi) {
            return Ok(*id);
        }
        let stmt = tx.prepare_cached("SELECT id FROM provider WHERE npi = $1").await?;
        let id = tx.query_opt(&stmt, &[&npi]).await?.map(|r| r.try_get(0)).transpose()?;
        self.npis.insert(npi.to_string(), id);
        Ok(id)
    }
}

pub(super) async fn apply(tx: &Transaction<'_>, batch: &ImportBatch) -> PgResult<ImportCounts> {
    // The event is the batch's instant too: the store reads no clock of its own.
    let audit = batch
        .audit
        .as_ref()
        .ok_or_else(|| StoreError::Backend("an import batch without its audit event is not written".into()))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&IMPORT_LOCK]).await?;
    let mut counts = ImportCounts::default();
    let facility_id: i64 = tx
        .query_opt("SELECT id FROM facility WHERE code = $1", &[&batch.facility_code])
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("facility {}", batch.facility_code)))?
        .try_get(0)?;

    let mut sources = Sources::new();
    apply_organizations(tx, batch, &mut sources, &mut counts.organizations).await?;
    apply_locations(tx, batch, &mut sources, &mut counts.locations).await?;
    apply_providers(tx, batch, &mut sources, &mut counts.providers).await?;
    apply_practitioner_roles(tx, batch, &mut counts.practitioner_roles).await?;
    apply_patients(tx, batch, &mut sources, audit.at, &mut counts.patients).await?;
    apply_encounters(tx, batch, &mut sources, facility_id, &mut counts.encounters).await?;
    apply_procedures(tx, batch, &mut sources, &mut counts.procedures).await?;
    apply_documents(tx, batch, &mut sources, &mut counts.documents).await?;
    append_audit(tx, audit).await?;
    Ok(counts)
}

pub(super) async fn has_imported(
    c: &impl GenericClient,
    record: SourceRecord,
    system: &str,
    source_id: &str,
) -> PgResult<bool> {
    let sql = match record {
        SourceRecord::Patient => "SELECT EXISTS (SELECT 1 FROM patient_source_id WHERE system = $1 AND value = $2)",
        SourceRecord::Encounter => "SELECT EXISTS (SELECT 1 FROM encounter_source_id WHERE system = $1 AND value = $2)",
    };
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query_one(&stmt, &[&system, &source_id]).await?.try_get(0)?)
}

/// Organizations, kept as the encounters' locations.
async fn apply_organizations(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    sources: &mut Sources,
    counts: &mut KindCounts,
) -> PgResult<()> {
    let system = batch.system.as_str();
    let ids: Vec<&str> = batch.organizations.iter().map(|o| o.source_id.as_str()).collect();

    sources.locations.preload(tx, system, ids).await?;
    for org in &batch.organizations {
        counts.read += 1;
        match sources.locations.get(tx, system, &org.source_id).await? {
            Some(id) => {
                if rename_location(tx, id, &org.name).await? {
                    counts.updated += 1
                } else {
                    counts.unchanged += 1
                }
            }
            None => {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO location (code, name, kind) VALUES ($1, $2, 'ORGANIZATION') RETURNING id",
                    )
                    .await?;
                let code = format!("{system}:{}", org.source_id);
                let id: i64 = tx.query_one(&stmt, &[&code, &org.name]).await?.try_get(0)?;
                sources.locations.remember(tx, system, &org.source_id, id).await?;
                counts.created += 1;
            }
        }
    }
    Ok(())
}

/// Providers: found again by source id; a FHIR NPI replaces the CSV's stand-in.
async fn apply_providers(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    sources: &mut Sources,
    counts: &mut KindCounts,
) -> PgResult<()> {
    let system = batch.system.as_str();
    let ids: Vec<&str> = batch.providers.iter().map(|p| p.source_id.as_str()).collect();

    sources.providers.preload(tx, system, ids).await?;
    for p in &batch.providers {
        counts.read += 1;
        match sources.providers.get(tx, system, &p.source_id).await? {
            Some(id) => {
                // A FHIR bundle brings the NPI the CSV lacked: it replaces the source-key stand-in.
                let stmt = tx
                    .prepare_cached(
                        "UPDATE provider SET family = $2, given = $3,
                             specialty = CASE WHEN $4::text = '' THEN specialty ELSE $4::text END,
                             npi = coalesce($5::text, npi), version = version + 1
                         WHERE id = $1 AND (family != $2 OR given != $3 OR ($4::text != '' AND specialty != $4::text)
                             OR ($5::text IS NOT NULL AND npi != $5::text))",
                    )
                    .await?;
                let changed = tx.execute(&stmt, &[&id, &p.family, &p.given, &p.specialty, &p.npi]).await?;
                if changed > 0 { counts.updated += 1 } else { counts.unchanged += 1 }
            }
            None => {
                // Synthea's CSV carries no NPI: the source key stands in until a FHIR bundle brings it.
                let npi = p.npi.clone().unwrap_or_else(|| format!("{system}:{}", p.source_id));
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO provider (npi, family, given, specialty) VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .await?;
                let id: i64 = tx.query_one(&stmt, &[&npi, &p.family, &p.given, &p.specialty]).await?.try_get(0)?;
                sources.providers.remember(tx, system, &p.source_id, id).await?;
                counts.created += 1;
            }
        }
    }
    Ok(())
}

/// Which numbers of the import range are taken, for a window past the last one given: the domain
/// asks of each number in turn, and the store answers a window's worth in one statement.
#[derive(Default)]
struct TakenMrns {
    checked: std::ops::Range<u64>,
    taken: HashSet<u64>,
}

impl TakenMrns {
    /// The MRN the domain gives the next imported patient, from `from`.
    async fn next(&mut self, tx: &Transaction<'_>, from: u64) -> PgResult<Mrn> {
        loop {
            // A number outside the window read so far is the question to ask the server.
            let outcome = crate::domain::mrn::next_import_mrn(from, |mrn| {
                let number = mrn.number();
                if self.checked.contains(&number) { Ok(self.taken.contains(&number)) } else { Err(number) }
            });
            match outcome {
                Ok(mrn) => return Ok(mrn),
                Err(ImportMrnError::Lookup(number)) => self.read_window(tx, number).await?,
                Err(used_up @ ImportMrnError::UsedUp) => return Err(StoreError::Backend(used_up.to_string()).into()),
            }
        }
    }

    async fn read_window(&mut self, tx: &Transaction<'_>, start: u64) -> PgResult<()> {
        let end = start.saturating_add(MRN_WINDOW).min(IMPORT_MRNS.end().saturating_add(1));
        let candidates: Vec<String> = (start..end).map(|n| n.to_string()).collect();
        let stmt = tx.prepare_cached("SELECT mrn FROM patient WHERE mrn = ANY($1)").await?;
        self.taken.clear();
        for row in tx.query(&stmt, &[&candidates]).await? {
            let mrn: String = row.try_get(0)?;
            if let Ok(number) = mrn.parse() {
                self.taken.insert(number);
            }
        }
        self.checked = start..end;
        Ok(())
    }
}

/// Patients: found again by source id, or given the next import MRN; a new one is stamped `created_at`.
async fn apply_patients(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    sources: &mut Sources,
    created_at: DateTime<Utc>,
    counts: &mut KindCounts,
) -> PgResult<()> {
    let system = batch.system.as_str();
    let created_at = second(created_at);
    let kept: Option<String> = tx
        .query_opt("SELECT value FROM store_setting WHERE key = 'next_import_mrn'", &[])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    // As SQLite's CAST reads it: a number, else nothing kept.
    let mut next_mrn: u64 = kept.and_then(|v| v.trim().parse::<i64>().ok()).map_or(0, |n| n.max(0) as u64);
    let mut taken = TakenMrns::default();
    let ids: Vec<&str> = batch.patients.iter().map(|p| p.source_id.as_str()).collect();

    sources.patients.preload(tx, system, ids).await?;
    for p in &batch.patients {
        counts.read += 1;
        match sources.patients.get(tx, system, &p.source_id).await? {
            Some(id) => {
                let stmt = tx
                    .prepare_cached(
                        "UPDATE patient SET family = $2, given = $3, middle = $4, family_key = $5, given_key = $6,
                             family_phon = $7, given_phon = $8, birth_date = $9, deceased_on = $10,
                             ssn_last4 = COALESCE($11, ssn_last4), ssn_hash = COALESCE($12, ssn_hash),
                             version = version + 1
                         WHERE id = $1 AND (family != $2 OR given != $3 OR middle != $4 OR birth_date != $9
                             OR deceased_on IS DISTINCT FROM $10
                             OR ($12::text IS NOT NULL AND ssn_hash IS DISTINCT FROM $12::text))",
                    )
                    .await?;
                let changed = tx
                    .execute(
                        &stmt,
                        &[
                            &id,
                            &p.name.family,
                            &p.name.given,
                            &p.name.middle,
                            &p.keys.family_key,
                            &p.keys.given_key,
                            &p.keys.family_phonetic,
                            &p.keys.given_phonetic,
                            &p.birth_date,
                            &p.deceased_on,
                            &p.ssn_last4,
                            &p.ssn_hash,
                        ],
                    )
                    .await?;
                if changed > 0 { counts.updated += 1 } else { counts.unchanged += 1 }
            }
            None => {
                let mrn = taken.next(tx, next_mrn).await?;
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO patient (mrn, family, given, middle, family_key, given_key, family_phon,
                             given_phon, sex, birth_date, ssn_last4, ssn_hash, deceased_on, address, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                         RETURNING id",
                    )
                    .await?;
                let id: i64 = tx
                    .query_one(
                        &stmt,
                        &[
                            &mrn.as_str(),
                            &p.name.family,
                            &p.name.given,
                            &p.name.middle,
                            &p.keys.family_key,
                            &p.keys.given_key,
                            &p.keys.family_phonetic,
                            &p.keys.given_phonetic,
                            &p.sex.code(),
                            &p.birth_date,
                            &p.ssn_last4,
                            &p.ssn_hash,
                            &p.deceased_on,
                            &p.address,
                            &created_at,
                        ],
                    )
                    .await?
                    .try_get(0)?;
                sources.patients.remember(tx, system, &p.source_id, id).await?;
                next_mrn = mrn.number() + 1;
                counts.created += 1;
            }
        }
    }
    if counts.created > 0 {
        tx.execute(
            "INSERT INTO store_setting (key, value) VALUES ('next_import_mrn', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&next_mrn.to_string()],
        )
        .await?;
    }
    Ok(())
}

/// Encounters: found again by source id, joined to the same visit from another export, or created
/// with the next account number of their kind and year.
async fn apply_encounters(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    sources: &mut Sources,
    facility_id: i64,
    counts: &mut KindCounts,
) -> PgResult<()> {
    let system = batch.system.as_str();
    let mut sequences: HashMap<AccountPrefix, u64> = HashMap::new();
    let ids: Vec<&str> = batch.encounters.iter().filter(|e| !e.new_to_store).map(|e| e.source_id.as_str()).collect();
    sources.encounters.preload(tx, system, ids).await?;
    let ids: Vec<&str> = batch.encounters.iter().map(|e| e.patient_source_id.as_str()).collect();

    sources.patients.preload(tx, system, ids).await?;
    for e in &batch.encounters {
        counts.read += 1;
        let discharge_at = e.discharge_at.map(second);
        let admit_at = second(e.admit_at);
        let found = if e.new_to_store { None } else { sources.encounters.get(tx, system, &e.source_id).await? };
        if let Some(id) = found {
            let stmt = tx
                .prepare_cached(
                    "UPDATE encounter SET discharge_at = $2, version = version + 1
                     WHERE id = $1 AND discharge_at IS DISTINCT FROM $2",
                )
                .await?;
            let changed = tx.execute(&stmt, &[&id, &discharge_at]).await?;
            if changed > 0 {
                counts.updated += 1
            } else {
                counts.unchanged += 1
            }
            continue;
        }
        let patient_id = sources.patients.get(tx, system, &e.patient_source_id).await?.ok_or_else(|| {
            StoreError::NotFound(format!("patient {} of encounter {}", e.patient_source_id, e.source_id))
        })?;
        // The same visit from another export: the domain decides among the patient's encounters
        // admitted at that instant.
        let stmt = tx
            .prepare_cached(
                "SELECT e.id, e.kind, EXISTS (SELECT 1 FROM encounter_source_id s
                                              WHERE s.encounter_id = e.id AND s.system = $3 AND s.export = $4)
                 FROM encounter e WHERE e.patient_id = $1 AND e.admit_at = $2",
            )
            .await?;
        let mut candidates = Vec::new();
        for row in tx.query(&stmt, &[&patient_id, &admit_at, &system, &batch.export]).await? {
            let kind: String = row.try_get(1)?;
            let kind = EncounterKind::from_code(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("encounter kind {kind:?}")))?;
            candidates.push(VisitCandidate { encounter_id: row.try_get(0)?, kind, known_in_export: row.try_get(2)? });
        }
        if let Some(id) = same_visit(&candidates, e.kind) {
            sources.encounters.remember_encounter(tx, system, &e.source_id, id, &batch.export).await?;
            counts.unchanged += 1;
            continue;
        }
        let attending = match (&e.provider_source_id, &e.provider_npi) {
            (Some(p), _) => sources.providers.get(tx, system, p).await?,
            (None, Some(npi)) => sources.provider_by_npi(tx, npi).await?,
            (None, None) => None,
        };
        let location = match &e.organization_source_id {
            Some(o) => sources.locations.get(tx, system, o).await?,
            None => None,
        };
        let prefix = AccountPrefix::of(e.kind, e.admit_at);
        let last = match sequences.get(&prefix) {
            Some(last) => *last,
            None => last_account(tx, prefix).await?,
        };
        let account = AccountNumber::next_after(prefix, last).map_err(|e| StoreError::Backend(e.to_string()))?;
        sequences.insert(prefix, account.sequence());
        let stmt = tx
            .prepare_cached(
                "INSERT INTO encounter (patient_id, account, kind, facility_id, service, admit_at, discharge_at,
                     attending_id, location_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 RETURNING id",
            )
            .await?;
        let id: i64 = tx
            .query_one(
                &stmt,
                &[
                    &patient_id,
                    &account.to_string(),
                    &e.kind.code(),
                    &facility_id,
                    &e.service,
                    &admit_at,
                    &discharge_at,
                    &attending,
                    &location,
                ],
            )
            .await?
            .try_get(0)?;
        sources.encounters.remember_encounter(tx, system, &e.source_id, id, &batch.export).await?;
        // History arrives complete: inpatient charts discharged before the open-since day do not
        // become delinquent work. Later stays wait for the nightly analysis, however old.
        if e.kind == EncounterKind::Inpatient {
            match (e.discharge_at, batch.open_since) {
                (Some(discharged), Some(open_since)) if discharged.date_naive() < open_since => {
                    let day: NaiveDate = discharged.date_naive();
                    let stmt = tx
                        .prepare_cached(
                            "INSERT INTO chart_completion (encounter_id, status, received_on, completed_on)
                             VALUES ($1, 'COMPLETE', $2, $2)",
                        )
                        .await?;
                    tx.execute(&stmt, &[&id, &day]).await?;
                }
                _ => {
                    let stmt = tx.prepare_cached("INSERT INTO analysis_pending (encounter_id) VALUES ($1)").await?;
                    tx.execute(&stmt, &[&id]).await?;
                }
            }
        }
        counts.created += 1;
    }
    for (prefix, last) in sequences {
        tx.execute(
            "INSERT INTO account_sequence (prefix, last) VALUES ($1, $2)
             ON CONFLICT (prefix) DO UPDATE SET last = greatest(account_sequence.last, excluded.last)",
            &[&prefix.to_string(), &(last as i64)],
        )
        .await?;
    }
    Ok(())
}

/// The greatest sequence number of `prefix` in use: the one kept, or else (a store whose accounts
/// were all made with six digits, before the sequence was kept) the greatest six-digit account.
async fn last_account(tx: &Transaction<'_>, prefix: AccountPrefix) -> PgResult<u64> {
    let prefix = prefix.to_string();
    let kept: Option<i64> = tx
        .query_opt("SELECT last FROM account_sequence WHERE prefix = $1", &[&prefix])
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    // A range on the account's own unique index (its C collation orders it byte by byte, as
    // SQLite's does).
    let greatest: Option<String> = tx
        .query_one("SELECT max(account) FROM encounter WHERE account >= $1 AND account < $1 || '~'", &[&prefix])
        .await?
        .try_get(0)?;
    let written = greatest.as_deref().and_then(AccountNumber::parse).map_or(0, |a| a.sequence());
    Ok(written.max(kept.map_or(0, |n| n.max(0) as u64)))
}

/// Notes: found again by source id (their status follows the source's), or created with their text.
async fn apply_documents(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    sources: &mut Sources,
    counts: &mut KindCounts,
) -> PgResult<()> {
    let system = batch.system.as_str();
    let ids: Vec<&str> = batch.documents.iter().map(|d| d.source_id.as_str()).collect();

    sources.documents.preload(tx, system, ids).await?;
    let ids: Vec<&str> = batch.documents.iter().map(|d| d.encounter_source_id.as_str()).collect();

    sources.encounters.preload(tx, system, ids).await?;
    for d in &batch.documents {
        counts.read += 1;
        let created_at = second(d.created_at);
        let signed_at = d.status.is_complete().then_some(created_at);
        if let Some(id) = sources.documents.get(tx, system, &d.source_id).await? {
            // A note signed since it last arrived (or amended, or retracted) changes status.
            let stmt = tx
                .prepare_cached(
                    "UPDATE document SET status = $2, signed_at = coalesce(signed_at, $3) WHERE id = $1 AND status != $2",
                )
                .await?;
            let changed = tx.execute(&stmt, &[&id, &d.status.code(), &signed_at]).await?;
            if changed > 0 {
                counts.updated += 1
            } else {
                counts.unchanged += 1
            }
            continue;
        }
        let encounter_id = sources.encounters.get(tx, system, &d.encounter_source_id).await?.ok_or_else(|| {
            StoreError::NotFound(format!("encounter {} of document {}", d.encounter_source_id, d.source_id))
        })?;
        let author = match &d.author_npi {
            Some(npi) => sources.provider_by_npi(tx, npi).await?,
            None => None,
        };
        let stmt = tx
            .prepare_cached(
                "INSERT INTO document (encounter_id, patient_id, doc_type, title, author_id, status, created_at,
                     signed_at, text, sensitive_categories)
                 VALUES ($1, (SELECT patient_id FROM encounter WHERE id = $1), $2, $3, $4, $5, $6, $7, $8, $9)
                 RETURNING id",
            )
            .await?;
        let categories = crate::domain::roi::packet::SensitiveCategory::join(&d.sensitive_categories);
        let id: i64 = tx
            .query_one(
                &stmt,
                &[
                    &encounter_id,
                    &d.doc_type,
                    &d.title,
                    &author,
                    &d.status.code(),
                    &created_at,
                    &signed_at,
                    &d.text,
                    &categories,
                ],
            )
            .await?
            .try_get(0)?;
        sources.documents.remember(tx, system, &d.source_id, id).await?;
        counts.created += 1;
    }
    Ok(())
}

/// Gives a location the name a source sends, unless it is the name held spelt more sparsely (the
/// two Synthea exports punctuate names differently). Whether it changed anything.
async fn rename_location(tx: &Transaction<'_>, id: i64, name: &str) -> PgResult<bool> {
    let stmt = tx.prepare_cached("SELECT name FROM location WHERE id = $1").await?;
    let held: String = tx.query_one(&stmt, &[&id]).await?.try_get(0)?;
    let wanted = crate::domain::text::fuller_spelling(&held, name).unwrap_or(name);
    if wanted == held {
        return Ok(false);
    }
    let stmt = tx.prepare_cached("UPDATE location SET name = $2 WHERE id = $1").await?;
    tx.execute(&stmt, &[&id, &wanted]).await?;
    Ok(true)
}

/// Locations: found again by their own id, else joined to their managing organization's location
/// (Synthea's Location repeats its Organization), else a location of their own.
async fn apply_locations(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    sources: &mut Sources,
    counts: &mut KindCounts,
) -> PgResult<()> {
    let system = batch.system.as_str();
    let ids: Vec<&str> = batch
        .locations
        .iter()
        .flat_map(|l| std::iter::once(l.source_id.as_str()).chain(l.organization_source_id.as_deref()))
        .collect();
    sources.locations.preload(tx, system, ids).await?;
    for place in &batch.locations {
        counts.read += 1;
        if let Some(id) = sources.locations.get(tx, system, &place.source_id).await? {
            if rename_location(tx, id, &place.name).await? {
                counts.updated += 1
            } else {
                counts.unchanged += 1
            }
            continue;
        }
        let organization = match &place.organization_source_id {
            Some(o) => sources.locations.get(tx, system, o).await?,
            None => None,
        };
        let id = match organization {
            Some(id) => {
                counts.unchanged += 1;
                id
            }
            None => {
                let stmt = tx
                    .prepare_cached("INSERT INTO location (code, name, kind) VALUES ($1, $2, 'PLACE') RETURNING id")
                    .await?;
                let code = format!("{system}:{}", place.source_id);
                counts.created += 1;
                tx.query_one(&stmt, &[&code, &place.name]).await?.try_get(0)?
            }
        };
        sources.locations.remember(tx, system, &place.source_id, id).await?;
    }
    Ok(())
}

/// Practitioner roles: the specialty fills in a practitioner's empty one. A role whose practitioner
/// the store does not hold is counted rejected (the parser refuses those it can see are orphans).
async fn apply_practitioner_roles(tx: &Transaction<'_>, batch: &ImportBatch, counts: &mut KindCounts) -> PgResult<()> {
    for role in &batch.practitioner_roles {
        counts.read += 1;
        let stmt = tx.prepare_cached("SELECT id, specialty FROM provider WHERE npi = $1").await?;
        let provider: Option<(i64, String)> = match tx.query_opt(&stmt, &[&role.practitioner_npi]).await? {
            Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
            None => None,
        };
        match provider {
            None => counts.rejected += 1,
            Some((id, specialty)) if specialty.is_empty() && !role.specialty.is_empty() => {
                let stmt = tx
                    .prepare_cached("UPDATE provider SET specialty = $2, version = version + 1 WHERE id = $1")
                    .await?;
                tx.execute(&stmt, &[&id, &role.specialty]).await?;
                counts.updated += 1;
            }
            Some(_) => counts.unchanged += 1,
        }
    }
    Ok(())
}

/// Procedures, by encounter, instant and code, so that both exports' copies are one.
async fn apply_procedures(
    tx: &Transaction<'_>,
    batch: &ImportBatch,
    sources: &mut Sources,
    counts: &mut KindCounts,
) -> PgResult<()> {
    let system = batch.system.as_str();
    let ids: Vec<&str> = batch.procedures.iter().map(|p| p.encounter_source_id.as_str()).collect();

    sources.encounters.preload(tx, system, ids).await?;
    for p in &batch.procedures {
        counts.read += 1;
        let encounter_id = sources
            .encounters
            .get(tx, system, &p.encounter_source_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("encounter {} of a procedure", p.encounter_source_id)))?;
        let at = second(p.performed_at);
        let stmt = tx
            .prepare_cached(
                "SELECT id, description FROM encounter_procedure
                 WHERE encounter_id = $1 AND performed_at = $2 AND code = $3",
            )
            .await?;
        let found: Option<(i64, String)> = match tx.query_opt(&stmt, &[&encounter_id, &at, &p.code]).await? {
            Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
            None => None,
        };
        match found {
            Some((id, held)) => {
                let wanted = crate::domain::text::fuller_spelling(&held, &p.description).unwrap_or(&p.description);
                if wanted == held || wanted.is_empty() {
                    counts.unchanged += 1;
                } else {
                    let stmt =
                        tx.prepare_cached("UPDATE encounter_procedure SET description = $2 WHERE id = $1").await?;
                    tx.execute(&stmt, &[&id, &wanted]).await?;
                    counts.updated += 1;
                }
            }
            None => {
                let stmt = tx
                    .prepare_cached(
                        "INSERT INTO encounter_procedure (encounter_id, performed_at, code, description)
                         VALUES ($1, $2, $3, $4)",
                    )
                    .await?;
                tx.execute(&stmt, &[&encounter_id, &at, &p.code, &p.description]).await?;
                counts.created += 1;
            }
        }
    }
    Ok(())
}
