//! What the README promises about verification, under real git and the real binaries against a
//! devstack: SCTs are required unless skipped explicitly (`--insecure-ignore-sct`,
//! `gitsign.insecureIgnoreSCT`), a signed tag is bound to its name, `--insecure-ignore-tlog`
//! still checks signature, chain and identity, `fulcioRoot` / `SIGSTORE_ROOT_FILE` PEM roots,
//! verification with the devstack stopped, `git log --show-signature`, and tampered tags.

use crate::common::*;
use std::process::Output;

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Runs gitsign in the repository.
fn gitsign(repo: &Repo, args: &[&str]) -> Output {
    repo.verifier("ann@example.com", args).output().unwrap()
}

fn passes(out: &Output) -> String {
    assert!(out.status.success(), "must pass:\n{}", text(out));
    text(out)
}

/// Asserts a refusal (exit 1, not a usage error or a crash) whose output holds every needle.
fn refused(out: &Output, needles: &[&str]) {
    let all = text(out);
    assert_eq!(out.status.code(), Some(1), "must be refused (exit 1):\n{all}");
    for n in needles {
        assert!(all.contains(n), "the refusal should say {n:?}:\n{all}");
    }
    assert!(!all.contains("panicked"), "{all}");
}

/// The stack's trusted root with `edit` applied, written into the repository's home.
fn edited_root(stack: &Stack, repo: &Repo, name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut root: serde_json::Value = serde_json::from_slice(&std::fs::read(stack.trusted_root()).unwrap()).unwrap();
    edit(&mut root);
    let path = repo.home.path().join(name);
    std::fs::write(&path, serde_json::to_vec(&root).unwrap()).unwrap();
    path.display().to_string()
}

/// The stack's Fulcio CA chain as PEM.
fn ca_pem(stack: &Stack) -> String {
    let root: gitsign_protocol::trust::TrustedRoot =
        serde_json::from_slice(&std::fs::read(stack.trusted_root()).unwrap()).unwrap();
    root.certificate_authorities[0]
        .cert_chain
        .certificates
        .iter()
        .map(|c| gitsign_protocol::keys::pem_encode("CERTIFICATE", &gitsign_protocol::unb64(&c.raw_bytes).unwrap()))
        .collect()
}

#[test]
fn a_trust_root_without_ct_logs_refuses_unless_the_sct_is_skipped_explicitly() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    repo.ok(&["tag", "-s", "-m", "release", "v1"]);
    passes(&gitsign(&repo, &["sign-blob", "--bundle", "a.sigstore.json", "a.txt"]));
    let issuer = stack.running.urls().issuer.clone();
    let blob = |repo: &Repo, extra: &[&str]| {
        let mut args = vec![
            "verify-blob",
            "--bundle",
            "a.sigstore.json",
            "--certificate-identity",
            "ann@example.com",
            "--certificate-oidc-issuer",
            &issuer,
        ];
        args.extend_from_slice(extra);
        args.push("a.txt");
        gitsign(repo, &args)
    };
    passes(&blob(&repo, &[]));

    // The same trust root with its CT logs removed: no SCT can be verified, so none is accepted.
    let path = edited_root(&stack, &repo, "no-ct.json", |r| r["ctlogs"] = serde_json::json!([]));
    repo.set_env("GITSIGN_TRUSTED_ROOT", &path);
    let reason =
        format!("certificate transparency: {path} lists no CT log, so the certificate's SCT cannot be verified");
    refused(&repo.git(&["verify-commit", "HEAD"]), &[&reason, "--insecure-ignore-sct", "gitsign.insecureIgnoreSCT"]);
    refused(&gitsign(&repo, &["verify", "HEAD"]), &[&reason]);
    refused(&gitsign(&repo, &["verify-tag", "v1"]), &[&reason]);
    refused(&blob(&repo, &[]), &[&reason]);
    let warning = "gitsign: WARNING: --insecure-ignore-sct: certificate transparency is not checked";
    for out in [&gitsign(&repo, &["verify", "HEAD"]), &blob(&repo, &[])] {
        assert!(!text(out).contains("WARNING"), "{}", text(out));
    }

    // Skipped explicitly: verified, with a warning.
    assert!(passes(&gitsign(&repo, &["verify", "--insecure-ignore-sct", "HEAD"])).contains(warning));
    assert!(passes(&gitsign(&repo, &["verify-tag", "--insecure-ignore-sct", "v1"])).contains(warning));
    let out = passes(&blob(&repo, &["--insecure-ignore-sct"]));
    assert!(out.contains(warning) && out.contains("Verified OK"), "{out}");
    // Only the SCT is skipped: another identity still fails.
    refused(
        &gitsign(&repo, &["verify", "--insecure-ignore-sct", "--certificate-identity", "bob@example.com", "HEAD"]),
        &["expected \"bob@example.com\""],
    );
    // git verify-commit: the setting, in git config or the environment.
    let setting = "gitsign: WARNING: gitsign.insecureIgnoreSCT (GITSIGN_INSECURE_IGNORE_SCT): certificate transparency is not checked";
    repo.ok(&["config", "gitsign.insecureIgnoreSCT", "true"]);
    let out = passes(&repo.git(&["verify-commit", "HEAD"]));
    assert!(out.contains(setting) && out.contains("Good signature from [ann@example.com]"), "{out}");
    repo.ok(&["config", "gitsign.insecureIgnoreSCT", "false"]);
    refused(&repo.git(&["verify-commit", "HEAD"]), &[&reason]);
    repo.set_env("GITSIGN_INSECURE_IGNORE_SCT", "1");
    assert!(passes(&repo.git(&["verify-commit", "HEAD"])).contains(setting));
    assert!(passes(&gitsign(&repo, &["version"])).contains("insecureIgnoreSCT"));
}

