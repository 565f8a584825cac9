//! `gitsign verify` and `gitsign verify-tag`: verification of commits (one, a range, or
//! anything `git rev-list` takes) and tags from the repository, against an identity policy given
//! on the command line or in git config.

use crate::outcome::{Cause, Failure, Tally, Verdict};
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
    workflow: verify::WorkflowPolicy,
}

/// The options of `gitsign verify` (`revs`) or `gitsign verify-tag` (`revs`: the tags), as
/// [`crate::cli`] parsed them.
fn options(check: crate::cli::CheckFlags, revs: Vec<String>) -> Options {
    Options {
        offline: check.offline,
        json: check.output == crate::cli::Output::Json,
        allow_unsigned: check.allow_unsigned,
        ignore_tlog: check.insecure_ignore_tlog,
        ignore_sct: check.policy.insecure_ignore_sct,
        policy: check.policy.policy(),
        trusted_root: check.policy.trusted_root,
        revs,
        workflow: check.workflow.policy(),
    }
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
/// The type [`Batch::next`] gives an object over [`MAX_OBJECT`]; its bytes are then the reason.
pub(crate) const OVER_CAP: &str = "over-cap";

pub(crate) struct Batch {
    child: std::process::Child,
    rev_list: Option<std::process::Child>,
    output: std::io::BufReader<std::process::ChildStdout>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Batch {
    /// `git cat-file --batch --buffer`: the requests are all written before any answer is
    /// awaited (a list, or rev-list's output), so git may buffer its output instead of writing
    /// once per object.
    fn cat_file(stdin: std::process::Stdio) -> Result<std::process::Child, String> {
        Command::new("git")
            .args(["cat-file", "--batch", "--buffer"])
            .stdin(stdin)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run git cat-file: {e}"))
    }

    /// The objects named in `shas`.
    pub(crate) fn from_list(shas: Vec<String>) -> Result<Batch, String> {
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
    pub(crate) fn from_rev_list(args: &[&str]) -> Result<Batch, String> {
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
    pub(crate) fn next(&mut self) -> Result<Option<(String, String, Vec<u8>)>, String> {
        use std::io::{BufRead as _, Read as _};
        let mut header = String::new();
        if self.output.read_line(&mut header).map_err(|e| format!("reading git cat-file: {e}"))? == 0 {
            return Ok(None);
        }
        let mut parts = header.split_whitespace();
        let (sha, kind, size) = (parts.next().unwrap_or(""), parts.next().unwrap_or("missing"), parts.next());
        if kind == "missing" && size.is_none() {
            // `<name> missing`: this object cannot be read; the others still can.
            return Ok(Some((sha.to_string(), kind.to_string(), Vec::new())));
        }
        let size: usize =
            size.and_then(|s| s.parse().ok()).ok_or_else(|| format!("git cat-file: {}", header.trim()))?;
        if size > MAX_OBJECT {
            // Skipped unread, never held: the object gets its own verdict (could not check) and
            // the objects after it are still read and judged.
            let skip = size as u64 + 1;
            let skipped = std::io::copy(&mut (&mut self.output).take(skip), &mut std::io::sink())
                .map_err(|e| format!("reading git cat-file: {e}"))?;
            if skipped != skip {
                return Err(format!("git cat-file stopped inside the {kind} {sha}"));
            }
            let why =
                format!("the {kind} {sha} is {size} bytes, over gitsign's cap of {MAX_OBJECT} bytes on a git object");
            return Ok(Some((sha.to_string(), OVER_CAP.to_string(), why.into_bytes())));
        }
        let mut content = vec![0u8; size + 1];
        self.output.read_exact(&mut content).map_err(|e| format!("reading git cat-file: {e}"))?;
        content.pop();
        Ok(Some((sha.to_string(), kind.to_string(), content)))
    }

    /// Whether rev-list succeeded (a bad revision shows only here).
    pub(crate) fn finish(mut self) -> Result<(), Abort> {
        if let Some(mut r) = self.rev_list.take() {
            let status = r.wait().map_err(|e| e.to_string())?;
            if !status.success() {
                let mut msg = String::new();
                if let Some(mut e) = r.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut msg);
                }
                return Err(Abort::rev_list(msg.trim()));
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
pub(crate) struct Online<'a> {
    pub(crate) http: gitsign_core::net::Http,
    pub(crate) rekor: &'a str,
}

/// The verdict on one object.
pub(crate) enum Outcome {
    Good(verify::Verified),
    Unsigned,
    Failed(Failure),
}

impl Outcome {
    pub(crate) fn verdict(&self) -> Verdict {
        match self {
            Outcome::Good(_) => Verdict::Good,
            Outcome::Unsigned => Verdict::Unsigned,
            Outcome::Failed(f) => f.verdict(),
        }
    }
}

/// Why a run stopped before giving every verdict: exit 2 (usage, configuration) or 3 (the
/// repository could not be read).
#[derive(Debug)]
pub(crate) enum Abort {
    Usage(String),
    Unchecked(String),
}

impl Abort {
    /// A failed `git rev-list`: a revision that names nothing is a usage error; an object that
    /// cannot be read is not.
    fn rev_list(stderr: &str) -> Abort {
        let msg = format!("git rev-list: {stderr}");
        let unreadable = ["bad object", "missing", "unable to read", "could not read", "corrupt"];
        let lower = stderr.to_ascii_lowercase();
        if unreadable.iter().any(|u| lower.contains(u)) { Abort::Unchecked(msg) } else { Abort::Usage(msg) }
    }
}

impl From<String> for Abort {
    fn from(e: String) -> Abort {
        Abort::Usage(e)
    }
}

impl From<&str> for Abort {
    fn from(e: &str) -> Abort {
        Abort::Usage(e.to_string())
    }
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
pub(crate) fn check_object(
    trust: &TrustRoot,
    (policy, workflow): (&Policy, &verify::WorkflowPolicy),
    online: Option<&Online<'_>>,
    ignore_tlog: bool,
    raw: &[u8],
    kind: &str,
    asked_tag: Option<&str>,
    sha256: bool,
) -> Outcome {
    if kind == "missing" {
        return Outcome::Failed(Failure::Unchecked(
            "the object is missing from the repository (or cannot be read): its signature cannot be checked".into(),
        ));
    }
    if kind == OVER_CAP {
        return Outcome::Failed(Failure::Unchecked(String::from_utf8_lossy(raw).into_owned().into()));
    }
    if let Some(asked) = asked_tag
        && kind != "tag"
    {
        return Outcome::Failed(Failure::Bad(Cause::Refused(format!(
            "{:?} points at a {kind}, not at a tag object: nothing signed names the tag",
            format!("refs/tags/{asked}")
        ))));
    }
    let (payload, sig) = match split_signed(raw, kind, sha256) {
        Ok(Some(parts)) => parts,
        Ok(None) => return Outcome::Unsigned,
        Err(e) => return Outcome::Failed(e.into()),
    };
    let result = (|| {
        if let Some(asked) = asked_tag {
            check_tag_name(&payload, asked).map_err(|e| Failure::Bad(e.into()))?;
        }
        let der = signature::dearmor(&sig)?;
        let parsed = signature::parse(&der)?;
        let evidence = match (&parsed.tlog_entry, online) {
            _ if ignore_tlog => verify::LogEvidence::Ignored,
            (Some(_), _) => verify::LogEvidence::Embedded,
            (None, None) => {
                return Err(Failure::Bad(
                    "the log entry is not embedded (Rekor online mode) and --offline forbids looking it up".into(),
                ));
            }
            (None, Some(o)) => online_evidence(&o.http, o.rekor, &payload, &String::from_utf8_lossy(&sig), &parsed)?,
        };
        let verified = verify::verify_with(trust, &payload, &parsed, policy, &evidence)?;
        workflow.check(parsed.signer())?;
        Ok(verified)
    })();
    match result {
        Ok(v) => Outcome::Good(v),
        Err(e) => Outcome::Failed(e),
    }
}

/// Who may sign, for `gitsign verify` and `verify-tag`: the flags, each part falling back to git
/// config (`gitsign.certificateIdentity[Regexp]`, `gitsign.certificateOidcIssuer[Regexp]`). As in
/// the Go gitsign, both an identity and an issuer are required, so that a run never passes
/// without checking WHO signed; the error says what is missing and how to give it. This is the
/// one place that decides it (a policy file, when there is one, satisfies it too).
pub fn required_policy(flags: Policy, config: &gitsign_core::config::Config, tags: bool) -> Result<Policy, String> {
    use verify::Matcher;
    let regex = |r: &str, key: &str| Matcher::regex(r).map_err(|e| format!("gitsign.{key}: {e}"));
    let identity = match (flags.identity, &config.certificate_identity, &config.certificate_identity_regexp) {
        (Some(m), _, _) => Some(m),
        (None, Some(i), _) => Some(Matcher::Exact(i.clone())),
        (None, None, Some(r)) => Some(regex(r, "certificateIdentityRegexp")?),
        (None, None, None) => None,
    };
    let issuer = match (flags.issuer, &config.certificate_oidc_issuer, &config.certificate_oidc_issuer_regexp) {
        (Some(m), _, _) => Some(m),
        (None, Some(i), _) => Some(Matcher::Exact(i.clone())),
        (None, None, Some(r)) => Some(regex(r, "certificateOidcIssuerRegexp")?),
        (None, None, None) => None,
    };
    let missing: Vec<&str> = [
        identity.is_none().then_some(
            "the identity (--certificate-identity or --certificate-identity-regexp, or git config \
             gitsign.certificateIdentity[Regexp])",
        ),
        issuer.is_none().then_some(
            "the OIDC issuer (--certificate-oidc-issuer or --certificate-oidc-issuer-regexp, or git config \
             gitsign.certificateOidcIssuer[Regexp])",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        let command = if tags { "verify-tag" } else { "verify" };
        return Err(format!(
            "gitsign {command} checks WHO signed and needs to be told who may: missing {}",
            missing.join(" and ")
        ));
    }
    Ok(Policy { identity, issuer })
}

fn json_line(sha: &str, outcome: &Outcome) -> String {
    let v = match outcome {
        Outcome::Good(v) => serde_json::json!({
            "sha": sha, "verdict": "good", "signer": v.identity, "issuer": v.issuer,
            "log_index": v.log_index,
            "integrated_time": v.log_index.map(|_| v.integrated_time.unix_timestamp()),
        }),
        Outcome::Unsigned => serde_json::json!({"sha": sha, "verdict": "unsigned", "reason": "not signed"}),
        Outcome::Failed(e) => serde_json::json!({"sha": sha, "verdict": e.verdict().as_str(), "reason": e.to_string()}),
    };
    v.to_string()
}

/// `gitsign verify [OPTIONS] [REV|RANGE...]` and `gitsign verify-tag [OPTIONS] TAG...`.
pub fn run(
    tags: bool,
    check: crate::cli::CheckFlags,
    revs: Vec<String>,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let result = (|| -> Result<i32, Abort> {
        let started = std::time::Instant::now();
        let o = options(check, revs);
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
        let policy = required_policy(o.policy, &config, tags).map_err(Abort::Usage)?;
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
        let batch = if tags {
            if o.revs.is_empty() {
                return Err("verify-tag needs a tag name".into());
            }
            let shas = tag_names
                .iter()
                .map(|t| {
                    Ok::<_, Abort>(
                        String::from_utf8_lossy(&git(&["rev-parse", "--verify", &format!("refs/tags/{t}")])?)
                            .trim()
                            .to_string(),
                    )
                })
                .collect::<Result<Vec<_>, Abort>>()?;
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
        let mut progress = crate::output::Progress::new(!o.json && crate::output::Progress::stderr_is_terminal(env));
        let colour = !o.json && crate::output::colour_stdout(env);
        let kinds = if tags { "tags" } else { "commits" };
        let (mut tally, mut failures) = (Tally::default(), Vec::new());
        let mut short_listing = Vec::new();
        // Tags are read in the order they were named; `verify` walks commits.
        let asked = |i: usize| tags.then(|| tag_names.get(i).cloned().unwrap_or_default());
        let mut done = 0u64;
        check_parallel(
            batch,
            &trust,
            (&policy, &o.workflow),
            online.as_ref(),
            o.ignore_tlog,
            &asked,
            &mut |sha, _, _, outcome| {
                done += 1;
                tally.add(outcome.verdict());
                if o.json {
                    let _ = writeln!(out, "{}", json_line(&sha, &outcome));
                }
                match outcome {
                    Outcome::Good(v) => {
                        if !o.json && short_listing.len() <= 20 {
                            let log = match v.log_index {
                                Some(index) => {
                                    format!("log index {index} at {}", crate::output::utc(v.integrated_time))
                                }
                                None => "log not checked".into(),
                            };
                            short_listing.push(format!(
                                "{sha} {}  {} ({}) {log}",
                                crate::output::verdict(Verdict::Good, colour),
                                crate::ui::sanitize(&v.identity),
                                crate::ui::sanitize(v.issuer.as_deref().unwrap_or("?"))
                            ));
                        }
                    }
                    Outcome::Unsigned => {
                        if !o.allow_unsigned {
                            failures.push((sha, Verdict::Unsigned, "not signed".to_string()));
                        }
                    }
                    Outcome::Failed(e) => failures.push((sha, e.verdict(), e.to_string())),
                }
                progress.set(done, kinds);
            },
        )?;
        // A short range lists every commit; a long one only its failures.
        let total = tally.total();
        if !o.json && total <= 20 {
            for line in &short_listing {
                let _ = writeln!(out, "{line}");
            }
        }
        progress.finish();
        let kind = if tags { "tag" } else { "commit" };
        if !o.json && !failures.is_empty() {
            let _ = writeln!(out, "{:<40}  reason", kind);
            for (sha, verdict, why) in &failures {
                let why = crate::output::paint(*verdict, &crate::ui::sanitize(why), colour);
                let _ = writeln!(out, "{sha}  {why}");
            }
        }
        for (sha, verdict, why) in &failures {
            crate::debug_log!("verify {sha}: {}: {}", verdict.as_str(), crate::ui::sanitize(why));
        }
        crate::debug_log!("verify: {total} {kind}s: {}", tally.counts());
        let _ = writeln!(
            err,
            "gitsign: {} of {total} {kind}s verified ({} failed, {} unsigned{}) in {:.2}s: {}",
            tally.good,
            tally.bad + tally.error,
            tally.unsigned,
            if o.allow_unsigned { ", allowed" } else { "" },
            started.elapsed().as_secs_f64(),
            tally.counts()
        );
        Ok(tally.exit_code(o.allow_unsigned))
    })();
    match result {
        Ok(code) => code,
        Err(Abort::Usage(e)) => {
            let _ = writeln!(err, "gitsign: {e}");
            crate::outcome::EXIT_USAGE
        }
        Err(Abort::Unchecked(e)) => {
            let _ = writeln!(err, "gitsign: cannot read the objects to check: {e}");
            crate::outcome::EXIT_UNCHECKED
        }
    }
}

/// Objects a verifier takes from the reader at a time: few enough that the cores finish within a
/// few objects of each other, many enough that the hand-off between threads (a lock, a channel
/// message, a wake-up) costs nothing beside the verifications.
const CHUNK: usize = 16;

/// Chunks taken but not yet handed to `done`, per verifier: bounds what waits to be put in order
/// when one object is slow (an online lookup), so memory stays flat on any range.
const IN_FLIGHT_PER_WORKER: usize = 4;

/// Checks every object `batch` reads, on one verifier per core, and hands each to `done` in the
/// order read, with its raw bytes: (id, type, bytes, outcome). `asked(i)`: the tag name the i-th
/// object must carry (`None`: a commit, or a tag not asked for by name). The identity is judged
/// by `policy` (pass an empty one to judge the signer afterwards, as the push policy does).
///
/// There is no reader thread: each verifier takes the next [`CHUNK`] objects from the one `git
/// cat-file --batch` under a lock, checks them, and sends their outcomes in one message; the
/// calling thread puts the chunks back in order. Every core verifies from the first object to
/// the last, and the threads meet once per chunk, not once per object. At most
/// [`IN_FLIGHT_PER_WORKER`] chunks per verifier are out at once, so nothing is kept for the
/// whole run.
#[allow(clippy::too_many_arguments)] // the same arguments as check_object, plus the stream
pub(crate) fn check_parallel(
    batch: Batch,
    trust: &TrustRoot,
    policy: (&Policy, &verify::WorkflowPolicy),
    online: Option<&Online<'_>>,
    ignore_tlog: bool,
    asked: &(dyn Fn(usize) -> Option<String> + Sync),
    done: &mut dyn FnMut(String, String, Vec<u8>, Outcome),
) -> Result<(), Abort> {
    type Checked = (String, String, Vec<u8>, Outcome);
    /// The reader's state: the stream, the index of the next object, and whether it ended
    /// (or failed, with the reason).
    struct Reader {
        batch: Batch,
        next: usize,
        seq: usize,
        ended: bool,
        failed: Option<String>,
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let reader = std::sync::Mutex::new(Reader { batch, next: 0, seq: 0, ended: false, failed: None });
    // Tokens: a verifier takes one before it takes a chunk; the calling thread gives it back
    // once the chunk is handed on in order.
    let (token_tx, token_rx) = std::sync::mpsc::sync_channel::<()>(workers * IN_FLIGHT_PER_WORKER);
    for _ in 0..workers * IN_FLIGHT_PER_WORKER {
        let _ = token_tx.send(());
    }
    let token_rx = std::sync::Mutex::new(token_rx);
    // (chunk number, outcomes); chunk number `usize::MAX`: a verifier panicked, its chunk is lost.
    let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Vec<Checked>)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (tx, reader, tokens) = (done_tx.clone(), &reader, &token_rx);
            scope.spawn(move || {
                /// Tells the calling thread when a verifier panics, so that it stops waiting for
                /// the lost chunk (and gives back no token the others wait for); the scope then
                /// re-raises the panic.
                struct Lost(std::sync::mpsc::Sender<(usize, Vec<Checked>)>);
                impl Drop for Lost {
                    fn drop(&mut self) {
                        if std::thread::panicking() {
                            let _ = self.0.send((usize::MAX, Vec::new()));
                        }
                    }
                }
                let _lost = Lost(tx.clone());
                loop {
                    let token = match tokens.lock() {
                        Ok(t) => t.recv(),
                        Err(_) => return,
                    };
                    if token.is_err() {
                        return;
                    }
                    // Take the next chunk.
                    let (seq, first, objects) = {
                        let Ok(mut r) = reader.lock() else { return };
                        if r.ended {
                            return;
                        }
                        let mut objects = Vec::with_capacity(CHUNK);
                        while objects.len() < CHUNK {
                            match r.batch.next() {
                                Ok(Some(object)) => objects.push(object),
                                Ok(None) => {
                                    r.ended = true;
                                    break;
                                }
                                Err(e) => {
                                    r.ended = true;
                                    r.failed = Some(e);
                                    break;
                                }
                            }
                        }
                        if objects.is_empty() {
                            return;
                        }
                        let (seq, first) = (r.seq, r.next);
                        r.seq += 1;
                        r.next += objects.len();
                        (seq, first, objects)
                    };
                    let checked = objects
                        .into_iter()
                        .enumerate()
                        .map(|(k, (sha, kind, raw))| {
                            let tag = asked(first + k);
                            let outcome = check_object(
                                trust,
                                policy,
                                online,
                                ignore_tlog,
                                &raw,
                                &kind,
                                tag.as_deref(),
                                sha.len() == 64,
                            );
                            (sha, kind, raw, outcome)
                        })
                        .collect();
                    if tx.send((seq, checked)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0usize;
        for (seq, checked) in done_rx {
            if seq == usize::MAX {
                break;
            }
            pending.insert(seq, checked);
            while let Some(checked) = pending.remove(&next) {
                next += 1;
                for (sha, kind, raw, outcome) in checked {
                    done(sha, kind, raw, outcome);
                }
                let _ = token_tx.send(());
            }
        }
        // Verifiers waiting for a token stop.
        drop(token_tx);
    });
    let r = reader.into_inner().map_err(|_| Abort::Unchecked("a verifier failed".into()))?;
    if let Some(e) = r.failed {
        return Err(Abort::Unchecked(e));
    }
    r.batch.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn json_lines_give_a_null_log_index_and_time_when_no_log_entry_was_checked() {
        let verified = |log_index| verify::Verified {
            identity: "ann@example.com".into(),
            issuer: Some("https://issuer.example".into()),
            log_index,
            integrated_time: time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            fingerprint: "AB".into(),
        };
        let line: serde_json::Value = serde_json::from_str(&json_line("abc", &Outcome::Good(verified(None)))).unwrap();
        assert!(line["log_index"].is_null() && line["integrated_time"].is_null(), "{line}");
        assert_eq!(line["verdict"], "good");
        let line: serde_json::Value =
            serde_json::from_str(&json_line("abc", &Outcome::Good(verified(Some(0))))).unwrap();
        assert_eq!((line["log_index"].as_i64(), line["integrated_time"].as_i64()), (Some(0), Some(1_700_000_000)));
    }
}
