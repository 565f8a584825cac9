//! The signature format: a detached CMS SignedData in PEM with the label `SIGNED MESSAGE`, laid
//! out byte for byte as the Go gitsign writes it — SignedData v1, SHA-256, id-data with no
//! content, the leaf certificate, one SignerInfo v1 (issuer and serial) with the signed
//! attributes contentType, signingTime and messageDigest, an ECDSA-SHA256 signature over their
//! DER SET, and optionally the transparency-log entry as unsigned attribute 1.3.6.1.4.1.57264.3.1.

use crate::tlv::{Tlv, context, elements, expect, finished, next_tlv, optional, unexpected};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode, Tag};
use gitsign_protocol::oid;
use x509_cert::Certificate;
use x509_cert::attr::Attribute;
use x509_cert::spki::AlgorithmIdentifierOwned;

/// PEM label of a gitsign signature.
pub const PEM_LABEL: &str = "SIGNED MESSAGE";

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CMS_DATA);
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CMS_SIGNED_DATA);
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CMS_CONTENT_TYPE);
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CMS_MESSAGE_DIGEST);
const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CMS_SIGNING_TIME);
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::SHA256);
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::ECDSA_WITH_SHA256);
/// id-aa-timeStampToken (RFC 3161 appendix A): an RFC 3161 token over the signature value, as
/// an unsigned attribute of the signer.
pub const ID_TIMESTAMP_TOKEN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// gitsign's transparency-log entry attribute.
pub const ID_TLOG_ENTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::GITSIGN_TLOG_ENTRY_DOTTED);

/// Why a signature could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// DER encoding or decoding failed.
    #[error("malformed signature: {0}")]
    Der(#[from] der::Error),
    /// Not PEM `SIGNED MESSAGE`.
    #[error("the signature is not a PEM block labelled {PEM_LABEL:?}")]
    NotArmored,
    /// A `SIGNED MESSAGE` block with something wrong around or inside it.
    #[error("the signature is not exactly one PEM block labelled {PEM_LABEL:?}: {0}")]
    Armor(String),
    /// A signed or unsigned attribute present twice, or with other than one value.
    #[error("not a gitsign signature: attribute {oid} must appear once, with exactly one value")]
    AttributeValues {
        /// The attribute's OID.
        oid: ObjectIdentifier,
    },
    /// The ContentInfo is not SignedData.
    #[error("not a gitsign signature: content type {found} is not signedData")]
    NotSignedData {
        /// The content type found.
        found: ObjectIdentifier,
    },
    /// The signature carries its content, or the content is not id-data.
    #[error("not a gitsign signature: the signature must be detached, over id-data")]
    NotDetached,
    /// Not exactly one SignerInfo.
    #[error("not a gitsign signature: {found} signers; a gitsign signature has one")]
    SignerCount {
        /// How many signers the SignedData holds.
        found: usize,
    },
    /// Versions or digest algorithm list other than gitsign's fixed layout.
    #[error("not a gitsign signature: SignedData and SignerInfo must be version 1 with SHA-256 only")]
    Layout,
    /// The signer's digest algorithm is not SHA-256 (without parameters).
    #[error("not a gitsign signature: digest algorithm {found} is not SHA-256")]
    DigestAlgorithm {
        /// The algorithm found.
        found: ObjectIdentifier,
    },
    /// The signature algorithm is not ecdsa-with-SHA256 (without parameters).
    #[error("not a gitsign signature: signature algorithm {found} is not ecdsa-with-SHA256")]
    SignatureAlgorithm {
        /// The algorithm found.
        found: ObjectIdentifier,
    },
    /// The SignedData carries CRLs.
    #[error("not a gitsign signature: a gitsign signature carries no CRLs")]
    Crls,
    /// The signer is named by subject key identifier.
    #[error("not a gitsign signature: signer identified by key ID, not issuer and serial")]
    SignerByKeyId,
    /// No certificate matches the signer's issuer and serial.
    #[error("not a gitsign signature: the signer's certificate is not in the signature")]
    SignerCertificateMissing,
    /// More than one certificate matches the signer's issuer and serial.
    #[error("not a gitsign signature: more than one certificate carried has the signer's issuer and serial")]
    SignerCertificateAmbiguous,
    /// The certificates field carries something other than X.509 certificates.
    #[error("not a gitsign signature: it carries something other than X.509 certificates")]
    NotACertificate,
    /// The SignerInfo has no signed attributes.
    #[error("not a gitsign signature: no signed attributes")]
    NoSignedAttributes,
    /// A required signed attribute is absent.
    #[error("not a gitsign signature: no {name} attribute")]
    MissingAttribute {
        /// The attribute's name (`contentType`, `messageDigest`).
        name: &'static str,
    },
    /// The contentType attribute names something other than id-data.
    #[error("not a gitsign signature: contentType attribute is not id-data")]
    ContentTypeAttribute,
}

fn alg(oid: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid, parameters: None }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, SignatureError> {
    let mut values = SetOfVec::new();
    values.insert(value)?;
    Ok(Attribute { oid, values })
}

