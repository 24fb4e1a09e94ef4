//! The release packet: AS-14's psychotherapy exclusion, AS-21's subpoena without a §2.64 order,
//! AS-22's Part 2 notice and consent copy, AS-23's New York HIV pages and fee — through the desk on
//! a clock stopped on the scenario's day, on every backend — and a packet released end to end
//! through the real binary with a Part 2 document left out.

mod common;

use chartroom::desk::roi::fees::fee_view;
use chartroom::desk::roi::packet::{PART2_TEMPLATE_MISSING, PacketView, ReleasePick};
use chartroom::desk::roi::{IntakeForm, IntakeRequester, Logged, OnOpenRequest};
use chartroom::desk::{Desk, DeskError, FixedClock};
use chartroom::domain::chart::{DocumentStatus, EncounterKind};
use chartroom::domain::roi::legal::LegalPaper;
use chartroom::domain::roi::packet::{Decision, Notice, PART2_ORDER_REQUIRED, SensitiveCategory};
use chartroom::domain::roi::status::Step;
use chartroom::domain::roi::{
    AuthorizationForm, AuthorizationKind, Delivery, LegalBasis, LegalProcess, LegalProcessKind, LetterKind,
    NewRequester, ReceivedVia, RecordFormat, RequestStatus, RequestType, RequesterKind, Scope,
};
use chartroom::store::records::{NewDocument, NewEncounter};
use chartroom::store::{AuditFilter, RecordBatch};
use chrono::{NaiveDate, TimeZone, Utc};
use common::CODE;
use common::cli::{chartroom, chartroom_with_stdin, json, ok, refused, set_own_signature};
use common::{event, key, scenarios};
use std::sync::Arc;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn desk_on(fixture: &common::Fixture, username: &str, today: NaiveDate) -> Desk {
    let now = Utc.from_utc_datetime(&today.and_hms_opt(15, 0, 0).unwrap());
    Desk::sign_in(fixture.store.clone(), username, "local".into(), key(), Arc::new(FixedClock { now, today })).unwrap()
}

fn requester(kind: RequesterKind, name: &str, address: &str) -> IntakeRequester {
    IntakeRequester::New(NewRequester {
        kind,
        name: name.into(),
        organization: String::new(),
        address: address.into(),
        phone: String::new(),
        fax: String::new(),
        email: String::new(),
    })
}

/// Every element of 164.508(c) (and of §2.31 for a Part 2 consent) present.
fn authorization(kind: AuthorizationKind, recipient: &str) -> AuthorizationForm {
    AuthorizationForm {
        kind: Some(kind),
        patient_name: "GARCIA, MARIA L".into(),
        signed_on: Some(d(2025, 2, 20)),
        signer: "GARCIA, MARIA L".into(),
        relationship: "self".into(),
        discloser: "Riverbend General Hospital".into(),
        recipient: recipient.into(),
        information: "Records of the February 2025 stay".into(),
        purpose: "Continuing treatment".into(),
        expires_on: Some(d(2026, 2, 20)),
        signature: true,
        revocation_statement: true,
        conditioning_statement: true,
        redisclosure_statement: true,
        ..AuthorizationForm::default()
    }
}

fn form(facility: &str, mrn: &str, request_type: RequestType, who: IntakeRequester) -> IntakeForm {
    IntakeForm {
        facility: facility.into(),
        patient: mrn.into(),
        received_on: Some(d(2025, 3, 3)),
        received_via: Some(ReceivedVia::Fax),
        request_type: Some(request_type),
        purpose: "Continuing treatment".into(),
        format: Some(RecordFormat::Paper),
        delivery: Some(Delivery::Mail),
        pages: None,
        postage_cents: None,
        requester: who,
        scope: Scope { entire_record: true, ..Scope::default() },
        ..IntakeForm::default()
    }
}

/// Logged by the director and walked to ready to release.
fn ready(desk: &Desk, form: IntakeForm) -> String {
    let number = log_new(desk, form);
    walk(desk, &number, &[Step::Validate, Step::Fulfil, Step::Qc, Step::ReadyToRelease]);
    number
}

fn log_new(desk: &Desk, form: IntakeForm) -> String {
    match desk.log_roi_request(form, OnOpenRequest::LogNew, None).unwrap() {
        Ok(Logged::New { request, .. }) => request.number.to_string(),
        other => panic!("not logged as a new request: {other:?}"),
    }
}

fn walk(desk: &Desk, number: &str, steps: &[Step]) {
    for step in steps {
        desk.roi_step(number, None, *step, None, None).unwrap();
    }
}

