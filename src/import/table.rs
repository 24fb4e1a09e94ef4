//! CSV as RFC 4180 allows it — quoted fields with commas, quotes and line breaks; CRLF or LF; an
//! optional UTF-8 byte-order mark — read into rows addressed by header name, never by position:
//! exporters add, drop and reorder columns between versions.

use super::Rejection;
use std::collections::HashMap;
use std::io::Read;

/// A field longer than this is a broken file, not a value.
pub const MAX_FIELD_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TableError {
    #[error("{file}: no header row: the file is empty")]
    NoHeader { file: String },
    #[error("{file}: the header has no column {column}, which is required")]
    MissingColumn { file: String, column: String },
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
}

/// A CSV file's rows, by header name.
pub struct Table<R: Read> {
    file: String,
    reader: csv::Reader<QuoteGuard<R>>,
    /// The line of a quote that ran past [`MAX_FIELD_BYTES`], once one did: the file ends there.
    runaway: std::rc::Rc<std::cell::Cell<Option<u64>>>,
    ended: bool,
    columns: HashMap<String, usize>,
    width: usize,
}

/// One good row: its line number and fields by header name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRow<'t> {
    pub line: u64,
    file: &'t str,
    fields: Vec<String>,
    columns: &'t HashMap<String, usize>,
}

impl<'t> TableRow<'t> {
    /// The field under `column`, trimmed; empty when the file has no such column.
    pub fn get(&self, column: &str) -> &str {
        self.columns.get(column).and_then(|i| self.fields.get(*i)).map_or("", |s| s.trim())
    }

    /// A 64-bit digest of the row's fields, to tell a row repeated word for word from another row.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::hash::DefaultHasher::new();
        for field in &self.fields {
            field.trim().hash(&mut hasher);
        }
        hasher.finish()
    }

    /// Whether the file's header has `column`.
    pub fn has_column(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// The first of `columns` the file has, with its field: for a column the layouts renamed.
    pub fn first_of<'c>(&self, columns: &[&'c str]) -> (&'c str, &str) {
        let found = columns.iter().find(|c| self.columns.contains_key(**c)).or(columns.first()).copied().unwrap_or("");
        (found, self.get(found))
    }

    /// A rejection of this row, naming `column`.
    pub fn reject(&self, column: Option<&str>, reason: impl Into<String>) -> Rejection {
        Rejection {
            file: self.file.to_string(),
            line: self.line,
            column: column.map(str::to_string),
            reason: reason.into(),
        }
    }
}

impl<R: Read> Table<R> {
    /// Reads the header and checks that every `required` column is there.
    pub fn open(file: &str, input: R, required: &[&str]) -> Result<Self, TableError> {
        // Records end at LF only, with a CR before it dropped from the last field below: csv's own
        // CRLF handling miscounts lines, and a clerk is told the line of a bad row.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(QuoteGuard::new(input));
        let runaway = reader.get_ref().runaway.clone();
        let mut header = csv::ByteRecord::new();
        let found = reader
            .read_byte_record(&mut header)
            .map_err(|e| TableError::Unreadable { file: file.to_string(), reason: e.to_string() })?;
        if !found {
            return Err(TableError::NoHeader { file: file.to_string() });
        }
        let mut columns = HashMap::new();
        for (i, name) in header.iter().enumerate() {
            let name = String::from_utf8_lossy(name);
            let name = name.trim_start_matches('\u{feff}').trim();
            columns.entry(name.to_string()).or_insert(i);
        }
        // `DATE|START`: either will do (the layouts renamed some columns).
        for column in required {
            if !column.split('|').any(|c| columns.contains_key(c)) {
                return Err(TableError::MissingColumn { file: file.to_string(), column: column.replace('|', " or ") });
            }
        }
        Ok(Self { file: file.to_string(), reader, runaway, ended: false, columns, width: header.len() })
    }

    /// The next row: `Some(Ok(row))`, `Some(Err(rejection))` for a row that cannot be read (wrong
    /// column count, invalid UTF-8, a field over 1 MB), or `None` at the end. A bad row never stops
    /// the rows after it.
    pub fn next_row(&mut self) -> Option<Result<TableRow<'_>, Rejection>> {
        if self.ended {
            return None;
        }
        let mut record = csv::ByteRecord::new();
        let read = self.reader.read_byte_record(&mut record);
        if let Some(line) = self.runaway.get() {
            self.ended = true;
            return Some(Err(Rejection {
                file: self.file.clone(),
                line,
                column: None,
                reason: "a quote opened here is not closed within 1 MB; the rest of the file was not read".into(),
            }));
        }
        let line = record.position().map_or(0, csv::Position::line);
        let reject =
            |column: Option<String>, reason: String| Rejection { file: self.file.clone(), line, column, reason };
        match read {
            Ok(false) => return None,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, csv::Position::line);
                return Some(Err(Rejection { file: self.file.clone(), line, column: None, reason: e.to_string() }));
            }
        }
        if record.len() != self.width {
            return Some(Err(reject(None, format!("{} fields where the header has {}", record.len(), self.width))));
        }
        let mut fields = Vec::with_capacity(record.len());
        let last = record.len().saturating_sub(1);
        for (i, raw) in record.iter().enumerate() {
            let raw = if i == last { raw.strip_suffix(b"\r").unwrap_or(raw) } else { raw };
            let column = || self.columns.iter().find(|(_, index)| **index == i).map(|(name, _)| name.clone());
            if raw.len() > MAX_FIELD_BYTES {
                return Some(Err(reject(column(), format!("a field of {} bytes (at most 1 MB)", raw.len()))));
            }
            match std::str::from_utf8(raw) {
                Ok(text) => fields.push(text.to_string()),
                Err(_) => return Some(Err(reject(column(), "not valid UTF-8".into()))),
            }
        }
        Some(Ok(TableRow { line, file: &self.file, fields, columns: &self.columns }))
    }
}

