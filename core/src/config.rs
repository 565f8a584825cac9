//! gitsign's configuration: git config `gitsign.*` keys under environment variables
//! (`GITSIGN_*`, then `SIGSTORE_*`), parsed once into typed settings. The names and defaults are
//! the Go gitsign's, so existing set-ups carry over; `gitsign.trustedRoot` /
//! `GITSIGN_TRUSTED_ROOT` and `gitsign.timeout` / `GITSIGN_TIMEOUT` are ours.

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
    /// Extra Fulcio roots (PEM), the Go gitsign's `fulcioRoot`.
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
    /// Seconds before the page closes.
    pub autoclose_timeout: u64,
    /// Debug log file.
    pub log_path: Option<PathBuf>,
    /// A trusted_root.json to verify with (default: the embedded public-good root).
    pub trusted_root: Option<PathBuf>,
    /// SIGSTORE_ROOT_FILE: extra Fulcio roots (PEM).
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
}

/// Public Sigstore's Fulcio.
pub const PUBLIC_FULCIO: &str = "https://fulcio.sigstore.dev";
/// Public Sigstore's Rekor.
pub const PUBLIC_REKOR: &str = "https://rekor.sigstore.dev";
/// Public Sigstore's OIDC issuer.
pub const PUBLIC_ISSUER: &str = "https://oauth2.sigstore.dev/auth";

/// One setting: its git config key (lower case) and its environment variable suffix.
struct Key {
    git: &'static str,
    env: &'static str,
}

const KEYS: &[Key] = &[
    Key { git: "fulcio", env: "FULCIO_URL" },
    Key { git: "fulcioroot", env: "FULCIO_ROOT" },
    Key { git: "rekor", env: "REKOR_URL" },
    Key { git: "rekormode", env: "REKOR_MODE" },
    Key { git: "clientid", env: "OIDC_CLIENT_ID" },
    Key { git: "clientsecretfile", env: "OIDC_CLIENT_SECRET_FILE" },
    Key { git: "redirecturl", env: "OIDC_REDIRECT_URL" },
    Key { git: "issuer", env: "OIDC_ISSUER" },
    Key { git: "connectorid", env: "CONNECTOR_ID" },
    Key { git: "tokenprovider", env: "TOKEN_PROVIDER" },
    Key { git: "timestampserverurl", env: "TIMESTAMP_SERVER_URL" },
    Key { git: "timestampcertchain", env: "TIMESTAMP_CERT_CHAIN" },
    Key { git: "logpath", env: "LOG" },
    Key { git: "urlopener", env: "URL_OPENER" },
    Key { git: "matchcommitter", env: "MATCH_COMMITTER" },
    Key { git: "autoclose", env: "AUTOCLOSE" },
    Key { git: "autoclosetimeout", env: "AUTOCLOSE_TIMEOUT" },
    Key { git: "trustedroot", env: "TRUSTED_ROOT" },
    Key { git: "timeout", env: "TIMEOUT" },
    Key { git: "logintimeout", env: "LOGIN_TIMEOUT" },
    Key { git: "credentialcachemode", env: "CREDENTIAL_CACHE_MODE" },
    Key { git: "certificateidentity", env: "CERTIFICATE_IDENTITY" },
    Key { git: "certificateidentityregexp", env: "CERTIFICATE_IDENTITY_REGEXP" },
    Key { git: "certificateoidcissuer", env: "CERTIFICATE_OIDC_ISSUER" },
    Key { git: "certificateoidcissuerregexp", env: "CERTIFICATE_OIDC_ISSUER_REGEXP" },
    Key { git: "insecureignoresct", env: "INSECURE_IGNORE_SCT" },
];

/// A value and where it came from.
struct Raw {
    value: String,
    from: String,
}

fn lookup(git: &BTreeMap<String, String>, env: &Env, key: &Key) -> Option<Raw> {
    for prefix in ["GITSIGN_", "SIGSTORE_"] {
        let name = format!("{prefix}{}", key.env);
        if let Some(v) = env.get(&name).filter(|v| !v.is_empty()) {
            return Some(Raw { value: v.clone(), from: name });
        }
    }
    git.get(key.git).map(|v| Raw { value: v.clone(), from: format!("gitsign.{}", key.git) })
}

fn parse_bool(raw: &Raw) -> Result<bool, ConfigError> {
    match raw.value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError::Invalid {
            source_name: raw.from.clone(),
            value: raw.value.clone(),
            expected: "true or false",
        }),
    }
}

