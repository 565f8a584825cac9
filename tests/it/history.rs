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
    let verify = |args: &[&str]| repo.command(GITSIGN).arg("verify").args(args).output().unwrap();

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

    let out =
        repo.command(GITSIGN).args(["verify-tag", "--certificate-identity", "ann@example.com", "v1"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = repo.command(GITSIGN).args(["verify", "--output", "yaml", "HEAD"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
