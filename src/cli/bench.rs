//! `chartroom bench`: store-level search latency on this store, per query shape, beside the store's
//! own statements run bare on one connection configured as the store's are — so the 1.5× check
//! measures what the store adds (pool, trait object, row decoding, ranking), not a difference in SQL
//! or settings. On SQLite the bare statements run through rusqlite on a reader; on PostgreSQL
//! through tokio-postgres on one connection of the same role, and `--compare sqlite:PATH` times the
//! same queries on a SQLite store holding the same data, for the 2× check between the backends.

use super::CliError;
use crate::config::Config;
use crate::desk::Desk;
use crate::desk::name_lookup;
use crate::domain::dates::one_swap_variants;
use crate::domain::query::NameQuery;
use crate::setup::{OpenedStore, StoreLocation};
use crate::store::sqlite::SqliteStore;
use crate::store::{NameLookup, Page, PatientLookup, Store};
use chrono::NaiveDate;
use rusqlite::Connection;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// PostgreSQL may be this many times slower than SQLite on the same data, per shape, at p99.
pub const MAX_RATIO_TO_SQLITE: f64 = 2.0;

#[derive(Debug, serde::Serialize)]
pub struct ShapeFigures {
    pub shape: &'static str,
    pub store_p50_ms: f64,
    pub store_p99_ms: f64,
    pub bare_p50_ms: f64,
    pub bare_p99_ms: f64,
    /// The shape's target on SQLite; on PostgreSQL the target is [`MAX_RATIO_TO_SQLITE`].
    pub target_p99_ms: f64,
    /// The same queries on the SQLite store of `--compare`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqlite: Option<ComparedFigures>,
}

#[derive(Debug, serde::Serialize)]
pub struct ComparedFigures {
    pub store_p50_ms: f64,
    pub store_p99_ms: f64,
    pub bare_p50_ms: f64,
    pub bare_p99_ms: f64,
    /// This store's p99 over the SQLite store's.
    pub ratio_p99: f64,
}

#[derive(Debug, serde::Serialize)]
pub struct BenchReport {
    /// `sqlite` or `postgres`: the store measured.
    pub backend: &'static str,
    pub patients: i64,
    pub iterations: usize,
    pub shapes: Vec<ShapeFigures>,
    /// The patients of the `--compare` store, which should be this store's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared_patients: Option<i64>,
}

