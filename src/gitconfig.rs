//! Reading `gitsign.*` from git config: the one `git config` subprocess, whose map
//! [`gitsign_core::config::Config::resolve`] turns into typed settings. The subprocess is git
//! itself, so gitsign sees exactly git's view (includes, conditional includes, `GIT_CONFIG_*`,
//! `git -c`, worktree config, `GIT_DIR`); it can be started early ([`start`]) so that the
//! process reads its input, and checks the signature against the trust root the environment
//! names ([`crate::trust::early`]), while git runs.

use gitsign_core::config::ConfigError;
use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};

/// A `git config` read under way (see [`start`]); [`Pending::finish`] waits for it.
#[derive(Debug)]
pub struct Pending(Result<Child, std::io::Error>);

/// Starts reading `gitsign.*` from git config (the repository's view when run inside one).
/// git's stdin is not gitsign's: that is the payload to sign or verify.
pub fn start() -> Pending {
    Pending(
        Command::new("git")
            .args(["config", "--null", "--get-regexp", r"^gitsign\."])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn(),
    )
}

impl Pending {
    /// Waits for git and returns `gitsign.*` (keys without the prefix, lower case; the last
    /// value of a key wins, as for git).
    pub fn finish(self) -> Result<BTreeMap<String, String>, ConfigError> {
        let out = self.0.and_then(Child::wait_with_output).map_err(ConfigError::Git)?;
        // Exit 1 means no gitsign.* key is set.
        let mut map = BTreeMap::new();
        for item in out.stdout.split(|b| *b == 0).filter(|i| !i.is_empty()) {
            let text = String::from_utf8_lossy(item);
            let (key, value) = text.split_once('\n').unwrap_or((&text, ""));
            if let Some(name) = key.strip_prefix("gitsign.") {
                map.insert(name.to_ascii_lowercase(), value.to_string());
            }
        }
        Ok(map)
    }
}

/// Reads `gitsign.*` from git config (the repository's view when run inside one).
pub fn read_git_config() -> Result<BTreeMap<String, String>, ConfigError> {
    start().finish()
}
