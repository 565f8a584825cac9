//! sigstore-js (`@sigstore/verify` from npm), an independent verifier, checks the bundles
//! `gitsign sign-blob` makes against the devstack: certificate chain, SCT, signed entry timestamp,
//! inclusion proof and signed checkpoint (whose signer name must be part of the log's URL in the
//! trusted root), identity and issuer. tests/support/sigstore-js/verify.mjs drives it; ./test.sh
//! installs it (`npm ci`).

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn support() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/sigstore-js")
}

/// The driver script, when sigstore-js and node are installed.
fn sigstore_js() -> Option<PathBuf> {
    let dir = support();
    let installed = dir.join("node_modules/@sigstore/verify/package.json").exists();
    let node = Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if installed && node {
        return Some(dir.join("verify.mjs"));
    }
    let why = if node {
        format!("sigstore-js is not installed in {} (./test.sh runs npm ci there)", dir.display())
    } else {
        "node is not installed (./test.sh installs npm and node)".to_string()
    };
    skip::skip(&why);
    None
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn js_verify(script: &Path, stack: &Stack, bundle: &Path, identity: &str, file: &Path) -> Output {
    Command::new("node")
        .arg(script)
        .arg("--bundle")
        .arg(bundle)
        .arg("--trusted-root")
        .arg(stack.trusted_root())
        .args(["--identity", identity, "--issuer", &stack.running.urls().issuer])
        .arg(file)
        .output()
        .unwrap()
}

fn gitsign_verify(repo: &Repo, stack: &Stack, bundle: &Path, file: &Path) -> Output {
    repo.command(GITSIGN)
        .arg("verify-blob")
        .arg("--bundle")
        .arg(bundle)
        .args(["--certificate-identity", "ann@example.com", "--certificate-oidc-issuer", &stack.running.urls().issuer])
        .arg("--trusted-root")
        .arg(stack.trusted_root())
        .arg(file)
        .output()
        .unwrap()
}

#[test]
fn sigstore_js_verifies_a_sign_blob_bundle_and_refuses_a_changed_file() {
    let Some(script) = sigstore_js() else { return };
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("release.tar");
    std::fs::write(&file, b"the bytes of a release\n").unwrap();
    let bundle = work.path().join("release.tar.sigstore.json");
    let out = repo.command(GITSIGN).arg("sign-blob").arg("--bundle").arg(&bundle).arg(&file).output().unwrap();
    assert!(out.status.success(), "sign-blob: {}", text(&out));

    let out = js_verify(&script, &stack, &bundle, "ann@example.com", &file);
    assert!(out.status.success(), "sigstore-js refused gitsign's bundle: {}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK ann@example.com");

    // A changed file: the signature does not cover it.
    let changed = work.path().join("changed.tar");
    std::fs::write(&changed, b"the bytes of a release!\n").unwrap();
    let out = js_verify(&script, &stack, &bundle, "ann@example.com", &changed);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).starts_with("FAIL SIGNATURE_ERROR: "), "{}", text(&out));

    // Another identity: refused by the policy.
    let out = js_verify(&script, &stack, &bundle, "bob@example.com", &file);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).starts_with("FAIL UNTRUSTED_SIGNER_ERROR: certificate identity error"), "{}", text(&out));
}

/// The checkpoint's signature line must carry the log's name (the host:port of its URL in the
/// trusted root): the same valid signature under another name (the name the devstack once
/// signed with) is refused by sigstore-js and by gitsign alike. The name is outside the signed
/// note, so renaming keeps the signature itself valid.
#[test]
fn a_checkpoint_signed_under_another_name_is_refused_by_both() {
    let Some(script) = sigstore_js() else { return };
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("notes.txt");
    std::fs::write(&file, b"checkpoint names\n").unwrap();
    let bundle = work.path().join("notes.sigstore.json");
    let out = repo.command(GITSIGN).arg("sign-blob").arg("--bundle").arg(&bundle).arg(&file).output().unwrap();
    assert!(out.status.success(), "sign-blob: {}", text(&out));
    let out = gitsign_verify(&repo, &stack, &bundle, &file);
    assert!(out.status.success(), "gitsign verify-blob: {}", text(&out));

    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let envelope = &mut json["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"];
    let name = stack.running.urls().rekor.strip_prefix("http://").unwrap().to_string();
    let original = envelope.as_str().unwrap().to_string();
    assert!(original.starts_with(&format!("{name} - ")), "origin: {original}");
    let signature_line = format!("\n\u{2014} {name} ");
    assert!(original.contains(&signature_line), "signature line: {original}");
    *envelope = original.replace(&signature_line, "\n\u{2014} gitsign-devstack ").into();
    let renamed = work.path().join("renamed.sigstore.json");
    std::fs::write(&renamed, serde_json::to_vec(&json).unwrap()).unwrap();

    let out = js_verify(&script, &stack, &renamed, "ann@example.com", &file);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "FAIL TLOG_INCLUSION_PROOF_ERROR: invalid checkpoint signature"
    );
    let out = gitsign_verify(&repo, &stack, &renamed, &file);
    assert!(!out.status.success(), "gitsign accepted a checkpoint signed under another name");
    assert!(text(&out).contains(&format!("no checkpoint signature from log \"{name}\"")), "{}", text(&out));
}
