//! The devstack's Rekor v2 log (rekor-tiles), served on a port of its own so that its name — the
//! checkpoint origin and signer name, `127.0.0.1:PORT` — is its own:
//! - the write API, `POST /api/v2/log/entries`, taking hashedrekord and DSSE v0.0.2 requests and
//!   answering a TransparencyLogEntry with an inclusion proof and a signed checkpoint (no signed
//!   entry timestamp and no integrated time: Rekor v2 clients get their time from a TSA);
//! - the tlog-tiles read API: `GET /checkpoint`, hash tiles `GET /tile/<L>/<N>[.p/<W>]` and entry
//!   bundles `GET /tile/entries/<N>[.p/<W>]`.
//!
//! Entries are kept in `log_v2.db` in the state directory (owner-only) and the tree is rebuilt
//! from them on start, so the log survives restarts as the v1 log does. Checkpoints are signed
//! with the log's own ECDSA P-256 key; the signature line's key hint is the first four bytes of
//! the log ID (SHA-256 of the key's SubjectPublicKeyInfo), the log ID the trusted root lists.

use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gitsign_protocol::checkpoint::{Checkpoint, NoteSignature, SignedCheckpoint};
use gitsign_protocol::keys::PublicKey;
use gitsign_protocol::merkle::{self, Hash, SubtreeStore};
use gitsign_protocol::{b64, sha256, unb64};
use rcgen::{KeyPair, PublicKeyData as _, SigningKey as _};
use rusqlite::{Connection, OptionalExtension as _, params};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Entries per tile (tlog-tiles).
const TILE_WIDTH: u64 = 256;
/// Largest request body taken.
const MAX_REQUEST: usize = 1 << 20;

/// A failure of the v2 log.
#[derive(Debug, thiserror::Error)]
pub enum RekorV2Error {
    /// The request is not one the log takes.
    #[error("{0}")]
    BadRequest(String),
    /// No such tile or entry bundle.
    #[error("{0}")]
    NotFound(String),
    /// The database or the signer failed.
    #[error("the Rekor v2 log failed: {0}")]
    Internal(String),
}

impl From<rusqlite::Error> for RekorV2Error {
    fn from(e: rusqlite::Error) -> Self {
        RekorV2Error::Internal(format!("database: {e}"))
    }
}

impl IntoResponse for RekorV2Error {
    fn into_response(self) -> Response {
        let status = match &self {
            RekorV2Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            RekorV2Error::NotFound(_) => StatusCode::NOT_FOUND,
            RekorV2Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({"code": status.as_u16(), "message": self.to_string()}))).into_response()
    }
}

fn bad(s: impl Into<String>) -> RekorV2Error {
    RekorV2Error::BadRequest(s.into())
}

/// The tree: every leaf's entry body, and every complete subtree's hash.
#[derive(Debug, Default)]
struct Tree {
    bodies: Vec<Vec<u8>>,
    nodes: HashMap<(u32, u64), Hash>,
    checkpoint: String,
}

impl SubtreeStore for Tree {
    type Error = RekorV2Error;
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, RekorV2Error> {
        self.nodes
            .get(&(level, index))
            .copied()
            .ok_or_else(|| RekorV2Error::Internal(format!("missing tree node ({level}, {index})")))
    }
}

impl Tree {
    fn size(&self) -> u64 {
        self.bodies.len() as u64
    }

    fn push(&mut self, body: Vec<u8>) -> Result<u64, RekorV2Error> {
        let index = self.size();
        for (level, idx, hash) in merkle::append_nodes(self, index, merkle::leaf_hash(&body))? {
            self.nodes.insert((level, idx), hash);
        }
        self.bodies.push(body);
        Ok(index)
    }
}

/// The Rekor v2 log.
#[derive(Debug)]
pub struct LogV2 {
    key: KeyPair,
    name: String,
    log_id: [u8; 32],
    db: Mutex<Connection>,
    tree: Mutex<Tree>,
}

/// An entry's log index and body.
pub type IndexedBody = (u64, Vec<u8>);

/// Path of the v2 log's database in a state directory.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("log_v2.db")
}

