//! gitsign's configuration: git config `gitsign.*` keys under environment variables
//! (`GITSIGN_*`, then `SIGSTORE_*`), parsed once into typed settings. The names and defaults are
//! the Go gitsign's, so existing set-ups carry over; `gitsign.trustedRoot` /
//! `GITSIGN_TRUSTED_ROOT` and `gitsign.timeout` / `GITSIGN_TIMEOUT` are ours.
//!
//! Each setting is defined once, in [`SETTINGS`]: its key, environment names, doc line, parser,
//! default and scope. Resolution, `gitsign version` and the README's table all come from it.
//! This module reads no files and runs no process: the `git config` output it resolves is read by
//! the command layer (`src/gitconfig.rs`) and passed in.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// The process environment, captured once (tests pass their own).
pub type Env = BTreeMap<String, String>;

/// A setting that does not parse.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value of the wrong form.
    #[error("{source_name} = {value:?}: {expected}")]
    Invalid {
        /// Where it came from (a git config key or an environment variable).
        source_name: String,
        /// The value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// `git config` could not be run.
    #[error("cannot read git config (is git on PATH?): {0}")]
    Git(std::io::Error),
    /// `git config` ran and failed (a config file git refuses): gitsign does not go on with
    /// defaults in place of settings it could not read.
    #[error("git config failed ({status}): {stderr}; fix the config file git names")]
    GitFailed {
        /// How git exited.
        status: String,
        /// What git said (control characters replaced).
        stderr: String,
    },
    /// A signing config (`gitsign.signingConfig`) that cannot be used.
    #[error("signing config {path}: {detail}")]
    SigningConfig {
        /// The file.
        path: String,
        /// What is wrong with it.
        detail: String,
    },
}

/// Where Rekor entries go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RekorMode {
    /// The entry is embedded in the signature, which then verifies with no network.
    Offline,
    /// The Go gitsign's original mode: an entry over the commit SHA, found by searching Rekor.
    Online,
}

/// How to get an identity token when none is supplied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProvider {
    /// Authorization code + PKCE in a browser, with a loopback redirect.
    Browser,
    /// The device flow (RFC 8628), for SSH sessions and other browser-less terminals.
    Device,
    /// GitHub Actions' ambient token.
    GithubActions,
    /// A token file (cosign's `/var/run/sigstore/cosign/oidc-token`, or `GITSIGN_ID_TOKEN_FILE`).
    Filesystem,
    /// `buildkite-agent oidc request-token`.
    BuildkiteAgent,
    /// The GCE metadata server's identity token for the instance's service account.
    GoogleWorkloadIdentity,
    /// An ID token of `GOOGLE_SERVICE_ACCOUNT_NAME` from the IAM Credentials API.
    GoogleImpersonation,
    /// A JWT-SVID from the SPIFFE Workload API (refused: not supported by this build).
    Spiffe,
}

impl TokenProvider {
    /// The Go gitsign's name of the provider.
    pub fn name(&self) -> &'static str {
        match self {
            TokenProvider::Browser => "interactive",
            TokenProvider::Device => "device",
            TokenProvider::GithubActions => "github-actions",
            TokenProvider::Filesystem => "filesystem",
            TokenProvider::BuildkiteAgent => "buildkite-agent",
            TokenProvider::GoogleWorkloadIdentity => "google-workload-identity",
            TokenProvider::GoogleImpersonation => "google-impersonation",
            TokenProvider::Spiffe => "spiffe",
        }
    }
}

/// Where credentials are cached between signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheMode {
    /// The `gitsign-credential-cache` daemon at `GITSIGN_CREDENTIAL_CACHE`.
    Daemon,
    /// The OS keyring, no daemon.
    Keyring,
}

/// Every setting, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    /// Fulcio base URL.
    pub fulcio: String,
    /// Fulcio roots (PEM) replacing the trust root's CAs, the Go gitsign's `fulcioRoot`.
    pub fulcio_root: Option<PathBuf>,
    /// Rekor base URL.
    pub rekor: String,
    /// Rekor mode.
    pub rekor_mode: RekorMode,
    /// OIDC client ID.
    pub client_id: String,
    /// File holding the OIDC client secret.
    pub client_secret_file: Option<PathBuf>,
    /// Fixed redirect URL (default: a random loopback port).
    pub redirect_url: Option<String>,
    /// OIDC issuer URL.
    pub issuer: String,
    /// Dex connector ID.
    pub connector_id: Option<String>,
    /// Token provider, if configured.
    pub token_provider: Option<TokenProvider>,
    /// Command template that opens a URL (`{{.URL}}` is replaced).
    pub url_opener: Option<String>,
    /// Check the committer's email against the certificate when verifying.
    pub match_committer: bool,
    /// Close the browser page after login.
    pub autoclose: bool,
    /// How long the page shown after a browser login stays before it closes itself; zero: it
    /// never closes (nor when `autoclose` is false).
    pub autoclose_timeout: Duration,
    /// Debug log file.
    pub log_path: Option<PathBuf>,
    /// A trusted_root.json to verify with (default: the embedded public-good root).
    pub trusted_root: Option<PathBuf>,
    /// SIGSTORE_ROOT_FILE: Fulcio roots (PEM) replacing the trust root's CAs.
    pub root_file: Option<PathBuf>,
    /// Timeout of each network request.
    pub timeout: Duration,
    /// How long a person has to complete a browser or device login.
    pub login_timeout: Duration,
    /// Credential cache mode (`gitsign.credentialCacheMode`); the daemon is used whenever
    /// `GITSIGN_CREDENTIAL_CACHE` names its socket.
    pub credential_cache_mode: Option<CacheMode>,
    /// Identity policy for `git verify-commit`: exact certificate identity.
    pub certificate_identity: Option<String>,
    /// Identity policy: identity regexp.
    pub certificate_identity_regexp: Option<String>,
    /// Identity policy: exact OIDC issuer.
    pub certificate_oidc_issuer: Option<String>,
    /// Identity policy: issuer regexp.
    pub certificate_oidc_issuer_regexp: Option<String>,
    /// Accept Fulcio certificates without a verifiable SCT (`gitsign.insecureIgnoreSCT`), the
    /// setting behind `--insecure-ignore-sct` for `git verify-commit`.
    pub insecure_ignore_sct: bool,
    /// Rekor API version to log in (`gitsign.rekorVersion`): 1, or 2 (rekor-tiles, with a
    /// timestamp authority).
    pub rekor_version: u8,
    /// `gitsign.enableSigstoreGo`: the Go gitsign's switch for its sigstore-go path (which its
    /// `rekorVersion = 2` needs); accepted, as this gitsign has one path.
    pub enable_sigstore_go: bool,
    /// RFC 3161 timestamp authority to stamp signatures with.
    pub timestamp_server_url: Option<String>,
    /// The timestamp authority's certificate chain (PEM).
    pub timestamp_cert_chain: Option<PathBuf>,
    /// A Sigstore signing config (v0.2) that picks the services to sign with.
    pub signing_config: Option<PathBuf>,
    /// The push policy file (`gitsign.policy`): the hooks, and `git verify-commit` judging signers by it.
    pub policy: Option<PathBuf>,
    /// The commit whose in-repository policy (`.gitsign/policy.toml`) is trusted first.
    pub policy_root: Option<String>,
    /// Where the hooks append one JSON line per decision.
    pub hook_log: Option<PathBuf>,
    /// `git verify-commit`: say TRUST_UNDEFINED, not TRUST_FULLY, when no identity policy judged the signer.
    pub trust_undefined: bool,
    /// The `filesystem` token provider's file.
    pub id_token_file: Option<PathBuf>,
    /// Base URL of Google's IAM Credentials API (`google-impersonation`).
    pub google_iam_credentials: String,
    /// SIGSTORE_REKOR_PUBLIC_KEY: the Rekor key (PEM) replacing the trust root's logs.
    pub rekor_public_key: Option<PathBuf>,
    /// SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: the CT log key (PEM) replacing the trust root's CT logs.
    pub ct_log_public_key: Option<PathBuf>,
}

