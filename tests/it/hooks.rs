//! The push policy under real `git push`: a bare repository with gitsign's pre-receive hook,
//! reached over file:// and over `git daemon` on loopback, signatures made by the devstack;
//! the client's pre-push hook; `gitsign verify --policy`; the in-repository policy.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Commits a change (signed or not) and returns its ID.
fn commit(repo: &Repo, file: &str, message: &str, sign: bool) -> String {
    repo.stage(file, message);
    repo.ok(&["commit", if sign { "-S" } else { "--no-gpg-sign" }, "-q", "-m", message]);
    repo.ok(&["rev-parse", "HEAD"]).trim().to_string()
}

/// A policy allowing `who` (exact identity and issuer) on main, release/* and tags; `extra`
/// rules after it.
fn policy(stack: &Stack, who: &str, issuer: &str, extra: &str) -> String {
    format!(
        "version = 1\ntrusted_root = {root:?}\n\n[[rule]]\nrefs = [\"refs/heads/main\", \"refs/heads/release/*\", \"refs/tags/*\"]\n\
         unsigned = \"reject\"\n[[rule.signers]]\nidentity = {who:?}\nissuer = {issuer:?}\n{extra}",
        root = stack.trusted_root().display().to_string()
    )
}

/// A bare repository with gitsign's pre-receive hook and `policy` installed.
struct Server {
    dir: tempfile::TempDir,
    policy: PathBuf,
}

impl Server {
    fn new(client: &Repo, policy: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let bare = dir.path().join("server.git");
        client.ok(&["init", "-q", "--bare", "-b", "main", &bare.display().to_string()]);
        let path = dir.path().join("policy.toml");
        std::fs::write(&path, policy).unwrap();
        let out = client
            .command(GITSIGN)
            .args(["hook", "install", "--pre-receive", "--repo"])
            .arg(&bare)
            .arg("--policy")
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        Server { dir, policy: path }
    }

    fn bare(&self) -> PathBuf {
        self.dir.path().join("server.git")
    }

    fn url(&self) -> String {
        format!("file://{}", self.bare().display())
    }

    fn set_policy(&self, policy: &str) {
        std::fs::write(&self.policy, policy).unwrap();
    }

