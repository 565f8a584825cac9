//! The devstack's Rekor v1 API: hashedrekord 0.0.1 entries, validated before they are logged, in an
//! RFC 6962 tree with inclusion and consistency proofs, signed checkpoints and signed entry
//! timestamps; search by email, public key and artifact hash. This module owns the routes and
//! their request and response shapes; the log they serve is [`crate::tlog`].

use crate::services::Services;
use crate::tlog::{RekorError, validate};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gitsign_protocol::keys::PublicKey;
use gitsign_protocol::merkle::Hash;
use gitsign_protocol::rekor::{
    self as wire, ConsistencyProof, LogEntries, LogEntry, LogInfo, SearchIndex, SearchLogQuery,
};
use gitsign_protocol::unb64;
use serde::Deserialize;
use std::sync::Arc;

type Shared = Arc<Services>;

/// Routes of the Rekor v1 API.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v1/log", get(log_info))
        .route("/api/v1/log/publicKey", get(public_key))
        .route("/api/v1/log/proof", get(consistency))
        .route("/api/v1/log/entries", post(create_entry).get(entry_by_index))
        .route("/api/v1/log/entries/retrieve", post(retrieve_entries))
        .route("/api/v1/log/entries/{uuid}", get(entry_by_uuid))
        .route("/api/v1/index/retrieve", post(search_index))
}

/// Runs blocking database work off the async threads.
async fn blocking<T: Send + 'static>(
    s: Shared,
    f: impl FnOnce(&Services) -> Result<T, RekorError> + Send + 'static,
) -> Result<T, RekorError> {
    tokio::task::spawn_blocking(move || f(&s)).await.map_err(|e| RekorError::Internal(format!("worker failed: {e}")))?
}

fn one(uuid: String, entry: LogEntry) -> LogEntries {
    LogEntries::from([(uuid, entry)])
}

