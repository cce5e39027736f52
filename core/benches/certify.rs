//! Certificate verification (issue 3). Run: `cargo bench -p omega-core --bench certify`.
//!
//! - `verify_5of7`: `cert::verify` of a 5-of-7 certificate (exactly 5 member
//!   signatures) against a committee built once; `verify_5of7_prepared`: the
//!   same against a prepared committee (`Committee::prepare`: fixed-base
//!   tables), and `prepare_committee_7`: what preparing costs;
//! - `ed25519_verify_1`, `ed25519_dalek_verify_strict_1`: one signature, as omega
//!   checks it (key prepared once) and as bare ed25519-dalek's `verify_strict`
//!   does (key decompressed once too);
//! - `double_scalar_mul_1`: the floor of one verification, `[S]B - [k]A`
//!   (variable time, as verifying does); `comb_double_mul_1`: the same point
//!   from fixed-base tables;
//! - `ed25519_dalek_verify_batch_5`, `r_torsion_check_1`: what a strict batch
//!   would cost (the bare ed25519-dalek batch of the five, which does not check
//!   R, and the per-R subgroup check it would need to agree with one by one);
//! - `parse_committee_7`: reading a committee (7 keys, each checked);
//! - `abi_verify_op_5of7`: the op the blob's `verifyCertificate` runs, natively;
//! - `verify_chain_1000`: `cert::verify_chain` over 1,000 linked 5-of-7
//!   certificates (it prepares a copy of the committee: a chain that long pays for it).
//!
//! The inputs are deterministic and the same as tests/js/bench-certify.mjs
//! builds with the blob (same keys, events, origin and committee), so both
//! print the same certificate hashes. The chain is built once, outside the
//! timed loops (about 0.2 s in release).
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
use criterion::{Criterion, criterion_group, criterion_main};
use omega_core::certify::cert::{self, Certificate, Committee};
use omega_core::certify::note::{SignerKey, VerifierKey};
use omega_core::api::{abi, json, ops};
use omega_core::api::Op;
use omega_core::{Event, EventId, Outcome, State, hex, reconcile};
use std::hint::black_box;
use std::time::{Duration, Instant};

const ORIGIN: &str = "bench.example/log";
const MEMBERS: u8 = 7;
const THRESHOLD: u32 = 5;
const CHAIN: usize = 1_000;

/// Member `i`: name `bench.example/m<i>`, seed 32 × `i + 1`.
fn keys() -> Vec<SignerKey> {
    (0..MEMBERS)
        .map(|i| SignerKey::from_seed(&format!("bench.example/m{i}"), [i + 1; 32]).expect("a valid key"))
        .collect()
}

/// The batch of link `r`: nodes 1–2 × streams 0–1, seq `r`, Lamport `r + 1`,
/// derived ids, no deps, payload "payload" (the JS harness builds the same JSON).
fn batch(r: u64) -> Vec<Event> {
    let mut out = Vec::new();
    for node in 1..=2u32 {
        for stream in 0..2u16 {
            out.push(Event::new(r + 1, node, stream, EventId::derived(node, stream, r), r, Vec::new(), b"payload".to_vec()));
        }
    }
    out
}

/// `n` certificates, each 5-of-7 (members 0–4 sign), each extending the last.
fn chain(n: usize, keys: &[SignerKey], committee: &Committee) -> Vec<Certificate> {
    let mut state = State::new();
    let mut prev: Option<Certificate> = None;
    let mut out = Vec::with_capacity(n);
    for r in 0..n as u64 {
        // The result JSON every engine prints, read back as what it attests (as `omega certify` does).
        let outcome = reconcile(&state, &batch(r));
        let att = ops::parse_result(&json::outcome_to_json(&outcome)).expect("an ok result");
        let Outcome::Ok(s) = outcome else { panic!("link {r} obstructed") };
        let mut c = cert::certify(&att, ORIGIN, prev.as_ref(), Some(committee), &keys[0]).expect("certify");
        for k in &keys[1..THRESHOLD as usize] {
            c.cosign(k).expect("cosign");
        }
        state = s.state;
        prev = Some(c.clone());
        out.push(c);
    }
    out
}

