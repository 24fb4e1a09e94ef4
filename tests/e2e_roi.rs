//! End to end, release of information on screen: the real binary in a pseudo-terminal on a
//! temporary demo store — the ROI queue, a request, another clerk's change reaching the open
//! queue, an intake form that survives a dropped session, and a deficient authorization corrected
//! at the desk (AS-17).

mod common;

use common::cli::chartroom as cli;

#[path = "common/pty.rs"]
mod pty;

use pty::store_args;
use std::path::{Path, PathBuf};
use std::time::Duration;

// A deadline, not a pause: generous, because a loaded 2-core machine runs these beside the rest.
const WAIT: Duration = Duration::from_secs(60);

/// One program in a pseudo-terminal at a time (see tests/e2e.rs).
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chartroom"))
}

/// The demo hospital every test here runs on.
fn demo_store() -> tempfile::TempDir {
    common::cli::demo_store(300)
}

fn session(dir: &Path) -> pty::Session {
    let args = store_args(dir);
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let s = pty::spawn(&binary(), &arg_refs, (80, 24));
    s.wait_for("DEMO DATA", WAIT);
    s
}

/// Waits until `test` holds of the screen, or fails saying what the screen showed.
fn wait_until(s: &pty::Session, what: &str, test: impl Fn(&str) -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !test(&s.screen()) {
        assert!(std::time::Instant::now() < deadline, "{what} never showed:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The number of the queue's row 1 (`RGH-00017`).
fn row_one_number(screen: &str) -> Option<String> {
    screen.lines().find_map(|line| {
        // The row's number, after the mark of whose it is.
        let mut words = line.split_whitespace().filter(|w| !["●", "○"].contains(w));
        if words.next()? != "1" {
            return None;
        }
        words.next().filter(|w| chartroom::domain::roi::RequestNumber::parse(w).is_some()).map(str::to_string)
    })
}

#[test]
fn the_roi_queue_opens_a_request_and_follows_another_clerks_change() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let mut s = session(dir.path());
    s.send(b"\x10roi\r");
    s.wait_for("Release of information", WAIT);
    s.wait_for(" overdue", WAIT);
    wait_until(&s, "row 1", |screen| row_one_number(screen).is_some());
    let number = row_one_number(&s.screen()).unwrap();

    // Enter: the request, its clocks and what it may do next.
    s.send(b"\r");
    s.wait_for(&format!(" {number}  "), WAIT);
    s.wait_for(" Status  ", WAIT);
    s.wait_for(" Due     ", WAIT);
    s.send(b"\x1b");
    s.wait_for("Release of information", WAIT);

    // Another clerk cancels it from her shell (entered in error): the open queue lets it go
    // without a key pressed here.
    let out = cli(dir.path(), &["roi", "cancel", &number, "--reason", "entered in error"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    wait_until(&s, "another request on row 1", |screen| {
        row_one_number(screen).is_some_and(|now| now != number) && !screen.contains(&number)
    });
    s.send(b"\x11");
    s.wait_exit(WAIT);
}

#[test]
fn a_half_filled_request_form_survives_a_dropped_session_and_is_offered_back() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let mut s = session(dir.path());
    s.send(b"\x10mrn 100234\r");
    s.wait_for("MRN 100234", WAIT);
    s.send(b"n");
    s.wait_for("New request at", WAIT);
    s.send(b"Dale Okafor Esq");
    s.wait_for("+ new requester \"Dale Okafor Esq\"", WAIT);
    // Down to "new requester", taken; the purpose typed on two lines.
    s.send(b"\x1b[B\x1b[B\x1b[B\x1b[B\r");
    s.wait_for("(new to the address book)", WAIT);
    for _ in 0..5 {
        s.send(b"\t");
    }
    s.send(b"Workers' comp claim\rinjury of 01/12/2025");
    s.wait_for("injury of 01/12/2025", WAIT);
    // The SSH link drops.
    let pid = s.child.process_id().expect("a pid");
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("a valid pid");
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).unwrap();
    s.wait_exit(WAIT);

    // Back in: the form is offered, and opens as it was left.
    let mut s = session(dir.path());
    s.wait_for("A request form you started", WAIT);
    s.wait_for("100234", WAIT);
    s.send(b"y");
    s.wait_for("New request at", WAIT);
    s.wait_for("Dale Okafor Esq", WAIT);
    s.wait_for("Workers' comp claim", WAIT);
    s.wait_for("injury of 01/12/2025", WAIT);
    s.send(b"\x11");
    s.wait_exit(WAIT);
}

/// AS-17 at the desk: a request logged from a file with an authorization that has neither an
/// expiration nor the statement of the right to revoke is pended; on screen the clerk presses `a`,
/// keys the expiration and ticks the statement, sees the checklist pass beside the form, saves, and
/// the request is validating again — with both authorizations kept.
#[test]
fn a_pended_requests_authorization_is_corrected_on_screen_and_it_validates_again() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let today = common::cli::department_today();
    let received = today - chrono::Duration::days(3);
    let file = dir.path().join("directive.toml");
    std::fs::write(
        &file,
        format!(
            r#"facility = "RGH"
patient = "100234"
received_on = {received}
received_via = "fax"
type = "third_party_directive"
purpose = "Litigation"
format = "paper"
delivery = "mail"

[requester]
kind = "attorney"
name = "Quill & Ramos LLP"
address = "12 Court St"

[scope]
entire_record = true

[authorization]
kind = "hipaa"
signed_on = {signed}
signer = "SMITH, JOHN A"
relationship = "self"
discloser = "Riverbend General Hospital"
recipient = "Quill & Ramos LLP"
information = "All records of 2025"
purpose = "Litigation"
signature = true
conditioning_statement = true
redisclosure_statement = true
"#,
            signed = received - chrono::Duration::days(2)
        ),
    )
    .unwrap();
    let out = cli(dir.path(), &["roi", "log", "--file", &file.display().to_string(), "--new"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(said.contains("Pended: Deficient authorization"), "{said}");
    let number = said.split_whitespace().next().unwrap().to_string();

    let mut s = session(dir.path());
    s.send(format!("\x10roi open {number}\r").as_bytes());
    s.wait_for(&format!(" {number}  "), WAIT);
    s.wait_for("Pended: Deficient authorization", WAIT);
    s.send(b"A");
    s.wait_for(&format!("Authorization received for {number}"), WAIT);
    s.wait_for("7 of 9 pass", WAIT);
    // Kind, then ten fields down to the expiration date.
    for _ in 0..10 {
        s.send(b"\t");
    }
    let expires = (today + chrono::Duration::days(365)).format("%m/%d/%Y").to_string();
    s.send(expires.as_bytes());
    s.wait_for(&format!("Expires {expires}"), WAIT);
    s.wait_for("8 of 9 pass", WAIT);
    // Past the expiration event to the statement of the right to revoke, ticked.
    s.send(b"\t\t ");
    s.wait_for("9 of 9 pass", WAIT);
    // F10 saves (Ctrl-S may be the terminal's flow control), asked first.
    s.send(b"\x1b[21~");
    s.wait_for("(y/N)", WAIT);
    s.send(b"y");
    s.wait_for("checklist passed", WAIT);
    s.wait_for(" Status  Validating", WAIT);
    s.send(b"\x11");
    s.wait_exit(WAIT);

    let out = cli(dir.path(), &["roi", "show", &number, "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["status"], "validating");
    assert_eq!(shown["authorizations"].as_array().unwrap().len(), 2, "the failed one is kept");
    assert!(shown["checklist"].as_array().unwrap().iter().all(|i| i["passed"] == true), "{}", shown["checklist"]);
}
