//! The TUF client behind `gitsign initialize`: fetches the Sigstore trusted root through TUF — the root-of-trust
//! metadata chain (each new root signed by a threshold of the old one's and its own keys), then
//! timestamp, snapshot and targets, each signed by its role's threshold and unexpired — and
//! caches the verified `trusted_root.json` for verification to use, in the cache directory
//! the caller passes in.
//!
//! A subset of TUF 1.0 sufficient for Sigstore's repositories: top-level roles only (no
//! delegations), ECDSA P-256 and Ed25519 keys, consistent snapshots. The trusted root,
//! timestamp, snapshot and targets metadata are kept in the cache between runs, so an older (but
//! unexpired) version served later is refused as a rollback (TUF 5.3.5, 5.4.3, 5.5.5, 5.6.4).
//! Thresholds count distinct keys, not key IDs, and every key ID must be its key's (SHA-256 of
//! the key's canonical JSON). Every download is capped.
//!
//! Why our own client and not `tough` (awslabs' TUF client, which sigstore-rs uses): measured
//! 2026-11-30 with tough 0.24 — it would add 15 crates to our tree (snafu, jiff, globset,
//! typed-path, olpc-cjson, futures, tokio-util, …; cheap), but its API is async-only (a tokio
//! runtime inside a blocking binary), it keeps its own datastore layout, and its
//! `Root::verify_role` counts a threshold by signature key IDs (`schema/verify.rs`), not by
//! distinct keys: the same key listed under two IDs (two JSON spellings of one key) counts
//! twice, which is one of the defects this module must not have. Its key-ID check and size
//! limits we reproduce here in a few lines. Revisit if tough counts distinct keys.

use crate::net::{Http, NetError};
use gitsign_protocol::keys::PublicKey;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Cap on a root metadata file (its size is not announced anywhere).
pub const MAX_ROOT_BYTES: u64 = 512 * 1024;
/// Cap on timestamp.json (its size is not announced anywhere).
pub const MAX_TIMESTAMP_BYTES: u64 = 64 * 1024;
/// Cap on snapshot and targets metadata whose parent gives no length.
pub const MAX_METADATA_BYTES: u64 = 8 * 1024 * 1024;
/// Cap on the trusted root target, whatever its metadata says.
pub const MAX_TARGET_BYTES: u64 = 16 * 1024 * 1024;
/// The most root versions one run walks through.
const MAX_ROOT_UPDATES: u64 = 1024;

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
    #[error("{file}: valid signatures from {valid} distinct key(s) of the {role} role, {threshold} needed")]
    Threshold {
        /// The file.
        file: String,
        /// The role.
        role: String,
        /// Distinct keys with a valid signature.
        valid: usize,
        /// Needed.
        threshold: usize,
    },
    /// A key listed under an ID that is not its own.
    #[error("{file}: key ID {listed} is not its key's ID ({computed}); the metadata is malformed or forged")]
    KeyId {
        /// The file.
        file: String,
        /// The ID the file gives.
        listed: String,
        /// SHA-256 of the key's canonical JSON.
        computed: String,
    },
    /// Expired metadata.
    #[error("{file} expired at {expires}; the repository is stale or the clock is wrong")]
    Expired {
        /// The file.
        file: String,
        /// Its expiry.
        expires: String,
    },
    /// An older version than the one already trusted.
    #[error(
        "rollback refused: {file} gives {what} version {found}, older than the trusted version {trusted}; \
         the mirror serves old metadata (an attack or a broken mirror); the cached metadata was kept"
    )]
    Rollback {
        /// The file.
        file: String,
        /// Which version.
        what: String,
        /// The version already trusted.
        trusted: u64,
        /// The version served.
        found: u64,
    },
    /// A download larger than its cap.
    #[error("{url} is larger than {cap} bytes, the cap for {what}; refused")]
    TooLarge {
        /// Where.
        url: String,
        /// What it is.
        what: String,
        /// The cap.
        cap: u64,
    },
    /// A root that is not the next version.
    #[error(
        "rollback refused: {file} carries root version {found}, not {next}, the version after the trusted root's; \
         the mirror serves an old root (an attack or a broken mirror)"
    )]
    RootVersion {
        /// The file.
        file: String,
        /// The version expected.
        next: u64,
        /// The version it carries.
        found: u64,
    },
    /// A mismatch between the files.
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

