//! gitsign's browser and device logins against an OpenID provider that is not ours —
//! panva/oidc-provider from npm, with its own login and consent pages — whose tokens the
//! devstack's Fulcio is told to trust (`--trust-issuer`).

use crate::common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

struct Node(Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn provider() -> Option<(Node, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/oidc-provider");
    if !dir.join("node_modules/oidc-provider").exists() {
        skip::skip(&format!("oidc-provider is not installed (./test.sh runs npm ci in {})", dir.display()));
        return None;
    }
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let issuer =
        line.trim().strip_prefix("ready ").unwrap_or_else(|| panic!("oidc-provider said {line:?}")).to_string();
    Some((Node(child), issuer))
}

#[test]
fn browser_and_device_logins_with_a_third_party_provider() {
    let Some((_node, issuer)) = provider() else { return };
    let state = tempfile::tempdir().unwrap();
    let running = gitsign_devstack::Running::start(gitsign_devstack::Options {
        trusted_issuers: vec![issuer.clone()],
        ..gitsign_devstack::Options::new(state.path())
    })
    .unwrap();
    let urls = running.urls();
    let mut repo = Repo::with_env(vec![
        ("GITSIGN_FULCIO_URL".into(), urls.fulcio.clone()),
        ("GITSIGN_REKOR_URL".into(), urls.rekor.clone()),
        ("GITSIGN_OIDC_ISSUER".into(), issuer.clone()),
        ("GITSIGN_OIDC_REDIRECT_URL".into(), "http://127.0.0.1:0/auth/callback".into()),
        ("GITSIGN_TRUSTED_ROOT".into(), state.path().join("trusted_root.json").display().to_string()),
        (
            "GITSIGN_URL_OPENER".into(),
            format!("python3 {}/tests/support/browser.py {{{{.URL}}}}", env!("CARGO_MANIFEST_DIR")),
        ),
        ("BROWSER_EMAIL".into(), "erin@example.com".into()),
        ("GITSIGN_LOGIN_TIMEOUT".into(), "60".into()),
    ]);
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed after an oidc-provider browser login"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.contains(&format!("Good signature from [erin@example.com]({issuer})")),
        "{stderr}"
    );

    repo.set_env("GITSIGN_TOKEN_PROVIDER", "device");
    repo.set_env("BROWSER_EMAIL", "frank@example.com");
    repo.stage("b.txt", "two\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed after an oidc-provider device login"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("Good signature from [frank@example.com]"), "{stderr}");
}
