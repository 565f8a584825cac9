//! `gitsign-devstack log search` and `log get`: the explorer's searches on the command line, as a
//! client of a running devstack's Rekor API (`POST /api/v1/index/retrieve`, `GET
//! /api/v1/log/entries`), found by its state directory (its `env.sh`) or given by URL. A commit
//! search looks up what each signing mode logs: SHA-256 of the commit ID's text (online mode) and,
//! when the commit is in a repository at hand, SHA-256 of its signature's signed attributes
//! (offline mode). Everything printed from the log is stripped of control characters.

use crate::explorer_view::{self as view, CommitDigest, Signer};
use gitsign_protocol::checkpoint::SignedCheckpoint;
use gitsign_protocol::merkle;
use gitsign_protocol::rekor::{LogEntries, LogEntry};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A failure of `gitsign-devstack log`.
#[derive(Debug, thiserror::Error)]
pub enum LogCliError {
    /// The devstack could not be found from the state directory.
    #[error("{path}: {source}; is a devstack running? start one with `gitsign-devstack up --state {dir}`")]
    State {
        /// The env.sh read.
        path: PathBuf,
        /// The state directory.
        dir: String,
        /// Cause.
        source: std::io::Error,
    },
    /// env.sh names no Rekor URL.
    #[error("{0} names no GITSIGN_REKOR_URL; restart the devstack to rewrite it")]
    NoUrl(PathBuf),
    /// The HTTP call failed.
    #[error("{url}: {message}")]
    Http {
        /// What was asked.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// Nothing there.
    #[error("{0}")]
    NotFound(String),
    /// Bad input.
    #[error("{0}")]
    Usage(String),
}

/// The Rekor URL of the devstack named by `target`: an `http(s)://` URL as it is, else a state
/// directory whose `env.sh` (written while the devstack runs) names it.
pub fn rekor_url(target: &str) -> Result<String, LogCliError> {
    if target.starts_with("http://") || target.starts_with("https://") {
        return Ok(target.trim_end_matches('/').to_string());
    }
    let path = crate::state::env_path(Path::new(target));
    let text = std::fs::read_to_string(&path).map_err(|source| LogCliError::State {
        path: path.clone(),
        dir: target.to_string(),
        source,
    })?;
    text.lines()
        .find_map(|l| l.strip_prefix("export GITSIGN_REKOR_URL="))
        .map(|v| v.trim().trim_matches('\'').replace(r"'\''", "'"))
        .filter(|v| !v.is_empty())
        .ok_or(LogCliError::NoUrl(path))
}

/// What to search for.
#[derive(Debug, Clone)]
pub enum Search {
    /// Signer's email.
    Email(String),
    /// A logged SHA-256 (hex, `sha256:` optional).
    Sha256(String),
    /// A commit, by ID, in a repository (default: the current directory).
    Commit {
        /// The commit (ID or any revision git resolves in `repo`).
        id: String,
        /// The repository.
        repo: Option<PathBuf>,
    },
}

/// Which log (`--log`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logs {
    /// The Rekor v1-compatible log.
    V1,
    /// The Rekor v2 log (read through the explorer's API: Rekor v2 itself has no search).
    V2,
    /// Both.
    Both,
}

impl Logs {
    fn v1(self) -> bool {
        self != Logs::V2
    }
    fn v2(self) -> bool {
        self != Logs::V1
    }
}

/// One entry found, with what the explorer decodes of it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Found {
    /// Which log: `v1` or `v2`.
    pub log: &'static str,
    /// Entry UUID (v1); for a v2 entry, which has none, its leaf hash.
    pub uuid: String,
    /// Log index (in its log).
    pub log_index: u64,
    /// Integrated time, seconds since the epoch (v1 only: Rekor v2 logs no time).
    pub integrated_time: Option<i64>,
    /// When the devstack's TSA stamped the entry's signature (v2), seconds since the epoch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timestamps: Vec<i64>,
    /// Signer identity (first SAN), if a certificate.
    pub identity: Option<String>,
    /// OIDC issuer, if a certificate.
    pub issuer: Option<String>,
    /// The logged SHA-256.
    pub sha256: Option<String>,
    /// The entry as the log serves it (v1: a Rekor LogEntry; v2: a TransparencyLogEntry in
    /// protobuf JSON).
    pub entry: serde_json::Value,
    /// The logged body.
    #[serde(skip)]
    body: Vec<u8>,
    /// The inclusion proof: (index, tree size, root, audit path), as given.
    #[serde(skip)]
    proof: Option<Proof>,
}

