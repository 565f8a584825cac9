//! `gitsign-credential-cache`: the daemon's command line.
#![forbid(unsafe_code)]

use gitsign_credential_cache::{client, daemon, protocol};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "usage: gitsign-credential-cache [--socket PATH] [--systemd-socket-activation]

Keeps gitsign's ephemeral credentials in memory so one login serves many signatures.
The socket defaults to $GITSIGN_CREDENTIAL_CACHE, else <user cache dir>/sigstore/gitsign/cache.sock;
point gitsign at it with GITSIGN_CREDENTIAL_CACHE=<socket>.";

fn run() -> Result<(), String> {
    let mut socket = std::env::var_os("GITSIGN_CREDENTIAL_CACHE").map(PathBuf::from).or_else(protocol::default_socket);
    let mut activation = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--socket" => socket = Some(args.next().ok_or("--socket needs a path")?.into()),
            "--systemd-socket-activation" => activation = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    let listener = if activation {
        listenfd::ListenFd::from_env()
            .take_unix_listener(0)
            .map_err(|e| format!("socket activation: {e}"))?
            .ok_or("socket activation: systemd passed no socket")?
    } else {
        let path = socket.ok_or("no socket path: set --socket or GITSIGN_CREDENTIAL_CACHE")?;
        let dir = path.parent().ok_or("the socket path has no directory")?;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        if path.exists() {
            // A live daemon answers; a stale socket from a dead one is replaced.
            if client::call(&path, protocol::Request::List, Duration::from_secs(2)).is_ok() {
                return Err(format!("a credential cache is already running at {}", path.display()));
            }
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        let l = UnixListener::bind(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        eprintln!("gitsign-credential-cache: listening on {}", path.display());
        l
    };
    daemon::serve(listener, Arc::new(daemon::Cache::default())).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gitsign-credential-cache: {e}");
            ExitCode::FAILURE
        }
    }
}
