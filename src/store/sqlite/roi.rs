//! Release of information in SQLite: the requester address book, requests and what is added to
//! them, the queue, letter templates and drafts (schema migration 14).
//!
//! A request's number is issued in the transaction that logs it, from the facility's row of
//! `roi_sequence`; the writer thread and an IMMEDIATE transaction keep another program's writer out
//! from the read of that row to the commit. A change is written only at the version the desk read.

use super::admin::{append_audit, parse_timestamp, timestamp};
use super::map_err;
use super::search::date_text;
use crate::domain::audit::NewAuditEvent;
use crate::domain::mrn::Mrn;
use crate::domain::names::display_name;
use crate::domain::roi::{
    Assurance, AuthorizationKind, Delivery, Jurisdiction, LegalBasis, LegalProcess, LegalProcessKind, LetterKind,
    NewRequester, Part2Order, ReceivedVia, RecordFormat, RequestNumber, RequestStatus, RequestType, Requester,
    RequesterKind, Scope,
};
use crate::store::roi::{
    ClockRecord, DisclosureRecord, DueDate, FollowUp, HistoryEntry, LetterRecord, LetterTemplate, NewAuthorization,
    NewRoiRequest, OPEN_STAGES_END, PaymentRecord, RequesterRef, RoiChange, RoiQueueFilter, RoiQueuePage, RoiQueueRow,
    RoiRequest, RoiSort, StoredAuthorization, VoidedRelease, filter_stages, prefix_end, requester_key, stage,
};
use crate::store::{Page, StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, ToSql, Transaction, TransactionBehavior, params, params_from_iter};

/// The key an undated due date sorts by: after every date.
const UNDATED: &str = "'9999-12-31'";

/// A value read from a column that this program cannot understand: the store was written wrong.
pub(super) fn bad<E: std::error::Error + Send + Sync + 'static>(column: usize) -> impl FnOnce(E) -> rusqlite::Error {
    move |e| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, Box::new(e))
}

pub(super) fn date_at(r: &Row<'_>, column: usize) -> rusqlite::Result<NaiveDate> {
    let text: String = r.get(column)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(bad(column))
}

pub(super) fn optional_date_at(r: &Row<'_>, column: usize) -> rusqlite::Result<Option<NaiveDate>> {
    let text: Option<String> = r.get(column)?;
    text.map(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(bad(column))).transpose()
}

pub(super) fn instant_at(r: &Row<'_>, column: usize) -> rusqlite::Result<DateTime<Utc>> {
    Ok(parse_timestamp(&r.get::<_, String>(column)?))
}

pub(super) fn json_at<T: serde::de::DeserializeOwned>(r: &Row<'_>, column: usize) -> rusqlite::Result<T> {
    let text: String = r.get(column)?;
    serde_json::from_str(&text).map_err(bad(column))
}

pub(super) fn json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Backend(format!("writing a request's record: {e}")))
}

macro_rules! code_at {
    ($r:expr, $column:expr, $kind:ty) => {{
        let text: String = $r.get($column)?;
        <$kind>::parse(&text).map_err(bad($column))
    }};
}

// ---- requesters ---------------------------------------------------------------------------------

const REQUESTER_COLUMNS: &str = "id, kind, name, organization, address, phone, fax, email";

fn requester_from(r: &Row<'_>) -> rusqlite::Result<Requester> {
    Ok(Requester {
        id: r.get(0)?,
        kind: code_at!(r, 1, RequesterKind)?,
        name: r.get(2)?,
        organization: r.get(3)?,
        address: r.get(4)?,
        phone: r.get(5)?,
        fax: r.get(6)?,
        email: r.get(7)?,
    })
}

fn insert_requester(tx: &Connection, r: &NewRequester, at: DateTime<Utc>) -> StoreResult<i64> {
    tx.prepare_cached(
        "INSERT INTO requester (kind, name, organization, address, phone, fax, email, name_key, organization_key,
             created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            r.kind.code(),
            r.name,
            r.organization,
            r.address,
            r.phone,
            r.fax,
            r.email,
            requester_key(&r.name),
            requester_key(&r.organization),
            timestamp(at)
        ])
    })
    .map_err(map_err)?;
    Ok(tx.last_insert_rowid())
}

pub(super) fn requester(conn: &Connection, id: i64) -> StoreResult<Option<Requester>> {
    conn.prepare_cached(&format!("SELECT {REQUESTER_COLUMNS} FROM requester WHERE id = ?1"))
        .and_then(|mut stmt| stmt.query_row([id], requester_from).optional())
        .map_err(map_err)
}

pub(super) fn add_requester(conn: &mut Connection, r: &NewRequester, audit: &NewAuditEvent) -> StoreResult<Requester> {
    let tx = conn.transaction().map_err(map_err)?;
    let id = insert_requester(&tx, r, audit.at)?;
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| id.to_string());
    append_audit(&tx, &event)?;
    let added = requester(&tx, id)?.ok_or_else(|| StoreError::NotFound("the requester just added".into()))?;
    tx.commit().map_err(map_err)?;
    Ok(added)
}

pub(super) fn search_requesters(conn: &Connection, prefix: &str, limit: usize) -> StoreResult<Vec<Requester>> {
    let key = requester_key(prefix);
    let limit = limit as i64;
    let mut stmt;
    let rows = if key.is_empty() {
        stmt = conn
            .prepare_cached(&format!("SELECT {REQUESTER_COLUMNS} FROM requester ORDER BY name_key, id LIMIT ?1"))
            .map_err(map_err)?;
        stmt.query_map([limit], requester_from)
    } else {
        // Each side of the union is a range of its own index; a requester matching on both is
        // listed once.
        let below = |column: &str| match prefix_end(&key) {
            Some(_) => format!("{column} >= ?1 AND {column} < ?2"),
            None => format!("{column} >= ?1"),
        };
        stmt = conn
            .prepare_cached(&format!(
                "SELECT {REQUESTER_COLUMNS} FROM requester WHERE id IN (
                     SELECT id FROM requester WHERE {name}
                     UNION SELECT id FROM requester WHERE organization_key <> '' AND {organization})
                 ORDER BY name_key, id LIMIT ?3",
                name = below("name_key"),
                organization = below("organization_key"),
            ))
            .map_err(map_err)?;
        stmt.query_map(params![key, prefix_end(&key).unwrap_or_default(), limit], requester_from)
    };
    rows.map_err(map_err)?.collect::<Result<_, _>>().map_err(map_err)
}

