//! The real binary, killed with SIGKILL after acknowledging entries, loses none of them.

use crate::common::*;
use gitsign_protocol::rekor::LogInfo;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

fn up(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitsign-devstack"))
        .args(["up", "--state"])
        .arg(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base =
        line.trim().strip_prefix("ready ").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
    (child, base)
}

#[test]
fn sigkill_loses_no_acknowledged_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, base) = up(dir.path());
    let started = std::time::Instant::now();
    let info: LogInfo = client().get(format!("{base}/api/v1/log")).send().unwrap().json().unwrap();
    eprintln!("first start answered after {:?}", started.elapsed());
    assert_eq!(info.tree_size, 0);

    // Entries need a certificate: get one through Fulcio with a token from the state.
    let key = ec_key();
    let token = token(dir.path(), "frank@example.com");
    let pop = rcgen::SigningKey::sign(&key, b"frank@example.com").unwrap();
    let body = serde_json::json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {"publicKey": {"content": gitsign_protocol::keys::pem_encode("PUBLIC KEY", &rcgen::PublicKeyData::subject_public_key_info(&key))},
                             "proofOfPossession": gitsign_protocol::b64(pop)}
    });
    let v: serde_json::Value =
        client().post(format!("{base}/api/v2/signingCert")).json(&body).send().unwrap().json().unwrap();
    let cert = v["signedCertificateEmbeddedSct"]["chain"]["certificates"][0].as_str().unwrap().to_string();
    for i in 0..20u8 {
        let resp = client()
            .post(format!("{base}/api/v1/log/entries"))
            .json(&hashedrekord(&[i; 3], &key, &cert))
            .send()
            .unwrap();
        assert_eq!(resp.status(), 201);
    }
    let before: LogInfo = client().get(format!("{base}/api/v1/log")).send().unwrap().json().unwrap();
    child.kill().unwrap(); // SIGKILL: no shutdown code runs
    child.wait().unwrap();

    let started = std::time::Instant::now();
    let (mut child, base2) = up(dir.path());
    eprintln!("restart answered after {:?}", started.elapsed());
    let after: LogInfo = client().get(format!("{base2}/api/v1/log")).send().unwrap().json().unwrap();
    assert_eq!((after.tree_size, &after.root_hash), (20, &before.root_hash));
    child.kill().unwrap();
    child.wait().unwrap();
}