/// GARCIA's stay at Mission Valley, the records AS-21's subpoena is served for: a request is made
/// to one facility and its packet holds that facility's documents only, so her Riverbend stay
/// (A25-000781) is not what goes.
fn mission_valley_chart(store: &dyn chartroom::store::Store) {
    let stay = Stay { mrn: "204511", account: "A25-900002", facility: "MVC", admit: (2025, 2, 10), days: 3 };
    stay_with_documents(
        store,
        &stay,
        vec![
            ("HP", "History and physical".into(), 6, vec![]),
            ("CONSULT", "Detox program admission assessment".into(), 4, vec![SensitiveCategory::SudPart2]),
            ("PROGRESS", "Detox program progress note".into(), 2, vec![SensitiveCategory::SudPart2]),
        ],
    );
}

/// A test patient's stay at a facility.
struct Stay {
    mrn: &'static str,
    account: &'static str,
    facility: &'static str,
    admit: (i32, u32, u32),
    days: i64,
}

/// `stay` with its documents (type, title, pages, categories), completed and signed the first day.
fn stay_with_documents(
    store: &dyn chartroom::store::Store,
    stay: &Stay,
    documents: Vec<(&str, String, i64, Vec<SensitiveCategory>)>,
) {
    let mut batch = RecordBatch::default();
    let (y, m, day) = stay.admit;
    let admit = Utc.with_ymd_and_hms(y, m, day, 9, 0, 0).unwrap();
    batch.encounters.push(NewEncounter {
        patient_mrn: stay.mrn.into(),
        account: stay.account.into(),
        kind: EncounterKind::Inpatient,
        facility_code: stay.facility.into(),
        service: "MEDICINE".into(),
        admit_at: admit,
        discharge_at: Some(admit + chrono::Duration::days(stay.days)),
        attending_npi: Some("1000000001".into()),
    });
    for (doc_type, title, pages, categories) in documents {
        batch.documents.push(NewDocument {
            account: stay.account.into(),
            doc_type: doc_type.into(),
            text: Some(format!("{title}\nFindings as documented.")),
            title,
            author_npi: Some("1000000001".into()),
            status: DocumentStatus::Completed,
            created_at: admit + chrono::Duration::hours(2),
            signed_at: Some(admit + chrono::Duration::hours(9)),
            page_count: pages,
            sensitive_categories: categories,
            in_designated_record_set: true,
        });
    }
    store.insert_batch(batch, event("batch")).unwrap();
}

/// AS-20's civil subpoena for GARCIA at MVC, served 2025-03-10, logged (pended for its assurance
/// until the assurance of the same day is recorded) and walked to ready to release.
fn subpoena_ready(desk: &Desk) -> String {
    let mut subpoena = form(
        "MVC",
        "204511",
        RequestType::Subpoena,
        requester(RequesterKind::Attorney, "Baker & Lowe LLP", "400 Congress Ave\nAustin TX 78701"),
    );
    subpoena.received_on = Some(d(2025, 3, 10));
    subpoena.purpose = "Subpoena duces tecum".into();
    let mut process = LegalProcess::served(
        LegalProcessKind::Subpoena,
        false,
        d(2025, 3, 10),
        "Los Angeles Superior Court",
        "25STCV01234",
    );
    process.caption = "GARCIA v. LAKESIDE TRANSIT".into();
    subpoena.legal_process = Some(process);
    let number = log_new(desk, subpoena);
    assert_eq!(desk.roi_request(&number).unwrap().status, RequestStatus::Pended, "pended for its assurance");
    let assurance = LegalPaper::Assurance { received_on: d(2025, 3, 10), note: "notice mailed; no objection".into() };
    desk.roi_record_legal_paper(&number, None, assurance).unwrap();
    walk(desk, &number, &[Step::Fulfil, Step::Qc, Step::ReadyToRelease]);
    number
}

fn titles(view: &PacketView, included: bool) -> Vec<&str> {
    view.rows.iter().filter(|r| r.picked == included).map(|r| r.document.title.as_str()).collect()
}

fn reason_of<'a>(view: &'a PacketView, title: &str) -> &'a str {
    match &view.rows.iter().find(|r| r.document.title == title).unwrap().decision {
        Decision::Excluded { reason } => reason,
        other => panic!("{title} is {other:?}"),
    }
}

const CONFIRMED: ReleasePick = ReleasePick { leave_out: Vec::new(), confirm_partial: true };

