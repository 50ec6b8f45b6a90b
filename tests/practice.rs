//! `attuned practice check`: the phrasing check run as a user would, from scripts and
//! editors, without any database.

mod common;

use common::cli::attuned;

fn check(args: &[&str]) -> (String, String, bool) {
    let home = tempfile::tempdir().unwrap();
    let mut all = vec!["practice", "check"];
    all.extend_from_slice(args);
    let o = attuned(home.path(), &all);
    // It reads no database: none is created, not even the default one.
    let left: Vec<_> = walk(home.path());
    assert!(left.is_empty(), "files written: {left:?}");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
        o.status.success(),
    )
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn mirror_prints_one_line_per_rule_and_exits_0_even_when_rules_fail() {
    let (out, err, ok) = check(&[
        "--step",
        "mirror",
        "--customer",
        "The sync dropped records again and my reps enter deals by hand.",
        "I hear you, but the sync was fixed yesterday.",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out,
        "✗ names the feeling — no feeling word: say what they seem to feel (frustrated, worried, let down…)\n\
         ✓ reflects the customer's own words — \"sync\"\n\
         ✗ validates before fixing — no validation: say why their reaction makes sense (\"that makes sense\", \"I'd feel the same\")\n\
         ✗ no deflecting words — \"but\" turns the validation into a rebuttal\n"
    );
}

#[test]
fn a_good_mirror_passes_every_rule() {
    let (out, _, ok) = check(&[
        "--step",
        "mirror",
        "--customer",
        "We expected the reporting module to save us hours each week.",
        "You expected the reporting module to save hours each week. I can see why you're disappointed.",
    ]);
    assert!(ok);
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(out.lines().all(|l| l.starts_with('✓')), "{out}");
}

#[test]
fn mirror_without_a_customer_line_says_how_to_check_reflection() {
    let (out, _, ok) = check(&[
        "--step", "mirror", "That", "makes", "sense,", "I'd", "be", "worried", "too.",
    ]);
    assert!(ok);
    assert!(
        out.starts_with("✓ names the feeling — \"worried\"\n"),
        "{out}"
    );
    assert!(
        out.contains("✓ validates before fixing — \"makes sense\""),
        "{out}"
    );
    assert!(
        out.ends_with(
            "· reflects the customer's own words — give --customer \"their line\" to check it\n"
        ),
        "{out}"
    );
}

#[test]
fn clarify_and_propose() {
    let (out, _, ok) = check(&[
        "--step",
        "clarify",
        "Could you walk me through what happened?",
    ]);
    assert!(ok);
    assert!(
        out.starts_with(
            "✓ an open question — \"could you walk me through\" asks for their story\n"
        ),
        "{out}"
    );
    let (out, _, _) = check(&["--step", "clarify", "Did it fail? Was it Friday?"]);
    assert!(
        out.contains("✗ an open question — \"did\" invites a yes or no"),
        "{out}"
    );
    assert!(
        out.contains("✗ one question at a time — 2 questions: ask one, then listen"),
        "{out}"
    );
    let (out, _, ok) = check(&[
        "--step",
        "propose",
        "I'll run a remediation session within 48 hours, then review the metrics with you in one week.",
    ]);
    assert!(ok);
    assert_eq!(
        out,
        "✓ a fix with a time commitment — \"within 48 hours\"\n\
         ✓ a follow-up review with a time — \"review\" \"in one week\"\n\
         ✓ an owner — \"i'll\"\n\
         ✓ no deflecting words — none found\n"
    );
}

#[test]
fn the_response_can_come_from_standard_input() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let home = tempfile::tempdir().unwrap();
    let mut child = Command::new(common::cli::BIN)
        .args(["practice", "check", "--step", "propose", "-"])
        .current_dir(home.path())
        .env("HOME", home.path())
        .env_remove("ATTUNED_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // A 50 KB paste from an editor, with an escape sequence in it.
    let text = "Unfortunately \u{1b}[2J ".to_string() + &"we will see. ".repeat(4000);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.contains("✗ no deflecting words — \"unfortunately\" announces a no"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "{out:?}");
}

#[test]
fn usage_mistakes_are_refused_by_clap() {
    let home = tempfile::tempdir().unwrap();
    let o = attuned(
        home.path(),
        &["practice", "check", "--step", "recognize", "hello"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("expected mirror, clarify or propose"));
    let o = attuned(home.path(), &["practice", "check", "--step", "mirror"]);
    assert_eq!(o.status.code(), Some(2));
}
