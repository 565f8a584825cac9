//! Rekor online mode: the Go gitsign's original mode, where the log entry is not embedded in
//! the signature but is found by searching Rekor for the signed object's ID.

use crate::gitobj::object_id;
use crate::net::Http;
use crate::signature;
use crate::verify;

/// Finds, in Rekor, the online-mode entry of a signature: a hashedrekord over the object ID,
/// naming the signature's certificate.
pub fn online_evidence(
    http: &Http,
    rekor: &str,
    payload: &[u8],
    armored: &str,
    parsed: &signature::Parsed,
) -> Result<verify::LogEvidence, String> {
    let object_hex = object_id(payload, armored)
        .ok_or("the signed data is neither a commit nor a tag, so it has no object ID to look up")?;
    let digest = hex::encode(gitsign_protocol::sha256(object_hex.as_bytes()));
    let uuids = http.search_hash(rekor, &digest).map_err(|e| e.to_string())?;
    let cert_pem = gitsign_protocol::b64(gitsign_protocol::keys::pem_encode("CERTIFICATE", &parsed.signer_cert));
    for uuid in uuids.iter().take(20) {
        let entry = http.entry(rekor, uuid).map_err(|e| e.to_string())?;
        let Ok(body) = gitsign_protocol::unb64(&entry.body) else { continue };
        let Ok(rekord) = serde_json::from_slice::<gitsign_protocol::rekor::HashedRekord>(&body) else { continue };
        if rekord.spec.signature.public_key.content != cert_pem {
            continue;
        }
        let entry = crate::tlog::TransparencyLogEntry::from_rekor(&entry, &rekord.kind, &rekord.api_version)
            .map_err(|e| e.to_string())?;
        return Ok(verify::LogEvidence::Online { entry: Box::new(entry), body, object_hex });
    }
    Err(format!("no entry in {rekor} for object {object_hex} signed with this certificate"))
}
