//! The demo hospital's release-of-information desk: an address book of attorneys, insurers,
//! agencies and providers, and about one request for every five patients (a few hundred in the
//! first-run demo, 200,000 at a million patients) in every status, some overdue, some pended for a
//! deficient authorization, so that the ROI queue is never empty on first run. GARCIA's two
//! requests of the acceptance scenarios (RGH-00041, her own electronic copy; RGH-00042, Baker &
//! Lowe LLP's, paid and ready to release) are logged through the desk's own use cases, at those
//! numbers when the demo has forty RGH requests before them.
//!
//! Bulk requests go through the store's batch method, a transaction and an audit event per batch.

use super::DemoOptions;
use super::rng::DemoRng;
use crate::desk::roi::{IntakeForm, IntakeRequester, OnOpenRequest};
use crate::desk::{Desk, DeskError};
use crate::domain::chart::Facility;
use crate::domain::mrn::Mrn;
use crate::domain::roi::checklist::DEFICIENT_AUTHORIZATION;
use crate::domain::roi::clocks::{ClockFacts, accounting_period, due_date};
use crate::domain::roi::fees::{self, FeeFacts, FeeSchedule};
use crate::domain::roi::status::Step;
use crate::domain::roi::{
    Assurance, AuthorizationForm, AuthorizationKind, Delivery, LegalBasis, LegalProcess, LegalProcessKind,
    NewRequester, ReceivedVia, RecordFormat, RequestStatus, RequestType, RequesterKind, Scope,
};
use crate::store::roi::{DisclosureRecord, NewAuthorization, NewInvoice, NewRoiRequest, RequesterRef};
use chrono::{Duration, NaiveDate};
use std::ops::Range;

/// Requests per transaction.
const BATCH: usize = 5_000;

/// One request for about every this many patients.
const PATIENTS_PER_REQUEST: usize = 5;

