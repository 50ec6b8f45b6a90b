//! Every file attuned writes (a new database, a backup, an export) is built under a
//! hidden name beside its destination, `.NAME.PID.tmp`, created 0600 with `O_EXCL`,
//! synced, and renamed into place, then the folder synced. A symbolic link at the
//! destination is refused, never written through. A hidden file (and its `-journal`,
//! `-wal`, `-shm`) that a process no longer running left there is removed by the next
//! command writing to the same name.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Output, Result};

/// What SQLite and `team merge` put beside a file being built: removed with it.
const SIDECARS: &[&str] = &["-journal", "-wal", "-shm", "-merge"];

/// A hidden name beside a destination for this process to build it under; whatever is
/// there under it (the file, its SQLite sidecars) is removed when dropped unless it was
/// renamed into place.
pub struct Aside {
    temp: PathBuf,
    dest: PathBuf,
    named: bool,
}

impl Aside {
    /// Reserves `.NAME.PID.tmp` beside `dest`, refusing a symbolic link at `dest`; what a
    /// dead process left beside `dest` goes first.
    pub fn beside(dest: &Path) -> Result<Aside> {
        refuse_link(dest)?;
        let name = dest
            .file_name()
            .ok_or_else(|| Output::NotAFileName(dest.to_path_buf()))?;
        sweep(dest);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.tmp", std::process::id()));
        Ok(Aside {
            temp: dest.with_file_name(temp_name),
            dest: dest.to_path_buf(),
            named: false,
        })
    }

    /// The hidden name.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Creates the hidden file, empty and 0600; errors name the destination.
    pub fn create(&self) -> Result<File> {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&self.temp)
            .map_err(|e| cannot_write(&self.dest, e))
    }

    /// Renames the finished (synced) file over the destination.
    pub fn replace(mut self) -> Result<()> {
        fs::rename(&self.temp, &self.dest).map_err(|e| Error::io(&self.dest, e))?;
        self.named = true;
        sync_folder(&self.dest);
        Ok(())
    }

    /// Gives the finished (synced) file the destination's name, never replacing a file
    /// that appeared there meanwhile.
    pub fn name_new(mut self) -> Result<()> {
        give_name_by(&self.temp, &self.dest, |a, b| fs::hard_link(a, b))?;
        // Linked: the hidden name goes in `drop`; renamed: nothing is left under it.
        self.named = !self.temp.exists();
        sync_folder(&self.dest);
        Ok(())
    }
}

impl Drop for Aside {
    fn drop(&mut self) {
        if !self.named {
            let _ = fs::remove_file(&self.temp);
        }
        for suffix in SIDECARS {
            remove_any(&sidecar(&self.temp, suffix));
        }
    }
}

/// Refuses a symbolic link at `path`: attuned never writes through one.
pub fn refuse_link(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::Symlink(path.to_path_buf())),
        _ => Ok(()),
    }
}

/// Writes `dest` aside and renames it into place (see the module's comment).
pub fn write_file<T>(
    dest: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T>,
) -> Result<T> {
    let aside = Aside::beside(dest)?;
    let mut w = BufWriter::with_capacity(1 << 16, aside.create()?);
    let value = write(&mut w)?;
    let file = w
        .into_inner()
        .map_err(|e| Error::io(dest, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(dest, e))?;
    aside.replace()?;
    Ok(value)
}

/// Writes `out` (`--out`): a new name or a regular file with [`write_file`]; a device,
/// pipe or socket (`/dev/stdout`, a FIFO) is written into as it is, since renaming over
/// it would replace it. A directory, or a link to anything else, is refused.
pub fn write_out<T>(
    out: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<T>,
) -> Result<T> {
    let stream = match fs::symlink_metadata(out) {
        Ok(m) if m.is_dir() => return Err(Error::NotAFile(out.to_path_buf())),
        Ok(m) if m.is_file() => false,
        // `/dev/stdout` is a link to the terminal or pipe: that is no file to protect.
        Ok(m) if m.file_type().is_symlink() => match fs::metadata(out) {
            Ok(t) if is_stream(&t) => true,
            _ => return Err(Error::Symlink(out.to_path_buf())),
        },
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(Error::io(out, e)),
    };
    if !stream {
        return write_file(out, write);
    }
    let file = OpenOptions::new()
        .write(true)
        .open(out)
        .map_err(|e| Error::io(out, e))?;
    // Swapped for a regular file (or a link to one) since it was looked at: still never
    // written in place.
    if !file.metadata().is_ok_and(|m| is_stream(&m)) {
        return Err(Output::Changed(out.to_path_buf()).into());
    }
    let mut w = BufWriter::with_capacity(1 << 16, file);
    let value = write(&mut w)?;
    w.flush().map_err(|e| Error::io(out, e))?;
    Ok(value)
}

/// A device, pipe or socket: written into, never replaced.
fn is_stream(m: &fs::Metadata) -> bool {
    !m.is_file() && !m.is_dir()
}

/// Gives the file at `temp` the name `dest`, never replacing a file there: a hard link
/// fails if one exists. (Where links are not supported, e.g. a FAT or exFAT drive, a
/// rename after checking the name is still free.) `link` is `fs::hard_link` but in tests.
pub(crate) fn give_name_by(
    temp: &Path,
    dest: &Path,
    link: impl Fn(&Path, &Path) -> io::Result<()>,
) -> Result<()> {
    let taken = || Output::CreatedMeanwhile(dest.to_path_buf()).into();
    match link(temp, dest) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(taken()),
        Err(_) if fs::symlink_metadata(dest).is_ok() => Err(taken()),
        Err(_) => fs::rename(temp, dest).map_err(|e| Error::io(dest, e)),
    }
}

