//! The transparency-log entry gitsign embeds in a signature (offline Rekor mode): the protobuf
//! `dev.sigstore.rekor.v1.TransparencyLogEntry`, stored as CMS unsigned attribute
//! 1.3.6.1.4.1.57264.3.1 with its canonicalized body left empty, as the Go gitsign writes it.

use gitsign_protocol::rekor::LogEntry;
use gitsign_protocol::unb64;

/// `dev.sigstore.rekor.v1.TransparencyLogEntry`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct TransparencyLogEntry {
    /// Position in the log.
    #[prost(int64, tag = "1")]
    pub log_index: i64,
    /// The log's key ID.
    #[prost(message, optional, tag = "2")]
    pub log_id: Option<LogId>,
    /// Entry kind and version.
    #[prost(message, optional, tag = "3")]
    pub kind_version: Option<KindVersion>,
    /// Seconds since the epoch.
    #[prost(int64, tag = "4")]
    pub integrated_time: i64,
    /// Signed entry timestamp.
    #[prost(message, optional, tag = "5")]
    pub inclusion_promise: Option<InclusionPromise>,
    /// Inclusion proof with checkpoint.
    #[prost(message, optional, tag = "6")]
    pub inclusion_proof: Option<InclusionProof>,
    /// The logged body (left empty by gitsign; the verifier rebuilds it).
    #[prost(bytes = "vec", tag = "7")]
    pub canonicalized_body: Vec<u8>,
}

/// `dev.sigstore.common.v1.LogId`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct LogId {
    /// SHA-256 of the log's DER public key.
    #[prost(bytes = "vec", tag = "1")]
    pub key_id: Vec<u8>,
}

/// `dev.sigstore.rekor.v1.KindVersion`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct KindVersion {
    /// E.g. `hashedrekord`.
    #[prost(string, tag = "1")]
    pub kind: String,
    /// E.g. `0.0.1`.
    #[prost(string, tag = "2")]
    pub version: String,
}

/// `dev.sigstore.rekor.v1.InclusionPromise`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct InclusionPromise {
    /// The signature over the entry's canonical JSON summary.
    #[prost(bytes = "vec", tag = "1")]
    pub signed_entry_timestamp: Vec<u8>,
}

/// `dev.sigstore.rekor.v1.InclusionProof`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct InclusionProof {
    /// Leaf index.
    #[prost(int64, tag = "1")]
    pub log_index: i64,
    /// Root hash.
    #[prost(bytes = "vec", tag = "2")]
    pub root_hash: Vec<u8>,
    /// Tree size.
    #[prost(int64, tag = "3")]
    pub tree_size: i64,
    /// Audit path.
    #[prost(bytes = "vec", repeated, tag = "4")]
    pub hashes: Vec<Vec<u8>>,
    /// The signed checkpoint.
    #[prost(message, optional, tag = "5")]
    pub checkpoint: Option<Checkpoint>,
}

/// `dev.sigstore.rekor.v1.Checkpoint`.
#[derive(Clone, PartialEq, Eq, prost::Message)]
pub struct Checkpoint {
    /// The signed note text.
    #[prost(string, tag = "1")]
    pub envelope: String,
}

