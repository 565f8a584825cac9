//! RFC 3161 timestamps: a timestamping authority's signed statement that a signature existed at
//! a time. Verified against the timestamp authorities of the trust root: the token's CMS
//! signature with the authority's certificate (chain valid at the stamped time, within the
//! authority's validity window), and its message imprint over the signature it stamps.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode, Reader as _, Tagged as _};
use gitsign_protocol::oid;
use x509_cert::spki::AlgorithmIdentifierOwned;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CMS_SIGNED_DATA);
const ID_CT_TSTINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CT_TSTINFO);
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CMS_MESSAGE_DIGEST);
const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::CMS_CONTENT_TYPE);
const ID_SIGNING_CERTIFICATE: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::SIGNING_CERTIFICATE);
const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::SIGNING_CERTIFICATE_V2);
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::SHA1);
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap(oid::SHA256);

#[derive(der::Sequence)]
struct MessageImprint {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: OctetString,
}

/// Why a timestamp token is refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TimestampError(pub String);

fn bad(s: impl Into<String>) -> TimestampError {
    TimestampError(s.into())
}

/// The timestamp authorities a token is checked against (the trust root's, which implements
/// this where it is defined: this module depends on no verification module).
pub trait Authorities {
    /// Verifies a token's signature: by the authority whose signing certificate has this issuer
    /// (DER Name) and serial, valid (with its chain and window) at `at_time`.
    fn verify_signer(
        &self,
        issuer: &[u8],
        serial: &[u8],
        sig_alg: &str,
        signed: &[u8],
        signature: &[u8],
        at_time: i64,
    ) -> Result<Authority<'_>, TimestampError>;

    /// Whether `der` is a certificate of an authority's chain (a token may embed only these).
    fn holds_certificate(&self, der: &[u8]) -> bool;
}

/// The authority certificate that verified a token's signature.
#[derive(Debug)]
pub struct Authority<'a> {
    /// Its DER (what the token's signingCertificate attribute must name).
    pub der: &'a [u8],
    /// Its extendedKeyUsage extension, if it has one.
    pub eku: Option<AuthorityEku>,
}

/// An authority certificate's extendedKeyUsage, as far as RFC 3161 asks.
#[derive(Debug, Clone, Copy)]
pub struct AuthorityEku {
    /// Marked critical.
    pub critical: bool,
    /// Lists id-kp-timeStamping.
    pub time_stamping: bool,
}

/// Digest of `data` with the hash algorithm `oid`.
fn digest(oid: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, TimestampError> {
    use aws_lc_rs::digest;
    let alg = match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => &digest::SHA256,
        "2.16.840.1.101.3.4.2.2" => &digest::SHA384,
        "2.16.840.1.101.3.4.2.3" => &digest::SHA512,
        other => return Err(bad(format!("hash algorithm {other} is not supported"))),
    };
    Ok(digest::digest(alg, data).as_ref().to_vec())
}

/// The one value of the signed attribute `oid` (`name` in messages): present once, one value.
fn single_attribute<'a>(
    attrs: &'a x509_cert::attr::Attributes,
    oid: ObjectIdentifier,
    name: &str,
) -> Result<&'a der::Any, TimestampError> {
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    let attr = found.next().ok_or_else(|| bad(format!("the token has no signed {name} attribute")))?;
    if found.next().is_some() {
        return Err(bad(format!("the token has more than one signed {name} attribute")));
    }
    match attr.values.as_slice() {
        [value] => Ok(value),
        values => Err(bad(format!("the token's {name} attribute has {} values, not one", values.len()))),
    }
}

