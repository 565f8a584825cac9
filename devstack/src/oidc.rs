//! The devstack's OIDC issuer: discovery, JWKS, the authorization-code flow with PKCE (S256
//! required; state and nonce honoured; loopback redirect URIs only), the device flow (RFC 8628),
//! and RS256 ID tokens. The "login" is a form where a person types the email to sign as: this is
//! a test issuer, and says so on every page.

use crate::html::{html_escape, html_page};
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{KeyPair, PublicKeyData, SigningKey};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The one client the issuer knows, as on the public Sigstore instance.
pub const CLIENT_ID: &str = "sigstore";
/// Lifetime of an ID token.
pub const TOKEN_TTL: Duration = Duration::from_secs(600);
const CODE_TTL: Duration = Duration::from_secs(300);
const DEVICE_TTL: Duration = Duration::from_secs(600);
const DEVICE_INTERVAL: u64 = 1;

/// Claims of an ID token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Issuer URL.
    pub iss: String,
    /// Subject.
    pub sub: String,
    /// Audience (the client ID): a string, or a list of them.
    pub aud: serde_json::Value,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Email, for email identities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the email was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    /// The nonce of the authorization request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
}

impl std::fmt::Debug for Claims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Who a token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A person, by verified email (`sub` is the email too).
    Email(String),
    /// A workload, by `sub` only (no email claim), like CI tokens.
    Sub(String),
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Not a JWT.
    #[error("the identity token is not a JWT: {0}")]
    Malformed(String),
    /// Signed with another algorithm, or not signed.
    #[error("the identity token is signed with {found}, this issuer signs with RS256")]
    Algorithm {
        /// Algorithm of the token header.
        found: String,
    },
    /// The signature does not verify with the issuer's key.
    #[error("the identity token's signature does not verify with the key of {issuer}")]
    Signature {
        /// The trusted issuer.
        issuer: String,
    },
    /// Past `exp`.
    #[error("the identity token expired at {exp} (now {now}); get a new one")]
    Expired {
        /// Expiry.
        exp: i64,
        /// Now.
        now: i64,
    },
    /// `aud` is not `sigstore`.
    #[error("the identity token's audience is not {expected:?}")]
    Audience {
        /// Required audience.
        expected: String,
    },
    /// `iss` is another issuer.
    #[error(
        "the identity token was issued by {found:?}; this Fulcio trusts only {expected} (add issuers with --trust-issuer)"
    )]
    Issuer {
        /// Issuer of the token.
        found: String,
        /// Trusted issuers.
        expected: String,
    },
    /// The issuer's keys could not be fetched.
    #[error("the keys of issuer {issuer} could not be fetched: {detail}")]
    Keys {
        /// Issuer URL.
        issuer: String,
        /// Why.
        detail: String,
    },
    /// `email` without `email_verified: true`.
    #[error("the identity token's email {email} is not verified")]
    EmailNotVerified {
        /// The email.
        email: String,
    },
}

/// A failure to make a token.
#[derive(Debug, thiserror::Error)]
#[error("signing the ID token failed: {0}")]
pub struct SignError(#[from] rcgen::Error);

struct AuthRequest {
    redirect_uri: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    created: Instant,
}

struct IssuedCode {
    redirect_uri: String,
    nonce: Option<String>,
    code_challenge: String,
    email: String,
    created: Instant,
}

enum DeviceState {
    Pending,
    Approved(String),
    Denied,
}

struct DeviceGrant {
    user_code: String,
    state: DeviceState,
    created: Instant,
    last_poll: Option<Instant>,
}

#[derive(Default)]
struct Pending {
    requests: HashMap<String, AuthRequest>,
    codes: HashMap<String, IssuedCode>,
    devices: HashMap<String, DeviceGrant>,
}

impl Pending {
    fn expire(&mut self) {
        self.requests.retain(|_, r| r.created.elapsed() < CODE_TTL);
        self.codes.retain(|_, c| c.created.elapsed() < CODE_TTL);
        self.devices.retain(|_, d| d.created.elapsed() < DEVICE_TTL);
    }
}

/// The issuer.
pub struct OidcIssuer {
    url: String,
    key: KeyPair,
    kid: String,
    jwk: serde_json::Value,
    decoding: jsonwebtoken::DecodingKey,
    pending: Mutex<Pending>,
}

impl std::fmt::Debug for OidcIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcIssuer").field("url", &self.url).field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// Random URL-safe text of `n` bytes of entropy.
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // The system RNG does not fail on supported platforms; a failure leaves zeros, which the
    // one-time, short-lived codes tolerate less well than a crash would, so abort instead.
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        std::process::abort();
    }
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Modulus and exponent of an RSA SubjectPublicKeyInfo.
fn rsa_components(spki: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use x509_parser::prelude::FromDer;
    let (_, info) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).ok()?;
    match info.parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(rsa) => {
            let strip = |b: &[u8]| b.iter().skip_while(|x| **x == 0).copied().collect::<Vec<u8>>();
            Some((strip(rsa.modulus), strip(rsa.exponent)))
        }
        _ => None,
    }
}

