//! `attuned roi` as a user runs it: the seed's worked example, a range of churn
//! reductions, and mistakes refused before anything is computed; no database is touched.

mod common;

use std::process::Output;

use common::cli::attuned;

fn run(args: &[&str]) -> (Output, tempfile::TempDir) {
    let home = tempfile::tempdir().unwrap();
    let mut all = vec!["roi"];
    all.extend_from_slice(args);
    (attuned(home.path(), &all), home)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_seeds_example_recovers_75000_and_pays_for_37_people() {
    let (o, home) = run(&[
        "--acv",
        "50000",
        "--churn-reduction",
        "3",
        "--accounts",
        "50",
        "--cost-per-person",
        "2000",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stderr.is_empty());
    let out = stdout(&o);
    assert!(out.contains("Recovered revenue: $75,000"), "{out}");
    assert!(out.contains("pays for 37 people"), "{out}");
    // Without --people there is no cost to net against.
    assert!(!out.contains("Net:") && !out.contains("ROI:"), "{out}");
    assert!(out.contains("Add --people N"), "{out}");
    // It needs no database: nothing was created in the user's folder.
    assert_eq!(std::fs::read_dir(home.path()).unwrap().count(), 0);
}

#[test]
fn with_people_it_shows_cost_net_roi_and_the_break_even_reduction() {
    let (o, _home) = run(&[
        "--acv",
        "$50,000",
        "--churn-reduction",
        "3%",
        "--accounts",
        "50",
        "--cost-per-person",
        "2k",
        "--people",
        "30",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    for line in [
        "Cost: $60,000",
        "Net: $15,000",
        "ROI: 25%",
        "Break-even churn reduction for $60,000: 2.4% (reached)",
    ] {
        assert!(out.contains(line), "{line} missing in\n{out}");
    }
}

#[test]
fn a_range_of_churn_reductions_gives_a_range_of_outcomes() {
    let (o, _home) = run(&[
        "--acv",
        "50000",
        "--churn-reduction",
        "2-4",
        "--accounts",
        "50",
        "--cost-per-person",
        "2000",
        "--people",
        "40",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    for line in [
        "Churn reduction: 2%–4%",
        "At the low end (2%)",
        "Recovered revenue: $50,000",
        "Net: -$30,000",
        "At the high end (4%)",
        "Recovered revenue: $100,000",
        "Net: $20,000",
        "3.2% (inside the range",
    ] {
        assert!(out.contains(line), "{line} missing in\n{out}");
    }
}

#[test]
fn mistakes_are_refused_with_a_usage_error_naming_the_value() {
    let base = [
        "--acv",
        "50000",
        "--churn-reduction",
        "3",
        "--accounts",
        "50",
        "--cost-per-person",
        "2000",
    ];
    for (flag, bad, says) in [
        ("--acv", "0", "more than $0"),
        ("--acv", "fifty", "not an amount in dollars"),
        ("--churn-reduction", "4-2", "low end is above its high end"),
        ("--churn-reduction", "150", "at most 100%"),
        ("--churn-reduction", "=-3", "cannot be negative"),
        ("--accounts", "0", "0"),
        ("--cost-per-person", "\x1b[31m", "not an amount"),
    ] {
        let mut args = base.to_vec();
        let at = args.iter().position(|a| *a == flag).unwrap() + 1;
        // `--flag=-3`: a bare -3 would be read as a flag.
        let joined = format!("{flag}{bad}");
        if bad.starts_with('=') {
            args.remove(at);
            args[at - 1] = &joined;
        } else {
            args[at] = bad;
        }
        let (o, _home) = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flag} {bad}: {err}");
        assert!(err.contains(says), "{flag} {bad}: {err}");
        assert!(o.stdout.is_empty());
        assert!(
            !err.contains('\x1b'),
            "an escape sequence reached the terminal: {err:?}"
        );
    }
}
