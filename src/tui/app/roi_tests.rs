//! `update()` tests of the release-of-information screens: keys and answers in, state and commands
//! out. No terminal, no store.

use super::roi::{KeptForm, RequestChange, RequestRef, RoiCommand, RoiMsg};
use super::*;
use crate::desk::roi::{Assignee, IntakeForm, IntakeRequester};
use crate::domain::mrn::Mrn;
use crate::domain::roi::status::Step;
use crate::domain::roi::{
    Delivery, ReceivedVia, RecordFormat, RequestNumber, RequestStatus, RequestType, Requester, RequesterKind, Scope,
};
use crate::store::roi::{DueDate, RoiQueuePage, RoiQueueRow, RoiRequest, RoiSort};
use crate::tui::screens::roi_intake::{Field, IntakeCheck, Stage};
use chrono::{NaiveDate, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(super) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 10).unwrap()
}

pub(super) fn app_as(role: Role) -> App {
    App::new(Arc::new(Keymap::default()), HeaderInfo::new("jdoe", &[role]), today(), (80, 24))
}

pub(super) fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub(super) fn type_text(app: &mut App, text: &str) -> Vec<Command> {
    text.chars().flat_map(|c| app.update(key(KeyCode::Char(c)))).collect()
}

/// Ctrl-P, the words, Enter.
fn palette(app: &mut App, text: &str) -> Vec<Command> {
    app.update(ctrl('p'));
    type_text(app, text);
    app.update(key(KeyCode::Enter))
}

fn number(seq: i64) -> RequestNumber {
    RequestNumber { facility: "RGH".into(), seq }
}

fn row(id: i64, status: RequestStatus, due_on: Option<NaiveDate>) -> RoiQueueRow {
    RoiQueueRow {
        id,
        number: number(40 + id),
        version: 3,
        patient_name: "GARCIA, MARIA".into(),
        mrn: Mrn::parse("204511").unwrap(),
        requester: "SMITH & JONES LLP".into(),
        request_type: RequestType::RightOfAccess,
        status,
        received_on: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
        due_on,
        due_rule: "HIPAA-30".into(),
        assigned_to: None,
    }
}

pub(super) fn requester() -> Requester {
    Requester {
        id: 9,
        kind: RequesterKind::Attorney,
        name: "SMITH & JONES LLP".into(),
        organization: String::new(),
        address: "12 Main St\nAustin TX".into(),
        phone: String::new(),
        fax: String::new(),
        email: String::new(),
    }
}

pub(super) fn request(id: i64, status: RequestStatus) -> RoiRequest {
    let received_on = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let at = Utc.with_ymd_and_hms(2025, 3, 3, 15, 0, 0).unwrap();
    RoiRequest {
        id,
        number: number(40 + id),
        version: 3,
        facility_id: 1,
        patient_id: 7,
        mrn: Mrn::parse("204511").unwrap(),
        patient_name: "GARCIA, MARIA".into(),
        birth_date: None,
        requester: requester(),
        received_on,
        received_via: ReceivedVia::Mail,
        request_type: RequestType::RightOfAccess,
        purpose: "personal use".into(),
        format: RecordFormat::Pdf,
        delivery: Delivery::Portal,
        pages: None,
        postage_cents: None,
        clerical_minutes: None,
        scope: Scope { entire_record: true, ..Scope::default() },
        legal_process: None,
        status,
        status_reason: None,
        assigned_to: None,
        due: DueDate {
            due_on: NaiveDate::from_ymd_opt(2025, 4, 2),
            due_rule: "HIPAA-30".into(),
            clocks: vec![crate::store::roi::ClockRecord {
                code: "HIPAA-30".into(),
                rule: "45 CFR 164.524: 30 days".into(),
                due_on: NaiveDate::from_ymd_opt(2025, 4, 2),
                waits_for: None,
            }],
        },
        extended_due_on: None,
        extension_noticed_on: None,
        extension_reason: None,
        accounting_period: None,
        logged_by: "jdoe".into(),
        logged_at: at,
        authorizations: Vec::new(),
        follow_ups: Vec::new(),
        letters: Vec::new(),
        payments: Vec::new(),
        fees: Vec::new(),
        fee_adjustments: Vec::new(),
        disclosures: Vec::new(),
        history: Vec::new(),
    }
}

/// Screen 4 by the palette, its first page answered with `rows`.
fn open_roi_queue(app: &mut App, rows: Vec<RoiQueueRow>) -> Vec<Command> {
    let commands = palette(app, "roi");
    let Some(Command::Roi(RoiCommand::LoadQueue { id, offset: 0, append: false, .. })) = commands.first().cloned()
    else {
        panic!("{commands:?}")
    };
    let total = rows.len() as i64;
    let band =
        app.update(Msg::Roi(RoiMsg::QueueLoaded { id, append: false, result: Ok(RoiQueuePage { rows, total }) }));
    if band.contains(&Command::Roi(RoiCommand::CountBand)) {
        let band = crate::tui::screens::roi_queue::Band { aging: vec![("0-15".into(), total)], overdue: 0 };
        app.update(Msg::Roi(RoiMsg::BandCounted(Ok(band))));
    }
    assert_eq!((app.screen, app.context()), (Screen::Roi, Context::Roi));
    commands
}

