//! Where a PostgreSQL store is, and where its password comes from — never the URL.
//!
//! A store URL is libpq's: `postgres://user@host:port/dbname?application_name=…&connect_timeout=…`,
//! with `host=/dir` (or a percent-encoded `%2Fdir` as the host) for a Unix socket. Its password is
//! looked up the way libpq looks it up, so an installation that already runs `psql` needs nothing
//! new: a configured `password_file` first (the store's own `password` parameter), then
//! `PGPASSWORD`, then `~/.pgpass` (or `PGPASSFILE`), read with libpq's rules.
//!
//! Parsing and matching are pure and tested here; the few reads of a file or the environment are
//! kept in small functions at the end. This lives beside the PostgreSQL store rather than in
//! `config.rs` because it is PostgreSQL's convention, not chartroom's, and every command that names a
//! server (the configured store, `chartroom copy --to`) reads it the same way.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// libpq's default port.
pub const DEFAULT_PORT: u16 = 5432;

/// Where PostgreSQL's packages for Debian and Ubuntu put the server's socket, libpq's default host
/// there. A URL naming no host connects here.
pub const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// The parameters a store URL may carry, for the message refusing any other.
const KNOWN_PARAMETERS: &str = "host, port, dbname, user, application_name, connect_timeout";

/// What to do instead of writing a password into a URL.
pub const WHERE_PASSWORDS_GO: &str = "put the password in ~/.pgpass (a line host:port:database:user:password, the \
                                      file mode 0600), in PGPASSWORD, or in a file named by [store] password_file \
                                      in config.toml (mode 0600 or 0640)";

/// A database server's address: a host name or address over TCP, or the directory of a Unix socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgHost {
    Tcp(String),
    Socket(PathBuf),
}

/// A PostgreSQL store named by a URL: everything but a password. A user or database the URL leaves
/// out is libpq's default — the operating-system account, and a database of the user's name —
/// resolved by [`PgTarget::user`] and [`PgTarget::dbname`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgTarget {
    pub host: PgHost,
    pub port: u16,
    user: Option<String>,
    dbname: Option<String>,
    pub application_name: Option<String>,
    pub connect_timeout: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("{0:?} is not a store URL: it starts postgres:// (a PostgreSQL database) or sqlite: (a store file)")]
    NotAUrl(String),
    #[error("the store URL carries a password; remove it and {WHERE_PASSWORDS_GO}")]
    PasswordInUrl,
    #[error("the store URL is malformed: {0}")]
    Malformed(String),
    #[error("the store URL names several hosts ({0}); chartroom connects to one")]
    SeveralHosts(String),
    #[error("the store URL's parameter {0:?} is not one chartroom understands ({KNOWN_PARAMETERS})")]
    UnknownParameter(String),
    #[error(
        "the store URL asks for sslmode={0}; chartroom connects without TLS, so use a Unix socket (host=/dir) or a \
         server on a network you trust, and sslmode=disable"
    )]
    Tls(String),
    #[error("the password file {path} {problem}")]
    PasswordFile { path: String, problem: String },
}

