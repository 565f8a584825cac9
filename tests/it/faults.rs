//! Every service down, slow or answering garbage: the commit is refused with a message naming
//! the step and the URL, within the configured timeout, and the repository is left as it was.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A loopback port nothing listens on.
fn dead_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// A server that accepts and never answers.
fn silent_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    url
}

/// A server that answers 200 with a body that is not JSON.
fn garbage_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 65536];
            let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\nConnection: close\r\n\r\n<html>?</htm");
        }
    });
    url
}

fn refused(repo: &Repo, needles: &[&str]) -> Duration {
    let before = repo.snapshot();
    let started = Instant::now();
    let out = repo.git(&["commit", "-S", "-q", "-m", "must not land"]);
    let took = started.elapsed();
    assert!(!out.status.success(), "the commit must be refused");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for n in needles {
        assert!(stderr.contains(n), "stderr should mention {n:?}:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(repo.snapshot(), before, "nothing may change in the repository");
    took
}

#[test]
fn fulcio_rekor_and_issuer_faults_refuse_the_commit() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.set_env("GITSIGN_TIMEOUT", "2");

    let dead = dead_url();
    repo.set_env("GITSIGN_FULCIO_URL", &dead);
    refused(&repo, &["getting a certificate from Fulcio", &dead]);
    let silent = silent_url();
    repo.set_env("GITSIGN_FULCIO_URL", &silent);
    let took = refused(&repo, &["getting a certificate from Fulcio", "did not answer within 2s"]);
    assert!(took < Duration::from_secs(15), "bounded by the timeout, took {took:?}");
    let garbage = garbage_url();
    repo.set_env("GITSIGN_FULCIO_URL", &garbage);
    refused(&repo, &["getting a certificate from Fulcio", "answered something that is not"]);
    // Fulcio refusing the token: its message is passed on.
    repo.set_env("GITSIGN_FULCIO_URL", &stack.running.urls().fulcio);
    let other = Stack::start();
    repo.set_env("SIGSTORE_ID_TOKEN", &other.token("ann@example.com"));
    refused(&repo, &["HTTP 401", "issued by"]);
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("ann@example.com"));

    let dead = dead_url();
    repo.set_env("GITSIGN_REKOR_URL", &dead);
    refused(&repo, &["recording the signature in Rekor", &dead]);
    let silent = silent_url();
    repo.set_env("GITSIGN_REKOR_URL", &silent);
    refused(&repo, &["recording the signature in Rekor", "did not answer within 2s"]);
    let garbage = garbage_url();
    repo.set_env("GITSIGN_REKOR_URL", &garbage);
    refused(&repo, &["recording the signature in Rekor", "answered something that is not"]);
    repo.set_env("GITSIGN_REKOR_URL", &stack.running.urls().rekor);

    // No token and the issuer is down.
    repo.unset_env("SIGSTORE_ID_TOKEN");
    let dead = dead_url();
    repo.set_env("GITSIGN_OIDC_ISSUER", &dead);
    refused(&repo, &["OIDC issuer", &dead]);
    repo.set_env("GITSIGN_OIDC_ISSUER", &silent_url());
    refused(&repo, &["OIDC issuer"]);

    // A trust root that does not hold the stack: the new signature would not verify, so none is made.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("ann@example.com"));
    repo.set_env("GITSIGN_OIDC_ISSUER", &stack.running.urls().issuer);
    repo.unset_env("GITSIGN_TRUSTED_ROOT");
    refused(&repo, &["does not verify against the embedded public-good trust root", "gitsign.trustedRoot"]);

    // Bad configuration names its source.
    repo.set_env("GITSIGN_REKOR_MODE", "sometimes");
    refused(&repo, &["GITSIGN_REKOR_MODE"]);
    repo.unset_env("GITSIGN_REKOR_MODE");

    // And with everything back, it signs.
    repo.set_env("GITSIGN_TRUSTED_ROOT", &stack.trusted_root().display().to_string());
    repo.ok(&["commit", "-S", "-q", "-m", "lands"]);
}
