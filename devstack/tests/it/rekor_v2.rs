//! The devstack's Rekor v2 log: its own port and name, the rekor-tiles write API (hashedrekord
//! and DSSE v0.0.2), the answer's inclusion proof against its signed checkpoint (checked with
//! the protocol crate's proof maths and the trusted root's key for the log), the tlog-tiles read
//! API serving the same tree, refusals with their reasons, and a restart keeping the log.

use crate::common::*;
use gitsign_protocol::checkpoint::{SignedCheckpoint, log_name};
use gitsign_protocol::keys::PublicKey;
use gitsign_protocol::merkle::{self, Hash};
use gitsign_protocol::{b64, sha256, unb64};
use rcgen::SigningKey as _;
use serde_json::{Value, json};

fn der_of_pem(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    unb64(&body).unwrap()
}

fn post(url: &str, body: &Value) -> (u16, Value) {
    let resp = client().post(format!("{url}/api/v2/log/entries")).json(body).send().unwrap();
    (resp.status().as_u16(), resp.json().unwrap())
}

/// The trusted root's entry for the log at `url`: (name, key).
fn trusted_log(dir: &std::path::Path, url: &str) -> (String, PublicKey) {
    let root = trusted_root(dir);
    let log = root.tlogs.iter().find(|l| l.base_url == url).expect("the v2 log is in the trusted root");
    let key = PublicKey::from_spki_der(&unb64(&log.public_key.raw_bytes).unwrap()).unwrap();
    assert_eq!(unb64(&log.log_id.key_id).unwrap(), key.key_id());
    (log_name(url).unwrap().to_string(), key)
}

/// Checks a TransparencyLogEntry: v0.0.2 of `kind`, no integrated time or SET, its body's leaf
/// included under the checkpoint, which the trusted key signed under the log's name.
fn check_entry(entry: &Value, kind: &str, name: &str, key: &PublicKey) -> (u64, Vec<u8>) {
    assert_eq!(entry["kindVersion"], json!({"kind": kind, "version": "0.0.2"}));
    assert!(entry.get("inclusionPromise").is_none() && entry.get("integratedTime").is_none(), "{entry}");
    assert_eq!(unb64(entry["logId"]["keyId"].as_str().unwrap()).unwrap(), key.key_id());
    let body = unb64(entry["canonicalizedBody"].as_str().unwrap()).unwrap();
    let proof = &entry["inclusionProof"];
    let index: u64 = proof["logIndex"].as_str().unwrap().parse().unwrap();
    let size: u64 = proof["treeSize"].as_str().unwrap().parse().unwrap();
    let hashes: Vec<Hash> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unb64(h.as_str().unwrap()).unwrap().try_into().unwrap())
        .collect();
    let root: Hash = unb64(proof["rootHash"].as_str().unwrap()).unwrap().try_into().unwrap();
    merkle::verify_inclusion(index, size, &merkle::leaf_hash(&body), &hashes, &root).unwrap();
    let cp = SignedCheckpoint::parse(proof["checkpoint"]["envelope"].as_str().unwrap()).unwrap();
    cp.verify(name, key).unwrap();
    assert_eq!(cp.checkpoint.origin, name, "a Rekor v2 origin is the log's name alone");
    assert_eq!((cp.checkpoint.size, cp.checkpoint.root), (size, root));
    (index, body)
}