impl LogV2 {
    /// Opens (or makes) the log of the state directory `dir`, signing with `key` as `name`
    /// (the host:port of its URL).
    pub fn open(dir: &Path, key: KeyPair, name: String) -> Result<LogV2, RekorV2Error> {
        let path = db_path(dir);
        {
            let mut create = std::fs::File::options();
            create.create(true).truncate(false).write(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
            create.open(&path).map_err(|e| RekorV2Error::Internal(format!("{}: {e}", path.display())))?;
        }
        let conn = Connection::open(&path)?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, body BLOB NOT NULL);
             CREATE TABLE IF NOT EXISTS search (key TEXT NOT NULL, idx INTEGER NOT NULL,
                 PRIMARY KEY (key, idx)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);",
        )?;
        let mut tree = Tree::default();
        {
            let mut stmt = conn.prepare("SELECT idx, body FROM entries ORDER BY idx")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
            for row in rows {
                let (idx, body) = row?;
                if idx != tree.size() as i64 {
                    return Err(RekorV2Error::Internal(format!("{}: entry {idx} out of sequence", path.display())));
                }
                tree.push(body)?;
            }
        }
        backfill_search(&conn, &tree)?;
        let log_id = sha256(&key.subject_public_key_info());
        let log = LogV2 { key, name, log_id, db: Mutex::new(conn), tree: Mutex::new(Tree::default()) };
        tree.checkpoint = log.sign_checkpoint(&tree)?;
        *log.tree.lock().unwrap_or_else(|p| p.into_inner()) = tree;
        Ok(log)
    }

    /// The log's name (checkpoint origin and signer).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The log ID: SHA-256 of the key's SubjectPublicKeyInfo.
    pub fn log_id(&self) -> [u8; 32] {
        self.log_id
    }

    fn sign_checkpoint(&self, tree: &Tree) -> Result<String, RekorV2Error> {
        let checkpoint = Checkpoint {
            origin: self.name.clone(),
            size: tree.size(),
            root: merkle::root(tree, tree.size())?,
            extra: vec![],
        };
        let signature = self
            .key
            .sign(checkpoint.to_note().as_bytes())
            .map_err(|e| RekorV2Error::Internal(format!("signing the checkpoint: {e}")))?;
        let id = self.log_id;
        Ok(SignedCheckpoint {
            checkpoint,
            signatures: vec![NoteSignature {
                name: self.name.clone(),
                key_hint: [id[0], id[1], id[2], id[3]],
                signature,
            }],
        }
        .to_text())
    }

    /// Logs the canonical entry `body`: stored, then added to the tree, then the
    /// checkpoint re-signed. Returns the TransparencyLogEntry.
    fn append(&self, body: Vec<u8>) -> Result<Value, RekorV2Error> {
        // Entry bundles give each entry a 16-bit length.
        if body.len() > usize::from(u16::MAX) {
            return Err(bad(format!("the entry is {} bytes, more than an entry bundle holds (65535)", body.len())));
        }
        let db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        let mut tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        let index = tree.size();
        // The entry and its search keys in one transaction.
        db.execute_batch("BEGIN IMMEDIATE")?;
        let written = (|| -> Result<(), rusqlite::Error> {
            db.execute("INSERT INTO entries (idx, body) VALUES (?1, ?2)", params![index as i64, body])?;
            let mut put = db.prepare_cached("INSERT OR IGNORE INTO search (key, idx) VALUES (?1, ?2)")?;
            for key in search_keys(&body) {
                put.execute(params![key, index as i64])?;
            }
            Ok(())
        })();
        match written {
            Ok(()) => db.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = db.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        tree.push(body)?;
        tree.checkpoint = self.sign_checkpoint(&tree)?;
        self.entry_json(&tree, index)
    }

    /// The TransparencyLogEntry of entry `index` (protobuf JSON, as the write API answers), with
    /// its inclusion proof against the current checkpoint.
    fn entry_json(&self, tree: &Tree, index: u64) -> Result<Value, RekorV2Error> {
        let body = tree
            .bodies
            .get(usize::try_from(index).unwrap_or(usize::MAX))
            .ok_or_else(|| RekorV2Error::NotFound(format!("no entry at log index {index} of the Rekor v2 log")))?;
        let kind = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("kind").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        let size = tree.size();
        let proof = merkle::inclusion_proof(tree, index, size)?;
        Ok(json!({
            "logIndex": index.to_string(),
            "logId": {"keyId": b64(self.log_id)},
            "kindVersion": {"kind": kind, "version": "0.0.2"},
            "inclusionProof": {
                "logIndex": index.to_string(),
                "rootHash": b64(merkle::root(tree, size)?),
                "treeSize": size.to_string(),
                "hashes": proof.iter().map(b64).collect::<Vec<_>>(),
                "checkpoint": {"envelope": tree.checkpoint},
            },
            "canonicalizedBody": b64(body),
        }))
    }

    /// The TransparencyLogEntry of entry `index` (see the explorer's raw JSON link).
    pub fn entry(&self, index: u64) -> Result<Value, RekorV2Error> {
        let tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        self.entry_json(&tree, index)
    }

    /// The log's DER public key (SubjectPublicKeyInfo).
    pub fn public_key_der(&self) -> Vec<u8> {
        self.key.subject_public_key_info()
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.tree.lock().unwrap_or_else(|p| p.into_inner()).size()
    }

    /// The body of entry `index`.
    pub fn body(&self, index: u64) -> Option<Vec<u8>> {
        let tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        tree.bodies.get(usize::try_from(index).ok()?).cloned()
    }

    /// The `limit` latest entries before index `before` (all when `None`), newest first.
    pub fn latest(&self, before: Option<u64>, limit: usize) -> Vec<IndexedBody> {
        let tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        let end = before.map_or(tree.size(), |b| b.min(tree.size()));
        (0..end).rev().take(limit).filter_map(|i| Some((i, tree.bodies.get(i as usize)?.clone()))).collect()
    }

    /// Entries under search `key` (see [`search_keys`]), newest first, `limit` of them before
    /// index `before`, and how many the key has in all: two reads of the index.
    pub fn search(
        &self,
        key: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<IndexedBody>, u64), RekorV2Error> {
        let db = self.db.lock().unwrap_or_else(|p| p.into_inner());
        let total: i64 =
            db.prepare_cached("SELECT COUNT(*) FROM search WHERE key = ?1")?.query_row([key], |r| r.get(0))?;
        let before = before.map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
        let indexes = db
            .prepare_cached("SELECT idx FROM search WHERE key = ?1 AND idx < ?2 ORDER BY idx DESC LIMIT ?3")?
            .query_map(params![key, before, limit as i64], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        drop(db);
        let tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        let page = indexes
            .into_iter()
            .filter_map(|i| {
                let i = u64::try_from(i).ok()?;
                Some((i, tree.bodies.get(usize::try_from(i).ok()?)?.clone()))
            })
            .collect();
        Ok((page, u64::try_from(total).unwrap_or(0)))
    }

    /// The index of the entry whose leaf hash is `leaf` (Rekor v2 has no UUIDs; the leaf hash,
    /// what a v1 UUID is, names its entries here).
    pub fn index_of_leaf(&self, leaf: &Hash) -> Result<Option<u64>, RekorV2Error> {
        let (found, _) = self.search(&format!("leaf:{}", hex::encode(leaf)), None, 1)?;
        Ok(found.first().map(|(i, _)| *i))
    }

    /// Entry `index`'s audit path in the current tree, with that tree's signed checkpoint:
    /// (hashes, tree size, checkpoint text).
    pub fn inclusion(&self, index: u64) -> Result<(Vec<Hash>, u64, String), RekorV2Error> {
        let tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
        let size = tree.size();
        if index >= size {
            return Err(RekorV2Error::NotFound(format!("no entry at log index {index} of the Rekor v2 log")));
        }
        Ok((merkle::inclusion_proof(&*tree, index, size)?, size, tree.checkpoint.clone()))
    }
}

/// Which derivation of search keys [`search_keys`] is (recorded in `meta`; a database indexed by
/// another, or from before the index, is backfilled on open). Change it whenever
/// [`search_keys`] changes.
pub const SEARCH_KEYS_VERSION: &str = "1: leaf, sha256, key, email and uri SANs";

/// Fills the search index from the bodies when it was built by another [`SEARCH_KEYS_VERSION`].
fn backfill_search(conn: &Connection, tree: &Tree) -> Result<(), RekorV2Error> {
    let current: Option<Vec<u8>> =
        conn.query_row("SELECT value FROM meta WHERE key = 'search_index_version'", [], |r| r.get(0)).optional()?;
    if current.as_deref() == Some(SEARCH_KEYS_VERSION.as_bytes()) {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let filled = (|| -> Result<(), rusqlite::Error> {
        let mut put = conn.prepare("INSERT OR IGNORE INTO search (key, idx) VALUES (?1, ?2)")?;
        for (i, body) in tree.bodies.iter().enumerate() {
            for key in search_keys(body) {
                put.execute(params![key, i as i64])?;
            }
        }
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('search_index_version', ?1)",
            [SEARCH_KEYS_VERSION.as_bytes()],
        )?;
        Ok(())
    })();
    match filled {
        Ok(()) => conn.execute_batch("COMMIT")?,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            return Err(e.into());
        }
    }
    Ok(())
}

