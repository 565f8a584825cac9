//! Public keys as Sigstore names them — log IDs (SHA-256 of the DER `SubjectPublicKeyInfo`) and
//! signed-note key hints — and the signature checks made with them.

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::FromDer;

/// Why a key could not be read or a signature did not verify.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Not a DER `SubjectPublicKeyInfo`.
    #[error("not a DER SubjectPublicKeyInfo: {0}")]
    Spki(String),
    /// Not PEM, or PEM of another kind.
    #[error("no PEM certificate or public key found: {0}")]
    Pem(String),
    /// An algorithm or curve this crate does not verify.
    #[error("unsupported public key algorithm {0}")]
    Unsupported(String),
    /// The signature does not verify with this key.
    #[error("signature does not verify with key {key_id}")]
    BadSignature {
        /// Hex SHA-256 of the key's DER SubjectPublicKeyInfo.
        key_id: String,
    },
}

/// The algorithms Sigstore services sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// ECDSA on NIST P-256 with SHA-256.
    EcdsaP256,
    /// ECDSA on NIST P-384 with SHA-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// RSA PKCS#1 v1.5 with SHA-256.
    Rsa,
}

impl KeyKind {
    /// The `keyDetails` name of a trusted root.
    pub fn key_details(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "PKIX_ECDSA_P256_SHA_256",
            KeyKind::EcdsaP384 => "PKIX_ECDSA_P384_SHA_384",
            KeyKind::Ed25519 => "PKIX_ED25519",
            KeyKind::Rsa => "PKIX_RSA_PKCS1V15_2048_SHA256",
        }
    }

    fn algorithm(self) -> &'static dyn VerificationAlgorithm {
        match self {
            KeyKind::EcdsaP256 => &signature::ECDSA_P256_SHA256_ASN1,
            KeyKind::EcdsaP384 => &signature::ECDSA_P384_SHA384_ASN1,
            KeyKind::Ed25519 => &signature::ED25519,
            KeyKind::Rsa => &signature::RSA_PKCS1_2048_8192_SHA256,
        }
    }
}

const OID_EC: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_ED25519: &str = "1.3.101.112";
const OID_RSA: &str = "1.2.840.113549.1.1.1";

/// A parsed public key.
#[derive(Clone)]
pub struct PublicKey {
    spki_der: Vec<u8>,
    kind: KeyKind,
    /// The key bytes inside the SPKI's BIT STRING (EC point, Ed25519 key, or RSAPublicKey DER).
    raw: Vec<u8>,
    /// The key parsed once for its usual algorithm (long-lived log and CA keys verify many
    /// signatures; parsing the point each time is measurable).
    parsed: Option<std::sync::Arc<signature::ParsedPublicKey>>,
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({:?}, {})", self.kind, hex::encode(self.key_id()))
    }
}

