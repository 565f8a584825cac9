//! The push policy under git: `gitsign hook pre-receive` (server), `gitsign hook pre-push`
//! (client), `gitsign hook install`, and `gitsign verify --policy` (CI). The policy's types and
//! its judgement are in [`gitsign_core::policy`]; each signature is verified exactly as
//! `gitsign verify` verifies it ([`crate::history::check_object`]), with no identity policy, and
//! the signer it reports is then judged by the rule of the ref.
//!
//! What is judged for each updated ref: the commits the push adds (`NEW --not` every existing
//! ref), the tag object of an annotated tag, and deletions (when a rule refuses them). During a
//! push the objects are in git's quarantine directory: every git call inherits the environment
//! git gave the hook, so it reads them there.

use crate::history::{self, Abort, Batch, Online, Outcome};
use gitsign_core::config::{Env, Purpose};
use gitsign_core::policy::{Policy, Refusal, Rule, Verdict as Judged};
use gitsign_core::verify::{self, TrustRoot};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The most offences listed; the rest are counted.
const LISTED: usize = 20;
/// The largest policy file read (from disk or from a commit).
const MAX_POLICY: usize = 1 << 20;

/// What the hook commands share.
#[derive(Debug, Clone, Default)]
pub struct HookOptions {
    /// The policy file (default: git config `gitsign.policy`).
    pub policy: Option<PathBuf>,
    /// One JSON object on stdout instead of lines for a person.
    pub json: bool,
    /// Never contact Rekor: a signature without an embedded log entry is refused.
    pub offline: bool,
}

/// One ref update: `old` and `new` object IDs (all zeros: none).
#[derive(Debug, Clone)]
struct Update {
    refname: String,
    old: String,
    new: String,
}

fn is_zero(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git").args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
}

fn git_ok(args: &[&str]) -> bool {
    Command::new("git")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The subject (first message line) of a raw commit or tag, cut short.
fn subject(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let body = text.split_once("\n\n").map_or("", |(_, b)| b);
    let line = body.lines().find(|l| !l.trim().is_empty() && !l.starts_with("-----BEGIN")).unwrap_or("");
    crate::ui::sanitize(&line.chars().take(72).collect::<String>())
}

/// The parents of a raw commit.
fn parents(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.strip_prefix("parent "))
        .map(|p| p.trim().to_string())
        .collect()
}

/// One verdict on one commit or tag, for the JSON output and the hook log.
#[derive(Debug, Clone, serde::Serialize)]
struct Judgement {
    sha: String,
    #[serde(rename = "ref")]
    refname: String,
    kind: String,
    verdict: &'static str,
    signer: Option<String>,
    issuer: Option<String>,
    allowed: bool,
    reason: Option<String>,
    #[serde(skip)]
    subject: String,
}

/// The in-repository policy (`.gitsign/policy.toml` in the parents of each commit).
struct RepoPolicy {
    root: String,
    /// Policies read, by commit.
    cache: HashMap<String, Result<std::sync::Arc<Policy>, String>>,
    /// Whether a commit descends from the root (or is it).
    descends: HashMap<String, bool>,
}

impl RepoPolicy {
    const PATH: &'static str = ".gitsign/policy.toml";

    fn new(root: &str) -> Result<RepoPolicy, String> {
        let id = String::from_utf8_lossy(&git(&["rev-parse", "--verify", "-q", &format!("{root}^{{commit}}")])?)
            .trim()
            .to_string();
        let mut p = RepoPolicy { root: id.clone(), cache: HashMap::new(), descends: HashMap::new() };
        p.policy_of(&id).map_err(|e| format!("the policy root {root}: {e}"))?;
        Ok(p)
    }

