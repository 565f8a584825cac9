//! `gitsign show [REV] [--remote NAME]`: a commit's or an annotated tag's signature as the Go
//! gitsign prints it — an in-toto statement (predicate type
//! `https://gitsign.sigstore.dev/predicate/git/v0.1` for commits, `.../tag/v0.1` for tags) whose
//! subject is the remote's URL with the object ID, and whose predicate holds the object's
//! fields, the signature and, per CMS signer, its signed attributes and certificate. Nothing is
//! verified: this shows what the object carries.
//!
//! Differences from the Go gitsign: in a SHA-256 repository the subject's digest is named
//! `sha256` (and the signature is the `gpgsig-sha256` header, the one git reads there); only a
//! `SIGNED MESSAGE` block is read for signer information (an SSH signature is shown without
//! it, where the Go gitsign fails).

use gitsign_core::gitobj::split_signed;
use gitsign_core::signature;
use serde_json::{Map, Value, json};
use std::io::Write;
use std::process::Command;

/// The statement type of every statement `show` prints.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of a commit's statement.
pub const COMMIT_PREDICATE: &str = "https://gitsign.sigstore.dev/predicate/git/v0.1";
/// The predicate type of a tag's statement.
pub const TAG_PREDICATE: &str = "https://gitsign.sigstore.dev/predicate/tag/v0.1";

/// Why `gitsign show` printed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ShowError {
    /// git failed or could not run.
    #[error("{0}")]
    Git(String),
    /// The revision names no commit.
    #[error("{rev:?} is not a commit or an annotated tag in this repository: {why}")]
    NotFound {
        /// What was asked.
        rev: String,
        /// What git said.
        why: String,
    },
    /// A tag name points straight at a commit.
    #[error("refs/tags/{0} is a lightweight tag (no tag object, nothing signed): show the commit it names instead")]
    Lightweight(String),
    /// The object's signature headers are ambiguous.
    #[error("{oid}: {why}")]
    Malformed {
        /// The object.
        oid: String,
        /// What is wrong.
        why: gitsign_core::gitobj::SplitError,
    },
    /// The `SIGNED MESSAGE` block is not a CMS signature.
    #[error("{oid}: the signature is not a readable CMS signature: {why}")]
    Signature {
        /// The object.
        oid: String,
        /// What is wrong.
        why: signature::SignatureError,
    },
}

fn git(args: &[&str]) -> Result<std::process::Output, ShowError> {
    Command::new("git").args(args).output().map_err(|e| ShowError::Git(format!("cannot run git: {e}")))
}

fn git_ok(args: &[&str]) -> Result<Vec<u8>, ShowError> {
    let out = git(args)?;
    if !out.status.success() {
        return Err(ShowError::Git(format!(
            "git {} failed: {}",
            args.join(" "),
            crate::ui::sanitize(String::from_utf8_lossy(&out.stderr).trim())
        )));
    }
    Ok(out.stdout)
}

