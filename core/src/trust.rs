//! Loading the trust root a configuration names: `gitsign.trustedRoot`, else the root
//! `gitsign initialize` refreshed through TUF (in the cache directory the caller passes in), else
//! the public-good root built in; then, the Go gitsign's way, the parts a private deployment
//! gives one by one REPLACE that root's: `fulcioRoot` / `SIGSTORE_ROOT_FILE` (the CAs),
//! `SIGSTORE_REKOR_PUBLIC_KEY` (the Rekor logs), `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE` (the CT logs);
//! and the `insecureIgnoreSCT` setting.

use crate::config::Config;
use crate::net::Http;
use crate::tuf::{self, Cached, Refresh};
use crate::verify::{self, TrustRoot, VerifyError};
use gitsign_protocol::trust::{
    CertChain, CertificateAuthority, LogId, RawCertificate, Subject, TimeRange, TransparencyLog, TrustedPublicKey,
    TrustedRoot,
};
use std::path::Path;

fn read(path: &Path) -> Result<Vec<u8>, VerifyError> {
    std::fs::read(path).map_err(|e| VerifyError::TrustRoot(format!("{}: {e}", path.display())))
}

fn b64(der: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// Every PEM block labelled `label` in `text`, as DER.
fn pem_blocks(text: &str, label: &str) -> Vec<Vec<u8>> {
    let end = format!("-----END {label}-----");
    text.split(end.as_str()).filter_map(|block| crate::net::pem_to_der(&format!("{block}{end}"), label)).collect()
}

/// A validity window open since the epoch: a key or CA given by a file has no window of its own.
fn always() -> TimeRange {
    TimeRange { start: time::OffsetDateTime::UNIX_EPOCH, end: None }
}

/// Whether a DER certificate names itself as its issuer (a root).
fn self_issued(der: &[u8]) -> bool {
    use der::Decode as _;
    x509_cert::Certificate::from_der(der).is_ok_and(|c| c.tbs_certificate().subject() == c.tbs_certificate().issuer())
}

/// The Fulcio CA of a PEM file (`fulcioRoot`, `SIGSTORE_ROOT_FILE`): its intermediates, then its
/// roots, as one chain (the Go gitsign's root and intermediate pools).
fn ca_from_pem(path: &Path) -> Result<CertificateAuthority, VerifyError> {
    let ders = pem_blocks(&String::from_utf8_lossy(&read(path)?), "CERTIFICATE");
    if ders.is_empty() {
        return Err(VerifyError::TrustRoot(format!(
            "{}: no PEM certificate in the Fulcio root file (fulcioRoot / SIGSTORE_ROOT_FILE)",
            path.display()
        )));
    }
    let (roots, intermediates): (Vec<_>, Vec<_>) = ders.into_iter().partition(|d| self_issued(d));
    Ok(CertificateAuthority {
        subject: Subject { organization: String::new(), common_name: String::new() },
        uri: String::new(),
        cert_chain: CertChain {
            certificates: intermediates.iter().chain(&roots).map(|d| RawCertificate { raw_bytes: b64(d) }).collect(),
        },
        valid_for: always(),
    })
}

/// The logs of a PEM public key file (`SIGSTORE_REKOR_PUBLIC_KEY`, `SIGSTORE_CT_LOG_PUBLIC_KEY_FILE`):
/// every key in it, its log ID derived from the key.
fn logs_from_pem(path: &Path, what: &str, url: &str) -> Result<Vec<TransparencyLog>, VerifyError> {
    let ders = pem_blocks(&String::from_utf8_lossy(&read(path)?), "PUBLIC KEY");
    if ders.is_empty() {
        return Err(VerifyError::TrustRoot(format!("{}: no PEM public key in the {what} file", path.display())));
    }
    Ok(ders
        .into_iter()
        .map(|der| TransparencyLog {
            base_url: url.to_string(),
            hash_algorithm: "SHA2_256".into(),
            public_key: TrustedPublicKey {
                raw_bytes: b64(&der),
                key_details: "PKIX_ECDSA_P256_SHA_256".into(),
                valid_for: always(),
            },
            // Empty: the key's own ID (SHA-256 of its DER) is used.
            log_id: LogId { key_id: String::new() },
        })
        .collect())
}

/// Everything in a configuration that the trust root depends on, and nothing else: [`load`]
/// reads only this, so two configurations with equal sources load the same root (what lets a
/// command load it before git config has answered, from the environment's view, and keep it when
/// the full configuration names the same source). Paths are equal only byte for byte: `Path`'s
/// own equality takes `root.json/` for `root.json`, which cannot be read as a file.
#[derive(Debug, Clone)]
pub struct TrustSource {
    trusted_root: Option<std::path::PathBuf>,
    fulcio_root: Option<std::path::PathBuf>,
    root_file: Option<std::path::PathBuf>,
    /// `SIGSTORE_REKOR_PUBLIC_KEY` and the Rekor URL its logs are named with.
    rekor_key: Option<(std::path::PathBuf, String)>,
    ct_log_public_key: Option<std::path::PathBuf>,
    insecure_ignore_sct: bool,
}

impl TrustSource {
    /// The trust-root settings of `config`.
    pub fn of(config: &Config) -> Self {
        TrustSource {
            trusted_root: config.trusted_root.clone(),
            fulcio_root: config.fulcio_root.clone(),
            root_file: config.root_file.clone(),
            rekor_key: config.rekor_public_key.clone().map(|p| (p, config.rekor.clone())),
            ct_log_public_key: config.ct_log_public_key.clone(),
            insecure_ignore_sct: config.insecure_ignore_sct,
        }
    }
}

impl PartialEq for TrustSource {
    fn eq(&self, other: &Self) -> bool {
        let bytes = |p: &Option<std::path::PathBuf>| p.as_ref().map(|p| p.as_os_str().to_owned());
        let key = |s: &Self| {
            (
                [&s.trusted_root, &s.fulcio_root, &s.root_file, &s.ct_log_public_key].map(bytes),
                s.rekor_key.as_ref().map(|(p, url)| (p.as_os_str().to_owned(), url.clone())),
                s.insecure_ignore_sct,
            )
        };
        key(self) == key(other)
    }
}

/// Whether [`load`] may refresh an expired TUF cache over the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshing {
    /// Yes, each request within this timeout (and [`tuf::REFRESH_TIMEOUT`]).
    Allowed(std::time::Duration),
    /// No: a load that would refresh fails instead ([`VerifyError::RefreshDue`]).
    Forbidden,
}