    /// The policy a commit carries.
    fn policy_of(&mut self, commit: &str) -> Result<std::sync::Arc<Policy>, String> {
        if let Some(p) = self.cache.get(commit) {
            return p.clone();
        }
        let spec = format!("{commit}:{}", Self::PATH);
        let name = format!("{}:{}", &commit[..commit.len().min(12)], Self::PATH);
        let result = (|| {
            let size =
                git(&["cat-file", "-s", &spec]).map_err(|_| format!("commit {commit} carries no {}", Self::PATH))?;
            let size: usize = String::from_utf8_lossy(&size).trim().parse().unwrap_or(usize::MAX);
            if size > MAX_POLICY {
                return Err(format!("{name} is {size} bytes, over the cap of {MAX_POLICY}"));
            }
            let text = git(&["cat-file", "blob", &spec])?;
            let text = String::from_utf8(text).map_err(|_| format!("{name} is not UTF-8"))?;
            let policy = Policy::parse(&text, &name).map_err(|e| e.to_string())?;
            if policy.trusted_root.is_some() {
                return Err(format!(
                    "{name}: trusted_root may not be set in an in-repository policy (the server's trust root is used)"
                ));
            }
            Ok(std::sync::Arc::new(policy))
        })();
        self.cache.insert(commit.to_string(), result.clone());
        result
    }

    fn descends_from_root(&mut self, commit: &str) -> bool {
        if commit == self.root {
            return true;
        }
        if let Some(d) = self.descends.get(commit) {
            return *d;
        }
        let d = git_ok(&["merge-base", "--is-ancestor", &self.root, commit]);
        self.descends.insert(commit.to_string(), d);
        d
    }

    /// Judges a commit by the policy of each parent: `None` when it is not judged (the root or
    /// one of its ancestors).
    fn judge(&mut self, sha: &str, raw: &[u8], refname: &str, verdict: Judged<'_>) -> Option<Result<(), String>> {
        if sha == self.root || git_ok(&["merge-base", "--is-ancestor", sha, &self.root]) {
            return None;
        }
        let parents = parents(raw);
        if parents.is_empty() {
            return Some(Err(format!("a root commit not descended from the policy root {}", self.root)));
        }
        for parent in parents {
            if !self.descends_from_root(&parent) {
                return Some(Err(format!(
                    "its parent {} does not descend from the policy root {}: no trusted policy judges it",
                    &parent[..parent.len().min(12)],
                    &self.root[..self.root.len().min(12)]
                )));
            }
            let policy = match self.policy_of(&parent) {
                Ok(p) => p,
                Err(e) => return Some(Err(format!("the policy of its parent: {e}"))),
            };
            if let Some(rule) = policy.rule_for(refname)
                && let Err(e) = rule.judge(verdict, refname, false)
            {
                return Some(Err(format!(
                    "by the in-repository policy of parent {}: {e}",
                    &parent[..parent.len().min(12)]
                )));
            }
        }
        Some(Ok(()))
    }
}

/// Everything a decision needs: the policy, the trust root, how to reach the log.
struct Judge {
    policy: Option<Policy>,
    repo: Option<RepoPolicy>,
    trust: TrustRoot,
    http: Option<gitsign_core::net::Http>,
    rekor: String,
    hook_log: Option<PathBuf>,
    name: String,
}

/// What stops a decision before any verdict: the push is refused with it.
#[derive(Debug)]
struct Setup(String);

