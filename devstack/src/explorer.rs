//! The log explorer: server-rendered pages (no JavaScript) to look into the devstack's log, the
//! local counterpart of search.sigstore.dev. The front page (`GET /`, in [`crate::web`]) lists the
//! services, the trust root, the log size and the latest entries, and answers searches given with
//! search.sigstore.dev's parameter names (`/?email=`, `/?hash=`, `/?logIndex=`, `/?uuid=`,
//! `/?commitSha=`); `POST /search/object` finds the entries of a pasted commit, tag or signature;
//! `GET /entries/{logIndex}` shows one entry decoded, with its inclusion proof checked against
//! the current checkpoint. Everything read from the log was written by whoever logged it, so every
//! string goes through [`html_escape`] (and into URLs through form encoding).

use crate::explorer_view::{self as view, CertView, EntryView, Signer};
use crate::html::{html_escape, html_page};
use crate::services::Services;
use crate::store::{StoreError, StoredEntry};
use crate::tlog::RekorError;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gitsign_protocol::checkpoint::SignedCheckpoint;
use gitsign_protocol::keys::PublicKey;
use gitsign_protocol::merkle::{self, Hash};
use gitsign_protocol::rekor as wire;
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::Arc;

type Shared = Arc<Services>;

/// Entries per page of a listing.
pub const PAGE: usize = 20;

/// A failure while drawing a page.
#[derive(Debug, thiserror::Error)]
pub enum ExplorerError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The log failed.
    #[error(transparent)]
    Log(#[from] RekorError),
    /// The Rekor v2 log failed.
    #[error(transparent)]
    LogV2(#[from] crate::rekor_v2::RekorV2Error),
    /// The page's worker failed.
    #[error("the page's worker failed: {0}")]
    Worker(String),
}

impl IntoResponse for ExplorerError {
    fn into_response(self) -> Response {
        let body = format!("<p class=err>{}</p>", html_escape(&self.to_string()));
        (StatusCode::INTERNAL_SERVER_ERROR, html_page("Log explorer: error", &body)).into_response()
    }
}

/// A drawn page: HTML with a status, or a redirect.
#[derive(Debug)]
pub enum Page {
    /// Status, title, body HTML.
    Html(StatusCode, String, String),
    /// 303 to this path.
    Redirect(String),
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        match self {
            Page::Html(status, title, body) => (status, html_page(&title, &body)).into_response(),
            Page::Redirect(to) => (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response(),
        }
    }
}

/// Routes of the explorer besides `GET /`.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/entries/{index}", get(entry_handler))
        .route("/entries/v2/{index}", get(entry_v2_handler))
        .route("/search/object", post(object_handler))
        .route("/api/explorer/v2/entries/{index}", get(v2_json_entry))
        .route("/api/explorer/v2/search", get(v2_json_search))
}

/// The parameters of `GET /api/explorer/v2/search` (one of them).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V2SearchQuery {
    /// Signer's email.
    pub email: Option<String>,
    /// Logged SHA-256 (hex, `sha256:` optional).
    pub hash: Option<String>,
    /// Leaf hash (hex).
    pub leaf_hash: Option<String>,
}

/// A JSON answer of the explorer's v2 API.
fn json_answer(status: StatusCode, v: serde_json::Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// `GET /api/explorer/v2/entries/{n}`: the v2 entry as a TransparencyLogEntry (protobuf JSON)
/// with its inclusion proof against the current checkpoint, and `devstackTimestamps`: the times
/// (seconds) this devstack's TSA stamped the entry's signature (Rekor v2 has no integrated time).
async fn v2_json_entry(State(s): State<Shared>, Path(index): Path<String>) -> Response {
    let Ok(n) = index.parse::<u64>() else {
        return json_answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"code": 400, "message": "the log index is not a number"}),
        );
    };
    let r = blocking(s, move |s| {
        let mut entry = match s.log_v2.entry(n) {
            Ok(e) => e,
            Err(e) => return Ok(Err(e.to_string())),
        };
        let times = s.log_v2.body(n).map(|b| v2_timestamps(s, &b)).transpose()?.unwrap_or_default();
        entry["devstackTimestamps"] = serde_json::json!(times);
        Ok(Ok(entry))
    })
    .await;
    match r {
        Ok(Ok(v)) => json_answer(StatusCode::OK, v),
        Ok(Err(message)) => json_answer(StatusCode::NOT_FOUND, serde_json::json!({"code": 404, "message": message})),
        Err(e) => {
            json_answer(StatusCode::INTERNAL_SERVER_ERROR, serde_json::json!({"code": 500, "message": e.to_string()}))
        }
    }
}

