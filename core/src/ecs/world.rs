//! The world: generational entities, components stored by slot index (so
//! iteration is always by entity id), a weighted entity graph, and the
//! canonical encoding that is hashed every tick.
use super::command::{Command, Op};
use super::fx::{self, Fx, Sat};
use super::systems;
use crate::cursor::Cursor;
use crate::error::ErrorCode;
use crate::hash::Hash;
use sha2::{Digest as _, Sha256};
use crate::event::sample::SplitMix64;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// A generational entity id: the slot index and the slot's generation.
/// Written `index:gen` in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entity {
    /// Slot index.
    pub index: u32,
    /// Generation of the slot (bumped when an entity there is despawned).
    pub generation: u32,
}

impl Entity {
    /// `generation << 32 | index`.
    pub fn to_u64(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.index)
    }
    /// The inverse of [`Entity::to_u64`].
    pub fn from_u64(v: u64) -> Self {
        Entity { index: (v & 0xffff_ffff) as u32, generation: (v >> 32) as u32 }
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.index, self.generation)
    }
}

/// The components, by name (for `omega ecs diff`).
pub const COMPONENTS: [&str; 6] = ["node", "target", "reading", "pid", "field", "phase"];

/// Sizes of a new world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Topology nodes (P in the pulse formula); at least 1.
    pub nodes: u32,
    /// Entities spawned at tick 0.
    pub entities: u32,
    /// Random edges drawn per initial entity.
    pub edges_per_entity: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config { nodes: 5, entities: 1000, edges_per_entity: 3 }
    }
}

impl Config {
    /// Most entities a new world may start with, and most entity slots any
    /// world may hold (a snapshot past it is refused; a spawn past it is rejected).
    pub const MAX_ENTITIES: u32 = 10_000_000;
    /// Most topology nodes (a world's per-tick load table has one entry per node).
    pub const MAX_NODES: u32 = 1 << 20;
    /// Most random edges drawn per initial entity.
    pub const MAX_EDGES_PER_ENTITY: u32 = 64;

    /// Whether a world of this shape may be built: every field in its range
    /// (4002) and the memory the shape needs within [`MEMORY_BUDGET`] (4005).
    pub fn check(&self) -> Result<(), WorldError> {
        let range = |k: &str, v: u32, min: u32, max: u32| {
            if v < min || v > max { Err(WorldError::Config(format!("`{k}` must be an integer from {min} to {max}"))) } else { Ok(()) }
        };
        range("entities", self.entities, 0, Self::MAX_ENTITIES)?;
        range("nodes", self.nodes, 1, Self::MAX_NODES)?;
        range("edges_per_entity", self.edges_per_entity, 0, Self::MAX_EDGES_PER_ENTITY)?;
        let edges = u64::from(self.entities) * u64::from(self.edges_per_entity);
        let need = memory_estimate(u64::from(self.entities), edges, u64::from(self.nodes));
        if need > MEMORY_BUDGET {
            return Err(WorldError::TooLarge(format!(
                "a world of {} entities with {} edges each on {} nodes needs about {}; the limit is {} (see the ECS world caps in FORMATS.md)",
                self.entities,
                self.edges_per_entity,
                self.nodes,
                human_bytes(need),
                human_bytes(MEMORY_BUDGET)
            )));
        }
        Ok(())
    }
}

/// The memory one world may need, in bytes (1.8 GB): [`Config::check`] and
/// [`World::restore`] refuse a world whose [`memory_estimate`] is above it
/// (4005). The estimate is the measured peak of an `omega ecs` run (the
/// world, a tick's scratch, its snapshot and the snapshot's base64 in the
/// op's answer and in the host), so a world within it fits the wasm engine's
/// default 2 GiB memory bound (where the host's copies are not counted) and
/// wasm32's 4 GiB, and every engine can build what this allows.
pub const MEMORY_BUDGET: u64 = 1_800_000_000;
/// Bytes per entity slot in [`memory_estimate`].
pub const SLOT_BYTES: u64 = 1500;
/// Bytes per edge in [`memory_estimate`].
pub const EDGE_BYTES: u64 = 128;
/// Bytes per topology node in [`memory_estimate`].
pub const NODE_BYTES: u64 = 4;

/// The memory a world of `slots` entity slots, `edges` edges and `nodes`
/// topology nodes needs at the peak of a run (an upper estimate, measured):
/// `slots × 1500 + edges × 128 + nodes × 4` bytes. Saturates.
pub fn memory_estimate(slots: u64, edges: u64, nodes: u64) -> u64 {
    slots.saturating_mul(SLOT_BYTES).saturating_add(edges.saturating_mul(EDGE_BYTES)).saturating_add(nodes.saturating_mul(NODE_BYTES))
}

/// `bytes` in decimal units with one decimal: `81.9 GB`, `1.5 GB`, `640.0 MB`.
fn human_bytes(bytes: u64) -> String {
    let (unit, name): (u64, &str) = if bytes >= 1_000_000_000 { (1_000_000_000, "GB") } else if bytes >= 1_000_000 { (1_000_000, "MB") } else { (1, "bytes") };
    if unit == 1 {
        return format!("{bytes} bytes");
    }
    let tenths = (u128::from(bytes) * 10 + u128::from(unit) / 2) / u128::from(unit);
    format!("{}.{} {name}", tenths / 10, tenths % 10)
}

/// Why a world could not be built or a snapshot could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldError {
    /// The snapshot bytes are not a world (magic, version, truncated,
    /// inconsistent, trailing bytes). Code 4001.
    Malformed(String),
    /// A config field out of its range. Code 4002.
    Config(String),
    /// The world is beyond the caps: more nodes or entity slots than a new
    /// world may have, or more memory than [`MEMORY_BUDGET`]. Code 4005.
    TooLarge(String),
}

