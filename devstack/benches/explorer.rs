//! The log explorer at 100,000 entries: fills a state directory's database directly through the
//! store (not HTTP) with hashedrekord entries signed under 1,000 certificate identities, times
//! the search-index backfill of that database, starts the devstack on it, and times each search
//! page and the entry page over HTTP (median and worst of repeated requests; the target is 50 ms
//! each).
//!
//! `cargo bench -p gitsign-devstack --bench explorer` (`BENCH_ENTRIES=N` to change the size); the
//! debug build (`cargo build -p gitsign-devstack --benches`, then run target/debug/deps/explorer-*)
//! gives an upper bound.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gitsign_devstack::store::{NewEntry, Store};
use gitsign_devstack::{Options, Running, state, tlog};
use gitsign_protocol::rekor::{HashedRekord, entry_uuid};
use rcgen::{CertificateParams, CustomExtension, KeyPair, PKCS_ECDSA_P256_SHA256, SanType};
use std::time::{Duration, Instant};

const IDENTITIES: u64 = 1000;

fn cert_pem(k: u64) -> String {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = CertificateParams::default();
    params.subject_alt_names = vec![SanType::Rfc822Name(format!("user{k}@example.com").try_into().unwrap())];
    let issuer = "https://issuer.example";
    let mut value = vec![0x0c, issuer.len() as u8];
    value.extend_from_slice(issuer.as_bytes());
    params.custom_extensions = vec![CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 57264, 1, 8], value)];
    params.self_signed(&key).unwrap().pem()
}

/// Entry `i`: every 100th logs what online mode logs for a commit ID, the others an artifact.
fn digest(i: u64) -> [u8; 32] {
    if i.is_multiple_of(100) {
        gitsign_protocol::sha256(commit_id(i).as_bytes())
    } else {
        gitsign_protocol::sha256(&i.to_be_bytes())
    }
}

fn commit_id(i: u64) -> String {
    hex::encode(&gitsign_protocol::sha256(&i.to_le_bytes())[..20])
}

fn time(client: &reqwest::blocking::Client, url: &str, expect: u16) -> (Duration, Duration) {
    let mut samples = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let r = client.get(url).send().unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().unwrap();
        samples.push(t.elapsed());
        assert_eq!(status, expect, "{url}: {}", String::from_utf8_lossy(&body));
    }
    samples.sort();
    (samples[samples.len() / 2], *samples.last().unwrap())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Rekor v2 entry `j`: a hashedrekord 0.0.2 over [`digest`], as the v2 log writes it.
fn v2_body(j: u64, cert_der: &[u8]) -> Vec<u8> {
    use gitsign_protocol::b64;
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "0.0.2",
        "kind": "hashedrekord",
        "spec": {"hashedRekordV002": {
            "data": {"algorithm": "SHA2_256", "digest": b64(digest(j))},
            "signature": {"content": b64([0x30; 71]), "verifier": {
                "x509Certificate": {"rawBytes": b64(cert_der)}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"}},
        }},
    }))
    .unwrap()
}

fn der(pem: &str) -> Vec<u8> {
    gitsign_protocol::unb64(&pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>()).unwrap()
}