fn malformed(file: &str, detail: impl Into<String>) -> TufError {
    TufError::Malformed { file: file.to_string(), detail: detail.into() }
}

/// Canonical JSON as TUF signs it (OLPC canonical JSON, as securesystemslib and python-tuf write
/// it): object keys sorted, no whitespace, strings with only `"` and `\` escaped (a PEM key's
/// newlines stay raw bytes), integers only.
pub fn canonical(v: &Value) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.push(b'"');
        for b in s.bytes() {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    }
    fn write(out: &mut Vec<u8>, v: &Value) {
        match v {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            // A float has no canonical form: it is written as serde_json writes it, and the
            // signature over it then fails to verify, as it would with securesystemslib.
            Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Value::String(s) => string(out, s),
            Value::Array(a) => {
                out.push(b'[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(out, x);
                }
                out.push(b']');
            }
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push(b'{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    string(out, k);
                    out.push(b':');
                    write(out, &m[k]);
                }
                out.push(b'}');
            }
        }
    }
    let mut out = Vec::new();
    write(&mut out, v);
    out
}

/// A TUF key's public key, if its type and scheme are ones we verify.
fn parse_key(key: &Value) -> Option<PublicKey> {
    let scheme = key.get("scheme").and_then(Value::as_str)?;
    let public = key.pointer("/keyval/public").and_then(Value::as_str)?;
    match scheme {
        "ecdsa-sha2-nistp256" => PublicKey::from_pem_cert_or_key(public.as_bytes()).map(|(k, _)| k).ok(),
        "ed25519" => hex::decode(public).ok().filter(|raw| raw.len() == 32).and_then(|raw| {
            // SubjectPublicKeyInfo of an Ed25519 key: fixed prefix + 32 bytes.
            let mut spki = vec![0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
            spki.extend_from_slice(&raw);
            PublicKey::from_spki_der(&spki).ok()
        }),
        _ => None,
    }
}

/// A role's keys (those we can verify) and threshold, from a root. Every key ID the root lists
/// must be the SHA-256 of its key's canonical JSON.
fn role(root: &Value, name: &str, file: &str) -> Result<(Vec<PublicKey>, usize), TufError> {
    let r = root.pointer(&format!("/signed/roles/{name}")).ok_or_else(|| malformed(file, format!("no {name} role")))?;
    let threshold = r
        .get("threshold")
        .and_then(Value::as_u64)
        .filter(|t| *t >= 1)
        .ok_or_else(|| malformed(file, "bad threshold"))? as usize;
    let ids = r.get("keyids").and_then(Value::as_array).ok_or_else(|| malformed(file, "no keyids"))?;
    let keys = root.pointer("/signed/keys").and_then(Value::as_object).ok_or_else(|| malformed(file, "no keys"))?;
    for (id, key) in keys {
        let computed = hex::encode(gitsign_protocol::sha256(&canonical(key)));
        if !id.eq_ignore_ascii_case(&computed) {
            return Err(TufError::KeyId { file: file.into(), listed: id.clone(), computed });
        }
    }
    let list = ids.iter().filter_map(Value::as_str).filter_map(|id| keys.get(id)).filter_map(parse_key).collect();
    Ok((list, threshold))
}

/// The key IDs of a role, to see whether a new root rotated it.
fn role_ids(root: &Value, name: &str) -> BTreeSet<String> {
    root.pointer(&format!("/signed/roles/{name}/keyids"))
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// Checks that `meta` is signed by `threshold` distinct keys of `keys`. A signature counts for
/// every role key it verifies with, and keys are told apart by their SubjectPublicKeyInfo, so one
/// key listed under two IDs (or signing twice) counts once.
fn check_signatures(
    meta: &Value,
    keys: &[PublicKey],
    threshold: usize,
    role_name: &str,
    file: &str,
) -> Result<(), TufError> {
    let signed = meta.get("signed").ok_or_else(|| malformed(file, "no signed part"))?;
    let message = canonical(signed);
    let mut good: BTreeSet<&[u8]> = BTreeSet::new();
    for s in meta.get("signatures").and_then(Value::as_array).into_iter().flatten() {
        let Some(sig) = s.get("sig").and_then(Value::as_str).and_then(|h| hex::decode(h).ok()) else { continue };
        for key in keys {
            if key.verify(&message, &sig).is_ok() {
                good.insert(key.spki_der());
            }
        }
    }
    if good.len() < threshold {
        return Err(TufError::Threshold { file: file.into(), role: role_name.into(), valid: good.len(), threshold });
    }
    Ok(())
}

fn version_of(meta: &Value, file: &str) -> Result<u64, TufError> {
    meta.pointer("/signed/version").and_then(Value::as_u64).ok_or_else(|| malformed(file, "no version"))
}

fn check_type(meta: &Value, kind: &str, file: &str) -> Result<(), TufError> {
    if meta.pointer("/signed/_type").and_then(Value::as_str) != Some(kind) {
        return Err(malformed(file, format!("not {kind} metadata")));
    }
    Ok(())
}

fn check_fresh(meta: &Value, file: &str) -> Result<(), TufError> {
    let expires =
        meta.pointer("/signed/expires").and_then(Value::as_str).ok_or_else(|| malformed(file, "no expiry"))?;
    let when = time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
        .map_err(|e| malformed(file, format!("expiry: {e}")))?;
    if when <= time::OffsetDateTime::now_utc() {
        return Err(TufError::Expired { file: file.into(), expires: expires.into() });
    }
    Ok(())
}

fn rollback(file: &str, what: &str, trusted: u64, found: u64) -> Result<(), TufError> {
    if found < trusted {
        return Err(TufError::Rollback { file: file.into(), what: what.into(), trusted, found });
    }
    Ok(())
}

/// Downloads `name` from the mirror, at most `cap` bytes; `None` when the mirror has no such file.
fn fetch(http: &Http, mirror: &str, name: &str, cap: u64, what: &str) -> Result<Option<Vec<u8>>, TufError> {
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
    let too_large = |url: String| TufError::TooLarge { url, what: what.into(), cap };
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(too_large(url));
    }
    let mut body = Vec::new();
    resp.take(cap.saturating_add(1)).read_to_end(&mut body).map_err(|e| NetError::Unreachable {
        step: "fetching TUF metadata",
        url: url.clone(),
        detail: e.to_string(),
    })?;
    if body.len() as u64 > cap {
        return Err(too_large(url));
    }
    Ok(Some(body))
}

fn parse(bytes: &[u8], file: &str) -> Result<Value, TufError> {
    serde_json::from_slice(bytes).map_err(|e| malformed(file, format!("not JSON: {e}")))
}

/// The download cap for a file its parent describes: its announced length, else `default`.
fn cap_for(info: &Value, default: u64) -> u64 {
    info.get("length").and_then(Value::as_u64).map_or(default, |l| l.min(default))
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

fn remove(path: &Path) -> Result<(), TufError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(TufError::Io { path: path.to_path_buf(), source: e }),
        _ => Ok(()),
    }
}

