//! Differential test against sigstore-python: single-point mutants of good bundles (the
//! conformance suite's `_pass` cases and a bundle signed against a devstack), each verified by
//! gitsign (`verify-blob`, in process) and by sigstore-python (its library, as `sigstore verify
//! identity --offline` does, many bundles per interpreter: tests/it/differential/verify_many.py).
//! A mutant gitsign accepts and sigstore-python refuses fails the test unless [`BENIGN`] names
//! why accepting it is harmless. Plus the regressions of issue 8 item 5, by name.
//!
//! And commit signatures: structure-aware mutants of the CMS signatures gitsign makes under real
//! git against a devstack (offline mode), judged by `git verify-commit` with gitsign and, converted
//! into hashedrekord bundles, by sigstore-python
//! ([`commit_signature_mutants_gitsign_accepts_sigstore_python_accepts_too`]).

mod cms;
use crate::common::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// At most this many mutants are verified (a deterministic, evenly spaced sample of all of them),
/// which keeps the test near half a minute on a loaded machine; `GITSIGN_DIFFERENTIAL_MUTANTS`
/// sets another bound (e.g. 100000 for all of them).
const MUTANTS: usize = 450;

/// Mutants gitsign may accept though sigstore-python refuses them: (case prefix, mutated JSON
/// path prefix, mutation or "*", why it is harmless).
const BENIGN: &[(&str, &str, &str, &str)] = &[
    (
        "happy-path-v0.1",
        ".verificationMaterial.tlogEntries[0].inclusionProof",
        "drop",
        "a v0.1 bundle needs no inclusion proof (protobuf-specs; sigstore-go agrees): the signed entry timestamp \
         covers the entry; sigstore-python's model requires the field for every version",
    ),
    (
        "trust-root-tlog-validity-end-inclusive",
        ".verificationMaterial.tlogEntries[0].inclusionProof",
        "drop",
        "a v0.1 bundle (as happy-path-v0.1)",
    ),
    (
        "devstack-sign-blob",
        ".verificationMaterial.tlogEntries[0].inclusionProof.hashes",
        "drop",
        "the devstack's one-entry tree has an empty proof: protobuf JSON omits an empty list, so dropping `[]` \
         changes nothing; sigstore-python's model requires the key",
    ),
];

/// Conformance `_pass` cases sigstore-python 4.5.1 itself refuses (newer than it), with its reason.
const PYTHON_REFUSES: &[(&str, &str)] = &[
    ("intoto-with-custom-trust-root", "Integrated time only supported for dsse/hashedrekord 0.0.1 types"),
    ("trust-root-tsa-validity-end-inclusive", "not enough sources of verified time"),
];

fn vectors() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors/sigstore-conformance/bundle-verify");
    if root.exists() {
        return Some(root);
    }
    skip::skip(&format!("{} is absent (CI provides ../shared beside the checkout)", root.display()));
    None
}

/// The Python interpreter beside sigstore-python's CLI (its library is importable there).
fn python() -> Option<PathBuf> {
    let python = sigstore_python_cli()?.parent()?.join("python");
    if python.exists() {
        return Some(python);
    }
    skip::skip(&format!("no python beside sigstore-python at {} (./test.sh installs it)", python.display()));
    None
}

/// One verification to run by both.
#[derive(Clone, Debug)]
struct Job {
    case: String,
    bundle: PathBuf,
    artifact: PathBuf,
    trusted_root: PathBuf,
    identity: String,
    issuer: String,
}

/// gitsign's verdict: `Ok(stdout)` or `Err(stderr)`.
fn gitsign(job: &Job) -> Result<String, String> {
    let args: Vec<String> = vec![
        "--bundle".into(),
        job.bundle.display().to_string(),
        "--certificate-identity".into(),
        job.identity.clone(),
        "--certificate-oidc-issuer".into(),
        job.issuer.clone(),
        "--trusted-root".into(),
        job.trusted_root.display().to_string(),
        job.artifact.display().to_string(),
    ];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = gitsign::blob::verify_blob(&args, &Default::default(), &mut out, &mut err);
    if code == 0 {
        Ok(String::from_utf8_lossy(&out).into_owned())
    } else {
        Err(String::from_utf8_lossy(&err).into_owned())
    }
}

/// sigstore-python's verdicts, one per job.
fn sigstore_python(python: &Path, jobs: &[Job]) -> Vec<Result<(), String>> {
    let input: Vec<Value> = jobs
        .iter()
        .map(|j| {
            json!({"bundle": j.bundle, "artifact": j.artifact, "trusted_root": j.trusted_root,
                   "identity": j.identity, "issuer": j.issuer})
        })
        .collect();
    let mut child = Command::new(python)
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/differential/verify_many.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(child.stdin.take().unwrap(), &input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "verify_many.py: {}", String::from_utf8_lossy(&out.stderr));
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(results.len(), jobs.len());
    results
        .iter()
        .map(|r| if r["ok"] == json!(true) { Ok(()) } else { Err(r["error"].as_str().unwrap_or_default().to_string()) })
        .collect()
}

/// A step of a JSON path.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn describe(path: &[Step]) -> String {
    path.iter()
        .map(|s| match s {
            Step::Key(k) => format!(".{k}"),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect()
}

fn paths(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                here.push(Step::Key(k.clone()));
                out.push(here.clone());
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                here.push(Step::Index(i));
                out.push(here.clone());
                paths(child, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => v.get_mut(k).unwrap(),
        Step::Index(i) => v.get_mut(*i).unwrap(),
    })
}