impl PublicKey {
    /// Parses a DER `SubjectPublicKeyInfo`.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        // A P-256 key with an uncompressed point, the key of every Fulcio leaf, has one DER
        // encoding up to its point: read without the general parser (a history reads one per
        // commit). The point is checked by aws-lc as any other.
        let (kind, raw) = match der.strip_prefix(P256_SPKI_PREFIX).filter(|p| p.len() == 65) {
            Some(point) => (KeyKind::EcdsaP256, point.to_vec()),
            None => Self::read_spki(der)?,
        };
        let parsed = UnparsedPublicKey::new(kind.algorithm(), &raw).parse().ok().map(std::sync::Arc::new);
        Ok(PublicKey { spki_der: der.to_vec(), kind, raw, parsed })
    }

    /// A SubjectPublicKeyInfo of any shape, through the general parser: (algorithm, key bytes).
    fn read_spki(der: &[u8]) -> Result<(KeyKind, Vec<u8>), KeyError> {
        let (rest, spki) =
            x509_parser::x509::SubjectPublicKeyInfo::from_der(der).map_err(|e| KeyError::Spki(e.to_string()))?;
        if !rest.is_empty() {
            return Err(KeyError::Spki(format!("{} trailing bytes", rest.len())));
        }
        let alg = spki.algorithm.algorithm.to_id_string();
        let kind = match alg.as_str() {
            OID_EC => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                match curve.as_str() {
                    OID_P256 => KeyKind::EcdsaP256,
                    OID_P384 => KeyKind::EcdsaP384,
                    other => return Err(KeyError::Unsupported(format!("EC curve {other}"))),
                }
            }
            OID_ED25519 => KeyKind::Ed25519,
            OID_RSA => KeyKind::Rsa,
            other => return Err(KeyError::Unsupported(other.to_string())),
        };
        Ok((kind, spki.subject_public_key.data.to_vec()))
    }

    /// Reads the key of a PEM certificate or a PEM public key (the two forms a hashedrekord's
    /// `publicKey.content` may hold). Returns the certificate's DER too when there is one.
    pub fn from_pem_cert_or_key(pem: &[u8]) -> Result<(Self, Option<Vec<u8>>), KeyError> {
        let (_, block) = x509_parser::pem::parse_x509_pem(pem).map_err(|e| KeyError::Pem(e.to_string()))?;
        match block.label.as_str() {
            "CERTIFICATE" => {
                let cert = block.parse_x509().map_err(|e| KeyError::Pem(e.to_string()))?;
                let key = Self::from_spki_der(cert.public_key().raw)?;
                Ok((key, Some(block.contents.clone())))
            }
            "PUBLIC KEY" => Ok((Self::from_spki_der(&block.contents)?, None)),
            other => Err(KeyError::Pem(format!("PEM block is {other:?}"))),
        }
    }

    /// The DER `SubjectPublicKeyInfo`.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The algorithm.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The log ID / key ID: SHA-256 of the DER `SubjectPublicKeyInfo`.
    pub fn key_id(&self) -> [u8; 32] {
        crate::sha256(&self.spki_der)
    }

    /// The signed-note key hint: the first four bytes of the key ID.
    pub fn key_hint(&self) -> [u8; 4] {
        let id = self.key_id();
        [id[0], id[1], id[2], id[3]]
    }

    fn bad(&self) -> KeyError {
        KeyError::BadSignature { key_id: hex::encode(self.key_id()) }
    }

    /// Verifies `signature` (ASN.1 DER for ECDSA) over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        match &self.parsed {
            Some(key) => key.verify_sig(message, signature),
            None => UnparsedPublicKey::new(self.kind.algorithm(), &self.raw).verify(message, signature),
        }
        .map_err(|_| self.bad())
    }

    /// Verifies an ECDSA `signature` made over a message whose SHA-256 is `digest` (hashedrekord).
    pub fn verify_sha256_prehashed(&self, digest: &[u8; 32], signature: &[u8]) -> Result<(), KeyError> {
        let alg: &'static dyn VerificationAlgorithm = match self.kind {
            KeyKind::EcdsaP256 => &signature::ECDSA_P256_SHA256_ASN1,
            KeyKind::EcdsaP384 => &signature::ECDSA_P384_SHA256_ASN1,
            KeyKind::Rsa => &signature::RSA_PKCS1_2048_8192_SHA256,
            KeyKind::Ed25519 => {
                return Err(KeyError::Unsupported("Ed25519 over a prehashed SHA-256 digest".into()));
            }
        };
        let digest =
            aws_lc_rs::digest::Digest::import_less_safe(digest, &aws_lc_rs::digest::SHA256).map_err(|_| self.bad())?;
        UnparsedPublicKey::new(alg, &self.raw).verify_digest(&digest, signature).map_err(|_| self.bad())
    }

    /// The key as PEM (`PUBLIC KEY`).
    pub fn to_pem(&self) -> String {
        pem_encode("PUBLIC KEY", &self.spki_der)
    }
}

