//! The Sigstore conformance suite's 70 offline bundle-verification cases, each run with the
//! artifact's path and with its `sha256:` digest, through the adapter at
//! tests/it/conformance/entrypoint; and sign-bundle against a devstack.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// Runs that pass today (of 140); a change that passes fewer fails this test.
const PASSING_AT_LEAST: usize = 140;

/// Why each `_fail` case must be refused: a substring of gitsign's reason, chosen to name the
/// defect the case was built with (its README). A `_fail` run passes only when gitsign exits 1
/// (verification failed; 2 is a usage error) with this reason, never "unsupported" or a panic.
const FAIL_REASONS: &[(&str, &str)] = &[
    ("bundle-empty-certificate-chain_fail", "the certificate chain is empty"),
    ("bundle-from-wrong-instance_fail", "which the trust root does not hold"),
    ("bundle-invalid-base64-signature_fail", "signature is not base64"),
    ("bundle-malformed-json_fail", "not JSON"),
    ("bundle-negative-log-index_fail", "logIndex is not a non-negative integer"),
    ("bundle-unknown-version_fail", "unknown bundle media type"),
    ("bundle-with-root-cert_fail", "the certificate chain includes a root certificate"),
    ("checkpoint-bad-keyhint_fail", "no checkpoint signature from log \"rekor.sigstore.dev\" with key hint"),
    ("checkpoint-wrong-roothash_fail", "the proof is for"),
    ("dsse-invalid-sig_fail", "the signature does not verify"),
    ("dsse-mismatch-envelope_fail", "the log entry is over another DSSE payload"),
    ("dsse-mismatch-sig_fail", "the log entry holds another signature"),
    ("inclusion-proof-corrupted-hash_fail", "inclusion proof of log index 79571823 does not verify"),
    ("incorrect-public-key_fail", "the log entry names another certificate or key"),
    // Built when 2026-05-07 was the future; the certificate's validity now refuses it first.
    ("integrated-time-in-future_fail", "not at the signing time 2026-05-07"),
    ("intoto-expired-certificate_fail", "not at the signing time"),
    ("intoto-log-entry-mismatch_fail", "the log entry must hold exactly the envelope's one signature"),
    ("intoto-missing-inclusion-proof_fail", "need an inclusion proof"),
    ("intoto-set-outside-signing-cert-validity_fail", "not at the signing time 2023-02-02"),
    ("intoto-tsa-timestamp-outside-cert-validity_fail", "not at the signing time 2023-02-02"),
    ("invalid-checkpoint-signature_fail", "checkpoint signature: signature does not verify"),
    ("invalid-ct-key_fail", "trust root:"),
    ("invalid-inclusion-proof_fail", "need an inclusion proof"),
    ("managed-key-no-key_fail", "the bundle names a managed key"),
    ("managed-key-wrong-key_fail", "is not a usable public key"),
    ("message-digest-mismatch_fail", "the bundle's message digest is not the artifact's"),
    ("rekor2-checkpoint-missing-log-signature_fail", "malformed checkpoint"),
    ("rekor2-checkpoint-missing-origin_fail", "malformed checkpoint"),
    ("rekor2-checkpoint-missing-root-hash_fail", "malformed checkpoint: root hash"),
    ("rekor2-checkpoint-missing-size_fail", "malformed checkpoint: tree size"),
    ("rekor2-checkpoint-no-matching-signature_fail", "the checkpoint is for log \"log2025-alpha1.rekor.github.dev\""),
    ("rekor2-dsse-invalid-sig_fail", "the signature does not verify"),
    ("rekor2-dsse-mismatch-envelope_fail", "the log entry is over another artifact"),
    ("rekor2-dsse-mismatch-sig_fail", "the log entry holds another signature"),
    ("rekor2-no-inclusion-proof_fail", "need an inclusion proof"),
    ("rekor2-no-timestamp_fail", "no integrated time and there is no other verified time"),
    ("rekor2-timestamp-outside-trust-root-tsa-validity_fail", "timestamp: the timestamp authority was not valid"),
    ("rekor2-timestamp-outside-tsa-cert-validity_fail", "timestamp: the timestamp authority was not valid"),
    ("rekor2-timestamp-payload-mismatch_fail", "timestamp: the timestamp is over another signature"),
    ("rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail", "timestamp: the token embeds a certificate"),
    ("rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail", "signed by no timestamp authority of the trust root"),
    ("rekor2-timestamp-with-incorrect-time_fail", "not at the signing time 2025-07-15"),
    ("set-invalid-signature_fail", "the signed entry timestamp of log index 27246492 does not verify"),
    ("signature-mismatch_fail", "the signature does not verify"),
    ("trust-root-tlog-missing-validity-start_fail", "trust root:"),
    ("wrong-hashedrekord-artifact_fail", "the log entry is over another artifact"),
    ("wrong-hashedrekord-cert-and-sig_fail", "the log entry holds another signature"),
    ("wrong-hashedrekord-entry_fail", "the log entry is over another artifact"),
    ("wrong-material_fail", "the bundle's message digest is not the artifact's"),
];