/// Why a Rekor answer cannot be embedded.
#[derive(Debug, thiserror::Error)]
#[error("the transparency log's answer is incomplete: {0}")]
pub struct IncompleteEntry(pub &'static str);

impl TransparencyLogEntry {
    /// The embedded form of a Rekor v1 answer (body dropped, as gitsign does).
    pub fn from_rekor(entry: &LogEntry, kind: &str, version: &str) -> Result<Self, IncompleteEntry> {
        let v = entry.verification.as_ref().ok_or(IncompleteEntry("no verification"))?;
        let set = v.signed_entry_timestamp.as_deref().ok_or(IncompleteEntry("no signed entry timestamp"))?;
        let proof = v.inclusion_proof.as_ref().ok_or(IncompleteEntry("no inclusion proof"))?;
        let hex = |s: &str| hex::decode(s).map_err(|_| IncompleteEntry("a hash is not hex"));
        Ok(TransparencyLogEntry {
            log_index: i64::try_from(entry.log_index).map_err(|_| IncompleteEntry("log index out of range"))?,
            log_id: Some(LogId { key_id: hex(&entry.log_id)? }),
            kind_version: Some(KindVersion { kind: kind.into(), version: version.into() }),
            integrated_time: entry.integrated_time,
            inclusion_promise: Some(InclusionPromise {
                signed_entry_timestamp: unb64(set)
                    .map_err(|_| IncompleteEntry("signed entry timestamp is not base64"))?,
            }),
            inclusion_proof: Some(InclusionProof {
                log_index: i64::try_from(proof.log_index).map_err(|_| IncompleteEntry("log index out of range"))?,
                root_hash: hex(&proof.root_hash)?,
                tree_size: i64::try_from(proof.tree_size).map_err(|_| IncompleteEntry("tree size out of range"))?,
                hashes: proof.hashes.iter().map(|h| hex(h)).collect::<Result<_, _>>()?,
                checkpoint: Some(Checkpoint { envelope: proof.checkpoint.clone() }),
            }),
            canonicalized_body: Vec::new(),
        })
    }
}

impl TransparencyLogEntry {
    /// The embedded form of a Rekor v2 answer (a TransparencyLogEntry in protobuf JSON): its
    /// canonicalized body is kept, as the Go gitsign keeps it — Rekor v2 signs no entry timestamp
    /// over a summary, and the verifier checks the body against the signature instead.
    pub fn from_rekor_v2(entry: &serde_json::Value) -> Result<Self, IncompleteEntry> {
        use serde_json::Value;
        let field =
            |v: &Value, path: &[&str]| -> Option<Value> { path.iter().try_fold(v.clone(), |v, k| v.get(*k).cloned()) };
        // int64 fields are strings in protobuf JSON; numbers are taken too.
        let int = |v: Option<Value>, what: &'static str| -> Result<i64, IncompleteEntry> {
            match v {
                Some(Value::String(s)) => s.parse().map_err(|_| IncompleteEntry(what)),
                Some(Value::Number(n)) => n.as_i64().ok_or(IncompleteEntry(what)),
                None => Ok(0),
                _ => Err(IncompleteEntry(what)),
            }
        };
        let bytes = |v: Option<Value>, what: &'static str| -> Result<Vec<u8>, IncompleteEntry> {
            v.as_ref().and_then(Value::as_str).and_then(|s| unb64(s).ok()).ok_or(IncompleteEntry(what))
        };
        let text = |v: Option<Value>, what: &'static str| -> Result<String, IncompleteEntry> {
            v.as_ref().and_then(Value::as_str).map(str::to_string).ok_or(IncompleteEntry(what))
        };
        let proof = field(entry, &["inclusionProof"]).ok_or(IncompleteEntry("no inclusion proof"))?;
        if field(entry, &["inclusionPromise"]).is_some() {
            return Err(IncompleteEntry("a Rekor v2 entry carries an inclusion promise"));
        }
        let hashes = match field(&proof, &["hashes"]) {
            Some(Value::Array(a)) => {
                a.into_iter().map(|h| bytes(Some(h), "a proof hash is not base64")).collect::<Result<Vec<_>, _>>()?
            }
            None => Vec::new(),
            _ => return Err(IncompleteEntry("the proof hashes are not a list")),
        };
        Ok(TransparencyLogEntry {
            log_index: int(field(entry, &["logIndex"]), "logIndex is not a number")?,
            log_id: Some(LogId { key_id: bytes(field(entry, &["logId", "keyId"]), "no log ID")? }),
            kind_version: Some(KindVersion {
                kind: text(field(entry, &["kindVersion", "kind"]), "no kind")?,
                version: text(field(entry, &["kindVersion", "version"]), "no version")?,
            }),
            integrated_time: int(field(entry, &["integratedTime"]), "integratedTime is not a number")?,
            inclusion_promise: None,
            inclusion_proof: Some(InclusionProof {
                log_index: int(field(&proof, &["logIndex"]), "the proof's logIndex is not a number")?,
                root_hash: bytes(field(&proof, &["rootHash"]), "no root hash")?,
                tree_size: int(field(&proof, &["treeSize"]), "treeSize is not a number")?,
                hashes,
                checkpoint: Some(Checkpoint {
                    envelope: text(field(&proof, &["checkpoint", "envelope"]), "no checkpoint")?,
                }),
            }),
            canonicalized_body: bytes(field(entry, &["canonicalizedBody"]), "no canonicalized body")?,
        })
    }
}