/// `GET /api/explorer/v2/search?email=|hash=|leafHash=`: the log indexes of the v2 entries
/// under that key, ascending (at most 10,000).
async fn v2_json_search(
    State(s): State<Shared>,
    query: Result<axum::extract::Query<V2SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let q = query.map(|q| q.0).unwrap_or_default();
    let key = if let Some(e) = q.email {
        email_key(e.trim())
    } else if let Some(h) = q.hash.or(q.leaf_hash.clone()) {
        let hex = h.trim().strip_prefix("sha256:").unwrap_or(h.trim()).to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return json_answer(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"code": 400, "message": "give 64 hex digits"}),
            );
        }
        if q.leaf_hash.is_some() { format!("leaf:{hex}") } else { format!("sha256:{hex}") }
    } else {
        return json_answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"code": 400, "message": "give email, hash or leafHash"}),
        );
    };
    match blocking(s, move |s| Ok(s.log_v2.search(&key, None, 10_000)?)).await {
        Ok((page, _)) => {
            let mut indexes: Vec<u64> = page.iter().map(|(i, _)| *i).collect();
            indexes.sort_unstable();
            json_answer(StatusCode::OK, serde_json::json!(indexes))
        }
        Err(e) => {
            json_answer(StatusCode::INTERNAL_SERVER_ERROR, serde_json::json!({"code": 500, "message": e.to_string()}))
        }
    }
}

/// The search key of an email (or workload URI) search.
fn email_key(email: &str) -> String {
    if email.contains('@') { format!("email:{}", email.to_ascii_lowercase()) } else { format!("uri:{email}") }
}

/// The times this devstack's TSA stamped the signature of v2 entry `body` (the imprint is the
/// SHA-256 of the signature value, what gitsign asks to be stamped), earliest first.
pub fn v2_timestamps(s: &Services, body: &[u8]) -> Result<Vec<i64>, ExplorerError> {
    let Some(sig) = view::decode_body(body).ok().and_then(|v| gitsign_protocol::unb64(&v.signature_b64).ok()) else {
        return Ok(vec![]);
    };
    Ok(s.lock_store().timestamps_of(&gitsign_protocol::sha256(&sig))?)
}

/// The search parameters of the front page (search.sigstore.dev's names), and `before` to page.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// Email (or workload URI) of the signer.
    pub email: Option<String>,
    /// SHA-256 logged in the entry (`sha256:` prefix optional).
    pub hash: Option<String>,
    /// Log index.
    pub log_index: Option<String>,
    /// Entry UUID.
    pub uuid: Option<String>,
    /// Commit ID.
    pub commit_sha: Option<String>,
    /// Show entries before this log index (paging).
    pub before: Option<String>,
    /// Show Rekor v2 entries before this log index (paging).
    pub before2: Option<String>,
    /// Which log a `logIndex` search means: `v2` for the Rekor v2 log, else the v1 log.
    pub log: Option<String>,
}

async fn blocking<T: Send + 'static>(
    s: Shared,
    f: impl FnOnce(&Services) -> Result<T, ExplorerError> + Send + 'static,
) -> Result<T, ExplorerError> {
    tokio::task::spawn_blocking(move || f(&s)).await.map_err(|e| ExplorerError::Worker(e.to_string()))?
}

/// `GET /`: the front page, or a search.
pub async fn front_handler(s: Shared, q: SearchQuery) -> Result<Page, ExplorerError> {
    blocking(s, move |s| front(s, &q)).await
}

async fn entry_handler(State(s): State<Shared>, Path(index): Path<String>) -> Result<Page, ExplorerError> {
    blocking(s, move |s| entry_page(s, &index)).await
}

async fn entry_v2_handler(State(s): State<Shared>, Path(index): Path<String>) -> Result<Page, ExplorerError> {
    blocking(s, move |s| entry_page_v2(s, &index)).await
}

/// The form of `POST /search/object`.
#[derive(Debug, Deserialize)]
pub struct ObjectForm {
    /// The pasted commit or tag object, or signature.
    #[serde(default)]
    pub object: String,
}

