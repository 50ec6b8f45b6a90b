//! Read-only, proven at the byte level: a session of browsing (and of trying every
//! editing key) in the real binary leaves the file's bytes, its modification time and
//! its folder exactly as they were — no -wal, no -shm, no backup. With `--read-only`,
//! and without it on a file or folder that is write-protected.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use attuned::store::Store;
use common::tmux::{BIN, Tmux, demo, first_account_name, open_command};

/// Bytes, permissions, modification time and the folder's listing.
#[derive(Debug, PartialEq, Eq)]
struct Fingerprint {
    bytes_len: usize,
    bytes_hash: u64,
    mode: u32,
    mtime: (i64, i64),
    folder: Vec<String>,
}

fn fingerprint(db: &Path) -> (Fingerprint, Vec<u8>) {
    use std::hash::{Hash, Hasher};
    let bytes = fs::read(db).unwrap();
    let m = fs::metadata(db).unwrap();
    let mut folder: Vec<String> = fs::read_dir(db.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folder.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    (
        Fingerprint {
            bytes_len: bytes.len(),
            bytes_hash: h.finish(),
            mode: m.mode() & 0o7777,
            mtime: (m.mtime(), m.mtime_nsec()),
            folder,
        },
        bytes,
    )
}

/// A demo book in a folder of its own (tmux's socket lives beside that folder).
fn book(dir: &Path) -> PathBuf {
    let folder = dir.join("book");
    fs::create_dir(&folder).unwrap();
    let db = folder.join("book.db");
    demo(&db, 40);
    db
}

/// Moves, filters, opens an account, tries every editing key there, opens the
/// follow-up queue and tries to complete one, then quits.
fn browse(tmux: &Tmux, name: &str) {
    tmux.wait_for("[read-only]");
    for key in ["j", "j", "k", "G", "g", "s", "S", "1", "0"] {
        tmux.keys(&[key]);
    }
    tmux.keys(&["l"]);
    tmux.wait_for("a touch cannot be logged");
    tmux.keys(&["c"]);
    tmux.wait_for("a call cannot be recorded");
    tmux.keys(&["R"]);
    tmux.wait_for("retrospectives cannot be written");
    tmux.keys(&["/"]);
    tmux.type_text(name);
    tmux.wait_for(&format!("Filter: {name}"));
    tmux.keys(&["Enter"]);
    tmux.wait_for("Relationship grid");
    for (key, says) in [
        ("+", "strength cannot change"),
        ("-", "strength cannot change"),
        ("]", "sentiment cannot change"),
        ("s", "CSM sentiment cannot be set"),
        ("i", "personas cannot be added"),
        ("e", "personas cannot be edited"),
        ("d", "personas cannot be archived"),
        ("l", "a touch cannot be logged"),
        ("c", "a call cannot be recorded"),
    ] {
        tmux.keys(&["j"]);
        tmux.keys(&[key]);
        let screen = tmux.wait_for(says);
        assert!(screen.contains("this file is open read-only"), "{screen}");
    }
    tmux.keys(&["Tab"]);
    tmux.keys(&["Enter"]);
    tmux.keys(&["Escape"]);
    tmux.keys(&["Escape"]);
    tmux.keys(&["f"]);
    tmux.wait_for("Follow-ups");
    tmux.keys(&["j"]);
    tmux.keys(&["d"]);
    tmux.wait_for("follow-ups cannot change");
    tmux.keys(&["z"]);
    tmux.keys(&["Escape"]);
    tmux.keys(&["q"]);
    assert_eq!(tmux.wait_until_exited(), "0", "{}", tmux.screen());
}

fn assert_unchanged(db: &Path, before: &(Fingerprint, Vec<u8>)) {
    let after = fingerprint(db);
    assert_eq!(after.0, before.0);
    assert!(after.1 == before.1, "the bytes of {db:?} changed");
}

#[test]
fn browsing_with_read_only_changes_not_a_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path());
    let name = first_account_name(&db);
    let before = fingerprint(&db);
    let tmux = Tmux::start(
        dir.path(),
        120,
        35,
        &format!("{BIN} --read-only --db '{}'", db.display()),
    );
    browse(&tmux, &name);
    assert_unchanged(&db, &before);
}

#[test]
fn a_write_protected_file_opens_read_only_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path());
    let name = first_account_name(&db);
    fs::set_permissions(&db, fs::Permissions::from_mode(0o400)).unwrap();
    let before = fingerprint(&db);
    let tmux = Tmux::start(dir.path(), 120, 35, &open_command(&db));
    let screen = tmux.wait_for("opened read-only");
    assert!(screen.contains("write-protected (mode 0400)"), "{screen}");
    browse(&tmux, &name);
    assert_unchanged(&db, &before);
}

#[test]
fn a_file_in_a_write_protected_folder_opens_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path());
    let name = first_account_name(&db);
    let folder = db.parent().unwrap().to_path_buf();
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o500)).unwrap();
    let before = fingerprint(&db);
    let tmux = Tmux::start(dir.path(), 120, 35, &open_command(&db));
    let screen = tmux.wait_for("opened read-only");
    assert!(screen.contains("folder of"), "{screen}");
    browse(&tmux, &name);
    assert_unchanged(&db, &before);
    fs::set_permissions(&folder, fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn the_store_refuses_writes_on_a_write_protected_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    drop(Store::open(&db).unwrap());
    fs::set_permissions(&db, fs::Permissions::from_mode(0o444)).unwrap();
    let before = fingerprint(&db);
    let mut store = Store::open_or_read_only(&db).unwrap();
    assert!(store.is_read_only());
    assert!(
        store
            .read_only_reason()
            .is_some_and(|n| n.contains("write-protected (mode 0444)"))
    );
    let err = store.write(|tx| tx.set_meta("x", "y")).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    drop(store);
    assert_unchanged(&db, &before);
    // A writable file opens as usual.
    fs::set_permissions(&db, fs::Permissions::from_mode(0o600)).unwrap();
    let store = Store::open_or_read_only(&db).unwrap();
    assert!(!store.is_read_only() && store.read_only_reason().is_none());
}

#[test]
fn writing_commands_refuse_a_write_protected_file() {
    use common::cli::attuned;
    let dir = tempfile::tempdir().unwrap();
    let db = book(dir.path());
    let other = dir.path().join("other.db");
    demo(&other, 5);
    fs::set_permissions(&db, fs::Permissions::from_mode(0o400)).unwrap();
    let before = fingerprint(&db);
    let export = dir.path().join("export.json");
    let o = attuned(
        dir.path(),
        &[
            "export",
            "--format",
            "json",
            "--db",
            other.to_str().unwrap(),
            "--out",
            export.to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let d = db.to_str().unwrap();
    for args in [
        vec!["demo", "--db", d],
        vec!["import", "--db", d, export.to_str().unwrap()],
        vec!["team", "merge", "--into", d, other.to_str().unwrap()],
    ] {
        let o = attuned(dir.path(), &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("write-protected (mode 0400)"),
            "{args:?}: {err}"
        );
    }
    assert_unchanged(&db, &before);
}
