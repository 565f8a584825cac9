//! The state directory: its lock (one devstack per directory), the service keys and CA
//! certificates (made on the first start, loaded after), and the files written for clients —
//! `env.sh`, `trusted_root.json` and `trust_config.json` — each replaced atomically.

use crate::ca::{self, CaError};
use crate::services::Urls;
use crate::store::{Store, StoreError};
use gitsign_protocol::trust::{
    self, CertChain, CertificateAuthority, ClientTrustConfig, LogId, RawCertificate, Service, ServiceConfiguration,
    SigningConfig, Subject, TimeRange, TransparencyLog, TrustedPublicKey, TrustedRoot,
};
use gitsign_protocol::{b64, sha256};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, PKCS_RSA_SHA256, PublicKeyData, RsaKeySize, SignatureAlgorithm};
use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// A failure to open or initialise the state directory.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// A file or directory could not be made or written.
    #[error("{path}: {source}")]
    Io {
        /// What was being made or written.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Another devstack runs with this directory.
    #[error("another gitsign-devstack is running with state {0}; stop it first or pick another --state")]
    Locked(PathBuf),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored key is unreadable.
    #[error("stored key {name} is unreadable: {source}")]
    Key {
        /// Which key.
        name: &'static str,
        /// Cause.
        source: rcgen::Error,
    },
    /// Making the CA failed.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// No devstack has run with this directory.
    #[error("no gitsign-devstack has run with state {0}; start one with `gitsign-devstack up --state {0}`")]
    NotInitialized(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StateError + '_ {
    move |source| StateError::Io { path: path.to_path_buf(), source }
}

/// Path of the database in a state directory.
pub fn db_path(dir: &Path) -> PathBuf {
    dir.join("state.db")
}

/// Path of `env.sh`.
pub fn env_path(dir: &Path) -> PathBuf {
    dir.join("env.sh")
}

/// An open, locked state directory.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    _lock: File,
}

impl StateDir {
    /// Creates (mode 0700) and locks the directory.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        fs::create_dir_all(path).map_err(io(path))?;
        let path = fs::canonicalize(path).map_err(io(path))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o700)).map_err(io(&path))?;
        }
        let lock_path = path.join("devstack.lock");
        let lock = File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(StateError::Locked(path)),
            Err(std::fs::TryLockError::Error(e)) => return Err(StateError::Io { path: lock_path, source: e }),
        }
        Ok(StateDir { path, _lock: lock })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the database, owner-only.
    pub fn store(&self) -> Result<Store, StateError> {
        let db = db_path(&self.path);
        // Made owner-only before SQLite opens it: its journal files take the same mode.
        let mut create = File::options();
        create.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
            create.mode(0o600);
            create.open(&db).map_err(io(&db))?;
            for suffix in ["", "-wal", "-shm"] {
                let p = PathBuf::from(format!("{}{suffix}", db.display()));
                if p.exists() {
                    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).map_err(io(&p))?;
                }
            }
        }
        #[cfg(not(unix))]
        create.open(&db).map_err(io(&db))?;
        Ok(Store::open(&db)?)
    }
}

/// Writes `contents` to `path` atomically: a temporary file, synced, renamed over it.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), StateError> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut f = File::create(&tmp).map_err(io(&tmp))?;
    f.write_all(contents).and_then(|()| f.sync_all()).map_err(io(&tmp))?;
    fs::rename(&tmp, path).map_err(io(path))?;
    if let Some(dir) = path.parent() {
        File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    }
    Ok(())
}

