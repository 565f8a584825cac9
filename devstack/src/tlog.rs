//! The devstack's transparency log itself, apart from its HTTP API: the log's signing identity and
//! cached tree head ([`Log`]), the validation of a proposed hashedrekord 0.0.1 entry ([`validate`]),
//! appends, entries with their inclusion proofs, signed checkpoints and signed entry timestamps,
//! and the error type ([`RekorError`]) its callers answer with. The routes are in [`crate::rekor`].

use crate::store::{AppendError, Appended, NewEntry, Store, StoreError};
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gitsign_protocol::checkpoint::{Checkpoint, NoteSignature, SignedCheckpoint};
use gitsign_protocol::keys::PublicKey;
use gitsign_protocol::merkle::Hash;
use gitsign_protocol::rekor::{self as wire, ErrorBody, HashedRekord, InclusionProof, LogEntry, LogInfo, Verification};
use gitsign_protocol::{b64, unb64};
use rcgen::{KeyPair, PublicKeyData, SigningKey};
use std::sync::Mutex;

/// A refusal or failure, answered as Rekor does: status and `{code, message}`.
#[derive(Debug, thiserror::Error)]
pub enum RekorError {
    /// Malformed or invalid input (400).
    #[error("{0}")]
    BadRequest(String),
    /// Nothing there (404).
    #[error("{0}")]
    NotFound(String),
    /// The entry is logged already (409), at this UUID.
    #[error("an equivalent entry already exists in the transparency log with UUID {uuid}")]
    Conflict {
        /// UUID of the logged entry.
        uuid: String,
    },
    /// The server failed (500).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for RekorError {
    fn from(e: StoreError) -> Self {
        RekorError::Internal(e.to_string())
    }
}

impl IntoResponse for RekorError {
    fn into_response(self) -> Response {
        let status = match &self {
            RekorError::BadRequest(_) => StatusCode::BAD_REQUEST,
            RekorError::NotFound(_) => StatusCode::NOT_FOUND,
            RekorError::Conflict { .. } => StatusCode::CONFLICT,
            RekorError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let body = Json(ErrorBody { code: status.as_u16(), message: self.to_string() });
        match &self {
            RekorError::Conflict { uuid } => {
                (status, [(header::LOCATION, format!("/api/v1/log/entries/{uuid}"))], body).into_response()
            }
            _ => (status, body).into_response(),
        }
    }
}

/// The log's signing identity and its cached tree head.
pub struct Log {
    key: KeyPair,
    log_id_hex: String,
    tree_id: u64,
    /// The name the log signs checkpoints with (see [`Log::new`]).
    name: String,
    origin: String,
    head: Mutex<Option<(u64, Hash, String)>>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("log_id", &self.log_id_hex).field("origin", &self.origin).finish_non_exhaustive()
    }
}

impl Log {
    /// The log signing with `key`, with the given tree ID, named `name`: as Rekor v1 does, it
    /// signs its checkpoints as `name` under the origin `"<name> - <tree ID>"`. The name is the
    /// host:port of the log's URL (what `checkpoint::log_name` gives for it): verifiers such as
    /// sigstore-js accept a checkpoint signature only under a name their trust root's URL for
    /// the log contains.
    pub fn new(key: KeyPair, tree_id: u64, name: String) -> Self {
        let log_id_hex = hex::encode(gitsign_protocol::sha256(&key.subject_public_key_info()));
        let origin = format!("{name} - {tree_id}");
        Log { key, log_id_hex, tree_id, name, origin, head: Mutex::new(None) }
    }

