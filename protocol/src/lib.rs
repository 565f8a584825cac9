//! Sigstore wire formats and transparency-log mathematics, defined once and shared by the `gitsign`
//! client and the `gitsign-devstack` services.
//!
//! What this crate owns:
//! - [`merkle`]: RFC 6962 / RFC 9162 tree hashing, proof generation over a store of subtree hashes,
//!   and proof verification;
//! - [`checkpoint`]: Rekor checkpoints in the signed-note format;
//! - [`rekor`], [`fulcio`], [`trust`]: the JSON bodies of the Rekor v1 and Fulcio v2 APIs, and the
//!   trusted-root / signing-config / client-trust-config documents;
//! - [`keys`]: public keys as Sigstore names them (log IDs, key hints) and signature checks;
//! - [`sct`]: RFC 6962 signed certificate timestamps (the signed structure and the list encoding);
//! - [`oid`]: the X.509 object identifiers of the Fulcio certificate profile;
//! - [`rfc3161`]: RFC 3161 timestamp requests, tokens and replies.
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod fulcio;
pub mod keys;
pub mod merkle;
pub mod oid;
pub mod rekor;
pub mod rfc3161;
pub mod sct;
pub mod trust;

/// The workspace's one skip helper (fails under CI), shared with the integration tests.
#[cfg(test)]
#[path = "../../tests/it/common/skip.rs"]
mod test_skip;

/// Lower-case hex, as logs and digests are written (a table lookup per digit, not the `hex`
/// crate's char iterator: every commit of a history writes a few).
pub fn hex_lower(bytes: &[u8]) -> String {
    hex_with(bytes, b"0123456789abcdef")
}

/// Upper-case hex, as gpg writes fingerprints.
pub fn hex_upper(bytes: &[u8]) -> String {
    hex_with(bytes, b"0123456789ABCDEF")
}

fn hex_with(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 0x0f)]));
    }
    out
}

/// Standard base64 (with padding), the encoding of every byte field in these JSON documents.
pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64 (with padding).
pub fn unb64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(text.trim())
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
