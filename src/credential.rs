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
/// else a login), then [`sign_with`]; with the trust root loaded early when it is the one `config`
/// names (see [`crate::trust::early`]).
pub fn sign(
    payload: &[u8],
    config: &Config,
    env: &Env,
    ui: &mut Ui,
    early: Option<crate::trust::Early>,
) -> Result<Signed, SignError> {
    let trust = crate::trust::take_or_load(early, config).map_err(SignError::Trust)?;
    crate::debug_log!("trust root loaded");
    let http = Http::new(config.timeout)?;
    crate::debug_log!("HTTP client ready");
    let credential =
        match (&config.credential_cache_mode, env.get("GITSIGN_CREDENTIAL_CACHE").filter(|p| !p.is_empty())) {
            (Some(CacheMode::Keyring), _) => crate::cache::keyring_credential(config, env, &http, ui)?,
            (_, Some(socket)) => crate::cache::credential(std::path::Path::new(socket), config, env, &http, ui)?,
            _ => obtain_credential(config, env, &http, ui)?,
        };
    if config.match_committer {
        match_committer(payload, &credential)?;
    }
    let signed = sign_with(payload, &credential, config, &http, &trust);
    crate::trust::keep_links(&trust);
    signed
}

/// The committer (tagger in a tag) of a payload: (name, email).
fn committer(payload: &[u8]) -> Option<(String, String)> {
    let text = String::from_utf8_lossy(payload);
    let line = text
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("committer ").or_else(|| l.strip_prefix("tagger ")))?;
    let (open, close) = (line.rfind('<')?, line.rfind('>')?);
    (open < close).then(|| (line[..open].trim().to_string(), line[open + 1..close].to_string()))
}

/// `gitsign.matchCommitter` at signing, as the Go gitsign checks it, before anything is signed or
/// logged: one of the certificate's email SANs must be the committer's email, or one of its URI
/// SANs the committer's name (a CI identity). Data without a committer is refused.
fn match_committer(payload: &[u8], credential: &Credential) -> Result<(), SignError> {
    use x509_parser::prelude::{FromDer, GeneralName, ParsedExtension, X509Certificate};
    let (name, email) = committer(payload).unwrap_or_default();
    let mut found = Vec::new();
    if let Some(Ok((_, cert))) = credential.chain.first().map(|der| X509Certificate::from_der(der)) {
        for ext in cert.extensions() {
            if let ParsedExtension::SubjectAlternativeName(san) = ext.parsed_extension() {
                for n in &san.general_names {
                    match n {
                        GeneralName::RFC822Name(e) if !email.is_empty() && *e == email => return Ok(()),
                        GeneralName::URI(u) if !name.is_empty() && *u == name => return Ok(()),
                        GeneralName::RFC822Name(e) => found.push(format!("email {e}")),
                        GeneralName::URI(u) => found.push(format!("URI {u}")),
                        _ => {}
                    }
                }
            }
        }
    }
    let found = if found.is_empty() { "no email or URI identity".to_string() } else { found.join(", ") };
    Err(SignError::MatchCommitter {
        name: crate::ui::sanitize(&name),
        email: crate::ui::sanitize(&email),
        found: crate::ui::sanitize(&found),
    })
}