    /// The server's view of a ref (empty when it has none).
    fn rev(&self, client: &Repo, refname: &str) -> String {
        let out =
            client.git(&["--git-dir", &self.bare().display().to_string(), "rev-parse", "-q", "--verify", refname]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// `git push` that must be refused with every needle in git's output.
fn refused(repo: &Repo, args: &[&str], needles: &[&str]) -> String {
    let out = repo.git(args);
    let all = text(&out);
    assert!(!out.status.success(), "{args:?} was accepted:\n{all}");
    for needle in needles {
        assert!(all.contains(needle), "{args:?}: {needle:?} not in:\n{all}");
    }
    all
}

fn accepted(repo: &Repo, args: &[&str]) -> String {
    let out = repo.git(args);
    let all = text(&out);
    assert!(out.status.success(), "{args:?} was refused:\n{all}");
    all
}

/// The signed data of a commit changed, its signature kept: a tampered commit.
fn tampered(repo: &Repo, id: &str, from: &str, to: &str) -> String {
    let raw = repo.ok(&["cat-file", "commit", id]);
    assert!(raw.contains(from));
    std::fs::write(repo.path().join(".tampered"), raw.replace(from, to)).unwrap();
    repo.ok(&["hash-object", "-t", "commit", "-w", ".tampered"]).trim().to_string()
}

#[test]
fn pre_receive_over_file_url_enforces_who_may_sign_what() {
    let stack = Stack::start();
    let issuer = stack.running.urls().issuer.clone();
    let mut repo = Repo::new(&stack, "ann@example.com");
    let extra = "\n[[rule]]\nrefs = [\"refs/heads/protected\"]\nunsigned = \"allow\"\ndeletions = \"reject\"\n";
    let server = Server::new(&repo, &policy(&stack, "ann@example.com", &issuer, extra));
    let log = server.dir.path().join("hook.log");
    repo.ok(&[
        "--git-dir",
        &server.bare().display().to_string(),
        "config",
        "gitsign.hookLog",
        &log.display().to_string(),
    ]);
    repo.ok(&["remote", "add", "origin", &server.url()]);

    // An allowed signer is accepted.
    let good = commit(&repo, "a.txt", "first by ann", true);
    let out = accepted(&repo, &["push", "-q", "origin", "main"]);
    assert!(out.contains("1 commit(s) and tag(s) judged by the policy") && out.contains("all allowed"), "{out}");
    assert_eq!(server.rev(&repo, "refs/heads/main"), good);

    // An unsigned commit is refused, named by short ID, subject, ref and reason.
    let unsigned = commit(&repo, "b.txt", "unsigned change", false);
    refused(
        &repo,
        &["push", "origin", "main"],
        &[
            "remote: gitsign: refused by the policy",
            &format!(
                "remote: gitsign:   {} \"unsigned change\" on refs/heads/main: unsigned, and refs/heads/main requires a signature",
                &unsigned[..10]
            ),
        ],
    );
    assert_eq!(server.rev(&repo, "refs/heads/main"), good);
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&log).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(line["decision"], "refuse", "{line}");
    assert_eq!(line["refs"][0]["ref"], "refs/heads/main");
    assert_eq!(
        (line["refs"][0]["old"].as_str(), line["refs"][0]["new"].as_str()),
        (Some(good.as_str()), Some(unsigned.as_str()))
    );
    assert_eq!(line["commits"][0]["verdict"], "unsigned");
    assert!(line["time"].as_str().is_some_and(|t| t.starts_with("20")), "{line}");
    repo.ok(&["reset", "-q", "--hard", &good]);

    // A signer the rule does not list.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("bob@example.com"));
    let bob = commit(&repo, "c.txt", "by bob", true);
    refused(
        &repo,
        &["push", "origin", "main"],
        &[&format!(
            "{} \"by bob\" on refs/heads/main: signed by bob@example.com of issuer {issuer}, not allowed for refs/heads/main",
            &bob[..10]
        )],
    );
    // The same commit on a ref no rule matches is accepted.
    accepted(&repo, &["push", "-q", "origin", "HEAD:refs/heads/topic"]);
    // A new branch under the rule brings bob's commit to refs the rule governs: refused, although
    // another ref has it.
    refused(&repo, &["push", "origin", "HEAD:refs/heads/release/1"], &["signed by bob@example.com"]);
    repo.ok(&["reset", "-q", "--hard", &good]);
    // A new branch under the rule with only commits its refs have: accepted, nothing to judge.
    accepted(&repo, &["push", "-q", "origin", "HEAD:refs/heads/release/2"]);
    assert_eq!(server.rev(&repo, "refs/heads/release/2"), good);

    // The right identity from another issuer.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("ann@example.com"));
    let ann2 = commit(&repo, "d.txt", "ann again", true);
    server.set_policy(&policy(&stack, "ann@example.com", "https://accounts.example.com", extra));
    refused(
        &repo,
        &["push", "origin", "main"],
        &[&format!("signed by ann@example.com of issuer {issuer}, not allowed for refs/heads/main")],
    );
    server.set_policy(&policy(&stack, "ann@example.com", &issuer, extra));

    // A tampered signature: the message changed after signing.
    let bad = tampered(&repo, &ann2, "ann again", "ann agaim");
    refused(
        &repo,
        &["push", "origin", &format!("{bad}:refs/heads/main")],
        &[&format!("{} \"ann agaim\" on refs/heads/main: signature bad: ", &bad[..10]), "the signed data was changed"],
    );
    accepted(&repo, &["push", "-q", "origin", "main"]);

    // A tag signed by the wrong identity is refused; by the right one accepted.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("bob@example.com"));
    repo.ok(&["tag", "-s", "-m", "bob's release", "v1"]);
    refused(
        &repo,
        &["push", "origin", "refs/tags/v1"],
        &["\"bob's release\" on refs/tags/v1: signed by bob@example.com"],
    );
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("ann@example.com"));
    repo.ok(&["tag", "-f", "-s", "-m", "ann's release", "v1"]);
    accepted(&repo, &["push", "-q", "origin", "refs/tags/v1"]);
    // An unsigned annotated tag is refused even on a good commit; a lightweight tag is judged by
    // its commits (here none are new).
    repo.ok(&["tag", "-a", "--no-sign", "-m", "unsigned tag", "v2"]);
    refused(&repo, &["push", "origin", "refs/tags/v2"], &["\"unsigned tag\" on refs/tags/v2: unsigned"]);
    repo.ok(&["tag", "v3"]);
    accepted(&repo, &["push", "-q", "origin", "refs/tags/v3"]);

    // A force push: the rewritten history is judged like any other.
    let main = server.rev(&repo, "refs/heads/main");
    repo.ok(&["reset", "-q", "--hard", "HEAD~1"]);
    let unsigned2 = commit(&repo, "e.txt", "rewritten unsigned", false);
    refused(&repo, &["push", "--force", "origin", "main"], &[&unsigned2[..10], "unsigned"]);
    assert_eq!(server.rev(&repo, "refs/heads/main"), main);
    repo.ok(&["commit", "--amend", "-S", "-q", "-m", "rewritten signed"]);
    accepted(&repo, &["push", "-q", "--force", "origin", "main"]);

    // Deletions: allowed unless the rule says deletions = "reject".
    accepted(&repo, &["push", "-q", "origin", "HEAD:refs/heads/protected"]);
    refused(&repo, &["push", "origin", ":refs/heads/protected"], &["deleting refs/heads/protected is not allowed"]);
    accepted(&repo, &["push", "-q", "origin", ":refs/heads/topic"]);
    assert_eq!(server.rev(&repo, "refs/heads/topic"), "");

    // Several refs where one is bad: the whole push is refused.
    let before = server.rev(&repo, "refs/heads/main");
    let next = commit(&repo, "f.txt", "good next", true);
    repo.ok(&["branch", "side"]);
    repo.ok(&["checkout", "-q", "side"]);
    let side_bad = commit(&repo, "g.txt", "side unsigned", false);
    repo.ok(&["checkout", "-q", "main"]);
    refused(&repo, &["push", "origin", "main", "side:refs/heads/release/3"], &[&side_bad[..10]]);
    assert_eq!(server.rev(&repo, "refs/heads/main"), before);
    assert_eq!(server.rev(&repo, "refs/heads/release/3"), "");
    accepted(&repo, &["push", "-q", "origin", "main"]);
    assert_eq!(server.rev(&repo, "refs/heads/main"), next);

    // A policy that does not parse refuses every push, naming the line and the key.
    server.set_policy("version = 1\n[[rule]]\nrefs = [\"refs/heads/main\"]\nunsigned = \"maybe\"\n");
    commit(&repo, "h.txt", "after the policy broke", true);
    refused(&repo, &["push", "origin", "main"], &["remote: gitsign: push refused: ", "policy.toml: line 4: ", "maybe"]);
    server.set_policy("version = 1\n[[rule]]\nrefs = [\"refs/heads/main\"]\n");
    refused(
        &repo,
        &["push", "origin", "main"],
        &["line 2: rule.signers: this rule rejects unsigned commits but allows no signer"],
    );
    server.set_policy(&format!(
        "version = 1\ntrusted_root = \"/nonexistent/root.json\"\n{}",
        "[[rule]]\nrefs = [\"refs/x\"]\nunsigned = \"allow\"\n"
    ));
    refused(&repo, &["push", "origin", "main"], &["push refused: the trust root: ", "/nonexistent/root.json"]);
}

/// A free loopback port (bound, then released for git daemon).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `git daemon` serving `base` on loopback, killed when dropped.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn daemon(repo: &Repo, base: &Path) -> (Daemon, String) {
    let port = free_port();
    // git-daemon itself, not the `git daemon` wrapper, so that killing the child stops it.
    let exec_path = repo.ok(&["--exec-path"]).trim().to_string();
    let child = repo
        .command(&format!("{exec_path}/git-daemon"))
        .args(["--reuseaddr", "--export-all", "--enable=receive-pack", "--listen=127.0.0.1"])
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let daemon = Daemon(child);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "git daemon did not listen on port {port}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (daemon, format!("git://127.0.0.1:{port}/server.git"))
}