impl ErrorCode for WorldError {
    fn code(&self) -> u16 {
        match self {
            WorldError::Malformed(_) => crate::api::code::WORLD_SNAPSHOT,
            WorldError::Config(_) => crate::api::code::WORLD_CONFIG,
            WorldError::TooLarge(_) => crate::api::code::WORLD_TOO_LARGE,
        }
    }
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorldError::Malformed(m) => write!(f, "world snapshot: {m}"),
            WorldError::Config(m) => write!(f, "world config: {m}"),
            WorldError::TooLarge(m) => write!(f, "world too large: {m}"),
        }
    }
}

/// The arbiter's decision for a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decision {
    /// threat ≥ 0.85.
    Quarantine,
    /// threat ≥ 0.60.
    Alert,
    /// the mean control error is above 0.25.
    Balance,
    /// otherwise.
    Optimize,
}

impl Decision {
    /// The name used in reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Quarantine => "QUARANTINE",
            Decision::Alert => "ALERT",
            Decision::Balance => "BALANCE",
            Decision::Optimize => "OPTIMIZE",
        }
    }
}

impl Decision {
    /// Its code in the world's arbiter record (0 is "no tick yet").
    pub(crate) fn code(&self) -> u8 {
        match self {
            Decision::Quarantine => 1,
            Decision::Alert => 2,
            Decision::Balance => 3,
            Decision::Optimize => 4,
        }
    }
}

/// What the arbiter plans (VENOM's RegenCore and OptimizeCore): repair when
/// the repair urgency reaches [`super::systems::REPAIR_THRESHOLD`], else
/// optimise when the expected gain reaches
/// [`super::systems::OPT_GAIN_THRESHOLD`], else hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanAction {
    /// Neither threshold is reached.
    Hold,
    /// Repair: enough entities needed a safety clamp this tick.
    Repair,
    /// Optimise: enough coherence is left to win.
    Optimize,
}

impl PlanAction {
    /// The name used in reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            PlanAction::Hold => "hold",
            PlanAction::Repair => "repair",
            PlanAction::Optimize => "optimize",
        }
    }

    /// Its code in the world's arbiter record (0 is "no tick yet").
    pub(crate) fn code(&self) -> u8 {
        match self {
            PlanAction::Hold => 1,
            PlanAction::Repair => 2,
            PlanAction::Optimize => 3,
        }
    }
}

/// The arbiter's plan for a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// What it plans.
    pub action: PlanAction,
    /// Repair urgency: the share of live entities a safety clamp hit this tick, in [0, 1].
    pub urgency: Fx,
    /// Expected gain of optimising: (1 − coherence) · (1 − min(1, mean |error|)), in [0, 1].
    pub gain: Fx,
}

/// The Lyapunov candidate of the entity PIDs: V = mean over live entities
/// of error² / 2 (the control error of the tick), and its change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lyapunov {
    /// V after the tick.
    pub v: Fx,
    /// ΔV = V − V of the tick before (0 on a world's first tick, or the first
    /// after restoring a version-1 snapshot, which has no V).
    pub dv: Fx,
    /// `pid_stable`: ΔV < 0, or V at rest (at most [`super::systems::V_REST`]).
    pub stable: bool,
}

/// The arbiter's last tick, kept in the world and so in its hash (OMGW
/// version 2): the decision, the pulse, the plan and V. All zero before the
/// first tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ArbiterRecord {
    pub(crate) decision: u8,
    pub(crate) pulse: Fx,
    pub(crate) plan: u8,
    pub(crate) urgency: Fx,
    pub(crate) gain: Fx,
    pub(crate) v: Fx,
    pub(crate) dv: Fx,
}

/// Bytes of the arbiter record in OMGW version 2.
const ARBITER_BYTES: usize = 42;

/// A safety alert raised (and clamped) this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// `energy` or `amplitude`.
    pub kind: &'static str,
    /// The entity.
    pub entity: Entity,
    /// The value before clamping.
    pub value: Fx,
}

/// An entity moved between topology nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migration {
    /// The entity.
    pub entity: Entity,
    /// From node.
    pub from: u32,
    /// To node.
    pub to: u32,
}

/// The global signals of a tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Metrics {
    /// Shannon entropy (nats) of the readings' 16-bin histogram, in [0, ln 16].
    pub entropy: Fx,
    /// Kuramoto order parameter of the phases, in [0, 1].
    pub coherence: Fx,
    /// Mean oscillator energy (amplitude² + velocity²) / 2, ≥ 0.
    pub resonance: Fx,
    /// Mean |control error|.
    pub stability: Fx,
    /// The T_Λ pulse.
    pub pulse: Fx,
    /// The logistic threat score, in [0, 1].
    pub threat: Fx,
    /// Advisor weights R, B, E, O (sum 1).
    pub weights: [Fx; 4],
}

/// What one tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TickReport {
    /// The tick number (1 for the first step).
    pub tick: u64,
    /// SHA-256 of the world's canonical encoding after the tick.
    pub state_hash: Hash,
    /// The arbiter's decision.
    pub decision: Decision,
    /// The arbiter's plan.
    pub plan: Plan,
    /// The PIDs' Lyapunov candidate.
    pub lyapunov: Lyapunov,
    /// Signals.
    pub metrics: Metrics,
    /// Safety alerts (values were clamped).
    pub alerts: Vec<Alert>,
    /// Topology migrations.
    pub migrations: Vec<Migration>,
    /// Commands that could not apply, with why (index in the tick's list).
    pub rejected: Vec<(usize, String)>,
    /// Operations that saturated this tick.
    pub saturations: u64,
    /// Live entities and edges after the tick.
    pub entities: u32,
    /// Edges after the tick.
    pub edges: u32,
}

