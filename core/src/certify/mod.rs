//! The certify stage: C2SP signed notes and Ed25519 keys (`note`), and
//! omega's checkpoints, quorum certificates, committees and chains (`cert`),
//! and C2SP trust policies of a log and its witnesses (`policy`).
pub mod cert;
pub mod comb;
pub mod ed25519;
pub mod note;
pub mod policy;

pub use cert::{Certificate, Checkpoint, Committee, Kind};
pub use note::{SignerKey, VerifierKey};