#[test]
fn as14_the_patients_own_copy_leaves_the_psychotherapy_note_out_and_is_not_accountable() {
    for f in scenarios() {
        let dhim = desk_on(&f, "dhim", d(2025, 3, 3));
        common::sign(&dhim);
        let mut own = form(
            "RGH",
            "204511",
            RequestType::RightOfAccess,
            requester(RequesterKind::Patient, "GARCIA, MARIA L", "2210 Pecan St\nAustin TX 78704"),
        );
        own.format = Some(RecordFormat::Portal);
        own.delivery = Some(Delivery::Portal);
        let number = ready(&dhim, own);
        let mut packet = dhim.roi_packet(&number).unwrap();
        assert_eq!(titles(&packet, false), ["Psychotherapy session note"]);
        assert!(reason_of(&packet, "Psychotherapy session note").contains("164.524(a)(1)(i)"));
        // Her Part 2 and HIV pages are hers to have (42 CFR 2.23; Texas has no HIV release).
        assert!(titles(&packet, true).contains(&"Detox program admission assessment"));
        assert!(packet.notices().is_empty());

        // A rule's exclusion cannot be picked back in; the clerk's own choice can be undone.
        let psy = packet.rows.iter().find(|r| r.document.title == "Psychotherapy session note").unwrap().row;
        assert!(packet.toggle(psy).unwrap_err().contains("cannot go: Psychotherapy notes"));
        let verbal = packet.rows.iter().find(|r| r.document.title.starts_with("Verbal order")).unwrap().row;
        assert_eq!(packet.toggle(verbal), Ok(false));
        assert_eq!(packet.totals(), format!("{} of {} pages", packet.requested_pages() - 3, packet.requested_pages()));
        let question = packet.release_summary(d(2025, 3, 3));
        assert!(question.contains("PARTIAL RELEASE, left out: row"), "{question}");
        assert!(
            question.contains("Psychotherapy session note (2 pages)") && question.contains("(1 page)"),
            "{question}"
        );

        let pick = ReleasePick { leave_out: packet.clerk_left_out(), confirm_partial: true };
        let released = dhim.roi_release(&number, None, d(2025, 3, 3), None, &pick, CODE).unwrap();
        let disclosure = &released.disclosures[0];
        assert_eq!((disclosure.legal_basis, disclosure.accountable), (LegalBasis::Individual, false));
        assert_eq!(disclosure.pages, packet.picked_pages());
        let kept = dhim.roi_released_packets(&number).unwrap();
        let reasons: Vec<&str> =
            kept[0].packet.items.iter().filter(|i| !i.included).map(|i| i.reason.as_str()).collect();
        assert_eq!(reasons.len(), 2);
        assert!(reasons.contains(&"Left out by the clerk"), "{reasons:?}");
    }
}

/// A release is signed (issue 12): with no signature code, or a wrong one, nothing is released,
/// no packet kept and no event written; the right one releases.
#[test]
fn a_release_without_the_clerks_signature_code_releases_nothing() {
    for f in scenarios() {
        let dhim = desk_on(&f, "dhim", d(2025, 3, 3));
        let mut own = form(
            "RGH",
            "204511",
            RequestType::RightOfAccess,
            requester(RequesterKind::Patient, "GARCIA, MARIA L", "2210 Pecan St\nAustin TX 78704"),
        );
        own.format = Some(RecordFormat::Portal);
        own.delivery = Some(Delivery::Portal);
        let number = ready(&dhim, own);
        let events = |_: &Desk| f.store.list_audit(&AuditFilter { limit: 10_000, ..Default::default() }).unwrap().len();
        let before = events(&dhim);
        let unset = dhim.roi_release(&number, None, d(2025, 3, 3), None, &CONFIRMED, CODE).unwrap_err();
        assert!(matches!(unset, DeskError::NoSignature { .. }), "{unset}");
        assert!(unset.to_string().contains("chartroom user signature"), "{unset}");
        common::sign(&dhim);
        let after_set = events(&dhim);
        assert_eq!(after_set, before + 1, "setting the code is the one event");
        let wrong = dhim.roi_release(&number, None, d(2025, 3, 3), None, &CONFIRMED, "orchid77").unwrap_err();
        assert!(matches!(wrong, DeskError::WrongSignature { .. }), "{wrong}");
        assert_eq!(events(&dhim), after_set + 1, "nothing written but the wrong code's refusal");
        assert!(dhim.roi_released_packets(&number).unwrap().is_empty());
        assert_eq!(dhim.roi_request(&number).unwrap().status, RequestStatus::ReadyToRelease);
        let released = dhim.roi_release(&number, None, d(2025, 3, 3), None, &CONFIRMED, CODE).unwrap();
        assert_eq!(released.status, RequestStatus::Released);
    }
}

