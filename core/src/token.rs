//! Identity tokens as the core uses them: the raw JWT and the subject Fulcio's proof of
//! possession signs (read unverified: Fulcio verifies the token), and why none could be had.
//! Getting one (browser, device flow, GitHub Actions) is the program's business.

use crate::net::NetError;
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
