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
fn platform() -> Result<&'static dyn ServerCertVerifier, rustls::Error> {
    static PLATFORM: OnceLock<Result<Verifier, String>> = OnceLock::new();
    PLATFORM
        .get_or_init(|| Verifier::new(provider()).map_err(|e| e.to_string()))
        .as_ref()
        .map(|v| v as &dyn ServerCertVerifier)
        .map_err(|e| rustls::Error::General(format!("reading the system's TLS root certificates: {e}")))
}

/// Reads the system's roots on another thread now, so that the first HTTPS handshake finds them
/// ready. A handshake that comes first waits for this thread's result rather than reading them again.
pub fn prewarm() {
    // Without a thread (the system refuses one), the first handshake reads them.
    let _ = std::thread::Builder::new().spawn(|| {
        let _ = platform();
    });
}

/// The client's TLS configuration: HTTP/1.1 by ALPN (the only version the client speaks), the
/// platform's verifier behind [`Lazy`].
pub fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    config_with(platform)
}

/// Where [`Lazy`] gets its verifier on first use (the platform's; the tests give their own).
type Source = fn() -> Result<&'static dyn ServerCertVerifier, rustls::Error>;

fn config_with(verifier: Source) -> Result<rustls::ClientConfig, rustls::Error> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Lazy(verifier)))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A verifier that is the one `Source` gives, got on first use.
#[derive(Debug)]
struct Lazy(Source);

impl ServerCertVerifier for Lazy {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        (self.0)()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        (self.0)()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        (self.0)()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // Asked when the ClientHello is written, before any certificate: the platform verifier's
        // answer is the provider's list (WebPkiServerVerifier returns its algorithms' schemes),
        // so it is given without reading the roots.
        provider().signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    //! The delegation, over in-memory handshakes with a test CA in place of the system's roots:
    //! a server it issued is accepted; the wrong name, and its certificate served by a server
    //! without its key, are refused.
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use rustls::server::{ClientHello, ResolvesServerCert};
    use rustls::sign::CertifiedKey;

    struct Pki {
        ca: CertificateDer<'static>,
        leaf: CertificateDer<'static>,
        leaf_key: PrivateKeyDer<'static>,
    }

    fn pki() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(|| {
            let ca_key = KeyPair::generate().unwrap();
            let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
            ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let ca = ca_params.self_signed(&ca_key).unwrap();
            let leaf_key = KeyPair::generate().unwrap();
            let leaf = CertificateParams::new(vec!["localhost".to_string()])
                .unwrap()
                .signed_by(&leaf_key, &Issuer::from_params(&ca_params, &ca_key))
                .unwrap();
            Pki {
                ca: ca.der().clone(),
                leaf: leaf.der().clone(),
                leaf_key: PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
            }
        })
    }

    /// The test CA's verifier, standing in for the platform's.
    fn test_ca() -> Result<&'static dyn ServerCertVerifier, rustls::Error> {
        static VERIFIER: OnceLock<Arc<rustls::client::WebPkiServerVerifier>> = OnceLock::new();
        Ok(VERIFIER
            .get_or_init(|| {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(pki().ca.clone()).unwrap();
                rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                    .build()
                    .unwrap()
            })
            .as_ref())
    }

    /// Serves the leaf certificate with `key` (its own, or another).
    #[derive(Debug)]
    struct Serve(Arc<CertifiedKey>);
    impl ResolvesServerCert for Serve {
        fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
            Some(self.0.clone())
        }
    }

    /// Runs a handshake in memory; the client's error if it refused the server.
    fn handshake(name: &str, key: PrivateKeyDer<'static>) -> Result<(), rustls::Error> {
        let signing = provider().key_provider.load_private_key(key).unwrap();
        let served = Arc::new(CertifiedKey::new(vec![pki().leaf.clone()], signing));
        let server_config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Serve(served)));
        let mut server = rustls::ServerConnection::new(Arc::new(server_config)).unwrap();
        let client_config = Arc::new(config_with(test_ca).unwrap());
        let mut client =
            rustls::ClientConnection::new(client_config, ServerName::try_from(name.to_string()).unwrap()).unwrap();
        for _ in 0..10 {
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            server.read_tls(&mut wire.as_slice()).unwrap();
            // The server's own error follows the client's refusal; the client's is the answer.
            if server.process_new_packets().is_err() {
                return Err(client.process_new_packets().err().unwrap_or(rustls::Error::HandshakeNotComplete));
            }
            let mut wire = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut wire).unwrap();
            }
            client.read_tls(&mut wire.as_slice()).unwrap();
            client.process_new_packets()?;
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("the handshake did not finish");
    }

    #[test]
    fn a_server_the_roots_vouch_for_is_accepted() {
        handshake("localhost", pki().leaf_key.clone_key()).unwrap();
    }

    #[test]
    fn a_server_under_another_name_is_refused() {
        let err = handshake("sigstore.example", pki().leaf_key.clone_key()).unwrap_err();
        assert!(matches!(err, rustls::Error::InvalidCertificate(_)), "{err:?}");
    }

    #[test]
    fn a_certificate_served_without_its_key_is_refused() {
        // Anyone can send a server's certificate; the handshake signature proves the key.
        let other = PrivateKeyDer::try_from(KeyPair::generate().unwrap().serialize_der()).unwrap();
        let err = handshake("localhost", other).unwrap_err();
        assert!(matches!(err, rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature)), "{err:?}");
    }
}
