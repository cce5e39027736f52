//! The typed request layer: every op's request decodes back from its own
//! encoding, required fields are required, and no bytes make it panic.
use omega_core::api::request::{self, Call, EcsMode, EventFormat};
use omega_core::api::{Op, abi, code};
use proptest::prelude::*;

fn error_code(r: &abi::Response) -> u16 {
    assert_eq!(r.status, abi::STATUS_ERROR, "{}", String::from_utf8_lossy(&r.body));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    u16::try_from(v["code"].as_u64().unwrap()).unwrap()
}

/// One request of every op, with every optional field set where it has one.
fn samples() -> Vec<Call<'static>> {
    let e = omega_core::ecs::Entity { index: 3, generation: 1 };
    vec![
        Call::Version,
        Call::Reconcile(request::Reconcile { format: EventFormat::Json, events: b"[]", prior: b"" }),
        Call::Reconcile(request::Reconcile { format: EventFormat::Binary, events: b"", prior: b"OMGS" }),
        Call::Keygen(request::Keygen { name: "a.example", seed: &[7; 32], witness: false }),
        Call::Keygen(request::Keygen { name: "w.example", seed: &[7; 32], witness: true }),
        Call::Certify(request::Certify { result: b"{}", origin: "o", key: "k", prev: Some(b"p"), committee: Some(b"c"), world: None }),
        Call::Certify(request::Certify { result: b"{}", origin: "o", key: "k", prev: None, committee: None, world: Some(b"9 ab") }),
        Call::Certify(request::Certify { result: b"{}", origin: "o", key: "k", prev: None, committee: None, world: None }),
        Call::Cosign(request::Cosign { certificate: b"c", key: "k", timestamp: None }),
        Call::Cosign(request::Cosign { certificate: b"c", key: "k", timestamp: Some(1_700_000_000) }),
        Call::Verify(request::Verify { certificate: b"c", committee: Some(b"k"), chain: vec![b"a", b"b"] }),
        Call::Explain(request::Explain { certificate: b"c", committee: None }),
        Call::Note(b"c"),
        Call::ProveInclusion(request::Prove { events: b"[]", format: EventFormat::Leaves, at: 5 }),
        Call::ProveConsistency(request::Prove { events: b"x", format: EventFormat::Omega, at: u64::MAX }),
        Call::VerifyInclusion(b"{}"),
        Call::VerifyConsistency(b"{}"),
        Call::Ingest(b"log"),
        Call::ReconcileLog(request::ReconcileLog { log: b"log", prior: b"{}" }),
        Call::Snapshot(request::Snapshot { from: b"s", world: None }),
        Call::Snapshot(request::Snapshot { from: b"s", world: Some(b"w") }),
        Call::Replay(request::Replay { snapshot: Some(b"s"), log: b"l", certificate: Some(b"c"), reference: None, inject: None, chain: vec![] }),
        Call::Replay(request::Replay {
            snapshot: None,
            log: b"l",
            certificate: Some(b"c"),
            reference: Some(b"w"),
            inject: Some((6, omega_core::ecs::Entity { index: 3, generation: 1 }, 4, 40)),
            chain: vec![b"d", b"e"],
        }),
        Call::Replay(request::Replay { snapshot: Some(b"s"), log: b"l", certificate: Some(b"c"), reference: None, inject: None, chain: vec![b"d"] }),
        Call::Bundle(request::Bundle { events: b"e", format: EventFormat::Binary, prior: b"" }),
        Call::ExplainBundle(b"b"),
        Call::EcsRun(request::EcsRun {
            start: b"{}",
            ticks: 40,
            events: Some(b"[]"),
            mode: EcsMode { reports: false, snapshot: true, prestep: true },
            inject: Some((2, e, 1, 63)),
        }),
        Call::EcsRun(request::EcsRun { start: b"", ticks: 0, events: None, mode: EcsMode::default(), inject: None }),
        Call::EcsDiff(request::EcsDiff { a: b"a", b: b"b" }),
        Call::MerkleRoot(&[0; 64]),
        Call::NoteVerify(request::NoteVerify { note: b"n", keys: vec!["k1", "k2"] }),
        Call::Cut(request::Cut { prior: b"{}", carry: Some(b"OMGP"), fresh: Some(b"e"), horizon: 4, delay: 0 }),
        Call::Cut(request::Cut { prior: b"", carry: None, fresh: Some(b"e"), horizon: 2, delay: 7 }),
        Call::Cut(request::Cut { prior: b"", carry: None, fresh: None, horizon: u32::MAX, delay: 0 }),
        Call::Merge(vec![b"a", b"b"]),
        Call::Fraud(request::Fraud { committee: b"c", a: b"a", b: b"b" }),
        Call::EcsBatch(request::EcsBatch { world: b"{}", events: Some(b"e") }),
        Call::EcsBatch(request::EcsBatch { world: b"", events: None }),
        Call::Seal(br#"{"n":1,"horizon":8,"delay":0}"#),
        Call::Ed25519Verify(br#"[{"key":"","msg":"","sig":""}]"#),
        Call::ProveTiles(request::ProveTiles { kind: request::TileProof::Inclusion, at: 3, size: 300, root: Some(b"ab"), tiles: vec![(b"tile/0/000", b"x"), (b"tile/1/000.p/1", b"")] }),
        Call::ProveTiles(request::ProveTiles { kind: request::TileProof::Consistency, at: 0, size: u64::MAX, root: None, tiles: vec![] }),
        Call::PolicyVerify(request::PolicyVerify { policy: b"quorum none\n", note: b"n" }),
        Call::NoteSign(request::NoteSign { note: b"n", key: "k", timestamp: None }),
        Call::NoteSign(request::NoteSign { note: b"n", key: "k", timestamp: Some(7) }),
    ]
}

#[test]
fn every_op_has_a_sample_and_decodes_its_own_encoding() {
    let s = samples();
    for op in Op::ALL {
        assert!(s.iter().any(|c| c.op() == op), "no sample request for {op}");
    }
    for c in &s {
        let bytes = c.encode();
        assert_eq!(Call::decode(c.op(), &bytes).as_ref(), Ok(c), "{:?}", c.op());
    }
}

#[test]
fn a_missing_required_field_is_refused_not_read_as_empty() {
    // op 5 needs the certificate and the key: one field is not enough
    let r = abi::call(Op::Cosign.code(), &request::make_fields(&[b"cert"]));
    assert_eq!(error_code(&r), code::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&r.body).contains("the signer key as field 1"));
    // op 22 needs a note
    assert_eq!(error_code(&abi::call(Op::NoteVerify.code(), b"")), code::BAD_REQUEST);
    // and at least one key
    let r = abi::call(Op::NoteVerify.code(), &request::make_fields(&[b"note"]));
    assert_eq!(error_code(&r), code::BAD_REQUEST);
}