impl OidcIssuer {
    /// An issuer at `url` signing with the RSA `key`.
    pub fn new(url: String, key: KeyPair) -> Option<Self> {
        let spki = key.subject_public_key_info();
        let (n, e) = rsa_components(&spki)?;
        let kid = hex::encode(&gitsign_protocol::sha256(&spki)[..8]);
        let jwk = serde_json::json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(&n), "e": URL_SAFE_NO_PAD.encode(&e),
        });
        let decoding = jsonwebtoken::DecodingKey::from_rsa_raw_components(&n, &e);
        Some(OidcIssuer { url, key, kid, jwk, decoding, pending: Mutex::default() })
    }

    /// The issuer URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves only short-lived login state behind.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Mints an ID token for `subject`.
    pub fn mint(&self, subject: &Subject, nonce: Option<String>, ttl: Duration) -> Result<String, SignError> {
        let iat = now_secs();
        let (sub, email) = match subject {
            Subject::Email(e) => (e.clone(), Some(e.clone())),
            Subject::Sub(s) => (s.clone(), None),
        };
        let claims = Claims {
            iss: self.url.clone(),
            sub,
            aud: serde_json::Value::from(CLIENT_ID),
            exp: iat + ttl.as_secs() as i64,
            iat,
            email_verified: email.as_ref().map(|_| true),
            email,
            nonce,
        };
        self.sign_claims(&claims)
    }

    /// Signs any claims as an RS256 JWT with the issuer's key (tests use it to make tokens that
    /// are expired, or for another audience).
    pub fn sign_claims(&self, claims: &Claims) -> Result<String, SignError> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default())
        );
        let sig = self.key.sign(signing_input.as_bytes())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// Verifies a token this issuer made, for audience `sigstore`.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = decode_header(token)?;
        if header.alg != jsonwebtoken::Algorithm::RS256 {
            return Err(TokenError::Algorithm { found: format!("{:?}", header.alg) });
        }
        decode_claims(token, &self.url, &self.decoding, header.alg)
    }
}

/// A token's header. An `alg` that jsonwebtoken does not know (`none`, an unsigned token) is
/// refused as an algorithm, by name, rather than as a malformed token.
pub fn decode_header(token: &str) -> Result<jsonwebtoken::Header, TokenError> {
    jsonwebtoken::decode_header(token).map_err(|e| {
        let alg = token
            .split('.')
            .next()
            .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
            .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok())
            .and_then(|h| h.get("alg")?.as_str().map(|a| a.chars().filter(|c| !c.is_control()).take(32).collect()));
        match alg {
            Some(found) => TokenError::Algorithm { found },
            None => TokenError::Malformed(e.to_string()),
        }
    })
}

/// The `iss` claim of a token, unverified (to pick the key that verifies it).
pub fn unverified_issuer(token: &str) -> Result<String, TokenError> {
    let claims = jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(token)
        .map_err(|e| TokenError::Malformed(e.to_string()))?;
    Ok(claims.get("iss").and_then(|i| i.as_str()).unwrap_or_default().to_string())
}

