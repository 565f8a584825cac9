//! A whole commit object through splitting and verification against the public-good root.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static TRUST: OnceLock<gitsign::verify::TrustRoot> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let trust = TRUST.get_or_init(|| gitsign::verify::TrustRoot::public_good().expect("embedded root"));
    for kind in ["commit", "tag"] {
        if let Some((payload, sig)) = gitsign::history::split(data, kind) {
            if let Ok(der) = gitsign::signature::dearmor(&sig) {
                if let Ok(parsed) = gitsign::signature::parse(&der) {
                    let _ = gitsign::verify::verify(trust, &payload, &parsed, &Default::default());
                }
            }
        }
    }
});
