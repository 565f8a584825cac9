//! Signing one payload: identity token, ephemeral P-256 key (memory only), Fulcio certificate,
//! detached CMS, Rekor entry embedded in the signature — and, before anything is handed to git,
//! a full verification of the result against the configured trust root, so a signature that
//! would not verify is never written.

use crate::config::{Config, Env, RekorMode};
use crate::identity::{self, IdentityError};
use crate::net::{Http, NetError};
use crate::signature::{self, SignatureError};
use crate::tlog::{IncompleteEntry, TransparencyLogEntry};
use crate::ui::Ui;
use crate::verify::{self, Policy, TrustRoot, VerifyError};
use gitsign_protocol::keys::pem_encode;
use gitsign_protocol::rekor::HashedRekord;
use gitsign_protocol::sha256;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;
use prost::Message as _;

/// Why signing stopped. Each names the step.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// Configuration.
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// The identity token.
    #[error("getting an identity token: {0}")]
    Identity(#[from] IdentityError),
    /// The ephemeral key.
    #[error("making the ephemeral key: {0}")]
    Key(String),
    /// Fulcio or Rekor.
    #[error(transparent)]
    Net(#[from] NetError),
    /// Fulcio's certificate is unusable.
    #[error("Fulcio's certificate: {0}")]
    Certificate(String),
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
    /// Log index of the Rekor entry.
    pub log_index: i64,
}

/// Loads the trust root the configuration names (the embedded public-good one by default).
pub fn load_trust(config: &Config) -> Result<TrustRoot, VerifyError> {
    let mut trust = match &config.trusted_root {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| VerifyError::TrustRoot(format!("{}: {e}", path.display())))?;
            TrustRoot::from_json(&bytes, &path.display().to_string())?
        }
        // A root refreshed by `gitsign initialize`, else the one built in (also when the cached
        // one is an older public-good root than this binary's).
        None => {
            match crate::tuf::cache_dir().map(|d| crate::tuf::cached_trusted_root(&d, crate::verify::PUBLIC_GOOD)) {
                Some(Ok(crate::tuf::Cached::Use(path, bytes))) => {
                    TrustRoot::from_json(&bytes, &format!("the TUF-refreshed root {}", path.display()))?
                }
                Some(Ok(crate::tuf::Cached::Stale(note))) => {
                    eprintln!("gitsign: note: {note}");
                    TrustRoot::public_good()?
                }
                Some(Err(e)) => return Err(VerifyError::TrustRoot(e.to_string())),
                Some(Ok(crate::tuf::Cached::None)) | None => TrustRoot::public_good()?,
            }
        }
    };
    for pem in [&config.fulcio_root, &config.root_file].into_iter().flatten() {
        let bytes = std::fs::read(pem).map_err(|e| VerifyError::TrustRoot(format!("{}: {e}", pem.display())))?;
        trust.add_pem_roots(&bytes)?;
    }
    trust.set_insecure_ignore_sct(config.insecure_ignore_sct);
    Ok(trust)
}

/// An ephemeral key and the certificate chain Fulcio issued for it (leaf first). The key is
/// zeroized when the credential is dropped; it is never written anywhere.
pub struct Credential {
    key: SigningKey,
    /// DER certificates, leaf first.
    pub chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential").field("chain", &self.chain.len()).finish_non_exhaustive()
    }
}

impl Credential {
    /// A credential from its parts (a cache hands them back this way).
    pub fn from_parts(key: SigningKey, chain: Vec<Vec<u8>>) -> Self {
        Credential { key, chain }
    }

    /// The private key (for a credential cache to hold).
    pub fn key(&self) -> &SigningKey {
        &self.key
    }
}

/// Logs in, makes an ephemeral key, and gets a certificate for it from Fulcio.
pub fn obtain_credential(config: &Config, env: &Env, http: &Http, ui: &mut Ui) -> Result<Credential, SignError> {
    let token = identity::get_token(config, env, http, ui)?;
    credential_for_token(config, http, &token)
}

