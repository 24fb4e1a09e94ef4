//! Patient search: each query shape walks its own index, a page at a time.
//!
//! Names are ranked in tiers — exact family name, then family-name prefix, then sound-alike — and
//! each tier is an index range scan with a LIMIT, so the first page of `SMITH` (1% of a million
//! patients) costs what the first page of a rare name costs. With a birth date, the few patients
//! born that day (and on its one-slip variants) are ranked here on the name keys the date's index
//! holds, and only the rows of the page shown are read from the table.

use super::map_err;
use crate::domain::mrn::Mrn;
use crate::domain::names::prefix_upper_bound;
use crate::domain::patient::{MatchKind, PatientRow, Sensitivity, Sex};
use crate::store::{NameLookup, Page, PatientLookup, SearchPage, StoreResult};
use crate::store::{StoredKeys, name_match};
use chrono::NaiveDate;
use rusqlite::{Connection, Row, ToSql, params_from_iter};
use std::collections::HashMap;

/// The columns every search returns, in the order [`row_to_patient`] reads them. The last visit is
/// one index seek per row on `encounter_patient`, paid only for the rows on the page.
const COLUMNS: &str = "p.id, p.mrn, p.family, p.given, p.middle, p.birth_date, p.sex, p.ssn_last4, p.deceased_on, \
     p.sensitivity, (SELECT max(e.admit_at) FROM encounter e WHERE e.patient_id = p.id), p.family_key, p.given_key";

pub(super) fn row_to_patient(r: &Row<'_>, match_kind: MatchKind) -> rusqlite::Result<PatientRow> {
    let mrn: String = r.get(1)?;
    let birth: String = r.get(5)?;
    let sex: String = r.get(6)?;
    let deceased: Option<String> = r.get(8)?;
    let sensitivity: String = r.get(9)?;
    let last_visit: Option<String> = r.get(10)?;
    Ok(PatientRow {
        patient_id: r.get(0)?,
        mrn: Mrn::parse(&mrn)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?,
        family: r.get(2)?,
        given: r.get(3)?,
        middle: r.get(4)?,
        birth_date: parse_date(&birth).unwrap_or_default(),
        sex: Sex::from_code(&sex),
        ssn_last4: r.get(7)?,
        last_visit: last_visit.as_deref().and_then(|t| parse_date(t.get(..10)?)),
        deceased_on: deceased.as_deref().and_then(parse_date),
        sensitivity: Sensitivity::from_code(&sensitivity),
        match_kind,
        dob_swapped: false,
        encounter_id: None,
    })
}

pub(super) fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

pub(super) fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// One tier: SQL after `WHERE`, its parameters, and the match kind of its rows.
struct Tier {
    condition: String,
    order: &'static str,
    params: Vec<Box<dyn ToSql>>,
    kind: MatchKind,
    /// For the exact-family tier: a row is an exact match only when its given name is this one too
    /// (or none was typed); otherwise the given name matched by prefix.
    exact_given: Option<String>,
}

pub(super) fn search(conn: &Connection, lookup: &PatientLookup, page: Page) -> StoreResult<SearchPage> {
    let wanted = page.offset + page.limit + 1;
    let rows = match lookup {
        PatientLookup::Account(account) => by_account(conn, account)?,
        PatientLookup::Dob { exact, swaps } => return by_dates(conn, None, *exact, swaps, page),
        PatientLookup::NameDob { name, exact, swaps } => return by_dates(conn, Some(name), *exact, swaps, page),
        tiered => run_tiers(conn, tiers_for(tiered), wanted)?,
    };
    let has_more = rows.len() > page.offset + page.limit;
    let rows = rows.into_iter().skip(page.offset).take(page.limit).collect();
    Ok(SearchPage { rows, has_more })
}

