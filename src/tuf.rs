//! `gitsign initialize`: the command line of the TUF client ([`gitsign_core::tuf`]) and the
//! per-user cache directory it keeps its state in.

use gitsign_core::net::Http;
use gitsign_core::tuf::initialize;
use std::path::PathBuf;

/// Where `gitsign initialize` keeps the TUF metadata and the verified trusted root: `TUF_ROOT`
/// when set (as the Go sigstore TUF client), else the per-user cache directory. Read from the
/// process environment: the trust loaders that call this have no captured one.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TUF_ROOT").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::BaseDirs::new().map(|d| d.cache_dir().join("sigstore/gitsign/tuf"))
}

/// `gitsign initialize [--mirror URL] [--root FILE]`.
pub fn run(args: crate::cli::InitializeArgs, env: &gitsign_core::config::Env, err: &mut dyn std::io::Write) -> i32 {
    let result = (|| -> Result<PathBuf, String> {
        let crate::cli::InitializeArgs { mirror, root } = args;
        let cache = cache_dir().ok_or("no cache directory (is HOME or TUF_ROOT set?)")?;
        let initial = match &root {
            Some(p) => Some(std::fs::read(p).map_err(|e| format!("{p}: {e}"))?),
            // The public-good repository: bootstrap from the root built in (a newer cached one
            // still wins, and the cached one of another mirror is started over from it).
            None if mirror.trim_end_matches('/') == gitsign_core::tuf::DEFAULT_MIRROR => {
                Some(gitsign_core::tuf::PUBLIC_GOOD_TUF_ROOT.to_vec())
            }
            None if cache.join("root.json").exists() => None,
            None => {
                return Err(format!(
                    "no TUF root is cached yet: give --root FILE, the root.json of {mirror} obtained out of band"
                ));
            }
        };
        let config = crate::load_config(env, gitsign_core::config::Purpose::Verify, err).map_err(|e| e.to_string())?;
        let http = Http::new(config.timeout).map_err(|e| e.to_string())?;
        initialize(&http, &mirror, initial.as_deref(), &cache).map_err(|e| e.to_string())
    })();
    match result {
        Ok(path) => {
            let _ = writeln!(err, "gitsign: trusted root refreshed through TUF: {}", path.display());
            0
        }
        Err(e) => {
            let _ = writeln!(err, "gitsign: initialize failed: {e}");
            1
        }
    }
}
