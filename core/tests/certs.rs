//! Certificates under mutation: with exactly k signatures, every single-bit
//! flip anywhere in the binary certificate or in its signed-note text is
//! either refused by the parser (a typed error) or judged invalid with a
//! reason. And certificates round-trip byte for byte between both forms.
use omega_core::certify::cert::{self, Attested, Certificate, Checkpoint, Committee, Kind, SigStatus};
use omega_core::certify::note::{self, NoteSignature, SignerKey, VerifierKey};
use omega_core::ErrorCode;
use omega_core::tree::merkle;
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
        world: None,
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
        for form in [c.encode().unwrap(), c.to_note().into_bytes()] {
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
    let bin = c.encode().unwrap();
    let text = c.to_note();
    assert_eq!(Certificate::read(text.as_bytes()).unwrap().encode().unwrap(), bin);
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
        let _ = omega_core::certify::note::Note::parse(&b);
        let _ = omega_core::api::ops::parse_committee(&b);
        let _ = omega_core::api::ops::parse_result(&b);
    }

    /// Random byte edits of a valid certificate are rejected or still valid only
    /// when they did not change the bytes' meaning (never a different valid certificate).
    #[test]
    fn random_edits_never_yield_another_valid_certificate(at in any::<prop::sample::Index>(), val in any::<u8>(), text in any::<bool>()) {
        let keys = keys();
        let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
        let c = certificate(Kind::State, &keys, &committee);
        let mut b = if text { c.to_note().into_bytes() } else { c.encode().unwrap() };
        let i = at.index(b.len());
        b[i] = val;
        if let Ok(m) = Certificate::read(&b) {
            if cert::verify(&m, &committee).valid {
                prop_assert_eq!(m, c);
            }
        }
    }
}

/// A key name or origin: `n` characters from a set of 1-, 2- and 3-byte characters
/// (none of them whitespace, `+` or control).
fn name_of(chars: &[u8]) -> String {
    chars.iter().map(|c| ['a', 'Z', '7', '.', '/', '-', 'é', '€', '_'][usize::from(*c) % 9]).collect()
}

fn arb_checkpoint() -> impl Strategy<Value = Checkpoint> {
    (
        (prop_oneof![1usize..40, 250usize..260, 21_800usize..21_900, 65_530usize..65_540], any::<u8>()),
        (any::<u64>(), any::<[u8; 32]>(), 0u8..3, any::<u64>(), any::<bool>()),
        (any::<[u8; 32]>(), any::<Option<[u8; 32]>>(), any::<[u8; 32]>(), any::<u64>()),
        prop_oneof![0usize..4, 126usize..131],
    )
        .prop_map(|((olen, c), (tree_size, root, k, height, genesis), (prev, committee, x, tick), ncons)| {
            let kind = [Kind::State, Kind::Obstruction, Kind::Ecs][usize::from(k)];
            // an ASCII origin of exactly olen bytes, or mixed characters (about 1 to 3 bytes each)
            let origin = if c % 2 == 0 { "o".repeat(olen) } else { name_of(&(0..(olen / 2).max(1)).map(|i| (i as u8).wrapping_add(c)).collect::<Vec<_>>()) };
            let height = if genesis { 0 } else { height.max(1) };
            Checkpoint {
                origin,
                tree_size,
                root,
                kind,
                height,
                prev: (!genesis).then_some(prev),
                state_hash: x,
                committee,
                evidence: (kind == Kind::Obstruction).then_some(x),
                tick: (kind == Kind::Ecs).then_some(tick),
                // a world line (binary version 2) on about a third of the others
                world: (kind != Kind::Ecs && tick % 3 == 0).then_some(omega_core::certify::cert::WorldMark { tick: tick / 3, state_hash: root }),
                consistency: if genesis { vec![] } else { (0..ncons).map(|i| [i as u8; 32]).collect() },
            }
        })
}

