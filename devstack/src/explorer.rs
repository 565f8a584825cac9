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
    Router::new().route("/entries/{index}", get(entry_handler)).route("/search/object", post(object_handler))
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
        "Entries whose certificate names this email (a workload URI such as a CI job's also works).",
    );
    out += &field(
        "hash",
        "SHA-256",
        q.hash.as_ref(),
        "sha256:… or 64 hex digits",
        "The digest an entry logs: of an artifact (<code>sha256sum FILE</code>), of a commit ID's text for \
         online-mode signatures, or of a signature's signed attributes for offline-mode ones.",
    );
    out += &field("logIndex", "Log index", q.log_index.as_ref(), "0", "The entry's position in the log.");
    out += &field(
        "uuid",
        "Entry UUID",
        q.uuid.as_ref(),
        "64 hex digits (or 80 with the tree ID)",
        "The entry's leaf hash, as Rekor names entries.",
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

/// One row of an entry listing.
fn entry_row(e: &StoredEntry) -> String {
    let (identity, issuer, hash) = match view::decode_body(&e.body) {
        Ok(v) => {
            let (id, iss) = v.identity();
            (id.unwrap_or("(no certificate)").to_string(), iss.unwrap_or("").to_string(), v.hash)
        }
        Err(_) => ("(undecodable body)".to_string(), String::new(), String::new()),
    };
    format!(
        "<tr><td><a href=\"/entries/{i}\">{i}</a></td><td>{}</td><td class=identity>{}</td><td>{}</td>\
         <td><code>{}</code></td></tr>",
        html_escape(&view::utc(e.integrated_time)),
        html_escape(&identity),
        html_escape(&issuer),
        html_escape(hash.get(..16).unwrap_or(&hash)),
        i = e.log_index,
    )
}

fn entries_table(entries: &[StoredEntry]) -> String {
    let rows: String = entries.iter().map(entry_row).collect();
    format!(
        "<table class=entries><tr><th>Log index</th><th>Integrated</th><th>Identity</th><th>OIDC issuer</th>\
         <th>SHA-256</th></tr>{rows}</table>"
    )
}

fn parse_before(q: &SearchQuery) -> Option<u64> {
    q.before.as_deref().and_then(|b| b.trim().parse().ok())
}

fn front(s: &Services, q: &SearchQuery) -> Result<Page, ExplorerError> {
    let searched = [&q.email, &q.hash, &q.log_index, &q.uuid, &q.commit_sha].iter().any(|v| v.is_some());
    if searched {
        return search(s, q);
    }
    let store = s.lock_store();
    let size = store.tree_size()?;
    let before = parse_before(q);
    let latest = store.latest(before, PAGE as u64)?;
    drop(store);
    let mut body = search_forms(q);
    let _ = write!(body, "<h2>Latest entries</h2><p>The log holds <b id=log-size>{size}</b> entries.</p>");
    if latest.is_empty() {
        body +=
            "<p>No entries yet: sign a commit with gitsign against this devstack (<code>. STATE/env.sh</code>).</p>";
    } else {
        body += &entries_table(&latest);
        if let Some(last) = latest.last()
            && last.log_index > 0
        {
            let _ = write!(body, "<p><a href=\"/?before={}\">Older entries</a></p>", last.log_index);
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
    let body =
        format!("<p class=none id=result>No entry found for {}.</p>{extra}{}", html_escape(what), search_forms(q));
    html(StatusCode::NOT_FOUND, "No entry found", body)
}

fn bad_search(q: &SearchQuery, message: &str) -> Page {
    let body = format!("<p class=err id=result>{}</p>{}", html_escape(message), search_forms(q));
    html(StatusCode::BAD_REQUEST, "Search not understood", body)
}

/// Entries under search `key`, newest first, a page before `before`: (page, whether more).
fn lookup(s: &Services, key: &str, before: Option<u64>) -> Result<(Vec<StoredEntry>, usize), ExplorerError> {
    let store = s.lock_store();
    let all = store.search(key)?;
    let total = all.len();
    let mut page = Vec::new();
    for index in all.iter().rev().filter(|i| before.is_none_or(|b| **i < b)).take(PAGE) {
        if let Some(e) = store.entry(*index)? {
            page.push(e);
        }
    }
    Ok((page, total))
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
    let (page, total) = lookup(s, key, parse_before(q))?;
    if page.is_empty() {
        return Ok(no_result(q, what, ""));
    }
    let mut body =
        format!("<p id=result>{total} {} for {}.</p>", if total == 1 { "entry" } else { "entries" }, html_escape(what));
    body += &entries_table(&page);
    if let Some(last) = page.last()
        && page.len() == PAGE
    {
        let _ = write!(body, "<p><a href=\"/?{param}={}&amp;before={}\">More</a></p>", enc(value), last.log_index);
    }
    body += &search_forms(q);
    Ok(html(StatusCode::OK, title, body))
}

fn search(s: &Services, q: &SearchQuery) -> Result<Page, ExplorerError> {
    if let Some(email) = q.email.as_deref().map(str::trim) {
        let key =
            if email.contains('@') { format!("email:{}", email.to_ascii_lowercase()) } else { format!("uri:{email}") };
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
        let size = s.lock_store().tree_size()?;
        if n >= size {
            return Ok(no_result(
                q,
                &format!("log index {n}"),
                &format!("<p>The log holds {size} entries (0 to {}).</p>", size.saturating_sub(1)),
            ));
        }
        return Ok(Page::Redirect(format!("/entries/{n}")));
    }
    if let Some(uuid) = q.uuid.as_deref().map(str::trim) {
        let Some(hash) = parse_uuid(uuid) else {
            return Ok(bad_search(
                q,
                &format!("{uuid:?} is not an entry UUID: give 64 hex digits (or 80 with the tree ID)"),
            ));
        };
        return match s.lock_store().index_of(&hash)? {
            Some(n) => Ok(Page::Redirect(format!("/entries/{n}"))),
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
        let (page, total) = lookup(s, &format!("sha256:{}", digest.sha256), None)?;
        let explain = format!(
            "<p>Looked up <code>sha256:{}</code>, the digest of {}. A commit signed in offline mode logs the \
             digest of its signature's signed attributes instead, which the commit ID does not give: to find \
             it, paste the output of <code>git cat-file commit {}</code> into the box below.</p>",
            html_escape(&digest.sha256),
            html_escape(&digest.what),
            html_escape(id)
        );
        if page.is_empty() {
            return Ok(no_result(q, &format!("commit {id}"), &explain));
        }
        let mut body = format!(
            "<p id=result>{total} {} for commit {}.</p>",
            if total == 1 { "entry" } else { "entries" },
            html_escape(id)
        );
        body += &entries_table(&page);
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
    let mut found = 0;
    for d in &digests {
        let (page, total) = lookup(s, &format!("sha256:{}", d.sha256), None)?;
        found += total;
        let _ = write!(
            body,
            "<h2>{}</h2><p><code>sha256:{}</code>: {total} {}.</p>",
            html_escape(&d.what),
            html_escape(&d.sha256),
            if total == 1 { "entry" } else { "entries" }
        );
        if !page.is_empty() {
            body += &entries_table(&page);
        }
    }
    let summary = if found == 0 {
        "<p class=none id=result>No entry found for the pasted object: it was not logged by this devstack.</p>"
            .to_string()
    } else {
        format!("<p id=result>{found} {} for the pasted object.</p>", if found == 1 { "entry" } else { "entries" })
    };
    body = summary + &body + &search_forms(&q);
    Ok(html(if found == 0 { StatusCode::NOT_FOUND } else { StatusCode::OK }, "Search by object", body))
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

fn certificate_section(c: &CertView, integrated: i64) -> String {
    let mut out = String::from("<h2>Certificate</h2><table>");
    out += &row("Identity", &format!("<span id=identity>{}</span>", html_escape(c.identity().unwrap_or("(none)"))));
    out += &row(
        "OIDC issuer",
        &format!("<span id=issuer>{}</span>", html_escape(c.oidc_issuer.as_deref().unwrap_or("(none)"))),
    );
    let sans: Vec<String> = c.sans.iter().map(|(k, v)| format!("{}: {}", html_escape(k), html_escape(v))).collect();
    out += &row("Subject alternative names", &sans.join("<br>"));
    out += &row("Subject", &html_escape(&c.subject));
    out += &row("Issued by", &html_escape(&c.issuer_dn));
    out += &row("Serial", &code(&c.serial));
    let window = if c.valid_at(integrated) {
        "<span class=ok id=validity>the integrated time lies inside the validity window: the certificate was valid when the entry was logged</span>"
    } else {
        "<span class=err id=validity>the integrated time lies OUTSIDE the validity window: the certificate was not valid when the entry was logged</span>"
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
            body += &body_section(&v, e.integrated_time);
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
    body += "<h2>Inclusion proof</h2>";
    match &proof.result {
        Ok(()) => {
            let _ = write!(
                body,
                "<p class=ok id=proof>Inclusion proof verified: the entry's leaf hash and its {} audit-path hashes \
                 give the root of the current checkpoint (tree size {}), whose signature verifies with the log's key.</p>",
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
    body += &row("Audit path", &proof.hashes.iter().map(|h| code(h)).collect::<Vec<_>>().join("<br>"));
    body += "</table><h3>Checkpoint</h3><pre id=checkpoint>";
    body += &html_escape(&proof.checkpoint);
    body += "</pre>";
    Ok(html(StatusCode::OK, &format!("Log entry {n}"), body))
}

fn body_section(v: &EntryView, integrated: i64) -> String {
    let mut out = String::from("<h2>Body</h2><table>");
    out += &row(
        "Data hash",
        &format!("{}:<a href=\"/?hash={}\">{}</a>", html_escape(&v.hash_algorithm), enc(&v.hash), html_escape(&v.hash)),
    );
    out += &row("Signature", &format!("<code class=wrap>{}</code>", html_escape(&v.signature_b64)));
    out += "</table>";
    match &v.signer {
        Signer::Certificate(c) => out += &certificate_section(c, integrated),
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
