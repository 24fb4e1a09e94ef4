//! The accounting of disclosures at the desk (164.528, AS-24, AS-25): recording a disclosure made
//! without a request, voiding one (never deleting it), an agency's suspension, and the accounting
//! itself — read, printed, and delivered with its fee step.

use super::intake::{MAX_PAGES, dollars};
use crate::desk::{Desk, DeskError, DeskResult, checked_date};
use crate::domain::audit::AuditAction;
use crate::domain::dates::us_date;
use crate::domain::patient::PatientRow;
use crate::domain::roi::LegalBasis;
use crate::domain::roi::accounting::{
    self, AccountingFee, Statement, Suspension, disclosure_label, parse_disclosure_label,
};
use crate::domain::role::Permission;
use crate::domain::text::control_character_problem;
use crate::report::accounting::{AccountingPatient, AccountingReport, accounting_text};
use crate::store::StoreError;
use crate::store::roi::{
    AccountingDelivery, DisclosureVoid, NewDisclosure, StoredDisclosure, StoredSuspension, VoidedRelease,
};
use chrono::NaiveDate;
use std::path::{Path, PathBuf};

/// The longest recipient, address, description, purpose or reason kept: a line of a form, not a
/// document.
const MAX_FIELD: usize = 500;

/// A disclosure made without a request, as a clerk enters it (`disclosure add`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DisclosureForm {
    pub mrn: String,
    pub date: Option<NaiveDate>,
    pub recipient: String,
    pub address: String,
    pub description: String,
    pub purpose: String,
    /// A `LegalBasis` code: public_health, judicial, law_enforcement, oversight, …
    pub basis: String,
    pub pages: i64,
}

/// What the clerk asked to deliver: the repeat accounting's fee is the fee schedule's cost-based
/// amount, which the clerk quotes (the fees slice will supply it), and is taken only once the
/// patient chose to proceed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivery {
    pub proceed: bool,
    pub cost_based_cents: Option<i64>,
}

fn field(what: &str, raw: &str, required: bool) -> DeskResult<String> {
    if let Some(problem) = control_character_problem(what, raw) {
        return Err(DeskError::Invalid(problem));
    }
    let text = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if required && text.is_empty() {
        return Err(DeskError::Invalid(format!("say the {what}")));
    }
    if text.chars().count() > MAX_FIELD {
        return Err(DeskError::Invalid(format!("the {what} is longer than {MAX_FIELD} characters")));
    }
    Ok(text)
}

/// An address keeps its lines (as the address book's do), each checked and tidied as a field.
fn address_field(raw: &str) -> DeskResult<String> {
    let lines = raw.lines().map(|line| field("recipient's address", line, false)).collect::<DeskResult<Vec<_>>>()?;
    let address = lines.into_iter().filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
    if address.chars().count() > MAX_FIELD {
        return Err(DeskError::Invalid(format!("the recipient's address is longer than {MAX_FIELD} characters")));
    }
    Ok(address)
}

impl Desk {
    fn accounting_patient(&self, mrn: &str) -> DeskResult<PatientRow> {
        let parsed = crate::domain::mrn::Mrn::parse(mrn).map_err(|e| DeskError::Invalid(e.to_string()))?;
        let patient = self
            .store()
            .patient_by_mrn(&parsed)?
            .ok_or_else(|| DeskError::NotFound(format!("no patient has MRN {parsed}")))?;
        self.refuse_own_record(patient.patient_id, Some(parsed.as_str()))?;
        Ok(patient)
    }

    fn day_not_after_today(&self, what: &str, on: NaiveDate) -> DeskResult<NaiveDate> {
        checked_date(on)?;
        if on > self.today() {
            return Err(DeskError::Invalid(format!(
                "{what} {} is after today ({}): record it once it has happened",
                us_date(on),
                us_date(self.today())
            )));
        }
        Ok(on)
    }

    /// Whether the signed-in clerk may void a disclosure: the screen offers Void only then.
    pub fn may_void_disclosures(&self) -> bool {
        self.can(Permission::VoidRecords)
    }