/// The mutations of one field: drop it, change one byte (of the decoded bytes when it is base64,
/// so the result is still base64), change its number, give it the wrong type.
fn mutate(bundle: &Value, path: &[Step]) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    let (parent, last) = path.split_at(path.len() - 1);
    let mut dropped = bundle.clone();
    match (&last[0], at(&mut dropped, parent)) {
        (Step::Key(k), Value::Object(m)) => {
            m.remove(k);
        }
        (Step::Index(i), Value::Array(a)) => {
            a.remove(*i);
        }
        _ => unreachable!(),
    }
    out.push(("drop", dropped));
    let mut value = bundle.clone();
    let field = at(&mut value, path).clone();
    let mut with = |name: &'static str, new: Value| {
        let mut m = bundle.clone();
        *at(&mut m, path) = new;
        out.push((name, m));
    };
    match &field {
        Value::String(s) => {
            if let Ok(n) = s.parse::<i64>() {
                with("number", Value::String((n + 1).to_string()));
            } else if let Some(mut bytes) = gitsign_protocol::unb64(s).ok().filter(|b| !b.is_empty()) {
                let mid = bytes.len() / 2;
                bytes[mid] ^= 0x01;
                with("byte", Value::String(gitsign_protocol::b64(&bytes)));
            } else if !s.is_empty() {
                let mut chars: Vec<char> = s.chars().collect();
                let mid = chars.len() / 2;
                chars[mid] = if chars[mid] == 'a' { 'b' } else { 'a' };
                with("byte", Value::String(chars.into_iter().collect()));
            }
            with("type", json!(7));
        }
        Value::Number(n) => {
            with("number", json!(n.as_i64().unwrap_or(0) + 1));
            with("type", json!(true));
        }
        Value::Bool(b) => with("type", json!(if *b { "true" } else { "false" })),
        Value::Object(_) => with("type", json!([])),
        Value::Array(_) => with("type", json!({})),
        Value::Null => with("type", json!(0)),
    }
    out
}

fn conformance_jobs(root: &Path) -> Vec<Job> {
    let public_good = root.join("../../../trust/public-good/trusted_root.json");
    let mut cases: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    cases.sort();
    cases
        .into_iter()
        .filter(|c| {
            let name = c.file_name().unwrap().to_string_lossy();
            // Managed-key bundles: `sigstore verify identity` has no key mode to compare with.
            !name.ends_with("_fail") && !c.join("key.pub").exists()
        })
        .map(|c| {
            let read = |n: &str| std::fs::read_to_string(c.join(n)).ok().map(|s| s.trim().to_string());
            Job {
                case: c.file_name().unwrap().to_string_lossy().into_owned(),
                bundle: c.join("bundle.sigstore.json"),
                artifact: if c.join("artifact").exists() { c.join("artifact") } else { root.join("a.txt") },
                trusted_root: if c.join("trusted_root.json").exists() {
                    c.join("trusted_root.json")
                } else {
                    public_good.clone()
                },
                identity: read("identity").unwrap_or(DEFAULT_IDENTITY.into()),
                issuer: read("issuer").unwrap_or(DEFAULT_ISSUER.into()),
            }
        })
        .collect()
}

/// A bundle `sign-blob` makes against the devstack.
fn devstack_job(stack: &Stack, dir: &Path) -> Job {
    let artifact = dir.join("devstack-artifact.txt");
    std::fs::write(&artifact, b"signed for the differential test\n").unwrap();
    let bundle = dir.join("devstack.sigstore.json");
    let urls = stack.running.urls();
    let out = Command::new(GITSIGN)
        .env("SIGSTORE_ID_TOKEN", stack.token("diff@example.com"))
        .env("GITSIGN_FULCIO_URL", &urls.fulcio)
        .env("GITSIGN_REKOR_URL", &urls.rekor)
        .arg("sign-blob")
        .arg("--bundle")
        .arg(&bundle)
        .arg("--trusted-root")
        .arg(stack.trusted_root())
        .arg(&artifact)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Job {
        case: "devstack-sign-blob".into(),
        bundle,
        artifact,
        trusted_root: stack.trusted_root(),
        identity: "diff@example.com".into(),
        issuer: urls.issuer.clone(),
    }
}

