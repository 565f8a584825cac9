//! The daemon's start: its socket, placed without touching anything that is not its own, and
//! the process hardened so that no core dump or swap writes a key to disk.

use std::os::unix::fs::{DirBuilderExt as _, FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the socket could not be set up. Nothing that exists is changed when one of these is
/// returned, except a stale socket of a dead daemon, which is replaced.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The path has no parent directory.
    #[error("the socket path {0} has no directory")]
    NoDirectory(PathBuf),
    /// The directory could not be created.
    #[error("cannot create the socket directory {dir}: {source}")]
    CreateDir {
        /// The directory.
        dir: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Something could not be inspected.
    #[error("cannot inspect {path}: {source}")]
    Stat {
        /// The path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The directory exists and is not a directory.
    #[error("{0} is not a directory; choose another --socket path")]
    NotDirectory(PathBuf),
    /// The directory belongs to someone else.
    #[error(
        "the socket directory {dir} belongs to uid {owner}, not to this user (uid {me}); refusing to put the socket there: choose a directory of your own"
    )]
    NotOwner {
        /// The directory.
        dir: PathBuf,
        /// Its owner.
        owner: u32,
        /// This process's uid.
        me: u32,
    },
    /// Others may write in the directory (and so replace the socket).
    #[error(
        "the socket directory {dir} is writable by group or others (mode {mode:03o}); refusing to put the socket there: run `chmod go-w {dir}` or choose another directory"
    )]
    Writable {
        /// The directory.
        dir: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The path is taken by something that is not a socket.
    #[error("{0} exists and is not a socket; refusing to replace it: remove it or choose another --socket path")]
    NotSocket(PathBuf),
    /// Another daemon answers there.
    #[error("a credential cache is already running at {0}")]
    Running(PathBuf),
    /// The socket could not be made.
    #[error("cannot listen on {path}: {source}")]
    Listen {
        /// The path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// Checks that `dir` is a directory of this user that nobody else may write in.
fn check_directory(dir: &Path) -> Result<(), SetupError> {
    let meta = std::fs::metadata(dir).map_err(|source| SetupError::Stat { path: dir.to_path_buf(), source })?;
    if !meta.is_dir() {
        return Err(SetupError::NotDirectory(dir.to_path_buf()));
    }
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return Err(SetupError::NotOwner { dir: dir.to_path_buf(), owner: meta.uid(), me });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(SetupError::Writable { dir: dir.to_path_buf(), mode });
    }
    Ok(())
}

/// Listens on `path`: its directory is created 0700 when absent, and otherwise must belong to
/// this user and be writable by no one else (it is never chmodded); `path` itself must be
/// absent or a socket no daemon answers on. The socket is made 0600.
pub fn listen(path: &Path) -> Result<UnixListener, SetupError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        Some(_) => Path::new("."),
        None => return Err(SetupError::NoDirectory(path.to_path_buf())),
    };
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| SetupError::CreateDir { dir: dir.to_path_buf(), source })?;
    }
    check_directory(dir)?;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_socket() => return Err(SetupError::NotSocket(path.to_path_buf())),
        Ok(_) => {
            // A live daemon answers; a stale socket from a dead one is replaced.
            if crate::client::call(path, crate::protocol::Request::List, Duration::from_secs(2)).is_ok() {
                return Err(SetupError::Running(path.to_path_buf()));
            }
            std::fs::remove_file(path).map_err(|source| SetupError::Listen { path: path.to_path_buf(), source })?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(SetupError::Stat { path: path.to_path_buf(), source }),
    }
    // Made 0600 from the start (no window in which it is wider); the daemon has no other
    // thread yet, so the umask change affects nothing else.
    let umask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
    let bound = UnixListener::bind(path);
    nix::sys::stat::umask(umask);
    let listener = bound.map_err(|source| SetupError::Listen { path: path.to_path_buf(), source })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|source| SetupError::Listen { path: path.to_path_buf(), source })?;
    Ok(listener)
}

/// Keeps keys off the disk: the process becomes non-dumpable (no core file, no ptrace or
/// /proc/PID/mem by other processes of the user), its core-file limit is zero, and, when the
/// memory-lock limit allows, all its memory is locked so no key is swapped out. Returns a line
/// for each step that could not be done.
pub fn harden() -> Vec<String> {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let mut missed = Vec::new();
    if let Err(e) = nix::sys::prctl::set_dumpable(false) {
        missed.push(format!("cannot make the process non-dumpable: {e}"));
    }
    if let Err(e) = setrlimit(Resource::RLIMIT_CORE, 0, 0) {
        missed.push(format!("cannot set the core-file limit to 0: {e}"));
    }
    // Locking future allocations beyond the memory-lock limit would make them fail: lock only
    // when the limit is unlimited or the process may exceed it (CAP_IPC_LOCK).
    match getrlimit(Resource::RLIMIT_MEMLOCK) {
        Ok((soft, _)) if soft == nix::sys::resource::RLIM_INFINITY || has_ipc_lock() => {
            use nix::sys::mman::{MlockAllFlags, mlockall};
            if let Err(e) = mlockall(MlockAllFlags::MCL_CURRENT | MlockAllFlags::MCL_FUTURE) {
                missed.push(format!("memory not locked (keys could be swapped out): {e}"));
            }
        }
        Ok((soft, _)) => missed.push(format!(
            "memory not locked (keys could be swapped out): the memory-lock limit is {soft} bytes, not unlimited (ulimit -l unlimited, or LimitMEMLOCK=infinity in the systemd unit)"
        )),
        Err(e) => missed.push(format!("memory not locked: {e}")),
    }
    missed
}

/// Whether the process holds CAP_IPC_LOCK (bit 14 of CapEff in /proc/self/status).
fn has_ipc_lock() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("CapEff:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .is_some_and(|caps| caps & (1 << 14) != 0)
}
