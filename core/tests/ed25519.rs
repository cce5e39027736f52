//! The published Ed25519 vectors (tests/ed25519/, as C2SP CCTV and
//! Wycheproof publish them) against omega's strict rules, judged by what the
//! publishers say, not by what omega printed before: every Wycheproof `valid`
//! verifies and every `invalid` is refused; of CCTV's 914 edge cases only the
//! one without flags verifies, each refused one is refused for the reason its
//! flags give, and wherever the key passes omega's key rules the verdict is
//! ed25519-dalek's `verify_strict`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
use omega_core::certify::ed25519::{self, PublicKey, Reject};
use omega_core::hex;
use serde_json::Value;

fn published(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/ed25519").join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("no {k} in {v}"))
}

fn dalek_strict(key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let (Ok(key), Ok(sig)) = (<[u8; 32]>::try_from(key), <[u8; 64]>::try_from(sig)) else { return false };
    ed25519_dalek::VerifyingKey::from_bytes(&key).is_ok_and(|vk| vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig)).is_ok())
}

#[test]
fn wycheproof_valid_verifies_and_invalid_is_refused() {
    let wp = published("wycheproof-ed25519_test.json");
    let (mut valid, mut invalid) = (0, 0);
    for g in wp["testGroups"].as_array().unwrap() {
        let key = hex::decode(s(&g["publicKey"], "pk")).unwrap();
        let pk = PublicKey::new(&key).expect("Wycheproof's keys are honest");
        for t in g["tests"].as_array().unwrap() {
            let (msg, sig) = (hex::decode(s(t, "msg")).unwrap(), hex::decode(s(t, "sig")).unwrap());
            let got = pk.check(&msg, &sig);
            match s(t, "result") {
                "valid" => {
                    valid += 1;
                    assert_eq!(got, Ok(()), "tcId {}: {}", t["tcId"], s(t, "comment"));
                }
                "invalid" => {
                    invalid += 1;
                    assert!(got.is_err(), "tcId {} verifies: {}", t["tcId"], s(t, "comment"));
                }
                other => panic!("tcId {}: result {other}", t["tcId"]),
            }
            assert_eq!(got.is_ok(), dalek_strict(&key, &msg, &sig), "tcId {}", t["tcId"]);
        }
    }
    assert_eq!((valid, invalid), (88, 63));
}

#[test]
fn cctv_edge_cases_are_refused_for_the_reason_their_flags_give() {
    let cctv = published("cctv-ed25519vectors.json");
    let mut seen = std::collections::BTreeMap::new();
    for v in cctv.as_array().unwrap() {
        let (key, sig) = (hex::decode(s(v, "key")).unwrap(), hex::decode(s(v, "sig")).unwrap());
        let msg = s(v, "msg").as_bytes();
        let flags: Vec<&str> = v["flags"].as_array().map(|f| f.iter().map(|x| x.as_str().unwrap()).collect()).unwrap_or_default();
        let has = |f: &str| flags.contains(&f);
        let got = ed25519::check(&key, msg, &sig);
        // The key's rules come first: non-canonical, then small order, then a small-order component.
        let want = if has("non_canonical_A") {
            Err(Reject::KeyNotCanonical)
        } else if has("low_order_A") {
            Err(Reject::KeySmallOrder)
        } else if has("low_order_component_A") {
            Err(Reject::KeyTorsion)
        } else if has("non_canonical_R") {
            Err(Reject::RNotCanonical)
        } else if has("low_order_R") {
            Err(Reject::RSmallOrder)
        } else if has("low_order_component_R") {
            Err(Reject::RTorsion)
        } else if flags.is_empty() {
            Ok(())
        } else {
            Err(Reject::Equation)
        };
        assert_eq!(got, want, "vector {}: flags {flags:?}", v["number"]);
        if PublicKey::new(&key).is_ok() {
            assert_eq!(got.is_ok(), dalek_strict(&key, msg, &sig), "vector {}", v["number"]);
        }
        *seen.entry(got.map_err(Reject::as_str).err().unwrap_or("valid")).or_insert(0) += 1;
    }
    assert_eq!(seen.get("valid"), Some(&1));
    assert_eq!(seen.values().sum::<usize>(), 914);
    // every key and R reason is reached by some vector
    for r in ["key_not_canonical", "key_small_order", "key_torsion", "r_not_canonical", "r_small_order", "r_torsion"] {
        assert!(seen.contains_key(r), "no CCTV vector is refused for {r}: {seen:?}");
    }
}

/// Every published vector, all at once through `check_all` (keys read once,
/// fixed-base tables for each key with more than `PREPARE_AT` signatures),
/// gets exactly what `check` gives it alone; and the sets are large enough
/// per key that the tables are really built (op 28, which the golden vectors
/// run on every engine, goes through `check_all`).
#[test]
fn check_all_with_tables_agrees_with_check_on_every_published_vector() {
    let mut cases: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
    for v in published("cctv-ed25519vectors.json").as_array().unwrap() {
        cases.push((hex::decode(s(v, "key")).unwrap(), s(v, "msg").as_bytes().to_vec(), hex::decode(s(v, "sig")).unwrap()));
    }
    for g in published("wycheproof-ed25519_test.json")["testGroups"].as_array().unwrap() {
        let key = hex::decode(s(&g["publicKey"], "pk")).unwrap();
        for t in g["tests"].as_array().unwrap() {
            cases.push((key.clone(), hex::decode(s(t, "msg")).unwrap(), hex::decode(s(t, "sig")).unwrap()));
        }
    }
    let refs: Vec<(&[u8], &[u8], &[u8])> = cases.iter().map(|(k, m, s)| (k.as_slice(), m.as_slice(), s.as_slice())).collect();
    let all = ed25519::check_all(&refs);
    assert_eq!(all.len(), cases.len());
    for (i, ((k, m, s), got)) in cases.iter().zip(&all).enumerate() {
        assert_eq!(*got, ed25519::check(k, m, s), "case {i}");
    }
    // keys that get tables, and how many of their signatures verify / are refused
    let mut per_key: std::collections::BTreeMap<&[u8], usize> = std::collections::BTreeMap::new();
    for (k, _, _) in &cases {
        *per_key.entry(k.as_slice()).or_insert(0) += 1;
    }
    let tabled: Vec<&[u8]> = per_key.iter().filter(|(k, n)| PublicKey::new(k).is_ok() && **n > ed25519::PREPARE_AT).map(|(k, _)| *k).collect();
    assert!(tabled.len() >= 2, "only {} keys get tables", tabled.len());
    let through = |ok: bool| cases.iter().zip(&all).filter(|((k, _, _), r)| tabled.contains(&k.as_slice()) && r.is_ok() == ok).count();
    assert!(through(true) >= 20 && through(false) >= 50, "{} valid, {} refused through tables", through(true), through(false));
}
