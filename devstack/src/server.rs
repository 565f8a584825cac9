//! Putting the devstack together: open the state, bind loopback, route Fulcio, Rekor, the OIDC
//! issuer and the web page on one port, write the client files once ready, and serve until told
//! to stop — in the foreground ([`Devstack::serve`]) or on a thread of its own ([`Running`], for
//! tests and the demo).

use crate::ca::Ca;
use crate::issuers::Issuers;
use crate::oidc::OidcIssuer;
use crate::services::{Services, Urls};
use crate::state::{self, Keys, StateDir, StateError};
use crate::tlog::Log;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A failure to start or run the devstack.
#[derive(Debug, thiserror::Error)]
pub enum DevstackError {
    /// The state directory could not be used.
    #[error(transparent)]
    State(#[from] StateError),
    /// The listen address is not loopback.
    #[error("refusing to listen on {0}: the devstack serves loopback addresses only (127.0.0.0/8, ::1)")]
    NotLoopback(SocketAddr),
    /// Binding failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address.
        addr: SocketAddr,
        /// Cause.
        source: std::io::Error,
    },
    /// The HTTP server failed.
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
    /// The log can be served only at the address it is named after.
    #[error(
        "the log of this state directory is named {name}: its checkpoints are signed under that name, which \
         verifiers match against the log's URL, so it is served only at http://{name}; {why}"
    )]
    LogAddress {
        /// The log's name (its address).
        name: String,
        /// What went wrong, and what to do.
        why: String,
    },
    /// The stored keys do not make a working CA or issuer.
    #[error("the stored keys are unusable: {0}")]
    Keys(String),
}

/// The state key of the address the log was first served at. The log signs its checkpoints
/// under that address (`127.0.0.1:PORT`, origin `127.0.0.1:PORT - <tree ID>`), as Rekor signs
/// under its host name; a checkpoint's origin names its log for good, and verifiers accept a
/// signature only under a name their trust root's URL for the log contains. So the log is
/// served at that address on every start: when the port is taken, or `--listen` asks for
/// another, the devstack refuses to start rather than rename the log (which would make every
/// checkpoint signed before fail against the new trust root). A second log (Rekor v2) gets its
/// own port and so its own name.
pub const LOG_ADDRESS: &str = "log_address";

/// The state key of the address the Rekor v2 log was first served at (its name, by the same
/// rule as [`LOG_ADDRESS`]).
pub const LOG_V2_ADDRESS: &str = "log_v2_address";

/// What to run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The state directory.
    pub state_dir: PathBuf,
    /// Listen address; default: the log's address (see [`LOG_ADDRESS`]), or an ephemeral port on
    /// 127.0.0.1 for a new log. Another address than the log's is refused.
    pub listen: Option<SocketAddr>,
    /// External OIDC issuers whose tokens Fulcio also accepts.
    pub trusted_issuers: Vec<String>,
    /// Lifetime of issued certificates (default 10 minutes; tests shorten it).
    pub cert_lifetime: Option<std::time::Duration>,
}

impl Options {
    /// Defaults for the state directory `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Options { state_dir: dir.into(), ..Default::default() }
    }
}

/// A devstack bound to its port, ready to serve.
#[derive(Debug)]
pub struct Devstack {
    listener: tokio::net::TcpListener,
    listener_v2: tokio::net::TcpListener,
    log_v2: Arc<crate::rekor_v2::LogV2>,
    services: Arc<Services>,
    state: StateDir,
}

async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, DevstackError> {
    if !addr.ip().is_loopback() {
        return Err(DevstackError::NotLoopback(addr));
    }
    tokio::net::TcpListener::bind(addr).await.map_err(|source| DevstackError::Bind { addr, source })
}

