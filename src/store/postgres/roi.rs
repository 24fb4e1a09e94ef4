//! Release of information on PostgreSQL (schema migration 5): `sqlite/roi.rs`, statement for
//! statement, with the same results, orders and errors.
//!
//! Requests are written a batch at a time, one statement per table (arrays unnested), one request
//! being a batch of one: over a network a round trip per row costs more than the row. A number is
//! issued from the facility's row of `roi_sequence`, which the logging transaction updates and so
//! holds until it commits: a second clerk logging at the same facility waits for it, then numbers
//! after it. A versioned change is `UPDATE … WHERE id = $1 AND version = $2`: the second writer of
//! a request waits for the first, then finds the version moved and updates nothing — `Conflict`.

use super::PgResult;
use super::admin::append_audit;
use crate::domain::audit::NewAuditEvent;
use crate::domain::mrn::Mrn;
use crate::domain::names::display_name;
use crate::domain::roi::{
    Assurance, AuthorizationKind, Delivery, Jurisdiction, LegalBasis, LegalProcess, LegalProcessKind, LetterKind,
    NewRequester, Part2Order, ReceivedVia, RecordFormat, RequestNumber, RequestStatus, RequestType, Requester,
    RequesterKind,
};
use crate::store::roi::{
    DisclosureRecord, DueDate, FollowUp, HistoryEntry, LetterRecord, LetterTemplate, NewRoiRequest, OPEN_STAGES_END,
    PaymentRecord, RequesterRef, RoiChange, RoiQueueFilter, RoiQueuePage, RoiQueueRow, RoiRequest, RoiSort,
    StoredAuthorization, VoidedRelease, filter_stages, prefix_end, requester_key, stage,
};
use crate::store::{Page, StoreError};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use std::collections::HashMap;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

type Param = Box<dyn ToSql + Sync + Send>;

/// A statement's parameters, numbered as they are added.
#[derive(Default)]
struct Params(Vec<Param>);

impl Params {
    /// Adds a parameter and returns its placeholder (`$3`).
    fn add(&mut self, value: impl ToSql + Sync + Send + 'static) -> String {
        self.0.push(Box::new(value));
        format!("${}", self.0.len())
    }

    /// Replaces the value of the parameter `placeholder` (`$3`) names, for the statement to run
    /// again with it.
    fn set(&mut self, placeholder: &str, value: impl ToSql + Sync + Send + 'static) {
        let position = placeholder.trim_start_matches('$').parse::<usize>().unwrap_or(0);
        if let Some(slot) = position.checked_sub(1).and_then(|i| self.0.get_mut(i)) {
            *slot = Box::new(value);
        }
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

/// A value this program cannot understand: the store was written wrong.
pub(super) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(super) fn code<T>(parsed: Result<T, crate::domain::roi::UnknownCode>) -> PgResult<T> {
    parsed.map_err(|e| corrupt(e).into())
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> PgResult<T> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("a request's record cannot be read: {e}")).into())
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> PgResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("writing a request's record: {e}")).into())
}

// ---- requesters ---------------------------------------------------------------------------------

const REQUESTER_COLUMNS: &str = "id, kind, name, organization, address, phone, fax, email";

fn requester_from(r: &Row) -> PgResult<Requester> {
    Ok(Requester {
        id: r.try_get(0)?,
        kind: code(RequesterKind::parse(r.try_get(1)?))?,
        name: r.try_get(2)?,
        organization: r.try_get(3)?,
        address: r.try_get(4)?,
        phone: r.try_get(5)?,
        fax: r.try_get(6)?,
        email: r.try_get(7)?,
    })
}

