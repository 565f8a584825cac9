//! Rekor against its clients: entries validated and logged, proofs and signatures that verify
//! with the keys of the trusted root, search, refusals, and a log that survives restarts.

use crate::common::*;
use gitsign_protocol::checkpoint::SignedCheckpoint;
use gitsign_protocol::merkle::{self, Hash};
use gitsign_protocol::rekor::{ConsistencyProof, LogEntries, LogEntry, LogInfo, set_payload};
use gitsign_protocol::unb64;

fn h(s: &str) -> Hash {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// Every check a verifier makes on a returned entry.
fn verify_entry(dir: &std::path::Path, entry: &LogEntry) {
    let key = rekor_key(dir);
    assert_eq!(entry.log_id, hex::encode(key.key_id()));
    let v = entry.verification.as_ref().unwrap();
    let set = unb64(v.signed_entry_timestamp.as_ref().unwrap()).unwrap();
    key.verify(&set_payload(&unb64(&entry.body).unwrap(), entry.integrated_time, &entry.log_id, entry.log_index), &set)
        .unwrap();
    let proof = v.inclusion_proof.as_ref().unwrap();
    let leaf = merkle::leaf_hash(&unb64(&entry.body).unwrap());
    let hashes: Vec<Hash> = proof.hashes.iter().map(|x| h(x)).collect();
    merkle::verify_inclusion(proof.log_index, proof.tree_size, &leaf, &hashes, &h(&proof.root_hash)).unwrap();
    let cp = SignedCheckpoint::parse(&proof.checkpoint).unwrap();
    cp.verify(&rekor_name(dir), &key).unwrap();
    assert_eq!(cp.checkpoint.size, proof.tree_size);
    assert_eq!(cp.checkpoint.root, h(&proof.root_hash));
}

fn only(entries: LogEntries) -> (String, LogEntry) {
    assert_eq!(entries.len(), 1);
    entries.into_iter().next().unwrap()
}

#[test]
fn logs_verifiable_entries_and_keeps_them_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let key = ec_key();
    let (uuids, info_before) = {
        let running = start(dir.path());
        let chain = cert_for(&running, "alice@example.com", &key);
        let mut uuids = Vec::new();
        let mut bodies = Vec::new();
        for i in 0..5u8 {
            bodies.push(hashedrekord(&[i; 10], &key, &chain[0]));
            let resp = post_entry(&running, &bodies[i as usize]);
            assert_eq!(resp.status(), 201);
            assert!(resp.headers().get("location").is_some());
            let (uuid, entry) = only(resp.json().unwrap());
            assert_eq!(entry.log_index, i as u64);
            verify_entry(dir.path(), &entry);
            uuids.push(uuid);
        }
        // The same entry again answers 409 naming the existing entry.
        let resp = post_entry(&running, &bodies[2]);
        assert_eq!(resp.status(), 409);
        assert_eq!(resp.headers()["location"].to_str().unwrap(), format!("/api/v1/log/entries/{}", uuids[2]));
        let err: serde_json::Value = resp.json().unwrap();
        assert_eq!(err["code"], 409);

        // Lookups.
        let c = client();
        let base = &running.urls().rekor;
        let (u, e) = only(c.get(format!("{base}/api/v1/log/entries?logIndex=3")).send().unwrap().json().unwrap());
        assert_eq!(u, uuids[3]);
        verify_entry(dir.path(), &e);
        let (u, _) = only(c.get(format!("{base}/api/v1/log/entries/{}", uuids[1])).send().unwrap().json().unwrap());
        assert_eq!(u, uuids[1]);
        assert_eq!(c.get(format!("{base}/api/v1/log/entries/{}", "0".repeat(64))).send().unwrap().status(), 404);
        assert_eq!(c.get(format!("{base}/api/v1/log/entries?logIndex=99")).send().unwrap().status(), 404);
        let got: Vec<LogEntries> = c
            .post(format!("{base}/api/v1/log/entries/retrieve"))
            .json(&serde_json::json!({"logIndexes": [0, 4], "entryUUIDs": [uuids[2]]}))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(got.len(), 3);

        // Search by email, hash and public key.
        let search = |q: serde_json::Value| -> Vec<String> {
            c.post(format!("{base}/api/v1/index/retrieve")).json(&q).send().unwrap().json().unwrap()
        };
        assert_eq!(search(serde_json::json!({"email": "Alice@example.com"})).len(), 5);
        let digest = hex::encode(gitsign_protocol::sha256(&[4; 10]));
        assert_eq!(search(serde_json::json!({"hash": format!("sha256:{digest}")})), vec![uuids[4].clone()]);
        let pk = gitsign_protocol::b64(&chain[0]);
        assert_eq!(
            search(serde_json::json!({"publicKey": {"format": "x509", "content": pk}, "hash": digest})),
            vec![uuids[4].clone()]
        );
        assert!(search(serde_json::json!({"email": "nobody@example.com"})).is_empty());

        let info: LogInfo = c.get(format!("{base}/api/v1/log")).send().unwrap().json().unwrap();
        assert_eq!(info.tree_size, 5);
        SignedCheckpoint::parse(&info.signed_tree_head)
            .unwrap()
            .verify(&rekor_name(dir.path()), &rekor_key(dir.path()))
            .unwrap();
        let pem = c.get(format!("{base}/api/v1/log/publicKey")).send().unwrap().text().unwrap();
        assert_eq!(pem, rekor_key(dir.path()).to_pem());
        running.stop().unwrap();
        (uuids, info)
    };

    // Restart: same key, same tree; old entries still verify and the tree grows on.
    let running = start(dir.path());
    let c = client();
    let base = running.urls().rekor.clone();
    let info: LogInfo = c.get(format!("{base}/api/v1/log")).send().unwrap().json().unwrap();
    assert_eq!((info.tree_size, &info.root_hash), (5, &info_before.root_hash));
    let chain = cert_for(&running, "alice@example.com", &key);
    let (_, entry) = only(post_entry(&running, &hashedrekord(b"after restart", &key, &chain[0])).json().unwrap());
    assert_eq!(entry.log_index, 5);
    verify_entry(dir.path(), &entry);
    let (_, old) = only(c.get(format!("{base}/api/v1/log/entries/{}", uuids[0])).send().unwrap().json().unwrap());
    verify_entry(dir.path(), &old);
    assert_eq!(old.verification.unwrap().inclusion_proof.unwrap().tree_size, 6);
    let proof: ConsistencyProof =
        c.get(format!("{base}/api/v1/log/proof?firstSize=5&lastSize=6")).send().unwrap().json().unwrap();
    let hashes: Vec<Hash> = proof.hashes.iter().map(|x| h(x)).collect();
    merkle::verify_consistency(5, 6, &h(&info_before.root_hash), &h(&proof.root_hash), &hashes).unwrap();
    assert_eq!(c.get(format!("{base}/api/v1/log/proof?firstSize=7&lastSize=6")).send().unwrap().status(), 400);
}

