//! `gitsign-devstack`: the command line of the local Sigstore.
#![forbid(unsafe_code)]

use clap::{Args, Parser, Subcommand};
use gitsign_devstack::oidc::Subject;
use gitsign_devstack::{Devstack, Options, state};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// A local Sigstore — Fulcio-compatible CA, Rekor-compatible log, OIDC issuer — on loopback.
#[derive(Parser)]
#[command(name = "gitsign-devstack", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct StateArg {
    /// State directory: keys, CA, and the log's database (made on first use, mode 0700).
    #[arg(long, value_name = "DIR", default_value_os_t = default_state())]
    state: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Run the services in the foreground; writes DIR/env.sh, trusted_root.json and
    /// trust_config.json when ready. Stop with Ctrl-C.
    Up {
        #[command(flatten)]
        state: StateArg,
        /// Port on 127.0.0.1 (default: the port the log was first served at, which names it; any
        /// free port for a new log).
        #[arg(long, conflicts_with = "listen")]
        port: Option<u16>,
        /// Loopback address and port to listen on.
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<SocketAddr>,
        /// Also accept identity tokens from this OpenID provider (repeatable); its keys are
        /// fetched from its discovery document.
        #[arg(long = "trust-issuer", value_name = "URL")]
        trust_issuers: Vec<String>,
        /// Lifetime of issued certificates in seconds (default 600, as public Fulcio).
        #[arg(long, value_name = "SECS")]
        cert_lifetime: Option<u64>,
    },
    /// Print the shell exports that point gitsign at the devstack of DIR.
    Env {
        #[command(flatten)]
        state: StateArg,
    },
    /// Print an identity token from the devstack's issuer (audience `sigstore`).
    Token {
        #[command(flatten)]
        state: StateArg,
        /// Email to sign as.
        #[arg(long, required_unless_present = "sub", conflicts_with = "sub")]
        email: Option<String>,
        /// Subject of an email-less, CI-style token (must be a URI, e.g. https://ci.example/job/1).
        #[arg(long)]
        sub: Option<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 600)]
        ttl: u64,
    },
    /// Look into the log of a running devstack (as its web page's explorer does).
    Log {
        #[command(subcommand)]
        command: LogCommand,
    },
}

