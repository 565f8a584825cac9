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

/// Exit code: every signature checked is good.
pub const EXIT_GOOD: i32 = 0;
/// Exit code: a signature is bad, missing where required, or not allowed by the policy.
pub const EXIT_BAD: i32 = 1;
/// Exit code: usage or configuration error.
pub const EXIT_USAGE: i32 = 2;
/// Exit code: a signature could not be checked, and none was bad.
pub const EXIT_UNCHECKED: i32 = 3;

/// Why a signature did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// The signature is wrong: forged or altered data, a chain or SCT that does not verify, a
    /// log entry that does not match, an identity the policy does not allow, a log entry required
    /// (`--offline`) but missing.
    #[error("{0}")]
    Bad(String),
    /// The signature or the object carrying it is not in a form gitsign reads (garbled armor or
    /// DER, several signature headers): bad, as no retry can make it good; gpg calls it an error.
    #[error("{0}")]
    Malformed(String),
    /// The signature could not be checked: the log could not be reached or answered nonsense,
    /// the object could not be read. Retrying (or fixing the network) may give a verdict.
    #[error("{0}")]
    Unchecked(String),
    /// gitsign's configuration (git config, environment, trust root) is unusable.
    #[error("{0}")]
    Config(String),
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

impl From<gitsign_core::online::OnlineError> for Failure {
    fn from(e: gitsign_core::online::OnlineError) -> Self {
        use gitsign_core::online::OnlineError;
        match &e {
            _ if e.is_unchecked() => Failure::Unchecked(e.to_string()),
            OnlineError::NoObjectId => Failure::Malformed(e.to_string()),
            _ => Failure::Bad(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_mapping_for_verdict_status_and_exit() {
        let bad = Failure::Bad("the signed data was changed".into());
        assert_eq!((bad.verdict(), bad.exit_code(), bad.headline()), (Verdict::Bad, 1, "BAD signature"));
        assert!(bad.status_lines(Some("AB")).contains("[GNUPG:] BADSIG AB gitsign"));
        let garbled = Failure::Malformed("not DER".into());
        assert_eq!((garbled.verdict(), garbled.exit_code()), (Verdict::Bad, 1));
        assert!(garbled.status_lines(Some("AB")).contains("[GNUPG:] ERRSIG "));
        let offline = Failure::Unchecked("cannot reach Rekor".into());
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
