//! The README's section "Moving from the Go gitsign", generated: every git config key,
//! environment variable and subcommand of the Go gitsign (its August 2026 source, public
//! repository sigstore/gitsign: internal/config/config.go, the variables it reads elsewhere,
//! internal/commands/*, cmd/), each marked same / different (how) / not supported (why), and
//! every setting and subcommand that only this gitsign has.
//!
//! The facts about the Go gitsign are written down here, once ([`GO_SETTINGS`], [`COMMANDS`]);
//! everything about ours comes from its one definition: the settings registry
//! ([`gitsign_core::config::SETTINGS`]) and the clap command tree ([`crate::cli::command`]). The
//! tests hold the two together: a row that claims a setting or a subcommand of ours names a real
//! one, a "same" setting has Go's key, environment names and default, and every setting and
//! subcommand of ours has a row.

use gitsign_core::config::{SETTINGS, Setting};

/// How ours compares with one thing of the Go gitsign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// The same name, form, default and meaning.
    Same,
    /// Ours has it, and it differs thus.
    Different(&'static str),
    /// Ours does not have it, for this reason.
    NotSupported(&'static str),
}

impl Compare {
    fn words(self) -> String {
        match self {
            Compare::Same => "same".into(),
            Compare::Different(how) => format!("different: {how}"),
            Compare::NotSupported(why) => format!("not supported: {why}"),
        }
    }
}

/// One setting of the Go gitsign.
#[derive(Debug)]
pub struct GoSetting {
    /// Its git config key below `gitsign.` (`None`: environment only).
    pub key: Option<&'static str>,
    /// The environment variables it reads for it.
    pub env: &'static [&'static str],
    /// Its default, as ours would write it (`None`: unset).
    pub default: Option<&'static str>,
    /// How ours compares.
    pub ours: Compare,
    /// For a variable ours reads outside the settings registry: the source file that reads it.
    pub read_in: Option<&'static str>,
}

const fn go(
    key: &'static str,
    env: &'static [&'static str],
    default: Option<&'static str>,
    ours: Compare,
) -> GoSetting {
    GoSetting { key: Some(key), env, default, ours, read_in: None }
}

const fn go_env(name: &'static [&'static str], ours: Compare, read_in: Option<&'static str>) -> GoSetting {
    GoSetting { key: None, env: name, default: None, ours, read_in }
}

