//! gitsign: keyless Git signing with Sigstore — the program git runs as `gpg.x509.program`.
//!
//! This crate is the program around the domain library [`gitsign_core`] (settings, trust,
//! credentials, the CMS, log entries, bundles, verification, git object parsing): it owns the
//! command line ([`run`], [`args`], [`gpg`]: git's gpg command line and status lines), the
//! terminal ([`ui`], [`log`]), the subprocesses (`git` in [`gitconfig`] and [`history`], the
//! browser in [`identity`]) and the output formats. Modules: [`identity`] (interactive OIDC
//! logins), [`cache`] (the credential cache daemon and the OS keyring), [`credential`] (which of
//! them a signature uses), [`trust`] (the trust root with this user's TUF cache), [`tuf`]
//! (`gitsign initialize`), [`history`] (`gitsign verify`, `verify-tag`), [`blob`] (`sign-blob`,
//! `verify-blob`), [`kept`] (what one run keeps for the next in the user's cache directory).
#![forbid(unsafe_code)]

pub mod attest;
pub mod blob;
pub mod cache;
pub mod cli;
pub mod credential;
pub mod gitconfig;
pub mod gpg;
pub mod guide;
pub mod history;
pub mod hook;
pub mod identity;
pub mod kept;
pub mod log;
pub mod outcome;
pub mod output;
pub mod providers;
pub mod show;
pub mod trust;
pub mod tuf;
pub mod ui;

use gitsign_core::config::{self, Config, Env};
use gitsign_core::{net, signature, verify};
use gpg::GpgCommand;
use outcome::{Cause, Failure};
use std::ffi::OsString;
use std::io::{Read, Write};

/// Standard streams, passed in so tests can use buffers.
#[allow(missing_debug_implementations)]
pub struct Io<'a> {
    /// The payload to sign or verify.
    pub stdin: &'a mut dyn Read,
    /// The signature (signing) or status lines (verifying with --status-fd=1).
    pub stdout: &'a mut dyn Write,
    /// Diagnostics for git to show. The gitsign binary passes it line-buffered: every message
    /// must end its line, or it waits for the next one (or the end of the run).
    pub stderr: &'a mut dyn Write,
}

/// Runs gitsign with `args` (without the program name); returns the exit code.
pub fn run(args: &[OsString], env: &Env, io: Io<'_>) -> i32 {
    log::start();
    if cli::is_gpg_invocation(args) {
        return match gpg::parse(args) {
            Ok(Some(GpgCommand::Sign { status_fd, .. })) => run_sign(status_fd, env, io),
            Ok(Some(GpgCommand::Verify { status_fd, signature, data })) => {
                run_verify(status_fd, &signature, data.as_deref(), env, io)
            }
            Ok(None) => {
                let _ = write!(io.stderr, "{}", cli::command().render_help());
                2
            }
            Err(e) => {
                let _ = writeln!(io.stderr, "gitsign: {e}");
                2
            }
        };
    }
    let parsed = match cli::parse(args) {
        Ok(p) => p,
        Err(e) => {
            // Help goes to stdout (exit 0); errors, with clap's suggestions, to stderr (exit 2).
            let text = e.render().to_string();
            let stream = if e.use_stderr() { &mut *io.stderr } else { &mut *io.stdout };
            let _ = write!(stream, "{text}");
            return e.exit_code();
        }
    };
    match parsed.command {
        cli::Command::Version { json: false } => version(env, io.stdout, io.stderr),
        cli::Command::Version { json: true } => output::version_json(env, io.stdout),
        cli::Command::Credentials { action } => credentials(action, env, io.stdout, io.stderr),
        cli::Command::Initialize(a) => tuf::run(a, env, io.stderr),
        cli::Command::VerifyBlob(a) => blob::verify_blob_with(a, env, io.stdout, io.stderr),
        cli::Command::SignBlob(a) => blob::sign_blob(a, env, io.stderr),
        cli::Command::Verify(a) => {
            let mut revs = a.revs;
            if a.all {
                revs.push("--all".into());
            }
            if let Some(policy) = a.policy_file {
                return hook::verify_command(policy, a.policy_ref, a.check, revs, env, io.stdout, io.stderr);
            }
            history::run(false, a.check, revs, env, io.stdout, io.stderr)
        }
        cli::Command::VerifyTag(a) => history::run(true, a.check, a.tags, env, io.stdout, io.stderr),
        cli::Command::Hook { action } => hook::run(action, env, io),
        cli::Command::Completion { shell } => {
            cli::completion(shell, io.stdout);
            0
        }
        cli::Command::Man { dir } => match cli::man_pages(&dir) {
            Ok(pages) => {
                let _ = writeln!(io.stderr, "gitsign: wrote {} man pages into {}", pages.len(), dir.display());
                0
            }
            Err(e) => {
                let _ = writeln!(io.stderr, "gitsign: cannot write the man pages into {}: {e}", dir.display());
                2
            }
        },
        cli::Command::Show(a) => show::run(a, io.stdout, io.stderr),
        cli::Command::Attest(a) => attest::run(a, env, io.stdout, io.stderr),
        cli::Command::VerifyAttestation(a) => attest::verify(a, env, io.stdout, io.stderr),
    }
}

