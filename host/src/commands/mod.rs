//! One module per `omega` command (or family of commands), as wasmtime's CLI
//! lays them out. Each turns its arguments into requests to the kernel
//! (`crate::run_op`, native or the blob opened once) and prints the answer;
//! the work itself is in omega-core.
pub(crate) mod bench;
pub(crate) mod certify;
pub(crate) mod cluster;
pub(crate) mod crosscheck;
pub(crate) mod demo;
pub(crate) mod doctor;
pub(crate) mod ecs;
pub(crate) mod log;
pub(crate) mod reconcile;
pub(crate) mod tiles;
pub(crate) mod witness;