fn load_query(commands: &[Command]) -> (crate::desk::roi::RoiQuery, RoiSort) {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Roi(RoiCommand::LoadQueue { query, sort, offset: 0, .. }) => Some((query.clone(), *sort)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no first page read: {commands:?}"))
}

/// The request screen with `request` on it, opened from the queue.
pub(super) fn open_request(app: &mut App, request: RoiRequest) {
    let status = request.status;
    open_roi_queue(app, vec![row(request.id, status, request.due.due_on)]);
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::Roi(RoiCommand::OpenRequest { id, request: RequestRef::Row(_) })) = commands.last().cloned()
    else {
        panic!("{commands:?}")
    };
    app.update(Msg::Roi(RoiMsg::RequestLoaded { id, result: Ok(Box::new(request)) }));
    assert_eq!((app.screen, app.context()), (Screen::Request, Context::Request));
}

pub(super) fn offered(app: &App) -> Vec<String> {
    app.roi.request.as_ref().unwrap().offered.iter().map(|o| format!("{} {}", o.key, o.label)).collect()
}

#[test]
fn the_roi_queue_opens_by_its_number_and_by_the_palette_reading_its_first_page_and_band() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    let commands = open_roi_queue(&mut app, vec![row(1, RequestStatus::Logged, None)]);
    assert!(!commands.contains(&Command::Roi(RoiCommand::CountBand)), "the rows first: {commands:?}");
    assert!(app.roi.queue.band.is_some(), "then the band, asked for when the rows came");
    // From the deficiency queue, 4 comes back to it without reading again.
    app.update(key(KeyCode::Char('3')));
    assert_eq!(app.screen, Screen::Queue);
    let back = app.update(key(KeyCode::Char('4')));
    assert_eq!(app.screen, Screen::Roi);
    assert!(!back.iter().any(|c| matches!(c, Command::Roi(RoiCommand::LoadQueue { .. }))), "{back:?}");
    // `queue` finds it in the palette by what it is called.
    app.update(ctrl('p'));
    type_text(&mut app, "queue");
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!() };
    assert!(p.matches().iter().any(|(name, _, _)| *name == "roi"), "{:?}", p.matches());
}

#[test]
fn keys_narrow_and_sort_the_roi_queue_each_from_its_first_page() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_roi_queue(&mut app, vec![row(1, RequestStatus::Logged, None)]);
    let (query, _) = load_query(&app.update(key(KeyCode::Char('o'))));
    assert!(query.overdue && query.due_within.is_none());
    let (query, _) = load_query(&app.update(key(KeyCode::Char('w'))));
    assert_eq!((query.overdue, query.due_within), (false, Some(5)), "due soon replaces overdue");
    let (query, _) = load_query(&app.update(key(KeyCode::Char('w'))));
    assert_eq!(query.due_within, Some(10));
    let (query, _) = load_query(&app.update(key(KeyCode::Char('m'))));
    assert_eq!(query.assignee, Some(Assignee::Me));
    let (query, _) = load_query(&app.update(key(KeyCode::Char('m'))));
    assert_eq!(query.assignee, Some(Assignee::Nobody));
    let (_, sort) = load_query(&app.update(key(KeyCode::Char('s'))));
    assert_eq!(sort, RoiSort::Received);
    assert_eq!(
        app.roi.queue.describe_filter(),
        "open · due within 10 days · assigned to nobody · oldest received first"
    );
}

#[test]
fn palette_filters_are_checked_before_the_queue_narrows() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_roi_queue(&mut app, vec![row(1, RequestStatus::Logged, None)]);
    let commands = palette(&mut app, "roi status=sleeping");
    assert!(commands.is_empty(), "{commands:?}");
    assert!(app.toast.as_deref().unwrap().starts_with("roi status: \"sleeping\" is not a status"), "{:?}", app.toast);
    let commands = palette(&mut app, "roi due=soon");
    assert!(commands.is_empty());
    assert_eq!(app.toast.as_deref(), Some("roi due=soon: the number of days, like due=5"));
    let (query, _) = load_query(&palette(
        &mut app,
        "roi status=pended,on_hold type=subpoena requester=smith_jones assigned=none due=5",
    ));
    assert_eq!(query.statuses, vec![RequestStatus::Pended, RequestStatus::OnHold]);
    assert_eq!(query.request_type, Some(RequestType::Subpoena));
    assert_eq!(query.requester.as_deref(), Some("smith jones"));
    assert_eq!((query.assignee, query.due_within), (Some(Assignee::Nobody), Some(5)));
    let (query, _) = load_query(&palette(&mut app, "roi clear"));
    assert_eq!(query, crate::desk::roi::RoiQuery::default());
}

#[test]
fn enter_opens_the_highlighted_request_and_esc_returns_to_the_queue() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(2, RequestStatus::Logged));
    assert_eq!(app.roi.request.as_ref().unwrap().request.number.to_string(), "RGH-00042");
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Roi);
    // A request by its number, from anywhere.
    let commands = palette(&mut app, "roi rgh-42");
    assert!(
        matches!(commands.last(), Some(Command::Roi(RoiCommand::OpenRequest { request: RequestRef::Number(n), .. })) if n == "rgh-42"),
        "{commands:?}"
    );
}

#[test]
fn the_steps_offered_follow_the_status_and_the_clerks_roles() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Logged));
    let steps = offered(&app);
    assert!(
        steps.starts_with(&["v Validate".to_string(), "p Pend…".to_string(), "h Put on hold…".to_string()]),
        "{steps:?}"
    );
    assert!(steps.contains(&"x Reject…".to_string()) && steps.contains(&"E Extend…".to_string()), "{steps:?}");
    assert!(!steps.iter().any(|s| s.starts_with("X ")), "cancelling is a supervisor's: {steps:?}");

    // A clerk logs and holds; validating and releasing are a specialist's.
    let mut app = app_as(Role::HimClerk);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Logged));
    let steps = offered(&app);
    assert!(steps.contains(&"h Put on hold…".to_string()), "{steps:?}");
    assert!(!steps.iter().any(|s| s.starts_with("v ") || s.starts_with("E ")), "{steps:?}");
    app.update(key(KeyCode::Char('v')));
    assert!(app.overlay.is_none());
    assert_eq!(
        app.toast.as_deref(),
        Some("you (jdoe) may not validate a request: that needs roi_specialist, supervisor or director")
    );
}