/// The Director's turnaround counts to the day a request was released, which the desk writes with
/// the release and moves when a supervisor voids the disclosure (the store keeps what it is told).
#[test]
fn a_release_counts_in_the_directors_figures_until_its_disclosure_is_voided() {
    for f in scenarios() {
        let dhim = desk_on(&f, "dhim", d(2025, 3, 3));
        common::sign(&dhim);
        let mut own = form(
            "RGH",
            "204511",
            RequestType::RightOfAccess,
            requester(RequesterKind::Patient, "GARCIA, MARIA L", "2210 Pecan St\nAustin TX 78704"),
        );
        own.received_on = Some(d(2025, 3, 1));
        own.format = Some(RecordFormat::Portal);
        own.delivery = Some(Delivery::Portal);
        let number = ready(&dhim, own);
        let released = dhim.roi_release(&number, None, d(2025, 3, 3), None, &CONFIRMED, CODE).unwrap();
        let stats = dhim.roi_stats(d(2025, 3, 1), d(2025, 3, 3), Some("RGH")).unwrap().stats;
        assert_eq!((stats.released(), stats.turnaround.median_days), (1, Some(2)));

        let kwong = desk_on(&f, "kwong", d(2025, 3, 5));
        let made = f.store.patient_disclosures(released.patient_id, d(2025, 3, 3), d(2025, 3, 3)).unwrap();
        let made = made.iter().find(|s| s.disclosure.request.as_deref() == Some(number.as_str())).unwrap();
        let label = chartroom::domain::roi::accounting::disclosure_label(made.disclosure.id);
        kwong.void_disclosure(&label, "sent to the wrong portal account").unwrap();
        let stats = kwong.roi_stats(d(2025, 3, 1), d(2025, 3, 5), Some("RGH")).unwrap().stats;
        assert_eq!((stats.released(), stats.turnaround.median_days), (0, None));
        let request = kwong.roi_request(&number).unwrap();
        let last = request.history.last().unwrap();
        assert_eq!(last.version, request.version);
        assert_eq!(
            last.detail,
            format!("Voided {label} of 03/03/2025: sent to the wrong portal account; no release of it stands")
        );
    }
}

/// A release follows every step recorded on its request: one dated before the last of them is
/// refused, naming it, and nothing moves.
#[test]
fn a_release_dated_before_the_last_step_recorded_is_refused_naming_it() {
    let f = common::scenario();
    let dhim = desk_on(&f, "dhim", d(2025, 3, 7));
    dhim.set_signature(CODE).unwrap();
    let mut own = form(
        "RGH",
        "204511",
        RequestType::RightOfAccess,
        requester(RequesterKind::Patient, "GARCIA, MARIA L", "2210 Pecan St\nAustin TX 78704"),
    );
    own.received_on = Some(d(2025, 3, 1));
    let number = ready(&dhim, own);
    let refused = dhim.roi_release(&number, None, d(2025, 3, 5), None, &CONFIRMED, CODE).unwrap_err().to_string();
    assert_eq!(
        refused,
        format!(
            "{number} cannot be released on 03/05/2025: its move to Ready to release was recorded for 03/07/2025, and \
             a release comes after it; date the release 03/07/2025 or later"
        )
    );
    assert_eq!(dhim.roi_request(&number).unwrap().status, RequestStatus::ReadyToRelease, "nothing moved");
    let released = dhim.roi_release(&number, None, d(2025, 3, 7), None, &CONFIRMED, CODE).unwrap();
    assert_eq!(released.status, RequestStatus::Released);
}

/// A release with no document on file counts the pages typed (the request's count was an
/// estimate): never 0 — nothing released is not a release.
#[test]
fn a_release_of_paper_records_counts_at_least_a_page() {
    let f = common::scenario();
    let dhim = desk_on(&f, "dhim", d(2025, 3, 3));
    dhim.set_signature(CODE).unwrap();
    let mut own = form(
        "HDH",
        "204511",
        RequestType::RightOfAccess,
        requester(RequesterKind::Patient, "GARCIA, MARIA L", "2210 Pecan St\nAustin TX 78704"),
    );
    own.pages = Some(211);
    let number = ready(&dhim, own);
    assert!(dhim.roi_packet(&number).unwrap().rows.is_empty(), "no HDH document is on file for her");
    let release =
        |pages: i64, pick: &ReleasePick| dhim.roi_release(&number, None, d(2025, 3, 3), Some(pages), pick, CODE);
    let none = release(0, &CONFIRMED).unwrap_err().to_string();
    assert!(none.contains("0 pages: a page count is 1 to 100,000"), "{none}");
    let released = release(10, &ReleasePick::default()).unwrap();
    assert_eq!(released.disclosures[0].pages, 10);
}

