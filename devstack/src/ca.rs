//! The certificate authority behind the devstack's Fulcio: a root and an intermediate made on the
//! first start, short-lived leaf certificates in the Fulcio profile, and the CT log that embeds a
//! signed certificate timestamp (SCT) in every leaf.
//!
//! Leaf profile: empty subject, one critical SAN (email or URI), key usage digitalSignature, EKU
//! codeSigning, the issuer in extensions 1.3.6.1.4.1.57264.1.1 (raw) and 1.8 (UTF8String), and
//! an embedded SCT over the precertificate (the leaf's TBS without the SCT extension).

use gitsign_protocol::sct::der_tlv;
use gitsign_protocol::{oid, sct, sha256};
use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, SigningKey, SubjectPublicKeyInfo,
};
use time::{Duration, OffsetDateTime};

/// Lifetime of a leaf certificate.
pub const LEAF_LIFETIME: Duration = Duration::minutes(10);

/// A failure to make a certificate.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// The requested key is not a usable SubjectPublicKeyInfo.
    #[error("the public key is not a DER SubjectPublicKeyInfo")]
    BadPublicKey,
    /// The identity cannot be written into a SAN.
    #[error("the identity {0:?} cannot be written into a certificate (it must be ASCII)")]
    BadIdentity(String),
    /// Certificate generation failed.
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    /// The generated certificate could not be read back.
    #[error("generated certificate could not be parsed: {0}")]
    Parse(String),
}

/// What a leaf certificate names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum San {
    /// An email address (tokens with a verified `email`).
    Email(String),
    /// A URI (tokens that identify by `sub` only).
    Uri(String),
}

impl San {
    /// The identity as text.
    pub fn as_str(&self) -> &str {
        match self {
            San::Email(s) | San::Uri(s) => s,
        }
    }
}

/// The keys and certificates of the CA and its CT log.
#[derive(Debug)]
pub struct Ca {
    root_der: Vec<u8>,
    intermediate_der: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
    issuer_key_hash: [u8; 32],
    ct_key: KeyPair,
    ct_log_id: [u8; 32],
    leaf_lifetime: Duration,
}

fn ca_params(common_name: &str, not_before: OffsetDateTime, path_len: Option<u8>) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "gitsign-devstack");
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = not_before + Duration::days(3650);
    params.is_ca = IsCa::Ca(path_len.map_or(BasicConstraints::Unconstrained, BasicConstraints::Constrained));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.serial_number = Some(random_serial());
    params
}

/// A positive 20-byte serial number from the system RNG.
pub fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 20];
    // The system RNG failing is not recoverable; a zero serial would still be unique enough
    // for the root/intermediate pair, and leaf serials are checked for reuse in the database.
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::from_slice(&bytes)
}

/// Makes a root and an intermediate CA certificate: `(root DER, intermediate DER)`.
pub fn make_ca_certificates(
    root_key: &KeyPair,
    intermediate_key: &KeyPair,
    now: OffsetDateTime,
) -> Result<(Vec<u8>, Vec<u8>), CaError> {
    let not_before = now - Duration::minutes(5);
    let root_params = ca_params("gitsign-devstack root", not_before, None);
    let root = root_params.self_signed(root_key)?;
    let mut int_params = ca_params("gitsign-devstack intermediate", not_before, Some(0));
    int_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
    int_params.use_authority_key_identifier_extension = true;
    let root_issuer = Issuer::from_params(&root_params, root_key);
    let intermediate = int_params.signed_by(intermediate_key, &root_issuer)?;
    Ok((root.der().to_vec(), intermediate.der().to_vec()))
}

impl Ca {
    /// Assembles the CA from its stored parts.
    pub fn new(
        root_der: Vec<u8>,
        intermediate_der: Vec<u8>,
        intermediate_key: KeyPair,
        ct_key: KeyPair,
    ) -> Result<Self, CaError> {
        let issuer = Issuer::from_ca_cert_der(&intermediate_der.as_slice().into(), intermediate_key)?;
        let issuer_key_hash = sha256(issuer.key().subject_public_key_info().as_slice());
        let ct_log_id = sha256(&ct_key.subject_public_key_info());
        Ok(Ca { root_der, intermediate_der, issuer, issuer_key_hash, ct_key, ct_log_id, leaf_lifetime: LEAF_LIFETIME })
    }

    /// Sets the lifetime of the leaves issued from now on.
    pub fn set_leaf_lifetime(&mut self, lifetime: Duration) {
        self.leaf_lifetime = lifetime;
    }

    /// The root certificate, DER.
    pub fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The intermediate certificate, DER.
    pub fn intermediate_der(&self) -> &[u8] {
        &self.intermediate_der
    }

    /// The CT log's DER public key.
    pub fn ct_public_key(&self) -> Vec<u8> {
        self.ct_key.subject_public_key_info()
    }