/// Stops reading where a quoted field runs past [`MAX_FIELD_BYTES`]: the csv reader would otherwise
/// hold an unterminated quote's whole run (to the end of a multi-gigabyte file) in memory before the
/// field's size could be refused. Every `"` opens or closes a quote (an escaped `""` does both).
pub struct QuoteGuard<R> {
    inner: R,
    line: u64,
    quoted: Option<(u64, usize)>,
    runaway: std::rc::Rc<std::cell::Cell<Option<u64>>>,
}

impl<R> QuoteGuard<R> {
    fn new(inner: R) -> Self {
        Self { inner, line: 1, quoted: None, runaway: Default::default() }
    }
}

impl<R: Read> Read for QuoteGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.runaway.get().is_some() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        for &byte in &buf[..n] {
            if byte == b'"' {
                self.quoted = match self.quoted {
                    Some(_) => None,
                    None => Some((self.line, 0)),
                };
            } else if let Some((_, bytes)) = &mut self.quoted {
                *bytes += 1;
            }
            if byte == b'\n' {
                self.line += 1;
            }
            if let Some((line, bytes)) = self.quoted
                && bytes > MAX_FIELD_BYTES
            {
                self.runaway.set(Some(line));
                return Err(std::io::Error::other("an unterminated quote"));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A row as the tests read it: its line and the fields under A and B.
    type Read = Result<(u64, Vec<String>), Rejection>;

    fn rows(text: &[u8], required: &[&str]) -> Result<Vec<Read>, TableError> {
        let mut table = Table::open("t.csv", text, required)?;
        let mut out = Vec::new();
        while let Some(row) = table.next_row() {
            out.push(row.map(|r| (r.line, vec![r.get("A").to_string(), r.get("B").to_string()])));
        }
        Ok(out)
    }

    #[test]
    fn columns_by_name_in_any_order() {
        let got = rows(b"B,A,EXTRA\nb1,a1,x\n", &["A"]).unwrap();
        assert_eq!(got, vec![Ok((2, vec!["a1".to_string(), "b1".to_string()]))]);
    }

    #[test]
    fn rfc_4180_quoting_crlf_and_a_bom() {
        let text = "\u{feff}A,B\r\n\"x, \"\"quoted\"\"\",\"two\nlines\"\r\nplain,z\r\n";
        let got = rows(text.as_bytes(), &["A", "B"]).unwrap();
        assert_eq!(got[0], Ok((2, vec!["x, \"quoted\"".to_string(), "two\nlines".to_string()])));
        assert_eq!(
            got[1],
            Ok((4, vec!["plain".to_string(), "z".to_string()])),
            "line numbers count the embedded break"
        );
    }

    #[test]
    fn a_missing_required_column_is_named() {
        let err = rows(b"A,C\n1,2\n", &["A", "B"]).unwrap_err();
        assert_eq!(err.to_string(), "t.csv: the header has no column B, which is required");
        assert_eq!(rows(b"", &["A"]).unwrap_err(), TableError::NoHeader { file: "t.csv".into() });
    }

    #[test]
    fn bad_rows_are_reported_and_the_rest_read() {
        let mut text = b"A,B\n1,2\n1,2,3\nok,\xff\xfe\nlast,row\n".to_vec();
        text.extend_from_slice(format!("big,{}\n", "x".repeat(MAX_FIELD_BYTES + 1)).as_bytes());
        let got = rows(&text, &["A"]).unwrap();
        assert!(got[0].is_ok());
        let wrong = got[1].as_ref().unwrap_err();
        assert_eq!((wrong.line, wrong.reason.as_str()), (3, "3 fields where the header has 2"));
        let utf8 = got[2].as_ref().unwrap_err();
        assert_eq!((utf8.line, utf8.column.as_deref(), utf8.reason.as_str()), (4, Some("B"), "not valid UTF-8"));
        assert_eq!(got[3], Ok((5, vec!["last".to_string(), "row".to_string()])));
        assert!(got[4].as_ref().unwrap_err().reason.contains("at most 1 MB"));
    }

    #[test]
    fn an_unterminated_quote_is_refused_at_its_line_without_reading_on() {
        let mut text = b"A,B\n1,2\n3,\"never closed\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 3 * MAX_FIELD_BYTES));
        struct Counted<'a>(&'a [u8], std::rc::Rc<std::cell::Cell<usize>>);
        impl std::io::Read for Counted<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = std::io::Read::read(&mut self.0, buf)?;
                self.1.set(self.1.get() + n);
                Ok(n)
            }
        }
        let consumed = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut table = Table::open("t.csv", Counted(&text, consumed.clone()), &["A"]).unwrap();
        let mut got = Vec::new();
        while let Some(row) = table.next_row() {
            got.push(row.map(|r| r.line));
        }
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], Ok(2));
        let runaway = got[1].as_ref().unwrap_err();
        assert_eq!(runaway.line, 3);
        assert!(runaway.reason.contains("not closed within 1 MB"), "{}", runaway.reason);
        assert!(consumed.get() < 2 * MAX_FIELD_BYTES, "read {} bytes of a runaway quote", consumed.get());
    }

    proptest! {
        #[test]
        fn no_input_makes_the_reader_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(mut table) = Table::open("p.csv", &bytes[..], &[]) {
                let mut n = 0;
                while let Some(row) = table.next_row() {
                    let _ = row.map(|r| r.get("x").len());
                    n += 1;
                    prop_assert!(n < 1000);
                }
            }
        }
    }
}
