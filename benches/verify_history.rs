//! Benchmark of `gitsign verify` over a long history, against the machine's ECDSA ceiling
//! measured in the same run.
//!
//! Histories of offline-mode commits (each signed over its own payload, each with its own Rekor
//! entry, inclusion proof and signed checkpoint) are made in-process with the devstack's CA and
//! log code and written as one pack: each commit with its own certificate (a login per commit,
//! the worst case), or all sharing one certificate (a credential cache). They are verified by
//! the release `gitsign` binary, which must say every commit verified or no figure is printed.
//!
//! What one commit costs in P-256 verifications (core/src/verify.rs `verify_with`): the CMS
//! signature under the leaf key, the log's signed entry timestamp and its signed checkpoint
//! (3, every commit), plus the leaf's certificate signature by the Fulcio CA and its SCT (2, once
//! per exact certificate DER: a commit sharing an already-checked certificate skips them). So
//! the ceiling is P-256 verifies/s ÷ 5 for own certificates and ÷ 3 for a shared one.
//!
//! The ceiling: P-256 verifications per second on all cores, measured in-process with the code
//! gitsign verifies with (`gitsign_protocol::keys::PublicKey::verify`, aws-lc-rs, keys parsed
//! beforehand, one thread per core), inside each verifier run: every 400 ms the verifier (its
//! process group: gitsign and its git children) is stopped, the ceiling runs for 200 ms, and the
//! verifier continues; its time is its wall time less those pauses. The machine is shared and its
//! speed drifts within seconds: a ceiling measured for 2 s before and 2 s after a run (printed
//! too, for comparison) gave ratios from 0.75 to 0.84 over five runs of the same build where the
//! ceiling inside the runs gave 0.83 to 0.87. The loop goes round 1,024 distinct signatures,
//! each by its own key over its own message, as a history's are: one signature verified over and
//! over runs faster, by 7.5% on the 2-core VM this was measured on (the bench prints the figure
//! it finds), and no verifier meets that. `openssl speed -multi` (the issue's first measure,
//! itself one signature repeated) is timed against the in-process ceiling, alternating, and the
//! median ratio against the in-run ceiling in openssl's terms is printed beside the goal's, for
//! reference only: openssl verifies more slowly than aws-lc in-process (at 0.89 of its rate in
//! the last run on that machine, 0.75-0.8 in earlier ones), so that ratio flatters.
//!
//! Memory: the verifier's peak RSS (VmHWM of /proc/PID/status, polled every 2 ms until it
//! exits: gitsign's own, not its git children's) over shared-certificate histories of the
//! sizes in `BENCH_MEMORY` (default `100000,300000`; `0` to skip).
//!
//! `cargo bench --bench verify_history` (`BENCH_COMMITS=N`, default 10,000, for the throughput
//! runs; `BENCH_RUNS=N`, default 3, runs of each, whose median ratio is the figure;
//! `BENCH_GITSIGN=PATH` to time another gitsign binary than the release build). The
//! repositories are kept under target/bench-verify/ and reused while the devstack state there is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gitsign_devstack::{Options, Running};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Distinct signatures the ceiling goes round.
const SIGNATURES: usize = 1024;

/// A key, a message and its signature.
type Signed = (gitsign_protocol::keys::PublicKey, Vec<u8>, Vec<u8>);