// ---- logging ------------------------------------------------------------------------------------

/// Writes one request, numbered, with its requester when new, its authorization and history line
/// 1; returns its id and number.
fn write_request(tx: &Connection, r: &NewRoiRequest) -> StoreResult<(i64, RequestNumber)> {
    let (requester_id, requester_key) = match &r.requester {
        RequesterRef::Existing(id) => {
            let key: Option<String> = tx
                .prepare_cached("SELECT name_key FROM requester WHERE id = ?1")
                .and_then(|mut stmt| stmt.query_row([id], |row| row.get(0)).optional())
                .map_err(map_err)?;
            (*id, key.ok_or_else(|| StoreError::NotFound("that requester".into()))?)
        }
        RequesterRef::New(new) => (insert_requester(tx, new, r.logged_at)?, requester_key(&new.name)),
    };
    let patient_key: String = tx
        .prepare_cached("SELECT family_key || ' ' || given_key FROM patient WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([r.patient_id], |row| row.get(0)).optional())
        .map_err(map_err)?
        .ok_or_else(|| StoreError::NotFound("that patient".into()))?;
    let facility: String = tx
        .prepare_cached("SELECT code FROM facility WHERE id = ?1")
        .and_then(|mut stmt| stmt.query_row([r.facility_id], |row| row.get(0)).optional())
        .map_err(map_err)?
        .ok_or_else(|| StoreError::NotFound("that facility".into()))?;
    let seq: i64 = tx
        .prepare_cached(
            "INSERT INTO roi_sequence (facility_id, last) VALUES (?1, 1)
             ON CONFLICT (facility_id) DO UPDATE SET last = last + 1 RETURNING last",
        )
        .and_then(|mut stmt| stmt.query_row([r.facility_id], |row| row.get(0)))
        .map_err(map_err)?;
    let legal = r.legal_process.as_ref();
    let (scope, clocks) = (json(&r.scope)?, json(&r.due.clocks)?);
    tx.prepare_cached(
        "INSERT INTO roi_request (facility_id, seq, patient_id, patient_key, requester_id, requester_key, received_on,
             received_via, request_type, purpose, format, delivery, pages, postage_cents, clerical_minutes, scope,
             legal_kind, legal_criminal, legal_served_on, legal_court, legal_case_number, status, stage,
             status_reason, assigned_to, due_on, due_rule, clocks, accounting_from, accounting_to, logged_by, logged_at,
             legal_caption, legal_return_on, legal_jurisdiction, legal_assurance_on, legal_assurance_note, legal_qpo_on,
             legal_part2_order_on, legal_part2_order_court, legal_part2_order_no, released_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,
                 ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            r.facility_id,
            seq,
            r.patient_id,
            patient_key,
            requester_id,
            requester_key,
            date_text(r.received_on),
            r.received_via.code(),
            r.request_type.code(),
            r.purpose,
            r.format.code(),
            r.delivery.code(),
            r.pages,
            r.postage_cents,
            r.clerical_minutes,
            scope,
            legal.map(|l| l.kind.code()),
            legal.map(|l| l.criminal as i64),
            legal.map(|l| date_text(l.served_on)),
            legal.map(|l| l.court.as_str()),
            legal.map(|l| l.case_number.as_str()),
            r.status.code(),
            stage(r.status),
            r.status_reason,
            r.assigned_to,
            r.due.due_on.map(date_text),
            r.due.due_rule,
            clocks,
            r.accounting_period.map(|(from, _)| date_text(from)),
            r.accounting_period.map(|(_, to)| date_text(to)),
            r.logged_by,
            timestamp(r.logged_at),
            legal.map(|l| l.caption.as_str()),
            legal.and_then(|l| l.return_on).map(date_text),
            legal.map(|l| l.jurisdiction.code()),
            legal.and_then(|l| l.assurance.as_ref()).map(|a| date_text(a.received_on)),
            legal.and_then(|l| l.assurance.as_ref()).map(|a| a.note.as_str()),
            legal.and_then(|l| l.qpo_on).map(date_text),
            legal.and_then(|l| l.part2_order.as_ref()).map(|o| date_text(o.ordered_on)),
            legal.and_then(|l| l.part2_order.as_ref()).map(|o| o.court.as_str()),
            legal.and_then(|l| l.part2_order.as_ref()).map(|o| o.order_no.as_str()),
            r.released_on.map(date_text),
        ])
    })
    .map_err(map_err)?;
    let id = tx.last_insert_rowid();
    if let Some(authorization) = &r.authorization {
        insert_authorization(tx, id, authorization, &r.logged_by, r.logged_at)?;
    }
    insert_history(tx, id, 1, r.logged_at, &r.logged_by, None, r.status, "Logged")?;
    if let Some(d) = &r.disclosure {
        insert_disclosure(tx, r.patient_id, id, d)?;
    }
    let number = RequestNumber { facility, seq };
    if let Some(invoice) = &r.invoice {
        super::fees::insert_logged_invoice(tx, id, &number, invoice, &r.logged_by, r.logged_at)?;
    }
    Ok((id, number))
}

