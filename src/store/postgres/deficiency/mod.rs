//! Chart completion on PostgreSQL: the policy and type catalog, analysis, the queue, notices,
//! completion, leave, suspension and the nightly run's claims.
//!
//! Not built yet: the PostgreSQL chart-completion task fills this in, mirroring
//! `sqlite/deficiency/` statement by statement. Until then each call is refused in words. Reads take
//! any [`GenericClient`] (a pooled connection or a transaction); writes take the transaction
//! [`super::PgStore::write`] opened, and write their audit events in it
//! (`super::admin::append_audit`).

use super::PgResult;
use crate::domain::audit::NewAuditEvent;
use crate::domain::chart::DeficiencyType;
use crate::domain::completion::ItemState;
use crate::domain::deficiency::DeficiencyPolicy;
use crate::store::{
    AnalysedChart, ChartCompletionView, DeficiencyChanges, DischargedEncounter, NewSeededDeficiency, NightlyClaim,
    NoticeDraft, NoticeRecord, OpenItem, Page, PhysicianStanding, ProviderSuspension, QueueCounts, QueueFilter,
    QueuePage, QueueSort, QueueVocabulary, StoreError,
};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{GenericClient, Transaction};

fn unbuilt<T>(what: &str) -> PgResult<T> {
    Err(StoreError::Backend(format!("{what} is not built on PostgreSQL yet")).into())
}

pub(in crate::store::postgres) async fn policy(_c: &impl GenericClient) -> PgResult<DeficiencyPolicy> {
    unbuilt("the deficiency policy")
}

pub(in crate::store::postgres) async fn set_policy(
    _tx: &Transaction<'_>,
    _policy: &DeficiencyPolicy,
    _audit: &NewAuditEvent,
) -> PgResult<()> {
    unbuilt("setting the deficiency policy")
}

pub(in crate::store::postgres) async fn facility_policies(
    _c: &impl GenericClient,
) -> PgResult<Vec<(i64, DeficiencyPolicy)>> {
    unbuilt("facility deficiency policies")
}

pub(in crate::store::postgres) async fn set_facility_policy(
    _tx: &Transaction<'_>,
    _facility_id: i64,
    _policy: &DeficiencyPolicy,
    _audit: &NewAuditEvent,
) -> PgResult<()> {
    unbuilt("setting a facility's deficiency policy")
}

pub(in crate::store::postgres) async fn types(_c: &impl GenericClient) -> PgResult<Vec<DeficiencyType>> {
    unbuilt("the deficiency types")
}

pub(in crate::store::postgres) async fn save_type(
    _tx: &Transaction<'_>,
    _kind: &DeficiencyType,
    _audit: &NewAuditEvent,
) -> PgResult<()> {
    unbuilt("saving a deficiency type")
}

pub(in crate::store::postgres) async fn retire_type(
    _tx: &Transaction<'_>,
    _code: &str,
    _audit: &NewAuditEvent,
) -> PgResult<()> {
    unbuilt("retiring a deficiency type")
}

pub(in crate::store::postgres) async fn encounters_to_analyse(
    _c: &impl GenericClient,
    _after: Option<NaiveDate>,
    _through: NaiveDate,
) -> PgResult<Vec<DischargedEncounter>> {
    unbuilt("finding encounters to analyse")
}

pub(in crate::store::postgres) async fn record_analysis(
    _tx: &Transaction<'_>,
    _analysed: &[AnalysedChart],
    _audit: &NewAuditEvent,
) -> PgResult<usize> {
    unbuilt("recording an analysis")
}

pub(in crate::store::postgres) async fn open_items(_c: &impl GenericClient) -> PgResult<Vec<OpenItem>> {
    unbuilt("reading open items")
}

pub(in crate::store::postgres) async fn record_notices(
    _tx: &Transaction<'_>,
    _notices: &[(NoticeDraft, NewAuditEvent)],
) -> PgResult<Vec<i64>> {
    unbuilt("recording notices")
}

pub(in crate::store::postgres) async fn notice_preview(
    _c: &impl GenericClient,
    _draft: &NoticeDraft,
) -> PgResult<NoticeRecord> {
    unbuilt("previewing a notice")
}

pub(in crate::store::postgres) async fn notices_between(
    _c: &impl GenericClient,
    _from: NaiveDate,
    _to: NaiveDate,
) -> PgResult<Vec<NoticeRecord>> {
    unbuilt("reading notices")
}

pub(in crate::store::postgres) async fn standings(
    _c: &impl GenericClient,
    _today: NaiveDate,
) -> PgResult<Vec<PhysicianStanding>> {
    unbuilt("physician standings")
}

