//! Signing one payload with a credential (ephemeral P-256 key and Fulcio certificate): detached
//! CMS, Rekor entry embedded in the signature — and, before anything is handed back, a full
//! verification of the result against the configured trust root, so a signature that would not
//! verify is never written. Also blobs (a v0.3 bundle).

use crate::config::{Config, RekorMode};
use crate::credential::{Credential, CredentialError};
use crate::net::{Http, NetError};
use crate::signature::{self, SignatureError};
use crate::tlog::{IncompleteEntry, TransparencyLogEntry};
use crate::token::IdentityError;
use crate::verify::{self, Policy, TrustRoot, VerifyError};
use gitsign_protocol::keys::pem_encode;
use gitsign_protocol::rekor::HashedRekord;
use gitsign_protocol::sha256;
use p256::ecdsa::DerSignature;
use p256::ecdsa::signature::Signer as _;
use prost::Message as _;

/// Why signing stopped. Each names the step.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// Configuration.
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// The credential: identity token, ephemeral key, Fulcio's certificate (and signing with the
    /// key), in [`CredentialError`]'s words.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// Rekor.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The CMS.
    #[error("writing the signature: {0}")]
    Signature(#[from] SignatureError),
    /// Rekor's answer.
    #[error("Rekor ({url}): {source}")]
    Entry {
        /// Rekor URL.
        url: String,
        /// What was missing.
        source: IncompleteEntry,
    },
    /// The trust root could not be loaded.
    #[error("loading the trust root: {0}")]
    Trust(VerifyError),
    /// `gitsign.matchCommitter`: the certificate names someone other than the committer.
    #[error(
        "gitsign.matchCommitter: the certificate is for {found}, not the committer {name} <{email}>; nothing was \
         signed or logged. Log in as {email}, or set user.email (user.name for a CI identity) to the identity you sign as"
    )]
    MatchCommitter {
        /// The committer's name (a CI identity's URI matches it).
        name: String,
        /// The committer's email.
        email: String,
        /// The certificate's identities.
        found: String,
    },
    /// The finished signature does not verify.
    #[error(
        "the new signature does not verify against {trust} ({source}); nothing was signed. If {fulcio} and {rekor} are a private \
         deployment or the devstack, set gitsign.trustedRoot (GITSIGN_TRUSTED_ROOT) to its trusted_root.json"
    )]
    SelfCheck {
        /// Trust root used.
        trust: String,
        /// Fulcio URL.
        fulcio: String,
        /// Rekor URL.
        rekor: String,
        /// Why.
        source: Box<VerifyError>,
    },
    /// A mode not supported yet.
    #[error("{0}")]
    Unsupported(&'static str),
}

impl From<IdentityError> for SignError {
    fn from(e: IdentityError) -> Self {
        SignError::Credential(CredentialError::Identity(e))
    }
}

/// A finished signature.
#[derive(Debug, Clone)]
pub struct Signed {
    /// PEM `SIGNED MESSAGE`.
    pub armored: String,
    /// Hex SHA-1 of the certificate (gpg's fingerprint field).
    pub fingerprint: String,
    /// Unix time of signing.
    pub time: i64,
    /// The signer's identity.
    pub identity: String,
    /// Log index of the Rekor entry (always there once signed: signing logs the signature and
    /// checks the entry).
    pub log_index: Option<i64>,
}

