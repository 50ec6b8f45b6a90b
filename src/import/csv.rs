//! Reading a CSV file into header and rows, the way real exports arrive: a UTF-8 BOM,
//! CRLF or LF, `,` `;` or tab as delimiter (sniffed from the header line), quoted
//! newlines, stray spaces around headers, ragged rows. Bytes that are not UTF-8 are a
//! clear error naming the line, never a panic.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

use crate::error::{Error, ImportProblem, Result, bad};

/// A parsed file: trimmed headers and each row with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    /// The cells, in one buffer (a `String` per cell made a large file's reading mostly
    /// memory allocation).
    pub cells: ::csv::StringRecord,
}

impl Row {
    /// The trimmed cell at `i`, `None` when blank or missing.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.cells
            .get(i)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// The delimiter of the header line: the most frequent of `,` `;` and tab outside quotes.
pub fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Checks that `bytes` are UTF-8 text and drops a BOM.
pub fn decode<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        bad(
            file,
            ImportProblem::NotUtf8 {
                line,
                byte: bytes[at],
            },
        )
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Parses CSV text. A header line is required; rows may be shorter or longer than it.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Table> {
    let text = decode(file, bytes)?;
    let mut rows = Rows::new(file, text.as_bytes())?;
    let mut all = Vec::new();
    while let Some(row) = rows.next_row()? {
        all.push(row);
    }
    Ok(Table {
        headers: rows.headers,
        rows: all,
    })
}

/// Bytes the header line is sniffed from (a delimiter, a BOM, whether the file is empty).
const PEEK: usize = 64 * 1024;

/// A CSV file's rows read one at a time from any reader (a file: only a buffer's worth is
/// in memory), with the line each starts on and clear errors, as `parse` gives them.
pub struct Rows<R: Read> {
    file: String,
    pub headers: Vec<String>,
    reader: ::csv::Reader<Breaks<BufReader<R>>>,
    record: ::csv::ByteRecord,
}

impl<R: Read> Rows<R> {
    /// Reads the header line; the rows follow with `next_row`.
    pub fn new(file: &str, inner: R) -> Result<Rows<R>> {
        let mut buf = BufReader::with_capacity(PEEK, inner);
        let head = buf.fill_buf().map_err(|e| Error::io(file, e))?;
        let bom = head.starts_with(b"\xef\xbb\xbf");
        let head = if bom { &head[3..] } else { head };
        let whole = head.len() < PEEK - 3;
        if whole && head.iter().all(u8::is_ascii_whitespace) {
            return Err(bad(file, ImportProblem::Empty));
        }
        let delimiter = sniff_delimiter(&String::from_utf8_lossy(head));
        if bom {
            buf.consume(3);
        }
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(Breaks::new(buf));
        let header = reader
            .byte_headers()
            .map_err(|e| bad(file, ImportProblem::Header(e.to_string())))?;
        let header = utf8(file, header, 1)?;
        let headers = header
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        Ok(Rows {
            file: file.to_string(),
            headers,
            reader,
            record: ::csv::ByteRecord::new(),
        })
    }

    /// The next row that is not blank, `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<Row>> {
        match self.next_line()? {
            Some(line) => Ok(Some(Row {
                line,
                cells: utf8(&self.file, &self.record, line)?,
            })),
            None => Ok(None),
        }
    }

    /// Passes over the next row that is not blank, checking it as `next_row` does
    /// (without making it text); `false` at the end.
    pub fn skip_row(&mut self) -> Result<bool> {
        let Some(line) = self.next_line()? else {
            return Ok(false);
        };
        if std::str::from_utf8(self.record.as_slice()).is_err() {
            utf8(&self.file, &self.record, line)?;
        }
        Ok(true)
    }

    /// Reads the next record that is not blank into `self.record`: its line.
    fn next_line(&mut self) -> Result<Option<u64>> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return Ok(None),
                Ok(true) => {
                    let at = self.record.position().map_or(0, ::csv::Position::byte);
                    let line = self.reader.get_mut().line_of(at);
                    if self.record.iter().all(|c| c.trim_ascii().is_empty()) {
                        continue;
                    }
                    return Ok(Some(line));
                }
                Err(e) => {
                    let at = e.position().map_or(0, ::csv::Position::byte);
                    let line = self.reader.get_mut().line_of(at);
                    return Err(bad(
                        &self.file,
                        ImportProblem::Csv {
                            line,
                            detail: e.kind_text().to_string(),
                        },
                    ));
                }
            }
        }
    }
}

/// The record as text, or the error `decode` gives, naming the line of the first byte
/// that is not UTF-8 (`line` is the record's first).
fn utf8(file: &str, record: &::csv::ByteRecord, line: u64) -> Result<::csv::StringRecord> {
    ::csv::StringRecord::from_byte_record(record.clone()).map_err(|e| {
        let (field, valid) = (e.utf8_error().field(), e.utf8_error().valid_up_to());
        let before: Vec<u8> = record
            .iter()
            .take(field)
            .flatten()
            .chain(record.get(field).map_or(&[][..], |f| &f[..valid]))
            .copied()
            .collect();
        let line = line + before.iter().filter(|&&b| b == b'\n').count() as u64;
        let byte = record.get(field).and_then(|f| f.get(valid)).copied();
        bad(
            file,
            ImportProblem::NotUtf8 {
                line: usize::try_from(line).unwrap_or(usize::MAX),
                byte: byte.unwrap_or(0),
            },
        )
    })
}