fn insert_authorization(
    tx: &Connection,
    request_id: i64,
    a: &NewAuthorization,
    by: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let (form, checklist) = (json(&a.form)?, json(&a.checklist)?);
    tx.prepare_cached(
        "INSERT INTO roi_authorization (request_id, kind, received_on, form, checklist, passed, by_username, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            request_id,
            a.form.kind.map(AuthorizationKind::code),
            date_text(a.received_on),
            form,
            checklist,
            a.checklist.iter().all(|item| item.passed) as i64,
            by,
            timestamp(at)
        ])
    })
    .map_err(map_err)?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn insert_history(
    tx: &Connection,
    request_id: i64,
    version: i64,
    at: DateTime<Utc>,
    by: &str,
    from: Option<RequestStatus>,
    to: RequestStatus,
    detail: &str,
) -> StoreResult<()> {
    tx.prepare_cached(
        "INSERT INTO roi_history (request_id, version, at, by_username, from_status, to_status, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![request_id, version, timestamp(at), by, from.map(RequestStatus::code), to.code(), detail])
    })
    .map_err(map_err)?;
    Ok(())
}

/// What a void of one of its disclosures does to a request, as the desk decided it: its release day,
/// and its next version with a history line (a release read before the void is then stale).
pub(super) fn write_voided_release(tx: &Connection, r: &VoidedRelease, at: DateTime<Utc>, by: &str) -> StoreResult<()> {
    let status: Option<String> = tx
        .prepare_cached(
            "UPDATE roi_request SET version = version + 1, released_on = ?3 WHERE id = ?1 AND version = ?2
             RETURNING status",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![r.request_id, r.expected_version, r.released_on.map(date_text)], |row| row.get(0))
                .optional()
        })
        .map_err(map_err)?;
    let Some(status) = status else {
        return Err(StoreError::Conflict);
    };
    let status = RequestStatus::parse(&status).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    insert_history(tx, r.request_id, r.expected_version + 1, at, by, Some(status), status, &r.detail)
}

/// The audit event of a change to a request: it names the request by its number and concerns its
/// patient, unless the desk said otherwise.
fn request_event(audit: &NewAuditEvent, number: &RequestNumber, patient_id: i64) -> NewAuditEvent {
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| number.to_string());
    event.patient_id.get_or_insert(patient_id);
    event
}

pub(super) fn log_request(conn: &mut Connection, r: &NewRoiRequest, audit: &NewAuditEvent) -> StoreResult<RoiRequest> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let (id, number) = write_request(&tx, r)?;
    append_audit(&tx, &request_event(audit, &number, r.patient_id))?;
    let logged = load(&tx, id)?.ok_or_else(|| StoreError::NotFound(format!("request {number}")))?;
    tx.commit().map_err(map_err)?;
    Ok(logged)
}

pub(super) fn insert_batch(
    conn: &mut Connection,
    requests: &[NewRoiRequest],
    audit: &NewAuditEvent,
) -> StoreResult<usize> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    for r in requests {
        write_request(&tx, r)?;
    }
    append_audit(&tx, audit)?;
    tx.commit().map_err(map_err)?;
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