async fn object_handler(State(s): State<Shared>, Form(form): Form<ObjectForm>) -> Result<Page, ExplorerError> {
    blocking(s, move |s| object_search(s, &form.object)).await
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn html(status: StatusCode, title: &str, body: String) -> Page {
    Page::Html(status, title.to_string(), body)
}

/// What each search looks for; shown on the front page and with every search.
fn search_forms(q: &SearchQuery) -> String {
    let field = |name: &str, label: &str, value: Option<&String>, placeholder: &str, help: &str| {
        format!(
            "<form method=get action=/ class=search><label for=f-{name}>{label}</label> \
             <input id=f-{name} name={name} value=\"{}\" placeholder=\"{}\" size=50> <button>Search</button>\
             <br><small>{help}</small></form>",
            html_escape(value.map(String::as_str).unwrap_or("")),
            html_escape(placeholder),
        )
    };
    let mut out = String::from("<h2>Search the log</h2>");
    out += &field(
        "email",
        "Email",
        q.email.as_ref(),
        "you@example.com",
        "Entries whose certificate names this email (a workload URI such as a CI job's also works), in both logs.",
    );
    out += &field(
        "hash",
        "SHA-256",
        q.hash.as_ref(),
        "sha256:… or 64 hex digits",
        "The digest an entry logs: of an artifact (<code>sha256sum FILE</code>), of a commit ID's text for \
         online-mode signatures, or of a signature's signed attributes for offline-mode ones.",
    );
    let v2 = q.log.as_deref() == Some("v2");
    let _ = write!(
        out,
        "<form method=get action=/ class=search><label for=f-logIndex>Log index</label> \
         <input id=f-logIndex name=logIndex value=\"{}\" placeholder=0 size=12> in the \
         <select id=f-log name=log><option value=v1{}>Rekor v1 log</option><option value=v2{}>Rekor v2 log</option>\
         </select> <button>Search</button><br><small>The entry's position in that log (each log counts from 0).\
         </small></form>",
        html_escape(q.log_index.as_deref().unwrap_or("")),
        if v2 { "" } else { " selected" },
        if v2 { " selected" } else { "" },
    );
    out += &field(
        "uuid",
        "Entry UUID",
        q.uuid.as_ref(),
        "64 hex digits (or 80 with the tree ID)",
        "The entry's leaf hash, as Rekor v1 names entries (Rekor v2 has no UUIDs: its entries are found \
         here by the same leaf hash).",
    );
    out += &field(
        "commitSha",
        "Commit ID",
        q.commit_sha.as_ref(),
        "git rev-parse HEAD",
        "A log holds digests, not commit IDs. Online mode (the Go gitsign's default) logs SHA-256 of the \
         commit ID's text, so a commit ID finds those entries. Offline mode logs SHA-256 of the signature's \
         signed attributes, which only the signature itself gives: for those, paste the commit below.",
    );
    out += "<form method=post action=/search/object class=search><label for=f-object>Commit, tag or signature\
            </label><br><textarea id=f-object name=object rows=6 cols=72 placeholder=\"paste the output of: \
            git cat-file commit <ID>   (or: git cat-file tag <TAG>, or the signature alone)\"></textarea><br>\
            <button>Find its entries</button><br><small>Finds both kinds of signature: the digest of the \
            signature's signed attributes (offline mode) and of the object's ID (online mode) are computed here \
            and looked up.</small></form>";
    out
}

/// The services of [`crate::services::Urls`], every field of it (so a service added there is
/// listed here without a change).
fn services_table(s: &Services) -> String {
    let mut rows = String::new();
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(&s.urls) {
        for (name, value) in map {
            let text = match value {
                serde_json::Value::String(v) => v,
                serde_json::Value::Null => continue,
                other => other.to_string(),
            };
            let _ =
                write!(rows, "<tr><td>{}</td><td><code>{}</code></td></tr>", html_escape(&name), html_escape(&text));
        }
    }
    format!("<h2>Services</h2><table>{rows}</table>")
}

fn trust_root_section(s: &Services) -> String {
    let mut out = String::from(
        "<h2>Trust root</h2><p>What clients trust: <a href=\"/trusted_root.json\">trusted_root.json</a></p><table>",
    );
    match serde_json::from_slice::<gitsign_protocol::trust::TrustedRoot>(&s.trusted_root_json) {
        Ok(root) => {
            for ca in &root.certificate_authorities {
                let _ = write!(
                    out,
                    "<tr><td>Certificate authority</td><td><code>{}</code> ({} certificates, CN {})</td></tr>",
                    html_escape(&ca.uri),
                    ca.cert_chain.certificates.len(),
                    html_escape(&ca.subject.common_name)
                );
            }
            for (kind, logs) in [("Transparency log", &root.tlogs), ("CT log", &root.ctlogs)] {
                for log in logs {
                    let _ = write!(
                        out,
                        "<tr><td>{kind}</td><td><code>{}</code> (log ID <code>{}</code>)</td></tr>",
                        html_escape(&log.base_url),
                        html_escape(&log.log_id.key_id)
                    );
                }
            }
            for tsa in &root.timestamp_authorities {
                let _ = write!(
                    out,
                    "<tr><td>Timestamp authority</td><td><code>{}</code> (CN {})</td></tr>",
                    html_escape(&tsa.uri),
                    html_escape(&tsa.subject.common_name)
                );
            }
        }
        Err(e) => {
            let _ = write!(out, "<tr><td colspan=2 class=err>unreadable: {}</td></tr>", html_escape(&e.to_string()));
        }
    }
    out + "</table>"
}

/// Which log an entry is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The Rekor v1-compatible log.
    V1,
    /// The Rekor v2 log.
    V2,
}

impl Which {
    fn heading(self) -> &'static str {
        match self {
            Which::V1 => "Rekor v1 log",
            Which::V2 => "Rekor v2 log",
        }
    }

    fn entry_path(self, index: u64) -> String {
        match self {
            Which::V1 => format!("/entries/{index}"),
            Which::V2 => format!("/entries/v2/{index}"),
        }
    }
}

/// One entry of a listing: its log, index, body, and time (v1: integrated; v2: the earliest
/// timestamp this devstack's TSA gave its signature, if any).
#[derive(Debug)]
pub struct Listed {
    which: Which,
    index: u64,
    body: Vec<u8>,
    time: Option<i64>,
}

fn listed_v1(e: StoredEntry) -> Listed {
    Listed { which: Which::V1, index: e.log_index, body: e.body, time: Some(e.integrated_time) }
}

fn listed_v2(s: &Services, (index, body): (u64, Vec<u8>)) -> Result<Listed, ExplorerError> {
    let time = v2_timestamps(s, &body)?.first().copied();
    Ok(Listed { which: Which::V2, index, body, time })
}

