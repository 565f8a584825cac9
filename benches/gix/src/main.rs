//! Issue 16's gix measurement: reading a history's objects and a repository's `gitsign.*` config
//! in-process with gix, against what gitsign does (`git cat-file --batch --buffer` through a
//! pipe; `git config --null --get-regexp` in a subprocess when its own reader is not sure), in
//! one run, side by side, and whether gix gives git's view of the config.
//!
//! Usage: gix-compare REPO [ROUNDS]   (see benches/gix.sh)
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

type Failure = Box<dyn std::error::Error>;

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let repo = args.next().ok_or("usage: gix-compare REPO [ROUNDS]")?;
    if repo == "--gix-config" {
        let dir = args.next().ok_or("--gix-config DIR N")?;
        let n = args.next().ok_or("--gix-config DIR N")?.parse()?;
        return gix_config(Path::new(&dir), n);
    }
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let repo = Path::new(&repo);
    objects(repo, rounds)?;
    config(rounds, false)?;
    config(rounds, true)?;
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Every commit reachable from HEAD read whole, both ways, alternating; both must read the
/// same bytes.
fn objects(repo: &Path, rounds: usize) -> Result<(), Failure> {
    let out = Command::new("git").arg("-C").arg(repo).args(["rev-list", "HEAD"]).output()?;
    let ids: Vec<String> = String::from_utf8(out.stdout)?.lines().map(str::to_string).collect();
    let (mut by_git, mut by_gix) = (Vec::new(), Vec::new());
    let (mut git_bytes, mut gix_bytes) = (0, 0);
    for _ in 0..rounds {
        let t = Instant::now();
        git_bytes = cat_file(repo, &ids)?;
        by_git.push(t.elapsed());
        let t = Instant::now();
        let r = gix::open(repo)?;
        let mut n = 0;
        for id in &ids {
            n += r.find_object(gix::ObjectId::from_hex(id.as_bytes())?)?.data.len();
        }
        gix_bytes = n;
        by_gix.push(t.elapsed());
    }
    if git_bytes != gix_bytes {
        return Err(format!("git read {git_bytes} bytes, gix {gix_bytes}").into());
    }
    let (git, gix) = (median(by_git), median(by_gix));
    println!(
        "objects: {} commits ({} bytes), median of {rounds}: git cat-file --batch --buffer {:.1} ms, \
         gix find_object (one thread) {:.1} ms; gix / git = {:.2}",
        ids.len(),
        git_bytes,
        git.as_secs_f64() * 1e3,
        gix.as_secs_f64() * 1e3,
        gix.as_secs_f64() / git.as_secs_f64()
    );
    Ok(())
}

/// What gitsign's history reader does: ids in, `<id> commit <size>\n<data>\n` out.
fn cat_file(repo: &Path, ids: &[String]) -> Result<usize, Failure> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "--batch", "--buffer"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let mut out = BufReader::with_capacity(1 << 16, child.stdout.take().ok_or("no stdout")?);
    let (mut total, mut header, mut data) = (0, String::new(), Vec::new());
    for _ in ids {
        header.clear();
        out.read_line(&mut header)?;
        let size: usize = header.trim_end().rsplit(' ').next().ok_or("no size")?.parse()?;
        data.resize(size + 1, 0);
        out.read_exact(&mut data)?;
        total += size;
    }
    writer.join().map_err(|_| "writer panicked")??;
    child.wait()?;
    Ok(total)
}

/// `gitsign.*` as `git config` gives it.
fn by_git(dir: &Path, env: &[(&str, &str)]) -> Result<BTreeMap<String, String>, Failure> {
    let out = Command::new("git")
        .current_dir(dir)
        .envs(env.iter().copied())
        .args(["config", "--null", "--get-regexp", r"^gitsign\."])
        .stdin(Stdio::null())
        .output()?;
    let mut map = BTreeMap::new();
    for item in out.stdout.split(|b| *b == 0).filter(|i| !i.is_empty()) {
        let text = String::from_utf8_lossy(item);
        let (key, value) = text.split_once('\n').unwrap_or((&text, ""));
        map.insert(key.trim_start_matches("gitsign.").to_ascii_lowercase(), value.to_string());
    }
    Ok(map)
}

/// `gitsign.*` as gix gives it (gix reads the process environment itself: see [`config`]).
fn by_gix(dir: &Path) -> Result<BTreeMap<String, String>, Failure> {
    let repo = gix::discover(dir)?;
    let snapshot = repo.config_snapshot();
    let mut map = BTreeMap::new();
    if let Some(sections) = snapshot.plumbing().sections_by_name("gitsign") {
        for section in sections.filter(|s| s.header().subsection_name().is_none()) {
            let body = section.body();
            for name in body.value_names() {
                if let Some(value) = body.values(&name).last() {
                    map.insert(name.to_ascii_lowercase(), value.to_string());
                }
            }
        }
    }
    Ok(map)
}

