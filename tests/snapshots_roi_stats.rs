//! The Director's ROI figures (`:roi-stats`, `S` on the ROI queue) at the design size (80×24) and a
//! wide terminal (120×40), drawn from real desk answers: a quarter of requests written to the
//! scenario store, the screen's reads run in line through the function the effects runner calls.

mod common;

use chartroom::domain::roi::RequestStatus;
use chartroom::domain::roi::fees::Quote;
use chartroom::domain::role::Role;
use chartroom::store::roi::NewInvoice;
use chartroom::tui::app::{HeaderInfo, Screen};
use chrono::{Duration, NaiveDate};
use common::roi_requests::{released, request};
use common::screens::{Harness, key};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const REASONS: [&str; 3] = [
    "Deficient authorization: no expiration date or event",
    "Awaiting the requester's proof of identity",
    "Records at the off-site storage vendor",
];

/// Thirteen weeks of a desk to 03/03/2025: a few requests a day, most released after 2 to 26
/// days and invoiced, paid two days after; every fourth still open — pended for one of three
/// reasons, or in QC and, for the older ones, overdue.
fn quarter(store: &dyn chartroom::store::Store) {
    let today = common::today();
    let first = NaiveDate::from_ymd_opt(2024, 12, 9).unwrap();
    let mut batch = Vec::new();
    for week in 0..13i64 {
        for j in 0..(2 + (week * 5) % 7) {
            let received = (first + Duration::days(week * 7 + j % 5)).min(today);
            let turnaround = 2 + (week * 3 + j * 4) % 25;
            let mut r = if j % 4 == 3 || received + Duration::days(turnaround) > today {
                let pended = j % 2 == 1;
                let mut r =
                    request(store, "RGH", received, if pended { RequestStatus::Pended } else { RequestStatus::InQc });
                r.status_reason = pended.then(|| REASONS[(week as usize + j as usize) % 3].to_string());
                r
            } else {
                released(store, "RGH", received, received + Duration::days(turnaround))
            };
            let cents = 2_000 + 350 * j;
            let paid_on = received + Duration::days(3);
            r.invoice = Some(NewInvoice {
                quote: Quote {
                    schedule: "TX-241.154".into(),
                    version: 1,
                    basis: "TX HSC 241.154".into(),
                    lines: Vec::new(),
                    total_cents: cents,
                },
                issued_on: received + Duration::days(1),
                payments: if paid_on <= today { vec![(paid_on, cents)] } else { Vec::new() },
            });
            batch.push(r);
        }
    }
    store.insert_roi_batch(batch, common::event("roi_request")).unwrap();
}

fn harness(width: u16, height: u16) -> Harness {
    let fixture = common::scenario();
    quarter(&*fixture.store);
    let desk = common::desk_for(&fixture, "dhim");
    Harness::on(fixture, desk, HeaderInfo::new("dhim", &[Role::Director]), (width, height))
}

fn text_of(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().buffer().content().iter().map(|c| c.symbol()).collect()
}

#[test]
fn roi_stats_quarter_80x24_and_120x40() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut harness = harness(w, h);
        harness.palette("roi");
        harness.keys(&[key(KeyCode::Char('S'))]);
        assert_eq!(harness.app.screen, Screen::RoiStats, "{:?}", harness.app.toast);
        let report = harness.app.roi.stats.as_ref().and_then(|s| s.report.clone()).expect("read in line");
        let s = &report.stats;
        let shown = harness.draw(w, h);
        let text = text_of(&shown);
        // Every figure whole, whatever the width.
        for figure in [
            format!("Received {}", s.received),
            format!("Released {}", s.released()),
            format!("Overdue {}", s.overdue),
            chartroom::domain::roi::fees::dollars(s.fees.invoiced_cents),
            chartroom::domain::roi::fees::dollars(s.fees.collected_cents),
        ] {
            assert!(text.contains(&figure), "{figure} at {w}x{h}");
        }
        for p in &s.pended {
            assert!(text.contains(&format!(" {}│", p.count)) || text.contains(&format!(" {} ", p.count)), "{p:?}");
        }
        // Each week's date under its bars at both sizes, and no two counts run together: every
        // count under the bars is set apart by a space (a pair's 23 and 9 never read as 239).
        let first = s.weeks[0].monday.format("%m/%d").to_string();
        let cells = shown.backend().buffer().content();
        let lines: Vec<String> =
            cells.chunks(usize::from(w)).map(|row| row.iter().map(|c| c.symbol()).collect()).collect();
        let dates = lines.iter().position(|l| l.starts_with(&format!("│{first} "))).expect("the weeks' dates");
        let received: Vec<String> = s.weeks.iter().map(|w| w.received.to_string()).collect();
        let shown_received: Vec<&str> = lines[dates - 2].split('│').nth(1).unwrap().split_whitespace().collect();
        assert_eq!(shown_received, received, "the received counts, one a week, apart, at {w}x{h}");
        insta::assert_snapshot!(format!("roi_stats_quarter_{w}x{h}"), shown.backend());
    }
}

#[test]
fn roi_stats_year_80x24_draws_weeks_four_to_a_pair_of_bars() {
    let mut harness = harness(80, 24);
    harness.palette("roi-stats");
    harness.keys(&[key(KeyCode::Char('y'))]);
    let state = harness.app.roi.stats.as_ref().unwrap();
    assert_eq!(state.report.as_ref().map(|r| r.stats.weeks.len()), Some(52));
    let shown = harness.draw(80, 24);
    assert!(text_of(&shown).contains("per 4 weeks"));
    insta::assert_snapshot!("roi_stats_year_80x24", shown.backend());
}