impl Judge {
    fn load(options: &HookOptions, env: &Env, err: &mut dyn Write) -> Result<Judge, Setup> {
        let mut config = crate::load_config(env, Purpose::Verify, err).map_err(|e| Setup(e.to_string()))?;
        let path = options.policy.clone().or_else(|| config.policy.clone());
        let policy = match &path {
            Some(path) => {
                let name = path.display().to_string();
                let text = read_capped(path).map_err(|e| Setup(format!("cannot read the policy {name}: {e}")))?;
                let policy = Policy::parse(&text, &name).map_err(|e| Setup(e.to_string()))?;
                if let Some(root) = &policy.trusted_root {
                    let root = Path::new(root);
                    let base = path.parent().unwrap_or(Path::new("."));
                    config.trusted_root = Some(if root.is_absolute() { root.to_path_buf() } else { base.join(root) });
                }
                Some(policy)
            }
            None => None,
        };
        let root = config.policy_root.clone().or_else(|| policy.as_ref().and_then(|p| p.root.clone()));
        let repo = match root {
            Some(root) => Some(RepoPolicy::new(&root).map_err(Setup)?),
            None => None,
        };
        if policy.is_none() && repo.is_none() {
            return Err(Setup(
                "no policy: give --policy FILE, or set gitsign.policy (gitsign hook install --policy FILE does) \
                 or gitsign.policyRoot"
                    .into(),
            ));
        }
        let mut trust = crate::trust::load_trust(&config).map_err(|e| Setup(format!("the trust root: {e}")))?;
        if let Some(warning) = trust.apply_ignore_sct_flag(false) {
            let _ = writeln!(err, "{warning}");
        }
        let http = if options.offline {
            None
        } else {
            Some(gitsign_core::net::Http::new(config.timeout).map_err(|e| Setup(e.to_string()))?)
        };
        let name = match (&path, &repo) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(r)) => format!("{} from commit {}", RepoPolicy::PATH, r.root),
            (None, None) => String::new(),
        };
        Ok(Judge { policy, repo, trust, http, rekor: config.rekor.clone(), hook_log: config.hook_log.clone(), name })
    }

    /// Judges one ref update: the commits in `rev-list NEW --not EXCLUDE...`, and the tag
    /// object when NEW is one.
    fn update(&mut self, u: &Update, exclude: &[String], out: &mut Vec<Judgement>) -> Result<(), Abort> {
        let rule = self.policy.as_ref().and_then(|p| p.rule_for(&u.refname)).cloned();
        if is_zero(&u.new) {
            if let Some(rule) = &rule
                && let Err(e) = rule.judge_deletion(&u.refname)
            {
                out.push(Judgement {
                    sha: u.old.clone(),
                    refname: u.refname.clone(),
                    kind: "deletion".into(),
                    verdict: "deletion",
                    signer: None,
                    issuer: None,
                    allowed: false,
                    reason: Some(e.to_string()),
                    subject: "(ref deleted)".into(),
                });
            }
            return Ok(());
        }
        if rule.is_none() && self.repo.is_none() {
            return Ok(());
        }
        // git refuses to point a branch at anything but a commit (after this hook), so only other
        // refs can bring a tag object: one `git cat-file` less per pushed branch.
        let kind = if u.refname.starts_with("refs/heads/") {
            "commit".to_string()
        } else {
            String::from_utf8_lossy(&git(&["cat-file", "-t", &u.new]).map_err(Abort::Unchecked)?).trim().to_string()
        };
        if kind == "tag" {
            let asked = u.refname.strip_prefix("refs/tags/").unwrap_or(&u.refname).to_string();
            let batch = Batch::from_list(vec![u.new.clone()])?;
            self.check(batch, &u.refname, rule.as_ref(), "tag", &move |_| Some(asked.clone()), out)?;
        }
        let mut args = vec![u.new.as_str(), "--not"];
        args.extend(exclude.iter().map(String::as_str));
        let batch = Batch::from_rev_list(&args)?;
        self.check(batch, &u.refname, rule.as_ref(), "commit", &|_| None, out)
    }

    fn check(
        &mut self,
        batch: Batch,
        refname: &str,
        rule: Option<&Rule>,
        what: &str,
        asked: &(dyn Fn(usize) -> Option<String> + Sync),
        out: &mut Vec<Judgement>,
    ) -> Result<(), Abort> {
        let online = self.http.as_ref().map(|http| Online { http: http.clone(), rekor: &self.rekor });
        let repo = &mut self.repo;
        let rekor = &self.rekor;
        history::check_parallel(
            batch,
            &self.trust,
            // A push policy names signers (judged below), not GitHub workflow claims.
            (&verify::Policy::default(), &verify::WorkflowPolicy::default()),
            online.as_ref(),
            false,
            asked,
            &mut |sha, kind, raw, outcome| {
                // An object too large to read (or missing) is a verdict of its own, listed beside
                // the others: its bytes are the reason, not a commit.
                let unread = kind == history::OVER_CAP || kind == "missing";
                let (kind, raw) = if unread { (what.to_string(), Vec::new()) } else { (kind, raw) };
                let (verdict, signer, issuer, why) = match &outcome {
                    Outcome::Good(v) => ("good", Some(v.identity.clone()), v.issuer.clone(), None),
                    Outcome::Unsigned => ("unsigned", None, None, None),
                    Outcome::Failed(f) if unread => (f.verdict().as_str(), None, None, Some(f.to_string())),
                    // A signature that could not be checked names the log it needed.
                    Outcome::Failed(f) if f.verdict() == crate::outcome::Verdict::Error => {
                        (f.verdict().as_str(), None, None, Some(format!("{f} (the log: {rekor})")))
                    }
                    Outcome::Failed(f) => (f.verdict().as_str(), None, None, Some(f.to_string())),
                };
                let judged = match &outcome {
                    Outcome::Good(v) => Judged::Good { identity: &v.identity, issuer: v.issuer.as_deref() },
                    Outcome::Unsigned => Judged::Unsigned,
                    Outcome::Failed(f) if f.verdict() == crate::outcome::Verdict::Error => {
                        Judged::Unchecked(why.as_deref().unwrap_or(""))
                    }
                    Outcome::Failed(_) => Judged::Bad(why.as_deref().unwrap_or("")),
                };
                let mut reasons = Vec::new();
                if let Some(rule) = rule
                    && let Err(e) = rule.judge(judged, refname, kind == "tag")
                {
                    reasons.push(e.to_string());
                }
                if unread && rule.is_none() {
                    // The in-repository policy cannot judge what it cannot read.
                    reasons.push(Refusal::Unchecked(why.clone().unwrap_or_default()).to_string());
                } else if kind == "commit"
                    && !unread
                    && let Some(repo) = repo.as_mut()
                    && let Some(Err(e)) = repo.judge(&sha, &raw, refname, judged)
                {
                    reasons.push(e);
                }
                if kind != "commit" && kind != "tag" && rule.is_some() {
                    reasons.push(Refusal::Bad(format!("a {kind} where a commit or tag was expected")).to_string());
                }
                out.push(Judgement {
                    // Only a refused object is listed by its subject.
                    subject: match (unread, reasons.is_empty()) {
                        (true, _) => "(not read)".into(),
                        (false, false) => subject(&raw),
                        (false, true) => String::new(),
                    },
                    sha,
                    refname: refname.to_string(),
                    kind,
                    verdict,
                    signer,
                    issuer,
                    allowed: reasons.is_empty(),
                    reason: if reasons.is_empty() { why } else { Some(reasons.join("; ")) },
                });
            },
        )
    }
}

