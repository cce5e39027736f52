//! Property tests: the result is a function of the set of distinct events,
//! whatever the arrival order and however many duplicates; splitting a clean
//! history into batches gives the same state; decoders never panic.
use omega_core::event::sample::{self, Shape};
use omega_core::api::{abi, json};
use omega_core::api::Op;
use omega_core::{Event, EventId, Limits, Outcome, Reconciler, State, reconcile};
use proptest::prelude::*;

/// A history from a random shape, optionally damaged so that some cases obstruct.
fn history_strategy() -> impl Strategy<Value = Vec<Event>> {
    (any::<u64>(), 1u32..4, 1u16..3, 0u64..12, 0usize..12, 0u8..6, any::<u64>()).prop_map(
        |(seed, nodes, streams, per_stream, payload, damage, pick)| {
            let mut h = sample::history(seed, Shape { nodes, streams, per_stream, payload });
            if !h.is_empty() {
                let i = (pick % h.len() as u64) as usize;
                let e = h[i].clone();
                match damage {
                    // lose one event (a gap, or a missing dependency)
                    0 => {
                        h.remove(i);
                    }
                    // equivocate
                    1 => h.push(Event::new(e.lamport(), e.node(), e.stream(), e.id(), e.seq(), e.deps().to_vec(), b"forged".to_vec())),
                    // a dependency on something that does not exist, or on itself
                    2 => h.push(Event::new(e.lamport() + 100, 99, 0, EventId::derived(99, 0, 0), 0, vec![EventId::from_bytes([7; 14]), e.id()], vec![])),
                    3 => h.push(Event::new(e.lamport(), 98, 0, EventId::derived(98, 0, 0), 0, vec![e.id()], vec![])),
                    _ => {}
                }
            }
            h
        },
    )
}

