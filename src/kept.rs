//! Small files gitsign keeps for itself in the user's cache directory
//! (`~/.cache/sigstore/gitsign/<name>`, or under `XDG_CACHE_HOME`): what a run learnt that the
//! next can reuse (the system config file of a git binary, trust-root chain links verified).
//!
//! A kept file is read only when it is plainly this user's own: a regular file (not a link),
//! owned by the effective user, writable by no one else, in a directory that is the same (no one
//! else can rename files into it). Both are checked on what was opened (the directory opened
//! without following a link, the file opened in it), not on a path looked up again. A file is
//! written whole to a new owner-only file in that directory, then renamed into place, so a
//! reader sees the old file or the new one, never a part; nothing is written into a directory
//! that would not be read. Keeping is advice: a file that is missing, foreign or unreadable
//! reads as nothing, and a failure to write only means the next run learns again.

use rustix::fs::{FileType, Mode, OFlags};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

/// A kept file is never read past this (they hold a few lines).
const MAX_LEN: u64 = 64 * 1024;

/// The path of the kept file `name`; `None` without a cache directory (no `HOME`).
pub fn path(name: &str) -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.cache_dir().join("sigstore/gitsign").join(name))
}

/// Whether `fd` is of `kind`, owned by this user and writable by no one else.
fn own(fd: &OwnedFd, kind: FileType) -> bool {
    rustix::fs::fstat(fd).is_ok_and(|st| {
        FileType::from_raw_mode(st.st_mode) == kind
            && st.st_uid == rustix::process::geteuid().as_raw()
            && st.st_mode & 0o022 == 0
    })
}

/// The directory of kept files, opened (not through a link) if it is the user's own.
fn own_dir(dir: &std::path::Path) -> Option<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::open(dir, flags, Mode::empty()).ok()?;
    if own(&fd, FileType::Directory) {
        Some(fd)
    } else {
        crate::debug_log!("{}: not a directory of this user's own: not used", dir.display());
        None
    }
}

/// The kept file `name`, if it and its directory are this user's own, as UTF-8 text.
pub fn read(name: &str) -> Option<String> {
    let path = path(name)?;
    let dir = own_dir(path.parent()?)?;
    // NONBLOCK: a FIFO put in its place must not hang the process (it is then refused).
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(&dir, name, flags, Mode::empty()).ok()?;
    if !own(&fd, FileType::RegularFile) {
        crate::debug_log!("{}: not a file of this user's own: not read", path.display());
        return None;
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(std::fs::File::from(fd), MAX_LEN), &mut text).ok()?;
    Some(text)
}

/// Replaces the kept file `name` with `text`; `false` if it could not be (no cache directory,
/// one that is not the user's own, or a failed write).
pub fn write(name: &str, text: &str) -> bool {
    let Some(path) = path(name) else { return false };
    let Some(dir_path) = path.parent() else { return false };
    let mut builder = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    if builder.recursive(true).create(dir_path).is_err() {
        return false;
    }
    let Some(dir) = own_dir(dir_path) else { return false };
    let tmp = format!(".{name}.{}", std::process::id());
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    // Only a file this process created is written, renamed, or removed on failure.
    let Ok(fd) = rustix::fs::openat(&dir, tmp.as_str(), flags, Mode::from_raw_mode(0o600)) else { return false };
    let written = std::io::Write::write_all(&mut std::fs::File::from(fd), text.as_bytes());
    if written.is_err() || rustix::fs::renameat(&dir, tmp.as_str(), &dir, name).is_err() {
        let _ = rustix::fs::unlinkat(&dir, tmp.as_str(), rustix::fs::AtFlags::empty());
        return false;
    }
    true
}