/// Verifies a token's signature with `key` and its claims: issuer `issuer`, audience `sigstore`,
/// not expired, email (if any) verified.
pub fn decode_claims(
    token: &str,
    issuer: &str,
    key: &jsonwebtoken::DecodingKey,
    alg: jsonwebtoken::Algorithm,
) -> Result<Claims, TokenError> {
    use jsonwebtoken::errors::ErrorKind;
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_audience(&[CLIENT_ID]);
    validation.set_issuer(&[issuer]);
    validation.leeway = 5;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<Claims>(token, key, &validation).map_err(|e| match e.kind() {
        ErrorKind::InvalidSignature => TokenError::Signature { issuer: issuer.to_string() },
        ErrorKind::ExpiredSignature => {
            let exp = jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(token).map(|c| c.exp).unwrap_or(0);
            TokenError::Expired { exp, now: now_secs() }
        }
        ErrorKind::InvalidAudience => TokenError::Audience { expected: CLIENT_ID.into() },
        ErrorKind::InvalidIssuer => {
            TokenError::Issuer { found: unverified_issuer(token).unwrap_or_default(), expected: issuer.to_string() }
        }
        _ => TokenError::Malformed(e.to_string()),
    })?;
    let claims = data.claims;
    if let Some(email) = &claims.email
        && claims.email_verified != Some(true)
    {
        return Err(TokenError::EmailNotVerified { email: email.clone() });
    }
    Ok(claims)
}

/// A redirect URI this issuer accepts: `http` to a loopback host, or the out-of-band URN.
pub fn loopback_redirect(uri: &str) -> bool {
    if uri == OOB_URI {
        return true;
    }
    let Ok(url) = url::Url::parse(uri) else { return false };
    url.scheme() == "http"
        && url.username().is_empty()
        && url.password().is_none()
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        }
}

/// The out-of-band redirect: the code is shown for the person to paste.
pub const OOB_URI: &str = "urn:ietf:wg:oauth:2.0:oob";

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.chars().all(|c| c.is_ascii_graphic())
        && !domain.contains('@')
        && email.len() <= 254
}

type Shared = Arc<OidcIssuer>;

/// Routes under the issuer path (`/oauth2`).
pub fn routes(issuer: Shared) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/keys", get(jwks))
        .route("/auth", get(authorize))
        .route("/auth/login", post(login))
        .route("/token", post(token))
        .route("/device/code", post(device_code))
        .route("/device", get(device_page).post(device_approve))
        .with_state(issuer)
}

async fn discovery(State(iss): State<Shared>) -> Json<serde_json::Value> {
    let u = &iss.url;
    Json(serde_json::json!({
        "issuer": u,
        "authorization_endpoint": format!("{u}/auth"),
        "token_endpoint": format!("{u}/token"),
        "jwks_uri": format!("{u}/keys"),
        "device_authorization_endpoint": format!("{u}/device/code"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "email", "email_verified", "nonce"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"],
    }))
}

async fn jwks(State(iss): State<Shared>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "keys": [iss.jwk] }))
}

fn error_page(status: StatusCode, what: &str) -> Response {
    (status, html_page("Sign-in failed", &format!("<p class=err>{}</p>", html_escape(what)))).into_response()
}

fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return error_page(StatusCode::BAD_REQUEST, "the redirect URI is not a URL");
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    Redirect::to(url.as_str()).into_response()
}

async fn authorize(State(iss): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str);
    if get("client_id") != Some(CLIENT_ID) {
        return error_page(
            StatusCode::BAD_REQUEST,
            &format!("unknown client_id {:?}; this issuer knows only {CLIENT_ID:?}", get("client_id").unwrap_or("")),
        );
    }
    let Some(redirect_uri) = get("redirect_uri").filter(|u| loopback_redirect(u)) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "redirect_uri must be an http:// URL on a loopback address (127.0.0.1, [::1], localhost) or the out-of-band URN",
        );
    };
    let state = get("state").map(str::to_string);
    let fail = |desc: &str| {
        let mut p = vec![("error", "invalid_request"), ("error_description", desc)];
        if let Some(s) = &state {
            p.push(("state", s));
        }
        redirect_with(redirect_uri, &p)
    };
    if get("response_type") != Some("code") {
        return fail("response_type must be code");
    }
    if !get("scope").unwrap_or("").split(' ').any(|s| s == "openid") {
        return fail("scope must include openid");
    }
    if get("code_challenge_method") != Some("S256") {
        return fail("PKCE with code_challenge_method=S256 is required");
    }
    let Some(code_challenge) = get("code_challenge").filter(|c| (43..=128).contains(&c.len())) else {
        return fail("code_challenge is missing or malformed");
    };
    let id = random_token(24);
    {
        let mut p = iss.lock();
        p.expire();
        p.requests.insert(
            id.clone(),
            AuthRequest {
                redirect_uri: redirect_uri.to_string(),
                state,
                nonce: get("nonce").map(str::to_string),
                code_challenge: code_challenge.to_string(),
                created: Instant::now(),
            },
        );
    }
    let body = format!(
        "<p>Sign in to the <b>gitsign-devstack</b> test issuer. Any email works: this issuer is for trying \
         and testing keyless signing, never for real identities.</p>\
         <form method=post action=\"{u}/auth/login\"><input type=hidden name=request value=\"{id}\">\
         <label>Email to sign as <input type=email name=email required autofocus></label> \
         <button type=submit>Sign in</button></form>",
        u = html_escape(&iss.url),
    );
    html_page("Sign in", &body).into_response()
}

