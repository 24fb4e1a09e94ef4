//! `update()` tests: keys and answers in, state and commands out. No terminal, no store.

use super::*;
use crate::desk::SearchOutcome;
use crate::desk::queue_filter::FilterKey;
use crate::domain::chart::{Chart, EncounterKind, EncounterView};
use crate::domain::mrn::Mrn;
use crate::domain::patient::{MatchKind, PatientRow, Sensitivity, Sex};
use crate::store::SearchPage;
use crate::tui::widgets::palette::ProviderChoice;
use chrono::{NaiveDate, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn app() -> App {
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    App::new(Arc::new(Keymap::default()), HeaderInfo::new("jdoe", &[Role::Supervisor]), today, (80, 24))
}

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(app: &mut App, text: &str) -> Vec<Command> {
    text.chars().flat_map(|c| app.update(key(KeyCode::Char(c)))).collect()
}

fn row(id: i64, mrn: &str, family: &str, given: &str) -> PatientRow {
    PatientRow {
        patient_id: id,
        mrn: Mrn::parse(mrn).unwrap(),
        family: family.into(),
        given: given.into(),
        middle: String::new(),
        birth_date: NaiveDate::from_ymd_opt(1961, 4, 12).unwrap(),
        sex: Sex::Male,
        ssn_last4: Some("4821".into()),
        last_visit: None,
        deceased_on: None,
        sensitivity: Sensitivity::None,
        match_kind: MatchKind::Exact,
        dob_swapped: false,
        encounter_id: None,
    }
}

fn outcome(shape: QueryShape, rows: Vec<PatientRow>, has_more: bool) -> Result<SearchOutcome, String> {
    Ok(SearchOutcome { shape: Some(shape), problem: None, page: SearchPage { rows, has_more } })
}

fn last_search_id(commands: &[Command]) -> RequestId {
    commands
        .iter()
        .rev()
        .find_map(|c| match c {
            Command::Search { id, .. } => Some(*id),
            _ => None,
        })
        .expect("a search command")
}

fn chart_for(row: PatientRow) -> Chart {
    let encounter = |id: i64, account: &str| EncounterView {
        id,
        account: account.into(),
        kind: EncounterKind::Inpatient,
        facility_code: "RGH".into(),
        service: "MEDICINE".into(),
        admit_at: Utc.with_ymd_and_hms(2025, 2, 5, 9, 0, 0).unwrap(),
        discharge_at: None,
        attending: None,
        open_deficiencies: 0,
        completion: None,
    };
    Chart {
        patient: row,
        address: String::new(),
        phone: String::new(),
        aliases: vec![],
        encounters: vec![encounter(10, "A25-000900"), encounter(11, "A25-000781")],
        procedures: vec![],
        documents: vec![],
        deficiencies: vec![],
        releases: vec![],
        volumes: vec![],
    }
}

/// `S4821` typed and its one result, SMITH, JOHN (patient 7), on the lookup screen.
fn app_with_smith_found() -> App {
    let mut app = app();
    let id = last_search_id(&type_text(&mut app, "S4821"));
    app.update(Msg::SearchDone {
        id,
        append: false,
        result: outcome(QueryShape::InitialLast4, vec![row(7, "100234", "Smith", "John")], false),
    });
    app
}

#[test]
fn the_cursor_starts_in_find_and_every_keystroke_searches() {
    let mut app = app();
    assert_eq!(app.context(), Context::Find);
    let commands = type_text(&mut app, "S48");
    let ids: Vec<_> = commands
        .iter()
        .map(|c| match c {
            Command::Search { id, text, offset: 0, append: false } => (*id, text.clone()),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(ids.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(), ["S", "S4", "S48"]);
    assert!(ids.windows(2).all(|w| w[0].0 < w[1].0), "ids increase");
}

#[test]
fn a_stale_answer_is_dropped_and_the_latest_wins() {
    let mut app = app();
    let first = last_search_id(&type_text(&mut app, "S"));
    let latest = last_search_id(&type_text(&mut app, "4821"));
    app.update(Msg::SearchDone {
        id: latest,
        append: false,
        result: outcome(QueryShape::InitialLast4, vec![row(1, "100234", "Smith", "John")], false),
    });
    app.update(Msg::SearchDone {
        id: first,
        append: false,
        result: outcome(QueryShape::Name, vec![row(2, "100877", "Smythe", "Jon"), row(3, "1000001", "Sa", "B")], true),
    });
    assert_eq!(app.lookup.rows.len(), 1);
    assert_eq!(app.lookup.rows[0].mrn.as_str(), "100234");
    assert_eq!(app.lookup.reach(), "initial + last 4 · 1 found");
}

#[test]
fn enter_in_the_field_opens_the_first_row_and_audits_the_search() {
    let mut app = app_with_smith_found();
    let commands = app.update(key(KeyCode::Enter));
    assert_eq!(
        commands[0],
        Command::RecordSearch {
            shape: QueryShape::InitialLast4,
            shown: vec![row(7, "100234", "Smith", "John")],
            more: false
        }
    );
    let Command::OpenChart { id, patient_id: 7, encounter_id: None } = commands[1] else { panic!("{commands:?}") };
    app.update(Msg::ChartLoaded {
        id,
        encounter_id: None,
        result: Ok(Box::new(chart_for(row(7, "100234", "Smith", "John")))),
    });
    assert_eq!(app.screen, Screen::Chart);
    assert_eq!(app.context(), Context::Chart);
    // Esc goes back to the same place in the lookup.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Lookup);
    assert_eq!(app.lookup.query.text(), "S4821");
}

#[test]
fn a_search_is_audited_once_when_it_settles_not_per_keystroke() {
    let mut app = app();
    let id = last_search_id(&type_text(&mut app, "smith"));
    app.update(Msg::SearchDone {
        id,
        append: false,
        result: outcome(QueryShape::Name, vec![row(1, "100234", "Smith", "John")], true),
    });
    let generation = app.settle_generation().unwrap();
    assert_eq!(
        app.update(Msg::SearchSettled { generation }),
        vec![Command::RecordSearch {
            shape: QueryShape::Name,
            shown: vec![row(1, "100234", "Smith", "John")],
            more: true
        }]
    );
    assert_eq!(app.update(Msg::SearchSettled { generation }), vec![], "only once");
    assert_eq!(app.settle_generation(), None);
}

#[test]
fn an_old_settle_timer_does_not_audit_a_newer_search() {
    let mut app = app();
    let id = last_search_id(&type_text(&mut app, "smi"));
    app.update(Msg::SearchDone { id, append: false, result: outcome(QueryShape::Name, vec![], false) });
    let old = app.settle_generation().unwrap();
    let id = last_search_id(&type_text(&mut app, "th"));
    app.update(Msg::SearchDone { id, append: false, result: outcome(QueryShape::Name, vec![], false) });
    assert_eq!(app.update(Msg::SearchSettled { generation: old }), vec![]);
}

#[test]
fn quitting_flushes_the_owed_audit_event() {
    let mut app = app();
    let id = last_search_id(&type_text(&mut app, "4821"));
    app.update(Msg::SearchDone { id, append: false, result: outcome(QueryShape::Last4, vec![], false) });
    let commands = app.update(ctrl('q'));
    assert_eq!(
        commands,
        vec![Command::RecordSearch { shape: QueryShape::Last4, shown: vec![], more: false }, Command::Quit]
    );
    assert!(app.quitting);
}

#[test]
fn esc_clears_then_leaves_the_field() {
    let mut app = app();
    type_text(&mut app, "smith");
    app.update(key(KeyCode::Esc));
    assert_eq!(app.lookup.query.text(), "");
    assert_eq!(app.context(), Context::Find);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.context(), Context::Results);
    // Outside the field, `?` is help and `/` returns to Find.
    app.update(key(KeyCode::Char('?')));
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
    app.update(key(KeyCode::Esc));
    assert!(app.overlay.is_none());
    app.update(key(KeyCode::Char('/')));
    assert_eq!(app.context(), Context::Find);
}

#[test]
fn in_the_field_question_mark_and_digits_are_text() {
    let mut app = app();
    let commands = type_text(&mut app, "?1");
    assert_eq!(commands.len(), 2);
    assert_eq!(app.lookup.query.text(), "?1");
    assert!(app.overlay.is_none());
}

#[test]
fn colon_opens_the_palette_only_in_an_empty_field() {
    let mut app = app();
    app.update(key(KeyCode::Char(':')));
    assert!(matches!(app.overlay, Some(Overlay::Palette(_))));
    app.update(key(KeyCode::Esc));
    assert!(app.overlay.is_none());
    type_text(&mut app, "a:");
    assert_eq!(app.lookup.query.text(), "a:", "inside text, `:` is text");
    assert!(app.overlay.is_none());
}

#[test]
fn ctrl_p_opens_the_palette_anywhere_and_runs_a_command() {
    let mut app = app();
    type_text(&mut app, "smith");
    app.update(ctrl('p'));
    assert!(matches!(app.overlay, Some(Overlay::Palette(_))));
    for c in "mrn 1002345".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    let commands = app.update(key(KeyCode::Enter));
    assert!(matches!(&commands[..], [Command::OpenChartByMrn { mrn, .. }] if mrn == "1002345"), "{commands:?}");
}

#[test]
fn an_account_match_opens_the_chart_at_that_encounter() {
    let mut app = app();
    let id = last_search_id(&type_text(&mut app, "A25-000781"));
    let mut found = row(4, "204511", "Garcia", "Maria");
    found.encounter_id = Some(11);
    app.update(Msg::SearchDone { id, append: false, result: outcome(QueryShape::Account, vec![found.clone()], false) });
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::OpenChart { id, encounter_id: Some(11), .. }) = commands.last().cloned() else {
        panic!("{commands:?}")
    };
    app.update(Msg::ChartLoaded { id, encounter_id: Some(11), result: Ok(Box::new(chart_for(found))) });
    let chart = app.chart.as_ref().unwrap();
    assert_eq!(chart.chart.encounters[chart.selected()].account, "A25-000781");
}

#[test]
fn moving_past_the_last_row_fetches_the_next_page() {
    let mut app = app();
    let id = last_search_id(&type_text(&mut app, "smith"));
    let rows: Vec<_> = (0..3).map(|i| row(i, &format!("10000{i}"), "Smith", "A")).collect();
    app.update(Msg::SearchDone { id, append: false, result: outcome(QueryShape::Name, rows, true) });
    app.update(key(KeyCode::Down)); // into the results
    app.update(key(KeyCode::Down));
    let commands = app.update(key(KeyCode::Down));
    let Some(Command::Search { id, offset: 3, append: true, .. }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    app.update(Msg::SearchDone {
        id,
        append: true,
        result: outcome(QueryShape::Name, vec![row(9, "100009", "Smith", "Z")], false),
    });
    assert_eq!(app.lookup.rows.len(), 4);
    assert_eq!(app.lookup.selected, 2);
}

#[test]
fn typing_in_the_results_starts_a_new_search_instead_of_switching_screens() {
    let mut app = app_with_smith_found();
    app.update(key(KeyCode::Down)); // into the results
    assert_eq!(app.context(), Context::Results);
    // A clerk who types an MRN from the results means to look it up: `2` is not "screen 2".
    let commands = type_text(&mut app, "204511");
    assert_eq!(app.screen, Screen::Lookup);
    assert_eq!(app.context(), Context::Find);
    assert_eq!(app.lookup.query.text(), "204511", "new text, not appended to S4821");
    assert!(matches!(commands.last(), Some(Command::Search { text, .. }) if text == "204511"));
    // The results on screen were seen: leaving them writes their audit event once.
    assert_eq!(commands.iter().filter(|c| matches!(c, Command::RecordSearch { .. })).count(), 1, "{commands:?}");
    // Letters too (`j` and `k` are not row keys in the results any more; the arrows are).
    app.update(key(KeyCode::Down));
    type_text(&mut app, "jones");
    assert_eq!(app.lookup.query.text(), "jones");
}

#[test]
fn back_to_find_is_one_key_from_anywhere_and_leaves_an_empty_field() {
    let mut app = app_with_smith_found();
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::OpenChart { id, .. }) = commands.last().cloned() else { panic!("{commands:?}") };
    app.update(Msg::ChartLoaded {
        id,
        encounter_id: None,
        result: Ok(Box::new(chart_for(row(7, "100234", "Smith", "John")))),
    });
    assert_eq!(app.screen, Screen::Chart);
    app.update(key(KeyCode::Char('/')));
    assert_eq!(app.context(), Context::Find);
    assert_eq!(app.lookup.query.text(), "", "the cursor waits in an empty field");
    // Ctrl-F does the same from the queue and from a field with text in it.
    type_text(&mut app, "garcia");
    app.update(ctrl('f'));
    assert_eq!(app.lookup.query.text(), "");
    assert_eq!(app.context(), Context::Find);
    app.update(key(KeyCode::Esc));
    palette(&mut app, "deficiencies");
    assert_eq!(app.screen, Screen::Queue);
    app.update(ctrl('f'));
    assert_eq!((app.screen, app.context()), (Screen::Lookup, Context::Find));
}

#[test]
fn a_too_small_terminal_takes_no_keys_but_resize_and_quit() {
    let mut app = app();
    app.update(Msg::Resize(72, 20));
    for msg in [key(KeyCode::Char('s')), key(KeyCode::Char(':')), ctrl('p'), key(KeyCode::F(1)), key(KeyCode::Esc)] {
        assert!(app.update(msg).is_empty());
    }
    assert_eq!(app.lookup.query.text(), "", "nothing typed where nothing can be seen");
    assert!(app.overlay.is_none());
    assert_eq!(app.context(), Context::Find);
    app.update(Msg::Resize(80, 24));
    type_text(&mut app, "s");
    assert_eq!(app.lookup.query.text(), "s");
    app.update(Msg::Resize(60, 24));
    let commands = app.update(ctrl('q'));
    assert!(commands.contains(&Command::Quit));
    assert!(app.quitting);
}

#[test]
fn a_failed_chart_load_is_shown_not_swallowed() {
    let mut app = app_with_smith_found();
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::OpenChart { id, .. }) = commands.last().cloned() else { panic!() };
    app.update(Msg::ChartLoaded { id, encounter_id: None, result: Err("the store is busy".into()) });
    assert_eq!(app.screen, Screen::Lookup);
    assert_eq!(app.toast.as_deref(), Some("the store is busy"));
}

