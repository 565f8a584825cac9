//! The plain part of git's config-file syntax: a recogniser, not a general parser. It owns the
//! rule by which gitsign may read a config file itself instead of asking `git config`: a file is
//! read only when every line has one meaning that git's own parser (`config.c`) is sure to give
//! it too; anything else — quotes outside `[section "subsection"]`, backslashes, a key after a section header on the same line,
//! `[section.sub]`, carriage returns, control characters, a byte-order mark, invalid UTF-8, an
//! `include` or `includeIf` section — is [`Declined`], and the caller asks git. So it can be
//! wrong only by declining, which costs time, never a setting.
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
    /// An `include` or `includeIf` section: other files, chosen by git's rules.
    #[error("line {line}: an include section")]
    Include {
        /// The line of its header.
        line: usize,
    },
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
            if name == "include" || name == "includeif" {
                return Err(Declined::Include { line: i + 1 });
            }
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
            ("[include]\npath = x\n", "include"),
            ("[IncludeIf]\n", "includeIf"),
            ("[a]\nk_x = v\n", "underscore"),
        ] {
            assert!(parse(text.as_bytes()).is_err(), "{why}: {text:?} was read");
        }
        assert!(parse(b"[a]\nk = \xff\n").is_err());
        assert!(parse(&vec![b'#'; MAX_FILE + 1]).is_err());
    }
}
