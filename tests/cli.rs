//! The command line's arguments: every typed date range-checked, `--limit` with one meaning, an empty
//! search and unknown filter values refused — each with one clear line and a failing exit status.

use std::path::Path;
use std::process::{Command, Output};

fn chartroom(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chartroom"))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(args)
        .env_remove("CHARTROOM_CONFIG")
        .env_remove("CHARTROOM_DATA_DIR")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// A store with no patients (the founder is its director): enough for commands that read the queue.
fn empty_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = chartroom(dir.path(), &["init", "--empty"]);
    assert!(out.status.success(), "init failed: {}", stderr(&out));
    dir
}

/// Refused by the argument parser: exit status 2, the message on stderr, and no panic.
fn assert_usage_error(dir: &Path, args: &[&str], expected: &str) {
    let out = chartroom(dir, args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(expected), "{args:?}: expected {expected:?} in:\n{err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
}

#[test]
fn every_date_argument_is_range_checked_before_any_arithmetic() {
    let dir = tempfile::tempdir().unwrap();
    let range = "dates run from 01/01/1900 to 12/31/2200";
    assert_usage_error(dir.path(), &["nightly", "--date=+262142-12-31"], range);
    assert_usage_error(dir.path(), &["deficiencies", "rate", "--date", "+262142-12-31"], range);
    assert_usage_error(dir.path(), &["deficiencies", "rate", "--date", "2201-01-01"], range);
    assert_usage_error(
        dir.path(),
        &["provider", "leave", "1000000001", "--from", "1899-12-31", "--to", "2025-01-01"],
        range,
    );
    assert_usage_error(
        dir.path(),
        &["provider", "leave", "1000000001", "--from", "2025-01-01", "--to", "2025-02-30"],
        "February 2025 has no day 30",
    );
    assert_usage_error(dir.path(), &["provider", "suspend", "1000000001", "--date", "2025-13-01"], "no month 13");
    assert_usage_error(dir.path(), &["import", "synthea-csv", ".", "--open-since", "3/3/25"], "write the year in full");
}

#[test]
fn limit_zero_is_refused_on_every_command_that_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    let expected = "--limit is how many rows to show, 1 to";
    assert_usage_error(dir.path(), &["search", "smith", "--limit", "0"], expected);
    assert_usage_error(dir.path(), &["deficiencies", "list", "--limit", "0"], expected);
    assert_usage_error(dir.path(), &["audit", "list", "--limit", "0"], expected);
    assert_usage_error(dir.path(), &["search", "smith", "--limit", "5000"], "1 to 1000");
}

#[test]
fn an_empty_search_says_what_it_expects() {
    let dir = tempfile::tempdir().unwrap();
    assert_usage_error(dir.path(), &["search", ""], "type what to look for: an MRN (100234)");
    assert_usage_error(dir.path(), &["search", "   "], "type what to look for: an MRN");
}

