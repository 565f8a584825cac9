//! `gitsign verify` and `gitsign verify-tag`: verification of commits (one, a range, or
//! anything `git rev-list` takes) and tags from the repository, against an identity policy given
//! on the command line or in git config.

use gitsign_core::config::{Env, Purpose};
use gitsign_core::gitobj::{split_signed, tag_name};
use gitsign_core::online::online_evidence;
use gitsign_core::signature;
use gitsign_core::verify::{self, Policy, TrustRoot};
use std::io::Write;
use std::process::Command;

/// Options of `gitsign verify`.
#[derive(Debug, Default)]
struct Options {
    offline: bool,
    json: bool,
    allow_unsigned: bool,
    ignore_tlog: bool,
    ignore_sct: bool,
    trusted_root: Option<std::path::PathBuf>,
    policy: Policy,
    revs: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    crate::args::each(args, |name, value| {
        if o.policy.take_flag(name, value)? {
            return Ok(());
        }
        match name {
            "--trusted-root" => o.trusted_root = Some(value()?.into()),
            "--output" => {
                o.json = match value()?.as_str() {
                    "json" => true,
                    "human" | "text" => false,
                    other => return Err(format!("--output {other:?}: use json or human")),
                }
            }
            "--offline" => o.offline = true,
            "--allow-unsigned" => o.allow_unsigned = true,
            "--insecure-ignore-tlog" => o.ignore_tlog = true,
            "--insecure-ignore-sct" => o.ignore_sct = true,
            flag if flag.starts_with("--") && flag != "--all" => return Err(format!("unknown option {flag}")),
            rev => o.revs.push(rev.to_string()),
        }
        Ok(())
    })?;
    Ok(o)
}

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git").args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
}

/// Reads objects through one `git cat-file --batch`, fed either by `git rev-list` (commits of a
/// range, streamed: verification starts with the first one) or by a list (tags).
/// The largest commit or tag gitsign reads (a signed one is a few kilobytes).
const MAX_OBJECT: usize = 16 << 20;

struct Batch {
    child: std::process::Child,
    rev_list: Option<std::process::Child>,
    output: std::io::BufReader<std::process::ChildStdout>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Batch {
    fn cat_file(stdin: std::process::Stdio) -> Result<std::process::Child, String> {
        Command::new("git")
            .args(["cat-file", "--batch"])
            .stdin(stdin)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run git cat-file: {e}"))
    }

    /// The objects named in `shas`.
    fn from_list(shas: Vec<String>) -> Result<Batch, String> {
        let mut child = Self::cat_file(std::process::Stdio::piped())?;
        let mut input = child.stdin.take().ok_or("git cat-file has no stdin")?;
        let output =
            std::io::BufReader::with_capacity(1 << 16, child.stdout.take().ok_or("git cat-file has no stdout")?);
        let writer = std::thread::spawn(move || {
            let mut w = std::io::BufWriter::new(&mut input);
            for sha in shas {
                if writeln!(w, "{sha}").is_err() {
                    return;
                }
            }
        });
        Ok(Batch { child, rev_list: None, output, writer: Some(writer) })
    }

    /// The commits `git rev-list ARGS` names.
    fn from_rev_list(args: &[&str]) -> Result<Batch, String> {
        let mut rev_list = Command::new("git")
            .arg("rev-list")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run git rev-list: {e}"))?;
        let shas = rev_list.stdout.take().ok_or("git rev-list has no stdout")?;
        let mut child = Self::cat_file(std::process::Stdio::from(shas))?;
        let output =
            std::io::BufReader::with_capacity(1 << 16, child.stdout.take().ok_or("git cat-file has no stdout")?);
        Ok(Batch { child, rev_list: Some(rev_list), output, writer: None })
    }

    /// The next object: (sha, type, content); `None` at the end.
    fn next(&mut self) -> Result<Option<(String, String, Vec<u8>)>, String> {
        use std::io::{BufRead as _, Read as _};
        let mut header = String::new();
        if self.output.read_line(&mut header).map_err(|e| format!("reading git cat-file: {e}"))? == 0 {
            return Ok(None);
        }
        let mut parts = header.split_whitespace();
        let (sha, kind, size) = (parts.next().unwrap_or(""), parts.next().unwrap_or("missing"), parts.next());
        let size: usize =
            size.and_then(|s| s.parse().ok()).ok_or_else(|| format!("git cat-file: {}", header.trim()))?;
        if size > MAX_OBJECT {
            return Err(format!(
                "the {kind} {sha} is {size} bytes, over gitsign's cap of {MAX_OBJECT} bytes on a git object"
            ));
        }
        let mut content = vec![0u8; size + 1];
        self.output.read_exact(&mut content).map_err(|e| format!("reading git cat-file: {e}"))?;
        content.pop();
        Ok(Some((sha.to_string(), kind.to_string(), content)))
    }

    /// Whether rev-list succeeded (a bad revision shows only here).
    fn finish(mut self) -> Result<(), String> {
        if let Some(mut r) = self.rev_list.take() {
            let status = r.wait().map_err(|e| e.to_string())?;
            if !status.success() {
                let mut msg = String::new();
                if let Some(mut e) = r.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut msg);
                }
                return Err(format!("git rev-list: {}", msg.trim()));
            }
        }
        Ok(())
    }
}

