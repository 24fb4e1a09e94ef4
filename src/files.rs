//! The files chartroom writes beside its store (letters, logs, rejects, packets, backups) hold
//! patient identifiers: each gets the store's modes — its owner's only, or its owner's and group's
//! on a shared install — whatever the umask of the clerk who made it. A file made 0644 by one
//! clerk's umask is a file the next clerk cannot append to, and one the world can read.

use std::fs::{File, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Who besides the owner may read and write what chartroom writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FileSharing {
    /// One account's install: owner only (0600 files, 0700 directories).
    #[default]
    Private,
    /// A department's install in a setgid group directory: owner and group (0660, 0770).
    Group,
}

impl FileSharing {
    pub fn file_mode(self) -> u32 {
        match self {
            Self::Private => 0o600,
            Self::Group => 0o660,
        }
    }

    pub fn dir_mode(self) -> u32 {
        match self {
            Self::Private => 0o700,
            // setgid, as the install's own directory is, so that what is made inside keeps its group.
            Self::Group => 0o2770,
        }
    }

    /// A data directory that its group may write is a shared install (README: setgid group dir).
    pub fn of_directory(dir: &Path) -> Self {
        match std::fs::metadata(dir) {
            Ok(meta) if meta.permissions().mode() & 0o020 != 0 => Self::Group,
            _ => Self::Private,
        }
    }
}

/// Writes `bytes` at `path` with the sharing's file mode. Written beside and renamed into place, so
/// a file at the name is never half written (a run killed mid-write leaves only a `.partial` file,
/// which the next write replaces), and its mode is set before anyone can open it.
pub fn write_private(path: &Path, bytes: &[u8], sharing: FileSharing) -> std::io::Result<()> {
    let partial = write_partial(path, bytes, sharing)?;
    std::fs::rename(&partial, path)
}

/// Writes `bytes` to `path.partial`, made afresh with the sharing's mode and synced; returns it.
/// Nothing is left there when the write fails.
fn write_partial(path: &Path, bytes: &[u8], sharing: FileSharing) -> std::io::Result<PathBuf> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    // A `.partial` left by another account could not be opened for writing; ours is made afresh.
    match std::fs::remove_file(&partial) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let written = (|| {
        let mut file = create_new(&partial, sharing.file_mode())?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    Ok(partial)
}

/// Writes `bytes` at `path`, a name nothing holds yet, with the sharing's file mode. Nothing at
/// the name is ever replaced and a symlink planted there is never followed: either refuses with
/// `AlreadyExists`. Written beside and linked into place, so the name never holds half a file.
pub fn write_new(path: &Path, bytes: &[u8], sharing: FileSharing) -> std::io::Result<()> {
    if taken(path) {
        return Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a file is already there"));
    }
    let partial = write_partial(path, bytes, sharing)?;
    // A hard link is made only where no name is, file or link: what another wrote meanwhile stands.
    let linked = std::fs::hard_link(&partial, path);
    let _ = std::fs::remove_file(&partial);
    linked
}

/// Whether anything holds the name — a file, a directory, or a symlink, dangling or not.
pub fn taken(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The first of `dir/STEM.EXT`, `dir/STEM-2.EXT`, … at which no file of any of `extensions` is:
/// the names a set of files written together takes, never over another's.
pub fn free_names(dir: &Path, stem: &str, extensions: &[&str]) -> Option<Vec<PathBuf>> {
    (1..1000)
        .map(|nth| {
            let stem = if nth == 1 { stem.to_string() } else { format!("{stem}-{nth}") };
            extensions.iter().map(|ext| dir.join(format!("{stem}.{ext}"))).collect::<Vec<_>>()
        })
        .find(|names| !names.iter().any(|n| taken(n)))
}

/// A new file at exactly `mode`: the umask narrows what `open` makes, so the mode is set again on
/// the open file.
pub fn create_new(path: &Path, mode: u32) -> std::io::Result<File> {
    let file = OpenOptions::new().write(true).create_new(true).mode(mode).open(path)?;
    file.set_permissions(Permissions::from_mode(mode))?;
    Ok(file)
}

/// A file opened for appending, made with the sharing's mode when it is new. An existing file keeps
/// the mode it has: it may be another clerk's, whose mode this account cannot change.
pub fn open_append(path: &Path, sharing: FileSharing) -> std::io::Result<File> {
    let mode = sharing.file_mode();
    match OpenOptions::new().append(true).create_new(true).mode(mode).open(path) {
        Ok(file) => {
            file.set_permissions(Permissions::from_mode(mode))?;
            Ok(file)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => OpenOptions::new().append(true).open(path),
        Err(e) => Err(e),
    }
}

/// Makes `dir` and any missing parents with the sharing's directory mode. Directories that were
/// there already are left as they are (another account may own them).
pub fn create_dir(dir: &Path, sharing: FileSharing) -> std::io::Result<()> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at {
        if d.as_os_str().is_empty() || d.exists() {
            break;
        }
        missing.push(d);
        at = d.parent();
    }
    for d in missing.into_iter().rev() {
        match std::fs::DirBuilder::new().mode(sharing.dir_mode()).create(d) {
            Ok(()) => std::fs::set_permissions(d, Permissions::from_mode(sharing.dir_mode()))?,
            // Another clerk made it at the same moment: theirs stands.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_get_the_sharing_modes() {
        let dir = tempfile::tempdir().unwrap();
        for (sharing, file, directory) in [(FileSharing::Private, 0o600, 0o700), (FileSharing::Group, 0o660, 0o770)] {
            let sub = dir.path().join(format!("{sharing:?}")).join("a/b");
            create_dir(&sub, sharing).unwrap();
            assert_eq!(mode(&sub), directory);
            assert_eq!(mode(sub.parent().unwrap()), directory);
            let path = sub.join("letter.txt");
            write_private(&path, b"one", sharing).unwrap();
            assert_eq!(mode(&path), file);
            write_private(&path, b"two", sharing).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"two");
            let log = sub.join("log");
            writeln!(open_append(&log, sharing).unwrap(), "first").unwrap();
            writeln!(open_append(&log, sharing).unwrap(), "second").unwrap();
            assert_eq!(std::fs::read_to_string(&log).unwrap(), "first\nsecond\n");
            assert_eq!(mode(&log), file);
        }
    }

    #[test]
    fn a_new_file_never_replaces_a_file_or_follows_a_link_and_takes_the_next_free_name() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, b"theirs").unwrap();
        let planted = dir.path().join("notice.txt");
        std::os::unix::fs::symlink(&target, &planted).unwrap();
        let refused = write_new(&planted, b"ours", FileSharing::Private).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).unwrap(), b"theirs", "the link was not followed");
        let dangling = dir.path().join("gone.txt");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(write_new(&dangling, b"ours", FileSharing::Private).is_err(), "a dangling link holds its name too");

        let names = free_names(dir.path(), "notice", &["txt", "pdf"]).unwrap();
        assert_eq!(names, [dir.path().join("notice-2.txt"), dir.path().join("notice-2.pdf")]);
        write_new(&names[0], b"ours", FileSharing::Private).unwrap();
        assert_eq!(mode(&names[0]), 0o600);
        assert!(!taken(&dir.path().join("notice-2.txt.partial")), "nothing is left beside it");
    }
}
