//! The batch rule of `omega node --ecs` (op 26, `omega_core::ecs::batch`),
//! checked against an independent expectation: a world stepped batch by batch
//! reaches the same state as one `Run` of every command, when no command is
//! late; late and too-far commands change nothing.
use omega_core::api::{Op, abi::STATUS_OK, ops, ops::make_fields};
use omega_core::ecs::batch::{MAX_BATCH_TICKS, step_batch};
use omega_core::ecs::fx::Fx;
use omega_core::ecs::{Command, Config, Entity, Op as Cmd, Run, World};
use omega_core::{Event, EventId};
use proptest::prelude::*;

fn world() -> World {
    World::new(11, Config { nodes: 3, entities: 20, edges_per_entity: 2 })
}

fn ev(n: u64, payload: Vec<u8>) -> Event {
    Event::new(n, 4, 0, EventId::derived(4, 0, n), n, Vec::new(), payload)
}

fn command(tick: u64, what: u8, x: u32) -> Command {
    let entity = Entity { index: x % 20, generation: 0 };
    let value = Fx::from_bits(i64::from(x) << 24);
    let op = match what % 3 {
        0 => Cmd::Sensor { entity, value },
        1 => Cmd::SetTarget { entity, value },
        _ => Cmd::Spawn { node: x % 3, target: value },
    };
    Command { tick, op }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn batches_step_the_world_as_one_run_does(
        raw in proptest::collection::vec((1u64..60, any::<u8>(), any::<u32>()), 0..40),
        cuts in proptest::collection::vec(1u64..60, 0..6),
    ) {
        let cmds: Vec<Command> = raw.iter().map(|&(t, w, x)| command(t, w, x)).collect();
        // batches split at tick boundaries: batch i holds the commands with ticks in (b[i-1], b[i]]
        let mut bounds: Vec<u64> = cuts;
        bounds.push(60);
        bounds.sort_unstable();
        bounds.dedup();
        let mut w = world();
        let mut n = 0u64;
        let mut lo = 0u64;
        for &hi in &bounds {
            // the world is never past `lo` here (a batch ends at its greatest tick, or one
            // past the last), so no command of these batches is late
            let t0 = w.tick();
            let batch: Vec<Event> = cmds
                .iter()
                .filter(|c| c.tick > lo && c.tick <= hi)
                .map(|c| {
                    n += 1;
                    ev(n, c.encode())
                })
                .collect();
            let (next, step) = step_batch(w, &batch);
            prop_assert!(step.late.is_empty() && step.too_far.is_empty());
            prop_assert_eq!(step.scheduled, batch.len() as u64);
            prop_assert_eq!(step.start_tick, t0);
            let want_end = cmds.iter().filter(|c| c.tick > lo && c.tick <= hi).map(|c| c.tick).max().unwrap_or(0).max(t0 + 1);
            prop_assert_eq!(step.end_tick, want_end);
            w = next;
            lo = hi;
        }
        // one run of every command (a tick's commands keep their order), for as many ticks
        let mut run = Run::new(world(), cmds.clone(), None);
        run.step_n(w.tick(), |_| {});
        prop_assert_eq!(run.state_hash(), w.state_hash());
    }

    #[test]
    fn late_and_too_far_commands_change_nothing(t in 0u64..5, what in any::<u8>(), x in any::<u32>(), far in 1u64..1000) {
        let mut w = world();
        for _ in 0..5 {
            w.step(&[]);
        }
        let plain = vec![ev(1, b"plain".to_vec())];
        let (a, sa) = step_batch(w.clone(), &plain);
        let late = ev(2, command(t, what, x).encode());
        let too_far = ev(3, command(5 + MAX_BATCH_TICKS + far, what, x).encode());
        let (b, sb) = step_batch(w, &[plain[0].clone(), late, too_far]);
        prop_assert_eq!(a.state_hash(), b.state_hash());
        prop_assert_eq!((sa.end_tick, sb.end_tick), (6, 6));
        prop_assert_eq!((sb.late.len(), sb.too_far.len(), sb.plain), (1, 1, 1));
    }
}

#[test]
fn op_26_answers_with_the_world_for_the_next_batch() {
    let cfg = br#"{"seed": 11, "entities": 20, "nodes": 3, "edges_per_entity": 2}"#;
    let batch = ev(1, command(4, 0, 7).encode());
    let mut bin = Vec::new();
    batch.encode_into(&mut bin);
    let r = ops::run(Op::EcsBatch, &make_fields(&[cfg, &bin]));
    assert_eq!(r.status, STATUS_OK, "{}", String::from_utf8_lossy(&r.body));
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["end_tick"], 4);
    let (w, step) = step_batch(world(), &[batch]);
    assert_eq!(v["state_hash"], omega_core::hex::encode(&step.state_hash));
    let snap = omega_core::certify::note::b64_decode(v["world"].as_str().unwrap()).unwrap();
    assert_eq!(snap, w.encode());
    // the next batch takes that snapshot: an empty batch moves it one tick
    let r2 = ops::run(Op::EcsBatch, &make_fields(&[&snap, b""]));
    let v2: serde_json::Value = serde_json::from_slice(&r2.body).unwrap();
    assert_eq!((v2["start_tick"].as_u64(), v2["end_tick"].as_u64()), (Some(4), Some(5)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// `first_departure` (what `omega replay --inject/--world` reports) names
    /// the injected tick, entity and component, at the tick's inputs, for a
    /// flip anywhere in the batches; the uninjected worlds never part; and a
    /// world one bit apart at the start is named at the start.
    #[test]
    fn a_departure_names_the_flip(tick in 1u64..12, index in 0u32..20, comp in 1usize..6, bit in 0u32..64, what in 0u8..4, x in 0u32..20) {
        use omega_core::ecs::{COMPONENTS, Stage, batch::plan, first_departure};
        let w = world();
        let e = Entity { index, generation: 0 };
        let segments: Vec<(Vec<Command>, u64)> = [(0u64, 4u64), (4, 9), (9, 12)]
            .iter()
            .map(|&(t0, t1)| {
                let evs = [ev(t1, command(t1, what, x).encode())];
                let p = plan(t0, &evs);
                (p.commands, p.end_tick)
            })
            .collect();
        prop_assert_eq!(segments.last().map(|s| s.1), Some(12));
        let d = first_departure(w.clone(), Some((tick, e, comp, bit)), w.clone(), &segments);
        let d = d.expect("a flip of a live entity's component always shows at its tick's inputs");
        prop_assert_eq!((d.tick, d.stage, d.entity, d.component.as_str()), (tick, Stage::Inputs, format!("{index}:0"), COMPONENTS[comp]));
        prop_assert_eq!(first_departure(w.clone(), None, w.clone(), &segments), None);
        let mut bad = w.clone();
        prop_assert!(bad.flip_bit(e, comp, bit));
        let d = first_departure(bad, None, w, &segments).expect("the starts differ");
        prop_assert_eq!((d.tick, d.stage, d.entity), (0, Stage::Start, format!("{index}:0")));
    }
}
