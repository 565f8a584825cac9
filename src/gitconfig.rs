//! Reading `gitsign.*` from git config, exactly as git sees it: the map
//! [`gitsign_core::config::Config::resolve`] turns into typed settings.
//!
//! Two ways, one answer:
//! - **In-process**, when git's view is plainly the files gitsign can name: no `GIT_*` variable
//!   that changes what git reads (`git -c`, `GIT_CONFIG_COUNT`, `GIT_DIR`, ...); the system file
//!   this `git` was built with known (see [`SystemFile`]), and that `git` a plain binary; the
//!   current directory's `.git` a directory owned by this user holding a repository of format 0
//!   with no extensions, no `commondir`, no `core.worktree`; and
//!   every file read in the plain syntax of [`gitsign_core::gitconfig`]. Then the system,
//!   global (XDG, then `~/.gitconfig`) and repository files are read in git's order, each
//!   `include.path` and `includeIf "gitdir:…"` / `"gitdir/i:…"` / `"onbranch:…"` followed
//!   where it stands, by git's rules ([`gitsign_core::gitconfig::include`]). That saves a `git`
//!   process (1.2–1.5 ms on the 2-core machine this was measured on).
//! - **By `git config`** in every other case: `hasconfig:` and unknown conditions, `~user` and
//!   `%(prefix)` paths, a `gitdir:` condition when `$PWD` names the repository by another path,
//!   bracket expressions, a branch whose ref is not a plain file,
//!   `GIT_CONFIG_*`, `git -c`, worktree config, `GIT_DIR`, a subdirectory, another user's
//!   repository. git is the authority, and is asked whenever the in-process read is not sure to
//!   agree with it.
//!
//! Either can be started early ([`start`]) so that the process reads its input, and checks the
//! signature against the trust root the environment names ([`crate::trust::early`]), meanwhile.
//!
//! This module reads the process environment itself, not the [`gitsign_core::config::Env`] map:
//! the `git` it runs inherits the process environment (non-UTF-8 values included, which the map
//! drops), and the in-process read must see the same.

use gitsign_core::config::ConfigError;
use gitsign_core::gitconfig::{self as syntax, Entry};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// `GIT_*` variables that do not change which config git reads or how: everything else with
/// that prefix sends the read to git. (`GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM` and
/// `GIT_CONFIG_NOSYSTEM` are read by [`in_process`] itself.)
const HARMLESS_GIT_VARS: &[&str] = &[
    "GIT_EXEC_PATH",
    "GIT_PREFIX",
    "GIT_AUTHOR_NAME",
    "GIT_AUTHOR_EMAIL",
    "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME",
    "GIT_COMMITTER_EMAIL",
    "GIT_COMMITTER_DATE",
    "GIT_SSL_CAINFO",
    "GIT_REFLOG_ACTION",
    "GIT_EDITOR",
    "GIT_SEQUENCE_EDITOR",
    "GIT_PAGER",
    "GIT_TERMINAL_PROMPT",
    "GIT_ASKPASS",
    "GIT_INDEX_FILE",
    // Set by git for the programs it runs while its pager is on (`git log --show-signature` at a
    // terminal): it changes colours, not what config git reads.
    "GIT_PAGER_IN_USE",
];

/// A `git config` read under way, or done (see [`start`]); [`Pending::finish`] gives its map.
#[derive(Debug)]
pub struct Pending {
    state: State,
    /// How the map was (or is being) read: for the debug log.
    pub how: String,
}

#[derive(Debug)]
enum State {
    Read(BTreeMap<String, String>),
    Git { child: Result<Child, std::io::Error>, probe: Option<SystemProbe> },
}

/// Starts reading `gitsign.*` from git config (the repository's view when run inside one):
/// in-process when that is sure to be git's view, otherwise by `git config`. git's stdin is not
/// gitsign's: that is the payload to sign or verify.
pub fn start() -> Pending {
    // The `git` that would be asked must be plainly the one whose view is computed (not a
    // wrapper that could add settings), whether or not its system file is read.
    let system = SystemFile::of_path_git();
    let declined = match &system {
        Ok(system) => match in_process(&system.learnt) {
            Ok((map, files)) => return Pending { state: State::Read(map), how: format!("read in-process ({files})") },
            Err(why) => why,
        },
        Err(why) => NotSure::Because(why.clone()),
    };
    // Learn the system file of this git meanwhile, for the next run, when that is what was missing.
    let probe = match (&declined, system) {
        (NotSure::SystemUnknown, Ok(system)) if system.learnt == Learnt::Not => SystemProbe::start(system),
        _ => None,
    };
    let child = Command::new("git")
        .args(["config", "--null", "--get-regexp", r"^gitsign\."])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    Pending { state: State::Git { child, probe }, how: format!("asked git ({declined})") }
}