/// A repository whose `gitsign.*` comes from the repository file, an include, a conditional
/// include and `GIT_CONFIG_COUNT`; each reader's view and cost. gix reads the process
/// environment itself, so its side runs in a child of this program with the variables set
/// (`--gix-config`), timed inside the child: in-process, as gitsign would use it. A gitsign
/// process reads its config once, so the child's first read is its figure; the later reads of
/// the same process are printed beside it. `system`: with the system file of the `git` on
/// `PATH` (which gix finds by asking that git), else `GIT_CONFIG_NOSYSTEM=1`.
fn config(rounds: usize, system: bool) -> Result<(), Failure> {
    let home = std::env::temp_dir().join(format!("gix-compare-{}", std::process::id()));
    let repo = home.join("repo");
    std::fs::create_dir_all(&repo)?;
    let git = |args: &[&str]| Command::new("git").current_dir(&repo).env("HOME", &home).args(args).status();
    git(&["init", "-q"])?;
    std::fs::write(home.join("included"), "[gitsign]\n\trekor = https://rekor.included.example\n")?;
    std::fs::write(home.join("conditional"), "[gitsign]\n\tconnectorID = https://github.com/login/oauth\n")?;
    git(&["config", "gitsign.fulcio", "https://fulcio.repo.example"])?;
    git(&["config", "include.path", &home.join("included").display().to_string()])?;
    let gitdir = format!("includeIf.gitdir:{}/.path", repo.display());
    git(&["config", &gitdir, &home.join("conditional").display().to_string()])?;
    let env = [
        ("HOME", home.to_str().ok_or("home")?),
        ("GIT_CONFIG_NOSYSTEM", if system { "0" } else { "1" }),
        ("GIT_CONFIG_COUNT", "1"),
        ("GIT_CONFIG_KEY_0", "gitsign.timestampServerURL"),
        ("GIT_CONFIG_VALUE_0", "https://tsa.env.example"),
    ];
    let n = rounds * 20;
    let git_view = by_git(&repo, &env)?;
    // Alternating: a git config process, then a process reading with gix (its first read timed).
    let (mut t_git, mut t_first, mut t_later) = (Vec::new(), Vec::new(), Vec::new());
    let mut gix_view = BTreeMap::new();
    for i in 0..n {
        let t = Instant::now();
        by_git(&repo, &env)?;
        t_git.push(t.elapsed());
        let later = if i == 0 { 20 } else { 0 };
        let child = Command::new(std::env::current_exe()?)
            .envs(env)
            .arg("--gix-config")
            .arg(&repo)
            .arg(later.to_string())
            .output()?;
        gix_view.clear();
        for line in String::from_utf8(child.stdout)?.lines() {
            match line.split_once('=') {
                Some(("first_ns", v)) => t_first.push(Duration::from_nanos(v.parse()?)),
                Some(("later_ns", v)) => t_later.push(Duration::from_nanos(v.parse()?)),
                Some((k, v)) => {
                    gix_view.insert(k.to_string(), v.to_string());
                }
                None => {}
            }
        }
    }
    let what = if system { "with the system file" } else { "GIT_CONFIG_NOSYSTEM=1" };
    if system {
        // Where each looks for it: a key set there is seen by one and not the other if they differ.
        let out = Command::new("git").args(["var", "GIT_CONFIG_SYSTEM"]).output()?;
        println!(
            "system file: the git on PATH reads {} (git var GIT_CONFIG_SYSTEM); gix reads {}",
            String::from_utf8_lossy(&out.stdout).trim_end(),
            gix::path::env::system_config().map_or("none".into(), |p| p.display().to_string())
        );
    }
    println!(
        "config view ({what}; repository file, include, includeIf gitdir, GIT_CONFIG_COUNT): {}\n  git {git_view:?}\n  gix {gix_view:?}",
        if git_view == gix_view { "the same" } else { "DIFFERENT" }
    );
    let ms = |v: Vec<Duration>| median(v).as_secs_f64() * 1e3;
    let (g, x, later) = (ms(t_git), ms(t_first), ms(t_later));
    println!(
        "config read ({what}), median of {n}: git config --get-regexp (a process) {g:.3} ms; gix discover + snapshot, a process's first read {x:.3} ms (later reads {later:.3} ms); gix / git = {:.2}",
        x / g
    );
    std::fs::remove_dir_all(&home)?;
    Ok(())
}

/// The child's side of [`config`]: gix's view and the time of this process's first read, then
/// the median of `n` more reads (if `n` > 0), as lines.
fn gix_config(dir: &Path, n: usize) -> Result<(), Failure> {
    let t = Instant::now();
    let view = by_gix(dir)?;
    let first = t.elapsed();
    for (k, v) in view {
        println!("{k}={v}");
    }
    println!("first_ns={}", first.as_nanos());
    if n > 0 {
        let mut times = Vec::new();
        for _ in 0..n {
            let t = Instant::now();
            by_gix(dir)?;
            times.push(t.elapsed());
        }
        println!("later_ns={}", median(times).as_nanos());
    }
    Ok(())
}
