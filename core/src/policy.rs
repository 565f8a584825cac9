//! The push policy: who may sign what, per ref. A TOML file (see git-hooks/README.md) parsed
//! into typed rules, and the judgement of one signature verdict under the rule of a ref. The
//! signature itself is verified elsewhere ([`crate::verify`]); this module only decides whether
//! the signer that verification reports is allowed, reads no files and runs no process.
//!
//! ```toml
//! version = 1
//! trusted_root = "trusted_root.json"      # optional, relative to the policy file
//! [[rule]]
//! refs = ["refs/heads/main", "refs/tags/*"] # globs; the first matching rule wins
//! unsigned = "reject"                       # or "allow"
//! deletions = "allow"                       # or "reject"
//! [[rule.signers]]
//! identity = "alice@example.com"            # or identity_regexp (anchored)
//! issuer = "https://accounts.example.com"   # or issuer_regexp (anchored)
//! ```

use crate::verify::Matcher;
use serde::Deserialize;
use toml::Spanned;

/// A policy that cannot be used: each names the file, the line and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not TOML, or not of the policy's schema (unknown key, wrong type, missing key).
    #[error("{file}: line {line}: {message}; fix the policy file (the schema is in git-hooks/README.md)")]
    Syntax {
        /// The policy's name (its path).
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// The TOML parser's message, naming the key.
        message: String,
    },
    /// Well-formed, but a value that cannot be acted on.
    #[error("{file}: line {line}: {key}: {message}")]
    Invalid {
        /// The policy's name (its path).
        file: String,
        /// 1-based line of the offending value.
        line: usize,
        /// The key.
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
}

/// What a rule does with a commit (or annotated tag) that carries no signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unsigned {
    /// Refuse it.
    Reject,
    /// Accept it.
    Allow,
}

/// What a rule does with the deletion of a ref it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Deletions {
    /// Refuse it.
    Reject,
    /// Accept it.
    Allow,
}

/// One allowed signer: an identity from an issuer.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The certificate's identity (SAN).
    pub identity: Matcher,
    /// The certificate's OIDC issuer.
    pub issuer: Matcher,
}

/// One `[[rule]]`.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Ref globs: `*` matches within one path component, `**` across components.
    pub refs: Vec<String>,
    /// What to do with unsigned commits.
    pub unsigned: Unsigned,
    /// What to do with deletions.
    pub deletions: Deletions,
    /// Who may sign (any one of them); none: any good signature (only with unsigned = "allow").
    pub signers: Vec<Signer>,
    /// The line of the rule in its file.
    pub line: usize,
}

/// A parsed policy file.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Where it came from (for messages).
    pub name: String,
    /// The trust root to verify with, as written (relative to the policy file's directory).
    pub trusted_root: Option<String>,
    /// The commit whose in-repository policy is trusted first (in-repository mode).
    pub root: Option<String>,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    version: Spanned<i64>,
    trusted_root: Option<Spanned<String>>,
    root: Option<Spanned<String>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    refs: Spanned<Vec<String>>,
    #[serde(default = "reject")]
    unsigned: Unsigned,
    #[serde(default = "allow_deletions")]
    deletions: Deletions,
    #[serde(default)]
    signers: Vec<Spanned<RawSigner>>,
}

fn reject() -> Unsigned {
    Unsigned::Reject
}

fn allow_deletions() -> Deletions {
    Deletions::Allow
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigner {
    identity: Option<Spanned<String>>,
    identity_regexp: Option<Spanned<String>>,
    issuer: Option<Spanned<String>>,
    issuer_regexp: Option<Spanned<String>>,
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|b| **b == b'\n').count() + 1
}

