//! gitsign's side of the credential cache (`GITSIGN_CREDENTIAL_CACHE=<socket>`): a cached
//! credential for this configuration when one lives 30 s more, else a login whose result is
//! stored for the next signature. A token that comes without a prompt (`SIGSTORE_ID_TOKEN`,
//! GitHub Actions) names the identity the user asked for: a cached credential serves it only
//! when it was got with a token of the same issuer and subject; otherwise gitsign signs with the
//! token and the cache keeps the new credential. Any cache failure — no daemon, a stale socket, a
//! garbage answer — costs a one-line note and a normal login; signing never fails because of the
//! cache.

use crate::identity::{self, Token};
use crate::ui::Ui;
use gitsign_core::config::{Config, Env};
use gitsign_core::credential::{Credential, credential_for_token};
use gitsign_core::net::Http;
use gitsign_core::sign::SignError;
use gitsign_credential_cache::{client, protocol};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use std::path::Path;
use std::time::Duration;
use zeroize::Zeroizing;

/// A credential is never handed out with less than this left.
pub const MIN_VALID_SECS: i64 = 30;

/// What a credential is for: the same Fulcio, issuer, client and Dex connector get the same
/// credential, so one login serves every repository of the user with that configuration.
pub fn cache_key(config: &Config) -> String {
    let connector = config.connector_id.as_deref().unwrap_or("");
    hex::encode(gitsign_protocol::sha256(
        format!("{}\0{}\0{}\0{connector}", config.fulcio, config.issuer, config.client_id).as_bytes(),
    ))
}

/// The issuer and subject an identity token names (read unverified: Fulcio verifies it).
fn who(token: &Token) -> Result<protocol::Who, SignError> {
    use base64::Engine as _;
    let bad = |d: &str| SignError::from(identity::IdentityError::BadToken(d.to_string()));
    let payload = token.raw.split('.').nth(1).ok_or_else(|| bad("not a JWT"))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| bad("the JWT payload is not base64url"))?;
    #[derive(serde::Deserialize)]
    struct Claims {
        iss: String,
        sub: String,
        email: Option<String>,
    }
    let c: Claims =
        serde_json::from_slice(&bytes).map_err(|e| bad(&format!("the JWT payload lacks iss or sub ({e})")))?;
    Ok(protocol::Who { issuer: c.iss, subject: c.sub, email: c.email })
}
fn note(ui: &mut Ui, socket: &Path, what: impl std::fmt::Display) {
    ui.say(&format!("gitsign: credential cache {}: {what}; logging in instead", socket.display()));
}

fn decode(c: &protocol::Credential) -> Option<Credential> {
    let der = zeroize::Zeroizing::new(gitsign_protocol::unb64(&c.key_pkcs8).ok()?);
    let key = p256::ecdsa::SigningKey::from_pkcs8_der(&der).ok()?;
    let chain = c.chain.iter().map(|d| gitsign_protocol::unb64(d).ok()).collect::<Option<Vec<_>>>()?;
    (!chain.is_empty()).then(|| Credential::from_parts(key, chain))
}

fn encode(c: &Credential, token: protocol::Who) -> Option<protocol::Credential> {
    use x509_parser::prelude::FromDer as _;
    let leaf = c.chain.first()?;
    let (_, cert) = x509_parser::certificate::X509Certificate::from_der(leaf).ok()?;
    let identity = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .and_then(|s| s.value.general_names.first().map(|n| n.to_string()))
        .unwrap_or_default();
    let der = c.key().to_pkcs8_der().ok()?;
    Some(protocol::Credential {
        key_pkcs8: gitsign_protocol::b64(der.as_bytes()),
        chain: c.chain.iter().map(gitsign_protocol::b64).collect(),
        not_after: cert.validity().not_after.timestamp(),
        identity,
        token,
    })
}

