//! omega-core: the deterministic kernel of omega.
//!
//! Every function here is a pure function of its inputs: no clocks, no
//! randomness, no floats, no hash-map iteration. The same code runs natively
//! and inside the wasm32 blob, and must give the same bytes on every engine.
//!
//! Modules (one noun each, re-exported flat):
//! - [`Key`], [`EventId`]: the 224-bit canonical key and its 112-bit event id;
//! - [`Event`]: an event and its canonical binary encoding;
//! - [`CompactRange`], [`merkle`]: the RFC 6962 / RFC 9162 Merkle tree hash;
//! - [`State`]: what a reconciled history leaves behind (the prior state);
//! - [`Reconciler`], [`reconcile()`]: canonical order, invariants, obstruction;
//! - [`json`] (feature `json`): the JSON event form and result rendering;
//! - [`abi`]: the byte-level call entry shared by the native engine and the blob;
//! - [`sample`]: the deterministic sample histories used by demo, benches and tests.
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
pub use event::{Event, EventId, Key, Limits};
pub use hash::{Hash, sha256};
pub use reconcile::{
    Evidence, Head, Obstruction, Outcome, Reason, Reconciler, State, StateError, Summary, Violation, history_leaves,
    reconcile,
};
pub use tree::{CompactRange, ProofError, Subtree};

// The paths before the stages had folders; kept while the workspace moves over.
#[doc(hidden)]
pub use certify::{cert, note};
#[doc(hidden)]
pub use event::{frame, sample};
#[doc(hidden)]
pub use replay::snapshot;
#[doc(hidden)]
pub use tree::{merkle, proof};
#[cfg(feature = "json")]
#[doc(hidden)]
pub use api::{abi, json, ops};

/// The crate version, as the blob's `version()` reports it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