pub(in crate::store::postgres) async fn standing(
    _c: &impl GenericClient,
    _provider_id: i64,
    _today: NaiveDate,
) -> PgResult<Option<PhysicianStanding>> {
    unbuilt("a physician's standing")
}

pub(in crate::store::postgres) async fn queue_page(
    _c: &impl GenericClient,
    _filter: &QueueFilter,
    _sort: QueueSort,
    _page: Page,
) -> PgResult<QueuePage> {
    unbuilt("the deficiency queue")
}

pub(in crate::store::postgres) async fn queue_counts(
    _c: &impl GenericClient,
    _today: NaiveDate,
) -> PgResult<QueueCounts> {
    unbuilt("the queue's counts")
}

pub(in crate::store::postgres) async fn queue_ids(
    _c: &impl GenericClient,
    _filter: &QueueFilter,
) -> PgResult<Vec<(i64, i64)>> {
    unbuilt("the queue's items")
}

pub(in crate::store::postgres) async fn queue_vocabulary(_c: &impl GenericClient) -> PgResult<QueueVocabulary> {
    unbuilt("the queue's vocabulary")
}

pub(in crate::store::postgres) async fn items(_c: &impl GenericClient, _ids: &[i64]) -> PgResult<Vec<ItemState>> {
    unbuilt("reading deficiencies")
}

pub(in crate::store::postgres) async fn chart_states(
    _c: &impl GenericClient,
    _encounter_ids: &[i64],
) -> PgResult<Vec<ChartCompletionView>> {
    unbuilt("chart-completion records")
}

pub(in crate::store::postgres) async fn provider_suspensions(
    _c: &impl GenericClient,
    _provider_ids: &[i64],
    _on: NaiveDate,
) -> PgResult<Vec<ProviderSuspension>> {
    unbuilt("physicians' suspensions")
}

pub(in crate::store::postgres) async fn apply_changes(
    _tx: &Transaction<'_>,
    _changes: &DeficiencyChanges,
) -> PgResult<()> {
    unbuilt("changing deficiencies")
}

pub(in crate::store::postgres) async fn chart_completion(
    _c: &impl GenericClient,
    _account: &str,
) -> PgResult<Option<ChartCompletionView>> {
    unbuilt("a chart-completion record")
}

pub(in crate::store::postgres) async fn has_deficiency(
    _c: &impl GenericClient,
    _encounter_id: i64,
    _type_code: &str,
    _provider_id: i64,
) -> PgResult<bool> {
    unbuilt("checking for a deficiency")
}

pub(in crate::store::postgres) async fn add_deficiency(
    _tx: &Transaction<'_>,
    _new: &NewSeededDeficiency,
    _chart_version: Option<i64>,
    _duplicate_confirmed: bool,
    _audit: &NewAuditEvent,
) -> PgResult<i64> {
    unbuilt("adding a deficiency")
}

pub(in crate::store::postgres) async fn add_leave(
    _tx: &Transaction<'_>,
    _npi: &str,
    _from: NaiveDate,
    _to: NaiveDate,
    _audit: &NewAuditEvent,
) -> PgResult<()> {
    unbuilt("recording a physician's leave")
}

pub(in crate::store::postgres) async fn confirm_suspension(
    _tx: &Transaction<'_>,
    _npi: &str,
    _on: NaiveDate,
    _by_override: bool,
    _audit: &NewAuditEvent,
) -> PgResult<()> {
    unbuilt("confirming a suspension")
}

pub(in crate::store::postgres) async fn nightly_claims(_c: &impl GenericClient) -> PgResult<Vec<NightlyClaim>> {
    unbuilt("the nightly run's claims")
}

pub(in crate::store::postgres) async fn begin_nightly(
    _tx: &Transaction<'_>,
    _claim: &NightlyClaim,
    _replacing: Option<DateTime<Utc>>,
    _audit: &NewAuditEvent,
) -> PgResult<bool> {
    unbuilt("claiming the nightly run")
}

pub(in crate::store::postgres) async fn finish_nightly(
    _tx: &Transaction<'_>,
    _run_on: NaiveDate,
    _started_at: DateTime<Utc>,
    _finished_at: DateTime<Utc>,
    _summary: &str,
    _audit: &NewAuditEvent,
) -> PgResult<()> {
    unbuilt("finishing the nightly run")
}

pub(in crate::store::postgres) async fn release_nightly(
    _tx: &Transaction<'_>,
    _run_on: NaiveDate,
    _started_at: DateTime<Utc>,
    _audit: &NewAuditEvent,
) -> PgResult<()> {
    unbuilt("releasing the nightly run")
}
