//! Rekor v2 and RFC 3161 timestamps under real git against the devstack: commits signed with
//! Rekor v1, v1 + a timestamp authority, and Rekor v2 + a timestamp authority verify under
//! `git verify-commit` and `gitsign verify`; the CMS carries the v2 entry in the gitsign
//! attribute and the token as the signer's id-aa-timeStampToken, which `openssl ts -verify`
//! accepts against the devstack's TSA chain. Tampered signatures are refused, each with its reason.

use crate::common::*;
use gitsign_core::signature::{self, Parsed};
use gitsign_core::tlog::TransparencyLogEntry;
use gitsign_core::verify::{self, Policy, TrustRoot, VerifyError};
use prost::Message as _;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
enum Mode {
    V1,
    V1Tsa,
    V2Tsa,
}

/// A repository signing against `stack` in `mode`.
fn repo(stack: &Stack, mode: Mode) -> Repo {
    let mut repo = Repo::new(stack, "ann@example.com");
    let urls = stack.running.urls();
    match mode {
        Mode::V1 => {}
        Mode::V1Tsa => repo.set_env("GITSIGN_TIMESTAMP_SERVER_URL", &urls.tsa),
        Mode::V2Tsa => {
            repo.set_env("GITSIGN_TIMESTAMP_SERVER_URL", &urls.tsa);
            repo.set_env("GITSIGN_REKOR_URL", &urls.rekor_v2);
            repo.ok(&["config", "gitsign.rekorVersion", "2"]);
            repo.ok(&["config", "gitsign.enableSigstoreGo", "true"]);
        }
    }
    repo
}

/// Commits (signed) and returns the time `git commit -S` took.
fn commit(repo: &Repo, n: usize) -> Duration {
    repo.stage("a.txt", &format!("{n}\n"));
    let started = Instant::now();
    repo.ok(&["commit", "-S", "-q", "-m", &format!("commit {n}")]);
    started.elapsed()
}

/// HEAD's payload and parsed signature (and its DER).
fn head(repo: &Repo) -> (String, Parsed, Vec<u8>) {
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    let (payload, armored) = split_commit(&raw);
    let der = signature::dearmor(armored.as_bytes()).unwrap();
    (payload, signature::parse(&der).unwrap(), der)
}

fn trust(stack: &Stack) -> TrustRoot {
    TrustRoot::from_json(&std::fs::read(stack.trusted_root()).unwrap(), "devstack").unwrap()
}

fn entry(parsed: &Parsed) -> TransparencyLogEntry {
    TransparencyLogEntry::decode(parsed.tlog_entry.as_deref().unwrap()).unwrap()
}

