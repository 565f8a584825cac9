//! `gitsign attest` and `gitsign verify-attestation` under real git against the devstack: the Go
//! gitsign's ref layout and envelope, appending, verification with its failures (identity,
//! tampering, a subject moved to another commit, the predicate type), and the DSSE signature
//! checked by OpenSSL and the bundle by sigstore-python.

use crate::common::*;
use gitsign_protocol::{b64, unb64};
use serde_json::Value;
use std::process::{Command, Output};

const IN_TOTO: &str = "application/vnd.in-toto+json";
const PTYPE: &str = "https://example.com/predicate/v1";

fn gitsign(repo: &Repo, args: &[&str]) -> Output {
    repo.command(GITSIGN).args(args).output().unwrap()
}

fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn issuer(repo: &Repo) -> String {
    repo.env.iter().find(|(k, _)| k == "GITSIGN_OIDC_ISSUER").map(|(_, v)| v.clone()).unwrap()
}

/// `gitsign verify-attestation ARGS` for `identity` and the devstack's issuer.
fn verify(repo: &Repo, identity: &str, args: &[&str]) -> Output {
    let issuer = issuer(repo);
    let mut all = vec!["verify-attestation", "--certificate-identity", identity, "--certificate-oidc-issuer", &issuer];
    all.extend_from_slice(args);
    gitsign(repo, &all)
}

