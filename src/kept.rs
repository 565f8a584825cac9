//! Small files gitsign keeps for itself in the user's cache directory
//! (`~/.cache/sigstore/gitsign/<name>`, or under `XDG_CACHE_HOME`): what a run learnt that the
//! next can reuse (the system config file of a git binary, trust-root chain links verified).
//!
//! A kept file is read only when it is plainly this user's own: a regular file (not a link),
//! owned by the effective user, writable by no one else, in a directory that is the same (no one
//! else can rename files into it). It is written whole to a new
//! owner-only file in an owner-only directory, then renamed into place, so a reader sees the
//! old file or the new one, never a part. Keeping is advice: a file that is missing, foreign or
//! unreadable reads as nothing, and a failure to write only means the next run learns again.

use std::os::unix::fs::MetadataExt as _;
use std::path::PathBuf;

/// The path of the kept file `name`; `None` without a cache directory (no `HOME`).
pub fn path(name: &str) -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.cache_dir().join("sigstore/gitsign").join(name))
}

/// The kept file `name`, if it is this user's own and UTF-8 text.
pub fn read(name: &str) -> Option<String> {
    let path = path(name)?;
    let me = rustix::process::geteuid().as_raw();
    let own = |meta: std::fs::Metadata| meta.uid() == me && meta.mode() & 0o022 == 0;
    let file = std::fs::symlink_metadata(&path).ok()?;
    let dir = path.parent().and_then(|d| std::fs::symlink_metadata(d).ok());
    if !(file.is_file() && own(file) && dir.is_some_and(|d| d.is_dir() && own(d))) {
        crate::debug_log!("{}: not a file of this user's own: not read", path.display());
        return None;
    }
    String::from_utf8(std::fs::read(&path).ok()?).ok()
}

/// Replaces the kept file `name` with `text`; `false` if it could not be.
pub fn write(name: &str, text: &str) -> bool {
    let Some(path) = path(name) else { return false };
    let Some(dir) = path.parent() else { return false };
    let mut builder = std::fs::DirBuilder::new();
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    if builder.recursive(true).create(dir).is_err() {
        return false;
    }
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create_new(true), 0o600);
    let written = options.open(&tmp).and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    if written.is_err() || std::fs::rename(&tmp, &path).is_err() {
        let _ = std::fs::remove_file(&tmp);
        return false;
    }
    true
}
