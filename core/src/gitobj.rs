//! Git objects as bytes: splitting a signed commit or tag into the signed payload and the
//! signature exactly as git does, the tag name a tag object carries, and the object ID git will
//! give a payload once signed. Reading objects out of a repository is the caller's: it hands
//! them in (see [`ObjectReader`]).

/// One object as the repository holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawObject {
    /// Its object ID (hex).
    pub id: String,
    /// Its type: `commit`, `tag`, ...
    pub kind: String,
    /// Its content, without git's `type size` header.
    pub bytes: Vec<u8>,
}

/// A stream of raw objects out of a repository (gitsign runs `git rev-list` and
/// `git cat-file --batch`): the core never starts git itself.
pub trait ObjectReader {
    /// The next object; `None` at the end.
    fn next_object(&mut self) -> Result<Option<RawObject>, String>;
}

/// The lines git takes for the start of a signature in a tag (git's gpg-interface.c: OpenPGP,
/// X.509 and SSH formats).
const SIGNATURE_MARKERS: [&[u8]; 4] = [
    b"-----BEGIN PGP SIGNATURE-----",
    b"-----BEGIN PGP MESSAGE-----",
    b"-----BEGIN SIGNED MESSAGE-----",
    b"-----BEGIN SSH SIGNATURE-----",
];

/// Lines of `bytes`, each with its `\n` (the last may lack one), with its offset.
fn lines_with_offsets(bytes: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let end = bytes[at..].iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| at + i + 1);
        let line = (at, &bytes[at..end]);
        at = end;
        Some(line)
    })
}

/// A signed object's (payload, signature).
pub type Signed = (Vec<u8>, Vec<u8>);

/// Splits a raw commit (signature header) or tag (trailing signature) into (payload, signature)
/// exactly as git does, on bytes (a commit may declare another `encoding`). `Ok(None)`: not
/// signed. `sha256`: the repository's object format, which names the one signature header git
/// reads (`gpgsig` in SHA-1 repositories, `gpgsig-sha256` in SHA-256 ones).
///
/// Tags: the signature starts at the LAST line that starts with a signature marker, as in git's
/// `parse_signed_buffer`, so what git shows as the message is what was signed. Commits: exactly
/// one signature header is accepted; several (git would concatenate them) or a signature header
/// of the other object format are refused, so no new object ID can carry the same signature.
pub fn split_signed(object: &[u8], kind: &str, sha256: bool) -> Result<Option<Signed>, String> {
    if kind == "tag" {
        let start = lines_with_offsets(object)
            .filter(|(_, line)| SIGNATURE_MARKERS.iter().any(|m| line.starts_with(m)))
            .map(|(at, _)| at)
            .last();
        return Ok(start.map(|at| (object[..at].to_vec(), object[at..].to_vec())));
    }
    let ours: &[u8] = if sha256 { b"gpgsig-sha256" } else { b"gpgsig" };
    let (mut payload, mut sig) = (Vec::with_capacity(object.len()), Vec::new());
    let (mut headers_seen, mut in_sig) = (0usize, false);
    for (at, line) in lines_with_offsets(object) {
        if line == b"\n" {
            // The end of the headers: the rest is the message, signed as it is.
            payload.extend_from_slice(&object[at..]);
            break;
        }
        if in_sig && line.starts_with(b" ") {
            sig.extend_from_slice(&line[1..]);
            continue;
        }
        in_sig = false;
        if line.starts_with(b"gpgsig") {
            let name_end = line.iter().position(|b| *b == b' ' || *b == b'\n').unwrap_or(line.len());
            let name = &line[..name_end];
            if name != ours {
                return Err(format!(
                    "the commit carries a {:?} signature header; in a {} repository gitsign accepts only one \
                     {:?} header",
                    crate::text::sanitize(&String::from_utf8_lossy(name)),
                    if sha256 { "SHA-256" } else { "SHA-1" },
                    String::from_utf8_lossy(ours)
                ));
            }
            headers_seen += 1;
            if headers_seen > 1 {
                return Err(format!(
                    "the commit carries {headers_seen} {:?} signature headers; a signed commit has exactly one",
                    String::from_utf8_lossy(ours)
                ));
            }
            sig.extend_from_slice(line.get(name_end + 1..).unwrap_or_default());
            in_sig = true;
            continue;
        }
        payload.extend_from_slice(line);
    }
    if headers_seen == 0 {
        return Ok(None);
    }
    Ok(Some((payload, sig)))
}