/// `n` distinct signatures, each by its own key over its own message: what a verifier of a
/// history meets (no two commits carry the same signature).
fn distinct_signatures(n: usize) -> Vec<Signed> {
    use p256::ecdsa::signature::Signer as _;
    use p256::pkcs8::EncodePublicKey as _;
    (0..n)
        .map(|i| {
            let mut seed = [0u8; 32];
            aws_lc_rs::rand::fill(&mut seed).unwrap();
            let signer = p256::ecdsa::SigningKey::from_slice(&seed).unwrap();
            let spki = signer.verifying_key().to_public_key_der().unwrap();
            let key = gitsign_protocol::keys::PublicKey::from_spki_der(spki.as_bytes()).unwrap();
            // Each different. Shorter than what gitsign verifies on average (signed attributes
            // ~110 bytes, checkpoints ~100, certificate TBS ~610 and precertificate ~480, SET payloads
            // ~2,300): the message is hashed inside the verification, so a longer one would
            // lower the ceiling.
            let mut message = vec![0x5a; 300];
            message[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let sig: p256::ecdsa::DerSignature = signer.sign(&message);
            (key, message, sig.as_bytes().to_vec())
        })
        .collect()
}

/// Verifies `count` signatures of `work` from the `i`-th on (round and round), with the key type
/// and call gitsign verifies every signature with.
fn verify_round(work: &[Signed], i: &mut usize, count: usize) {
    for _ in 0..count {
        let (key, message, sig) = &work[*i % work.len()];
        key.verify(message, sig).unwrap();
        *i += 1;
    }
}

/// P-256 verifications per second on `threads` threads for `secs` seconds, in-process, going
/// round `work` (each thread from its own place in it).
fn ceiling_in_process(threads: usize, secs: f64, work: &[Signed]) -> f64 {
    ceiling_count(threads, secs, work).0
}

/// [`ceiling_in_process`]'s rate, and the seconds it was measured over: each thread's count over
/// its own time from its first verification to its last, summed (thread start and join, and
/// one thread finishing before another, are nobody's verifications and count for no time).
fn ceiling_count(threads: usize, secs: f64, work: &[Signed]) -> (f64, f64) {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let per_thread: Vec<(u64, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let (mut n, mut i) = (0u64, t * work.len() / threads.max(1));
                    let started = Instant::now();
                    while Instant::now() < deadline {
                        verify_round(work, &mut i, 8);
                        n += 8;
                    }
                    (n, started.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let rate = per_thread.iter().map(|(n, took)| *n as f64 / took).sum();
    let took = per_thread.iter().map(|(_, took)| *took).sum::<f64>() / per_thread.len().max(1) as f64;
    (rate, took)
}

/// How much longer a verification of distinct signatures takes than one of a single signature
/// verified over and over (the usual way to time a verify, `openssl speed`'s too): blocks of 32 of
/// each kind alternate on every thread for `secs` seconds, so that the machine's drift falls on
/// both alike. Returns time(distinct) ÷ time(repeated).
fn repeated_signature_bias(threads: usize, secs: f64, work: &[Signed]) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let spent: Vec<[f64; 2]> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let (mut spent, mut i) = ([0f64; 2], t * work.len() / threads.max(1));
                    let repeated = std::slice::from_ref(&work[i % work.len()]);
                    while Instant::now() < deadline {
                        let a = Instant::now();
                        verify_round(repeated, &mut 0, 32);
                        spent[0] += a.elapsed().as_secs_f64();
                        let a = Instant::now();
                        verify_round(work, &mut i, 32);
                        spent[1] += a.elapsed().as_secs_f64();
                    }
                    spent
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    spent.iter().map(|s| s[1]).sum::<f64>() / spent.iter().map(|s| s[0]).sum::<f64>()
}

/// `openssl speed -multi THREADS ecdsap256`'s verify/s, if openssl is there.
fn ceiling_openssl(threads: usize) -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", "-multi", &threads.to_string(), "ecdsap256"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().rev().find(|l| l.contains("ecdsa (nistp256)"))?.split_whitespace().last()?.parse().ok()
}
/// Commits made in-process, fast: the devstack's own CA issues the certificates and the
/// devstack's Rekor code (`Log`, `Store`: the same code its HTTP API runs) logs the entries, in
/// a log of its own on /dev/shm, so nothing goes through HTTP. The signatures are real: each
/// commit is signed over its own payload and carries its own log entry with an inclusion proof
/// and a signed checkpoint, and the verifier checks all of it against the devstack's trust root
/// (copied beside the repository). Objects go into one pack through `git index-pack`.
fn generate_fast(dir: &Path, n: usize, state_dir: &Path, rekor_url: &str, issuer_url: &str, shared: bool) {
    use gitsign_devstack::ca::{Ca, San};
    use gitsign_devstack::store::{NewEntry, Store};
    use gitsign_devstack::tlog::Log;
    use p256::ecdsa::signature::Signer as _;
    use p256::pkcs8::EncodePublicKey as _;
    use prost::Message as _;
    use rcgen::SigningKey as _;
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    let tree = git(dir, &["hash-object", "-t", "tree", "-w", "--stdin"]).trim().to_string();
    let keys = gitsign_devstack::state::Keys::load_or_create(
        &Store::open_read_only(&gitsign_devstack::state::db_path(state_dir)).unwrap(),
    )
    .unwrap();
    let gitsign_devstack::state::Keys {
        intermediate, root_der, intermediate_der, rekor, ctlog, tree_id, created, ..
    } = keys;
    let mut ca = Ca::new(root_der, intermediate_der, intermediate, ctlog).unwrap();
    ca.set_leaf_lifetime(time::Duration::hours(24));
    // The SETs are signed with the log's key, loaded a second time (`Log` keeps its own).
    let set_key = gitsign_devstack::state::Keys::load_or_create(
        &Store::open_read_only(&gitsign_devstack::state::db_path(state_dir)).unwrap(),
    )
    .unwrap()
    .rekor;
    let log = Log::new(rekor, tree_id, gitsign_protocol::checkpoint::log_name(rekor_url).unwrap().to_string());
    let db = PathBuf::from(format!("/dev/shm/gitsign-bench-log-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let mut store = Store::open(&db).unwrap();
    // Within every window of the trust root, which starts when the state was made.
    let now = (time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).max(created + time::Duration::seconds(1));
    let new_key = || {
        let mut seed = [0u8; 32];
        aws_lc_rs::rand::fill(&mut seed).unwrap();
        p256::ecdsa::SigningKey::from_slice(&seed).unwrap()
    };
    let issue = |key: &p256::ecdsa::SigningKey| {
        let spki = key.verifying_key().to_public_key_der().unwrap();
        ca.issue(spki.as_bytes(), &San::Email("bench@example.com".into()), issuer_url, now).unwrap().0
    };
    let mut shared_cred = None;
    let mut pack = PackWriter::new(dir, n);
    let mut parent: Option<String> = None;
    let started = Instant::now();
    for i in 0..n {
        let mut payload = format!("tree {tree}\n");
        if let Some(p) = &parent {
            payload.push_str(&format!("parent {p}\n"));
        }
        let when = 1_700_000_000 + i;
        payload.push_str(&format!(
            "author Bench <bench@example.com> {when} +0000\ncommitter Bench <bench@example.com> {when} +0000\n\ncommit {i}\n"
        ));
        let own;
        let (key, leaf) = match (&shared_cred, shared) {
            (Some((k, l)), true) => (k, l),
            _ => {
                let key = new_key();
                let leaf = issue(&key);
                if shared {
                    shared_cred = Some((key, leaf));
                    let (k, l) = shared_cred.as_ref().unwrap();
                    (k, l)
                } else {
                    own = (key, leaf);
                    (&own.0, &own.1)
                }
            }
        };
        let utc = der::asn1::UtcTime::from_unix_duration(Duration::from_secs(now.unix_timestamp() as u64)).unwrap();
        let (attrs, attrs_der) =
            gitsign_core::signature::signed_attributes(&gitsign_protocol::sha256(payload.as_bytes()), utc).unwrap();
        let sig: p256::ecdsa::DerSignature = key.sign(&attrs_der);
        let cert_pem = gitsign_protocol::keys::pem_encode("CERTIFICATE", leaf);
        let body = gitsign_protocol::rekor::HashedRekord::new(
            &gitsign_protocol::sha256(&attrs_der),
            sig.as_bytes(),
            &cert_pem,
        )
        .canonical_json();
        let entry = NewEntry { body, integrated_time: now.unix_timestamp() + 1, search_keys: vec![] };
        let appended = store
            .append(std::slice::from_ref(&entry), |index, e| {
                let payload = gitsign_protocol::rekor::set_payload(&e.body, e.integrated_time, log.log_id_hex(), index);
                set_key.sign(&payload)
            })
            .unwrap();
        let index = match appended.first() {
            Some(gitsign_devstack::store::Appended::New(index)) => *index,
            other => panic!("the bench log did not append entry {i}: {other:?}"),
        };
        let (_, logged) = log.entry(&store, index).unwrap();
        let tlog = gitsign_core::tlog::TransparencyLogEntry::from_rekor(&logged, "hashedrekord", "0.0.1").unwrap();
        let der =
            gitsign_core::signature::assemble_with(leaf, attrs, sig.as_bytes(), Some(&tlog.encode_to_vec()), None)
                .unwrap();
        let armored = gitsign_core::signature::armor(&der);
        let (headers, message) = payload.split_once("\n\n").unwrap();
        let object = format!("{headers}\ngpgsig {}\n\n{message}", armored.trim_end().replace('\n', "\n "));
        parent = Some(pack.add_commit(object.as_bytes()));
        if i % 10_000 == 9_999 {
            eprintln!("  generated {} commits in {:.0?}", i + 1, started.elapsed());
        }
    }
    drop(store);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    pack.finish();
    git(dir, &["update-ref", "refs/heads/main", parent.as_deref().unwrap()]);
    // Last: its presence marks a finished history.
    std::fs::copy(state_dir.join("trusted_root.json"), dir.join("trusted_root.json")).unwrap();
}

/// Writes commits into one pack (objects zlib-"stored", uncompressed: the bench measures the
/// verifier, not compression), indexed by `git index-pack` at the end.
struct PackWriter {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    hash: aws_lc_rs::digest::Context,
    count: usize,
    expected: usize,
}

impl PackWriter {
    fn new(dir: &Path, n: usize) -> Self {
        let path = dir.join(".git/bench.pack");
        let out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
        let mut w = PackWriter {
            path,
            out,
            hash: aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY),
            count: 0,
            expected: n,
        };
        let mut header = b"PACK".to_vec();
        header.extend_from_slice(&2u32.to_be_bytes());
        header.extend_from_slice(&u32::try_from(n).unwrap().to_be_bytes());
        w.put(&header);
        w
    }

    fn put(&mut self, bytes: &[u8]) {
        self.hash.update(bytes);
        self.out.write_all(bytes).unwrap();
    }

    /// Adds a commit object; returns its ID.
    fn add_commit(&mut self, object: &[u8]) -> String {
        let mut id = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY);
        id.update(format!("commit {}\0", object.len()).as_bytes());
        id.update(object);
        let mut size = object.len();
        let mut header = vec![(1u8 << 4) | (size & 0x0f) as u8];
        size >>= 4;
        while size > 0 {
            *header.last_mut().unwrap() |= 0x80;
            header.push((size & 0x7f) as u8);
            size >>= 7;
        }
        self.put(&header);
        // zlib: header, stored blocks of at most 65,535 bytes, Adler-32.
        self.put(&[0x78, 0x01]);
        let chunks: Vec<&[u8]> = object.chunks(65_535).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let len = chunk.len() as u16;
            let mut block = vec![u8::from(i + 1 == chunks.len())];
            block.extend_from_slice(&len.to_le_bytes());
            block.extend_from_slice(&(!len).to_le_bytes());
            self.put(&block);
            self.put(chunk);
        }
        let (mut a, mut b) = (1u32, 0u32);
        for byte in object {
            a = (a + u32::from(*byte)) % 65_521;
            b = (b + a) % 65_521;
        }
        self.put(&((b << 16) | a).to_be_bytes());
        self.count += 1;
        hex::encode(id.finish())
    }

    fn finish(mut self) {
        assert_eq!(self.count, self.expected);
        let trailer = self.hash.clone().finish();
        self.out.write_all(trailer.as_ref()).unwrap();
        self.out.flush().unwrap();
        drop(self.out);
        let dir = self.path.parent().unwrap().parent().unwrap().to_path_buf();
        let status = Command::new("git")
            .args(["index-pack", "--stdin"])
            .current_dir(&dir)
            .stdin(std::fs::File::open(&self.path).unwrap())
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "git index-pack refused the bench pack");
        std::fs::remove_file(&self.path).unwrap();
    }
}

