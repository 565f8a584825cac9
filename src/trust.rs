//! The trust root for this user: [`gitsign_core::trust::load_trust`] with the TUF cache
//! directory of `gitsign initialize` ([`crate::tuf::cache_dir`]) and its notes on stderr; and
//! the same root loaded early ([`early`]), while git config is still being read.

use gitsign_core::config::Config;
use gitsign_core::trust::{Refreshing, TrustSource};
use gitsign_core::verify::{TrustRoot, VerifyError};

/// Loads the trust root the configuration names (the embedded public-good one by default).
pub fn load_trust(config: &Config) -> Result<TrustRoot, VerifyError> {
    let cache = crate::tuf::cache_dir();
    gitsign_core::trust::load_trust(config, cache.as_deref(), &mut |note| eprintln!("gitsign: note: {note}"))
}

/// A trust root loaded before the configuration was known ([`early`]). It is used only through
/// [`Early::take`], which hands it over when the configuration names the same [`TrustSource`].
#[derive(Debug)]
pub struct Early {
    source: TrustSource,
    trust: TrustRoot,
    /// Notes from the load, printed only when the root is used.
    notes: Vec<String>,
}

/// Loads the trust root that `guess` (the configuration as the environment alone gives it, git
/// config not yet read) names, for a command to use while `git config` runs. `None` when that
/// load fails or would use the network (a TUF cache refresh is due): an early load is made only
/// when it is free to throw away, so everything it could print or change waits for the real one.
pub fn early(guess: &Config) -> Option<Early> {
    let source = TrustSource::of(guess);
    let cache = crate::tuf::cache_dir();
    let mut notes = Vec::new();
    let trust =
        gitsign_core::trust::load(&source, Refreshing::Forbidden, cache.as_deref(), &mut |n| notes.push(n.to_string()))
            .ok()?;
    Some(Early { source, trust, notes })
}

impl Early {
    /// The early root, to check a signature against before the configuration is known (its
    /// verdict stands only if [`Early::take`] then hands the root over).
    pub fn trust(&self) -> &TrustRoot {
        &self.trust
    }

    /// The root, when `config` (the full configuration) names the same source; its notes go to
    /// stderr as [`load_trust`]'s would. `None`: load the configuration's own.
    pub fn take(self, config: &Config) -> Option<TrustRoot> {
        if self.source != TrustSource::of(config) {
            return None;
        }
        crate::debug_log!("the trust root loaded while git config ran is the configured one: kept");
        for note in &self.notes {
            eprintln!("gitsign: note: {note}");
        }
        Some(self.trust)
    }
}

/// [`Early::take`], else [`load_trust`].
pub fn take_or_load(early: Option<Early>, config: &Config) -> Result<TrustRoot, VerifyError> {
    match early.and_then(|e| e.take(config)) {
        Some(trust) => Ok(trust),
        None => load_trust(config),
    }
}
