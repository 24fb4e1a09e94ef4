//! Importing a Synthea-layout CSV export of 100,000 patients, 1,000,000 encounters and 333,334
//! procedures (generated here, in the current layout with MIDDLE, FIPS and INCOME) into an empty
//! store, through the real binary: wall time and the importer's peak RSS. `cargo bench --bench
//! import`; the size changes with CHARTROOM_BENCH_IMPORT_PATIENTS (ten encounters each, a procedure
//! on every third).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

mod common;

use common::env_number;

/// A deterministic export: ids are zero-padded counters shaped like Synthea's UUIDs.
fn write_export(dir: &Path, patients: usize) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let uuid = |kind: u32, n: usize| format!("{kind:08x}-0000-4000-8000-{n:012x}");
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
            1930 + n % 90,
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
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("encounters.csv"))?);
    writeln!(
        out,
        "Id,START,STOP,PATIENT,ORGANIZATION,PROVIDER,PAYER,ENCOUNTERCLASS,CODE,DESCRIPTION,\
         BASE_ENCOUNTER_COST,TOTAL_CLAIM_COST,PAYER_COVERAGE,REASONCODE,REASONDESCRIPTION"
    )?;
    let classes = ["wellness", "ambulatory", "outpatient", "emergency", "inpatient", "urgentcare"];
    for n in 0..patients * 10 {
        let patient = n / 10;
        let (year, day) = (2000 + (n % 10) * 2, 1 + patient % 28);
        let class = classes[n % classes.len()];
        let stop_day = if class == "inpatient" { day + 3 } else { day };
        writeln!(
            out,
            "{},{year}-03-{day:02}T06:01:00Z,{year}-03-{stop_day:02}T09:16:00Z,{},{},{},,{class},162673000,\
             \"General examination of patient (procedure)\",129.16,129.16,0,,",
            uuid(4, n),
            uuid(3, patient),
            uuid(1, n % 20),
            uuid(2, n % 500),
        )?;
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(dir.join("procedures.csv"))?);
    writeln!(out, "START,STOP,PATIENT,ENCOUNTER,SYSTEM,CODE,DESCRIPTION,BASE_COST,REASONCODE,REASONDESCRIPTION")?;
    for n in (0..patients * 10).step_by(3) {
        let patient = n / 10;
        let (year, day) = (2000 + (n % 10) * 2, 1 + patient % 28);
        writeln!(
            out,
            "{year}-03-{day:02}T06:31:00Z,{year}-03-{day:02}T07:01:00Z,{},{},http://snomed.info/sct,430193006,\
             Medication Reconciliation (procedure),512.5,,",
            uuid(3, patient),
            uuid(4, n),
        )?;
    }
    Ok(())
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_IMPORT_PATIENTS", 100_000);
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("import-bench-{patients}"));
    let export = root.join("export");
    if !export.join("procedures.csv").exists() {
        let started = Instant::now();
        write_export(&export, patients).unwrap();
        eprintln!(
            "generated {patients} patients / {} encounters / {} procedures in {:.1} s",
            patients * 10,
            (patients * 10).div_ceil(3),
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
    let started = Instant::now();
    let mut command = if timer.exists() {
        let mut c = std::process::Command::new(timer);
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(&binary);
        c
    } else {
        std::process::Command::new(&binary)
    };
    let output = command
        .arg("--data-dir")
        .arg(&data)
        .args(["import", "synthea-csv", "--open-since", "2026-01-01", "--json"])
        .arg(&export)
        .output()
        .unwrap();
    let seconds = started.elapsed().as_secs_f64();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let rss = std::fs::read_to_string(&rss_file).ok().and_then(|s| s.trim().parse::<f64>().ok());
    println!(
        "import synthea-csv: {} patients, {} encounters, {} procedures created in {seconds:.1} s (target ≤ 60 s); \
         peak RSS {}",
        summary["counts"]["patients"]["created"],
        summary["counts"]["encounters"]["created"],
        summary["counts"]["procedures"]["created"],
        rss.map_or("unmeasured (no /usr/bin/time)".to_string(), |kb| format!(
            "{:.0} MB (target ≤ 200 MB)",
            kb / 1024.0
        )),
    );
}