fn arb_signature() -> impl Strategy<Value = NoteSignature> {
    (
        prop_oneof![proptest::collection::vec(any::<u8>(), 1..20), proptest::collection::vec(any::<u8>(), 84..130), (250usize..260).prop_map(|n| vec![0; n])],
        any::<u32>(),
        prop_oneof![Just(64usize), 1usize..100, 65_530usize..65_540],
        any::<u8>(),
    )
        .prop_map(|(name, id, slen, b)| NoteSignature { name: name_of(&name), id, sig: vec![b; slen] })
}

fn counted(c: &Certificate, committee: &Committee) -> u32 {
    cert::verify(c, committee).valid_signers
}

/// Five member keys, their 3-of-5 committee and a checkpoint, made once (key
/// derivation is slow in debug builds).
fn fixture() -> &'static (Vec<SignerKey>, Committee, Checkpoint) {
    static F: std::sync::OnceLock<(Vec<SignerKey>, Committee, Checkpoint)> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let keys: Vec<SignerKey> = (0..5u8).map(|i| SignerKey::from_seed(&format!("p.example/k{i}"), [i + 60; 32]).unwrap()).collect();
        let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
        let cp = certificate(Kind::State, &keys, &committee).checkpoint;
        (keys, committee, cp)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Every certificate that encodes decodes to itself, in both forms; one
    /// that does not fit the format (a name over 255 bytes, an origin over
    /// 65,535 bytes, a signature over 65,535 bytes, over 128 consistency
    /// hashes, a note over 1 MiB) is refused by `encode`, never truncated.
    #[test]
    fn every_certificate_that_encodes_decodes_to_itself(
        cp in arb_checkpoint(),
        sigs in proptest::collection::vec(arb_signature(), 0..5),
    ) {
        let c = Certificate { checkpoint: cp, signatures: sigs };
        let fits = c.checkpoint.origin.len() <= cert::MAX_ORIGIN_BYTES
            && c.checkpoint.consistency.len() <= cert::MAX_CONSISTENCY
            && !c.signatures.is_empty()
            && c.signatures.iter().all(|s| s.name.len() <= note::MAX_NAME_BYTES && s.sig.len() <= note::MAX_SIG_BYTES)
            && c.to_note().len() <= note::MAX_NOTE_BYTES;
        match c.encode() {
            Ok(bin) => {
                prop_assert!(fits);
                prop_assert_eq!(&Certificate::decode(&bin).unwrap(), &c);
                let text = c.to_note();
                prop_assert_eq!(&Certificate::from_note(text.as_bytes()).unwrap(), &c);
                prop_assert_eq!(Certificate::read(text.as_bytes()).unwrap().encode().unwrap(), bin);
            }
            Err(e) => {
                prop_assert!(!fits, "refused a certificate that fits: {}", e);
                prop_assert!((3501..=3606).contains(&e.code()), "{}", e);
            }
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Any order of genuine, bogus (a member's name and key id, wrong bytes),
    /// repeated and stranger lines gives the same count of valid signers: the
    /// members with a genuine line. Cosigning then counts the new member,
    /// whatever bogus lines carry its name, and a second cosign is refused.
    #[test]
    fn the_valid_signer_count_does_not_depend_on_bogus_or_repeated_lines(
        signers in proptest::collection::btree_set(0usize..5, 1..5),
        bogus in proptest::collection::vec((0usize..5, 0usize..64, any::<u8>()), 0..5),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
        resigned in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
        strangers in 0u8..3,
        order in any::<prop::sample::Index>(),
        next in 0usize..5,
    ) {
        let (keys, committee, base) = fixture();
        let body = base.body();
        let mut lines: Vec<NoteSignature> = signers.iter().map(|&i| keys[i].sign_note(&body)).collect();
        for d in &dups {
            lines.push(lines[d.index(signers.len())].clone());
        }
        // a signer's second, different, valid signature (another nonce): counted once too
        let order_of_signers: Vec<usize> = signers.iter().copied().collect();
        for (who, nonce) in &resigned {
            let i = *who.get(&order_of_signers);
            let sig = sign_with_nonce([i as u8 + 60; 32], body.as_bytes(), *nonce);
            lines.push(NoteSignature { sig, ..keys[i].sign_note(&body) });
        }
        for (m, at, x) in &bogus {
            let mut s = keys[*m].sign_note(&body);
            s.sig[*at] ^= x | 1;
            lines.push(s);
        }
        for i in 0..strangers {
            lines.push(SignerKey::from_seed("p.example/stranger", [i + 1; 32]).unwrap().sign_note(&body));
        }
        // another order: a rotation and a stride coprime to the length
        let n = lines.len();
        let strides: Vec<usize> = (1..=n).filter(|s| gcd(*s, n) == 1).collect();
        let step = strides[order.index(strides.len())];
        let start = order.index(n);
        let perm: Vec<NoteSignature> = (0..n).map(|i| lines[(start + i * step) % n].clone()).collect();
        let a = Certificate { checkpoint: base.clone(), signatures: lines };
        let b = Certificate { checkpoint: base.clone(), signatures: perm };
        for c in [&a, &b] {
            let v = cert::verify(c, committee);
            prop_assert_eq!(v.valid_signers, signers.len() as u32);
            prop_assert_eq!(v.valid, signers.len() >= 3);
            prop_assert_eq!(v.checks.iter().filter(|c| c.status == SigStatus::Valid).count(), signers.len());
            prop_assert_eq!(v.checks.iter().filter(|c| c.status == SigStatus::BadSignature).count(), bogus.len());
            prop_assert_eq!(v.checks.iter().filter(|c| c.status == SigStatus::Duplicate).count(), dups.len() + resigned.len());
        }
        let mut c = b;
        let had = counted(&c, committee);
        match c.cosign(&keys[next]) {
            Ok(()) => {
                prop_assert!(!signers.contains(&next));
                prop_assert_eq!(counted(&c, committee), had + 1);
                // the bogus lines with its name and id are gone, the others stay
                let mine = |s: &&NoteSignature| s.name == keys[next].name();
                prop_assert_eq!(c.signatures.iter().filter(mine).count(), 1);
            }
            Err(e) => {
                prop_assert!(signers.contains(&next), "cosign refused: {}", e);
                prop_assert_eq!(e.code(), 3605);
            }
        }
    }

    /// A committee is accepted exactly when no public key appears twice, whatever the names.
    #[test]
    fn a_committee_lists_each_public_key_once(entries in proptest::collection::vec((0usize..3, 0usize..4), 1..6)) {
        let (keys, _, _) = fixture();
        let members: Vec<VerifierKey> =
            entries.iter().map(|(n, k)| VerifierKey::new(&format!("c.example/n{n}"), *keys[*k].verifier().public()).unwrap()).collect();
        let distinct = entries.iter().map(|(_, k)| *k).collect::<std::collections::BTreeSet<_>>().len() == entries.len();
        let r = Committee::new(1, members);
        prop_assert_eq!(r.is_ok(), distinct);
        if let Err(e) = r {
            prop_assert_eq!(e.code(), 3603);
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// A malformed binary certificate (3602) names the first byte of the field at
/// fault, not the byte after it.
#[test]
fn binary_errors_name_the_offset_of_the_field_at_fault() {
    let (keys, committee, _) = fixture();
    let c = certificate(Kind::State, keys, committee);
    let bin = c.encode().unwrap();
    let origin_len = c.checkpoint.origin.len();
    // magic 0..4, version 4, kind 5, origin length 6..8, origin, tree size, root, height, prev flag
    let prev_flag = 8 + origin_len + 8 + 32 + 8;
    let err = |at: usize, byte: u8| {
        let mut b = bin.clone();
        b[at] = byte;
        let e = Certificate::decode(&b).unwrap_err();
        assert_eq!(e.code(), 3602, "{e}");
        e.to_string()
    };
    assert!(err(0, b'X').contains("at byte 0: the magic"), "{}", err(0, b'X'));
    assert!(err(4, 7).contains("at byte 4: version 7"), "{}", err(4, 7));
    assert!(err(5, 9).contains("at byte 5: unknown kind"), "{}", err(5, 9));
    assert!(err(prev_flag, 2).contains(&format!("at byte {prev_flag}: the prev flag")), "{}", err(prev_flag, 2));
    let mut long = bin.clone();
    long.push(0);
    let e = Certificate::decode(&long).unwrap_err().to_string();
    assert!(e.contains(&format!("at byte {}: trailing bytes", bin.len())), "{e}");
    let e = Certificate::decode(&bin[..10]).unwrap_err().to_string();
    assert!(e.contains("at byte 8: truncated in the origin"), "{e}");
}

/// `omega explain` calls each kind's state hash what it is: the world's
/// for `ecs`, the unchanged history's for `obstruction`.
#[test]
fn explain_names_what_each_kind_s_state_hash_is() {
    let (keys, committee, _) = fixture();
    let line = |kind| {
        let c = certificate(kind, keys, committee);
        omega_core::api::explain::explain_lines(&c, None).into_iter().find(|l| l.starts_with("  state hash")).unwrap()
    };
    assert!(line(Kind::Ecs).contains("(the ECS world's state hash after the tick below)"), "{}", line(Kind::Ecs));
    assert!(!line(Kind::Ecs).contains("reconcile"));
    assert!(line(Kind::State).ends_with("(SHA-256 of the reconcile state)"));
    assert!(line(Kind::Obstruction).contains("unchanged by the obstructed batch"));
}

/// An Ed25519 signature of `msg` by the key of `seed`, made with the nonce
/// `nonce` instead of the deterministic one (RFC 8032 section 5.1.6 with r
/// chosen by the signer): a second, different, equally valid signature.
fn sign_with_nonce(seed: [u8; 32], msg: &[u8], nonce: u8) -> Vec<u8> {
    use curve25519_dalek::{EdwardsPoint, Scalar};
    use sha2::{Digest, Sha512};
    let wide = |parts: &[&[u8]]| {
        let mut h = Sha512::new();
        for p in parts {
            h.update(p);
        }
        let mut out = [0u8; 64];
        out.copy_from_slice(&h.finalize());
        out
    };
    let mut a = [0u8; 32];
    a.copy_from_slice(&wide(&[&seed])[..32]);
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    let a = Scalar::from_bytes_mod_order(a);
    let public = EdwardsPoint::mul_base(&a).compress().to_bytes();
    let r = Scalar::from_bytes_mod_order_wide(&wide(&[b"another nonce", &[nonce], msg]));
    let big_r = EdwardsPoint::mul_base(&r).compress().to_bytes();
    let k = Scalar::from_bytes_mod_order_wide(&wide(&[&big_r, &public, msg]));
    let s = r + k * a;
    [big_r, s.to_bytes()].concat()
}

/// A member counts once however many valid signatures it gives: byte-identical
/// copies, and different signatures (another nonce) that each verify on their own.
#[test]
fn one_member_with_several_valid_signatures_counts_once() {
    let seeds: Vec<[u8; 32]> = (0..3u8).map(|i| [i + 90; 32]).collect();
    let keys: Vec<SignerKey> = seeds.iter().enumerate().map(|(i, s)| SignerKey::from_seed(&format!("d.example/k{i}"), *s).unwrap()).collect();
    let committee = Committee::new(2, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
    // a checkpoint that names no committee, so any committee may judge it
    let mut base = fixture().2.clone();
    base.committee = None;
    let body = base.body();
    let genuine = keys[0].sign_note(&body);
    let mut lines = vec![genuine.clone()];
    for nonce in 0..3u8 {
        let sig = sign_with_nonce(seeds[0], body.as_bytes(), nonce);
        assert_ne!(sig, genuine.sig);
        // each one alone is a valid signature of the member
        let alone = Certificate { checkpoint: base.clone(), signatures: vec![NoteSignature { sig: sig.clone(), ..genuine.clone() }] };
        assert_eq!(cert::verify(&alone, &Committee::new(1, vec![keys[0].verifier().clone()]).unwrap()).valid_signers, 1, "nonce {nonce}");
        lines.push(NoteSignature { sig, ..genuine.clone() });
    }
    lines.push(genuine.clone());
    let c = Certificate { checkpoint: base.clone(), signatures: lines };
    let v = cert::verify(&c, &committee);
    assert_eq!(v.valid_signers, 1, "{v:?}");
    assert!(!v.valid, "one member's five valid lines made a 2-of-3 quorum: {v:?}");
    assert_eq!(v.checks.iter().filter(|c| c.status == SigStatus::Valid).count(), 1);
    assert_eq!(v.checks.iter().filter(|c| c.status == SigStatus::Duplicate).count(), 4);
    // with the second member, 2 of 3
    let mut c = c;
    c.signatures.push(keys[1].sign_note(&body));
    let v = cert::verify(&c, &committee);
    assert_eq!((v.valid, v.valid_signers), (true, 2), "{v:?}");
}

/// A checkpoint line with the wrong key is refused with the number of that line.
#[test]
fn a_checkpoint_field_error_names_its_line() {
    let keys = keys();
    let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
    let text = certificate(Kind::State, &keys, &committee).to_note();
    let mut checked = 0;
    for (n, key) in [(4, "omega-kind"), (5, "omega-height"), (6, "omega-prev"), (7, "omega-state"), (8, "omega-committee")] {
        if !text.contains(&format!("\n{key} ")) {
            continue;
        }
        let bad = text.replacen(&format!("\n{key} "), &format!("\n{key}x "), 1);
        let e = Certificate::from_note(bad.as_bytes()).unwrap_err();
        assert!(e.to_string().contains(&format!("line {n}: expected `{key} ...`")), "{key}: {e}");
        checked += 1;
    }
    assert!(checked >= 4, "{text}");
}

#[test]
fn a_committee_keeps_its_threshold() {
    let keys = keys();
    for k in 1..=4u32 {
        let c = Committee::new(k, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
        assert_eq!(c.threshold(), k);
    }
}

/// A world (ECS) attestation extends the certificate of the same history:
/// the same tree size and root; another root or size is refused (3604).
#[test]
fn an_ecs_certificate_extends_the_certificate_of_its_history() {
    let keys = keys();
    let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
    let state = certificate(Kind::State, &keys, &committee);
    let cp = &state.checkpoint;
    let att = |prior_tree_size: u64, prior_root: [u8; 32]| Attested {
        kind: Kind::Ecs,
        tree_size: cp.tree_size,
        root: cp.root,
        state_hash: [5; 32],
        evidence: None,
        tick: Some(64),
        world: None,
        prior_tree_size,
        prior_root,
        prior_state_hash: [0; 32],
        consistency: vec![],
    };
    let ecs = cert::certify(&att(cp.tree_size, cp.root), "t.example/log", Some(&state), Some(&committee), &keys[0]).unwrap();
    assert_eq!(ecs.checkpoint.height, cp.height + 1);
    assert_eq!(ecs.checkpoint.kind, Kind::Ecs);
    for (size, root) in [(cp.tree_size + 1, cp.root), (cp.tree_size, [9; 32])] {
        let e = cert::certify(&att(size, root), "t.example/log", Some(&state), Some(&committee), &keys[0]).unwrap_err();
        assert_eq!(e.code(), 3604, "{e}");
    }
}

/// A certificate that attests a world binds its successor to attest one at
/// the same tick or later; and a bad world line is refused with its line number.
#[test]
fn a_world_only_moves_forward_along_the_chain() {
    use omega_core::certify::cert::WorldMark;
    let keys = keys();
    let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
    let leaves: Vec<[u8; 32]> = (0..5u8).map(|i| merkle::leaf_hash(&[i])).collect();
    let root = merkle::root(&leaves);
    let att = |world: Option<u64>, prior: bool| Attested {
        kind: Kind::State,
        tree_size: 5,
        root,
        state_hash: [7; 32],
        evidence: None,
        tick: None,
        world: world.map(|tick| WorldMark { tick, state_hash: [8; 32] }),
        prior_tree_size: if prior { 5 } else { 0 },
        prior_root: if prior { root } else { merkle::empty_root() },
        prior_state_hash: if prior { [7; 32] } else { [1; 32] },
        consistency: vec![],
    };
    let first = cert::certify(&att(Some(10), false), "t.example/log", None, Some(&committee), &keys[0]).unwrap();
    for tick in [10, 11] {
        let next = cert::certify(&att(Some(tick), true), "t.example/log", Some(&first), Some(&committee), &keys[0]).unwrap();
        assert_eq!(next.checkpoint.world.map(|w| w.tick), Some(tick));
    }
    for world in [Some(9), None] {
        let e = cert::certify(&att(world, true), "t.example/log", Some(&first), Some(&committee), &keys[0]).unwrap_err();
        assert_eq!(e.code(), 3604, "{world:?}: {e}");
    }
    // the world line is the ninth of a state checkpoint
    let text = first.to_note();
    assert!(text.contains("\nomega-world 10 "), "{text}");
    let bad = text.replacen("\nomega-world 10 ", "\nomega-world 010 ", 1);
    let e = Certificate::from_note(bad.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("line 9: world must be"), "{e}");
}

/// The binary form takes 1 to 256 signatures: exactly 256 decode.
#[test]
fn a_certificate_with_the_most_signatures_decodes() {
    let (_, _, cp) = fixture();
    let sigs: Vec<NoteSignature> = (0..note::MAX_SIGNATURES as u32).map(|i| NoteSignature { name: format!("s{i}"), id: i, sig: vec![7; 64] }).collect();
    let c = Certificate { checkpoint: cp.clone(), signatures: sigs };
    let bin = c.encode().unwrap();
    assert_eq!(Certificate::decode(&bin).unwrap(), c);
    let text = c.to_note();
    assert_eq!(Certificate::from_note(text.as_bytes()).unwrap(), c);
}

/// A binary certificate that says it has no signatures, or 257, is refused
/// at its count, with the count in the message.
#[test]
fn a_binary_signature_count_out_of_range_is_refused_at_the_count() {
    let (_, _, cp) = fixture();
    let one = NoteSignature { name: "s".into(), id: 1, sig: vec![7; 64] };
    let c = Certificate { checkpoint: cp.clone(), signatures: vec![one] };
    let bin = c.encode().unwrap();
    // the count (u16) is followed by the one record: name length, name, id, sig length, sig
    let record = 1 + 1 + 4 + 2 + 64;
    let at = bin.len() - record - 2;
    assert_eq!(bin[at..at + 2], [0, 1]);
    for (count, rest) in [(0u16, &bin[bin.len()..]), (257, &bin[at + 2..])] {
        let mut bad = bin[..at].to_vec();
        bad.extend_from_slice(&count.to_be_bytes());
        bad.extend_from_slice(rest);
        let e = Certificate::decode(&bad).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains(&format!("at byte {at}: {count} signatures; a certificate has 1 to 256")), "{msg}");
    }
}

/// A certificate that extends another carries its consistency proof, one
/// `omega-consistency` line per hash, and reads back from its note.
#[test]
fn consistency_lines_read_back_from_the_note() {
    let keys = keys();
    let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
    let first = certificate(Kind::State, &keys, &committee);
    let leaves: Vec<[u8; 32]> = (0..5u8).map(|i| merkle::leaf_hash(&[i])).collect();
    let mut more = leaves.clone();
    more.extend((5..13u8).map(|i| merkle::leaf_hash(&[i])));
    let att = Attested {
        kind: Kind::State,
        tree_size: 13,
        root: merkle::root(&more),
        state_hash: [8; 32],
        evidence: None,
        tick: None,
        world: None,
        prior_tree_size: 5,
        prior_root: merkle::root(&leaves),
        prior_state_hash: [7; 32],
        consistency: omega_core::tree::proof::consistency_proof(&more, 5).unwrap(),
    };
    let next = cert::certify(&att, "t.example/log", Some(&first), Some(&committee), &keys[0]).unwrap();
    assert!(next.checkpoint.consistency.len() >= 2);
    let text = next.to_note();
    assert_eq!(text.matches("\nomega-consistency ").count(), next.checkpoint.consistency.len());
    assert_eq!(Certificate::from_note(text.as_bytes()).unwrap(), next);
}

/// An origin that is too long says so (not that it has a space); both are line 1.
#[test]
fn an_origin_s_error_says_what_is_wrong_with_it() {
    let (_, _, cp) = fixture();
    let mut long = cp.clone();
    long.origin = "a".repeat(cert::MAX_ORIGIN_BYTES + 1);
    let e = long.validate().unwrap_err().to_string();
    assert!(e.contains("line 1:") && !e.contains("no spaces"), "{e}");
    let mut spaced = cp.clone();
    spaced.origin = "a b".into();
    let e = spaced.validate().unwrap_err().to_string();
    assert!(e.contains("line 1:") && e.contains("no spaces"), "{e}");
}

/// A chain of three certificates verifies in any order; without its genesis
/// it says so (3711); without a middle link, a gap at that height (3712).
#[test]
fn a_chain_verifies_from_genesis_and_names_what_is_missing() {
    let keys = keys();
    let committee = Committee::new(3, keys.iter().map(|k| k.verifier().clone()).collect()).unwrap();
    let all: Vec<[u8; 32]> = (0..20u8).map(|i| merkle::leaf_hash(&[i])).collect();
    let mut chain: Vec<Certificate> = Vec::new();
    let mut prev_size = 0u64;
    for size in [5u64, 9, 20] {
        let prev = chain.last();
        let att = Attested {
            kind: Kind::State,
            tree_size: size,
            root: merkle::root(&all[..size as usize]),
            state_hash: [size as u8; 32],
            evidence: None,
            tick: None,
            world: None,
            prior_tree_size: prev_size,
            prior_root: if prev_size == 0 { merkle::empty_root() } else { merkle::root(&all[..prev_size as usize]) },
            prior_state_hash: prev.map_or([1; 32], |p| p.checkpoint.state_hash),
            consistency: if prev_size == 0 { vec![] } else { omega_core::tree::proof::consistency_proof(&all[..size as usize], prev_size).unwrap() },
        };
        let mut c = cert::certify(&att, "t.example/log", prev, Some(&committee), &keys[0]).unwrap();
        for k in &keys[1..3] {
            c.cosign(k).unwrap();
        }
        chain.push(c);
        prev_size = size;
    }
    let codes = |certs: &[Certificate]| -> Vec<u16> { cert::verify_chain(certs, &committee).problems.iter().map(|p| p.code()).collect() };
    let v = cert::verify_chain(&chain, &committee);
    assert!(v.valid && v.problems.is_empty(), "{:?}", v.problems);
    assert_eq!(v.links.iter().map(|l| l.0).collect::<Vec<_>>(), vec![0, 1, 2]);
    let reversed: Vec<Certificate> = chain.iter().rev().cloned().collect();
    assert!(cert::verify_chain(&reversed, &committee).valid);
    assert_eq!(codes(&chain[1..]), vec![3711]);
    assert_eq!(codes(&[chain[0].clone(), chain[2].clone()]), vec![3712]);
}

/// A consistency line that is not a hash is refused with its line number.
#[test]
fn a_bad_consistency_line_names_its_line() {
    let (_, _, cp) = fixture();
    let mut c = cp.clone();
    if c.consistency.is_empty() {
        // a non-genesis checkpoint with two consistency hashes
        c.height = 1;
        c.prev = Some([3; 32]);
        c.consistency = vec![[4; 32], [5; 32]];
    }
    let text = c.body();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("omega-consistency ")).expect("a consistency line");
    let bad = text.replacen(lines[at], "omega-consistency zz", 1);
    let e = Checkpoint::parse(&bad).unwrap_err().to_string();
    assert!(e.contains(&format!("line {}: a consistency hash", at + 1)), "{e}");
}

/// `certify` extends a certificate only from the tree that certificate
/// attests: the prior's size, root and (for kinds state and obstruction)
/// state hash must each match; an ecs attestation needs the size and root
/// only. A world attested before must be attested again, at the same tick
/// or later.
#[test]
fn certify_extends_only_the_attested_tree_and_world() {
    let keys = keys();
    let origin = "t.example/log";
    let leaves: Vec<[u8; 32]> = (0..5u8).map(|i| merkle::leaf_hash(&[i])).collect();
    let mut more = leaves.clone();
    more.extend((5..13u8).map(|i| merkle::leaf_hash(&[i])));
    let world = |tick: u64| Some(cert::WorldMark { tick, state_hash: [tick as u8; 32] });
    let genesis = Attested {
        kind: Kind::State,
        tree_size: 5,
        root: merkle::root(&leaves),
        state_hash: [7; 32],
        evidence: None,
        tick: None,
        world: None,
        prior_tree_size: 0,
        prior_root: merkle::root(&[]),
        prior_state_hash: [0; 32],
        consistency: Vec::new(),
    };
    let next = Attested {
        tree_size: 13,
        root: merkle::root(&more),
        state_hash: [8; 32],
        prior_tree_size: 5,
        prior_root: merkle::root(&leaves),
        prior_state_hash: [7; 32],
        consistency: omega_core::tree::proof::consistency_proof(&more, 5).unwrap(),
        ..genesis.clone()
    };
    let refused = |att: &Attested, prev: &Certificate, why: &str| {
        let e = cert::certify(att, origin, Some(prev), None, &keys[0]).unwrap_err();
        assert_eq!(e.code(), 3604, "{e}");
        assert!(e.to_string().contains(why), "expected {why:?}: {e}");
    };
    let first = cert::certify(&genesis, origin, None, None, &keys[0]).unwrap();
    let second = cert::certify(&next, origin, Some(&first), None, &keys[0]).unwrap();
    assert_eq!((second.checkpoint.height, second.checkpoint.prev), (1, Some(first.hash())));
    // each prior field off in turn
    let spoils: [fn(&mut Attested); 3] =
        [|a| a.prior_tree_size = 4, |a| a.prior_root = [9; 32], |a| a.prior_state_hash = [9; 32]];
    for spoil in spoils {
        let mut bad = next.clone();
        spoil(&mut bad);
        refused(&bad, &first, "not the previous certificate's tree");
    }
    // an ecs attestation of the same history: the state hash is not its business
    let ecs = Attested { kind: Kind::Ecs, tick: Some(3), state_hash: [4; 32], ..next.clone() };
    for prior_state_hash in [[7; 32], [9; 32]] {
        let c = cert::certify(&Attested { prior_state_hash, ..ecs.clone() }, origin, Some(&first), None, &keys[0]).unwrap();
        assert_eq!(c.checkpoint.kind, Kind::Ecs);
    }
    for spoil in &spoils[..2] {
        let mut bad = ecs.clone();
        spoil(&mut bad);
        refused(&bad, &first, "not the previous certificate's tree");
    }
    // a world, once attested, must be attested again, and never moves back
    let first = cert::certify(&Attested { world: world(4), ..genesis.clone() }, origin, None, None, &keys[0]).unwrap();
    refused(&next, &first, "its successor must too");
    refused(&Attested { world: world(3), ..next.clone() }, &first, "the world's tick 3 is before the previous certificate's 4");
    for tick in [4, 5, 1000] {
        let c = cert::certify(&Attested { world: world(tick), ..next.clone() }, origin, Some(&first), None, &keys[0]).unwrap();
        assert_eq!(c.checkpoint.world, world(tick));
    }
}