/// Encodes DER as PEM with 64-character lines.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let mut out = String::with_capacity(der.len() / 48 * 65 + 2 * label.len() + 70);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    // 48 bytes are 64 base64 characters, a whole line: each line is encoded on its own, with
    // padding only on the last, as when the whole is encoded and then cut.
    for chunk in der.chunks(48) {
        base64::engine::general_purpose::STANDARD.encode_string(chunk, &mut out);
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

/// The DER of a P-256 SubjectPublicKeyInfo up to its 65-byte uncompressed point:
/// SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING (0 unused bits) }.
const P256_SPKI_PREFIX: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Signature algorithms of X.509 certificates, by OID.
const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const RSA_SHA256: &str = "1.2.840.113549.1.1.11";

impl PublicKey {
    /// Verifies a certificate signature made with the algorithm `sig_alg_oid` (dotted).
    pub fn verify_x509(&self, sig_alg_oid: &str, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let alg: &'static dyn VerificationAlgorithm = match (self.kind, sig_alg_oid) {
            (KeyKind::EcdsaP256, ECDSA_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
            (KeyKind::EcdsaP256, ECDSA_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
            (KeyKind::EcdsaP384, ECDSA_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
            (KeyKind::EcdsaP384, ECDSA_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
            (KeyKind::Rsa, RSA_SHA256) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (KeyKind::Ed25519, "1.3.101.112") => &signature::ED25519,
            (kind, oid) => return Err(KeyError::Unsupported(format!("signature algorithm {oid} with a {kind:?} key"))),
        };
        if std::ptr::addr_eq(alg, self.kind.algorithm()) {
            return self.verify(message, signature);
        }
        UnparsedPublicKey::new(alg, &self.raw).verify(message, signature).map_err(|_| self.bad())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// PEM as RFC 7468 lays it out: the whole base64, cut every 64 characters.
    #[test]
    fn pem_lines_are_the_whole_base64_cut_at_64() {
        for len in 0..300 {
            let der: Vec<u8> = (0..len).map(|i| (i * 131 % 251) as u8).collect();
            let body = crate::b64(&der);
            let lines: String =
                body.as_bytes().chunks(64).map(|l| format!("{}\n", std::str::from_utf8(l).unwrap())).collect();
            assert_eq!(
                pem_encode("CERTIFICATE", &der),
                format!("-----BEGIN CERTIFICATE-----\n{lines}-----END CERTIFICATE-----\n")
            );
        }
    }

    /// The P-256 shortcut reads what the general parser reads, and only that shape.
    #[test]
    fn p256_keys_read_alike_with_or_without_the_shortcut() {
        use aws_lc_rs::encoding::AsDer as _;
        use aws_lc_rs::signature::KeyPair as _;
        let pair = aws_lc_rs::signature::EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
        // aws-lc's own SubjectPublicKeyInfo encoding, not one built from the prefix.
        let der = pair.public_key().as_der().unwrap().as_ref().to_vec();
        assert!(der.starts_with(P256_SPKI_PREFIX) && der.len() == P256_SPKI_PREFIX.len() + 65);
        let fast = PublicKey::from_spki_der(&der).unwrap();
        // The same key through the general parser: the prefix's bytes are not the shortcut's.
        let (rest, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(&der).unwrap();
        assert!(rest.is_empty());
        assert_eq!(fast.raw, spki.subject_public_key.data.to_vec());
        assert_eq!(fast.kind, KeyKind::EcdsaP256);
        assert!(fast.parsed.is_some());
        // A point that is not on the curve is still refused by aws-lc.
        let mut bad = der.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(PublicKey::from_spki_der(&bad).map(|k| k.parsed.is_none()).unwrap_or(true));
        // Trailing bytes: not the shortcut's shape, and refused by the general parser.
        let mut long = der.clone();
        long.push(0);
        assert!(PublicKey::from_spki_der(&long).is_err());
    }

    #[test]
    fn hex_is_hex() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(crate::hex_lower(&bytes), hex::encode(&bytes));
        assert_eq!(crate::hex_upper(&bytes), hex::encode_upper(&bytes));
        assert_eq!(crate::hex_lower(&[]), "");
    }
}
