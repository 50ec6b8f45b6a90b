//! The `attuned` binary: parse the command line, run it, exit with its status.

use std::process::ExitCode;

fn main() -> ExitCode {
    install_panic_hook();
    attuned::cli::run()
}

/// A bug should print one line, not a backtrace over the user's terminal.
///
/// Set `RUST_BACKTRACE` to get Rust's full report back. The UI's hook (ratatui's `init`)
/// wraps this one: it restores the terminal first, then calls it.
fn install_panic_hook() {
    if std::env::var_os("RUST_BACKTRACE").is_some() {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = message.lines().next().unwrap_or_default().to_string();
        eprintln!("attuned: internal error{place}: {message} (this is a bug; please report it)");
    }));
}
