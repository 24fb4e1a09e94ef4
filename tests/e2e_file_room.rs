//! End to end, the file room's scan mode: the real binary in a pseudo-terminal on a temporary
//! demo store. `:scan`, a location, then five volumes typed as a wedge scanner types them — all at
//! once, faster than the desk answers — and the movements read back from the store through the
//! command line.

mod common;

use common::cli::{chartroom as cli, json, ok};

#[path = "common/pty.rs"]
mod pty;

use pty::store_args;
use std::path::{Path, PathBuf};
use std::time::Duration;

// A deadline, not a pause: generous, because a loaded 2-core machine runs these beside the rest.
const WAIT: Duration = Duration::from_secs(60);

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chartroom"))
}

fn session(dir: &Path) -> pty::Session {
    let args = store_args(dir);
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let s = pty::spawn(&binary(), &arg_refs, (80, 24));
    s.wait_for("DEMO DATA", WAIT);
    s
}

/// Five patients of the demo's pull list, each given a new volume (in file, in FILE ROOM A) from
/// the command line: (MRN, barcode).
fn five_new_volumes(dir: &Path) -> Vec<(String, String)> {
    let mut mrns: Vec<String> = Vec::new();
    // The demo asks for charts on its day; the file room's day may be the one before (UTC's
    // midnight comes before Chicago's).
    let today = common::cli::department_today();
    for day in [today, today.succ_opt().unwrap()] {
        let listed = json(&cli(dir, &["pull-list", "--date", &day.to_string(), "--json"]));
        for request in listed.as_array().unwrap() {
            let mrn = request["mrn"].as_str().unwrap().to_string();
            if !mrns.contains(&mrn) {
                mrns.push(mrn);
            }
        }
    }
    assert!(mrns.len() >= 5, "the demo asks for a dozen charts: {mrns:?}");
    mrns.truncate(5);
    mrns.into_iter()
        .map(|mrn| {
            let made = ok(&cli(dir, &["chart-volume", "new", &mrn]));
            let barcode = made.split_whitespace().next().unwrap().to_string();
            assert!(barcode.starts_with(&format!("V{mrn}-")), "{made}");
            (mrn, barcode)
        })
        .collect()
}

#[test]
fn scan_mode_charges_five_volumes_to_the_location_scanned_first() {
    let dir = common::cli::demo_store(120);
    let volumes = five_new_volumes(dir.path());
    let mut s = session(dir.path());
    s.send(b"\x10scan\r");
    s.wait_for("Scan a location first", WAIT);

    // The scanner: the location, then five barcodes, each with its Enter, in one burst.
    let mut burst = b"coding\r".to_vec();
    for (_, barcode) in &volumes {
        burst.extend_from_slice(barcode.as_bytes());
        burst.push(b'\r');
    }
    let started = std::time::Instant::now();
    s.send(&burst);
    s.wait_for("5 scanned · 5 moved · 0 refused", WAIT);
    // For the record, not a test: a debug build, polled every 20 ms.
    eprintln!("a location and five volumes scanned in one burst, all confirmed in {:?}", started.elapsed());
    s.wait_for("Charging to CODING", WAIT);
    let screen = s.screen();
    for (mrn, barcode) in &volumes {
        let line = screen.lines().find(|l| l.contains(barcode.as_str())).unwrap_or_else(|| panic!("{screen}"));
        assert!(line.contains(&format!("MRN {mrn}")) && line.contains("charged out"), "{line}");
    }
    // A mistyped barcode is one line, and moves nothing.
    s.send(b"V00000-9\r");
    s.wait_for("No volume has the barcode V00000-9.", WAIT);
    s.wait_for("6 scanned · 5 moved · 1 refused", WAIT);
    s.send(b"\x11");
    s.wait_exit(WAIT);

    for (mrn, barcode) in &volumes {
        let listed = json(&cli(dir.path(), &["chart-volume", "list", mrn, "--json"]));
        let volume = listed.as_array().unwrap().iter().find(|v| v["barcode"] == barcode.as_str()).unwrap();
        assert_eq!(volume["current"]["code"], "CODING", "{volume}");
        assert_eq!(volume["status"], "ChargedOut", "{volume}");
        assert!(volume["due_back_on"].is_string(), "due back after Coding's loan days: {volume}");
    }
}
