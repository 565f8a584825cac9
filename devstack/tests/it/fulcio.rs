//! Fulcio against its clients: certificates in the Fulcio profile, and every way a request can be
//! refused.

use crate::common::*;
use gitsign_devstack::oidc::{CLIENT_ID, Claims, Subject};
use rcgen::{CertificateParams, DistinguishedName, PublicKeyData};
use std::time::Duration;

fn issuer_ext(der: &[u8], oid: &str) -> Vec<u8> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    cert.extensions().iter().find(|e| e.oid.to_id_string() == oid).map(|e| e.value.to_vec()).unwrap_or_default()
}

#[test]
fn issues_fulcio_profile_certificates_for_email_and_sub_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let key = ec_key();
    let chain = cert_for(&running, "alice@example.com", &key);
    assert_eq!(chain.len(), 3, "leaf, intermediate, root");
    let (_, pem) = x509_parser::pem::parse_x509_pem(chain[0].as_bytes()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&pem.contents).unwrap();
    assert_eq!(cert.public_key().raw, key.subject_public_key_info().as_slice());
    let lifetime = cert.validity().not_after.timestamp() - cert.validity().not_before.timestamp();
    assert_eq!(lifetime, 600, "10-minute certificate");
    let san = cert.subject_alternative_name().unwrap().unwrap();
    assert_eq!(format!("{:?}", san.value.general_names), r#"[RFC822Name("alice@example.com")]"#);
    assert_eq!(issuer_ext(&pem.contents, "1.3.6.1.4.1.57264.1.1"), running.urls().issuer.as_bytes());

    // A CI-style token: no email, a URI subject.
    let sub = "https://ci.example/jobs/42";
    let ci_token = issuer(dir.path()).mint(&Subject::Sub(sub.into()), None, Duration::from_secs(60)).unwrap();
    let resp = request_cert(&running, &ci_token, &key, sub);
    assert_eq!(resp.status(), 201);
    let v: serde_json::Value = resp.json().unwrap();
    let leaf = v["signedCertificateEmbeddedSct"]["chain"]["certificates"][0].as_str().unwrap().to_string();
    let (_, pem) = x509_parser::pem::parse_x509_pem(leaf.as_bytes()).unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&pem.contents).unwrap();
    let san = cert.subject_alternative_name().unwrap().unwrap();
    assert_eq!(format!("{:?}", san.value.general_names), format!("[URI({sub:?})]"));

    // A CSR, with the token as a bearer header (sigstore-python's form).
    let csr = CertificateParams::new(Vec::<String>::new()).unwrap();
    let mut csr = csr;
    csr.distinguished_name = DistinguishedName::new();
    let csr_pem = csr.serialize_request(&key).unwrap().pem().unwrap();
    let body = serde_json::json!({"certificateSigningRequest": gitsign_protocol::b64(csr_pem)});
    let resp = client()
        .post(format!("{}/api/v2/signingCert", running.urls().fulcio))
        .bearer_auth(token(dir.path(), "bob@example.com"))
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());

    let bundle: serde_json::Value =
        client().get(format!("{}/api/v2/trustBundle", running.urls().fulcio)).send().unwrap().json().unwrap();
    assert_eq!(bundle["chains"][0]["certificates"][0].as_str().unwrap(), chain[1]);
    let config: serde_json::Value =
        client().get(format!("{}/api/v2/configuration", running.urls().fulcio)).send().unwrap().json().unwrap();
    assert_eq!(config["issuers"][0]["issuerUrl"], running.urls().issuer.as_str());
}

fn refused(running: &gitsign_devstack::Running, token: &str, challenge: &str, status: u16, needle: &str) {
    let resp = request_cert(running, token, &ec_key(), challenge);
    assert_eq!(resp.status().as_u16(), status);
    let body: serde_json::Value = resp.json().unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message:?} should mention {needle:?}");
    assert!(body["code"].is_number());
}

