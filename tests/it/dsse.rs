//! DSSE bundles made against a devstack: a Fulcio certificate from the devstack, an envelope
//! signed with its key, logged as a dsse 0.0.1 entry in the devstack's log (appended to its
//! store with the log's own key, since its Rekor API accepts only hashedrekord) and read back
//! through its Rekor API with the proof and checkpoint the running log serves. Such a bundle is
//! complete and valid; `verify-blob` must still refuse it for a file it does not name.

use crate::common::*;
use gitsign_core::config::{Config, Env};
use gitsign_protocol::{b64, sha256};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const IN_TOTO: &str = "application/vnd.in-toto+json";

/// A bundle with a DSSE envelope of `payload_type` over `payload`, signed by a devstack
/// certificate for `email` and logged in the devstack's log.
fn dsse_bundle(stack: &Stack, email: &str, payload_type: &str, payload: &[u8]) -> Value {
    use p256::ecdsa::signature::Signer as _;
    let urls = stack.running.urls();
    let env: Env = [
        ("SIGSTORE_ID_TOKEN", stack.token(email)),
        ("GITSIGN_FULCIO_URL", urls.fulcio.clone()),
        ("GITSIGN_REKOR_URL", urls.rekor.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = Config::resolve(&Default::default(), &env).unwrap();
    let http = gitsign_core::net::Http::new(Duration::from_secs(30)).unwrap();
    let mut ui = gitsign::ui::Ui::to(Box::new(std::io::sink()));
    let credential = gitsign::credential::obtain_credential(&config, &env, &http, &mut ui).unwrap();
    let leaf = credential.chain[0].clone();
    let pae = [format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).as_bytes(), payload].concat();
    let sig: p256::ecdsa::DerSignature = credential.key().sign(&pae);
    let cert_pem = gitsign_protocol::keys::pem_encode("CERTIFICATE", &leaf);
    let envelope =
        json!({"payload": b64(payload), "payloadType": payload_type, "signatures": [{"sig": b64(sig.as_bytes())}]});
    // The dsse 0.0.1 body as Rekor writes it (keys sorted: serde_json's map is ordered).
    let body = serde_json::to_vec(&json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": hex::encode(sha256(&serde_json::to_vec(&envelope).unwrap()))},
            "payloadHash": {"algorithm": "sha256", "value": hex::encode(sha256(payload))},
            "signatures": [{"signature": b64(sig.as_bytes()), "verifier": b64(cert_pem.as_bytes())}],
        },
    }))
    .unwrap();
    let index = append_to_log(stack.dir.path(), &body);
    let url = format!("{}/api/v1/log/entries?logIndex={index}", urls.rekor);
    let entries: std::collections::BTreeMap<String, gitsign_protocol::rekor::LogEntry> =
        http.client().get(&url).send().unwrap().error_for_status().unwrap().json().unwrap();
    let logged = entries.into_values().next().unwrap();
    assert_eq!(gitsign_protocol::unb64(&logged.body).unwrap(), body, "the log serves the body appended");
    let tlog = gitsign_core::tlog::TransparencyLogEntry::from_rekor(&logged, "dsse", "0.0.1").unwrap();
    let mut bundle = gitsign_core::bundle::message_signature(&leaf, &[0; 32], &[], &tlog, &body);
    let b = bundle.as_object_mut().unwrap();
    b.remove("messageSignature");
    b.insert("dsseEnvelope".into(), envelope);
    bundle
}

/// Appends `body` to the devstack's log as its Rekor would (signed entry timestamp with the log's
/// key); returns the log index.
fn append_to_log(dir: &Path, body: &[u8]) -> u64 {
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
    use gitsign_devstack::store::{AppendError, Appended, NewEntry, Store};
    let mut store = Store::open(&gitsign_devstack::state::db_path(dir)).unwrap();
    let pkcs8 = store.meta("key.rekor").unwrap().expect("the devstack's log key");
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8).unwrap();
    // The log ID is the SHA-256 of the key's SubjectPublicKeyInfo: P-256's fixed prefix and the point.
    let spki = [
        hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap(),
        key.public_key().as_ref().to_vec(),
    ]
    .concat();
    let log_id_hex = hex::encode(sha256(&spki));
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let entry = NewEntry { body: body.to_vec(), integrated_time: now, search_keys: vec![] };
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let out = store
        .append(std::slice::from_ref(&entry), |index, e| {
            let payload = gitsign_protocol::rekor::set_payload(&e.body, e.integrated_time, &log_id_hex, index);
            key.sign(&rng, &payload).map(|s| s.as_ref().to_vec())
        })
        .map_err(|e| match e {
            AppendError::Store(s) => s.to_string(),
            AppendError::Sign(_) => "signing".to_string(),
        })
        .unwrap();
    let [Appended::New(index)] = out.as_slice() else { panic!("not appended: {out:?}") };
    *index
}

