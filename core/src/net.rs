//! The network side of signing: one HTTP client with bounded timeouts, and the Fulcio and Rekor
//! calls gitsign makes. Every failure names the step, the URL and what came back.

use gitsign_protocol::fulcio::{Credentials, PublicKeyPem, PublicKeyRequest, SigningCertRequest, SigningCertificate};
use gitsign_protocol::rekor::{HashedRekord, LogEntries, LogEntry};
use std::time::Duration;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// No connection, or it broke.
    #[error("{step}: cannot reach {url}: {detail}; check the URL and that the service is up")]
    Unreachable {
        /// What gitsign was doing.
        step: &'static str,
        /// Where.
        url: String,
        /// The transport's account.
        detail: String,
    },
    /// No answer in time.
    #[error("{step}: {url} did not answer within {}s; raise gitsign.timeout (GITSIGN_TIMEOUT) if it is just slow", timeout.as_secs())]
    Timeout {
        /// What gitsign was doing.
        step: &'static str,
        /// Where.
        url: String,
        /// The limit.
        timeout: Duration,
    },
    /// An error status.
    #[error("{step}: {url} answered HTTP {status}: {message}")]
    Status {
        /// What gitsign was doing.
        step: &'static str,
        /// Where.
        url: String,
        /// HTTP status.
        status: u16,
        /// The service's message.
        message: String,
    },
    /// An answer longer than gitsign reads.
    #[error("{step}: {url} answered more than {cap} bytes, gitsign's cap on a response body; refusing to read it")]
    TooLarge {
        /// What gitsign was doing.
        step: &'static str,
        /// Where.
        url: String,
        /// The cap.
        cap: u64,
    },
    /// A success status with a body that is not what the API defines.
    #[error("{step}: {url} answered something that is not {expected}: {detail}")]
    Garbage {
        /// What gitsign was doing.
        step: &'static str,
        /// Where.
        url: String,
        /// What was expected.
        expected: &'static str,
        /// Why it did not parse.
        detail: String,
    },
}

/// The most gitsign reads of any response body (Fulcio, Rekor, OIDC): their answers are a few
/// kilobytes.
pub const MAX_RESPONSE: u64 = 4 << 20;

/// The HTTP client.
#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::blocking::Client,
    timeout: Duration,
}

/// The server's explanation of a refusal: remote text, so stripped of control characters.
fn message_of(body: &str) -> String {
    let text = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .or_else(|| v.get("error_description"))
                .or_else(|| v.get("error"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(300).collect());
    crate::text::sanitize(&text)
}

mod roots;

fn build_client() -> Result<reqwest::blocking::Client, String> {
    let tls = roots::client_config().map_err(|e| e.to_string())?;
    // No client-wide timeout: every request carries the configured one.
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gitsign/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(|e| e.to_string())
}

/// Starts reading the system's TLS roots on another thread when one of `urls` (the services a
/// command will reach) is not plain `http://`: the client reads them on its first HTTPS
/// handshake, and this makes them ready by then. Plain-HTTP deployments never read them.
pub fn prewarm<'a>(urls: impl IntoIterator<Item = &'a str>) {
    if urls.into_iter().any(|u| !is_plain_http(u)) {
        roots::prewarm();
    }
}

fn is_plain_http(url: &str) -> bool {
    url.get(..7).is_some_and(|s| s.eq_ignore_ascii_case("http://"))
}

