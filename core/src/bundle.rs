//! Sigstore bundles (v0.3, JSON): the portable form of a signature with its certificate and log
//! entry. gitsign writes one from a git signature so Sigstore's other clients can check the
//! embedded log entry, and (later) for blobs.

use crate::tlog::TransparencyLogEntry;
use gitsign_protocol::b64;
use serde_json::{Value, json};

/// Media type of a v0.3 bundle.
pub const MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A bundle for a signature `signature` over an artifact whose SHA-256 is `digest`, made with the
/// key of `cert_der`, logged as `entry` with the canonical `body`.
pub fn message_signature(
    cert_der: &[u8],
    digest: &[u8; 32],
    signature: &[u8],
    entry: &TransparencyLogEntry,
    body: &[u8],
) -> Value {
    message_signature_with(cert_der, digest, signature, entry, body, &[])
}

/// As [`message_signature`], with RFC 3161 timestamp tokens (DER) over the signature. An entry
/// without an inclusion promise (Rekor v2) is written without one, and without an integrated
/// time when it has none.
pub fn message_signature_with(
    cert_der: &[u8],
    digest: &[u8; 32],
    signature: &[u8],
    entry: &TransparencyLogEntry,
    body: &[u8],
    timestamps: &[Vec<u8>],
) -> Value {
    let mut bundle = message_signature_v1(cert_der, digest, signature, entry, body);
    if entry.inclusion_promise.is_none()
        && let Some(tle) = bundle.pointer_mut("/verificationMaterial/tlogEntries/0").and_then(Value::as_object_mut)
    {
        tle.remove("inclusionPromise");
        if entry.integrated_time == 0 {
            tle.remove("integratedTime");
        }
    }
    if !timestamps.is_empty()
        && let Some(vm) = bundle.pointer_mut("/verificationMaterial").and_then(Value::as_object_mut)
    {
        let tokens: Vec<Value> =
            timestamps.iter().map(|t| json!({"signedTimestamp": b64(timestamp_response(t))})).collect();
        vm.insert("timestampVerificationData".into(), json!({"rfc3161Timestamps": tokens}));
    }
    bundle
}

/// A bundle's `signedTimestamp` is a TimeStampResp (protobuf-specs; sigstore-python and sigstore-js
/// read it so), where a CMS signature holds the bare token: a token is wrapped in a granted
/// response, a response is kept.
fn timestamp_response(token: &[u8]) -> Vec<u8> {
    use gitsign_protocol::sct::der_tlv;
    if gitsign_protocol::rfc3161::token_of_response(token).is_some() {
        return token.to_vec();
    }
    der_tlv(0x30, &[der_tlv(0x30, &der_tlv(0x02, &[0])), token.to_vec()].concat())
}

fn message_signature_v1(
    cert_der: &[u8],
    digest: &[u8; 32],
    signature: &[u8],
    entry: &TransparencyLogEntry,
    body: &[u8],
) -> Value {
    let kv = entry.kind_version.clone().unwrap_or_default();
    let proof = entry.inclusion_proof.clone().unwrap_or_default();
    json!({
        "mediaType": MEDIA_TYPE,
        "verificationMaterial": {
            "certificate": {"rawBytes": b64(cert_der)},
            "tlogEntries": [{
                "logIndex": entry.log_index.to_string(),
                "logId": {"keyId": b64(entry.log_id.clone().unwrap_or_default().key_id)},
                "kindVersion": {"kind": kv.kind, "version": kv.version},
                "integratedTime": entry.integrated_time.to_string(),
                "inclusionPromise": {"signedEntryTimestamp": b64(entry.inclusion_promise.clone().unwrap_or_default().signed_entry_timestamp)},
                "inclusionProof": {
                    "logIndex": proof.log_index.to_string(),
                    "rootHash": b64(&proof.root_hash),
                    "treeSize": proof.tree_size.to_string(),
                    "hashes": proof.hashes.iter().map(b64).collect::<Vec<_>>(),
                    "checkpoint": {"envelope": proof.checkpoint.unwrap_or_default().envelope},
                },
                "canonicalizedBody": b64(body),
            }],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(digest)},
            "signature": b64(signature),
        },
    })
}

