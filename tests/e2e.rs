//! End to end: the real binary in a pseudo-terminal on a temporary store — search, open a chart, a
//! too-small resize, quit, and a terminal left as it was found.

mod common;

use common::cli::chartroom as cli;

#[path = "common/pty.rs"]
mod pty;

use pty::store_args;
use std::path::{Path, PathBuf};
use std::time::Duration;

// A deadline, not a pause: generous, because a loaded 2-core machine runs these beside the rest.
const WAIT: Duration = Duration::from_secs(60);

/// One program in a pseudo-terminal at a time: the suite runs on two cores, and a dozen programs
/// drawing at once, each with its demo store being made, slowed some past any honest deadline.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    // A test that failed holding it leaves it poisoned; the next still runs alone.
    SERIAL.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chartroom"))
}

/// The demo hospital every test here runs on.
fn demo_store() -> tempfile::TempDir {
    common::cli::demo_store(300)
}

#[test]
fn search_open_resize_quit_and_the_terminal_is_restored() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let args = store_args(dir.path());
    let shell_line = format!(
        "{} {} ; echo \"EXIT=$?\" ; stty -a ; echo END",
        binary().display(),
        args.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ")
    );
    let mut cmd = portable_pty::CommandBuilder::new("sh");
    cmd.args(["-c", &shell_line]);
    let mut s = pty::spawn_command(cmd, (80, 24));
    s.wait_for("Find:", WAIT);
    s.wait_for("DEMO DATA", WAIT);

    s.send(b"S4821");
    s.wait_for("initial + last 4 · 1 found", WAIT);
    s.wait_for("SMITH, JOHN A", WAIT);
    s.send(b"\r");
    s.wait_for("MRN 100234", WAIT);
    s.wait_for("Encounters", WAIT);

    s.resize(70, 20);
    s.wait_for("Terminal is 70×20", WAIT);
    s.resize(80, 24);
    s.wait_for("MRN 100234", WAIT);

    s.send(b"\x1b"); // Esc: back to the lookup, where the query still stands
    s.wait_for("Find: S4821", WAIT);
    s.send(b"\x11"); // Ctrl-Q
    s.wait_for("END", WAIT);
    s.wait_exit(WAIT);

    let out = s.raw_text();
    assert!(out.contains("EXIT=0"), "clean exit:\n{out}");
    let entered = out.rfind("\x1b[?1049h").expect("entered the alternate screen");
    let left = out.rfind("\x1b[?1049l").expect("left the alternate screen");
    assert!(left > entered);
    assert!(
        out[left..].contains("\x1b[?25h") || out[..left].rfind("\x1b[?25h").is_some_and(|i| i > entered),
        "cursor shown again"
    );
    let stty = &out[out.find("EXIT=0").unwrap()..];
    assert!(stty.contains(" icanon") && !stty.contains("-icanon"), "canonical mode restored:\n{stty}");
    assert!(stty.contains(" echo ") && !stty.contains("-echo "), "echo restored:\n{stty}");

    // The search (its shape, never its digits) and the chart view are in the audit trail.
    let audit = cli(dir.path(), &["audit", "list", "--json"]);
    assert!(audit.status.success(), "{}", String::from_utf8_lossy(&audit.stderr));
    let events: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let events = events.as_array().unwrap();
    assert!(events.iter().any(|e| e["action"] == "SEARCH" && e["detail"] == "shape=INITIAL+LAST4 results=1"));
    assert!(events.iter().any(|e| e["action"] == "VIEW_PATIENT" && e["patient_mrn"] == "100234"));
    assert!(!String::from_utf8_lossy(&audit.stdout).contains("S4821"));
}

#[test]
fn sigterm_restores_the_terminal() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let args = store_args(dir.path());
    // The shell names the program's pid and waits for it; the test signals once the first frame is
    // drawn (a fixed sleep would signal a slow start before the terminal was ever set up).
    let shell_line = format!(
        "{} {} </dev/tty & pid=$! ; echo \"PID=$pid.\" ; wait $pid ; echo \"EXIT=$?\" ; stty -a ; echo END",
        binary().display(),
        args.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ")
    );
    let mut cmd = portable_pty::CommandBuilder::new("sh");
    cmd.args(["-c", &shell_line]);
    let mut s = pty::spawn_command(cmd, (80, 24));
    s.wait_for("Find:", WAIT);
    let raw = s.raw_text();
    let pid: i32 = raw
        .split("PID=")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("the shell named the pid:\n{raw}"));
    let pid = rustix::process::Pid::from_raw(pid).expect("a valid pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    s.wait_for("END", WAIT);
    s.wait_exit(WAIT);
    let out = s.raw_text();
    assert!(out.contains("EXIT=0"), "a clean exit on SIGTERM:\n{out}");
    assert!(out.rfind("\x1b[?1049l") > out.rfind("\x1b[?1049h"));
    let stty = &out[out.find("EXIT=0").unwrap()..];
    assert!(!stty.contains("-icanon"), "{stty}");
}

