//! `gitsign`: see the library.
#![forbid(unsafe_code)]

fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let env: gitsign_core::config::Env =
        std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))).collect();
    // Standard error line-buffered, as standard output is: a message is one write, where
    // unbuffered each of its pieces was one (under git, which reads the pipe, a wake-up each).
    // Every message ends its line; what is left is written when the writer is dropped, below.
    let mut stderr = std::io::LineWriter::new(std::io::stderr().lock());
    let code = gitsign::run(
        &args,
        &env,
        gitsign::Io { stdin: &mut std::io::stdin().lock(), stdout: &mut std::io::stdout().lock(), stderr: &mut stderr },
    );
    drop(stderr);
    std::process::exit(code);
}