/// The one place settings are resolved: `gitsign.*` from git config under the environment, for
/// `purpose` (settings of another scope are not parsed, so their errors cannot fail it). Opens the
/// debug log when `logPath` is set; says each warning (unknown key, unsupported setting) once
/// per run, to `warn` and the debug log.
pub fn load_config(env: &Env, purpose: config::Purpose, warn: &mut dyn Write) -> Result<Config, config::ConfigError> {
    load_config_from(gitconfig::start(), env, purpose, warn)
}

/// The configuration as the environment alone gives it (git config not read): what work done
/// while `git config` runs is based on, and kept only where the full configuration agrees (see
/// [`trust::early`]). `None` when it does not resolve: the full configuration will say why.
fn env_only_config(env: &Env, purpose: config::Purpose) -> Option<Config> {
    Config::resolve_for(&std::collections::BTreeMap::new(), env, purpose).ok().map(|r| r.config)
}

/// [`load_config`] with the `git config` read started earlier ([`gitconfig::start`]), so that
/// the caller's other start-up work overlaps it.
pub fn load_config_from(
    git: gitconfig::Pending,
    env: &Env,
    purpose: config::Purpose,
    warn: &mut dyn Write,
) -> Result<Config, config::ConfigError> {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let how = git.how.clone();
    let resolved = Config::resolve_for(&git.finish()?, env, purpose)?;
    let mut config = resolved.config;
    if purpose == config::Purpose::Sign {
        apply_signing_config_file(&mut config)?;
    }
    if let Some(path) = &config.log_path {
        log::init(path);
    }
    debug_log!("git config: {}", ui::sanitize(&how));
    debug_log!(
        "configuration: fulcio {} rekor {} issuer {} mode {:?}",
        config.fulcio,
        config.rekor,
        config.issuer,
        config.rekor_mode
    );
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        for w in &resolved.warnings {
            debug_log!("warning: {w}");
            let _ = writeln!(warn, "gitsign: warning: {}", ui::sanitize(&w.to_string()));
        }
    }
    Ok(config)
}

/// Applies `config.signing_config` (a signing config v0.2, or a client trust config holding
/// one), when set: it picks Fulcio, the issuer, Rekor and its API version, and the timestamp
/// authority (see [`Config::apply_signing_config`]).
pub fn apply_signing_config_file(config: &mut Config) -> Result<(), config::ConfigError> {
    let Some(path) = config.signing_config.clone() else { return Ok(()) };
    let bad = |detail: String| config::ConfigError::SigningConfig { path: path.display().to_string(), detail };
    let bytes = std::fs::read(&path).map_err(|e| bad(e.to_string()))?;
    let mut value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    if let Some(inner) = value.get_mut("signingConfig") {
        value = inner.take();
    }
    let sc: gitsign_protocol::trust::SigningConfig =
        serde_json::from_value(value).map_err(|e| bad(format!("not a signing config: {e}")))?;
    if sc.media_type != gitsign_protocol::trust::SIGNING_CONFIG_MEDIA_TYPE {
        return Err(bad(format!(
            "media type {:?} is not {}",
            ui::sanitize(&sc.media_type),
            gitsign_protocol::trust::SIGNING_CONFIG_MEDIA_TYPE
        )));
    }
    config.apply_signing_config(&sc, time::OffsetDateTime::now_utc()).map_err(bad)?;
    debug_log!(
        "signing config {}: fulcio {} rekor {} (v{})",
        path.display(),
        config.fulcio,
        config.rekor,
        config.rekor_version
    );
    Ok(())
}

