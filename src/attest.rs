//! `gitsign attest` (the Go gitsign's: a DSSE attestation on HEAD's commit or tree, stored under
//! `refs/attestations/{commits,trees}`) and `gitsign verify-attestation` (ours).
//!
//! The tree of the attestation ref holds one directory per attested object, named by its ID, with
//! three files per attestation: `NAME` (the predicate file as given), `NAME.sig` (the DSSE
//! envelope, as the Go gitsign writes it) and `NAME.sigstore.json` (ours: a Sigstore bundle of the
//! envelope's signature over its PAE bytes, with the Fulcio certificate and the Rekor entry and
//! proof, so that verification works offline). Written with git plumbing only: the working tree
//! and the index are never touched, and the ref is moved from the value it was read at.

use crate::cli::{AttestArgs, ObjType, VerifyAttestationArgs};
use crate::outcome::{Cause, EXIT_USAGE, Failure, Tally, Verdict};
use crate::ui::sanitize;
use gitsign_core::attest::{self, BUNDLE_SUFFIX, ENVELOPE_SUFFIX, ObjectKind};
use gitsign_core::config::{CacheMode, Env, Purpose};
use gitsign_core::verify::Policy;
use std::io::Write;
use std::process::{Command, Stdio};

/// The largest attestation file read from the ref (the ref is the attacker's).
const MAX_BLOB: u64 = 16 << 20;

impl From<ObjType> for ObjectKind {
    fn from(t: ObjType) -> Self {
        match t {
            ObjType::Commit => ObjectKind::Commit,
            ObjType::Tree => ObjectKind::Tree,
        }
    }
}

/// Runs git with `args` (and `input` on its standard input); its standard output.
fn git(args: &[&str], input: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut child = Command::new("git")
        .args(args)
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(bytes).map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("git {}: {e}", args.join(" ")))?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            sanitize(&args.join(" ")),
            sanitize(String::from_utf8_lossy(&out.stderr).trim())
        ));
    }
    Ok(out.stdout)
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// The object ID `spec` names, or `None` when it names nothing.
fn resolve(spec: &str) -> Result<Option<String>, String> {
    let out = Command::new("git")
        .args(["rev-parse", "--verify", "-q", spec])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    Ok(out.status.success().then(|| text(out.stdout)).filter(|s| !s.is_empty()))
}

/// The commit the ref `full_name` (exactly that ref, never git's DWIM: a tag or branch named
/// `refs/attestations/commits`, which a clone fetches, is not it) points at, or `None` when the ref
/// does not exist; an error when it exists but holds no commit.
fn exact_ref_commit(full_name: &str) -> Result<Option<String>, String> {
    let out = Command::new("git")
        .args(["show-ref", "--verify", "--", full_name])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Ok(None);
    }
    let line = text(out.stdout);
    let oid = match line.split_once(' ') {
        Some((oid, name)) if name == full_name && !oid.is_empty() => oid.to_string(),
        _ => return Err(format!("git show-ref --verify {full_name} answered {:?}", sanitize(&line))),
    };
    let what = text(git(&["cat-file", "-t", &oid], None)?);
    if what != "commit" {
        return Err(format!("{full_name} points at a {what}, not a commit: move it away first"));
    }
    Ok(Some(oid))
}

/// One entry of a tree, as `git ls-tree -z -l` writes it (and `git mktree -z` reads it).
#[derive(Debug, Clone)]
struct Entry {
    mode: String,
    kind: String,
    oid: String,
    /// The blob's size (`None` for a tree or a submodule).
    size: Option<u64>,
    name: String,
}

impl Entry {
    fn blob(name: &str, oid: String) -> Entry {
        Entry { mode: "100644".into(), kind: "blob".into(), oid, size: None, name: name.into() }
    }

    fn line(&self) -> Vec<u8> {
        let mut l = format!("{} {} {}\t", self.mode, self.kind, self.oid).into_bytes();
        l.extend_from_slice(self.name.as_bytes());
        l.push(0);
        l
    }
}

/// The most entries read from one directory of an attestation tree (the ref is the attacker's).
const MAX_ENTRIES: usize = 1000;
/// The most attestations of one object checked.
const MAX_ATTESTATIONS: usize = 100;

