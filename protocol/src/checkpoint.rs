//! Rekor checkpoints: the signed-note format of transparency-dev.
//!
//! A checkpoint's note is `"<origin>\n<size>\n<base64 root>\n"` plus optional extra lines; a signed
//! note appends a blank line and one `"— <name> <base64(key hint || signature)>\n"` line per
//! signature, where the key hint is the first four bytes of the signer's key ID and the signature is
//! made over the note bytes.

use crate::keys::{KeyError, PublicKey};
use crate::merkle::Hash;

/// Why a checkpoint could not be read or did not verify.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The text is not a signed note.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The log's URL gives no name to check signature lines against.
    #[error(
        "the log URL {url:?} names no host: a checkpoint signer cannot be matched to it; fix the trust root's baseUrl"
    )]
    UnnamedLog {
        /// The URL, as the trust root gives it.
        url: String,
    },
    /// The checkpoint is for a tree of another log.
    #[error("the checkpoint is for log {found:?}, not {expected:?} (the log at this key in the trust root)")]
    OtherOrigin {
        /// The log's name.
        expected: String,
        /// The origin line of the checkpoint.
        found: String,
    },
    /// No signature line carries the log's name and key hint.
    #[error(
        "no checkpoint signature from log {name:?} with key hint {key_hint} (key {key_id}); the note is signed by: {found}"
    )]
    NoSignatureFromLog {
        /// The log's name.
        name: String,
        /// Hex key hint that was looked for.
        key_hint: String,
        /// Hex key ID of the log's key.
        key_id: String,
        /// The signature lines present, as `name/hint`.
        found: String,
    },
    /// The signature with the log's name and hint does not verify.
    #[error("checkpoint signature: {0}")]
    Signature(#[from] KeyError),
}

/// Most signature lines a note may carry (the log's and its witnesses'); C2SP's signed-note
/// specification asks verifiers to bound them.
pub const MAX_SIGNATURES: usize = 64;