/// A request's own row, with its parts left empty (and its requester a placeholder) for [`load`]
/// to fill.
fn request_from(r: &Row<'_>) -> rusqlite::Result<RoiRequest> {
    let mrn: String = r.get(6)?;
    let legal_kind: Option<String> = r.get(22)?;
    let legal_process = match legal_kind {
        Some(kind) => Some(LegalProcess {
            kind: LegalProcessKind::parse(&kind).map_err(bad(22))?,
            criminal: r.get::<_, Option<i64>>(23)?.unwrap_or(0) != 0,
            served_on: date_at(r, 24)?,
            court: r.get::<_, Option<String>>(25)?.unwrap_or_default(),
            case_number: r.get::<_, Option<String>>(26)?.unwrap_or_default(),
            caption: r.get::<_, Option<String>>(40)?.unwrap_or_default(),
            return_on: optional_date_at(r, 41)?,
            jurisdiction: match r.get::<_, Option<String>>(42)? {
                Some(code) => Jurisdiction::parse(&code).map_err(bad(42))?,
                None => Jurisdiction::default(),
            },
            assurance: match optional_date_at(r, 43)? {
                Some(received_on) => {
                    Some(Assurance { received_on, note: r.get::<_, Option<String>>(44)?.unwrap_or_default() })
                }
                None => None,
            },
            qpo_on: optional_date_at(r, 45)?,
            part2_order: match optional_date_at(r, 46)? {
                Some(ordered_on) => Some(Part2Order {
                    ordered_on,
                    court: r.get::<_, Option<String>>(47)?.unwrap_or_default(),
                    order_no: r.get::<_, Option<String>>(48)?.unwrap_or_default(),
                }),
                None => None,
            },
        }),
        None => None,
    };
    let accounting_period = match (optional_date_at(r, 36)?, optional_date_at(r, 37)?) {
        (Some(from), Some(to)) => Some((from, to)),
        _ => None,
    };
    Ok(RoiRequest {
        id: r.get(0)?,
        number: RequestNumber { facility: r.get(1)?, seq: r.get(2)? },
        version: r.get(3)?,
        facility_id: r.get(4)?,
        patient_id: r.get(5)?,
        mrn: Mrn::parse(&mrn).map_err(bad(6))?,
        patient_name: display_name(&r.get::<_, String>(7)?, &r.get::<_, String>(8)?, &r.get::<_, String>(9)?),
        birth_date: optional_date_at(r, 10)?,
        requester: Requester {
            id: r.get(11)?,
            kind: RequesterKind::Other,
            name: String::new(),
            organization: String::new(),
            address: String::new(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        },
        received_on: date_at(r, 12)?,
        received_via: code_at!(r, 13, ReceivedVia)?,
        request_type: code_at!(r, 14, RequestType)?,
        purpose: r.get(15)?,
        format: code_at!(r, 16, RecordFormat)?,
        delivery: code_at!(r, 17, Delivery)?,
        pages: r.get(18)?,
        postage_cents: r.get(19)?,
        clerical_minutes: r.get(20)?,
        scope: json_at::<Scope>(r, 21)?,
        legal_process,
        status: code_at!(r, 27, RequestStatus)?,
        status_reason: r.get(28)?,
        assigned_to: r.get(29)?,
        due: DueDate {
            due_on: optional_date_at(r, 30)?,
            due_rule: r.get(31)?,
            clocks: json_at::<Vec<ClockRecord>>(r, 32)?,
        },
        extended_due_on: optional_date_at(r, 33)?,
        extension_noticed_on: optional_date_at(r, 34)?,
        extension_reason: r.get(35)?,
        accounting_period,
        logged_by: r.get(38)?,
        logged_at: instant_at(r, 39)?,
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
fn parts<T>(
    conn: &Connection,
    sql: &str,
    request_id: i64,
    from: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> StoreResult<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = stmt.query_map([request_id], from).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

/// A request, whole.
pub(super) fn load(conn: &Connection, id: i64) -> StoreResult<Option<RoiRequest>> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {REQUEST_COLUMNS} FROM roi_request q JOIN facility f ON f.id = q.facility_id
             JOIN patient p ON p.id = q.patient_id WHERE q.id = ?1"
        ))
        .and_then(|mut stmt| stmt.query_row([id], request_from).optional())
        .map_err(map_err)?;
    let Some(mut request) = found else { return Ok(None) };
    request.requester = requester(conn, request.requester.id)?
        .ok_or_else(|| StoreError::Corrupt(format!("request {} names a requester not in the store", request.number)))?;
    request.authorizations = parts(
        conn,
        "SELECT form, received_on, checklist, by_username, at FROM roi_authorization WHERE request_id = ?1 ORDER BY id",
        id,
        |r| {
            Ok(StoredAuthorization {
                form: json_at(r, 0)?,
                received_on: date_at(r, 1)?,
                checklist: json_at(r, 2)?,
                by: r.get(3)?,
                at: instant_at(r, 4)?,
            })
        },
    )?;
    request.follow_ups = parts(
        conn,
        "SELECT received_on, received_via, note, by_username, at FROM roi_follow_up WHERE request_id = ?1 ORDER BY id",
        id,
        |r| {
            Ok(FollowUp {
                received_on: date_at(r, 0)?,
                received_via: code_at!(r, 1, ReceivedVia)?,
                note: r.get(2)?,
                by: r.get(3)?,
                at: instant_at(r, 4)?,
            })
        },
    )?;
    request.letters = parts(
        conn,
        "SELECT kind, template_version, text, by_username, at FROM roi_letter WHERE request_id = ?1 ORDER BY id",
        id,
        |r| {
            Ok(LetterRecord {
                kind: code_at!(r, 0, LetterKind)?,
                template_version: r.get(1)?,
                text: r.get(2)?,
                by: r.get(3)?,
                at: instant_at(r, 4)?,
            })
        },
    )?;
    request.payments = parts(
        conn,
        "SELECT paid_on, amount_cents, by_username, at, invoice_no FROM roi_payment WHERE request_id = ?1 ORDER BY id",
        id,
        |r| {
            Ok(PaymentRecord {
                paid_on: date_at(r, 0)?,
                amount_cents: r.get(1)?,
                by: r.get(2)?,
                at: instant_at(r, 3)?,
                invoice_no: r.get(4)?,
            })
        },
    )?;
    request.fees = super::fees::fees_of(conn, id)?;
    request.fee_adjustments = super::fees::adjustments_of(conn, id)?;
    request.disclosures = parts(
        conn,
        "SELECT disclosed_at, recipient, coalesce(description, ''), purpose, legal_basis, accountable, pages,
                by_username, recipient_address
         FROM disclosure WHERE roi_request_id = ?1 AND voided_at IS NULL ORDER BY id",
        id,
        |r| {
            Ok(DisclosureRecord {
                disclosed_on: instant_at(r, 0)?.date_naive(),
                recipient: r.get(1)?,
                recipient_address: r.get(8)?,
                description: r.get(2)?,
                purpose: r.get(3)?,
                legal_basis: code_at!(r, 4, LegalBasis)?,
                accountable: r.get::<_, i64>(5)? != 0,
                pages: r.get(6)?,
                by: r.get(7)?,
            })
        },
    )?;
    request.history = parts(
        conn,
        "SELECT version, at, by_username, from_status, to_status, detail FROM roi_history WHERE request_id = ?1
         ORDER BY version",
        id,
        |r| {
            let from: Option<String> = r.get(3)?;
            Ok(HistoryEntry {
                version: r.get(0)?,
                at: instant_at(r, 1)?,
                by: r.get(2)?,
                from_status: from.map(|code| RequestStatus::parse(&code).map_err(bad(3))).transpose()?,
                to_status: code_at!(r, 4, RequestStatus)?,
                detail: r.get(5)?,
            })
        },
    )?;
    Ok(Some(request))
}

pub(super) fn by_number(conn: &Connection, number: &RequestNumber) -> StoreResult<Option<RoiRequest>> {
    let id: Option<i64> = conn
        .prepare_cached(
            "SELECT q.id FROM facility f JOIN roi_request q ON q.facility_id = f.id WHERE f.code = ?1 AND q.seq = ?2",
        )
        .and_then(|mut stmt| stmt.query_row(params![number.facility, number.seq], |r| r.get(0)).optional())
        .map_err(map_err)?;
    match id {
        Some(id) => load(conn, id),
        None => Ok(None),
    }
}

// ---- changes ------------------------------------------------------------------------------------

/// The instant a release is kept at: a disclosure is recorded by the day it left, and noon UTC is
/// that same day in every US time zone, so the chart's Releases tab shows the day recorded.
fn disclosed_at(on: NaiveDate) -> String {
    format!("{}T12:00:00Z", date_text(on))
}

fn insert_disclosure(tx: &Connection, patient_id: i64, request_id: i64, d: &DisclosureRecord) -> StoreResult<i64> {
    tx.prepare_cached(
        "INSERT INTO disclosure (patient_id, disclosed_at, recipient, purpose, legal_basis, accountable, pages,
             by_username, roi_request_id, description, recipient_address)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            patient_id,
            disclosed_at(d.disclosed_on),
            d.recipient,
            d.purpose,
            d.legal_basis.code(),
            d.accountable as i64,
            d.pages,
            d.by,
            request_id,
            d.description,
            d.recipient_address
        ])
    })
    .map_err(map_err)?;
    Ok(tx.last_insert_rowid())
}