    /// Records a disclosure made without a request (a public-health report, an abuse report, a
    /// required-by-law one); whether it is in an accounting follows from its legal basis and day.
    pub fn record_disclosure(&self, form: &DisclosureForm) -> DeskResult<StoredDisclosure> {
        self.require_permission(Permission::ReleaseRecords)?;
        let patient = self.accounting_patient(&form.mrn)?;
        let on = self.day_not_after_today("the disclosure's date", form.date.unwrap_or(self.today()))?;
        if on < patient.birth_date {
            return Err(DeskError::Invalid(format!(
                "{}: that is before {} was born ({})",
                us_date(on),
                patient.mrn,
                us_date(patient.birth_date)
            )));
        }
        let basis = LegalBasis::parse(&form.basis).map_err(|e| DeskError::Invalid(e.to_string()))?;
        if !(0..=MAX_PAGES).contains(&form.pages) {
            return Err(DeskError::Invalid(format!("{} pages: 0 to {MAX_PAGES}", form.pages)));
        }
        let new = NewDisclosure {
            patient_id: patient.patient_id,
            disclosed_on: on,
            recipient: field("recipient", &form.recipient, true)?,
            recipient_address: address_field(&form.address)?,
            description: field("description of what was disclosed", &form.description, true)?,
            purpose: field("purpose", &form.purpose, true)?,
            legal_basis: basis,
            accountable: accounting::accountable(basis, on),
            pages: form.pages,
            by: self.user().username.clone(),
        };
        let detail = format!(
            "Disclosed {} to {} ({}; {})",
            us_date(on),
            new.recipient,
            basis.title().to_lowercase(),
            if new.accountable { "in an accounting of disclosures" } else { "not in an accounting" }
        );
        let mut event = self.audit_event(AuditAction::Create, "disclosure", detail);
        event.patient_id = Some(patient.patient_id);
        Ok(self.store().record_disclosure(new, event)?)
    }