/// Checks the signingCertificate (ESSCertID, SHA-1) or signingCertificateV2 (ESSCertIDv2) signed
/// attribute: its first certificate hash must be that of `cert_der`, the authority's certificate
/// (RFC 3161 2.4.1, RFC 5035): the signer names the certificate it signs with.
fn check_ess_cert_id(attrs: &x509_cert::attr::Attributes, cert_der: &[u8]) -> Result<(), TimestampError> {
    let v1 = attrs.iter().any(|a| a.oid == ID_SIGNING_CERTIFICATE);
    let v2 = attrs.iter().any(|a| a.oid == ID_SIGNING_CERTIFICATE_V2);
    let (value, v2) = match (v1, v2) {
        (_, true) => (single_attribute(attrs, ID_SIGNING_CERTIFICATE_V2, "signingCertificateV2")?, true),
        (true, false) => (single_attribute(attrs, ID_SIGNING_CERTIFICATE, "signingCertificate")?, false),
        (false, false) => {
            return Err(bad("the token has no signingCertificate attribute naming the authority's certificate"));
        }
    };
    let ess = |e: der::Error| bad(format!("the token's signingCertificate attribute: {e}"));
    // SigningCertificate[V2] ::= SEQUENCE { certs SEQUENCE OF ESSCertID[v2], policies OPTIONAL }
    let outer: der::asn1::AnyRef<'_> = value.decode_as().map_err(ess)?;
    let mut r = der::SliceReader::new(outer.value()).map_err(ess)?;
    let certs: der::asn1::AnyRef<'_> = r.decode().map_err(ess)?;
    let mut r = der::SliceReader::new(certs.value()).map_err(ess)?;
    let first: der::asn1::AnyRef<'_> = r.decode().map_err(ess)?;
    let mut r = der::SliceReader::new(first.value()).map_err(ess)?;
    // ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash, issuerSerial OPTIONAL }
    // ESSCertID ::= SEQUENCE { certHash (SHA-1), issuerSerial OPTIONAL }
    let alg = if !v2 {
        ID_SHA1
    } else if der::Tag::peek(&r).map_err(ess)? == der::Tag::Sequence {
        r.decode::<AlgorithmIdentifierOwned>().map_err(ess)?.oid
    } else {
        ID_SHA256
    };
    let hash: OctetString = r.decode().map_err(ess)?;
    let expected = if alg == ID_SHA1 {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, cert_der).as_ref().to_vec()
    } else {
        digest(&alg, cert_der)?
    };
    if hash.as_bytes() != expected.as_slice() {
        return Err(bad("the token's signingCertificate attribute names another certificate than its signer's"));
    }
    Ok(())
}