/// The tiers of the lookups that walk an index range a page at a time (all but account and dates).
fn tiers_for(lookup: &PatientLookup) -> Vec<Tier> {
    let one = |condition: &str, order: &'static str, params: Vec<Box<dyn ToSql>>| {
        vec![Tier { condition: condition.into(), order, params, kind: MatchKind::Exact, exact_given: None }]
    };
    match lookup {
        PatientLookup::Mrn(mrn) => one("p.mrn = ?", "p.id", vec![Box::new(mrn.as_str().to_string())]),
        PatientLookup::SsnHash(hash) => {
            one("p.ssn_hash = ?", "p.family_key, p.given_key, p.id", vec![Box::new(hash.clone())])
        }
        PatientLookup::Last4(last4) => {
            one("p.ssn_last4 = ?", "p.family_key, p.given_key, p.id", vec![Box::new(last4.clone())])
        }
        PatientLookup::InitialLast4 { initial, last4 } => {
            let low = initial.to_ascii_uppercase().to_string();
            one(
                "p.ssn_last4 = ? AND p.family_key >= ? AND p.family_key < ?",
                "p.family_key, p.given_key, p.id",
                vec![Box::new(last4.clone()), Box::new(low.clone()), Box::new(prefix_upper_bound(&low))],
            )
        }
        PatientLookup::Name(name) => name_tiers(name),
        PatientLookup::Account(_) | PatientLookup::Dob { .. } | PatientLookup::NameDob { .. } => Vec::new(),
    }
}

/// One statement the store runs for a lookup: its SQL and parameters. When `limited`, the SQL ends
/// in `LIMIT ?` and the caller appends how many rows it still wants, as the store does tier by tier.
/// When `ids_then_rows`, the statement returns patients' ids (first column) and name keys, which the
/// store ranks; it then reads the rows of the page shown with [`rows_by_id_sql`].
pub struct SearchStatement {
    pub sql: String,
    pub params: Vec<Box<dyn ToSql>>,
    pub limited: bool,
    pub ids_then_rows: bool,
}

/// The statements the store runs for `lookup`, in order — the very SQL and parameters, so that a
/// benchmark can time them bare and see the store's own overhead, nothing else. The limited ones
/// are run in turn until a page is filled; the others are read whole.
pub fn search_statements(lookup: &PatientLookup) -> Vec<SearchStatement> {
    match lookup {
        PatientLookup::Account(account) => {
            vec![SearchStatement {
                sql: account_sql(),
                params: vec![Box::new(account.clone())],
                limited: false,
                ids_then_rows: false,
            }]
        }
        PatientLookup::Dob { exact, swaps } | PatientLookup::NameDob { exact, swaps, .. } => {
            let dates = date_texts(*exact, swaps);
            let sql = date_keys_sql(dates.len());
            let params = dates.into_iter().map(|d| Box::new(d) as Box<dyn ToSql>).collect();
            vec![SearchStatement { sql, params, limited: false, ids_then_rows: true }]
        }
        tiered => tiers_for(tiered)
            .into_iter()
            .map(|tier| SearchStatement { sql: tier.sql(), params: tier.params, limited: true, ids_then_rows: false })
            .collect(),
    }
}

