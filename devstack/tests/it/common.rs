//! Helpers shared by the devstack's integration tests: a devstack in a temp dir, tokens, keys,
//! and the HTTP calls clients make.

#[path = "../../../tests/it/common/skip.rs"]
pub mod skip;

use gitsign_devstack::oidc::{OidcIssuer, Subject};
use gitsign_devstack::{Options, Running, state};
use gitsign_protocol::keys::{PublicKey, pem_encode};
use gitsign_protocol::trust::TrustedRoot;
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PublicKeyData, SigningKey};
use reqwest::blocking::Client;
use std::path::Path;
use std::time::Duration;

pub fn start(dir: &Path) -> Running {
    Running::start(Options::new(dir.to_path_buf())).unwrap()
}

pub fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(30)).build().unwrap()
}

pub fn issuer(dir: &Path) -> OidcIssuer {
    state::load_issuer(dir).unwrap()
}

pub fn token(dir: &Path, email: &str) -> String {
    issuer(dir).mint(&Subject::Email(email.into()), None, Duration::from_secs(600)).unwrap()
}

pub fn ec_key() -> KeyPair {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap()
}

pub fn trusted_root(dir: &Path) -> TrustedRoot {
    serde_json::from_slice(&std::fs::read(dir.join("trusted_root.json")).unwrap()).unwrap()
}

/// The name the log signs checkpoints with, as the trusted root's URL for it gives it.
pub fn rekor_name(dir: &Path) -> String {
    gitsign_protocol::checkpoint::log_name(&trusted_root(dir).tlogs[0].base_url).unwrap().to_string()
}

pub fn rekor_key(dir: &Path) -> PublicKey {
    let root = trusted_root(dir);
    PublicKey::from_spki_der(&gitsign_protocol::unb64(&root.tlogs[0].public_key.raw_bytes).unwrap()).unwrap()
}

/// POSTs a signing-certificate request with a public key and proof of possession over `challenge`.
pub fn request_cert(running: &Running, token: &str, key: &KeyPair, challenge: &str) -> reqwest::blocking::Response {
    let pop = key.sign(challenge.as_bytes()).unwrap();
    let body = serde_json::json!({
        "credentials": {"oidcIdentityToken": token},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": pem_encode("PUBLIC KEY", &key.subject_public_key_info())},
            "proofOfPossession": gitsign_protocol::b64(pop),
        }
    });
    client().post(format!("{}/api/v2/signingCert", running.urls().fulcio)).json(&body).send().unwrap()
}

/// A certificate chain (PEM, leaf first) for `email`.
pub fn cert_for(running: &Running, email: &str, key: &KeyPair) -> Vec<String> {
    let resp = request_cert(running, &token(running.state_dir(), email), key, email);
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
    let v: serde_json::Value = resp.json().unwrap();
    serde_json::from_value(v["signedCertificateEmbeddedSct"]["chain"]["certificates"].clone()).unwrap()
}

/// A hashedrekord over `artifact`, signed by `key` whose certificate is `cert_pem`.
pub fn hashedrekord(artifact: &[u8], key: &KeyPair, cert_pem: &str) -> serde_json::Value {
    let sig = key.sign(artifact).unwrap();
    let entry = gitsign_protocol::rekor::HashedRekord::new(&gitsign_protocol::sha256(artifact), &sig, cert_pem);
    serde_json::to_value(entry).unwrap()
}

pub fn post_entry(running: &Running, body: &serde_json::Value) -> reqwest::blocking::Response {
    client().post(format!("{}/api/v1/log/entries", running.urls().rekor)).json(body).send().unwrap()
}
