//! `chartroom copy --from sqlite:PATH --to postgres://…`: the whole store into an empty PostgreSQL
//! database, with progress on stderr and the count check on stdout.

use super::{CliError, fail};
use crate::config::Config;
use crate::desk::Clock;
use crate::desk::copy::{CopyRequest, copy_to_postgres};
use crate::store::copy::{CopyProgress, CopyReport};
use crate::store::postgres::PgStore;
use crate::store::postgres::target::{PasswordSources, PgTarget, find_password};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// What `copy` was asked.
pub struct CopyArgs {
    pub from: Option<String>,
    pub to: String,
    pub password_file: Option<PathBuf>,
    pub batch_rows: usize,
}

/// `--batch-rows`: rows per transaction, at least one.
pub fn batch_rows(text: &str) -> Result<usize, String> {
    match text.trim().replace('_', "").parse::<usize>() {
        Ok(n) if (1..=10_000_000).contains(&n) => Ok(n),
        _ => Err(format!("--batch-rows is how many rows go in one transaction, 1 to 10000000, not {text:?}")),
    }
}

pub fn run(
    config: &Config,
    account: &str,
    session_source: &str,
    clock: &dyn Clock,
    args: CopyArgs,
) -> Result<(), CliError> {
    let source = match args.from.as_deref() {
        None => config.store_file.clone(),
        Some(from) if from.starts_with("postgres:") || from.starts_with("postgresql:") => {
            return Err(CliError::new(
                "copy moves a SQLite store into PostgreSQL: --from names the SQLite store (sqlite:PATH)".into(),
            ));
        }
        Some(from) => PathBuf::from(from.strip_prefix("sqlite:").unwrap_or(from)),
    };
    let target = PgTarget::parse(&args.to).map_err(|e| match args.to.trim_start().starts_with("sqlite:") {
        true => CliError::new(
            "--to: copy writes into a PostgreSQL database (postgres://…); a store file is copied with \
             `chartroom backup`"
                .into(),
        ),
        false if e == crate::store::postgres::target::TargetError::PasswordInUrl => {
            CliError::new(format!("--to: {e}; or name one with --password-file"))
        }
        false => CliError::new(format!("--to: {e}")),
    })?;
    // The configured store's password file serves when the configured store is the one copied into.
    let password_file = args
        .password_file
        .clone()
        .or_else(|| config.postgres.as_ref().filter(|p| p.target == target).and_then(|p| p.password_file.clone()));
    let mut warnings = Vec::new();
    let password = find_password(&target, account, &PasswordSources::from_environment(password_file), &mut warnings);
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let password = password.map_err(|e| CliError::new(format!("--to: {e}")))?;
    let store = PgStore::connect(target.connect_config(account, password.as_deref())).map_err(fail)?;
    let request = CopyRequest { username: account, session_source, source: &source, batch_rows: args.batch_rows };
    let interactive = std::io::stderr().is_terminal();
    let said = (source.display().to_string(), store.target().to_string());
    let report = copy_to_postgres(&request, &store, clock, move |step| show_progress(&step, &said, interactive));
    if interactive {
        eprintln!();
    }
    let report = report.map_err(fail)?;
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{}", counts_text(&report));
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(fail(e));
    }
    // The store checks its key: the key of the store copied goes to every workstation.
    let key = if source == config.store_file {
        config.key_file.display().to_string()
    } else {
        format!("the one the installation of {} uses", source.display())
    };
    eprintln!(
        "The SSN key file stays with the installation: every workstation that opens the new store needs the key \
         file of the store copied ({key}), mode 0600."
    );
    Ok(())
}

/// One line per batch in a log; on a terminal, one line per table, redrawn. `said` names the source
/// and the target.
fn show_progress(step: &CopyProgress, said: &(String, String), interactive: bool) {
    match step {
        CopyProgress::Began { rows, tables } => eprintln!(
            "Copying the store at {} ({rows} rows in {tables} tables) into PostgreSQL {}.\nWhat clerks change in it \
             from now on is not copied: stop the desks first.",
            said.0, said.1
        ),
        CopyProgress::Rows { table, rows, of, elapsed } => {
            let noun = if *of == 1 { "row " } else { "rows" };
            let line = format!("  {table:<27} {rows:>10} of {of:>10} {noun}  {:>9} rows/s", rate(*rows, *elapsed));
            if interactive {
                eprint!("\r\x1b[2K{line}");
                if rows >= of {
                    eprintln!();
                }
                let _ = std::io::stderr().flush();
            } else {
                eprintln!("{line}");
            }
        }
        CopyProgress::BuildingIndexes => {
            if interactive {
                eprint!("\r\x1b[2K");
            }
            eprintln!("  building the indexes and analyzing the tables …");
        }
    }
}

fn rate(rows: u64, elapsed: Duration) -> u64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 { (rows as f64 / seconds) as u64 } else { rows }
}

/// The count check: every table by name, its rows in each store.
fn counts_text(report: &CopyReport) -> String {
    let mut text = format!("{:<27} {:>12} {:>12}\n", "table", "SQLite", "PostgreSQL");
    let mut tables: Vec<_> = report.tables.iter().collect();
    tables.sort_by(|a, b| a.table.cmp(&b.table));
    for t in tables {
        text.push_str(&format!("{:<27} {:>12} {:>12}\n", t.table, t.source, t.target));
    }
    let tables = report.tables.len();
    text.push_str(&format!(
        "Copied {} rows in {:.0} s; every one of the {tables} tables holds as many rows as the SQLite store.",
        report.rows(),
        report.elapsed.as_secs_f64()
    ));
    text
}