/// Why a bundle is not accepted.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Not a bundle this verifier reads.
    #[error("malformed bundle: {0}")]
    Malformed(String),
    /// A kind of bundle or entry not supported yet.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The bundle's parts do not agree with each other or with the artifact.
    #[error("inconsistent bundle: {0}")]
    Mismatch(String),
    /// A verification step failed.
    #[error(transparent)]
    Verify(#[from] crate::verify::VerifyError),
}

/// What the signature must have been made with.
#[derive(Debug)]
pub enum Signer<'a> {
    /// A Fulcio certificate matching this policy.
    Certificate(&'a crate::verify::Policy),
    /// A managed key (PEM).
    Key(&'a gitsign_protocol::keys::PublicKey),
}

fn field<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn b64_field(v: &Value, path: &[&str]) -> Result<Vec<u8>, BundleError> {
    let s = field(v, path)
        .and_then(Value::as_str)
        .ok_or_else(|| BundleError::Malformed(format!("{} is missing", path.join("."))))?;
    unb64_field(s).map_err(|_| BundleError::Malformed(format!("{} is not base64", path.join("."))))
}

/// Decodes a base64 byte field of a JSON document the way the bundle's are read: standard base64,
/// line breaks inside skipped, as protobuf-JSON readers (Go's, Python's) do.
pub fn unb64_field(s: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let s: String = s.chars().filter(|c| !matches!(c, '\n' | '\r')).collect();
    gitsign_protocol::unb64(&s)
}

fn int_field(v: &Value, path: &[&str]) -> Result<i64, BundleError> {
    let f = field(v, path).ok_or_else(|| BundleError::Malformed(format!("{} is missing", path.join("."))))?;
    let n = match f {
        Value::String(s) => s.parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    n.filter(|n| *n >= 0)
        .ok_or_else(|| BundleError::Malformed(format!("{} is not a non-negative integer", path.join("."))))
}

/// The transparency-log entry of a bundle (protobuf-JSON form) as the embedded-entry type.
fn tlog_entry(e: &Value) -> Result<TransparencyLogEntry, BundleError> {
    use crate::tlog::{Checkpoint, InclusionPromise, InclusionProof, KindVersion, LogId};
    let proof = match e.get("inclusionProof") {
        None => None,
        Some(p) => Some(InclusionProof {
            log_index: int_field(p, &["logIndex"])?,
            root_hash: b64_field(p, &["rootHash"])?,
            tree_size: int_field(p, &["treeSize"])?,
            // Absent means empty (protobuf JSON omits an empty list); anything else must be a
            // list of base64 strings.
            hashes: match p.get("hashes") {
                None => Some(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|h| h.as_str().and_then(|h| gitsign_protocol::unb64(h).ok()))
                    .collect::<Option<Vec<_>>>(),
                Some(_) => None,
            }
            .ok_or_else(|| BundleError::Malformed("inclusionProof.hashes is not a list of base64 hashes".into()))?,
            checkpoint: field(p, &["checkpoint", "envelope"])
                .and_then(Value::as_str)
                .map(|s| Checkpoint { envelope: s.to_string() }),
        }),
    };
    Ok(TransparencyLogEntry {
        log_index: int_field(e, &["logIndex"])?,
        log_id: Some(LogId { key_id: b64_field(e, &["logId", "keyId"])? }),
        kind_version: Some(KindVersion {
            kind: field(e, &["kindVersion", "kind"]).and_then(Value::as_str).unwrap_or_default().to_string(),
            version: field(e, &["kindVersion", "version"]).and_then(Value::as_str).unwrap_or_default().to_string(),
        }),
        // Rekor v2 entries have no integrated time.
        integrated_time: if e.get("integratedTime").is_some() { int_field(e, &["integratedTime"])? } else { 0 },
        inclusion_promise: match e.get("inclusionPromise") {
            Some(_) => Some(InclusionPromise {
                signed_entry_timestamp: b64_field(e, &["inclusionPromise", "signedEntryTimestamp"])?,
            }),
            None => None,
        },
        inclusion_proof: proof,
        canonicalized_body: Vec::new(),
    })
}

/// A JSON document with no duplicate key in any object: serde_json keeps the last of duplicates,
/// so two readers of one bundle could see different fields; such a bundle is refused.
pub(crate) struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate key {:?}", crate::text::sanitize(&key))));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(self)
    }
}