async fn insert_requester(tx: &Transaction<'_>, r: &NewRequester, at: DateTime<Utc>) -> PgResult<i64> {
    let stmt = tx
        .prepare_cached(
            "INSERT INTO requester (kind, name, organization, address, phone, fax, email, name_key, organization_key,
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .await?;
    let row = tx
        .query_one(
            &stmt,
            &[
                &r.kind.code(),
                &r.name,
                &r.organization,
                &r.address,
                &r.phone,
                &r.fax,
                &r.email,
                &requester_key(&r.name),
                &requester_key(&r.organization),
                &at,
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

pub(super) async fn requester(c: &impl GenericClient, id: i64) -> PgResult<Option<Requester>> {
    let stmt = c.prepare_cached(&format!("SELECT {REQUESTER_COLUMNS} FROM requester WHERE id = $1")).await?;
    c.query_opt(&stmt, &[&id]).await?.as_ref().map(requester_from).transpose()
}

pub(super) async fn add_requester(
    tx: &Transaction<'_>,
    r: &NewRequester,
    audit: &NewAuditEvent,
) -> PgResult<Requester> {
    let id = insert_requester(tx, r, audit.at).await?;
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| id.to_string());
    append_audit(tx, &event).await?;
    requester(tx, id).await?.ok_or_else(|| StoreError::NotFound("the requester just added".into()).into())
}

pub(super) async fn search_requesters(c: &impl GenericClient, prefix: &str, limit: usize) -> PgResult<Vec<Requester>> {
    let key = requester_key(prefix);
    let limit = limit as i64;
    let rows = if key.is_empty() {
        let stmt = c
            .prepare_cached(&format!("SELECT {REQUESTER_COLUMNS} FROM requester ORDER BY name_key, id LIMIT $1"))
            .await?;
        c.query(&stmt, &[&limit]).await?
    } else {
        let end = prefix_end(&key);
        let below = |column: &str| match end {
            Some(_) => format!("{column} >= $1 AND {column} < $2"),
            None => format!("{column} >= $1 AND $2::text IS NULL"),
        };
        let stmt = c
            .prepare_cached(&format!(
                "SELECT {REQUESTER_COLUMNS} FROM requester WHERE id IN (
                     SELECT id FROM requester WHERE {name}
                     UNION SELECT id FROM requester WHERE organization_key <> '' AND {organization})
                 ORDER BY name_key, id LIMIT $3",
                name = below("name_key"),
                organization = below("organization_key"),
            ))
            .await?;
        c.query(&stmt, &[&key, &end, &limit]).await?
    };
    rows.iter().map(requester_from).collect()
}

// ---- logging ------------------------------------------------------------------------------------

/// Writes requests, numbered, with their new requesters, authorizations and history lines 1, a
/// statement per table; returns each one's id and number, in the order given.
async fn write_requests(tx: &Transaction<'_>, requests: &[NewRoiRequest]) -> PgResult<Vec<(i64, RequestNumber)>> {
    if requests.is_empty() {
        return Ok(Vec::new());
    }
    // The facilities' codes, the patients' and the requesters' name keys, a statement each.
    let mut facility_ids: Vec<i64> = requests.iter().map(|r| r.facility_id).collect();
    facility_ids.sort_unstable();
    facility_ids.dedup();
    let stmt = tx.prepare_cached("SELECT id, code FROM facility WHERE id = ANY($1)").await?;
    let codes: HashMap<i64, String> = tx
        .query(&stmt, &[&facility_ids])
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<PgResult<_>>()?;
    let patient_ids: Vec<i64> = requests.iter().map(|r| r.patient_id).collect();
    let stmt = tx.prepare_cached("SELECT id, family_key || ' ' || given_key FROM patient WHERE id = ANY($1)").await?;
    let patient_keys: HashMap<i64, String> = tx
        .query(&stmt, &[&patient_ids])
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<PgResult<_>>()?;
    let existing: Vec<i64> = requests
        .iter()
        .filter_map(|r| match r.requester {
            RequesterRef::Existing(id) => Some(id),
            RequesterRef::New(_) => None,
        })
        .collect();
    let stmt = tx.prepare_cached("SELECT id, name_key FROM requester WHERE id = ANY($1)").await?;
    let mut requester_keys: HashMap<i64, String> = tx
        .query(&stmt, &[&existing])
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<PgResult<_>>()?;

    let mut requester_ids = Vec::with_capacity(requests.len());
    for r in requests {
        let id = match &r.requester {
            RequesterRef::Existing(id) if requester_keys.contains_key(id) => *id,
            RequesterRef::Existing(_) => return Err(StoreError::NotFound("that requester".into()).into()),
            RequesterRef::New(new) => {
                let id = insert_requester(tx, new, r.logged_at).await?;
                requester_keys.insert(id, requester_key(&new.name));
                id
            }
        };
        requester_ids.push(id);
    }
    for r in requests {
        if !patient_keys.contains_key(&r.patient_id) {
            return Err(StoreError::NotFound("that patient".into()).into());
        }
        if !codes.contains_key(&r.facility_id) {
            return Err(StoreError::NotFound("that facility".into()).into());
        }
    }

    // Each facility's numbers, reserved a block at a time, in facility order (two batches reserving
    // at several facilities lock their rows in one order and cannot wait on each other).
    let stmt = tx
        .prepare_cached(
            "INSERT INTO roi_sequence (facility_id, last) VALUES ($1, $2)
             ON CONFLICT (facility_id) DO UPDATE SET last = roi_sequence.last + excluded.last RETURNING last",
        )
        .await?;
    let mut next: HashMap<i64, i64> = HashMap::new();
    for facility in &facility_ids {
        let wanted = requests.iter().filter(|r| r.facility_id == *facility).count() as i64;
        let last: i64 = tx.query_one(&stmt, &[facility, &wanted]).await?.try_get(0)?;
        next.insert(*facility, last - wanted + 1);
    }
    let mut numbers = Vec::with_capacity(requests.len());
    for r in requests {
        let seq = next.get_mut(&r.facility_id).ok_or_else(|| StoreError::NotFound("that facility".into()))?;
        numbers.push(RequestNumber { facility: codes[&r.facility_id].clone(), seq: *seq });
        *seq += 1;
    }
    let stmt = tx
        .prepare_cached(
            "SELECT nextval(pg_get_serial_sequence('roi_request', 'id')) FROM generate_series(1, $1::bigint)",
        )
        .await?;
    let ids: Vec<i64> =
        tx.query(&stmt, &[&(requests.len() as i64)]).await?.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;

    let seq: Vec<i64> = numbers.iter().map(|n| n.seq).collect();
    let facility: Vec<i64> = requests.iter().map(|r| r.facility_id).collect();
    let patient: Vec<i64> = requests.iter().map(|r| r.patient_id).collect();
    let patient_key: Vec<&str> = requests.iter().map(|r| patient_keys[&r.patient_id].as_str()).collect();
    let requester_key: Vec<&str> = requester_ids.iter().map(|id| requester_keys[id].as_str()).collect();
    let received: Vec<NaiveDate> = requests.iter().map(|r| r.received_on).collect();
    let via: Vec<&str> = requests.iter().map(|r| r.received_via.code()).collect();
    let kind: Vec<&str> = requests.iter().map(|r| r.request_type.code()).collect();
    let purpose: Vec<&str> = requests.iter().map(|r| r.purpose.as_str()).collect();
    let format: Vec<&str> = requests.iter().map(|r| r.format.code()).collect();
    let delivery: Vec<&str> = requests.iter().map(|r| r.delivery.code()).collect();
    let pages: Vec<Option<i64>> = requests.iter().map(|r| r.pages).collect();
    let postage: Vec<Option<i64>> = requests.iter().map(|r| r.postage_cents).collect();
    let minutes: Vec<Option<i64>> = requests.iter().map(|r| r.clerical_minutes).collect();
    let scope: Vec<String> = requests.iter().map(|r| json(&r.scope)).collect::<PgResult<_>>()?;
    let legal: Vec<Option<&LegalProcess>> = requests.iter().map(|r| r.legal_process.as_ref()).collect();
    let legal_kind: Vec<Option<&str>> = legal.iter().map(|l| l.map(|l| l.kind.code())).collect();
    let legal_criminal: Vec<Option<bool>> = legal.iter().map(|l| l.map(|l| l.criminal)).collect();
    let legal_served: Vec<Option<NaiveDate>> = legal.iter().map(|l| l.map(|l| l.served_on)).collect();
    let legal_court: Vec<Option<&str>> = legal.iter().map(|l| l.map(|l| l.court.as_str())).collect();
    let legal_case: Vec<Option<&str>> = legal.iter().map(|l| l.map(|l| l.case_number.as_str())).collect();
    let status: Vec<&str> = requests.iter().map(|r| r.status.code()).collect();
    let stages: Vec<i64> = requests.iter().map(|r| stage(r.status)).collect();
    let reason: Vec<Option<&str>> = requests.iter().map(|r| r.status_reason.as_deref()).collect();
    let assigned: Vec<Option<&str>> = requests.iter().map(|r| r.assigned_to.as_deref()).collect();
    let due_on: Vec<Option<NaiveDate>> = requests.iter().map(|r| r.due.due_on).collect();
    let due_rule: Vec<&str> = requests.iter().map(|r| r.due.due_rule.as_str()).collect();
    let clocks: Vec<String> = requests.iter().map(|r| json(&r.due.clocks)).collect::<PgResult<_>>()?;
    let accounting_from: Vec<Option<NaiveDate>> = requests.iter().map(|r| r.accounting_period.map(|p| p.0)).collect();
    let accounting_to: Vec<Option<NaiveDate>> = requests.iter().map(|r| r.accounting_period.map(|p| p.1)).collect();
    let logged_by: Vec<&str> = requests.iter().map(|r| r.logged_by.as_str()).collect();
    let logged_at: Vec<DateTime<Utc>> = requests.iter().map(|r| r.logged_at).collect();
    let caption: Vec<Option<&str>> = legal.iter().map(|l| l.map(|l| l.caption.as_str())).collect();
    let return_on: Vec<Option<NaiveDate>> = legal.iter().map(|l| l.and_then(|l| l.return_on)).collect();
    let jurisdiction: Vec<Option<&str>> = legal.iter().map(|l| l.map(|l| l.jurisdiction.code())).collect();
    let assurance: Vec<Option<&Assurance>> = legal.iter().map(|l| l.and_then(|l| l.assurance.as_ref())).collect();
    let assurance_on: Vec<Option<NaiveDate>> = assurance.iter().map(|a| a.map(|a| a.received_on)).collect();
    let assurance_note: Vec<Option<&str>> = assurance.iter().map(|a| a.map(|a| a.note.as_str())).collect();
    let qpo_on: Vec<Option<NaiveDate>> = legal.iter().map(|l| l.and_then(|l| l.qpo_on)).collect();
    let order: Vec<Option<&Part2Order>> = legal.iter().map(|l| l.and_then(|l| l.part2_order.as_ref())).collect();
    let order_on: Vec<Option<NaiveDate>> = order.iter().map(|o| o.map(|o| o.ordered_on)).collect();
    let order_court: Vec<Option<&str>> = order.iter().map(|o| o.map(|o| o.court.as_str())).collect();
    let order_no: Vec<Option<&str>> = order.iter().map(|o| o.map(|o| o.order_no.as_str())).collect();
    let released_on: Vec<Option<NaiveDate>> = requests.iter().map(|r| r.released_on).collect();
    let stmt = tx
        .prepare_cached(
            "INSERT INTO roi_request (id, facility_id, seq, patient_id, patient_key, requester_id, requester_key,
                 received_on, received_via, request_type, purpose, format, delivery, pages, postage_cents,
                 clerical_minutes, scope, legal_kind, legal_criminal, legal_served_on, legal_court, legal_case_number,
                 status, stage, status_reason, assigned_to, due_on, due_rule, clocks, accounting_from, accounting_to,
                 logged_by, logged_at, legal_caption, legal_return_on, legal_jurisdiction, legal_assurance_on,
                 legal_assurance_note, legal_qpo_on, legal_part2_order_on, legal_part2_order_court,
                 legal_part2_order_no, released_on)
             SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[],
                 $7::text[], $8::date[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::bigint[],
                 $15::bigint[], $16::bigint[], $17::text[], $18::text[], $19::boolean[], $20::date[], $21::text[],
                 $22::text[], $23::text[], $24::bigint[], $25::text[], $26::text[], $27::date[], $28::text[],
                 $29::text[], $30::date[], $31::date[], $32::text[], $33::timestamptz[], $34::text[], $35::date[],
                 $36::text[], $37::date[], $38::text[], $39::date[], $40::date[], $41::text[], $42::text[],
                 $43::date[])",
        )
        .await?;
    tx.execute(
        &stmt,
        &[
            &ids,
            &facility,
            &seq,
            &patient,
            &patient_key,
            &requester_ids,
            &requester_key,
            &received,
            &via,
            &kind,
            &purpose,
            &format,
            &delivery,
            &pages,
            &postage,
            &minutes,
            &scope,
            &legal_kind,
            &legal_criminal,
            &legal_served,
            &legal_court,
            &legal_case,
            &status,
            &stages,
            &reason,
            &assigned,
            &due_on,
            &due_rule,
            &clocks,
            &accounting_from,
            &accounting_to,
            &logged_by,
            &logged_at,
            &caption,
            &return_on,
            &jurisdiction,
            &assurance_on,
            &assurance_note,
            &qpo_on,
            &order_on,
            &order_court,
            &order_no,
            &released_on,
        ],
    )
    .await?;

    let stmt = tx
        .prepare_cached(
            "INSERT INTO roi_history (request_id, version, at, by_username, from_status, to_status, detail)
             SELECT u.id, 1, u.at, u.who, NULL, u.status, 'Logged'
             FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[]) AS u(id, at, who, status)",
        )
        .await?;
    tx.execute(&stmt, &[&ids, &logged_at, &logged_by, &status]).await?;

    let authorized: Vec<(i64, &NewRoiRequest)> =
        ids.iter().zip(requests).filter(|(_, r)| r.authorization.is_some()).map(|(id, r)| (*id, r)).collect();
    if !authorized.is_empty() {
        let mut columns = AuthorizationColumns::default();
        for (id, r) in &authorized {
            if let Some(a) = &r.authorization {
                columns.push(*id, a, &r.logged_by, r.logged_at)?;
            }
        }
        columns.insert(tx).await?;
    }
    let released: Vec<(i64, &NewRoiRequest, &DisclosureRecord)> =
        ids.iter().zip(requests).filter_map(|(id, r)| r.disclosure.as_ref().map(|d| (*id, r, d))).collect();
    if !released.is_empty() {
        let request_id: Vec<i64> = released.iter().map(|(id, _, _)| *id).collect();
        let patient: Vec<i64> = released.iter().map(|(_, r, _)| r.patient_id).collect();
        let at: Vec<DateTime<Utc>> = released.iter().map(|(_, _, d)| disclosed_at(d.disclosed_on)).collect();
        let recipient: Vec<&str> = released.iter().map(|(_, _, d)| d.recipient.as_str()).collect();
        let address: Vec<&str> = released.iter().map(|(_, _, d)| d.recipient_address.as_str()).collect();
        let description: Vec<&str> = released.iter().map(|(_, _, d)| d.description.as_str()).collect();
        let purpose: Vec<&str> = released.iter().map(|(_, _, d)| d.purpose.as_str()).collect();
        let basis: Vec<&str> = released.iter().map(|(_, _, d)| d.legal_basis.code()).collect();
        let accountable: Vec<bool> = released.iter().map(|(_, _, d)| d.accountable).collect();
        let pages: Vec<i64> = released.iter().map(|(_, _, d)| d.pages).collect();
        let by: Vec<&str> = released.iter().map(|(_, _, d)| d.by.as_str()).collect();
        let stmt = tx
            .prepare_cached(
                "INSERT INTO disclosure (roi_request_id, patient_id, disclosed_at, recipient, recipient_address,
                     description, purpose, legal_basis, accountable, pages, by_username)
                 SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::text[], $5::text[],
                     $6::text[], $7::text[], $8::text[], $9::boolean[], $10::bigint[], $11::text[])",
            )
            .await?;
        tx.execute(
            &stmt,
            &[
                &request_id,
                &patient,
                &at,
                &recipient,
                &address,
                &description,
                &purpose,
                &basis,
                &accountable,
                &pages,
                &by,
            ],
        )
        .await?;
    }
    super::fees::insert_logged_invoices(tx, &ids, &numbers, requests).await?;
    Ok(ids.into_iter().zip(numbers).collect())
}

