//! The signature format: a detached CMS SignedData in PEM with the label `SIGNED MESSAGE`, laid
//! out byte for byte as the Go gitsign writes it — SignedData v1, SHA-256, id-data with no
//! content, the leaf certificate, one SignerInfo v1 (issuer and serial) with the signed
//! attributes contentType, signingTime and messageDigest, an ECDSA-SHA256 signature over their
//! DER SET, and optionally the transparency-log entry as unsigned attribute 1.3.6.1.4.1.57264.3.1.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, ObjectIdentifier, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode};
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

/// PEM armor with the `SIGNED MESSAGE` label.
pub fn armor(der: &[u8]) -> String {
    gitsign_protocol::keys::pem_encode(PEM_LABEL, der)
}

/// Removes the PEM armor. The text must be exactly one block: the BEGIN line, lines of base64,
/// the END line and at most a newline after it. Text before BEGIN or after END would be bytes of
/// the object that nothing signs (a tag message git shows, or junk in a commit header that mints
/// a new object ID for the same signature), so it is refused.
pub fn dearmor(text: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let begin = format!("-----BEGIN {PEM_LABEL}-----\n");
    let end = format!("-----END {PEM_LABEL}-----");
    let Some(rest) = text.strip_prefix(begin.as_bytes()) else {
        return Err(if text.windows(begin.len()).any(|w| w == begin.as_bytes()) {
            SignatureError::Armor("there is text before the BEGIN line".into())
        } else {
            SignatureError::NotArmored
        });
    };
    let rest = rest.strip_suffix(b"\n").unwrap_or(rest);
    let mut body = Vec::with_capacity(rest.len());
    let mut ended = false;
    for line in rest.split(|b| *b == b'\n') {
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
    /// The signer's certificate, DER.
    pub signer_cert: Vec<u8>,
    /// The signer's certificate as parsed with the signature: verification reads it from here,
    /// never parsing it a second time.
    pub signer: Certificate,
    /// Every certificate carried, DER.
    pub certificates: Vec<Vec<u8>>,
    /// The embedded transparency-log entry (protobuf), if any.
    pub tlog_entry: Option<Vec<u8>>,
    /// RFC 3161 timestamp tokens (DER) of the id-aa-timeStampToken unsigned attribute.
    pub timestamps: Vec<Vec<u8>>,
}

/// The one value of the attribute `oid`, if present. An attribute given twice (even byte for
/// byte the same) or with other than one value is refused: which copy counts would be a guess.
fn single_value(attrs: &SetOfVec<Attribute>, oid: ObjectIdentifier) -> Result<Option<&Any>, SignatureError> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(a), None) if a.values.len() == 1 => Ok(a.values.get(0)),
        _ => Err(SignatureError::AttributeValues { oid }),
    }
}

/// Reads a signature (DER ContentInfo).
pub fn parse(der: &[u8]) -> Result<Parsed, SignatureError> {
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
    // The layout is fixed (SignedData v1, SHA-256 only, SignerInfo v1, ECDSA with SHA-256, no
    // algorithm parameters): anything else is not a gitsign signature, and nothing in it goes
    // unchecked.
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
    let certs: Vec<&Certificate> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
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
    let digest =
        single_value(attrs, ID_MESSAGE_DIGEST)?.ok_or(SignatureError::MissingAttribute { name: "messageDigest" })?;
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
    // The signer's DER is encoded once, and is among `certificates` as it is carried.
    let signer_der = signer_cert.to_der()?;
    let certificates = certs
        .iter()
        .map(|c| if std::ptr::eq(*c, signer_cert) { Ok(signer_der.clone()) } else { c.to_der() })
        .collect::<Result<_, _>>()?;
    Ok(Parsed {
        timestamps,
        signed_attrs_der: attrs.to_der()?,
        message_digest: digest.decode_as::<OctetString>()?.into_bytes().into_vec(),
        signature: signer.signature.as_bytes().to_vec(),
        signer_cert: signer_der,
        signer: signer_cert.clone(),
        certificates,
        tlog_entry,
    })
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
    let certs: Vec<&Certificate> = sd
        .certificates
        .iter()
        .flat_map(|s| s.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn dearmor_takes_exactly_one_block() {
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
}
