//! [`Run`]: the per-tick loop every engine shares (op 19 `ecs_run`, the JS
//! `World` class, the native `omega ecs`).
//!
//! A tick `t` of a run is, in this order:
//! 1. the injected bit flip, if one is scheduled at `t` (desync tests);
//! 2. [`World::step`] with the commands naming `t` (in the order given);
//! 3. the tick's state hash fed to the run's digest, and kept as a
//!    checkpoint when `t` is a multiple of [`Run::CHECKPOINT_EVERY`].
//!
//! The digest is SHA-256 over the 32-byte state hashes of the ticks this run
//! stepped, in order. Checkpoints use absolute tick numbers, so a run split
//! into pieces (snapshot with [`World::encode`], [`World::restore`], a new
//! `Run` with the same commands and injection) steps through the same states
//! and gives the same per-tick hashes and checkpoints as one run.
use super::{Command, Entity, TickReport, World};
use crate::hash::Hash;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// A bit flip at the start of a tick: (tick, entity, component index into
/// [`super::COMPONENTS`], bit), as [`World::flip_bit`] takes it.
pub type Inject = (u64, Entity, usize, u32);

/// A world, the commands it runs, and what running it has accumulated.
#[derive(Clone)]
pub struct Run {
    world: World,
    commands: BTreeMap<u64, Vec<Command>>,
    inject: Option<Inject>,
    start_tick: u64,
    digest: Sha256,
    checkpoints: Vec<(u64, Hash)>,
    // the hash after the last step; `None` until a step (or `prestep`) needs it
    last: Option<Hash>,
}

impl core::fmt::Debug for Run {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Run")
            .field("tick", &self.world.tick())
            .field("start_tick", &self.start_tick)
            .field("command_ticks", &self.commands.len())
            .field("inject", &self.inject)
            .field("checkpoints", &self.checkpoints.len())
            .finish_non_exhaustive()
    }
}

impl Run {
    /// Ticks between checkpoints (a checkpoint at every tick that is a multiple of this).
    pub const CHECKPOINT_EVERY: u64 = 1000;

    /// A run of `world` from its current tick. Each command applies at the
    /// tick it names (commands naming one tick keep their order; those naming
    /// a tick already past never apply).
    pub fn new(world: World, commands: impl IntoIterator<Item = Command>, inject: Option<Inject>) -> Run {
        let start_tick = world.tick();
        Run { world, commands: group(commands), inject, start_tick, digest: Sha256::new(), checkpoints: Vec::new(), last: None }
    }

    /// Replaces the commands still to come (the JS `World.step` gives each
    /// call its own). The digest, checkpoints and injection stay.
    pub fn set_commands(&mut self, commands: impl IntoIterator<Item = Command>) {
        self.commands = group(commands);
    }

    /// The commands naming tick `t`, in order.
    pub fn commands_at(&self, t: u64) -> &[Command] {
        self.commands.get(&t).map(Vec::as_slice).unwrap_or_default()
    }

    /// The injected flip, if one is scheduled at tick `t` (nothing happens
    /// when its entity is dead).
    fn flip(&mut self, t: u64) {
        if let Some((it, e, comp, bit)) = self.inject
            && it == t
        {
            self.world.flip_bit(e, comp, bit);
        }
    }

    /// Runs one tick and returns its report.
    pub fn step(&mut self) -> TickReport {
        let t = self.world.tick().wrapping_add(1);
        self.flip(t);
        let r = self.world.step(self.commands.get(&t).map(Vec::as_slice).unwrap_or_default());
        self.digest.update(r.state_hash);
        self.last = Some(r.state_hash);
        if r.tick.is_multiple_of(Self::CHECKPOINT_EVERY) {
            self.checkpoints.push((r.tick, r.state_hash));
        }
        r
    }

    /// Runs `n` ticks, handing each report to `on_report` (equal to `n` calls of [`Run::step`]).
    pub fn step_n(&mut self, n: u64, mut on_report: impl FnMut(&TickReport)) {
        for _ in 0..n {
            let r = self.step();
            on_report(&r);
        }
    }

    /// Brings the world to the start of the next tick without running it:
    /// the injected flip and the tick's commands applied (refused ones
    /// skipped), no system run and the tick number unchanged. `omega ecs diff`
    /// compares two worlds here to tell a difference in the inputs of a tick
    /// from one that arose in its systems. Afterwards [`Run::world`] is in
    /// that state, while [`Run::state_hash`], the digest and the checkpoints
    /// still describe the last tick run; stepping on would apply the inputs again.
    pub fn prestep(&mut self) {
        if self.last.is_none() {
            self.last = Some(self.world.state_hash());
        }
        let t = self.world.tick().wrapping_add(1);
        self.flip(t);
        if let Some(cmds) = self.commands.get(&t) {
            for c in cmds {
                let _ = self.world.apply(c);
            }
        }
    }

