//! `gitsign verify` and `gitsign verify-tag`: verification of commits (one, a range, or
//! anything `git rev-list` takes) and tags from the repository, against an identity policy given
//! on the command line or in git config.

use crate::config::{Config, Env};
use crate::signature;
use crate::verify::{self, Matcher, Policy, TrustRoot};
use std::io::Write;
use std::process::Command;

/// Options of `gitsign verify`.
#[derive(Debug, Default)]
struct Options {
    offline: bool,
    identity: Option<Matcher>,
    issuer: Option<Matcher>,
    revs: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or_else(|| format!("{name} needs a value"));
        match name {
            "--certificate-identity" => o.identity = Some(Matcher::Exact(value()?)),
            "--certificate-identity-regexp" => {
                o.identity = Some(Matcher::regex(&value()?).map_err(|e| format!("{name}: {e}"))?)
            }
            "--certificate-oidc-issuer" => o.issuer = Some(Matcher::Exact(value()?)),
            "--certificate-oidc-issuer-regexp" => {
                o.issuer = Some(Matcher::regex(&value()?).map_err(|e| format!("{name}: {e}"))?)
            }
            "--offline" => o.offline = true,
            flag if flag.starts_with("--") && flag != "--all" => return Err(format!("unknown option {flag}")),
            rev => o.revs.push(rev.to_string()),
        }
    }
    Ok(o)
}

fn git(args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git").args(args).output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(out.stdout)
}

/// Splits a raw commit (gpgsig header) or tag (trailing signature) into (payload, signature).
pub fn split(object: &[u8], kind: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    let text = std::str::from_utf8(object).ok()?;
    if kind == "tag" {
        let at = text.find("-----BEGIN SIGNED MESSAGE-----")?;
        return Some((object[..at].to_vec(), object[at..].to_vec()));
    }
    let (headers, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let (mut payload, mut sig, mut in_sig) = (String::new(), String::new(), false);
    for line in headers.split('\n') {
        if let Some(rest) = line.strip_prefix("gpgsig ").or_else(|| line.strip_prefix("gpgsig-sha256 ")) {
            in_sig = true;
            sig.push_str(rest);
            sig.push('\n');
        } else if in_sig && line.starts_with(' ') {
            sig.push_str(&line[1..]);
            sig.push('\n');
        } else {
            in_sig = false;
            payload.push_str(line);
            payload.push('\n');
        }
    }
    if sig.is_empty() {
        return None;
    }
    payload.push('\n');
    payload.push_str(body);
    Some((payload.into_bytes(), sig.into_bytes()))
}

/// How to reach Rekor for online-mode signatures; `None` with `--offline`.
struct Online<'a> {
    http: crate::net::Http,
    rekor: &'a str,
}

fn check_object(
    trust: &TrustRoot,
    policy: &Policy,
    online: Option<&Online<'_>>,
    sha: &str,
    kind: &str,
) -> Result<verify::Verified, String> {
    let raw = git(&["cat-file", kind, sha])?;
    let (payload, sig) = split(&raw, kind).ok_or("not signed")?;
    let der = signature::dearmor(&sig).map_err(|e| e.to_string())?;
    let parsed = signature::parse(&der).map_err(|e| e.to_string())?;
    let evidence = match (&parsed.tlog_entry, online) {
        (Some(_), _) => verify::LogEvidence::Embedded,
        (None, None) => {
            return Err("the log entry is not embedded (Rekor online mode) and --offline forbids looking it up".into());
        }
        (None, Some(o)) => online_evidence(&o.http, o.rekor, &payload, &String::from_utf8_lossy(&sig), &parsed)?,
    };
    verify::verify_with(trust, &payload, &parsed, policy, &evidence).map_err(|e| e.to_string())
}