/// The search keys of a v2 entry body, as the v1 log's (see [`crate::tlog::search_keys`]):
/// `leaf:<hex>` (its leaf hash), `sha256:<hex>` (a hashedrekord's digest, a DSSE envelope's
/// payload hash), and for each verifier `key:<hex>` and, for a certificate, `email:` / `uri:`
/// per SAN. A body that is neither kind yields its leaf key only.
pub fn search_keys(body: &[u8]) -> Vec<String> {
    let mut keys = vec![format!("leaf:{}", hex::encode(merkle::leaf_hash(body)))];
    let Ok(v) = serde_json::from_slice::<Value>(body) else { return keys };
    let spec = v.get("spec");
    let (digest, verifiers): (Option<&Value>, Vec<&Value>) =
        if let Some(h) = spec.and_then(|s| s.get("hashedRekordV002")) {
            (h.pointer("/data/digest"), h.pointer("/signature/verifier").into_iter().collect())
        } else if let Some(d) = spec.and_then(|s| s.get("dsseV002")) {
            (
                d.pointer("/payloadHash/digest"),
                d.get("signatures")
                    .and_then(Value::as_array)
                    .map(|s| s.iter().filter_map(|s| s.get("verifier")).collect())
                    .unwrap_or_default(),
            )
        } else {
            return keys;
        };
    if let Some(d) = digest.and_then(Value::as_str).and_then(|d| unb64(d).ok()) {
        keys.push(format!("sha256:{}", hex::encode(d)));
    }
    for verifier in verifiers {
        if let Some(cert) = verifier.pointer("/x509Certificate/rawBytes").and_then(Value::as_str) {
            if let Ok(der) = unb64(cert) {
                keys.extend(crate::tlog::certificate_keys(&der));
            }
        } else if let Some(spki) = verifier.pointer("/publicKey/rawBytes").and_then(Value::as_str)
            && let Ok(spki) = unb64(spki)
            && let Ok(key) = PublicKey::from_spki_der(&spki)
        {
            keys.push(format!("key:{}", hex::encode(key.key_id())));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The bytes of a base64 field `name` of `v`.
fn bytes(v: &Value, name: &str) -> Result<Vec<u8>, RekorV2Error> {
    let text = v.get(name).and_then(Value::as_str).ok_or_else(|| bad(format!("{name} is missing")))?;
    unb64(text).map_err(|e| bad(format!("{name} is not base64: {e}")))
}

/// A verifier (x509Certificate or publicKey, with keyDetails): its key, and its canonical form.
fn verifier(v: &Value) -> Result<(PublicKey, Value), RekorV2Error> {
    let details = v.get("keyDetails").and_then(Value::as_str).ok_or_else(|| bad("verifier.keyDetails is missing"))?;
    if details != "PKIX_ECDSA_P256_SHA_256" {
        return Err(bad(format!(
            "keyDetails {details} is not supported: the devstack's Rekor v2 takes PKIX_ECDSA_P256_SHA_256"
        )));
    }
    // The certificate as `{"rawBytes": ...}` (protobuf JSON) or a bare base64 string.
    let raw = |field: &str| -> Option<Result<Vec<u8>, RekorV2Error>> {
        let f = v.get(field)?;
        Some(match f {
            Value::String(s) => unb64(s).map_err(|e| bad(format!("{field} is not base64: {e}"))),
            other => bytes(other, "rawBytes"),
        })
    };
    let (key, canonical) = if let Some(cert) = raw("x509Certificate") {
        let cert = cert?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&cert)
            .map_err(|e| bad(format!("verifier.x509Certificate is not a DER certificate: {e}")))?;
        let key = PublicKey::from_spki_der(parsed.public_key().raw)
            .map_err(|e| bad(format!("the certificate's key: {e}")))?;
        (key, json!({"x509Certificate": {"rawBytes": b64(&cert)}, "keyDetails": details}))
    } else if let Some(spki) = raw("publicKey") {
        let spki = spki?;
        let key = PublicKey::from_spki_der(&spki).map_err(|e| bad(format!("verifier.publicKey: {e}")))?;
        (key, json!({"publicKey": {"rawBytes": b64(&spki)}, "keyDetails": details}))
    } else {
        return Err(bad("the verifier has neither x509Certificate nor publicKey"));
    };
    if key.kind() != gitsign_protocol::keys::KeyKind::EcdsaP256 {
        return Err(bad("the verifier's key is not ECDSA P-256, as its keyDetails say"));
    }
    Ok((key, canonical))
}

fn field<'a>(v: &'a Value, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| v.get(*n))
}