/// The address book: kind, name, organization, address, state ("" for anywhere).
const BOOK: &[(RequesterKind, &str, &str, &str, &str)] = &[
    (
        RequesterKind::Attorney,
        "Baker & Lowe LLP",
        "Baker & Lowe LLP",
        "400 Congress Ave, Suite 1200\nAustin TX 78701",
        "TX",
    ),
    (
        RequesterKind::Attorney,
        "Hartwell Dunn & Price",
        "Hartwell Dunn & Price PC",
        "1100 Louisiana St\nHouston TX 77002",
        "TX",
    ),
    (RequesterKind::Attorney, "Whitcomb & Shah", "Whitcomb & Shah LLP", "2200 Ross Ave\nDallas TX 75201", "TX"),
    (
        RequesterKind::Attorney,
        "Ocampo Legal Group",
        "Ocampo Legal Group APC",
        "600 B St, Suite 1500\nSan Diego CA 92101",
        "CA",
    ),
    (RequesterKind::Attorney, "Feldman Ruiz PLLC", "Feldman Ruiz PLLC", "90 State St\nAlbany NY 12207", "NY"),
    (
        RequesterKind::Insurer,
        "Lone Star Mutual Insurance",
        "Lone Star Mutual Insurance Co",
        "PO Box 14920\nAustin TX 78761",
        "TX",
    ),
    (
        RequesterKind::Insurer,
        "Pacific Crest Health Plan",
        "Pacific Crest Health Plan",
        "PO Box 8800\nSacramento CA 95818",
        "CA",
    ),
    (
        RequesterKind::Insurer,
        "Empire Casualty Company",
        "Empire Casualty Company",
        "1 Commerce Plaza\nAlbany NY 12260",
        "NY",
    ),
    (
        RequesterKind::Insurer,
        "Meridian Life Assurance",
        "Meridian Life Assurance",
        "PO Box 3300\nDes Moines IA 50306",
        "",
    ),
    (
        RequesterKind::Insurer,
        "Keystone Workers' Comp Services",
        "Keystone Workers' Comp Services",
        "PO Box 2210\nHarrisburg PA 17105",
        "",
    ),
    (
        RequesterKind::Ssa,
        "Disability Determination Services - Texas",
        "Texas DDS",
        "PO Box 149198\nAustin TX 78714",
        "TX",
    ),
    (
        RequesterKind::Ssa,
        "Disability Determination Services - California",
        "California DDS",
        "PO Box 24651\nOakland CA 94623",
        "CA",
    ),
    (
        RequesterKind::Ssa,
        "Disability Determination Services - New York",
        "New York DDS",
        "PO Box 4000\nAlbany NY 12204",
        "NY",
    ),
    (
        RequesterKind::Va,
        "VA Regional Office - Houston",
        "Department of Veterans Affairs",
        "6900 Almeda Rd\nHouston TX 77030",
        "",
    ),
    (
        RequesterKind::Provider,
        "Riverside Family Practice",
        "Riverside Family Practice",
        "812 Oak St\nAustin TX 78704",
        "TX",
    ),
    (
        RequesterKind::Provider,
        "Hill Country Orthopedics",
        "Hill Country Orthopedics PA",
        "1500 Bluebonnet Ln\nSan Marcos TX 78666",
        "TX",
    ),
    (
        RequesterKind::Provider,
        "Mission Bay Cardiology",
        "Mission Bay Cardiology",
        "3900 Fifth Ave\nSan Diego CA 92103",
        "CA",
    ),
    (RequesterKind::Provider, "Hudson Valley Oncology", "Hudson Valley Oncology", "45 River St\nTroy NY 12180", "NY"),
    (
        RequesterKind::LawEnforcement,
        "Travis County Sheriff's Office",
        "Travis County Sheriff's Office",
        "5555 Airport Blvd\nAustin TX 78751",
        "TX",
    ),
    (
        RequesterKind::LawEnforcement,
        "San Diego Police Department",
        "San Diego Police Department",
        "1401 Broadway\nSan Diego CA 92101",
        "CA",
    ),
    (
        RequesterKind::Court,
        "Travis County District Clerk",
        "Travis County District Court",
        "1000 Guadalupe St\nAustin TX 78701",
        "TX",
    ),
    (
        RequesterKind::Court,
        "San Diego Superior Court",
        "Superior Court of California, County of San Diego",
        "1100 Union St\nSan Diego CA 92101",
        "CA",
    ),
    (
        RequesterKind::Agency,
        "Texas Department of State Health Services",
        "Texas DSHS",
        "1100 W 49th St\nAustin TX 78756",
        "TX",
    ),
    (
        RequesterKind::Agency,
        "California Department of Public Health",
        "CDPH",
        "1615 Capitol Ave\nSacramento CA 95814",
        "CA",
    ),
    (
        RequesterKind::Agency,
        "New York State Department of Health",
        "NYSDOH",
        "Corning Tower, Empire State Plaza\nAlbany NY 12237",
        "NY",
    ),
    (
        RequesterKind::Employer,
        "Riverbend Logistics",
        "Riverbend Logistics Inc",
        "77 Industrial Blvd\nAustin TX 78744",
        "TX",
    ),
    (
        RequesterKind::Researcher,
        "Gulf Coast Health Outcomes Study",
        "Gulf Coast University",
        "300 Research Pkwy\nHouston TX 77054",
        "TX",
    ),
];

/// Given names of the parents and guardians who ask for a patient's records.
const REPRESENTATIVES: &[&str] = &["ROSA", "JAMES", "LINDA", "DAVID", "MARIA", "ROBERT", "ANH", "FATIMA"];

const STREETS: &[&str] = &["Oak", "Main", "Cedar", "River", "Mission", "Hudson", "Pecan", "Elm", "Bluebonnet", "Lake"];

/// An address-book entry as written: its id and where it works.
struct Entry {
    id: i64,
    kind: RequesterKind,
    state: &'static str,
    name: &'static str,
    address: &'static str,
}

/// How many requests the demo makes for `patients` patients.
pub fn request_count(patients: usize) -> usize {
    patients / PATIENTS_PER_REQUEST
}

