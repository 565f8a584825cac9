//! `gitsign initialize` against TUF repositories that python-tuf (the reference implementation,
//! in .venv) builds — `tests/support/tuf_repo.py` — served on loopback: a rotated root, then
//! timestamp, snapshot and targets, and the trusted root they name, which verification then uses.
//! Tampered, expired, wrongly signed, oversized and rolled-back metadata are refused, each for
//! its reason; and a cached root does not shadow a newer one built into the binary.

use crate::common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn python() -> Option<PathBuf> {
    let py = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python");
    let ok = std::process::Command::new(&py).args(["-c", "import tuf.api.metadata"]).output();
    if ok.is_ok_and(|o| o.status.success()) {
        return Some(py);
    }
    skip::skip(&format!("python-tuf is not installed in {} (./test.sh sets up .venv)", py.display()));
    None
}

/// A repository of `scenario` built by python-tuf in a temp dir: `root.json` (the bootstrap
/// root), `first/` and maybe `second/`; `served/` is what the mirror serves.
struct TufRepo {
    dir: tempfile::TempDir,
    mirror: String,
    /// Requests the mirror has received.
    requests: Arc<AtomicUsize>,
}

impl TufRepo {
    fn build(py: &Path, target: &Path, scenario: &str) -> TufRepo {
        let dir = tempfile::tempdir().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/tuf_repo.py");
        let out =
            std::process::Command::new(py).arg(script).arg(dir.path()).arg(target).arg(scenario).output().unwrap();
        assert!(out.status.success(), "tuf_repo.py {scenario}: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::rename(dir.path().join("first"), dir.path().join("served")).unwrap();
        let (mirror, requests) = serve(dir.path().join("served"));
        TufRepo { dir, mirror, requests }
    }

    /// The mirror now serves the repository's second state.
    fn advance(&self) {
        std::fs::remove_dir_all(self.dir.path().join("served")).unwrap();
        std::fs::rename(self.dir.path().join("second"), self.dir.path().join("served")).unwrap();
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root.json")
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Serves `dir` over HTTP on loopback; the counter counts the connections it accepts.
fn serve(dir: PathBuf) -> (String, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut line = String::new();
            if BufReader::new(&s).read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
            match std::fs::read(dir.join(&path)).ok().filter(|_| !path.contains("..")) {
                Some(body) => {
                    let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                    let _ = s.write_all(&body);
                }
                None => {
                    let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
            }
        }
    });
    (url, requests)
}

fn initialize(repo: &Repo, mirror: &str, root: Option<&Path>) -> std::process::Output {
    let mut cmd = repo.command(GITSIGN);
    cmd.args(["initialize", "--mirror", mirror]);
    if let Some(root) = root {
        cmd.arg("--root").arg(root);
    }
    cmd.output().unwrap()
}

fn cache(repo: &Repo) -> PathBuf {
    repo.home.path().join(".cache/sigstore/gitsign/tuf")
}

fn cached_version(repo: &Repo, file: &str) -> u64 {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(cache(repo).join(file)).unwrap()).unwrap();
    v["signed"]["version"].as_u64().unwrap()
}

