//! The cache's wire protocol, shared by the daemon and gitsign: one JSON request and one JSON
//! answer per line over a Unix socket, each carrying the protocol version. A version mismatch
//! is refused explicitly, so an old client never misreads a new daemon.

use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use zeroize::{Zeroize, Zeroizing};

/// The protocol version both sides speak. 2: credentials carry the identity token's issuer and
/// subject, and `get` names the identity wanted.
pub const VERSION: u32 = 2;

/// The largest message either side sends or reads (a credential is a few kilobytes).
pub const MAX_MESSAGE: usize = 64 * 1024;

/// Who an identity token names: a cached credential serves a token only when these match.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Who {
    /// The token's `iss`.
    pub issuer: String,
    /// The token's `sub`.
    pub subject: String,
    /// The token's `email`, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// A cached credential: the ephemeral key and its certificate chain.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Credential {
    /// PKCS#8 DER of the private key, base64. Zeroized when dropped.
    pub key_pkcs8: String,
    /// DER certificates, leaf first, base64.
    pub chain: Vec<String>,
    /// Unix time the certificate expires.
    pub not_after: i64,
    /// Who the certificate names (its SAN).
    pub identity: String,
    /// Who the identity token that got the certificate names.
    pub token: Who,
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
            .field("token", &self.token)
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
        /// The identity the client holds a token for: only a credential got with a token naming
        /// the same issuer and subject is a hit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        want: Option<Who>,
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

/// A message with its version.
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
    /// The issuer of the token that got it.
    pub issuer: String,
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

/// Why a message could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The connection failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The message is longer than [`MAX_MESSAGE`].
    #[error("the message exceeds the {MAX_MESSAGE}-byte cap on a credential cache message")]
    TooLong,
    /// The peer closed the connection before a whole line.
    #[error("the connection closed before a whole message ({0} bytes) arrived")]
    Truncated(usize),
    /// The line is not JSON of the expected shape.
    #[error("not a message of the protocol: {0}")]
    Garbage(String),
    /// The peer speaks another version.
    #[error("protocol version {theirs}, this side speaks {VERSION}")]
    Version {
        /// The peer's version.
        theirs: u64,
    },
}

/// Reads one line (without its newline) into a buffer allocated once at [`MAX_MESSAGE`] and
/// wiped when dropped: a message may carry a private key, and a growing buffer would leave
/// copies of it in freed memory.
pub fn read_line(stream: &mut impl Read) -> Result<Zeroizing<Vec<u8>>, WireError> {
    let mut buf = Zeroizing::new(vec![0u8; MAX_MESSAGE]);
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            return Err(WireError::TooLong);
        }
        let n = match stream.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            return Err(WireError::Truncated(filled));
        }
        if let Some(end) = buf[filled..filled + n].iter().position(|&b| b == b'\n') {
            buf.truncate(filled + end);
            return Ok(buf);
        }
        filled += n;
    }
}

/// Parses a line: its version first (so a peer of another version is told so, whatever the
/// shape of the rest), then the message.
pub fn parse<T: serde::de::DeserializeOwned>(line: &[u8]) -> Result<T, WireError> {
    #[derive(Deserialize)]
    struct Version {
        v: u64,
    }
    let v = serde_json::from_slice::<Version>(line).map_err(|e| WireError::Garbage(e.to_string()))?.v;
    if v != u64::from(VERSION) {
        return Err(WireError::Version { theirs: v });
    }
    serde_json::from_slice::<Envelope<T>>(line).map(|e| e.body).map_err(|e| WireError::Garbage(e.to_string()))
}

/// Writes `body` as one versioned line through a buffer allocated once at [`MAX_MESSAGE`]
/// and wiped when dropped.
pub fn write_line<T: Serialize>(stream: &mut impl Write, body: &T) -> Result<(), WireError> {
    let mut buf = Zeroizing::new(vec![0u8; MAX_MESSAGE]);
    let mut rest: &mut [u8] = &mut buf[..];
    let written = serde_json::to_writer(&mut rest, &Envelope { v: VERSION, body })
        .map_err(|_| WireError::TooLong)
        .and_then(|()| rest.write_all(b"\n").map_err(|_| WireError::TooLong));
    let len = MAX_MESSAGE - rest.len();
    written?;
    stream.write_all(&buf[..len])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_line_over_the_cap_is_refused_naming_it() {
        let long = vec![b'x'; MAX_MESSAGE + 1];
        let err = read_line(&mut &long[..]).unwrap_err();
        assert_eq!(err.to_string(), "the message exceeds the 65536-byte cap on a credential cache message");
        let mut sink = Vec::new();
        let big = Request::Get { key: "k".repeat(MAX_MESSAGE), min_valid: 0, wait: 0, want: None };
        let err = write_line(&mut sink, &big).unwrap_err();
        assert!(matches!(err, WireError::TooLong), "{err}");
        assert!(sink.is_empty(), "nothing of an oversize message is sent");
    }

    #[test]
    fn a_line_round_trips_and_the_version_is_read_first() {
        let mut sink = Vec::new();
        write_line(&mut sink, &Request::List).unwrap();
        assert_eq!(sink, format!("{{\"v\":{VERSION},\"op\":\"list\"}}\n").as_bytes());
        let line = read_line(&mut &sink[..]).unwrap();
        assert_eq!(parse::<Request>(&line).unwrap(), Request::List);
        // Another version is named as such even when the rest is not of this version's shape.
        let err = parse::<Request>(br#"{"v":7,"op":"something new"}"#).unwrap_err();
        assert!(matches!(err, WireError::Version { theirs: 7 }), "{err}");
        assert!(matches!(read_line(&mut &b"no newline"[..]).unwrap_err(), WireError::Truncated(10)));
    }
}
