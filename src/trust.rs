//! The trust root for this user: [`gitsign_core::trust::load_trust`] with the TUF cache
//! directory of `gitsign initialize` ([`crate::tuf::cache_dir`]) and its notes on stderr; and
//! the same root loaded early ([`early`]), while git config is still being read. Either is told
//! of the chain links earlier runs verified ([`keep_links`]).

use gitsign_core::config::Config;
use gitsign_core::trust::{Refreshing, TrustSource};
use gitsign_core::verify::{LinkId, TrustRoot, VerifyError};

/// Loads the trust root the configuration names (the embedded public-good one by default).
pub fn load_trust(config: &Config) -> Result<TrustRoot, VerifyError> {
    let cache = crate::tuf::cache_dir();
    let mut trust =
        gitsign_core::trust::load_trust(config, cache.as_deref(), &mut |note| eprintln!("gitsign: note: {note}"))?;
    trust.know_links(kept_links());
    Ok(trust)
}

/// The kept file ([`crate::kept`]) of trust-root chain links earlier runs verified
/// ([`LinkId`]): one in hex per line, newest first. Whoever can write it could vouch for a CA
/// certificate its issuer never signed, so it is read only as the user's own file, in the
/// user's own cache directory: where the TUF cache and the git config choosing the trust root
/// are, which give that power already.
const LINKS_FILE: &str = "verified-chain-links";

/// Links kept at most (and lines read). A trust root has a few (the public-good one two, the
/// devstack's two), and the newest are kept first: more only when roots or builds change.
const LINKS_KEPT: usize = 64;

/// The chain links earlier runs kept; none if the file is not the user's own or any of its
/// first [`LINKS_KEPT`] lines is not a link.
fn kept_links() -> Vec<LinkId> {
    let Some(text) = crate::kept::read(LINKS_FILE) else { return Vec::new() };
    let links: Option<Vec<LinkId>> = text
        .lines()
        .take(LINKS_KEPT)
        .map(|line| hex::decode(line).ok().and_then(|id| LinkId::try_from(id).ok()))
        .collect();
    links.unwrap_or_else(|| {
        crate::debug_log!("the kept chain links do not parse: ignored");
        Vec::new()
    })
}

/// Keeps the chain links `trust` verified in this run for the next ones
/// ([`TrustRoot::links_verified`]), so that a process per signature (`git verify-commit`,
/// `git log --show-signature`) does not verify its trust root's CA certificates every time.
/// Writes only when a link was verified: once per trust root and build, as long as the file can
/// be kept.
pub fn keep_links(trust: &TrustRoot) {
    let mut links = trust.links_verified();
    if links.is_empty() {
        return;
    }
    let new = links.len();
    for id in kept_links() {
        if !links.contains(&id) {
            links.push(id);
        }
    }
    links.truncate(LINKS_KEPT);
    let text: String = links.iter().map(|id| format!("{}\n", hex::encode(id))).collect();
    let kept = crate::kept::write(LINKS_FILE, &text);
    crate::debug_log!("{new} trust-root chain link(s) verified: {}", if kept { "kept" } else { "could not be kept" });
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
    let mut trust =
        gitsign_core::trust::load(&source, Refreshing::Forbidden, cache.as_deref(), &mut |n| notes.push(n.to_string()))
            .ok()?;
    trust.know_links(kept_links());
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
            // Not the root to use, but what it verified of its chains is as true.
            keep_links(&self.trust);
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
