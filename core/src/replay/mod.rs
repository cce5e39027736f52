//! The replay stage: state snapshots (OMSN) a history can be replayed from,
//! and crash bundles (OMCB) that reproduce an obstruction anywhere.
pub mod snapshot;

pub use snapshot::{Bundle, Snapshot};