#[test]
fn pre_receive_over_git_daemon_on_loopback() {
    let stack = Stack::start();
    let issuer = stack.running.urls().issuer.clone();
    let mut repo = Repo::new(&stack, "ann@example.com");
    let server = Server::new(&repo, &policy(&stack, "ann@example.com", &issuer, ""));
    let (_daemon, url) = daemon(&repo, server.dir.path());
    repo.ok(&["remote", "add", "origin", &url]);

    let good = commit(&repo, "a.txt", "by ann", true);
    accepted(&repo, &["push", "-q", "origin", "main"]);
    assert_eq!(server.rev(&repo, "refs/heads/main"), good);
    let unsigned = commit(&repo, "b.txt", "not signed", false);
    refused(
        &repo,
        &["push", "origin", "main"],
        &[&format!("remote: gitsign:   {} \"not signed\" on refs/heads/main: unsigned", &unsigned[..10])],
    );
    repo.ok(&["reset", "-q", "--hard", &good]);
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("bob@example.com"));
    commit(&repo, "c.txt", "by bob", true);
    refused(
        &repo,
        &["push", "origin", "main"],
        &["signed by bob@example.com of issuer", "not allowed for refs/heads/main"],
    );
    repo.ok(&["tag", "-s", "-m", "bob tags", "v1", &good]);
    refused(&repo, &["push", "origin", "refs/tags/v1"], &["on refs/tags/v1: signed by bob@example.com"]);
    assert_eq!(server.rev(&repo, "refs/heads/main"), good);
    assert_eq!(server.rev(&repo, "refs/tags/v1"), "");
}