#[test]
fn mutants_gitsign_accepts_sigstore_python_accepts_too() {
    let (Some(root), Some(python)) = (vectors(), python()) else { return };
    let started = std::time::Instant::now();
    let stack = Stack::start();
    let work = tempfile::tempdir().unwrap();
    let mut originals = conformance_jobs(&root);
    let devstack = devstack_job(&stack, work.path());
    // The devstack's one-entry tree has an empty proof: `hashes` of another type is not "empty".
    let mut b: Value = serde_json::from_slice(&std::fs::read(&devstack.bundle).unwrap()).unwrap();
    b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"] = json!({});
    let typed = Job { bundle: work.path().join("hashes-type.json"), ..devstack.clone() };
    std::fs::write(&typed.bundle, serde_json::to_vec(&b).unwrap()).unwrap();
    let refused = gitsign(&typed).unwrap_err();
    assert!(refused.contains("inclusionProof.hashes is not a list of base64 hashes"), "{refused}");
    originals.push(devstack);

    // Only originals both verify are mutated, or the comparison means nothing. gitsign must
    // verify every one; sigstore-python 4.5.1 refuses the `_pass` cases in [`PYTHON_REFUSES`].
    let verdicts = sigstore_python(&python, &originals);
    let mut kept = Vec::new();
    for (job, py) in originals.into_iter().zip(verdicts) {
        assert!(gitsign(&job).is_ok(), "{}: gitsign refuses the original: {:?}", job.case, gitsign(&job));
        match py {
            Ok(()) => kept.push(job),
            Err(e) => {
                assert!(
                    PYTHON_REFUSES.iter().any(|(c, why)| *c == job.case && e.contains(why)),
                    "{}: sigstore-python refuses the original: {e}",
                    job.case
                );
                eprintln!("differential: left out {}: sigstore-python refuses the original: {e}", job.case);
            }
        }
    }
    let originals = kept;

    // Every single-point mutant, then an evenly spaced sample of them.
    let mut all = Vec::new();
    for job in &originals {
        let bundle: Value = serde_json::from_slice(&std::fs::read(&job.bundle).unwrap()).unwrap();
        let mut fields = Vec::new();
        paths(&bundle, &mut Vec::new(), &mut fields);
        for path in fields {
            for (kind, mutant) in mutate(&bundle, &path) {
                all.push((job, describe(&path), kind, mutant));
            }
        }
    }
    let bound = std::env::var("GITSIGN_DIFFERENTIAL_MUTANTS").ok().and_then(|n| n.parse().ok()).unwrap_or(MUTANTS);
    let stride = all.len().div_ceil(bound.max(1)).max(1);
    let mut jobs = Vec::new();
    let mut labels = Vec::new();
    for (n, (job, path, kind, mutant)) in all.iter().enumerate().filter(|(i, _)| i % stride == 0) {
        let file = work.path().join(format!("mutant-{n}.json"));
        std::fs::write(&file, serde_json::to_vec(mutant).unwrap()).unwrap();
        jobs.push(Job { bundle: file, ..(*job).clone() });
        labels.push((job.case.clone(), path.clone(), *kind));
    }
    let python_verdicts = sigstore_python(&python, &jobs);
    let (mut both_refuse, mut both_accept, mut only_python, mut benign) = (0, 0, Vec::new(), 0);
    let mut only_gitsign = Vec::new();
    for ((job, (case, path, kind)), py) in jobs.iter().zip(&labels).zip(&python_verdicts) {
        match (gitsign(job), py) {
            (Ok(_), Ok(())) => both_accept += 1,
            (Err(_), Err(_)) => both_refuse += 1,
            (Err(g), Ok(())) => only_python.push(format!("{case} {path} {kind}: gitsign: {}", g.trim())),
            (Ok(out), Err(e)) => {
                let why = BENIGN
                    .iter()
                    .find(|(c, p, k, _)| case.starts_with(c) && path.starts_with(p) && (*k == "*" || k == kind));
                match why {
                    Some(_) => benign += 1,
                    None => {
                        only_gitsign.push(format!("{case} {path} {kind}: gitsign: {} sigstore-python: {e}", out.trim()))
                    }
                }
            }
        }
    }
    eprintln!(
        "differential: {} mutants of {} sampled ({} bundles) in {:.1}s: {both_refuse} refused by both, {both_accept} \
         accepted by both, {benign} accepted by gitsign only for a named benign reason, {} refused by gitsign only, {} \
         accepted by gitsign only",
        jobs.len(),
        all.len(),
        originals.len(),
        started.elapsed().as_secs_f64(),
        only_python.len(),
        only_gitsign.len()
    );
    for m in &only_python {
        eprintln!("  stricter than sigstore-python: {m}");
    }
    assert!(only_gitsign.is_empty(), "accepted by gitsign, refused by sigstore-python:\n{}", only_gitsign.join("\n"));
}

