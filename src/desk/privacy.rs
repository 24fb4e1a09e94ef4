//! Who is at the keyboard, and which records are theirs to see (AS-03): breaking the glass of a
//! sensitive chart, the refusal of a clerk's own record, the signature code that stands for the
//! clerk (to break the glass, to unlock, to release), and the session's lock and unlock.

use super::{Desk, DeskError, DeskResult};
use crate::domain::audit::{AuditAction, AuditEvent};
use crate::domain::mrn::Mrn;
use crate::domain::patient::PatientRow;
use crate::domain::privacy::{
    CODE_TRIES, code_tries_left, codes_refused_until, needs_break_glass, reason_problem, signature_code_problem,
};
use crate::domain::role::Permission;
use crate::store::{AuditFilter, User};
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};

/// The detail of the event of a user setting a first code, or a new one after the Director cleared
/// theirs: wrong codes before it are not counted against the new one.
const SIGNATURE_SET: &str = "signature code set";

/// What a wrong signature code's `ACCESS_DENIED` event is about: the rule counts these alone, so
/// that no flood of other refusals hides them.
const WRONG_CODE_ENTITY: &str = "signature_code";

/// Why a session locked, as its `LOCK` event says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockReason {
    /// No key for the configured time.
    Idle,
    /// Three wrong signature codes in a row.
    WrongCodes,
}

impl LockReason {
    pub fn detail(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::WrongCodes => "three wrong signature codes",
        }
    }
}

impl Desk {
    /// Refuses the clerk's own record — recording the refusal — and a sensitive chart this
    /// session has not broken the glass of.
    pub(super) fn may_open(&self, patient: &PatientRow) -> DeskResult<()> {
        self.refuse_own_record(patient.patient_id, Some(patient.mrn.as_str()))?;
        if needs_break_glass(patient.sensitivity) && !self.glass_broken(patient.patient_id) {
            return Err(DeskError::SensitiveChart { patient_id: patient.patient_id, name: patient.display_name() });
        }
        Ok(())
    }

    /// Refuses the clerk's own record, recording the refusal. Every use case that reads or acts on
    /// one patient asks this first — the chart, a request for release, an accounting, a disclosure,
    /// a paper volume or a request for one — so that the refusal does not depend on which door the
    /// clerk came in by. A list may still show the patient; picking them is refused.
    pub(crate) fn refuse_own_record(&self, patient_id: i64, mrn: Option<&str>) -> DeskResult<()> {
        let user = self.current_user()?;
        if user.patient_id != Some(patient_id) {
            return Ok(());
        }
        let mut event = self.event(AuditAction::AccessDenied, "patient", mrn.map(str::to_string), Some(patient_id));
        event.detail = "own record".into();
        self.store.append_audit(event)?;
        Err(DeskError::OwnRecord)
    }

    fn glass_broken(&self, patient_id: i64) -> bool {
        match self.glass.lock() {
            Ok(set) => set.contains(&patient_id),
            Err(poisoned) => poisoned.into_inner().contains(&patient_id),
        }
    }

    /// Breaks the glass of a sensitive chart for this session: checks the reason and the signature
    /// code, writes `BREAK_GLASS` with the reason, and lets [`Desk::open_chart`] open it from now
    /// on in this session. A chart that is not sensitive needs none and is refused one, so that the
    /// privacy office's list holds only what it should; the clerk's own record is refused whatever
    /// the reason.
    pub fn break_glass(&self, patient_id: i64, reason: &str, signature: &str) -> DeskResult<()> {
        self.require(Permission::ViewChart)?;
        if let Some(problem) = reason_problem(reason) {
            return Err(DeskError::Invalid(problem));
        }
        let patient = self
            .store
            .load_chart(patient_id)?
            .ok_or_else(|| DeskError::NotFound("that patient is no longer in the store".into()))?
            .patient;
        if !needs_break_glass(patient.sensitivity) {
            return Err(DeskError::Invalid(format!("{}'s chart is not restricted", patient.display_name())));
        }
        // The clerk's own record is refused before any code is asked of it.
        self.refuse_own_record(patient.patient_id, Some(patient.mrn.as_str()))?;
        self.check_signature_about(signature, Some((patient.patient_id, patient.mrn.as_str())))?;
        match self.may_open(&patient) {
            Ok(()) | Err(DeskError::SensitiveChart { .. }) => {}
            Err(e) => return Err(e),
        }
        let mut event = self.event(AuditAction::BreakGlass, "patient", Some(patient.mrn.to_string()), Some(patient_id));
        event.detail =
            format!("{} ({})", reason.split_whitespace().collect::<Vec<_>>().join(" "), patient.sensitivity.code());
        self.store.append_audit(event)?;
        match self.glass.lock() {
            Ok(mut set) => set.insert(patient_id),
            Err(poisoned) => poisoned.into_inner().insert(patient_id),
        };
        Ok(())
    }