pub(super) fn apply_change(conn: &mut Connection, c: &RoiChange, audit: &NewAuditEvent) -> StoreResult<RoiRequest> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let current: Option<(i64, String, i64, String, i64)> = tx
        .prepare_cached(
            "SELECT q.version, q.status, q.patient_id, f.code, q.seq
             FROM roi_request q JOIN facility f ON f.id = q.facility_id WHERE q.id = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_row([c.request_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))).optional()
        })
        .map_err(map_err)?;
    let Some((version, status, patient_id, facility, seq)) = current else {
        return Err(StoreError::NotFound("that request".into()));
    };
    if version != c.expected_version {
        return Err(StoreError::Conflict);
    }
    let from = RequestStatus::parse(&status).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let number = RequestNumber { facility, seq };
    let due = c.due.as_ref();
    let clocks = due.map(|d| json(&d.clocks)).transpose()?;
    let extension = c.extension.as_ref();
    let changed = tx
        .prepare_cached(
            "UPDATE roi_request SET version = version + 1, status = ?3, stage = ?4,
                 status_reason = CASE WHEN ?5 THEN ?6 ELSE status_reason END,
                 assigned_to = CASE WHEN ?7 THEN ?8 ELSE assigned_to END,
                 due_on = CASE WHEN ?9 THEN ?10 ELSE due_on END,
                 due_rule = CASE WHEN ?9 THEN ?11 ELSE due_rule END,
                 clocks = CASE WHEN ?9 THEN ?12 ELSE clocks END,
                 extended_due_on = CASE WHEN ?13 THEN ?14 ELSE extended_due_on END,
                 extension_noticed_on = CASE WHEN ?13 THEN ?15 ELSE extension_noticed_on END,
                 extension_reason = CASE WHEN ?13 THEN ?16 ELSE extension_reason END
             WHERE id = ?1 AND version = ?2",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                c.request_id,
                c.expected_version,
                c.status.code(),
                stage(c.status),
                c.status_reason.is_some(),
                c.status_reason.clone().flatten(),
                c.assigned_to.is_some(),
                c.assigned_to.clone().flatten(),
                due.is_some(),
                due.and_then(|d| d.due_on).map(date_text),
                due.map(|d| d.due_rule.as_str()),
                clocks,
                extension.is_some(),
                extension.map(|e| date_text(e.0)),
                extension.map(|e| date_text(e.1)),
                extension.map(|e| e.2.as_str()),
            ])
        })
        .map_err(map_err)?;
    if changed == 0 {
        return Err(StoreError::Conflict);
    }
    if let Some(l) = &c.legal_process {
        tx.prepare_cached(
            "UPDATE roi_request SET legal_kind = ?2, legal_criminal = ?3, legal_served_on = ?4, legal_court = ?5,
                 legal_case_number = ?6, legal_caption = ?7, legal_return_on = ?8, legal_jurisdiction = ?9,
                 legal_assurance_on = ?10, legal_assurance_note = ?11, legal_qpo_on = ?12, legal_part2_order_on = ?13,
                 legal_part2_order_court = ?14, legal_part2_order_no = ?15
             WHERE id = ?1",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                c.request_id,
                l.kind.code(),
                l.criminal as i64,
                date_text(l.served_on),
                l.court,
                l.case_number,
                l.caption,
                l.return_on.map(date_text),
                l.jurisdiction.code(),
                l.assurance.as_ref().map(|a| date_text(a.received_on)),
                l.assurance.as_ref().map(|a| a.note.as_str()),
                l.qpo_on.map(date_text),
                l.part2_order.as_ref().map(|o| date_text(o.ordered_on)),
                l.part2_order.as_ref().map(|o| o.court.as_str()),
                l.part2_order.as_ref().map(|o| o.order_no.as_str()),
            ])
        })
        .map_err(map_err)?;
    }
    if let Some(a) = &c.add_authorization {
        insert_authorization(&tx, c.request_id, a, &c.by, c.at)?;
    }
    if let Some(f) = &c.add_follow_up {
        tx.prepare_cached(
            "INSERT INTO roi_follow_up (request_id, received_on, received_via, note, by_username, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                c.request_id,
                date_text(f.received_on),
                f.received_via.code(),
                f.note,
                f.by,
                timestamp(f.at)
            ])
        })
        .map_err(map_err)?;
    }
    if let Some(l) = &c.add_letter {
        tx.prepare_cached(
            "INSERT INTO roi_letter (request_id, kind, template_version, text, by_username, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![c.request_id, l.kind.code(), l.template_version, l.text, l.by, timestamp(l.at)])
        })
        .map_err(map_err)?;
    }
    if let Some(p) = &c.add_payment {
        tx.prepare_cached(
            "INSERT INTO roi_payment (request_id, paid_on, amount_cents, by_username, at, invoice_no)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                c.request_id,
                date_text(p.paid_on),
                p.amount_cents,
                p.by,
                timestamp(p.at),
                p.invoice_no
            ])
        })
        .map_err(map_err)?;
    }
    if let Some(fee) = &c.add_fee {
        super::fees::insert_fee(&tx, c.request_id, fee)?;
    }
    if let Some(adjustment) = &c.add_fee_adjustment {
        super::fees::insert_adjustment(&tx, c.request_id, adjustment)?;
    }
    if let Some(d) = &c.add_disclosure {
        let disclosure_id = insert_disclosure(&tx, patient_id, c.request_id, d)?;
        if let Some(packet) = &c.add_packet {
            super::packet::insert_packet(&tx, c.request_id, disclosure_id, packet)?;
        }
    }
    if let Some(released_on) = c.released_on {
        tx.prepare_cached("UPDATE roi_request SET released_on = ?2 WHERE id = ?1")
            .and_then(|mut stmt| stmt.execute(params![c.request_id, released_on.map(date_text)]))
            .map_err(map_err)?;
    }
    insert_history(&tx, c.request_id, c.expected_version + 1, c.at, &c.by, Some(from), c.status, &c.detail)?;
    append_audit(&tx, &request_event(audit, &number, patient_id))?;
    let now = load(&tx, c.request_id)?.ok_or_else(|| StoreError::NotFound(format!("request {number}")))?;
    tx.commit().map_err(map_err)?;
    Ok(now)
}