/// Fills the ROI desk: the address book, the requests in batches (`progress(done, total)` after
/// each), and GARCIA's two. Returns how many requests were made.
pub fn populate(
    desk: &Desk,
    options: &DemoOptions,
    mrn_of: &(dyn Fn(usize) -> Mrn + Sync),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<usize, DeskError> {
    let facilities = desk.list_facilities()?;
    let mut book = Vec::with_capacity(BOOK.len());
    for (kind, name, organization, address, state) in BOOK {
        let entry = desk.add_requester(NewRequester {
            kind: *kind,
            name: (*name).into(),
            organization: (*organization).into(),
            address: (*address).into(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        })?;
        book.push(Entry { id: entry.id, kind: *kind, state, name, address });
    }
    let total = request_count(options.patients);
    let batches = total.div_ceil(BATCH);
    let schedules = desk.fee_schedules()?;
    let plan = Plan { options, schedules: &schedules, facilities: &facilities, book: &book, mrn_of };
    let mut made = 0;
    let mut rgh = 0;
    let mut fixtures_done = false;
    std::thread::scope(|scope| -> Result<(), DeskError> {
        type Made = (Result<Vec<NewRoiRequest>, DeskError>, std::time::Duration);
        let (tx, rx) = std::sync::mpsc::sync_channel::<Made>(1);
        let plan = &plan;
        let reader = desk.clone();
        // The next batch is made (its patients looked up) while the store writes this one.
        scope.spawn(move || {
            for b in 0..batches {
                let range = b * BATCH..((b + 1) * BATCH).min(total);
                let started = std::time::Instant::now();
                let batch = plan.batch(&reader, range);
                if tx.send((batch, started.elapsed())).is_err() {
                    break;
                }
            }
        });
        let (mut making, mut writing) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        for (b, (batch, made_in)) in rx.into_iter().enumerate() {
            making += made_in;
            let started = std::time::Instant::now();
            let mut batch = batch?;
            let (first, last) = (b * BATCH + 1, ((b + 1) * BATCH).min(total));
            // GARCIA's requests follow the fortieth RGH request, so that they are RGH-00041 and 42.
            let mut rest = Vec::new();
            if !fixtures_done {
                let rgh_id = facilities.iter().find(|f| f.code == "RGH").map(|f| f.id);
                let mut seen = rgh;
                if let Some(cut) = batch.iter().position(|r| {
                    seen += usize::from(Some(r.facility_id) == rgh_id);
                    seen == 40
                }) {
                    rest = batch.split_off(cut + 1);
                }
                rgh = seen;
            }
            let detail = format!("demo hospital: requests {first} to {last} of {total}");
            made += desk.insert_roi_batch(batch, detail.clone())?;
            if !fixtures_done && (!rest.is_empty() || rgh >= 40) {
                garcia(desk, options, &facilities)?;
                fixtures_done = true;
            }
            if !rest.is_empty() {
                made += desk.insert_roi_batch(rest, format!("{detail} (after GARCIA's)"))?;
            }
            writing += started.elapsed();
            progress(last, total);
        }
        // How the demo's time splits, for the benchmarks (no patient data in it).
        tracing::info!(
            requests = total,
            making_s = making.as_secs_f64(),
            writing_s = writing.as_secs_f64(),
            "demo: release-of-information requests written"
        );
        Ok(())
    })?;
    if !fixtures_done {
        garcia(desk, options, &facilities)?;
    }
    public_health(desk, options, mrn_of)?;
    Ok(made + 2)
}

/// A few disclosures made without a request — public-health reports, recorded through the desk
/// with their events — so that an accounting of disclosures has content on first run: GARCIA's of
/// AS-24 (Texas DSHS, 06/01/2021), and one for each of the first few patients, a month apart.
fn public_health(desk: &Desk, options: &DemoOptions, mrn_of: &(dyn Fn(usize) -> Mrn + Sync)) -> Result<(), DeskError> {
    let today = options.today;
    let mut reports: Vec<(Mrn, NaiveDate)> = Vec::new();
    if let (Ok(garcia), Some(on)) = (Mrn::parse("204511"), NaiveDate::from_ymd_opt(2021, 6, 1)) {
        reports.push((garcia, on));
    }
    for i in 0..options.patients.min(5) {
        reports.push((mrn_of(i), today - Duration::days(30 * (i as i64 + 1))));
    }
    for (mrn, on) in reports {
        // A patient born after the day (or not in this demo) has no report that day.
        match desk.store().patient_by_mrn(&mrn)? {
            Some(patient) if patient.birth_date <= on && on <= today => {}
            _ => continue,
        }
        desk.record_disclosure(&crate::desk::roi::accounting::DisclosureForm {
            mrn: mrn.to_string(),
            date: Some(on),
            recipient: "Texas Department of State Health Services".into(),
            address: "1100 W 49th St\nAustin TX 78756".into(),
            description: "Laboratory result of a notifiable condition".into(),
            purpose: "Notifiable condition report required by law".into(),
            basis: LegalBasis::PublicHealth.code().into(),
            pages: 1,
        })?;
    }
    Ok(())
}

struct Plan<'a> {
    options: &'a DemoOptions,
    /// The fee schedules, read once: the demo's invoices are made under them.
    schedules: &'a [FeeSchedule],
    facilities: &'a [Facility],
    book: &'a [Entry],
    mrn_of: &'a (dyn Fn(usize) -> Mrn + Sync),
}

impl Plan<'_> {
    fn batch(&self, desk: &Desk, range: Range<usize>) -> Result<Vec<NewRoiRequest>, DeskError> {
        let mut out = Vec::with_capacity(range.len());
        for k in range {
            if let Some(request) = self.request(desk, k)? {
                out.push(request);
            }
        }
        Ok(out)
    }

    /// Request `k`: its own generator, so that any batch can be made alone.
    fn request(&self, desk: &Desk, k: usize) -> Result<Option<NewRoiRequest>, DeskError> {
        let mut rng = DemoRng::new(self.options.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ (k as u64).wrapping_add(77));
        let index = (k * PATIENTS_PER_REQUEST + rng.below(PATIENTS_PER_REQUEST as u64) as usize)
            .min(self.options.patients.saturating_sub(1));
        let Some(patient) = desk.store().patient_by_mrn(&(self.mrn_of)(index))? else { return Ok(None) };
        let today = self.options.today;

        let code = match rng.below(100) {
            0..50 => "RGH",
            50..65 => "RGC",
            65..85 => "MVC",
            _ => "HDH",
        };
        // A request goes to a facility that holds the patient's records: its packet carries that
        // facility's documents only, and a request where she was never seen would release nothing.
        let mut held: Vec<i64> =
            desk.store().release_documents(patient.patient_id)?.iter().map(|d| d.document.facility_id).collect();
        held.sort_unstable();
        held.dedup();
        let drawn = self.facilities.iter().find(|f| f.code == code);
        let facility = match drawn {
            Some(f) if held.is_empty() || held.contains(&f.id) => Some(f),
            _ => held
                .get(rng.below(held.len().max(1) as u64) as usize)
                .and_then(|id| self.facilities.iter().find(|f| f.id == *id))
                .or(drawn),
        };
        let Some(facility) = facility.or(self.facilities.first()) else {
            return Ok(None);
        };
        let request_type = match rng.below(100) {
            0..30 => RequestType::RightOfAccess,
            30..55 => RequestType::Authorization,
            55..65 => RequestType::Disability,
            65..75 => RequestType::ContinuityOfCare,
            75..80 => RequestType::ThirdPartyDirective,
            80..85 => RequestType::Subpoena,
            85..88 => RequestType::CourtOrder,
            88..92 => RequestType::WorkersComp,
            92..95 => RequestType::LawEnforcement,
            95..97 => RequestType::PublicHealth,
            _ => RequestType::Accounting,
        };
        let wanted: &[RequesterKind] = match request_type {
            RequestType::RightOfAccess | RequestType::Accounting => &[],
            RequestType::Authorization => &[RequesterKind::Attorney, RequesterKind::Insurer, RequesterKind::Employer],
            RequestType::ThirdPartyDirective => &[RequesterKind::Attorney, RequesterKind::Provider],
            RequestType::Disability => &[RequesterKind::Ssa, RequesterKind::Va],
            RequestType::ContinuityOfCare => &[RequesterKind::Provider],
            RequestType::Subpoena => &[RequesterKind::Attorney],
            RequestType::CourtOrder => &[RequesterKind::Court],
            RequestType::WorkersComp => &[RequesterKind::Insurer, RequesterKind::Employer],
            RequestType::LawEnforcement => &[RequesterKind::LawEnforcement],
            RequestType::PublicHealth => &[RequesterKind::Agency],
        };
        let entries: Vec<&Entry> = self
            .book
            .iter()
            .filter(|e| wanted.contains(&e.kind) && (e.state.is_empty() || e.state == facility.state))
            .collect();
        // Who it went to, for the disclosure of a request released: name and address.
        let (requester, requester_kind, recipient) = match entries.as_slice() {
            [] => {
                // The patient asks, or (one in six) a parent or guardian for them.
                let kind = if rng.chance(0.15) { RequesterKind::PersonalRep } else { RequesterKind::Patient };
                let name = match kind {
                    RequesterKind::PersonalRep => {
                        format!("{}, {}", patient.family.to_uppercase(), rng.pick(REPRESENTATIVES))
                    }
                    _ => patient.display_name(),
                };
                let address = format!(
                    "{} {} St\n{}",
                    100 + rng.below(9800),
                    rng.pick(STREETS),
                    match facility.state.as_str() {
                        "CA" => "San Diego CA 92103",
                        "NY" => "Albany NY 12208",
                        _ => "Austin TX 78704",
                    }
                );
                let recipient = (name.clone(), address.clone());
                let new = NewRequester {
                    kind,
                    name,
                    organization: String::new(),
                    address,
                    phone: String::new(),
                    fax: String::new(),
                    email: String::new(),
                };
                (RequesterRef::New(new), kind, recipient)
            }
            entries => {
                let entry = rng.pick(entries);
                (RequesterRef::Existing(entry.id), entry.kind, (entry.name.to_string(), entry.address.to_string()))
            }
        };

        // Most requests are recent and open; older ones mostly finished, a few still open and
        // overdue — as on a desk that keeps up, mostly.
        let age = match rng.below(100) {
            0..65 => rng.below(41) as i64,
            65..85 => 41 + rng.below(50) as i64,
            _ => 91 + rng.below(60) as i64,
        };
        let received_on = today - Duration::days(age);
        let finished = match age {
            ..=10 => false,
            11..=30 => rng.chance(0.25),
            _ => rng.chance(0.93),
        };
        let mut status = if finished {
            match rng.below(100) {
                0..45 => RequestStatus::Closed,
                45..88 => RequestStatus::Released,
                88..95 => RequestStatus::Rejected,
                _ => RequestStatus::Cancelled,
            }
        } else {
            match rng.below(100) {
                0..15 => RequestStatus::Logged,
                15..30 => RequestStatus::Validating,
                30..42 => RequestStatus::Pended,
                42..47 => RequestStatus::OnHold,
                47..50 => RequestStatus::Exception,
                50..65 => RequestStatus::ReadyToFulfil,
                65..75 => RequestStatus::InQc,
                75..87 => RequestStatus::AwaitingPayment,
                _ => RequestStatus::ReadyToRelease,
            }
        };
        let (format, delivery, via) = match rng.below(10) {
            0..5 => (RecordFormat::Pdf, Delivery::Portal, ReceivedVia::Portal),
            5..8 => (RecordFormat::Paper, Delivery::Mail, ReceivedVia::Mail),
            8 => (RecordFormat::Cd, Delivery::Pickup, ReceivedVia::InPerson),
            _ => (RecordFormat::Fax, Delivery::Fax, ReceivedVia::Fax),
        };
        let legal_process = matches!(request_type, RequestType::Subpoena | RequestType::CourtOrder).then(|| {
            let served = LegalProcess::served(
                if request_type == RequestType::Subpoena {
                    LegalProcessKind::Subpoena
                } else {
                    LegalProcessKind::CourtOrder
                },
                rng.chance(0.2),
                received_on,
                match facility.state.as_str() {
                    "CA" => "Superior Court of California, County of San Diego",
                    "NY" => "New York Supreme Court, Albany County",
                    _ => "Travis County District Court",
                },
                format!("{}-{:05}", received_on.format("%y"), 1 + rng.below(99_999)),
            );
            // The demo's subpoenas came with the party's assurance, so that its history (many
            // released) is one the desk could have made; a new one logged is pended for it.
            let assurance = (served.kind == LegalProcessKind::Subpoena)
                .then(|| Assurance { received_on, note: "received with the subpoena".into() });
            // The case's title, which the custodian's papers carry; from `k`, not the generator,
            // so that every other draw is as before.
            const PARTIES: [&str; 4] = ["LAKESIDE TRANSIT", "RIVERBEND MUTUAL INSURANCE", "CAPITAL FREIGHT LLC", "DOE"];
            let caption = if served.criminal {
                format!("PEOPLE v. {}", patient.family)
            } else {
                format!("{} v. {}", patient.family, PARTIES[k % PARTIES.len()])
            };
            LegalProcess { assurance, caption, ..served }
        });
        let facts = ClockFacts {
            state: &facility.state,
            facility_kind: facility.kind,
            request_type,
            requester_kind,
            format,
            received_on,
            paid_on: None,
            served_on: legal_process.as_ref().map(|p| p.served_on),
            criminal: legal_process.as_ref().is_some_and(|p| p.criminal),
        };
        let due = due_date(&facts);
        // Ready to release waits for no payment here: one whose clock waits for payment is still
        // awaiting it (its invoice unpaid or part paid, `invoice`).
        if due.due_on.is_none()
            && due.clocks.iter().any(|c| c.waits_for.is_some())
            && matches!(status, RequestStatus::ReadyToRelease)
        {
            status = RequestStatus::AwaitingPayment;
        }
        let pended = status == RequestStatus::Pended;
        let authorization = crate::desk::roi::intake::needs_authorization(request_type).then(|| {
            let form = demo_authorization(&patient.display_name(), received_on, pended);
            let checklist = crate::domain::roi::checklist::run_checklist(
                &form,
                &crate::domain::roi::checklist::ChecklistContext {
                    checked_on: received_on,
                    state: &facility.state,
                    psychotherapy_notes: false,
                    part2: false,
                    hiv: false,
                    research: requester_kind == RequesterKind::Researcher,
                },
            );
            NewAuthorization { form, received_on, checklist }
        });
        let status_reason = match status {
            RequestStatus::Pended if authorization.is_some() => Some(DEFICIENT_AUTHORIZATION.to_string()),
            RequestStatus::Pended => Some("Awaiting the requester's proof of identity".to_string()),
            RequestStatus::OnHold => Some("The requester asked us to wait until the stay ends".to_string()),
            RequestStatus::Exception => Some("Records at the off-site storage vendor".to_string()),
            RequestStatus::Rejected => Some("The patient was not seen at this facility".to_string()),
            RequestStatus::Cancelled => Some("Logged twice in error".to_string()),
            _ => None,
        };
        let assigned_to = match (status.is_open(), status, rng.below(10)) {
            (false, _, _) | (true, RequestStatus::Logged, _) => None,
            (true, _, 0..5) => Some("jdoe".to_string()),
            (true, _, 5..7) => Some("kwong".to_string()),
            _ => None,
        };
        let purpose = match request_type {
            RequestType::RightOfAccess => "Personal use",
            RequestType::Authorization => "Claim evaluation",
            RequestType::ThirdPartyDirective => "At the request of the individual",
            RequestType::Disability => "Disability determination",
            RequestType::ContinuityOfCare => "Continuing care",
            RequestType::Subpoena | RequestType::CourtOrder => "Litigation",
            RequestType::WorkersComp => "Workers' compensation claim",
            RequestType::LawEnforcement => "Investigation",
            RequestType::PublicHealth => "Public health reporting",
            RequestType::Accounting => "Accounting of disclosures",
        };
        let entire = rng.chance(0.6);
        let scope = if entire {
            Scope { entire_record: true, ..Scope::default() }
        } else {
            let from = received_on - Duration::days(365 + rng.below(700) as i64);
            Scope {
                entire_record: false,
                from: Some(from),
                to: Some(received_on),
                document_types: vec!["DS".into(), "HP".into(), "OP".into()][..1 + rng.below(3) as usize].to_vec(),
            }
        };
        let paper = format == RecordFormat::Paper;
        let page_count = 5 + rng.below(300) as i64;
        let pages = Some(page_count);
        let postage_cents = paper.then(|| 150 + rng.below(600) as i64);
        let fee_facts = FeeFacts {
            state: &facility.state,
            facility_kind: facility.kind,
            request_type,
            requester_kind,
            format,
            pages,
            clerical_minutes: None,
            postage_cents,
            microfilm: false,
        };
        let invoice = self.invoice(k, &fee_facts, received_on, status);
        // A payment-gated clock counts from the payment that settled the invoice.
        let settled = invoice.as_ref().and_then(|i| {
            let paid: i64 = i.payments.iter().map(|(_, cents)| cents).sum();
            (paid >= i.quote.total_cents).then(|| i.payments.iter().map(|(on, _)| *on).max()).flatten()
        });
        let due = match settled {
            Some(paid_on) if due.due_on.is_none() => due_date(&ClockFacts { paid_on: Some(paid_on), ..facts }),
            _ => due,
        };
        // A request released or closed left the building: its disclosure is written with it, a few
        // days after it came (from `k`, not the generator, so that every other draw is as before).
        let disclosure = matches!(status, RequestStatus::Released | RequestStatus::Closed).then(|| {
            let on = (received_on + Duration::days(3 + (k % 20) as i64)).min(today);
            let basis = match &legal_process {
                Some(_) => LegalBasis::Judicial,
                None => LegalBasis::for_request(request_type),
            };
            DisclosureRecord {
                disclosed_on: on,
                recipient: recipient.0,
                recipient_address: recipient.1,
                description: crate::desk::roi::scope_description(&scope),
                purpose: purpose.to_string(),
                legal_basis: basis,
                accountable: crate::domain::roi::accounting::accountable(basis, on),
                pages: page_count,
                by: "jdoe".into(),
            }
        });
        Ok(Some(NewRoiRequest {
            facility_id: facility.id,
            patient_id: patient.patient_id,
            requester,
            received_on,
            received_via: via,
            request_type,
            purpose: purpose.into(),
            format,
            delivery,
            pages,
            postage_cents,
            clerical_minutes: None,
            scope,
            authorization,
            legal_process,
            status,
            status_reason,
            assigned_to,
            due,
            logged_by: "jdoe".into(),
            logged_at: received_on
                .and_hms_opt(9 + rng.below(8) as u32, rng.below(60) as u32, 0)
                .unwrap_or_default()
                .and_utc(),
            accounting_period: (request_type == RequestType::Accounting).then(|| accounting_period(received_on)),
            released_on: crate::domain::roi::accounting::first_release(disclosure.iter().map(|d| d.disclosed_on)),
            disclosure,
            invoice,
        }))
    }

    /// The invoice of a request the desk has billed (awaiting payment, or past it), under the
    /// schedule that governs it: paid in full once past awaiting payment; while awaiting, unpaid
    /// or (one in five) half paid. None where no fee applies. Its own generator, so the requests'
    /// other values are what they were before invoices.
    fn invoice(
        &self,
        k: usize,
        facts: &FeeFacts<'_>,
        received_on: NaiveDate,
        status: RequestStatus,
    ) -> Option<NewInvoice> {
        use RequestStatus::*;
        if !matches!(status, AwaitingPayment | ReadyToRelease | Released | Closed) {
            return None;
        }
        let quote = fees::quote(facts, self.schedules, received_on).ok()?;
        if quote.total_cents <= 0 {
            return None;
        }
        let mut rng =
            DemoRng::new(self.options.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (k as u64).wrapping_add(0xFEE));
        let today = self.options.today;
        let issued_on = (received_on + Duration::days(1 + rng.below(3) as i64)).min(today);
        let paid_on = (issued_on + Duration::days(rng.below(6) as i64)).min(today);
        let payments = match status {
            AwaitingPayment if rng.chance(0.2) => vec![(paid_on, quote.total_cents / 2)],
            AwaitingPayment => Vec::new(),
            _ => vec![(paid_on, quote.total_cents)],
        };
        Some(NewInvoice { quote, issued_on, payments })
    }
}