#[derive(Debug, Clone)]
struct Proof {
    index: u64,
    tree_size: u64,
    root: Result<merkle::Hash, String>,
    hashes: Result<Vec<merkle::Hash>, String>,
    /// The root the v2 checkpoint names (v2 only).
    checkpoint_root: Option<Result<merkle::Hash, String>>,
}

fn client() -> Result<reqwest::blocking::Client, LogCliError> {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| LogCliError::Http { url: String::new(), message: e.to_string() })
}

fn http_err(url: &str, message: impl ToString) -> LogCliError {
    LogCliError::Http { url: url.to_string(), message: message.to_string() }
}

/// Reads a Rekor answer: the body on 2xx, `NotFound` on 404, an error naming the status else.
fn answer(url: &str, resp: reqwest::blocking::Response) -> Result<Vec<u8>, LogCliError> {
    let status = resp.status();
    let body = resp.bytes().map_err(|e| http_err(url, e))?.to_vec();
    if status == reqwest::StatusCode::NOT_FOUND {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or_else(|| "not found".into());
        return Err(LogCliError::NotFound(view::printable(&message)));
    }
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body);
        return Err(http_err(
            url,
            format!("HTTP {status}: {}", view::printable(text.chars().take(300).collect::<String>().as_str())),
        ));
    }
    Ok(body)
}

fn decoded(body: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    match view::decode_body(body) {
        Ok(v) => {
            let (id, iss) = v.identity();
            (id.map(str::to_string), iss.map(str::to_string), Some(v.hash.clone()))
        }
        Err(_) => (None, None, None),
    }
}

fn found(uuid: String, entry: LogEntry) -> Found {
    let body = gitsign_protocol::unb64(&entry.body).unwrap_or_default();
    let (identity, issuer, sha256) = decoded(&body);
    let proof = entry.verification.as_ref().and_then(|v| v.inclusion_proof.as_ref()).map(|p| Proof {
        index: p.log_index,
        tree_size: p.tree_size,
        root: hex::decode(&p.root_hash)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| "the root hash is not 32 bytes of hex".to_string()),
        hashes: p
            .hashes
            .iter()
            .map(|h| hex::decode(h).ok().and_then(|h| h.try_into().ok()))
            .collect::<Option<Vec<merkle::Hash>>>()
            .ok_or_else(|| "an audit-path hash is not 32 bytes of hex".to_string()),
        checkpoint_root: None,
    });
    Found {
        log: "v1",
        uuid,
        log_index: entry.log_index,
        integrated_time: Some(entry.integrated_time),
        timestamps: vec![],
        identity,
        issuer,
        sha256,
        entry: serde_json::to_value(&entry).unwrap_or(serde_json::Value::Null),
        body,
        proof,
    }
}