/// Metadata trusted by an earlier run (verified before it was written), if any.
fn trusted(cache: &Path, name: &str) -> Result<Option<Value>, TufError> {
    let path = cache.join(name);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            malformed(
                &path.display().to_string(),
                format!(
                    "the cached metadata is not JSON ({e}); remove {} and run initialize with --root",
                    cache.display()
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(TufError::Io { path, source }),
    }
}

/// The file naming the mirror the cached metadata came from.
const MIRROR_FILE: &str = "mirror";
const ROLES: [&str; 4] = ["root.json", "timestamp.json", "snapshot.json", "targets.json"];

/// Updates the cached trusted root from `mirror`, starting from the TUF root in the cache or
/// from `initial_root` (required the first time, and for a mirror other than the cached one's).
/// The root, timestamp, snapshot and targets metadata it verifies are kept in `cache`, and the
/// next run refuses older versions of them. Returns the trusted root's path.
pub fn initialize(http: &Http, mirror: &str, initial_root: Option<&[u8]>, cache: &Path) -> Result<PathBuf, TufError> {
    let mirror_path = cache.join(MIRROR_FILE);
    let cached_mirror = std::fs::read_to_string(&mirror_path).ok().map(|m| m.trim().to_string());
    let same_mirror = cached_mirror.as_deref() == Some(mirror.trim_end_matches('/'));
    if !same_mirror {
        // Another repository's versions say nothing about this one: start over from --root.
        let Some(_) = initial_root else {
            return Err(malformed(
                "root.json",
                format!(
                    "the cached TUF metadata is for {}, not {mirror}: give --root FILE, the root.json of {mirror} \
                     obtained out of band",
                    cached_mirror.as_deref().unwrap_or("no mirror")
                ),
            ));
        };
        for name in ROLES.into_iter().chain(["trusted_root.json"]) {
            remove(&cache.join(name))?;
        }
    }
    let cached_root = trusted(cache, "root.json")?;
    // Start from the newest of the cached root and the one given: a --root older than what an
    // earlier run already trusted cannot take the client back.
    let mut root = match (initial_root, cached_root) {
        (Some(b), Some(cached)) => {
            let given = parse(b, "the root given with --root")?;
            if version_of(&given, "the root given with --root")? > version_of(&cached, "root.json")? {
                given
            } else {
                cached
            }
        }
        (Some(b), None) => parse(b, "the root given with --root")?,
        (None, Some(cached)) => cached,
        (None, None) => {
            return Err(malformed("root.json", "no TUF root is cached: give --root FILE, obtained out of band"));
        }
    };
    check_type(&root, "root", "root.json")?;
    let (keys, threshold) = role(&root, "root", "root.json")?;
    check_signatures(&root, &keys, threshold, "root", "root.json")?;
    let start = root.clone();
    write(&mirror_path, mirror.trim_end_matches('/').as_bytes())?;

    // Walk the root chain: N+1 must be signed by N's root keys and its own, and carry N+1.
    let first = version_of(&root, "root.json")?;
    loop {
        let version = version_of(&root, "root.json")?;
        if version >= first.saturating_add(MAX_ROOT_UPDATES) {
            return Err(malformed("root.json", format!("more than {MAX_ROOT_UPDATES} root updates in one run")));
        }
        let name = format!("{}.root.json", version + 1);
        let Some(bytes) = fetch(http, mirror, &name, MAX_ROOT_BYTES, "root metadata")? else { break };
        let next = parse(&bytes, &name)?;
        check_type(&next, "root", &name)?;
        let (old_keys, old_threshold) = role(&root, "root", &name)?;
        check_signatures(&next, &old_keys, old_threshold, "root (previous)", &name)?;
        let (new_keys, new_threshold) = role(&next, "root", &name)?;
        check_signatures(&next, &new_keys, new_threshold, "root", &name)?;
        let found = version_of(&next, &name)?;
        if found != version + 1 {
            return Err(TufError::RootVersion { file: name, next: version + 1, found });
        }
        root = next;
        // TUF 5.3.8: persist each new root as soon as it is trusted.
        write(&cache.join("root.json"), &serde_json::to_vec(&root).unwrap_or_default())?;
    }
    write(&cache.join("root.json"), &serde_json::to_vec(&root).unwrap_or_default())?;
    // TUF 5.3.11: rotated timestamp or snapshot keys void the versions trusted under the old ones
    // (the way out of a fast-forward attack).
    if role_ids(&root, "timestamp") != role_ids(&start, "timestamp") {
        remove(&cache.join("timestamp.json"))?;
    }
    if role_ids(&root, "snapshot") != role_ids(&start, "snapshot") {
        remove(&cache.join("timestamp.json"))?;
        remove(&cache.join("snapshot.json"))?;
    }
    check_fresh(&root, "root.json")?;
    let consistent = root.pointer("/signed/consistent_snapshot").and_then(Value::as_bool).unwrap_or(false);
    let versioned = |info: &Value, name: &str| -> String {
        match (consistent, info.get("version").and_then(Value::as_u64)) {
            (true, Some(v)) => format!("{v}.{name}"),
            _ => name.to_string(),
        }
    };

    // Timestamp (TUF 5.4).
    let old_timestamp = trusted(cache, "timestamp.json")?;
    let timestamp_bytes = fetch(http, mirror, "timestamp.json", MAX_TIMESTAMP_BYTES, "timestamp metadata")?
        .ok_or_else(|| malformed("timestamp.json", "missing"))?;
    let timestamp = parse(&timestamp_bytes, "timestamp.json")?;
    check_type(&timestamp, "timestamp", "timestamp.json")?;
    let (keys, threshold) = role(&root, "timestamp", "timestamp.json")?;
    check_signatures(&timestamp, &keys, threshold, "timestamp", "timestamp.json")?;
    let snap_info = timestamp
        .pointer("/signed/meta/snapshot.json")
        .ok_or_else(|| malformed("timestamp.json", "names no snapshot"))?;
    let snap_named = snap_info
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| malformed("timestamp.json", "gives no snapshot version"))?;
    if let Some(old) = &old_timestamp {
        rollback(
            "timestamp.json",
            "timestamp",
            version_of(old, "timestamp.json")?,
            version_of(&timestamp, "timestamp.json")?,
        )?;
        if let Some(old_snap) = old.pointer("/signed/meta/snapshot.json/version").and_then(Value::as_u64) {
            rollback("timestamp.json", "snapshot", old_snap, snap_named)?;
        }
    }
    check_fresh(&timestamp, "timestamp.json")?;

    // Snapshot (TUF 5.5).
    let old_snapshot = trusted(cache, "snapshot.json")?;
    let snap_name = versioned(snap_info, "snapshot.json");
    let snapshot_bytes = fetch(http, mirror, &snap_name, cap_for(snap_info, MAX_METADATA_BYTES), "snapshot metadata")?
        .ok_or_else(|| malformed(&snap_name, "missing"))?;
    check_hashes(&snapshot_bytes, snap_info, &snap_name)?;
    let snapshot = parse(&snapshot_bytes, &snap_name)?;
    check_type(&snapshot, "snapshot", &snap_name)?;
    let (keys, threshold) = role(&root, "snapshot", &snap_name)?;
    check_signatures(&snapshot, &keys, threshold, "snapshot", &snap_name)?;
    let snap_version = version_of(&snapshot, &snap_name)?;
    if snap_version != snap_named {
        return Err(TufError::Inconsistent(format!(
            "{snap_name} carries version {snap_version}, timestamp.json names {snap_named}"
        )));
    }
    if let Some(old) = &old_snapshot {
        rollback(&snap_name, "snapshot", version_of(old, "snapshot.json")?, snap_version)?;
        for (file, info) in old.pointer("/signed/meta").and_then(Value::as_object).into_iter().flatten() {
            let old_v = info.get("version").and_then(Value::as_u64).unwrap_or(0);
            let new_v = snapshot.pointer(&format!("/signed/meta/{}", file.replace('~', "~0").replace('/', "~1")));
            let Some(new_v) = new_v.and_then(|i| i.get("version")).and_then(Value::as_u64) else {
                return Err(TufError::Inconsistent(format!(
                    "{snap_name} no longer lists {file}, which the trusted snapshot lists: a rollback"
                )));
            };
            rollback(&snap_name, file, old_v, new_v)?;
        }
    }
    check_fresh(&snapshot, &snap_name)?;

    // Targets (TUF 5.6).
    let old_targets = trusted(cache, "targets.json")?;
    let targets_info =
        snapshot.pointer("/signed/meta/targets.json").ok_or_else(|| malformed(&snap_name, "names no targets"))?;
    let targets_name = versioned(targets_info, "targets.json");
    let targets_bytes =
        fetch(http, mirror, &targets_name, cap_for(targets_info, MAX_METADATA_BYTES), "targets metadata")?
            .ok_or_else(|| malformed(&targets_name, "missing"))?;
    check_hashes(&targets_bytes, targets_info, &targets_name)?;
    let targets = parse(&targets_bytes, &targets_name)?;
    check_type(&targets, "targets", &targets_name)?;
    let (keys, threshold) = role(&root, "targets", &targets_name)?;
    check_signatures(&targets, &keys, threshold, "targets", &targets_name)?;
    let targets_version = version_of(&targets, &targets_name)?;
    if let Some(named) = targets_info.get("version").and_then(Value::as_u64)
        && named != targets_version
    {
        return Err(TufError::Inconsistent(format!(
            "{targets_name} carries version {targets_version}, {snap_name} names {named}"
        )));
    }
    if let Some(old) = &old_targets {
        rollback(&targets_name, "targets", version_of(old, "targets.json")?, targets_version)?;
    }
    check_fresh(&targets, &targets_name)?;

    let target = targets
        .pointer("/signed/targets/trusted_root.json")
        .ok_or_else(|| malformed(&targets_name, "names no trusted_root.json"))?;
    let sha = target
        .pointer("/hashes/sha256")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed(&targets_name, "trusted_root.json has no SHA-256"))?;
    if target.get("length").and_then(Value::as_u64).is_none() {
        return Err(malformed(&targets_name, "trusted_root.json has no length"));
    }
    let target_name =
        if consistent { format!("targets/{sha}.trusted_root.json") } else { "targets/trusted_root.json".into() };
    let bytes = fetch(http, mirror, &target_name, cap_for(target, MAX_TARGET_BYTES), "the trusted root target")?
        .ok_or_else(|| malformed(&target_name, "missing"))?;
    check_hashes(&bytes, target, &target_name)?;
    serde_json::from_slice::<gitsign_protocol::trust::TrustedRoot>(&bytes)
        .map_err(|e| malformed(&target_name, format!("not a trusted root: {e}")))?;

    write(&cache.join("timestamp.json"), &timestamp_bytes)?;
    write(&cache.join("snapshot.json"), &snapshot_bytes)?;
    write(&cache.join("targets.json"), &targets_bytes)?;
    let out = cache.join("trusted_root.json");
    write(&out, &bytes)?;
    Ok(out)
}

