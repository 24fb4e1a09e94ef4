//! Importing a generated export shaped like Synthea's own into an empty store, through the real
//! binary: wall time, the importer's peak RSS, and the encounter rate of each tenth of the run (a
//! rate that falls as the store grows means a cost that grows with the store, not the rows).
//!
//! The shape (issue 8): 38 encounters per patient spread over decades, half the patients with an
//! emergency visit and an admission in the same minute (Synthea writes both), a procedure on every
//! third encounter, ids that look like Synthea's random UUIDs (so source-id indexes are written at
//! random places, as they are with real exports), patients' rows grouped as Synthea groups them.
//! `cargo bench --bench import`; the size changes with CHARTROOM_BENCH_IMPORT_PATIENTS (100,000:
//! 3,800,000 encounters and 1,300,000 procedures).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

use common::env_number;

const ENCOUNTERS_PER_PATIENT: usize = 38;

/// A deterministic UUID-shaped id that does not sort in the order it was made (SplitMix64 of the
/// counter), as Synthea's v4 UUIDs do not.
fn uuid(kind: u64, n: usize) -> String {
    let mix = |mut z: u64| {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let (a, b) = (mix(kind << 48 ^ n as u64), mix(!(kind << 48 ^ n as u64)));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

/// Encounter `k` of patient `n`: its class and its start, over the decades since 1970 or birth.
fn encounter_of(n: usize, k: usize) -> (&'static str, chrono::NaiveDateTime) {
    let birth_year = 1930 + (n % 80) as i32;
    let first = chrono::NaiveDate::from_ymd_opt(birth_year.max(1970), 1, 1).unwrap_or_default();
    let span = (chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default() - first).num_days();
    // Spread evenly with a patient-dependent offset, at a patient-dependent time of day.
    let day = (span * k as i64) / ENCOUNTERS_PER_PATIENT as i64 + (n % 97) as i64;
    let minute = ((n * 7 + k * 13) % 600) as i64;
    // Half the patients: an emergency visit and the admission from it, in the same minute.
    let twin = n.is_multiple_of(2) && (k == 20 || k == 21);
    let day = if twin && k == 21 { (span * 20) / ENCOUNTERS_PER_PATIENT as i64 + (n % 97) as i64 } else { day };
    let at = first.and_hms_opt(7, 0, 0).unwrap_or_default()
        + chrono::Duration::days(day)
        + chrono::Duration::minutes(if twin { 95 } else { minute });
    let class = match (twin, k) {
        (true, 20) => "emergency",
        (true, _) => "inpatient",
        _ => match (n + k * 7) % 100 {
            0..=44 => "wellness",
            45..=78 => "ambulatory",
            79..=91 => "outpatient",
            92..=94 => "urgentcare",
            95..=97 => "emergency",
            _ => "inpatient",
        },
    };
    (class, at)
}

/// A deterministic export in Synthea's current CSV layout (MIDDLE, FIPS, INCOME).
fn write_export(dir: &Path, patients: usize) -> std::io::Result<(usize, usize)> {
    std::fs::create_dir_all(dir)?;
    let mut orgs = std::io::BufWriter::new(std::fs::File::create(dir.join("organizations.csv"))?);
    writeln!(orgs, "Id,NAME,ADDRESS,CITY,STATE,ZIP,LAT,LON,PHONE,REVENUE,UTILIZATION")?;
    for o in 0..20 {
        writeln!(orgs, "{},\"GENERAL HOSPITAL {o}, INC.\",1 Main St,Lowell,MA,01854,0,0,555,0,0", uuid(1, o))?;
    }
    let mut providers = std::io::BufWriter::new(std::fs::File::create(dir.join("providers.csv"))?);
    writeln!(providers, "Id,ORGANIZATION,NAME,GENDER,SPECIALITY,ADDRESS,CITY,STATE,ZIP,LAT,LON,ENCOUNTERS,PROCEDURES")?;
    for p in 0..500 {
        writeln!(
            providers,
            "{},{},Lesley{p} Fisher{p},F,GENERAL PRACTICE,1 Main St,Lowell,MA,01854,0,0,0,0",
            uuid(2, p),
            uuid(1, p % 20)
        )?;
    }
    let families = ["Smith", "Garcia", "Nguyen", "O'Brien", "Kessler", "Simonis", "Rowe", "Hackett"];
    let givens = ["Ann", "Jon", "Maria", "Antone", "Lesley", "Freeman", "Basilia", "Corine"];
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("patients.csv"))?);
    writeln!(
        out,
        "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,MIDDLE,LAST,SUFFIX,MAIDEN,MARITAL,RACE,\
         ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,FIPS,ZIP,LAT,LON,HEALTHCARE_EXPENSES,\
         HEALTHCARE_COVERAGE,INCOME"
    )?;
    for n in 0..patients {
        writeln!(
            out,
            "{},{}-{:02}-{:02},,999-{:02}-{:04},,,Mr.,{}{},Q{},{}{},,,M,white,nonhispanic,{},\"Lowell, MA\",\
             {} Heller Walk,Lowell,MA,Middlesex,25017,01854,0,0,0,0,50000",
            uuid(3, n),
            1930 + n % 80,
            1 + n % 12,
            1 + n % 28,
            n % 100,
            n % 10_000,
            givens[n % givens.len()],
            n % 997,
            n % 89,
            families[(n / 8) % families.len()],
            n % 1_009,
            if n % 2 == 0 { "M" } else { "F" },
            n % 500,
        )?;
    }
    let mut encounters = std::io::BufWriter::new(std::fs::File::create(dir.join("encounters.csv"))?);
    writeln!(
        encounters,
        "Id,START,STOP,PATIENT,ORGANIZATION,PROVIDER,PAYER,ENCOUNTERCLASS,CODE,DESCRIPTION,\
         BASE_ENCOUNTER_COST,TOTAL_CLAIM_COST,PAYER_COVERAGE,REASONCODE,REASONDESCRIPTION"
    )?;
    let mut procedures = std::io::BufWriter::new(std::fs::File::create(dir.join("procedures.csv"))?);
    writeln!(
        procedures,
        "START,STOP,PATIENT,ENCOUNTER,SYSTEM,CODE,DESCRIPTION,BASE_COST,REASONCODE,REASONDESCRIPTION"
    )?;
    let (mut encounter_rows, mut procedure_rows) = (0, 0);
    for n in 0..patients {
        for k in 0..ENCOUNTERS_PER_PATIENT {
            let id = n * ENCOUNTERS_PER_PATIENT + k;
            let (class, start) = encounter_of(n, k);
            let stop =
                start + if class == "inpatient" { chrono::Duration::days(3) } else { chrono::Duration::minutes(15) };
            let time = |t: chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            writeln!(
                encounters,
                "{},{},{},{},{},{},,{class},162673000,\"General examination of patient (procedure)\",129.16,129.16,0,,",
                uuid(4, id),
                time(start),
                time(stop),
                uuid(3, n),
                uuid(1, id % 20),
                uuid(2, id % 500),
            )?;
            encounter_rows += 1;
            if id.is_multiple_of(3) {
                let at = start + chrono::Duration::minutes(5);
                writeln!(
                    procedures,
                    "{},{},{},{},http://snomed.info/sct,430193006,Medication Reconciliation (procedure),512.5,,",
                    time(at),
                    time(at + chrono::Duration::minutes(30)),
                    uuid(3, n),
                    uuid(4, id),
                )?;
                procedure_rows += 1;
            }
        }
    }
    Ok((encounter_rows, procedure_rows))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_IMPORT_PATIENTS", 100_000);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("import-bench-synthea-{patients}"));
    let export = root.join("export");
    let encounters = patients * ENCOUNTERS_PER_PATIENT;
    if !export.join("procedures.csv").exists() {
        let started = Instant::now();
        let (e, p) = write_export(&export, patients).unwrap();
        eprintln!(
            "generated {patients} patients / {e} encounters / {p} procedures in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    let data = root.join("data");
    let _ = std::fs::remove_dir_all(&data);
    let chartroom = |args: &[&str]| {
        let status = std::process::Command::new(&binary).arg("--data-dir").arg(&data).args(args).status().unwrap();
        assert!(status.success(), "{args:?}");
    };
    chartroom(&["init", "--empty"]);
    chartroom(&[
        "facility",
        "add",
        "MAH",
        "--name",
        "Mount Auburn Hospital",
        "--state",
        "MA",
        "--kind",
        "hospital",
        "--tz",
        "America/New_York",
    ]);

    // /usr/bin/time reports the importer's own peak RSS; without it, wall time alone.
    let timer = Path::new("/usr/bin/time");
    let rss_file = root.join("rss");
    let mut command = if timer.exists() {
        let mut c = std::process::Command::new(timer);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(&binary);
        c
    } else {
        std::process::Command::new(&binary)
    };
    let started = Instant::now();
    let mut child = command
        .arg("--data-dir")
        .arg(&data)
        .args(["import", "synthea-csv", "--open-since", "2026-01-01", "--json"])
        .arg(&export)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The importer's progress lines (`encounters: 45000 · …`), one per batch, timed as they arrive.
    let mut points: Vec<(usize, f64)> = vec![(0, 0.0)];
    let mut phases: Vec<(String, f64)> = Vec::new();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    for line in stderr.lines() {
        let line = line.unwrap();
        let at = started.elapsed().as_secs_f64();
        let Some((what, rest)) = line.trim().split_once(": ") else { continue };
        let records: Option<usize> = rest.split(' ').next().and_then(|n| n.parse().ok());
        match phases.last_mut() {
            Some((phase, end)) if phase == what => *end = at,
            _ => phases.push((what.to_string(), at)),
        }
        if what == "encounters"
            && let Some(n) = records
        {
            if points.len() == 1 {
                // The encounters start where the patients end.
                points[0].1 = phases.iter().rev().nth(1).map_or(0.0, |p| p.1);
            }
            points.push((n, at));
        }
    }
    let output = child.wait_with_output().unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(output.status.success(), "the import failed");
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rss = std::fs::read_to_string(&rss_file).ok().and_then(|s| s.trim().parse::<f64>().ok());
    println!(
        "import synthea-csv: {} patients, {} encounters, {} procedures created in {seconds:.1} s (target at 100,000 \
         patients ≤ 300 s); peak RSS {}",
        summary["counts"]["patients"]["created"],
        summary["counts"]["encounters"]["created"],
        summary["counts"]["procedures"]["created"],
        rss.map_or("unmeasured (no /usr/bin/time)".to_string(), |kb| format!("{:.0} MB", kb / 1024.0)),
    );
    let mut previous = 0.0;
    for (phase, end) in &phases {
        println!("  {phase:<10} ended at {end:>7.1} s ({:.1} s)", end - previous);
        previous = *end;
    }
    // The time each tenth of the encounters took, from the batch lines either side of its bounds.
    let time_at = |records: usize| {
        let i = points.partition_point(|p| p.0 < records).min(points.len() - 1);
        if i == 0 {
            return points[0].1;
        }
        let ((r0, t0), (r1, t1)) = (points[i - 1], points[i]);
        t0 + (t1 - t0) * (records - r0) as f64 / (r1 - r0).max(1) as f64
    };
    let mut tenths = Vec::new();
    for tenth in 0..10 {
        let (from, to) = (encounters * tenth / 10, encounters * (tenth + 1) / 10);
        let took = time_at(to) - time_at(from);
        tenths.push(took);
        println!(
            "  encounters tenth {:>2}: {:>6.1} s, {:>7.0}/s",
            tenth + 1,
            took,
            (to - from) as f64 / took.max(1e-9)
        );
    }
    println!("  last tenth / first tenth: {:.2}× (target ≤ 1.5×)", tenths[9] / tenths[0].max(1e-9));
}