/// Authorizations as arrays, for one INSERT.
#[derive(Default)]
struct AuthorizationColumns {
    request: Vec<i64>,
    kind: Vec<Option<&'static str>>,
    received: Vec<NaiveDate>,
    form: Vec<String>,
    checklist: Vec<String>,
    passed: Vec<bool>,
    by: Vec<String>,
    at: Vec<DateTime<Utc>>,
}

impl AuthorizationColumns {
    fn push(
        &mut self,
        request: i64,
        a: &crate::store::roi::NewAuthorization,
        by: &str,
        at: DateTime<Utc>,
    ) -> PgResult<()> {
        self.request.push(request);
        self.kind.push(a.form.kind.map(AuthorizationKind::code));
        self.received.push(a.received_on);
        self.form.push(json(&a.form)?);
        self.checklist.push(json(&a.checklist)?);
        self.passed.push(a.checklist.iter().all(|item| item.passed));
        self.by.push(by.to_string());
        self.at.push(at);
        Ok(())
    }

    async fn insert(&self, tx: &Transaction<'_>) -> PgResult<()> {
        let stmt = tx
            .prepare_cached(
                "INSERT INTO roi_authorization (request_id, kind, received_on, form, checklist, passed, by_username, at)
                 SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::text[], $5::text[], $6::boolean[],
                     $7::text[], $8::timestamptz[])",
            )
            .await?;
        tx.execute(
            &stmt,
            &[&self.request, &self.kind, &self.received, &self.form, &self.checklist, &self.passed, &self.by, &self.at],
        )
        .await?;
        Ok(())
    }
}

