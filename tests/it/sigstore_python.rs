//! sigstore-python, an independent verifier, checks the log entry gitsign embedded in a commit
//! signature: the entry, turned into a Sigstore bundle for the signed attributes (the bytes the
//! signature covers), verifies offline against the devstack's trust config — certificate chain,
//! SCT, signed entry timestamp, inclusion proof and checkpoint.

use crate::common::*;
use gitsign_core::{signature, tlog::TransparencyLogEntry};
use gitsign_protocol::keys::pem_encode;
use gitsign_protocol::rekor::HashedRekord;
use gitsign_protocol::sha256;
use prost::Message as _;
use std::process::Command;

#[test]
fn sigstore_python_verifies_the_embedded_log_entry() {
    let Some(cli) = sigstore_python_cli() else { return };
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "checked by sigstore-python"]);
    let (_, armored) = split_commit(&repo.ok(&["cat-file", "commit", "HEAD"]));
    let parsed = signature::parse(&signature::dearmor(armored.as_bytes()).unwrap()).unwrap();
    let entry = TransparencyLogEntry::decode(parsed.tlog_entry.as_deref().unwrap()).unwrap();
    let digest = sha256(&parsed.signed_attrs_der);
    let body = HashedRekord::new(&digest, &parsed.signature, &pem_encode("CERTIFICATE", parsed.signer_cert()))
        .canonical_json();
    let bundle =
        gitsign_core::bundle::message_signature(parsed.signer_cert(), &digest, &parsed.signature, &entry, &body);

    let work = tempfile::tempdir().unwrap();
    let artifact = work.path().join("signed-attributes.der");
    std::fs::write(&artifact, &parsed.signed_attrs_der).unwrap();
    let bundle_path = work.path().join("commit.sigstore.json");
    std::fs::write(&bundle_path, serde_json::to_vec(&bundle).unwrap()).unwrap();
    let verify = |identity: &str, artifact: &std::path::Path| {
        Command::new(&cli)
            .env("HOME", work.path())
            // One line per message (rich wraps at the terminal width otherwise).
            .env("COLUMNS", "200")
            .arg("--trust-config")
            .arg(stack.dir.path().join("trust_config.json"))
            .args([
                "verify",
                "identity",
                "--offline",
                "--cert-identity",
                identity,
                "--cert-oidc-issuer",
                &stack.running.urls().issuer,
                "--bundle",
            ])
            .arg(&bundle_path)
            .arg(artifact)
            .output()
            .unwrap()
    };
    let out = verify("ann@example.com", &artifact);
    assert!(
        out.status.success(),
        "sigstore-python: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = verify("bob@example.com", &artifact);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "another identity must fail");
    assert!(
        said.contains("FAIL:")
            && said.contains("Certificate's SANs do not match bob@example.com; actual SANs: {'ann@example.com'}"),
        "sigstore-python must refuse for the identity: {said}"
    );
    let changed = work.path().join("changed.der");
    let mut bytes = parsed.signed_attrs_der.clone();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&changed, bytes).unwrap();
    let out = verify("ann@example.com", &changed);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "changed signed attributes must fail");
    assert!(
        said.contains("FAIL:") && said.contains("Bundle message digest mismatch"),
        "sigstore-python must refuse for the digest: {said}"
    );
}