/// DSSE pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Validates a CreateEntryRequest: (kind, canonical entry body).
pub fn validate(request: &Value) -> Result<(&'static str, Vec<u8>), RekorV2Error> {
    if let Some(req) =
        field(request, &["hashedRekordRequestV002", "hashedRekordRequestV0_0_2", "hashed_rekord_request_v0_0_2"])
    {
        let digest = bytes(req, "digest")?;
        let digest: [u8; 32] = digest
            .as_slice()
            .try_into()
            .map_err(|_| bad(format!("digest is {} bytes, a SHA-256 is 32", digest.len())))?;
        let sig = req.get("signature").ok_or_else(|| bad("signature is missing"))?;
        let content = bytes(sig, "content")?;
        let (key, canonical) = verifier(sig.get("verifier").ok_or_else(|| bad("signature.verifier is missing"))?)?;
        key.verify_sha256_prehashed(&digest, &content)
            .map_err(|_| bad("the signature does not verify over the digest with the verifier's key"))?;
        let body = json!({
            "apiVersion": "0.0.2",
            "kind": "hashedrekord",
            "spec": {"hashedRekordV002": {
                "data": {"algorithm": "SHA2_256", "digest": b64(digest)},
                "signature": {"content": b64(&content), "verifier": canonical},
            }},
        });
        return Ok(("hashedrekord", serde_json::to_vec(&body).map_err(|e| RekorV2Error::Internal(e.to_string()))?));
    }
    if let Some(req) = field(request, &["dsseRequestV002", "dsseRequestV0_0_2", "dsse_request_v0_0_2"]) {
        let env = req.get("envelope").ok_or_else(|| bad("envelope is missing"))?;
        let payload = bytes(env, "payload")?;
        let payload_type =
            env.get("payloadType").and_then(Value::as_str).ok_or_else(|| bad("payloadType is missing"))?;
        let sigs = env
            .get("signatures")
            .and_then(Value::as_array)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| bad("the envelope has no signatures"))?;
        let verifiers = req
            .get("verifiers")
            .and_then(Value::as_array)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| bad("verifiers is missing"))?;
        let verifiers = verifiers.iter().map(verifier).collect::<Result<Vec<_>, _>>()?;
        let message = pae(payload_type, &payload);
        let mut signatures = Vec::new();
        for s in sigs {
            let sig = bytes(s, "sig")?;
            let (_, canonical) = verifiers
                .iter()
                .find(|(k, _)| k.verify(&message, &sig).is_ok())
                .ok_or_else(|| bad("an envelope signature verifies with none of the verifiers"))?;
            signatures.push(json!({"content": b64(&sig), "verifier": canonical}));
        }
        let body = json!({
            "apiVersion": "0.0.2",
            "kind": "dsse",
            "spec": {"dsseV002": {
                "payloadHash": {"algorithm": "SHA2_256", "digest": b64(sha256(&payload))},
                "signatures": signatures,
            }},
        });
        return Ok(("dsse", serde_json::to_vec(&body).map_err(|e| RekorV2Error::Internal(e.to_string()))?));
    }
    Err(bad("the request is neither a hashedRekordRequestV002 nor a dsseRequestV002"))
}