// ---- the queue ----------------------------------------------------------------------------------

/// The requesters whose name or organization starts with `key` (a `requester_key`), as SQL
/// selecting their ids, with its parameters.
fn requesters_matching(key: &str) -> (String, Vec<String>) {
    let (range, bounds): (&str, Vec<String>) = match prefix_end(key) {
        Some(end) => ("{c} >= ? AND {c} < ?", vec![key.to_string(), end]),
        None => ("{c} >= ?", vec![key.to_string()]),
    };
    let sql = format!(
        "SELECT id FROM requester WHERE {} UNION SELECT id FROM requester WHERE organization_key <> '' AND {}",
        range.replace("{c}", "name_key"),
        range.replace("{c}", "organization_key")
    );
    (sql, [bounds.clone(), bounds].concat())
}

/// Up to this many requesters a queue's requester filter names, their requests are read by the
/// requester index; more, and the queue's own index is walked, checking each request's requester
/// there: "baker" naming 500 requesters cost 212 ms a page at 200,000 requests read by requester,
/// the walk a millisecond or two whatever the prefix.
const FEW_REQUESTERS: i64 = 20;

/// Whether the filter's requester prefix names more than [`FEW_REQUESTERS`] requesters.
fn names_many_requesters(conn: &Connection, filter: &RoiQueueFilter) -> StoreResult<bool> {
    let key = filter.requester.as_deref().map(requester_key).unwrap_or_default();
    if key.is_empty() {
        return Ok(false);
    }
    let (sql, bounds) = requesters_matching(&key);
    let named: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM ({sql} LIMIT {})", FEW_REQUESTERS + 1))
        .and_then(|mut stmt| stmt.query_row(params_from_iter(bounds.iter()), |r| r.get(0)))
        .map_err(map_err)?;
    Ok(named > FEW_REQUESTERS)
}

/// The filter as SQL over `roi_request q`, with its parameters. The open statuses are written as
/// the partial indexes' own predicate (`q.stage < 9`), so that the planner may walk them; every
/// column a filter names is in those indexes, so a page's ids and its total are read from one.
/// `many_requesters`: the requester filter is left to the walk (`+`, which no index serves).
fn conditions(filter: &RoiQueueFilter, only_open: bool, many_requesters: bool) -> (String, Vec<Box<dyn ToSql>>) {
    let mut conditions = Vec::new();
    let mut params: Vec<Box<dyn ToSql>> = Vec::new();
    let (mut stages, mut open) = filter_stages(&filter.statuses);
    if only_open && !open {
        stages.retain(|s| *s < OPEN_STAGES_END);
        open = true;
        if stages.is_empty() {
            conditions.push("0".to_string());
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
        conditions.push("q.request_type = ?".into());
        params.push(Box::new(kind.code()));
    }
    if let Some(prefix) = &filter.requester {
        let key = requester_key(prefix);
        if !key.is_empty() {
            let (sql, bounds) = requesters_matching(&key);
            let column = if many_requesters { "+q.requester_id" } else { "q.requester_id" };
            conditions.push(format!("{column} IN ({sql})"));
            params.extend(bounds.into_iter().map(|b| Box::new(b) as Box<dyn ToSql>));
        }
    }
    match filter.assigned_to.as_deref() {
        Some("") => conditions.push("q.assigned_to IS NULL".into()),
        Some(user) => {
            conditions.push("q.assigned_to = ?".into());
            params.push(Box::new(user.to_string()));
        }
        None => {}
    }
    if let Some(by) = filter.due_by {
        conditions.push(format!("ifnull(q.due_on, {UNDATED}) <= ?"));
        params.push(Box::new(date_text(by)));
    }
    if let Some(id) = filter.facility_id {
        conditions.push("q.facility_id = ?".into());
        params.push(Box::new(id));
    }
    if let Some(id) = filter.patient_id {
        conditions.push("q.patient_id = ?".into());
        params.push(Box::new(id));
    }
    if conditions.is_empty() {
        conditions.push("1".into());
    }
    (conditions.join(" AND "), params)
}

/// The FROM clause and the order of each sort; every order ends in a unique key, so pages never
/// share or skip a row.
fn sort_sql(sort: RoiSort) -> (&'static str, String) {
    const REQUESTS: &str = "FROM roi_request q";
    match sort {
        RoiSort::Due => (REQUESTS, format!("ifnull(q.due_on, {UNDATED}), q.id")),
        RoiSort::Received => (REQUESTS, "q.received_on, q.id".into()),
        // The facilities in code order, each one's requests by number.
        RoiSort::Number => ("FROM facility f CROSS JOIN roi_request q ON q.facility_id = f.id", "f.code, q.seq".into()),
        RoiSort::Patient => (REQUESTS, "q.patient_key, q.id".into()),
        RoiSort::Requester => (REQUESTS, "q.requester_key, q.id".into()),
        RoiSort::Status => (REQUESTS, format!("q.stage, ifnull(q.due_on, {UNDATED}), q.id")),
    }
}

const ROW_SQL: &str = "SELECT q.id, f.code, q.seq, q.version, p.family, p.given, p.middle, p.mrn, r.name,
        q.request_type, q.status, q.received_on, q.due_on, q.due_rule, q.assigned_to
     FROM roi_request q JOIN facility f ON f.id = q.facility_id JOIN patient p ON p.id = q.patient_id
     JOIN requester r ON r.id = q.requester_id WHERE q.id = ?1";

fn row_from(r: &Row<'_>) -> rusqlite::Result<RoiQueueRow> {
    let mrn: String = r.get(7)?;
    Ok(RoiQueueRow {
        id: r.get(0)?,
        number: RequestNumber { facility: r.get(1)?, seq: r.get(2)? },
        version: r.get(3)?,
        patient_name: display_name(&r.get::<_, String>(4)?, &r.get::<_, String>(5)?, &r.get::<_, String>(6)?),
        mrn: Mrn::parse(&mrn).map_err(bad(7))?,
        requester: r.get(8)?,
        request_type: code_at!(r, 9, RequestType)?,
        status: code_at!(r, 10, RequestStatus)?,
        received_on: date_at(r, 11)?,
        due_on: optional_date_at(r, 12)?,
        due_rule: r.get(13)?,
        assigned_to: r.get(14)?,
    })
}

/// The queue rows of these requests, in the order given: the ids come from an index walk, and
/// only the rows shown are read whole.
fn rows_of(conn: &Connection, ids: &[i64]) -> StoreResult<Vec<RoiQueueRow>> {
    let mut stmt = conn.prepare_cached(ROW_SQL).map_err(map_err)?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = stmt.query_row([id], row_from).optional().map_err(map_err)? {
            rows.push(row);
        }
    }
    Ok(rows)
}