/// Reads a v2 entry as the explorer's API serves it.
fn found_v2(url: &str, v: serde_json::Value) -> Result<Found, LogCliError> {
    let bad = |what: &str| http_err(url, format!("not a Rekor v2 entry: {what}"));
    let text = |p: &str| v.pointer(p).and_then(serde_json::Value::as_str);
    let number = |p: &str| text(p).and_then(|t| t.parse::<u64>().ok());
    let body = text("/canonicalizedBody")
        .and_then(|b| gitsign_protocol::unb64(b).ok())
        .ok_or_else(|| bad("canonicalizedBody is missing or not base64"))?;
    let log_index = number("/logIndex").ok_or_else(|| bad("logIndex is missing"))?;
    let hash32 = |t: Option<&str>, what: &str| -> Result<merkle::Hash, String> {
        t.and_then(|t| gitsign_protocol::unb64(t).ok())
            .and_then(|h| h.try_into().ok())
            .ok_or_else(|| format!("{what} is not 32 bytes of base64"))
    };
    let proof = v.pointer("/inclusionProof").map(|_| Proof {
        index: number("/inclusionProof/logIndex").unwrap_or(u64::MAX),
        tree_size: number("/inclusionProof/treeSize").unwrap_or(0),
        root: hash32(text("/inclusionProof/rootHash"), "the root hash"),
        hashes: v
            .pointer("/inclusionProof/hashes")
            .and_then(serde_json::Value::as_array)
            .map(|a| a.iter().map(|h| hash32(h.as_str(), "an audit-path hash")).collect())
            .unwrap_or_else(|| Err("the audit path is missing".into())),
        checkpoint_root: Some(
            text("/inclusionProof/checkpoint/envelope")
                .ok_or_else(|| "the checkpoint is missing".to_string())
                .and_then(|c| SignedCheckpoint::parse(c).map_err(|e| format!("the checkpoint: {e}")))
                .map(|c| c.checkpoint.root),
        ),
    });
    let timestamps = v
        .get("devstackTimestamps")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(serde_json::Value::as_i64).collect())
        .unwrap_or_default();
    let (identity, issuer, sha256) = decoded(&body);
    Ok(Found {
        log: "v2",
        uuid: hex::encode(merkle::leaf_hash(&body)),
        log_index,
        integrated_time: None,
        timestamps,
        identity,
        issuer,
        sha256,
        entry: v,
        body,
        proof,
    })
}

/// `log get --log v2 --log-index N`.
pub fn get_v2_by_index(base: &str, index: u64) -> Result<Found, LogCliError> {
    let url = format!("{base}/api/explorer/v2/entries/{index}");
    let resp = client()?.get(&url).send().map_err(|e| http_err(&url, e))?;
    let v = serde_json::from_slice(&answer(&url, resp)?).map_err(|e| http_err(&url, format!("not JSON: {e}")))?;
    found_v2(&url, v)
}

/// The v2 entries under `param=value` (`email`, `hash`, `leafHash`), by log index.
fn retrieve_v2(base: &str, param: &str, value: &str) -> Result<Vec<Found>, LogCliError> {
    let value: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let url = format!("{base}/api/explorer/v2/search?{param}={value}");
    let resp = client()?.get(&url).send().map_err(|e| http_err(&url, e))?;
    let indexes: Vec<u64> = serde_json::from_slice(&answer(&url, resp)?)
        .map_err(|e| http_err(&url, format!("not a list of log indexes: {e}")))?;
    indexes.into_iter().map(|i| get_v2_by_index(base, i)).collect()
}

/// `log get --uuid U` in the logs `logs`: a v1 UUID, else (Rekor v2 has no UUIDs) a v2 entry's
/// leaf hash.
pub fn get_by_uuid_in(base: &str, uuid: &str, logs: Logs) -> Result<Found, LogCliError> {
    if logs.v1() {
        match get_by_uuid(base, uuid) {
            Err(LogCliError::NotFound(_)) if logs.v2() => {}
            other => return other,
        }
    }
    let leaf = uuid.trim().get(uuid.trim().len().saturating_sub(64)..).unwrap_or("");
    retrieve_v2(base, "leafHash", leaf)?.into_iter().next().ok_or_else(|| {
        LogCliError::NotFound(format!(
            "no entry with UUID {} in the {}",
            view::printable(uuid),
            match logs {
                Logs::V2 => "Rekor v2 log (its entries are named by their leaf hash)",
                _ => "Rekor v1 log, nor a leaf hash in the Rekor v2 log",
            }
        ))
    })
}

fn one_entry(url: &str, body: &[u8]) -> Result<Found, LogCliError> {
    let entries: LogEntries =
        serde_json::from_slice(body).map_err(|e| http_err(url, format!("not a log entry: {e}")))?;
    let mut it = entries.into_iter();
    match (it.next(), it.next()) {
        (Some((uuid, entry)), None) => Ok(found(uuid, entry)),
        _ => Err(http_err(url, "expected exactly one entry in the answer")),
    }
}

/// `log get --log-index N`.
pub fn get_by_index(rekor: &str, index: u64) -> Result<Found, LogCliError> {
    let url = format!("{rekor}/api/v1/log/entries?logIndex={index}");
    let resp = client()?.get(&url).send().map_err(|e| http_err(&url, e))?;
    one_entry(&url, &answer(&url, resp)?)
}