#[test]
fn key_releases_change_nothing() {
    let mut app = app();
    app.dirty = false;
    let mut release = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE);
    release.kind = crossterm::event::KeyEventKind::Release;
    assert!(app.update(Msg::Key(release)).is_empty());
    assert!(!app.dirty);
    assert_eq!(app.lookup.query.text(), "");
}

fn queue_row(id: i64, version: i64) -> crate::store::deficiencies::QueueRow {
    crate::store::deficiencies::QueueRow {
        id,
        version,
        patient_id: 100 + id,
        encounter_id: 200 + id,
        provider_id: 1,
        physician: "OKAFOR, BEN".into(),
        type_code: "OP-S".into(),
        type_name: "Operative report unsigned".into(),
        category: "OPERATIVE".into(),
        status: crate::domain::chart::DeficiencyStatus::Transcribed,
        mrn: "204511".into(),
        patient: "GARCIA, MARIA".into(),
        account: format!("A25-00078{id}"),
        facility: "RGH".into(),
        service: "SURGERY".into(),
        event_on: NaiveDate::from_ymd_opt(2025, 2, 10).unwrap(),
        delinquent_on: NaiveDate::from_ymd_opt(2025, 3, 12).unwrap(),
        paused_days: 0,
        step_due: None,
        pauses: Vec::new(),
        claim: None,
    }
}

fn open_queue(app: &mut App, rows: Vec<crate::store::deficiencies::QueueRow>) {
    app.update(key(KeyCode::Esc)); // leave the empty Find field
    let commands = palette(app, "deficiencies");
    let Some(Command::LoadQueue { id, offset: 0, append: false, .. }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    assert!(commands.contains(&Command::CountQueue));
    app.update(Msg::QueueLoaded { id, append: false, result: Ok(crate::store::QueuePage { rows, has_more: false }) });
    assert_eq!(app.screen, Screen::Queue);
    assert_eq!(app.context(), Context::Queue);
}

fn palette(app: &mut App, text: &str) -> Vec<Command> {
    app.update(key(KeyCode::Char(':')));
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.update(key(KeyCode::Enter))
}

#[test]
fn as09_quick_complete_by_row_numbers_asks_once_then_completes() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 3), queue_row(2, 1), queue_row(3, 1)]);
    assert!(palette(&mut app, "QC=1-3 03/03/2025").is_empty());
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("a confirmation") };
    assert_eq!(
        prompt,
        "Complete rows 1-3 (A25-000781 OP-S, A25-000782 OP-S, A25-000783 OP-S) with resolved date 03/03/2025? (y/N)"
    );
    let commands = app.update(key(KeyCode::Char('y')));
    assert_eq!(
        commands,
        vec![Command::CompleteDeficiencies {
            items: vec![(1, 3), (2, 1), (3, 1)],
            resolved_on: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
        }]
    );
    let outcome = crate::store::CompletionOutcome {
        completed: vec![1, 2],
        skipped: vec![crate::store::SkippedItem {
            id: 3,
            label: "A25-000783 DS-D".into(),
            reason: "already completed by kwong on 03/03/2025".into(),
        }],
        charts_completed: vec!["A25-000782".into()],
        reinstated: vec![],
    };
    let refresh = app.update(Msg::Completed { verb: "completed", result: Ok(outcome) });
    assert!(matches!(refresh.first(), Some(Command::RefreshQueue { .. })), "the rows are read again: {refresh:?}");
    assert!(refresh.contains(&Command::CountQueue), "and the counts");
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "2 deficiencies completed; 1 chart complete; skipped 1: A25-000783 DS-D already completed by kwong on \
             03/03/2025"
        )
    );
}

#[test]
fn quick_complete_takes_the_selected_rows_and_no_means_nothing() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1), queue_row(3, 1)]);
    app.update(key(KeyCode::Char(' '))); // select row 1, move to 2
    app.update(key(KeyCode::Down)); // to 3
    app.update(key(KeyCode::Char(' '))); // select row 3
    palette(&mut app, "QC");
    assert!(
        matches!(&app.overlay, Some(Overlay::Confirm { prompt, .. }) if prompt.starts_with("Complete rows 1, 3 (A25-000781 OP-S, A25-000783 OP-S) with"))
    );
    assert!(app.update(key(KeyCode::Char('n'))).is_empty());
    assert_eq!(app.toast.as_deref(), Some("Nothing changed."));
    // Rows that are not on screen are refused, not guessed.
    palette(&mut app, "QC=7");
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("there is no row 7 on screen (3 listed)"));
}

#[test]
fn a_filter_the_desk_refuses_leaves_the_queue_as_it_was() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    let commands = palette(&mut app, "filter type=BOGUS");
    assert!(matches!(commands.as_slice(), [Command::CheckFilter { .. }]), "the desk checks it: {commands:?}");
    let before = app.queue.filter.clone();
    let problem = "no deficiency type \"BOGUS\"; known: DS-D, OP-S, VO-A";
    assert!(app.update(Msg::FilterChecked(Err(problem.into()))).is_empty(), "no reload");
    assert_eq!(app.toast.as_deref(), Some(problem));
    assert_eq!(app.queue.filter, before);
    // One patient's items.
    let commands = palette(&mut app, "filter mrn=204511");
    let Some(Command::CheckFilter { terms, .. }) = commands.first() else { panic!("{commands:?}") };
    assert_eq!(terms, &[(FilterKey::Mrn, "204511".to_string())]);
}

#[test]
fn bulk_dates_go_through_the_range_checked_parser() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    palette(&mut app, "QC=1 13/45/2025");
    assert!(app.overlay.is_none(), "refused before the question");
    assert_eq!(app.toast.as_deref(), Some("13/45/2025: there is no month 13"));
    palette(&mut app, "QC=1 01/01/1899");
    assert!(app.overlay.is_none(), "refused before the question");
    assert_eq!(app.toast.as_deref(), Some("01/01/1899: dates run from 01/01/1900 to 12/31/2200"));
    palette(&mut app, "PA=1 02/20/2025 02/30/2025 chart in coding");
    assert!(app.overlay.is_none(), "refused before the question");
    assert_eq!(app.toast.as_deref(), Some("02/30/2025: February 2025 has no day 30"));
}

#[test]
fn enter_on_a_queue_row_opens_the_chart_at_its_encounter_and_esc_returns() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::OpenChart { id, patient_id: 101, encounter_id: Some(201) }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    app.update(Msg::ChartLoaded {
        id,
        encounter_id: Some(201),
        result: Ok(Box::new(chart_for(row(101, "204511", "Garcia", "Maria")))),
    });
    assert_eq!(app.screen, Screen::Chart);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Queue, "back to the same place in the queue");
}