/// A credential through the cache at `socket`.
pub fn credential(
    socket: &Path,
    config: &Config,
    env: &Env,
    http: &Http,
    ui: &mut Ui,
) -> Result<Credential, SignError> {
    let key = cache_key(config);
    let ambient = crate::providers::ambient_token(config, env, http)?;
    let want = ambient.as_ref().map(who).transpose()?;
    let wait = config.login_timeout;
    let get = protocol::Request::Get {
        key: key.clone(),
        min_valid: MIN_VALID_SECS,
        wait: wait.as_secs(),
        want: want.clone(),
    };
    // Whether the cache answered in the protocol (else nothing is stored: one note is enough).
    let mut answered = true;
    let lead = match client::call(socket, get, wait + Duration::from_secs(5)) {
        Ok(protocol::Response::Hit { credential }) if want.as_ref().is_some_and(|w| *w != credential.token) => {
            note(ui, socket, "it answered a credential for another identity than the token's");
            false
        }
        Ok(protocol::Response::Hit { credential }) => match decode(&credential) {
            Some(c) => {
                crate::debug_log!("credential from the cache at {}", socket.display());
                return Ok(c);
            }
            None => {
                note(ui, socket, "it holds an unreadable credential");
                false
            }
        },
        Ok(protocol::Response::Miss) => true,
        Ok(protocol::Response::Error { message }) => {
            note(ui, socket, crate::ui::sanitize(&message));
            false
        }
        Ok(other) => {
            note(ui, socket, format!("unexpected answer {other:?}"));
            false
        }
        Err(e) => {
            note(ui, socket, e);
            answered = false;
            false
        }
    };
    let fresh = match ambient {
        Some(token) => credential_for_token(config, http, &token).map(|c| (c, want)).map_err(SignError::from),
        None => identity::get_token(config, env, http, ui)
            .map_err(SignError::from)
            .and_then(|token| Ok((credential_for_token(config, http, &token)?, who(&token).ok()))),
    };
    let store = match (&fresh, lead) {
        _ if !answered => None,
        (Ok((c, Some(w))), _) => encode(c, w.clone()).map(|credential| protocol::Request::Put { key, credential }),
        (_, true) => Some(protocol::Request::Abandon { key }),
        (_, false) => None,
    };
    if let Some(request) = store
        && let Err(e) = client::call(socket, request, Duration::from_secs(5))
    {
        ui.say(&format!("gitsign: credential cache {}: could not store the credential: {e}", socket.display()));
    }
    fresh.map(|(c, _)| c)
}

/// The keyring entry of a configuration's credential (service `gitsign`).
fn keyring_entry(config: &Config) -> Result<keyring::Entry, keyring::Error> {
    keyring::Entry::new("gitsign", &cache_key(config))
}

/// A credential through the OS keyring (`gitsign.credentialCacheMode=keyring`): no daemon; the
/// credential lives in the user's keyring (Secret Service, Keychain, Credential Manager) until
/// it expires. The same identity rule as the daemon's applies; every buffer that held the key is
/// wiped.
pub fn keyring_credential(config: &Config, env: &Env, http: &Http, ui: &mut Ui) -> Result<Credential, SignError> {
    let ambient = crate::providers::ambient_token(config, env, http)?;
    let want = ambient.as_ref().map(who).transpose()?;
    let cached = keyring_entry(config).and_then(|e| e.get_secret()).map(Zeroizing::new);
    match cached {
        Ok(secret) => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let parsed = serde_json::from_slice::<protocol::Credential>(&secret).ok();
            let usable = parsed
                .filter(|c| c.not_after - now >= MIN_VALID_SECS)
                .filter(|c| want.as_ref().is_none_or(|w| *w == c.token));
            if let Some(c) = usable.as_ref().and_then(decode) {
                crate::debug_log!("credential from the OS keyring");
                return Ok(c);
            }
        }
        Err(keyring::Error::NoEntry) => {}
        Err(e) => ui.say(&format!("gitsign: OS keyring unavailable ({e}); logging in")),
    }
    let token = match ambient {
        Some(token) => token,
        None => identity::get_token(config, env, http, ui)?,
    };
    let fresh = credential_for_token(config, http, &token)?;
    let stored = who(&token)
        .ok()
        .and_then(|w| encode(&fresh, w))
        .and_then(|c| {
            let mut buf = Zeroizing::new(vec![0u8; protocol::MAX_MESSAGE]);
            let mut rest: &mut [u8] = &mut buf[..];
            serde_json::to_writer(&mut rest, &c).ok()?;
            let len = protocol::MAX_MESSAGE - rest.len();
            buf.truncate(len);
            Some(buf)
        })
        .ok_or_else(|| "cannot encode the credential".to_string())
        .and_then(|bytes| keyring_entry(config).and_then(|e| e.set_secret(&bytes)).map_err(|e| e.to_string()));
    if let Err(e) = stored {
        ui.say(&format!("gitsign: could not keep the credential in the OS keyring: {e}"));
    }
    Ok(fresh)
}