/// The world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct World {
    pub(crate) tick: u64,
    pub(crate) seed: u64,
    pub(crate) rng: u64,
    pub(crate) nodes: u32,
    pub(crate) weights: [Fx; 4],
    pub(crate) gpid_integral: Fx,
    pub(crate) gpid_prev: Fx,
    pub(crate) saturations: u64,
    pub(crate) arbiter: ArbiterRecord,
    // slots
    pub(crate) generation: Vec<u32>,
    pub(crate) alive: Vec<bool>,
    // components, by slot
    pub(crate) node: Vec<u32>,
    pub(crate) target: Vec<Fx>,
    pub(crate) reading: Vec<Fx>,
    pub(crate) integral: Vec<Fx>,
    pub(crate) prev_error: Vec<Fx>,
    pub(crate) output: Vec<Fx>,
    pub(crate) amp: Vec<Fx>,
    pub(crate) vel: Vec<Fx>,
    pub(crate) phase: Vec<Fx>,
    pub(crate) freq: Vec<Fx>,
    // the graph: (a, b) slot indices with a < b, weight
    pub(crate) edges: Edges,
    // dead slots, lowest first (derived from `alive`; not encoded)
    pub(crate) free: alloc::collections::BTreeSet<u32>,
}

pub(crate) fn rand_unit(rng: &mut SplitMix64) -> Fx {
    // uniform in [0, 1): the top 32 bits as the fraction
    Fx::from_bits((rng.next_u64() >> 32) as i64)
}

impl World {
    /// A world of `config.entities` entities with random targets, phases and
    /// edges, all drawn from `seed`. Tick 0. For a config from outside use
    /// [`World::try_new`]: this one trusts that [`Config::check`] holds (a
    /// larger shape may need more memory than there is).
    pub fn new(seed: u64, config: Config) -> Self {
        let mut w = World {
            tick: 0,
            seed,
            rng: seed,
            nodes: config.nodes.max(1),
            weights: [fx::ratio(1, 4); 4],
            gpid_integral: fx::ZERO,
            gpid_prev: fx::ZERO,
            saturations: 0,
            arbiter: ArbiterRecord::default(),
            generation: Vec::new(),
            alive: Vec::new(),
            node: Vec::new(),
            target: Vec::new(),
            reading: Vec::new(),
            integral: Vec::new(),
            prev_error: Vec::new(),
            output: Vec::new(),
            amp: Vec::new(),
            vel: Vec::new(),
            phase: Vec::new(),
            freq: Vec::new(),
            edges: Edges::default(),
            free: alloc::collections::BTreeSet::new(),
        };
        // exact capacities: no doubling slack and no copies while the slots fill
        let n = config.entities as usize;
        w.generation.reserve_exact(n);
        w.alive.reserve_exact(n);
        w.node.reserve_exact(n);
        for v in [&mut w.target, &mut w.reading, &mut w.integral, &mut w.prev_error, &mut w.output, &mut w.amp, &mut w.vel, &mut w.phase, &mut w.freq] {
            v.reserve_exact(n);
        }
        let mut rng = SplitMix64::new(seed);
        for i in 0..config.entities {
            let target = rand_unit(&mut rng) * 2 - fx::ONE;
            let e = w.spawn(i % w.nodes, target);
            let i = e.index as usize;
            w.amp[i] = rand_unit(&mut rng) * 2 - fx::ONE;
            w.phase[i] = rand_unit(&mut rng) * fx::TAU;
            w.freq[i] = fx::ONE + rand_unit(&mut rng) / 10;
        }
        let n = u64::from(config.entities);
        for i in 0..config.entities {
            for _ in 0..config.edges_per_entity {
                let j = rng.below(n) as u32;
                let weight = fx::ratio(1, 20) + rand_unit(&mut rng) / 5;
                if j != i {
                    w.edges.insert_new((i.min(j), i.max(j)), weight);
                }
            }
        }
        w.rng = rng.state();
        w
    }

    /// [`World::new`] for a config from outside: refused with 4002 when a
    /// field is out of its range and with 4005 when the shape needs more
    /// memory than [`MEMORY_BUDGET`] (see [`Config::check`]), before anything
    /// is allocated.
    pub fn try_new(seed: u64, config: Config) -> Result<Self, WorldError> {
        config.check()?;
        Ok(World::new(seed, config))
    }

    /// Why one more slot (`slot`) or edge (`edge`) would take the world past its caps.
    fn room_for(&self, slot: bool, edge: bool) -> Result<(), String> {
        let slots = self.alive.len() as u64 + u64::from(slot && self.free.is_empty());
        if slots > u64::from(Config::MAX_ENTITIES) {
            return Err(format!("the world is full ({} entity slots, the limit)", Config::MAX_ENTITIES));
        }
        let need = memory_estimate(slots, self.edges.len() as u64 + u64::from(edge), u64::from(self.nodes));
        if need > MEMORY_BUDGET {
            return Err(format!("the world would need about {}, above its memory limit of {}", human_bytes(need), human_bytes(MEMORY_BUDGET)));
        }
        Ok(())
    }

