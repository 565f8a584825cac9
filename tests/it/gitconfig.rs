//! gitsign reads `gitsign.*` exactly as git sees it: includes, conditional includes (`gitdir:`,
//! `onbranch:`, `hasconfig:remote.*.url:`), `GIT_CONFIG_GLOBAL` / `GIT_CONFIG_SYSTEM` /
//! `GIT_CONFIG_NOSYSTEM`, `GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n`, `git -c`
//! (`GIT_CONFIG_PARAMETERS`), per-worktree config and `GIT_DIR`. Each test sets `gitsign.fulcio`
//! one of these ways and asks both git (`git config --get`) and gitsign (`gitsign version`, run by
//! git as a shell alias, so with the environment git gives the programs it runs) what it is.

use crate::common::*;
use std::path::Path;
use std::process::Command;

const DEFAULT: &str = "https://fulcio.sigstore.dev";

fn new_repo() -> Repo {
    Repo::with_env(vec![])
}

/// The `fulcio` line of `gitsign version` run by `git GIT_ARGS gsv` from `cmd`'s directory.
fn gitsign_sees(mut git: Command, git_args: &[&str]) -> String {
    let alias = format!("alias.gsv=!'{GITSIGN}' version");
    let out = git.args(["-c", &alias]).args(git_args).arg("gsv").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "gitsign version failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("fulcio")).then(|| words.next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| panic!("no fulcio line in:\n{stdout}"))
}

