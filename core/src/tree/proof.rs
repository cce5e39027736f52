//! RFC 9162 Merkle inclusion and consistency proofs (sections 2.1.3 and 2.1.4).
//!
//! Split as transparency-dev/merkle splits it:
//! - *which nodes a proof needs*: [`inclusion_nodes`] and [`consistency_nodes`]
//!   list, in proof order, the leaf ranges ([`Subtree`]) whose RFC 6962 tree
//!   hash `MTH(D[start:end])` is each proof element; they need sizes only;
//! - *build a proof*: [`inclusion_proof`] and [`consistency_proof`] hash those
//!   ranges from the leaf hashes;
//! - *verify a proof*: [`verify_inclusion`] ([`root_from_inclusion`]) and
//!   [`verify_consistency`] run the RFC 9162 algorithms of sections 2.1.3.2
//!   and 2.1.4.2 step by step; they need only sizes, hashes and the proof.
//!
//! Proof order is the RFC's: bottom-up, the node nearest the leaf (for
//! consistency, nearest the old tree's right edge) first and a child of the
//! root last.
//!
//! Edge cases (the RFC defines proofs for `0 <= index < size` and
//! `0 < old_size < new_size`; outside that range these are omega's rules):
//! - a leaf index at or past the tree size is an error (3401), as is an old
//!   size above the new one;
//! - equal sizes: the proof is empty and the two roots must be equal (RFC 9162
//!   `get-sth-consistency`: a log answers equal sizes with an empty proof);
//! - old size 0: every tree extends the empty tree, so the proof is empty and
//!   is valid exactly when the old root is the empty tree's root SHA-256("")
//!   (what the RFC 6962 reference implementation in certificate-transparency
//!   accepts, with the root checked too; transparency-dev/merkle since 2024
//!   refuses this case instead). It proves nothing about the new tree.
//!
//! Every function is total: any input gives a value or a [`ProofError`], never
//! a panic. The ops that make a proof (9, 10) report a [`ProofError`] as an
//! error; the ops that check one (11, 12: `omega verify-proof`, JS
//! `verifyInclusion` / `verifyConsistency`) report it as an invalid verdict
//! (`{"status": "invalid", "code", "reason"}`, response status 1, CLI exit 1).
use crate::error::ErrorCode;
use crate::hash::Hash;
use crate::tree::merkle::{empty_root, node_hash, root};
use alloc::vec::Vec;
use core::fmt;

/// The leaves `[start, end)` of a subtree; its RFC 6962 tree hash
/// `MTH(D[start:end])` is one element of a proof.
///
/// In a proof every subtree is a node of the full tree of that size: either a
/// perfect subtree (`end - start` a power of two, `start` a multiple of it) or
/// a subtree on the tree's right border (`end` equal to the tree size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subtree {
    /// First leaf index covered.
    pub start: u64,
    /// One past the last leaf index covered (`end > start`).
    pub end: u64,
}

impl Subtree {
    /// Number of leaves covered.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// True when the subtree covers no leaf (never the case in a proof).
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// True when the subtree is perfect: a power-of-two number of leaves.
    pub fn is_perfect(&self) -> bool {
        self.len().is_power_of_two()
    }

    /// The tree hash `MTH(D[start:end])` of these leaves, given the leaf
    /// hashes `D` of a tree at least `end` leaves long.
    ///
    /// Costs `len() - 1` node hashes. Fails with
    /// [`ProofError::IndexOutOfRange`] if the range is empty or past the end
    /// of `leaves`.
    pub fn hash(&self, leaves: &[Hash]) -> Result<Hash, ProofError> {
        let size = len_u64(leaves);
        let slice = usize::try_from(self.start)
            .ok()
            .zip(usize::try_from(self.end).ok())
            .filter(|(a, b)| a < b)
            .and_then(|(a, b)| leaves.get(a..b));
        match slice {
            Some(s) => Ok(root(s)),
            None => Err(ProofError::IndexOutOfRange {
                index: self.end.saturating_sub(1),
                size,
            }),
        }
    }
}

