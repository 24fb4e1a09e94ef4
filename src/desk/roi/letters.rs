//! Letters the desk produces for a request, and the templates they are made from. A letter is
//! filled from the template's current version (the built-in text, stored as version 1 the first
//! time it is used), written under the letters directory as text and PDF, and recorded with the
//! request in the change that caused it; when that change is refused, its files are taken back.

use super::super::{Desk, DeskError, DeskResult};
use crate::domain::audit::AuditAction;
use crate::domain::dates::us_date;
use crate::domain::roi::{ChecklistItem, LetterKind};
use crate::domain::role::Permission;
use crate::files::FileSharing;
use crate::report::roi_letters::{self, LetterValues};
use crate::store::roi::{LetterRecord, LetterTemplate, RoiRequest};
use chrono::NaiveDate;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A template as the desk shows it: the store's current version, or the built-in text when none
/// has been stored yet (`stored` false; it becomes version 1 when first used or edited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateView {
    pub kind: LetterKind,
    pub version: i64,
    pub text: String,
    pub saved_by: Option<String>,
    pub saved_at: Option<chrono::DateTime<chrono::Utc>>,
    pub stored: bool,
}

impl From<LetterTemplate> for TemplateView {
    fn from(t: LetterTemplate) -> Self {
        Self {
            kind: t.kind,
            version: t.version,
            text: t.text,
            saved_by: Some(t.saved_by),
            saved_at: Some(t.saved_at),
            stored: true,
        }
    }
}

/// What a letter says beyond the request itself.
#[derive(Debug, Clone, Default)]
pub(super) struct LetterFacts {
    pub date: Option<NaiveDate>,
    pub failed_items: Vec<ChecklistItem>,
    pub reason: String,
    pub extended_due_on: Option<NaiveDate>,
    pub extension_reason: String,
    /// The pages of the records a custodian's declaration covers.
    pub pages: Option<i64>,
    /// A custodian's declaration: what the packet withheld, in words (`packet::withheld_words`).
    pub withheld: String,
}

/// A letter made for a change: its record for the store and the files written for it.
pub(super) struct Produced {
    pub record: LetterRecord,
    pub files: Vec<PathBuf>,
}

impl Produced {
    /// Takes the files back: the change that was to record the letter was not written.
    pub fn withdraw(&self) {
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
    }
}

impl Desk {
    /// Every letter template, the current version of each (the built-in text where none is stored).
    pub fn letter_templates(&self) -> DeskResult<Vec<TemplateView>> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests, Permission::ManageRules])?;
        let stored = self.store().letter_templates()?;
        Ok(LetterKind::ALL
            .iter()
            .map(|kind| match stored.iter().find(|t| t.kind == *kind) {
                Some(t) => TemplateView::from(t.clone()),
                None => built_in(*kind),
            })
            .collect())
    }

    /// One template, current; with `version`, that version (letters name the one they used).
    pub fn letter_template(&self, kind: LetterKind, version: Option<i64>) -> DeskResult<TemplateView> {
        self.require_any(&[Permission::ReleaseRecords, Permission::LogRequests, Permission::ManageRules])?;
        let history = self.store().letter_template_history(kind)?;
        match version {
            None => Ok(history.last().cloned().map_or_else(|| built_in(kind), TemplateView::from)),
            Some(1) if history.is_empty() => Ok(built_in(kind)),
            Some(v) => history.into_iter().find(|t| t.version == v).map(TemplateView::from).ok_or_else(|| {
                DeskError::NotFound(format!("the {} template has no version {v}", kind.title().to_lowercase()))
            }),
        }
    }

    /// Saves a Director's new text for a template as its next version. `seen_version` is the
    /// version the Director edited: another's save since is refused, naming who. The built-in text
    /// is stored first as version 1 when it never was, so that the history holds what earlier
    /// letters were made from.
    pub fn save_letter_template(
        &self,
        kind: LetterKind,
        text: &str,
        seen_version: Option<i64>,
    ) -> DeskResult<LetterTemplate> {
        self.require_permission(Permission::ManageRules)?;
        let text = text.replace("\r\n", "\n");
        roi_letters::check_template(kind, &text).map_err(|problems| {
            DeskError::Invalid(format!(
                "the {} template was not saved: {}",
                kind.title().to_lowercase(),
                problems.join("; ")
            ))
        })?;
        let current = self.current_template(kind)?;
        if let Some(seen) = seen_version
            && seen != current.version
        {
            return Err(DeskError::Invalid(format!(
                "the {} template was changed by {} at {} (now version {}) since you opened version {seen}; \
                 nothing was saved — open it again",
                kind.title().to_lowercase(),
                current.saved_by,
                self.local_time(current.saved_at).format("%m/%d/%Y %H:%M"),
                current.version
            )));
        }
        if current.text.trim_end() == text.trim_end() {
            return Err(DeskError::Invalid(format!(
                "the {} template is unchanged (version {}); nothing was saved",
                kind.title().to_lowercase(),
                current.version
            )));
        }
        let audit = self.audit_event(
            AuditAction::Update,
            "letter_template",
            format!("{}: version {} saved", kind.code(), current.version + 1),
        );
        Ok(self.store().save_letter_template(kind, &text, &self.user().username, self.now(), audit)?)
    }

    /// The template a letter of `kind` is made from now: the stored current version, or the
    /// built-in text stored as version 1 (with its event) on this first use.
    pub(super) fn current_template(&self, kind: LetterKind) -> DeskResult<LetterTemplate> {
        if let Some(current) = self.store().letter_template_history(kind)?.pop() {
            return Ok(current);
        }
        let text = roi_letters::default_template(kind);
        if text.is_empty() {
            // A kind with no built-in text (the Part 2 notice) is never stored empty: it stays
            // unconfigured, version 0, until a Director saves its wording as version 1.
            return Ok(LetterTemplate {
                kind,
                version: 0,
                text,
                saved_by: String::new(),
                saved_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
            });
        }
        let audit = self.audit_event(
            AuditAction::Create,
            "letter_template",
            format!("{}: version 1 (the built-in text) stored on first use", kind.code()),
        );
        match self.store().save_letter_template(kind, &text, "chartroom", self.now(), audit) {
            Ok(saved) => Ok(saved),
            // Another clerk's first letter of this kind stored it a moment before.
            Err(e) => match self.store().letter_template_history(kind)?.pop() {
                Some(current) => Ok(current),
                None => Err(e.into()),
            },
        }
    }

    /// Makes a letter of `kind` for `request` and writes it (text and PDF) under `letters_dir`.
    /// The caller records it with its change, or withdraws it when the change is refused.
    pub(super) fn produce_letter(
        &self,
        kind: LetterKind,
        request: &RoiRequest,
        facts: LetterFacts,
        letters_dir: Option<&Path>,
    ) -> DeskResult<Produced> {
        let template = self.current_template(kind)?;
        let date = facts.date.unwrap_or_else(|| self.today());
        let facility = self.store().list_facilities()?.into_iter().find(|f| f.id == request.facility_id);
        let legal = request.legal_process.as_ref();
        let values = LetterValues {
            date: Some(date),
            facility_name: facility.map(|f| f.name).unwrap_or_default(),
            request_number: request.number.to_string(),
            request_type: request.request_type.title().to_string(),
            received_on: Some(request.received_on),
            due: due_phrase(request),
            patient_name: request.patient_name.clone(),
            patient_birth_date: request.birth_date,
            requester_name: request.requester.name.clone(),
            requester_organization: request.requester.organization.clone(),
            requester_address: request.requester.address.clone(),
            failed_items: facts.failed_items,
            extended_due_on: facts.extended_due_on,
            extension_reason: facts.extension_reason,
            reason: facts.reason,
            signer: self.user().display_name.clone(),
            case_caption: legal.map(|l| l.caption.clone()).unwrap_or_default(),
            case_number: legal.map(|l| l.case_number.clone()).unwrap_or_default(),
            court: legal.map(|l| l.court.clone()).unwrap_or_default(),
            served_on: legal.map(|l| l.served_on),
            pages: facts.pages,
            withheld: facts.withheld,
        };
        let text = roi_letters::render(&template.text, &values);
        let files = match letters_dir {
            Some(dir) => write_letter(dir, date, &request.number.to_string(), kind, &text, self.file_sharing())?,
            None => Vec::new(),
        };
        let record = LetterRecord {
            kind,
            template_version: template.version,
            text,
            by: self.user().username.clone(),
            at: self.now(),
        };
        Ok(Produced { record, files })
    }
}

