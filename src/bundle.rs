//! Sigstore bundles (v0.3, JSON): the portable form of a signature with its certificate and log
//! entry. gitsign writes one from a git signature so Sigstore's other clients can check the
//! embedded log entry, and (later) for blobs.

use crate::tlog::TransparencyLogEntry;
use gitsign_protocol::b64;
use serde_json::{Value, json};

/// Media type of a v0.3 bundle.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A bundle for a signature `signature` over an artifact whose SHA-256 is `digest`, made with the
/// key of `cert_der`, logged as `entry` with the canonical `body`.
pub fn message_signature(
    cert_der: &[u8],
    digest: &[u8; 32],
    signature: &[u8],
    entry: &TransparencyLogEntry,
    body: &[u8],
) -> Value {
    let kv = entry.kind_version.clone().unwrap_or_default();
    let proof = entry.inclusion_proof.clone().unwrap_or_default();
    json!({
        "mediaType": MEDIA_TYPE,
        "verificationMaterial": {
            "certificate": {"rawBytes": b64(cert_der)},
            "tlogEntries": [{
                "logIndex": entry.log_index.to_string(),
                "logId": {"keyId": b64(entry.log_id.clone().unwrap_or_default().key_id)},
                "kindVersion": {"kind": kv.kind, "version": kv.version},
                "integratedTime": entry.integrated_time.to_string(),
                "inclusionPromise": {"signedEntryTimestamp": b64(entry.inclusion_promise.clone().unwrap_or_default().signed_entry_timestamp)},
                "inclusionProof": {
                    "logIndex": proof.log_index.to_string(),
                    "rootHash": b64(&proof.root_hash),
                    "treeSize": proof.tree_size.to_string(),
                    "hashes": proof.hashes.iter().map(b64).collect::<Vec<_>>(),
                    "checkpoint": {"envelope": proof.checkpoint.unwrap_or_default().envelope},
                },
                "canonicalizedBody": b64(body),
            }],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)},
            "signature": b64(signature),
        },
    })
}