#[test]
fn initialize_fetches_a_verified_trusted_root_that_verification_then_uses() {
    let Some(py) = python() else { return };
    let stack = Stack::start();
    let tuf = TufRepo::build(&py, &stack.trusted_root(), "good");
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.unset_env("GITSIGN_TRUSTED_ROOT");
    let out = initialize(&repo, &tuf.mirror, Some(&tuf.root()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cached = cache(&repo).join("trusted_root.json");
    assert_eq!(std::fs::read(&cached).unwrap(), std::fs::read(stack.trusted_root()).unwrap());
    assert_eq!((cached_version(&repo, "root.json"), cached_version(&repo, "timestamp.json")), (2, 1));
    // The cached root now verifies the devstack's signatures with no GITSIGN_TRUSTED_ROOT.
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "verified with the TUF root"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A second run starts from the cached (rotated) root and takes the newer metadata.
    tuf.advance();
    let out = initialize(&repo, &tuf.mirror, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(["timestamp.json", "snapshot.json", "targets.json"].map(|f| cached_version(&repo, f)), [2, 2, 2]);
}

#[test]
fn tampered_expired_missigned_and_oversized_metadata_are_refused() {
    let Some(py) = python() else { return };
    let stack = Stack::start();
    let cases = [
        ("tampered-target", "does not have the SHA-256 its metadata gives"),
        ("expired-timestamp", "timestamp.json expired at 2001-01-01"),
        (
            "wrong-timestamp-key",
            "timestamp.json: valid signatures from 0 distinct key(s) of the timestamp role, 1 needed",
        ),
        (
            "bad-rotation-old",
            "2.root.json: valid signatures from 0 distinct key(s) of the root (previous) role, 1 needed",
        ),
        ("bad-rotation-new", "2.root.json: valid signatures from 0 distinct key(s) of the root role, 1 needed"),
        ("one-key-two-ids", "timestamp.json: valid signatures from 1 distinct key(s) of the timestamp role, 2 needed"),
        ("wrong-keyid", "is not its key's ID"),
        ("oversized-timestamp", "timestamp.json is larger than 65536 bytes, the cap for timestamp metadata"),
    ];
    let mut failures = Vec::new();
    for (scenario, needle) in cases {
        let tuf = TufRepo::build(&py, &stack.trusted_root(), scenario);
        let repo = Repo::new(&stack, "ann@example.com");
        let out = initialize(&repo, &tuf.mirror, Some(&tuf.root()));
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() || !stderr.contains(needle) || cache(&repo).join("trusted_root.json").exists() {
            failures.push(format!("{scenario}: expected a refusal with {needle:?}, got: {stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rollbacks_to_older_metadata_are_refused_on_the_next_run() {
    let Some(py) = python() else { return };
    let stack = Stack::start();
    let cases = [
        (
            "rollback-timestamp",
            "rollback refused: timestamp.json gives timestamp version 1, older than the trusted version 2",
        ),
        (
            "rollback-snapshot",
            "rollback refused: timestamp.json gives snapshot version 1, older than the trusted version 2",
        ),
        (
            "rollback-targets",
            "rollback refused: 3.snapshot.json gives targets.json version 1, older than the trusted version 2",
        ),
        ("rollback-root", "rollback refused: 3.root.json carries root version 2, not 3"),
    ];
    let mut failures = Vec::new();
    for (scenario, needle) in cases {
        let tuf = TufRepo::build(&py, &stack.trusted_root(), scenario);
        let repo = Repo::new(&stack, "ann@example.com");
        let out = initialize(&repo, &tuf.mirror, Some(&tuf.root()));
        assert!(out.status.success(), "{scenario}, first run: {}", String::from_utf8_lossy(&out.stderr));
        let before = ["timestamp.json", "snapshot.json", "targets.json"].map(|f| cached_version(&repo, f));
        assert_eq!(before, [2, 2, 2], "{scenario}");
        tuf.advance();
        let out = initialize(&repo, &tuf.mirror, None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.success() || !stderr.contains(needle) {
            failures.push(format!("{scenario}: expected a refusal with {needle:?}, got: {stderr}"));
            continue;
        }
        // The trusted versions are kept.
        assert_eq!(["timestamp.json", "snapshot.json", "targets.json"].map(|f| cached_version(&repo, f)), before);
        assert_eq!(cached_version(&repo, "root.json"), 2, "{scenario}");
        // Bootstrapping again with the old root does not reset what is trusted.
        let out = initialize(&repo, &tuf.mirror, Some(&tuf.root()));
        if !String::from_utf8_lossy(&out.stderr).contains(needle) {
            failures.push(format!("{scenario}, --root again: {}", String::from_utf8_lossy(&out.stderr)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_cached_public_good_root_older_than_the_built_in_one_is_not_used() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed against the devstack"]);
    repo.unset_env("GITSIGN_TRUSTED_ROOT");
    let dir = cache(&repo);
    std::fs::create_dir_all(&dir).unwrap();
    let devstack_root = std::fs::read_to_string(stack.trusted_root()).unwrap();

    // Cached from the public mirror, with keys newer than the built-in root's: used.
    std::fs::write(dir.join("mirror"), gitsign_core::tuf::DEFAULT_MIRROR).unwrap();
    std::fs::write(dir.join("trusted_root.json"), &devstack_root).unwrap();
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // The same root dated before every key of the built-in one: the built-in root wins, and says so.
    let mut old: serde_json::Value = serde_json::from_str(&devstack_root).unwrap();
    fn backdate(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(start) = m.get_mut("validFor").and_then(|f| f.get_mut("start")) {
                    *start = "2000-01-01T00:00:00Z".into();
                }
                m.values_mut().for_each(backdate);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(backdate),
            _ => {}
        }
    }
    backdate(&mut old);
    std::fs::write(dir.join("trusted_root.json"), serde_json::to_vec(&old).unwrap()).unwrap();
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("the trusted root built into this gitsign"), "{stderr}");
    assert!(stderr.contains("is newer than the one `gitsign initialize`"), "{stderr}");

    // From another mirror (a private deployment), the cached root is always the one used.
    std::fs::write(dir.join("mirror"), "http://127.0.0.1:9").unwrap();
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `der` as a PEM block.
fn pem(label: &str, b64: &str) -> String {
    let body: Vec<String> = b64.as_bytes().chunks(64).map(|c| String::from_utf8_lossy(c).to_string()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", body.join("\n"))
}

/// The devstack's trust material in the Go gitsign's separate forms: (Fulcio roots, Rekor key,
/// CT log key) as PEM files in `dir`.
fn go_style_trust(stack: &Stack, dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let root: serde_json::Value = serde_json::from_slice(&std::fs::read(stack.trusted_root()).unwrap()).unwrap();
    let certs: String = root["certificateAuthorities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|ca| ca["certChain"]["certificates"].as_array().unwrap().clone())
        .map(|c| pem("CERTIFICATE", c["rawBytes"].as_str().unwrap()))
        .collect();
    let key = |logs: &str| pem("PUBLIC KEY", root[logs][0]["publicKey"]["rawBytes"].as_str().unwrap());
    let paths = (dir.join("fulcio-roots.pem"), dir.join("rekor.pub"), dir.join("ctlog.pub"));
    std::fs::write(&paths.0, certs).unwrap();
    std::fs::write(&paths.1, key("tlogs")).unwrap();
    std::fs::write(&paths.2, key("ctlogs")).unwrap();
    (paths.0, paths.1, paths.2)
}

#[test]
fn a_private_deployment_given_only_the_go_way_signs_and_verifies() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    let (roots, rekor, ctlog) = go_style_trust(&stack, repo.home.path());
    // No trusted_root.json anywhere: the public-good root is the base, and these replace its parts.
    repo.unset_env("GITSIGN_TRUSTED_ROOT");
    repo.set_env("SIGSTORE_ROOT_FILE", &roots.display().to_string());
    repo.set_env("SIGSTORE_REKOR_PUBLIC_KEY", &rekor.display().to_string());
    repo.set_env("SIGSTORE_CT_LOG_PUBLIC_KEY_FILE", &ctlog.display().to_string());
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "private deployment"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success() && err.contains("Good signature from [ann@example.com]"), "{err}");
    // fulcioRoot in git config works the same.
    repo.unset_env("SIGSTORE_ROOT_FILE");
    repo.ok(&["config", "gitsign.fulcioRoot", &roots.display().to_string()]);
    assert!(repo.git(&["verify-commit", "HEAD"]).status.success());
    // Without the Rekor key the public-good logs are the only ones: the entry is refused.
    repo.unset_env("SIGSTORE_REKOR_PUBLIC_KEY");
    let out = repo.git(&["verify-commit", "HEAD"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success() && err.contains("which the trust root does not hold"), "{err}");
}

/// A PEM file, in the repository's home, of a CA that did not issue the devstack's
/// certificates: public-good Fulcio's.
fn other_ca_pem(repo: &Repo) -> PathBuf {
    let public: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("core/assets/public-good-trusted_root.json"))
            .unwrap(),
    )
    .unwrap();
    let other = pem(
        "CERTIFICATE",
        public["certificateAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"].as_str().unwrap(),
    );
    let file = repo.home.path().join("other-ca.pem");
    std::fs::write(&file, other).unwrap();
    file
}

#[test]
fn fulcio_roots_replace_the_trust_roots_cas_instead_of_adding_to_them() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    assert!(repo.git(&["verify-commit", "HEAD"]).status.success());
    // Another CA (public-good Fulcio's) as the only Fulcio root: the devstack's CA, still in
    // trustedRoot, is no longer trusted.
    let file = other_ca_pem(&repo);
    repo.set_env("SIGSTORE_ROOT_FILE", &file.display().to_string());
    let out = repo.git(&["verify-commit", "HEAD"]);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success() && err.contains("does not chain to a Fulcio CA of the trust root"), "{err}");
}

/// gitsign checks a signature against the trust root the environment names while `git config`
/// runs (src/trust.rs `early`); what git config then says must still decide: a CA replacing the
/// root's, an identity policy, a root the environment does not name (the environment wins where
/// it sets a setting, so these are the settings that can differ).
#[test]
fn settings_read_from_git_config_after_an_early_check_still_decide_the_verdict() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    // The debug log says when the early root is kept: each case below is checked against it, so
    // the test knows which path it took.
    let log = repo.home.path().join("early.log");
    repo.set_env("GITSIGN_LOG", &log.display().to_string());
    let verify = |repo: &Repo| {
        let _ = std::fs::remove_file(&log);
        let out = repo.git(&["verify-commit", "HEAD"]);
        let kept = std::fs::read_to_string(&log).unwrap_or_default().contains("is the configured one: kept");
        (out.status.success(), format!("{}\n(early root kept: {kept})", String::from_utf8_lossy(&out.stderr)), kept)
    };
    let (good, err, kept) = verify(&repo);
    assert!(good && kept, "the environment names the whole trust root, so the early one is kept: {err}");
    // A CA in git config replacing the root's (the environment's root alone accepts the commit).
    let file = other_ca_pem(&repo);
    repo.ok(&["config", "gitsign.fulcioRoot", &file.display().to_string()]);
    let (good, err, kept) = verify(&repo);
    assert!(!good && !kept && err.contains("does not chain to a Fulcio CA of the trust root"), "{err}");
    repo.ok(&["config", "--unset", "gitsign.fulcioRoot"]);
    // An identity policy in git config only: the early root is kept, and the policy judged.
    repo.ok(&["config", "gitsign.certificateIdentity", "bob@example.com"]);
    let (good, err, kept) = verify(&repo);
    assert!(!good && kept && err.contains("bob@example.com"), "{err}");
    repo.ok(&["config", "--unset", "gitsign.certificateIdentity"]);
    repo.ok(&["config", "gitsign.certificateOidcIssuer", "https://issuer.invalid"]);
    let (good, err, kept) = verify(&repo);
    assert!(!good && kept && err.contains("https://issuer.invalid"), "{err}");
    repo.ok(&["config", "--unset", "gitsign.certificateOidcIssuer"]);
    repo.ok(&["config", "gitsign.certificateIdentity", "ann@example.com"]);
    let (good, err, kept) = verify(&repo);
    assert!(good && kept, "{err}");
    // The root named in git config only: the environment's guess (the public-good root) refuses
    // the commit, the configured devstack root accepts it.
    repo.unset_env("GITSIGN_TRUSTED_ROOT");
    repo.ok(&["config", "gitsign.trustedRoot", &stack.trusted_root().display().to_string()]);
    let (good, err, kept) = verify(&repo);
    assert!(good && !kept, "{err}");
}

#[test]
fn tuf_root_names_the_tuf_directory_for_initialize_and_verification() {
    let Some(py) = python() else { return };
    let stack = Stack::start();
    let tuf = TufRepo::build(&py, &stack.trusted_root(), "good");
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.unset_env("GITSIGN_TRUSTED_ROOT");
    let dir = repo.home.path().join("tuf-root");
    repo.set_env("TUF_ROOT", &dir.display().to_string());
    let out = initialize(&repo, &tuf.mirror, Some(&tuf.root()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read(dir.join("trusted_root.json")).unwrap(), std::fs::read(stack.trusted_root()).unwrap());
    assert!(!cache(&repo).exists(), "nothing goes to the per-user cache when TUF_ROOT is set");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "verified with the root under TUF_ROOT"]);
    assert!(repo.git(&["verify-commit", "HEAD"]).status.success());
    // Another TUF_ROOT holds nothing: the public-good root is used, and the devstack's signature fails.
    repo.set_env("TUF_ROOT", &repo.home.path().join("empty").display().to_string());
    assert!(!repo.git(&["verify-commit", "HEAD"]).status.success());
}

#[test]
fn initialize_with_no_arguments_bootstraps_the_public_good_mirror_from_the_built_in_root() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("TUF_ROOT", &repo.home.path().join("tuf").display().to_string());
    repo.set_env("GITSIGN_TIMEOUT", "5");
    let out = repo.command(GITSIGN).arg("initialize").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    // No --root is asked for; with no network here the public-good mirror is what fails.
    assert!(!err.contains("give --root"), "{err}");
    assert!(out.status.success() || err.contains("tuf-repo-cdn.sigstore.dev"), "{err}");
}

/// Time passes for the cache: the cached TUF timestamp metadata now reads as expired (what the
/// refresh looks at; cached metadata was verified when it was written and is not re-verified).
fn expire_cached_timestamp(repo: &Repo) {
    let path = cache(repo).join("timestamp.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["signed"]["expires"] = "2001-01-01T00:00:00Z".into();
    std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
}

/// gitsign's notes on stderr, but the one every verification without an identity policy prints.
fn notes(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("gitsign: note:") && !l.contains("no identity policy is configured"))
        .collect()
}

/// A loopback URL nothing listens on.
fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", l.local_addr().unwrap())
}

/// A repository whose signed HEAD verifies only with the trusted root cached by `gitsign
/// initialize` from the loopback mirror of `tuf`.
fn initialized(stack: &Stack, tuf: &TufRepo) -> Repo {
    let mut repo = Repo::new(stack, "ann@example.com");
    repo.unset_env("GITSIGN_TRUSTED_ROOT");
    let out = initialize(&repo, &tuf.mirror, Some(&tuf.root()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    repo
}

#[test]
fn signing_and_verifying_with_a_fresh_cache_never_touch_the_network() {
    let Some(py) = python() else { return };
    let stack = Stack::start();
    let tuf = TufRepo::build(&py, &stack.trusted_root(), "good");
    let repo = initialized(&stack, &tuf);
    let before = tuf.requests();
    assert!(before > 0, "initialize fetched from the mirror");
    repo.stage("a.txt", "one\n");
    let out = repo.git(&["commit", "-S", "-q", "-m", "signed with a fresh TUF cache"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success() && notes(&stderr).is_empty(), "{stderr}");
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success() && notes(&stderr).is_empty(), "{stderr}");
    assert_eq!(tuf.requests(), before, "the mirror was contacted with an unexpired timestamp");
    // The mirror gone: nothing changes.
    std::fs::write(cache(&repo).join("mirror"), closed_port()).unwrap();
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success() && notes(&stderr).is_empty(), "{stderr}");
    assert!(!cache(&repo).join("last-refresh-attempt").exists());
}

#[test]
fn an_expired_cached_timestamp_is_refreshed_at_most_once_a_day() {
    let Some(py) = python() else { return };
    let stack = Stack::start();
    let tuf = TufRepo::build(&py, &stack.trusted_root(), "good");
    let repo = initialized(&stack, &tuf);
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    expire_cached_timestamp(&repo);
    tuf.advance();
    let before = tuf.requests();
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success() && notes(&stderr).is_empty(), "{stderr}");
    assert!(tuf.requests() > before, "the expired timestamp was not refreshed");
    // The mirror's newer metadata is now the cached one.
    assert_eq!(["timestamp.json", "snapshot.json", "targets.json"].map(|f| cached_version(&repo, f)), [2, 2, 2]);
    let attempt = cache(&repo).join("last-refresh-attempt");
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&attempt).unwrap().permissions().mode() & 0o777, 0o600);
    }

    // Expired again the same day: not contacted again; the cached root is used, with one note.
    expire_cached_timestamp(&repo);
    let before = tuf.requests();
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    assert_eq!(tuf.requests(), before, "a second refresh within the day");
    let n = notes(&stderr);
    assert!(n.len() == 1 && n[0].contains("is stale") && n[0].contains("less than a day ago"), "{stderr}");

    // A day later it is tried again.
    let yesterday = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 25 * 3600;
    std::fs::write(&attempt, yesterday.to_string()).unwrap();
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success() && notes(&stderr).is_empty(), "{stderr}");
    assert!(tuf.requests() > before, "not refreshed a day later");
}

