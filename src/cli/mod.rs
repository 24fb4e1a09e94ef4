//! The command line: `chartroom` alone opens the terminal desk; subcommands script the same desk
//! functions the screens call.

mod args;
mod audit;
mod bench;
mod copy;
mod deficiencies;
mod disclosure;
mod fees;
mod file_room;
mod legal;
mod packet;
pub mod print;
mod roi;
mod roi_stats;
mod signature;

use crate::config::{ColorChoice, Config, Overrides};
use crate::demo::{self, DemoOptions};
use crate::desk::{Clock, Desk, SystemClock, ensure_founder, identity};
use crate::domain::audit::session_source;
use crate::domain::chart::{FacilityKind, NewFacility};
use crate::domain::role::Role;
use crate::setup::{OpenedStore, StoreLocation, open_store};
use crate::store::Page;
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "chartroom",
    version,
    about = "The terminal desk of a hospital's Health Information Management department"
)]
pub struct Cli {
    /// Directory holding the store (overrides CHARTROOM_DATA_DIR and the config's data_dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Your config file (default ~/.config/chartroom/config.toml; the system config is read first).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The store: postgres://user@host:port/database (its password from ~/.pgpass, PGPASSWORD or
    /// the config's password_file, never here) or sqlite:PATH. Overrides CHARTROOM_STORE and the
    /// config's [store] url.
    #[arg(long, global = true, value_name = "URL")]
    pub store: Option<String>,
    /// Colour: auto (off when NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum)]
    pub color: Option<ColorChoice>,
    /// Draw with ASCII only (automatic when the locale is not UTF-8).
    #[arg(long, global = true)]
    pub ascii: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store (with a demo hospital unless --empty); you become its director.
    Init {
        #[arg(long)]
        empty: bool,
    },
    /// Fill an empty or demo store with a deterministic synthetic hospital.
    ///
    /// Besides the patients asked for, it makes the four patients of the acceptance scenarios and,
    /// on purpose, about 0.5% near-duplicate registrations (one keying slip each) for practice at
    /// finding duplicates.
    Demo {
        /// How many patients to make, 1 to 10,000,000.
        #[arg(long, default_value_t = demo::FIRST_RUN_PATIENTS, value_parser = args::demo_patients)]
        patients: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Find patients the way the Find field does: MRN, LAST,FIRST, S4821, 4821, SSN, DOB, account.
    Search {
        #[arg(value_parser = args::search_text)]
        query: String,
        #[arg(long)]
        json: bool,
        /// How many patients to show, 1 to 1000.
        #[arg(long, default_value_t = 50, value_parser = args::limit::<1000>)]
        limit: usize,
    },
    /// Print a patient's chart. A restricted, employee or VIP chart breaks the glass: it needs a
    /// reason (at least three words) and your signature code.
    Chart {
        mrn: String,
        #[arg(long)]
        json: bool,
        /// Why you open a restricted chart; the Privacy Office reads it.
        #[arg(long)]
        reason: Option<String>,
        /// Read the signature code from standard input rather than the terminal.
        #[arg(long = "signature-stdin")]
        signature_stdin: bool,
    },
    /// Administer chartroom users (director).
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Add or list facilities.
    Facility {
        #[command(subcommand)]
        action: FacilityCommand,
    },
    /// Read the audit trail (privacy officer, director).
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Write a consistent copy of the live store to FILE (the SQLite store; a PostgreSQL store is
    /// backed up with pg_dump, and this says how).
    Backup { file: PathBuf },
    /// Bring the store's schema up to this chartroom's version (a PostgreSQL store: once, for the
    /// whole department). Refuses a store written by a newer chartroom.
    Migrate,
    /// The overnight job: analyse discharges, seed deficiencies, generate notices, list suspensions.
    Nightly {
        /// The day to run for (default: today in the home facility's time zone). Not before the
        /// last finished run, nor after tomorrow.
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date, conflicts_with = "status")]
        date: Option<chrono::NaiveDate>,
        /// Who holds the nightly run (user, machine, process) since when, and the last one finished.
        #[arg(long)]
        status: bool,
        #[arg(long)]
        json: bool,
    },
    /// A patient's paper volumes (file room): list, new.
    ChartVolume {
        #[command(subcommand)]
        action: file_room::ChartVolumeCommand,
    },
    /// Move paper volumes by barcode: charge-out, check-in, transfer, missing, found, inactivate;
    /// the overdue (with notices) and missing lists.
    Volume {
        #[command(subcommand)]
        action: file_room::VolumeCommand,
    },
    /// Ask the file room for a chart at a location by a day; fill or close a request.
    ChartRequest {
        #[command(subcommand)]
        action: file_room::ChartRequestCommand,
    },
    /// A day's chart requests in terminal-digit order of the MRN, the order the shelves are walked.
    PullList {
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// The deficiency queue, the delinquency rate, the suspension list.
    Deficiencies {
        #[command(subcommand)]
        action: DeficiencyCommand,
    },
    /// The facility's deficiency policy: notice, final notice and delinquency days.
    Policy {
        #[command(subcommand)]
        action: PolicyCommand,
    },
    /// The deficiency type catalog.
    DeficiencyType {
        #[command(subcommand)]
        action: DeficiencyTypeCommand,
    },
    /// Provider leave and suspension.
    Provider {
        #[command(subcommand)]
        action: ProviderCommand,
    },
    /// Import patient populations (director): a Synthea CSV export or FHIR R4 bundles.
    Import {
        #[command(subcommand)]
        source: ImportCommand,
    },
    /// Copy the whole SQLite store into an empty PostgreSQL database (Director of HIM).
    ///
    /// Every table, ids kept, a transaction per batch of rows, then a count check per table. The
    /// password comes from ~/.pgpass, PGPASSWORD or --password-file, never the URL.
    Copy {
        /// The SQLite store to copy (default: this installation's store).
        #[arg(long, value_name = "sqlite:PATH")]
        from: Option<String>,
        /// The empty PostgreSQL database: postgres://USER@HOST:PORT/DATABASE.
        #[arg(long, value_name = "URL")]
        to: String,
        /// A file holding the database password alone (mode 0600 or 0640).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
        /// Rows per transaction.
        #[arg(long, default_value_t = crate::store::copy::DEFAULT_BATCH_ROWS, value_parser = copy::batch_rows)]
        batch_rows: usize,
    },
    /// Release of information: log requests from a file, show, list, extend, pend, hold, reject,
    /// cancel, assign, pay and release them (docs/roi.md).
    Roi {
        #[command(subcommand)]
        action: roi::RoiCommand,
    },
    /// Disclosures outside a request, voids and agencies' suspensions: the accounting of
    /// disclosures' sources (docs/roi.md).
    Disclosure {
        #[command(subcommand)]
        action: disclosure::DisclosureCommand,
    },
    /// Release-of-information fee schedules, by version: list, show, set (Director of HIM).
    FeeSchedule {
        #[command(subcommand)]
        action: fees::FeeScheduleCommand,
    },
    /// The letter templates of release of information: list, show, edit (Director of HIM).
    Template {
        #[command(subcommand)]
        action: roi::TemplateCommand,
    },
    /// Measure store-level search against the store's statements run bare, on this store.
    Bench {
        #[arg(long, default_value_t = 2000)]
        iterations: usize,
        #[arg(long)]
        json: bool,
        /// On PostgreSQL: the same queries on this SQLite store too (sqlite:PATH), side by side.
        #[arg(long, value_name = "sqlite:PATH")]
        compare: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user for an OS account, with one or more roles.
    Add {
        name: String,
        #[arg(long = "role", required = true, num_args = 1..)]
        roles: Vec<String>,
        /// The name shown in the header (default: the account name).
        #[arg(long = "display-name")]
        display_name: Option<String>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    /// Replace a user's roles.
    Roles {
        name: String,
        #[arg(required = true, num_args = 1..)]
        roles: Vec<String>,
    },
    Disable {
        name: String,
    },
    Enable {
        name: String,
    },
    /// Link a user to their own patient record, which chartroom then refuses them (director).
    Link {
        name: String,
        mrn: String,
    },
    /// Undo `user link`.
    Unlink {
        name: String,
    },
    /// Clear another user's signature code (a forgotten one), so that they set a new one themselves
    /// with `user signature` (director).
    ClearSignature {
        name: String,
    },
    /// Set your own signature code (6 to 20 characters, not one character repeated): asked for to
    /// unlock the screen, to open a restricted chart and to release records. Changing it asks the
    /// one you have first.
    Signature {
        /// Read the code from standard input rather than the terminal: one line, or two when you
        /// have a code already (the one you have, then the new one).
        #[arg(long = "signature-stdin")]
        signature_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FacilityCommand {
    Add {
        code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        state: String,
        #[arg(long, value_parser = ["hospital", "practice"])]
        kind: String,
        #[arg(long, value_name = "ZONE")]
        tz: String,
    },
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeficiencyCommand {
    /// Open deficiencies, oldest first unless sorted otherwise.
    List {
        #[command(flatten)]
        filter: QueueArgs,
        /// age, physician, type, mrn or discharge.
        #[arg(long, default_value = "age")]
        sort: String,
        /// How many items to show, 1 to 1000.
        #[arg(long, default_value_t = 50, value_parser = args::limit::<1000>)]
        limit: usize,
        /// How many items to skip, for the pages after the first.
        #[arg(long, default_value_t = 0, value_parser = args::offset)]
        offset: usize,
        #[arg(long)]
        json: bool,
    },
    /// The delinquency rate against the 50% line, aging buckets and top physicians.
    Rate {
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: Option<chrono::NaiveDate>,
        #[arg(long)]
        json: bool,
    },
    /// Physicians with delinquent charts, their leave and suspension.
    Suspensions {
        #[arg(long)]
        json: bool,
    },
    /// Add a deficiency by hand (chart analyst). A duplicate needs --confirm-duplicate.
    Add {
        account: String,
        #[arg(value_name = "TYPE")]
        type_code: String,
        npi: String,
        #[arg(long)]
        confirm_duplicate: bool,
    },
    /// Mark a chart complete: refused while deficiencies are pending.
    CompleteChart { account: String },
    /// Reopen a completed chart (supervisor), with a reason.
    Reopen {
        account: String,
        #[arg(long)]
        reason: String,
    },
    /// Take deficiencies to work: a chart's open items (A25-000781), one of them (A25-000781:OP-D),
    /// or the oldest not taken that the filter options match (up to --limit).
    Take {
        #[arg(value_name = "ACCOUNT[:TYPE]")]
        items: Vec<String>,
        #[command(flatten)]
        filter: QueueArgs,
        /// How many to take by the filter, oldest first, 1 to 1000.
        #[arg(long, default_value_t = 20, value_parser = args::limit::<1000>)]
        limit: usize,
        /// Take items another clerk holds (supervisor); the audit trail names both.
        #[arg(long)]
        take_over: bool,
    },
    /// Give deficiencies up: the items named, or with --all everything you hold.
    Release {
        #[arg(value_name = "ACCOUNT[:TYPE]")]
        items: Vec<String>,
        /// Everything you hold.
        #[arg(long, conflicts_with = "items")]
        all: bool,
        /// Give up items another clerk holds (supervisor); the audit trail names both.
        #[arg(long)]
        take_over: bool,
    },
}

impl QueueArgs {
    fn is_set(&self) -> bool {
        self.physician.is_some()
            || self.type_code.is_some()
            || self.category.is_some()
            || self.bucket.is_some()
            || self.service.is_some()
            || self.facility.is_some()
            || self.mrn.is_some()
            || self.delinquent
            || self.claim.is_some()
    }
}

/// What narrows the queue, on the command line as `:filter` narrows it on screen.
#[derive(Debug, clap::Args)]
pub struct QueueArgs {
    #[arg(long, value_name = "NPI")]
    pub physician: Option<String>,
    #[arg(long = "type", value_name = "CODE")]
    pub type_code: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    /// 0-14, 15-21, 22-30, 31-60 or >60 days since discharge.
    #[arg(long)]
    pub bucket: Option<String>,
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub facility: Option<String>,
    /// One patient's items.
    #[arg(long, value_name = "MRN")]
    pub mrn: Option<String>,
    /// Only items past their delinquency date.
    #[arg(long)]
    pub delinquent: bool,
    /// Whose: mine, unclaimed, all, or a user's name.
    #[arg(long, value_name = "WHO")]
    pub claim: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    Show {
        /// A facility's policy (its own, or the default it inherits).
        #[arg(long, value_name = "CODE")]
        facility: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change the policy (director): the store-wide default, or one facility's own.
    Set {
        #[arg(long, value_name = "CODE")]
        facility: Option<String>,
        #[arg(long)]
        notice: Option<i64>,
        #[arg(long = "final")]
        final_notice: Option<i64>,
        #[arg(long)]
        delinquent: Option<i64>,
    },
    /// When a claim on a deficiency lapses: at the end of the day it was taken (the default) or
    /// some hours after. Alone: show it.
    Claims {
        /// Lapse this many hours after taking (1 to 24).
        #[arg(long, conflicts_with = "end_of_day")]
        hours: Option<u32>,
        /// Lapse at the end of the day the item was taken.
        #[arg(long)]
        end_of_day: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeficiencyTypeCommand {
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a type (director).
    Add(TypeFields),
    /// Change a type: name the fields to change (director).
    Edit(TypeFields),
    /// Retire a type: no new deficiencies of it (director).
    Retire { code: String },
}

#[derive(Debug, clap::Args)]
pub struct TypeFields {
    pub code: String,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long = "abbr")]
    pub abbreviation: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    /// DOCUMENT or CHART.
    #[arg(long)]
    pub level: Option<String>,
    /// ATTENDING, AUTHOR, SURGEON, ORDERING, DICTATING.
    #[arg(long)]
    pub responsible: Option<String>,
    #[arg(long = "days-to-dictate")]
    pub days_to_dictate: Option<i64>,
    #[arg(long = "days-to-sign")]
    pub days_to_sign: Option<i64>,
    #[arg(long = "days-to-review")]
    pub days_to_review: Option<i64>,
    /// Encounter kinds the nightly run seeds it for, comma-separated (INPATIENT).
    #[arg(long = "standard-for")]
    pub standard_for: Option<String>,
    /// The document type it tracks (DS, OP_NOTE, VERBAL_ORDER…).
    #[arg(long = "document-type")]
    pub document_type: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProviderCommand {
    /// Record leave: no suspension is proposed while it lasts.
    Leave {
        npi: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        from: chrono::NaiveDate,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        to: chrono::NaiveDate,
    },
    /// Confirm a suspension (medical staff office): only a physician with delinquent charts who is
    /// not on leave, unless --override with --reason.
    Suspend {
        npi: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: Option<chrono::NaiveDate>,
        /// Suspend a physician the rules do not make eligible (bylaws, another reason); needs --reason.
        #[arg(long = "override", requires = "reason")]
        override_rules: bool,
        /// Why, for the audit trail.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Lift a suspension (medical staff office): one made by override, which completing the
    /// physician's items does not lift; a reinstatement letter goes out.
    Reinstate {
        npi: String,
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        date: Option<chrono::NaiveDate>,
        /// Why, for the audit trail.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A Synthea CSV export: organizations.csv, providers.csv, patients.csv, encounters.csv and
    /// procedures.csv.
    SyntheaCsv {
        /// The directory of the export (patients.csv and its fellows)
        dir: PathBuf,
        #[command(flatten)]
        options: ImportOptions,
    },
    /// Synthea's FHIR R4 bundles: one .json file, or every one in a directory. Patients,
    /// practitioners and their roles, organizations and locations, encounters, procedures and the
    /// notes (with text).
    Fhir {
        /// Bundle files, or directories of them (every .json inside)
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        options: ImportOptions,
    },
}

/// What every importer takes.
#[derive(Debug, clap::Args)]
pub struct ImportOptions {
    /// The chartroom facility it all lands in (default: the store's only facility).
    #[arg(long, value_name = "CODE")]
    facility: Option<String>,
    /// Inpatient charts discharged before this day arrive complete (default: 30 days ago).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
    open_since: Option<chrono::NaiveDate>,
    /// Check everything, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Abort at the first bad row or resource, with nothing written.
    #[arg(long)]
    strict: bool,
    /// Write the rejected rows, with their reasons, to this file for correction.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Import into a demo store all the same (the demo's made-up patients and the real ones would
    /// mix; a real import belongs in a store of its own).
    #[arg(long)]
    into_demo: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    List {
        #[arg(long, value_name = "MRN")]
        patient: Option<String>,
        /// Events about one physician: their deficiencies, leave and suspension.
        #[arg(long, value_name = "NPI")]
        provider: Option<String>,
        #[arg(long)]
        json: bool,
        /// How many events to show, newest first, 1 to 100000.
        #[arg(long, default_value_t = 200, value_parser = args::limit::<100_000>)]
        limit: usize,
    },
    /// Walk the trail's hash chain from its first event; exit 1 and name the first event that was
    /// changed, removed or put in.
    Verify {
        #[arg(long)]
        json: bool,
        /// A last hash an earlier verify printed, kept away from this machine: the trail must still
        /// hold it (an edit whose later hashes were all computed again is caught by this alone).
        #[arg(long, value_name = "HASH")]
        anchor: Option<String>,
    },
    /// Every event about one patient: searches that showed them, views, prints, exports, releases,
    /// refusals, with who, when and from where (the department's days, both included).
    Access {
        mrn: String,
        /// First day (default: 30 days before --to).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        from: Option<chrono::NaiveDate>,
        /// Last day (default: today).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        to: Option<chrono::NaiveDate>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// RFC 4180 with a header; cells a spreadsheet would run as formulas are neutralised.
        #[arg(long)]
        csv: bool,
    },
    /// Everything one user did (the department's days, both included).
    User {
        name: String,
        /// First day (default: 30 days before --to).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        from: Option<chrono::NaiveDate>,
        /// Last day (default: today).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        to: Option<chrono::NaiveDate>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        #[arg(long)]
        csv: bool,
    },
    /// The charts opened past their sensitive-record warning, with the reason typed.
    BreakGlass {
        /// From this day (default: all).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = args::date)]
        since: Option<chrono::NaiveDate>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        #[arg(long)]
        csv: bool,
    },
}

/// A failure to show the user: one clear line, and the exit status that says what kind.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    pub message: String,
    pub status: u8,
}

/// The exit status of a failure.
pub const EXIT_FAILURE: u8 = 1;
/// The store's server could not be reached, or the connection to it was lost (sysexits'
/// EX_UNAVAILABLE): a script may try again later; nothing else was wrong with what it asked.
pub const EXIT_UNAVAILABLE: u8 = 69;

impl CliError {
    pub fn new(message: String) -> Self {
        Self { message, status: EXIT_FAILURE }
    }
}

/// A failure from below, in its own words, with the exit status its kind has.
fn fail<E: std::fmt::Display + 'static>(e: E) -> CliError {
    let any: &dyn std::any::Any = &e;
    let unreachable = any.downcast_ref::<crate::store::StoreError>().is_some_and(|e| e.is_unreachable())
        || any.downcast_ref::<crate::desk::DeskError>().is_some_and(|e| e.is_unreachable())
        || any.downcast_ref::<crate::setup::SetupError>().is_some_and(|e| e.is_unreachable())
        || any.downcast_ref::<crate::demo::DemoError>().is_some_and(|e| e.is_unreachable());
    CliError { message: e.to_string(), status: if unreachable { EXIT_UNAVAILABLE } else { EXIT_FAILURE } }
}

/// Runs the command line. Returns the process exit status.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let overrides = Overrides {
        data_dir: cli.data_dir.clone(),
        config: cli.config.clone(),
        color: cli.color,
        ascii: cli.ascii,
        store: cli.store.clone(),
    };
    let config = Config::load(&overrides).map_err(fail)?;
    let account = identity::current_account().map_err(fail)?;
    let source = session_source(std::env::var("SSH_CONNECTION").ok().as_deref());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::local());
    // The log's directory is made with the store's modes: the data directory's, shared or not.
    // A log directory made for the install (README: a department install) decides for itself.
    let sharing = crate::files::FileSharing::of_directory(if config.log_dir.exists() {
        &config.log_dir
    } else {
        &config.data_dir
    });
    let _log_guard = match crate::logging::init(&config.log_dir, sharing) {
        Ok(guard) => Some(guard),
        Err(why) => {
            // Said once, before the desk draws its screen; the work goes on without a log.
            eprintln!("chartroom: warning: {why}; running without a log");
            None
        }
    };

    match cli.command {
        None => {
            let opened = open_or_create(&config, &account, &source, &*clock, true)?;
            let desk = sign_in(&opened, &account, &source, clock)?;
            crate::tui::run(desk, &config).map_err(fail)
        }
        Some(Command::Init { empty }) => {
            if config.postgres.is_none() && config.store_file.exists() {
                return Err(CliError::new(format!("a store already exists at {}", config.store_file.display())));
            }
            let opened = open_or_create(&config, &account, &source, &*clock, !empty)?;
            if !opened.created {
                return Err(CliError::new(format!("a store already exists in {}", opened.location)));
            }
            println!("Created {} (you, {account}, are its director).", opened.location);
            match opened.location {
                StoreLocation::Sqlite(_) => {
                    println!("SSN key: {} — back it up with the store.", config.key_file.display())
                }
                StoreLocation::Postgres(_) => println!(
                    "SSN key: {} — back it up, and copy it to every workstation that uses this store.",
                    config.key_file.display()
                ),
            }
            Ok(())
        }
        Some(Command::Migrate) => {
            let audit = |missing: &str| crate::domain::audit::NewAuditEvent {
                at: clock.now(),
                username: account.clone(),
                source: source.clone(),
                action: crate::domain::audit::AuditAction::Update,
                entity: "store".into(),
                entity_id: None,
                patient_id: None,
                provider_id: None,
                detail: format!("put back the store's append-only protection: {missing}"),
            };
            migrate(&config, audit)
        }
        Some(Command::Backup { file }) if config.postgres.is_some() => {
            // A PostgreSQL database is backed up by PostgreSQL's own tools, which see it whole
            // while clerks work; there is nothing to open first.
            let target = config.postgres.as_ref().map(|p| &p.target);
            let command = target.map(|t| t.pg_dump_command(&account, &file)).unwrap_or_default();
            Err(CliError::new(format!(
                "this store is a PostgreSQL database, which chartroom does not copy: back it up with pg_dump, which \
                 reads the password from ~/.pgpass or PGPASSWORD:\n  {command}\nand keep the SSN key file ({}) \
                 with the backups",
                config.key_file.display()
            )))
        }
        Some(Command::Demo { patients, seed }) if config.postgres.is_some() => {
            // A database is written in place: clerks may be connected to it, so it cannot be
            // built aside and swapped in as a file can. The demo refuses a store with patients
            // before it writes anything.
            let opened = open_store(&config, true).map_err(fail)?;
            ensure_founder(&*opened.store, &account, &source, clock.now()).map_err(fail)?;
            let desk = sign_in(&opened, &account, &source, clock.clone())?;
            let writes = desk.store_info().map_err(fail)?.patient_count == 0 && patients <= demo::MAX_PATIENTS;
            match make_demo(&desk, &opened, patients, seed) {
                Err(e) if writes => Err(CliError {
                    message: format!(
                        "{e}\nThe demo wrote part of a hospital into {}. To start again, drop the database and \
                         create it anew (README: Running on PostgreSQL), then run the demo again.",
                        opened.location
                    ),
                    status: e.status,
                }),
                other => other,
            }
        }
        Some(Command::Demo { patients, seed }) if !config.store_file.exists() => {
            // A new store is built beside its path and moved there whole: a demo that fails or is
            // killed part way leaves nothing at the store's path.
            demo::remove_stale_builds(&config.store_file);
            let building = demo::building_path(&config.store_file);
            let build = Config { store_file: building.clone(), ..config.clone() };
            let built = open_store(&build, true).map_err(fail).and_then(|opened| {
                ensure_founder(&*opened.store, &account, &source, clock.now()).map_err(fail)?;
                let desk = sign_in(&opened, &account, &source, clock.clone())?;
                make_demo(&desk, &opened, patients, seed)
            });
            match built {
                Ok(()) => demo::finish_build(&building, &config.store_file).map_err(fail),
                Err(e) => {
                    demo::discard_build(&building);
                    Err(e)
                }
            }
        }
        Some(Command::Demo { patients, seed }) => {
            // An existing store (`init --empty`, its facilities and staff) is written in place:
            // others may have it open, so it cannot be swapped for a build. A copy of it as it
            // was is kept until the demo is whole, and a demo that fails or is killed says how to
            // return to that copy, which removes exactly what the demo wrote.
            let opened = open_store(&config, true).map_err(fail)?;
            ensure_founder(&*opened.store, &account, &source, clock.now()).map_err(fail)?;
            let desk = sign_in(&opened, &account, &source, clock.clone())?;
            // The demo refuses, before writing anything, a store with patients or too many asked for.
            let writes = desk.store_info().map_err(fail)?.patient_count == 0 && patients <= demo::MAX_PATIENTS;
            let before = demo::before_demo_path(&config.store_file);
            if writes {
                // A copy left by a demo killed before its first patients is the store as it was
                // before that demo too: it is kept, not replaced by one holding that demo's staff.
                if !before.exists() {
                    desk.backup(&before).map_err(fail)?;
                }
                eprintln!(
                    "Writing a demo hospital into the store at {}; a copy of it as it was is at {}.\n\
                     If the demo does not finish, remove what it wrote with (no chartroom running):\n  {}",
                    config.store_file.display(),
                    before.display(),
                    demo::undo_command(&config.store_file, &before)
                );
            }
            match make_demo(&desk, &opened, patients, seed) {
                Ok(()) => {
                    if writes {
                        let _ = std::fs::remove_file(&before);
                    }
                    Ok(())
                }
                Err(e) if writes => Err(CliError {
                    message: format!(
                        "{e}\nThe demo wrote part of a hospital into {}. Remove what it wrote with (no chartroom \
                         running):\n  {}",
                        config.store_file.display(),
                        demo::undo_command(&config.store_file, &before)
                    ),
                    status: e.status,
                }),
                Err(e) => Err(e),
            }
        }
        // The copy opens the two stores it names, not the configured one.
        Some(Command::Copy { from, to, password_file, batch_rows }) => {
            let args = copy::CopyArgs { from, to, password_file, batch_rows };
            copy::run(&config, &account, &source, &*clock, args)
        }
        Some(command) => {
            let opened = open_store(&config, false).map_err(fail)?;
            let desk = sign_in(&opened, &account, &source, clock)?;
            run_command(&desk, &opened, &config, command)
        }
    }
}

/// `chartroom migrate`: the configured store brought up to this program's schema, saying from which
/// version to which. No user is signed in: migrating is an administrator's act on the store's files
/// or database role, and an older schema may not hold what signing in reads.
///
/// A store at this program's schema whose audit trail lost the triggers that keep it append-only
/// (and so refuses to open) gets them back, with an event that says what was missing: the hash chain,
/// not the triggers, is what shows whether events were changed meanwhile, and the message says to
/// run `chartroom audit verify`.
fn migrate(config: &Config, audit: impl Fn(&str) -> crate::domain::audit::NewAuditEvent) -> Result<(), CliError> {
    let known = crate::store::sqlite::schema::current_version();
    let restored = |missing: Vec<String>, at: &str| {
        if !missing.is_empty() {
            println!(
                "Put back the audit trail's protection in {at} ({}). Run `chartroom audit verify` to see whether \
                 events were changed while it was missing.",
                missing.join("; ")
            );
        }
    };
    let Some(postgres) = &config.postgres else {
        if !config.store_file.exists() {
            return Err(fail(crate::setup::SetupError::NoStore(config.store_file.display().to_string())));
        }
        let found = crate::store::sqlite::stored_version(&config.store_file).map_err(fail)?;
        if found > known {
            return Err(fail(crate::store::StoreError::TooNew { found, known }));
        }
        let missing = if found > 0 {
            crate::store::sqlite::SqliteStore::restore_protection(&config.store_file, audit).map_err(fail)?
        } else {
            Vec::new()
        };
        restored(missing.clone(), &format!("the store at {}", config.store_file.display()));
        if found == known {
            if missing.is_empty() {
                println!("The store at {} is at schema version {known}; nothing to do.", config.store_file.display());
            }
            return Ok(());
        }
        // Opening upgrades a SQLite store, after writing a copy of it as it was beside it. No key
        // is read or made: the schema is all a migration touches.
        let dir = config.store_file.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let sharing = crate::store::sqlite::FileSharing::of_directory(dir);
        drop(crate::store::sqlite::SqliteStore::open_with(&config.store_file, sharing).map_err(fail)?);
        let copy = crate::store::sqlite::upgrade_backups(&config.store_file, found).pop();
        println!(
            "Upgraded the store at {} from schema version {found} to {known}.{}",
            config.store_file.display(),
            copy.map(|c| format!(" A copy of it as it was is {}.", c.display())).unwrap_or_default()
        );
        return Ok(());
    };
    let pg_config = crate::setup::postgres_config(postgres).map_err(fail)?;
    let missing = crate::store::postgres::PgStore::restore_protection(pg_config, audit("")).map_err(fail)?;
    let store = crate::setup::connect_postgres(postgres).map_err(fail)?;
    restored(missing, &format!("the database at {}", store.target()));
    let known = crate::store::postgres::schema::current_version();
    let found = store.schema_version().map_err(fail)?;
    if found == 0 {
        return Err(fail(crate::setup::SetupError::NoDatabaseStore(store.target().to_string())));
    }
    if found == known {
        println!("The database at {} is at schema version {known}; nothing to do.", store.target());
        return Ok(());
    }
    let now = store.migrate().map_err(fail)?;
    println!("Upgraded the database at {} from schema version {found} to {now}.", store.target());
    Ok(())
}

/// Opens the store, creating it (you as director) and, on a first run, a demo hospital.
fn open_or_create(
    config: &Config,
    account: &str,
    source: &str,
    clock: &dyn Clock,
    with_demo: bool,
) -> Result<OpenedStore, CliError> {
    let made_dir = config.store_file.parent().is_some_and(|d| !d.as_os_str().is_empty() && !d.exists());
    let made_key = !config.key_file.exists();
    let opened = open_store(config, true).map_err(fail)?;
    if !opened.created {
        return Ok(opened);
    }
    let founded = ensure_founder(&*opened.store, account, source, clock.now()).map_err(fail).and_then(|_| {
        if with_demo {
            eprintln!("First run: creating a demo hospital in {} …", opened.location);
            let desk = sign_in(&opened, account, source, Arc::new(SystemClock::local()))?;
            make_demo(&desk, &opened, demo::FIRST_RUN_PATIENTS, 1)?;
        }
        Ok(())
    });
    match founded {
        Ok(()) => Ok(opened),
        Err(e) => {
            // A store made now but not whole is removed, so that the next run or `init` makes it
            // afresh instead of finding "a store already exists". A database is left to its
            // administrator: it may hold what others wrote since.
            let sqlite = matches!(opened.location, StoreLocation::Sqlite(_));
            drop(opened);
            if sqlite {
                crate::setup::discard_files(config, made_dir, made_key);
            }
            Err(e)
        }
    }
}

fn sign_in(opened: &OpenedStore, account: &str, source: &str, clock: Arc<dyn Clock>) -> Result<Desk, CliError> {
    let clock = department_clock(opened, clock);
    Desk::sign_in(opened.store.clone(), account, source.to_string(), opened.key.clone(), clock)
        .map(|desk| desk.with_file_sharing(opened.sharing))
        .map_err(fail)
}

/// The department's day is its home facility's (the first in the store), in that facility's time
/// zone, not the host's; a store with no facility yet keeps the clock it was given.
fn department_clock(opened: &OpenedStore, clock: Arc<dyn Clock>) -> Arc<dyn Clock> {
    match opened.store.list_facilities().ok().and_then(|f| f.into_iter().next()) {
        Some(home) => Arc::new(SystemClock::in_zone(&home.timezone)),
        None => clock,
    }
}

fn make_demo(desk: &Desk, opened: &OpenedStore, patients: usize, seed: u64) -> Result<(), CliError> {
    let started = std::time::Instant::now();
    // The demo's days are its home facility's, as every later session's are: a new store has no
    // facility yet, so the desk signed in on the host's clock.
    let facilities = opened.store.list_facilities().map_err(fail)?;
    let desk = &desk.clone().with_clock(Arc::new(SystemClock::in_zone(&demo::home_zone(&facilities))));
    let options = DemoOptions { patients, seed, today: desk.today() };
    let interactive = std::io::stderr().is_terminal();
    let mut last_line = std::time::Instant::now();
    let mut progress = |done: usize, total: usize| {
        if interactive {
            eprint!("\r  {done:>9} / {total} patients");
            let _ = std::io::stderr().flush();
        } else if last_line.elapsed().as_secs() >= 5 || done == total {
            eprintln!("  {done} / {total} patients");
            last_line = std::time::Instant::now();
        }
    };
    let counts = demo::populate(desk, &opened.key, &options, &mut progress).map_err(fail)?;
    if interactive {
        eprintln!();
    }
    eprintln!(
        "Demo hospital ready in {:.1} s: {} patients, {} encounters, {} documents, {} open deficiencies.",
        started.elapsed().as_secs_f64(),
        counts.patients,
        counts.encounters,
        counts.documents,
        counts.deficiencies
    );
    Ok(())
}

fn parse_roles(codes: &[String]) -> Result<Vec<Role>, CliError> {
    codes.iter().flat_map(|c| c.split(',')).filter(|c| !c.is_empty()).map(|c| Role::parse(c).map_err(fail)).collect()
}

fn run_command(desk: &Desk, opened: &OpenedStore, config: &Config, command: Command) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    // A reader that stops early (`| head`) is not an error worth a message.
    let mut emit = |text: String| -> Result<(), CliError> {
        match writeln!(out, "{text}") {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(fail(e)),
            _ => Ok(()),
        }
    };
    match command {
        Command::Init { .. } | Command::Demo { .. } | Command::Migrate | Command::Copy { .. } => Ok(()),
        Command::Search { query, json, limit } => {
            let outcome = desk.search(&query, Page::first(limit)).map_err(fail)?;
            if let Some(shape) = outcome.shape {
                desk.record_search_shown(shape, &outcome.page.rows, outcome.page.has_more).map_err(fail)?;
            }
            if let Some(problem) = &outcome.problem {
                return Err(CliError::new(format!("cannot search on that: {problem}")));
            }
            if json { emit(print::search_json(&outcome)) } else { emit(print::search_text(&outcome, desk.today())) }
        }
        Command::Chart { mrn, json, reason, signature_stdin } => {
            let chart = match reason {
                Some(reason) => {
                    if let Some(problem) = crate::domain::privacy::reason_problem(&reason) {
                        return Err(CliError::new(problem));
                    }
                    let code = signature::read_code("Signature code", signature_stdin)?;
                    desk.open_chart_by_mrn_with_reason(&mrn, &reason, &code).map_err(fail)?
                }
                None => desk.open_chart_by_mrn(&mrn).map_err(fail)?,
            };
            if json { emit(print::chart_json(&chart)) } else { emit(print::chart_text(&chart, desk.today())) }
        }
        Command::User { action } => match action {
            UserCommand::Add { name, roles, display_name } => {
                let user = desk.add_user(&name, display_name.as_deref(), parse_roles(&roles)?).map_err(fail)?;
                emit(format!("Added {} ({}).", user.username, print::roles(&user.roles)))
            }
            UserCommand::List { json } => {
                let users = desk.list_users().map_err(fail)?;
                if json { emit(print::to_json(&users)) } else { emit(print::users_text(&users)) }
            }
            UserCommand::Roles { name, roles } => {
                let user = desk.set_user_roles(&name, parse_roles(&roles)?).map_err(fail)?;
                emit(format!("{} now holds {}.", user.username, print::roles(&user.roles)))
            }
            UserCommand::Disable { name } => {
                let user = desk.set_user_enabled(&name, false).map_err(fail)?;
                emit(format!("{} is disabled.", user.username))
            }
            UserCommand::Enable { name } => {
                let user = desk.set_user_enabled(&name, true).map_err(fail)?;
                emit(format!("{} is enabled.", user.username))
            }
            UserCommand::Link { name, mrn } => {
                let user = desk.link_user(&name, Some(&mrn)).map_err(fail)?;
                emit(format!("{} is linked to their own record; chartroom refuses it to them.", user.username))
            }
            UserCommand::Unlink { name } => {
                let user = desk.link_user(&name, None).map_err(fail)?;
                emit(format!("{} is linked to no patient record.", user.username))
            }
            UserCommand::ClearSignature { name } => {
                desk.clear_signature(&name).map_err(fail)?;
                emit(format!("{name}'s signature code is cleared: they set a new one with chartroom user signature."))
            }
            UserCommand::Signature { signature_stdin } => {
                // One who has a code gives it first (on standard input, the line before the new one).
                let old = if desk.current_user().map_err(fail)?.has_signature {
                    Some(signature::read_code("Your signature code now", signature_stdin)?)
                } else {
                    None
                };
                let code = signature::read_code("New signature code", signature_stdin)?;
                if let Some(problem) = crate::domain::privacy::signature_code_problem(&code) {
                    return Err(CliError::new(problem));
                }
                if !signature_stdin && signature::read_code("Again", false)? != code {
                    return Err(CliError::new("the two codes differ; nothing was changed".into()));
                }
                match old {
                    Some(old) => desk.change_signature(&old, &code).map_err(fail)?,
                    None => desk.set_signature(&code).map_err(fail)?,
                }
                emit(format!("Your signature code ({}) is set.", desk.user().username))
            }
        },
        Command::Facility { action } => match action {
            FacilityCommand::Add { code, name, state, kind, tz } => {
                let kind = FacilityKind::from_code(&kind).unwrap_or(FacilityKind::Hospital);
                let facility = NewFacility::validate(&code, &name, &state, kind, &tz).map_err(fail)?;
                let created = desk.add_facility(facility).map_err(fail)?;
                emit(format!("Added facility {} — {}.", created.code, created.name))
            }
            FacilityCommand::List { json } => {
                let facilities = desk.list_facilities().map_err(fail)?;
                if json { emit(print::to_json(&facilities)) } else { emit(print::facilities_text(&facilities)) }
            }
        },
        Command::Audit { action: AuditCommand::List { patient, provider, json, limit } } => {
            let events = desk.list_audit(patient.as_deref(), provider.as_deref(), limit).map_err(fail)?;
            if json { emit(print::to_json(&events)) } else { emit(print::audit_text(&events)) }
        }
        Command::Audit { action: AuditCommand::Verify { json, anchor } } => {
            let report = desk.verify_audit(anchor.as_deref()).map_err(fail)?;
            emit(if json { print::to_json(&report) } else { audit::verify_text(&report) })?;
            if report.is_whole() { Ok(()) } else { Err(CliError::new("the audit trail did not verify".into())) }
        }
        Command::Audit { action: AuditCommand::Access { mrn, from, to, json, csv } } => {
            let (from, to) = audit::range(desk, from, to);
            let report = desk.audit_access_report(&mrn, from, to).map_err(fail)?;
            let title = format!("Access to the record of MRN {} from {from} to {to}", mrn.trim());
            emit(audit::report(desk, &title, &report, audit::Format::of(json, csv))?)
        }
        Command::Audit { action: AuditCommand::User { name, from, to, json, csv } } => {
            let (from, to) = audit::range(desk, from, to);
            let report = desk.audit_user_report(&name, from, to).map_err(fail)?;
            let title = format!("What {} did from {from} to {to}", name.trim());
            emit(audit::report(desk, &title, &report, audit::Format::of(json, csv))?)
        }
        Command::Audit { action: AuditCommand::BreakGlass { since, json, csv } } => {
            let report = desk.break_glass_events(since).map_err(fail)?;
            let title = match since {
                Some(day) => format!("Charts opened past their warning since {day}"),
                None => "Charts opened past their warning".to_string(),
            };
            emit(audit::report(desk, &title, &report, audit::Format::of(json, csv))?)
        }
        Command::Backup { file } => {
            desk.backup(&file).map_err(fail)?;
            emit(format!(
                "Wrote a consistent copy of the store to {}. Keep the SSN key file ({}) with it.",
                file.display(),
                opened.key_file.display()
            ))
        }
        Command::Nightly { status: true, json, .. } => {
            let claims = desk.nightly_status().map_err(fail)?;
            let through = desk.nightly_through().map_err(fail)?;
            if json {
                emit(print::to_json(&serde_json::json!({
                    "finished_through": through,
                    "runs": claims.iter().map(|(c, h)| serde_json::json!({"claim": c, "holder": h})).collect::<Vec<_>>(),
                })))
            } else {
                emit(print::nightly_status_text(through, &claims))
            }
        }
        Command::Nightly { date, json, .. } => {
            let date = date.unwrap_or_else(|| desk.today());
            let summary = desk.nightly(date, Some(&config.data_dir.join("letters"))).map_err(fail)?;
            if json { emit(print::to_json(&summary)) } else { emit(summary.to_string()) }
        }
        Command::Deficiencies { action } => deficiencies::run(desk, action, &mut emit),
        Command::ChartVolume { action } => file_room::run_chart_volume(desk, action, &mut emit),
        Command::Volume { action } => file_room::run_volume(desk, action, &mut emit),
        Command::ChartRequest { action } => file_room::run_chart_request(desk, action, &mut emit),
        Command::PullList { date, json } => file_room::run_pull_list(desk, date, json, &mut emit),
        Command::Roi { action } => {
            roi::run(desk, &config.data_dir.join("letters"), &config.data_dir.join("releases"), action, &mut emit)
        }
        Command::Template { action } => roi::run_template(desk, action, &mut emit),
        Command::Disclosure { action } => disclosure::run(desk, action, &mut emit),
        Command::FeeSchedule { action } => fees::run_schedule(desk, action, &mut emit),
        Command::Policy { action } => match action {
            PolicyCommand::Show { facility, json } => {
                let policy = match &facility {
                    Some(code) => desk.facility_deficiency_policy(code).map_err(fail)?,
                    None => desk.deficiency_policy().map_err(fail)?,
                };
                if json {
                    emit(print::to_json(&policy))
                } else {
                    emit(format!(
                        "notice at {} days after discharge, final notice at {}, delinquent at {}",
                        policy.notice_days, policy.final_notice_days, policy.delinquent_days
                    ))
                }
            }
            PolicyCommand::Claims { hours, end_of_day } => {
                let lapse = match (hours, end_of_day) {
                    (Some(h), _) => {
                        desk.set_claim_lapse(crate::domain::completion::ClaimLapse::Hours(h)).map_err(fail)?
                    }
                    (None, true) => {
                        desk.set_claim_lapse(crate::domain::completion::ClaimLapse::EndOfDay).map_err(fail)?
                    }
                    (None, false) => desk.claim_lapse().map_err(fail)?,
                };
                emit(format!("A claim on a deficiency lapses {}.", lapse.describe()))
            }
            PolicyCommand::Set { facility, notice, final_notice, delinquent } => {
                let mut policy = match &facility {
                    Some(code) => desk.facility_deficiency_policy(code).map_err(fail)?,
                    None => desk.deficiency_policy().map_err(fail)?,
                };
                policy.notice_days = notice.unwrap_or(policy.notice_days);
                policy.final_notice_days = final_notice.unwrap_or(policy.final_notice_days);
                policy.delinquent_days = delinquent.unwrap_or(policy.delinquent_days);
                let policy = match &facility {
                    Some(code) => desk.set_facility_deficiency_policy(code, policy).map_err(fail)?,
                    None => desk.set_deficiency_policy(policy).map_err(fail)?,
                };
                emit(format!(
                    "Policy: notice {} days, final notice {}, delinquent {}. Items seeded from now on use it.",
                    policy.notice_days, policy.final_notice_days, policy.delinquent_days
                ))
            }
        },
        Command::DeficiencyType { action } => match action {
            DeficiencyTypeCommand::List { json } => {
                let types = desk.deficiency_types().map_err(fail)?;
                if json { emit(print::to_json(&types)) } else { emit(deficiencies::types_text(&types)) }
            }
            DeficiencyTypeCommand::Add(fields) => {
                let code = fields.code.to_ascii_uppercase();
                if desk.deficiency_type(&code).map_err(fail)?.is_some() {
                    return Err(CliError::new(format!("type {code} exists; use deficiency-type edit")));
                }
                let kind = deficiencies::type_from(fields, None)?;
                desk.save_deficiency_type(kind).map_err(fail)?;
                emit(format!("Added deficiency type {code}."))
            }
            DeficiencyTypeCommand::Edit(fields) => {
                let code = fields.code.to_ascii_uppercase();
                let existing = desk.deficiency_type(&code).map_err(fail)?;
                let Some(existing) = existing else {
                    return Err(CliError::new(format!("no active deficiency type {code}")));
                };
                let kind = deficiencies::type_from(fields, Some(existing))?;
                desk.save_deficiency_type(kind).map_err(fail)?;
                emit(format!("Changed deficiency type {code}."))
            }
            DeficiencyTypeCommand::Retire { code } => {
                desk.retire_deficiency_type(&code.to_ascii_uppercase()).map_err(fail)?;
                emit(format!("Retired deficiency type {}.", code.to_ascii_uppercase()))
            }
        },
        Command::Provider { action } => match action {
            ProviderCommand::Leave { npi, from, to } => {
                desk.add_provider_leave(&npi, from, to).map_err(fail)?;
                emit(format!("Leave recorded for NPI {npi}: {from} to {to}."))
            }
            ProviderCommand::Suspend { npi, date, override_rules, reason } => {
                let date = date.unwrap_or_else(|| desk.today());
                let override_reason = if override_rules { reason.as_deref() } else { None };
                desk.confirm_suspension(&npi, date, override_reason).map_err(fail)?;
                emit(format!("Suspension of NPI {npi} confirmed from {date}."))
            }
            ProviderCommand::Reinstate { npi, date, reason } => {
                let date = date.unwrap_or_else(|| desk.today());
                desk.lift_suspension(&npi, date, &reason, Some(&config.data_dir.join("letters"))).map_err(fail)?;
                emit(format!("Suspension of NPI {npi} lifted from {date}; a reinstatement letter was written."))
            }
        },
        Command::Import { source } => {
            let (fhir, paths, options) = match source {
                ImportCommand::SyntheaCsv { dir, options } => (false, vec![dir], options),
                ImportCommand::Fhir { paths, options } => (true, paths, options),
            };
            let ImportOptions { facility, open_since, dry_run, strict, rejects, into_demo, json } = options;
            desk.check_import_target(into_demo).map_err(fail)?;
            let open_since = open_since.unwrap_or_else(|| desk.today() - chrono::Duration::days(30));
            let interactive = std::io::stderr().is_terminal();
            // The bar's text around it takes about 50 columns; a line that wraps cannot redraw.
            let bar_width =
                crossterm::terminal::size().map_or(24, |(cols, _)| usize::from(cols).saturating_sub(52).clamp(6, 40));
            let mut progress = |step: &crate::desk::import::ImportProgress| {
                // A bar that redraws itself on a terminal; plain lines in a log.
                if interactive {
                    eprint!("\r\x1b[2K  {}", step.bar(bar_width));
                } else {
                    eprintln!("  {}", step.line());
                }
            };
            let mode = crate::desk::import::ImportMode { dry_run, strict };
            let report = if fhir {
                desk.import_fhir(&paths, facility.as_deref(), open_since, mode, &mut progress)
            } else {
                desk.import_synthea_csv_with(&paths[0], facility.as_deref(), open_since, mode, &mut progress)
            }
            .map_err(fail)?;
            if let Some(file) = &rejects {
                let mut text = String::from("file\tline\tcolumn\treason\n");
                for r in &report.rejections {
                    // Tab-separated, one per line: the reasons are ours, the file names the user's.
                    let field = |s: &str| s.replace(['\t', '\n', '\r'], " ");
                    text.push_str(&format!(
                        "{}\t{}\t{}\t{}\n",
                        field(&r.file),
                        r.line,
                        field(r.column.as_deref().unwrap_or_default()),
                        field(&r.reason)
                    ));
                }
                // Patient data: its writer's alone, on a shared install too.
                crate::files::write_private(file, text.as_bytes(), crate::files::FileSharing::Private)
                    .map_err(|e| CliError::new(format!("could not write the rejects to {}: {e}", file.display())))?;
            }
            if interactive {
                eprintln!();
            }
            if json {
                emit(print::to_json(&report))?;
            } else {
                let c = &report.counts;
                let mut text = format!(
                    "{:<18} {:>8} {:>8} {:>8} {:>10} {:>9}\n",
                    "", "read", "created", "updated", "unchanged", "rejected"
                );
                // A kind the export does not carry (locations in a CSV export) is left out.
                for (kind, k) in c.by_kind() {
                    if k == Default::default() && matches!(kind, "locations" | "practitioner roles" | "procedures") {
                        continue;
                    }
                    text.push_str(&format!(
                        "{kind:<18} {:>8} {:>8} {:>8} {:>10} {:>9}\n",
                        k.read, k.created, k.updated, k.unchanged, k.rejected
                    ));
                }
                if report.dry_run {
                    text.push_str("Dry run: nothing was written.\n");
                }
                for warning in &report.warnings {
                    text.push_str(&format!("warning: {warning}\n"));
                }
                for rejection in report.rejections.iter().take(50) {
                    text.push_str(&format!("rejected: {rejection}\n"));
                }
                emit(text.trim_end().to_string())?;
            }
            if report.rejections.is_empty() {
                Ok(())
            } else {
                Err(CliError::new(format!("{} records were rejected", report.rejections.len())))
            }
        }
        Command::Bench { iterations, json, compare } => {
            let report = bench::run(desk, opened, config, iterations, compare.as_deref())?;
            if json { emit(print::to_json(&report)) } else { emit(report.to_string()) }
        }
    }
}