/// sigstore-python's verdict (`sigstore verify identity --offline`, the devstack's trust config),
/// or `None` when it is not installed (outside CI).
fn sigstore_python(stack: &Stack, bundle: &Value, email: &str, file: &Path) -> Option<(bool, String)> {
    let cli = sigstore_python_cli()?;
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("b.sigstore.json");
    std::fs::write(&path, serde_json::to_vec(bundle).unwrap()).unwrap();
    let out = Command::new(cli)
        .env("HOME", work.path())
        .env("COLUMNS", "1000")
        .arg("--trust-config")
        .arg(stack.dir.path().join("trust_config.json"))
        .args(["verify", "identity", "--offline", "--cert-identity", email])
        .args(["--cert-oidc-issuer", &stack.running.urls().issuer, "--bundle"])
        .arg(&path)
        .arg(file)
        .output()
        .unwrap();
    Some((
        out.status.success(),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    ))
}

fn verify_blob(stack: &Stack, bundle: &Value, email: &str, file: &Path) -> (bool, String, String) {
    let work = tempfile::tempdir().unwrap();
    let path = work.path().join("b.sigstore.json");
    std::fs::write(&path, serde_json::to_vec(bundle).unwrap()).unwrap();
    let out = Command::new(GITSIGN)
        .env_remove("GITSIGN_TRUSTED_ROOT")
        .env_remove("SIGSTORE_TRUSTED_ROOT")
        .arg("verify-blob")
        .arg("--bundle")
        .arg(&path)
        .args(["--certificate-identity", email, "--certificate-oidc-issuer", &stack.running.urls().issuer])
        .arg("--trusted-root")
        .arg(stack.trusted_root())
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_dsse_bundle_binds_the_artifact_only_through_an_in_toto_subject() {
    let stack = Stack::start();
    let work = tempfile::tempdir().unwrap();
    let artifact = work.path().join("release.tar");
    std::fs::write(&artifact, b"the artifact the statement names\n").unwrap();
    let unrelated = work.path().join("unrelated.txt");
    std::fs::write(&unrelated, b"a file no one signed\n").unwrap();
    let email = "dana@example.com";
    let statement = serde_json::to_vec(&json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {"name": "other", "digest": {"sha512": "00"}},
            {"name": "release.tar", "digest": {"sha256": hex::encode(sha256(&std::fs::read(&artifact).unwrap()))}},
        ],
        "predicateType": "https://example.com/test/v1",
        "predicate": {},
    }))
    .unwrap();

    // The control: the same construction with an in-toto statement naming the artifact verifies,
    // so the refusals below are for the reason they give, not for a broken bundle.
    let good = dsse_bundle(&stack, email, IN_TOTO, &statement);
    let (ok, stdout, stderr) = verify_blob(&stack, &good, email, &artifact);
    assert!(ok && stdout.starts_with("Verified OK"), "{stdout}{stderr}");
    let (ok, _, stderr) = verify_blob(&stack, &good, email, &unrelated);
    assert!(!ok && stderr.contains("no subject of the in-toto statement has the artifact's"), "{stderr}");

    // sigstore-python agrees on both, so the construction is a genuine DSSE bundle.
    if let Some((ok, said)) = sigstore_python(&stack, &good, email, &artifact) {
        assert!(ok, "sigstore-python refuses the control bundle: {said}");
        let (ok, said) = sigstore_python(&stack, &good, email, &unrelated).unwrap();
        assert!(!ok && said.contains("in-toto statement has no subject for digest"), "{said}");
        let plain = dsse_bundle(&stack, email, "text/plain", b"hello, world\n");
        let (ok, said) = sigstore_python(&stack, &plain, email, &unrelated).unwrap();
        assert!(!ok && said.contains("expected JSON payload for DSSE, got text/plain"), "{said}");
    }

    // Valid in every part (chain, SCT, SET, inclusion proof, checkpoint), but the payload names no
    // file: refused for any file, with the payload type named as the reason.
    for payload_type in ["text/plain", "application/vnd.in-toto+json; charset=utf-8"] {
        let payload: &[u8] = if payload_type == "text/plain" { b"hello, world\n" } else { &statement };
        let bundle = dsse_bundle(&stack, email, payload_type, payload);
        for file in [&unrelated, &artifact] {
            let (ok, stdout, stderr) = verify_blob(&stack, &bundle, email, file);
            assert!(!ok, "{payload_type} bundle accepted for {}: {stdout}", file.display());
            assert!(
                stderr.contains(&format!("payloadType is {payload_type:?}, not \"{IN_TOTO}\"")),
                "{payload_type}: {stderr}"
            );
        }
    }
}
