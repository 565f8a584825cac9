//! Verification of a gitsign signature, offline: the CMS digest and signature; the certificate
//! chain to a Fulcio CA of the trust root, valid at the log's integrated time (not now); the
//! code-signing EKU; the embedded log entry's signed entry timestamp, inclusion proof and signed
//! checkpoint under a Rekor key of the trust root valid at that time; and the identity policy.
//! Each failure is its own variant carrying the evidence.

use crate::signature::{self, Parsed};
use crate::timestamp::{AuthorityEku, TimestampError};
use crate::tlog::TransparencyLogEntry;
use ::time::OffsetDateTime;
use der::Decode as _;
use der::asn1::ObjectIdentifier;
use gitsign_protocol::checkpoint::{self, SignedCheckpoint};
use gitsign_protocol::keys::{PublicKey, pem_encode};
use gitsign_protocol::merkle::{self, Hash};
use gitsign_protocol::rekor::{HASHEDREKORD, HASHEDREKORD_VERSION, HashedRekord, hashedrekord_body_with, set_payload};
use gitsign_protocol::trust::{TimeRange, TrustedRoot};
use gitsign_protocol::{oid, sha256, unb64};
use prost::Message as _;
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};

/// Why a signature is not accepted.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The signature is unreadable.
    #[error(transparent)]
    Format(#[from] signature::SignatureError),
    /// The payload is not what was signed.
    #[error("the signed data was changed: its SHA-256 is {found}, the signature covers {expected}")]
    DigestMismatch {
        /// Digest in the signature, hex.
        expected: String,
        /// Digest of the payload, hex.
        found: String,
    },
    /// The CMS signature does not verify with the certificate's key.
    #[error("the signature does not verify with its certificate's key")]
    BadSignature,
    /// A certificate is unreadable.
    #[error("certificate: {0}")]
    Certificate(String),
    /// No CA of the trust root issued the certificate.
    #[error("the certificate (issuer {issuer}) does not chain to a Fulcio CA of the trust root{hint}")]
    UntrustedChain {
        /// The leaf's issuer.
        issuer: String,
        /// A hint on which trust root was used.
        hint: String,
    },
    /// The certificate was not valid when the entry was logged.
    #[error("the certificate was valid from {not_before} to {not_after}, not at the signing time {at}")]
    CertificateExpired {
        /// Signing time (integrated time).
        at: OffsetDateTime,
        /// Start of validity.
        not_before: OffsetDateTime,
        /// End of validity.
        not_after: OffsetDateTime,
    },
    /// No valid signed certificate timestamp from a CT log of the trust root.
    #[error("certificate transparency: {0}")]
    Sct(String),
    /// An RFC 3161 timestamp does not verify.
    #[error("timestamp: {0}")]
    Timestamp(#[from] crate::timestamp::TimestampError),
    /// The certificate is not for code signing.
    #[error("the certificate lacks the code-signing extended key usage")]
    NotCodeSigning,
    /// The signature carries no log entry.
    #[error(
        "the signature has no transparency-log entry embedded (it was made in Rekor online mode); verify it online against Rekor"
    )]
    NoLogEntry,
    /// The log entry is unreadable or inconsistent.
    #[error("transparency-log entry: {0}")]
    LogEntry(String),
    /// No Rekor key of the trust root has this log ID (at that time).
    #[error("the log entry is signed by log {log_id}, which the trust root does not hold (valid at {at})")]
    UnknownLog {
        /// Hex log ID.
        log_id: String,
        /// Integrated time.
        at: OffsetDateTime,
    },
    /// The signed entry timestamp does not verify.
    #[error("the signed entry timestamp of log index {log_index} does not verify with log {log_id}")]
    BadEntryTimestamp {
        /// Log index.
        log_index: i64,
        /// Hex log ID.
        log_id: String,
    },
    /// The inclusion proof does not verify.
    #[error("the inclusion proof of log index {log_index} does not verify: {source}")]
    Inclusion {
        /// Log index.
        log_index: i64,
        /// Why.
        source: merkle::ProofError,
    },
    /// The checkpoint is unreadable, unsigned, or for another tree.
    #[error("the checkpoint of log index {log_index}: {problem}")]
    Checkpoint {
        /// Log index.
        log_index: i64,
        /// Why.
        problem: CheckpointProblem,
    },
    /// The identity is not the expected one.
    #[error("the certificate identity is {found:?}, expected {expected}")]
    Identity {
        /// The policy.
        expected: String,
        /// The certificate's SANs.
        found: Vec<String>,
    },
    /// A time (integrated time, SCT or timestamp) outside what a date can hold.
    #[error("a time of {0} seconds since 1970 is out of range (years -9999 to 9999): refused")]
    TimeOutOfRange(i64),
    /// The signature's algorithm does not fit the certificate's key.
    #[error("the signature is ecdsa-with-SHA256, but the certificate's key cannot make it: {0}")]
    SignatureAlgorithm(String),
    /// The certificate does not name exactly one signer of a known kind.
    #[error("the certificate's identity is unusable: {0}")]
    SubjectAltName(String),
    /// The OIDC issuer is not the expected one.
    #[error("the certificate's OIDC issuer is {found:?}, expected {expected}")]
    Issuer {
        /// The policy.
        expected: String,
        /// The certificate's issuer.
        found: Option<String>,
    },
    /// The trust root is unreadable.
    #[error("trust root: {0}")]
    TrustRoot(String),
    /// The TUF-cached trust root is due a refresh over the network, and this load was made on
    /// the condition that it use none (see `trust::Refreshing`).
    #[error("trust root: the TUF cache is due a refresh over the network, which this load may not make")]
    RefreshDue,
    /// A GitHub workflow claim of the certificate is not the one asked for.
    #[error("the certificate's GitHub workflow {claim} (extension {oid}) is {found:?}, expected {expected:?}")]
    WorkflowClaim {
        /// Which claim (trigger, sha, name, repository, ref).
        claim: &'static str,
        /// The extension's OID.
        oid: String,
        /// What was asked.
        expected: String,
        /// What the certificate carries (`None`: no such extension).
        found: Option<String>,
    },
}

/// What is wrong with the signed checkpoint of a log entry's inclusion proof.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointProblem {
    /// The proof carries no checkpoint.
    #[error("missing")]
    Missing,
    /// Unreadable, for another log, or not signed by the trust root's key for the log.
    #[error(transparent)]
    Checkpoint(#[from] checkpoint::CheckpointError),
    /// Signed, but for another tree than the proof's.
    #[error(
        "it signs tree {} of size {signed_size}, the proof is for {} of size {proof_size}",
        hex::encode(signed_root),
        hex::encode(proof_root)
    )]
    OtherTree {
        /// The checkpoint's root hash.
        signed_root: Hash,
        /// The checkpoint's tree size.
        signed_size: u64,
        /// The proof's root hash.
        proof_root: Hash,
        /// The proof's tree size.
        proof_size: u64,
    },
}

/// One link of a trust root's chain, named by what it is made of: SHA-256 over a label, the
/// issuing key (its SubjectPublicKeyInfo, DER) and the whole certificate that key is said to
/// have signed (DER: to-be-signed part, algorithm and signature). Whether that signature
/// verifies is a fact of those bytes and of the code that parses and verifies them — the same
/// at any time, under any policy or trust root — so a link once verified need not be verified
/// again ([`TrustRoot::know_links`]). The label names this library's version: another version that
/// parses or verifies differently (an algorithm dropped, a bug fixed) names every link anew,
/// and trusts none that an older one verified.
pub type LinkId = [u8; 32];

/// What a [`LinkId`] hashes first.
const LINK_LABEL: &str = concat!("gitsign trust-root chain link, gitsign-core ", env!("CARGO_PKG_VERSION"), "\0");

/// The [`LinkId`] of `child` (DER) signed by the key `parent_spki` (DER).
fn link_id(parent_spki: &[u8], child: &[u8]) -> LinkId {
    let mut named = Vec::with_capacity(64 + parent_spki.len() + child.len());
    named.extend_from_slice(LINK_LABEL.as_bytes());
    for part in [parent_spki, child] {
        named.extend_from_slice(&(part.len() as u64).to_be_bytes());
        named.extend_from_slice(part);
    }
    sha256(&named)
}

/// Chain links known to hold before they are needed ([`TrustRoot::know_links`]), and those this
/// process verified that were not ([`TrustRoot::links_verified`]).
#[derive(Debug, Default)]
struct Links {
    known: std::collections::HashSet<LinkId>,
    verified: Vec<LinkId>,
}

/// A Fulcio CA (or timestamp authority) of the trust root: the certificate that issues leaves,
/// and the window in which its whole chain is valid. Parsed when the trust root is read; the
/// signatures linking its chain are checked on first use ([`Ca::holds`]; unless known from an
/// earlier run, [`TrustRoot::know_links`]), since a trust root names CAs a signature never uses
/// (the public-good root: two Fulcio chains and a timestamp authority, one chain in use).
#[derive(Debug, Clone)]
struct Ca {
    /// Every certificate of the chain, DER (a signature may carry them; it may not alter them).
    chain_der: Vec<Vec<u8>>,
    issuer: CertFacts,
    key: PublicKey,
    spki_hash: [u8; 32],
    valid: Option<TimeRange>,
    not_before: i64,
    not_after: i64,
    /// The chain's certificates, issuing certificate first (empty for an anchor).
    chain: Vec<CertFacts>,
    /// Whether each certificate of `chain` is signed by the next: computed once, by
    /// [`Ca::holds`]; a clone carries the answer.
    linked: std::sync::OnceLock<bool>,
}

impl Ca {
    /// Parses a chain (issuing certificate first), each certificate issued by the next's
    /// subject and the last by its own (a self-issued anchor). `None` if it does not parse or
    /// the names do not link; the signatures are checked by [`Ca::holds`].
    fn from_chain(chain: &[Vec<u8>], valid: Option<TimeRange>) -> Option<Ca> {
        let facts: Vec<CertFacts> = chain.iter().map(|der| facts(der).ok()).collect::<Option<_>>()?;
        let first = facts.first()?.clone();
        for (i, child) in facts.iter().enumerate() {
            let parent = facts.get(i + 1).unwrap_or(child);
            if parent.subject_raw != child.issuer_raw {
                return None;
            }
        }
        let key = PublicKey::from_spki_der(&first.spki).ok()?;
        Some(Ca {
            chain_der: chain.to_vec(),
            spki_hash: sha256(&first.spki),
            key,
            valid,
            not_before: facts.iter().map(|f| f.not_before).max()?,
            not_after: facts.iter().map(|f| f.not_after).min()?,
            issuer: first,
            chain: facts,
            linked: std::sync::OnceLock::new(),
        })
    }

    /// Whether the chain holds together: each certificate signed by the key of the next. A CA
    /// whose chain does not can issue nothing, and its certificates count for nothing. The
    /// last certificate is the trust anchor, trusted for its key as the trust root gives it:
    /// its self-signature proves nothing and is not checked (RFC 5280 §6.1, as sigstore-go and
    /// sigstore-python do).
    ///
    /// A link in `links.known` is taken as verified (see [`LinkId`]); one verified here is added
    /// to it, and to `links.verified` for the caller to keep.
    fn holds(&self, links: &std::sync::Mutex<Links>) -> bool {
        *self.linked.get_or_init(|| {
            self.chain.windows(2).zip(&self.chain_der).all(|(pair, child_der)| {
                let (child, parent) = (&pair[0], &pair[1]);
                let id = link_id(&parent.spki, child_der);
                if links.lock().is_ok_and(|l| l.known.contains(&id)) {
                    return true;
                }
                let holds = PublicKey::from_spki_der(&parent.spki)
                    .is_ok_and(|key| key.verify_x509(&child.sig_alg, &child.tbs, &child.signature).is_ok());
                // Known from now on: a link two chains share is verified once, and kept once.
                if holds && let Ok(mut l) = links.lock() {
                    l.known.insert(id);
                    l.verified.push(id);
                }
                holds
            })
        })
    }

    /// A trust anchor given as a single certificate (PEM roots): no chain above it is checked.
    fn anchor(der: &[u8]) -> Option<Ca> {
        let f = facts(der).ok()?;
        let key = PublicKey::from_spki_der(&f.spki).ok()?;
        Some(Ca {
            chain_der: vec![der.to_vec()],
            spki_hash: sha256(&f.spki),
            key,
            valid: None,
            not_before: f.not_before,
            not_after: f.not_after,
            issuer: f,
            chain: Vec::new(),
            linked: std::sync::OnceLock::new(),
        })
    }
}

/// A Rekor key of the trust root.
#[derive(Debug, Clone)]
struct LogKey {
    key: PublicKey,
    id: [u8; 32],
    /// `id` in hex, as signed entry timestamps sign it.
    id_hex: String,
    valid: TimeRange,
    /// The log's URL: its checkpoints are signed under the host[:port] it names.
    url: String,
}

/// What signatures are checked against.
#[derive(Debug, Clone)]
pub struct TrustRoot {
    /// Timestamp authorities: (signing certificate's chain, checked; window).
    tsas: Vec<(Ca, TimeRange)>,
    /// Leaf certificates whose CA signature and SCT verified: (the whole DER, CA index). Commits
    /// that share a certificate check it once; the key is the exact certificate, never a digest
    /// or a part of it, and what is kept depends on nothing but those bytes and the trust root.
    verified: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Vec<u8>, usize>>>,
    /// Chain links known to hold, and those verified since: shared by clones (what they hold
    /// is a fact of the bytes, whatever the root).
    links: std::sync::Arc<std::sync::Mutex<Links>>,
    cas: Vec<Ca>,
    logs: Vec<LogKey>,
    ctlogs: Vec<LogKey>,
    name: String,
    /// `--insecure-ignore-sct`: accept certificates without a verifiable SCT.
    ignore_sct: bool,
}

/// The public-good trusted root, embedded.
pub const PUBLIC_GOOD: &[u8] = include_bytes!("../assets/public-good-trusted_root.json");

impl TrustRoot {
    /// Reads a `trusted_root.json`.
    pub fn from_json(bytes: &[u8], name: &str) -> Result<Self, VerifyError> {
        let bad = |e: String| VerifyError::TrustRoot(format!("{name}: {e}"));
        let root: TrustedRoot = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        let mut cas = Vec::new();
        for ca in &root.certificate_authorities {
            let chain: Vec<Vec<u8>> = ca
                .cert_chain
                .certificates
                .iter()
                .map(|c| unb64(&c.raw_bytes).map_err(|e| bad(e.to_string())))
                .collect::<Result<_, _>>()?;
            // A chain that does not hold together can issue nothing; the rest still can.
            cas.extend(Ca::from_chain(&chain, Some(ca.valid_for.clone())));
        }
        let keys = |logs: &[gitsign_protocol::trust::TransparencyLog]| -> Result<Vec<LogKey>, VerifyError> {
            let mut out = Vec::new();
            for log in logs {
                let der = unb64(&log.public_key.raw_bytes).map_err(|e| bad(e.to_string()))?;
                // Keys this build cannot use are skipped: what they signed fails as unknown.
                if let Ok(key) = PublicKey::from_spki_der(&der) {
                    // The log ID the trust root announces (for Rekor v1 the SHA-256 of the key;
                    // Rekor v2 derives it from the signed-note key name).
                    let id = unb64(&log.log_id.key_id)
                        .ok()
                        .and_then(|id| <[u8; 32]>::try_from(id).ok())
                        .unwrap_or_else(|| key.key_id());
                    out.push(LogKey {
                        id,
                        id_hex: hex::encode(id),
                        key,
                        valid: log.public_key.valid_for.clone(),
                        url: log.base_url.clone(),
                    });
                }
            }
            Ok(out)
        };
        let mut tsas = Vec::new();
        for tsa in &root.timestamp_authorities {
            let chain: Vec<Vec<u8>> = tsa
                .cert_chain
                .certificates
                .iter()
                .map(|c| unb64(&c.raw_bytes).map_err(|e| bad(e.to_string())))
                .collect::<Result<_, _>>()?;
            // The authority's signing certificate is the first of its chain.
            tsas.extend(Ca::from_chain(&chain, None).map(|ca| (ca, tsa.valid_for.clone())));
        }
        Ok(TrustRoot {
            tsas,
            verified: Default::default(),
            links: Default::default(),
            cas,
            logs: keys(&root.tlogs)?,
            ctlogs: keys(&root.ctlogs)?,
            name: name.to_string(),
            ignore_sct: false,
        })
    }

    /// The embedded public-good root.
    pub fn public_good() -> Result<Self, VerifyError> {
        Self::from_json(PUBLIC_GOOD, "the embedded public-good trust root")
    }

