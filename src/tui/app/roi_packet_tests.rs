//! `update()` tests of the release packet screen: keys and answers in, state and commands out.

use super::roi::{RequestChange, RoiCommand, RoiMsg};
use super::roi_tests::{app_as, key, open_request, request, today};
use super::*;
use crate::desk::roi::packet::{PART2_TEMPLATE_MISSING, PacketRow, PacketView, ReleasePick};
use crate::domain::roi::RequestStatus;
use crate::domain::roi::packet::{Decision, Notice, PacketDocument, SensitiveCategory};
use crossterm::event::KeyCode;

fn row(n: usize, title: &str, pages: i64, categories: &[SensitiveCategory], decision: Decision) -> PacketRow {
    PacketRow {
        row: n,
        document: PacketDocument {
            id: 100 + n as i64,
            doc_type: "PROGRESS".into(),
            title: title.into(),
            on: today(),
            pages,
            categories: categories.to_vec(),
            in_designated_record_set: true,
            facility_id: 1,
        },
        account: "A25-000781".into(),
        picked: decision.is_included(),
        decision,
    }
}

fn view(part2_notice_version: Option<i64>) -> PacketView {
    PacketView {
        number: "RGH-00041".into(),
        version: 7,
        status: RequestStatus::ReadyToRelease,
        patient_name: "GARCIA, MARIA".into(),
        recipient: "SMITH & JONES LLP".into(),
        rows: vec![
            row(1, "History and physical", 6, &[], Decision::Included { notices: vec![] }),
            row(
                2,
                "Detox program progress note",
                2,
                &[SensitiveCategory::SudPart2],
                Decision::Included { notices: vec![Notice::Part2Notice, Notice::ConsentCopy] },
            ),
            row(
                3,
                "Psychotherapy session note",
                2,
                &[SensitiveCategory::Psychotherapy],
                Decision::Excluded { reason: "Psychotherapy notes need their own authorization".into() },
            ),
        ],
        blocking: vec![],
        part2_notice_version,
    }
}

/// The packet of a request ready to release, opened with `P` and read.
fn packet_open(app: &mut App, packet: PacketView) {
    open_request(app, request(1, RequestStatus::ReadyToRelease));
    let commands = app.update(key(KeyCode::Char('P')));
    let Some(Command::Roi(RoiCommand::LoadPacket { id, number, again: false })) = commands.last().cloned() else {
        panic!("{commands:?}")
    };
    assert_eq!(number, "RGH-00041");
    assert_eq!((app.screen, app.context()), (Screen::Packet, Context::Packet));
    app.update(Msg::Roi(RoiMsg::PacketLoaded { id, result: Ok(Box::new(packet)) }));
}

#[test]
fn the_request_offers_its_packet_beside_the_release_and_p_opens_it() {
    let mut app = app_as(Role::RoiSpecialist);
    open_request(&mut app, request(1, RequestStatus::ReadyToRelease));
    let offered = super::roi_tests::offered(&app);
    let packet = offered.iter().position(|o| o == "P Packet…").expect("offered");
    assert_eq!(offered.get(packet + 1).map(String::as_str), Some("R Release"), "{offered:?}");
}

#[test]
fn space_picks_and_unpicks_but_never_a_document_a_rule_leaves_out() {
    let mut app = app_as(Role::RoiSpecialist);
    packet_open(&mut app, view(Some(1)));
    let totals = |app: &App| app.roi.packet.as_ref().unwrap().view.as_ref().unwrap().totals();
    assert_eq!(totals(&app), "8 of 10 pages");
    app.update(key(KeyCode::Char(' ')));
    assert_eq!(totals(&app), "2 of 10 pages");
    assert_eq!(app.toast.as_deref(), Some("Row 1 is left out: 2 of 10 pages."));
    app.update(key(KeyCode::Char(' ')));
    assert_eq!(totals(&app), "8 of 10 pages");
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char(' ')));
    assert_eq!(totals(&app), "8 of 10 pages", "the psychotherapy note cannot be picked in");
    assert!(app.toast.as_deref().unwrap().starts_with("row 3 cannot go: Psychotherapy notes"), "{:?}", app.toast);
}