/// An authorization as an attorney's or insurer's form has it: whole, or (for a pended request)
/// missing its expiration and the revocation statement, as AS-17's.
fn demo_authorization(patient: &str, received_on: NaiveDate, deficient: bool) -> AuthorizationForm {
    let signed_on = received_on - Duration::days(10);
    AuthorizationForm {
        kind: Some(AuthorizationKind::Hipaa),
        signed_on: Some(signed_on),
        signer: patient.to_string(),
        relationship: "self".into(),
        discloser: "Any facility of Riverbend Health".into(),
        recipient: "The requester named on the request".into(),
        information: "Records of treatment for the dates requested".into(),
        purpose: "At the request of the individual".into(),
        expires_on: (!deficient).then(|| signed_on + Duration::days(365)),
        signature: true,
        revocation_statement: !deficient,
        conditioning_statement: true,
        redisclosure_statement: true,
        ..AuthorizationForm::default()
    }
}

/// GARCIA's requests, through the desk as a clerk would log and work them: RGH-00041 her own
/// electronic copy by the portal today (AS-14's shape), and RGH-00042 Baker & Lowe LLP's, received
/// two weeks ago on an authorization, paid a week ago and ready to release (AS-16's original).
fn garcia(desk: &Desk, options: &DemoOptions, facilities: &[Facility]) -> Result<(), DeskError> {
    if !facilities.iter().any(|f| f.code == "RGH") {
        return Ok(());
    }
    let today = options.today;
    let requester = |kind, name: &str, address: &str| {
        IntakeRequester::New(NewRequester {
            kind,
            name: name.into(),
            organization: String::new(),
            address: address.into(),
            phone: String::new(),
            fax: String::new(),
            email: String::new(),
        })
    };
    let own = IntakeForm {
        facility: "RGH".into(),
        patient: "204511".into(),
        received_on: Some(today),
        received_via: Some(ReceivedVia::Portal),
        request_type: Some(RequestType::RightOfAccess),
        purpose: "Personal use".into(),
        format: Some(RecordFormat::Pdf),
        delivery: Some(Delivery::Portal),
        requester: requester(RequesterKind::Patient, "GARCIA, MARIA L", "2210 Pecan St\nAustin TX 78704"),
        scope: Scope { entire_record: true, ..Scope::default() },
        ..IntakeForm::default()
    };
    let received = today - Duration::days(14);
    let attorney = IntakeForm {
        facility: "RGH".into(),
        patient: "204511".into(),
        received_on: Some(received),
        received_via: Some(ReceivedVia::Fax),
        request_type: Some(RequestType::Authorization),
        purpose: "Personal injury claim".into(),
        format: Some(RecordFormat::Paper),
        delivery: Some(Delivery::Mail),
        pages: Some(75),
        postage_cents: Some(450),
        requester: requester(
            RequesterKind::Attorney,
            "Baker & Lowe LLP",
            "400 Congress Ave, Suite 1200\nAustin TX 78701",
        ),
        scope: Scope { entire_record: true, ..Scope::default() },
        authorization: Some(demo_authorization("GARCIA, MARIA L", received, false)),
        ..IntakeForm::default()
    };
    for form in [own, attorney] {
        let logged = desk.log_roi_request(form, OnOpenRequest::LogNew, None)?.map_err(|problems| {
            DeskError::Invalid(format!(
                "the demo's GARCIA request was refused: {}",
                problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ))
        })?;
        let crate::desk::roi::Logged::New { request, .. } = logged else { continue };
        if request.request_type == RequestType::RightOfAccess {
            // AS-14: the flat $6.50 quoted before work.
            desk.roi_quote(&request.number.to_string(), None, None)?;
        }
        if request.request_type == RequestType::Authorization {
            let number = request.number.to_string();
            for step in [Step::Validate, Step::Fulfil, Step::Qc] {
                desk.roi_step(&number, None, step, None, None)?;
            }
            // Invoiced under TX HSC 241.154 ($92.00, AS-18) and paid in full a week ago.
            desk.roi_invoice_dated(&number, None, None, Some(today - Duration::days(10)))?;
            desk.roi_pay(&number, None, today - Duration::days(7), 9_200)?;
        }
    }
    Ok(())
}
