//! The plain part of git's config-file syntax: a recogniser, not a general parser. It owns the
//! rule by which gitsign may read a config file itself instead of asking `git config`: a file is
//! read only when every line has one meaning that git's own parser (`config.c`) is sure to give
//! it too; anything else — quotes outside `[section "subsection"]`, backslashes, a key after a section header on the same line,
//! `[section.sub]`, carriage returns, control characters, a byte-order mark, invalid UTF-8 — is
//! [`Declined`], and the caller asks git. So it can be wrong only by declining, which costs time,
//! never a setting.
//!
//! It also owns git's rules for includes ([`include`], [`include_path`], [`gitdir_matches`],
//! [`onbranch_matches`]): which file an `include.path` or `includeIf.<condition>.path` entry
//! names, and whether its condition holds. The caller reads the files; what these rules do not
//! judge exactly as git does (`hasconfig:`, `~user`, `%(prefix)`, a condition git does not
//! know) is declined too.
//!
//! What git does with an accepted line (and so what this gives):
//! - section and key names are case-insensitive (lower-cased); a subsection is kept as written;
//! - a value starts at its first non-blank character, ends before a `#` or `;` or the end of the
//!   line, and loses its trailing blanks (a tab inside it is declined: git versions differ);
//! - a key with no `=` has no value (git's boolean "true"); `key =` has the empty value.

/// Why a file is not read here (git reads it instead). `line` counts from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Declined {
    /// Not UTF-8, a byte-order mark, or over [`MAX_FILE`].
    #[error("{0}")]
    File(&'static str),
    /// A line outside the plain syntax.
    #[error("line {line}: {what}")]
    Line {
        /// The line.
        line: usize,
        /// What it has.
        what: &'static str,
    },
    /// An include this module does not judge as git would.
    #[error("an include {0}")]
    Include(&'static str),
}

/// The largest file read here; git reads bigger ones.
pub const MAX_FILE: usize = 1 << 20;

/// One `key = value` line, with the section it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The section name, lower case.
    pub section: String,
    /// The subsection, as written (`[remote "origin"]`).
    pub subsection: Option<String>,
    /// The key, lower case.
    pub key: String,
    /// The value; `None` for a key with no `=`.
    pub value: Option<String>,
}

impl Entry {
    /// Whether this is `section.key` (no subsection); `section` and `key` in lower case.
    pub fn is(&self, section: &str, key: &str) -> bool {
        self.section == section && self.subsection.is_none() && self.key == key
    }
}

/// The entries of a config file, in order; [`Declined`] when any line is outside the plain syntax.
pub fn parse(bytes: &[u8]) -> Result<Vec<Entry>, Declined> {
    if bytes.len() > MAX_FILE {
        return Err(Declined::File("over 1 MiB"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Declined::File("not UTF-8"))?;
    if text.starts_with('\u{feff}') {
        return Err(Declined::File("a byte-order mark"));
    }
    let mut entries = Vec::new();
    let mut section: Option<(String, Option<String>)> = None;
    for (i, line) in text.split('\n').enumerate() {
        let bad = |what| Declined::Line { line: i + 1, what };
        if line.chars().any(|c| (c.is_control() && c != '\t') || c == '\\') {
            return Err(bad("a backslash or a control character"));
        }
        let line = line.trim_start_matches([' ', '\t']);
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let (name, subsection, rest) = header_parts(header).ok_or(bad("a section header that is not plain"))?;
            if !is_comment_or_blank(rest) {
                return Err(bad("text after a section header"));
            }
            let name = name.to_ascii_lowercase();
            section = Some((name, subsection.map(str::to_string)));
            continue;
        }
        if line.contains('"') {
            return Err(bad("a quote"));
        }
        let Some((section, subsection)) = &section else { return Err(bad("a key before any section")) };
        let name_len = line.bytes().take_while(|b| is_key_byte(*b)).count();
        let (name, rest) = line.split_at(name_len);
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(bad("a key that is not plain"));
        }
        let rest = rest.trim_start_matches([' ', '\t']);
        let value = if rest.is_empty() {
            None
        } else if let Some(value) = rest.strip_prefix('=') {
            let value = value.split(['#', ';']).next().unwrap_or("").trim_matches([' ', '\t']);
            // git versions differ on a tab inside a value (kept, or made a space).
            if value.contains('\t') {
                return Err(bad("a tab inside a value"));
            }
            Some(value.to_string())
        } else {
            return Err(bad("a key followed by neither `=` nor the end of the line"));
        };
        entries.push(Entry {
            section: section.clone(),
            subsection: subsection.clone(),
            key: name.to_ascii_lowercase(),
            value,
        });
    }
    Ok(entries)
}

