//! Copying text to the clipboard through the terminal (OSC 52): the terminal, not this
//! machine, owns the clipboard, so it works over SSH and in tmux with nothing installed.
//!
//! In tmux the sequence goes twice: once wrapped in tmux's DCS passthrough (used when
//! `allow-passthrough` is on, and by tmux before 3.3), once plain (taken when
//! `set-clipboard` is on); either way the outer terminal sets the same text.

use std::io::{IsTerminal, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The largest base64 payload sent: terminals drop longer OSC 52 sequences (xterm and
/// others cap them near 100 KB), so a longer text is refused rather than lost silently.
pub const MAX_ENCODED: usize = 100_000;

/// Why the text could not be copied, in words for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Standard output is not a terminal (piped, redirected): there is nobody to ask.
    NotATerminal,
    /// The encoded text is longer than [`MAX_ENCODED`].
    TooLarge { bytes: usize },
}

impl Refusal {
    pub fn text(&self, what: &str) -> String {
        match self {
            Refusal::NotATerminal => {
                format!("Cannot copy the {what}: the output is not a terminal")
            }
            Refusal::TooLarge { bytes } => format!(
                "Cannot copy the {what}: {} is over the terminal clipboard's {} limit; \
                 use export --format md",
                size(*bytes),
                size(MAX_ENCODED / 4 * 3)
            ),
        }
    }
}

/// The bytes that ask the terminal to put `text` on the clipboard; `tmux`: also wrapped
/// for tmux's passthrough (see the module's note).
pub fn sequence(text: &str, tmux: bool) -> Result<Vec<u8>, Refusal> {
    let encoded = STANDARD.encode(text.as_bytes());
    if encoded.len() > MAX_ENCODED {
        return Err(Refusal::TooLarge { bytes: text.len() });
    }
    let plain = format!("\x1b]52;c;{encoded}\x07");
    let mut out = Vec::with_capacity(plain.len() * 2 + 16);
    if tmux {
        // Inside the passthrough every ESC is doubled.
        out.extend_from_slice(b"\x1bPtmux;");
        out.extend_from_slice(plain.replace('\x1b', "\x1b\x1b").as_bytes());
        out.extend_from_slice(b"\x1b\\");
    }
    out.extend_from_slice(plain.as_bytes());
    Ok(out)
}

/// Sends `text` to the clipboard through `out`, which must be the terminal; returns the
/// status bar's words either way ("Brief copied (2.1 KB)").
pub fn copy_to(
    out: &mut dyn Write,
    is_terminal: bool,
    tmux: bool,
    text: &str,
    what: &str,
) -> Result<String, String> {
    if !is_terminal {
        return Err(Refusal::NotATerminal.text(what));
    }
    let bytes = sequence(text, tmux).map_err(|r| r.text(what))?;
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .map_err(|e| format!("Cannot copy the {what}: {e}"))?;
    Ok(format!(
        "{} copied ({})",
        capitalized(what),
        size(text.len())
    ))
}

/// [`copy_to`] on this process's terminal (standard output, where ratatui draws).
pub fn copy(text: &str, what: &str) -> Result<String, String> {
    let stdout = std::io::stdout();
    let is_terminal = stdout.is_terminal();
    let tmux = std::env::var_os("TMUX").is_some_and(|v| !v.is_empty());
    copy_to(&mut stdout.lock(), is_terminal, tmux, text, what)
}

/// `y` on an account: its brief, as `export --format md --account` writes it, to the
/// clipboard; the status bar says what happened.
pub fn copy_brief(account_id: i64, cx: &mut super::screen::Cx) -> crate::error::Result<()> {
    let brief = crate::export::md::account_brief(cx.store.conn(), account_id, &cx.as_of())?;
    match copy(&brief, "brief") {
        Ok(done) => cx.done(done),
        Err(problem) => cx.problem(problem),
    }
    Ok(())
}

/// "830 B", "2.1 KB".
fn size(bytes: usize) -> String {
    if bytes < 1000 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KB", bytes as f64 / 1000.0)
    }
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_osc_52_with_base64() {
        assert_eq!(
            sequence("hi", false).unwrap(),
            b"\x1b]52;c;aGk=\x07".to_vec()
        );
    }

    #[test]
    fn in_tmux_it_is_also_wrapped_in_the_passthrough_with_escapes_doubled() {
        let want: &[u8] = b"\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\\x1b]52;c;aGk=\x07";
        assert_eq!(sequence("hi", true).unwrap(), want.to_vec());
    }

    #[test]
    fn escape_bytes_in_the_text_travel_encoded() {
        let bytes = sequence("a\x1b]0;pwned\x07b", false).unwrap();
        assert_eq!(bytes.iter().filter(|b| **b == 0x1b).count(), 1);
        assert_eq!(bytes.iter().filter(|b| **b == 0x07).count(), 1);
    }

    #[test]
    fn too_large_a_text_is_refused_with_its_size() {
        let big = "x".repeat(MAX_ENCODED); // 4/3 larger once encoded
        assert_eq!(
            sequence(&big, false),
            Err(Refusal::TooLarge { bytes: MAX_ENCODED })
        );
        let fits = "x".repeat(MAX_ENCODED / 4 * 3);
        assert!(sequence(&fits, false).is_ok());
    }

    #[test]
    fn copying_writes_the_bytes_and_says_how_much() {
        let mut out = Vec::new();
        let said = copy_to(&mut out, true, false, &"y".repeat(2100), "brief");
        assert_eq!(said, Ok("Brief copied (2.1 KB)".to_string()));
        assert!(out.starts_with(b"\x1b]52;c;"));
    }

    #[test]
    fn nothing_is_written_when_the_output_is_not_a_terminal() {
        let mut out = Vec::new();
        let said = copy_to(&mut out, false, false, "hi", "brief");
        assert_eq!(
            said,
            Err("Cannot copy the brief: the output is not a terminal".to_string())
        );
        assert!(out.is_empty());
    }
}