/// Routes of the v2 log (its own port, its own state).
pub fn routes(log: Arc<LogV2>) -> Router {
    Router::new()
        .route("/api/v2/log/entries", post(create_entry))
        .route("/checkpoint", get(checkpoint))
        .route("/api/v2/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                Json(json!({"code": 404, "message": "no such endpoint on the devstack's Rekor v2 log"})),
            )
        })
        .with_state(log)
}

async fn create_entry(State(log): State<Arc<LogV2>>, body: axum::body::Bytes) -> Result<Response, RekorV2Error> {
    if body.len() > MAX_REQUEST {
        return Err(bad(format!("the request is {} bytes, more than {MAX_REQUEST}", body.len())));
    }
    let request: Value = serde_json::from_slice(&body).map_err(|e| bad(format!("the request is not JSON: {e}")))?;
    let (_kind, canonical) = validate(&request)?;
    let entry = tokio::task::spawn_blocking(move || log.append(canonical))
        .await
        .map_err(|e| RekorV2Error::Internal(format!("worker failed: {e}")))??;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

async fn checkpoint(State(log): State<Arc<LogV2>>) -> Response {
    let text = log.tree.lock().unwrap_or_else(|p| p.into_inner()).checkpoint.clone();
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}

/// A tile index path (`x001/x234/067`, with `.p/<W>` for a partial tile): (index, width).
fn tile_index(path: &str) -> Option<(u64, u64)> {
    let (path, width) = match path.split_once(".p/") {
        Some((p, text)) => {
            let w: u64 = text.parse().ok()?;
            if !(1..TILE_WIDTH).contains(&w) || text != w.to_string() {
                return None;
            }
            (p, w)
        }
        None => (path, TILE_WIDTH),
    };
    let segments: Vec<&str> = path.split('/').collect();
    let mut n = 0u64;
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        let digits = if last { *seg } else { seg.strip_prefix('x')? };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    Some((n, width))
}

async fn tile(State(log): State<Arc<LogV2>>, UrlPath(path): UrlPath<String>) -> Result<Response, RekorV2Error> {
    let not_found = || RekorV2Error::NotFound(format!("no tile {path}"));
    let tree = log.tree.lock().unwrap_or_else(|p| p.into_inner());
    let mut out = Vec::new();
    if let Some(rest) = path.strip_prefix("entries/") {
        let (n, w) = tile_index(rest).ok_or_else(not_found)?;
        let start = n.checked_mul(TILE_WIDTH).ok_or_else(not_found)?;
        // A request names any index: no arithmetic on it may overflow.
        let end = start.checked_add(w).filter(|end| *end <= tree.size()).ok_or_else(not_found)?;
        for body in &tree.bodies[start as usize..end as usize] {
            out.extend_from_slice(&(body.len() as u16).to_be_bytes());
            out.extend_from_slice(body);
        }
    } else {
        let (level, rest) = path.split_once('/').ok_or_else(not_found)?;
        let level: u32 = level.parse().ok().filter(|l: &u32| *l < 8).ok_or_else(not_found)?;
        let (n, w) = tile_index(rest).ok_or_else(not_found)?;
        let height = level * 8;
        let start = n.checked_mul(TILE_WIDTH).ok_or_else(not_found)?;
        for i in start..start.checked_add(w).ok_or_else(not_found)? {
            out.extend_from_slice(tree.nodes.get(&(height, i)).ok_or_else(not_found)?);
        }
    }
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], out).into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn a_log_from_before_the_search_index_is_indexed_on_open() {
        use super::*;
        let dir = tempfile::tempdir().unwrap();
        let body = serde_json::to_vec(&json!({"apiVersion": "0.0.2", "kind": "hashedrekord",
            "spec": {"hashedRekordV002": {"data": {"algorithm": "SHA2_256", "digest": b64([7u8; 32])}}}}))
        .unwrap();
        {
            // A database as an older devstack left it: entries only.
            let conn = Connection::open(db_path(dir.path())).unwrap();
            conn.execute_batch("CREATE TABLE entries (idx INTEGER PRIMARY KEY, body BLOB NOT NULL);").unwrap();
            conn.execute("INSERT INTO entries (idx, body) VALUES (0, ?1)", [&body]).unwrap();
        }
        let key = || KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let log = LogV2::open(dir.path(), key(), "127.0.0.1:1".into()).unwrap();
        let (found, total) = log.search(&format!("sha256:{}", hex::encode([7u8; 32])), None, 10).unwrap();
        assert_eq!((found.len(), total), (1, 1));
        assert_eq!(log.index_of_leaf(&merkle::leaf_hash(&body)).unwrap(), Some(0));
        drop(log);
        // Reopened: the index is current and not filled twice.
        let log = LogV2::open(dir.path(), key(), "127.0.0.1:1".into()).unwrap();
        assert_eq!(log.search(&format!("leaf:{}", hex::encode(merkle::leaf_hash(&body))), None, 10).unwrap().1, 1);
    }

    #[test]
    fn tile_paths() {
        assert_eq!(super::tile_index("000"), Some((0, 256)));
        assert_eq!(super::tile_index("x001/x234/067"), Some((1_234_067, 256)));
        assert_eq!(super::tile_index("000.p/5"), Some((0, 5)));
        assert_eq!(super::tile_index("1"), None);
        assert_eq!(super::tile_index("000.p/256"), None);
    }
}