#[test]
fn changing_sort_or_filter_reloads_from_the_first_page() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    let commands = app.update(key(KeyCode::Char('s')));
    assert!(matches!(
        commands.first(),
        Some(Command::LoadQueue { sort: crate::store::QueueSort::Physician, offset: 0, .. })
    ));
    let commands = app.update(key(KeyCode::Char('d')));
    assert!(matches!(commands.first(), Some(Command::LoadQueue { filter, .. }) if filter.delinquent_only));
}

#[test]
fn assign_pause_and_comment_ask_once_with_their_arguments() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 4)]);
    palette(&mut app, "AS=2 1000000002");
    let Some(Overlay::Confirm { prompt, command }) = app.overlay.take() else { panic!() };
    assert_eq!(prompt, "Assign row 2 (A25-000782 OP-S) to the provider with NPI 1000000002? (y/N)");
    assert_eq!(command, Command::ReassignDeficiencies { items: vec![(2, 4)], npi: "1000000002".into() });
    palette(&mut app, "PA=1-2 2/20/25 2/25/25 chart in coding");
    let Some(Overlay::Confirm { command, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(
        command,
        Command::PauseAging {
            items: vec![(1, 1), (2, 4)],
            from: NaiveDate::from_ymd_opt(2025, 2, 20).unwrap(),
            to: NaiveDate::from_ymd_opt(2025, 2, 25).unwrap(),
            reason: "chart in coding".into()
        }
    );
    palette(&mut app, "PA=1 2/20/25 2/25/25");
    assert!(app.overlay.is_none());
    assert!(app.toast.as_deref().unwrap().starts_with("say why"));
    palette(&mut app, "CM=1 please sign before Friday");
    let Some(Overlay::Confirm { command, .. }) = app.overlay.take() else { panic!() };
    assert_eq!(command, Command::CommentDeficiencies { items: vec![(1, 1)], text: "please sign before Friday".into() });
}

#[test]
fn the_physician_view_narrows_the_queue_and_esc_widens_it() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    let commands = palette(&mut app, "physician 1000000002");
    assert_eq!(commands, vec![Command::LoadPhysician { npi: "1000000002".into() }]);
    let standing = crate::store::PhysicianStanding {
        provider_id: 2,
        npi: "1000000002".into(),
        name: "OKAFOR, BEN".into(),
        open: 3,
        delinquent: 1,
        oldest_delinquent_discharge: None,
        suspended_since: None,
        leave: vec![],
    };
    let commands = app.update(Msg::PhysicianLoaded(Ok(standing)));
    assert!(matches!(commands.first(), Some(Command::LoadQueue { filter, .. }) if filter.provider_id == Some(2)));
    let commands = app.update(key(KeyCode::Esc));
    assert!(matches!(commands.first(), Some(Command::LoadQueue { filter, .. }) if filter.provider_id.is_none()));
    assert_eq!(app.screen, Screen::Queue);
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Lookup);
}

#[test]
fn the_nightly_job_runs_from_the_palette_with_progress() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    palette(&mut app, "nightly");
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!() };
    assert_eq!(prompt, "Run the nightly deficiency job for 03/03/2025 now? (y/N)");
    let commands = app.update(key(KeyCode::Char('y')));
    assert_eq!(commands, vec![Command::RunNightly { date: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap() }]);
    app.update(Msg::Progress("Nightly run: analysing 812 charts…".into()));
    assert_eq!(app.toast.as_deref(), Some("Nightly run: analysing 812 charts…"));
    let summary = crate::desk::deficiencies::NightlySummary {
        run_on: NaiveDate::from_ymd_opt(2025, 3, 3).unwrap(),
        encounters_analysed: 812,
        deficiencies_created: 2133,
        notices_created: 40,
        delinquent: 17,
        ..Default::default()
    };
    let reload = app.update(Msg::NightlyDone(Ok(summary)));
    assert!(matches!(reload.first(), Some(Command::LoadQueue { .. })));
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "Nightly 2025-03-03: 812 charts analysed, 2133 deficiencies, 40 notices; 17 delinquent; 0 suspension eligible"
        )
    );
}

#[test]
fn filters_from_the_palette_and_select_all_in_the_filter() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    let commands = palette(&mut app, "filter type=ds-d service=surgery");
    let Some(Command::CheckFilter { base, terms }) = commands.first().cloned() else { panic!("{commands:?}") };
    assert_eq!(terms, [(FilterKey::Type, "ds-d".to_string()), (FilterKey::Service, "surgery".to_string())]);
    // The desk answers with the values in the store's spelling.
    let checked = QueueFilter { type_code: Some("DS-D".into()), service: Some("SURGERY".into()), ..base };
    let commands = app.update(Msg::FilterChecked(Ok(checked)));
    let Some(Command::LoadQueue { filter, offset: 0, .. }) = commands.first().cloned() else { panic!("{commands:?}") };
    assert_eq!(filter.type_code.as_deref(), Some("DS-D"));
    assert_eq!(filter.service.as_deref(), Some("SURGERY"));
    palette(&mut app, "filter colour=red");
    assert!(app.toast.as_deref().unwrap().starts_with("filter by type"));
    assert!(matches!(app.overlay, Some(Overlay::Palette(_))), "the palette stays open to fix the line");
    app.update(key(KeyCode::Esc));
    let commands = app.update(key(KeyCode::Char('A')));
    let Some(Command::SelectAllInFilter { filter }) = commands.first().cloned() else { panic!("{commands:?}") };
    assert_eq!(filter.type_code.as_deref(), Some("DS-D"));
    app.update(Msg::FilterSelected(Ok(vec![(1, 1), (7, 2), (9, 1)])));
    assert_eq!(app.queue.picked.len(), 3);
    palette(&mut app, "QC");
    assert!(
        matches!(&app.overlay, Some(Overlay::Confirm { prompt, .. }) if prompt.starts_with("Complete row 1 (A25-000781 OP-S) and 2 more selected deficiencies not on screen with"))
    );
    app.overlay = None;
    let commands = palette(&mut app, "filter");
    assert!(
        matches!(commands.first(), Some(Command::LoadQueue { filter, .. }) if filter.type_code.is_none() && filter.service.is_none())
    );
}

#[test]
fn step_and_void_ask_once_with_their_arguments() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1)]);
    palette(&mut app, "ST=1-2 signed");
    let Some(Overlay::Confirm { prompt, command }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(prompt, "Move rows 1-2 (A25-000781 OP-S, A25-000782 OP-S) to SIGNED? (y/N)");
    assert_eq!(
        command,
        Command::MoveDeficiencies {
            items: vec![(1, 1), (2, 1)],
            to: crate::domain::chart::DeficiencyStatus::Signed,
            note: String::new()
        }
    );
    palette(&mut app, "ST=1 completed");
    assert!(app.overlay.is_none(), "QC completes, not ST");
    app.overlay = None;
    palette(&mut app, "VD=2 entered on the wrong patient");
    let Some(Overlay::Confirm { prompt, command }) = app.overlay.take() else { panic!() };
    assert_eq!(
        prompt,
        "Void row 2 (A25-000782 OP-S) because \"entered on the wrong patient\"? They stay on record, marked void. \
         (y/N)"
    );
    assert!(
        matches!(command, Command::MoveDeficiencies { to: crate::domain::chart::DeficiencyStatus::Voided, ref note, .. } if note == "entered on the wrong patient")
    );
}

#[test]
fn a_physicians_group_folds_and_the_highlight_skips_it() {
    let mut app = app();
    let mut rows = vec![queue_row(1, 1), queue_row(2, 1), queue_row(3, 1)];
    rows[2].provider_id = 9;
    open_queue(&mut app, rows);
    let commands = app.update(key(KeyCode::Char('s')));
    let Some(Command::LoadQueue { id, sort: crate::store::QueueSort::Physician, .. }) = commands.first().cloned()
    else {
        panic!()
    };
    let mut rows = vec![queue_row(1, 1), queue_row(2, 1), queue_row(3, 1)];
    rows[2].provider_id = 9;
    app.update(Msg::QueueLoaded { id, append: false, result: Ok(crate::store::QueuePage { rows, has_more: false }) });
    app.update(key(KeyCode::Char('z'))); // fold provider 1's group (rows 1 and 2)
    assert_eq!(app.queue.selected, 2, "the highlight moved to the next group");
    app.update(key(KeyCode::Up));
    assert_eq!(app.queue.selected, 2, "folded rows are skipped");
    app.update(key(KeyCode::Char('z'))); // fold provider 9 too: every group is folded
    assert_eq!(app.queue.folded.iter().copied().collect::<Vec<_>>(), vec![1, 9]);
    app.update(key(KeyCode::Char('z'))); // and unfold it again
    assert_eq!(app.queue.folded.iter().copied().collect::<Vec<_>>(), vec![1]);
}

#[test]
fn an_import_runs_from_the_palette_with_progress_and_a_summary() {
    let mut app = app();
    palette(&mut app, "import");
    assert!(app.toast.as_deref().unwrap().starts_with("import csv DIR, or import fhir"));
    app.update(key(KeyCode::Esc));
    palette(&mut app, "import fhir /data/Fhir/a.json /data/b facility=mah");
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(prompt, "Import Synthea FHIR from /data/Fhir/a.json /data/b into MAH? (y/N)");
    let commands = app.update(key(KeyCode::Char('y')));
    assert_eq!(
        commands,
        vec![Command::RunImport {
            fhir: true,
            paths: vec!["/data/Fhir/a.json".into(), "/data/b".into()],
            facility: Some("MAH".into()),
            open_since: NaiveDate::from_ymd_opt(2025, 2, 1).unwrap(),
            into_demo: false,
        }]
    );
    app.update(Msg::Progress("Importing: bundles: 3 of 38".into()));
    assert_eq!(app.toast.as_deref(), Some("Importing: bundles: 3 of 38"));
    let mut report = crate::desk::import::ImportReport::default();
    report.counts.patients.created = 36;
    report.counts.encounters.created = 681;
    report.counts.procedures.created = 370;
    report.counts.documents.created = 681;
    app.update(Msg::ImportDone(Ok(Box::new(report))));
    assert_eq!(
        app.toast.as_deref(),
        Some("Imported: 36 patients new, 0 unchanged; 681 encounters new; 370 procedures new; 681 documents new")
    );
    palette(&mut app, "import csv /a /b");
    assert_eq!(app.toast.as_deref(), Some("import csv DIR: one directory"));
}

