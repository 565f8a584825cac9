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
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i + 1);
        let line = (at, &bytes[at..end]);
        at = end;
        Some(line)
    })
}

/// Why a commit's signature cannot be told apart from its payload the one way git does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// A signature header other than the repository's object format's.
    #[error(
        "the commit carries a {found:?} signature header; in a {format} repository gitsign accepts only one {expected:?} header"
    )]
    OtherHeader {
        /// The header found (sanitized).
        found: String,
        /// `SHA-1` or `SHA-256`.
        format: &'static str,
        /// The one header gitsign reads in this repository.
        expected: &'static str,
    },
    /// The signature header more than once (git would concatenate them).
    #[error("the commit carries {count} {header:?} signature headers; a signed commit has exactly one")]
    SeveralHeaders {
        /// The header.
        header: &'static str,
        /// How many (counting stops at the second).
        count: usize,
    },
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
pub fn split_signed(object: &[u8], kind: &str, sha256: bool) -> Result<Option<Signed>, SplitError> {
    if kind == "tag" {
        let start = lines_with_offsets(object)
            .filter(|(_, line)| SIGNATURE_MARKERS.iter().any(|m| line.starts_with(m)))
            .map(|(at, _)| at)
            .last();
        return Ok(start.map(|at| (object[..at].to_vec(), object[at..].to_vec())));
    }
    let ours: &str = if sha256 { "gpgsig-sha256" } else { "gpgsig" };
    let (mut payload, mut sig) = (Vec::with_capacity(object.len()), Vec::with_capacity(object.len()));
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
            if name != ours.as_bytes() {
                return Err(SplitError::OtherHeader {
                    found: crate::text::sanitize(&String::from_utf8_lossy(name)),
                    format: if sha256 { "SHA-256" } else { "SHA-1" },
                    expected: ours,
                });
            }
            headers_seen += 1;
            if headers_seen > 1 {
                return Err(SplitError::SeveralHeaders { header: ours, count: headers_seen });
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
    use super::{object_id, split, split_signed, tag_name};

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
        assert!(split_signed(object, "commit", true).unwrap_err().to_string().contains("\"gpgsig\" signature header"));
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

    const SIG: &[u8] = b"-----BEGIN SIGNED MESSAGE-----\nQUJD\n-----END SIGNED MESSAGE-----\n";

    /// What a split should give.
    enum Want {
        Unsigned,
        Split(&'static [u8], &'static [u8]),
        /// An error whose text holds this.
        Refused(&'static str),
    }

    fn check_table(kind: &str, cases: &[(&str, &[u8], bool, Want)]) {
        for (name, object, sha256, want) in cases {
            let got = split_signed(object, kind, *sha256);
            match want {
                Want::Unsigned => assert_eq!(got, Ok(None), "{name}"),
                Want::Split(payload, sig) => {
                    let (p, s) =
                        got.unwrap_or_else(|e| panic!("{name}: {e}")).unwrap_or_else(|| panic!("{name}: unsigned"));
                    assert_eq!(String::from_utf8_lossy(&p), String::from_utf8_lossy(payload), "{name}: payload");
                    assert_eq!(String::from_utf8_lossy(&s), String::from_utf8_lossy(sig), "{name}: signature");
                    // The SHA-1 helper agrees for SHA-1 repositories.
                    if !*sha256 {
                        assert_eq!(split(object, kind), Some((p, s)), "{name}");
                    }
                }
                Want::Refused(text) => {
                    let err = got.unwrap_err();
                    assert!(err.to_string().contains(text), "{name}: {err}");
                    if !*sha256 {
                        assert_eq!(split(object, kind), None, "{name}");
                    }
                }
            }
        }
    }

    #[test]
    fn commit_splitting_table() {
        use Want::*;
        let cases: &[(&str, &[u8], bool, Want)] = &[
            ("no signature", b"tree 1\nauthor A\n\nmsg\n", false, Unsigned),
            ("no signature, no message", b"tree 1\nauthor A\n", false, Unsigned),
            (
                "one header, the last",
                b"tree 1\nauthor A\ncommitter C\ngpgsig -----BEGIN SIGNED MESSAGE-----\n QUJD\n -----END SIGNED MESSAGE-----\n\nmsg\n",
                false,
                Split(b"tree 1\nauthor A\ncommitter C\n\nmsg\n", SIG),
            ),
            (
                "one header, not the last: removed where it stands",
                b"tree 1\ngpgsig -----BEGIN SIGNED MESSAGE-----\n QUJD\n -----END SIGNED MESSAGE-----\nauthor A\ncommitter C\n\nmsg\n",
                false,
                Split(b"tree 1\nauthor A\ncommitter C\n\nmsg\n", SIG),
            ),
            (
                "other headers' continuation lines stay in the payload",
                b"tree 1\nmergetag object 2\n type commit\n \n tag v1\ngpgsig -----BEGIN SIGNED MESSAGE-----\n QUJD\n -----END SIGNED MESSAGE-----\n\nmsg\n",
                false,
                Split(b"tree 1\nmergetag object 2\n type commit\n \n tag v1\n\nmsg\n", SIG),
            ),
            (
                "an empty continuation line in the signature",
                b"tree 1\ngpgsig a\n \n b\n\nmsg\n",
                false,
                Split(b"tree 1\n\nmsg\n", b"a\n\nb\n"),
            ),
            (
                "a gpgsig line in the message is message",
                b"tree 1\ngpgsig s\n\ngpgsig in the message\n continued\n",
                false,
                Split(b"tree 1\n\ngpgsig in the message\n continued\n", b"s\n"),
            ),
            (
                "a header without a message",
                b"tree 1\ngpgsig s\n",
                false,
                Split(b"tree 1\n", b"s\n"),
            ),
            (
                "CRLF: the carriage returns are kept on both sides",
                b"tree 1\r\ngpgsig -----BEGIN SIGNED MESSAGE-----\r\n QUJD\r\n -----END SIGNED MESSAGE-----\r\n\nmsg\r\n",
                false,
                Split(b"tree 1\r\n\nmsg\r\n", b"-----BEGIN SIGNED MESSAGE-----\r\nQUJD\r\n-----END SIGNED MESSAGE-----\r\n"),
            ),
            (
                "two headers",
                b"tree 1\ngpgsig a\n b\ngpgsig c\n\nmsg\n",
                false,
                Refused("carries 2 \"gpgsig\" signature headers; a signed commit has exactly one"),
            ),
            (
                "SHA-256 repository, gpgsig-sha256",
                b"tree 1\ngpgsig-sha256 -----BEGIN SIGNED MESSAGE-----\n QUJD\n -----END SIGNED MESSAGE-----\n\nmsg\n",
                true,
                Split(b"tree 1\n\nmsg\n", SIG),
            ),
            (
                "SHA-256 repository, two gpgsig-sha256",
                b"tree 1\ngpgsig-sha256 a\ngpgsig-sha256 b\n\nmsg\n",
                true,
                Refused("carries 2 \"gpgsig-sha256\" signature headers"),
            ),
            (
                "SHA-256 repository, a SHA-1 header",
                b"tree 1\ngpgsig s\n\nmsg\n",
                true,
                Refused("carries a \"gpgsig\" signature header; in a SHA-256 repository gitsign accepts only one \"gpgsig-sha256\""),
            ),
            (
                "SHA-1 repository, a SHA-256 header",
                b"tree 1\ngpgsig-sha256 s\n\nmsg\n",
                false,
                Refused("carries a \"gpgsig-sha256\" signature header; in a SHA-1 repository gitsign accepts only one \"gpgsig\""),
            ),
            (
                "both headers",
                b"tree 1\ngpgsig a\ngpgsig-sha256 b\n\nmsg\n",
                false,
                Refused("\"gpgsig-sha256\" signature header"),
            ),
            (
                "a header that only starts like gpgsig is refused (git would keep it as a header)",
                b"tree 1\ngpgsignature s\n\nmsg\n",
                false,
                Refused("carries a \"gpgsignature\" signature header"),
            ),
        ];
        check_table("commit", cases);
    }

    #[test]
    fn tag_splitting_table() {
        use Want::*;
        let cases: &[(&str, &[u8], bool, Want)] = &[
            ("no signature", b"object 1\ntype commit\ntag v1\n\nmsg\n", false, Unsigned),
            (
                "one signature",
                b"object 1\ntag v1\n\nmsg\n-----BEGIN SIGNED MESSAGE-----\nQUJD\n-----END SIGNED MESSAGE-----\n",
                false,
                Split(b"object 1\ntag v1\n\nmsg\n", SIG),
            ),
            (
                "the same in a SHA-256 repository",
                b"object 1\ntag v1\n\nmsg\n-----BEGIN SIGNED MESSAGE-----\nQUJD\n-----END SIGNED MESSAGE-----\n",
                true,
                Split(b"object 1\ntag v1\n\nmsg\n", SIG),
            ),
            (
                "an armor line in the message: the last one starts the signature",
                b"object 1\ntag v1\n\n-----BEGIN PGP SIGNATURE-----\nquoted\n-----BEGIN SIGNED MESSAGE-----\nQUJD\n-----END SIGNED MESSAGE-----\n",
                false,
                Split(b"object 1\ntag v1\n\n-----BEGIN PGP SIGNATURE-----\nquoted\n", SIG),
            ),
            (
                "an armor line only in the message: git splits there too",
                b"object 1\ntag v1\n\nmsg\n-----BEGIN SSH SIGNATURE-----\nnot really\n",
                false,
                Split(b"object 1\ntag v1\n\nmsg\n", b"-----BEGIN SSH SIGNATURE-----\nnot really\n"),
            ),
            (
                "a marker inside a line is not a marker",
                b"object 1\ntag v1\n\nsee -----BEGIN SIGNED MESSAGE-----\n",
                false,
                Unsigned,
            ),
            (
                "a PGP MESSAGE marker",
                b"object 1\n\nm\n-----BEGIN PGP MESSAGE-----\nx",
                false,
                Split(b"object 1\n\nm\n", b"-----BEGIN PGP MESSAGE-----\nx"),
            ),
            (
                "CRLF",
                b"object 1\r\ntag v1\r\n\r\nmsg\r\n-----BEGIN SIGNED MESSAGE-----\r\nQUJD\r\n",
                false,
                Split(b"object 1\r\ntag v1\r\n\r\nmsg\r\n", b"-----BEGIN SIGNED MESSAGE-----\r\nQUJD\r\n"),
            ),
            ("the signature at the very start", SIG, false, Split(b"", SIG)),
        ];
        check_table("tag", cases);
    }

    #[test]
    fn tag_names_come_from_the_headers_only() {
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"object 1\ntype commit\ntag v1.0\ntagger T\n\nmsg\n", Some("v1.0")),
            (b"object 1\ntag release/2\n", Some("release/2")),
            (b"object 1\ntype commit\n\ntag v2\n", None),
            (b"object 1\ntagger T\n\nmsg\n", None),
            (b"object 1\ntag \xff\n\n", None),
            (b"object 1\ntag \n\n", Some("")),
            (b"object 1\ntagx v1\n\n", None),
            (b"object 1\ntag v1\ntag v2\n\n", Some("v1")),
        ];
        for (payload, want) in cases {
            assert_eq!(tag_name(payload).as_deref(), *want, "{}", String::from_utf8_lossy(payload));
        }
    }

    /// Object IDs as `git hash-object -t commit|tag` gives them for these objects (computed
    /// with git 2.x once, independently of this code).
    #[test]
    fn object_ids_are_the_ones_git_gives() {
        let armored = std::str::from_utf8(SIG).unwrap();
        let commit_payload = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nmsg\n";
        assert_eq!(object_id(commit_payload, armored).as_deref(), Some("728d2b8f03f564ac4a9a71881354a7fef9b316d4"));
        // Without the trailing newline the header is the same.
        assert_eq!(
            object_id(commit_payload, armored.trim_end_matches('\n')).as_deref(),
            Some("728d2b8f03f564ac4a9a71881354a7fef9b316d4")
        );
        let tag_payload =
            b"object 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ntype tree\ntag v1\ntagger A <a@x> 1 +0000\n\nmsg\n";
        assert_eq!(object_id(tag_payload, armored).as_deref(), Some("bd3e187e44701a2aa14b7423250ce4d3b9af621b"));
        // Round trip: the commit git would store splits back into the payload and signature.
        let object =
            b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\
                       gpgsig -----BEGIN SIGNED MESSAGE-----\n QUJD\n -----END SIGNED MESSAGE-----\n\nmsg\n";
        assert_eq!(split_signed(object, "commit", false).unwrap(), Some((commit_payload.to_vec(), SIG.to_vec())));
        // Neither a commit nor a tag; a commit without the blank line.
        assert_eq!(object_id(b"blob\n", armored), None);
        assert_eq!(object_id(b"tree 1\nauthor A\n", armored), None);
    }
}