/// The newest `validFor.start` anywhere in a trusted root: how recent its keys are.
fn newest_start(trusted_root: &Value) -> Option<time::OffsetDateTime> {
    fn walk(v: &Value, best: &mut Option<time::OffsetDateTime>) {
        match v {
            Value::Object(m) => {
                if let Some(start) = m.get("validFor").and_then(|f| f.get("start")).and_then(Value::as_str)
                    && let Ok(t) = time::OffsetDateTime::parse(start, &time::format_description::well_known::Rfc3339)
                    && best.is_none_or(|b| t > b)
                {
                    *best = Some(t);
                }
                m.values().for_each(|x| walk(x, best));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, best)),
            _ => {}
        }
    }
    let mut best = None;
    walk(trusted_root, &mut best);
    best
}

/// What verification should use instead of the trusted root built into the binary.
#[derive(Debug)]
pub enum Cached {
    /// The root `initialize` cached (its path and bytes).
    Use(PathBuf, Vec<u8>),
    /// The cached root is for the built-in root's repository but older than it (this gitsign is
    /// newer than the cache): the built-in one wins; the message says so.
    Stale(String),
    /// Nothing cached.
    None,
}

/// The cached trusted root, unless it came from Sigstore's public mirror (the built-in root's
/// repository) and the built-in root is newer: a newer binary's root is not shadowed by an old
/// cache. Roots from other mirrors (a private deployment) are always used.
pub fn cached_trusted_root(cache: &Path, built_in: &[u8]) -> Result<Cached, TufError> {
    let path = cache.join("trusted_root.json");
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cached::None),
        Err(source) => return Err(TufError::Io { path, source }),
    };
    let mirror = std::fs::read_to_string(cache.join(MIRROR_FILE)).unwrap_or_default();
    if mirror.trim() == DEFAULT_MIRROR {
        let cached = serde_json::from_slice::<Value>(&bytes).ok().as_ref().and_then(newest_start);
        let ours = serde_json::from_slice::<Value>(built_in).ok().as_ref().and_then(newest_start);
        if let (Some(c), Some(o)) = (cached, ours)
            && o > c
        {
            return Ok(Cached::Stale(format!(
                "the trusted root built into this gitsign (keys from {o}) is newer than the one `gitsign initialize` \
                 cached in {} (keys from {c}); using the built-in one — run `gitsign initialize` to refresh the cache",
                path.display()
            )));
        }
    }
    Ok(Cached::Use(path, bytes))
}

