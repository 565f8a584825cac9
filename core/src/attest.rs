//! Attestations on git objects in the Go gitsign's format (`gitsign attest`): an in-toto v1
//! statement whose one subject is a commit or tree ID (`{"digest": {"gitCommit"|"gitTree": ID}}`)
//! and whose predicate is the user's JSON file, in a DSSE envelope signed keylessly, stored under
//! `refs/attestations/commits` or `refs/attestations/trees` in a directory named after the object.
//!
//! This module holds the format only: the DSSE pre-authentication encoding, the statement and
//! envelope as written, and the checks that bind a stored envelope to the object asked about. The
//! signature itself (over the PAE bytes) is a Sigstore bundle made and checked by [`crate::sign`]
//! and [`crate::bundle`]; git is read and written by the program.

use gitsign_protocol::{b64, unb64};
use serde::Deserialize;
use serde_json::Value;

/// The ref holding attestations of commits.
pub const COMMIT_REF: &str = "refs/attestations/commits";
/// The ref holding attestations of trees.
pub const TREE_REF: &str = "refs/attestations/trees";
/// The DSSE payload type of an in-toto statement.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
/// The in-toto statement type the Go gitsign writes.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// The suffix of the DSSE envelope's file beside the predicate's (the Go gitsign's).
pub const ENVELOPE_SUFFIX: &str = ".sig";
/// The suffix of the Sigstore bundle's file (certificate, log entry and proof; ours only).
pub const BUNDLE_SUFFIX: &str = ".sigstore.json";

/// Which kind of object an attestation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A commit (`gitCommit`, under [`COMMIT_REF`]).
    Commit,
    /// A tree (`gitTree`, under [`TREE_REF`]).
    Tree,
}

impl ObjectKind {
    /// The ref its attestations live under.
    pub fn ref_name(self) -> &'static str {
        match self {
            ObjectKind::Commit => COMMIT_REF,
            ObjectKind::Tree => TREE_REF,
        }
    }

    /// The statement's digest name for it.
    pub fn digest_name(self) -> &'static str {
        match self {
            ObjectKind::Commit => "gitCommit",
            ObjectKind::Tree => "gitTree",
        }
    }

    /// `commit` or `tree`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Commit => "commit",
            ObjectKind::Tree => "tree",
        }
    }
}

/// Why an attestation cannot be made or is not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    /// The predicate file is not a JSON object.
    #[error("the predicate is not a JSON object ({0}); `gitsign attest -f FILE` takes a JSON object as the predicate")]
    Predicate(String),
    /// The file name cannot be a tree entry.
    #[error("{0:?} cannot name a file in the attestation tree; give a file with a plain name")]
    FileName(String),
    /// The envelope is not a DSSE envelope as written by gitsign.
    #[error("malformed DSSE envelope: {0}")]
    Envelope(String),
    /// The payload type is not in-toto.
    #[error("the envelope's payloadType is {found:?}, expected {IN_TOTO:?}")]
    PayloadType {
        /// What the envelope says.
        found: String,
    },
    /// The statement cannot be read.
    #[error("malformed in-toto statement: {0}")]
    Statement(String),
    /// The statement is about another object.
    #[error(
        "the statement's subject is {found}, but the attestation is for {kind} {expected}: it was made for another object"
    )]
    Subject {
        /// commit or tree.
        kind: &'static str,
        /// The object asked about.
        expected: String,
        /// What the statement names.
        found: String,
    },
    /// The predicate file beside the envelope is not exactly the signed predicate.
    #[error("{0}")]
    PredicateFile(String),
    /// The predicate type is not the one asked for.
    #[error("the predicate type is {found:?}, expected {expected:?} (--type)")]
    PredicateType {
        /// `--type`.
        expected: String,
        /// The statement's.
        found: String,
    },
}

