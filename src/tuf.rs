//! `gitsign initialize`: fetches the Sigstore trusted root through TUF — the root-of-trust
//! metadata chain (each new root signed by a threshold of the old one's and its own keys), then
//! timestamp, snapshot and targets, each signed by its role's threshold and unexpired — and
//! caches the verified `trusted_root.json` for verification to use.
//!
//! A subset of TUF 1.0 sufficient for Sigstore's repositories: top-level roles only (no
//! delegations), ECDSA P-256 and Ed25519 keys, consistent snapshots.

use crate::net::{Http, NetError};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Why the trust root could not be refreshed.
#[derive(Debug, thiserror::Error)]
pub enum TufError {
    /// A download failed.
    #[error(transparent)]
    Net(#[from] NetError),
    /// A metadata file is not what TUF defines.
    #[error("{file}: {detail}")]
    Malformed {
        /// The file.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// Not enough valid signatures.
    #[error("{file}: {valid} valid signature(s) from the {role} role, {threshold} needed")]
    Threshold {
        /// The file.
        file: String,
        /// The role.
        role: String,
        /// Valid signatures found.
        valid: usize,
        /// Needed.
        threshold: usize,
    },
    /// Expired metadata.
    #[error("{file} expired at {expires}; the repository is stale or the clock is wrong")]
    Expired {
        /// The file.
        file: String,
        /// Its expiry.
        expires: String,
    },
    /// A rollback or a mismatch between the files.
    #[error("{0}")]
    Inconsistent(String),
    /// The cache could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
}

/// Where `gitsign initialize` keeps the TUF root and the verified trusted root.
pub fn cache_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.cache_dir().join("sigstore/gitsign/tuf"))
}

fn malformed(file: &str, detail: impl Into<String>) -> TufError {
    TufError::Malformed { file: file.to_string(), detail: detail.into() }
}

/// Canonical JSON (keys sorted, no whitespace) of the `signed` part: what TUF signs. Keys are
/// sorted here rather than trusting the map type, whose order a dependency's feature can change.
pub fn canonical(v: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sorted(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sorted(v)).unwrap_or_default()
}

/// A role's keys and threshold, from a root.
fn role(root: &Value, name: &str, file: &str) -> Result<(Vec<(String, Value)>, usize), TufError> {
    let r = root.pointer(&format!("/signed/roles/{name}")).ok_or_else(|| malformed(file, format!("no {name} role")))?;
    let threshold = r
        .get("threshold")
        .and_then(Value::as_u64)
        .filter(|t| *t >= 1)
        .ok_or_else(|| malformed(file, "bad threshold"))? as usize;
    let ids = r.get("keyids").and_then(Value::as_array).ok_or_else(|| malformed(file, "no keyids"))?;
    let keys = root.pointer("/signed/keys").and_then(Value::as_object).ok_or_else(|| malformed(file, "no keys"))?;
    let list = ids
        .iter()
        .filter_map(|id| id.as_str())
        .filter_map(|id| keys.get(id).map(|k| (id.to_string(), k.clone())))
        .collect();
    Ok((list, threshold))
}

fn verify_one(key: &Value, message: &[u8], sig_hex: &str) -> bool {
    let Ok(sig) = hex::decode(sig_hex) else { return false };
    let scheme = key.get("scheme").and_then(Value::as_str).unwrap_or_default();
    let public = key.pointer("/keyval/public").and_then(Value::as_str).unwrap_or_default();
    let parsed = match scheme {
        "ecdsa-sha2-nistp256" => {
            gitsign_protocol::keys::PublicKey::from_pem_cert_or_key(public.as_bytes()).map(|(k, _)| k).ok()
        }
        "ed25519" => hex::decode(public).ok().and_then(|raw| {
            // SubjectPublicKeyInfo of an Ed25519 key: fixed prefix + 32 bytes.
            let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
            spki.extend_from_slice(&raw);
            gitsign_protocol::keys::PublicKey::from_spki_der(&spki).ok()
        }),
        _ => None,
    };
    parsed.is_some_and(|k| k.verify(message, &sig).is_ok())
}

/// Checks that `meta` is signed by `threshold` distinct keys of `keys`.
fn check_signatures(
    meta: &Value,
    keys: &[(String, Value)],
    threshold: usize,
    role_name: &str,
    file: &str,
) -> Result<(), TufError> {
    let signed = meta.get("signed").ok_or_else(|| malformed(file, "no signed part"))?;
    let message = canonical(signed);
    let mut good = BTreeSet::new();
    for s in meta.get("signatures").and_then(Value::as_array).into_iter().flatten() {
        let (Some(id), Some(sig)) = (s.get("keyid").and_then(Value::as_str), s.get("sig").and_then(Value::as_str))
        else {
            continue;
        };
        if let Some((_, key)) = keys.iter().find(|(k, _)| k == id)
            && verify_one(key, &message, sig)
        {
            good.insert(id.to_string());
        }
    }
    if good.len() < threshold {
        return Err(TufError::Threshold { file: file.into(), role: role_name.into(), valid: good.len(), threshold });
    }
    Ok(())
}

