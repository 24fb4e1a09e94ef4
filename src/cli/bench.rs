//! `chartroom bench`: store-level search latency on this store, per query shape, beside the same
//! first-page query run bare through rusqlite with a prepared statement on the same file.

use super::CliError;
use crate::desk::Desk;
use crate::desk::name_lookup;
use crate::domain::dates::one_swap_variants;
use crate::domain::names::prefix_upper_bound;
use crate::domain::query::NameQuery;
use crate::setup::OpenedStore;
use crate::store::{NameLookup, Page, PatientLookup};
use chrono::NaiveDate;
use rusqlite::Connection;
use std::fmt;
use std::time::{Duration, Instant};

#[derive(Debug, serde::Serialize)]
pub struct ShapeFigures {
    pub shape: &'static str,
    pub store_p50_ms: f64,
    pub store_p99_ms: f64,
    pub bare_p50_ms: f64,
    pub bare_p99_ms: f64,
    pub target_p99_ms: f64,
}

#[derive(Debug, serde::Serialize)]
pub struct BenchReport {
    pub patients: i64,
    pub iterations: usize,
    pub shapes: Vec<ShapeFigures>,
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "store-level search, warm, {} patients, {} queries per shape", self.patients, self.iterations)?;
        writeln!(
            f,
            "{:<16} {:>10} {:>10} {:>10} {:>10} {:>8}  verdict",
            "shape", "store p50", "store p99", "bare p50", "bare p99", "target"
        )?;
        for s in &self.shapes {
            let within_bare = s.store_p99_ms <= (s.bare_p99_ms * 1.5).max(s.bare_p99_ms + 0.2);
            let verdict = match (s.store_p99_ms <= s.target_p99_ms, within_bare) {
                (true, true) => "ok",
                (false, _) => "OVER TARGET",
                (true, false) => "over 1.5x bare",
            };
            writeln!(
                f,
                "{:<16} {:>8.3}ms {:>8.3}ms {:>8.3}ms {:>8.3}ms {:>6.1}ms  {verdict}",
                s.shape, s.store_p50_ms, s.store_p99_ms, s.bare_p50_ms, s.bare_p99_ms, s.target_p99_ms
            )?;
        }
        Ok(())
    }
}

struct Sample {
    mrn: String,
    family_key: String,
    given_key: String,
    birth_date: NaiveDate,
    last4: String,
}

const PAGE: usize = 50;

/// Builds one shape's query from a sampled patient.
type MakeLookup = Box<dyn Fn(&Sample) -> PatientLookup>;