/// `log get --uuid U`.
pub fn get_by_uuid(rekor: &str, uuid: &str) -> Result<Found, LogCliError> {
    let uuid = uuid.trim();
    if !(uuid.len() == 64 || uuid.len() == 80) || !uuid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LogCliError::Usage(format!(
            "{:?} is not an entry UUID: give 64 hex digits (or 80 with the tree ID)",
            view::printable(uuid)
        )));
    }
    let url = format!("{rekor}/api/v1/log/entries/{uuid}");
    let resp = client()?.get(&url).send().map_err(|e| http_err(&url, e))?;
    one_entry(&url, &answer(&url, resp)?)
}

fn retrieve(rekor: &str, query: serde_json::Value) -> Result<Vec<Found>, LogCliError> {
    let url = format!("{rekor}/api/v1/index/retrieve");
    let c = client()?;
    let resp = c.post(&url).json(&query).send().map_err(|e| http_err(&url, e))?;
    let uuids: Vec<String> = serde_json::from_slice(&answer(&url, resp)?)
        .map_err(|e| http_err(&url, format!("not a list of UUIDs: {e}")))?;
    let mut out = Vec::new();
    for uuid in uuids {
        if uuid.len() > 80 || !uuid.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(http_err(&url, "the log answered something that is not a UUID"));
        }
        out.push(get_by_uuid(rekor, &uuid)?);
    }
    out.sort_by_key(|f| f.log_index);
    out.dedup_by_key(|f| f.log_index);
    Ok(out)
}

/// The digests a commit search looks up, and a note on what could not be looked up.
pub fn commit_digests(id: &str, repo: Option<&Path>) -> (Vec<CommitDigest>, Option<String>) {
    let dir = repo.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let git = |args: &[&str]| {
        std::process::Command::new("git").arg("-C").arg(&dir).args(args).stdin(std::process::Stdio::null()).output()
    };
    let resolved = git(&["rev-parse", "--verify", "-q", &format!("{id}^{{commit}}")])
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let Some(full) = resolved else {
        let mut digests = Vec::new();
        if view::is_commit_id(id) {
            digests.push(view::online_digest(id));
        }
        let note = format!(
            "commit {} is not in the repository {}: only what online mode logs (the digest of the commit ID) \
             was looked up; to find an offline-mode signature, pass --repo with a repository holding the commit",
            view::printable(id),
            dir.display()
        );
        return (digests, Some(note));
    };
    let object = git(&["cat-file", "commit", &full]).ok().filter(|o| o.status.success()).map(|o| o.stdout);
    match object.map(|o| view::object_digests(&o)) {
        Some(Ok(mut digests)) => {
            if !digests.iter().any(|d| d.what.contains(&full)) {
                digests.push(view::online_digest(&full));
            }
            (digests, None)
        }
        Some(Err(e)) => (vec![view::online_digest(&full)], Some(format!("commit {full}: {e}"))),
        None => (vec![view::online_digest(&full)], Some(format!("git cat-file commit {full} failed"))),
    }
}

/// What a search looked up, and what it found.
#[derive(Debug)]
pub struct SearchOutcome {
    /// What was looked up (for people).
    pub looked_up: Vec<String>,
    /// A note on what could not be looked up.
    pub note: Option<String>,
    /// The entries, by log index.
    pub found: Vec<Found>,
}