#[test]
fn a_signed_tag_republished_under_another_name_is_refused() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    repo.ok(&["tag", "-s", "-m", "release one", "v1.0"]);
    let tag = repo.ok(&["rev-parse", "refs/tags/v1.0"]).trim().to_string();
    repo.ok(&["update-ref", "refs/tags/v2.0", &tag]);

    let out = passes(&gitsign(&repo, &["verify-tag", "v1.0"]));
    assert!(out.contains("1 of 1 tags verified"), "{out}");
    passes(&gitsign(&repo, &["verify-tag", "refs/tags/v1.0"]));
    refused(
        &gitsign(&repo, &["verify-tag", "v2.0"]),
        &["the signed tag object is for tag \"v1.0\", but it was asked for as \"refs/tags/v2.0\""],
    );
    // Several at once: each checked against its own name.
    let out = gitsign(&repo, &["verify-tag", "v1.0", "v2.0"]);
    refused(&out, &["1 of 2 tags verified", "\"refs/tags/v2.0\""]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains(&format!("{tag} good")) && table.contains(&format!("{tag}  the signed tag")), "{table}");
    // A lightweight tag names nothing signed.
    repo.ok(&["tag", "light", "HEAD"]);
    refused(
        &gitsign(&repo, &["verify-tag", "light"]),
        &["\"refs/tags/light\" points at a commit, not at a tag object"],
    );

    // A tampered tag (its message changed, name kept) keeps its signature but fails.
    let raw = repo.ok(&["cat-file", "tag", "v1.0"]);
    std::fs::write(repo.path().join("tampered"), raw.replace("release one", "release 0ne")).unwrap();
    let bad = repo.ok(&["hash-object", "-t", "tag", "-w", "tampered"]).trim().to_string();
    repo.ok(&["update-ref", "refs/tags/v1.0", &bad]);
    refused(&gitsign(&repo, &["verify-tag", "v1.0"]), &["the signed data was changed"]);
    let out = repo.git(&["verify-tag", "v1.0"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("gitsign: BAD signature: the signed data was changed"), "{}", text(&out));
    repo.ok(&["update-ref", "refs/tags/v1.0", &tag]);
    passes(&repo.git(&["verify-tag", "v1.0"]));
}

