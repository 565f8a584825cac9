//! A whole commit object through splitting and verification against the public-good root.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TRUST: OnceLock<gitsign_core::verify::TrustRoot> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let trust = TRUST.get_or_init(|| gitsign_core::verify::TrustRoot::public_good().expect("embedded root"));
    for kind in ["commit", "tag"] {
        if let Some((payload, sig)) = gitsign_core::gitobj::split(data, kind) {
            if let Ok(der) = gitsign_core::signature::dearmor(&sig) {
                if let Ok(parsed) = gitsign_core::signature::parse(&der) {
                    let _ = gitsign_core::verify::verify(trust, &payload, &parsed, &Default::default());
                }
            }
        }
    }
});