pub fn run(desk: &Desk, opened: &OpenedStore, iterations: usize) -> Result<BenchReport, CliError> {
    desk.require_permission(crate::domain::role::Permission::AdministerStore).map_err(super::fail)?;
    let store = &opened.store;
    let info = desk.store_info().map_err(super::fail)?;
    let bare = Connection::open_with_flags(&opened.store_file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(super::fail)?;
    let samples = samples(&bare, iterations.max(10)).map_err(super::fail)?;
    let mut shapes = Vec::new();
    let page = Page::first(PAGE);

    let lookups: Vec<(&'static str, f64, MakeLookup)> = vec![
        (
            "MRN",
            0.5,
            Box::new(|s: &Sample| match crate::domain::mrn::Mrn::parse(&s.mrn) {
                Ok(mrn) => PatientLookup::Mrn(mrn),
                Err(_) => PatientLookup::Last4(s.last4.clone()),
            }),
        ),
        (
            "NAME prefix",
            2.0,
            Box::new(|s: &Sample| {
                PatientLookup::Name(name(
                    &s.family_key[..s.family_key.len().min(4)],
                    &s.given_key[..1.min(s.given_key.len())],
                ))
            }),
        ),
        (
            "INITIAL+LAST4",
            2.0,
            Box::new(|s: &Sample| PatientLookup::InitialLast4 {
                initial: s.family_key.chars().next().unwrap_or('A'),
                last4: s.last4.clone(),
            }),
        ),
        (
            "NAME+DOB",
            2.0,
            Box::new(|s: &Sample| PatientLookup::NameDob {
                name: name(&s.family_key, &s.given_key),
                exact: s.birth_date,
                swaps: one_swap_variants(s.birth_date),
            }),
        ),
        ("PHONETIC", 5.0, Box::new(|s: &Sample| PatientLookup::Name(name(&misspell(&s.family_key), &s.given_key)))),
    ];
    for (shape, target, make) in lookups {
        let queries: Vec<PatientLookup> = samples.iter().map(&make).collect();
        // Warm: one pass unmeasured, then the measured pass.
        for q in &queries {
            store.search_patients(q, page).map_err(super::fail)?;
        }
        let mut store_times = Vec::with_capacity(queries.len());
        for q in &queries {
            let t = Instant::now();
            let found = store.search_patients(q, page).map_err(super::fail)?;
            store_times.push(t.elapsed());
            std::hint::black_box(found);
        }
        let mut bare_times = Vec::with_capacity(queries.len());
        for q in queries.iter().chain(queries.iter()) {
            let t = Instant::now();
            let rows = bare_query(&bare, q).map_err(super::fail)?;
            bare_times.push(t.elapsed());
            std::hint::black_box(rows);
        }
        let bare_times = bare_times.split_off(queries.len());
        shapes.push(ShapeFigures {
            shape,
            store_p50_ms: percentile(&mut store_times, 0.50),
            store_p99_ms: percentile(&mut store_times, 0.99),
            bare_p50_ms: percentile(&mut bare_times.clone(), 0.50),
            bare_p99_ms: percentile(&mut bare_times.clone(), 0.99),
            target_p99_ms: target,
        });
    }
    Ok(BenchReport { patients: info.patient_count, iterations: samples.len(), shapes })
}

fn name(family: &str, given: &str) -> NameLookup {
    name_lookup(&NameQuery { family: family.to_string(), given: given.to_string() })
}

/// One vowel changed: a spelling the exact and prefix tiers miss, so the phonetic tier does the work.
fn misspell(key: &str) -> String {
    let mut chars: Vec<char> = key.chars().collect();
    for i in (1..chars.len()).rev() {
        let replacement = match chars[i] {
            'A' => 'E',
            'E' => 'A',
            'I' => 'Y',
            'O' => 'A',
            'U' => 'O',
            _ => continue,
        };
        chars[i] = replacement;
        break;
    }
    chars.into_iter().collect()
}

fn percentile(times: &mut [Duration], p: f64) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort();
    let index = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[index].as_secs_f64() * 1000.0
}

fn samples(conn: &Connection, n: usize) -> rusqlite::Result<Vec<Sample>> {
    let max: i64 = conn.query_row("SELECT max(id) FROM patient", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(
        "SELECT mrn, family_key, given_key, birth_date, ssn_last4 FROM patient WHERE id = ?1 AND ssn_last4 IS NOT NULL",
    )?;
    let mut out = Vec::new();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let id = 1 + (x % max.max(1) as u64) as i64;
        let row = stmt.query_row([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        });
        if let Ok((mrn, family_key, given_key, birth, last4)) = row
            && !family_key.is_empty()
            && !given_key.is_empty()
        {
            let birth_date = NaiveDate::parse_from_str(&birth, "%Y-%m-%d").unwrap_or_default();
            out.push(Sample { mrn, family_key, given_key, birth_date, last4 });
        }
    }
    Ok(out)
}