    /// Adds Fulcio roots from a PEM file (the Go gitsign's `fulcioRoot` / `SIGSTORE_ROOT_FILE`):
    /// every certificate in it becomes a trusted issuer with no validity window of its own.
    pub fn add_pem_roots(&mut self, pem: &[u8]) -> Result<(), VerifyError> {
        let text = String::from_utf8_lossy(pem);
        let before = self.cas.len();
        for block in text.split("-----END CERTIFICATE-----") {
            if let Some(ca) = crate::net::pem_to_der(&format!("{block}-----END CERTIFICATE-----"), "CERTIFICATE")
                .and_then(|d| Ca::anchor(&d))
            {
                self.cas.push(ca);
            }
        }
        if self.cas.len() == before {
            return Err(VerifyError::TrustRoot("no PEM certificate in the Fulcio root file".into()));
        }
        // The remembered certificates name their CA by index into `cas`, and clones share the
        // cache: a root with other CAs starts a cache of its own.
        self.verified = Default::default();
        Ok(())
    }

    /// Every certificate of the trust root's timestamp authorities' chains, DER (a token may
    /// embed only these).
    pub fn timestamp_certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.tsas
            .iter()
            .filter(|(ca, _)| ca.holds(&self.links))
            .flat_map(|(ca, _)| ca.chain_der.iter().map(Vec::as_slice))
    }

    /// Links of trust-root chains already verified, by an earlier run ([`Self::links_verified`])
    /// that the caller kept: their signatures are not checked again. Whoever can write where
    /// they are kept decides what is trusted, as with the trust root itself: keep them only
    /// where the trust root's own choice is kept (the user's own files).
    pub fn know_links(&mut self, ids: impl IntoIterator<Item = LinkId>) {
        if let Ok(mut links) = self.links.lock() {
            links.known.extend(ids);
        }
    }

    /// Links of this root's chains verified since it was loaded, other than those it was told
    /// of ([`Self::know_links`]), each once: what to keep for the next run. Without them each
    /// process that loads the root verifies the links of the chains it uses (on the
    /// public-good root, a P-384 signature: a quarter of the instructions of one
    /// `git verify-commit`).
    pub fn links_verified(&self) -> Vec<LinkId> {
        self.links.lock().map(|l| l.verified.clone()).unwrap_or_default()
    }

    /// What it is called in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `--insecure-ignore-sct` (or `gitsign.insecureIgnoreSCT`): when `ignore` is true, a Fulcio
    /// certificate is accepted without a verifiable signed certificate timestamp.
    pub fn set_insecure_ignore_sct(&mut self, ignore: bool) {
        self.ignore_sct = ignore;
    }

    /// Whether SCTs are skipped (callers print a warning when they are).
    pub fn ignores_sct(&self) -> bool {
        self.ignore_sct
    }

    /// Adds `--insecure-ignore-sct` (when `flag`) to what the setting already chose, and gives
    /// the warning to print when SCTs end up skipped, naming the flag or the setting.
    pub fn apply_ignore_sct_flag(&mut self, flag: bool) -> Option<String> {
        self.ignore_sct |= flag;
        self.ignore_sct.then(|| ignore_sct_warning(if flag { "--insecure-ignore-sct" } else { IGNORE_SCT_SETTING }))
    }
}

/// The setting that skips SCTs, as named in messages.
const IGNORE_SCT_SETTING: &str = "gitsign.insecureIgnoreSCT (GITSIGN_INSECURE_IGNORE_SCT)";

/// The warning printed when SCTs are skipped; `source` names the flag or setting that asked.
fn ignore_sct_warning(source: &str) -> String {
    format!(
        "gitsign: WARNING: {source}: certificate transparency is not checked; a certificate without a verifiable SCT is accepted"
    )
}

/// How an identity or issuer must match.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Exactly this string.
    Exact(String),
    /// This regular expression, anchored at both ends.
    Regex(regex::Regex),
}

impl Matcher {
    /// A regexp matcher; the pattern must match the whole value.
    pub fn regex(pattern: &str) -> Result<Self, regex::Error> {
        Ok(Matcher::Regex(regex::Regex::new(&format!("^(?:{pattern})$"))?))
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Matcher::Exact(e) => e == s,
            Matcher::Regex(r) => r.is_match(s),
        }
    }

    fn describe(&self) -> String {
        match self {
            Matcher::Exact(e) => format!("{e:?}"),
            Matcher::Regex(r) => format!("a match of /{}/", r.as_str()),
        }
    }
}

/// Which identities are accepted.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The certificate's SAN.
    pub identity: Option<Matcher>,
    /// The certificate's OIDC issuer.
    pub issuer: Option<Matcher>,
}

impl Policy {
    /// Judges a verified signer by this policy: what [`verify_with`] under this policy gives,
    /// from [`verify_with`]'s verdict under no policy (the policy is the last of its checks, and
    /// reads nothing but the signer's identity and issuer).
    pub fn judge(&self, verified: &Verified) -> Result<(), VerifyError> {
        self.judge_parts(&verified.identity, verified.issuer.as_deref())
    }

    /// The identity, then the OIDC issuer (`None`: the certificate names none).
    fn judge_parts(&self, identity: &str, issuer: Option<&str>) -> Result<(), VerifyError> {
        if let Some(m) = &self.identity
            && !m.matches(identity)
        {
            return Err(VerifyError::Identity { expected: m.describe(), found: vec![identity.to_string()] });
        }
        if let Some(m) = &self.issuer
            && !issuer.is_some_and(|i| m.matches(i))
        {
            return Err(VerifyError::Issuer { expected: m.describe(), found: issuer.map(str::to_string) });
        }
        Ok(())
    }

    /// Takes one of the command-line policy flags (`--certificate-identity[-regexp]`,
    /// `--certificate-oidc-issuer[-regexp]`); false if `name` is not one of them.
    pub fn take_flag(&mut self, name: &str, value: &mut dyn FnMut() -> Result<String, String>) -> Result<bool, String> {
        let regex = |v: String| Matcher::regex(&v).map_err(|e| format!("{name}: {e}"));
        match name {
            "--certificate-identity" => self.identity = Some(Matcher::Exact(value()?)),
            "--certificate-identity-regexp" => self.identity = Some(regex(value()?)?),
            "--certificate-oidc-issuer" => self.issuer = Some(Matcher::Exact(value()?)),
            "--certificate-oidc-issuer-regexp" => self.issuer = Some(regex(value()?)?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// What a good signature says.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The certificate's first SAN.
    pub identity: String,
    /// The certificate's OIDC issuer.
    pub issuer: Option<String>,
    /// Log index of the entry; `None` when no log entry was checked (`--insecure-ignore-tlog`).
    pub log_index: Option<i64>,
    /// When the entry was logged.
    pub integrated_time: OffsetDateTime,
    /// Hex SHA-1 of the certificate DER (gpg's fingerprint field).
    pub fingerprint: String,
}

/// The parts of a certificate verification needs.
#[derive(Debug, Clone)]
struct CertFacts {
    /// Serial number, big-endian bytes as encoded.
    serial: Vec<u8>,
    sct_list: Option<Vec<u8>>,
    spki: Vec<u8>,
    tbs: Vec<u8>,
    sig_alg: String,
    signature: Vec<u8>,
    issuer_raw: Vec<u8>,
    subject_raw: Vec<u8>,
    not_before: i64,
    not_after: i64,
    /// Every SAN: its text for the kinds an identity can be (email, URI, Fulcio username), else a
    /// description of what it is.
    sans: Vec<Result<String, String>>,
    oidc_issuer: Option<String>,
    eku: Option<Eku>,
    /// Hex SHA-1 of the DER, upper case (gpg's fingerprint field, [`Verified::fingerprint`]),
    /// made the first time the certificate passes [`check_certificate`] (never for a trust
    /// root's own certificates), from the DER these facts were read from.
    fingerprint: std::sync::OnceLock<String>,
}

const ID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::SUBJECT_ALT_NAME);
const ID_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::EXTENDED_KEY_USAGE);
const ID_KP_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::KP_CODE_SIGNING);
const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::KP_TIME_STAMPING);

/// Whether `id` is the OID with these arcs (no allocation: this runs for every extension of
/// every certificate verified).
fn oid_is(id: &ObjectIdentifier, arcs: &[u64]) -> bool {
    id.arcs().map(u64::from).eq(arcs.iter().copied())
}

/// Parses a DER certificate (strictly: trailing bytes are refused) and reads its facts.
fn facts(der: &[u8]) -> Result<CertFacts, VerifyError> {
    let cert = Certificate::from_der(der).map_err(|e| VerifyError::Certificate(e.to_string()))?;
    facts_of(&cert, der)
}

/// The facts of a certificate already parsed from `der` (a signature's signer, decoded with the
/// CMS it came in): certificates are parsed once, by one parser.
fn facts_of(cert: &Certificate, der: &[u8]) -> Result<CertFacts, VerifyError> {
    let malformed = |what: &str, e: der::Error| VerifyError::Certificate(format!("{what}: {e}"));
    // `cert` was decoded from `der` (strictly): walking the same bytes finds the same fields.
    let raw = crate::tlv::certificate_parts(der).map_err(|e| malformed("certificate", e))?;
    let tbs = cert.tbs_certificate();
    let mut sans = Vec::new();
    let mut oidc_issuer = None;
    let mut oidc_issuer_v1 = None;
    let mut eku = None;
    let mut sct_list = None;
    let extensions = tbs.extensions().map(Vec::as_slice).unwrap_or_default();
    for (i, ext) in extensions.iter().enumerate() {
        // RFC 5280 4.2: an extension appears at most once; with two, which one counts is a guess.
        if extensions[..i].iter().any(|e| e.extn_id == ext.extn_id) {
            return Err(VerifyError::Certificate(format!("the extension {} appears more than once", ext.extn_id)));
        }
        let value = ext.extn_value.as_bytes();
        if oid_is(&ext.extn_id, oid::SCT_LIST) {
            sct_list = gitsign_protocol::sct::unwrap_octet_string(value).map(<[u8]>::to_vec);
        } else if ext.extn_id == ID_SUBJECT_ALT_NAME {
            let san = SubjectAltName::from_der(value).map_err(|e| malformed("subjectAltName", e))?;
            sans.extend(san.0.iter().map(san_text));
        } else if ext.extn_id == ID_EXTENDED_KEY_USAGE {
            let usages = ExtendedKeyUsage::from_der(value).map_err(|e| malformed("extendedKeyUsage", e))?;
            eku = Some(Eku {
                critical: ext.critical,
                code_signing: usages.0.contains(&ID_KP_CODE_SIGNING),
                time_stamping: usages.0.contains(&ID_KP_TIME_STAMPING),
            });
        } else if oid_is(&ext.extn_id, oid::ISSUER_V2) {
            oidc_issuer = der::asn1::Utf8StringRef::from_der(value).ok().map(|s| s.as_str().to_string());
        } else if oid_is(&ext.extn_id, oid::ISSUER_V1) {
            oidc_issuer_v1 = std::str::from_utf8(value).ok().map(str::to_string);
        }
    }
    let unix = |t: &x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs())
            .map_err(|_| VerifyError::Certificate("a validity time out of range".into()))
    };
    let signature = cert
        .signature()
        .as_bytes()
        .ok_or_else(|| VerifyError::Certificate("the signature BIT STRING has unused bits".into()))?;
    Ok(CertFacts {
        serial: tbs.serial_number().as_bytes().to_vec(),
        sct_list,
        spki: raw.spki.to_vec(),
        tbs: raw.tbs.to_vec(),
        sig_alg: cert.signature_algorithm().oid.to_string(),
        signature: signature.to_vec(),
        issuer_raw: raw.issuer.to_vec(),
        subject_raw: raw.subject.to_vec(),
        not_before: unix(&tbs.validity().not_before)?,
        not_after: unix(&tbs.validity().not_after)?,
        sans,
        oidc_issuer: oidc_issuer.or(oidc_issuer_v1),
        eku,
        fingerprint: std::sync::OnceLock::new(),
    })
}

/// A SAN's text for the kinds an identity can be (email, URI, Fulcio username), else a
/// description of what it is.
fn san_text(name: &GeneralName) -> Result<String, String> {
    match name {
        GeneralName::Rfc822Name(e) => Ok(e.to_string()),
        GeneralName::UniformResourceIdentifier(u) => Ok(u.to_string()),
        GeneralName::OtherName(o) if oid_is(&o.type_id, oid::FULCIO_USERNAME_SAN) => {
            o.value.decode_as::<der::asn1::Utf8StringRef<'_>>().map(|s| s.as_str().to_string()).map_err(|_| {
                format!(
                    "an OtherName SAN {} (Fulcio username) that is not a UTF8String",
                    oid::dotted(oid::FULCIO_USERNAME_SAN)
                )
            })
        }
        other => Err(crate::text::sanitize(&format!(
            "an unsupported SAN {}",
            match other {
                GeneralName::OtherName(o) => format!("OtherName({}, [...])", o.type_id),
                GeneralName::DnsName(d) => format!("DNSName({d})"),
                GeneralName::DirectoryName(n) => format!("DirectoryName({n})"),
                GeneralName::IpAddress(ip) => format!("IPAddress({})", hex::encode(ip.as_bytes())),
                GeneralName::RegisteredId(id) => format!("RegisteredID({id})"),
                _ => "EDIPartyName".to_string(),
            }
        ))),
    }
}

/// A certificate's extendedKeyUsage extension, as far as verification reads it.
#[derive(Debug, Clone, Copy)]
pub struct Eku {
    /// Marked critical.
    pub critical: bool,
    /// Lists id-kp-codeSigning (what a Fulcio signing certificate must).
    pub code_signing: bool,
    /// Lists id-kp-timeStamping (what a timestamp authority's certificate must).
    pub time_stamping: bool,
}

/// ecdsa-with-SHA256, the one signature algorithm a gitsign CMS signature may use.
const ECDSA_WITH_SHA256: &str = oid::ECDSA_WITH_SHA256;

/// The one identity of a leaf: exactly one SAN, of a kind an identity can be (email, URI, or
/// Fulcio's username OtherName), without control characters. Several SANs would let a policy
/// match one while another is reported; none would report an empty signer.
fn leaf_identity(leaf: &CertFacts) -> Result<String, VerifyError> {
    let bad = |why: String| Err(VerifyError::SubjectAltName(why));
    match leaf.sans.as_slice() {
        [] => bad("the certificate has no email, URI or Fulcio username SAN naming the signer".into()),
        [Ok(san)] if san.chars().any(char::is_control) => {
            bad(format!("the SAN {:?} holds control characters", crate::text::sanitize(san)))
        }
        [Ok(san)] => Ok(san.clone()),
        [Err(what)] => {
            bad(format!("the certificate's only SAN is {what}; gitsign accepts an email, URI or Fulcio username"))
        }
        many => bad(format!(
            "the certificate has {} SANs; a signing certificate names exactly one signer (an email, URI or Fulcio username)",
            many.len()
        )),
    }
}

impl crate::timestamp::Authorities for TrustRoot {
    fn verify_signer(
        &self,
        issuer: &[u8],
        serial: &[u8],
        sig_alg: &str,
        signed: &[u8],
        signature: &[u8],
        at_time: i64,
    ) -> Result<crate::timestamp::Authority<'_>, TimestampError> {
        let t = at(at_time).map_err(|e| TimestampError(e.to_string()))?;
        let (ca, window) = self
            .tsas
            .iter()
            .find(|(ca, _)| ca.issuer.issuer_raw == issuer && ca.issuer.serial == serial && ca.holds(&self.links))
            .ok_or_else(|| TimestampError("the token is signed by no timestamp authority of the trust root".into()))?;
        if !(window.contains(t) && ca.not_before <= at_time && at_time <= ca.not_after) {
            return Err(TimestampError(format!("the timestamp authority was not valid at {t}")));
        }
        ca.key
            .verify_x509(sig_alg, signed, signature)
            .map_err(|_| TimestampError("the token's signature does not verify".into()))?;
        // `Ca::from_chain` builds a CA only from a non-empty chain, issuing certificate first.
        let der = ca.chain_der.first().map(Vec::as_slice).unwrap_or_default();
        let eku = ca.issuer.eku.map(|e| AuthorityEku { critical: e.critical, time_stamping: e.time_stamping });
        Ok(crate::timestamp::Authority { der, eku })
    }

    fn holds_certificate(&self, der: &[u8]) -> bool {
        self.timestamp_certificates().any(|c| c == der)
    }
}

/// A time read from a certificate, log entry or SCT; out of range is an error, never 1970.
fn at(t: i64) -> Result<OffsetDateTime, VerifyError> {
    OffsetDateTime::from_unix_timestamp(t).map_err(|_| VerifyError::TimeOutOfRange(t))
}

