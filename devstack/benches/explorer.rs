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

fn main() {
    let n: u64 = std::env::var("BENCH_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
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
    println!("filled {n} entries through the store in {:.2?}", t.elapsed());
    let t = Instant::now();
    let read = store.backfill_search(tlog::SEARCH_KEYS_VERSION, tlog::search_keys).unwrap();
    println!("search-index backfill of {read} entries (as on opening an older state directory): {:.2?}", t.elapsed());
    drop(store);

    let t = Instant::now();
    let running = Running::start(Options::new(dir.path().to_path_buf())).unwrap();
    println!("devstack start on it (makes keys): {:.2?}", t.elapsed());
    let base = running.urls().base.clone();
    let client = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mid = n / 2;
    let uuid = entry_uuid(
        &HashedRekord::new(&digest(mid + 1), &[0x30; 71], &certs[((mid + 1) % IDENTITIES) as usize]).canonical_json(),
    );
    let pages = [
        ("front page (latest 20)", format!("{base}/"), 200),
        ("front page, an older page", format!("{base}/?before={mid}"), 200),
        (
            "search by email (100 entries, page of 20)",
            format!("{base}/?email=user7%40example.com"),
            if n >= IDENTITIES { 200 } else { 404 },
        ),
        ("search by hash", format!("{base}/?hash=sha256:{}", hex::encode(digest(mid + 1))), 200),
        ("search by log index (redirect)", format!("{base}/?logIndex={mid}"), 303),
        ("search by UUID (redirect)", format!("{base}/?uuid={uuid}"), 303),
        ("search by commit ID (online mode, found)", format!("{base}/?commitSha={}", commit_id(n / 200 * 100)), 200),
        ("search by commit ID (not found)", format!("{base}/?commitSha={}", "ab".repeat(20)), 404),
        ("search with no result (email)", format!("{base}/?email=nobody%40example.com"), 404),
        ("entry page (decoded, proof checked)", format!("{base}/entries/{mid}"), 200),
        ("entry page, the first entry", format!("{base}/entries/0"), 200),
    ];
    let mut worst = Duration::ZERO;
    for (name, url, expect) in &pages {
        let (median, max) = time(&client, url, *expect);
        worst = worst.max(median);
        println!(
            "{name}: median {median:.2?}, worst {max:.2?} (30 requests){}",
            if median > Duration::from_millis(50) { "  OVER 50 ms" } else { "" }
        );
    }
    println!("at {n} entries the slowest page's median is {worst:.2?} (target 50 ms)");
    running.stop().unwrap();
}
