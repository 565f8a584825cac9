//! Identity tokens that come without a prompt: `SIGSTORE_ID_TOKEN`, then the Go gitsign's
//! (cosign's) token providers. A configured `tokenProvider` is used as it is; without one, each
//! provider is tried in [`ORDER`] when its own markers are present (environment variables, a file
//! or socket that exists) — the network is never probed to learn whether one applies. Tokens are
//! never logged.

use gitsign_core::config::{Config, Env, TokenProvider};
use gitsign_core::net::Http;
use gitsign_core::token::{self, IdentityError, Token};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The order in which providers are detected without `tokenProvider`: the Go registration order
/// (alphabetical by package; Go iterates them from a map, so this is the nearest fixed order).
pub const ORDER: &[TokenProvider] = &[
    TokenProvider::BuildkiteAgent,
    TokenProvider::Filesystem,
    TokenProvider::GithubActions,
    TokenProvider::GoogleWorkloadIdentity,
    TokenProvider::GoogleImpersonation,
    TokenProvider::Spiffe,
];

/// The SPIFFE Workload API socket cosign uses when `SPIFFE_ENDPOINT_SOCKET` is unset.
const DEFAULT_SPIFFE_SOCKET: &str = "/tmp/spire-agent/public/api.sock";

/// The most of a provider's output read (a JWT is a few kilobytes).
const MAX_TOKEN: usize = 64 << 10;

fn var<'a>(env: &'a Env, name: &str) -> Option<&'a str> {
    env.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn spiffe_socket(env: &Env) -> PathBuf {
    let v = var(env, "SPIFFE_ENDPOINT_SOCKET").unwrap_or(DEFAULT_SPIFFE_SOCKET);
    PathBuf::from(v.strip_prefix("unix://").or_else(|| v.strip_prefix("unix:")).unwrap_or(v))
}