/// Verifies a Sigstore bundle (v0.1 to v0.3, hashedrekord 0.0.1 in a Rekor v1 log) over an
/// artifact given by its SHA-256 `digest`. Returns what a good signature says.
pub fn verify(
    trust: &crate::verify::TrustRoot,
    bundle: &[u8],
    digest: &[u8; 32],
    signer: &Signer<'_>,
) -> Result<crate::verify::Verified, BundleError> {
    use gitsign_protocol::keys::PublicKey;
    let bad = |s: &str| BundleError::Malformed(s.to_string());
    let b: Value = serde_json::from_slice(bundle).map_err(|e| BundleError::Malformed(format!("not JSON: {e}")))?;
    serde_json::from_slice::<NoDuplicateKeys>(bundle)
        .map_err(|e| BundleError::Malformed(format!("{e}: every key may appear once per object")))?;
    let media = b.get("mediaType").and_then(Value::as_str).unwrap_or_default();
    let version = match media {
        "application/vnd.dev.sigstore.bundle+json;version=0.1" => 1,
        "application/vnd.dev.sigstore.bundle+json;version=0.2" => 2,
        "application/vnd.dev.sigstore.bundle+json;version=0.3" | MEDIA_TYPE => 3,
        other => {
            return Err(BundleError::Malformed(format!(
                "unknown bundle media type {other:?}: this verifier reads bundles v0.1 to v0.3"
            )));
        }
    };
    let vm = b.get("verificationMaterial").ok_or_else(|| bad("no verificationMaterial"))?;
    // Each is a protobuf oneof: exactly one member may be present.
    let materials = ["certificate", "x509CertificateChain", "publicKey"];
    if materials.iter().filter(|m| vm.get(**m).is_some()).count() > 1 {
        return Err(bad(
            "verificationMaterial holds more than one of certificate, x509CertificateChain and publicKey; a bundle \
             names its signer once",
        ));
    }
    if b.get("messageSignature").is_some() && b.get("dsseEnvelope").is_some() {
        return Err(bad("the bundle holds both a messageSignature and a dsseEnvelope; it may hold one"));
    }
    let raw_bytes = |v: &Value, what: &str| -> Result<Vec<u8>, BundleError> {
        let s = v.as_str().ok_or_else(|| {
            BundleError::Malformed(format!("{what}.rawBytes is not a string (base64 of a DER certificate)"))
        })?;
        gitsign_protocol::unb64(s).map_err(|_| BundleError::Malformed(format!("{what}.rawBytes is not base64")))
    };
    let cert = if let Some(c) = field(vm, &["certificate", "rawBytes"]) {
        Some(raw_bytes(c, "certificate")?)
    } else if let Some(chain) = field(vm, &["x509CertificateChain", "certificates"]).and_then(Value::as_array) {
        let ders = chain
            .iter()
            .map(|c| raw_bytes(c.get("rawBytes").unwrap_or(&Value::Null), "a chain certificate"))
            .collect::<Result<Vec<_>, _>>()?;
        // The chain ends below the trust root: a self-signed root in it is refused.
        for der in ders.iter().skip(1) {
            use der::Decode as _;
            if let Ok(c) = x509_cert::Certificate::from_der(der)
                && c.tbs_certificate().subject() == c.tbs_certificate().issuer()
            {
                return Err(BundleError::Mismatch("the certificate chain includes a root certificate".into()));
            }
        }
        Some(ders.into_iter().next().ok_or_else(|| bad("the certificate chain is empty"))?)
    } else if vm.get("publicKey").is_some() {
        None
    } else {
        return Err(bad("no certificate or public key"));
    };
    // The leaf is parsed once: for its key here, and for its checks at each verified time below.
    let (key, leaf): (PublicKey, Option<crate::verify::LeafCertificate>) = match (&cert, signer) {
        (Some(der), Signer::Certificate(_)) => {
            let leaf = crate::verify::LeafCertificate::parse(der)?;
            (leaf.key()?, Some(leaf))
        }
        (None, Signer::Key(k)) => ((*k).clone(), None),
        (Some(_), Signer::Key(_)) => {
            return Err(BundleError::Mismatch("the bundle has a certificate, a key was given".into()));
        }
        (None, Signer::Certificate(_)) => {
            return Err(BundleError::Mismatch("the bundle names a managed key; verify with --key".into()));
        }
    };
    let entries = vm.get("tlogEntries").and_then(Value::as_array).ok_or_else(|| bad("no tlogEntries"))?;
    let [entry_json] = entries.as_slice() else { return Err(bad("a bundle must hold exactly one log entry")) };
    let entry = tlog_entry(entry_json)?;
    if version >= 2 && entry.inclusion_proof.as_ref().is_none_or(|p| p.checkpoint.is_none()) {
        return Err(bad("v0.2+ bundles need an inclusion proof with a checkpoint"));
    }
    let kv = entry.kind_version.clone().unwrap_or_default();
    let body = b64_field(entry_json, &["canonicalizedBody"])?;
    let body_json: Value = serde_json::from_slice(&body)
        .map_err(|e| BundleError::Mismatch(format!("the logged body is not JSON: {e}")))?;
    // Whether a verifier named in the body is this bundle's certificate or key: Rekor v1 bodies
    // hold base64 of a PEM, v2 bodies a DER certificate or key in `rawBytes`.
    let same_signer = |verifier: &Verifier<'_>| -> bool {
        match verifier {
            Verifier::Pem(b64_pem) => {
                let Ok(pem) = gitsign_protocol::unb64(b64_pem) else { return false };
                match (PublicKey::from_pem_cert_or_key(&pem), &cert) {
                    (Ok((_, Some(logged))), Some(c)) => logged == *c,
                    (Ok((logged, None)), None) => logged == key,
                    _ => false,
                }
            }
            Verifier::V2(v) => {
                match (field(v, &["x509Certificate", "rawBytes"]), field(v, &["publicKey", "rawBytes"]), &cert) {
                    (Some(raw), _, Some(c)) => {
                        raw.as_str().and_then(|r| gitsign_protocol::unb64(r).ok()).as_deref() == Some(c.as_slice())
                    }
                    (None, Some(raw), None) => {
                        raw.as_str().and_then(|r| gitsign_protocol::unb64(r).ok()).as_deref() == Some(key.spki_der())
                    }
                    _ => false,
                }
            }
        }
    };
    let signature = if let Some(ms) = b.get("messageSignature") {
        check_message_signature(ms, &body_json, &kv, digest, &key, &same_signer)?
    } else if let Some(env) = b.get("dsseEnvelope") {
        check_dsse(env, &body_json, &kv, digest, &key, &same_signer)?
    } else {
        return Err(bad("neither messageSignature nor dsseEnvelope"));
    };
    // Verified times: every RFC 3161 timestamp, and the log's integrated time.
    let mut times = Vec::new();
    for ts in
        field(vm, &["timestampVerificationData", "rfc3161Timestamps"]).and_then(Value::as_array).into_iter().flatten()
    {
        let token = b64_field(ts, &["signedTimestamp"])?;
        times.push(crate::timestamp::verify(trust, &token, &signature).map_err(crate::verify::VerifyError::from)?);
    }
    let (log_index, integrated) = crate::verify::verify_entry(trust, &entry, &body, &times)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if let Some(t) = integrated {
        if t > now + 60 {
            return Err(BundleError::Mismatch(format!("the integrated time {t} is in the future")));
        }
        times.push(t);
    }
    let Some(&t) = times.first() else {
        return Err(bad("no verified time: neither an integrated time nor a timestamp"));
    };
    match (&leaf, signer) {
        (Some(leaf), Signer::Certificate(policy)) => {
            // The certificate must have been valid at every verified time.
            let mut verified = None;
            for time in &times {
                verified = Some(leaf.verify(trust, *time, Some(log_index), policy)?);
            }
            verified.ok_or_else(|| bad("no verified time"))
        }
        _ => Ok(crate::verify::Verified {
            identity: format!("key {}", hex::encode(key.key_id())),
            issuer: None,
            log_index: Some(log_index),
            integrated_time: time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            fingerprint: hex::encode(key.key_id()),
        }),
    }
}

