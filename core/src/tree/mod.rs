//! The tree stage: the RFC 6962 / RFC 9162 Merkle tree over the canonical
//! history's leaf hashes, and its inclusion and consistency proofs.
pub mod merkle;
pub mod proof;

pub use merkle::CompactRange;
pub use proof::{ProofError, Subtree};
