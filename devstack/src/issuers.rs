//! The identity-token issuers the devstack's Fulcio trusts: its own issuer, and external OpenID
//! providers named with `--trust-issuer`, whose signing keys come from their discovery
//! documents (fetched on first use, refreshed when a token names an unknown key).

use crate::oidc::{Claims, OidcIssuer, TokenError, decode_claims, unverified_issuer};
use jsonwebtoken::jwk::JwkSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// An external issuer and its cached keys.
#[derive(Debug)]
struct External {
    url: String,
    keys: Mutex<Option<(Instant, JwkSet)>>,
}

/// Every trusted issuer.
#[derive(Debug)]
pub struct Issuers {
    own: Arc<OidcIssuer>,
    external: Vec<External>,
}

const REFRESH_AFTER: Duration = Duration::from_secs(10);

fn fetch_keys(issuer: &str) -> Result<JwkSet, String> {
    let client =
        reqwest::blocking::Client::builder().timeout(Duration::from_secs(10)).build().map_err(|e| e.to_string())?;
    let discovery = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let doc: serde_json::Value = client
        .get(&discovery)
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .map_err(|e| format!("{discovery}: {e}"))?;
    let jwks_uri =
        doc.get("jwks_uri").and_then(|u| u.as_str()).ok_or_else(|| format!("{discovery} names no jwks_uri"))?;
    client
        .get(jwks_uri)
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.json())
        .map_err(|e| format!("{jwks_uri}: {e}"))
}

impl Issuers {
    /// The devstack's issuer plus the external ones at `urls`.
    pub fn new(own: Arc<OidcIssuer>, urls: &[String]) -> Self {
        let external = urls
            .iter()
            .map(|u| External { url: u.trim_end_matches('/').to_string(), keys: Mutex::new(None) })
            .collect();
        Issuers { own, external }
    }

    /// Every trusted issuer URL, the devstack's first.
    pub fn urls(&self) -> Vec<String> {
        std::iter::once(self.own.url().to_string()).chain(self.external.iter().map(|e| e.url.clone())).collect()
    }

    /// Verifies a token from any trusted issuer.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let iss = unverified_issuer(token)?;
        if iss == self.own.url() {
            return self.own.verify(token);
        }
        let Some(ext) = self.external.iter().find(|e| e.url == iss.trim_end_matches('/')) else {
            return Err(TokenError::Issuer { found: iss, expected: format!("{:?}", self.urls()) });
        };
        let header = crate::oidc::decode_header(token)?;
        use jsonwebtoken::Algorithm::{HS256, HS384, HS512};
        if matches!(header.alg, HS256 | HS384 | HS512) {
            return Err(TokenError::Algorithm { found: format!("{:?}", header.alg) });
        }
        let mut cache = ext.keys.lock().unwrap_or_else(|p| p.into_inner());
        let find = |set: &JwkSet| match &header.kid {
            Some(kid) => set.find(kid).cloned(),
            None => set.keys.first().cloned(),
        };
        let mut jwk = cache.as_ref().and_then(|(_, set)| find(set));
        let stale = cache.as_ref().is_none_or(|(at, _)| at.elapsed() > REFRESH_AFTER);
        if jwk.is_none() && stale {
            let set = fetch_keys(&ext.url).map_err(|detail| TokenError::Keys { issuer: ext.url.clone(), detail })?;
            jwk = find(&set);
            *cache = Some((Instant::now(), set));
        }
        drop(cache);
        let jwk = jwk.ok_or_else(|| TokenError::Signature { issuer: ext.url.clone() })?;
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk)
            .map_err(|e| TokenError::Keys { issuer: ext.url.clone(), detail: e.to_string() })?;
        decode_claims(token, &ext.url, &key, header.alg)
    }
}
