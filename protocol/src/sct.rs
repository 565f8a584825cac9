//! RFC 6962 signed certificate timestamps for precertificates: the structure a CT log signs, and the
//! TLS encoding of an SCT list as embedded in a certificate (extension 1.3.6.1.4.1.11129.2.4.2).

/// Why an SCT list could not be decoded.
#[derive(Debug, thiserror::Error)]
#[error("malformed SCT list: {0}")]
pub struct SctError(&'static str);

/// One SCT (version 1) with an ECDSA-SHA256 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sct {
    /// SHA-256 of the CT log's DER public key.
    pub log_id: [u8; 32],
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// SCT extensions (empty in practice).
    pub extensions: Vec<u8>,
    /// TLS hash algorithm (4 = SHA-256).
    pub hash_alg: u8,
    /// TLS signature algorithm (3 = ECDSA).
    pub sig_alg: u8,
    /// DER signature.
    pub signature: Vec<u8>,
}

/// The `digitally-signed` input of a precertificate SCT: what the log signs and a verifier rebuilds
/// from the final certificate's TBS with the SCT extension removed.
pub fn precert_signed_data(timestamp_ms: u64, issuer_key_hash: &[u8; 32], tbs: &[u8], extensions: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tbs.len() + 64);
    out.push(0); // sct_version v1
    out.push(0); // signature_type certificate_timestamp
    out.extend_from_slice(&timestamp_ms.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes()); // entry_type precert_entry
    out.extend_from_slice(issuer_key_hash);
    let len = tbs.len() as u32;
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.extend_from_slice(tbs);
    out.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
    out.extend_from_slice(extensions);
    out
}

impl Sct {
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![0];
        out.extend_from_slice(&self.log_id);
        out.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        out.extend_from_slice(&(self.extensions.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.extensions);
        out.push(self.hash_alg);
        out.push(self.sig_alg);
        out.extend_from_slice(&(self.signature.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.signature);
        out
    }
}

/// TLS encoding of a `SignedCertificateTimestampList`.
pub fn encode_list(scts: &[Sct]) -> Vec<u8> {
    let mut body = Vec::new();
    for sct in scts {
        let one = sct.encode();
        body.extend_from_slice(&(one.len() as u16).to_be_bytes());
        body.extend_from_slice(&one);
    }
    let mut out = (body.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&body);
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SctError> {
        if self.0.len() < n {
            return Err(SctError("truncated"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }
    fn u8(&mut self) -> Result<u8, SctError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<usize, SctError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]) as usize)
    }
}

/// Decodes a TLS `SignedCertificateTimestampList`.
pub fn decode_list(bytes: &[u8]) -> Result<Vec<Sct>, SctError> {
    let mut outer = Reader(bytes);
    let total = outer.u16()?;
    let mut list = Reader(outer.take(total)?);
    if !outer.0.is_empty() {
        return Err(SctError("trailing bytes"));
    }
    let mut out = Vec::new();
    while !list.0.is_empty() {
        let len = list.u16()?;
        let mut r = Reader(list.take(len)?);
        if r.u8()? != 0 {
            return Err(SctError("unknown SCT version"));
        }
        let mut log_id = [0u8; 32];
        log_id.copy_from_slice(r.take(32)?);
        let mut ts = [0u8; 8];
        ts.copy_from_slice(r.take(8)?);
        let ext_len = r.u16()?;
        let extensions = r.take(ext_len)?.to_vec();
        let hash_alg = r.u8()?;
        let sig_alg = r.u8()?;
        let sig_len = r.u16()?;
        let signature = r.take(sig_len)?.to_vec();
        if !r.0.is_empty() {
            return Err(SctError("trailing bytes in an SCT"));
        }
        out.push(Sct { log_id, timestamp_ms: u64::from_be_bytes(ts), extensions, hash_alg, sig_alg, signature });
    }
    Ok(out)
}

/// A DER TLV: (tag, header length, total length) of the element at the start of `input`.
fn tlv(input: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = input.get(2..2 + n)?;
        (bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize), 2 + n)
    };
    let total = header.checked_add(len)?;
    (total <= input.len()).then_some((tag, header, total))
}

/// DER encoding of `content` under `tag`.
pub fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The content of a DER OCTET STRING (the SCT-list extension's value wraps the TLS list in one).
pub fn unwrap_octet_string(der: &[u8]) -> Option<&[u8]> {
    match tlv(der)? {
        (0x04, h, t) if t == der.len() => Some(&der[h..t]),
        _ => None,
    }
}

/// DER of the SCT-list extension's OID (1.3.6.1.4.1.11129.2.4.2).
const SCT_OID_DER: &[u8] = &[0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// The precertificate TBS a CT log signed: the final certificate's DER TBSCertificate with the
/// SCT-list extension removed. `None` if the TBS is malformed or has no such extension.
pub fn precert_tbs(tbs: &[u8]) -> Option<Vec<u8>> {
    let (0x30, h, total) = tlv(tbs)? else { return None };
    let mut rest = &tbs[h..total];
    let mut items: Vec<&[u8]> = Vec::new();
    while !rest.is_empty() {
        let (_, _, t) = tlv(rest)?;
        items.push(&rest[..t]);
        rest = &rest[t..];
    }
    let last = items.pop()?;
    let (0xa3, h3, _) = tlv(last)? else { return None };
    let seq = &last[h3..];
    let (0x30, hs, ts) = tlv(seq)? else { return None };
    let mut exts = &seq[hs..ts];
    let mut kept = Vec::new();
    let mut removed = false;
    while !exts.is_empty() {
        let (_, he, te) = tlv(exts)?;
        let ext = &exts[..te];
        if ext[he..].starts_with(SCT_OID_DER) {
            removed = true;
        } else {
            kept.extend_from_slice(ext);
        }
        exts = &exts[te..];
    }
    if !removed {
        return None;
    }
    let mut content: Vec<u8> = items.concat();
    if !kept.is_empty() {
        content.extend_from_slice(&der_tlv(0xa3, &der_tlv(0x30, &kept)));
    }
    Some(der_tlv(0x30, &content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_only_the_sct_extension() {
        let ext = |oid: &[u8], v: &[u8]| der_tlv(0x30, &[oid, &der_tlv(0x04, v)].concat());
        let other = ext(&[0x06, 0x03, 0x55, 0x1d, 0x0f], &[1, 2]);
        let sct = ext(SCT_OID_DER, &[9; 200]);
        let tbs = |exts: &[&[u8]]| {
            der_tlv(0x30, &[&der_tlv(0x02, &[5])[..], &der_tlv(0xa3, &der_tlv(0x30, &exts.concat()))].concat())
        };
        assert_eq!(precert_tbs(&tbs(&[&other, &sct])), Some(tbs(&[&other])));
        assert_eq!(precert_tbs(&tbs(&[&other])), None);
        assert_eq!(precert_tbs(&[0x30, 0x05, 1]), None);
    }

    #[test]
    fn list_round_trips() {
        let sct = Sct {
            log_id: [7; 32],
            timestamp_ms: 1,
            extensions: vec![],
            hash_alg: 4,
            sig_alg: 3,
            signature: vec![1, 2, 3],
        };
        let list = encode_list(&[sct.clone(), sct.clone()]);
        assert_eq!(decode_list(&list).unwrap(), vec![sct.clone(), sct]);
        assert!(decode_list(&list[..list.len() - 1]).is_err());
        assert!(decode_list(&[]).is_err());
    }
}
