//! The README's claims about the state directory: one devstack per directory (a second one on
//! the same directory is refused, with its reason), the directory is 0700 and `state.db` 0600.

use crate::common::*;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs `gitsign-devstack up --state dir`; it must exit (refused) within 60 s, else it is killed
/// and the test fails: a second devstack came up on the same directory.
fn second_up(dir: &Path) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitsign-devstack"))
        .args(["up", "--state"])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "a second devstack is still running on {} after 60 s:\n{}{}",
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_second_devstack_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let canonical = std::fs::canonicalize(dir.path()).unwrap();
    let reason = format!("another gitsign-devstack is running with state {}", canonical.display());

    // The real binary, as a user would start it.
    let out = second_up(dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the second devstack exited 0:\n{stderr}");
    assert!(stderr.contains(&reason), "the refusal should say {reason:?}:\n{stderr}");
    assert!(stderr.contains("stop it first or pick another --state"), "{stderr}");
    assert!(out.stdout.is_empty(), "the refused devstack announced itself: {}", String::from_utf8_lossy(&out.stdout));

    // In process too, and the first one still serves.
    let second = gitsign_devstack::Running::start(gitsign_devstack::Options::new(dir.path().to_path_buf()));
    let Err(err) = second else { panic!("a second in-process devstack on the same directory must be refused") };
    assert!(err.to_string().contains(&reason), "{err}");
    let resp = client().get(format!("{}/api/v1/log", running.urls().rekor)).send().unwrap();
    assert_eq!(resp.status(), 200);

    // Once the first stops, the directory is free again.
    running.stop().unwrap();
    let again = start(dir.path());
    again.stop().unwrap();
}

#[test]
fn state_directory_is_owner_only() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("state");
    // A directory that exists with a looser mode is tightened, not trusted as it is.
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let running = start(&dir);
    // Write to the log, so that the database and any journal of SQLite exist.
    let key = ec_key();
    let chain = cert_for(&running, "olive@example.com", &key);
    assert_eq!(post_entry(&running, &hashedrekord(b"modes", &key, &chain[0])).status(), 201);

    assert_eq!(format!("{:o}", mode(&dir)), "700", "the state directory must be 0700");
    let mut db_files = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let m = mode(&path);
        assert_eq!(m & 0o022, 0, "{name} is writable by group or others: {m:o}");
        if name.starts_with("state.db") {
            assert_eq!(m, 0o600, "{name} holds the service keys and must be 0600, is {m:o}");
            db_files.push(name);
        }
    }
    assert!(db_files.contains(&"state.db".to_string()), "no state.db in {}: {db_files:?}", dir.display());
    running.stop().unwrap();
    assert_eq!(format!("{:o}", mode(&dir.join("state.db"))), "600");
}