impl Pending {
    /// Waits for git if it was asked, and returns `gitsign.*` (keys without the prefix, lower
    /// case; the last value of a key wins, as for git).
    pub fn finish(self) -> Result<BTreeMap<String, String>, ConfigError> {
        let (child, probe) = match self.state {
            State::Read(map) => return Ok(map),
            State::Git { child, probe } => (child, probe),
        };
        let out = child.and_then(Child::wait_with_output).map_err(ConfigError::Git);
        if let Some(probe) = probe {
            probe.finish();
        }
        let out = out?;
        // Exit 1 means no gitsign.* key is set; anything else but 0 is git refusing the config.
        if !matches!(out.status.code(), Some(0 | 1)) {
            let said = String::from_utf8_lossy(&out.stderr);
            return Err(ConfigError::GitFailed {
                status: out.status.to_string(),
                stderr: gitsign_core::text::sanitize(said.trim_end()).chars().take(500).collect(),
            });
        }
        let mut map = BTreeMap::new();
        for item in out.stdout.split(|b| *b == 0).filter(|i| !i.is_empty()) {
            let text = String::from_utf8_lossy(item);
            let (key, value) = text.split_once('\n').unwrap_or((&text, ""));
            if let Some(name) = key.strip_prefix("gitsign.") {
                map.insert(name.to_ascii_lowercase(), value.to_string());
            }
        }
        Ok(map)
    }
}

/// Why the in-process read is not sure to be git's view (and git is asked).
#[derive(Debug)]
enum NotSure {
    /// The system config file of the `git` on `PATH` is not in the cache yet.
    SystemUnknown,
    /// Anything else, said.
    Because(String),
}

impl From<String> for NotSure {
    fn from(why: String) -> Self {
        NotSure::Because(why)
    }
}

impl From<&str> for NotSure {
    fn from(why: &str) -> Self {
        NotSure::Because(why.to_string())
    }
}

impl std::fmt::Display for NotSure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotSure::SystemUnknown => f.write_str("the system config file of this git is not known yet"),
            NotSure::Because(why) => f.write_str(why),
        }
    }
}

/// git's view read in-process, with the files read (for the log); `Err` says why it is not
/// sure to be git's, and git is asked.
fn in_process(system: &Learnt) -> Result<(BTreeMap<String, String>, String), NotSure> {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("GIT_")
            && !HARMLESS_GIT_VARS.contains(&&*name)
            && !matches!(&*name, "GIT_CONFIG_GLOBAL" | "GIT_CONFIG_SYSTEM" | "GIT_CONFIG_NOSYSTEM")
        {
            return Err(format!("{name} is set").into());
        }
    }
    // git checks access with the real ids, on the whole path: with other effective ids, only
    // git can say what it may read.
    use rustix::process::{getegid, geteuid, getgid, getuid};
    if getuid() != geteuid() || getgid() != getegid() {
        return Err("the real and effective ids differ".into());
    }
    // Nor may capabilities let this process through where `access` (which drops them for a
    // user other than root) stops git.
    use rustix::thread::CapabilitySet as Cap;
    if !getuid().is_root()
        && rustix::thread::capabilities(None)
            .map_or(true, |c| c.effective.intersects(Cap::DAC_OVERRIDE | Cap::DAC_READ_SEARCH))
    {
        return Err("file-access capabilities are in effect".into());
    }
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let set_but_empty = |name: &str| std::env::var_os(name).is_some_and(|v| v.is_empty());
    let home = var("HOME").map(PathBuf::from).filter(|h| h.is_absolute()).ok_or("HOME is not an absolute path")?;
    let mut files: Vec<PathBuf> = Vec::new();
    // The system file: GIT_CONFIG_NOSYSTEM (git's boolean), else GIT_CONFIG_SYSTEM, else this git's own.
    let nosystem = match std::env::var_os("GIT_CONFIG_NOSYSTEM") {
        None => false,
        Some(v) => match v.to_str().map(str::to_ascii_lowercase).as_deref() {
            Some("" | "0" | "false" | "no" | "off") => false,
            Some("1" | "true" | "yes" | "on") => true,
            _ => return Err("GIT_CONFIG_NOSYSTEM is not a plain boolean".into()),
        },
    };
    if !nosystem {
        if set_but_empty("GIT_CONFIG_SYSTEM") {
            return Err("GIT_CONFIG_SYSTEM is empty".into());
        }
        match var("GIT_CONFIG_SYSTEM") {
            Some(path) => files.push(plain_path(path, "GIT_CONFIG_SYSTEM")?),
            None => match system {
                Learnt::File(file) => files.push(file.clone()),
                Learnt::Unusable => return Err("this git's system config file cannot be learnt (git var)".into()),
                Learnt::Not => return Err(NotSure::SystemUnknown),
            },
        }
    }
    // The global files: GIT_CONFIG_GLOBAL alone, else the XDG file then ~/.gitconfig.
    if set_but_empty("GIT_CONFIG_GLOBAL") {
        return Err("GIT_CONFIG_GLOBAL is empty".into());
    }
    match var("GIT_CONFIG_GLOBAL") {
        Some(path) => files.push(plain_path(path, "GIT_CONFIG_GLOBAL")?),
        None => {
            // A relative XDG_CONFIG_HOME is taken from the directory git works in, which
            // core.worktree can change.
            let xdg = match var("XDG_CONFIG_HOME") {
                Some(x) if Path::new(&x).is_absolute() => PathBuf::from(x),
                Some(_) => return Err("XDG_CONFIG_HOME is not an absolute path".into()),
                None => home.join(".config"),
            };
            files.push(xdg.join("git/config"));
            files.push(home.join(".gitconfig"));
        }
    }
    // The repository: the current directory's `.git`, if it is a plain repository of this user.
    // Its setup (format, extensions, work tree) is read from its own config file, without
    // includes, as git's setup reads it.
    let git_dir = plain_repository()?;
    let own = OwnFiles::of_this_process();
    let repo_config = git_dir.join("config");
    let repo_entries = read_file(&repo_config, &own)?;
    if let Some(entries) = &repo_entries {
        for e in entries {
            if e.section == "extensions" {
                return Err(format!("{} has extensions", repo_config.display()).into());
            }
            if e.is("core", "repositoryformatversion") && e.value.as_deref() != Some("0") {
                return Err(format!("{} is not of repository format 0", repo_config.display()).into());
            }
            // Read while git sets the repository up: a work tree elsewhere changes git's
            // directory; a value git refuses stops it.
            if e.is("core", "worktree") || (e.is("core", "bare") && e.value.as_deref() != Some("false")) {
                return Err(format!("{} sets core.{}", repo_config.display(), e.key).into());
            }
        }
    }
    let mut reading = Reading { home, git_dir, own, map: BTreeMap::new(), read: Vec::new() };
    for file in &files {
        reading.file(file, 0)?;
    }
    if let Some(entries) = repo_entries {
        reading.entries(&repo_config, &entries, 0)?;
    }
    Ok((reading.map, reading.read.join(", ")))
}