fn ids(conn: &Connection, sql: &str, params: &[Box<dyn ToSql>]) -> StoreResult<Vec<i64>> {
    let mut stmt = conn.prepare_cached(sql).map_err(map_err)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| r.get(0)).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

/// The index a queue's total is counted from: one that carries every column a filter names, so
/// that no request is read. Left to the planner when a patient or a few requesters narrow the
/// count to their own few requests. Chosen here because the planner, weighing the indexes by size,
/// took the smaller `roi_request_stage_received` and read every open request's row to check its
/// type (16 ms a page at 200,000 requests, against 1 ms from the covering index).
fn counting_index(filter: &RoiQueueFilter, many_requesters: bool) -> &'static str {
    let by_requester = filter.requester.as_deref().is_some_and(|prefix| !requester_key(prefix).is_empty());
    let narrowed = filter.patient_id.is_some() || (by_requester && !many_requesters);
    match (narrowed, filter.statuses.is_empty()) {
        (true, _) => "",
        // The open requests: their index needs no stage read.
        (false, true) => "INDEXED BY roi_request_open_due",
        // The statuses asked for, each a range of this one.
        (false, false) => "INDEXED BY roi_request_stage",
    }
}

pub(super) fn queue_page(
    conn: &Connection,
    filter: &RoiQueueFilter,
    sort: RoiSort,
    page: Page,
) -> StoreResult<RoiQueuePage> {
    let many_requesters = names_many_requesters(conn, filter)?;
    let (condition, mut params) = conditions(filter, false, many_requesters);
    let counted_by = counting_index(filter, many_requesters);
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM roi_request q {counted_by} WHERE {condition}"))
        .and_then(|mut stmt| stmt.query_row(params_from_iter(params.iter()), |r| r.get(0)))
        .map_err(map_err)?;
    let (from, order) = sort_sql(sort);
    params.push(Box::new(page.limit as i64));
    params.push(Box::new(page.offset as i64));
    let page_ids =
        ids(conn, &format!("SELECT q.id {from} WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?"), &params)?;
    Ok(RoiQueuePage { rows: rows_of(conn, &page_ids)?, total })
}

pub(super) fn open_ages(conn: &Connection, filter: &RoiQueueFilter) -> StoreResult<Vec<(NaiveDate, i64)>> {
    let (condition, params) = conditions(filter, true, names_many_requesters(conn, filter)?);
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT q.received_on, count(*) FROM roi_request q WHERE {condition}
             GROUP BY q.received_on ORDER BY q.received_on"
        ))
        .map_err(map_err)?;
    let rows = stmt.query_map(params_from_iter(params.iter()), |r| Ok((date_at(r, 0)?, r.get(1)?))).map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

pub(super) fn for_patient(conn: &Connection, patient_id: i64, limit: usize) -> StoreResult<Vec<RoiQueueRow>> {
    let found = ids(
        conn,
        "SELECT id FROM roi_request WHERE patient_id = ? ORDER BY received_on DESC, id DESC LIMIT ?",
        &[Box::new(patient_id), Box::new(limit as i64)],
    )?;
    rows_of(conn, &found)
}

pub(super) fn open_for_requester(
    conn: &Connection,
    patient_id: i64,
    requester_id: i64,
) -> StoreResult<Vec<RoiQueueRow>> {
    let found = ids(
        conn,
        &format!(
            "SELECT id FROM roi_request WHERE patient_id = ? AND requester_id = ? AND stage < {OPEN_STAGES_END}
             ORDER BY received_on, id"
        ),
        &[Box::new(patient_id), Box::new(requester_id)],
    )?;
    rows_of(conn, &found)
}

// ---- letter templates ---------------------------------------------------------------------------