/// The audit event of a change to a request: it names the request by its number and concerns its
/// patient, unless the desk said otherwise.
fn request_event(audit: &NewAuditEvent, number: &RequestNumber, patient_id: i64) -> NewAuditEvent {
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| number.to_string());
    event.patient_id.get_or_insert(patient_id);
    event
}

pub(super) async fn log_request(
    tx: &Transaction<'_>,
    r: &NewRoiRequest,
    audit: &NewAuditEvent,
) -> PgResult<RoiRequest> {
    let written = write_requests(tx, std::slice::from_ref(r)).await?;
    let (id, number) = written.into_iter().next().ok_or_else(|| StoreError::Backend("no request written".into()))?;
    append_audit(tx, &request_event(audit, &number, r.patient_id)).await?;
    load(tx, id).await?.ok_or_else(|| StoreError::NotFound(format!("request {number}")).into())
}

pub(super) async fn insert_batch(
    tx: &Transaction<'_>,
    requests: &[NewRoiRequest],
    audit: &NewAuditEvent,
) -> PgResult<usize> {
    write_requests(tx, requests).await?;
    append_audit(tx, audit).await?;
    Ok(requests.len())
}

// ---- reading a request whole --------------------------------------------------------------------

const REQUEST_COLUMNS: &str = "q.id, f.code, q.seq, q.version, q.facility_id, q.patient_id, p.mrn, p.family, p.given,
    p.middle, p.birth_date, q.requester_id, q.received_on, q.received_via, q.request_type, q.purpose, q.format,
    q.delivery, q.pages, q.postage_cents, q.clerical_minutes, q.scope, q.legal_kind, q.legal_criminal,
    q.legal_served_on, q.legal_court, q.legal_case_number, q.status, q.status_reason, q.assigned_to, q.due_on,
    q.due_rule, q.clocks, q.extended_due_on, q.extension_noticed_on, q.extension_reason, q.accounting_from,
    q.accounting_to, q.logged_by, q.logged_at, q.legal_caption, q.legal_return_on, q.legal_jurisdiction,
    q.legal_assurance_on, q.legal_assurance_note, q.legal_qpo_on, q.legal_part2_order_on, q.legal_part2_order_court,
    q.legal_part2_order_no";

fn request_from(r: &Row, requester: Requester) -> PgResult<RoiRequest> {
    let mrn: String = r.try_get(6)?;
    let legal_kind: Option<String> = r.try_get(22)?;
    let legal_process = match legal_kind {
        Some(kind) => Some(LegalProcess {
            kind: code(LegalProcessKind::parse(&kind))?,
            criminal: r.try_get::<_, Option<bool>>(23)?.unwrap_or(false),
            served_on: r.try_get::<_, Option<NaiveDate>>(24)?.ok_or_else(|| corrupt("a legal process with no date"))?,
            court: r.try_get::<_, Option<String>>(25)?.unwrap_or_default(),
            case_number: r.try_get::<_, Option<String>>(26)?.unwrap_or_default(),
            caption: r.try_get::<_, Option<String>>(40)?.unwrap_or_default(),
            return_on: r.try_get(41)?,
            jurisdiction: match r.try_get::<_, Option<&str>>(42)? {
                Some(c) => code(Jurisdiction::parse(c))?,
                None => Jurisdiction::default(),
            },
            assurance: match r.try_get::<_, Option<NaiveDate>>(43)? {
                Some(received_on) => {
                    Some(Assurance { received_on, note: r.try_get::<_, Option<String>>(44)?.unwrap_or_default() })
                }
                None => None,
            },
            qpo_on: r.try_get(45)?,
            part2_order: match r.try_get::<_, Option<NaiveDate>>(46)? {
                Some(ordered_on) => Some(Part2Order {
                    ordered_on,
                    court: r.try_get::<_, Option<String>>(47)?.unwrap_or_default(),
                    order_no: r.try_get::<_, Option<String>>(48)?.unwrap_or_default(),
                }),
                None => None,
            },
        }),
        None => None,
    };
    let accounting_period = match (r.try_get::<_, Option<NaiveDate>>(36)?, r.try_get::<_, Option<NaiveDate>>(37)?) {
        (Some(from), Some(to)) => Some((from, to)),
        _ => None,
    };
    Ok(RoiRequest {
        id: r.try_get(0)?,
        number: RequestNumber { facility: r.try_get(1)?, seq: r.try_get(2)? },
        version: r.try_get(3)?,
        facility_id: r.try_get(4)?,
        patient_id: r.try_get(5)?,
        mrn: Mrn::parse(&mrn).map_err(corrupt)?,
        patient_name: display_name(r.try_get(7)?, r.try_get(8)?, r.try_get(9)?),
        birth_date: r.try_get(10)?,
        requester,
        received_on: r.try_get(12)?,
        received_via: code(ReceivedVia::parse(r.try_get(13)?))?,
        request_type: code(RequestType::parse(r.try_get(14)?))?,
        purpose: r.try_get(15)?,
        format: code(RecordFormat::parse(r.try_get(16)?))?,
        delivery: code(Delivery::parse(r.try_get(17)?))?,
        pages: r.try_get(18)?,
        postage_cents: r.try_get(19)?,
        clerical_minutes: r.try_get(20)?,
        scope: from_json(r.try_get(21)?)?,
        legal_process,
        status: code(RequestStatus::parse(r.try_get(27)?))?,
        status_reason: r.try_get(28)?,
        assigned_to: r.try_get(29)?,
        due: DueDate { due_on: r.try_get(30)?, due_rule: r.try_get(31)?, clocks: from_json(r.try_get(32)?)? },
        extended_due_on: r.try_get(33)?,
        extension_noticed_on: r.try_get(34)?,
        extension_reason: r.try_get(35)?,
        accounting_period,
        logged_by: r.try_get(38)?,
        logged_at: r.try_get(39)?,
        authorizations: Vec::new(),
        follow_ups: Vec::new(),
        letters: Vec::new(),
        payments: Vec::new(),
        fees: Vec::new(),
        fee_adjustments: Vec::new(),
        disclosures: Vec::new(),
        history: Vec::new(),
    })
}