#[test]
fn an_expired_cached_timestamp_with_the_mirror_down_is_used_with_one_note() {
    let Some(py) = python() else { return };
    let stack = Stack::start();
    let tuf = TufRepo::build(&py, &stack.trusted_root(), "good");
    let repo = initialized(&stack, &tuf);
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    expire_cached_timestamp(&repo);
    let down = closed_port();
    std::fs::write(cache(&repo).join("mirror"), &down).unwrap();
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success() && stderr.contains("Good signature from [ann@example.com]"), "{stderr}");
    let n = notes(&stderr);
    assert_eq!(n.len(), 1, "{stderr}");
    assert!(n[0].contains("is stale (its TUF timestamp expired at 2001-01-01T00:00:00Z)"), "{stderr}");
    assert!(n[0].contains(&format!("refreshing it from {down} failed")) && n[0].contains("cannot reach"), "{stderr}");
    assert!(cache(&repo).join("last-refresh-attempt").exists());

    // A mirror that accepts connections but never answers: the short timeout, not gitsign.timeout.
    let hanging = TcpListener::bind("127.0.0.1:0").unwrap();
    std::fs::write(cache(&repo).join("mirror"), format!("http://{}", hanging.local_addr().unwrap())).unwrap();
    std::fs::remove_file(cache(&repo).join("last-refresh-attempt")).unwrap();
    let mut repo = repo;
    repo.set_env("GITSIGN_TIMEOUT", "120");
    let started = std::time::Instant::now();
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success() && notes(&stderr).len() == 1 && notes(&stderr)[0].contains("is stale"), "{stderr}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "took {:?}", started.elapsed());
}