#[test]
fn insecure_ignore_tlog_still_checks_signature_chain_and_identity() {
    let stack = Stack::start();
    let other = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    // Online mode: no entry is embedded, so only Rekor could give a trusted time.
    repo.set_env("GITSIGN_REKOR_MODE", "online");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "online mode"]);
    repo.set_env("GITSIGN_REKOR_URL", "http://127.0.0.1:9");
    refused(&gitsign(&repo, &["verify", "--offline", "HEAD"]), &["not embedded"]);

    let warning = "gitsign: WARNING: --insecure-ignore-tlog: only the signature, the certificate chain and the identity are checked";
    let out = passes(&gitsign(&repo, &["verify", "--insecure-ignore-tlog", "HEAD"]));
    assert!(out.contains(warning) && out.contains("good  ann@example.com") && out.contains("log not checked"), "{out}");
    // Identity: still checked, exact and by regexp.
    passes(&gitsign(
        &repo,
        &["verify", "--insecure-ignore-tlog", "--certificate-identity-regexp", ".*@example[.]com", "HEAD"],
    ));
    refused(
        &gitsign(
            &repo,
            &["verify", "--insecure-ignore-tlog", "--certificate-identity-regexp", ".*@example[.]org", "HEAD"],
        ),
        &["expected a match of /^(?:.*@example[.]org)$/", "ann@example.com"],
    );
    refused(
        &gitsign(
            &repo,
            &["verify", "--insecure-ignore-tlog", "--certificate-oidc-issuer", "https://other.example", "HEAD"],
        ),
        &["the certificate's OIDC issuer is", "expected \"https://other.example\""],
    );
    // Signature: a changed commit fails.
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    std::fs::write(repo.path().join("altered"), raw.replace("online mode", "online m0de")).unwrap();
    let sha = repo.ok(&["hash-object", "-t", "commit", "-w", "altered"]).trim().to_string();
    refused(&gitsign(&repo, &["verify", "--insecure-ignore-tlog", &sha]), &["the signed data was changed"]);
    // Chain: another stack's trust root fails.
    refused(
        &gitsign(
            &repo,
            &[
                "verify",
                "--insecure-ignore-tlog",
                "--trusted-root",
                &other.trusted_root().display().to_string(),
                "HEAD",
            ],
        ),
        &["does not chain to a Fulcio CA of the trust root"],
    );
}

#[test]
fn fulcio_root_and_sigstore_root_file_pem_roots_are_trusted_issuers() {
    let stack = Stack::start();
    let other = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    // The stack's trust root without its Fulcio CA (CT log and Rekor kept).
    let path = edited_root(&stack, &repo, "no-ca.json", |r| r["certificateAuthorities"] = serde_json::json!([]));
    repo.set_env("GITSIGN_TRUSTED_ROOT", &path);
    let untrusted = format!("does not chain to a Fulcio CA of the trust root ({path})");
    refused(&repo.git(&["verify-commit", "HEAD"]), &[&untrusted]);

    let pem = repo.home.path().join("fulcio.pem");
    std::fs::write(&pem, ca_pem(&stack)).unwrap();
    let foreign = repo.home.path().join("foreign.pem");
    std::fs::write(&foreign, ca_pem(&other)).unwrap();
    let empty = repo.home.path().join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();

    // gitsign.fulcioRoot in git config.
    repo.ok(&["config", "gitsign.fulcioRoot", &pem.display().to_string()]);
    assert!(passes(&repo.git(&["verify-commit", "HEAD"])).contains("Good signature from [ann@example.com]"));
    passes(&gitsign(&repo, &["verify", "HEAD"]));
    // The foreign root replaces the trust root's CAs (as the Go gitsign's fulcioRoot does).
    let untrusted_with_roots =
        format!("does not chain to a Fulcio CA of the trust root ({path} with the configured Fulcio roots)");
    repo.ok(&["config", "gitsign.fulcioRoot", &foreign.display().to_string()]);
    refused(&repo.git(&["verify-commit", "HEAD"]), &[&untrusted_with_roots]);
    repo.ok(&["config", "gitsign.fulcioRoot", &empty.display().to_string()]);
    refused(&repo.git(&["verify-commit", "HEAD"]), &["no PEM certificate in the Fulcio root file"]);
    repo.ok(&["config", "--unset", "gitsign.fulcioRoot"]);

    // SIGSTORE_ROOT_FILE in the environment.
    repo.set_env("SIGSTORE_ROOT_FILE", &pem.display().to_string());
    assert!(passes(&repo.git(&["verify-commit", "HEAD"])).contains("Good signature from [ann@example.com]"));
    passes(&gitsign(&repo, &["verify", "HEAD"]));
    repo.set_env("SIGSTORE_ROOT_FILE", &foreign.display().to_string());
    refused(&repo.git(&["verify-commit", "HEAD"]), &[&untrusted_with_roots]);
}