fn name_tiers(name: &NameLookup) -> Vec<Tier> {
    let family_upper = prefix_upper_bound(&name.family);
    let given_upper = prefix_upper_bound(&name.given);
    let mut tiers = vec![
        Tier {
            condition: "p.family_key = ? AND p.given_key >= ? AND p.given_key < ?".into(),
            order: "p.given_key, p.birth_date, p.id",
            params: vec![Box::new(name.family.clone()), Box::new(name.given.clone()), Box::new(given_upper.clone())],
            kind: MatchKind::Exact,
            exact_given: (!name.given.is_empty()).then(|| name.given.clone()),
        },
        Tier {
            condition: "p.family_key > ? AND p.family_key < ? AND p.given_key >= ? AND p.given_key < ?".into(),
            order: "p.family_key, p.given_key, p.id",
            params: vec![
                Box::new(name.family.clone()),
                Box::new(family_upper.clone()),
                Box::new(name.given.clone()),
                Box::new(given_upper.clone()),
            ],
            kind: MatchKind::Prefix,
            exact_given: None,
        },
    ];
    if !name.family_phonetic.is_empty() {
        // Sounds alike, and was not already listed by the two tiers above.
        let family_marks = marks(name.family_phonetic.len());
        let mut condition = format!(
            "p.family_phon IN ({family_marks}) \
             AND NOT (p.family_key >= ? AND p.family_key < ? AND p.given_key >= ? AND p.given_key < ?)"
        );
        let mut params: Vec<Box<dyn ToSql>> =
            name.family_phonetic.iter().map(|c| Box::new(c.clone()) as Box<dyn ToSql>).collect();
        params.push(Box::new(name.family.clone()));
        params.push(Box::new(family_upper));
        params.push(Box::new(name.given.clone()));
        params.push(Box::new(given_upper.clone()));
        if !name.given.is_empty() {
            let given_marks = marks(name.given_phonetic.len().max(1));
            condition
                .push_str(&format!(" AND (p.given_phon IN ({given_marks}) OR (p.given_key >= ? AND p.given_key < ?))"));
            if name.given_phonetic.is_empty() {
                params.push(Box::new(String::new()));
            }
            for code in &name.given_phonetic {
                params.push(Box::new(code.clone()));
            }
            params.push(Box::new(name.given.clone()));
            params.push(Box::new(given_upper));
        }
        tiers.push(Tier {
            condition,
            order: "p.family_key, p.given_key, p.id",
            params,
            kind: MatchKind::Phonetic,
            exact_given: None,
        });
    }
    tiers
}

impl Tier {
    fn sql(&self) -> String {
        format!("SELECT {COLUMNS} FROM patient p WHERE {} ORDER BY {} LIMIT ?", self.condition, self.order)
    }
}

fn account_sql() -> String {
    format!("SELECT {COLUMNS}, e.id FROM encounter e JOIN patient p ON p.id = e.patient_id WHERE e.account = ?1")
}

/// Everyone born on the dates, by the keys a ranking needs: all of them are in `patient_dob_name`,
/// so no row of the table is read.
fn date_keys_sql(n: usize) -> String {
    format!(
        "SELECT p.id, p.birth_date, p.family_key, p.given_key, p.family_phon, p.given_phon \
         FROM patient p WHERE p.birth_date IN ({})",
        marks(n)
    )
}

/// The rows of `n` patients by id, in no particular order.
pub fn rows_by_id_sql(n: usize) -> String {
    format!("SELECT {COLUMNS} FROM patient p WHERE p.id IN ({})", marks(n))
}

