//! Object identifiers of the Fulcio certificate profile and of Sigstore's CMS attributes.

/// Fulcio: OIDC issuer, raw string value (deprecated, still written).
pub const ISSUER_V1: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 1];
/// Fulcio: OIDC issuer, DER UTF8String value.
pub const ISSUER_V2: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 1, 8];
/// RFC 6962 embedded SCT list.
pub const SCT_LIST: &[u64] = &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2];
/// gitsign: TransparencyLogEntry embedded as a CMS unsigned attribute.
pub const GITSIGN_TLOG_ENTRY: &[u64] = &[1, 3, 6, 1, 4, 1, 57264, 3, 1];

/// Dotted form of an OID given as arcs.
pub fn dotted(arcs: &[u64]) -> String {
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}