/// git's limit on nested includes (`MAX_INCLUDE_DEPTH`): past it git stops with an error.
const MAX_INCLUDE_DEPTH: usize = 10;

/// One in-process read of the config files, includes followed where they stand, as git's
/// `git_config_include` does ([`gitsign_core::gitconfig::include`] has the rules).
struct Reading {
    /// `$HOME`, as git expands `~` in include paths.
    home: PathBuf,
    /// The repository directory (`.git`): its real path is what `gitdir:` conditions match.
    git_dir: PathBuf,
    own: OwnFiles,
    map: BTreeMap<String, String>,
    /// The files read, for the log.
    read: Vec<String>,
}

impl Reading {
    /// Reads `path` (nothing if it does not exist), at include depth `depth`.
    fn file(&mut self, path: &Path, depth: usize) -> Result<(), NotSure> {
        match read_file(path, &self.own)? {
            Some(entries) => self.entries(path, &entries, depth),
            None => Ok(()),
        }
    }

    /// Takes the entries of the file `path`, in order.
    fn entries(&mut self, path: &Path, entries: &[Entry], depth: usize) -> Result<(), NotSure> {
        self.read.push(path.display().to_string());
        let at = |d: syntax::Declined| NotSure::Because(format!("{}: {d}", path.display()));
        for e in entries {
            if e.section == "gitsign" {
                let name = match &e.subsection {
                    Some(sub) => format!("{sub}.{}", e.key),
                    None => e.key.clone(),
                };
                self.map.insert(name.to_ascii_lowercase(), e.value.clone().unwrap_or_default());
                continue;
            }
            let Some((rule, target)) = syntax::include(e).map_err(at)? else { continue };
            let including = path.to_str().ok_or_else(|| format!("{}: the path is not UTF-8", path.display()))?;
            let holds = self.holds(rule, including).map_err(at)?;
            let Some(target) = target.filter(|_| holds) else { continue };
            if depth + 1 > MAX_INCLUDE_DEPTH {
                return Err(format!("{}: includes nested deeper than git allows", path.display()).into());
            }
            let home = self.home.to_str().ok_or("HOME is not UTF-8")?;
            let target = syntax::include_path(target, home, including).map_err(at)?;
            self.file(Path::new(&target), depth + 1)?;
        }
        Ok(())
    }

    /// Whether an include's condition holds; `Err` when it is not sure to be git's answer.
    fn holds(&self, rule: syntax::Include<'_>, including: &str) -> Result<bool, syntax::Declined> {
        let real = |p: &Path| std::fs::canonicalize(p).ok().and_then(|p| p.into_os_string().into_string().ok());
        match rule {
            syntax::Include::Always => Ok(true),
            syntax::Include::GitDir { pattern, icase } => {
                let git_dir = real(&self.git_dir)
                    .ok_or(syntax::Declined::Include("condition on a repository with no UTF-8 real path"))?;
                // The including file's directory: its real path up to the last `/` (git's
                // `find_last_dir_sep`; "" for a file in `/`).
                let including_dir = || real(Path::new(including)).and_then(|p| Some(p[..p.rfind('/')?].to_string()));
                let holds = syntax::gitdir_matches(pattern, icase, &git_dir, || real(&self.home), including_dir)?;
                // git tries the directory's absolute path as well, which is `$PWD`'s when that
                // names the current directory by another path (a link, `//`, `/./`): then only
                // git can say.
                if !holds && pwd_is_an_alias() {
                    return Err(syntax::Declined::Include("condition on a directory $PWD names by another path"));
                }
                Ok(holds)
            }
            syntax::Include::OnBranch(pattern) => match checked_out_branch(&self.git_dir)? {
                Some(branch) => syntax::onbranch_matches(pattern, &branch),
                None => Ok(false),
            },
        }
    }
}

