//! Trust documents: `trusted_root.json` (v0.1), the signing config (v0.2) and the client trust
//! config that bundles both.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Media type of a trusted root.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// Media type of a signing config.
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// Media type of a client trust config.
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// A validity window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Start, inclusive.
    #[serde(with = "time::serde::rfc3339")]
    pub start: OffsetDateTime,
    /// End, if any.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    pub end: Option<OffsetDateTime>,
}

impl TimeRange {
    /// Whether `t` falls inside the window.
    pub fn contains(&self, t: OffsetDateTime) -> bool {
        self.start <= t && self.end.is_none_or(|end| t <= end)
    }
}

/// Trusted root v0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedRoot {
    /// [`TRUSTED_ROOT_MEDIA_TYPE`].
    pub media_type: String,
    /// Rekor logs.
    #[serde(default)]
    pub tlogs: Vec<TransparencyLog>,
    /// Fulcio CAs.
    #[serde(default)]
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// CT logs.
    #[serde(default)]
    pub ctlogs: Vec<TransparencyLog>,
    /// RFC 3161 timestamp authorities.
    #[serde(default)]
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

/// A transparency log (Rekor or CT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLog {
    /// Base URL.
    pub base_url: String,
    /// `SHA2_256`.
    pub hash_algorithm: String,
    /// The log's key.
    pub public_key: TrustedPublicKey,
    /// SHA-256 of the key.
    pub log_id: LogId,
}

/// A key with its validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedPublicKey {
    /// Base64 DER SubjectPublicKeyInfo.
    pub raw_bytes: String,
    /// E.g. `PKIX_ECDSA_P256_SHA_256`.
    pub key_details: String,
    /// Validity window.
    pub valid_for: TimeRange,
}

/// A log ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    /// Base64 key ID.
    pub key_id: String,
}

/// A certificate authority (Fulcio or TSA).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAuthority {
    /// Subject.
    pub subject: Subject,
    /// URL.
    pub uri: String,
    /// Chain, issuing certificate first, root last.
    pub cert_chain: CertChain,
    /// Validity window.
    pub valid_for: TimeRange,
}

/// A subject name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// O.
    pub organization: String,
    /// CN.
    pub common_name: String,
}

/// Certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertChain {
    /// DER certificates.
    pub certificates: Vec<RawCertificate>,
}

/// A DER certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawCertificate {
    /// Base64 DER.
    pub raw_bytes: String,
}

/// Signing config v0.2.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningConfig {
    /// [`SIGNING_CONFIG_MEDIA_TYPE`].
    pub media_type: String,
    /// Fulcio instances.
    pub ca_urls: Vec<Service>,
    /// OIDC issuers.
    pub oidc_urls: Vec<Service>,
    /// Rekor logs.
    pub rekor_tlog_urls: Vec<Service>,
    /// Timestamp authorities.
    #[serde(default)]
    pub tsa_urls: Vec<Service>,
    /// How many logs to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rekor_tlog_config: Option<ServiceConfiguration>,
    /// How many TSAs to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsa_config: Option<ServiceConfiguration>,
}

/// A service endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// URL.
    pub url: String,
    /// Major API version.
    pub major_api_version: u32,
    /// Validity window.
    pub valid_for: TimeRange,
    /// Who runs it.
    pub operator: String,
}

/// Service selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConfiguration {
    /// `ALL`, `ANY` or `EXACT`.
    pub selector: String,
    /// With `EXACT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

/// Client trust config v0.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTrustConfig {
    /// [`CLIENT_TRUST_CONFIG_MEDIA_TYPE`].
    pub media_type: String,
    /// Roots of trust.
    pub trusted_root: TrustedRoot,
    /// Where to sign.
    pub signing_config: SigningConfig,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_public_good_root_where_present() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/trust/public-good/trusted_root.json");
        let Ok(bytes) = std::fs::read(path) else {
            return crate::test_skip::skip(&format!(
                "{path} is absent (../shared is provided beside the checkout in CI)"
            ));
        };
        let root: TrustedRoot = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(root.media_type, TRUSTED_ROOT_MEDIA_TYPE);
        assert!(!root.tlogs.is_empty() && !root.certificate_authorities.is_empty() && !root.ctlogs.is_empty());
    }
}
