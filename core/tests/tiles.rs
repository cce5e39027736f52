//! Op 29 (proofs from C2SP tiles) against the whole-tree ops 9 and 10:
//! given no tiles it names exactly the tiles it needs; given those (or
//! wider ones of the same index) it answers with op 9's or op 10's bytes;
//! given a changed tile and the trusted root it refuses (3414), and given
//! any subset it either asks for the rest or answers, never panicking.
use omega_core::api::request::make_fields;
use omega_core::api::{Op, abi, code};
use omega_core::tree::merkle::leaf_hash;
use omega_core::tree::tiles::{Edge, Tile};
use omega_core::Hash;
use proptest::prelude::*;
use std::collections::BTreeMap;

fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect()
}

/// Every tile a writer leaves at each size of `sizes` (partials of earlier sizes kept).
fn store(sizes: &[u64]) -> (Vec<Hash>, BTreeMap<Tile, Vec<u8>>) {
    let all = leaves(*sizes.last().unwrap());
    let mut e = Edge::new();
    let mut out = BTreeMap::new();
    let mut at = 0;
    for &s in sizes {
        out.extend(e.extend(&all[at as usize..s as usize]));
        at = s;
    }
    (all, out)
}

fn op29(kind: &str, at: u64, size: u64, root: &str, tiles: &[(String, Vec<u8>)]) -> abi::Response {
    let (a, n) = (at.to_string(), size.to_string());
    let mut f: Vec<&[u8]> = vec![kind.as_bytes(), a.as_bytes(), n.as_bytes(), root.as_bytes()];
    for (p, b) in tiles {
        f.push(p.as_bytes());
        f.push(b);
    }
    abi::call(Op::ProveTiles.code(), &make_fields(&f))
}

fn whole(op: Op, all: &[Hash], size: u64, at: u64) -> abi::Response {
    let bytes: Vec<u8> = all[..size as usize].concat();
    abi::call(op.code(), &make_fields(&[&bytes, b"leaves", at.to_string().as_bytes()]))
}