#[test]
fn as21_a_subpoena_without_a_court_order_leaves_part2_out_and_a_partial_release_is_confirmed_and_audited() {
    for f in scenarios() {
        mission_valley_chart(&*f.store);
        let dhim = desk_on(&f, "dhim", d(2025, 3, 10));
        let number = subpoena_ready(&dhim);
        let packet = dhim.roi_packet(&number).unwrap();
        let accounts: Vec<&str> = packet.rows.iter().map(|r| r.account.as_str()).collect();
        assert_eq!(accounts, ["A25-900002"; 3], "Mission Valley's packet holds Mission Valley's documents only");
        let packet = dhim.roi_packet(&number).unwrap();
        assert_eq!(packet.blocking, [PART2_ORDER_REQUIRED]);
        for title in ["Detox program admission assessment", "Detox program progress note"] {
            assert!(reason_of(&packet, title).contains("§2.64 court order is required"), "{title}");
        }

        let kwong = desk_on(&f, "kwong", d(2025, 3, 12));
        common::sign(&kwong);
        let refused =
            kwong.roi_release(&number, None, d(2025, 3, 12), None, &ReleasePick::default(), CODE).unwrap_err();
        let said = refused.to_string();
        assert!(said.contains("would go out partial") && said.contains("Detox program admission assessment"), "{said}");
        assert_eq!(kwong.roi_request(&number).unwrap().status, RequestStatus::ReadyToRelease, "nothing moved");

        let released = kwong.roi_release(&number, None, d(2025, 3, 12), None, &CONFIRMED, CODE).unwrap();
        assert_eq!(released.status, RequestStatus::Released);
        let disclosure = &released.disclosures[0];
        assert_eq!((disclosure.legal_basis, disclosure.accountable), (LegalBasis::Judicial, true));
        assert_eq!(
            disclosure.description, "Entire record, in part: HP (6 of 12 pages); 2 documents withheld by rule",
            "the accounting says what went, not the whole record"
        );
        let garcia = released.patient_id;
        let events =
            f.store.list_audit(&AuditFilter { patient_id: Some(garcia), limit: 50, ..Default::default() }).unwrap();
        let release = events.iter().find(|e| e.detail.starts_with("Released 03/12/2025")).unwrap();
        assert_eq!(release.username, "kwong");
        assert!(release.detail.contains("partial release confirmed by kwong, left out: row"), "{}", release.detail);
        assert!(release.detail.contains("Detox program progress note (2 pages): Part 2 record"), "{}", release.detail);
        let items = &dhim.roi_released_packets(&number).unwrap()[0].packet.items;
        let part2: Vec<bool> = packet
            .rows
            .iter()
            .filter(|r| r.document.categories.contains(&SensitiveCategory::SudPart2))
            .map(|r| items.iter().find(|i| i.document_id == r.document.id).unwrap().included)
            .collect();
        assert_eq!(part2, [false, false]);

        // The custodian swears to the copies sent, and says what was held back and why, counted.
        let letters = tempfile::tempdir().unwrap();
        let (_, papers) = kwong.roi_custodian_papers(&number, None, Some(6), letters.path()).unwrap();
        let declaration = std::fs::read_to_string(&papers[0]).unwrap().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            declaration.contains(
                "5. Withheld from these copies: 2 documents (6 pages), not transmitted, for these reasons: 2 \
                 documents (6 pages): Part 2 record: a §2.64 court order is required"
            ),
            "{declaration}"
        );
        assert!(!declaration.contains("Detox"), "the declaration names no withheld document: {declaration}");
    }
}

