//! A world that advances batch by batch: what a cluster node does with
//! `omega node --ecs` (op 26, docs/FORMATS.md "ECS batch").
//!
//! The rule, for a world at tick `t0` and one batch of events (the events a
//! certified batch appends, in canonical order):
//!
//! 1. every event whose payload is a world command ([`Command::decode`]) is
//!    *late* when it names a tick `≤ t0` (that tick is past), *too far* when
//!    it names a tick `> t0 + MAX_BATCH_TICKS`, and scheduled otherwise;
//!    events whose payload is not a command are plain events (counted, not an
//!    error: a history carries both);
//! 2. the world steps from `t0` to `t1 = max(t0 + 1, the greatest tick
//!    scheduled)`, each scheduled command applied at the start of its tick in
//!    canonical order ([`Run`]): every batch moves the world at least one tick;
//! 3. the world hash after tick `t1` is what the batch's checkpoint attests on
//!    its `omega-world` line.
//!
//! Late and too-far commands are never applied and are reported by key, so
//! every node drops the same ones.
use super::{Command, Inject, Run, World};
use crate::event::{Event, Key};
use crate::hash::Hash;
use alloc::vec::Vec;

/// The most ticks one batch may move the world forward (a command naming a
/// tick beyond `t0 + MAX_BATCH_TICKS` is refused as too far).
pub const MAX_BATCH_TICKS: u64 = 1_000;

/// What one batch did to the world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchStep {
    /// The world's tick before the batch.
    pub start_tick: u64,
    /// Its tick after.
    pub end_tick: u64,
    /// Its state hash after.
    pub state_hash: Hash,
    /// Commands scheduled (applied at their ticks, unless the world refused them).
    pub scheduled: u64,
    /// Commands the world refused when their tick came (dead entity, bad link, ...).
    pub refused: u64,
    /// Events whose payload is not a world command.
    pub plain: u64,
    /// Commands naming a tick already past: (event key, tick).
    pub late: Vec<(Key, u64)>,
    /// Commands naming a tick more than [`MAX_BATCH_TICKS`] ahead: (event key, tick).
    pub too_far: Vec<(Key, u64)>,
}

/// What a batch schedules for a world at tick `t0`: rule 1 and the end tick
/// of rule 2 (see the module docs), before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The commands to apply, in canonical event order.
    pub commands: Vec<Command>,
    /// The tick the world steps to.
    pub end_tick: u64,
    /// Events whose payload is not a world command.
    pub plain: u64,
    /// Commands naming a tick already past: (event key, tick).
    pub late: Vec<(Key, u64)>,
    /// Commands naming a tick more than [`MAX_BATCH_TICKS`] ahead: (event key, tick).
    pub too_far: Vec<(Key, u64)>,
}

/// Plans one batch of events for a world at tick `t0` (rules 1 and 2).
pub fn plan(t0: u64, events: &[Event]) -> Plan {
    let limit = t0.saturating_add(MAX_BATCH_TICKS);
    let mut evs: Vec<&Event> = events.iter().collect();
    evs.sort_by_key(|e| e.key());
    let (mut commands, mut late, mut too_far, mut plain) = (Vec::<Command>::new(), Vec::new(), Vec::new(), 0u64);
    for e in evs {
        match Command::decode(e.payload()) {
            Err(_) => plain += 1,
            Ok(c) if c.tick <= t0 => late.push((e.key(), c.tick)),
            Ok(c) if c.tick > limit => too_far.push((e.key(), c.tick)),
            Ok(c) => commands.push(c),
        }
    }
    let end_tick = commands.iter().map(|c| c.tick).max().unwrap_or(0).max(t0.saturating_add(1));
    Plan { commands, end_tick, plain, late, too_far }
}

/// Steps `world` through one batch of events (see the module docs).
pub fn step_batch(world: World, events: &[Event]) -> (World, BatchStep) {
    step_batch_with(world, events, None)
}

/// [`step_batch`] with a bit flip injected when its tick comes (desync
/// tests: `omega replay --inject`).
pub fn step_batch_with(world: World, events: &[Event], inject: Option<Inject>) -> (World, BatchStep) {
    let t0 = world.tick();
    let Plan { commands, end_tick, plain, late, too_far } = plan(t0, events);
    let n_scheduled = commands.len() as u64;
    let mut run = Run::new(world, commands, inject);
    let mut refused = 0u64;
    run.step_n(end_tick - t0, |r| refused += r.rejected.len() as u64);
    let step = BatchStep { start_tick: t0, end_tick: run.tick(), state_hash: run.state_hash(), scheduled: n_scheduled, refused, plain, late, too_far };
    (run.into_world(), step)
}