impl Http {
    /// A client whose every request ends within `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, NetError> {
        let client = build_client().map_err(|detail| NetError::Unreachable {
            step: "setting up HTTP",
            url: String::new(),
            detail,
        })?;
        Ok(Http { client, timeout })
    }

    /// The underlying client (for the OIDC library); callers apply [`Http::timeout`].
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// The limit on each request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    fn fail(&self, step: &'static str, url: &str, e: reqwest::Error) -> NetError {
        if e.is_timeout() {
            NetError::Timeout { step, url: url.to_string(), timeout: self.timeout }
        } else {
            let mut detail = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                detail = format!("{detail}: {s}");
                source = s.source();
            }
            NetError::Unreachable { step, url: url.to_string(), detail }
        }
    }

    /// Reads a response body of at most [`MAX_RESPONSE`] bytes.
    pub fn body(&self, step: &'static str, url: &str, resp: reqwest::blocking::Response) -> Result<Vec<u8>, NetError> {
        use std::io::Read as _;
        let too_large = || NetError::TooLarge { step, url: url.to_string(), cap: MAX_RESPONSE };
        if resp.content_length().is_some_and(|n| n > MAX_RESPONSE) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        resp.take(MAX_RESPONSE + 1).read_to_end(&mut body).map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut {
                NetError::Timeout { step, url: url.to_string(), timeout: self.timeout }
            } else {
                NetError::Unreachable { step, url: url.to_string(), detail: e.to_string() }
            }
        })?;
        if body.len() as u64 > MAX_RESPONSE {
            return Err(too_large());
        }
        Ok(body)
    }

    /// Sends a request and parses a JSON answer.
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        step: &'static str,
        request: reqwest::blocking::RequestBuilder,
        url: &str,
        expected: &'static str,
    ) -> Result<T, NetError> {
        let resp = request.timeout(self.timeout).send().map_err(|e| self.fail(step, url, e))?;
        let status = resp.status();
        let body = self.body(step, url, resp)?;
        let body = String::from_utf8_lossy(&body);
        if !status.is_success() {
            return Err(NetError::Status {
                step,
                url: url.to_string(),
                status: status.as_u16(),
                message: message_of(&body),
            });
        }
        serde_json::from_str(&body).map_err(|e| NetError::Garbage {
            step,
            url: url.to_string(),
            expected,
            // serde quotes unknown fields and variants of the (remote) body.
            detail: crate::text::sanitize(&e.to_string()),
        })
    }

    /// Fulcio: a certificate chain (DER, leaf first) for `spki_der`, proving possession with
    /// `proof` (a signature over the token's subject).
    pub fn signing_certificate(
        &self,
        fulcio: &str,
        token: &str,
        public_key_pem: &str,
        proof: &[u8],
    ) -> Result<Vec<Vec<u8>>, NetError> {
        let url = format!("{}/api/v2/signingCert", fulcio.trim_end_matches('/'));
        let body = SigningCertRequest {
            credentials: Some(Credentials { oidc_identity_token: token.to_string() }),
            public_key_request: Some(PublicKeyRequest {
                public_key: PublicKeyPem { algorithm: Some("ECDSA".into()), content: public_key_pem.to_string() },
                proof_of_possession: gitsign_protocol::b64(proof),
            }),
            certificate_signing_request: None,
        };
        const STEP: &str = "getting a certificate from Fulcio";
        let answer: SigningCertificate =
            self.json(STEP, self.client.post(&url).json(&body), &url, "a Fulcio signing certificate")?;
        let garbage = |detail: &str| NetError::Garbage {
            step: STEP,
            url: url.clone(),
            expected: "a certificate chain",
            detail: detail.to_string(),
        };
        let chain = answer
            .signed_certificate_embedded_sct
            .ok_or_else(|| garbage("no signedCertificateEmbeddedSct"))?
            .chain
            .certificates;
        let ders: Vec<Vec<u8>> = chain
            .iter()
            .map(|pem| pem_to_der(pem, "CERTIFICATE").ok_or_else(|| garbage("a certificate is not PEM")))
            .collect::<Result<_, _>>()?;
        if ders.is_empty() {
            return Err(garbage("the chain is empty"));
        }
        Ok(ders)
    }

    /// Rekor: logs a hashedrekord and returns the entry with its proofs.
    pub fn log_entry(&self, rekor: &str, entry: &HashedRekord) -> Result<LogEntry, NetError> {
        let url = format!("{}/api/v1/log/entries", rekor.trim_end_matches('/'));
        const STEP: &str = "recording the signature in Rekor";
        let entries: LogEntries = self.json(STEP, self.client.post(&url).json(entry), &url, "a Rekor log entry")?;
        entries.into_values().next().ok_or_else(|| NetError::Garbage {
            step: STEP,
            url,
            expected: "a Rekor log entry",
            detail: "no entry".into(),
        })
    }
}

impl Http {
    /// Rekor: UUIDs of the entries over the SHA-256 digest `hex`.
    pub fn search_hash(&self, rekor: &str, hex: &str) -> Result<Vec<String>, NetError> {
        let url = format!("{}/api/v1/index/retrieve", rekor.trim_end_matches('/'));
        let body = gitsign_protocol::rekor::SearchIndex { hash: Some(format!("sha256:{hex}")), ..Default::default() };
        self.json("searching Rekor", self.client.post(&url).json(&body), &url, "a list of entry UUIDs")
    }

    /// Rekor: one entry by UUID.
    pub fn entry(&self, rekor: &str, uuid: &str) -> Result<LogEntry, NetError> {
        let url = format!("{}/api/v1/log/entries/{uuid}", rekor.trim_end_matches('/'));
        const STEP: &str = "fetching a Rekor entry";
        let entries: LogEntries = self.json(STEP, self.client.get(&url), &url, "a Rekor log entry")?;
        entries.into_values().next().ok_or_else(|| NetError::Garbage {
            step: STEP,
            url,
            expected: "a Rekor log entry",
            detail: "no entry".into(),
        })
    }
}

