//! The release packet on PostgreSQL (migration 9): `sqlite/packet.rs`, statement for statement.

use super::PgResult;
use crate::domain::roi::packet::{Notice, PacketDocument, SensitiveCategory};
use crate::store::roi::{ChartDocument, PacketRecord, ReleaseItem, StoredPacket};
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Transaction};

pub(super) async fn release_documents(c: &impl GenericClient, patient_id: i64) -> PgResult<Vec<ChartDocument>> {
    let stmt = c
        .prepare_cached(
            "SELECT d.id, d.doc_type, d.title, d.created_at, d.page_count, d.sensitive_categories,
                    d.in_designated_record_set, e.account, d.text, e.facility_id
             FROM document d JOIN encounter e ON e.id = d.encounter_id
             WHERE d.patient_id = $1 AND d.status <> 'RETRACTED'
             ORDER BY d.created_at, d.id",
        )
        .await?;
    let mut out = Vec::new();
    for r in c.query(&stmt, &[&patient_id]).await? {
        let created: DateTime<Utc> = r.try_get(3)?;
        let categories: String = r.try_get(5)?;
        out.push(ChartDocument {
            document: PacketDocument {
                id: r.try_get(0)?,
                doc_type: r.try_get(1)?,
                title: r.try_get(2)?,
                on: created.date_naive(),
                pages: r.try_get(4)?,
                categories: SensitiveCategory::split(&categories),
                in_designated_record_set: r.try_get(6)?,
                facility_id: r.try_get(9)?,
            },
            account: r.try_get(7)?,
            text: r.try_get(8)?,
        });
    }
    Ok(out)
}

/// Writes a packet's items and notices against the disclosure just inserted.
pub(super) async fn insert_packet(
    tx: &Transaction<'_>,
    request_id: i64,
    disclosure_id: i64,
    packet: &PacketRecord,
) -> PgResult<()> {
    tx.execute(
        "UPDATE disclosure SET notices_attached = $2, notice_template_version = $3, packet_file = $4,
             packet_sha256 = $5 WHERE id = $1",
        &[
            &disclosure_id,
            &Notice::join(&packet.notices_attached),
            &packet.notice_template_version,
            &packet.file,
            &packet.sha256,
        ],
    )
    .await?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO release_item (request_id, disclosure_id, document_id, pages, included, reason)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .await?;
    for item in &packet.items {
        tx.execute(&stmt, &[&request_id, &disclosure_id, &item.document_id, &item.pages, &item.included, &item.reason])
            .await?;
    }
    Ok(())
}

pub(super) async fn release_packets(c: &impl GenericClient, request_id: i64) -> PgResult<Vec<StoredPacket>> {
    let heads = c
        .query(
            "SELECT id, disclosed_at, notices_attached, notice_template_version, packet_file, packet_sha256
             FROM disclosure d WHERE roi_request_id = $1
               AND EXISTS (SELECT 1 FROM release_item r WHERE r.disclosure_id = d.id) ORDER BY id",
            &[&request_id],
        )
        .await?;
    let mut out = Vec::new();
    for head in heads {
        let id: i64 = head.try_get(0)?;
        let at: DateTime<Utc> = head.try_get(1)?;
        let notices: String = head.try_get(2)?;
        let mut items = Vec::new();
        for r in c
            .query(
                "SELECT document_id, pages, included, reason FROM release_item WHERE disclosure_id = $1 ORDER BY id",
                &[&id],
            )
            .await?
        {
            items.push(ReleaseItem {
                document_id: r.try_get(0)?,
                pages: r.try_get(1)?,
                included: r.try_get(2)?,
                reason: r.try_get(3)?,
            });
        }
        out.push(StoredPacket {
            disclosure_id: id,
            disclosed_on: at.date_naive(),
            packet: PacketRecord {
                items,
                notices_attached: Notice::split(&notices),
                notice_template_version: head.try_get(3)?,
                file: head.try_get(4)?,
                sha256: head.try_get(5)?,
            },
        });
    }
    Ok(out)
}