impl gitsign_core::gitobj::ObjectReader for Batch {
    fn next_object(&mut self) -> Result<Option<gitsign_core::gitobj::RawObject>, String> {
        Ok(self.next()?.map(|(id, kind, bytes)| gitsign_core::gitobj::RawObject { id, kind, bytes }))
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(mut r) = self.rev_list.take() {
            let _ = r.kill();
            let _ = r.wait();
        }
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

/// How to reach Rekor for online-mode signatures; `None` with `--offline`.
struct Online<'a> {
    http: gitsign_core::net::Http,
    rekor: &'a str,
}

/// The verdict on one object.
enum Outcome {
    Good(verify::Verified),
    Unsigned,
    Bad(String),
}

/// Checks that a signed tag object is the tag `asked` for: a signature over `v1.0` says nothing
/// about `refs/tags/v2.0`.
fn check_tag_name(payload: &[u8], asked: &str) -> Result<(), String> {
    match tag_name(payload) {
        Some(signed) if signed == asked => Ok(()),
        Some(signed) => Err(format!(
            "the signed tag object is for tag {signed:?}, but it was asked for as {:?}: \
             a signed tag republished under another name is refused",
            format!("refs/tags/{asked}")
        )),
        None => Err(format!("the signed object of {:?} has no tag header naming it", format!("refs/tags/{asked}"))),
    }
}

#[allow(clippy::too_many_arguments)] // one object and everything that judges it
fn check_object(
    trust: &TrustRoot,
    policy: &Policy,
    online: Option<&Online<'_>>,
    ignore_tlog: bool,
    raw: &[u8],
    kind: &str,
    asked_tag: Option<&str>,
    sha256: bool,
) -> Outcome {
    if let Some(asked) = asked_tag
        && kind != "tag"
    {
        return Outcome::Bad(format!(
            "{:?} points at a {kind}, not at a tag object: nothing signed names the tag",
            format!("refs/tags/{asked}")
        ));
    }
    let (payload, sig) = match split_signed(raw, kind, sha256) {
        Ok(Some(parts)) => parts,
        Ok(None) => return Outcome::Unsigned,
        Err(e) => return Outcome::Bad(e),
    };
    let result = (|| {
        if let Some(asked) = asked_tag {
            check_tag_name(&payload, asked)?;
        }
        let der = signature::dearmor(&sig).map_err(|e| e.to_string())?;
        let parsed = signature::parse(&der).map_err(|e| e.to_string())?;
        let evidence = match (&parsed.tlog_entry, online) {
            _ if ignore_tlog => verify::LogEvidence::Ignored,
            (Some(_), _) => verify::LogEvidence::Embedded,
            (None, None) => {
                return Err(
                    "the log entry is not embedded (Rekor online mode) and --offline forbids looking it up".into()
                );
            }
            (None, Some(o)) => online_evidence(&o.http, o.rekor, &payload, &String::from_utf8_lossy(&sig), &parsed)?,
        };
        verify::verify_with(trust, &payload, &parsed, policy, &evidence).map_err(|e| e.to_string())
    })();
    match result {
        Ok(v) => Outcome::Good(v),
        Err(e) => Outcome::Bad(e),
    }
}

fn json_line(sha: &str, outcome: &Outcome) -> String {
    let v = match outcome {
        Outcome::Good(v) => serde_json::json!({
            "sha": sha, "verdict": "good", "signer": v.identity, "issuer": v.issuer,
            "log_index": (v.log_index >= 0).then_some(v.log_index),
            "integrated_time": (v.log_index >= 0).then(|| v.integrated_time.unix_timestamp()),
        }),
        Outcome::Unsigned => serde_json::json!({"sha": sha, "verdict": "unsigned", "reason": "not signed"}),
        Outcome::Bad(e) => serde_json::json!({"sha": sha, "verdict": "bad", "reason": e}),
    };
    v.to_string()
}

/// How often the progress line is redrawn.
const CHUNK: usize = 1024;

/// `gitsign verify [OPTIONS] [REV|RANGE...]` and `gitsign verify-tag [OPTIONS] TAG...`.
pub fn run(tags: bool, args: &[String], env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let result = (|| -> Result<i32, String> {
        let started = std::time::Instant::now();
        let o = parse(args)?;
        let mut config = crate::load_config(env, Purpose::Verify, err).map_err(|e| e.to_string())?;
        if let Some(root) = &o.trusted_root {
            config.trusted_root = Some(root.clone());
        }
        let mut trust = crate::trust::load_trust(&config).map_err(|e| e.to_string())?;
        let sct_warning = trust.apply_ignore_sct_flag(o.ignore_sct);
        let online = if o.offline || o.ignore_tlog {
            None
        } else {
            Some(Online {
                http: gitsign_core::net::Http::new(config.timeout).map_err(|e| e.to_string())?,
                rekor: &config.rekor,
            })
        };
        let policy = o.policy;
        if policy.identity.is_none() && policy.issuer.is_none() {
            let _ = writeln!(
                err,
                "gitsign: note: no --certificate-identity or --certificate-oidc-issuer given, so WHO signed is not checked"
            );
        }
        if o.ignore_tlog {
            let _ = writeln!(
                err,
                "gitsign: WARNING: --insecure-ignore-tlog: only the signature, the certificate chain and the identity are checked; no log entry, no trusted time"
            );
        }
        if let Some(warning) = sct_warning {
            let _ = writeln!(err, "{warning}");
        }
        // `verify-tag v1` and `verify-tag refs/tags/v1` both ask for refs/tags/v1.
        let tag_names: Vec<String> =
            o.revs.iter().map(|t| t.strip_prefix("refs/tags/").unwrap_or(t).to_string()).collect();
        let mut batch = if tags {
            if o.revs.is_empty() {
                return Err("verify-tag needs a tag name".into());
            }
            let shas = tag_names
                .iter()
                .map(|t| {
                    Ok(String::from_utf8_lossy(&git(&["rev-parse", "--verify", &format!("refs/tags/{t}")])?)
                        .trim()
                        .to_string())
                })
                .collect::<Result<Vec<_>, String>>()?;
            Batch::from_list(shas)?
        } else {
            let revs: Vec<&str> =
                if o.revs.is_empty() { vec!["HEAD"] } else { o.revs.iter().map(String::as_str).collect() };
            let walk = revs.iter().any(|r| r.contains("..") || *r == "--all" || r.starts_with('^'));
            let mut a = Vec::new();
            if !walk {
                a.push("--no-walk");
            }
            a.extend(revs);
            Batch::from_rev_list(&a)?
        };
        let progress = !o.json && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (mut good, mut unsigned, mut failures, mut total) = (0usize, 0usize, Vec::new(), 0usize);
        let mut short_listing = Vec::new();
        // A reader thread feeds objects from git cat-file to one verifier per core; results are
        // put back in order here. The channels are bounded, so memory stays flat on any range.
        let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<(usize, String, String, Vec<u8>)>(256);
        let job_rx = std::sync::Mutex::new(job_rx);
        let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<(usize, String, Outcome)>(256);
        let read_error = std::thread::scope(|scope| {
            let reader = scope.spawn(move || -> Result<(), String> {
                let mut i = 0;
                while let Some((sha, kind, raw)) = batch.next()? {
                    if job_tx.send((i, sha, kind, raw)).is_err() {
                        break;
                    }
                    i += 1;
                }
                drop(job_tx);
                batch.finish()
            });
            for _ in 0..workers {
                let (done, jobs, trust, policy, online) = (done_tx.clone(), &job_rx, &trust, &policy, online.as_ref());
                let (ignore_tlog, tag_names) = (o.ignore_tlog, &tag_names);
                scope.spawn(move || {
                    loop {
                        let job = match jobs.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok((i, sha, kind, raw)) = job else { return };
                        // Tags are read in the order they were named; `verify` walks commits.
                        let asked = if tags { Some(tag_names.get(i).map_or("", String::as_str)) } else { None };
                        let outcome =
                            check_object(trust, policy, online, ignore_tlog, &raw, &kind, asked, sha.len() == 64);
                        if done.send((i, sha, outcome)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(done_tx);
            let mut pending = std::collections::BTreeMap::new();
            let mut next = 0usize;
            for (i, sha, outcome) in done_rx {
                pending.insert(i, (sha, outcome));
                while let Some((sha, outcome)) = pending.remove(&next) {
                    let sha = &sha;
                    next += 1;
                    total += 1;
                    if o.json {
                        let _ = writeln!(out, "{}", json_line(sha, &outcome));
                    }
                    match outcome {
                        Outcome::Good(v) => {
                            good += 1;
                            if !o.json && short_listing.len() <= 20 {
                                let log = if v.log_index >= 0 {
                                    format!("log index {} at {}", v.log_index, v.integrated_time)
                                } else {
                                    "log not checked".into()
                                };
                                short_listing.push(format!(
                                    "{sha} good  {} ({}) {log}",
                                    v.identity,
                                    v.issuer.as_deref().unwrap_or("?")
                                ));
                            }
                        }
                        Outcome::Unsigned => {
                            unsigned += 1;
                            if !o.allow_unsigned {
                                failures.push((sha.clone(), "not signed".to_string()));
                            }
                        }
                        Outcome::Bad(e) => failures.push((sha.clone(), e)),
                    }
                    if progress && next.is_multiple_of(CHUNK) {
                        let _ = write!(err, "\rgitsign: verified {next} so far");
                    }
                }
            }
            reader.join().unwrap_or_else(|_| Err("the object reader failed".into())).err()
        });
        if let Some(e) = read_error {
            return Err(e);
        }
        // A short range lists every commit; a long one only its failures.
        if !o.json && total <= 20 {
            for line in &short_listing {
                let _ = writeln!(out, "{line}");
            }
        }
        if progress && total >= CHUNK {
            let _ = writeln!(err);
        }
        let kind = if tags { "tag" } else { "commit" };
        if !o.json && !failures.is_empty() {
            let _ = writeln!(out, "{:<40}  reason", kind);
            for (sha, why) in &failures {
                let _ = writeln!(out, "{sha}  {why}");
            }
        }
        let _ = writeln!(
            err,
            "gitsign: {good} of {total} {kind}s verified ({} failed, {unsigned} unsigned{}) in {:.2}s",
            failures.len() - if o.allow_unsigned { 0 } else { unsigned },
            if o.allow_unsigned { ", allowed" } else { "" },
            started.elapsed().as_secs_f64()
        );
        Ok(if failures.is_empty() && total > 0 { 0 } else { 1 })
    })();
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "gitsign: {e}");
            2
        }
    }
}
