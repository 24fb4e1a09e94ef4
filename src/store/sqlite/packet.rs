//! The release packet in SQLite (migration 17): a patient's documents as a release reads them, and
//! the items and notices of a packet, written in the release's transaction beside its disclosure.

use super::admin::parse_timestamp;
use super::map_err;
use crate::domain::roi::packet::{Notice, PacketDocument, SensitiveCategory};
use crate::store::StoreResult;
use crate::store::roi::{ChartDocument, PacketRecord, ReleaseItem, StoredPacket};
use rusqlite::{Connection, params};

pub(super) fn release_documents(conn: &Connection, patient_id: i64) -> StoreResult<Vec<ChartDocument>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT d.id, d.doc_type, d.title, d.created_at, d.page_count, d.sensitive_categories,
                    d.in_designated_record_set, e.account, d.text, e.facility_id
             FROM document d JOIN encounter e ON e.id = d.encounter_id
             WHERE d.patient_id = ?1 AND d.status <> 'RETRACTED'
             ORDER BY d.created_at, d.id",
        )
        .map_err(map_err)?;
    let rows = stmt
        .query_map([patient_id], |r| {
            let created: String = r.get(3)?;
            let categories: String = r.get(5)?;
            Ok((
                PacketDocument {
                    id: r.get(0)?,
                    doc_type: r.get(1)?,
                    title: r.get(2)?,
                    on: Default::default(),
                    pages: r.get(4)?,
                    categories: SensitiveCategory::split(&categories),
                    in_designated_record_set: r.get::<_, i64>(6)? != 0,
                    facility_id: r.get(9)?,
                },
                created,
                r.get::<_, String>(7)?,
                r.get::<_, Option<String>>(8)?,
            ))
        })
        .map_err(map_err)?;
    let mut out = Vec::new();
    for row in rows {
        let (mut document, created, account, text) = row.map_err(map_err)?;
        document.on = parse_timestamp(&created).date_naive();
        out.push(ChartDocument { document, account, text });
    }
    Ok(out)
}

/// Writes a packet's items and notices against the disclosure just inserted.
pub(super) fn insert_packet(
    tx: &Connection,
    request_id: i64,
    disclosure_id: i64,
    packet: &PacketRecord,
) -> StoreResult<()> {
    tx.execute(
        "UPDATE disclosure SET notices_attached = ?2, notice_template_version = ?3, packet_file = ?4,
             packet_sha256 = ?5 WHERE id = ?1",
        params![
            disclosure_id,
            Notice::join(&packet.notices_attached),
            packet.notice_template_version,
            packet.file,
            packet.sha256
        ],
    )
    .map_err(map_err)?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO release_item (request_id, disclosure_id, document_id, pages, included, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(map_err)?;
    for item in &packet.items {
        stmt.execute(params![
            request_id,
            disclosure_id,
            item.document_id,
            item.pages,
            item.included as i64,
            item.reason
        ])
        .map_err(map_err)?;
    }
    Ok(())
}

pub(super) fn release_packets(conn: &Connection, request_id: i64) -> StoreResult<Vec<StoredPacket>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, disclosed_at, notices_attached, notice_template_version, packet_file, packet_sha256
             FROM disclosure d WHERE roi_request_id = ?1
               AND EXISTS (SELECT 1 FROM release_item r WHERE r.disclosure_id = d.id) ORDER BY id",
        )
        .map_err(map_err)?;
    let heads = stmt
        .query_map([request_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    let mut items = conn
        .prepare_cached(
            "SELECT document_id, pages, included, reason FROM release_item WHERE disclosure_id = ?1 ORDER BY id",
        )
        .map_err(map_err)?;
    let mut out = Vec::new();
    for (id, at, notices, version, file, sha256) in heads {
        let packet_items = items
            .query_map([id], |r| {
                Ok(ReleaseItem {
                    document_id: r.get(0)?,
                    pages: r.get(1)?,
                    included: r.get::<_, i64>(2)? != 0,
                    reason: r.get(3)?,
                })
            })
            .map_err(map_err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(map_err)?;
        out.push(StoredPacket {
            disclosure_id: id,
            disclosed_on: parse_timestamp(&at).date_naive(),
            packet: PacketRecord {
                items: packet_items,
                notices_attached: Notice::split(&notices),
                notice_template_version: version,
                file,
                sha256,
            },
        });
    }
    Ok(out)
}
