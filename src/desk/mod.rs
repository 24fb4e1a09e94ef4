//! The use cases a clerk performs, shared by the terminal program, the command line and the
//! importers. Each checks the user's permission, asks `domain` what is allowed, and asks the store to
//! persist it — with its audit event, in the same transaction.

pub mod audit;
pub mod claims;
pub mod copy;
pub mod deficiencies;
pub mod deficiency_work;
pub mod file_room;
pub mod identity;
pub mod import;
pub mod nightly;
pub mod privacy;
pub mod queue_filter;
pub mod records;
pub mod roi;

use crate::domain::audit::{AuditAction, AuditEvent, NewAuditEvent};
use crate::domain::chart::{Chart, Facility, NewFacility};
use crate::domain::dates::one_swap_variants;
use crate::domain::mrn::Mrn;
use crate::domain::names::phonetic_keys;
use crate::domain::query::{NameQuery, QueryShape, SearchQuery};
use crate::domain::role::{Permission, Role, allows};
use crate::domain::ssn::SsnKey;
use crate::store::{
    AuditFilter, ChangeStamp, NameLookup, NewUser, Page, PatientLookup, SearchPage, Store, StoreError, StoreInfo, User,
};
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("you ({user}) may not {}: that needs {}", .permission.describe(), .permission.roles_needed())]
    Forbidden { user: String, permission: Permission },
    #[error(
        "your chartroom account ({user}) has been disabled, so nothing more can be done in this session; \
         ask your Director of HIM"
    )]
    Disabled { user: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// A file the desk reads or writes (a letter, an export): what went wrong, in the clerk's words,
    /// with the operating system's error kept as the source.
    #[error("{what}: {source}")]
    File {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A restricted, employee or VIP chart asked for without breaking the glass first
    /// ([`Desk::break_glass`]). `name` is what the clerk saw in the results already.
    #[error(
        "{name}'s chart is restricted: to open it, give your reason (at least three words) and your signature code \
         (on the command line: --reason \"...\"); the Privacy Office sees both"
    )]
    SensitiveChart { patient_id: i64, name: String },
    #[error("You may not access your own record; contact the Privacy Office")]
    OwnRecord,
    /// `left`: wrong codes still taken before none is, for [`crate::domain::privacy::CODE_REST_MINUTES`].
    #[error("that signature code is not right{}", wrong_code_tail(*.left))]
    WrongSignature { left: usize },
    /// Three wrong codes within 15 minutes: no code is checked until `until` (the wall clock's HH:MM).
    #[error(
        "three wrong signature codes within {} minutes: no code is taken until {until}; try again then",
        crate::domain::privacy::CODE_REST_MINUTES
    )]
    CodesResting { until: String },
    #[error("you ({user}) have no signature code yet; set one with `chartroom user signature`")]
    NoSignature { user: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type DeskResult<T> = Result<T, DeskError>;

/// Who may read the list of providers (the deficiency work's).
const PROVIDER_READERS: [Permission; 4] = [
    Permission::ManageDeficiencies,
    Permission::ViewReports,
    Permission::CompleteDeficiencies,
    Permission::ConfirmSuspensions,
];

fn wrong_code_tail(left: usize) -> String {
    use crate::domain::privacy::CODE_REST_MINUTES;
    match left {
        0 => format!("; no code is taken for the next {CODE_REST_MINUTES} minutes"),
        1 => format!("; one more wrong and no code is taken for {CODE_REST_MINUTES} minutes"),
        n => format!("; {n} more wrong and no code is taken for {CODE_REST_MINUTES} minutes"),
    }
}

impl DeskError {
    /// The store's server cannot be reached, or the connection to it was lost.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_unreachable())
    }
}