fn version(env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let _ = writeln!(out, "gitsign {}", env!("CARGO_PKG_VERSION"));
    match load_config(env, config::Purpose::Show, err) {
        Ok(c) => {
            let _ = writeln!(out, "effective configuration (environment over git config):");
            for (k, v) in c.describe() {
                let _ = writeln!(out, "  {k:<27} {v}");
            }
            0
        }
        Err(e) => {
            let _ = writeln!(out, "configuration error: {e}");
            1
        }
    }
}

/// What a payload buffer starts with: most commits and tags are smaller.
const PAYLOAD_CAPACITY: usize = 8 * 1024;

fn run_sign(status_fd: Option<i32>, env: &Env, io: Io<'_>) -> i32 {
    // Run `git config` while the payload is read.
    let git_config = gitconfig::start();
    // Room for a usual commit or tag at once: read_to_end into an empty buffer starts with
    // 32-byte reads.
    let mut payload = Vec::with_capacity(PAYLOAD_CAPACITY);
    if let Err(e) = io.stdin.read_to_end(&mut payload) {
        let _ = writeln!(io.stderr, "gitsign: cannot read the data to sign from stdin: {e}");
        return 1;
    }
    // Then the trust root the environment names, kept if git config names the same one.
    let early = env_only_config(env, config::Purpose::Sign).and_then(|guess| trust::early(&guess));
    let mut ui = ui::Ui::terminal();
    let result = load_config_from(git_config, env, config::Purpose::Sign, &mut ui)
        .map_err(gitsign_core::sign::SignError::from)
        .and_then(|c| {
            net::prewarm(c.service_urls());
            credential::sign(&payload, &c, env, &mut ui, early)
        });
    match result {
        Ok(signed) => {
            if let Err(e) = io.stdout.write_all(signed.armored.as_bytes()).and_then(|()| io.stdout.flush()) {
                let _ = writeln!(io.stderr, "gitsign: cannot write the signature: {e}");
                return 1;
            }
            let status = format!(
                "\n[GNUPG:] BEGIN_SIGNING\n[GNUPG:] SIG_CREATED D 19 8 00 {} {}\n",
                signed.time, signed.fingerprint
            );
            if let Err(e) = gpg::write_status(status_fd, io.stdout, io.stderr, &status) {
                let _ = writeln!(io.stderr, "gitsign: cannot write the status to fd {status_fd:?}: {e}");
                return 1;
            }
            let _ = writeln!(
                io.stderr,
                "gitsign: signed as {} (log index {})",
                ui::sanitize(&signed.identity),
                output::log_index(signed.log_index)
            );
            // On the terminal when there is one: git shows a signer's stderr only when it fails.
            ui.say(&output::who_signed(&signed.identity, signed.issuer.as_deref()));
            0
        }
        Err(e) => {
            let _ = writeln!(io.stderr, "gitsign: signing failed: {e}");
            debug_log!("signing failed: {e}");
            1
        }
    }
}

fn credentials(action: cli::CredentialsAction, env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use gitsign_credential_cache::{client, protocol};
    let Some(socket) = env.get("GITSIGN_CREDENTIAL_CACHE").filter(|s| !s.is_empty()) else {
        let _ = writeln!(err, "gitsign: GITSIGN_CREDENTIAL_CACHE is not set: no credential cache is in use");
        return 1;
    };
    let request = match action {
        cli::CredentialsAction::List => protocol::Request::List,
        cli::CredentialsAction::Clear => protocol::Request::Clear,
    };
    match client::call(std::path::Path::new(socket), request, std::time::Duration::from_secs(5)) {
        Ok(protocol::Response::Entries { entries }) => {
            for e in &entries {
                let left = e.not_after - time::OffsetDateTime::now_utc().unix_timestamp();
                let _ = writeln!(out, "{}  {}  expires in {left}s", &e.key[..12.min(e.key.len())], e.identity);
            }
            let _ = writeln!(err, "gitsign: {} cached credential(s)", entries.len());
            0
        }
        Ok(protocol::Response::Ok) => {
            let _ = writeln!(err, "gitsign: cached credentials dropped");
            0
        }
        Ok(other) => {
            let _ = writeln!(err, "gitsign: the credential cache answered {other:?}");
            1
        }
        Err(e) => {
            let _ = writeln!(err, "gitsign: {e}");
            1
        }
    }
}