/// `log search` in the logs `logs`: the entries found, v1's first, each log's by index.
pub fn search(rekor: &str, what: &Search, logs: Logs) -> Result<SearchOutcome, LogCliError> {
    let by_hash = |hex: &str| -> Result<Vec<Found>, LogCliError> {
        let mut out = Vec::new();
        if logs.v1() {
            out.extend(retrieve(rekor, serde_json::json!({"hash": format!("sha256:{hex}")}))?);
        }
        if logs.v2() {
            out.extend(retrieve_v2(rekor, "hash", hex)?);
        }
        Ok(out)
    };
    match what {
        Search::Email(email) => {
            let mut found = Vec::new();
            if logs.v1() {
                found.extend(retrieve(rekor, serde_json::json!({ "email": email }))?);
            }
            if logs.v2() {
                found.extend(retrieve_v2(rekor, "email", email)?);
            }
            Ok(SearchOutcome { looked_up: vec![format!("email {email}")], note: None, found })
        }
        Search::Sha256(hash) => {
            let hex = hash.trim().strip_prefix("sha256:").unwrap_or(hash.trim()).to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(LogCliError::Usage(format!(
                    "{:?} is not a SHA-256 digest: give 64 hex digits, optionally after sha256:",
                    view::printable(hash)
                )));
            }
            Ok(SearchOutcome { looked_up: vec![format!("sha256:{hex}")], note: None, found: by_hash(&hex)? })
        }
        Search::Commit { id, repo } => {
            let (digests, note) = commit_digests(id, repo.as_deref());
            if digests.is_empty() {
                return Err(LogCliError::Usage(note.unwrap_or_else(|| format!("cannot search for commit {id}"))));
            }
            let mut found = Vec::new();
            for d in &digests {
                found.extend(by_hash(&d.sha256)?);
            }
            found.sort_by_key(|f| (f.log, f.log_index));
            found.dedup_by_key(|f| (f.log, f.log_index));
            Ok(SearchOutcome {
                looked_up: digests.iter().map(|d| format!("sha256:{} = {}", d.sha256, d.what)).collect(),
                note,
                found,
            })
        }
    }
}

/// The one-paragraph human form of an entry.
pub fn human_summary(f: &Found) -> String {
    let p = |s: &Option<String>| view::printable(s.as_deref().unwrap_or("-"));
    let (log, time) = match f.integrated_time {
        Some(t) => ("Rekor v1", format!("integrated {}", view::utc(t))),
        None => (
            "Rekor v2",
            match f.timestamps.first() {
                Some(t) => format!("timestamped {} (TSA)", view::utc(*t)),
                None => "no time (Rekor v2 logs none; no TSA timestamp recorded)".into(),
            },
        ),
    };
    let uuid = if f.log == "v2" { "leaf hash" } else { "uuid     " };
    format!(
        "{log} log index {}  {time}\n  {uuid} {}\n  identity  {}\n  issuer    {}\n  sha256    {}\n",
        f.log_index,
        view::printable(&f.uuid),
        p(&f.identity),
        p(&f.issuer),
        p(&f.sha256),
    )
}

/// The detailed human form of one entry (`log get`): the summary, the certificate, and the
/// inclusion proof checked against the root it carries (for v2, the root its checkpoint names).
pub fn human_detail(f: &Found) -> String {
    let mut out = human_summary(f);
    let time =
        f.integrated_time.map(|t| (t, "integrated time")).or(f.timestamps.first().map(|t| (*t, "TSA timestamp")));
    if let Ok(v) = view::decode_body(&f.body) {
        out += &format!("  kind      {} {}\n", view::printable(&v.kind), view::printable(&v.api_version));
        if let Signer::Certificate(c) = &v.signer {
            let validity = match time {
                Some((t, what)) => format!("{} at the {what}", if c.valid_at(t) { "valid" } else { "NOT valid" }),
                None => "no time to check it against".into(),
            };
            out += &format!("  valid     {} to {} ({validity})\n", view::utc(c.not_before), view::utc(c.not_after));
            for x in &c.extensions {
                out += &format!("  ext       {} ({}): {}\n", x.name, x.oid, view::printable(&x.value));
            }
        }
    }
    match &f.proof {
        Some(p) => {
            let check = (|| -> Result<(), String> {
                let root = p.root.clone()?;
                if let Some(cp) = &p.checkpoint_root
                    && cp.clone()? != root
                {
                    return Err("the checkpoint names another root than the proof".into());
                }
                merkle::verify_inclusion(p.index, p.tree_size, &merkle::leaf_hash(&f.body), &p.hashes.clone()?, &root)
                    .map_err(|e| e.to_string())
            })();
            let against = if p.checkpoint_root.is_some() { "its checkpoint's root" } else { "the root it carries" };
            out += &format!(
                "  inclusion {} (tree size {}, root {})\n",
                match check {
                    Ok(()) => format!("proof verified against {against}"),
                    Err(e) => format!("proof FAILED: {}", view::printable(&e)),
                },
                p.tree_size,
                p.root.as_ref().map(hex::encode).unwrap_or_else(|e| view::printable(e))
            );
        }
        None => out += "  inclusion no proof given\n",
    }
    out
}