/// The time, passed in so that rules and tests never read a clock of their own.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// The department's calendar day.
    fn today(&self) -> NaiveDate;

    /// `at` as the department's wall clock reads it, for messages (`since 10:42`). UTC unless the
    /// clock knows the department's zone.
    fn local(&self, at: DateTime<Utc>) -> chrono::NaiveDateTime {
        at.naive_utc()
    }

    /// When the department's day `day` begins: its midnight on the department's wall clock. UTC
    /// midnight unless the clock knows the department's zone.
    fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        day.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// When the department's day [`Clock::today`] ends: the next midnight on its wall clock.
    fn end_of_day(&self) -> DateTime<Utc> {
        let next = self.today().succ_opt().unwrap_or(self.today());
        next.and_time(chrono::NaiveTime::MIN).and_utc()
    }
}

/// The real clock. The department's day is the facility's, in its time zone: a clerk in Honolulu
/// working at 8 p.m. on a server kept on UTC is still on today, not tomorrow.
pub struct SystemClock {
    zone: Option<chrono_tz::Tz>,
}

impl SystemClock {
    /// The host's zone, until the store says which facility's day it is.
    pub fn local() -> Self {
        Self { zone: None }
    }

    /// Days in `zone` (an IANA name, `America/Chicago`); the host's zone when it is not one.
    pub fn in_zone(zone: &str) -> Self {
        Self { zone: zone.parse().ok() }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn today(&self) -> NaiveDate {
        match self.zone {
            Some(zone) => Utc::now().with_timezone(&zone).date_naive(),
            None => chrono::Local::now().date_naive(),
        }
    }

    fn local(&self, at: DateTime<Utc>) -> chrono::NaiveDateTime {
        match self.zone {
            Some(zone) => at.with_timezone(&zone).naive_local(),
            None => at.with_timezone(&chrono::Local).naive_local(),
        }
    }

    fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        use chrono::TimeZone;
        let midnight = day.and_time(chrono::NaiveTime::MIN);
        let instant = |local: chrono::NaiveDateTime| match self.zone {
            Some(zone) => zone.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)),
            None => chrono::Local.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)),
        };
        // Where a clock change skips midnight, the day begins an hour later.
        instant(midnight).or_else(|| instant(midnight + chrono::Duration::hours(1))).unwrap_or(midnight.and_utc())
    }

    fn end_of_day(&self) -> DateTime<Utc> {
        use chrono::TimeZone;
        let today = self.today();
        let midnight = today.succ_opt().unwrap_or(today).and_time(chrono::NaiveTime::MIN);
        let instant = |local: chrono::NaiveDateTime| match self.zone {
            Some(zone) => zone.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)),
            None => chrono::Local.from_local_datetime(&local).earliest().map(|t| t.with_timezone(&Utc)),
        };
        // Where a clock change skips midnight (a few zones do), the day ends an hour later.
        instant(midnight)
            .or_else(|| instant(midnight + chrono::Duration::hours(1)))
            .unwrap_or_else(|| Utc::now() + chrono::Duration::hours(24))
    }
}

/// A date a user gave, refused when it is outside the range chartroom takes (domain::dates): the
/// command line checks as it reads, and the desk again for every other caller.
pub fn checked_date(date: NaiveDate) -> DeskResult<NaiveDate> {
    use crate::domain::dates::{EARLIEST, LATEST};
    if !(EARLIEST..=LATEST).contains(&date) {
        return Err(DeskError::Invalid(format!("{date} is not a date chartroom takes (1900-01-01 to 2200-12-31)")));
    }
    Ok(date)
}

/// A clock stopped at one instant, for tests and reproducible runs.
pub struct FixedClock {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.now
    }

    fn today(&self) -> NaiveDate {
        self.today
    }
}

/// The signed-in clerk: who, and from where.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub source: String,
}

/// What a search found, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOutcome {
    /// The index the input's shape chose; None for empty or unrecognised input.
    pub shape: Option<QueryShape>,
    /// Why the input could not be searched, in a clerk's words.
    pub problem: Option<String>,
    pub page: SearchPage,
}