/// `name]rest` or `name "subsection"]rest` (after the `[`), as git's `get_base_var` and
/// `get_extended_base_var` read them: blanks between the name and the quote, none before the
/// `]`. A name with a `.` (the old `[section.subsection]`) and an empty subsection are not plain.
fn header_parts(header: &str) -> Option<(&str, Option<&str>, &str)> {
    let name_len = header.bytes().take_while(|b| is_key_byte(*b)).count();
    let (name, after) = header.split_at(name_len);
    if name.is_empty() {
        return None;
    }
    if let Some(rest) = after.strip_prefix(']') {
        return Some((name, None, rest));
    }
    let quoted = after.trim_start_matches([' ', '\t']);
    if quoted.len() == after.len() {
        return None;
    }
    let (subsection, rest) = quoted.strip_prefix('"')?.split_once('"')?;
    let rest = rest.strip_prefix(']')?;
    (!subsection.is_empty()).then_some((name, Some(subsection), rest))
}

/// git's `iskeychar`: the bytes of section and key names.
fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_comment_or_blank(rest: &str) -> bool {
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with(['#', ';'])
}

/// What an entry includes, by git's rules (`git_config_include` in `config.c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include<'a> {
    /// `include.path`: always.
    Always,
    /// `includeIf "gitdir:PATTERN"` (or `gitdir/i:`, `icase`): when the repository's directory
    /// matches.
    GitDir {
        /// The pattern as written.
        pattern: &'a str,
        /// `gitdir/i:`: ASCII letters match either case.
        icase: bool,
    },
    /// `includeIf "onbranch:PATTERN"`: when the checked-out branch matches.
    OnBranch(&'a str),
}

/// The include an entry makes, with its path as written: `Ok(None)` for an entry of no include
/// section, or another key of `[include]`. A key of `[includeIf "…"]` other than `path` gives
/// its rule and no path: git judges the condition for every key (and stops when it cannot, as
/// for a `gitdir:~/…` whose home has no real path), so the caller judges it too. Declined: an
/// include path with no value or an empty one (git stops on the first, and reads a directory
/// for the second); `[include "x"]` and `[includeIf]` without a condition (keys, not includes,
/// to git, but a typo worth git's own reading); `hasconfig:` and every condition git does not
/// know (always false to git; left to it).
pub fn include(e: &Entry) -> Result<Option<(Include<'_>, Option<&str>)>, Declined> {
    let rule = match (e.section.as_str(), e.subsection.as_deref()) {
        ("include", None) if e.key != "path" => return Ok(None),
        ("include", None) => Include::Always,
        ("includeif", Some(condition)) => {
            if let Some(pattern) = condition.strip_prefix("gitdir:") {
                Include::GitDir { pattern, icase: false }
            } else if let Some(pattern) = condition.strip_prefix("gitdir/i:") {
                Include::GitDir { pattern, icase: true }
            } else if let Some(pattern) = condition.strip_prefix("onbranch:") {
                Include::OnBranch(pattern)
            } else {
                return Err(Declined::Include("with a condition other than gitdir: or onbranch:"));
            }
        }
        ("include", Some(_)) => return Err(Declined::Include("section with a subsection")),
        ("includeif", None) => return Err(Declined::Include("section with no condition")),
        _ => return Ok(None),
    };
    if e.key != "path" {
        return Ok(Some((rule, None)));
    }
    match e.value.as_deref() {
        None | Some("") => Err(Declined::Include("path with no value")),
        Some(path) => Ok(Some((rule, Some(path)))),
    }
}

/// The file an include path names (git's `handle_path_include`): `~` and `~/…` are `home`;
/// an absolute path is itself; a relative one is taken from the directory of the including
/// file, as that file's path is written (`including`). `~user` and `%(prefix)/` are declined.
pub fn include_path(path: &str, home: &str, including: &str) -> Result<String, Declined> {
    let path = expand_home(path, home)?;
    if path.starts_with('/') {
        return Ok(path);
    }
    Ok(match including.rfind('/') {
        Some(slash) => format!("{}{path}", &including[..=slash]),
        None => path,
    })
}

/// `~` and `~/…` as git's `interpolate_path` expands them; `~user` and `%(prefix)/` declined.
fn expand_home(path: &str, home: &str) -> Result<String, Declined> {
    if path.starts_with("%(prefix)/") {
        return Err(Declined::Include("path under %(prefix)"));
    }
    match path.strip_prefix('~') {
        None => Ok(path.to_string()),
        Some(rest) if rest.is_empty() || rest.starts_with('/') => Ok(format!("{home}{rest}")),
        Some(_) => Err(Declined::Include("path under another user's home (~user)")),
    }
}