/// Issue 12: a demo store refuses a real import unless `into-demo` says it is meant, as the
/// command line's `import --into-demo` does.
#[test]
fn an_import_into_the_demo_hospital_is_refused_unless_into_demo_says_it_is_meant() {
    let mut app = app();
    app.header.is_demo = true;
    palette(&mut app, "import csv /data/csv");
    assert!(app.overlay.is_none(), "no question: {:?}", app.overlay);
    let said = app.toast.clone().unwrap();
    assert!(said.contains("demo hospital") && said.contains("add into-demo if this is meant"), "{said}");
    app.toast = None;
    palette(&mut app, "import csv /data/csv INTO-DEMO");
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(prompt, "Import Synthea CSV from /data/csv, among the demo hospital's made-up patients? (y/N)");
    let commands = app.update(key(KeyCode::Char('y')));
    assert!(matches!(commands.as_slice(), [Command::RunImport { into_demo: true, fhir: false, .. }]), "{commands:?}");
    // A store that is not a demo asks as before, and the desk is told nothing was said.
    let mut real = self::app();
    palette(&mut real, "import csv /data/csv");
    assert!(matches!(
        &real.overlay,
        Some(Overlay::Confirm { command: Command::RunImport { into_demo: false, .. }, .. })
    ));
}

#[test]
fn the_search_on_screen_runs_again_when_an_import_finishes() {
    let mut app = app();
    type_text(&mut app, "simonis");
    let commands = app.update(Msg::ImportDone(Ok(Box::default())));
    let searched: Vec<_> = commands
        .iter()
        .filter_map(|c| match c {
            Command::Search { text, offset: 0, append: false, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(searched, ["simonis"]);
    assert!(app.update(Msg::ImportDone(Err("disk full".into()))).is_empty(), "nothing new to show");
    assert_eq!(app.toast.as_deref(), Some("Import stopped: disk full"));
}

fn deficiency(
    id: i64,
    version: i64,
    type_code: &str,
    status: crate::domain::chart::DeficiencyStatus,
) -> crate::domain::chart::DeficiencyView {
    crate::domain::chart::DeficiencyView {
        id,
        version,
        encounter_id: 11,
        account: "A25-000781".into(),
        type_code: type_code.into(),
        type_name: "Discharge summary not dictated".into(),
        provider: "PATEL, ALICE".into(),
        status,
        event_on: NaiveDate::from_ymd_opt(2025, 2, 10).unwrap(),
        delinquent_on: NaiveDate::from_ymd_opt(2025, 3, 12).unwrap(),
        pauses: Vec::new(),
    }
}

/// GARCIA's chart open, with one open deficiency (21, version 3) and one completed (22).
fn app_with_deficient_chart() -> App {
    use crate::domain::chart::DeficiencyStatus;
    let mut app = app_with_smith_found();
    let commands = app.update(key(KeyCode::Enter));
    let Some(Command::OpenChart { id, .. }) = commands.last().cloned() else { panic!("{commands:?}") };
    let mut chart = chart_for(row(7, "100234", "Smith", "John"));
    chart.deficiencies =
        vec![deficiency(21, 3, "DS-D", DeficiencyStatus::Open), deficiency(22, 1, "OP-S", DeficiencyStatus::Completed)];
    app.update(Msg::ChartLoaded { id, encounter_id: None, result: Ok(Box::new(chart)) });
    app
}

#[test]
fn a_charts_deficiency_is_completed_where_it_is_shown_with_the_queues_confirmation() {
    use crate::tui::screens::chart::Section;
    let mut app = app_with_deficient_chart();
    // From the encounters, `c` shows the deficiencies rather than act on a row the clerk cannot see.
    assert!(app.update(key(KeyCode::Char('c'))).is_empty());
    assert!(app.overlay.is_none());
    assert_eq!(app.chart.as_ref().unwrap().section, Section::Deficiencies);
    app.update(key(KeyCode::Char('c')));
    let Some(Overlay::Confirm { prompt, command }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(prompt, "A25-000781 DS-D: Complete 1 deficiency with resolved date 03/03/2025? (y/N)");
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    assert_eq!(command, &Command::CompleteDeficiencies { items: vec![(21, 3)], resolved_on: today });
    let commands = app.update(key(KeyCode::Char('y')));
    assert_eq!(commands, vec![Command::CompleteDeficiencies { items: vec![(21, 3)], resolved_on: today }]);
    // Done: the chart is read again where it stands; the queue, never opened, is not loaded.
    let outcome = crate::store::CompletionOutcome {
        completed: vec![21],
        skipped: vec![],
        charts_completed: vec![],
        reinstated: vec![],
    };
    let commands = app.update(Msg::Completed { verb: "completed", result: Ok(outcome.clone()) });
    // Read again as the same look: no second view recorded.
    let [Command::RefreshChart { id, patient_id: 7 }] = commands[..] else { panic!("{commands:?}") };
    assert_eq!(app.toast.as_deref(), Some("1 deficiency completed"));
    let mut chart = app.chart.as_ref().unwrap().chart.clone();
    chart.deficiencies[0].status = crate::domain::chart::DeficiencyStatus::Completed;
    app.update(Msg::ChartLoaded { id, encounter_id: None, result: Ok(Box::new(chart)) });
    let state = app.chart.as_ref().unwrap();
    assert_eq!((app.screen, state.section), (Screen::Chart, Section::Deficiencies));
    assert!(!state.chart.deficiencies[0].status.is_open());
    // Nothing open is left: refused before any question.
    app.update(key(KeyCode::Char('c')));
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("No open deficiency on this chart."));
}

#[test]
fn a_completed_item_on_a_chart_is_refused_before_the_question() {
    let mut app = app_with_deficient_chart();
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down)); // the completed OP-S
    app.update(key(KeyCode::Char('c')));
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("A25-000781 OP-S is COMPLETED; only open items can be worked."));
    app.update(key(KeyCode::Char(' ')));
    assert!(app.chart.as_ref().unwrap().picked.is_empty(), "a completed item cannot be selected");
    // Row numbers are the queue's: on a chart they are refused, not guessed.
    palette(&mut app, "QC=1");
    assert!(app.overlay.is_none());
    assert!(app.toast.as_deref().unwrap().starts_with("On a chart, work the highlighted deficiency"));
}

#[test]
fn comment_reassign_and_pause_from_a_chart_ask_in_the_palette_then_confirm() {
    let mut app = app_with_deficient_chart();
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    let commands = app.update(key(KeyCode::Char('m')));
    assert_eq!(commands, vec![Command::LoadProviders], "the providers are asked for once, for completion");
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!() };
    assert_eq!(p.input, "CM ");
    type_text(&mut app, "please sign");
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { command, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(command, Command::CommentDeficiencies { items: vec![(21, 3)], text: "please sign".into() });

    app.update(Msg::ProvidersLoaded(Ok(vec![
        ProviderChoice { npi: "1000000001".into(), name: "PATEL, ALICE".into(), specialty: "Surgery".into() },
        ProviderChoice { npi: "1000000002".into(), name: "OKAFOR, BEN".into(), specialty: "Medicine".into() },
    ])));
    assert!(app.update(key(KeyCode::Char('r'))).is_empty(), "asked once already");
    type_text(&mut app, "okaf");
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { command, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(command, Command::ReassignDeficiencies { items: vec![(21, 3)], npi: "1000000002".into() });

    app.update(key(KeyCode::Char('p')));
    type_text(&mut app, "02/20/2025 02/25/2025 chart in coding");
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { command, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert!(
        matches!(command, Command::PauseAging { items, reason, .. } if items == vec![(21, 3)] && reason == "chart in coding")
    );
}

#[test]
fn physician_takes_a_name_or_an_npi_with_completion() {
    let mut app = app();
    let commands = app.update(key(KeyCode::Char(':')));
    assert_eq!(commands, vec![Command::LoadProviders]);
    app.update(Msg::ProvidersLoaded(Ok(vec![
        ProviderChoice { npi: "1000000001".into(), name: "PATEL, ALICE".into(), specialty: "Surgery".into() },
        ProviderChoice { npi: "1000000003".into(), name: "PATEL, ANIL".into(), specialty: "Medicine".into() },
    ])));
    type_text(&mut app, "physician patel a");
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!() };
    let names: Vec<_> = p.entries().into_iter().map(|e| e.label).collect();
    assert_eq!(names, ["PATEL, ALICE", "PATEL, ANIL"]);
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Tab));
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!() };
    assert_eq!(p.input, "physician 1000000003");
    let commands = app.update(key(KeyCode::Enter));
    assert_eq!(commands, vec![Command::LoadPhysician { npi: "1000000003".into() }]);
    // By name, Enter takes the highlighted one; an NPI is taken as typed.
    app.update(key(KeyCode::Char(':')));
    type_text(&mut app, "physician patel, al");
    assert_eq!(app.update(key(KeyCode::Enter)), vec![Command::LoadPhysician { npi: "1000000001".into() }]);
    app.update(key(KeyCode::Char(':')));
    type_text(&mut app, "physician 1234567890");
    assert_eq!(app.update(key(KeyCode::Enter)), vec![Command::LoadPhysician { npi: "1234567890".into() }]);
    app.update(key(KeyCode::Char(':')));
    type_text(&mut app, "physician zzz");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.toast.as_deref().unwrap().starts_with("no provider matches \"zzz\""), "{:?}", app.toast);
    assert!(matches!(app.overlay, Some(Overlay::Palette(_))), "what was typed stays to correct");
}

#[test]
fn a_provider_imported_without_an_npi_is_listed_and_completed_by_name_never_by_the_stores_key() {
    let mut app = app();
    app.update(key(KeyCode::Char(':')));
    app.update(Msg::ProvidersLoaded(Ok(vec![ProviderChoice {
        npi: "synthea:c5d511e7-5549-38a4-a365-38e52aa627df".into(),
        name: "WINDLER, ALVA".into(),
        specialty: "General Practice".into(),
    }])));
    type_text(&mut app, "physician windler");
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!() };
    let entries = p.entries();
    assert_eq!(entries[0].description, "no NPI  General Practice");
    app.update(key(KeyCode::Tab));
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!() };
    assert_eq!(p.input, "physician WINDLER, ALVA");
    let commands = app.update(key(KeyCode::Enter));
    assert_eq!(
        commands,
        vec![Command::LoadPhysician { npi: "synthea:c5d511e7-5549-38a4-a365-38e52aa627df".into() }],
        "the desk is still told which provider"
    );
}