/// The entries of the tree `treeish` (only the one named `only`, when given), with their sizes,
/// refused beyond `cap` entries or when a name appears twice (a hand-made tree).
fn ls_tree_capped(treeish: &str, only: Option<&str>, cap: usize) -> Result<Vec<Entry>, String> {
    use std::io::BufRead;
    let mut args = vec!["ls-tree", "-z", "-l", "--full-tree", treeish];
    if let Some(name) = only {
        args.extend(["--", name]);
    }
    let mut child = Command::new("git")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let stdout = child.stdout.take().ok_or("git ls-tree: no output")?;
    let mut entries: Vec<Entry> = Vec::new();
    let mut failure = None;
    for record in std::io::BufReader::new(stdout).split(0) {
        let record = match record {
            Ok(r) if r.is_empty() => continue,
            Ok(r) => r,
            Err(e) => {
                failure = Some(format!("git ls-tree {treeish}: {e}"));
                break;
            }
        };
        let record = String::from_utf8_lossy(&record);
        let parsed = record.split_once('\t').and_then(|(meta, name)| {
            let mut parts = meta.split_whitespace();
            let (mode, kind, oid, size) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
            Some(Entry {
                mode: mode.into(),
                kind: kind.into(),
                oid: oid.into(),
                size: size.parse().ok(),
                name: name.into(),
            })
        });
        let Some(entry) = parsed else {
            failure = Some(format!("git ls-tree {treeish}: {:?}", sanitize(&record)));
            break;
        };
        if entries.iter().any(|e| e.name == entry.name) {
            failure = Some(format!(
                "the attestation tree {treeish} names {} twice (a hand-made tree): refused",
                sanitize(&entry.name)
            ));
            break;
        }
        if entries.len() == cap {
            failure = Some(format!(
                "the attestation tree {treeish} has more than {cap} entries (the most read): refused; \
                 remove the excess from the ref"
            ));
            break;
        }
        entries.push(entry);
    }
    if failure.is_some() {
        let _ = child.kill();
    }
    let status = child.wait().map_err(|e| format!("git ls-tree {treeish}: {e}"))?;
    match failure {
        Some(f) => Err(f),
        None if !status.success() => Err(format!("git ls-tree {treeish} failed ({status})")),
        None => Ok(entries),
    }
}

/// The entries of the tree `treeish` (attest's own rewrite of the whole ref).
fn ls_tree(treeish: &str) -> Result<Vec<Entry>, String> {
    ls_tree_capped(treeish, None, usize::MAX)
}

fn mktree(entries: &[Entry]) -> Result<String, String> {
    let input: Vec<u8> = entries.iter().flat_map(Entry::line).collect();
    Ok(text(git(&["mktree", "-z"], Some(&input))?))
}

fn write_blob(bytes: &[u8]) -> Result<String, String> {
    Ok(text(git(&["hash-object", "-w", "-t", "blob", "--stdin"], Some(bytes))?))
}

/// Sets (or adds) `entry` in `entries`; whether it replaced one.
fn put(entries: &mut Vec<Entry>, entry: Entry) -> bool {
    let replaced = entries.iter().any(|e| e.name == entry.name);
    entries.retain(|e| e.name != entry.name);
    entries.push(entry);
    replaced
}

/// `gitsign attest [--type URI] [--objtype commit|tree] -f FILE`: exit 0 with the new commit of
/// the attestation ref on standard output, else 1 (2 for usage).
pub fn run(a: AttestArgs, env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match attest(a, env, err) {
        Ok(commit) => {
            let _ = writeln!(out, "{commit}");
            0
        }
        Err(e) => {
            let _ = writeln!(err, "gitsign: attest failed: {e}");
            1
        }
    }
}