impl PgTarget {
    /// Parses a `postgres://` or `postgresql://` URL. A password in it (`user:secret@`, or
    /// `?password=`) is refused whatever else is wrong, and is never repeated in a message.
    pub fn parse(url: &str) -> Result<Self, TargetError> {
        let rest = url
            .strip_prefix("postgresql://")
            .or_else(|| url.strip_prefix("postgres://"))
            .ok_or_else(|| TargetError::NotAUrl(shown_start(url)))?;
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        // A password is looked for before anything else can fail, so that no message about another
        // part of the URL is the one a user reads before pasting it somewhere.
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (userinfo, hostspec) = match authority.find('@') {
            Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
            None => (None, authority),
        };
        if userinfo.is_some_and(|u| u.contains(':')) {
            return Err(TargetError::PasswordInUrl);
        }
        let params = match query {
            Some(query) => parse_query(query)?,
            None => Vec::new(),
        };
        if params.iter().any(|(key, _)| key == "password") {
            return Err(TargetError::PasswordInUrl);
        }

        let mut target = Self {
            host: PgHost::Socket(PathBuf::from(DEFAULT_SOCKET_DIR)),
            port: DEFAULT_PORT,
            user: None,
            dbname: None,
            application_name: None,
            connect_timeout: None,
        };
        if let Some(user) = userinfo {
            target.user = non_empty(decode(user, "the user name")?);
        }
        if hostspec.contains(',') {
            return Err(TargetError::SeveralHosts(hostspec.to_string()));
        }
        let (host, port) = split_host_port(hostspec)?;
        if let Some(host) = host {
            target.host = host_of(&decode(host, "the host")?);
        }
        if let Some(port) = port {
            target.port = parse_port(port)?;
        }
        if let Some(path) = path {
            target.dbname = non_empty(decode(path, "the database name")?);
        }
        for (key, value) in params {
            match key.as_str() {
                "host" if !value.is_empty() => target.host = host_of(&value),
                "host" => {}
                "port" => target.port = parse_port(&value)?,
                "dbname" => target.dbname = non_empty(value),
                "user" => target.user = non_empty(value),
                "application_name" => target.application_name = Some(value),
                "connect_timeout" => {
                    let seconds: u64 = value.parse().ok().filter(|s| (1..=3600).contains(s)).ok_or_else(|| {
                        TargetError::Malformed(format!(
                            "connect_timeout={value} is not a number of seconds from 1 to 3600"
                        ))
                    })?;
                    target.connect_timeout = Some(Duration::from_secs(seconds));
                }
                "sslmode" if value == "disable" => {}
                "sslmode" => return Err(TargetError::Tls(value)),
                _ => return Err(TargetError::UnknownParameter(key)),
            }
        }
        if let PgHost::Tcp(name) = &target.host
            && name.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(TargetError::Malformed(format!("{name:?} is not a host name")));
        }
        Ok(target)
    }

    /// The database role: the URL's, else the operating-system account (as libpq does).
    pub fn user<'a>(&'a self, os_user: &'a str) -> &'a str {
        self.user.as_deref().unwrap_or(os_user)
    }

    /// The database: the URL's, else one named as the role (as libpq does).
    pub fn dbname<'a>(&'a self, os_user: &'a str) -> &'a str {
        self.dbname.as_deref().unwrap_or_else(|| self.user(os_user))
    }

    /// The host as `.pgpass` matches it: a socket in the default directory is `localhost`, as in
    /// libpq; another socket directory is its path.
    pub fn pgpass_host(&self) -> String {
        match &self.host {
            PgHost::Tcp(name) => name.clone(),
            PgHost::Socket(dir) if dir == Path::new(DEFAULT_SOCKET_DIR) => "localhost".into(),
            PgHost::Socket(dir) => dir.display().to_string(),
        }
    }

    /// The connection settings for tokio-postgres.
    pub fn connect_config(&self, os_user: &str, password: Option<&str>) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        match &self.host {
            PgHost::Tcp(name) => config.host(name),
            PgHost::Socket(dir) => config.host_path(dir),
        };
        config.port(self.port).user(self.user(os_user)).dbname(self.dbname(os_user));
        if let Some(name) = &self.application_name {
            config.application_name(name);
        }
        if let Some(timeout) = self.connect_timeout {
            config.connect_timeout(timeout);
        }
        if let Some(password) = password {
            config.password(password);
        }
        config
    }

    /// `127.0.0.1:5432, database chartroom as clerk`: the target in a message.
    pub fn describe(&self, os_user: &str) -> String {
        let server = match &self.host {
            PgHost::Tcp(name) if name.contains(':') => format!("[{name}]:{}", self.port),
            PgHost::Tcp(name) => format!("{name}:{}", self.port),
            PgHost::Socket(dir) => format!("{}/.s.PGSQL.{}", dir.display(), self.port),
        };
        format!("{server}, database {} as {}", self.dbname(os_user), self.user(os_user))
    }

    /// The `pg_dump` command that backs this database up into `file`, in PostgreSQL's custom format
    /// (compressed; `pg_restore` reads it).
    pub fn pg_dump_command(&self, os_user: &str, file: &Path) -> String {
        let host = match &self.host {
            PgHost::Tcp(name) => name.clone(),
            PgHost::Socket(dir) => dir.display().to_string(),
        };
        format!(
            "pg_dump --format=custom --host={} --port={} --username={} --dbname={} --file={}",
            shell_word(&host),
            self.port,
            shell_word(self.user(os_user)),
            shell_word(self.dbname(os_user)),
            shell_word(&file.display().to_string())
        )
    }
}