#[test]
fn the_fee_steps_are_offered_as_the_invoice_and_the_clerks_roles_allow() {
    use crate::store::roi::{FeeKind, PaymentRecord};
    let fee_keys = |app: &App| -> Vec<String> {
        offered(app).into_iter().filter(|s| ["F ", "I ", "W ", "M ", "V "].iter().any(|k| s.starts_with(k))).collect()
    };
    // Before the invoice: quote and invoice; nothing to adjust.
    let mut app = app_as(Role::Supervisor);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::InQc));
    assert_eq!(fee_keys(&app), ["F Quote", "I Invoice"]);

    // Invoiced, nothing paid: it may be written off or voided, not quoted or invoiced again.
    let mut invoiced = request(1, RequestStatus::AwaitingPayment);
    invoiced.fees.push(fee_record(FeeKind::Invoice, Some("RGH-00041-1")));
    let mut app = app_as(Role::Supervisor);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, invoiced.clone());
    assert_eq!(fee_keys(&app), ["W Write off…", "V Void invoice…"]);

    // Part paid: a refund too, and no void of an invoice with money on it.
    let mut part_paid = invoiced.clone();
    part_paid.payments.push(PaymentRecord {
        paid_on: today(),
        amount_cents: 5_000,
        by: "jdoe".into(),
        at: Utc.with_ymd_and_hms(2025, 3, 10, 16, 0, 0).unwrap(),
        invoice_no: Some("RGH-00041-1".into()),
    });
    let mut app = app_as(Role::Supervisor);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, part_paid.clone());
    assert_eq!(fee_keys(&app), ["W Write off…", "M Refund…"]);

    // A clerk quotes and invoices but adjusts nothing: a supervisor's.
    let mut app = app_as(Role::HimClerk);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, part_paid);
    assert!(fee_keys(&app).is_empty(), "{:?}", offered(&app));
    let mut app = app_as(Role::HimClerk);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Validating));
    assert_eq!(fee_keys(&app), ["F Quote", "I Invoice"]);
}

#[test]
fn a_step_the_status_does_not_allow_is_refused_before_any_question() {
    let mut app = app_as(Role::Supervisor);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Released));
    assert!(app.update(key(KeyCode::Char('p'))).is_empty());
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("RGH-00041 is Released; it cannot be pended"));
}

#[test]
fn a_step_that_needs_a_reason_asks_for_it_then_asks_y_or_n_naming_the_request() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Validating));
    app.update(key(KeyCode::Char('p')));
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(p.input, "roi pend ");
    type_text(&mut app, "signature missing");
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(
        prompt,
        "Pend RGH-00041 (GARCIA, MARIA) because \"signature missing\"? Its status becomes Pended. (y/N)"
    );
    let commands = app.update(key(KeyCode::Char('y')));
    assert_eq!(
        commands,
        vec![Command::Roi(RoiCommand::Change {
            number: "RGH-00041".into(),
            version: 3,
            done: "RGH-00041 pended".into(),
            change: RequestChange::Step { step: Step::Pend, reason: Some("signature missing".into()) },
        })]
    );
    // A second key waits for the answer; the answer brings the request as it now is.
    app.update(key(KeyCode::Char('x')));
    assert_eq!(app.toast.as_deref(), Some("A change to this request is on its way; a moment."));
    let mut pended = request(1, RequestStatus::Pended);
    pended.version = 4;
    pended.status_reason = Some("signature missing".into());
    app.update(Msg::Roi(RoiMsg::Changed { done: "RGH-00041 pended".into(), result: Ok(Box::new(pended)) }));
    assert_eq!(app.toast.as_deref(), Some("RGH-00041 pended; due 04/02/2025"));
    assert_eq!(app.roi.request.as_ref().unwrap().request.version, 4);
    assert!(offered(&app).contains(&"u Resume".to_string()), "{:?}", offered(&app));
}

#[test]
fn a_change_refused_by_the_desk_is_said_and_the_request_read_again() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Logged));
    app.update(key(KeyCode::Char('v')));
    let commands = app.update(key(KeyCode::Char('y')));
    assert!(matches!(&commands[..], [Command::Roi(RoiCommand::Change { .. })]), "{commands:?}");
    let said = "RGH-00041 was changed by mlee at 10:42 (now Validating): look again before you act".to_string();
    let commands =
        app.update(Msg::Roi(RoiMsg::Changed { done: "RGH-00041 validating".into(), result: Err(said.clone()) }));
    assert_eq!(app.toast.as_deref(), Some(said.as_str()));
    assert!(
        commands.iter().any(|c| matches!(c, Command::Roi(RoiCommand::OpenRequest { request: RequestRef::Id(1), .. }))),
        "{commands:?}"
    );
}

#[test]
fn take_assigns_the_request_to_the_clerk_and_taking_anothers_asks_first() {
    let mut app = app_as(Role::Supervisor);
    app.update(key(KeyCode::Esc));
    let mut held = row(2, RequestStatus::Validating, None);
    held.assigned_to = Some("mlee".into());
    open_roi_queue(&mut app, vec![row(1, RequestStatus::Logged, None), held]);
    let commands = app.update(key(KeyCode::Char('t')));
    assert!(
        matches!(&commands[..], [Command::Roi(RoiCommand::Change { number, change: RequestChange::Assign { to: Some(me) }, .. })]
            if number == "RGH-00041" && me == "jdoe"),
        "{commands:?}"
    );
    app.update(key(KeyCode::Down));
    assert!(app.update(key(KeyCode::Char('t'))).is_empty());
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(prompt, "RGH-00042 is assigned to mlee. Take it over? (y/N)");
    app.update(key(KeyCode::Char('n')));
    assert_eq!(app.toast.as_deref(), Some("Nothing changed."));
}