/// Whether `$PWD` names the current directory by another path (git's
/// `strbuf_add_absolute_path` then uses it).
fn pwd_is_an_alias() -> bool {
    use std::os::unix::ffi::OsStrExt as _;
    let (Some(pwd), Ok(cwd)) = (std::env::var_os("PWD"), std::env::current_dir()) else { return false };
    // git compares the strings (`/a//b` is another path to it), not the components.
    if pwd.as_bytes() == cwd.as_os_str().as_bytes() {
        return false;
    }
    match (std::fs::metadata(&pwd), std::fs::metadata(&cwd)) {
        (Ok(p), Ok(c)) => p.dev() == c.dev() && p.ino() == c.ino(),
        _ => false,
    }
}

/// The branch `HEAD` names (under `refs/heads/`), as git's `onbranch:` sees it: `None` for a
/// detached `HEAD` or one naming a ref outside `refs/heads/`. Only plain shapes are judged
/// here: a name of ASCII letters, digits and `-_./` that git's ref-name rules take, whose loose
/// ref is a regular file holding an object name, or is absent with no `packed-refs` beside it
/// (an unborn branch). Anything else — a link, a FIFO, an unreadable or odd ref, a name git
/// may refuse, a branch that may be packed — is declined: git resolves it, or refuses it.
fn checked_out_branch(git_dir: &Path) -> Result<Option<String>, syntax::Declined> {
    let decline = syntax::Declined::Include;
    let head = std::fs::read(git_dir.join("HEAD")).map_err(|_| decline("condition on an unreadable HEAD"))?;
    let Some(name) = head.strip_suffix(b"\n").and_then(|l| l.strip_prefix(b"ref: refs/heads/")) else {
        return Ok(None);
    };
    let name = std::str::from_utf8(name)
        .ok()
        .filter(|n| plain_branch_name(n))
        .ok_or(decline("condition on a branch name that is not plain"))?;
    let loose = git_dir.join("refs/heads").join(name);
    let not_a_file = decline("condition on a branch whose ref is not a plain file");
    // git takes a link as the ref itself for a symbolic ref (directories on the way it follows,
    // as [`locate`] does, declining procfs).
    if std::fs::symlink_metadata(&loose).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(not_a_file);
    }
    let found = match locate(&loose) {
        Ok(Some(found)) => found,
        // Packed (`git gc` packs refs), or unborn: either way the branch is `name`, once git
        // can read `packed-refs` (it stops on a line it does not expect).
        Ok(None) if plain_packed_refs(git_dir) => return Ok(Some(name.to_string())),
        _ => return Err(not_a_file),
    };
    let not_plain = decline("condition on a branch whose ref is not a plain object name");
    let (fd, st) = found.open().map_err(|_| not_a_file)?;
    if !is_regular(&st) {
        return Err(not_plain);
    }
    let target = read_up_to(fd, 41).map_err(|_| not_plain.clone())?;
    match target.strip_suffix(b"\n") {
        Some(id) if sha1_hex(id) => Ok(Some(name.to_string())),
        _ => Err(not_plain),
    }
}

/// Whether `packed-refs` is absent, or a regular file (under 1 MiB) of lines git reads: an
/// optional `# pack-refs with:` header, then `<40 hex> refs/…` and `^<40 hex>` lines.
fn plain_packed_refs(git_dir: &Path) -> bool {
    let found = match locate(&git_dir.join("packed-refs")) {
        Ok(None) => return true,
        Ok(Some(found)) => found,
        Err(_) => return false,
    };
    let Ok((fd, st)) = found.open() else { return false };
    if !is_regular(&st) {
        return false;
    }
    // git reads the size fstat gives, and stops on less.
    let Ok(text) = read_up_to(fd, syntax::MAX_FILE) else { return false };
    if text.len() > syntax::MAX_FILE || i64::try_from(text.len()).ok() != Some(st.st_size) {
        return false;
    }
    let Some(body) = text.strip_suffix(b"\n") else { return text.is_empty() };
    // A `^` (peeled) line only right after the ref it peels.
    let mut after_ref = false;
    body.split(|b| *b == b'\n').enumerate().all(|(i, line)| {
        let (plain, is_ref) = if i == 0 && line.starts_with(b"# pack-refs with:") {
            (line.iter().all(|b| b.is_ascii_graphic() || *b == b' '), false)
        } else if let Some(peeled) = line.strip_prefix(b"^") {
            (after_ref && sha1_hex(peeled), false)
        } else {
            let is_ref = line.split_at_checked(40).is_some_and(|(id, rest)| {
                sha1_hex(id)
                    && rest.strip_prefix(b" refs/").is_some_and(|r| !r.is_empty() && r.iter().all(u8::is_ascii_graphic))
            });
            (is_ref, true)
        };
        after_ref = is_ref;
        plain
    })
}