/// The rows of one of a request's parts, oldest first.
async fn parts(c: &impl GenericClient, sql: &str, request_id: i64) -> PgResult<Vec<Row>> {
    let stmt = c.prepare_cached(sql).await?;
    Ok(c.query(&stmt, &[&request_id]).await?)
}

/// The day a disclosure left, from the instant it is kept at (noon UTC of that day, as SQLite's).
fn release_day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

pub(super) async fn load(c: &impl GenericClient, id: i64) -> PgResult<Option<RoiRequest>> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT {REQUEST_COLUMNS} FROM roi_request q JOIN facility f ON f.id = q.facility_id
             JOIN patient p ON p.id = q.patient_id WHERE q.id = $1"
        ))
        .await?;
    let Some(row) = c.query_opt(&stmt, &[&id]).await? else { return Ok(None) };
    let requester_id: i64 = row.try_get(11)?;
    let requester = requester(c, requester_id)
        .await?
        .ok_or_else(|| corrupt(format!("a request names requester {requester_id}, not in the store")))?;
    let mut request = request_from(&row, requester)?;
    for r in parts(
        c,
        "SELECT form, received_on, checklist, by_username, at FROM roi_authorization WHERE request_id = $1 ORDER BY id",
        id,
    )
    .await?
    {
        request.authorizations.push(StoredAuthorization {
            form: from_json(r.try_get(0)?)?,
            received_on: r.try_get(1)?,
            checklist: from_json(r.try_get(2)?)?,
            by: r.try_get(3)?,
            at: r.try_get(4)?,
        });
    }
    for r in parts(
        c,
        "SELECT received_on, received_via, note, by_username, at FROM roi_follow_up WHERE request_id = $1 ORDER BY id",
        id,
    )
    .await?
    {
        request.follow_ups.push(FollowUp {
            received_on: r.try_get(0)?,
            received_via: code(ReceivedVia::parse(r.try_get(1)?))?,
            note: r.try_get(2)?,
            by: r.try_get(3)?,
            at: r.try_get(4)?,
        });
    }
    for r in parts(
        c,
        "SELECT kind, template_version, text, by_username, at FROM roi_letter WHERE request_id = $1 ORDER BY id",
        id,
    )
    .await?
    {
        request.letters.push(LetterRecord {
            kind: code(LetterKind::parse(r.try_get(0)?))?,
            template_version: r.try_get(1)?,
            text: r.try_get(2)?,
            by: r.try_get(3)?,
            at: r.try_get(4)?,
        });
    }
    for r in parts(
        c,
        "SELECT paid_on, amount_cents, by_username, at, invoice_no FROM roi_payment WHERE request_id = $1 ORDER BY id",
        id,
    )
    .await?
    {
        request.payments.push(PaymentRecord {
            paid_on: r.try_get(0)?,
            amount_cents: r.try_get(1)?,
            by: r.try_get(2)?,
            at: r.try_get(3)?,
            invoice_no: r.try_get(4)?,
        });
    }
    request.fees = super::fees::fees_of(c, id).await?;
    request.fee_adjustments = super::fees::adjustments_of(c, id).await?;
    for r in parts(
        c,
        "SELECT disclosed_at, recipient, coalesce(description, ''), purpose, legal_basis, accountable, pages,
                by_username, recipient_address
         FROM disclosure WHERE roi_request_id = $1 AND voided_at IS NULL ORDER BY id",
        id,
    )
    .await?
    {
        request.disclosures.push(DisclosureRecord {
            disclosed_on: release_day(r.try_get(0)?),
            recipient: r.try_get(1)?,
            recipient_address: r.try_get(8)?,
            description: r.try_get(2)?,
            purpose: r.try_get(3)?,
            legal_basis: code(LegalBasis::parse(r.try_get(4)?))?,
            accountable: r.try_get(5)?,
            pages: r.try_get(6)?,
            by: r.try_get(7)?,
        });
    }
    for r in parts(
        c,
        "SELECT version, at, by_username, from_status, to_status, detail FROM roi_history WHERE request_id = $1
         ORDER BY version",
        id,
    )
    .await?
    {
        let from: Option<&str> = r.try_get(3)?;
        request.history.push(HistoryEntry {
            version: r.try_get(0)?,
            at: r.try_get(1)?,
            by: r.try_get(2)?,
            from_status: from.map(|code_text| code(RequestStatus::parse(code_text))).transpose()?,
            to_status: code(RequestStatus::parse(r.try_get(4)?))?,
            detail: r.try_get(5)?,
        });
    }
    Ok(Some(request))
}

pub(super) async fn by_number(c: &impl GenericClient, number: &RequestNumber) -> PgResult<Option<RoiRequest>> {
    let stmt = c
        .prepare_cached(
            "SELECT q.id FROM facility f JOIN roi_request q ON q.facility_id = f.id WHERE f.code = $1 AND q.seq = $2",
        )
        .await?;
    match c.query_opt(&stmt, &[&number.facility, &number.seq]).await? {
        Some(row) => load(c, row.try_get(0)?).await,
        None => Ok(None),
    }
}

// ---- changes ------------------------------------------------------------------------------------

/// The instant a release is kept at: noon UTC of the day it left, the same day in every US time
/// zone (and SQLite's).
fn disclosed_at(on: NaiveDate) -> DateTime<Utc> {
    on.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN)).and_utc()
}