fn read_capped(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut text = String::new();
    file.take(MAX_POLICY as u64 + 1).read_to_string(&mut text).map_err(|e| e.to_string())?;
    if text.len() > MAX_POLICY {
        return Err(format!("over the cap of {MAX_POLICY} bytes"));
    }
    Ok(text)
}

/// A decision over a whole push (or range), as the person, the JSON output and the log see it.
struct Decision {
    hook: &'static str,
    updates: Vec<Update>,
    judgements: Vec<Judgement>,
    error: Option<String>,
}

impl Decision {
    fn refused(&self) -> Vec<&Judgement> {
        self.judgements.iter().filter(|j| !j.allowed).collect()
    }

    fn accepted(&self) -> bool {
        self.error.is_none() && self.refused().is_empty()
    }

    fn json(&self, policy: &str) -> serde_json::Value {
        let time =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        serde_json::json!({
            "time": time,
            "hook": self.hook,
            "policy": policy,
            "decision": if self.accepted() { "accept" } else { "refuse" },
            "error": self.error,
            "refs": self.updates.iter().map(|u| serde_json::json!({"ref": u.refname, "old": u.old, "new": u.new})).collect::<Vec<_>>(),
            "commits": self.judgements,
        })
    }

    /// Writes the decision; returns the exit code.
    fn report(
        &self,
        judge_name: &str,
        json: bool,
        log: Option<&Path>,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> i32 {
        // The JSON value only for those who read it.
        let value = if json || log.is_some() { self.json(judge_name) } else { serde_json::Value::Null };
        if let Some(log) = log {
            let written = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .and_then(|mut f| writeln!(f, "{value}"));
            if let Err(e) = written {
                let _ = writeln!(err, "gitsign: warning: cannot append to the hook log {}: {e}", log.display());
            }
        }
        if json {
            let _ = writeln!(out, "{value}");
        }
        if let Some(e) = &self.error {
            let _ = writeln!(err, "gitsign: push refused: {}", crate::ui::sanitize(e));
        }
        let refused = self.refused();
        if refused.is_empty() && self.error.is_some() {
            return crate::outcome::EXIT_BAD;
        }
        if refused.is_empty() {
            if !json {
                let _ = writeln!(
                    err,
                    "gitsign: {} commit(s) and tag(s) judged by the policy {}: all allowed",
                    self.judgements.len(),
                    crate::ui::sanitize(judge_name)
                );
            }
            return crate::outcome::EXIT_GOOD;
        }
        if !json {
            let _ = writeln!(
                err,
                "gitsign: refused by the policy {}: {} of {} commit(s) and tag(s) not allowed",
                crate::ui::sanitize(judge_name),
                refused.len(),
                self.judgements.len()
            );
            for j in refused.iter().take(LISTED) {
                let _ = writeln!(
                    err,
                    "gitsign:   {} {:?} on {}: {}",
                    &j.sha[..j.sha.len().min(10)],
                    j.subject,
                    crate::ui::sanitize(&j.refname),
                    crate::ui::sanitize(j.reason.as_deref().unwrap_or("not allowed"))
                );
            }
            if refused.len() > LISTED {
                let _ = writeln!(err, "gitsign:   ... and {} more", refused.len() - LISTED);
            }
        }
        crate::outcome::EXIT_BAD
    }
}

fn decide(
    hook: &'static str,
    options: &HookOptions,
    updates: Vec<Update>,
    exclude: &dyn Fn(&Update, Option<&Policy>) -> Vec<String>,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut decision = Decision { hook, updates, judgements: Vec::new(), error: None };
    let mut judge = match Judge::load(options, env, err) {
        Ok(j) => j,
        Err(Setup(e)) => {
            decision.error = Some(e);
            let log = crate::load_config(env, Purpose::Verify, &mut std::io::sink()).ok().and_then(|c| c.hook_log);
            return decision.report("(unusable)", options.json, log.as_deref(), out, err);
        }
    };
    // A ref whose objects cannot be walked refuses the push, and the other refs are still judged
    // and reported.
    let mut errors = Vec::new();
    for u in decision.updates.clone() {
        if let Err(e) = judge.update(&u, &exclude(&u, judge.policy.as_ref()), &mut decision.judgements) {
            let e = match e {
                Abort::Usage(e) | Abort::Unchecked(e) => e,
            };
            errors.push(format!("{}: could not read the pushed objects: {e}", u.refname));
        }
    }
    if !errors.is_empty() {
        decision.error = Some(errors.join("; "));
    }
    decision.report(&judge.name, options.json, judge.hook_log.as_deref(), out, err)
}

/// `gitsign hook pre-receive`: reads `OLD NEW REF` lines on stdin (as git gives them).
pub fn pre_receive(
    options: &HookOptions,
    env: &Env,
    stdin: &mut dyn std::io::Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let updates =
        match read_updates(stdin, |w| Some(Update { old: w[0].into(), new: w[1].into(), refname: w[2].into() }), 3) {
            Ok(u) => u,
            Err(e) => {
                let _ = writeln!(err, "gitsign: push refused: {e}");
                return crate::outcome::EXIT_USAGE;
            }
        };
    // The commits a push adds to the refs of a rule are those none of that rule's refs has: a
    // commit an unruled branch carries is still judged when it comes to a ruled one.
    // Listed once, and only when a rule applies to an update.
    let refs = std::cell::OnceCell::new();
    let exclude = |u: &Update, policy: Option<&Policy>| -> Vec<String> {
        let line = policy.and_then(|p| p.rule_for(&u.refname)).map(|r| r.line);
        let mut not: Vec<String> = match line {
            None => vec!["--all".into()],
            Some(line) => refs
                .get_or_init(|| -> Vec<String> {
                    git(&["for-each-ref", "--format=%(refname)"])
                        .map(|o| String::from_utf8_lossy(&o).lines().map(str::to_string).collect())
                        .unwrap_or_default()
                })
                .iter()
                .filter(|r| policy.and_then(|p| p.rule_for(r)).map(|r| r.line) == Some(line))
                .cloned()
                .collect(),
        };
        if !is_zero(&u.old) {
            not.push(u.old.clone());
        }
        not
    };
    decide("pre-receive", options, updates, &exclude, env, out, err)
}

/// `gitsign hook pre-push REMOTE [URL]`: reads `LOCAL_REF LOCAL_SHA REMOTE_REF REMOTE_SHA` lines.
pub fn pre_push(
    options: &HookOptions,
    remote: &str,
    env: &Env,
    stdin: &mut dyn std::io::Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let updates =
        match read_updates(stdin, |w| Some(Update { new: w[1].into(), refname: w[2].into(), old: w[3].into() }), 4) {
            Ok(u) => u,
            Err(e) => {
                let _ = writeln!(err, "gitsign: push stopped: {e}");
                return crate::outcome::EXIT_USAGE;
            }
        };
    let remote = remote.to_string();
    let exclude = move |u: &Update, _: Option<&Policy>| {
        let mut not = vec![format!("--remotes={remote}")];
        // What the remote has and we know: its commits are not ours to judge again.
        if !is_zero(&u.old) && git_ok(&["cat-file", "-e", &format!("{}^{{commit}}", u.old)]) {
            not.push(u.old.clone());
        }
        not
    };
    decide("pre-push", options, updates, &exclude, env, out, err)
}

fn read_updates(
    stdin: &mut dyn std::io::Read,
    make: impl Fn(&[&str]) -> Option<Update>,
    words: usize,
) -> Result<Vec<Update>, String> {
    use std::io::Read as _;
    let mut text = String::new();
    stdin.take(16 << 20).read_to_string(&mut text).map_err(|e| format!("cannot read the ref updates on stdin: {e}"))?;
    let mut updates = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let valid_id = |s: &str| (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
        if w.len() != words
            || !valid_id(w[if words == 3 { 0 } else { 1 }])
            || !valid_id(w[if words == 3 { 1 } else { 3 }])
        {
            return Err(format!("not a ref update line git gives a hook: {:?}", crate::ui::sanitize(line)));
        }
        updates.extend(make(&w));
    }
    Ok(updates)
}

/// `gitsign verify --policy FILE [--ref REF] [REV|RANGE...]`: the commits named, judged by the
/// rule of REF (default: the current branch).
pub fn verify(
    options: &HookOptions,
    refname: Option<String>,
    revs: Vec<String>,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let refname = match refname {
        Some(r) if r.starts_with("refs/") => r,
        Some(r) => format!("refs/heads/{r}"),
        None => match git(&["symbolic-ref", "-q", "HEAD"]) {
            Ok(r) => String::from_utf8_lossy(&r).trim().to_string(),
            Err(_) => {
                let _ = writeln!(err, "gitsign: HEAD is detached: give the ref whose rule applies with --ref REF");
                return crate::outcome::EXIT_USAGE;
            }
        },
    };
    let mut judge = match Judge::load(options, env, err) {
        Ok(j) => j,
        Err(Setup(e)) => {
            let _ = writeln!(err, "gitsign: {e}");
            return crate::outcome::EXIT_USAGE;
        }
    };
    let revs: Vec<&str> = if revs.is_empty() { vec!["HEAD"] } else { revs.iter().map(String::as_str).collect() };
    let walk = revs.iter().any(|r| r.contains("..") || *r == "--all" || r.starts_with('^'));
    let mut args = Vec::new();
    if !walk {
        args.push("--no-walk");
    }
    args.extend(revs);
    let rule = judge.policy.as_ref().and_then(|p| p.rule_for(&refname)).cloned();
    if rule.is_none() && judge.repo.is_none() {
        let _ =
            writeln!(err, "gitsign: note: no rule of {} matches {refname}, so its commits are accepted", judge.name);
    }
    let mut decision = Decision {
        hook: "verify",
        updates: vec![Update { refname: refname.clone(), old: String::new(), new: args.join(" ") }],
        judgements: Vec::new(),
        error: None,
    };
    let result = Batch::from_rev_list(&args)
        .map_err(Abort::Usage)
        .and_then(|batch| judge.check(batch, &refname, rule.as_ref(), "commit", &|_| None, &mut decision.judgements));
    if let Err(Abort::Usage(e) | Abort::Unchecked(e)) = result {
        let _ = writeln!(err, "gitsign: {e}");
        return crate::outcome::EXIT_USAGE;
    }
    let unchecked_only = decision.refused().iter().all(|j| j.verdict == "error");
    match decision.report(&judge.name, options.json, None, out, err) {
        crate::outcome::EXIT_BAD if unchecked_only => crate::outcome::EXIT_UNCHECKED,
        code => code,
    }
}

/// The hook scripts, as in git-hooks/.
const PRE_RECEIVE: &str = include_str!("../git-hooks/pre-receive");
const PRE_PUSH: &str = include_str!("../git-hooks/pre-push");

/// `gitsign hook install (--pre-receive | --pre-push) [--repo DIR] [--policy FILE] [--force]`.
pub fn install(
    hook: &str,
    repo: Option<&Path>,
    policy: Option<&Path>,
    force: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let result = (|| -> Result<PathBuf, String> {
        let dir = repo.unwrap_or(Path::new("."));
        let dir_s = dir.to_string_lossy();
        let hooks = git(&["-C", &dir_s, "rev-parse", "--git-path", "hooks"])?;
        let hooks = PathBuf::from(String::from_utf8_lossy(&hooks).trim());
        let hooks = if hooks.is_absolute() { hooks } else { dir.join(hooks) };
        std::fs::create_dir_all(&hooks).map_err(|e| format!("cannot create {}: {e}", hooks.display()))?;
        let path = hooks.join(hook);
        if path.exists() && !force {
            return Err(format!("{} exists; gitsign does not overwrite a hook without --force", path.display()));
        }
        if let Some(policy) = policy {
            let abs = std::fs::canonicalize(policy).map_err(|e| format!("the policy {}: {e}", policy.display()))?;
            let text = read_capped(&abs).map_err(|e| format!("the policy {}: {e}", abs.display()))?;
            Policy::parse(&text, &abs.display().to_string()).map_err(|e| e.to_string())?;
            git(&["-C", &dir_s, "config", "gitsign.policy", &abs.to_string_lossy()])?;
        }
        let exe = std::env::current_exe().map_err(|e| format!("cannot find gitsign's own path: {e}"))?;
        let script = if hook == "pre-receive" { PRE_RECEIVE } else { PRE_PUSH };
        let quoted = exe.to_string_lossy().replace('\'', "'\\''");
        // The installed script runs this gitsign (git daemon and ssh may not have it on PATH).
        let script = script
            .replacen('\n', &format!("\ngitsign_default='{quoted}'\n"), 1)
            .replace("${GITSIGN:-gitsign}", "${GITSIGN:-$gitsign_default}");
        std::fs::write(&path, script).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("cannot make {} executable: {e}", path.display()))?;
        Ok(path)
    })();
    match result {
        Ok(path) => {
            let _ = writeln!(out, "{}", path.display());
            let _ = writeln!(err, "gitsign: installed the {hook} hook at {}", path.display());
            0
        }
        Err(e) => {
            let _ = writeln!(err, "gitsign: hook install: {e}");
            crate::outcome::EXIT_USAGE
        }
    }
}

