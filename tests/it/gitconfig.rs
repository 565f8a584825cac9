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

/// gitsign run directly (not by git) from `repo`'s work tree with `adjust` applied: the `fulcio`
/// it sees and the debug log's "git config:" line (how it read the configuration).
fn gitsign_direct(repo: &Repo, adjust: impl Fn(&mut Command)) -> (String, String) {
    let log = repo.home.path().join(format!("log-{}", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let mut c = repo.command(GITSIGN);
    c.arg("version").env("GITSIGN_LOG", &log).env("XDG_CACHE_HOME", repo.home.path().join(".cache"));
    adjust(&mut c);
    let out = c.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "gitsign version failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let fulcio = stdout
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some("fulcio")).then(|| words.next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| panic!("no fulcio line in:\n{stdout}"));
    let log = std::fs::read_to_string(&log).unwrap();
    let how = log
        .lines()
        .find_map(|l| l.split_once("git config: ").map(|(_, how)| how.to_string()))
        .unwrap_or_else(|| panic!("no `git config:` line in the debug log:\n{log}"));
    (fulcio, how)
}

/// Both git and gitsign (run directly) see `want`, and gitsign read the files itself or not.
fn direct_sees(repo: &Repo, adjust: impl Fn(&mut Command), want: &str, in_process: bool) -> String {
    let mut git = repo.command("git");
    adjust(&mut git);
    assert_eq!(git_sees(git, &[]), want, "git itself");
    let (fulcio, how) = gitsign_direct(repo, adjust);
    assert_eq!(fulcio, want, "gitsign ({how})");
    assert_eq!(how.starts_with("read in-process"), in_process, "{how}");
    how
}

#[test]
fn plain_configuration_is_read_in_process_and_agrees_with_git() {
    let mut repo = new_repo();
    let home = repo.home.path().to_path_buf();
    let none = |_: &mut Command| {};
    // Nothing set: the default, read in-process.
    direct_sees(&repo, none, DEFAULT, true);
    // ~/.gitconfig, then the XDG file under it (git reads the XDG file first, so ~/.gitconfig wins).
    write(&home.join(".gitconfig"), "[user]\n\tname = A\n[GitSign]\n\tFulcio = https://fulcio.home.example # c\n");
    std::fs::create_dir_all(home.join("xdg/git")).unwrap();
    write(&home.join("xdg/git/config"), "[gitsign]\nfulcio = https://fulcio.xdg.example\n");
    let xdg = |c: &mut Command| {
        c.env("XDG_CONFIG_HOME", home.join("xdg"));
    };
    direct_sees(&repo, xdg, "https://fulcio.home.example", true);
    std::fs::remove_file(home.join(".gitconfig")).unwrap();
    let how = direct_sees(&repo, xdg, "https://fulcio.xdg.example", true);
    assert!(how.contains("xdg/git/config"), "{how}");
    // The repository's file over the global ones, with subsections around.
    repo.ok(&["remote", "add", "origin", "https://example.com/r.git"]);
    repo.ok(&["config", "branch.main.remote", "origin"]);
    repo.ok(&["config", "gitsign.fulcio", "https://fulcio.repo.example"]);
    direct_sees(&repo, xdg, "https://fulcio.repo.example", true);
    // GIT_CONFIG_GLOBAL alone replaces the XDG file and ~/.gitconfig; GIT_CONFIG_SYSTEM is read first.
    repo.ok(&["config", "--unset", "gitsign.fulcio"]);
    write(&home.join("global.cfg"), "[gitsign]\n\tfulcio = https://fulcio.global.example\n");
    write(
        &home.join("system.cfg"),
        "[gitsign]\n\tfulcio = https://fulcio.system.example\n\trekor = https://rekor.system.example\n",
    );
    let global = |c: &mut Command| {
        c.env("XDG_CONFIG_HOME", home.join("xdg")).env("GIT_CONFIG_GLOBAL", home.join("global.cfg"));
    };
    direct_sees(&repo, global, "https://fulcio.global.example", true);
    let system = |c: &mut Command| {
        c.env("XDG_CONFIG_HOME", home.join("xdg"))
            .env_remove("GIT_CONFIG_NOSYSTEM")
            .env("GIT_CONFIG_SYSTEM", home.join("system.cfg"));
    };
    direct_sees(&repo, system, "https://fulcio.xdg.example", true);
    std::fs::remove_file(home.join("xdg/git/config")).unwrap();
    direct_sees(&repo, system, "https://fulcio.system.example", true);

    // An include is followed in-process (more in `includes_are_followed_in_process_as_git_follows_them`).
    write(&home.join(".gitconfig"), "[include]\n\tpath = global.cfg\n");
    let how = direct_sees(&repo, none, "https://fulcio.global.example", true);
    assert!(how.contains("global.cfg"), "{how}");
    // Whatever the in-process read cannot be sure of goes to git, which gives the answer.
    write(&home.join(".gitconfig"), "[gitsign]\n\tfulcio = \"https://fulcio.quoted.example\"\n");
    direct_sees(&repo, none, "https://fulcio.quoted.example", false);
    std::fs::remove_file(home.join(".gitconfig")).unwrap();
    repo.ok(&["config", "gitsign.fulcio", "https://fulcio.repo.example"]);
    let env_set = |c: &mut Command| {
        c.env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "gitsign.fulcio")
            .env("GIT_CONFIG_VALUE_0", "https://fulcio.count.example");
    };
    // git's pager sets GIT_PAGER_IN_USE for what it runs: no other view.
    direct_sees(
        &repo,
        |c: &mut Command| {
            c.env("GIT_PAGER_IN_USE", "true");
        },
        "https://fulcio.repo.example",
        true,
    );
    let how = direct_sees(&repo, env_set, "https://fulcio.count.example", false);
    assert!(how.contains("GIT_CONFIG_COUNT is set"), "{how}");
    let sub = repo.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let in_sub = |c: &mut Command| {
        c.current_dir(&sub);
    };
    direct_sees(&repo, in_sub, "https://fulcio.repo.example", false);
    repo.ok(&["config", "extensions.worktreeConfig", "true"]);
    direct_sees(&repo, none, "https://fulcio.repo.example", false);
    repo.ok(&["config", "--unset", "extensions.worktreeConfig"]);
    direct_sees(&repo, none, "https://fulcio.repo.example", true);
    // A path git normalises (`link/..` is lexical to git), a relative XDG_CONFIG_HOME.
    std::fs::create_dir_all(home.join("real/sub")).unwrap();
    std::os::unix::fs::symlink(home.join("real/sub"), home.join("link")).unwrap();
    write(&home.join("real/system.cfg"), "[gitsign]\n\tfulcio = https://fulcio.symlinked.example\n");
    let dotdot = |c: &mut Command| {
        c.env_remove("GIT_CONFIG_NOSYSTEM").env("GIT_CONFIG_SYSTEM", home.join("link/../system.cfg"));
    };
    let how = direct_sees(&repo, dotdot, "https://fulcio.repo.example", false);
    assert!(how.contains("GIT_CONFIG_SYSTEM is not an absolute, normal path"), "{how}");
    let relative_xdg = |c: &mut Command| {
        c.env("XDG_CONFIG_HOME", "xdg");
    };
    direct_sees(&repo, relative_xdg, "https://fulcio.repo.example", false);
    // A repository whose config lives elsewhere (commondir) or whose work tree is elsewhere.
    let common = home.join("common");
    for dir in ["objects", "refs"] {
        std::fs::create_dir_all(common.join(dir)).unwrap();
    }
    write(
        &common.join("config"),
        "[core]\n\trepositoryformatversion = 0\n[gitsign]\n\tfulcio = https://fulcio.common.example\n",
    );
    write(&repo.path().join(".git/commondir"), &format!("{}\n", common.display()));
    let how = direct_sees(&repo, none, "https://fulcio.common.example", false);
    assert!(how.contains("commondir"), "{how}");
    std::fs::remove_file(repo.path().join(".git/commondir")).unwrap();
    repo.ok(&["config", "core.worktree", repo.path().to_str().unwrap()]);
    direct_sees(&repo, none, "https://fulcio.repo.example", false);
    repo.ok(&["config", "--unset", "core.worktree"]);
    // A config git refuses: git config fails, and so does gitsign (not defaults in its place).
    repo.ok(&["config", "core.bare", "maybe"]);
    let out = repo.command(GITSIGN).arg("version").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("git config failed") && stdout.contains("core.bare"), "{stdout}");
    let config = repo.path().join(".git/config");
    let text = std::fs::read_to_string(&config).unwrap();
    write(&config, &text.replace("bare = maybe", "bare = false"));
    direct_sees(&repo, none, "https://fulcio.repo.example", true);

    // The system file of the git on PATH: learnt (`git var GIT_CONFIG_SYSTEM`) while git is
    // asked the first time, then read in-process.
    repo.set_env("PATH", &std::env::var("PATH").unwrap());
    let with_system = |c: &mut Command| {
        c.env_remove("GIT_CONFIG_NOSYSTEM");
    };
    let mut var = repo.command("git");
    var.env_remove("GIT_CONFIG_NOSYSTEM").args(["var", "GIT_CONFIG_SYSTEM"]);
    let system_file = String::from_utf8(var.output().unwrap().stdout).unwrap().trim_end().to_string();
    let how = direct_sees(&repo, with_system, "https://fulcio.repo.example", false);
    assert!(how.contains("system config file of this git is not known yet"), "{how}");
    let kept = std::fs::read_to_string(home.join(".cache/sigstore/gitsign/git-system-config")).unwrap();
    assert!(kept.ends_with(&format!("\n{system_file}\n")), "{kept:?} does not end with {system_file:?}");
    let how = direct_sees(&repo, with_system, "https://fulcio.repo.example", true);
    // Read in-process when it exists (it need not on this machine).
    if Path::new(&system_file).exists() {
        assert!(how.contains(&system_file), "{how}");
    }
    // The same git through a link: learnt the same. A copy elsewhere answers a system file its
    // new place cannot give (unless it is /etc/gitconfig): remembered as unusable, not asked again.
    let path_git =
        std::env::split_paths(&std::env::var_os("PATH").unwrap()).map(|d| d.join("git")).find(|g| g.is_file()).unwrap();
    for (dir, link) in [("linked-bin", true), ("copied-bin", false)] {
        let bin = home.join(dir);
        std::fs::create_dir(&bin).unwrap();
        if link {
            std::os::unix::fs::symlink(std::fs::canonicalize(&path_git).unwrap(), bin.join("git")).unwrap();
        } else {
            std::fs::copy(&path_git, bin.join("git")).unwrap();
        }
        repo.set_env("PATH", &format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()));
        let how = direct_sees(&repo, with_system, "https://fulcio.repo.example", false);
        assert!(how.contains("not known yet"), "{how}");
        let learnt = link || system_file == "/etc/gitconfig";
        let how = direct_sees(&repo, with_system, "https://fulcio.repo.example", learnt);
        if !learnt {
            assert!(how.contains("cannot be learnt"), "{how}");
        }
    }
    // Each binary keeps its record: the first git is still read in-process.
    repo.set_env("PATH", &std::env::var("PATH").unwrap());
    direct_sees(&repo, with_system, "https://fulcio.repo.example", true);
}