fn built_in(kind: LetterKind) -> TemplateView {
    let text = roi_letters::default_template(kind);
    TemplateView {
        kind,
        // Nothing to store as version 1 when there is no built-in text: the first save is.
        version: if text.is_empty() { 0 } else { 1 },
        text,
        saved_by: None,
        saved_at: None,
        stored: false,
    }
}

/// `by 03/24/2025 (TX HSC 181.102: 15 business days)`, or what the date waits for.
pub(crate) fn due_phrase(request: &RoiRequest) -> String {
    let due = &request.due;
    match due.due_on {
        Some(on) => format!("by {} ({})", us_date(on), due.due_rule),
        None if due.clocks.iter().any(|c| c.waits_for.is_some()) => {
            format!("once payment is received ({})", due.due_rule)
        }
        None => format!("as soon as we can ({})", due.due_rule),
    }
}

/// `letters/2025-03-04/RGH-00042-deficient_authorization.txt` and its PDF, written privately and
/// never over another letter (a second one of a kind on a day is `-2`). The PDF first and the text
/// last, as the deficiency notices do: a letter whose text is on disk is whole.
fn write_letter(
    dir: &Path,
    date: NaiveDate,
    number: &str,
    kind: LetterKind,
    text: &str,
    sharing: FileSharing,
) -> DeskResult<Vec<PathBuf>> {
    let day_dir = dir.join(date.format("%Y-%m-%d").to_string());
    let unwritable = |path: &Path, source: std::io::Error| DeskError::File {
        what: format!(
            "could not write the letter {} (nothing was recorded; make the letters directory writable for this \
             account and try again)",
            path.display()
        ),
        source,
    };
    crate::files::create_dir(&day_dir, sharing).map_err(|e| unwritable(&day_dir, e))?;
    // The custodian's papers go sealed to the court: only the custodian who made them reads them
    // until they are sent; other letters are the department's to share.
    let sharing = match kind {
        LetterKind::CustodianAffidavit | LetterKind::EnvelopeLabels => FileSharing::Private,
        _ => sharing,
    };
    let pdf = crate::report::pdf::text_to_pdf(text).map_err(|e| DeskError::Invalid(e.to_string()))?;
    for nth in 1..1000 {
        let path = day_dir.join(roi_letters::file_name(number, kind, nth));
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
    Err(DeskError::Invalid(format!("{number} has a thousand {} letters on {date}; none more was written", kind.code())))
}