/// `gitsign hook ACTION`.
pub fn run(action: crate::cli::HookAction, env: &Env, io: crate::Io<'_>) -> i32 {
    use crate::cli::HookAction;
    let options = |a: crate::cli::HookArgs| HookOptions {
        policy: a.policy,
        json: a.output == crate::cli::Output::Json,
        offline: a.offline,
    };
    match action {
        HookAction::PreReceive(a) => pre_receive(&options(a), env, io.stdin, io.stdout, io.stderr),
        HookAction::PrePush { args, remote, url: _ } => {
            pre_push(&options(args), &remote, env, io.stdin, io.stdout, io.stderr)
        }
        HookAction::Install(a) => {
            let hook = if a.pre_push { "pre-push" } else { "pre-receive" };
            install(hook, a.repo.as_deref(), a.policy.as_deref(), a.force, io.stdout, io.stderr)
        }
    }
}

/// `gitsign verify --policy FILE [--ref REF] [REV|RANGE...]`, from the parsed flags.
pub fn verify_command(
    policy: PathBuf,
    refname: Option<String>,
    check: crate::cli::CheckFlags,
    revs: Vec<String>,
    env: &Env,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let identity = check.policy.policy();
    if identity.identity.is_some() || identity.issuer.is_some() || check.allow_unsigned || check.insecure_ignore_tlog {
        let _ = writeln!(
            err,
            "gitsign: --policy decides who may sign and whether unsigned commits pass: \
             it cannot be combined with --certificate-*, --allow-unsigned or --insecure-ignore-tlog"
        );
        return crate::outcome::EXIT_USAGE;
    }
    let options =
        HookOptions { policy: Some(policy), json: check.output == crate::cli::Output::Json, offline: check.offline };
    if let Some(root) = check.policy.trusted_root {
        // --trusted-root names the trust root unless the policy names its own.
        let mut env = env.clone();
        env.insert("GITSIGN_TRUSTED_ROOT".into(), root.display().to_string());
        return verify(&options, refname, revs, &env, out, err);
    }
    verify(&options, refname, revs, env, out, err)
}

