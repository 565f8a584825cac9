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
    use crate::keys::PublicKey;
    use x509_parser::prelude::FromDer;

    /// A public-good Fulcio certificate with its embedded SCT (from the Sigstore conformance
    /// suite's `happy-path-v0.3` bundle), the public key of the intermediate that issued it, and
    /// the key of the CT log that signed the SCT (both from public-good's trusted_root.json).
    const FULCIO_CERT: &str = "MIIIMTCCB7egAwIBAgIUaL/tsmQTHk21mt1Uuk+w7avDBz4wCgYIKoZIzj0EAwMwNzEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MR4w\
        HAYDVQQDExVzaWdzdG9yZS1pbnRlcm1lZGlhdGUwHhcNMjQwMzE5MTcyNjI2WhcNMjQwMzE5MTczNjI2WjAAMFkwEwYHKoZIzj0C\
        AQYIKoZIzj0DAQcDQgAE22S1j/NkEXzBPQAuamHXLpwx+RPnnzZQl/pkEZ8xorvKnzujCS1mVTBo9kBxmYWo2DHtyVyfgnuOqVTz\
        LYmho6OCBtYwggbSMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcDAzAdBgNVHQ4EFgQUFv1SCziEKN2rRyrjeVlF\
        bSLg1/QwHwYDVR0jBBgwFoAU39Ppz1YkEZb5qNjpKFWixi4YZD8wgaUGA1UdEQEB/wSBmjCBl4aBlGh0dHBzOi8vZ2l0aHViLmNv\
        bS9zaWdzdG9yZS1jb25mb3JtYW5jZS9leHRyZW1lbHktZGFuZ2Vyb3VzLXB1YmxpYy1vaWRjLWJlYWNvbi8uZ2l0aHViL3dvcmtm\
        bG93cy9leHRyZW1lbHktZGFuZ2Vyb3VzLW9pZGMtYmVhY29uLnltbEByZWZzL2hlYWRzL21haW4wOQYKKwYBBAGDvzABAQQraHR0\
        cHM6Ly90b2tlbi5hY3Rpb25zLmdpdGh1YnVzZXJjb250ZW50LmNvbTAfBgorBgEEAYO/MAECBBF3b3JrZmxvd19kaXNwYXRjaDA2\
        BgorBgEEAYO/MAEDBChjN2IzZGZiMzM1ZjA1MWUxYzg2YmRhNGM3MTZmYWM5N2RmNjJhZDgxMC0GCisGAQQBg78wAQQEH0V4dHJl\
        bWVseSBkYW5nZXJvdXMgT0lEQyBiZWFjb24wSQYKKwYBBAGDvzABBQQ7c2lnc3RvcmUtY29uZm9ybWFuY2UvZXh0cmVtZWx5LWRh\
        bmdlcm91cy1wdWJsaWMtb2lkYy1iZWFjb24wHQYKKwYBBAGDvzABBgQPcmVmcy9oZWFkcy9tYWluMDsGCisGAQQBg78wAQgELQwr\
        aHR0cHM6Ly90b2tlbi5hY3Rpb25zLmdpdGh1YnVzZXJjb250ZW50LmNvbTCBpgYKKwYBBAGDvzABCQSBlwyBlGh0dHBzOi8vZ2l0\
        aHViLmNvbS9zaWdzdG9yZS1jb25mb3JtYW5jZS9leHRyZW1lbHktZGFuZ2Vyb3VzLXB1YmxpYy1vaWRjLWJlYWNvbi8uZ2l0aHVi\
        L3dvcmtmbG93cy9leHRyZW1lbHktZGFuZ2Vyb3VzLW9pZGMtYmVhY29uLnltbEByZWZzL2hlYWRzL21haW4wOAYKKwYBBAGDvzAB\
        CgQqDChjN2IzZGZiMzM1ZjA1MWUxYzg2YmRhNGM3MTZmYWM5N2RmNjJhZDgxMB0GCisGAQQBg78wAQsEDwwNZ2l0aHViLWhvc3Rl\
        ZDBeBgorBgEEAYO/MAEMBFAMTmh0dHBzOi8vZ2l0aHViLmNvbS9zaWdzdG9yZS1jb25mb3JtYW5jZS9leHRyZW1lbHktZGFuZ2Vy\
        b3VzLXB1YmxpYy1vaWRjLWJlYWNvbjA4BgorBgEEAYO/MAENBCoMKGM3YjNkZmIzMzVmMDUxZTFjODZiZGE0YzcxNmZhYzk3ZGY2\
        MmFkODEwHwYKKwYBBAGDvzABDgQRDA9yZWZzL2hlYWRzL21haW4wGQYKKwYBBAGDvzABDwQLDAk2MzI1OTY4OTcwNwYKKwYBBAGD\
        vzABEAQpDCdodHRwczovL2dpdGh1Yi5jb20vc2lnc3RvcmUtY29uZm9ybWFuY2UwGQYKKwYBBAGDvzABEQQLDAkxMzE4MDQ1NjMw\
        gaYGCisGAQQBg78wARIEgZcMgZRodHRwczovL2dpdGh1Yi5jb20vc2lnc3RvcmUtY29uZm9ybWFuY2UvZXh0cmVtZWx5LWRhbmdl\
        cm91cy1wdWJsaWMtb2lkYy1iZWFjb24vLmdpdGh1Yi93b3JrZmxvd3MvZXh0cmVtZWx5LWRhbmdlcm91cy1vaWRjLWJlYWNvbi55\
        bWxAcmVmcy9oZWFkcy9tYWluMDgGCisGAQQBg78wARMEKgwoYzdiM2RmYjMzNWYwNTFlMWM4NmJkYTRjNzE2ZmFjOTdkZjYyYWQ4\
        MTAhBgorBgEEAYO/MAEUBBMMEXdvcmtmbG93X2Rpc3BhdGNoMIGBBgorBgEEAYO/MAEVBHMMcWh0dHBzOi8vZ2l0aHViLmNvbS9z\
        aWdzdG9yZS1jb25mb3JtYW5jZS9leHRyZW1lbHktZGFuZ2Vyb3VzLXB1YmxpYy1vaWRjLWJlYWNvbi9hY3Rpb25zL3J1bnMvODM0\
        NzQ4MTYyOC9hdHRlbXB0cy8xMBYGCisGAQQBg78wARYECAwGcHVibGljMIGKBgorBgEEAdZ5AgQCBHwEegB4AHYA3T0wasbHETJj\
        GR4cmWc3AqJKXrjePK3/h4pygC8p7o4AAAGOV8AHpgAABAMARzBFAiBFeMbpFarlPwb0naTr4mjWDvXApOd9ORqOk36Brt9SmwIh\
        AJJvjor+DXUXr7S3Vm9jVFT3CL0BxcKGj86m5mYzQvubMAoGCCqGSM49BAMDA2gAMGUCMA8lTixdS4iN9mAUduObcSJmhZLyvK7z\
        aX05DLEDCgPWxDHk+JBZUKYRIuHHgwFnOwIxALMamo9dfENMzRgNCzYfp/y+rSOhVjXXE9mCn6BuJETlpRDfGvxUg/5LF9f4lYqo\
        zA==";
    const FULCIO_INTERMEDIATE_SPKI: &str = "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE8RVS/ysH+NOvuDZyPIZtilgUF9NlarYpAd9HP1vBBH1U5CV77LSS7s0Z\
        iH4nE7Hv7ptS6LvvR/STk798LVgMzLlJ4HeIfF3tHSaexLcYpSASr1kS0N/RgBJz/9jWCiXn";
    const CT_LOG_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiPSlFi0CmFTfEjCUqF9HuCEcYXNKAaYalIJmBZ8yyezPjTqhxrKBpMnao\
        cVtLJBI1eM3uXnQzQGAJdJ4gs9Fyw==";

    /// (TBS of the certificate, SCT-list extension value) of [`FULCIO_CERT`].
    fn fulcio_parts() -> (Vec<u8>, Vec<u8>) {
        let der = crate::unb64(FULCIO_CERT).unwrap();
        let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&der).unwrap();
        let ext = cert
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == "1.3.6.1.4.1.11129.2.4.2")
            .expect("the certificate has an SCT list")
            .value
            .to_vec();
        (cert.tbs_certificate.as_ref().to_vec(), ext)
    }

    #[test]
    fn a_published_fulcio_sct_verifies_over_the_rebuilt_precertificate() {
        let (tbs, ext) = fulcio_parts();
        let scts = decode_list(unwrap_octet_string(&ext).unwrap()).unwrap();
        assert_eq!(scts.len(), 1);
        let sct = &scts[0];
        let ct_key = PublicKey::from_spki_der(&crate::unb64(CT_LOG_KEY).unwrap()).unwrap();
        assert_eq!(sct.log_id, ct_key.key_id());
        assert_eq!(sct.timestamp_ms, 1_710_869_186_470); // 2024-03-19T17:26:26.470Z
        assert_eq!((sct.hash_alg, sct.sig_alg), (4, 3));
        let issuer_hash = crate::sha256(&crate::unb64(FULCIO_INTERMEDIATE_SPKI).unwrap());
        let precert = precert_tbs(&tbs).unwrap();
        assert!(precert.len() < tbs.len());
        let signed = precert_signed_data(sct.timestamp_ms, &issuer_hash, &precert, &sct.extensions);
        ct_key.verify(&signed, &sct.signature).unwrap();
        // Each input is bound: another time, issuer, TBS (the SCT left in) or nothing at all fails.
        for (what, data) in [
            ("timestamp", precert_signed_data(sct.timestamp_ms + 1, &issuer_hash, &precert, &sct.extensions)),
            ("issuer", precert_signed_data(sct.timestamp_ms, &crate::sha256(b"other"), &precert, &sct.extensions)),
            ("tbs", precert_signed_data(sct.timestamp_ms, &issuer_hash, &tbs, &sct.extensions)),
            ("extensions", precert_signed_data(sct.timestamp_ms, &issuer_hash, &precert, &[0])),
            ("empty", Vec::new()),
        ] {
            assert!(ct_key.verify(&data, &sct.signature).is_err(), "{what}");
        }
    }

    #[test]
    fn precert_signed_data_is_the_rfc_6962_layout() {
        let tbs = [0xaa; 3];
        let expected = [
            &[0u8, 0][..],                           // v1, certificate_timestamp
            &0x0102_0304_0506_0708u64.to_be_bytes(), // timestamp
            &[0, 1],                                 // precert_entry
            &[0x11; 32],                             // issuer_key_hash
            &[0, 0, 3],                              // uint24 length of the TBS
            &tbs,
            &[0, 2], // extensions length
            &[0xe1, 0xe2],
        ]
        .concat();
        assert_eq!(precert_signed_data(0x0102_0304_0506_0708, &[0x11; 32], &tbs, &[0xe1, 0xe2]), expected);
        let big = vec![0; 0x01_0203];
        let data = precert_signed_data(0, &[0; 32], &big, &[]);
        assert_eq!(&data[44..47], &[1, 2, 3], "uint24 length");
        assert_eq!(data.len(), 47 + big.len() + 2);
    }

    #[test]
    fn der_lengths_short_and_long_form() {
        // Short form: the length is the byte itself.
        assert_eq!(tlv(&[0x04, 0x00]), Some((0x04, 2, 2)));
        assert_eq!(tlv(&[0x04, 0x7f].iter().copied().chain([0; 0x7f]).collect::<Vec<_>>()), Some((0x04, 2, 0x81)));
        // Long form with 1 to 4 length bytes, big-endian.
        let long = |len_bytes: &[u8], content: usize| {
            let mut v = vec![0x04, 0x80 | len_bytes.len() as u8];
            v.extend_from_slice(len_bytes);
            v.extend(std::iter::repeat_n(0, content));
            v
        };
        assert_eq!(tlv(&long(&[0x80], 0x80)), Some((0x04, 3, 3 + 0x80)));
        assert_eq!(tlv(&long(&[0x01, 0x02], 0x102)), Some((0x04, 4, 4 + 0x102)));
        assert_eq!(tlv(&long(&[0x00, 0x01, 0x00], 0x100)), Some((0x04, 5, 5 + 0x100)));
        assert_eq!(tlv(&long(&[0x00, 0x00, 0x00, 0x02], 2)), Some((0x04, 6, 8)));
        // Trailing bytes are the caller's: the element ends where its length says.
        assert_eq!(tlv(&[0x30, 0x01, 0x05, 0x99]), Some((0x30, 2, 3)));
        // Indefinite length (0x80), more than four length bytes, and too little input are refused.
        assert_eq!(tlv(&[0x04, 0x80, 0x00, 0x00]), None);
        assert_eq!(tlv(&[&[0x04, 0x80][..], &[0; 0x80]].concat()), None, "0x80 is no length of 128");
        assert_eq!(tlv(&long(&[0, 0, 0, 0, 1], 1)), None);
        assert_eq!(tlv(&long(&[0x01, 0x02], 0x101)), None, "content one byte short");
        assert_eq!(tlv(&[0x04, 0x82, 0x01]), None, "length bytes cut off");
        assert_eq!(tlv(&[0x04, 0x05, 1, 2]), None);
        assert_eq!(tlv(&[0x04]), None);
        assert_eq!(tlv(&[]), None);
    }

    #[test]
    fn der_encoding_round_trips_through_the_parser() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x1_0000] {
            let content = vec![7u8; len];
            let der = der_tlv(0x04, &content);
            let header = match len {
                0..=0x7f => 2,
                0x80..=0xff => 3,
                0x100..=0xffff => 4,
                _ => 5,
            };
            assert_eq!(der.len(), header + len, "length {len}");
            assert_eq!(tlv(&der), Some((0x04, header, header + len)), "length {len}");
            assert_eq!(unwrap_octet_string(&der), Some(&content[..]), "length {len}");
        }
        assert_eq!(der_tlv(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(der_tlv(0x04, &[0; 0x100])[..4], [0x04, 0x82, 0x01, 0x00]);
        // An OCTET STRING only: another tag, or bytes after it, are refused.
        assert_eq!(unwrap_octet_string(&der_tlv(0x03, &[1])), None);
        assert_eq!(unwrap_octet_string(&[0x04, 0x01, 0x01, 0x00]), None);
    }

    #[test]
    fn malformed_lists_are_refused_with_their_reason() {
        let sct =
            Sct { log_id: [7; 32], timestamp_ms: 1, extensions: vec![], hash_alg: 4, sig_alg: 3, signature: vec![1] };
        let list = encode_list(std::slice::from_ref(&sct));
        let reason = |bytes: &[u8]| decode_list(bytes).unwrap_err().0;
        assert_eq!(reason(&[list.clone(), vec![0]].concat()), "trailing bytes");
        let mut version = list.clone();
        version[4] = 1;
        assert_eq!(reason(&version), "unknown SCT version");
        // One byte more inside the SCT than its fields use.
        let mut one = sct.encode();
        one.push(0);
        let mut body = (one.len() as u16).to_be_bytes().to_vec();
        body.extend_from_slice(&one);
        let mut padded = (body.len() as u16).to_be_bytes().to_vec();
        padded.extend_from_slice(&body);
        assert_eq!(reason(&padded), "trailing bytes in an SCT");
        assert_eq!(reason(&list[..list.len() - 1]), "truncated");
        assert_eq!(decode_list(&[0, 0]).unwrap(), vec![]);
    }

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