    /// [`Desk::break_glass`] and [`Desk::open_chart`] for a chart named by MRN (the command line).
    pub fn open_chart_by_mrn_with_reason(
        &self,
        mrn: &str,
        reason: &str,
        signature: &str,
    ) -> DeskResult<crate::domain::chart::Chart> {
        self.require(Permission::ViewChart)?;
        let mrn = Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let patient =
            self.store.patient_by_mrn(&mrn)?.ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?;
        if needs_break_glass(patient.sensitivity) {
            self.break_glass(patient.patient_id, reason, signature)?;
        }
        self.open_chart(patient.patient_id)
    }

    // ---- the signature code -------------------------------------------------------------------

    /// Sets the signed-in user's first signature code, after the rules of `domain::privacy`. Only
    /// its Argon2id hash is stored; the event says it was set, never what. One who has a code
    /// changes it with [`Desk::change_signature`], giving the old one: whoever finds a session left
    /// open must not make the code theirs.
    pub fn set_signature(&self, code: &str) -> DeskResult<()> {
        if self.current_user()?.has_signature {
            return Err(DeskError::Invalid(
                "you have a signature code already: give it to change it (chartroom user signature asks for it)".into(),
            ));
        }
        self.store_signature(code)
    }

    /// Replaces the signed-in user's signature code, once `old` is checked as any code is (a wrong
    /// one counts toward the 15 minutes' rest). The new one is checked against the rules first, so
    /// a code refused for its form costs no try.
    pub fn change_signature(&self, old: &str, new: &str) -> DeskResult<()> {
        if let Some(problem) = signature_code_problem(new) {
            return Err(DeskError::Invalid(problem));
        }
        self.check_signature(old)?;
        self.store_signature(new)
    }

    /// Clears another user's signature code, so that they set a new one themselves: the Director's
    /// answer to a forgotten code, which never learns the new one. Not the Director's own, which is
    /// changed by giving it.
    pub fn clear_signature(&self, username: &str) -> DeskResult<()> {
        self.require(Permission::AdministerUsers)?;
        if username == self.user().username {
            return Err(DeskError::Invalid(
                "change your own signature code with chartroom user signature, giving the one you have".into(),
            ));
        }
        let user = self
            .store
            .user_by_name(username)?
            .ok_or_else(|| DeskError::NotFound(format!("no chartroom user {username:?}")))?;
        if !user.has_signature {
            return Err(DeskError::Invalid(format!("{} has no signature code to clear", user.username)));
        }
        let mut event = self.event(AuditAction::Update, "user", Some(user.username.clone()), None);
        event.detail = "signature code cleared, to be set again by its user".into();
        Ok(self.store.set_signature_hash(&user.username, None, event)?)
    }

    fn store_signature(&self, code: &str) -> DeskResult<()> {
        let user = self.current_user()?;
        if let Some(problem) = signature_code_problem(code) {
            return Err(DeskError::Invalid(problem));
        }
        // argon2 draws the salt itself from the system's random source.
        let hash = argon2::Argon2::default()
            .hash_password(code.as_bytes())
            .map_err(|e| DeskError::Invalid(format!("the signature code could not be hashed: {e}")))?
            .to_string();
        let mut event = self.event(AuditAction::Update, "user", Some(user.username.clone()), None);
        event.detail = if user.has_signature { "signature code changed" } else { SIGNATURE_SET }.into();
        Ok(self.store.set_signature_hash(&user.username, Some(&hash), event)?)
    }

    /// Whether `code` is the signed-in user's signature code: the one place a code is checked, on
    /// screen and on the command line alike. A wrong one is recorded (`ACCESS_DENIED`, never the
    /// code); after three within 15 minutes — counted from the audit trail, so neither a new session
    /// nor asking again resets them — no code is checked for 15 minutes, and each try meanwhile is
    /// refused and recorded. The caller records what a right code was for (an unlock, a break of
    /// the glass) or the lock the wrong ones cause on screen.
    pub fn check_signature(&self, code: &str) -> DeskResult<()> {
        self.check_signature_about(code, None)
    }