/// The start of something that is not a URL, for a message: never much of it, since a mistyped
/// URL may still hold a password.
fn shown_start(text: &str) -> String {
    let cut = text.find(['@', '?']).unwrap_or(text.len());
    text[..cut].chars().take(40).collect()
}

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn host_of(host: &str) -> PgHost {
    if host.starts_with('/') { PgHost::Socket(PathBuf::from(host)) } else { PgHost::Tcp(host.to_string()) }
}

/// `host`, `host:port`, `[::1]:port`, `:port` or nothing.
fn split_host_port(spec: &str) -> Result<(Option<&str>, Option<&str>), TargetError> {
    if let Some(rest) = spec.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| TargetError::Malformed("an IPv6 address opened with [ is not closed with ]".into()))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| {
                TargetError::Malformed(format!("{after:?} after an IPv6 address; a port follows a colon"))
            })?),
        };
        return Ok((Some(host), port));
    }
    let (host, port) = match spec.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (spec, None),
    };
    Ok(((!host.is_empty()).then_some(host), port.filter(|p| !p.is_empty())))
}

fn parse_port(text: &str) -> Result<u16, TargetError> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| TargetError::Malformed(format!("{text:?} is not a port (1 to 65535)")))
}

fn parse_query(query: &str) -> Result<Vec<(String, String)>, TargetError> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| TargetError::Malformed(format!("the parameter {pair:?} has no value (key=value)")))?;
            let key = decode(key, "a parameter name")?;
            // The value of a password parameter is never decoded, nor quoted in a message.
            let value = if key == "password" { String::new() } else { decode(value, &key)? };
            Ok((key, value))
        })
        .collect()
}

/// Percent-decoding, as URLs encode `/`, `@`, `:` and spaces.
fn decode(text: &str, what: &str) -> Result<String, TargetError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(byte) = hex else {
                return Err(TargetError::Malformed(format!("{what} has a % not followed by two hex digits")));
            };
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| TargetError::Malformed(format!("{what} is not UTF-8 once decoded")))
}

/// A word a POSIX shell reads back as itself: quoted only when it has to be.
fn shell_word(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b':' | b'@' | b'+'));
    if plain { text.to_string() } else { format!("'{}'", text.replace('\'', r"'\''")) }
}

// ---- .pgpass ---------------------------------------------------------------------------------

/// The password `.pgpass` text gives for a connection, by libpq's rules: lines
/// `host:port:database:user:password`, the first match wins; a field `*` matches anything; `\:`
/// and `\\` stand for `:` and `\`; lines starting `#` are comments.
pub fn pgpass_lookup(text: &str, host: &str, port: u16, dbname: &str, user: &str) -> Option<String> {
    let port = port.to_string();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        let mut matched = true;
        for wanted in [host, port.as_str(), dbname, user] {
            match field_matches(rest, wanted) {
                Some(after) => rest = after,
                None => {
                    matched = false;
                    break;
                }
            }
        }
        if matched {
            return Some(unescape_password(rest));
        }
    }
    None
}

