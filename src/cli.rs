//! gitsign's own command line (`gitsign verify`, `sign-blob`, …), defined once with clap: parsing,
//! `--help`, shell completions and man pages all come from these types. git's gpg-style command
//! line (`--status-fd=2 -bsau KEY`, `--verify SIG -`) is not here: it has its own parser in
//! [`crate::gpg`], and [`is_gpg_invocation`] decides which of the two reads a command line.

use crate::verify::{Matcher, Policy};
use clap::{Args, CommandFactory as _, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// The exit codes, as `--help` and the README give them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  every signature checked is good
  1  a signature is bad (forged, altered, expired chain), missing where required, or not allowed
     by the policy
  2  usage or configuration error
  3  a signature could not be checked (e.g. Rekor unreachable in online mode, an unreadable
     object) and none was bad";

const SETUP: &str = "\
Configure git to use it:
  git config gpg.format x509
  git config gpg.x509.program gitsign
  git config commit.gpgsign true

git runs `gitsign --status-fd=N -bsau KEY` to sign and `gitsign --status-fd=N --verify SIG -` to verify.";

/// Keyless Git signing with Sigstore.
#[derive(Debug, Parser)]
#[command(
    name = "gitsign",
    version,
    about = "Keyless Git signing with Sigstore",
    long_about = None,
    before_long_help = SETUP,
    after_help = EXIT_CODES,
    arg_required_else_help = true,
    disable_version_flag = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Verify commits (default HEAD) against the trust root and an identity policy
    #[command(after_help = EXIT_CODES)]
    Verify(VerifyArgs),
    /// Verify signed tags (each must carry the tag name it is asked for)
    #[command(after_help = EXIT_CODES)]
    VerifyTag(VerifyTagArgs),
    /// Verify a Sigstore bundle over a file (or sha256:HEX), cosign-style
    #[command(after_help = EXIT_CODES)]
    VerifyBlob(VerifyBlobArgs),
    /// Sign a file into a Sigstore bundle
    SignBlob(SignBlobArgs),
    /// Refresh the trusted root through TUF (cached for verification)
    Initialize(InitializeArgs),
    /// See or drop the credentials of the cache at $GITSIGN_CREDENTIAL_CACHE
    Credentials {
        /// What to do with the cached credentials.
        #[command(subcommand)]
        action: CredentialsAction,
    },
    /// Print the version and the effective configuration
    Version {
        /// One JSON object: {"version", "settings": {KEY: VALUE}} (a configuration error: "error")
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script to stdout
    Completion {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the man pages (gitsign.1 and one page per subcommand) into a directory
    Man {
        /// Where to write them (created if missing).
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
    },
    /// Print a commit's or annotated tag's signature as an in-toto statement (as the Go gitsign)
    Show(ShowArgs),
    /// Enforce a signing policy on pushes: git hooks (see git-hooks/README.md)
    #[command(after_help = EXIT_CODES)]
    Hook {
        /// Which hook.
        #[command(subcommand)]
        action: HookAction,
    },
    /// Sign an in-toto attestation of HEAD's commit or tree into refs/attestations (as the Go gitsign)
    Attest(AttestArgs),
    /// Verify the attestations of a commit or tree under refs/attestations
    #[command(after_help = EXIT_CODES)]
    VerifyAttestation(VerifyAttestationArgs),
}

/// `gitsign hook ACTION`.
#[derive(Debug, Clone, Subcommand)]
pub enum HookAction {
    /// Server side: judge the ref updates git gives on stdin; refuse the push if any is not allowed
    PreReceive(HookArgs),
    /// Client side: judge what `git push` is about to send; stop it if anything is not allowed
    PrePush {
        /// Policy and output.
        #[command(flatten)]
        args: HookArgs,
        /// The remote's name (git passes it)
        #[arg(value_name = "REMOTE", default_value = "origin")]
        remote: String,
        /// The remote's URL (git passes it; unused)
        #[arg(value_name = "URL")]
        url: Option<String>,
    },
    /// Install the pre-receive or pre-push hook into a repository (bare or not)
    Install(HookInstallArgs),
}

/// What the hooks share.
#[derive(Debug, Clone, Default, Args)]
pub struct HookArgs {
    /// The policy file (default: git config gitsign.policy)
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Output format (json: one object for the whole decision on stdout)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Output::Human)]
    pub output: Output,
    /// Never contact Rekor: a signature whose log entry is not embedded is refused
    #[arg(long)]
    pub offline: bool,
}

/// `gitsign hook install`.
#[derive(Debug, Clone, Default, Args)]
pub struct HookInstallArgs {
    /// Install the server hook
    #[arg(long, conflicts_with = "pre_push", required_unless_present = "pre_push")]
    pub pre_receive: bool,
    /// Install the client hook
    #[arg(long)]
    pub pre_push: bool,
    /// The repository (default: the current directory); core.hooksPath is honoured
    #[arg(long, value_name = "DIR")]
    pub repo: Option<PathBuf>,
    /// The policy, recorded (absolute) in the repository's git config gitsign.policy
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Replace an existing hook
    #[arg(long)]
    pub force: bool,
}