/// A repository with one commit and a predicate file `pred.json` (untracked) for ann.
fn setup(stack: &Stack) -> Repo {
    let repo = Repo::new(stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-q", "-m", "first"]);
    std::fs::write(repo.path().join("pred.json"), "{\"foo\": \"bar\",\n \"n\": [1, 2]}\n").unwrap();
    repo
}

fn attest(repo: &Repo, args: &[&str]) -> String {
    let mut all = vec!["attest"];
    all.extend_from_slice(args);
    let out = gitsign(repo, &all);
    assert!(out.status.success(), "gitsign {all:?}: {}", said(&out));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn envelope(repo: &Repo, spec: &str) -> Value {
    serde_json::from_str(&repo.ok(&["cat-file", "blob", spec])).unwrap()
}

fn statement(env: &Value) -> Value {
    serde_json::from_slice(&unb64(env["payload"].as_str().unwrap()).unwrap()).unwrap()
}

/// Rewrites the attestation ref `ref_name`: `files` (path, contents) written over its tree, in a
/// new commit on top, as an attacker with write access to the ref could.
fn rewrite(repo: &Repo, ref_name: &str, files: &[(&str, &[u8])]) {
    let index = repo.path().join(".git/attacker-index");
    let git = |args: &[&str], input: Option<&[u8]>| -> String {
        use std::io::Write as _;
        let mut c = repo.command("git");
        c.env("GIT_INDEX_FILE", &index).args(args).stdout(std::process::Stdio::piped());
        if input.is_some() {
            c.stdin(std::process::Stdio::piped());
        }
        let mut child = c.spawn().unwrap();
        if let Some(bytes) = input {
            child.stdin.take().unwrap().write_all(bytes).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    git(&["read-tree", ref_name], None);
    for (path, bytes) in files {
        let oid = git(&["hash-object", "-w", "--stdin"], Some(bytes));
        git(&["update-index", "--add", "--cacheinfo", &format!("100644,{oid},{path}")], None);
    }
    let tree = git(&["write-tree"], None);
    let commit = git(&["commit-tree", &tree, "-p", ref_name, "-m", "attacker"], None);
    git(&["update-ref", ref_name, &commit], None);
    let _ = std::fs::remove_file(&index);
}

#[test]
fn attest_writes_the_go_layout_appends_and_verifies() {
    let stack = Stack::start();
    let repo = setup(&stack);
    std::fs::write(repo.path().join("a.txt"), "dirty\n").unwrap();
    std::fs::write(repo.path().join("sbom.json"), "{\"spdx\": true}").unwrap();
    let before = repo.snapshot();
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let tree = repo.ok(&["rev-parse", "HEAD^{tree}"]).trim().to_string();

    // A commit attestation: the Go gitsign's ref, directory, file names and message.
    let first = attest(&repo, &["-f", "pred.json", "--type", PTYPE]);
    assert_eq!(repo.ok(&["rev-parse", "refs/attestations/commits"]).trim(), first);
    let files = repo.ok(&["ls-tree", "-r", "--name-only", "refs/attestations/commits"]);
    assert_eq!(files, format!("{head}/pred.json\n{head}/pred.json.sig\n{head}/pred.json.sigstore.json\n"));
    assert_eq!(repo.ok(&["log", "-1", "--format=%s%n%P", &first]), "Gitsign attest pred.json\n\n");
    assert_eq!(
        repo.ok(&["cat-file", "blob", &format!("{first}:{head}/pred.json")]),
        std::fs::read_to_string(repo.path().join("pred.json")).unwrap(),
        "the predicate file is stored verbatim"
    );
    let env = envelope(&repo, &format!("{first}:{head}/pred.json.sig"));
    assert_eq!(env["payloadType"], IN_TOTO);
    assert_eq!(env["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(env["signatures"][0]["keyid"], "");
    let st = statement(&env);
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(st["subject"], serde_json::json!([{"digest": {"gitCommit": head}}]));
    assert_eq!(st["predicateType"], PTYPE);
    assert_eq!(st["predicate"], serde_json::json!({"foo": "bar", "n": [1, 2]}));

    // A second one keeps the first (same blobs, parent commit); no --type: no predicateType.
    let second = attest(&repo, &["-f", "sbom.json"]);
    assert_eq!(repo.ok(&["log", "-1", "--format=%P", &second]).trim(), first);
    let files = repo.ok(&["ls-tree", "-r", "--name-only", "refs/attestations/commits"]);
    assert_eq!(files.lines().count(), 6, "{files}");
    for f in ["pred.json", "pred.json.sig", "pred.json.sigstore.json"] {
        assert_eq!(
            repo.ok(&["rev-parse", &format!("{first}:{head}/{f}")]),
            repo.ok(&["rev-parse", &format!("{second}:{head}/{f}")]),
            "{f} is kept"
        );
    }
    let st2 = statement(&envelope(&repo, &format!("{second}:{head}/sbom.json.sig")));
    assert!(st2.get("predicateType").is_none(), "{st2}");

    // A tree attestation.
    let t = attest(&repo, &["--objtype", "tree", "-f", "pred.json"]);
    let files = repo.ok(&["ls-tree", "-r", "--name-only", "refs/attestations/trees"]);
    assert_eq!(files, format!("{tree}/pred.json\n{tree}/pred.json.sig\n{tree}/pred.json.sigstore.json\n"));
    let st = statement(&envelope(&repo, &format!("{t}:{tree}/pred.json.sig")));
    assert_eq!(st["subject"], serde_json::json!([{"digest": {"gitTree": tree}}]));

    // The user's working tree, index and HEAD are untouched.
    assert_eq!(repo.snapshot(), before);

    // Verification: both commit attestations, the tree one, by type.
    let out = verify(&repo, "ann@example.com", &[]);
    assert!(out.status.success(), "{}", said(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.matches("Verified OK: commit ").count(), 2, "{stdout}");
    assert!(stdout.contains("signed by ann@example.com"), "{stdout}");
    let out = verify(&repo, "ann@example.com", &["--objtype", "tree", "HEAD"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("Verified OK: tree {tree} pred.json")));
    let out = verify(&repo, "ann@example.com", &["--type", PTYPE, &head]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).matches("Verified OK").count(), 1);

    // A wrong identity, a wrong type, no identity at all, no attestations.
    let out = verify(&repo, "bob@example.com", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("bad: the signature over the envelope does not verify"), "{}", said(&out));
    assert!(said(&out).contains("bob@example.com"), "{}", said(&out));
    let out = verify(&repo, "ann@example.com", &["--type", "https://example.com/other"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("no attestation of predicate type \"https://example.com/other\" (found: pred.json"),
        "{}",
        said(&out)
    );
    let out = gitsign(&repo, &["verify-attestation"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("gitsign verify-attestation checks WHO signed"), "{}", said(&out));
    repo.stage("b.txt", "two\n");
    repo.ok(&["commit", "-q", "-m", "second"]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("no attestations of commit"), "{}", said(&out));
}

#[test]
fn tampered_or_moved_attestations_fail() {
    let stack = Stack::start();
    let repo = setup(&stack);
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    attest(&repo, &["-f", "pred.json", "--type", PTYPE]);
    let r = "refs/attestations/commits";
    let good = repo.ok(&["rev-parse", r]).trim().to_string();
    assert!(verify(&repo, "ann@example.com", &[]).status.success());
    let sig_path = format!("{head}/pred.json.sig");
    let env = envelope(&repo, &format!("{good}:{sig_path}"));

    // A changed statement in the envelope (the signature kept).
    let mut st = statement(&env);
    st["predicate"]["foo"] = "baz".into();
    let mut forged = env.clone();
    forged["payload"] = b64(serde_json::to_vec(&st).unwrap()).into();
    rewrite(&repo, r, &[(&sig_path, &serde_json::to_vec(&forged).unwrap())]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("bad: the signature over the envelope does not verify"), "{}", said(&out));

    // The predicate file beside the envelope changed.
    repo.ok(&["update-ref", r, &good]);
    rewrite(&repo, r, &[(&format!("{head}/pred.json"), b"{\"foo\": \"evil\"}")]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("the file pred.json is not the signed predicate"), "{}", said(&out));

    // The whole directory copied under another commit: its statement names the first one.
    repo.ok(&["update-ref", r, &good]);
    repo.stage("b.txt", "two\n");
    repo.ok(&["commit", "-q", "-m", "second"]);
    let other = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let copies: Vec<(String, Vec<u8>)> = ["pred.json", "pred.json.sig", "pred.json.sigstore.json"]
        .iter()
        .map(|f| {
            (
                format!("{other}/{f}"),
                repo.command("git").args(["cat-file", "blob", &format!("{good}:{head}/{f}")]).output().unwrap().stdout,
            )
        })
        .collect();
    let files: Vec<(&str, &[u8])> = copies.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
    rewrite(&repo, r, &files);
    let out = verify(&repo, "ann@example.com", &[&other]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains(&format!(
            "the statement's subject is gitCommit:{head}, but the attestation is for commit gitCommit:{other}"
        )),
        "{}",
        said(&out)
    );
    // The original is still good.
    assert!(verify(&repo, "ann@example.com", &[&head]).status.success());

    // A payload type other than in-toto.
    repo.ok(&["update-ref", r, &good]);
    let mut typed = env.clone();
    typed["payloadType"] = "text/plain".into();
    rewrite(&repo, r, &[(&sig_path, &serde_json::to_vec(&typed).unwrap())]);
    let out = verify(&repo, "ann@example.com", &[&head]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("payloadType is \"text/plain\""), "{}", said(&out));
}

#[test]
fn openssl_and_sigstore_python_check_the_dsse_signature() {
    let openssl = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    if !openssl {
        return skip::skip("openssl is not installed (./test.sh installs it)");
    }
    let stack = Stack::start();
    let repo = setup(&stack);
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let commit = attest(&repo, &["-f", "pred.json", "--type", PTYPE]);
    let env = envelope(&repo, &format!("{commit}:{head}/pred.json.sig"));
    let bundle: Value = envelope(&repo, &format!("{commit}:{head}/pred.json.sigstore.json"));
    let payload = unb64(env["payload"].as_str().unwrap()).unwrap();
    let ptype = env["payloadType"].as_str().unwrap();
    let pae = [format!("DSSEv1 {} {ptype} {} ", ptype.len(), payload.len()).as_bytes(), &payload].concat();

    let work = tempfile::tempdir().unwrap();
    let w = |name: &str, bytes: &[u8]| {
        let p = work.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let cert =
        w("cert.der", &unb64(bundle["verificationMaterial"]["certificate"]["rawBytes"].as_str().unwrap()).unwrap());
    let sig = w("sig.der", &unb64(env["signatures"][0]["sig"].as_str().unwrap()).unwrap());
    let pae_path = w("pae.bin", &pae);
    let out = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-pubkey", "-noout", "-in"])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(out.status.success());
    let key = w("key.pem", &out.stdout);
    let dgst = |data: &std::path::Path| {
        Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(&key)
            .arg("-signature")
            .arg(&sig)
            .arg(data)
            .output()
            .unwrap()
    };
    let out = dgst(&pae_path);
    assert!(out.status.success() && said(&out).contains("Verified OK"), "openssl: {}", said(&out));
    let mut changed = pae.clone();
    *changed.last_mut().unwrap() ^= 1;
    let out = dgst(&w("changed.bin", &changed));
    assert!(!out.status.success() && said(&out).contains("Verification failure"), "openssl: {}", said(&out));

    // sigstore-python: the stored bundle over the PAE bytes, offline, for ann only.
    let Some(cli) = sigstore_python_cli() else { return };
    let bundle_path = w("att.sigstore.json", &serde_json::to_vec(&bundle).unwrap());
    let py = |identity: &str| {
        Command::new(&cli)
            .env("HOME", work.path())
            .env("COLUMNS", "200")
            .arg("--trust-config")
            .arg(stack.dir.path().join("trust_config.json"))
            .args(["verify", "identity", "--offline", "--cert-identity", identity, "--cert-oidc-issuer"])
            .arg(issuer(&repo))
            .arg("--bundle")
            .arg(&bundle_path)
            .arg(&pae_path)
            .output()
            .unwrap()
    };
    let out = py("ann@example.com");
    assert!(out.status.success(), "sigstore-python: {}", said(&out));
    let out = py("bob@example.com");
    assert!(!out.status.success() && said(&out).contains("do not match bob@example.com"), "{}", said(&out));
}

/// A tag named `refs/attestations/commits` (which a clone fetches) is not the attestation ref:
/// with the real ref missing, verify-attestation finds nothing and attest starts a new history.
#[test]
fn a_tag_named_like_the_attestation_ref_is_not_read() {
    let stack = Stack::start();
    let repo = setup(&stack);
    let r = "refs/attestations/commits";
    attest(&repo, &["-f", "pred.json", "--type", PTYPE]);
    let good = repo.ok(&["rev-parse", r]).trim().to_string();
    repo.ok(&["update-ref", &format!("refs/tags/{r}"), &good]);
    repo.ok(&["update-ref", "-d", r]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains(&format!("no attestations: {r} does not exist")), "{}", said(&out));
    assert!(!said(&out).contains("Verified OK"), "{}", said(&out));

    std::fs::write(repo.path().join("other.json"), "{\"x\": 1}").unwrap();
    let fresh = attest(&repo, &["-f", "other.json"]);
    assert_eq!(repo.ok(&["log", "-1", "--format=%P", &fresh]).trim(), "", "not built on the tag");
    let files = repo.ok(&["ls-tree", "-r", "--name-only", r]);
    assert!(!files.contains("pred.json"), "the tag's tree was not carried over: {files}");
    assert_eq!(repo.ok(&["rev-parse", &format!("refs/tags/{r}")]).trim(), good, "the tag is left alone");
}

/// The predicate file beside the envelope is compared exactly: a key twice (serde_json keeps the
/// last) or a number that only equals the signed one after rounding to a float is refused; attest
/// refuses a predicate its statement could not hold exactly.
#[test]
fn predicate_files_with_duplicate_keys_or_rounded_numbers_are_refused() {
    let stack = Stack::start();
    let repo = setup(&stack);
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let r = "refs/attestations/commits";
    attest(&repo, &["-f", "pred.json"]);
    let good = repo.ok(&["rev-parse", r]).trim().to_string();
    let path = format!("{head}/pred.json");
    rewrite(&repo, r, &[(&path, br#"{"foo": "evil", "foo": "bar", "n": [1, 2]}"#)]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out)
            .contains("the file pred.json is not the signed predicate (it was changed): it cannot be read as exact JSON: the key \"foo\" appears twice"),
        "{}",
        said(&out)
    );
    // Same value, other spelling: accepted.
    repo.ok(&["update-ref", r, &good]);
    rewrite(&repo, r, &[(&path, br#"{"n": [1.0, 2e0], "foo": "b\u0061r"}"#)]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert!(out.status.success(), "{}", said(&out));

    std::fs::write(repo.path().join("big.json"), r#"{"n": 123456789012345678901234567890}"#).unwrap();
    let out = gitsign(&repo, &["attest", "-f", "big.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("big.json cannot be signed as written: it differs from the signed predicate at /n"),
        "{}",
        said(&out)
    );
}

/// `git mktree --missing` of `listing` (ls-tree lines, duplicates allowed), as an attacker can.
fn mktree(repo: &Repo, listing: &str) -> String {
    use std::io::Write as _;
    let mut child = repo
        .command("git")
        .args(["mktree", "--missing"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(listing.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git mktree");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Points `refs/attestations/commits` at a commit of a top tree holding `dir` under `object`
/// (`twice`: two such entries).
fn set_dir(repo: &Repo, object: &str, dir: &str, twice: bool) {
    let mut top = format!("040000 tree {dir}\t{object}\n");
    if twice {
        top = top.repeat(2);
    }
    let tree = mktree(repo, &top);
    let commit = repo.ok(&["commit-tree", &tree, "-m", "attacker"]).trim().to_string();
    repo.ok(&["update-ref", "refs/attestations/commits", &commit]);
}

/// Hand-made attestation trees: too many entries or attestations, a name twice, a symbolic link
/// or submodule instead of a file: each refused with its reason.
#[test]
fn hand_made_attestation_trees_are_refused() {
    let stack = Stack::start();
    let repo = setup(&stack);
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let r = "refs/attestations/commits";
    attest(&repo, &["-f", "pred.json"]);
    let good_dir = repo.ok(&["rev-parse", &format!("{r}:{head}")]).trim().to_string();
    let listing = repo.ok(&["ls-tree", &good_dir]);
    let line = |name: &str| listing.lines().find(|l| l.ends_with(&format!("\t{name}"))).unwrap().to_string();
    let sig = line("pred.json.sig");
    let sig_oid = sig.split_whitespace().nth(2).unwrap().to_string();
    let check = |dir: &str, twice: bool, want: &str| {
        set_dir(&repo, &head, dir, twice);
        let out = verify(&repo, "ann@example.com", &[]);
        assert_eq!(out.status.code(), Some(1), "{}", said(&out));
        assert!(said(&out).contains(want), "want {want:?}: {}", said(&out));
        assert!(!said(&out).contains("Verified OK"), "{}", said(&out));
    };
    // The real directory, rebuilt by hand, still verifies.
    set_dir(&repo, &head, &mktree(&repo, &listing), false);
    assert!(verify(&repo, "ann@example.com", &[]).status.success());

    // The object's directory twice; an envelope twice.
    check(&good_dir, true, &format!("names {head} twice"));
    check(&mktree(&repo, &format!("{listing}{sig}\n")), false, "names pred.json.sig twice");
    // More entries than read, more attestations than checked.
    let extra: String = (0..1000).map(|i| format!("100644 blob {sig_oid}\tx{i:04}\n")).collect();
    check(&mktree(&repo, &format!("{listing}{extra}")), false, "has more than 1000 entries");
    let sigs: String = (0..100).map(|i| format!("100644 blob {sig_oid}\ta{i:03}.sig\n")).collect();
    check(
        &mktree(&repo, &format!("{listing}{sigs}")),
        false,
        "101 attestations under refs/attestations/commits, more than the 100 checked",
    );
    // A symbolic link or a submodule where the envelope is.
    let others: String =
        listing.lines().filter(|l| !l.ends_with("\tpred.json.sig")).map(|l| format!("{l}\n")).collect();
    check(
        &mktree(&repo, &format!("{others}120000 blob {sig_oid}\tpred.json.sig\n")),
        false,
        "pred.json.sig is not a regular file (mode 120000 blob",
    );
    check(
        &mktree(&repo, &format!("{others}160000 commit {head}\tpred.json.sig\n")),
        false,
        "pred.json.sig is not a regular file (mode 160000 commit",
    );
}

/// A file name from the ref is printed without Unicode format characters (a bidi override could
/// reorder the line) and labelled as unsigned, beside the signed predicate type.
#[test]
fn names_from_the_ref_are_printed_without_format_characters_and_labelled() {
    let stack = Stack::start();
    let repo = setup(&stack);
    let name = "evil\u{202E}nosj.json\u{2066}\u{200B}";
    std::fs::copy(repo.path().join("pred.json"), repo.path().join(name)).unwrap();
    attest(&repo, &["-f", name, "--type", PTYPE]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert!(out.status.success(), "{}", said(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            " evilnosj.json (file name from the ref, not signed; signed predicate type \"{PTYPE}\"): signed by ann@example.com"
        )),
        "{stdout}"
    );
    assert!(!said(&out).chars().any(|c| matches!(c, '\u{202E}' | '\u{2066}' | '\u{200B}')), "{}", said(&out));
}

/// The bundle's signature and the envelope's are decoded by the same rules before they are
/// compared: a bundle whose base64 carries line breaks (as protobuf-JSON writers may) still matches.
#[test]
fn bundle_and_envelope_signatures_are_decoded_alike() {
    let stack = Stack::start();
    let repo = setup(&stack);
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let r = "refs/attestations/commits";
    let good = attest(&repo, &["-f", "pred.json"]);
    let path = format!("{head}/pred.json.sigstore.json");
    let mut bundle = envelope(&repo, &format!("{good}:{path}"));
    let sig = bundle["messageSignature"]["signature"].as_str().unwrap().to_string();
    let wrapped = format!("{}\n{}", &sig[..20], &sig[20..]);
    bundle["messageSignature"]["signature"] = wrapped.into();
    rewrite(&repo, r, &[(&path, &serde_json::to_vec(&bundle).unwrap())]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(!said(&out).contains("is not the one"), "{}", said(&out));
    // A different signature in the bundle is still refused, with its reason.
    let mut other = unb64(&sig).unwrap();
    *other.last_mut().unwrap() ^= 1;
    bundle["messageSignature"]["signature"] = b64(&other).into();
    repo.ok(&["update-ref", r, &good]);
    rewrite(&repo, r, &[(&path, &serde_json::to_vec(&bundle).unwrap())]);
    let out = verify(&repo, "ann@example.com", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
}

/// `--certificate-github-workflow-*` as for `gitsign verify`: each claim is checked against the
/// signer's certificate (the devstack's email identity carries none, so asking for one fails).
#[test]
fn workflow_claims_are_checked_against_the_signer_certificate() {
    let stack = Stack::start();
    let repo = setup(&stack);
    attest(&repo, &["-f", "pred.json"]);
    let out = verify(&repo, "ann@example.com", &["--certificate-github-workflow-repository", "octo/repo"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("bad: the signer's certificate: "), "{}", said(&out));
    assert!(said(&out).contains("1.3.6.1.4.1.57264.1.5"), "{}", said(&out));
    assert!(!said(&out).contains("Verified OK"), "{}", said(&out));
    assert!(verify(&repo, "ann@example.com", &[]).status.success());
}