fn check_fresh(meta: &Value, kind: &str, file: &str) -> Result<u64, TufError> {
    let signed = meta.get("signed").ok_or_else(|| malformed(file, "no signed part"))?;
    if signed.get("_type").and_then(Value::as_str) != Some(kind) {
        return Err(malformed(file, format!("not {kind} metadata")));
    }
    let expires = signed.get("expires").and_then(Value::as_str).ok_or_else(|| malformed(file, "no expiry"))?;
    let when = time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
        .map_err(|e| malformed(file, format!("expiry: {e}")))?;
    if when <= time::OffsetDateTime::now_utc() {
        return Err(TufError::Expired { file: file.into(), expires: expires.into() });
    }
    signed.get("version").and_then(Value::as_u64).ok_or_else(|| malformed(file, "no version"))
}

fn fetch(http: &Http, mirror: &str, name: &str) -> Result<Option<Vec<u8>>, TufError> {
    let url = format!("{}/{name}", mirror.trim_end_matches('/'));
    let resp = http.client().get(&url).timeout(http.timeout()).send().map_err(|e| NetError::Unreachable {
        step: "fetching TUF metadata",
        url: url.clone(),
        detail: e.to_string(),
    })?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND || resp.status() == reqwest::StatusCode::FORBIDDEN {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(NetError::Status {
            step: "fetching TUF metadata",
            url,
            status: resp.status().as_u16(),
            message: String::new(),
        }
        .into());
    }
    Ok(Some(
        resp.bytes()
            .map_err(|e| NetError::Unreachable { step: "fetching TUF metadata", url, detail: e.to_string() })?
            .to_vec(),
    ))
}

fn parse(bytes: &[u8], file: &str) -> Result<Value, TufError> {
    serde_json::from_slice(bytes).map_err(|e| malformed(file, format!("not JSON: {e}")))
}