/// The first page of each shape as one plain prepared statement — what the store's tiers cost at
/// the least, with no pool, no trait object and no ranking.
fn bare_query(conn: &Connection, lookup: &PatientLookup) -> rusqlite::Result<usize> {
    const COLS: &str = "p.id, p.mrn, p.family, p.given, p.middle, p.birth_date, p.sex, p.ssn_last4, p.deceased_on, \
        p.sensitivity, (SELECT max(e.admit_at) FROM encounter e WHERE e.patient_id = p.id)";
    let count = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<usize> {
        let mut stmt = conn.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        let mut n = 0;
        while let Some(row) = rows.next()? {
            std::hint::black_box(row.get::<_, String>(2)?);
            n += 1;
        }
        Ok(n)
    };
    let limit = (PAGE + 1) as i64;
    match lookup {
        PatientLookup::Mrn(mrn) => count(&format!("SELECT {COLS} FROM patient p WHERE p.mrn = ?1"), &[&mrn.as_str()]),
        PatientLookup::InitialLast4 { initial, last4 } => {
            let low = initial.to_string();
            count(
                &format!(
                    "SELECT {COLS} FROM patient p WHERE p.ssn_last4 = ?1 AND p.family_key >= ?2 AND p.family_key < ?3 ORDER BY p.family_key, p.given_key, p.id LIMIT ?4"
                ),
                &[last4, &low, &prefix_upper_bound(&low), &limit],
            )
        }
        PatientLookup::Name(n) => {
            // The store's three tiers, as the same three statements.
            let (fu, gu) = (prefix_upper_bound(&n.family), prefix_upper_bound(&n.given));
            let mut found = count(
                &format!(
                    "SELECT {COLS} FROM patient p WHERE p.family_key = ?1 AND p.given_key >= ?2 AND p.given_key < ?3 ORDER BY p.given_key, p.birth_date, p.id LIMIT ?4"
                ),
                &[&n.family, &n.given, &gu, &limit],
            )?;
            if found < PAGE + 1 {
                let rest = (PAGE + 1 - found) as i64;
                found += count(
                    &format!(
                        "SELECT {COLS} FROM patient p WHERE p.family_key > ?1 AND p.family_key < ?2 AND p.given_key >= ?3 AND p.given_key < ?4 ORDER BY p.family_key, p.given_key, p.id LIMIT ?5"
                    ),
                    &[&n.family, &fu, &n.given, &gu, &rest],
                )?;
            }
            if found < PAGE + 1 && !n.family_phonetic.is_empty() {
                let rest = (PAGE + 1 - found) as i64;
                let fp: Vec<&str> = n.family_phonetic.iter().map(String::as_str).chain([""]).take(2).collect();
                let gp: Vec<&str> = n.given_phonetic.iter().map(String::as_str).chain(["", ""]).take(2).collect();
                found += count(
                    &format!(
                        "SELECT {COLS} FROM patient p WHERE p.family_phon IN (?1, ?2) AND NOT (p.family_key >= ?3 AND p.family_key < ?4 AND p.given_key >= ?5 AND p.given_key < ?6) AND (?5 = '' OR p.given_phon IN (?7, ?8) OR (p.given_key >= ?5 AND p.given_key < ?6)) ORDER BY p.family_key, p.given_key, p.id LIMIT ?9"
                    ),
                    &[&fp[0], &fp[1], &n.family, &fu, &n.given, &gu, &gp[0], &gp[1], &rest],
                )?;
            }
            Ok(found)
        }
        PatientLookup::NameDob { exact, swaps, .. } | PatientLookup::Dob { exact, swaps } => {
            let mut dates = vec![exact.format("%Y-%m-%d").to_string()];
            dates.extend(swaps.iter().map(|d| d.format("%Y-%m-%d").to_string()));
            let marks = vec!["?"; dates.len()].join(",");
            let params: Vec<&dyn rusqlite::ToSql> = dates.iter().map(|d| d as &dyn rusqlite::ToSql).collect();
            count(
                &format!("SELECT {COLS}, p.family_key, p.given_key FROM patient p WHERE p.birth_date IN ({marks})"),
                &params,
            )
        }
        PatientLookup::Account(a) => count(
            &format!("SELECT {COLS} FROM encounter e JOIN patient p ON p.id = e.patient_id WHERE e.account = ?1"),
            &[a],
        ),
        PatientLookup::SsnHash(h) => count(&format!("SELECT {COLS} FROM patient p WHERE p.ssn_hash = ?1"), &[h]),
        PatientLookup::Last4(l) => count(
            &format!(
                "SELECT {COLS} FROM patient p WHERE p.ssn_last4 = ?1 ORDER BY p.family_key, p.given_key, p.id LIMIT ?2"
            ),
            &[l, &limit],
        ),
    }
}