#[test]
fn the_v2_log_takes_hashedrekord_and_dsse_entries_and_serves_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let urls = running.urls().clone();
    assert_ne!(urls.rekor_v2, urls.rekor, "the v2 log has a port of its own");
    let (name, log_key) = trusted_log(dir.path(), &urls.rekor_v2);

    let key = ec_key();
    let cert = der_of_pem(&cert_for(&running, "vera@example.com", &key)[0]);
    let artifact = b"logged in Rekor v2";
    let digest = sha256(artifact);
    let sig = key.sign(artifact).unwrap();
    let verifier = json!({"x509Certificate": {"rawBytes": b64(&cert)}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"});
    let request = json!({"hashedRekordRequestV002": {
        "digest": b64(digest), "signature": {"content": b64(&sig), "verifier": verifier},
    }});
    let (status, entry) = post(&urls.rekor_v2, &request);
    assert_eq!(status, 201, "{entry}");
    let (index, body) = check_entry(&entry, "hashedrekord", &name, &log_key);
    assert_eq!(index, 0);
    let body: Value = serde_json::from_slice(&body).unwrap();
    let spec = &body["spec"]["hashedRekordV002"];
    assert_eq!(spec["data"], json!({"algorithm": "SHA2_256", "digest": b64(digest)}));
    assert_eq!(spec["signature"]["content"], b64(&sig));
    assert_eq!(spec["signature"]["verifier"], verifier);

    // DSSE, under the field name rekor-tiles' documentation spells.
    let payload = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
    let pae = gitsign_devstack::rekor_v2::pae("application/vnd.in-toto+json", payload);
    let dsse_sig = key.sign(&pae).unwrap();
    let dsse = json!({"dsseRequestV0_0_2": {
        "envelope": {"payload": b64(payload), "payloadType": "application/vnd.in-toto+json",
                     "signatures": [{"sig": b64(&dsse_sig), "keyid": ""}]},
        "verifiers": [verifier],
    }});
    let (status, entry) = post(&urls.rekor_v2, &dsse);
    assert_eq!(status, 201, "{entry}");
    let (index, body) = check_entry(&entry, "dsse", &name, &log_key);
    assert_eq!(index, 1);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["spec"]["dsseV002"]["payloadHash"]["digest"], b64(sha256(payload)));

    // Refusals, each with its reason.
    let mut forged = request.clone();
    forged["hashedRekordRequestV002"]["digest"] = json!(b64(sha256(b"other bytes")));
    let (status, err) = post(&urls.rekor_v2, &forged);
    assert_eq!(status, 400);
    assert!(err["message"].as_str().unwrap().contains("does not verify over the digest"), "{err}");
    let mut rsa = request.clone();
    rsa["hashedRekordRequestV002"]["signature"]["verifier"]["keyDetails"] = json!("PKIX_RSA_PKCS1V15_2048_SHA256");
    let (status, err) = post(&urls.rekor_v2, &rsa);
    assert_eq!(status, 400);
    assert!(err["message"].as_str().unwrap().contains("is not supported"), "{err}");
    let (status, err) = post(&urls.rekor_v2, &json!({"hashedrekord": {}}));
    assert_eq!(status, 400);
    assert!(err["message"].as_str().unwrap().contains("neither a hashedRekordRequestV002 nor"), "{err}");

    // The read API: the checkpoint, the level-0 tile and the entry bundle are the same tree.
    let get = |path: &str| client().get(format!("{}/{path}", urls.rekor_v2)).send().unwrap();
    let cp = SignedCheckpoint::parse(&get("checkpoint").text().unwrap()).unwrap();
    cp.verify(&name, &log_key).unwrap();
    assert_eq!(cp.checkpoint.size, 2);
    let tile = get("tile/0/000.p/2").bytes().unwrap();
    assert_eq!(tile.len(), 64);
    let bundle = get("tile/entries/000.p/2").bytes().unwrap();
    let mut leaves = Vec::new();
    let mut rest = &bundle[..];
    while !rest.is_empty() {
        let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        leaves.push(merkle::leaf_hash(&rest[2..2 + n]));
        rest = &rest[2 + n..];
    }
    assert_eq!(leaves.concat(), tile.to_vec());
    assert_eq!(merkle::node_hash(&leaves[0], &leaves[1]), cp.checkpoint.root);
    assert_eq!(get("tile/0/000.p/3").status(), 404, "no tile beyond the tree");
    assert_eq!(get("tile/0/000").status(), 404, "no full tile yet");

    // Restarted, the log keeps its port, name, key and entries, and grows on.
    running.stop().unwrap();
    let running = start(dir.path());
    assert_eq!(running.urls().rekor_v2, urls.rekor_v2);
    let cp2 = SignedCheckpoint::parse(&get("checkpoint").text().unwrap()).unwrap();
    cp2.verify(&name, &log_key).unwrap();
    assert_eq!((cp2.checkpoint.size, cp2.checkpoint.root), (2, cp.checkpoint.root));
    let (status, entry) = post(&urls.rekor_v2, &request);
    assert_eq!(status, 201, "{entry}");
    assert_eq!(check_entry(&entry, "hashedrekord", &name, &log_key).0, 2);
}

#[test]
fn the_signing_config_lists_both_logs_and_the_tsa() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let urls = running.urls();
    let sc: Value = serde_json::from_slice(&std::fs::read(dir.path().join("signing_config.json")).unwrap()).unwrap();
    assert_eq!(sc["mediaType"], "application/vnd.dev.sigstore.signingconfig.v0.2+json");
    let logs: Vec<(String, u64)> = sc["rekorTlogUrls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["url"].as_str().unwrap().to_string(), s["majorApiVersion"].as_u64().unwrap()))
        .collect();
    assert_eq!(logs, vec![(urls.rekor_v2.clone(), 2), (urls.rekor.clone(), 1)]);
    assert_eq!(sc["tsaUrls"][0]["url"], urls.tsa);
    let tc: Value = serde_json::from_slice(&std::fs::read(dir.path().join("trust_config.json")).unwrap()).unwrap();
    assert_eq!(tc["signingConfig"], sc);
    let env = std::fs::read_to_string(dir.path().join("env.sh")).unwrap();
    assert!(env.contains(&format!("export GITSIGN_TIMESTAMP_SERVER_URL='{}'", urls.tsa)), "{env}");
}
