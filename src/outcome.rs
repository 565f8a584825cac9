//! The one mapping from how a signature check ended to what every output says about it: the
//! JSON verdict of `gitsign verify`, the `[GNUPG:]` status line git reads, the message prefix,
//! and the exit code.
//!
//! | ended                        | verdict    | git status | exit |
//! |------------------------------|------------|------------|------|
//! | verified                     | `good`     | GOODSIG    | 0    |
//! | [`Failure::Bad`]             | `bad`      | BADSIG     | 1    |
//! | [`Failure::Malformed`]       | `bad`      | ERRSIG     | 1    |
//! | not signed (unless allowed)  | `unsigned` | —          | 1    |
//! | [`Failure::Unchecked`]       | `error`    | ERRSIG     | 3    |
//! | [`Failure::Config`]          | —          | ERRSIG     | 2    |
//!
//! A run's exit code is its worst: 1 if anything was bad (or unsigned where not allowed), else 3
//! if anything could not be checked, else 0; a usage or configuration error stops it with 2.

use gitsign_core::{config, gitobj, online, signature, verify};

/// Exit code: every signature checked is good.
pub const EXIT_GOOD: i32 = 0;
/// Exit code: a signature is bad, missing where required, or not allowed by the policy.
pub const EXIT_BAD: i32 = 1;
/// Exit code: usage or configuration error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: a signature could not be checked, and none was bad.
pub const EXIT_UNCHECKED: i32 = 3;

/// Why a signature did not verify: how it ended (the variant, which picks the verdict, the
/// status line and the exit code) and why (the typed [`Cause`], turned into words only when
/// printed).
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The signature is wrong: forged or altered data, a chain or SCT that does not verify, a
    /// log entry that does not match, an identity the policy does not allow, a log entry required
    /// (`--offline`) but missing.
    #[error(transparent)]
    Bad(Cause),
    /// The signature or the object carrying it is not in a form gitsign reads (garbled armor or
    /// DER, several signature headers): bad, as no retry can make it good; gpg calls it an error.
    #[error(transparent)]
    Malformed(Cause),
    /// The signature could not be checked: the log could not be reached or answered nonsense,
    /// the object could not be read. Retrying (or fixing the network) may give a verdict.
    #[error(transparent)]
    Unchecked(Cause),
    /// gitsign's configuration (git config, environment, trust root) is unusable.
    #[error(transparent)]
    Config(Cause),
}

/// The error behind a [`Failure`], as the module that found it typed it.
#[derive(Debug, thiserror::Error)]
pub enum Cause {
    /// A verification check failed (or the trust root is unusable).
    #[error(transparent)]
    Verify(#[from] verify::VerifyError),
    /// The signature is unreadable.
    #[error(transparent)]
    Signature(#[from] signature::SignatureError),
    /// The object's signature cannot be told apart from its payload.
    #[error(transparent)]
    Object(#[from] gitobj::SplitError),
    /// The online-mode log lookup failed.
    #[error(transparent)]
    Online(#[from] online::OnlineError),
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// The HTTP client could not be set up.
    #[error(transparent)]
    Net(#[from] gitsign_core::net::NetError),
    /// A file or stream could not be read.
    #[error("{what}: {source}")]
    Io {
        /// What was being read.
        what: String,
        /// Why not.
        source: std::io::Error,
    },
    /// A cause, with what gitsign was doing when it happened.
    #[error("{context}: {cause}")]
    Context {
        /// What was being done.
        context: &'static str,
        /// What went wrong.
        cause: Box<Cause>,
    },
    /// A refusal made by the command layer itself, in words (the outermost edge).
    #[error("{0}")]
    Refused(String),
}

impl From<String> for Cause {
    fn from(s: String) -> Self {
        Cause::Refused(s)
    }
}

impl From<&str> for Cause {
    fn from(s: &str) -> Self {
        Cause::Refused(s.to_string())
    }
}

/// What one object's check says, as `gitsign verify --output json` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Verified.
    Good,
    /// A bad signature.
    Bad,
    /// Could not be checked.
    Error,
    /// Not signed.
    Unsigned,
}

impl Verdict {
    /// The JSON and table word.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Good => "good",
            Verdict::Bad => "bad",
            Verdict::Error => "error",
            Verdict::Unsigned => "unsigned",
        }
    }
}

impl Failure {
    /// The verdict of an object that failed so.
    pub fn verdict(&self) -> Verdict {
        match self {
            Failure::Bad(_) | Failure::Malformed(_) => Verdict::Bad,
            Failure::Unchecked(_) | Failure::Config(_) => Verdict::Error,
        }
    }

    /// The exit code of a `git verify-*` run that failed so.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Bad(_) | Failure::Malformed(_) => EXIT_BAD,
            Failure::Unchecked(_) => EXIT_UNCHECKED,
            Failure::Config(_) => EXIT_USAGE,
        }
    }

    /// Whether git is told BADSIG (the signature was checked and is wrong) rather than ERRSIG.
    pub fn is_badsig(&self) -> bool {
        matches!(self, Failure::Bad(_))
    }

    /// What the person reads before the reason.
    pub fn headline(&self) -> &'static str {
        if self.is_badsig() { "BAD signature" } else { "cannot check the signature" }
    }

    /// The `[GNUPG:]` status lines for git; `fingerprint`: the signer certificate's, when it was read.
    pub fn status_lines(&self, fingerprint: Option<&str>) -> String {
        match (self.is_badsig(), fingerprint) {
            (true, Some(fpr)) => format!("\n[GNUPG:] NEWSIG\n[GNUPG:] BADSIG {fpr} gitsign\n"),
            _ => "\n[GNUPG:] NEWSIG\n[GNUPG:] ERRSIG 0000000000000000 19 8 00 0 9\n".to_string(),
        }
    }
}

