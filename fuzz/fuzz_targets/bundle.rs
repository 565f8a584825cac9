//! Sigstore bundles (JSON) and trusted roots through their parsers and the verifier.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TRUST: OnceLock<gitsign_core::verify::TrustRoot> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let trust = TRUST.get_or_init(|| gitsign_core::verify::TrustRoot::public_good().expect("embedded root"));
    let policy = gitsign_core::verify::Policy::default();
    let _ = gitsign_core::bundle::verify(trust, data, &[0; 32], &gitsign_core::bundle::Signer::Certificate(&policy));
    let _ = gitsign_core::verify::TrustRoot::from_json(data, "fuzz");
});