/// AS-21 once the §2.64 authorizing order is recorded: the Part 2 documents go, with the §2.32
/// notice, and nothing blocks.
#[test]
fn as21_with_a_part2_court_order_on_file_the_part2_documents_go_with_their_notice() {
    for f in scenarios() {
        let dhim = desk_on(&f, "dhim", d(2025, 3, 17));
        common::sign(&dhim);
        mission_valley_chart(&*f.store);
        let number = subpoena_ready(&dhim);
        let order = LegalPaper::Part2Order {
            ordered_on: d(2025, 3, 17),
            court: "Los Angeles Superior Court".into(),
            order_no: "25STCV01234-264".into(),
        };
        dhim.roi_record_legal_paper(&number, None, order).unwrap();
        let packet = dhim.roi_packet(&number).unwrap();
        assert!(packet.blocking.is_empty(), "{:?}", packet.blocking);
        for title in ["Detox program admission assessment", "Detox program progress note"] {
            let row = packet.rows.iter().find(|r| r.document.title == title).unwrap();
            assert!(row.picked, "{title}: {:?}", row.decision);
        }
        assert!(packet.notices().contains(&Notice::Part2Notice), "{:?}", packet.notices());

        // Released with its packet: a California subpoena's custodian declaration and sealed
        // envelope labels are made beside it and recorded as letters (AS-20).
        dhim.save_letter_template(
            LetterKind::Part2Notice,
            "42 CFR part 2 prohibits unauthorized use or disclosure of these records.",
            None,
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let releases = dir.path().join("releases");
        let (released, files) =
            dhim.roi_release_packet(&number, None, d(2025, 3, 17), None, &CONFIRMED, Some(&releases), CODE).unwrap();
        let files = files.expect("a packet was written");
        assert_eq!(files.custodian_problem, None);
        assert_eq!(released.disclosures[0].description, "Entire record", "everything it reaches went");
        assert_eq!(files.custodian_papers.len(), 4, "{:?}", files.custodian_papers);
        assert!(files.custodian_papers.iter().all(|p| p.starts_with(&releases)));
        let kinds: Vec<_> = released.letters.iter().map(|l| l.kind).collect();
        assert!(kinds.contains(&LetterKind::CustodianAffidavit), "{kinds:?}");
        assert!(kinds.contains(&LetterKind::EnvelopeLabels), "{kinds:?}");
        let affidavit = files.custodian_papers.iter().find(|p| p.to_string_lossy().ends_with(".txt")).unwrap();
        let text = std::fs::read_to_string(affidavit).unwrap();
        assert!(text.contains("GARCIA v. LAKESIDE TRANSIT") && text.contains("25STCV01234"), "{text}");
        assert!(text.contains("The records consist of 12 pages."), "{text}");
        assert!(text.contains("No record described in the subpoena that this facility holds was withheld"), "{text}");
    }
}

#[test]
fn as22_a_part2_release_carries_the_notice_and_the_consent_copy_and_is_impossible_without_the_template() {
    for f in scenarios() {
        let dhim = desk_on(&f, "dhim", d(2025, 3, 3));
        common::sign(&dhim);
        let mut consent = form(
            "RGH",
            "204511",
            RequestType::Authorization,
            requester(RequesterKind::Provider, "Lakeside Recovery Clinic", "9 Shore Rd\nAustin TX 78702"),
        );
        consent.authorization = Some(authorization(AuthorizationKind::Part2, "Lakeside Recovery Clinic"));
        consent.scope = Scope {
            entire_record: false,
            document_types: vec!["HP".into(), "CONSULT".into(), "PROGRESS".into()],
            ..Scope::default()
        };
        let number = ready(&dhim, consent);
        let packet = dhim.roi_packet(&number).unwrap();
        assert_eq!(packet.totals(), "12 of 12 pages");
        assert_eq!(packet.notices(), [Notice::Part2Notice, Notice::ConsentCopy]);
        assert_eq!(packet.blocking_now(), [PART2_TEMPLATE_MISSING]);

        let dir = tempfile::tempdir().unwrap();
        let releases = dir.path().join("releases");
        let refused = dhim
            .roi_release_packet(&number, None, d(2025, 3, 3), None, &ReleasePick::default(), Some(&releases), CODE)
            .unwrap_err();
        assert!(refused.to_string().contains("§2.32 notice template is not configured"), "{refused}");
        assert!(!releases.exists(), "nothing was written");

        let notice = "42 CFR part 2 prohibits unauthorized use or disclosure of these records.";
        let saved = dhim.save_letter_template(LetterKind::Part2Notice, notice, None).unwrap();
        assert_eq!(saved.version, 1, "the first saved wording is version 1; nothing empty was stored before it");
        let (released, files) = dhim
            .roi_release_packet(&number, None, d(2025, 3, 3), None, &ReleasePick::default(), Some(&releases), CODE)
            .unwrap();
        assert_eq!(released.disclosures[0].pages, 12);
        let kept = &dhim.roi_released_packets(&number).unwrap()[0].packet;
        assert_eq!(kept.notices_attached, [Notice::Part2Notice, Notice::ConsentCopy]);
        assert_eq!(kept.notice_template_version, Some(1));
        let files = files.unwrap();
        assert_eq!(files.pdf_pages, 12 + 2, "the notice and cover first, the consent copy, then 12 pages");
        let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&files.manifest).unwrap()).unwrap();
        assert_eq!(manifest["notices"], serde_json::json!(["PART2_2_32", "CONSENT_COPY"]));
        assert_eq!(manifest["pdf_sha256"], kept.sha256.clone().unwrap());
        use std::os::unix::fs::PermissionsExt;
        for file in [&files.pdf, &files.manifest] {
            assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600, "{}", file.display());
        }
    }
}

