//! RFC 3161 timestamps: a timestamping authority's signed statement that a signature existed at
//! a time. Verified against the timestamp authorities of the trust root: the token's CMS
//! signature with the authority's certificate (chain valid at the stamped time, within the
//! authority's validity window), and its message imprint over the signature it stamps.

use crate::verify::VerifyError;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader as _, Tagged as _};
use x509_cert::spki::AlgorithmIdentifierOwned;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TSTINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

#[derive(der::Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

fn bad(s: impl Into<String>) -> VerifyError {
    VerifyError::Timestamp(s.into())
}

/// Digest of `data` with the hash algorithm `oid`.
fn digest(oid: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, VerifyError> {
    use aws_lc_rs::digest;
    let alg = match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => &digest::SHA256,
        "2.16.840.1.101.3.4.2.2" => &digest::SHA384,
        "2.16.840.1.101.3.4.2.3" => &digest::SHA512,
        other => return Err(bad(format!("hash algorithm {other} is not supported"))),
    };
    Ok(digest::digest(alg, data).as_ref().to_vec())
}

/// `YYYYMMDDHHMMSS[.fff]Z` as Unix seconds.
fn generalized_time(text: &str) -> Option<i64> {
    let t = text.strip_suffix('Z')?;
    let whole = t.split('.').next()?;
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| whole[r].parse::<u32>().ok();
    let date =
        time::Date::from_calendar_date(n(0..4)? as i32, time::Month::try_from(n(4..6)? as u8).ok()?, n(6..8)? as u8)
            .ok()?;
    let time = time::Time::from_hms(n(8..10)? as u8, n(10..12)? as u8, n(12..14)? as u8).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_utc().unix_timestamp())
}

