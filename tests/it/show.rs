//! `gitsign show`: the Go gitsign's own output on its own test objects
//! (../shared/vectors/gitsign-show), compared after JSON parsing, and the cases around it.

use crate::common::{GITSIGN, Repo, Stack, skip};
use std::path::PathBuf;

const GO_REMOTE: &str = "https://github.com/sigstore/gitsign.git";

fn vectors() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/gitsign-show");
    if root.join("README.md").exists() {
        return Some(root);
    }
    skip::skip(&format!("{} is absent (CI provides ../shared beside the checkout)", root.display()));
    None
}

/// A repository (no signing) with `origin` at the Go tests' URL.
fn repo() -> Repo {
    let repo = Repo::with_env(Vec::new());
    repo.ok(&["remote", "add", "origin", GO_REMOTE]);
    repo
}

/// Writes a raw object as git stores it; returns its ID.
fn write_object(repo: &Repo, kind: &str, path: &std::path::Path) -> String {
    let path = path.display().to_string();
    repo.ok(&["hash-object", "--literally", "-t", kind, "-w", &path]).trim().to_string()
}

fn show(repo: &Repo, args: &[&str]) -> std::process::Output {
    repo.command(GITSIGN).arg("show").args(args).output().unwrap()
}

fn show_json(repo: &Repo, args: &[&str]) -> serde_json::Value {
    let out = show(repo, args);
    assert!(out.status.success(), "gitsign show {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn expected(root: &std::path::Path, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(root.join(format!("{name}.out.json"))).unwrap()).unwrap()
}

#[test]
fn commits_equal_the_go_output() {
    let Some(root) = vectors() else { return };
    for name in ["fulcio-cert", "gpg"] {
        let repo = repo();
        let oid = write_object(&repo, "commit", &root.join(format!("{name}.in.txt")));
        repo.ok(&["update-ref", "refs/heads/shown", &oid]);
        let want = expected(&root, name);
        assert_eq!(want["subject"][0]["digest"]["sha1"], oid.as_str(), "{name}: the vector names this object");
        assert_eq!(show_json(&repo, &["shown"]), want, "{name} by branch");
        assert_eq!(show_json(&repo, &[&oid]), want, "{name} by object ID");
    }
}

#[test]
fn annotated_tag_equals_the_go_output() {
    let Some(root) = vectors() else { return };
    let repo = repo();
    let oid = write_object(&repo, "tag", &root.join("fulcio-tag.in.txt"));
    repo.ok(&["update-ref", "refs/tags/v0.14.0", &oid]);
    let want = expected(&root, "fulcio-tag");
    assert_eq!(want["subject"][0]["digest"]["gitTag"], oid.as_str());
    assert_eq!(show_json(&repo, &["v0.14.0"]), want);
}

#[test]
fn remote_flag_and_missing_remote_name_the_subject() {
    let Some(root) = vectors() else { return };
    let repo = repo();
    let oid = write_object(&repo, "commit", &root.join("gpg.in.txt"));
    repo.ok(&["update-ref", "refs/heads/main", &oid]);
    // HEAD by default; no such remote: no subject name, as the Go gitsign.
    let shown = show_json(&repo, &["--remote", "upstream"]);
    assert!(shown["subject"][0].get("name").is_none(), "{shown}");
    assert_eq!(shown["subject"][0]["digest"]["sha1"], oid.as_str());
    repo.ok(&["remote", "add", "upstream", "https://example.com/fork.git"]);
    let shown = show_json(&repo, &["-r", "upstream", "HEAD"]);
    assert_eq!(shown["subject"][0]["name"], "https://example.com/fork.git");
}

#[test]
fn lightweight_tags_and_unknown_revisions_are_refused() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a", "a");
    repo.ok(&["commit", "-S", "-q", "-m", "one"]);
    repo.ok(&["tag", "light"]);
    let out = show(&repo, &["light"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("lightweight tag"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = show(&repo, &["no-such-rev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a commit or an annotated tag"));
    // Our own signature: the signer info is the certificate the commit carries, and the
    // attributes are the DER SET the signature signs.
    let shown = show_json(&repo, &[]);
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    let (_, armored) = crate::common::split_commit(&raw);
    assert_eq!(shown["predicate"]["signature"], armored.as_str());
    let der = gitsign_core::signature::dearmor(armored.as_bytes()).unwrap();
    let parsed = gitsign_core::signature::parse(&der).unwrap();
    let info = &shown["predicate"]["signer_info"][0];
    use base64::Engine as _;
    let attrs = base64::engine::general_purpose::STANDARD.decode(info["attributes"].as_str().unwrap()).unwrap();
    assert_eq!(attrs, parsed.signed_attrs_der);
    let pem = gitsign_protocol::keys::pem_encode("CERTIFICATE", parsed.signer_cert());
    assert_eq!(info["certificate"], pem.as_str());
    assert_eq!(shown["predicate"]["source"]["message"], "one\n");
    assert_eq!(shown["predicate"]["source"]["committer"]["email"], "ann@example.com");
    assert!(shown["predicate"]["source"].get("parents").is_none(), "a root commit has no parents: {shown}");
}