/// The rule `git verify-commit` (and `merge --verify-signatures`, `log --show-signature`)
/// judges a signer by when `gitsign.policy` is set: the rule of the current branch.
#[derive(Debug)]
pub struct GitVerifyRule {
    rule: Option<Rule>,
    refname: String,
    name: String,
}

impl GitVerifyRule {
    /// Whether a rule of the policy applies to the current branch.
    pub fn applies(&self) -> bool {
        self.rule.is_some()
    }

    /// Whether the rule allows the signer of a good signature.
    pub fn judge(&self, v: &verify::Verified) -> Result<(), String> {
        match &self.rule {
            None => Ok(()),
            Some(rule) => rule
                .judge(Judged::Good { identity: &v.identity, issuer: v.issuer.as_deref() }, &self.refname, false)
                .map_err(|e| format!("{e} (the policy {}, gitsign.policy)", self.name)),
        }
    }
}

/// With `gitsign.policy` set: the current branch's rule (`None` when the setting is unset), and
/// the policy's trust root put into `config`. A policy that cannot be used is an error.
pub fn git_verify_rule(config: &mut gitsign_core::config::Config) -> Result<Option<GitVerifyRule>, String> {
    let Some(path) = config.policy.clone() else { return Ok(None) };
    let name = path.display().to_string();
    let text = read_capped(&path).map_err(|e| format!("cannot read the policy {name} (gitsign.policy): {e}"))?;
    let policy = Policy::parse(&text, &name).map_err(|e| e.to_string())?;
    if let Some(root) = &policy.trusted_root {
        let root = Path::new(root);
        let base = path.parent().unwrap_or(Path::new("."));
        config.trusted_root = Some(if root.is_absolute() { root.to_path_buf() } else { base.join(root) });
    }
    let refname = match git(&["symbolic-ref", "-q", "HEAD"]) {
        Ok(r) => String::from_utf8_lossy(&r).trim().to_string(),
        Err(_) => return Err(format!("HEAD is detached: gitsign.policy ({name}) has no branch whose rule applies")),
    };
    Ok(Some(GitVerifyRule { rule: policy.rule_for(&refname).cloned(), refname, name }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn subjects_and_parents_of_raw_commits() {
        let raw = b"tree 1\nparent aa\nparent bb\nauthor A <a@x> 1 +0000\ngpgsig -----BEGIN SIGNED MESSAGE-----\n x\n\n\x1b[31mred\x1b[0m subject\n\nbody\n";
        assert_eq!(parents(raw), ["aa", "bb"]);
        assert!(!subject(raw).contains('\x1b'));
        assert!(subject(raw).contains("subject"));
    }

    #[test]
    fn update_lines_are_checked() {
        let zero = "0".repeat(40);
        let a = "a".repeat(40);
        let line = format!("{zero} {a} refs/heads/main\n");
        let u = read_updates(
            &mut line.as_bytes(),
            |w| Some(Update { old: w[0].into(), new: w[1].into(), refname: w[2].into() }),
            3,
        )
        .unwrap();
        assert_eq!((u[0].old.as_str(), u[0].refname.as_str()), (zero.as_str(), "refs/heads/main"));
        assert!(is_zero(&u[0].old) && !is_zero(&u[0].new));
        let bad = "x y refs/heads/main\n";
        assert!(read_updates(&mut bad.as_bytes(), |_| None, 3).is_err());
    }
}