#[test]
fn signatures_verify_with_the_devstack_stopped_and_show_in_git_log() {
    let Stack { dir, running } = Stack::start();
    let urls = running.urls().clone();
    let stack_for_token = dir.path().to_path_buf();
    let token = gitsign_devstack::state::load_issuer(&stack_for_token)
        .unwrap()
        .mint(
            &gitsign_devstack::oidc::Subject::Email("ann@example.com".into()),
            None,
            std::time::Duration::from_secs(600),
        )
        .unwrap();
    let repo = Repo::with_env(vec![
        ("GITSIGN_FULCIO_URL".into(), urls.fulcio.clone()),
        ("GITSIGN_REKOR_URL".into(), urls.rekor.clone()),
        ("GITSIGN_OIDC_ISSUER".into(), urls.issuer.clone()),
        ("GITSIGN_TRUSTED_ROOT".into(), dir.path().join("trusted_root.json").display().to_string()),
        ("SIGSTORE_ID_TOKEN".into(), token),
    ]);
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "first"]);
    repo.stage("b.txt", "two\n");
    repo.ok(&["commit", "-S", "-q", "-m", "second"]);
    repo.ok(&["tag", "-s", "-m", "release", "v1"]);
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    std::fs::write(repo.path().join("altered"), raw.replace("second", "sec0nd")).unwrap();
    let altered = repo.ok(&["hash-object", "-t", "commit", "-w", "altered"]).trim().to_string();

    // Stop the devstack: nothing answers at its address any more.
    running.stop().unwrap();
    let addr = urls.rekor.trim_start_matches("http://").split('/').next().unwrap().to_string();
    assert!(std::net::TcpStream::connect(&addr).is_err(), "the devstack at {addr} must be stopped");

    let out = passes(&repo.git(&["verify-commit", "HEAD"]));
    assert!(out.contains("Good signature from [ann@example.com]"), "{out}");
    passes(&repo.git(&["verify-tag", "v1"]));
    let out = passes(&gitsign(&repo, &["verify", "--certificate-identity", "ann@example.com", "--all"]));
    assert!(out.contains("2 of 2 commits verified"), "{out}");
    passes(&gitsign(&repo, &["verify-tag", "v1"]));

    // git log --show-signature runs gitsign for each commit.
    let log = text(&repo.git(&["log", "--show-signature", "--format=commit %H %s"]));
    assert_eq!(log.matches("Good signature from [ann@example.com]").count(), 2, "{log}");
    let log = text(&repo.git(&["log", "--show-signature", "-1", "--format=commit %H", &altered]));
    assert!(log.contains("gitsign: BAD signature: the signed data was changed"), "{log}");
    assert!(!log.contains("Good signature"), "{log}");
}

/// Writes `bytes` as a loose object of `kind` and returns its ID.
fn write_object(repo: &Repo, kind: &str, bytes: &[u8]) -> String {
    std::fs::write(repo.path().join("forged"), bytes).unwrap();
    repo.ok(&["hash-object", "-t", kind, "-w", "forged"]).trim().to_string()
}

