//! Helpers of the git-level tests: a devstack, and temp repositories whose git runs the built
//! `gitsign` against it, isolated from the user's own configuration.

pub mod skip;

use gitsign_devstack::oidc::Subject;
use gitsign_devstack::{Options, Running, state};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub const GITSIGN: &str = env!("CARGO_BIN_EXE_gitsign");

pub struct Stack {
    pub dir: tempfile::TempDir,
    pub running: Running,
}

impl Stack {
    pub fn start() -> Stack {
        let dir = tempfile::tempdir().unwrap();
        let running = Running::start(Options::new(dir.path().to_path_buf())).unwrap();
        Stack { dir, running }
    }

    pub fn token(&self, email: &str) -> String {
        state::load_issuer(self.dir.path())
            .unwrap()
            .mint(&Subject::Email(email.into()), None, Duration::from_secs(600))
            .unwrap()
    }

    pub fn trusted_root(&self) -> PathBuf {
        self.dir.path().join("trusted_root.json")
    }
}

/// Variables of the outer environment that would leak into gitsign's configuration.
const LEAKY: &[&str] = &[
    "SIGSTORE_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GIT_DIR",
    "GIT_WORK_TREE",
];

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub home: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Repo {
    /// A repository signing through gitsign against `stack`, with a token for `email`.
    pub fn new(stack: &Stack, email: &str) -> Repo {
        let urls = stack.running.urls();
        let env = vec![
            ("GITSIGN_FULCIO_URL".into(), urls.fulcio.clone()),
            ("GITSIGN_REKOR_URL".into(), urls.rekor.clone()),
            ("GITSIGN_OIDC_ISSUER".into(), urls.issuer.clone()),
            ("GITSIGN_TRUSTED_ROOT".into(), stack.trusted_root().display().to_string()),
            ("SIGSTORE_ID_TOKEN".into(), stack.token(email)),
        ];
        Repo::with_env(env)
    }

    pub fn with_env(env: Vec<(String, String)>) -> Repo {
        let repo = Repo { dir: tempfile::tempdir().unwrap(), home: tempfile::tempdir().unwrap(), env };
        repo.ok(&["init", "-q", "-b", "main"]);
        repo.ok(&["config", "user.name", "Ann Example"]);
        repo.ok(&["config", "user.email", "ann@example.com"]);
        repo.ok(&["config", "gpg.format", "x509"]);
        repo.ok(&["config", "gpg.x509.program", GITSIGN]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.current_dir(self.dir.path())
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join(".cache"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null());
        for k in std::env::vars().map(|(k, _)| k).filter(|k| k.starts_with("GITSIGN_") || LEAKY.contains(&k.as_str())) {
            c.env_remove(k);
        }
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn git(&self, args: &[&str]) -> Output {
        self.command("git").args(args).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.git(args);
        assert!(
            out.status.success(),
            "git {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    pub fn unset_env(&mut self, key: &str) {
        self.env.retain(|(k, _)| k != key);
    }

    /// `gitsign ARGS`; for `verify` and `verify-tag`, which require WHO may sign, with
    /// `--certificate-identity IDENTITY` and `--certificate-oidc-issuer` (this repository's
    /// GITSIGN_OIDC_ISSUER) added after the subcommand unless ARGS give their own.
    pub fn verifier(&self, identity: &str, args: &[&str]) -> Command {
        let mut c = self.command(GITSIGN);
        let Some((first, rest)) = args.split_first() else { return c };
        c.arg(first);
        if matches!(*first, "verify" | "verify-tag") {
            if !rest.iter().any(|a| a.starts_with("--certificate-identity")) {
                c.args(["--certificate-identity", identity]);
            }
            if !rest.iter().any(|a| a.starts_with("--certificate-oidc-issuer")) {
                let issuer = self.env.iter().find(|(k, _)| k == "GITSIGN_OIDC_ISSUER").map(|(_, v)| v.clone());
                c.args(["--certificate-oidc-issuer", &issuer.expect("the repository has GITSIGN_OIDC_ISSUER")]);
            }
        }
        c.args(rest);
        c
    }

    /// Writes a file and stages it.
    pub fn stage(&self, name: &str, contents: &str) {
        std::fs::write(self.dir.path().join(name), contents).unwrap();
        self.ok(&["add", name]);
    }

    /// HEAD, index and worktree state, to show a failed signing changed nothing.
    pub fn snapshot(&self) -> (String, String) {
        let head = String::from_utf8_lossy(&self.git(&["rev-parse", "--verify", "-q", "HEAD"]).stdout).to_string();
        (head, self.ok(&["status", "--porcelain=v1"]))
    }
}

/// Splits a raw commit into (payload, armored signature).
pub fn split_commit(raw: &str) -> (String, String) {
    let (payload, sig) = gitsign_core::gitobj::split(raw.as_bytes(), "commit").unwrap();
    (String::from_utf8(payload).unwrap(), String::from_utf8(sig).unwrap())
}

/// sigstore-python's CLI (`GITSIGN_TEST_SIGSTORE`, else .venv/bin/sigstore, which ./test.sh
/// installs); `None` after a skip (outside CI; under CI the skip fails the test).
pub fn sigstore_python_cli() -> Option<PathBuf> {
    let path = std::env::var_os("GITSIGN_TEST_SIGSTORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/sigstore"));
    if path.exists() {
        return Some(path);
    }
    skip::skip(&format!("sigstore-python is not installed at {} (./test.sh installs it)", path.display()));
    None
}

/// Runs `gitsign -bsau` directly, not through git (git shows a signer's stderr only when it
/// fails, and the tests read it), in a new session so that it has no terminal to talk to instead.
pub fn sign_without_terminal(repo: &Repo, payload: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = repo
        .command("setsid")
        .args(["-w", GITSIGN, "--status-fd=2", "-bsau", "unused"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(payload).unwrap();
    child.wait_with_output().unwrap()
}
