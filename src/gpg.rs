//! The gpg command line as git drives it: `--status-fd=N -bsau KEY` to sign stdin, and
//! `--status-fd=N --verify SIGFILE -` to verify; short-flag bundles and both `--flag=v` and
//! `--flag v` forms are accepted, as gpg accepts them. Also the `[GNUPG:]` status lines.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// What git asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpgCommand {
    /// Sign stdin, detached and armored.
    Sign {
        /// Where status lines go.
        status_fd: Option<i32>,
        /// `-u`: ignored (the identity comes from the token).
        local_user: Option<String>,
    },
    /// Verify.
    Verify {
        /// Where status lines go.
        status_fd: Option<i32>,
        /// The file holding the signature.
        signature: PathBuf,
        /// The signed data: `None` for stdin.
        data: Option<PathBuf>,
    },
}

/// A command line that is not one gitsign understands.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0}; gitsign is called by git as `gitsign --status-fd=2 -bsau KEY` (sign) or `gitsign --status-fd=1 --verify SIG -` (verify)"
)]
pub struct UsageError(pub String);

/// Parses gpg-style arguments (without the program name). `Ok(None)`: not a gpg command line.
pub fn parse(args: &[OsString]) -> Result<Option<GpgCommand>, UsageError> {
    let mut status_fd = None;
    let mut local_user = None;
    let (mut sign, mut verify) = (false, false);
    let mut positional = Vec::new();
    let mut it = args.iter().map(|a| a.to_string_lossy().into_owned());
    let fd = |v: &str| {
        v.parse::<i32>().map_err(|_| UsageError(format!("--status-fd {v:?} is not a file descriptor number")))
    };
    let mut seen_any = false;
    while let Some(arg) = it.next() {
        if let Some(long) = arg.strip_prefix("--") {
            if long.is_empty() {
                positional.extend(it.by_ref());
                break;
            }
            seen_any = true;
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let mut value = |name: &str| {
                inline.clone().or_else(|| it.next()).ok_or_else(|| UsageError(format!("--{name} needs a value")))
            };
            match name {
                "status-fd" => status_fd = Some(fd(&value("status-fd")?)?),
                "local-user" => local_user = Some(value("local-user")?),
                "sign" | "detach-sign" => sign = true,
                "verify" => verify = true,
                "armor" | "armour" => {}
                // Accepted and ignored, as gitsign has no keyring to configure.
                "keyid-format" => {
                    value("keyid-format")?;
                }
                "batch" | "no-tty" | "yes" => {}
                other => return Err(UsageError(format!("unknown option --{other}"))),
            }
        } else if let Some(shorts) = arg.strip_prefix('-').filter(|s| !s.is_empty()) {
            seen_any = true;
            let chars: Vec<char> = shorts.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                match chars[i] {
                    'b' | 's' => sign = true,
                    'a' => {}
                    'u' => {
                        let rest: String = chars[i + 1..].iter().collect();
                        local_user = Some(if rest.is_empty() {
                            it.next().ok_or_else(|| UsageError("-u needs a value".into()))?
                        } else {
                            rest
                        });
                        break;
                    }
                    c => return Err(UsageError(format!("unknown option -{c}"))),
                }
                i += 1;
            }
        } else {
            positional.push(arg);
        }
    }
    if !seen_any {
        return Ok(None);
    }
    match (sign, verify) {
        (true, true) => Err(UsageError("both signing and --verify were asked for".into())),
        (true, false) => Ok(Some(GpgCommand::Sign { status_fd, local_user })),
        (false, true) => {
            let mut pos = positional.into_iter();
            let signature =
                pos.next().map(PathBuf::from).ok_or_else(|| UsageError("--verify needs the signature file".into()))?;
            let data = pos.next().filter(|d| d != "-").map(PathBuf::from);
            Ok(Some(GpgCommand::Verify { status_fd, signature, data }))
        }
        (false, false) => Err(UsageError("neither signing (-bsau) nor --verify was asked for".into())),
    }
}

/// Writes `[GNUPG:]` status lines to fd 1 (the given stdout), 2 (the given stderr) or any other
/// open descriptor (through /dev/fd).
pub fn write_status(
    fd: Option<i32>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    text: &str,
) -> std::io::Result<()> {
    match fd {
        None => Ok(()),
        Some(1) => stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()),
        Some(2) => stderr.write_all(text.as_bytes()).and_then(|()| stderr.flush()),
        Some(n) => std::fs::OpenOptions::new().write(true).open(format!("/dev/fd/{n}"))?.write_all(text.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Option<GpgCommand>, UsageError> {
        parse(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn git_command_lines() {
        let sign = Some(GpgCommand::Sign { status_fd: Some(2), local_user: Some("A U Thor <a@example.com>".into()) });
        assert_eq!(p(&["--status-fd=2", "-bsau", "A U Thor <a@example.com>"]).unwrap(), sign);
        assert_eq!(p(&["--status-fd", "2", "-b", "-s", "-a", "-u", "A U Thor <a@example.com>"]).unwrap(), sign);
        assert_eq!(p(&["--status-fd=2", "-bsauA U Thor <a@example.com>"]).unwrap(), sign);
        assert_eq!(
            p(&["--status-fd=1", "--verify", "/tmp/sig", "-"]).unwrap(),
            Some(GpgCommand::Verify { status_fd: Some(1), signature: "/tmp/sig".into(), data: None })
        );
        assert_eq!(
            p(&["--keyid-format=long", "--status-fd=1", "--verify", "/tmp/sig", "-"]).unwrap(),
            Some(GpgCommand::Verify { status_fd: Some(1), signature: "/tmp/sig".into(), data: None })
        );
        assert_eq!(p(&[]).unwrap(), None);
        assert!(p(&["--status-fd=x", "-bsau", "k"]).is_err());
        assert!(p(&["-bsau"]).is_err());
        assert!(p(&["--verify"]).is_err());
        assert!(p(&["-z"]).is_err());
    }
}