pub(super) async fn apply_change(tx: &Transaction<'_>, c: &RoiChange, audit: &NewAuditEvent) -> PgResult<RoiRequest> {
    let stmt = tx
        .prepare_cached(
            "SELECT q.version, q.status, q.patient_id, f.code, q.seq
             FROM roi_request q JOIN facility f ON f.id = q.facility_id WHERE q.id = $1",
        )
        .await?;
    let Some(current) = tx.query_opt(&stmt, &[&c.request_id]).await? else {
        return Err(StoreError::NotFound("that request".into()).into());
    };
    let version: i64 = current.try_get(0)?;
    if version != c.expected_version {
        return Err(StoreError::Conflict.into());
    }
    let from = code(RequestStatus::parse(current.try_get(1)?))?;
    let patient_id: i64 = current.try_get(2)?;
    let number = RequestNumber { facility: current.try_get(3)?, seq: current.try_get(4)? };
    let due = c.due.as_ref();
    let clocks = due.map(|d| json(&d.clocks)).transpose()?;
    let extension = c.extension.as_ref();
    let stmt = tx
        .prepare_cached(
            "UPDATE roi_request SET version = version + 1, status = $3, stage = $4,
                 status_reason = CASE WHEN $5 THEN $6 ELSE status_reason END,
                 assigned_to = CASE WHEN $7 THEN $8 ELSE assigned_to END,
                 due_on = CASE WHEN $9 THEN $10 ELSE due_on END,
                 due_rule = CASE WHEN $9 THEN $11 ELSE due_rule END,
                 clocks = CASE WHEN $9 THEN $12 ELSE clocks END,
                 extended_due_on = CASE WHEN $13 THEN $14 ELSE extended_due_on END,
                 extension_noticed_on = CASE WHEN $13 THEN $15 ELSE extension_noticed_on END,
                 extension_reason = CASE WHEN $13 THEN $16 ELSE extension_reason END
             WHERE id = $1 AND version = $2",
        )
        .await?;
    let changed = tx
        .execute(
            &stmt,
            &[
                &c.request_id,
                &c.expected_version,
                &c.status.code(),
                &stage(c.status),
                &c.status_reason.is_some(),
                &c.status_reason.clone().flatten(),
                &c.assigned_to.is_some(),
                &c.assigned_to.clone().flatten(),
                &due.is_some(),
                &due.and_then(|d| d.due_on),
                &due.map(|d| d.due_rule.as_str()),
                &clocks,
                &extension.is_some(),
                &extension.map(|e| e.0),
                &extension.map(|e| e.1),
                &extension.map(|e| e.2.as_str()),
            ],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::Conflict.into());
    }
    if let Some(l) = &c.legal_process {
        let stmt = tx
            .prepare_cached(
                "UPDATE roi_request SET legal_kind = $2, legal_criminal = $3, legal_served_on = $4, legal_court = $5,
                     legal_case_number = $6, legal_caption = $7, legal_return_on = $8, legal_jurisdiction = $9,
                     legal_assurance_on = $10, legal_assurance_note = $11, legal_qpo_on = $12,
                     legal_part2_order_on = $13, legal_part2_order_court = $14, legal_part2_order_no = $15
                 WHERE id = $1",
            )
            .await?;
        let assurance = l.assurance.as_ref();
        let order = l.part2_order.as_ref();
        tx.execute(
            &stmt,
            &[
                &c.request_id,
                &l.kind.code(),
                &l.criminal,
                &l.served_on,
                &l.court,
                &l.case_number,
                &l.caption,
                &l.return_on,
                &l.jurisdiction.code(),
                &assurance.map(|a| a.received_on),
                &assurance.map(|a| a.note.as_str()),
                &l.qpo_on,
                &order.map(|o| o.ordered_on),
                &order.map(|o| o.court.as_str()),
                &order.map(|o| o.order_no.as_str()),
            ],
        )
        .await?;
    }
    if let Some(a) = &c.add_authorization {
        let mut columns = AuthorizationColumns::default();
        columns.push(c.request_id, a, &c.by, c.at)?;
        columns.insert(tx).await?;
    }
    if let Some(f) = &c.add_follow_up {
        tx.execute(
            "INSERT INTO roi_follow_up (request_id, received_on, received_via, note, by_username, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&c.request_id, &f.received_on, &f.received_via.code(), &f.note, &f.by, &f.at],
        )
        .await?;
    }
    if let Some(l) = &c.add_letter {
        tx.execute(
            "INSERT INTO roi_letter (request_id, kind, template_version, text, by_username, at)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&c.request_id, &l.kind.code(), &l.template_version, &l.text, &l.by, &l.at],
        )
        .await?;
    }
    if let Some(p) = &c.add_payment {
        tx.execute(
            "INSERT INTO roi_payment (request_id, paid_on, amount_cents, by_username, at, invoice_no)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&c.request_id, &p.paid_on, &p.amount_cents, &p.by, &p.at, &p.invoice_no],
        )
        .await?;
    }
    if let Some(fee) = &c.add_fee {
        super::fees::insert_fee(tx, c.request_id, fee).await?;
    }
    if let Some(adjustment) = &c.add_fee_adjustment {
        super::fees::insert_adjustment(tx, c.request_id, adjustment).await?;
    }
    if let Some(d) = &c.add_disclosure {
        let disclosure_id: i64 = tx
            .query_one(
                "INSERT INTO disclosure (patient_id, disclosed_at, recipient, purpose, legal_basis, accountable, pages,
                 by_username, roi_request_id, description, recipient_address)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                &[
                    &patient_id,
                    &disclosed_at(d.disclosed_on),
                    &d.recipient,
                    &d.purpose,
                    &d.legal_basis.code(),
                    &d.accountable,
                    &d.pages,
                    &d.by,
                    &c.request_id,
                    &d.description,
                    &d.recipient_address,
                ],
            )
            .await?
            .try_get(0)?;
        if let Some(packet) = &c.add_packet {
            super::packet::insert_packet(tx, c.request_id, disclosure_id, packet).await?;
        }
    }
    if let Some(released_on) = c.released_on {
        tx.execute("UPDATE roi_request SET released_on = $2 WHERE id = $1", &[&c.request_id, &released_on]).await?;
    }
    tx.execute(
        "INSERT INTO roi_history (request_id, version, at, by_username, from_status, to_status, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&c.request_id, &(c.expected_version + 1), &c.at, &c.by, &from.code(), &c.status.code(), &c.detail],
    )
    .await?;
    append_audit(tx, &request_event(audit, &number, patient_id)).await?;
    load(tx, c.request_id).await?.ok_or_else(|| StoreError::NotFound(format!("request {number}")).into())
}

/// `sqlite::roi::write_voided_release`: a request's release day as the desk decided it with a void
/// of one of its disclosures, and its next version with a history line.
pub(super) async fn write_voided_release(
    tx: &Transaction<'_>,
    r: &VoidedRelease,
    at: DateTime<Utc>,
    by: &str,
) -> PgResult<()> {
    let Some(row) = tx
        .query_opt(
            "UPDATE roi_request SET version = version + 1, released_on = $3 WHERE id = $1 AND version = $2
             RETURNING status",
            &[&r.request_id, &r.expected_version, &r.released_on],
        )
        .await?
    else {
        return Err(StoreError::Conflict.into());
    };
    let status = code(RequestStatus::parse(row.try_get(0)?))?;
    tx.execute(
        "INSERT INTO roi_history (request_id, version, at, by_username, from_status, to_status, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[&r.request_id, &(r.expected_version + 1), &at, &by, &status.code(), &status.code(), &r.detail],
    )
    .await?;
    Ok(())
}

// ---- the queue ----------------------------------------------------------------------------------

/// The requesters whose name or organization starts with `key` (a `requester_key`), as SQL
/// selecting their ids, its parameters added to `params`.
fn requesters_matching(key: &str, params: &mut Params) -> String {
    let from = params.add(key.to_string());
    let end = prefix_end(key).map(|end| params.add(end));
    let range = |column: &str| match &end {
        Some(end) => format!("{column} >= {from} AND {column} < {end}"),
        None => format!("{column} >= {from}"),
    };
    format!(
        "SELECT id FROM requester WHERE {} UNION SELECT id FROM requester WHERE organization_key <> '' AND {}",
        range("name_key"),
        range("organization_key")
    )
}

/// Up to this many requesters a queue's requester filter names, their requests are read by the
/// requester index; more, and the queue's own index is walked (as SQLite's: `sqlite/roi.rs`).
const FEW_REQUESTERS: i64 = 20;