/// The file recording when a signing or verifying run last tried to refresh an expired cache.
pub const REFRESH_ATTEMPT_FILE: &str = "last-refresh-attempt";
/// How long after an attempt the next one may be made.
pub const REFRESH_INTERVAL: time::Duration = time::Duration::DAY;
/// The limit on each request of a refresh made while signing or verifying.
pub const REFRESH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(4);

/// What [`refresh_if_expired`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Refresh {
    /// Nothing to do: no cached TUF timestamp, or it has not expired. No network was used.
    Fresh,
    /// The timestamp had expired and the cache was updated through TUF.
    Refreshed,
    /// The timestamp has expired and the cache could not be refreshed (or an attempt was made
    /// less than a day ago): the cached trusted root is to be used as it is; the text says why.
    Stale(String),
}

/// The `expires` of the cached timestamp metadata, if there is one that gives it.
fn cached_timestamp_expiry(cache: &Path) -> Option<time::OffsetDateTime> {
    let meta = trusted(cache, "timestamp.json").ok().flatten()?;
    let expires = meta.pointer("/signed/expires").and_then(Value::as_str)?;
    time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339).ok()
}

/// The time of the last refresh attempt recorded in the cache (seconds since the epoch).
fn last_attempt(cache: &Path) -> Option<time::OffsetDateTime> {
    let text = std::fs::read_to_string(cache.join(REFRESH_ATTEMPT_FILE)).ok()?;
    time::OffsetDateTime::from_unix_timestamp(text.trim().parse().ok()?).ok()
}

