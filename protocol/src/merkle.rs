//! RFC 6962 / RFC 9162 Merkle trees.
//!
//! The log keeps the hash of every *complete* subtree: node `(level, index)` covers leaves
//! `index << level .. (index + 1) << level`. Appending leaf `n` adds one node per trailing one bit of
//! `n` ([`append_nodes`]), and every hash the RFC's recursive definitions ask for — roots, audit
//! paths, consistency proofs — is a complete subtree or the rightmost incomplete range, which
//! [`range_hash`] folds from O(log n) stored nodes. Both sides of the protocol use this module: the
//! devstack to answer, clients to check ([`verify_inclusion`], [`verify_consistency`]).

use crate::sha256;

/// A SHA-256 tree hash.
pub type Hash = [u8; 32];

/// Hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut buf = Vec::with_capacity(data.len() + 1);
    buf.push(0);
    buf.extend_from_slice(data);
    sha256(&buf)
}

/// Hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    sha256(&buf)
}

/// Root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    sha256(&[])
}

/// Read access to the stored hashes of complete subtrees.
pub trait SubtreeStore {
    /// Error of the underlying storage.
    type Error;
    /// Hash of the complete subtree `(level, index)`; it must exist.
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The nodes that appending leaf number `n` (0-based) with hash `leaf` completes, bottom-up.
pub fn append_nodes<S: SubtreeStore>(store: &S, n: u64, leaf: Hash) -> Result<Vec<(u32, u64, Hash)>, S::Error> {
    let mut out = vec![(0, n, leaf)];
    let (mut hash, mut index, mut level) = (leaf, n, 0u32);
    while index & 1 == 1 {
        let left = store.subtree(level, index - 1)?;
        hash = node_hash(&left, &hash);
        index >>= 1;
        level += 1;
        out.push((level, index, hash));
    }
    Ok(out)
}

/// Largest power of two strictly below `n` (`n >= 2`).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

/// `MTH(D[start..end])` for a range whose `start` is aligned to the smallest power of two that is at
/// least `end - start` — the only ranges RFC 6962's recursions produce. Reads O(log n) nodes.
pub fn range_hash<S: SubtreeStore>(store: &S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let size = end - start;
    if size == 0 {
        return Ok(empty_root());
    }
    if size.is_power_of_two() && start.is_multiple_of(size) {
        return store.subtree(size.trailing_zeros(), start / size);
    }
    let k = split_point(size);
    let left = store.subtree(k.trailing_zeros(), start / k)?;
    let right = range_hash(store, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// Root hash of the tree of the first `size` leaves.
pub fn root<S: SubtreeStore>(store: &S, size: u64) -> Result<Hash, S::Error> {
    range_hash(store, 0, size)
}

/// Audit path of leaf `index` in the tree of `size` leaves, leaf side first (RFC 6962 §2.1.1).
/// The caller checks `index < size`.
pub fn inclusion_proof<S: SubtreeStore>(store: &S, index: u64, size: u64) -> Result<Vec<Hash>, S::Error> {
    let mut path = Vec::new();
    let (mut start, mut end) = (0u64, size);
    while end - start > 1 {
        let k = split_point(end - start);
        if index < start + k {
            path.push(range_hash(store, start + k, end)?);
            end = start + k;
        } else {
            path.push(range_hash(store, start, start + k)?);
            start += k;
        }
    }
    path.reverse();
    Ok(path)
}

/// Consistency proof between the trees of `first` and `second` leaves (RFC 6962 §2.1.2), with
/// `0 < first <= second`; empty when they are equal.
pub fn consistency_proof<S: SubtreeStore>(store: &S, first: u64, second: u64) -> Result<Vec<Hash>, S::Error> {
    let mut proof = Vec::new();
    let (mut m, mut start, mut end, mut whole) = (first, 0u64, second, true);
    loop {
        let n = end - start;
        if m == n {
            if !whole {
                proof.push(range_hash(store, start, end)?);
            }
            break;
        }
        let k = split_point(n);
        if m <= k {
            proof.push(range_hash(store, start + k, end)?);
            end = start + k;
        } else {
            proof.push(range_hash(store, start, start + k)?);
            start += k;
            m -= k;
            whole = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Why a proof did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The leaf index is not inside the tree.
    #[error("leaf index {index} is outside a tree of {size} leaves")]
    IndexOutOfRange {
        /// Index of the leaf.
        index: u64,
        /// Size of the tree.
        size: u64,
    },
    /// The proof has more or fewer hashes than the tree shape needs.
    #[error("the proof has {found} hashes, a tree of this shape needs {expected}")]
    WrongLength {
        /// Hashes the shape needs.
        expected: usize,
        /// Hashes the proof has.
        found: usize,
    },
    /// The sizes of a consistency proof are not ordered.
    #[error("tree size {first} is larger than {second}")]
    SizesOutOfOrder {
        /// The older size.
        first: u64,
        /// The newer size.
        second: u64,
    },
    /// The hashes lead to another root.
    #[error("the proof leads to root {computed}, expected {expected}")]
    RootMismatch {
        /// Root the proof gives, hex.
        computed: String,
        /// Root that was claimed, hex.
        expected: String,
    },
}

fn mismatch(computed: &Hash, expected: &Hash) -> ProofError {
    ProofError::RootMismatch { computed: hex::encode(computed), expected: hex::encode(expected) }
}

/// Number of hashes in the audit path of `index` in a tree of `size` leaves.
fn inclusion_len(index: u64, size: u64) -> usize {
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = (index >> inner).count_ones();
    (inner + border) as usize
}

/// Checks that `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongLength { expected, found: proof.len() });
    }
    let (mut fnode, mut snode, mut r) = (index, size - 1, *leaf);
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength { expected, found: proof.len() });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength { expected, found: proof.len() });
    }
    if &r != root { Err(mismatch(&r, root)) } else { Ok(()) }
}

