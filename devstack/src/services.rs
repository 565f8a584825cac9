//! What the handlers share: [`Services`] (the database, the CA, the log's signer, the issuers, the
//! trusted root) and [`Urls`] (where each service answers). Built once by [`crate::server`] and
//! handed to every route as axum state; this module only holds and lends them.

use crate::ca::Ca;
use crate::issuers::Issuers;
use crate::oidc::OidcIssuer;
use crate::rekor_v2::LogV2;
use crate::store::Store;
use crate::tlog::Log;
use crate::tsa::Tsa;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Where the services answer (serialised by the log explorer's front page, which lists every field).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Urls {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Fulcio base URL.
    pub fulcio: String,
    /// Rekor base URL.
    pub rekor: String,
    /// OIDC issuer URL.
    pub issuer: String,
    /// RFC 3161 timestamp authority URL (the full path clients post queries to).
    pub tsa: String,
    /// Rekor v2 log base URL (a port of its own).
    pub rekor_v2: String,
}

impl Urls {
    /// The URLs of services listening at `addr`, the Rekor v2 log at `rekor_v2`.
    pub(crate) fn new(addr: SocketAddr, rekor_v2: SocketAddr) -> Self {
        let base = format!("http://{addr}");
        Urls {
            fulcio: base.clone(),
            rekor: base.clone(),
            issuer: format!("{base}/oauth2"),
            tsa: format!("{base}{}", crate::tsa::TIMESTAMP_PATH),
            rekor_v2: format!("http://{rekor_v2}"),
            base,
        }
    }
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct Services {
    store: Mutex<Store>,
    /// The CA.
    pub ca: Ca,
    /// The log's signer.
    pub log: Log,
    /// The issuer.
    pub oidc: Arc<OidcIssuer>,
    /// Every issuer Fulcio trusts (the devstack's and `--trust-issuer` ones).
    pub issuers: Issuers,
    /// Where the services answer.
    pub urls: Urls,
    /// The trusted root, as written to the state directory.
    pub trusted_root_json: Vec<u8>,
    /// The timestamp authority.
    pub tsa: Tsa,
    /// The Rekor v2 log (served on its own port; the explorer reads it too).
    pub log_v2: Arc<LogV2>,
}

impl Services {
    /// The shared state over the database `store` and the services' parts.
    #[allow(clippy::too_many_arguments)] // each part the handlers share, built once by the server
    pub fn new(
        store: Store,
        ca: Ca,
        log: Log,
        oidc: Arc<OidcIssuer>,
        issuers: Issuers,
        urls: Urls,
        trusted_root_json: Vec<u8>,
        tsa: Tsa,
        log_v2: Arc<LogV2>,
    ) -> Self {
        Services { store: Mutex::new(store), ca, log, oidc, issuers, urls, trusted_root_json, tsa, log_v2 }
    }

    /// The database (a panic elsewhere while holding it leaves committed state intact, so the
    /// guard is taken over rather than propagated).
    pub fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The database mutex itself.
    pub fn store(&self) -> &Mutex<Store> {
        &self.store
    }
}