/// Includes and conditional includes are followed in-process, where they stand, as git follows
/// them (each case checked against `git config`); what the in-process read does not judge as git
/// does goes to git.
#[test]
fn includes_are_followed_in_process_as_git_follows_them() {
    let repo = new_repo();
    let home = repo.home.path().to_path_buf();
    let none = |_: &mut Command| {};
    let cfg = |path: &Path, host: &str| write(path, &format!("[gitsign]\n\tfulcio = https://{host}\n"));
    let global = |text: &str| write(&home.join(".gitconfig"), text);
    // include.path: relative to the including file, or under `~/`; taken where it stands.
    cfg(&home.join("a.cfg"), "a.example");
    global("[gitsign]\n\tfulcio = https://before.example\n[include]\n\tpath = a.cfg\n");
    let how = direct_sees(&repo, none, "https://a.example", true);
    assert!(how.contains("a.cfg"), "{how}");
    global("[include]\n\tpath = ~/a.cfg\n[gitsign]\n\tfulcio = https://after.example\n");
    direct_sees(&repo, none, "https://after.example", true);
    // The repository's file includes from .git/; includes nest; a missing file is skipped.
    std::fs::create_dir_all(home.join("nested")).unwrap();
    write(
        &repo.path().join(".git/r.cfg"),
        &format!("[include]\n\tpath = {}\n\tpath = missing.cfg\n", home.join("nested/b.cfg").display()),
    );
    write(&home.join("nested/b.cfg"), "[include]\n\tpath = c.cfg\n");
    cfg(&home.join("nested/c.cfg"), "c.example");
    repo.ok(&["config", "include.path", "r.cfg"]);
    let how = direct_sees(&repo, none, "https://c.example", true);
    assert!(how.contains("nested/c.cfg"), "{how}");
    repo.ok(&["config", "--unset", "include.path"]);

    // includeIf "gitdir:": absolute, relative (any directory above), `*` within one component,
    // `**` across, a trailing `/`, case (gitdir/i).
    let git_dir = repo.path().join(".git").canonicalize().unwrap();
    let work = git_dir.parent().unwrap();
    let (above, name) = (work.parent().unwrap(), work.file_name().unwrap().to_str().unwrap());
    cfg(&home.join("g.cfg"), "gitdir.example");
    let upper = work.display().to_string().to_uppercase();
    for (condition, holds) in [
        (format!("gitdir:{}/", work.display()), true),
        (format!("gitdir:{name}/"), true),
        (format!("gitdir:{}/*/.git", above.display()), true),
        (format!("gitdir:{}/*", above.display()), false),
        (format!("gitdir:{}/**", above.display()), true),
        (format!("gitdir:{}", work.display()), false),
        (format!("gitdir:{upper}/"), false),
        (format!("gitdir/i:{upper}/"), true),
        ("gitdir:/elsewhere/".to_string(), false),
        ("gitdir:~/".to_string(), false),
    ] {
        global(&format!("[includeIf \"{condition}\"]\n\tpath = g.cfg\n"));
        let want = if holds { "https://gitdir.example" } else { DEFAULT };
        direct_sees(&repo, none, want, true);
    }
    // `./`: from the real directory of the including file, matched literally.
    write(
        &repo.path().join("inc.cfg"),
        &format!("[includeIf \"gitdir:./.git\"]\n\tpath = {}\n", home.join("g.cfg").display()),
    );
    repo.ok(&["config", "include.path", "../inc.cfg"]);
    direct_sees(&repo, none, "https://gitdir.example", true);
    write(
        &repo.path().join("inc.cfg"),
        &format!("[includeIf \"gitdir:./.GIT\"]\n\tpath = {}\n", home.join("g.cfg").display()),
    );
    direct_sees(&repo, none, DEFAULT, true);
    write(
        &repo.path().join("inc.cfg"),
        &format!("[includeIf \"gitdir/i:./.GIT\"]\n\tpath = {}\n", home.join("g.cfg").display()),
    );
    direct_sees(&repo, none, "https://gitdir.example", true);
    repo.ok(&["config", "--unset", "include.path"]);

    // includeIf "onbranch:": the checked-out branch, `*` within one component, a trailing `/`.
    cfg(&home.join("b.cfg"), "onbranch.example");
    let on = |pattern: &str, holds: bool| {
        global(&format!("[includeIf \"onbranch:{pattern}\"]\n\tpath = b.cfg\n"));
        direct_sees(&repo, none, if holds { "https://onbranch.example" } else { DEFAULT }, true);
    };
    on("main", true);
    on("ma*", true);
    on("feat/", false);
    repo.ok(&["checkout", "-q", "-b", "feat/x"]);
    on("feat/", true);
    on("feat*", false);
    on("feat/**", true);
    repo.ok(&["-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "c"]);
    repo.ok(&["checkout", "-q", "--detach"]);
    on("feat/", false);
    repo.ok(&["checkout", "-q", "feat/x"]);
    // A branch whose ref is not a plain file of an object name, may be packed, or has a name git
    // may refuse: git resolves it (or refuses it), not the in-process read.
    let refs = repo.path().join(".git/refs/heads");
    let id = std::fs::read_to_string(refs.join("feat/x")).unwrap();
    let left_to_git = |why: &str| {
        let want = git_sees(repo.command("git"), &[]);
        let how = direct_sees(&repo, none, &want, false);
        assert!(how.contains(why), "{how}");
    };
    global("[includeIf \"onbranch:feat/\"]\n\tpath = b.cfg\n");
    write(&refs.join("feat/x"), "");
    left_to_git("not a plain object name");
    write(&refs.join("feat/x"), &id.to_uppercase());
    left_to_git("not a plain object name");
    // A link is a symbolic ref to git, never opened (here it names a FIFO: nothing may block).
    std::fs::remove_file(refs.join("feat/x")).unwrap();
    std::fs::create_dir_all(refs.join("feat/refs/heads")).unwrap();
    assert!(Command::new("mkfifo").arg(refs.join("feat/refs/heads/dev")).status().unwrap().success());
    std::os::unix::fs::symlink("refs/heads/dev", refs.join("feat/x")).unwrap();
    left_to_git("not a plain file");
    std::fs::remove_file(refs.join("feat/x")).unwrap();
    std::fs::remove_dir_all(refs.join("feat/refs")).unwrap();
    write(&refs.join("feat/x"), &id);
    on("feat/", true);
    // Packed (as `git gc` leaves it): read in-process; a `packed-refs` git would stop on: left to it.
    repo.ok(&["pack-refs", "--all"]);
    on("feat/", true);
    let packed = repo.path().join(".git/packed-refs");
    let text = std::fs::read_to_string(&packed).unwrap();
    // A stray line, and a peeled (`^`) line that follows no ref: git stops on both.
    for bad in [format!("{text}garbage line\n"), format!("^{}{text}", id)] {
        write(&packed, &bad);
        let out = repo.command(GITSIGN).arg("version").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{bad:?}: {stdout}");
        assert!(stdout.contains("packed-refs"), "{bad:?}: {stdout}");
    }
    write(&packed, &text);
    write(&repo.path().join(".git/HEAD"), "ref: refs/heads/feat/a..b\n");
    left_to_git("branch name that is not plain");
    write(&repo.path().join(".git/HEAD"), "ref: refs/heads/feat/x\n");
    // An object name of SHA-256's length in this SHA-1 repository: git does not read it.
    std::fs::create_dir_all(refs.join("feat")).unwrap();
    write(&refs.join("feat/x"), &format!("{}\n", "a".repeat(64)));
    left_to_git("not a plain object name");
    write(&refs.join("feat/x"), &id);
    // An include reaching this process's own open files (`/dev/fd/N`, a link to it, maybe from
    // a work tree): in the `git config` asked instead, those are git's (fd 3 is the config file
    // it reads), so only git can say.
    write(&repo.path().join("tracked.cfg"), "[include]\n\tpath = d/y\n");
    std::fs::create_dir_all(repo.path().join("d")).unwrap();
    std::os::unix::fs::symlink("/dev/fd/4", repo.path().join("d/y")).unwrap();
    global("");
    let config = repo.path().join(".git/config");
    let kept = std::fs::read_to_string(&config).unwrap();
    write(&config, &format!("{kept}[include]\n\tpath = ../tracked.cfg\n"));
    let want = git_sees(repo.command("git"), &[]);
    direct_sees(&repo, none, &want, false);
    write(&config, &kept);
    // `/dev/fd/3` is the including file itself to git, which then stops at its depth limit:
    // gitsign asks git, and fails with it.
    global("[include]\n\tpath = /dev/fd/3\n");
    let out = repo.command(GITSIGN).arg("version").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("git config failed") && stdout.contains("include depth"), "{stdout}");
    // A config file that is this process's standard input (`/dev/stdin`): the `git config` asked
    // instead reads its own.
    global("[include]\n\tpath = /dev/stdin\n");
    let (fulcio, how) = gitsign_direct(&repo, |c| {
        c.stdin(std::fs::File::open(home.join("b.cfg")).unwrap());
    });
    assert_eq!(fulcio, DEFAULT, "{how}");
    assert!(how.contains("procfs"), "{how}");
    // A path through procfs, even one that leaves it again (`/proc/self/..`: another directory
    // in git's process when it goes on to the task): left to git.
    global(&format!("[include]\n\tpath = /proc/self/../..{}\n", home.join("b.cfg").display()));
    let how = direct_sees(&repo, none, "https://onbranch.example", false);
    assert!(how.contains("procfs"), "{how}");
    // A file named as a directory (`b.cfg/`: git skips it), and a path past the kernel's length
    // limit (git stops): left to git.
    for path in ["b.cfg/", "b.cfg/.", "./b.cfg//."] {
        global(&format!("[include]\n\tpath = {path}\n"));
        let how = direct_sees(&repo, none, DEFAULT, false);
        assert!(how.contains("a file where a directory must be"), "{path}: {how}");
    }
    global(&format!("[include]\n\tpath = {}missing.cfg\n", "./".repeat(2100)));
    let out = repo.command(GITSIGN).arg("version").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("git config failed"), "{stdout}");
    // A dangling link is a missing file, and a link to /dev/null an empty one, for git and gitsign.
    std::fs::remove_file(home.join(".gitconfig")).unwrap();
    std::os::unix::fs::symlink(home.join("dotfiles/missing"), home.join(".gitconfig")).unwrap();
    direct_sees(&repo, none, DEFAULT, true);
    std::fs::remove_file(home.join(".gitconfig")).unwrap();
    std::os::unix::fs::symlink("/dev/null", home.join(".gitconfig")).unwrap();
    direct_sees(&repo, none, DEFAULT, true);
    std::fs::remove_file(home.join(".gitconfig")).unwrap();

    // Left to git: conditions it judges by other files or does not know, `~user`,
    // `%(prefix)`, and a gitdir condition when `$PWD` reaches the repository through a link.
    for (text, reason) in [
        ("[includeIf \"hasconfig:remote.*.url:https://x/**\"]\n\tpath = b.cfg\n", "condition other than"),
        ("[includeIf \"unknown:x\"]\n\tpath = b.cfg\n", "condition other than"),
        ("[include]\n\tpath = ~nobody/b.cfg\n", "another user's home"),
        ("[include]\n\tpath = %(prefix)/b.cfg\n", "%(prefix)"),
    ] {
        global(text);
        let how = direct_sees(&repo, none, DEFAULT, false);
        assert!(how.contains(reason), "{text:?}: {how}");
    }
    // git judges an includeIf's condition for every key, and stops when it cannot: so does
    // gitsign (a home with no real path, for `~`).
    write(
        &home.join("cond.cfg"),
        "[gitsign]\n\tfulcio = https://mine.example\n[includeIf \"gitdir:~/x/\"]\n\tfoo = 1\n",
    );
    let out = repo
        .command(GITSIGN)
        .arg("version")
        .env("GIT_CONFIG_GLOBAL", home.join("cond.cfg"))
        .env("HOME", home.join("no/such"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("git config failed"), "{stdout}");
    // An include git refuses: git's error, not a view without it.
    global("[include]\n\tpath\n");
    let out = repo.command(GITSIGN).arg("version").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("git config failed") && stdout.contains("include.path"), "{stdout}");
    // `$PWD` naming the repository by another path: through a link, or spelt otherwise (git
    // compares the strings, then matches that path too).
    let link = home.join("link-to-work");
    std::os::unix::fs::symlink(work, &link).unwrap();
    for pwd in [link.display().to_string(), format!("{}/./{name}", above.display())] {
        global(&format!("[includeIf \"gitdir:{pwd}/\"]\n\tpath = g.cfg\n"));
        let mut git = repo.command("git");
        git.env("PWD", &pwd);
        let want = git_sees(git, &[]);
        let how = direct_sees(
            &repo,
            |c: &mut Command| {
                c.env("PWD", &pwd);
            },
            &want,
            false,
        );
        assert!(how.contains("$PWD names by another path"), "{pwd}: {how}");
    }
    // The same condition with `$PWD` the real path: no link, judged in-process.
    direct_sees(
        &repo,
        |c: &mut Command| {
            c.env("PWD", work);
        },
        DEFAULT,
        true,
    );
}

