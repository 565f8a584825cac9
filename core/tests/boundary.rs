//! The core library's boundary: no command line, no terminal, no `directories`, no process
//! spawning and no reading of the process environment in its code or its dependencies. The
//! program passes the environment, directories and git objects in.

use std::path::{Path, PathBuf};

/// What the core's (non-test) code must not contain, and why.
const FORBIDDEN_CODE: &[(&str, &str)] = &[
    ("std::process", "processes are the program's (gitsign starts git and the browser)"),
    ("Command::new", "processes are the program's (gitsign starts git and the browser)"),
    ("env::var", "the environment is passed in as a map (config::Env)"),
    ("env::vars", "the environment is passed in as a map (config::Env)"),
    ("/dev/tty", "the terminal is the program's (gitsign's ui module)"),
    ("directories::", "directories are passed in (gitsign's tuf::cache_dir)"),
    ("BaseDirs", "directories are passed in (gitsign's tuf::cache_dir)"),
    ("clap::", "the command line is the program's"),
    ("eprintln!", "messages for the person are returned to the program, which prints them"),
    ("println!", "output is the program's"),
];

/// Dependencies the core's Cargo.toml must not name.
const FORBIDDEN_DEPENDENCIES: &[&str] = &[
    "clap",
    "clap_complete",
    "clap_mangen",
    "directories",
    "dirs",
    "console",
    "crossterm",
    "termcolor",
    "indicatif",
    "dialoguer",
    "is-terminal",
    "atty",
    "keyring",
    "openidconnect",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a source file that is compiled outside tests: everything before the first
/// top-level `#[cfg(test)]` (the test modules close each file), without whole-line comments.
fn shipped_code(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| *l != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
        .collect()
}

/// Violations of [`FORBIDDEN_CODE`] in `text`, as `file:line: why`.
fn code_violations(name: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (line_no, line) in shipped_code(text) {
        for (needle, why) in FORBIDDEN_CODE {
            if line.contains(needle) {
                found.push(format!("{name}:{line_no}: `{needle}`: {why}"));
            }
        }
    }
    found
}

/// Violations of [`FORBIDDEN_DEPENDENCIES`] in a Cargo.toml's dependency tables.
fn dependency_violations(manifest: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line.contains("dependencies");
            continue;
        }
        if !in_dependencies || line.starts_with('#') {
            continue;
        }
        let name = line.split(['=', '.', ' ']).next().unwrap_or("").trim().trim_matches('"');
        if FORBIDDEN_DEPENDENCIES.contains(&name) {
            found.push(format!("core/Cargo.toml depends on {name:?}: {line}"));
        }
    }
    found
}

#[test]
fn core_code_spawns_nothing_reads_no_environment_and_has_no_terminal() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "expected the core's modules under {}, found {files:?}", src.display());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        found.extend(code_violations(&file.display().to_string(), &text));
    }
    assert!(found.is_empty(), "the core crosses its boundary:\n{}", found.join("\n"));
}

#[test]
fn core_manifest_has_no_command_line_terminal_or_directories_dependency() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let manifest = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let found = dependency_violations(&manifest);
    assert!(found.is_empty(), "the core crosses its boundary:\n{}", found.join("\n"));
}

/// The checks themselves find what they look for (so the two tests above can fail).
#[test]
fn the_checks_catch_a_violation() {
    let code = "use std::io;\n// std::process::Command in a comment is fine\nfn f() { let _ = std::env::var(\"HOME\"); }\n\
                #[cfg(test)]\nmod tests { fn t() { std::process::exit(0) } }\n";
    let found = code_violations("x.rs", code);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("x.rs:3: `env::var`"), "{found:?}");
    let manifest = "[package]\nname = \"clap\"\n[dependencies]\n# clap is not here\nserde = \"1\"\nclap.workspace = true\n\
                    [dev-dependencies]\ndirectories = \"6\"\n";
    let found = dependency_violations(manifest);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("\"clap\"") && found[1].contains("\"directories\""), "{found:?}");
}