/// The log signs as Rekor v1 does, under the host:port of its URL in the trusted root, with
/// origin "<name> - <tree ID>"; the name is fixed for the log's life, so a restart serves it at
/// the same address or not at all.
#[test]
fn checkpoints_are_named_after_the_log_url_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let addr = running.urls().rekor.strip_prefix("http://").unwrap().to_string();
    assert_eq!(rekor_name(dir.path()), addr);
    let info: LogInfo = client().get(format!("{}/api/v1/log", running.urls().rekor)).send().unwrap().json().unwrap();
    let cp = SignedCheckpoint::parse(&info.signed_tree_head).unwrap();
    assert_eq!(cp.checkpoint.origin, format!("{addr} - {}", info.tree_id));
    assert_eq!(cp.signatures.len(), 1);
    assert_eq!(cp.signatures[0].name, addr);
    assert_eq!(cp.signatures[0].key_hint, rekor_key(dir.path()).key_hint());
    cp.verify(&addr, &rekor_key(dir.path())).unwrap();
    running.stop().unwrap();

    // Another address for the same log is refused, naming the log and what to do.
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut options = gitsign_devstack::Options::new(dir.path().to_path_buf());
    options.listen = Some(other);
    let err = gitsign_devstack::Running::start(options).unwrap_err().to_string();
    assert!(err.contains(&format!("the log of this state directory is named {addr}")), "{err}");
    assert!(err.contains(&format!("{other} was asked for")), "{err}");
    // Its port taken by someone else: refused too, rather than renamed.
    let squatter = std::net::TcpListener::bind(&addr).unwrap();
    let err = gitsign_devstack::Running::start(gitsign_devstack::Options::new(dir.path().to_path_buf()))
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("served only at http://{addr}")), "{err}");
    assert!(err.contains("stop what listens on port"), "{err}");
    drop(squatter);
    // Free again: the same log, the same name.
    let running = start(dir.path());
    assert_eq!(running.urls().rekor, format!("http://{addr}"));
    let info: LogInfo = client().get(format!("{}/api/v1/log", running.urls().rekor)).send().unwrap().json().unwrap();
    SignedCheckpoint::parse(&info.signed_tree_head).unwrap().verify(&addr, &rekor_key(dir.path())).unwrap();
}

#[test]
fn refuses_bad_entries_with_rekor_errors() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let key = ec_key();
    let chain = cert_for(&running, "alice@example.com", &key);
    let check = |body: &str, needle: &str| {
        let resp = client()
            .post(format!("{}/api/v1/log/entries", running.urls().rekor))
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let err: serde_json::Value = resp.json().unwrap();
        assert_eq!(err["code"], 400);
        let message = err["message"].as_str().unwrap();
        assert!(message.contains(needle), "{message:?} should mention {needle:?}");
    };
    check("{not json", "not JSON");
    check(r#"{"kind":"rekord","apiVersion":"0.0.1","spec":{}}"#, "hashedrekord");
    // Signature over other data.
    let mut entry = hashedrekord(b"one", &key, &chain[0]);
    entry["spec"]["data"]["hash"]["value"] = hex::encode(gitsign_protocol::sha256(b"two")).into();
    check(&entry.to_string(), "does not verify");
    // Signed by another key than the certificate's.
    let entry = hashedrekord(b"one", &ec_key(), &chain[0]);
    check(&entry.to_string(), "does not verify");
    let mut entry = hashedrekord(b"one", &key, &chain[0]);
    entry["spec"]["data"]["hash"]["algorithm"] = "md5".into();
    check(&entry.to_string(), "sha256");
    let mut entry = hashedrekord(b"one", &key, &chain[0]);
    entry["spec"]["signature"]["publicKey"]["content"] = gitsign_protocol::b64("garbage").into();
    check(&entry.to_string(), "publicKey");
    // Nothing was logged.
    let info: LogInfo = client().get(format!("{}/api/v1/log", running.urls().rekor)).send().unwrap().json().unwrap();
    assert_eq!(info.tree_size, 0);
}