#[test]
fn find_on_the_command_line_refuses_what_it_cannot_read() {
    let dir = empty_store();
    let out = chartroom(dir.path(), &["search", "204511x"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("204511x: not an MRN (digits only) — did you mean 204511?"), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["search", "smith 13/45/61"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("13/45/61: there is no month 13"), "{}", stderr(&out));
}

#[test]
fn unknown_queue_filter_values_are_refused_with_the_known_ones() {
    let dir = empty_store();
    for (flag, what) in [("--type", "deficiency type"), ("--facility", "facility"), ("--category", "category")] {
        let out = chartroom(dir.path(), &["deficiencies", "list", flag, "BOGUS"]);
        assert!(!out.status.success(), "{flag}: exit 0 with nothing listed");
        let err = stderr(&out);
        assert!(err.contains(&format!("no {what} \"BOGUS\"")), "{flag}: {err}");
    }
    let out = chartroom(dir.path(), &["deficiencies", "list", "--type", "BOGUS"]);
    assert!(stderr(&out).contains("known: ") && stderr(&out).contains("DS-D"), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["deficiencies", "list", "--service", "BOGUS"]);
    assert!(stderr(&out).contains("no service \"BOGUS\""), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["deficiencies", "list", "--mrn", "999999"]);
    assert!(stderr(&out).contains("no patient has MRN 999999"), "{}", stderr(&out));
    // A known value in another case is taken.
    let out = chartroom(dir.path(), &["deficiencies", "list", "--type", "ds-d"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_rate_over_no_discharges_is_not_computable_never_zero() {
    let dir = empty_store();
    let out = chartroom(dir.path(), &["deficiencies", "rate", "--date", "2025-03-13"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "Delinquency rate on 03/13/2025: not computable (no inpatient discharges in the 12 months to 03/13/2025)"
        ),
        "{text}"
    );
    assert!(!text.contains("0.0%") && !text.contains("within the 50% line"), "{text}");
    let out = chartroom(dir.path(), &["deficiencies", "rate", "--date", "2025-03-13", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["rate"]["rate_percent"], serde_json::Value::Null, "{json}");
    assert_eq!(json["rate"]["band"], "not_computable", "{json}");
}

#[test]
fn the_command_line_reads_the_type_catalog_through_the_desk_and_its_permission_check() {
    let dir = empty_store();
    let users = chartroom(dir.path(), &["user", "list", "--json"]);
    assert!(users.status.success(), "{}", stderr(&users));
    let users: serde_json::Value = serde_json::from_slice(&users.stdout).unwrap();
    let me = users[0]["username"].as_str().expect("the founder").to_string();
    // The founder hands the directorship on and keeps only a clerk's role.
    let out = chartroom(dir.path(), &["user", "add", "deputy", "--role", "director"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["user", "roles", &me, "him_clerk"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["deficiency-type", "list"]);
    assert_eq!(out.status.code(), Some(1), "a clerk listed the catalog: {}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr(&out).contains("may not"), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["deficiencies", "list", "--physician", "1000000001"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("may not"), "the refusal, not a lookup's answer: {}", stderr(&out));
}

/// A demo store: GARCIA's A25-000781 and PATEL (NPI 1000000001) are in it.
fn demo_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = chartroom(dir.path(), &["init"]);
    assert!(out.status.success(), "init failed: {}", stderr(&out));
    dir
}

#[test]
fn the_command_line_names_what_it_changed_as_a_clerk_does_never_by_internal_id() {
    let dir = demo_store();
    let out = chartroom(dir.path(), &["deficiencies", "add", "A25-000781", "PN", "1000000001"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(said.trim(), "Added A25-000781 PN for the provider with NPI 1000000001.");
    // The director sees the suspension list but does not decide it, and is told who does.
    let out = chartroom(dir.path(), &["provider", "suspend", "1000000001"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("that needs medical_staff_office"), "{}", stderr(&out));
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn an_offset_past_what_a_store_can_count_is_refused_not_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let expected = "--offset is how many rows to skip, 0 to 9223372036854775807";
    for huge in ["18446744073709551615", "9223372036854775808", "-1", "lots"] {
        assert_usage_error(dir.path(), &["deficiencies", "list", &format!("--offset={huge}")], expected);
    }
    // The largest offset allowed is a page past the end, not the first page under another name.
    let dir = demo_store();
    let out = chartroom(dir.path(), &["deficiencies", "list", "--offset", "9223372036854775807"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "only the heading: {text}");
    assert!(!text.contains("more below"), "{text}");
}

#[test]
fn the_command_line_prints_names_and_titles_whole() {
    let dir = demo_store();
    let out = chartroom(
        dir.path(),
        &[
            "facility",
            "add",
            "KLI",
            "--name",
            "Kiritimati Line Islands Regional Medical Center",
            "--state",
            "HI",
            "--kind",
            "hospital",
            "--tz",
            "Pacific/Kiritimati",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["facility", "list"]);
    assert!(stdout(&out).contains("KLI  Kiritimati Line Islands Regional Medical Center HI"), "{}", stdout(&out));

    let out = chartroom(dir.path(), &["deficiencies", "list", "--limit", "1000"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list = stdout(&out);
    assert!(list.lines().filter(|l| !l.starts_with("… more below")).all(|l| !l.contains('…')), "{list}");
    assert!(list.contains("Consult report missing or unsigned"), "{list}");
    // A delinquent item's mark stands apart from its age.
    assert!(list.lines().filter(|l| l.contains('!')).all(|l| l.contains("! ")), "{list}");

    let out = chartroom(dir.path(), &["deficiencies", "list", "--limit", "1000", "--json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut mrns: Vec<String> =
        rows.as_array().unwrap().iter().filter_map(|r| r["mrn"].as_str().map(str::to_string)).collect();
    mrns.dedup();
    assert!(!mrns.is_empty());
    for mrn in mrns.iter().take(25) {
        let out = chartroom(dir.path(), &["chart", mrn]);
        assert!(out.status.success(), "{}", stderr(&out));
        let chart = stdout(&out);
        let before_notes = chart.split("\n--- ").next().unwrap_or_default();
        assert!(!before_notes.contains('…'), "MRN {mrn}:\n{chart}");
        assert!(!chart.contains("COMPLETED (completed)"), "MRN {mrn}:\n{chart}");
    }
}

#[test]
fn the_audit_list_names_whom_a_change_was_about() {
    let dir = empty_store();
    let out = chartroom(dir.path(), &["user", "add", "mreyes", "--role", "him_clerk"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["user", "disable", "mreyes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = chartroom(dir.path(), &["audit", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.contains("enabled true -> false")).unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(" mreyes "), "{line}");
}

#[test]
fn names_with_control_characters_are_refused_not_stripped() {
    let dir = empty_store();
    let out = chartroom(
        dir.path(),
        &[
            "facility",
            "add",
            "ESC",
            "--name",
            "Esc\u{1b}[2J\u{1b}]0;pwn\u{7}ape",
            "--state",
            "TX",
            "--kind",
            "hospital",
            "--tz",
            "America/Chicago",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("a facility name holds a control character (U+001B, character 4)"),
        "{}",
        stderr(&out)
    );
    let out = chartroom(dir.path(), &["facility", "list"]);
    assert!(!stdout(&out).contains("ESC"), "nothing stored: {}", stdout(&out));

    let out = chartroom(dir.path(), &["user", "add", "mreyes", "--role", "him_clerk", "--display-name", "M\u{1b}[2JR"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("a display name holds a control character (U+001B, character 2)"),
        "{}",
        stderr(&out)
    );
    let out = chartroom(dir.path(), &["user", "list"]);
    assert!(!stdout(&out).contains("mreyes"), "nothing stored: {}", stdout(&out));
}

#[test]
fn a_demo_of_no_patients_is_refused_and_its_help_says_what_it_adds() {
    let dir = tempfile::tempdir().unwrap();
    assert_usage_error(
        dir.path(),
        &["demo", "--patients", "0"],
        "--patients is how many patients the demo makes, 1 to",
    );
    assert!(!dir.path().join("data").exists(), "nothing was created");
    let out = chartroom(dir.path(), &["demo", "--help"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let help = stdout(&out);
    assert!(help.contains("about 0.5% near-duplicate"), "{help}");
}
