//! Chart completion in SQLite: analysis, the queue, notices, completion, leave and suspension.

use super::admin::{append_audit, parse_timestamp, timestamp};
use super::map_err;
use super::search::{date_text, parse_date};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::chart::{DeficiencyStatus, DeficiencyType, DocumentStatus, EncounterKind};
use crate::domain::completion::{ChartStatus, ItemState};
use crate::domain::deficiency::{AgeBucket, DeficiencyPolicy, NoticeLevel, SeedDocument};
use crate::domain::names::display_name;
use crate::domain::procedure::SeedProcedure;
use crate::store::deficiencies::{NoticeLine, QueueRow};
use crate::store::{
    AnalysedChart, DischargedEncounter, ItemChange, NewSeededDeficiency, NightlyClaim, NoticeDraft, NoticeRecord,
    OpenItem, Page, PhysicianStanding, QueueCounts, QueueFilter, QueuePage, QueueSort, StoreError, StoreResult,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};

mod changes;
mod nightly;
mod queue;
mod rules;

pub(super) use changes::*;
pub(super) use nightly::*;
pub(super) use queue::*;
pub(super) use rules::*;

const OPEN: &str = "('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED')";

fn date(text: &str) -> NaiveDate {
    parse_date(text).unwrap_or_default()
}