impl Policy {
    /// Parses a policy file's text; `name` is its path, for messages.
    pub fn parse(text: &str, name: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| PolicyError::Syntax {
            file: name.into(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().trim().replace('\n', " "),
        })?;
        let invalid = |offset: usize, key: &str, message: String| PolicyError::Invalid {
            file: name.into(),
            line: line_of(text, offset),
            key: key.into(),
            message,
        };
        if *raw.version.get_ref() != 1 {
            return Err(invalid(
                raw.version.span().start,
                "version",
                format!("version {} is not one this gitsign reads; write version = 1", raw.version.get_ref()),
            ));
        }
        let mut rules = Vec::new();
        for rule in raw.rule {
            let start = rule.span().start;
            let rule = rule.into_inner();
            if rule.refs.get_ref().is_empty() {
                return Err(invalid(
                    rule.refs.span().start,
                    "rule.refs",
                    "a rule must name at least one ref glob".into(),
                ));
            }
            for glob in rule.refs.get_ref() {
                if !glob.starts_with("refs/") {
                    return Err(invalid(
                        rule.refs.span().start,
                        "rule.refs",
                        format!("{glob:?} is not a full ref name: write e.g. \"refs/heads/main\""),
                    ));
                }
            }
            let mut signers = Vec::new();
            for signer in rule.signers {
                let at = signer.span().start;
                let s = signer.into_inner();
                let identity = matcher(s.identity, s.identity_regexp, "identity", at, &invalid)?;
                let issuer = matcher(s.issuer, s.issuer_regexp, "issuer", at, &invalid)?;
                signers.push(Signer { identity, issuer });
            }
            if signers.is_empty() && rule.unsigned == Unsigned::Reject {
                return Err(invalid(
                    start,
                    "rule.signers",
                    "this rule rejects unsigned commits but allows no signer, so nothing could be pushed \
                     to its refs: add a [[rule.signers]] or set unsigned = \"allow\""
                        .into(),
                ));
            }
            rules.push(Rule {
                refs: rule.refs.into_inner(),
                unsigned: rule.unsigned,
                deletions: rule.deletions,
                signers,
                line: line_of(text, start),
            });
        }
        Ok(Policy {
            name: name.into(),
            trusted_root: raw.trusted_root.map(Spanned::into_inner),
            root: raw.root.map(Spanned::into_inner),
            rules,
        })
    }

    /// The rule for `refname` (the first whose globs match), if any: refs no rule matches are
    /// accepted.
    pub fn rule_for(&self, refname: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.refs.iter().any(|g| glob_match(g, refname)))
    }
}

type Invalid<'a> = dyn Fn(usize, &str, String) -> PolicyError + 'a;

/// Exactly one of `exact` and `regexp`, as a matcher.
fn matcher(
    exact: Option<Spanned<String>>,
    regexp: Option<Spanned<String>>,
    what: &str,
    at: usize,
    invalid: &Invalid<'_>,
) -> Result<Matcher, PolicyError> {
    let key = format!("rule.signers.{what}");
    match (exact, regexp) {
        (Some(e), None) if !e.get_ref().is_empty() => Ok(Matcher::Exact(e.into_inner())),
        (Some(e), None) => Err(invalid(e.span().start, &key, format!("an empty {what} allows no one"))),
        (None, Some(r)) => Matcher::regex(r.get_ref()).map_err(|err| {
            invalid(r.span().start, &format!("{key}_regexp"), format!("not a regular expression: {err}"))
        }),
        (Some(_), Some(r)) => Err(invalid(r.span().start, &key, format!("give {what} or {what}_regexp, not both"))),
        (None, None) => Err(invalid(
            at,
            &key,
            format!("each signer needs {what} or {what}_regexp (a signer of any {what} is not a policy)"),
        )),
    }
}

fn matches(m: &Matcher, value: &str) -> bool {
    match m {
        Matcher::Exact(e) => e == value,
        Matcher::Regex(r) => r.is_match(value),
    }
}