fn trimmed(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// `gitsign show`: prints the statement on `out`; errors on `err`. Exit 0, or 1 with the reason.
pub fn run(args: crate::cli::ShowArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match statement(args.revision.as_deref().unwrap_or("HEAD"), &args.remote) {
        Ok(s) => {
            let text = serde_json::to_string_pretty(&s).unwrap_or_default();
            match writeln!(out, "{text}") {
                Ok(()) => 0,
                Err(e) => {
                    let _ = writeln!(err, "gitsign: cannot write the statement: {e}");
                    1
                }
            }
        }
        Err(e) => {
            let _ = writeln!(err, "gitsign: show: {}", crate::ui::sanitize(&e.to_string()));
            1
        }
    }
}

/// The statement for `revision` in the repository of the current directory: an annotated tag
/// when `refs/tags/REVISION` exists (a lightweight one is refused), else the commit it names.
pub fn statement(revision: &str, remote: &str) -> Result<Value, ShowError> {
    let sha256 = trimmed(git_ok(&["rev-parse", "--show-object-format"])?) == "sha256";
    let subject_name = remote_url(remote)?;
    let tag_ref = format!("refs/tags/{revision}");
    let tag = git(&["rev-parse", "--verify", "-q", &tag_ref])?;
    if tag.status.success() {
        let oid = trimmed(tag.stdout);
        if trimmed(git_ok(&["cat-file", "-t", &oid])?) != "tag" {
            return Err(ShowError::Lightweight(revision.to_string()));
        }
        let raw = git_ok(&["cat-file", "tag", &oid])?;
        return tag_statement(&raw, &oid, sha256, subject_name);
    }
    let commit = git(&["rev-parse", "--verify", "-q", "--end-of-options", &format!("{revision}^{{commit}}")])?;
    if !commit.status.success() {
        return Err(ShowError::NotFound {
            rev: revision.to_string(),
            why: trimmed(commit.stderr).chars().take(200).collect::<String>(),
        });
    }
    let oid = trimmed(commit.stdout);
    let raw = git_ok(&["cat-file", "commit", &oid])?;
    commit_statement(&raw, &oid, sha256, subject_name)
}

/// The first URL of `remote` (as the Go gitsign takes it: no `insteadOf` rewriting), `None` when
/// the remote has none.
fn remote_url(remote: &str) -> Result<Option<String>, ShowError> {
    let out = git(&["config", "--get-all", &format!("remote.{remote}.url")])?;
    // Exit 1: the key is not set.
    if out.status.code() == Some(1) {
        return Ok(None);
    }
    if !out.status.success() {
        return Err(ShowError::Git(format!(
            "cannot read remote.{remote}.url: {}",
            crate::ui::sanitize(String::from_utf8_lossy(&out.stderr).trim())
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().next().map(str::to_string).filter(|u| !u.is_empty()))
}

/// Splits an object into its header lines (without continuation lines, each without `\n`) and
/// its body (after the first empty line).
fn headers_and_body(raw: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let (head, body) = match raw.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&raw[..at], &raw[at + 2..]),
        None if raw.ends_with(b"\n") => (&raw[..raw.len() - 1], &raw[raw.len()..]),
        None => (raw, &raw[raw.len()..]),
    };
    let headers = head.split(|b| *b == b'\n').filter(|l| !l.starts_with(b" ")).collect();
    (headers, body)
}

fn header<'a>(headers: &[&'a [u8]], name: &str) -> Option<&'a [u8]> {
    let prefix = format!("{name} ");
    headers.iter().find_map(|h| h.strip_prefix(prefix.as_bytes()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An `author`/`committer`/`tagger` value as the Go gitsign reads it (go-git's signature
/// decoding): the name before the last `<`, the email up to the last `>`, the time in UTC.
fn person(value: &[u8]) -> Value {
    let mut out = Map::new();
    let (open, close) = (value.iter().rposition(|b| *b == b'<'), value.iter().rposition(|b| *b == b'>'));
    let mut when = time::OffsetDateTime::UNIX_EPOCH.replace_year(1).ok();
    if let (Some(open), Some(close)) = (open, close)
        && open < close
    {
        let name = text(&value[..open]).trim_matches(' ').to_string();
        let email = text(&value[open + 1..close]);
        if !name.is_empty() {
            out.insert("name".into(), Value::String(name));
        }
        if !email.is_empty() {
            out.insert("email".into(), Value::String(email));
        }
        let rest = text(value.get(close + 1..).unwrap_or_default());
        if let Some(secs) = rest.split_whitespace().next().and_then(|s| s.parse::<i64>().ok())
            && let Ok(t) = time::OffsetDateTime::from_unix_timestamp(secs)
        {
            when = Some(t);
        }
    }
    if let Some(t) = when {
        let date = t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        out.insert("date".into(), Value::String(date));
    }
    Value::Object(out)
}

/// The signer information of an armored signature: for a `SIGNED MESSAGE` block, each CMS
/// signer's signed attributes (base64 of their DER SET) and certificate (PEM); other formats
/// (OpenPGP, SSH) carry none that gitsign reads.
fn signer_info(armored: &str, oid: &str) -> Result<Option<Value>, ShowError> {
    let begin = format!("-----BEGIN {}-----", signature::PEM_LABEL);
    if !armored.trim_start().starts_with(&begin) {
        return Ok(None);
    }
    let parsed = signature::dearmor(armored.trim_start().as_bytes())
        .and_then(|der| signature::signer_infos(&der))
        .map_err(|why| ShowError::Signature { oid: oid.to_string(), why })?;
    if parsed.is_empty() {
        return Ok(None);
    }
    use base64::Engine as _;
    let infos = parsed
        .iter()
        .map(|(attrs, cert)| {
            json!({
                "attributes": base64::engine::general_purpose::STANDARD.encode(attrs),
                "certificate": gitsign_protocol::keys::pem_encode("CERTIFICATE", cert),
            })
        })
        .collect();
    Ok(Some(Value::Array(infos)))
}

fn insert_nonempty(map: &mut Map<String, Value>, key: &str, value: String) {
    if !value.is_empty() {
        map.insert(key.into(), Value::String(value));
    }
}

fn statement_of(
    predicate_type: &str,
    digest: Map<String, Value>,
    subject_name: Option<String>,
    predicate: Map<String, Value>,
) -> Value {
    let mut subject = Map::new();
    if let Some(name) = subject_name {
        subject.insert("name".into(), Value::String(name));
    }
    subject.insert("digest".into(), Value::Object(digest));
    json!({
        "type": STATEMENT_TYPE,
        "predicateType": predicate_type,
        "subject": [Value::Object(subject)],
        "predicate": Value::Object(predicate),
    })
}

/// The statement of a raw commit `oid`.
pub fn commit_statement(raw: &[u8], oid: &str, sha256: bool, subject_name: Option<String>) -> Result<Value, ShowError> {
    let armored = split_signed(raw, "commit", sha256)
        .map_err(|why| ShowError::Malformed { oid: oid.to_string(), why })?
        .map(|(_, sig)| text(&sig))
        .unwrap_or_default();
    let (headers, body) = headers_and_body(raw);
    let mut source = Map::new();
    insert_nonempty(&mut source, "tree", header(&headers, "tree").map(text).unwrap_or_default());
    let parents: Vec<Value> = headers
        .iter()
        .filter_map(|h| h.strip_prefix(b"parent "))
        .map(text)
        .filter(|p| p.chars().any(|c| c != '0'))
        .map(Value::String)
        .collect();
    if !parents.is_empty() {
        source.insert("parents".into(), Value::Array(parents));
    }
    source.insert("author".into(), person(header(&headers, "author").unwrap_or_default()));
    source.insert("committer".into(), person(header(&headers, "committer").unwrap_or_default()));
    insert_nonempty(&mut source, "message", text(body));
    let mut predicate = Map::new();
    predicate.insert("source".into(), Value::Object(source));
    if let Some(info) = signer_info(&armored, oid)? {
        predicate.insert("signer_info".into(), info);
    }
    insert_nonempty(&mut predicate, "signature", armored);
    let mut digest = Map::new();
    digest.insert(if sha256 { "sha256" } else { "sha1" }.into(), Value::String(oid.to_string()));
    Ok(statement_of(COMMIT_PREDICATE, digest, subject_name, predicate))
}

/// The statement of a raw tag object `oid`: the signature starts at the last line of the
/// message that starts a signature block, as git reads it.
pub fn tag_statement(raw: &[u8], oid: &str, sha256: bool, subject_name: Option<String>) -> Result<Value, ShowError> {
    let (headers, body) = headers_and_body(raw);
    let (message, armored) =
        match split_signed(body, "tag", sha256).map_err(|why| ShowError::Malformed { oid: oid.to_string(), why })? {
            Some((message, sig)) => (text(&message), text(&sig)),
            None => (text(body), String::new()),
        };
    let mut source = Map::new();
    insert_nonempty(&mut source, "object", header(&headers, "object").map(text).unwrap_or_default());
    insert_nonempty(&mut source, "object_type", header(&headers, "type").map(text).unwrap_or_default());
    insert_nonempty(&mut source, "tag", header(&headers, "tag").map(text).unwrap_or_default());
    source.insert("tagger".into(), person(header(&headers, "tagger").unwrap_or_default()));
    insert_nonempty(&mut source, "message", message);
    let mut predicate = Map::new();
    predicate.insert("source".into(), Value::Object(source));
    if let Some(info) = signer_info(&armored, oid)? {
        predicate.insert("signer_info".into(), info);
    }
    insert_nonempty(&mut predicate, "signature", armored);
    let mut digest = Map::new();
    digest.insert(if sha256 { "sha256" } else { "sha1" }.into(), Value::String(oid.to_string()));
    digest.insert("gitTag".into(), Value::String(oid.to_string()));
    Ok(statement_of(TAG_PREDICATE, digest, subject_name, predicate))
}
