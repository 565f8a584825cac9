//! The one way a test skips, shared by every test crate of the workspace (`tests/it/common`,
//! `devstack/tests/it/common.rs` and the unit tests of core and protocol include this file by path).
//!
//! Under CI (the `CI` environment variable set, as `.ci/run` does) a skip is a failure: CI must
//! run every test. Elsewhere the skip is printed and appended as one line to the file named by
//! `GITSIGN_TEST_SKIPS_FILE` (`./test.sh` sets it and prints a summary after the run), or, for
//! integration tests run by plain `cargo test`, to `target/skipped.txt`.

use std::io::Write;

/// Whether the tests run under CI: `CI` set to anything but empty, `0` or `false`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// Skips (the caller returns right after) or, under CI, fails the calling test with `reason`,
/// which says what is missing and what provides it.
#[track_caller]
pub fn skip(reason: &str) {
    let at = std::panic::Location::caller();
    let thread = std::thread::current();
    let test = thread.name().filter(|n| *n != "main").unwrap_or("a test");
    if under_ci() {
        panic!("{test} ({}:{}) would skip, and CI must run every test: {reason}", at.file(), at.line());
    }
    let line = format!("{test} ({}:{}): {reason}", at.file(), at.line());
    eprintln!("skipped: {line}");
    let file = std::env::var_os("GITSIGN_TEST_SKIPS_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| option_env!("CARGO_TARGET_TMPDIR").map(|d| std::path::Path::new(d).join("../skipped.txt")));
    if let Some(file) = file {
        // One write of one line to a file opened for appending: lines of tests running at once
        // in other threads and processes do not interleave.
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .and_then(|mut f| f.write_all(format!("{}\n", line.replace('\n', " ")).as_bytes()));
        if let Err(e) = written {
            eprintln!("could not record the skip in {}: {e}", file.display());
        }
    }
}