    /// The tick last computed (0 before the first step).
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// Live entities, in id order.
    pub fn entities(&self) -> impl Iterator<Item = Entity> + '_ {
        self.alive
            .iter()
            .enumerate()
            .filter(|(_, a)| **a)
            .map(|(i, _)| Entity { index: i as u32, generation: self.generation.get(i).copied().unwrap_or(0) })
    }

    /// Number of live entities.
    pub fn len(&self) -> u32 {
        self.alive.iter().filter(|a| **a).count() as u32
    }

    /// Live entities on each topology node, by node (what the topology
    /// system balances; the page draws it).
    pub fn loads(&self) -> Vec<u32> {
        let mut out = alloc::vec![0u32; self.nodes as usize];
        for (n, alive) in self.node.iter().zip(&self.alive) {
            if *alive && let Some(c) = out.get_mut(*n as usize) {
                *c += 1;
            }
        }
        out
    }

    /// No live entity.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of edges.
    pub fn edge_count(&self) -> u32 {
        self.edges.len() as u32
    }

    /// The slot of a live entity.
    pub(crate) fn slot(&self, e: Entity) -> Option<usize> {
        let i = e.index as usize;
        (self.alive.get(i) == Some(&true) && self.generation.get(i) == Some(&e.generation)).then_some(i)
    }

    /// Spawns an entity on `node` with setpoint `target`, in the lowest free slot.
    pub fn spawn(&mut self, node: u32, target: Fx) -> Entity {
        let node = node % self.nodes;
        let i = match self.free.pop_first() {
            Some(i) => i as usize,
            None => {
                self.generation.push(0);
                self.alive.push(false);
                self.node.push(0);
                for v in [
                    &mut self.target,
                    &mut self.reading,
                    &mut self.integral,
                    &mut self.prev_error,
                    &mut self.output,
                    &mut self.amp,
                    &mut self.vel,
                    &mut self.phase,
                    &mut self.freq,
                ] {
                    v.push(fx::ZERO);
                }
                self.alive.len() - 1
            }
        };
        self.alive[i] = true;
        self.node[i] = node;
        self.target[i] = target;
        for v in [
            &mut self.reading,
            &mut self.integral,
            &mut self.prev_error,
            &mut self.output,
            &mut self.amp,
            &mut self.vel,
            &mut self.phase,
        ] {
            v[i] = fx::ZERO;
        }
        self.freq[i] = fx::ONE;
        Entity { index: i as u32, generation: self.generation[i] }
    }

    /// Despawns a live entity and its edges.
    pub fn despawn(&mut self, e: Entity) -> bool {
        let Some(i) = self.slot(e) else { return false };
        self.alive[i] = false;
        self.free.insert(i as u32);
        self.generation[i] = self.generation[i].wrapping_add(1);
        let idx = i as u32;
        self.edges.remove_touching(idx);
        true
    }

    /// Applies one command; `Err` says why it could not apply.
    pub fn apply(&mut self, c: &Command) -> Result<(), String> {
        let need = |w: &World, e: Entity| w.slot(e).ok_or_else(|| format!("entity {e} is not alive"));
        match c.op {
            Op::Spawn { node, target } => {
                self.room_for(true, false)?;
                self.spawn(node, target);
            }
            Op::Despawn { entity } => {
                need(self, entity)?;
                self.despawn(entity);
            }
            Op::Link { a, b, weight } => {
                let (i, j) = (need(self, a)? as u32, need(self, b)? as u32);
                if i == j {
                    return Err(format!("entity {a} cannot link to itself"));
                }
                if weight < fx::ZERO {
                    return Err("an edge weight must not be negative".into());
                }
                if !self.edges.contains(&(i.min(j), i.max(j))) {
                    self.room_for(false, true)?;
                }
                self.edges.insert((i.min(j), i.max(j)), weight);
            }
            Op::Unlink { a, b } => {
                let (i, j) = (need(self, a)? as u32, need(self, b)? as u32);
                if self.edges.remove(&(i.min(j), i.max(j))).is_none() {
                    return Err(format!("no edge between {a} and {b}"));
                }
            }
            Op::SetTarget { entity, value } => {
                let i = need(self, entity)?;
                self.target[i] = value;
            }
            Op::Sensor { .. } => {} // applied by the sensor system, after noise
        }
        Ok(())
    }

    /// One tick: the commands (those naming this tick, in canonical order),
    /// then the systems in their fixed order, then the state hash.
    pub fn step(&mut self, commands: &[Command]) -> TickReport {
        self.tick += 1;
        let mut sat = Sat::default();
        let mut rejected = Vec::new();
        let mut injected: Vec<(usize, Fx)> = Vec::new();
        for (k, c) in commands.iter().enumerate() {
            if let Op::Sensor { entity, value } = c.op {
                match self.slot(entity) {
                    Some(i) => injected.push((i, value)),
                    None => rejected.push((k, format!("entity {entity} is not alive"))),
                }
                continue;
            }
            if let Err(why) = self.apply(c) {
                rejected.push((k, why));
            }
        }
        systems::sensors(self, &injected);
        let mut metrics = systems::signal(self, &mut sat);
        metrics.stability = systems::pid(self, &mut sat);
        let alerts = systems::safety(self, &mut sat);
        systems::field(self, &mut sat);
        let migrations = systems::topology(self);
        let (decision, plan, lyapunov) = systems::arbiter(self, &mut metrics, alerts.len(), &mut sat);
        self.saturations = self.saturations.saturating_add(sat.0);
        let state_hash = self.state_hash();
        TickReport {
            tick: self.tick,
            state_hash,
            decision,
            plan,
            lyapunov,
            metrics,
            alerts,
            migrations,
            rejected,
            saturations: sat.0,
            entities: self.len(),
            edges: self.edge_count(),
        }
    }

    /// The canonical encoding ("OMGW", version 2, big-endian), which is hashed every tick
    /// and is the snapshot form:
    /// ```text
    /// "OMGW" | 2 | tick u64 | seed u64 | rng u64 | nodes u32 | weights 4 × i64 | pid integral i64
    /// | pid prev i64 | saturations u64
    /// | arbiter: decision u8 | pulse i64 | plan u8 | urgency i64 | gain i64 | V i64 | ΔV i64
    /// | slot count u32
    /// | per slot: generation u32 | alive u8 [| node u32 | target | reading | integral | prev error
    ///   | output | amplitude | velocity | phase | frequency (9 × i64, I32F32 bits)]
    /// | edge count u32 | per edge (sorted): a u32 | b u32 | weight i64
    /// ```
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.alive.len() * 81 + self.edges.len() * 16);
        self.encode_to(&mut out);
        out
    }

    /// Writes the canonical encoding to `out`, piece by piece (so the hash
    /// of a tick never needs the whole encoding in memory).
    fn encode_to<S: Sink>(&self, out: &mut S) {
        out.put(b"OMGW");
        out.put(&[2]);
        out.put(&self.tick.to_be_bytes());
        out.put(&self.seed.to_be_bytes());
        out.put(&self.rng.to_be_bytes());
        out.put(&self.nodes.to_be_bytes());
        for w in self.weights {
            out.put(&w.to_bits().to_be_bytes());
        }
        out.put(&self.gpid_integral.to_bits().to_be_bytes());
        out.put(&self.gpid_prev.to_bits().to_be_bytes());
        out.put(&self.saturations.to_be_bytes());
        let a = &self.arbiter;
        out.put(&[a.decision]);
        out.put(&a.pulse.to_bits().to_be_bytes());
        out.put(&[a.plan]);
        for x in [a.urgency, a.gain, a.v, a.dv] {
            out.put(&x.to_bits().to_be_bytes());
        }
        out.put(&(self.alive.len() as u32).to_be_bytes());
        // One record per slot and per edge, assembled in place in the sink's
        // buffer by fixed-size stores: no copy call per field or per record
        // (in wasm a variable-length copy is a call out to the engine).
        for i in 0..self.alive.len() {
            let [g0, g1, g2, g3] = self.generation[i].to_be_bytes();
            if self.alive[i] {
                let [n0, n1, n2, n3] = self.node[i].to_be_bytes();
                let fields = self.fx_components(i);
                out.record(|slot: &mut [u8; 81]| {
                    let Some((head, rest)) = slot.split_first_chunk_mut::<9>() else { return };
                    *head = [g0, g1, g2, g3, 1, n0, n1, n2, n3];
                    let (chunks, _) = rest.as_chunks_mut::<8>();
                    for (chunk, v) in chunks.iter_mut().zip(fields) {
                        *chunk = v.to_bits().to_be_bytes();
                    }
                });
            } else {
                out.record(|slot: &mut [u8; 5]| *slot = [g0, g1, g2, g3, 0]);
            }
        }
        out.put(&(self.edges.len() as u32).to_be_bytes());
        let mut edge = |a: u32, b: u32, w: Fx| {
            out.record(|r: &mut [u8; 16]| {
                if let ([ab, wb], _) = r.as_chunks_mut::<8>() {
                    *ab = (u64::from(a) << 32 | u64::from(b)).to_be_bytes();
                    *wb = w.to_bits().to_be_bytes();
                }
            })
        };
        match self.edges.flat() {
            Some(flat) => flat.iter().for_each(|e| edge(e.a, e.b, e.weight)),
            None => self.edges.map().iter().for_each(|((a, b), w)| edge(*a, *b, *w)),
        }
    }

    #[inline(always)]
    fn fx_components(&self, i: usize) -> [Fx; 9] {
        [
            self.target[i],
            self.reading[i],
            self.integral[i],
            self.prev_error[i],
            self.output[i],
            self.amp[i],
            self.vel[i],
            self.phase[i],
            self.freq[i],
        ]
    }

    /// The component values of a live entity, grouped by [`COMPONENTS`], as I32F32 bits
    /// (node as its number).
    pub fn components(&self, e: Entity) -> Option<[Vec<i64>; 6]> {
        let i = self.slot(e)?;
        let c = self.fx_components(i).map(|v| v.to_bits());
        Some([
            alloc::vec![i64::from(self.node[i])],
            alloc::vec![c[0]],
            alloc::vec![c[1]],
            alloc::vec![c[2], c[3], c[4]],
            alloc::vec![c[5], c[6]],
            alloc::vec![c[7], c[8]],
        ])
    }

    /// Flips one bit of the first value of a component of a live entity (for
    /// desync tests: `omega ecs --inject`). Returns false when the entity is dead.
    pub fn flip_bit(&mut self, e: Entity, component: usize, bit: u32) -> bool {
        let Some(i) = self.slot(e) else { return false };
        let m = 1i64 << (bit % 64);
        match component {
            0 => self.node[i] = (self.node[i] ^ (1u32 << (bit % 32))) % self.nodes,
            1 => self.target[i] = Fx::from_bits(self.target[i].to_bits() ^ m),
            2 => self.reading[i] = Fx::from_bits(self.reading[i].to_bits() ^ m),
            3 => self.integral[i] = Fx::from_bits(self.integral[i].to_bits() ^ m),
            4 => self.amp[i] = Fx::from_bits(self.amp[i].to_bits() ^ m),
            _ => self.phase[i] = Fx::from_bits(self.phase[i].to_bits() ^ m),
        }
        true
    }

    /// The first difference between two worlds: (entity or global field,
    /// component, values in self, values in other), scanning globals, then
    /// slots in id order, then edges.
    pub fn first_difference(&self, o: &World) -> Option<(String, String, Vec<String>, Vec<String>)> {
        let s = |v: &[i64]| v.iter().map(|b| Fx::from_bits(*b).to_string()).collect::<Vec<_>>();
        let g = |name: &str, a: String, b: String| Some((String::from("world"), String::from(name), alloc::vec![a], alloc::vec![b]));
        if self.tick != o.tick {
            return g("tick", format!("{}", self.tick), format!("{}", o.tick));
        }
        if (self.seed, self.rng, self.nodes) != (o.seed, o.rng, o.nodes) {
            return g("seed/rng/nodes", format!("{} {} {}", self.seed, self.rng, self.nodes), format!("{} {} {}", o.seed, o.rng, o.nodes));
        }
        for i in 0..self.alive.len().max(o.alive.len()) {
            let (la, lb) = (self.alive.get(i) == Some(&true), o.alive.get(i) == Some(&true));
            let (ga, gb) = (self.generation.get(i).copied().unwrap_or(0), o.generation.get(i).copied().unwrap_or(0));
            let ent = format!("{i}:{ga}");
            if la != lb || ga != gb {
                return Some((ent, String::from("alive"), alloc::vec![format!("{la} gen {ga}")], alloc::vec![format!("{lb} gen {gb}")]));
            }
            if !la {
                continue;
            }
            let e = Entity { index: i as u32, generation: ga };
            let (ca, cb) = (self.components(e)?, o.components(e)?);
            for (k, (x, y)) in ca.iter().zip(cb.iter()).enumerate() {
                if x != y {
                    let (vx, vy) = if k == 0 { (alloc::vec![x[0].to_string()], alloc::vec![y[0].to_string()]) } else { (s(x), s(y)) };
                    return Some((ent, String::from(COMPONENTS[k]), vx, vy));
                }
            }
        }
        if self.edges != o.edges {
            let a = self.edges.map().iter().zip(o.edges.map().iter()).find(|(x, y)| x != y).map(|(x, _)| *x.0);
            return g("edges", format!("{a:?}"), String::new());
        }
        if (self.weights, self.gpid_integral, self.gpid_prev, self.saturations, self.arbiter) != (o.weights, o.gpid_integral, o.gpid_prev, o.saturations, o.arbiter) {
            return g("arbiter", self.weights.map(|w| w.to_string()).join(" "), o.weights.map(|w| w.to_string()).join(" "));
        }
        None
    }

    /// SHA-256 of [`World::encode`].
    pub fn state_hash(&self) -> Hash {
        let mut h = HashSink::new();
        self.encode_to(&mut h);
        h.finish()
    }

    /// Rebuilds a world from [`World::encode`] bytes; stepping it gives the
    /// same hashes as never having stopped. The caps of a new world hold
    /// here too, checked from the header fields before anything is
    /// allocated: at most [`Config::MAX_NODES`] nodes and
    /// [`Config::MAX_ENTITIES`] slots, and the slots and edges within
    /// [`MEMORY_BUDGET`] (4005); anything else wrong is 4001.
    pub fn restore(bytes: &[u8]) -> Result<World, WorldError> {
        let e = |c: &Cursor<'_>, w: &str| WorldError::Malformed(format!("{w} at byte {}", c.pos()));
        let mut c = Cursor::new(bytes);
        macro_rules! get {
            ($n:literal, $w:literal) => {
                c.array::<$n>().ok_or_else(|| e(&c, concat!("truncated in ", $w)))?
            };
        }
        if &get!(4, "the magic") != b"OMGW" {
            return Err(WorldError::Malformed("not a world snapshot (magic is not OMGW)".into()));
        }
        let version = get!(1, "the version");
        if version != [1] && version != [2] {
            return Err(WorldError::Malformed("unsupported version (this build reads versions 1 and 2)".into()));
        }
        let fxb = |b: [u8; 8]| Fx::from_bits(i64::from_be_bytes(b));
        let tick = u64::from_be_bytes(get!(8, "the tick"));
        let seed = u64::from_be_bytes(get!(8, "the seed"));
        let rng = u64::from_be_bytes(get!(8, "the rng"));
        let nodes = u32::from_be_bytes(get!(4, "the node count"));
        if nodes == 0 {
            return Err(WorldError::Malformed("node count 0".into()));
        }
        if nodes > Config::MAX_NODES {
            return Err(WorldError::TooLarge(format!("the snapshot has {nodes} topology nodes; the limit is {}", Config::MAX_NODES)));
        }
        let mut weights = [fx::ZERO; 4];
        for w in &mut weights {
            *w = fxb(get!(8, "the weights"));
        }
        let gpid_integral = fxb(get!(8, "the pid"));
        let gpid_prev = fxb(get!(8, "the pid"));
        let saturations = u64::from_be_bytes(get!(8, "the saturation count"));
        // version 1 has no arbiter record: read as "no tick yet"
        let arbiter = if version == [2] {
            let at = c.pos();
            let decision = get!(1, "the arbiter record")[0];
            let pulse = fxb(get!(8, "the arbiter record"));
            let plan = get!(1, "the arbiter record")[0];
            let [urgency, gain, v, dv] = [(); 4].map(|()| c.array::<8>().map(fxb));
            let (Some(urgency), Some(gain), Some(v), Some(dv)) = (urgency, gain, v, dv) else { return Err(e(&c, "truncated in the arbiter record")) };
            let a = ArbiterRecord { decision, pulse, plan, urgency, gain, v, dv };
            // one encoding per world: all zero before the first tick, both codes set after it
            let valid = if decision == 0 { a == ArbiterRecord::default() } else { decision <= 4 && (1..=3).contains(&plan) };
            if !valid {
                return Err(WorldError::Malformed(format!("an arbiter record that no tick writes at byte {at}")));
            }
            a
        } else {
            ArbiterRecord::default()
        };
        let slots = u32::from_be_bytes(get!(4, "the slot count")) as usize;
        if slots > c.remaining() / 5 {
            return Err(e(&c, "slot count larger than the data"));
        }
        if slots > Config::MAX_ENTITIES as usize {
            return Err(WorldError::TooLarge(format!("the snapshot has {slots} entity slots; the limit is {}", Config::MAX_ENTITIES)));
        }
        let too_large = |slots: u64, edges: u64| {
            let need = memory_estimate(slots, edges, u64::from(nodes));
            (need > MEMORY_BUDGET).then(|| {
                WorldError::TooLarge(format!(
                    "the snapshot's {slots} entity slots and {edges} edges need about {}; the limit is {}",
                    human_bytes(need),
                    human_bytes(MEMORY_BUDGET)
                ))
            })
        };
        if let Some(err) = too_large(slots as u64, 0) {
            return Err(err);
        }
        let mut w = World {
            tick,
            seed,
            rng,
            nodes,
            weights,
            gpid_integral,
            gpid_prev,
            saturations,
            arbiter,
            generation: Vec::with_capacity(slots),
            alive: Vec::with_capacity(slots),
            node: Vec::with_capacity(slots),
            target: Vec::with_capacity(slots),
            reading: Vec::with_capacity(slots),
            integral: Vec::with_capacity(slots),
            prev_error: Vec::with_capacity(slots),
            output: Vec::with_capacity(slots),
            amp: Vec::with_capacity(slots),
            vel: Vec::with_capacity(slots),
            phase: Vec::with_capacity(slots),
            freq: Vec::with_capacity(slots),
            edges: Edges::default(),
            free: alloc::collections::BTreeSet::new(),
        };
        for _ in 0..slots {
            w.generation.push(u32::from_be_bytes(get!(4, "a slot")));
            let alive = match get!(1, "a slot") {
                [0] => false,
                [1] => true,
                _ => return Err(e(&c, "an alive flag that is neither 0 nor 1")),
            };
            w.alive.push(alive);
            if !alive {
                w.free.insert((w.alive.len() - 1) as u32);
            }
            if alive {
                let node = u32::from_be_bytes(get!(4, "a slot"));
                if node >= nodes {
                    return Err(e(&c, "an entity on a node past the node count"));
                }
                w.node.push(node);
                let mut v = [fx::ZERO; 9];
                for x in &mut v {
                    *x = fxb(get!(8, "a slot"));
                }
                let [t, r, i, p, o, a, ve, ph, f] = v;
                w.target.push(t);
                w.reading.push(r);
                w.integral.push(i);
                w.prev_error.push(p);
                w.output.push(o);
                w.amp.push(a);
                w.vel.push(ve);
                w.phase.push(ph);
                w.freq.push(f);
            } else {
                w.node.push(0);
                for v in [
                    &mut w.target,
                    &mut w.reading,
                    &mut w.integral,
                    &mut w.prev_error,
                    &mut w.output,
                    &mut w.amp,
                    &mut w.vel,
                    &mut w.phase,
                    &mut w.freq,
                ] {
                    v.push(fx::ZERO);
                }
            }
        }
        let ne = u32::from_be_bytes(get!(4, "the edge count"));
        if let Some(err) = too_large(slots as u64, u64::from(ne)) {
            return Err(err);
        }
        let mut prev: Option<(u32, u32)> = None;
        for _ in 0..ne {
            let a = u32::from_be_bytes(get!(4, "an edge"));
            let b = u32::from_be_bytes(get!(4, "an edge"));
            let weight = fxb(get!(8, "an edge"));
            let live = |x: u32| w.alive.get(x as usize) == Some(&true);
            if a >= b || !live(a) || !live(b) || prev.is_some_and(|p| p >= (a, b)) {
                return Err(e(&c, "an edge that is not sorted, unique, a < b and between live entities"));
            }
            prev = Some((a, b));
            w.edges.insert((a, b), weight);
        }
        if c.remaining() != 0 {
            return Err(e(&c, "trailing bytes"));
        }
        Ok(w)
    }
}

