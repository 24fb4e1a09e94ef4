//! Bulk writes: one transaction per batch, and one statement per table per batch. Each table's rows
//! go to the server as arrays unnested into one INSERT (a round trip per row would cost more than
//! the inserts), and natural keys are resolved to ids once per batch, a table at a time.

use super::PgResult;
use super::admin::append_audit;
use crate::domain::audit::NewAuditEvent;
use crate::store::StoreError;
use crate::store::records::{BatchCounts, RecordBatch};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::Transaction;
use std::collections::HashMap;

/// Natural keys (MRN, account, NPI, codes, barcodes) resolved to ids, for the rows of a batch that
/// refer to rows of this batch or of an earlier one.
#[derive(Default)]
struct Keys {
    ids: HashMap<(&'static str, String), i64>,
}

impl Keys {
    fn remember(&mut self, table: &'static str, key: String, id: i64) {
        self.ids.insert((table, key), id);
    }

    /// Reads the ids of `keys` not yet known, in one statement.
    async fn resolve<'k>(
        &mut self,
        tx: &Transaction<'_>,
        table: &'static str,
        keys: impl IntoIterator<Item = &'k str>,
    ) -> PgResult<()> {
        let mut missing: Vec<&str> =
            keys.into_iter().filter(|k| !self.ids.contains_key(&(table, k.to_string()))).collect();
        if missing.is_empty() {
            return Ok(());
        }
        missing.sort_unstable();
        missing.dedup();
        let sql = match table {
            "facility" => "SELECT code, id FROM facility WHERE code = ANY($1)",
            "provider" => "SELECT npi, id FROM provider WHERE npi = ANY($1)",
            "location" => "SELECT code, id FROM location WHERE code = ANY($1)",
            "patient" => "SELECT mrn, id FROM patient WHERE mrn = ANY($1)",
            "encounter" => "SELECT account, id FROM encounter WHERE account = ANY($1)",
            "chart_volume" => "SELECT barcode, id FROM chart_volume WHERE barcode = ANY($1)",
            "chart_completion" => {
                "SELECT e.account, c.id FROM chart_completion c JOIN encounter e ON e.id = c.encounter_id
                 WHERE e.account = ANY($1)"
            }
            _ => return Err(StoreError::Backend(format!("no natural key for {table}")).into()),
        };
        let stmt = tx.prepare_cached(sql).await?;
        for row in tx.query(&stmt, &[&missing]).await? {
            self.remember(table, row.try_get(0)?, row.try_get(1)?);
        }
        Ok(())
    }

    /// The id of the row of `table` whose natural key is `key`, once resolved.
    fn id(&self, table: &'static str, key: &str) -> PgResult<i64> {
        self.ids
            .get(&(table, key.to_string()))
            .copied()
            .ok_or_else(|| StoreError::NotFound(format!("{table} {key:?}")).into())
    }

    fn optional_id(&self, table: &'static str, key: Option<&str>) -> PgResult<Option<i64>> {
        key.map(|k| self.id(table, k)).transpose()
    }

    /// Remembers the (key, id) pairs an `INSERT … RETURNING key, id` answered.
    fn remember_rows(&mut self, table: &'static str, rows: Vec<tokio_postgres::Row>) -> PgResult<()> {
        for row in rows {
            self.remember(table, row.try_get(0)?, row.try_get(1)?);
        }
        Ok(())
    }
}

pub(super) async fn insert_batch(
    tx: &Transaction<'_>,
    batch: &RecordBatch,
    audit: &NewAuditEvent,
) -> PgResult<BatchCounts> {
    let counts = write_all(tx, batch, audit.at).await?;
    append_audit(tx, audit).await?;
    Ok(counts)
}