#[test]
fn every_palette_entry_is_reachable_and_enter_runs_or_completes_it() {
    let mut app = app();
    app.update(key(KeyCode::Char(':')));
    let count = crate::tui::widgets::palette::COMMANDS.len();
    for _ in 0..count + 3 {
        app.update(key(KeyCode::Down));
    }
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!() };
    assert_eq!(p.selected, count - 1, "the arrows reach the last entry and stop there");
    // The last entry, VD, needs a reason: Enter puts it in the input instead of failing.
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!("{:?}", app.toast) };
    assert_eq!(p.input, "VD ");
    assert!(app.toast.is_none());
    app.update(key(KeyCode::Esc));
    // An entry without arguments runs.
    app.update(key(KeyCode::Char(':')));
    let help = crate::tui::widgets::palette::COMMANDS.iter().position(|(n, _, _)| *n == "help").unwrap();
    for _ in 0..help {
        app.update(key(KeyCode::Down));
    }
    app.update(key(KeyCode::Enter));
    assert!(matches!(app.overlay, Some(Overlay::Help { .. })));
}

#[test]
fn every_message_is_kept_for_messages_and_a_long_one_is_whole_there() {
    let mut app = app();
    let long = "Imported: 5750 patients new, 0 unchanged; 220100 encounters new; 160950 procedures new; 1200 documents new; 3 rejected, first: row 7 of patients.csv: a birth date after the death date";
    app.update(Msg::ImportDone(Err(long.into())));
    app.update(key(KeyCode::Esc));
    assert!(app.toast.is_none(), "a key dismisses the message from the screen");
    app.update(Msg::Progress("Importing: 40%".into()));
    app.update(Msg::BackgroundFailed("could not write the audit trail: disk full".into()));
    assert_eq!(app.messages.len(), 2, "progress lines are not kept: {:?}", app.messages);
    assert_eq!(app.messages[0], format!("Import stopped: {long}"));
    palette(&mut app, "messages");
    assert!(matches!(app.overlay, Some(Overlay::Messages { .. })));
}

#[test]
fn the_help_overlay_scrolls_to_its_last_line_at_80x24() {
    let mut app = app_with_deficient_chart();
    app.update(key(KeyCode::Char('?')));
    // More than the help has lines, however many bindings it lists.
    for _ in 0..1000 {
        app.update(key(KeyCode::Down));
    }
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|frame| crate::tui::view::render(frame, &app, &crate::tui::theme::Theme::monochrome())).unwrap();
    let screen = format!("{:?}", terminal.backend().buffer());
    assert!(screen.contains("see config.example.toml"), "the last line is reachable: {screen}");
    assert!(!screen.contains("more ┘"), "{screen}");
}

fn physician_standing(open: i64, delinquent: i64) -> crate::store::PhysicianStanding {
    crate::store::PhysicianStanding {
        provider_id: 2,
        npi: "1000000002".into(),
        name: "OKAFOR, BEN".into(),
        open,
        delinquent,
        oldest_delinquent_discharge: None,
        suspended_since: None,
        leave: vec![],
    }
}

fn confirm_yes(app: &mut App) -> Vec<Command> {
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })), "a question: {:?}", app.toast);
    app.update(key(KeyCode::Char('y')))
}

fn refreshed(app: &mut App, commands: &[Command], rows: Vec<crate::store::deficiencies::QueueRow>) {
    let Some(Command::RefreshQueue { id, .. }) = commands.iter().find(|c| matches!(c, Command::RefreshQueue { .. }))
    else {
        panic!("the rows are read again: {commands:?}")
    };
    app.update(Msg::QueueRefreshed { id: *id, result: Ok(crate::store::QueuePage { rows, has_more: false }) });
}

/// A second `:PA=17` hit another patient because the list renumbered after the first action.
#[test]
fn rows_keep_their_numbers_after_an_action_until_the_clerk_reloads() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1), queue_row(3, 1)]);
    palette(&mut app, "QC=1");
    assert!(matches!(confirm_yes(&mut app).as_slice(), [Command::CompleteDeficiencies { .. }]));
    let outcome = crate::store::CompletionOutcome { completed: vec![1], ..Default::default() };
    let commands = app.update(Msg::Completed { verb: "completed", result: Ok(outcome) });
    assert!(!commands.iter().any(|c| matches!(c, Command::LoadQueue { .. })), "no renumbering reload: {commands:?}");
    // The store no longer lists item 1; item 3 moved up the order and was changed by the action.
    let mut three = queue_row(3, 2);
    three.status = crate::domain::chart::DeficiencyStatus::Signed;
    refreshed(&mut app, &commands, vec![three, queue_row(2, 1)]);
    let ids: Vec<i64> = app.queue.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, [1, 2, 3], "every row where it was");
    assert_eq!(app.queue.rows[0].status, crate::domain::chart::DeficiencyStatus::Completed, "row 1 shown as done");
    assert!(app.queue.done.contains(&1));
    assert_eq!(
        (app.queue.rows[2].version, app.queue.rows[2].status),
        (2, crate::domain::chart::DeficiencyStatus::Signed)
    );
    // Row 3 is still item 3, at its new version.
    palette(&mut app, "CM=3 please sign");
    let Some(Overlay::Confirm { command, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(command, Command::CommentDeficiencies { items: vec![(3, 2)], text: "please sign".into() });
    // A row closed here is refused by name, not acted on again.
    palette(&mut app, "QC=1-2");
    assert!(app.overlay.is_none());
    assert!(
        app.toast.as_deref().unwrap().starts_with("row 1 (A25-000781 OP-S): already completed here"),
        "{:?}",
        app.toast
    );
    // `r` reloads and renumbers; until the new list shows, no row is named by its number.
    let commands = app.update(key(KeyCode::Char('r')));
    let Some(Command::LoadQueue { id, offset: 0, append: false, .. }) = commands.first().cloned() else {
        panic!("{commands:?}")
    };
    palette(&mut app, "CM=2 please sign");
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("The list is reloading: name the rows once it shows."));
    app.update(Msg::QueueLoaded {
        id,
        append: false,
        result: Ok(crate::store::QueuePage { rows: vec![queue_row(2, 1), queue_row(3, 2)], has_more: false }),
    });
    assert!(app.queue.done.is_empty());
    assert_eq!(app.queue.rows.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 3]);
    palette(&mut app, "CM=1 please sign");
    let Some(Overlay::Confirm { command, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(command, Command::CommentDeficiencies { items: vec![(2, 1)], text: "please sign".into() });
}

#[test]
fn the_physician_views_standing_is_read_again_after_a_change_and_on_r() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    palette(&mut app, "physician 1000000002");
    let commands = app.update(Msg::PhysicianLoaded(Ok(physician_standing(1, 0))));
    let Some(Command::LoadQueue { id, .. }) = commands.first().cloned() else { panic!("{commands:?}") };
    app.update(Msg::QueueLoaded {
        id,
        append: false,
        result: Ok(crate::store::QueuePage { rows: vec![queue_row(1, 1)], has_more: false }),
    });
    palette(&mut app, "QC=1");
    confirm_yes(&mut app);
    let outcome = crate::store::CompletionOutcome { completed: vec![1], ..Default::default() };
    let commands = app.update(Msg::Completed { verb: "completed", result: Ok(outcome) });
    assert!(commands.contains(&Command::LoadPhysician { npi: "1000000002".into() }), "{commands:?}");
    let after = app.update(Msg::PhysicianLoaded(Ok(physician_standing(0, 0))));
    assert!(after.is_empty(), "the standing changes; the rows stay: {after:?}");
    assert_eq!(app.queue.physician.as_ref().map(|p| p.open), Some(0));
    assert_eq!(app.queue.rows.len(), 1);
    let commands = app.update(key(KeyCode::Char('r')));
    assert!(commands.contains(&Command::LoadPhysician { npi: "1000000002".into() }), "{commands:?}");
}

#[test]
fn a_capital_a_pressed_again_clears_the_selection() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    assert!(matches!(app.update(key(KeyCode::Char('A'))).as_slice(), [Command::SelectAllInFilter { .. }]));
    app.update(Msg::FilterSelected(Ok(vec![(1, 1), (7, 2), (9, 1)])));
    assert_eq!(app.toast.as_deref(), Some("3 items selected: every item the filter matches (A again clears)"));
    assert!(app.update(key(KeyCode::Char('A'))).is_empty(), "no new selection");
    assert!(app.queue.picked.is_empty());
    assert_eq!(app.toast.as_deref(), Some("Selection cleared."));
    assert!(matches!(app.update(key(KeyCode::Char('A'))).as_slice(), [Command::SelectAllInFilter { .. }]));
}

fn rows_discharged(days: &[(u32, u32)]) -> Vec<crate::store::deficiencies::QueueRow> {
    days.iter()
        .enumerate()
        .map(|(i, (m, d))| {
            let mut row = queue_row(i as i64 + 1, 1);
            row.event_on = NaiveDate::from_ymd_opt(2025, *m, *d).unwrap();
            row
        })
        .collect()
}

/// `:QC=1-3 03/03/2025` on items discharged in August 2026 recorded a completion before them.
#[test]
fn a_completion_date_before_a_rows_event_is_refused_before_the_question_naming_the_row() {
    let mut app = app();
    open_queue(&mut app, rows_discharged(&[(2, 10), (2, 10), (2, 28)]));
    palette(&mut app, "QC=1-3 02/20/2025");
    assert!(app.overlay.is_none(), "refused before y/N");
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "Nothing asked or changed: row 3 (A25-000783 OP-S): a completion date cannot be before the event the \
             item ages from (02/28/2025)"
        )
    );
    palette(&mut app, "QC=1-2 02/20/2025");
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })));
}

