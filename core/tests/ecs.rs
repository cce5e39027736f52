//! The ECS world: each system's rule, determinism, snapshot/restore, commands.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking
use omega_core::ecs::fx::{self, Fx, Sat};
use omega_core::ecs::{Command, Config, Decision, Entity, Op, World, systems};

fn small(seed: u64) -> World {
    World::new(seed, Config { nodes: 3, entities: 30, edges_per_entity: 2 })
}

fn f(x: &str) -> Fx {
    x.parse().unwrap()
}

#[test]
fn same_seed_same_hashes_other_seed_other_hashes() {
    let (mut a, mut b, mut c) = (small(1), small(1), small(2));
    for _ in 0..200 {
        let (ra, rb, rc) = (a.step(&[]), b.step(&[]), c.step(&[]));
        assert_eq!(ra, rb);
        assert_ne!(ra.state_hash, rc.state_hash);
    }
}

#[test]
fn snapshot_restore_continues_identically() {
    let mut a = small(5);
    for _ in 0..100 {
        a.step(&[]);
    }
    let snap = a.encode();
    let mut b = World::restore(&snap).unwrap();
    assert_eq!(b.encode(), snap);
    for _ in 0..100 {
        assert_eq!(a.step(&[]), b.step(&[]));
    }
    for cut in [0, 4, 5, 20, snap.len() / 2, snap.len() - 1] {
        assert!(World::restore(&snap[..cut]).is_err());
    }
    let mut extra = snap.clone();
    extra.push(0);
    assert!(World::restore(&extra).is_err());
}