    /// A disclosure by the name a clerk sees (`D-118`).
    pub fn disclosure(&self, label: &str) -> DeskResult<StoredDisclosure> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests, Permission::VoidRecords])?;
        let id = parse_disclosure_label(label).ok_or_else(|| {
            DeskError::Invalid(format!(
                "{:?} is not a disclosure; they are named like D-118",
                super::intake::shown(label)
            ))
        })?;
        let found = self
            .store()
            .disclosure(id)?
            .ok_or_else(|| DeskError::NotFound(format!("no disclosure {}", disclosure_label(id))))?;
        self.refuse_own_record(found.patient_id, None)?;
        Ok(found)
    }

    /// A patient's disclosures over the six years to `on`, voided ones too, recorded as a look at
    /// the patient.
    pub fn patient_disclosures(&self, mrn: &str, on: NaiveDate) -> DeskResult<Vec<StoredDisclosure>> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests, Permission::VoidRecords])?;
        let patient = self.accounting_patient(mrn)?;
        let (from, to) = crate::domain::roi::clocks::accounting_period(checked_date(on)?);
        let found = self.store().patient_disclosures(patient.patient_id, from, to)?;
        let mut event = self.audit_event(AuditAction::ViewPatient, "disclosure", "listed the disclosures".into());
        event.patient_id = Some(patient.patient_id);
        self.store().append_audit(event)?;
        Ok(found)
    }

    /// Voids a disclosure entered in error (AS-25): it leaves the accounting and stays in the store
    /// and the audit trail, whose event holds it before and after.
    pub fn void_disclosure(&self, label: &str, reason: &str) -> DeskResult<StoredDisclosure> {
        self.require_permission(Permission::VoidRecords)?;
        let reason = field("reason", reason, true)?;
        let before = self.disclosure(label)?;
        let name = disclosure_label(before.disclosure.id);
        if let Some(v) = &before.void {
            return Err(DeskError::Invalid(format!(
                "{name} was already voided by {} on {}: {}",
                v.by,
                us_date(self.local_time(v.at).date()),
                v.reason
            )));
        }
        let d = &before.disclosure;
        let detail = format!(
            "Voided {name}: {reason}. Before: {} to {} ({}), {}. After: voided by {}, in no accounting",
            us_date(d.disclosed_on),
            d.recipient,
            d.legal_basis.title().to_lowercase(),
            if d.accountable { "in the accounting of disclosures" } else { "not in an accounting" },
            self.user().username
        );
        let mut event = self.audit_event(AuditAction::Void, "disclosure", detail);
        event.patient_id = Some(before.patient_id);
        let released = match &d.request {
            Some(number) => Some(self.release_after_void(number, &name, d.disclosed_on, &reason)?),
            None => None,
        };
        let void = DisclosureVoid { at: self.now(), by: self.user().username.clone(), reason };
        match self.store().void_disclosure(d.id, void, released, event) {
            Ok(after) => Ok(after),
            Err(StoreError::Conflict) => match self.store().disclosure(d.id)? {
                Some(now) if now.void.is_none() => Err(DeskError::Invalid(format!(
                    "{} changed meanwhile; {name} was not voided, void it again",
                    d.request.as_deref().unwrap_or("its request")
                ))),
                _ => Err(DeskError::Invalid(format!(
                    "{name} was voided by someone else meanwhile; nothing more was done"
                ))),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// What voiding a disclosure of request `number`, made on `disclosed_on`, does to the request:
    /// its release moves to its next disclosure not voided, or it stands released no more (the
    /// Director's turnaround counts to that day).
    fn release_after_void(
        &self,
        number: &str,
        name: &str,
        disclosed_on: NaiveDate,
        reason: &str,
    ) -> DeskResult<VoidedRelease> {
        let request = self.request_by_number(number)?;
        let days: Vec<NaiveDate> = request.disclosures.iter().map(|d| d.disclosed_on).collect();
        let released_on = accounting::first_release_after_void(&days, disclosed_on);
        let now = match released_on {
            Some(day) => format!("released {} by its first disclosure standing", us_date(day)),
            None => "no release of it stands".to_string(),
        };
        Ok(VoidedRelease {
            request_id: request.id,
            expected_version: request.version,
            released_on,
            detail: format!("Voided {name} of {}: {reason}; {now}", us_date(disclosed_on)),
        })
    }

    /// Logs an agency's statement suspending one patient's accounting of its disclosures
    /// (164.528(a)(2)): written, with the day its entries show again; oral, for 30 days.
    pub fn add_accounting_suspension(
        &self,
        mrn: &str,
        agency: &str,
        logged_on: NaiveDate,
        written_until: Option<NaiveDate>,
    ) -> DeskResult<StoredSuspension> {
        self.require_permission(Permission::ReleaseRecords)?;
        let patient = self.accounting_patient(mrn)?;
        let agency = field("agency", agency, true)?;
        let logged_on = self.day_not_after_today("the statement's date", logged_on)?;
        let statement = match written_until {
            Some(until) => {
                checked_date(until)?;
                if until <= logged_on {
                    return Err(DeskError::Invalid(format!(
                        "a written statement's end ({}) must come after the day it was logged ({})",
                        us_date(until),
                        us_date(logged_on)
                    )));
                }
                Statement::Written { until }
            }
            None => Statement::Oral,
        };
        let suspension = Suspension { agency, logged_on, statement };
        let detail = format!(
            "Suspended the accounting of disclosures to {} ({} statement logged {}) until {}",
            suspension.agency,
            if written_until.is_some() { "written" } else { "oral" },
            us_date(logged_on),
            us_date(suspension.ends_on())
        );
        let mut event = self.audit_event(AuditAction::Create, "accounting_suspension", detail);
        event.patient_id = Some(patient.patient_id);
        let by = self.user().username.clone();
        Ok(self.store().add_accounting_suspension(patient.patient_id, suspension, &by, self.now(), event)?)
    }

    /// A patient's accounting of disclosures for a request made on `requested_on` (AS-24), with its
    /// fee as it would be; recorded as a look at the patient.
    pub fn accounting(
        &self,
        mrn: &str,
        requested_on: NaiveDate,
        cost_based_cents: Option<i64>,
    ) -> DeskResult<AccountingReport> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        let report = self.read_accounting(mrn, requested_on, cost_based_cents)?;
        let detail = format!("viewed the accounting of disclosures as of {}", us_date(requested_on));
        let mut event = self.audit_event(AuditAction::ViewPatient, "accounting", detail);
        event.patient_id = Some(report.patient.patient_id);
        self.store().append_audit(event)?;
        Ok(report)
    }

    /// The accounting on screen read again to follow others' work on it: not another look, so no
    /// event (as [`Desk::reread_roi_request`]).
    pub fn reread_accounting(&self, mrn: &str, requested_on: NaiveDate) -> DeskResult<AccountingReport> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        self.read_accounting(mrn, requested_on, None)
    }

    fn read_accounting(
        &self,
        mrn: &str,
        requested_on: NaiveDate,
        cost_based_cents: Option<i64>,
    ) -> DeskResult<AccountingReport> {
        let patient = self.accounting_patient(mrn)?;
        let requested_on = self.day_not_after_today("the request's date", requested_on)?;
        if requested_on < patient.birth_date {
            return Err(DeskError::Invalid(format!(
                "{} is before {} was born ({}): no accounting can be asked for then",
                us_date(requested_on),
                patient.mrn,
                us_date(patient.birth_date)
            )));
        }
        if let Some(problem) = cost_based_cents.and_then(crate::domain::roi::fees::amount_problem) {
            return Err(DeskError::Invalid(format!("the accounting's fee: {problem}")));
        }
        let (from, to) = crate::domain::roi::clocks::accounting_period(requested_on);
        let disclosures: Vec<_> =
            self.store().patient_disclosures(patient.patient_id, from, to)?.into_iter().map(|d| d.disclosure).collect();
        let suspensions: Vec<Suspension> =
            self.store().accounting_suspensions(patient.patient_id)?.into_iter().map(|s| s.suspension).collect();
        // The 12 months run between requests (AS-24: the second request, 2025-06-10), counting
        // only those delivered: one the patient withdrew at the fee step was never recorded.
        let earlier: Vec<NaiveDate> =
            self.store().accounting_deliveries(patient.patient_id)?.iter().map(|d| d.requested_on).collect();
        // A repeat accounting costs what the Director's HIPAA-528 schedule says; a clerk types
        // the amount only while no schedule sets one, and never against it.
        let scheduled = crate::domain::roi::fees::repeat_accounting_fee(&self.store().fee_schedules()?, requested_on);
        let cost_based_cents = match (scheduled, cost_based_cents) {
            (Some(set), Some(typed)) if typed != set => {
                return Err(DeskError::Invalid(format!(
                    "the fee schedule HIPAA-528 sets a repeat accounting at {}; --fee is only for when it sets none",
                    dollars(set)
                )));
            }
            (Some(set), _) => Some(set),
            (None, typed) => typed,
        };
        let fee = accounting::accounting_fee(&earlier, requested_on, cost_based_cents);
        Ok(AccountingReport {
            patient: AccountingPatient {
                patient_id: patient.patient_id,
                mrn: patient.mrn.to_string(),
                name: patient.display_name(),
                birth_date: patient.birth_date,
            },
            accounting: accounting::accounting(&disclosures, &suspensions, requested_on, fee),
        })
    }

    /// Writes the patient's copy as a PDF at `path`, recorded as an export.
    pub fn print_accounting(&self, report: &AccountingReport, path: &Path) -> DeskResult<()> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        self.refuse_own_record(report.patient.patient_id, Some(&report.patient.mrn))?;
        let pdf = crate::report::pdf::text_to_pdf(&accounting_text(report, true))
            .map_err(|e| DeskError::Invalid(e.to_string()))?;
        // The clerk named the file: one already there (or a link planted at the name) is refused,
        // never written over or through.
        if crate::files::taken(path) {
            return Err(DeskError::Invalid(format!(
                "{} is already there; name a new file for the PDF (nothing was written)",
                path.display()
            )));
        }
        crate::files::write_new(path, &pdf, self.file_sharing())
            .map_err(|source| DeskError::File { what: format!("could not write {}", path.display()), source })?;
        let detail = format!("printed the accounting of disclosures as of {}", us_date(report.accounting.requested_on));
        let mut event = self.audit_event(AuditAction::Export, "accounting", detail);
        event.patient_id = Some(report.patient.patient_id);
        if let Err(e) = self.store().append_audit(event) {
            // A copy of PHI whose export is not in the audit trail must not be left behind.
            let _ = std::fs::remove_file(path);
            return Err(e.into());
        }
        Ok(())
    }

    /// Prints the patient's copy, text and PDF, under `dir` by day (as letters are), recorded as an
    /// export; not a delivery.
    pub fn file_accounting(&self, report: &AccountingReport, dir: &Path) -> DeskResult<Vec<PathBuf>> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests])?;
        self.refuse_own_record(report.patient.patient_id, Some(&report.patient.mrn))?;
        let files = write_accounting(dir, self.today(), report, self.file_sharing())?;
        let detail = format!("printed the accounting of disclosures as of {}", us_date(report.accounting.requested_on));
        let mut event = self.audit_event(AuditAction::Export, "accounting", detail);
        event.patient_id = Some(report.patient.patient_id);
        if let Err(e) = self.store().append_audit(event) {
            // As a print not in the audit trail: its files go.
            for file in &files {
                let _ = std::fs::remove_file(file);
            }
            return Err(e.into());
        }
        Ok(files)
    }

    /// Delivers the accounting to the patient: its text and PDF under `dir` (by day, as letters
    /// are), and its delivery recorded, so that the next within 12 months is not free. A repeat one
    /// is refused with its quote until the patient chose to proceed; then it needs the amount.
    pub fn deliver_accounting(
        &self,
        mrn: &str,
        requested_on: NaiveDate,
        delivery: Delivery,
        dir: &Path,
    ) -> DeskResult<(AccountingReport, Vec<PathBuf>)> {
        self.require_permission(Permission::ReleaseRecords)?;
        let report = self.read_accounting(mrn, requested_on, delivery.cost_based_cents)?;
        let fee_cents = match report.accounting.fee {
            AccountingFee::Free => 0,
            AccountingFee::Quote { previous, cents } => {
                if !delivery.proceed {
                    return Err(DeskError::Invalid(format!(
                        "{} was given an accounting requested on {}: this one, within 12 months, carries a cost-based fee \
                         ({}). Tell the patient; they may withdraw the request. Deliver it with --proceed once they \
                         choose to go ahead",
                        report.patient.mrn,
                        us_date(previous),
                        cents.map_or("the fee schedule's amount; give it with --fee".into(), dollars)
                    )));
                }
                cents.ok_or_else(|| {
                    DeskError::Invalid(
                        "a repeat accounting's fee is the fee schedule's cost-based amount: give it with --fee".into(),
                    )
                })?
            }
        };
        let files = write_accounting(dir, self.today(), &report, self.file_sharing())?;
        let detail = format!(
            "Delivered the accounting of disclosures as of {} ({}; fee {})",
            us_date(requested_on),
            crate::domain::text::plural(report.accounting.entries.len(), "entry", "entries"),
            dollars(fee_cents)
        );
        let mut event = self.audit_event(AuditAction::Export, "accounting", detail);
        event.patient_id = Some(report.patient.patient_id);
        let record = AccountingDelivery {
            patient_id: report.patient.patient_id,
            requested_on,
            delivered_on: self.today(),
            fee_cents,
            by: self.user().username.clone(),
            at: self.now(),
        };
        if let Err(e) = self.store().record_accounting_delivery(record, event) {
            // Not recorded, so not delivered: the files written for it go.
            for file in &files {
                let _ = std::fs::remove_file(file);
            }
            return Err(e.into());
        }
        Ok((report, files))
    }
}