fn main() {
    let n: u64 = std::env::var("BENCH_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let n2: u64 = std::env::var("BENCH_ENTRIES_V2").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
    println!("load average at the start: {}", loadavg());
    let dir = tempfile::tempdir().unwrap();
    let certs: Vec<String> = (0..IDENTITIES).map(cert_pem).collect();
    let mut store = Store::open(&state::db_path(dir.path())).unwrap();
    let t = Instant::now();
    let batch = 1000;
    let mut i = 0;
    while i < n {
        let entries: Vec<NewEntry> = (i..(i + batch).min(n))
            .map(|j| NewEntry {
                body: HashedRekord::new(&digest(j), &[0x30; 71], &certs[(j % IDENTITIES) as usize]).canonical_json(),
                integrated_time: 1_700_000_000 + j as i64,
                // Filled below by the backfill, as for a database from before the index.
                search_keys: vec![],
            })
            .collect();
        store.append(&entries, |_, _| Ok::<_, ()>(vec![0x30; 70])).unwrap();
        i += batch;
    }
    println!("filled {n} v1 entries through the store in {:.2?}", t.elapsed());
    let t = Instant::now();
    let read = store.backfill_search(tlog::SEARCH_KEYS_VERSION, tlog::search_keys).unwrap();
    println!("search-index backfill of {read} entries (as on opening an older state directory): {:.2?}", t.elapsed());
    drop(store);

    // The Rekor v2 log's database as an older devstack left it (entries, no search index): the
    // devstack's start rebuilds the tree and backfills the index.
    let t = Instant::now();
    {
        let ders: Vec<Vec<u8>> = certs.iter().map(|p| der(p)).collect();
        let mut conn = rusqlite::Connection::open(gitsign_devstack::rekor_v2::db_path(dir.path())).unwrap();
        conn.execute_batch("CREATE TABLE entries (idx INTEGER PRIMARY KEY, body BLOB NOT NULL);").unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut put = tx.prepare("INSERT INTO entries (idx, body) VALUES (?1, ?2)").unwrap();
            for j in 0..n2 {
                put.execute(rusqlite::params![j as i64, v2_body(j, &ders[(j % IDENTITIES) as usize])]).unwrap();
            }
        }
        tx.commit().unwrap();
    }
    println!("filled {n2} v2 entries in {:.2?}", t.elapsed());

    let t = Instant::now();
    let running = Running::start(Options::new(dir.path().to_path_buf())).unwrap();
    println!("devstack start on it (makes keys, rebuilds the v2 tree, backfills the v2 index): {:.2?}", t.elapsed());
    let base = running.urls().base.clone();
    let client = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mid = n / 2;
    let mid2 = n2 / 2;
    let uuid = entry_uuid(
        &HashedRekord::new(&digest(mid + 1), &[0x30; 71], &certs[((mid + 1) % IDENTITIES) as usize]).canonical_json(),
    );
    let leaf2 = hex::encode(gitsign_protocol::merkle::leaf_hash(&v2_body(
        mid2 + 1,
        &der(&certs[((mid2 + 1) % IDENTITIES) as usize]),
    )));
    let found = |k: u64| if k > 0 { 200 } else { 404 };
    let pages = [
        ("front page (latest 20 of each log)", format!("{base}/"), 200),
        ("front page, older pages of both logs", format!("{base}/?before={mid}&before2={mid2}"), 200),
        (
            "search by email (~100 entries per log, a page of 20 each)",
            format!("{base}/?email=user7%40example.com"),
            found(n.min(n2) / IDENTITIES),
        ),
        (
            "search by email, a later page",
            format!("{base}/?email=user7%40example.com&before={mid}&before2={mid2}"),
            200,
        ),
        ("search by hash (v1 entry)", format!("{base}/?hash=sha256:{}", hex::encode(digest(mid + 1))), 200),
        ("search by log index (v1, redirect)", format!("{base}/?logIndex={mid}"), 303),
        ("search by log index (v2, redirect)", format!("{base}/?logIndex={mid2}&log=v2"), 303),
        ("search by UUID (v1, redirect)", format!("{base}/?uuid={uuid}"), 303),
        ("search by UUID = v2 leaf hash (redirect)", format!("{base}/?uuid={leaf2}"), 303),
        ("search by commit ID (online mode, found)", format!("{base}/?commitSha={}", commit_id(n / 200 * 100)), 200),
        ("search by commit ID (not found)", format!("{base}/?commitSha={}", "ab".repeat(20)), 404),
        ("search with no result (email)", format!("{base}/?email=nobody%40example.com"), 404),
        ("entry page v1 (decoded, proof checked)", format!("{base}/entries/{mid}"), 200),
        ("entry page v1, the first entry", format!("{base}/entries/0"), 200),
        ("entry page v2 (decoded, proof checked)", format!("{base}/entries/v2/{mid2}"), 200),
        ("v2 entry JSON (CLI's log get --log v2)", format!("{base}/api/explorer/v2/entries/{mid2}"), 200),
        ("v2 search JSON (CLI's log search)", format!("{base}/api/explorer/v2/search?email=user7%40example.com"), 200),
    ];
    println!("\n{n} v1 entries, {n2} v2 entries; 30 requests per page over loopback\n");
    println!("| {:<58} | {:>10} | {:>10} |", "page", "median", "worst");
    println!("|{:-<60}|{:->12}|{:->12}|", "", "", "");
    let (mut slowest_median, mut slowest) = (Duration::ZERO, Duration::ZERO);
    for (name, url, expect) in &pages {
        let (median, max) = time(&client, url, *expect);
        slowest_median = slowest_median.max(median);
        slowest = slowest.max(max);
        println!(
            "| {name:<58} | {:>7.2} ms | {:>7.2} ms |{}",
            median.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            if max > Duration::from_millis(50) { " OVER 50 ms" } else { "" }
        );
    }
    println!(
        "\nslowest median {:.2} ms, slowest single request {:.2} ms (target 50 ms); load average at the end: {}",
        slowest_median.as_secs_f64() * 1e3,
        slowest.as_secs_f64() * 1e3,
        loadavg()
    );
    running.stop().unwrap();
}