/// Public Sigstore's Fulcio.
pub const PUBLIC_FULCIO: &str = "https://fulcio.sigstore.dev";
/// Public Sigstore's Rekor.
pub const PUBLIC_REKOR: &str = "https://rekor.sigstore.dev";
/// Public Sigstore's OIDC issuer.
pub const PUBLIC_ISSUER: &str = "https://oauth2.sigstore.dev/auth";

/// What a setting changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Making signatures (login, certificate, log entry).
    Signing,
    /// Checking signatures (`git verify-commit`, `gitsign verify`, `verify-blob`).
    Verification,
    /// Both.
    Both,
}

impl Scope {
    fn words(self) -> &'static str {
        match self {
            Scope::Signing => "signing",
            Scope::Verification => "verification",
            Scope::Both => "both",
        }
    }
}

/// What the settings are resolved for. A setting of another [`Scope`] is neither parsed nor
/// warned about, so (say) a bad signing-only value cannot turn a good signature into an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing a commit, a tag or a blob.
    Sign,
    /// Verifying (and refreshing the trust root).
    Verify,
    /// Every setting, strictly (`gitsign version`).
    Show,
}

impl Purpose {
    fn reads(self, scope: Scope) -> bool {
        match (self, scope) {
            (Purpose::Show, _) | (_, Scope::Both) => true,
            (Purpose::Sign, s) => s == Scope::Signing,
            (Purpose::Verify, s) => s == Scope::Verification,
        }
    }
}

/// Something in the configuration that is not acted on, reported to the person (never fatal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigWarning {
    /// A `gitsign.*` git config key no setting has.
    Unknown {
        /// The key as git reports it (git lower-cases key names).
        key: String,
        /// The nearest known setting, if one is close.
        suggestion: Option<&'static str>,
    },
    /// A setting this version lists but does not implement yet.
    Unsupported {
        /// The setting's git key.
        setting: &'static str,
        /// Where the value came from.
        from: String,
    },
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigWarning::Unknown { key, suggestion: Some(s) } => {
                write!(f, "gitsign.{key} is not a gitsign setting; ignored (did you mean gitsign.{s}?)")
            }
            ConfigWarning::Unknown { key, suggestion: None } => {
                write!(f, "gitsign.{key} is not a gitsign setting; ignored (`gitsign version` lists them)")
            }
            ConfigWarning::Unsupported { setting, from } if from.starts_with("gitsign.") => {
                write!(f, "gitsign.{setting} is not supported by this version yet; ignored")
            }
            ConfigWarning::Unsupported { setting, from } => {
                write!(f, "gitsign.{setting} (set by {from}) is not supported by this version yet; ignored")
            }
        }
    }
}

/// Parses a value into its field; `Err` says what was expected.
type Apply = fn(&mut Config, &str) -> Result<(), &'static str>;
/// The effective value, for `gitsign version`.
type Show = fn(&Config) -> String;

/// One setting, defined once: where it is read from, what it means, how it parses, how it shows.
#[derive(Debug)]
pub struct Setting {
    /// Git config key below `gitsign.`, canonical spelling (git itself ignores case); `None` for
    /// an environment-only setting.
    pub key: Option<&'static str>,
    /// Environment variables, first wins; any of them wins over git config.
    pub env: &'static [&'static str],
    /// The form of the value.
    pub value: &'static str,
    /// The value when unset (parsed like a configured one); `None`: unset.
    pub default: Option<&'static str>,
    /// What it changes.
    pub scope: Scope,
    /// Whether this version acts on it (else: a warning when signing, and ignored).
    pub supported: bool,
    /// One line for people.
    pub doc: &'static str,
    apply: Apply,
    show: Show,
}

impl Setting {
    /// The name people see: `gitsign.KEY`, or the environment variable of an env-only setting.
    pub fn name(&self) -> String {
        match self.key {
            Some(k) => format!("gitsign.{k}"),
            None => self.env.first().copied().unwrap_or("").to_string(),
        }
    }
}

fn set_string(field: &mut String, v: &str) -> Result<(), &'static str> {
    *field = v.to_string();
    Ok(())
}

fn set_opt(field: &mut Option<String>, v: &str) -> Result<(), &'static str> {
    *field = Some(v.to_string());
    Ok(())
}

fn set_path(field: &mut Option<PathBuf>, v: &str) -> Result<(), &'static str> {
    *field = Some(PathBuf::from(v));
    Ok(())
}

fn boolean(v: &str) -> Result<bool, &'static str> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err("true or false"),
    }
}

fn seconds(v: &str) -> Result<u64, &'static str> {
    v.trim().parse().map_err(|_| "a whole number of seconds")
}

fn show_opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "(unset)".into())
}

fn show_path(v: &Option<PathBuf>) -> String {
    v.as_ref().map_or_else(|| "(unset)".into(), |p| p.display().to_string())
}

