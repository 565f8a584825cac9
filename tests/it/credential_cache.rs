//! The credential cache: one login for a 30-commit rebase, a daemon killed mid-rebase, 16
//! signers at once, owner-only socket and directory, other users refused, no key on disk.

use crate::common::*;
use std::collections::BTreeSet;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Daemon {
    child: Child,
    socket: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn daemon_bin() -> PathBuf {
    Path::new(GITSIGN).with_file_name("gitsign-credential-cache")
}

fn start_daemon(dir: &Path) -> Daemon {
    start_daemon_at(&dir.join("gitsign/cache.sock"))
}

/// Waits (up to 10 s) for a daemon just spawned to create its socket.
fn wait_for_socket(socket: &Path) {
    let started = Instant::now();
    while !socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "the daemon did not create {}", socket.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start_daemon_at(socket: &Path) -> Daemon {
    let socket = socket.to_path_buf();
    let child = Command::new(daemon_bin())
        .arg("--socket")
        .arg(&socket)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_socket(&socket);
    Daemon { child, socket }
}

/// The signer certificate (DER) of each commit of HEAD's history.
fn signer_certs(repo: &Repo) -> Vec<Vec<u8>> {
    repo.ok(&["rev-list", "HEAD"])
        .lines()
        .map(|sha| {
            let (_, sig) =
                gitsign_core::gitobj::split(repo.ok(&["cat-file", "commit", sha]).as_bytes(), "commit").unwrap();
            gitsign_core::signature::parse(&gitsign_core::signature::dearmor(&sig).unwrap())
                .unwrap()
                .signer_cert()
                .to_vec()
        })
        .collect()
}

fn thirty_commits(repo: &Repo) {
    for i in 0..30 {
        repo.stage("f.txt", &format!("{i}\n"));
        repo.ok(&["-c", "commit.gpgsign=false", "commit", "-q", "-m", &format!("commit {i}")]);
    }
    repo.ok(&["config", "commit.gpgsign", "true"]);
}

#[test]
fn one_login_for_a_rebase_and_a_login_per_commit_without_the_cache() {
    let stack = Stack::start();
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let mut repo = Repo::new(&stack, "ann@example.com");
    thirty_commits(&repo);
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket.display().to_string());
    repo.ok(&["rebase", "-q", "--force-rebase", "--root"]);
    let out = repo
        .verifier("ann@example.com", &["verify", "--certificate-identity", "ann@example.com", "--all"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let certs = signer_certs(&repo);
    assert_eq!(certs.len(), 30);
    assert_eq!(
        certs.iter().collect::<BTreeSet<_>>().len(),
        1,
        "one login: every signature carries the same certificate"
    );
    let out = repo.command(GITSIGN).args(["credentials", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("ann@example.com"));

    // Without the cache, every commit logs in.
    repo.unset_env("GITSIGN_CREDENTIAL_CACHE");
    repo.ok(&["rebase", "-q", "--force-rebase", "--root"]);
    assert_eq!(signer_certs(&repo).iter().collect::<BTreeSet<_>>().len(), 30);

    // Nothing under the home, cache or config directories holds key material.
    let mut stack_dirs = vec![repo.home.path().to_path_buf(), cache_dir.path().to_path_buf()];
    let pkcs8_p256 =
        [0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    while let Some(dir) = stack_dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack_dirs.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                assert!(
                    !bytes.windows(pkcs8_p256.len()).any(|w| w == pkcs8_p256),
                    "{} holds a private key",
                    path.display()
                );
                assert!(
                    !String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"),
                    "{} holds a private key",
                    path.display()
                );
            }
        }
    }

    let out = repo
        .command(GITSIGN)
        .args(["credentials", "clear"])
        .env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket)
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = repo
        .command(GITSIGN)
        .args(["credentials", "list"])
        .env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 cached"));
}

#[test]
fn a_daemon_killed_mid_rebase_falls_back_to_logging_in() {
    let stack = Stack::start();
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let mut repo = Repo::new(&stack, "ann@example.com");
    thirty_commits(&repo);
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket.display().to_string());
    let kill = format!("test $(git rev-list --count HEAD) -ne 10 || kill -9 {}", daemon.child.id());
    let out = repo.git(&["rebase", "-q", "--force-rebase", "--root", "--exec", &kill]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = repo.verifier("ann@example.com", &["verify", "--all"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // The first ten share the cached certificate; each later one logged in.
    assert_eq!(signer_certs(&repo).iter().collect::<BTreeSet<_>>().len(), 21);
}

#[test]
fn sixteen_signers_at_once_share_one_login() {
    let stack = Stack::start();
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket.display().to_string());
    let signers: Vec<Child> = (0..16)
        .map(|i| {
            let mut child = repo
                .command(GITSIGN)
                .args(["--status-fd=2", "-bsau", "ann@example.com"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let payload = format!(
                "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> {i} +0000\ncommitter A <a@x> {i} +0000\n\nsigner {i}\n"
            );
            assert!(gitsign_core::gitobj::object_id(payload.as_bytes(), "").is_some(), "the payload is a commit");
            child.stdin.take().unwrap().write_all(payload.as_bytes()).unwrap();
            child
        })
        .collect();
    let mut certs = BTreeSet::new();
    for child in signers {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let parsed = gitsign_core::signature::parse(&gitsign_core::signature::dearmor(&out.stdout).unwrap()).unwrap();
        certs.insert(parsed.signer_cert().to_vec());
    }
    assert_eq!(certs.len(), 1, "one login for sixteen concurrent signers");
}

#[test]
fn owner_only_socket_and_other_users_refused() {
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(daemon.socket.parent().unwrap()), 0o700);
    assert_eq!(mode(&daemon.socket), 0o600);
    let setpriv = Path::new("/usr/bin/setpriv");
    if !setpriv.exists() || !nix_is_root() {
        // Acting as another uid needs root (an unprivileged user namespace keeps the real uid,
        // which is what the daemon checks): CI runs this test as root.
        return skip::skip("the other-user half needs root and /usr/bin/setpriv");
    }
    let as_nobody = |socket: &Path| {
        Command::new(setpriv)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", GITSIGN, "credentials", "list"])
            .env("GITSIGN_CREDENTIAL_CACHE", socket)
            .output()
            .unwrap()
    };
    // The directory keeps other users out...
    let out = as_nobody(&daemon.socket);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot talk to the credential cache"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ...and with the file modes opened up, the daemon itself refuses them by peer uid.
    std::fs::set_permissions(cache_dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(daemon.socket.parent().unwrap(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&daemon.socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = as_nobody(&daemon.socket);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("serves only its own user"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn nix_is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn keyring_mode_one_login_for_a_rebase() {
    let tools = ["dbus-run-session", "gnome-keyring-daemon"];
    if tools.iter().any(|t| {
        Command::new("sh").args(["-c", &format!("command -v {t}")]).output().map_or(true, |o| !o.status.success())
    }) {
        return skip::skip("needs dbus-run-session and gnome-keyring-daemon (./test.sh installs them)");
    }
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE_MODE", "keyring");
    // No session bus at all: the keyring is unavailable, the commit still signs.
    let out = repo
        .command("git")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .args(["commit", "-q", "-S", "--allow-empty", "-m", "no keyring"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    thirty_commits(&repo);
    // A session bus with an unlocked Secret Service, as a desktop session has.
    let out = repo
        .command("dbus-run-session")
        .args(["--", "sh", "-c", "printf secret | gnome-keyring-daemon --unlock --components=secrets >/dev/null && git rebase -q --force-rebase --root && SIGSTORE_ID_TOKEN=\"$BOB\" git commit -q -S --allow-empty -m bob"])
        .env("BOB", stack.token("bob@example.com"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("keyring unavailable"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Bob's explicit token wins over ann's credential in the keyring.
    let out = verify_as(&repo, "HEAD", "bob@example.com");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    repo.ok(&["reset", "-q", "--hard", "HEAD~1"]);
    let out = repo
        .verifier("ann@example.com", &["verify", "--certificate-identity", "ann@example.com", "--all"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(signer_certs(&repo).iter().collect::<BTreeSet<_>>().len(), 1, "one login through the keyring");
}

#[test]
fn a_cache_answering_garbage_or_a_stale_socket_still_signs() {
    let stack = Stack::start();
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.sock");
    let listener = std::os::unix::net::UnixListener::bind(&garbage).unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            // It reads the request (else the client may meet a broken pipe, not garbage).
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(&s), &mut line);
            let _ = s.write_all(b"this is not the protocol\n");
        }
    });
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &garbage.display().to_string());
    repo.ok(&["commit", "-q", "-S", "-m", "through a garbage cache"]);
    // The one-line note the README promises, and nothing else about the cache.
    let (_, stderr) = sign_directly(&repo, &payload(1));
    let notes = cache_notes(&stderr);
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(
        notes[0].starts_with(&format!(
            "gitsign: credential cache {0}: the credential cache at {0} answered garbage: ",
            garbage.display()
        )) && notes[0].ends_with("; logging in instead"),
        "{stderr}"
    );
    // A socket file nobody listens on (a dead daemon's).
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &stale.display().to_string());
    repo.stage("b.txt", "two\n");
    repo.ok(&["commit", "-q", "-S", "-m", "through a stale socket"]);
    let (_, stderr) = sign_directly(&repo, &payload(2));
    assert_eq!(
        cache_notes(&stderr),
        [format!(
            "gitsign: credential cache {0}: cannot talk to the credential cache at {0}: Connection refused (os error 111); logging in instead",
            stale.display()
        )],
        "{stderr}"
    );
    let out = repo.verifier("ann@example.com", &["verify", "--all"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

/// Signs `payload` with gitsign directly (as git does), without a controlling terminal so that
/// its notes reach stderr; returns (stdout, stderr) and asserts success.
fn sign_directly(repo: &Repo, payload: &str) -> (Vec<u8>, String) {
    let mut child = repo
        .command("setsid")
        .args(["--wait", GITSIGN, "--status-fd=2", "-bsau", "ann@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(payload.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    (out.stdout, stderr)
}

/// The lines gitsign printed about the credential cache.
fn cache_notes(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("gitsign: credential cache")).collect()
}

/// A commit payload; each `n` a different one (Rekor refuses the same entry twice).
fn payload(n: u32) -> String {
    format!(
        "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> {n} +0000\ncommitter A <a@x> {n} +0000\n\nsigned\n"
    )
}

fn cert_of(signature: &[u8]) -> Vec<u8> {
    gitsign_core::signature::parse(&gitsign_core::signature::dearmor(signature).unwrap())
        .unwrap()
        .signer_cert()
        .to_vec()
}

fn verify_as(repo: &Repo, rev: &str, identity: &str) -> std::process::Output {
    repo.verifier(identity, &["verify", "--certificate-identity", identity, rev]).output().unwrap()
}

#[test]
fn an_explicit_token_for_another_identity_wins_over_the_cached_credential() {
    let stack = Stack::start();
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let mut repo = Repo::new(&stack, "alice@example.com");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket.display().to_string());
    repo.stage("a.txt", "alice\n");
    repo.ok(&["commit", "-q", "-S", "-m", "alice's"]);
    // Alice's credential is cached; bob's token is explicit: bob signs.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("bob@example.com"));
    repo.stage("b.txt", "bob\n");
    repo.ok(&["commit", "-q", "-S", "-m", "bob's"]);
    let out = verify_as(&repo, "HEAD", "bob@example.com");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let out = verify_as(&repo, "HEAD", "alice@example.com");
    assert!(!out.status.success(), "bob's commit verifies as alice");
    let out = verify_as(&repo, "HEAD~1", "alice@example.com");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // The cache now holds bob's credential: his next commit reuses it.
    repo.stage("c.txt", "bob again\n");
    repo.ok(&["commit", "-q", "-S", "-m", "bob's second"]);
    let certs = signer_certs(&repo);
    assert_eq!(certs[0], certs[1], "bob's second commit reuses his cached credential");
    assert_ne!(certs[1], certs[2]);
    let out = repo.command(GITSIGN).args(["credentials", "list"]).output().unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("bob@example.com") && !listed.contains("alice@example.com"), "{listed}");
    // And alice's explicit token gets alice again, not bob's cached credential.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("alice@example.com"));
    repo.stage("d.txt", "alice again\n");
    repo.ok(&["commit", "-q", "-S", "-m", "alice's second"]);
    let out = verify_as(&repo, "HEAD", "alice@example.com");
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// Sends one raw line to the daemon and returns its raw answer.
fn raw_exchange(socket: &Path, line: &str) -> String {
    use std::io::{BufRead as _, BufReader};
    let mut s = std::os::unix::net::UnixStream::connect(socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(line.as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(s).read_line(&mut answer).unwrap();
    answer
}

#[test]
fn a_client_and_a_daemon_of_other_protocol_versions_refuse_each_other_in_one_line() {
    let v = gitsign_credential_cache::protocol::VERSION;
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    // An older and a newer client, speaking to this daemon.
    for other in [v - 1, v + 1] {
        let answer = raw_exchange(&daemon.socket, &format!("{{\"v\":{other},\"op\":\"list\"}}\n"));
        let parsed: serde_json::Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(parsed["status"], "error", "{answer}");
        assert_eq!(
            parsed["message"],
            format!(
                "refused: this credential cache speaks protocol version {v} and the client speaks {other}; use gitsign and gitsign-credential-cache from the same release"
            ),
            "{answer}"
        );
    }
    // The same version is served.
    let answer = raw_exchange(&daemon.socket, &format!("{{\"v\":{v},\"op\":\"list\"}}\n"));
    assert!(answer.contains("\"status\":\"entries\""), "{answer}");

    // This gitsign, speaking to an older daemon (which answers in its own version): one line,
    // and the commit is still signed.
    let stack = Stack::start();
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old.sock");
    let listener = std::os::unix::net::UnixListener::bind(&old).unwrap();
    let old_version = v - 1;
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let mut line = String::new();
            let mut r = std::io::BufReader::new(&s);
            let _ = std::io::BufRead::read_line(&mut r, &mut line);
            let _ = (&s).write_all(
                format!("{{\"v\":{old_version},\"status\":\"error\",\"message\":\"protocol version {v} is not {old_version}\"}}\n")
                    .as_bytes(),
            );
        }
    });
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &old.display().to_string());
    let (_, stderr) = sign_directly(&repo, &payload(3));
    assert_eq!(
        cache_notes(&stderr),
        [format!(
            "gitsign: credential cache {0}: the credential cache at {0} speaks protocol version {old_version} and this gitsign speaks {v}: restart gitsign-credential-cache from the same release as gitsign; logging in instead",
            old.display()
        )],
        "{stderr}"
    );
}

#[test]
fn a_cached_credential_with_under_30_seconds_left_is_not_used() {
    use gitsign_credential_cache::{client, protocol};
    let stack = Stack::start();
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket.display().to_string());
    let (first, _) = sign_directly(&repo, &payload(4));
    // Take the cached credential and store it back with `left` seconds to live.
    let restore = |left: i64| {
        let call = |r| client::call(&daemon.socket, r, Duration::from_secs(5)).unwrap();
        let key = match call(protocol::Request::List) {
            protocol::Response::Entries { entries } => entries[0].key.clone(),
            other => panic!("{other:?}"),
        };
        let get = protocol::Request::Get { key: key.clone(), min_valid: 0, wait: 0, want: None };
        let mut credential = match call(get) {
            protocol::Response::Hit { credential } => credential,
            other => panic!("{other:?}"),
        };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        credential.not_after = now + left;
        call(protocol::Request::Put { key, credential });
    };
    // 40 s left: used.
    restore(40);
    let (second, _) = sign_directly(&repo, &payload(5));
    assert_eq!(cert_of(&first), cert_of(&second), "a credential with 40 s left is used");
    // 25 s left: not used, a new one is got.
    restore(25);
    let (third, _) = sign_directly(&repo, &payload(6));
    assert_ne!(cert_of(&first), cert_of(&third), "a credential with 25 s left was used");
}

/// Runs the daemon on `socket` expecting it to refuse; returns its last line of stderr.
fn refused(socket: &Path) -> String {
    let mut child = Command::new(daemon_bin())
        .arg("--socket")
        .arg(socket)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("the daemon did not refuse {}", socket.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    // The last line is the refusal (a note on memory locking may come before it).
    String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_string()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn uid() -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").unwrap().uid()
}

#[test]
fn the_socket_directory_is_created_0700_or_must_be_the_users_own_and_is_never_chmodded() {
    let base = tempfile::tempdir().unwrap();
    // Absent: created 0700, with its missing parents.
    let nested = base.path().join("a/b/cache.sock");
    let daemon = start_daemon_at(&nested);
    assert_eq!(mode(&base.path().join("a")), 0o700);
    assert_eq!(mode(&base.path().join("a/b")), 0o700);
    assert_eq!(mode(&nested), 0o600);
    drop(daemon);

    // The user's own, writable by no one else (a home directory, say): used as it is.
    let home = base.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    let daemon = start_daemon_at(&home.join("x.sock"));
    assert_eq!(mode(&home), 0o755, "the daemon changed the mode of an existing directory");
    drop(daemon);

    // Writable by group or by others: refused, and left as it was.
    for open in [0o775, 0o757, 0o1777] {
        let dir = base.path().join(format!("open{open:o}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(open)).unwrap();
        let err = refused(&dir.join("cache.sock"));
        assert_eq!(
            err.trim_end(),
            format!(
                "gitsign-credential-cache: the socket directory {0} is writable by group or others (mode {open:03o}); refusing to put the socket there: run `chmod go-w {0}` or choose another directory",
                dir.display()
            ),
            "{err}"
        );
        assert_eq!(mode(&dir), open);
        assert!(!dir.join("cache.sock").exists());
    }

    // Another user's: refused. As root, a directory given to nobody; else the root directory.
    let (dir, owner) = if uid() == 0 {
        let dir = base.path().join("nobody");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        (dir, 65534)
    } else {
        (PathBuf::from("/"), 0)
    };
    let err = refused(&dir.join("gitsign-test-cache.sock"));
    assert!(
        err.contains(&format!(
            "the socket directory {} belongs to uid {owner}, not to this user (uid {}); refusing",
            dir.display(),
            uid()
        )),
        "{err}"
    );
    assert_eq!(mode(&dir), std::fs::metadata(&dir).unwrap().permissions().mode() & 0o7777);
}

#[test]
fn a_socket_path_taken_by_something_else_is_never_replaced() {
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let file = base.path().join("file.sock");
    std::fs::write(&file, "precious").unwrap();
    let dir = base.path().join("dir.sock");
    std::fs::create_dir(&dir).unwrap();
    let link = base.path().join("link.sock");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    for taken in [&file, &dir, &link] {
        let err = refused(taken);
        assert_eq!(
            err.trim_end(),
            format!(
                "gitsign-credential-cache: {} exists and is not a socket; refusing to replace it: remove it or choose another --socket path",
                taken.display()
            )
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
    assert!(dir.is_dir());
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    // A dead daemon's socket is replaced; a live daemon's is not.
    let stale = base.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    let daemon = start_daemon_at(&stale);
    let started = Instant::now();
    loop {
        let out = Command::new(GITSIGN)
            .args(["credentials", "list"])
            .env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket)
            .output()
            .unwrap();
        if out.status.success() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{}", String::from_utf8_lossy(&out.stderr));
        std::thread::sleep(Duration::from_millis(50));
    }
    let err = refused(&stale);
    assert!(err.contains(&format!("a credential cache is already running at {}", stale.display())), "{err}");
}

/// One line of /proc/PID/FILE that starts with `prefix`.
fn proc_line(pid: u32, file: &str, prefix: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/{file}"))
        .unwrap()
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in /proc/{pid}/{file}"))
        .to_string()
}

#[test]
fn the_daemon_is_non_dumpable_has_no_core_limit_and_locks_its_memory() {
    use std::os::unix::fs::MetadataExt as _;
    let base = tempfile::tempdir().unwrap();
    // Limits raised as far as allowed, so that the daemon's own settings are what is seen.
    let raise = "ulimit -c unlimited 2>/dev/null || ulimit -c \"$(ulimit -H -c)\"; ulimit -l unlimited 2>/dev/null; exec \"$@\"";
    let control = Command::new("sh").args(["-c", raise, "sh", "cat", "/proc/self/limits"]).output().unwrap();
    let control = String::from_utf8_lossy(&control.stdout).into_owned();
    let core_raised = control.lines().any(|l| l.starts_with("Max core file size") && !l.contains(" 0 "));
    let memlock_unlimited = control.lines().any(|l| l.starts_with("Max locked memory") && l.contains("unlimited"));
    // Non-dumpable shows as /proc/PID owned by root instead of the process's user: as root,
    // the daemon runs as nobody to see it.
    let root = uid() == 0;
    let (socket_dir, runner): (PathBuf, Vec<String>) = if root {
        std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
        let dir = base.path().join("nobody");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&dir, Some(65534), Some(65534)).unwrap();
        (dir, ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"].map(String::from).to_vec())
    } else {
        (base.path().join("me"), vec![])
    };
    let socket = socket_dir.join("cache.sock");
    let mut child = Command::new("sh")
        .args(["-c", raise, "sh"])
        .args(&runner)
        .arg(daemon_bin())
        .arg("--socket")
        .arg(&socket)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_socket(&socket);
    let pid = child.id();
    let daemon_uid: u32 = proc_line(pid, "status", "Uid:").split_whitespace().nth(1).unwrap().parse().unwrap();
    let limits = proc_line(pid, "limits", "Max core file size");
    let owner = std::fs::metadata(format!("/proc/{pid}/status")).unwrap().uid();
    let _ = child.kill();
    let _ = child.wait();

    assert_ne!(daemon_uid, 0, "the daemon must run as a user other than root for this check");
    assert_eq!(owner, 0, "/proc/{pid} is owned by uid {owner}, the daemon's: it is dumpable");
    if core_raised {
        assert_eq!(limits.split_whitespace().collect::<Vec<_>>(), ["Max", "core", "file", "size", "0", "0", "bytes"]);
    } else {
        skip::skip(
            "the core-limit check: the hard core-file limit is 0 already, so the daemon lowering it cannot be seen",
        );
    }
    let _ = memlock_unlimited;

    // Memory locking, where the OS allows it: an unlimited memory-lock limit or CAP_IPC_LOCK.
    // It is seen as VmLck in /proc/PID/status; the daemon runs as this user here.
    let ipc_lock = proc_line(std::process::id(), "status", "CapEff:")
        .split_whitespace()
        .nth(1)
        .and_then(|v| u64::from_str_radix(v, 16).ok())
        .is_some_and(|caps| caps & (1 << 14) != 0);
    if !(memlock_unlimited || ipc_lock) {
        return skip::skip("the memory-lock check: no unlimited memory-lock limit and no CAP_IPC_LOCK here");
    }
    let mine = tempfile::tempdir().unwrap();
    let mut child = Command::new("sh")
        .args(["-c", raise, "sh"])
        .arg(daemon_bin())
        .arg("--socket")
        .arg(mine.path().join("s/cache.sock"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_socket(&mine.path().join("s/cache.sock"));
    let locked = proc_line(child.id(), "status", "VmLck:");
    let _ = child.kill();
    let _ = child.wait();
    let kb: u64 = locked.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(kb > 0, "the daemon locked no memory: {locked}");
}

#[test]
fn the_daemon_serves_at_most_64_connections_at_once() {
    use gitsign_credential_cache::{client, daemon::MAX_CONNECTIONS, protocol};
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let idle: Vec<_> =
        (0..MAX_CONNECTIONS).map(|_| std::os::unix::net::UnixStream::connect(&daemon.socket).unwrap()).collect();
    let answer = client::call(&daemon.socket, protocol::Request::List, Duration::from_secs(5)).unwrap();
    match answer {
        protocol::Response::Error { message } => assert_eq!(
            message,
            format!("refused: the credential cache serves at most {MAX_CONNECTIONS} connections at once")
        ),
        other => panic!("served over the cap: {other:?}"),
    }
    drop(idle);
    let started = Instant::now();
    loop {
        match client::call(&daemon.socket, protocol::Request::List, Duration::from_secs(5)).unwrap() {
            protocol::Response::Entries { .. } => break,
            other => assert!(started.elapsed() < Duration::from_secs(5), "still refused: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_dex_connector_is_part_of_the_cache_key() {
    let stack = Stack::start();
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket.display().to_string());
    let entries = |repo: &Repo| {
        let out = repo.command(GITSIGN).args(["credentials", "list"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("ann@example.com")).count()
    };
    repo.set_env("GITSIGN_CONNECTOR_ID", "github");
    sign_directly(&repo, &payload(100));
    assert_eq!(entries(&repo), 1);
    repo.set_env("GITSIGN_CONNECTOR_ID", "google");
    sign_directly(&repo, &payload(101));
    assert_eq!(entries(&repo), 2, "a credential for another Dex connector replaced the first");
}

#[test]
fn a_go_gitsign_credential_cache_on_the_socket_is_named_in_one_line() {
    let stack = Stack::start();
    let dir = tempfile::tempdir().unwrap();
    let go = dir.path().join("go-cache.sock");
    let listener = std::os::unix::net::UnixListener::bind(&go).unwrap();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(&s), &mut line);
            // What Go's net/rpc/jsonrpc server answers a request without its "method".
            let _ =
                s.write_all(b"{\"id\":null,\"result\":null,\"error\":\"rpc: service/method request ill-formed: \"}\n");
        }
    });
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &go.display().to_string());
    let (_, stderr) = sign_directly(&repo, &payload(1));
    assert_eq!(
        cache_notes(&stderr),
        [format!(
            "gitsign: credential cache {0}: the credential cache at {0} is the Go gitsign's gitsign-credential-cache \
             (it answers Go JSON-RPC), which this gitsign cannot use: start this gitsign's gitsign-credential-cache \
             and point GITSIGN_CREDENTIAL_CACHE at its socket; logging in instead",
            go.display()
        )],
        "{stderr}"
    );
}

/// The same payload signed twice with one cached key (a scripted `commit --amend` within one
/// second, a re-run) gets two signatures and two log entries: signatures are hedged, so the second is not refused by
/// Rekor as a duplicate of the first.
#[test]
fn the_same_payload_signed_twice_in_one_second_is_logged_twice() {
    let stack = Stack::start();
    let cache_dir = tempfile::tempdir().unwrap();
    let daemon = start_daemon(cache_dir.path());
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_CREDENTIAL_CACHE", &daemon.socket.display().to_string());
    let payload = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Ann <ann@example.com> 1 +0000\n\
committer Ann <ann@example.com> 1 +0000\n\nsame\n";
    // The signing time has one-second resolution: retry until both land in the same second.
    for _ in 0..5 {
        let first = sign_without_terminal(&repo, payload);
        let second = sign_without_terminal(&repo, payload);
        for out in [&first, &second] {
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        // SIG_CREATED's time and key fingerprint, and the log index gitsign reports.
        let status = |out: &std::process::Output| {
            let text = String::from_utf8_lossy(&out.stderr).into_owned();
            let created: Vec<String> = text
                .lines()
                .find(|l| l.contains("SIG_CREATED"))
                .map(|l| l.split(' ').map(str::to_string).collect())
                .unwrap_or_default();
            let index = text.split("(log index ").nth(1).and_then(|r| r.split(')').next()).map(str::to_string);
            (created.get(6).cloned(), created.get(7).cloned(), index)
        };
        let (time1, key1, index1) = status(&first);
        let (time2, key2, index2) = status(&second);
        assert!(key1.is_some() && index1.is_some(), "{}", String::from_utf8_lossy(&first.stderr));
        // One cached key signed both (else each login's own key makes them differ anyway).
        assert_eq!(key1, key2, "the second signing used the cached credential");
        if time1 == time2 {
            assert_ne!(first.stdout, second.stdout, "two signatures, not one repeated");
            assert_ne!(index1, index2, "two log entries");
            return;
        }
    }
    panic!("five pairs of signings never landed in the same second");
}