impl ShapeFigures {
    fn verdict(&self, backend: &str) -> &'static str {
        let within_bare = self.store_p99_ms <= (self.bare_p99_ms * 1.5).max(self.bare_p99_ms + 0.2);
        match &self.sqlite {
            Some(sqlite) if sqlite.ratio_p99 > MAX_RATIO_TO_SQLITE => "OVER 2x SQLITE",
            _ if backend == "sqlite" && self.store_p99_ms > self.target_p99_ms => "OVER TARGET",
            _ if !within_bare => "over 1.5x bare",
            _ => "ok",
        }
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "store-level search on {}, warm, {} patients, {} queries per shape",
            if self.backend == "postgres" { "PostgreSQL" } else { "SQLite" },
            self.patients,
            self.iterations
        )?;
        if self.backend == "sqlite" {
            writeln!(
                f,
                "{:<16} {:>10} {:>10} {:>10} {:>10} {:>8}  verdict",
                "shape", "store p50", "store p99", "bare p50", "bare p99", "target"
            )?;
            for s in &self.shapes {
                writeln!(
                    f,
                    "{:<16} {:>8.3}ms {:>8.3}ms {:>8.3}ms {:>8.3}ms {:>6.1}ms  {}",
                    s.shape,
                    s.store_p50_ms,
                    s.store_p99_ms,
                    s.bare_p50_ms,
                    s.bare_p99_ms,
                    s.target_p99_ms,
                    s.verdict(self.backend)
                )?;
            }
            return Ok(());
        }
        if let Some(patients) = self.compared_patients {
            writeln!(f, "beside the SQLite store of --compare, {patients} patients, the same queries")?;
        }
        writeln!(
            f,
            "{:<16} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>6}  verdict",
            "shape", "pg p50", "pg p99", "bare p50", "bare p99", "sqlite p50", "sqlite p99", "ratio"
        )?;
        for s in &self.shapes {
            let (sqlite_p50, sqlite_p99, ratio) = match &s.sqlite {
                Some(c) => (
                    format!("{:.3}ms", c.store_p50_ms),
                    format!("{:.3}ms", c.store_p99_ms),
                    format!("{:.2}x", c.ratio_p99),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            writeln!(
                f,
                "{:<16} {:>8.3}ms {:>8.3}ms {:>8.3}ms {:>8.3}ms {sqlite_p50:>10} {sqlite_p99:>10} {ratio:>6}  {}",
                s.shape,
                s.store_p50_ms,
                s.store_p99_ms,
                s.bare_p50_ms,
                s.bare_p99_ms,
                s.verdict(self.backend)
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

/// The shapes measured: name, SQLite target p99 (ms), and how a sample becomes its query.
fn shapes() -> Vec<(&'static str, f64, MakeLookup)> {
    vec![
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
    ]
}

/// A store's and its bare statements' latencies for one shape, in ms.
struct Timed {
    store_p50: f64,
    store_p99: f64,
    bare_p50: f64,
    bare_p99: f64,
}

/// Times `queries` through the store and bare, each warmed by one unmeasured pass first.
fn time_shape(
    store: &dyn Store,
    queries: &[PatientLookup],
    mut bare: impl FnMut(&PatientLookup) -> Result<usize, CliError>,
) -> Result<Timed, CliError> {
    let page = Page::first(PAGE);
    for q in queries {
        store.search_patients(q, page).map_err(super::fail)?;
    }
    let mut store_times = Vec::with_capacity(queries.len());
    for q in queries {
        let t = Instant::now();
        let found = store.search_patients(q, page).map_err(super::fail)?;
        store_times.push(t.elapsed());
        std::hint::black_box(found);
    }
    let mut bare_times = Vec::with_capacity(queries.len() * 2);
    for q in queries.iter().chain(queries.iter()) {
        let t = Instant::now();
        let rows = bare(q)?;
        bare_times.push(t.elapsed());
        std::hint::black_box(rows);
    }
    let mut bare_times = bare_times.split_off(queries.len());
    Ok(Timed {
        store_p50: percentile(&mut store_times, 0.50),
        store_p99: percentile(&mut store_times, 0.99),
        bare_p50: percentile(&mut bare_times, 0.50),
        bare_p99: percentile(&mut bare_times, 0.99),
    })
}

/// The SQLite store named by `--compare sqlite:PATH`: it must exist (a benchmark makes no store).
pub fn compare_path(url: &str) -> Result<PathBuf, CliError> {
    let Some(path) = url.strip_prefix("sqlite:").filter(|p| !p.is_empty()) else {
        return Err(CliError::new(format!(
            "--compare takes a SQLite store as sqlite:PATH (for example sqlite:/var/lib/chartroom/chartroom.db), not \
             {url}"
        )));
    };
    let path = PathBuf::from(path);
    if !path.is_file() {
        return Err(CliError::new(format!("--compare: there is no SQLite store at {}", path.display())));
    }
    Ok(path)
}

pub fn run(
    desk: &Desk,
    opened: &OpenedStore,
    config: &Config,
    iterations: usize,
    compare: Option<&str>,
) -> Result<BenchReport, CliError> {
    desk.require_permission(crate::domain::role::Permission::AdministerStore).map_err(super::fail)?;
    let info = desk.store_info().map_err(super::fail)?;
    let n = iterations.max(10);
    match &opened.location {
        StoreLocation::Sqlite(store_file) => {
            if compare.is_some() {
                return Err(CliError::new(
                    "--compare sets a SQLite store beside a PostgreSQL one; this store is SQLite already".into(),
                ));
            }
            let bare = baseline_connection(store_file)?;
            let samples = sqlite_samples(&bare, n).map_err(super::fail)?;
            let mut figures = Vec::new();
            for (shape, target, make) in shapes() {
                let queries: Vec<PatientLookup> = samples.iter().map(&make).collect();
                let t = time_shape(&*opened.store, &queries, |q| bare_query(&bare, q).map_err(super::fail))?;
                figures.push(shape_figures(shape, target, t, None));
            }
            Ok(BenchReport {
                backend: "sqlite",
                patients: info.patient_count,
                iterations: samples.len(),
                shapes: figures,
                compared_patients: None,
            })
        }
        StoreLocation::Postgres(_) => {
            let postgres = config
                .postgres
                .as_ref()
                .ok_or_else(|| CliError::new("the PostgreSQL store's settings are missing".into()))?;
            let mut bare = PgBaseline::connect(crate::setup::postgres_config(postgres).map_err(super::fail)?)?;
            let samples = bare.samples(n)?;
            let sqlite = match compare {
                Some(url) => {
                    let path = compare_path(url)?;
                    let store = SqliteStore::open(&path).map_err(super::fail)?;
                    let patients = store.info().map_err(super::fail)?.patient_count;
                    Some((store, baseline_connection(&path)?, patients))
                }
                None => None,
            };
            let mut figures = Vec::new();
            for (shape, target, make) in shapes() {
                let queries: Vec<PatientLookup> = samples.iter().map(&make).collect();
                let t = time_shape(&*opened.store, &queries, |q| bare.query(q))?;
                let compared = match &sqlite {
                    Some((store, reader, _)) => {
                        let s = time_shape(store, &queries, |q| bare_query(reader, q).map_err(super::fail))?;
                        Some(compared_figures(t.store_p99, s))
                    }
                    None => None,
                };
                figures.push(shape_figures(shape, target, t, compared));
            }
            Ok(BenchReport {
                backend: "postgres",
                patients: info.patient_count,
                iterations: samples.len(),
                shapes: figures,
                compared_patients: sqlite.map(|(_, _, patients)| patients),
            })
        }
    }
}

fn shape_figures(shape: &'static str, target: f64, t: Timed, sqlite: Option<ComparedFigures>) -> ShapeFigures {
    ShapeFigures {
        shape,
        store_p50_ms: t.store_p50,
        store_p99_ms: t.store_p99,
        bare_p50_ms: t.bare_p50,
        bare_p99_ms: t.bare_p99,
        target_p99_ms: target,
        sqlite,
    }
}

fn compared_figures(store_p99: f64, sqlite: Timed) -> ComparedFigures {
    ComparedFigures {
        store_p50_ms: sqlite.store_p50,
        store_p99_ms: sqlite.store_p99,
        bare_p50_ms: sqlite.bare_p50,
        bare_p99_ms: sqlite.bare_p99,
        // A p99 of 0 (a clock too coarse) would make the ratio infinite; a microsecond floors it.
        ratio_p99: store_p99 / sqlite.store_p99.max(0.001),
    }
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

/// Patient ids to sample, spread over `1..=max` by a fixed xorshift, so every run of the benchmark
/// on the same store asks the same queries; bounded, so a store with few usable patients ends.
fn sample_ids(max: i64, n: usize) -> impl Iterator<Item = i64> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    std::iter::repeat_with(move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        1 + (x % max.max(1) as u64) as i64
    })
    .take(n.saturating_mul(100))
}

fn usable(family_key: &str, given_key: &str) -> bool {
    !family_key.is_empty() && !given_key.is_empty()
}

fn no_samples(n: usize) -> CliError {
    CliError::new(format!(
        "bench needs patients with a name, a given name and an SSN's last 4 to search for; this store gave fewer \
         than {n}"
    ))
}

fn sqlite_samples(conn: &Connection, n: usize) -> Result<Vec<Sample>, CliError> {
    let max: Option<i64> = conn.query_row("SELECT max(id) FROM patient", [], |r| r.get(0)).map_err(super::fail)?;
    let mut stmt = conn
        .prepare(
            "SELECT mrn, family_key, given_key, birth_date, ssn_last4 FROM patient WHERE id = ?1 AND ssn_last4 IS NOT NULL",
        )
        .map_err(super::fail)?;
    let mut out = Vec::new();
    for id in sample_ids(max.unwrap_or(0), n) {
        if out.len() >= n || max.is_none() {
            break;
        }
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
            && usable(&family_key, &given_key)
        {
            let birth_date = NaiveDate::parse_from_str(&birth, "%Y-%m-%d").unwrap_or_default();
            out.push(Sample { mrn, family_key, given_key, birth_date, last4 });
        }
    }
    if out.len() < n { Err(no_samples(n)) } else { Ok(out) }
}

/// The PostgreSQL baseline: one tokio-postgres connection of the store's role, on a runtime of the
/// benchmark's own thread, with each statement prepared once as the store's pool caches them.
struct PgBaseline {
    runtime: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
    prepared: HashMap<String, tokio_postgres::Statement>,
}

impl PgBaseline {
    fn connect(config: tokio_postgres::Config) -> Result<Self, CliError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(super::fail)?;
        let (client, connection) = runtime.block_on(config.connect(tokio_postgres::NoTls)).map_err(super::fail)?;
        // The connection's task runs whenever the thread waits on a query below.
        runtime.spawn(connection);
        Ok(Self { runtime, client, prepared: HashMap::new() })
    }

    fn samples(&mut self, n: usize) -> Result<Vec<Sample>, CliError> {
        let Self { runtime, client, .. } = self;
        runtime
            .block_on(async {
                let max: Option<i64> = client.query_one("SELECT max(id) FROM patient", &[]).await?.try_get(0)?;
                let Some(max) = max else { return Ok(Vec::new()) };
                let stmt = client
                    .prepare(
                        "SELECT mrn, family_key, given_key, birth_date, ssn_last4 FROM patient \
                         WHERE id = $1 AND ssn_last4 IS NOT NULL",
                    )
                    .await?;
                let mut out = Vec::new();
                for id in sample_ids(max, n) {
                    if out.len() >= n {
                        break;
                    }
                    let Some(r) = client.query_opt(&stmt, &[&id]).await? else { continue };
                    let (family_key, given_key): (String, String) = (r.try_get(1)?, r.try_get(2)?);
                    if usable(&family_key, &given_key) {
                        out.push(Sample {
                            mrn: r.try_get(0)?,
                            family_key,
                            given_key,
                            birth_date: r.try_get(3)?,
                            last4: r.try_get(4)?,
                        });
                    }
                }
                Ok::<_, tokio_postgres::Error>(out)
            })
            .map_err(super::fail)
            .and_then(|out| if out.len() < n { Err(no_samples(n)) } else { Ok(out) })
    }

    /// The first page of `lookup` through the store's own statements, as [`bare_query`] on SQLite.
    fn query(&mut self, lookup: &PatientLookup) -> Result<usize, CliError> {
        let Self { runtime, client, prepared } = self;
        runtime.block_on(bare_pg_query(client, prepared, lookup)).map_err(super::fail)
    }
}

async fn prepare<'a>(
    client: &tokio_postgres::Client,
    prepared: &'a mut HashMap<String, tokio_postgres::Statement>,
    sql: &str,
) -> Result<&'a tokio_postgres::Statement, tokio_postgres::Error> {
    if !prepared.contains_key(sql) {
        let statement = client.prepare(sql).await?;
        prepared.insert(sql.to_string(), statement);
    }
    Ok(&prepared[sql])
}