/// What a world snapshot's header and slots say, read by [`World::peek`]
/// without building the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// The tick the snapshot was taken after.
    pub tick: u64,
    /// The seed the world was made with.
    pub seed: u64,
    /// Topology nodes.
    pub nodes: u32,
    /// Entity slots (live and free).
    pub slots: u32,
    /// Live entities.
    pub entities: u32,
    /// Edges.
    pub edges: u32,
}

impl World {
    /// The tick, seed, node count, live entities and edges of a snapshot,
    /// found by walking its slots without allocating (for `omega ecs --from`'s
    /// header line). `None` when the bytes are not a well-formed snapshot in
    /// shape; only [`World::restore`] checks everything.
    pub fn peek(bytes: &[u8]) -> Option<SnapshotInfo> {
        let mut c = Cursor::new(bytes);
        let u32_of = |c: &mut Cursor<'_>| c.array::<4>().map(u32::from_be_bytes);
        let u64_of = |c: &mut Cursor<'_>| c.array::<8>().map(u64::from_be_bytes);
        if c.take(4)? != b"OMGW" {
            return None;
        }
        let record = match c.array::<1>()? {
            [1] => 0,
            [2] => ARBITER_BYTES,
            _ => return None,
        };
        let tick = u64_of(&mut c)?;
        let seed = u64_of(&mut c)?;
        let _rng = u64_of(&mut c)?;
        let nodes = u32_of(&mut c)?;
        c.take(4 * 8 + 8 + 8 + 8 + record)?;
        let slots = u32_of(&mut c)?;
        let mut entities = 0u32;
        for _ in 0..slots {
            c.take(4)?;
            match c.array::<1>()? {
                [0] => {}
                [1] => {
                    entities = entities.saturating_add(1);
                    c.take(4 + 9 * 8)?;
                }
                _ => return None,
            }
        }
        let edges = u32_of(&mut c)?;
        let room = u64::try_from(c.remaining()).unwrap_or(u64::MAX);
        (u64::from(edges) * 16 == room).then_some(SnapshotInfo { tick, seed, nodes, slots, entities, edges })
    }
}