/// libpq's `pwdfMatchesString`: whether the field at the start of `line` matches `wanted`, and the
/// rest of the line after its colon.
fn field_matches<'a>(line: &'a str, wanted: &str) -> Option<&'a str> {
    if let Some(rest) = line.strip_prefix("*:") {
        return Some(rest);
    }
    let mut chars = line.char_indices();
    let mut wanted = wanted.chars().peekable();
    while let Some((at, c)) = chars.next() {
        let (c, escaped) = if c == '\\' {
            match chars.next() {
                Some((_, next)) => (next, true),
                None => return None,
            }
        } else {
            (c, false)
        };
        // As in libpq, an unescaped `:` ends the field only where the value sought has ended.
        if c == ':' && !escaped && wanted.peek().is_none() {
            return Some(&line[at + 1..]);
        }
        if wanted.next() != Some(c) {
            return None;
        }
    }
    None
}

/// The password field: up to an unescaped `:` or the end, `\x` read as `x`.
fn unescape_password(field: &str) -> String {
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next) => out.push(next),
                None => out.push('\\'),
            },
            ':' => break,
            c => out.push(c),
        }
    }
    out
}

/// Where a password may come from, in the order they are tried.
#[derive(Debug, Clone, Default)]
pub struct PasswordSources {
    /// The store's `password_file` in config.toml: a file holding only the password.
    pub password_file: Option<PathBuf>,
    /// `PGPASSWORD`.
    pub env_password: Option<String>,
    /// `PGPASSFILE`, else `~/.pgpass`.
    pub pgpass_file: Option<PathBuf>,
}

impl PasswordSources {
    /// The sources of this process: its environment and home directory.
    pub fn from_environment(password_file: Option<PathBuf>) -> Self {
        let pgpass_file = std::env::var_os("PGPASSFILE")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".pgpass")));
        Self { password_file, env_password: std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()), pgpass_file }
    }
}

/// The password for `target`, if any source has one. A configured `password_file` that cannot be
/// used is an error (it was asked for); a `.pgpass` that others can read is skipped with a warning,
/// as libpq does, and so is one that is not a plain file.
pub fn find_password(
    target: &PgTarget,
    os_user: &str,
    sources: &PasswordSources,
    warnings: &mut Vec<String>,
) -> Result<Option<String>, TargetError> {
    if let Some(path) = &sources.password_file {
        return read_password_file(path).map(Some);
    }
    if let Some(password) = &sources.env_password {
        return Ok(Some(password.clone()));
    }
    let Some(path) = &sources.pgpass_file else { return Ok(None) };
    let Some(text) = read_pgpass(path, warnings) else { return Ok(None) };
    Ok(pgpass_lookup(&text, &target.pgpass_host(), target.port, target.dbname(os_user), target.user(os_user)))
}

/// A `.pgpass` file's text, or None (with a warning when it exists and is unsafe).
fn read_pgpass(path: &Path, warnings: &mut Vec<String>) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        warnings.push(format!("password file {} is not a plain file; it is not read", path.display()));
        return None;
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        warnings.push(format!(
            "password file {} has group or world access (mode {mode:04o}), so it is not read; make it 0600 (chmod \
             600 {})",
            path.display(),
            path.display()
        ));
        return None;
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            warnings.push(format!("password file {} could not be read: {e}", path.display()));
            None
        }
    }
}