async fn create_entry(State(s): State<Shared>, body: axum::body::Bytes) -> Result<Response, RekorError> {
    let (uuid, entry) = blocking(s, move |s| s.log.create(s.store(), &body)).await?;
    let location = format!("/api/v1/log/entries/{uuid}");
    Ok((StatusCode::CREATED, [(header::LOCATION, location), (header::ETAG, uuid.clone())], Json(one(uuid, entry)))
        .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexQuery {
    log_index: Option<String>,
}

async fn entry_by_index(State(s): State<Shared>, Query(q): Query<IndexQuery>) -> Result<Json<LogEntries>, RekorError> {
    let index: u64 = q
        .log_index
        .as_deref()
        .and_then(|i| i.parse().ok())
        .ok_or_else(|| RekorError::BadRequest("logIndex must be a non-negative integer".into()))?;
    let (uuid, entry) = blocking(s, move |s| s.log.entry(&s.lock_store(), index)).await?;
    Ok(Json(one(uuid, entry)))
}

fn parse_uuid(text: &str) -> Option<Hash> {
    // An entry ID is a 16-hex-digit tree ID followed by the 64-hex-digit UUID.
    let hex_uuid = match text.len() {
        64 => text,
        80 => &text[16..],
        _ => return None,
    };
    hex::decode(hex_uuid).ok()?.try_into().ok()
}

fn lookup_uuid(s: &Services, text: &str) -> Result<Option<(String, LogEntry)>, RekorError> {
    let uuid = parse_uuid(text)
        .ok_or_else(|| RekorError::BadRequest(format!("{text:?} is not an entry UUID (64 hex digits)")))?;
    let store = s.lock_store();
    match store.index_of(&uuid)? {
        Some(index) => s.log.entry(&store, index).map(Some),
        None => Ok(None),
    }
}

async fn entry_by_uuid(State(s): State<Shared>, Path(uuid): Path<String>) -> Result<Json<LogEntries>, RekorError> {
    let (id, entry) = blocking(s, move |s| {
        lookup_uuid(s, &uuid)?.ok_or_else(|| RekorError::NotFound(format!("no entry with UUID {uuid}")))
    })
    .await?;
    Ok(Json(one(id, entry)))
}

async fn retrieve_entries(
    State(s): State<Shared>,
    body: axum::body::Bytes,
) -> Result<Json<Vec<LogEntries>>, RekorError> {
    let query: SearchLogQuery =
        serde_json::from_slice(&body).map_err(|e| RekorError::BadRequest(format!("malformed search query: {e}")))?;
    let out = blocking(s, move |s| {
        let mut out = Vec::new();
        for uuid in query.entry_uuids.iter().flatten() {
            if let Some((id, e)) = lookup_uuid(s, uuid)? {
                out.push(one(id, e));
            }
        }
        for index in query.log_indexes.iter().flatten() {
            match s.log.entry(&s.lock_store(), *index) {
                Ok((id, e)) => out.push(one(id, e)),
                Err(RekorError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        for proposed in query.entries.iter().flatten() {
            let body = serde_json::to_vec(proposed).map_err(|e| RekorError::BadRequest(e.to_string()))?;
            let validated = validate(&body)?;
            if let Some((id, e)) = lookup_uuid(s, &wire::entry_uuid(&validated.body))? {
                out.push(one(id, e));
            }
        }
        Ok(out)
    })
    .await?;
    Ok(Json(out))
}

async fn search_index(State(s): State<Shared>, body: axum::body::Bytes) -> Result<Json<Vec<String>>, RekorError> {
    let query: SearchIndex =
        serde_json::from_slice(&body).map_err(|e| RekorError::BadRequest(format!("malformed search: {e}")))?;
    let mut keys = Vec::new();
    if let Some(email) = &query.email {
        keys.push(format!("email:{}", email.to_ascii_lowercase()));
    }
    if let Some(hash) = &query.hash {
        let hex = hash.strip_prefix("sha256:").unwrap_or(hash).to_ascii_lowercase();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(RekorError::BadRequest("hash must be sha256:<64 hex digits>".into()));
        }
        keys.push(format!("sha256:{hex}"));
    }
    if let Some(pk) = &query.public_key {
        if pk.format != "x509" {
            return Err(RekorError::BadRequest(format!("publicKey.format {:?} is not supported: use x509", pk.format)));
        }
        let pem = pk.content.as_deref().and_then(|c| unb64(c).ok()).ok_or_else(|| {
            RekorError::BadRequest("publicKey.content must be base64 of a PEM key or certificate".into())
        })?;
        let (key, _) = PublicKey::from_pem_cert_or_key(&pem)
            .map_err(|e| RekorError::BadRequest(format!("publicKey.content: {e}")))?;
        keys.push(format!("key:{}", hex::encode(key.key_id())));
    }
    if keys.is_empty() {
        return Err(RekorError::BadRequest("search needs at least one of email, publicKey, hash".into()));
    }
    let union = query.operator.as_deref() == Some("or");
    let uuids = blocking(s, move |s| {
        let store = s.lock_store();
        let mut sets = keys.iter().map(|k| store.search(k)).collect::<Result<Vec<_>, _>>()?.into_iter();
        let mut result = sets.next().unwrap_or_default();
        for set in sets {
            if union {
                result.extend(set);
                result.sort_unstable();
                result.dedup();
            } else {
                result.retain(|i| set.binary_search(i).is_ok());
            }
        }
        result
            .into_iter()
            .map(|i| {
                let e =
                    store.entry(i)?.ok_or_else(|| RekorError::Internal(format!("index names missing entry {i}")))?;
                Ok(wire::entry_uuid(&e.body))
            })
            .collect::<Result<Vec<_>, RekorError>>()
    })
    .await?;
    Ok(Json(uuids))
}

async fn log_info(State(s): State<Shared>) -> Result<Json<LogInfo>, RekorError> {
    Ok(Json(blocking(s, |s| s.log.info(&s.lock_store())).await?))
}

async fn public_key(State(s): State<Shared>) -> Response {
    let pem = gitsign_protocol::keys::pem_encode("PUBLIC KEY", &s.log.public_key_der());
    ([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProofQuery {
    first_size: Option<String>,
    last_size: Option<String>,
}

async fn consistency(
    State(s): State<Shared>,
    Query(q): Query<ProofQuery>,
) -> Result<Json<ConsistencyProof>, RekorError> {
    let parse = |v: Option<&str>, name: &str| -> Result<u64, RekorError> {
        v.unwrap_or("").parse().map_err(|_| RekorError::BadRequest(format!("{name} must be a positive integer")))
    };
    let first = match q.first_size.as_deref() {
        None => 1,
        v => parse(v, "firstSize")?,
    };
    let last = parse(q.last_size.as_deref(), "lastSize")?;
    let proof = blocking(s, move |s| {
        let store = s.lock_store();
        let size = store.tree_size()?;
        if first < 1 || first > last || last > size {
            return Err(RekorError::BadRequest(format!(
                "need 1 <= firstSize ({first}) <= lastSize ({last}) <= tree size ({size})"
            )));
        }
        let hashes = store.consistency_proof(first, last)?.iter().map(hex::encode).collect();
        Ok(ConsistencyProof { root_hash: hex::encode(store.root(last)?), hashes })
    })
    .await?;
    Ok(Json(proof))
}