/// A branch name (under `refs/heads/`) of the plain kind git's `check_refname_format` takes:
/// components of ASCII letters, digits and `-_.`, none empty, none starting with `.` or ending
/// with `.` or `.lock`, and no `..`.
fn plain_branch_name(name: &str) -> bool {
    !name.contains("..")
        && name.split('/').all(|c| {
            !c.is_empty()
                && !c.starts_with('.')
                && !c.ends_with('.')
                && !c.ends_with(".lock")
                && c.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// A path from the environment that means one file to git and to the kernel alike: absolute,
/// and lexically normal — git normalises `GIT_CONFIG_SYSTEM` (`a/link/../b` is `a/b` to git,
/// not to the kernel), and does not `~`-expand.
fn plain_path(value: OsString, name: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(value);
    let normal: PathBuf = path.components().collect();
    let plain = path.is_absolute()
        && normal.as_os_str() == path.as_os_str()
        && !path.components().any(|c| matches!(c, std::path::Component::ParentDir));
    if plain { Ok(path) } else { Err(format!("{name} is not an absolute, normal path")) }
}

/// This process's standard streams: a config file that is one of them is declined (by any name:
/// the `git config` asked instead has other streams).
struct OwnFiles {
    streams: Vec<(u64, u64)>,
}

impl OwnFiles {
    fn of_this_process() -> OwnFiles {
        use std::os::fd::AsFd as _;
        let streams = [
            rustix::fs::fstat(std::io::stdin().as_fd()),
            rustix::fs::fstat(std::io::stdout().as_fd()),
            rustix::fs::fstat(std::io::stderr().as_fd()),
        ];
        OwnFiles { streams: streams.iter().flatten().map(file_id).collect() }
    }
}

/// A file's (device, inode).
#[allow(clippy::unnecessary_cast)] // u64 on this target, not on every one
fn file_id(st: &rustix::fs::Stat) -> (u64, u64) {
    (st.st_dev as u64, st.st_ino as u64)
}

/// How many links a path may go through, as the kernel allows (`ELOOP` past it).
const MAX_LINKS: usize = 40;

/// Where a path leads: the directory it ends in (open, `O_PATH`) and the name there.
struct Located {
    dir: rustix::fd::OwnedFd,
    name: std::ffi::OsString,
}

impl Located {
    /// Opens what was found, for reading (a link put there since is not followed, a FIFO not
    /// waited on), with its `fstat`.
    fn open(&self) -> rustix::io::Result<(rustix::fd::OwnedFd, rustix::fs::Stat)> {
        use rustix::fs::{Mode, OFlags};
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.dir, &self.name, flags, Mode::empty())?;
        let st = rustix::fs::fstat(&fd)?;
        Ok((fd, st))
    }
}

fn is_regular(st: &rustix::fs::Stat) -> bool {
    rustix::fs::FileType::from_raw_mode(st.st_mode) == rustix::fs::FileType::RegularFile
}

/// An open file's bytes, up to `limit` and one more (so that the caller sees it was longer).
fn read_up_to(fd: rustix::fd::OwnedFd, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(std::fs::File::from(fd), limit as u64 + 1), &mut bytes)?;
    Ok(bytes)
}

/// A SHA-1 object name in lower-case hex: what a repository of format 0 with no extensions
/// names objects by.
fn sha1_hex(id: &[u8]) -> bool {
    id.len() == 40 && id.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The components of `path` for [`locate`], last first, split on `/` as the kernel splits it:
/// `.` kept (`file/.` needs a directory, as `file/` does, which is a `.` after the last).
fn components_last_first(path: &Path) -> Vec<std::ffi::OsString> {
    use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
    let bytes = path.as_os_str().as_bytes();
    let mut names: Vec<std::ffi::OsString> = bytes
        .split(|b| *b == b'/')
        .filter(|n| !n.is_empty())
        .map(|n| std::ffi::OsString::from_vec(n.to_vec()))
        .collect();
    if bytes.ends_with(b"/") && !names.is_empty() {
        names.push(".".into());
    }
    names.reverse();
    names
}

/// Resolves `path` as the kernel would, one component at a time from the current directory
/// (or `/`), each opened with `O_PATH|O_NOFOLLOW` and links followed by reading them — so that
/// search permissions, `..` and mounts are the kernel's own — and says where it leads: `None`
/// when a component is missing (for git too). `Err` when the resolution passes through procfs
/// (there `/proc/self`, `/dev/fd/N` and `/proc/self/fd/N` are this process's own, and name other
/// files in the `git config` asked instead: its fd 3 is the config file it is reading), is
/// refused on the way (permissions, a file where a directory must be), is longer than the
/// kernel takes, or goes through more than [`MAX_LINKS`] links. The caller opens the file from
/// the directory found, so what is read is what was checked.
fn locate(path: &Path) -> Result<Option<Located>, String> {
    use rustix::fs::{FileType, Mode, OFlags};
    use rustix::io::Errno;
    use std::os::unix::ffi::OsStringExt as _;
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    if path.as_os_str().is_empty() {
        return Err(at(&"an empty path"));
    }
    // PATH_MAX: git's own calls fail past it.
    if path.as_os_str().len() >= 4096 {
        return Err(at(&"longer than a path may be"));
    }
    let in_procfs =
        |fd: &rustix::fd::OwnedFd| rustix::fs::fstatfs(fd).map_or(true, |s| s.f_type == rustix::fs::PROC_SUPER_MAGIC);
    let dir_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let root = || rustix::fs::open("/", dir_flags, Mode::empty()).map_err(|e| at(&e));
    let mut dir = if path.is_absolute() {
        root()?
    } else {
        rustix::fs::openat(rustix::fs::CWD, ".", dir_flags, Mode::empty()).map_err(|e| at(&e))?
    };
    let mut pending = components_last_first(path);
    let mut links = 0;
    if in_procfs(&dir) {
        return Err(at(&"reached through procfs"));
    }
    let step = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    while let Some(name) = pending.pop() {
        // A directory on the way is opened as one (an automount point is mounted then, as in
        // git's lookups); a link or a file there (ENOTDIR) is opened again as what it is. Any
        // other error (a failed automount, permissions) declines, below.
        let opened = if pending.is_empty() {
            rustix::fs::openat(&dir, &name, step, Mode::empty())
        } else {
            match rustix::fs::openat(&dir, &name, step | OFlags::DIRECTORY, Mode::empty()) {
                Err(Errno::NOTDIR) => rustix::fs::openat(&dir, &name, step, Mode::empty()),
                other => other,
            }
        };
        let fd = match opened {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(at(&e)),
        };
        if in_procfs(&fd) {
            return Err(at(&"reached through procfs"));
        }
        let kind = FileType::from_raw_mode(rustix::fs::fstat(&fd).map_err(|e| at(&e))?.st_mode);
        if kind == FileType::Symlink {
            links += 1;
            if links > MAX_LINKS {
                return Err(at(&"too many links"));
            }
            let target = rustix::fs::readlinkat(&fd, "", Vec::new()).map_err(|e| at(&e))?;
            let target = PathBuf::from(std::ffi::OsString::from_vec(target.into_bytes()));
            if target.is_absolute() {
                dir = root()?;
            }
            pending.extend(components_last_first(&target));
            continue;
        }
        if pending.is_empty() {
            return Ok(Some(Located { dir, name }));
        }
        if kind != FileType::Directory {
            return Err(at(&"a file where a directory must be"));
        }
        dir = fd;
    }
    Ok(Some(Located { dir, name: ".".into() }))
}

/// A config file's entries; `None` when it does not exist (git skips it too). Anything else git
/// could treat otherwise — reached through procfs ([`locate`]), refused by
/// `access`, not a regular file, one of this process's [`OwnFiles`], outside the plain syntax —
/// is `Err`. The file is checked as opened (never blocking on a FIFO put there meanwhile).
fn read_file(path: &Path, own: &OwnFiles) -> Result<Option<Vec<Entry>>, String> {
    use rustix::fs::FileType;
    let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let Some(found) = locate(path)? else { return Ok(None) };
    // git reads a file only when `access(R_OK)` allows it (with the real ids, no capabilities).
    rustix::fs::accessat(&found.dir, &found.name, rustix::fs::Access::READ_OK, rustix::fs::AtFlags::empty())
        .map_err(|e| at(&e))?;
    let (fd, st) = found.open().map_err(|e| at(&e))?;
    // /dev/null, by any name: git reads nothing from it.
    if FileType::from_raw_mode(st.st_mode) == FileType::CharacterDevice
        && (rustix::fs::major(st.st_rdev), rustix::fs::minor(st.st_rdev)) == (1, 3)
    {
        return Ok(Some(Vec::new()));
    }
    if !is_regular(&st) {
        return Err(format!("{} is not a regular file", path.display()));
    }
    if own.streams.contains(&file_id(&st)) {
        return Err(format!("{} is one of this process's standard streams", path.display()));
    }
    if rustix::fs::fstatfs(&fd).map_or(true, |s| s.f_type == rustix::fs::PROC_SUPER_MAGIC) {
        return Err(format!("{} is in procfs (another process's view to git)", path.display()));
    }
    let bytes = read_up_to(fd, syntax::MAX_FILE).map_err(|e| at(&e))?;
    syntax::parse(&bytes).map(Some).map_err(|e| at(&e))
}

/// The current directory's `.git` when git would take it, as it is, for the repository: a
/// directory (with no `commondir` sending git elsewhere) with `objects/` and `refs/` that this
/// process can enter (git's `access(X_OK)`) and a `HEAD` naming a branch or a commit, owned (as
/// is the current directory) by this user. `Err` for every other shape — no `.git` here (git
/// looks in the parents), a `.git` file, a bare repository, another user's — which git resolves.
fn plain_repository() -> Result<PathBuf, String> {
    let git_dir = PathBuf::from(".git");
    let meta = match std::fs::symlink_metadata(&git_dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("no .git in the current directory (git looks further)".into());
        }
        Err(e) => return Err(format!(".git: {e}")),
    };
    if !meta.is_dir() {
        return Err(".git is not a directory".into());
    }
    let me = rustix::process::geteuid().as_raw();
    if me == 0 && std::env::var_os("SUDO_UID").is_some() {
        return Err("run by root under sudo (git judges ownership by SUDO_UID)".into());
    }
    let cwd = std::fs::metadata(".").map_err(|e| format!("the current directory: {e}"))?;
    // git starts from the current directory's name (getcwd): it must still lead here.
    let named = std::env::current_dir()
        .and_then(std::fs::metadata)
        .map_err(|e| format!("the current directory's name: {e}"))?;
    if (named.dev(), named.ino()) != (cwd.dev(), cwd.ino()) {
        return Err("the current directory's name leads elsewhere (a mount over it)".into());
    }
    if meta.uid() != me || cwd.uid() != me {
        return Err("the repository is not owned by this user (git checks safe.directory)".into());
    }
    match std::fs::symlink_metadata(git_dir.join("commondir")) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        _ => return Err(".git/commondir sends git to another directory".into()),
    }
    for dir in ["objects", "refs"] {
        let path = git_dir.join(dir);
        let m = std::fs::symlink_metadata(&path).map_err(|e| format!(".git/{dir}: {e}"))?;
        if !m.is_dir() || rustix::fs::access(&path, rustix::fs::Access::EXEC_OK).is_err() {
            return Err(format!(".git/{dir} is not a directory this process can enter"));
        }
    }
    let head = std::fs::symlink_metadata(git_dir.join("HEAD")).map_err(|e| format!(".git/HEAD: {e}"))?;
    if !head.is_file() {
        return Err(".git/HEAD is not a regular file".into());
    }
    let head = std::fs::read(git_dir.join("HEAD")).map_err(|e| format!(".git/HEAD: {e}"))?;
    if !plain_head(&head) {
        return Err(".git/HEAD is not a plain branch or commit".into());
    }
    Ok(git_dir)
}

