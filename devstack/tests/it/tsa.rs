//! The devstack's RFC 3161 timestamp authority, checked with OpenSSL: `openssl ts -query` makes
//! the request, the devstack stamps it, and `openssl ts -verify` accepts the reply against the
//! chain of `GET /api/v1/timestamp/certchain`, which is the trusted root's timestampAuthorities
//! chain; it refuses the reply for other data. Bad requests are refused with their reason, and
//! the chain survives a restart.

use crate::common::*;
use std::path::Path;
use std::process::Command;

fn openssl(args: &[&str], dir: &Path) -> Option<std::process::Output> {
    match Command::new("openssl").args(args).current_dir(dir).output() {
        Ok(out) => Some(out),
        Err(e) => {
            skip::skip(&format!("openssl cannot run ({e}); install OpenSSL to check the timestamp authority"));
            None
        }
    }
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// PEM blocks of `pem`, in order.
fn pem_blocks(pem: &str) -> Vec<String> {
    pem.split_inclusive("-----END CERTIFICATE-----\n").map(str::to_string).filter(|b| b.contains("BEGIN")).collect()
}

#[test]
fn openssl_verifies_a_devstack_timestamp_against_the_trusted_chain() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let running = start(dir.path());
    std::fs::write(w.join("data"), b"the bytes stamped").unwrap();
    std::fs::write(w.join("other"), b"other bytes").unwrap();
    let Some(out) = openssl(&["ts", "-query", "-data", "data", "-sha256", "-cert", "-out", "req.tsq"], w) else {
        return;
    };
    assert!(out.status.success(), "{}", text(&out));

    let resp = client()
        .post(&running.urls().tsa)
        .header("content-type", "application/timestamp-query")
        .body(std::fs::read(w.join("req.tsq")).unwrap())
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/timestamp-reply");
    std::fs::write(w.join("resp.tsr"), resp.bytes().unwrap()).unwrap();

    // The served chain is the trusted root's.
    let chain = client().get(format!("{}/certchain", running.urls().tsa)).send().unwrap().text().unwrap();
    let blocks = pem_blocks(&chain);
    assert_eq!(blocks.len(), 2, "{chain}");
    let root = trusted_root(dir.path());
    let [tsa] = root.timestamp_authorities.as_slice() else { panic!("one TSA expected: {root:?}") };
    assert_eq!(tsa.uri, running.urls().tsa);
    let trusted: Vec<String> = tsa
        .cert_chain
        .certificates
        .iter()
        .map(|c| gitsign_protocol::keys::pem_encode("CERTIFICATE", &gitsign_protocol::unb64(&c.raw_bytes).unwrap()))
        .collect();
    assert_eq!(trusted, blocks);
    std::fs::write(w.join("leaf.pem"), &blocks[0]).unwrap();
    std::fs::write(w.join("root.pem"), &blocks[1]).unwrap();

    let verify = |data: &str| {
        openssl(
            &["ts", "-verify", "-in", "resp.tsr", "-data", data, "-CAfile", "root.pem", "-untrusted", "leaf.pem"],
            w,
        )
        .unwrap()
    };
    let ok = verify("data");
    assert!(ok.status.success() && text(&ok).contains("Verification: OK"), "{}", text(&ok));
    let bad = verify("other");
    assert!(!bad.status.success(), "{}", text(&bad));
    assert!(text(&bad).contains("message imprint mismatch"), "{}", text(&bad));
    // The nonce and the query match too.
    let q = openssl(&["ts", "-verify", "-in", "resp.tsr", "-queryfile", "req.tsq", "-CAfile", "root.pem"], w).unwrap();
    assert!(q.status.success(), "{}", text(&q));

    // Restarted, the authority keeps its chain.
    drop(running);
    let running = start(dir.path());
    let again = client().get(format!("{}/certchain", running.urls().tsa)).send().unwrap().text().unwrap();
    assert_eq!(again, chain);
}

#[test]
fn bad_queries_are_refused_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let running = start(dir.path());
    std::fs::write(w.join("data"), b"x").unwrap();
    let Some(out) = openssl(&["ts", "-query", "-data", "data", "-sha1", "-out", "sha1.tsq"], w) else { return };
    assert!(out.status.success(), "{}", text(&out));
    let post = |body: Vec<u8>| {
        client()
            .post(&running.urls().tsa)
            .header("content-type", "application/timestamp-query")
            .body(body)
            .send()
            .unwrap()
    };
    let resp = post(std::fs::read(w.join("sha1.tsq")).unwrap());
    assert_eq!(resp.status(), 400);
    let body = resp.bytes().unwrap();
    let (status, why) = gitsign_protocol::rfc3161::refusal_of_response(&body).unwrap();
    assert_eq!(status, 2);
    assert!(why.contains("hash algorithm") && why.contains("is not supported"), "{why}");
    std::fs::write(w.join("refused.tsr"), &body).unwrap();
    let shown = openssl(&["ts", "-reply", "-in", "refused.tsr", "-text"], w).unwrap();
    let shown = text(&shown);
    assert!(shown.contains("Status: Rejected") && shown.contains("unsupported algorithm identifier"), "{shown}");

    let resp = post(b"not DER".to_vec());
    assert_eq!(resp.status(), 400);
    let (_, why) = gitsign_protocol::rfc3161::refusal_of_response(&resp.bytes().unwrap()).unwrap();
    assert!(why.starts_with("not an RFC 3161 TimeStampReq"), "{why}");
}
