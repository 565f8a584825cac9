//! The devstack's Fulcio v2: checks the identity token and the proof of possession (a signature
//! over the token's subject, or a self-signed CSR), then issues a leaf from [`crate::ca`].

use crate::ca::San;
use crate::oidc::TokenError;
use crate::services::Services;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gitsign_protocol::fulcio::{
    CertificateChain, Configuration, EmbeddedSct, ErrorBody, IssuerConfig, SigningCertRequest, SigningCertificate,
    TrustBundle,
};
use gitsign_protocol::keys::{PublicKey, pem_encode};
use gitsign_protocol::unb64;
use std::sync::Arc;

/// A refusal or failure, answered as Fulcio's gRPC gateway does.
#[derive(Debug, thiserror::Error)]
pub enum FulcioError {
    /// Malformed request (400, gRPC 3).
    #[error("{0}")]
    InvalidArgument(String),
    /// The token was refused (401, gRPC 16).
    #[error("{0}")]
    Unauthenticated(#[from] TokenError),
    /// The proof of possession does not verify (400, gRPC 3).
    #[error("the proof of possession does not verify: {0}")]
    ProofOfPossession(String),
    /// The server failed (500, gRPC 13).
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for FulcioError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            FulcioError::InvalidArgument(_) | FulcioError::ProofOfPossession(_) => (StatusCode::BAD_REQUEST, 3),
            FulcioError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, 16),
            FulcioError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 13),
        };
        (status, Json(ErrorBody { code, message: self.to_string(), details: vec![] })).into_response()
    }
}

type Shared = Arc<Services>;

/// Routes of the Fulcio v2 API.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/v2/signingCert", post(signing_cert))
        .route("/api/v2/trustBundle", get(trust_bundle))
        .route("/api/v2/configuration", get(configuration))
}

/// Whether `s` is an absolute URI (`scheme:rest`), the form a `sub`-only identity must take.
fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    !rest.is_empty()
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && s.chars().all(|c| c.is_ascii_graphic())
}

fn csr_key(pem_or_der: &[u8]) -> Result<Vec<u8>, FulcioError> {
    use x509_parser::prelude::FromDer;
    let bad = |m: String| FulcioError::InvalidArgument(format!("certificateSigningRequest: {m}"));
    let der = match x509_parser::pem::parse_x509_pem(pem_or_der) {
        Ok((_, pem)) if pem.label == "CERTIFICATE REQUEST" => pem.contents,
        Ok((_, pem)) => return Err(bad(format!("PEM block is {:?}, expected CERTIFICATE REQUEST", pem.label))),
        Err(_) => pem_or_der.to_vec(),
    };
    let (_, csr) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&der).map_err(|e| bad(e.to_string()))?;
    let info = &csr.certification_request_info;
    let key = PublicKey::from_spki_der(info.subject_pki.raw).map_err(|e| bad(e.to_string()))?;
    key.verify(info.raw, &csr.signature_value.data)
        .map_err(|_| FulcioError::ProofOfPossession("the CSR's signature does not verify with its own key".into()))?;
    Ok(info.subject_pki.raw.to_vec())
}