#[derive(Deserialize)]
struct LoginForm {
    request: String,
    email: String,
}

async fn login(State(iss): State<Shared>, Form(form): Form<LoginForm>) -> Response {
    let email = form.email.trim().to_ascii_lowercase();
    let Some(req) = iss.lock().requests.remove(&form.request) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "this sign-in request is unknown or expired; start the sign-in again",
        );
    };
    if !valid_email(&email) {
        let mut p = vec![("error", "access_denied"), ("error_description", "not an email address")];
        if let Some(s) = &req.state {
            p.push(("state", s));
        }
        return redirect_with(&req.redirect_uri, &p);
    }
    let code = random_token(32);
    iss.lock().codes.insert(
        code.clone(),
        IssuedCode {
            redirect_uri: req.redirect_uri.clone(),
            nonce: req.nonce,
            code_challenge: req.code_challenge,
            email,
            created: Instant::now(),
        },
    );
    if req.redirect_uri == OOB_URI {
        return html_page(
            "Signed in",
            &format!("<p>Paste this code into your terminal:</p><pre>{}</pre>", html_escape(&code)),
        )
        .into_response();
    }
    let mut p = vec![("code", code.as_str())];
    if let Some(s) = &req.state {
        p.push(("state", s));
    }
    redirect_with(&req.redirect_uri, &p)
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn token_response(iss: &OidcIssuer, subject: &Subject, nonce: Option<String>) -> Response {
    match iss.mint(subject, nonce, TOKEN_TTL) {
        Ok(id_token) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(serde_json::json!({
                "access_token": random_token(32),
                "token_type": "Bearer",
                "expires_in": TOKEN_TTL.as_secs(),
                "scope": "openid email",
                "id_token": id_token,
            })),
        )
            .into_response(),
        Err(e) => token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e.to_string()),
    }
}

async fn token(State(iss): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    let get = |k: &str| f.get(k).map(String::as_str);
    if get("client_id").is_some_and(|c| c != CLIENT_ID) {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client_id");
    }
    match get("grant_type") {
        Some("authorization_code") => {
            let Some(issued) = get("code").and_then(|c| iss.lock().codes.remove(c)) else {
                return token_error(StatusCode::BAD_REQUEST, "invalid_grant", "the code is unknown, used or expired");
            };
            if get("redirect_uri") != Some(issued.redirect_uri.as_str()) {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri differs from the authorization request",
                );
            }
            let Some(verifier) = get("code_verifier") else {
                return token_error(StatusCode::BAD_REQUEST, "invalid_request", "code_verifier is required (PKCE)");
            };
            let computed = URL_SAFE_NO_PAD.encode(gitsign_protocol::sha256(verifier.as_bytes()));
            if computed != issued.code_challenge {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "code_verifier does not match the code_challenge",
                );
            }
            token_response(&iss, &Subject::Email(issued.email), issued.nonce)
        }
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            let Some(device_code) = get("device_code") else {
                return token_error(StatusCode::BAD_REQUEST, "invalid_request", "device_code is required");
            };
            let outcome = {
                let mut p = iss.lock();
                p.expire();
                match p.devices.get_mut(device_code) {
                    None => Err(("expired_token", "the device code is unknown or expired; start again")),
                    Some(grant) => {
                        let too_fast = grant
                            .last_poll
                            .is_some_and(|t| t.elapsed() < Duration::from_millis(DEVICE_INTERVAL * 1000 / 2));
                        grant.last_poll = Some(Instant::now());
                        match &grant.state {
                            DeviceState::Approved(email) => Ok(email.clone()),
                            DeviceState::Denied => Err(("access_denied", "the sign-in was refused")),
                            DeviceState::Pending if too_fast => Err(("slow_down", "poll less often")),
                            DeviceState::Pending => Err(("authorization_pending", "waiting for the person to sign in")),
                        }
                    }
                }
            };
            match outcome {
                Ok(email) => {
                    iss.lock().devices.remove(device_code);
                    token_response(&iss, &Subject::Email(email), None)
                }
                Err((error, description)) => token_error(StatusCode::BAD_REQUEST, error, description),
            }
        }
        other => token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {:?} is not supported", other.unwrap_or("")),
        ),
    }
}