/// `ref: refs/...` or a hexadecimal object name, on one line.
fn plain_head(head: &[u8]) -> bool {
    let Some(line) = head.strip_suffix(b"\n") else { return false };
    if let Some(name) = line.strip_prefix(b"ref: refs/") {
        return !name.is_empty() && name.iter().all(|b| b.is_ascii_graphic());
    }
    matches!(line.len(), 40 | 64) && line.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

/// The `git` a `Command::new("git")` runs, and what gitsign has learnt of its system config
/// file (`git var GIT_CONFIG_SYSTEM`, kept in the cache directory under the binary's identity:
/// path, device, inode, size, modification and change times, so that an upgraded git is asked
/// again; a few binaries at once, as git's own directory comes first on `PATH` under git). The
/// cache is read as untrusted: it counts only if this user owns it and no one else can write it,
/// and a path counts only if it is one git's build can give this binary — `/etc/gitconfig` or
/// `PREFIX/etc/gitconfig` for `PREFIX/bin/git` or `PREFIX/libexec/git-core/git`, the binary's
/// path taken as given or with its links resolved — so a planted cache can at most choose
/// between those. A git that cannot answer (before 2.42) or answers otherwise is remembered as
/// such, and asked no more.
#[derive(Debug)]
struct SystemFile {
    git: PathBuf,
    identity: String,
    learnt: Learnt,
}

/// What the cache says of a git's system file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Learnt {
    /// Nothing yet: git is asked (`git var`) while `git config` runs.
    Not,
    /// This file.
    File(PathBuf),
    /// Nothing usable: git config is asked every time.
    Unusable,
}

