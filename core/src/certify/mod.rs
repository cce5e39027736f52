//! The certify stage: C2SP signed notes and Ed25519 keys (`note`), and
//! omega's checkpoints, quorum certificates, committees and chains (`cert`).
pub mod cert;
pub mod comb;
pub mod ed25519;
pub mod note;

pub use cert::{Certificate, Checkpoint, Committee, Kind};
pub use note::{SignerKey, VerifierKey};
