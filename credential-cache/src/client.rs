//! The client side: one request, one answer, with bounded timeouts.

use crate::protocol::{self, Request, Response, VERSION, WireError};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why the cache could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon, a stale socket, or a broken connection.
    #[error("cannot talk to the credential cache at {path}: {source}")]
    Io {
        /// Socket path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// An answer that is not the protocol.
    #[error("the credential cache at {path} answered garbage: {detail}")]
    Garbage {
        /// Socket path.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// The Go gitsign's credential cache, which speaks Go's JSON-RPC, not this protocol.
    #[error(
        "the credential cache at {path} is the Go gitsign's gitsign-credential-cache (it answers Go JSON-RPC), \
         which this gitsign cannot use: start this gitsign's gitsign-credential-cache and point \
         GITSIGN_CREDENTIAL_CACHE at its socket"
    )]
    GoCache {
        /// Socket path.
        path: PathBuf,
    },
    /// A daemon of another release.
    #[error(
        "the credential cache at {path} speaks protocol version {theirs} and this gitsign speaks {VERSION}: restart gitsign-credential-cache from the same release as gitsign"
    )]
    Version {
        /// Socket path.
        path: PathBuf,
        /// The daemon's version.
        theirs: u64,
    },
}

/// Sends `request` to the daemon at `path`, waiting at most `timeout` for the answer.
pub fn call(path: &Path, request: Request, timeout: Duration) -> Result<Response, ClientError> {
    let io = |source| ClientError::Io { path: path.to_path_buf(), source };
    let wire = |e: WireError| match e {
        WireError::Io(source) => io(source),
        WireError::Version { theirs } => ClientError::Version { path: path.to_path_buf(), theirs },
        other => ClientError::Garbage { path: path.to_path_buf(), detail: other.to_string() },
    };
    let mut stream = UnixStream::connect(path).map_err(io)?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(Duration::from_secs(5))).map_err(io)?;
    // A `put` carries a private key, a hit answers one: both buffers are wiped when dropped.
    protocol::write_line(&mut stream, &request).map_err(wire)?;
    let answer = protocol::read_line(&mut stream).map_err(wire)?;
    // Only an answer that is not the protocol is looked at again (a hit, which carries a key, never is).
    let response: Response = protocol::parse(&answer).map_err(|e| match e {
        WireError::Garbage(_) if is_go_json_rpc(&answer) => ClientError::GoCache { path: path.to_path_buf() },
        e => wire(e),
    })?;
    // A daemon refusing this client's version says so in an error of its own version's shape,
    // which `parse` has already turned into a version error; any other refusal is passed on.
    Ok(response)
}

/// Whether an answer is a Go `net/rpc/jsonrpc` response (`{"id", "result", "error"}` and nothing
/// else): what the Go gitsign's cache says to a request that is not its own.
fn is_go_json_rpc(answer: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(answer) {
        Ok(serde_json::Value::Object(map)) => {
            map.len() == 3 && ["id", "result", "error"].iter().all(|k| map.contains_key(*k))
        }
        _ => false,
    }
}
