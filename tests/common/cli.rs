//! Running the built binary as a user would, away from the real home directory.

use std::path::Path;
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_attuned");

/// `attuned ARGS` with `home` as HOME and no inherited database or backtrace settings.
pub fn attuned(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("ATTUNED_DB")
        .env_remove("XDG_DATA_HOME")
        .env_remove("RUST_BACKTRACE")
        .env("HOME", home)
        .output()
        .unwrap()
}
