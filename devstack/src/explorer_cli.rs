//! `gitsign-devstack log search` and `log get`: the explorer's searches on the command line, as a
//! client of a running devstack's Rekor API (`POST /api/v1/index/retrieve`, `GET
//! /api/v1/log/entries`), found by its state directory (its `env.sh`) or given by URL. A commit
//! search looks up what each signing mode logs: SHA-256 of the commit ID's text (online mode) and,
//! when the commit is in a repository at hand, SHA-256 of its signature's signed attributes
//! (offline mode). Everything printed from the log is stripped of control characters.

use crate::explorer_view::{self as view, CommitDigest, Signer};
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

/// One entry found, with what the explorer decodes of it.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Found {
    /// Entry UUID.
    pub uuid: String,
    /// Log index.
    pub log_index: u64,
    /// Integrated time, seconds since the epoch.
    pub integrated_time: i64,
    /// Signer identity (first SAN), if a certificate.
    pub identity: Option<String>,
    /// OIDC issuer, if a certificate.
    pub issuer: Option<String>,
    /// The logged SHA-256.
    pub sha256: Option<String>,
    /// The entry as the log serves it.
    pub entry: LogEntry,
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

fn found(uuid: String, entry: LogEntry) -> Found {
    let decoded = gitsign_protocol::unb64(&entry.body).ok().and_then(|b| view::decode_body(&b).ok());
    let (identity, issuer, sha256) = match &decoded {
        Some(v) => {
            let (id, iss) = v.identity();
            (id.map(str::to_string), iss.map(str::to_string), Some(v.hash.clone()))
        }
        None => (None, None, None),
    };
    Found { uuid, log_index: entry.log_index, integrated_time: entry.integrated_time, identity, issuer, sha256, entry }
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

/// `log search`.
pub fn search(rekor: &str, what: &Search) -> Result<SearchOutcome, LogCliError> {
    let hash_query = |hex: &str| serde_json::json!({"hash": format!("sha256:{hex}")});
    match what {
        Search::Email(email) => Ok(SearchOutcome {
            looked_up: vec![format!("email {email}")],
            note: None,
            found: retrieve(rekor, serde_json::json!({ "email": email }))?,
        }),
        Search::Sha256(hash) => {
            let hex = hash.trim().strip_prefix("sha256:").unwrap_or(hash.trim()).to_ascii_lowercase();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(LogCliError::Usage(format!(
                    "{:?} is not a SHA-256 digest: give 64 hex digits, optionally after sha256:",
                    view::printable(hash)
                )));
            }
            Ok(SearchOutcome {
                looked_up: vec![format!("sha256:{hex}")],
                note: None,
                found: retrieve(rekor, hash_query(&hex))?,
            })
        }
        Search::Commit { id, repo } => {
            let (digests, note) = commit_digests(id, repo.as_deref());
            if digests.is_empty() {
                return Err(LogCliError::Usage(note.unwrap_or_else(|| format!("cannot search for commit {id}"))));
            }
            let mut found = Vec::new();
            for d in &digests {
                found.extend(retrieve(rekor, hash_query(&d.sha256))?);
            }
            found.sort_by_key(|f| f.log_index);
            found.dedup_by_key(|f| f.log_index);
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
    format!(
        "log index {}  integrated {}\n  uuid      {}\n  identity  {}\n  issuer    {}\n  sha256    {}\n",
        f.log_index,
        view::utc(f.integrated_time),
        view::printable(&f.uuid),
        p(&f.identity),
        p(&f.issuer),
        p(&f.sha256),
    )
}

/// The detailed human form of one entry (`log get`): the summary, the certificate, and the
/// inclusion proof checked against the root it carries.
pub fn human_detail(f: &Found) -> String {
    let mut out = human_summary(f);
    let body = gitsign_protocol::unb64(&f.entry.body).unwrap_or_default();
    if let Ok(v) = view::decode_body(&body) {
        out += &format!("  kind      {} {}\n", view::printable(&v.kind), view::printable(&v.api_version));
        if let Signer::Certificate(c) = &v.signer {
            out += &format!(
                "  valid     {} to {} ({} at the integrated time)\n",
                view::utc(c.not_before),
                view::utc(c.not_after),
                if c.valid_at(f.integrated_time) { "valid" } else { "NOT valid" }
            );
            for x in &c.extensions {
                out += &format!("  ext       {} ({}): {}\n", x.name, x.oid, view::printable(&x.value));
            }
        }
    }
    let proof = f.entry.verification.as_ref().and_then(|v| v.inclusion_proof.as_ref());
    match proof {
        Some(p) => {
            let check = (|| -> Result<(), String> {
                let root: merkle::Hash = hex::decode(&p.root_hash)
                    .ok()
                    .and_then(|r| r.try_into().ok())
                    .ok_or("the root hash is not 32 bytes of hex")?;
                let hashes = p
                    .hashes
                    .iter()
                    .map(|h| hex::decode(h).ok().and_then(|h| h.try_into().ok()))
                    .collect::<Option<Vec<merkle::Hash>>>()
                    .ok_or("an audit-path hash is not 32 bytes of hex")?;
                merkle::verify_inclusion(p.log_index, p.tree_size, &merkle::leaf_hash(&body), &hashes, &root)
                    .map_err(|e| e.to_string())
            })();
            out += &format!(
                "  inclusion {} (tree size {}, root {})\n",
                match check {
                    Ok(()) => "proof verified against the root it carries".to_string(),
                    Err(e) => format!("proof FAILED: {}", view::printable(&e)),
                },
                p.tree_size,
                view::printable(&p.root_hash)
            );
        }
        None => out += "  inclusion no proof given\n",
    }
    out
}