/// As [`bare_query`], on PostgreSQL: limited tiers in turn until the page is full, a date's keys
/// read whole and the first page's rows by id, each row's name read and nothing more.
async fn bare_pg_query(
    client: &tokio_postgres::Client,
    prepared: &mut HashMap<String, tokio_postgres::Statement>,
    lookup: &PatientLookup,
) -> Result<usize, tokio_postgres::Error> {
    use tokio_postgres::types::ToSql;
    let wanted = PAGE + 1;
    let mut found = 0;
    for statement in crate::store::postgres::search_statements(lookup, wanted as i64) {
        if statement.limited && found >= wanted {
            break;
        }
        let mut params = statement.params;
        if statement.limited {
            // The store asks each tier for what the page still wants.
            params.pop();
            params.push(Box::new((wanted - found) as i64));
        }
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)).collect();
        let stmt = prepare(client, prepared, &statement.sql).await?.clone();
        let mut ids: Vec<i64> = Vec::new();
        for row in client.query(&stmt, &refs).await? {
            if statement.ids_then_rows {
                if ids.len() < wanted {
                    ids.push(row.try_get(0)?);
                }
                std::hint::black_box(row.try_get::<_, String>(2)?);
                continue;
            }
            std::hint::black_box(row.try_get::<_, String>(2)?);
            found += 1;
        }
        if statement.ids_then_rows && !ids.is_empty() {
            let stmt = prepare(client, prepared, &crate::store::postgres::rows_by_id_sql()).await?.clone();
            for row in client.query(&stmt, &[&ids]).await? {
                std::hint::black_box(row.try_get::<_, String>(2)?);
                found += 1;
            }
        }
    }
    Ok(found)
}

