//! RFC 3161 time-stamp protocol messages, shared by the client (which asks for a timestamp) and
//! the devstack's timestamp authority (which answers): the request (`TimeStampReq`), the token
//! (`ContentInfo` of `SignedData` over a `TSTInfo`) and the reply (`TimeStampResp`).
//!
//! Tokens are checked by the client with `gitsign_core::timestamp`; this module only writes
//! them, and reads requests strictly (DER, nothing after them, only the hash algorithms named
//! below).

use crate::{oid, sct::der_tlv, sha256};

/// Media type of a request.
pub const QUERY_MEDIA_TYPE: &str = "application/timestamp-query";
/// Media type of a reply.
pub const REPLY_MEDIA_TYPE: &str = "application/timestamp-reply";
/// The devstack's timestamp policy (under the Sigstore arc, as the Sigstore TSA's).
pub const DEVSTACK_POLICY: &str = "1.3.6.1.4.1.57264.2";

const SHA384: &str = "2.16.840.1.101.3.4.2.2";
const SHA512: &str = "2.16.840.1.101.3.4.2.3";

/// A request that cannot be read or served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TspError {
    /// Not the DER of a TimeStampReq.
    #[error("not an RFC 3161 TimeStampReq: {0}")]
    Malformed(&'static str),
    /// The imprint's hash algorithm is not one served.
    #[error("hash algorithm {0} is not supported: use SHA-256, SHA-384 or SHA-512")]
    BadAlgorithm(String),
    /// The imprint's length is not that of its hash algorithm.
    #[error("the message imprint is {found} bytes, {alg} digests are {expected}")]
    BadImprintLength {
        /// Algorithm.
        alg: &'static str,
        /// Its digest length.
        expected: usize,
        /// What was sent.
        found: usize,
    },
    /// The request's version is not 1.
    #[error("TimeStampReq version must be 1")]
    BadVersion,
}

/// The DER of an OBJECT IDENTIFIER written in dotted form (the constants of [`crate::oid`]).
pub fn oid_der(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut body = Vec::new();
    let base128 = |mut v: u64, out: &mut Vec<u8>| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        out.extend(tmp);
    };
    if let [a, b, rest @ ..] = arcs.as_slice() {
        base128(a * 40 + b, &mut body);
        for arc in rest {
            base128(*arc, &mut body);
        }
    }
    der_tlv(0x06, &body)
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    der_tlv(0x30, &parts.concat())
}

/// A DER INTEGER holding the unsigned big-endian `bytes` (minimal, positive).
pub fn uint_der(bytes: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = {
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        &bytes[skip.min(bytes.len().saturating_sub(1))..]
    };
    let mut body = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.is_empty() {
        body.push(0);
    } else {
        if trimmed[0] & 0x80 != 0 {
            body.push(0);
        }
        body.extend_from_slice(trimmed);
    }
    der_tlv(0x02, &body)
}

/// A TimeStampReq for a SHA-256 `digest`, with `nonce` (unsigned big-endian) and certReq set
/// (the authority's certificates in the token, as Sigstore clients ask).
pub fn request_sha256(digest: &[u8; 32], nonce: &[u8]) -> Vec<u8> {
    let imprint = seq(&[&seq(&[&oid_der(oid::SHA256)]), &der_tlv(0x04, digest)]);
    seq(&[&der_tlv(0x02, &[1]), &imprint, &uint_der(nonce), &der_tlv(0x01, &[0xff])])
}

/// A DER element read from the front of `input`: (tag, contents, rest).
fn element(input: &[u8]) -> Result<(u8, &[u8], &[u8]), TspError> {
    let malformed = TspError::Malformed;
    let tag = *input.first().ok_or(malformed("truncated"))?;
    let first = *input.get(1).ok_or(malformed("truncated"))? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return Err(malformed("unsupported length"));
        }
        let bytes = input.get(2..2 + n).ok_or(malformed("truncated"))?;
        if bytes[0] == 0 {
            return Err(malformed("non-minimal length"));
        }
        let len = bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        if len < 0x80 {
            return Err(malformed("non-minimal length"));
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len).ok_or(malformed("length overflow"))?;
    let contents = input.get(header..end).ok_or(malformed("truncated"))?;
    Ok((tag, contents, &input[end..]))
}

