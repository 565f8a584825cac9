//! The command-line walk the subcommands share: `--name value` and `--name=value` alike, other
//! words passed on as they are. (git's gpg-style command line has its own parser in [`crate::gpg`].)

/// Calls `on(name, value)` for each argument; `value()` takes the flag's value — inline after
/// `=`, else the next argument — and fails naming the flag when there is none.
pub fn each(
    args: &[String],
    mut on: impl FnMut(&str, &mut dyn FnMut() -> Result<String, String>) -> Result<(), String>,
) -> Result<(), String> {
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or_else(|| format!("{name} needs a value"));
        on(name, &mut value)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_forms_and_missing_values() {
        let args: Vec<String> = ["--a=1", "--b", "2", "word", "--c"].iter().map(|s| s.to_string()).collect();
        let mut seen = Vec::new();
        let err = super::each(&args, |name, value| {
            let v = if name.starts_with("--") { value()? } else { String::new() };
            seen.push(format!("{name}:{v}"));
            Ok(())
        })
        .unwrap_err();
        assert_eq!(seen, ["--a:1", "--b:2", "word:"]);
        assert_eq!(err, "--c needs a value");
    }
}
