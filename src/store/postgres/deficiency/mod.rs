//! Chart completion on PostgreSQL: the policy and type catalog, analysis, the queue, notices,
//! completion, leave, suspension and the nightly run's claims — `sqlite/deficiency/`, statement for
//! statement, with the same results, orders and errors.
//!
//! Reads take any [`GenericClient`] (a pooled connection or a transaction); writes take the
//! transaction [`super::PgStore::write`] opened (READ COMMITTED) and write their audit events in it.
//! A versioned write is `UPDATE … WHERE id = $1 AND version = $2`: a second writer of the same row
//! waits for the first to commit, then finds the version moved and updates nothing, which is the
//! `Conflict` the desk decides again on.
//!
//! Where SQLite runs a statement per id, the reads here fetch the ids in one statement
//! (`= ANY($1)`) and answer in the order asked: over a network a round trip per row costs more
//! than the row.

use super::PgResult;
use super::admin::append_audit;
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::chart::{DeficiencyStatus, DeficiencyType, DocumentStatus, EncounterKind};
use crate::domain::completion::{ChartStatus, Claim, ItemState};
use crate::domain::deficiency::{AgeBucket, DeficiencyPolicy, NoticeLevel, SeedDocument};
use crate::domain::names::display_name;
use crate::domain::procedure::SeedProcedure;
use crate::store::deficiencies::{NoticeLine, QueueRow};
use crate::store::{
    AnalysedChart, ChartCompletionView, ClaimFilter, ClaimWrite, DeficiencyChanges, DischargedEncounter, ItemChange,
    ItemChangeRecord, NewSeededDeficiency, NightlyClaim, NoticeDraft, NoticeRecord, OpenItem, Page, PhysicianStanding,
    ProviderSuspension, QueueCounts, QueueFilter, QueuePage, QueueSort, QueueVocabulary, StoreError,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use deadpool_postgres::{GenericClient, Transaction};
use std::collections::HashMap;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

mod changes;
mod nightly;
mod queue;
mod rules;

pub(in crate::store::postgres) use changes::*;
pub(in crate::store::postgres) use nightly::*;
pub(in crate::store::postgres) use queue::*;
pub(in crate::store::postgres) use rules::*;

const OPEN: &str = "('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED')";

/// Midnight UTC at the start of `day`: the bound SQLite's stores compare discharge instants with
/// (`2025-03-03T00:00:00Z`).
fn midnight_utc(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

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

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.0.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect()
    }
}

fn status_of(code: &str) -> DeficiencyStatus {
    DeficiencyStatus::from_code(code).unwrap_or(DeficiencyStatus::Open)
}