#[derive(Args)]
struct LogTarget {
    /// The devstack: its state directory (read while it runs) or its URL (http://127.0.0.1:PORT).
    #[arg(long, value_name = "DIR|URL", default_value_os_t = default_state())]
    state: PathBuf,
    /// Print JSON (the entries as the log serves them, with what is decoded of them).
    #[arg(long)]
    json: bool,
    /// Which log: v1 (the Rekor v1-compatible log), v2 (the Rekor v2 log) or both. Default: a
    /// search or a UUID looks in both, a log index means v1.
    #[arg(long, value_enum)]
    log: Option<WhichLog>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum WhichLog {
    V1,
    V2,
    Both,
}

#[derive(Subcommand)]
enum LogCommand {
    /// Find entries by signer email, logged SHA-256, or commit. Exit status 1 when none is found.
    #[command(group = clap::ArgGroup::new("what").required(true).multiple(false))]
    Search {
        #[command(flatten)]
        target: LogTarget,
        /// Signer's email.
        #[arg(long, group = "what")]
        email: Option<String>,
        /// A logged SHA-256 (64 hex digits, `sha256:` optional).
        #[arg(long, group = "what", value_name = "HEX")]
        sha256: Option<String>,
        /// A commit: what online mode logs for its ID is looked up, and, when the commit is in
        /// --repo, what offline mode logs for its signature.
        #[arg(long, group = "what", value_name = "ID")]
        commit: Option<String>,
        /// The repository holding --commit (default: the current directory).
        #[arg(long, value_name = "DIR", requires = "commit")]
        repo: Option<PathBuf>,
    },
    /// Show one entry, by log index or UUID.
    #[command(group = clap::ArgGroup::new("which").required(true).multiple(false))]
    Get {
        #[command(flatten)]
        target: LogTarget,
        /// Log index.
        #[arg(long, group = "which", value_name = "N")]
        log_index: Option<u64>,
        /// Entry UUID (64 hex digits, or 80 with the tree ID).
        #[arg(long, group = "which", value_name = "U")]
        uuid: Option<String>,
    },
}

fn default_state() -> PathBuf {
    directories::BaseDirs::new()
        .map(|d| d.state_dir().unwrap_or(d.data_local_dir()).join("gitsign-devstack"))
        .unwrap_or_else(|| PathBuf::from(".gitsign-devstack"))
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(t) => t,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn up(
    state: PathBuf,
    port: Option<u16>,
    listen: Option<SocketAddr>,
    trusted_issuers: Vec<String>,
    cert_lifetime: Option<u64>,
) -> Result<(), String> {
    let listen = listen.or(port.map(|p| SocketAddr::from((Ipv4Addr::LOCALHOST, p))));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    rt.block_on(async {
        let devstack = Devstack::open(&Options {
            state_dir: state,
            listen,
            trusted_issuers,
            cert_lifetime: cert_lifetime.map(Duration::from_secs),
        })
        .await
        .map_err(|e| e.to_string())?;
        let dir = devstack.state_dir().display().to_string();
        eprintln!("gitsign-devstack serving {} (state {dir})", devstack.urls().base);
        eprintln!(
            "  Fulcio {}  Rekor {}  OIDC issuer {}",
            devstack.urls().fulcio,
            devstack.urls().rekor,
            devstack.urls().issuer
        );
        eprintln!("  Rekor v2 {}  timestamp authority {}", devstack.urls().rekor_v2, devstack.urls().tsa);
        eprintln!("  point a shell at it: . {dir}/env.sh   (Ctrl-C stops it)");
        println!("ready {}", devstack.urls().base);
        devstack.serve(shutdown_signal()).await.map_err(|e| e.to_string())
    })
}

/// `gitsign-devstack log`: Ok(false) when a search found nothing.
fn log(command: LogCommand) -> Result<bool, String> {
    use gitsign_devstack::explorer_cli::{self as c, Logs, Search};
    let url = |t: &LogTarget| c::rekor_url(&t.state.to_string_lossy()).map_err(|e| e.to_string());
    let logs = |t: &LogTarget, default: Logs| match t.log {
        Some(WhichLog::V1) => Logs::V1,
        Some(WhichLog::V2) => Logs::V2,
        Some(WhichLog::Both) => Logs::Both,
        None => default,
    };
    match command {
        LogCommand::Search { target, email, sha256, commit, repo } => {
            let what = match (email, sha256, commit) {
                (Some(e), _, _) => Search::Email(e),
                (_, Some(h), _) => Search::Sha256(h),
                (_, _, Some(id)) => Search::Commit { id, repo },
                _ => return Err("give --email, --sha256 or --commit".into()),
            };
            let outcome = c::search(&url(&target)?, &what, logs(&target, Logs::Both)).map_err(|e| e.to_string())?;
            if let Some(note) = &outcome.note {
                eprintln!("gitsign-devstack: note: {note}");
            }
            if target.json {
                println!("{}", serde_json::to_string_pretty(&outcome.found).map_err(|e| e.to_string())?);
            } else if outcome.found.is_empty() {
                println!("No entry found for {}.", outcome.looked_up.join(", nor "));
            } else {
                println!("{} found for {}:", count(outcome.found.len()), outcome.looked_up.join(", or "));
                for f in &outcome.found {
                    print!("{}", c::human_summary(f));
                }
            }
            Ok(!outcome.found.is_empty())
        }
        LogCommand::Get { target, log_index, uuid } => {
            let rekor = url(&target)?;
            let found = match (log_index, uuid) {
                (Some(n), _) => match logs(&target, Logs::V1) {
                    Logs::V1 => c::get_by_index(&rekor, n),
                    Logs::V2 => c::get_v2_by_index(&rekor, n),
                    Logs::Both => return Err("a log index names an entry of one log: give --log v1 or --log v2".into()),
                },
                (_, Some(u)) => c::get_by_uuid_in(&rekor, &u, logs(&target, Logs::Both)),
                _ => return Err("give --log-index or --uuid".into()),
            }
            .map_err(|e| e.to_string())?;
            if target.json {
                println!("{}", serde_json::to_string_pretty(&found).map_err(|e| e.to_string())?);
            } else {
                print!("{}", c::human_detail(&found));
            }
            Ok(true)
        }
    }
}

fn count(n: usize) -> String {
    if n == 1 { "1 entry".into() } else { format!("{n} entries") }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Up { state, port, listen, trust_issuers, cert_lifetime } => {
            up(state.state, port, listen, trust_issuers, cert_lifetime)
        }
        Command::Env { state } => {
            let path = state::env_path(&state.state);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "{}: {e}; is a devstack running? start one with `gitsign-devstack up --state {}`",
                    path.display(),
                    state.state.display()
                )
            })?;
            print!("{text}");
            Ok(())
        }
        Command::Token { state, email, sub, ttl } => {
            let issuer = state::load_issuer(&state.state).map_err(|e| e.to_string())?;
            let subject = match (email, sub) {
                (Some(e), _) => Subject::Email(e),
                (None, Some(s)) => Subject::Sub(s),
                (None, None) => return Err("give --email or --sub".into()),
            };
            let token = issuer.mint(&subject, None, Duration::from_secs(ttl)).map_err(|e| e.to_string())?;
            println!("{token}");
            Ok(())
        }
        Command::Log { command } => match log(command)? {
            true => Ok(()),
            false => Err(NOTHING_FOUND.into()),
        },
    }
}

/// The error of a search that found nothing (exit status 1, message already printed).
const NOTHING_FOUND: &str = "";

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e != NOTHING_FOUND {
                eprintln!("gitsign-devstack: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
