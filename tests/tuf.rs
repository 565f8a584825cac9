//! `gitsign initialize` against a TUF repository served on loopback: a rotated root, then
//! timestamp, snapshot and targets, and the trusted root they name — which verification then
//! uses. Tampered, expired and wrongly signed metadata are refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use p256::ecdsa::{DerSignature, SigningKey, signature::Signer as _};
use p256::pkcs8::EncodePublicKey as _;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

struct Key {
    id: String,
    public: Value,
    secret: SigningKey,
}

fn key() -> Key {
    let secret = SigningKey::random(&mut rand_core::OsRng);
    let pem = secret.verifying_key().to_public_key_pem(p256::pkcs8::LineEnding::LF).unwrap();
    let public = json!({"keytype": "ecdsa", "scheme": "ecdsa-sha2-nistp256", "keyval": {"public": pem}});
    Key { id: hex::encode(gitsign_protocol::sha256(&gitsign::tuf::canonical(&public))), public, secret }
}

fn sign(signed: Value, keys: &[&Key]) -> Vec<u8> {
    let message = gitsign::tuf::canonical(&signed);
    let signatures: Vec<Value> = keys
        .iter()
        .map(|k| {
            let sig: DerSignature = k.secret.sign(&message);
            json!({"keyid": k.id, "sig": hex::encode(sig.as_bytes())})
        })
        .collect();
    serde_json::to_vec_pretty(&json!({"signed": signed, "signatures": signatures})).unwrap()
}

fn root(version: u64, root_key: &Key, online: &Key) -> Value {
    json!({
        "_type": "root", "spec_version": "1.0", "version": version, "consistent_snapshot": true,
        "expires": "2099-01-01T00:00:00Z",
        "keys": {root_key.id.clone(): root_key.public, online.id.clone(): online.public},
        "roles": {
            "root": {"keyids": [root_key.id], "threshold": 1},
            "timestamp": {"keyids": [online.id], "threshold": 1},
            "snapshot": {"keyids": [online.id], "threshold": 1},
            "targets": {"keyids": [online.id], "threshold": 1},
        }
    })
}

/// Writes a repository whose root was rotated once (v1 → v2) and whose target is `target`.
/// Returns the v1 root (the one a client starts from).
fn write_repo(dir: &Path, target: &[u8], timestamp_expires: &str, timestamp_signer: Option<&Key>) -> Vec<u8> {
    let (k1, k2, online) = (key(), key(), key());
    let root1 = sign(root(1, &k1, &online), &[&k1]);
    std::fs::write(dir.join("1.root.json"), &root1).unwrap();
    std::fs::write(dir.join("2.root.json"), sign(root(2, &k2, &online), &[&k1, &k2])).unwrap();
    let sha = hex::encode(gitsign_protocol::sha256(target));
    std::fs::create_dir_all(dir.join("targets")).unwrap();
    std::fs::write(dir.join(format!("targets/{sha}.trusted_root.json")), target).unwrap();
    let targets = sign(
        json!({"_type": "targets", "spec_version": "1.0", "version": 1, "expires": "2099-01-01T00:00:00Z",
               "targets": {"trusted_root.json": {"length": target.len(), "hashes": {"sha256": sha}}}}),
        &[&online],
    );
    std::fs::write(dir.join("1.targets.json"), &targets).unwrap();
    let snapshot = sign(
        json!({"_type": "snapshot", "spec_version": "1.0", "version": 1, "expires": "2099-01-01T00:00:00Z",
               "meta": {"targets.json": {"version": 1}}}),
        &[&online],
    );
    std::fs::write(dir.join("1.snapshot.json"), &snapshot).unwrap();
    let timestamp = json!({"_type": "timestamp", "spec_version": "1.0", "version": 1, "expires": timestamp_expires,
        "meta": {"snapshot.json": {"version": 1, "length": snapshot.len(), "hashes": {"sha256": hex::encode(gitsign_protocol::sha256(&snapshot))}}}});
    std::fs::write(dir.join("timestamp.json"), sign(timestamp, &[timestamp_signer.unwrap_or(&online)])).unwrap();
    root1
}

/// Serves `dir` over HTTP on loopback.
fn serve(dir: &Path) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut line = String::new();
            if BufReader::new(&s).read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").trim_start_matches('/').to_string();
            match std::fs::read(dir.join(&path)).ok().filter(|_| !path.contains("..")) {
                Some(body) => {
                    let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
                    let _ = s.write_all(&body);
                }
                None => {
                    let _ = s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
            }
        }
    });
    url
}

fn initialize(repo: &Repo, mirror: &str, root: &Path) -> std::process::Output {
    repo.command(GITSIGN).args(["initialize", "--mirror", mirror, "--root"]).arg(root).output().unwrap()
}

#[test]
fn initialize_fetches_a_verified_trusted_root_that_verification_then_uses() {
    let stack = Stack::start();
    let target = std::fs::read(stack.trusted_root()).unwrap();
    let tuf = tempfile::tempdir().unwrap();
    let root1 = write_repo(tuf.path(), &target, "2099-01-01T00:00:00Z", None);
    let root_file = tuf.path().join("bootstrap-root.json");
    std::fs::write(&root_file, root1).unwrap();
    let mirror = serve(tuf.path());

    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.unset_env("GITSIGN_TRUSTED_ROOT");
    let out = initialize(&repo, &mirror, &root_file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cached = repo.home.path().join(".cache/sigstore/gitsign/tuf/trusted_root.json");
    assert_eq!(std::fs::read(&cached).unwrap(), target);
    // The cached root now verifies the devstack's signatures with no GITSIGN_TRUSTED_ROOT.
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "verified with the TUF root"]);
    assert!(repo.git(&["verify-commit", "HEAD"]).status.success());
    // A second run starts from the cached (rotated) root.
    let out = repo.command(GITSIGN).args(["initialize", "--mirror", &mirror]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn tampered_expired_and_missigned_metadata_are_refused() {
    let stack = Stack::start();
    let target = std::fs::read(stack.trusted_root()).unwrap();
    type MakeRepo<'a> = Box<dyn Fn(&Path) -> Vec<u8> + 'a>;
    let cases: [(&str, MakeRepo<'_>); 3] = [
        (
            "SHA-256",
            Box::new(|dir: &Path| {
                let root = write_repo(dir, &target, "2099-01-01T00:00:00Z", None);
                let sha = hex::encode(gitsign_protocol::sha256(&target));
                let mut forged = target.clone();
                forged[10] ^= 1;
                std::fs::write(dir.join(format!("targets/{sha}.trusted_root.json")), forged).unwrap();
                root
            }),
        ),
        ("expired", Box::new(|dir: &Path| write_repo(dir, &target, "2001-01-01T00:00:00Z", None))),
        ("valid signature", Box::new(|dir: &Path| write_repo(dir, &target, "2099-01-01T00:00:00Z", Some(&key())))),
    ];
    for (needle, make) in cases {
        let tuf = tempfile::tempdir().unwrap();
        let root_file = tuf.path().join("bootstrap-root.json");
        std::fs::write(&root_file, make(tuf.path())).unwrap();
        let mirror = serve(tuf.path());
        let repo = Repo::new(&stack, "ann@example.com");
        let out = initialize(&repo, &mirror, &root_file);
        assert!(!out.status.success(), "{needle}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(needle), "{needle}: {stderr}");
        assert!(!repo.home.path().join(".cache/sigstore/gitsign/tuf/trusted_root.json").exists());
    }
}