impl Devstack {
    /// Opens the state (making it on the first start), binds, and writes the client files.
    pub async fn open(options: &Options) -> Result<Devstack, DevstackError> {
        let state = StateDir::open(&options.state_dir)?;
        // A stale env.sh would tell a waiting script the services are up before they are.
        let env = state::env_path(state.path());
        if env.exists() {
            std::fs::remove_file(&env).map_err(|source| StateError::Io { path: env.clone(), source })?;
        }
        let mut store = state.store()?;
        store.backfill_search(crate::tlog::SEARCH_KEYS_VERSION, crate::tlog::search_keys).map_err(StateError::from)?;
        let keys = Keys::load_or_create(&store)?;
        let stored_addr = |name: &str| -> Result<Option<SocketAddr>, StateError> {
            Ok(store.meta(name)?.and_then(|a| String::from_utf8(a).ok()).and_then(|a| a.parse::<SocketAddr>().ok()))
        };
        // The log is named after the address it was first served at (see `LOG_ADDRESS`).
        let log_addr = stored_addr(LOG_ADDRESS)?;
        let previous = stored_addr("listen")?;
        let listener = match (options.listen, log_addr, previous) {
            (Some(asked), Some(log), _) if asked != log => {
                return Err(DevstackError::LogAddress {
                    name: log.to_string(),
                    why: format!(
                        "{asked} was asked for: drop --listen/--port, or start a new log with another --state"
                    ),
                });
            }
            (Some(addr), _, _) => bind(addr).await?,
            (None, Some(log), _) => bind(log).await.map_err(|e| DevstackError::LogAddress {
                name: log.to_string(),
                why: format!("{e}; stop what listens on port {}, or start a new log with another --state", log.port()),
            })?,
            // A state directory from before logs were named: the last address if it is free.
            (None, None, Some(addr)) => match bind(addr).await {
                Ok(l) => l,
                Err(_) => bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?,
            },
            (None, None, None) => bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?,
        };
        let addr = listener.local_addr().map_err(DevstackError::Serve)?;
        // The Rekor v2 log: its own port, kept for good once chosen (it names the log).
        let listener_v2 = match stored_addr(LOG_V2_ADDRESS)? {
            Some(v2) => bind(v2).await.map_err(|e| DevstackError::LogAddress {
                name: v2.to_string(),
                why: format!(
                    "{e}; stop what listens on port {} (the Rekor v2 log's), or start a new log with another --state",
                    v2.port()
                ),
            })?,
            None => bind(SocketAddr::from((addr.ip(), 0))).await?,
        };
        let addr_v2 = listener_v2.local_addr().map_err(DevstackError::Serve)?;
        store.set_meta(LOG_V2_ADDRESS, addr_v2.to_string().as_bytes()).map_err(StateError::from)?;
        let urls = Urls::new(addr, addr_v2);
        if log_addr.is_none() {
            store.set_meta(LOG_ADDRESS, addr.to_string().as_bytes()).map_err(StateError::from)?;
        }
        let log_name = gitsign_protocol::checkpoint::log_name(&urls.rekor)
            .map_err(|e| DevstackError::LogAddress { name: addr.to_string(), why: e.to_string() })?
            .to_string();
        store.set_meta("listen", addr.to_string().as_bytes()).map_err(StateError::from)?;
        store.set_meta("issuer_url", urls.issuer.as_bytes()).map_err(StateError::from)?;
        let trusted_root_json = state::write_client_files(state.path(), &urls, &keys)?;
        let Keys {
            intermediate,
            root_der,
            intermediate_der,
            rekor,
            ctlog,
            oidc,
            tree_id,
            tsa,
            tsa_cert_der,
            tsa_root_der,
            rekor_v2,
            ..
        } = keys;
        let log_v2 = crate::rekor_v2::LogV2::open(state.path(), rekor_v2, addr_v2.to_string())
            .map_err(|e| DevstackError::Keys(format!("the Rekor v2 log: {e}")))?;
        let tsa =
            crate::tsa::Tsa::new(tsa, tsa_cert_der, tsa_root_der).map_err(|e| DevstackError::Keys(e.to_string()))?;
        let mut ca =
            Ca::new(root_der, intermediate_der, intermediate, ctlog).map_err(|e| DevstackError::Keys(e.to_string()))?;
        if let Some(lifetime) = options.cert_lifetime {
            ca.set_leaf_lifetime(time::Duration::try_from(lifetime).unwrap_or(crate::ca::LEAF_LIFETIME));
        }
        let oidc = OidcIssuer::new(urls.issuer.clone(), oidc)
            .ok_or_else(|| DevstackError::Keys("the issuer key is not RSA".into()))?;
        let oidc = Arc::new(oidc);
        let issuers = Issuers::new(oidc.clone(), &options.trusted_issuers);
        let log = Log::new(rekor, tree_id, log_name);
        let log_v2 = Arc::new(log_v2);
        let services = Services::new(store, ca, log, oidc, issuers, urls, trusted_root_json, tsa, log_v2.clone());
        Ok(Devstack { listener, listener_v2, log_v2, services: Arc::new(services), state })
    }

