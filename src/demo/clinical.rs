//! What happens to the demo's patients: encounters, documents, deficiencies, paper charts, releases.
//! Every patient is generated from its own seed, so any batch can be made on any thread.

use super::DemoOptions;
use super::names::{DrawnName, NameTables};
use super::rng::DemoRng;
use crate::domain::account::{AccountNumber, AccountPrefix};
use crate::domain::chart::{DeficiencyStatus, DocumentStatus, EncounterKind};
use crate::domain::completion::ChartStatus;
use crate::domain::mrn::Mrn;
use crate::domain::names::PersonName;
use crate::domain::patient::{NameKeys, NewPatient, Sensitivity, Sex};
use crate::domain::roi::packet::SensitiveCategory;
use crate::domain::ssn::{Ssn, SsnKey};
use crate::store::RecordBatch;
use crate::store::records::{
    NewChartCompletion, NewDeficiency, NewDisclosure, NewDocument, NewEncounter, NewLocation, NewMovement,
    NewProcedure, NewProvider, NewVolume,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;

/// Days after discharge at which a chart is delinquent (domain.md §2.11 default ladder).
const DELINQUENT_DAYS: i64 = 30;

/// The demo hospital's file area and borrowers, by the codes a clerk types or scans, with each
/// one's default loan days (0: no due-back day).
pub const LOCATIONS: &[(&str, &str, &str, i64)] = &[
    ("FILE_A", "FILE ROOM A", "FILE_ROOM", 0),
    ("HIMC", "HIM COMPLETION", "HIM_COMPLETION", 14),
    ("CODING", "CODING", "CODING", 3),
    ("ROI", "ROI DESK", "ROI", 3),
    ("OFFSITE", "OFFSITE STORAGE", "OFFSITE", 0),
    ("5N", "WARD 5 NORTH", "WARD", 2),
    ("ICU", "INTENSIVE CARE UNIT", "WARD", 2),
    ("CARD", "CARDIOLOGY CLINIC", "CLINIC", 1),
    ("ORTHO", "ORTHOPEDIC CLINIC", "CLINIC", 1),
];

/// MRN, family, given, middle, sex, birth date, SSN, sensitivity.
type FixturePatient =
    (&'static str, &'static str, &'static str, &'static str, Sex, (i32, u32, u32), &'static str, Sensitivity);

/// Operations a demo stay or day surgery may have had (SNOMED CT, as Synthea names them), each
/// with the operative report the chart holds for it.
const OPERATIONS: &[(&str, &str)] = &[
    ("80146002", "Appendectomy"),
    ("45595009", "Laparoscopic Removal of Gall Bladder"),
    ("43075005", "Partial resection of colon"),
    ("392021009", "Lumpectomy of breast (procedure)"),
    ("287664005", "Bilateral tubal ligation"),
    ("274031008", "Rectal polypectomy"),
    ("699253003", "Surgical manipulation of joint of knee"),
];

/// The operation of the stay with `account`, chosen by the account (not the generator, whose
/// sequence the rest of the hospital depends on), at `at`.
fn operation(account: &str, at: DateTime<Utc>) -> NewProcedure {
    let (code, description) = OPERATIONS[rng_index(account, 13) % OPERATIONS.len()];
    NewProcedure { account: account.into(), performed_at: at, code: code.into(), description: description.into() }
}

const SPECIALTIES: &[(&str, &str, bool)] = &[
    ("Internal Medicine", "MEDICINE", false),
    ("Family Medicine", "MEDICINE", false),
    ("Cardiology", "MEDICINE", false),
    ("Pulmonology", "MEDICINE", false),
    ("Neurology", "NEUROLOGY", false),
    ("Psychiatry", "PSYCHIATRY", false),
    ("Pediatrics", "PEDIATRICS", false),
    ("Obstetrics & Gynecology", "OBSTETRICS", true),
    ("General Surgery", "SURGERY", true),
    ("Orthopedic Surgery", "SURGERY", true),
    ("Emergency Medicine", "EMERGENCY", false),
    ("Anesthesiology", "SURGERY", false),
];

const COMPLAINTS: &[&str] = &[
    "chest pain",
    "shortness of breath",
    "abdominal pain",
    "fever and cough",
    "a fall at home",
    "syncope",
    "lower back pain",
    "right lower quadrant pain",
    "worsening leg swelling",
    "confusion",
];

const STREETS: &[&str] = &["Oak", "Main", "Cedar", "River", "Mission", "Hudson", "Pecan", "Elm", "Bluebonnet", "Lake"];

/// Who a demo disclosure went to, where, what went, why, on what basis, and whether it is
/// accountable: an accounting names each (164.528(b)(2)), so none is left blank.
const RECIPIENTS: &[(&str, &str, &str, &str, &str, bool)] = &[
    (
        "Baker & Lowe LLP",
        "400 Congress Ave\nAustin TX 78701",
        "Records of the stay",
        "Legal - personal injury claim",
        "AUTHORIZATION",
        false,
    ),
    (
        "Blue Cross Blue Shield",
        "PO Box 660044\nDallas TX 75266",
        "Records supporting the claim",
        "Payment - claim review",
        "TPO",
        false,
    ),
    (
        "Social Security Administration DDS",
        "PO Box 149198\nAustin TX 78714",
        "Medical evidence of record",
        "Disability determination",
        "AUTHORIZATION",
        false,
    ),
    ("Patient (self)", "On file with the request", "Copy of the record", "Personal use", "INDIVIDUAL", false),
    (
        "County Health Department",
        "15 Waterloo Trail\nAustin TX 78701",
        "Laboratory result of a notifiable condition",
        "Public health report",
        "PUBLIC_HEALTH",
        true,
    ),
    (
        "District Court, Travis County",
        "1000 Guadalupe St\nAustin TX 78701",
        "Records named in the subpoena",
        "Subpoena duces tecum",
        "JUDICIAL",
        true,
    ),
];

struct StaffMember {
    npi: String,
    surgeon: bool,
}

/// Everything fixed about the demo hospital before its patients arrive.
pub struct HospitalPlan {
    options: DemoOptions,
    key: SsnKey,
    names: &'static NameTables,
    staff: Vec<StaffMember>,
    /// Indexes into `staff` of the surgeons, who own operative reports.
    surgeons: Vec<usize>,
    /// Account sequence per (letter, year) — shared by the generating threads. Accounts are handed out
    /// per patient index in order, so the numbering is the same on every run.
    accounts: Mutex<HashMap<(char, i32), u64>>,
}

impl HospitalPlan {
    pub fn new(options: &DemoOptions, key: SsnKey) -> Self {
        let staff_size = (options.patients / 400).max(40);
        let mut rng = DemoRng::new(options.seed);
        let staff: Vec<StaffMember> = (0..staff_size)
            .map(|i| {
                let (_, _, surgical) = SPECIALTIES[i % SPECIALTIES.len()];
                let _ = rng.next_u64();
                StaffMember { npi: npi(i), surgeon: surgical }
            })
            .collect();
        let surgeons = staff.iter().enumerate().filter(|(_, s)| s.surgeon).map(|(i, _)| i).collect();
        Self {
            options: options.clone(),
            key,
            names: NameTables::shared(),
            staff,
            surgeons,
            accounts: Mutex::new(HashMap::new()),
        }
    }

    fn today(&self) -> NaiveDate {
        self.options.today
    }

    /// The notices the demo's past nights already sent for an item discharged on `event_on`: the
    /// level it had reached by yesterday, so the first real night sends only what is owed anew.
    fn notices_sent(&self, event_on: NaiveDate) -> Option<crate::domain::deficiency::NoticeLevel> {
        crate::domain::deficiency::DeficiencyPolicy::default().notice_owed(
            event_on,
            0,
            self.today() - Duration::days(1),
            None,
        )
    }

    fn at(&self, days_ago: i64, hour: u32) -> DateTime<Utc> {
        let date = self.today() - Duration::days(days_ago);
        date.and_hms_opt(hour.min(23), 0, 0).unwrap_or_default().and_utc()
    }

    /// Locations, the medical staff, and the acceptance-scenario patients.
    pub fn foundation_batch(&self) -> RecordBatch {
        let mut batch = RecordBatch::default();
        for (code, name, kind, default_loan_days) in LOCATIONS {
            batch.locations.push(NewLocation {
                code: code.to_string(),
                name: name.to_string(),
                kind: kind.to_string(),
                default_loan_days: *default_loan_days,
            });
        }
        batch.providers.push(provider("1000000001", "Patel", "Alice", "Internal Medicine", "MEDICINE", None));
        batch.providers.push(provider("1000000002", "Okafor", "Ben", "General Surgery", "SURGERY", None));
        batch.providers.push(provider(
            "1000000003",
            "Reyes",
            "Carla",
            "Internal Medicine",
            "MEDICINE",
            Some("1000000001"),
        ));
        let mut rng = DemoRng::new(self.options.seed ^ 0xD0C5);
        for (i, member) in self.staff.iter().enumerate() {
            let (specialty, service, _) = SPECIALTIES[i % SPECIALTIES.len()];
            let family = self.names.surnames.draw(&mut rng).written.clone();
            let given = if rng.chance(0.5) { &self.names.female } else { &self.names.male };
            let given = given.draw(&mut rng).written.clone();
            // One in ten is a resident, supervised by an attending listed before them.
            let supervisor =
                (i >= SPECIALTIES.len() && i % 10 == 9).then(|| self.staff[i - SPECIALTIES.len()].npi.clone());
            batch.providers.push(provider(&member.npi, &family, &given, specialty, service, supervisor.as_deref()));
        }
        self.fixture_patients(&mut batch);
        batch
    }

    fn fixture_patients(&self, batch: &mut RecordBatch) {
        let fixtures: [FixturePatient; 4] = [
            ("100234", "Smith", "John", "A", Sex::Male, (1961, 4, 12), "123454821", Sensitivity::None),
            ("100877", "Smythe", "Jon", "", Sex::Male, (1961, 4, 21), "123454812", Sensitivity::None),
            ("204511", "Garcia", "Maria", "L", Sex::Female, (1988, 9, 30), "234560417", Sensitivity::None),
            ("300120", "Nguyen", "Thanh", "", Sex::Female, (1990, 6, 2), "345671234", Sensitivity::Employee),
        ];
        for (mrn, family, given, middle, sex, (y, m, d), ssn, sensitivity) in fixtures {
            let name = PersonName::new(family, given, middle);
            let ssn = Ssn::parse(ssn);
            batch.patients.push(NewPatient {
                mrn: Mrn::parse(mrn).unwrap_or_else(|_| unreachable!("fixture MRNs are 6 digits")),
                keys: NameKeys::of(&name),
                name,
                sex,
                birth_date: NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default(),
                ssn_last4: ssn.as_ref().map(Ssn::last4),
                ssn_hash: ssn.as_ref().map(|s| self.key.hash(s)),
                deceased_on: None,
                sensitivity,
                address: "1200 River Rd, Austin, TX 78701".into(),
                phone: "(512) 555-0147".into(),
                aliases: Vec::new(),
                source_ids: Vec::new(),
            });
        }
        // GARCIA's stay (AS-04, AS-06): A25-000781, attending PATEL, discharged 23 days ago with the
        // discharge summary undictated, the op note unsigned and a verbal order unauthenticated.
        let discharge_days_ago = 23;
        let admit = self.at(discharge_days_ago + 5, 9);
        let discharge = self.at(discharge_days_ago, 14);
        let account = "A25-000781";
        batch.encounters.push(NewEncounter {
            patient_mrn: "204511".into(),
            account: account.into(),
            kind: EncounterKind::Inpatient,
            facility_code: "RGH".into(),
            service: "MEDICINE".into(),
            admit_at: admit,
            discharge_at: Some(discharge),
            attending_npi: Some("1000000001".into()),
        });
        let doc = |doc_type: &str, title: &str, npi: &str, status: DocumentStatus, text: Option<String>| NewDocument {
            account: account.into(),
            doc_type: doc_type.into(),
            title: title.into(),
            author_npi: Some(npi.into()),
            status,
            created_at: admit + Duration::hours(3),
            signed_at: status.is_complete().then_some(admit + Duration::hours(20)),
            text,
            page_count: pages_of(doc_type),
            sensitive_categories: Vec::new(),
            in_designated_record_set: true,
        };
        batch.documents.push(doc(
            "HP",
            "History and physical",
            "1000000001",
            DocumentStatus::Completed,
            Some(note_text("History and physical", 36, "female", "right lower quadrant pain")),
        ));
        batch.procedures.push(NewProcedure {
            account: account.into(),
            performed_at: admit + Duration::hours(2),
            code: "6025007".into(),
            description: "Laparoscopic appendectomy".into(),
        });
        batch.documents.push(doc("OP_NOTE", "Operative report: laparoscopic appendectomy", "1000000002", DocumentStatus::Unsigned, Some("PROCEDURE: Laparoscopic appendectomy.\nFINDINGS: Inflamed, non-perforated appendix.\nESTIMATED BLOOD LOSS: Minimal.".into())));
        batch.documents.push(doc(
            "VERBAL_ORDER",
            "Verbal order: ondansetron 4 mg IV",
            "1000000003",
            DocumentStatus::Unsigned,
            None,
        ));
        // What the release packet's scenarios need of her chart (AS-14, AS-21, AS-22): the detox
        // program's consult notes (42 CFR Part 2), a psychotherapy note kept apart from the record
        // set, an HIV result and a genetic panel — signed, and older than the notes above, so that
        // the chart lists them after them.
        for (doc_type, title, pages, category, in_drs) in [
            ("CONSULT", "Detox program admission assessment", 4, SensitiveCategory::SudPart2, true),
            ("PROGRESS", "Detox program progress note", 2, SensitiveCategory::SudPart2, true),
            ("PSYCH_NOTE", "Psychotherapy session note", 2, SensitiveCategory::Psychotherapy, false),
            ("LAB", "HIV-1/2 antigen/antibody result", 1, SensitiveCategory::Hiv, true),
            ("LAB", "Hereditary cancer gene panel", 2, SensitiveCategory::Genetic, true),
        ] {
            batch.documents.push(NewDocument {
                created_at: admit + Duration::hours(1),
                signed_at: Some(admit + Duration::hours(8)),
                page_count: pages,
                sensitive_categories: vec![category],
                in_designated_record_set: in_drs,
                ..doc(doc_type, title, "1000000001", DocumentStatus::Completed, None)
            });
        }
        batch.completions.push(NewChartCompletion {
            account: account.into(),
            status: ChartStatus::Incomplete,
            received_on: discharge.date_naive(),
            completed_on: None,
        });
        let event_on = discharge.date_naive();
        for (code, npi, status) in [
            ("DS-D", "1000000001", DeficiencyStatus::Open),
            ("OP-S", "1000000002", DeficiencyStatus::Transcribed),
            ("VO", "1000000003", DeficiencyStatus::Transcribed),
        ] {
            batch.deficiencies.push(NewDeficiency {
                account: account.into(),
                type_code: code.into(),
                provider_npi: npi.into(),
                status,
                event_on,
                delinquent_on: event_on + Duration::days(DELINQUENT_DAYS),
                created_at: discharge + Duration::days(1),
                notice_level: self.notices_sent(event_on),
            });
        }
        // SMITH's clinic visit, so the lookup row has a last visit.
        batch.encounters.push(NewEncounter {
            patient_mrn: "100234".into(),
            account: "O25-000102".into(),
            kind: EncounterKind::Outpatient,
            facility_code: "RGC".into(),
            service: "MEDICINE".into(),
            admit_at: self.at(40, 15),
            discharge_at: Some(self.at(40, 16)),
            attending_npi: Some("1000000001".into()),
        });
        // GARCIA's paper chart: volume 1, in the HIM completion area since discharge.
        batch.volumes.push(NewVolume {
            patient_mrn: "204511".into(),
            volume_no: 1,
            record_type: "MEDICAL_RECORD".into(),
            barcode: "V204511-1".into(),
            home_location: "FILE_A".into(),
            current_location: "HIMC".into(),
            status: "CHARGED_OUT".into(),
            borrower: Some("mlee".into()),
            due_back_on: Some(self.today() + Duration::days(3)),
        });
        for (days_ago, kind, from, to) in [
            (400, "CREATE", None, Some("FILE_A")),
            (discharge_days_ago - 1, "CHARGE_OUT", Some("FILE_A"), Some("HIMC")),
        ] {
            batch.movements.push(NewMovement {
                barcode: "V204511-1".into(),
                movement_type: kind.into(),
                from_location: from.map(str::to_string),
                to_location: to.map(str::to_string),
                by_username: Some("jdoe".into()),
                at: self.at(days_ago, 10),
            });
        }
        batch.disclosures.push(NewDisclosure {
            patient_mrn: "204511".into(),
            disclosed_at: self.at(200, 11),
            recipient: "County Health Department".into(),
            recipient_address: "15 Waterloo Trail\nAustin TX 78701".into(),
            description: "Laboratory result of a notifiable condition".into(),
            purpose: "Public health report".into(),
            legal_basis: "PUBLIC_HEALTH".into(),
            accountable: true,
            pages: 4,
            by_username: "jdoe".into(),
        });
    }

    /// Patients `range` of the population, with everything that happened to them.
    pub fn patient_batch(&self, range: Range<usize>) -> RecordBatch {
        let mut batch = RecordBatch::default();
        for index in range {
            self.add_patient(index, &mut batch);
        }
        batch
    }

    fn add_patient(&self, index: usize, batch: &mut RecordBatch) {
        let mut rng = DemoRng::new(self.options.seed.wrapping_mul(0x1000_0001).wrapping_add(index as u64));
        let sex = if rng.chance(0.51) { Sex::Female } else { Sex::Male };
        let given_table = if sex == Sex::Female { &self.names.female } else { &self.names.male };
        let family = self.names.surnames.draw(&mut rng);
        let given = given_table.draw(&mut rng);
        let middle = if rng.chance(0.6) { initial(given_table.draw(&mut rng)) } else { String::new() };
        let age_days = rng.below(95 * 365) as i64;
        let birth_date = self.today() - Duration::days(age_days + 1);
        let mrn = mrn_for(index);
        let ssn_digits = format!("{:03}{:02}{:04}", 1 + rng.below(898), 1 + rng.below(98), rng.below(10_000));
        let ssn = Ssn::parse(&ssn_digits);
        let state = *rng.pick(&["TX", "TX", "TX", "CA", "NY"]);
        let sensitivity = match rng.below(1000) {
            0..=2 => Sensitivity::Restricted,
            3..=4 => Sensitivity::Employee,
            5 => Sensitivity::Vip,
            _ => Sensitivity::None,
        };
        let name = PersonName::new(&family.written, &given.written, &middle);
        let keys = keys_of(family, given);
        let mut patient = NewPatient {
            mrn: mrn.clone(),
            name,
            keys,
            sex,
            birth_date,
            ssn_last4: ssn.as_ref().map(Ssn::last4),
            ssn_hash: ssn.as_ref().map(|s| self.key.hash(s)),
            deceased_on: None,
            sensitivity,
            address: format!(
                "{} {} {}, {}",
                1 + rng.below(9999),
                rng.pick(STREETS),
                rng.pick(&["St", "Ave", "Rd", "Dr"]),
                state
            ),
            phone: format!("(555) 01{}-{:04}", rng.below(10), rng.below(10_000)),
            aliases: Vec::new(),
            source_ids: Vec::new(),
        };
        let visits = 1 + rng.below(5) as usize;
        let mut latest = None;
        let mut had_stay = false;
        for _ in 0..visits {
            let end = self.add_encounter(&mut rng, &patient, age_days, batch);
            had_stay |= end.1;
            latest = latest.max(Some(end.0));
        }
        if rng.chance(0.01) {
            let after = latest.map_or(self.today() - Duration::days(30), |l: DateTime<Utc>| l.date_naive());
            patient.deceased_on = Some((after + Duration::days(1)).min(self.today()));
        }
        if had_stay {
            self.add_paper_chart(&mut rng, mrn.as_str(), batch);
        }
        if rng.chance(0.02) {
            let (recipient, address, description, purpose, basis, accountable) = *rng.pick(RECIPIENTS);
            batch.disclosures.push(NewDisclosure {
                patient_mrn: mrn.to_string(),
                disclosed_at: self.at(rng.below(700) as i64, 11),
                recipient: recipient.into(),
                recipient_address: address.into(),
                description: description.into(),
                purpose: purpose.into(),
                legal_basis: basis.into(),
                accountable,
                pages: 3 + rng.below(120) as i64,
                by_username: "jdoe".into(),
            });
        }
        let twin = rng.chance(0.005).then(|| self.near_duplicate(&mut rng, &patient, index, family, given));
        batch.patients.push(patient);
        if let Some(twin) = twin {
            let account = self.next_account('O', self.today().year() % 100);
            batch.encounters.push(NewEncounter {
                patient_mrn: twin.mrn.to_string(),
                account,
                kind: EncounterKind::Outpatient,
                facility_code: "RGC".into(),
                service: "MEDICINE".into(),
                admit_at: self.at(rng.below(300) as i64, 10),
                discharge_at: None,
                attending_npi: Some(self.staff[rng.below(self.staff.len() as u64) as usize].npi.clone()),
            });
            batch.patients.push(twin);
        }
    }

    /// A second registration of the same person with one keying slip — the duplicates an MPI team
    /// hunts (domain.md P6).
    fn near_duplicate(
        &self,
        rng: &mut DemoRng,
        original: &NewPatient,
        index: usize,
        family: &DrawnName,
        given: &DrawnName,
    ) -> NewPatient {
        let mut twin = original.clone();
        twin.mrn = mrn_for(self.options.patients + index);
        twin.source_ids.clear();
        match rng.below(3) {
            0 => {
                let swapped = crate::domain::dates::one_swap_variants(original.birth_date);
                if let Some(date) = swapped.first() {
                    twin.birth_date = *date;
                }
            }
            1 => {
                if let Some(l4) = &original.ssn_last4 {
                    let b = l4.as_bytes();
                    twin.ssn_last4 = Some(String::from_utf8_lossy(&[b[0], b[1], b[3], b[2]]).to_string());
                    twin.ssn_hash = None;
                }
            }
            _ => {
                let variant = spelling_variant(&original.name.family);
                twin.name = PersonName::new(&variant, &original.name.given, &original.name.middle);
                twin.keys = NameKeys::of(&twin.name);
                return twin;
            }
        }
        twin.keys = keys_of(family, given);
        twin
    }

    /// One encounter; returns when it ended and whether it was an inpatient stay.
    fn add_encounter(
        &self,
        rng: &mut DemoRng,
        patient: &NewPatient,
        age_days: i64,
        batch: &mut RecordBatch,
    ) -> (DateTime<Utc>, bool) {
        let roll = rng.below(100);
        let kind = match roll {
            0..=19 => EncounterKind::Inpatient,
            20..=37 => EncounterKind::Emergency,
            38..=42 => EncounterKind::DaySurgery,
            43..=45 => EncounterKind::Observation,
            _ => EncounterKind::Outpatient,
        };
        let facility = if kind == EncounterKind::Outpatient && rng.chance(0.5) {
            "RGC"
        } else {
            *rng.pick(&["RGH", "RGH", "RGH", "MVC", "HDH"])
        };
        let days_ago = (rng.below(730) as i64).min(age_days);
        let admit = self.at(days_ago, rng.below(24) as u32);
        let discharge = match kind {
            EncounterKind::Inpatient => {
                admit + Duration::days(1 + rng.below(8) as i64) + Duration::hours(rng.below(8) as i64)
            }
            EncounterKind::Observation => admit + Duration::hours(20 + rng.below(20) as i64),
            EncounterKind::DaySurgery => admit + Duration::hours(8),
            EncounterKind::Emergency => admit + Duration::hours(3 + rng.below(6) as i64),
            EncounterKind::Outpatient => admit + Duration::hours(1),
        };
        // Stays that would end after the start of today are still in house: the same hospital on
        // every run of the same day.
        let discharge = (discharge <= self.at(0, 0)).then_some(discharge);
        let yy = admit.year() % 100;
        let account = self.next_account(kind.account_letter(), yy);
        let member = rng.below(self.staff.len() as u64) as usize;
        let attending = &self.staff[member].npi;
        let (_, service, _) = SPECIALTIES[member % SPECIALTIES.len()];
        batch.encounters.push(NewEncounter {
            patient_mrn: patient.mrn.to_string(),
            account: account.clone(),
            kind,
            facility_code: facility.into(),
            service: service.into(),
            admit_at: admit,
            discharge_at: discharge,
            attending_npi: Some(attending.clone()),
        });
        let recent = days_ago <= 60;
        let age_years = age_days / 365;
        let sex_word = if patient.sex == Sex::Female { "female" } else { "male" };
        let complaint = *rng.pick(COMPLAINTS);
        let text = |title: &str| recent.then(|| note_text(title, age_years, sex_word, complaint));
        let simple_doc =
            |doc_type: &str, title: &str, npi: &str, at: DateTime<Utc>, text: Option<String>| NewDocument {
                account: account.clone(),
                doc_type: doc_type.into(),
                title: title.into(),
                author_npi: Some(npi.into()),
                status: DocumentStatus::Completed,
                created_at: at,
                signed_at: Some(at + Duration::hours(6)),
                text,
                page_count: pages_of(doc_type),
                // A psychiatry visit's notes are behavioural health (domain.md §2.6).
                sensitive_categories: if service == "PSYCHIATRY" {
                    vec![SensitiveCategory::Behavioral]
                } else {
                    Vec::new()
                },
                in_designated_record_set: true,
            };
        match kind {
            EncounterKind::Inpatient => {
                batch.documents.push(simple_doc(
                    "HP",
                    "History and physical",
                    attending,
                    admit + Duration::hours(2),
                    text("History and physical"),
                ));
                if let Some(discharge) = discharge {
                    self.add_stay_deficiencies(
                        rng,
                        &account,
                        attending,
                        admit,
                        discharge,
                        text("Discharge summary"),
                        batch,
                    );
                }
            }
            EncounterKind::Emergency => {
                batch.documents.push(simple_doc(
                    "ED_NOTE",
                    "Emergency department note",
                    attending,
                    admit + Duration::hours(1),
                    text("Emergency department note"),
                ));
            }
            EncounterKind::DaySurgery => {
                batch.procedures.push(operation(&account, admit + Duration::hours(2)));
                batch.documents.push(simple_doc(
                    "OP_NOTE",
                    "Operative report",
                    attending,
                    admit + Duration::hours(4),
                    text("Operative report"),
                ));
            }
            EncounterKind::Observation | EncounterKind::Outpatient => {
                if rng.chance(0.33) {
                    batch.documents.push(simple_doc("PROGRESS", "Clinic note", attending, admit, text("Clinic note")));
                }
            }
        }
        (discharge.unwrap_or(admit), kind == EncounterKind::Inpatient)
    }

    /// The documents of a finished stay, and a deficiency for each still missing or unsigned — fewer
    /// the older the discharge, as physicians catch up.
    #[allow(clippy::too_many_arguments)]
    fn add_stay_deficiencies(
        &self,
        rng: &mut DemoRng,
        account: &str,
        attending: &str,
        admit: DateTime<Utc>,
        discharge: DateTime<Utc>,
        summary_text: Option<String>,
        batch: &mut RecordBatch,
    ) {
        let age = (self.today() - discharge.date_naive()).num_days();
        let still_open = |rng: &mut DemoRng| {
            let p = match age {
                ..14 => 0.97,
                14..30 => 0.85,
                30..60 => 0.08,
                60..120 => 0.02,
                _ => 0.0,
            };
            rng.chance(p)
        };
        let surgeon = || {
            let pick = rng_index(account, 7) % self.surgeons.len().max(1);
            self.surgeons.get(pick).map(|&i| self.staff[i].npi.clone())
        };
        // (deficiency type, document type, title, how likely the stay has such a document, author)
        let potential: [(&str, &str, &str, f64, Option<String>); 6] = [
            ("DS-D", "DS", "Discharge summary", 1.0, Some(attending.to_string())),
            (
                "VO",
                "VERBAL_ORDER",
                "Verbal order",
                1.0,
                Some(self.staff[rng_index(account, 3) % self.staff.len()].npi.clone()),
            ),
            ("PN", "PROGRESS", "Progress note", 0.8, Some(attending.to_string())),
            ("OP-S", "OP_NOTE", "Operative report", 0.3, surgeon()),
            (
                "CON",
                "CONSULT",
                "Consultation report",
                0.5,
                Some(self.staff[rng_index(account, 5) % self.staff.len()].npi.clone()),
            ),
            ("SIG", "NURSING", "Nursing admission assessment", 0.6, Some(attending.to_string())),
        ];
        let mut open = 0;
        for (type_code, doc_type, title, likely, author) in potential {
            let Some(author) = author else { continue };
            if !rng.chance(likely) {
                continue;
            }
            let deficient = still_open(rng);
            let (status, def_status) = match (deficient, type_code) {
                (false, _) => (DocumentStatus::Completed, None),
                (true, "DS-D") if rng.chance(0.6) => (DocumentStatus::Undictated, Some(DeficiencyStatus::Open)),
                (true, _) => (DocumentStatus::Unsigned, Some(DeficiencyStatus::Transcribed)),
            };
            let created = if doc_type == "DS" { discharge + Duration::hours(20) } else { admit + Duration::hours(12) };
            if doc_type == "OP_NOTE" {
                batch.procedures.push(operation(account, admit + Duration::hours(10)));
            }
            if status != DocumentStatus::Undictated {
                batch.documents.push(NewDocument {
                    account: account.into(),
                    doc_type: doc_type.into(),
                    title: title.into(),
                    author_npi: Some(author.clone()),
                    status,
                    created_at: created,
                    signed_at: status.is_complete().then_some(created + Duration::hours(30)),
                    text: if doc_type == "DS" { summary_text.clone() } else { None },
                    page_count: pages_of(doc_type),
                    sensitive_categories: Vec::new(),
                    in_designated_record_set: true,
                });
            }
            if let Some(def_status) = def_status {
                open += 1;
                let event_on = discharge.date_naive();
                batch.deficiencies.push(NewDeficiency {
                    account: account.into(),
                    type_code: type_code.into(),
                    provider_npi: author,
                    status: def_status,
                    event_on,
                    delinquent_on: event_on + Duration::days(DELINQUENT_DAYS),
                    created_at: discharge + Duration::days(1),
                    notice_level: self.notices_sent(event_on),
                });
            }
        }
        if age <= 120 {
            // Deficiency rows need their chart-completion record first: put it before them.
            let completion = NewChartCompletion {
                account: account.into(),
                status: if open > 0 { ChartStatus::Incomplete } else { ChartStatus::Complete },
                received_on: discharge.date_naive(),
                completed_on: (open == 0).then(|| (discharge.date_naive() + Duration::days(10)).min(self.today())),
            };
            batch.completions.push(completion);
        }
    }

    /// A paper chart for a patient who has had a stay: volume 1, a second for half of them, each
    /// with its creation and a history of past loans; a few charged out now (some overdue) and a
    /// few missing.
    fn add_paper_chart(&self, rng: &mut DemoRng, mrn: &str, batch: &mut RecordBatch) {
        // The draws the patient stream made before the chart had a history, in the same order, so
        // that every patient after this one is drawn as before; the rest comes from the chart's own.
        let charged = rng.chance(0.03);
        let charge = charged.then(|| {
            let (loc, who) = *rng.pick(&[("HIMC", "mlee"), ("CODING", "cody"), ("ROI", "jdoe")]);
            let due = self.today() + Duration::days(rng.below(10) as i64 - 4);
            (loc, who, due, 1 + rng.below(6) as i64)
        });
        let number: u64 = mrn.parse().unwrap_or_default();
        let mut own = DemoRng::new(self.options.seed ^ number.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let missing = !charged && own.chance(0.004);
        let volumes = if own.chance(0.5) { 2 } else { 1 };
        let borrowers = ["HIMC", "CODING", "ROI", "5N", "ICU", "CARD", "ORTHO"];
        for volume_no in 1..=volumes {
            let barcode = format!("V{mrn}-{volume_no}");
            let created = 200 + own.below(1500) as i64;
            let mut movement = |days_ago: i64, kind: &str, from: Option<&str>, to: Option<&str>, who: &str| {
                batch.movements.push(NewMovement {
                    barcode: barcode.clone(),
                    movement_type: kind.into(),
                    from_location: from.map(str::to_string),
                    to_location: to.map(str::to_string),
                    by_username: Some(who.into()),
                    at: self.at(days_ago, 9),
                });
            };
            movement(created, "CREATE", None, Some("FILE_A"), "jdoe");
            // Past loans, oldest first, each out and back within the chart's life.
            let loans = own.below(5) as i64;
            for loan in 0..loans {
                let out = created - (loan + 1) * created / (loans + 2);
                let to = *own.pick(&borrowers);
                movement(out, "CHARGE_OUT", Some("FILE_A"), Some(to), "jdoe");
                movement(out - 1 - own.below(3) as i64, "CHECK_IN", Some(to), Some("FILE_A"), "jdoe");
            }
            let (current, status, borrower, due) = match (volume_no, charge, missing) {
                (1, Some((loc, who, due, days_ago)), _) => {
                    movement(days_ago, "CHARGE_OUT", Some("FILE_A"), Some(loc), "jdoe");
                    (loc, "CHARGED_OUT", Some(who.to_string()), Some(due))
                }
                (1, None, true) => {
                    movement(own.below(20) as i64, "MISSING", Some("FILE_A"), Some("FILE_A"), "jdoe");
                    ("FILE_A", "MISSING", None, None)
                }
                _ => ("FILE_A", "IN_FILE", None, None),
            };
            batch.volumes.push(NewVolume {
                patient_mrn: mrn.into(),
                volume_no,
                record_type: "MEDICAL_RECORD".into(),
                barcode: barcode.clone(),
                home_location: "FILE_A".into(),
                current_location: current.into(),
                status: status.into(),
                borrower,
                due_back_on: due,
            });
        }
    }

    /// `A25-000781`: the kind's letter, two digits of year, the sequence (`domain::account`).
    fn next_account(&self, letter: char, yy: i32) -> String {
        let mut accounts = match self.accounts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let next = accounts.entry((letter, yy)).or_insert(0);
        *next += 1;
        // The acceptance-scenario account is reserved for GARCIA.
        if letter == 'A' && yy == 25 && *next == 781 {
            *next += 1;
        }
        if letter == 'O' && yy == 25 && *next == 102 {
            *next += 1;
        }
        AccountNumber::new(AccountPrefix::new(letter, yy), *next)
            .map(|a| a.to_string())
            .unwrap_or_else(|| unreachable!("a demo makes fewer than a billion visits of a kind in a year"))
    }

    /// The last sequence number used of each account prefix, for the store to keep: an import into
    /// the demo store numbers on from them.
    pub fn account_sequences(&self) -> Vec<(String, u64)> {
        let accounts = match self.accounts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut sequences: Vec<(String, u64)> =
            accounts.iter().map(|(&(letter, yy), &last)| (AccountPrefix::new(letter, yy).to_string(), last)).collect();
        // The reserved acceptance-scenario accounts may lie beyond a small demo's counters.
        for (prefix, reserved) in [("A25-", 781), ("O25-", 102)] {
            match sequences.iter_mut().find(|(p, _)| p == prefix) {
                Some((_, last)) => *last = (*last).max(reserved),
                None => sequences.push((prefix.to_string(), reserved)),
            }
        }
        sequences.sort();
        sequences
    }
}

/// The pages a demo document of this type prints to: about what such a note runs to.
fn pages_of(doc_type: &str) -> i64 {
    match doc_type {
        "HP" => 6,
        "DS" => 4,
        "OP_NOTE" | "CONSULT" | "ED_NOTE" => 3,
        "PROGRESS" | "LAB" => 2,
        _ => 1,
    }
}

fn provider(
    npi: &str,
    family: &str,
    given: &str,
    specialty: &str,
    service: &str,
    supervisor: Option<&str>,
) -> NewProvider {
    NewProvider {
        npi: npi.into(),
        family: family.into(),
        given: given.into(),
        credentials: "MD".into(),
        specialty: specialty.into(),
        service: service.into(),
        supervisor_npi: supervisor.map(str::to_string),
    }
}

/// Fake but well-formed 10-digit NPIs, after the fixtures' 1000000001–3.
fn npi(index: usize) -> String {
    format!("1{:09}", 100 + index)
}

/// A bijection from patient index to MRNs that does not look sequential: the first nine million
/// onto the 7-digit numbers (1,000,000–9,999,999), the rest onto 8-digit ones.
pub(super) fn mrn_for(index: usize) -> Mrn {
    const SEVEN_DIGIT: u64 = 9_000_000;
    let index = index as u64;
    let scrambled = if index < SEVEN_DIGIT {
        (index * 7_919 + 12_345) % SEVEN_DIGIT + 1_000_000
    } else {
        ((index - SEVEN_DIGIT) * 7_919 + 12_345) % 90_000_000 + 10_000_000
    };
    Mrn::parse(&scrambled.to_string()).unwrap_or_else(|_| unreachable!("7- and 8-digit numbers are MRNs"))
}

fn keys_of(family: &DrawnName, given: &DrawnName) -> NameKeys {
    NameKeys {
        family_key: family.key.clone(),
        given_key: given.key.clone(),
        family_phonetic: family.phonetic.clone(),
        given_phonetic: given.phonetic.clone(),
    }
}

fn initial(name: &DrawnName) -> String {
    name.written.chars().next().map(|c| c.to_string()).unwrap_or_default()
}

/// A stable small number from an account, for picking staff without consuming the patient's stream.
fn rng_index(account: &str, salt: u64) -> usize {
    let mut h: u64 = salt;
    for b in account.bytes() {
        h = h.wrapping_mul(31).wrapping_add(u64::from(b));
    }
    (h % 1_000) as usize
}

/// A plausible misspelling: one interior vowel changed (`Miller` → `Millar`), or the known variants.
fn spelling_variant(family: &str) -> String {
    match family {
        "Smith" => return "Smythe".into(),
        "Johnson" => return "Jonson".into(),
        "Thompson" => return "Thomson".into(),
        "Peterson" => return "Petersen".into(),
        _ => {}
    }
    let chars: Vec<char> = family.chars().collect();
    for i in (1..chars.len().saturating_sub(1)).rev() {
        let replacement = match chars[i] {
            'e' => 'a',
            'a' => 'e',
            'o' => 'a',
            'i' => 'y',
            'y' => 'i',
            _ => continue,
        };
        let mut out = chars.clone();
        out[i] = replacement;
        return out.into_iter().collect();
    }
    format!("{family}e")
}

fn note_text(title: &str, age: i64, sex: &str, complaint: &str) -> String {
    format!(
        "{title}\n\nCHIEF COMPLAINT: {complaint}.\n\nHISTORY OF PRESENT ILLNESS: {age}-year-old {sex} presenting with \
         {complaint} for two days. No recent travel. Tolerating oral intake.\n\nASSESSMENT AND PLAN: Admit for \
         observation and serial examinations; labs and imaging as ordered; follow up with primary care in one week."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrns_are_unique_and_seven_digits() {
        let mut seen = std::collections::HashSet::new();
        for i in 0..100_000 {
            let mrn = mrn_for(i);
            assert_eq!(mrn.as_str().len(), 7);
            assert!(seen.insert(mrn));
        }
    }

    #[test]
    fn past_nine_million_patients_mrns_grow_a_digit_and_stay_unique() {
        let mut seen = std::collections::HashSet::new();
        for i in 8_950_000..9_050_000 {
            let mrn = mrn_for(i);
            assert_eq!(mrn.as_str().len(), if i < 9_000_000 { 7 } else { 8 }, "{i}");
            assert!(seen.insert(mrn), "{i}");
        }
    }

    #[test]
    fn accounts_go_past_999999_visits_of_a_kind_in_a_year() {
        let options = DemoOptions { patients: 10, seed: 1, today: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap() };
        let plan = HospitalPlan::new(&options, SsnKey::from_bytes([7; 32]));
        let accounts: Vec<String> = (0..1_000_001).map(|_| plan.next_account('E', 24)).collect();
        assert_eq!(accounts[999_998], "E24-999999");
        assert_eq!(accounts[999_999], "E24-1000000", "not E24-000000 again");
        assert_eq!(accounts[1_000_000], "E24-1000001");
        assert!(plan.account_sequences().contains(&("E24-".to_string(), 1_000_001)));
    }

    #[test]
    fn spelling_variants_differ() {
        assert_eq!(spelling_variant("Smith"), "Smythe");
        assert_eq!(spelling_variant("Miller"), "Millar");
        assert_ne!(spelling_variant("Brown"), "Brown");
    }
}
