//! SHA-256 repositories (`git init --object-format=sha256`): commits and tags signed in offline
//! and online Rekor mode verify under `git verify-commit` / `git verify-tag` and `gitsign verify`
//! / `verify-tag`, and an altered commit does not.

use crate::common::*;

fn sha256_repo(stack: &Stack) -> Repo {
    let repo = Repo::new(stack, "ann@example.com");
    std::fs::remove_dir_all(repo.path().join(".git")).unwrap();
    repo.ok(&["init", "-q", "-b", "main", "--object-format=sha256"]);
    for (k, v) in [("user.name", "Ann Example"), ("user.email", "ann@example.com"), ("gpg.format", "x509")] {
        repo.ok(&["config", k, v]);
    }
    repo.ok(&["config", "gpg.x509.program", GITSIGN]);
    repo
}

fn passes(out: &std::process::Output) -> String {
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "must pass:\n{all}");
    all
}

#[test]
fn commits_and_tags_in_both_modes() {
    let stack = Stack::start();
    for mode in ["offline", "online"] {
        let repo = sha256_repo(&stack);
        repo.ok(&["config", "gitsign.rekorMode", mode]);
        repo.stage("a.txt", "one\n");
        repo.ok(&["commit", "-S", "-q", "-m", &format!("signed in {mode} mode")]);
        repo.ok(&["tag", "-s", "-m", "release", "v1"]);
        let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
        assert_eq!(head.len(), 64, "a SHA-256 object ID");
        let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
        assert!(raw.contains("\ngpgsig-sha256 ") && !raw.contains("\ngpgsig "), "{raw}");
        passes(&repo.git(&["verify-commit", "HEAD"]));
        passes(&repo.git(&["verify-tag", "v1"]));
        let out = passes(&repo.verifier("ann@example.com", &["verify", "HEAD"]).output().unwrap());
        assert!(out.contains("1 of 1 commits verified"), "{mode}: {out}");
        let out = passes(&repo.verifier("ann@example.com", &["verify-tag", "v1"]).output().unwrap());
        assert!(out.contains("1 of 1 tags verified"), "{mode}: {out}");
        // Another identity is refused, in SHA-256 as in SHA-1.
        let out = repo.verifier("bob@example.com", &["verify", "HEAD"]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{mode}");
        // An altered commit keeps its signature but no longer verifies (online: Rekor has no entry
        // for the altered object).
        std::fs::write(repo.path().join("altered"), raw.replace("signed in", "altered in")).unwrap();
        let sha = repo.ok(&["hash-object", "-t", "commit", "-w", "altered"]).trim().to_string();
        let out = repo.verifier("ann@example.com", &["verify", &sha]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{mode}");
        let why = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            why.contains(if mode == "offline" { "the signed data was changed" } else { "no entry in" }),
            "{mode}: {why}"
        );
        // `gitsign show`: the digest is named sha256.
        let out = passes(&repo.command(GITSIGN).args(["show", "v1"]).output().unwrap());
        let tag = repo.ok(&["rev-parse", "refs/tags/v1"]).trim().to_string();
        let shown: serde_json::Value = serde_json::from_str(&out[..out.rfind('}').unwrap() + 1]).unwrap();
        assert_eq!(shown["subject"][0]["digest"]["sha256"], tag.as_str(), "{shown}");
    }
}