/// The service keys and CA certificates.
#[derive(Debug)]
pub struct Keys {
    /// Intermediate CA key (signs leaves).
    pub intermediate: KeyPair,
    /// Root CA certificate, DER.
    pub root_der: Vec<u8>,
    /// Intermediate CA certificate, DER.
    pub intermediate_der: Vec<u8>,
    /// Rekor signing key.
    pub rekor: KeyPair,
    /// CT log signing key.
    pub ctlog: KeyPair,
    /// OIDC issuer signing key (RSA).
    pub oidc: KeyPair,
    /// When the state was made; start of every validity window.
    pub created: OffsetDateTime,
    /// Rekor tree ID.
    pub tree_id: u64,
    /// Timestamp authority signing key.
    pub tsa: KeyPair,
    /// Timestamp authority signing certificate, DER.
    pub tsa_cert_der: Vec<u8>,
    /// Timestamp authority root certificate, DER.
    pub tsa_root_der: Vec<u8>,
    /// Rekor v2 log signing key.
    pub rekor_v2: KeyPair,
}

fn load_key(
    store: &Store,
    name: &'static str,
    alg: &'static SignatureAlgorithm,
) -> Result<Option<KeyPair>, StateError> {
    let Some(der) = store.meta(name)? else { return Ok(None) };
    KeyPair::from_pkcs8_der_and_sign_algo(&der.as_slice().into(), alg)
        .map(Some)
        .map_err(|source| StateError::Key { name, source })
}

/// Reads only the issuer's key and URL (what `token` needs beside a running devstack).
pub fn load_issuer(dir: &Path) -> Result<crate::oidc::OidcIssuer, StateError> {
    let db = db_path(dir);
    if !db.exists() {
        return Err(StateError::NotInitialized(dir.to_path_buf()));
    }
    let store = Store::open_read_only(&db)?;
    let key =
        load_key(&store, "key.oidc", &PKCS_RSA_SHA256)?.ok_or_else(|| StateError::NotInitialized(dir.to_path_buf()))?;
    let url = store
        .meta("issuer_url")?
        .and_then(|u| String::from_utf8(u).ok())
        .ok_or_else(|| StateError::NotInitialized(dir.to_path_buf()))?;
    crate::oidc::OidcIssuer::new(url, key)
        .ok_or(StateError::Key { name: "key.oidc", source: rcgen::Error::KeyGenerationUnavailable })
}