impl CertFacts {
    /// The issuer's name as text, for errors (made only then: formatting a name costs more than
    /// parsing the certificate); no control character reaches the terminal.
    fn issuer_text(&self) -> String {
        use der::Decode as _;
        match x509_cert::name::Name::from_der(&self.issuer_raw) {
            Ok(name) => crate::text::sanitize(&name.to_string()),
            Err(_) => "an issuer name that does not parse".into(),
        }
    }
}

fn within(c: &CertFacts, t: i64) -> bool {
    c.not_before <= t && t <= c.not_after
}

/// Checks `leaf` chains, at time `t`, to a CA of the trust root; returns that CA.
fn verify_chain<'a>(trust: &'a TrustRoot, leaf: &CertFacts, t: i64) -> Result<&'a Ca, VerifyError> {
    let when = at(t)?;
    trust
        .cas
        .iter()
        .filter(|ca| ca.issuer.subject_raw == leaf.issuer_raw)
        .filter(|ca| ca.not_before <= t && t <= ca.not_after && ca.valid.as_ref().is_none_or(|v| v.contains(when)))
        .find(|ca| ca.holds(&trust.links) && ca.key.verify_x509(&leaf.sig_alg, &leaf.tbs, &leaf.signature).is_ok())
        .ok_or_else(|| VerifyError::UntrustedChain { issuer: leaf.issuer_text(), hint: format!(" ({})", trust.name) })
}

/// A signer's certificate as verification reads it, parsed once per exact DER
/// ([`leaf_of`]): commits signed through a credential cache share one.
#[derive(Debug)]
struct Leaf {
    der: Vec<u8>,
    facts: CertFacts,
    key: PublicKey,
    /// The certificate in PEM, in base64: what a Rekor v1 entry logs as its public key's content.
    pem_base64: String,
}

/// Signers' certificates each thread keeps ([`leaf_of`]). Commits signed through a credential
/// cache come in runs under one certificate (a few signers at a time); commits with a certificate
/// each never repeat one, and pay a scan of this many entries, not a hash of every certificate.
const LEAVES_KEPT: usize = 8;

thread_local! {
    /// The signers' certificates this thread parsed last, newest first. Per thread, so that a
    /// certificate is freed by the thread that allocated it: with one list shared by the
    /// verifiers, frees across threads' malloc arenas cost a history of certificates 6%.
    static LEAVES: std::cell::RefCell<std::collections::VecDeque<std::rc::Rc<Leaf>>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// The signer's certificate of `parsed`, parsed, or as this thread parsed the same bytes before
/// (found by comparing every byte of `signer_cert`). A miss reads the decoded `signer`, which
/// [`crate::signature::parse`] decoded from those very bytes, and their raw parts: so what is
/// kept is a function of those bytes alone, a hit decides nothing a miss would not, and nothing
/// kept depends on the trust root, the time or the policy.
fn leaf_of(parsed: &Parsed) -> Result<std::rc::Rc<Leaf>, VerifyError> {
    let der = parsed.signer_cert();
    if let Some(leaf) = LEAVES.with_borrow(|l| l.iter().find(|l| l.der == *der).cloned()) {
        return Ok(leaf);
    }
    let facts = facts_of(parsed.signer(), der)?;
    let key = PublicKey::from_spki_der(&facts.spki).map_err(|e| VerifyError::Certificate(e.to_string()))?;
    let pem_base64 = gitsign_protocol::b64(pem_encode("CERTIFICATE", der));
    let leaf = std::rc::Rc::new(Leaf { der: der.to_vec(), facts, key, pem_base64 });
    LEAVES.with_borrow_mut(|l| {
        l.push_front(leaf.clone());
        l.truncate(LEAVES_KEPT);
    });
    Ok(leaf)
}

/// Chain and SCT of a leaf at time `t`, remembering certificates already checked.
fn verify_issuance(trust: &TrustRoot, der: &[u8], leaf: &CertFacts, t: i64) -> Result<(), VerifyError> {
    // Certificates remembered at most (a few kilobytes each): a history signed through a
    // credential cache repeats a few; one with a certificate per commit repeats none, so the
    // cache is emptied when full rather than grown (memory stays flat over any history).
    const CACHE_LIMIT: usize = 1024;
    let when = at(t)?;
    // A hit skips only what depends on the certificate alone (its CA signature and its SCT);
    // the CA's window is checked here at `t`, the leaf's own by the caller, per signature.
    let known = trust.verified.lock().ok().and_then(|m| m.get(der).copied());
    if let Some(ca) = known.and_then(|i| trust.cas.get(i))
        && ca.not_before <= t
        && t <= ca.not_after
        && ca.valid.as_ref().is_none_or(|v| v.contains(when))
    {
        return Ok(());
    }
    let ca = verify_chain(trust, leaf, t)?;
    verify_sct(trust, leaf, ca)?;
    // Only certificates whose SCT was checked are remembered: the cache is shared by clones of
    // the trust root, which may not skip SCTs.
    if !trust.ignore_sct
        && let (Ok(mut m), Some(index)) = (trust.verified.lock(), trust.cas.iter().position(|c| std::ptr::eq(c, ca)))
    {
        if m.len() >= CACHE_LIMIT {
            m.clear();
        }
        m.insert(der.to_vec(), index);
    }
    Ok(())
}

/// Checks the leaf's embedded SCTs: at least one must verify under a CT log key of the trust
/// root. A trust root without CT logs can verify no SCT, so it accepts no certificate unless the
/// user skipped the check explicitly (`--insecure-ignore-sct`).
fn verify_sct(trust: &TrustRoot, leaf: &CertFacts, ca: &Ca) -> Result<(), VerifyError> {
    use gitsign_protocol::sct;
    if trust.ignore_sct {
        return Ok(());
    }
    if trust.ctlogs.is_empty() {
        return Err(VerifyError::Sct(format!(
            "{} lists no CT log, so the certificate's SCT cannot be verified; use a trust root with \
             the CT log, or skip the check with --insecure-ignore-sct (gitsign.insecureIgnoreSCT for git verify-commit)",
            trust.name
        )));
    }
    let list = leaf.sct_list.as_deref().ok_or_else(|| {
        VerifyError::Sct("the certificate carries no SCT (skip the check with --insecure-ignore-sct)".into())
    })?;
    let scts = sct::decode_list(list).map_err(|e| VerifyError::Sct(e.to_string()))?;
    let pre =
        sct::precert_tbs(&leaf.tbs).ok_or_else(|| VerifyError::Sct("cannot rebuild the precertificate".into()))?;
    let mut why = String::from("no SCT is from a CT log of the trust root");
    for s in &scts {
        let Some(log) = trust.ctlogs.iter().find(|l| l.id == s.log_id) else { continue };
        let when = at(i64::try_from(s.timestamp_ms / 1000).unwrap_or(i64::MAX))?;
        if !log.valid.contains(when) {
            why = format!("CT log {} was not valid at {when}", hex::encode(s.log_id));
            continue;
        }
        let data = sct::precert_signed_data(s.timestamp_ms, &ca.spki_hash, &pre, &s.extensions);
        if log.key.verify(&data, &s.signature).is_ok() {
            return Ok(());
        }
        why = format!("the SCT of CT log {} does not verify", hex::encode(s.log_id));
    }
    Err(VerifyError::Sct(why))
}

/// Verifies the embedded log entry; returns (log index, integrated time).
fn verify_log_entry(trust: &TrustRoot, entry: &TransparencyLogEntry, body: &[u8]) -> Result<(i64, i64), VerifyError> {
    if entry.inclusion_proof.is_none() {
        return Err(VerifyError::LogEntry("no inclusion proof".into()));
    }
    match check_log_entry(trust, entry, body, &[])? {
        (index, Some(t)) => Ok((index, t)),
        (_, None) => Err(VerifyError::LogEntry("no signed entry timestamp".into())),
    }
}

/// Verifies a log entry: its signed entry timestamp when it has one (which gives the integrated
/// time), and its inclusion proof with signed checkpoint when it has one — at least one of the
/// two. Without an integrated time (Rekor v2), the log key must be valid at each of `times`
/// (verified timestamps from elsewhere). Returns (log index, integrated time).
fn check_log_entry(
    trust: &TrustRoot,
    entry: &TransparencyLogEntry,
    body: &[u8],
    times: &[i64],
) -> Result<(i64, Option<i64>), VerifyError> {
    let bad = |s: &str| VerifyError::LogEntry(s.to_string());
    let kv = entry.kind_version.as_ref().ok_or_else(|| bad("no kind"))?;
    let known = [
        (HASHEDREKORD, HASHEDREKORD_VERSION),
        ("dsse", "0.0.1"),
        ("intoto", "0.0.2"),
        (HASHEDREKORD, "0.0.2"),
        ("dsse", "0.0.2"),
    ];
    if !known.contains(&(kv.kind.as_str(), kv.version.as_str())) {
        return Err(VerifyError::LogEntry(format!(
            "entry kind {} {} is not one this verifier knows",
            crate::text::sanitize(&kv.kind),
            crate::text::sanitize(&kv.version)
        )));
    }
    // The logged body must be of the kind and version the entry claims: its `kind` and
    // `apiVersion` are what the log accepted it as.
    /// The two members of a logged body read here (the rest is skipped, not kept); a member
    /// given twice is refused.
    #[derive(serde::Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        kind: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow, rename = "apiVersion")]
        api_version: Option<std::borrow::Cow<'a, str>>,
    }
    // A JSON object, and UTF-8 throughout (the members skipped are not otherwise checked).
    if !body.trim_ascii_start().starts_with(b"{") || std::str::from_utf8(body).is_err() {
        return Err(bad("the logged body is not JSON: it must be an object, in UTF-8"));
    }
    let header: Header<'_> =
        serde_json::from_slice(body).map_err(|e| bad(&format!("the logged body is not JSON: {e}")))?;
    for (name, found, claimed) in
        [("kind", header.kind.as_deref(), &kv.kind), ("apiVersion", header.api_version.as_deref(), &kv.version)]
    {
        if found != Some(claimed.as_str()) {
            return Err(VerifyError::LogEntry(format!(
                "the logged body's {name} is {}, but the entry says {:?}",
                found.map_or("missing".to_string(), |f| format!("{:?}", crate::text::sanitize(f))),
                crate::text::sanitize(claimed)
            )));
        }
    }
    let log_id = entry.log_id.as_ref().map(|l| l.key_id.clone()).unwrap_or_default();
    // A promise is checked or the entry refused: a promise without an integrated time cannot be
    // checked, and skipping it would let the entry's unsigned fields through as if signed.
    if entry.inclusion_promise.is_some() && entry.integrated_time <= 0 {
        return Err(bad(&format!(
            "the entry has an inclusion promise but no integrated time ({}): the promise cannot be checked",
            entry.integrated_time
        )));
    }
    let integrated = entry.inclusion_promise.is_some().then_some(entry.integrated_time);
    let check_times: Vec<i64> = match integrated {
        Some(t) => vec![t],
        None if !times.is_empty() => times.to_vec(),
        None => return Err(bad("the entry has no integrated time and there is no other verified time")),
    };
    let check_at: Vec<OffsetDateTime> = check_times.iter().map(|t| at(*t)).collect::<Result<_, _>>()?;
    let log = trust
        .logs
        .iter()
        .find(|l| l.id.as_slice() == log_id.as_slice() && check_at.iter().all(|t| l.valid.contains(*t)))
        // `check_at` holds at least one time: the match above returns otherwise.
        .ok_or_else(|| VerifyError::UnknownLog { log_id: hex::encode(&log_id), at: check_at[0] })?;
    if let Some(t) = integrated {
        let log_index_u = u64::try_from(entry.log_index).map_err(|_| bad("negative log index"))?;
        let set = entry.inclusion_promise.as_ref().ok_or_else(|| bad("no signed entry timestamp"))?;
        log.key
            .verify(
                // The entry's log ID is the log's: it was found by it.
                &set_payload(body, t, &log.id_hex, log_index_u),
                &set.signed_entry_timestamp,
            )
            .map_err(|_| VerifyError::BadEntryTimestamp { log_index: entry.log_index, log_id: hex::encode(&log_id) })?;
    }
    let Some(proof) = entry.inclusion_proof.as_ref() else {
        return if integrated.is_some() { Ok((entry.log_index, integrated)) } else { Err(bad("no inclusion proof")) };
    };
    // The index reported is one something verified: the entry's own when its promise (which signs
    // it) was checked above, else the inclusion proof's, and then the entry must not claim another.
    let reported = if integrated.is_some() {
        entry.log_index
    } else if proof.log_index != entry.log_index {
        return Err(VerifyError::LogEntry(format!(
            "the entry's logIndex {} is not the index {} its inclusion proof proves, and no signed entry \
             timestamp covers it",
            entry.log_index, proof.log_index
        )));
    } else {
        proof.log_index
    };
    let as_hash = |b: &[u8]| Hash::try_from(b).map_err(|_| bad("a proof hash is not 32 bytes"));
    let hashes: Vec<Hash> = proof.hashes.iter().map(|h| as_hash(h)).collect::<Result<_, _>>()?;
    let root = as_hash(&proof.root_hash)?;
    let (index, size) = (
        u64::try_from(proof.log_index).map_err(|_| bad("negative index"))?,
        u64::try_from(proof.tree_size).map_err(|_| bad("negative size"))?,
    );
    // `index` is the position in the log's current shard; the entry's log index counts across
    // shards (on public Rekor they differ), so the two are not compared.
    merkle::verify_inclusion(index, size, &merkle::leaf_hash(body), &hashes, &root)
        .map_err(|source| VerifyError::Inclusion { log_index: entry.log_index, source })?;
    let cp_err = |problem: CheckpointProblem| VerifyError::Checkpoint { log_index: entry.log_index, problem };
    let envelope = proof.checkpoint.as_ref().ok_or_else(|| cp_err(CheckpointProblem::Missing))?;
    let cp = SignedCheckpoint::parse(&envelope.envelope).map_err(|e| cp_err(e.into()))?;
    // The log signs under the name its URL gives (as Rekor and sigstore-js have it), with the
    // key hint of the log ID the trust root announces.
    let name = checkpoint::log_name(&log.url).map_err(|e| cp_err(e.into()))?;
    cp.verify_hint(name, &log.key, [log.id[0], log.id[1], log.id[2], log.id[3]]).map_err(|e| cp_err(e.into()))?;
    if cp.checkpoint.root != root || cp.checkpoint.size != size {
        return Err(cp_err(CheckpointProblem::OtherTree {
            signed_root: cp.checkpoint.root,
            signed_size: cp.checkpoint.size,
            proof_root: root,
            proof_size: size,
        }));
    }
    Ok((reported, integrated))
}

/// Where the log entry of a signature comes from.
#[derive(Debug, Clone)]
pub enum LogEvidence {
    /// Embedded in the signature (offline mode): the body is rebuilt from the signature.
    Embedded,
    /// Not checked (`--insecure-ignore-tlog`): the certificate is checked at its own start.
    Ignored,
    /// Found in Rekor (online mode): an entry over the object ID `object_hex`, signed with the
    /// certificate's key, with the body Rekor returned.
    Online {
        /// The entry's proofs.
        entry: Box<TransparencyLogEntry>,
        /// The logged body.
        body: Vec<u8>,
        /// Hex object ID the entry signs.
        object_hex: String,
    },
}

/// Verifies `parsed` over `payload` with its embedded log entry.
pub fn verify(trust: &TrustRoot, payload: &[u8], parsed: &Parsed, policy: &Policy) -> Result<Verified, VerifyError> {
    verify_with(trust, payload, parsed, policy, &LogEvidence::Embedded)
}

/// Checks that an online-mode body is a hashedrekord over `object_hex`, signed by `key`, naming `cert_der`.
fn check_online_body(body: &[u8], object_hex: &str, key: &PublicKey, cert_der: &[u8]) -> Result<(), VerifyError> {
    let bad = |s: &str| VerifyError::LogEntry(format!("online entry: {s}"));
    let entry: HashedRekord = serde_json::from_slice(body).map_err(|e| bad(&format!("not a hashedrekord: {e}")))?;
    if entry.kind != HASHEDREKORD
        || entry.api_version != HASHEDREKORD_VERSION
        || entry.spec.data.hash.algorithm != "sha256"
    {
        return Err(bad(&format!(
            "it is {} {} over {}, not hashedrekord 0.0.1 over sha256",
            crate::text::sanitize(&entry.kind),
            crate::text::sanitize(&entry.api_version),
            crate::text::sanitize(&entry.spec.data.hash.algorithm)
        )));
    }
    let digest = sha256(object_hex.as_bytes());
    if !entry.spec.data.hash.value.eq_ignore_ascii_case(&hex::encode(digest)) {
        return Err(bad("it is over another object"));
    }
    let pem = unb64(&entry.spec.signature.public_key.content).map_err(|_| bad("public key is not base64"))?;
    let (_, cert) = PublicKey::from_pem_cert_or_key(&pem).map_err(|e| bad(&e.to_string()))?;
    if cert.as_deref() != Some(cert_der) {
        return Err(bad("it names another certificate"));
    }
    let sig = unb64(&entry.spec.signature.content).map_err(|_| bad("signature is not base64"))?;
    key.verify_sha256_prehashed(&digest, &sig)
        .map_err(|_| bad("its signature does not verify with the certificate's key"))
}