/// A failure to create a file beside `dest`, as the user can act on it: the folder and
/// why, naming the user's file rather than the hidden one.
pub fn cannot_write(dest: &Path, e: io::Error) -> Error {
    let why = match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied",
        io::ErrorKind::ReadOnlyFilesystem => "read-only file system",
        io::ErrorKind::NotFound => "no such folder",
        io::ErrorKind::StorageFull => "the disk is full",
        _ => return Error::io(dest, e),
    };
    Error::CannotWrite {
        dir: folder_of(dest).to_path_buf(),
        why,
        path: dest.to_path_buf(),
    }
}

/// Removes the hidden files `.NAME.<pid>.tmp` (and their sidecars) beside `dest` whose
/// process is gone.
pub fn sweep(dest: &Path) {
    let Some(name) = dest.file_name() else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(folder_of(dest)) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(&prefix)) else {
            continue;
        };
        let pid = rest.split_once(".tmp").and_then(|(pid, suffix)| {
            let known = suffix.is_empty() || SIDECARS.contains(&suffix);
            known.then(|| pid.parse::<u32>().ok()).flatten()
        });
        if let Some(pid) = pid
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            remove_any(&entry.path());
        }
    }
}

/// Removes a file or a whole directory (not following a link), if there.
fn remove_any(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = fs::remove_file(path);
        }
        Err(_) => {}
    }
}

/// `path` with `suffix` appended to its name (`a.db-wal`).
pub fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Makes a name just given to a file in `dest`'s folder survive a power cut (best
/// effort: the contents are already synced; a failed folder sync only risks the name).
pub fn sync_folder(dest: &Path) {
    if let Ok(d) = File::open(folder_of(dest)) {
        let _ = d.sync_all();
    }
}

/// The folder `dest` is in (`.` for a bare file name).
pub fn folder_of(dest: &Path) -> &Path {
    dest.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_hard_links_a_new_file_is_renamed_but_never_over_another() {
        let dir = tempfile::tempdir().unwrap();
        let (temp, path) = (dir.path().join(".a.db.1.tmp"), dir.path().join("a.db"));
        let no_links = |_: &Path, _: &Path| Err(io::ErrorKind::Unsupported.into());
        fs::write(&temp, b"new").unwrap();
        fs::write(&path, b"someone else's").unwrap();
        let e = give_name_by(&temp, &path, no_links)
            .unwrap_err()
            .to_string();
        assert!(e.contains("created by something else"), "{e}");
        assert_eq!(fs::read(&path).unwrap(), b"someone else's");
        fs::remove_file(&path).unwrap();
        give_name_by(&temp, &path, no_links).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert!(!temp.exists());
    }

    #[test]
    fn what_a_dead_process_left_goes_and_a_live_ones_stays() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("b.db");
        let dead = ".b.db.999999999.tmp";
        let live = format!(".b.db.{}.tmp", std::process::id());
        let kept = [
            live.clone(),
            format!("{live}-wal"),
            ".b.db.999999999.tmpx".into(),
            ".c.db.999999999.tmp".into(),
        ];
        let leftovers = ["", "-journal", "-wal", "-shm"].map(|s| format!("{dead}{s}"));
        for f in leftovers.iter().chain(&kept) {
            fs::write(dir.path().join(f), b"x").unwrap();
        }
        fs::create_dir(dir.path().join(format!("{dead}-merge"))).unwrap();
        fs::write(dir.path().join(format!("{dead}-merge/source0.db")), b"x").unwrap();
        let aside = Aside::beside(&dest).unwrap();
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want = kept.to_vec();
        want.sort();
        assert_eq!(left, want);
        drop(aside);
    }

    #[test]
    fn a_link_is_refused_and_a_failed_write_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        fs::write(&real, b"keep me").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = write_file(&link, |w| w.write_all(b"x").map_err(|e| Error::io("x", e)))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!(
                "{} is a symbolic link; attuned does not write through links",
                link.display()
            )
        );
        let dest = dir.path().join("out.txt");
        let e = write_file(&dest, |w| {
            w.write_all(b"half").unwrap();
            Err::<(), _>(Error::Internal("failed"))
        });
        assert!(e.is_err());
        assert_eq!(fs::read(&real).unwrap(), b"keep me");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn a_folder_that_cannot_be_written_is_named_with_the_users_file() {
        let dest = Path::new("shared/team.db");
        let e = cannot_write(dest, io::ErrorKind::PermissionDenied.into()).to_string();
        assert_eq!(
            e,
            "cannot write in shared: permission denied (shared/team.db was not written)"
        );
        let e = cannot_write(Path::new("t.db"), io::ErrorKind::ReadOnlyFilesystem.into());
        assert_eq!(
            e.to_string(),
            "cannot write in .: read-only file system (t.db was not written)"
        );
    }
}
