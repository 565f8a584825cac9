//! The daemon: credentials in a map in memory (zeroized when dropped, never written, never
//! logged), purged when they expire; one thread per connection; peers of another uid refused.
//! A client that misses leads the login for its key while others asking for the same key wait
//! for the result, so concurrent signers cause one login.

use crate::protocol::{Credential, Entry, Envelope, Request, Response, VERSION};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zeroize::Zeroize as _;

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
            Request::Get { key, min_valid, wait } => {
                let deadline = Instant::now() + Duration::from_secs(wait.min(600));
                let mut state = self.lock();
                loop {
                    let t = now();
                    state.entries.retain(|_, c| c.not_after > t);
                    if let Some(c) = state.entries.get(&key).filter(|c| c.not_after - t >= min_valid) {
                        return Response::Hit { credential: c.clone() };
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
                    .map(|(k, c)| Entry { key: k.clone(), identity: c.identity.clone(), not_after: c.not_after })
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
    // refusal instead of a broken pipe.
    let mut line = String::new();
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let read = stream.try_clone().map(|s| BufReader::new(std::io::Read::take(s, 1 << 20)).read_line(&mut line));
    let parsed = serde_json::from_str::<Envelope<Request>>(&line);
    // The request may hold a private key: wipe the raw text once parsed.
    line.zeroize();
    if !matches!(read, Ok(Ok(_))) {
        return;
    }
    let answer = if !same_user(&stream) {
        Response::Error { message: "refused: the cache serves only its own user".into() }
    } else {
        match parsed {
            Ok(e) if e.v == VERSION => cache.handle(e.body),
            Ok(e) => Response::Error { message: format!("protocol version {} is not {VERSION}", e.v) },
            Err(e) => Response::Error { message: format!("not a request: {e}") },
        }
    };
    let mut out = serde_json::to_vec(&Envelope { v: VERSION, body: answer }).unwrap_or_default();
    out.push(b'\n');
    let _ = stream.write_all(&out);
    out.zeroize();
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
    for stream in listener.incoming() {
        let stream = stream?;
        let cache = cache.clone();
        std::thread::spawn(move || serve_one(&cache, stream));
    }
    Ok(())
}
