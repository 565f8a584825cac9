//! Reading `gitsign.*` from git config: the one `git config` subprocess, whose map
//! [`gitsign_core::config::Config::resolve`] turns into typed settings.

use gitsign_core::config::ConfigError;
use std::collections::BTreeMap;

/// Reads `gitsign.*` from git config (the repository's view when run inside one).
pub fn read_git_config() -> Result<BTreeMap<String, String>, ConfigError> {
    let out = std::process::Command::new("git")
        .args(["config", "--null", "--get-regexp", r"^gitsign\."])
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(ConfigError::Git)?;
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