#[test]
fn release_asks_saying_what_goes_and_what_is_left_out_and_sends_the_pick_confirmed() {
    let mut app = app_as(Role::RoiSpecialist);
    packet_open(&mut app, view(Some(1)));
    app.update(key(KeyCode::Char(' '))); // the clerk leaves out row 1
    let commands = app.update(key(KeyCode::Char('R')));
    assert!(commands.is_empty());
    let Some(Overlay::Confirm { prompt, command }) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert!(prompt.starts_with("Release RGH-00041 to SMITH & JONES LLP on 03/10/2025: 2 of 10 pages"), "{prompt}");
    assert!(prompt.contains("with Part 2 notice (42 CFR 2.32), Copy of the Part 2 consent"), "{prompt}");
    assert!(prompt.contains("PARTIAL RELEASE, left out: row 1, 03/10/2025 History and physical (6 pages)"), "{prompt}");
    assert!(prompt.contains("row 3, 03/10/2025 Psychotherapy session note (2 pages)"), "{prompt}");
    let Command::Roi(RoiCommand::Change { version, change: RequestChange::Release { on, pick, .. }, .. }) = command
    else {
        panic!("{command:?}")
    };
    assert_eq!((*version, *on), (7, today()));
    assert_eq!(*pick, ReleasePick { leave_out: vec![101], confirm_partial: true });
    // Yes asks for the signature code; Enter sends the release signed with it.
    assert!(app.update(key(KeyCode::Char('y'))).is_empty());
    assert!(matches!(app.overlay, Some(Overlay::ReleaseSignature(_))), "{:?}", app.overlay);
    assert!(app.update(key(KeyCode::Enter)).is_empty(), "no code, nothing sent");
    type_code(&mut app, "tulip42");
    let sent = app.update(key(KeyCode::Enter));
    let [Command::Roi(RoiCommand::Change { change: RequestChange::Release { pick, code, .. }, .. })] = sent.as_slice()
    else {
        panic!("{sent:?}")
    };
    assert_eq!((pick.leave_out.as_slice(), code.0.as_str()), (&[101][..], "tulip42"));
    app.update(Msg::Roi(RoiMsg::Changed {
        done: "RGH-00041 released: 2 of 10 pages".into(),
        result: Ok(Box::new(request(1, RequestStatus::Released))),
    }));
    assert_eq!(app.screen, Screen::Request);
    assert!(app.roi.packet.is_none());
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
}

#[test]
fn a_release_dated_before_the_last_payment_is_refused_before_any_question() {
    let mut app = app_as(Role::RoiSpecialist);
    let mut paid_later = request(1, RequestStatus::ReadyToRelease);
    paid_later.payments.push(crate::store::roi::PaymentRecord {
        paid_on: today() + chrono::Duration::days(2),
        amount_cents: 9_200,
        by: "jdoe".into(),
        at: chrono::Utc::now(),
        invoice_no: None,
    });
    open_request(&mut app, paid_later);
    let commands = app.update(key(KeyCode::Char('P')));
    let Some(Command::Roi(RoiCommand::LoadPacket { id, .. })) = commands.last().cloned() else {
        panic!("{commands:?}")
    };
    app.update(Msg::Roi(RoiMsg::PacketLoaded { id, result: Ok(Box::new(view(Some(1)))) }));
    assert!(app.update(key(KeyCode::Char('R'))).is_empty());
    assert!(app.overlay.is_none(), "asked: {:?}", app.overlay);
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "RGH-00041 cannot be released on 03/10/2025: the payment of $92.00 was recorded for 03/12/2025, and a \
             release comes after it; date the release 03/12/2025 or later."
        )
    );
}