/// The signed attributes over `digest` (SHA-256 of the payload) at `signing_time`, and their
/// DER encoding as a SET — the bytes that are signed.
pub fn signed_attributes(
    digest: &[u8; 32],
    signing_time: UtcTime,
) -> Result<(SetOfVec<Attribute>, Vec<u8>), SignatureError> {
    let mut attrs = SetOfVec::new();
    attrs.insert(attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?)?;
    attrs.insert(attribute(ID_SIGNING_TIME, Any::encode_from(&signing_time)?)?)?;
    attrs.insert(attribute(ID_MESSAGE_DIGEST, Any::encode_from(&OctetString::new(digest.to_vec())?)?)?)?;
    let der = attrs.to_der()?;
    Ok((attrs, der))
}

/// Assembles the DER ContentInfo of a signature.
pub fn assemble(
    cert_der: &[u8],
    signed_attrs: SetOfVec<Attribute>,
    signature: &[u8],
    tlog_entry: Option<&[u8]>,
) -> Result<Vec<u8>, SignatureError> {
    assemble_with(cert_der, signed_attrs, signature, tlog_entry, None)
}

/// As [`assemble`], with an RFC 3161 timestamp token (DER ContentInfo) over the signature value
/// as the signer's id-aa-timeStampToken unsigned attribute, where the Go gitsign puts it.
pub fn assemble_with(
    cert_der: &[u8],
    signed_attrs: SetOfVec<Attribute>,
    signature: &[u8],
    tlog_entry: Option<&[u8]>,
    timestamp: Option<&[u8]>,
) -> Result<Vec<u8>, SignatureError> {
    let cert = Certificate::from_der(cert_der)?;
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: cert.tbs_certificate().issuer().clone(),
        serial_number: cert.tbs_certificate().serial_number().clone(),
    });
    let mut set = SetOfVec::new();
    if let Some(bytes) = tlog_entry {
        set.insert(attribute(ID_TLOG_ENTRY, Any::encode_from(&OctetString::new(bytes.to_vec())?)?)?)?;
    }
    if let Some(token) = timestamp {
        set.insert(attribute(ID_TIMESTAMP_TOKEN, Any::from_der(token)?)?)?;
    }
    let unsigned_attrs = (!set.is_empty()).then_some(set);
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid,
        digest_alg: alg(ID_SHA256),
        signed_attrs: Some(signed_attrs),
        signature_algorithm: alg(ECDSA_SHA256),
        signature: OctetString::new(signature.to_vec())?,
        unsigned_attrs,
    };
    let mut digests = SetOfVec::new();
    digests.insert(alg(ID_SHA256))?;
    let mut certs = SetOfVec::new();
    certs.insert(CertificateChoices::Certificate(cert))?;
    let mut signers = SetOfVec::new();
    signers.insert(signer)?;
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: digests,
        encap_content_info: EncapsulatedContentInfo { econtent_type: ID_DATA, econtent: None },
        certificates: Some(CertificateSet(certs)),
        crls: None,
        signer_infos: SignerInfos(signers),
    };
    Ok(ContentInfo { content_type: ID_SIGNED_DATA, content: Any::encode_from(&signed_data)? }.to_der()?)
}

/// The signature `der` rebuilt with other unsigned attributes (log entry, timestamp). They are
/// unsigned: anyone holding a signature can swap them, which verification must catch (the tests
/// that check it build their signatures with this).
pub fn with_unsigned(
    der: &[u8],
    tlog_entry: Option<&[u8]>,
    timestamp: Option<&[u8]>,
) -> Result<Vec<u8>, SignatureError> {
    let parsed = parse(der)?;
    let attrs = SetOfVec::<Attribute>::from_der(&parsed.signed_attrs_der)?;
    assemble_with(&parsed.signer_cert, attrs, &parsed.signature, tlog_entry, timestamp)
}

/// The armor's first line (with its newline) and last line, for the label [`PEM_LABEL`].
const ARMOR_BEGIN: &str = "-----BEGIN SIGNED MESSAGE-----\n";
const ARMOR_END: &str = "-----END SIGNED MESSAGE-----";

/// PEM armor with the `SIGNED MESSAGE` label.
pub fn armor(der: &[u8]) -> String {
    gitsign_protocol::keys::pem_encode(PEM_LABEL, der)
}