/// Why a proof could not be built or did not verify. Codes 34xx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// Code 3401: a leaf index at or past the tree size (`index >= size`; a
    /// tree of size 0 has no leaves and so no inclusion proofs).
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// Code 3401: an old tree larger than the new one (`old_size > new_size`).
    SizesOutOfOrder {
        /// The old (first) tree size.
        old_size: u64,
        /// The new (second) tree size.
        new_size: u64,
    },
    /// Code 3402: the proof has more or fewer hashes than the sizes require.
    WrongProofLength {
        /// How many hashes a proof for these sizes has.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// Code 3403: the root the proof leads to is not the root given (for an
    /// inclusion proof, the tree root; for a consistency proof, the new root).
    RootMismatch {
        /// The root the proof and the other inputs lead to.
        computed: Hash,
    },
    /// Code 3403: a consistency proof leads to an old root other than the one
    /// given (for an old size of 0: the given old root is not SHA-256("")).
    OldRootMismatch {
        /// The old root the proof leads to.
        computed: Hash,
    },
}

impl ErrorCode for ProofError {
    fn code(&self) -> u16 {
        match self {
            ProofError::IndexOutOfRange { .. } | ProofError::SizesOutOfOrder { .. } => crate::api::code::PROOF_RANGE,
            ProofError::WrongProofLength { .. } => crate::api::code::PROOF_LENGTH,
            ProofError::RootMismatch { .. } | ProofError::OldRootMismatch { .. } => crate::api::code::PROOF_ROOT,
        }
    }
}

impl fmt::Display for ProofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProofError::IndexOutOfRange { index, size } => {
                write!(f, "leaf index {index} is not in a tree of size {size}")
            }
            ProofError::SizesOutOfOrder { old_size, new_size } => write!(
                f,
                "old tree size {old_size} is larger than new tree size {new_size}"
            ),
            ProofError::WrongProofLength { expected, got } => write!(
                f,
                "proof has {got} hashes; these tree sizes need exactly {expected}"
            ),
            ProofError::RootMismatch { computed } => write!(
                f,
                "the proof leads to root {}, not the root given",
                crate::hex::encode(computed)
            ),
            ProofError::OldRootMismatch { computed } => write!(
                f,
                "the proof leads to old root {}, not the old root given",
                crate::hex::encode(computed)
            ),
        }
    }
}

fn len_u64(leaves: &[Hash]) -> u64 {
    u64::try_from(leaves.len()).unwrap_or(u64::MAX)
}

/// The largest power of two strictly below `n`. Requires `n >= 2`
/// (returns 1 for smaller `n`).
fn split_point(n: u64) -> u64 {
    // 2^floor(log2(n - 1)); for n < 2, where `checked_sub` or
    // `checked_ilog2` gives None, the answer is 1
    let log = n.checked_sub(1).and_then(u64::checked_ilog2);
    log.map_or(1, |b| 1u64 << b)
}

/// The subtrees whose hashes make up the inclusion proof (the RFC 9162
/// section 2.1.3.1 `PATH(index, D_size)`) of leaf `index` in a tree of `size`
/// leaves, in proof order (bottom-up).
///
/// Precondition: `index < size`, else [`ProofError::IndexOutOfRange`].
/// The list has at most 64 entries and is empty for a one-leaf tree.
pub fn inclusion_nodes(index: u64, size: u64) -> Result<Vec<Subtree>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    // PATH(m, D[lo:hi]) for hi - lo > 1 with k the split point:
    //   m < k:  PATH(m, D[lo:lo+k]) : MTH(D[lo+k:hi])
    //   m >= k: PATH(m - k, D[lo+k:hi]) : MTH(D[lo:lo+k])
    // Walked top-down here, so the list is reversed at the end.
    let (mut lo, mut hi) = (0u64, size);
    let mut out = Vec::new();
    while hi - lo > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            out.push(Subtree {
                start: mid,
                end: hi,
            });
            hi = mid;
        } else {
            out.push(Subtree {
                start: lo,
                end: mid,
            });
            lo = mid;
        }
    }
    out.reverse();
    Ok(out)
}