#[derive(Clone)]
pub struct Desk {
    store: Arc<dyn Store>,
    session: Session,
    ssn_key: SsnKey,
    clock: Arc<dyn Clock>,
    /// The patients whose glass this session broke: reopened in the same session, their charts
    /// do not ask again (one reason covers the sitting; the next session asks anew).
    glass: Arc<std::sync::Mutex<std::collections::HashSet<i64>>>,
    /// The modes of the files this desk writes (letters, packets, papers): the store's.
    file_sharing: crate::files::FileSharing,
}

impl Desk {
    /// The desk writes its files with these modes: a shared install's owner-and-group ones.
    pub fn with_file_sharing(mut self, sharing: crate::files::FileSharing) -> Self {
        self.file_sharing = sharing;
        self
    }

    /// The desk on another clock: the demo, made before the store has the facility whose day it is.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn file_sharing(&self) -> crate::files::FileSharing {
        self.file_sharing
    }

    /// Signs `username` in. An account with no chartroom user, or a disabled one, gets nothing.
    pub fn sign_in(
        store: Arc<dyn Store>,
        username: &str,
        source: String,
        ssn_key: SsnKey,
        clock: Arc<dyn Clock>,
    ) -> DeskResult<Self> {
        let user = store.user_by_name(username)?.ok_or_else(|| {
            DeskError::NotFound(format!(
                "the account {username:?} is not a chartroom user; ask your Director of HIM to add it \
                 (chartroom user add {username} --role ROLE)"
            ))
        })?;
        if !user.enabled {
            let refused = NewAuditEvent {
                at: clock.now(),
                username: user.username.clone(),
                source,
                action: AuditAction::AccessDenied,
                entity: "session".into(),
                entity_id: None,
                patient_id: None,
                provider_id: None,
                detail: "refused: sign in (the account is disabled)".into(),
            };
            // Refused whether or not the refusal could be written, as every refusal is.
            if let Err(e) = store.append_audit(refused) {
                tracing::warn!(error = %e, "a refused sign-in was not recorded in the audit trail");
            }
            return Err(DeskError::Invalid(format!("the chartroom user {username:?} is disabled")));
        }
        Ok(Self {
            store,
            session: Session { user, source },
            ssn_key,
            clock,
            glass: Arc::default(),
            file_sharing: crate::files::FileSharing::Private,
        })
    }

    /// The user as signed in. Roles and the enabled flag may have changed since: permission checks
    /// read them afresh ([`Desk::current_user`]).
    pub fn user(&self) -> &User {
        &self.session.user
    }

    /// The user as the store holds them now: a role change or a disabled account takes effect on
    /// the session's next action, not at its next sign-in.
    pub fn current_user(&self) -> DeskResult<User> {
        let username = &self.session.user.username;
        match self.store.user_by_name(username)? {
            Some(user) if user.enabled => Ok(user),
            _ => Err(DeskError::Disabled { user: username.clone() }),
        }
    }

    /// The store itself, past the desk's permission checks and rules. Not for the command line or the
    /// screens, which go through the desk's use cases; kept for the tests, the benches and the demo's
    /// bulk writer.
    #[doc(hidden)]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// `at` on the department's wall clock, for a clerk's messages.
    pub fn local_time(&self, at: DateTime<Utc>) -> chrono::NaiveDateTime {
        self.clock.local(at)
    }

    /// When the department's day ends.
    pub fn end_of_day(&self) -> DateTime<Utc> {
        self.clock.end_of_day()
    }

    /// Whether the user, as the store holds them now, may. False for a disabled user.
    pub fn can(&self, permission: Permission) -> bool {
        self.current_user().is_ok_and(|user| allows(&user.roles, permission))
    }

    /// Refuses unless the user, read afresh (one indexed lookup), holds a role that grants `permission`.
    fn require(&self, permission: Permission) -> DeskResult<()> {
        self.require_any(&[permission])
    }

    /// Refuses unless one of `permissions` is granted; the refusal names the first. Reads the user once.
    /// Every refusal is recorded ([`Desk::record_refusal`]).
    pub(crate) fn require_any(&self, permissions: &[Permission]) -> DeskResult<()> {
        let user = self.current_user()?;
        match permissions.iter().find(|p| allows(&user.roles, **p)) {
            Some(_) => Ok(()),
            None => {
                let permission = permissions.first().copied().unwrap_or(Permission::AdministerStore);
                self.record_refusal(&format!("{} (needs {})", permission.describe(), permission.roles_needed()));
                Err(DeskError::Forbidden { user: user.username, permission })
            }
        }
    }

    /// Writes an `ACCESS_DENIED` event saying what was refused, in the clerk's words (`refused: open
    /// your own record`). A refusal stands whether or not its event could be written: the failure
    /// is logged (no patient is named in it) and the clerk is still refused.
    pub fn record_refusal(&self, what: &str) {
        let mut event = self.event(AuditAction::AccessDenied, "permission", None, None);
        event.detail = format!("refused: {what}");
        if let Err(e) = self.store.append_audit(event) {
            tracing::warn!(error = %e, "a refusal was not recorded in the audit trail");
        }
    }

    fn event(
        &self,
        action: AuditAction,
        entity: &str,
        entity_id: Option<String>,
        patient_id: Option<i64>,
    ) -> NewAuditEvent {
        NewAuditEvent {
            at: self.clock.now(),
            username: self.session.user.username.clone(),
            source: self.session.source.clone(),
            action,
            entity: entity.to_string(),
            entity_id,
            patient_id,
            provider_id: None,
            detail: String::new(),
        }
    }

    pub fn store_info(&self) -> DeskResult<StoreInfo> {
        Ok(self.store.info()?)
    }

    /// Waits until something a screen shows changed after `since`, or `timeout` passes
    /// ([`Store::wait_for_change`]). Counters only, no patient data: nothing to permit or audit.
    pub fn wait_for_change(&self, since: &ChangeStamp, timeout: std::time::Duration) -> DeskResult<ChangeStamp> {
        Ok(self.store.wait_for_change(since, timeout)?)
    }

    /// Records that this session began (the terminal program calls it once).
    pub fn record_sign_in(&self) -> DeskResult<()> {
        let event = self.event(AuditAction::Login, "session", None, None);
        Ok(self.store.append_audit(event)?)
    }

    // ---- chart lookup -------------------------------------------------------------------------

    /// Searches by whatever the clerk typed; the shape of the text picks the index. Writes no audit
    /// event: a search is audited once it settles ([`Desk::record_search`]), never per keystroke.
    pub fn search(&self, text: &str, page: Page) -> DeskResult<SearchOutcome> {
        self.require(Permission::SearchPatients)?;
        let query = SearchQuery::parse(text, self.clock.today());
        let shape = query.shape();
        let empty = SearchPage { rows: Vec::new(), has_more: false };
        let lookup = match query {
            SearchQuery::Empty => return Ok(SearchOutcome { shape, problem: None, page: empty }),
            SearchQuery::Unrecognized(problem) => {
                return Ok(SearchOutcome { shape, problem: Some(problem), page: empty });
            }
            SearchQuery::Mrn(mrn) => PatientLookup::Mrn(mrn),
            SearchQuery::Account(account) => PatientLookup::Account(account),
            SearchQuery::Ssn(ssn) => PatientLookup::SsnHash(self.ssn_key.hash(&ssn)),
            SearchQuery::Last4(last4) => PatientLookup::Last4(last4),
            SearchQuery::InitialLast4 { initial, last4 } => PatientLookup::InitialLast4 { initial, last4 },
            SearchQuery::Dob(date) => PatientLookup::Dob { exact: date, swaps: one_swap_variants(date) },
            SearchQuery::Name(name) => PatientLookup::Name(name_lookup(&name)),
            SearchQuery::NameDob(name, date) => {
                PatientLookup::NameDob { name: name_lookup(&name), exact: date, swaps: one_swap_variants(date) }
            }
        };
        let page = self.store.search_patients(&lookup, page)?;
        Ok(SearchOutcome { shape, problem: None, page })
    }

    /// Audits a settled search: its shape and how many rows it showed — never the text, which may
    /// hold SSN digits.
    pub fn record_search(&self, shape: QueryShape, shown: usize, more: bool) -> DeskResult<()> {
        self.require(Permission::SearchPatients)?;
        let mut event = self.event(AuditAction::Search, "patient", None, None);
        event.detail = format!("shape={} results={shown}{}", shape.audit_label(), if more { "+" } else { "" });
        Ok(self.store.append_audit(event)?)
    }

    /// Audits a settled search as [`Desk::record_search`] does, and each patient it showed with an
    /// event of their own (a `SEARCH` naming the patient), so that a patient's access report lists
    /// every search result that put them on someone's screen. One transaction.
    pub fn record_search_shown(
        &self,
        shape: QueryShape,
        shown: &[crate::domain::patient::PatientRow],
        more: bool,
    ) -> DeskResult<()> {
        self.require(Permission::SearchPatients)?;
        let mut summary = self.event(AuditAction::Search, "patient", None, None);
        summary.detail =
            format!("shape={} results={}{}", shape.audit_label(), shown.len(), if more { "+" } else { "" });
        let mut events = vec![summary];
        for (row, patient) in shown.iter().enumerate() {
            let mut event =
                self.event(AuditAction::Search, "patient", Some(patient.mrn.to_string()), Some(patient.patient_id));
            event.detail =
                format!("shown in a search: shape={} row {} of {}", shape.audit_label(), row + 1, shown.len());
            events.push(event);
        }
        Ok(self.store.append_audit_events(events)?)
    }

    /// Opens a chart and records the view. The clerk's own record is refused (and the refusal
    /// recorded); a sensitive chart is refused until this session broke its glass.
    pub fn open_chart(&self, patient_id: i64) -> DeskResult<Chart> {
        let chart = self.reread_chart(patient_id)?;
        let event =
            self.event(AuditAction::ViewPatient, "patient", Some(chart.patient.mrn.to_string()), Some(patient_id));
        self.store.append_audit(event)?;
        Ok(chart)
    }

    /// The chart on screen read again, to follow another clerk's work on it. No view is recorded:
    /// the clerk's view of this patient was recorded when she opened the chart, and a screen keeping
    /// itself current is not another look (nor should every chart open in the department write an
    /// event each time anyone completes a deficiency).
    pub fn reread_chart(&self, patient_id: i64) -> DeskResult<Chart> {
        self.require(Permission::ViewChart)?;
        let mut chart = self
            .store
            .load_chart(patient_id)?
            .ok_or_else(|| DeskError::NotFound("that patient is no longer in the store".into()))?;
        self.may_open(&chart.patient)?;
        chart.order_deficiencies();
        Ok(chart)
    }

    pub fn open_chart_by_mrn(&self, mrn: &str) -> DeskResult<Chart> {
        self.require(Permission::ViewChart)?;
        let mrn = Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let patient =
            self.store.patient_by_mrn(&mrn)?.ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?;
        self.open_chart(patient.patient_id)
    }

    // ---- users --------------------------------------------------------------------------------

    pub fn list_users(&self) -> DeskResult<Vec<User>> {
        self.require(Permission::AdministerUsers)?;
        Ok(self.store.list_users()?)
    }

    pub fn add_user(&self, username: &str, display_name: Option<&str>, roles: Vec<Role>) -> DeskResult<User> {
        self.require(Permission::AdministerUsers)?;
        let username = identity::validate_username(username)?;
        if roles.is_empty() {
            return Err(DeskError::Invalid("give the user at least one role (--role ROLE)".into()));
        }
        let mut event = self.event(AuditAction::Create, "user", Some(username.clone()), None);
        event.detail = format!("roles={}", role_list(&roles));
        if let Some(problem) =
            display_name.and_then(|d| crate::domain::text::control_character_problem("a display name", d))
        {
            return Err(DeskError::Invalid(problem));
        }
        let display_name =
            display_name.map(str::trim).filter(|d| !d.is_empty()).map_or_else(|| username.clone(), str::to_string);
        Ok(self.store.add_user(NewUser { username, display_name, roles }, event)?)
    }

    pub fn set_user_roles(&self, username: &str, roles: Vec<Role>) -> DeskResult<User> {
        self.require(Permission::AdministerUsers)?;
        if roles.is_empty() {
            return Err(DeskError::Invalid("a user needs at least one role; to stop a user, disable them".into()));
        }
        let before = self
            .store
            .user_by_name(username)?
            .ok_or_else(|| DeskError::NotFound(format!("no chartroom user {username:?}")))?;
        if before.roles.contains(&Role::Director) && !roles.contains(&Role::Director) {
            self.ensure_another_director(username)?;
        }
        let mut event = self.event(AuditAction::Update, "user", Some(username.to_string()), None);
        event.detail = format!("roles {} -> {}", role_list(&before.roles), role_list(&roles));
        Ok(self.store.set_user_roles(username, roles, event)?)
    }

    pub fn set_user_enabled(&self, username: &str, enabled: bool) -> DeskResult<User> {
        self.require(Permission::AdministerUsers)?;
        let before = self
            .store
            .user_by_name(username)?
            .ok_or_else(|| DeskError::NotFound(format!("no chartroom user {username:?}")))?;
        if !enabled && before.roles.contains(&Role::Director) {
            self.ensure_another_director(username)?;
        }
        let mut event = self.event(AuditAction::Update, "user", Some(username.to_string()), None);
        event.detail = format!("enabled {} -> {}", before.enabled, enabled);
        Ok(self.store.set_user_enabled(username, enabled, event)?)
    }

    /// A store must keep one enabled director, or nobody can administer it again.
    fn ensure_another_director(&self, leaving: &str) -> DeskResult<()> {
        let others = self
            .store
            .list_users()?
            .into_iter()
            .filter(|u| u.username != leaving && u.enabled && u.roles.contains(&Role::Director))
            .count();
        if others == 0 {
            return Err(DeskError::Invalid(format!(
                "{leaving} is the last enabled director; make someone else director first"
            )));
        }
        Ok(())
    }

    // ---- facilities ---------------------------------------------------------------------------

    pub fn add_facility(&self, facility: NewFacility) -> DeskResult<Facility> {
        self.require(Permission::AdministerStore)?;
        let mut event = self.event(AuditAction::Create, "facility", Some(facility.code.clone()), None);
        event.detail = format!("state={} kind={} tz={}", facility.state, facility.kind.code(), facility.timezone);
        Ok(self.store.add_facility(facility, event)?)
    }

    pub fn list_facilities(&self) -> DeskResult<Vec<Facility>> {
        Ok(self.store.list_facilities()?)
    }

    /// Every provider, by name: what the palette completes `physician NAME` and `AS NAME` from.
    pub fn list_providers(&self) -> DeskResult<Vec<crate::domain::chart::Provider>> {
        if !PROVIDER_READERS.iter().any(|p| self.can(*p)) {
            // Refused as the queue is, naming what is needed.
            self.require(Permission::ManageDeficiencies)?;
        }
        self.all_providers()
    }

    /// The palette's completions, asked for when it opens, before the clerk asked anything: none
    /// for one who may not read providers, and no refusal recorded — a probe is not a refusal
    /// (a clerk opening `:` was written up as refused "manage deficiencies").
    pub fn palette_providers(&self) -> DeskResult<Vec<crate::domain::chart::Provider>> {
        if !PROVIDER_READERS.iter().any(|p| self.can(*p)) {
            return Ok(Vec::new());
        }
        self.all_providers()
    }

    fn all_providers(&self) -> DeskResult<Vec<crate::domain::chart::Provider>> {
        let mut providers = Vec::new();
        loop {
            let page = self.store.list_providers(Page { offset: providers.len(), limit: 10_000 })?;
            let done = page.len() < 10_000;
            providers.extend(page);
            if done {
                return Ok(providers);
            }
        }
    }

    // ---- audit and backup ---------------------------------------------------------------------

    pub fn list_audit(
        &self,
        patient_mrn: Option<&str>,
        provider_npi: Option<&str>,
        limit: usize,
    ) -> DeskResult<Vec<AuditEvent>> {
        self.require(Permission::ViewAudit)?;
        let patient_id = match patient_mrn {
            Some(mrn) => {
                let mrn = Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
                let patient = self
                    .store
                    .patient_by_mrn(&mrn)?
                    .ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?;
                Some(patient.patient_id)
            }
            None => None,
        };
        let provider_id = match provider_npi {
            Some(npi) => Some(
                self.store
                    .provider_by_npi(npi.trim())?
                    .ok_or_else(|| DeskError::NotFound(format!("no provider has NPI {}", npi.trim())))?
                    .id,
            ),
            None => None,
        };
        let events = self.store.list_audit(&AuditFilter {
            patient_id,
            provider_id,
            username: None,
            action: None,
            entity: None,
            limit,
        })?;
        let about = provider_npi.map(|npi| format!(" of provider {}", npi.trim())).unwrap_or_default();
        self.record_audit_read(
            patient_id,
            patient_mrn.map(|m| m.trim().to_string()),
            format!("listed the trail{about}: {} events", events.len()),
        )?;
        Ok(events)
    }

    pub fn backup(&self, destination: &std::path::Path) -> DeskResult<()> {
        self.require(Permission::AdministerStore)?;
        let mut event = self.event(AuditAction::Backup, "store", None, None);
        event.detail = format!("to {}", destination.display());
        Ok(self.store.backup_to(destination, event)?)
    }

    /// Builds an audit event as this session, for bulk writers (demo, import) that call the store.
    pub fn audit_event(&self, action: AuditAction, entity: &str, detail: String) -> NewAuditEvent {
        let mut event = self.event(action, entity, None, None);
        event.detail = detail;
        event
    }

    pub(crate) fn ssn_key(&self) -> &SsnKey {
        &self.ssn_key
    }

    pub fn require_permission(&self, permission: Permission) -> DeskResult<()> {
        self.require(permission)
    }
}

