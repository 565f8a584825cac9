//! Identity tokens as the core uses them: the raw JWT and the subject Fulcio's proof of
//! possession signs (read unverified: Fulcio verifies the token), and why none could be had.
//! Getting one (browser, device flow, GitHub Actions) is the program's business.

use crate::net::{Http, NetError};
use std::time::Duration;

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// A request failed.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The issuer's answers do not make a working OIDC provider.
    #[error("the OIDC issuer {issuer}: {detail}")]
    Provider {
        /// Issuer URL.
        issuer: String,
        /// What went wrong.
        detail: String,
    },
    /// The login did not complete.
    #[error("login: {0}")]
    Login(String),
    /// No time left.
    #[error("login: not completed within {0:?} (gitsign.loginTimeout); run the commit again")]
    TimedOut(Duration),
    /// A token that cannot be used.
    #[error("the identity token is unusable: {0}")]
    BadToken(String),
}

/// An identity token and the subject Fulcio's proof of possession must sign.
#[derive(Clone)]
pub struct Token {
    /// The raw JWT.
    pub raw: String,
    /// `email` if the token has one, else `sub`.
    pub subject: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("subject", &self.subject).finish_non_exhaustive()
    }
}

impl Token {
    /// Reads the subject from an (unverified: Fulcio verifies it) JWT.
    pub fn new(raw: String) -> Result<Self, IdentityError> {
        use base64::Engine as _;
        let raw = raw.trim().to_string();
        let payload = raw.split('.').nth(1).ok_or_else(|| IdentityError::BadToken("not a JWT".into()))?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| IdentityError::BadToken("the JWT payload is not base64url".into()))?;
        let claims: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| IdentityError::BadToken("the JWT payload is not JSON".into()))?;
        let subject = claims
            .get("email")
            .and_then(|e| e.as_str())
            .or_else(|| claims.get("sub").and_then(|s| s.as_str()))
            .ok_or_else(|| IdentityError::BadToken("it has neither an email nor a sub claim".into()))?
            .to_string();
        Ok(Token { raw, subject })
    }
}

/// Fetches a plain-text token (the GCE metadata server answers that way).
fn text(
    http: &Http,
    step: &'static str,
    request: reqwest::blocking::RequestBuilder,
    url: &str,
) -> Result<String, NetError> {
    let resp = request.timeout(http.timeout()).send().map_err(|e| NetError::Unreachable {
        step,
        url: url.to_string(),
        detail: crate::text::sanitize(&e.to_string()),
    })?;
    let status = resp.status();
    let body = http.body(step, url, resp)?;
    let body = String::from_utf8_lossy(&body).to_string();
    if !status.is_success() {
        return Err(NetError::Status {
            step,
            url: url.to_string(),
            status: status.as_u16(),
            message: crate::text::sanitize(&body.chars().take(300).collect::<String>()),
        });
    }
    Ok(body)
}

/// The GCE metadata server at `host` (`GCE_METADATA_HOST`, else `169.254.169.254`): its base URL.
fn metadata_base(host: &str) -> String {
    format!("http://{}/computeMetadata/v1/instance/service-accounts/default", host.trim_end_matches('/'))
}

/// `google-workload-identity`: the identity token of the instance's default service account for
/// `audience`, from the GCE metadata server at `host`.
pub fn gce_identity_token(http: &Http, host: &str, audience: &str) -> Result<Token, IdentityError> {
    let base = format!("{}/identity", metadata_base(host));
    let url = reqwest::Url::parse_with_params(&base, &[("audience", audience), ("format", "full")])
        .map_err(|e| IdentityError::Login(format!("GCE_METADATA_HOST = {host:?} does not make a URL: {e}")))?;
    let url = url.to_string();
    let request = http.client().get(&url).header("Metadata-Flavor", "Google");
    Token::new(text(http, "getting an identity token from the GCE metadata server", request, &url)?)
}

/// The access token of the instance's default service account, from the GCE metadata server.
pub fn gce_access_token(http: &Http, host: &str) -> Result<String, IdentityError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        access_token: String,
    }
    let url = format!("{}/token", metadata_base(host));
    let a: Answer = http.json(
        "getting an access token from the GCE metadata server",
        http.client().get(&url).header("Metadata-Flavor", "Google"),
        &url,
        "an OAuth access token",
    )?;
    Ok(a.access_token)
}

/// An OAuth access token for a Google `authorized_user` credential (what `gcloud auth
/// application-default login` writes): a refresh-token grant at its `token_uri`.
pub fn google_refresh_access_token(
    http: &Http,
    token_uri: &str,
    client_id: &str,
    client_secret: &str,
    refresh_token: &str,
) -> Result<String, IdentityError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        access_token: String,
    }
    let a: Answer = http.json(
        "refreshing the Google application-default credentials",
        http.client().post(token_uri).form(&[
            ("grant_type", "refresh_token"),
            ("client_id", client_id),
            ("client_secret", client_secret),
            ("refresh_token", refresh_token),
        ]),
        token_uri,
        "an OAuth access token",
    )?;
    Ok(a.access_token)
}

/// An OAuth access token for a Google `service_account` key: a JWT-bearer grant at `token_uri`
/// with `assertion` (signed by the caller with the key).
pub fn google_jwt_access_token(http: &Http, token_uri: &str, assertion: &str) -> Result<String, IdentityError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        access_token: String,
    }
    let a: Answer = http.json(
        "exchanging the Google service account key for an access token",
        http.client()
            .post(token_uri)
            .form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)]),
        token_uri,
        "an OAuth access token",
    )?;
    Ok(a.access_token)
}

/// `google-impersonation`: an ID token of the service account `target` for `audience` (with its
/// email), from the IAM Credentials API at `iam` with the caller's `access_token`.
pub fn google_impersonated_token(
    http: &Http,
    iam: &str,
    access_token: &str,
    target: &str,
    audience: &str,
) -> Result<Token, IdentityError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        token: String,
    }
    // The account is a path segment: nothing in it may leave it.
    if target.is_empty() || target.contains(['/', '?', '#', '%']) || target.chars().any(char::is_control) {
        return Err(IdentityError::Login(format!(
            "GOOGLE_SERVICE_ACCOUNT_NAME = {:?} is not a service account email",
            crate::text::sanitize(target)
        )));
    }
    let url = format!("{}/v1/projects/-/serviceAccounts/{target}:generateIdToken", iam.trim_end_matches('/'));
    let a: Answer = http.json(
        "getting an impersonated ID token from the IAM Credentials API",
        http.client()
            .post(&url)
            .bearer_auth(access_token)
            .json(&serde_json::json!({"audience": audience, "includeEmail": true})),
        &url,
        "an IAM Credentials generateIdToken answer",
    )?;
    Token::new(a.token)
}