/// One row of an entry listing.
fn entry_row(e: &Listed) -> String {
    let (identity, issuer, hash) = match view::decode_body(&e.body) {
        Ok(v) => {
            let (id, iss) = v.identity();
            (id.unwrap_or("(no certificate)").to_string(), iss.unwrap_or("").to_string(), v.hash)
        }
        Err(_) => ("(undecodable body)".to_string(), String::new(), String::new()),
    };
    let time = match (e.which, e.time) {
        (_, Some(t)) => html_escape(&view::utc(t)),
        (Which::V2, None) => "<small>none recorded</small>".to_string(),
        (Which::V1, None) => String::new(),
    };
    format!(
        "<tr><td><a href=\"{path}\">{i}</a></td><td>{time}</td><td class=identity>{}</td><td>{}</td>\
         <td><code>{}</code></td></tr>",
        html_escape(&identity),
        html_escape(&issuer),
        html_escape(hash.get(..16).unwrap_or(&hash)),
        path = e.which.entry_path(e.index),
        i = e.index,
    )
}

fn entries_table(which: Which, entries: &[Listed]) -> String {
    let rows: String = entries.iter().map(entry_row).collect();
    let time = match which {
        Which::V1 => "Integrated time",
        Which::V2 => "Timestamp (TSA)",
    };
    format!(
        "<table class=\"entries {}\"><tr><th>Log index</th><th>{time}</th><th>Identity</th><th>OIDC issuer</th>\
         <th>SHA-256 (first 16 digits)</th></tr>{rows}</table>",
        match which {
            Which::V1 => "v1",
            Which::V2 => "v2",
        }
    )
}

fn parse_before(q: &SearchQuery) -> Option<u64> {
    q.before.as_deref().and_then(|b| b.trim().parse().ok())
}

fn parse_before2(q: &SearchQuery) -> Option<u64> {
    q.before2.as_deref().and_then(|b| b.trim().parse().ok())
}

/// What a log section explains of its log.
fn log_intro(s: &Services, which: Which, size: u64) -> String {
    let (id, url, note) = match which {
        Which::V1 => ("log-size", &s.urls.rekor, "Rekor v1 API; each entry carries the time the log integrated it."),
        Which::V2 => (
            "log-size-v2",
            &s.urls.rekor_v2,
            "Rekor v2 (tiles) API: entries carry no time, so a signature logged here is timestamped by the \
             timestamp authority; the time shown is the one this devstack's TSA gave the entry's signature.",
        ),
    };
    format!(
        "<h3>{} <small><code>{}</code></small></h3><p>It holds <b id={id}>{size}</b> {}. <small>{note}</small></p>",
        which.heading(),
        html_escape(url),
        if size == 1 { "entry" } else { "entries" },
    )
}

fn front(s: &Services, q: &SearchQuery) -> Result<Page, ExplorerError> {
    let searched = [&q.email, &q.hash, &q.log_index, &q.uuid, &q.commit_sha].iter().any(|v| v.is_some());
    if searched {
        return search(s, q);
    }
    let (before, before2) = (parse_before(q), parse_before2(q));
    let store = s.lock_store();
    let size = store.tree_size()?;
    let latest: Vec<Listed> = store.latest(before, PAGE as u64)?.into_iter().map(listed_v1).collect();
    drop(store);
    let size2 = s.log_v2.size();
    let latest2 = s.log_v2.latest(before2, PAGE).into_iter().map(|e| listed_v2(s, e)).collect::<Result<Vec<_>, _>>()?;
    let mut body = search_forms(q);
    body += "<h2>Latest entries</h2>";
    for (which, size, latest, param, other) in [
        (Which::V1, size, &latest, "before", q.before2.as_deref().map(|b| ("before2", b))),
        (Which::V2, size2, &latest2, "before2", q.before.as_deref().map(|b| ("before", b))),
    ] {
        body += &log_intro(s, which, size);
        if latest.is_empty() {
            body += "<p>No entries yet: sign a commit with gitsign against this devstack \
                     (<code>. STATE/env.sh</code>).</p>";
            continue;
        }
        body += &entries_table(which, latest);
        if let Some(last) = latest.last()
            && last.index > 0
        {
            let keep = other.map(|(k, v)| format!("&amp;{k}={}", enc(v))).unwrap_or_default();
            let _ = write!(
                body,
                "<p><a href=\"/?{param}={}{keep}\">Older entries of the {}</a></p>",
                last.index,
                which.heading()
            );
        }
    }
    body += &services_table(s);
    body += &trust_root_section(s);
    Ok(html(StatusCode::OK, "gitsign-devstack log explorer", body))
}

/// Parses an entry UUID: 64 hex digits, or 80 with the 16-digit tree ID first.
fn parse_uuid(text: &str) -> Option<Hash> {
    let t = text.trim().to_ascii_lowercase();
    let hex_uuid = match t.len() {
        64 => &t[..],
        80 => &t[16..],
        _ => return None,
    };
    hex::decode(hex_uuid).ok()?.try_into().ok()
}

fn no_result(q: &SearchQuery, what: &str, extra: &str) -> Page {
    let body = format!(
        "<p class=none id=result>No entry found for {}. <small>(Both logs were searched, Rekor v1 and \
         Rekor v2.)</small></p>{extra}{}",
        html_escape(what),
        search_forms(q)
    );
    html(StatusCode::NOT_FOUND, "No entry found", body)
}

fn bad_search(q: &SearchQuery, message: &str) -> Page {
    let body = format!("<p class=err id=result>{}</p>{}", html_escape(message), search_forms(q));
    html(StatusCode::BAD_REQUEST, "Search not understood", body)
}

