//! Benchmark of `gitsign verify` over a long history: N offline-mode commits (default 10,000),
//! made against an in-process devstack and written with `git fast-import`, verified by the
//! release `gitsign` binary. Two histories: each commit with its own certificate (a login per
//! commit, the worst case) and all commits sharing one certificate (a credential cache).
//! Prints commits/s and the peak resident memory of the verifier.
//!
//! `cargo bench --bench verify_history` (`BENCH_COMMITS=N` to change the size, `BENCH_GITSIGN=PATH`
//! to time another gitsign binary than the release build). Figures are printed only when every
//! commit verified. The generated repositories are kept under target/bench-verify/ and reused
//! while the devstack state there is.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use gitsign::ui::Ui;
use gitsign_core::config::{Config, Env};
use gitsign_core::credential::Credential;
use gitsign_devstack::oidc::Subject;
use gitsign_devstack::{Options, Running, state};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Writes `n` signed commits on `main` of a new repository at `dir`.
fn generate(dir: &Path, n: usize, config: &Config, env: &Env, shared: bool) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    let tree = git(dir, &["hash-object", "-t", "tree", "-w", "--stdin"]).trim().to_string();
    let http = gitsign_core::net::Http::new(Duration::from_secs(30)).unwrap();
    let trust = gitsign::trust::load_trust(config).unwrap();
    let mut ui = Ui::to(Box::new(std::io::sink()));
    let mut shared_credential: Option<Credential> = None;
    let mut parent: Option<String> = None;
    let tmp = dir.join("commit.tmp");
    let started = Instant::now();
    for i in 0..n {
        let mut payload = format!("tree {tree}\n");
        if let Some(p) = &parent {
            payload.push_str(&format!("parent {p}\n"));
        }
        let when = 1_700_000_000 + i;
        payload.push_str(&format!("author Bench <bench@example.com> {when} +0000\ncommitter Bench <bench@example.com> {when} +0000\n\ncommit {i}\n"));
        let credential = match (&shared_credential, shared) {
            (Some(c), true) => c,
            _ => {
                shared_credential = Some(gitsign::credential::obtain_credential(config, env, &http, &mut ui).unwrap());
                shared_credential.as_ref().unwrap()
            }
        };
        let signed = gitsign_core::sign::sign_with(payload.as_bytes(), credential, config, &http, &trust).unwrap();
        let (headers, message) = payload.split_once("\n\n").unwrap();
        let object = format!("{headers}\ngpgsig {}\n\n{message}", signed.armored.trim_end().replace('\n', "\n "));
        std::fs::write(&tmp, object).unwrap();
        let sha = git(dir, &["hash-object", "-t", "commit", "-w", "commit.tmp"]).trim().to_string();
        parent = Some(sha);
        if i % 1000 == 999 {
            eprintln!("  generated {} commits in {:.0?}", i + 1, started.elapsed());
        }
    }
    std::fs::remove_file(&tmp).unwrap();
    git(dir, &["update-ref", "refs/heads/main", parent.as_deref().unwrap()]);
}

/// Runs the verifier; returns (seconds, peak RSS in kB, verified count line). Panics, so that no
/// figure is printed, unless the verifier exited 0 and its summary says all `n` commits verified:
/// the speed of refusing every commit is no speed of verifying them.
fn verify(dir: &Path, gitsign: &Path, root: &Path, json: bool, n: usize) -> (f64, u64, String) {
    let mut cmd = Command::new(gitsign);
    cmd.args(["verify", "--offline", "--trusted-root"]).arg(root).arg("--all").current_dir(dir);
    // `gitsign verify` requires who may sign; the kept repositories outlive the devstack's issuer URL.
    cmd.args(["--certificate-identity", "bench@example.com", "--certificate-oidc-issuer-regexp", ".*"]);
    if json {
        cmd.args(["--output", "json"]);
    }
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
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
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let secs = started.elapsed().as_secs_f64();
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
    (secs, peak, summary)
}

fn main() {
    let n: usize = std::env::var("BENCH_COMMITS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let root_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-verify");
    let state_dir = root_dir.join("state");
    let running = Running::start(Options::new(state_dir.clone())).unwrap();
    let token = state::load_issuer(&state_dir)
        .unwrap()
        .mint(&Subject::Email("bench@example.com".into()), None, Duration::from_secs(3600))
        .unwrap();
    let urls = running.urls();
    let env: Env = [
        ("GITSIGN_FULCIO_URL", urls.fulcio.as_str()),
        ("GITSIGN_REKOR_URL", urls.rekor.as_str()),
        ("GITSIGN_OIDC_ISSUER", urls.issuer.as_str()),
        ("SIGSTORE_ID_TOKEN", token.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([("GITSIGN_TRUSTED_ROOT".to_string(), state_dir.join("trusted_root.json").display().to_string())])
    .collect();
    let config = Config::resolve(&Default::default(), &env).unwrap();
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
    for (name, shared) in [("own certificate per commit", false), ("one shared certificate", true)] {
        let dir = root_dir.join(format!("{}-{n}", if shared { "shared" } else { "own" }));
        if !dir.join(".git").exists() {
            eprintln!("generating {n} commits ({name}) in {}", dir.display());
            let t = Instant::now();
            generate(&dir, n, &config, &env, shared);
            eprintln!("  done in {:.1?}", t.elapsed());
        }
        let root = state_dir.join("trusted_root.json");
        for json in [false, true] {
            let (secs, peak, summary) = verify(&dir, &gitsign, &root, json, n);
            println!(
                "{name}, {}: {n} commits in {secs:.2}s = {:.0} commits/s, peak RSS {:.1} MB  [{summary}]",
                if json { "--output json" } else { "human output" },
                n as f64 / secs,
                peak as f64 / 1024.0
            );
        }
    }
    let _ = std::io::stdout().flush();
    running.stop().unwrap();
}
