//! Caps on what gitsign reads from others: HTTP response bodies (Fulcio, Rekor, the OIDC
//! issuer) and git objects, each refused with an error naming the cap.

use crate::common::*;
use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::process::Stdio;

const CAP: u64 = gitsign_core::net::MAX_RESPONSE;

/// A loopback HTTP server answering every request with 200 and a body one byte over the cap:
/// announced by Content-Length when `announce`, else streamed until the connection closes.
fn oversize_server(announce: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && s.read(&mut byte).is_ok_and(|n| n == 1) {
                    request.push(byte[0]);
                }
                // Read the request's body too: closing on unread data would reset the connection.
                let length = String::from_utf8_lossy(&request)
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0usize);
                let _ = s.read_exact(&mut vec![0u8; length]);
                let head = if announce {
                    format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", CAP + 1)
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n".to_string()
                };
                if s.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b' '; 1 << 16];
                let mut sent = 0u64;
                while sent <= CAP {
                    if s.write_all(&chunk).is_err() {
                        return;
                    }
                    sent += chunk.len() as u64;
                }
                // The client hangs up once it has read the cap.
                let _ = s.shutdown(std::net::Shutdown::Write);
                let _ = s.read_to_end(&mut Vec::new());
            });
        }
    });
    url
}

fn sign(repo: &Repo) -> String {
    let mut child = repo
        .command(GITSIGN)
        .args(["--status-fd=2", "-bsau", "ann@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nm\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn oversize_fulcio_rekor_and_oidc_answers_are_refused_naming_the_cap() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    let named = format!("more than {CAP} bytes, gitsign's cap on a response body");

    // Fulcio streaming a body with no length.
    let fulcio = oversize_server(false);
    repo.set_env("GITSIGN_FULCIO_URL", &fulcio);
    let err = sign(&repo);
    assert!(
        err.contains(&format!("getting a certificate from Fulcio: {fulcio}/api/v2/signingCert answered {named}")),
        "{err}"
    );

    // Rekor announcing an oversize body.
    repo.set_env("GITSIGN_FULCIO_URL", &stack.running.urls().fulcio.clone());
    let rekor = oversize_server(true);
    repo.set_env("GITSIGN_REKOR_URL", &rekor);
    let err = sign(&repo);
    assert!(
        err.contains(&format!("recording the signature in Rekor: {rekor}/api/v1/log/entries answered {named}")),
        "{err}"
    );

    // An OIDC issuer whose discovery document is oversize (no token given: gitsign logs in).
    repo.set_env("GITSIGN_REKOR_URL", &stack.running.urls().rekor.clone());
    repo.unset_env("SIGSTORE_ID_TOKEN");
    let issuer = oversize_server(false);
    repo.set_env("GITSIGN_OIDC_ISSUER", &issuer);
    let err = sign(&repo);
    assert!(err.contains(&named), "{err}");
}

#[test]
fn an_oversize_git_object_is_refused_naming_the_cap() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    let message = repo.path().join("message");
    std::fs::write(&message, vec![b'x'; 17 << 20]).unwrap();
    repo.ok(&["-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-F", message.to_str().unwrap()]);
    let sha = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let out = repo.verifier("ann@example.com", &["verify", "HEAD"]).output().unwrap();
    assert!(!out.status.success());
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let cap = format!("over gitsign's cap of {} bytes on a git object", 16 << 20);
    assert!(text.contains(&format!("the commit {sha} is ")) && text.contains(&cap), "{text}");
}