/// HDH's insurer request for SMITH, JONATHAN: 120 pages, 6 of them an HIV result.
fn new_york_chart(store: &dyn chartroom::store::Store) {
    let stay = Stay { mrn: "100999", account: "A25-900001", facility: "HDH", admit: (2025, 2, 3), days: 4 };
    let mut documents =
        vec![("HP", "History and physical".into(), 10, vec![]), ("DS", "Discharge summary".into(), 8, vec![])];
    for day in 1..=8 {
        documents.push(("PROGRESS", format!("Progress note, day {day}"), 12, vec![]));
    }
    documents.push(("LAB", "HIV-1 viral load and genotype".into(), 6, vec![SensitiveCategory::Hiv]));
    stay_with_documents(store, &stay, documents);
}

#[test]
fn as23_new_york_hiv_pages_need_the_specific_release_and_then_carry_the_redisclosure_statement() {
    for f in scenarios() {
        new_york_chart(&*f.store);
        let dhim = desk_on(&f, "dhim", d(2025, 3, 3));
        common::sign(&dhim);
        let mut insurer = form(
            "HDH",
            "100999",
            RequestType::Authorization,
            requester(RequesterKind::Insurer, "Empire Mutual Insurance", "1 Liberty Plaza\nNew York NY 10006"),
        );
        let mut general = authorization(AuthorizationKind::Hipaa, "Empire Mutual Insurance");
        general.patient_name = "SMITH, JONATHAN".into();
        general.signer = "SMITH, JONATHAN".into();
        insurer.authorization = Some(general.clone());
        let number = ready(&dhim, insurer);
        let packet = dhim.roi_packet(&number).unwrap();
        assert_eq!(packet.totals(), "114 of 120 pages");
        assert!(reason_of(&packet, "HIV-1 viral load and genotype").contains("HIV-specific release (PHL §2782)"));
        // The most the 114 pages may cost on paper: 114 × $0.75 (PHL §18).
        let quoted = dhim.roi_quote(&number, None, Some(packet.picked_pages())).unwrap();
        let fee = fee_view(&quoted).unwrap();
        assert_eq!((fee.schedule.as_str(), fee.total_cents), ("NY-18", 8550));

        // With New York's HIV-specific release, all 120 go, with the redisclosure statement.
        let specific = AuthorizationForm { kind: Some(AuthorizationKind::HivSpecific), ..general };
        dhim.roi_add_authorization(&number, None, specific, Some(d(2025, 3, 3)), None).unwrap();
        let packet = dhim.roi_packet(&number).unwrap();
        assert_eq!(packet.totals(), "120 of 120 pages");
        assert_eq!(packet.notices(), [Notice::NyHiv]);
        let dir = tempfile::tempdir().unwrap();
        let (released, files) = dhim
            .roi_release_packet(&number, None, d(2025, 3, 3), None, &ReleasePick::default(), Some(dir.path()), CODE)
            .unwrap();
        assert_eq!(released.disclosures[0].pages, 120);
        let kept = &dhim.roi_released_packets(&number).unwrap()[0].packet;
        assert_eq!(kept.notices_attached, [Notice::NyHiv]);
        assert_eq!(kept.notice_template_version, None, "no Part 2 notice went");
        assert_eq!(files.unwrap().pdf_pages, 120 + 2, "the cover and the statement, then the 120 pages");
        let statement = dhim.letter_template(LetterKind::NyHivStatement, None).unwrap();
        assert!(statement.text.contains("NOT sufficient authorization for further disclosure"));
    }
}