/// Verifies an RFC 3161 timestamp token (DER) over `signature`; returns the stamped time.
pub fn verify(trust: &crate::verify::TrustRoot, token: &[u8], signature: &[u8]) -> Result<i64, VerifyError> {
    // A bare token (ContentInfo) or a TimeStampResp; either is one DER SEQUENCE with nothing after
    // it, and every part below is decoded strictly (`from_der` refuses trailing bytes).
    let outer = der::asn1::AnyRef::from_der(token).map_err(|e| bad(format!("not DER: {e}")))?;
    if outer.tag() != der::Tag::Sequence {
        return Err(bad(format!("the token's outer tag is {}, not SEQUENCE", outer.tag())));
    }
    let ci = match ContentInfo::from_der(token) {
        Ok(ci) => ci,
        // TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken ContentInfo OPTIONAL }
        // PKIStatusInfo ::= SEQUENCE { status INTEGER, statusString, failInfo OPTIONAL }
        Err(_) => {
            let mut r = der::SliceReader::new(outer.value()).map_err(|e| bad(e.to_string()))?;
            let status: der::asn1::AnyRef<'_> = r.decode().map_err(|e| bad(format!("timestamp status: {e}")))?;
            if status.tag() != der::Tag::Sequence {
                return Err(bad("the timestamp response's status is not a PKIStatusInfo"));
            }
            let mut sr = der::SliceReader::new(status.value()).map_err(|e| bad(e.to_string()))?;
            let code: u8 = sr.decode().map_err(|e| bad(format!("timestamp status: {e}")))?;
            if code > 1 {
                return Err(bad(format!("the timestamp authority refused the request (status {code})")));
            }
            let ci = r.decode::<ContentInfo>().map_err(|e| bad(format!("not a timestamp token: {e}")))?;
            r.finish().map_err(|e| bad(format!("bytes after the timestamp token: {e}")))?;
            ci
        }
    };
    if ci.content_type != ID_SIGNED_DATA {
        return Err(bad("not a signed timestamp token"));
    }
    let sd: SignedData = ci.content.decode_as().map_err(|e: der::Error| bad(e.to_string()))?;
    if sd.encap_content_info.econtent_type != ID_CT_TSTINFO {
        return Err(bad("the token does not hold a TSTInfo"));
    }
    let tst = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("the token's TSTInfo is missing"))?
        .decode_as::<OctetString>()
        .map_err(|e| bad(e.to_string()))?
        .into_bytes();
    // TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber, genTime, ... }
    let seq = der::asn1::AnyRef::from_der(&tst).map_err(|e| bad(format!("TSTInfo: {e}")))?;
    let mut r = der::SliceReader::new(seq.value()).map_err(|e| bad(e.to_string()))?;
    let _version: der::asn1::Int = r.decode().map_err(|e| bad(format!("TSTInfo version: {e}")))?;
    let _policy: ObjectIdentifier = r.decode().map_err(|e| bad(format!("TSTInfo policy: {e}")))?;
    let imprint: MessageImprint = r.decode().map_err(|e| bad(format!("TSTInfo messageImprint: {e}")))?;
    let _serial: der::asn1::Int = r.decode().map_err(|e| bad(format!("TSTInfo serialNumber: {e}")))?;
    let gen_time: der::asn1::AnyRef<'_> = r.decode().map_err(|e| bad(format!("TSTInfo genTime: {e}")))?;
    let gen_time = std::str::from_utf8(gen_time.value())
        .ok()
        .and_then(generalized_time)
        .ok_or_else(|| bad("TSTInfo genTime is unreadable"))?;
    if digest(&imprint.hash_algorithm.oid, signature)? != imprint.hashed_message.as_bytes() {
        return Err(bad("the timestamp is over another signature"));
    }
    let [signer] = sd.signer_infos.0.as_slice() else { return Err(bad("a timestamp token must have one signer")) };
    // digestAlgorithms must be well-formed: known hash algorithms, the signer's among them.
    for alg in sd.digest_algorithms.iter() {
        digest(&alg.oid, b"")?;
    }
    if !sd.digest_algorithms.iter().any(|a| a.oid == signer.digest_alg.oid) {
        return Err(bad("the token's digestAlgorithms do not list its signer's digest algorithm"));
    }
    // A token may embed certificates, but only the trusted authority's own.
    for choice in sd.certificates.iter().flat_map(|set| set.0.iter()) {
        let cms::cert::CertificateChoices::Certificate(cert) = choice else {
            return Err(bad("the token embeds something other than an X.509 certificate"));
        };
        let der = cert.to_der().map_err(|e| bad(e.to_string()))?;
        if !trust.timestamp_certificates().any(|c| c == der.as_slice()) {
            return Err(bad("the token embeds a certificate that is not the trusted timestamp authority's"));
        }
    }
    let attrs = signer.signed_attrs.as_ref().ok_or_else(|| bad("the token has no signed attributes"))?;
    let claimed = attrs
        .iter()
        .find(|a| a.oid == ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.get(0))
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or_else(|| bad("the token has no messageDigest"))?;
    if digest(&signer.digest_alg.oid, &tst)? != claimed.as_bytes() {
        return Err(bad("the token's messageDigest is not its TSTInfo's"));
    }
    let signed = attrs.to_der().map_err(|e| bad(e.to_string()))?;
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(bad("the token's signer is named by key ID; only issuer and serial is supported"));
    };
    let (issuer, serial) =
        (sid.issuer.to_der().map_err(|e| bad(e.to_string()))?, sid.serial_number.as_bytes().to_vec());
    trust.verify_timestamp_signer(
        &issuer,
        &serial,
        &signer.signature_algorithm.oid.to_string(),
        &signed,
        signer.signature.as_bytes(),
        gen_time,
    )?;
    Ok(gen_time)
}

#[cfg(test)]
mod tests {
    #[test]
    fn generalized_times() {
        assert_eq!(super::generalized_time("19700101000010Z"), Some(10));
        assert_eq!(super::generalized_time("20240319172626.123Z"), Some(1710869186));
        assert_eq!(super::generalized_time("2024031917262Z"), None);
        assert_eq!(super::generalized_time("20241319172626Z"), None);
    }
}