/// The subtrees whose hashes make up the consistency proof (the RFC 9162
/// section 2.1.4.1 `PROOF(old_size, D_new_size)`) from a tree of `old_size`
/// leaves to a tree of `new_size` leaves, in proof order (bottom-up).
///
/// Precondition: `old_size <= new_size`, else [`ProofError::SizesOutOfOrder`].
/// Empty when `old_size == new_size` or `old_size == 0` (see the module docs);
/// otherwise it has between 1 and 65 entries (65 only for trees of more
/// than 2^63 leaves).
pub fn consistency_nodes(old_size: u64, new_size: u64) -> Result<Vec<Subtree>, ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    let mut out = Vec::new();
    if old_size == 0 || old_size == new_size {
        return Ok(out);
    }
    // SUBPROOF(m, D[lo:hi], b), with m absolute; invariant lo < m <= hi:
    //   m == hi:       {} if b, else { MTH(D[lo:hi]) }
    //   m <= lo + k:   SUBPROOF(m, D[lo:lo+k], b) : MTH(D[lo+k:hi])
    //   m > lo + k:    SUBPROOF(m, D[lo+k:hi], false) : MTH(D[lo:lo+k])
    // Walked top-down; the terminal node comes first in the proof.
    let m = old_size;
    let (mut lo, mut hi, mut whole) = (0u64, new_size, true);
    while m != hi {
        let mid = lo + split_point(hi - lo);
        if m <= mid {
            out.push(Subtree {
                start: mid,
                end: hi,
            });
            hi = mid;
        } else {
            out.push(Subtree {
                start: lo,
                end: mid,
            });
            lo = mid;
            whole = false;
        }
    }
    if !whole {
        out.push(Subtree { start: lo, end: hi });
    }
    out.reverse();
    Ok(out)
}

/// Hashes each subtree in `nodes` from the leaf hashes.
fn hash_nodes(leaves: &[Hash], nodes: &[Subtree]) -> Result<Vec<Hash>, ProofError> {
    nodes.iter().map(|n| n.hash(leaves)).collect()
}

/// The RFC 9162 inclusion proof of leaf `index` in the tree whose leaf
/// hashes are `leaves` (the tree size is `leaves.len()`).
///
/// Precondition: `index < leaves.len()`, else [`ProofError::IndexOutOfRange`].
/// Costs fewer than `leaves.len()` node hashes (the proof's subtrees are
/// disjoint).
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    hash_nodes(leaves, &inclusion_nodes(index, len_u64(leaves))?)
}

/// The RFC 9162 consistency proof from the tree of the first `old_size`
/// leaves to the tree of all of `leaves`.
///
/// Precondition: `old_size <= leaves.len()`, else
/// [`ProofError::SizesOutOfOrder`]. Empty when `old_size` is 0 or
/// `leaves.len()`. Costs fewer than `leaves.len()` node hashes.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    hash_nodes(leaves, &consistency_nodes(old_size, len_u64(leaves))?)
}

/// The number of hashes in an inclusion proof for `index < size`.
fn inclusion_len(index: u64, size: u64) -> usize {
    // The walk of `inclusion_nodes`, counted without allocating.
    let (mut lo, mut hi, mut n) = (0u64, size, 0usize);
    while hi.saturating_sub(lo) > 1 {
        let mid = lo + split_point(hi - lo);
        if index < mid {
            hi = mid;
        } else {
            lo = mid;
        }
        n += 1;
    }
    n
}

/// The number of hashes in a consistency proof for `0 < old_size < new_size`.
fn consistency_len(old_size: u64, new_size: u64) -> usize {
    let m = old_size;
    let (mut lo, mut hi, mut whole, mut n) = (0u64, new_size, true, 0usize);
    while m != hi && hi.saturating_sub(lo) > 1 {
        let mid = lo + split_point(hi - lo);
        if m <= mid {
            hi = mid;
        } else {
            lo = mid;
            whole = false;
        }
        n += 1;
    }
    n + usize::from(!whole)
}