fn attest(a: AttestArgs, env: &Env, err: &mut dyn Write) -> Result<String, String> {
    let kind = ObjectKind::from(a.objtype);
    let path = &a.file;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| format!("{} does not end in a file name", path.display()))?
        .to_string();
    attest::check_file_name(&name).map_err(|e| e.to_string())?;
    let predicate = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let object = resolve(&format!("HEAD^{{{}}}", kind.as_str()))?
        .ok_or("HEAD names no commit yet: make a commit first (gitsign attest attests HEAD, as the Go gitsign)")?;
    let statement = attest::statement(kind, &object, &a.predicate_type, &predicate).map_err(|e| e.to_string())?;
    // The statement re-serialises the predicate (numbers as 64-bit floats, as the Go gitsign's):
    // refuse a file it would not hold exactly, which verify-attestation would then refuse.
    attest::check_predicate_file(&predicate, &statement).map_err(|e| {
        format!(
            "{} cannot be signed as written: {e} (a key twice, or a number a 64-bit float cannot hold exactly: \
             write such numbers as strings)",
            path.display()
        )
    })?;
    let pae = attest::pae(attest::IN_TOTO, &statement);

    // Keyless signing exactly as for commits: the same configuration, credential sources and log.
    let config = crate::load_config(env, Purpose::Sign, err).map_err(|e| e.to_string())?;
    let trust = crate::trust::load_trust(&config).map_err(|e| e.to_string())?;
    let http = gitsign_core::net::Http::new(config.timeout).map_err(|e| e.to_string())?;
    let mut ui = crate::ui::Ui::terminal();
    let credential =
        match (&config.credential_cache_mode, env.get("GITSIGN_CREDENTIAL_CACHE").filter(|p| !p.is_empty())) {
            (Some(CacheMode::Keyring), _) => crate::cache::keyring_credential(&config, env, &http, &mut ui),
            (_, Some(socket)) => crate::cache::credential(std::path::Path::new(socket), &config, env, &http, &mut ui),
            _ => crate::credential::obtain_credential(&config, env, &http, &mut ui),
        }
        .map_err(|e| e.to_string())?;
    let bundle = gitsign_core::sign::sign_blob(&pae, &credential, &config, &http).map_err(|e| e.to_string())?;
    let bundle_json = serde_json::to_vec_pretty(&bundle).map_err(|e| e.to_string())?;
    let policy = Policy::default();
    let verified = gitsign_core::bundle::verify(
        &trust,
        &bundle_json,
        &gitsign_protocol::sha256(&pae),
        &gitsign_core::bundle::Signer::Certificate(&policy),
    )
    .map_err(|e| format!("the new signature does not verify against {}: {e}", trust.name()))?;
    let signature = bundle
        .pointer("/messageSignature/signature")
        .and_then(|s| s.as_str())
        .and_then(|s| gitsign_protocol::unb64(s).ok())
        .ok_or("the new bundle holds no message signature")?;
    let envelope = attest::envelope(&statement, &signature);

    // The tree: the previous attestations, with this object's directory extended.
    let ref_name = kind.ref_name();
    let old = exact_ref_commit(ref_name)?;
    let mut top = match &old {
        Some(old) => ls_tree(old)?,
        None => Vec::new(),
    };
    let mut dir = match top.iter().find(|e| e.name == object) {
        Some(e) if e.kind == "tree" => ls_tree_capped(&e.oid, None, MAX_ENTRIES)?,
        Some(e) => return Err(format!("{ref_name}:{object} is a {}, not a directory", e.kind)),
        None => Vec::new(),
    };
    let mut replaced = false;
    for (file, bytes) in [
        (name.clone(), predicate.as_slice()),
        (format!("{name}{ENVELOPE_SUFFIX}"), envelope.as_slice()),
        (format!("{name}{BUNDLE_SUFFIX}"), bundle_json.as_slice()),
    ] {
        replaced |= put(&mut dir, Entry::blob(&file, write_blob(bytes)?));
    }
    let dir_oid = mktree(&dir)?;
    put(&mut top, Entry { mode: "040000".into(), kind: "tree".into(), oid: dir_oid, size: None, name: object.clone() });
    let tree = mktree(&top)?;
    let message = format!("Gitsign attest {name}");
    let mut args = vec!["commit-tree", tree.as_str(), "-m", message.as_str()];
    if let Some(old) = &old {
        args.extend(["-p", old.as_str()]);
    }
    let commit = text(git(&args, None)?);
    // From the value read above: an attestation written meanwhile is not lost, this one fails.
    git(&["update-ref", "-m", "gitsign attest", ref_name, &commit, old.as_deref().unwrap_or("")], None)
        .map_err(|e| format!("{ref_name} changed while attesting; run gitsign attest again ({e})"))?;
    if replaced {
        let _ = writeln!(
            err,
            "gitsign: replaced the earlier {name} of {} {object} (it stays in the history of {ref_name})",
            kind.as_str()
        );
    }
    let _ = writeln!(
        err,
        "gitsign: attested {} {object} with {} ({}) as {} ({}), log index {}: {ref_name}",
        kind.as_str(),
        sanitize(&name),
        if a.predicate_type.is_empty() { "no predicate type".to_string() } else { sanitize(&a.predicate_type) },
        sanitize(&verified.identity),
        sanitize(verified.issuer.as_deref().unwrap_or("?")),
        crate::output::log_index(verified.log_index)
    );
    Ok(commit)
}