/// The authority's certificate must be for timestamping only: an extendedKeyUsage extension,
/// critical, with id-kp-timeStamping (RFC 3161 2.3), as rfc3161-client and sigstore-go require.
fn check_timestamping_eku(eku: Option<AuthorityEku>) -> Result<(), TimestampError> {
    let eku = eku.ok_or_else(|| bad("the timestamp authority's certificate has no extendedKeyUsage extension"))?;
    if !eku.critical {
        return Err(bad("the timestamp authority's extendedKeyUsage extension is not critical"));
    }
    if !eku.time_stamping {
        return Err(bad("the timestamp authority's extendedKeyUsage does not include id-kp-timeStamping"));
    }
    Ok(())
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
pub fn verify(trust: &dyn Authorities, token: &[u8], signature: &[u8]) -> Result<i64, TimestampError> {
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
    let version: u8 = r.decode().map_err(|e| bad(format!("TSTInfo version: {e}")))?;
    if version != 1 {
        return Err(bad(format!("TSTInfo version is {version}, not 1")));
    }
    let _policy: ObjectIdentifier = r.decode().map_err(|e| bad(format!("TSTInfo policy: {e}")))?;
    let imprint: MessageImprint = r.decode().map_err(|e| bad(format!("TSTInfo messageImprint: {e}")))?;
    let _serial: der::asn1::Int = r.decode().map_err(|e| bad(format!("TSTInfo serialNumber: {e}")))?;
    let gen_time: der::asn1::AnyRef<'_> = r.decode().map_err(|e| bad(format!("TSTInfo genTime: {e}")))?;
    if gen_time.tag() != der::Tag::GeneralizedTime {
        return Err(bad(format!("TSTInfo genTime is a {}, not a GeneralizedTime", gen_time.tag())));
    }
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
        if !trust.holds_certificate(&der) {
            return Err(bad("the token embeds a certificate that is not the trusted timestamp authority's"));
        }
    }
    let attrs = signer.signed_attrs.as_ref().ok_or_else(|| bad("the token has no signed attributes"))?;
    let content_type: ObjectIdentifier = single_attribute(attrs, ID_CONTENT_TYPE, "contentType")?
        .decode_as()
        .map_err(|e| bad(format!("the token's contentType attribute: {e}")))?;
    if content_type != ID_CT_TSTINFO {
        return Err(bad(format!("the token's signed contentType is {content_type}, not id-ct-TSTInfo")));
    }
    let claimed: OctetString = single_attribute(attrs, ID_MESSAGE_DIGEST, "messageDigest")?
        .decode_as()
        .map_err(|e| bad(format!("the token's messageDigest attribute: {e}")))?;
    if digest(&signer.digest_alg.oid, &tst)? != claimed.as_bytes() {
        return Err(bad("the token's messageDigest is not its TSTInfo's"));
    }
    let signed = attrs.to_der().map_err(|e| bad(e.to_string()))?;
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer.sid else {
        return Err(bad("the token's signer is named by key ID; only issuer and serial is supported"));
    };
    let (issuer, serial) =
        (sid.issuer.to_der().map_err(|e| bad(e.to_string()))?, sid.serial_number.as_bytes().to_vec());
    // The trust root's certificate that verified the signature (the one with the signer's issuer
    // and serial number), parsed when the trust root was loaded.
    let authority = trust.verify_signer(
        &issuer,
        &serial,
        &signer.signature_algorithm.oid.to_string(),
        &signed,
        signer.signature.as_bytes(),
        gen_time,
    )?;
    check_timestamping_eku(authority.eku)?;
    check_ess_cert_id(attrs, authority.der)?;
    Ok(gen_time)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use der::Encode as _;
    use der::asn1::ObjectIdentifier as Oid;

    /// DER: tag, length, contents.
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let n = body.len();
        if n < 0x80 {
            out.push(n as u8);
        } else {
            let bytes: Vec<u8> = n.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
            out.push(0x80 | bytes.len() as u8);
            out.extend(bytes);
        }
        out.extend_from_slice(body);
        out
    }
    fn seq(parts: &[&[u8]]) -> Vec<u8> {
        tlv(0x30, &parts.concat())
    }
    fn oid(text: &str) -> Vec<u8> {
        Oid::new_unwrap(text).to_der().unwrap()
    }
    fn octets(b: &[u8]) -> Vec<u8> {
        tlv(0x04, b)
    }
    const SHA256: &str = "2.16.840.1.101.3.4.2.1";
    const TSTINFO: &str = "1.2.840.113549.1.9.16.1.4";

    /// What a test token is made of; [`Token::good`] is a well-formed one.
    struct Token {
        version: u8,
        gen_time_tag: u8,
        content_type: Option<&'static str>,
        message_digests: usize,
        /// The ESSCertIDv2 hash: None for the certificate's own, Some(None) for no attribute.
        ess_hash: Option<Option<Vec<u8>>>,
    }

    impl Token {
        fn good() -> Token {
            Token { version: 1, gen_time_tag: 0x18, content_type: Some(TSTINFO), message_digests: 1, ess_hash: None }
        }
    }

    /// A self-signed timestamp authority (with a critical EKU holding `eku`, or none) and a trust
    /// root holding it.
    struct Tsa {
        key: rcgen::KeyPair,
        cert: Vec<u8>,
        trust: crate::verify::TrustRoot,
    }

    fn tsa(eku: Option<(bool, &str)>) -> Tsa {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "test TSA");
        if let Some((critical, purpose)) = eku {
            let mut ext = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], seq(&[&oid(purpose)]));
            ext.set_criticality(critical);
            params.custom_extensions.push(ext);
        }
        let cert = params.self_signed(&key).unwrap().der().to_vec();
        let root = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [], "certificateAuthorities": [], "ctlogs": [],
            "timestampAuthorities": [{
                "subject": {"organization": "test", "commonName": "test TSA"}, "uri": "http://tsa.test",
                "certChain": {"certificates": [{"rawBytes": gitsign_protocol::b64(&cert)}]},
                "validFor": {"start": "2000-01-01T00:00:00Z"},
            }],
        });
        let trust = crate::verify::TrustRoot::from_json(&serde_json::to_vec(&root).unwrap(), "test").unwrap();
        Tsa { key, cert, trust }
    }

    /// A token by `tsa` over `signature`, signed for real, shaped by `t`.
    fn token(tsa: &Tsa, signature: &[u8], t: &Token) -> Vec<u8> {
        let imprint = seq(&[&seq(&[&oid(SHA256)]), &octets(&gitsign_protocol::sha256(signature))]);
        let tst = seq(&[
            &tlv(0x02, &[t.version]),
            &oid("1.3.6.1.4.1.57264.2"),
            &imprint,
            &tlv(0x02, &[0x2a]),
            &tlv(t.gen_time_tag, b"20250601120000Z"),
        ]);
        let mut attrs: Vec<Vec<u8>> = Vec::new();
        if let Some(ct) = t.content_type {
            attrs.push(seq(&[&oid("1.2.840.113549.1.9.3"), &tlv(0x31, &oid(ct))]));
        }
        for _ in 0..t.message_digests {
            attrs.push(seq(&[&oid("1.2.840.113549.1.9.4"), &tlv(0x31, &octets(&gitsign_protocol::sha256(&tst)))]));
        }
        match &t.ess_hash {
            Some(None) => {}
            other => {
                let hash = other.clone().flatten().unwrap_or_else(|| gitsign_protocol::sha256(&tsa.cert).to_vec());
                let v2 = seq(&[&seq(&[&seq(&[&octets(&hash)])])]);
                attrs.push(seq(&[&oid("1.2.840.113549.1.9.16.2.47"), &tlv(0x31, &v2)]));
            }
        }
        attrs.sort();
        let attrs = attrs.concat();
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let signer = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &tsa.key.serialize_der(),
        )
        .unwrap();
        let sig = signer.sign(&rng, &tlv(0x31, &attrs)).unwrap();
        let cert = <x509_cert::Certificate as der::Decode>::from_der(&tsa.cert).unwrap();
        let (issuer, serial) =
            (cert.tbs_certificate().issuer().to_der().unwrap(), cert.tbs_certificate().serial_number().as_bytes());
        let signer_info = seq(&[
            &tlv(0x02, &[1]),
            &seq(&[&issuer, &tlv(0x02, serial)]),
            &seq(&[&oid(SHA256)]),
            &tlv(0xa0, &attrs),
            &seq(&[&oid("1.2.840.10045.4.3.2")]),
            &octets(sig.as_ref()),
        ]);
        let signed_data = seq(&[
            &tlv(0x02, &[3]),
            &tlv(0x31, &seq(&[&oid(SHA256)])),
            &seq(&[&oid(TSTINFO), &tlv(0xa0, &octets(&tst))]),
            &tlv(0x31, &signer_info),
        ]);
        seq(&[&oid("1.2.840.113549.1.7.2"), &tlv(0xa0, &signed_data)])
    }

    #[test]
    fn tokens_are_checked_as_rfc3161_and_rfc5035_require() {
        let good = tsa(Some((true, "1.3.6.1.5.5.7.3.8")));
        let sig = b"the signature stamped";
        assert_eq!(super::verify(&good.trust, &token(&good, sig, &Token::good()), sig).unwrap(), 1748779200);
        let cases: Vec<(&str, &Tsa, Token, &str)> = vec![
            ("version 2", &good, Token { version: 2, ..Token::good() }, "TSTInfo version is 2, not 1"),
            (
                "UTCTime genTime",
                &good,
                Token { gen_time_tag: 0x17, ..Token::good() },
                "TSTInfo genTime is a UTCTime, not a GeneralizedTime",
            ),
            (
                "no contentType",
                &good,
                Token { content_type: None, ..Token::good() },
                "the token has no signed contentType attribute",
            ),
            (
                "contentType id-data",
                &good,
                Token { content_type: Some("1.2.840.113549.1.7.1"), ..Token::good() },
                "the token's signed contentType is 1.2.840.113549.1.7.1, not id-ct-TSTInfo",
            ),
            (
                "two messageDigests",
                &good,
                Token { message_digests: 2, ..Token::good() },
                "the token has more than one signed messageDigest attribute",
            ),
            (
                "no signingCertificate",
                &good,
                Token { ess_hash: Some(None), ..Token::good() },
                "the token has no signingCertificate attribute",
            ),
            (
                "signingCertificateV2 of another certificate",
                &good,
                Token { ess_hash: Some(Some(vec![7; 32])), ..Token::good() },
                "signingCertificate attribute names another certificate than its signer's",
            ),
        ];
        let no_eku = tsa(None);
        let not_critical = tsa(Some((false, "1.3.6.1.5.5.7.3.8")));
        let code_signing = tsa(Some((true, "1.3.6.1.5.5.7.3.3")));
        let eku_cases: Vec<(&str, &Tsa, Token, &str)> = vec![
            ("no EKU", &no_eku, Token::good(), "has no extendedKeyUsage extension"),
            ("EKU not critical", &not_critical, Token::good(), "extendedKeyUsage extension is not critical"),
            ("EKU codeSigning", &code_signing, Token::good(), "does not include id-kp-timeStamping"),
        ];
        let mut wrong = Vec::new();
        // GITSIGN_DUMP_TOKENS=DIR writes each token and its authority's certificate, for
        // tests/it/differential/check_tokens.py (rfc3161-client's verdicts).
        let dump = std::env::var_os("GITSIGN_DUMP_TOKENS").map(std::path::PathBuf::from);
        for (name, tsa, t, reason) in cases.into_iter().chain(eku_cases) {
            if let Some(dir) = &dump {
                let file = name.replace(' ', "_");
                std::fs::write(dir.join(format!("{file}.tsr")), token(tsa, sig, &t)).unwrap();
                std::fs::write(dir.join(format!("{file}.crt")), &tsa.cert).unwrap();
            }
            match super::verify(&tsa.trust, &token(tsa, sig, &t), sig) {
                Ok(_) => wrong.push(format!("{name}: accepted")),
                Err(e) if !e.to_string().contains(reason) => wrong.push(format!("{name}: {e}")),
                Err(_) => {}
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn generalized_times() {
        assert_eq!(super::generalized_time("19700101000010Z"), Some(10));
        assert_eq!(super::generalized_time("20240319172626.123Z"), Some(1710869186));
        assert_eq!(super::generalized_time("2024031917262Z"), None);
        assert_eq!(super::generalized_time("20241319172626Z"), None);
    }
}