/// `:PA=17 02/20/2025 02/25/2025` on a chart discharged later counted days it was not aging.
#[test]
fn a_pause_is_clipped_per_row_and_the_question_says_the_days_of_each() {
    let mut app = app();
    open_queue(&mut app, rows_discharged(&[(2, 10), (2, 10), (2, 23)]));
    palette(&mut app, "PA=1-3 02/20/2025 02/25/2025 chart in coding");
    let Some(Overlay::Confirm { prompt, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(
        prompt,
        "Pause aging of rows 1-3 (A25-000781 OP-S, A25-000782 OP-S, A25-000783 OP-S) from 02/20/2025 to \
         02/25/2025: rows 1-2: 5 days; row 3: 2 days (from 02/23/2025), because \"chart in coding\"? (y/N)"
    );
    palette(&mut app, "PA=1-2 02/20/2025 02/25/2025 chart in coding");
    let Some(Overlay::Confirm { prompt, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert!(prompt.ends_with("from 02/20/2025 to 02/25/2025: 5 days, because \"chart in coding\"? (y/N)"), "{prompt}");
    // Wholly before row 3 started aging.
    palette(&mut app, "PA=2-3 02/12/2025 02/20/2025 chart in coding");
    assert!(app.overlay.is_none());
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "Nothing asked or changed: row 3 (A25-000783 OP-S): the pause ends before the item started aging \
             (02/23/2025)"
        )
    );
    palette(&mut app, "PA=1 02/25/2025 02/20/2025 chart in coding");
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("a pause ends after it starts: 02/20/2025 is before 02/25/2025"));
}

#[test]
fn a_pause_counts_no_day_a_row_was_already_paused() {
    let mut app = app();
    let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).unwrap();
    let mut paused = rows_discharged(&[(2, 10), (2, 10)]);
    paused[0].paused_days = 3;
    paused[0].pauses = vec![(d(2, 20), d(2, 23))];
    open_queue(&mut app, paused);
    // Days 20–22 are paused already: row 1 counts the 23rd and 24th only.
    palette(&mut app, "PA=1-2 02/20/2025 02/25/2025 chart in coding");
    let Some(Overlay::Confirm { prompt, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert!(prompt.contains("row 1: 2 days") && prompt.contains("row 2: 5 days"), "{prompt}");
    palette(&mut app, "PA=1 02/20/2025 02/23/2025 again");
    assert!(app.overlay.is_none());
    assert!(app.toast.as_deref().is_some_and(|t| t.contains("already paused")), "{:?}", app.toast);
}

#[test]
fn a_provider_and_a_step_are_checked_before_the_question() {
    let mut app = app();
    let mut rows = vec![queue_row(1, 1), queue_row(2, 1)];
    rows[1].status = crate::domain::chart::DeficiencyStatus::Signed;
    open_queue(&mut app, rows);
    app.update(Msg::ProvidersLoaded(Ok(vec![ProviderChoice {
        npi: "1000000002".into(),
        name: "PATEL, ALICE".into(),
        specialty: "Surgery".into(),
    }])));
    palette(&mut app, "AS=1 1000000009");
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("no provider has NPI 1000000009"));
    palette(&mut app, "AS=1 1000000002");
    let Some(Overlay::Confirm { prompt, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(prompt, "Assign row 1 (A25-000781 OP-S) to PATEL, ALICE (NPI 1000000002)? (y/N)");
    palette(&mut app, "ST=1-2 transcribed");
    assert!(app.overlay.is_none());
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "Nothing asked or changed: row 1 (A25-000781 OP-S): cannot go from TRANSCRIBED to TRANSCRIBED; row 2 \
             (A25-000782 OP-S): cannot go from SIGNED to TRANSCRIBED"
        )
    );
}

/// The store's creator could not `:QC`, and the refusal came after the y/N.
#[test]
fn an_action_the_users_roles_do_not_allow_is_refused_before_the_question_with_the_roles_needed() {
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let header = HeaderInfo::new("kwong", &[Role::HimClerk]);
    let mut app = App::new(Arc::new(Keymap::default()), header, today, (80, 24));
    open_queue(&mut app, vec![queue_row(1, 1)]);
    palette(&mut app, "QC=1");
    assert!(app.overlay.is_none());
    assert_eq!(
        app.toast.as_deref(),
        Some("you (kwong) may not complete deficiencies: that needs chart_analyst, supervisor or director")
    );
    let header = HeaderInfo::new("mlee", &[Role::ChartAnalyst]);
    let mut app = App::new(Arc::new(Keymap::default()), header, today, (80, 24));
    open_queue(&mut app, vec![queue_row(1, 1)]);
    palette(&mut app, "VD=1 wrong patient");
    assert_eq!(app.toast.as_deref(), Some("you (mlee) may not void records: that needs supervisor or director"));
    palette(&mut app, "QC=1");
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })), "{:?}", app.toast);
    // The header's facts arriving later keep the roles.
    app.overlay = None;
    app.update(Msg::InfoLoaded(Ok(HeaderInfo { facility: "RGH".into(), ..HeaderInfo::default() })));
    assert_eq!(app.header.roles, [Role::ChartAnalyst]);
}

#[test]
fn a_long_list_names_three_rows_and_counts_the_rest() {
    let mut app = app();
    open_queue(&mut app, (1..=8).map(|id| queue_row(id, 1)).collect());
    palette(&mut app, "QC=1-3 5-8");
    let Some(Overlay::Confirm { prompt, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(
        prompt,
        "Complete rows 1-3, 5-8 (A25-000781 OP-S, A25-000782 OP-S, A25-000783 OP-S and 4 more) with resolved date \
         03/03/2025? (y/N)"
    );
}

#[test]
fn changing_screen_re_reads_the_header_so_a_changed_role_shows() {
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let mut app = App::new(Arc::new(Keymap::default()), HeaderInfo::new("jdoe", &[Role::HimClerk]), today, (80, 24));
    assert_eq!(app.header.role, "HIM clerk");
    let commands = palette(&mut app, "deficiencies");
    assert!(commands.contains(&Command::LoadInfo), "{commands:?}");
    let info =
        HeaderInfo { facility: "Riverbend General (RGH)".into(), ..HeaderInfo::new("ignored", &[Role::Supervisor]) };
    app.update(Msg::InfoLoaded(Ok(info)));
    assert_eq!((app.header.username.as_str(), app.header.role.as_str()), ("jdoe", "supervisor"));
    assert_eq!(app.header.roles, [Role::Supervisor], "the roles the checks before y/N use follow too");
    assert_eq!(app.header.facility, "Riverbend General (RGH)");
    assert!(palette(&mut app, "lookup").contains(&Command::LoadInfo));
}

fn found(app: &mut App, commands: &[Command], shape: Option<QueryShape>, rows: Vec<PatientRow>) -> Vec<Command> {
    let id = last_search_id(commands);
    let result = Ok(SearchOutcome { shape, problem: None, page: SearchPage { rows, has_more: false } });
    app.update(Msg::SearchDone { id, append: false, result })
}

fn audits(commands: &[Command]) -> Vec<&Command> {
    commands.iter().filter(|c| matches!(c, Command::RecordSearch { .. })).collect()
}

#[test]
fn results_drawn_then_replaced_by_another_query_are_audited_before_they_settle() {
    let mut app = app();
    let typed = type_text(&mut app, "smith");
    found(&mut app, &typed, Some(QueryShape::Name), vec![row(1, "100234", "Smith", "John")]);
    app.frame_drawn();
    // Under a second later the clerk erases the name and types another: no pause, no settle.
    let mut typed: Vec<Command> = (0..5).flat_map(|_| app.update(key(KeyCode::Backspace))).collect();
    typed.extend(type_text(&mut app, "jones"));
    assert!(audits(&typed).is_empty(), "{typed:?}");
    let commands = found(&mut app, &typed, Some(QueryShape::Name), vec![row(2, "100877", "Jones", "Ann")]);
    // SMITH's results are owed, naming the patient they showed.
    let smith = vec![row(1, "100234", "Smith", "John")];
    assert_eq!(commands, vec![Command::RecordSearch { shape: QueryShape::Name, shown: smith, more: false }]);
    // JONES is owed in turn, once.
    let generation = app.settle_generation().unwrap();
    assert_eq!(audits(&app.update(Msg::SearchSettled { generation })).len(), 1);
}

#[test]
fn clearing_the_field_after_results_were_drawn_audits_them() {
    let mut app = app();
    let typed = type_text(&mut app, "4821");
    found(&mut app, &typed, Some(QueryShape::Last4), vec![row(1, "100234", "Smith", "John")]);
    app.frame_drawn();
    let cleared: Vec<Command> = (0..4).flat_map(|_| app.update(key(KeyCode::Backspace))).collect();
    let commands = found(&mut app, &cleared, None, vec![]);
    assert_eq!(
        commands,
        vec![Command::RecordSearch {
            shape: QueryShape::Last4,
            shown: vec![row(1, "100234", "Smith", "John")],
            more: false
        }]
    );
    assert_eq!(app.settle_generation(), None, "nothing more is owed");
}

#[test]
fn typing_a_word_letter_by_letter_writes_one_event_not_one_per_letter() {
    let mut app = app();
    let mut written = Vec::new();
    for c in "smith".chars() {
        let typed = app.update(key(KeyCode::Char(c)));
        written.extend(found(&mut app, &typed, Some(QueryShape::Name), vec![row(1, "100234", "Smith", "John")]));
        app.frame_drawn();
    }
    assert!(audits(&written).is_empty(), "{written:?}");
    let generation = app.settle_generation().unwrap();
    assert_eq!(
        app.update(Msg::SearchSettled { generation }),
        vec![Command::RecordSearch {
            shape: QueryShape::Name,
            shown: vec![row(1, "100234", "Smith", "John")],
            more: false
        }]
    );
}

#[test]
fn the_queue_header_names_an_mrn_filter() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    let filter =
        QueueFilter { mrn: Some(crate::domain::mrn::Mrn::parse("204511").unwrap()), ..app.queue.filter.clone() };
    app.update(Msg::FilterChecked(Ok(filter)));
    assert!(app.queue.describe_filter().starts_with("open · MRN 204511"), "{}", app.queue.describe_filter());
}

#[test]
fn results_replaced_before_any_frame_showed_them_are_not_audited() {
    let mut app = app();
    let typed = type_text(&mut app, "smith");
    found(&mut app, &typed, Some(QueryShape::Name), vec![row(1, "100234", "Smith", "John")]);
    // Typed ahead: the next answer arrives before a frame was drawn.
    let mut typed: Vec<Command> = (0..5).flat_map(|_| app.update(key(KeyCode::Backspace))).collect();
    typed.extend(type_text(&mut app, "jones"));
    let commands = found(&mut app, &typed, Some(QueryShape::Name), vec![row(2, "100877", "Jones", "Ann")]);
    assert!(audits(&commands).is_empty(), "{commands:?}");
}

#[test]
fn a_long_comment_is_kept_whole_and_asked_back_whole() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 4)]);
    let text = "please dictate the discharge summary for this stay as soon as you can, the coders are waiting on \
                it since last month";
    palette(&mut app, &format!("CM=2 {text}"));
    let Some(Overlay::Confirm { prompt, command }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(command, Command::CommentDeficiencies { items: vec![(2, 4)], text: text.into() });
    assert_eq!(prompt, format!("Comment on row 2 (A25-000782 OP-S): \"{text}\"? (y/N)"));
    // Past what the desk keeps: refused before the question, with the count.
    palette(&mut app, &format!("CM=2 {}", "x".repeat(256)));
    assert!(app.overlay.is_none());
    assert_eq!(app.toast.as_deref(), Some("a comment is at most 255 characters; this one has 256"));
}