/// The in-process reader's syntax against git's own parser (`git config --file F --list`) on
/// generated files: whatever it reads, git reads the same; the rest it declines.
#[test]
fn plain_config_syntax_reads_as_git_reads_it() {
    use gitsign_core::gitconfig::parse;
    // Lines git reads one way (and a few it refuses), and lines of the syntax left to git.
    const PLAIN: &[&str] = &[
        "[a]",
        "[GitSign]",
        "[remote \"Or igin\"]",
        "[a \"b]c#d\"]",
        "[a\t\"t\"] # c",
        "[a] ; c",
        "[]",
        "[ a]",
        "[a \"s\" ]",
        "k = v",
        "Key=Value",
        "k",
        "k =",
        "k = a  b  ",
        "k = v # c",
        "k = v;c",
        "k-2 = é",
        "1k = v",
        "k_x = v",
        "k v",
        "k # c",
        "# comment",
        "; comment",
        "",
        "   ",
        "\tk = v",
        "k = [x]",
        "k = =",
    ];
    const ODD: &[&str] =
        &["[a.b]", "[a] k = v", "[a \"\"]", "k = \"q\"", "k = a\\", "k = \\t", "k = a\tb", "k = v\r", "k = v\u{b}"];
    let repo = new_repo();
    let file = repo.home.path().join("generated.cfg");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut read, mut declined) = (0, 0);
    for i in 0..600 {
        let lines = 1 + next() % 6;
        let mut text = if i % 4 == 0 { String::new() } else { "[s]\n".to_string() };
        for _ in 0..lines {
            let pieces = if next() % 10 == 0 { ODD } else { PLAIN };
            text.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            text.push('\n');
        }
        std::fs::write(&file, &text).unwrap();
        let Ok(entries) = parse(text.as_bytes()) else {
            declined += 1;
            continue;
        };
        read += 1;
        let out = repo.git(&["config", "--file", file.to_str().unwrap(), "--null", "--list"]);
        assert!(out.status.success(), "git refuses what was read in-process: {text:?}");
        let git: Vec<(String, Option<String>)> = out
            .stdout
            .split(|b| *b == 0)
            .filter(|i| !i.is_empty())
            .map(|i| {
                let item = String::from_utf8(i.to_vec()).unwrap();
                match item.split_once('\n') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (item, None),
                }
            })
            .collect();
        let ours: Vec<(String, Option<String>)> = entries
            .iter()
            .map(|e| {
                let sub = e.subsection.as_ref().map(|s| format!(".{s}")).unwrap_or_default();
                (format!("{}{sub}.{}", e.section, e.key), e.value.clone())
            })
            .collect();
        assert_eq!(ours, git, "for {text:?}");
    }
    eprintln!("plain config syntax: {read} files read in-process and the same for git, {declined} declined");
    assert!(read >= 100 && declined >= 100, "the generated files are too one-sided: {read} read, {declined} declined");
}
