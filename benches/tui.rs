//! The terminal program measured from outside, through a pseudo-terminal at 80×24, on a demo store
//! (1,000,000 patients unless CHARTROOM_BENCH_PATIENTS says otherwise; made once and kept under
//! target/), or on the store CHARTROOM_STORE names (a PostgreSQL URL: its demo is made there once).
//! `cargo bench --bench tui`. Figures go in BENCHMARKS.md.
//!
//! - launch to first frame: from spawn until the screen shows the Find field;
//! - typing `smith` at 10 keys a second: each key's echo (first output after the key), the final
//!   query's results (last output within a second of the last key), and bytes written per key;
//! - every lookup shape (MRN, names, birth dates, SSN, account) typed into a cleared field: each
//!   key's settled frame (the last output before the next key);
//! - resident memory after 100 searches.

mod common;
#[path = "../tests/common/pty.rs"]
mod pty;

use common::{BenchStore, bench_store, env_number};

use pty::percentile;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(30);

fn spawn(binary: &Path, store: &BenchStore) -> pty::Session {
    let args = store.args();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    pty::spawn(binary, &refs, (80, 24))
}

fn quit(mut s: pty::Session) {
    s.send(b"\x11");
    s.wait_exit(WAIT);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_chartroom"));
    let patients = env_number("CHARTROOM_BENCH_PATIENTS", 1_000_000);
    let runs = env_number("CHARTROOM_BENCH_RUNS", 20);
    let store = bench_store(&binary, patients);

    // Launch to first frame.
    let mut launch = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let s = spawn(&binary, &store);
        s.wait_for("Find:", WAIT);
        launch.push(started.elapsed().as_secs_f64() * 1000.0);
        s.wait_for("DEMO DATA", WAIT);
        quit(s);
    }

    // Typing `smith` at 10 keys a second.
    let mut echo = Vec::new();
    let mut results = Vec::new();
    let mut bytes_per_key = Vec::new();
    for _ in 0..runs {
        let mut s = spawn(&binary, &store);
        s.wait_for("DEMO DATA", WAIT);
        std::thread::sleep(Duration::from_millis(300));
        let mut sent = Vec::new();
        for c in "smith".bytes() {
            let at = Instant::now();
            s.send(&[c]);
            sent.push(at);
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(900));
        s.wait_for("Find: smith", WAIT);
        s.wait_for("SMITH, ", WAIT);
        let arrivals = s.arrivals.lock().unwrap().clone();
        for (k, start) in sent.iter().enumerate() {
            let end = sent.get(k + 1).copied().unwrap_or(*start + Duration::from_secs(1));
            let window: Vec<_> = arrivals.iter().filter(|(t, _)| *t >= *start && *t < end).collect();
            if let Some((first, _)) = window.first() {
                echo.push((*first - *start).as_secs_f64() * 1000.0);
            }
            bytes_per_key.push(window.iter().map(|(_, n)| *n as f64).sum());
            if k + 1 == sent.len()
                && let Some((last, _)) = window.last()
            {
                results.push((*last - *start).as_secs_f64() * 1000.0);
            }
        }
        quit(s);
    }

    // Every lookup shape, typed at 10 keys a second into a cleared field: each key's settled frame
    // is the last output before the next key (a second, after the last key).
    let shapes: [(&str, &str); 10] = [
        ("MRN", "100234"),
        ("LAST,FIRST", "smith,jo"),
        ("name and birth date", "smith jon 4/12/61"),
        ("sound-alike name", "smyth"),
        ("birth date", "04/12/1961"),
        ("SSN last 4", "4821"),
        ("initial + last 4", "S4821"),
        ("full SSN", "123-45-4821"),
        ("account", "A25-000781"),
        ("name, `last first`", "garcia maria"),
    ];
    let mut settled: Vec<Vec<f64>> = vec![Vec::new(); shapes.len()];
    for _ in 0..runs {
        let mut s = spawn(&binary, &store);
        s.wait_for("DEMO DATA", WAIT);
        for (i, (_, query)) in shapes.iter().enumerate() {
            s.send(b"\x15"); // Ctrl-U clears the field
            std::thread::sleep(Duration::from_millis(300));
            let mut sent = Vec::new();
            for c in query.bytes() {
                sent.push(Instant::now());
                s.send(&[c]);
                std::thread::sleep(Duration::from_millis(100));
            }
            std::thread::sleep(Duration::from_millis(900));
            s.wait_for(&format!("Find: {query}"), WAIT);
            let arrivals = s.arrivals.lock().unwrap().clone();
            for (k, start) in sent.iter().enumerate() {
                let end = sent.get(k + 1).copied().unwrap_or(*start + Duration::from_secs(1));
                if let Some((last, _)) = arrivals.iter().rfind(|(t, _)| *t >= *start && *t < end) {
                    settled[i].push((*last - *start).as_secs_f64() * 1000.0);
                }
            }
        }
        quit(s);
    }

    // Resident memory after 100 searches.
    let queries =
        ["smith", "garcia", "nguyen", "S4821", "4821", "johnson jo", "04/12/1961", "miller", "obrien", "100234"];
    let mut s = spawn(&binary, &store);
    s.wait_for("DEMO DATA", WAIT);
    for i in 0..100 {
        s.send(b"\x15"); // Ctrl-U clears the field
        s.send(queries[i % queries.len()].as_bytes());
        std::thread::sleep(Duration::from_millis(40));
    }
    std::thread::sleep(Duration::from_millis(500));
    let pid = s.child.process_id().unwrap();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss_kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    quit(s);

    let row = |name: &str, values: &mut Vec<f64>, unit: &str, target: &str| {
        let (p50, p99, max) = (percentile(values, 0.5), percentile(values, 0.99), percentile(values, 1.0));
        println!("| {name} | {p50:.1} {unit} | {p99:.1} {unit} | {max:.1} {unit} | {} | {target} |", values.len());
    };
    println!("\nTUI through a pseudo-terminal at 80x24, {patients} patients on {}, {runs} runs", store.backend());
    println!("| measure | p50 | p99 | max | samples | target |");
    println!("|---|---|---|---|---|---|");
    row("launch to first frame", &mut launch, "ms", "≤ 200 ms");
    row("key echo while typing `smith`", &mut echo, "ms", "≤ 16 ms p99");
    row("final query's results after its key", &mut results, "ms", "≤ 16 ms p99");
    row("bytes written per key", &mut bytes_per_key, "B", "median ≤ 2,000");
    println!("| RSS after 100 searches | {:.1} MB | | | 1 | ≤ 64 MB |", rss_kb / 1024.0);
    println!("\nEach key's settled frame, by lookup shape ({runs} runs, every key of the query)");
    println!("| shape (typed) | p50 | p99 | max | samples | target |");
    println!("|---|---|---|---|---|---|");
    for ((shape, query), values) in shapes.iter().zip(settled.iter_mut()) {
        row(&format!("{shape} (`{query}`)"), values, "ms", "≤ 16 ms p99");
    }
}