/// The mutants of issue 8 item 5, by name: each is refused by sigstore-python, and by gitsign with
/// a reason that names the defect.
#[test]
fn values_reported_as_verified_are_proven_and_parsing_is_strict() {
    let (Some(root), Some(python)) = (vectors(), python()) else { return };
    let jobs = conformance_jobs(&root);
    let job = |case: &str| jobs.iter().find(|j| j.case == case).unwrap().clone();
    let load = |j: &Job| -> Value { serde_json::from_slice(&std::fs::read(&j.bundle).unwrap()).unwrap() };
    let work = tempfile::tempdir().unwrap();
    let mut mutants: Vec<(&str, Job, &str)> = Vec::new();
    let mut add = |name: &'static str, base: &Job, bundle: Value, reason: &'static str| {
        let file = work.path().join(format!("{name}.json"));
        std::fs::write(&file, serde_json::to_vec(&bundle).unwrap()).unwrap();
        mutants.push((name, Job { bundle: file, ..base.clone() }, reason));
    };
    /// The bundle with its first RFC 3161 token changed by `f`.
    fn with_token(mut b: Value, f: impl FnOnce(&mut Vec<u8>)) -> Value {
        let ts = &mut b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"];
        let text: String = ts.as_str().unwrap().chars().filter(|c| !c.is_whitespace()).collect();
        let mut der = gitsign_protocol::unb64(&text).unwrap();
        f(&mut der);
        *ts = json!(gitsign_protocol::b64(&der));
        b
    }
    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).position(|w| w == needle).expect("pattern in the token")
    }

    // (a) A Rekor v2 entry's own logIndex is covered by nothing: it must be the proven one.
    let v2 = job("rekor2-happy-path");
    let mut b = load(&v2);
    let proven: i64 =
        b["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["logIndex"].as_str().unwrap().parse().unwrap();
    let shown = gitsign(&v2).unwrap();
    assert!(shown.contains(&format!("log index {proven}\n")), "{shown}");
    b["verificationMaterial"]["tlogEntries"][0]["logIndex"] = json!((proven + 1000).to_string());
    add("v2-log-index", &v2, b, "is not the index");

    // (b) RFC 3161 tokens: valid DER only, the right outer tag, well-formed digestAlgorithms,
    // embedded certificates only the trusted authority's.
    add(
        "token-outer-tag",
        &v2,
        with_token(load(&v2), |d| d[0] = 0x31),
        "timestamp: the token's outer tag is SET, not SEQUENCE",
    );
    add("token-trailing-byte", &v2, with_token(load(&v2), |d| d.push(0)), "timestamp: not DER");
    let sha2_oid = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
    add(
        "token-digest-algorithms",
        &v2,
        with_token(load(&v2), |d| {
            // The first hash OID of the SignedData is its digestAlgorithms entry.
            let at = find(d, &sha2_oid) + sha2_oid.len();
            d[at] = 0x7f;
        }),
        "timestamp: hash algorithm 2.16.840.1.101.3.4.2.127 is not supported",
    );
    let embedded = job("rekor2-timestamp-with-embedded-cert");
    let tsa_root: Value = serde_json::from_slice(&std::fs::read(&embedded.trusted_root).unwrap()).unwrap();
    let tsa_leaf = gitsign_protocol::unb64(
        tsa_root["timestampAuthorities"][0]["certChain"]["certificates"][0]["rawBytes"].as_str().unwrap(),
    )
    .unwrap();
    add(
        "token-embedded-certificate",
        &embedded,
        with_token(load(&embedded), |d| {
            // One byte of the embedded certificate's signature: it still parses, but is not the
            // trusted authority's certificate any more.
            let end = find(d, &tsa_leaf) + tsa_leaf.len();
            d[end - 1] ^= 0x01;
        }),
        "timestamp: the token embeds a certificate that is not the trusted timestamp authority's",
    );

    // (c) messageDigest, when present, is complete and SHA2_256.
    let v3 = job("happy-path-v0.3");
    let mut b = load(&v3);
    b["messageSignature"]["messageDigest"].as_object_mut().unwrap().remove("algorithm");
    add("digest-algorithm-missing", &v3, b, "messageDigest.algorithm is missing");
    let mut b = load(&v3);
    b["messageSignature"]["messageDigest"]["algorithm"] = json!("SHA2_999");
    add("digest-algorithm-other", &v3, b, "messageDigest.algorithm is \"SHA2_999\"");
    let mut b = load(&v3);
    b["messageSignature"]["messageDigest"].as_object_mut().unwrap().remove("digest");
    add("digest-missing", &v3, b, "messageDigest.digest is missing");

    let jobs: Vec<Job> = mutants.iter().map(|(_, j, _)| j.clone()).collect();
    let python_verdicts = sigstore_python(&python, &jobs);
    let mut wrong = Vec::new();
    for ((name, job, reason), py) in mutants.iter().zip(&python_verdicts) {
        // sigstore-python never reports a v2 entry's index, so it does not compare it; gitsign
        // reports the index and so must refuse one nothing proves.
        if *name != "v2-log-index" {
            assert!(py.is_err(), "{name}: sigstore-python accepts it, so it is no defect");
        }
        match gitsign(job) {
            Ok(out) => wrong.push(format!("{name}: gitsign accepts it: {}", out.trim())),
            Err(e) if !e.contains(reason) => {
                wrong.push(format!("{name}: refused, but not because {reason:?}: {}", e.trim()))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The findings of the outside review, by name: each mutant is refused by gitsign with a reason
/// that names the defect; sigstore-python's verdict is checked too (it must refuse, except where
/// [`PYTHON_ACCEPTS`] says why it does not).
#[test]
fn review_findings_are_refused_with_reasons() {
    /// Mutants sigstore-python 4.5.1 accepts, and why gitsign refuses them all the same.
    const PYTHON_ACCEPTS: &[(&str, &str)] = &[
        (
            "promise-without-integrated-time",
            "sigstore-python uses a promise only with an integrated time and never reports a v2 entry's index; \
             gitsign reports the index, so a promise it cannot check is refused rather than skipped",
        ),
        ("promise-integrated-time-zero", "as promise-without-integrated-time"),
        (
            "duplicate-key",
            "Python's json module keeps the last of duplicate keys; gitsign refuses a bundle two readers could read \
             differently",
        ),
    ];
    let (Some(root), Some(python)) = (vectors(), python()) else { return };
    let jobs = conformance_jobs(&root);
    let job = |case: &str| jobs.iter().find(|j| j.case == case).unwrap().clone();
    let load = |j: &Job| -> Value { serde_json::from_slice(&std::fs::read(&j.bundle).unwrap()).unwrap() };
    let work = tempfile::tempdir().unwrap();
    let mut mutants: Vec<(&str, Job, &str)> = Vec::new();
    let mut add = |name: &'static str, base: &Job, bundle: Vec<u8>, reason: &'static str| {
        let file = work.path().join(format!("{name}.json"));
        std::fs::write(&file, bundle).unwrap();
        mutants.push((name, Job { bundle: file, ..base.clone() }, reason));
    };
    let bytes = |b: &Value| serde_json::to_vec(b).unwrap();

    // 1. A promise with no integrated time is refused, not skipped; without a checked promise the
    // reported index is the proof's, and an entry claiming another is refused.
    let v2 = job("rekor2-happy-path");
    for (name, time) in [("promise-without-integrated-time", None), ("promise-integrated-time-zero", Some("0"))] {
        let mut b = load(&v2);
        let e = &mut b["verificationMaterial"]["tlogEntries"][0];
        e["inclusionPromise"] = json!({"signedEntryTimestamp": "AAAA"});
        e["logIndex"] = json!("1735");
        if let Some(t) = time {
            e["integratedTime"] = json!(t);
        }
        add(name, &v2, bytes(&b), "has an inclusion promise but no integrated time");
    }

    // 4. Strict bundle parsing: one content, one kind of verification material, no duplicate
    // keys, `rawBytes` a string.
    let v3 = job("happy-path-v0.3");
    let dsse = load(&job("happy-path-intoto-in-dsse-v3"));
    let mut b = load(&v3);
    b["dsseEnvelope"] = dsse["dsseEnvelope"].clone();
    add("both-contents", &v3, bytes(&b), "both a messageSignature and a dsseEnvelope");
    let mut b = load(&v3);
    b["verificationMaterial"]["publicKey"] = json!({"hint": "c29tZSBrZXk="});
    add("certificate-and-key", &v3, bytes(&b), "more than one of certificate, x509CertificateChain and publicKey");
    let original = std::fs::read(&v3.bundle).unwrap();
    let text = String::from_utf8(original).unwrap();
    let open = text.find('{').unwrap() + 1;
    let dup = format!("{}\"mediaType\": \"application/x-other\",{}", &text[..open], &text[open..]);
    add("duplicate-key", &v3, dup.into_bytes(), "duplicate key \"mediaType\"");
    let mut b = load(&v3);
    b["verificationMaterial"]["certificate"]["rawBytes"] = json!(7);
    add("raw-bytes-number", &v3, bytes(&b), "certificate.rawBytes is not a string");

    let jobs: Vec<Job> = mutants.iter().map(|(_, j, _)| j.clone()).collect();
    let python_verdicts = sigstore_python(&python, &jobs);
    let mut wrong = Vec::new();
    for ((name, job, reason), py) in mutants.iter().zip(&python_verdicts) {
        match (py, PYTHON_ACCEPTS.iter().find(|(n, _)| n == name)) {
            (Ok(()), None) => wrong.push(format!("{name}: sigstore-python accepts it")),
            (Err(e), Some(_)) => {
                wrong.push(format!("{name}: sigstore-python refuses it now ({e}): update PYTHON_ACCEPTS"))
            }
            _ => {}
        }
        match gitsign(job) {
            Ok(out) => wrong.push(format!("{name}: gitsign accepts it: {}", out.trim())),
            Err(e) if !e.contains(reason) => {
                wrong.push(format!("{name}: refused, but not because {reason:?}: {}", e.trim()))
            }
            Err(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Mutants verified of each of the largest parts of the first commit's signature (the
/// certificate, the signer's issuer name, the outer structure): a seeded sample; every mutant of
/// the other parts (signed attributes, signature value, log entry, payload) is verified.
const LARGE_PART_MUTANTS: usize = 30;
/// Mutants verified of each further commit signature: a seeded sample of all of its mutants.
const FURTHER_COMMIT_MUTANTS: usize = 60;
/// The seed of every random choice of the commit-signature mutants.
const SEED: u64 = 0x6769_7473_6967_6e21;

/// Commit-signature mutants gitsign may accept though sigstore-python refuses them: (end of the
/// mutant's label, why accepting it is harmless).
const COMMIT_BENIGN: &[(&str, &str)] = &[
    // None: a log-entry attribute given twice and an entry carrying its own logged body, once
    // accepted by gitsign alone, are now refused (signature::single_value, verify_with).
];

/// xorshift64: deterministic choices from [`SEED`].
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// One commit-signature mutant: what was changed, the signed payload and the signature (DER).
#[derive(Clone)]
struct CommitMutant {
    label: String,
    region: String,
    payload: String,
    der: Vec<u8>,
}

/// The raw commit git stores for `payload` signed with `der`: the armored signature as the
/// `gpgsig` header, after the other headers.
fn signed_commit(payload: &str, der: &[u8]) -> String {
    let armored = gitsign_protocol::keys::pem_encode("SIGNED MESSAGE", der);
    let end = payload.find("\n\n").expect("a commit's headers end with an empty line");
    format!("{}\ngpgsig {}\n{}", &payload[..end], armored.trim_end().replace('\n', "\n "), &payload[end + 1..])
}

/// The mutants of one signature: every element of its DER dropped, doubled, re-tagged, and its
/// content changed (a bit flipped, a byte cut, a byte added; primitives) or extended (a NULL
/// added; constructed), with every enclosing length re-encoded; every field of the embedded log
/// entry (protobuf) dropped or changed; raw truncation and a trailing byte; and changes of the
/// commit's payload under the unchanged signature.
fn commit_mutants(commit: &str, payload: &str, der: &[u8], rng: &mut Rng) -> Vec<CommitMutant> {
    let [root] = cms::parse_all(der).unwrap().try_into().unwrap();
    assert_eq!(root.encode(), der, "{commit}: the DER tree re-encodes to the signature");
    let mut out = Vec::new();
    let push = |out: &mut Vec<CommitMutant>, region: String, label: String, tree: &cms::Tlv| {
        out.push(CommitMutant {
            label: format!("{commit} {label}"),
            region,
            payload: payload.into(),
            der: tree.encode(),
        })
    };
    let mut paths = Vec::new();
    root.paths(&mut Vec::new(), &mut paths);
    for path in &paths {
        let region = cms::region(&root, path);
        let node = root.at(path);
        let label = |kind: &str| format!("{region} {path:?} {kind}");
        if !path.is_empty() {
            push(&mut out, region.clone(), label("drop"), &root.without(path, false));
            push(&mut out, region.clone(), label("double"), &root.without(path, true));
        }
        let mut t = root.clone();
        t.at_mut(path).tag ^= 0x01;
        push(&mut out, region.clone(), label("tag"), &t);
        match &node.body {
            cms::Body::Prim(c) => {
                if !c.is_empty() {
                    let mut t = root.clone();
                    let (at, bit) = (rng.below(c.len()), rng.below(8));
                    t.at_mut(path).body = cms::Body::Prim({
                        let mut c = c.clone();
                        c[at] ^= 1 << bit;
                        c
                    });
                    push(&mut out, region.clone(), label(&format!("flip byte {at} bit {bit}")), &t);
                    let mut t = root.clone();
                    t.at_mut(path).body = cms::Body::Prim(c[..c.len() - 1].to_vec());
                    push(&mut out, region.clone(), label("cut a byte"), &t);
                }
                let mut t = root.clone();
                t.at_mut(path).body = cms::Body::Prim([c.as_slice(), &[rng.below(256) as u8][..]].concat());
                push(&mut out, region.clone(), label("add a byte"), &t);
            }
            cms::Body::Cons(children) => {
                let mut t = root.clone();
                let null = cms::Tlv { tag: 0x05, body: cms::Body::Prim(Vec::new()) };
                t.at_mut(path).body = cms::Body::Cons([children.as_slice(), std::slice::from_ref(&null)].concat());
                push(&mut out, region.clone(), label("add a NULL"), &t);
            }
        }
    }

    // The log entry, field by field.
    let attr = paths
        .iter()
        .find(|p| cms::region(&root, p) == "unsignedAttrs.logEntry" && root.at(p).tag == 0x04)
        .expect("the signature embeds a log entry (offline mode)");
    let entry = root.at(attr).content().unwrap().to_vec();
    let fields = cms::pb_parse(&entry, &mut Vec::new()).unwrap();
    assert_eq!(cms::pb_encode(&fields), entry, "{commit}: the log entry re-encodes");
    let mut with_entry = |label: String, fields: &[cms::Field]| {
        let mut t = root.clone();
        t.at_mut(attr).body = cms::Body::Prim(cms::pb_encode(fields));
        push(&mut out, "unsignedAttrs.logEntry".into(), format!("unsignedAttrs.logEntry.{label}"), &t);
    };
    let mut field_paths = Vec::new();
    cms::pb_paths(&fields, &mut Vec::new(), &mut field_paths);
    for path in &field_paths {
        let name = cms::pb_name(&fields, path);
        let mut changed = |kind: &str, f: &dyn Fn(&mut Vec<cms::Field>, usize)| {
            let mut m = fields.clone();
            let (list, i) = cms::pb_at(&mut m, path);
            f(list, i);
            with_entry(format!("{name} {kind}"), &m);
        };
        changed("drop", &|l, i| {
            l.remove(i);
        });
        match fields_at(&fields, path) {
            cms::Pb::Varint(_) => changed("+1", &|l, i| {
                if let cms::Pb::Varint(v) = &mut l[i].value {
                    *v = v.wrapping_add(1);
                }
            }),
            cms::Pb::Bytes(b) if !b.is_empty() => {
                let at = rng.below(b.len());
                changed(&format!("flip byte {at}"), &|l, i| {
                    if let cms::Pb::Bytes(b) = &mut l[i].value {
                        b[at] ^= 0x01;
                    }
                });
                changed("cut a byte", &|l, i| {
                    if let cms::Pb::Bytes(b) = &mut l[i].value {
                        b.pop();
                    }
                });
                changed("add a byte", &|l, i| {
                    if let cms::Pb::Bytes(b) = &mut l[i].value {
                        b.push(b'0');
                    }
                });
            }
            _ => {}
        }
    }
    let mut m = fields.clone();
    m.push(cms::Field { num: 7, value: cms::Pb::Bytes(b"{\"kind\":\"hashedrekord\"}".to_vec()) });
    with_entry("canonicalizedBody added".into(), &m);
    let mut m = fields.clone();
    m.push(cms::Field { num: 99, value: cms::Pb::Varint(1) });
    with_entry("unknown field added".into(), &m);
    let index = fields.iter().find(|f| f.num == 1).map_or(0, |f| if let cms::Pb::Varint(v) = f.value { v } else { 0 });
    let mut m = fields.clone();
    m.push(cms::Field { num: 1, value: cms::Pb::Varint(index + 1) });
    with_entry("logIndex repeated with another value".into(), &m);

    // Raw bytes.
    let raw = |label: &str, der: Vec<u8>| CommitMutant {
        label: format!("{commit} structure {label}"),
        region: "structure".into(),
        payload: payload.into(),
        der,
    };
    out.push(raw("cut the last byte", der[..der.len() - 1].to_vec()));
    out.push(raw("a trailing byte", [der, &[0u8][..]].concat()));
    out.push(raw("cut in half", der[..der.len() / 2].to_vec()));

    // The payload, under the unchanged signature.
    let (headers, message) = payload.split_once("\n\n").unwrap();
    let mut changed_payload = |label: &str, p: String| {
        assert_ne!(p, payload);
        out.push(CommitMutant {
            label: format!("{commit} payload {label}"),
            region: "payload".into(),
            payload: p,
            der: der.into(),
        });
    };
    let at = rng.below(message.len() - 1);
    let mut flipped = message.as_bytes().to_vec();
    flipped[at] = if flipped[at] == b'x' { b'y' } else { b'x' };
    changed_payload(&format!("message byte {at}"), format!("{headers}\n\n{}", String::from_utf8(flipped).unwrap()));
    changed_payload("message extended", format!("{payload}more\n"));
    changed_payload("message cut", payload[..payload.len() - 1].into());
    changed_payload("author", payload.replacen("author Ann", "author Anna", 1));
    changed_payload("committer", payload.replacen("committer Ann", "committer Bob", 1));
    changed_payload("extra header", payload.replacen("\ncommitter ", "\nencoding UTF-8\ncommitter ", 1));
    if headers.contains("\nparent ") {
        let parentless: Vec<&str> = headers.lines().filter(|l| !l.starts_with("parent ")).collect();
        changed_payload("parent dropped", format!("{}\n\n{message}", parentless.join("\n")));
    }

    // A seeded sample of the largest parts' (whose elements are mostly alike).
    let (large, mut out): (Vec<CommitMutant>, Vec<CommitMutant>) =
        out.into_iter().partition(|m| ["certificate", "signer.sid", "structure"].contains(&m.region.as_str()));
    for region in ["certificate", "signer.sid", "structure"] {
        out.extend(sample(large.iter().filter(|m| m.region == region).collect(), LARGE_PART_MUTANTS, rng));
    }
    out
}

/// A seeded sample of at most `n` of `all`, in their order.
fn sample<T: Clone>(mut all: Vec<&T>, n: usize, rng: &mut Rng) -> Vec<T> {
    while all.len() > n {
        all.remove(rng.below(all.len()));
    }
    all.into_iter().cloned().collect()
}

fn fields_at(fields: &[cms::Field], path: &[usize]) -> cms::Pb {
    let mut m = fields.to_vec();
    let (list, i) = cms::pb_at(&mut m, path);
    list[i].value.clone()
}

/// The hashedrekord bundle sigstore-python judges for a commit signature: the signer's
/// certificate, the log entry rebuilt from attribute 1.3.6.1.4.1.57264.3.1 (with the body gitsign
/// logs: SHA-256 of the signed attributes, the signature, the certificate in PEM), and a message
/// signature over the artifact, the DER signed attributes as a SET.
fn commit_bundle(parts: &cms::Parts) -> Result<Value, String> {
    let b64 = |b: &[u8]| gitsign_protocol::b64(b);
    let digest = gitsign_protocol::sha256(&parts.signed_attrs);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let pem = gitsign_protocol::keys::pem_encode("CERTIFICATE", &parts.cert);
    // RFC 8785: keys sorted, no spaces (no value here needs escaping beyond what serde does).
    let body = format!(
        "{{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{{\"data\":{{\"hash\":{{\"algorithm\":\
         \"sha256\",\"value\":\"{hex}\"}}}},\"signature\":{{\"content\":\"{}\",\"publicKey\":{{\"content\":\"{}\"}}}}}}}}",
        b64(&parts.signature),
        b64(pem.as_bytes())
    );
    Ok(json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": b64(&parts.cert)},
            "tlogEntries": [cms::entry_json(&parts.tlog_entry, body.as_bytes())?],
        },
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&digest)},
            "signature": b64(&parts.signature),
        },
    }))
}

/// Commit signatures made by gitsign under git against a devstack, mutated at every element of
/// their structure (certificate, signed attributes with messageDigest and signingTime, the log
/// entry attribute, the signature value) and in their payload, each judged by `git
/// verify-commit` (gitsign as gpg.x509.program) and, converted into a hashedrekord bundle, by
/// sigstore-python. gitsign may accept only what sigstore-python accepts, and only when the
/// signed messageDigest is the payload's (which the bundle cannot show sigstore-python).
#[test]
fn commit_signature_mutants_gitsign_accepts_sigstore_python_accepts_too() {
    let Some(python) = python() else { return };
    let started = std::time::Instant::now();
    let stack = Stack::start();
    let email = "diff@example.com";
    let repo = Repo::new(&stack, email);
    let mut commits = Vec::new();
    for (n, message) in ["first", "second, with a body\n\nover two paragraphs", "third"].iter().enumerate() {
        repo.stage(&format!("f{n}.txt"), &format!("{n}\n"));
        repo.ok(&["commit", "-S", "-q", "-m", message]);
        let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
        let (payload, sig) = split_commit(&raw);
        let text: String = sig.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = gitsign_protocol::unb64(&text).unwrap();
        assert_eq!(
            signed_commit(&payload, &der),
            raw,
            "the commit is rebuilt byte for byte from payload and signature"
        );
        commits.push((format!("commit{n}"), payload, der));
    }
    let mut rng = Rng(SEED);
    let mut mutants: Vec<CommitMutant> = commits
        .iter()
        .map(|(name, payload, der)| CommitMutant {
            label: format!("{name} original"),
            region: "original".into(),
            payload: payload.clone(),
            der: der.clone(),
        })
        .collect();
    for (n, (name, payload, der)) in commits.iter().enumerate() {
        let all = commit_mutants(name, payload, der, &mut rng);
        let bound = if n == 0 { all.len() } else { FURTHER_COMMIT_MUTANTS };
        mutants.extend(sample(all.iter().collect(), bound, &mut rng));
    }

    let signed = started.elapsed().as_secs_f64();
    // gitsign's verdicts: every commit written in one `git hash-object`, verified two at a time.
    let work = tempfile::tempdir().unwrap();
    let mut list = String::new();
    for (i, m) in mutants.iter().enumerate() {
        let file = work.path().join(format!("commit-{i}"));
        std::fs::write(&file, signed_commit(&m.payload, &m.der)).unwrap();
        list.push_str(&format!("{}\n", file.display()));
    }
    let mut hash = repo
        .command("git")
        .args(["hash-object", "-t", "commit", "-w", "--literally", "--stdin-paths"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut hash.stdin.take().unwrap(), list.as_bytes()).unwrap();
    let out = hash.wait_with_output().unwrap();
    assert!(out.status.success());
    let shas: Vec<String> = String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect();
    assert_eq!(shas.len(), mutants.len());
    let verdict = |sha: &String| -> Result<(), String> {
        let out = repo.git(&["verify-commit", sha]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{sha}: {stderr}");
        if out.status.success() { Ok(()) } else { Err(stderr) }
    };
    let half = shas.len() / 2;
    let gitsign_verdicts: Vec<Result<(), String>> = std::thread::scope(|s| {
        let first = s.spawn(|| shas[..half].iter().map(verdict).collect::<Vec<_>>());
        let second: Vec<_> = shas[half..].iter().map(verdict).collect();
        [first.join().unwrap(), second].concat()
    });

    let judged = started.elapsed().as_secs_f64();
    // sigstore-python's, on each signature converted into a bundle (a signature that cannot be
    // converted is one it cannot accept).
    let issuer = stack.running.urls().issuer.clone();
    let mut jobs = Vec::new();
    let mut python_verdicts: Vec<Option<Result<(), String>>> = Vec::new();
    let mut digests_match = Vec::new();
    for (i, m) in mutants.iter().enumerate() {
        let parts = cms::parts(&m.der);
        digests_match
            .push(cms::message_digest(&m.der) == Some(gitsign_protocol::sha256(m.payload.as_bytes()).to_vec()));
        match parts.and_then(|p| Ok((commit_bundle(&p)?, p))) {
            Ok((bundle, parts)) => {
                let job = Job {
                    case: m.label.clone(),
                    bundle: work.path().join(format!("bundle-{i}.json")),
                    artifact: work.path().join(format!("attrs-{i}.der")),
                    trusted_root: stack.trusted_root(),
                    identity: email.into(),
                    issuer: issuer.clone(),
                };
                std::fs::write(&job.bundle, serde_json::to_vec(&bundle).unwrap()).unwrap();
                std::fs::write(&job.artifact, &parts.signed_attrs).unwrap();
                jobs.push(job);
                python_verdicts.push(None);
            }
            Err(e) => python_verdicts.push(Some(Err(format!("not convertible into a bundle: {e}")))),
        }
    }
    let mut from_python = sigstore_python(&python, &jobs).into_iter();
    let python_verdicts: Vec<Result<(), String>> =
        python_verdicts.into_iter().map(|v| v.unwrap_or_else(|| from_python.next().unwrap())).collect();

    // The originals: both accept them, or the comparison means nothing.
    for (i, (name, _, _)) in commits.iter().enumerate() {
        assert!(gitsign_verdicts[i].is_ok(), "{name}: gitsign refuses the original: {:?}", gitsign_verdicts[i]);
        assert!(python_verdicts[i].is_ok(), "{name}: sigstore-python refuses the original: {:?}", python_verdicts[i]);
        assert!(digests_match[i], "{name}: the original's messageDigest is not its payload's");
    }

    let mut wrong = Vec::new();
    let mut split: std::collections::BTreeMap<&str, [usize; 6]> = Default::default();
    for (i, m) in mutants.iter().enumerate().skip(commits.len()) {
        let (g, py) = (&gitsign_verdicts[i], &python_verdicts[i]);
        let row = split.entry(m.region.as_str()).or_default();
        row[0] += 1;
        match (g, py) {
            (Ok(()), Ok(())) => row[1] += 1,
            (Err(_), Err(_)) => row[2] += 1,
            (Err(_), Ok(())) => row[3] += 1,
            (Ok(()), Err(_)) if COMMIT_BENIGN.iter().any(|(end, _)| m.label.ends_with(end)) => row[5] += 1,
            (Ok(()), Err(e)) => {
                row[4] += 1;
                wrong.push(format!("{}: gitsign accepts it, sigstore-python refuses it: {e}", m.label));
            }
        }
        if g.is_ok() && !digests_match[i] {
            wrong.push(format!("{}: gitsign accepts it though its messageDigest is not the payload's", m.label));
        }
        if m.region == "payload" {
            let refused = g.as_ref().err().map(String::as_str).unwrap_or_default();
            if !refused.contains("the signed data was changed") {
                wrong.push(format!("{}: not refused as a changed payload: {refused}", m.label));
            }
        }
    }
    eprintln!(
        "differential (commit signatures): {} mutants of {} signatures in {:.1}s (signed by {signed:.1}s, gitsign \
         done by {judged:.1}s) \
         (mutants / accepted by both / refused by both / refused by gitsign only / accepted by gitsign only / \
         accepted by gitsign only for a named benign reason):",
        mutants.len() - commits.len(),
        commits.len(),
        started.elapsed().as_secs_f64()
    );
    for (region, [n, both_ok, both_no, only_python, only_gitsign, benign]) in &split {
        eprintln!("  {region:<28} {n:>4} {both_ok:>4} {both_no:>4} {only_python:>4} {only_gitsign:>4} {benign:>4}");
    }
    for (i, m) in mutants.iter().enumerate().skip(commits.len()) {
        if let (Ok(()), py) = (&gitsign_verdicts[i], &python_verdicts[i]) {
            let by = if py.is_ok() { "both" } else { "gitsign only, benign" };
            eprintln!("  accepted by {by}: {}", m.label);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