#[test]
fn pre_push_stops_a_bad_push_before_any_object_leaves() {
    let stack = Stack::start();
    let issuer = stack.running.urls().issuer.clone();
    let repo = Repo::new(&stack, "ann@example.com");
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("plain.git");
    repo.ok(&["init", "-q", "--bare", &bare.display().to_string()]);
    repo.ok(&["remote", "add", "origin", &format!("file://{}", bare.display())]);
    let path = dir.path().join("policy.toml");
    std::fs::write(&path, policy(&stack, "ann@example.com", &issuer, "")).unwrap();
    let out = repo.command(GITSIGN).args(["hook", "install", "--pre-push", "--policy"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));

    let good = commit(&repo, "a.txt", "signed", true);
    accepted(&repo, &["push", "-q", "origin", "main"]);
    let bad = commit(&repo, "b.txt", "unsigned here", false);
    refused(
        &repo,
        &["push", "origin", "main"],
        &["gitsign: refused by the policy", &format!("{} \"unsigned here\" on refs/heads/main: unsigned", &bad[..10])],
    );
    let git_dir = bare.display().to_string();
    assert!(!repo.git(&["--git-dir", &git_dir, "cat-file", "-e", &bad]).status.success(), "the object left");
    assert_eq!(repo.ok(&["--git-dir", &git_dir, "rev-parse", "main"]).trim(), good);
    // The judged commits are only those the remote lacks: one more good commit passes.
    repo.ok(&["reset", "-q", "--hard", &good]);
    commit(&repo, "c.txt", "signed again", true);
    let out = accepted(&repo, &["push", "origin", "main"]);
    assert!(out.contains("1 commit(s) and tag(s) judged"), "{out}");
}