/// Removes the PEM armor. The text must be exactly one block: the BEGIN line, lines of base64,
/// the END line and at most a newline after it. Text before BEGIN or after END would be bytes of
/// the object that nothing signs (a tag message git shows, or junk in a commit header that mints
/// a new object ID for the same signature), so it is refused.
pub fn dearmor(text: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let (begin, end) = (ARMOR_BEGIN, ARMOR_END);
    let Some(rest) = text.strip_prefix(begin.as_bytes()) else {
        return Err(if memchr::memmem::find(text, begin.as_bytes()).is_some() {
            SignatureError::Armor("there is text before the BEGIN line".into())
        } else {
            SignatureError::NotArmored
        });
    };
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let mut body = Vec::with_capacity(rest.len());
    let mut ended = false;
    let mut start = 0;
    for stop in memchr::memchr_iter(b'\n', rest).chain([rest.len()]) {
        let line = &rest[start..stop];
        start = stop + 1;
        if ended {
            return Err(SignatureError::Armor(format!("there is text after the {end} line")));
        }
        if line == end.as_bytes() {
            ended = true;
        } else if !line.is_empty() {
            // Any byte outside the base64 alphabet (a space, a carriage return) fails the decode
            // below, as padding anywhere but at the very end does.
            body.extend_from_slice(line);
        } else {
            return Err(SignatureError::Armor(
                "a line inside the block is empty (one block, nothing else, is accepted)".into(),
            ));
        }
    }
    if !ended {
        return Err(SignatureError::Armor(format!("the {end} line is missing")));
    }
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(body).map_err(|e| {
        SignatureError::Armor(format!("the block is not base64 ({e}): one block, nothing else, is accepted"))
    })
}

/// The parts of a signature a verifier needs.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// DER of the signed attributes as a SET: what the signature signs.
    pub signed_attrs_der: Vec<u8>,
    /// The messageDigest attribute.
    pub message_digest: Vec<u8>,
    /// The signature value.
    pub signature: Vec<u8>,
    /// The signer's certificate, as the bytes carried ([`Parsed::signer_cert`]).
    signer_cert: Vec<u8>,
    /// The signer's certificate decoded from `signer_cert` ([`Parsed::signer`]). The two are
    /// private: verification reads some facts from one and some from the other, so nothing but
    /// [`parse`] may set them.
    signer: std::sync::Arc<Certificate>,
    /// Every certificate carried, as the bytes carried.
    pub certificates: Vec<Vec<u8>>,
    /// The embedded transparency-log entry (protobuf), if any.
    pub tlog_entry: Option<Vec<u8>>,
    /// RFC 3161 timestamp tokens (DER) of the id-aa-timeStampToken unsigned attribute.
    pub timestamps: Vec<Vec<u8>>,
}

/// Whether `tlv` is the OID `oid` (its encoding, compared byte for byte: DER has one).
fn is_oid(tlv: &Tlv<'_>, oid: &ObjectIdentifier) -> bool {
    tlv.tag == Tag::ObjectIdentifier && tlv.value == oid.as_bytes()
}

/// The OID `tlv` holds, for an error message.
fn oid_of(tlv: &Tlv<'_>) -> Result<ObjectIdentifier, SignatureError> {
    Ok(ObjectIdentifier::from_der(tlv.whole)?)
}

/// Whether `tlv` is an AlgorithmIdentifier of `oid` without parameters (`false` for another
/// algorithm, or parameters); a DER error when it is no AlgorithmIdentifier at all.
fn is_algorithm(tlv: &Tlv<'_>, oid: &ObjectIdentifier) -> Result<bool, SignatureError> {
    if tlv.tag != Tag::Sequence {
        return Err(unexpected(Tag::Sequence, tlv.tag).into());
    }
    let mut value = tlv.value;
    let id = expect(&mut value, Tag::ObjectIdentifier)?;
    Ok(is_oid(&id, oid) && value.is_empty())
}

/// The OID of an AlgorithmIdentifier (already read as a SEQUENCE starting with an OID).
fn algorithm_oid(tlv: &Tlv<'_>) -> Result<ObjectIdentifier, SignatureError> {
    let mut value = tlv.value;
    oid_of(&expect(&mut value, Tag::ObjectIdentifier)?)
}

/// A SET OF in DER order (X.690 11.6: ascending encodings, compared as octet strings, the
/// shorter padded with zeros at its end — which for distinct TLVs is plain byte order).
fn der_ordered(items: &[Tlv<'_>]) -> bool {
    items.windows(2).all(|w| w[0].whole <= w[1].whole)
}

/// An attribute: (type, values).
type RawAttribute<'a> = (Tlv<'a>, Vec<Tlv<'a>>);

/// The attributes of a `[0]`/`[1] IMPLICIT SET OF Attribute`; `ordered` requires DER order of
/// the attributes and of each one's values (signed attributes: the bytes signed must be the
/// one encoding of their value, or one signature would verify over many encodings).
fn attributes<'a>(set: &Tlv<'a>, ordered: bool) -> Result<Vec<RawAttribute<'a>>, SignatureError> {
    let attrs = elements(set.value)?;
    if ordered && !der_ordered(&attrs) {
        return Err(der::Error::from(der::ErrorKind::SetOrdering).into());
    }
    attrs
        .iter()
        .map(|a| {
            if a.tag != Tag::Sequence {
                return Err(unexpected(Tag::Sequence, a.tag).into());
            }
            let mut value = a.value;
            let id = expect(&mut value, Tag::ObjectIdentifier)?;
            // The type must be a well-formed OID, as a decoder would require.
            oid_of(&id)?;
            let values = elements(expect(&mut value, Tag::Set)?.value)?;
            finished(value)?;
            if ordered && !der_ordered(&values) {
                return Err(der::Error::from(der::ErrorKind::SetOrdering).into());
            }
            Ok((id, values))
        })
        .collect()
}