/// Checks a file against the `length` and `hashes.sha256` its parent metadata gives (if any).
fn check_hashes(bytes: &[u8], info: &Value, file: &str) -> Result<(), TufError> {
    if let Some(len) = info.get("length").and_then(Value::as_u64)
        && bytes.len() as u64 != len
    {
        return Err(TufError::Inconsistent(format!("{file} is {} bytes, its metadata says {len}", bytes.len())));
    }
    if let Some(h) = info.pointer("/hashes/sha256").and_then(Value::as_str)
        && !h.eq_ignore_ascii_case(&hex::encode(gitsign_protocol::sha256(bytes)))
    {
        return Err(TufError::Inconsistent(format!("{file} does not have the SHA-256 its metadata gives")));
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), TufError> {
    let io = |source| TufError::Io { path: path.to_path_buf(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Updates the cached trusted root from `mirror`, starting from the TUF root in the cache or
/// from `initial_root` (required the first time). Returns the trusted root's path.
pub fn initialize(http: &Http, mirror: &str, initial_root: Option<&[u8]>, cache: &Path) -> Result<PathBuf, TufError> {
    let root_path = cache.join("root.json");
    let root_bytes = match initial_root {
        Some(b) => b.to_vec(),
        None => std::fs::read(&root_path).map_err(|source| TufError::Io { path: root_path.clone(), source })?,
    };
    let mut root = parse(&root_bytes, "root.json")?;
    let (keys, threshold) = role(&root, "root", "root.json")?;
    check_signatures(&root, &keys, threshold, "root", "root.json")?;
    // Walk the root chain: N+1 must be signed by N's root keys and its own.
    for _ in 0..1024 {
        let version = root
            .pointer("/signed/version")
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed("root.json", "no version"))?;
        let name = format!("{}.root.json", version + 1);
        let Some(bytes) = fetch(http, mirror, &name)? else { break };
        let next = parse(&bytes, &name)?;
        let (old_keys, old_threshold) = role(&root, "root", &name)?;
        check_signatures(&next, &old_keys, old_threshold, "root (previous)", &name)?;
        let (new_keys, new_threshold) = role(&next, "root", &name)?;
        check_signatures(&next, &new_keys, new_threshold, "root", &name)?;
        if next.pointer("/signed/version").and_then(Value::as_u64) != Some(version + 1) {
            return Err(TufError::Inconsistent(format!("{name} does not carry version {}", version + 1)));
        }
        root = next;
    }
    check_fresh(&root, "root", "root.json")?;

    let timestamp_bytes =
        fetch(http, mirror, "timestamp.json")?.ok_or_else(|| malformed("timestamp.json", "missing"))?;
    let timestamp = parse(&timestamp_bytes, "timestamp.json")?;
    let (keys, threshold) = role(&root, "timestamp", "timestamp.json")?;
    check_signatures(&timestamp, &keys, threshold, "timestamp", "timestamp.json")?;
    check_fresh(&timestamp, "timestamp", "timestamp.json")?;
    let snap_info = timestamp
        .pointer("/signed/meta/snapshot.json")
        .ok_or_else(|| malformed("timestamp.json", "names no snapshot"))?;
    let consistent = root.pointer("/signed/consistent_snapshot").and_then(Value::as_bool).unwrap_or(false);
    let versioned = |info: &Value, name: &str| -> String {
        match (consistent, info.get("version").and_then(Value::as_u64)) {
            (true, Some(v)) => format!("{v}.{name}"),
            _ => name.to_string(),
        }
    };

    let snap_name = versioned(snap_info, "snapshot.json");
    let snapshot_bytes = fetch(http, mirror, &snap_name)?.ok_or_else(|| malformed(&snap_name, "missing"))?;
    check_hashes(&snapshot_bytes, snap_info, &snap_name)?;
    let snapshot = parse(&snapshot_bytes, &snap_name)?;
    let (keys, threshold) = role(&root, "snapshot", &snap_name)?;
    check_signatures(&snapshot, &keys, threshold, "snapshot", &snap_name)?;
    let snap_version = check_fresh(&snapshot, "snapshot", &snap_name)?;
    if snap_info.get("version").and_then(Value::as_u64).is_some_and(|v| v != snap_version) {
        return Err(TufError::Inconsistent(format!("{snap_name} is not the version timestamp.json names")));
    }

    let targets_info =
        snapshot.pointer("/signed/meta/targets.json").ok_or_else(|| malformed(&snap_name, "names no targets"))?;
    let targets_name = versioned(targets_info, "targets.json");
    let targets_bytes = fetch(http, mirror, &targets_name)?.ok_or_else(|| malformed(&targets_name, "missing"))?;
    check_hashes(&targets_bytes, targets_info, &targets_name)?;
    let targets = parse(&targets_bytes, &targets_name)?;
    let (keys, threshold) = role(&root, "targets", &targets_name)?;
    check_signatures(&targets, &keys, threshold, "targets", &targets_name)?;
    let targets_version = check_fresh(&targets, "targets", &targets_name)?;
    if targets_info.get("version").and_then(Value::as_u64).is_some_and(|v| v != targets_version) {
        return Err(TufError::Inconsistent(format!("{targets_name} is not the version snapshot names")));
    }

    let target = targets
        .pointer("/signed/targets/trusted_root.json")
        .ok_or_else(|| malformed(&targets_name, "names no trusted_root.json"))?;
    let sha = target
        .pointer("/hashes/sha256")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(&targets_name, "trusted_root.json has no SHA-256"))?;
    let target_name =
        if consistent { format!("targets/{sha}.trusted_root.json") } else { "targets/trusted_root.json".into() };
    let bytes = fetch(http, mirror, &target_name)?.ok_or_else(|| malformed(&target_name, "missing"))?;
    check_hashes(&bytes, target, &target_name)?;
    serde_json::from_slice::<gitsign_protocol::trust::TrustedRoot>(&bytes)
        .map_err(|e| malformed(&target_name, format!("not a trusted root: {e}")))?;

    write(&root_path, &serde_json::to_vec(&root).unwrap_or_default())?;
    let out = cache.join("trusted_root.json");
    write(&out, &bytes)?;
    Ok(out)
}

/// `gitsign initialize [--mirror URL] [--root FILE]`.
pub fn run(args: &[String], env: &crate::config::Env, err: &mut dyn std::io::Write) -> i32 {
    let result = (|| -> Result<PathBuf, String> {
        let mut mirror = DEFAULT_MIRROR.to_string();
        let mut root = None;
        crate::args::each(args, |name, value| {
            match name {
                "--mirror" => mirror = value()?,
                "--root" => root = Some(value()?),
                other => {
                    return Err(format!(
                        "unknown argument {other}; usage: gitsign initialize [--mirror URL] [--root FILE]"
                    ));
                }
            }
            Ok(())
        })?;
        let cache = cache_dir().ok_or("no cache directory (is HOME set?)")?;
        let initial = match &root {
            Some(p) => Some(std::fs::read(p).map_err(|e| format!("{p}: {e}"))?),
            None if cache.join("root.json").exists() => None,
            None => {
                return Err(format!(
                    "no TUF root is cached yet: give --root FILE, the root.json of {mirror} obtained out of band"
                ));
            }
        };
        let config = crate::config::Config::resolve(&crate::config::read_git_config().map_err(|e| e.to_string())?, env)
            .map_err(|e| e.to_string())?;
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

/// Sigstore's public TUF mirror.
pub const DEFAULT_MIRROR: &str = "https://tuf-repo-cdn.sigstore.dev";
