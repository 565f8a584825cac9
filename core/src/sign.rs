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
use p256::ecdsa::signature::RandomizedSigner as _;
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
    /// The new timestamp does not verify with `gitsign.timestampCertChain`.
    #[error(
        "the timestamp does not verify with gitsign.timestampCertChain {path}: {detail}; check that the chain is the \
         timestamp authority's (signing certificate first)"
    )]
    TimestampChain {
        /// The chain file.
        path: String,
        /// Why.
        detail: String,
    },
}

/// Why Rekor v2 alone cannot sign.
const V2_NEEDS_TIMESTAMP: &str = "gitsign.rekorVersion=2: Rekor v2 gives no integrated time, so the signature needs a \
     timestamp; set gitsign.timestampServerURL (GITSIGN_TIMESTAMP_SERVER_URL) to a timestamp authority";

/// A timestamp over `signature` from the configured authority (checked with
/// `gitsign.timestampCertChain` when set), or none when no authority is configured.
fn stamp(config: &Config, http: &Http, signature: &[u8]) -> Result<Option<Vec<u8>>, SignError> {
    let Some(url) = &config.timestamp_server_url else { return Ok(None) };
    let token = http.timestamp(url, signature)?;
    if let Some(chain) = &config.timestamp_cert_chain {
        check_token_with_chain(chain, &token, signature)?;
    }
    crate::debug_log!("timestamped by {url}");
    Ok(Some(token))
}

/// Checks a new timestamp token over `signature` against the chain in the PEM file `path`
/// (`gitsign.timestampCertChain`), as the only timestamp authority.
fn check_token_with_chain(path: &std::path::Path, token: &[u8], signature: &[u8]) -> Result<(), SignError> {
    let err = |detail: String| SignError::TimestampChain { path: path.display().to_string(), detail };
    let pem = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let ders: Vec<String> = pem
        .split_inclusive("-----END CERTIFICATE-----")
        .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
        .map(|b| crate::net::pem_to_der(b.trim(), "CERTIFICATE").map(gitsign_protocol::b64))
        .collect::<Option<_>>()
        .ok_or_else(|| err("a certificate in it is not PEM".into()))?;
    if ders.is_empty() {
        return Err(err("it holds no PEM certificate".into()));
    }
    let root = serde_json::json!({
        "mediaType": gitsign_protocol::trust::TRUSTED_ROOT_MEDIA_TYPE,
        "tlogs": [], "certificateAuthorities": [], "ctlogs": [],
        "timestampAuthorities": [{
            "subject": {"organization": "", "commonName": ""},
            "uri": "",
            "certChain": {"certificates": ders.iter().map(|d| serde_json::json!({"rawBytes": d})).collect::<Vec<_>>()},
            "validFor": {"start": "1970-01-01T00:00:00Z"},
        }],
    });
    let trust = TrustRoot::from_json(root.to_string().as_bytes(), "gitsign.timestampCertChain")
        .map_err(|e| err(e.to_string()))?;
    crate::timestamp::verify(&trust, token, signature).map(|_| ()).map_err(|e| err(e.to_string()))
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
    /// The OIDC issuer that vouched for it, as the certificate names it.
    pub issuer: Option<String>,
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
    // Hedged ECDSA (RFC 6979 with fresh randomness, as Go's crypto/ecdsa signs): the same payload
    // signed twice in one second gets two signatures, so two Rekor entries rather than a refused
    // duplicate (HTTP 409) for the second.
    let sig: DerSignature = key
        .try_sign_with_rng(&mut rand_core::OsRng, &attrs_der)
        .map_err(|e| SignError::Credential(CredentialError::Key(e.to_string())))?;

    let cert_pem = pem_encode("CERTIFICATE", leaf);
    let selfcheck = |source| SignError::SelfCheck {
        trust: trust.name().to_string(),
        fulcio: config.fulcio.clone(),
        rekor: config.rekor.clone(),
        source: Box::new(source),
    };
    // The timestamp is over the signature value (RFC 3161 appendix A), the offline-mode log entry
    // over the signed attributes and the signature: neither needs the other, so for Rekor v1 both
    // requests run at once (a failed timestamp then leaves a log entry behind, as any later
    // failure does). Rekor v2 entries have no time of their own: the timestamp comes first, so
    // that nothing is logged when it cannot be had.
    let (der, verified) = match config.rekor_mode {
        RekorMode::Offline if config.rekor_version == 2 => {
            if config.timestamp_server_url.is_none() {
                return Err(SignError::Unsupported(V2_NEEDS_TIMESTAMP));
            }
            let timestamp = stamp(config, http, sig.as_bytes())?;
            let tlog = log_v2(http, config, &sha256(&attrs_der), sig.as_bytes(), leaf)?;
            let der = signature::assemble_with(
                leaf,
                attrs,
                sig.as_bytes(),
                Some(&tlog.encode_to_vec()),
                timestamp.as_deref(),
            )?;
            let verified =
                verify::verify(trust, payload, &signature::parse(&der)?, &Policy::default()).map_err(selfcheck)?;
            (der, verified)
        }
        RekorMode::Online if config.rekor_version == 2 => {
            return Err(SignError::Unsupported(
                "gitsign.rekorMode=online logs commit IDs in Rekor v1 and cannot be used with gitsign.rekorVersion=2; \
                 use rekorMode=offline",
            ));
        }
        RekorMode::Offline => {
            // The entry is over the signed attributes and is embedded in the signature.
            let entry = HashedRekord::new(&sha256(&attrs_der), sig.as_bytes(), &cert_pem);
            let (timestamp, (tlog, _)) = beside_timestamp(config, http, sig.as_bytes(), || log(http, config, &entry))?;
            let der = signature::assemble_with(
                leaf,
                attrs,
                sig.as_bytes(),
                Some(&tlog.encode_to_vec()),
                timestamp.as_deref(),
            )?;
            let verified =
                verify::verify(trust, payload, &signature::parse(&der)?, &Policy::default()).map_err(selfcheck)?;
            (der, verified)
        }
        RekorMode::Online => {
            // The Go gitsign's online mode: the entry is over the ID of the object git will
            // write, signed with the same key, and is found later by searching Rekor. That ID
            // covers the signature, timestamp included, so the timestamp comes first.
            let timestamp = stamp(config, http, sig.as_bytes())?;
            let der = signature::assemble_with(leaf, attrs, sig.as_bytes(), None, timestamp.as_deref())?;
            let object_hex = crate::gitobj::object_id(payload, &signature::armor(&der)).ok_or(
                SignError::Unsupported("rekorMode=online signs git commits and tags only; this data is neither"),
            )?;
            let object_sig: DerSignature = key
                .try_sign_with_rng(&mut rand_core::OsRng, object_hex.as_bytes())
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
        issuer: verified.issuer,
        log_index: verified.log_index,
    })
}

