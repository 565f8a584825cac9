//! The devstack's RFC 3161 timestamp authority: `POST /api/v1/timestamp` (a timestamp query in,
//! a timestamp reply out, as the Sigstore timestamp-authority serves it) and
//! `GET /api/v1/timestamp/certchain` (its chain, PEM, signing certificate first). Its key and
//! chain are made with the state ([`crate::state::Keys`]) and listed under
//! `timestampAuthorities` in the trusted root.

use crate::ca::{CaError, random_serial};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gitsign_protocol::keys::pem_encode;
use gitsign_protocol::rfc3161::{self, Authority, TspError};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SigningKey as _,
};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// Path of the timestamp endpoint (the URL clients are given ends with it).
pub const TIMESTAMP_PATH: &str = "/api/v1/timestamp";

/// The authority: its signing key and chain.
#[derive(Debug)]
pub struct Tsa {
    key: KeyPair,
    /// Signing certificate, DER.
    cert_der: Vec<u8>,
    issuer_der: Vec<u8>,
    serial: Vec<u8>,
    /// Signing certificate, then its root.
    chain: Vec<Vec<u8>>,
}

/// Makes the authority's root and signing certificate (critical EKU id-kp-timeStamping, as
/// RFC 3161 2.3 requires) for `key`, valid from five minutes before `now` for ten years; the root
/// key signs once and is dropped. Returns (signing certificate, root), DER.
pub fn make_chain(key: &KeyPair, now: OffsetDateTime) -> Result<(Vec<u8>, Vec<u8>), CaError> {
    let not_before = now - Duration::minutes(5);
    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let name = |cn: &str| {
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "gitsign-devstack");
        dn.push(DnType::CommonName, cn);
        dn
    };
    let mut root = CertificateParams::default();
    root.distinguished_name = name("gitsign-devstack timestamping root");
    root.not_before = not_before;
    root.not_after = not_before + Duration::days(3650);
    root.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.serial_number = Some(random_serial());
    let root_cert = root.self_signed(&root_key)?;
    let mut leaf = CertificateParams::default();
    leaf.distinguished_name = name("gitsign-devstack timestamp authority");
    leaf.not_before = not_before;
    leaf.not_after = not_before + Duration::days(3650);
    // No basicConstraints at all: DER cannot encode cA FALSE (the default), and rfc3161-client refuses it.
    leaf.is_ca = IsCa::NoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.serial_number = Some(random_serial());
    leaf.use_authority_key_identifier_extension = true;
    // extendedKeyUsage, critical, id-kp-timeStamping only (rcgen writes EKU non-critical).
    let eku = rfc3161::oid_der("1.3.6.1.5.5.7.3.8");
    let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 37], gitsign_protocol::sct::der_tlv(0x30, &eku));
    ext.set_criticality(true);
    leaf.custom_extensions = vec![ext];
    let issuer = Issuer::from_params(&root, &root_key);
    let leaf_cert = leaf.signed_by(key, &issuer)?;
    Ok((leaf_cert.der().to_vec(), root_cert.der().to_vec()))
}

impl Tsa {
    /// The authority signing with `key` under the certificate `cert_der` issued by `root_der`.
    pub fn new(key: KeyPair, cert_der: Vec<u8>, root_der: Vec<u8>) -> Result<Tsa, CaError> {
        let (_, cert) = x509_parser::parse_x509_certificate(&cert_der).map_err(|e| CaError::Parse(e.to_string()))?;
        let issuer_der = cert.issuer().as_raw().to_vec();
        let serial = cert.raw_serial().to_vec();
        Ok(Tsa { key, chain: vec![cert_der.clone(), root_der], cert_der, issuer_der, serial })
    }

    /// The chain, signing certificate first, DER.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// Answers the DER timestamp query `query` at `now`: a granted TimeStampResp, or the reason
    /// it is refused.
    pub fn stamp(&self, query: &[u8], now: OffsetDateTime) -> Result<Vec<u8>, TspError> {
        let req = rfc3161::parse_request(query)?;
        if let Some(policy) = &req.policy
            && *policy != rfc3161::oid_der(rfc3161::DEVSTACK_POLICY)
        {
            return Err(TspError::Malformed("unknown policy requested"));
        }
        let authority = Authority {
            cert_der: &self.cert_der,
            issuer_der: &self.issuer_der,
            serial: &self.serial,
            chain: &self.chain,
            policy: rfc3161::DEVSTACK_POLICY,
        };
        let serial = random_serial().to_bytes();
        rfc3161::grant(&authority, &req, now, &serial, |tbs| self.key.sign(tbs))
            .map_err(|_| TspError::Malformed("the authority failed to sign"))
    }
}

/// Routes of the timestamp authority.
pub fn routes() -> Router<Arc<crate::Services>> {
    Router::new().route(TIMESTAMP_PATH, post(timestamp)).route(&format!("{TIMESTAMP_PATH}/certchain"), get(certchain))
}

async fn timestamp(State(s): State<Arc<crate::Services>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let reply = |status: StatusCode, body: Vec<u8>| {
        (status, [(header::CONTENT_TYPE, rfc3161::REPLY_MEDIA_TYPE)], body).into_response()
    };
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !content_type.is_empty() && !content_type.starts_with(rfc3161::QUERY_MEDIA_TYPE) {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("send an RFC 3161 query as {}, not {content_type:?}\n", rfc3161::QUERY_MEDIA_TYPE),
        )
            .into_response();
    }
    let now = OffsetDateTime::now_utc();
    match s.tsa.stamp(&body, now) {
        Ok(resp) => {
            // Remembered for the log explorer (a Rekor v2 entry's time is its signature's
            // timestamp); a failure to remember does not withhold the timestamp.
            if let Some(imprint) = sha256_imprint(&body) {
                let s = s.clone();
                let _ = tokio::task::spawn_blocking(move || {
                    s.lock_store().record_timestamp(&imprint, now.unix_timestamp())
                })
                .await;
            }
            reply(StatusCode::OK, resp)
        }
        Err(e) => {
            let fail = match e {
                TspError::BadAlgorithm(_) => 0,
                TspError::BadImprintLength { .. } | TspError::Malformed(_) => 5,
                TspError::BadVersion => 2,
            };
            reply(StatusCode::BAD_REQUEST, rfc3161::reject(&e.to_string(), fail))
        }
    }
}

/// The hashed message of a query whose MessageImprint is a SHA-256 (its DER ends with the
/// 32-byte OCTET STRING), else `None`.
fn sha256_imprint(query: &[u8]) -> Option<[u8; 32]> {
    let req = rfc3161::parse_request(query).ok()?;
    let der = &req.imprint_der;
    let sha256_oid = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    if !der.windows(sha256_oid.len()).any(|w| w == sha256_oid) {
        return None;
    }
    let tail = der.get(der.len().checked_sub(34)?..)?;
    if tail[..2] != [0x04, 0x20] {
        return None;
    }
    tail[2..].try_into().ok()
}

async fn certchain(State(s): State<Arc<crate::Services>>) -> Response {
    let pem: String = s.tsa.chain().iter().map(|der| pem_encode("CERTIFICATE", der)).collect();
    ([(header::CONTENT_TYPE, "application/pem-certificate-chain")], pem).into_response()
}