/// `gitsign show`.
#[derive(Debug, Clone, Args)]
pub struct ShowArgs {
    /// The git remote whose URL names the statement's subject
    #[arg(long, short = 'r', value_name = "NAME", default_value = "origin")]
    pub remote: String,
    /// A commit, or an annotated tag's name (default HEAD)
    #[arg(value_name = "REV")]
    pub revision: Option<String>,
}

/// `gitsign credentials ACTION`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum CredentialsAction {
    /// List the cached credentials
    List,
    /// Drop every cached credential
    Clear,
}

/// Which identities are accepted, and which trust root: shared by verify, verify-tag and verify-blob.
#[derive(Debug, Clone, Default, Args)]
pub struct PolicyFlags {
    /// The certificate's identity (SAN) must be exactly this
    #[arg(long, value_name = "IDENTITY", conflicts_with = "certificate_identity_regexp")]
    pub certificate_identity: Option<String>,
    /// The certificate's identity (SAN) must match this regular expression (anchored)
    #[arg(long, value_name = "REGEXP", value_parser = Matcher::regex)]
    pub certificate_identity_regexp: Option<Matcher>,
    /// The certificate's OIDC issuer must be exactly this
    #[arg(long, value_name = "URL", conflicts_with = "certificate_oidc_issuer_regexp")]
    pub certificate_oidc_issuer: Option<String>,
    /// The certificate's OIDC issuer must match this regular expression (anchored)
    #[arg(long, value_name = "REGEXP", value_parser = Matcher::regex)]
    pub certificate_oidc_issuer_regexp: Option<Matcher>,
    /// Accept a certificate without a verifiable SCT (insecure)
    #[arg(long)]
    pub insecure_ignore_sct: bool,
    /// The trusted_root.json to verify against (default: gitsign.trustedRoot, the TUF cache, built-in)
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
}

impl PolicyFlags {
    /// The identity policy the flags give.
    pub fn policy(&self) -> Policy {
        let exact = |s: &Option<String>| s.clone().map(Matcher::Exact);
        Policy {
            identity: exact(&self.certificate_identity).or_else(|| self.certificate_identity_regexp.clone()),
            issuer: exact(&self.certificate_oidc_issuer).or_else(|| self.certificate_oidc_issuer_regexp.clone()),
        }
    }
}

/// How `gitsign verify` writes its verdicts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A table for a person
    #[default]
    #[value(alias = "text")]
    Human,
    /// One JSON object per line, one line per commit or tag
    Json,
}

/// What verify and verify-tag share.
#[derive(Debug, Clone, Default, Args)]
pub struct CheckFlags {
    /// Identity policy and trust root.
    #[command(flatten)]
    pub policy: PolicyFlags,
    /// Never contact Rekor: a signature whose log entry is not embedded fails
    #[arg(long)]
    pub offline: bool,
    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = Output::Human)]
    pub output: Output,
    /// Unsigned commits or tags do not fail the run
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Check no log entry and no trusted time: only signature, chain and identity (insecure)
    #[arg(long)]
    pub insecure_ignore_tlog: bool,
    /// GitHub workflow claims the certificate must carry.
    #[command(flatten)]
    pub workflow: WorkflowFlags,
}

/// Go gitsign's (cosign's) `--certificate-github-workflow-*` flags: each given must equal the
/// certificate's Fulcio extension exactly.
#[derive(Debug, Clone, Default, Args)]
pub struct WorkflowFlags {
    /// The certificate's GitHub workflow trigger (Fulcio extension 1.3.6.1.4.1.57264.1.2) must be this
    #[arg(long, value_name = "EVENT")]
    pub certificate_github_workflow_trigger: Option<String>,
    /// The certificate's GitHub workflow SHA (extension 1.3.6.1.4.1.57264.1.3) must be this
    #[arg(long, value_name = "SHA")]
    pub certificate_github_workflow_sha: Option<String>,
    /// The certificate's GitHub workflow name (extension 1.3.6.1.4.1.57264.1.4) must be this
    #[arg(long, value_name = "NAME")]
    pub certificate_github_workflow_name: Option<String>,
    /// The certificate's GitHub workflow repository (extension 1.3.6.1.4.1.57264.1.5) must be this
    #[arg(long, value_name = "OWNER/REPO")]
    pub certificate_github_workflow_repository: Option<String>,
    /// The certificate's GitHub workflow ref (extension 1.3.6.1.4.1.57264.1.6) must be this
    #[arg(long, value_name = "REF")]
    pub certificate_github_workflow_ref: Option<String>,
}

