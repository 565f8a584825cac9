//! A signing credential: an ephemeral P-256 key (memory only) and the certificate chain Fulcio
//! issued for it. Where a credential comes from — a login, the credential cache, the OS keyring —
//! is the program's choice; this module makes a fresh one from an identity token.

use crate::config::Config;
use crate::net::{Http, NetError};
use crate::token::{IdentityError, Token};
use gitsign_protocol::keys::pem_encode;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::EncodePublicKey as _;

/// Why no credential could be made, or its key could not sign. Each names the step; the signing
/// error ([`crate::sign::SignError::Credential`]) carries it as it is.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The identity token.
    #[error("getting an identity token: {0}")]
    Identity(#[from] IdentityError),
    /// The ephemeral key.
    #[error("making the ephemeral key: {0}")]
    Key(String),
    /// Fulcio.
    #[error(transparent)]
    Net(#[from] NetError),
    /// Fulcio's certificate is unusable.
    #[error("Fulcio's certificate: {0}")]
    Certificate(String),
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

/// Makes an ephemeral key and gets a certificate for it from Fulcio with `token`.
pub fn credential_for_token(config: &Config, http: &Http, token: &Token) -> Result<Credential, CredentialError> {
    crate::debug_log!("identity token for {}", token.subject);
    // RFC 6979 nonces: no RNG beyond the OS's is touched (aws-lc's takes ~20 ms to start).
    let key = SigningKey::random(&mut rand_core::OsRng);
    let spki = key.verifying_key().to_public_key_der().map_err(|e| CredentialError::Key(e.to_string()))?;
    crate::debug_log!("ephemeral key made");
    let proof: DerSignature =
        key.try_sign(token.subject.as_bytes()).map_err(|e| CredentialError::Key(e.to_string()))?;
    let chain = http.signing_certificate(
        &config.fulcio,
        &token.raw,
        &pem_encode("PUBLIC KEY", spki.as_bytes()),
        proof.as_bytes(),
    )?;
    crate::debug_log!("certificate from {} ({} in the chain)", config.fulcio, chain.len());
    {
        use der::{Decode as _, Encode as _};
        // `signing_certificate` never returns an empty chain.
        let cert =
            x509_cert::Certificate::from_der(&chain[0]).map_err(|e| CredentialError::Certificate(e.to_string()))?;
        let certified = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| CredentialError::Certificate(e.to_string()))?;
        if certified != spki.as_bytes() {
            return Err(CredentialError::Certificate(format!(
                "{} certified another key than the one sent",
                config.fulcio
            )));
        }
    }
    Ok(Credential { key, chain })
}
