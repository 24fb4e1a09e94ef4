//! End to end on PostgreSQL: the real binary in a pseudo-terminal, first run on an empty database
//! (the README's way: the schema and a demo hospital are made), then the server stopped and started
//! again under it — the banner comes and goes, the screen keeps what it showed, and a search typed
//! while the server was away is answered once it is back. And two clerks on one database: one
//! completes a deficiency, and it leaves the other's open queue by itself (LISTEN/NOTIFY).

mod common;

#[path = "common/pty.rs"]
mod pty;

use common::pg::{self, Logins};
use std::time::{Duration, Instant};

// A deadline, not a pause: generous, because a loaded 2-core machine runs these beside the rest.
const WAIT: Duration = Duration::from_secs(90);

const BANNER: &str = "store unreachable — retrying";

#[test]
fn the_server_stopped_and_started_under_an_open_session() {
    let Some(cluster) = pg::own_cluster(Logins::Trust) else { return };
    let url = cluster.database("him", None);
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_chartroom"));
    cmd.args(["--data-dir", &dir.path().join("data").display().to_string()]);
    cmd.args(["--config", &dir.path().join("config.toml").display().to_string()]);
    cmd.args(["--store", &url]);
    cmd.env("HOME", dir.path());
    cmd.env_remove("PGPASSWORD");
    let mut s = pty::spawn_command(cmd, (80, 24));

    // First run on an empty database: the demo hospital, then the desk.
    s.wait_for("DEMO DATA", WAIT);
    s.wait_for("Find:", WAIT);
    s.send(b"S4821");
    s.wait_for("SMITH, JOHN A", WAIT);

    cluster.stop();
    let stopped = Instant::now();
    // The change feed's session to the server drops at once, and the banner says so.
    s.wait_for(BANNER, WAIT);
    eprintln!("banner shown {:?} after the server stopped", stopped.elapsed());
    assert!(s.screen().contains("SMITH, JOHN A"), "the rows found stay:\n{}", s.screen());
    // A search typed while the server is away waits for it.
    clear_find(&mut s, "S4821");
    s.send(b"garcia");
    s.wait_for("Find: garcia", WAIT);
    assert!(!s.screen().contains("GARCIA, MARIA"), "{}", s.screen());
    assert!(s.screen().contains(BANNER), "{}", s.screen());

    cluster.start();
    let started = Instant::now();
    while s.screen().contains(BANNER) {
        assert!(started.elapsed() < WAIT, "the banner stayed after the server came back:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
    s.wait_for("GARCIA, MARIA L", WAIT);
    // A figure for the report, not a bound: the retry's backoff is at most 5 s.
    eprintln!("banner gone and the waiting search answered {:?} after the server started", started.elapsed());

    // And the desk works as before.
    clear_find(&mut s, "garcia");
    s.send(b"nguyen");
    s.wait_for("NGUYEN, THANH", WAIT);
    s.send(b"\x11");
    s.wait_exit(WAIT);

    // The searches shown were audited, the one made while the server was away among them.
    let audited = cluster.exec_in("him", "SELECT count(*) FROM audit_event WHERE action = 'SEARCH'").unwrap()[0]
        .parse::<i64>()
        .unwrap();
    assert!(audited >= 3, "{audited} searches audited");
}

/// Esc clears the Find field; the next keys wait until it has (sent at once, Esc and a letter read
/// as Alt and the letter).
fn clear_find(s: &mut pty::Session, text: &str) {
    s.send(b"\x1b");
    let started = Instant::now();
    while s.screen().contains(&format!("Find: {text}")) {
        assert!(started.elapsed() < WAIT, "Esc left the field as it was:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The text of the queue's row `number` on `screen`, after its number.
fn queue_row_text(screen: &str, number: usize) -> Option<String> {
    let start = format!("{number:>4} ");
    screen.lines().find(|l| l.starts_with(&start)).map(|l| l[start.len()..].trim_end().to_string())
}

#[test]
fn a_deficiency_completed_by_one_clerk_leaves_the_other_clerks_open_queue_by_itself() {
    let Some(url) = common::pg_database_url() else { return };
    let dir = tempfile::tempdir().unwrap();
    let spawn = || {
        let mut cmd = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_chartroom"));
        cmd.args(["--data-dir", &dir.path().join("data").display().to_string()]);
        cmd.args(["--config", &dir.path().join("config.toml").display().to_string()]);
        cmd.args(["--store", &url]);
        cmd.env("HOME", dir.path());
        cmd.env_remove("PGPASSWORD");
        pty::spawn_command(cmd, (80, 24))
    };
    // The first makes the schema and the demo hospital; the second clerk comes once it is there.
    let mut a = spawn();
    a.wait_for("DEMO DATA", WAIT);
    a.wait_for("Find:", WAIT);
    let mut b = spawn();
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
    let completed = Instant::now();
    while b.screen().lines().any(|l| l.contains(&first)) {
        assert!(completed.elapsed() < WAIT, "the item never left the other queue:\n{}", b.screen());
        std::thread::sleep(Duration::from_millis(10));
    }
    // A figure for the report, not a bound.
    eprintln!("the other clerk's queue showed the item gone {:?} after the completion", completed.elapsed());
    assert_eq!(queue_row_text(&b.screen(), 1).as_deref(), Some(second.as_str()), "the next item is row 1 now");
    assert!(a.screen().contains("DONE"), "{}", a.screen());
    for mut s in [a, b] {
        s.send(b"\x11");
        assert!(s.wait_exit(WAIT).success());
    }
}