/// What a request asks to be stamped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The MessageImprint, DER, as sent (copied into the TSTInfo).
    pub imprint_der: Vec<u8>,
    /// The requested policy, if any (DER OID).
    pub policy: Option<Vec<u8>>,
    /// The nonce, DER INTEGER, if any.
    pub nonce: Option<Vec<u8>>,
    /// Whether the authority's certificates are asked for.
    pub cert_req: bool,
}

/// Reads a TimeStampReq.
pub fn parse_request(der: &[u8]) -> Result<Request, TspError> {
    let (tag, body, rest) = element(der)?;
    if tag != 0x30 || !rest.is_empty() {
        return Err(TspError::Malformed("not one SEQUENCE"));
    }
    let (tag, version, body) = element(body)?;
    if tag != 0x02 {
        return Err(TspError::Malformed("no version"));
    }
    if version != [1] {
        return Err(TspError::BadVersion);
    }
    let imprint_start = body;
    let (tag, imprint, mut body) = element(body)?;
    if tag != 0x30 {
        return Err(TspError::Malformed("no messageImprint"));
    }
    let imprint_der = imprint_start[..imprint_start.len() - body.len()].to_vec();
    let (tag, alg, after_alg) = element(imprint)?;
    if tag != 0x30 {
        return Err(TspError::Malformed("no hash algorithm"));
    }
    let (tag, alg_oid, params) = element(alg)?;
    if tag != 0x06 || !(params.is_empty() || params == [0x05, 0x00]) {
        return Err(TspError::Malformed("bad hash AlgorithmIdentifier"));
    }
    let (tag, hashed, end) = element(after_alg)?;
    if tag != 0x04 || !end.is_empty() {
        return Err(TspError::Malformed("bad hashedMessage"));
    }
    let oid_full = der_tlv(0x06, alg_oid);
    let (name, len) = [(oid::SHA256, "SHA-256", 32), (SHA384, "SHA-384", 48), (SHA512, "SHA-512", 64)]
        .into_iter()
        .find(|(o, _, _)| oid_der(o) == oid_full)
        .map(|(_, n, l)| (n, l))
        .ok_or_else(|| TspError::BadAlgorithm(hex::encode(alg_oid)))?;
    if hashed.len() != len {
        return Err(TspError::BadImprintLength { alg: name, expected: len, found: hashed.len() });
    }
    let mut req = Request { imprint_der, policy: None, nonce: None, cert_req: false };
    let mut last_tag = 0u8;
    while !body.is_empty() {
        let start = body;
        let (tag, contents, rest) = element(body)?;
        let whole = start[..start.len() - rest.len()].to_vec();
        // Fields come in order, each at most once.
        let order = match tag {
            0x06 => 1,
            0x02 => 2,
            0x01 => 3,
            0xa0 => 4,
            _ => return Err(TspError::Malformed("unknown field")),
        };
        if order <= last_tag {
            return Err(TspError::Malformed("fields out of order"));
        }
        last_tag = order;
        match tag {
            0x06 => req.policy = Some(whole),
            0x02 => {
                if contents.is_empty() || contents.len() > 64 {
                    return Err(TspError::Malformed("bad nonce"));
                }
                req.nonce = Some(whole);
            }
            0x01 => {
                req.cert_req = match contents {
                    [0xff] => true,
                    // DER never encodes a DEFAULT value.
                    _ => return Err(TspError::Malformed("bad certReq")),
                }
            }
            _ => {
                return Err(TspError::Malformed("extensions are not supported"));
            }
        }
        body = rest;
    }
    Ok(req)
}