fn role_list(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

/// The store-level form of a typed name: keys plus their sound-alike codes.
pub fn name_lookup(name: &NameQuery) -> NameLookup {
    NameLookup {
        family: name.family.clone(),
        given: name.given.clone(),
        // A two-letter family prefix sounds like nothing in particular; phonetic matching starts at
        // three letters (two for a given name: `JO` is a name).
        family_phonetic: sound_codes(&name.family, 3),
        given_phonetic: sound_codes(&name.given, 2),
    }
}

/// The distinct Double Metaphone codes of `key`, or none when it is shorter than `min_len`.
fn sound_codes(key: &str, min_len: usize) -> Vec<String> {
    if key.len() < min_len {
        return Vec::new();
    }
    let (primary, alternate) = phonetic_keys(key);
    let mut codes = vec![primary];
    if alternate != codes[0] {
        codes.push(alternate);
    }
    codes.retain(|c| !c.is_empty());
    codes
}

/// Creates the store's first user — the account that made it — as its director. Does nothing when
/// the store already has users. Returns whether a founder was created.
pub fn ensure_founder(store: &dyn Store, username: &str, source: &str, now: DateTime<Utc>) -> DeskResult<bool> {
    if !store.list_users()?.is_empty() {
        return Ok(false);
    }
    let username = identity::validate_username(username)?;
    let event = NewAuditEvent {
        at: now,
        username: username.clone(),
        source: source.to_string(),
        action: AuditAction::Create,
        entity: "user".into(),
        entity_id: Some(username.clone()),
        patient_id: None,
        provider_id: None,
        detail: "roles=director (created the store)".into(),
    };
    store.add_user(NewUser { display_name: username.clone(), username, roles: vec![Role::Director] }, event)?;
    Ok(true)
}