/// Runs `log_it` (a Rekor v1 request) and, at the same time on another thread, the timestamp
/// request over `signature` when an authority is configured. Both answers or the first error, the
/// timestamp's first: one round trip is waited for instead of two. Without a thread (the system
/// refuses one), the two run one after the other.
fn beside_timestamp<T: Send>(
    config: &Config,
    http: &Http,
    signature: &[u8],
    log_it: impl FnOnce() -> Result<T, SignError>,
) -> Result<(Option<Vec<u8>>, T), SignError> {
    if config.timestamp_server_url.is_none() {
        return Ok((None, log_it()?));
    }
    std::thread::scope(|scope| {
        let stamping = std::thread::Builder::new().spawn_scoped(scope, || stamp(config, http, signature));
        let logged = log_it();
        let stamped = match stamping {
            Ok(handle) => handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => stamp(config, http, signature),
        };
        Ok((stamped?, logged?))
    })
}

/// Logs a hashedrekord v0.0.2 over `digest` in the configured Rekor v2; returns its entry.
fn log_v2(
    http: &Http,
    config: &Config,
    digest: &[u8; 32],
    signature: &[u8],
    leaf: &[u8],
) -> Result<TransparencyLogEntry, SignError> {
    let answer = http.log_entry_v2(&config.rekor, digest, signature, leaf)?;
    let tlog = TransparencyLogEntry::from_rekor_v2(&answer)
        .map_err(|source| SignError::Entry { url: config.rekor.clone(), source })?;
    crate::debug_log!("logged in Rekor v2 {} at index {}", config.rekor, tlog.log_index);
    Ok(tlog)
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
    let sig: DerSignature = credential
        .key()
        .try_sign_with_rng(&mut rand_core::OsRng, bytes)
        .map_err(|e| SignError::Credential(CredentialError::Key(e.to_string())))?;
    if config.rekor_version == 2 {
        if config.timestamp_server_url.is_none() {
            return Err(SignError::Unsupported(V2_NEEDS_TIMESTAMP));
        }
        let timestamp = stamp(config, http, sig.as_bytes())?;
        let tlog = log_v2(http, config, &digest, sig.as_bytes(), leaf)?;
        let body = tlog.canonicalized_body.clone();
        let timestamps: Vec<Vec<u8>> = timestamp.into_iter().collect();
        return Ok(crate::bundle::message_signature_with(leaf, &digest, sig.as_bytes(), &tlog, &body, &timestamps));
    }
    let entry = HashedRekord::new(&digest, sig.as_bytes(), &pem_encode("CERTIFICATE", leaf));
    let (timestamp, (tlog, body)) = beside_timestamp(config, http, sig.as_bytes(), || log(http, config, &entry))?;
    let timestamps: Vec<Vec<u8>> = timestamp.into_iter().collect();
    Ok(crate::bundle::message_signature_with(leaf, &digest, sig.as_bytes(), &tlog, &body, &timestamps))
}