fn template_from(r: &Row<'_>) -> rusqlite::Result<(String, LetterTemplate)> {
    let kind: String = r.get(0)?;
    Ok((
        kind,
        LetterTemplate {
            kind: LetterKind::Acknowledgement,
            version: r.get(1)?,
            text: r.get(2)?,
            saved_by: r.get(3)?,
            saved_at: instant_at(r, 4)?,
        },
    ))
}

/// Templates of the kinds this program knows, in `LetterKind::ALL`'s order then by version; a kind
/// a newer chartroom added is left to it.
fn known_templates(rows: Vec<(String, LetterTemplate)>) -> Vec<LetterTemplate> {
    let mut known: Vec<LetterTemplate> = rows
        .into_iter()
        .filter_map(|(code, mut t)| {
            t.kind = LetterKind::parse(&code).ok()?;
            Some(t)
        })
        .collect();
    known.sort_by_key(|t| (LetterKind::ALL.iter().position(|k| *k == t.kind), t.version));
    known
}

pub(super) fn templates(conn: &Connection) -> StoreResult<Vec<LetterTemplate>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT kind, version, text, saved_by, saved_at FROM letter_template t
             WHERE version = (SELECT max(version) FROM letter_template WHERE kind = t.kind)",
        )
        .map_err(map_err)?;
    let rows = stmt.query_map([], template_from).map_err(map_err)?.collect::<Result<_, _>>().map_err(map_err)?;
    Ok(known_templates(rows))
}

pub(super) fn template_history(conn: &Connection, kind: LetterKind) -> StoreResult<Vec<LetterTemplate>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT kind, version, text, saved_by, saved_at FROM letter_template WHERE kind = ?1 ORDER BY version",
        )
        .map_err(map_err)?;
    let rows =
        stmt.query_map([kind.code()], template_from).map_err(map_err)?.collect::<Result<_, _>>().map_err(map_err)?;
    Ok(known_templates(rows))
}

pub(super) fn save_template(
    conn: &mut Connection,
    kind: LetterKind,
    text: &str,
    by: &str,
    at: DateTime<Utc>,
    audit: &NewAuditEvent,
) -> StoreResult<LetterTemplate> {
    let tx: Transaction<'_> = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(map_err)?;
    let version: i64 = tx
        .query_row(
            "INSERT INTO letter_template (kind, version, text, saved_by, saved_at)
             SELECT ?1, coalesce(max(version), 0) + 1, ?2, ?3, ?4 FROM letter_template WHERE kind = ?1
             RETURNING version",
            params![kind.code(), text, by, timestamp(at)],
            |r| r.get(0),
        )
        .map_err(map_err)?;
    let mut event = audit.clone();
    event.entity_id.get_or_insert_with(|| format!("{} v{version}", kind.code()));
    append_audit(&tx, &event)?;
    tx.commit().map_err(map_err)?;
    Ok(LetterTemplate {
        kind,
        version,
        text: text.to_string(),
        saved_by: by.to_string(),
        saved_at: parse_timestamp(&timestamp(at)),
    })
}

// ---- drafts -------------------------------------------------------------------------------------

pub(super) fn save_draft(
    conn: &Connection,
    username: &str,
    kind: &str,
    body: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO draft (username, kind, body, saved_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (username, kind) DO UPDATE SET body = excluded.body, saved_at = excluded.saved_at",
    )
    .and_then(|mut stmt| stmt.execute(params![username, kind, body, timestamp(at)]))
    .map_err(map_err)?;
    Ok(())
}

pub(super) fn draft(conn: &Connection, username: &str, kind: &str) -> StoreResult<Option<(String, DateTime<Utc>)>> {
    conn.prepare_cached("SELECT body, saved_at FROM draft WHERE username = ?1 AND kind = ?2")
        .and_then(|mut stmt| stmt.query_row([username, kind], |r| Ok((r.get(0)?, instant_at(r, 1)?))).optional())
        .map_err(map_err)
}

pub(super) fn discard_draft(conn: &Connection, username: &str, kind: &str) -> StoreResult<()> {
    conn.prepare_cached("DELETE FROM draft WHERE username = ?1 AND kind = ?2")
        .and_then(|mut stmt| stmt.execute([username, kind]))
        .map_err(map_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bulk_loads_roi_indexes_are_the_migrations_own() {
        let conn = Connection::open_in_memory().unwrap();
        for sql in super::super::schema::MIGRATIONS {
            conn.execute_batch(sql).unwrap();
        }
        let normal = |sql: &str| sql.replace("IF NOT EXISTS ", "").split_whitespace().collect::<Vec<_>>().join(" ");
        let roi: Vec<_> =
            super::super::schema::BULK_INDEXES.iter().filter(|(name, _)| name.starts_with("roi_")).collect();
        assert_eq!(roi.len(), 16, "every secondary index of roi_request, and the fees' and payments' by day");
        for (name, bulk) in roi {
            let made: String =
                conn.query_row("SELECT sql FROM sqlite_master WHERE name = ?1", [name], |r| r.get(0)).unwrap();
            assert_eq!(normal(&made), normal(bulk), "{name}");
        }
    }

    #[test]
    fn a_queue_filter_is_written_as_the_open_indexes_predicate() {
        let (open, params) = conditions(&RoiQueueFilter::default(), false, false);
        assert_eq!(open, "q.stage < 9");
        assert!(params.is_empty());
        let pended = RoiQueueFilter { statuses: vec![RequestStatus::Pended], ..Default::default() };
        assert_eq!(conditions(&pended, false, false).0, "q.stage IN (2) AND q.stage < 9");
        let released = RoiQueueFilter { statuses: vec![RequestStatus::Released], ..Default::default() };
        assert_eq!(conditions(&released, false, false).0, "q.stage IN (9)");
        assert_eq!(conditions(&released, true, false).0, "0 AND q.stage < 9", "no open status asked: none");
    }
}