/// What `git GIT_ARGS config --get gitsign.fulcio` says (the default when unset).
fn git_sees(mut git: Command, git_args: &[&str]) -> String {
    let out = git.args(git_args).args(["config", "--get", "gitsign.fulcio"]).output().unwrap();
    match out.status.code() {
        Some(0) => String::from_utf8_lossy(&out.stdout).trim_end().to_string(),
        Some(1) => DEFAULT.to_string(),
        _ => panic!("git config failed: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

/// Both git and gitsign see `want`, running git from `make()`'s command.
fn both_see(make: impl Fn() -> Command, git_args: &[&str], want: &str) {
    assert_eq!(git_sees(make(), git_args), want, "git itself");
    assert_eq!(gitsign_sees(make(), git_args), want, "gitsign (git sees {want})");
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn include_path_relative_to_the_including_file() {
    let repo = new_repo();
    write(&repo.path().join(".git/extra.cfg"), "[gitsign]\n\tfulcio = https://fulcio.include.example\n");
    repo.ok(&["config", "include.path", "extra.cfg"]);
    both_see(|| repo.command("git"), &[], "https://fulcio.include.example");
}

#[test]
fn include_if_gitdir_applies_to_the_matching_repository_only() {
    let repo = new_repo();
    let other = new_repo();
    write(&repo.home.path().join("inc.cfg"), "[gitsign]\n\tfulcio = https://fulcio.gitdir.example\n");
    let dir = repo.path().canonicalize().unwrap();
    write(
        &repo.home.path().join(".gitconfig"),
        &format!(
            "[includeIf \"gitdir:{}/\"]\n\tpath = {}\n",
            dir.display(),
            repo.home.path().join("inc.cfg").display()
        ),
    );
    both_see(|| repo.command("git"), &[], "https://fulcio.gitdir.example");
    // The same global config, another repository: the condition does not hold.
    let other_in_same_home = || {
        let mut c = other.command("git");
        c.env("HOME", repo.home.path());
        c
    };
    both_see(other_in_same_home, &[], DEFAULT);
}

#[test]
fn include_if_onbranch_follows_the_checked_out_branch() {
    let repo = new_repo();
    write(&repo.path().join(".git/main.cfg"), "[gitsign]\n\tfulcio = https://fulcio.onbranch.example\n");
    repo.ok(&["config", "includeIf.onbranch:main.path", "main.cfg"]);
    both_see(|| repo.command("git"), &[], "https://fulcio.onbranch.example");
    repo.ok(&["checkout", "-q", "-b", "topic"]);
    both_see(|| repo.command("git"), &[], DEFAULT);
}

#[test]
fn include_if_hasconfig_remote_url() {
    let repo = new_repo();
    write(&repo.home.path().join("inc.cfg"), "[gitsign]\n\tfulcio = https://fulcio.hasconfig.example\n");
    write(
        &repo.home.path().join(".gitconfig"),
        &format!(
            "[includeIf \"hasconfig:remote.*.url:https://forge.example/**\"]\n\tpath = {}\n",
            repo.home.path().join("inc.cfg").display()
        ),
    );
    both_see(|| repo.command("git"), &[], DEFAULT);
    repo.ok(&["remote", "add", "origin", "https://forge.example/team/project.git"]);
    both_see(|| repo.command("git"), &[], "https://fulcio.hasconfig.example");
}

#[test]
fn git_config_global_and_system_and_nosystem() {
    let repo = new_repo();
    let global = repo.home.path().join("global.cfg");
    let system = repo.home.path().join("system.cfg");
    write(&global, "[gitsign]\n\tfulcio = https://fulcio.global.example\n");
    write(&system, "[gitsign]\n\tfulcio = https://fulcio.system.example\n");
    write(&repo.home.path().join(".gitconfig"), "[gitsign]\n\tfulcio = https://fulcio.home.example\n");
    both_see(|| repo.command("git"), &[], "https://fulcio.home.example");
    // GIT_CONFIG_GLOBAL replaces ~/.gitconfig.
    let with_global = || {
        let mut c = repo.command("git");
        c.env("GIT_CONFIG_GLOBAL", &global);
        c
    };
    both_see(with_global, &[], "https://fulcio.global.example");
    // GIT_CONFIG_SYSTEM is read unless GIT_CONFIG_NOSYSTEM is set; global wins over system.
    let system_only = |nosystem: bool| {
        let mut c = repo.command("git");
        c.env("GIT_CONFIG_GLOBAL", "/dev/null").env("GIT_CONFIG_SYSTEM", &system);
        if !nosystem {
            c.env_remove("GIT_CONFIG_NOSYSTEM");
        }
        c
    };
    both_see(|| system_only(false), &[], "https://fulcio.system.example");
    both_see(|| system_only(true), &[], DEFAULT);
    let both = || {
        let mut c = repo.command("git");
        c.env("GIT_CONFIG_GLOBAL", &global).env("GIT_CONFIG_SYSTEM", &system).env_remove("GIT_CONFIG_NOSYSTEM");
        c
    };
    both_see(both, &[], "https://fulcio.global.example");
}

#[test]
fn git_config_count_key_value_override_the_files() {
    let repo = new_repo();
    repo.ok(&["config", "gitsign.fulcio", "https://fulcio.repo.example"]);
    let counted = || {
        let mut c = repo.command("git");
        c.env("GIT_CONFIG_COUNT", "2")
            .env("GIT_CONFIG_KEY_0", "gitsign.fulcio")
            .env("GIT_CONFIG_VALUE_0", "https://fulcio.count0.example")
            .env("GIT_CONFIG_KEY_1", "gitsign.fulcio")
            .env("GIT_CONFIG_VALUE_1", "https://fulcio.count1.example");
        c
    };
    both_see(counted, &[], "https://fulcio.count1.example");
    both_see(|| repo.command("git"), &[], "https://fulcio.repo.example");
}

#[test]
fn git_dash_c_overrides_the_files() {
    let repo = new_repo();
    repo.ok(&["config", "gitsign.fulcio", "https://fulcio.repo.example"]);
    both_see(
        || repo.command("git"),
        &["-c", "gitsign.fulcio=https://fulcio.dash-c.example"],
        "https://fulcio.dash-c.example",
    );
    // git hands `-c` to the programs it runs in GIT_CONFIG_PARAMETERS, also through a nested git.
    both_see(
        || repo.command("git"),
        &["-c", "GitSign.Fulcio=https://fulcio.mixed-case.example"],
        "https://fulcio.mixed-case.example",
    );
}

#[test]
fn worktree_config_applies_to_its_worktree_only() {
    let repo = new_repo();
    repo.ok(&["commit", "-q", "--allow-empty", "-m", "first"]);
    repo.ok(&["config", "extensions.worktreeConfig", "true"]);
    repo.ok(&["config", "gitsign.fulcio", "https://fulcio.shared.example"]);
    let linked = repo.home.path().join("linked");
    repo.ok(&["worktree", "add", "-q", "-b", "side", linked.to_str().unwrap()]);
    let in_linked = || {
        let mut c = repo.command("git");
        c.current_dir(&linked);
        c
    };
    let out = in_linked().args(["config", "--worktree", "gitsign.fulcio", "https://fulcio.worktree.example"]).output();
    assert!(out.unwrap().status.success());
    both_see(in_linked, &[], "https://fulcio.worktree.example");
    both_see(|| repo.command("git"), &[], "https://fulcio.shared.example");
}

#[test]
fn git_dir_from_the_environment() {
    let repo = new_repo();
    repo.ok(&["config", "gitsign.fulcio", "https://fulcio.git-dir.example"]);
    let outside = tempfile::tempdir().unwrap();
    let with_git_dir = || {
        let mut c = repo.command("git");
        c.current_dir(outside.path()).env("GIT_DIR", repo.path().join(".git"));
        c
    };
    both_see(with_git_dir, &[], "https://fulcio.git-dir.example");
    // Run directly (not by git) from outside any repository, gitsign sees the GIT_DIR one too.
    let out = repo
        .command(GITSIGN)
        .current_dir(outside.path())
        .env("GIT_DIR", repo.path().join(".git"))
        .arg("version")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("https://fulcio.git-dir.example"), "{stdout}");
}

#[test]
fn the_last_value_wins_and_keys_are_case_insensitive() {
    let repo = new_repo();
    write(&repo.home.path().join(".gitconfig"), "[gitsign]\n\tfulcio = https://fulcio.home.example\n");
    repo.ok(&["config", "GITSIGN.FULCIO", "https://fulcio.first.example"]);
    repo.ok(&["config", "--add", "gitsign.Fulcio", "https://fulcio.last.example"]);
    both_see(|| repo.command("git"), &[], "https://fulcio.last.example");
}