impl Parsed {
    /// The signer's certificate, as the bytes carried.
    pub fn signer_cert(&self) -> &[u8] {
        &self.signer_cert
    }

    /// The signer's certificate, decoded from [`Parsed::signer_cert`] with the signature:
    /// verification reads it from here, never parsing it a second time.
    pub fn signer(&self) -> &Certificate {
        &self.signer
    }
}

/// The one value of the attribute `oid`, if present. An attribute given twice (even byte for
/// byte the same) or with other than one value is refused: which copy counts would be a guess.
fn single_value<'a>(attrs: &[RawAttribute<'a>], oid: ObjectIdentifier) -> Result<Option<Tlv<'a>>, SignatureError> {
    let mut found = attrs.iter().filter(|(id, _)| is_oid(id, &oid));
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some((_, values)), None) if values.len() == 1 => Ok(Some(values[0])),
        _ => Err(SignatureError::AttributeValues { oid }),
    }
}

/// Reads a signature (DER ContentInfo) of gitsign's fixed layout, field by field from its
/// encoding: the signed attributes and certificates are kept as the bytes they arrived as (the
/// bytes signed), nothing is re-encoded, and only the certificates are decoded whole (by
/// `x509-cert`). Every field is checked: anything outside the layout is refused.
pub fn parse(der: &[u8]) -> Result<Parsed, SignatureError> {
    // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
    let mut input = der;
    let ci = expect(&mut input, Tag::Sequence)?;
    finished(input)?;
    let mut ci = ci.value;
    let content_type = expect(&mut ci, Tag::ObjectIdentifier)?;
    if !is_oid(&content_type, &ID_SIGNED_DATA) {
        return Err(SignatureError::NotSignedData { found: oid_of(&content_type)? });
    }
    let mut explicit = expect(&mut ci, context(0))?.value;
    finished(ci)?;
    let signed_data = expect(&mut explicit, Tag::Sequence)?;
    finished(explicit)?;
    // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo,
    //   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL, signerInfos SET }
    let mut sd = signed_data.value;
    let version = expect(&mut sd, Tag::Integer)?;
    let digests = elements(expect(&mut sd, Tag::Set)?.value)?;
    let mut encap = expect(&mut sd, Tag::Sequence)?.value;
    let econtent_type = expect(&mut encap, Tag::ObjectIdentifier)?;
    if !is_oid(&econtent_type, &ID_DATA) || !encap.is_empty() {
        return Err(SignatureError::NotDetached);
    }
    let certificates = optional(&mut sd, context(0))?;
    if optional(&mut sd, context(1))?.is_some() {
        return Err(SignatureError::Crls);
    }
    let signers = elements(expect(&mut sd, Tag::Set)?.value)?;
    finished(sd)?;
    let [signer] = signers.as_slice() else {
        return Err(SignatureError::SignerCount { found: signers.len() });
    };
    // SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, signedAttrs [0] IMPLICIT OPTIONAL,
    //   signatureAlgorithm, signature OCTET STRING, unsignedAttrs [1] IMPLICIT OPTIONAL }
    if signer.tag != Tag::Sequence {
        return Err(unexpected(Tag::Sequence, signer.tag).into());
    }
    let mut si = signer.value;
    let signer_version = expect(&mut si, Tag::Integer)?;
    // The layout is fixed (SignedData v1, SHA-256 only, SignerInfo v1, ECDSA with SHA-256, no
    // algorithm parameters): anything else is not a gitsign signature, and nothing in it goes
    // unchecked.
    let sha256_only = matches!(digests.as_slice(), [d] if is_algorithm(d, &ID_SHA256)?);
    if version.value != [1] || signer_version.value != [1] || !sha256_only {
        return Err(SignatureError::Layout);
    }
    let sid = next_tlv(&mut si)?;
    let digest_alg = expect(&mut si, Tag::Sequence)?;
    if !is_algorithm(&digest_alg, &ID_SHA256)? {
        return Err(SignatureError::DigestAlgorithm { found: algorithm_oid(&digest_alg)? });
    }
    let signed_attrs = optional(&mut si, context(0))?;
    let signature_alg = expect(&mut si, Tag::Sequence)?;
    if !is_algorithm(&signature_alg, &ECDSA_SHA256)? {
        return Err(SignatureError::SignatureAlgorithm { found: algorithm_oid(&signature_alg)? });
    }
    let signature = expect(&mut si, Tag::OctetString)?;
    let unsigned_attrs = optional(&mut si, context(1))?;
    finished(si)?;
    // Every certificate carried is decoded (strict DER); anything else carried (attribute
    // certificates, other formats) has no place in a gitsign signature.
    let mut certs: Vec<(std::sync::Arc<Certificate>, &[u8])> = Vec::new();
    for c in elements(certificates.map_or(&[][..], |c| c.value))? {
        if c.tag != Tag::Sequence {
            return Err(SignatureError::NotACertificate);
        }
        certs.push((decode_certificate(c.whole)?, c.whole));
    }
    // IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }: compared, as
    // bytes, with each certificate's own (a certificate decoded above, so a match is a Name and
    // an INTEGER that decode).
    let (sid_issuer, sid_serial) = match sid.tag {
        Tag::Sequence => {
            let mut isn = sid.value;
            let issuer = expect(&mut isn, Tag::Sequence)?;
            let serial = expect(&mut isn, Tag::Integer)?;
            finished(isn)?;
            (issuer.whole, serial.whole)
        }
        Tag::ContextSpecific { constructed: false, number: der::TagNumber(0) } => {
            return Err(SignatureError::SignerByKeyId);
        }
        t => {
            return Err(unexpected(Tag::Sequence, t).into());
        }
    };
    let mut matching = Vec::new();
    for (i, (_, der)) in certs.iter().enumerate() {
        let parts = crate::tlv::certificate_parts(der)?;
        if parts.issuer == sid_issuer && parts.serial == sid_serial {
            matching.push(i);
        }
    }
    let signer_index = match matching[..] {
        [i] => i,
        [] => return Err(SignatureError::SignerCertificateMissing),
        _ => return Err(SignatureError::SignerCertificateAmbiguous),
    };
    let signed_attrs = signed_attrs.ok_or(SignatureError::NoSignedAttributes)?;
    let attrs = attributes(&signed_attrs, true)?;
    let content_type =
        single_value(&attrs, ID_CONTENT_TYPE)?.ok_or(SignatureError::MissingAttribute { name: "contentType" })?;
    if content_type.tag != Tag::ObjectIdentifier {
        return Err(unexpected(Tag::ObjectIdentifier, content_type.tag).into());
    }
    if !is_oid(&content_type, &ID_DATA) {
        oid_of(&content_type)?;
        return Err(SignatureError::ContentTypeAttribute);
    }
    let digest =
        single_value(&attrs, ID_MESSAGE_DIGEST)?.ok_or(SignatureError::MissingAttribute { name: "messageDigest" })?;
    if digest.tag != Tag::OctetString {
        return Err(unexpected(Tag::OctetString, digest.tag).into());
    }
    let unsigned = unsigned_attrs.map(|u| attributes(&u, false)).transpose()?.unwrap_or_default();
    let tlog_entry = match single_value(&unsigned, ID_TLOG_ENTRY)? {
        None => None,
        Some(v) if v.tag == Tag::OctetString => Some(v.value.to_vec()),
        Some(v) => {
            return Err(unexpected(Tag::OctetString, v.tag).into());
        }
    };
    let timestamps = {
        let mut found = unsigned.iter().filter(|(id, _)| is_oid(id, &ID_TIMESTAMP_TOKEN));
        match (found.next(), found.next()) {
            (None, _) => Vec::new(),
            (Some((_, values)), None) => values.iter().map(|v| v.whole.to_vec()).collect(),
            _ => return Err(SignatureError::AttributeValues { oid: ID_TIMESTAMP_TOKEN }),
        }
    };
    // The signed attributes are signed as a SET: the [0] IMPLICIT tag (one byte, 0xA0) becomes
    // SET's (0x31); length and content are the bytes as they came.
    let mut signed_attrs_der = signed_attrs.whole.to_vec();
    signed_attrs_der[0] = 0x31;
    let certificates = certs.iter().map(|(_, whole)| whole.to_vec()).collect();
    let (signer, signer_der) = certs.swap_remove(signer_index);
    Ok(Parsed {
        timestamps,
        signed_attrs_der,
        message_digest: digest.value.to_vec(),
        signature: signature.value.to_vec(),
        signer_cert: signer_der.to_vec(),
        signer,
        certificates,
        tlog_entry,
    })
}

