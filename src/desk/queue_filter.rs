//! What a clerk asked the deficiency queue to show, checked against what the store holds.
//!
//! `:filter type=BOGUS` and `deficiencies list --type BOGUS` once listed nothing and said nothing, so
//! a clerk read "no work" where she had only misspelled a code. The terminal program and the command
//! line both come through [`Desk::queue_filter`], which refuses a value no item can carry and names
//! the ones that exist.

use super::{Desk, DeskError, DeskResult};
use crate::domain::chart::DeficiencyStatus;
use crate::domain::mrn::Mrn;
use crate::domain::role::Permission;
use crate::domain::text::clean;
use crate::store::{ClaimFilter, QueueFilter, QueueVocabulary};

/// What a queue filter can be narrowed by, as typed: `type=DS-D`, `--service SURGERY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    Type,
    Category,
    Service,
    Facility,
    Status,
    Mrn,
    /// Whose work: `claim=mine`, `claim=unclaimed`, `claim=mlee`, `claim=all`.
    Claim,
}

impl FilterKey {
    pub const ALL: [Self; 7] =
        [Self::Type, Self::Category, Self::Service, Self::Facility, Self::Status, Self::Mrn, Self::Claim];

    pub fn name(self) -> &'static str {
        match self {
            Self::Type => "type",
            Self::Category => "category",
            Self::Service => "service",
            Self::Facility => "facility",
            Self::Status => "status",
            Self::Mrn => "mrn",
            Self::Claim => "claim",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(text.trim()))
    }

    /// `type, category, service, facility, status, mrn or claim`, for messages.
    pub fn listed() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
        format!("{} or {}", names[..names.len() - 1].join(", "), names[names.len() - 1])
    }
}

/// How many known values a refusal names before it says how many more there are.
const LISTED: usize = 24;

impl Desk {
    /// `base` narrowed by each `(key, value)`, every value checked against what the store holds.
    /// Codes are matched without regard to case and kept in the store's spelling.
    pub fn queue_filter(&self, base: QueueFilter, terms: &[(FilterKey, String)]) -> DeskResult<QueueFilter> {
        self.require_any(&[Permission::ManageDeficiencies, Permission::ViewReports, Permission::CompleteDeficiencies])?;
        let needs_vocabulary = terms.iter().any(|(k, _)| {
            matches!(k, FilterKey::Type | FilterKey::Category | FilterKey::Service | FilterKey::Facility)
        });
        let vocabulary = if needs_vocabulary { self.store().queue_vocabulary()? } else { QueueVocabulary::default() };
        let mut filter = base;
        for (key, value) in terms {
            let value = value.trim();
            match key {
                FilterKey::Type => filter.type_code = Some(known("deficiency type", value, &vocabulary.types)?),
                FilterKey::Category => filter.category = Some(known("category", value, &vocabulary.categories)?),
                FilterKey::Service => filter.service = Some(known("service", value, &vocabulary.services)?),
                FilterKey::Facility => filter.facility = Some(known("facility", value, &vocabulary.facilities)?),
                FilterKey::Status => {
                    let codes: Vec<String> = DeficiencyStatus::ALL.iter().map(|s| s.code().to_string()).collect();
                    let code = known("status", value, &codes)?;
                    filter.status = DeficiencyStatus::from_code(&code);
                }
                FilterKey::Mrn => {
                    let mrn = Mrn::parse(value).map_err(|e| DeskError::Invalid(e.to_string()))?;
                    if self.store().patient_by_mrn(&mrn)?.is_none() {
                        return Err(DeskError::NotFound(format!("no patient has MRN {mrn}")));
                    }
                    filter.mrn = Some(mrn);
                }
                FilterKey::Claim => filter.claimed = self.claim_filter(value)?,
            }
        }
        Ok(filter)
    }

    /// `mine`, `unclaimed` (or `nobody`), `all`, or a chartroom user's name.
    pub fn claim_filter(&self, value: &str) -> DeskResult<Option<ClaimFilter>> {
        Ok(match value.trim().to_ascii_lowercase().as_str() {
            "mine" | "me" => Some(ClaimFilter::By(self.user().username.clone())),
            "unclaimed" | "nobody" | "none" => Some(ClaimFilter::Unclaimed),
            "all" | "any" => None,
            name => match self.store().user_by_name(name)? {
                Some(user) => Some(ClaimFilter::By(user.username)),
                None => {
                    let shown: String = clean(value).chars().take(30).collect();
                    return Err(DeskError::Invalid(format!(
                        "claim={shown}: no such user; claim= takes mine, unclaimed, all or a user's name"
                    )));
                }
            },
        })
    }
}

/// `value` in the store's spelling, or a refusal naming what exists.
fn known(what: &str, value: &str, values: &[String]) -> DeskResult<String> {
    if let Some(found) = values.iter().find(|v| v.eq_ignore_ascii_case(value)) {
        return Ok(found.clone());
    }
    let shown: String = clean(value).chars().take(30).collect();
    let listed = if values.is_empty() {
        "none exist yet".to_string()
    } else {
        let mut names: Vec<String> = values.iter().take(LISTED).map(|v| clean(v).into_owned()).collect();
        if values.len() > LISTED {
            names.push(format!("and {} more", values.len() - LISTED));
        }
        format!("known: {}", names.join(", "))
    };
    Err(DeskError::Invalid(format!("no {what} {shown:?}; {listed}")))
}
