//! The client side: one request, one answer, with bounded timeouts.

use crate::protocol::{Envelope, Request, Response, VERSION};
use std::io::{BufRead, BufReader, Write};
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
}

/// Sends `request` to the daemon at `path`, waiting at most `timeout` for the answer.
pub fn call(path: &Path, request: Request, timeout: Duration) -> Result<Response, ClientError> {
    let io = |source| ClientError::Io { path: path.to_path_buf(), source };
    let mut stream = UnixStream::connect(path).map_err(io)?;
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(Duration::from_secs(5))).map_err(io)?;
    let mut line = serde_json::to_vec(&Envelope { v: VERSION, body: request }).unwrap_or_default();
    line.push(b'\n');
    let written = stream.write_all(&line);
    // A `put` carries a private key: wipe the encoded request.
    zeroize::Zeroize::zeroize(&mut line);
    written.map_err(io)?;
    let mut answer = String::new();
    // A cache answer is a few kilobytes; read at most 1 MiB.
    BufReader::new(std::io::Read::take(stream, 1 << 20)).read_line(&mut answer).map_err(io)?;
    let parsed: Result<Envelope<Response>, _> = serde_json::from_str(&answer);
    // A hit carries a private key: wipe the raw answer once parsed.
    zeroize::Zeroize::zeroize(&mut answer);
    let envelope = parsed.map_err(|e| ClientError::Garbage { path: path.to_path_buf(), detail: e.to_string() })?;
    if envelope.v != VERSION {
        return Err(ClientError::Garbage {
            path: path.to_path_buf(),
            detail: format!("protocol version {} (this gitsign speaks {VERSION})", envelope.v),
        });
    }
    Ok(envelope.body)
}
