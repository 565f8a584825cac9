//! The Sigstore conformance suite's 70 offline bundle-verification cases, each run with the
//! artifact's path and with its `sha256:` digest, through the adapter at
//! tests/conformance/entrypoint; and sign-bundle against a devstack.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Runs that pass today (of 140); a change that passes fewer fails this test.
const PASSING_AT_LEAST: usize = 140;

fn entrypoint() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/entrypoint")
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok().map(|s| s.trim().to_string())
}

#[test]
fn bundle_verification_cases() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/sigstore-conformance/bundle-verify");
    let public_good = root.join("../../../trust/public-good/trusted_root.json");
    if !root.exists() {
        return common::skip::skip(&format!(
            "{} is absent (CI provides ../shared beside the checkout)",
            root.display()
        ));
    }
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    let (mut passed, mut runs, mut failed) = (0, 0, Vec::new());
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        let must_fail = name.ends_with("_fail");
        let artifact = if case.join("artifact").exists() { case.join("artifact") } else { root.join("a.txt") };
        let digest = format!("sha256:{}", hex::encode(gitsign_protocol::sha256(&std::fs::read(&artifact).unwrap())));
        for target in [artifact.display().to_string(), digest] {
            let mut cmd = Command::new(entrypoint());
            cmd.env("GITSIGN_BIN", GITSIGN).arg("verify-bundle").arg("--bundle").arg(case.join("bundle.sigstore.json"));
            if case.join("key.pub").exists() {
                cmd.arg("--key").arg(case.join("key.pub"));
            } else {
                cmd.args(["--certificate-identity", &read(case, "identity").unwrap_or(DEFAULT_IDENTITY.into())]);
                cmd.args(["--certificate-oidc-issuer", &read(case, "issuer").unwrap_or(DEFAULT_ISSUER.into())]);
            }
            let trusted = if case.join("trusted_root.json").exists() {
                case.join("trusted_root.json")
            } else {
                public_good.clone()
            };
            cmd.arg("--trusted-root").arg(trusted).arg(&target);
            let out = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("panicked"), "{name}: {stderr}");
            runs += 1;
            if out.status.success() != must_fail {
                passed += 1;
            } else {
                failed.push(format!(
                    "{name} ({}): {}",
                    if target.starts_with("sha256:") { "digest" } else { "path" },
                    stderr.trim()
                ));
            }
        }
    }
    eprintln!("conformance: {passed} of {runs} runs pass");
    for f in &failed {
        eprintln!("  FAIL {f}");
    }
    assert_eq!(runs, 140);
    assert!(passed >= PASSING_AT_LEAST, "{passed} of {runs} runs pass, fewer than {PASSING_AT_LEAST}");
}

#[test]
fn sign_bundle_through_the_adapter_verifies() {
    let stack = Stack::start();
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("artifact.txt");
    std::fs::write(&file, b"signed through the conformance adapter\n").unwrap();
    let bundle = work.path().join("artifact.sigstore.json");
    let root = stack.trusted_root();
    let token = stack.token("hana@example.com");
    let urls = stack.running.urls();
    let out = Command::new(entrypoint())
        .env("GITSIGN_BIN", GITSIGN)
        .env("GITSIGN_FULCIO_URL", &urls.fulcio)
        .env("GITSIGN_REKOR_URL", &urls.rekor)
        .args(["sign-bundle", "--identity-token", &token, "--bundle"])
        .arg(&bundle)
        .arg("--trusted-root")
        .arg(&root)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let verify = |identity: &str, target: &str| {
        Command::new(entrypoint())
            .env("GITSIGN_BIN", GITSIGN)
            .args(["verify-bundle", "--bundle"])
            .arg(&bundle)
            .args(["--certificate-identity", identity, "--certificate-oidc-issuer", &urls.issuer, "--trusted-root"])
            .arg(&root)
            .arg(target)
            .output()
            .unwrap()
    };
    assert!(verify("hana@example.com", file.to_str().unwrap()).status.success());
    assert!(!verify("other@example.com", file.to_str().unwrap()).status.success());
    let wrong = format!("sha256:{}", "00".repeat(32));
    assert!(!verify("hana@example.com", &wrong).status.success());
}
