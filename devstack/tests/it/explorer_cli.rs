//! `gitsign-devstack log search` / `log get` against a running devstack (by state directory and by
//! URL), and the explorer's pages over HTTP (search by every parameter, the entry page, escaping
//! of what the log holds). The browser tests are in the root package (tests/it/explorer.rs).

use crate::common::*;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_gitsign-devstack");

fn log(args: &[&str]) -> Output {
    Command::new(BIN).arg("log").args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Logs a hashedrekord over `artifact` signed by a fresh key certified for `email`; returns the
/// entry's UUID and log index.
fn log_artifact(running: &gitsign_devstack::Running, email: &str, artifact: &[u8]) -> (String, u64) {
    let key = ec_key();
    let chain = cert_for(running, email, &key);
    let resp = post_entry(running, &hashedrekord(artifact, &key, &chain[0]));
    assert_eq!(resp.status(), 201);
    let v: serde_json::Value = resp.json().unwrap();
    let (uuid, entry) = v.as_object().unwrap().iter().next().unwrap();
    (uuid.clone(), entry["logIndex"].as_u64().unwrap())
}

#[test]
fn search_and_get_by_every_key_through_the_state_directory_and_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let state = dir.path().to_str().unwrap();
    let url = running.urls().rekor.clone();
    log_artifact(&running, "other@example.com", b"noise");
    let (uuid, index) = log_artifact(&running, "Ann@Example.com", b"release.tar");
    let digest = hex::encode(gitsign_protocol::sha256(b"release.tar"));

    // By email (case-insensitive, as Rekor), human output, through the state directory.
    let out = log(&["search", "--state", state, "--email", "ann@example.com"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("1 entry found for email ann@example.com"), "{text}");
    assert!(text.contains(&format!("log index {index}")) && text.contains(&uuid), "{text}");
    assert!(text.contains("identity  ann@example.com") || text.contains("identity  Ann@Example.com"), "{text}");
    assert!(text.contains(&format!("issuer    {}", running.urls().issuer)), "{text}");
    assert!(!text.contains("other@example.com"), "{text}");

    // By SHA-256, JSON, through the URL.
    let out = log(&["search", "--state", &url, "--sha256", &format!("sha256:{digest}"), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["uuid"], uuid.as_str());
    assert_eq!(v[0]["logIndex"], index);
    assert_eq!(v[0]["sha256"], digest.as_str());
    assert!(v[0]["entry"]["verification"]["inclusionProof"]["hashes"].is_array(), "{v}");

    // Get by log index and by UUID: the same entry, its proof checked.
    let by_index = log(&["get", "--state", state, "--log-index", &index.to_string()]);
    assert!(by_index.status.success(), "{}", stderr(&by_index));
    let by_uuid = log(&["get", "--state", &url, "--uuid", &uuid]);
    assert!(by_uuid.status.success(), "{}", stderr(&by_uuid));
    assert_eq!(stdout(&by_index), stdout(&by_uuid));
    let text = stdout(&by_index);
    assert!(text.contains("inclusion proof verified against the root it carries"), "{text}");
    assert!(text.contains("Fulcio: OIDC issuer (1.3.6.1.4.1.57264.1.8)"), "{text}");
    assert!(text.contains("(valid at the integrated time)"), "{text}");
    let out = log(&["get", "--state", state, "--uuid", &uuid, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["logIndex"], index);
}

#[test]
fn searches_that_find_nothing_and_bad_input_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let state = dir.path().to_str().unwrap();
    log_artifact(&running, "ann@example.com", b"a");

    let out = log(&["search", "--state", state, "--email", "nobody@example.com"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("No entry found for email nobody@example.com."), "{}", stdout(&out));
    let out = log(&["search", "--state", state, "--email", "nobody@example.com", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap(), serde_json::json!([]));

    let out = log(&["search", "--state", state, "--sha256", "abc"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("is not a SHA-256 digest: give 64 hex digits"), "{}", stderr(&out));

    let out = log(&["get", "--state", state, "--log-index", "99"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no entry at log index 99"), "{}", stderr(&out));
    let out = log(&["get", "--state", state, "--uuid", "zz"]);
    assert!(stderr(&out).contains("is not an entry UUID"), "{}", stderr(&out));

    // A commit ID outside any repository: only what online mode logs is looked up, and it says so.
    let not_repo = tempfile::tempdir().unwrap();
    let id = "0123456789abcdef0123456789abcdef01234567";
    let out = log(&["search", "--state", state, "--commit", id, "--repo", not_repo.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("only what online mode logs"), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("the commit ID {id} as text")), "{}", stdout(&out));

    // Exactly one of the search keys.
    let out = log(&["search", "--state", state]);
    assert!(!out.status.success());
    let out = log(&["search", "--state", state, "--email", "a@b.c", "--sha256", "00"]);
    assert!(stderr(&out).contains("cannot be used with"), "{}", stderr(&out));

    // No devstack at the state directory.
    let empty = tempfile::tempdir().unwrap();
    let out = log(&["search", "--state", empty.path().to_str().unwrap(), "--email", "a@b.c"]);
    assert!(stderr(&out).contains("is a devstack running?"), "{}", stderr(&out));
}

#[test]
fn pages_answer_every_search_parameter_and_escape_what_the_log_holds() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let base = running.urls().base.clone();
    let markup = "<img/src=x/onerror=alert(1)>@evil.example";
    let (uuid, index) = log_artifact(&running, markup, b"hostile");
    let digest = hex::encode(gitsign_protocol::sha256(b"hostile"));
    let get = |path: &str| {
        let r = client().get(format!("{base}{path}")).send().unwrap();
        (r.status().as_u16(), r.headers().get("location").map(|l| l.to_str().unwrap().to_string()), r.text().unwrap())
    };

    let (status, _, front) = get("/");
    assert_eq!(status, 200);
    assert!(front.contains("It holds <b id=log-size>1</b> entry."), "{front}");
    assert!(front.contains("It holds <b id=log-size-v2>0</b> entries."), "{front}");
    assert!(front.contains(&format!("href=\"/entries/{index}\"")), "{front}");
    for param in ["name=email", "name=hash", "name=logIndex", "name=uuid", "name=commitSha", "name=object"] {
        assert!(front.contains(param), "{param} missing");
    }
    // The markup is shown as text, never as a tag.
    assert!(!front.contains("<img"), "{front}");
    assert!(front.contains("&lt;img/src=x/onerror=alert(1)&gt;@evil.example"), "{front}");

    let (status, _, page) = get(&format!("/?email={}", "%3Cimg%2Fsrc%3Dx%2Fonerror%3Dalert(1)%3E%40evil.example"));
    assert_eq!(status, 200);
    assert!(page.contains("1 entry for email"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    let (status, _, page) = get(&format!("/?hash=sha256:{digest}"));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("/entries/{index}")));
    let (status, location, _) = get(&format!("/?logIndex={index}"));
    assert_eq!((status, location.as_deref()), (303, Some(format!("/entries/{index}").as_str())));
    let (status, location, _) = get(&format!("/?uuid={uuid}"));
    assert_eq!((status, location.as_deref()), (303, Some(format!("/entries/{index}").as_str())));

    let (status, _, entry) = get(&format!("/entries/{index}"));
    assert_eq!(status, 200);
    assert!(entry.contains("Inclusion proof verified"), "{entry}");
    assert!(entry.contains("Fulcio: OIDC issuer"), "{entry}");
    assert!(entry.contains("-----BEGIN CERTIFICATE-----"), "{entry}");
    assert!(entry.contains(&format!("/api/v1/log/entries?logIndex={index}")), "{entry}");
    assert!(!entry.contains("<img"), "{entry}");

    // Searches that find nothing, or are malformed, say so.
    let (status, _, page) = get("/?email=nobody%40example.com");
    assert_eq!(status, 404);
    assert!(page.contains("No entry found for email nobody@example.com."), "{page}");
    let (status, _, page) = get("/?logIndex=7");
    assert_eq!(status, 404);
    assert!(page.contains("The Rekor v1 log holds 1 entry (0 to 0)"), "{page}");
    let (status, _, page) = get("/?hash=%3Cb%3E");
    assert_eq!(status, 400);
    assert!(page.contains("&quot;&lt;b&gt;&quot; is not a SHA-256 digest"), "{page}");
    let (status, _, page) = get("/?commitSha=0123456789abcdef0123456789abcdef01234567");
    assert_eq!(status, 404);
    assert!(page.contains("git cat-file commit 0123456789abcdef0123456789abcdef01234567"), "{page}");
    let r = client().post(format!("{base}/search/object")).form(&[("object", "not an object")]).send().unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().unwrap().contains("neither a commit or tag object"));
}

/// Logs a hashedrekord v0.0.2 over `artifact` in the Rekor v2 log, signed by a fresh key
/// certified for `email`; returns its log index.
fn log_artifact_v2(running: &gitsign_devstack::Running, email: &str, artifact: &[u8]) -> u64 {
    use gitsign_protocol::b64;
    use rcgen::SigningKey as _;
    let key = ec_key();
    let pem = &cert_for(running, email, &key)[0];
    let der = gitsign_protocol::unb64(&pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>()).unwrap();
    let request = serde_json::json!({"hashedRekordRequestV002": {
        "digest": b64(gitsign_protocol::sha256(artifact)),
        "signature": {"content": b64(key.sign(artifact).unwrap()), "verifier": {
            "x509Certificate": {"rawBytes": b64(&der)}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"}},
    }});
    let resp = client().post(format!("{}/api/v2/log/entries", running.urls().rekor_v2)).json(&request).send().unwrap();
    assert_eq!(resp.status(), 201);
    let v: serde_json::Value = resp.json().unwrap();
    v["logIndex"].as_str().unwrap().parse().unwrap()
}

#[test]
fn v2_entries_are_searched_and_got_beside_v1_ones_on_the_command_line_and_the_pages() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let state = dir.path().to_str().unwrap();
    let base = running.urls().base.clone();
    log_artifact(&running, "ann@example.com", b"one");
    let index = log_artifact_v2(&running, "ann@example.com", b"two");
    assert_eq!(index, 0);
    let digest = hex::encode(gitsign_protocol::sha256(b"two"));

    // A search looks in both logs and labels each entry with its log; --log narrows it.
    let out = log(&["search", "--state", state, "--email", "ann@example.com"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("2 entries found"), "{text}");
    assert!(text.contains("Rekor v1 log index 0") && text.contains("Rekor v2 log index 0"), "{text}");
    let out = log(&["search", "--state", state, "--email", "ann@example.com", "--log", "v2", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!((v[0]["log"].as_str(), v[0]["logIndex"].as_u64()), (Some("v2"), Some(0)));
    assert_eq!(v[0]["integratedTime"], serde_json::Value::Null, "Rekor v2 logs no time");
    let out = log(&["search", "--state", state, "--sha256", &digest]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 entry found") && stdout(&out).contains("Rekor v2 log index 0"),
        "{}",
        stdout(&out)
    );
    let leaf = v[0]["uuid"].as_str().unwrap().to_string();

    // Get: by index in the v2 log, and by its leaf hash (Rekor v2 has no UUIDs); the proof is
    // checked against the root its signed checkpoint names.
    let out = log(&["get", "--state", state, "--log", "v2", "--log-index", "0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("inclusion proof verified against its checkpoint's root"), "{text}");
    assert!(text.contains("kind      hashedrekord 0.0.2"), "{text}");
    assert!(text.contains("identity  ann@example.com"), "{text}");
    assert!(text.contains(&format!("sha256    {digest}")), "{text}");
    let by_leaf = log(&["get", "--state", state, "--uuid", &leaf]);
    assert!(by_leaf.status.success(), "{}", stderr(&by_leaf));
    assert_eq!(stdout(&by_leaf), text);
    let out = log(&["get", "--state", state, "--log", "v2", "--log-index", "5"]);
    assert!(stderr(&out).contains("no entry at log index 5 of the Rekor v2 log"), "{}", stderr(&out));
    let out = log(&["get", "--state", state, "--log", "both", "--log-index", "0"]);
    assert!(stderr(&out).contains("give --log v1 or --log v2"), "{}", stderr(&out));

    // The pages: both logs on the front page and in a search, the v2 entry page with its proof.
    let get = |path: &str| {
        let r = client().get(format!("{base}{path}")).send().unwrap();
        (r.status().as_u16(), r.headers().get("location").map(|l| l.to_str().unwrap().to_string()), r.text().unwrap())
    };
    let (_, _, front) = get("/");
    assert!(front.contains("It holds <b id=log-size-v2>1</b> entry."), "{front}");
    assert!(front.contains("href=\"/entries/v2/0\"") && front.contains("href=\"/entries/0\""), "{front}");
    let (status, _, page) = get("/?email=ann%40example.com");
    assert_eq!(status, 200);
    assert!(page.contains("2 entries for email ann@example.com."), "{page}");
    assert!(page.contains("Rekor v2 log: 1 entry") && page.contains("href=\"/entries/v2/0\""), "{page}");
    let (_, location, _) = get("/?logIndex=0&log=v2");
    assert_eq!(location.as_deref(), Some("/entries/v2/0"));
    let (_, location, _) = get(&format!("/?uuid={leaf}"));
    assert_eq!(location.as_deref(), Some("/entries/v2/0"));
    let (status, _, entry) = get("/entries/v2/0");
    assert_eq!(status, 200);
    assert!(entry.contains("Inclusion proof verified"), "{entry}");
    assert!(entry.contains("hashedrekord 0.0.2") && entry.contains(&digest), "{entry}");
    assert!(entry.contains("/api/explorer/v2/entries/0"), "{entry}");
    let (status, _, json) = get("/api/explorer/v2/entries/0");
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["kindVersion"]["version"], "0.0.2");
}