/// One attestation's end: verified (with its predicate type), skipped (another type), or failed.
enum Ended {
    Good(gitsign_core::verify::Verified, String),
    Skipped(String),
    Failed(Failure),
}

fn bad(msg: impl Into<String>) -> Failure {
    Failure::Bad(Cause::Refused(msg.into()))
}

fn unchecked(msg: impl Into<String>) -> Failure {
    Failure::Unchecked(Cause::Refused(msg.into()))
}

/// A blob of the attestation tree, refused beyond [`MAX_BLOB`].
fn read_blob(e: &Entry) -> Result<Vec<u8>, Failure> {
    if e.kind != "blob" || !matches!(e.mode.as_str(), "100644" | "100755") {
        return Err(bad(format!(
            "{} is not a regular file (mode {} {}; a symbolic link or submodule is refused)",
            sanitize(&e.name),
            sanitize(&e.mode),
            sanitize(&e.kind)
        )));
    }
    let size = e.size.unwrap_or(u64::MAX);
    if size > MAX_BLOB {
        return Err(bad(format!("{} is {size} bytes, more than the {MAX_BLOB} read", sanitize(&e.name))));
    }
    git(&["cat-file", "blob", &e.oid], None).map_err(unchecked)
}

/// Checks the attestation `name` of `dir` (its `.sig`, `.sigstore.json` and predicate file).
fn check_one(
    dir: &[Entry],
    name: &str,
    kind: ObjectKind,
    object: &str,
    want_type: Option<&str>,
    trust: &gitsign_core::verify::TrustRoot,
    (policy, workflow): (&Policy, &gitsign_core::verify::WorkflowPolicy),
) -> Ended {
    let result = (|| -> Result<Ended, Failure> {
        let find = |file: &str| dir.iter().find(|e| e.name == file);
        let sig_name = format!("{name}{ENVELOPE_SUFFIX}");
        let envelope = read_blob(find(sig_name.as_str()).ok_or_else(|| bad("no envelope"))?)?;
        let checked = attest::check_envelope(&envelope, kind, object, None).map_err(|e| bad(e.to_string()))?;
        // Another type than --type asks for is skipped before its bundle is checked: a skipped
        // attestation never counts as verified, and junk of an unrelated type costs nothing.
        if let Some(want) = want_type
            && want != checked.predicate_type
        {
            return Ok(Ended::Skipped(checked.predicate_type));
        }
        let bundle_name = format!("{name}{BUNDLE_SUFFIX}");
        let bundle = read_blob(find(bundle_name.as_str()).ok_or_else(|| {
            bad(format!(
                "no {bundle_name}: the envelope has no certificate or log proof beside it (written by the Go \
                 gitsign, whose certificate is only in Rekor); verify-attestation checks gitsign's offline bundles"
            ))
        })?)?;
        let verified = gitsign_core::bundle::verify(
            trust,
            &bundle,
            &gitsign_protocol::sha256(&checked.pae),
            &gitsign_core::bundle::Signer::Certificate(policy),
        )
        .map_err(|e| bad(format!("the signature over the envelope does not verify: {e}")))?;
        attest::check_workflow(&bundle, workflow).map_err(|e| bad(format!("the signer's certificate: {e}")))?;
        // The bundle verified over these PAE bytes; its signature must be the envelope's.
        let bundle_sig = serde_json::from_slice::<serde_json::Value>(&bundle)
            .ok()
            .and_then(|b| b.pointer("/messageSignature/signature").and_then(|s| s.as_str()).map(str::to_string))
            .and_then(|s| gitsign_core::bundle::unb64_field(&s).ok());
        if bundle_sig.as_deref() != Some(checked.signature.as_slice()) {
            return Err(bad(format!("the envelope's signature is not the one {bundle_name} logged")));
        }
        if let Some(file) = find(name) {
            let raw = read_blob(file)?;
            attest::check_predicate_file(&raw, &checked.payload)
                .map_err(|e| bad(format!("the file {name} is not the signed predicate (it was changed): {e}")))?;
        }
        Ok(Ended::Good(verified, checked.predicate_type))
    })();
    result.unwrap_or_else(Ended::Failed)
}

