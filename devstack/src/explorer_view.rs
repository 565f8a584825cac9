//! What the log explorer shows of an entry, decoded from the logged bytes: the hashedrekord body,
//! the signer's certificate (identities, OIDC issuer, validity window, every extension by name),
//! and the digests a commit search looks for. Shared by the web pages ([`crate::explorer`]) and
//! `gitsign-devstack log` on the command line; nothing here trusts what it decodes — every
//! string comes from whoever logged the entry and is escaped or sanitized where it is printed.

use gitsign_protocol::keys::{PublicKey, pem_encode};
use gitsign_protocol::rekor::HashedRekord;
use gitsign_protocol::{sha256, unb64};
use x509_parser::extensions::GeneralName;

/// Why a body or a pasted object could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The body is not a hashedrekord this log could have written.
    #[error("the entry body is not a hashedrekord: {0}")]
    Body(String),
    /// The pasted text is neither a signed commit or tag nor a gitsign signature.
    #[error("{0}")]
    Object(String),
    /// The pasted commit's signature headers are ambiguous.
    #[error(transparent)]
    Split(#[from] gitsign_core::gitobj::SplitError),
}

/// A decoded hashedrekord body.
#[derive(Debug, Clone)]
pub struct EntryView {
    /// `kind` (always `hashedrekord` in this log).
    pub kind: String,
    /// `apiVersion`.
    pub api_version: String,
    /// `data.hash.algorithm`.
    pub hash_algorithm: String,
    /// `data.hash.value` (hex).
    pub hash: String,
    /// `signature.content` (base64).
    pub signature_b64: String,
    /// The signer: a certificate, or a bare public key.
    pub signer: Signer,
}

/// Who signed.
#[derive(Debug, Clone)]
pub enum Signer {
    /// An X.509 certificate (the Fulcio case).
    Certificate(Box<CertView>),
    /// A bare public key.
    Key {
        /// PEM.
        pem: String,
        /// Hex SHA-256 of the SPKI.
        key_id: String,
    },
    /// `publicKey.content` does not decode.
    Unreadable(String),
}

/// One extension of a certificate.
#[derive(Debug, Clone)]
pub struct Extension {
    /// Dotted OID.
    pub oid: String,
    /// Its name, when known.
    pub name: &'static str,
    /// Critical flag.
    pub critical: bool,
    /// The value, decoded when it is text, else hex.
    pub value: String,
}

/// A decoded certificate.
#[derive(Debug, Clone)]
pub struct CertView {
    /// PEM as logged.
    pub pem: String,
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer_dn: String,
    /// Serial (hex).
    pub serial: String,
    /// notBefore, seconds since the epoch.
    pub not_before: i64,
    /// notAfter, seconds since the epoch.
    pub not_after: i64,
    /// Subject alternative names: (kind, value).
    pub sans: Vec<(&'static str, String)>,
    /// The OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.8, else the v1 1.1).
    pub oidc_issuer: Option<String>,
    /// Every extension, in certificate order.
    pub extensions: Vec<Extension>,
    /// Hex SHA-256 of the SPKI.
    pub key_id: String,
}

impl CertView {
    /// The identity: the first SAN's value.
    pub fn identity(&self) -> Option<&str> {
        self.sans.first().map(|(_, v)| v.as_str())
    }