/// [`split_signed`] for a SHA-1 repository; `None` for unsigned or malformed objects.
pub fn split(object: &[u8], kind: &str) -> Option<(Vec<u8>, Vec<u8>)> {
    split_signed(object, kind, false).ok().flatten()
}

/// The `tag` header of a tag object's signed part (the headers end at the first empty line).
pub fn tag_name(payload: &[u8]) -> Option<String> {
    let line = payload.split(|b| *b == b'\n').take_while(|l| !l.is_empty()).find_map(|l| l.strip_prefix(b"tag "))?;
    std::str::from_utf8(line).ok().map(str::to_string)
}

/// The object ID (hex SHA-1) git will give the object made of `payload` and the armored
/// signature `armored`: for a commit, the payload with a `gpgsig` header added after the others;
/// for a tag, the payload followed by the signature. `None` if the payload is neither.
pub fn object_id(payload: &[u8], armored: &str) -> Option<String> {
    let (kind, object) = if payload.starts_with(b"tree ") {
        // On bytes: a commit may declare another `encoding`.
        let end = payload.windows(2).position(|w| w == b"\n\n")?;
        let value = armored.trim_end_matches('\n').replace('\n', "\n ");
        let header = format!("\ngpgsig {value}");
        ("commit", [&payload[..end], header.as_bytes(), &payload[end..]].concat())
    } else if payload.starts_with(b"object ") {
        ("tag", [payload, armored.as_bytes()].concat())
    } else {
        return None;
    };
    let mut data = format!("{kind} {}\0", object.len()).into_bytes();
    data.extend_from_slice(&object);
    Some(hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &data)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::split_signed;

    #[test]
    fn commits_keep_other_headers_and_continuations_and_split_on_bytes() {
        let object = b"tree 1\nparent 2\nmergetag object 3\n type commit\nauthor A <a@x> 1 +0000\n\
                       encoding ISO-8859-1\ngpgsig -----BEGIN SIGNED MESSAGE-----\n QUJD\n \
                       -----END SIGNED MESSAGE-----\n\ncaf\xe9\n\ngpgsig in the message\n";
        let (payload, sig) = split_signed(object, "commit", false).unwrap().unwrap();
        assert_eq!(
            payload,
            b"tree 1\nparent 2\nmergetag object 3\n type commit\nauthor A <a@x> 1 +0000\n\
              encoding ISO-8859-1\n\ncaf\xe9\n\ngpgsig in the message\n"
        );
        assert_eq!(sig, b"-----BEGIN SIGNED MESSAGE-----\nQUJD\n-----END SIGNED MESSAGE-----\n");
        assert_eq!(split_signed(b"tree 1\n\nmsg\n", "commit", false).unwrap(), None);
        // The repository's header only, and only once.
        assert!(split_signed(object, "commit", true).unwrap_err().contains("\"gpgsig\" signature header"));
    }

    #[test]
    fn tags_split_at_the_last_line_starting_a_signature() {
        let object = b"object 1\ntag v1\n\nsee -----BEGIN SIGNED MESSAGE----- here\n\
                       -----BEGIN PGP SIGNATURE-----\nquoted\n-----BEGIN SIGNED MESSAGE-----\nsig\n";
        let (payload, sig) = split_signed(object, "tag", false).unwrap().unwrap();
        assert!(payload.ends_with(b"-----BEGIN PGP SIGNATURE-----\nquoted\n"));
        assert_eq!(sig, b"-----BEGIN SIGNED MESSAGE-----\nsig\n");
        assert_eq!(split_signed(b"object 1\n\nno -----BEGIN SIGNED MESSAGE-----\n", "tag", false).unwrap(), None);
    }
}