impl WorkflowFlags {
    /// The claims the flags ask for.
    pub fn policy(&self) -> crate::verify::WorkflowPolicy {
        crate::verify::WorkflowPolicy {
            trigger: self.certificate_github_workflow_trigger.clone(),
            sha: self.certificate_github_workflow_sha.clone(),
            name: self.certificate_github_workflow_name.clone(),
            repository: self.certificate_github_workflow_repository.clone(),
            git_ref: self.certificate_github_workflow_ref.clone(),
        }
    }
}

/// `gitsign verify`.
#[derive(Debug, Clone, Default, Args)]
pub struct VerifyArgs {
    /// Policy and output.
    #[command(flatten)]
    pub check: CheckFlags,
    /// Every commit reachable from a ref (git rev-list --all)
    #[arg(long)]
    pub all: bool,
    /// Judge the commits by this push policy file (who may sign which refs) instead of an identity
    #[arg(long = "policy", value_name = "FILE")]
    pub policy_file: Option<PathBuf>,
    /// With --policy: the ref whose rule applies (default: the current branch)
    #[arg(long = "ref", value_name = "REF", requires = "policy_file")]
    pub policy_ref: Option<String>,
    /// Commits or ranges, as git rev-list takes them (default HEAD)
    #[arg(value_name = "REV|RANGE")]
    pub revs: Vec<String>,
}

/// `gitsign verify-tag`.
#[derive(Debug, Clone, Default, Args)]
pub struct VerifyTagArgs {
    /// Policy and output.
    #[command(flatten)]
    pub check: CheckFlags,
    /// Tag names (v1.0 or refs/tags/v1.0)
    #[arg(value_name = "TAG", required = true)]
    pub tags: Vec<String>,
}

/// `gitsign verify-blob`.
#[derive(Debug, Clone, Default, Args)]
pub struct VerifyBlobArgs {
    /// Identity policy and trust root.
    #[command(flatten)]
    pub policy: PolicyFlags,
    /// The Sigstore bundle to verify
    #[arg(long, value_name = "FILE", required = true)]
    pub bundle: String,
    /// Verify against this public key (PEM key or certificate) instead of an identity
    #[arg(long, value_name = "PEM", conflicts_with_all = [
        "certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp"
    ])]
    pub key: Option<String>,
    /// The signed file, or sha256:HEX of it
    #[arg(value_name = "FILE|sha256:HEX")]
    pub artifact: String,
}

/// `gitsign sign-blob`.
#[derive(Debug, Clone, Default, Args)]
pub struct SignBlobArgs {
    /// Where to write the Sigstore bundle
    #[arg(long, value_name = "OUT", required = true)]
    pub bundle: String,
    /// The trusted_root.json the new bundle is checked against
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,
    /// A Sigstore signing config (v0.2) that picks Fulcio, Rekor (v1 or v2) and the timestamp
    /// authority (as gitsign.signingConfig)
    #[arg(long, value_name = "FILE")]
    pub signing_config: Option<PathBuf>,
    /// The file to sign
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// `gitsign initialize`.
#[derive(Debug, Clone, Args)]
pub struct InitializeArgs {
    /// The TUF repository
    #[arg(long, value_name = "URL", default_value = gitsign_core::tuf::DEFAULT_MIRROR)]
    pub mirror: String,
    /// The repository's root.json, obtained out of band (needed the first time, except for the public-good mirror, whose root is built in)
    #[arg(long, value_name = "FILE")]
    pub root: Option<String>,
}

/// Which object `attest` and `verify-attestation` are about.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ObjType {
    /// The commit (refs/attestations/commits)
    #[default]
    Commit,
    /// The commit's tree (refs/attestations/trees)
    Tree,
}

/// `gitsign attest`.
#[derive(Debug, Clone, Args)]
pub struct AttestArgs {
    /// The predicate: a JSON object file (its base name names the files in the attestation tree)
    #[arg(long = "filepath", short = 'f', value_name = "FILE")]
    pub file: PathBuf,
    /// The statement's predicate type URI (default: none, as the Go gitsign)
    #[arg(long = "type", value_name = "URI", default_value = "")]
    pub predicate_type: String,
    /// Attest HEAD's commit or HEAD's tree
    #[arg(long, value_enum, value_name = "commit|tree", default_value_t = ObjType::Commit)]
    pub objtype: ObjType,
}

