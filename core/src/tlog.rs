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
