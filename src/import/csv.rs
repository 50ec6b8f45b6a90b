//! Reading a CSV file into header and rows, the way real exports arrive: a UTF-8 BOM,
//! CRLF or LF, `,` `;` or tab as delimiter (sniffed from the header line), quoted
//! newlines, stray spaces around headers, ragged rows. Bytes that are not UTF-8 are a
//! clear error naming the line, never a panic.

use crate::error::{ImportProblem, Result, bad};

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
    if text.trim().is_empty() {
        return Err(bad(file, ImportProblem::Empty));
    }
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| bad(file, ImportProblem::Header(e.to_string())))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_string())
        .collect::<Vec<_>>();
    let mut rows = Vec::new();
    let mut record = ::csv::StringRecord::new();
    // The reader's own line numbers are off after CRLF and blank lines; count from the
    // record's byte offset instead (skipping the line breaks before it).
    let bytes = text.as_bytes();
    let (mut seen, mut line_at) = (0usize, 1u64);
    let mut line_of = |offset: u64| -> u64 {
        let mut at = usize::try_from(offset)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while at < bytes.len() && (bytes[at] == b'\r' || bytes[at] == b'\n') {
            at += 1;
        }
        if at >= seen {
            line_at += bytes[seen..at].iter().filter(|&&b| b == b'\n').count() as u64;
            seen = at;
        }
        line_at
    };
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| line_of(p.byte()));
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                rows.push(Row {
                    line,
                    cells: record.clone(),
                });
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_of(p.byte()));
                return Err(bad(
                    file,
                    ImportProblem::Csv {
                        line,
                        detail: e.kind_text(),
                    },
                ));
            }
        }
    }
    Ok(Table { headers, rows })
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
