//! Just enough DER and protobuf for the commit-signature differential test, written for the test
//! and independent of gitsign's own parsers: a DER tree (mutated node by node, then re-encoded with
//! every enclosing length fixed), a protobuf field tree of the embedded transparency-log entry
//! (the same), and the conversion of a CMS signature into the parts of a hashedrekord bundle.

use serde_json::{Value, json};

/// A DER element: one-byte tag, primitive content or children.
#[derive(Clone, Debug, PartialEq)]
pub struct Tlv {
    pub tag: u8,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Prim(Vec<u8>),
    Cons(Vec<Tlv>),
}

/// Every element of `b`, back to back; `None` unless `b` is exactly that.
pub fn parse_all(mut b: &[u8]) -> Option<Vec<Tlv>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let (t, rest) = parse_one(b)?;
        out.push(t);
        b = rest;
    }
    Some(out)
}

fn parse_one(b: &[u8]) -> Option<(Tlv, &[u8])> {
    let (&tag, b) = b.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers: none in a gitsign signature
    }
    let (&first, mut b) = b.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || b.len() < n {
            return None;
        }
        let len = b[..n].iter().fold(0usize, |l, x| (l << 8) | usize::from(*x));
        b = &b[n..];
        len
    };
    if b.len() < len {
        return None;
    }
    let (content, rest) = b.split_at(len);
    let body = if tag & 0x20 != 0 { Body::Cons(parse_all(content)?) } else { Body::Prim(content.to_vec()) };
    Some((Tlv { tag, body }, rest))
}

/// DER length octets.
fn push_len(out: &mut Vec<u8>, n: usize) {
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

impl Tlv {
    pub fn encode(&self) -> Vec<u8> {
        let content = match &self.body {
            Body::Prim(c) => c.clone(),
            Body::Cons(children) => children.iter().flat_map(Tlv::encode).collect(),
        };
        let mut out = vec![self.tag];
        push_len(&mut out, content.len());
        out.extend(content);
        out
    }

    pub fn children(&self) -> &[Tlv] {
        match &self.body {
            Body::Cons(c) => c,
            Body::Prim(_) => &[],
        }
    }

    fn children_mut(&mut self) -> Option<&mut Vec<Tlv>> {
        match &mut self.body {
            Body::Cons(c) => Some(c),
            Body::Prim(_) => None,
        }
    }

    pub fn content(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Prim(c) => Some(c),
            Body::Cons(_) => None,
        }
    }

    /// The element at `path` (child indexes from here).
    pub fn at(&self, path: &[usize]) -> &Tlv {
        path.iter().fold(self, |t, i| &t.children()[*i])
    }

    pub fn at_mut(&mut self, path: &[usize]) -> &mut Tlv {
        path.iter().fold(self, |t, i| &mut t.children_mut().expect("a constructed element on the path")[*i])
    }

    /// Every element's path below (and including) this one, depth first.
    pub fn paths(&self, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        out.push(here.clone());
        for (i, c) in self.children().iter().enumerate() {
            here.push(i);
            c.paths(here, out);
            here.pop();
        }
    }

    /// The tree with the element at `path` removed (`dup`: doubled).
    pub fn without(&self, path: &[usize], dup: bool) -> Tlv {
        let mut t = self.clone();
        let (last, parent) = path.split_last().expect("not the root");
        let siblings = t.at_mut(parent).children_mut().expect("a parent is constructed");
        if dup {
            let copy = siblings[*last].clone();
            siblings.insert(*last, copy);
        } else {
            siblings.remove(*last);
        }
        t
    }
}

pub const OID_TLOG_ENTRY: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xbf, 0x30, 0x03, 0x01];
pub const OID_MESSAGE_DIGEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04];
pub const OID_SIGNING_TIME: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05];
pub const OID_CONTENT_TYPE: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03];

/// Paths of the CMS layout gitsign writes: ContentInfo { oid, [0] SignedData { version,
/// digestAlgorithms, encapContentInfo, [0] certificates, signerInfos { SignerInfo { version, sid,
/// digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature, [1] unsignedAttrs } } } }.
pub const CERTIFICATES: &[usize] = &[1, 0, 3];
pub const SIGNER: &[usize] = &[1, 0, 4, 0];

/// The attribute (OID content) an attribute-set element at `path` belongs to, if any.
fn attribute_name(root: &Tlv, path: &[usize]) -> Option<&'static str> {
    let attr = root.at(path.get(..SIGNER.len() + 2)?);
    let oid = attr.children().first()?.content()?;
    [
        (OID_CONTENT_TYPE, "contentType"),
        (OID_SIGNING_TIME, "signingTime"),
        (OID_MESSAGE_DIGEST, "messageDigest"),
        (OID_TLOG_ENTRY, "logEntry"),
    ]
    .iter()
    .find(|(o, _)| *o == oid)
    .map(|(_, n)| *n)
}

