//! Soak and fuzz: the proof that nothing acknowledged is lost and nothing refused leaks.
//!
//! Not run by `cargo test` (only a 5-round, 50-case smoke run is); the full run is
//!
//! ```sh
//! cargo test --release --test soak -- --ignored --nocapture --test-threads=1
//! ```
//!
//! `ATTUNED_SOAK_ROUNDS` (default 1,000), `ATTUNED_FUZZ_CASES` (default 10,000) and
//! `ATTUNED_SOAK_SEED` / `ATTUNED_FUZZ_SEED` (default: the clock, printed) set its size.
//! See `soak::run` and `fuzz::run` for what each round and case checks.

mod common;

#[path = "soak/fuzz.rs"]
mod fuzz;
#[path = "soak/kill.rs"]
mod soak;

/// A count from the environment, or `default`.
fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace([',', '_'], "").parse().ok())
        .unwrap_or(default)
}

/// A seed from the environment, or one from the clock.
fn env_seed(name: &str) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// A round of each kind and a few fuzz cases, so the harness itself never rots: every
/// round and case runs to its verdict. (What they find is the full runs' business: a
/// finding here is printed, and fails only the ignored runs below.)
#[test]
fn smoke_run_of_the_soak_and_the_fuzz() {
    let soak = soak::run(5, env_seed("ATTUNED_SOAK_SEED"), soak::Sizes::SMOKE);
    soak.assert_harness_worked(5);
    let fuzz = fuzz::run(50, env_seed("ATTUNED_FUZZ_SEED"));
    fuzz.assert_harness_worked(50);
}

#[test]
#[ignore = "the soak: 1,000 kill -9 rounds by default, minutes long; see the README"]
fn soak_kill_9_rounds() {
    let rounds = env_count("ATTUNED_SOAK_ROUNDS", 1000);
    let report = soak::run(rounds, env_seed("ATTUNED_SOAK_SEED"), soak::Sizes::FULL);
    report.assert_clean();
}

#[test]
#[ignore = "the fuzz: 10,000 mutated import files by default, minutes long; see the README"]
fn fuzz_csv_and_json_imports() {
    let cases = env_count("ATTUNED_FUZZ_CASES", 10_000);
    let report = fuzz::run(cases, env_seed("ATTUNED_FUZZ_SEED"));
    report.assert_clean();
}