/// `accountings/2025-03-03/204511-accounting.txt` and its PDF, written privately and never over
/// another (a second on a day is `-2`). The PDF first and the text last: an accounting whose text
/// is on disk is whole.
fn write_accounting(
    dir: &Path,
    on: NaiveDate,
    report: &AccountingReport,
    sharing: crate::files::FileSharing,
) -> DeskResult<Vec<PathBuf>> {
    let day_dir = dir.join(on.format("%Y-%m-%d").to_string());
    let unwritable = |path: &Path, source: std::io::Error| DeskError::File {
        what: format!(
            "could not write the accounting {} (nothing was recorded; make the directory writable for this account \
             and try again)",
            path.display()
        ),
        source,
    };
    crate::files::create_dir(&day_dir, sharing).map_err(|e| unwritable(&day_dir, e))?;
    let text = accounting_text(report, true);
    let pdf = crate::report::pdf::text_to_pdf(&text).map_err(|e| DeskError::Invalid(e.to_string()))?;
    for nth in 1..1000 {
        let name = match nth {
            1 => format!("{}-accounting.txt", report.patient.mrn),
            n => format!("{}-accounting-{n}.txt", report.patient.mrn),
        };
        let path = day_dir.join(name);
        let pdf_path = path.with_extension("pdf");
        if path.exists() || pdf_path.exists() {
            continue;
        }
        crate::files::write_private(&pdf_path, &pdf, sharing).map_err(|e| unwritable(&pdf_path, e))?;
        if let Err(e) = crate::files::write_private(&path, text.as_bytes(), sharing) {
            let _ = std::fs::remove_file(&pdf_path);
            return Err(unwritable(&path, e));
        }
        return Ok(vec![path, pdf_path]);
    }
    Err(DeskError::Invalid(format!("{} has a thousand accountings on {on}; none more was written", report.patient.mrn)))
}
