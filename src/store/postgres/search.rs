//! Patient search on PostgreSQL: the SQLite store's statements (`sqlite/search.rs`), one for one,
//! with the same keys, tiers and ranking, so both backends list the same rows in the same order.
//!
//! Names are ranked in tiers — exact family name, then family-name prefix, then sound-alike — each
//! an index range scan with a LIMIT. With a birth date, everyone born that day (and on its one-slip
//! variants) is ranked here on the name keys the date's index holds, and only the rows of the page
//! shown are read from the table. Lists are bound as arrays (`= ANY($1)`), so each shape is one
//! prepared statement whatever the number of codes or dates.

use super::PgResult;
use crate::domain::mrn::Mrn;
use crate::domain::names::prefix_upper_bound;
use crate::domain::patient::{MatchKind, PatientRow, Sensitivity, Sex};
use crate::store::{NameLookup, Page, PatientLookup, SearchPage, StoreError};
use crate::store::{StoredKeys, name_match};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::GenericClient;
use std::collections::HashMap;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The columns every search returns, in the order [`row_to_patient`] reads them. The last visit is
/// one index probe per row on `encounter_patient`, paid only for the rows on the page.
const COLUMNS: &str = "p.id, p.mrn, p.family, p.given, p.middle, p.birth_date, p.sex, p.ssn_last4, p.deceased_on, \
     p.sensitivity, (SELECT max(e.admit_at) FROM encounter e WHERE e.patient_id = p.id), p.family_key, p.given_key";