/// The root that an inclusion proof leads to: RFC 9162 section 2.1.3.2,
/// steps 1 to 4, with `leaf_hash` as `hash`.
///
/// Preconditions: `index < size` (else [`ProofError::IndexOutOfRange`]) and
/// `proof` has exactly the length `inclusion_nodes(index, size)` has (else
/// [`ProofError::WrongProofLength`]).
pub fn root_from_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    // 1. leaf_index >= tree_size fails.
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let expected = inclusion_len(index, size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    let wrong_len = ProofError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    // 2. fn = leaf_index, sn = tree_size - 1.
    let (mut fnn, mut sn) = (index, size - 1);
    // 3. r = hash.
    let mut r = *leaf_hash;
    // 4. For each p in inclusion_path:
    for p in proof {
        // a. sn == 0: fail.
        if sn == 0 {
            return Err(wrong_len);
        }
        // b. LSB(fn) set, or fn == sn:
        if fnn & 1 == 1 || fnn == sn {
            r = node_hash(p, &r);
            // If LSB(fn) is not set, shift until it is or fn is 0.
            if fnn & 1 == 0 {
                while fnn & 1 == 0 && fnn != 0 {
                    fnn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            // Otherwise r = HASH(0x01 || r || p).
            r = node_hash(&r, p);
        }
        // c. Shift both once.
        fnn >>= 1;
        sn >>= 1;
    }
    // 5. sn must be 0 (the root comparison is the caller's).
    if sn != 0 {
        return Err(wrong_len);
    }
    Ok(r)
}

/// Verifies an RFC 9162 inclusion proof (section 2.1.3.2): that the leaf
/// whose leaf hash is `leaf_hash` is leaf `index` of the tree of `size`
/// leaves whose root is `root`.
///
/// Preconditions as for [`root_from_inclusion`]; a proof that leads to
/// another root fails with [`ProofError::RootMismatch`].
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion(leaf_hash, index, size, proof)?;
    if &computed != root {
        return Err(ProofError::RootMismatch { computed });
    }
    Ok(())
}

/// Verifies an RFC 9162 consistency proof (section 2.1.4.2): that the tree of
/// `new_size` leaves with root `new_root` extends the tree of `old_size`
/// leaves with root `old_root` (its first `old_size` leaves are that tree).
///
/// Preconditions: `old_size <= new_size` (else
/// [`ProofError::SizesOutOfOrder`]) and `proof` has exactly the length
/// `consistency_nodes(old_size, new_size)` has (else
/// [`ProofError::WrongProofLength`]). When `old_size == new_size` the roots
/// must be equal; when `old_size == 0`, `old_root` must be SHA-256("") (see
/// the module docs). A proof that does not lead to both roots fails with
/// [`ProofError::OldRootMismatch`] or [`ProofError::RootMismatch`].
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(ProofError::SizesOutOfOrder { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        if !proof.is_empty() {
            return Err(ProofError::WrongProofLength {
                expected: 0,
                got: proof.len(),
            });
        }
        if old_size == 0 && old_root != &empty_root() {
            return Err(ProofError::OldRootMismatch {
                computed: empty_root(),
            });
        }
        if old_size == new_size && old_root != new_root {
            return Err(ProofError::RootMismatch {
                computed: *old_root,
            });
        }
        return Ok(());
    }
    // From here 0 < first < second, as the RFC requires.
    let expected = consistency_len(old_size, new_size);
    if proof.len() != expected {
        return Err(ProofError::WrongProofLength {
            expected,
            got: proof.len(),
        });
    }
    let wrong_len = ProofError::WrongProofLength {
        expected,
        got: proof.len(),
    };
    // 2. If first is an exact power of 2, prepend first_hash.
    let mut path = old_size
        .is_power_of_two()
        .then_some(old_root)
        .into_iter()
        .chain(proof);
    // 1. An empty consistency_path fails.
    let Some(seed) = path.next() else {
        return Err(wrong_len);
    };
    // 3. fn = first - 1, sn = second - 1.
    let (mut fnn, mut sn) = (old_size - 1, new_size - 1);
    // 4. While LSB(fn) is set, shift both.
    while fnn & 1 == 1 {
        fnn >>= 1;
        sn >>= 1;
    }
    // 5. fr = sr = the first value.
    let (mut fr, mut sr) = (*seed, *seed);
    // 6. For each subsequent value c:
    for c in path {
        // a. sn == 0: fail.
        if sn == 0 {
            return Err(wrong_len);
        }
        // b. LSB(fn) set, or fn == sn:
        if fnn & 1 == 1 || fnn == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            // If LSB(fn) is not set, shift until it is or fn is 0.
            if fnn & 1 == 0 {
                while fnn & 1 == 0 && fnn != 0 {
                    fnn >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            // Otherwise sr = HASH(0x01 || sr || c).
            sr = node_hash(&sr, c);
        }
        // c. Shift both once.
        fnn >>= 1;
        sn >>= 1;
    }
    // 7. fr == first_hash, sr == second_hash, sn == 0.
    if sn != 0 {
        return Err(wrong_len);
    }
    if &fr != old_root {
        return Err(ProofError::OldRootMismatch { computed: fr });
    }
    if &sr != new_root {
        return Err(ProofError::RootMismatch { computed: sr });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::merkle::leaf_hash;

    fn leaves(n: u32) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    #[test]
    fn a_subtree_knows_its_length_and_emptiness() {
        assert!(Subtree { start: 3, end: 3 }.is_empty());
        assert!(Subtree { start: 4, end: 3 }.is_empty());
        let s = Subtree { start: 3, end: 7 };
        assert!(!s.is_empty());
        assert_eq!(s.len(), 4);
        assert!(s.is_perfect());
        assert!(!Subtree { start: 3, end: 6 }.is_perfect());
    }

    #[test]
    fn lengths_match_node_lists() {
        for size in 1..70u64 {
            for index in 0..size {
                assert_eq!(
                    inclusion_len(index, size),
                    inclusion_nodes(index, size).map(|v| v.len()).unwrap_or(99)
                );
            }
            for old in 1..size {
                assert_eq!(
                    consistency_len(old, size),
                    consistency_nodes(old, size).map(|v| v.len()).unwrap_or(99)
                );
            }
        }
    }

    #[test]
    fn huge_sizes_do_not_panic() {
        let h = [7u8; 32];
        for (a, b) in [
            (0, u64::MAX),
            (u64::MAX - 1, u64::MAX),
            (1, u64::MAX),
            (u64::MAX, u64::MAX),
            (1 << 63, u64::MAX),
        ] {
            let n = inclusion_nodes(a, b).map(|v| v.len()).unwrap_or(0);
            assert!(n <= 64);
            let n = consistency_nodes(a, b).map(|v| v.len()).unwrap_or(0);
            assert!(n <= 65);
            assert!(verify_inclusion(&h, a, b, &[h; 3], &h).is_err());
            assert!(verify_consistency(a, b, &h, &h, &[h; 3]).is_err());
        }
        // The longest proofs: 64 hashes for inclusion, 65 for consistency.
        assert_eq!(
            inclusion_nodes(u64::MAX - 2, u64::MAX).map(|v| v.len()),
            Ok(64)
        );
        assert_eq!(
            consistency_nodes(u64::MAX - 2, u64::MAX).map(|v| v.len()),
            Ok(65)
        );
        assert_eq!(consistency_len(u64::MAX - 2, u64::MAX), 65);
        let e = verify_consistency(u64::MAX - 2, u64::MAX, &h, &h, &[h; 65]);
        assert_eq!(e.map_err(|e| e.code()), Err(3403));
    }

    #[test]
    fn roundtrip_small() {
        let l = leaves(33);
        for n in 1..=l.len() {
            let t = l.get(..n).unwrap_or_default();
            let r = root(t);
            for (i, leaf) in (0u64..).zip(t) {
                let p = inclusion_proof(t, i).unwrap_or_default();
                assert_eq!(verify_inclusion(leaf, i, n as u64, &p, &r), Ok(()));
            }
            for m in 0..=n {
                let p = consistency_proof(t, m as u64).unwrap_or_default();
                let old = root(l.get(..m).unwrap_or_default());
                assert_eq!(
                    verify_consistency(m as u64, n as u64, &old, &r, &p),
                    Ok(()),
                    "{m} {n}"
                );
            }
        }
    }
}