/// How many git binaries the cache remembers.
const CACHE_RECORDS: usize = 4;

/// The kept file ([`crate::kept`]) of system files learnt.
const CACHE_FILE: &str = "git-system-config";

/// What the cache file holds: `CACHE_RECORDS` at most of (identity, answer), newest first; an
/// answer of `-` is [`Learnt::Unusable`].
fn cache_records() -> Vec<(String, String)> {
    let Some(text) = crate::kept::read(CACHE_FILE) else { return Vec::new() };
    let lines: Vec<&str> = text.lines().collect();
    lines.chunks_exact(2).take(CACHE_RECORDS).map(|r| (r[0].to_string(), r[1].to_string())).collect()
}

impl SystemFile {
    /// The first `git` on `PATH`, if it is plainly what the spawn runs: an absolute directory,
    /// a regular file this process may execute (what `execvp` takes), and an ELF binary (a
    /// wrapper script could change git's environment or arguments).
    fn of_path_git() -> Result<SystemFile, String> {
        let path = std::env::var_os("PATH").ok_or("PATH is not set")?;
        // Without a cache directory nothing learnt can be kept: git is asked, and no probe runs.
        crate::kept::path(CACHE_FILE).ok_or("no cache directory")?;
        for dir in std::env::split_paths(&path) {
            if !dir.is_absolute() {
                return Err(format!("PATH has a relative directory ({})", dir.display()));
            }
            let git = dir.join("git");
            let meta = match std::fs::metadata(&git) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(format!("{}: {e}", git.display())),
            };
            if !meta.is_file() || rustix::fs::access(&git, rustix::fs::Access::EXEC_OK).is_err() {
                return Err(format!("{} is not a file this process can run", git.display()));
            }
            let mut magic = [0u8; 4];
            std::io::Read::read_exact(&mut std::fs::File::open(&git).map_err(|e| e.to_string())?, &mut magic)
                .map_err(|e| e.to_string())?;
            if &magic != b"\x7fELF" {
                return Err(format!("{} is not an ELF executable", git.display()));
            }
            let identity = identity_of(&git, &meta);
            let learnt = match cache_records().into_iter().find(|(id, _)| *id == identity) {
                None => Learnt::Not,
                Some((_, answer)) if plausible_system_file(&git, Path::new(&answer)) => Learnt::File(answer.into()),
                Some(_) => Learnt::Unusable,
            };
            return Ok(SystemFile { git, identity, learnt });
        }
        Err("no git on PATH".into())
    }
}