/// The baseline's connection: read-only, with the PRAGMAs and statement cache of the store's readers.
fn baseline_connection(store_file: &Path) -> Result<Connection, CliError> {
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

    fn figures(store_p99: f64, bare_p99: f64, sqlite_p99: Option<f64>) -> ShapeFigures {
        let timed = |p99: f64| Timed { store_p50: p99 / 2.0, store_p99: p99, bare_p50: p99 / 2.0, bare_p99: p99 };
        ShapeFigures {
            shape: "NAME prefix",
            store_p50_ms: store_p99 / 2.0,
            store_p99_ms: store_p99,
            bare_p50_ms: bare_p99 / 2.0,
            bare_p99_ms: bare_p99,
            target_p99_ms: 2.0,
            sqlite: sqlite_p99.map(|p99| compared_figures(store_p99, timed(p99))),
        }
    }

    #[test]
    fn postgres_is_judged_by_its_ratio_to_sqlite_and_not_by_sqlites_targets() {
        // 3 ms is over SQLite's 2 ms target, but within 2x of SQLite's 1.6 ms on the same data.
        assert_eq!(figures(3.0, 2.8, Some(1.6)).verdict("postgres"), "ok");
        assert_eq!(figures(3.0, 2.8, Some(1.4)).verdict("postgres"), "OVER 2x SQLITE");
        assert_eq!(figures(3.0, 1.0, Some(2.0)).verdict("postgres"), "over 1.5x bare");
        assert_eq!(figures(3.0, 2.8, None).verdict("postgres"), "ok");
        assert_eq!(figures(3.0, 2.8, None).verdict("sqlite"), "OVER TARGET");
        assert_eq!(figures(1.0, 0.9, None).verdict("sqlite"), "ok");
    }

    #[test]
    fn the_ratio_is_postgres_p99_over_sqlite_p99() {
        let f = figures(3.0, 2.8, Some(1.5));
        let sqlite = f.sqlite.as_ref().unwrap();
        assert!((sqlite.ratio_p99 - 2.0).abs() < 1e-9, "{}", sqlite.ratio_p99);
        assert!(figures(0.05, 0.05, Some(0.0)).sqlite.unwrap().ratio_p99.is_finite());
    }

    #[test]
    fn a_postgres_report_shows_both_backends_side_by_side() {
        let report = BenchReport {
            backend: "postgres",
            patients: 1000,
            iterations: 10,
            shapes: vec![figures(3.0, 2.8, Some(1.2)), figures(1.0, 0.9, None)],
            compared_patients: Some(1000),
        };
        let text = report.to_string();
        assert!(text.starts_with("store-level search on PostgreSQL, warm, 1000 patients"), "{text}");
        assert!(text.contains("beside the SQLite store of --compare, 1000 patients"), "{text}");
        let compared = text.lines().find(|l| l.contains("2.50x")).unwrap_or_default();
        assert!(compared.contains("1.200ms") && compared.ends_with("OVER 2x SQLITE"), "{text}");
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["backend"], "postgres");
        assert_eq!(json["shapes"][0]["sqlite"]["store_p99_ms"], 1.2);
        assert!(json["shapes"][1].get("sqlite").is_none(), "{json}");
    }

    #[test]
    fn compare_takes_an_existing_sqlite_store_only() {
        let (dir, store) = store();
        let url = format!("sqlite:{}", store.path().display());
        assert_eq!(compare_path(&url).unwrap(), store.path());
        let err = compare_path("postgres://chartroom@db/chartroom").unwrap_err().message;
        assert!(err.contains("--compare takes a SQLite store as sqlite:PATH"), "{err}");
        assert!(compare_path("sqlite:").is_err());
        let missing = dir.path().join("none.db");
        let err = compare_path(&format!("sqlite:{}", missing.display())).unwrap_err().message;
        assert_eq!(err, format!("--compare: there is no SQLite store at {}", missing.display()));
        assert!(!missing.exists(), "a benchmark makes no store");
    }

    #[test]
    fn samples_are_the_same_on_every_run_and_a_store_without_enough_is_refused() {
        let (_dir, store) = store();
        let reader = baseline_connection(store.path()).unwrap();
        let mrns = |n| sqlite_samples(&reader, n).unwrap().into_iter().map(|s| s.mrn).collect::<Vec<_>>();
        assert_eq!(mrns(20), mrns(20));
        let empty = tempfile::tempdir().unwrap();
        let empty_store = SqliteStore::open(&empty.path().join("chartroom.db")).unwrap();
        let err = sqlite_samples(&baseline_connection(empty_store.path()).unwrap(), 10).err().unwrap().message;
        assert!(err.starts_with("bench needs patients with a name"), "{err}");
    }
}
