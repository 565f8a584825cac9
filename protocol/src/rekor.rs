//! Rekor v1: the JSON bodies of its REST API, the hashedrekord 0.0.1 entry kind, entry UUIDs and
//! the signed-entry-timestamp payload.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A log entry as the API returns it (`{uuid: LogEntry}` maps hold these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// Base64 of the canonical JSON body.
    pub body: String,
    /// Seconds since the Unix epoch at which the entry was logged.
    pub integrated_time: i64,
    /// Hex SHA-256 of the log's DER public key.
    #[serde(rename = "logID")]
    pub log_id: String,
    /// Position in the log.
    pub log_index: u64,
    /// Proofs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Verification>,
}

/// The `{uuid: entry}` answer of the entry endpoints.
pub type LogEntries = BTreeMap<String, LogEntry>;

/// Inclusion proof and signed entry timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Proof against a signed checkpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion_proof: Option<InclusionProof>,
    /// Base64 signature over [`set_payload`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_entry_timestamp: Option<String>,
}

/// An inclusion proof with its checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// Leaf index.
    pub log_index: u64,
    /// Hex root hash.
    pub root_hash: String,
    /// Tree size the proof is for.
    pub tree_size: u64,
    /// Hex hashes, leaf side first.
    pub hashes: Vec<String>,
    /// Signed note of the tree head.
    pub checkpoint: String,
}

/// `GET /api/v1/log`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogInfo {
    /// Hex root hash.
    pub root_hash: String,
    /// Tree size.
    pub tree_size: u64,
    /// Signed note of the tree head.
    pub signed_tree_head: String,
    /// Tree ID, decimal.
    #[serde(rename = "treeID")]
    pub tree_id: String,
    /// Earlier shards (none here).
    #[serde(default)]
    pub inactive_shards: Vec<serde_json::Value>,
}

/// `GET /api/v1/log/proof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsistencyProof {
    /// Hex root hash of the larger tree.
    pub root_hash: String,
    /// Hex hashes.
    pub hashes: Vec<String>,
}

/// `POST /api/v1/index/retrieve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchIndex {
    /// Email in a certificate SAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A public key or certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<SearchPublicKey>,
    /// `sha256:<hex>` (or bare hex) of the signed artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// `and` (intersection, the default here) or `or` (union).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

/// A public key in a search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPublicKey {
    /// `x509` here; Rekor also knows pgp, ssh, minisign, ...
    pub format: String,
    /// Base64 of the PEM key or certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// `POST /api/v1/log/entries/retrieve`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchLogQuery {
    /// Entry UUIDs.
    #[serde(rename = "entryUUIDs", default, skip_serializing_if = "Option::is_none")]
    pub entry_uuids: Option<Vec<String>>,
    /// Log indexes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_indexes: Option<Vec<u64>>,
    /// Proposed entries to look up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<serde_json::Value>>,
}

/// Error body of every Rekor endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// HTTP status code.
    pub code: u16,
    /// What was wrong.
    pub message: String,
}

/// Kind name of hashedrekord.
pub const HASHEDREKORD: &str = "hashedrekord";
/// The one hashedrekord version.
pub const HASHEDREKORD_VERSION: &str = "0.0.1";

/// A hashedrekord 0.0.1 entry (the proposed entry and, canonicalized, the logged body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HashedRekord {
    /// `0.0.1`.
    pub api_version: String,
    /// `hashedrekord`.
    pub kind: String,
    /// The entry.
    pub spec: HashedRekordSpec,
}

/// hashedrekord spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashedRekordSpec {
    /// Digest of the signed artifact.
    pub data: HashedRekordData,
    /// Signature and key.
    pub signature: HashedRekordSignature,
}

/// The signature of a hashedrekord.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HashedRekordSignature {
    /// Base64 signature.
    pub content: String,
    /// The key or certificate.
    pub public_key: HashedRekordKey,
}

/// The key of a hashedrekord.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashedRekordKey {
    /// Base64 of a PEM certificate or public key.
    pub content: String,
}

/// The artifact digest of a hashedrekord.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashedRekordData {
    /// The digest.
    pub hash: HashedRekordHash,
}

/// A digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashedRekordHash {
    /// `sha256` (Rekor also takes sha384 and sha512).
    pub algorithm: String,
    /// Hex digest.
    pub value: String,
}

impl HashedRekord {
    /// A hashedrekord over a SHA-256 digest.
    pub fn new(sha256: &[u8; 32], signature: &[u8], cert_or_key_pem: &str) -> Self {
        HashedRekord {
            api_version: HASHEDREKORD_VERSION.into(),
            kind: HASHEDREKORD.into(),
            spec: HashedRekordSpec {
                signature: HashedRekordSignature {
                    content: crate::b64(signature),
                    public_key: HashedRekordKey { content: crate::b64(cert_or_key_pem) },
                },
                data: HashedRekordData {
                    hash: HashedRekordHash { algorithm: "sha256".into(), value: hex::encode(sha256) },
                },
            },
        }
    }

    /// RFC 8785 canonical JSON, the form Rekor logs.
    pub fn canonical_json(&self) -> Vec<u8> {
        canonical(self)
    }
}

/// RFC 8785 canonical JSON of the entry types of this module.
///
/// Invariant: every struct passed here declares its fields in sorted (serialized-name) order and
/// holds only strings and integers. For such values serde_json's compact output is exactly RFC
/// 8785 (same escaping of strings, no floats), and it is several times faster than a general
/// canonicalizer, which matters when a history's every commit rebuilds its log body. The tests
/// check this against a general RFC 8785 implementation.
fn canonical<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain structs of strings and integers cannot fail; an empty body would then
    // fail every later check rather than pass one.
    serde_json::to_vec(value).unwrap_or_default()
}

