//! The SQLite schema, as numbered migrations keyed by `PRAGMA user_version`.
//!
//! Append a migration; never edit one that has shipped. Opening an older file writes a backup
//! beside it and upgrades it in place; a file from a newer chartroom is refused.

pub const MIGRATIONS: &[&str] = &[
    MIGRATION_1,
    MIGRATION_2,
    MIGRATION_3,
    MIGRATION_4,
    MIGRATION_5,
    MIGRATION_6,
    MIGRATION_7,
    MIGRATION_8,
    MIGRATION_9,
    MIGRATION_10,
    MIGRATION_11,
    MIGRATION_12,
    MIGRATION_13,
    MIGRATION_14,
    MIGRATION_15,
    MIGRATION_16,
    MIGRATION_17,
    MIGRATION_18,
    MIGRATION_19,
    MIGRATION_20,
    MIGRATION_21,
    MIGRATION_22,
];

/// Secondary indexes that a bulk load into an empty store drops first and builds at the end: one
/// sort per index beats a million random B-tree inserts each. Every one is in the migrations too;
/// [`ensure_indexes`] rebuilds any that an interrupted load left missing.
pub const BULK_INDEXES: &[(&str, &str)] = &[
    ("patient_name", "CREATE INDEX IF NOT EXISTS patient_name ON patient (family_key, given_key)"),
    (
        "patient_phonetic",
        "CREATE INDEX IF NOT EXISTS patient_phonetic ON patient (family_phon, given_phon, family_key, given_key)",
    ),
    (
        "patient_dob_name",
        "CREATE INDEX IF NOT EXISTS patient_dob_name ON patient (birth_date, family_key, given_key, family_phon, given_phon)",
    ),
    ("patient_last4", "CREATE INDEX IF NOT EXISTS patient_last4 ON patient (ssn_last4, family_key)"),
    (
        "patient_ssn_hash",
        "CREATE INDEX IF NOT EXISTS patient_ssn_hash ON patient (ssn_hash) WHERE ssn_hash IS NOT NULL",
    ),
    ("encounter_patient", "CREATE INDEX IF NOT EXISTS encounter_patient ON encounter (patient_id, admit_at)"),
    ("encounter_discharge", "CREATE INDEX IF NOT EXISTS encounter_discharge ON encounter (kind, discharge_at)"),
    ("document_patient", "CREATE INDEX IF NOT EXISTS document_patient ON document (patient_id, created_at)"),
    ("document_encounter", "CREATE INDEX IF NOT EXISTS document_encounter ON document (encounter_id)"),
    ("chart_volume_patient", "CREATE INDEX IF NOT EXISTS chart_volume_patient ON chart_volume (patient_id)"),
    ("disclosure_patient", "CREATE INDEX IF NOT EXISTS disclosure_patient ON disclosure (patient_id, disclosed_at)"),
    (
        "encounter_source_id_value",
        "CREATE UNIQUE INDEX IF NOT EXISTS encounter_source_id_value ON encounter_source_id (system, value)",
    ), // The ROI queue's (migration 14): a demo's requests are written before them and sorted once.
    (
        "roi_request_open_due",
        "CREATE INDEX IF NOT EXISTS roi_request_open_due ON roi_request (ifnull(due_on, '9999-12-31'), id, request_type, facility_id, requester_id, assigned_to, due_on, received_on) WHERE stage < 9",
    ),
    (
        "roi_request_stage",
        "CREATE INDEX IF NOT EXISTS roi_request_stage ON roi_request (stage, ifnull(due_on, '9999-12-31'), id, request_type, facility_id, requester_id, assigned_to, due_on, received_on)",
    ),
    (
        "roi_request_open_received",
        "CREATE INDEX IF NOT EXISTS roi_request_open_received ON roi_request (received_on, id, request_type, facility_id, requester_id, assigned_to, due_on) WHERE stage < 9",
    ),
    (
        "roi_request_stage_received",
        "CREATE INDEX IF NOT EXISTS roi_request_stage_received ON roi_request (stage, received_on, id)",
    ),
    (
        "roi_request_stage_patient",
        "CREATE INDEX IF NOT EXISTS roi_request_stage_patient ON roi_request (stage, patient_key, id)",
    ),
    (
        "roi_request_stage_requester",
        "CREATE INDEX IF NOT EXISTS roi_request_stage_requester ON roi_request (stage, requester_key, id)",
    ),
    (
        "roi_request_open_number",
        "CREATE INDEX IF NOT EXISTS roi_request_open_number ON roi_request (facility_id, seq) WHERE stage < 9",
    ),
    (
        "roi_request_open_patient",
        "CREATE INDEX IF NOT EXISTS roi_request_open_patient ON roi_request (patient_key, id) WHERE stage < 9",
    ),
    (
        "roi_request_open_requester",
        "CREATE INDEX IF NOT EXISTS roi_request_open_requester ON roi_request (requester_key, id) WHERE stage < 9",
    ),
    (
        "roi_request_assigned",
        "CREATE INDEX IF NOT EXISTS roi_request_assigned ON roi_request (assigned_to, ifnull(due_on, '9999-12-31'), id) WHERE stage < 9 AND assigned_to IS NOT NULL",
    ),
    ("roi_request_patient", "CREATE INDEX IF NOT EXISTS roi_request_patient ON roi_request (patient_id, received_on)"),
    (
        "roi_request_requester",
        "CREATE INDEX IF NOT EXISTS roi_request_requester ON roi_request (requester_id, received_on)",
    ),
    // The Director's view of ROI (migration 17): a demo's requests and fees are written before them.
    (
        "roi_request_released",
        "CREATE INDEX IF NOT EXISTS roi_request_released ON roi_request (released_on, received_on, facility_id)",
    ),
    (
        "roi_request_received",
        "CREATE INDEX IF NOT EXISTS roi_request_received ON roi_request (received_on, facility_id)",
    ),
    (
        "roi_fee_issued",
        "CREATE INDEX IF NOT EXISTS roi_fee_issued ON roi_fee (issued_on, kind, total_cents, request_id)",
    ),
    (
        "roi_payment_paid",
        "CREATE INDEX IF NOT EXISTS roi_payment_paid ON roi_payment (paid_on, amount_cents, request_id)",
    ),
    // The file room's lists (migration 22): a demo's volumes are written before them.
    (
        "chart_volume_status_due",
        "CREATE INDEX IF NOT EXISTS chart_volume_status_due ON chart_volume (status, due_back_on)",
    ),
];

/// The bulk indexes an import into an empty store keeps while it writes: the visit match reads a
/// patient's encounters by admission. Its keys arrive nearly in order (an export groups a patient's
/// rows), so keeping it costs little; the others are keyed at random and are built at the end.
pub const IMPORT_KEEPS: &[&str] = &["encounter_patient"];

/// Builds any bulk-load index that is missing.
pub fn ensure_indexes(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    for (_, sql) in BULK_INDEXES {
        conn.execute_batch(sql)?;
    }
    Ok(())
}

/// The schema version this program writes.
pub fn current_version() -> i64 {
    MIGRATIONS.len() as i64
}

