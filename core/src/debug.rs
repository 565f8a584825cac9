//! The debug log's entry point in the core: the program installs a sink (gitsign writes it to
//! `gitsign.logPath`); without one, lines go nowhere. Callers log URLs, identities, log indexes
//! and durations — never a token or a key.

use std::sync::OnceLock;

/// Where debug lines go.
pub type Sink = fn(std::fmt::Arguments<'_>);

static SINK: OnceLock<Sink> = OnceLock::new();

/// Installs the sink (the first one installed stays).
pub fn set_sink(sink: Sink) {
    let _ = SINK.set(sink);
}

/// Writes one line to the sink, if one is installed.
pub fn line(message: std::fmt::Arguments<'_>) {
    if let Some(sink) = SINK.get() {
        sink(message);
    }
}

/// Logs a formatted line to the debug sink.
#[macro_export]
macro_rules! debug_log {
    ($($arg:tt)*) => { $crate::debug::line(format_args!($($arg)*)) };
}