/// Entry UUID: hex of the RFC 6962 leaf hash of the body.
pub fn entry_uuid(body: &[u8]) -> String {
    hex::encode(crate::merkle::leaf_hash(body))
}

/// The bytes a signed entry timestamp signs: canonical JSON of the body (base64), integrated
/// time, log ID and log index. Written directly, not through serde: base64 and integers need no
/// escaping, and a history's every commit builds one around a body of a few kilobytes (the
/// tests check it against a general RFC 8785 implementation).
pub fn set_payload(body: &[u8], integrated_time: i64, log_id_hex: &str, log_index: u64) -> Vec<u8> {
    use base64::Engine as _;
    use std::fmt::Write as _;
    let mut out = String::with_capacity(body.len() / 3 * 4 + log_id_hex.len() + 96);
    out.push_str(r#"{"body":""#);
    base64::engine::general_purpose::STANDARD.encode_string(body, &mut out);
    // Writing to a String cannot fail.
    let _ = write!(out, r#"","integratedTime":{integrated_time},"logID":"#);
    out.push_str(&serde_json::to_string(log_id_hex).unwrap_or_default());
    let _ = write!(out, r#","logIndex":{log_index}}}"#);
    out.into_bytes()
}

/// The canonical body of a hashedrekord 0.0.1 over a SHA-256 digest: the bytes
/// `HashedRekord::new(sha256, signature, cert_or_key_pem).canonical_json()` gives, written
/// directly (every value in it is hex or base64, which JSON never escapes), because a history's
/// every commit rebuilds one. The tests hold the two equal.
pub fn hashedrekord_body(sha256: &[u8; 32], signature: &[u8], cert_or_key_pem: &str) -> Vec<u8> {
    hashedrekord_body_with(sha256, signature, &crate::b64(cert_or_key_pem))
}

/// [`hashedrekord_body`] with the public key's content given already in base64 (the base64 of the
/// PEM): a verifier of commits signed under one certificate encodes it once, not once a commit.
/// `pem_base64` is written as it is, unescaped: it must be base64, as [`crate::b64`] gives it.
pub fn hashedrekord_body_with(sha256: &[u8; 32], signature: &[u8], pem_base64: &str) -> Vec<u8> {
    use base64::Engine as _;
    debug_assert!(pem_base64.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)));
    let mut out = String::with_capacity(signature.len() / 3 * 4 + pem_base64.len() + 232);
    out.push_str(r#"{"apiVersion":""#);
    out.push_str(HASHEDREKORD_VERSION);
    out.push_str(r#"","kind":""#);
    out.push_str(HASHEDREKORD);
    out.push_str(r#"","spec":{"data":{"hash":{"algorithm":"sha256","value":""#);
    out.push_str(&crate::hex_lower(sha256));
    out.push_str(r#""}},"signature":{"content":""#);
    base64::engine::general_purpose::STANDARD.encode_string(signature, &mut out);
    out.push_str(r#"","publicKey":{"content":""#);
    out.push_str(pem_base64);
    out.push_str(r#""}}}}"#);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_payload_is_sorted_compact_json() {
        let p = set_payload(b"body", 5, "ab", 7);
        assert_eq!(
            String::from_utf8(p).unwrap(),
            r#"{"body":"Ym9keQ==","integratedTime":5,"logID":"ab","logIndex":7}"#
        );
    }

    #[test]
    fn compact_output_is_rfc8785_for_these_types() {
        let e = HashedRekord::new(&[7; 32], b"sig\x00\x1f\"\\", "pem with \n newline and \u{e9}");
        assert_eq!(e.canonical_json(), serde_json_canonicalizer::to_vec(&e).unwrap());
        let p = set_payload(b"body", -5, "ab", 123_456_789_012);
        let v: serde_json::Value = serde_json::from_slice(&p).unwrap();
        assert_eq!(p, serde_json_canonicalizer::to_vec(&v).unwrap());
        // A log ID that is not hex is escaped as JSON requires, not written raw.
        let odd = set_payload(&[0xff, 0, 1, 2, 3], 0, "a\"\n\u{1}", 7);
        let v: serde_json::Value = serde_json::from_slice(&odd).unwrap();
        assert_eq!(odd, serde_json_canonicalizer::to_vec(&v).unwrap());
        assert_eq!(v["logID"], "a\"\n\u{1}");
    }

    #[test]
    fn the_written_body_is_the_serialized_one() {
        for (len, pem) in [(0, ""), (1, "x"), (70, "-----BEGIN CERTIFICATE-----\nMII\u{e9}\"\\\n"), (200, "pem")] {
            let signature: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let digest = [len as u8; 32];
            let serialized = HashedRekord::new(&digest, &signature, pem).canonical_json();
            assert_eq!(hashedrekord_body(&digest, &signature, pem), serialized, "{len} {pem:?}");
            assert_eq!(hashedrekord_body_with(&digest, &signature, &crate::b64(pem)), serialized, "{len} {pem:?}");
        }
    }

    #[test]
    fn hashedrekord_canonical_form() {
        let e = HashedRekord::new(&[0; 32], b"sig", "pem");
        let json = String::from_utf8(e.canonical_json()).unwrap();
        assert!(
            json.starts_with(
                r#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{"data":{"hash":{"algorithm":"sha256""#
            ),
            "{json}"
        );
    }
}