/// One line: the binary's path (made printable) and its file's identity.
fn identity_of(git: &Path, meta: &std::fs::Metadata) -> String {
    format!(
        "{:?} {} {} {} {}.{} {}.{}",
        git,
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    )
}

/// Whether `file` is a system config path git's build gives a `git` at this path, taken as
/// given or with its links resolved.
fn plausible_system_file(git: &Path, file: &Path) -> bool {
    let by_prefix = |git: &Path| {
        let prefix = git
            .parent()
            .and_then(|d| match d.file_name()?.to_str()? {
                "bin" => d.parent(),
                "git-core" if d.parent()?.file_name()? == "libexec" => d.parent()?.parent(),
                _ => None,
            })
            .filter(|p| p.is_absolute());
        prefix.is_some_and(|p| file.as_os_str() == p.join("etc/gitconfig").as_os_str())
    };
    file.as_os_str() == "/etc/gitconfig" || by_prefix(git) || std::fs::canonicalize(git).is_ok_and(|g| by_prefix(&g))
}

/// `git var GIT_CONFIG_SYSTEM` under way, its answer to be kept in the cache.
#[derive(Debug)]
struct SystemProbe {
    child: Child,
    of: SystemFile,
}

impl SystemProbe {
    fn start(of: SystemFile) -> Option<SystemProbe> {
        let child = Command::new(&of.git)
            .args(["var", "GIT_CONFIG_SYSTEM"])
            .env_remove("GIT_CONFIG_SYSTEM")
            .env_remove("GIT_CONFIG_NOSYSTEM")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        Some(SystemProbe { child, of })
    }

    /// Keeps the answer — the file if plausible, else "unusable" — (owner-only, written whole
    /// then renamed) unless the binary changed while git ran; any failure to keep it only means
    /// git is asked again next time.
    fn finish(self) {
        let Ok(out) = self.child.wait_with_output() else { return };
        let answer = String::from_utf8(out.stdout).ok().and_then(|a| {
            let file = a.strip_suffix('\n').unwrap_or(&a).to_string();
            let usable =
                out.status.success() && !file.contains('\n') && plausible_system_file(&self.of.git, Path::new(&file));
            usable.then_some(file)
        });
        let same = std::fs::metadata(&self.of.git).is_ok_and(|m| identity_of(&self.of.git, &m) == self.of.identity);
        if !same {
            return;
        }
        let mut records = cache_records();
        records.retain(|(id, _)| *id != self.of.identity);
        records.insert(0, (self.of.identity.clone(), answer.unwrap_or_else(|| "-".into())));
        records.truncate(CACHE_RECORDS);
        let text: String = records.iter().map(|(id, answer)| format!("{id}\n{answer}\n")).collect();
        crate::kept::write(CACHE_FILE, &text);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn system_files_git_builds_can_give() {
        let yes = [
            ("/usr/bin/git", "/etc/gitconfig"),
            ("/usr/bin/git", "/usr/etc/gitconfig"),
            ("/usr/local/bin/git", "/usr/local/etc/gitconfig"),
            ("/usr/local/libexec/git-core/git", "/usr/local/etc/gitconfig"),
            ("/opt/git/2.47/bin/git", "/opt/git/2.47/etc/gitconfig"),
        ];
        for (git, file) in yes {
            assert!(plausible_system_file(Path::new(git), Path::new(file)), "{git} {file}");
        }
        let no = [
            ("/usr/bin/git", "/home/u/.cache/evil"),
            ("/usr/bin/git", "/usr/local/etc/gitconfig"),
            ("/usr/libexec/git/git", "/usr/etc/gitconfig"),
            ("/usr/sbin/other/git", "/usr/sbin/etc/gitconfig"),
            ("/git", "/etc/gitconfig/"),
        ];
        for (git, file) in no {
            assert!(!plausible_system_file(Path::new(git), Path::new(file)), "{git} {file}");
        }
    }

    #[test]
    fn environment_paths_must_be_absolute_and_normal() {
        assert!(plain_path("/a/b.cfg".into(), "X").is_ok());
        for bad in ["a/b", "/a/../b", "/a/./b", "/a//b", "/a/b/", "~/b"] {
            assert!(plain_path(bad.into(), "X").is_err(), "{bad}");
        }
    }

    #[test]
    fn heads_git_reads_plainly() {
        assert!(plain_head(b"ref: refs/heads/main\n"));
        assert!(plain_head(format!("{}\n", "a".repeat(40)).as_bytes()));
        for bad in [&b"ref: refs/heads/main"[..], b"ref:refs/heads/main\n", b"ref: refs/\n", b"ref: HEAD\n", b"ABC\n"] {
            assert!(!plain_head(bad), "{bad:?}");
        }
    }
}
