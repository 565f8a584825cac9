//! The daemon: credentials in a map in memory (zeroized when dropped, never written, never
//! logged), purged when they expire; one thread per connection, at most [`MAX_CONNECTIONS`] at
//! once; peers of another uid refused. A client that misses leads the login for its key while
//! others asking for the same key wait for the result, so concurrent signers cause one login.

use crate::protocol::{self, Credential, Entry, Request, Response, VERSION, WireError};
use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Connections served at once; more are refused with a message naming this cap.
pub const MAX_CONNECTIONS: usize = 64;

#[derive(Default)]
struct State {
    entries: HashMap<String, Credential>,
    /// Keys whose login a client is leading, since when.
    leading: HashMap<String, Instant>,
}

/// The cache.
#[derive(Default)]
pub struct Cache {
    state: Mutex<State>,
    changed: Condvar,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cache")
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// A login leader that neither stores nor abandons within this time is presumed gone.
const LEAD_TIMEOUT: Duration = Duration::from_secs(600);

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drops credentials that have expired.
    pub fn purge(&self) {
        let t = now();
        self.lock().entries.retain(|_, c| c.not_after > t);
    }

    /// Answers one request.
    pub fn handle(&self, request: Request) -> Response {
        match request {
            Request::Get { key, min_valid, wait, want } => {
                let deadline = Instant::now() + Duration::from_secs(wait.min(600));
                let mut state = self.lock();
                loop {
                    let t = now();
                    state.entries.retain(|_, c| c.not_after > t);
                    if let Some(c) = state.entries.get(&key).filter(|c| c.not_after - t >= min_valid) {
                        // A client holding a token gets only a credential for the same identity;
                        // otherwise it leads (or waits for) a login like any other.
                        if want.as_ref().is_none_or(|w| *w == c.token) {
                            return Response::Hit { credential: c.clone() };
                        }
                    }
                    let led = state.leading.get(&key).is_some_and(|since| since.elapsed() < LEAD_TIMEOUT);
                    if !led || Instant::now() >= deadline {
                        state.leading.insert(key, Instant::now());
                        return Response::Miss;
                    }
                    let left = deadline.saturating_duration_since(Instant::now());
                    state = self.changed.wait_timeout(state, left).map(|(s, _)| s).unwrap_or_else(|p| p.into_inner().0);
                }
            }
            Request::Put { key, credential } => {
                let mut state = self.lock();
                state.leading.remove(&key);
                state.entries.insert(key, credential);
                self.changed.notify_all();
                Response::Ok
            }
            Request::Abandon { key } => {
                self.lock().leading.remove(&key);
                self.changed.notify_all();
                Response::Ok
            }
            Request::List => {
                self.purge();
                let entries = self
                    .lock()
                    .entries
                    .iter()
                    .map(|(k, c)| Entry {
                        key: k.clone(),
                        identity: c.identity.clone(),
                        issuer: c.token.issuer.clone(),
                        not_after: c.not_after,
                    })
                    .collect();
                Response::Entries { entries }
            }
            Request::Clear => {
                self.lock().entries.clear();
                Response::Ok
            }
        }
    }
}

/// Whether the peer runs as this process's user.
fn same_user(stream: &UnixStream) -> bool {
    nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::PeerCredentials)
        .is_ok_and(|c| c.uid() == nix::unistd::getuid().as_raw())
}

fn serve_one(cache: &Cache, mut stream: UnixStream) {
    // The request is read before the peer is judged, so that a refused client reads the
    // refusal instead of a broken pipe. Both buffers may hold a key and are wiped.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let parsed = match protocol::read_line(&mut stream) {
        Ok(line) => protocol::parse::<Request>(&line),
        Err(WireError::Io(_) | WireError::Truncated(_)) => return,
        Err(e) => Err(e),
    };
    let answer = if !same_user(&stream) {
        Response::Error { message: "refused: the cache serves only its own user".into() }
    } else {
        match parsed {
            Ok(request) => cache.handle(request),
            Err(WireError::Version { theirs }) => Response::Error {
                message: format!(
                    "refused: this credential cache speaks protocol version {VERSION} and the client speaks {theirs}; use gitsign and gitsign-credential-cache from the same release"
                ),
            },
            Err(e) => Response::Error { message: format!("refused: {e}") },
        }
    };
    let _ = protocol::write_line(&mut stream, &answer);
}

/// Serves `listener` until the process ends.
pub fn serve(listener: UnixListener, cache: Arc<Cache>) -> std::io::Result<()> {
    let purger = cache.clone();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(5));
            purger.purge();
        }
    });
    let open = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let mut stream = stream?;
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            // The request is read (for at most a second) so the client reads the refusal rather
            // than a broken pipe.
            let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = protocol::read_line(&mut stream);
            let refusal = Response::Error {
                message: format!("refused: the credential cache serves at most {MAX_CONNECTIONS} connections at once"),
            };
            let _ = protocol::write_line(&mut stream, &refusal);
            let _ = stream.flush();
            continue;
        }
        let cache = cache.clone();
        let open = open.clone();
        // Small stacks: with the memory locked, every thread's stack is locked too.
        let counter = open.clone();
        let spawned = std::thread::Builder::new().stack_size(256 * 1024).spawn(move || {
            serve_one(&cache, stream);
            open.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            counter.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(())
}
