//! The devstack's log explorer in a real browser: headless Chromium (Debian's `chromium`) driven
//! by playwright-core (tests/support/browser, `npm ci` by ./test.sh). Commits are signed through
//! gitsign against the devstack, then found the way a person would: by email, commit ID, hash,
//! and by pasting the commit; the entry page shows identity, issuer and the checked inclusion
//! proof; hostile markup in a certificate stays text. Screenshots are saved under
//! target/explorer-screenshots/ for a person to look at. Also `gitsign-devstack log search
//! --commit` on those real commits (the CLI's other tests are in devstack/tests/it/explorer_cli.rs).

use crate::common::{GITSIGN, Repo, Stack, skip};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/browser")
}

/// Chromium and playwright-core, or a skip (outside CI).
fn browser_ready() -> bool {
    if !Path::new(CHROMIUM).exists() {
        skip::skip("Debian's chromium is not installed at /usr/bin/chromium (./test.sh installs it)");
        return false;
    }
    if !browser_dir().join("node_modules/playwright-core").exists() {
        skip::skip("playwright-core is not installed in tests/support/browser (./test.sh runs npm ci there)");
        return false;
    }
    true
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/explorer-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the browser through `steps`; returns the reads by name and every dialog the pages opened.
fn browse(javascript: bool, steps: Value) -> (Value, Vec<String>) {
    let spec_dir = tempfile::tempdir().unwrap();
    let spec = spec_dir.path().join("spec.json");
    std::fs::write(&spec, json!({"chromium": CHROMIUM, "javascript": javascript, "steps": steps}).to_string()).unwrap();
    let out = Command::new("node").arg(browser_dir().join("explore.mjs")).arg(&spec).output().unwrap();
    assert!(
        out.status.success(),
        "the browser failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let dialogs = v["dialogs"].as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_string()).collect();
    (v["reads"].clone(), dialogs)
}

fn text(read: &Value) -> &str {
    read["text"].as_str().unwrap()
}

fn devstack_bin() -> PathBuf {
    Path::new(GITSIGN).with_file_name("gitsign-devstack")
}

fn signed_attributes_digest(repo: &Repo, rev: &str) -> String {
    let raw = repo.ok(&["cat-file", "commit", rev]);
    let (_, sig) = gitsign_core::gitobj::split(raw.as_bytes(), "commit").unwrap();
    let parsed = gitsign_core::signature::parse(&gitsign_core::signature::dearmor(&sig).unwrap()).unwrap();
    hex::encode(gitsign_protocol::sha256(&parsed.signed_attrs_der))
}

#[test]
fn a_signed_commit_is_found_by_email_commit_id_and_hash_and_its_entry_page_shows_the_proof() {
    if !browser_ready() {
        return;
    }
    let stack = Stack::start();
    let base = stack.running.urls().base.clone();
    // One commit in online mode (logged by commit ID), one in offline mode (the default: logged
    // by the digest of the signature's signed attributes).
    let mut online = Repo::new(&stack, "ann@example.com");
    online.set_env("GITSIGN_REKOR_MODE", "online");
    online.stage("a.txt", "one\n");
    online.ok(&["commit", "-S", "-q", "-m", "signed online"]);
    let online_id = online.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let offline = Repo::new(&stack, "ann@example.com");
    offline.stage("b.txt", "two\n");
    offline.ok(&["commit", "-S", "-q", "-m", "signed offline"]);
    let offline_id = offline.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let offline_digest = signed_attributes_digest(&offline, "HEAD");
    let offline_object = offline.ok(&["cat-file", "commit", "HEAD"]);
    let shots = screenshots();

    // With JavaScript off: every search is a plain form or link.
    let (reads, dialogs) = browse(
        false,
        json!([
            {"goto": format!("{base}/")},
            {"read": "front"},
            {"screenshot": shots.join("front.png")},
            {"fill": "#f-email", "value": "ann@example.com"},
            {"click": "form:has(#f-email) button"},
            {"read": "email"},
            {"screenshot": shots.join("search-email.png")},
            {"goto": format!("{base}/?commitSha={online_id}")},
            {"read": "online-commit"},
            {"goto": format!("{base}/?commitSha={offline_id}")},
            {"read": "offline-commit"},
            {"screenshot": shots.join("search-commit-offline.png")},
            {"fill": "#f-object", "value": offline_object},
            {"click": "form:has(#f-object) button"},
            {"read": "pasted"},
            {"goto": format!("{base}/?hash=sha256:{offline_digest}")},
            {"read": "hash"},
            {"click": "table.entries a"},
            {"read": "entry"},
            {"screenshot": shots.join("entry.png")},
            {"goto": format!("{base}/?email=nobody%40example.com")},
            {"read": "none"},
        ]),
    );
    assert!(dialogs.is_empty(), "{dialogs:?}");
    let front = &reads["front"];
    assert_eq!(front["status"], 200);
    assert!(text(front).contains("It holds 2 entries."), "{}", text(front));
    for expected in ["Search the log", "Latest entries", "Services", "Trust root", &stack.running.urls().rekor] {
        assert!(text(front).contains(expected), "{expected:?} missing from the front page:\n{}", text(front));
    }

    let email = &reads["email"];
    assert!(email["url"].as_str().unwrap().ends_with("/?email=ann%40example.com"), "{}", email["url"]);
    assert!(text(email).contains("2 entries for email ann@example.com."), "{}", text(email));

    // Online mode: the commit ID finds its entry.
    let found = &reads["online-commit"];
    assert!(text(found).contains(&format!("1 entry for commit {online_id}.")), "{}", text(found));
    // Offline mode: the commit ID alone cannot; the page says what to paste, and pasting finds it.
    let not_found = &reads["offline-commit"];
    assert_eq!(not_found["status"], 404);
    assert!(text(not_found).contains(&format!("No entry found for commit {offline_id}.")), "{}", text(not_found));
    assert!(text(not_found).contains(&format!("git cat-file commit {offline_id}")), "{}", text(not_found));
    let pasted = &reads["pasted"];
    assert!(text(pasted).contains("1 entry for the pasted object."), "{}", text(pasted));
    assert!(text(pasted).contains(&offline_digest), "{}", text(pasted));

    let hash = &reads["hash"];
    assert!(text(hash).contains(&format!("1 entry for sha256:{offline_digest}.")), "{}", text(hash));

    let entry = &reads["entry"];
    assert!(entry["url"].as_str().unwrap().contains("/entries/"), "{}", entry["url"]);
    let page = text(entry);
    assert!(page.contains("Identity\tann@example.com"), "{page}");
    assert!(page.contains(&format!("OIDC issuer\t{}", stack.running.urls().issuer)), "{page}");
    assert!(page.contains("Inclusion proof verified"), "{page}");
    assert!(page.contains("the certificate was valid when the entry was logged"), "{page}");
    assert!(page.contains("Fulcio: OIDC issuer"), "{page}");
    assert!(page.contains(&offline_digest), "{page}");

    let none = &reads["none"];
    assert_eq!(none["status"], 404);
    assert!(text(none).contains("No entry found for email nobody@example.com."), "{}", text(none));
}

#[test]
fn markup_in_a_certificate_identity_stays_text_in_the_browser() {
    if !browser_ready() {
        return;
    }
    let stack = Stack::start();
    let base = stack.running.urls().base.clone();
    // The devstack's issuer mints a token for any email and Fulcio certifies it as it is: the
    // certificate's SAN carries markup that would run if a page printed it unescaped.
    let hostile = "<img/src=x/onerror=alert(document.domain)><script>alert(2)</script>@evil.example";
    let repo = Repo::new(&stack, hostile);
    repo.stage("x.txt", "x\n");
    repo.ok(&["commit", "-S", "-q", "-m", "hostile identity"]);
    let shots = screenshots();
    let (reads, dialogs) = browse(
        true,
        json!([
            {"goto": format!("{base}/")},
            {"read": "front"},
            {"goto": format!("{base}/?email={}", url_encode(hostile))},
            {"read": "search"},
            {"goto": format!("{base}/entries/0")},
            {"read": "entry"},
            {"screenshot": shots.join("entry-hostile.png")},
        ]),
    );
    assert!(dialogs.is_empty(), "a page ran the certificate's script: {dialogs:?}");
    for name in ["front", "search", "entry"] {
        let read = &reads[name];
        assert_eq!(read["scripts"], 0, "{name}: a <script> element made it into the page");
        assert_eq!(read["images"], 0, "{name}: an <img> element made it into the page");
        assert!(text(read).contains(hostile), "{name}: the identity is not shown as text:\n{}", text(read));
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn log_search_by_commit_finds_both_signing_modes_through_the_repository() {
    let stack = Stack::start();
    let state = stack.dir.path().to_str().unwrap().to_string();
    let mut online = Repo::new(&stack, "ann@example.com");
    online.set_env("GITSIGN_REKOR_MODE", "online");
    online.stage("a.txt", "one\n");
    online.ok(&["commit", "-S", "-q", "-m", "online"]);
    let online_id = online.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let offline = Repo::new(&stack, "bob@example.com");
    offline.stage("b.txt", "two\n");
    offline.ok(&["commit", "-S", "-q", "-m", "offline"]);
    let offline_id = offline.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let search = |args: &[&str]| {
        let out = Command::new(devstack_bin()).args(["log", "search", "--state", &state]).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // Online mode: the commit ID alone finds it.
    let (code, out, err) = search(&["--commit", &online_id, "--repo", "/"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("1 entry found") && out.contains("identity  ann@example.com"), "{out}");

    // Offline mode: found through the repository (a short revision works there too) ...
    let (code, out, err) = search(&["--commit", "HEAD", "--repo", offline.path().to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("identity  bob@example.com"), "{out}");
    assert!(out.contains(&signed_attributes_digest(&offline, "HEAD")), "{out}");
    // ... and not without it, which it says.
    let (code, out, err) = search(&["--commit", &offline_id, "--repo", "/"]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains("No entry found"), "{out}");
    assert!(err.contains("pass --repo with a repository holding the commit"), "{err}");
}

#[test]
fn a_commit_signed_against_rekor_v2_is_found_in_the_v2_log_and_its_entry_page_shows_the_proof() {
    if !browser_ready() {
        return;
    }
    let stack = Stack::start();
    let base = stack.running.urls().base.clone();
    let urls = stack.running.urls().clone();
    // Signed as tests/it/rekor_v2.rs signs against Rekor v2: with a timestamp authority.
    let mut repo = Repo::new(&stack, "vera@example.com");
    repo.set_env("GITSIGN_TIMESTAMP_SERVER_URL", &urls.tsa);
    repo.set_env("GITSIGN_REKOR_URL", &urls.rekor_v2);
    repo.ok(&["config", "gitsign.rekorVersion", "2"]);
    repo.ok(&["config", "gitsign.enableSigstoreGo", "true"]);
    repo.stage("v.txt", "v2\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed against Rekor v2"]);
    let digest = signed_attributes_digest(&repo, "HEAD");
    let object = repo.ok(&["cat-file", "commit", "HEAD"]);
    // And one commit in the v1 log, so that the front page shows both.
    let v1 = Repo::new(&stack, "ann@example.com");
    v1.stage("a.txt", "v1\n");
    v1.ok(&["commit", "-S", "-q", "-m", "signed against Rekor v1"]);
    let shots = screenshots();

    let (reads, dialogs) = browse(
        false,
        json!([
            {"goto": format!("{base}/")},
            {"read": "front"},
            {"screenshot": shots.join("front-both-logs.png")},
            {"fill": "#f-email", "value": "vera@example.com"},
            {"click": "form:has(#f-email) button"},
            {"read": "email"},
            {"screenshot": shots.join("search-email-v2.png")},
            {"goto": format!("{base}/")},
            {"fill": "#f-object", "value": object},
            {"click": "form:has(#f-object) button"},
            {"read": "pasted"},
            {"click": "table.entries.v2 a"},
            {"read": "entry"},
            {"screenshot": shots.join("entry-v2.png")},
        ]),
    );
    assert!(dialogs.is_empty(), "{dialogs:?}");
    let front = text(&reads["front"]);
    assert!(front.contains("Rekor v1 log") && front.contains("Rekor v2 log"), "{front}");
    assert!(front.contains(&urls.rekor_v2), "{front}");

    let email = text(&reads["email"]);
    assert!(email.contains("1 entry for email vera@example.com."), "{email}");
    assert!(email.contains("Rekor v2 log: 1 entry"), "{email}");

    let pasted = text(&reads["pasted"]);
    assert!(pasted.contains("1 entry for the pasted object."), "{pasted}");
    assert!(pasted.contains(&digest) && pasted.contains("Rekor v2 log: 1 entry"), "{pasted}");

    let entry = &reads["entry"];
    assert!(entry["url"].as_str().unwrap().contains("/entries/v2/"), "{}", entry["url"]);
    let page = text(entry);
    assert!(page.contains("Identity\tvera@example.com"), "{page}");
    assert!(page.contains(&format!("OIDC issuer\t{}", urls.issuer)), "{page}");
    assert!(page.contains("hashedrekord 0.0.2"), "{page}");
    assert!(page.contains("Inclusion proof verified"), "{page}");
    assert!(page.contains("Timestamp (TSA)\t20"), "the TSA's time is shown: {page}");
    assert!(page.contains("the certificate was valid when the signature was timestamped"), "{page}");
    assert!(page.contains(&digest), "{page}");

    // The command line finds it through the repository, labelled with its log.
    let state = stack.dir.path().to_str().unwrap().to_string();
    let out = Command::new(devstack_bin())
        .args(["log", "search", "--state", &state, "--commit", "HEAD", "--repo", repo.path().to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Rekor v2 log index 0") && stdout.contains("identity  vera@example.com"), "{stdout}");
    assert!(stdout.contains("timestamped 20"), "{stdout}");
    let out = Command::new(devstack_bin())
        .args(["log", "get", "--state", &state, "--log", "v2", "--log-index", "0"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("inclusion proof verified against its checkpoint's root"), "{stdout}");
    assert!(stdout.contains("valid at the TSA timestamp"), "{stdout}");
}