/// What a search found in both logs: a page of each (newest first) and each log's total.
#[derive(Debug, Default)]
struct Found {
    v1: Vec<Listed>,
    v1_total: u64,
    v2: Vec<Listed>,
    v2_total: u64,
}

impl Found {
    fn total(&self) -> u64 {
        self.v1_total + self.v2_total
    }

    /// The two sections, each with a "More" link (`more(which, last index)`) when it has more.
    fn sections(&self, more: impl Fn(Which, u64) -> Option<String>) -> String {
        let mut out = String::new();
        for (which, page, total) in [(Which::V1, &self.v1, self.v1_total), (Which::V2, &self.v2, self.v2_total)] {
            if page.is_empty() {
                continue;
            }
            let _ = write!(out, "<h3>{}: {}</h3>", which.heading(), count(total));
            out += &entries_table(which, page);
            if let Some(last) = page.last()
                && (page.len() as u64) < total
                && let Some(href) = more(which, last.index)
            {
                let _ = write!(out, "<p><a href=\"{href}\">More from the {}</a></p>", which.heading());
            }
        }
        out
    }
}

fn count(n: u64) -> String {
    if n == 1 { "1 entry".into() } else { format!("{n} entries") }
}

/// Entries under search `key` in both logs, newest first, each a page before its `before`.
fn lookup(s: &Services, key: &str, before: Option<u64>, before2: Option<u64>) -> Result<Found, ExplorerError> {
    let store = s.lock_store();
    let (v1, v1_total) = store.search_page(key, before, PAGE as u64)?;
    drop(store);
    let (v2, v2_total) = s.log_v2.search(key, before2, PAGE)?;
    Ok(Found {
        v1: v1.into_iter().map(listed_v1).collect(),
        v1_total,
        v2: v2.into_iter().map(|e| listed_v2(s, e)).collect::<Result<_, _>>()?,
        v2_total,
    })
}

fn results(
    q: &SearchQuery,
    title: &str,
    what: &str,
    param: &str,
    value: &str,
    key: &str,
    s: &Services,
) -> Result<Page, ExplorerError> {
    let found = lookup(s, key, parse_before(q), parse_before2(q))?;
    if found.total() == 0 {
        return Ok(no_result(q, what, ""));
    }
    let mut body = format!("<p id=result>{} for {}.</p>", count(found.total()), html_escape(what));
    body += &found.sections(|which, last| {
        let k = if which == Which::V1 { "before" } else { "before2" };
        Some(format!("/?{param}={}&amp;{k}={last}", enc(value)))
    });
    body += &search_forms(q);
    Ok(html(StatusCode::OK, title, body))
}

fn search(s: &Services, q: &SearchQuery) -> Result<Page, ExplorerError> {
    if let Some(email) = q.email.as_deref().map(str::trim) {
        let key = email_key(email);
        return results(q, "Search by email", &format!("email {email}"), "email", email, &key, s);
    }
    if let Some(hash) = q.hash.as_deref().map(str::trim) {
        let hex = hash.strip_prefix("sha256:").unwrap_or(hash).to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(bad_search(
                q,
                &format!("{hash:?} is not a SHA-256 digest: give 64 hex digits, optionally after sha256:"),
            ));
        }
        return results(q, "Search by hash", &format!("sha256:{hex}"), "hash", &hex, &format!("sha256:{hex}"), s);
    }
    if let Some(index) = q.log_index.as_deref().map(str::trim) {
        let Ok(n) = index.parse::<u64>() else {
            return Ok(bad_search(q, &format!("{index:?} is not a log index: give a number from 0")));
        };
        let which = if q.log.as_deref() == Some("v2") { Which::V2 } else { Which::V1 };
        let size = match which {
            Which::V1 => s.lock_store().tree_size()?,
            Which::V2 => s.log_v2.size(),
        };
        if n >= size {
            return Ok(no_result(
                q,
                &format!("log index {n} of the {}", which.heading()),
                &format!("<p>The {} holds {} (0 to {}).</p>", which.heading(), count(size), size.saturating_sub(1)),
            ));
        }
        return Ok(Page::Redirect(which.entry_path(n)));
    }
    if let Some(uuid) = q.uuid.as_deref().map(str::trim) {
        let Some(hash) = parse_uuid(uuid) else {
            return Ok(bad_search(
                q,
                &format!("{uuid:?} is not an entry UUID: give 64 hex digits (or 80 with the tree ID)"),
            ));
        };
        if let Some(n) = s.lock_store().index_of(&hash)? {
            return Ok(Page::Redirect(Which::V1.entry_path(n)));
        }
        return match s.log_v2.index_of_leaf(&hash)? {
            Some(n) => Ok(Page::Redirect(Which::V2.entry_path(n))),
            None => Ok(no_result(q, &format!("UUID {uuid}"), "")),
        };
    }
    if let Some(id) = q.commit_sha.as_deref().map(str::trim) {
        if !view::is_commit_id(id) {
            return Ok(bad_search(
                q,
                &format!(
                    "{id:?} is not a full commit ID: give 40 hex digits (64 in a SHA-256 repository), as `git rev-parse <rev>` prints it"
                ),
            ));
        }
        let digest = view::online_digest(id);
        let found = lookup(s, &format!("sha256:{}", digest.sha256), None, None)?;
        let explain = format!(
            "<p>Looked up <code>sha256:{}</code>, the digest of {}. A commit signed in offline mode logs the \
             digest of its signature's signed attributes instead, which the commit ID does not give: to find \
             it, paste the output of <code>git cat-file commit {}</code> into the box below.</p>",
            html_escape(&digest.sha256),
            html_escape(&digest.what),
            html_escape(id)
        );
        if found.total() == 0 {
            return Ok(no_result(q, &format!("commit {id}"), &explain));
        }
        let mut body = format!("<p id=result>{} for commit {}.</p>", count(found.total()), html_escape(id));
        body += &found.sections(|_, _| None);
        body += &explain;
        body += &search_forms(q);
        return Ok(html(StatusCode::OK, "Search by commit", body));
    }
    front(s, &SearchQuery::default())
}

