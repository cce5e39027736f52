//! ECS ticks per second: 100,000 entities with 300,000 edges (the issue's
//! headline), and the 1,000-entity world of the golden vectors.
//! Run: `cargo bench -p omega-core --bench ecs`.
use criterion::{Criterion, criterion_group, criterion_main};
use omega_core::ecs::{Config, World};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ecs_tick");
    g.sample_size(10);
    for (name, entities) in [("tick_1k_entities_3k_edges", 1_000u32), ("tick_100k_entities_300k_edges", 100_000)] {
        let mut w = World::new(7, Config { nodes: 5, entities, edges_per_entity: 3 });
        g.bench_function(name, |b| b.iter(|| black_box(w.step(&[]))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