pub(super) fn row_to_patient(r: &Row, match_kind: MatchKind) -> PgResult<PatientRow> {
    let mrn: String = r.try_get(1)?;
    let sex: String = r.try_get(6)?;
    let sensitivity: String = r.try_get(9)?;
    let last_visit: Option<DateTime<Utc>> = r.try_get(10)?;
    Ok(PatientRow {
        patient_id: r.try_get(0)?,
        mrn: Mrn::parse(&mrn).map_err(|e| StoreError::Backend(format!("a stored MRN is not valid: {e}")))?,
        family: r.try_get(2)?,
        given: r.try_get(3)?,
        middle: r.try_get(4)?,
        birth_date: r.try_get(5)?,
        sex: Sex::from_code(&sex),
        ssn_last4: r.try_get(7)?,
        // The day of the instant in UTC, as the SQLite store reads the first ten characters of it.
        last_visit: last_visit.map(|t| t.date_naive()),
        deceased_on: r.try_get(8)?,
        sensitivity: Sensitivity::from_code(&sensitivity),
        match_kind,
        dob_swapped: false,
        encounter_id: None,
    })
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

/// One tier: the condition after `WHERE`, its parameters, and the match kind of its rows.
struct Tier {
    condition: String,
    order: &'static str,
    params: Params,
    kind: MatchKind,
    /// For the exact-family tier: a row is an exact match only when its given name is this one too
    /// (or none was typed); otherwise the given name matched by prefix.
    exact_given: Option<String>,
}

impl Tier {
    /// The tier's statement, ending in a LIMIT whose placeholder is `$limit`.
    fn sql(&self, limit: &str) -> String {
        format!("SELECT {COLUMNS} FROM patient p WHERE {} ORDER BY {} LIMIT {limit}", self.condition, self.order)
    }
}

pub(super) async fn search(c: &impl GenericClient, lookup: &PatientLookup, page: Page) -> PgResult<SearchPage> {
    let wanted = page.offset + page.limit + 1;
    let rows = match lookup {
        PatientLookup::Account(account) => by_account(c, account).await?,
        PatientLookup::Dob { exact, swaps } => return by_dates(c, None, *exact, swaps, page).await,
        PatientLookup::NameDob { name, exact, swaps } => return by_dates(c, Some(name), *exact, swaps, page).await,
        tiered => run_tiers(c, tiers_for(tiered), wanted).await?,
    };
    let has_more = rows.len() > page.offset + page.limit;
    let rows = rows.into_iter().skip(page.offset).take(page.limit).collect();
    Ok(SearchPage { rows, has_more })
}

/// A tier of one condition whose rows are all exact matches.
fn exact_tier(order: &'static str, build: impl FnOnce(&mut Params) -> String) -> Vec<Tier> {
    let mut params = Params::default();
    let condition = build(&mut params);
    vec![Tier { condition, order, params, kind: MatchKind::Exact, exact_given: None }]
}

/// The tiers of the lookups that walk an index range a page at a time (all but account and dates).
fn tiers_for(lookup: &PatientLookup) -> Vec<Tier> {
    const BY_NAME: &str = "p.family_key, p.given_key, p.id";
    match lookup {
        PatientLookup::Mrn(mrn) => {
            let mrn = mrn.as_str().to_string();
            exact_tier("p.id", |p| format!("p.mrn = {}", p.add(mrn)))
        }
        PatientLookup::SsnHash(hash) => {
            let hash = hash.clone();
            exact_tier(BY_NAME, |p| format!("p.ssn_hash = {}", p.add(hash)))
        }
        PatientLookup::Last4(last4) => {
            let last4 = last4.clone();
            exact_tier(BY_NAME, |p| format!("p.ssn_last4 = {}", p.add(last4)))
        }
        PatientLookup::InitialLast4 { initial, last4 } => {
            let low = initial.to_ascii_uppercase().to_string();
            let high = prefix_upper_bound(&low);
            let last4 = last4.clone();
            exact_tier(BY_NAME, |p| {
                format!(
                    "p.ssn_last4 = {} AND p.family_key >= {} AND p.family_key < {}",
                    p.add(last4),
                    p.add(low),
                    p.add(high)
                )
            })
        }
        PatientLookup::Name(name) => name_tiers(name),
        PatientLookup::Account(_) | PatientLookup::Dob { .. } | PatientLookup::NameDob { .. } => Vec::new(),
    }
}

fn name_tiers(name: &NameLookup) -> Vec<Tier> {
    let family_upper = prefix_upper_bound(&name.family);
    let given_upper = prefix_upper_bound(&name.given);

    let mut exact = Params::default();
    let condition = format!(
        "p.family_key = {} AND p.given_key >= {} AND p.given_key < {}",
        exact.add(name.family.clone()),
        exact.add(name.given.clone()),
        exact.add(given_upper.clone())
    );
    let mut tiers = vec![Tier {
        condition,
        order: "p.given_key, p.birth_date, p.id",
        params: exact,
        kind: MatchKind::Exact,
        exact_given: (!name.given.is_empty()).then(|| name.given.clone()),
    }];

    let mut prefix = Params::default();
    let condition = format!(
        "p.family_key > {} AND p.family_key < {} AND p.given_key >= {} AND p.given_key < {}",
        prefix.add(name.family.clone()),
        prefix.add(family_upper.clone()),
        prefix.add(name.given.clone()),
        prefix.add(given_upper.clone())
    );
    tiers.push(Tier {
        condition,
        order: "p.family_key, p.given_key, p.id",
        params: prefix,
        kind: MatchKind::Prefix,
        exact_given: None,
    });

    if !name.family_phonetic.is_empty() {
        // Sounds alike, and was not already listed by the two tiers above.
        let mut sound = Params::default();
        let mut condition = format!(
            "p.family_phon = ANY({}) \
             AND NOT (p.family_key >= {} AND p.family_key < {} AND p.given_key >= {} AND p.given_key < {})",
            sound.add(name.family_phonetic.clone()),
            sound.add(name.family.clone()),
            sound.add(family_upper),
            sound.add(name.given.clone()),
            sound.add(given_upper.clone())
        );
        if !name.given.is_empty() {
            // No code for the typed given name matches a stored empty code, as SQLite's `IN ('')`.
            let codes = if name.given_phonetic.is_empty() { vec![String::new()] } else { name.given_phonetic.clone() };
            condition.push_str(&format!(
                " AND (p.given_phon = ANY({}) OR (p.given_key >= {} AND p.given_key < {}))",
                sound.add(codes),
                sound.add(name.given.clone()),
                sound.add(given_upper)
            ));
        }
        tiers.push(Tier {
            condition,
            order: "p.family_key, p.given_key, p.id",
            params: sound,
            kind: MatchKind::Phonetic,
            exact_given: None,
        });
    }
    tiers
}

async fn run_tiers(c: &impl GenericClient, tiers: Vec<Tier>, wanted: usize) -> PgResult<Vec<PatientRow>> {
    let mut rows = Vec::new();
    for mut tier in tiers {
        if rows.len() >= wanted {
            break;
        }
        let limit = tier.params.add((wanted - rows.len()) as i64);
        let stmt = c.prepare_cached(&tier.sql(&limit)).await?;
        for r in c.query(&stmt, &tier.params.refs()).await? {
            let mut row = row_to_patient(&r, tier.kind)?;
            if let Some(given) = &tier.exact_given
                && r.try_get::<_, String>(12)? != *given
            {
                row.match_kind = MatchKind::Prefix;
            }
            rows.push(row);
        }
    }
    Ok(rows)
}

fn account_sql() -> String {
    format!("SELECT {COLUMNS}, e.id FROM encounter e JOIN patient p ON p.id = e.patient_id WHERE e.account = $1")
}

/// Everyone born on the dates, by the keys a ranking needs: all of them are in `patient_dob_name`,
/// so no row of the table is read.
const DATE_KEYS_SQL: &str = "SELECT p.id, p.birth_date, p.family_key, p.given_key, p.family_phon, p.given_phon \
     FROM patient p WHERE p.birth_date = ANY($1)";

/// The rows of patients by id, in no particular order.
pub fn rows_by_id_sql() -> String {
    format!("SELECT {COLUMNS} FROM patient p WHERE p.id = ANY($1)")
}

/// One statement the store runs for a lookup, as `sqlite::SearchStatement`: its SQL and
/// parameters. When `limited`, the last parameter is the LIMIT (the rows a page still wants); when
/// `ids_then_rows`, it returns ids and name keys to rank, and the page's rows are then read with
/// [`rows_by_id_sql`].
pub struct SearchStatement {
    pub sql: String,
    pub params: Vec<Box<dyn ToSql + Sync + Send>>,
    pub limited: bool,
    pub ids_then_rows: bool,
}

/// The statements the store runs for `lookup`, in order — the very SQL and parameters, so that a
/// benchmark can time them bare and a test can read their plans. A limited one asks for `wanted`
/// rows.
pub fn search_statements(lookup: &PatientLookup, wanted: i64) -> Vec<SearchStatement> {
    match lookup {
        PatientLookup::Account(account) => vec![SearchStatement {
            sql: account_sql(),
            params: vec![Box::new(account.clone())],
            limited: false,
            ids_then_rows: false,
        }],
        PatientLookup::Dob { exact, swaps } | PatientLookup::NameDob { exact, swaps, .. } => {
            let mut dates = vec![*exact];
            dates.extend_from_slice(swaps);
            vec![SearchStatement {
                sql: DATE_KEYS_SQL.into(),
                params: vec![Box::new(dates)],
                limited: false,
                ids_then_rows: true,
            }]
        }
        tiered => tiers_for(tiered)
            .into_iter()
            .map(|mut tier| {
                let limit = tier.params.add(wanted);
                SearchStatement { sql: tier.sql(&limit), params: tier.params.0, limited: true, ids_then_rows: false }
            })
            .collect(),
    }
}

async fn by_account(c: &impl GenericClient, account: &str) -> PgResult<Vec<PatientRow>> {
    let stmt = c.prepare_cached(&account_sql()).await?;
    c.query(&stmt, &[&account])
        .await?
        .iter()
        .map(|r| {
            let mut row = row_to_patient(r, MatchKind::Exact)?;
            row.encounter_id = Some(r.try_get(13)?);
            Ok(row)
        })
        .collect()
}

/// Patients' rows by id, in the order of `ids`; an id no longer in the store is left out.
async fn rows_by_id(c: &impl GenericClient, ids: &[i64]) -> PgResult<Vec<PatientRow>> {
    let stmt = c.prepare_cached(&rows_by_id_sql()).await?;
    let mut by_id = HashMap::with_capacity(ids.len());
    for r in c.query(&stmt, &[&ids]).await? {
        let row = row_to_patient(&r, MatchKind::Exact)?;
        by_id.insert(row.patient_id, row);
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Everyone born on `exact` or one of its slips whose name (if any) matches, ranked: exact date
/// first, then by how well the name matched, then alphabetically. The ranking reads only the date
/// index's keys (`patient_dob_name`); the rows are read for the page shown.
async fn by_dates(
    c: &impl GenericClient,
    name: Option<&NameLookup>,
    exact: NaiveDate,
    swaps: &[NaiveDate],
    page: Page,
) -> PgResult<SearchPage> {
    let mut dates = vec![exact];
    dates.extend_from_slice(swaps);
    let stmt = c.prepare_cached(DATE_KEYS_SQL).await?;
    // (born on a slip, how the name matched, family key, given key, id): the order shown.
    let mut ranked: Vec<(bool, MatchKind, String, String, i64)> = Vec::new();
    for r in c.query(&stmt, &[&dates]).await? {
        let birth: NaiveDate = r.try_get(1)?;
        let keys = StoredKeys {
            family: r.try_get(2)?,
            given: r.try_get(3)?,
            family_phon: r.try_get(4)?,
            given_phon: r.try_get(5)?,
        };
        let kind = match name {
            None => Some(MatchKind::Exact),
            Some(name) => name_match(name, &keys),
        };
        let Some(kind) = kind else { continue };
        ranked.push((birth != exact, kind, keys.family, keys.given, r.try_get(0)?));
    }
    ranked.sort_unstable();
    let has_more = ranked.len() > page.offset + page.limit;
    let shown: Vec<_> = ranked.into_iter().skip(page.offset).take(page.limit).collect();
    let ids: Vec<i64> = shown.iter().map(|r| r.4).collect();
    let mut rows = rows_by_id(c, &ids).await?;
    let mut how: HashMap<i64, (bool, MatchKind)> = shown.into_iter().map(|r| (r.4, (r.0, r.1))).collect();
    for row in &mut rows {
        if let Some((swapped, kind)) = how.remove(&row.patient_id) {
            row.dob_swapped = swapped;
            row.match_kind = kind;
        }
    }
    Ok(SearchPage { rows, has_more })
}

pub(super) async fn by_mrn(c: &impl GenericClient, mrn: &Mrn) -> PgResult<Option<PatientRow>> {
    let stmt = c.prepare_cached(&format!("SELECT {COLUMNS} FROM patient p WHERE p.mrn = $1")).await?;
    c.query_opt(&stmt, &[&mrn.as_str()]).await?.map(|r| row_to_patient(&r, MatchKind::Exact)).transpose()
}
