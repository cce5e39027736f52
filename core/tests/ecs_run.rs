//! `ecs::Run`, the per-tick loop op 19, the JS `World` and `omega ecs` share:
//! stepping in any grouping, splitting a run at snapshots, commands at their
//! tick, the injected bit flip, and `prestep`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)] // a test fails by panicking
use omega_core::ecs::{Command, Config, Entity, Inject, Op, Run, TickReport, World};

fn world(seed: u64) -> World {
    World::new(seed, Config { nodes: 3, entities: 30, edges_per_entity: 2 })
}

fn e(index: u32) -> Entity {
    Entity { index, generation: 0 }
}

/// Commands spread over the first 2,000 ticks, some naming one tick together,
/// one that is refused (a dead entity) and one naming a tick no run reaches.
fn commands() -> Vec<Command> {
    let fx = |s: &str| s.parse().unwrap();
    vec![
        Command { tick: 3, op: Op::Spawn { node: 1, target: fx("0.5") } },
        Command { tick: 3, op: Op::Despawn { entity: e(4) } },
        Command { tick: 3, op: Op::SetTarget { entity: e(4), value: fx("2") } },
        Command { tick: 17, op: Op::Link { a: e(1), b: e(2), weight: fx("0.75") } },
        Command { tick: 999, op: Op::Sensor { entity: e(7), value: fx("-3.25") } },
        Command { tick: 1000, op: Op::SetTarget { entity: e(9), value: fx("-1") } },
        Command { tick: 1001, op: Op::Unlink { a: e(1), b: e(2) } },
        Command { tick: 1500, op: Op::Spawn { node: 2, target: fx("0.125") } },
        Command { tick: 1_000_000, op: Op::Despawn { entity: e(0) } },
    ]
}

fn sha(hashes: &[[u8; 32]]) -> [u8; 32] {
    omega_core::sha256(&hashes.concat())
}

#[test]
fn step_n_equals_n_single_steps() {
    let inject = Some((1200, e(5), 4, 17));
    let mut a = Run::new(world(3), commands(), inject);
    let mut b = Run::new(world(3), commands(), inject);
    let mut ra: Vec<TickReport> = Vec::new();
    a.step_n(2100, |r| ra.push(r.clone()));
    let rb: Vec<TickReport> = (0..2100).map(|_| b.step()).collect();
    assert_eq!(ra, rb);
    assert_eq!(ra.iter().map(|r| r.tick).collect::<Vec<_>>(), (1..=2100).collect::<Vec<_>>());
    assert_eq!(a.digest(), b.digest());
    assert_eq!(a.digest(), sha(&ra.iter().map(|r| r.state_hash).collect::<Vec<_>>()));
    assert_eq!(a.state_hash(), ra[2099].state_hash);
    assert_eq!(a.state_hash(), a.world().state_hash());
    assert_eq!(a.checkpoints(), &[(1000, ra[999].state_hash), (2000, ra[1999].state_hash)]);
    assert_eq!(a.checkpoints(), b.checkpoints());
    assert_eq!(a.world().encode(), b.world().encode());
    assert_eq!((a.start_tick(), a.tick()), (0, 2100));
    // step_n(0) does nothing
    let before = a.world().encode();
    a.step_n(0, |_| panic!("no tick"));
    assert_eq!(a.world().encode(), before);
}

#[test]
fn runs_with_no_tick_report_the_start() {
    let w = world(4);
    let h = w.state_hash();
    let r = Run::new(w, commands(), None);
    assert_eq!(r.state_hash(), h);
    assert_eq!(r.digest(), omega_core::sha256(b""));
    assert!(r.checkpoints().is_empty());
}

#[test]
fn commands_apply_at_their_tick_as_a_plain_world_loop_does() {
    // the loop the JS World had: each tick, the commands naming it, in order
    let cmds = commands();
    let mut plain = world(9);
    let mut run = Run::new(world(9), cmds.clone(), None);
    for _ in 0..1600 {
        let t = plain.tick() + 1;
        let now: Vec<Command> = cmds.iter().filter(|c| c.tick == t).copied().collect();
        assert_eq!(run.commands_at(t), now.as_slice());
        assert_eq!(run.step(), plain.step(&now));
    }
    // the refused one is reported at its tick
    let mut again = Run::new(world(9), cmds, None);
    let r3 = (0..3).map(|_| again.step()).last().unwrap();
    assert_eq!(r3.rejected.len(), 1, "{:?}", r3.rejected);
    assert_eq!(r3.rejected[0].0, 2);
}

