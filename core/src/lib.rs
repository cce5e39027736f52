//! omega-core: the deterministic kernel of omega.
//!
//! Every function here is a pure function of its inputs: no clocks, no
//! randomness, no floats, no hash-map iteration. The same code runs natively
//! and inside the wasm32 blob, and must give the same bytes on every engine.
//!
//! One module per stage of the pipeline, in the order data flows:
//! - [`event`]: the 224-bit canonical [`Key`], the [`Event`] and its
//!   canonical bytes, the framed `.omega` log ([`event::frame`]), and the
//!   deterministic sample histories ([`event::sample`]);
//! - [`reconcile`](mod@reconcile): events in any order become one canonical history or an
//!   [`Obstruction`] listing every violation; [`State`] is what a history
//!   leaves behind (the prior of the next batch);
//! - [`tree`]: the RFC 6962 / RFC 9162 Merkle tree and its inclusion and
//!   consistency proofs;
//! - [`certify`]: C2SP signed notes and Ed25519 keys ([`certify::note`]);
//!   checkpoints, quorum certificates, committees and chains ([`certify::cert`]);
//! - [`replay`]: state snapshots and crash bundles;
//! - [`ecs`]: the fixed-point world a history drives, and [`ecs::Run`], its loop;
//! - [`api`]: the typed way in — [`api::Op`], one request type per op
//!   ([`api::request::Call`]), the handlers ([`api::ops`]), [`api::ApiError`]
//!   and every stable code ([`api::code`]), the JSON forms ([`api::json`])
//!   and the byte transport every engine shares ([`api::abi`]).
//!
//! Each module re-exports what its users need; the most used types are also
//! here at the root.
#![no_std]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
// Unit tests may unwrap and index: a panic there is a failing test, not a crash.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

extern crate alloc;

pub mod api;
pub mod certify;
pub mod ecs;
pub mod event;
pub mod reconcile;
pub mod replay;
pub mod tree;

mod cursor;
mod error;
mod hash;
pub mod hex;

pub use error::{DecodeError, ErrorCode};
pub use event::{Event, EventId, EventRef, Key, Limits};
pub use hash::{Hash, sha256};
pub use reconcile::{
    EventView, Evidence, Head, Obstruction, Outcome, Reason, Reconciler, State, StateError, Summary, Violation,
    history_leaves, reconcile,
};
pub use tree::{CompactRange, ProofError, Subtree};

/// The crate version, as the blob's `version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