/// The most `*` a pattern may hold here: gix-glob's wildmatch stops at a recursion depth (64)
/// that git's does not have, and each `*` can take one level.
const MAX_STARS: usize = 32;

/// Patterns gix-glob's wildmatch is sure to match as git's does: no bracket expression (under
/// case folding gix folds inside brackets and git does not; an unfinished `[:` class is read
/// otherwise), and at most [`MAX_STARS`] `*`.
fn plain_wildcards(pattern: &str) -> Result<(), Declined> {
    if pattern.contains('[') {
        return Err(Declined::Include("condition with a bracket expression"));
    }
    if pattern.matches('*').count() > MAX_STARS {
        return Err(Declined::Include("condition with too many wildcards"));
    }
    Ok(())
}

/// Whether `includeIf "gitdir:PATTERN"` holds (git's `include_by_gitdir` and
/// `prepare_include_condition_pattern`): `~` is the real path of the home directory
/// (`real_home`), `./` the real directory of the including file (`real_including_dir`, matched
/// literally), any other relative pattern gets `**/` before it, and a trailing `/` gets `**`
/// after; the pattern is then matched against `git_dir` (the repository directory's real path)
/// as `wildmatch(WM_PATHNAME)` matches. git tries the directory's absolute path too when that
/// differs (a `$PWD` through a symbolic link): the caller declines when that could matter.
pub fn gitdir_matches(
    pattern: &str,
    icase: bool,
    git_dir: &str,
    real_home: impl FnOnce() -> Option<String>,
    real_including_dir: impl FnOnce() -> Option<String>,
) -> Result<bool, Declined> {
    let mut pattern = if pattern.starts_with('~') {
        let home = real_home().ok_or(Declined::Include("condition under a home with no real path"))?;
        expand_home(pattern, &home)?
    } else {
        expand_home(pattern, "")?
    };
    let mut prefix = 0;
    if let Some(rest) = pattern.strip_prefix("./") {
        let dir = real_including_dir().ok_or(Declined::Include("condition relative to a file with no real path"))?;
        pattern = format!("{dir}/{rest}");
        prefix = dir.len() + 1;
    } else if !pattern.starts_with('/') {
        pattern.insert_str(0, "**/");
    }
    if pattern.ends_with('/') {
        pattern.push_str("**");
    }
    plain_wildcards(&pattern)?;
    // git folds case with the C library's `tolower`, which the locale extends past ASCII.
    if icase && !(pattern.is_ascii() && git_dir.is_ascii()) {
        return Err(Declined::Include("case-insensitive condition on a path that is not ASCII"));
    }
    if prefix > 0 {
        let (literal, text) = (&pattern.as_bytes()[..prefix], git_dir.as_bytes());
        let same = text.len() >= prefix
            && if icase { literal.eq_ignore_ascii_case(&text[..prefix]) } else { *literal == text[..prefix] };
        if !same {
            return Ok(false);
        }
    }
    let (pattern, text) = (&pattern.as_bytes()[prefix..], git_dir.as_bytes().get(prefix..).unwrap_or_default());
    let mut mode = gix_glob::wildmatch::Mode::NO_MATCH_SLASH_LITERAL;
    if icase {
        mode |= gix_glob::wildmatch::Mode::IGNORE_CASE;
    }
    Ok(gix_glob::wildmatch(pattern.into(), text.into(), mode))
}