#[test]
fn unknown_words_are_refused() {
    let r = abi::call(Op::Bundle.code(), &request::make_fields(&[b"[]", b"yaml", b""]));
    assert_eq!(error_code(&r), code::BAD_REQUEST);
    let r = abi::call(Op::EcsRun.code(), &request::make_fields(&[b"", b"1", b"", b"reports,loud", b""]));
    assert_eq!(error_code(&r), code::BAD_REQUEST);
    let r = abi::call(Op::LAST + 1, b"");
    assert_eq!(error_code(&r), code::UNKNOWN_OP);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Any bytes, as any op's request: decoding never panics, and the
    /// kernel answers every one with a status it documents.
    #[test]
    fn any_bytes_decode_without_panicking(op in 0u32..=Op::LAST + 1, fields in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..24), 0..6), raw in proptest::collection::vec(any::<u8>(), 0..40)) {
        let framed = request::make_fields(&fields.iter().map(Vec::as_slice).collect::<Vec<_>>());
        for input in [&framed[..], &raw[..]] {
            if let Ok(op) = Op::try_from(op) {
                if let Ok(c) = Call::decode(op, input) {
                    // what decodes re-encodes to a request that decodes the same
                    let again = c.encode();
                    prop_assert_eq!(Call::decode(op, &again), Ok(c));
                }
            }
            // op 19 (a long run) is skipped for speed only
            if op != 19 {
                let r = abi::call(op, input);
                prop_assert!(r.status <= 2);
                prop_assert!(r.body.ends_with(b"\n"));
            }
        }
    }

    /// Op 28 reads any list of byte strings given as hex: one result per
    /// signature, in order, each the verdict `certify::ed25519::check` gives
    /// for those bytes; and a list whose hex is broken anywhere is refused
    /// with 3004 naming that signature and field.
    #[test]
    fn ed25519_requests_read_back_every_signature(cases in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..34), proptest::collection::vec(any::<u8>(), 0..20), proptest::collection::vec(any::<u8>(), 0..66)), 0..6), broken in any::<prop::sample::Index>(), field in 0usize..3) {
        use omega_core::hex;
        let list: Vec<serde_json::Value> = cases.iter().map(|(k, m, s)| serde_json::json!({ "key": hex::encode(k), "msg": hex::encode(m), "sig": hex::encode(s) })).collect();
        let text = serde_json::to_vec(&list).unwrap();
        let r = abi::call(Op::Ed25519Verify.code(), &request::make_fields(&[&text]));
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let want: Vec<String> = cases.iter().map(|(k, m, s)| match omega_core::certify::ed25519::check(k, m, s) {
            Ok(()) => "valid".to_string(),
            Err(e) => e.as_str().to_string(),
        }).collect();
        let got: Vec<String> = body["results"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(body["checked"].as_u64(), Some(cases.len() as u64));
        let all_valid = want.iter().all(|w| w == "valid");
        prop_assert_eq!(r.status, if all_valid { abi::STATUS_OK } else { abi::STATUS_OBSTRUCTION });
        if !cases.is_empty() {
            let i = broken.index(cases.len());
            let name = ["key", "msg", "sig"][field];
            let mut bad = list.clone();
            bad[i][name] = serde_json::Value::String(format!("{}z", bad[i][name].as_str().unwrap()));
            let r = abi::call(Op::Ed25519Verify.code(), &request::make_fields(&[&serde_json::to_vec(&bad).unwrap()]));
            prop_assert_eq!(error_code(&r), code::JSON_HEX);
            let e: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            prop_assert_eq!(e["index"].as_u64(), Some(i as u64));
            prop_assert_eq!(e["field"].as_str(), Some(name));
        }
    }
}