/// `gitsign verify [OPTIONS] [REV|RANGE...]` and `gitsign verify-tag [OPTIONS] TAG...`.
pub fn run(tags: bool, args: &[String], env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let result = (|| -> Result<i32, String> {
        let o = parse(args)?;
        let config = Config::resolve(&crate::config::read_git_config().map_err(|e| e.to_string())?, env)
            .map_err(|e| e.to_string())?;
        let trust = crate::sign::load_trust(&config).map_err(|e| e.to_string())?;
        let online = if o.offline {
            None
        } else {
            Some(Online {
                http: crate::net::Http::new(config.timeout).map_err(|e| e.to_string())?,
                rekor: &config.rekor,
            })
        };
        let policy = Policy { identity: o.identity, issuer: o.issuer };
        if policy.identity.is_none() && policy.issuer.is_none() {
            let _ = writeln!(
                err,
                "gitsign: note: no --certificate-identity or --certificate-oidc-issuer given, so WHO signed is not checked"
            );
        }
        let objects: Vec<(String, &str)> = if tags {
            if o.revs.is_empty() {
                return Err("verify-tag needs a tag name".into());
            }
            o.revs
                .iter()
                .map(|t| {
                    Ok((
                        String::from_utf8_lossy(&git(&["rev-parse", "--verify", &format!("refs/tags/{t}")])?)
                            .trim()
                            .to_string(),
                        "tag",
                    ))
                })
                .collect::<Result<_, String>>()?
        } else {
            let revs: Vec<&str> =
                if o.revs.is_empty() { vec!["HEAD"] } else { o.revs.iter().map(String::as_str).collect() };
            let walk = revs.iter().any(|r| r.contains("..") || *r == "--all" || r.starts_with('^'));
            let mut a = vec!["rev-list"];
            if !walk {
                a.push("--no-walk");
            }
            a.extend(revs);
            String::from_utf8_lossy(&git(&a)?).lines().map(|l| (l.to_string(), "commit")).collect()
        };
        let mut failed = 0;
        for (sha, kind) in &objects {
            match check_object(&trust, &policy, online.as_ref(), sha, kind) {
                Ok(v) => {
                    let _ = writeln!(
                        out,
                        "{sha} good  {} ({}) log index {} at {}",
                        v.identity,
                        v.issuer.as_deref().unwrap_or("?"),
                        v.log_index,
                        v.integrated_time
                    );
                }
                Err(e) => {
                    failed += 1;
                    let _ = writeln!(out, "{sha} BAD   {e}");
                }
            }
        }
        let _ = writeln!(
            err,
            "gitsign: {} of {} {kind}s verified",
            objects.len() - failed,
            objects.len(),
            kind = if tags { "tag" } else { "commit" }
        );
        Ok(if failed == 0 && !objects.is_empty() { 0 } else { 1 })
    })();
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "gitsign: {e}");
            2
        }
    }
}

/// The object ID (hex SHA-1) git will give the object made of `payload` and the armored
/// signature `armored`: for a commit, the payload with a `gpgsig` header added after the others;
/// for a tag, the payload followed by the signature. `None` if the payload is neither.
pub fn object_id(payload: &[u8], armored: &str) -> Option<String> {
    let (kind, object) = if payload.starts_with(b"tree ") {
        let text = std::str::from_utf8(payload).ok()?;
        let (headers, message) = text.split_once("\n\n")?;
        let value = armored.trim_end_matches('\n').replace('\n', "\n ");
        ("commit", format!("{headers}\ngpgsig {value}\n\n{message}").into_bytes())
    } else if payload.starts_with(b"object ") {
        ("tag", [payload, armored.as_bytes()].concat())
    } else {
        return None;
    };
    let mut data = format!("{kind} {}\0", object.len()).into_bytes();
    data.extend_from_slice(&object);
    Some(hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &data)))
}

/// Finds, in Rekor, the online-mode entry of a signature: a hashedrekord over the object ID,
/// naming the signature's certificate.
pub fn online_evidence(
    http: &crate::net::Http,
    rekor: &str,
    payload: &[u8],
    armored: &str,
    parsed: &signature::Parsed,
) -> Result<verify::LogEvidence, String> {
    let object_hex = object_id(payload, armored)
        .ok_or("the signed data is neither a commit nor a tag, so it has no object ID to look up")?;
    let digest = hex::encode(gitsign_protocol::sha256(object_hex.as_bytes()));
    let uuids = http.search_hash(rekor, &digest).map_err(|e| e.to_string())?;
    let cert_pem = gitsign_protocol::b64(gitsign_protocol::keys::pem_encode("CERTIFICATE", &parsed.signer_cert));
    for uuid in uuids.iter().take(20) {
        let entry = http.entry(rekor, uuid).map_err(|e| e.to_string())?;
        let Ok(body) = gitsign_protocol::unb64(&entry.body) else { continue };
        let Ok(rekord) = serde_json::from_slice::<gitsign_protocol::rekor::HashedRekord>(&body) else { continue };
        if rekord.spec.signature.public_key.content != cert_pem {
            continue;
        }
        let entry = crate::tlog::TransparencyLogEntry::from_rekor(&entry, &rekord.kind, &rekord.api_version)
            .map_err(|e| e.to_string())?;
        return Ok(verify::LogEvidence::Online { entry: Box::new(entry), body, object_hex });
    }
    Err(format!("no entry in {rekor} for object {object_hex} signed with this certificate"))
}