#[test]
fn a_full_command_line_refuses_the_next_key_out_loud() {
    use crate::tui::widgets::palette::MAX_INPUT;
    let mut app = app();
    app.update(key(KeyCode::Char(':')));
    type_text(&mut app, &"a".repeat(MAX_INPUT));
    assert!(app.toast.is_none());
    type_text(&mut app, "b");
    let Some(Overlay::Palette(p)) = &app.overlay else { panic!("the palette stays open") };
    assert_eq!(p.input, "a".repeat(MAX_INPUT));
    assert!(app.toast.as_deref().is_some_and(|t| t.contains("nothing more was typed")), "{:?}", app.toast);
}

#[test]
fn a_charts_dates_are_checked_before_the_question_as_the_queues_are() {
    let mut app = app_with_deficient_chart();
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    // Before the event DS-D ages from (02/10/2025): refused, naming the item, with no question.
    palette(&mut app, "QC 02/01/2025");
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
    assert_eq!(
        app.toast.as_deref(),
        Some(
            "Nothing asked or changed: A25-000781 DS-D: a completion date cannot be before the event the item ages \
             from (02/10/2025)"
        )
    );
    palette(&mut app, "PA 02/01/2025 02/05/2025 chart in coding");
    assert!(app.overlay.is_none());
    assert!(app.toast.as_deref().is_some_and(|t| t.contains("before the item started aging")), "{:?}", app.toast);
    // A pause asks with the days it counts, clipped to the item's aging, as the queue's does.
    app.update(key(KeyCode::Char('p')));
    type_text(&mut app, "02/05/2025 02/15/2025 chart in coding");
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { prompt, .. }) = app.overlay.take() else { panic!("{:?}", app.toast) };
    assert_eq!(
        prompt,
        "A25-000781 DS-D: Pause aging of 1 deficiency from 02/05/2025 to 02/15/2025: 5 days (from 02/10/2025), \
         because \"chart in coding\"? (y/N)"
    );
}

#[test]
fn a_role_changed_meanwhile_reaches_the_header_and_the_checks_on_the_change_feed() {
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let mut header = HeaderInfo::new("root", &[Role::Director]);
    header.facility = "Riverbend General (RGH)".into();
    let mut app = App::new(Arc::new(Keymap::default()), header.clone(), today, (80, 24));
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1), queue_row(3, 1)]);
    app.dirty = false;
    assert_eq!(app.update(Msg::StoreChanged(Topic::Users.into())), vec![Command::LoadInfo]);
    assert!(!app.dirty, "the news alone draws nothing");
    // The same facts again: nothing to draw.
    app.update(Msg::InfoLoaded(Ok(header.clone())));
    assert!(!app.dirty);
    // `user roles root him_clerk` from another shell: the next read carries it.
    let clerk = HeaderInfo { facility: header.facility.clone(), ..HeaderInfo::new("root", &[Role::HimClerk]) };
    app.update(Msg::InfoLoaded(Ok(clerk)));
    assert!(app.dirty);
    assert_eq!(app.header.role, "HIM clerk");
    palette(&mut app, "QC=3");
    assert!(app.overlay.is_none(), "refused before the question");
    assert!(app.toast.as_deref().is_some_and(|t| t.starts_with("you (root) may not complete")), "{:?}", app.toast);
    // A store that stays away is said once, not every few seconds.
    app.update(key(KeyCode::Down));
    app.update(Msg::InfoLoaded(Err("the store is locked".into())));
    assert_eq!(app.toast.as_deref(), Some("the store is locked"));
    app.update(key(KeyCode::Down));
    app.update(Msg::InfoLoaded(Err("the store is locked".into())));
    assert_eq!(app.toast, None);
}

#[test]
fn filter_alone_clears_every_narrowing_the_delinquent_and_age_keys_too() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    app.update(key(KeyCode::Char('d')));
    app.update(key(KeyCode::Char('b')));
    app.queue.filter.type_code = Some("DS-D".into());
    assert!(app.queue.filter.delinquent_only && app.queue.filter.bucket.is_some());
    let commands = palette(&mut app, "filter");
    let Some(Command::LoadQueue { filter, .. }) = commands.first().cloned() else { panic!("{commands:?}") };
    assert!(!filter.delinquent_only, "{filter:?}");
    assert_eq!((filter.bucket, filter.type_code), (None, None));
    assert_eq!(app.queue.describe_filter(), "open · oldest first");
}

#[test]
fn words_a_bulk_action_would_ignore_are_refused() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1)]);
    palette(&mut app, "QC=2 03/01/2025 junk");
    assert!(app.overlay.is_none(), "{:?}", app.overlay);
    assert_eq!(app.toast.as_deref(), Some("QC=1-3 [date] takes nothing more: \"junk\" not understood"));
    palette(&mut app, "QC=1 03/01/2025 x y");
    assert_eq!(app.toast.as_deref(), Some("QC=1-3 [date] takes nothing more: \"x\" \"y\" not understood"));
    palette(&mut app, "QC=2 03/01/2025");
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })), "{:?}", app.toast);
}

/// The queue's rows arrived and, before the frame was drawn, the header was read again unchanged:
/// the rows are still drawn (the frame the first message asked for is not cancelled by the second).
#[test]
fn a_message_that_changes_nothing_does_not_cancel_a_frame_an_earlier_one_asked_for() {
    let mut app = app();
    let commands = palette(&mut app, "deficiencies");
    app.dirty = false; // drawn
    let Some(Command::LoadQueue { id, .. }) = commands.first().cloned() else { panic!("{commands:?}") };
    app.update(Msg::QueueLoaded {
        id,
        append: false,
        result: Ok(crate::store::QueuePage { rows: vec![queue_row(1, 1)], has_more: false }),
    });
    assert!(app.dirty, "the rows want a frame");
    app.update(Msg::InfoLoaded(Ok(app.header.clone())));
    assert!(app.dirty, "the unchanged header must not cancel it");
    app.dirty = false;
    app.update(Msg::InfoLoaded(Ok(app.header.clone())));
    assert!(!app.dirty, "alone, an unchanged header draws nothing");
}

// ---- following the store's changes ------------------------------------------------------------

fn ids(app: &App) -> Vec<i64> {
    app.queue.rows.iter().map(|r| r.id).collect()
}

/// The store's news, as the change feed brings it.
fn store_changed(app: &mut App, topic: Topic) -> Vec<Command> {
    app.update(Msg::StoreChanged(topic.into()))
}

#[test]
fn another_clerks_change_reads_the_queue_again_and_the_cursor_stays_on_its_item() {
    let mut app = app();
    open_queue(&mut app, (1..=5).map(|id| queue_row(id, 1)).collect());
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down)); // on item 3
    let commands = store_changed(&mut app, Topic::Deficiencies);
    let Some(Command::RefreshQueue { filter, sort, limit, .. }) = commands.first() else { panic!("{commands:?}") };
    assert_eq!((filter, *sort), (&app.queue.filter, QueueSort::Age), "the same filter and sort");
    assert_eq!(*limit, 5 + PAGE_SIZE, "the rows loaded, and a page more");
    assert!(!commands.contains(&Command::CountQueue), "the rows first: {commands:?}");

    // Items 1 and 2 completed by another clerk; item 6 came in after item 4; item 3 moved on.
    let mut three = queue_row(3, 2);
    three.status = crate::domain::chart::DeficiencyStatus::Signed;
    refreshed(&mut app, &commands, vec![three, queue_row(4, 1), queue_row(6, 1), queue_row(5, 1)]);
    assert_eq!(ids(&app), [3, 4, 6, 5], "gone rows gone, the new one after the row it follows");
    assert_eq!(app.queue.rows[app.queue.selected].id, 3, "the highlight stays on item 3");
    assert_eq!(app.queue.rows[0].status, crate::domain::chart::DeficiencyStatus::Signed);
    assert!(app.dirty);

    // Item 3 itself goes: the highlight takes the nearest row left, the one that was below it.
    let commands = store_changed(&mut app, Topic::Deficiencies);
    refreshed(&mut app, &commands, vec![queue_row(4, 1), queue_row(6, 1), queue_row(5, 1)]);
    assert_eq!(app.queue.rows[app.queue.selected].id, 4);
    // The last row goes while highlighted: the one above it.
    app.update(key(KeyCode::End));
    let commands = store_changed(&mut app, Topic::Deficiencies);
    refreshed(&mut app, &commands, vec![queue_row(4, 1), queue_row(6, 1)]);
    assert_eq!(app.queue.rows[app.queue.selected].id, 6);
}

#[test]
fn a_read_that_finds_what_is_on_screen_draws_no_frame() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1)]);
    let counts = (
        crate::store::QueueCounts {
            open: 2,
            delinquent: 0,
            delinquent_charts: 0,
            discharges_12_months: 40,
            buckets: vec![],
            top_physicians: vec![],
        },
        crate::domain::deficiency::delinquency_rate(0, 40),
    );
    app.update(Msg::QueueCounted(Ok(counts.clone())));
    app.dirty = false; // drawn
    let commands = store_changed(&mut app, Topic::Deficiencies);
    assert!(!app.dirty, "the news alone draws nothing");
    let Some(Command::RefreshQueue { id, .. }) = commands.first().cloned() else { panic!("{commands:?}") };
    let rows = vec![queue_row(1, 1), queue_row(2, 1)];
    let after = app.update(Msg::QueueRefreshed { id, result: Ok(crate::store::QueuePage { rows, has_more: false }) });
    assert!(!app.dirty, "the same rows: no frame owed");
    assert_eq!(after, vec![Command::CountQueue], "the counts, once the rows are in");
    // Changes coming faster than a count: one count on its way at a time, and one more after it.
    for _ in 0..3 {
        let commands = store_changed(&mut app, Topic::Deficiencies);
        let Some(Command::RefreshQueue { id, .. }) = commands.first().cloned() else { panic!("{commands:?}") };
        let rows = vec![queue_row(1, 1), queue_row(2, 1)];
        let after =
            app.update(Msg::QueueRefreshed { id, result: Ok(crate::store::QueuePage { rows, has_more: false }) });
        assert!(after.is_empty(), "a count is on its way: {after:?}");
    }
    assert_eq!(app.update(Msg::QueueCounted(Ok(counts.clone()))), vec![Command::CountQueue]);
    assert!(!app.dirty, "the same counts: no frame owed");
    assert!(app.update(Msg::QueueCounted(Ok(counts.clone()))).is_empty(), "nothing more owed");
    // What the header follows reads the header only.
    assert_eq!(store_changed(&mut app, Topic::Users), vec![Command::LoadInfo]);
    assert!(!app.dirty);
    // A row that did change is drawn.
    let commands = store_changed(&mut app, Topic::Deficiencies);
    refreshed(&mut app, &commands, vec![queue_row(1, 2), queue_row(2, 1)]);
    assert!(app.dirty, "item 1 at a new version");
}