/// Whether the filter's requester prefix names more than [`FEW_REQUESTERS`] requesters.
async fn names_many_requesters(c: &impl GenericClient, filter: &RoiQueueFilter) -> PgResult<bool> {
    let key = filter.requester.as_deref().map(requester_key).unwrap_or_default();
    if key.is_empty() {
        return Ok(false);
    }
    let mut params = Params::default();
    let matching = requesters_matching(&key, &mut params);
    let stmt =
        c.prepare_cached(&format!("SELECT count(*) FROM ({matching} LIMIT {}) AS m", FEW_REQUESTERS + 1)).await?;
    let named: i64 = c.query_one(&stmt, &params.refs()).await?.try_get(0)?;
    Ok(named > FEW_REQUESTERS)
}

/// The filter as SQL over `roi_request q`, its parameters added to `params`. The open statuses are
/// written as the partial indexes' own predicate (`q.stage < 9`), which the planner then proves.
fn conditions(filter: &RoiQueueFilter, only_open: bool, many_requesters: bool, params: &mut Params) -> String {
    let mut conditions = Vec::new();
    let (mut stages, mut open) = filter_stages(&filter.statuses);
    if only_open && !open {
        stages.retain(|s| *s < OPEN_STAGES_END);
        open = true;
        if stages.is_empty() {
            conditions.push("false".to_string());
        }
    }
    if !stages.is_empty() {
        let list = stages.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        conditions.push(format!("q.stage IN ({list})"));
    }
    if open {
        conditions.push(format!("q.stage < {OPEN_STAGES_END}"));
    }
    if let Some(kind) = filter.request_type {
        conditions.push(format!("q.request_type = {}", params.add(kind.code())));
    }
    if let Some(prefix) = &filter.requester {
        let key = requester_key(prefix);
        if !key.is_empty() {
            let matching = requesters_matching(&key, params);
            // `+ 0`: no index serves it, so the queue's own index is walked (as SQLite's `+`).
            let column = if many_requesters { "q.requester_id + 0" } else { "q.requester_id" };
            conditions.push(format!("{column} IN ({matching})"));
        }
    }
    match filter.assigned_to.as_deref() {
        Some("") => conditions.push("q.assigned_to IS NULL".into()),
        Some(user) => conditions.push(format!("q.assigned_to = {}", params.add(user.to_string()))),
        None => {}
    }
    if let Some(by) = filter.due_by {
        conditions.push(format!("q.due_on <= {}", params.add(by)));
    }
    if let Some(id) = filter.facility_id {
        conditions.push(format!("q.facility_id = {}", params.add(id)));
    }
    if let Some(id) = filter.patient_id {
        conditions.push(format!("q.patient_id = {}", params.add(id)));
    }
    if conditions.is_empty() {
        conditions.push("true".into());
    }
    conditions.join(" AND ")
}

/// The FROM clause and the order of each sort; every order ends in a unique key. `ORDER BY due_on`
/// puts the undated last (PostgreSQL's NULLS LAST), as SQLite's does.
fn sort_sql(sort: RoiSort) -> (&'static str, &'static str) {
    const REQUESTS: &str = "FROM roi_request q";
    match sort {
        RoiSort::Due => (REQUESTS, "q.due_on, q.id"),
        RoiSort::Received => (REQUESTS, "q.received_on, q.id"),
        // Read facility by facility instead: `by_number_page`.
        RoiSort::Number => ("FROM roi_request q JOIN facility f ON f.id = q.facility_id", "f.code, q.seq"),
        RoiSort::Patient => (REQUESTS, "q.patient_key, q.id"),
        RoiSort::Requester => (REQUESTS, "q.requester_key, q.id"),
        RoiSort::Status => (REQUESTS, "q.stage, q.due_on, q.id"),
    }
}

fn row_from(r: &Row) -> PgResult<RoiQueueRow> {
    let mrn: String = r.try_get(7)?;
    Ok(RoiQueueRow {
        id: r.try_get(0)?,
        number: RequestNumber { facility: r.try_get(1)?, seq: r.try_get(2)? },
        version: r.try_get(3)?,
        patient_name: display_name(r.try_get(4)?, r.try_get(5)?, r.try_get(6)?),
        mrn: Mrn::parse(&mrn).map_err(corrupt)?,
        requester: r.try_get(8)?,
        request_type: code(RequestType::parse(r.try_get(9)?))?,
        status: code(RequestStatus::parse(r.try_get(10)?))?,
        received_on: r.try_get(11)?,
        due_on: r.try_get(12)?,
        due_rule: r.try_get(13)?,
        assigned_to: r.try_get(14)?,
    })
}

/// The queue rows of these requests, in the order given, read in one statement.
async fn rows_of(c: &impl GenericClient, ids: &[i64]) -> PgResult<Vec<RoiQueueRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = c
        .prepare_cached(
            "SELECT q.id, f.code, q.seq, q.version, p.family, p.given, p.middle, p.mrn, r.name,
                    q.request_type, q.status, q.received_on, q.due_on, q.due_rule, q.assigned_to
             FROM roi_request q JOIN facility f ON f.id = q.facility_id JOIN patient p ON p.id = q.patient_id
             JOIN requester r ON r.id = q.requester_id WHERE q.id = ANY($1)",
        )
        .await?;
    let mut found: HashMap<i64, RoiQueueRow> = HashMap::with_capacity(ids.len());
    for row in c.query(&stmt, &[&ids]).await? {
        let row = row_from(&row)?;
        found.insert(row.id, row);
    }
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

