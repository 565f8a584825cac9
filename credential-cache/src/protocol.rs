//! The cache's wire protocol, shared by the daemon and gitsign: one JSON request and one JSON
//! answer per line over a Unix socket, each carrying the protocol version. A version mismatch
//! is refused explicitly, so an old client never misreads a new daemon.

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// The protocol version both sides speak.
pub const VERSION: u32 = 1;

/// A cached credential: the ephemeral key and its certificate chain.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Credential {
    /// PKCS#8 DER of the private key, base64. Zeroized when dropped.
    pub key_pkcs8: String,
    /// DER certificates, leaf first, base64.
    pub chain: Vec<String>,
    /// Unix time the certificate expires.
    pub not_after: i64,
    /// Who the certificate names (for listing).
    pub identity: String,
}

impl Drop for Credential {
    fn drop(&mut self) {
        self.key_pkcs8.zeroize();
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("identity", &self.identity)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// A request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Request {
    /// The credential stored under `key`, if it lives at least `min_valid` more seconds. With
    /// `lead`, a miss makes this client the one that logs in: other clients asking for the same
    /// key wait (up to `wait` seconds) for its `put` instead of logging in too.
    Get {
        /// What the credential is for.
        key: String,
        /// Seconds it must still be valid.
        min_valid: i64,
        /// Seconds to wait for another client's login in progress.
        wait: u64,
    },
    /// Stores a credential.
    Put {
        /// What it is for.
        key: String,
        /// The credential.
        credential: Credential,
    },
    /// Gives up a login this client was leading (so waiters stop waiting).
    Abandon {
        /// What it was for.
        key: String,
    },
    /// Lists the cached credentials (no keys).
    List,
    /// Drops every cached credential.
    Clear,
}

/// A request with its version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// [`VERSION`].
    pub v: u32,
    /// The message.
    #[serde(flatten)]
    pub body: T,
}

/// One listed entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// What it is for.
    pub key: String,
    /// Who the certificate names.
    pub identity: String,
    /// When it expires.
    pub not_after: i64,
}

/// An answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Response {
    /// The credential.
    Hit {
        /// It.
        credential: Credential,
    },
    /// Nothing usable; the client should log in (and `put` the result).
    Miss,
    /// Done.
    Ok,
    /// The cached entries.
    Entries {
        /// Them.
        entries: Vec<Entry>,
    },
    /// Refused or failed.
    Error {
        /// Why.
        message: String,
    },
}

/// The default socket path: `<user cache dir>/sigstore/gitsign/cache.sock`, as the Go gitsign.
pub fn default_socket() -> Option<std::path::PathBuf> {
    directories::BaseDirs::new().map(|d| d.cache_dir().join("sigstore/gitsign/cache.sock"))
}
