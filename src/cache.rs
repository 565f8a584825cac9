//! gitsign's side of the credential cache (`GITSIGN_CREDENTIAL_CACHE=<socket>`): a cached
//! credential for this configuration when one lives 30 s more, else a login whose result is
//! stored for the next signature. Any cache failure — no daemon, a stale socket, a garbage
//! answer — costs a one-line note and a normal login; signing never fails because of the cache.

use crate::config::{Config, Env};
use crate::net::Http;
use crate::sign::{Credential, SignError, obtain_credential};
use crate::ui::Ui;
use gitsign_credential_cache::{client, protocol};
use p256::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use std::path::Path;
use std::time::Duration;

/// A credential is never handed out with less than this left.
const MIN_VALID_SECS: i64 = 30;

/// What a credential is for: the same Fulcio, issuer and client get the same credential, so one
/// login serves every repository of the user with that configuration.
pub fn cache_key(config: &Config) -> String {
    hex::encode(gitsign_protocol::sha256(
        format!("{}\0{}\0{}", config.fulcio, config.issuer, config.client_id).as_bytes(),
    ))
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

fn encode(c: &Credential) -> Option<protocol::Credential> {
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
    let wait = config.login_timeout;
    let get = protocol::Request::Get { key: key.clone(), min_valid: MIN_VALID_SECS, wait: wait.as_secs() };
    let lead = match client::call(socket, get, wait + Duration::from_secs(5)) {
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
        Ok(other) => {
            note(ui, socket, format!("unexpected answer {other:?}"));
            false
        }
        Err(e) => {
            note(ui, socket, e);
            false
        }
    };
    let fresh = obtain_credential(config, env, http, ui);
    let store = match (&fresh, lead) {
        (Ok(c), _) => encode(c).map(|credential| protocol::Request::Put { key, credential }),
        (Err(_), true) => Some(protocol::Request::Abandon { key }),
        (Err(_), false) => None,
    };
    if let Some(request) = store
        && let Err(e) = client::call(socket, request, Duration::from_secs(5))
    {
        ui.say(&format!("gitsign: credential cache {}: could not store the credential: {e}", socket.display()));
    }
    fresh
}

/// The keyring entry of a configuration's credential (service `gitsign`).
fn keyring_entry(config: &Config) -> Result<keyring::Entry, keyring::Error> {
    keyring::Entry::new("gitsign", &cache_key(config))
}

/// A credential through the OS keyring (`gitsign.credentialCacheMode=keyring`): no daemon; the
/// credential lives in the user's keyring (Secret Service, Keychain, Credential Manager) until
/// it expires.
pub fn keyring_credential(config: &Config, env: &Env, http: &Http, ui: &mut Ui) -> Result<Credential, SignError> {
    let cached = keyring_entry(config).and_then(|e| e.get_secret());
    match cached {
        Ok(secret) => {
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let parsed = serde_json::from_slice::<protocol::Credential>(&secret).ok();
            if let Some(c) = parsed.filter(|c| c.not_after - now >= MIN_VALID_SECS).as_ref().and_then(decode) {
                crate::debug_log!("credential from the OS keyring");
                return Ok(c);
            }
        }
        Err(keyring::Error::NoEntry) => {}
        Err(e) => ui.say(&format!("gitsign: OS keyring unavailable ({e}); logging in")),
    }
    let fresh = obtain_credential(config, env, http, ui)?;
    let stored = encode(&fresh)
        .and_then(|c| serde_json::to_vec(&c).ok())
        .ok_or_else(|| "cannot encode the credential".to_string())
        .and_then(|bytes| keyring_entry(config).and_then(|e| e.set_secret(&bytes)).map_err(|e| e.to_string()));
    if let Err(e) = stored {
        ui.say(&format!("gitsign: could not keep the credential in the OS keyring: {e}"));
    }
    Ok(fresh)
}