#[test]
fn the_change_feed_reads_the_rows_on_screen_again_when_the_queue_is_in_view() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_roi_queue(&mut app, vec![row(1, RequestStatus::Logged, None), row(2, RequestStatus::Logged, None)]);
    app.update(key(KeyCode::Down));
    let commands = app.update(Msg::StoreChanged(crate::store::Topic::Requests.into()));
    let Some(Command::Roi(RoiCommand::RefreshQueue { id, limit, .. })) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    assert!(limit >= 2);
    // Another clerk closed the first: the highlight stays on its request.
    let fresh = vec![row(2, RequestStatus::Validating, None)];
    let band = app.update(Msg::Roi(RoiMsg::QueueRefreshed { id, result: Ok(RoiQueuePage { rows: fresh, total: 1 }) }));
    assert_eq!(band, vec![Command::Roi(RoiCommand::CountBand)], "the band after the rows");
    assert_eq!(app.roi.queue.rows.len(), 1);
    assert_eq!(app.roi.queue.selected_row().map(|r| r.id), Some(2));
    // Hidden, the queue waits to be shown before it reads.
    app.update(key(KeyCode::Char('3')));
    assert!(app.update(Msg::StoreChanged(crate::store::Topic::Requests.into())).is_empty());
    let shown = app.update(key(KeyCode::Char('4')));
    assert!(shown.iter().any(|c| matches!(c, Command::Roi(RoiCommand::RefreshQueue { .. }))), "{shown:?}");
}

/// GARCIA's chart (patient 7, MRN 204511) open.
pub(super) fn app_with_chart(role: Role) -> App {
    let mut app = app_as(role);
    let commands = palette(&mut app, "mrn 204511");
    let Some(Command::OpenChartByMrn { id, .. }) = commands.last().cloned() else { panic!("{commands:?}") };
    let patient = crate::domain::patient::PatientRow {
        patient_id: 7,
        mrn: Mrn::parse("204511").unwrap(),
        family: "GARCIA".into(),
        given: "MARIA".into(),
        middle: String::new(),
        birth_date: NaiveDate::from_ymd_opt(1988, 9, 30).unwrap(),
        sex: crate::domain::patient::Sex::Female,
        ssn_last4: None,
        last_visit: None,
        deceased_on: None,
        sensitivity: crate::domain::patient::Sensitivity::None,
        match_kind: crate::domain::patient::MatchKind::Exact,
        dob_swapped: false,
        encounter_id: None,
    };
    let chart = crate::domain::chart::Chart {
        patient,
        address: String::new(),
        phone: String::new(),
        aliases: vec![],
        encounters: vec![],
        procedures: vec![],
        documents: vec![],
        deficiencies: vec![],
        releases: vec![],
        volumes: vec![],
    };
    let commands = app.update(Msg::ChartLoaded { id, encounter_id: None, result: Ok(Box::new(chart)) });
    assert!(commands.contains(&Command::Roi(RoiCommand::LoadPatientRequests { patient_id: 7 })), "{commands:?}");
    app.header.facility = "Riverbend General Hospital (RGH)".into();
    app
}

/// `n` on the chart, no kept form: the form for GARCIA.
pub(super) fn open_intake(app: &mut App) {
    let commands = app.update(key(KeyCode::Char('n')));
    assert_eq!(commands, vec![Command::Roi(RoiCommand::LoadDraft)]);
    app.update(Msg::Roi(RoiMsg::DraftLoaded(Ok(None))));
    assert_eq!((app.screen, app.context()), (Screen::Intake, Context::Intake));
}

#[test]
fn the_chart_releases_tab_lists_the_patients_requests_and_enter_opens_one() {
    let mut app = app_with_chart(Role::HimClerk);
    app.update(Msg::Roi(RoiMsg::PatientRequests {
        patient_id: 7,
        result: Ok(vec![row(2, RequestStatus::Pended, None), row(1, RequestStatus::Closed, None)]),
    }));
    for _ in 0..3 {
        app.update(key(KeyCode::Tab));
    }
    app.update(key(KeyCode::Down));
    let commands = app.update(key(KeyCode::Enter));
    assert!(
        matches!(commands.last(), Some(Command::Roi(RoiCommand::OpenRequest { request: RequestRef::Row(1), .. }))),
        "{commands:?}"
    );
}

#[test]
fn a_clerk_who_may_not_log_requests_is_told_before_the_form_opens() {
    let mut app = app_with_chart(Role::ChartAnalyst);
    assert!(app.update(key(KeyCode::Char('n'))).is_empty());
    assert_eq!(app.screen, Screen::Chart);
    assert_eq!(
        app.toast.as_deref(),
        Some("you (jdoe) may not log release requests: that needs him_clerk, roi_specialist, supervisor or director")
    );
}