fn type_code(app: &mut App, code: &str) {
    for c in code.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

/// R, y and a code: the release sent, waiting for the desk.
fn release_signed(app: &mut App, code: &str) {
    app.update(key(KeyCode::Char('R')));
    app.update(key(KeyCode::Char('y')));
    type_code(app, code);
    let sent = app.update(key(KeyCode::Enter));
    assert!(matches!(sent.as_slice(), [Command::Roi(RoiCommand::Change { .. })]), "{sent:?}");
}

#[test]
fn a_wrong_release_code_asks_again_and_three_lock_the_session_audited() {
    use super::guard::CodeRefusal;
    let mut app = app_as(Role::RoiSpecialist);
    packet_open(&mut app, view(Some(1)));
    release_signed(&mut app, "wrong1");
    // Keys while the desk checks go nowhere.
    assert!(app.update(key(KeyCode::Char('x'))).is_empty());
    app.update(Msg::Roi(RoiMsg::ReleaseSignatureRefused(CodeRefusal::Wrong { left: 2 })));
    let Some(Overlay::ReleaseSignature(form)) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert!(form.message.as_deref().unwrap().contains("2 tries left"), "{:?}", form.message);
    assert!(form.code.is_empty() && !form.waiting);
    assert_eq!(app.screen, Screen::Packet, "still on the packet");
    type_code(&mut app, "wrong2");
    assert_eq!(app.update(key(KeyCode::Enter)).len(), 1);
    app.update(Msg::Roi(RoiMsg::ReleaseSignatureRefused(CodeRefusal::Wrong { left: 1 })));
    type_code(&mut app, "wrong3");
    assert_eq!(app.update(key(KeyCode::Enter)).len(), 1);
    let commands = app.update(Msg::Roi(RoiMsg::ReleaseSignatureRefused(CodeRefusal::Wrong { left: 0 })));
    assert!(matches!(commands.as_slice(), [Command::RecordLock(crate::desk::privacy::LockReason::WrongCodes)]));
    assert!(app.locked());
    assert!(app.overlay.is_none());
}

#[test]
fn ctrl_u_clears_the_release_code_as_it_clears_find() {
    let mut app = app_as(Role::RoiSpecialist);
    packet_open(&mut app, view(Some(1)));
    app.update(key(KeyCode::Char('R')));
    app.update(key(KeyCode::Char('y')));
    type_code(&mut app, "tulip4");
    let ctrl_u = crossterm::event::KeyEvent::new(KeyCode::Char('u'), crossterm::event::KeyModifiers::CONTROL);
    assert!(app.update(Msg::Key(ctrl_u)).is_empty());
    let Some(Overlay::ReleaseSignature(form)) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert_eq!(form.code, "", "cleared, no \"u\" typed");
}

#[test]
fn esc_at_the_release_code_releases_nothing_and_no_code_set_says_how() {
    use super::guard::CodeRefusal;
    let mut app = app_as(Role::RoiSpecialist);
    packet_open(&mut app, view(Some(1)));
    app.update(key(KeyCode::Char('R')));
    app.update(key(KeyCode::Char('y')));
    type_code(&mut app, "tul");
    assert!(app.update(key(KeyCode::Esc)).is_empty());
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("RGH-00041 was not released."));
    release_signed(&mut app, "tulip42");
    let said = "jdoe has no signature code: set one with chartroom user signature".to_string();
    app.update(Msg::Roi(RoiMsg::ReleaseSignatureRefused(CodeRefusal::Other(said.clone()))));
    let Some(Overlay::ReleaseSignature(form)) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert_eq!(form.message.as_deref(), Some(said.as_str()));
    assert!(form.code.is_empty() && !form.waiting, "asked again, not locked");
    assert!(!app.locked());
}

#[test]
fn release_is_refused_before_the_question_without_the_part2_notice_or_the_right_role() {
    let mut app = app_as(Role::RoiSpecialist);
    packet_open(&mut app, view(None));
    app.update(key(KeyCode::Char('R')));
    assert!(app.overlay.is_none());
    assert!(app.toast.as_deref().unwrap().contains(PART2_TEMPLATE_MISSING), "{:?}", app.toast);
    // Leaving the Part 2 document out lets the rest go.
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char(' ')));
    app.update(key(KeyCode::Char('R')));
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })), "{:?}", app.toast);

    let mut clerk = app_as(Role::HimClerk);
    packet_open(&mut clerk, view(Some(1)));
    clerk.update(key(KeyCode::Char('R')));
    assert!(clerk.overlay.is_none());
    assert!(clerk.toast.as_deref().unwrap().contains("release records"), "{:?}", clerk.toast);
    clerk.update(key(KeyCode::Esc));
    assert_eq!(clerk.screen, Screen::Request);
}