async fn ids(c: &impl GenericClient, sql: &str, params: &Params) -> PgResult<Vec<i64>> {
    let stmt = c.prepare_cached(sql).await?;
    c.query(&stmt, &params.refs()).await?.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// A page of the queue by number: each facility's requests in turn, in code order, each read from
/// its own range of the (facility, number) index, from the facility the page's first row is in.
/// PostgreSQL does not walk facilities in code order into each one's numbers as SQLite does, and
/// sorting every open request by both took 12 ms a page at 200,000 requests (23 ms for released).
async fn by_number_page(
    c: &impl GenericClient,
    condition: &str,
    mut params: Params,
    page: Page,
) -> PgResult<RoiQueuePage> {
    let stmt = c
        .prepare_cached(&format!(
            "SELECT q.facility_id, count(*) FROM roi_request q JOIN facility f ON f.id = q.facility_id
             WHERE {condition} GROUP BY f.code, q.facility_id ORDER BY f.code"
        ))
        .await?;
    let counts: Vec<(i64, i64)> = c
        .query(&stmt, &params.refs())
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<PgResult<_>>()?;
    let total = counts.iter().map(|(_, n)| n).sum();
    let facility = params.add(0i64);
    let limit = params.add(0i64);
    let offset = params.add(0i64);
    let sql = format!(
        "SELECT q.id FROM roi_request q WHERE {condition} AND q.facility_id = {facility} ORDER BY q.seq
         LIMIT {limit} OFFSET {offset}"
    );
    let (mut skip, mut wanted) = (page.offset as i64, page.limit as i64);
    let mut page_ids = Vec::new();
    for (id, n) in counts {
        if wanted == 0 {
            break;
        }
        if skip >= n {
            skip -= n;
            continue;
        }
        params.set(&facility, id);
        params.set(&limit, wanted);
        params.set(&offset, skip);
        let found = ids(c, &sql, &params).await?;
        wanted -= found.len() as i64;
        skip = 0;
        page_ids.extend(found);
    }
    Ok(RoiQueuePage { rows: rows_of(c, &page_ids).await?, total })
}

pub(super) async fn queue_page(
    c: &impl GenericClient,
    filter: &RoiQueueFilter,
    sort: RoiSort,
    page: Page,
) -> PgResult<RoiQueuePage> {
    let many = names_many_requesters(c, filter).await?;
    let mut params = Params::default();
    let condition = conditions(filter, false, many, &mut params);
    if sort == RoiSort::Number {
        return by_number_page(c, &condition, params, page).await;
    }
    let stmt = c.prepare_cached(&format!("SELECT count(*) FROM roi_request q WHERE {condition}")).await?;
    let total: i64 = c.query_one(&stmt, &params.refs()).await?.try_get(0)?;
    let (from, order) = sort_sql(sort);
    let limit = params.add(page.limit as i64);
    let offset = params.add(page.offset as i64);
    let page_ids = ids(
        c,
        &format!("SELECT q.id {from} WHERE {condition} ORDER BY {order} LIMIT {limit} OFFSET {offset}"),
        &params,
    )
    .await?;
    Ok(RoiQueuePage { rows: rows_of(c, &page_ids).await?, total })
}

pub(super) async fn open_ages(c: &impl GenericClient, filter: &RoiQueueFilter) -> PgResult<Vec<(NaiveDate, i64)>> {
    let many = names_many_requesters(c, filter).await?;
    let mut params = Params::default();
    let condition = conditions(filter, true, many, &mut params);
    let stmt = c
        .prepare_cached(&format!(
            "SELECT q.received_on, count(*) FROM roi_request q WHERE {condition}
             GROUP BY q.received_on ORDER BY q.received_on"
        ))
        .await?;
    c.query(&stmt, &params.refs()).await?.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}

pub(super) async fn for_patient(c: &impl GenericClient, patient_id: i64, limit: usize) -> PgResult<Vec<RoiQueueRow>> {
    let mut params = Params::default();
    let sql = format!(
        "SELECT id FROM roi_request WHERE patient_id = {} ORDER BY received_on DESC, id DESC LIMIT {}",
        params.add(patient_id),
        params.add(limit as i64)
    );
    let found = ids(c, &sql, &params).await?;
    rows_of(c, &found).await
}

pub(super) async fn open_for_requester(
    c: &impl GenericClient,
    patient_id: i64,
    requester_id: i64,
) -> PgResult<Vec<RoiQueueRow>> {
    let mut params = Params::default();
    let sql = format!(
        "SELECT id FROM roi_request WHERE patient_id = {} AND requester_id = {} AND stage < {OPEN_STAGES_END}
         ORDER BY received_on, id",
        params.add(patient_id),
        params.add(requester_id)
    );
    let found = ids(c, &sql, &params).await?;
    rows_of(c, &found).await
}

// ---- letter templates ---------------------------------------------------------------------------

/// Templates of the kinds this program knows, in `LetterKind::ALL`'s order then by version; a kind
/// a newer chartroom added is left to it.
fn known_templates(rows: Vec<Row>) -> PgResult<Vec<LetterTemplate>> {
    let mut known = Vec::with_capacity(rows.len());
    for r in rows {
        let Ok(kind) = LetterKind::parse(r.try_get(0)?) else { continue };
        known.push(LetterTemplate {
            kind,
            version: r.try_get(1)?,
            text: r.try_get(2)?,
            saved_by: r.try_get(3)?,
            saved_at: r.try_get(4)?,
        });
    }
    known.sort_by_key(|t| (LetterKind::ALL.iter().position(|k| *k == t.kind), t.version));
    Ok(known)
}

pub(super) async fn templates(c: &impl GenericClient) -> PgResult<Vec<LetterTemplate>> {
    let stmt = c
        .prepare_cached(
            "SELECT DISTINCT ON (kind) kind, version, text, saved_by, saved_at FROM letter_template
             ORDER BY kind, version DESC",
        )
        .await?;
    known_templates(c.query(&stmt, &[]).await?)
}

pub(super) async fn template_history(c: &impl GenericClient, kind: LetterKind) -> PgResult<Vec<LetterTemplate>> {
    let stmt = c
        .prepare_cached(
            "SELECT kind, version, text, saved_by, saved_at FROM letter_template WHERE kind = $1 ORDER BY version",
        )
        .await?;
    known_templates(c.query(&stmt, &[&kind.code()]).await?)
}

pub(super) async fn save_template(
    tx: &Transaction<'_>,
    kind: LetterKind,
    text: &str,
    by: &str,
    at: DateTime<Utc>,
    audit: &NewAuditEvent,
) -> PgResult<LetterTemplate> {
    // Two Directors saving one kind at once: the second waits, then numbers after the first.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('chartroom.letter_template.' || $1::text, 0))",
        &[&kind.code()],
    )
    .await?;
    let row = tx
        .query_one(
            "INSERT INTO letter_template (kind, version, text, saved_by, saved_at)
             SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4 FROM letter_template WHERE kind = $1
             RETURNING version, saved_at",
            &[&kind.code(), &text, &by, &at],
        )
        .await?;
    let version: i64 = row.try_get(0)?;
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| format!("{} v{version}", kind.code()));
    append_audit(tx, &event).await?;
    Ok(LetterTemplate { kind, version, text: text.to_string(), saved_by: by.to_string(), saved_at: row.try_get(1)? })
}

// ---- drafts -------------------------------------------------------------------------------------

pub(super) async fn save_draft(
    tx: &Transaction<'_>,
    username: &str,
    kind: &str,
    body: &str,
    at: DateTime<Utc>,
) -> PgResult<()> {
    tx.execute(
        "INSERT INTO draft (username, kind, body, saved_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username, kind) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at",
        &[&username, &kind, &body, &at],
    )
    .await?;
    Ok(())
}

pub(super) async fn draft(
    c: &impl GenericClient,
    username: &str,
    kind: &str,
) -> PgResult<Option<(String, DateTime<Utc>)>> {
    let stmt = c.prepare_cached("SELECT body, saved_at FROM draft WHERE username = $1 AND kind = $2").await?;
    let Some(row) = c.query_opt(&stmt, &[&username, &kind]).await? else { return Ok(None) };
    Ok(Some((row.try_get(0)?, row.try_get(1)?)))
}

pub(super) async fn discard_draft(tx: &Transaction<'_>, username: &str, kind: &str) -> PgResult<()> {
    tx.execute("DELETE FROM draft WHERE username = $1 AND kind = $2", &[&username, &kind]).await?;
    Ok(())
}
