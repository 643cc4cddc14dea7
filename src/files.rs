//! Files warroom writes for one person: incident text, drafts and logs are nobody else's
//! business, so on Unix the directories warroom makes are 0700 (owner only) and the files
//! 0600. Elsewhere the system's defaults apply. A directory or file that already exists
//! keeps its mode: it may be one the user chose, like /tmp.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Creates `dir` and every missing directory above it, each new one owner-only; existing
/// ones are left as they are.
pub fn create_private_dir_all(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Options that create a missing file owner-only.
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Writes `bytes` to `path` in place, as `std::fs::write` does, creating the file
/// owner-only. For a path the user named: it may be a pipe or `/dev/stdout`, which a
/// rename would not write to.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)
}

/// Opens `path` to append to it (a log), creating it owner-only.
pub fn append_private(path: &Path) -> io::Result<File> {
    private_options().create(true).append(true).open(path)
}

/// Replaces `path` whole or not at all: `bytes` go to a new owner-only file beside it,
/// which is then renamed over it. Afterwards the file is owner-only whatever it was before.
pub fn replace_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_beside(path)?;
    // A file of this name can only be left from a crash of a process with this pid.
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let written = private_options()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A name for a new file beside `path`, unique to this process and this write.
fn temp_beside(path: &Path) -> io::Result<PathBuf> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )
    })?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(
        ".{}-{}.new",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    Ok(path.with_file_name(tmp))
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn new_directories_are_owner_only_and_existing_ones_keep_their_mode() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let deep = root.path().join("data").join("drafts");
        create_private_dir_all(&deep).unwrap();
        assert_eq!(mode(&root.path().join("data")), 0o700);
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(
            mode(root.path()),
            0o755,
            "the directory that was there is untouched"
        );
        // Asking again for a directory that exists is fine.
        create_private_dir_all(&deep).unwrap();
    }

    #[test]
    fn a_replaced_file_is_owner_only_even_if_it_was_readable_by_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.md");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        replace_private(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(mode(&path), 0o600);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind: {left:?}");
    }

    #[test]
    fn a_file_written_in_place_is_created_owner_only_and_appends_too() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.md");
        write_private(&path, b"one").unwrap();
        assert_eq!(mode(&path), 0o600);
        write_private(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");

        let log = dir.path().join("warroom.log");
        append_private(&log).unwrap().write_all(b"a\n").unwrap();
        append_private(&log).unwrap().write_all(b"b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "a\nb\n");
        assert_eq!(mode(&log), 0o600);
    }
}