#[test]
fn a_tag_with_unsigned_text_after_its_signature_is_refused_as_git_shows_it() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    repo.ok(&["tag", "-s", "-m", "release one", "v1"]);
    let good = repo.ok(&["rev-parse", "refs/tags/v1"]).trim().to_string();
    let raw = repo.ok(&["cat-file", "tag", "v1"]);

    // A second (fake) signature block after the real one: git splits at the LAST line starting a
    // signature, so it shows the unsigned text as part of the message.
    let evil = format!(
        "{raw}\nUNSIGNED: use evil v3 instead\n-----BEGIN SIGNED MESSAGE-----\nx\n-----END SIGNED MESSAGE-----\n"
    );
    let sha = write_object(&repo, "tag", evil.as_bytes());
    repo.ok(&["update-ref", "refs/tags/v1", &sha]);
    assert!(repo.ok(&["tag", "-n999", "v1"]).contains("UNSIGNED: use evil v3 instead"), "git shows the text");
    refused(&gitsign(&repo, &["verify-tag", "v1"]), &["0 of 1 tags verified", "not exactly one PEM block"]);
    refused(&repo.git(&["verify-tag", "v1"]), &["not exactly one PEM block"]);

    // Text after the END line of the only signature (git keeps it in the signature region).
    let sha = write_object(&repo, "tag", format!("{raw}UNSIGNED: use evil v3 instead\n").as_bytes());
    repo.ok(&["update-ref", "refs/tags/v1", &sha]);
    refused(&gitsign(&repo, &["verify-tag", "v1"]), &["there is text after the -----END SIGNED MESSAGE----- line"]);
    refused(&repo.git(&["verify-tag", "v1"]), &["there is text after the -----END SIGNED MESSAGE----- line"]);
    repo.ok(&["update-ref", "refs/tags/v1", &good]);
    passes(&gitsign(&repo, &["verify-tag", "v1"]));

    // A legitimate message quoting the marker, mid-line and at the start of a line: git signs
    // and splits it at the real signature, and so does gitsign.
    let message = "see the -----BEGIN SIGNED MESSAGE----- line\n\n-----BEGIN SIGNED MESSAGE-----\nquoted\n";
    repo.ok(&["tag", "-s", "-m", message, "v2"]);
    assert!(repo.ok(&["tag", "-n9", "v2"]).contains("quoted"));
    assert!(passes(&gitsign(&repo, &["verify-tag", "v2"])).contains("1 of 1 tags verified"));
    passes(&repo.git(&["verify-tag", "v2"]));
}

#[test]
fn a_commit_with_extra_signature_headers_or_junk_is_refused() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    let (headers, message) = raw.split_once("\n\n").unwrap();
    let start = headers.find("\ngpgsig ").unwrap() + 1;
    let block = &headers[start..];
    let (before, sig_header) = (&headers[..start], block);

    let check = |object: String, gitsign_reason: &str, git_reason: &str| {
        let sha = write_object(&repo, "commit", object.as_bytes());
        assert_ne!(sha, repo.ok(&["rev-parse", "HEAD"]).trim(), "a new object ID");
        refused(&gitsign(&repo, &["verify", "--allow-unsigned", &sha]), &[gitsign_reason]);
        // git hands gitsign the signature as it splits it (or refuses a format it does not know).
        let out = repo.git(&["verify-commit", &sha]);
        assert!(!out.status.success() && text(&out).contains(git_reason), "{}", text(&out));
    };
    // The same signature header twice (git would concatenate the two blocks).
    check(
        format!("{before}{sig_header}\n{sig_header}\n\n{message}"),
        "the commit carries 2 \"gpgsig\" signature headers",
        "there is text after the -----END SIGNED MESSAGE----- line",
    );
    // Junk continuation lines before and after the armor.
    let junk_after = format!("{before}{sig_header}\n junk\n\n{message}");
    check(junk_after, "there is text after the -----END SIGNED MESSAGE----- line", "there is text after the");
    let junk_before = format!("{before}gpgsig junk\n {}\n\n{message}", sig_header.trim_start_matches("gpgsig "));
    check(junk_before, "there is text before the BEGIN line", "bad/incompatible signature");
    // A signature header of the other object format (git leaves it out of the signed data).
    let other =
        format!("{before}{sig_header}\ngpgsig-sha256 {}\n\n{message}", sig_header.trim_start_matches("gpgsig "));
    let sha = write_object(&repo, "commit", other.as_bytes());
    refused(
        &gitsign(&repo, &["verify", &sha]),
        &["carries a \"gpgsig-sha256\" signature header; in a SHA-1 repository gitsign accepts only one \"gpgsig\""],
    );
    passes(&gitsign(&repo, &["verify", "HEAD"]));
}

#[test]
fn sha256_repositories_use_the_gpgsig_sha256_header() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    std::fs::remove_dir_all(repo.path().join(".git")).unwrap();
    repo.ok(&["init", "-q", "-b", "main", "--object-format=sha256"]);
    for (k, v) in [("user.name", "Ann Example"), ("user.email", "ann@example.com"), ("gpg.format", "x509")] {
        repo.ok(&["config", k, v]);
    }
    repo.ok(&["config", "gpg.x509.program", GITSIGN]);
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed in sha256"]);
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    assert!(raw.contains("\ngpgsig-sha256 "), "{raw}");
    passes(&repo.git(&["verify-commit", "HEAD"]));
    assert!(passes(&gitsign(&repo, &["verify", "HEAD"])).contains("1 of 1 commits verified"));
    // A SHA-1 signature header in a SHA-256 repository is refused.
    let forged = raw.replacen("\ngpgsig-sha256 ", "\ngpgsig ", 1);
    let sha = write_object(&repo, "commit", forged.as_bytes());
    refused(&gitsign(&repo, &["verify", &sha]), &["carries a \"gpgsig\" signature header; in a SHA-256 repository"]);
}

