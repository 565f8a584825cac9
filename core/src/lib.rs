//! gitsign-core: the domain of gitsign, with no command line, no terminal and no subprocess.
//!
//! What it owns: typed settings resolved from a git-config map and an environment map
//! ([`config`]); the trust root a configuration names ([`trust`]) and the TUF client that refreshes
//! it ([`tuf`], the cache directory passed in); identity tokens ([`token`]) and signing credentials
//! ([`credential`]: ephemeral key and Fulcio certificate); the CMS signature ([`signature`]), the
//! embedded log entry ([`tlog`]), Sigstore bundles ([`bundle`]), RFC 3161 timestamps
//! ([`timestamp`]); signing ([`sign`]) and verification ([`verify`], [`online`] for Rekor's online
//! mode); git objects as bytes ([`gitobj`], read by the caller through [`gitobj::ObjectReader`]);
//! HTTP to Fulcio and Rekor ([`net`]).
//!
//! What it does not: parse command lines, open the terminal or `/dev/tty`, start processes (git,
//! a browser) or read the process environment. The program (`gitsign`) does those and passes in
//! what they produce — the environment as a map, the git config as a map, directories, git
//! objects. `tests/boundary.rs` holds this.
//!
//! Modules import one way (`scripts/module-cycles.sh` checks): [`text`], [`debug`] and [`config`]
//! at the bottom; then [`net`], [`tlog`], [`signature`], [`gitobj`]; [`verify`]; [`timestamp`],
//! [`bundle`], [`tuf`], [`token`]; [`trust`], [`credential`], [`online`]; [`sign`] on top.
#![forbid(unsafe_code)]

pub mod attest;
pub mod bundle;
pub mod config;
pub mod credential;
pub mod debug;
pub mod gitconfig;
pub mod gitobj;
pub mod net;
pub mod online;
pub mod policy;
pub mod sign;
pub mod signature;
pub mod text;
pub mod timestamp;
pub mod tlog;
mod tlv;
pub mod token;
pub mod trust;
pub mod tuf;
pub mod verify;

/// The workspace's one skip helper (fails under CI), shared with the integration tests.
#[cfg(test)]
#[path = "../../tests/it/common/skip.rs"]
mod test_skip;
