//! End to end, the real binary in a pseudo-terminal (AS-03): a restricted chart opened past its
//! warning with a reason and the signature code, the clerk's own record refused, and the idle lock
//! resumed with the code — each left in the audit trail.

mod common;

use common::cli::{chartroom as cli, chartroom_with_stdin as cli_with_stdin, ok};

#[path = "common/pty.rs"]
mod pty;

use pty::store_args;
use std::path::{Path, PathBuf};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_chartroom"))
}

fn actions(dir: &Path) -> Vec<(String, String)> {
    let events: serde_json::Value =
        serde_json::from_str(&ok(&cli(dir, &["audit", "list", "--json", "--limit", "200"]))).unwrap();
    events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["detail"].as_str().unwrap_or("").to_string()))
        .collect()
}

#[test]
fn break_the_glass_own_record_and_the_idle_lock_through_the_terminal() {
    let dir = common::cli::demo_store(300);
    let me = chartroom::desk::identity::current_account().unwrap();
    // The code from a script; the rules are the desk's.
    let refused = cli_with_stdin(dir.path(), &["user", "signature", "--signature-stdin"], "aaaaaa\n");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("repeated"));
    ok(&cli_with_stdin(dir.path(), &["user", "signature", "--signature-stdin"], "tulip42\n"));
    ok(&cli(dir.path(), &["user", "link", &me, "100234"]));
    // The command line cannot open the restricted chart without a reason, nor with a wrong code.
    let out = cli(dir.path(), &["chart", "300120"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reason"), "{out:?}");
    let out = cli_with_stdin(
        dir.path(),
        &["chart", "300120", "--reason", "coding query DRG 470", "--signature-stdin"],
        "tulip43\n",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not right"), "{out:?}");

    let args = store_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut s = pty::spawn(&binary(), &args, (80, 24));
    s.wait_for("Find:", WAIT);
    s.send(b"300120");
    s.wait_for("NGUYEN, THANH", WAIT);
    s.send(b"\r");
    s.wait_for("NGUYEN, THANH has a restricted record", WAIT);
    s.send(b"ROI request 2025-03-03\t");
    s.send(b"tulip42\r");
    s.wait_for("MRN 300120", WAIT);
    s.wait_for("Encounters", WAIT);
    // Her own record: refused, in her words.
    s.send(b"/");
    s.send(b"S4821");
    s.wait_for("SMITH, JOHN A", WAIT);
    s.send(b"\r");
    s.wait_for("You may not access your own record", WAIT);
    s.send(b"\x11");
    s.wait_exit(WAIT);

    // A short idle time, for this test: the lock comes without a key, and the code resumes.
    std::fs::write(dir.path().join("config.toml"), "[session]\nidle_lock_seconds = 2\n").unwrap();
    let mut s = pty::spawn(&binary(), &args, (80, 24));
    s.wait_for("Find:", WAIT);
    s.send(b"GARCIA");
    s.wait_for("GARCIA, MARIA L", WAIT);
    s.wait_for("chartroom is locked for", WAIT);
    assert!(!s.screen().contains("GARCIA"), "no patient on the lock screen:\n{}", s.screen());
    s.send(b"wrong99\r");
    s.wait_for("not your signature code", WAIT);
    s.send(b"tulip42\r");
    s.wait_for("GARCIA, MARIA L", WAIT);
    s.send(b"\x11");
    s.wait_exit(WAIT);

    let events = actions(dir.path());
    let has = |action: &str, detail: &str| events.iter().any(|(a, d)| a == action && d.contains(detail));
    assert!(has("BREAK_GLASS", "ROI request 2025-03-03 (EMPLOYEE)"), "{events:?}");
    assert!(has("ACCESS_DENIED", "own record"), "{events:?}");
    assert!(has("LOCK", "idle"), "{events:?}");
    assert!(has("UNLOCK", ""), "{events:?}");
    // The privacy officer's access report names each patient a search on screen showed.
    let report = ok(&cli(dir.path(), &["audit", "access", "204511", "--json"]));
    assert!(report.contains("shown in a search"), "{report}");
}
