//! Human output of the commands: times a person reads, colour for verdicts and a progress bar
//! for long ranges — only on a terminal, never with `NO_COLOR`, never into a pipe.

use crate::config::Env;
use crate::outcome::Verdict;
use std::io::IsTerminal as _;
use time::OffsetDateTime;

/// `2026-11-25 06:01:36 UTC`.
pub fn utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    // Formatting a valid date with a fixed description fails only on a broken writer.
    t.format(format).unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A log index as printed: the number, or `none` for a signature whose log entry was not checked.
pub fn log_index(index: Option<i64>) -> String {
    index.map_or_else(|| "none".into(), |i| i.to_string())
}

/// Whether colour may be written to a stream that `is_terminal` says is (or is not) a terminal:
/// never with `NO_COLOR` set to anything non-empty (no-color.org) or `TERM=dumb`.
pub fn colour_allowed(env: &Env, is_terminal: bool) -> bool {
    is_terminal && env.get("NO_COLOR").is_none_or(|v| v.is_empty()) && env.get("TERM").is_none_or(|t| t != "dumb")
}

/// Colour for stdout, decided once per run.
pub fn colour_stdout(env: &Env) -> bool {
    colour_allowed(env, std::io::stdout().is_terminal())
}

/// The verdict word, coloured if `colour`.
pub fn verdict(v: Verdict, colour: bool) -> String {
    paint(v, v.as_str(), colour)
}

/// `text` in the colour of verdict `v` if `colour` (`text` must hold no escapes of its own:
/// sanitize remote text first).
pub fn paint(v: Verdict, text: &str, colour: bool) -> String {
    if !colour {
        return text.to_string();
    }
    let code = match v {
        Verdict::Good => "32",
        Verdict::Bad => "1;31",
        Verdict::Error => "33",
        Verdict::Unsigned => "35",
    };
    format!("\u{1b}[{code}m{text}\u{1b}[0m")
}

/// After how many objects a range gets a progress bar (shorter runs finish before one helps).
pub const PROGRESS_AFTER: u64 = 300;

/// A progress counter on stderr, drawn only on a terminal and only once a run passes
/// [`PROGRESS_AFTER`] objects.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// A counter for `what` (e.g. "commits"); `enabled` only when stderr is a terminal.
    pub fn new(enabled: bool) -> Progress {
        Progress { enabled, bar: None }
    }

    /// Whether stderr is a terminal a bar may be drawn on.
    pub fn stderr_is_terminal(env: &Env) -> bool {
        std::io::stderr().is_terminal() && env.get("TERM").is_none_or(|t| t != "dumb")
    }

    /// `done` objects have a verdict.
    pub fn set(&mut self, done: u64, what: &str) {
        if !self.enabled || done < PROGRESS_AFTER {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                "gitsign: {{spinner}} {{human_pos}} {what} checked ({{per_sec}}, {{elapsed}})"
            )) {
                bar.set_style(style);
            }
            bar
        });
        bar.set_position(done);
    }

    /// Removes the bar (the summary line follows).
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// `gitsign version --json`: the version and the effective settings as one JSON object; a
/// configuration error is given as `"error"` (exit 1), as `gitsign version` gives it.
pub fn version_json(env: &gitsign_core::config::Env, out: &mut dyn std::io::Write) -> i32 {
    let mut warnings = Vec::new();
    let (doc, code) = match crate::load_config(env, gitsign_core::config::Purpose::Show, &mut warnings) {
        Ok(c) => {
            let settings: serde_json::Map<String, serde_json::Value> =
                c.describe().into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
            (serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "settings": settings}), 0)
        }
        Err(e) => (serde_json::json!({"version": env!("CARGO_PKG_VERSION"), "error": e.to_string()}), 1),
    };
    let _ = writeln!(out, "{doc}");
    code
}

/// After signing: who signed, with which issuer, and the `gitsign verify` flags that check exactly
/// that identity (shell-quoted, so the line can be pasted).
pub fn who_signed(identity: &str, issuer: Option<&str>) -> String {
    let (identity, issuer) = (crate::ui::sanitize(identity), issuer.map(crate::ui::sanitize));
    match issuer {
        Some(issuer) => format!(
            "gitsign: signer {identity} of issuer {issuer}; to check exactly this signer: gitsign verify \
             --certificate-identity {} --certificate-oidc-issuer {}",
            shell_words::quote(&identity),
            shell_words::quote(&issuer)
        ),
        None => format!("gitsign: signer {identity}; the certificate names no OIDC issuer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc_seconds() {
        let t = time::macros::datetime!(2026-11-25 06:01:36.250 +02:00);
        assert_eq!(utc(t), "2026-11-25 04:01:36 UTC");
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let env =
            |pairs: &[(&str, &str)]| -> Env { pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect() };
        assert!(colour_allowed(&env(&[]), true));
        assert!(!colour_allowed(&env(&[]), false));
        assert!(!colour_allowed(&env(&[("NO_COLOR", "1")]), true));
        assert!(colour_allowed(&env(&[("NO_COLOR", "")]), true));
        assert!(!colour_allowed(&env(&[("TERM", "dumb")]), true));
        assert_eq!(verdict(Verdict::Bad, false), "bad");
        assert_eq!(verdict(Verdict::Good, true), "\u{1b}[32mgood\u{1b}[0m");
    }

    #[test]
    fn the_signer_line_gives_flags_a_shell_takes_as_they_are() {
        let line = who_signed("ann@example.com", Some("https://issuer.example/a b"));
        assert!(
            line.ends_with(
                "gitsign verify --certificate-identity ann@example.com --certificate-oidc-issuer 'https://issuer.example/a b'"
            ),
            "{line}"
        );
        let line = who_signed("o'neil@example.com\u{1b}[2J", None);
        assert!(!line.contains('\u{1b}') && line.contains("names no OIDC issuer"), "{line}");
        let quoted = who_signed("o'neil@example.com", Some("https://i"));
        assert!(quoted.contains(r#"--certificate-identity 'o'\''neil@example.com'"#), "{quoted}");
    }
}
