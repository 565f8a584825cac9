//! The trust root for this user: [`gitsign_core::trust::load_trust`] with the TUF cache
//! directory of `gitsign initialize` ([`crate::tuf::cache_dir`]) and its notes on stderr.

use gitsign_core::config::Config;
use gitsign_core::verify::{TrustRoot, VerifyError};

/// Loads the trust root the configuration names (the embedded public-good one by default).
pub fn load_trust(config: &Config) -> Result<TrustRoot, VerifyError> {
    let cache = crate::tuf::cache_dir();
    gitsign_core::trust::load_trust(config, cache.as_deref(), &mut |note| eprintln!("gitsign: note: {note}"))
}
