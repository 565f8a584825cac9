//! Loading the trust root a configuration names: `gitsign.trustedRoot`, else the root
//! `gitsign initialize` refreshed through TUF (in the cache directory the caller passes in), else
//! the public-good root built in; plus the extra Fulcio roots of `fulcioRoot` /
//! `SIGSTORE_ROOT_FILE` and the `insecureIgnoreSCT` setting.

use crate::config::Config;
use crate::tuf::{self, Cached};
use crate::verify::{self, TrustRoot, VerifyError};
use std::path::Path;

/// Loads the trust root the configuration names (the embedded public-good one by default).
/// `tuf_cache` is the directory `gitsign initialize` keeps its TUF state in (`None`: no such
/// directory on this system); `note` receives remarks for the person (a stale cached root).
pub fn load_trust(
    config: &Config,
    tuf_cache: Option<&Path>,
    note: &mut dyn FnMut(&str),
) -> Result<TrustRoot, VerifyError> {
    let mut trust = match &config.trusted_root {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| VerifyError::TrustRoot(format!("{}: {e}", path.display())))?;
            TrustRoot::from_json(&bytes, &path.display().to_string())?
        }
        // A root refreshed by `gitsign initialize`, else the one built in (also when the cached
        // one is an older public-good root than this binary's).
        None => match tuf_cache.map(|d| tuf::cached_trusted_root(d, verify::PUBLIC_GOOD)) {
            Some(Ok(Cached::Use(path, bytes))) => {
                TrustRoot::from_json(&bytes, &format!("the TUF-refreshed root {}", path.display()))?
            }
            Some(Ok(Cached::Stale(stale))) => {
                note(&stale);
                TrustRoot::public_good()?
            }
            Some(Err(e)) => return Err(VerifyError::TrustRoot(e.to_string())),
            Some(Ok(Cached::None)) | None => TrustRoot::public_good()?,
        },
    };
    for pem in [&config.fulcio_root, &config.root_file].into_iter().flatten() {
        let bytes = std::fs::read(pem).map_err(|e| VerifyError::TrustRoot(format!("{}: {e}", pem.display())))?;
        trust.add_pem_roots(&bytes)?;
    }
    trust.set_insecure_ignore_sct(config.insecure_ignore_sct);
    Ok(trust)
}