/// The graph's edges `(a, b)`, `a < b`, with their weights: a B-tree for
/// updates and, once [`Edges::refresh`]ed, the same edges as a flat list in
/// the same `(a, b)` order for the field system and the encoding to walk
/// (walking 300k B-tree entries costs several times a slice). The flat list
/// is a cache: never compared, never encoded on its own.
#[derive(Debug, Clone, Default)]
pub(crate) struct Edges {
    map: BTreeMap<(u32, u32), Fx>,
    flat: Vec<Edge>,
    fresh: bool,
}

/// One edge of the flat list, with its coupling weight `COUPLING · weight`
/// (the field system's; exact, and never saturating, for any weight).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Edge {
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) weight: Fx,
    pub(crate) coupled: Fx,
}

impl PartialEq for Edges {
    fn eq(&self, o: &Self) -> bool {
        self.map == o.map
    }
}
impl Eq for Edges {}

impl Edges {
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    pub(crate) fn contains(&self, k: &(u32, u32)) -> bool {
        self.map.contains_key(k)
    }

    /// Sets the weight of edge `k`.
    pub(crate) fn insert(&mut self, k: (u32, u32), weight: Fx) {
        self.map.insert(k, weight);
        self.fresh = false;
    }

    /// Adds edge `k` unless it is there already.
    pub(crate) fn insert_new(&mut self, k: (u32, u32), weight: Fx) {
        self.map.entry(k).or_insert(weight);
        self.fresh = false;
    }