/// Makes an ephemeral key and gets a certificate for it from Fulcio with `token`.
pub fn credential_for_token(config: &Config, http: &Http, token: &identity::Token) -> Result<Credential, SignError> {
    crate::debug_log!("identity token for {}", token.subject);
    // RFC 6979 nonces: no RNG beyond the OS's is touched (aws-lc's takes ~20 ms to start).
    let key = SigningKey::random(&mut rand_core::OsRng);
    let spki = key.verifying_key().to_public_key_der().map_err(|e| SignError::Key(e.to_string()))?;
    crate::debug_log!("ephemeral key made");
    let proof: DerSignature = key.try_sign(token.subject.as_bytes()).map_err(|e| SignError::Key(e.to_string()))?;
    let chain = http.signing_certificate(
        &config.fulcio,
        &token.raw,
        &pem_encode("PUBLIC KEY", spki.as_bytes()),
        proof.as_bytes(),
    )?;
    crate::debug_log!("certificate from {} ({} in the chain)", config.fulcio, chain.len());
    {
        use x509_parser::prelude::FromDer as _;
        // `signing_certificate` never returns an empty chain.
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&chain[0])
            .map_err(|e| SignError::Certificate(e.to_string()))?;
        if cert.public_key().raw != spki.as_bytes() {
            return Err(SignError::Certificate(format!("{} certified another key than the one sent", config.fulcio)));
        }
    }
    Ok(Credential { key, chain })
}

/// Signs `payload`: a credential (from the cache when one is configured and holds a fresh one,
/// else a login), then [`sign_with`].
pub fn sign(payload: &[u8], config: &Config, env: &Env, ui: &mut Ui) -> Result<Signed, SignError> {
    let trust = load_trust(config).map_err(SignError::Trust)?;
    crate::debug_log!("trust root loaded");
    let http = Http::new(config.timeout)?;
    crate::debug_log!("HTTP client ready");
    let credential =
        match (&config.credential_cache_mode, env.get("GITSIGN_CREDENTIAL_CACHE").filter(|p| !p.is_empty())) {
            (Some(crate::config::CacheMode::Keyring), _) => crate::cache::keyring_credential(config, env, &http, ui)?,
            (_, Some(socket)) => crate::cache::credential(std::path::Path::new(socket), config, env, &http, ui)?,
            _ => obtain_credential(config, env, &http, ui)?,
        };
    sign_with(payload, &credential, config, &http, &trust)
}

/// Signs `payload` with `credential`, logs it in Rekor, and verifies the result against `trust`.
pub fn sign_with(
    payload: &[u8],
    credential: &Credential,
    config: &Config,
    http: &Http,
    trust: &TrustRoot,
) -> Result<Signed, SignError> {
    let key = &credential.key;
    let leaf =
        credential.chain.first().ok_or_else(|| SignError::Certificate("the credential holds no certificate".into()))?;
    let now = time::OffsetDateTime::now_utc();
    let utc =
        der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(now.unix_timestamp().max(0) as u64))
            .map_err(SignatureError::from)?;
    let (attrs, attrs_der) = signature::signed_attributes(&sha256(payload), utc)?;
    let sig: DerSignature = key.try_sign(&attrs_der).map_err(|e| SignError::Key(e.to_string()))?;

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
            let object_hex = crate::history::object_id(payload, &signature::armor(&der)).ok_or(
                SignError::Unsupported("rekorMode=online signs git commits and tags only; this data is neither"),
            )?;
            let object_sig: DerSignature =
                key.try_sign(object_hex.as_bytes()).map_err(|e| SignError::Key(e.to_string()))?;
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
    let leaf =
        credential.chain.first().ok_or_else(|| SignError::Certificate("the credential holds no certificate".into()))?;
    let digest = sha256(bytes);
    let sig: DerSignature = credential.key.try_sign(bytes).map_err(|e| SignError::Key(e.to_string()))?;
    let entry = HashedRekord::new(&digest, sig.as_bytes(), &pem_encode("CERTIFICATE", leaf));
    let (tlog, body) = log(http, config, &entry)?;
    Ok(crate::bundle::message_signature(leaf, &digest, sig.as_bytes(), &tlog, &body))
}
