//! Where a signature's credential comes from: the OS keyring (`gitsign.credentialCacheMode=keyring`),
//! the credential cache daemon (`GITSIGN_CREDENTIAL_CACHE`), else a login ([`crate::identity`])
//! and a fresh certificate ([`gitsign_core::credential`]); then [`gitsign_core::sign::sign_with`].

use crate::ui::Ui;
use gitsign_core::config::{CacheMode, Config, Env};
use gitsign_core::credential::{Credential, credential_for_token};
use gitsign_core::net::Http;
use gitsign_core::sign::{SignError, Signed, sign_with};

/// Logs in, makes an ephemeral key, and gets a certificate for it from Fulcio.
pub fn obtain_credential(config: &Config, env: &Env, http: &Http, ui: &mut Ui) -> Result<Credential, SignError> {
    let token = crate::identity::get_token(config, env, http, ui)?;
    Ok(credential_for_token(config, http, &token)?)
}

/// Signs `payload`: a credential (from the cache when one is configured and holds a fresh one,
/// else a login), then [`sign_with`].
pub fn sign(payload: &[u8], config: &Config, env: &Env, ui: &mut Ui) -> Result<Signed, SignError> {
    let trust = crate::trust::load_trust(config).map_err(SignError::Trust)?;
    crate::debug_log!("trust root loaded");
    let http = Http::new(config.timeout)?;
    crate::debug_log!("HTTP client ready");
    let credential =
        match (&config.credential_cache_mode, env.get("GITSIGN_CREDENTIAL_CACHE").filter(|p| !p.is_empty())) {
            (Some(CacheMode::Keyring), _) => crate::cache::keyring_credential(config, env, &http, ui)?,
            (_, Some(socket)) => crate::cache::credential(std::path::Path::new(socket), config, env, &http, ui)?,
            _ => obtain_credential(config, env, &http, ui)?,
        };
    sign_with(payload, &credential, config, &http, &trust)
}