/// Whether `provider`'s markers are present. Looks at the environment and the file system only.
pub fn detected(provider: &TokenProvider, config: &Config, env: &Env) -> bool {
    match provider {
        TokenProvider::Browser | TokenProvider::Device => false,
        TokenProvider::BuildkiteAgent => var(env, "BUILDKITE_AGENT_ACCESS_TOKEN").is_some(),
        TokenProvider::Filesystem => config.id_token_file.as_deref().is_some_and(Path::is_file),
        TokenProvider::GithubActions => {
            var(env, "ACTIONS_ID_TOKEN_REQUEST_URL").is_some() && var(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN").is_some()
        }
        // Never probed: only a named metadata server counts as a marker.
        TokenProvider::GoogleWorkloadIdentity => var(env, "GCE_METADATA_HOST").is_some(),
        TokenProvider::GoogleImpersonation => var(env, "GOOGLE_SERVICE_ACCOUNT_NAME").is_some(),
        TokenProvider::Spiffe => spiffe_socket(env).exists(),
    }
}

/// A token that comes without a prompt, if the environment or the configuration provides one:
/// `SIGSTORE_ID_TOKEN`; else the configured non-interactive `tokenProvider`; else the first
/// detected provider that gives one (the last one's error when all detected ones fail).
pub fn ambient_token(config: &Config, env: &Env, http: &Http) -> Result<Option<Token>, IdentityError> {
    if let Some(t) = env.get("SIGSTORE_ID_TOKEN").filter(|t| !t.trim().is_empty()) {
        return Token::new(t.clone()).map(Some);
    }
    match &config.token_provider {
        Some(TokenProvider::Browser | TokenProvider::Device) => Ok(None),
        Some(p) => provide(p, config, env, http).map(Some),
        None => {
            let mut last = None;
            for p in ORDER.iter().filter(|p| detected(p, config, env)) {
                crate::debug_log!("token provider {} detected", p.name());
                match provide(p, config, env, http) {
                    Ok(t) => return Ok(Some(t)),
                    Err(e) => last = Some(e),
                }
            }
            last.map_or(Ok(None), Err)
        }
    }
}

/// Gets a token from `provider`.
pub fn provide(provider: &TokenProvider, config: &Config, env: &Env, http: &Http) -> Result<Token, IdentityError> {
    let audience = config.client_id.as_str();
    let token = match provider {
        TokenProvider::Browser | TokenProvider::Device => {
            Err(IdentityError::Login(format!("{} is an interactive login, not a token provider", provider.name())))
        }
        TokenProvider::GithubActions => {
            match (var(env, "ACTIONS_ID_TOKEN_REQUEST_URL"), var(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")) {
                (Some(url), Some(bearer)) => github_actions(http, url, bearer, audience),
                _ => Err(IdentityError::Login(
                    "tokenProvider is github-actions but ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN are not set (does the job have `permissions: id-token: write`?)".into(),
                )),
            }
        }
        TokenProvider::Filesystem => filesystem(config),
        TokenProvider::BuildkiteAgent => buildkite(audience, config.timeout),
        TokenProvider::GoogleWorkloadIdentity => {
            token::gce_identity_token(http, var(env, "GCE_METADATA_HOST").unwrap_or("169.254.169.254"), audience)
        }
        TokenProvider::GoogleImpersonation => {
            let target = var(env, "GOOGLE_SERVICE_ACCOUNT_NAME").ok_or_else(|| {
                IdentityError::Login(
                    "tokenProvider is google-impersonation but GOOGLE_SERVICE_ACCOUNT_NAME (the service account to impersonate) is not set".into(),
                )
            })?;
            let access = google_access_token(env, http)?;
            token::google_impersonated_token(http, &config.google_iam_credentials, &access, target, audience)
        }
        TokenProvider::Spiffe => Err(IdentityError::Login(format!(
            "the spiffe token provider is not supported by this build (no SPIFFE Workload API client is built in); \
             fetch a JWT-SVID with audience {audience} yourself (e.g. `spire-agent api fetch jwt`) and pass it in SIGSTORE_ID_TOKEN (socket: {})",
            spiffe_socket(env).display()
        ))),
    };
    token.map_err(|e| match e {
        IdentityError::Login(m) => IdentityError::Login(format!("{}: {m}", provider.name())),
        other => IdentityError::Login(format!("token provider {}: {other}", provider.name())),
    })
}

fn filesystem(config: &Config) -> Result<Token, IdentityError> {
    let path = config.id_token_file.as_deref().unwrap_or(Path::new("/var/run/sigstore/cosign/oidc-token"));
    let mut text = String::new();
    use std::io::Read as _;
    std::fs::File::open(path).and_then(|f| f.take(MAX_TOKEN as u64).read_to_string(&mut text)).map_err(|e| {
        IdentityError::Login(format!("cannot read the token file {}: {e} (GITSIGN_ID_TOKEN_FILE)", path.display()))
    })?;
    Token::new(text)
}

/// `buildkite-agent oidc request-token --audience AUDIENCE`, within `timeout`.
fn buildkite(audience: &str, timeout: Duration) -> Result<Token, IdentityError> {
    use std::io::Read as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("buildkite-agent")
        .args(["oidc", "request-token", "--audience", audience])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| IdentityError::Login(format!("cannot run buildkite-agent (is it on PATH?): {e}")))?;
    // Read both pipes on threads so a chatty agent cannot block on a full pipe.
    let pipe = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(r) = r {
                let _ = r.take(MAX_TOKEN as u64).read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = pipe(child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>));
    let err = pipe(child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>));
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() < timeout => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(IdentityError::Login(format!(
                    "buildkite-agent oidc request-token did not answer within {timeout:?} (gitsign.timeout)"
                )));
            }
            Err(e) => return Err(IdentityError::Login(format!("waiting for buildkite-agent: {e}"))),
        }
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    if !status.success() {
        let msg: String = String::from_utf8_lossy(&err).chars().take(300).collect();
        return Err(IdentityError::Login(format!(
            "buildkite-agent oidc request-token failed ({status}): {}",
            crate::ui::sanitize(msg.trim())
        )));
    }
    Token::new(String::from_utf8_lossy(&out).to_string())
}