/// `gitsign verify-attestation [REV] [--objtype commit|tree] [--type URI]` with the identity flags
/// of `gitsign verify`: every attestation of the object (HEAD's commit or tree by default) is
/// checked; exit 0 when all of them (of `--type`, when given) verify and there is at least one.
pub fn verify(a: VerifyAttestationArgs, env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let kind = ObjectKind::from(a.objtype);
    let setup = (|| -> Result<_, String> {
        let mut config = crate::load_config(env, Purpose::Verify, err).map_err(|e| e.to_string())?;
        if let Some(root) = &a.policy.trusted_root {
            config.trusted_root = Some(root.clone());
        }
        let policy = crate::history::required_policy(a.policy.policy(), &config, false)
            .map_err(|e| e.replacen("gitsign verify ", "gitsign verify-attestation ", 1))?;
        let mut trust = crate::trust::load_trust(&config).map_err(|e| e.to_string())?;
        if let Some(warning) = trust.apply_ignore_sct_flag(a.policy.insecure_ignore_sct) {
            let _ = writeln!(err, "{warning}");
        }
        let rev = a.revision.as_deref().unwrap_or("HEAD");
        if rev.starts_with('-') {
            return Err(format!("{rev:?} is not a revision"));
        }
        let object = resolve(&format!("{rev}^{{{}}}", kind.as_str()))?
            .ok_or_else(|| format!("{} names no {}", sanitize(rev), kind.as_str()))?;
        Ok((policy, trust, object))
    })();
    let (policy, trust, object) = match setup {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(err, "gitsign: verify-attestation: {e}");
            return EXIT_USAGE;
        }
    };
    let workflow = a.workflow.policy();
    let what = format!("{} {object}", kind.as_str());
    let ref_name = kind.ref_name();
    let dir = (|| -> Result<Vec<Entry>, Failure> {
        let commit = exact_ref_commit(ref_name)
            .map_err(bad)?
            .ok_or_else(|| bad(format!("no attestations: {ref_name} does not exist")))?;
        let top = ls_tree_capped(&commit, Some(&object), 1).map_err(bad)?;
        match top.iter().find(|e| e.name == object) {
            Some(e) if e.kind == "tree" => ls_tree_capped(&e.oid, None, MAX_ENTRIES).map_err(bad),
            _ => Err(bad(format!("no attestations of {what} under {ref_name}"))),
        }
    })();
    let dir = match dir {
        Ok(d) => d,
        Err(e) => {
            let _ = writeln!(err, "gitsign: {what}: {}", sanitize(&e.to_string()));
            return e.exit_code().max(1);
        }
    };
    let names: Vec<String> =
        dir.iter().filter_map(|e| e.name.strip_suffix(ENVELOPE_SUFFIX)).map(str::to_string).collect();
    if names.len() > MAX_ATTESTATIONS {
        let _ = writeln!(
            err,
            "gitsign: {what}: bad: {} attestations under {ref_name}, more than the {MAX_ATTESTATIONS} checked per \
             object: refused",
            names.len()
        );
        return 1;
    }
    let mut tally = Tally::default();
    let mut skipped = Vec::new();
    for name in &names {
        let shown = sanitize(name);
        match check_one(&dir, name, kind, &object, a.predicate_type.as_deref(), &trust, (&policy, &workflow)) {
            Ended::Good(v, ptype) => {
                tally.add(Verdict::Good);
                let _ = writeln!(
                    out,
                    "Verified OK: {what} {shown} (file name from the ref, not signed; signed predicate type {}): \
                     signed by {} ({}), log index {}",
                    if ptype.is_empty() { "none".to_string() } else { format!("{:?}", sanitize(&ptype)) },
                    sanitize(&v.identity),
                    sanitize(v.issuer.as_deref().unwrap_or("?")),
                    crate::output::log_index(v.log_index)
                );
            }
            Ended::Skipped(ptype) => skipped.push(format!("{shown} ({})", sanitize(&ptype))),
            Ended::Failed(f) => {
                tally.add(f.verdict());
                let _ =
                    writeln!(err, "gitsign: {what} {shown}: {}: {}", f.verdict().as_str(), sanitize(&f.to_string()));
            }
        }
    }
    if tally.total() == 0 {
        let _ = match (&a.predicate_type, skipped.is_empty()) {
            (Some(t), false) => writeln!(
                err,
                "gitsign: {what}: no attestation of predicate type {:?} (found: {})",
                sanitize(t),
                skipped.join(", ")
            ),
            _ => writeln!(err, "gitsign: {what}: no attestations under {ref_name}"),
        };
    }
    tally.exit_code(false)
}
