//! The ECS world: each system's rule, determinism, snapshot/restore, commands.
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
    let want = f("0.6") + f("0.1") * systems::DT + f("0.05") / systems::DT;
    assert!((r.alerts[0].value - want * want).abs() < f("0.000001"), "{}", r.alerts[0].value);
    // anti-windup: many ticks of error 1 keep the integral at 1
    for _ in 0..200 {
        w.step(&[Command { tick: 0, op: Op::Sensor { entity: e, value: fx::ZERO } }]);
    }
    let mut s = Sat::default();
    let comps = w.components(e).unwrap();
    assert_eq!(Fx::from_bits(comps[3][0]), systems::INTEGRAL_CLAMP);
    // epsilon reset: an error below 1e-4 zeroes the integral
    w.step(&[Command { tick: 0, op: Op::Sensor { entity: e, value: target - f("0.00005") } }]);
    assert_eq!(w.components(e).unwrap()[3][0], 0);
    assert_eq!(s.0, 0);
    s.0 = 0;
}

#[test]
fn safety_clamps_amplitude_and_alerts() {
    let mut w = World::new(1, Config { nodes: 1, entities: 2, edges_per_entity: 0 });
    let e = Entity { index: 1, generation: 0 };
    w.apply(&Command { tick: 1, op: Op::SetTarget { entity: e, value: f("5000") } }).unwrap();
    let mut amplitude_alerts = 0;
    for _ in 0..20000 {
        let r = w.step(&[Command { tick: 0, op: Op::Sensor { entity: e, value: fx::ZERO } }]);
        amplitude_alerts += r.alerts.iter().filter(|a| a.kind == "amplitude").count();
        let amp = Fx::from_bits(w.components(e).unwrap()[4][0]);
        assert!(amp.abs() <= systems::MAX_AMPLITUDE + f("20"), "amplitude {amp}");
    }
    // energy per command is always clamped to 10 before it drives the field
    let out = Fx::from_bits(w.components(e).unwrap()[3][2]);
    assert!(out * out <= systems::MAX_ENERGY + f("0.000001"));
    let _ = amplitude_alerts;
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
    assert_eq!(systems::pulse(0, &mut s), systems::T_MIN);
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
    }
}