fn bench(c: &mut Criterion) {
    let keys = keys();
    let members: Vec<VerifierKey> = keys.iter().map(|k| k.verifier().clone()).collect();
    let committee = Committee::new(THRESHOLD, members.clone()).expect("committee");

    let t = Instant::now();
    let certs = chain(CHAIN, &keys, &committee);
    eprintln!("built a chain of {CHAIN} certificates (5 of 7 each) in {:.2?}", t.elapsed());
    // The single certificate: height 1 (one consistency line), as in the JS harness.
    let one = &certs[1];
    eprintln!("certificate at height 1: {}", hex::encode(&one.hash()));
    eprintln!("chain head at height {}: {}", CHAIN - 1, hex::encode(&certs[CHAIN - 1].hash()));
    let v = cert::verify(one, &committee);
    assert!(v.valid && v.valid_signers == 5, "{v:?}");
    assert!(cert::verify_chain(&certs, &committee).valid);
    // The five (key, signature) pairs in signature order, for the one-by-one baseline.
    let pairs: Vec<(&VerifierKey, &[u8])> = one
        .signatures
        .iter()
        .map(|s| (members.iter().find(|m| m.name() == s.name).expect("a member"), s.sig.as_slice()))
        .collect();
    let body = one.checkpoint.body();
    assert!(pairs.iter().all(|(k, s)| k.verify(body.as_bytes(), s)));
    let mut flipped = one.clone();
    flipped.signatures[2].sig[7] ^= 1;
    assert!(!cert::verify(&flipped, &committee).valid);
    assert!(!pairs[2].0.verify(body.as_bytes(), &flipped.signatures[2].sig));

    let mut g = c.benchmark_group("certify");
    g.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));

    // (a) cert::verify of a 5-of-7 certificate against a committee built once.
    g.bench_function("verify_5of7", |b| {
        b.iter(|| {
            let v = cert::verify(black_box(one), black_box(&committee));
            assert!(v.valid);
            v
        })
    });
    // (a') the same against a prepared committee (fixed-base tables built once).
    let mut prepared = committee.clone();
    prepared.prepare();
    g.bench_function("verify_5of7_prepared", |b| {
        b.iter(|| {
            let v = cert::verify(black_box(one), black_box(&prepared));
            assert!(v.valid);
            v
        })
    });
    // What preparing costs: tables for the base point and the 7 members.
    g.bench_function("prepare_committee_7", |b| {
        b.iter(|| {
            let mut c = black_box(&committee).clone();
            c.prepare();
            c
        })
    });
    // (d) one strict Ed25519 verification as omega does it (the key prepared once).
    let (k0, s0) = pairs[0];
    g.bench_function("ed25519_verify_1", |b| b.iter(|| assert!(black_box(k0).verify(black_box(body.as_bytes()), black_box(s0)))));
    // (d') the bare ed25519-dalek strict verify with the key already decompressed.
    let vk = ed25519_dalek::VerifyingKey::from_bytes(k0.public()).expect("key");
    let sig = ed25519_dalek::Signature::from_bytes(&<[u8; 64]>::try_from(s0).expect("64 bytes"));
    g.bench_function("ed25519_dalek_verify_strict_1", |b| {
        b.iter(|| assert!(black_box(&vk).verify_strict(black_box(body.as_bytes()), black_box(&sig)).is_ok()))
    });
    // The floor of one verification: [S]B - [k]A, variable time.
    let minus_a = -curve25519_dalek::edwards::CompressedEdwardsY(*k0.public()).decompress().expect("a point");
    let kk = curve25519_dalek::Scalar::from_bytes_mod_order([7; 32]);
    let ss = curve25519_dalek::Scalar::from_bytes_mod_order([9; 32]);
    g.bench_function("double_scalar_mul_1", |b| {
        b.iter(|| curve25519_dalek::EdwardsPoint::vartime_double_scalar_mul_basepoint(black_box(&kk), black_box(&minus_a), black_box(&ss)))
    });
    // The same point from fixed-base tables (what a prepared committee computes).
    let (base, table) = (omega_core::certify::comb::Comb::new(&curve25519_dalek::constants::ED25519_BASEPOINT_POINT), omega_core::certify::comb::Comb::new(&minus_a));
    g.bench_function("comb_double_mul_1", |b| {
        b.iter(|| omega_core::certify::comb::double_mul(black_box(&ss), black_box(&base), black_box(&kk), black_box(&table)))
    });
    // What a strict batch would cost: the bare ed25519-dalek batch of the five
    // (no R checks), and the check it would need per R to agree with one by one
    // (decompress, canonical, torsion-free: a multiplication by the group order).
    let vks: Vec<ed25519_dalek::VerifyingKey> =
        pairs.iter().map(|(k, _)| ed25519_dalek::VerifyingKey::from_bytes(k.public()).expect("key")).collect();
    let sigs: Vec<ed25519_dalek::Signature> = pairs
        .iter()
        .map(|(_, s)| ed25519_dalek::Signature::from_bytes(&<[u8; 64]>::try_from(*s).expect("64 bytes")))
        .collect();
    let msgs: Vec<&[u8]> = pairs.iter().map(|_| body.as_bytes()).collect();
    g.bench_function("ed25519_dalek_verify_batch_5", |b| {
        b.iter(|| assert!(ed25519_dalek::verify_batch(black_box(&msgs), black_box(&sigs), black_box(&vks)).is_ok()))
    });
    let r0: [u8; 32] = s0[..32].try_into().expect("32 bytes");
    g.bench_function("r_torsion_check_1", |b| {
        b.iter(|| {
            let p = curve25519_dalek::edwards::CompressedEdwardsY(black_box(r0)).decompress().expect("a point");
            assert!(p.compress().to_bytes() == r0 && p.is_torsion_free());
        })
    });
    // (e) the whole verify op the blob's `verifyCertificate` runs: read the OMGC bytes,
    // parse the committee JSON (7 keys, each checked torsion-free), verify, render the JSON.
    let committee_json = format!(
        "{{\"threshold\":{THRESHOLD},\"members\":[{}]}}",
        members.iter().map(|m| format!("\"{m}\"")).collect::<Vec<_>>().join(",")
    );
    g.bench_function("parse_committee_7", |b| b.iter(|| ops::parse_committee(black_box(committee_json.as_bytes())).expect("committee")));
    let request = ops::make_fields(&[&one.encode().expect("encode"), committee_json.as_bytes()]);
    g.bench_function("abi_verify_op_5of7", |b| {
        b.iter(|| {
            let r = abi::call(Op::Verify.code(), black_box(&request));
            assert_eq!(r.status, abi::STATUS_OK);
            r
        })
    });
    g.finish();

    let mut g = c.benchmark_group("certify_chain");
    g.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    // (c) cert::verify_chain over 1,000 certificates (5,000 signatures).
    g.bench_function("verify_chain_1000", |b| {
        b.iter(|| {
            let v = cert::verify_chain(black_box(&certs), black_box(&committee));
            assert!(v.valid);
            v
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