impl Keys {
    /// Loads the keys, making them on the first start.
    pub fn load_or_create(store: &Store) -> Result<Keys, StateError> {
        if store.meta("created")?.is_none() {
            let gen_ec = |name| {
                KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|source| StateError::Key { name, source })
            };
            let now = OffsetDateTime::now_utc();
            let root = gen_ec("key.root")?;
            let intermediate = gen_ec("key.intermediate")?;
            let (root_der, intermediate_der) = ca::make_ca_certificates(&root, &intermediate, now)?;
            let oidc = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
                .map_err(|source| StateError::Key { name: "key.oidc", source })?;
            let mut tree_id = [0u8; 8];
            let _ = aws_lc_rs::rand::fill(&mut tree_id);
            let tree_id = u64::from_be_bytes(tree_id) >> 1;
            for (name, value) in [
                ("key.root", root.serialize_der()),
                ("key.intermediate", intermediate.serialize_der()),
                ("key.rekor", gen_ec("key.rekor")?.serialize_der()),
                ("key.ctlog", gen_ec("key.ctlog")?.serialize_der()),
                ("key.oidc", oidc.serialize_der()),
                ("cert.root", root_der),
                ("cert.intermediate", intermediate_der),
                ("tree_id", tree_id.to_string().into_bytes()),
                // Written last: its presence means everything above is there.
                ("created", (now - time::Duration::minutes(5)).unix_timestamp().to_string().into_bytes()),
            ] {
                store.set_meta(name, &value)?;
            }
        }
        // The timestamp authority came after the first states: made on the first start without it.
        if store.meta("key.tsa")?.is_none() {
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
                .map_err(|source| StateError::Key { name: "key.tsa", source })?;
            let (cert, root) = crate::tsa::make_chain(&key, OffsetDateTime::now_utc())?;
            store.set_meta("cert.tsa", &cert)?;
            store.set_meta("cert.tsa_root", &root)?;
            // Written last: its presence means the chain is there.
            store.set_meta("key.tsa", &key.serialize_der())?;
        }
        // So did the Rekor v2 log.
        if store.meta("key.rekor_v2")?.is_none() {
            let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
                .map_err(|source| StateError::Key { name: "key.rekor_v2", source })?;
            store.set_meta("key.rekor_v2", &key.serialize_der())?;
        }
        let need = |name: &'static str, v: Option<Vec<u8>>| {
            v.ok_or_else(|| StateError::Store(StoreError::Corrupt(format!("missing {name}"))))
        };
        let number = |name: &'static str| -> Result<i64, StateError> {
            let raw = need(name, store.meta(name)?)?;
            String::from_utf8_lossy(&raw)
                .parse()
                .map_err(|_| StateError::Store(StoreError::Corrupt(format!("{name} is not a number"))))
        };
        let key = |name: &'static str, alg| -> Result<KeyPair, StateError> {
            load_key(store, name, alg)?.ok_or_else(|| StateError::Store(StoreError::Corrupt(format!("missing {name}"))))
        };
        let created = OffsetDateTime::from_unix_timestamp(number("created")?)
            .map_err(|_| StateError::Store(StoreError::Corrupt("created is out of range".into())))?;
        Ok(Keys {
            intermediate: key("key.intermediate", &PKCS_ECDSA_P256_SHA256)?,
            root_der: need("cert.root", store.meta("cert.root")?)?,
            intermediate_der: need("cert.intermediate", store.meta("cert.intermediate")?)?,
            rekor: key("key.rekor", &PKCS_ECDSA_P256_SHA256)?,
            ctlog: key("key.ctlog", &PKCS_ECDSA_P256_SHA256)?,
            oidc: key("key.oidc", &PKCS_RSA_SHA256)?,
            created,
            tree_id: number("tree_id")? as u64,
            tsa: key("key.tsa", &PKCS_ECDSA_P256_SHA256)?,
            tsa_cert_der: need("cert.tsa", store.meta("cert.tsa")?)?,
            tsa_root_der: need("cert.tsa_root", store.meta("cert.tsa_root")?)?,
            rekor_v2: key("key.rekor_v2", &PKCS_ECDSA_P256_SHA256)?,
        })
    }
}

/// Who runs the services, as the signing config names it.
pub const OPERATOR: &str = "gitsign-devstack";

fn log_entry(url: &str, spki: &[u8], start: OffsetDateTime) -> TransparencyLog {
    TransparencyLog {
        base_url: url.to_string(),
        hash_algorithm: "SHA2_256".into(),
        public_key: TrustedPublicKey {
            raw_bytes: b64(spki),
            key_details: "PKIX_ECDSA_P256_SHA_256".into(),
            valid_for: TimeRange { start, end: None },
        },
        log_id: LogId { key_id: b64(sha256(spki)) },
    }
}

/// The trusted root of a devstack.
pub fn trusted_root(urls: &Urls, keys: &Keys) -> TrustedRoot {
    let start = keys.created;
    TrustedRoot {
        media_type: trust::TRUSTED_ROOT_MEDIA_TYPE.into(),
        tlogs: vec![
            log_entry(&urls.rekor, &keys.rekor.subject_public_key_info(), start),
            log_entry(&urls.rekor_v2, &keys.rekor_v2.subject_public_key_info(), start),
        ],
        certificate_authorities: vec![CertificateAuthority {
            subject: Subject { organization: OPERATOR.into(), common_name: "gitsign-devstack".into() },
            uri: urls.fulcio.clone(),
            cert_chain: CertChain {
                certificates: vec![
                    RawCertificate { raw_bytes: b64(&keys.intermediate_der) },
                    RawCertificate { raw_bytes: b64(&keys.root_der) },
                ],
            },
            valid_for: TimeRange { start, end: None },
        }],
        ctlogs: vec![log_entry(&format!("{}/ct", urls.base), &keys.ctlog.subject_public_key_info(), start)],
        timestamp_authorities: vec![CertificateAuthority {
            subject: Subject {
                organization: OPERATOR.into(),
                common_name: "gitsign-devstack timestamp authority".into(),
            },
            uri: urls.tsa.clone(),
            cert_chain: CertChain {
                certificates: vec![
                    RawCertificate { raw_bytes: b64(&keys.tsa_cert_der) },
                    RawCertificate { raw_bytes: b64(&keys.tsa_root_der) },
                ],
            },
            valid_for: TimeRange { start, end: None },
        }],
    }
}