    /// The world.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The world, ending the run.
    pub fn into_world(self) -> World {
        self.world
    }

    /// The tick the run started from.
    pub fn start_tick(&self) -> u64 {
        self.start_tick
    }

    /// The last tick computed (the world's tick).
    pub fn tick(&self) -> u64 {
        self.world.tick()
    }

    /// The injection.
    pub fn inject(&self) -> Option<Inject> {
        self.inject
    }

    /// The state hash after the last tick run (the world's hash at the start
    /// when none has run yet, taken before any [`Run::prestep`]).
    pub fn state_hash(&self) -> Hash {
        self.last.unwrap_or_else(|| self.world.state_hash())
    }

    /// SHA-256 over the state hashes of the ticks run so far, in order
    /// (SHA-256 of nothing when none has run).
    pub fn digest(&self) -> Hash {
        self.digest.clone().finalize().into()
    }

    /// (tick, state hash) at each tick run that is a multiple of [`Run::CHECKPOINT_EVERY`].
    pub fn checkpoints(&self) -> &[(u64, Hash)] {
        &self.checkpoints
    }
}

fn group(commands: impl IntoIterator<Item = Command>) -> BTreeMap<u64, Vec<Command>> {
    let mut by_tick: BTreeMap<u64, Vec<Command>> = BTreeMap::new();
    for c in commands {
        by_tick.entry(c.tick).or_default().push(c);
    }
    by_tick
}

/// Where a world's tick first differs from a reference's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    /// The two worlds differ before any tick runs (their starts differ).
    Start,
    /// They differ at the start of the tick, before its systems: the tick's
    /// inputs (an injected flip) differ.
    Inputs,
    /// Their inputs agree and the tick's systems made them differ.
    Systems,
}

impl Stage {
    /// `start`, `inputs` or `systems`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Start => "start",
            Stage::Inputs => "inputs",
            Stage::Systems => "systems",
        }
    }
}

/// The first place two worlds part: the tick, the stage, and
/// [`World::first_difference`] there (entity, component, the values in the
/// world, the values in the reference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    /// The tick (the start world's tick for [`Stage::Start`]).
    pub tick: u64,
    /// Where in that tick.
    pub stage: Stage,
    /// `index:generation`, or `world` for a global field.
    pub entity: alloc::string::String,
    /// The component (or global field) that differs.
    pub component: alloc::string::String,
    /// Its values in the world.
    pub world: Vec<alloc::string::String>,
    /// Its values in the reference.
    pub reference: Vec<alloc::string::String>,
}

/// Steps `world` (with `inject`) and `reference` (without) side by side
/// through `segments`, each (commands, end tick) a run's worth of commands
/// (a batch's plan, say) stepped to its end tick, and returns the first
/// tick where they part: compared at the start, then at every tick's
/// inputs when the injection falls on it, then after every tick by state
/// hash. `None` when they agree to the end.
pub fn first_departure(world: World, inject: Option<Inject>, reference: World, segments: &[(Vec<Command>, u64)]) -> Option<Departure> {
    let part = |tick: u64, stage: Stage, a: &World, b: &World| {
        a.first_difference(b).map(|(entity, component, world, reference)| Departure { tick, stage, entity, component, world, reference })
    };
    if let Some(d) = part(world.tick(), Stage::Start, &world, &reference) {
        return Some(d);
    }
    let (mut wa, mut wb) = (world, reference);
    for (commands, end) in segments {
        let mut ra = Run::new(wa, commands.iter().cloned(), inject);
        let mut rb = Run::new(wb, commands.iter().cloned(), None);
        while ra.tick() < *end {
            let t = ra.tick().wrapping_add(1);
            if inject.is_some_and(|i| i.0 == t) {
                let (mut pa, mut pb) = (ra.clone(), rb.clone());
                pa.prestep();
                pb.prestep();
                if let Some(d) = part(t, Stage::Inputs, pa.world(), pb.world()) {
                    return Some(d);
                }
            }
            ra.step();
            rb.step();
            if ra.state_hash() != rb.state_hash()
                && let Some(d) = part(t, Stage::Systems, ra.world(), rb.world())
            {
                return Some(d);
            }
        }
        wa = ra.into_world();
        wb = rb.into_world();
    }
    None
}
