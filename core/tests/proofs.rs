//! RFC 9162 inclusion and consistency proofs: the published reference vectors
//! in `tests/vectors/merkle/` (see its README.md), systematic corruption of
//! every passing vector, and property tests against `merkle::root`.
#![cfg(feature = "json")]

use omega_core::tree::merkle::{self, leaf_hash};
use omega_core::tree::proof::{
    Subtree, consistency_nodes, consistency_proof, inclusion_nodes, inclusion_proof,
    root_from_inclusion, verify_consistency, verify_inclusion,
};
use omega_core::{ErrorCode, Hash, ProofError, hex};
use omega_core::api::Op;
use proptest::prelude::*;
use serde::Deserialize;

const INCLUSION: &str = include_str!("../../tests/vectors/merkle/inclusion.json");
const CONSISTENCY: &str = include_str!("../../tests/vectors/merkle/consistency.json");
const REFERENCE_TREE: &str = include_str!("../../tests/vectors/merkle/reference-tree-all.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File<C> {
    #[allow(dead_code)]
    about: String,
    leaf_inputs: Vec<String>,
    roots: Vec<String>,
    cases: Vec<C>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InclusionCase {
    name: String,
    #[allow(dead_code)]
    source: String,
    leaf_index: u64,
    tree_size: u64,
    leaf_hash: String,
    proof: Vec<String>,
    root: String,
    want_err: bool,
    code: Option<u16>,
    #[serde(default)]
    published: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsistencyCase {
    name: String,
    #[allow(dead_code)]
    source: String,
    old_size: u64,
    new_size: u64,
    old_root: String,
    new_root: String,
    proof: Vec<String>,
    want_err: bool,
    code: Option<u16>,
    #[serde(default)]
    published: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceTree {
    #[allow(dead_code)]
    about: String,
    leaf_inputs: Vec<String>,
    roots: Vec<String>,
    inclusion: Vec<RefInclusion>,
    consistency: Vec<RefConsistency>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefInclusion {
    leaf_index: u64,
    tree_size: u64,
    proof: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefConsistency {
    old_size: u64,
    new_size: u64,
    proof: Vec<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("vector file does not parse: {e}"))
}

/// A 32-byte hash from 64 lowercase hex characters; `None` for anything else.
fn h(s: &str) -> Option<Hash> {
    hex::decode_array::<32>(s)
}

fn hashes(v: &[String]) -> Option<Vec<Hash>> {
    v.iter().map(|s| h(s)).collect()
}

fn must(s: &str) -> Hash {
    h(s).unwrap_or_else(|| panic!("not a hash: {s:?}"))
}

/// Leaf data from hex of any even length.
fn bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| {
            u8::from_str_radix(s.get(2 * i..2 * i + 2).unwrap_or("zz"), 16)
                .unwrap_or_else(|e| panic!("{s:?}: {e}"))
        })
        .collect()
}

/// The reference tree's leaf hashes, checked against its published roots.
fn reference_leaves(inputs: &[String], roots: &[String]) -> Vec<Hash> {
    let leaves: Vec<Hash> = inputs.iter().map(|s| leaf_hash(&bytes(s))).collect();
    assert_eq!(roots.len(), leaves.len() + 1);
    for (n, r) in roots.iter().enumerate() {
        assert_eq!(
            merkle::root(&leaves[..n]),
            must(r),
            "published root of size {n}"
        );
    }
    leaves
}

fn code(r: Result<(), ProofError>) -> Option<u16> {
    r.err().map(|e| e.code())
}

fn flip(h: &Hash, bit: usize) -> Hash {
    let mut x = *h;
    x[bit / 8] ^= 1 << (bit % 8);
    x
}

/// Which side each inclusion-proof node is on (true: left of the leaf). Two
/// (index, size) pairs with the same shape make the RFC algorithm compute the
/// same root from the same hashes: RFC 9162 proofs bind the size only through
/// the root, so such a pair cannot be told apart by verification alone.
fn inclusion_shape(index: u64, size: u64) -> Option<Vec<bool>> {
    inclusion_nodes(index, size)
        .ok()
        .map(|v| v.iter().map(|n| n.start < index).collect())
}

/// Same idea for consistency proofs: whether the old root is a proof node,
/// and for each node whether it lies inside the old tree.
fn consistency_shape(old: u64, new: u64) -> Option<(bool, Vec<bool>)> {
    if old == 0 || old >= new {
        return None;
    }
    consistency_nodes(old, new).ok().map(|v| {
        (
            old.is_power_of_two(),
            v.iter().map(|n| n.start < old).collect(),
        )
    })
}

/// Every way of breaking a valid inclusion proof must fail; wrong sizes may
/// pass only when their proof shape is identical (see `inclusion_shape`).
fn corrupt_inclusion(
    name: &str,
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> usize {
    let mut checked = 0;
    let mut fails = |what: &str, r: Result<(), ProofError>| {
        assert!(r.is_err(), "{name}: {what} verified");
        checked += 1;
    };
    // Every single bit of every proof hash.
    for (i, p) in proof.iter().enumerate() {
        for bit in 0..256 {
            let mut q = proof.to_vec();
            q[i] = flip(p, bit);
            fails(
                &format!("proof[{i}] bit {bit}"),
                verify_inclusion(leaf, index, size, &q, root),
            );
        }
    }
    // Truncated, extended, reordered.
    if !proof.is_empty() {
        fails(
            "dropped last",
            verify_inclusion(leaf, index, size, &proof[..proof.len() - 1], root),
        );
        fails(
            "dropped first",
            verify_inclusion(leaf, index, size, &proof[1..], root),
        );
    }
    for extra in [[0u8; 32], *root, *leaf, merkle::empty_root()] {
        let mut q = proof.to_vec();
        q.push(extra);
        fails("appended", verify_inclusion(leaf, index, size, &q, root));
        q.pop();
        q.insert(0, extra);
        fails("prepended", verify_inclusion(leaf, index, size, &q, root));
    }
    if proof.len() > 1 && proof.first() != proof.last() {
        let mut q = proof.to_vec();
        q.reverse();
        fails("reversed", verify_inclusion(leaf, index, size, &q, root));
    }
    // Wrong index: a different leaf position never has the same path.
    for i in [
        index.wrapping_sub(1),
        index.wrapping_add(1),
        index ^ 1,
        index ^ 2,
        size,
        u64::MAX,
    ] {
        if i != index {
            fails(
                &format!("index {i}"),
                verify_inclusion(leaf, i, size, proof, root),
            );
        }
    }
    // Wrong size.
    for s in [
        size.wrapping_sub(1),
        size + 1,
        size * 2,
        size / 2,
        0,
        u64::MAX,
    ] {
        if s == size {
            continue;
        }
        let r = verify_inclusion(leaf, index, s, proof, root);
        let same = inclusion_shape(index, s).is_some()
            && inclusion_shape(index, s) == inclusion_shape(index, size);
        assert_eq!(
            r.is_ok(),
            same,
            "{name}: size {s} (same shape: {same}): {r:?}"
        );
        checked += 1;
    }
    // Wrong root, wrong leaf.
    for bit in [0, 7, 100, 255] {
        assert_eq!(
            code(verify_inclusion(leaf, index, size, proof, &flip(root, bit))),
            Some(3403),
            "{name}"
        );
        assert_eq!(
            code(verify_inclusion(&flip(leaf, bit), index, size, proof, root)),
            Some(3403),
            "{name}"
        );
        checked += 2;
    }
    checked
}

/// Every way of breaking a valid non-trivial consistency proof must fail;
/// wrong sizes may pass only with an identical proof shape.
fn corrupt_consistency(
    name: &str,
    old: u64,
    new: u64,
    r1: &Hash,
    r2: &Hash,
    proof: &[Hash],
) -> usize {
    assert!(0 < old && old < new && !proof.is_empty());
    let mut checked = 0;
    let mut fails = |what: &str, r: Result<(), ProofError>| {
        assert!(r.is_err(), "{name}: {what} verified");
        checked += 1;
    };
    for (i, p) in proof.iter().enumerate() {
        for bit in 0..256 {
            let mut q = proof.to_vec();
            q[i] = flip(p, bit);
            fails(
                &format!("proof[{i}] bit {bit}"),
                verify_consistency(old, new, r1, r2, &q),
            );
        }
    }
    fails("empty", verify_consistency(old, new, r1, r2, &[]));
    fails(
        "dropped last",
        verify_consistency(old, new, r1, r2, &proof[..proof.len() - 1]),
    );
    fails(
        "dropped first",
        verify_consistency(old, new, r1, r2, &proof[1..]),
    );
    for extra in [[0u8; 32], *r1, *r2, proof[0], merkle::empty_root()] {
        let mut q = proof.to_vec();
        q.push(extra);
        fails("appended", verify_consistency(old, new, r1, r2, &q));
        q.pop();
        q.insert(0, extra);
        fails("prepended", verify_consistency(old, new, r1, r2, &q));
    }
    fails("swapped roots", verify_consistency(old, new, r2, r1, proof));
    for bit in [0, 9, 128, 255] {
        assert_eq!(
            code(verify_consistency(old, new, &flip(r1, bit), r2, proof)),
            Some(3403),
            "{name}"
        );
        assert_eq!(
            code(verify_consistency(old, new, r1, &flip(r2, bit), proof)),
            Some(3403),
            "{name}"
        );
        checked += 2;
    }
    let base = consistency_shape(old, new);
    for (o, n) in [
        (old - 1, new),
        (old + 1, new),
        (old ^ 2, new),
        (old, new - 1),
        (old, new + 1),
        (old, new * 2),
        (old, new / 2),
        (0, new),
        (new, new),
        (old, old),
        (old, u64::MAX),
    ] {
        if (o, n) == (old, new) {
            continue;
        }
        let r = verify_consistency(o, n, r1, r2, proof);
        let same = consistency_shape(o, n).is_some() && consistency_shape(o, n) == base;
        assert_eq!(
            r.is_ok(),
            same,
            "{name}: sizes {o}, {n} (same shape: {same}): {r:?}"
        );
        checked += 1;
    }
    checked
}

#[test]
fn inclusion_vectors() {
    // 10 proof hashes x 256 bit flips, plus the other probes, over the published proofs.
    const PROBES: usize = 2739;
    let file: File<InclusionCase> = parse(INCLUSION);
    let leaves = reference_leaves(&file.leaf_inputs, &file.roots);
    let (mut ok, mut failing, mut malformed, mut generated, mut probes) = (0, 0, 0, 0, 0);
    for c in &file.cases {
        let name = &c.name;
        let (Some(leaf), Some(root), Some(proof)) = (h(&c.leaf_hash), h(&c.root), hashes(&c.proof))
        else {
            // A value that is not a 32-byte hash cannot even be passed in.
            assert!(
                c.want_err && c.code.is_none(),
                "{name}: only failing cases may hold non-hash values"
            );
            malformed += 1;
            continue;
        };
        let got = verify_inclusion(&leaf, c.leaf_index, c.tree_size, &proof, &root);
        assert_eq!(got.is_err(), c.want_err, "{name}: {got:?}");
        assert_eq!(code(got.clone()), c.code, "{name}: {got:?}");
        if c.want_err {
            failing += 1;
            continue;
        }
        ok += 1;
        assert_eq!(
            root_from_inclusion(&leaf, c.leaf_index, c.tree_size, &proof),
            Ok(root),
            "{name}"
        );
        // Generation gives the published proof, from the reference tree's leaves.
        let idx = usize::try_from(c.leaf_index).unwrap_or(usize::MAX);
        let size = usize::try_from(c.tree_size).unwrap_or(usize::MAX);
        if size <= leaves.len() && leaves.get(idx) == Some(&leaf) {
            assert_eq!(
                inclusion_proof(&leaves[..size], c.leaf_index),
                Ok(proof.clone()),
                "{name}"
            );
            let nodes = inclusion_nodes(c.leaf_index, c.tree_size).unwrap_or_default();
            let from_nodes: Vec<Hash> = nodes
                .iter()
                .map(|n| n.hash(&leaves[..size]).unwrap_or([0; 32]))
                .collect();
            assert_eq!(from_nodes, proof, "{name}");
            generated += 1;
        }
        probes += corrupt_inclusion(name, &leaf, c.leaf_index, c.tree_size, &proof, &root);
    }
    let published = file.cases.iter().filter(|c| c.published).count();
    assert_eq!((ok, published), (6, 6), "passing cases");
    assert_eq!(generated, 5, "published proofs regenerated");
    assert_eq!(failing + malformed + ok, file.cases.len());
    assert!(
        failing >= 60 && malformed >= 10,
        "{failing} failing, {malformed} malformed"
    );
    assert!(probes >= PROBES, "{probes} corruption probes");
}

#[test]
fn consistency_vectors() {
    // 11 proof hashes x 256 bit flips, plus the other probes, over the published proofs.
    const PROBES: usize = 2948;
    let file: File<ConsistencyCase> = parse(CONSISTENCY);
    let leaves = reference_leaves(&file.leaf_inputs, &file.roots);
    let (mut ok, mut failing, mut malformed, mut generated, mut probes) = (0, 0, 0, 0, 0);
    for c in &file.cases {
        let name = &c.name;
        let (Some(r1), Some(r2), Some(proof)) = (h(&c.old_root), h(&c.new_root), hashes(&c.proof))
        else {
            assert!(
                c.want_err && c.code.is_none(),
                "{name}: only failing cases may hold non-hash values"
            );
            malformed += 1;
            continue;
        };
        let got = verify_consistency(c.old_size, c.new_size, &r1, &r2, &proof);
        assert_eq!(got.is_err(), c.want_err, "{name}: {got:?}");
        assert_eq!(code(got.clone()), c.code, "{name}: {got:?}");
        if c.want_err {
            failing += 1;
            continue;
        }
        ok += 1;
        let m = usize::try_from(c.old_size).unwrap_or(usize::MAX);
        let n = usize::try_from(c.new_size).unwrap_or(usize::MAX);
        if n <= leaves.len() && merkle::root(&leaves[..m]) == r1 && merkle::root(&leaves[..n]) == r2
        {
            assert_eq!(
                consistency_proof(&leaves[..n], c.old_size),
                Ok(proof.clone()),
                "{name}"
            );
            generated += 1;
        }
        if !proof.is_empty() {
            probes += corrupt_consistency(name, c.old_size, c.new_size, &r1, &r2, &proof);
        }
    }
    let published = file.cases.iter().filter(|c| c.published).count();
    assert_eq!(published, 5, "published passing cases");
    assert_eq!(
        ok, 8,
        "passing cases (5 published, 3 of omega's edge-case rules)"
    );
    assert_eq!(generated, 8, "passing proofs regenerated");
    assert_eq!(failing + malformed + ok, file.cases.len());
    assert!(
        failing >= 70 && malformed >= 8,
        "{failing} failing, {malformed} malformed"
    );
    assert!(probes >= PROBES, "{probes} corruption probes");
}

#[test]
fn every_proof_of_the_reference_tree() {
    let file: ReferenceTree = parse(REFERENCE_TREE);
    let leaves = reference_leaves(&file.leaf_inputs, &file.roots);
    let roots: Vec<Hash> = file.roots.iter().map(|r| must(r)).collect();
    assert_eq!((file.inclusion.len(), file.consistency.len()), (36, 45));
    for c in &file.inclusion {
        let proof = hashes(&c.proof).unwrap_or_default();
        let (i, n) = (c.leaf_index as usize, c.tree_size as usize);
        assert_eq!(
            inclusion_proof(&leaves[..n], c.leaf_index),
            Ok(proof.clone()),
            "{i} in {n}"
        );
        assert_eq!(
            verify_inclusion(&leaves[i], c.leaf_index, c.tree_size, &proof, &roots[n]),
            Ok(())
        );
        corrupt_inclusion(
            &format!("{i} in {n}"),
            &leaves[i],
            c.leaf_index,
            c.tree_size,
            &proof,
            &roots[n],
        );
    }
    for c in &file.consistency {
        let proof = hashes(&c.proof).unwrap_or_default();
        let (m, n) = (c.old_size as usize, c.new_size as usize);
        assert_eq!(
            consistency_proof(&leaves[..n], c.old_size),
            Ok(proof.clone()),
            "{m} to {n}"
        );
        assert_eq!(
            verify_consistency(c.old_size, c.new_size, &roots[m], &roots[n], &proof),
            Ok(()),
            "{m} to {n}"
        );
        if !proof.is_empty() {
            corrupt_consistency(
                &format!("{m} to {n}"),
                c.old_size,
                c.new_size,
                &roots[m],
                &roots[n],
                &proof,
            );
        }
    }
}

/// RFC 9162 section 2.1.3.1 PATH and 2.1.4.1 SUBPROOF, recursively, as an
/// independent reference for the iterative node lists.
fn ref_path(m: usize, d: &[Hash]) -> Vec<Hash> {
    if d.len() <= 1 {
        return vec![];
    }
    let k = split(d.len());
    if m < k {
        [ref_path(m, &d[..k]), vec![merkle::root(&d[k..])]].concat()
    } else {
        [ref_path(m - k, &d[k..]), vec![merkle::root(&d[..k])]].concat()
    }
}

fn ref_subproof(m: usize, d: &[Hash], whole: bool) -> Vec<Hash> {
    if m == d.len() {
        return if whole { vec![] } else { vec![merkle::root(d)] };
    }
    let k = split(d.len());
    if m <= k {
        [ref_subproof(m, &d[..k], whole), vec![merkle::root(&d[k..])]].concat()
    } else {
        [
            ref_subproof(m - k, &d[k..], false),
            vec![merkle::root(&d[..k])],
        ]
        .concat()
    }
}

fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn synthetic(n: usize) -> Vec<Hash> {
    (0..n as u32).map(|i| leaf_hash(&i.to_le_bytes())).collect()
}

#[test]
fn exhaustive_small_trees_match_the_recursive_definition() {
    let leaves = synthetic(70);
    for n in 1..=leaves.len() {
        let d = &leaves[..n];
        let root = merkle::root(d);
        for i in 0..n {
            let p = inclusion_proof(d, i as u64).unwrap_or_default();
            assert_eq!(p, ref_path(i, d), "inclusion {i} in {n}");
            assert_eq!(
                verify_inclusion(&d[i], i as u64, n as u64, &p, &root),
                Ok(())
            );
        }
        for m in 1..=n {
            let p = consistency_proof(d, m as u64).unwrap_or_default();
            assert_eq!(p, ref_subproof(m, d, true), "consistency {m} to {n}");
            assert_eq!(
                verify_consistency(m as u64, n as u64, &merkle::root(&d[..m]), &root, &p),
                Ok(())
            );
        }
    }
}

#[test]
fn node_lists_are_nodes_of_the_tree() {
    for size in 1..=300u64 {
        for index in 0..size {
            for n in inclusion_nodes(index, size).unwrap_or_default() {
                assert!(!n.is_empty() && n.end <= size);
                assert!(
                    n.is_perfect() && n.start % n.len() == 0 || n.end == size,
                    "{n:?} in {size}"
                );
                assert!(
                    index < n.start || index >= n.end,
                    "a sibling never covers the leaf"
                );
            }
        }
        for old in 1..size {
            let nodes = consistency_nodes(old, size).unwrap_or_default();
            assert!(!nodes.is_empty());
            for n in &nodes {
                assert!(
                    n.is_perfect() && n.start % n.len() == 0 || n.end == size,
                    "{n:?} in {size}"
                );
            }
        }
    }
    assert_eq!(consistency_nodes(0, 5), Ok(vec![]));
    assert_eq!(consistency_nodes(5, 5), Ok(vec![]));
    assert_eq!(inclusion_nodes(0, 1), Ok(vec![]));
    assert_eq!(
        inclusion_nodes(5, 8),
        Ok(vec![
            Subtree { start: 4, end: 5 },
            Subtree { start: 6, end: 8 },
            Subtree { start: 0, end: 4 }
        ])
    );
}

#[test]
fn bad_inputs_are_typed_errors() {
    let l = synthetic(8);
    let r = merkle::root(&l);
    assert_eq!(
        inclusion_nodes(0, 0),
        Err(ProofError::IndexOutOfRange { index: 0, size: 0 })
    );
    assert_eq!(
        inclusion_proof(&l, 8),
        Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
    );
    assert_eq!(inclusion_proof(&[], 0).map_err(|e| e.code()), Err(3401));
    assert_eq!(
        consistency_nodes(9, 8),
        Err(ProofError::SizesOutOfOrder {
            old_size: 9,
            new_size: 8
        })
    );
    assert_eq!(consistency_proof(&l, 9).map_err(|e| e.code()), Err(3401));
    assert_eq!(consistency_proof(&l, 0), Ok(vec![]));
    assert_eq!(consistency_proof(&l, 8), Ok(vec![]));
    assert_eq!(consistency_proof(&[], 0), Ok(vec![]));
    assert_eq!(
        verify_inclusion(&l[0], 0, 8, &[], &r),
        Err(ProofError::WrongProofLength {
            expected: 3,
            got: 0
        })
    );
    assert_eq!(
        verify_consistency(3, 8, &r, &r, &[r; 9]),
        Err(ProofError::WrongProofLength {
            expected: 4,
            got: 9
        })
    );
    let e = verify_consistency(0, 8, &r, &r, &[]);
    assert_eq!(
        e,
        Err(ProofError::OldRootMismatch {
            computed: merkle::empty_root()
        })
    );
    assert_eq!(
        verify_consistency(0, 8, &merkle::empty_root(), &r, &[]),
        Ok(())
    );
    assert_eq!(
        verify_consistency(0, 0, &merkle::empty_root(), &merkle::empty_root(), &[]),
        Ok(())
    );
    assert_eq!(verify_consistency(4, 4, &r, &r, &[]), Ok(()));
    assert_eq!(
        verify_consistency(4, 4, &r, &l[0], &[]).map_err(|e| e.code()),
        Err(3403)
    );
    assert_eq!(
        Subtree { start: 3, end: 9 }.hash(&l).map_err(|e| e.code()),
        Err(3401)
    );
    assert_eq!(
        Subtree { start: 3, end: 3 }.hash(&l).map_err(|e| e.code()),
        Err(3401)
    );
    // Every message names what went wrong.
    for (e, text) in [
        (
            ProofError::IndexOutOfRange { index: 8, size: 8 },
            "leaf index 8 is not in a tree of size 8",
        ),
        (
            ProofError::SizesOutOfOrder {
                old_size: 9,
                new_size: 8,
            },
            "old tree size 9 is larger than new tree size 8",
        ),
        (
            ProofError::WrongProofLength {
                expected: 3,
                got: 4,
            },
            "proof has 4 hashes; these tree sizes need exactly 3",
        ),
    ] {
        assert_eq!(e.to_string(), text);
    }
    assert!(
        ProofError::RootMismatch {
            computed: [0xab; 32]
        }
        .to_string()
        .contains(&"ab".repeat(32))
    );
}

#[test]
fn a_million_leaves() {
    // O(n) per proof: fast in release; a smaller tree keeps debug runs short.
    let n: u64 = if cfg!(debug_assertions) {
        (1 << 14) + 7
    } else {
        (1 << 20) + 7
    };
    let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let root = merkle::root(&leaves);
    for index in [0, 1, n / 2, n - 8, n - 1] {
        let p = inclusion_proof(&leaves, index).unwrap_or_default();
        assert_eq!(
            verify_inclusion(&leaves[index as usize], index, n, &p, &root),
            Ok(())
        );
    }
    for old in [1, 1000, n / 2 + 3, n - 1] {
        let p = consistency_proof(&leaves, old).unwrap_or_default();
        let r1 = merkle::root(&leaves[..old as usize]);
        assert_eq!(verify_consistency(old, n, &r1, &root, &p), Ok(()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn inclusion_proofs_verify(size in 1usize..300, pick in any::<u64>(), bit in 0usize..256, seed in any::<u32>()) {
        let leaves: Vec<Hash> = (0..size as u32).map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat())).collect();
        let root = merkle::root(&leaves);
        let index = pick % size as u64;
        let proof = inclusion_proof(&leaves, index).unwrap_or_default();
        prop_assert_eq!(proof.len(), inclusion_nodes(index, size as u64).map(|v| v.len()).unwrap_or(usize::MAX));
        prop_assert_eq!(verify_inclusion(&leaves[index as usize], index, size as u64, &proof, &root), Ok(()));
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let at = (pick as usize / size) % bad.len();
            bad[at] = flip(&bad[at], bit);
            prop_assert!(verify_inclusion(&leaves[index as usize], index, size as u64, &bad, &root).is_err());
        }
        // And every other index of the same tree, on small trees.
        if size <= 40 {
            for i in 0..size as u64 {
                let p = inclusion_proof(&leaves, i).unwrap_or_default();
                prop_assert_eq!(verify_inclusion(&leaves[i as usize], i, size as u64, &p, &root), Ok(()));
            }
        }
    }

    #[test]
    fn consistency_proofs_verify(new in 1usize..300, pick in any::<u64>(), bit in 0usize..256, seed in any::<u32>()) {
        let leaves: Vec<Hash> = (0..new as u32).map(|i| leaf_hash(&[seed.to_be_bytes(), i.to_be_bytes()].concat())).collect();
        let old = (pick % (new as u64 + 1)) as usize;
        let (r1, r2) = (merkle::root(&leaves[..old]), merkle::root(&leaves));
        let proof = consistency_proof(&leaves, old as u64).unwrap_or_default();
        prop_assert_eq!(verify_consistency(old as u64, new as u64, &r1, &r2, &proof), Ok(()));
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let at = (pick as usize / (new + 1)) % bad.len();
            bad[at] = flip(&bad[at], bit);
            prop_assert!(verify_consistency(old as u64, new as u64, &r1, &r2, &bad).is_err());
            prop_assert!(verify_consistency(old as u64, new as u64, &flip(&r1, bit), &r2, &proof).is_err());
            prop_assert!(verify_consistency(old as u64, new as u64, &r1, &flip(&r2, bit), &proof).is_err());
        }
        // A tree is never consistent with a different tree of the same or a later size.
        if old > 0 {
            let mut other = leaves.clone();
            other[old - 1] = flip(&other[old - 1], bit);
            let r2x = merkle::root(&other);
            prop_assert!(verify_consistency(old as u64, new as u64, &r1, &r2x, &proof).is_err());
        }
    }

    #[test]
    fn any_input_is_an_answer_not_a_panic(
        a in any::<u64>(), b in any::<u64>(), small_a in 0u64..600, small_b in 0u64..600,
        len in 0usize..70, fill in any::<u8>(),
    ) {
        let hsh = [fill; 32];
        let proof = vec![hsh; len];
        for (x, y) in [(a, b), (small_a, small_b), (small_a, b), (a, small_b), (b.saturating_sub(1), b), (a, a)] {
            let _ = verify_inclusion(&hsh, x, y, &proof, &hsh);
            let _ = root_from_inclusion(&hsh, x, y, &proof);
            let _ = verify_consistency(x, y, &hsh, &hsh, &proof);
            if let Ok(v) = inclusion_nodes(x, y) { prop_assert!(v.len() <= 64); }
            if let Ok(v) = consistency_nodes(x, y) { prop_assert!(v.len() <= 65); }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Op 21 and the `leaves` format of the proof ops on arbitrary bytes: a
    /// root (equal to `merkle::root` of the 32-byte chunks) or error 3407,
    /// never a panic; an inclusion proof from leaves equals the core's.
    #[test]
    fn raw_leaf_hashes_give_a_root_or_3407(bytes in proptest::collection::vec(any::<u8>(), 0..700), index in 0u64..40) {
        use omega_core::api::abi::{STATUS_ERROR, STATUS_OK};
        use omega_core::api::ops::{self, make_fields};
        let r = ops::run(Op::MerkleRoot, &make_fields(&[&bytes]));
        let p = ops::run(Op::ProveInclusion, &make_fields(&[&bytes, b"leaves", index.to_string().as_bytes()]));
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON");
        if bytes.len() % 32 == 0 {
            let leaves: Vec<Hash> = bytes.chunks_exact(32).map(|c| c.try_into().expect("32 bytes")).collect();
            prop_assert_eq!(r.status, STATUS_OK);
            let root = hex::encode(&merkle::root(&leaves));
            prop_assert_eq!(v["root"].as_str(), Some(root.as_str()));
            prop_assert_eq!(v["tree_size"].as_u64(), Some(leaves.len() as u64));
            match inclusion_proof(&leaves, index) {
                Ok(want) => {
                    let got: serde_json::Value = serde_json::from_slice(&p.body).expect("JSON");
                    let want: Vec<String> = want.iter().map(|h| hex::encode(h)).collect();
                    prop_assert_eq!(p.status, STATUS_OK);
                    prop_assert_eq!(got["proof"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect::<Vec<_>>()), Some(want));
                }
                Err(_) => prop_assert_eq!(p.status, STATUS_ERROR),
            }
        } else {
            prop_assert_eq!(r.status, STATUS_ERROR);
            prop_assert_eq!(v["code"].as_u64(), Some(3407));
            prop_assert_eq!(p.status, STATUS_ERROR);
        }
    }
}
