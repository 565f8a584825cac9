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
    let signature = unb64(&sig.sig).map_err(|_| AttestError::Envelope("the signature is not base64".into()))?;
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
    Ok(Checked { pae: pae(&env.payload_type, &payload), signature, predicate_type: found_type, predicate })
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
    fn predicates_must_be_objects_and_names_plain() {
        assert!(statement(ObjectKind::Commit, C, "", b"[1]").is_err());
        assert!(statement(ObjectKind::Commit, C, "", b"not json").is_err());
        for bad in ["", ".", "..", "a/b", "a\nb", ".git"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        check_file_name("test.json").unwrap();
    }
}