/// Every gitsign setting, in the order `gitsign version` and the README list them.
pub static SETTINGS: &[Setting] = &[
    Setting {
        key: Some("fulcio"),
        env: &["GITSIGN_FULCIO_URL", "SIGSTORE_FULCIO_URL"],
        value: "URL",
        default: Some(PUBLIC_FULCIO),
        scope: Scope::Signing,
        supported: true,
        doc: "Fulcio, the CA that certifies the ephemeral signing key",
        apply: |c, v| set_string(&mut c.fulcio, v),
        show: |c| c.fulcio.clone(),
    },
    Setting {
        key: Some("fulcioRoot"),
        env: &["GITSIGN_FULCIO_ROOT", "SIGSTORE_FULCIO_ROOT"],
        value: "PEM file",
        default: None,
        scope: Scope::Both,
        supported: true,
        doc: "Fulcio root certificates that replace the trust root's CAs (a private deployment, the Go way)",
        apply: |c, v| set_path(&mut c.fulcio_root, v),
        show: |c| show_path(&c.fulcio_root),
    },
    Setting {
        key: None,
        env: &["SIGSTORE_ROOT_FILE"],
        value: "PEM file",
        default: None,
        scope: Scope::Both,
        supported: true,
        doc: "Fulcio root certificates that replace the trust root's CAs, as `fulcioRoot` (environment only; both given: both used)",
        apply: |c, v| set_path(&mut c.root_file, v),
        show: |c| show_path(&c.root_file),
    },
    Setting {
        key: None,
        env: &["SIGSTORE_REKOR_PUBLIC_KEY"],
        value: "PEM file",
        default: None,
        scope: Scope::Both,
        supported: true,
        doc: "the Rekor public key that replaces the trust root's Rekor logs (environment only)",
        apply: |c, v| set_path(&mut c.rekor_public_key, v),
        show: |c| show_path(&c.rekor_public_key),
    },
    Setting {
        key: None,
        env: &["SIGSTORE_CT_LOG_PUBLIC_KEY_FILE"],
        value: "PEM file",
        default: None,
        scope: Scope::Both,
        supported: true,
        doc: "the CT log public key that replaces the trust root's CT logs (environment only)",
        apply: |c, v| set_path(&mut c.ct_log_public_key, v),
        show: |c| show_path(&c.ct_log_public_key),
    },
    Setting {
        key: Some("rekor"),
        env: &["GITSIGN_REKOR_URL", "SIGSTORE_REKOR_URL"],
        value: "URL",
        default: Some(PUBLIC_REKOR),
        scope: Scope::Both,
        supported: true,
        doc: "Rekor, the transparency log (verification looks entries up there in online mode)",
        apply: |c, v| set_string(&mut c.rekor, v),
        show: |c| c.rekor.clone(),
    },
    Setting {
        key: Some("rekorMode"),
        env: &["GITSIGN_REKOR_MODE", "SIGSTORE_REKOR_MODE"],
        value: "`offline` or `online`",
        default: Some("offline"),
        scope: Scope::Signing,
        supported: true,
        doc: "offline: the log entry is embedded in the signature; online: logged by commit ID",
        apply: |c, v| {
            c.rekor_mode = match v.to_ascii_lowercase().as_str() {
                "offline" => RekorMode::Offline,
                "online" => RekorMode::Online,
                _ => return Err("online or offline"),
            };
            Ok(())
        },
        show: |c| format!("{:?}", c.rekor_mode).to_ascii_lowercase(),
    },
    Setting {
        key: Some("rekorVersion"),
        env: &["GITSIGN_REKOR_VERSION", "SIGSTORE_REKOR_VERSION"],
        value: "`1` or `2`",
        default: Some("1"),
        scope: Scope::Signing,
        supported: true,
        doc: "Rekor API version of gitsign.rekor: 2 (rekor-tiles) needs gitsign.timestampServerURL",
        apply: |c, v| {
            c.rekor_version = match v.trim() {
                "1" => 1,
                "2" => 2,
                _ => return Err("1 or 2"),
            };
            Ok(())
        },
        show: |c| c.rekor_version.to_string(),
    },
    Setting {
        key: Some("enableSigstoreGo"),
        env: &["GITSIGN_ENABLE_SIGSTORE_GO"],
        value: "`true` or `false`",
        default: Some("false"),
        scope: Scope::Signing,
        supported: true,
        doc: "the Go gitsign's switch for rekorVersion 2; accepted, and not needed here",
        apply: |c, v| {
            c.enable_sigstore_go = boolean(v)?;
            Ok(())
        },
        show: |c| c.enable_sigstore_go.to_string(),
    },
    Setting {
        key: Some("clientID"),
        env: &["GITSIGN_OIDC_CLIENT_ID", "SIGSTORE_OIDC_CLIENT_ID"],
        value: "text",
        default: Some("sigstore"),
        scope: Scope::Signing,
        supported: true,
        doc: "OIDC client ID of the login",
        apply: |c, v| set_string(&mut c.client_id, v),
        show: |c| c.client_id.clone(),
    },
    Setting {
        key: Some("clientSecretFile"),
        env: &["GITSIGN_OIDC_CLIENT_SECRET_FILE", "SIGSTORE_OIDC_CLIENT_SECRET_FILE"],
        value: "file",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "file holding the OIDC client secret, for issuers that want one",
        apply: |c, v| set_path(&mut c.client_secret_file, v),
        show: |c| show_path(&c.client_secret_file),
    },
    Setting {
        key: Some("redirectURL"),
        env: &["GITSIGN_OIDC_REDIRECT_URL", "SIGSTORE_OIDC_REDIRECT_URL"],
        value: "URL",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "fixed login redirect URL (default: a random loopback port; `urn:ietf:wg:oauth:2.0:oob`: type the code)",
        apply: |c, v| set_opt(&mut c.redirect_url, v),
        show: |c| show_opt(&c.redirect_url),
    },
    Setting {
        key: Some("issuer"),
        env: &["GITSIGN_OIDC_ISSUER", "SIGSTORE_OIDC_ISSUER"],
        value: "URL",
        default: Some(PUBLIC_ISSUER),
        scope: Scope::Signing,
        supported: true,
        doc: "OIDC issuer of the login",
        apply: |c, v| set_string(&mut c.issuer, v),
        show: |c| c.issuer.clone(),
    },
    Setting {
        key: Some("connectorID"),
        env: &["GITSIGN_CONNECTOR_ID", "SIGSTORE_CONNECTOR_ID"],
        value: "text",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "Dex connector to skip the issuer's choice page (e.g. `https://github.com/login/oauth`)",
        apply: |c, v| set_opt(&mut c.connector_id, v),
        show: |c| show_opt(&c.connector_id),
    },
    Setting {
        key: Some("tokenProvider"),
        env: &["GITSIGN_TOKEN_PROVIDER", "SIGSTORE_TOKEN_PROVIDER"],
        value: "`interactive`, `device`, `github-actions`, `filesystem`, `buildkite-agent`, `google-workload-identity`, `google-impersonation` or `spiffe`",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "how to get a token when `SIGSTORE_ID_TOKEN` gives none (unset: the first provider whose markers are present, else the browser; see Identity tokens)",
        apply: |c, v| {
            c.token_provider = Some(match v.to_ascii_lowercase().as_str() {
                "browser" | "interactive" => TokenProvider::Browser,
                "device" => TokenProvider::Device,
                "github-actions" | "github" => TokenProvider::GithubActions,
                "filesystem" => TokenProvider::Filesystem,
                "buildkite-agent" => TokenProvider::BuildkiteAgent,
                "google-workload-identity" => TokenProvider::GoogleWorkloadIdentity,
                "google-impersonation" | "google-impersonate" => TokenProvider::GoogleImpersonation,
                "spiffe" => TokenProvider::Spiffe,
                _ => {
                    return Err(
                        "interactive, device, github-actions, filesystem, buildkite-agent, google-workload-identity, google-impersonation or spiffe",
                    );
                }
            });
            Ok(())
        },
        show: |c| c.token_provider.as_ref().map_or_else(|| "(unset: detected)".into(), |p| p.name().to_string()),
    },
    Setting {
        key: None,
        env: &["GITSIGN_ID_TOKEN_FILE"],
        value: "file",
        default: Some("/var/run/sigstore/cosign/oidc-token"),
        scope: Scope::Signing,
        supported: true,
        doc: "the token file of the `filesystem` provider (cosign's path by default; detected when it exists)",
        apply: |c, v| set_path(&mut c.id_token_file, v),
        show: |c| show_path(&c.id_token_file),
    },
    Setting {
        key: None,
        env: &["GITSIGN_GOOGLE_IAM_CREDENTIALS_URL"],
        value: "URL",
        default: Some("https://iamcredentials.googleapis.com"),
        scope: Scope::Signing,
        supported: true,
        doc: "the IAM Credentials API of the `google-impersonation` provider",
        apply: |c, v| set_string(&mut c.google_iam_credentials, v),
        show: |c| c.google_iam_credentials.clone(),
    },
    Setting {
        key: Some("timestampServerURL"),
        env: &["GITSIGN_TIMESTAMP_SERVER_URL", "SIGSTORE_TIMESTAMP_SERVER_URL"],
        value: "URL",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "RFC 3161 timestamp authority (its full URL, e.g. `https://timestamp.sigstore.dev/api/v1/timestamp`): \
              the signature carries its token",
        apply: |c, v| set_opt(&mut c.timestamp_server_url, v),
        show: |c| show_opt(&c.timestamp_server_url),
    },
    Setting {
        key: Some("timestampCertChain"),
        env: &["GITSIGN_TIMESTAMP_CERT_CHAIN", "SIGSTORE_TIMESTAMP_CERT_CHAIN"],
        value: "PEM file",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "the timestamp authority's certificate chain, signing certificate first: a new token must verify \
              with it (verification uses the trust root's timestamp authorities)",
        apply: |c, v| set_path(&mut c.timestamp_cert_chain, v),
        show: |c| show_path(&c.timestamp_cert_chain),
    },
    Setting {
        key: Some("signingConfig"),
        env: &["GITSIGN_SIGNING_CONFIG"],
        value: "signing_config.json",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "a Sigstore signing config (v0.2, or a trust config holding one): Fulcio, issuer, Rekor (the newest \
              API version gitsign speaks, 1 or 2) and timestamp authority are the first of each valid now",
        apply: |c, v| set_path(&mut c.signing_config, v),
        show: |c| show_path(&c.signing_config),
    },
    Setting {
        key: Some("urlOpener"),
        env: &["GITSIGN_URL_OPENER", "SIGSTORE_URL_OPENER"],
        value: "command with `{{.URL}}`",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "command that opens the login page, split into words as a shell would, `{{.URL}}` replaced in any word (default: the system's browser; when it fails: the code flow on a terminal)",
        apply: |c, v| {
            if !v.contains("{{.URL}}") {
                return Err("a command containing {{.URL}}");
            }
            set_opt(&mut c.url_opener, v)
        },
        show: |c| show_opt(&c.url_opener),
    },
    Setting {
        key: Some("autoclose"),
        env: &["GITSIGN_AUTOCLOSE", "SIGSTORE_AUTOCLOSE"],
        value: "true/false",
        default: Some("true"),
        scope: Scope::Signing,
        supported: true,
        doc: "close the browser page once the login is done",
        apply: |c, v| {
            c.autoclose = boolean(v)?;
            Ok(())
        },
        show: |c| c.autoclose.to_string(),
    },
    Setting {
        key: Some("autocloseTimeout"),
        env: &["GITSIGN_AUTOCLOSE_TIMEOUT", "SIGSTORE_AUTOCLOSE_TIMEOUT"],
        value: "seconds, at most 86400",
        default: Some("6"),
        scope: Scope::Signing,
        supported: true,
        doc: "seconds the page shown after a browser login counts down before it closes itself (0: it never closes)",
        apply: |c, v| match seconds(v)? {
            s if s > 86_400 => Err("a whole number of seconds, at most 86400 (0: never close)"),
            s => {
                c.autoclose_timeout = Duration::from_secs(s);
                Ok(())
            }
        },
        show: |c| format!("{}s", c.autoclose_timeout.as_secs()),
    },
    Setting {
        key: Some("loginTimeout"),
        env: &["GITSIGN_LOGIN_TIMEOUT", "SIGSTORE_LOGIN_TIMEOUT"],
        value: "seconds",
        default: Some("300"),
        scope: Scope::Signing,
        supported: true,
        doc: "how long a person has to complete a browser or device login",
        apply: |c, v| {
            c.login_timeout = Duration::from_secs(seconds(v)?.max(1));
            Ok(())
        },
        show: |c| format!("{}s", c.login_timeout.as_secs()),
    },
    Setting {
        key: Some("credentialCacheMode"),
        env: &["GITSIGN_CREDENTIAL_CACHE_MODE", "SIGSTORE_CREDENTIAL_CACHE_MODE"],
        value: "`daemon` or `keyring`",
        default: None,
        scope: Scope::Signing,
        supported: true,
        doc: "where a credential is kept between signatures (the daemon is used whenever `GITSIGN_CREDENTIAL_CACHE` names its socket)",
        apply: |c, v| {
            c.credential_cache_mode = Some(match v.to_ascii_lowercase().as_str() {
                "daemon" => CacheMode::Daemon,
                "keyring" => CacheMode::Keyring,
                _ => return Err("daemon or keyring"),
            });
            Ok(())
        },
        show: |c| c.credential_cache_mode.map_or_else(|| "(unset)".into(), |m| format!("{m:?}").to_ascii_lowercase()),
    },
    Setting {
        key: Some("trustedRoot"),
        env: &["GITSIGN_TRUSTED_ROOT", "SIGSTORE_TRUSTED_ROOT"],
        value: "trusted_root.json",
        default: None,
        scope: Scope::Both,
        supported: true,
        doc: "the trust root to verify with, also checked against when signing (default: the embedded public-good root)",
        apply: |c, v| set_path(&mut c.trusted_root, v),
        show: |c| {
            c.trusted_root.as_ref().map_or_else(|| "(embedded public-good root)".into(), |p| p.display().to_string())
        },
    },
    Setting {
        key: Some("timeout"),
        env: &["GITSIGN_TIMEOUT", "SIGSTORE_TIMEOUT"],
        value: "seconds, at least 1",
        default: Some("30"),
        scope: Scope::Both,
        supported: true,
        doc: "how long each network request may take",
        apply: |c, v| match seconds(v)? {
            0 => Err("at least 1 second"),
            s => {
                c.timeout = Duration::from_secs(s);
                Ok(())
            }
        },
        show: |c| format!("{}s", c.timeout.as_secs()),
    },
    Setting {
        key: Some("matchCommitter"),
        env: &["GITSIGN_MATCH_COMMITTER", "SIGSTORE_MATCH_COMMITTER"],
        value: "true/false",
        default: Some("false"),
        scope: Scope::Both,
        supported: true,
        doc: "signing refuses a certificate that does not name the committer (email, or name for a URI identity) before \
              anything is logged; `git verify-commit`: the certificate must name the committer's (or tagger's) email",
        apply: |c, v| {
            c.match_committer = boolean(v)?;
            Ok(())
        },
        show: |c| c.match_committer.to_string(),
    },
    Setting {
        key: Some("certificateIdentity"),
        env: &["GITSIGN_CERTIFICATE_IDENTITY", "SIGSTORE_CERTIFICATE_IDENTITY"],
        value: "text",
        default: None,
        scope: Scope::Verification,
        supported: true,
        doc: "`git verify-commit`: the exact identity (email or URI) that must have signed",
        apply: |c, v| set_opt(&mut c.certificate_identity, v),
        show: |c| show_opt(&c.certificate_identity),
    },
    Setting {
        key: Some("certificateIdentityRegexp"),
        env: &["GITSIGN_CERTIFICATE_IDENTITY_REGEXP", "SIGSTORE_CERTIFICATE_IDENTITY_REGEXP"],
        value: "regexp",
        default: None,
        scope: Scope::Verification,
        supported: true,
        doc: "`git verify-commit`: a pattern the signer's identity must match",
        apply: |c, v| set_opt(&mut c.certificate_identity_regexp, v),
        show: |c| show_opt(&c.certificate_identity_regexp),
    },
    Setting {
        key: Some("certificateOidcIssuer"),
        env: &["GITSIGN_CERTIFICATE_OIDC_ISSUER", "SIGSTORE_CERTIFICATE_OIDC_ISSUER"],
        value: "URL",
        default: None,
        scope: Scope::Verification,
        supported: true,
        doc: "`git verify-commit`: the exact OIDC issuer that must have vouched for the signer",
        apply: |c, v| set_opt(&mut c.certificate_oidc_issuer, v),
        show: |c| show_opt(&c.certificate_oidc_issuer),
    },
    Setting {
        key: Some("certificateOidcIssuerRegexp"),
        env: &["GITSIGN_CERTIFICATE_OIDC_ISSUER_REGEXP", "SIGSTORE_CERTIFICATE_OIDC_ISSUER_REGEXP"],
        value: "regexp",
        default: None,
        scope: Scope::Verification,
        supported: true,
        doc: "`git verify-commit`: a pattern the OIDC issuer must match",
        apply: |c, v| set_opt(&mut c.certificate_oidc_issuer_regexp, v),
        show: |c| show_opt(&c.certificate_oidc_issuer_regexp),
    },
    Setting {
        key: Some("insecureIgnoreSCT"),
        env: &["GITSIGN_INSECURE_IGNORE_SCT", "SIGSTORE_INSECURE_IGNORE_SCT"],
        value: "true/false",
        default: Some("false"),
        scope: Scope::Both,
        supported: true,
        doc: "accept Fulcio certificates without a verifiable SCT (with a warning); for private deployments",
        apply: |c, v| {
            c.insecure_ignore_sct = boolean(v)?;
            Ok(())
        },
        show: |c| c.insecure_ignore_sct.to_string(),
    },
    Setting {
        key: Some("logPath"),
        env: &["GITSIGN_LOG", "SIGSTORE_LOG"],
        value: "file",
        default: None,
        scope: Scope::Both,
        supported: true,
        doc: "debug log of the steps and their timings (never a token or a key)",
        apply: |c, v| set_path(&mut c.log_path, v),
        show: |c| show_path(&c.log_path),
    },
    Setting {
        key: Some("policy"),
        env: &["GITSIGN_POLICY"],
        value: "TOML file",
        default: None,
        scope: Scope::Verification,
        supported: true,
        doc: "the push policy (who may sign which refs) the hooks enforce and `git verify-commit` judges signers by",
        apply: |c, v| set_path(&mut c.policy, v),
        show: |c| show_path(&c.policy),
    },
    Setting {
        key: Some("policyRoot"),
        env: &["GITSIGN_POLICY_ROOT"],
        value: "commit ID",
        default: None,
        scope: Scope::Verification,
        supported: true,
        doc: "turns on the in-repository policy (`.gitsign/policy.toml`): the commit whose policy is trusted first",
        apply: |c, v| set_opt(&mut c.policy_root, v),
        show: |c| show_opt(&c.policy_root),
    },
    Setting {
        key: Some("hookLog"),
        env: &["GITSIGN_HOOK_LOG"],
        value: "file",
        default: None,
        scope: Scope::Verification,
        supported: true,
        doc: "the hooks append one JSON line per decision here (time, refs, old/new, verdict per commit)",
        apply: |c, v| set_path(&mut c.hook_log, v),
        show: |c| show_path(&c.hook_log),
    },
    Setting {
        key: Some("trustUndefined"),
        env: &["GITSIGN_TRUST_UNDEFINED"],
        value: "true/false",
        default: Some("false"),
        scope: Scope::Verification,
        supported: true,
        doc: "`git verify-commit`: report a good signature no identity policy judged as TRUST_UNDEFINED (so `merge --verify-signatures` refuses it)",
        apply: |c, v| {
            c.trust_undefined = boolean(v)?;
            Ok(())
        },
        show: |c| c.trust_undefined.to_string(),
    },
];