    /// Whether `time` (seconds) lies inside the validity window.
    pub fn valid_at(&self, time: i64) -> bool {
        self.not_before <= time && time <= self.not_after
    }
}

impl EntryView {
    /// The signer's identity and OIDC issuer, when the signer is a certificate.
    pub fn identity(&self) -> (Option<&str>, Option<&str>) {
        match &self.signer {
            Signer::Certificate(c) => (c.identity(), c.oidc_issuer.as_deref()),
            _ => (None, None),
        }
    }
}

/// Name of a certificate extension (Sigstore's Fulcio extensions by their registered names).
pub fn extension_name(oid: &str) -> &'static str {
    match oid {
        "1.3.6.1.4.1.57264.1.1" => "Fulcio: OIDC issuer (v1, deprecated)",
        "1.3.6.1.4.1.57264.1.2" => "Fulcio: GitHub workflow trigger (deprecated)",
        "1.3.6.1.4.1.57264.1.3" => "Fulcio: GitHub workflow SHA (deprecated)",
        "1.3.6.1.4.1.57264.1.4" => "Fulcio: GitHub workflow name (deprecated)",
        "1.3.6.1.4.1.57264.1.5" => "Fulcio: GitHub workflow repository (deprecated)",
        "1.3.6.1.4.1.57264.1.6" => "Fulcio: GitHub workflow ref (deprecated)",
        "1.3.6.1.4.1.57264.1.7" => "Fulcio: username (other-name SAN)",
        "1.3.6.1.4.1.57264.1.8" => "Fulcio: OIDC issuer",
        "1.3.6.1.4.1.57264.1.9" => "Fulcio: build signer URI",
        "1.3.6.1.4.1.57264.1.10" => "Fulcio: build signer digest",
        "1.3.6.1.4.1.57264.1.11" => "Fulcio: runner environment",
        "1.3.6.1.4.1.57264.1.12" => "Fulcio: source repository URI",
        "1.3.6.1.4.1.57264.1.13" => "Fulcio: source repository digest",
        "1.3.6.1.4.1.57264.1.14" => "Fulcio: source repository ref",
        "1.3.6.1.4.1.57264.1.15" => "Fulcio: source repository identifier",
        "1.3.6.1.4.1.57264.1.16" => "Fulcio: source repository owner URI",
        "1.3.6.1.4.1.57264.1.17" => "Fulcio: source repository owner identifier",
        "1.3.6.1.4.1.57264.1.18" => "Fulcio: build config URI",
        "1.3.6.1.4.1.57264.1.19" => "Fulcio: build config digest",
        "1.3.6.1.4.1.57264.1.20" => "Fulcio: build trigger",
        "1.3.6.1.4.1.57264.1.21" => "Fulcio: run invocation URI",
        "1.3.6.1.4.1.57264.1.22" => "Fulcio: source repository visibility at signing",
        "1.3.6.1.4.1.11129.2.4.2" => "Certificate Transparency: embedded SCTs",
        "2.5.29.14" => "Subject key identifier",
        "2.5.29.15" => "Key usage",
        "2.5.29.17" => "Subject alternative name",
        "2.5.29.19" => "Basic constraints",
        "2.5.29.35" => "Authority key identifier",
        "2.5.29.37" => "Extended key usage",
        o if o.starts_with("1.3.6.1.4.1.57264.") => "Sigstore: unknown extension",
        _ => "unknown extension",
    }
}

/// The text of an extension's value: the v1 Fulcio extensions (1.1–1.6) hold raw UTF-8, the
/// later ones a DER UTF8String; anything else is shown as hex.
fn extension_value(oid: &str, raw: &[u8]) -> String {
    let fulcio_raw = ["1", "2", "3", "4", "5", "6"].iter().any(|n| oid == format!("1.3.6.1.4.1.57264.1.{n}"));
    if fulcio_raw && let Ok(s) = std::str::from_utf8(raw) {
        return s.to_string();
    }
    if oid.starts_with("1.3.6.1.4.1.57264.1.")
        && let [0x0c, rest @ ..] = raw
        && let Some(text) = der_short_content(rest)
        && let Ok(s) = std::str::from_utf8(text)
    {
        return s.to_string();
    }
    hex::encode(raw)
}

/// The content of a DER value after its tag (definite length, whole buffer), else `None`.
fn der_short_content(after_tag: &[u8]) -> Option<&[u8]> {
    let (&first, rest) = after_tag.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() == len).then_some(rest)
}