#[test]
fn commands_roundtrip_and_apply_at_their_tick() {
    let e = Entity { index: 3, generation: 0 };
    let cmds = [
        Command { tick: 2, op: Op::Spawn { node: 1, target: f("0.5") } },
        Command { tick: 2, op: Op::Despawn { entity: e } },
        Command { tick: 3, op: Op::Link { a: e, b: Entity { index: 4, generation: 0 }, weight: f("0.25") } },
        Command { tick: 3, op: Op::Unlink { a: e, b: Entity { index: 4, generation: 0 } } },
        Command { tick: 4, op: Op::SetTarget { entity: e, value: f("-1.5") } },
        Command { tick: 4, op: Op::Sensor { entity: e, value: f("7") } },
    ];
    for c in &cmds {
        assert_eq!(Command::decode(&c.encode()).unwrap(), *c);
        assert_eq!(Command::decode(omega_core::ecs::command::to_json(c).as_bytes()).unwrap(), *c);
    }
    assert!(Command::decode(b"hello").is_err());
    assert!(Command::decode(br#"{"tick":1,"op":"spawn","node":1,"target":"x"}"#).is_err());
    let mut w = small(1);
    let before = w.len();
    let r = w.step(&[cmds[0]]);
    assert_eq!((w.len(), r.entities), (before + 1, before + 1));
    // despawn frees the slot and bumps the generation; the old id is dead
    let r = w.step(&[Command { tick: 2, op: Op::Despawn { entity: e } }]);
    assert!(r.rejected.is_empty());
    let r = w.step(&[Command { tick: 3, op: Op::SetTarget { entity: e, value: fx::ONE } }]);
    assert_eq!(r.rejected.len(), 1, "a stale generation is rejected, not fatal");
    let n = w.spawn(0, fx::ZERO);
    assert_eq!(n, Entity { index: 3, generation: 1 }, "the lowest free slot is reused with the next generation");
}

#[test]
fn pid_rule_gains_antiwindup_and_epsilon_reset() {
    let mut w = World::new(1, Config { nodes: 1, entities: 1, edges_per_entity: 0 });
    let e = Entity { index: 0, generation: 0 };
    // a sensor reading 1.0 below the target: error 1
    let target = fx::ONE;
    w.apply(&Command { tick: 1, op: Op::SetTarget { entity: e, value: target } }).unwrap();
    let r = w.step(&[Command { tick: 1, op: Op::Sensor { entity: e, value: fx::ZERO } }]);
    // out = Kp e + Ki (e dt) + Kd (e - 0) / dt = 0.6 + 0.1/64 + 0.05*64 = 3.8015625 (energy 14.45 > 10: clamped)
    assert_eq!(r.alerts.len(), 1);
    assert_eq!(r.alerts[0].kind, "energy");
    let want = f("3.8015625");
    assert!((r.alerts[0].value - want * want).abs() < f("0.000001"), "{}", r.alerts[0].value);
    // one tick of error 1 integrates 1 · dt = 1/64 = 1 << 26 in I32F32
    assert_eq!(w.components(e).unwrap()[3][0], 1 << 26);
    // anti-windup: 200 ticks of error 1 would integrate to 201/64 = 3.14; the
    // integral is exactly 1.0 (1 << 32) from the 64th tick on, and the steady
    // output (derivative 0) is Kp · 1 + Ki · 1 = 0.7
    let mut saturations = r.saturations;
    for k in 2..=200 {
        let r = w.step(&[Command { tick: 0, op: Op::Sensor { entity: e, value: fx::ZERO } }]);
        saturations += r.saturations;
        let pid = &w.components(e).unwrap()[3];
        assert_eq!(pid[0], (k.min(64) as i64) << 26, "integral after {k} ticks of error 1");
        if k > 64 {
            assert!((Fx::from_bits(pid[2]) - f("0.7")).abs() < f("0.000000002"), "output {}", Fx::from_bits(pid[2]));
            assert!(r.alerts.is_empty(), "0.7² is far below the energy limit");
        }
    }
    // epsilon reset: an error below 1e-4 zeroes the integral
    let r = w.step(&[Command { tick: 0, op: Op::Sensor { entity: e, value: target - f("0.00005") } }]);
    assert_eq!(w.components(e).unwrap()[3][0], 0);
    // nothing in this run comes near the range of I32F32: no operation saturated
    assert_eq!(saturations + r.saturations, 0);
}

/// An amplitude driven past 1000 by the commands alone (a link of weight
/// 10000 makes the explicit Laplacian step unstable) raises the amplitude
/// alert with the value before the clamp, and the field then starts from
/// exactly ±1000: amp after = clamped + vel · dt, and vel · dt is vel >> 6.
#[test]
fn safety_clamps_amplitude_and_alerts() {
    let mut w = World::new(1, Config { nodes: 1, entities: 0, edges_per_entity: 0 });
    let a = w.spawn(0, fx::ONE);
    let b = w.spawn(0, -fx::ONE);
    let r = w.step(&[Command { tick: 1, op: Op::Link { a, b, weight: f("10000") } }]);
    assert!(r.rejected.is_empty());
    let limit: i64 = 1000 << 32;
    let mut alerted = 0;
    for _ in 0..40 {
        let r = w.step(&[]);
        for e in [a, b] {
            let c = w.components(e).unwrap();
            let before_field = c[4][0] - (c[4][1] >> 6);
            match r.alerts.iter().find(|x| x.kind == "amplitude" && x.entity == e) {
                Some(alert) => {
                    assert!(alert.value.to_bits().abs() > limit, "alerted at {}", alert.value);
                    assert_eq!(before_field.abs(), limit, "clamped to exactly ±1000.0");
                    alerted += 1;
                }
                None => assert!(before_field.abs() <= limit, "an unalerted amplitude {} is within the limit", Fx::from_bits(before_field)),
            }
        }
    }
    assert!(alerted >= 20, "the amplitude limit was reached ({alerted} alerts)");
    // energy per command is always clamped to 10 before it drives the field
    let out = Fx::from_bits(w.components(b).unwrap()[3][2]);
    assert!(out * out <= f("10"));
}

#[test]
fn signal_metrics_are_in_range_and_coherence_is_one_when_in_phase() {
    let mut w = small(3);
    for _ in 0..50 {
        let r = w.step(&[]);
        assert!(r.metrics.entropy >= fx::ZERO && r.metrics.entropy <= f("2.7726"));
        assert!(r.metrics.coherence >= fx::ZERO && r.metrics.coherence <= fx::ONE);
        assert!(r.metrics.resonance >= fx::ZERO);
        assert!(r.metrics.threat >= fx::ZERO && r.metrics.threat <= fx::ONE);
        let total: Fx = r.metrics.weights.iter().copied().sum();
        assert!((total - fx::ONE).abs() < f("0.00000001"), "weights sum {total}");
    }
    // one entity: the order parameter of a single phase is 1, the entropy 0
    let mut one = World::new(9, Config { nodes: 1, entities: 1, edges_per_entity: 0 });
    let r = one.step(&[]);
    assert!((r.metrics.coherence - fx::ONE).abs() < f("0.00000001"));
    assert_eq!(r.metrics.entropy, fx::ZERO);
}

#[test]
fn field_diffuses_over_the_graph() {
    // two linked entities with equal targets: their amplitudes converge
    let mut w = World::new(1, Config { nodes: 1, entities: 0, edges_per_entity: 0 });
    let a = w.spawn(0, fx::ZERO);
    let b = w.spawn(0, fx::ZERO);
    w.apply(&Command { tick: 1, op: Op::Link { a, b, weight: f("2") } }).unwrap();
    w.apply(&Command { tick: 1, op: Op::SetTarget { entity: a, value: f("1") } }).unwrap();
    let gap = |w: &World| (Fx::from_bits(w.components(a).unwrap()[4][0]) - Fx::from_bits(w.components(b).unwrap()[4][0])).abs();
    let mut linked = w.clone();
    w.apply(&Command { tick: 1, op: Op::Unlink { a, b } }).unwrap();
    for _ in 0..500 {
        linked.step(&[]);
        w.step(&[]);
    }
    assert!(gap(&linked) < gap(&w), "the Laplacian coupling narrows the gap: {} vs {}", gap(&linked), gap(&w));
}

#[test]
fn topology_moves_from_the_most_to_the_least_loaded_node() {
    let mut w = World::new(1, Config { nodes: 3, entities: 0, edges_per_entity: 0 });
    for _ in 0..6 {
        w.spawn(0, fx::ZERO);
    }
    let r = w.step(&[]);
    assert_eq!(r.migrations.len(), 1);
    assert_eq!((r.migrations[0].from, r.migrations[0].to, r.migrations[0].entity.index), (0, 1, 0));
    let r = w.step(&[]);
    assert_eq!((r.migrations[0].from, r.migrations[0].to), (0, 2));
    // loads 4, 1, 1 -> 3, 2, 1 -> then within the threshold
    w.step(&[]);
    assert!(w.step(&[]).migrations.is_empty());
}

#[test]
fn arbiter_thresholds_and_pulse() {
    let mut s = Sat::default();
    // T = T1 ln U / (1 - 1/(kP)) with k = 4, P = 5: 0.004 / 0.95
    let p = systems::pulse(5, &mut s);
    assert!((p - f("0.0042105263")).abs() < f("0.000000002"), "{p}");
    // kP ≤ 1: the lower bound 1e-6, floor(2^32 / 10^6) = 4294 bits in I32F32
    assert_eq!(systems::pulse(0, &mut s).to_bits(), 4_294);
    assert_eq!(s.0, 0, "the pulse of 5 nodes saturates nothing");
    // a world full of alerts is quarantined
    let mut w = World::new(1, Config { nodes: 1, entities: 8, edges_per_entity: 0 });
    let cmds: Vec<Command> = (0..8)
        .map(|i| Command { tick: 1, op: Op::Sensor { entity: Entity { index: i, generation: 0 }, value: f("-100") } })
        .collect();
    let r = w.step(&cmds);
    assert_eq!(r.decision, Decision::Quarantine, "threat {}", r.metrics.threat);
    assert!(r.metrics.threat >= systems::THREAT_QUARANTINE);
}

#[test]
fn saturation_is_counted_not_hidden() {
    let mut w = World::new(1, Config { nodes: 1, entities: 1, edges_per_entity: 0 });
    let e = Entity { index: 0, generation: 0 };
    let r = w.step(&[Command { tick: 1, op: Op::Sensor { entity: e, value: Fx::MIN } }]);
    assert!(r.saturations > 0);
}

#[test]
fn state_hash_is_the_sha256_of_the_encoding() {
    // state_hash streams the encoding into SHA-256; it must equal hashing the bytes.
    for (entities, ticks) in [(0u32, 0u32), (1, 1), (50, 3), (3000, 2)] {
        let mut w = World::new(11, Config { nodes: 3, entities, edges_per_entity: 3 });
        for _ in 0..ticks {
            w.step(&[]);
        }
        assert_eq!(w.state_hash(), omega_core::sha256(&w.encode()), "{entities} entities");
        // dead slots (5-byte records) between live ones (81 bytes), across the hash buffer's edges
        let dead: Vec<_> = w.entities().step_by(7).collect();
        for e in dead {
            w.despawn(e);
        }
        assert_eq!(w.state_hash(), omega_core::sha256(&w.encode()), "{entities} entities, some dead");
        w.step(&[]);
        assert_eq!(w.state_hash(), omega_core::sha256(&w.encode()), "{entities} entities, some dead, stepped");
    }
}

// ---------- caps: a world that cannot be built is refused up front ----------

use omega_core::ErrorCode as _;
use omega_core::ecs::{MEMORY_BUDGET, WorldError, memory_estimate};
use proptest::prelude::*;

/// Byte offsets in the OMGW header.
const NODES_AT: usize = 29;
/// After the header and the arbiter record (OMGW version 2).
const SLOTS_AT: usize = 131;

/// Allocation accounting per thread (each test runs on its own thread), so a
/// test can say "restoring these bytes never allocated more than N".
mod alloc_meter {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    pub struct Meter;

    thread_local! {
        static LIVE: Cell<usize> = const { Cell::new(0) };
        static PEAK: Cell<usize> = const { Cell::new(0) };
    }

    fn add(n: usize) {
        let _ = LIVE.try_with(|l| {
            let v = l.get().saturating_add(n);
            l.set(v);
            let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
        });
    }

    fn sub(n: usize) {
        let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
    }

    // SAFETY: every call is forwarded to the system allocator unchanged; the
    // accounting touches only const-initialised thread-locals (no allocation).
    unsafe impl GlobalAlloc for Meter {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            add(layout.size());
            // SAFETY: the caller's layout contract is passed on as is.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            sub(layout.size());
            // SAFETY: as above.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            add(layout.size());
            // SAFETY: as above.
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            add(new_size);
            sub(layout.size());
            // SAFETY: as above.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    /// Runs `f` and returns its result and the most bytes it had allocated at once.
    pub fn peak<T>(f: impl FnOnce() -> T) -> (T, usize) {
        let start = LIVE.with(Cell::get);
        PEAK.with(|p| p.set(start));
        let out = f();
        (out, PEAK.with(Cell::get).saturating_sub(start))
    }
}

#[global_allocator]
static METER: alloc_meter::Meter = alloc_meter::Meter;

fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// The snapshot of issue 12 (item 7; 97 bytes in version 1, 139 in version 2): an empty world whose node count
/// is patched to 0xFFFFFFFF. Restoring it used to succeed, and the first tick
/// then asked for a 16 GiB load table (native abort, wasm trap).
#[test]
fn a_snapshot_with_4_billion_nodes_is_refused_with_4005() {
    let mut snap = World::new(1, Config { nodes: 1, entities: 0, edges_per_entity: 0 }).encode();
    assert_eq!(snap.len(), 139);
    assert_eq!(&snap[NODES_AT..NODES_AT + 4], &1u32.to_be_bytes());
    set_u32(&mut snap, NODES_AT, u32::MAX);
    let (r, peak) = alloc_meter::peak(|| World::restore(&snap));
    let e = r.expect_err("restore must apply the caps of a new world");
    assert_eq!(e.code(), 4005, "{e}");
    assert!(e.to_string().contains("4294967295") && e.to_string().contains("1048576"), "{e}");
    assert!(peak < 64 << 10, "refusing allocated {peak} bytes");
    // the largest node count a new world may have is restored
    set_u32(&mut snap, NODES_AT, Config::MAX_NODES);
    assert!(World::restore(&snap).is_ok());
    set_u32(&mut snap, NODES_AT, Config::MAX_NODES + 1);
    assert_eq!(World::restore(&snap).map(|_| ()).map_err(|e| e.code()), Err(4005));
}

#[test]
fn a_snapshot_past_the_memory_budget_is_refused_before_it_is_read() {
    // an edge count of 4 billion on an empty world: refused from the header
    let mut snap = World::new(1, Config { nodes: 1, entities: 0, edges_per_entity: 0 }).encode();
    let at = snap.len() - 4;
    set_u32(&mut snap, at, u32::MAX);
    let e = World::restore(&snap).expect_err("4 billion edges");
    assert_eq!(e.code(), 4005, "{e}");
    assert!(e.to_string().contains("needs about") || e.to_string().contains("need about"), "{e}");
    // more dead slots than the budget holds (each costs 5 bytes of snapshot,
    // about 1500 bytes of memory): refused before the slot arrays are reserved
    let slots = (MEMORY_BUDGET / omega_core::ecs::SLOT_BYTES + 1) as u32;
    let mut big = snap[..SLOTS_AT + 4].to_vec();
    set_u32(&mut big, NODES_AT, 1);
    set_u32(&mut big, SLOTS_AT, slots);
    big.resize(big.len() + slots as usize * 5, 0);
    big.extend_from_slice(&0u32.to_be_bytes());
    let (r, peak) = alloc_meter::peak(|| World::restore(&big));
    let e = r.expect_err("slots past the budget");
    assert_eq!(e.code(), 4005, "{e}");
    assert!(peak < 1 << 20, "refusing allocated {peak} bytes");
}

#[test]
fn config_caps_and_the_memory_budget_refuse_unbuildable_worlds() {
    // issue 12 item 8: 10,000,000 entities × 64 edges is within every field's
    // range, and needs ~80 GB: refused with the number in the message
    let c = Config { nodes: 5, entities: 10_000_000, edges_per_entity: 64 };
    let (r, peak) = alloc_meter::peak(|| World::try_new(7, c));
    let e = r.expect_err("80 GB world");
    assert_eq!(e.code(), 4005);
    let m = e.to_string();
    assert!(m.contains("needs about 96.9 GB") && m.contains("the limit is 1.8 GB"), "{m}");
    assert!(peak < 64 << 10, "refusing allocated {peak} bytes");
    // nodes 0 is a config error (it used to run silently with 1)
    let e = World::try_new(7, Config { nodes: 0, ..Config::default() }).expect_err("nodes 0");
    assert_eq!((e.code(), e.to_string().as_str()), (4002, "world config: `nodes` must be an integer from 1 to 1048576"));
    for bad in [
        Config { entities: Config::MAX_ENTITIES + 1, ..Config::default() },
        Config { nodes: Config::MAX_NODES + 1, ..Config::default() },
        Config { edges_per_entity: Config::MAX_EDGES_PER_ENTITY + 1, ..Config::default() },
    ] {
        assert_eq!(World::try_new(7, bad).map(|_| ()).map_err(|e| e.code()), Err(4002), "{bad:?}");
    }
    assert!(World::try_new(7, Config::default()).is_ok());
    // the estimate is exact arithmetic and saturates
    assert_eq!(memory_estimate(1, 1, 1), 1500 + 128 + 4);
    assert_eq!(memory_estimate(u64::MAX, 1, 1), u64::MAX);
    // a shape right at the budget is allowed, one entity more is not
    let n = (MEMORY_BUDGET - 5 * 4) / (1500 + 128);
    assert!(Config { nodes: 5, entities: n as u32, edges_per_entity: 1 }.check().is_ok());
    assert!(matches!(Config { nodes: 5, entities: n as u32 + 1, edges_per_entity: 1 }.check(), Err(WorldError::TooLarge(_))));
}

#[test]
fn peek_reads_the_header_of_a_snapshot() {
    let mut w = small(5);
    w.step(&[]);
    let info = World::peek(&w.encode()).expect("a snapshot");
    assert_eq!((info.tick, info.seed, info.nodes, info.entities, info.edges), (1, 5, 3, 30, w.edge_count()));
    assert_eq!(World::peek(b"OMGW"), None);
    assert_eq!(World::peek(&w.encode()[..200]), None);
}

/// A small world after a few ticks with some churn (despawned slots, commands).
fn churned(seed: u64) -> Vec<u8> {
    let mut w = World::new(seed, Config { nodes: 3, entities: 12, edges_per_entity: 2 });
    let e = |i| Entity { index: i, generation: 0 };
    w.step(&[Command { tick: 1, op: Op::Despawn { entity: e(4) } }]);
    w.step(&[Command { tick: 2, op: Op::Link { a: e(1), b: e(9), weight: fx::ONE } }]);
    w.encode()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    /// Mutated valid snapshots (bytes flipped, header fields set to anything,
    /// cut or extended): restore never panics, answers Ok or a coded Err
    /// (4001, 4005), never allocates much more than the world it builds, and
    /// a world it accepts is within the caps, encodes to the same bytes and steps.
    #[test]
    fn restore_of_mutated_snapshots_is_ok_or_coded_and_bounded(
        seed in 0u64..4,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
        field in proptest::option::of((0usize..3, any::<u32>())),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let mut b = churned(seed);
        for (i, x) in &flips {
            let i = i.index(b.len());
            b[i] ^= x;
        }
        if let Some((which, v)) = field {
            let at = [NODES_AT, SLOTS_AT, b.len() - 4][which];
            // a large value is the interesting case: bias toward the top bits
            set_u32(&mut b, at, if which == 0 || v % 2 == 0 { v } else { v >> (v % 32) });
        }
        if let Some(c) = cut {
            b.truncate(c.index(b.len() + 1));
        }
        let (r, peak) = alloc_meter::peak(|| World::restore(&b));
        match r {
            Err(e) => {
                prop_assert!(matches!(e.code(), 4001 | 4005), "{e}");
                prop_assert!(peak <= 64 * b.len() + (1 << 16), "refusing {} bytes allocated {peak}", b.len());
            }
            Ok(mut w) => {
                let info = World::peek(&b).expect("restored bytes peek");
                prop_assert!(info.nodes >= 1 && info.nodes <= Config::MAX_NODES);
                let need = memory_estimate(u64::from(info.slots), u64::from(info.edges), u64::from(info.nodes));
                prop_assert!(need <= MEMORY_BUDGET);
                prop_assert!(peak as u64 <= need + (1 << 16), "restoring allocated {peak} bytes, the estimate is {need}");
                prop_assert_eq!(w.encode(), b, "restore is strict: it re-encodes to its input");
                let (_, peak) = alloc_meter::peak(|| w.step(&[]));
                prop_assert!(peak as u64 <= need + (1 << 16), "a tick allocated {peak} bytes, the estimate is {need}");
            }
        }
    }

    /// Arbitrary bytes behind a valid magic and version never panic either.
    #[test]
    fn restore_of_arbitrary_bytes_is_ok_or_coded(tail in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut b = b"OMGW\x01".to_vec();
        b.extend_from_slice(&tail);
        match World::restore(&b) {
            Ok(w) => prop_assert_eq!(w.encode(), b),
            Err(e) => prop_assert!(matches!(e.code(), 4001 | 4005), "{e}"),
        }
    }
}

#[test]
fn a_running_world_stays_within_the_budget_so_its_snapshot_restores() {
    // 1,199,999 slots (6 alive, the rest free) leave room for 11 edges under
    // the budget: a link past that is rejected, not fatal, and spawns reuse free slots
    let slots: u32 = 1_199_999;
    let room = MEMORY_BUDGET - memory_estimate(u64::from(slots), 0, 1);
    let fits = room / omega_core::ecs::EDGE_BYTES;
    assert_eq!(fits, 11);
    let mut w = World::new(3, Config { nodes: 1, entities: 6, edges_per_entity: 0 });
    let mut snap = w.encode();
    // append free slots (generation 0, alive 0) before the edge count
    let edges_at = snap.len() - 4;
    let mut tail = vec![0u8; (slots as usize - 6) * 5];
    tail.extend_from_slice(&snap[edges_at..]);
    snap.truncate(edges_at);
    snap.extend_from_slice(&tail);
    set_u32(&mut snap, SLOTS_AT, slots);
    w = World::restore(&snap).expect("within the budget");
    let e = |i| Entity { index: i, generation: 0 };
    let pairs: Vec<(u32, u32)> = (0..6).flat_map(|a| (a + 1..6).map(move |b| (a, b))).collect();
    let links: Vec<Command> = pairs.iter().map(|&(a, b)| Command { tick: 1, op: Op::Link { a: e(a), b: e(b), weight: fx::ONE } }).collect();
    let r = w.step(&links);
    assert_eq!(r.edges, 11, "{:?}", r.rejected);
    assert_eq!(r.rejected.len(), pairs.len() - 11);
    assert!(r.rejected[0].1.contains("above its memory limit of 1.8 GB"), "{:?}", r.rejected[0]);
    // reweighting an existing edge needs no room
    let r = w.step(&[Command { tick: 2, op: Op::Link { a: e(0), b: e(1), weight: fx::ZERO } }]);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let r = w.step(&[Command { tick: 3, op: Op::Spawn { node: 0, target: fx::ZERO } }]);
    assert!(r.rejected.is_empty() && r.entities == 7, "a spawn into a free slot needs no room");
    // and the world it became restores
    assert!(World::restore(&w.encode()).is_ok());
}

#[test]
fn loads_count_the_live_entities_of_each_node() {
    let mut w = World::new(9, Config { nodes: 4, entities: 10, edges_per_entity: 1 });
    // counted again from each live entity's `node` component
    let count = |w: &World| {
        let mut c = vec![0u32; 4];
        for i in 0..20u32 {
            for g in 0..3 {
                if let Some(comp) = w.components(Entity { index: i, generation: g }) {
                    c[comp[0][0] as usize] += 1;
                }
            }
        }
        c
    };
    assert_eq!(w.loads(), count(&w));
    assert_eq!(w.loads().iter().sum::<u32>(), 10);
    w.step(&[Command { tick: 1, op: Op::Despawn { entity: Entity { index: 0, generation: 0 } } }, Command { tick: 1, op: Op::Spawn { node: 3, target: fx::ONE } }]);
    w.step(&[Command { tick: 2, op: Op::Spawn { node: 2, target: fx::ONE } }]);
    assert_eq!(w.loads(), count(&w));
    assert_eq!((w.loads().iter().sum::<u32>(), w.len()), (11, 11));
}
