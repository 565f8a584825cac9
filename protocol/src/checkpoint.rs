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
    /// No signature line carries the key's hint.
    #[error("no checkpoint signature from key {key_id}")]
    NoSignatureFromKey {
        /// Hex key ID that was looked for.
        key_id: String,
    },
    /// The signature with the key's hint does not verify.
    #[error("checkpoint signature: {0}")]
    Signature(#[from] KeyError),
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
        let mut lines = note.strip_suffix('\n').unwrap_or(note).split('\n');
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

    /// Checks the signature made by `key` (found by the key's own hint).
    pub fn verify(&self, key: &PublicKey) -> Result<(), CheckpointError> {
        self.verify_hint(key, key.key_hint())
    }

    /// Checks the signature made by `key`, whose signature line carries `hint` (logs whose note
    /// key ID is not the SHA-256 of their SPKI, such as Rekor v2's Ed25519 logs, announce the
    /// ID in the trust root). Lines from other signers (witness cosignatures) are ignored.
    pub fn verify_hint(&self, key: &PublicKey, hint: [u8; 4]) -> Result<(), CheckpointError> {
        // The log signs under its own name: the origin's first word (Rekor v1 origins read
        // "<name> - <tree ID>"). Lines from other signers (witnesses) are ignored.
        let name = self.checkpoint.origin.split(" - ").next().unwrap_or_default();
        let sig = self
            .signatures
            .iter()
            .find(|s| s.key_hint == hint && s.name == name)
            .ok_or_else(|| CheckpointError::NoSignatureFromKey { key_id: hex::encode(key.key_id()) })?;
        key.verify(self.checkpoint.to_note().as_bytes(), &sig.signature)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