/// Verifies `parsed` over `payload` with the given log evidence.
pub fn verify_with(
    trust: &TrustRoot,
    payload: &[u8],
    parsed: &Parsed,
    policy: &Policy,
    evidence: &LogEvidence,
) -> Result<Verified, VerifyError> {
    let digest = sha256(payload);
    if parsed.message_digest != digest {
        return Err(VerifyError::DigestMismatch {
            expected: hex::encode(&parsed.message_digest),
            found: hex::encode(digest),
        });
    }
    // Certificates beyond the leaf (2022 signatures carried the intermediate) must be the trust
    // root's own: nothing in a signature goes unchecked.
    for extra in parsed.certificates.iter().filter(|c| c.as_slice() != parsed.signer_cert()) {
        if !trust.cas.iter().any(|ca| ca.chain_der.contains(extra) && ca.holds(&trust.links)) {
            return Err(VerifyError::Certificate(
                "the signature carries a certificate that is neither its signer's nor the trust root's".into(),
            ));
        }
    }
    let signer = leaf_of(parsed)?;
    let (leaf, key) = (&signer.facts, &signer.key);
    // The parser admits only ecdsa-with-SHA256 (CMS signatureAlgorithm and SHA-256 digest): the
    // key is used with that algorithm, never with its own (P-384/SHA-384, RSA, Ed25519).
    key.verify_x509(ECDSA_WITH_SHA256, &parsed.signed_attrs_der, &parsed.signature).map_err(|e| match e {
        gitsign_protocol::keys::KeyError::Unsupported(why) => VerifyError::SignatureAlgorithm(why),
        _ => VerifyError::BadSignature,
    })?;
    // Every timestamp the signature carries is verified, whatever the log: a token that does not
    // verify is refused, never skipped.
    let stamped = parsed
        .timestamps
        .iter()
        .map(|token| crate::timestamp::verify(trust, token, &parsed.signature))
        .collect::<Result<Vec<i64>, _>>()?;
    let (log_index, times) = match evidence {
        LogEvidence::Embedded => {
            let bytes = parsed.tlog_entry.as_ref().ok_or(VerifyError::NoLogEntry)?;
            let entry = TransparencyLogEntry::decode(bytes.as_slice())
                .map_err(|e| VerifyError::LogEntry(format!("not a TransparencyLogEntry: {e}")))?;
            let kv = entry.kind_version.clone().unwrap_or_default();
            if kv.kind == HASHEDREKORD && kv.version == HASHEDREKORD_V2 {
                // Rekor v2 gives neither: an entry carrying them would have its log checked at a
                // time the signer chose, which the certificate is never checked at.
                if entry.inclusion_promise.is_some() || entry.integrated_time != 0 {
                    return Err(VerifyError::LogEntry(
                        "the Rekor v2 entry carries an integrated time or a signed entry timestamp, which Rekor v2 \
                         never gives"
                            .into(),
                    ));
                }
                // Rekor v2: no integrated time, so the timestamps are the only times there are.
                if stamped.is_empty() {
                    return Err(VerifyError::LogEntry(
                        "the Rekor v2 entry has no integrated time and the signature carries no timestamp: there is \
                         no trusted time to check the certificate at (sign with gitsign.timestampServerURL set)"
                            .into(),
                    ));
                }
                check_v2_body(&entry.canonicalized_body, parsed)?;
                let (index, _) = check_log_entry(trust, &entry, &entry.canonicalized_body, &stamped)?;
                return check_at_times(trust, parsed, leaf, &stamped, Some(index), policy);
            }
            if kv.kind != HASHEDREKORD || kv.version != HASHEDREKORD_VERSION {
                return Err(VerifyError::LogEntry(format!(
                    "a git signature's entry must be hashedrekord 0.0.1, not {} {} (or 0.0.2, from Rekor v2)",
                    // Read from the signature before anything is trusted: no control characters.
                    crate::text::sanitize(&kv.kind),
                    crate::text::sanitize(&kv.version)
                )));
            }
            // The body is not stored: it is rebuilt from the signature, as the Go gitsign does.
            let body = hashedrekord_body_with(&sha256(&parsed.signed_attrs_der), &parsed.signature, &signer.pem_base64);
            // gitsign never writes one; a carried body must be exactly the rebuilt one, or which
            // body the log holds would be ambiguous.
            if !entry.canonicalized_body.is_empty() && entry.canonicalized_body != body {
                return Err(VerifyError::LogEntry(
                    "the embedded entry carries a logged body that is not the one rebuilt from the signature".into(),
                ));
            }
            let (index, t) = verify_log_entry(trust, &entry, &body)?;
            (Some(index), [vec![t], stamped].concat())
        }
        LogEvidence::Online { entry, body, object_hex } => {
            check_online_body(body, object_hex, key, parsed.signer_cert())?;
            let (index, t) = verify_log_entry(trust, entry, body)?;
            (Some(index), [vec![t], stamped].concat())
        }
        LogEvidence::Ignored => (None, [vec![leaf.not_before], stamped].concat()),
    };
    check_at_times(trust, parsed, leaf, &times, log_index, policy)
}

/// Entry version of a Rekor v2 hashedrekord.
const HASHEDREKORD_V2: &str = "0.0.2";

/// Checks the certificate at every verified time (the log's integrated time first, then each
/// timestamp's); the result reports the first.
fn check_at_times(
    trust: &TrustRoot,
    parsed: &Parsed,
    leaf: &CertFacts,
    times: &[i64],
    log_index: Option<i64>,
    policy: &Policy,
) -> Result<Verified, VerifyError> {
    let mut first = None;
    for t in times {
        let v = check_certificate(trust, parsed.signer_cert(), leaf, *t, log_index, policy)?;
        first.get_or_insert(v);
    }
    first.ok_or_else(|| VerifyError::LogEntry("no verified time to check the certificate at".into()))
}

/// Checks that a Rekor v2 hashedrekord body logs this signature: the digest of its signed
/// attributes, its signature value and its signer's certificate.
fn check_v2_body(body: &[u8], parsed: &Parsed) -> Result<(), VerifyError> {
    use serde_json::Value;
    let bad = |s: &str| VerifyError::LogEntry(format!("the Rekor v2 entry {s}"));
    let v: Value = serde_json::from_slice(body).map_err(|e| bad(&format!("has no JSON body: {e}")))?;
    let spec = v.pointer("/spec/hashedRekordV002").ok_or_else(|| bad("is not a hashedRekordV002"))?;
    let bytes = |ptr: &str| spec.pointer(ptr).and_then(Value::as_str).and_then(|s| unb64(s).ok());
    if spec.pointer("/data/algorithm").and_then(Value::as_str) != Some("SHA2_256") {
        return Err(bad("is not over a SHA2_256 digest"));
    }
    if bytes("/data/digest").as_deref() != Some(&sha256(&parsed.signed_attrs_der)[..]) {
        return Err(bad("is over other signed attributes than the signature's"));
    }
    if bytes("/signature/content").as_deref() != Some(parsed.signature.as_slice()) {
        return Err(bad("logs another signature value"));
    }
    if bytes("/signature/verifier/x509Certificate/rawBytes").as_deref() != Some(parsed.signer_cert()) {
        return Err(bad("names another certificate than the signer's"));
    }
    Ok(())
}

/// Verifies a leaf certificate (DER) for a signature made at time `t` (logged at `log_index`, if
/// a log entry was checked): validity then, chain to a Fulcio CA of the trust root, SCT, code
/// signing, and the policy.
pub fn verify_certificate(
    trust: &TrustRoot,
    der: &[u8],
    t: i64,
    log_index: Option<i64>,
    policy: &Policy,
) -> Result<Verified, VerifyError> {
    check_certificate(trust, der, &facts(der)?, t, log_index, policy)
}

/// The public key of a certificate (DER).
pub fn certificate_key(der: &[u8]) -> Result<PublicKey, VerifyError> {
    LeafCertificate::parse(der)?.key()
}

/// A leaf certificate parsed once, for paths that need its key and then check it at several
/// times (a bundle with timestamps): the DER is not parsed again.
#[derive(Debug, Clone)]
pub struct LeafCertificate {
    der: Vec<u8>,
    facts: CertFacts,
}

impl LeafCertificate {
    /// Parses a DER certificate.
    pub fn parse(der: &[u8]) -> Result<Self, VerifyError> {
        Ok(LeafCertificate { der: der.to_vec(), facts: facts(der)? })
    }

    /// Its public key.
    pub fn key(&self) -> Result<PublicKey, VerifyError> {
        PublicKey::from_spki_der(&self.facts.spki).map_err(|e| VerifyError::Certificate(e.to_string()))
    }

    /// As [`verify_certificate`], on the parsed certificate.
    pub fn verify(
        &self,
        trust: &TrustRoot,
        t: i64,
        log_index: Option<i64>,
        policy: &Policy,
    ) -> Result<Verified, VerifyError> {
        check_certificate(trust, &self.der, &self.facts, t, log_index, policy)
    }
}

/// Verifies a log entry whose logged body is `body` (see the private `check_log_entry`);
/// returns (log index, integrated time if the entry has one).
pub fn verify_entry(
    trust: &TrustRoot,
    entry: &TransparencyLogEntry,
    body: &[u8],
    times: &[i64],
) -> Result<(i64, Option<i64>), VerifyError> {
    check_log_entry(trust, entry, body, times)
}

/// [`verify_certificate`] of `der`, whose facts `leaf` are.
fn check_certificate(
    trust: &TrustRoot,
    der: &[u8],
    leaf: &CertFacts,
    t: i64,
    log_index: Option<i64>,
    policy: &Policy,
) -> Result<Verified, VerifyError> {
    let when = at(t)?;
    if !within(leaf, t) {
        return Err(VerifyError::CertificateExpired {
            at: when,
            not_before: at(leaf.not_before)?,
            not_after: at(leaf.not_after)?,
        });
    }
    verify_issuance(trust, der, leaf, t)?;
    if !leaf.eku.is_some_and(|e| e.code_signing) {
        return Err(VerifyError::NotCodeSigning);
    }
    let identity = leaf_identity(leaf)?;
    if let Some(issuer) = &leaf.oidc_issuer
        && issuer.chars().any(char::is_control)
    {
        return Err(VerifyError::SubjectAltName(format!(
            "the certificate's OIDC issuer {:?} holds control characters",
            crate::text::sanitize(issuer)
        )));
    }
    policy.judge_parts(&identity, leaf.oidc_issuer.as_deref())?;
    Ok(Verified {
        identity,
        issuer: leaf.oidc_issuer.clone(),
        log_index,
        integrated_time: when,
        // `leaf` holds the facts of `der` (every caller passes the two together).
        fingerprint: leaf
            .fingerprint
            .get_or_init(|| {
                gitsign_protocol::hex_upper(
                    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref(),
                )
            })
            .clone(),
    })
}

/// The GitHub workflow claims a certificate must carry (the Go gitsign's and cosign's
/// `--certificate-github-workflow-{trigger,sha,name,repository,ref}`): each one given must equal,
/// byte for byte, the value of Fulcio's extension 1.3.6.1.4.1.57264.1.2 to .6 (raw strings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkflowPolicy {
    /// The event that triggered the workflow (`push`, ...).
    pub trigger: Option<String>,
    /// The commit the workflow ran on.
    pub sha: Option<String>,
    /// The workflow's name.
    pub name: Option<String>,
    /// The repository (`owner/name`).
    pub repository: Option<String>,
    /// The git ref (`refs/heads/main`).
    pub git_ref: Option<String>,
}

impl WorkflowPolicy {
    /// Whether no claim is asked for.
    pub fn is_empty(&self) -> bool {
        self.claims().iter().all(|(_, _, v)| v.is_none())
    }

    fn claims(&self) -> [(&'static str, &'static [u64], &Option<String>); 5] {
        [
            ("trigger", oid::GITHUB_WORKFLOW_TRIGGER, &self.trigger),
            ("sha", oid::GITHUB_WORKFLOW_SHA, &self.sha),
            ("name", oid::GITHUB_WORKFLOW_NAME, &self.name),
            ("repository", oid::GITHUB_WORKFLOW_REPOSITORY, &self.repository),
            ("ref", oid::GITHUB_WORKFLOW_REF, &self.git_ref),
        ]
    }