fn object_search(s: &Services, pasted: &str) -> Result<Page, ExplorerError> {
    let q = SearchQuery::default();
    let digests = match view::object_digests(pasted.as_bytes()) {
        Ok(d) => d,
        Err(e) => return Ok(bad_search(&q, &e.to_string())),
    };
    let mut body = String::new();
    let mut total = 0;
    for d in &digests {
        let found = lookup(s, &format!("sha256:{}", d.sha256), None, None)?;
        total += found.total();
        let _ = write!(
            body,
            "<h2>{}</h2><p><code>sha256:{}</code>: {}.</p>",
            html_escape(&d.what),
            html_escape(&d.sha256),
            count(found.total())
        );
        body += &found.sections(|_, _| None);
    }
    let summary = if total == 0 {
        "<p class=none id=result>No entry found for the pasted object: it was not logged by this devstack \
         (both logs were searched).</p>"
            .to_string()
    } else {
        format!("<p id=result>{} for the pasted object.</p>", count(total))
    };
    body = summary + &body + &search_forms(&q);
    Ok(html(if total == 0 { StatusCode::NOT_FOUND } else { StatusCode::OK }, "Search by object", body))
}

/// The result of checking an entry's inclusion proof against the current checkpoint.
#[derive(Debug)]
pub struct ProofCheck {
    /// The signed checkpoint text.
    pub checkpoint: String,
    /// Tree size of the checkpoint.
    pub tree_size: u64,
    /// Root hash (hex).
    pub root: String,
    /// The audit path (hex).
    pub hashes: Vec<String>,
    /// `Ok` or why not.
    pub result: Result<(), String>,
}

/// Checks entry `e`'s inclusion in the current tree: the checkpoint's signature with the log's
/// key and name, then the audit path from the entry's leaf hash to the checkpoint's root.
pub fn check_inclusion(s: &Services, e: &StoredEntry) -> Result<ProofCheck, ExplorerError> {
    let store = s.lock_store();
    let info = s.log.info(&store)?;
    let proof = store.inclusion_proof(e.log_index, info.tree_size)?;
    drop(store);
    let result = (|| {
        let signed = SignedCheckpoint::parse(&info.signed_tree_head).map_err(|e| format!("checkpoint: {e}"))?;
        let key = PublicKey::from_spki_der(&s.log.public_key_der()).map_err(|e| format!("the log's key: {e}"))?;
        signed.verify(s.log.name(), &key).map_err(|e| format!("checkpoint signature: {e}"))?;
        let cp = &signed.checkpoint;
        if cp.size != info.tree_size {
            return Err(format!("the checkpoint's size {} is not the tree's {}", cp.size, info.tree_size));
        }
        merkle::verify_inclusion(e.log_index, cp.size, &merkle::leaf_hash(&e.body), &proof, &cp.root)
            .map_err(|e| format!("audit path: {e}"))
    })();
    Ok(ProofCheck {
        checkpoint: info.signed_tree_head,
        tree_size: info.tree_size,
        root: info.root_hash,
        hashes: proof.iter().map(hex::encode).collect(),
        result,
    })
}

fn row(k: &str, v_html: &str) -> String {
    format!("<tr><th>{}</th><td>{v_html}</td></tr>", html_escape(k))
}

fn code(s: &str) -> String {
    format!("<code>{}</code>", html_escape(s))
}