/// Certificates this thread decoded last, newest first, by their exact DER: a history signed
/// through a credential cache carries one certificate in commit after commit, and decoding it
/// again would give the same value (decoding is a function of the bytes alone).
const DECODED_KEPT: usize = 8;

thread_local! {
    static DECODED: std::cell::RefCell<std::collections::VecDeque<(Vec<u8>, std::sync::Arc<Certificate>)>> =
        const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
}

/// `der` decoded as a certificate (strictly: trailing bytes refused), or as this thread decoded
/// the same bytes before.
fn decode_certificate(der: &[u8]) -> Result<std::sync::Arc<Certificate>, SignatureError> {
    if let Some(found) = DECODED.with_borrow(|d| d.iter().find(|(k, _)| k == der).map(|(_, c)| c.clone())) {
        return Ok(found);
    }
    let cert = std::sync::Arc::new(Certificate::from_der(der)?);
    DECODED.with_borrow_mut(|d| {
        d.push_front((der.to_vec(), cert.clone()));
        d.truncate(DECODED_KEPT);
    });
    Ok(cert)
}

/// The X.509 certificates a decoded SignedData carries (other kinds left out).
fn x509_certificates(sd: &SignedData) -> Vec<&Certificate> {
    sd.certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// One signer of a CMS signature: (DER of its signed attributes as a SET, DER of its certificate).
pub type SignerDer = (Vec<u8>, Vec<u8>);

/// Every SignerInfo of a CMS signature (DER ContentInfo) whose certificate the signature carries,
/// as (DER of its signed attributes as a SET, DER of its certificate), for display (`gitsign
/// show`): no layout check and no verification, so any CMS SignedData is read, as the Go gitsign
/// reads it. Signers whose certificate is absent are left out.
pub fn signer_infos(der: &[u8]) -> Result<Vec<SignerDer>, SignatureError> {
    let ci = ContentInfo::from_der(der)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(SignatureError::NotSignedData { found: ci.content_type });
    }
    let sd: SignedData = ci.content.decode_as()?;
    let certs = x509_certificates(&sd);
    let mut out = Vec::new();
    for signer in sd.signer_infos.0.iter() {
        let SignerIdentifier::IssuerAndSerialNumber(isn) = &signer.sid else { continue };
        let Some(cert) = certs.iter().find(|c| {
            c.tbs_certificate().issuer() == &isn.issuer && c.tbs_certificate().serial_number() == &isn.serial_number
        }) else {
            continue;
        };
        let attrs = match &signer.signed_attrs {
            Some(a) => a.to_der()?,
            None => SetOfVec::<Attribute>::new().to_der()?,
        };
        out.push((attrs, cert.to_der()?));
    }
    Ok(out)
}