#[test]
fn the_selection_keeps_the_items_still_listed() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1), queue_row(3, 1)]);
    app.update(key(KeyCode::Char(' '))); // select 1
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char(' '))); // select 3
    // And one selected unseen, by `A`.
    app.queue.picked.insert(9, 1);
    let commands = store_changed(&mut app, Topic::Deficiencies);
    refreshed(&mut app, &commands, vec![queue_row(2, 1), queue_row(3, 4)]);
    assert_eq!(
        app.queue.picked.iter().map(|(id, v)| (*id, *v)).collect::<Vec<_>>(),
        [(3, 1), (9, 1)],
        "item 1 went; item 3 stays selected at the version the clerk selected (a change since is named \
         and skipped by the action); the unseen item stays"
    );
}

#[test]
fn a_half_typed_command_line_and_an_open_question_survive_a_change_and_the_rows_wait_for_them() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1), queue_row(3, 1)]);
    app.update(key(KeyCode::Char(':')));
    for c in "QC=2".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    app.dirty = false;
    let commands = store_changed(&mut app, Topic::Deficiencies);
    assert!(commands.is_empty(), "rows are not renumbered under a row number being typed: {commands:?}");
    assert!(!app.dirty);
    let Some(Overlay::Palette(palette)) = &app.overlay else { panic!("the command line stays open") };
    assert_eq!(palette.input, "QC=2");
    // Enter: row 2 is the row the clerk saw.
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm { prompt, .. }) = &app.overlay else { panic!("{:?}", app.toast) };
    assert!(prompt.starts_with("Complete row 2 (A25-000782 OP-S)"), "{prompt}");
    assert!(store_changed(&mut app, Topic::Deficiencies).is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Confirm { .. })), "the question stays");
    // Answered: the command goes, and the rows are read again now that nothing is open over them.
    let commands = app.update(key(KeyCode::Char('y')));
    assert!(matches!(commands.first(), Some(Command::CompleteDeficiencies { items, .. }) if items == &[(2, 1)]));
    assert!(commands.iter().any(|c| matches!(c, Command::RefreshQueue { .. })), "{commands:?}");
}

#[test]
fn rows_worked_here_keep_their_place_when_another_clerks_change_is_read() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1), queue_row(2, 1), queue_row(3, 1), queue_row(4, 1)]);
    palette(&mut app, "QC=1");
    confirm_yes(&mut app);
    let outcome = crate::store::CompletionOutcome { completed: vec![1], ..Default::default() };
    app.update(Msg::Completed { verb: "completed", result: Ok(outcome) });
    palette(&mut app, "AS=2 1000000002");
    confirm_yes(&mut app);
    let outcome = crate::store::CompletionOutcome { completed: vec![2], ..Default::default() };
    app.update(Msg::Completed { verb: "reassigned", result: Ok(outcome) });
    // Another clerk completed item 3; the read lists neither 1 (completed here), 2 (reassigned out
    // of this physician's view, here) nor 3.
    let commands = store_changed(&mut app, Topic::Deficiencies);
    refreshed(&mut app, &commands, vec![queue_row(4, 1)]);
    assert_eq!(ids(&app), [1, 2, 4], "this clerk's rows keep their numbers; another's change is gone");
    assert_eq!(app.queue.rows[0].status, crate::domain::chart::DeficiencyStatus::Completed);
}

#[test]
fn a_change_under_a_hidden_queue_is_read_when_the_queue_is_shown() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    app.update(key(KeyCode::Char('1'))); // to the lookup
    assert_eq!(app.screen, Screen::Lookup);
    assert!(store_changed(&mut app, Topic::Deficiencies).is_empty(), "nothing is read for a screen not shown");
    assert!(store_changed(&mut app, Topic::Physicians).is_empty());
    let commands = palette(&mut app, "deficiencies");
    assert!(commands.iter().any(|c| matches!(c, Command::RefreshQueue { .. })), "{commands:?}");
    // Once read, the next visit reads nothing more.
    app.update(key(KeyCode::Char('1')));
    let commands = palette(&mut app, "deficiencies");
    assert!(!commands.iter().any(|c| matches!(c, Command::RefreshQueue { .. })), "{commands:?}");
}

#[test]
fn a_physicians_change_reads_the_standings_shown_not_the_rows() {
    let mut app = app();
    open_queue(&mut app, vec![queue_row(1, 1)]);
    palette(&mut app, "physician 1000000002");
    let commands = app.update(Msg::PhysicianLoaded(Ok(physician_standing(1, 0))));
    let Some(Command::LoadQueue { id, .. }) = commands.first().cloned() else { panic!("{commands:?}") };
    app.update(Msg::QueueLoaded {
        id,
        append: false,
        result: Ok(crate::store::QueuePage { rows: vec![queue_row(1, 1)], has_more: false }),
    });
    app.dirty = false;
    let commands = store_changed(&mut app, Topic::Physicians);
    assert_eq!(commands, vec![Command::LoadPhysician { npi: "1000000002".into() }]);
    app.update(Msg::PhysicianLoaded(Ok(physician_standing(1, 0))));
    assert!(!app.dirty, "the same standing: no frame");
    assert_eq!(app.screen, Screen::Queue);
    let mut suspended = physician_standing(1, 0);
    suspended.suspended_since = NaiveDate::from_ymd_opt(2025, 3, 3);
    store_changed(&mut app, Topic::Physicians);
    app.update(Msg::PhysicianLoaded(Ok(suspended.clone())));
    assert!(app.dirty);
    assert_eq!(app.queue.physician, Some(suspended));
    assert_eq!(ids(&app), [1], "the rows stay");
}

#[test]
fn an_open_chart_follows_another_clerks_work_without_recording_another_view() {
    use crate::domain::chart::DeficiencyStatus;
    use crate::tui::screens::chart::Section;
    let mut app = app_with_deficient_chart();
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab)); // the deficiencies
    assert_eq!(app.chart.as_ref().unwrap().section, Section::Deficiencies);
    let chart = app.chart.as_ref().unwrap().chart.clone();
    app.dirty = false;
    let commands = store_changed(&mut app, Topic::Deficiencies);
    let [Command::RefreshChart { id, patient_id: 7 }] = commands.as_slice() else { panic!("{commands:?}") };
    let id = *id;
    app.update(Msg::ChartLoaded { id, encounter_id: None, result: Ok(Box::new(chart.clone())) });
    assert!(!app.dirty, "the same chart: no frame");
    assert!(store_changed(&mut app, Topic::Physicians).is_empty(), "a chart does not follow physicians");

    // DS-D (21, highlighted) completed elsewhere, and a new item before it: the highlight follows 21.
    let mut changed = chart.clone();
    changed.deficiencies = vec![
        deficiency(23, 1, "HP-D", DeficiencyStatus::Open),
        deficiency(22, 1, "OP-S", DeficiencyStatus::Completed),
        deficiency(21, 4, "DS-D", DeficiencyStatus::Completed),
    ];
    let commands = store_changed(&mut app, Topic::Deficiencies);
    let [Command::RefreshChart { id, .. }] = commands.as_slice() else { panic!("{commands:?}") };
    app.update(Msg::ChartLoaded { id: *id, encounter_id: None, result: Ok(Box::new(changed)) });
    assert!(app.dirty);
    let open = app.chart.as_ref().unwrap();
    assert_eq!(open.section, Section::Deficiencies);
    assert_eq!(open.chart.deficiencies[open.selected()].id, 21);
}

#[test]
fn work_from_the_queue_does_not_record_a_view_of_the_chart_left_open_behind_it() {
    let mut app = app_with_deficient_chart();
    // The clerk leaves the chart for the queue and completes an item of another patient there.
    app.screen = Screen::Queue;
    let outcome = crate::store::CompletionOutcome {
        completed: vec![99],
        skipped: vec![],
        charts_completed: vec![],
        reinstated: vec![],
    };
    let commands = app.update(Msg::Completed { verb: "completed", result: Ok(outcome) });
    assert!(
        !commands.iter().any(|c| matches!(c, Command::OpenChart { .. } | Command::RefreshChart { .. })),
        "the chart behind is not read, let alone opened: {commands:?}"
    );
    // Back on the chart, it is brought up to date, still without a view.
    app.screen = Screen::Chart;
    let commands = app.update(Msg::Resize(80, 24));
    assert!(
        commands.iter().any(|c| matches!(c, Command::RefreshChart { patient_id: 7, .. })),
        "read when in view again: {commands:?}"
    );
    assert!(!commands.iter().any(|c| matches!(c, Command::OpenChart { .. })), "{commands:?}");
}

#[test]
fn a_role_given_while_the_queue_is_open_replaces_the_old_refusal_and_reads_the_queue_again() {
    let today = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
    let mut app = App::new(Arc::new(Keymap::default()), HeaderInfo::new("jdoe", &[Role::HimClerk]), today, (80, 24));
    palette(&mut app, "deficiencies");
    app.queue.loaded = true;
    app.toast = Some("you (jdoe) may not manage deficiencies: that needs chart_analyst, supervisor or director".into());
    let commands = app.update(Msg::InfoLoaded(Ok(HeaderInfo::new("jdoe", &[Role::HimClerk, Role::ChartAnalyst]))));
    assert_eq!(app.toast.as_deref(), Some("Your roles changed: you are now HIM clerk, chart analyst."));
    assert!(commands.contains(&Command::CountQueue), "the queue and its counts read again: {commands:?}");
    // The same roles read again change nothing.
    let commands = app.update(Msg::InfoLoaded(Ok(HeaderInfo::new("jdoe", &[Role::HimClerk, Role::ChartAnalyst]))));
    assert!(commands.is_empty(), "{commands:?}");
}

/// A chart of `row`, for the other modules' tests.
pub(crate) fn chart_for_row(row: PatientRow) -> Chart {
    chart_for(row)
}