/// The DER inside the first PEM block labelled `label`.
pub fn pem_to_der(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = pem[start..].find("-----END")? + start;
    let body: String = pem[start..stop].chars().filter(|c| !c.is_whitespace()).collect();
    gitsign_protocol::unb64(&body).ok()
}

impl Http {
    /// Rekor v2: logs a hashedrekord v0.0.2 over `digest` (SHA-256) signed `signature` by the
    /// certificate `cert_der`; returns the TransparencyLogEntry (protobuf JSON).
    pub fn log_entry_v2(
        &self,
        rekor: &str,
        digest: &[u8; 32],
        signature: &[u8],
        cert_der: &[u8],
    ) -> Result<serde_json::Value, NetError> {
        use gitsign_protocol::b64;
        let url = format!("{}/api/v2/log/entries", rekor.trim_end_matches('/'));
        let body = serde_json::json!({"hashedRekordRequestV002": {
            "digest": b64(digest),
            "signature": {
                "content": b64(signature),
                "verifier": {"x509Certificate": {"rawBytes": b64(cert_der)}, "keyDetails": "PKIX_ECDSA_P256_SHA_256"},
            },
        }});
        self.json(
            "recording the signature in Rekor v2",
            self.client.post(&url).json(&body),
            &url,
            "a Rekor v2 TransparencyLogEntry",
        )
    }

    /// A timestamp authority (RFC 3161): a token over `signature` (its SHA-256 imprint).
    pub fn timestamp(&self, tsa: &str, signature: &[u8]) -> Result<Vec<u8>, NetError> {
        use gitsign_protocol::rfc3161;
        const STEP: &str = "getting a timestamp";
        // RFC 3161's nonce for pairing a reply with its request (a failed draw leaves it zero);
        // drawn from getrandom like the key, not from aws-lc's generator, whose first use in a
        // process is the costly one (see .cargo/config.toml).
        let mut nonce = [0u8; 8];
        let _ = rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut nonce);
        let query = rfc3161::request_sha256(&gitsign_protocol::sha256(signature), &nonce);
        let resp = self
            .client
            .post(tsa)
            .header("Content-Type", rfc3161::QUERY_MEDIA_TYPE)
            .body(query)
            .timeout(self.timeout)
            .send()
            .map_err(|e| self.fail(STEP, tsa, e))?;
        let status = resp.status();
        let body = self.body(STEP, tsa, resp)?;
        if let Some(token) = rfc3161::token_of_response(&body).filter(|_| status.is_success()) {
            return Ok(token.to_vec());
        }
        let why = rfc3161::refusal_of_response(&body)
            .map(|(code, text)| format!("status {code}: {}", crate::text::sanitize(&text)))
            .unwrap_or_else(|| message_of(&String::from_utf8_lossy(&body)));
        if status.is_success() {
            Err(NetError::Garbage {
                step: STEP,
                url: tsa.to_string(),
                expected: "a granted RFC 3161 timestamp reply",
                detail: why,
            })
        } else {
            Err(NetError::Status { step: STEP, url: tsa.to_string(), status: status.as_u16(), message: why })
        }
    }
}

#[cfg(test)]
mod tests {
    /// The roots are read lazily, but TLS is still verified: a loopback HTTPS server whose
    /// certificate no system root issued is refused, naming the certificate, and nothing is read.
    #[test]
    fn an_https_server_with_an_unknown_issuer_is_refused() {
        use std::sync::Arc;
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::try_from(signing_key.serialize_der()).unwrap();
        let server =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(vec![cert.der().clone()], key)
                .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let served = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(server)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let mut request = [0u8; 1];
            // The client aborts the handshake: the server never gets a request byte.
            std::io::Read::read(&mut tls, &mut request).map(|n| n > 0).unwrap_or(false)
        });
        let http = super::Http::new(std::time::Duration::from_secs(10)).unwrap();
        let url = format!("https://localhost:{port}/");
        let err = http
            .json::<serde_json::Value>("testing TLS", http.client().get(&url), &url, "anything")
            .unwrap_err()
            .to_string();
        assert!(err.contains("certificate") && err.contains("UnknownIssuer"), "{err}");
        assert!(!served.join().unwrap(), "the server got a request over an unverified connection");
    }

    #[test]
    fn a_servers_message_loses_its_control_characters() {
        // Rekor / Fulcio refusals: the JSON message, or the start of a non-JSON body.
        assert_eq!(super::message_of(r#"{"message":"no\r\u001b[2Kgitsign: Good"}"#), "no[2Kgitsign: Good");
        assert_eq!(super::message_of("plain\u{1b}]0;t\u{7} text"), "plain]0;t text");
    }
}