/// Settings resolved for one [`Purpose`], with what the person should be told about them.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The typed settings.
    pub config: Config,
    /// Unknown keys and unsupported settings that are set (each to be shown once).
    pub warnings: Vec<ConfigWarning>,
}

/// A setting's value and where it came from: the first non-empty environment variable, else
/// git config (keys lower case, as git reports them).
fn lookup(git: &BTreeMap<String, String>, env: &Env, setting: &Setting) -> Option<(String, String)> {
    for name in setting.env {
        if let Some(v) = env.get(*name).filter(|v| !v.is_empty()) {
            return Some((v.clone(), (*name).to_string()));
        }
    }
    let key = setting.key?;
    git.get(&key.to_ascii_lowercase()).map(|v| (v.clone(), format!("gitsign.{key}")))
}

/// The known setting nearest to an unknown git key, if one is close enough to be a typo.
fn nearest(registry: &[Setting], key: &str) -> Option<&'static str> {
    let plain = |s: &str| s.to_ascii_lowercase().replace(['-', '_', '.'], "");
    let wanted = plain(key);
    registry
        .iter()
        .filter_map(|s| s.key)
        .map(|k| (strsim::damerau_levenshtein(&wanted, &plain(k)), k))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .map(|(_, k)| k)
}

impl Config {
    /// The services signing may reach: Fulcio, Rekor, the OIDC issuer and the timestamp authority.
    pub fn service_urls(&self) -> impl Iterator<Item = &str> {
        [Some(&self.fulcio), Some(&self.rekor), Some(&self.issuer), self.timestamp_server_url.as_ref()]
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// Picks the services of a signing config as Sigstore clients do: of each kind, the first
    /// valid at `now` with an API version gitsign speaks; for Rekor, the newest such version
    /// (2 before 1). Fulcio and Rekor must be found; the issuer and the timestamp authority are
    /// taken when listed. `Err` says what is missing.
    pub fn apply_signing_config(
        &mut self,
        sc: &gitsign_protocol::trust::SigningConfig,
        now: time::OffsetDateTime,
    ) -> Result<(), String> {
        use gitsign_protocol::trust::Service;
        let pick = |list: &[Service], versions: &[u32]| -> Option<Service> {
            versions
                .iter()
                .find_map(|v| list.iter().find(|s| s.major_api_version == *v && s.valid_for.contains(now)).cloned())
        };
        let ca = pick(&sc.ca_urls, &[1]).ok_or("no Fulcio (caUrls) with API version 1 is valid now")?;
        let rekor = pick(&sc.rekor_tlog_urls, &[2, 1])
            .ok_or("no Rekor (rekorTlogUrls) with API version 1 or 2 is valid now")?;
        self.fulcio = ca.url;
        self.rekor = rekor.url;
        self.rekor_version = if rekor.major_api_version == 2 { 2 } else { 1 };
        if let Some(oidc) = pick(&sc.oidc_urls, &[1]) {
            self.issuer = oidc.url;
        }
        if let Some(tsa) = pick(&sc.tsa_urls, &[1]) {
            self.timestamp_server_url = Some(tsa.url);
        } else if self.rekor_version == 2 {
            return Err("it picks a Rekor v2 log but lists no timestamp authority valid now (tsaUrls)".into());
        }
        Ok(())
    }

    /// Every field empty; [`Config::resolve_for`] fills in the defaults of [`SETTINGS`].
    pub(crate) fn blank() -> Config {
        Config {
            fulcio: String::new(),
            fulcio_root: None,
            rekor: String::new(),
            rekor_mode: RekorMode::Offline,
            client_id: String::new(),
            client_secret_file: None,
            redirect_url: None,
            issuer: String::new(),
            connector_id: None,
            token_provider: None,
            url_opener: None,
            match_committer: false,
            autoclose: false,
            autoclose_timeout: Duration::from_secs(6),
            log_path: None,
            trusted_root: None,
            root_file: None,
            timeout: Duration::from_secs(30),
            login_timeout: Duration::from_secs(300),
            credential_cache_mode: None,
            certificate_identity: None,
            certificate_identity_regexp: None,
            certificate_oidc_issuer: None,
            certificate_oidc_issuer_regexp: None,
            insecure_ignore_sct: false,
            rekor_version: 1,
            enable_sigstore_go: false,
            timestamp_server_url: None,
            timestamp_cert_chain: None,
            signing_config: None,
            policy: None,
            policy_root: None,
            hook_log: None,
            trust_undefined: false,
            id_token_file: None,
            google_iam_credentials: String::new(),
            rekor_public_key: None,
            ct_log_public_key: None,
        }
    }

    /// Resolves every setting strictly (as for `gitsign version`) from git config values and the
    /// environment.
    pub fn resolve(git: &BTreeMap<String, String>, env: &Env) -> Result<Config, ConfigError> {
        Config::resolve_for(git, env, Purpose::Show).map(|r| r.config)
    }

    /// Resolves the settings `purpose` reads: the others keep their defaults and are not parsed,
    /// so their errors cannot fail it. Unknown `gitsign.*` keys, and unsupported settings that
    /// are set when signing, come back as warnings.
    pub fn resolve_for(git: &BTreeMap<String, String>, env: &Env, purpose: Purpose) -> Result<Resolved, ConfigError> {
        Config::resolve_in(SETTINGS, git, env, purpose)
    }

    /// [`Config::resolve_for`] over another registry than [`SETTINGS`] (the tests build one).
    fn resolve_in(
        registry: &[Setting],
        git: &BTreeMap<String, String>,
        env: &Env,
        purpose: Purpose,
    ) -> Result<Resolved, ConfigError> {
        let mut config = Config::blank();
        let mut warnings = Vec::new();
        for setting in registry {
            if let Some(default) = setting.default {
                (setting.apply)(&mut config, default).map_err(|expected| ConfigError::Invalid {
                    source_name: format!("the default of {}", setting.name()),
                    value: default.into(),
                    expected,
                })?;
            }
            let Some((value, from)) = lookup(git, env, setting) else { continue };
            if !setting.supported {
                if purpose == Purpose::Sign && setting.scope != Scope::Verification {
                    warnings.push(ConfigWarning::Unsupported { setting: setting.key.unwrap_or(""), from });
                }
                continue;
            }
            if purpose.reads(setting.scope) {
                (setting.apply)(&mut config, &value).map_err(|expected| ConfigError::Invalid {
                    source_name: from,
                    value,
                    expected,
                })?;
            }
        }
        for key in git.keys() {
            if !registry.iter().filter_map(|s| s.key).any(|k| k.eq_ignore_ascii_case(key)) {
                warnings.push(ConfigWarning::Unknown { key: key.clone(), suggestion: nearest(registry, key) });
            }
        }
        Ok(Resolved { config, warnings })
    }

    /// Settings as `name = value` pairs, for `gitsign version`.
    pub fn describe(&self) -> Vec<(String, String)> {
        self.describe_in(SETTINGS)
    }

    /// [`Config::describe`] over another registry; an unsupported setting shows no value.
    fn describe_in(&self, registry: &[Setting]) -> Vec<(String, String)> {
        let value = |s: &Setting| if s.supported { (s.show)(self) } else { "(not supported yet; ignored)".into() };
        registry.iter().map(|s| (s.key.map_or_else(|| s.name(), str::to_string), value(s))).collect()
    }
}

/// The README's settings table, generated from [`SETTINGS`].
pub fn settings_table() -> String {
    let mut t = String::from(
        "| git config | environment | value | default | used for | what it does |\n|---|---|---|---|---|---|\n",
    );
    for s in SETTINGS {
        let env = s.env.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(", ");
        t.push_str(&format!(
            "| {} | {env} | {} | {} | {} | {} |\n",
            s.key.map_or_else(|| "—".into(), |k| format!("`gitsign.{k}`")),
            s.value,
            s.default.map_or_else(|| "unset".into(), |d| format!("`{d}`")),
            if s.supported { s.scope.words() } else { "not yet (warns)" },
            s.doc,
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn environment_wins_over_git_config_and_gitsign_over_sigstore() {
        let git = BTreeMap::from([
            ("fulcio".to_string(), "https://git".to_string()),
            ("rekor".into(), "https://git-rekor".into()),
        ]);
        let c = Config::resolve(
            &git,
            &env(&[("SIGSTORE_FULCIO_URL", "https://sig"), ("GITSIGN_FULCIO_URL", "https://gs")]),
        )
        .unwrap();
        assert_eq!(c.fulcio, "https://gs");
        assert_eq!(c.rekor, "https://git-rekor");
        let c = Config::resolve(&git, &env(&[("SIGSTORE_FULCIO_URL", "https://sig")])).unwrap();
        assert_eq!(c.fulcio, "https://sig");
        let c = Config::resolve(&BTreeMap::new(), &Env::new()).unwrap();
        assert_eq!(
            (c.fulcio.as_str(), c.rekor_mode, c.timeout),
            (PUBLIC_FULCIO, RekorMode::Offline, Duration::from_secs(30))
        );
    }

    #[test]
    fn bad_values_name_their_source() {
        let e = Config::resolve(&BTreeMap::from([("rekormode".to_string(), "sometimes".to_string())]), &Env::new())
            .unwrap_err();
        assert!(e.to_string().contains("gitsign.rekorMode") && e.to_string().contains("online or offline"), "{e}");
        let e = Config::resolve(&BTreeMap::new(), &env(&[("GITSIGN_URL_OPENER", "firefox")])).unwrap_err();
        assert!(e.to_string().contains("{{.URL}}"), "{e}");
        assert!(Config::resolve(&BTreeMap::new(), &env(&[("GITSIGN_TIMEOUT", "x")])).is_err());
        let e = Config::resolve(&BTreeMap::new(), &env(&[("GITSIGN_INSECURE_IGNORE_SCT", "maybe")])).unwrap_err();
        assert!(
            e.to_string().contains("GITSIGN_INSECURE_IGNORE_SCT") && e.to_string().contains("true or false"),
            "{e}"
        );
    }

    #[test]
    fn insecure_ignore_sct_is_off_unless_set() {
        assert!(!Config::resolve(&BTreeMap::new(), &Env::new()).unwrap().insecure_ignore_sct);
        let git = BTreeMap::from([("insecureignoresct".to_string(), "true".to_string())]);
        assert!(Config::resolve(&git, &Env::new()).unwrap().insecure_ignore_sct);
        assert!(!Config::resolve(&git, &env(&[("GITSIGN_INSECURE_IGNORE_SCT", "false")])).unwrap().insecure_ignore_sct);
    }

    fn git(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_setting_is_defined_once_and_its_default_parses() {
        let mut names = std::collections::BTreeSet::new();
        for s in SETTINGS {
            if let Some(k) = s.key {
                assert!(names.insert(k.to_ascii_lowercase()), "gitsign.{k} is defined twice");
            }
            for e in s.env {
                assert!(names.insert((*e).to_string()), "{e} is defined twice");
            }
            assert!(!s.env.is_empty() && !s.doc.is_empty(), "{} lacks an environment name or a doc line", s.name());
            if let Some(d) = s.default {
                let mut c = Config::blank();
                assert_eq!((s.apply)(&mut c, d), Ok(()), "the default of {}", s.name());
            }
        }
        // Every setting shows in `gitsign version`.
        assert_eq!(Config::resolve(&BTreeMap::new(), &Env::new()).unwrap().describe().len(), SETTINGS.len());
    }

    #[test]
    fn a_bad_signing_only_value_fails_signing_but_not_verification() {
        let g = git(&[("rekormode", "sometimes"), ("timestampserverurl", "https://tsa"), ("timeout", "7")]);
        let e = Config::resolve_for(&g, &Env::new(), Purpose::Sign).unwrap_err();
        assert!(e.to_string().contains("gitsign.rekorMode = \"sometimes\""), "{e}");
        let r = Config::resolve_for(&g, &Env::new(), Purpose::Verify).unwrap();
        assert_eq!(r.warnings, vec![], "verification neither parses nor warns about signing-only settings");
        // A setting of both scopes is still read.
        assert_eq!(r.config.timeout, Duration::from_secs(7));
        // matchCommitter is checked when signing too (as the Go gitsign does), so a bad value
        // stops both; the verification-only settings left (certificateIdentity, ...) take any text.
        let g = git(&[("matchcommitter", "maybe")]);
        for purpose in [Purpose::Sign, Purpose::Verify] {
            let e = Config::resolve_for(&g, &Env::new(), purpose).unwrap_err();
            assert!(e.to_string().contains("gitsign.matchCommitter") && e.to_string().contains("true or false"), "{e}");
        }
        // A bad value of both scopes fails both.
        let g = git(&[("timeout", "0")]);
        for purpose in [Purpose::Sign, Purpose::Verify, Purpose::Show] {
            let e = Config::resolve_for(&g, &Env::new(), purpose).unwrap_err();
            assert!(e.to_string().contains("at least 1 second"), "{e}");
        }
    }

    #[test]
    fn timestamp_and_autoclose_settings_are_read_not_warned_about() {
        let g = git(&[
            ("timestampserverurl", "https://tsa"),
            ("timestampcertchain", "/x.pem"),
            ("rekorversion", "2"),
            ("autoclosetimeout", "0"),
        ]);
        let r = Config::resolve_for(&g, &Env::new(), Purpose::Sign).unwrap();
        assert_eq!(r.warnings, vec![]);
        assert_eq!(r.config.timestamp_server_url.as_deref(), Some("https://tsa"));
        assert_eq!(r.config.timestamp_cert_chain, Some(PathBuf::from("/x.pem")));
        assert_eq!(r.config.rekor_version, 2);
        assert_eq!(r.config.autoclose_timeout, Duration::ZERO);
        let bad = Config::resolve_for(&git(&[("rekorversion", "3")]), &Env::new(), Purpose::Sign).unwrap_err();
        assert!(bad.to_string().contains("gitsign.rekorVersion = \"3\": 1 or 2"), "{bad}");
        // The Go gitsign's default, and the environment over git config.
        assert_eq!(Config::resolve(&BTreeMap::new(), &Env::new()).unwrap().autoclose_timeout, Duration::from_secs(6));
        let e = env(&[("SIGSTORE_AUTOCLOSE_TIMEOUT", "9")]);
        assert_eq!(Config::resolve(&g, &e).unwrap().autoclose_timeout, Duration::from_secs(9));
        // A bad value names where it came from; it only matters when signing.
        for (e, from) in [
            (
                env(&[("GITSIGN_AUTOCLOSE_TIMEOUT", "soon")]),
                "GITSIGN_AUTOCLOSE_TIMEOUT = \"soon\": a whole number of seconds",
            ),
            (
                env(&[("GITSIGN_AUTOCLOSE_TIMEOUT", "-1")]),
                "GITSIGN_AUTOCLOSE_TIMEOUT = \"-1\": a whole number of seconds",
            ),
            (env(&[("GITSIGN_AUTOCLOSE_TIMEOUT", "86401")]), "at most 86400 (0: never close)"),
        ] {
            let err = Config::resolve_for(&BTreeMap::new(), &e, Purpose::Sign).unwrap_err();
            assert!(err.to_string().contains(from), "{err}");
            assert!(Config::resolve_for(&BTreeMap::new(), &e, Purpose::Verify).is_ok());
        }
        let err = Config::resolve(&git(&[("autoclosetimeout", "6s")]), &Env::new()).unwrap_err();
        assert!(err.to_string().contains("gitsign.autocloseTimeout = \"6s\""), "{err}");
    }

    /// A registry with settings this "version" lists but does not implement: their parsers and
    /// shows fail loudly, so the test sees it if the mechanism ever calls them.
    static PARTLY_SUPPORTED: &[Setting] = &[
        Setting {
            key: Some("colourScheme"),
            env: &["GITSIGN_COLOUR_SCHEME"],
            value: "text",
            default: None,
            scope: Scope::Signing,
            supported: false,
            doc: "an unsupported signing setting",
            apply: |_, _| Err("an unsupported setting was parsed"),
            show: |_| "an unsupported setting was shown".into(),
        },
        Setting {
            key: Some("trailerCheck"),
            env: &["GITSIGN_TRAILER_CHECK"],
            value: "text",
            default: None,
            scope: Scope::Verification,
            supported: false,
            doc: "an unsupported verification setting",
            apply: |_, _| Err("an unsupported setting was parsed"),
            show: |_| "an unsupported setting was shown".into(),
        },
        Setting {
            key: Some("timeout"),
            env: &["GITSIGN_TIMEOUT"],
            value: "seconds",
            default: Some("30"),
            scope: Scope::Both,
            supported: true,
            doc: "a supported setting",
            apply: |c, v| {
                c.timeout = Duration::from_secs(seconds(v)?);
                Ok(())
            },
            show: |c| format!("{}s", c.timeout.as_secs()),
        },
    ];

    #[test]
    fn unsupported_settings_warn_once_when_signing_and_never_when_verifying() {
        let resolve = |g: &BTreeMap<String, String>, e: &Env, p| Config::resolve_in(PARTLY_SUPPORTED, g, e, p).unwrap();
        let text = |r: &Resolved| r.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        // Set in git config (git reports keys in lower case) and in the environment: one
        // warning, naming the source that wins; the supported setting beside it is parsed.
        let g = git(&[("colourscheme", "dark"), ("trailercheck", "yes"), ("timeout", "7")]);
        let e = env(&[("GITSIGN_COLOUR_SCHEME", "light"), ("GITSIGN_TRAILER_CHECK", "no")]);
        let r = resolve(&g, &e, Purpose::Sign);
        assert_eq!(
            text(&r),
            ["gitsign.colourScheme (set by GITSIGN_COLOUR_SCHEME) is not supported by this version yet; ignored"]
        );
        assert_eq!(r.config.timeout, Duration::from_secs(7));
        let r = resolve(&g, &Env::new(), Purpose::Sign);
        assert_eq!(text(&r), ["gitsign.colourScheme is not supported by this version yet; ignored"]);
        // Unset: nothing to say.
        assert_eq!(text(&resolve(&git(&[("timeout", "7")]), &Env::new(), Purpose::Sign)), Vec::<String>::new());
        // Verifying never warns (a verification-only unsupported setting neither), and never parses.
        assert_eq!(resolve(&g, &e, Purpose::Verify).warnings, vec![]);
        let shown = resolve(&g, &e, Purpose::Show).config.describe_in(PARTLY_SUPPORTED);
        assert_eq!(
            shown,
            [
                ("colourScheme".to_string(), "(not supported yet; ignored)".to_string()),
                ("trailerCheck".into(), "(not supported yet; ignored)".into()),
                ("timeout".into(), "7s".into()),
            ]
        );
    }

    #[test]
    fn unknown_keys_warn_with_the_nearest_known_name() {
        let warn = |key: &str| {
            Config::resolve_for(&git(&[(key, "true")]), &Env::new(), Purpose::Verify)
                .unwrap()
                .warnings
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            warn("conectorid"),
            ["gitsign.conectorid is not a gitsign setting; ignored (did you mean gitsign.connectorID?)"]
        );
        assert_eq!(
            warn("connector-id"),
            ["gitsign.connector-id is not a gitsign setting; ignored (did you mean gitsign.connectorID?)"]
        );
        assert_eq!(
            warn("rekormod"),
            ["gitsign.rekormod is not a gitsign setting; ignored (did you mean gitsign.rekorMode?)"]
        );
        assert_eq!(warn("colour"), ["gitsign.colour is not a gitsign setting; ignored (`gitsign version` lists them)"]);
        // git reports keys in lower case: the canonical ones match whatever their case.
        assert_eq!(warn("connectorid"), Vec::<String>::new());
        assert_eq!(warn("insecureignoresct"), Vec::<String>::new());
    }

    /// The README's settings table is the one [`settings_table`] generates. To regenerate it:
    /// `GITSIGN_UPDATE_README=1 cargo test -p gitsign --lib readme_settings_table`.
    #[test]
    fn readme_settings_table_is_generated_from_the_registry() {
        const START: &str = "<!-- settings table: generated from src/config.rs SETTINGS -->\n";
        const END: &str = "<!-- end of settings table -->";
        // The README of the workspace: above this crate's directory, wherever the crate lives.
        let readme = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .map(|d| d.join("README.md"))
            .find(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(START)))
            .expect("a README.md with the settings table markers above the crate");
        let text = std::fs::read_to_string(&readme).unwrap();
        let (head, rest) = text.split_once(START).unwrap();
        let (table, tail) = rest.split_once(END).expect("the end marker of the settings table");
        let want = settings_table();
        if table != want && std::env::var_os("GITSIGN_UPDATE_README").is_some() {
            std::fs::write(&readme, format!("{head}{START}{want}{END}{tail}")).unwrap();
            return;
        }
        assert!(
            table == want,
            "{} differs from the settings registry; regenerate with GITSIGN_UPDATE_README=1. Expected:\n{want}",
            readme.display()
        );
    }
}