/// Whether an attempt made at `last` keeps another from being made at `now`: only one made in
/// the day before `now` (one dated in the future, a clock set back, does not block for ever).
fn attempted_recently(last: Option<time::OffsetDateTime>, now: time::OffsetDateTime) -> bool {
    last.is_some_and(|last| last <= now && now - last < REFRESH_INTERVAL)
}

/// Records an attempt at `now`, in an owner-only file.
fn record_attempt(cache: &Path, now: time::OffsetDateTime) -> Result<(), TufError> {
    let path = cache.join(REFRESH_ATTEMPT_FILE);
    let io = |source| TufError::Io { path: path.clone(), source };
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(io)?;
    std::io::Write::write_all(&mut file, now.unix_timestamp().to_string().as_bytes()).map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, &path).map_err(io)
}

/// Whether [`refresh_if_expired`] would try a refresh at `now`: the cached TUF timestamp has
/// expired (a refresh attempted less than a day ago is not tried again, but is still due here).
pub fn refresh_due(cache: &Path, now: time::OffsetDateTime) -> bool {
    cached_timestamp_expiry(cache).is_some_and(|e| e <= now)
}

/// When signing or verifying uses the trusted root cached in `cache`: if the cached TUF
/// timestamp has expired at `now`, updates the cache through TUF from the mirror it was filled
/// from (as `gitsign initialize` does), at most once a day — the attempt time is recorded in the
/// cache before the network is used. A fresh timestamp (or none) never touches the network.
/// `http` is called only when a refresh is attempted, to build the client (with a short timeout).
pub fn refresh_if_expired(
    cache: &Path,
    now: time::OffsetDateTime,
    http: impl FnOnce() -> Result<Http, NetError>,
) -> Refresh {
    let Some(expires) = cached_timestamp_expiry(cache).filter(|e| *e <= now) else { return Refresh::Fresh };
    let expired = expires.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    let stale = |why: &str| {
        Refresh::Stale(crate::text::sanitize(&format!(
            "the TUF-cached trusted root in {} is stale (its TUF timestamp expired at {expired}) and is used as it \
             is: {why}; run `gitsign initialize` to refresh it",
            cache.display()
        )))
    };
    let last = last_attempt(cache);
    if attempted_recently(last, now) {
        let at = last.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()).unwrap_or_default();
        return stale(&format!("the last refresh attempt, at {at}, was less than a day ago"));
    }
    let Some(mirror) = std::fs::read_to_string(cache.join(MIRROR_FILE)).ok().map(|m| m.trim().to_string()) else {
        return stale("the cache records no TUF mirror to refresh it from");
    };
    if let Err(e) = record_attempt(cache, now) {
        return stale(&format!("cannot record the refresh attempt ({e})"));
    }
    let initial = (mirror == DEFAULT_MIRROR).then_some(PUBLIC_GOOD_TUF_ROOT);
    match http().map_err(TufError::from).and_then(|http| initialize(&http, &mirror, initial, cache)) {
        Ok(_) => Refresh::Refreshed,
        Err(e) => stale(&format!("refreshing it from {mirror} failed: {e}")),
    }
}