fn general_name(name: &GeneralName<'_>) -> (&'static str, String) {
    match name {
        GeneralName::RFC822Name(e) => ("email", e.to_string()),
        GeneralName::URI(u) => ("URI", u.to_string()),
        GeneralName::DNSName(d) => ("DNS", d.to_string()),
        GeneralName::OtherName(oid, value) => {
            let text = match value {
                // [0] EXPLICIT UTF8String
                [0xa0, rest @ ..] => der_short_content(rest)
                    .and_then(|inner| match inner {
                        [0x0c, s @ ..] => der_short_content(s),
                        _ => None,
                    })
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .map(str::to_string),
                _ => None,
            };
            ("other name", format!("{} ({oid})", text.unwrap_or_else(|| hex::encode(value))))
        }
        other => ("other", format!("{other:?}")),
    }
}

/// Decodes a certificate (DER), keeping `pem` as logged.
pub fn decode_certificate(der: &[u8], pem: String) -> Result<CertView, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let mut sans = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        sans.extend(san.value.general_names.iter().map(general_name));
    }
    let mut extensions = Vec::new();
    let (mut issuer_v1, mut issuer_v2) = (None, None);
    for ext in cert.extensions() {
        let oid = ext.oid.to_id_string();
        let value = match oid.as_str() {
            "2.5.29.17" => sans.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", "),
            "2.5.29.37" => match ext.parsed_extension() {
                x509_parser::extensions::ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut names = Vec::new();
                    if eku.code_signing {
                        names.push("code signing".to_string());
                    }
                    names.extend(eku.other.iter().map(|o| o.to_id_string()));
                    names.join(", ")
                }
                _ => hex::encode(ext.value),
            },
            "2.5.29.15" => match ext.parsed_extension() {
                x509_parser::extensions::ParsedExtension::KeyUsage(ku) => ku.to_string(),
                _ => hex::encode(ext.value),
            },
            "1.3.6.1.4.1.11129.2.4.2" => format!("{} bytes", ext.value.len()),
            _ => extension_value(&oid, ext.value),
        };
        if oid == "1.3.6.1.4.1.57264.1.1" {
            issuer_v1 = Some(value.clone());
        }
        if oid == "1.3.6.1.4.1.57264.1.8" {
            issuer_v2 = Some(value.clone());
        }
        extensions.push(Extension { name: extension_name(&oid), oid, critical: ext.critical, value });
    }
    let key_id = PublicKey::from_spki_der(cert.public_key().raw).map(|k| hex::encode(k.key_id())).unwrap_or_default();
    Ok(CertView {
        pem,
        subject: cert.subject().to_string(),
        issuer_dn: cert.issuer().to_string(),
        serial: cert.raw_serial_as_string(),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        sans,
        oidc_issuer: issuer_v2.or(issuer_v1),
        extensions,
        key_id,
    })
}

/// The signer of a Rekor v2 verifier: `x509Certificate.rawBytes` or `publicKey.rawBytes` (DER).
fn v2_signer(verifier: Option<&serde_json::Value>) -> Signer {
    let raw = |p: &str| verifier.and_then(|v| v.pointer(p)).and_then(serde_json::Value::as_str).map(unb64);
    if let Some(cert) = raw("/x509Certificate/rawBytes") {
        return match cert {
            Err(_) => Signer::Unreadable("verifier.x509Certificate.rawBytes is not base64".into()),
            Ok(der) => match decode_certificate(&der, pem_encode("CERTIFICATE", &der)) {
                Ok(c) => Signer::Certificate(Box::new(c)),
                Err(e) => Signer::Unreadable(e),
            },
        };
    }
    match raw("/publicKey/rawBytes") {
        Some(Ok(spki)) => match PublicKey::from_spki_der(&spki) {
            Ok(key) => Signer::Key { pem: pem_encode("PUBLIC KEY", &spki), key_id: hex::encode(key.key_id()) },
            Err(e) => Signer::Unreadable(e.to_string()),
        },
        Some(Err(_)) => Signer::Unreadable("verifier.publicKey.rawBytes is not base64".into()),
        None => Signer::Unreadable("the entry names no verifier".into()),
    }
}