    /// Issues a leaf certificate for `spki_der` naming `san`, issued by `oidc_issuer`, valid from
    /// `now` for the leaf lifetime ([`LEAF_LIFETIME`] unless set). Returns the DER and the serial.
    pub fn issue(
        &self,
        spki_der: &[u8],
        san: &San,
        oidc_issuer: &str,
        now: OffsetDateTime,
    ) -> Result<(Vec<u8>, Vec<u8>), CaError> {
        let key = SubjectPublicKeyInfo::from_der(spki_der).map_err(|_| CaError::BadPublicKey)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        let ia5 = |s: &str| s.to_string().try_into().map_err(|_| CaError::BadIdentity(s.to_string()));
        params.subject_alt_names = vec![match san {
            San::Email(e) => SanType::Rfc822Name(ia5(e)?),
            San::Uri(u) => SanType::URI(ia5(u)?),
        }];
        params.not_before = now;
        params.not_after = now + self.leaf_lifetime;
        let serial = random_serial();
        params.serial_number = Some(serial.clone());
        // No basic constraints, as Fulcio's leaves; the subject key identifier is written by hand
        // because rcgen adds it only alongside basic constraints.
        params.is_ca = IsCa::NoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::CodeSigning];
        params.use_authority_key_identifier_extension = true;
        params.custom_extensions = vec![
            CustomExtension::from_oid_content(oid::ISSUER_V1, oidc_issuer.as_bytes().to_vec()),
            CustomExtension::from_oid_content(oid::ISSUER_V2, der_tlv(0x0c, oidc_issuer.as_bytes())),
        ];
        params
            .custom_extensions
            .insert(0, CustomExtension::from_oid_content(&[2, 5, 29, 14], der_tlv(0x04, &params.key_identifier(&key))));
        for ext in &mut params.custom_extensions {
            ext.set_criticality(false);
        }
        // The precertificate: the same TBS without the SCT extension is what the CT log signs.
        let pre = params.signed_by(&key, &self.issuer)?;
        let (_, parsed) = x509_parser::parse_x509_certificate(pre.der()).map_err(|e| CaError::Parse(e.to_string()))?;
        let tbs = parsed.tbs_certificate.as_ref();
        let timestamp_ms = (now.unix_timestamp_nanos() / 1_000_000) as u64;
        let signed = sct::precert_signed_data(timestamp_ms, &self.issuer_key_hash, tbs, &[]);
        let signature = self.ct_key.sign(&signed)?;
        let list = sct::encode_list(&[sct::Sct {
            log_id: self.ct_log_id,
            timestamp_ms,
            extensions: vec![],
            hash_alg: 4,
            sig_alg: 3,
            signature,
        }]);
        let mut sct_ext = CustomExtension::from_oid_content(oid::SCT_LIST, der_tlv(0x04, &list));
        sct_ext.set_criticality(false);
        params.custom_extensions.push(sct_ext);
        let leaf = params.signed_by(&key, &self.issuer)?;
        Ok((leaf.der().to_vec(), serial.to_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_has_the_fulcio_profile_and_a_valid_sct() {
        let now = OffsetDateTime::now_utc();
        let alg = &rcgen::PKCS_ECDSA_P256_SHA256;
        let (root_key, int_key, ct_key, leaf_key) = (
            KeyPair::generate_for(alg).unwrap(),
            KeyPair::generate_for(alg).unwrap(),
            KeyPair::generate_for(alg).unwrap(),
            KeyPair::generate_for(alg).unwrap(),
        );
        let (root, int) = make_ca_certificates(&root_key, &int_key, now).unwrap();
        let ct_spki = ct_key.subject_public_key_info();
        let ca = Ca::new(root, int.clone(), int_key, ct_key).unwrap();
        let (der, _) = ca
            .issue(&leaf_key.subject_public_key_info(), &San::Email("a@example.com".into()), "http://issuer", now)
            .unwrap();
        let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert!(cert.subject().iter().next().is_none(), "subject must be empty");
        let san = cert.subject_alternative_name().unwrap().unwrap();
        assert!(san.critical);
        assert!(cert.key_usage().unwrap().unwrap().value.digital_signature());
        assert!(cert.extended_key_usage().unwrap().unwrap().value.code_signing);
        let v2 = cert.extensions().iter().find(|e| e.oid.to_id_string() == "1.3.6.1.4.1.57264.1.8").unwrap();
        assert_eq!(v2.value, der_tlv(0x0c, b"http://issuer"));
        // Chain: the leaf verifies under the intermediate.
        let (_, int_cert) = x509_parser::parse_x509_certificate(&int).unwrap();
        cert.verify_signature(Some(int_cert.public_key())).unwrap();
        // The SCT list decodes and names the CT log; sigstore-python checks its signature
        // against the precertificate in the integration tests.
        let sct_ext = cert.extensions().iter().find(|e| e.oid.to_id_string() == "1.3.6.1.4.1.11129.2.4.2").unwrap();
        let v = sct_ext.value;
        let hdr = if v[1] < 0x80 { 2 } else { 2 + (v[1] & 0x7f) as usize };
        let scts = sct::decode_list(&v[hdr..]).unwrap();
        assert_eq!(scts[0].log_id, sha256(&ct_spki));
    }
}