fn render(o: &Outcome) -> Vec<u8> {
    json::outcome_to_json(o)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn output_is_identical_for_every_permutation_and_duplication(
        h in history_strategy(),
        shuffle_seed in any::<u64>(),
        dups in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let base = render(&reconcile(&State::new(), &h));
        let mut permuted = h.clone();
        if !h.is_empty() {
            for d in &dups {
                permuted.push(h[d.index(h.len())].clone());
            }
        }
        sample::shuffle(&mut permuted, shuffle_seed);
        let out = reconcile(&State::new(), &permuted);
        // identical except for the duplicate count, which the re-deliveries raise
        let again = render(&out);
        let strip = |b: &[u8]| String::from_utf8_lossy(b).lines().filter(|l| !l.contains("\"duplicates\"")).collect::<Vec<_>>().join("\n");
        prop_assert_eq!(strip(&base), strip(&again));
        // and with the same duplicates, byte for byte, in another order
        let mut other = permuted.clone();
        sample::shuffle(&mut other, shuffle_seed ^ 1);
        prop_assert_eq!(again, render(&reconcile(&State::new(), &other)));
        // the streaming reconciler gives the same as the one-shot function
        let mut r = Reconciler::new();
        for e in other { r.push(e); }
        prop_assert_eq!(render(&r.flush()), render(&out));
    }

    #[test]
    fn batches_extend_to_the_same_state(seed in any::<u64>(), nodes in 1u32..4, streams in 1u16..3, per_stream in 1u64..10, cut in any::<prop::sample::Index>(), round in 0u64..10) {
        let shape = Shape { nodes, streams, per_stream, payload: 4 };
        let mut h = sample::history(seed, shape);
        let Outcome::Ok(whole) = reconcile(&State::new(), &h) else { panic!("sample histories are valid") };
        // at a round boundary the split always extends cleanly
        let r = round % per_stream;
        let (a, b): (Vec<Event>, Vec<Event>) = h.iter().cloned().partition(|e| e.seq() < r);
        let Outcome::Ok(first) = reconcile(&State::new(), &a) else { panic!("prefix rounds are valid") };
        let second = reconcile(&first.state, &b);
        let Outcome::Ok(second) = second else { panic!("round split must extend: {second:?}") };
        prop_assert_eq!(&second.state, &whole.state);
        prop_assert_eq!(second.state_hash, whole.state_hash);
        // at any cut in canonical order, a clean extension reaches the same state
        h.sort_by_key(Event::key);
        let k = cut.index(h.len() + 1);
        let Outcome::Ok(first) = reconcile(&State::new(), &h[..k]) else { panic!("canonical prefixes are valid") };
        let via_prior_json = abi::parse_prior(&json::summary_to_json(&first)).expect("a result is a valid prior");
        prop_assert_eq!(&via_prior_json, &first.state);
        if let Outcome::Ok(second) = reconcile(&via_prior_json, &h[k..]) {
            prop_assert_eq!(second.state_hash, whole.state_hash);
        }
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), op in 0u32..4) {
        let _ = Event::decode_all(&bytes, &Limits::default());
        let _ = State::decode(&bytes);
        let _ = json::parse_events(&bytes, &Limits::default());
        let _ = json::parse_prior(&bytes);
        let r = abi::call(op, &bytes);
        prop_assert!(r.status <= 2);
        prop_assert!(r.body.ends_with(b"\n"));
    }

    #[test]
    fn mutated_batches_never_panic_and_never_pass_for_the_clean_history(seed in any::<u64>(), flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
        let h = sample::history(seed, Shape { nodes: 2, streams: 2, per_stream: 3, payload: 5 });
        let mut bin = Vec::new();
        for e in &h { e.encode_into(&mut bin); }
        let clean_bin = bin.clone();
        let mut text = json::events_to_json(&h);
        for (i, b) in &flips {
            let n = bin.len();
            bin[i.index(n)] ^= b | 1;
            let m = text.len();
            text[i.index(m)] ^= b | 1;
        }
        let k = cut.index(bin.len() + 1);
        let clean = abi::call(Op::ReconcileBinary.code(), &abi::make_request(&clean_bin, &[]));
        prop_assert_eq!(clean.status, abi::STATUS_OK);
        for (op, input) in [(Op::ReconcileBinary, &bin[..k]), (Op::ReconcileJson, &text[..])] {
            let r = abi::call(op.code(), &abi::make_request(input, &[]));
            // a well-formed answer: ok, obstruction or error, one JSON document ending in a newline
            prop_assert!(r.status <= 2);
            prop_assert!(r.body.ends_with(b"\n"));
            let body = String::from_utf8(r.body.clone()).expect("bodies are UTF-8");
            prop_assert!(body.trim_start().starts_with('{') && body.trim_end().ends_with('}'), "{}", body);
            if r.status == abi::STATUS_ERROR {
                // an error names a code from the code table (4 digits, 3xxx or 4xxx)
                let code = body.split("\"code\": ").nth(1).and_then(|t| t.get(..4)).and_then(|c| c.parse::<u16>().ok());
                prop_assert!(code.is_some_and(|c| (3000..5000).contains(&c)), "{}", body);
            }
        }
        // binary damage is never accepted as the clean history: an ok answer for
        // changed bytes is a different history (the events' bytes are hashed)
        let r = abi::call(Op::ReconcileBinary.code(), &abi::make_request(&bin[..k], &[]));
        if r.status == abi::STATUS_OK {
            prop_assert_eq!(bin[..k] == clean_bin[..], r.body == clean.body);
        }
    }

    /// 2003 is strict: a dependency is refused exactly when its Lamport time is
    /// not below its dependent's, in one batch and against the prior's head.
    #[test]
    fn a_dependency_is_refused_exactly_when_not_strictly_earlier(dep_lamport in 0u64..40, lamport in 0u64..40, across in any::<bool>()) {
        let dep = Event::new(dep_lamport, 1, 0, EventId::derived(1, 0, 0), 0, vec![], b"dep".to_vec());
        let dependent = Event::new(lamport, 2, 0, EventId::derived(2, 0, 0), 0, vec![dep.id()], b"dependent".to_vec());
        let out = if across {
            let Outcome::Ok(first) = reconcile(&State::new(), core::slice::from_ref(&dep)) else { panic!("one event is a valid history") };
            reconcile(&first.state, &[dependent])
        } else {
            reconcile(&State::new(), &[dependent, dep])
        };
        let codes: Vec<u16> = match &out {
            Outcome::Ok(_) => vec![],
            Outcome::Obstruction(o) => o.violations.iter().map(|v| v.code).collect(),
        };
        prop_assert_eq!(codes.contains(&2003), dep_lamport >= lamport, "dep {} dependent {} across {}: {:?}", dep_lamport, lamport, across, codes);
        // below the prior frontier is 1001; nothing else can go wrong here
        prop_assert!(codes.iter().all(|&c| c == 2003 || (across && c == 1001 && lamport < dep_lamport)), "{:?}", codes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// The consistency proof a reconcile result carries (built from the prior
    /// compact range and the new leaves only) is the RFC 9162 proof built from
    /// all the leaves, and it verifies between the two roots.
    #[test]
    fn consistency_from_compact_range_is_the_rfc_proof(old in 0usize..300, add in 0usize..300, seed in any::<u8>()) {
        use omega_core::CompactRange;
        use omega_core::tree::{merkle, proof};
        let leaves: Vec<[u8; 32]> = (0..old + add).map(|i| merkle::leaf_hash(&[seed, (i >> 8) as u8, i as u8])).collect();
        let mut range = CompactRange::new();
        for l in &leaves[..old] {
            range.push(*l);
        }
        let from_range = merkle::consistency_from_range(&range, &leaves[old..]).unwrap();
        let full = proof::consistency_proof(&leaves, old as u64).unwrap();
        if old > 0 && add > 0 {
            prop_assert_eq!(&from_range, &full);
        } else {
            prop_assert!(from_range.is_empty());
        }
        let (a, b) = (merkle::root(&leaves[..old]), merkle::root(&leaves));
        prop_assert!(proof::verify_consistency(old as u64, (old + add) as u64, &a, &b, &from_range).is_ok());
    }
}
