//! Where a PostgreSQL password comes from: never the command line (it would sit in the shell's
//! history and in every `ps` listing), but a password file the configuration names, `PGPASSWORD`,
//! or `~/.pgpass` (`PGPASSFILE`), as libpq reads it.
//!
//! A small helper for `chartroom copy`; the store's own configuration (`[store] url`,
//! `password_file`) may replace it.

use std::path::{Path, PathBuf};

/// A connection string for a command line: a URL (`postgres://user@host:port/db`) or libpq's
/// `key=value` form. One that carries a password is refused, with where to put it instead; the
/// message never repeats the string.
pub fn parse_target(text: &str) -> Result<tokio_postgres::Config, String> {
    let config: tokio_postgres::Config =
        text.parse().map_err(|e| format!("{text:?} is not a PostgreSQL connection URL ({e})"))?;
    if config.get_password().is_some() {
        return Err("the connection URL holds a password, and a command line is no place for one (it stays in the \
                    shell's history and shows in `ps`): take it out of the URL and put it in ~/.pgpass \
                    (host:port:database:user:password, mode 0600), in PGPASSWORD, or in a file named by \
                    --password-file"
            .into());
    }
    Ok(config)
}

/// The password for `config`'s connection: the password file if one is named, else `PGPASSWORD`,
/// else the first matching line of the pgpass file. None where none applies (a server that trusts
/// the connection needs none).
pub fn find_password(config: &tokio_postgres::Config, password_file: Option<&Path>) -> Result<Option<String>, String> {
    if let Some(file) = password_file {
        return read_password_file(file).map(Some);
    }
    if let Ok(password) = std::env::var("PGPASSWORD")
        && !password.is_empty()
    {
        return Ok(Some(password));
    }
    let Some(pgpass) = pgpass_path() else { return Ok(None) };
    let Ok(text) = std::fs::read_to_string(&pgpass) else { return Ok(None) };
    if group_or_world_readable(&pgpass) {
        // As libpq does: a password others can read is not used.
        tracing::warn!("the password file is readable by others; ignored");
        eprintln!("warning: {} is readable by other accounts, so it is not used (chmod 0600 it)", pgpass.display());
        return Ok(None);
    }
    let (host, port, database, user) = lookup_key(config);
    Ok(pgpass_lookup(&text, &host, &port, &database, &user))
}

fn read_password_file(file: &Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("cannot read the password file {}: {e}", file.display()))?;
    // 0640 lets a department's group read it; anything wider lets others read or change it.
    let mode = std::fs::metadata(file).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    if mode & 0o037 != 0 {
        return Err(format!(
            "the password file {} may be read or written by others (mode {mode:o}); make it 0600 or 0640",
            file.display()
        ));
    }
    let password = text.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        return Err(format!("the password file {} is empty", file.display()));
    }
    Ok(password)
}

fn group_or_world_readable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o077 != 0).unwrap_or(false)
}

fn pgpass_path() -> Option<PathBuf> {
    if let Some(file) = std::env::var_os("PGPASSFILE") {
        return Some(PathBuf::from(file));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pgpass"))
}

/// The host, port, database and user a pgpass line is matched against, as libpq forms them: a
/// Unix socket directory counts as `localhost`, the port defaults to 5432 and the database to the
/// user's name.
fn lookup_key(config: &tokio_postgres::Config) -> (String, String, String, String) {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(name)) => name.clone(),
        Some(tokio_postgres::config::Host::Unix(_)) | None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = config.get_user().unwrap_or_default().to_string();
    let database = config.get_dbname().map_or_else(|| user.clone(), str::to_string);
    (host, port, database, user)
}

/// The password of the first line of a pgpass file that matches: five fields separated by `:`,
/// each of the first four matching exactly or by `*`, with `\:` and `\\` escaping; `#` starts a
/// comment line.
pub fn pgpass_lookup(text: &str, host: &str, port: &str, database: &str, user: &str) -> Option<String> {
    text.lines().filter(|line| !line.trim_start().starts_with('#')).find_map(|line| {
        let fields = pgpass_fields(line);
        let [h, p, d, u, password] = fields.as_slice() else { return None };
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        (matches(h, host) && matches(p, port) && matches(d, database) && matches(u, user)).then(|| password.clone())
    })
}

/// Splits a pgpass line into its fields: the fifth takes the rest of the line.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            _ => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_with_a_password_is_refused_without_repeating_it() {
        let err = parse_target("postgres://clerk:hunter2@db.example:5432/chartroom").unwrap_err();
        assert!(err.contains("~/.pgpass") && err.contains("PGPASSWORD"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = parse_target("host=db.example user=clerk password=hunter2").unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        let config = parse_target("postgres://clerk@db.example:5433/chartroom").unwrap();
        assert_eq!(lookup_key(&config), ("db.example".into(), "5433".into(), "chartroom".into(), "clerk".into()));
    }

    #[test]
    fn pgpass_lines_match_as_libpq_matches_them() {
        let text = "# a comment\n\
                    other.example:5432:*:clerk:wrong\n\
                    db.example:*:chartroom:clerk:pa\\:ss\\\\word\n\
                    *:*:*:*:fallback:with:colons\n";
        assert_eq!(pgpass_lookup(text, "db.example", "5433", "chartroom", "clerk").as_deref(), Some("pa:ss\\word"));
        assert_eq!(
            pgpass_lookup(text, "db.example", "5432", "other", "clerk").as_deref(),
            Some("fallback:with:colons")
        );
        assert_eq!(
            pgpass_lookup("db.example:5432:chartroom:clerk:x\n", "db.example", "5432", "chartroom", "dhim"),
            None
        );
    }
}
