//! Native reconcile of 1M shuffled events with 100-byte payloads (the issue's
//! headline number), plus the RFC 6962 hashing alone for scale.
//! Run: `cargo bench -p omega-core --bench reconcile`.
use criterion::{Criterion, criterion_group, criterion_main};
use omega_core::event::sample::{Shape, history, shuffle};
use omega_core::api::abi;
use omega_core::api::Op;
use omega_core::tree::merkle;
use omega_core::{Outcome, State, reconcile};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut events = history(1, Shape::BENCH_1M);
    shuffle(&mut events, 2);
    let mut g = c.benchmark_group("reconcile_1m");
    g.sample_size(10);
    g.bench_function("reconcile_1m_events_100b", |b| {
        b.iter(|| {
            let out = reconcile(&State::new(), black_box(&events));
            assert!(matches!(out, Outcome::Ok(_)));
            out
        })
    });
    // The same work as the blob's `reconcileBinary` in tests/js/bench.mjs:
    // decode the canonical bytes, reconcile, print the result JSON.
    let mut bytes = Vec::new();
    for e in &events {
        e.encode_into(&mut bytes);
    }
    let request = abi::make_request(&bytes, &[]);
    g.bench_function("abi_reconcile_binary_1m", |b| {
        b.iter(|| {
            let resp = abi::call(Op::ReconcileBinary.code(), black_box(&request));
            assert_eq!(resp.status, abi::STATUS_OK);
            resp
        })
    });
    let leaves: Vec<[u8; 32]> = events.iter().map(|e| e.leaf_hash()).collect();
    g.bench_function("merkle_root_1m_leaves", |b| b.iter(|| merkle::root(black_box(&leaves))));
    g.bench_function("leaf_hashes_1m_events", |b| {
        b.iter(|| black_box(&events).iter().map(|e| e.leaf_hash()).fold(0u8, |a, h| a ^ h[0]))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