const MIGRATION_1: &str = r#"
CREATE TABLE store_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE facility (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    state          TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('hospital', 'practice')),
    timezone       TEXT NOT NULL,
    inactivated_on TEXT,
    version        INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE app_user (
    id           INTEGER PRIMARY KEY,
    username     TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    enabled      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE user_role (
    user_id INTEGER NOT NULL REFERENCES app_user(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
) STRICT, WITHOUT ROWID;

CREATE TABLE provider (
    id            INTEGER PRIMARY KEY,
    npi           TEXT NOT NULL UNIQUE,
    family        TEXT NOT NULL,
    given         TEXT NOT NULL,
    credentials   TEXT NOT NULL DEFAULT '',
    specialty     TEXT NOT NULL DEFAULT '',
    service       TEXT NOT NULL DEFAULT '',
    is_resident   INTEGER NOT NULL DEFAULT 0,
    supervisor_id INTEGER REFERENCES provider(id),
    status        TEXT NOT NULL DEFAULT 'ACTIVE',
    version       INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE patient (
    id           INTEGER PRIMARY KEY,
    mrn          TEXT NOT NULL UNIQUE,
    family       TEXT NOT NULL,
    given        TEXT NOT NULL,
    middle       TEXT NOT NULL DEFAULT '',
    suffix       TEXT NOT NULL DEFAULT '',
    family_key   TEXT NOT NULL,
    given_key    TEXT NOT NULL,
    family_phon  TEXT NOT NULL,
    given_phon   TEXT NOT NULL,
    sex          TEXT NOT NULL CHECK (sex IN ('F', 'M', 'U')),
    birth_date   TEXT NOT NULL,
    ssn_last4    TEXT,
    ssn_hash     TEXT,
    deceased_on  TEXT,
    sensitivity  TEXT NOT NULL DEFAULT 'NONE',
    address      TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    legal_hold   INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1
) STRICT;
-- One index per shape of query a clerk types (domain.md §4.1).
CREATE INDEX patient_name ON patient (family_key, given_key);
CREATE INDEX patient_phonetic ON patient (family_phon, given_phon, family_key, given_key);
CREATE INDEX patient_dob ON patient (birth_date);
CREATE INDEX patient_last4 ON patient (ssn_last4, family_key);
CREATE INDEX patient_ssn_hash ON patient (ssn_hash) WHERE ssn_hash IS NOT NULL;

CREATE TABLE patient_alias (
    id         INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient(id),
    family     TEXT NOT NULL,
    given      TEXT NOT NULL,
    kind       TEXT NOT NULL DEFAULT 'AKA'
) STRICT;
CREATE INDEX patient_alias_patient ON patient_alias (patient_id);

CREATE TABLE patient_source_id (
    system     TEXT NOT NULL,
    value      TEXT NOT NULL,
    patient_id INTEGER NOT NULL REFERENCES patient(id),
    PRIMARY KEY (system, value)
) STRICT, WITHOUT ROWID;

CREATE TABLE encounter (
    id           INTEGER PRIMARY KEY,
    patient_id   INTEGER NOT NULL REFERENCES patient(id),
    account      TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    facility_id  INTEGER NOT NULL REFERENCES facility(id),
    service      TEXT NOT NULL DEFAULT '',
    admit_at     TEXT NOT NULL,
    discharge_at TEXT,
    attending_id INTEGER REFERENCES provider(id),
    version      INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX encounter_patient ON encounter (patient_id, admit_at);
CREATE INDEX encounter_discharge ON encounter (kind, discharge_at);

CREATE TABLE document (
    id          INTEGER PRIMARY KEY,
    encounter_id INTEGER NOT NULL REFERENCES encounter(id),
    patient_id  INTEGER NOT NULL REFERENCES patient(id),
    doc_type    TEXT NOT NULL,
    title       TEXT NOT NULL,
    author_id   INTEGER REFERENCES provider(id),
    status      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    signed_at   TEXT,
    page_count  INTEGER NOT NULL DEFAULT 1,
    text        TEXT,
    version     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX document_patient ON document (patient_id, created_at);
CREATE INDEX document_encounter ON document (encounter_id);

CREATE TABLE deficiency_type (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    abbreviation    TEXT NOT NULL,
    category        TEXT NOT NULL,
    level           TEXT NOT NULL,
    responsible     TEXT NOT NULL,
    days_to_dictate INTEGER,
    days_to_sign    INTEGER,
    days_to_review  INTEGER,
    standard_for    TEXT NOT NULL DEFAULT '',
    document_type   TEXT,
    active          INTEGER NOT NULL DEFAULT 1,
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE chart_completion (
    id           INTEGER PRIMARY KEY,
    encounter_id INTEGER NOT NULL UNIQUE REFERENCES encounter(id),
    status       TEXT NOT NULL,
    received_on  TEXT NOT NULL,
    completed_on TEXT,
    version      INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE deficiency (
    id                  INTEGER PRIMARY KEY,
    chart_completion_id INTEGER NOT NULL REFERENCES chart_completion(id),
    encounter_id        INTEGER NOT NULL REFERENCES encounter(id),
    document_id         INTEGER REFERENCES document(id),
    type_code           TEXT NOT NULL REFERENCES deficiency_type(code),
    provider_id         INTEGER NOT NULL REFERENCES provider(id),
    status              TEXT NOT NULL,
    event_on            TEXT NOT NULL,
    delinquent_on       TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    resolved_on         TEXT,
    resolved_by         TEXT,
    version             INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX deficiency_encounter ON deficiency (encounter_id);
CREATE INDEX deficiency_open_by_provider ON deficiency (provider_id, delinquent_on)
    WHERE status IN ('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED');
CREATE INDEX deficiency_open_by_age ON deficiency (delinquent_on)
    WHERE status IN ('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED');

CREATE TABLE location (
    id   INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL
) STRICT;

CREATE TABLE chart_volume (
    id                  INTEGER PRIMARY KEY,
    patient_id          INTEGER NOT NULL REFERENCES patient(id),
    volume_no           INTEGER NOT NULL,
    record_type         TEXT NOT NULL,
    barcode             TEXT NOT NULL UNIQUE,
    home_location_id    INTEGER NOT NULL REFERENCES location(id),
    current_location_id INTEGER NOT NULL REFERENCES location(id),
    status              TEXT NOT NULL,
    borrower            TEXT,
    due_back_on         TEXT,
    version             INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX chart_volume_patient ON chart_volume (patient_id);

CREATE TABLE chart_movement (
    id               INTEGER PRIMARY KEY,
    chart_volume_id  INTEGER NOT NULL REFERENCES chart_volume(id),
    movement_type    TEXT NOT NULL,
    from_location_id INTEGER REFERENCES location(id),
    to_location_id   INTEGER REFERENCES location(id),
    by_username      TEXT,
    at               TEXT NOT NULL
) STRICT;
CREATE INDEX chart_movement_volume ON chart_movement (chart_volume_id, at);

CREATE TABLE disclosure (
    id           INTEGER PRIMARY KEY,
    patient_id   INTEGER NOT NULL REFERENCES patient(id),
    disclosed_at TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    legal_basis  TEXT NOT NULL,
    accountable  INTEGER NOT NULL,
    pages        INTEGER NOT NULL DEFAULT 0,
    by_username  TEXT NOT NULL,
    voided_at    TEXT,
    void_reason  TEXT
) STRICT;
CREATE INDEX disclosure_patient ON disclosure (patient_id, disclosed_at);

CREATE TABLE audit_event (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    username   TEXT NOT NULL,
    source     TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT,
    patient_id INTEGER,
    detail     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_event_patient ON audit_event (patient_id, at) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_event_user ON audit_event (username, at);
-- The audit trail is append-only: no program, chartroom included, may rewrite history.
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"#;

/// Chart completion: the policy, aging pauses, provider leave and suspension, notices, the nightly
/// run's ledger, and each deficiency's history.
const MIGRATION_2: &str = r#"
CREATE TABLE deficiency_policy (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    notice_days       INTEGER NOT NULL,
    final_notice_days INTEGER NOT NULL,
    delinquent_days   INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
) STRICT;
INSERT INTO deficiency_policy (id, notice_days, final_notice_days, delinquent_days) VALUES (1, 14, 21, 30);

ALTER TABLE deficiency ADD COLUMN paused_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deficiency ADD COLUMN duplicate_confirmed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE deficiency ADD COLUMN comment TEXT;

CREATE TABLE deficiency_event (
    id            INTEGER PRIMARY KEY,
    deficiency_id INTEGER NOT NULL REFERENCES deficiency(id),
    at            TEXT NOT NULL,
    username      TEXT NOT NULL,
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    note          TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX deficiency_event_deficiency ON deficiency_event (deficiency_id);

CREATE TABLE aging_pause (
    id            INTEGER PRIMARY KEY,
    deficiency_id INTEGER NOT NULL REFERENCES deficiency(id),
    reason        TEXT NOT NULL,
    from_on       TEXT NOT NULL,
    to_on         TEXT NOT NULL,
    created_by    TEXT NOT NULL
) STRICT;
CREATE INDEX aging_pause_deficiency ON aging_pause (deficiency_id);

CREATE TABLE provider_leave (
    id          INTEGER PRIMARY KEY,
    provider_id INTEGER NOT NULL REFERENCES provider(id),
    from_on     TEXT NOT NULL,
    to_on       TEXT NOT NULL
) STRICT;
CREATE INDEX provider_leave_provider ON provider_leave (provider_id);

ALTER TABLE provider ADD COLUMN suspension_started_on TEXT;
ALTER TABLE provider ADD COLUMN suspension_ended_on TEXT;

CREATE TABLE deficiency_notice (
    id              INTEGER PRIMARY KEY,
    provider_id     INTEGER NOT NULL REFERENCES provider(id),
    level           TEXT NOT NULL,
    notice_on       TEXT NOT NULL,
    copy_to_id      INTEGER REFERENCES provider(id),
    deficiency_ids  TEXT NOT NULL,
    count_open      INTEGER NOT NULL,
    count_delinquent INTEGER NOT NULL,
    generated_at    TEXT NOT NULL,
    UNIQUE (provider_id, level, notice_on)
) STRICT;

CREATE TABLE nightly_run (
    run_on       TEXT PRIMARY KEY,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    summary      TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX deficiency_provider_status ON deficiency (provider_id, status);
"#;

/// One index per sort of the deficiency queue, so each first page is an ordered index walk with a
/// LIMIT, never a sort of every open item.
const MIGRATION_3: &str = r#"
CREATE INDEX provider_name ON provider (family, given);
CREATE INDEX deficiency_open_by_type ON deficiency (type_code, delinquent_on)
    WHERE status IN ('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED');
CREATE INDEX deficiency_open_by_discharge ON deficiency (event_on DESC)
    WHERE status IN ('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED');
CREATE INDEX deficiency_open_by_encounter ON deficiency (encounter_id)
    WHERE status IN ('OPEN', 'DICTATED', 'TRANSCRIBED', 'SIGNED');
"#;

/// A facility may set its own deficiency policy; the store-wide one is the default.
const MIGRATION_4: &str = r#"
CREATE TABLE facility_deficiency_policy (
    facility_id       INTEGER PRIMARY KEY REFERENCES facility(id),
    notice_days       INTEGER NOT NULL,
    final_notice_days INTEGER NOT NULL,
    delinquent_days   INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1
) STRICT;
"#;

/// Records arriving from other systems keep their identifiers there, so a second import of the same
/// record finds it instead of making another; an encounter keeps the organization it happened at.
const MIGRATION_5: &str = r#"
CREATE TABLE provider_source_id (
    system      TEXT NOT NULL,
    value       TEXT NOT NULL,
    provider_id INTEGER NOT NULL REFERENCES provider(id),
    PRIMARY KEY (system, value)
) STRICT, WITHOUT ROWID;
CREATE TABLE encounter_source_id (
    system       TEXT NOT NULL,
    value        TEXT NOT NULL,
    encounter_id INTEGER NOT NULL REFERENCES encounter(id),
    PRIMARY KEY (system, value)
) STRICT, WITHOUT ROWID;
CREATE TABLE location_source_id (
    system      TEXT NOT NULL,
    value       TEXT NOT NULL,
    location_id INTEGER NOT NULL REFERENCES location(id),
    PRIMARY KEY (system, value)
) STRICT, WITHOUT ROWID;
ALTER TABLE encounter ADD COLUMN location_id INTEGER REFERENCES location(id);
"#;

/// Documents from other systems, found again by their identifiers there.
const MIGRATION_6: &str = r#"
CREATE TABLE document_source_id (
    system      TEXT NOT NULL,
    value       TEXT NOT NULL,
    document_id INTEGER NOT NULL REFERENCES document(id),
    PRIMARY KEY (system, value)
) STRICT, WITHOUT ROWID;
-- Which export of a source an encounter id came from (Synthea's CSV and FHIR number the same visit
-- differently): a visit is joined across exports, never with its twin in the same one.
ALTER TABLE encounter_source_id ADD COLUMN export TEXT NOT NULL DEFAULT '';
"#;

/// Procedures performed during an encounter (imported: Synthea's procedures.csv, FHIR Procedure).
/// An encounter, an instant and a code name one procedure, whichever export brought it. And the
/// imported stays waiting for analysis.
const MIGRATION_7: &str = r#"
CREATE TABLE encounter_procedure (
    id           INTEGER PRIMARY KEY,
    encounter_id INTEGER NOT NULL REFERENCES encounter(id),
    performed_at TEXT NOT NULL,
    code         TEXT NOT NULL,
    description  TEXT NOT NULL,
    UNIQUE (encounter_id, performed_at, code)
) STRICT;
-- Inpatient stays an import brought open, waiting for the nightly analysis whatever their
-- discharge date (the nightly run otherwise looks only at discharges since its last run).
CREATE TABLE analysis_pending (
    encounter_id INTEGER PRIMARY KEY REFERENCES encounter(id)
) STRICT;
"#;

/// Imports that scale: joining a visit across exports asks which exports already know an
/// encounter, by encounter (without this index every such question read every source id: 49 ms a
/// lookup at 660,000 encounters). Not a bulk-load index: an import needs it while it writes. And the
/// last account number used of each prefix (`A25-`), kept as it is used: past 999,999 the numbers
/// grow a digit, and the greatest string is no longer the greatest number.
const MIGRATION_8: &str = r#"
CREATE INDEX encounter_source_id_encounter ON encounter_source_id (encounter_id, system, export);
CREATE TABLE account_sequence (
    prefix TEXT PRIMARY KEY,
    last   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
"#;

/// Who holds a nightly run (user, host, process), so that a run whose process died can be told from
/// one still working; a notice per facility, so that each letter carries the letterhead of the
/// facility whose charts it lists (notices recorded before take the facility of their first item);
/// the notice level each item has been sent; a suspension made by override; and the physician an
/// audit event concerns.
const MIGRATION_9: &str = r#"
ALTER TABLE nightly_run ADD COLUMN holder TEXT NOT NULL DEFAULT '';
ALTER TABLE nightly_run ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE nightly_run ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;

CREATE TABLE deficiency_notice_by_facility (
    id              INTEGER PRIMARY KEY,
    provider_id     INTEGER NOT NULL REFERENCES provider(id),
    facility_id     INTEGER NOT NULL REFERENCES facility(id),
    level           TEXT NOT NULL,
    notice_on       TEXT NOT NULL,
    copy_to_id      INTEGER REFERENCES provider(id),
    deficiency_ids  TEXT NOT NULL,
    count_open      INTEGER NOT NULL,
    count_delinquent INTEGER NOT NULL,
    generated_at    TEXT NOT NULL,
    UNIQUE (provider_id, facility_id, level, notice_on)
) STRICT;
INSERT INTO deficiency_notice_by_facility
SELECT n.id, n.provider_id,
       coalesce(
           (SELECT e.facility_id FROM deficiency d JOIN encounter e ON e.id = d.encounter_id
            WHERE d.id = CAST(CASE WHEN instr(n.deficiency_ids, ',') > 0
                                   THEN substr(n.deficiency_ids, 1, instr(n.deficiency_ids, ',') - 1)
                                   ELSE n.deficiency_ids END AS INTEGER)),
           (SELECT min(id) FROM facility)),
       n.level, n.notice_on, n.copy_to_id, n.deficiency_ids, n.count_open, n.count_delinquent, n.generated_at
FROM deficiency_notice n;
DROP TABLE deficiency_notice;
ALTER TABLE deficiency_notice_by_facility RENAME TO deficiency_notice;

-- The highest notice level each item has been sent, so that a level whose day passed unseen (an
-- imported backlog, a night without a run) is sent once when the item is next looked at; the
-- notices already recorded say what was sent so far.
ALTER TABLE deficiency ADD COLUMN notice_level TEXT;
UPDATE deficiency SET notice_level = (
    SELECT CASE max(CASE n.level WHEN 'NOTICE_14' THEN 1 WHEN 'FINAL_21' THEN 2 WHEN 'DELINQUENT_30' THEN 3 END)
               WHEN 1 THEN 'NOTICE_14' WHEN 2 THEN 'FINAL_21' WHEN 3 THEN 'DELINQUENT_30' END
    FROM deficiency_notice n, json_each('[' || n.deficiency_ids || ']') j
    WHERE n.deficiency_ids != '' AND j.value = deficiency.id
)
WHERE EXISTS (SELECT 1 FROM deficiency_notice);

-- The days a pause counted (fewer than its span when an earlier pause already covered some).
ALTER TABLE aging_pause ADD COLUMN days INTEGER;

-- A suspension the medical staff office made by override, which completing items does not lift.
ALTER TABLE provider ADD COLUMN suspension_override INTEGER NOT NULL DEFAULT 0;

-- The physician an event concerns, so that a provider's history finds it as a patient's does.
ALTER TABLE audit_event ADD COLUMN provider_id INTEGER;
CREATE INDEX audit_event_provider ON audit_event (provider_id, at) WHERE provider_id IS NOT NULL;
"#;

/// Encounters' source ids in a table of their own order, with the key they are found by as an
/// index that an import into an empty store builds once at the end. Keyed by the id itself (a
/// random UUID), every batch of 5,000 rows wrote some 5,000 scattered pages again, a cost that
/// grew with the store: the last tenth of a 3,800,000-encounter import ran at a third of the
/// first's rate.
const MIGRATION_10: &str = r#"
CREATE TABLE encounter_source_id_by_row (
    id           INTEGER PRIMARY KEY,
    system       TEXT NOT NULL,
    value        TEXT NOT NULL,
    encounter_id INTEGER NOT NULL REFERENCES encounter(id),
    export       TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO encounter_source_id_by_row (system, value, encounter_id, export)
SELECT system, value, encounter_id, export FROM encounter_source_id ORDER BY encounter_id;
DROP TABLE encounter_source_id;
ALTER TABLE encounter_source_id_by_row RENAME TO encounter_source_id;
CREATE UNIQUE INDEX encounter_source_id_value ON encounter_source_id (system, value);
CREATE INDEX encounter_source_id_encounter ON encounter_source_id (encounter_id, system, export);
"#;

/// A birth-date search ranks everyone born that day (and on its slips) by name before it reads a
/// single row: with the name keys in the date's index, the ranking reads a few index pages per date
/// and only the page shown is fetched from the table. Reading every such row whole cost 37 ms p99
/// at ten million patients, about 290 a day each a random read of a table larger than the page
/// cache. The old index is a prefix of the new one, so it goes.
const MIGRATION_11: &str = r#"
CREATE INDEX patient_dob_name ON patient (birth_date, family_key, given_key, family_phon, given_phon);
DROP INDEX IF EXISTS patient_dob;
"#;

/// The change feed (`store::changes`): a counter per topic a screen follows, bumped by triggers in
/// the transaction of every change to a table the topic covers, so that another clerk's open queue,
/// chart or header learns of it whoever wrote it — any write method, today's or one not written
/// yet, an import, a repair by hand. The audit trail (every search writes an event) and the
/// patients bump nothing. SQLite has row triggers only: each fire rewrites one row of a page the
/// transaction already holds, some 3 µs; a 20,000-patient demo fires 4,100 of them and a
/// 1,000,000-patient one 206,000, neither with a measurable change in its time.
const MIGRATION_12: &str = r#"
CREATE TABLE change_counter (
    topic   TEXT PRIMARY KEY,
    counter INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
INSERT INTO change_counter (topic) VALUES ('deficiencies'), ('physicians'), ('users');
CREATE TRIGGER deficiency_insert_changes AFTER INSERT ON deficiency
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER deficiency_update_changes AFTER UPDATE ON deficiency
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER deficiency_delete_changes AFTER DELETE ON deficiency
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER chart_completion_insert_changes AFTER INSERT ON chart_completion
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER chart_completion_update_changes AFTER UPDATE ON chart_completion
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER chart_completion_delete_changes AFTER DELETE ON chart_completion
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER aging_pause_insert_changes AFTER INSERT ON aging_pause
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER aging_pause_update_changes AFTER UPDATE ON aging_pause
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER aging_pause_delete_changes AFTER DELETE ON aging_pause
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'deficiencies'; END;
CREATE TRIGGER provider_insert_changes AFTER INSERT ON provider
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'physicians'; END;
CREATE TRIGGER provider_update_changes AFTER UPDATE ON provider
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'physicians'; END;
CREATE TRIGGER provider_delete_changes AFTER DELETE ON provider
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'physicians'; END;
CREATE TRIGGER provider_leave_insert_changes AFTER INSERT ON provider_leave
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'physicians'; END;
CREATE TRIGGER provider_leave_update_changes AFTER UPDATE ON provider_leave
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'physicians'; END;
CREATE TRIGGER provider_leave_delete_changes AFTER DELETE ON provider_leave
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'physicians'; END;
CREATE TRIGGER app_user_insert_changes AFTER INSERT ON app_user
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
CREATE TRIGGER app_user_update_changes AFTER UPDATE ON app_user
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
CREATE TRIGGER app_user_delete_changes AFTER DELETE ON app_user
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
CREATE TRIGGER user_role_insert_changes AFTER INSERT ON user_role
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
CREATE TRIGGER user_role_update_changes AFTER UPDATE ON user_role
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
CREATE TRIGGER user_role_delete_changes AFTER DELETE ON user_role
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
CREATE TRIGGER facility_insert_changes AFTER INSERT ON facility
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
CREATE TRIGGER facility_update_changes AFTER UPDATE ON facility
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
CREATE TRIGGER facility_delete_changes AFTER DELETE ON facility
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'users'; END;
"#;

/// Working deficiencies side by side: who has taken an item to work, since when and until when
/// (a claim written as a versioned change of the item, like any other), and each item's change
/// log, one row per version it reached, so that a clerk whose action found an item moved is told
/// what moved it, and no two changes can both claim to have made the same version.
const MIGRATION_13: &str = r#"
ALTER TABLE deficiency ADD COLUMN claimed_by TEXT;
ALTER TABLE deficiency ADD COLUMN claimed_at TEXT;
ALTER TABLE deficiency ADD COLUMN claim_until TEXT;
CREATE INDEX deficiency_claimed ON deficiency (claimed_by, claim_until) WHERE claimed_by IS NOT NULL;

CREATE TABLE deficiency_change (
    deficiency_id INTEGER NOT NULL REFERENCES deficiency(id),
    version       INTEGER NOT NULL,
    at            TEXT NOT NULL,
    username      TEXT NOT NULL,
    change        TEXT NOT NULL,
    to_status     TEXT NOT NULL,
    holder        TEXT,
    detail        TEXT NOT NULL,
    PRIMARY KEY (deficiency_id, version)
) STRICT, WITHOUT ROWID;
"#;

/// Release of information (domain.md §4.4): the requester address book, requests numbered per
/// facility, what is added to a request (authorizations with their checklist as run, follow-ups,
/// letters with the template version they used, payments), its history a line per version, the
/// letter templates a Director edits, kept by version, and the forms clerks left half filled. A
/// release is a row of `disclosure`, which now names its request and what it held, so that the
/// chart's Releases tab and the accounting of disclosures read one table. Nothing is deleted.
///
/// The queue reads open requests by partial indexes, one per sort (the open ones are the stages
/// below 9, `store::roi::stage`), each carrying the columns a filter names, so that a page and its
/// total are read from an index. Undated requests (a clock waiting on payment) sort after every
/// date. The patient's and the requester's name keys are kept on the request for the sorts by
/// name, kept current by triggers when a name changes. Every change of a request bumps its version,
/// so the request's row triggers alone move the change feed's `requests` counter.
const MIGRATION_14: &str = r#"
CREATE TABLE requester (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    organization     TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    fax              TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    name_key         TEXT NOT NULL,
    organization_key TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX requester_name ON requester (name_key);
CREATE INDEX requester_organization ON requester (organization_key) WHERE organization_key <> '';

-- The last number issued at each facility: the row a logging transaction updates is what keeps
-- two clerks from issuing one number twice.
CREATE TABLE roi_sequence (
    facility_id INTEGER PRIMARY KEY REFERENCES facility(id),
    last        INTEGER NOT NULL
) STRICT;

CREATE TABLE roi_request (
    id                   INTEGER PRIMARY KEY,
    facility_id          INTEGER NOT NULL REFERENCES facility(id),
    seq                  INTEGER NOT NULL,
    version              INTEGER NOT NULL DEFAULT 1,
    patient_id           INTEGER NOT NULL REFERENCES patient(id),
    patient_key          TEXT NOT NULL,
    requester_id         INTEGER NOT NULL REFERENCES requester(id),
    requester_key        TEXT NOT NULL,
    received_on          TEXT NOT NULL,
    received_via         TEXT NOT NULL,
    request_type         TEXT NOT NULL,
    purpose              TEXT NOT NULL,
    format               TEXT NOT NULL,
    delivery             TEXT NOT NULL,
    pages                INTEGER,
    postage_cents        INTEGER,
    clerical_minutes     INTEGER,
    scope                TEXT NOT NULL,
    legal_kind           TEXT,
    legal_criminal       INTEGER,
    legal_served_on      TEXT,
    legal_court          TEXT,
    legal_case_number    TEXT,
    status               TEXT NOT NULL,
    stage                INTEGER NOT NULL,
    status_reason        TEXT,
    assigned_to          TEXT,
    due_on               TEXT,
    due_rule             TEXT NOT NULL DEFAULT '',
    clocks               TEXT NOT NULL DEFAULT '[]',
    extended_due_on      TEXT,
    extension_noticed_on TEXT,
    extension_reason     TEXT,
    accounting_from      TEXT,
    accounting_to        TEXT,
    logged_by            TEXT NOT NULL,
    logged_at            TEXT NOT NULL,
    UNIQUE (facility_id, seq)
) STRICT;
CREATE INDEX roi_request_open_due ON roi_request
    (ifnull(due_on, '9999-12-31'), id, request_type, facility_id, requester_id, assigned_to, due_on, received_on)
    WHERE stage < 9;
CREATE INDEX roi_request_stage ON roi_request
    (stage, ifnull(due_on, '9999-12-31'), id, request_type, facility_id, requester_id, assigned_to, due_on, received_on);
CREATE INDEX roi_request_open_received ON roi_request
    (received_on, id, request_type, facility_id, requester_id, assigned_to, due_on) WHERE stage < 9;
CREATE INDEX roi_request_stage_received ON roi_request (stage, received_on, id);
CREATE INDEX roi_request_stage_patient ON roi_request (stage, patient_key, id);
CREATE INDEX roi_request_stage_requester ON roi_request (stage, requester_key, id);
CREATE INDEX roi_request_open_number ON roi_request (facility_id, seq) WHERE stage < 9;
CREATE INDEX roi_request_open_patient ON roi_request (patient_key, id) WHERE stage < 9;
CREATE INDEX roi_request_open_requester ON roi_request (requester_key, id) WHERE stage < 9;
CREATE INDEX roi_request_assigned ON roi_request (assigned_to, ifnull(due_on, '9999-12-31'), id)
    WHERE stage < 9 AND assigned_to IS NOT NULL;
CREATE INDEX roi_request_patient ON roi_request (patient_id, received_on);
CREATE INDEX roi_request_requester ON roi_request (requester_id, received_on);

CREATE TABLE roi_authorization (
    id          INTEGER PRIMARY KEY,
    request_id  INTEGER NOT NULL REFERENCES roi_request(id),
    kind        TEXT,
    received_on TEXT NOT NULL,
    form        TEXT NOT NULL,
    checklist   TEXT NOT NULL,
    passed      INTEGER NOT NULL,
    by_username TEXT NOT NULL,
    at          TEXT NOT NULL
) STRICT;
CREATE INDEX roi_authorization_request ON roi_authorization (request_id);

CREATE TABLE roi_follow_up (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES roi_request(id),
    received_on  TEXT NOT NULL,
    received_via TEXT NOT NULL,
    note         TEXT NOT NULL,
    by_username  TEXT NOT NULL,
    at           TEXT NOT NULL
) STRICT;
CREATE INDEX roi_follow_up_request ON roi_follow_up (request_id);

CREATE TABLE roi_letter (
    id               INTEGER PRIMARY KEY,
    request_id       INTEGER NOT NULL REFERENCES roi_request(id),
    kind             TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    text             TEXT NOT NULL,
    by_username      TEXT NOT NULL,
    at               TEXT NOT NULL
) STRICT;
CREATE INDEX roi_letter_request ON roi_letter (request_id);

CREATE TABLE roi_payment (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES roi_request(id),
    paid_on      TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    by_username  TEXT NOT NULL,
    at           TEXT NOT NULL
) STRICT;
CREATE INDEX roi_payment_request ON roi_payment (request_id);

-- One line per version a request reached: no two changes can both claim to have made one.
CREATE TABLE roi_history (
    request_id  INTEGER NOT NULL REFERENCES roi_request(id),
    version     INTEGER NOT NULL,
    at          TEXT NOT NULL,
    by_username TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    detail      TEXT NOT NULL,
    PRIMARY KEY (request_id, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE letter_template (
    kind     TEXT NOT NULL,
    version  INTEGER NOT NULL,
    text     TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (kind, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE draft (
    username TEXT NOT NULL,
    kind     TEXT NOT NULL,
    body     TEXT NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (username, kind)
) STRICT, WITHOUT ROWID;

ALTER TABLE disclosure ADD COLUMN roi_request_id INTEGER REFERENCES roi_request(id);
ALTER TABLE disclosure ADD COLUMN description TEXT;
CREATE INDEX disclosure_request ON disclosure (roi_request_id) WHERE roi_request_id IS NOT NULL;

INSERT INTO change_counter (topic) VALUES ('requests');
CREATE TRIGGER roi_request_insert_changes AFTER INSERT ON roi_request
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'requests'; END;
CREATE TRIGGER roi_request_update_changes AFTER UPDATE ON roi_request
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'requests'; END;
CREATE TRIGGER roi_request_delete_changes AFTER DELETE ON roi_request
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'requests'; END;

CREATE TRIGGER patient_name_roi_request AFTER UPDATE OF family_key, given_key ON patient
    WHEN OLD.family_key IS NOT NEW.family_key OR OLD.given_key IS NOT NEW.given_key
    BEGIN
        UPDATE roi_request SET patient_key = NEW.family_key || ' ' || NEW.given_key WHERE patient_id = NEW.id;
    END;
CREATE TRIGGER requester_name_roi_request AFTER UPDATE OF name_key ON requester
    WHEN OLD.name_key IS NOT NEW.name_key
    BEGIN
        UPDATE roi_request SET requester_key = NEW.name_key WHERE requester_id = NEW.id;
    END;
"#;

/// The accounting of disclosures (164.528): a disclosure keeps its recipient's address and who
/// voided it (a void is never a delete); the suspensions an agency asked for, per patient (a
/// written statement has the day its entries show again, an oral one none); and the accountings
/// delivered, so that the desk knows the first in 12 months. Each moves the `requests` topic, as
/// a release does: an accounting on screen, and the chart's Releases tab, follow a void.
const MIGRATION_15: &str = r#"
ALTER TABLE disclosure ADD COLUMN recipient_address TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure ADD COLUMN voided_by TEXT;

CREATE TABLE accounting_suspension (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patient(id),
    agency        TEXT NOT NULL,
    logged_on     TEXT NOT NULL,
    written_until TEXT,
    by_username   TEXT NOT NULL,
    at            TEXT NOT NULL
) STRICT;
CREATE INDEX accounting_suspension_patient ON accounting_suspension (patient_id, logged_on);

CREATE TABLE accounting_delivery (
    id           INTEGER PRIMARY KEY,
    patient_id   INTEGER NOT NULL REFERENCES patient(id),
    requested_on TEXT NOT NULL,
    delivered_on TEXT NOT NULL,
    fee_cents    INTEGER NOT NULL,
    by_username  TEXT NOT NULL,
    at           TEXT NOT NULL
) STRICT;
CREATE INDEX accounting_delivery_patient ON accounting_delivery (patient_id, delivered_on);

CREATE TRIGGER disclosure_insert_changes AFTER INSERT ON disclosure
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'requests'; END;
CREATE TRIGGER disclosure_update_changes AFTER UPDATE ON disclosure
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'requests'; END;
CREATE TRIGGER accounting_suspension_changes AFTER INSERT ON accounting_suspension
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'requests'; END;
CREATE TRIGGER accounting_delivery_changes AFTER INSERT ON accounting_delivery
    BEGIN UPDATE change_counter SET counter = counter + 1 WHERE topic = 'requests'; END;
"#;

/// Release-of-information fees (domain.md §4.4): fee schedules by code and version, each in force
/// from its date and never changed (a Director's change is a new version; an invoice names the
/// version it was made under); a request's quotes and invoices with their lines as issued; the
/// write-offs, refunds and voids against an invoice, each with its reason; and the invoice a
/// payment pays. Nothing here is updated or deleted.
///
/// The seed schedules are inserted here, not when a store is first opened: a migration runs once
/// per store, in one transaction, for a new store and an upgraded one alike, as the deficiency-type
/// catalog's seed does; `domain::roi::fees::seed_schedules` is the same data, and the conformance
/// suite holds the two equal.
const MIGRATION_16: &str = r#"
CREATE TABLE fee_schedule (
    code           TEXT NOT NULL,
    version        INTEGER NOT NULL,
    effective_from TEXT NOT NULL,
    rates          TEXT NOT NULL,
    saved_by       TEXT NOT NULL,
    saved_at       TEXT NOT NULL,
    PRIMARY KEY (code, version)
) STRICT, WITHOUT ROWID;

CREATE TABLE roi_fee (
    id               INTEGER PRIMARY KEY,
    request_id       INTEGER NOT NULL REFERENCES roi_request(id),
    kind             TEXT NOT NULL,
    invoice_no       TEXT UNIQUE,
    schedule_code    TEXT NOT NULL,
    schedule_version INTEGER NOT NULL,
    basis            TEXT NOT NULL,
    issued_on        TEXT NOT NULL,
    lines            TEXT NOT NULL,
    total_cents      INTEGER NOT NULL,
    by_username      TEXT NOT NULL,
    at               TEXT NOT NULL
) STRICT;
CREATE INDEX roi_fee_request ON roi_fee (request_id);

CREATE TABLE roi_fee_adjustment (
    id           INTEGER PRIMARY KEY,
    request_id   INTEGER NOT NULL REFERENCES roi_request(id),
    invoice_no   TEXT NOT NULL REFERENCES roi_fee(invoice_no),
    kind         TEXT NOT NULL,
    on_date      TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    by_username  TEXT NOT NULL,
    at           TEXT NOT NULL
) STRICT;
CREATE INDEX roi_fee_adjustment_request ON roi_fee_adjustment (request_id);

ALTER TABLE roi_payment ADD COLUMN invoice_no TEXT REFERENCES roi_fee(invoice_no);

INSERT INTO fee_schedule (code, version, effective_from, rates, saved_by, saved_at) VALUES
    ('TX-241.154', 1, '2000-01-01', '{"title":"TX HSC 241.154","jurisdiction":"TX","requester_class":"hospitals: anyone with a valid authorization","paper":{"retrieval":{"cents":3000,"pages_included":10},"bands":[{"from_page":11,"to_page":60,"unit_cents":100},{"from_page":61,"to_page":400,"unit_cents":50},{"from_page":401,"to_page":null,"unit_cents":25}]},"microfilm":{"retrieval":{"cents":4500,"pages_included":10},"bands":[{"from_page":11,"to_page":null,"unit_cents":100}]},"postage":true}', 'chartroom', '2000-01-01T00:00:00Z'),
    ('TX-165.2', 1, '2000-01-01', '{"title":"TX 22 TAC 165.2","jurisdiction":"TX","requester_class":"physician practices: the patient or a representative","paper":{"retrieval":{"cents":2500,"pages_included":20},"bands":[{"from_page":21,"to_page":null,"unit_cents":50}]},"electronic":{"tiers":{"tiers":[{"up_to_pages":500,"cents":2500},{"up_to_pages":null,"cents":5000}]}},"postage":true}', 'chartroom', '2000-01-01T00:00:00Z'),
    ('TX-161.202', 1, '2000-01-01', '{"title":"TX HSC 161.202","jurisdiction":"TX","requester_class":"disability-benefit claims (SSA, Medicaid, VA)","no_fee":true}', 'chartroom', '2000-01-01T00:00:00Z'),
    ('CA-123110', 1, '2000-01-01', '{"title":"CA HSC 123110","jurisdiction":"CA","requester_class":"the patient or a representative","paper":{"bands":[{"from_page":1,"to_page":null,"unit_cents":25}]},"microfilm":{"bands":[{"from_page":1,"to_page":null,"unit_cents":50}]}}', 'chartroom', '2000-01-01T00:00:00Z'),
    ('CA-1563', 1, '2000-01-01', '{"title":"CA Evid 1563","jurisdiction":"CA","requester_class":"subpoena duces tecum","paper":{"bands":[{"from_page":1,"to_page":null,"unit_cents":10}]},"microfilm":{"bands":[{"from_page":1,"to_page":null,"unit_cents":20}]},"clerical_quarter_hour_cents":600,"postage":true}', 'chartroom', '2000-01-01T00:00:00Z'),
    ('NY-18', 1, '2000-01-01', '{"title":"NY PHL 18","jurisdiction":"NY","requester_class":"qualified persons and those they authorize","paper":{"bands":[{"from_page":1,"to_page":null,"unit_cents":75}]}}', 'chartroom', '2000-01-01T00:00:00Z'),
    ('HIPAA-524', 1, '2000-01-01', '{"title":"HIPAA 164.524 cost-based","jurisdiction":"US","requester_class":"the individual''s own copy","paper":{"bands":[{"from_page":1,"to_page":null,"unit_cents":30}]},"electronic":{"flat":{"cents":650}},"postage":true}', 'chartroom', '2000-01-01T00:00:00Z'),
    ('HIPAA-528', 1, '2000-01-01', '{"title":"HIPAA 164.528 repeat accounting","jurisdiction":"US","requester_class":"a second accounting within 12 months (cost-based; the Director sets it)"}', 'chartroom', '2000-01-01T00:00:00Z');
"#;

/// Subpoenas and court orders (issue 11): the case's caption, the return date and the court's
/// jurisdiction as served, and the papers that let the desk answer — the satisfactory assurance
/// (164.512(e)(1)(ii)(A)), a qualified protective order, a 42 CFR 2.64 order. Beside the legal
/// process's other columns, since a request has at most one.
const MIGRATION_17: &str = r#"
ALTER TABLE roi_request ADD COLUMN legal_caption TEXT;
ALTER TABLE roi_request ADD COLUMN legal_return_on TEXT;
ALTER TABLE roi_request ADD COLUMN legal_jurisdiction TEXT;
ALTER TABLE roi_request ADD COLUMN legal_assurance_on TEXT;
ALTER TABLE roi_request ADD COLUMN legal_assurance_note TEXT;
ALTER TABLE roi_request ADD COLUMN legal_qpo_on TEXT;
ALTER TABLE roi_request ADD COLUMN legal_part2_order_on TEXT;
ALTER TABLE roi_request ADD COLUMN legal_part2_order_court TEXT;
ALTER TABLE roi_request ADD COLUMN legal_part2_order_no TEXT;
"#;

/// The release packet (domain.md §4.2, §4.4): a document's sensitive categories (codes joined by
/// commas, `SUD_PART2,HIV`; none is empty) and whether it is in the designated record set; on a
/// disclosure, the notices that went with it, the version of the §2.32 notice template printed,
/// and the packet file with its SHA-256; and each document offered for it — released or left out,
/// with the reason.
const MIGRATION_18: &str = r#"
ALTER TABLE document ADD COLUMN sensitive_categories TEXT NOT NULL DEFAULT '';
ALTER TABLE document ADD COLUMN in_designated_record_set INTEGER NOT NULL DEFAULT 1;

ALTER TABLE disclosure ADD COLUMN notices_attached TEXT NOT NULL DEFAULT '';
ALTER TABLE disclosure ADD COLUMN notice_template_version INTEGER;
ALTER TABLE disclosure ADD COLUMN packet_file TEXT;
ALTER TABLE disclosure ADD COLUMN packet_sha256 TEXT;

CREATE TABLE release_item (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES roi_request(id),
    disclosure_id INTEGER NOT NULL REFERENCES disclosure(id),
    document_id   INTEGER NOT NULL REFERENCES document(id),
    pages         INTEGER NOT NULL,
    included      INTEGER NOT NULL,
    reason        TEXT NOT NULL
) STRICT;
CREATE INDEX release_item_request ON release_item (request_id);
"#;

/// The Director's view of release of information (`store::sqlite::roi_stats`). A request's
/// `released_on` is the day of its first disclosure not voided, as the desk writes it with each
/// release and void (filled here once for the requests already released), so that a year's
/// releases are one range of an index, read in order without a sort (found from every request's
/// disclosures it took a third of a second at 200,000 requests). Receipts, invoices, payments and adjustments are counted by day from covering
/// indexes rather than by reading their rows (an invoice row carries its lines).
const MIGRATION_19: &str = r#"
ALTER TABLE roi_request ADD COLUMN released_on TEXT;
UPDATE roi_request SET released_on =
    (SELECT substr(min(d.disclosed_at), 1, 10) FROM disclosure d
     WHERE d.roi_request_id = roi_request.id AND d.voided_at IS NULL);
CREATE INDEX roi_request_released ON roi_request (released_on, received_on, facility_id);
CREATE INDEX roi_request_received ON roi_request (received_on, facility_id);
CREATE INDEX roi_fee_issued ON roi_fee (issued_on, kind, total_cents, request_id);
CREATE INDEX roi_payment_paid ON roi_payment (paid_on, amount_cents, request_id);
CREATE INDEX roi_fee_adjustment_day ON roi_fee_adjustment (on_date, kind, amount_cents, request_id);
"#;

/// The audit trail's hash chain (`domain::audit::chain`): each event's link to the one before it and
/// its own hash. The update guard is lifted for the upgrade's one transaction only, while the events
/// written before the chain are linked ([`CHAIN_VERSION`]: `admin::fill_chain`), and put back
/// after; nobody sees the trail unguarded.
const MIGRATION_20: &str = r#"
ALTER TABLE audit_event ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_event ADD COLUMN hash TEXT;
DROP TRIGGER IF EXISTS audit_event_no_update;
CREATE INDEX audit_event_action ON audit_event (action, at);
"#;

/// The migration after which the events already written are linked, and the guard put back.
pub const CHAIN_VERSION: i64 = 20;

/// The update guard of migration 1, as [`MIGRATION_20`] puts it back.
pub const UPDATE_GUARD: &str = "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END";

/// A trigger that keeps a table append-only: the store refuses to open without it
/// ([`missing_protection`]).
pub struct Protection {
    pub table: &'static str,
    pub trigger: &'static str,
    /// What its SQL must be, as `chartroom migrate` puts it back.
    pub sql: &'static str,
    /// The schema version that made it: a store not yet upgraded that far is not asked for it.
    pub since: i64,
}

const MOVEMENT_NO_UPDATE: &str = "CREATE TRIGGER chart_movement_no_update BEFORE UPDATE ON chart_movement
    BEGIN SELECT RAISE(ABORT, 'the movement history is append-only'); END";
const MOVEMENT_NO_DELETE: &str = "CREATE TRIGGER chart_movement_no_delete BEFORE DELETE ON chart_movement
    BEGIN SELECT RAISE(ABORT, 'the movement history is append-only'); END";

/// The audit trail (migration 1, its update guard put back by migration 20) and the file room's
/// movement history (migration 22).
pub const PROTECTION: &[Protection] = &[
    Protection { table: "audit_event", trigger: "audit_event_no_update", sql: UPDATE_GUARD, since: 1 },
    Protection {
        table: "audit_event",
        trigger: "audit_event_no_delete",
        sql: "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END",
        since: 1,
    },
    Protection { table: "chart_movement", trigger: "chart_movement_no_update", sql: MOVEMENT_NO_UPDATE, since: 22 },
    Protection { table: "chart_movement", trigger: "chart_movement_no_delete", sql: MOVEMENT_NO_DELETE, since: 22 },
];

/// What [`PROTECTION`] asks of a store at this one's version.
fn protection_due(conn: &rusqlite::Connection) -> rusqlite::Result<impl Iterator<Item = &'static Protection>> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok(PROTECTION.iter().filter(move |p| p.since <= version))
}

/// What is missing of [`PROTECTION`]: a trigger gone, or one of that name whose SQL is not the
/// expected one (narrowed to a column, given a condition, or no longer refusing).
pub fn missing_protection(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    let mut missing = Vec::new();
    for Protection { table, trigger, sql: expected, .. } in protection_due(conn)? {
        let sql: Option<String> = rusqlite::OptionalExtension::optional(conn.query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1 AND tbl_name = ?2",
            [trigger, table],
            |r| r.get(0),
        ))?;
        match sql {
            None => missing.push(format!("the trigger {trigger} on {table} is gone")),
            // Name and RAISE alone pass a trigger narrowed to one column or given `WHEN 0`: only
            // the very statement `migrate` would write is trusted.
            Some(found) if normalized_sql(&found) != normalized_sql(expected) => {
                missing.push(format!("the trigger {trigger} on {table} no longer refuses every change"))
            }
            Some(_) => {}
        }
    }
    Ok(missing)
}

/// A trigger's SQL with its whitespace runs made one space and no closing semicolon, as SQLite
/// keeps the text it was created with, indentation and all.
fn normalized_sql(sql: &str) -> String {
    sql.trim().trim_end_matches(';').split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Puts back what [`missing_protection`] finds missing; returns what it put back.
pub fn restore_protection(conn: &rusqlite::Connection) -> rusqlite::Result<Vec<String>> {
    let missing = missing_protection(conn)?;
    if !missing.is_empty() {
        for Protection { trigger, sql, .. } in protection_due(conn)? {
            conn.execute_batch(&format!("DROP TRIGGER IF EXISTS {trigger}; {sql};"))?;
        }
    }
    Ok(missing)
}

/// Who is at the keyboard (issue 12): a user linked to their own patient record, so that the desk
/// refuses it to them, and the Argon2 hash of their signature code (never the code).
const MIGRATION_21: &str = r#"
ALTER TABLE app_user ADD COLUMN patient_id INTEGER REFERENCES patient(id);
ALTER TABLE app_user ADD COLUMN signature_hash TEXT;
"#;

/// The file room (`store::sqlite::file_room`): a location's default loan days; what each movement
/// carried (borrower, due-back day, reason, the request it filled); the movement history made
/// append-only like the audit trail; volumes by status and due-back day for the overdue and missing
/// lists; and chart requests, whose pull list for a day reads in terminal-digit order from an index
/// (the desk writes each request's filing key, computed by `domain::file_room`).
const MIGRATION_22: &str = r#"
ALTER TABLE location ADD COLUMN default_loan_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE chart_movement ADD COLUMN borrower TEXT;
ALTER TABLE chart_movement ADD COLUMN due_back_on TEXT;
ALTER TABLE chart_movement ADD COLUMN reason TEXT;
ALTER TABLE chart_movement ADD COLUMN request_id INTEGER;
CREATE INDEX chart_volume_status_due ON chart_volume (status, due_back_on);
CREATE TRIGGER chart_movement_no_update BEFORE UPDATE ON chart_movement
    BEGIN SELECT RAISE(ABORT, 'the movement history is append-only'); END;
CREATE TRIGGER chart_movement_no_delete BEFORE DELETE ON chart_movement
    BEGIN SELECT RAISE(ABORT, 'the movement history is append-only'); END;

CREATE TABLE chart_request (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES patient(id),
    for_location_id INTEGER NOT NULL REFERENCES location(id),
    needed_on       TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    reason          TEXT NOT NULL,
    filing_key      TEXT NOT NULL,
    status          TEXT NOT NULL,
    outcome_reason  TEXT,
    resolved_by     TEXT,
    resolved_at     TEXT,
    created_at      TEXT NOT NULL,
    version         INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX chart_request_pull ON chart_request (needed_on, filing_key, id);
CREATE INDEX chart_request_patient ON chart_request (patient_id, needed_on);
"#;