/// Signs `payload` with `credential`, logs it in Rekor, and verifies the result against `trust`.
pub fn sign_with(
    payload: &[u8],
    credential: &Credential,
    config: &Config,
    http: &Http,
    trust: &TrustRoot,
) -> Result<Signed, SignError> {
    let key = credential.key();
    let leaf = credential.chain.first().ok_or_else(|| {
        SignError::Credential(CredentialError::Certificate("the credential holds no certificate".into()))
    })?;
    let now = time::OffsetDateTime::now_utc();
    let utc =
        der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(now.unix_timestamp().max(0) as u64))
            .map_err(SignatureError::from)?;
    let (attrs, attrs_der) = signature::signed_attributes(&sha256(payload), utc)?;
    let sig: DerSignature =
        key.try_sign(&attrs_der).map_err(|e| SignError::Credential(CredentialError::Key(e.to_string())))?;

    let cert_pem = pem_encode("CERTIFICATE", leaf);
    let selfcheck = |source| SignError::SelfCheck {
        trust: trust.name().to_string(),
        fulcio: config.fulcio.clone(),
        rekor: config.rekor.clone(),
        source: Box::new(source),
    };
    let (der, verified) = match config.rekor_mode {
        RekorMode::Offline => {
            // The entry is over the signed attributes and is embedded in the signature.
            let entry = HashedRekord::new(&sha256(&attrs_der), sig.as_bytes(), &cert_pem);
            let (tlog, _) = log(http, config, &entry)?;
            let der = signature::assemble(leaf, attrs, sig.as_bytes(), Some(&tlog.encode_to_vec()))?;
            let verified =
                verify::verify(trust, payload, &signature::parse(&der)?, &Policy::default()).map_err(selfcheck)?;
            (der, verified)
        }
        RekorMode::Online => {
            // The Go gitsign's online mode: the entry is over the ID of the object git will
            // write, signed with the same key, and is found later by searching Rekor.
            let der = signature::assemble(leaf, attrs, sig.as_bytes(), None)?;
            let object_hex = crate::gitobj::object_id(payload, &signature::armor(&der)).ok_or(
                SignError::Unsupported("rekorMode=online signs git commits and tags only; this data is neither"),
            )?;
            let object_sig: DerSignature = key
                .try_sign(object_hex.as_bytes())
                .map_err(|e| SignError::Credential(CredentialError::Key(e.to_string())))?;
            let entry = HashedRekord::new(&sha256(object_hex.as_bytes()), object_sig.as_bytes(), &cert_pem);
            let (tlog, body) = log(http, config, &entry)?;
            let evidence = verify::LogEvidence::Online { entry: Box::new(tlog), body, object_hex };
            let verified = verify::verify_with(trust, payload, &signature::parse(&der)?, &Policy::default(), &evidence)
                .map_err(selfcheck)?;
            (der, verified)
        }
    };
    crate::debug_log!("the signature verifies against {}", trust.name());
    Ok(Signed {
        armored: signature::armor(&der),
        fingerprint: verified.fingerprint,
        time: now.unix_timestamp(),
        identity: verified.identity,
        log_index: verified.log_index,
    })
}

/// Logs `entry` in the configured Rekor; returns the entry in its embeddable form and the body
/// Rekor logged.
fn log(http: &Http, config: &Config, entry: &HashedRekord) -> Result<(TransparencyLogEntry, Vec<u8>), SignError> {
    let logged = http.log_entry(&config.rekor, entry)?;
    crate::debug_log!("logged in {} at index {}", config.rekor, logged.log_index);
    let incomplete = |source| SignError::Entry { url: config.rekor.clone(), source };
    let tlog = TransparencyLogEntry::from_rekor(&logged, "hashedrekord", "0.0.1").map_err(incomplete)?;
    let body = gitsign_protocol::unb64(&logged.body)
        .map_err(|_| incomplete(crate::tlog::IncompleteEntry("the body is not base64")))?;
    Ok((tlog, body))
}

/// Signs a blob with `credential` and logs it; returns the v0.3 bundle (unverified: the caller
/// checks it against its trust root).
pub fn sign_blob(
    bytes: &[u8],
    credential: &Credential,
    config: &Config,
    http: &Http,
) -> Result<serde_json::Value, SignError> {
    let leaf = credential.chain.first().ok_or_else(|| {
        SignError::Credential(CredentialError::Certificate("the credential holds no certificate".into()))
    })?;
    let digest = sha256(bytes);
    let sig: DerSignature =
        credential.key().try_sign(bytes).map_err(|e| SignError::Credential(CredentialError::Key(e.to_string())))?;
    let entry = HashedRekord::new(&digest, sig.as_bytes(), &pem_encode("CERTIFICATE", leaf));
    let (tlog, body) = log(http, config, &entry)?;
    Ok(crate::bundle::message_signature(leaf, &digest, sig.as_bytes(), &tlog, &body))
}