/// The time a certificate's validity window is checked against: (seconds, what it is).
type CheckTime = Option<(i64, &'static str)>;

fn certificate_section(c: &CertView, time: CheckTime) -> String {
    let mut out = String::from("<h2>Certificate</h2><table>");
    out += &row("Identity", &format!("<span id=identity>{}</span>", html_escape(c.identity().unwrap_or("(none)"))));
    out += &row(
        "OIDC issuer",
        &format!("<span id=issuer>{}</span>", html_escape(c.oidc_issuer.as_deref().unwrap_or("(none)"))),
    );
    let sans: Vec<String> = c.sans.iter().map(|(k, v)| format!("{}: {}", html_escape(k), html_escape(v))).collect();
    out += &row("Subject alternative names", &sans.join("<br>"));
    out += &row(
        "Subject",
        &if c.subject.is_empty() {
            "<small>(empty: a Fulcio certificate names its signer in the subject alternative names)</small>".to_string()
        } else {
            html_escape(&c.subject)
        },
    );
    out += &row("Issued by", &html_escape(&c.issuer_dn));
    out += &row("Serial", &code(&c.serial));
    let window = match time {
        Some((t, "integrated time")) if c.valid_at(t) => {
            "<span class=ok id=validity>the integrated time lies inside the \
             validity window: the certificate was valid when the entry was logged</span>"
                .to_string()
        }
        Some((_, "integrated time")) => "<span class=err id=validity>the integrated time lies OUTSIDE the validity \
             window: the certificate was not valid when the entry was logged</span>"
            .to_string(),
        Some((t, what)) if c.valid_at(t) => format!(
            "<span class=ok id=validity>the {what} lies inside the validity window: the certificate was valid \
             when the signature was timestamped</span>"
        ),
        Some((_, what)) => format!(
            "<span class=err id=validity>the {what} lies OUTSIDE the validity window: the certificate was not \
             valid when the signature was timestamped</span>"
        ),
        None => "<span class=err id=validity>no time to check the window against: Rekor v2 logs no time and this \
             devstack's TSA recorded no timestamp of this signature</span>"
            .to_string(),
    };
    out += &row(
        "Valid",
        &format!("{} to {}<br>{window}", html_escape(&view::utc(c.not_before)), html_escape(&view::utc(c.not_after))),
    );
    out += &row("Public key ID (SHA-256)", &code(&c.key_id));
    out += "</table><h3>Extensions</h3><table class=ext><tr><th>Name</th><th>OID</th><th>Value</th></tr>";
    for x in &c.extensions {
        let _ = write!(
            out,
            "<tr><td>{}{}</td><td><code>{}</code></td><td class=value>{}</td></tr>",
            html_escape(x.name),
            if x.critical { " (critical)" } else { "" },
            html_escape(&x.oid),
            html_escape(&x.value)
        );
    }
    out += "</table><h3>PEM</h3><pre>";
    out += &html_escape(&c.pem);
    out + "</pre>"
}

fn entry_page(s: &Services, index: &str) -> Result<Page, ExplorerError> {
    let q = SearchQuery::default();
    let Ok(n) = index.parse::<u64>() else {
        return Ok(bad_search(&q, &format!("{index:?} is not a log index: give a number from 0")));
    };
    let Some(e) = s.lock_store().entry(n)? else {
        return Ok(no_result(&q, &format!("log index {n}"), ""));
    };
    let uuid = wire::entry_uuid(&e.body);
    let proof = check_inclusion(s, &e)?;
    let mut body = String::from("<p><a href=\"/\">← Log explorer</a></p><table>");
    body += &row("Log", &format!("Rekor v1 log <code>{}</code>", html_escape(&s.urls.rekor)));
    body += &row("Log index", &format!("<span id=log-index>{n}</span>"));
    body += &row("UUID", &code(&uuid));
    body += &row("Integrated time", &format!("{} ({})", html_escape(&view::utc(e.integrated_time)), e.integrated_time));
    body += &row("Log ID", &code(s.log.log_id_hex()));
    body += &row(
        "Raw JSON",
        &format!(
            "<a href=\"/api/v1/log/entries?logIndex={n}\">by log index</a> · <a href=\"/api/v1/log/entries/{}\">by UUID</a>",
            enc(&uuid)
        ),
    );
    match view::decode_body(&e.body) {
        Ok(v) => {
            body += &row("Kind", &format!("{} {}", html_escape(&v.kind), html_escape(&v.api_version)));
            body += "</table>";
            body += &body_section(&v, Some((e.integrated_time, "integrated time")));
        }
        Err(err) => {
            body += "</table>";
            let _ = write!(
                body,
                "<p class=err>{}</p><pre>{}</pre>",
                html_escape(&err.to_string()),
                html_escape(&String::from_utf8_lossy(&e.body))
            );
        }
    }
    body += &proof_section(&proof, "the log");
    Ok(html(StatusCode::OK, &format!("Rekor v1 log entry {n}"), body))
}

/// The inclusion proof's result, the tree it was checked against, the audit path, the checkpoint.
fn proof_section(proof: &ProofCheck, log: &str) -> String {
    let mut body = String::from("<h2>Inclusion proof</h2>");
    match &proof.result {
        Ok(()) => {
            let _ = write!(
                body,
                "<p class=ok id=proof>Inclusion proof verified: the entry's leaf hash and its {} audit-path hashes \
                 give the root of the current checkpoint of {log} (tree size {}), whose signature verifies with \
                 the log's key.</p>",
                proof.hashes.len(),
                proof.tree_size
            );
        }
        Err(why) => {
            let _ = write!(body, "<p class=err id=proof>Inclusion proof FAILED: {}</p>", html_escape(why));
        }
    }
    body += "<table>";
    body += &row("Tree size", &proof.tree_size.to_string());
    body += &row("Root hash", &code(&proof.root));
    body += &row(
        "Audit path",
        &if proof.hashes.is_empty() {
            "<small>(no hashes: the tree holds this one entry, whose leaf hash is the root)</small>".to_string()
        } else {
            proof.hashes.iter().map(|h| code(h)).collect::<Vec<_>>().join("<br>")
        },
    );
    body += "</table><h3>Checkpoint</h3><pre id=checkpoint>";
    body += &html_escape(&proof.checkpoint);
    body + "</pre>"
}

/// Checks v2 entry `index` (body `body`) against the v2 log's current checkpoint: the
/// checkpoint's signature with the v2 log's key and name, then the audit path to its root.
pub fn check_inclusion_v2(s: &Services, index: u64, body: &[u8]) -> Result<ProofCheck, ExplorerError> {
    let (proof, size, checkpoint) = s.log_v2.inclusion(index)?;
    let mut root = String::new();
    let result = (|| {
        let signed = SignedCheckpoint::parse(&checkpoint).map_err(|e| format!("checkpoint: {e}"))?;
        let key = PublicKey::from_spki_der(&s.log_v2.public_key_der()).map_err(|e| format!("the log's key: {e}"))?;
        signed.verify(s.log_v2.name(), &key).map_err(|e| format!("checkpoint signature: {e}"))?;
        let cp = &signed.checkpoint;
        root = hex::encode(cp.root);
        if cp.size != size {
            return Err(format!("the checkpoint's size {} is not the tree's {size}", cp.size));
        }
        merkle::verify_inclusion(index, cp.size, &merkle::leaf_hash(body), &proof, &cp.root)
            .map_err(|e| format!("audit path: {e}"))
    })();
    Ok(ProofCheck { checkpoint, tree_size: size, root, hashes: proof.iter().map(hex::encode).collect(), result })
}

fn entry_page_v2(s: &Services, index: &str) -> Result<Page, ExplorerError> {
    let q = SearchQuery { log: Some("v2".into()), ..SearchQuery::default() };
    let Ok(n) = index.parse::<u64>() else {
        return Ok(bad_search(&q, &format!("{index:?} is not a log index: give a number from 0")));
    };
    let Some(entry) = s.log_v2.body(n) else {
        return Ok(no_result(&q, &format!("log index {n} of the Rekor v2 log"), ""));
    };
    let times = v2_timestamps(s, &entry)?;
    let proof = check_inclusion_v2(s, n, &entry)?;
    let mut body = String::from("<p><a href=\"/\">← Log explorer</a></p><table>");
    body += &row("Log", &format!("Rekor v2 log <code>{}</code>", html_escape(&s.urls.rekor_v2)));
    body += &row("Log index", &format!("<span id=log-index>{n}</span>"));
    body += &row(
        "Leaf hash",
        &format!(
            "{} <small>(Rekor v2 has no UUIDs; the UUID search finds the entry by this)</small>",
            code(&hex::encode(merkle::leaf_hash(&entry)))
        ),
    );
    body += &row("Integrated time", "none: Rekor v2 logs no time; the signature carries an RFC 3161 timestamp instead");
    let stamped = if times.is_empty() {
        "<span id=timestamp>none recorded: this devstack's TSA has not stamped this entry's signature (it may \
         carry another authority's timestamp)</span>"
            .to_string()
    } else {
        format!(
            "<span id=timestamp>{}</span><br><small>when this devstack's TSA stamped the entry's signature \
             (SHA-256 of the signature value as the message imprint)</small>",
            times.iter().map(|t| html_escape(&view::utc(*t))).collect::<Vec<_>>().join(", ")
        )
    };
    body += &row("Timestamp (TSA)", &stamped);
    body += &row(
        "Raw JSON",
        &format!(
            "<a href=\"/api/explorer/v2/entries/{n}\">the entry with its inclusion proof</a> · \
             <a href=\"{}/checkpoint\">the log's checkpoint</a>",
            html_escape(&s.urls.rekor_v2)
        ),
    );
    match view::decode_body(&entry) {
        Ok(v) => {
            body += &row("Kind", &format!("{} {}", html_escape(&v.kind), html_escape(&v.api_version)));
            body += "</table>";
            body += &body_section(&v, times.first().map(|t| (*t, "TSA timestamp")));
        }
        Err(err) => {
            body += "</table>";
            let _ = write!(
                body,
                "<p class=err>{}</p><pre>{}</pre>",
                html_escape(&err.to_string()),
                html_escape(&String::from_utf8_lossy(&entry))
            );
        }
    }
    body += &proof_section(&proof, "the Rekor v2 log");
    Ok(html(StatusCode::OK, &format!("Rekor v2 log entry {n}"), body))
}

fn body_section(v: &EntryView, time: CheckTime) -> String {
    let mut out = String::from("<h2>Body</h2><table>");
    out += &row(
        "Data hash",
        &format!("{}:<a href=\"/?hash={}\">{}</a>", html_escape(&v.hash_algorithm), enc(&v.hash), html_escape(&v.hash)),
    );
    out += &row("Signature", &format!("<code class=wrap>{}</code>", html_escape(&v.signature_b64)));
    out += "</table>";
    match &v.signer {
        Signer::Certificate(c) => out += &certificate_section(c, time),
        Signer::Key { pem, key_id } => {
            let _ = write!(
                out,
                "<h2>Public key</h2><p>ID <code>{}</code></p><pre>{}</pre>",
                html_escape(key_id),
                html_escape(pem)
            );
        }
        Signer::Unreadable(why) => {
            let _ = write!(out, "<h2>Signer</h2><p class=err>unreadable: {}</p>", html_escape(why));
        }
    }
    out
}