#[test]
fn intake_finds_the_requester_as_typed_and_a_resent_request_is_logged_as_a_follow_up() {
    let mut app = app_with_chart(Role::HimClerk);
    open_intake(&mut app);
    let intake = app.roi.intake.as_ref().unwrap();
    assert_eq!(
        (intake.focus, intake.form.facility.as_str(), intake.form.patient.as_str()),
        (Field::Requester, "RGH", "204511")
    );
    let commands = type_text(&mut app, "smi");
    let Some(Command::Roi(RoiCommand::SearchRequesters { id, prefix })) = commands.last().cloned() else {
        panic!("{commands:?}")
    };
    assert_eq!(prefix, "smi");
    app.update(Msg::Roi(RoiMsg::RequestersFound { id, result: Ok(vec![requester()]) }));
    app.update(key(KeyCode::Enter));
    let intake = app.roi.intake.as_ref().unwrap();
    assert_eq!(intake.form.requester, IntakeRequester::Existing(9));
    assert_eq!(intake.focus, Field::Type);
    // To the purpose: several lines.
    app.update(key(KeyCode::Tab));
    type_text(&mut app, "car accident");
    app.update(key(KeyCode::Enter));
    type_text(&mut app, "2024");
    assert_eq!(app.roi.intake.as_ref().unwrap().form.purpose, "car accident\n2024");
    let commands = app.update(ctrl('s'));
    assert!(
        commands.contains(&Command::Roi(RoiCommand::CheckIntake { patient_id: 7, requester_id: Some(9) })),
        "{commands:?} {:?}",
        app.toast
    );
    assert!(
        commands.iter().any(|c| matches!(c, Command::Roi(RoiCommand::SaveDraft { .. }))),
        "kept first: {commands:?}"
    );
    let open = row(2, RequestStatus::Validating, None);
    app.update(Msg::Roi(RoiMsg::IntakeChecked(Ok(IntakeCheck {
        recent: vec![open.clone(), row(1, RequestStatus::Closed, None)],
        open_same: vec![open],
        selected: 0,
    }))));
    assert!(matches!(app.roi.intake.as_ref().unwrap().stage, Stage::Choosing(_)));
    // Enter alone does not choose between a follow-up and a new request.
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    let commands = app.update(key(KeyCode::Char('f')));
    let Some(Command::Roi(RoiCommand::Log { form, follow_up_on })) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    assert_eq!(follow_up_on, Some(("RGH-00042".to_string(), 3)));
    assert_eq!(form.received_on, Some(today()));
    let mut original = request(2, RequestStatus::Validating);
    original.follow_ups.push(crate::store::roi::FollowUp {
        received_on: today(),
        received_via: ReceivedVia::Mail,
        note: "car accident".into(),
        by: "jdoe".into(),
        at: Utc.with_ymd_and_hms(2025, 3, 10, 15, 0, 0).unwrap(),
    });
    let commands = app.update(Msg::Roi(RoiMsg::Logged { follow_up: true, result: Ok(Box::new(original)), also: None }));
    assert_eq!(app.screen, Screen::Request);
    assert!(app.roi.intake.is_none());
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "Logged as a follow-up on RGH-00042 (received 03/03/2025); its clock was not started again: due 04/02/2025 (HIPAA-30)."
        )
    );
    assert!(commands.contains(&Command::Roi(RoiCommand::DiscardDraft)), "{commands:?}");
    // Esc goes back to the chart the form was started from.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Chart);
}

#[test]
fn a_new_requester_and_a_received_date_are_checked_before_the_desk_is_asked() {
    let mut app = app_with_chart(Role::HimClerk);
    open_intake(&mut app);
    // Nobody chosen: the form stays, the clerk is told who is missing.
    assert!(app.update(ctrl('s')).iter().all(|c| !matches!(c, Command::Roi(RoiCommand::CheckIntake { .. }))));
    assert!(app.toast.as_deref().unwrap().starts_with("Who asks?"), "{:?}", app.toast);
    type_text(&mut app, "Dale Okafor");
    // No address-book entry: the list offers only a new requester.
    app.update(key(KeyCode::Enter));
    let intake = app.roi.intake.as_ref().unwrap();
    assert!(intake.new_requester);
    assert_eq!(intake.focus, Field::Kind);
    // To Received: the form refuses a date after today, and goes to the field.
    while app.roi.intake.as_ref().unwrap().focus != Field::Received {
        app.update(key(KeyCode::Tab));
    }
    for _ in 0..10 {
        app.update(key(KeyCode::Backspace));
    }
    type_text(&mut app, "03/11/2025");
    while app.roi.intake.as_ref().unwrap().focus != Field::Type {
        app.update(key(KeyCode::Tab));
    }
    app.update(ctrl('s'));
    let intake = app.roi.intake.as_ref().unwrap();
    assert_eq!(intake.focus, Field::Purpose, "the purpose is missing first: {:?}", app.toast);
    type_text(&mut app, "disability claim");
    app.update(ctrl('s'));
    let intake = app.roi.intake.as_ref().unwrap();
    assert_eq!(intake.focus, Field::Received, "{:?}", app.toast);
    assert!(app.toast.as_deref().unwrap().contains("after today"), "{:?}", app.toast);
}