    pub(crate) fn remove(&mut self, k: &(u32, u32)) -> Option<Fx> {
        self.fresh = false;
        self.map.remove(k)
    }

    /// Removes every edge of slot `i`.
    pub(crate) fn remove_touching(&mut self, i: u32) {
        self.map.retain(|(a, b), _| *a != i && *b != i);
        self.fresh = false;
    }

    pub(crate) fn map(&self) -> &BTreeMap<(u32, u32), Fx> {
        &self.map
    }

    /// The flat list, if it is up to date.
    pub(crate) fn flat(&self) -> Option<&[Edge]> {
        self.fresh.then_some(self.flat.as_slice())
    }

    /// The flat list, rebuilt first if an update made it stale.
    pub(crate) fn refresh(&mut self) -> &[Edge] {
        if !self.fresh {
            let mut s = Sat::default();
            self.flat.clear();
            self.flat.reserve_exact(self.map.len());
            self.flat.extend(self.map.iter().map(|(&(a, b), &weight)| Edge { a, b, weight, coupled: fx::mul(systems::COUPLING, weight, &mut s) }));
            self.fresh = true;
        }
        &self.flat
    }
}

/// Where [`World::encode_to`] writes.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
    /// An `N`-byte record, which `fill` writes whole (every byte), in place
    /// where the sink can offer it.
    fn record<const N: usize>(&mut self, fill: impl FnOnce(&mut [u8; N]));
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn record<const N: usize>(&mut self, fill: impl FnOnce(&mut [u8; N])) {
        let mut r = [0u8; N];
        fill(&mut r);
        self.extend_from_slice(&r);
    }
}

