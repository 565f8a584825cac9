//! The Go gitsign's real signatures (../shared/vectors/gitsign-realworld) through our verifier:
//! each gets the verdict its README states for the manifest's identity and issuer, and fails
//! for another identity.

use gitsign_core::verify::{Matcher, Policy, TrustRoot, VerifyError};
use gitsign_core::{signature, verify};
use std::path::PathBuf;

use crate::common::skip;

fn vectors() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/gitsign-realworld");
    if dir.join("manifest.tsv").exists() {
        Some(dir)
    } else {
        skip::skip(&format!("{} is absent (CI provides ../shared beside the checkout)", dir.display()));
        None
    }
}

fn check(trust: &TrustRoot, payload: &[u8], sig: &[u8], policy: &Policy) -> Result<verify::Verified, String> {
    let der = signature::dearmor(sig).map_err(|e| e.to_string())?;
    let parsed = signature::parse(&der).map_err(|e| e.to_string())?;
    verify::verify(trust, payload, &parsed, policy).map_err(|e| match e {
        VerifyError::NoLogEntry => "no log entry".to_string(),
        e => e.to_string(),
    })
}

#[test]
fn every_realworld_object_gets_its_verdict() {
    let Some(dir) = vectors() else { return };
    let trust = TrustRoot::public_good().unwrap();
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let mut counts = std::collections::BTreeMap::new();
    for line in manifest.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (sha, kind, mode, identity, issuer) = (f[0], f[1], f[2], f[3], f[4]);
        let object = std::fs::read(dir.join(format!("objects/{sha}.{kind}"))).unwrap();
        let (payload, sig) =
            gitsign_core::gitobj::split(&object, kind).unwrap_or_else(|| panic!("{sha}: no signature"));
        let policy =
            Policy { identity: Some(Matcher::Exact(identity.into())), issuer: Some(Matcher::Exact(issuer.into())) };
        let result = check(&trust, &payload, &sig, &policy);
        match mode {
            "offline" => {
                let v = result.unwrap_or_else(|e| panic!("{sha} ({kind}, offline) must verify: {e}"));
                assert_eq!(v.identity, identity);
                let refused = |payload: &[u8], policy: &Policy, why: &[&str]| {
                    let e = check(&trust, payload, &sig, policy).err().unwrap_or_else(|| panic!("{sha}: must fail"));
                    assert!(why.iter().all(|w| e.contains(w)), "{sha}: should say {why:?}: {e}");
                };
                let other = Policy { identity: Some(Matcher::Exact("someone-else@example.com".into())), issuer: None };
                let found = format!("the certificate identity is [{identity:?}");
                refused(&payload, &other, &[&found, "expected \"someone-else@example.com\""]);
                let other = Policy { identity: None, issuer: Some(Matcher::Exact("https://issuer.example".into())) };
                let found = format!("the certificate's OIDC issuer is Some({issuer:?})");
                refused(&payload, &other, &[&found, "expected \"https://issuer.example\""]);
                let mut tampered = payload.clone();
                tampered[10] ^= 1;
                refused(&tampered, &policy, &["the signed data was changed"]);
            }
            "online" => {
                assert_eq!(result.err().as_deref(), Some("no log entry"), "{sha}: online mode has no embedded entry")
            }
            // The 2023 prototype's attribute layout is not the CMS gitsign writes: refused as
            // malformed (not accepted, not a crash).
            "prototype" => {
                let e = result.err().unwrap_or_else(|| panic!("{sha}: the prototype object must be rejected"));
                assert!(e.starts_with("malformed signature: "), "{sha}: {e}");
            }
            _ => panic!("{sha}: unknown mode {mode} in the manifest"),
        }
        *counts.entry(mode.to_string()).or_insert(0) += 1;
    }
    eprintln!("verdicts checked: {counts:?}");
    assert!(counts.get("offline").copied().unwrap_or(0) > 0);
}

/// Flips bytes throughout the CMS signature (certificate, signed attributes, signature, the
/// embedded log entry and its proofs) of every offline-mode object: each flip must fail.
#[test]
fn flipped_bytes_anywhere_in_the_signature_fail() {
    let Some(dir) = vectors() else { return };
    let trust = TrustRoot::public_good().unwrap();
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let (mut tried, mut survived) = (0, Vec::new());
    for line in manifest.lines().skip(1).filter(|l| l.split('\t').nth(2) == Some("offline")) {
        let f: Vec<&str> = line.split('\t').collect();
        let (sha, kind) = (f[0], f[1]);
        let object = std::fs::read(dir.join(format!("objects/{sha}.{kind}"))).unwrap();
        let (payload, sig) = gitsign_core::gitobj::split(&object, kind).unwrap();
        let der = signature::dearmor(&sig).unwrap();
        let policy = Policy::default();
        assert!(check(&trust, &payload, &sig, &policy).is_ok());
        // Every byte of the signed payload (tree, parents, author, committer, message).
        for pos in 0..payload.len() {
            let mut bad = payload.clone();
            bad[pos] ^= 0x01;
            tried += 1;
            if check(&trust, &bad, &sig, &policy).is_ok() {
                survived.push(format!("{sha} payload byte {pos}"));
            }
        }
        for pos in (0..der.len()).step_by(5) {
            let mut bad = der.clone();
            bad[pos] ^= 0x01;
            tried += 1;
            let result = signature::parse(&bad)
                .map_err(|e| e.to_string())
                .and_then(|p| verify::verify(&trust, &payload, &p, &policy).map_err(|e| e.to_string()));
            if result.is_ok() {
                survived.push(format!("{sha} byte {pos} of {}", der.len()));
            }
        }
    }
    eprintln!("flipped {tried} bytes; {} survived", survived.len());
    assert!(survived.is_empty(), "flips that still verify: {survived:#?}");
}