#[test]
fn leaving_the_form_or_quitting_keeps_it_as_a_draft_and_it_is_offered_back() {
    let mut app = app_with_chart(Role::HimClerk);
    open_intake(&mut app);
    type_text(&mut app, "Smith");
    let commands = app.update(key(KeyCode::Esc));
    assert!(
        matches!(&commands[..], [Command::Roi(RoiCommand::SaveDraft { form })] if form.patient == "204511"),
        "{commands:?}"
    );
    assert_eq!(app.screen, Screen::Chart);
    assert!(app.toast.as_deref().unwrap().starts_with("The form for GARCIA, MARIA is kept"), "{:?}", app.toast);
    // `n` again: back to it as it was, without asking the store.
    assert!(app.update(key(KeyCode::Char('n'))).is_empty());
    assert_eq!(app.screen, Screen::Intake);
    type_text(&mut app, " & Co");
    let quit = app.update(ctrl('q'));
    assert!(quit.iter().any(|c| matches!(c, Command::Roi(RoiCommand::SaveDraft { .. }))), "{quit:?}");
    assert_eq!(quit.last(), Some(&Command::Quit));

    // The next session offers it back; `n` answers no and keeps it.
    let mut app = app_as(Role::HimClerk);
    assert!(app.init().contains(&Command::Roi(RoiCommand::LoadDraft)));
    let form = IntakeForm { patient: "204511".into(), facility: "RGH".into(), ..IntakeForm::default() };
    let at = Utc.with_ymd_and_hms(2025, 3, 10, 14, 5, 0).unwrap();
    app.update(Msg::Roi(RoiMsg::DraftLoaded(Ok(Some(Box::new(KeptForm {
        form,
        requester_label: None,
        at: Some(at),
    }))))));
    let Some(Overlay::Draft(offer)) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert!(
        offer.prompt.starts_with("A request form you started for MRN 204511 on 03/10/2025 at 14:05 UTC"),
        "{}",
        offer.prompt
    );
    assert!(app.update(key(KeyCode::Char('n'))).is_empty());
    assert_eq!(app.toast.as_deref(), Some("Nothing changed: the form stays kept."));
}

#[test]
fn a_kept_form_for_another_patient_is_asked_about_and_d_discards_it() {
    let mut app = app_with_chart(Role::HimClerk);
    app.update(key(KeyCode::Char('n')));
    let other = IntakeForm { patient: "100234".into(), facility: "RGH".into(), ..IntakeForm::default() };
    app.update(Msg::Roi(RoiMsg::DraftLoaded(Ok(Some(Box::new(KeptForm {
        form: other,
        requester_label: None,
        at: None,
    }))))));
    let Some(Overlay::Draft(offer)) = &app.overlay else { panic!("{:?}", app.overlay) };
    assert!(offer.prompt.contains("d discards it and starts one for GARCIA, MARIA (MRN 204511)"), "{}", offer.prompt);
    let commands = app.update(key(KeyCode::Char('d')));
    assert_eq!(commands, vec![Command::Roi(RoiCommand::DiscardDraft)]);
    assert_eq!(app.screen, Screen::Intake);
    assert_eq!(app.roi.intake.as_ref().unwrap().form.patient, "204511");
    // `y` instead goes to the kept form's patient, read by MRN, and opens it there.
    let mut app = app_with_chart(Role::HimClerk);
    app.update(key(KeyCode::Char('n')));
    let other = IntakeForm { patient: "100234".into(), facility: "RGH".into(), ..IntakeForm::default() };
    app.update(Msg::Roi(RoiMsg::DraftLoaded(Ok(Some(Box::new(KeptForm {
        form: other,
        requester_label: None,
        at: None,
    }))))));
    let commands = app.update(key(KeyCode::Char('y')));
    assert!(matches!(commands.last(), Some(Command::OpenChartByMrn { mrn, .. }) if mrn == "100234"), "{commands:?}");
}

#[test]
fn reads_of_two_roi_kinds_both_wait_for_the_store() {
    let mut app = app_as(Role::RoiSpecialist);
    let page = Command::Roi(RoiCommand::LoadQueue {
        id: 1,
        query: Default::default(),
        sort: RoiSort::Due,
        offset: 0,
        append: false,
    });
    let request = Command::Roi(RoiCommand::OpenRequest { id: 2, request: RequestRef::Id(1) });
    app.update(Msg::StoreUnreachable { reason: "refused".into(), retry: Some(page.clone()) });
    app.update(Msg::StoreUnreachable { reason: "refused".into(), retry: Some(request.clone()) });
    let rerun = app.update(Msg::RetryDue);
    assert!(rerun.contains(&page) && rerun.contains(&request), "{rerun:?}");
}

#[test]
fn an_extension_is_checked_by_the_rule_before_the_question() {
    // Received 03/03, HIPAA's 30 days fall on 04/02; today is 03/10.
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Validating));
    assert!(offered(&app).contains(&"E Extend…".to_string()), "{:?}", offered(&app));
    palette(&mut app, "roi extend 05/15/2025 records off site");
    assert!(app.overlay.is_none());
    let refused = app.toast.clone().unwrap();
    assert!(refused.starts_with("RGH-00041: The new due date 05/15/2025 is too late"), "{refused}");
    palette(&mut app, "roi extend 05/01/2025 records off site");
    let Some(Overlay::Confirm { prompt, command }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert!(
        prompt.starts_with("Extend RGH-00041 (GARCIA, MARIA) to 05/01/2025 because \"records off site\"?"),
        "{prompt}"
    );
    assert!(
        matches!(command, Command::Roi(RoiCommand::Change { change: RequestChange::Extend { reason, .. }, .. }) if reason == "records off site"),
        "{command:?}"
    );
    // Once extended, it is not offered again, and a second is refused with the rule.
    app.update(key(KeyCode::Char('n')));
    let mut extended = request(1, RequestStatus::Validating);
    extended.extended_due_on = NaiveDate::from_ymd_opt(2025, 5, 1);
    extended.version = 4;
    app.update(Msg::Roi(RoiMsg::Changed {
        done: "RGH-00041 extended to 05/01/2025".into(),
        result: Ok(Box::new(extended)),
    }));
    assert!(!offered(&app).iter().any(|o| o.starts_with("E ")), "{:?}", offered(&app));
    palette(&mut app, "roi extend 05/02/2025 again");
    assert!(app.toast.as_deref().unwrap().contains("Only one extension allowed"), "{:?}", app.toast);
}