/// How many objects ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Verified.
    pub good: usize,
    /// Bad signatures.
    pub bad: usize,
    /// Not checked.
    pub error: usize,
    /// Not signed.
    pub unsigned: usize,
}

impl Tally {
    /// Counts one verdict.
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Good => self.good += 1,
            Verdict::Bad => self.bad += 1,
            Verdict::Error => self.error += 1,
            Verdict::Unsigned => self.unsigned += 1,
        }
    }

    /// All objects counted.
    pub fn total(&self) -> usize {
        self.good + self.bad + self.error + self.unsigned
    }

    /// The run's exit code: 1 if anything was bad or unsigned (unless allowed) or nothing was
    /// checked at all, else 3 if anything could not be checked, else 0.
    pub fn exit_code(&self, allow_unsigned: bool) -> i32 {
        if self.bad > 0 || (self.unsigned > 0 && !allow_unsigned) || self.total() == 0 {
            EXIT_BAD
        } else if self.error > 0 {
            EXIT_UNCHECKED
        } else {
            EXIT_GOOD
        }
    }

    /// `5 good, 1 bad, 0 error, 2 unsigned`.
    pub fn counts(&self) -> String {
        format!("{} good, {} bad, {} error, {} unsigned", self.good, self.bad, self.error, self.unsigned)
    }
}

// The one mapping from each typed error to how a check ended.

impl From<verify::VerifyError> for Failure {
    fn from(e: verify::VerifyError) -> Self {
        match e {
            verify::VerifyError::TrustRoot(_) | verify::VerifyError::RefreshDue => Failure::Config(e.into()),
            _ => Failure::Bad(e.into()),
        }
    }
}

impl From<signature::SignatureError> for Failure {
    fn from(e: signature::SignatureError) -> Self {
        Failure::Malformed(e.into())
    }
}

impl From<gitobj::SplitError> for Failure {
    fn from(e: gitobj::SplitError) -> Self {
        Failure::Malformed(e.into())
    }
}

impl From<config::ConfigError> for Failure {
    fn from(e: config::ConfigError) -> Self {
        Failure::Config(e.into())
    }
}

impl From<gitsign_core::net::NetError> for Failure {
    fn from(e: gitsign_core::net::NetError) -> Self {
        Failure::Config(e.into())
    }
}

impl From<online::OnlineError> for Failure {
    fn from(e: online::OnlineError) -> Self {
        match &e {
            _ if e.is_unchecked() => Failure::Unchecked(e.into()),
            online::OnlineError::NoObjectId => Failure::Malformed(e.into()),
            _ => Failure::Bad(e.into()),
        }
    }
}

impl Failure {
    /// The same ending, its cause put in `context` (what gitsign was doing).
    pub fn context(self, context: &'static str) -> Failure {
        let wrap = |cause: Cause| Cause::Context { context, cause: Box::new(cause) };
        match self {
            Failure::Bad(c) => Failure::Bad(wrap(c)),
            Failure::Malformed(c) => Failure::Malformed(wrap(c)),
            Failure::Unchecked(c) => Failure::Unchecked(wrap(c)),
            Failure::Config(c) => Failure::Config(wrap(c)),
        }
    }

    /// The typed cause.
    pub fn cause(&self) -> &Cause {
        match self {
            Failure::Bad(c) | Failure::Malformed(c) | Failure::Unchecked(c) | Failure::Config(c) => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mapping_for_verdict_status_and_exit() {
        let bad = Failure::from(gitsign_core::verify::VerifyError::BadSignature);
        assert_eq!((bad.verdict(), bad.exit_code(), bad.headline()), (Verdict::Bad, 1, "BAD signature"));
        assert!(bad.status_lines(Some("AB")).contains("[GNUPG:] BADSIG AB gitsign"));
        let garbled = Failure::from(gitsign_core::signature::SignatureError::NotArmored);
        assert_eq!((garbled.verdict(), garbled.exit_code()), (Verdict::Bad, 1));
        assert!(garbled.status_lines(Some("AB")).contains("[GNUPG:] ERRSIG "));
        let offline = Failure::Unchecked("cannot reach Rekor".into());
        // The trust root is configuration, whichever module reports it.
        let trust = Failure::from(gitsign_core::verify::VerifyError::TrustRoot("unreadable".into()));
        assert_eq!((trust.verdict(), trust.exit_code()), (Verdict::Error, 2));
        assert_eq!((offline.verdict(), offline.exit_code()), (Verdict::Error, 3));
        assert!(offline.status_lines(None).contains("[GNUPG:] ERRSIG "));
        assert_eq!(Failure::Config("x".into()).exit_code(), 2);
    }

    #[test]
    fn a_run_exits_with_its_worst_verdict() {
        let tally = |g, b, e, u| Tally { good: g, bad: b, error: e, unsigned: u };
        assert_eq!(tally(3, 0, 0, 0).exit_code(false), 0);
        assert_eq!(tally(3, 0, 1, 0).exit_code(false), 3);
        assert_eq!(tally(3, 1, 1, 0).exit_code(false), 1);
        assert_eq!(tally(3, 0, 1, 1).exit_code(false), 1);
        assert_eq!(tally(3, 0, 1, 1).exit_code(true), 3);
        assert_eq!(tally(3, 0, 0, 1).exit_code(true), 0);
        assert_eq!(tally(0, 0, 0, 0).exit_code(false), 1);
        assert_eq!(tally(1, 2, 3, 4).counts(), "1 good, 2 bad, 3 error, 4 unsigned");
    }
}