/// A reader noting where each line break it passes is, until `line_of` has counted it:
/// the CSV reader's own line numbers are off after CRLF and blank lines, so a row's line
/// is counted from its byte offset (skipping the line breaks before it).
struct Breaks<R> {
    inner: R,
    read: u64,
    /// (offset, byte) of each `\r` and `\n` read and not yet counted.
    pending: VecDeque<(u64, u8)>,
    line: u64,
}

impl<R> Breaks<R> {
    fn new(inner: R) -> Breaks<R> {
        Breaks {
            inner,
            read: 0,
            pending: VecDeque::new(),
            line: 1,
        }
    }

    /// The line of the record starting at byte `at` (offsets only grow).
    fn line_of(&mut self, mut at: u64) -> u64 {
        while let Some(&(offset, byte)) = self.pending.front() {
            if offset > at {
                break;
            }
            if offset == at {
                at += 1;
            }
            if byte == b'\n' {
                self.line += 1;
            }
            self.pending.pop_front();
        }
        self.line
    }
}

impl<R: Read> Read for Breaks<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.pending.push_back((self.read + i as u64, b));
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for ::csv::Error {
    fn kind_text(&self) -> String {
        match self.kind() {
            ::csv::ErrorKind::Utf8 { .. } => "not UTF-8 text".into(),
            ::csv::ErrorKind::UnequalLengths { .. } => "rows of different lengths".into(),
            _ => "malformed".into(),
        }
    }
}

/// An amount as whole cents (the one parser, shared with the values table).
pub use crate::domain::money::parse as parse_amount;

/// A calendar day: `2017-03-01`, `2017-03-01 10:00:00`, `2017/03/01`, `03/01/2017` (US),
/// `01.03.2017`.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    use chrono::NaiveDate;
    let s = s.trim();
    let head = s.split(['T', ' ']).next().unwrap_or(s);
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%d.%m.%Y", "%m/%d/%y"] {
        if let Ok(d) = NaiveDate::parse_from_str(head, fmt) {
            return Some(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_they_come() {
        assert_eq!(
            parse_amount("\"$1,100.04 \"".trim_matches('"')),
            Some(110004)
        );
        assert_eq!(parse_amount("$1,100.04 "), Some(110004));
        assert_eq!(parse_amount("1.100,04"), Some(110004));
        assert_eq!(parse_amount("1100"), Some(110000));
        assert_eq!(parse_amount("1,100"), Some(110000));
        assert_eq!(parse_amount("12,5"), Some(1250));
        assert_eq!(parse_amount("€ 950"), Some(95000));
        assert_eq!(parse_amount("-5"), Some(-500));
        assert_eq!(parse_amount(""), None);
        assert_eq!(parse_amount("n/a"), None);
        assert_eq!(parse_amount("1e9"), None);
        assert_eq!(parse_amount("99999999999999999999"), None);
    }

    #[test]
    fn dates_as_they_come() {
        let d = chrono::NaiveDate::from_ymd_opt(2017, 3, 1);
        for s in [
            "2017-03-01",
            "2017-03-01 00:00:00",
            "2017/03/01",
            "03/01/2017",
            "01.03.2017",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        assert_eq!(parse_date("someday"), None);
    }

    #[test]
    fn bom_crlf_semicolons_quoted_newlines_and_stray_spaces() {
        let text = "\u{feff} Name ; Revenue \r\n\"Acme\r\nInc\";\"$1,100.04 \"\r\n\r\nBeta;\r\n";
        let t = parse("f.csv", text.as_bytes()).unwrap();
        assert_eq!(t.headers, vec!["Name", "Revenue"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(&t.rows[0].cells[0], "Acme\r\nInc");
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 5);
        assert_eq!(t.rows[1].get(1), None);
    }

    #[test]
    fn not_utf8_is_a_clear_error_naming_the_line() {
        let e = parse("f.csv", b"Name\nok\nbad \xff here\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("f.csv: line 3 is not UTF-8"), "{e}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for n in 0..3000 {
            let len = (n % 200) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    // Mostly CSV-ish characters, sometimes anything.
                    let pick = (x % 16) as u8;
                    match pick {
                        0 => b'"',
                        1 => b',',
                        2 => b';',
                        3 => b'\n',
                        4 => b'\r',
                        5 => (x >> 8) as u8,
                        _ => b'a' + pick,
                    }
                })
                .collect();
            let _ = parse("fuzz.csv", &bytes);
            if let Ok(s) = std::str::from_utf8(&bytes) {
                let _ = parse_amount(s);
                let _ = parse_date(s);
            }
        }
    }
}