#[test]
fn money_on_the_request_screen_and_in_the_payment_question_has_its_thousands_separated() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    let mut paid = request(1, RequestStatus::Validating);
    paid.payments.push(crate::store::roi::PaymentRecord {
        paid_on: NaiveDate::from_ymd_opt(2025, 3, 5).unwrap(),
        amount_cents: 123_456_789,
        by: "kwong".into(),
        at: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, 5, 15, 0, 0).unwrap(),
        invoice_no: None,
    });
    open_request(&mut app, paid);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal.draw(|frame| crate::tui::view::render(frame, &app, &crate::tui::theme::Theme::monochrome())).unwrap();
    let screen = format!("{:?}", terminal.backend().buffer());
    assert!(screen.contains("$1,234,567.89 on 03/05/2025"), "{screen}");
    palette(&mut app, "roi pay 03/09/2025 1000");
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert!(prompt.starts_with("Record $1,000.00 paid on 03/09/2025"), "{prompt}");
}

#[test]
fn f_quotes_the_fee_at_once_and_i_asks_before_the_invoice_turning_to_the_fee_part() {
    let mut app = app_as(Role::HimClerk);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::InQc));
    let commands = app.update(key(KeyCode::Char('F')));
    assert_eq!(
        commands,
        vec![Command::Roi(RoiCommand::Change {
            number: "RGH-00041".into(),
            version: 3,
            done: "Fee quoted for RGH-00041".into(),
            change: RequestChange::Quote,
        })]
    );
    assert_eq!(app.roi.request.as_ref().unwrap().part, crate::tui::screens::roi_request::Part::Fee);
    // Until the quote's answer comes, the invoice waits.
    assert!(app.update(key(KeyCode::Char('I'))).is_empty());
    assert_eq!(app.toast.as_deref(), Some("A change to this request is on its way; a moment."));
    let mut quoted = request(1, RequestStatus::InQc);
    quoted.version = 4;
    quoted.fees.push(fee_record(crate::store::roi::FeeKind::Quote, None));
    app.update(Msg::Roi(RoiMsg::Changed { done: "Fee quoted for RGH-00041".into(), result: Ok(Box::new(quoted)) }));
    assert!(app.update(key(KeyCode::Char('I'))).is_empty(), "asked first");
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(
        prompt,
        "Issue the invoice for RGH-00041 (GARCIA, MARIA), itemized under the fee schedule in force when it came? \
         Quoted $92.00 on 03/10/2025. It cannot be changed after. It then awaits payment. (y/N)"
    );
    let commands = app.update(key(KeyCode::Char('y')));
    assert!(
        matches!(commands.as_slice(), [Command::Roi(RoiCommand::Change { change: RequestChange::Invoice, .. })]),
        "{commands:?}"
    );
}

#[test]
fn a_second_invoice_is_refused_before_any_question() {
    let mut app = app_as(Role::HimClerk);
    app.update(key(KeyCode::Esc));
    let mut invoiced = request(1, RequestStatus::AwaitingPayment);
    invoiced.fees.push(fee_record(crate::store::roi::FeeKind::Invoice, Some("RGH-00041-1")));
    open_request(&mut app, invoiced);
    assert!(app.update(key(KeyCode::Char('I'))).is_empty());
    assert!(app.overlay.is_none());
    assert_eq!(
        app.toast.as_deref(),
        Some("RGH-00041 already has invoice RGH-00041-1; an invoice is never changed after it is issued")
    );
}

#[test]
fn a_quote_after_the_invoice_is_refused_saying_the_invoice_stands() {
    let mut app = app_as(Role::HimClerk);
    app.update(key(KeyCode::Esc));
    let mut invoiced = request(1, RequestStatus::AwaitingPayment);
    invoiced.fees.push(fee_record(crate::store::roi::FeeKind::Invoice, Some("RGH-00041-1")));
    open_request(&mut app, invoiced);
    assert!(app.update(key(KeyCode::Char('F'))).is_empty(), "nothing recorded");
    assert!(!app.roi.changing);
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "RGH-00041 already has invoice RGH-00041-1 ($92.00), which stands: a quote now would change nothing \
             owed. Write off what is not owed (W, roi write-off), or void the invoice (V, roi void-invoice) and quote \
             again"
        )
    );
}

fn fee_record(kind: crate::store::roi::FeeKind, invoice_no: Option<&str>) -> crate::store::roi::FeeRecord {
    crate::store::roi::FeeRecord {
        kind,
        invoice_no: invoice_no.map(str::to_string),
        quote: crate::domain::roi::fees::Quote {
            schedule: "TX-241.154".into(),
            version: 1,
            basis: "TX HSC 241.154".into(),
            lines: Vec::new(),
            total_cents: 9200,
        },
        issued_on: today(),
        by: "jdoe".into(),
        at: Utc.with_ymd_and_hms(2025, 3, 10, 15, 0, 0).unwrap(),
    }
}

#[test]
fn a_payment_the_desk_would_refuse_is_refused_before_the_question_in_its_words() {
    use crate::store::roi::{FeeKind, PaymentRecord};
    let mut app = app_as(Role::RoiSpecialist);
    let mut r = request(1, RequestStatus::AwaitingPayment);
    r.fees.push(fee_record(FeeKind::Invoice, Some("RGH-00041-1")));
    r.payments.push(PaymentRecord {
        paid_on: today(),
        amount_cents: 8_550,
        by: "jdoe".into(),
        at: Utc.with_ymd_and_hms(2025, 3, 10, 16, 0, 0).unwrap(),
        invoice_no: Some("RGH-00041-1".into()),
    });
    open_request(&mut app, r.clone());
    assert!(palette(&mut app, "roi pay 03/10/2025 10.00").is_empty());
    assert!(app.overlay.is_none(), "asked: {:?}", app.overlay);
    assert_eq!(
        app.toast.as_deref(),
        Some("$10.00 is more than the balance of invoice RGH-00041-1 ($6.50); record no more than is owed.")
    );
    palette(&mut app, "roi pay 03/10/2025 6.50");
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })), "the balance itself is asked: {:?}", app.overlay);

    // Before any invoice, a payment is at most what is left of the quote.
    let mut app = app_as(Role::RoiSpecialist);
    let mut quoted = request(2, RequestStatus::Validating);
    quoted.fees.push(fee_record(FeeKind::Quote, None));
    open_request(&mut app, quoted);
    palette(&mut app, "roi pay 03/10/2025 92.01");
    assert!(app.overlay.is_none(), "asked: {:?}", app.overlay);
    assert!(
        app.toast.as_deref().unwrap_or_default().starts_with("$92.01 is more than what is left of"),
        "{:?}",
        app.toast
    );
}