/// The client trust config (trusted root + signing config v0.2) of a devstack.
pub fn trust_config(urls: &Urls, root: TrustedRoot, start: OffsetDateTime) -> ClientTrustConfig {
    ClientTrustConfig {
        media_type: trust::CLIENT_TRUST_CONFIG_MEDIA_TYPE.into(),
        trusted_root: root,
        signing_config: signing_config(urls, start),
    }
}

/// The signing config (v0.2) of a devstack: its CA, issuer and TSA, and both logs — the Rekor v2
/// log first (clients pick the newest API version they support), then the v1 log.
pub fn signing_config(urls: &Urls, start: OffsetDateTime) -> SigningConfig {
    let service = |url: &str, major_api_version: u32| Service {
        url: url.to_string(),
        major_api_version,
        valid_for: TimeRange { start, end: None },
        operator: OPERATOR.into(),
    };
    SigningConfig {
        media_type: trust::SIGNING_CONFIG_MEDIA_TYPE.into(),
        ca_urls: vec![service(&urls.fulcio, 1)],
        oidc_urls: vec![service(&urls.issuer, 1)],
        rekor_tlog_urls: vec![service(&urls.rekor_v2, 2), service(&urls.rekor, 1)],
        tsa_urls: vec![service(&urls.tsa, 1)],
        rekor_tlog_config: Some(ServiceConfiguration { selector: "ANY".into(), count: None }),
        tsa_config: Some(ServiceConfiguration { selector: "ANY".into(), count: None }),
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The `env.sh` text.
pub fn env_script(urls: &Urls, dir: &Path) -> String {
    let root = dir.join("trusted_root.json");
    let vars = [
        ("GITSIGN_FULCIO_URL", urls.fulcio.as_str()),
        ("GITSIGN_REKOR_URL", urls.rekor.as_str()),
        ("GITSIGN_OIDC_ISSUER", urls.issuer.as_str()),
        ("GITSIGN_OIDC_CLIENT_ID", crate::oidc::CLIENT_ID),
        ("GITSIGN_TRUSTED_ROOT", &root.to_string_lossy()),
        ("GITSIGN_TIMESTAMP_SERVER_URL", urls.tsa.as_str()),
        ("GITSIGN_DEVSTACK_STATE", &dir.to_string_lossy()),
    ]
    .iter()
    .map(|(k, v)| format!("export {k}={}\n", sh_quote(v)))
    .collect::<String>();
    format!("# gitsign-devstack at {} (state {})\n{vars}", urls.base, dir.display())
}

/// Writes `trusted_root.json`, `signing_config.json`, `trust_config.json` and, last, `env.sh`.
/// Returns the trusted root's JSON.
pub fn write_client_files(dir: &Path, urls: &Urls, keys: &Keys) -> Result<Vec<u8>, StateError> {
    let root = trusted_root(urls, keys);
    let root_json = pretty(&root);
    write_atomic(&dir.join("trusted_root.json"), &root_json)?;
    write_atomic(&dir.join("signing_config.json"), &pretty(&signing_config(urls, keys.created)))?;
    write_atomic(&dir.join("trust_config.json"), &pretty(&trust_config(urls, root, keys.created)))?;
    write_atomic(&env_path(dir), env_script(urls, dir).as_bytes())?;
    Ok(root_json)
}

/// Pretty JSON of a trust document (serialising plain data cannot fail).
fn pretty<T: serde::Serialize>(value: &T) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(value).unwrap_or_default();
    v.push(b'\n');
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting() {
        assert_eq!(super::sh_quote("a'b"), r"'a'\''b'");
    }
}
