//! `gitsign-credential-cache`: the daemon's command line.
#![forbid(unsafe_code)]

use gitsign_credential_cache::{daemon, protocol, setup};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

const USAGE: &str = "usage: gitsign-credential-cache [--socket PATH] [--systemd-socket-activation]

Keeps gitsign's ephemeral credentials in memory so one login serves many signatures.
The socket defaults to $GITSIGN_CREDENTIAL_CACHE, else <user cache dir>/sigstore/gitsign/cache.sock;
point gitsign at it with GITSIGN_CREDENTIAL_CACHE=<socket>.";

fn run() -> Result<(), String> {
    // Before any key can arrive.
    for missed in setup::harden() {
        eprintln!("gitsign-credential-cache: {missed}");
    }
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
        let l = setup::listen(&path).map_err(|e| e.to_string())?;
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