/// The parser [`parse`] replaced (the `cms` crate's owned types, re-encoded): kept as the oracle
/// its differential test compares the field-by-field reader with.
#[cfg(test)]
mod oracle {
    use super::*;

    fn single_value(attrs: &SetOfVec<Attribute>, oid: ObjectIdentifier) -> Result<Option<&Any>, SignatureError> {
        let mut found = attrs.iter().filter(|a| a.oid == oid);
        match (found.next(), found.next()) {
            (None, _) => Ok(None),
            (Some(a), None) if a.values.len() == 1 => Ok(a.values.get(0)),
            _ => Err(SignatureError::AttributeValues { oid }),
        }
    }

    pub(super) fn parse(der: &[u8]) -> Result<Parsed, SignatureError> {
        let ci = ContentInfo::from_der(der)?;
        if ci.content_type != ID_SIGNED_DATA {
            return Err(SignatureError::NotSignedData { found: ci.content_type });
        }
        let sd: SignedData = ci.content.decode_as()?;
        if sd.encap_content_info.econtent_type != ID_DATA || sd.encap_content_info.econtent.is_some() {
            return Err(SignatureError::NotDetached);
        }
        let [signer] = sd.signer_infos.0.as_slice() else {
            return Err(SignatureError::SignerCount { found: sd.signer_infos.0.len() });
        };
        let sha256_only = sd.digest_algorithms.len() == 1
            && sd.digest_algorithms.iter().all(|a| a.oid == ID_SHA256 && a.parameters.is_none());
        if sd.version != CmsVersion::V1 || signer.version != CmsVersion::V1 || !sha256_only {
            return Err(SignatureError::Layout);
        }
        if signer.digest_alg != alg(ID_SHA256) {
            return Err(SignatureError::DigestAlgorithm { found: signer.digest_alg.oid });
        }
        if signer.signature_algorithm != alg(ECDSA_SHA256) {
            return Err(SignatureError::SignatureAlgorithm { found: signer.signature_algorithm.oid });
        }
        if sd.crls.is_some() {
            return Err(SignatureError::Crls);
        }
        let certs = x509_certificates(&sd);
        let SignerIdentifier::IssuerAndSerialNumber(isn) = &signer.sid else {
            return Err(SignatureError::SignerByKeyId);
        };
        let signer_cert = *certs
            .iter()
            .find(|c| {
                c.tbs_certificate().issuer() == &isn.issuer && c.tbs_certificate().serial_number() == &isn.serial_number
            })
            .ok_or(SignatureError::SignerCertificateMissing)?;
        let attrs = signer.signed_attrs.as_ref().ok_or(SignatureError::NoSignedAttributes)?;
        let content_type =
            single_value(attrs, ID_CONTENT_TYPE)?.ok_or(SignatureError::MissingAttribute { name: "contentType" })?;
        if content_type.decode_as::<ObjectIdentifier>()? != ID_DATA {
            return Err(SignatureError::ContentTypeAttribute);
        }
        let digest = single_value(attrs, ID_MESSAGE_DIGEST)?
            .ok_or(SignatureError::MissingAttribute { name: "messageDigest" })?;
        let tlog_entry = match &signer.unsigned_attrs {
            None => None,
            Some(u) => single_value(u, ID_TLOG_ENTRY)?
                .map(|v| v.decode_as::<OctetString>().map(|o| o.into_bytes().into_vec()))
                .transpose()?,
        };
        let timestamps = match &signer.unsigned_attrs {
            None => Vec::new(),
            Some(u) => {
                let mut found = u.iter().filter(|a| a.oid == ID_TIMESTAMP_TOKEN);
                match (found.next(), found.next()) {
                    (None, _) => Vec::new(),
                    (Some(a), None) => a.values.iter().map(|v| v.to_der()).collect::<Result<_, _>>()?,
                    _ => return Err(SignatureError::AttributeValues { oid: ID_TIMESTAMP_TOKEN }),
                }
            }
        };
        let signer_der = signer_cert.to_der()?;
        let certificates = certs.iter().map(|c| c.to_der()).collect::<Result<_, _>>()?;
        Ok(Parsed {
            timestamps,
            signed_attrs_der: attrs.to_der()?,
            message_digest: digest.decode_as::<OctetString>()?.into_bytes().into_vec(),
            signature: signer.signature.as_bytes().to_vec(),
            signer_cert: signer_der,
            signer: std::sync::Arc::new(signer_cert.clone()),
            certificates,
            tlog_entry,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dearmor_takes_exactly_one_block() {
        assert_eq!(ARMOR_BEGIN, format!("-----BEGIN {PEM_LABEL}-----\n"));
        assert_eq!(ARMOR_END, format!("-----END {PEM_LABEL}-----"));
        let der = b"some der bytes, any length at all to wrap over lines of sixty-four characters".to_vec();
        let armored = armor(&der);
        assert_eq!(dearmor(armored.as_bytes()).unwrap(), der);
        assert_eq!(dearmor(armored.trim_end().as_bytes()).unwrap(), der, "the final newline is optional");
        let refused = |text: String, why: &str| {
            let err = dearmor(text.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        };
        refused(format!("junk\n{armored}"), "there is text before the BEGIN line");
        refused(format!("{armored}junk\n"), "there is text after the -----END SIGNED MESSAGE----- line");
        refused(format!("{armored}\n"), "there is text after");
        refused(format!("{armored}{armored}"), "there is text after");
        refused(armored.replacen('\n', "\n \n", 1), "is not base64");
        refused(armored.replacen('\n', "\n\n", 1), "is empty");
        let mut crlf = armored.clone();
        crlf.insert(armored.match_indices('\n').nth(1).unwrap().0, '\r');
        refused(crlf, "is not base64");
        refused(armored.replacen("-----\n", "-----\n=", 1), "is not base64");
        refused(armored.replace("-----END SIGNED MESSAGE-----\n", ""), "line is missing");
        assert!(matches!(dearmor(b"plain text"), Err(SignatureError::NotArmored)));
    }

    /// A signature of gitsign's layout over a self-signed certificate, with a log entry, a
    /// timestamp token and, when `extra` is given, another certificate carried.
    fn sample(extra: Option<&[u8]>) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["signer.example".into()]).unwrap().self_signed(&key).unwrap();
        let time = UtcTime::from_unix_duration(std::time::Duration::from_secs(1_700_000_000)).unwrap();
        let (attrs, _) = signed_attributes(&[7; 32], time).unwrap();
        // A timestamp token is any DER value here: the parser only carries it.
        let token = [0x30, 0x03, 0x02, 0x01, 0x05];
        let der =
            assemble_with(cert.der(), attrs, &[0x30, 0x06, 2, 1, 1, 2, 1, 1], Some(b"entry"), Some(&token)).unwrap();
        match extra {
            None => der,
            Some(other) => {
                // Rebuilt with the other certificate in the SET, through the owned types.
                let ci = ContentInfo::from_der(&der).unwrap();
                let mut sd: SignedData = ci.content.decode_as().unwrap();
                let mut set = sd.certificates.take().unwrap().0;
                set.insert(CertificateChoices::Certificate(Certificate::from_der(other).unwrap())).unwrap();
                sd.certificates = Some(CertificateSet(set));
                ContentInfo { content_type: ID_SIGNED_DATA, content: Any::encode_from(&sd).unwrap() }.to_der().unwrap()
            }
        }
    }

    /// `der` with its SignedData changed by `change`, through the owned types.
    fn rebuilt(der: &[u8], change: impl FnOnce(&mut SignedData)) -> Vec<u8> {
        let ci = ContentInfo::from_der(der).unwrap();
        let mut sd: SignedData = ci.content.decode_as().unwrap();
        change(&mut sd);
        ContentInfo { content_type: ID_SIGNED_DATA, content: Any::encode_from(&sd).unwrap() }.to_der().unwrap()
    }

    /// Where the reader refuses what the `cms` decoder let through, on purpose.
    #[test]
    fn the_reader_refuses_what_the_cms_decoder_let_through() {
        let base = sample(None);
        // Signed attributes out of DER order: the decoder sorted them, so the bytes it verified
        // the signature over were not the bytes in the signature (one signature, many encodings).
        let (_, attrs_der) = signed_attributes(
            &[7; 32],
            UtcTime::from_unix_duration(std::time::Duration::from_secs(1_700_000_000)).unwrap(),
        )
        .unwrap();
        let attrs = elements(&attrs_der[2..]).unwrap();
        assert_eq!(attrs.len(), 3);
        let swapped = [attrs[1].whole, attrs[0].whole, attrs[2].whole].concat();
        let at = base.windows(attrs_der.len() - 2).position(|w| w == &attrs_der[2..]).unwrap();
        let mut unsorted = base.clone();
        unsorted[at..at + swapped.len()].copy_from_slice(&swapped);
        assert!(oracle::parse(&unsorted).is_ok());
        assert!(matches!(parse(&unsorted), Err(SignatureError::Der(e)) if e.kind() == der::ErrorKind::SetOrdering));
        // The signer's certificate carried twice: which copy is the signer's would be a guess.
        let twice = rebuilt(&base, |sd| {
            let cert = sd.certificates.take().unwrap().0.into_vec().remove(0);
            sd.certificates = Some(CertificateSet(SetOfVec::try_from(vec![cert.clone(), cert]).unwrap()));
        });
        assert!(oracle::parse(&twice).is_ok());
        assert!(matches!(parse(&twice), Err(SignatureError::SignerCertificateAmbiguous)));
        // Something other than an X.509 certificate carried.
        let other = rebuilt(&base, |sd| {
            let mut certs = sd.certificates.take().unwrap().0.into_vec();
            certs.push(CertificateChoices::Other(cms::cert::OtherCertificateFormat {
                other_cert_format: ID_DATA,
                other_cert: Any::encode_from(&OctetString::new(vec![1, 2, 3]).unwrap()).unwrap(),
            }));
            sd.certificates = Some(CertificateSet(SetOfVec::try_from(certs).unwrap()));
        });
        assert!(oracle::parse(&other).is_ok());
        assert!(matches!(parse(&other), Err(SignatureError::NotACertificate)));
    }

    /// What must agree between the two parsers: carried certificates and tokens as sets (the
    /// old parser sorted them), and certificates as `x509-cert` encodes them (the old parser
    /// re-encoded them; the reader keeps the bytes that came, which differ when they are not
    /// DER that `x509-cert` still reads, such as an explicit default version).
    fn view(p: &Parsed) -> impl PartialEq + std::fmt::Debug {
        let encoded = |der: &[u8]| Certificate::from_der(der).unwrap().to_der().unwrap();
        let mut certificates: Vec<Vec<u8>> = p.certificates.iter().map(|c| encoded(c)).collect();
        certificates.sort();
        let mut timestamps = p.timestamps.clone();
        timestamps.sort();
        (
            p.signed_attrs_der.clone(),
            p.message_digest.clone(),
            p.signature.clone(),
            encoded(&p.signer_cert),
            p.signer.to_der().unwrap(),
            certificates,
            p.tlog_entry.clone(),
            timestamps,
        )
    }

    /// The field-by-field reader accepts exactly what the `cms` decoder accepted, and reads the
    /// same fields from it, over gitsign signatures changed in every byte, cut at every length,
    /// and grown: except where it is stricter on purpose (a carried certificate that is not
    /// X.509, more than one certificate naming the signer, signed attributes out of DER order).
    #[test]
    fn the_reader_accepts_what_the_cms_decoder_accepted_and_reads_the_same_fields() {
        let other_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let other =
            rcgen::CertificateParams::new(vec!["other.example".into()]).unwrap().self_signed(&other_key).unwrap();
        let bases = [sample(None), sample(Some(other.der()))];
        let (mut both, mut refused, mut stricter) = (0usize, 0usize, 0usize);
        let mut check = |input: &[u8]| match (oracle::parse(input), parse(input)) {
            (Ok(old), Ok(new)) => {
                assert_eq!(view(&old), view(&new), "the two parsers read different fields from {}", hex::encode(input));
                both += 1;
            }
            (Err(_), Err(_)) => refused += 1,
            (Ok(_), Err(SignatureError::NotACertificate | SignatureError::SignerCertificateAmbiguous)) => stricter += 1,
            (Ok(_), Err(SignatureError::Der(e))) if e.kind() == der::ErrorKind::SetOrdering => stricter += 1,
            (old, new) => panic!(
                "the parsers disagree on {}: cms decoder {:?}, reader {:?}",
                hex::encode(input),
                old.map(|_| "accepted"),
                new.map(|_| "accepted")
            ),
        };
        for base in &bases {
            check(base);
            for i in 0..base.len() {
                for value in [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x30, 0x31, 0x7f, 0x80, 0x81, 0xa0, 0xa1, 0xff] {
                    let mut m = base.clone();
                    if m[i] == value {
                        continue;
                    }
                    m[i] = value;
                    check(&m);
                }
                let mut m = base.clone();
                m[i] ^= 0x01;
                check(&m);
                check(&base[..i]);
                let mut grown = base.clone();
                grown.insert(i, 0x00);
                check(&grown);
            }
        }
        println!("both accepted {both}, both refused {refused}, only the cms decoder accepted {stricter}");
        assert!(both >= 2, "the unchanged signatures must parse");
        assert!(refused > 10_000, "most changes must be refused by both ({refused})");
        assert!(stricter < 100, "{stricter} inputs only the cms decoder accepted");
    }
}
