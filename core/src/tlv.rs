//! Reading DER field by field: TLVs taken off a byte slice in order, each header read by `der`
//! in DER mode, each value the slice of the input it came in. For structures whose exact bytes
//! matter (what a signature signs) and whose layout is fixed, so that nothing is decoded into
//! owned values only to be encoded again.

use der::{Decode as _, Tag};

/// One DER TLV: its tag, its value, and its whole encoding.
#[derive(Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: Tag,
    pub(crate) value: &'a [u8],
    pub(crate) whole: &'a [u8],
}

/// Takes the next TLV off `input`. The header is read by `der` in DER mode (minimal lengths, no
/// indefinite length); the value must lie within `input`.
pub(crate) fn next_tlv<'a>(input: &mut &'a [u8]) -> Result<Tlv<'a>, der::Error> {
    use der::Reader as _;
    let mut reader = der::SliceReader::new(input)?;
    let header = der::Header::decode(&mut reader)?;
    let header_len = usize::try_from(reader.position())?;
    let end = usize::try_from(header.length())?.saturating_add(header_len);
    if end > input.len() {
        let length = |n: usize| der::Length::try_from(n).unwrap_or(der::Length::MAX);
        return Err(der::ErrorKind::Incomplete { expected_len: length(end), actual_len: length(input.len()) }.into());
    }
    let (whole, rest) = input.split_at(end);
    *input = rest;
    Ok(Tlv { tag: header.tag(), value: &whole[header_len..], whole })
}

/// The next TLV of `input`, which must have tag `tag`.
pub(crate) fn expect<'a>(input: &mut &'a [u8], tag: Tag) -> Result<Tlv<'a>, der::Error> {
    let tlv = next_tlv(input)?;
    if tlv.tag != tag {
        return Err(unexpected(tag, tlv.tag));
    }
    Ok(tlv)
}

/// The next TLV of `input` if it has tag `tag`.
pub(crate) fn optional<'a>(input: &mut &'a [u8], tag: Tag) -> Result<Option<Tlv<'a>>, der::Error> {
    let mut peek = *input;
    match (!input.is_empty()).then(|| next_tlv(&mut peek)).transpose()? {
        Some(tlv) if tlv.tag == tag => {
            *input = peek;
            Ok(Some(tlv))
        }
        _ => Ok(None),
    }
}

/// Every TLV of `value` (the content of a SET or SEQUENCE), in order.
pub(crate) fn elements(mut value: &[u8]) -> Result<Vec<Tlv<'_>>, der::Error> {
    let mut out = Vec::new();
    while !value.is_empty() {
        out.push(next_tlv(&mut value)?);
    }
    Ok(out)
}

/// Nothing may follow the last field of a structure.
pub(crate) fn finished(input: &[u8]) -> Result<(), der::Error> {
    if input.is_empty() {
        Ok(())
    } else {
        let remaining = der::Length::try_from(input.len()).unwrap_or(der::Length::MAX);
        Err(der::ErrorKind::TrailingData { decoded: der::Length::ZERO, remaining }.into())
    }
}

/// A context-specific constructed tag `[n]`.
pub(crate) const fn context(n: u8) -> Tag {
    Tag::ContextSpecific { constructed: true, number: der::TagNumber(n as u32) }
}

/// The error for a TLV with tag `actual` where `expected` belongs.
pub(crate) fn unexpected(expected: Tag, actual: Tag) -> der::Error {
    der::ErrorKind::TagUnexpected { expected: Some(expected), actual }.into()
}

/// The encodings of the parts of an X.509 certificate that are compared or verified as bytes,
/// as they are in its DER: the issuer signed the bytes that came, so these are taken from them,
/// never encoded again from decoded values.
#[derive(Clone, Copy)]
pub(crate) struct CertificateParts<'a> {
    pub(crate) tbs: &'a [u8],
    pub(crate) serial: &'a [u8],
    pub(crate) issuer: &'a [u8],
    pub(crate) subject: &'a [u8],
    pub(crate) spki: &'a [u8],
}

/// Finds the [`CertificateParts`] of a certificate's DER. This locates fields and checks their
/// tags; it is no substitute for decoding the certificate (`x509-cert`), which callers do.
pub(crate) fn certificate_parts(der: &[u8]) -> Result<CertificateParts<'_>, der::Error> {
    let mut input = der;
    let mut cert = expect(&mut input, Tag::Sequence)?.value;
    let tbs = expect(&mut cert, Tag::Sequence)?;
    let mut fields = tbs.value;
    optional(&mut fields, context(0))?; // version
    let serial = expect(&mut fields, Tag::Integer)?;
    expect(&mut fields, Tag::Sequence)?; // signature
    let issuer = expect(&mut fields, Tag::Sequence)?;
    expect(&mut fields, Tag::Sequence)?; // validity
    let subject = expect(&mut fields, Tag::Sequence)?;
    let spki = expect(&mut fields, Tag::Sequence)?;
    Ok(CertificateParts {
        tbs: tbs.whole,
        serial: serial.whole,
        issuer: issuer.whole,
        subject: subject.whole,
        spki: spki.whole,
    })
}