#[test]
fn a_signed_latin1_commit_verifies_and_a_tampered_one_is_bad_not_unsigned() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    std::fs::write(repo.path().join("msg"), b"caf\xe9 cr\xe8me\n").unwrap();
    repo.ok(&["-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-S", "-q", "-F", "msg"]);
    let raw = repo.command("git").args(["cat-file", "commit", "HEAD"]).output().unwrap().stdout;
    assert!(std::str::from_utf8(&raw).is_err() && raw.windows(9).any(|w| w == b"encoding "), "a Latin-1 commit");
    passes(&repo.git(&["verify-commit", "HEAD"]));
    assert!(passes(&gitsign(&repo, &["verify", "HEAD"])).contains("1 of 1 commits verified"));
    // The object ID online mode looks up in Rekor is rebuilt on bytes too.
    let (payload, sig) = gitsign_core::gitobj::split(&raw, "commit").unwrap();
    let head = repo.ok(&["rev-parse", "HEAD"]);
    assert_eq!(
        gitsign_core::gitobj::object_id(&payload, std::str::from_utf8(&sig).unwrap()).as_deref(),
        Some(head.trim())
    );

    let at = raw.windows(4).position(|w| w == b"caf\xe9").unwrap();
    let mut tampered = raw.clone();
    tampered[at + 3] = b'\xea';
    let sha = write_object(&repo, "commit", &tampered);
    let out = gitsign(&repo, &["verify", "--allow-unsigned", &sha]);
    refused(&out, &["the signed data was changed", "0 of 1 commits verified (1 failed, 0 unsigned"]);
    refused(&repo.git(&["verify-commit", &sha]), &["the signed data was changed"]);
}

#[test]
fn control_characters_from_a_forged_signature_never_reach_the_terminal() {
    use prost::Message as _;
    use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, KeyPair, SanType, SigningKey as _};
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-q", "-m", "unsigned"]);
    let payload = repo.ok(&["cat-file", "commit", "HEAD"]);

    // A self-signed certificate whose key really signs the commit, and an embedded log entry
    // whose kind rewrites the terminal line.
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = CertificateParams::default();
    p.subject_alt_names = vec![SanType::Rfc822Name("ann@example.com".try_into().unwrap())];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    let cert = p.self_signed(&key).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let digest = gitsign_protocol::sha256(payload.as_bytes());
    let (attrs, attrs_der) =
        gitsign_core::signature::signed_attributes(&digest, der::asn1::UtcTime::from_unix_duration(now).unwrap())
            .unwrap();
    let sig = key.sign(&attrs_der).unwrap();
    let entry = gitsign_core::tlog::TransparencyLogEntry {
        kind_version: Some(gitsign_core::tlog::KindVersion {
            kind: "\r\u{1b}[2Kgitsign: Good signature from [ann@example.com]\u{1b}[8m".into(),
            version: "0.0.1\u{1b}]0;title\u{7}".into(),
        }),
        ..Default::default()
    };
    let der = gitsign_core::signature::assemble(cert.der(), attrs, &sig, Some(&entry.encode_to_vec())).unwrap();
    let armored = gitsign_core::signature::armor(&der);
    let (headers, message) = payload.split_once("\n\n").unwrap();
    let object = format!("{headers}\ngpgsig {}\n\n{message}", armored.trim_end().replace('\n', "\n "));
    let sha = write_object(&repo, "commit", object.as_bytes());

    for out in [repo.git(&["verify-commit", &sha]), gitsign(&repo, &["verify", &sha])] {
        refused(&out, &["must be hashedrekord 0.0.1, not", "2Kgitsign: Good signature from"]);
        let bytes = [out.stdout.as_slice(), out.stderr.as_slice()].concat();
        assert!(!bytes.contains(&0x1b) && !bytes.contains(&b'\r') && !bytes.contains(&7), "{}", text(&out));
    }
}
