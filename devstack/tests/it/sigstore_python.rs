//! sigstore-python, Sigstore's own client, signs against the devstack with its trust config (into
//! the Rekor v2 log, with a timestamp from the devstack's TSA) and verifies offline; tampering and
//! other identities fail; a restart changes nothing it trusts.
//!
//! Needs `sigstore` 4.5.1 from PyPI: `./test.sh` installs it into `.venv`. Set
//! `GITSIGN_TEST_SIGSTORE` to use another install.

use crate::common::*;
use gitsign_devstack::oidc::Subject;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn sigstore_cli() -> Option<PathBuf> {
    let path = std::env::var_os("GITSIGN_TEST_SIGSTORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/sigstore"));
    if path.exists() {
        return Some(path);
    }
    crate::common::skip::skip(&format!(
        "sigstore-python is not installed at {} (./test.sh installs it)",
        path.display()
    ));
    None
}

fn sigstore(cli: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(cli)
        .arg("--trust-config")
        .arg(dir.join("trust_config.json"))
        .args(args)
        .env("HOME", dir) // keeps its caches out of the real home
        .env("COLUMNS", "1000") // its log lines unwrapped, so that reasons can be matched
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> bool {
    if !out.status.success() {
        eprintln!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }
    out.status.success()
}

/// sigstore-python refused, with `needle` in its reason (stderr), naming `file` as the failure.
fn refused(out: &std::process::Output, file: &str, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "sigstore-python accepted what it must refuse for {needle:?}:\n{stderr}");
    assert!(stderr.contains(&format!("FAIL: {file}")), "no FAIL line for {file}:\n{stderr}");
    assert!(stderr.contains(needle), "the refusal should say {needle:?}:\n{stderr}");
}

#[test]
fn sigstore_python_signs_and_verifies_offline() {
    let Some(cli) = sigstore_cli() else { return };
    let state = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = state.path();
    let running = start(dir);
    let issuer = running.urls().issuer.clone();
    let file = work.path().join("artifact.txt");
    std::fs::write(&file, b"signed by sigstore-python against gitsign-devstack\n").unwrap();
    let bundle = work.path().join("artifact.sigstore.json");
    let (f, b) = (file.to_str().unwrap(), bundle.to_str().unwrap());

    let token = token(dir, "erin@example.com");
    assert!(ok(&sigstore(&cli, dir, &["sign", "--identity-token", &token, "--bundle", b, f])), "sign");
    // The trust config's signing config lists the Rekor v2 log first: sigstore-python signs into it,
    // with a timestamp from the devstack's TSA (Rekor v2 gives no time).
    let signed: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let tle = &signed["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(tle["kindVersion"]["version"], "0.0.2", "{signed}");
    assert!(tle.get("inclusionPromise").is_none(), "{signed}");
    let envelope = tle["inclusionProof"]["checkpoint"]["envelope"].as_str().unwrap();
    let v2_name = running.urls().rekor_v2.strip_prefix("http://").unwrap();
    assert!(envelope.starts_with(&format!("{v2_name}\n")), "{envelope}");
    let stamps = &signed["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
    assert_eq!(stamps.as_array().map(Vec::len), Some(1), "{signed}");
    let verify = |file: &str, identity: &str, issuer: &str| {
        sigstore(
            &cli,
            dir,
            &[
                "verify",
                "identity",
                "--offline",
                "--bundle",
                b,
                "--cert-identity",
                identity,
                "--cert-oidc-issuer",
                issuer,
                file,
            ],
        )
    };
    assert!(ok(&verify(f, "erin@example.com", &issuer)), "verify");
    refused(&verify(f, "mallory@example.com", &issuer), f, "Certificate's SANs do not match mallory@example.com");
    let wrong_issuer = format!("OIDCIssuer does not match (got '{issuer}', expected 'https://accounts.example')");
    refused(&verify(f, "erin@example.com", "https://accounts.example"), f, &wrong_issuer);
    let tampered = work.path().join("tampered.txt");
    std::fs::write(&tampered, b"signed by sigstore-python against gitsign-devstack!\n").unwrap();
    let t = tampered.to_str().unwrap();
    refused(&verify(t, "erin@example.com", &issuer), t, "Bundle message digest mismatch");

    // After a restart the same trust config still verifies, and signing goes on.
    running.stop().unwrap();
    let running = start(dir);
    assert_eq!(running.urls().issuer, issuer, "the restart keeps the port while it is free");
    assert!(ok(&verify(f, "erin@example.com", &issuer)), "verify after restart");
    let second = work.path().join("second.sigstore.json");
    let sub = "https://ci.example/pipelines/7";
    let ci_token = crate::common::issuer(dir).mint(&Subject::Sub(sub.into()), None, Duration::from_secs(300)).unwrap();
    let s = second.to_str().unwrap();
    assert!(
        ok(&sigstore(&cli, dir, &["sign", "--identity-token", &ci_token, "--bundle", s, f])),
        "sign with a sub-only token"
    );
    let out = sigstore(
        &cli,
        dir,
        &["verify", "identity", "--offline", "--bundle", s, "--cert-identity", sub, "--cert-oidc-issuer", &issuer, f],
    );
    assert!(ok(&out), "verify the sub-only signature");
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&second).unwrap()).unwrap();
    assert_eq!(bundle["verificationMaterial"]["tlogEntries"][0]["logIndex"], "1", "the log grew on after the restart");
}
