//! The protocol parsers: keys (DER, PEM), checkpoints, SCT lists, precertificate rebuilding,
//! Rekor and trust-root JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use gitsign_protocol::{checkpoint, keys, rekor, sct, trust};
    let _ = keys::PublicKey::from_spki_der(data);
    let _ = keys::PublicKey::from_pem_cert_or_key(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = checkpoint::SignedCheckpoint::parse(text);
    }
    let _ = sct::decode_list(data);
    let _ = sct::precert_tbs(data);
    let _ = serde_json::from_slice::<rekor::LogEntries>(data);
    let _ = serde_json::from_slice::<rekor::HashedRekord>(data);
    let _ = serde_json::from_slice::<trust::TrustedRoot>(data);
});