/// `gitsign verify-attestation`.
#[derive(Debug, Clone, Args)]
pub struct VerifyAttestationArgs {
    /// Identity policy and trust root (an identity and an issuer are required, as for verify).
    #[command(flatten)]
    pub policy: PolicyFlags,
    /// Verify the attestations of the commit or of its tree
    #[arg(long, value_enum, value_name = "commit|tree", default_value_t = ObjType::Commit)]
    pub objtype: ObjType,
    /// Only attestations of this predicate type count; there must be at least one
    #[arg(long = "type", value_name = "URI")]
    pub predicate_type: Option<String>,
    /// The commit (or, with --objtype tree, commit or tree) whose attestations to verify (default HEAD)
    #[arg(value_name = "REV")]
    pub revision: Option<String>,
    /// GitHub workflow claims the signer's certificate must carry (as for verify).
    #[command(flatten)]
    pub workflow: WorkflowFlags,
}

/// Whether git's gpg front end, not clap, reads `args`: git calls gitsign with options only
/// (`--status-fd=2 -bsau KEY`, `--verify SIG -`), while gitsign's own commands start with a word.
/// `--help`, `-h` and `--version` are ours.
pub fn is_gpg_invocation(args: &[OsString]) -> bool {
    match args.first().and_then(|a| a.to_str()) {
        None => false,
        Some("--help" | "-h" | "--version") => false,
        Some(first) => first.starts_with('-'),
    }
}

/// Parses `args` (without the program name) as one of gitsign's own commands.
pub fn parse(args: &[OsString]) -> Result<Cli, clap::Error> {
    // `gitsign --version` is `gitsign version`, as before clap.
    let args = args.iter().map(|a| if a == "--version" { OsString::from("version") } else { a.clone() });
    Cli::try_parse_from(std::iter::once(OsString::from("gitsign")).chain(args))
}

/// Parses one subcommand's arguments (without its name) into its argument type, for callers
/// that have the words after the subcommand.
pub fn parse_subcommand<T: Args>(name: &str, args: &[String]) -> Result<T, clap::Error> {
    let cmd = T::augment_args(clap::Command::new(format!("gitsign {name}")).no_binary_name(true));
    let mut matches = cmd.try_get_matches_from(args)?;
    T::from_arg_matches_mut(&mut matches)
}

/// The clap command, for completions and man pages.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Writes the completion script for `shell`.
pub fn completion(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    clap_complete::generate(shell, &mut command(), "gitsign", out);
}

/// Writes gitsign.1 and gitsign-SUBCOMMAND.1 (for each subcommand, nested ones too) into `dir`;
/// returns the files written.
pub fn man_pages(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    fn write(cmd: &clap::Command, name: &str, dir: &std::path::Path, done: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let cmd = cmd.clone().name(name.to_string()).bin_name(name.replace('-', " "));
        let path = dir.join(format!("{name}.1"));
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
        std::fs::write(&path, page)?;
        done.push(path);
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            write(sub, &format!("{name}-{}", sub.get_name()), dir, done)?;
        }
        Ok(())
    }
    std::fs::create_dir_all(dir)?;
    let mut done = Vec::new();
    let mut cmd = command();
    cmd.build();
    write(&cmd, "gitsign", dir, &mut done)?;
    Ok(done)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn definitions_are_consistent() {
        command().debug_assert();
    }

    #[test]
    fn gpg_command_lines_go_to_the_gpg_parser() {
        for gpg in ["--status-fd=2 -bsau KEY", "-bsau KEY", "--status-fd=1 --verify /tmp/sig -", "--keyid-format=long"]
        {
            assert!(is_gpg_invocation(&words(gpg)), "{gpg}");
        }
        for ours in ["", "verify", "help", "--help", "-h", "--version", "verfy"] {
            assert!(!is_gpg_invocation(&words(ours)), "{ours}");
        }
    }

    #[test]
    fn sign_blob_refuses_verification_flags() {
        let err = parse(&words("sign-blob --key k.pem --bundle b f")).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
        assert!(err.to_string().contains("--key"), "{err}");
        let err = parse(&words("sign-blob --certificate-identity a --bundle b f")).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }

    #[test]
    fn unknown_flags_get_suggestions_and_exit_2() {
        let err = parse(&words("verify --certificate-identiy a HEAD")).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("--certificate-identity"), "{err}");
    }

    #[test]
    fn policy_flags_and_revs() {
        let Command::Verify(v) =
            parse(&words("verify --certificate-identity-regexp .*@x --all HEAD~1..HEAD")).unwrap().command
        else {
            panic!("not verify")
        };
        assert!(v.all && v.revs == ["HEAD~1..HEAD"]);
        assert!(matches!(v.check.policy.policy().identity, Some(Matcher::Regex(_))));
        let err = parse(&words("verify --certificate-identity-regexp ( HEAD")).unwrap_err();
        assert!(err.to_string().contains("--certificate-identity-regexp"), "{err}");
        let blob: VerifyBlobArgs =
            parse_subcommand("verify-blob", &["--bundle".into(), "b".into(), "--key=k".into(), "f".into()]).unwrap();
        assert_eq!((blob.bundle.as_str(), blob.key.as_deref(), blob.artifact.as_str()), ("b", Some("k"), "f"));
    }
}