/// Patients' rows by id, in the order of `ids`; an id no longer in the store is left out.
fn rows_by_id(conn: &Connection, ids: &[i64]) -> StoreResult<Vec<PatientRow>> {
    // A page is a screenful, but a CLI may ask for many more: keep each statement's parameters
    // well under SQLite's limit.
    const CHUNK: usize = 500;
    let mut by_id = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let mut stmt = conn.prepare_cached(&rows_by_id_sql(chunk.len())).map_err(map_err)?;
        let found =
            stmt.query_map(params_from_iter(chunk.iter()), |r| row_to_patient(r, MatchKind::Exact)).map_err(map_err)?;
        for row in found {
            let row = row.map_err(map_err)?;
            by_id.insert(row.patient_id, row);
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

fn date_texts(exact: NaiveDate, swaps: &[NaiveDate]) -> Vec<String> {
    let mut dates = vec![date_text(exact)];
    dates.extend(swaps.iter().map(|d| date_text(*d)));
    dates
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

fn run_tiers(conn: &Connection, tiers: Vec<Tier>, wanted: usize) -> StoreResult<Vec<PatientRow>> {
    let mut rows = Vec::new();
    for tier in tiers {
        if rows.len() >= wanted {
            break;
        }
        let mut stmt = conn.prepare_cached(&tier.sql()).map_err(map_err)?;
        let mut params = tier.params;
        params.push(Box::new((wanted - rows.len()) as i64));
        let (kind, exact_given) = (tier.kind, tier.exact_given);
        let found = stmt
            .query_map(params_from_iter(params.iter()), |r| {
                let mut row = row_to_patient(r, kind)?;
                if let Some(given) = &exact_given
                    && r.get::<_, String>(12)? != *given
                {
                    row.match_kind = MatchKind::Prefix;
                }
                Ok(row)
            })
            .map_err(map_err)?;
        for row in found {
            rows.push(row.map_err(map_err)?);
        }
    }
    Ok(rows)
}

fn by_account(conn: &Connection, account: &str) -> StoreResult<Vec<PatientRow>> {
    let mut stmt = conn.prepare_cached(&account_sql()).map_err(map_err)?;
    let rows = stmt
        .query_map([account], |r| {
            let mut row = row_to_patient(r, MatchKind::Exact)?;
            row.encounter_id = Some(r.get(13)?);
            Ok(row)
        })
        .map_err(map_err)?;
    rows.collect::<Result<_, _>>().map_err(map_err)
}

/// Everyone born on `exact` or one of its slips whose name (if any) matches, ranked: exact date
/// first, then by how well the name matched, then alphabetically. The ranking reads only the date
/// index's keys; the rows are read for the page shown.
fn by_dates(
    conn: &Connection,
    name: Option<&NameLookup>,
    exact: NaiveDate,
    swaps: &[NaiveDate],
    page: Page,
) -> StoreResult<SearchPage> {
    let dates = date_texts(exact, swaps);
    let mut stmt = conn.prepare_cached(&date_keys_sql(dates.len())).map_err(map_err)?;
    let exact_text = date_text(exact);
    // (born on a slip, how the name matched, family key, given key, id): the order shown.
    let mut ranked: Vec<(bool, MatchKind, String, String, i64)> = Vec::new();
    let found = stmt
        .query_map(params_from_iter(dates.iter()), |r| {
            let keys =
                StoredKeys { family: r.get(2)?, given: r.get(3)?, family_phon: r.get(4)?, given_phon: r.get(5)? };
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, keys))
        })
        .map_err(map_err)?;
    for item in found {
        let (id, birth, keys) = item.map_err(map_err)?;
        let kind = match name {
            None => Some(MatchKind::Exact),
            Some(name) => name_match(name, &keys),
        };
        let Some(kind) = kind else { continue };
        ranked.push((birth != exact_text, kind, keys.family, keys.given, id));
    }
    ranked.sort_unstable();
    let has_more = ranked.len() > page.offset + page.limit;
    let shown: Vec<_> = ranked.into_iter().skip(page.offset).take(page.limit).collect();
    let ids: Vec<i64> = shown.iter().map(|r| r.4).collect();
    let mut rows = rows_by_id(conn, &ids)?;
    let mut how: HashMap<i64, (bool, MatchKind)> = shown.into_iter().map(|r| (r.4, (r.0, r.1))).collect();
    for row in &mut rows {
        if let Some((swapped, kind)) = how.remove(&row.patient_id) {
            row.dob_swapped = swapped;
            row.match_kind = kind;
        }
    }
    Ok(SearchPage { rows, has_more })
}

pub(super) fn by_mrn(conn: &Connection, mrn: &Mrn) -> StoreResult<Option<PatientRow>> {
    let sql = format!("SELECT {COLUMNS} FROM patient p WHERE p.mrn = ?1");
    let mut stmt = conn.prepare_cached(&sql).map_err(map_err)?;
    let mut rows = stmt.query_map([mrn.as_str()], |r| row_to_patient(r, MatchKind::Exact)).map_err(map_err)?;
    rows.next().transpose().map_err(map_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteStore;

    #[test]
    fn a_birth_date_is_ranked_from_the_index_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        drop(SqliteStore::open(&path).unwrap());
        let conn = Connection::open(&path).unwrap();
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {}", date_keys_sql(3)))
            .unwrap()
            .query_map(params_from_iter(["1961-04-12", "1961-12-04", "1916-04-12"]), |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            plan.iter().any(|step| step.contains("COVERING INDEX patient_dob_name")),
            "no row of the table read to rank: {plan:?}"
        );
    }
}