/// The part of the signature an element belongs to, for the report.
pub fn region(root: &Tlv, path: &[usize]) -> String {
    if path.starts_with(CERTIFICATES) {
        return "certificate".into();
    }
    if path.starts_with(SIGNER) && path.len() > SIGNER.len() {
        let field = path[SIGNER.len()];
        return match (field, attribute_name(root, path)) {
            (3, Some(name)) => format!("signedAttrs.{name}"),
            (3, None) => "signedAttrs".into(),
            (5, _) => "signature".into(),
            (6, Some(name)) => format!("unsignedAttrs.{name}"),
            (6, None) => "unsignedAttrs".into(),
            (n, _) => ["signer.version", "signer.sid", "signer.digestAlgorithm", "", "signer.signatureAlgorithm"]
                .get(n)
                .map_or("signer", |s| s)
                .to_string(),
        };
    }
    "structure".into()
}

/// What a hashedrekord bundle is made of, read from a (possibly mutated) signature.
#[derive(Debug)]
pub struct Parts {
    /// The signer's certificate (issuer and serial of the SignerInfo), DER.
    pub cert: Vec<u8>,
    /// The signed attributes re-tagged as a SET: what the signature signs.
    pub signed_attrs: Vec<u8>,
    pub signature: Vec<u8>,
    /// The unsigned attribute 1.3.6.1.4.1.57264.3.1 (protobuf TransparencyLogEntry).
    pub tlog_entry: Vec<u8>,
}

/// The signed messageDigest attribute, when the signature has exactly one where CMS puts it,
/// with one OCTET STRING value.
pub fn message_digest(der: &[u8]) -> Option<Vec<u8>> {
    let [root] = parse_all(der)?.try_into().ok()?;
    let mut t = &root;
    for i in SIGNER.iter().chain(&[3]) {
        t = t.children().get(*i)?;
    }
    (t.tag == 0xa0).then(|| attribute(t, OID_MESSAGE_DIGEST).ok().map(<[u8]>::to_vec)).flatten()
}

/// The single value of the attribute `oid` in an attribute set.
fn attribute<'a>(attrs: &'a Tlv, oid: &[u8]) -> Result<&'a [u8], String> {
    let found: Vec<&Tlv> =
        attrs.children().iter().filter(|a| a.children().first().and_then(Tlv::content) == Some(oid)).collect();
    let [attr] = found.as_slice() else { return Err(format!("{} attributes {oid:02x?}", found.len())) };
    match attr.children() {
        [_, set] if set.tag == 0x31 => match set.children() {
            [v] if v.tag == 0x04 => Ok(v.content().unwrap_or_default()),
            _ => Err("the attribute is not one OCTET STRING".into()),
        },
        _ => Err("the attribute is not (OID, SET)".into()),
    }
}

/// Reads the parts of a signature; `Err` when the DER does not hold them where CMS puts them.
pub fn parts(der: &[u8]) -> Result<Parts, String> {
    let root = match parse_all(der).as_deref() {
        Some([root]) if root.tag == 0x30 => root.clone(),
        _ => return Err("not one DER SEQUENCE".into()),
    };
    let get = |path: &[usize], tag: u8| -> Result<Tlv, String> {
        let mut t = &root;
        for i in path {
            t = t.children().get(*i).ok_or_else(|| format!("nothing at {path:?}"))?;
        }
        if t.tag != tag {
            return Err(format!("tag {:02x} at {path:?}, not {tag:02x}", t.tag));
        }
        Ok(t.clone())
    };
    let signers = get(&SIGNER[..SIGNER.len() - 1], 0x31)?;
    if signers.children().len() != 1 {
        return Err(format!("{} signers", signers.children().len()));
    }
    let signer = get(SIGNER, 0x30)?;
    let at = |i: usize, tag: u8| -> Result<Tlv, String> {
        let mut p = SIGNER.to_vec();
        p.push(i);
        get(&p, tag)
    };
    let sid = at(1, 0x30)?;
    let (issuer, serial) = match sid.children() {
        [issuer, serial] => (issuer.encode(), serial.encode()),
        _ => return Err("the signer is not identified by issuer and serial".into()),
    };
    let cert = get(CERTIFICATES, 0xa0)?
        .children()
        .iter()
        .find(|c| {
            // TBSCertificate { [0] version, serialNumber, signature, issuer, ... }
            let tbs = c.children().first().map(Tlv::children).unwrap_or_default();
            tbs.len() > 3 && tbs[1].encode() == serial && tbs[3].encode() == issuer
        })
        .ok_or("no certificate with the signer's issuer and serial")?
        .encode();
    let signed = at(3, 0xa0)?;
    let signed_attrs = Tlv { tag: 0x31, body: signed.body.clone() }.encode();
    let signature = at(5, 0x04)?.content().unwrap_or_default().to_vec();
    let unsigned = signer.children().get(6).filter(|u| u.tag == 0xa1).ok_or("no unsigned attributes")?;
    if signer.children().len() != 7 {
        return Err(format!("the SignerInfo has {} fields", signer.children().len()));
    }
    Ok(Parts { cert, signed_attrs, signature, tlog_entry: attribute(unsigned, OID_TLOG_ENTRY)?.to_vec() })
}