#[test]
fn an_extension_moves_hipaas_clock_and_the_screen_keeps_the_state_clock_that_still_binds() {
    use crate::domain::roi::ClockRecord;
    use crate::tui::screens::roi_request::due_words;
    let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
    let mut r = request(1, RequestStatus::Validating);
    // TX 15 business days binds before HIPAA's 30 days extended to 05/02 (AS-14, then AS-15's rule).
    r.extended_due_on = Some(d(5, 2));
    r.due.due_on = Some(d(3, 24));
    r.due.due_rule = "TX HSC 181.102: 15 business days (electronic copy)".into();
    r.due.clocks = vec![ClockRecord {
        code: "TX-181.102".into(),
        rule: r.due.due_rule.clone(),
        due_on: Some(d(3, 24)),
        waits_for: None,
    }];
    let (words, overdue, _) = due_words(&r, d(3, 20));
    assert!(words.starts_with("03/24/2025 (TX HSC 181.102"), "{words}");
    assert!(words.contains("HIPAA's clock extended to 05/02/2025; this one still binds"), "{words}");
    assert!(!overdue);
    // Extended and nothing shorter: the extended date is the due date, said once.
    r.due.due_on = Some(d(5, 2));
    r.due.due_rule = "HIPAA 164.524: 30 days, extended once".into();
    let (words, _, _) = due_words(&r, d(3, 20));
    assert_eq!(words, "05/02/2025 (HIPAA 164.524: 30 days, extended once) · 43 days left");
}

#[test]
fn the_release_question_says_whether_the_disclosure_goes_in_the_patients_accounting() {
    // R on the request opens its packet (what goes is picked there); R there asks.
    fn asked(app: &mut App) -> String {
        let commands = app.update(key(KeyCode::Char('R')));
        let Some(Command::Roi(RoiCommand::LoadPacket { id, number, again: false })) = commands.last().cloned() else {
            panic!("{commands:?} {:?}", app.toast)
        };
        let empty = crate::desk::roi::packet::PacketView {
            number,
            version: 3,
            status: RequestStatus::ReadyToRelease,
            patient_name: "GARCIA, MARIA".into(),
            recipient: "SMITH & JONES LLP".into(),
            rows: Vec::new(),
            blocking: Vec::new(),
            part2_notice_version: None,
        };
        app.update(Msg::Roi(RoiMsg::PacketLoaded { id, result: Ok(Box::new(empty)) }));
        app.update(key(KeyCode::Char('R')));
        let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
        prompt.clone()
    }
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    let mut own = request(1, RequestStatus::ReadyToRelease);
    own.request_type = RequestType::RightOfAccess;
    open_request(&mut app, own);
    let prompt = asked(&mut app);
    assert!(prompt.contains("it is not listed in an accounting of disclosures"), "a patient's own copy: {prompt}");
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    let mut report = request(2, RequestStatus::ReadyToRelease);
    report.request_type = RequestType::PublicHealth;
    open_request(&mut app, report);
    let prompt = asked(&mut app);
    assert!(prompt.contains("it will be listed in the patient's accounting"), "a public-health report: {prompt}");
}

#[test]
fn extend_is_offered_only_while_a_notice_today_could_still_be_in_time() {
    use crate::domain::roi::clocks::HIPAA_ACCESS;
    let offered_extend = |received: NaiveDate| {
        let mut app = app_as(Role::RoiSpecialist);
        app.update(key(KeyCode::Esc));
        let mut r = request(1, RequestStatus::Validating);
        let hipaa = received + chrono::Duration::days(30);
        r.received_on = received;
        r.due.due_on = Some(hipaa);
        r.due.clocks[0].code = HIPAA_ACCESS.into();
        r.due.clocks[0].due_on = Some(hipaa);
        open_request(&mut app, r);
        app.roi.request.as_ref().unwrap().offered.iter().any(|o| o.label == "Extend…")
    };
    // Today is 03/03/2025: a request of 02/20 is inside its first 30 days, one of 01/02 is not.
    assert!(offered_extend(NaiveDate::from_ymd_opt(2025, 2, 20).unwrap()));
    assert!(!offered_extend(NaiveDate::from_ymd_opt(2025, 1, 2).unwrap()), "past the window: refused anyway");
}

#[test]
fn a_step_that_needs_a_reason_says_so_when_it_is_asked_without_one() {
    let mut app = app_as(Role::RoiSpecialist);
    app.update(key(KeyCode::Esc));
    open_request(&mut app, request(1, RequestStatus::Validating));
    palette(&mut app, "roi pend");
    assert!(matches!(app.overlay, Some(Overlay::Palette(_))), "the palette stays for the reason");
    let toast = app.toast.clone().unwrap_or_default();
    assert!(toast.contains("say why after \"roi pend\""), "{toast}");
}