/// The ambient Google access token, found as Application Default Credentials are:
/// `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's application-default file, else (only when
/// `GCE_METADATA_HOST` names it) the metadata server.
fn google_access_token(env: &Env, http: &Http) -> Result<String, IdentityError> {
    let well_known = var(env, "CLOUDSDK_CONFIG")
        .map(PathBuf::from)
        .or_else(|| var(env, "HOME").map(|h| Path::new(h).join(".config/gcloud")))
        .map(|d| d.join("application_default_credentials.json"));
    let file = match var(env, "GOOGLE_APPLICATION_CREDENTIALS") {
        Some(p) => Some(PathBuf::from(p)),
        None => well_known.filter(|p| p.is_file()),
    };
    if let Some(path) = file {
        return google_file_access_token(&path, http);
    }
    if let Some(host) = var(env, "GCE_METADATA_HOST") {
        return token::gce_access_token(http, host);
    }
    Err(IdentityError::Login(
        "no Google credentials to impersonate with: set GOOGLE_APPLICATION_CREDENTIALS, run `gcloud auth application-default login`, or run on GCE with GCE_METADATA_HOST set".into(),
    ))
}

#[derive(serde::Deserialize)]
struct GoogleCredentialFile {
    #[serde(rename = "type")]
    kind: String,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
    client_email: Option<String>,
    private_key: Option<String>,
    token_uri: Option<String>,
}

impl Drop for GoogleCredentialFile {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        for s in [&mut self.client_secret, &mut self.refresh_token, &mut self.private_key].into_iter().flatten() {
            s.zeroize();
        }
    }
}

fn google_file_access_token(path: &Path, http: &Http) -> Result<String, IdentityError> {
    let bad = |detail: String| IdentityError::Login(format!("the Google credentials {}: {detail}", path.display()));
    let mut bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let parsed: Result<GoogleCredentialFile, _> = serde_json::from_slice(&bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    let c = parsed.map_err(|e| bad(format!("not a credentials file ({e})")))?;
    let token_uri = c.token_uri.clone().unwrap_or_else(|| "https://oauth2.googleapis.com/token".into());
    match c.kind.as_str() {
        "authorized_user" => match (&c.client_id, &c.client_secret, &c.refresh_token) {
            (Some(id), Some(secret), Some(refresh)) => {
                token::google_refresh_access_token(http, &token_uri, id, secret, refresh)
            }
            _ => Err(bad("an authorized_user without client_id, client_secret and refresh_token".into())),
        },
        "service_account" => match (&c.client_email, &c.private_key) {
            (Some(email), Some(key)) => {
                let assertion = service_account_assertion(email, key, &token_uri).map_err(bad)?;
                token::google_jwt_access_token(http, &token_uri, &assertion)
            }
            _ => Err(bad("a service_account without client_email and private_key".into())),
        },
        other => Err(bad(format!(
            "credentials of type {:?} are not supported (authorized_user and service_account are)",
            crate::ui::sanitize(other)
        ))),
    }
}

/// The RS256 JWT a service account key signs to get an access token (RFC 7523).
fn service_account_assertion(email: &str, pem: &str, token_uri: &str) -> Result<String, String> {
    use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let mut der = gitsign_core::net::pem_to_der(pem, "PRIVATE KEY").ok_or("its private_key is not a PKCS#8 PEM key")?;
    let key = RsaKeyPair::from_pkcs8(&der).map_err(|e| format!("its private_key is not an RSA key: {e}"));
    zeroize::Zeroize::zeroize(&mut der);
    let key = key?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs();
    let header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = b64(serde_json::json!({
        "iss": email,
        "scope": "https://www.googleapis.com/auth/cloud-platform",
        "aud": token_uri,
        "iat": now,
        "exp": now + 3600,
    })
    .to_string()
    .as_bytes());
    let signing_input = format!("{header}.{claims}");
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), signing_input.as_bytes(), &mut sig)
        .map_err(|e| format!("signing with its private_key: {e}"))?;
    Ok(format!("{signing_input}.{}", b64(&sig)))
}

/// GitHub Actions' token for `audience`, from the runner's endpoint.
pub(crate) fn github_actions(http: &Http, url: &str, bearer: &str, audience: &str) -> Result<Token, IdentityError> {
    let sep = if url.contains('?') { '&' } else { '?' };
    let full =
        format!("{url}{sep}audience={}", url::form_urlencoded::byte_serialize(audience.as_bytes()).collect::<String>());
    #[derive(serde::Deserialize)]
    struct Answer {
        value: String,
    }
    let a: Answer = http.json(
        "getting the GitHub Actions identity token",
        http.client().get(&full).bearer_auth(bearer),
        url,
        "a GitHub Actions token",
    )?;
    Token::new(a.value)
}