    /// The name the log signs its checkpoints with.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The log's DER public key.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.key.subject_public_key_info()
    }

    /// Hex log ID.
    pub fn log_id_hex(&self) -> &str {
        &self.log_id_hex
    }

    /// Root hash and signed checkpoint of the tree of `size` entries (signed once per size).
    fn head(&self, store: &Store, size: u64) -> Result<(Hash, String), RekorError> {
        let mut cache = self.head.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((s, root, text)) = cache.as_ref()
            && *s == size
        {
            return Ok((*root, text.clone()));
        }
        let root = store.root(size)?;
        let checkpoint = Checkpoint { origin: self.origin.clone(), size, root, extra: vec![] };
        let signature = self
            .key
            .sign(checkpoint.to_note().as_bytes())
            .map_err(|e| RekorError::Internal(format!("signing the checkpoint: {e}")))?;
        let id = gitsign_protocol::sha256(&self.key.subject_public_key_info());
        let signed = SignedCheckpoint {
            checkpoint,
            signatures: vec![NoteSignature {
                name: self.name.clone(),
                key_hint: [id[0], id[1], id[2], id[3]],
                signature,
            }],
        };
        let text = signed.to_text();
        *cache = Some((size, root, text.clone()));
        Ok((root, text))
    }

    /// The API form of entry `index`, with its proof against the current tree head.
    pub fn entry(&self, store: &Store, index: u64) -> Result<(String, LogEntry), RekorError> {
        let stored =
            store.entry(index)?.ok_or_else(|| RekorError::NotFound(format!("no entry at log index {index}")))?;
        let size = store.tree_size()?;
        let (root, checkpoint) = self.head(store, size)?;
        let hashes = store.inclusion_proof(index, size)?.iter().map(hex::encode).collect();
        let uuid = wire::entry_uuid(&stored.body);
        let entry = LogEntry {
            body: b64(&stored.body),
            integrated_time: stored.integrated_time,
            log_id: self.log_id_hex.clone(),
            log_index: index,
            verification: Some(Verification {
                inclusion_proof: Some(InclusionProof {
                    log_index: index,
                    root_hash: hex::encode(root),
                    tree_size: size,
                    hashes,
                    checkpoint,
                }),
                signed_entry_timestamp: Some(b64(&stored.set_signature)),
            }),
        };
        Ok((uuid, entry))
    }

    /// Validates and logs a proposed entry (the JSON request body).
    pub fn create(&self, store: &Mutex<Store>, request: &[u8]) -> Result<(String, LogEntry), RekorError> {
        let validated = validate(request)?;
        let integrated_time = time::OffsetDateTime::now_utc().unix_timestamp();
        let new = NewEntry { body: validated.body, integrated_time, search_keys: validated.search_keys };
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        let outcome = store
            .append(std::slice::from_ref(&new), |index, e| {
                let payload = wire::set_payload(&e.body, e.integrated_time, &self.log_id_hex, index);
                self.key.sign(&payload)
            })
            .map_err(|e| match e {
                AppendError::Store(s) => RekorError::from(s),
                AppendError::Sign(s) => RekorError::Internal(format!("signing the entry timestamp: {s}")),
            })?;
        match outcome.first() {
            Some(Appended::New(index)) => self.entry(&store, *index),
            Some(Appended::Duplicate(_)) => Err(RekorError::Conflict { uuid: wire::entry_uuid(&new.body) }),
            None => Err(RekorError::Internal("append returned nothing".into())),
        }
    }

    /// `GET /api/v1/log`.
    pub fn info(&self, store: &Store) -> Result<LogInfo, RekorError> {
        let size = store.tree_size()?;
        let (root, checkpoint) = self.head(store, size)?;
        Ok(LogInfo {
            root_hash: hex::encode(root),
            tree_size: size,
            signed_tree_head: checkpoint,
            tree_id: self.tree_id.to_string(),
            inactive_shards: vec![],
        })
    }
}

/// Which derivation of search keys [`search_keys`] is: recorded in the database, so a state
/// directory indexed by an older one is backfilled on open (see
/// [`crate::store::Store::backfill_search`]). Change it whenever [`search_keys`] changes.
pub const SEARCH_KEYS_VERSION: &str = "2: sha256, key, email and uri SANs";

