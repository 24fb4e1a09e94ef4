//! Logs go to a file, never to the terminal the desk is drawn on, and never hold patient
//! identifiers: code logs request ids, counts and timings only.
//!
//! The log never takes the program down. `tracing_appender`'s rolling file panics when it cannot
//! open its file and prints to stderr (over the desk's screen) when the next day's cannot be made,
//! so the daily file here is chartroom's own: made with the store's modes, and when it cannot be
//! written the desk runs without it.

use crate::files::FileSharing;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The log is written while this lives; dropping it flushes what is queued.
pub type LogGuard = tracing_appender::non_blocking::WorkerGuard;

/// Starts logging to `dir/chartroom.log.<date>` (UTC). When the directory or today's file cannot be
/// made or opened, returns why, in words for the clerk: the caller says so once and runs on.
pub fn init(dir: &Path, sharing: FileSharing) -> Result<LogGuard, String> {
    let unwritable = |e: std::io::Error| format!("the log in {} cannot be written ({e})", dir.display());
    crate::files::create_dir(dir, sharing).map_err(unwritable)?;
    let daily = DailyFile::open(dir.to_path_buf(), sharing).map_err(unwritable)?;
    let (writer, guard) = tracing_appender::non_blocking(daily);
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHARTROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .map_err(|e| format!("logging was already started ({e})"))?;
    Ok(guard)
}

/// One file a day. A day whose file cannot be made keeps writing to the day before's: a line in
/// the wrong day's file is better than none, and nothing may reach the terminal.
struct DailyFile {
    dir: PathBuf,
    sharing: FileSharing,
    day: String,
    file: File,
}

impl DailyFile {
    fn open(dir: PathBuf, sharing: FileSharing) -> std::io::Result<Self> {
        let day = today();
        let file = crate::files::open_append(&dir.join(file_name(&day)), sharing)?;
        Ok(Self { dir, sharing, day, file })
    }
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn file_name(day: &str) -> String {
    format!("chartroom.log.{day}")
}

impl Write for DailyFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let day = today();
        if day != self.day
            && let Ok(file) = crate::files::open_append(&self.dir.join(file_name(&day)), self.sharing)
        {
            self.file = file;
            self.day = day;
        }
        self.file.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unwritable_log_is_a_reason_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the log directory should be: nothing can be made under it, even by root.
        let blocked = dir.path().join("logs");
        std::fs::write(&blocked, b"").unwrap();
        let why = init(&blocked.join("inner"), FileSharing::Private).err().unwrap();
        assert!(why.contains("cannot be written"), "{why}");
    }
}