fn verified(repo: &Repo) {
    let out = repo.git(&["verify-commit", "--raw", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("[GNUPG:] GOODSIG "), "{stderr}");
    let out = repo.verifier("ann@example.com", &["verify", "HEAD"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The TSA chain (signing certificate, root) from the devstack, as PEM files in `dir`.
fn tsa_chain(stack: &Stack, dir: &std::path::Path) {
    let url = format!("{}/certchain", stack.running.urls().tsa);
    let chain = reqwest::blocking::Client::new().get(url).send().unwrap().text().unwrap();
    let blocks: Vec<&str> = chain.split_inclusive("-----END CERTIFICATE-----\n").collect();
    std::fs::write(dir.join("leaf.pem"), blocks[0]).unwrap();
    std::fs::write(dir.join("root.pem"), blocks[1]).unwrap();
}

#[test]
fn commits_sign_and_verify_with_v1_v1_tsa_and_v2_tsa() {
    let stack = Stack::start();
    let mut latency = Vec::new();
    for mode in [Mode::V1, Mode::V1Tsa, Mode::V2Tsa] {
        let repo = repo(&stack, mode);
        let times: Vec<Duration> = (0..3).map(|n| commit(&repo, n)).collect();
        latency.push(format!("{mode:?}: {:?}", times));
        verified(&repo);
        let (_, parsed, _) = head(&repo);
        let e = entry(&parsed);
        let kv = e.kind_version.clone().unwrap();
        match mode {
            Mode::V1 => {
                assert!(parsed.timestamps.is_empty());
                assert_eq!((kv.kind.as_str(), kv.version.as_str()), ("hashedrekord", "0.0.1"));
            }
            Mode::V1Tsa => {
                assert_eq!(parsed.timestamps.len(), 1);
                assert_eq!(kv.version, "0.0.1");
                assert!(e.integrated_time > 0 && e.inclusion_promise.is_some(), "v1 keeps its integrated time");
            }
            Mode::V2Tsa => {
                assert_eq!(parsed.timestamps.len(), 1);
                assert_eq!((kv.kind.as_str(), kv.version.as_str()), ("hashedrekord", "0.0.2"));
                assert!(e.integrated_time == 0 && e.inclusion_promise.is_none(), "Rekor v2 gives no time");
                assert!(!e.canonicalized_body.is_empty());
            }
        }
        if !parsed.timestamps.is_empty() {
            // OpenSSL accepts the token over the signature value against the devstack's chain.
            let work = tempfile::tempdir().unwrap();
            let w = work.path();
            tsa_chain(&stack, w);
            std::fs::write(w.join("token.der"), &parsed.timestamps[0]).unwrap();
            std::fs::write(w.join("sig.bin"), &parsed.signature).unwrap();
            std::fs::write(w.join("other.bin"), b"other bytes").unwrap();
            let run = |data: &str| {
                std::process::Command::new("openssl")
                    .args(["ts", "-verify", "-token_in", "-in", "token.der", "-data", data])
                    .args(["-CAfile", "root.pem", "-untrusted", "leaf.pem"])
                    .current_dir(w)
                    .output()
            };
            match run("sig.bin") {
                Err(e) => skip::skip(&format!("openssl cannot run ({e})")),
                Ok(ok) => {
                    let text =
                        format!("{}{}", String::from_utf8_lossy(&ok.stdout), String::from_utf8_lossy(&ok.stderr));
                    assert!(ok.status.success() && text.contains("Verification: OK"), "{text}");
                    let bad = run("other.bin").unwrap();
                    let text = String::from_utf8_lossy(&bad.stderr);
                    assert!(!bad.status.success() && text.contains("message imprint mismatch"), "{text}");
                }
            }
        }
    }
    eprintln!("signing latency per mode (3 commits each, loopback devstack): {}", latency.join("; "));
}

#[test]
fn v2_without_a_timestamp_authority_is_refused_when_signing() {
    let stack = Stack::start();
    let mut repo = repo(&stack, Mode::V2Tsa);
    repo.unset_env("GITSIGN_TIMESTAMP_SERVER_URL");
    repo.stage("a.txt", "x\n");
    let out = repo.git(&["commit", "-S", "-q", "-m", "no tsa"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("Rekor v2 gives no integrated time, so the signature needs a timestamp"), "{stderr}");
}

/// Verifies `der` over `payload` in-process, expecting a refusal whose text holds `reason`.
fn refused(trust: &TrustRoot, payload: &str, der: &[u8], reason: &str) -> VerifyError {
    let parsed = signature::parse(der).unwrap();
    let err = verify::verify(trust, payload.as_bytes(), &parsed, &Policy::default())
        .expect_err(&format!("accepted what must be refused for {reason:?}"));
    assert!(err.to_string().contains(reason), "wanted {reason:?}, got: {err}");
    err
}

#[test]
fn tampered_timestamps_and_v2_entries_are_refused_with_their_reason() {
    let stack = Stack::start();
    let trust = trust(&stack);
    let repo = repo(&stack, Mode::V2Tsa);
    commit(&repo, 1);
    let (payload1, first, der1) = head(&repo);
    commit(&repo, 2);
    let (_, second, _) = head(&repo);
    // The untouched signature verifies.
    verify::verify(&trust, payload1.as_bytes(), &first, &Policy::default()).unwrap();
    let tlog = first.tlog_entry.clone().unwrap();
    let token = first.timestamps[0].clone();

    // No timestamp: a v2 entry has no time of its own.
    let der = signature::with_unsigned(&der1, Some(&tlog), None).unwrap();
    refused(
        &trust,
        &payload1,
        &der,
        "the Rekor v2 entry has no integrated time and the signature carries no timestamp",
    );

    // A token over other bytes (the second commit's signature).
    let der = signature::with_unsigned(&der1, Some(&tlog), Some(&second.timestamps[0])).unwrap();
    refused(&trust, &payload1, &der, "the timestamp is over another signature");

    // A token from a timestamp authority the trust root does not hold (another devstack's),
    // over the right signature.
    let other = Stack::start();
    let http = gitsign_core::net::Http::new(Duration::from_secs(30)).unwrap();
    let foreign = http.timestamp(&other.running.urls().tsa, &first.signature).unwrap();
    let der = signature::with_unsigned(&der1, Some(&tlog), Some(&foreign)).unwrap();
    refused(&trust, &payload1, &der, "the token embeds a certificate that is not the trusted timestamp authority's");

    // The proof of the first entry under the checkpoint of the second: the checkpoint verifies,
    // but signs another tree than the proof's.
    let mut e = entry(&first);
    let later = entry(&second).inclusion_proof.unwrap().checkpoint;
    e.inclusion_proof.as_mut().unwrap().checkpoint = later;
    let der = signature::with_unsigned(&der1, Some(&e.encode_to_vec()), Some(&token)).unwrap();
    refused(&trust, &payload1, &der, "the proof is for");

    // A checkpoint signed by another key under the log's name and key hint.
    let mut e = entry(&first);
    let envelope = e.inclusion_proof.as_ref().unwrap().checkpoint.as_ref().unwrap().envelope.clone();
    let mut cp = gitsign_protocol::checkpoint::SignedCheckpoint::parse(&envelope).unwrap();
    let mallory = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    cp.signatures[0].signature = rcgen::SigningKey::sign(&mallory, cp.checkpoint.to_note().as_bytes()).unwrap();
    e.inclusion_proof.as_mut().unwrap().checkpoint.as_mut().unwrap().envelope = cp.to_text();
    let der = signature::with_unsigned(&der1, Some(&e.encode_to_vec()), Some(&token)).unwrap();
    refused(&trust, &payload1, &der, "the checkpoint of log index 0: checkpoint signature:");

    // An entry body over another signature value.
    let mut e = entry(&first);
    let mut body: serde_json::Value = serde_json::from_slice(&e.canonicalized_body).unwrap();
    body["spec"]["hashedRekordV002"]["signature"]["content"] =
        serde_json::json!(gitsign_protocol::b64(&second.signature));
    e.canonicalized_body = serde_json::to_vec(&body).unwrap();
    let der = signature::with_unsigned(&der1, Some(&e.encode_to_vec()), Some(&token)).unwrap();
    refused(&trust, &payload1, &der, "the Rekor v2 entry logs another signature value");
}

#[test]
fn a_certificate_expired_at_the_stamped_time_is_refused() {
    // Certificates that live 5 s: a token taken after that stamps a time the certificate no
    // longer covers.
    let dir = tempfile::tempdir().unwrap();
    let mut options = gitsign_devstack::Options::new(dir.path().to_path_buf());
    options.cert_lifetime = Some(Duration::from_secs(5));
    let running = gitsign_devstack::Running::start(options).unwrap();
    let stack = Stack { dir, running };
    let trust = trust(&stack);
    let repo = repo(&stack, Mode::V2Tsa);
    commit(&repo, 1);
    let (payload, parsed, der) = head(&repo);
    verify::verify(&trust, payload.as_bytes(), &parsed, &Policy::default()).unwrap();
    std::thread::sleep(Duration::from_secs(7));
    let http = gitsign_core::net::Http::new(Duration::from_secs(30)).unwrap();
    let late = http.timestamp(&stack.running.urls().tsa, &parsed.signature).unwrap();
    let der = signature::with_unsigned(&der, parsed.tlog_entry.as_deref(), Some(&late)).unwrap();
    let err = refused(&trust, &payload, &der, "");
    assert!(matches!(err, VerifyError::CertificateExpired { .. }), "{err:?}");
}

#[test]
fn a_timestamp_cert_chain_must_verify_the_new_token() {
    let stack = Stack::start();
    let other = Stack::start();
    let work = tempfile::tempdir().unwrap();
    let chain = |s: &Stack, name: &str| {
        let d = work.path().join(name);
        std::fs::create_dir(&d).unwrap();
        tsa_chain(s, &d);
        let pem = [std::fs::read(d.join("leaf.pem")).unwrap(), std::fs::read(d.join("root.pem")).unwrap()].concat();
        std::fs::write(d.join("chain.pem"), pem).unwrap();
        d.join("chain.pem").display().to_string()
    };
    let (right, wrong) = (chain(&stack, "right"), chain(&other, "wrong"));
    let mut repo = repo(&stack, Mode::V1Tsa);
    repo.set_env("GITSIGN_TIMESTAMP_CERT_CHAIN", &right);
    commit(&repo, 1);
    verified(&repo);
    repo.set_env("GITSIGN_TIMESTAMP_CERT_CHAIN", &wrong);
    repo.stage("a.txt", "wrong chain\n");
    let out = repo.git(&["commit", "-S", "-q", "-m", "wrong chain"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("the timestamp does not verify with gitsign.timestampCertChain"), "{stderr}");
}

fn out_text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// sigstore-python 4.5.1 verifying `bundle` over `file` offline with the devstack's trust config.
fn python_verify(
    cli: &std::path::Path,
    stack: &Stack,
    home: &std::path::Path,
    bundle: &std::path::Path,
    file: &std::path::Path,
) -> std::process::Output {
    std::process::Command::new(cli)
        .env("HOME", home)
        .env("COLUMNS", "200")
        .arg("--trust-config")
        .arg(stack.dir.path().join("trust_config.json"))
        .args(["verify", "identity", "--offline", "--cert-identity", "ann@example.com"])
        .args(["--cert-oidc-issuer", &stack.running.urls().issuer, "--bundle"])
        .arg(bundle)
        .arg(file)
        .output()
        .unwrap()
}

/// sigstore-js verifying `bundle` over `file` against the devstack's trusted root.
fn js_verify(stack: &Stack, bundle: &std::path::Path, file: &std::path::Path) -> Option<std::process::Output> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/sigstore-js");
    let node = std::process::Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !node || !dir.join("node_modules/@sigstore/verify/package.json").exists() {
        skip::skip("sigstore-js or node is not installed (./test.sh installs them)");
        return None;
    }
    Some(
        std::process::Command::new("node")
            .arg(dir.join("verify.mjs"))
            .arg("--bundle")
            .arg(bundle)
            .arg("--trusted-root")
            .arg(stack.trusted_root())
            .args(["--identity", "ann@example.com", "--issuer", &stack.running.urls().issuer])
            .arg(file)
            .output()
            .unwrap(),
    )
}

#[test]
fn v2_bundles_verify_with_gitsign_sigstore_python_and_sigstore_js() {
    let stack = Stack::start();
    let repo = repo(&stack, Mode::V2Tsa);
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let file = w.join("release.tar");
    std::fs::write(&file, b"a release signed into Rekor v2\n").unwrap();
    let changed = w.join("changed.tar");
    std::fs::write(&changed, b"a release signed into Rekor v2!\n").unwrap();
    let bundle = w.join("release.sigstore.json");
    let out = repo.command(GITSIGN).arg("sign-blob").arg("--bundle").arg(&bundle).arg(&file).output().unwrap();
    assert!(out.status.success(), "sign-blob: {}", out_text(&out));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let tle = &json["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(tle["kindVersion"]["version"], "0.0.2", "{json}");
    assert!(tle.get("inclusionPromise").is_none(), "{json}");
    let stamps = json["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"].as_array().unwrap();
    assert_eq!(stamps.len(), 1, "{json}");

    let verify_blob = |f: &std::path::Path| {
        repo.command(GITSIGN)
            .arg("verify-blob")
            .arg("--bundle")
            .arg(&bundle)
            .args(["--certificate-identity", "ann@example.com"])
            .args(["--certificate-oidc-issuer", &stack.running.urls().issuer])
            .arg(f)
            .output()
            .unwrap()
    };
    let out = verify_blob(&file);
    assert!(out.status.success(), "verify-blob: {}", out_text(&out));
    assert!(!verify_blob(&changed).status.success());

    // The commit signature's v2 entry and token, as a bundle over its signed attributes.
    commit(&repo, 1);
    let (_, parsed, _) = head(&repo);
    let e = entry(&parsed);
    let digest = gitsign_protocol::sha256(&parsed.signed_attrs_der);
    let commit_bundle = gitsign_core::bundle::message_signature_with(
        parsed.signer_cert(),
        &digest,
        &parsed.signature,
        &e,
        &e.canonicalized_body,
        &parsed.timestamps,
    );
    let commit_bundle_path = w.join("commit.sigstore.json");
    std::fs::write(&commit_bundle_path, serde_json::to_vec(&commit_bundle).unwrap()).unwrap();
    let attrs = w.join("signed-attributes.der");
    std::fs::write(&attrs, &parsed.signed_attrs_der).unwrap();

    if let Some(cli) = sigstore_python_cli() {
        for (b, f) in [(&bundle, &file), (&commit_bundle_path, &attrs)] {
            let out = python_verify(&cli, &stack, w, b, f);
            assert!(out.status.success(), "sigstore-python refused {}: {}", b.display(), out_text(&out));
        }
        let out = python_verify(&cli, &stack, w, &bundle, &changed);
        assert!(!out.status.success() && out_text(&out).contains("FAIL:"), "{}", out_text(&out));
    }
    for (b, f) in [(&bundle, &file), (&commit_bundle_path, &attrs)] {
        let Some(out) = js_verify(&stack, b, f) else { return };
        assert!(out.status.success(), "sigstore-js refused {}: {}", b.display(), out_text(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "OK ann@example.com");
    }
    let Some(out) = js_verify(&stack, &bundle, &changed) else { return };
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("FAIL SIGNATURE_ERROR"), "{}", out_text(&out));
}

#[test]
fn a_signing_config_picks_rekor_v2_and_the_timestamp_authority() {
    let stack = Stack::start();
    let sc = stack.dir.path().join("signing_config.json");
    // Git: gitsign.signingConfig alone (the URLs and version come from it).
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.unset_env("GITSIGN_REKOR_URL");
    repo.unset_env("GITSIGN_FULCIO_URL");
    repo.set_env("GITSIGN_SIGNING_CONFIG", sc.to_str().unwrap());
    commit(&repo, 1);
    verified(&repo);
    let (_, parsed, _) = head(&repo);
    assert_eq!(entry(&parsed).kind_version.unwrap().version, "0.0.2");
    assert_eq!(parsed.timestamps.len(), 1);

    // sign-blob --signing-config: the same choice.
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("a.txt");
    std::fs::write(&file, b"picked by the signing config\n").unwrap();
    let bundle = work.path().join("a.sigstore.json");
    let blob = Repo::new(&stack, "ann@example.com");
    let out = blob
        .command(GITSIGN)
        .args(["sign-blob", "--signing-config"])
        .arg(&sc)
        .arg("--bundle")
        .arg(&bundle)
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", out_text(&out));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(json["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"], "0.0.2");

    // A signing config whose logs are no longer valid is refused, with its reason.
    let mut old: serde_json::Value = serde_json::from_slice(&std::fs::read(&sc).unwrap()).unwrap();
    for log in old["rekorTlogUrls"].as_array_mut().unwrap() {
        log["validFor"]["end"] = serde_json::json!("2001-01-01T00:00:00Z");
    }
    let expired = work.path().join("expired.json");
    std::fs::write(&expired, serde_json::to_vec(&old).unwrap()).unwrap();
    let out = blob
        .command(GITSIGN)
        .args(["sign-blob", "--signing-config"])
        .arg(&expired)
        .arg("--bundle")
        .arg(work.path().join("b.json"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        out_text(&out).contains("no Rekor (rekorTlogUrls) with API version 1 or 2 is valid now"),
        "{}",
        out_text(&out)
    );
}