/// Sigstore's public TUF mirror.
pub const DEFAULT_MIRROR: &str = "https://tuf-repo-cdn.sigstore.dev";

/// The public-good TUF root (version 15, as the sigstore-python wheel ships it): `gitsign
/// initialize` with no `--root` bootstraps [`DEFAULT_MIRROR`] from it.
pub const PUBLIC_GOOD_TUF_ROOT: &[u8] = include_bytes!("../trust/public-good-tuf-root.json");

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn one_refresh_attempt_a_day_and_a_future_attempt_time_does_not_block() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        assert!(!attempted_recently(None, now));
        assert!(attempted_recently(Some(now), now));
        assert!(attempted_recently(Some(now - time::Duration::hours(23)), now));
        assert!(!attempted_recently(Some(now - time::Duration::hours(25)), now));
        assert!(!attempted_recently(Some(now + time::Duration::hours(1)), now));
    }

    #[test]
    fn an_unexpired_or_absent_timestamp_never_builds_a_client() {
        let dir = std::env::temp_dir().join(format!("gitsign-tuf-refresh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        struct Gone(PathBuf);
        impl Drop for Gone {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
        let _gone = Gone(dir.clone());
        let dir = dir.as_path();
        let never = || -> Result<Http, NetError> { panic!("the network was used") };
        assert_eq!(refresh_if_expired(dir, time::OffsetDateTime::now_utc(), never), Refresh::Fresh);
        std::fs::write(dir.join("timestamp.json"), r#"{"signed":{"expires":"2099-01-01T00:00:00Z"}}"#).unwrap();
        assert_eq!(refresh_if_expired(dir, time::OffsetDateTime::now_utc(), never), Refresh::Fresh);
        // Expired, attempted an hour ago: stale, still no client.
        std::fs::write(dir.join("timestamp.json"), r#"{"signed":{"expires":"2001-01-01T00:00:00Z"}}"#).unwrap();
        let now = time::OffsetDateTime::now_utc();
        record_attempt(dir, now - time::Duration::hours(1)).unwrap();
        let Refresh::Stale(why) = refresh_if_expired(dir, now, never) else { panic!("not stale") };
        assert!(why.contains("expired at 2001-01-01T00:00:00Z") && why.contains("less than a day ago"), "{why}");
    }

    /// Sigstore's own root (root-signing, version 15; PEM keys whose newlines canonical JSON
    /// keeps raw, key IDs over keys with extra fields) verifies with our canonical JSON, key-ID
    /// check and distinct-key threshold.
    #[test]
    fn sigstores_published_root_verifies_against_itself() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/trust/public-good/tuf-root.json");
        let Ok(bytes) = std::fs::read(&path) else {
            return crate::test_skip::skip(&format!("{} is missing (CI provides ../shared)", path.display()));
        };
        let root: Value = serde_json::from_slice(&bytes).unwrap();
        let (keys, threshold) = role(&root, "root", "tuf-root.json").unwrap();
        assert_eq!(threshold, 3);
        check_signatures(&root, &keys, threshold, "root", "tuf-root.json").unwrap();
        // The root built into the binary is this one.
        assert_eq!(PUBLIC_GOOD_TUF_ROOT, &bytes[..]);
        assert_eq!(version_of(&parse(PUBLIC_GOOD_TUF_ROOT, "embedded").unwrap(), "embedded").unwrap(), 15);
        // One changed byte in the signed part and the threshold is no longer met.
        let mut forged = root.clone();
        forged["signed"]["version"] = 16.into();
        assert!(matches!(
            check_signatures(&forged, &keys, threshold, "root", "tuf-root.json"),
            Err(TufError::Threshold { valid: 0, threshold: 3, .. })
        ));
    }
}
