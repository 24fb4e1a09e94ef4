//! Reading a CSV file of an export: a header that is not what it claims is reported and the file
//! skipped; good rows are handed on in batches, bad rows reported, whatever the size of the file.

use super::{BATCH_ROWS, ImportReport};
use crate::desk::{DeskError, DeskResult};
use crate::import::Rejection;
use crate::import::table::{Table, TableError};
use std::path::Path;

/// The table in `input`, or None when its header makes it something else than it claims (empty, a
/// required column missing, unreadable): then it is reported and skipped, and the import goes on
/// with the other files (and ends with a non-zero status).
fn open_table<R: std::io::Read>(
    path: &Path,
    input: R,
    required: &[&str],
    report: &mut ImportReport,
) -> Option<Table<R>> {
    let name = path.display().to_string();
    let refused = match Table::open(&name, input, required) {
        Ok(table) => return Some(table),
        Err(TableError::NoHeader { .. }) => (None, "no header row (the file is empty); skipped".to_string()),
        Err(TableError::MissingColumn { column, .. }) => {
            (Some(column), "the header has no such column, which is required; the file was skipped".to_string())
        }
        Err(TableError::Unreadable { reason, .. }) => (None, format!("unreadable ({reason}); skipped")),
    };
    report.rejections.push(Rejection { file: name, line: 1, column: refused.0, reason: refused.1 });
    None
}

/// Every good row of `path`, mapped; bad rows go to the report. A missing optional file reads as
/// empty; a file without a required column is reported and skipped.
pub(super) fn read<T>(
    path: &Path,
    required: &[&str],
    map: impl Fn(&crate::import::table::TableRow<'_>) -> Result<T, Rejection>,
    report: &mut ImportReport,
) -> DeskResult<Vec<T>> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(DeskError::Invalid(format!("{}: {e}", path.display()))),
    };
    let Some(mut table) = open_table(path, std::io::BufReader::new(file), required, report) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    while let Some(row) = table.next_row() {
        match row.and_then(|r| map(&r)) {
            Ok(value) => out.push(value),
            Err(rejection) => report.rejections.push(rejection),
        }
    }
    Ok(out)
}

/// Takes a batch of good rows, the lines of the file it spans, the report, and the share of the
/// file read so far.
pub(super) type BatchSink<'a, T> =
    dyn FnMut(Vec<T>, std::ops::RangeInclusive<u64>, &mut ImportReport, f64) -> DeskResult<()> + 'a;

/// Reads `path` row by row, handing each [`BATCH_ROWS`] good rows to `sink` (and the last, shorter
/// batch); bad rows go to the report. A missing optional file reads as empty; one whose header is
/// not what it claims is reported and skipped.
pub(super) fn stream<T>(
    path: &Path,
    required: &[&str],
    map: &dyn Fn(&crate::import::table::TableRow<'_>) -> Result<T, Rejection>,
    report: &mut ImportReport,
    sink: &mut BatchSink<'_, T>,
) -> DeskResult<()> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(DeskError::Invalid(format!("{}: {e}", path.display()))),
    };
    let total = file.metadata().map(|m| m.len()).unwrap_or(0).max(1) as f64;
    let consumed = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let counted = CountingReader { inner: file, consumed: consumed.clone() };
    let Some(mut table) = open_table(path, std::io::BufReader::new(counted), required, report) else {
        return Ok(());
    };
    let fraction = || (consumed.get() as f64 / total).min(1.0);
    let mut batch = Vec::with_capacity(BATCH_ROWS);
    let (mut first_line, mut last_line) = (None, 0);
    while let Some(row) = table.next_row() {
        let line = match &row {
            Ok(r) => r.line,
            Err(rejection) => rejection.line,
        };
        first_line.get_or_insert(line);
        last_line = line;
        match row.and_then(|r| map(&r)) {
            Ok(value) => batch.push(value),
            Err(rejection) => report.rejections.push(rejection),
        }
        if batch.len() == BATCH_ROWS {
            let lines = first_line.take().unwrap_or(last_line)..=last_line;
            sink(std::mem::replace(&mut batch, Vec::with_capacity(BATCH_ROWS)), lines, report, fraction())?;
        }
    }
    if !batch.is_empty() {
        sink(batch, first_line.unwrap_or(last_line)..=last_line, report, 1.0)?;
    }
    Ok(())
}

/// Counts the bytes read from a file, for the share of it done.
struct CountingReader<R> {
    inner: R,
    consumed: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.set(self.consumed.get() + n as u64);
        Ok(n)
    }
}