/// SHA-256 fed in large updates through a small buffer: the state hash of a
/// tick without a copy of the whole (for 100k entities, ~13 MB) encoding.
struct HashSink {
    h: Sha256,
    buf: Vec<u8>,
    len: usize,
}

impl HashSink {
    const CAP: usize = 64 * 1024;

    fn new() -> HashSink {
        HashSink { h: Sha256::new(), buf: alloc::vec![0; Self::CAP], len: 0 }
    }

    fn flush(&mut self) {
        self.h.update(self.buf.get(..self.len).unwrap_or_default());
        self.len = 0;
    }

    fn finish(mut self) -> Hash {
        self.flush();
        self.h.finalize().into()
    }
}

impl Sink for HashSink {
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > Self::CAP {
            self.flush();
        }
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.h.update(bytes), // larger than the buffer (the buffer is empty)
        }
    }

    #[inline(always)]
    fn record<const N: usize>(&mut self, fill: impl FnOnce(&mut [u8; N])) {
        if self.len + N > Self::CAP {
            self.flush();
        }
        match self.buf.get_mut(self.len..).and_then(|b| b.first_chunk_mut::<N>()) {
            Some(dst) => {
                fill(dst);
                self.len += N;
            }
            None => {
                let mut r = [0u8; N];
                fill(&mut r);
                self.h.update(r);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The flat list is the B-tree, edge for edge, with the coupling weight.
    fn matches_map(e: &Edges) -> bool {
        let mut s = Sat::default();
        e.flat().is_some_and(|flat| {
            flat.len() == e.map().len()
                && flat.iter().zip(e.map()).all(|(f, (&(a, b), &w))| {
                    (f.a, f.b, f.weight, f.coupled) == (a, b, w, fx::mul(systems::COUPLING, w, &mut s))
                })
        })
    }

    /// After every kind of update (a new edge, a new weight, an unlink, a
    /// despawn), a world whose flat list is stale and one whose list was
    /// rebuilt encode the same bytes and step to the same hashes.
    #[test]
    fn the_flat_edge_list_follows_every_update() {
        let mut w = World::new(7, Config { nodes: 3, entities: 60, edges_per_entity: 3 });
        assert!(w.edges.flat().is_none(), "a new world's list is built when first needed");
        let some = *w.edges.map().keys().nth(5).unwrap();
        let updates: [&dyn Fn(&mut World); 5] = [
            &|_| {},
            &|w| w.edges.insert((1, 59), fx::ratio(3, 10)),
            &|w| w.edges.insert(some, fx::ratio(7, 10)),
            &|w| {
                w.edges.remove(&some);
            },
            &|w| {
                let e = w.entities().nth(3).unwrap();
                assert!(w.despawn(e));
            },
        ];
        for (k, update) in updates.iter().enumerate() {
            update(&mut w);
            let stale = w.clone();
            let mut fresh = w.clone();
            fresh.edges.refresh();
            assert!(stale.edges.flat().is_none() || k == 0, "update {k} left the list marked fresh");
            assert!(matches_map(&fresh.edges), "update {k}");
            assert_eq!(stale.encode(), fresh.encode(), "update {k}");
            let (mut a, mut b) = (stale, fresh);
            assert_eq!(a.step(&[]).state_hash, b.step(&[]).state_hash, "update {k}");
            assert!(matches_map(&a.edges), "the field system refreshes the list");
            w = a;
        }
    }
}
