//! gitsign under real git, against a devstack on loopback: signed commits and tags verify, an
//! altered commit does not, the identity policy is applied, the CMS is checked by OpenSSL, and
//! the login flows work end to end.

use crate::common::*;

#[test]
fn signed_commits_and_tags_verify_and_altered_ones_do_not() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "first signed commit"]);
    repo.stage("b.txt", "two\n");
    repo.ok(&["commit", "-S", "-q", "-m", "second"]);
    repo.ok(&["tag", "-s", "-m", "release", "v1"]);

    let verify = repo.git(&["verify-commit", "-v", "HEAD"]);
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
    let stderr = String::from_utf8_lossy(&verify.stderr);
    assert!(stderr.contains("Good signature from [ann@example.com]"), "{stderr}");
    assert!(stderr.contains("no identity policy is configured"), "{stderr}");
    assert!(repo.git(&["verify-tag", "v1"]).status.success());
    assert_eq!(repo.ok(&["log", "--format=%G?"]), "G\nG\n");

    // The same commit with its message changed keeps the signature but no longer verifies.
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    let altered = raw.replace("second", "sec0nd");
    let path = repo.path().join("altered");
    std::fs::write(&path, altered).unwrap();
    let sha = repo.ok(&["hash-object", "-t", "commit", "-w", "altered"]).trim().to_string();
    let out = repo.git(&["verify-commit", &sha]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the signed data was changed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mark = repo.ok(&["log", "-1", "--format=%G?", &sha]);
    assert!(mark == "B\n" || mark == "E\n", "{mark:?}");

    // A corrupted signature is an error, not a crash.
    let garbled = raw.replacen("MII", "MIX", 1);
    std::fs::write(&path, garbled).unwrap();
    let sha = repo.ok(&["hash-object", "-t", "commit", "-w", "altered"]).trim().to_string();
    let out = repo.git(&["verify-commit", "--raw", &sha]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("[GNUPG:] ERRSIG "),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = repo.git(&["verify-commit", &sha]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("gitsign: cannot check the signature: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn identity_policy_from_git_config() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    repo.ok(&["config", "gitsign.certificateIdentity", "bob@example.com"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expected \"bob@example.com\"") && stderr.contains("ann@example.com"), "{stderr}");
    repo.ok(&["config", "gitsign.certificateIdentity", "ann@example.com"]);
    repo.ok(&["config", "gitsign.certificateOidcIssuer", &stack.running.urls().issuer]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("no identity policy"));
    repo.ok(&["config", "--unset", "gitsign.certificateIdentity"]);
    repo.ok(&["config", "gitsign.certificateIdentityRegexp", ".*@example[.]org"]);
    refused(&repo, &["expected a match of /^(?:.*@example[.]org)$/", "[\"ann@example.com\"]"]);
    // A matching regexp passes (anchored: the whole SAN must match).
    repo.ok(&["config", "gitsign.certificateIdentityRegexp", "[a-z]+@example[.]com"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Good signature from [ann@example.com]"));
    repo.ok(&["config", "gitsign.certificateIdentityRegexp", "ann@example"]);
    refused(&repo, &["expected a match of /^(?:ann@example)$/"]);
    repo.ok(&["config", "gitsign.certificateIdentityRegexp", "[a-z]+@example[.]com"]);
    // The issuer: a wrong one, exact or by regexp, fails and names both.
    let issuer = stack.running.urls().issuer.clone();
    repo.ok(&["config", "gitsign.certificateOidcIssuer", "https://other.example"]);
    refused(&repo, &["the certificate's OIDC issuer is Some(", &issuer, "expected \"https://other.example\""]);
    repo.ok(&["config", "--unset", "gitsign.certificateOidcIssuer"]);
    repo.ok(&["config", "gitsign.certificateOidcIssuerRegexp", "https://other[.]example"]);
    refused(&repo, &["the certificate's OIDC issuer is Some(", "expected a match of /^(?:https://other[.]example)$/"]);
    repo.ok(&["config", "gitsign.certificateOidcIssuerRegexp", "http://127[.]0[.]0[.]1:[0-9]+/oauth2"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(out.status.success(), "issuer {issuer}: {}", String::from_utf8_lossy(&out.stderr));
    repo.ok(&["config", "--unset", "gitsign.certificateOidcIssuerRegexp"]);
    repo.ok(&["config", "--unset", "gitsign.certificateIdentityRegexp"]);
    repo.ok(&["config", "gitsign.matchCommitter", "true"]);
    assert!(repo.git(&["verify-commit", "HEAD"]).status.success());
    repo.ok(&["config", "user.email", "other@example.com"]);
    // Signing would refuse it under matchCommitter (see match_committer_refuses_…): made without.
    repo.ok(&["-c", "gitsign.matchCommitter=false", "commit", "--amend", "--no-edit", "-S", "-q"]);
    // Committer other@ signed as ann@.
    refused(&repo, &["the certificate identity is [\"ann@example.com\"], expected \"other@example.com\""]);

    // A foreign trust root: verification fails.
    let other = Stack::start();
    let mut repo = repo;
    repo.set_env("GITSIGN_TRUSTED_ROOT", &other.trusted_root().display().to_string());
    repo.ok(&["config", "--unset", "gitsign.matchCommitter"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not hold") || stderr.contains("does not chain"), "{stderr}");
}

/// `git verify-commit HEAD` fails, with a BADSIG status line and every needle in its output.
fn refused(repo: &Repo, needles: &[&str]) {
    // --raw shows the status lines; without it git shows gitsign's message.
    let raw = repo.git(&["verify-commit", "--raw", "HEAD"]);
    let status = String::from_utf8_lossy(&raw.stderr);
    assert!(!raw.status.success() && status.contains("[GNUPG:] BADSIG "), "a bad signature, not an error:\n{status}");
    let out = repo.git(&["verify-commit", "HEAD"]);
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "must fail:\n{all}");
    for n in needles {
        assert!(all.contains(n), "should say {n:?}:\n{all}");
    }
}

fn openssl_available() -> bool {
    std::process::Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn openssl_verifies_the_cms() {
    if !openssl_available() {
        return skip::skip("openssl is not installed (./test.sh installs it)");
    }
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "checked by openssl"]);
    let (payload, sig) = split_commit(&repo.ok(&["cat-file", "commit", "HEAD"]));
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("payload"), payload.as_bytes()).unwrap();
    // OpenSSL reads CMS PEM under the CMS label only.
    std::fs::write(work.path().join("sig.pem"), sig.replace("SIGNED MESSAGE", "CMS")).unwrap();
    let root: gitsign_protocol::trust::TrustedRoot =
        serde_json::from_slice(&std::fs::read(stack.trusted_root()).unwrap()).unwrap();
    let cas: String = root.certificate_authorities[0]
        .cert_chain
        .certificates
        .iter()
        .map(|c| gitsign_protocol::keys::pem_encode("CERTIFICATE", &gitsign_protocol::unb64(&c.raw_bytes).unwrap()))
        .collect();
    std::fs::write(work.path().join("ca.pem"), cas).unwrap();
    let run = |payload: &str| {
        std::process::Command::new("openssl")
            .current_dir(work.path())
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "PEM",
                "-in",
                "sig.pem",
                "-content",
                payload,
                "-CAfile",
                "ca.pem",
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ])
            .output()
            .unwrap()
    };
    let out = run("payload");
    assert!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Verification successful"));
    std::fs::write(work.path().join("changed"), payload.replace("checked", "chocked")).unwrap();
    let out = run("changed");
    assert!(!out.status.success(), "openssl must reject a changed payload");
    // The content digest no longer matches the signed messageDigest attribute.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Verification failure") && stderr.contains("CMS_SignerInfo_verify_content"),
        "openssl: {stderr}"
    );
}

#[test]
fn browser_and_device_logins_sign_through_git() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "unused@example.com");
    repo.unset_env("SIGSTORE_ID_TOKEN");
    // The opener as a shell would split it: a quoted path with a space, and {{.URL}} inside a word.
    let tools = repo.home.path().join("my tools");
    std::fs::create_dir_all(&tools).unwrap();
    std::os::unix::fs::symlink(
        format!("{}/tests/support/browser.py", env!("CARGO_MANIFEST_DIR")),
        tools.join("browser.py"),
    )
    .unwrap();
    let opener =
        format!(r#"sh -c 'exec python3 "$0" "${{1#--url=}}"' '{}/browser.py' --url={{{{.URL}}}}"#, tools.display());
    repo.set_env("GITSIGN_URL_OPENER", &opener);
    repo.set_env("BROWSER_EMAIL", "carol@example.com");
    repo.set_env("GITSIGN_LOGIN_TIMEOUT", "60");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed after a browser login"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Good signature from [carol@example.com]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    repo.set_env("GITSIGN_TOKEN_PROVIDER", "device");
    repo.set_env("BROWSER_EMAIL", "dave@example.com");
    repo.stage("b.txt", "two\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed after a device login"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Good signature from [dave@example.com]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn online_mode_logs_the_object_id_and_verifies_through_rekor() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_REKOR_MODE", "online");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "online mode"]);
    repo.ok(&["tag", "-s", "-m", "online tag", "v1"]);
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();

    // The object ID computed from payload and signature is git's.
    let (payload, sig) =
        gitsign_core::gitobj::split(repo.ok(&["cat-file", "commit", "HEAD"]).as_bytes(), "commit").unwrap();
    assert!(
        gitsign_core::signature::parse(&gitsign_core::signature::dearmor(&sig).unwrap()).unwrap().tlog_entry.is_none()
    );
    assert_eq!(
        gitsign_core::gitobj::object_id(&payload, &String::from_utf8(sig).unwrap()).as_deref(),
        Some(head.as_str())
    );
    let tag = repo.ok(&["rev-parse", "v1"]).trim().to_string();
    let (payload, sig) = gitsign_core::gitobj::split(repo.ok(&["cat-file", "tag", "v1"]).as_bytes(), "tag").unwrap();
    assert_eq!(
        gitsign_core::gitobj::object_id(&payload, &String::from_utf8(sig).unwrap()).as_deref(),
        Some(tag.as_str())
    );

    // Rekor holds an entry over the commit ID; verification finds it.
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(repo.git(&["verify-tag", "v1"]).status.success());
    let out = repo
        .verifier("ann@example.com", &["verify", "--certificate-identity", "ann@example.com", "HEAD"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let out = repo.verifier("ann@example.com", &["verify", "--offline", "HEAD"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("not embedded"), "{}", String::from_utf8_lossy(&out.stdout));

    // Rekor unreachable: the online signature cannot be verified, and says why.
    let mut offline = repo;
    offline.set_env("GITSIGN_REKOR_URL", "http://127.0.0.1:9");
    let out = offline.git(&["verify-commit", "HEAD"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no embedded log entry"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_trust_root_without_the_ct_log_rejects_the_certificate() {
    let stack = Stack::start();
    let other = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    // The same trust root with another CT log's key: the certificate's SCT no longer verifies.
    let mut root: serde_json::Value = serde_json::from_slice(&std::fs::read(stack.trusted_root()).unwrap()).unwrap();
    let foreign: serde_json::Value = serde_json::from_slice(&std::fs::read(other.trusted_root()).unwrap()).unwrap();
    root["ctlogs"] = foreign["ctlogs"].clone();
    let path = repo.home.path().join("root-with-other-ct.json");
    std::fs::write(&path, serde_json::to_vec(&root).unwrap()).unwrap();
    repo.set_env("GITSIGN_TRUSTED_ROOT", &path.display().to_string());
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("certificate transparency"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_certificate_expired_at_the_integrated_time_is_refused() {
    // A devstack issuing 1-second certificates: by the time the entry is logged, it has expired.
    let state = tempfile::tempdir().unwrap();
    let running = gitsign_devstack::Running::start(gitsign_devstack::Options {
        cert_lifetime: Some(std::time::Duration::from_secs(1)),
        ..gitsign_devstack::Options::new(state.path())
    })
    .unwrap();
    let urls = running.urls();
    let token = gitsign_devstack::state::load_issuer(state.path())
        .unwrap()
        .mint(
            &gitsign_devstack::oidc::Subject::Email("ann@example.com".into()),
            None,
            std::time::Duration::from_secs(600),
        )
        .unwrap();
    let env: gitsign_core::config::Env = [
        ("GITSIGN_FULCIO_URL", urls.fulcio.clone()),
        ("GITSIGN_REKOR_URL", urls.rekor.clone()),
        ("GITSIGN_OIDC_ISSUER", urls.issuer.clone()),
        ("GITSIGN_TRUSTED_ROOT", state.path().join("trusted_root.json").display().to_string()),
        ("SIGSTORE_ID_TOKEN", token),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let config = gitsign_core::config::Config::resolve(&Default::default(), &env).unwrap();
    let http = gitsign_core::net::Http::new(std::time::Duration::from_secs(10)).unwrap();
    let trust = gitsign::trust::load_trust(&config).unwrap();
    let mut ui = gitsign::ui::Ui::to(Box::new(std::io::sink()));
    let credential = gitsign::credential::obtain_credential(&config, &env, &http, &mut ui).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let payload =
        b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nlate\n";
    let err = gitsign_core::sign::sign_with(payload, &credential, &config, &http, &trust).unwrap_err();
    assert!(err.to_string().contains("was valid from"), "{err}");
}

#[test]
fn match_committer_refuses_another_identity_before_anything_is_logged() {
    let stack = Stack::start();
    // The token is Bob's; the committer (user.email) is Ann.
    let mut repo = Repo::new(&stack, "bob@example.com");
    repo.ok(&["config", "gitsign.matchCommitter", "true"]);
    let rekor = stack.running.urls().rekor.clone();
    let log_size = || {
        let info: gitsign_protocol::rekor::LogInfo =
            reqwest::blocking::get(format!("{rekor}/api/v1/log")).unwrap().json().unwrap();
        info.tree_size
    };
    let payload = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor Ann Example <ann@example.com> 1 +0000\n\
committer Ann Example <ann@example.com> 1 +0000\n\nm\n";
    let before = log_size();
    let out = sign_without_terminal(&repo, payload);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "gitsign.matchCommitter: the certificate is for email bob@example.com, not the committer Ann Example \
             <ann@example.com>; nothing was signed or logged"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "no signature is written");
    assert_eq!(log_size(), before, "nothing was logged");
    // Under git: the commit is refused and nothing changes.
    repo.stage("a.txt", "one\n");
    let snapshot = repo.snapshot();
    assert!(!repo.git(&["commit", "-S", "-q", "-m", "refused"]).status.success());
    assert_eq!(repo.snapshot(), snapshot);
    assert_eq!(log_size(), before);
    // Ann's own token: signed and logged.
    repo.set_env("SIGSTORE_ID_TOKEN", &stack.token("ann@example.com"));
    let out = sign_without_terminal(&repo, payload);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(log_size(), before + 1);
}

/// The trust root's CA certificates are verified by the first gitsign process that uses them,
/// and the links kept (owner-only) for the next: `git log --show-signature` runs a process per
/// commit. A kept file that is not the user's own regular file in the user's own directory, or
/// does not parse, is ignored and replaced, and the chain is verified again.
#[test]
fn trust_root_chain_links_are_verified_once_and_kept_owner_only() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    let log = repo.home.path().join("gitsign.log");
    repo.set_env("GITSIGN_LOG", &log.display().to_string());
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    let kept = repo.home.path().join(".cache/sigstore/gitsign/verified-chain-links");
    let dir = kept.parent().unwrap().to_path_buf();
    let mode = |p: &std::path::Path| std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777;
    let chmod = |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    // Verifies; the debug log says whether a link was verified, and kept.
    let verify = || {
        std::fs::write(&log, "").unwrap();
        let out = repo.git(&["verify-commit", "HEAD"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&log).unwrap();
        match (
            text.contains("chain link(s) verified: kept"),
            text.contains("chain link(s) verified: could not be kept"),
        ) {
            (false, false) => "used",
            (true, false) => "kept",
            (false, true) => "not kept",
            (true, true) => panic!("{text}"),
        }
    };

    std::fs::remove_file(&kept).ok();
    assert_eq!(verify(), "kept", "the first verification verifies the CA certificate and keeps the link");
    let links = std::fs::read_to_string(&kept).unwrap();
    assert!(!links.is_empty() && links.lines().all(|l| l.len() == 64 && hex::decode(l).is_ok()), "{links:?}");
    assert_eq!(mode(&kept), 0o600);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(verify(), "used", "the next one uses the kept link");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), links);

    // A link the chain does not have counts for nothing; the file keeps it after the real ones.
    let other = format!("{}\n", "00".repeat(32));
    std::fs::write(&kept, &other).unwrap();
    assert_eq!(verify(), "kept");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), format!("{links}{other}"));
    // A file that does not parse, one its group or others may write, and (where the test may
    // give files away) another user's file, are ignored and replaced.
    let mut cases = vec![("not a link\n", 0o600, None), (links.as_str(), 0o620, None), (links.as_str(), 0o602, None)];
    if rustix::process::geteuid().is_root() {
        cases.push((links.as_str(), 0o600, Some(4242)));
    }
    for (text, perm, owner) in cases {
        std::fs::write(&kept, text).unwrap();
        chmod(&kept, perm);
        if let Some(uid) = owner {
            std::os::unix::fs::chown(&kept, Some(uid), None).unwrap();
        }
        assert_eq!(verify(), "kept", "{text:?} with mode {perm:o}, owner {owner:?}, is ignored");
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), links);
        assert_eq!(mode(&kept), 0o600);
        assert_eq!(std::fs::metadata(&kept).unwrap().uid(), rustix::process::geteuid().as_raw());
    }
    // Nor is a symbolic link followed (its target is left alone).
    let elsewhere = repo.home.path().join("links-elsewhere");
    std::fs::write(&elsewhere, &links).unwrap();
    std::fs::remove_file(&kept).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &kept).unwrap();
    assert_eq!(verify(), "kept", "a symbolic link is not read");
    assert!(std::fs::symlink_metadata(&kept).unwrap().is_file());
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), links);
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), links);
    // A directory others may write is neither read from nor written to.
    std::fs::write(&kept, &other).unwrap();
    chmod(&dir, 0o777);
    assert_eq!(verify(), "not kept");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), other);
    chmod(&dir, 0o700);
    assert_eq!(verify(), "kept");
    assert_eq!(verify(), "used");
}