/// The committer's email in a commit or tagger's in a tag payload.
fn committer_email(payload: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(payload);
    let line =
        text.lines().take_while(|l| !l.is_empty()).find(|l| l.starts_with("committer ") || l.starts_with("tagger "))?;
    let start = line.find('<')? + 1;
    let end = line[start..].find('>')? + start;
    Some(line[start..end].to_string())
}

fn policy(config: &Config, payload: &[u8]) -> Result<(verify::Policy, bool), String> {
    use verify::Matcher;
    let identity = match (&config.certificate_identity, &config.certificate_identity_regexp, config.match_committer) {
        (Some(i), _, _) => Some(Matcher::Exact(i.clone())),
        (None, Some(r), _) => Some(Matcher::regex(r).map_err(|e| format!("gitsign.certificateIdentityRegexp: {e}"))?),
        (None, None, true) => {
            Some(Matcher::Exact(committer_email(payload).ok_or("matchCommitter is set but the data has no committer")?))
        }
        (None, None, false) => None,
    };
    let issuer = match (&config.certificate_oidc_issuer, &config.certificate_oidc_issuer_regexp) {
        (Some(i), _) => Some(Matcher::Exact(i.clone())),
        (None, Some(r)) => Some(Matcher::regex(r).map_err(|e| format!("gitsign.certificateOidcIssuerRegexp: {e}"))?),
        (None, None) => None,
    };
    let checked = identity.is_some() || issuer.is_some();
    Ok((verify::Policy { identity, issuer }, checked))
}

