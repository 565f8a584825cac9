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
        return if first == 0 || first_root == second_root { Ok(()) } else { Err(mismatch(second_root, first_root)) };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((head, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength { expected: 1, found: 0 });
    };
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*head, *head);
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength { expected: path.len() - rest.len(), found: proof.len() });
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
        return Err(ProofError::WrongLength { expected: proof.len() + 1, found: proof.len() });
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

    /// The RFC's recursive definition, straight from the text, as the reference.
    fn mth(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaf_hash(&leaves[0]),
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
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