    /// [`Desk::check_signature`] for a code given to reach one patient's chart (breaking the
    /// glass): a wrong one is recorded against the patient too, so the access report of the chart
    /// lists the tries at it.
    fn check_signature_about(&self, code: &str, patient: Option<(i64, &str)>) -> DeskResult<()> {
        let user = self.current_user()?;
        let now = self.now();
        let wrong = self.wrong_codes(&user.username)?;
        if let Some(until) = codes_refused_until(&wrong, now) {
            let until = self.local_time(until).format("%H:%M").to_string();
            self.record_refusal(&format!("a signature code, not checked until {until} (three wrong ones)"));
            return Err(DeskError::CodesResting { until });
        }
        let stored = self
            .store
            .signature_hash(&user.username)?
            .ok_or_else(|| DeskError::NoSignature { user: user.username.clone() })?;
        let parsed = PasswordHash::new(&stored)
            .map_err(|_| DeskError::Invalid("your stored signature code is unreadable; set it again".into()))?;
        if argon2::Argon2::default().verify_password(code.as_bytes(), &parsed).is_ok() {
            return Ok(());
        }
        let mut event = self.event(
            AuditAction::AccessDenied,
            WRONG_CODE_ENTITY,
            patient.map(|(_, mrn)| mrn.to_string()),
            patient.map(|(id, _)| id),
        );
        event.detail = "wrong signature code".into();
        self.store.append_audit(event)?;
        let mut wrong = wrong;
        wrong.insert(0, now);
        Err(DeskError::WrongSignature { left: code_tries_left(&wrong, now) })
    }

    /// When the user's latest wrong codes came, newest first: as many as the rule reads, and only
    /// those since the user last set a code. A code set anew follows the Director's clearing of a
    /// forgotten one (changing one needs the old code, which the rest refuses): the wrong tries of
    /// the forgotten code are not the new one's.
    fn wrong_codes(&self, username: &str) -> DeskResult<Vec<chrono::DateTime<chrono::Utc>>> {
        let filter = AuditFilter {
            username: Some(username.to_string()),
            action: Some(AuditAction::AccessDenied),
            entity: Some(WRONG_CODE_ENTITY.into()),
            limit: CODE_TRIES,
            ..AuditFilter::default()
        };
        let wrong = self.store.list_audit(&filter)?.into_iter().map(|e| e.at);
        let set = AuditFilter {
            username: Some(username.to_string()),
            action: Some(AuditAction::Update),
            entity: Some("user".into()),
            limit: 20,
            ..AuditFilter::default()
        };
        let last_set = self
            .store
            .list_audit(&set)?
            .into_iter()
            .filter(|e| e.entity_id.as_deref() == Some(username) && e.detail == SIGNATURE_SET)
            .map(|e| e.at)
            .max();
        Ok(wrong.filter(|at| last_set.is_none_or(|set| *at >= set)).collect())
    }

    // ---- the session's lock -------------------------------------------------------------------

    /// Records that the session locked, and why.
    pub fn record_lock(&self, why: LockReason) -> DeskResult<()> {
        let mut event = self.event(AuditAction::Lock, "session", None, None);
        event.detail = why.detail().into();
        Ok(self.store.append_audit(event)?)
    }

    /// Resumes a locked session with the signature code, recording it.
    pub fn unlock(&self, code: &str) -> DeskResult<()> {
        self.check_signature(code)?;
        Ok(self.store.append_audit(self.event(AuditAction::Unlock, "session", None, None))?)
    }

    // ---- users' own records -------------------------------------------------------------------

    /// Links `username` to their own patient record (`mrn`), which the desk then refuses them;
    /// None unlinks. The director's (administer users).
    pub fn link_user(&self, username: &str, mrn: Option<&str>) -> DeskResult<User> {
        self.require(Permission::AdministerUsers)?;
        if self.store.user_by_name(username)?.is_none() {
            return Err(DeskError::NotFound(format!("no chartroom user {username:?}")));
        }
        let patient = match mrn {
            Some(mrn) => {
                let mrn = Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
                Some(
                    self.store
                        .patient_by_mrn(&mrn)?
                        .ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {mrn}")))?,
                )
            }
            None => None,
        };
        let mut event =
            self.event(AuditAction::Update, "user", Some(username.to_string()), patient.as_ref().map(|p| p.patient_id));
        event.detail =
            if patient.is_some() { "linked to their own patient record" } else { "unlinked from a patient record" }
                .into();
        Ok(self.store.link_user_patient(username, patient.map(|p| p.patient_id), event)?)
    }

    // ---- the privacy office -------------------------------------------------------------------

    /// The latest break-the-glass events, newest first, for the privacy screen.
    pub fn privacy_glass_events(&self, limit: usize) -> DeskResult<Vec<AuditEvent>> {
        self.require(Permission::ViewAudit)?;
        Ok(self.store.list_audit(&AuditFilter {
            action: Some(AuditAction::BreakGlass),
            limit,
            ..AuditFilter::default()
        })?)
    }
}