#[test]
fn a_run_split_at_snapshots_equals_one_run() {
    let inject = Some((1100, e(8), 1, 20));
    let mut one = Run::new(world(11), commands(), inject);
    let mut all = Vec::new();
    one.step_n(2500, |r| all.push(r.state_hash));

    // the same run in pieces, each from the last one's snapshot (as `omega ecs
    // --engine wasm` runs it), cuts on, before and after commands, checkpoints and the flip
    let mut snap = world(11).encode();
    let mut hashes = Vec::new();
    let mut checkpoints = Vec::new();
    for n in [0, 3, 1, 696, 299, 1, 100, 1, 1399] {
        let mut piece = Run::new(World::restore(&snap).unwrap(), commands(), inject);
        let start = piece.tick();
        assert_eq!(piece.start_tick(), start);
        piece.step_n(n, |r| hashes.push(r.state_hash));
        assert_eq!(piece.tick(), start + n);
        if n > 0 {
            assert_eq!(piece.state_hash(), *hashes.last().unwrap());
        }
        checkpoints.extend_from_slice(piece.checkpoints());
        snap = piece.world().encode();
    }
    let first = hashes.iter().zip(&all).position(|(a, b)| a != b);
    assert_eq!(first, None, "first differing tick (0-based)");
    assert_eq!(hashes.len(), all.len());
    assert_eq!(sha(&hashes), one.digest());
    assert_eq!(checkpoints, one.checkpoints());
    assert_eq!(snap, one.world().encode());
    assert_eq!(World::restore(&snap).unwrap().state_hash(), one.state_hash());
}

#[test]
fn an_injected_flip_changes_the_hash_from_its_tick_on() {
    let t = 40;
    let mut clean = Run::new(world(5), commands(), None);
    // the target (component 1) stays flipped: every later state differs
    let mut flipped = Run::new(world(5), commands(), Some((t, e(6), 1, 12)));
    for tick in 1..=120 {
        let (a, b) = (clean.step(), flipped.step());
        assert_eq!(a.tick, tick);
        if tick < t {
            assert_eq!(a, b, "tick {tick}");
        } else {
            assert_ne!(a.state_hash, b.state_hash, "tick {tick}");
        }
    }
    assert_ne!(clean.digest(), flipped.digest());

    // a flip on a dead entity, or scheduled for a tick the run does not reach, changes nothing
    let dead: Inject = (10, e(4), 1, 12); // entity 4 is despawned at tick 3
    for inject in [dead, (121, e(6), 1, 12), (0, e(6), 1, 12)] {
        let mut other = Run::new(world(5), commands(), Some(inject));
        other.step_n(120, |_| {});
        assert_eq!(other.digest(), clean.digest(), "{inject:?}");
    }
}

#[test]
fn prestep_applies_the_next_ticks_flip_and_commands_only() {
    let inject = Some((3, e(6), 3, 5));
    let mut run = Run::new(world(2), commands(), inject);
    run.step_n(2, |_| {});
    let (hash, digest) = (run.state_hash(), run.digest());
    let mut by_hand = run.world().clone();
    run.prestep();
    // by hand: the flip, then the tick's commands (refused ones skipped)
    assert!(by_hand.flip_bit(e(6), 3, 5));
    for c in commands().iter().filter(|c| c.tick == 3) {
        let _ = by_hand.apply(c);
    }
    assert_eq!(run.world(), &by_hand);
    assert_eq!(run.tick(), 2, "no tick ran");
    assert_eq!((run.state_hash(), run.digest()), (hash, digest), "the summary still describes tick 2");
    assert_ne!(run.world().state_hash(), hash);

    // with no tick run, the state hash is the start's, not the prestepped world's
    let w = world(2);
    let start = w.state_hash();
    let mut zero = Run::new(w, [Command { tick: 1, op: Op::Despawn { entity: e(0) } }], None);
    zero.prestep();
    assert_eq!(zero.state_hash(), start);
    assert_ne!(zero.world().state_hash(), start);
}

#[test]
fn set_commands_replaces_the_schedule() {
    let mut a = Run::new(world(6), commands(), None);
    a.set_commands([]);
    let mut b = Run::new(world(6), [], None);
    a.step_n(20, |_| {});
    b.step_n(20, |_| {});
    assert_eq!(a.digest(), b.digest());
    a.set_commands([Command { tick: 21, op: Op::Despawn { entity: e(1) } }]);
    assert_eq!(a.step().entities, b.step().entities - 1);
}
