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

#[cfg(test)]
mod tests {
    use super::*;

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
