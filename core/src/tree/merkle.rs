//! The RFC 6962 / RFC 9162 Merkle tree hash.
//!
//! Leaf hash `SHA-256(0x00 || leaf)`, node hash `SHA-256(0x01 || left || right)`,
//! empty tree `SHA-256("")`. A [`CompactRange`] holds the roots of the perfect
//! subtrees that make up a tree of any size (one per set bit of the size), so a
//! log can be extended leaf by leaf in O(log n) memory.
use crate::hash::{Hash, sha256, sha256_parts};
use alloc::vec::Vec;

/// RFC 6962 leaf hash: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    sha256_parts(&[&[0x00], data])
}

/// RFC 6962 interior node hash: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha256_parts(&[&[0x01], left, right])
}

/// Root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    sha256(b"")
}

/// The Merkle tree hash of a list of leaf hashes (RFC 9162 section 2.1.1).
pub fn root(leaf_hashes: &[Hash]) -> Hash {
    let mut r = CompactRange::new();
    for l in leaf_hashes {
        r.push(*l);
    }
    r.root()
}

/// The roots of the perfect subtrees covering leaves `[0, size)`, largest (leftmost) first.
///
/// Invariant: `peaks.len() == size.count_ones()`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompactRange {
    size: u64,
    peaks: Vec<Hash>,
}

impl CompactRange {
    /// The empty tree.
    pub const fn new() -> Self {
        CompactRange { size: 0, peaks: Vec::new() }
    }

    /// Rebuilds a range from its parts. Returns `None` unless
    /// `peaks.len() == size.count_ones()`.
    pub fn from_parts(size: u64, peaks: Vec<Hash>) -> Option<Self> {
        (usize::try_from(size.count_ones()).ok() == Some(peaks.len())).then_some(CompactRange { size, peaks })
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The perfect-subtree roots, leftmost (largest) first.
    pub fn peaks(&self) -> &[Hash] {
        &self.peaks
    }

    /// Appends one leaf hash. O(log n) worst case, O(1) amortised.
    ///
    /// A tree of 2^64 - 1 leaves cannot grow; the push is ignored there
    /// (unreachable in practice: it would take centuries of hashing).
    pub fn push(&mut self, leaf: Hash) {
        let Some(new_size) = self.size.checked_add(1) else { return };
        let mut acc = leaf;
        // One merge per trailing zero bit of the new size.
        for _ in 0..new_size.trailing_zeros() {
            match self.peaks.pop() {
                Some(left) => acc = node_hash(&left, &acc),
                None => break,
            }
        }
        self.peaks.push(acc);
        self.size = new_size;
    }

    /// The tree hash of the covered leaves.
    pub fn root(&self) -> Hash {
        let mut it = self.peaks.iter().rev();
        let Some(last) = it.next() else { return empty_root() };
        let mut acc = *last;
        for left in it {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// The RFC 9162 (section 2.1.4.1) consistency proof from the tree `old`
/// covers to that tree extended by the leaf hashes `appended`, computed from
/// `old`'s compact range and the appended leaves alone (the old leaves are
/// not needed: every proof node inside the old tree is one of its peaks).
///
/// Empty when `old` is empty or nothing was appended (both are trivially
/// consistent). Returns `None` only if the sizes overflow `u64`.
pub fn consistency_from_range(old: &CompactRange, appended: &[Hash]) -> Option<Vec<Hash>> {
    let m = old.size;
    let n = m.checked_add(u64::try_from(appended.len()).ok()?)?;
    let mut out = Vec::new();
    if m == 0 || n == m {
        return Some(out);
    }
    // Subtree hash of leaves [lo, hi): an old peak, or built from appended leaves.
    let mth = |lo: u64, hi: u64| -> Option<Hash> {
        if hi <= m {
            let mut start = 0u64;
            for (bit, peak) in (0..64u32).rev().filter(|b| (m >> b) & 1 == 1).zip(old.peaks.iter()) {
                let end = start + (1u64 << bit);
                if (start, end) == (lo, hi) {
                    return Some(*peak);
                }
                start = end;
            }
            None
        } else if lo >= m {
            let a = usize::try_from(lo - m).ok()?;
            let b = usize::try_from(hi - m).ok()?;
            appended.get(a..b).map(root)
        } else {
            None
        }
    };
    // RFC 9162 SUBPROOF(m, D[lo:hi], b), iteratively unrolled into recursion depth <= 64.
    fn sub(m: u64, lo: u64, hi: u64, whole: bool, mth: &dyn Fn(u64, u64) -> Option<Hash>, out: &mut Vec<Hash>) -> Option<()> {
        if m == hi {
            if !whole {
                out.push(mth(lo, hi)?);
            }
            return Some(());
        }
        let len = hi - lo;
        let k = if len.is_power_of_two() { len / 2 } else { 1u64 << (63 - len.leading_zeros()) };
        if m - lo <= k {
            sub(m, lo, lo + k, whole, mth, out)?;
            out.push(mth(lo + k, hi)?);
        } else {
            sub(m, lo + k, hi, false, mth, out)?;
            out.push(mth(lo, lo + k)?);
        }
        Some(())
    }
    sub(m, 0, n, true, &mth, &mut out)?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    /// RFC 6962's definition, recursively, as an independent reference.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn matches_recursive_definition() {
        let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
        for n in 0..leaves.len() {
            let mut r = CompactRange::new();
            for l in &leaves[..n] {
                r.push(*l);
            }
            assert_eq!(r.peaks().len() as u32, (n as u64).count_ones());
            assert_eq!(r.root(), mth(&leaves[..n]), "size {n}");
        }
    }

    #[test]
    fn rfc6962_test_vectors() {
        // The eight leaves used by the RFC 6962 reference tests (certificate-transparency-go).
        let inputs: [&[u8]; 8] = [
            b"",
            &[0x00],
            &[0x10],
            &[0x20, 0x21],
            &[0x30, 0x31],
            &[0x40, 0x41, 0x42, 0x43],
            &[0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57],
            &[0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f],
        ];
        let roots = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let mut r = CompactRange::new();
        assert_eq!(hex::encode(&r.root()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        for (i, input) in inputs.iter().enumerate() {
            r.push(leaf_hash(input));
            assert_eq!(hex::encode(&r.root()), roots[i], "size {}", i + 1);
        }
    }

    #[test]
    fn from_parts_checks_shape() {
        assert!(CompactRange::from_parts(3, alloc::vec![[0; 32]]).is_none());
        assert!(CompactRange::from_parts(3, alloc::vec![[0; 32], [1; 32]]).is_some());
    }
}
