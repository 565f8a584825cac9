//! The TLS configuration of gitsign's HTTP client: the platform's verifier (the system's root
//! certificates, as reqwest would use them), built on the first HTTPS handshake instead of when the
//! client is built.
//!
//! Reading the system's roots is most of what building a client costs: on Debian,
//! `rustls-native-certs` stats and parses every file of `/etc/ssl/certs` (292 entries here), 5–11 ms
//! of CPU measured with `perf record` on a warm-cache signing. A deployment reached over plain HTTP
//! (the devstack, a loopback Sigstore) never pays it; one reached over HTTPS pays it once per
//! process, on the first handshake or earlier on another thread ([`prewarm`]).
//!
//! The checks are the platform verifier's own: every check delegates to it once it is built. If
//! it cannot be built (no readable roots), every handshake fails with its error: fail closed.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;
use std::sync::{Arc, OnceLock};

/// The crypto provider of every TLS connection: rustls' aws-lc one, as reqwest's default.
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider())).clone()
}

/// The platform verifier, built once per process (its error kept as text, for every handshake).
fn platform() -> Result<&'static Verifier, rustls::Error> {
    static PLATFORM: OnceLock<Result<Verifier, String>> = OnceLock::new();
    PLATFORM
        .get_or_init(|| Verifier::new(provider()).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| rustls::Error::General(format!("reading the system's TLS root certificates: {e}")))
}

/// Reads the system's roots on another thread now, so that the first HTTPS handshake finds them
/// ready. A handshake that comes first waits for this thread's result rather than reading them again.
pub fn prewarm() {
    std::thread::spawn(|| {
        let _ = platform();
    });
}

/// The client's TLS configuration: HTTP/1.1 by ALPN (the only version the client speaks), the
/// platform's verifier behind [`Lazy`].
pub fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Lazy))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A verifier that is the platform's, built on first use.
#[derive(Debug)]
struct Lazy;

impl ServerCertVerifier for Lazy {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        platform()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        platform()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        platform()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // Asked when the ClientHello is written, before any certificate: the platform verifier's
        // answer is the provider's list (WebPkiServerVerifier returns its algorithms' schemes),
        // so it is given without reading the roots.
        provider().signature_verification_algorithms.supported_schemes()
    }
}