/// The name a log signs its checkpoints with, as its URL gives it: the host, with the port unless
/// it is the scheme's default (`https://rekor.sigstore.dev` → `rekor.sigstore.dev`,
/// `http://127.0.0.1:3000` → `127.0.0.1:3000`). Rekor signs as its host name and starts its
/// origin with it; sigstore-js accepts a signature line only if its name is part of the log's URL.
pub fn log_name(base_url: &str) -> Result<&str, CheckpointError> {
    let unnamed = || CheckpointError::UnnamedLog { url: printable(base_url) };
    let (rest, default_port) = if let Some(rest) = strip_prefix_ignore_case(base_url, "https://") {
        (rest, ":443")
    } else if let Some(rest) = strip_prefix_ignore_case(base_url, "http://") {
        (rest, ":80")
    } else {
        return Err(unnamed());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let name = authority.strip_suffix(default_port).unwrap_or(authority);
    // A signer name is non-empty and has no spaces or '+' (signed-note); user info is no name.
    if name.is_empty()
        || name.starts_with(':')
        || name.contains(|c: char| c.is_whitespace() || c.is_control() || c == '+' || c == '@')
    {
        return Err(unnamed());
    }
    Ok(name)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

/// `s` with control characters replaced and its length capped, for messages (checkpoints are
/// written by whoever made the bundle).
fn printable(s: &str) -> String {
    let mut out: String = s.chars().take(100).map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect();
    if s.chars().nth(100).is_some() {
        out.push('…');
    }
    out
}

/// The signed content of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log origin, e.g. `rekor.sigstore.dev - 1193050959916656506`.
    pub origin: String,
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Hash,
    /// Further lines of the note (e.g. `Timestamp: ...`).
    pub extra: Vec<String>,
}

impl Checkpoint {
    /// The note text that is signed.
    pub fn to_note(&self) -> String {
        let mut out = format!("{}\n{}\n{}\n", self.origin, self.size, crate::b64(self.root));
        for line in &self.extra {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    fn from_note(note: &str) -> Result<Self, CheckpointError> {
        let body = note.strip_suffix('\n').ok_or(CheckpointError::Malformed("note must end with a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines.next().filter(|o| !o.is_empty()).ok_or(CheckpointError::Malformed("empty origin"))?;
        let size = lines
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or(CheckpointError::Malformed("tree size is not a number"))?;
        let root = lines
            .next()
            .and_then(|r| crate::unb64(r).ok())
            .and_then(|r| <Hash>::try_from(r.as_slice()).ok())
            .ok_or(CheckpointError::Malformed("root hash is not 32 bytes of base64"))?;
        Ok(Checkpoint { origin: origin.to_string(), size, root, extra: lines.map(str::to_string).collect() })
    }
}

/// One signature line of a signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Signer name.
    pub name: String,
    /// First four bytes of the signer's key ID.
    pub key_hint: [u8; 4],
    /// Signature over the note bytes.
    pub signature: Vec<u8>,
}

/// A checkpoint with its signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The signed content.
    pub checkpoint: Checkpoint,
    /// The signatures.
    pub signatures: Vec<NoteSignature>,
}

impl SignedCheckpoint {
    /// Parses the text of a signed note.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let split = text.find("\n\n").ok_or(CheckpointError::Malformed("no blank line before the signatures"))?;
        if text[split + 2..].contains("\n\n") {
            return Err(CheckpointError::Malformed("more than one blank line"));
        }
        let note = &text[..split + 1];
        let sigs = &text[split + 2..];
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(CheckpointError::Malformed("signature block must end with a newline"));
        }
        let mut signatures = Vec::new();
        for line in sigs.lines() {
            if signatures.len() == MAX_SIGNATURES {
                return Err(CheckpointError::Malformed("more signature lines than a verifier reads (64)"));
            }
            let rest =
                line.strip_prefix("\u{2014} ").ok_or(CheckpointError::Malformed("signature line without em dash"))?;
            let (name, sig) = rest.split_once(' ').ok_or(CheckpointError::Malformed("signature line without name"))?;
            let bytes = crate::unb64(sig).map_err(|_| CheckpointError::Malformed("signature is not base64"))?;
            if bytes.len() < 5 {
                return Err(CheckpointError::Malformed("signature too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_hint: [bytes[0], bytes[1], bytes[2], bytes[3]],
                signature: bytes[4..].to_vec(),
            });
        }
        Ok(SignedCheckpoint { checkpoint: Checkpoint::from_note(note)?, signatures })
    }

    /// The text form.
    pub fn to_text(&self) -> String {
        let mut out = self.checkpoint.to_note();
        out.push('\n');
        for s in &self.signatures {
            let mut blob = s.key_hint.to_vec();
            blob.extend_from_slice(&s.signature);
            out.push_str(&format!("\u{2014} {} {}\n", s.name, crate::b64(blob)));
        }
        out
    }

    /// Checks that this is a checkpoint of the log named `name` (see [`log_name`]) signed with
    /// `key`: the origin is the log's (`<name>` or Rekor v1's `<name> - <tree ID>`) and a signature
    /// line with the log's name and the key's own hint verifies.
    pub fn verify(&self, name: &str, key: &PublicKey) -> Result<(), CheckpointError> {
        self.verify_hint(name, key, key.key_hint())
    }

    /// As [`SignedCheckpoint::verify`], for a log whose signature lines carry `hint` (logs whose
    /// note key ID is not the SHA-256 of their SPKI, such as Rekor v2's Ed25519 logs, announce the
    /// ID in the trust root). Lines from other signers (witness cosignatures) are ignored.
    pub fn verify_hint(&self, name: &str, key: &PublicKey, hint: [u8; 4]) -> Result<(), CheckpointError> {
        let origin = &self.checkpoint.origin;
        let ours = origin == name || origin.strip_prefix(name).is_some_and(|rest| rest.starts_with(" - "));
        if !ours {
            return Err(CheckpointError::OtherOrigin { expected: printable(name), found: printable(origin) });
        }
        let note = self.checkpoint.to_note();
        let mut last = None;
        for sig in self.signatures.iter().filter(|s| s.key_hint == hint && s.name == name) {
            match key.verify(note.as_bytes(), &sig.signature) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        match last {
            Some(e) => Err(CheckpointError::Signature(e)),
            None => Err(CheckpointError::NoSignatureFromLog {
                name: printable(name),
                key_hint: hex::encode(hint),
                key_id: hex::encode(key.key_id()),
                found: printable(
                    &self
                        .signatures
                        .iter()
                        .map(|s| format!("{}/{}", s.name, hex::encode(s.key_hint)))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _};

    /// A checkpoint public-good Rekor published (from the Sigstore conformance suite's
    /// `happy-path-v0.3` bundle) and that log's key and base URL (public-good trusted_root.json).
    const REKOR_CHECKPOINT: &str = "rekor.sigstore.dev - 2605736670972794746\n75408393\n\
        Fnnj13Uu1jdksPc4HZLapKX329dVlD5+MGNsiqBq1XM=\n\n\u{2014} rekor.sigstore.dev \
        wNI9ajBFAiBTyiBM9WtyOTgohje6QZ5rFGJUdMq7Wk3A6oThE98SUgIhAMvxDwa7FyqRqg+YV3rdPPrfS23w19iK+piMSGVOmP5w\n";
    const REKOR_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0\
        zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==";
    const REKOR_URL: &str = "https://rekor.sigstore.dev";
    /// Public-good's Rekor v2 log key (another log: its checkpoints are not Rekor v1's).
    const REKOR_V2_KEY: &str = "MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=";

    fn key(b64: &str) -> PublicKey {
        PublicKey::from_spki_der(&crate::unb64(b64).unwrap()).unwrap()
    }

    /// A fresh Ed25519 log key: (signer, public key).
    fn ed25519() -> (Ed25519KeyPair, PublicKey) {
        let pair = Ed25519KeyPair::generate().unwrap();
        let mut spki = hex::decode("302a300506032b6570032100").unwrap();
        spki.extend_from_slice(pair.public_key().as_ref());
        let public = PublicKey::from_spki_der(&spki).unwrap();
        (pair, public)
    }

    fn signed(pair: &Ed25519KeyPair, public: &PublicKey, origin: &str, name: &str) -> SignedCheckpoint {
        let checkpoint = Checkpoint { origin: origin.into(), size: 3, root: [7; 32], extra: vec![] };
        let signature = pair.sign(checkpoint.to_note().as_bytes()).as_ref().to_vec();
        SignedCheckpoint {
            checkpoint,
            signatures: vec![NoteSignature { name: name.into(), key_hint: public.key_hint(), signature }],
        }
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let cp = SignedCheckpoint {
            checkpoint: Checkpoint { origin: "log - 1".into(), size: 7, root: [3; 32], extra: vec![] },
            signatures: vec![NoteSignature { name: "log".into(), key_hint: [1, 2, 3, 4], signature: vec![9; 70] }],
        };
        let text = cp.to_text();
        assert_eq!(SignedCheckpoint::parse(&text).unwrap(), cp);
        for bad in ["", "log\n7\n", "log\n7\nAAAA\n\n\u{2014} log AAAAAAAA\n", "log\nx\nAAAA\n\n"] {
            assert!(SignedCheckpoint::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn log_names_come_from_the_url_host_and_port() {
        assert_eq!(log_name(REKOR_URL).unwrap(), "rekor.sigstore.dev");
        assert_eq!(log_name("https://rekor.sigstore.dev/").unwrap(), "rekor.sigstore.dev");
        assert_eq!(log_name("https://rekor.sigstore.dev:443/api").unwrap(), "rekor.sigstore.dev");
        assert_eq!(log_name("HTTP://127.0.0.1:3000").unwrap(), "127.0.0.1:3000");
        assert_eq!(log_name("http://localhost:80").unwrap(), "localhost");
        assert_eq!(log_name("http://[::1]:8080/x?y#z").unwrap(), "[::1]:8080");
        assert_eq!(log_name("https://host:8443").unwrap(), "host:8443");
        for bad in [
            "",
            "rekor.sigstore.dev",
            "ftp://host",
            "https://",
            "https:///path",
            "https://:443",
            "https://:8080",
            "http://u@host",
            "http://a b",
            "http://a+b",
            "http://a\u{1b}b",
            "htt",
        ] {
            assert!(matches!(log_name(bad), Err(CheckpointError::UnnamedLog { .. })), "{bad:?}");
        }
    }

    #[test]
    fn a_published_rekor_checkpoint_verifies_under_its_url_and_key_only() {
        let cp = SignedCheckpoint::parse(REKOR_CHECKPOINT).unwrap();
        let name = log_name(REKOR_URL).unwrap();
        let rekor = key(REKOR_KEY);
        cp.verify(name, &rekor).unwrap();
        cp.verify_hint(name, &rekor, rekor.key_hint()).unwrap();
        // Another log's name: the origin is not that log's.
        let err = cp.verify("rekor.sigstage.dev", &rekor).unwrap_err();
        assert!(
            matches!(&err, CheckpointError::OtherOrigin { expected, found }
                if expected == "rekor.sigstage.dev" && found == "rekor.sigstore.dev - 2605736670972794746"),
            "{err}"
        );
        // A name that is a prefix of the origin's but not its name.
        assert!(matches!(cp.verify("rekor.sigstore", &rekor), Err(CheckpointError::OtherOrigin { .. })));
        // Another log's key: no line carries its hint.
        let other = key(REKOR_V2_KEY);
        let err = cp.verify(name, &other).unwrap_err();
        assert!(
            matches!(&err, CheckpointError::NoSignatureFromLog { name: n, key_hint, found, .. }
                if n == "rekor.sigstore.dev" && *key_hint == hex::encode(other.key_hint())
                    && found == "rekor.sigstore.dev/c0d23d6a"),
            "{err}"
        );
        // The right key announced under another hint.
        assert!(matches!(
            cp.verify_hint(name, &rekor, [0xc0, 0xd2, 0x3d, 0x6b]),
            Err(CheckpointError::NoSignatureFromLog { .. })
        ));
        // A changed tree size, root or origin breaks the signature.
        for (from, to) in
            [("75408393", "75408394"), ("Fnnj13", "Gnnj13"), ("2605736670972794746", "2605736670972794747")]
        {
            let changed = SignedCheckpoint::parse(&REKOR_CHECKPOINT.replacen(from, to, 1)).unwrap();
            assert!(matches!(changed.verify(name, &rekor), Err(CheckpointError::Signature(_))), "{from} -> {to}");
        }
        // Extra lines are signed too.
        let mut extra = cp.clone();
        extra.checkpoint.extra.push("Timestamp: 1".into());
        assert!(matches!(extra.verify(name, &rekor), Err(CheckpointError::Signature(_))));
    }

    #[test]
    fn the_signature_line_must_carry_the_log_name() {
        let (pair, public) = ed25519();
        let good = signed(&pair, &public, "127.0.0.1:3000 - 42", "127.0.0.1:3000");
        good.verify("127.0.0.1:3000", &public).unwrap();
        // Rekor v2 origins are the bare name.
        signed(&pair, &public, "127.0.0.1:3000", "127.0.0.1:3000").verify("127.0.0.1:3000", &public).unwrap();
        // A valid signature under a name that is not the log's counts for nothing (sigstore-js
        // refuses such a note as "invalid checkpoint signature").
        let misnamed = signed(&pair, &public, "127.0.0.1:3000 - 42", "gitsign-devstack");
        let err = misnamed.verify("127.0.0.1:3000", &public).unwrap_err();
        assert!(
            matches!(&err, CheckpointError::NoSignatureFromLog { found, .. } if found.starts_with("gitsign-devstack/")),
            "{err}"
        );
        assert!(err.to_string().contains("no checkpoint signature from log \"127.0.0.1:3000\""), "{err}");
        // A log on another port is another log.
        assert!(matches!(good.verify("127.0.0.1:3001", &public), Err(CheckpointError::OtherOrigin { .. })));
        // The origin's name with a suffix other than " - <tree ID>" is another origin.
        let suffixed = signed(&pair, &public, "127.0.0.1:30001", "127.0.0.1:3000");
        assert!(matches!(suffixed.verify("127.0.0.1:3000", &public), Err(CheckpointError::OtherOrigin { .. })));
    }

    #[test]
    fn witness_lines_are_ignored_and_a_bad_line_does_not_hide_a_good_one() {
        let (pair, public) = ed25519();
        let (witness, witness_key) = ed25519();
        let mut cp = signed(&pair, &public, "log.example", "log.example");
        let note = cp.checkpoint.to_note();
        let cosig = witness.sign(note.as_bytes()).as_ref().to_vec();
        cp.signatures.insert(
            0,
            NoteSignature { name: "witness.example".into(), key_hint: witness_key.key_hint(), signature: cosig },
        );
        // A forged line with the log's name and hint before the real one.
        cp.signatures.insert(
            1,
            NoteSignature { name: "log.example".into(), key_hint: public.key_hint(), signature: vec![1; 64] },
        );
        let text = cp.to_text();
        let parsed = SignedCheckpoint::parse(&text).unwrap();
        parsed.verify("log.example", &public).unwrap();
        // The witness alone is not the log.
        assert!(matches!(parsed.verify("witness.example", &witness_key), Err(CheckpointError::OtherOrigin { .. })));
        // Only forged lines: the signature error is reported.
        let mut forged = parsed.clone();
        forged.signatures.remove(2);
        assert!(matches!(forged.verify("log.example", &public), Err(CheckpointError::Signature(_))));
    }

    #[test]
    fn names_in_messages_are_printable() {
        let (pair, public) = ed25519();
        let cp = signed(&pair, &public, "evil\u{1b}[31m - 1", "evil\u{1b}[31m");
        let err = cp.verify("log.example", &public).unwrap_err().to_string();
        assert!(!err.contains('\u{1b}'), "{err:?}");
        assert!(err.contains("evil\u{fffd}[31m"), "{err:?}");
    }

    #[test]
    fn long_names_are_cut_in_messages() {
        let long = "n".repeat(150);
        let err = log_name(&format!("ftp://{long}")).unwrap_err().to_string();
        assert!(err.contains(&format!("\"ftp://{}…\"", "n".repeat(94))), "{err}");
        let short = log_name("ftp://x").unwrap_err().to_string();
        assert!(short.contains("\"ftp://x\"") && !short.contains('…'), "{short}");
    }

    #[test]
    fn a_signature_needs_a_key_hint_and_at_least_one_byte() {
        let head = "log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n";
        let line = |n: usize| format!("{head}\u{2014} log {}\n", crate::b64(vec![1u8; n]));
        let err = SignedCheckpoint::parse(&line(4)).unwrap_err();
        assert!(matches!(err, CheckpointError::Malformed("signature too short")), "{err}");
        let cp = SignedCheckpoint::parse(&line(5)).unwrap();
        assert_eq!((cp.signatures[0].key_hint, cp.signatures[0].signature.clone()), ([1; 4], vec![1]));
    }

    #[test]
    fn the_signature_block_must_end_with_a_newline() {
        let cut = REKOR_CHECKPOINT.strip_suffix('\n').unwrap();
        let err = SignedCheckpoint::parse(cut).unwrap_err();
        assert!(matches!(err, CheckpointError::Malformed("signature block must end with a newline")), "{err}");
    }

    #[test]
    fn signature_lines_are_bounded() {
        let line = format!("\u{2014} w {}\n", crate::b64([1u8; 68]));
        let head = "log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n";
        assert!(SignedCheckpoint::parse(&format!("{head}{}", line.repeat(MAX_SIGNATURES))).is_ok());
        let err = SignedCheckpoint::parse(&format!("{head}{}", line.repeat(MAX_SIGNATURES + 1))).unwrap_err();
        assert!(matches!(err, CheckpointError::Malformed(m) if m.contains("64")), "{err}");
    }
}
