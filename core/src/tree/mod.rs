//! The tree stage: the RFC 6962 / RFC 9162 Merkle tree over the canonical
//! history's leaf hashes, its inclusion and consistency proofs, and the
//! tree stored as C2SP tlog-tiles ([`tiles`]).
pub mod merkle;
pub mod proof;
pub mod tiles;

pub use merkle::CompactRange;
pub use proof::{ProofError, Subtree};
pub use tiles::{Edge, Tile, TileError};
