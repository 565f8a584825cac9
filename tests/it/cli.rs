//! gitsign's own command line, through the built binary: `--help` on every subcommand, clap's
//! errors for unknown or misplaced flags (exit 2), completions for each shell and man pages that
//! render, git's gpg command line still reaching the gpg front end, and the exit codes and JSON
//! verdicts of `gitsign verify` (0 good, 1 bad, 2 usage, 3 could not be checked).

use crate::common::*;
use std::process::{Command, Output};

const SUBCOMMANDS: [&str; 9] =
    ["verify", "verify-tag", "verify-blob", "sign-blob", "initialize", "credentials", "version", "completion", "man"];

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn gitsign(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(GITSIGN)
        .args(args)
        .env("HOME", home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GITSIGN_CREDENTIAL_CACHE")
        .output()
        .unwrap()
}

#[test]
fn help_works_on_every_subcommand() {
    for sub in SUBCOMMANDS {
        for how in [vec![sub, "--help"], vec!["help", sub]] {
            let out = gitsign(&how);
            assert_eq!(out.status.code(), Some(0), "{how:?}: {}", text(&out));
            let help = String::from_utf8_lossy(&out.stdout);
            assert!(help.contains(&format!("Usage: gitsign {sub}")), "{how:?}:\n{help}");
        }
    }
    let out = gitsign(&["verify", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--certificate-identity-regexp", "--certificate-oidc-issuer", "--insecure-ignore-tlog", "--output"] {
        assert!(help.contains(flag), "{flag} missing from verify --help:\n{help}");
    }
    let out = gitsign(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("git config gpg.x509.program gitsign"), "{help}");
    for sub in SUBCOMMANDS {
        assert!(help.contains(sub), "{sub} missing from --help:\n{help}");
    }
}

#[test]
fn unknown_and_misplaced_flags_are_usage_errors_with_suggestions() {
    // sign-blob takes no verification flags: --key used to be accepted and ignored.
    let out = gitsign(&["sign-blob", "--key", "k.pem", "--bundle", "b.json", "f.txt"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unexpected argument '--key'"), "{}", text(&out));
    // A typo: clap names the flag meant.
    let out = gitsign(&["verify", "--certificate-identiy", "a@example.com"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("tip: a similar argument exists: '--certificate-identity'"), "{}", text(&out));
    let out = gitsign(&["verfy"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("tip: some similar subcommands exist: ") && text(&out).contains("'verify'"));
    // verify-blob: --key and an identity are two different policies.
    let out = gitsign(&["verify-blob", "--bundle", "b", "--key", "k", "--certificate-identity", "a", "f"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("cannot be used with"), "{}", text(&out));
    // A bad regular expression is refused at parse time, naming the flag.
    let out = gitsign(&["verify", "--certificate-identity-regexp", "(", "HEAD"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--certificate-identity-regexp"), "{}", text(&out));
    // No command at all: the help, as a usage error.
    let out = gitsign(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: gitsign"), "{}", text(&out));
}

#[test]
fn gpg_command_lines_still_reach_the_gpg_front_end() {
    // git's own flags are not clap's: the gpg parser answers, in its words.
    let out = gitsign(&["--status-fd=2", "-z"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unknown option -z; gitsign is called by git as"), "{}", text(&out));
    let out = gitsign(&["--status-fd=1", "--verify"]);
    assert!(text(&out).contains("--verify needs the signature file"), "{}", text(&out));
    let out = gitsign(&["--version"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).starts_with("gitsign "), "{}", text(&out));
}

#[test]
fn completions_for_every_shell_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = gitsign(&["completion", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out));
        let script = String::from_utf8(out.stdout).unwrap();
        for sub in ["verify-tag", "verify-blob", "sign-blob", "initialize", "credentials"] {
            assert!(script.contains(sub), "{shell} completion lacks {sub}");
        }
        // fish writes `-l certificate-oidc-issuer`, the others `--certificate-oidc-issuer`.
        assert!(script.contains("certificate-oidc-issuer"), "{shell} completion lacks the policy flags");
        if shell == "bash" {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("gitsign.bash");
            std::fs::write(&path, &script).unwrap();
            let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
            assert!(check.status.success(), "bash -n refuses the completion: {}", text(&check));
        }
    }
    let out = gitsign(&["completion", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn man_pages_are_written_and_render() {
    let dir = tempfile::tempdir().unwrap();
    let out = gitsign(&["man", "--dir", &dir.path().display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for page in ["gitsign", "gitsign-verify", "gitsign-verify-tag", "gitsign-verify-blob", "gitsign-credentials-list"] {
        let path = dir.path().join(format!("{page}.1"));
        let roff = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(roff.starts_with(".ie") || roff.contains(".TH"), "{page}.1 is not roff:\n{roff}");
    }
    let Ok(groff) = Command::new("groff").args(["-man", "-Tutf8", "-ww", "-z"]).arg("/dev/null").output() else {
        return skip::skip("groff is not installed: the man pages were written but not rendered");
    };
    assert!(groff.status.success());
    let page = dir.path().join("gitsign-verify.1");
    // -P-cbou: plain text, no overstriking or escapes.
    let out = Command::new("groff").args(["-man", "-Tutf8", "-P-cbou"]).arg(&page).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let rendered = String::from_utf8_lossy(&out.stdout);
    assert!(rendered.contains("gitsign verify") && rendered.contains("--certificate-identity-regexp"), "{rendered}");
    assert!(rendered.contains("Exit codes:") && rendered.contains("3  a signature could not be checked"), "{rendered}");
    assert!(String::from_utf8_lossy(&out.stderr).trim().is_empty(), "groff warns: {}", text(&out));
}

/// The JSON records of a `gitsign verify --output json` run.
fn records(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// Asserts the exit code and that the one record's verdict and reason are the expected ones.
fn verdict(out: &Output, code: i32, verdict: &str, reason: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    let r = records(out);
    assert_eq!(r.len(), 1, "{}", text(out));
    assert_eq!(r[0]["verdict"], verdict, "{}", text(out));
    assert!(
        r[0]["reason"].as_str().unwrap_or_default().contains(reason),
        "reason should say {reason:?}: {}",
        text(out)
    );
}

#[test]
fn exit_codes_and_verdicts_tell_bad_from_unchecked() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    repo.ok(&["tag", "-s", "-m", "release", "v1"]);
    let verify = |args: &[&str]| repo.verifier("ann@example.com", args).output().unwrap();

    // 0: good.
    let out = verify(&["verify", "--output", "json", "HEAD"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(records(&out)[0]["verdict"], "good");
    assert!(text(&out).contains("1 good, 0 bad, 0 error, 0 unsigned"), "{}", text(&out));
    // 1: a tampered commit is bad, and says why.
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    std::fs::write(repo.path().join("altered"), raw.replace("signed", "s1gned")).unwrap();
    let altered = repo.ok(&["hash-object", "-t", "commit", "-w", "altered"]).trim().to_string();
    verdict(&verify(&["verify", "--output", "json", &altered]), 1, "bad", "the signed data was changed");
    // 1: a garbled signature is bad too (no retry makes it good).
    std::fs::write(repo.path().join("garbled"), raw.replacen("MII", "MIX", 1)).unwrap();
    let garbled = repo.ok(&["hash-object", "-t", "commit", "-w", "garbled"]).trim().to_string();
    let out = verify(&["verify", "--output", "json", &garbled]);
    assert_eq!((out.status.code(), records(&out)[0]["verdict"].as_str()), (Some(1), Some("bad")), "{}", text(&out));
    // 1: a good signature by someone the policy does not allow.
    let out = verify(&["verify", "--output", "json", "--certificate-identity", "bob@example.com", "HEAD"]);
    verdict(&out, 1, "bad", "expected \"bob@example.com\"");
    // 2: usage errors, from clap and from git.
    let out = verify(&["verify", "--output", "yaml", "HEAD"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("invalid value 'yaml' for '--output <FORMAT>'"), "{}", text(&out));
    let out = verify(&["verify", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("unknown revision"), "{}", text(&out));
    // 3: an object that cannot be read (a tag ref naming a missing object).
    std::fs::write(repo.path().join(".git/refs/tags/gone"), "1234567890123456789012345678901234567890\n").unwrap();
    let out = verify(&["verify-tag", "--output", "json", "gone"]);
    verdict(&out, 3, "error", "missing from the repository");
    assert!(text(&out).contains("0 good, 0 bad, 1 error, 0 unsigned"), "{}", text(&out));
    // One good and one unreadable: 3; add a bad one: 1 (bad outranks could-not-check).
    let out = verify(&["verify-tag", "--output", "json", "v1", "gone"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let verdicts: Vec<String> = records(&out).iter().map(|r| r["verdict"].as_str().unwrap().to_string()).collect();
    assert_eq!(verdicts, ["good", "error"]);
    repo.ok(&["tag", "-a", "-m", "unsigned", "plain"]);
    let out = verify(&["verify-tag", "--output", "json", "v1", "gone", "plain"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("1 good, 0 bad, 1 error, 1 unsigned"), "{}", text(&out));
    // 3: a commit whose object was deleted cannot be walked.
    let head = repo.ok(&["rev-parse", "HEAD"]).trim().to_string();
    std::fs::remove_file(repo.path().join(".git/objects").join(&head[..2]).join(&head[2..])).unwrap();
    let out = verify(&["verify", "HEAD"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("cannot read the objects to check: git rev-list: fatal: bad object"), "{}", text(&out));
}

#[test]
fn rekor_stopped_in_online_mode_is_an_error_not_a_bad_signature() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    repo.set_env("GITSIGN_REKOR_MODE", "online");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "online mode"]);
    let raw = repo.ok(&["cat-file", "commit", "HEAD"]);
    let out = repo.verifier("ann@example.com", &["verify", "--output", "json", "HEAD"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "looked up while Rekor runs: {}", text(&out));

    let Stack { dir: _dir, running } = stack;
    running.stop().unwrap();
    let out = repo.verifier("ann@example.com", &["verify", "--output", "json", "HEAD"]).output().unwrap();
    verdict(&out, 3, "error", "cannot reach");
    // --offline: the missing log entry is required, so the signature is refused (1), not unchecked.
    let out = repo.verifier("ann@example.com", &["verify", "--offline", "--output", "json", "HEAD"]).output().unwrap();
    verdict(&out, 1, "bad", "not embedded");
    // Under git: ERRSIG, and gitsign exits 3.
    let (payload, sig) = split_commit(&raw);
    std::fs::write(repo.path().join("sig"), sig).unwrap();
    let mut child = repo
        .command(GITSIGN)
        .args(["--status-fd=1", "--verify", "sig", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), payload.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(status.contains("[GNUPG:] ERRSIG ") && !status.contains("BADSIG"), "{status}");
    assert!(text(&out).contains("gitsign: cannot check the signature: ") && text(&out).contains("cannot reach"));
}

#[test]
fn human_output_has_readable_times_a_summary_and_no_escapes_in_pipes() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    let issuer = stack.running.urls().issuer.clone();
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    // Signing says who signed and gives the flags that check exactly that signer (on the
    // terminal under git; on stderr here, where there is none).
    let signing = sign_without_terminal(&repo, b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmsg\n");
    let said = format!(
        "gitsign: signer ann@example.com of issuer {issuer}; to check exactly this signer: gitsign verify \
         --certificate-identity ann@example.com --certificate-oidc-issuer {issuer}\n"
    );
    assert!(signing.status.success() && text(&signing).contains(&said), "{}", text(&signing));
    let out = repo.verifier("ann@example.com", &["verify", "HEAD"]).env_remove("NO_COLOR").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = text(&out);
    let time = regex::Regex::new(r"log index \d+ at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n").unwrap();
    assert!(time.is_match(&all), "{all}");
    assert!(all.contains("1 of 1 commits verified") && all.contains("1 good, 0 bad, 0 error, 0 unsigned"), "{all}");
    assert!(!all.contains('\u{1b}'), "escape codes in a pipe: {all:?}");
    let out = repo.git(&["verify-commit", "HEAD"]);
    let time = regex::Regex::new(r"on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n").unwrap();
    assert!(time.is_match(&text(&out)), "{}", text(&out));

    // A range of several hundred commits (unsigned, allowed): no bar and no escapes in a pipe.
    let mut import = String::new();
    for i in 1..=320 {
        import.push_str(&format!(
            "commit refs/heads/long\nmark :{i}\ncommitter A <a@example.com> {i} +0000\ndata 2\nc\n{}\n",
            if i > 1 { format!("from :{}\n", i - 1) } else { String::new() }
        ));
    }
    let mut child =
        repo.command("git").args(["fast-import", "--quiet"]).stdin(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), import.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let out = repo
        .verifier("ann@example.com", &["verify", "--allow-unsigned", "--all"])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("1 good, 0 bad, 0 error, 320 unsigned"), "{all}");
    assert!(!all.contains('\u{1b}') && !all.contains('\r'), "escape codes or a bar in a pipe: {all:?}");

    // On a terminal (script(1) gives one): verdicts in colour, unless NO_COLOR.
    if Command::new("script").arg("--version").output().is_err() {
        return skip::skip("script(1) (util-linux) is missing: colour on a terminal is not checked");
    }
    let on_tty = |no_color: Option<&str>| {
        let mut cmd = repo.command("script");
        let identity = format!("--certificate-identity ann@example.com --certificate-oidc-issuer {issuer}");
        cmd.args(["-qec", &format!("{GITSIGN} verify {identity} HEAD"), "/dev/null"]).env("TERM", "xterm");
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd.env_remove("NO_COLOR"),
        };
        text(&cmd.output().unwrap())
    };
    let coloured = on_tty(None);
    assert!(coloured.contains("\u{1b}[32mgood\u{1b}[0m"), "{coloured:?}");
    let plain = on_tty(Some("1"));
    assert!(plain.contains(" good  ann@example.com") && !plain.contains('\u{1b}'), "{plain:?}");
    // The long range on a terminal: a progress line while it runs (past 300 objects), cleared
    // before the summary.
    let long = repo
        .command("script")
        .args([
            "-qec",
            &format!(
                "{GITSIGN} verify --certificate-identity ann@example.com --certificate-oidc-issuer {issuer} \
                 --allow-unsigned --all"
            ),
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let long = text(&long);
    let bar = regex::Regex::new(r"gitsign: \S+ \d{3} commits checked \(").unwrap();
    assert!(bar.is_match(&long), "no progress line on a terminal: {long:?}");
    assert!(long.contains("1 good, 0 bad, 0 error, 320 unsigned"), "{long:?}");
    let (drawn, summary) = (long.find(" commits checked (").unwrap(), long.find("320 unsigned").unwrap());
    assert!(drawn < summary, "the bar comes before the summary: {long:?}");
}

#[test]
fn version_json_gives_the_version_and_every_setting() {
    let out = gitsign(&["version", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], env!("CARGO_PKG_VERSION"));
    let settings = doc["settings"].as_object().unwrap();
    assert_eq!(settings.len(), gitsign_core::config::SETTINGS.len(), "{doc}");
    assert_eq!(settings["matchCommitter"], "false", "{doc}");
    // The human form is unchanged.
    assert!(text(&gitsign(&["version"])).contains("effective configuration"));
}