/// DSSE's pre-authentication encoding: what the signature is over.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {payload_type} {} ", payload_type.len(), payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A file name the attestation tree can hold (the Go gitsign uses the base name of `-f`).
pub fn check_file_name(name: &str) -> Result<(), AttestError> {
    let bad = name.is_empty()
        || name == "."
        || name == ".."
        || name == ".git"
        || name.contains('/')
        || name.chars().any(|c| c.is_control());
    if bad { Err(AttestError::FileName(name.to_string())) } else { Ok(()) }
}

/// The in-toto v1 statement the Go gitsign writes for `predicate` (JSON object) about the object
/// `object_hex` of `kind`; `predicate_type` empty is left out, as the Go gitsign's protojson does.
pub fn statement(
    kind: ObjectKind,
    object_hex: &str,
    predicate_type: &str,
    predicate: &[u8],
) -> Result<Vec<u8>, AttestError> {
    let pred: Value = serde_json::from_slice(predicate).map_err(|e| AttestError::Predicate(e.to_string()))?;
    if !pred.is_object() {
        return Err(AttestError::Predicate("it is JSON, but not an object".into()));
    }
    let s = |v: &str| Value::String(v.to_string()).to_string();
    let mut out = format!(
        "{{\"_type\":{},\"subject\":[{{\"digest\":{{{}:{}}}}}]",
        s(STATEMENT_V1),
        s(kind.digest_name()),
        s(&object_hex.to_ascii_lowercase())
    );
    if !predicate_type.is_empty() {
        out.push_str(&format!(",\"predicateType\":{}", s(predicate_type)));
    }
    out.push_str(&format!(",\"predicate\":{pred}}}"));
    Ok(out.into_bytes())
}