/// What one verifier run measured.
struct Run {
    /// Seconds the verifier ran: from its start to its exit, less the time it was stopped.
    secs: f64,
    /// Peak RSS, kB.
    peak: u64,
    /// CPU seconds (user + system) of gitsign itself, not its git children.
    cpu: f64,
    /// The ceiling measured while the verifier was stopped (P-256 verifies/s), if it was.
    ceiling: Option<f64>,
    /// How many times it was stopped for the ceiling.
    pauses: usize,
    /// Time spent seeing it stop, all counted in `secs`.
    confirming: Duration,
}

/// The ceiling interleaved with a verifier run: every `RUN_SLICE` of the verifier its whole
/// process group (gitsign and its git children) is stopped, the ceiling runs for `CEILING_SLICE`
/// on every core, and the group continues. Both then see the machine in the same second, so a
/// drift of its speed (the host's other guests) falls on both alike, where a ceiling measured
/// before and after a run of seconds can differ by a third from what the run saw.
const RUN_SLICE: Duration = Duration::from_millis(400);
const CEILING_SLICE: f64 = 0.2;

/// Whether every thread of process `pid` and of its descendants (gitsign's git children) is
/// stopped, or gone.
fn all_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return true };
    for t in tasks.flatten() {
        let state = std::fs::read_to_string(t.path().join("stat")).ok().and_then(|stat| {
            stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_owned))
        });
        // T: stopped; t: traced; Z/X: exited. A task gone between the two reads runs nothing.
        if let Some(state) = state
            && !matches!(state.as_str(), "T" | "t" | "Z" | "X")
        {
            return false;
        }
        let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        if !children.split_whitespace().filter_map(|c| c.parse().ok()).all(all_stopped) {
            return false;
        }
    }
    true
}

