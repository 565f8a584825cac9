//! Object identifiers of the Fulcio certificate profile, of Sigstore's CMS attributes, and of the
//! CMS (RFC 5652) and timestamp (RFC 3161, RFC 5035) structures gitsign reads and writes.
//!
//! The Fulcio and gitsign ones are arcs (what certificate builders take); the CMS and algorithm
//! ones are dotted strings (what `der`'s `ObjectIdentifier::new_unwrap` takes in a constant).

/// Fulcio: OIDC issuer, raw string value (deprecated, still written).
pub const ISSUER_V1: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 1];
/// Fulcio: OtherName SAN of a "username" identity (a UTF8String).
pub const FULCIO_USERNAME_SAN: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 7];
/// Fulcio (v1, deprecated, raw string values): the GitHub workflow's trigger event.
pub const GITHUB_WORKFLOW_TRIGGER: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 2];
/// Fulcio (v1, raw string): the GitHub workflow's commit SHA.
pub const GITHUB_WORKFLOW_SHA: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 3];
/// Fulcio (v1, raw string): the GitHub workflow's name.
pub const GITHUB_WORKFLOW_NAME: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 4];
/// Fulcio (v1, raw string): the GitHub workflow's repository.
pub const GITHUB_WORKFLOW_REPOSITORY: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 5];
/// Fulcio (v1, raw string): the GitHub workflow's git ref.
pub const GITHUB_WORKFLOW_REF: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 6];
/// Fulcio: OIDC issuer, DER UTF8String value.
pub const ISSUER_V2: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 8];
/// RFC 6962 embedded SCT list.
pub const SCT_LIST: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];
/// gitsign: TransparencyLogEntry embedded as a CMS unsigned attribute.
pub const GITSIGN_TLOG_ENTRY: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 3, 1];
/// [`GITSIGN_TLOG_ENTRY`], dotted.
pub const GITSIGN_TLOG_ENTRY_DOTTED: &str = "1.3.6.1.4.1.57264.3.1";

/// CMS id-data.
pub const CMS_DATA: &str = "1.2.840.113549.1.7.1";
/// CMS id-signedData.
pub const CMS_SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
/// CMS attribute contentType.
pub const CMS_CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
/// CMS attribute messageDigest.
pub const CMS_MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
/// CMS attribute signingTime.
pub const CMS_SIGNING_TIME: &str = "1.2.840.113549.1.9.5";
/// RFC 3161 id-ct-TSTInfo.
pub const CT_TSTINFO: &str = "1.2.840.113549.1.9.16.1.4";
/// RFC 2634 signingCertificate attribute.
pub const SIGNING_CERTIFICATE: &str = "1.2.840.113549.1.9.16.2.12";
/// RFC 5035 signingCertificateV2 attribute.
pub const SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";
/// SHA-1.
pub const SHA1: &str = "1.3.14.3.2.26";
/// SHA-256.
pub const SHA256: &str = "2.16.840.1.101.3.4.2.1";
/// ecdsa-with-SHA256.
pub const ECDSA_WITH_SHA256: &str = "1.2.840.10045.4.3.2";
/// X.509 subjectAltName extension.
pub const SUBJECT_ALT_NAME: &str = "2.5.29.17";
/// X.509 extendedKeyUsage extension.
pub const EXTENDED_KEY_USAGE: &str = "2.5.29.37";
/// Key purpose id-kp-codeSigning.
pub const KP_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
/// Key purpose id-kp-timeStamping.
pub const KP_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";

/// Dotted form of an OID given as arcs.
pub fn dotted(arcs: &[u64]) -> String {
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Whether `oid` (dotted) is the OID with these arcs.
pub fn is(oid: &str, arcs: &[u64]) -> bool {
    let mut parts = oid.split('.');
    arcs.iter().all(|a| parts.next().is_some_and(|p| p.parse::<u64>().is_ok_and(|p| p == *a))) && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_and_arc_forms_agree() {
        assert_eq!(dotted(GITSIGN_TLOG_ENTRY), GITSIGN_TLOG_ENTRY_DOTTED);
        assert_eq!(dotted(ISSUER_V2), "1.3.6.1.4.1.57264.1.8");
        assert!(is("1.3.6.1.4.1.57264.1.8", ISSUER_V2));
        assert!(!is("1.3.6.1.4.1.57264.1.8.1", ISSUER_V2));
        assert!(!is("1.3.6.1.4.1.57264.1", ISSUER_V2));
        assert!(!is("1.3.6.1.4.1.57264.1.1", ISSUER_V2));
        assert!(is(&dotted(SCT_LIST), SCT_LIST));
    }
}