#[test]
fn end_to_end_quote_invoice_pay_and_release_a_packet_with_a_part2_document_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(&chartroom(dir, &["init"]));
    let today = common::cli::department_today();
    let received = today - chrono::Duration::days(2);
    let text = format!(
        r#"facility = "RGH"
patient = "204511"
received_on = {received}
received_via = "fax"
type = "authorization"
purpose = "Continuing treatment"
format = "paper"
delivery = "mail"
postage = "1.50"

[requester]
kind = "provider"
name = "Lakeside Recovery Clinic"
address = "9 Shore Rd\nAustin TX 78702"

[scope]
entire_record = false
document_types = ["HP", "CONSULT", "PROGRESS"]

[authorization]
kind = "hipaa"
signed_on = {signed}
signer = "GARCIA, MARIA L"
relationship = "self"
discloser = "Riverbend General Hospital"
recipient = "Lakeside Recovery Clinic"
information = "History and physical, consults and progress notes"
purpose = "Continuing treatment"
expires_on = {expires}
signature = true
revocation_statement = true
conditioning_statement = true
redisclosure_statement = true
"#,
        signed = received - chrono::Duration::days(3),
        expires = today + chrono::Duration::days(365),
    );
    let file = dir.join("request.toml");
    std::fs::write(&file, text).unwrap();
    let said = ok(&chartroom(dir, &["roi", "log", "--file", file.to_str().unwrap()]));
    let number = said.split_whitespace().next().unwrap().to_string();

    let packet = json(&chartroom(dir, &["roi", "packet", &number, "--json"]));
    assert_eq!(packet["totals"], "6 of 12 pages", "{packet:#}");
    let rows = packet["documents"].as_array().unwrap();
    let left: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r["included"] == false)
        .map(|r| (r["title"].as_str().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|(_, why)| why.starts_with("Part 2 record: needs a Part 2 consent")), "{left:?}");
    let text = ok(&chartroom(dir, &["roi", "packet", &number]));
    assert!(text.contains("LEFT OUT  [P2]") && text.contains("Total: 6 of 12 pages"), "{text}");

    let quote = json(&chartroom(dir, &["roi", "quote", &number, "--pages", "6", "--json"]));
    let total = quote["total_cents"].as_i64().unwrap();
    for step in ["validate", "fulfil", "qc"] {
        ok(&chartroom(dir, &["roi", "step", &number, step]));
    }
    ok(&chartroom(dir, &["roi", "invoice", &number, "--pages", "6"]));
    let amount = format!("{}.{:02}", total / 100, total % 100);
    let paid = ok(&chartroom(dir, &["roi", "pay", &number, "--date", &today.to_string(), "--amount", &amount]));
    assert!(paid.contains("Ready to release"), "{paid}");

    let day = today.to_string();
    // A release is signed: with no terminal to ask on, the code comes on standard input.
    let err = refused(&chartroom(dir, &["roi", "release", &number, "--date", &day]));
    assert!(err.contains("give it on standard input with --signature-stdin"), "{err}");
    set_own_signature(dir, CODE);
    let signed = format!("{CODE}\n");
    let err =
        refused(&chartroom_with_stdin(dir, &["roi", "release", &number, "--date", &day, "--signature-stdin"], &signed));
    assert!(err.contains("would go out partial — 6 of 12 pages"), "{err}");
    let said = ok(&chartroom_with_stdin(
        dir,
        &["roi", "release", &number, "--date", &day, "--confirm-partial", "--signature-stdin"],
        &signed,
    ));
    assert!(said.contains(&format!("{number} released")), "{said}");
    let pdf = dir.join("data/releases").join(&day).join(format!("{number}-packet.pdf"));
    let manifest = dir.join("data/releases").join(&day).join(format!("{number}-packet.json"));
    assert!(said.contains(&pdf.display().to_string()), "{said}");
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(String::from_utf8_lossy(&bytes).contains("/Count 7"), "a cover and the 6 pages");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    assert_eq!((manifest["pages_released"].as_i64(), manifest["pdf_pages"].as_i64()), (Some(6), Some(7)));
    assert_eq!(manifest["pdf_bytes"].as_u64(), Some(bytes.len() as u64));
    let excluded: Vec<&str> = manifest["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["included"] == false)
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(excluded, ["Detox program admission assessment", "Detox program progress note"]);
    assert!(manifest["partial_confirmed_by"].is_string());
    let shown = json(&chartroom(dir, &["roi", "show", &number, "--json"]));
    assert_eq!(shown["status"], "released");
    assert_eq!(shown["disclosures"][0]["pages"], 6);

    // The patient's accounting, printed: a release under her authorization is not in it
    // (164.528(a)(1)(iv)).
    let copy = dir.join("accounting.pdf");
    let printed =
        ok(&chartroom(dir, &["roi", "accounting", "204511", "--date", &day, "--pdf", copy.to_str().unwrap()]));
    assert!(printed.contains("ACCOUNTING OF DISCLOSURES (45 CFR 164.528)"), "{printed}");
    assert!(!printed.contains("Lakeside Recovery Clinic"), "an authorized release is excluded: {printed}");
    assert!(std::fs::read(&copy).unwrap().starts_with(b"%PDF-"));
}