/// A protobuf field: number and value (nested messages of the TransparencyLogEntry parsed).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    pub num: u64,
    pub value: Pb,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Pb {
    Varint(u64),
    Bytes(Vec<u8>),
    Msg(Vec<Field>),
}

fn varint(b: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for i in 0..10 {
        let (&x, rest) = b.split_first().ok_or("truncated varint")?;
        *b = rest;
        if i == 9 && x > 1 {
            return Err("varint overflows 64 bits".into());
        }
        v |= u64::from(x & 0x7f) << (7 * i);
        if x & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint longer than 10 bytes".into())
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A raw field: number, wire type, varint value or bytes.
type RawField = (u64, u8, u64, Vec<u8>);

fn raw_fields(mut b: &[u8]) -> Result<Vec<RawField>, String> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = varint(&mut b)?;
        let (num, wire) = (key >> 3, (key & 7) as u8);
        if num == 0 {
            return Err("field number 0".into());
        }
        match wire {
            0 => out.push((num, 0, varint(&mut b)?, Vec::new())),
            1 | 5 => {
                let n = if wire == 1 { 8 } else { 4 };
                if b.len() < n {
                    return Err("truncated fixed field".into());
                }
                out.push((num, wire, 0, b[..n].to_vec()));
                b = &b[n..];
            }
            2 => {
                let n = usize::try_from(varint(&mut b)?).map_err(|_| "length overflows")?;
                if b.len() < n {
                    return Err("truncated length-delimited field".into());
                }
                out.push((num, 2, 0, b[..n].to_vec()));
                b = &b[n..];
            }
            w => return Err(format!("wire type {w}")),
        }
    }
    Ok(out)
}

/// Whether the field at `path` of a TransparencyLogEntry is a message: logId, kindVersion,
/// inclusionPromise, inclusionProof and its checkpoint.
fn is_message(path: &[u64]) -> bool {
    matches!(path, [2] | [3] | [5] | [6] | [6, 5])
}

/// The field tree of a well-formed entry (the unmutated one).
pub fn pb_parse(b: &[u8], path: &mut Vec<u64>) -> Result<Vec<Field>, String> {
    let mut out = Vec::new();
    for (num, wire, v, bytes) in raw_fields(b)? {
        path.push(num);
        let value = match wire {
            0 => Pb::Varint(v),
            2 if is_message(path) => Pb::Msg(pb_parse(&bytes, path)?),
            2 => Pb::Bytes(bytes),
            w => return Err(format!("wire type {w} in a TransparencyLogEntry")),
        };
        path.pop();
        out.push(Field { num, value });
    }
    Ok(out)
}

pub fn pb_encode(fields: &[Field]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        match &f.value {
            Pb::Varint(v) => {
                push_varint(&mut out, f.num << 3);
                push_varint(&mut out, *v);
            }
            Pb::Bytes(b) => {
                push_varint(&mut out, (f.num << 3) | 2);
                push_varint(&mut out, b.len() as u64);
                out.extend_from_slice(b);
            }
            Pb::Msg(m) => {
                let b = pb_encode(m);
                push_varint(&mut out, (f.num << 3) | 2);
                push_varint(&mut out, b.len() as u64);
                out.extend(b);
            }
        }
    }
    out
}

/// Every field's path (indexes into the field lists), depth first.
pub fn pb_paths(fields: &[Field], here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    for (i, f) in fields.iter().enumerate() {
        here.push(i);
        out.push(here.clone());
        if let Pb::Msg(m) = &f.value {
            pb_paths(m, here, out);
        }
        here.pop();
    }
}

/// The field at `path` and the list holding it.
pub fn pb_at<'a>(fields: &'a mut Vec<Field>, path: &[usize]) -> (&'a mut Vec<Field>, usize) {
    let (last, parent) = path.split_last().expect("a field path");
    let list = parent.iter().fold(fields, |l, i| match &mut l[*i].value {
        Pb::Msg(m) => m,
        _ => unreachable!("a message on the path"),
    });
    (list, *last)
}