/// Whether `name` matches the ref glob `glob`: `*` matches any run of characters without `/`,
/// `**` any run at all; everything else matches itself.
pub fn glob_match(glob: &str, name: &str) -> bool {
    fn go(g: &[u8], n: &[u8]) -> bool {
        match g {
            [] => n.is_empty(),
            [b'*', b'*', rest @ ..] => (0..=n.len()).any(|i| go(rest, &n[i..])),
            [b'*', rest @ ..] => {
                let limit = n.iter().position(|c| *c == b'/').unwrap_or(n.len());
                (0..=limit).any(|i| go(rest, &n[i..]))
            }
            [c, rest @ ..] => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    go(glob.as_bytes(), name.as_bytes())
}

/// What verification said about one commit or tag, as the rule sees it.
#[derive(Debug, Clone, Copy)]
pub enum Verdict<'a> {
    /// A good signature by this identity from this issuer.
    Good {
        /// The certificate's identity.
        identity: &'a str,
        /// The certificate's OIDC issuer.
        issuer: Option<&'a str>,
    },
    /// No signature.
    Unsigned,
    /// A signature that is wrong (the reason).
    Bad(&'a str),
    /// A signature that could not be checked (the reason, naming what could not be reached).
    Unchecked(&'a str),
}

/// Why a rule refuses one commit or tag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not signed where the rule wants a signature.
    #[error("unsigned, and {refname} requires a signature")]
    Unsigned {
        /// The ref.
        refname: String,
    },
    /// Signed, well, by someone the rule does not list.
    #[error("signed by {identity} of issuer {issuer}, not allowed for {refname}")]
    NotAllowed {
        /// The signer.
        identity: String,
        /// The signer's issuer.
        issuer: String,
        /// The ref.
        refname: String,
    },
    /// The signature is bad.
    #[error("signature bad: {0}")]
    Bad(String),
    /// The signature could not be checked.
    #[error("could not check the signature: {0}")]
    Unchecked(String),
    /// The ref's deletion is refused.
    #[error("deleting {refname} is not allowed (rule at line {line} says deletions = \"reject\")")]
    Deletion {
        /// The ref.
        refname: String,
        /// The rule's line.
        line: usize,
    },
}

impl Rule {
    /// Whether the rule allows a commit (or annotated tag) with this verdict on `refname`.
    /// `annotated_tag`: the object is a tag object, which must carry an allowed signature.
    pub fn judge(&self, verdict: Verdict<'_>, refname: &str, annotated_tag: bool) -> Result<(), Refusal> {
        match verdict {
            Verdict::Good { identity, issuer } => {
                // A rule without signers (it allows unsigned commits) asks nothing of a signer.
                let allowed = self.signers.is_empty()
                    || self
                        .signers
                        .iter()
                        .any(|s| matches(&s.identity, identity) && issuer.is_some_and(|i| matches(&s.issuer, i)));
                if allowed {
                    Ok(())
                } else {
                    Err(Refusal::NotAllowed {
                        identity: identity.into(),
                        issuer: issuer.unwrap_or("(none)").into(),
                        refname: refname.into(),
                    })
                }
            }
            Verdict::Unsigned if self.unsigned == Unsigned::Allow && !annotated_tag => Ok(()),
            Verdict::Unsigned => Err(Refusal::Unsigned { refname: refname.into() }),
            Verdict::Bad(why) => Err(Refusal::Bad(why.into())),
            Verdict::Unchecked(why) => Err(Refusal::Unchecked(why.into())),
        }
    }

    /// Whether the rule allows deleting `refname`.
    pub fn judge_deletion(&self, refname: &str) -> Result<(), Refusal> {
        match self.deletions {
            Deletions::Allow => Ok(()),
            Deletions::Reject => Err(Refusal::Deletion { refname: refname.into(), line: self.line }),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const GOOD: &str = r#"
version = 1
trusted_root = "root.json"
[[rule]]
refs = ["refs/heads/main", "refs/tags/*"]
[[rule.signers]]
identity = "alice@example.com"
issuer = "https://accounts.example.com"
[[rule.signers]]
identity_regexp = ".*@example[.]org"
issuer_regexp = "https://.*"
[[rule]]
refs = ["refs/heads/**"]
unsigned = "allow"
deletions = "reject"
"#;

    #[test]
    fn a_policy_parses_into_rules_and_the_first_matching_rule_wins() {
        let p = Policy::parse(GOOD, "p.toml").unwrap();
        assert_eq!(p.trusted_root.as_deref(), Some("root.json"));
        assert_eq!(p.rules.len(), 2);
        assert_eq!(p.rule_for("refs/heads/main").unwrap().line, 4);
        assert_eq!(p.rule_for("refs/heads/topic/x").unwrap().line, 12);
        assert!(p.rule_for("refs/notes/x").is_none());
        let main = p.rule_for("refs/tags/v1").unwrap();
        let good = |identity, issuer| Verdict::Good { identity, issuer };
        assert!(main.judge(good("alice@example.com", Some("https://accounts.example.com")), "r", false).is_ok());
        assert!(main.judge(good("bob@example.org", Some("https://x")), "r", false).is_ok());
        assert_eq!(
            main.judge(good("alice@example.com", Some("https://other.example")), "refs/heads/main", false),
            Err(Refusal::NotAllowed {
                identity: "alice@example.com".into(),
                issuer: "https://other.example".into(),
                refname: "refs/heads/main".into()
            })
        );
        // Anchored: a prefix of an allowed identity is not allowed.
        assert!(main.judge(good("bob@example.org.evil", Some("https://x")), "r", false).is_err());
        assert!(main.judge(good("alice@example.com", None), "r", false).is_err());
        assert!(matches!(main.judge(Verdict::Unsigned, "r", false), Err(Refusal::Unsigned { .. })));
        let topic = p.rule_for("refs/heads/topic").unwrap();
        assert!(topic.judge(Verdict::Unsigned, "r", false).is_ok());
        assert!(topic.judge(Verdict::Unsigned, "r", true).is_err(), "an annotated tag must be signed");
        assert!(topic.judge(good("anyone@example.net", None), "r", false).is_ok(), "no signers: any good signature");
        assert!(topic.judge_deletion("refs/heads/topic").is_err());
        assert!(main.judge_deletion("refs/heads/main").is_ok());
        assert!(matches!(topic.judge(Verdict::Bad("x"), "r", false), Err(Refusal::Bad(_))));
    }

    #[test]
    fn globs() {
        assert!(glob_match("refs/heads/release/*", "refs/heads/release/1.0"));
        assert!(!glob_match("refs/heads/release/*", "refs/heads/release/1/x"));
        assert!(glob_match("refs/heads/**", "refs/heads/release/1/x"));
        assert!(!glob_match("refs/heads/main", "refs/heads/main2"));
        assert!(glob_match("refs/*/main", "refs/heads/main"));
    }

    fn error(text: &str) -> String {
        Policy::parse(text, "p.toml").unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let e = error("version = 1\n[[rule]]\nrefs = [\"refs/heads/main\"]\nunsigned = \"deny\"\n");
        assert!(e.starts_with("p.toml: line 4: ") && e.contains("deny"), "{e}");
        let e = error("version = 1\n[[rule]]\nrefs = [\"refs/heads/main\"]\nunsignd = \"allow\"\n");
        assert!(e.contains("line 4") && e.contains("unsignd"), "{e}");
        let e = error("version = 1\n[[rule]]\nrefs = [\"refs/heads/main\"]\n");
        assert!(e.contains("line 2: rule.signers: this rule rejects unsigned"), "{e}");
        let e = error("version = 2\n");
        assert!(e.contains("line 1: version:"), "{e}");
        let e = error("version = 1\n[[rule]]\nrefs = [\"main\"]\nunsigned = \"allow\"\n");
        assert!(e.contains("line 3: rule.refs:"), "{e}");
        let e = error("version = 1\n[[rule]]\nrefs = [\"refs/x\"]\n[[rule.signers]]\nidentity = \"a\"\n");
        assert!(e.contains("line 4: rule.signers.issuer: each signer needs issuer"), "{e}");
        let e = error(
            "version = 1\n[[rule]]\nrefs = [\"refs/x\"]\n[[rule.signers]]\nidentity_regexp = \"(\"\nissuer = \"i\"\n",
        );
        assert!(e.contains("line 5: rule.signers.identity_regexp: not a regular expression"), "{e}");
        let e = error("version = 1\nrule = 3\n");
        assert!(e.contains("line 2"), "{e}");
        let e = error("this is not toml");
        assert!(e.starts_with("p.toml: line 1: "), "{e}");
    }
}