/// Loads the trust root the configuration names (the embedded public-good one by default):
/// [`load`] of its [`TrustSource`], a cache refresh taking at most `config.timeout`.
pub fn load_trust(
    config: &Config,
    tuf_cache: Option<&Path>,
    note: &mut dyn FnMut(&str),
) -> Result<TrustRoot, VerifyError> {
    load(&TrustSource::of(config), Refreshing::Allowed(config.timeout), tuf_cache, note)
}

/// Loads the trust root `source` names. `tuf_cache` is the directory `gitsign initialize` keeps
/// its TUF state in (`None`: no such directory on this system); `note` receives remarks for the
/// person (a stale cached root). Uses the network only to refresh a cache whose TUF timestamp has
/// expired ([`tuf::refresh_if_expired`]), and only when `refreshing` allows it.
pub fn load(
    source: &TrustSource,
    refreshing: Refreshing,
    tuf_cache: Option<&Path>,
    note: &mut dyn FnMut(&str),
) -> Result<TrustRoot, VerifyError> {
    let (bytes, name) = match &source.trusted_root {
        Some(path) => (read(path)?, path.display().to_string()),
        // A root refreshed by `gitsign initialize`, else the one built in (also when the cached
        // one is an older public-good root than this binary's). A cache whose TUF timestamp has
        // expired is refreshed first (at most once a day, with a short timeout), else used as it is.
        None => match tuf_cache.map(|d| {
            let now = time::OffsetDateTime::now_utc();
            match refreshing {
                Refreshing::Forbidden if tuf::refresh_due(d, now) => return Err(VerifyError::RefreshDue),
                Refreshing::Forbidden => {}
                Refreshing::Allowed(timeout) => {
                    let timeout = timeout.min(tuf::REFRESH_TIMEOUT);
                    if let Refresh::Stale(why) = tuf::refresh_if_expired(d, now, || Http::new(timeout)) {
                        note(&why);
                    }
                }
            }
            tuf::cached_trusted_root(d, verify::PUBLIC_GOOD).map_err(|e| VerifyError::TrustRoot(e.to_string()))
        }) {
            Some(Ok(Cached::Use(path, bytes))) => (bytes, format!("the TUF-refreshed root {}", path.display())),
            Some(Ok(Cached::Stale(stale))) => {
                note(&stale);
                (verify::PUBLIC_GOOD.to_vec(), "the embedded public-good trust root".into())
            }
            Some(Err(e)) => return Err(e),
            Some(Ok(Cached::None)) | None => {
                (verify::PUBLIC_GOOD.to_vec(), "the embedded public-good trust root".into())
            }
        },
    };
    let cas: Vec<&Path> = [&source.fulcio_root, &source.root_file].into_iter().flatten().map(|p| p.as_path()).collect();
    let mut trust = if cas.is_empty() && source.rekor_key.is_none() && source.ct_log_public_key.is_none() {
        TrustRoot::from_json(&bytes, &name)?
    } else {
        let mut root: TrustedRoot =
            serde_json::from_slice(&bytes).map_err(|e| VerifyError::TrustRoot(format!("{name}: {e}")))?;
        let mut parts = Vec::new();
        if !cas.is_empty() {
            root.certificate_authorities = cas.iter().map(|p| ca_from_pem(p)).collect::<Result<Vec<_>, _>>()?;
            parts.push("Fulcio roots");
        }
        if let Some((p, rekor)) = &source.rekor_key {
            root.tlogs = logs_from_pem(p, "Rekor public key (SIGSTORE_REKOR_PUBLIC_KEY)", rekor)?;
            parts.push("Rekor key");
        }
        if let Some(p) = &source.ct_log_public_key {
            root.ctlogs = logs_from_pem(p, "CT log public key (SIGSTORE_CT_LOG_PUBLIC_KEY_FILE)", "")?;
            parts.push("CT log key");
        }
        let json = serde_json::to_vec(&root).map_err(|e| VerifyError::TrustRoot(format!("{name}: {e}")))?;
        TrustRoot::from_json(&json, &format!("{name} with the configured {}", parts.join(", ")))?
    };
    trust.set_insecure_ignore_sct(source.insecure_ignore_sct);
    Ok(trust)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn trust_sources_are_equal_only_when_every_setting_is_byte_for_byte() {
        let base = Config::blank();
        let same = |f: &dyn Fn(&mut Config)| {
            let mut c = Config::blank();
            f(&mut c);
            TrustSource::of(&c) == TrustSource::of(&base)
        };
        assert!(same(&|_| {}));
        // Settings the trust root does not depend on.
        assert!(same(&|c| c.fulcio = "https://fulcio.invalid".into()));
        assert!(same(&|c| c.rekor = "https://rekor.invalid".into()));
        assert!(same(&|c| c.timeout = std::time::Duration::from_secs(1)));
        // Every one it does.
        assert!(!same(&|c| c.trusted_root = Some("root.json".into())));
        assert!(!same(&|c| c.fulcio_root = Some("ca.pem".into())));
        assert!(!same(&|c| c.root_file = Some("ca.pem".into())));
        assert!(!same(&|c| c.rekor_public_key = Some("rekor.pem".into())));
        assert!(!same(&|c| c.ct_log_public_key = Some("ct.pem".into())));
        assert!(!same(&|c| c.insecure_ignore_sct = true));
        // The Rekor URL names the logs of a Rekor key file.
        let with_key = |rekor: &str| {
            let mut c = Config::blank();
            c.rekor_public_key = Some("rekor.pem".into());
            c.rekor = rekor.into();
            TrustSource::of(&c)
        };
        assert_ne!(with_key("https://a.invalid"), with_key("https://b.invalid"));
        // Paths that `Path` equality takes for the same file but are not: `root.json/` cannot be
        // read as a file.
        let root = |p: &str| {
            let mut c = Config::blank();
            c.trusted_root = Some(p.into());
            TrustSource::of(&c)
        };
        assert_eq!(root("/p/root.json"), root("/p/root.json"));
        assert_ne!(root("/p/root.json"), root("/p/root.json/"));
        assert_ne!(root("/p/root.json"), root("/p/./root.json"));
    }
}
