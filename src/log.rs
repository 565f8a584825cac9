//! The debug log (`gitsign.logPath` / `GITSIGN_LOG`): one line per step with the time since
//! start. Callers log URLs, identities, log indexes and durations — never a token or a key.

use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

static LOG: OnceLock<(Instant, Mutex<std::fs::File>)> = OnceLock::new();
static START: OnceLock<Instant> = OnceLock::new();

/// Marks the start of the process (for the elapsed times).
pub fn start() {
    let _ = START.set(Instant::now());
}

/// Opens the log file (appending, owner-only). Failures are reported on stderr once and
/// otherwise ignored: the log is a debugging aid, never a reason to fail a signature.
pub fn init(path: &std::path::Path) {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(f) => {
            let _ = LOG.set((START.get().copied().unwrap_or_else(Instant::now), Mutex::new(f)));
            // The core library's debug lines go to the same file.
            gitsign_core::debug::set_sink(line);
        }
        Err(e) => eprintln!("gitsign: cannot open the log {}: {e}", path.display()),
    }
}

/// Writes one line, if the log is open.
pub fn line(message: std::fmt::Arguments<'_>) {
    if let Some((start, file)) = LOG.get()
        && let Ok(mut f) = file.lock()
    {
        let _ =
            writeln!(f, "[gitsign {} +{:.1}ms] {message}", std::process::id(), start.elapsed().as_secs_f64() * 1000.0);
    }
}

/// Logs a formatted line to the debug log.
#[macro_export]
macro_rules! debug_log {
    ($($arg:tt)*) => { $crate::log::line(format_args!($($arg)*)) };
}
