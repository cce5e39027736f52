//! Certificates under mutation: with exactly k signatures, every single-bit
//! flip anywhere in the binary certificate or in its signed-note text is
//! either refused by the parser (a typed error) or judged invalid with a
//! reason. And certificates round-trip byte for byte between both forms.
use omega_core::cert::{self, Attested, Certificate, Committee, Kind};
use omega_core::note::SignerKey;
use omega_core::{ErrorCode, merkle};
use proptest::prelude::*;

fn keys() -> Vec<SignerKey> {
    (0..4u8).map(|i| SignerKey::from_seed(&format!("t.example/k{i}"), [i + 40; 32]).unwrap()).collect()
}

fn certificate(kind: Kind, keys: &[SignerKey], committee: &Committee) -> Certificate {
    let leaves: Vec<[u8; 32]> = (0..5u8).map(|i| merkle::leaf_hash(&[i])).collect();
    let att = Attested {
        kind,
        tree_size: 5,
        root: merkle::root(&leaves),
        state_hash: [7; 32],
        evidence: (kind == Kind::Obstruction).then_some([9; 32]),
        tick: (kind == Kind::Ecs).then_some(5000),
        prior_tree_size: 0,
        prior_root: merkle::empty_root(),
        prior_state_hash: [1; 32],
        consistency: vec![],
    };
    let mut c = cert::certify(&att, "t.example/log", None, Some(committee), &keys[0]).unwrap();
    for k in &keys[1..3] {
        c.cosign(k).unwrap();
    }
    c
}

/// Ok(()) when the bytes are refused or judged invalid with at least one reason.
fn rejected(bytes: &[u8], committee: &Committee) -> Result<(), String> {
    match Certificate::read(bytes) {
        Err(e) => {
            assert!(e.code() >= 3501 && e.code() <= 3606, "typed error code {}", e.code());
            Ok(())
        }
        Ok(c) => {
            let v = cert::verify(&c, committee);
            if v.valid {
                Err("a mutated certificate verified".into())
            } else if v.problems.is_empty() {
                Err("invalid without a reason".into())
            } else {
                Ok(())
            }
        }
    }
}

#[test]
fn every_bit_flip_of_a_k_of_n_certificate_is_rejected_with_a_reason() {
    let keys = keys();
    let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
    for kind in [Kind::State, Kind::Obstruction, Kind::Ecs] {
        let c = certificate(kind, &keys, &committee);
        assert!(cert::verify(&c, &committee).valid);
        for form in [c.encode(), c.to_note().into_bytes()] {
            for bit in 0..form.len() * 8 {
                let mut m = form.clone();
                m[bit / 8] ^= 1 << (bit % 8);
                if let Err(why) = rejected(&m, &committee) {
                    panic!("{kind:?}: flipping bit {bit} of {} bytes: {why}", form.len());
                }
            }
        }
    }
}

#[test]
fn binary_and_note_forms_roundtrip_exactly() {
    let keys = keys();
    let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
    let c = certificate(Kind::Obstruction, &keys, &committee);
    let bin = c.encode();
    let text = c.to_note();
    assert_eq!(Certificate::read(text.as_bytes()).unwrap().encode(), bin);
    assert_eq!(Certificate::read(&bin).unwrap().to_note(), text);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Arbitrary bytes never panic either parser.
    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), magic in any::<bool>()) {
        let mut b = bytes;
        if magic {
            let mut m = b"OMGC\x01".to_vec();
            m.extend_from_slice(&b);
            b = m;
        }
        let _ = Certificate::read(&b);
        let _ = omega_core::note::Note::parse(&b);
        let _ = omega_core::ops::parse_committee(&b);
        let _ = omega_core::ops::parse_result(&b);
    }

    /// Random byte edits of a valid certificate are rejected or still valid only
    /// when they did not change the bytes' meaning (never a different valid certificate).
    #[test]
    fn random_edits_never_yield_another_valid_certificate(at in any::<prop::sample::Index>(), val in any::<u8>(), text in any::<bool>()) {
        let keys = keys();
        let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
        let c = certificate(Kind::State, &keys, &committee);
        let mut b = if text { c.to_note().into_bytes() } else { c.encode() };
        let i = at.index(b.len());
        b[i] = val;
        if let Ok(m) = Certificate::read(&b) {
            if cert::verify(&m, &committee).valid {
                prop_assert_eq!(m, c);
            }
        }
    }
}