/// Asks op 29 what it needs, hands over those tiles from `store`, and returns the answer.
fn two_rounds(kind: &str, at: u64, size: u64, root: &str, store: &BTreeMap<Tile, Vec<u8>>) -> abi::Response {
    let r = op29(kind, at, size, root, &[]);
    if r.status != 1 {
        return r;
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let mut give = Vec::new();
    for p in v["tiles"].as_array().unwrap() {
        let (t, _) = Tile::parse(p.as_str().unwrap()).unwrap();
        // the tile at its width, else the narrowest wider one of its index
        let b = store.range(t..=Tile { width: 256, ..t }).next().unwrap_or_else(|| panic!("the store lacks {}", t.path())).1;
        give.push((t.path(), b.clone()));
    }
    op29(kind, at, size, root, &give)
}

#[test]
fn proofs_from_tiles_are_the_whole_tree_proofs_byte_for_byte() {
    let sizes = [1u64, 255, 256, 700, 65_536, 65_537, 70_000];
    let (all, st) = store(&sizes);
    for &n in &sizes {
        let root = omega_core::hex::encode(&omega_core::tree::merkle::root(&all[..n as usize]));
        for i in [0, n / 2, n - 1] {
            for trusted in ["", root.as_str()] {
                let r = two_rounds("inclusion", i, n, trusted, &st);
                let w = whole(Op::ProveInclusion, &all, n, i);
                assert_eq!((r.status, &r.body), (w.status, &w.body), "inclusion {i} of {n}: {}", String::from_utf8_lossy(&r.body));
            }
        }
        for m in [0, 1, n / 3, n] {
            let r = two_rounds("consistency", m, n, &root, &st);
            let w = whole(Op::ProveConsistency, &all, n, m);
            assert_eq!((r.status, &r.body), (w.status, &w.body), "consistency {m} to {n}: {}", String::from_utf8_lossy(&r.body));
        }
    }
    // an index past the size is op 9's error
    let r = op29("inclusion", 5, 5, "", &[]);
    assert_eq!(r.status, 2);
    assert!(String::from_utf8_lossy(&r.body).contains("3401"));
}

#[test]
fn a_changed_tile_is_refused_against_the_trusted_root() {
    let (all, mut st) = store(&[70_000]);
    let root = omega_core::hex::encode(&omega_core::tree::merkle::root(&all));
    let t = Tile { level: 0, index: 3, width: 256 };
    st.get_mut(&t).unwrap()[40] ^= 1;
    let r = two_rounds("inclusion", 3 * 256 + 7, 70_000, &root, &st);
    assert_eq!(r.status, 2);
    assert!(String::from_utf8_lossy(&r.body).contains(&code::TILE_MISMATCH.to_string()), "{}", String::from_utf8_lossy(&r.body));
    // without a trusted root too: the path through the changed tile leads
    // to another root than the tiles of the tree's edge give
    let r = two_rounds("inclusion", 3 * 256 + 7, 70_000, "", &st);
    assert_eq!(r.status, 2);
    assert!(String::from_utf8_lossy(&r.body).contains(&code::TILE_MISMATCH.to_string()));
    // a consistency proof through the changed tile is refused too
    let r = two_rounds("consistency", 3 * 256 + 7, 70_000, &root, &st);
    assert_eq!(r.status, 2, "{}", String::from_utf8_lossy(&r.body));
    // malformed tiles: a bad path (3412), a short tile (3411), an entry bundle (3412), a repeated path, a bad root
    for (tiles, root, want) in [
        (vec![("tile/0/1".to_string(), vec![0u8; 32])], "", code::TILE_PATH),
        (vec![("tile/entries/000".to_string(), vec![0u8; 32])], "", code::TILE_PATH),
        (vec![("tile/0/000.p/3".to_string(), vec![0u8; 64])], "", code::TILE_LENGTH),
        (vec![("tile/0/000.p/3".to_string(), vec![0u8; 96]), ("tile/0/000.p/3".to_string(), vec![0u8; 96])], "", code::BAD_REQUEST),
        (vec![], "abc", code::BAD_REQUEST),
    ] {
        let r = op29("inclusion", 1, 3, root, &tiles);
        assert_eq!(r.status, 2, "{tiles:?}");
        let e: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(e["code"], want, "{tiles:?}: {e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Any subset of a store's tiles (some cut short or changed): op 29
    /// asks for exactly the needed tiles it lacks, or answers; an answer
    /// with every tile intact is op 9's.
    #[test]
    fn any_subset_of_tiles_asks_or_answers(n in 1u64..2000, i in any::<prop::sample::Index>(), keep in proptest::collection::vec(any::<bool>(), 0..40), cut in any::<Option<prop::sample::Index>>()) {
        let (all, st) = store(&[n]);
        let i = i.index(n as usize) as u64;
        let tiles: Vec<(String, Vec<u8>)> = st.iter().enumerate().filter(|(k, _)| keep.get(*k).copied().unwrap_or(true)).map(|(_, (t, b))| (t.path(), b.clone())).collect();
        let mut given = tiles.clone();
        if let (Some(c), false) = (cut, given.is_empty()) {
            let k = c.index(given.len());
            let half = given[k].1.len() / 2;
            given[k].1.truncate(half);
        }
        let r = op29("inclusion", i, n, "", &given);
        prop_assert!(r.status <= 2);
        if r.status == 0 && given == tiles {
            let w = whole(Op::ProveInclusion, &all, n, i);
            prop_assert_eq!(&r.body, &w.body);
        }
        if r.status == 1 {
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            for p in v["tiles"].as_array().unwrap() {
                let (t, _) = Tile::parse(p.as_str().unwrap()).unwrap();
                prop_assert!(!given.iter().any(|(g, _)| Tile::parse(g).map(|(x, _)| x.level == t.level && x.index == t.index && x.width >= t.width).unwrap_or(false)));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Tile paths: any text is read or refused without panicking; what is
    /// read is the one canonical spelling (it re-renders to the same text),
    /// and every tile's own paths read back to it.
    #[test]
    fn tile_paths_parse_strictly(text in "(tile/)?((entries|[0-9]{1,3})/)?((x[0-9]{3}|[0-9a-x]{1,4})/){0,3}[0-9]{1,4}(\\.p/[0-9]{1,4})?", level in 0u8..=63, index in any::<u64>(), width in 1u16..=256) {
        if let Ok((t, entries)) = Tile::parse(&text) {
            prop_assert_eq!(if entries { t.entries_path() } else { t.path() }, text);
        }
        let t = Tile { level, index, width };
        prop_assert_eq!(Tile::parse(&t.path()), Ok((t, false)));
        let e = Tile { level: 0, ..t };
        prop_assert_eq!(Tile::parse(&e.entries_path()), Ok((e, true)));
    }

    /// Entry bundles: any bytes are read or refused without panicking;
    /// bundles of any entries read back to them, and every cut of one short
    /// of an entry's end is refused.
    #[test]
    fn bundles_round_trip(raw in proptest::collection::vec(any::<u8>(), 0..64), entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..8)) {
        let _ = omega_core::tree::tiles::parse_bundle(&raw);
        let b = omega_core::tree::tiles::bundle(entries.iter().map(Vec::as_slice)).unwrap();
        let back: Vec<Vec<u8>> = omega_core::tree::tiles::parse_bundle(&b).unwrap().into_iter().map(<[u8]>::to_vec).collect();
        prop_assert_eq!(&back, &entries);
        let mut ends = std::collections::BTreeSet::new();
        let mut at = 0;
        for e in &entries {
            at += 2 + e.len();
            ends.insert(at);
        }
        for cut in 0..b.len() {
            prop_assert_eq!(omega_core::tree::tiles::parse_bundle(&b[..cut]).is_ok(), cut == 0 || ends.contains(&cut));
        }
    }
}