/// Decodes a Rekor v2 body (hashedrekord or DSSE 0.0.2; of a DSSE entry, its first signature).
fn decode_body_v2(v: &serde_json::Value) -> Result<EntryView, ViewError> {
    let text = |p: &str| v.pointer(p).and_then(serde_json::Value::as_str).map(str::to_string);
    let kind = text("/kind").unwrap_or_default();
    let (digest, algorithm, signature) = match kind.as_str() {
        "hashedrekord" => (
            "/spec/hashedRekordV002/data/digest",
            "/spec/hashedRekordV002/data/algorithm",
            "/spec/hashedRekordV002/signature",
        ),
        "dsse" => {
            ("/spec/dsseV002/payloadHash/digest", "/spec/dsseV002/payloadHash/algorithm", "/spec/dsseV002/signatures/0")
        }
        other => return Err(ViewError::Body(format!("kind {other:?} is neither hashedrekord nor dsse"))),
    };
    let hash = text(digest)
        .and_then(|d| unb64(&d).ok())
        .map(hex::encode)
        .ok_or_else(|| ViewError::Body(format!("{digest} is missing or not base64")))?;
    let hash_algorithm = match text(algorithm).as_deref() {
        Some("SHA2_256") => "sha256".to_string(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let sig = v.pointer(signature);
    Ok(EntryView {
        kind,
        api_version: text("/apiVersion").unwrap_or_default(),
        hash_algorithm,
        hash,
        signature_b64: sig.and_then(|s| s.get("content")).and_then(serde_json::Value::as_str).unwrap_or("").into(),
        signer: v2_signer(sig.and_then(|s| s.get("verifier"))),
    })
}

/// Decodes a logged body: a Rekor v1 hashedrekord 0.0.1, or a Rekor v2 (0.0.2) entry.
pub fn decode_body(body: &[u8]) -> Result<EntryView, ViewError> {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body)
        && v.get("apiVersion").and_then(serde_json::Value::as_str) == Some("0.0.2")
    {
        return decode_body_v2(&v);
    }
    let entry: HashedRekord = serde_json::from_slice(body).map_err(|e| ViewError::Body(e.to_string()))?;
    let signer = match unb64(&entry.spec.signature.public_key.content) {
        Err(_) => Signer::Unreadable("signature.publicKey.content is not base64".into()),
        Ok(pem) => match PublicKey::from_pem_cert_or_key(&pem) {
            Err(e) => Signer::Unreadable(e.to_string()),
            Ok((_, Some(der))) => match decode_certificate(&der, String::from_utf8_lossy(&pem).into_owned()) {
                Ok(c) => Signer::Certificate(Box::new(c)),
                Err(e) => Signer::Unreadable(e),
            },
            Ok((key, None)) => {
                Signer::Key { pem: pem_encode("PUBLIC KEY", key.spki_der()), key_id: hex::encode(key.key_id()) }
            }
        },
    };
    Ok(EntryView {
        kind: entry.kind,
        api_version: entry.api_version,
        hash_algorithm: entry.spec.data.hash.algorithm,
        hash: entry.spec.data.hash.value,
        signature_b64: entry.spec.signature.content,
        signer,
    })
}

/// A digest a commit search looks up, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitDigest {
    /// Hex SHA-256, as logged in `data.hash`.
    pub sha256: String,
    /// What it is the digest of, for people.
    pub what: String,
}

/// Whether `s` is a full commit ID (40 hex digits for SHA-1, 64 for SHA-256 repositories).
pub fn is_commit_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The digest online mode logs for commit `id`: the Go gitsign signs the commit ID's hex text and
/// logs SHA-256 of it.
pub fn online_digest(id: &str) -> CommitDigest {
    let id = id.to_ascii_lowercase();
    CommitDigest {
        sha256: hex::encode(sha256(id.as_bytes())),
        what: format!("the commit ID {id} as text (what online mode logs)"),
    }
}