fn entrypoint() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/conformance/entrypoint")
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok().map(|s| s.trim().to_string())
}

#[test]
fn bundle_verification_cases() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/sigstore-conformance/bundle-verify");
    let public_good = root.join("../../../trust/public-good/trusted_root.json");
    if !root.exists() {
        return skip::skip(&format!("{} is absent (CI provides ../shared beside the checkout)", root.display()));
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
            let verdict = if must_fail {
                let reason = FAIL_REASONS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r);
                match (out.status.code(), reason) {
                    (_, None) => Err("no expected reason in FAIL_REASONS".to_string()),
                    (Some(1), Some(r))
                        if stderr.contains("gitsign: verification failed: ")
                            && !stderr.contains("unsupported")
                            && stderr.contains(r) =>
                    {
                        Ok(())
                    }
                    (code, Some(r)) => Err(format!("refused (exit {code:?}) but not because {r:?}")),
                }
            } else if out.status.success() {
                Ok(())
            } else {
                Err("refused".to_string())
            };
            if let Err(why) = verdict {
                failed.push(format!(
                    "{name} ({}): {why}: {}",
                    if target.starts_with("sha256:") { "digest" } else { "path" },
                    stderr.trim()
                ));
            } else {
                passed += 1;
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
    let text = |o: &std::process::Output| {
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
    };
    let good = verify("hana@example.com", file.to_str().unwrap());
    assert!(
        good.status.success() && text(&good).starts_with("Verified OK: signed by hana@example.com"),
        "{}",
        text(&good)
    );
    let other = verify("other@example.com", file.to_str().unwrap());
    assert_eq!(other.status.code(), Some(1), "{}", text(&other));
    assert!(
        text(&other).contains("gitsign: verification failed: ") && text(&other).contains("other@example.com"),
        "another identity must be refused for the identity: {}",
        text(&other)
    );
    let wrong = format!("sha256:{}", "00".repeat(32));
    let changed = verify("hana@example.com", &wrong);
    assert_eq!(changed.status.code(), Some(1), "{}", text(&changed));
    assert!(
        text(&changed).contains("the bundle's message digest is not the artifact's"),
        "another digest must be refused for the digest: {}",
        text(&changed)
    );

    // An independent verifier: sigstore-python, offline, with the devstack's trust config.
    let Some(cli) = sigstore_python_cli() else { return };
    let python = |identity: &str, target: &Path| {
        let out = Command::new(&cli)
            .env("HOME", work.path())
            // Wide enough that its messages are not wrapped.
            .env("COLUMNS", "1000")
            .arg("--trust-config")
            .arg(stack.dir.path().join("trust_config.json"))
            .args(["verify", "identity", "--offline", "--cert-identity", identity, "--cert-oidc-issuer", &urls.issuer])
            .arg("--bundle")
            .arg(&bundle)
            .arg(target)
            .output()
            .unwrap();
        (out.status.success(), text(&out))
    };
    let (ok, said) = python("hana@example.com", &file);
    assert!(ok && said.contains("OK:"), "sigstore-python refuses our bundle: {said}");
    let (ok, said) = python("other@example.com", &file);
    assert!(!ok && said.contains("Certificate's SANs do not match other@example.com"), "{said}");
    let changed_file = work.path().join("changed.txt");
    std::fs::write(&changed_file, b"signed through the conformance adapter!\n").unwrap();
    let (ok, said) = python("hana@example.com", &changed_file);
    assert!(!ok && said.contains("Bundle message digest mismatch"), "{said}");
}