#[test]
fn a_hostile_name_changes_nothing_on_the_terminal() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    {
        use chartroom::store::{RecordBatch, Store};
        let store = chartroom::store::sqlite::SqliteStore::open(&dir.path().join("data").join("chartroom.db")).unwrap();
        let mut batch = RecordBatch::default();
        batch.patients.push(common::patient("4000001", "\x1b[2J\x1b]0;pwned\x07Smith", "Eve", "", (1990, 1, 1), None));
        store.insert_batch(batch, common::event("batch")).unwrap();
    }
    let args = store_args(dir.path());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = pty::spawn(&binary(), &arg_refs, (80, 24));
    s.wait_for("Find:", WAIT);
    s.send(b"4000001");
    s.wait_for("PWNEDSMITH, EVE", WAIT);
    assert_eq!(s.title(), "", "the window title was not changed");
    assert!(s.screen().contains("DEMO DATA"), "the screen was not cleared");
    s.send(b"\x11");
    s.wait_exit(WAIT);

    let out = cli(dir.path(), &["search", "4000001"]);
    assert!(!out.stdout.contains(&0x1b), "no escape byte reaches stdout");
    assert!(String::from_utf8_lossy(&out.stdout).contains("[2J]0;PWNEDSMITH, EVE"));
}

#[test]
fn the_command_line_speaks_plainly() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let json = cli(dir.path(), &["search", "smith jon 4/12/61", "--json"]);
    assert!(json.status.success());
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let first = &rows.as_array().unwrap()[0];
    for field in ["mrn", "name", "family", "given", "birth_date", "sex", "ssn_last4", "flags", "match"] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    assert_eq!(first["mrn"], "100234");
    assert_eq!(first["birth_date"], "1961-04-12");

    let unknown = cli(dir.path(), &["chart", "999999"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&unknown.stderr).trim(), "chartroom: no patient has MRN 999999");

    let chart = cli(dir.path(), &["chart", "204511"]);
    let text = String::from_utf8_lossy(&chart.stdout);
    assert!(text.contains("A25-000781"), "{text}");
    assert!(text.contains("INCOMPLETE (3 open deficiencies)"), "{text}");
    assert!(text.contains("Charged to HIM COMPLETION (mlee)"), "{text}");

    let again = cli(dir.path(), &["demo", "--patients", "10"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a demo hospital"));

    let backup = dir.path().join("backup.db");
    let out = cli(dir.path(), &["backup", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(backup.exists());

    let empty = tempfile::tempdir().unwrap();
    let out = cli(empty.path(), &["init", "--empty"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(empty.path().join("ssn.key").exists(), "the key is made beside the config");
    let users = cli(empty.path(), &["user", "list", "--json"]);
    let users: serde_json::Value = serde_json::from_slice(&users.stdout).unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1, "only the founder");
    assert_eq!(users[0]["roles"][0], "director");
    let none = cli(empty.path(), &["search", "smith", "--json"]);
    assert_eq!(String::from_utf8_lossy(&none.stdout).trim(), "[]");
    let twice = cli(empty.path(), &["init"]);
    assert!(!twice.status.success());

    let no_store = tempfile::tempdir().unwrap();
    let out = cli(no_store.path(), &["search", "smith"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no store at"));
}

#[test]
fn a_store_from_a_newer_chartroom_is_refused_plainly() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let db = dir.path().join("data").join("chartroom.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let out = cli(dir.path(), &["search", "smith"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer chartroom"), "{err}");
}

#[test]
fn a_bad_keymap_is_refused_with_file_and_line_before_the_terminal_is_touched() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    std::fs::write(dir.path().join("config.toml"), "[keymap.results]\n\"x\" = \"quit\"\n\"x\" = \"help\"\n").ok();
    // TOML itself refuses a duplicate key; an unknown action is ours to refuse.
    std::fs::write(dir.path().join("config.toml"), "\n[keymap.results]\n\"x\" = \"launch_rockets\"\n").unwrap();
    let args = store_args(dir.path());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = pty::spawn(&binary(), &arg_refs, (80, 24));
    let status = s.wait_exit(WAIT);
    assert!(!status.success());
    let out = s.raw_text();
    assert!(out.contains("config.toml:3: unknown action \"launch_rockets\""), "{out}");
    assert!(!out.contains("\x1b[?1049h"), "never entered the alternate screen");
}

#[test]
fn a_hang_up_ends_the_program_and_restores_the_terminal() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let args = store_args(dir.path());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = pty::spawn(&binary(), &arg_refs, (80, 24));
    s.wait_for("DEMO DATA", WAIT);
    s.send(b"smith");
    s.wait_for("SMITH, ", WAIT);
    // What the kernel sends the session when an SSH link drops.
    let pid = s.child.process_id().expect("a pid");
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("a valid pid");
    rustix::process::kill_process(pid, rustix::process::Signal::HUP).unwrap();
    s.wait_exit(WAIT);
    let out = s.raw_text();
    assert!(out.rfind("\x1b[?1049l") > out.rfind("\x1b[?1049h"), "left the alternate screen");
}

#[test]
fn a_terminal_hung_up_without_a_signal_to_it_ends_the_program() {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let _one_at_a_time = serial();
    let dir = demo_store();
    // A terminal of the test's own: its one master end, closed below, hangs the terminal up.
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = std::fs::File::from(
        rustix::fs::open(name.as_c_str(), OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty()).unwrap(),
    );
    let size = rustix::termios::Winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 };
    rustix::termios::tcsetwinsize(&slave, size).unwrap();
    // As `su -c` starts a program: in a session of its own, without a controlling terminal, under
    // the session's leader. The hang-up signals no one there, and the program is left reading a
    // dead terminal. (The shell ends when the program does.)
    let command: Vec<String> = std::iter::once(binary().display().to_string())
        .chain(store_args(dir.path()))
        .map(|a| format!("'{a}'"))
        .collect();
    let mut child = std::process::Command::new("setsid")
        .args(["--wait", "sh", "-c", &format!("{}; true", command.join(" "))])
        .env("TERM", "xterm-256color")
        .env("LANG", "C.UTF-8")
        .env_remove("CHARTROOM_CONFIG")
        .env_remove("CHARTROOM_DATA_DIR")
        .env_remove("CHARTROOM_STORE")
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut shown = Vec::new();
    while !String::from_utf8_lossy(&shown).contains("Find:") {
        assert!(started.elapsed() < WAIT, "the desk never showed: {}", String::from_utf8_lossy(&shown));
        let mut fds = [PollFd::new(&master, PollFlags::IN)];
        let tenth = Timespec { tv_sec: 0, tv_nsec: 100_000_000 };
        if poll(&mut fds, Some(&tenth)).unwrap() > 0 {
            let mut buf = [0u8; 65536];
            let n = rustix::io::read(&master, &mut buf).unwrap();
            shown.extend_from_slice(&buf[..n]);
        }
    }
    // The terminal goes, as when a thin client's window is shut.
    drop(master);
    let gone = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if gone.elapsed() > WAIT {
            let _ = child.kill();
            panic!("the program went on after its terminal was gone");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!("the program left {:?} after its terminal was hung up", gone.elapsed());
}

#[test]
fn bulk_complete_rows_of_the_deficiency_queue() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    // The founder is the store's director, who may do whatever a supervisor may: complete included.
    let before = cli(dir.path(), &["deficiencies", "list", "--json", "--limit", "1000"]);
    let before: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
    let before = before.as_array().unwrap();
    assert!(before.len() >= 2, "the demo has open deficiencies");
    let first_two: Vec<i64> = before.iter().take(2).map(|r| r["id"].as_i64().unwrap()).collect();

    let args = store_args(dir.path());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = pty::spawn(&binary(), &arg_refs, (80, 24));
    s.wait_for("DEMO DATA", WAIT);
    // The queue by the palette (Ctrl-P): digits in the results are text, and Esc then a key would
    // read as Alt-key without a pause (a timing guess).
    s.send(b"\x10deficiencies\r");
    s.wait_for("Deficiencies", WAIT);
    // Row 1 itself: the footer's `1 2 3` shows before the list has loaded.
    s.wait_for_line("   1 ", WAIT);
    s.send(b":QC=1-2");
    s.send(b"\r");
    // The question names the rows it will complete.
    s.wait_for("Complete rows 1-2 (", WAIT);
    s.send(b"y");
    s.wait_for("2 deficiencies completed", WAIT);
    // The rows keep their numbers: rows 1 and 2 stay, done, and naming them again is refused
    // before any question.
    s.wait_for("DONE", WAIT);
    s.send(b":QC=1\r");
    s.wait_for("already completed here", WAIT);
    // `r` reloads and renumbers: row 1 is an open item again.
    s.send(b"r");
    let deadline = std::time::Instant::now() + WAIT;
    while s.screen().contains("DONE") {
        assert!(std::time::Instant::now() < deadline, "the reload never showed:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
    s.send(b":QC=1\r");
    s.wait_for("Complete row 1 (", WAIT);
    s.send(b"n");
    s.wait_for("Nothing changed.", WAIT);
    s.send(b"\x11");
    s.wait_exit(WAIT);

    let after = cli(dir.path(), &["deficiencies", "list", "--json", "--limit", "1000"]);
    let after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    let after: Vec<i64> = after.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(after.len(), before.len() - 2);
    assert!(first_two.iter().all(|id| !after.contains(id)), "rows 1 and 2 are the ones completed");
    let audit = cli(dir.path(), &["audit", "list", "--json", "--limit", "1000"]);
    let events: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let completed = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["detail"].as_str().is_some_and(|d| d.contains(": COMPLETED, resolved")))
        .count();
    assert_eq!(completed, 2, "one audit event per item");
}

/// A small Synthea CSV export: two patients, two encounters, one procedure.
fn tiny_export(dir: &Path) {
    std::fs::write(
        dir.join("patients.csv"),
        "Id,BIRTHDATE,FIRST,LAST,GENDER\np1,1960-01-01,Ann1,Lee2,F\np2,1970-02-02,Bo3,Ray4,M\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("encounters.csv"),
        "Id,START,STOP,PATIENT,ENCOUNTERCLASS\ne1,2020-01-01T10:00:00Z,2020-01-03T10:00:00Z,p1,inpatient\n\
         e2,2020-02-01T10:00:00Z,2020-02-01T11:00:00Z,p2,wellness\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("procedures.csv"),
        "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION\n2020-01-02T10:00:00Z,p1,e1,80146002,Appendectomy\n",
    )
    .unwrap();
}

#[test]
fn an_import_draws_a_bar_on_a_terminal_and_prints_lines_in_a_log() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let export = tempfile::tempdir().unwrap();
    tiny_export(export.path());
    let export_arg = export.path().display().to_string();

    let mut args: Vec<String> = store_args(dir.path());
    args.extend(["import", "synthea-csv", &export_arg, "--facility", "RGH", "--into-demo"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut session = pty::spawn(&binary(), &args, (100, 30));
    let status = session.wait_exit(WAIT);
    assert!(status.success(), "{}", session.raw_text());
    let raw = session.raw_text();
    // Each file's bar redraws one line in place.
    assert!(raw.contains("\r\x1b[2K  procedures [="), "{raw:?}");
    assert!(raw.contains("=] 100%  1  "), "{raw:?}");
    assert!(session.screen().contains("procedures                1        1"), "{}", session.screen());

    // A log gets plain lines, one per step, and no escape sequences.
    let again = cli(dir.path(), &["import", "synthea-csv", &export_arg, "--facility", "RGH", "--into-demo"]);
    assert!(again.status.success());
    let log = String::from_utf8_lossy(&again.stderr);
    assert!(log.lines().any(|l| l.starts_with("  procedures: 1 · ") && l.ends_with("· 100%")), "{log}");
    assert!(!log.contains('\x1b'), "{log:?}");
}

#[test]
fn an_import_from_the_palette_brings_its_patients_onto_the_screen() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let export = tempfile::tempdir().unwrap();
    tiny_export(export.path());
    let args = store_args(dir.path());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = pty::spawn(&binary(), &arg_refs, (100, 30));
    s.wait_for("DEMO DATA", WAIT);
    // RAY, BO is not in the store yet.
    s.send(b"ray,bo");
    s.wait_for("No patient matches.", WAIT);
    s.send(b"\x10"); // Ctrl-P: the palette, the search kept behind it
    // A demo store takes real records only when told so (issue 12).
    s.send(format!("import csv {} facility=RGH into-demo\r", export.path().display()).as_bytes());
    s.wait_for("among the demo hospital's made-up patients?", WAIT);
    s.send(b"y");
    s.wait_for("Imported: 2 patients new", WAIT);
    // The search on screen ran again by itself: the imported patient is listed.
    s.wait_for("RAY, BO", WAIT);
    s.send(b"\x11");
    assert!(s.wait_exit(WAIT).success());
}

/// The README's examples and the Find screen's hint, each searched on the demo a first run makes:
/// every one finds a patient, and the patient count the README states is the count made.
#[test]
fn every_example_the_readme_and_the_find_hint_give_finds_a_patient_in_the_first_run_demo() {
    let _one_at_a_time = serial();
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path(), &["init"]);
    assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let made: usize = said
        .split_once("Demo hospital ready")
        .and_then(|(_, rest)| rest.split_once(": "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {said:?}"));

    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let stated = flat
        .split_once("a demo hospital of ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .map(|n| n.replace(',', ""))
        .and_then(|n| n.parse::<usize>().ok())
        .expect("the README states the demo's size");
    assert_eq!(stated, made, "the README says {stated} patients; the demo made {made}");

    let (_, tries) = flat.split_once("Try, at the Find prompt:").expect("the README's examples");
    let tries = tries.split_once(". ").map(|(t, _)| t).unwrap_or(tries);
    let mut examples: Vec<String> = tries.split('`').skip(1).step_by(2).map(str::to_string).collect();
    assert!(examples.len() >= 5, "{examples:?}");
    examples.extend(chartroom::tui::screens::lookup::HINT_EXAMPLES.iter().map(|e| e.to_string()));
    for example in &examples {
        let out = cli(dir.path(), &["search", example, "--json"]);
        assert!(out.status.success(), "{example}: {}", String::from_utf8_lossy(&out.stderr));
        let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
        assert!(!rows.is_empty(), "{example:?} finds no one in the demo");
    }
    // The palette's MRN example opens a chart.
    let out = cli(dir.path(), &["chart", "100234"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_role_changed_from_another_shell_reaches_the_open_session() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let args = store_args(dir.path());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = pty::spawn(&binary(), &arg_refs, (80, 24));
    s.wait_for("Director", WAIT);
    // The session's user, as its header names it: `root · Director of HIM`.
    let screen = s.screen();
    let header = screen.lines().next().unwrap_or_default();
    let me = header
        .split(" · Director")
        .next()
        .and_then(|left| left.split_whitespace().last())
        .expect("the header names the user")
        .to_string();
    // Another director first: the store keeps one.
    let out = cli(dir.path(), &["user", "add", "spare", "--role", "director"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(dir.path(), &["user", "roles", &me, "him_clerk"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // No key pressed: the store's change feed brings the role.
    s.wait_for("HIM clerk", WAIT);
    s.send(b"\x11");
    s.wait_exit(WAIT);
}

/// The text of the queue's row `number` on `screen`, after its number.
fn queue_row_text(screen: &str, number: usize) -> Option<String> {
    let start = format!("{number:>4} ");
    screen.lines().find(|l| l.starts_with(&start)).map(|l| l[start.len()..].trim_end().to_string())
}

#[test]
fn a_deficiency_completed_by_one_clerk_leaves_the_other_clerks_open_queue_by_itself() {
    let _one_at_a_time = serial();
    let dir = demo_store();
    let args = store_args(dir.path());
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    // Two clerks on one store file, as two SSH sessions on the department's host.
    let mut a = pty::spawn(&binary(), &arg_refs, (80, 24));
    let mut b = pty::spawn(&binary(), &arg_refs, (80, 24));
    for s in [&mut a, &mut b] {
        s.wait_for("DEMO DATA", WAIT);
        s.send(b"\x10deficiencies\r");
        s.wait_for_line("   1 ", WAIT);
        s.wait_for(" open · ", WAIT);
    }
    let first = queue_row_text(&b.screen(), 1).expect("row 1");
    assert_eq!(queue_row_text(&a.screen(), 1).as_deref(), Some(first.as_str()), "both list the same item first");
    let second = queue_row_text(&b.screen(), 2).expect("row 2");

    a.send(b":QC=1\r");
    a.wait_for("Complete row 1 (", WAIT);
    a.send(b"y");
    a.wait_for("1 deficiency completed", WAIT);
    let completed = std::time::Instant::now();
    // Not a key pressed in the other session: its queue reads the store again by itself.
    let deadline = completed + WAIT;
    while b.screen().lines().any(|l| l.ends_with(&first) || l.contains(&first)) {
        assert!(std::time::Instant::now() < deadline, "the item never left the other queue:\n{}", b.screen());
        std::thread::sleep(Duration::from_millis(10));
    }
    eprintln!("the other clerk's queue showed the item gone {:?} after the completion", completed.elapsed());
    assert_eq!(queue_row_text(&b.screen(), 1).as_deref(), Some(second.as_str()), "the next item is row 1 now");
    // The clerk who completed it keeps it where it was, done, until she reloads.
    assert!(a.screen().contains("DONE"), "{}", a.screen());
    for mut s in [a, b] {
        s.send(b"\x11");
        assert!(s.wait_exit(WAIT).success());
    }
}