    /// Where the services answer.
    pub fn urls(&self) -> &Urls {
        &self.services.urls
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        self.state.path()
    }

    /// The routes.
    pub fn router(services: Arc<Services>) -> Router {
        let oidc = services.oidc.clone();
        Router::new()
            .route("/", get(crate::web::index))
            .route("/trusted_root.json", get(crate::web::trusted_root))
            .merge(crate::fulcio::routes())
            .merge(crate::rekor::routes())
            .merge(crate::tsa::routes())
            .merge(crate::explorer::routes())
            .with_state(services)
            .nest("/oauth2", crate::oidc::routes(oidc))
            .fallback(|| async {
                (
                    StatusCode::NOT_FOUND,
                    Json(serde_json::json!({"code": 404, "message": "no such endpoint on gitsign-devstack"})),
                )
            })
    }

    /// Serves until `shutdown` completes.
    pub async fn serve(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), DevstackError> {
        let app = Self::router(self.services.clone());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let v2 = axum::serve(self.listener_v2, crate::rekor_v2::routes(self.log_v2.clone()))
            .with_graceful_shutdown(stopped(stop_rx.clone()));
        let v2 = tokio::spawn(async move { v2.await });
        let main = axum::serve(self.listener, app).with_graceful_shutdown(stopped(stop_rx));
        let main = tokio::spawn(async move { main.await });
        shutdown.await;
        let _ = stop_tx.send(true);
        let joined = |r: Result<std::io::Result<()>, tokio::task::JoinError>| {
            r.map_err(|e| DevstackError::Serve(std::io::Error::other(e.to_string())))?.map_err(DevstackError::Serve)
        };
        let result = joined(main.await).and(joined(v2.await));
        drop(self.state);
        result
    }
}

/// A devstack serving on a thread of its own; stopped when dropped.
#[derive(Debug)]
pub struct Running {
    urls: Urls,
    state_dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<Result<(), DevstackError>>>,
}

impl Running {
    /// Starts a devstack on a background thread and returns once it is ready.
    pub fn start(options: Options) -> Result<Running, DevstackError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || -> Result<(), DevstackError> {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(DevstackError::Serve)?;
            rt.block_on(async move {
                match Devstack::open(&options).await {
                    Ok(d) => {
                        let _ = ready_tx.send(Ok((d.urls().clone(), d.state_dir().to_path_buf())));
                        d.serve(async move {
                            let _ = stop_rx.await;
                        })
                        .await
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        Ok(())
                    }
                }
            })
        });
        match ready_rx.recv() {
            Ok(Ok((urls, state_dir))) => Ok(Running { urls, state_dir, stop: Some(stop_tx), thread: Some(thread) }),
            Ok(Err(e)) => Err(e),
            Err(_) => match thread.join() {
                Ok(Err(e)) => Err(e),
                _ => {
                    Err(DevstackError::Serve(std::io::Error::other("the devstack thread stopped before it was ready")))
                }
            },
        }
    }

    /// Where the services answer.
    pub fn urls(&self) -> &Urls {
        &self.urls
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Stops the services and waits for them.
    pub fn stop(mut self) -> Result<(), DevstackError> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<(), DevstackError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(DevstackError::Serve(std::io::Error::other("the devstack thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}