/// Whether `includeIf "onbranch:PATTERN"` holds for the checked-out branch `branch` (its name
/// under `refs/heads/`; git's `include_by_branch`): a trailing `/` gets `**` after it, and
/// the pattern matches as `wildmatch(WM_PATHNAME)` does.
pub fn onbranch_matches(pattern: &str, branch: &str) -> Result<bool, Declined> {
    let mut pattern = pattern.to_string();
    if pattern.ends_with('/') {
        pattern.push_str("**");
    }
    plain_wildcards(&pattern)?;
    Ok(gix_glob::wildmatch(
        pattern.as_bytes().into(),
        branch.as_bytes().into(),
        gix_glob::wildmatch::Mode::NO_MATCH_SLASH_LITERAL,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn one(text: &str) -> (String, Option<String>) {
        let e = parse(text.as_bytes()).unwrap();
        assert_eq!(e.len(), 1, "{text:?}: {e:?}");
        (format!("{}.{}", e[0].section, e[0].key), e[0].value.clone())
    }

    #[test]
    fn plain_lines_mean_what_git_makes_of_them() {
        assert_eq!(
            one("[GitSign]\n\tFulcio = https://x  # comment\n"),
            ("gitsign.fulcio".into(), Some("https://x".into()))
        );
        assert_eq!(one("[a]\nk=v;c"), ("a.k".into(), Some("v".into())));
        assert_eq!(one("[a] ; c\n  k = a b  c \t\n"), ("a.k".into(), Some("a b  c".into())));
        assert_eq!(one("[a]\nk\n"), ("a.k".into(), None));
        assert_eq!(one("[a]\nk =\n"), ("a.k".into(), Some(String::new())));
        assert_eq!(one("# c\n; c\n\n[a-1]\n  k-2 = é\n"), ("a-1.k-2".into(), Some("é".into())));
        assert_eq!(parse(b"").unwrap(), vec![]);
        let e = parse(b"[Remote \t\"Or]g#n\"] # c\nURL = u\n").unwrap();
        assert_eq!(e[0].section, "remote");
        assert_eq!(e[0].subsection.as_deref(), Some("Or]g#n"));
        assert!(!e[0].is("remote", "url"));
    }

    #[test]
    fn everything_else_is_left_to_git() {
        for (text, why) in [
            ("[a]\nk = \"v\"\n", "quote"),
            ("[a]\nk = v\\\n w\n", "continuation"),
            ("[a \"\"]\nk = v\n", "empty subsection"),
            ("[a \"s\" ]\nk = v\n", "blank before ]"),
            ("[a\"s\"]\nk = v\n", "no blank before the quote"),
            ("[a \"s\"] x\n", "text after the header"),
            ("[a \"s\\\"t\"]\n", "escaped quote"),
            ("[ a]\n", "blank before the name"),
            ("[a.b]\nk = v\n", "legacy subsection"),
            ("[a] k = v\n", "key after header"),
            ("[a]\r\nk = v\r\n", "carriage return"),
            ("\u{feff}[a]\nk = v\n", "byte-order mark"),
            ("k = v\n", "no section"),
            ("[a]\n1k = v\n", "key not starting with a letter"),
            ("[a]\nk v\n", "no ="),
            ("[a]\nk # c\n", "comment after a bare key"),
            ("[a\nk = v\n", "unclosed header"),
            ("[]\n", "empty section name"),
            ("[a]\nk = v\x0b\n", "vertical tab"),
            ("[a]\nk = a\tb\n", "tab inside a value"),
            ("[a]\nk_x = v\n", "underscore"),
        ] {
            assert!(parse(text.as_bytes()).is_err(), "{why}: {text:?} was read");
        }
        assert!(parse(b"[a]\nk = \xff\n").is_err());
        assert!(parse(&vec![b'#'; MAX_FILE + 1]).is_err());
    }

    fn entry(section: &str, subsection: Option<&str>, key: &str, value: Option<&str>) -> Entry {
        Entry {
            section: section.into(),
            subsection: subsection.map(str::to_string),
            key: key.into(),
            value: value.map(str::to_string),
        }
    }

    #[test]
    fn include_sections_are_entries_and_say_what_they_include() {
        let e = parse(b"[Include]\n\tPath = a.cfg\n[includeIf \"gitdir/i:~/Work/\"]\n\tpath = w.cfg\n").unwrap();
        assert_eq!(include(&e[0]).unwrap(), Some((Include::Always, Some("a.cfg"))));
        assert_eq!(include(&e[1]).unwrap(), Some((Include::GitDir { pattern: "~/Work/", icase: true }, Some("w.cfg"))));
        let c = |cond: &str| entry("includeif", Some(cond), "path", Some("x"));
        assert_eq!(
            include(&c("gitdir:/a")).unwrap(),
            Some((Include::GitDir { pattern: "/a", icase: false }, Some("x")))
        );
        assert_eq!(include(&c("onbranch:main")).unwrap(), Some((Include::OnBranch("main"), Some("x"))));
        for cond in ["hasconfig:remote.*.url:x", "GitDir:/a", "unknown:x", "gitdir"] {
            assert!(include(&c(cond)).is_err(), "{cond}");
        }
        // Other keys include nothing (an includeIf's condition is still judged, as git judges
        // it); shapes git does not take as includes are left to it.
        assert_eq!(include(&entry("include", None, "other", Some("x"))).unwrap(), None);
        assert_eq!(
            include(&entry("includeif", Some("gitdir:/a"), "other", Some("x"))).unwrap(),
            Some((Include::GitDir { pattern: "/a", icase: false }, None))
        );
        assert_eq!(include(&entry("gitsign", None, "path", Some("x"))).unwrap(), None);
        assert!(include(&entry("include", Some("x"), "path", Some("x"))).is_err());
        assert!(include(&entry("includeif", None, "path", Some("x"))).is_err());
        assert!(include(&entry("include", None, "path", None)).is_err());
        assert!(include(&entry("include", None, "path", Some(""))).is_err());
    }

    #[test]
    fn include_paths_are_taken_from_the_including_file() {
        assert_eq!(include_path("a.cfg", "/h", "/h/.gitconfig").unwrap(), "/h/a.cfg");
        assert_eq!(include_path("sub/a.cfg", "/h", ".git/config").unwrap(), ".git/sub/a.cfg");
        assert_eq!(include_path("../a.cfg", "/h", "/x/y/c").unwrap(), "/x/y/../a.cfg");
        assert_eq!(include_path("/abs/a.cfg", "/h", "/x/c").unwrap(), "/abs/a.cfg");
        assert_eq!(include_path("~/a.cfg", "/h", "/x/c").unwrap(), "/h/a.cfg");
        assert_eq!(include_path("~", "/h", "/x/c").unwrap(), "/h");
        assert!(include_path("~user/a.cfg", "/h", "/x/c").is_err());
        assert!(include_path("%(prefix)/etc/a.cfg", "/h", "/x/c").is_err());
    }

    #[test]
    fn gitdir_conditions_match_as_git_matches_them() {
        let m = |pattern: &str, icase: bool, dir: &str| {
            gitdir_matches(pattern, icase, dir, || Some("/real/home".into()), || Some("/etc/cfg".into())).unwrap()
        };
        let dir = "/real/home/work/repo/.git";
        assert!(m("~/work/", false, dir));
        assert!(!m("~/play/", false, dir));
        assert!(m("/real/home/work/repo/", false, dir));
        assert!(!m("/real/home/work/repo", false, dir));
        assert!(m("work/", false, dir), "relative: any directory above");
        assert!(m("repo/.git", false, dir));
        assert!(!m("ork/", false, dir), "whole components");
        assert!(m("/real/home/*/repo/.git", false, dir));
        assert!(!m("/real/*/repo/.git", false, dir), "`*` stays in one component");
        assert!(m("/real/**/repo/.git", false, dir));
        assert!(!m("/REAL/home/", false, dir));
        assert!(m("/REAL/home/", true, dir));
        // `./` is the including file's real directory, matched literally (wildcards in it too).
        assert!(m("./x/", false, "/etc/cfg/x/.git"));
        assert!(!m("./x/", false, "/etc/cfgx/.git"));
        assert!(!m("./", false, "/etc/cf"));
        assert!(
            gitdir_matches("./x/", false, "/d*r/x/.git", || None, || Some("/d*r".into())).unwrap(),
            "literal prefix"
        );
        assert!(!gitdir_matches("./x/", false, "/dir/x/.git", || None, || Some("/d*r".into())).unwrap());
        assert!(m("./X/", true, "/ETC/cfg/x/.git"));
        assert!(gitdir_matches("/É/", true, "/é/.git", || None, || None).is_err(), "locale-dependent");
        assert!(!gitdir_matches("/É/", false, "/é/.git", || None, || None).unwrap());
        // What cannot be judged as git judges it is declined.
        assert!(gitdir_matches("~/w/", false, dir, || None, || None).is_err());
        assert!(gitdir_matches("./w/", false, dir, || None, || None).is_err());
        assert!(gitdir_matches("~user/w/", false, dir, || None, || None).is_err());
        assert!(gitdir_matches("%(prefix)/w/", false, dir, || None, || None).is_err());
        assert!(gitdir_matches(&"/*".repeat(33), false, dir, || None, || None).is_err());
        for bracket in ["/real/[h]ome/", "/real/[[:R]ome/"] {
            assert!(gitdir_matches(bracket, true, dir, || None, || None).is_err(), "{bracket}");
            assert!(gitdir_matches(bracket, false, dir, || None, || None).is_err(), "{bracket}");
        }
    }

    #[test]
    fn onbranch_conditions_match_as_git_matches_them() {
        assert!(onbranch_matches("main", "main").unwrap());
        assert!(!onbranch_matches("main", "main2").unwrap());
        assert!(onbranch_matches("ma*", "main").unwrap());
        assert!(onbranch_matches("feat/", "feat/a/b").unwrap());
        assert!(!onbranch_matches("feat*", "feat/a").unwrap());
        assert!(onbranch_matches("feat/**", "feat/a/b").unwrap());
        assert!(onbranch_matches("f?at/*", "feat/b").unwrap());
        assert!(onbranch_matches("f[a-z]at", "feat").is_err(), "brackets are left to git");
    }
}