/// The digests to look up for a pasted object: a signed commit or tag as `git cat-file` prints
/// it (its signature's signed attributes, what offline mode logs, and its object ID, what online
/// mode logs), or a gitsign signature alone (its signed attributes). Line ends pasted through a
/// browser (CRLF) are read as LF.
pub fn object_digests(pasted: &[u8]) -> Result<Vec<CommitDigest>, ViewError> {
    let text: Vec<u8> = {
        let s = String::from_utf8_lossy(pasted).replace("\r\n", "\n");
        s.into_bytes()
    };
    let trimmed = String::from_utf8_lossy(&text).trim().to_string();
    if trimmed.starts_with("-----BEGIN") {
        return Ok(vec![signed_attributes_digest(trimmed.as_bytes(), "the pasted signature")?]);
    }
    let mut object = text.clone();
    if !object.ends_with(b"\n") {
        object.push(b'\n');
    }
    let kind = if object.starts_with(b"tree ") {
        "commit"
    } else if object.starts_with(b"object ") {
        "tag"
    } else {
        return Err(ViewError::Object(
            "the pasted text is neither a commit or tag object (as `git cat-file commit <ID>` prints it: \
             it starts with \"tree \" or \"object \") nor a signature (\"-----BEGIN …\")"
                .into(),
        ));
    };
    let sha256_repo =
        object.split(|b| *b == b'\n').take_while(|l| !l.is_empty()).any(|l| l.starts_with(b"gpgsig-sha256 "));
    let (payload, armored) = gitsign_core::gitobj::split_signed(&object, kind, sha256_repo)?
        .ok_or_else(|| ViewError::Object(format!("the pasted {kind} carries no signature")))?;
    let mut out =
        vec![signed_attributes_digest(&armored, &format!("the signed attributes of the {kind}'s signature"))?];
    if !sha256_repo && let Some(id) = gitsign_core::gitobj::object_id(&payload, &String::from_utf8_lossy(&armored)) {
        out.push(online_digest(&id));
    }
    Ok(out)
}

fn signed_attributes_digest(armored: &[u8], what: &str) -> Result<CommitDigest, ViewError> {
    let der = gitsign_core::signature::dearmor(armored)
        .map_err(|e| ViewError::Object(format!("{what}: not a signature: {e}")))?;
    let parsed = gitsign_core::signature::parse(&der)
        .map_err(|e| ViewError::Object(format!("{what}: not a gitsign (CMS) signature: {e}")))?;
    Ok(CommitDigest {
        sha256: hex::encode(sha256(&parsed.signed_attrs_der)),
        what: format!("{what} (what offline mode logs)"),
    })
}

/// Seconds since the epoch as `2026-01-02 03:04:05 UTC` (the number itself if out of range).
pub fn utc(secs: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| secs.to_string())
}

/// `s` with control and Unicode format characters (bidi overrides...) replaced, for terminals
/// (the log's strings are anyone's).
pub fn printable(s: &str) -> String {
    s.chars().map(|c| if c.is_control() || gitsign_core::text::is_format(c) { '\u{fffd}' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn online_digest_is_sha256_of_the_lowercase_hex_text() {
        let id = "0123456789ABCDEF0123456789abcdef01234567";
        assert!(is_commit_id(id));
        assert!(!is_commit_id("0123"));
        assert_eq!(online_digest(id).sha256, hex::encode(sha256(id.to_ascii_lowercase().as_bytes())));
    }

    #[test]
    fn pasted_text_that_is_no_object_is_refused_with_what_to_paste() {
        let e = object_digests(b"hello").unwrap_err().to_string();
        assert!(e.contains("git cat-file commit"), "{e}");
        let e = object_digests(b"tree 1234\nauthor a\n\nmsg\n").unwrap_err().to_string();
        assert!(e.contains("carries no signature"), "{e}");
    }

    #[test]
    fn fulcio_extension_values_are_read_in_both_encodings() {
        assert_eq!(extension_value("1.3.6.1.4.1.57264.1.1", b"https://issuer"), "https://issuer");
        assert_eq!(extension_value("1.3.6.1.4.1.57264.1.8", b"\x0c\x0ehttps://issuer"), "https://issuer");
        assert_eq!(extension_value("1.2.3", b"\x01\x02"), "0102");
        assert_eq!(extension_name("1.3.6.1.4.1.57264.1.12"), "Fulcio: source repository URI");
    }
}