#[test]
fn refuses_expired_foreign_unsigned_and_unverified_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let iss = issuer(dir.path());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = |exp: i64, aud: &str| Claims {
        iss: running.urls().issuer.clone(),
        sub: "alice@example.com".into(),
        aud: aud.into(),
        exp,
        iat: now - 1000,
        email: Some("alice@example.com".into()),
        email_verified: Some(true),
        nonce: None,
    };
    refused(&running, &iss.sign_claims(&claims(now - 100, CLIENT_ID)).unwrap(), "alice@example.com", 401, "expired");
    refused(&running, &iss.sign_claims(&claims(now + 100, "other")).unwrap(), "alice@example.com", 401, "audience");
    let mut unverified = claims(now + 100, CLIENT_ID);
    unverified.email_verified = Some(false);
    refused(&running, &iss.sign_claims(&unverified).unwrap(), "alice@example.com", 401, "not verified");

    // Another devstack's issuer: another URL and another key.
    let other = tempfile::tempdir().unwrap();
    let other_running = start(other.path());
    refused(&running, &token(other.path(), "alice@example.com"), "alice@example.com", 401, "issued by");
    // Same issuer URL, another key: a forged signature.
    let forged = gitsign_devstack::oidc::OidcIssuer::new(
        running.urls().issuer.clone(),
        rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048).unwrap(),
    )
    .unwrap();
    refused(
        &running,
        &forged.sign_claims(&claims(now + 100, CLIENT_ID)).unwrap(),
        "alice@example.com",
        401,
        "signature",
    );
    drop(other_running);

    // Unsigned (alg none): a token this issuer signed, with its header's alg set to none and its
    // signature removed, so the algorithm is the only thing wrong with it. Its signed original is
    // accepted, and its payload is the whole claims object (issuer, audience, expiry, email).
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let b64u = |v: &serde_json::Value| b64.encode(v.to_string());
    let signed = iss.sign_claims(&claims(now + 100, CLIENT_ID)).unwrap();
    let resp = request_cert(&running, &signed, &ec_key(), "alice@example.com");
    assert_eq!(resp.status(), 201, "the signed original is accepted: {}", resp.text().unwrap());
    let [header, payload, _signature]: [&str; 3] = signed.split('.').collect::<Vec<_>>().try_into().unwrap();
    let mut header: serde_json::Value = serde_json::from_slice(&b64.decode(header).unwrap()).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&b64.decode(payload).unwrap()).unwrap();
    assert_eq!(body["iss"], running.urls().issuer.as_str());
    assert_eq!(
        (&body["aud"], &body["email"], &body["exp"]),
        (&CLIENT_ID.into(), &"alice@example.com".into(), &(now + 100).into())
    );
    assert_eq!(header["alg"], "RS256");
    header["alg"] = "none".into();
    refused(
        &running,
        &format!("{}.{payload}.", b64u(&header)),
        "alice@example.com",
        401,
        "signed with none, this issuer signs with RS256",
    );
    // The same claims under HS256 (the issuer's public key used as an HMAC secret, the classic
    // confusion): refused for its algorithm before any signature is checked.
    header["alg"] = "HS256".into();
    let hs256 = format!("{}.{payload}.{}", b64u(&header), b64.encode([0u8; 32]));
    refused(&running, &hs256, "alice@example.com", 401, "signed with HS256, this issuer signs with RS256");
    refused(&running, "not-a-jwt", "alice@example.com", 401, "not a JWT");

    // A good token with a proof of possession over the wrong subject.
    refused(&running, &token(dir.path(), "alice@example.com"), "mallory@example.com", 400, "proof of possession");

    // Malformed request bodies.
    for body in ["{", "not json", r#"{"credentials": 5}"#] {
        let resp = client().post(format!("{}/api/v2/signingCert", running.urls().fulcio)).body(body).send().unwrap();
        assert_eq!(resp.status(), 400, "{body}");
        let v: serde_json::Value = resp.json().unwrap();
        assert_eq!(v["code"], 3);
    }
}