/// Number of hashes in the consistency proof between trees of `first` and `second` leaves,
/// `0 < first < second`: one per level of RFC 6962's SUBPROOF recursion, plus the subtree that
/// ends it unless that subtree is the whole older tree.
fn consistency_len(first: u64, second: u64) -> usize {
    let (mut m, mut n, mut whole, mut len) = (first, second, true, 0);
    while m != n {
        let k = split_point(n);
        len += 1;
        if m <= k {
            n = k;
        } else {
            m -= k;
            n -= k;
            whole = false;
        }
    }
    len + usize::from(!whole)
}

/// Checks that the tree of `first` leaves with root `first_root` is a prefix of the tree of
/// `second` leaves with root `second_root` (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first > second {
        return Err(ProofError::SizesOutOfOrder { first, second });
    }
    if first == second || first == 0 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength { expected: 0, found: proof.len() });
        }
        // Equal sizes need equal roots (the empty tree's included); any tree extends the empty one.
        return if first != second || first_root == second_root {
            Ok(())
        } else {
            Err(mismatch(second_root, first_root))
        };
    }
    // The proof's length follows from the two sizes alone (RFC 6962 §2.1.2's recursion).
    let expected = consistency_len(first, second);
    if proof.len() != expected {
        return Err(ProofError::WrongLength { expected, found: proof.len() });
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength { expected, found: proof.len() });
    };
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength { expected, found: proof.len() });
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength { expected, found: proof.len() });
    }
    if &fr != first_root {
        return Err(mismatch(&fr, first_root));
    }
    if &sr != second_root {
        return Err(mismatch(&sr, second_root));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::convert::Infallible;

    #[derive(Default)]
    struct Mem {
        nodes: HashMap<(u32, u64), Hash>,
        size: u64,
    }
    impl SubtreeStore for Mem {
        type Error = Infallible;
        fn subtree(&self, level: u32, index: u64) -> Result<Hash, Infallible> {
            Ok(self.nodes[&(level, index)])
        }
    }
    impl Mem {
        fn push(&mut self, data: &[u8]) {
            for (l, i, h) in append_nodes(self, self.size, leaf_hash(data)).unwrap() {
                self.nodes.insert((l, i), h);
            }
            self.size += 1;
        }
    }

    /// The RFC 6962 §2.1 definition of MTH, straight from the text, as the reference: for n > 1,
    /// k is the largest power of two smaller than n (found here by doubling, independently of the
    /// implementation's bit arithmetic).
    fn mth(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    fn h(hex_str: &str) -> Hash {
        hex::decode(hex_str).unwrap().try_into().unwrap()
    }

    /// Published test vectors of RFC 6962 trees: the eight leaf inputs, the roots of the trees of
    /// 1 to 8 leaves, and inclusion and consistency proofs over them, from the transparency-dev
    /// Merkle library (github.com/transparency-dev/merkle, testonly/constants.go and
    /// proof/verify_test.go; the same data as certificate-transparency-go's reference tests).
    const VECTOR_LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
    const VECTOR_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    /// (0-based leaf index, tree size, audit path).
    const VECTOR_INCLUSION: [(u64, u64, &[&str]); 4] = [
        (
            0,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            5,
            8,
            &[
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (
            1,
            5,
            &[
                "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
    ];
    /// (first size, second size, proof).
    const VECTOR_CONSISTENCY: [(u64, u64, &[&str]); 5] = [
        (1, 1, &[]),
        (
            1,
            8,
            &[
                "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
            ],
        ),
        (
            6,
            8,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
        (
            2,
            5,
            &[
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            ],
        ),
        (
            6,
            7,
            &[
                "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            ],
        ),
    ];

    fn vector_tree() -> (Vec<Vec<u8>>, Mem) {
        let leaves: Vec<Vec<u8>> = VECTOR_LEAVES.iter().map(|l| hex::decode(l).unwrap()).collect();
        let mut mem = Mem::default();
        for l in &leaves {
            mem.push(l);
        }
        (leaves, mem)
    }

    fn vroot(size: u64) -> Hash {
        h(VECTOR_ROOTS[size as usize - 1])
    }

    const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

    #[test]
    fn published_roots_match_the_reference_and_the_implementation() {
        let (leaves, mem) = vector_tree();
        for size in 1..=8u64 {
            assert_eq!(mth(&leaves[..size as usize]), vroot(size), "reference root of {size}");
            assert_eq!(root(&mem, size).unwrap(), vroot(size), "root of {size}");
        }
        assert_eq!(root(&mem, 0).unwrap(), empty_root());
    }

    #[test]
    fn published_inclusion_proofs_verify_and_every_corruption_fails() {
        let (leaves, mem) = vector_tree();
        for (index, size, path) in VECTOR_INCLUSION {
            let proof: Vec<Hash> = path.iter().map(|p| h(p)).collect();
            let leaf = leaf_hash(&leaves[index as usize]);
            let root = vroot(size);
            assert_eq!(inclusion_proof(&mem, index, size).unwrap(), proof, "generated proof of {index} in {size}");
            verify_inclusion(index, size, &leaf, &proof, &root).unwrap();
            let fails = |i: u64, s: u64, l: &Hash, p: &[Hash], r: &Hash, what: &str| {
                assert!(verify_inclusion(i, s, l, p, r).is_err(), "{what}: leaf {index} of {size} verified");
            };
            fails(index.wrapping_sub(1), size, &leaf, &proof, &root, "index - 1");
            fails(index + 1, size, &leaf, &proof, &root, "index + 1");
            fails(index ^ 2, size, &leaf, &proof, &root, "index ^ 2");
            fails(index, size * 2, &leaf, &proof, &root, "size * 2");
            fails(index, size / 2, &leaf, &proof, &root, "size / 2");
            fails(index, size, &leaf_hash(b"WrongLeaf"), &proof, &root, "wrong leaf");
            fails(index, size, &leaf, &proof, &empty_root(), "empty root");
            fails(index, size, &leaf, &proof, &h(SOME_HASH), "other root");
            let mut longer = proof.clone();
            longer.push(root);
            fails(index, size, &leaf, &longer, &root, "trailing root");
            let mut longer = vec![root];
            longer.extend_from_slice(&proof);
            fails(index, size, &leaf, &longer, &root, "preceding root");
            for i in 0..proof.len() {
                let mut flipped = proof.clone();
                flipped[i][0] ^= 8;
                fails(index, size, &leaf, &flipped, &root, "a flipped bit");
            }
            fails(index, size, &leaf, &proof[..proof.len() - 1], &root, "removed hash");
            if proof.len() > 1 {
                let mut inserted = vec![proof[0], h(SOME_HASH)];
                inserted.extend_from_slice(&proof[1..]);
                fails(index, size, &leaf, &inserted, &root, "inserted hash");
            }
        }
        // The reasons.
        let (index, size, path) = VECTOR_INCLUSION[0];
        let proof: Vec<Hash> = path.iter().map(|p| h(p)).collect();
        let leaf = leaf_hash(&leaves[index as usize]);
        assert_eq!(
            verify_inclusion(8, 8, &leaf, &proof, &vroot(8)),
            Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
        );
        assert_eq!(
            verify_inclusion(index, size, &leaf, &proof[..2], &vroot(8)),
            Err(ProofError::WrongLength { expected: 3, found: 2 })
        );
        assert!(matches!(
            verify_inclusion(index, size, &leaf, &proof, &empty_root()),
            Err(ProofError::RootMismatch { computed, expected }) if computed == VECTOR_ROOTS[7] && expected == hex::encode(empty_root())
        ));
        // Trees of one leaf: the leaf is the root, the path is empty.
        let one = leaf_hash(b"data");
        verify_inclusion(0, 1, &one, &[], &one).unwrap();
        assert!(verify_inclusion(0, 1, &one, &[], &empty_root()).is_err());
        assert_eq!(verify_inclusion(0, 0, &one, &[], &one), Err(ProofError::IndexOutOfRange { index: 0, size: 0 }));
        assert_eq!(verify_inclusion(2, 1, &one, &[], &one), Err(ProofError::IndexOutOfRange { index: 2, size: 1 }));
    }

    #[test]
    fn published_consistency_proofs_verify_and_every_corruption_fails() {
        let (_, mem) = vector_tree();
        for (first, second, path) in VECTOR_CONSISTENCY {
            let proof: Vec<Hash> = path.iter().map(|p| h(p)).collect();
            let (r1, r2) = (vroot(first), vroot(second));
            assert_eq!(consistency_proof(&mem, first, second).unwrap(), proof, "generated proof {first} -> {second}");
            verify_consistency(first, second, &r1, &r2, &proof).unwrap();
            if proof.is_empty() {
                continue;
            }
            let fails = |f: u64, s: u64, a: &Hash, b: &Hash, p: &[Hash], what: &str| {
                assert!(verify_consistency(f, s, a, b, p).is_err(), "{what}: {first} -> {second} verified");
            };
            fails(first - 1, second, &r1, &r2, &proof, "first - 1");
            fails(first + 1, second, &r1, &r2, &proof, "first + 1");
            fails(first ^ 2, second, &r1, &r2, &proof, "first ^ 2");
            fails(first, second * 2, &r1, &r2, &proof, "second * 2");
            fails(first, second / 2, &r1, &r2, &proof, "second / 2");
            fails(first, second, &h(SOME_HASH), &r2, &proof, "wrong first root");
            fails(first, second, &r1, &h(SOME_HASH), &proof, "wrong second root");
            fails(first, second, &r2, &r1, &proof, "swapped roots");
            fails(first, second, &r1, &r2, &[], "empty proof");
            for extra in [r1, r2, proof[0]] {
                let mut longer = proof.clone();
                longer.push(extra);
                fails(first, second, &r1, &r2, &longer, "trailing hash");
                let mut longer = vec![extra];
                longer.extend_from_slice(&proof);
                fails(first, second, &r1, &r2, &longer, "preceding hash");
            }
            fails(first, second, &r1, &r2, &proof[..proof.len() - 1], "truncated proof");
            for i in 0..proof.len() {
                let mut flipped = proof.clone();
                flipped[i][0] ^= 16;
                fails(first, second, &r1, &r2, &flipped, "a flipped bit");
            }
        }
        // The reasons, and the trivial cases.
        let (a, b) = (h(SOME_HASH), empty_root());
        assert_eq!(verify_consistency(2, 1, &a, &b, &[]), Err(ProofError::SizesOutOfOrder { first: 2, second: 1 }));
        assert_eq!(verify_consistency(1, 0, &a, &b, &[]), Err(ProofError::SizesOutOfOrder { first: 1, second: 0 }));
        verify_consistency(0, 0, &a, &a, &[]).unwrap();
        verify_consistency(0, 1, &a, &b, &[]).unwrap();
        verify_consistency(1, 1, &b, &b, &[]).unwrap();
        assert!(matches!(verify_consistency(1, 1, &a, &b, &[]), Err(ProofError::RootMismatch { .. })));
        assert!(matches!(verify_consistency(0, 0, &b, &a, &[]), Err(ProofError::RootMismatch { .. })));
        for (f, s) in [(0, 0), (0, 1), (1, 1)] {
            assert_eq!(
                verify_consistency(f, s, &b, &b, &[b]),
                Err(ProofError::WrongLength { expected: 0, found: 1 }),
                "{f} -> {s} with a hash"
            );
        }
        assert_eq!(verify_consistency(1, 2, &a, &b, &[]), Err(ProofError::WrongLength { expected: 1, found: 0 }));
        let proof: Vec<Hash> = VECTOR_CONSISTENCY[2].2.iter().map(|p| h(p)).collect();
        assert!(matches!(
            verify_consistency(6, 8, &vroot(6), &h(SOME_HASH), &proof),
            Err(ProofError::RootMismatch { computed, expected }) if computed == VECTOR_ROOTS[7] && expected == SOME_HASH
        ));
        assert!(matches!(
            verify_consistency(6, 8, &h(SOME_HASH), &vroot(8), &proof),
            Err(ProofError::RootMismatch { computed, expected }) if computed == VECTOR_ROOTS[5] && expected == SOME_HASH
        ));
        assert!(matches!(
            verify_consistency(6, 8, &vroot(6), &vroot(8), &proof[..2]),
            Err(ProofError::WrongLength { .. })
        ));
    }

    #[test]
    fn roots_and_proofs_agree_with_the_rfc_definition() {
        let leaves: Vec<Vec<u8>> = (0..70u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let mut mem = Mem::default();
        for size in 1..=leaves.len() as u64 {
            mem.push(&leaves[size as usize - 1]);
            let r = root(&mem, size).unwrap();
            assert_eq!(r, mth(&leaves[..size as usize]), "root of {size}");
            for index in 0..size {
                let p = inclusion_proof(&mem, index, size).unwrap();
                let leaf = leaf_hash(&leaves[index as usize]);
                verify_inclusion(index, size, &leaf, &p, &r).unwrap();
                // A wrong leaf or a wrong index fails.
                assert!(verify_inclusion(index, size, &leaf_hash(b"x"), &p, &r).is_err());
                if size > 1 {
                    assert!(verify_inclusion((index + 1) % size, size, &leaf, &p, &r).is_err());
                }
            }
            for first in 1..=size {
                let p = consistency_proof(&mem, first, size).unwrap();
                let fr = root(&mem, first).unwrap();
                verify_consistency(first, size, &fr, &r, &p).unwrap();
                if first < size {
                    assert!(verify_consistency(first, size, &r, &r, &p).is_err());
                    let mut bad = p.clone();
                    bad[0][0] ^= 1;
                    assert!(verify_consistency(first, size, &fr, &r, &bad).is_err());
                }
            }
        }
    }

    #[test]
    fn known_empty_root() {
        assert_eq!(hex::encode(empty_root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}