/// The DSSE envelope as the Go gitsign stores it (`<file>.sig`): payload type, base64 payload
/// and one signature with an empty key ID.
pub fn envelope(payload: &[u8], signature: &[u8]) -> Vec<u8> {
    let s = |v: &str| Value::String(v.to_string()).to_string();
    format!(
        "{{\"payloadType\":{},\"payload\":{},\"signatures\":[{{\"keyid\":\"\",\"sig\":{}}}]}}",
        s(IN_TOTO),
        s(&b64(payload)),
        s(&b64(signature))
    )
    .into_bytes()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvelope {
    #[serde(rename = "payloadType")]
    payload_type: String,
    payload: String,
    signatures: Vec<RawSignature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    #[serde(default)]
    keyid: Option<String>,
    sig: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatement {
    #[serde(rename = "_type")]
    kind: String,
    subject: Vec<RawSubject>,
    #[serde(rename = "predicateType", default)]
    predicate_type: Option<String>,
    #[serde(default)]
    predicate: Option<Value>,
}

#[derive(Deserialize)]
struct RawSubject {
    #[serde(default)]
    digest: std::collections::BTreeMap<String, String>,
}

/// A stored envelope, read and bound to the object asked about (the signature is not checked
/// here: [`Checked::pae`] is what it must be over).
#[derive(Debug, Clone)]
pub struct Checked {
    /// The bytes the signature is over.
    pub pae: Vec<u8>,
    /// The envelope's one signature.
    pub signature: Vec<u8>,
    /// The statement's predicate type ("" when it has none).
    pub predicate_type: String,
    /// The statement's predicate.
    pub predicate: Value,
    /// The statement (the envelope's payload) as signed.
    pub payload: Vec<u8>,
}

/// Reads a stored envelope and checks that it is an in-toto v1 statement about exactly the
/// object `object_hex` of `kind` (one subject, one digest), with `predicate_type` when asked.
/// Every byte is the attacker's: duplicate keys, unknown fields, several signatures or subjects
/// are refused.
pub fn check_envelope(
    envelope: &[u8],
    kind: ObjectKind,
    object_hex: &str,
    predicate_type: Option<&str>,
) -> Result<Checked, AttestError> {
    let no_dups = |bytes: &[u8], what: &str| {
        serde_json::from_slice::<crate::bundle::NoDuplicateKeys>(bytes)
            .map(|_| ())
            .map_err(|e| format!("{what}: {e} (every key may appear once per object)"))
    };
    no_dups(envelope, "the envelope").map_err(AttestError::Envelope)?;
    let env: RawEnvelope = serde_json::from_slice(envelope).map_err(|e| AttestError::Envelope(e.to_string()))?;
    if env.payload_type != IN_TOTO {
        return Err(AttestError::PayloadType { found: env.payload_type });
    }
    let [sig] = env.signatures.as_slice() else {
        return Err(AttestError::Envelope(format!(
            "it carries {} signatures; a gitsign attestation carries exactly one",
            env.signatures.len()
        )));
    };
    let _ = &sig.keyid;
    // Decoded as the bundle's signature is, so that the two compare as the same bytes.
    let signature = crate::bundle::unb64_field(&sig.sig)
        .map_err(|_| AttestError::Envelope("the signature is not base64".into()))?;
    let payload = unb64(&env.payload).map_err(|_| AttestError::Envelope("the payload is not base64".into()))?;
    no_dups(&payload, "the statement").map_err(AttestError::Statement)?;
    let st: RawStatement = serde_json::from_slice(&payload).map_err(|e| AttestError::Statement(e.to_string()))?;
    if st.kind != STATEMENT_V1 {
        return Err(AttestError::Statement(format!("its _type is {:?}, expected {STATEMENT_V1:?}", st.kind)));
    }
    let expected = object_hex.to_ascii_lowercase();
    let found = match st.subject.as_slice() {
        [one] => one.digest.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(", "),
        many => format!("{} subjects", many.len()),
    };
    let subject_ok = matches!(st.subject.as_slice(), [one] if one.digest.len() == 1
        && one.digest.get(kind.digest_name()) == Some(&expected));
    if !subject_ok {
        return Err(AttestError::Subject {
            kind: kind.as_str(),
            expected: format!("{}:{expected}", kind.digest_name()),
            found,
        });
    }
    let found_type = st.predicate_type.unwrap_or_default();
    if let Some(want) = predicate_type
        && want != found_type
    {
        return Err(AttestError::PredicateType { expected: want.to_string(), found: found_type });
    }
    let predicate = st.predicate.unwrap_or(Value::Null);
    if !predicate.is_object() {
        return Err(AttestError::Statement("its predicate is not a JSON object".into()));
    }
    Ok(Checked { pae: pae(&env.payload_type, &payload), signature, predicate_type: found_type, predicate, payload })
}

/// Checks the GitHub workflow claims of `policy` against the signer certificate of `bundle`, a
/// bundle [`crate::bundle::verify`] has already accepted (its leaf: `certificate` or the first
/// of `x509CertificateChain`, the one that verification used).
pub fn check_workflow(bundle: &[u8], policy: &crate::verify::WorkflowPolicy) -> Result<(), String> {
    use der::Decode as _;
    if policy.is_empty() {
        return Ok(());
    }
    let b: Value = serde_json::from_slice(bundle).map_err(|e| format!("the bundle is not JSON: {e}"))?;
    let raw = b
        .pointer("/verificationMaterial/certificate/rawBytes")
        .or_else(|| b.pointer("/verificationMaterial/x509CertificateChain/certificates/0/rawBytes"))
        .and_then(Value::as_str)
        .ok_or("the bundle holds no signer certificate to check the GitHub workflow claims against")?;
    let der = crate::bundle::unb64_field(raw).map_err(|_| "the bundle's certificate is not base64".to_string())?;
    let cert = x509_cert::Certificate::from_der(&der).map_err(|e| format!("the bundle's certificate: {e}"))?;
    policy.check(&cert).map_err(|e| e.to_string())
}

/// A JSON value compared exactly: numbers by their decimal value as written (never rounded to a
/// 64-bit float), strings after unescaping, objects refused when a key appears twice.
#[derive(Debug, PartialEq)]
enum Exact {
    Null,
    Bool(bool),
    /// Negative, significant digits (no leading or trailing zeros; "0" for zero), exponent.
    Num(bool, String, i64),
    Str(String),
    Arr(Vec<Exact>),
    Obj(std::collections::BTreeMap<String, Exact>),
}

/// The deepest nesting read (serde_json's own limit).
const MAX_DEPTH: usize = 128;

struct ExactParser<'a> {
    b: &'a [u8],
    i: usize,
}

impl ExactParser<'_> {
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn err(&self, what: &str) -> String {
        format!("{what} at byte {}", self.i)
    }

    fn value(&mut self, depth: usize) -> Result<Exact, String> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deep"));
        }
        self.ws();
        match self.b.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut map = std::collections::BTreeMap::new();
                self.ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Exact::Obj(map));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    if self.b.get(self.i) != Some(&b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.i += 1;
                    let v = self.value(depth + 1)?;
                    if map.contains_key(&key) {
                        return Err(format!("the key {key:?} appears twice in one object"));
                    }
                    map.insert(key, v);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Exact::Obj(map));
                        }
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Exact::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.ws();
                    match self.b.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Exact::Arr(items));
                        }
                        _ => return Err(self.err("expected ',' or ']'")),
                    }
                }
            }
            Some(b'"') => Ok(Exact::Str(self.string()?)),
            Some(b't') => self.literal("true", Exact::Bool(true)),
            Some(b'f') => self.literal("false", Exact::Bool(false)),
            Some(b'n') => self.literal("null", Exact::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.err("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, v: Exact) -> Result<Exact, String> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("expected a JSON value"))
        }
    }

    /// A string token, unescaped by serde_json.
    fn string(&mut self) -> Result<String, String> {
        let start = self.i;
        if self.b.get(self.i) != Some(&b'"') {
            return Err(self.err("expected a string"));
        }
        self.i += 1;
        loop {
            match self.b.get(self.i) {
                Some(b'"') => break,
                Some(b'\\') => self.i += 2,
                Some(_) => self.i += 1,
                None => return Err(self.err("unterminated string")),
            }
        }
        self.i += 1;
        serde_json::from_slice::<String>(&self.b[start..self.i]).map_err(|e| self.err(&e.to_string()))
    }

    /// A number token as its exact decimal value.
    fn number(&mut self) -> Result<Exact, String> {
        let start = self.i;
        let neg = self.b.get(self.i) == Some(&b'-');
        if neg {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.b.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            std::str::from_utf8(&p.b[s..p.i]).unwrap_or_default().to_string()
        };
        let int = digits(self);
        if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
            return Err(self.err("malformed number"));
        }
        let mut frac = String::new();
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            frac = digits(self);
            if frac.is_empty() {
                return Err(self.err("malformed number"));
            }
        }
        let mut exp: i64 = 0;
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            let eneg = match self.b.get(self.i) {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let e = digits(self);
            let e: i64 = e
                .parse()
                .map_err(|_| format!("the exponent of the number at byte {start} is malformed or out of range"))?;
            exp = if eneg { -e } else { e };
        }
        let frac_len = i64::try_from(frac.len()).map_err(|_| self.err("number too long"))?;
        let all = format!("{int}{frac}");
        let trimmed = all.trim_start_matches('0');
        let sig = trimmed.trim_end_matches('0');
        if sig.is_empty() {
            return Ok(Exact::Num(false, "0".into(), 0));
        }
        let zeros = i64::try_from(trimmed.len() - sig.len()).map_err(|_| self.err("number too long"))?;
        let exp = exp
            .checked_sub(frac_len)
            .and_then(|e| e.checked_add(zeros))
            .ok_or_else(|| format!("the exponent of the number at byte {start} is out of range"))?;
        Ok(Exact::Num(neg, sig.to_string(), exp))
    }
}

