//! The fixed-point ECS world the reconciled history drives.
//!
//! - [`fx`]: I32F32 arithmetic with a saturate-and-count overflow policy and
//!   the transcendentals (sqrt, exp, ln, sin, cos, sigmoid) with error bounds;
//! - [`World`]: generational entities, components stored by slot (iteration
//!   by entity id), a weighted graph, the canonical encoding hashed each tick,
//!   snapshot ([`World::encode`]) and [`World::restore`];
//! - [`systems`]: sensors → signal → PID → safety → field → topology →
//!   arbiter, plain functions in that fixed order, with the original constants;
//! - [`Run`]: the per-tick loop (injected flip, commands, systems, digest,
//!   checkpoints) that op 19, the JS `World` and `omega ecs` all use;
//! - [`batch`]: the world advanced batch by batch (a cluster node's `--ecs`, op 26);
//! - [`Command`]: spawn, despawn, link, unlink, set target, sensor reading,
//!   in a binary and a JSON form, carried as event payloads.
//!
//! No floating point anywhere here: the float references live in `core/tests/fx.rs`.
// Component vectors all have one length (the slot count), and every index
// used comes from iterating that range or from a live slot, so indexing cannot
// fail; `World::restore` checks the lengths of what it reads.
#![allow(clippy::indexing_slicing)]

pub mod batch;
pub mod command;
pub mod fx;
mod run;
pub mod systems;
mod world;

pub use command::{Command, Op};
pub use run::{Departure, Inject, Run, Stage, first_departure};
pub use world::{
    Alert, COMPONENTS, Config, Decision, EDGE_BYTES, Entity, Lyapunov, MEMORY_BUDGET, Metrics, Migration, NODE_BYTES, Plan, PlanAction, SLOT_BYTES, SnapshotInfo, TickReport,
    World, WorldError, memory_estimate,
};