#[test]
fn verify_with_a_policy_judges_a_range_by_the_rule_of_a_ref() {
    let stack = Stack::start();
    let issuer = stack.running.urls().issuer.clone();
    let repo = Repo::new(&stack, "ann@example.com");
    let path = repo.path().join("policy.toml");
    let extra = "\n[[rule]]\nrefs = [\"refs/heads/**\"]\nunsigned = \"allow\"\n";
    std::fs::write(&path, policy(&stack, "ann@example.com", &issuer, extra)).unwrap();
    let base = commit(&repo, "a.txt", "base", true);
    let unsigned = commit(&repo, "b.txt", "unsigned one", false);
    commit(&repo, "c.txt", "signed one", true);
    let run =
        |args: &[&str]| repo.command(GITSIGN).arg("verify").arg("--policy").arg(&path).args(args).output().unwrap();
    let out = run(&[&format!("{base}..HEAD")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("{} \"unsigned one\" on refs/heads/main: unsigned", &unsigned[..10])),
        "{}",
        text(&out)
    );
    // Another ref's rule allows unsigned commits.
    let out = run(&["--ref", "refs/heads/topic", &format!("{base}..HEAD")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = run(&["--output", "json", &format!("{base}..HEAD")]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["decision"], "refuse");
    assert_eq!(v["commits"].as_array().unwrap().len(), 2);
    // Newest first, as git rev-list gives them.
    assert_eq!(
        (&v["commits"][0]["signer"], &v["commits"][1]["verdict"]),
        (&"ann@example.com".into(), &"unsigned".into()),
        "{v}"
    );
    // --policy decides who: identity flags are refused with it.
    let out = run(&["--certificate-identity", "ann@example.com", "HEAD"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("cannot be combined"), "{}", text(&out));
}

#[test]
fn in_repository_policy_is_judged_by_the_parents_policy() {
    let stack = Stack::start();
    let issuer = stack.running.urls().issuer.clone();
    let mut repo = Repo::new(&stack, "ann@example.com");
    let rule = |who: &[&str]| {
        let mut p = String::from("version = 1\n[[rule]]\nrefs = [\"refs/heads/**\"]\n");
        for w in who {
            p.push_str(&format!("[[rule.signers]]\nidentity = {w:?}\nissuer = {issuer:?}\n"));
        }
        p
    };
    std::fs::create_dir(repo.path().join(".gitsign")).unwrap();
    repo.stage(".gitsign/policy.toml", &rule(&["ann@example.com"]));
    let root = commit(&repo, "a.txt", "policy root", true);
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("server.git");
    let git_dir = bare.display().to_string();
    repo.ok(&["init", "-q", "--bare", &git_dir]);
    let out = repo.command(GITSIGN).args(["hook", "install", "--pre-receive", "--repo", &git_dir]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    repo.ok(&["remote", "add", "origin", &format!("file://{git_dir}")]);
    // The root must be in the repository before it can be named: push it with no policy yet.
    std::fs::remove_file(bare.join("hooks/pre-receive")).unwrap();
    accepted(&repo, &["push", "-q", "origin", "main"]);
    let out = repo.command(GITSIGN).args(["hook", "install", "--pre-receive", "--repo", &git_dir]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    repo.ok(&["--git-dir", &git_dir, "config", "gitsign.policyRoot", &root]);

    // Ann, allowed by the root's policy, adds Bob: accepted.
    repo.stage(".gitsign/policy.toml", &rule(&["ann@example.com", "bob@example.com"]));
    commit(&repo, "b.txt", "allow bob", true);
    accepted(&repo, &["push", "-q", "origin", "main"]);
    // Bob, allowed by the parent's policy now, commits.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("bob@example.com"));
    commit(&repo, "c.txt", "bob's work", true);
    accepted(&repo, &["push", "-q", "origin", "main"]);
    // Carol is not allowed by the old policy, so she cannot add herself.
    let before = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("carol@example.com"));
    repo.stage(".gitsign/policy.toml", &rule(&["carol@example.com"]));
    let carol = commit(&repo, "d.txt", "carol takes over", true);
    refused(
        &repo,
        &["push", "origin", "main"],
        &[&format!(
            "{} \"carol takes over\" on refs/heads/main: by the in-repository policy of parent {}: signed by carol@example.com",
            &carol[..10],
            &before[..12]
        )],
    );
    assert_eq!(repo.ok(&["--git-dir", &git_dir, "rev-parse", "main"]).trim(), before);
}

#[test]
fn hook_install_refuses_to_overwrite_and_follows_core_hooks_path() {
    let repo = Repo::with_env(Vec::new());
    let install = |args: &[&str]| repo.command(GITSIGN).args(["hook", "install"]).args(args).output().unwrap();
    let out = install(&["--pre-push"]);
    assert!(out.status.success(), "{}", text(&out));
    let hook = repo.path().join(".git/hooks/pre-push");
    let script = std::fs::read_to_string(&hook).unwrap();
    assert!(script.contains("hook pre-push") && script.contains(GITSIGN), "{script}");
    let out = install(&["--pre-push"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("exists; gitsign does not overwrite a hook without --force"), "{}", text(&out));
    assert!(install(&["--pre-push", "--force"]).status.success());
    repo.ok(&["config", "core.hooksPath", "my-hooks"]);
    let out = install(&["--pre-push"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(repo.path().join("my-hooks/pre-push").exists());
    // A policy that does not parse is not installed.
    std::fs::write(repo.path().join("bad.toml"), "version = 1\n[[rule]]\nrefs = 3\n").unwrap();
    let out = install(&["--pre-receive", "--force", "--policy", "bad.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("bad.toml: line 3: "), "{}", text(&out));
    assert!(repo.git(&["config", "gitsign.policy"]).stdout.is_empty());
    // One of the two hooks must be named.
    assert!(!install(&[]).status.success());
}

#[test]
fn git_verify_commit_judges_the_signer_by_gitsign_policy_and_trust_undefined_refuses_strangers() {
    let stack = Stack::start();
    let issuer = stack.running.urls().issuer.clone();
    let repo = Repo::new(&stack, "ann@example.com");
    let base = commit(&repo, "a.txt", "base", true);
    let raw = |rev: &str| String::from_utf8_lossy(&repo.git(&["verify-commit", "--raw", rev]).stderr).to_string();
    assert!(raw("HEAD").contains("[GNUPG:] TRUST_FULLY 0 shell"), "{}", raw("HEAD"));
    repo.ok(&["config", "gitsign.trustUndefined", "true"]);
    assert!(raw("HEAD").contains("[GNUPG:] TRUST_UNDEFINED 0 shell"), "{}", raw("HEAD"));
    // merge --verify-signatures refuses a signer nobody vouched for.
    repo.ok(&["checkout", "-q", "-b", "side"]);
    let side = commit(&repo, "b.txt", "side work", true);
    repo.ok(&["checkout", "-q", "main"]);
    let out = repo.git(&["merge", "--ff-only", "--verify-signatures", "side"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("untrusted"), "{}", text(&out));

    // gitsign.policy: the rule of the current branch judges the signer.
    let path = repo.path().join("policy.toml");
    std::fs::write(&path, policy(&stack, "bob@example.com", &issuer, "")).unwrap();
    repo.ok(&["config", "gitsign.policy", &path.display().to_string()]);
    let out = repo.git(&["verify-commit", &base]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains(&format!("signed by ann@example.com of issuer {issuer}, not allowed for refs/heads/main")),
        "{}",
        text(&out)
    );
    assert!(!repo.git(&["merge", "--ff-only", "--verify-signatures", "side"]).status.success());
    std::fs::write(&path, policy(&stack, "ann@example.com", &issuer, "")).unwrap();
    // Judged by the policy: trusted, so the merge goes through.
    assert!(raw(&base).contains("[GNUPG:] TRUST_FULLY 0 shell"), "{}", raw(&base));
    accepted(&repo, &["merge", "--ff-only", "--verify-signatures", "side"]);
    assert_eq!(repo.ok(&["rev-parse", "HEAD"]).trim(), side);
}

/// The shell lines of a CI file that run the scripts of git-hooks/ci/, as the file gives them:
/// GitHub's `run: ...`, GitLab's `- ...`.
fn ci_lines(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("git-hooks/ci").join(file);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("run: ").or_else(|| l.strip_prefix("- ")))
        .filter(|l| l.starts_with("sh git-hooks/ci/"))
        .map(str::to_string)
        .collect()
}

#[test]
fn ci_script_judges_a_push_by_the_policy_of_its_base() {
    let stack = Stack::start();
    let issuer = stack.running.urls().issuer.clone();
    let mut repo = Repo::new(&stack, "ann@example.com");
    // The scripts where the CI files expect them (copied into the repository); gitsign on PATH,
    // where the install step puts it.
    let ci = repo.path().join("git-hooks/ci");
    std::fs::create_dir_all(&ci).unwrap();
    for script in ["install-gitsign.sh", "verify-push.sh"] {
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("git-hooks/ci").join(script), ci.join(script))
            .unwrap();
    }
    let bin = Path::new(GITSIGN).parent().unwrap().display().to_string();
    let path = format!("{bin}:{}", std::env::var("PATH").unwrap_or_default());
    std::fs::create_dir(repo.path().join(".gitsign")).unwrap();
    repo.stage(".gitsign/policy.toml", &policy(&stack, "ann@example.com", &issuer, ""));
    let base = commit(&repo, "a.txt", "policy", true);
    commit(&repo, "b.txt", "ann's change", true);
    // A new branch's pushes are judged from its merge base with the default branch.
    repo.ok(&["update-ref", "refs/remotes/origin/main", &base]);
    let (github, gitlab) = (ci_lines("github-actions.yml"), ci_lines("gitlab-ci.yml"));
    assert_eq!(github.len(), 2, "{github:?}");
    assert_eq!(gitlab.len(), 2, "{gitlab:?}");
    assert!(github[0].contains("install-gitsign.sh") && gitlab[0].contains("install-gitsign.sh"));
    let run = |repo: &Repo, line: &str, env: &[(&str, &str)]| {
        repo.command("sh").args(["-c", line]).env("PATH", &path).envs(env.iter().copied()).output().unwrap()
    };
    // The install step: a gitsign with `verify --policy` on PATH is used as it is.
    for line in [&github[0], &gitlab[0]] {
        let out = run(&repo, line, &[]);
        assert_eq!(out.status.code(), Some(0), "{line}: {}", text(&out));
        assert!(text(&out).contains(&format!("gitsign: using {bin}/gitsign")), "{}", text(&out));
    }
    // Without one and without GITSIGN_REPO it stops, saying what to set.
    let out = repo.command("sh").args(["-c", &github[0]]).env("PATH", "/usr/bin:/bin").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("set the CI variable GITSIGN_REPO to the git"), "{}", text(&out));
    // A pushed checkout that calls itself gitsign is not built as its own judge unless gitsign's
    // own CI asks for it (GITSIGN_FROM_CHECKOUT=1).
    let fake = repo.path().join("Cargo.toml");
    std::fs::write(&fake, "[package]\nname = \"gitsign\"\n").unwrap();
    assert!(repo.path().join("git-hooks/ci/verify-push.sh").exists(), "the checkout has the CI scripts");
    let out = repo.command("sh").args(["-c", &github[0]]).env("PATH", "/usr/bin:/bin").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("set the CI variable GITSIGN_REPO to the git"), "{}", text(&out));
    std::fs::remove_file(&fake).unwrap();
    // The judging step, with the variables each CI gives it: a GitHub push, a new branch, a
    // pull request; a GitLab push and a merge request.
    let zero = "0".repeat(40);
    let judge = |repo: &Repo, head: &str| -> Vec<Output> {
        vec![
            run(
                repo,
                &github[1],
                &[
                    ("BASE", &base),
                    ("HEAD_SHA", head),
                    ("REF", "refs/heads/main"),
                    ("GITSIGN_DEFAULT_BRANCH", "origin/main"),
                ],
            ),
            run(
                repo,
                &github[1],
                &[
                    ("BASE", &zero),
                    ("HEAD_SHA", head),
                    ("REF", "refs/heads/main"),
                    ("GITSIGN_DEFAULT_BRANCH", "origin/main"),
                ],
            ),
            run(
                repo,
                &gitlab[1],
                &[
                    ("CI_COMMIT_BEFORE_SHA", &base),
                    ("CI_COMMIT_SHA", head),
                    ("CI_COMMIT_BRANCH", "main"),
                    ("GITSIGN_DEFAULT_BRANCH", "origin/main"),
                ],
            ),
            run(
                repo,
                &gitlab[1],
                &[
                    ("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base),
                    ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
                    ("CI_COMMIT_BEFORE_SHA", &zero),
                    ("CI_COMMIT_SHA", head),
                    ("GITSIGN_DEFAULT_BRANCH", "origin/main"),
                ],
            ),
        ]
    };
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    for out in judge(&repo, &head) {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("1 commit(s) and tag(s) judged by the policy"), "{}", text(&out));
    }
    // Bob allows himself in the same push: the policy of the base judges him.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("bob@example.com"));
    repo.stage(".gitsign/policy.toml", &policy(&stack, "bob@example.com", &issuer, ""));
    let bob = commit(&repo, "c.txt", "bob allows bob", true);
    for out in judge(&repo, &bob) {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out)
                .contains(&format!("{} \"bob allows bob\" on refs/heads/main: signed by bob@example.com", &bob[..10])),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn an_online_mode_signature_whose_log_cannot_be_reached_is_refused_as_could_not_check() {
    let stack = Stack::start();
    let (issuer, rekor) = (stack.running.urls().issuer.clone(), stack.running.urls().rekor.clone());
    let repo = Repo::new(&stack, "ann@example.com");
    let server = Server::new(&repo, &policy(&stack, "ann@example.com", &issuer, ""));
    repo.ok(&["remote", "add", "origin", &server.url()]);
    // The Go gitsign's default: the entry stays in Rekor, found by the commit's ID when judged.
    repo.ok(&["config", "gitsign.rekorMode", "online"]);
    let online = commit(&repo, "a.txt", "logged online by ann", true);
    // With the log up, the allowed signer is accepted.
    let out = accepted(&repo, &["push", "-q", "origin", "main"]);
    assert!(out.contains("all allowed"), "{out}");
    let second = commit(&repo, "b.txt", "second online commit", true);
    // The log goes away: nothing can check the new signature, so the push is refused (fail
    // closed), naming the log, and not reported as a bad signature.
    let Stack { dir: _dir, running } = stack;
    running.stop().unwrap();
    let all = refused(
        &repo,
        &["push", "origin", "main"],
        &[
            "remote: gitsign: refused by the policy",
            &format!(
                "remote: gitsign:   {} \"second online commit\" on refs/heads/main: could not check the signature",
                &second[..10]
            ),
            &format!("(the log: {rekor})"),
        ],
    );
    assert!(!all.contains("BAD signature"), "{all}");
    assert_eq!(server.rev(&repo, "refs/heads/main"), online);
}

#[test]
fn a_pushed_object_over_the_size_cap_is_refused_without_reading_it_whole() {
    let stack = Stack::start();
    let issuer = stack.running.urls().issuer.clone();
    let repo = Repo::new(&stack, "ann@example.com");
    let server = Server::new(&repo, &policy(&stack, "ann@example.com", &issuer, ""));
    let log = server.dir.path().join("hook.log");
    repo.ok(&[
        "--git-dir",
        &server.bare().display().to_string(),
        "config",
        "gitsign.hookLog",
        &log.display().to_string(),
    ]);
    repo.ok(&["remote", "add", "origin", &server.url()]);
    let base = commit(&repo, "a.txt", "first by ann", true);
    accepted(&repo, &["push", "-q", "origin", "main"]);
    // One push: a good commit, an unsigned one, a commit object of 17 MiB (its message:
    // attacker-sized input the hook must not take in) and a good one on top. The walk meets the
    // big one before the two under it: they are judged and reported all the same.
    let good = commit(&repo, "b.txt", "second by ann", true);
    let unsigned = commit(&repo, "c.txt", "unsigned change", false);
    let message = repo.path().join(".message");
    std::fs::write(&message, "x".repeat(17 << 20)).unwrap();
    repo.ok(&["commit", "-q", "--allow-empty", "--no-gpg-sign", "-F", &message.display().to_string()]);
    let big = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let size = repo.ok(&["cat-file", "-s", &big]).trim().to_string();
    let top = commit(&repo, "d.txt", "third by ann", true);
    let over = format!("the commit {big} is {size} bytes, over gitsign's cap of 16777216 bytes on a git object");
    let all = refused(
        &repo,
        &["push", "origin", "main"],
        &[
            "remote: gitsign: refused by the policy",
            "2 of 4 commit(s) and tag(s) not allowed",
            &format!(
                "remote: gitsign:   {} \"(not read)\" on refs/heads/main: could not check the signature: {over}",
                &big[..10]
            ),
            &format!(
                "remote: gitsign:   {} \"unsigned change\" on refs/heads/main: unsigned, and refs/heads/main requires a signature",
                &unsigned[..10]
            ),
        ],
    );
    assert!(!all.contains("the log:"), "{all}");
    assert_eq!(server.rev(&repo, "refs/heads/main"), base);
    // The hook log and the JSON output give every verdict, in the order walked.
    let verdicts = |value: &serde_json::Value| -> Vec<(String, String, bool)> {
        value["commits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["sha"].as_str().unwrap().to_string(),
                    c["verdict"].as_str().unwrap().to_string(),
                    c["allowed"] == true,
                )
            })
            .collect()
    };
    let expected: Vec<(String, String, bool)> =
        [(&top, "good", true), (&big, "error", false), (&unsigned, "unsigned", false), (&good, "good", true)]
            .into_iter()
            .map(|(sha, verdict, allowed)| (sha.clone(), verdict.to_string(), allowed))
            .collect();
    let line: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&log).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(line["decision"], "refuse", "{line}");
    assert_eq!(verdicts(&line), expected, "{line}");
    assert!(line["commits"][1]["reason"].as_str().unwrap().contains(&over), "{line}");
    assert_eq!(line["commits"][1]["kind"], "commit", "{line}");
    let out = repo
        .command(GITSIGN)
        .args(["verify", "--policy"])
        .arg(&server.policy)
        .args(["--ref", "refs/heads/main", "--output", "json", &format!("{base}..{top}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdicts(&value), expected, "{value}");
}