/// Every setting of the Go gitsign (internal/config/config.go, and the variables it reads
/// elsewhere), in its README's order.
pub static GO_SETTINGS: &[GoSetting] = &[
    go("fulcio", &["GITSIGN_FULCIO_URL", "SIGSTORE_FULCIO_URL"], Some("https://fulcio.sigstore.dev"), Compare::Same),
    go(
        "logPath",
        &["GITSIGN_LOG"],
        None,
        Compare::Different(
            "a debug log of the steps and their timings, errors and verification results (never a token or a key), \
             not a copy of the terminal's output",
        ),
    ),
    go("clientID", &["GITSIGN_OIDC_CLIENT_ID", "SIGSTORE_OIDC_CLIENT_ID"], Some("sigstore"), Compare::Same),
    go(
        "clientSecretFile",
        &["GITSIGN_OIDC_CLIENT_SECRET_FILE", "SIGSTORE_OIDC_CLIENT_SECRET_FILE"],
        None,
        Compare::Same,
    ),
    go(
        "issuer",
        &["GITSIGN_OIDC_ISSUER", "SIGSTORE_OIDC_ISSUER"],
        Some("https://oauth2.sigstore.dev/auth"),
        Compare::Same,
    ),
    go(
        "matchCommitter",
        &[],
        Some("false"),
        Compare::Different(
            "under `git verify-commit` it also makes the certificate name the committer's (or tagger's) email",
        ),
    ),
    go("redirectURL", &["GITSIGN_OIDC_REDIRECT_URL", "SIGSTORE_OIDC_REDIRECT_URL"], None, Compare::Same),
    go("rekor", &["GITSIGN_REKOR_URL", "SIGSTORE_REKOR_URL"], Some("https://rekor.sigstore.dev"), Compare::Same),
    go("connectorID", &["GITSIGN_CONNECTOR_ID", "SIGSTORE_CONNECTOR_ID"], None, Compare::Same),
    go(
        "tokenProvider",
        &["GITSIGN_TOKEN_PROVIDER", "SIGSTORE_TOKEN_PROVIDER"],
        None,
        Compare::Different(
            "`spiffe` is refused (not supported by this build: pass its JWT-SVID in `SIGSTORE_ID_TOKEN`); unset, the \
             providers are tried in a fixed order (Go: a map's order); `google-impersonate` is accepted beside \
             `google-impersonation`",
        ),
    ),
    go("timestampServerURL", &["GITSIGN_TIMESTAMP_SERVER_URL", "SIGSTORE_TIMESTAMP_SERVER_URL"], None, Compare::Same),
    go("timestampCertChain", &["GITSIGN_TIMESTAMP_CERT_CHAIN", "SIGSTORE_TIMESTAMP_CERT_CHAIN"], None, Compare::Same),
    go(
        "autoclose",
        &["GITSIGN_AUTOCLOSE", "SIGSTORE_AUTOCLOSE"],
        Some("true"),
        Compare::Different(
            "the page tries to close itself with or without `connectorID` (Go turns autoclose off without one) and \
             says so when the browser does not let it; `1`/`yes`/`on` count as true (Go: only `true`)",
        ),
    ),
    go(
        "autocloseTimeout",
        &["GITSIGN_AUTOCLOSE_TIMEOUT", "SIGSTORE_AUTOCLOSE_TIMEOUT"],
        Some("6"),
        Compare::Different(
            "0 means the page never closes (Go: 0 in git config becomes 6, in the environment closes at once); a \
             value that is not a whole number of seconds up to 86400 stops signing with an error naming it (Go: \
             logged, and 6 or 0 used)",
        ),
    ),
    go(
        "enableSigstoreGo",
        &["GITSIGN_ENABLE_SIGSTORE_GO"],
        Some("true"),
        Compare::Different(
            "accepted and has no effect: this gitsign has one signing and verification path, and Rekor v2 needs no \
             switch (default shown as `false`)",
        ),
    ),
    go(
        "rekorVersion",
        &["GITSIGN_REKOR_VERSION", "SIGSTORE_REKOR_VERSION"],
        Some("1"),
        Compare::Different("2 needs `timestampServerURL` (Rekor v2 has no integrated time), not `enableSigstoreGo`"),
    ),
    go(
        "urlOpener",
        &["GITSIGN_URL_OPENER"],
        None,
        Compare::Different(
            "when the command fails, the login falls back to typing a code on a terminal; `{{.URL}}` is replaced \
             as text (no other template syntax)",
        ),
    ),
    go(
        "fulcioRoot",
        &["GITSIGN_FULCIO_ROOT", "SIGSTORE_FULCIO_ROOT"],
        None,
        Compare::Different("it replaces the trust root's Fulcio CAs, also for verification"),
    ),
    go(
        "rekorMode",
        &["GITSIGN_REKOR_MODE"],
        Some("online"),
        Compare::Different(
            "the default is `offline`: the log entry and its proofs are embedded, so signatures verify with no \
             network; set `online` for Go's default",
        ),
    ),
    go_env(
        &["SIGSTORE_ROOT_FILE"],
        Compare::Different(
            "used together with `fulcioRoot` when both are set (Go: `SIGSTORE_FULCIO_ROOT` / `GITSIGN_FULCIO_ROOT` \
             win over it)",
        ),
        None,
    ),
    go_env(&["SIGSTORE_REKOR_PUBLIC_KEY"], Compare::Same, None),
    go_env(
        &["GITSIGN_CREDENTIAL_CACHE"],
        Compare::Different(
            "the socket of this project's `gitsign-credential-cache`, which speaks its own protocol: a Go daemon \
             on it cannot be used",
        ),
        Some("src/credential.rs"),
    ),
    go_env(&["SIGSTORE_ID_TOKEN"], Compare::Same, Some("src/providers.rs")),
    go_env(&["TUF_ROOT"], Compare::Same, Some("src/tuf.rs")),
];