/// A GeneralizedTime `YYYYMMDDHHMMSSZ` of `t`.
fn generalized_time(t: time::OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    der_tlv(0x18, text.as_bytes())
}

/// The parts of a timestamp authority that sign.
#[derive(Debug)]
pub struct Authority<'a> {
    /// The signing certificate, DER.
    pub cert_der: &'a [u8],
    /// Its issuer Name (DER) and serial number (the INTEGER's content bytes).
    pub issuer_der: &'a [u8],
    /// Serial number contents.
    pub serial: &'a [u8],
    /// The certificates put in a token when asked (signing certificate first).
    pub chain: &'a [Vec<u8>],
    /// The policy OID stamped (dotted).
    pub policy: &'a str,
}

/// The TimeStampResp granting `req` at `now` with serial number `serial` (unsigned big-endian):
/// an ECDSA P-256 SHA-256 signature is made with `sign` over the signed attributes.
pub fn grant<E>(
    authority: &Authority<'_>,
    req: &Request,
    now: time::OffsetDateTime,
    serial: &[u8],
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    let policy = oid_der(authority.policy);
    let mut tst_parts: Vec<Vec<u8>> = vec![
        der_tlv(0x02, &[1]),
        policy,
        req.imprint_der.clone(),
        uint_der(serial),
        generalized_time(now),
        // accuracy: one second
        seq(&[&der_tlv(0x02, &[1])]),
    ];
    if let Some(nonce) = &req.nonce {
        tst_parts.push(nonce.clone());
    }
    let tst = der_tlv(0x30, &tst_parts.concat());
    let sha256_alg = seq(&[&oid_der(oid::SHA256)]);
    let ess = seq(&[&seq(&[&seq(&[&der_tlv(0x04, &sha256(authority.cert_der))])])]);
    let mut attrs = [
        seq(&[&oid_der(oid::CMS_CONTENT_TYPE), &der_tlv(0x31, &oid_der(oid::CT_TSTINFO))]),
        seq(&[&oid_der(oid::CMS_MESSAGE_DIGEST), &der_tlv(0x31, &der_tlv(0x04, &sha256(&tst)))]),
        seq(&[&oid_der(oid::CMS_SIGNING_TIME), &der_tlv(0x31, &generalized_or_utc(now))]),
        seq(&[&oid_der(oid::SIGNING_CERTIFICATE_V2), &der_tlv(0x31, &ess)]),
    ];
    // SET OF: DER orders the elements by their encodings.
    attrs.sort();
    let attrs = attrs.concat();
    let signature = sign(&der_tlv(0x31, &attrs))?;
    let signer_info = seq(&[
        &der_tlv(0x02, &[1]),
        &seq(&[authority.issuer_der, &uint_der(authority.serial)]),
        &sha256_alg,
        &der_tlv(0xa0, &attrs),
        &seq(&[&oid_der(oid::ECDSA_WITH_SHA256)]),
        &der_tlv(0x04, &signature),
    ]);
    let mut signed_data = vec![
        der_tlv(0x02, &[3]),
        der_tlv(0x31, &sha256_alg),
        seq(&[&oid_der(oid::CT_TSTINFO), &der_tlv(0xa0, &der_tlv(0x04, &tst))]),
    ];
    if req.cert_req {
        let mut certs = authority.chain.to_vec();
        certs.sort();
        signed_data.push(der_tlv(0xa0, &certs.concat()));
    }
    signed_data.push(der_tlv(0x31, &signer_info));
    let token = seq(&[&oid_der(oid::CMS_SIGNED_DATA), &der_tlv(0xa0, &der_tlv(0x30, &signed_data.concat()))]);
    Ok(seq(&[&seq(&[&der_tlv(0x02, &[0])]), &token]))
}