/// The search keys of a logged hashedrekord body: `sha256:<hex>` (the logged digest: of an
/// artifact, of a gitsign signature's signed attributes in offline mode, of the commit ID's hex
/// text in online mode), `key:<hex>` (the SHA-256 of the signer's public key), and for a
/// certificate `email:<addr>` (lower case) for each email SAN and `uri:<uri>` for each URI SAN
/// (workload identities). A body that is not a hashedrekord yields no keys.
pub fn search_keys(body: &[u8]) -> Vec<String> {
    let Ok(entry) = serde_json::from_slice::<HashedRekord>(body) else { return vec![] };
    let mut keys = vec![format!("sha256:{}", entry.spec.data.hash.value.to_ascii_lowercase())];
    let Ok(pem) = unb64(&entry.spec.signature.public_key.content) else { return keys };
    let Ok((key, cert)) = PublicKey::from_pem_cert_or_key(&pem) else { return keys };
    match cert {
        Some(der) => keys.extend(certificate_keys(&der)),
        None => keys.push(format!("key:{}", hex::encode(key.key_id()))),
    }
    keys
}

/// The search keys of a certificate (DER): `key:<hex>` of its public key, `email:<addr>` (lower
/// case) per email SAN, `uri:<uri>` per URI SAN. Nothing for bytes that are no certificate.
pub fn certificate_keys(der: &[u8]) -> Vec<String> {
    let mut keys = Vec::new();
    let Ok((_, c)) = x509_parser::parse_x509_certificate(der) else { return keys };
    if let Ok(key) = PublicKey::from_spki_der(c.public_key().raw) {
        keys.push(format!("key:{}", hex::encode(key.key_id())));
    }
    if let Ok(Some(san)) = c.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::RFC822Name(email) => {
                    keys.push(format!("email:{}", email.to_ascii_lowercase()))
                }
                x509_parser::extensions::GeneralName::URI(uri) => keys.push(format!("uri:{uri}")),
                _ => {}
            }
        }
    }
    keys
}

/// A proposed entry that passed validation.
#[derive(Debug)]
pub struct Validated {
    /// Canonical JSON body to log.
    pub body: Vec<u8>,
    /// Search keys.
    pub search_keys: Vec<String>,
}

/// Checks a proposed entry: its kind, its fields, and that the signature verifies over the digest
/// with the given key. Returns the canonical body and its search keys.
pub fn validate(request: &[u8]) -> Result<Validated, RekorError> {
    let bad = RekorError::BadRequest;
    let value: serde_json::Value =
        serde_json::from_slice(request).map_err(|e| bad(format!("the request body is not JSON: {e}")))?;
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or("");
    let version = value.get("apiVersion").and_then(|k| k.as_str()).unwrap_or("");
    if kind != wire::HASHEDREKORD || version != wire::HASHEDREKORD_VERSION {
        return Err(bad(format!(
            "entry kind {kind:?} version {version:?} is not supported: this log accepts only hashedrekord 0.0.1"
        )));
    }
    let mut entry: HashedRekord =
        serde_json::from_value(value).map_err(|e| bad(format!("malformed hashedrekord entry: {e}")))?;
    let hash = &mut entry.spec.data.hash;
    if hash.algorithm != "sha256" {
        return Err(bad(format!("data.hash.algorithm {:?} is not supported: use sha256", hash.algorithm)));
    }
    hash.value = hash.value.to_ascii_lowercase();
    let digest: [u8; 32] = hex::decode(&hash.value)
        .ok()
        .and_then(|d| d.try_into().ok())
        .ok_or_else(|| bad("data.hash.value must be 64 hex digits".into()))?;
    let signature = unb64(&entry.spec.signature.content).map_err(|_| bad("signature.content is not base64".into()))?;
    let pem = unb64(&entry.spec.signature.public_key.content)
        .map_err(|_| bad("signature.publicKey.content is not base64".into()))?;
    let (key, _) =
        PublicKey::from_pem_cert_or_key(&pem).map_err(|e| bad(format!("signature.publicKey.content: {e}")))?;
    key.verify_sha256_prehashed(&digest, &signature)
        .map_err(|_| bad("the signature does not verify over data.hash with the given public key".into()))?;
    let body = entry.canonical_json();
    Ok(Validated { search_keys: search_keys(&body), body })
}
