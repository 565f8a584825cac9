//! The browser login's loopback callback under attack: any local process (or a web page that
//! guesses the port) can send it a request. Only a callback carrying the login's `state` may end
//! the login, and whatever the issuer says is printed without its control characters.

use crate::common::*;

fn opener(mode: &str) -> String {
    format!("python3 {}/tests/support/forged_callback.py {mode} {{{{.URL}}}}", env!("CARGO_MANIFEST_DIR"))
}

fn login_repo(stack: &Stack, mode: &str, log: &std::path::Path) -> Repo {
    let mut repo = Repo::new(stack, "unused@example.com");
    repo.unset_env("SIGSTORE_ID_TOKEN");
    repo.set_env("GITSIGN_URL_OPENER", &opener(mode));
    repo.set_env("BROWSER_EMAIL", "erin@example.com");
    repo.set_env("GITSIGN_LOGIN_TIMEOUT", "60");
    repo.set_env("FORGED_LOG", &log.display().to_string());
    repo
}

#[test]
fn a_callback_with_a_wrong_or_missing_state_does_not_end_the_login() {
    let stack = Stack::start();
    let log = tempfile::NamedTempFile::new().unwrap();
    let repo = login_repo(&stack, "wrong-state", log.path());
    repo.stage("a.txt", "one\n");
    let out = repo.git(&["commit", "-S", "-q", "-m", "signed despite a forged callback"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the forged callbacks must not abort the login: {stderr}");
    // gitsign answered both forged callbacks with an error page, then took the real one.
    assert_eq!(std::fs::read_to_string(log.path()).unwrap(), "400\n400\n");
    assert!(!stderr.contains("forged denial"), "{stderr}");
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Good signature from [erin@example.com]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_error_with_the_right_state_ends_the_login_and_prints_no_escape_byte() {
    let stack = Stack::start();
    let log = tempfile::NamedTempFile::new().unwrap();
    let repo = login_repo(&stack, "right-state", log.path());
    let out = sign_without_terminal(&repo, b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nrefused\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(std::fs::read_to_string(log.path()).unwrap(), "400\n");
    assert!(stderr.contains("the issuer refused the sign-in: access_denied [31mforged denial[0m"), "{stderr}");
    assert!(!out.stderr.contains(&0x1b), "an escape byte reached the terminal: {stderr:?}");
}

#[test]
fn a_certificate_identity_with_control_characters_is_refused_and_never_printed_raw() {
    // The issuer vouches for an "email" carrying an ANSI escape and a forged status line; Fulcio
    // puts it in the certificate's SAN as it is. gitsign refuses such an identity (its own check
    // of the new signature fails, so nothing is signed) and prints the SAN without the controls.
    let stack = Stack::start();
    let email = "eve\u{1b}[31m@example.com\n[GNUPG:] GOODSIG FORGED";
    let mut repo = Repo::new(&stack, "unused@example.com");
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token(email));
    repo.stage("a.txt", "one\n");
    let out = repo.git(&["commit", "-S", "-q", "-m", "signed by a strange identity"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a SAN with control characters was signed with: {stderr}");
    assert!(
        stderr.contains(r#"the SAN "eve[31m@example.com[GNUPG:] GOODSIG FORGED" holds control characters"#),
        "{stderr}"
    );
    assert!(!out.stderr.contains(&0x1b), "an escape byte reached the output: {stderr:?}");
    assert!(!stderr.lines().any(|l| l.starts_with("[GNUPG:] GOODSIG")), "a status line was forged: {stderr}");
    assert!(repo.git(&["rev-parse", "--verify", "-q", "HEAD"]).stdout.is_empty(), "a commit was written");
}

#[test]
fn a_failing_url_opener_is_reported_and_the_url_left_to_open_by_hand() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "unused@example.com");
    repo.unset_env("SIGSTORE_ID_TOKEN");
    repo.set_env("GITSIGN_URL_OPENER", "false {{.URL}}");
    repo.set_env("GITSIGN_LOGIN_TIMEOUT", "2");
    let out = sign_without_terminal(&repo, b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmsg\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    // Without a terminal there is no code to type: the URL stays on the screen to open by hand.
    assert!(stderr.contains("gitsign: the urlOpener \"false\" failed (exit status: 1)"), "{stderr}");
    assert!(stderr.contains("(no browser could be started; open the URL above by hand)"), "{stderr}");
    // An opener that cannot be split as a shell would is refused with why.
    repo.set_env("GITSIGN_URL_OPENER", "open 'unterminated {{.URL}}");
    let out = sign_without_terminal(&repo, b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmsg\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be split into words"), "{stderr}");
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Signs a commit through a browser login in headless Chromium (tests/support/browser/login.mjs
/// as the urlOpener), with `configure` applied to the repository first; returns what the browser
/// saw of the page gitsign answered the callback with, watched for `watch` seconds. `None`: no
/// Chromium or playwright-core here (a skip, outside CI).
fn browser_login(configure: impl FnOnce(&mut Repo), watch: u64) -> Option<serde_json::Value> {
    let browser = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/browser");
    if !std::path::Path::new(CHROMIUM).exists() {
        skip::skip("Debian's chromium is not installed at /usr/bin/chromium (./test.sh installs it)");
        return None;
    }
    if !browser.join("node_modules/playwright-core").exists() {
        skip::skip("playwright-core is not installed in tests/support/browser (./test.sh runs npm ci there)");
        return None;
    }
    let stack = Stack::start();
    let result = tempfile::tempdir().unwrap();
    let result = result.path().join("result.json");
    let mut repo = Repo::new(&stack, "unused@example.com");
    repo.unset_env("SIGSTORE_ID_TOKEN");
    repo.set_env("GITSIGN_URL_OPENER", &format!("node {}/login.mjs {{{{.URL}}}}", browser.display()));
    repo.set_env("CHROMIUM", CHROMIUM);
    repo.set_env("BROWSER_EMAIL", "fay@example.com");
    repo.set_env("BROWSER_RESULT", &result.display().to_string());
    repo.set_env("WATCH_SECONDS", &watch.to_string());
    repo.set_env("GITSIGN_LOGIN_TIMEOUT", "120");
    configure(&mut repo);
    repo.stage("a.txt", "one\n");
    let out = repo.git(&["commit", "-S", "-q", "-m", "signed in a browser"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Good signature from [fay@example.com]"), "{stderr}");
    // The browser goes on watching the page after gitsign is done.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(watch + 60);
    let text = loop {
        if let Ok(text) = std::fs::read_to_string(&result) {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "the browser wrote no result");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(v.get("error").is_none(), "the browser failed: {}", v["error"]);
    Some(v)
}

#[test]
fn the_signed_in_page_closes_itself_after_autoclose_timeout_seconds() {
    // 5 s from git config, not the Go default (6) nor the old fixed 3 s.
    let Some(v) = browser_login(
        |repo| {
            repo.ok(&["config", "gitsign.autocloseTimeout", "5"]);
        },
        12,
    ) else {
        return;
    };
    assert!(
        v["text"].as_str().unwrap().contains("Signed in")
            && v["text"].as_str().unwrap().contains("This page closes in 5 s."),
        "{v}"
    );
    let ms = v["closed_after_ms"].as_u64().unwrap_or_else(|| panic!("the page did not close: {v}"));
    assert!((4_500..=8_000).contains(&ms), "closed {ms} ms after it loaded, not after 5 s");
}

#[test]
fn the_signed_in_page_stays_with_autoclose_timeout_0_or_autoclose_false() {
    for (name, value) in [("GITSIGN_AUTOCLOSE_TIMEOUT", "0"), ("GITSIGN_AUTOCLOSE", "false")] {
        let Some(v) = browser_login(
            |repo| {
                repo.set_env(name, value);
                // With autoclose false, a timeout that would otherwise close it at once.
                if name == "GITSIGN_AUTOCLOSE" {
                    repo.set_env("GITSIGN_AUTOCLOSE_TIMEOUT", "1");
                }
            },
            4,
        ) else {
            return;
        };
        assert!(v["closed_after_ms"].is_null(), "{name}={value}: the page closed: {v}");
        assert_eq!(v["scripts"], 0, "{name}={value}: the page carries a script: {v}");
        let end = v["text_at_end"].as_str().unwrap();
        assert!(end.contains("you can close this page") && !end.contains("closes in"), "{name}={value}: {end}");
    }
}
