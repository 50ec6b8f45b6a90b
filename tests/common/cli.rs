//! Running the built binary as a user would, away from the real home directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_attuned");

/// `attuned ARGS` run in `home` (relative names land there) with `home` as HOME and no
/// inherited database or backtrace settings, as a user would.
pub fn attuned(home: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(home)
        .env_remove("ATTUNED_DB")
        .env_remove("XDG_DATA_HOME")
        .env_remove("RUST_BACKTRACE")
        .env("HOME", home)
        .output()
        .unwrap()
}

/// A demo file `name` in `home` of `accounts` accounts drawn from `seed`.
pub fn demo(home: &Path, name: &str, accounts: u32, seed: u64) -> PathBuf {
    let db = home.join(name);
    let o = attuned(
        home,
        &[
            "demo",
            "--db",
            db.to_str().unwrap(),
            "--accounts",
            &accounts.to_string(),
            "--seed",
            &seed.to_string(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    db
}