async fn write_all(tx: &Transaction<'_>, batch: &RecordBatch, at: DateTime<Utc>) -> PgResult<BatchCounts> {
    let mut keys = Keys::default();
    let mut counts = BatchCounts::default();

    if !batch.locations.is_empty() {
        let code: Vec<&str> = batch.locations.iter().map(|l| l.code.as_str()).collect();
        let name: Vec<&str> = batch.locations.iter().map(|l| l.name.as_str()).collect();
        let kind: Vec<&str> = batch.locations.iter().map(|l| l.kind.as_str()).collect();
        let days: Vec<i64> = batch.locations.iter().map(|l| l.default_loan_days).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO location (code, name, kind, default_loan_days)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
                 RETURNING code, id",
            )
            .await?;
        keys.remember_rows("location", tx.query(&stmt, &[&code, &name, &kind, &days]).await?)?;
        counts.locations = batch.locations.len();
    }

    if !batch.providers.is_empty() {
        let p = &batch.providers;
        let npi: Vec<&str> = p.iter().map(|p| p.npi.as_str()).collect();
        let family: Vec<&str> = p.iter().map(|p| p.family.as_str()).collect();
        let given: Vec<&str> = p.iter().map(|p| p.given.as_str()).collect();
        let credentials: Vec<&str> = p.iter().map(|p| p.credentials.as_str()).collect();
        let specialty: Vec<&str> = p.iter().map(|p| p.specialty.as_str()).collect();
        let service: Vec<&str> = p.iter().map(|p| p.service.as_str()).collect();
        let resident: Vec<bool> = p.iter().map(|p| p.supervisor_npi.is_some()).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO provider (npi, family, given, credentials, specialty, service, is_resident)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                      $7::boolean[])
                 RETURNING npi, id",
            )
            .await?;
        let rows = tx.query(&stmt, &[&npi, &family, &given, &credentials, &specialty, &service, &resident]).await?;
        keys.remember_rows("provider", rows)?;
        counts.providers = p.len();

        let supervised: Vec<_> =
            p.iter().filter_map(|p| Some((p.npi.as_str(), p.supervisor_npi.as_deref()?))).collect();
        if !supervised.is_empty() {
            keys.resolve(tx, "provider", supervised.iter().map(|(_, s)| *s)).await?;
            let npi: Vec<&str> = supervised.iter().map(|(n, _)| *n).collect();
            let supervisor: Vec<i64> =
                supervised.iter().map(|(_, s)| keys.id("provider", s)).collect::<PgResult<_>>()?;
            tx.execute(
                "UPDATE provider SET supervisor_id = u.supervisor FROM unnest($1::text[], $2::bigint[]) AS u(npi, supervisor)
                 WHERE provider.npi = u.npi",
                &[&npi, &supervisor],
            )
            .await?;
        }
    }

    if !batch.patients.is_empty() {
        let p = &batch.patients;
        let mrn: Vec<&str> = p.iter().map(|p| p.mrn.as_str()).collect();
        let family: Vec<&str> = p.iter().map(|p| p.name.family.as_str()).collect();
        let given: Vec<&str> = p.iter().map(|p| p.name.given.as_str()).collect();
        let middle: Vec<&str> = p.iter().map(|p| p.name.middle.as_str()).collect();
        let suffix: Vec<&str> = p.iter().map(|p| p.name.suffix.as_str()).collect();
        let family_key: Vec<&str> = p.iter().map(|p| p.keys.family_key.as_str()).collect();
        let given_key: Vec<&str> = p.iter().map(|p| p.keys.given_key.as_str()).collect();
        let family_phon: Vec<&str> = p.iter().map(|p| p.keys.family_phonetic.as_str()).collect();
        let given_phon: Vec<&str> = p.iter().map(|p| p.keys.given_phonetic.as_str()).collect();
        let sex: Vec<&str> = p.iter().map(|p| p.sex.code()).collect();
        let birth: Vec<NaiveDate> = p.iter().map(|p| p.birth_date).collect();
        let last4: Vec<Option<&str>> = p.iter().map(|p| p.ssn_last4.as_deref()).collect();
        let hash: Vec<Option<&str>> = p.iter().map(|p| p.ssn_hash.as_deref()).collect();
        let deceased: Vec<Option<NaiveDate>> = p.iter().map(|p| p.deceased_on).collect();
        let sensitivity: Vec<&str> = p.iter().map(|p| p.sensitivity.code()).collect();
        let address: Vec<&str> = p.iter().map(|p| p.address.as_str()).collect();
        let phone: Vec<&str> = p.iter().map(|p| p.phone.as_str()).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO patient (mrn, family, given, middle, suffix, family_key, given_key, family_phon, given_phon,
                     sex, birth_date, ssn_last4, ssn_hash, deceased_on, sensitivity, address, phone, created_at)
                 SELECT u.*, $18::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::text[], $9::text[], $10::text[], $11::date[], $12::text[], $13::text[],
                     $14::date[], $15::text[], $16::text[], $17::text[]) AS u
                 RETURNING mrn, id",
            )
            .await?;
        let rows = tx
            .query(
                &stmt,
                &[
                    &mrn,
                    &family,
                    &given,
                    &middle,
                    &suffix,
                    &family_key,
                    &given_key,
                    &family_phon,
                    &given_phon,
                    &sex,
                    &birth,
                    &last4,
                    &hash,
                    &deceased,
                    &sensitivity,
                    &address,
                    &phone,
                    &at,
                ],
            )
            .await?;
        keys.remember_rows("patient", rows)?;
        counts.patients = p.len();

        let (mut alias_patient, mut alias_family, mut alias_given) = (Vec::new(), Vec::new(), Vec::new());
        let (mut source_system, mut source_value, mut source_patient) = (Vec::new(), Vec::new(), Vec::new());
        for p in p {
            let id = keys.id("patient", p.mrn.as_str())?;
            for a in &p.aliases {
                alias_patient.push(id);
                alias_family.push(a.family.as_str());
                alias_given.push(a.given.as_str());
            }
            for (system, value) in &p.source_ids {
                source_system.push(system.as_str());
                source_value.push(value.as_str());
                source_patient.push(id);
            }
        }
        if !alias_patient.is_empty() {
            tx.execute(
                "INSERT INTO patient_alias (patient_id, family, given, kind)
                 SELECT u.*, 'AKA' FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u",
                &[&alias_patient, &alias_family, &alias_given],
            )
            .await?;
        }
        if !source_patient.is_empty() {
            tx.execute(
                "INSERT INTO patient_source_id (system, value, patient_id)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])",
                &[&source_system, &source_value, &source_patient],
            )
            .await?;
        }
    }

    if !batch.encounters.is_empty() {
        let e = &batch.encounters;
        keys.resolve(tx, "patient", e.iter().map(|e| e.patient_mrn.as_str())).await?;
        keys.resolve(tx, "facility", e.iter().map(|e| e.facility_code.as_str())).await?;
        keys.resolve(tx, "provider", e.iter().filter_map(|e| e.attending_npi.as_deref())).await?;
        let mut patient = Vec::with_capacity(e.len());
        let mut facility = Vec::with_capacity(e.len());
        let mut attending = Vec::with_capacity(e.len());
        for e in e {
            patient.push(keys.id("patient", &e.patient_mrn)?);
            facility.push(keys.id("facility", &e.facility_code)?);
            attending.push(keys.optional_id("provider", e.attending_npi.as_deref())?);
        }
        let account: Vec<&str> = e.iter().map(|e| e.account.as_str()).collect();
        let kind: Vec<&str> = e.iter().map(|e| e.kind.code()).collect();
        let service: Vec<&str> = e.iter().map(|e| e.service.as_str()).collect();
        let admit: Vec<DateTime<Utc>> = e.iter().map(|e| e.admit_at).collect();
        let discharge: Vec<Option<DateTime<Utc>>> = e.iter().map(|e| e.discharge_at).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO encounter (patient_id, account, kind, facility_id, service, admit_at, discharge_at,
                     attending_id)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                     $6::timestamptz[], $7::timestamptz[], $8::bigint[])
                 RETURNING account, id",
            )
            .await?;
        let rows =
            tx.query(&stmt, &[&patient, &account, &kind, &facility, &service, &admit, &discharge, &attending]).await?;
        keys.remember_rows("encounter", rows)?;
        counts.encounters = e.len();
    }

    if !batch.procedures.is_empty() {
        let p = &batch.procedures;
        keys.resolve(tx, "encounter", p.iter().map(|p| p.account.as_str())).await?;
        let encounter: Vec<i64> = p.iter().map(|p| keys.id("encounter", &p.account)).collect::<PgResult<_>>()?;
        let performed: Vec<DateTime<Utc>> = p.iter().map(|p| p.performed_at).collect();
        let code: Vec<&str> = p.iter().map(|p| p.code.as_str()).collect();
        let description: Vec<&str> = p.iter().map(|p| p.description.as_str()).collect();
        tx.execute(
            "INSERT INTO encounter_procedure (encounter_id, performed_at, code, description)
             SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[])",
            &[&encounter, &performed, &code, &description],
        )
        .await?;
    }

    if !batch.documents.is_empty() {
        let d = &batch.documents;
        keys.resolve(tx, "encounter", d.iter().map(|d| d.account.as_str())).await?;
        keys.resolve(tx, "provider", d.iter().filter_map(|d| d.author_npi.as_deref())).await?;
        let mut encounter = Vec::with_capacity(d.len());
        let mut author = Vec::with_capacity(d.len());
        for d in d {
            encounter.push(keys.id("encounter", &d.account)?);
            author.push(keys.optional_id("provider", d.author_npi.as_deref())?);
        }
        let doc_type: Vec<&str> = d.iter().map(|d| d.doc_type.as_str()).collect();
        let title: Vec<&str> = d.iter().map(|d| d.title.as_str()).collect();
        let status: Vec<&str> = d.iter().map(|d| d.status.code()).collect();
        let created: Vec<DateTime<Utc>> = d.iter().map(|d| d.created_at).collect();
        let signed: Vec<Option<DateTime<Utc>>> = d.iter().map(|d| d.signed_at).collect();
        let text: Vec<Option<&str>> = d.iter().map(|d| d.text.as_deref()).collect();
        let pages: Vec<i64> = d.iter().map(|d| d.page_count).collect();
        let categories: Vec<String> =
            d.iter().map(|d| crate::domain::roi::packet::SensitiveCategory::join(&d.sensitive_categories)).collect();
        let drs: Vec<bool> = d.iter().map(|d| d.in_designated_record_set).collect();
        // WITH ORDINALITY keeps the batch's order: ids are handed out as the documents came.
        let stmt = tx
            .prepare_cached(
                "INSERT INTO document (encounter_id, patient_id, doc_type, title, author_id, status, created_at,
                     signed_at, text, page_count, sensitive_categories, in_designated_record_set)
                 SELECT u.encounter_id, e.patient_id, u.doc_type, u.title, u.author_id, u.status, u.created_at,
                        u.signed_at, u.text, u.page_count, u.sensitive_categories, u.in_drs
                 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[],
                             $7::timestamptz[], $8::text[], $9::bigint[], $10::text[], $11::boolean[])
                      WITH ORDINALITY AS u(encounter_id, doc_type, title, author_id, status, created_at, signed_at,
                                           text, page_count, sensitive_categories, in_drs, n)
                 JOIN encounter e ON e.id = u.encounter_id
                 ORDER BY u.n",
            )
            .await?;
        tx.execute(
            &stmt,
            &[&encounter, &doc_type, &title, &author, &status, &created, &signed, &text, &pages, &categories, &drs],
        )
        .await?;
        counts.documents = d.len();
    }

    if !batch.completions.is_empty() {
        let c = &batch.completions;
        keys.resolve(tx, "encounter", c.iter().map(|c| c.account.as_str())).await?;
        let encounter: Vec<i64> = c.iter().map(|c| keys.id("encounter", &c.account)).collect::<PgResult<_>>()?;
        let status: Vec<&str> = c.iter().map(|c| c.status.code()).collect();
        let received: Vec<NaiveDate> = c.iter().map(|c| c.received_on).collect();
        let completed: Vec<Option<NaiveDate>> = c.iter().map(|c| c.completed_on).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO chart_completion (encounter_id, status, received_on, completed_on)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::date[])
                 RETURNING encounter_id, id",
            )
            .await?;
        let by_encounter: HashMap<i64, i64> = tx
            .query(&stmt, &[&encounter, &status, &received, &completed])
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<PgResult<_>>()?;
        for (c, encounter) in c.iter().zip(&encounter) {
            if let Some(id) = by_encounter.get(encounter) {
                keys.remember("chart_completion", c.account.clone(), *id);
            }
        }
    }

    if !batch.deficiencies.is_empty() {
        let d = &batch.deficiencies;
        keys.resolve(tx, "chart_completion", d.iter().map(|d| d.account.as_str())).await?;
        keys.resolve(tx, "encounter", d.iter().map(|d| d.account.as_str())).await?;
        keys.resolve(tx, "provider", d.iter().map(|d| d.provider_npi.as_str())).await?;
        let mut completion = Vec::with_capacity(d.len());
        let mut encounter = Vec::with_capacity(d.len());
        let mut provider = Vec::with_capacity(d.len());
        for d in d {
            completion.push(keys.id("chart_completion", &d.account)?);
            encounter.push(keys.id("encounter", &d.account)?);
            provider.push(keys.id("provider", &d.provider_npi)?);
        }
        let type_code: Vec<&str> = d.iter().map(|d| d.type_code.as_str()).collect();
        let status: Vec<&str> = d.iter().map(|d| d.status.code()).collect();
        let event_on: Vec<NaiveDate> = d.iter().map(|d| d.event_on).collect();
        let delinquent_on: Vec<NaiveDate> = d.iter().map(|d| d.delinquent_on).collect();
        let created: Vec<DateTime<Utc>> = d.iter().map(|d| d.created_at).collect();
        let notice_level: Vec<Option<&str>> = d.iter().map(|d| d.notice_level.map(|l| l.code())).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO deficiency (chart_completion_id, encounter_id, type_code, provider_id, status, event_on,
                     delinquent_on, created_at, notice_level)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::date[],
                     $7::date[], $8::timestamptz[], $9::text[])",
            )
            .await?;
        tx.execute(
            &stmt,
            &[
                &completion,
                &encounter,
                &type_code,
                &provider,
                &status,
                &event_on,
                &delinquent_on,
                &created,
                &notice_level,
            ],
        )
        .await?;
        counts.deficiencies = d.len();
    }

    if !batch.volumes.is_empty() {
        let v = &batch.volumes;
        keys.resolve(tx, "patient", v.iter().map(|v| v.patient_mrn.as_str())).await?;
        let places: Vec<&str> =
            v.iter().flat_map(|v| [v.home_location.as_str(), v.current_location.as_str()]).collect();
        keys.resolve(tx, "location", places).await?;
        let mut patient = Vec::with_capacity(v.len());
        let mut home = Vec::with_capacity(v.len());
        let mut current = Vec::with_capacity(v.len());
        for v in v {
            patient.push(keys.id("patient", &v.patient_mrn)?);
            home.push(keys.id("location", &v.home_location)?);
            current.push(keys.id("location", &v.current_location)?);
        }
        let volume_no: Vec<i64> = v.iter().map(|v| v.volume_no).collect();
        let record_type: Vec<&str> = v.iter().map(|v| v.record_type.as_str()).collect();
        let barcode: Vec<&str> = v.iter().map(|v| v.barcode.as_str()).collect();
        let status: Vec<&str> = v.iter().map(|v| v.status.as_str()).collect();
        let borrower: Vec<Option<&str>> = v.iter().map(|v| v.borrower.as_deref()).collect();
        let due: Vec<Option<NaiveDate>> = v.iter().map(|v| v.due_back_on).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO chart_volume (patient_id, volume_no, record_type, barcode, home_location_id,
                     current_location_id, status, borrower, due_back_on)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                     $7::text[], $8::text[], $9::date[])
                 RETURNING barcode, id",
            )
            .await?;
        let rows = tx
            .query(&stmt, &[&patient, &volume_no, &record_type, &barcode, &home, &current, &status, &borrower, &due])
            .await?;
        keys.remember_rows("chart_volume", rows)?;
        counts.volumes = v.len();
    }

    if !batch.movements.is_empty() {
        let m = &batch.movements;
        keys.resolve(tx, "chart_volume", m.iter().map(|m| m.barcode.as_str())).await?;
        let places: Vec<&str> =
            m.iter().flat_map(|m| [m.from_location.as_deref(), m.to_location.as_deref()]).flatten().collect();
        keys.resolve(tx, "location", places).await?;
        let mut volume = Vec::with_capacity(m.len());
        let mut from = Vec::with_capacity(m.len());
        let mut to = Vec::with_capacity(m.len());
        for m in m {
            volume.push(keys.id("chart_volume", &m.barcode)?);
            from.push(keys.optional_id("location", m.from_location.as_deref())?);
            to.push(keys.optional_id("location", m.to_location.as_deref())?);
        }
        let movement_type: Vec<&str> = m.iter().map(|m| m.movement_type.as_str()).collect();
        let by: Vec<Option<&str>> = m.iter().map(|m| m.by_username.as_deref()).collect();
        let when: Vec<DateTime<Utc>> = m.iter().map(|m| m.at).collect();
        tx.execute(
            "INSERT INTO chart_movement (chart_volume_id, movement_type, from_location_id, to_location_id, by_username, at)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamptz[])",
            &[&volume, &movement_type, &from, &to, &by, &when],
        )
        .await?;
        counts.movements = m.len();
    }

    if !batch.disclosures.is_empty() {
        let d = &batch.disclosures;
        keys.resolve(tx, "patient", d.iter().map(|d| d.patient_mrn.as_str())).await?;
        let patient: Vec<i64> = d.iter().map(|d| keys.id("patient", &d.patient_mrn)).collect::<PgResult<_>>()?;
        let disclosed: Vec<DateTime<Utc>> = d.iter().map(|d| d.disclosed_at).collect();
        let recipient: Vec<&str> = d.iter().map(|d| d.recipient.as_str()).collect();
        let purpose: Vec<&str> = d.iter().map(|d| d.purpose.as_str()).collect();
        let basis: Vec<&str> = d.iter().map(|d| d.legal_basis.as_str()).collect();
        let accountable: Vec<bool> = d.iter().map(|d| d.accountable).collect();
        let pages: Vec<i64> = d.iter().map(|d| d.pages).collect();
        let by: Vec<&str> = d.iter().map(|d| d.by_username.as_str()).collect();
        let address: Vec<&str> = d.iter().map(|d| d.recipient_address.as_str()).collect();
        let description: Vec<&str> = d.iter().map(|d| d.description.as_str()).collect();
        tx.execute(
            "INSERT INTO disclosure (patient_id, disclosed_at, recipient, purpose, legal_basis, accountable, pages,
                 by_username, recipient_address, description)
             SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::boolean[],
                 $7::bigint[], $8::text[], $9::text[], $10::text[])",
            &[&patient, &disclosed, &recipient, &purpose, &basis, &accountable, &pages, &by, &address, &description],
        )
        .await?;
        counts.disclosures = d.len();
    }

    // A row at a time: a batch may name a prefix twice, which one upsert statement cannot take.
    for (prefix, last) in &batch.account_sequences {
        let last = *last as i64;
        tx.execute(
            "INSERT INTO account_sequence (prefix, last) VALUES ($1, $2)
             ON CONFLICT (prefix) DO UPDATE SET last = greatest(account_sequence.last, excluded.last)",
            &[prefix, &last],
        )
        .await?;
    }
    Ok(counts)
}
