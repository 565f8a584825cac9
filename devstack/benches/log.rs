//! Benchmark of the devstack's log: appends per second (group-committed and one durable commit
//! per entry) and proof times at 100,000+ entries, start-up time on that state, and the whole
//! HTTP path of `POST /api/v1/log/entries` (validation, signature check, commit, proof).
//!
//! `cargo bench -p gitsign-devstack --bench log` (`BENCH_ENTRIES=N` to change the size).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gitsign_devstack::store::{NewEntry, Store};
use gitsign_devstack::{Options, Running};
use gitsign_protocol::merkle;
use gitsign_protocol::rekor::{HashedRekord, set_payload};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, SigningKey};
use std::time::Instant;

fn entry(i: u64, cert_pem: &str) -> NewEntry {
    let digest = gitsign_protocol::sha256(&i.to_be_bytes());
    let body = HashedRekord::new(&digest, &[0x30; 71], cert_pem).canonical_json();
    NewEntry {
        body,
        integrated_time: 1_700_000_000 + i as i64,
        search_keys: vec![format!("sha256:{}", hex::encode(digest))],
    }
}

fn main() {
    let n: u64 = std::env::var("BENCH_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let cert_pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", "A".repeat(900));
    let sign = |index: u64, e: &NewEntry| key.sign(&set_payload(&e.body, e.integrated_time, "00", index));
    let mut store = Store::open(&dir.path().join("state.db")).unwrap();

    // Fill in batches of 1,000 (one transaction and one disk sync each).
    let t = Instant::now();
    let batch = 1000;
    let mut i = 0;
    while i < n {
        let entries: Vec<NewEntry> = (i..(i + batch).min(n)).map(|j| entry(j, &cert_pem)).collect();
        store.append(&entries, sign).unwrap();
        i += batch;
    }
    let fill = t.elapsed();
    println!(
        "group-committed appends (1,000 per commit): {n} entries in {fill:.2?} = {:.0} appends/s",
        n as f64 / fill.as_secs_f64()
    );

    // Durable appends, one commit (and fsync) each, at this size.
    let single = 300u64;
    let t = Instant::now();
    for j in 0..single {
        store.append(&[entry(n + j, &cert_pem)], sign).unwrap();
    }
    let d = t.elapsed();
    let size = n + single;
    println!(
        "durable appends (one commit each) at {size} entries: {single} in {d:.2?} = {:.0} appends/s, {:.2?} each",
        single as f64 / d.as_secs_f64(),
        d / single as u32
    );

    // Proofs at this size.
    let samples = 2000u64;
    let root = store.root(size).unwrap();
    let t = Instant::now();
    for s in 0..samples {
        let index = (s * 7919) % size;
        let proof = store.inclusion_proof(index, size).unwrap();
        std::hint::black_box(proof);
    }
    let incl = t.elapsed() / samples as u32;
    let index = 12_345 % size;
    let proof = store.inclusion_proof(index, size).unwrap();
    merkle::verify_inclusion(index, size, &merkle::leaf_hash(&entry(index, &cert_pem).body), &proof, &root).unwrap();
    let t = Instant::now();
    for s in 0..samples {
        let first = 1 + (s * 7919) % (size - 1);
        std::hint::black_box(store.consistency_proof(first, size).unwrap());
    }
    let cons = t.elapsed() / samples as u32;
    let t = Instant::now();
    for _ in 0..samples {
        std::hint::black_box(store.root(size).unwrap());
    }
    let rooting = t.elapsed() / samples as u32;
    println!(
        "at {size} entries: inclusion proof {incl:.2?}, consistency proof {cons:.2?}, root hash {rooting:.2?} (mean of {samples})"
    );
    drop(store);

    // Start-up on the same state, and the HTTP path.
    let state = tempfile::tempdir().unwrap();
    std::fs::copy(dir.path().join("state.db"), state.path().join("state.db")).unwrap();
    let t = Instant::now();
    let running = Running::start(Options::new(state.path().to_path_buf()));
    // A copied database has no keys yet: the first start makes them (including an RSA key).
    let running = running.unwrap();
    println!("first start on a {size}-entry log (makes keys): {:.2?}", t.elapsed());
    running.stop().unwrap();
    let t = Instant::now();
    let running = Running::start(Options::new(state.path().to_path_buf())).unwrap();
    println!("restart on a {size}-entry log: {:.2?}", t.elapsed());

    let client = reqwest::blocking::Client::new();
    let base = running.urls().base.clone();
    let issuer = gitsign_devstack::state::load_issuer(state.path()).unwrap();
    let token = issuer
        .mint(
            &gitsign_devstack::oidc::Subject::Email("bench@example.com".into()),
            None,
            std::time::Duration::from_secs(600),
        )
        .unwrap();
    let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let body = serde_json::json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {"publicKey": {"content": gitsign_protocol::keys::pem_encode("PUBLIC KEY", &rcgen::PublicKeyData::subject_public_key_info(&leaf_key))},
                             "proofOfPossession": gitsign_protocol::b64(leaf_key.sign(b"bench@example.com").unwrap())}
    });
    let t = Instant::now();
    let v: serde_json::Value =
        client.post(format!("{base}/api/v2/signingCert")).json(&body).send().unwrap().json().unwrap();
    println!("one Fulcio certificate over HTTP: {:.2?}", t.elapsed());
    let cert = v["signedCertificateEmbeddedSct"]["chain"]["certificates"][0].as_str().unwrap().to_string();
    let posts = 200u32;
    let bodies: Vec<serde_json::Value> = (0..posts)
        .map(|k| {
            let artifact = format!("artifact {k}");
            let sig = leaf_key.sign(artifact.as_bytes()).unwrap();
            serde_json::to_value(HashedRekord::new(&gitsign_protocol::sha256(artifact.as_bytes()), &sig, &cert))
                .unwrap()
        })
        .collect();
    let t = Instant::now();
    for b in &bodies {
        assert_eq!(client.post(format!("{base}/api/v1/log/entries")).json(b).send().unwrap().status(), 201);
    }
    let d = t.elapsed();
    println!(
        "POST /api/v1/log/entries at {size}+ entries, sequential: {posts} in {d:.2?} = {:.0}/s, {:.2?} each",
        posts as f64 / d.as_secs_f64(),
        d / posts
    );
    running.stop().unwrap();
}