/// A `password_file`'s password: the file's one line. Only its owner may write it and no one
/// outside its group may read it (0600, or 0640 for a department's group).
fn read_password_file(path: &Path) -> Result<String, TargetError> {
    use std::os::unix::fs::PermissionsExt;
    let problem = |problem: String| TargetError::PasswordFile { path: path.display().to_string(), problem };
    let meta = std::fs::metadata(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(problem("is not a plain file".into()));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o037 != 0 {
        return Err(problem(format!(
            "may be read or changed by others (mode {mode:04o}); it must be 0600, or 0640 to share it with a group \
             (chmod 600 {})",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| problem(format!("cannot be read: {e}")))?;
    let password = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    if password.is_empty() {
        return Err(problem("is empty; it holds the password and nothing else".into()));
    }
    if password.contains('\n') {
        return Err(problem("holds more than one line; it holds the password and nothing else".into()));
    }
    Ok(password.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> PgTarget {
        PgTarget::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"))
    }

    #[test]
    fn a_full_url() {
        let t = parse("postgres://clerk@db.example.org:6432/him?application_name=desk&connect_timeout=3");
        assert_eq!(t.host, PgHost::Tcp("db.example.org".into()));
        assert_eq!(t.port, 6432);
        assert_eq!(t.user("root"), "clerk");
        assert_eq!(t.dbname("root"), "him");
        assert_eq!(t.application_name.as_deref(), Some("desk"));
        assert_eq!(t.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(t.describe("root"), "db.example.org:6432, database him as clerk");
    }

    #[test]
    fn libpq_defaults_fill_what_the_url_leaves_out() {
        let t = parse("postgresql://");
        assert_eq!(t.host, PgHost::Socket(PathBuf::from(DEFAULT_SOCKET_DIR)));
        assert_eq!(t.port, DEFAULT_PORT);
        assert_eq!(t.user("jdoe"), "jdoe");
        assert_eq!(t.dbname("jdoe"), "jdoe");
        let t = parse("postgres://chartroom@db/");
        assert_eq!(t.dbname("jdoe"), "chartroom", "the database defaults to the role's name");
        assert_eq!(parse("postgres://db:/x").port, DEFAULT_PORT);
    }

    #[test]
    fn unix_sockets_and_ipv6() {
        let t = parse("postgres:///chartroom?host=/srv/pg&port=5433");
        assert_eq!(t.host, PgHost::Socket(PathBuf::from("/srv/pg")));
        assert_eq!(t.port, 5433);
        assert_eq!(t.dbname("x"), "chartroom");
        assert_eq!(parse("postgres://%2Fsrv%2Fpg/db").host, PgHost::Socket(PathBuf::from("/srv/pg")));
        let t = parse("postgres://u@[::1]:5434/db");
        assert_eq!(t.host, PgHost::Tcp("::1".into()));
        assert_eq!(t.port, 5434);
        assert_eq!(t.describe("x"), "[::1]:5434, database db as u");
        assert_eq!(parse("postgres://u@[::1]/db").port, DEFAULT_PORT);
        // The query's host wins over the authority's, as in libpq.
        assert_eq!(parse("postgres://a/db?host=b").host, PgHost::Tcp("b".into()));
        assert_eq!(parse("postgres://a%20b@h/d%2Fe").user("x"), "a b");
        assert_eq!(parse("postgres://h/d%2Fe").dbname("x"), "d/e");
    }

    #[test]
    fn a_password_in_the_url_is_refused_and_never_repeated() {
        for url in [
            "postgres://clerk:s3cret@db/him",
            "postgres://clerk:@db/him",
            "postgres://clerk@db/him?password=s3cret",
            "postgres://clerk:s3cret@db:notaport/him?bogus=1",
            "postgres://clerk@db/him?sslmode=require&password=s3cret",
        ] {
            let err = PgTarget::parse(url).unwrap_err();
            assert_eq!(err, TargetError::PasswordInUrl, "{url}");
            let text = err.to_string();
            assert!(!text.contains("s3cret"), "{text}");
            assert!(text.contains("~/.pgpass") && text.contains("PGPASSWORD") && text.contains("password_file"));
        }
    }

    #[test]
    fn what_cannot_be_right_is_refused_with_what_was_wrong() {
        let err = |url: &str| PgTarget::parse(url).unwrap_err();
        assert!(matches!(err("mysql://x@y/z"), TargetError::NotAUrl(s) if s == "mysql://x"));
        assert!(matches!(err("postgres://h:99999/db"), TargetError::Malformed(m) if m.contains("\"99999\"")));
        assert!(matches!(err("postgres://h:0/db"), TargetError::Malformed(_)));
        assert!(matches!(err("postgres://a,b/db"), TargetError::SeveralHosts(h) if h == "a,b"));
        assert!(matches!(err("postgres://h/db?sslmode=require"), TargetError::Tls(m) if m == "require"));
        assert!(parse("postgres://h/db?sslmode=disable").connect_timeout.is_none());
        assert!(matches!(err("postgres://h/db?options=-c"), TargetError::UnknownParameter(k) if k == "options"));
        assert!(matches!(err("postgres://h/db?connect_timeout=0"), TargetError::Malformed(_)));
        assert!(matches!(err("postgres://h/db?connect_timeout=ten"), TargetError::Malformed(_)));
        assert!(matches!(err("postgres://h/db?port"), TargetError::Malformed(_)));
        assert!(matches!(err("postgres://[::1/db"), TargetError::Malformed(_)));
        assert!(matches!(err("postgres://h/d%zz"), TargetError::Malformed(_)));
        assert!(matches!(err("postgres://h%20x/db"), TargetError::Malformed(_)));
    }

    #[test]
    fn the_connection_carries_every_part() {
        let t = parse("postgres://clerk@127.0.0.1:6000/him?application_name=desk&connect_timeout=2");
        let config = t.connect_config("root", Some("pw"));
        assert_eq!(config.get_hosts(), &[tokio_postgres::config::Host::Tcp("127.0.0.1".into())]);
        assert_eq!(config.get_ports(), &[6000]);
        assert_eq!(config.get_user(), Some("clerk"));
        assert_eq!(config.get_dbname(), Some("him"));
        assert_eq!(config.get_application_name(), Some("desk"));
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(2)));
        assert_eq!(config.get_password(), Some(&b"pw"[..]));
        let socket = parse("postgres:///him?host=/srv/pg").connect_config("jdoe", None);
        assert_eq!(socket.get_hosts(), &[tokio_postgres::config::Host::Unix(PathBuf::from("/srv/pg"))]);
        assert_eq!(socket.get_user(), Some("jdoe"));
        assert_eq!(socket.get_password(), None);
    }

    #[test]
    fn the_pg_dump_command_names_the_target_and_quotes_what_a_shell_would_split() {
        let t = parse("postgres://clerk@db.example.org:6432/him");
        assert_eq!(
            t.pg_dump_command("root", Path::new("/var/backups/him.dump")),
            "pg_dump --format=custom --host=db.example.org --port=6432 --username=clerk --dbname=him \
             --file=/var/backups/him.dump"
        );
        let t = parse("postgres:///my%20db?host=/srv/pg");
        assert_eq!(
            t.pg_dump_command("jdoe", Path::new("it's.dump")),
            "pg_dump --format=custom --host=/srv/pg --port=5432 --username=jdoe --dbname='my db' --file='it'\\''s.dump'"
        );
    }

    #[test]
    fn pgpass_matches_as_libpq_does() {
        let text = "# comment line\n\
                    \n\
                    db.example.org:5432:him:clerk:first\n\
                    db.example.org:5432:him:clerk:second\n\
                    *:6432:*:clerk:any\\:colon\\\\slash\r\n\
                    local\\:host:5432:*:*:escaped-host\n\
                    localhost:5432:*:jdoe:socket\n\
                    *:*:*:*:fallback:trailing\n";
        let look = |host: &str, port: u16, db: &str, user: &str| pgpass_lookup(text, host, port, db, user);
        assert_eq!(look("db.example.org", 5432, "him", "clerk").as_deref(), Some("first"), "the first match wins");
        assert_eq!(look("other", 6432, "x", "clerk").as_deref(), Some("any:colon\\slash"));
        assert_eq!(look("local:host", 5432, "x", "y").as_deref(), Some("escaped-host"));
        assert_eq!(look("localhost", 5432, "x", "jdoe").as_deref(), Some("socket"));
        // A field must match whole: `db.example.org` is not `db.example`.
        assert_eq!(look("db.example", 5432, "him", "clerk").as_deref(), Some("fallback"));
        assert_eq!(pgpass_lookup("h:5432:d:u:pw", "h", 5432, "d", "other"), None);
        assert_eq!(pgpass_lookup("h:5432:d", "h", 5432, "d", "u"), None, "a short line matches nothing");
        assert_eq!(pgpass_lookup("h:5432:d:u:", "h", 5432, "d", "u").as_deref(), Some(""));
    }

    #[test]
    fn a_socket_in_the_default_directory_is_localhost_to_pgpass() {
        assert_eq!(parse("postgres:///db").pgpass_host(), "localhost");
        assert_eq!(parse("postgres:///db?host=/srv/pg").pgpass_host(), "/srv/pg");
        assert_eq!(parse("postgres://db.example.org/db").pgpass_host(), "db.example.org");
    }

    fn write_mode(path: &Path, text: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn passwords_come_from_the_password_file_then_pgpassword_then_pgpass() {
        let dir = tempfile::tempdir().unwrap();
        let target = parse("postgres://clerk@db/him");
        let pgpass = dir.path().join("pgpass");
        write_mode(&pgpass, "db:5432:him:clerk:from-pgpass\n", 0o600);
        let file = dir.path().join("password");
        write_mode(&file, "from-file\n", 0o640);
        let mut warnings = Vec::new();
        let mut sources = PasswordSources {
            password_file: Some(file.clone()),
            env_password: Some("from-env".into()),
            pgpass_file: Some(pgpass.clone()),
        };
        let mut find = |sources: &PasswordSources| find_password(&target, "root", sources, &mut warnings).unwrap();
        assert_eq!(find(&sources).as_deref(), Some("from-file"));
        sources.password_file = None;
        assert_eq!(find(&sources).as_deref(), Some("from-env"));
        sources.env_password = None;
        assert_eq!(find(&sources).as_deref(), Some("from-pgpass"));
        sources.pgpass_file = Some(dir.path().join("absent"));
        assert_eq!(find(&sources), None);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_pgpass_others_can_read_is_skipped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let target = parse("postgres://clerk@db/him");
        let pgpass = dir.path().join("pgpass");
        write_mode(&pgpass, "*:*:*:*:secret\n", 0o640);
        let sources = PasswordSources { pgpass_file: Some(pgpass.clone()), ..Default::default() };
        let mut warnings = Vec::new();
        assert_eq!(find_password(&target, "root", &sources, &mut warnings).unwrap(), None);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("group or world access (mode 0640)") && warnings[0].contains("chmod 600"));
        assert!(!warnings[0].contains("secret"));
        let mut warnings = Vec::new();
        let not_a_file = PasswordSources { pgpass_file: Some(dir.path().to_path_buf()), ..Default::default() };
        assert_eq!(find_password(&target, "root", &not_a_file, &mut warnings).unwrap(), None);
        assert!(warnings[0].contains("not a plain file"), "{warnings:?}");
    }

    #[test]
    fn a_password_file_must_be_private_and_hold_only_the_password() {
        let dir = tempfile::tempdir().unwrap();
        let target = parse("postgres://clerk@db/him");
        let file = dir.path().join("password");
        let find = |mode: u32, text: &str| {
            write_mode(&file, text, mode);
            let sources = PasswordSources { password_file: Some(file.clone()), ..Default::default() };
            find_password(&target, "root", &sources, &mut Vec::new())
        };
        assert_eq!(find(0o600, "pw\r\n").unwrap().as_deref(), Some("pw"));
        assert_eq!(find(0o400, "pw").unwrap().as_deref(), Some("pw"));
        for mode in [0o644, 0o660, 0o604] {
            let err = find(mode, "pw\n").unwrap_err().to_string();
            assert!(err.contains(&format!("mode {mode:04o}")) && err.contains("0600"), "{err}");
        }
        assert!(find(0o600, "\n").unwrap_err().to_string().contains("is empty"));
        assert!(find(0o600, "pw\nmore\n").unwrap_err().to_string().contains("more than one line"));
        std::fs::remove_file(&file).unwrap();
        let sources = PasswordSources { password_file: Some(file.clone()), ..Default::default() };
        assert!(
            find_password(&target, "root", &sources, &mut Vec::new())
                .unwrap_err()
                .to_string()
                .contains("cannot be read")
        );
    }
}
