//! The one rule for control characters in customer text.
//!
//! Names and notes come from CRM exports and pastes; an ESC in them (`\e]0;…\a` retitles
//! a terminal, `\e[2J` clears it) must never reach a terminal, nor a spreadsheet or a
//! calendar. So every control character (C0, DEL, C1) becomes U+FFFD, visibly, except
//! layout: free text keeps tab and newline (a CR or CRLF becomes a newline), a one-line
//! field turns them into a space. Applied as text enters the file (imports, the
//! workstation's fields) and again as it leaves (exports, reports, messages), so a file
//! written by anything else is shown safely too.

use std::borrow::Cow;

/// What a control character becomes.
pub const REPLACEMENT: char = '\u{FFFD}';

/// A one-line field (a name, a title, an email): white-space controls (tab, newline, CR,
/// VT, FF, NEL) become a space, every other control character U+FFFD.
pub fn clean_line(s: &str) -> Cow<'_, str> {
    if !has_control(s, |_| false) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                c if !c.is_control() => c,
                c if c.is_whitespace() => ' ',
                _ => REPLACEMENT,
            })
            .collect(),
    )
}

/// Free text (a note): tab and newline are kept, CRLF and a lone CR become a newline,
/// every other control character becomes U+FFFD.
pub fn clean_text(s: &str) -> Cow<'_, str> {
    if !has_control(s, |c| c == '\t' || c == '\n') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Whether `s` holds a control character that `kept` does not allow. Most text has none:
/// a byte scan decides without decoding (a C1 character starts with byte 0xC2).
fn has_control(s: &str, kept: impl Fn(char) -> bool) -> bool {
    s.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2)
        && s.chars().any(|c| c.is_control() && !kept(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_lose_their_escape() {
        let evil = "Acme\x1b]0;pwned\x07 \x1b[2J\u{9b}31m\x7f\0";
        let line = clean_line(evil);
        let text = clean_text(evil);
        for out in [&line, &text] {
            assert!(!out.chars().any(char::is_control), "{out:?}");
            assert!(out.starts_with("Acme\u{fffd}]0;pwned\u{fffd} \u{fffd}[2J"));
        }
    }

    #[test]
    fn layout_is_kept_in_notes_and_flattened_in_names() {
        assert_eq!(clean_text("a\tb\r\nc\rd\ne"), "a\tb\nc\nd\ne");
        assert_eq!(clean_line("a\tb\r\nc\u{85}d"), "a b  c d");
        assert_eq!(clean_text("\x0b"), "\u{fffd}");
    }

    #[test]
    fn clean_text_is_borrowed_untouched() {
        for s in ["", "Zürich © ± ✓", "two\nlines\tand a tab"] {
            assert!(matches!(clean_text(s), Cow::Borrowed(_)), "{s:?}");
        }
        assert!(matches!(clean_line("Zürich ©"), Cow::Borrowed(_)));
        assert_eq!(clean_line("é\u{80}"), "é\u{fffd}");
    }
}

/// The plural ending for `n` of something: "1 flag", "2 flags".
pub fn plural(n: impl TryInto<i64>) -> &'static str {
    match n.try_into() {
        Ok(1) => "",
        _ => "s",
    }
}

/// `n` and a regular noun that agrees with it: "1 day", "0 days", "12 days".
pub fn count_of(n: i64, noun: &str) -> String {
    format!("{n} {noun}{}", plural(n))
}

#[cfg(test)]
mod plural_tests {
    use super::*;

    #[test]
    fn nouns_agree_with_their_count() {
        assert_eq!(count_of(1, "day"), "1 day");
        assert_eq!(count_of(0, "day"), "0 days");
        assert_eq!(count_of(2, "call"), "2 calls");
        assert_eq!(plural(1usize), "");
        assert_eq!(plural(3usize), "s");
    }
}
