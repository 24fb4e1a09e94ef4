//! Logs go to a file, never to the terminal the desk is drawn on, and never hold patient
//! identifiers: code logs request ids, counts and timings only.

use std::path::Path;

/// Starts logging to `dir/chartroom.log.<date>`. Returns the guard that flushes the log on drop; when
/// the directory cannot be made, the desk runs without a log rather than not at all.
pub fn init(dir: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use std::os::unix::fs::DirBuilderExt;
    if std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).is_err() {
        return None;
    }
    let appender = tracing_appender::rolling::daily(dir, "chartroom.log");
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("CHARTROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt().with_writer(writer).with_ansi(false).with_env_filter(filter).try_init();
    installed.ok().map(|_| guard)
}