/// Field names, for the report.
pub fn pb_name(fields: &[Field], path: &[usize]) -> String {
    let mut names = Vec::new();
    let mut list = fields;
    let mut at: Vec<u64> = Vec::new();
    for i in path {
        let f = &list[*i];
        at.push(f.num);
        let name = match at.as_slice() {
            [1] => "logIndex",
            [2] => "logId",
            [2, 1] => "keyId",
            [3] => "kindVersion",
            [3, 1] => "kind",
            [3, 2] => "version",
            [4] => "integratedTime",
            [5] => "inclusionPromise",
            [5, 1] => "signedEntryTimestamp",
            [6] => "inclusionProof",
            [6, 1] => "logIndex",
            [6, 2] => "rootHash",
            [6, 3] => "treeSize",
            [6, 4] => "hashes",
            [6, 5] => "checkpoint",
            [6, 5, 1] => "envelope",
            [7] => "canonicalizedBody",
            _ => "unknown",
        };
        names.push(name);
        if let Pb::Msg(m) = &f.value {
            list = m;
        }
    }
    names.join(".")
}

/// One occurrence of a field read as protobuf does: the last of a scalar, all of a repeated
/// field, a message merged from all of its occurrences (the concatenation parses as the merge).
struct Message(Vec<RawField>);

impl Message {
    fn parse(b: &[u8]) -> Result<Message, String> {
        Ok(Message(raw_fields(b)?))
    }

    fn of(&self, num: u64, wire: u8) -> Result<Vec<&RawField>, String> {
        let all: Vec<_> = self.0.iter().filter(|f| f.0 == num).collect();
        match all.iter().find(|f| f.1 != wire) {
            Some(f) => Err(format!("field {num} has wire type {}, not {wire}", f.1)),
            None => Ok(all),
        }
    }

    fn int(&self, num: u64) -> Result<i64, String> {
        Ok(self.of(num, 0)?.last().map_or(0, |f| f.2 as i64))
    }

    fn bytes(&self, num: u64) -> Result<Vec<u8>, String> {
        Ok(self.of(num, 2)?.last().map(|f| f.3.clone()).unwrap_or_default())
    }

    fn string(&self, num: u64) -> Result<String, String> {
        String::from_utf8(self.bytes(num)?).map_err(|_| format!("field {num} is not UTF-8"))
    }

    fn repeated(&self, num: u64) -> Result<Vec<Vec<u8>>, String> {
        Ok(self.of(num, 2)?.into_iter().map(|f| f.3.clone()).collect())
    }

    fn message(&self, num: u64) -> Result<Option<Message>, String> {
        let all = self.of(num, 2)?;
        if all.is_empty() {
            return Ok(None);
        }
        Message::parse(&all.iter().flat_map(|f| f.3.clone()).collect::<Vec<u8>>()).map(Some)
    }
}

/// The protobuf TransparencyLogEntry as the bundle's JSON (`canonicalizedBody` when it carries
/// none: `body`, rebuilt as the verifier must).
pub fn entry_json(pb: &[u8], body: &[u8]) -> Result<Value, String> {
    let b64 = |b: &[u8]| gitsign_protocol::b64(b);
    let e = Message::parse(pb)?;
    let mut out = json!({"logIndex": e.int(1)?.to_string(), "integratedTime": e.int(4)?.to_string()});
    if let Some(id) = e.message(2)? {
        out["logId"] = json!({"keyId": b64(&id.bytes(1)?)});
    }
    if let Some(kv) = e.message(3)? {
        out["kindVersion"] = json!({"kind": kv.string(1)?, "version": kv.string(2)?});
    }
    if let Some(p) = e.message(5)? {
        out["inclusionPromise"] = json!({"signedEntryTimestamp": b64(&p.bytes(1)?)});
    }
    if let Some(p) = e.message(6)? {
        let mut proof = json!({
            "logIndex": p.int(1)?.to_string(),
            "rootHash": b64(&p.bytes(2)?),
            "treeSize": p.int(3)?.to_string(),
            "hashes": p.repeated(4)?.iter().map(|h| b64(h)).collect::<Vec<_>>(),
        });
        if let Some(c) = p.message(5)? {
            proof["checkpoint"] = json!({"envelope": c.string(1)?});
        }
        out["inclusionProof"] = proof;
    }
    let carried = e.bytes(7)?;
    out["canonicalizedBody"] = json!(b64(if carried.is_empty() { body } else { &carried }));
    Ok(out)
}