fn issue(s: &Services, bearer: Option<String>, body: &[u8]) -> Result<SigningCertificate, FulcioError> {
    let req: SigningCertRequest = serde_json::from_slice(body).map_err(|e| {
        FulcioError::InvalidArgument(format!("the request body is not a signing-certificate request: {e}"))
    })?;
    let token = req.credentials.map(|c| c.oidc_identity_token).or(bearer).ok_or_else(|| {
        FulcioError::Unauthenticated(TokenError::Malformed(
            "no identity token: send credentials.oidcIdentityToken or Authorization: Bearer".into(),
        ))
    })?;
    let claims = s.issuers.verify(&token)?;
    let (san, challenge) = match &claims.email {
        Some(email) => (San::Email(email.clone()), email.clone()),
        None if is_uri(&claims.sub) => (San::Uri(claims.sub.clone()), claims.sub.clone()),
        None => {
            return Err(FulcioError::InvalidArgument(format!(
                "the token has no email and its subject {:?} is not a URI, so no certificate identity can be made from it",
                claims.sub
            )));
        }
    };
    let spki = match (&req.public_key_request, &req.certificate_signing_request) {
        (Some(pkr), None) => {
            let pem = pkr.public_key.content.as_bytes();
            let (key, cert) = PublicKey::from_pem_cert_or_key(pem)
                .map_err(|e| FulcioError::InvalidArgument(format!("publicKey.content: {e}")))?;
            if cert.is_some() {
                return Err(FulcioError::InvalidArgument(
                    "publicKey.content must be a PUBLIC KEY, not a certificate".into(),
                ));
            }
            let proof = unb64(&pkr.proof_of_possession)
                .map_err(|_| FulcioError::InvalidArgument("proofOfPossession is not base64".into()))?;
            key.verify(challenge.as_bytes(), &proof).map_err(|_| {
                FulcioError::ProofOfPossession(format!(
                    "expected a signature over the token's subject {challenge:?} made with the requested key"
                ))
            })?;
            key.spki_der().to_vec()
        }
        (None, Some(csr)) => csr_key(
            &unb64(csr).map_err(|_| FulcioError::InvalidArgument("certificateSigningRequest is not base64".into()))?,
        )?,
        _ => {
            return Err(FulcioError::InvalidArgument(
                "give exactly one of publicKeyRequest and certificateSigningRequest".into(),
            ));
        }
    };
    let now = time::OffsetDateTime::now_utc();
    let (leaf, serial) =
        s.ca.issue(&spki, &san, &claims.iss, now).map_err(|e| FulcioError::InvalidArgument(e.to_string()))?;
    let fresh = s
        .lock_store()
        .record_certificate(&serial, now.unix_timestamp(), san.as_str(), &claims.iss)
        .map_err(|e| FulcioError::Internal(e.to_string()))?;
    if !fresh {
        return Err(FulcioError::Internal("a certificate serial repeated; ask again".into()));
    }
    Ok(SigningCertificate {
        signed_certificate_embedded_sct: Some(EmbeddedSct {
            chain: CertificateChain {
                certificates: vec![
                    pem_encode("CERTIFICATE", &leaf),
                    pem_encode("CERTIFICATE", s.ca.intermediate_der()),
                    pem_encode("CERTIFICATE", s.ca.root_der()),
                ],
            },
        }),
        signed_certificate_detached_sct: None,
    })
}

async fn signing_cert(
    State(s): State<Shared>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, FulcioError> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let cert = tokio::task::spawn_blocking(move || issue(&s, bearer, &body))
        .await
        .map_err(|e| FulcioError::Internal(e.to_string()))??;
    Ok((StatusCode::CREATED, Json(cert)).into_response())
}

async fn trust_bundle(State(s): State<Shared>) -> Json<TrustBundle> {
    Json(TrustBundle {
        chains: vec![CertificateChain {
            certificates: vec![
                pem_encode("CERTIFICATE", s.ca.intermediate_der()),
                pem_encode("CERTIFICATE", s.ca.root_der()),
            ],
        }],
    })
}

async fn configuration(State(s): State<Shared>) -> Json<Configuration> {
    Json(Configuration {
        issuers: s
            .issuers
            .urls()
            .into_iter()
            .map(|issuer_url| IssuerConfig {
                issuer_url,
                audience: crate::oidc::CLIENT_ID.into(),
                challenge_claim: "email".into(),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn uris() {
        assert!(super::is_uri("https://github.com/o/r/.github/workflows/ci.yml@refs/heads/main"));
        assert!(super::is_uri("repo:owner/name:ref:refs/heads/main"));
        for bad in ["", "plain", ":x", "1a:b", "a b:c", "x:"] {
            assert!(!super::is_uri(bad), "{bad}");
        }
    }
}
