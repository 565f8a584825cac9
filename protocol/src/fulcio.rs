//! Fulcio v2: the JSON bodies of `signingCert`, `trustBundle` and `configuration`.

use serde::{Deserialize, Serialize};

/// `POST /api/v2/signingCert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningCertRequest {
    /// The identity token; clients may instead send it as `Authorization: Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// A public key with proof of possession...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key_request: Option<PublicKeyRequest>,
    /// ...or a CSR: base64 of the PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_signing_request: Option<String>,
}

/// Credentials of a signing-certificate request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// The OIDC identity token (a JWT).
    pub oidc_identity_token: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials { oidc_identity_token: <redacted> }")
    }
}

/// A public key with proof of possession.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyRequest {
    /// The key.
    pub public_key: PublicKeyPem,
    /// Base64 signature, made with the key, over the token's subject (the email for email
    /// identities, else `sub`).
    pub proof_of_possession: String,
}

/// A PEM public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyPem {
    /// `ECDSA`, `ED25519` or `RSA_PSS`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// PEM `PUBLIC KEY`.
    pub content: String,
}

/// Answer of `signingCert`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningCertificate {
    /// The chain, leaf first, SCT embedded in the leaf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_certificate_embedded_sct: Option<EmbeddedSct>,
    /// The chain with a detached SCT (not issued here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_certificate_detached_sct: Option<serde_json::Value>,
}

/// A chain whose leaf embeds its SCT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedSct {
    /// The chain.
    pub chain: CertificateChain,
}

/// PEM certificates, leaf first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateChain {
    /// PEM certificates.
    pub certificates: Vec<String>,
}

/// `GET /api/v2/trustBundle`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustBundle {
    /// CA chains.
    pub chains: Vec<CertificateChain>,
}

/// `GET /api/v2/configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// Issuers Fulcio accepts.
    pub issuers: Vec<IssuerConfig>,
}

/// One accepted issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerConfig {
    /// Issuer URL.
    pub issuer_url: String,
    /// Required audience.
    pub audience: String,
    /// Claim proved in the proof of possession.
    pub challenge_claim: String,
}

/// Error body (gRPC gateway form).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// gRPC status code (3 invalid argument, 16 unauthenticated, 13 internal).
    pub code: i32,
    /// What was wrong.
    pub message: String,
    /// Always empty.
    #[serde(default)]
    pub details: Vec<serde_json::Value>,
}
