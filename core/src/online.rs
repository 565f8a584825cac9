//! Rekor online mode: the Go gitsign's original mode, where the log entry is not embedded in
//! the signature but is found by searching Rekor for the signed object's ID.

use crate::gitobj::object_id;
use crate::net::Http;
use crate::signature;
use crate::verify;

/// Why no online-mode entry was found. Whether that makes the signature bad or merely unchecked
/// is the caller's call: [`OnlineError::is_unchecked`] says which.
#[derive(Debug, thiserror::Error)]
pub enum OnlineError {
    /// The payload is neither a commit nor a tag.
    #[error("the signed data is neither a commit nor a tag, so it has no object ID to look up")]
    NoObjectId,
    /// Rekor could not be reached, or answered with an error or nonsense.
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// Rekor answered an entry that cannot be read as a log entry.
    #[error("{rekor} answered an entry gitsign cannot read: {source}")]
    Unreadable {
        /// The log's URL.
        rekor: String,
        /// Why the entry could not be read.
        source: crate::tlog::IncompleteEntry,
    },
    /// Rekor has no entry for this object signed with this certificate.
    #[error("no entry in {rekor} for object {object_hex} signed with this certificate")]
    NotFound {
        /// The log's URL.
        rekor: String,
        /// The object ID searched for.
        object_hex: String,
    },
}

impl OnlineError {
    /// Whether the lookup could not be made (the log unreachable or unreadable), as opposed to
    /// a lookup that found the signature wanting.
    pub fn is_unchecked(&self) -> bool {
        matches!(self, OnlineError::Net(_) | OnlineError::Unreadable { .. })
    }
}

/// Finds, in Rekor, the online-mode entry of a signature: a hashedrekord over the object ID,
/// naming the signature's certificate.
pub fn online_evidence(
    http: &Http,
    rekor: &str,
    payload: &[u8],
    armored: &str,
    parsed: &signature::Parsed,
) -> Result<verify::LogEvidence, OnlineError> {
    let object_hex = object_id(payload, armored).ok_or(OnlineError::NoObjectId)?;
    let digest = hex::encode(gitsign_protocol::sha256(object_hex.as_bytes()));
    let uuids = http.search_hash(rekor, &digest)?;
    let cert_pem = gitsign_protocol::b64(gitsign_protocol::keys::pem_encode("CERTIFICATE", parsed.signer_cert()));
    for uuid in uuids.iter().take(20) {
        let entry = http.entry(rekor, uuid)?;
        let Ok(body) = gitsign_protocol::unb64(&entry.body) else { continue };
        let Ok(rekord) = serde_json::from_slice::<gitsign_protocol::rekor::HashedRekord>(&body) else { continue };
        if rekord.spec.signature.public_key.content != cert_pem {
            continue;
        }
        let entry = crate::tlog::TransparencyLogEntry::from_rekor(&entry, &rekord.kind, &rekord.api_version)
            .map_err(|source| OnlineError::Unreadable { rekor: rekor.to_string(), source })?;
        return Ok(verify::LogEvidence::Online { entry: Box::new(entry), body, object_hex });
    }
    Err(OnlineError::NotFound { rekor: rekor.to_string(), object_hex })
}