/// The hash algorithm a log body names at `path` must be SHA-256 (spelled `expected`): the digest
/// compared is a SHA-256, and a body naming another algorithm is about other bytes.
fn require_sha256(body: &Value, path: &[&str], expected: &str) -> Result<(), BundleError> {
    let found = field(body, path).and_then(Value::as_str);
    if found != Some(expected) {
        return Err(BundleError::Mismatch(format!(
            "the logged body's hash algorithm ({}) is {}, not {expected:?}",
            path.join("."),
            found.map_or("missing".to_string(), |a| format!("{:?}", crate::text::sanitize(a)))
        )));
    }
    Ok(())
}

/// A Rekor v2 hashedrekord 0.0.2 body: over `digest`, holding `signature`, naming the signer.
fn check_hashedrekord_v2(
    body: &Value,
    digest: &[u8; 32],
    signature: &[u8],
    same_signer: &dyn Fn(&Verifier<'_>) -> bool,
) -> Result<(), BundleError> {
    let spec = field(body, &["spec", "hashedRekordV002"])
        .ok_or_else(|| BundleError::Mismatch("not a hashedrekord 0.0.2 body".into()))?;
    require_sha256(spec, &["data", "algorithm"], "SHA2_256")?;
    let bytes = |path: &[&str]| field(spec, path).and_then(Value::as_str).and_then(|d| gitsign_protocol::unb64(d).ok());
    if bytes(&["data", "digest"]).as_deref() != Some(digest.as_slice()) {
        return Err(BundleError::Mismatch("the log entry is over another artifact".into()));
    }
    if bytes(&["signature", "content"]).as_deref() != Some(signature) {
        return Err(BundleError::Mismatch("the log entry holds another signature".into()));
    }
    let verifier = field(spec, &["signature", "verifier"])
        .ok_or_else(|| BundleError::Mismatch("the log entry names no verifier".into()))?;
    if !same_signer(&Verifier::V2(verifier)) {
        return Err(BundleError::Mismatch("the log entry names another certificate or key".into()));
    }
    Ok(())
}

/// A message signature over the artifact, logged as hashedrekord 0.0.1 or 0.0.2.
fn check_message_signature(
    ms: &Value,
    body: &Value,
    kv: &crate::tlog::KindVersion,
    digest: &[u8; 32],
    key: &gitsign_protocol::keys::PublicKey,
    same_signer: &dyn Fn(&Verifier<'_>) -> bool,
) -> Result<Vec<u8>, BundleError> {
    // The message digest is optional; when present it must be complete: SHA2_256 and a digest.
    if let Some(md) = ms.get("messageDigest") {
        let algorithm = md.get("algorithm").and_then(Value::as_str);
        if algorithm != Some("SHA2_256") {
            return Err(BundleError::Malformed(format!(
                "messageDigest.algorithm is {}, not \"SHA2_256\"",
                algorithm.map_or("missing".to_string(), |a| format!("{a:?}"))
            )));
        }
        let claimed = b64_field(md, &["digest"])
            .map_err(|_| BundleError::Malformed("messageDigest.digest is missing or not base64".into()))?;
        if claimed != digest {
            return Err(BundleError::Mismatch("the bundle's message digest is not the artifact's".into()));
        }
    }
    let signature = b64_field(ms, &["signature"])?;
    key.verify_sha256_prehashed(digest, &signature)
        .map_err(|_| BundleError::Verify(crate::verify::VerifyError::BadSignature))?;
    if kv.kind == "hashedrekord" && kv.version == "0.0.2" {
        check_hashedrekord_v2(body, digest, &signature, same_signer)?;
        return Ok(signature);
    }
    if kv.kind != "hashedrekord" || kv.version != "0.0.1" {
        return Err(BundleError::Unsupported(format!(
            "log entries of kind {} {} for a message signature",
            crate::text::sanitize(&kv.kind),
            crate::text::sanitize(&kv.version)
        )));
    }
    let rekord: gitsign_protocol::rekor::HashedRekord = serde_json::from_value(body.clone())
        .map_err(|e| BundleError::Mismatch(format!("the logged body is not a hashedrekord: {e}")))?;
    require_sha256(body, &["spec", "data", "hash", "algorithm"], "sha256")?;
    if !rekord.spec.data.hash.value.eq_ignore_ascii_case(&hex::encode(digest)) {
        return Err(BundleError::Mismatch("the log entry is over another artifact".into()));
    }
    if gitsign_protocol::unb64(&rekord.spec.signature.content).ok().as_deref() != Some(signature.as_slice()) {
        return Err(BundleError::Mismatch("the log entry holds another signature".into()));
    }
    if !same_signer(&Verifier::Pem(&rekord.spec.signature.public_key.content)) {
        return Err(BundleError::Mismatch("the log entry names another certificate or key".into()));
    }
    Ok(signature)
}

/// How a log body names the signer.
#[derive(Debug)]
pub enum Verifier<'a> {
    /// Rekor v1: base64 of a PEM certificate or key.
    Pem(&'a str),
    /// Rekor v2: `{x509Certificate: {rawBytes}}` or `{publicKey: {rawBytes}}`.
    V2(&'a Value),
}

/// The only DSSE payload type that names the artifact it is about.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// The in-toto statement type sigstore-python and sigstore-go read.
const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// Binds a DSSE payload to the artifact: it must be an in-toto v1 statement (payload type exactly
/// [`IN_TOTO`], no parameters) with a subject whose `sha256` digest is the artifact's. Subjects are
/// matched on SHA-256 only (the artifact is known by its SHA-256); a subject naming only other
/// algorithms matches nothing, and any one matching subject suffices, as in sigstore-python and
/// sigstore-go. Anything else says nothing about the file and is refused.
/// Names are printed with `{:?}`, which escapes control characters.
fn check_statement(payload_type: &str, payload: &[u8], digest: &[u8; 32]) -> Result<(), BundleError> {
    if payload_type != IN_TOTO {
        return Err(BundleError::Mismatch(format!(
            "the DSSE envelope's payloadType is {:?}, not {IN_TOTO:?}: only an in-toto statement names the \
             artifact it covers, so this bundle is not bound to the file",
            payload_type
        )));
    }
    let statement: Value = serde_json::from_slice(payload)
        .map_err(|e| BundleError::Mismatch(format!("the in-toto statement is not JSON: {e}")))?;
    let kind = statement.get("_type").and_then(Value::as_str).unwrap_or_default();
    if kind != STATEMENT_V1 {
        return Err(BundleError::Mismatch(format!(
            "the in-toto statement's _type is {:?}, not {STATEMENT_V1:?}",
            kind
        )));
    }
    let subjects = statement.get("subject").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    if subjects.is_empty() {
        return Err(BundleError::Mismatch("the in-toto statement names no subject".into()));
    }
    let wanted = hex::encode(digest);
    let covered = subjects.iter().any(|s| {
        field(s, &["digest", "sha256"]).and_then(Value::as_str).is_some_and(|d| d.eq_ignore_ascii_case(&wanted))
    });
    if !covered {
        return Err(BundleError::Mismatch(format!(
            "no subject of the in-toto statement has the artifact's sha256 digest {wanted}"
        )));
    }
    Ok(())
}

/// A DSSE envelope (in-toto statements must name the artifact), logged as dsse 0.0.1 or
/// intoto 0.0.2.
fn check_dsse(
    env: &Value,
    body: &Value,
    kv: &crate::tlog::KindVersion,
    digest: &[u8; 32],
    key: &gitsign_protocol::keys::PublicKey,
    same_signer: &dyn Fn(&Verifier<'_>) -> bool,
) -> Result<Vec<u8>, BundleError> {
    let bad = |s: &str| BundleError::Malformed(s.to_string());
    let payload = b64_field(env, &["payload"])?;
    let payload_type =
        env.get("payloadType").and_then(Value::as_str).ok_or_else(|| bad("dsseEnvelope.payloadType is missing"))?;
    let sigs =
        env.get("signatures").and_then(Value::as_array).ok_or_else(|| bad("dsseEnvelope.signatures is missing"))?;
    let [sig] = sigs.as_slice() else { return Err(bad("a DSSE envelope must carry exactly one signature")) };
    let signature = b64_field(sig, &["sig"])?;
    // DSSE's pre-authentication encoding is what is signed.
    let pae =
        [format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes(), payload.clone()]
            .concat();
    key.verify(&pae, &signature).map_err(|_| BundleError::Verify(crate::verify::VerifyError::BadSignature))?;
    check_statement(payload_type, &payload, digest)?;
    let payload_digest = gitsign_protocol::sha256(&payload);
    if kv.kind == "hashedrekord" && kv.version == "0.0.2" {
        // Rekor v2 logs a DSSE signature as a hashedrekord over the pre-authentication encoding.
        check_hashedrekord_v2(body, &gitsign_protocol::sha256(&pae), &signature, same_signer)?;
        return Ok(signature);
    }
    if kv.kind == "dsse" && kv.version == "0.0.2" {
        let spec =
            field(body, &["spec", "dsseV002"]).ok_or_else(|| BundleError::Mismatch("not a dsse 0.0.2 body".into()))?;
        require_sha256(spec, &["payloadHash", "algorithm"], "SHA2_256")?;
        let logged_hash = field(spec, &["payloadHash", "digest"])
            .and_then(Value::as_str)
            .and_then(|d| gitsign_protocol::unb64(d).ok());
        if logged_hash.as_deref() != Some(payload_digest.as_slice()) {
            return Err(BundleError::Mismatch("the log entry is over another DSSE payload".into()));
        }
        let sigs = spec.get("signatures").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
        let [logged] = sigs else {
            return Err(BundleError::Mismatch("the log entry must hold exactly the envelope's one signature".into()));
        };
        let logged_sig = logged.get("content").and_then(Value::as_str).and_then(|d| gitsign_protocol::unb64(d).ok());
        let verifier =
            logged.get("verifier").ok_or_else(|| BundleError::Mismatch("the log entry names no verifier".into()))?;
        if logged_sig.as_deref() != Some(signature.as_slice()) || !same_signer(&Verifier::V2(verifier)) {
            return Err(BundleError::Mismatch("the log entry holds another signature or signer".into()));
        }
        return Ok(signature);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let unb64 = |v: Option<&Value>| v.and_then(Value::as_str).and_then(|x| gitsign_protocol::unb64(x).ok());
    /// Each logged signature with the verifier it names.
    type LoggedSignatures = Vec<(Option<Vec<u8>>, Option<String>)>;
    match (kv.kind.as_str(), kv.version.as_str()) {
        ("dsse", "0.0.1") => require_sha256(body, &["spec", "payloadHash", "algorithm"], "sha256")?,
        ("intoto", "0.0.2") => require_sha256(body, &["spec", "content", "payloadHash", "algorithm"], "sha256")?,
        _ => {}
    }
    let (logged_hash, logged): (Option<String>, LoggedSignatures) = match (kv.kind.as_str(), kv.version.as_str()) {
        ("dsse", "0.0.1") => (
            text(field(body, &["spec", "payloadHash", "value"])),
            field(body, &["spec", "signatures"])
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|s| (unb64(s.get("signature")), text(s.get("verifier")))).collect())
                .unwrap_or_default(),
        ),
        ("intoto", "0.0.2") => (
            text(field(body, &["spec", "content", "payloadHash", "value"])),
            field(body, &["spec", "content", "envelope", "signatures"])
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|s| {
                            // intoto 0.0.2 stores the signature base64-encoded twice.
                            let sig = unb64(s.get("sig"))
                                .and_then(|x| gitsign_protocol::unb64(&String::from_utf8_lossy(&x)).ok());
                            (sig, text(s.get("publicKey")))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        ),
        (kind, v) => {
            return Err(BundleError::Unsupported(format!(
                "log entries of kind {} {} for a DSSE envelope",
                crate::text::sanitize(kind),
                crate::text::sanitize(v)
            )));
        }
    };
    if !logged_hash.is_some_and(|h| h.eq_ignore_ascii_case(&hex::encode(payload_digest))) {
        return Err(BundleError::Mismatch("the log entry is over another DSSE payload".into()));
    }
    let [(Some(logged_sig), Some(verifier))] = logged.as_slice() else {
        return Err(BundleError::Mismatch("the log entry must hold exactly the envelope's one signature".into()));
    };
    if *logged_sig != signature || !same_signer(&Verifier::Pem(verifier)) {
        return Err(BundleError::Mismatch("the log entry holds another signature or signer".into()));
    }
    Ok(signature)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The conformance vectors and the public-good trust root, or None (skipped) outside CI.
    fn vectors() -> Option<PathBuf> {
        let root =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/vectors/sigstore-conformance/bundle-verify");
        if root.exists() {
            return Some(root);
        }
        crate::test_skip::skip(&format!("{} is absent (CI provides ../shared)", root.display()));
        None
    }

    /// Verifies `bundle` (a changed copy of conformance case `case`) over the suite's artifact.
    fn verify_case(root: &std::path::Path, case: &str, change: impl FnOnce(&mut Value)) -> Result<(), BundleError> {
        let trust = std::fs::read(root.join(case).join("trusted_root.json"))
            .or_else(|_| std::fs::read(root.join("../../../trust/public-good/trusted_root.json")))
            .unwrap();
        let trust = crate::verify::TrustRoot::from_json(&trust, "test").unwrap();
        let mut b: Value =
            serde_json::from_slice(&std::fs::read(root.join(case).join("bundle.sigstore.json")).unwrap()).unwrap();
        change(&mut b);
        let artifact = std::fs::read(root.join("a.txt")).unwrap();
        let policy = crate::verify::Policy::default();
        verify(
            &trust,
            &serde_json::to_vec(&b).unwrap(),
            &gitsign_protocol::sha256(&artifact),
            &Signer::Certificate(&policy),
        )
        .map(|_| ())
    }

    #[test]
    fn entry_kinds_are_printed_without_control_characters() {
        let Some(root) = vectors() else { return };
        verify_case(&root, "happy-path-v0.3", |_| {}).unwrap();
        let err = verify_case(&root, "happy-path-v0.3", |b| {
            b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"] = json!("hashed\u{1b}[2J\u{9b}rekord");
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("log entries of kind hashed[2Jrekord 0.0.1"), "{err}");
        assert!(!err.chars().any(char::is_control), "{err:?}");
        let err = verify_case(&root, "happy-path-intoto-in-dsse-v3", |b| {
            b["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"] = json!("0.0.1\u{7}\u{1b}]0;x");
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("log entries of kind dsse 0.0.1]0;x"), "{err}");
        assert!(!err.chars().any(char::is_control), "{err:?}");
    }

    /// The bundle with its logged body changed by `f` (the log's proofs no longer match it, but
    /// the body is checked before them, so the reason is the body's).
    fn with_body(b: &mut Value, f: impl FnOnce(&mut Value)) {
        let e = &mut b["verificationMaterial"]["tlogEntries"][0];
        let mut body: Value =
            serde_json::from_slice(&gitsign_protocol::unb64(e["canonicalizedBody"].as_str().unwrap()).unwrap())
                .unwrap();
        f(&mut body);
        e["canonicalizedBody"] = json!(gitsign_protocol::b64(serde_json::to_vec(&body).unwrap()));
    }

    #[test]
    fn logged_body_kind_version_and_hash_algorithm_are_checked() {
        let Some(root) = vectors() else { return };
        /// (case, name, change to the logged body, expected reason)
        type Case = (&'static str, &'static str, fn(&mut Value), &'static str);
        let cases: &[Case] = &[
            (
                "happy-path-v0.3",
                "kind",
                |b| b["kind"] = json!("rekord"),
                "the logged body's kind is \"rekord\", but the entry says \"hashedrekord\"",
            ),
            (
                "happy-path-v0.3",
                "apiVersion",
                |b| b["apiVersion"] = json!("0.0.2"),
                "the logged body's apiVersion is \"0.0.2\", but the entry says \"0.0.1\"",
            ),
            (
                "rekor2-happy-path",
                "no kind",
                |b| {
                    b.as_object_mut().unwrap().remove("kind");
                },
                "the logged body's kind is missing",
            ),
            (
                "happy-path-v0.3",
                "v1 algorithm",
                |b| b["spec"]["data"]["hash"]["algorithm"] = json!("sha512"),
                "hash algorithm (spec.data.hash.algorithm) is \"sha512\", not \"sha256\"",
            ),
            (
                "rekor2-happy-path",
                "v2 algorithm",
                |b| b["spec"]["hashedRekordV002"]["data"]["algorithm"] = json!("SHA2_384"),
                "hash algorithm (data.algorithm) is \"SHA2_384\", not \"SHA2_256\"",
            ),
            (
                "rekor2-happy-path",
                "v2 kind",
                |b| b["kind"] = json!("dsse"),
                "the logged body's kind is \"dsse\", but the entry says \"hashedrekord\"",
            ),
            (
                "happy-path-intoto-in-dsse-v3",
                "dsse algorithm",
                |b| b["spec"]["payloadHash"]["algorithm"] = json!("sha1"),
                "hash algorithm (spec.payloadHash.algorithm) is \"sha1\", not \"sha256\"",
            ),
            (
                "happy-path-intoto-in-dsse-v3",
                "dsse apiVersion",
                |b| b["apiVersion"] = json!("0.0.2"),
                "the logged body's apiVersion is \"0.0.2\", but the entry says \"0.0.1\"",
            ),
        ];
        let mut wrong = Vec::new();
        for (case, name, change, reason) in cases {
            verify_case(&root, case, |_| {}).unwrap();
            match verify_case(&root, case, |b| with_body(b, change)) {
                Ok(()) => wrong.push(format!("{case} {name}: accepted")),
                Err(e) if !e.to_string().contains(reason) => wrong.push(format!("{case} {name}: {e}")),
                Err(_) => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
