//! The signature parsers: PEM armor, CMS DER, and the embedded log-entry protobuf.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = gitsign_core::signature::dearmor(data);
    if let Ok(parsed) = gitsign_core::signature::parse(data) {
        if let Some(entry) = &parsed.tlog_entry {
            let _ = <gitsign_core::tlog::TransparencyLogEntry as prost::Message>::decode(entry.as_slice());
        }
    }
});