/// signingTime is a UTCTime for years 1950–2049 (RFC 5652 11.3).
fn generalized_or_utc(t: time::OffsetDateTime) -> Vec<u8> {
    let t = t.to_offset(time::UtcOffset::UTC);
    if (1950..2050).contains(&t.year()) {
        let text = format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}Z",
            t.year() % 100,
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        der_tlv(0x17, text.as_bytes())
    } else {
        generalized_time(t)
    }
}

/// A TimeStampResp refusing a request: status rejection (2) with `text` and failInfo bit `fail`
/// (0 badAlg, 2 badRequest, 5 badDataFormat).
pub fn reject(text: &str, fail: u8) -> Vec<u8> {
    let free_text = seq(&[&der_tlv(0x0c, text.as_bytes())]);
    // BIT STRING with the named bit `fail` set; DER drops trailing zero bits (7 - fail unused).
    let fail = fail % 8;
    let fail_info = der_tlv(0x03, &[7 - fail, 0x80u8 >> fail]);
    seq(&[&seq(&[&der_tlv(0x02, &[2]), &free_text, &fail_info])])
}

/// The token (ContentInfo) inside a granted TimeStampResp, or `None` if it holds none.
pub fn token_of_response(resp: &[u8]) -> Option<&[u8]> {
    let (tag, body, rest) = element(resp).ok()?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (tag, status, token) = element(body).ok()?;
    if tag != 0x30 {
        return None;
    }
    let (tag, code, _) = element(status).ok()?;
    if tag != 0x02 || !(code == [0] || code == [1]) {
        return None;
    }
    let (tag, _, end) = element(token).ok()?;
    (tag == 0x30 && end.is_empty()).then_some(token)
}

/// The status text of a refused TimeStampResp, for error messages.
pub fn refusal_of_response(resp: &[u8]) -> Option<(u8, String)> {
    let (_, body, _) = element(resp).ok()?;
    let (_, status, _) = element(body).ok()?;
    let (tag, code, rest) = element(status).ok()?;
    if tag != 0x02 || code.len() != 1 {
        return None;
    }
    let text = element(rest)
        .ok()
        .filter(|(t, _, _)| *t == 0x30)
        .and_then(|(_, texts, _)| element(texts).ok())
        .map(|(_, t, _)| String::from_utf8_lossy(t).into_owned())
        .unwrap_or_default();
    Some((code[0], text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oids_encode() {
        assert_eq!(oid_der(oid::SHA256), [6, 9, 0x60, 0x86, 0x48, 1, 0x65, 3, 4, 2, 1]);
    }

    #[test]
    fn requests_round_trip_and_bad_ones_are_refused() {
        let digest = [7u8; 32];
        let req = request_sha256(&digest, &[0x80, 1]);
        let parsed = parse_request(&req).unwrap();
        assert!(parsed.cert_req);
        assert_eq!(parsed.nonce.as_deref(), Some(&[2, 3, 0, 0x80, 1][..]));
        assert!(parsed.imprint_der.ends_with(&digest));
        let mut trailing = req.clone();
        trailing.push(0);
        assert_eq!(parse_request(&trailing), Err(TspError::Malformed("not one SEQUENCE")));
        let short = seq(&[&der_tlv(0x02, &[1]), &seq(&[&seq(&[&oid_der(oid::SHA256)]), &der_tlv(0x04, &[1; 20])])]);
        assert_eq!(parse_request(&short), Err(TspError::BadImprintLength { alg: "SHA-256", expected: 32, found: 20 }));
        let sha1 = seq(&[&der_tlv(0x02, &[1]), &seq(&[&seq(&[&oid_der(oid::SHA1)]), &der_tlv(0x04, &[1; 20])])]);
        assert!(matches!(parse_request(&sha1), Err(TspError::BadAlgorithm(_))));
    }

    #[test]
    fn refusals_read_back() {
        let r = reject("no", 2);
        assert_eq!(refusal_of_response(&r), Some((2, "no".into())));
        assert_eq!(token_of_response(&r), None);
    }
}
