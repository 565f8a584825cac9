//! Settings under real git and the devstack: a signing-only setting never touches verification,
//! unknown keys are warned about (once; unsupported settings: core's config tests, as every
//! setting is supported now), and every command resolves the configuration in the same place (so
//! `gitsign.logPath` reaches `gitsign verify`).

use crate::common::*;

fn signed_repo(stack: &Stack) -> Repo {
    let repo = Repo::new(stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    repo
}

const PAYLOAD: &[u8] =
    b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nm\n";

#[test]
fn a_bad_signing_only_setting_leaves_a_good_signature_good_under_git() {
    let stack = Stack::start();
    let repo = signed_repo(&stack);
    repo.ok(&["config", "gitsign.rekorMode", "sometimes"]);
    repo.ok(&["config", "gitsign.tokenProvider", "carrier-pigeon"]);
    repo.ok(&["config", "gitsign.timestampServerURL", "https://tsa.invalid"]);
    let out = repo.git(&["verify-commit", "--raw", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("[GNUPG:] GOODSIG ") && !stderr.contains("ERRSIG"), "{stderr}");
    assert!(!stderr.contains("not supported"), "verification must not even look at signing-only settings: {stderr}");
    let out = repo.verifier("ann@example.com", &["verify", "HEAD"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Signing reads them: the bad value stops it, named with what was expected.
    let out = sign_without_terminal(&repo, PAYLOAD);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("gitsign.rekorMode = \"sometimes\": online or offline"), "{stderr}");
}

#[test]
fn autoclose_timeout_is_read_when_signing_and_never_when_verifying() {
    // Once the Go gitsign's one unsupported setting: now parsed, so a bad value is an error
    // naming its source when signing, a good one says nothing, and verification ignores it.
    let stack = Stack::start();
    let mut repo = signed_repo(&stack);
    repo.ok(&["config", "gitsign.autocloseTimeout", "5"]);
    let out = sign_without_terminal(&repo, PAYLOAD);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("[GNUPG:] SIG_CREATED") && !stderr.contains("warning"), "{stderr}");
    repo.set_env("GITSIGN_AUTOCLOSE_TIMEOUT", "soon");
    let out = sign_without_terminal(&repo, PAYLOAD);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("GITSIGN_AUTOCLOSE_TIMEOUT = \"soon\": a whole number of seconds"), "{stderr}");
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("Good signature"), "{stderr}");
    assert!(!stderr.contains("AUTOCLOSE"), "{stderr}");
}

#[test]
fn an_unknown_key_warns_with_the_nearest_name() {
    let stack = Stack::start();
    let repo = signed_repo(&stack);
    repo.ok(&["config", "gitsign.conectorID", "https://github.com/login/oauth"]);
    let want =
        "gitsign: warning: gitsign.conectorid is not a gitsign setting; ignored (did you mean gitsign.connectorID?)";
    let out = repo.verifier("ann@example.com", &["verify", "HEAD"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches(want).count(), 1, "{stderr}");
    let out = repo.git(&["verify-commit", "HEAD"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.contains("Good signature"), "{stderr}");
    assert_eq!(stderr.matches(want).count(), 1, "{stderr}");
    let out = sign_without_terminal(&repo, PAYLOAD);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stderr.matches(want).count(), 1, "{stderr}");
}

#[test]
fn gitsign_verify_honours_log_path() {
    let stack = Stack::start();
    let repo = signed_repo(&stack);
    let log = repo.home.path().join("gitsign.log");
    repo.ok(&["config", "gitsign.logPath", &log.display().to_string()]);
    let out = repo.verifier("ann@example.com", &["verify", "HEAD"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&log)
        .unwrap_or_else(|e| panic!("gitsign verify wrote no log at {}: {e}", log.display()));
    assert!(text.contains("configuration: fulcio"), "{text}");
    // Verdicts and errors go to the log too, under gitsign verify and under git.
    assert!(text.contains("verify: 1 commits: 1 good, 0 bad, 0 error, 0 unsigned"), "{text}");
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("verification: good signature from ann@example.com ("), "{text}");
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    let out = repo.verifier("other@example.com", &["verify", "HEAD"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(&format!(
            "verify {head}: bad: the certificate identity is [\"ann@example.com\"], expected \"other@example.com\""
        )) && text.contains("verify: 1 commits: 0 good, 1 bad, 0 error, 0 unsigned"),
        "{text}"
    );
}