    /// Checks the claims against the signer's certificate (already verified, as parsed with its
    /// signature). An extension given twice is refused: which copy counts would be a guess.
    pub fn check(&self, cert: &Certificate) -> Result<(), VerifyError> {
        if self.is_empty() {
            return Ok(());
        }
        let extensions = cert.tbs_certificate().extensions().map(Vec::as_slice).unwrap_or_default();
        for (claim, arcs, expected) in self.claims() {
            let Some(expected) = expected else { continue };
            let mut values = extensions.iter().filter(|e| oid_is(&e.extn_id, arcs)).map(|e| e.extn_value.as_bytes());
            let found = match (values.next(), values.next()) {
                (Some(v), None) => Some(String::from_utf8_lossy(v).into_owned()),
                (None, _) => None,
                (Some(_), Some(_)) => {
                    return Err(VerifyError::Certificate(format!(
                        "the GitHub workflow {claim} extension {} appears more than once",
                        oid::dotted(arcs)
                    )));
                }
            };
            if found.as_deref() != Some(expected.as_str()) {
                return Err(VerifyError::WorkflowClaim {
                    claim,
                    oid: oid::dotted(arcs),
                    expected: crate::text::sanitize(expected),
                    found: found.map(|f| crate::text::sanitize(&f)),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::timestamp::Authorities as _;
    use der::Encode as _;
    use gitsign_protocol::b64;
    use gitsign_protocol::sct::{self, der_tlv};
    use gitsign_protocol::trust::{
        CertChain, CertificateAuthority, LogId, RawCertificate, Subject, TRUSTED_ROOT_MEDIA_TYPE, TransparencyLog,
        TrustedPublicKey,
    };
    use rcgen::{
        BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
        Issuer, KeyPair, PublicKeyData, SanType, SerialNumber, SigningKey,
    };

    const ECDSA_SHA256: &str = oid::ECDSA_WITH_SHA256;

    fn key() -> KeyPair {
        KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
    }

    fn ca_params(cn: &str, serial: u8) -> CertificateParams {
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "verify tests");
        dn.push(DnType::CommonName, cn);
        p.distinguished_name = dn;
        p.not_before = OffsetDateTime::now_utc() - ::time::Duration::hours(1);
        p.not_after = OffsetDateTime::now_utc() + ::time::Duration::days(1);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.serial_number = Some(SerialNumber::from_slice(&[serial]));
        p
    }

    /// A Fulcio-like CA (root and intermediate) with its CT log.
    struct Pki {
        root_der: Vec<u8>,
        int_der: Vec<u8>,
        int_issuer: Issuer<'static, KeyPair>,
        int_key_hash: [u8; 32],
        ct_key: KeyPair,
    }

    fn make_pki(name: &str) -> Pki {
        let (root_key, int_key) = (key(), key());
        let root_params = ca_params(&format!("{name} root"), 1);
        let root = root_params.self_signed(&root_key).unwrap();
        let int_params = ca_params(&format!("{name} intermediate"), 2);
        let int = int_params.signed_by(&int_key, &Issuer::from_params(&root_params, &root_key)).unwrap();
        let int_key_hash = sha256(&int_key.subject_public_key_info());
        Pki {
            root_der: root.der().to_vec(),
            int_der: int.der().to_vec(),
            int_issuer: Issuer::new(int_params, int_key),
            int_key_hash,
            ct_key: key(),
        }
    }

    /// A leaf in the Fulcio profile for ann@example.com; `code_signing` chooses its EKU, `with_sct`
    /// whether it embeds an SCT of the CT log.
    fn leaf(pki: &Pki, code_signing: bool, with_sct: bool) -> Vec<u8> {
        leaf_with_sans(pki, code_signing, with_sct, vec![SanType::Rfc822Name("ann@example.com".try_into().unwrap())])
    }

    /// [`leaf`] with the given SANs.
    fn leaf_with_sans(pki: &Pki, code_signing: bool, with_sct: bool, sans: Vec<SanType>) -> Vec<u8> {
        let sct = if with_sct { SctKind::Good } else { SctKind::Absent };
        leaf_and_key(pki, code_signing, sct, sans).0
    }

    /// Which SCT a test leaf embeds.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum SctKind {
        Absent,
        Good,
        /// From the CT log, but its signature is over other data.
        BadSignature,
    }

    /// A leaf in the Fulcio profile with its key.
    fn leaf_and_key(pki: &Pki, code_signing: bool, sct_kind: SctKind, sans: Vec<SanType>) -> (Vec<u8>, KeyPair) {
        let leaf_key = key();
        let mut p = CertificateParams::default();
        p.distinguished_name = DistinguishedName::new();
        p.subject_alt_names = sans;
        p.not_before = OffsetDateTime::now_utc() - ::time::Duration::minutes(1);
        p.not_after = OffsetDateTime::now_utc() + ::time::Duration::minutes(10);
        p.serial_number = Some(SerialNumber::from_slice(&[7]));
        p.extended_key_usages =
            vec![if code_signing { ExtendedKeyUsagePurpose::CodeSigning } else { ExtendedKeyUsagePurpose::ServerAuth }];
        p.custom_extensions =
            vec![CustomExtension::from_oid_content(oid::ISSUER_V2, der_tlv(0x0c, b"https://issuer.example"))];
        // A Fulcio extension gitsign does not read (Build Signer URI) after the issuer, as real
        // certificates have: it must not be taken for the issuer.
        p.custom_extensions.push(CustomExtension::from_oid_content(
            &[1, 3, 6, 1, 4, 1, 57264, 1, 9],
            der_tlv(0x0c, b"https://ci.example/build"),
        ));
        if sct_kind != SctKind::Absent {
            let pre = p.signed_by(&leaf_key, &pki.int_issuer).unwrap();
            let tbs = Certificate::from_der(pre.der()).unwrap().tbs_certificate().to_der().unwrap();
            let ts = (OffsetDateTime::now_utc().unix_timestamp() as u64) * 1000;
            let mut signed = sct::precert_signed_data(ts, &pki.int_key_hash, &tbs, &[]);
            if sct_kind == SctKind::BadSignature {
                signed.push(0);
            }
            let list = sct::encode_list(&[sct::Sct {
                log_id: sha256(&pki.ct_key.subject_public_key_info()),
                timestamp_ms: ts,
                extensions: vec![],
                hash_alg: 4,
                sig_alg: 3,
                signature: pki.ct_key.sign(&signed).unwrap(),
            }]);
            p.custom_extensions.push(CustomExtension::from_oid_content(oid::SCT_LIST, der_tlv(0x04, &list)));
        }
        let der = p.signed_by(&leaf_key, &pki.int_issuer).unwrap().der().to_vec();
        (der, leaf_key)
    }

    fn since_an_hour() -> TimeRange {
        TimeRange { start: OffsetDateTime::now_utc() - ::time::Duration::hours(1), end: None }
    }

    fn log(spki: &[u8]) -> TransparencyLog {
        TransparencyLog {
            base_url: "https://log.example".into(),
            hash_algorithm: "SHA2_256".into(),
            public_key: TrustedPublicKey {
                raw_bytes: b64(spki),
                key_details: "PKIX_ECDSA_P256_SHA_256".into(),
                valid_for: since_an_hour(),
            },
            log_id: LogId { key_id: b64(sha256(spki)) },
        }
    }

    fn authority(chain: &[&[u8]]) -> CertificateAuthority {
        CertificateAuthority {
            subject: Subject { organization: "verify tests".into(), common_name: "ca".into() },
            uri: "https://ca.example".into(),
            cert_chain: CertChain {
                certificates: chain.iter().map(|c| RawCertificate { raw_bytes: b64(c) }).collect(),
            },
            valid_for: since_an_hour(),
        }
    }

    /// A trust root holding `pki`'s CA (when `with_ca`) and CT log (when `with_ctlog`).
    fn root(pki: &Pki, with_ca: bool, with_ctlog: bool, tsas: Vec<CertificateAuthority>, name: &str) -> TrustRoot {
        let json = TrustedRoot {
            media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
            tlogs: vec![],
            certificate_authorities: if with_ca { vec![authority(&[&pki.int_der, &pki.root_der])] } else { vec![] },
            ctlogs: if with_ctlog { vec![log(&pki.ct_key.subject_public_key_info())] } else { vec![] },
            timestamp_authorities: tsas,
        };
        TrustRoot::from_json(&serde_json::to_vec(&json).unwrap(), name).unwrap()
    }

    fn now() -> i64 {
        OffsetDateTime::now_utc().unix_timestamp()
    }

    fn check(trust: &TrustRoot, der: &[u8]) -> Result<Verified, VerifyError> {
        verify_certificate(trust, der, now(), Some(1), &Policy::default())
    }

    #[test]
    fn a_certificate_without_the_code_signing_eku_is_refused() {
        let pki = make_pki("eku");
        let trust = root(&pki, true, true, vec![], "eku root");
        let good = check(&trust, &leaf(&pki, true, true)).unwrap();
        assert_eq!(good.identity, "ann@example.com");
        // Same CA, same valid SCT, but a server-auth EKU.
        let err = check(&trust, &leaf(&pki, false, true)).unwrap_err();
        assert!(matches!(err, VerifyError::NotCodeSigning), "{err}");
        assert!(err.to_string().contains("code-signing"), "{err}");
    }

    #[test]
    fn an_issuer_given_only_in_the_v1_extension_is_read() {
        let pki = make_pki("v1 issuer");
        let mut trust = root(&pki, true, false, vec![], "v1 issuer");
        trust.set_insecure_ignore_sct(true);
        let mut p = CertificateParams::default();
        p.distinguished_name = DistinguishedName::new();
        p.subject_alt_names = vec![SanType::Rfc822Name("ann@example.com".try_into().unwrap())];
        p.not_before = OffsetDateTime::now_utc() - ::time::Duration::minutes(1);
        p.not_after = OffsetDateTime::now_utc() + ::time::Duration::minutes(10);
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        // The deprecated form: the issuer's bytes as the extension value, no DER string around them.
        p.custom_extensions = vec![CustomExtension::from_oid_content(oid::ISSUER_V1, b"https://v1.example".to_vec())];
        let der = p.signed_by(&key(), &pki.int_issuer).unwrap().der().to_vec();
        let policy = Policy { identity: None, issuer: Some(Matcher::Exact("https://v1.example".into())) };
        let v = verify_certificate(&trust, &der, now(), Some(1), &policy).unwrap();
        assert_eq!(v.issuer.as_deref(), Some("https://v1.example"));
    }

    #[test]
    fn a_fulcio_username_is_an_explicit_context_zero_utf8_string() {
        // An OtherName GeneralName ([0] IMPLICIT) of type 1.3.6.1.4.1.57264.1.7 with `value`.
        let other_name = |value: &[u8]| {
            let mut body = vec![0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x01, 0x07];
            body.extend_from_slice(value);
            let mut der = vec![0xa0, body.len() as u8];
            der.extend(body);
            GeneralName::from_der(&der)
        };
        // [0] EXPLICIT UTF8String "alice".
        let alice = other_name(&[0xa0, 0x07, 0x0c, 0x05, b'a', b'l', b'i', b'c', b'e']).unwrap();
        assert_eq!(san_text(&alice), Ok("alice".to_string()));
        // [0] EXPLICIT IA5String: not a username.
        let ia5 = other_name(&[0xa0, 0x07, 0x16, 0x05, b'a', b'l', b'i', b'c', b'e']).unwrap();
        assert!(san_text(&ia5).unwrap_err().contains("(Fulcio username) that is not a UTF8String"));
        // Tag [1], and [0] IMPLICIT: not an OtherName at all (the certificate is refused).
        assert!(other_name(&[0xa1, 0x07, 0x0c, 0x05, b'a', b'l', b'i', b'c', b'e']).is_err());
        assert!(other_name(&[0x80, 0x05, b'a', b'l', b'i', b'c', b'e']).is_err());
    }

    #[test]
    fn the_sct_is_required_unless_explicitly_skipped() {
        let pki = make_pki("sct");
        let with_sct = leaf(&pki, true, true);
        // A trust root without CT logs can verify no SCT: refused, naming the SCT and the way out.
        let mut trust = root(&pki, true, false, vec![], "a root without CT logs");
        // SCTs are required by default; the flag turns them off and words the warning after the
        // flag, the setting after the setting.
        assert!(!trust.ignores_sct());
        assert_eq!(trust.clone().apply_ignore_sct_flag(false), None);
        let warning = trust.clone().apply_ignore_sct_flag(true).unwrap();
        assert!(
            warning.contains("--insecure-ignore-sct") && warning.contains("certificate transparency is not checked"),
            "{warning}"
        );
        let mut by_setting = trust.clone();
        by_setting.set_insecure_ignore_sct(true);
        let warning = by_setting.apply_ignore_sct_flag(false).unwrap();
        assert!(warning.contains("gitsign.insecureIgnoreSCT") && !warning.contains("--insecure"), "{warning}");
        let err = check(&trust, &with_sct).unwrap_err();
        assert!(matches!(err, VerifyError::Sct(_)), "{err}");
        let msg = err.to_string();
        assert!(msg.contains("a root without CT logs lists no CT log") && msg.contains("SCT"), "{msg}");
        assert!(msg.contains("--insecure-ignore-sct"), "{msg}");
        // Opting out accepts it; a clone that does not opt out shares the cache yet still refuses.
        let strict = trust.clone();
        trust.set_insecure_ignore_sct(true);
        assert!(trust.ignores_sct());
        check(&trust, &with_sct).unwrap();
        assert!(matches!(check(&strict, &with_sct), Err(VerifyError::Sct(_))));
        // A certificate with no SCT at all, under a root with the CT log.
        let no_sct = leaf(&pki, true, false);
        let full = root(&pki, true, true, vec![], "full");
        let err = check(&full, &no_sct).unwrap_err();
        assert!(err.to_string().contains("carries no SCT"), "{err}");
        check(&full, &with_sct).unwrap();
        // An SCT of another CT log.
        let other = make_pki("other");
        let mut foreign = root(&pki, true, true, vec![], "foreign ct");
        foreign.ctlogs = root(&other, true, true, vec![], "x").ctlogs;
        let err = check(&foreign, &with_sct).unwrap_err();
        assert!(err.to_string().contains("no SCT is from a CT log of the trust root"), "{err}");
    }

    #[test]
    fn pem_roots_are_trusted_issuers() {
        let pki = make_pki("pem");
        let der = leaf(&pki, true, true);
        let mut trust = root(&pki, false, true, vec![], "a root without Fulcio CAs");
        let err = check(&trust, &der).unwrap_err();
        assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err}");
        // The trust root's name is in the message.
        assert!(err.to_string().contains("(a root without Fulcio CAs)"), "{err}");
        assert_eq!(trust.name(), "a root without Fulcio CAs");
        // A PEM file of another CA adds nothing that issues this leaf.
        let other = make_pki("other");
        let pem = |p: &Pki| [pem_encode("CERTIFICATE", &p.int_der), pem_encode("CERTIFICATE", &p.root_der)].concat();
        trust.add_pem_roots(pem(&other).as_bytes()).unwrap();
        assert!(matches!(check(&trust, &der), Err(VerifyError::UntrustedChain { .. })));
        // A file with no certificate is an error, not an empty set of roots.
        let err = trust.add_pem_roots(b"not a certificate\n").unwrap_err();
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
        // The right CA as PEM: the leaf now chains (and its SCT is checked against that CA's key).
        trust.add_pem_roots(pem(&pki).as_bytes()).unwrap();
        assert_eq!(check(&trust, &der).unwrap().identity, "ann@example.com");
        // Only the intermediate, as the Go gitsign's fulcioRoot often holds: a working anchor.
        let mut only_int = root(&pki, false, true, vec![], "x");
        only_int.add_pem_roots(pem_encode("CERTIFICATE", &pki.int_der).as_bytes()).unwrap();
        check(&only_int, &der).unwrap();
    }

    /// A timestamp authority: (its chain, the signing certificate's issuer Name DER and serial,
    /// its key).
    fn tsa(serial: u8) -> (CertificateAuthority, Vec<u8>, Vec<u8>, KeyPair) {
        let (root_key, tsa_key) = (key(), key());
        let root_params = ca_params("tsa root", 1);
        let root = root_params.self_signed(&root_key).unwrap();
        let mut p = ca_params("tsa signer", serial);
        p.is_ca = IsCa::NoCa;
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::TimeStamping];
        let cert = p.signed_by(&tsa_key, &Issuer::from_params(&root_params, &root_key)).unwrap();
        let parsed = Certificate::from_der(cert.der()).unwrap();
        let (issuer, serial) = (
            parsed.tbs_certificate().issuer().to_der().unwrap(),
            parsed.tbs_certificate().serial_number().as_bytes().to_vec(),
        );
        (authority(&[cert.der().as_ref(), root.der().as_ref()]), issuer, serial, tsa_key)
    }

    #[test]
    fn a_timestamp_is_checked_against_the_authority_with_its_issuer_and_serial() {
        let pki = make_pki("fulcio");
        let (authority, issuer, serial, tsa_key) = tsa(9);
        let trust = root(&pki, true, true, vec![authority], "tsa root");
        let signed = b"the signed attributes of a timestamp token";
        let sig = tsa_key.sign(signed).unwrap();
        trust.verify_signer(&issuer, &serial, ECDSA_SHA256, signed, &sig, now()).unwrap();
        // The authority's certificate has expired (a day from now) though the trust root's window
        // is still open: refused.
        let later = now() + 2 * 86_400;
        let err = trust.verify_signer(&issuer, &serial, ECDSA_SHA256, signed, &sig, later).unwrap_err();
        assert!(err.to_string().contains("the timestamp authority was not valid at"), "{err}");
        // Same issuer, another serial: a different certificate, even if the key signed.
        let err = trust.verify_signer(&issuer, &[8], ECDSA_SHA256, signed, &sig, now()).unwrap_err();
        assert!(err.to_string().contains("signed by no timestamp authority of the trust root"), "{err}");
        // Same serial, another issuer.
        let other_issuer = Certificate::from_der(&pki.root_der).unwrap().tbs_certificate().subject().to_der().unwrap();
        let err = trust.verify_signer(&other_issuer, &serial, ECDSA_SHA256, signed, &sig, now()).unwrap_err();
        assert!(err.to_string().contains("signed by no timestamp authority of the trust root"), "{err}");
        // The right authority, a signature by another key.
        let err = trust
            .verify_signer(&issuer, &serial, ECDSA_SHA256, signed, &key().sign(signed).unwrap(), now())
            .unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");
    }

    #[test]
    fn identity_and_issuer_flags_select_their_matcher() {
        let pki = make_pki("policy");
        let trust = root(&pki, true, true, vec![], "policy root");
        let der = leaf(&pki, true, true);
        let with = |flags: &[(&str, &str)]| {
            let mut policy = Policy::default();
            for (name, v) in flags {
                let v = v.to_string();
                assert!(policy.take_flag(name, &mut || Ok(v.clone())).unwrap(), "{name} is a policy flag");
            }
            verify_certificate(&trust, &der, now(), Some(1), &policy)
        };
        with(&[("--certificate-identity-regexp", "ann@example[.]com")]).unwrap();
        with(&[("--certificate-identity-regexp", ".*@example[.]com")]).unwrap();
        // Anchored: a pattern matching part of the SAN is not a match.
        let err = with(&[("--certificate-identity-regexp", "ann@example")]).unwrap_err();
        assert!(err.to_string().contains("expected a match of /^(?:ann@example)$/"), "{err}");
        let err = with(&[("--certificate-identity", "ann@example")]).unwrap_err();
        assert!(err.to_string().contains("expected \"ann@example\""), "{err}");
        with(&[("--certificate-oidc-issuer-regexp", "https://issuer[.]example")]).unwrap();
        let err = with(&[("--certificate-oidc-issuer", "https://other.example")]).unwrap_err();
        assert!(err.to_string().contains("OIDC issuer is Some(\"https://issuer.example\")"), "{err}");
        let mut policy = Policy::default();
        assert!(!policy.take_flag("--certificate-identity-regex", &mut || Ok(String::new())).unwrap());
        let err = policy.take_flag("--certificate-identity-regexp", &mut || Ok("(".into())).unwrap_err();
        assert!(err.contains("--certificate-identity-regexp"), "{err}");
    }

    #[test]
    fn exactly_one_san_of_a_known_kind_is_the_reported_identity() {
        let pki = make_pki("san");
        let trust = root(&pki, true, true, vec![], "san root");
        let email = || SanType::Rfc822Name("ann@example.com".try_into().unwrap());
        let uri = || {
            SanType::URI(
                "https://github.com/ann/repo/.github/workflows/release.yml@refs/heads/main".try_into().unwrap(),
            )
        };
        let username = |v: &str| {
            SanType::OtherName((vec![1, 3, 6, 1, 4, 1, 57264, 1, 7], rcgen::OtherNameValue::Utf8String(v.into())))
        };
        let with = |sans: Vec<SanType>, policy: &Policy| {
            verify_certificate(&trust, &leaf_with_sans(&pki, true, true, sans), now(), Some(1), policy)
        };
        let none = Policy::default();
        assert_eq!(with(vec![email()], &none).unwrap().identity, "ann@example.com");
        assert!(with(vec![uri()], &none).unwrap().identity.ends_with("release.yml@refs/heads/main"));
        // Fulcio's username identity (OtherName 1.3.6.1.4.1.57264.1.7) is a known kind.
        assert_eq!(with(vec![username("ann!example.com")], &none).unwrap().identity, "ann!example.com");

        // Two SANs: a policy could match one while the other is reported. Refused, with or
        // without a policy.
        let bob = Policy { identity: Some(Matcher::Exact("bob@example.com".into())), issuer: None };
        let two = vec![email(), SanType::Rfc822Name("bob@example.com".try_into().unwrap())];
        let err = with(two.clone(), &bob).unwrap_err();
        assert!(matches!(err, VerifyError::SubjectAltName(_)), "{err}");
        assert!(err.to_string().contains("has 2 SANs; a signing certificate names exactly one signer"), "{err}");
        assert!(with(two, &none).is_err());
        // Only an unknown kind, or no SAN at all: no signer to report.
        let err = with(vec![SanType::OtherName((vec![1, 2, 3, 4], "x".into()))], &none).unwrap_err();
        assert!(err.to_string().contains("only SAN is an unsupported SAN OtherName(1.2.3.4, [...])"), "{err}");
        let err = with(vec![SanType::DnsName("evil.example".try_into().unwrap())], &none).unwrap_err();
        assert!(err.to_string().contains("only SAN is an unsupported SAN DNSName(evil.example)"), "{err}");
        let err = with(vec![], &none).unwrap_err();
        assert!(err.to_string().contains("no email, URI or Fulcio username SAN"), "{err}");
        // A known kind with an unknown one beside it.
        assert!(with(vec![email(), SanType::DnsName("evil.example".try_into().unwrap())], &none).is_err());
        // Control characters in the SAN are refused, never matched or printed.
        let err = with(vec![username("ann\r\x1b[2Kbob")], &none).unwrap_err();
        assert!(err.to_string().contains("holds control characters") && !err.to_string().contains('\x1b'), "{err}");
    }

    #[test]
    fn an_out_of_range_time_is_an_error_not_1970() {
        let pki = make_pki("time");
        let trust = root(&pki, true, true, vec![], "time root");
        let der = leaf(&pki, true, true);
        for t in [i64::MAX / 2, i64::MIN / 2] {
            let err = verify_certificate(&trust, &der, t, Some(1), &Policy::default()).unwrap_err();
            assert!(matches!(err, VerifyError::TimeOutOfRange(x) if x == t), "{err}");
            assert!(err.to_string().contains("is out of range") && !err.to_string().contains("1970-01-01"), "{err}");
        }
    }

    #[test]
    fn the_signature_is_checked_as_ecdsa_with_sha256_whatever_the_key() {
        let pki = make_pki("alg");
        let trust = root(&pki, true, true, vec![], "alg root");
        let payload = b"tree 0\n\nsigned\n";
        // A signature made with the key's own algorithm, under a certificate for that key.
        let signed = |alg: &'static rcgen::SignatureAlgorithm| {
            let key = KeyPair::generate_for(alg).unwrap();
            let mut p = CertificateParams::default();
            p.subject_alt_names = vec![SanType::Rfc822Name("ann@example.com".try_into().unwrap())];
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
            let cert = p.self_signed(&key).unwrap();
            let time = der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(now() as u64)).unwrap();
            let (attrs, attrs_der) = signature::signed_attributes(&sha256(payload), time).unwrap();
            let sig = key.sign(&attrs_der).unwrap();
            signature::parse(&signature::assemble(cert.der(), attrs, &sig, None).unwrap()).unwrap()
        };
        let check = |parsed: &Parsed| verify_with(&trust, payload, parsed, &Policy::default(), &LogEvidence::Ignored);
        // P-256 with SHA-256: the signature verifies (the self-signed chain is what fails).
        let err = check(&signed(&rcgen::PKCS_ECDSA_P256_SHA256)).unwrap_err();
        assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err}");
        // P-384 signing with SHA-384, as its key would: not ecdsa-with-SHA256.
        let err = check(&signed(&rcgen::PKCS_ECDSA_P384_SHA384)).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature), "{err}");
        // Ed25519: refused with the reason.
        let err = check(&signed(&rcgen::PKCS_ED25519)).unwrap_err();
        assert!(matches!(err, VerifyError::SignatureAlgorithm(_)), "{err}");
        assert!(err.to_string().contains("ecdsa-with-SHA256, but the certificate's key cannot make it"), "{err}");
    }

    // ---- The whole path: a signature with its embedded log entry, each check broken in turn ----

    /// The checkpoint signer name of `log()`'s URL (https://log.example).
    const LOG_NAME: &str = "log.example";
    /// The entry's global index (differs from the index in the proof's shard, as on public Rekor).
    const LOG_INDEX: i64 = 5;

    /// A signature as gitsign makes it in offline mode, with what a test needs to rebuild any part.
    struct Signed {
        pki: Pki,
        log_key: KeyPair,
        payload: Vec<u8>,
        cert: Vec<u8>,
        leaf_key: KeyPair,
        attrs: der::asn1::SetOfVec<x509_cert::attr::Attribute>,
        attrs_der: Vec<u8>,
        signature: Vec<u8>,
        /// The logged hashedrekord body, rebuilt the way the verifier rebuilds it.
        body: Vec<u8>,
        entry: TransparencyLogEntry,
    }

    fn log_id(key: &KeyPair) -> [u8; 32] {
        sha256(&key.subject_public_key_info())
    }

    /// The signed entry timestamp Rekor gives `body` logged at `t`, index `index`.
    fn set(log_key: &KeyPair, body: &[u8], t: i64, index: i64) -> Vec<u8> {
        let payload = set_payload(body, t, &hex::encode(log_id(log_key)), index as u64);
        log_key.sign(&payload).unwrap()
    }

    /// A checkpoint note with origin `origin`, signed by `key` under `name` with key hint `hint`.
    fn checkpoint_text(key: &KeyPair, origin: &str, name: &str, hint: [u8; 4], size: u64, root: Hash) -> String {
        let cp = checkpoint::Checkpoint { origin: origin.into(), size, root, extra: vec![] };
        let signature = key.sign(cp.to_note().as_bytes()).unwrap();
        SignedCheckpoint {
            checkpoint: cp,
            signatures: vec![checkpoint::NoteSignature { name: name.into(), key_hint: hint, signature }],
        }
        .to_text()
    }

    fn hint(key: &KeyPair) -> [u8; 4] {
        let id = log_id(key);
        [id[0], id[1], id[2], id[3]]
    }

    /// The three leaves of the test tree; `body` is at index 1. Returns (root, proof of index 1).
    fn tree(body: &[u8]) -> (Hash, Vec<Hash>) {
        let (h0, h1, h2) = (merkle::leaf_hash(b"entry 0"), merkle::leaf_hash(body), merkle::leaf_hash(b"entry 2"));
        (merkle::node_hash(&merkle::node_hash(&h0, &h1), &h2), vec![h0, h2])
    }

    /// A log entry for `body` logged at `t`: signed entry timestamp, inclusion proof in a tree of
    /// three, signed checkpoint.
    fn entry_for(log_key: &KeyPair, body: &[u8], t: i64) -> TransparencyLogEntry {
        use crate::tlog::{Checkpoint, InclusionPromise, InclusionProof, KindVersion, LogId};
        let (root, proof) = tree(body);
        TransparencyLogEntry {
            log_index: LOG_INDEX,
            log_id: Some(LogId { key_id: log_id(log_key).to_vec() }),
            kind_version: Some(KindVersion { kind: HASHEDREKORD.into(), version: HASHEDREKORD_VERSION.into() }),
            integrated_time: t,
            inclusion_promise: Some(InclusionPromise { signed_entry_timestamp: set(log_key, body, t, LOG_INDEX) }),
            inclusion_proof: Some(InclusionProof {
                log_index: 1,
                root_hash: root.to_vec(),
                tree_size: 3,
                hashes: proof.iter().map(|h| h.to_vec()).collect(),
                checkpoint: Some(Checkpoint {
                    envelope: checkpoint_text(log_key, &format!("{LOG_NAME} - 42"), LOG_NAME, hint(log_key), 3, root),
                }),
            }),
            canonicalized_body: vec![],
        }
    }

    fn signed() -> Signed {
        let pki = make_pki("signed");
        let log_key = key();
        let payload = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor ann\n\nsigned\n".to_vec();
        let (cert, leaf_key) =
            leaf_and_key(&pki, true, SctKind::Good, vec![SanType::Rfc822Name("ann@example.com".try_into().unwrap())]);
        let time = der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(now() as u64)).unwrap();
        let (attrs, attrs_der) = signature::signed_attributes(&sha256(&payload), time).unwrap();
        let signature = leaf_key.sign(&attrs_der).unwrap();
        let body =
            HashedRekord::new(&sha256(&attrs_der), &signature, &pem_encode("CERTIFICATE", &cert)).canonical_json();
        let entry = entry_for(&log_key, &body, now());
        Signed { pki, log_key, payload, cert, leaf_key, attrs, attrs_der, signature, body, entry }
    }

    impl Signed {
        /// The trust root: the CA, the CT log and the transparency log.
        fn trust(&self) -> TrustRoot {
            let json = TrustedRoot {
                media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
                tlogs: vec![log(&self.log_key.subject_public_key_info())],
                certificate_authorities: vec![authority(&[&self.pki.int_der, &self.pki.root_der])],
                ctlogs: vec![log(&self.pki.ct_key.subject_public_key_info())],
                timestamp_authorities: vec![],
            };
            TrustRoot::from_json(&serde_json::to_vec(&json).unwrap(), "full root").unwrap()
        }

        /// The signature carrying `entry`.
        fn with_entry(&self, entry: &TransparencyLogEntry) -> Parsed {
            let der =
                signature::assemble(&self.cert, self.attrs.clone(), &self.signature, Some(&entry.encode_to_vec()))
                    .unwrap();
            signature::parse(&der).unwrap()
        }

        fn verify_with_entry(&self, entry: &TransparencyLogEntry) -> Result<Verified, VerifyError> {
            verify(&self.trust(), &self.payload, &self.with_entry(entry), &Policy::default())
        }
    }

    #[test]
    fn a_signature_with_a_good_log_entry_verifies() {
        let s = signed();
        let v = s.verify_with_entry(&s.entry).unwrap();
        assert_eq!(v.identity, "ann@example.com");
        assert_eq!(v.issuer.as_deref(), Some("https://issuer.example"));
        assert_eq!(v.log_index, Some(LOG_INDEX));
        assert_eq!(v.integrated_time.unix_timestamp(), s.entry.integrated_time);
        let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &s.cert);
        assert_eq!(v.fingerprint, hex::encode_upper(sha1));
        // With the log ignored there is no index (not -1), and the time is the certificate's start.
        let parsed = s.with_entry(&s.entry);
        let v = verify_with(&s.trust(), &s.payload, &parsed, &Policy::default(), &LogEvidence::Ignored).unwrap();
        assert_eq!(v.log_index, None);
        let not_before = facts(&s.cert).unwrap().not_before;
        assert_eq!(v.integrated_time.unix_timestamp(), not_before);
        // The body the verifier rebuilds is the one logged: its leaf is what the proof proves.
        let (root, proof) = tree(&s.body);
        merkle::verify_inclusion(1, 3, &merkle::leaf_hash(&s.body), &proof, &root).unwrap();
    }

    #[test]
    fn a_changed_payload_is_a_digest_mismatch_with_both_digests() {
        let s = signed();
        let mut payload = s.payload.clone();
        payload.push(b'!');
        let err = verify(&s.trust(), &payload, &s.with_entry(&s.entry), &Policy::default()).unwrap_err();
        let (want_expected, want_found) = (hex::encode(sha256(&s.payload)), hex::encode(sha256(&payload)));
        assert!(
            matches!(&err, VerifyError::DigestMismatch { expected, found } if *expected == want_expected && *found == want_found),
            "{err:?}"
        );
    }

    #[test]
    fn a_signature_by_another_key_is_bad() {
        let s = signed();
        let mut parsed = s.with_entry(&s.entry);
        parsed.signature = key().sign(&s.attrs_der).unwrap();
        let err = verify(&s.trust(), &s.payload, &parsed, &Policy::default()).unwrap_err();
        assert!(matches!(err, VerifyError::BadSignature), "{err:?}");
    }

    #[test]
    fn a_signature_without_a_log_entry_is_refused_in_offline_mode() {
        let s = signed();
        let mut parsed = s.with_entry(&s.entry);
        parsed.tlog_entry = None;
        let err = verify(&s.trust(), &s.payload, &parsed, &Policy::default()).unwrap_err();
        assert!(matches!(err, VerifyError::NoLogEntry), "{err:?}");
        parsed.tlog_entry = Some(b"\xff\xff not protobuf".to_vec());
        let err = verify(&s.trust(), &s.payload, &parsed, &Policy::default()).unwrap_err();
        assert!(matches!(&err, VerifyError::LogEntry(m) if m.starts_with("not a TransparencyLogEntry")), "{err:?}");
    }

    #[test]
    fn a_carried_certificate_must_be_the_signers_or_the_trust_roots() {
        let s = signed();
        let mut parsed = s.with_entry(&s.entry);
        // The trust root's own intermediate: allowed.
        parsed.certificates.push(s.pki.int_der.clone());
        verify(&s.trust(), &s.payload, &parsed, &Policy::default()).unwrap();
        // Another CA's: refused.
        parsed.certificates.push(make_pki("stranger").int_der);
        let err = verify(&s.trust(), &s.payload, &parsed, &Policy::default()).unwrap_err();
        assert!(
            matches!(&err, VerifyError::Certificate(m) if m.contains("neither its signer's nor the trust root's")),
            "{err:?}"
        );
    }

    type Mutate = fn(&Signed, &mut TransparencyLogEntry);
    type Expect = fn(&VerifyError) -> bool;

    /// Each check of the log entry, broken in turn: the variant and its evidence.
    #[test]
    fn each_log_entry_check_refuses_with_its_own_variant() {
        let log_id_hex = |s: &Signed| hex::encode(log_id(&s.log_key));
        let cases: Vec<(&str, Mutate, Expect)> = vec![
            (
                "no kind",
                |_, e| e.kind_version = None,
                |e| matches!(e, VerifyError::LogEntry(m) if m.contains("hashedrekord 0.0.1, not  ")),
            ),
            (
                "another kind",
                |_, e| e.kind_version.as_mut().unwrap().kind = "dsse".into(),
                |e| matches!(e, VerifyError::LogEntry(m) if m.contains("must be hashedrekord 0.0.1, not dsse 0.0.1")),
            ),
            (
                "another version",
                |_, e| e.kind_version.as_mut().unwrap().version = "0.0.3".into(),
                |e| matches!(e, VerifyError::LogEntry(m) if m.contains("not hashedrekord 0.0.3")),
            ),
            (
                // Rekor v2's version: no integrated time, and the signature carries no timestamp.
                "a v2 entry without a timestamp",
                |_, e| {
                    e.kind_version.as_mut().unwrap().version = "0.0.2".into();
                    (e.inclusion_promise, e.integrated_time) = (None, 0);
                },
                |e| matches!(e, VerifyError::LogEntry(m) if m.contains("the Rekor v2 entry has no integrated time and the signature carries no timestamp")),
            ),
            (
                // A v1 entry's promise and time relabelled as Rekor v2.
                "a v2 entry with an integrated time",
                |_, e| e.kind_version.as_mut().unwrap().version = "0.0.2".into(),
                |e| matches!(e, VerifyError::LogEntry(m) if m.contains("carries an integrated time or a signed entry timestamp, which Rekor v2 never gives")),
            ),
            (
                "no inclusion proof",
                |_, e| e.inclusion_proof = None,
                |e| matches!(e, VerifyError::LogEntry(m) if m == "no inclusion proof"),
            ),
            // Without its promise the entry has no integrated time, and a git signature has no other.
            (
                "no signed entry timestamp",
                |_, e| e.inclusion_promise = None,
                |e| matches!(e, VerifyError::LogEntry(m) if m.contains("no integrated time and there is no other verified time")),
            ),
            (
                "a promise without integrated time",
                |_, e| e.integrated_time = 0,
                |e| matches!(e, VerifyError::LogEntry(m) if m.contains("inclusion promise but no integrated time (0)")),
            ),
            (
                "a log the trust root lacks",
                |_, e| e.log_id.as_mut().unwrap().key_id = vec![7; 32],
                |e| matches!(e, VerifyError::UnknownLog { log_id, .. } if *log_id == "07".repeat(32)),
            ),
            (
                "a log that was not valid then",
                |s, e| {
                    // Before the log's validity (an hour ago), re-signed so only the window is wrong.
                    let t = now() - 7200;
                    e.integrated_time = t;
                    e.inclusion_promise.as_mut().unwrap().signed_entry_timestamp =
                        set(&s.log_key, &s.body, t, LOG_INDEX);
                },
                |e| matches!(e, VerifyError::UnknownLog { at, .. } if at.unix_timestamp() < now() - 7000),
            ),
            (
                "a SET by another key",
                |s, e| {
                    e.inclusion_promise.as_mut().unwrap().signed_entry_timestamp =
                        set(&key(), &s.body, now(), LOG_INDEX);
                },
                |_| false,
            ),
            ("a SET over another integrated time", |_, e| e.integrated_time -= 1, |_| false),
            ("a SET over another index", |_, e| e.log_index += 1, |_| false),
            (
                "a SET over another body",
                |s, e| {
                    e.inclusion_promise.as_mut().unwrap().signed_entry_timestamp =
                        set(&s.log_key, b"{\"kind\":\"hashedrekord\"}", e.integrated_time, LOG_INDEX);
                },
                |_| false,
            ),
            (
                "a negative log index",
                |_, e| e.log_index = -1,
                |e| matches!(e, VerifyError::LogEntry(m) if m == "negative log index"),
            ),
            (
                "a proof with a wrong sibling",
                |_, e| e.inclusion_proof.as_mut().unwrap().hashes[0][0] ^= 1,
                |e| matches!(e, VerifyError::Inclusion { log_index: LOG_INDEX, .. }),
            ),
            (
                "a proof for another position",
                |_, e| e.inclusion_proof.as_mut().unwrap().log_index = 0,
                |e| matches!(e, VerifyError::Inclusion { log_index: LOG_INDEX, .. }),
            ),
            (
                "a proof hash of 31 bytes",
                |_, e| {
                    e.inclusion_proof.as_mut().unwrap().hashes[1].pop();
                },
                |e| matches!(e, VerifyError::LogEntry(m) if m == "a proof hash is not 32 bytes"),
            ),
            (
                "a negative proof index",
                |_, e| e.inclusion_proof.as_mut().unwrap().log_index = -1,
                |e| matches!(e, VerifyError::LogEntry(m) if m == "negative index"),
            ),
            (
                "a negative tree size",
                |_, e| e.inclusion_proof.as_mut().unwrap().tree_size = -3,
                |e| matches!(e, VerifyError::LogEntry(m) if m == "negative size"),
            ),
            (
                "no checkpoint",
                |_, e| e.inclusion_proof.as_mut().unwrap().checkpoint = None,
                |e| matches!(e, VerifyError::Checkpoint { log_index: LOG_INDEX, problem: CheckpointProblem::Missing }),
            ),
            (
                "an unreadable checkpoint",
                |_, e| e.inclusion_proof.as_mut().unwrap().checkpoint.as_mut().unwrap().envelope = "x".into(),
                |e| matches!(e, VerifyError::Checkpoint { log_index: LOG_INDEX, problem } if problem.to_string().starts_with("malformed checkpoint")),
            ),
            (
                "a checkpoint of another origin",
                |s, e| set_checkpoint(e, &s.log_key, "other.example - 42", LOG_NAME, hint(&s.log_key)),
                |e| matches!(e, VerifyError::Checkpoint { log_index: LOG_INDEX, problem } if problem.to_string().contains("is for log \"other.example - 42\", not \"log.example\"")),
            ),
            (
                "a checkpoint signed under another name",
                |s, e| set_checkpoint(e, &s.log_key, "log.example - 42", "other.example", hint(&s.log_key)),
                |e| matches!(e, VerifyError::Checkpoint { log_index: LOG_INDEX, problem } if problem.to_string().contains("no checkpoint signature from log \"log.example\"") && problem.to_string().contains("other.example/")),
            ),
            (
                "a checkpoint with another key hint",
                |s, e| set_checkpoint(e, &s.log_key, "log.example - 42", LOG_NAME, [1, 2, 3, 4]),
                |e| matches!(e, VerifyError::Checkpoint { log_index: LOG_INDEX, problem } if problem.to_string().contains("log.example/01020304")),
            ),
            (
                "a checkpoint signed by another key",
                |s, e| set_checkpoint(e, &key(), "log.example - 42", LOG_NAME, hint(&s.log_key)),
                |e| matches!(e, VerifyError::Checkpoint { log_index: LOG_INDEX, problem } if problem.to_string().starts_with("checkpoint signature")),
            ),
            (
                "a checkpoint of another size",
                |s, e| {
                    let root = tree(&s.body).0;
                    e.inclusion_proof.as_mut().unwrap().checkpoint.as_mut().unwrap().envelope =
                        checkpoint_text(&s.log_key, "log.example - 42", LOG_NAME, hint(&s.log_key), 4, root);
                },
                |e| matches!(e, VerifyError::Checkpoint { log_index: LOG_INDEX, problem: p @ CheckpointProblem::OtherTree { signed_size: 4, proof_size: 3, .. } } if p.to_string().contains("of size 4, the proof is for") && p.to_string().ends_with("of size 3")),
            ),
            (
                "a checkpoint of another root",
                |s, e| {
                    e.inclusion_proof.as_mut().unwrap().checkpoint.as_mut().unwrap().envelope =
                        checkpoint_text(&s.log_key, "log.example - 42", LOG_NAME, hint(&s.log_key), 3, [9; 32]);
                },
                |e| matches!(e, VerifyError::Checkpoint { problem: CheckpointProblem::OtherTree { .. }, .. } if e.to_string().contains(&format!("it signs tree {} of size 3", "09".repeat(32)))),
            ),
            (
                "a logged time outside the certificate's validity",
                |s, e| {
                    let t = now() + 3600;
                    e.integrated_time = t;
                    e.inclusion_promise.as_mut().unwrap().signed_entry_timestamp =
                        set(&s.log_key, &s.body, t, LOG_INDEX);
                },
                |e| matches!(e, VerifyError::CertificateExpired { at, not_after, .. } if at > not_after),
            ),
        ];
        // Every case runs; the failures are listed together.
        let mut failures = Vec::new();
        for (name, mutate, expect) in cases {
            let s = signed();
            let mut entry = s.entry.clone();
            mutate(&s, &mut entry);
            match s.verify_with_entry(&entry) {
                Ok(v) => failures.push(format!("{name}: accepted ({v:?})")),
                Err(err) => {
                    let bad_set = matches!(&err, VerifyError::BadEntryTimestamp { log_index, log_id }
                        if *log_index == entry.log_index && *log_id == log_id_hex(&s));
                    if !(expect(&err) || (name.starts_with("a SET") && bad_set)) {
                        failures.push(format!("{name}: {err:?}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    fn set_checkpoint(e: &mut TransparencyLogEntry, key: &KeyPair, origin: &str, name: &str, hint: [u8; 4]) {
        let proof = e.inclusion_proof.as_mut().unwrap();
        let root = Hash::try_from(proof.root_hash.as_slice()).unwrap();
        proof.checkpoint.as_mut().unwrap().envelope = checkpoint_text(key, origin, name, hint, 3, root);
    }

    /// A signature whose entry was logged for another signature (another cert, another signature
    /// value): the body the verifier rebuilds is not the one the log signed.
    #[test]
    fn an_entry_logged_for_another_signature_does_not_verify() {
        let s = signed();
        let other = signed();
        // `other`'s entry, re-signed by `s`'s log: its SET and proof are for other's body.
        let entry = entry_for(&s.log_key, &other.body, now());
        let err = s.verify_with_entry(&entry).unwrap_err();
        assert!(matches!(err, VerifyError::BadEntryTimestamp { log_index: LOG_INDEX, .. }), "{err:?}");
        // Without the SET, the inclusion proof is what refuses it.
        let mut entry = entry.clone();
        entry.inclusion_promise = None;
        entry.log_index = 1;
        let err = verify_entry(&s.trust(), &entry, &s.body, &[now()]).unwrap_err();
        assert!(matches!(err, VerifyError::Inclusion { log_index: 1, .. }), "{err:?}");
        // Over the right body, the proof alone verifies (Rekor v2) and reports the proof's index,
        // which must then be the entry's.
        let mut good = entry_for(&s.log_key, &s.body, now());
        good.inclusion_promise = None;
        let err = verify_entry(&s.trust(), &good, &s.body, &[now()]).unwrap_err();
        assert!(matches!(&err, VerifyError::LogEntry(m) if m.contains("logIndex 5 is not the index 1")), "{err:?}");
        good.log_index = 1;
        assert_eq!(verify_entry(&s.trust(), &good, &s.body, &[now()]).unwrap(), (1, None));
        // Without any verified time it cannot be checked at all.
        let err = verify_entry(&s.trust(), &good, &s.body, &[]).unwrap_err();
        assert!(
            matches!(&err, VerifyError::LogEntry(m) if m.contains("no integrated time and there is no other verified time")),
            "{err:?}"
        );
        // Neither a SET nor a proof.
        good.inclusion_proof = None;
        let err = verify_entry(&s.trust(), &good, &s.body, &[now()]).unwrap_err();
        assert!(matches!(&err, VerifyError::LogEntry(m) if m == "no inclusion proof"), "{err:?}");
    }

    #[test]
    fn the_logged_body_must_be_of_the_kind_the_entry_claims() {
        let s = signed();
        let trust = s.trust();
        let check = |body: &[u8]| verify_entry(&trust, &s.entry, body, &[]).unwrap_err();
        for not_an_object in [
            &b"not json"[..],
            br#"["hashedrekord","0.0.1"]"#,
            br#"{"kind":"hashedrekord","kind":"hashedrekord","apiVersion":"0.0.1"}"#,
            b"{\"kind\":\"hashedrekord\",\"apiVersion\":\"0.0.1\",\"x\":\"\xff\"}",
        ] {
            let err = check(not_an_object);
            assert!(
                matches!(&err, VerifyError::LogEntry(m) if m.starts_with("the logged body is not JSON")),
                "{err:?}"
            );
        }
        let err = check(br#"{"kind":"dsse","apiVersion":"0.0.1"}"#);
        assert!(
            matches!(&err, VerifyError::LogEntry(m) if m.contains("body's kind is \"dsse\", but the entry says \"hashedrekord\"")),
            "{err:?}"
        );
        let err = check(br#"{"kind":"hashedrekord"}"#);
        assert!(
            matches!(&err, VerifyError::LogEntry(m) if m.contains("body's apiVersion is missing, but the entry says \"0.0.1\"")),
            "{err:?}"
        );
        let mut entry = s.entry.clone();
        entry.kind_version.as_mut().unwrap().kind = "rpm".into();
        let err = verify_entry(&trust, &entry, &s.body, &[]).unwrap_err();
        assert!(
            matches!(&err, VerifyError::LogEntry(m) if m.contains("entry kind rpm 0.0.1 is not one this verifier knows")),
            "{err:?}"
        );
        assert_eq!(verify_entry(&trust, &s.entry, &s.body, &[]).unwrap(), (LOG_INDEX, Some(s.entry.integrated_time)));
    }

    /// Online mode: the body Rekor returned must be a hashedrekord over the object, signed by the
    /// certificate's key, naming the certificate.
    #[test]
    fn an_online_body_is_bound_to_the_object_the_key_and_the_certificate() {
        let s = signed();
        let object_hex = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
        let digest = sha256(object_hex.as_bytes());
        let cert_pem = pem_encode("CERTIFICATE", &s.cert);
        let body_of = |digest: &[u8; 32], sig: &[u8], pem: &str| HashedRekord::new(digest, sig, pem).canonical_json();
        let good_sig = s.leaf_key.sign(object_hex.as_bytes()).unwrap();
        let parsed = s.with_entry(&s.entry);
        let run = |body: Vec<u8>| {
            let entry = Box::new(entry_for(&s.log_key, &body, now()));
            let evidence = LogEvidence::Online { entry, body, object_hex: object_hex.into() };
            verify_with(&s.trust(), &s.payload, &parsed, &Policy::default(), &evidence)
        };
        let good = run(body_of(&digest, &good_sig, &cert_pem)).unwrap();
        assert_eq!(good.log_index, Some(LOG_INDEX));
        let online = |m: &str, want: &str| m.starts_with("online entry: ") && m.contains(want);
        let other_digest = sha256(b"another object");
        let other_cert = leaf(&s.pki, true, true);
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("over another object", body_of(&other_digest, &good_sig, &cert_pem), "it is over another object"),
            (
                "naming another certificate",
                body_of(&digest, &good_sig, &pem_encode("CERTIFICATE", &other_cert)),
                "it names another certificate",
            ),
            (
                "signed by another key",
                body_of(&digest, &key().sign(object_hex.as_bytes()).unwrap(), &cert_pem),
                "its signature does not verify",
            ),
            ("not a hashedrekord", b"{}".to_vec(), "not a hashedrekord"),
            (
                "a key instead of a certificate",
                body_of(&digest, &good_sig, &pem_encode("PUBLIC KEY", &s.leaf_key.subject_public_key_info())),
                "it names another certificate",
            ),
        ];
        for (name, body, want) in cases {
            let err = run(body).unwrap_err();
            assert!(matches!(&err, VerifyError::LogEntry(m) if online(m, want)), "{name}: {err:?}");
        }
        // Another kind, version or hash algorithm in an otherwise good body.
        for (field, value) in [("kind", "dsse"), ("apiVersion", "0.0.2")] {
            let mut v: serde_json::Value = serde_json::from_slice(&body_of(&digest, &good_sig, &cert_pem)).unwrap();
            v[field] = value.into();
            let err = run(serde_json::to_vec(&v).unwrap()).unwrap_err();
            assert!(
                matches!(&err, VerifyError::LogEntry(m) if online(m, "not hashedrekord 0.0.1 over sha256")),
                "{field}: {err:?}"
            );
        }
        let mut v: serde_json::Value = serde_json::from_slice(&body_of(&digest, &good_sig, &cert_pem)).unwrap();
        v["spec"]["data"]["hash"]["algorithm"] = "sha512".into();
        let err = run(serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert!(matches!(&err, VerifyError::LogEntry(m) if online(m, "hashedrekord 0.0.1 over sha512")), "{err:?}");
    }

    /// The certificate checks, each broken in turn, through `verify_certificate`.
    #[test]
    fn each_certificate_check_refuses_with_its_own_variant() {
        let pki = make_pki("cert");
        let trust = root(&pki, true, true, vec![], "cert root");
        let der = leaf(&pki, true, true);
        let parsed = facts(&der).unwrap();
        let (nb, na) = (parsed.not_before, parsed.not_after);
        // Validity at the log's time: the edges are inside, a second outside is not.
        for t in [nb, na] {
            verify_certificate(&root(&pki, true, true, vec![], "edges"), &der, t, Some(1), &Policy::default()).unwrap();
        }
        for t in [nb - 1, na + 1] {
            let err = verify_certificate(&trust, &der, t, Some(1), &Policy::default()).unwrap_err();
            assert!(
                matches!(err, VerifyError::CertificateExpired { at, not_before, not_after }
                    if at.unix_timestamp() == t && not_before.unix_timestamp() == nb && not_after.unix_timestamp() == na),
                "{t}: {err:?}"
            );
        }
        // Another CA: the leaf's issuer and the trust root's name are the evidence.
        let other = make_pki("other");
        let err = check(&root(&other, true, true, vec![], "other root"), &der).unwrap_err();
        assert!(
            matches!(&err, VerifyError::UntrustedChain { issuer, hint } if issuer.contains("cert intermediate") && hint == " (other root)"),
            "{err:?}"
        );
        // A leaf with the CA's name, signed by another key (a forged issuer).
        let forged = {
            let mut p = ca_params("cert intermediate", 2);
            p.is_ca = IsCa::NoCa;
            let forger = Pki { int_issuer: Issuer::new(p, key()), ..make_pki("forger") };
            leaf(&forger, true, false)
        };
        let mut no_sct = root(&pki, true, true, vec![], "cert root");
        no_sct.set_insecure_ignore_sct(true);
        let err = check(&no_sct, &forged).unwrap_err();
        assert!(
            matches!(&err, VerifyError::UntrustedChain { issuer, .. } if issuer.contains("cert intermediate")),
            "{err:?}"
        );
        // An SCT from the CT log whose signature is over other data.
        let (bad_sct, _) = leaf_and_key(
            &pki,
            true,
            SctKind::BadSignature,
            vec![SanType::Rfc822Name("ann@example.com".try_into().unwrap())],
        );
        let err = check(&trust, &bad_sct).unwrap_err();
        let want =
            format!("the SCT of CT log {} does not verify", hex::encode(sha256(&pki.ct_key.subject_public_key_info())));
        assert!(matches!(&err, VerifyError::Sct(m) if *m == want), "{err:?}");
        // No SCT; an SCT of an unknown CT log.
        let err = check(&trust, &leaf(&pki, true, false)).unwrap_err();
        assert!(matches!(&err, VerifyError::Sct(m) if m.starts_with("the certificate carries no SCT")), "{err:?}");
        let mut foreign = root(&pki, true, true, vec![], "foreign");
        foreign.ctlogs = root(&other, true, true, vec![], "x").ctlogs;
        let err = check(&foreign, &der).unwrap_err();
        assert!(matches!(&err, VerifyError::Sct(m) if m == "no SCT is from a CT log of the trust root"), "{err:?}");
        // Not for code signing.
        let err = check(&trust, &leaf(&pki, false, true)).unwrap_err();
        assert!(matches!(err, VerifyError::NotCodeSigning), "{err:?}");
        // Unreadable DER.
        let err = check(&trust, &der[..der.len() - 1]).unwrap_err();
        assert!(matches!(err, VerifyError::Certificate(_)), "{err:?}");
        let mut trailing = der.clone();
        trailing.push(0);
        let err = check(&trust, &trailing).unwrap_err();
        assert!(matches!(&err, VerifyError::Certificate(m) if m.contains("trailing data")), "{err:?}");
    }

    /// A certificate checked once is remembered, but the CA's window still applies to it.
    #[test]
    fn a_remembered_certificate_is_still_held_to_its_cas_window() {
        let pki = make_pki("cache");
        let der = leaf(&pki, true, true);
        let mut ca = authority(&[&pki.int_der, &pki.root_der]);
        ca.valid_for.end = Some(OffsetDateTime::now_utc() + ::time::Duration::minutes(2));
        let json = TrustedRoot {
            media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
            tlogs: vec![],
            certificate_authorities: vec![ca],
            ctlogs: vec![log(&pki.ct_key.subject_public_key_info())],
            timestamp_authorities: vec![],
        };
        let trust = TrustRoot::from_json(&serde_json::to_vec(&json).unwrap(), "short CA").unwrap();
        check(&trust, &der).unwrap();
        // Within the leaf's validity (10 minutes) but after the CA's window (2 minutes).
        let later = now() + 300;
        let err = verify_certificate(&trust, &der, later, Some(1), &Policy::default()).unwrap_err();
        assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err:?}");
        // A fresh trust root (no cache) says the same.
        let fresh = TrustRoot::from_json(&serde_json::to_vec(&json).unwrap(), "short CA").unwrap();
        let err = verify_certificate(&fresh, &der, later, Some(1), &Policy::default()).unwrap_err();
        assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err:?}");
    }

    /// A chain's links are checked on first use, with the verdict the load used to give: a CA
    /// whose intermediate is not signed by its root issues nothing; the anchor's own
    /// self-signature is not a link (RFC 5280 §6.1).
    #[test]
    fn a_ca_whose_chain_does_not_hold_issues_nothing_and_the_anchor_is_trusted_for_its_key() {
        let pki = make_pki("links");
        let der = leaf(&pki, true, true);
        let with_chain = |int: &[u8], root: &[u8]| {
            let json = TrustedRoot {
                media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
                tlogs: vec![],
                certificate_authorities: vec![authority(&[int, root])],
                ctlogs: vec![log(&pki.ct_key.subject_public_key_info())],
                timestamp_authorities: vec![],
            };
            TrustRoot::from_json(&serde_json::to_vec(&json).unwrap(), "links").unwrap()
        };
        // The last byte of a certificate is its signature's.
        let broken = |der: &[u8]| {
            let mut d = der.to_vec();
            *d.last_mut().unwrap() ^= 1;
            assert!(facts(&d).is_ok(), "still a certificate");
            d
        };
        check(&with_chain(&pki.int_der, &pki.root_der), &der).unwrap();
        let unlinked = with_chain(&broken(&pki.int_der), &pki.root_der);
        for _ in 0..2 {
            let err = check(&unlinked, &der).unwrap_err();
            assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err:?}");
        }
        check(&with_chain(&pki.int_der, &broken(&pki.root_der)), &der).unwrap();
        // A signature may carry only certificates of CAs that hold.
        let s = signed();
        let mut parsed = s.with_entry(&s.entry);
        let mut trust = s.trust();
        trust.cas.push(Ca::from_chain(&[broken(&pki.int_der), pki.root_der.clone()], None).unwrap());
        verify(&trust, &s.payload, &parsed, &Policy::default()).unwrap();
        parsed.certificates.push(broken(&pki.int_der));
        let err = verify(&trust, &s.payload, &parsed, &Policy::default()).unwrap_err();
        assert!(matches!(&err, VerifyError::Certificate(m) if m.contains("neither")), "{err:?}");
        // A timestamp authority whose signing certificate is not signed by its root signs nothing,
        // and its certificates are not the trust root's.
        let (mut authority, issuer, serial, tsa_key) = tsa(9);
        let signed_attrs = b"the signed attributes of a timestamp token";
        let sig = tsa_key.sign(signed_attrs).unwrap();
        let good = root(&pki, true, true, vec![authority.clone()], "tsa");
        good.verify_signer(&issuer, &serial, ECDSA_SHA256, signed_attrs, &sig, now()).unwrap();
        let signer = unb64(&authority.cert_chain.certificates[0].raw_bytes).unwrap();
        assert!(good.holds_certificate(&signer));
        authority.cert_chain.certificates[0].raw_bytes = b64(broken(&signer));
        let unlinked = root(&pki, true, true, vec![authority], "tsa");
        let err = unlinked.verify_signer(&issuer, &serial, ECDSA_SHA256, signed_attrs, &sig, now()).unwrap_err();
        assert!(err.to_string().contains("signed by no timestamp authority"), "{err}");
        assert!(!unlinked.holds_certificate(&broken(&signer)));
    }

    /// A chain link verified once is reported for keeping, and a root told of it does not verify
    /// it again; a kept link names exact bytes: it vouches for no other certificate or key.
    #[test]
    fn chain_links_verified_once_are_kept_and_bind_their_exact_bytes() {
        let pki = make_pki("kept links");
        let der = leaf(&pki, true, true);
        let json = |int: &[u8]| {
            let root = TrustedRoot {
                media_type: TRUSTED_ROOT_MEDIA_TYPE.into(),
                tlogs: vec![],
                certificate_authorities: vec![authority(&[int, &pki.root_der])],
                ctlogs: vec![log(&pki.ct_key.subject_public_key_info())],
                timestamp_authorities: vec![],
            };
            serde_json::to_vec(&root).unwrap()
        };
        let first = TrustRoot::from_json(&json(&pki.int_der), "kept links").unwrap();
        assert!(first.links_verified().is_empty(), "nothing is verified before it is used");
        check(&first, &der).unwrap();
        let kept = first.links_verified();
        let root_spki = facts(&pki.root_der).unwrap().spki;
        assert_eq!(kept, vec![link_id(&root_spki, &pki.int_der)]);
        // A clone shares what was verified; a second check verifies nothing new.
        check(&first.clone(), &der).unwrap();
        assert_eq!(first.links_verified(), kept);
        // The next run, told of the link, has nothing new to keep.
        let mut next = TrustRoot::from_json(&json(&pki.int_der), "kept links").unwrap();
        next.know_links(kept.clone());
        check(&next, &der).unwrap();
        assert!(next.links_verified().is_empty());
        // An intermediate whose signature is broken is not vouched for by the good one's link,
        // nor by a link of the same certificate under another key; and it is not kept.
        let mut bad_int = pki.int_der.clone();
        *bad_int.last_mut().unwrap() ^= 1;
        let mut forged = TrustRoot::from_json(&json(&bad_int), "kept links").unwrap();
        let other_key = facts(&pki.int_der).unwrap().spki;
        forged.know_links(kept.into_iter().chain([link_id(&other_key, &bad_int)]));
        let err = check(&forged, &der).unwrap_err();
        assert!(matches!(err, VerifyError::UntrustedChain { .. }), "{err:?}");
        assert!(forged.links_verified().is_empty());
        // Parts are length-prefixed: moving bytes between the key and the certificate names
        // another link.
        assert_ne!(link_id(b"ab", b"c"), link_id(b"a", b"bc"));
    }

    /// In a longer chain each link is named by its own pair (a known link further up does not
    /// stand for the one below it), and a link two chains share is verified and kept once.
    #[test]
    fn each_link_of_a_longer_chain_is_its_own_and_shared_links_are_kept_once() {
        let pki = make_pki("long chain");
        let (root_key, int_key, tsa_key) = (key(), key(), key());
        let root_params = ca_params("tsa root", 1);
        let root_cert = root_params.self_signed(&root_key).unwrap();
        let int_params = ca_params("tsa intermediate", 2);
        let int_cert = int_params.signed_by(&int_key, &Issuer::from_params(&root_params, &root_key)).unwrap();
        let mut p = ca_params("tsa signer", 3);
        p.is_ca = IsCa::NoCa;
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::TimeStamping];
        let signer = p.signed_by(&tsa_key, &Issuer::from_params(&int_params, &int_key)).unwrap();
        let (signer, int, root_der) = (signer.der().to_vec(), int_cert.der().to_vec(), root_cert.der().to_vec());
        let chain = authority(&[&signer, &int, &root_der]);
        let lower = link_id(&facts(&int).unwrap().spki, &signer);
        let upper = link_id(&facts(&root_der).unwrap().spki, &int);
        // The same chain twice: each link verified once, in chain order.
        let twice = root(&pki, true, true, vec![chain.clone(), chain.clone()], "twice");
        assert_eq!(twice.timestamp_certificates().count(), 6);
        assert_eq!(twice.links_verified(), vec![lower, upper]);
        // The upper link known: only the lower one is verified.
        let mut told = root(&pki, true, true, vec![chain.clone()], "told");
        told.know_links([upper]);
        assert!(told.holds_certificate(&signer));
        assert_eq!(told.links_verified(), vec![lower]);
        // A broken lower link is not vouched for by the upper one being known.
        let mut bad = chain;
        let mut broken = signer.clone();
        *broken.last_mut().unwrap() ^= 1;
        bad.cert_chain.certificates[0].raw_bytes = b64(&broken);
        let mut forged = root(&pki, true, true, vec![bad], "forged");
        forged.know_links([upper, lower]);
        assert!(!forged.holds_certificate(&broken));
        assert!(forged.links_verified().is_empty());
    }

    /// Identity and issuer policy, exact and regexp: the variant carries the policy and what the
    /// certificate holds.
    #[test]
    fn identity_and_issuer_mismatches_carry_the_policy_and_the_certificate_value() {
        let pki = make_pki("policy table");
        let trust = root(&pki, true, true, vec![], "policy table");
        let der = leaf(&pki, true, true);
        let exact = |s: &str| Some(Matcher::Exact(s.into()));
        let re = |s: &str| Some(Matcher::regex(s).unwrap());
        let ok: Vec<Policy> = vec![
            Policy { identity: exact("ann@example.com"), issuer: exact("https://issuer.example") },
            Policy { identity: re("ann@.*"), issuer: re("https://issuer[.]example") },
            Policy { identity: re("(bob|ann)@example[.]com"), issuer: None },
        ];
        for p in &ok {
            verify_certificate(&trust, &der, now(), Some(1), p).unwrap();
        }
        let identity_cases = [
            (exact("bob@example.com"), "\"bob@example.com\""),
            (exact("ANN@example.com"), "\"ANN@example.com\""),
            (re("bob@.*"), "a match of /^(?:bob@.*)$/"),
            (re("ann@example"), "a match of /^(?:ann@example)$/"),
        ];
        for (identity, want) in identity_cases {
            let err = verify_certificate(&trust, &der, now(), Some(1), &Policy { identity, issuer: None }).unwrap_err();
            assert!(
                matches!(&err, VerifyError::Identity { expected, found } if expected == want && *found == ["ann@example.com"]),
                "{want}: {err:?}"
            );
        }
        let issuer_cases = [
            (exact("https://other.example"), "\"https://other.example\""),
            (re("https://issuer"), "a match of /^(?:https://issuer)$/"),
        ];
        for (issuer, want) in issuer_cases {
            let policy = Policy { identity: exact("ann@example.com"), issuer };
            let err = verify_certificate(&trust, &der, now(), Some(1), &policy).unwrap_err();
            assert!(
                matches!(&err, VerifyError::Issuer { expected, found } if expected == want && found.as_deref() == Some("https://issuer.example")),
                "{want}: {err:?}"
            );
        }
    }

    /// A leaf of the test CA carrying Fulcio's v1 GitHub workflow extensions (raw strings, as
    /// Fulcio writes them), plus `extra` extensions.
    fn workflow_leaf(pki: &Pki, extra: Vec<CustomExtension>) -> Vec<u8> {
        let mut p = CertificateParams::default();
        p.distinguished_name = DistinguishedName::new();
        p.subject_alt_names = vec![SanType::URI(
            "https://github.com/ann/repo/.github/workflows/release.yml@refs/heads/main".try_into().unwrap(),
        )];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        p.custom_extensions = vec![
            CustomExtension::from_oid_content(oid::GITHUB_WORKFLOW_TRIGGER, b"push".to_vec()),
            CustomExtension::from_oid_content(oid::GITHUB_WORKFLOW_SHA, b"0123abcd".to_vec()),
            CustomExtension::from_oid_content(oid::GITHUB_WORKFLOW_NAME, b"release".to_vec()),
            CustomExtension::from_oid_content(oid::GITHUB_WORKFLOW_REPOSITORY, b"ann/repo".to_vec()),
            CustomExtension::from_oid_content(oid::GITHUB_WORKFLOW_REF, b"refs/heads/main".to_vec()),
        ];
        p.custom_extensions.extend(extra);
        p.signed_by(&key(), &pki.int_issuer).unwrap().der().to_vec()
    }

    #[test]
    fn github_workflow_claims_are_checked_against_the_fulcio_extensions() {
        let pki = make_pki("workflow");
        let der = Certificate::from_der(&workflow_leaf(&pki, vec![])).unwrap();
        let all = WorkflowPolicy {
            trigger: Some("push".into()),
            sha: Some("0123abcd".into()),
            name: Some("release".into()),
            repository: Some("ann/repo".into()),
            git_ref: Some("refs/heads/main".into()),
        };
        all.check(&der).unwrap();
        WorkflowPolicy::default().check(&der).unwrap();
        assert!(WorkflowPolicy::default().is_empty() && !all.is_empty());
        // Each claim on its own: a different value is refused, naming the claim and both values.
        type Field = fn(&mut WorkflowPolicy) -> &mut Option<String>;
        let cases: [(&str, &str, Field, &str); 5] = [
            ("trigger", "1.3.6.1.4.1.57264.1.2", |w| &mut w.trigger, "push"),
            ("sha", "1.3.6.1.4.1.57264.1.3", |w| &mut w.sha, "0123abcd"),
            ("name", "1.3.6.1.4.1.57264.1.4", |w| &mut w.name, "release"),
            ("repository", "1.3.6.1.4.1.57264.1.5", |w| &mut w.repository, "ann/repo"),
            ("ref", "1.3.6.1.4.1.57264.1.6", |w| &mut w.git_ref, "refs/heads/main"),
        ];
        for (claim, dotted, field, actual) in cases {
            let mut one = WorkflowPolicy::default();
            *field(&mut one) = Some(actual.to_string());
            one.check(&der).unwrap();
            *field(&mut one) = Some(format!("{actual}x"));
            match one.check(&der).unwrap_err() {
                VerifyError::WorkflowClaim { claim: c, oid, expected, found } => {
                    assert_eq!((c, oid.as_str()), (claim, dotted));
                    assert_eq!((expected, found), (format!("{actual}x"), Some(actual.to_string())));
                }
                other => panic!("{claim}: {other}"),
            }
        }
        // A certificate without the extensions (an email identity) fails any claim.
        let plain = Certificate::from_der(&leaf(&pki, true, false)).unwrap();
        let err = all.check(&plain).unwrap_err();
        assert!(matches!(err, VerifyError::WorkflowClaim { found: None, claim: "trigger", .. }), "{err}");
        // The extension twice: refused, whichever copy would match.
        let twice = workflow_leaf(
            &pki,
            vec![CustomExtension::from_oid_content(oid::GITHUB_WORKFLOW_REF, b"refs/heads/evil".to_vec())],
        );
        let only_ref = WorkflowPolicy { git_ref: Some("refs/heads/main".into()), ..Default::default() };
        let err = only_ref.check(&Certificate::from_der(&twice).unwrap()).unwrap_err();
        assert!(err.to_string().contains("appears more than once"), "{err}");
    }
}