impl Config {
    /// Resolves the settings from git config values and the environment.
    pub fn resolve(git: &BTreeMap<String, String>, env: &Env) -> Result<Config, ConfigError> {
        let get = |git_key: &str| KEYS.iter().find(|k| k.git == git_key).and_then(|k| lookup(git, env, k));
        let string = |k: &str| get(k).map(|r| r.value);
        let path = |k: &str| get(k).map(|r| PathBuf::from(r.value));
        let rekor_mode = match get("rekormode") {
            None => RekorMode::Offline,
            Some(r) => match r.value.to_ascii_lowercase().as_str() {
                "offline" => RekorMode::Offline,
                "online" => RekorMode::Online,
                _ => {
                    return Err(ConfigError::Invalid {
                        source_name: r.from,
                        value: r.value,
                        expected: "online or offline",
                    });
                }
            },
        };
        let token_provider = match get("tokenprovider") {
            None => None,
            Some(r) => Some(match r.value.to_ascii_lowercase().as_str() {
                "browser" | "interactive" => TokenProvider::Browser,
                "device" => TokenProvider::Device,
                "github-actions" | "github" => TokenProvider::GithubActions,
                _ => {
                    return Err(ConfigError::Invalid {
                        source_name: r.from,
                        value: r.value,
                        expected: "browser, device or github-actions",
                    });
                }
            }),
        };
        let url_opener = match get("urlopener") {
            Some(r) if !r.value.contains("{{.URL}}") => {
                return Err(ConfigError::Invalid {
                    source_name: r.from,
                    value: r.value,
                    expected: "a command containing {{.URL}}",
                });
            }
            r => r.map(|r| r.value),
        };
        let number = |k: &str, default: u64| -> Result<u64, ConfigError> {
            match get(k) {
                None => Ok(default),
                Some(r) => r.value.trim().parse().map_err(|_| ConfigError::Invalid {
                    source_name: r.from,
                    value: r.value,
                    expected: "a whole number of seconds",
                }),
            }
        };
        let timeout = number("timeout", 30)?;
        if timeout == 0 {
            return Err(ConfigError::Invalid {
                source_name: "gitsign.timeout".into(),
                value: "0".into(),
                expected: "at least 1 second",
            });
        }
        Ok(Config {
            fulcio: string("fulcio").unwrap_or_else(|| PUBLIC_FULCIO.into()),
            fulcio_root: path("fulcioroot"),
            rekor: string("rekor").unwrap_or_else(|| PUBLIC_REKOR.into()),
            rekor_mode,
            client_id: string("clientid").unwrap_or_else(|| "sigstore".into()),
            client_secret_file: path("clientsecretfile"),
            redirect_url: string("redirecturl"),
            issuer: string("issuer").unwrap_or_else(|| PUBLIC_ISSUER.into()),
            connector_id: string("connectorid"),
            token_provider,
            url_opener,
            match_committer: get("matchcommitter").map(|r| parse_bool(&r)).transpose()?.unwrap_or(false),
            autoclose: get("autoclose").map(|r| parse_bool(&r)).transpose()?.unwrap_or(true),
            autoclose_timeout: number("autoclosetimeout", 6)?,
            log_path: path("logpath"),
            trusted_root: path("trustedroot"),
            root_file: env.get("SIGSTORE_ROOT_FILE").filter(|v| !v.is_empty()).map(PathBuf::from),
            timeout: Duration::from_secs(timeout),
            login_timeout: Duration::from_secs(number("logintimeout", 300)?.max(1)),
            credential_cache_mode: match get("credentialcachemode") {
                None => None,
                Some(r) => Some(match r.value.to_ascii_lowercase().as_str() {
                    "daemon" => CacheMode::Daemon,
                    "keyring" => CacheMode::Keyring,
                    _ => {
                        return Err(ConfigError::Invalid {
                            source_name: r.from,
                            value: r.value,
                            expected: "daemon or keyring",
                        });
                    }
                }),
            },
            certificate_identity: string("certificateidentity"),
            certificate_identity_regexp: string("certificateidentityregexp"),
            certificate_oidc_issuer: string("certificateoidcissuer"),
            certificate_oidc_issuer_regexp: string("certificateoidcissuerregexp"),
            insecure_ignore_sct: get("insecureignoresct").map(|r| parse_bool(&r)).transpose()?.unwrap_or(false),
        })
    }

    /// Settings as `name = value` lines, for `gitsign version`.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "(unset)".into());
        let optp = |v: &Option<PathBuf>| v.as_ref().map_or_else(|| "(unset)".into(), |p| p.display().to_string());
        vec![
            ("fulcio", self.fulcio.clone()),
            ("fulcioRoot", optp(&self.fulcio_root)),
            ("rekor", self.rekor.clone()),
            ("rekorMode", format!("{:?}", self.rekor_mode).to_ascii_lowercase()),
            ("clientID", self.client_id.clone()),
            ("issuer", self.issuer.clone()),
            ("redirectURL", opt(&self.redirect_url)),
            ("connectorID", opt(&self.connector_id)),
            (
                "tokenProvider",
                self.token_provider
                    .as_ref()
                    .map_or_else(|| "(unset: browser)".into(), |p| format!("{p:?}").to_ascii_lowercase()),
            ),
            ("urlOpener", opt(&self.url_opener)),
            ("trustedRoot", optp(&self.trusted_root).replace("(unset)", "(embedded public-good root)")),
            ("matchCommitter", self.match_committer.to_string()),
            ("insecureIgnoreSCT", self.insecure_ignore_sct.to_string()),
            ("timeout", format!("{}s", self.timeout.as_secs())),
            ("loginTimeout", format!("{}s", self.login_timeout.as_secs())),
            (
                "credentialCacheMode",
                self.credential_cache_mode.map_or_else(|| "(unset)".into(), |m| format!("{m:?}").to_ascii_lowercase()),
            ),
            ("logPath", optp(&self.log_path)),
        ]
    }
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
        assert!(e.to_string().contains("gitsign.rekormode"), "{e}");
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
}