/// Runs the verifier over the `n` commits of `dir`, polling its peak RSS and CPU time; with
/// `ceiling` (the signatures and threads to measure it with), stops it now and then to
/// measure the ceiling in the same seconds (see [`RUN_SLICE`]). The time it is stopped is
/// taken off its own only from when every thread of the group is seen stopped to just before
/// it is continued: a little of the pause counts as the verifier's, never the other way.
/// Panics, so that no figure is printed, unless the verifier exited 0 and its summary says all
/// `n` commits verified: the speed of refusing every commit is no speed of verifying them.
fn verify(dir: &Path, gitsign: &Path, n: usize, ceiling: Option<(&[Signed], usize)>) -> Run {
    use std::os::unix::process::CommandExt as _;
    let mut cmd = Command::new(gitsign);
    cmd.args(["verify", "--offline", "--trusted-root"]).arg(dir.join("trusted_root.json")).arg("--all");
    cmd.current_dir(dir);
    cmd.args(["--certificate-identity", "bench@example.com", "--certificate-oidc-issuer-regexp", ".*"]);
    // Its own process group, so that its git children are stopped with it.
    cmd.process_group(0);
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let pgid = child.id();
    let (status_path, stat_path) = (format!("/proc/{}/status", child.id()), format!("/proc/{}/stat", child.id()));
    let (mut peak, mut cpu) = (0u64, 0f64);
    let (mut stopped, mut verifies, mut ceiling_secs, mut pauses) = (Duration::ZERO, 0f64, 0f64, 0usize);
    // Time from a stop to seeing it: counted as the verifier's.
    let mut confirming = Duration::ZERO;
    let mut slice_start = Instant::now();
    // Clock ticks per second of /proc/PID/stat's utime and stime (100 on Linux).
    let ticks = 100.0;
    let exit = loop {
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(kb) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        {
            peak = peak.max(kb);
        }
        if let Ok(stat) = std::fs::read_to_string(&stat_path)
            && let Some((_, rest)) = stat.rsplit_once(')')
        {
            let f: Vec<&str> = rest.split_whitespace().collect();
            if let (Some(u), Some(s)) =
                (f.get(11).and_then(|v| v.parse::<f64>().ok()), f.get(12).and_then(|v| v.parse::<f64>().ok()))
            {
                cpu = cpu.max((u + s) / ticks);
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some((work, threads)) = ceiling
            && slice_start.elapsed() >= RUN_SLICE
        {
            let pid = rustix::process::Pid::from_child(&child);
            if rustix::process::kill_process_group(pid, rustix::process::Signal::STOP).is_ok() {
                let wait = Instant::now();
                // A thread waiting on a child stopped before it ran its program (posix_spawn)
                // is not stopped but waits for it: that pause is given up, counted as the
                // verifier's time, and the next slice tries again.
                let mut seen = all_stopped(pgid);
                while !seen && wait.elapsed() < Duration::from_millis(50) {
                    std::thread::sleep(Duration::from_micros(200));
                    seen = all_stopped(pgid);
                }
                let paused = Instant::now();
                confirming += paused - wait;
                if seen {
                    let (rate, took) = ceiling_count(threads, CEILING_SLICE, work);
                    verifies += rate * took;
                    ceiling_secs += took;
                    pauses += 1;
                    stopped += paused.elapsed();
                }
                rustix::process::kill_process_group(pid, rustix::process::Signal::CONT).unwrap();
            }
            slice_start = Instant::now();
            continue;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let secs = (started.elapsed() - stopped).as_secs_f64();
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let summary = stderr.lines().last().unwrap_or("").to_string();
    let all = format!("gitsign: {n} of {n} commits verified (0 failed, 0 unsigned)");
    assert!(
        exit.success() && summary.starts_with(&all),
        "refusing to report a speed for {}: the verifier must exit 0 and say {all:?}; it exited {exit} \
         and said:\n{}",
        dir.display(),
        stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    Run { secs, peak, cpu, ceiling: (ceiling_secs > 0.0).then(|| verifies / ceiling_secs), pauses, confirming }
}

fn main() {
    let n: usize = std::env::var("BENCH_COMMITS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let memory: Vec<usize> = std::env::var("BENCH_MEMORY")
        .unwrap_or_else(|_| "100000,300000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .filter(|v| *v > 0)
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let root_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-verify");
    let state_dir = root_dir.join("state");
    let running = Running::start(Options::new(state_dir.clone())).unwrap();
    let (rekor, issuer) = (running.urls().rekor.clone(), running.urls().issuer.clone());
    // BENCH_GITSIGN=PATH times another build (e.g. target/debug/gitsign) instead of the release one.
    let gitsign = match std::env::var_os("BENCH_GITSIGN") {
        Some(path) => PathBuf::from(path),
        None => {
            assert!(
                Command::new("cargo")
                    .args(["build", "--release", "--quiet", "--bin", "gitsign"])
                    .status()
                    .unwrap()
                    .success()
            );
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/release/gitsign")
        }
    };
    let history = |shared: bool, size: usize| {
        let dir = root_dir.join(format!("{}-{size}", if shared { "shared" } else { "own" }));
        if !dir.join("trusted_root.json").exists() {
            let _ = std::fs::remove_dir_all(&dir);
            eprintln!("generating {size} commits ({}) in {}", if shared { "shared" } else { "own" }, dir.display());
            let t = Instant::now();
            generate_fast(&dir, size, &state_dir, &rekor, &issuer, shared);
            eprintln!("  done in {:.1?}", t.elapsed());
        }
        dir
    };
    let work = distinct_signatures(SIGNATURES);
    println!(
        "P-256: a verification of {SIGNATURES} distinct signatures takes {:.3}x the time of one signature verified \
         over and over (alternating blocks, {threads} threads, 4 s): the ceiling goes round the distinct ones",
        repeated_signature_bias(threads, 4.0, &work)
    );
    // openssl's speed as a fraction of the in-process ceiling's, from 3 s of each alternating
    // three times (a single openssl run set against runs minutes later says more about the
    // machine's drift than about either): what the in-run ceiling would have been in openssl's
    // terms.
    // `openssl speed` signs for its 3 s before it verifies for 3: the in-process ceiling is
    // measured right before and right after it, and the two averaged.
    let mut speeds = Vec::new();
    for _ in 0..3 {
        let before = ceiling_in_process(threads, 3.0, &work);
        let Some(theirs) = ceiling_openssl(threads) else { break };
        let after = ceiling_in_process(threads, 3.0, &work);
        println!(
            "openssl speed -multi {threads} ecdsap256: {theirs:.0} verifies/s; in-process ceiling before/after: \
             {before:.0}/{after:.0} (load average {})",
            loadavg()
        );
        speeds.push(theirs / ((before + after) / 2.0));
    }
    speeds.sort_by(f64::total_cmp);
    // The median of three (of fewer if openssl failed on the way: then none).
    let openssl = (speeds.len() == 3).then(|| speeds[1]);
    if let Some(f) = openssl {
        println!("openssl speed verifies at {f:.2} of the in-process ceiling's rate (median of {})", speeds.len());
    }
    // Each ratio is one verifier run against the ceiling measured in its pauses; what is left of
    // the machine's drift (within a pause's second) still moves single runs by a few percent,
    // so BENCH_RUNS of them (default 3) are made and the median is the figure.
    let runs: usize = std::env::var("BENCH_RUNS").ok().and_then(|v| v.parse().ok()).filter(|r| *r > 0).unwrap_or(3);
    for (name, shared, per_commit) in
        [("own certificate per commit", false, 5.0), ("one shared certificate", true, 3.0)]
    {
        let dir = history(shared, n);
        let mut ratios = Vec::new();
        for run in 1..=runs {
            let before = ceiling_in_process(threads, 2.0, &work);
            let load = loadavg();
            let r = verify(&dir, &gitsign, n, Some((&work, threads)));
            let after = ceiling_in_process(threads, 2.0, &work);
            let rate = n as f64 / r.secs;
            // The figure: the ceiling measured inside the run (before/after, for comparison, and
            // in its place when the run was too short to be paused).
            let outside = (before + after) / 2.0 / per_commit;
            let (inside, measured) = match r.ceiling {
                Some(c) => (
                    c / per_commit,
                    format!(
                        "inside the run ({} pauses, {:.1} ms seeing them)",
                        r.pauses,
                        r.confirming.as_secs_f64() * 1e3
                    ),
                ),
                None => (outside, "before/after the run (too short to pause)".to_string()),
            };
            ratios.push(rate / inside);
            println!(
                "{name} (run {run}/{runs}): {n} commits in {:.2}s = {rate:.0} commits/s (CPU {:.2}s); ceiling \
                 {threads} cores × P-256 {:.0} verifies/s {measured} ÷ {per_commit} = {inside:.0} \
                 commits/s; ratio {:.2} (against {before:.0}/{after:.0} before/after the run: {:.2}); peak RSS \
                 {:.1} MB; load average {load}",
                r.secs,
                r.cpu,
                inside * per_commit,
                rate / inside,
                rate / outside,
                r.peak as f64 / 1024.0,
            );
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "{name}: median ratio {:.2} of {runs} run(s) ({}; goal >= 0.9)",
            ratios[ratios.len() / 2],
            ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ")
        );
        // The issue's first measure, for comparison only: openssl verifies more slowly than
        // aws-lc does in-process on this machine, so this ratio flatters.
        if let Some(f) = openssl {
            println!(
                "{name}: median ratio against the openssl speed ceiling (the in-run ceiling × {f:.2}): {:.2} (not the \
                 goal's ceiling)",
                ratios[ratios.len() / 2] / f
            );
        }
    }
    let mut peaks = Vec::new();
    for size in memory {
        let dir = history(true, size);
        let load = loadavg();
        let Run { secs, peak, .. } = verify(&dir, &gitsign, size, None);
        println!(
            "memory, one shared certificate: {size} commits in {secs:.1}s = {:.0} commits/s, peak RSS {:.1} MB; \
             load average {load}",
            size as f64 / secs,
            peak as f64 / 1024.0
        );
        peaks.push(peak as f64 / 1024.0);
    }
    if let (Some(lo), Some(hi)) = (peaks.iter().copied().reduce(f64::min), peaks.iter().copied().reduce(f64::max))
        && peaks.len() > 1
    {
        println!("memory: peak RSS {lo:.1}–{hi:.1} MB, the largest {:.0}% above the smallest", (hi / lo - 1.0) * 100.0);
    }
    let _ = std::io::stdout().flush();
    running.stop().unwrap();
}