fn exact(bytes: &[u8]) -> Result<Exact, String> {
    let mut p = ExactParser { b: bytes, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != bytes.len() {
        return Err(p.err("trailing bytes after the JSON value"));
    }
    Ok(v)
}

/// The first place where `a` and `b` differ, as a JSON pointer.
fn first_difference(a: &Exact, b: &Exact, at: &str) -> Option<String> {
    match (a, b) {
        (Exact::Obj(x), Exact::Obj(y)) => {
            for k in x.keys().chain(y.keys()) {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => {
                        if let Some(d) = first_difference(p, q, &here) {
                            return Some(d);
                        }
                    }
                    _ => return Some(here),
                }
            }
            None
        }
        (Exact::Arr(x), Exact::Arr(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{at}/{i}")))
        }
        _ if a == b => None,
        _ => Some(if at.is_empty() { "/".to_string() } else { at.to_string() }),
    }
}

/// Checks that `file` (a predicate file as stored beside its envelope, or as given to `gitsign
/// attest`) is exactly the predicate of the signed statement `payload`: no key twice, strings
/// equal after unescaping, numbers equal as decimal values (a number the statement holds rounded,
/// such as an integer beyond 2^53, differs), key order and white space free.
pub fn check_predicate_file(file: &[u8], payload: &[u8]) -> Result<(), AttestError> {
    let file = exact(file).map_err(|e| AttestError::PredicateFile(format!("it cannot be read as exact JSON: {e}")))?;
    let signed = match exact(payload) {
        Ok(Exact::Obj(mut st)) => st.remove("predicate").unwrap_or(Exact::Null),
        Ok(_) => return Err(AttestError::Statement("it is not a JSON object".into())),
        Err(e) => return Err(AttestError::Statement(e)),
    };
    match first_difference(&file, &signed, "") {
        None => Ok(()),
        Some(at) => Err(AttestError::PredicateFile(format!("it differs from the signed predicate at {at}"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const C: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn pae_is_dsse_v1() {
        assert_eq!(pae("t", b"hello"), b"DSSEv1 1 t 5 hello");
    }

    #[test]
    fn statement_round_trips_and_binds_the_subject() {
        let st = statement(ObjectKind::Commit, C, "https://example.com/p", br#"{"foo":"bar"}"#).unwrap();
        let v: Value = serde_json::from_slice(&st).unwrap();
        assert_eq!(v["subject"][0]["digest"]["gitCommit"], C);
        assert_eq!(v["_type"], STATEMENT_V1);
        let env = envelope(&st, b"sig");
        let c = check_envelope(&env, ObjectKind::Commit, C, Some("https://example.com/p")).unwrap();
        assert_eq!(c.pae, pae(IN_TOTO, &st));
        assert_eq!(c.signature, b"sig");
        assert_eq!(c.predicate["foo"], "bar");
        // Another object, another kind, another type.
        let other = "1123456789abcdef0123456789abcdef01234567";
        assert!(matches!(check_envelope(&env, ObjectKind::Commit, other, None), Err(AttestError::Subject { .. })));
        assert!(matches!(check_envelope(&env, ObjectKind::Tree, C, None), Err(AttestError::Subject { .. })));
        assert!(matches!(
            check_envelope(&env, ObjectKind::Commit, C, Some("x")),
            Err(AttestError::PredicateType { .. })
        ));
    }

    #[test]
    fn no_predicate_type_is_left_out_as_go_does() {
        let st = statement(ObjectKind::Tree, C, "", br#"{}"#).unwrap();
        assert!(!String::from_utf8(st.clone()).unwrap().contains("predicateType"));
        let c = check_envelope(&envelope(&st, b"s"), ObjectKind::Tree, C, None).unwrap();
        assert_eq!(c.predicate_type, "");
    }

    #[test]
    fn hostile_envelopes_are_refused() {
        let st = statement(ObjectKind::Commit, C, "", br#"{}"#).unwrap();
        let p = b64(&st);
        let cases = [
            format!(r#"{{"payloadType":"text/plain","payload":"{p}","signatures":[{{"sig":"AA=="}}]}}"#),
            format!(r#"{{"payloadType":"{IN_TOTO}","payload":"{p}","signatures":[]}}"#),
            format!(
                r#"{{"payloadType":"{IN_TOTO}","payload":"{p}","signatures":[{{"sig":"AA=="}},{{"sig":"AA=="}}]}}"#
            ),
            format!(r#"{{"payloadType":"{IN_TOTO}","payload":"{p}","payload":"{p}","signatures":[{{"sig":"AA=="}}]}}"#),
            format!(r#"{{"payloadType":"{IN_TOTO}","payload":"{p}","signatures":[{{"sig":"AA=="}}],"x":1}}"#),
        ];
        for case in cases {
            assert!(check_envelope(case.as_bytes(), ObjectKind::Commit, C, None).is_err(), "{case}");
        }
        let two = format!(
            r#"{{"_type":"{STATEMENT_V1}","subject":[{{"digest":{{"gitCommit":"{C}","sha1":"{C}"}}}}],"predicate":{{}}}}"#
        );
        assert!(matches!(
            check_envelope(&envelope(two.as_bytes(), b"s"), ObjectKind::Commit, C, None),
            Err(AttestError::Subject { .. })
        ));
        let dup = format!(
            r#"{{"_type":"{STATEMENT_V1}","subject":[{{"digest":{{"gitCommit":"{C}","gitCommit":"{C}"}}}}],"predicate":{{}}}}"#
        );
        assert!(matches!(
            check_envelope(&envelope(dup.as_bytes(), b"s"), ObjectKind::Commit, C, None),
            Err(AttestError::Statement(_))
        ));
    }

    #[test]
    fn predicate_files_are_compared_exactly() {
        let file =
            br#"{"a": 1.50, "b": [1e2, "x\u0041"], "c": {"d": null, "e": true}, "n": 123456789012345678901234567890}"#;
        let st = statement(ObjectKind::Commit, C, "", file).unwrap();
        // The statement holds an integer beyond u64 rounded to a float: not the file.
        let e = check_predicate_file(file, &st).unwrap_err().to_string();
        assert!(e.contains("differs from the signed predicate at /n"), "{e}");
        let file = br#"{"a": 1.50, "b": [1e2, "x\u0041"], "c": {"d": null, "e": true}, "n": 12345}"#;
        let st = statement(ObjectKind::Commit, C, "", file).unwrap();
        check_predicate_file(file, &st).unwrap();
        check_predicate_file(br#"{"n":12345,"c":{"e":true,"d":null},"b":[100,"xA"],"a":15e-1}"#, &st).unwrap();
        // A key twice (serde_json would keep the last), another value, another number.
        let e = check_predicate_file(
            br#"{"a": 1.5, "a": 1.5, "b": [100, "xA"], "c": {"d": null, "e": true}, "n": 12345}"#,
            &st,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("the key \"a\" appears twice"), "{e}");
        let e = check_predicate_file(br#"{"a": 1.5, "b": [100, "xB"], "c": {"d": null, "e": true}, "n": 12345}"#, &st)
            .unwrap_err()
            .to_string();
        assert!(e.contains("at /b/1"), "{e}");
        let e = check_predicate_file(
            br#"{"a": 1.5, "b": [100, "xA"], "c": {"d": null, "e": true}, "n": 123456789012345678901234567890}"#,
            &st,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("at /n"), "{e}");
    }

    #[test]
    fn predicates_must_be_objects_and_names_plain() {
        assert!(statement(ObjectKind::Commit, C, "", b"[1]").is_err());
        assert!(statement(ObjectKind::Commit, C, "", b"not json").is_err());
        for bad in ["", ".", "..", "a/b", "a\nb", ".git"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        check_file_name("test.json").unwrap();
    }
}