/// Where ours has one of the Go gitsign's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ours {
    /// A subcommand of `gitsign` (words below it, e.g. `verify`).
    Subcommand(&'static str),
    /// git's gpg-style command line (`-bsau KEY`, `--verify SIG -`), parsed by [`crate::gpg`].
    GpgInterface,
    /// Another program of this workspace: its package directory.
    Program(&'static str),
    /// None.
    Nothing,
}

/// One row of the commands table: a command of the Go gitsign (or `None`: ours only) and ours.
#[derive(Debug)]
pub struct CommandRow {
    /// The Go gitsign's command line (`None`: ours only).
    pub go: Option<&'static str>,
    /// Ours.
    pub ours: Ours,
    /// How they compare (for ours only: [`Compare::Same`], unused).
    pub compare: Compare,
}

const fn both(go: &'static str, ours: &'static str, compare: Compare) -> CommandRow {
    CommandRow { go: Some(go), ours: Ours::Subcommand(ours), compare }
}

const fn ours_only(ours: &'static str) -> CommandRow {
    CommandRow { go: None, ours: Ours::Subcommand(ours), compare: Compare::Same }
}

/// Every subcommand of the Go gitsign (internal/commands/*, cobra's `completion`, its other
/// program) and every one of ours.
pub static COMMANDS: &[CommandRow] = &[
    CommandRow {
        go: Some("gitsign -bsau KEY, gitsign --verify SIG - (git's gpg interface)"),
        ours: Ours::GpgInterface,
        compare: Compare::Different(
            "the same status lines; `--include-certs` and the deprecated `--detached-sign` are refused as unknown \
             options (git passes neither); `--keyid-format`, `--batch`, `--no-tty`, `--yes` are accepted and ignored",
        ),
    },
    both("gitsign --version", "version", Compare::Same),
    both(
        "version",
        "version",
        Compare::Different(
            "prints every setting's effective value (`--json`: one JSON object); Go prints its version, the \
             `GITSIGN_`/`SIGSTORE_`/`TUF_` environment and its parsed config as JSON",
        ),
    ),
    both("show [REV] [-r REMOTE]", "show", Compare::Same),
    both(
        "verify [COMMIT]",
        "verify",
        Compare::Different(
            "also ranges and `--all` (checked in parallel), `--output json`, `--offline`, `--allow-unsigned`, \
             `--policy`, `--trusted-root`, `--insecure-ignore-tlog`; identity, issuer, \
             `--certificate-github-workflow-*` and `--insecure-ignore-sct` flags as Go's; Go's hidden \
             `--certificate`, `--certificate-chain`, `--ca-roots`, `--ca-intermediates` are not taken",
        ),
    ),
    both(
        "verify-tag TAG",
        "verify-tag",
        Compare::Different(
            "several tags at once, and the signed tag object must carry the name asked for (a tag republished \
             under another name is refused)",
        ),
    ),
    both(
        "initialize [--mirror URL] [--root FILE]",
        "initialize",
        Compare::Different("without `--root`, the public-good mirror is bootstrapped from the TUF root built in"),
    ),
    CommandRow {
        go: Some("debug token (hidden)"),
        ours: Ours::Nothing,
        compare: Compare::NotSupported(
            "it prints the raw identity token; this gitsign never prints or logs a token (`GITSIGN_LOG` records \
             the login's steps)",
        ),
    },
    both(
        "attest [--type URI] [--objtype commit|tree] -f FILE",
        "attest",
        Compare::Different(
            "the same refs, tree layout, commit message, DSSE envelope and in-toto statement; the signature is \
             logged as a hashedrekord entry kept beside the envelope in `FILE.sigstore.json` (a Sigstore bundle \
             with its inclusion proof, so it verifies offline), where Go logs an intoto entry and keeps nothing \
             beside the envelope",
        ),
    ),
    ours_only("verify-attestation"),
    both("completion SHELL (cobra's)", "completion", Compare::Same),
    CommandRow {
        go: Some("gitsign-credential-cache (its own program)"),
        ours: Ours::Program("credential-cache"),
        compare: Compare::Different(
            "same name and `GITSIGN_CREDENTIAL_CACHE`, its own protocol (a Go daemon cannot be used, nor ours by a \
             Go gitsign); `gitsign credentials list` / `clear` talk to it; `credentialCacheMode = keyring` needs none",
        ),
    },
    ours_only("verify-blob"),
    ours_only("sign-blob"),
    ours_only("credentials"),
    ours_only("man"),
    ours_only("hook"),
];

fn code_list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// A setting's names: `gitsign.KEY` and its environment variables.
fn names(key: Option<&str>, env: &[&str]) -> String {
    let mut names: Vec<String> = key.map(|k| format!("`gitsign.{k}`")).into_iter().collect();
    if !env.is_empty() {
        names.push(code_list(env));
    }
    names.join(", ")
}

/// Whether a Go setting and one of ours are the same setting: the same git key, or for an
/// environment-only one, a variable in common.
fn matches(g: &GoSetting, s: &Setting) -> bool {
    match (g.key, s.key) {
        (Some(gk), Some(k)) => gk == k,
        (None, None) => g.env.iter().any(|e| s.env.contains(e)),
        _ => false,
    }
}

/// The section's settings table.
pub fn settings_table() -> String {
    let mut t = String::from("| Go gitsign | Go's default | this gitsign |\n|---|---|---|\n");
    for g in GO_SETTINGS {
        t.push_str(&format!(
            "| {} | {} | {} |\n",
            names(g.key, g.env),
            g.default.map_or_else(|| "unset".into(), |d| format!("`{d}`")),
            g.ours.words()
        ));
    }
    let go_env: Vec<&str> = GO_SETTINGS.iter().flat_map(|g| g.env.iter().copied()).collect();
    for s in SETTINGS {
        if GO_SETTINGS.iter().any(|g| matches(g, s)) {
            let extra: Vec<&str> = s.env.iter().copied().filter(|e| !go_env.contains(e)).collect();
            if !extra.is_empty() {
                t.push_str(&format!("| — | — | ours only: {}, read for `{}` |\n", code_list(&extra), s.name()));
            }
        } else {
            t.push_str(&format!("| — | — | ours only: {}: {} |\n", names(s.key, s.env), s.doc));
        }
    }
    t
}

/// A subcommand of ours by its words below `gitsign`.
fn subcommand(words: &str) -> Option<clap::Command> {
    let mut cmd = crate::cli::command();
    for word in words.split_whitespace() {
        cmd = cmd.find_subcommand(word)?.clone();
    }
    Some(cmd)
}

/// The section's commands table.
pub fn commands_table() -> String {
    let mut t = String::from("| Go gitsign | this gitsign | |\n|---|---|---|\n");
    for row in COMMANDS {
        let ours = match row.ours {
            Ours::Subcommand(words) => format!("`gitsign {words}`"),
            Ours::GpgInterface => "the same command line".into(),
            Ours::Program(dir) => format!("`{dir}/`"),
            Ours::Nothing => "—".into(),
        };
        let how = match (row.go, row.ours) {
            (None, Ours::Subcommand(words)) => {
                let about = subcommand(words).and_then(|c| c.get_about().map(|a| a.to_string())).unwrap_or_default();
                format!("ours only: {about}")
            }
            _ => row.compare.words(),
        };
        t.push_str(&format!("| {} | {ours} | {how} |\n", row.go.map_or_else(|| "—".into(), |g| format!("`{g}`"))));
    }
    t
}

/// The generated part of the README's section "Moving from the Go gitsign".
pub fn section() -> String {
    format!(
        "Settings (git config `gitsign.*`, environment variables):\n\n{}\nCommands:\n\n{}",
        settings_table(),
        commands_table()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_go_setting_names_ours_as_it_is() {
        for g in GO_SETTINGS {
            let what = names(g.key, g.env);
            let ours: Vec<&Setting> = SETTINGS.iter().filter(|s| matches(g, s)).collect();
            match (g.ours, g.read_in) {
                (Compare::NotSupported(_), _) => {
                    assert!(ours.is_empty() && g.read_in.is_none(), "{what} is marked not supported, but ours has it");
                }
                (_, Some(file)) => {
                    // Read outside the registry: the file named must read it, and the registry must not.
                    assert!(ours.is_empty(), "{what} is in SETTINGS: drop its read_in");
                    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
                        .unwrap_or_else(|e| panic!("{file}: {e}"));
                    for e in g.env {
                        assert!(text.contains(&format!("\"{e}\"")), "{file} does not read {e}");
                    }
                }
                (compare, None) => {
                    let [s] = ours[..] else { panic!("{what}: no setting (or several) of ours matches it") };
                    for e in g.env {
                        assert!(s.env.contains(e), "{what}: {} does not read {e}", s.name());
                    }
                    if compare == Compare::Same {
                        assert_eq!(g.default, s.default, "{what} is marked same, but the defaults differ");
                    }
                }
            }
        }
    }

    #[test]
    fn every_subcommand_of_ours_has_a_row_and_every_row_names_a_real_one() {
        for row in COMMANDS {
            match (row.go, row.ours, row.compare) {
                (_, Ours::Subcommand(words), _) => {
                    assert!(subcommand(words).is_some(), "a row names `gitsign {words}`, which does not exist");
                }
                (_, Ours::Program(dir), _) => {
                    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join("Cargo.toml");
                    assert!(manifest.exists(), "a row names the program in {dir}/, which does not exist");
                }
                (Some(_), Ours::Nothing, Compare::NotSupported(_)) | (Some(_), Ours::GpgInterface, _) => {}
                (go, ours, compare) => panic!("an inconsistent row: {go:?} {ours:?} {compare:?}"),
            }
            if let Some(go) = row.go {
                assert_eq!(
                    row.ours == Ours::Nothing,
                    matches!(row.compare, Compare::NotSupported(_)),
                    "{go}: not supported exactly when ours has nothing"
                );
            }
        }
        for sub in crate::cli::command().get_subcommands() {
            let name = sub.get_name();
            assert!(
                COMMANDS
                    .iter()
                    .any(|r| matches!(r.ours, Ours::Subcommand(w) if w.split_whitespace().next() == Some(name))),
                "`gitsign {name}` has no row in guide::COMMANDS (the README's \"Moving from the Go gitsign\")"
            );
        }
    }

    /// The README's section is the one [`section`] generates. To regenerate it:
    /// `GITSIGN_UPDATE_README=1 cargo test -p gitsign --lib guide`.
    #[test]
    fn readme_guide_is_generated_from_the_definitions() {
        const START: &str =
            "<!-- guide: generated from src/guide.rs, the settings registry and the clap commands -->\n";
        const END: &str = "<!-- end of guide -->";
        let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
        let text = std::fs::read_to_string(&readme).unwrap();
        let (head, rest) = text.split_once(START).expect("the guide's start marker in README.md");
        let (guide, tail) = rest.split_once(END).expect("the guide's end marker in README.md");
        let want = section();
        if guide != want && std::env::var_os("GITSIGN_UPDATE_README").is_some() {
            std::fs::write(&readme, format!("{head}{START}{want}{END}{tail}")).unwrap();
            return;
        }
        assert!(
            guide == want,
            "README.md's \"Moving from the Go gitsign\" differs from src/guide.rs; regenerate with GITSIGN_UPDATE_README=1. Expected:\n{want}"
        );
    }
}
