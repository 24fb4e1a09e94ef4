//! `chartroom bench`: store-level search latency on this store, per query shape, beside the store's
//! own statements run bare through rusqlite on a connection configured as the store's readers are —
//! so the 1.5× check measures what the store adds (pool, trait object, row decoding, ranking), not a
//! difference in SQL or PRAGMAs.

use super::CliError;
use crate::desk::Desk;
use crate::desk::name_lookup;
use crate::domain::dates::one_swap_variants;
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
    let crate::setup::StoreLocation::Sqlite(store_file) = &opened.location else {
        return Err(CliError::new("bench measures the SQLite store against bare rusqlite".into()));
    };
    let bare = baseline_connection(store_file)?;
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

/// The baseline's connection: read-only, with the PRAGMAs and statement cache of the store's readers.
fn baseline_connection(store_file: &std::path::Path) -> Result<Connection, CliError> {
    crate::store::sqlite::open_reader(store_file).map_err(super::fail)
}

/// The first page of each shape through the store's own statements, run as the store runs them
/// (limited tiers in turn until the page is full, the others read whole; a date's keys read whole and
/// the first page's rows by id), reading each row's name
/// and nothing more: no pool, no trait object, no decoding into patients, no ranking.
fn bare_query(conn: &Connection, lookup: &PatientLookup) -> rusqlite::Result<usize> {
    let wanted = PAGE + 1;
    let mut found = 0;
    for statement in crate::store::sqlite::search_statements(lookup) {
        if statement.limited && found >= wanted {
            break;
        }
        let mut params = statement.params;
        if statement.limited {
            params.push(Box::new((wanted - found) as i64));
        }
        let mut stmt = conn.prepare_cached(&statement.sql)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter()))?;
        let mut ids = Vec::new();
        while let Some(row) = rows.next()? {
            if statement.ids_then_rows {
                // The store ranks these keys first; the baseline takes the first page unranked.
                if ids.len() < wanted {
                    ids.push(row.get::<_, i64>(0)?);
                }
                std::hint::black_box(row.get::<_, String>(2)?);
                continue;
            }
            std::hint::black_box(row.get::<_, String>(2)?);
            found += 1;
        }
        if statement.ids_then_rows && !ids.is_empty() {
            let mut stmt = conn.prepare_cached(&crate::store::sqlite::rows_by_id_sql(ids.len()))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(ids.iter()))?;
            while let Some(row) = rows.next()? {
                std::hint::black_box(row.get::<_, String>(2)?);
                found += 1;
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mrn::Mrn;
    use crate::domain::names::PersonName;
    use crate::domain::patient::{NameKeys, NewPatient, Sensitivity, Sex};
    use crate::store::sqlite::SqliteStore;
    use crate::store::{RecordBatch, Store};

    fn patient(n: usize, family: &str, given: &str) -> NewPatient {
        let name = PersonName::new(family, given, "");
        NewPatient {
            mrn: Mrn::parse(&format!("{}", 300_000 + n)).unwrap(),
            keys: NameKeys::of(&name),
            name,
            sex: Sex::Female,
            birth_date: NaiveDate::from_ymd_opt(1960, 1, 1 + (n % 28) as u32).unwrap(),
            ssn_last4: Some("1234".into()),
            ssn_hash: None,
            deceased_on: None,
            sensitivity: Sensitivity::None,
            address: String::new(),
            phone: String::new(),
            aliases: vec![],
            source_ids: vec![],
        }
    }

    /// SMITH and SMITHSON and SMYTH enough to fill more than a page in every name tier.
    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("chartroom.db")).unwrap();
        let mut batch = RecordBatch::default();
        for n in 0..150 {
            let family = ["SMITH", "SMITHSON", "SMYTH"][n % 3];
            batch.patients.push(patient(n, family, ["JOHN", "JANE", "JO"][n % 3]));
        }
        let audit = crate::domain::audit::NewAuditEvent {
            at: chrono::Utc::now(),
            username: "bench".into(),
            source: "local".into(),
            action: crate::domain::audit::AuditAction::Create,
            entity: "store".into(),
            entity_id: None,
            patient_id: None,
            provider_id: None,
            detail: "bench patients".into(),
        };
        store.insert_batch(batch, audit).unwrap();
        (dir, store)
    }

    fn pragmas(conn: &Connection) -> Vec<i64> {
        ["cache_size", "temp_store", "busy_timeout", "query_only"]
            .iter()
            .map(|p| conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get(0)).unwrap())
            .collect()
    }

    #[test]
    fn the_baseline_connection_is_configured_as_the_stores_readers() {
        let (_dir, store) = store();
        let baseline = baseline_connection(store.path()).unwrap();
        assert_eq!(pragmas(&baseline), pragmas(&store.raw_reader().unwrap()));
    }

    #[test]
    fn the_baseline_reads_the_rows_the_store_reads_for_a_page() {
        let (_dir, store) = store();
        let baseline = baseline_connection(store.path()).unwrap();
        let lookups = [
            PatientLookup::Mrn(Mrn::parse("300007").unwrap()),
            PatientLookup::Last4("1234".into()),
            PatientLookup::InitialLast4 { initial: 'S', last4: "1234".into() },
            PatientLookup::Name(name("SMITH", "J")),
            PatientLookup::Name(name("SMITHS", "")),
            PatientLookup::Name(name("SMIT", "JA")),
        ];
        for lookup in lookups {
            let page = store.search_patients(&lookup, Page::first(PAGE)).unwrap();
            assert_eq!(
                bare_query(&baseline, &lookup).unwrap(),
                page.rows.len() + usize::from(page.has_more),
                "{lookup:?}"
            );
        }
    }
}