fn run_verify(
    status_fd: Option<i32>,
    sig_path: &std::path::Path,
    data: Option<&std::path::Path>,
    env: &Env,
    io: Io<'_>,
) -> i32 {
    let Io { stdin, stdout, stderr } = io;
    // git config runs while the payload and the signature are read, parsed and checked (below).
    let git_config = gitconfig::start();
    let mut payload = Vec::new();
    let read = match data {
        Some(p) => std::fs::read(p).map(|b| payload = b),
        None => {
            payload.reserve(PAYLOAD_CAPACITY);
            stdin.read_to_end(&mut payload).map(|_| ())
        }
    };
    // Every way this ends goes through the one mapping (outcome.rs): status line, message, exit code.
    let failed = |stdout: &mut dyn Write, stderr: &mut dyn Write, why: Failure, fingerprint: Option<&str>| {
        let _ = gpg::write_status(status_fd, stdout, stderr, &why.status_lines(fingerprint));
        let _ = writeln!(stderr, "gitsign: {}: {why}", why.headline());
        debug_log!("verification: {} ({}): {why}", why.headline(), why.verdict().as_str());
        why.exit_code()
    };
    if let Err(e) = read {
        let why = Cause::Io { what: "cannot read the signed data".into(), source: e };
        return failed(stdout, stderr, Failure::Unchecked(why), None);
    }
    let armored = match std::fs::read(sig_path) {
        Ok(b) => b,
        Err(e) => {
            let why = Cause::Io { what: sig_path.display().to_string(), source: e };
            return failed(stdout, stderr, Failure::Unchecked(why), None);
        }
    };
    let parsed = match signature::dearmor(&armored).and_then(|der| signature::parse(&der)) {
        Ok(p) => p,
        Err(e) => return failed(stdout, stderr, e.into(), None),
    };
    // Still while git config runs: the signature checked against the trust root the environment
    // names, under no identity policy. The verdict is kept only if the configuration names the
    // same root; the configuration's policy is then judged on it (`Policy::judge`), which is what
    // `verify_with` under that policy gives. A signature without an embedded log entry needs the
    // configuration (Rekor online mode) and is checked afterwards.
    let early = env_only_config(env, config::Purpose::Verify)
        .filter(|_| parsed.tlog_entry.is_some())
        .and_then(|guess| trust::early(&guess))
        .map(|e| {
            let unjudged = verify::verify_with(
                e.trust(),
                &payload,
                &parsed,
                &verify::Policy::default(),
                &verify::LogEvidence::Embedded,
            );
            (e, unjudged)
        });
    let mut config = match load_config_from(git_config, env, config::Purpose::Verify, stderr) {
        Ok(c) => c,
        Err(e) => return failed(stdout, stderr, e.into(), None),
    };
    // gitsign.policy: the signer is judged by the rule of the current branch (see hook.rs).
    let push_rule = match hook::git_verify_rule(&mut config) {
        Ok(r) => r,
        Err(e) => return failed(stdout, stderr, Failure::Config(e.into()), None),
    };
    let (trust, unjudged) = match early.and_then(|(e, unjudged)| Some((e.take(&config)?, unjudged))) {
        Some((t, unjudged)) => (Ok(t), Some(unjudged)),
        None => (trust::load_trust(&config), None),
    };
    let mut trust = match trust {
        Ok(t) => t,
        Err(e) => return failed(stdout, stderr, Failure::Config(e.into()), None),
    };
    if let Some(warning) = trust.apply_ignore_sct_flag(false) {
        let _ = writeln!(stderr, "{warning}");
    }
    let fpr =
        hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, parsed.signer_cert()))
            .to_ascii_uppercase();
    let (policy, checked) = match policy(&config, &payload) {
        Ok(p) => p,
        Err(e) => return failed(stdout, stderr, Failure::Config(e.into()), None),
    };
    let evidence = match evidence(&config, &payload, &armored, &parsed) {
        Ok(e) => e,
        Err(e) => return failed(stdout, stderr, e, Some(&fpr)),
    };
    let verdict = match unjudged {
        // Embedded evidence is what `evidence` gives a signature with a log entry, so this is the
        // same check; a failure is redone under the policy, for the error it gives.
        Some(Ok(v)) if matches!(evidence, verify::LogEvidence::Embedded) => policy.judge(&v).map(|()| v),
        _ => verify::verify_with(&trust, &payload, &parsed, &policy, &evidence),
    };
    trust::keep_links(&trust);
    match verdict {
        Ok(v) => {
            if let Some(rule) = &push_rule
                && let Err(e) = rule.judge(&v)
            {
                return failed(stdout, stderr, Failure::Bad(e.into()), Some(&fpr));
            }
            let checked = checked || push_rule.as_ref().is_some_and(hook::GitVerifyRule::applies);
            // gitsign.trustUndefined: a signer no policy judged is not vouched for.
            let trust_word = if !checked && config.trust_undefined { "TRUST_UNDEFINED" } else { "TRUST_FULLY" };
            let status = format!(
                "\n[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG {fpr} {id}\n[GNUPG:] VALIDSIG {fpr} {date} {time}\n[GNUPG:] {trust_word} 0 shell\n",
                fpr = v.fingerprint,
                // The SAN is the certificate's text: no control character may end the line.
                id = ui::sanitize(&v.identity),
                date = v.integrated_time.date(),
                time = v.integrated_time.unix_timestamp(),
            );
            let _ = gpg::write_status(status_fd, stdout, stderr, &status);
            let logged = match v.log_index {
                Some(index) => format!("logged at index {index}"),
                None => "log not checked".into(),
            };
            debug_log!(
                "verification: good signature from {} ({}), {logged}",
                ui::sanitize(&v.identity),
                ui::sanitize(v.issuer.as_deref().unwrap_or("unknown issuer"))
            );
            let _ = writeln!(
                stderr,
                "gitsign: Good signature from [{}]({}), {logged} on {}",
                ui::sanitize(&v.identity),
                ui::sanitize(v.issuer.as_deref().unwrap_or("unknown issuer")),
                output::utc(v.integrated_time)
            );
            if !checked {
                let _ = writeln!(
                    stderr,
                    "gitsign: note: no identity policy is configured (gitsign.certificateIdentity[Regexp], \
                     gitsign.certificateOidcIssuer[Regexp] or gitsign.matchCommitter), so WHO signed was not checked"
                );
            }
            0
        }
        Err(e) => failed(stdout, stderr, e.into(), Some(&fpr)),
    }
}

/// The log evidence of a signature: embedded, or (online mode) looked up in the configured Rekor.
fn evidence(
    config: &Config,
    payload: &[u8],
    armored: &[u8],
    parsed: &signature::Parsed,
) -> Result<verify::LogEvidence, Failure> {
    if parsed.tlog_entry.is_some() {
        return Ok(verify::LogEvidence::Embedded);
    }
    let http = net::Http::new(config.timeout)?;
    let armored = String::from_utf8_lossy(armored);
    gitsign_core::online::online_evidence(&http, &config.rekor, payload, &armored, parsed).map_err(|e| {
        Failure::from(e).context("the signature has no embedded log entry (Rekor online mode) and looking it up failed")
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn committer() {
        let c = b"tree 1\nauthor A <a@x> 1 +0000\ncommitter C <c@x> 1 +0000\n\nmsg committer <z@z>\n";
        assert_eq!(super::committer_email(c).as_deref(), Some("c@x"));
    }
}
