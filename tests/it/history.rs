//! `gitsign verify` over ranges: every commit checked, unsigned and bad commits reported (as a
//! table, or one JSON record per commit), `--allow-unsigned`, and `gitsign verify-tag`.

use crate::common::*;

#[test]
fn ranges_json_unsigned_and_bad_commits() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    for i in 0..5 {
        repo.stage("f.txt", &format!("{i}\n"));
        repo.ok(&["commit", "-S", "-q", "-m", &format!("signed {i}")]);
    }
    repo.ok(&["tag", "-s", "-m", "release", "v1"]);
    let verify = |args: &[&str]| repo.verifier("ann@example.com", &[&["verify"], args].concat()).output().unwrap();

    let out = verify(&["--certificate-identity", "ann@example.com", "--all"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("5 of 5 commits verified"));
    let out = verify(&["--output", "json", "HEAD~2..HEAD"]);
    let records: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 2);
    assert!(
        records.iter().all(|r| r["verdict"] == "good" && r["signer"] == "ann@example.com" && r["log_index"].is_u64())
    );
    // Another identity: every commit fails, with the reason.
    let out = verify(&["--certificate-identity", "bob@example.com", "--output", "json", "--all"]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text.lines().filter(|l| l.contains("\"verdict\":\"bad\"") && l.contains("bob@example.com")).count(),
        5,
        "{text}"
    );

    // An unsigned commit on top: a failure unless allowed.
    repo.stage("f.txt", "unsigned\n");
    repo.ok(&["commit", "-q", "--no-gpg-sign", "-m", "unsigned"]);
    let out = verify(&["--all"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("not signed"));
    let out = verify(&["--allow-unsigned", "--all"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // An altered commit in the range: named in the table.
    let raw = repo.ok(&["cat-file", "commit", "HEAD~1"]);
    std::fs::write(repo.path().join("altered"), raw.replace("signed 4", "signed 5")).unwrap();
    let sha = repo.ok(&["hash-object", "-t", "commit", "-w", "altered"]).trim().to_string();
    let out = verify(&[&sha]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&sha) && text.contains("the signed data was changed"), "{text}");

    let out = repo
        .verifier("ann@example.com", &["verify-tag", "--certificate-identity", "ann@example.com", "v1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = repo.verifier("ann@example.com", &["verify", "--output", "yaml", "HEAD"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn verify_requires_an_identity_and_an_issuer_from_flags_or_git_config() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("f.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "one"]);
    repo.ok(&["tag", "-s", "-m", "release", "v1"]);
    let issuer = stack.running.urls().issuer.clone();
    let run = |args: &[&str]| {
        let out = repo.command(GITSIGN).args(args).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    // Neither: refused as a usage error naming both, before any commit is looked at.
    let (code, err) = run(&["verify", "HEAD"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("gitsign verify checks WHO signed") && err.contains("missing the identity"), "{err}");
    assert!(err.contains("and the OIDC issuer") && !err.contains("verified"), "{err}");
    // Only one of the two: the other is named.
    let (code, err) = run(&["verify", "--certificate-identity", "ann@example.com", "HEAD"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("missing the OIDC issuer") && !err.contains("missing the identity"), "{err}");
    let (code, err) = run(&["verify-tag", "--certificate-oidc-issuer", &issuer, "v1"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("gitsign verify-tag") && err.contains("missing the identity"), "{err}");
    // Both flags: verified.
    let (code, err) =
        run(&["verify", "--certificate-identity", "ann@example.com", "--certificate-oidc-issuer", &issuer]);
    assert_eq!(code, Some(0), "{err}");
    // git config gives them too, and the flags still win over it.
    repo.ok(&["config", "gitsign.certificateIdentity", "ann@example.com"]);
    let (code, err) = run(&["verify", "HEAD"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("missing the OIDC issuer"), "{err}");
    repo.ok(&["config", "gitsign.certificateOidcIssuerRegexp", "http://127[.]0[.]0[.]1:[0-9]+.*"]);
    let (code, err) = run(&["verify", "HEAD"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run(&["verify-tag", "v1"]);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run(&["verify", "--certificate-identity", "bob@example.com", "HEAD"]);
    assert_eq!(code, Some(1), "{err}");
}