fn user_code() -> String {
    const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        std::process::abort();
    }
    let c: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    format!("{}-{}", &c[..4], &c[4..])
}

async fn device_code(State(iss): State<Shared>, Form(f): Form<HashMap<String, String>>) -> Response {
    if f.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return token_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client_id");
    }
    let device = random_token(32);
    let user = user_code();
    {
        let mut p = iss.lock();
        p.expire();
        p.devices.insert(
            device.clone(),
            DeviceGrant {
                user_code: user.clone(),
                state: DeviceState::Pending,
                created: Instant::now(),
                last_poll: None,
            },
        );
    }
    let verification_uri = format!("{}/device", iss.url);
    Json(serde_json::json!({
        "device_code": device,
        "user_code": user,
        "verification_uri": verification_uri,
        "verification_uri_complete": format!("{verification_uri}?user_code={user}"),
        "expires_in": DEVICE_TTL.as_secs(),
        "interval": DEVICE_INTERVAL,
    }))
    .into_response()
}

async fn device_page(State(iss): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let code = q.get("user_code").map(String::as_str).unwrap_or("");
    let body = format!(
        "<p>Enter the code your terminal shows, and the email to sign as. This is the \
         <b>gitsign-devstack</b> test issuer: any email works.</p>\
         <form method=post action=\"{u}/device\"><label>Code <input name=user_code value=\"{c}\" required></label> \
         <label>Email <input type=email name=email></label> <button type=submit>Sign in</button> \
         <button type=submit name=action value=deny formnovalidate>Refuse</button></form>",
        u = html_escape(&iss.url),
        c = html_escape(code),
    );
    html_page("Device sign-in", &body).into_response()
}

#[derive(Deserialize)]
struct DeviceForm {
    user_code: String,
    #[serde(default)]
    email: String,
    /// `deny` refuses the sign-in.
    #[serde(default)]
    action: Option<String>,
}

async fn device_approve(State(iss): State<Shared>, Form(form): Form<DeviceForm>) -> Response {
    let deny = form.action.as_deref() == Some("deny");
    let email = form.email.trim().to_ascii_lowercase();
    if !deny && !valid_email(&email) {
        return error_page(StatusCode::BAD_REQUEST, "that is not an email address");
    }
    let wanted = form.user_code.trim().to_ascii_uppercase();
    let mut p = iss.lock();
    p.expire();
    match p.devices.values_mut().find(|d| d.user_code == wanted && matches!(d.state, DeviceState::Pending)) {
        Some(grant) if deny => {
            grant.state = DeviceState::Denied;
            html_page("Sign-in refused", "<p>Refused. The terminal that asked will be told.</p>").into_response()
        }
        Some(grant) => {
            grant.state = DeviceState::Approved(email);
            html_page("Signed in", "<p>Signed in. Return to your terminal; you can close this page.</p>")
                .into_response()
        }
        None => error_page(StatusCode::BAD_REQUEST, "that code is unknown, used or expired"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_must_be_loopback() {
        for ok in ["http://127.0.0.1:4000/auth/callback", "http://localhost/cb", "http://[::1]:9/x", OOB_URI] {
            assert!(loopback_redirect(ok), "{ok}");
        }
        for bad in [
            "https://127.0.0.1/cb",
            "http://127.0.0.1.evil.com/cb",
            "http://evil.com@127.0.0.1/x",
            "http://localhost.evil.com/",
            "http://10.0.0.1/",
            "javascript:alert(1)",
            "",
        ] {
            assert!(!loopback_redirect(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(valid_email("a@b.co"));
        for bad in ["", "a", "@b.co", "a@b", "a b@c.d", "a@b@c.d", "a@.b"] {
            assert!(!valid_email(bad), "{bad}");
        }
    }
}
