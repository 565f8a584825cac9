//! Sigstore bundles (JSON) and trusted roots through their parsers and the verifier.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TRUST: OnceLock<gitsign::verify::TrustRoot> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let trust = TRUST.get_or_init(|| gitsign::verify::TrustRoot::public_good().expect("embedded root"));
    let policy = gitsign::verify::Policy::default();
    let _ = gitsign::bundle::verify(trust, data, &[0; 32], &gitsign::bundle::Signer::Certificate(&policy));
    let _ = gitsign::verify::TrustRoot::from_json(data, "fuzz");
});
