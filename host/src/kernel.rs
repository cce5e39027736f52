//! The kernel behind every command: one interface over the two engines, and
//! the one kernel a process opens.
//!
//! [`Native`] is omega-core linked into `omega` (`omega_core::api::abi::call`);
//! [`Wasm`] is the blob in wasmtime (`crate::wasm::Blob`). Both take the
//! same request bytes and give the same response bytes.
//!
//! # One kernel per process
//!
//! Every command goes through `run_op` (main.rs), which calls [`run`]: the
//! wasm kernel is opened (blob read, compiled module loaded, instantiated)
//! on the first call and kept for the rest of the process, so a command that
//! makes many calls (`omega ecs` runs the world in chunks of 250 ticks, a
//! reconcile that obstructs also makes its crash bundle) loads the blob once.
//! A call that traps or fails drops the blob's instance; the next call gets
//! a fresh instance of the same compiled module (no recompilation).
//!
//! # The module cache
//!
//! Compiling the blob with Cranelift takes about a second; loading a
//! compiled module takes milliseconds. So the first `--engine wasm` run on a
//! machine writes the compiled module to
//!
//! ```text
//! <cache>/omega/modules/<blob sha256>-wasmtime<major>-<config hash>.cwasm
//! ```
//!
//! where `<cache>` is `$OMEGA_CACHE_DIR`, else `$XDG_CACHE_HOME` (when an
//! absolute path), else `$HOME/.cache`; later runs load it. The config hash
//! covers the wasmtime `Config` flags omega sets (NaN canonicalisation, fuel)
//! and wasmtime's `precompile_compatibility_hash` (its exact version, the
//! target and CPU features), so a new blob, a new wasmtime or another machine
//! sharing the folder gets its own file. Only the compiled code is cached:
//! bounds (`--fuel`, `--max-memory-mib`) apply per instance, as before.
//!
//! - `OMEGA_NO_MODULE_CACHE=1` turns the cache off (compile every run).
//! - `OMEGA_VERBOSE=1` prints one line on stderr saying whether the module
//!   was loaded from the cache or compiled (and why).
//! - Writing a module keeps the newest 8 `.cwasm` files in the folder and
//!   removes older ones (so rebuilding the blob does not fill the disk);
//!   deleting the folder is always safe.
//! - The cache never fails a command: a missing or read-only folder, a
//!   corrupt or stale file just mean compiling (and rewriting the file when
//!   the folder is writable).
//!
//! Safety: wasmtime's `Module::deserialize` trusts its input (bytes that are
//! not `Module::serialize` output are undefined behaviour), so each file
//! records the SHA-256 of the serialized bytes, computed when it was
//! written; a file is written to a unique temporary name and renamed into
//! place; and a file is only deserialized when its bytes hash to the
//! recorded value, the hashed bytes being the ones deserialized (read into
//! memory, not mapped). A truncated, half-written or bit-flipped file is
//! thus recompiled, never loaded. The hash guards against accidents, not
//! against someone who can write the cache folder: treat it like the rest
//! of your home folder.
use crate::wasm::{self, Blob, Bounds};
use crate::{EngineArgs, EngineKind};
use anyhow::{Result, anyhow};
use omega_core::api::abi::{self, Response};
use omega_core::api::Op;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// An engine that runs the kernel's ops on request bytes.
pub trait Kernel: Send {
    /// Runs one op; the response is byte-identical on every engine.
    fn call(&mut self, op: Op, input: &[u8]) -> Result<Response>;
    /// The engine's name, as `--engine` spells it.
    fn name(&self) -> &'static str;
}

/// omega-core linked into this program.
#[derive(Debug, Clone, Copy, Default)]
pub struct Native;

impl Kernel for Native {
    fn call(&mut self, op: Op, input: &[u8]) -> Result<Response> {
        Ok(abi::call(op.code(), input))
    }
    fn name(&self) -> &'static str {
        "native"
    }
}

/// The blob in wasmtime.
#[derive(Debug)]
pub struct Wasm(pub Blob);

impl Kernel for Wasm {
    fn call(&mut self, op: Op, input: &[u8]) -> Result<Response> {
        self.0.call(op.code(), input)
    }
    fn name(&self) -> &'static str {
        "wasm"
    }
}

/// What the open wasm kernel was opened with: another `--blob` or other
/// bounds in the same process open another.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    blob: Option<PathBuf>,
    bounds: Bounds,
}

/// The wasm kernel this process opened, if any.
static OPEN: Mutex<Option<(Key, Wasm)>> = Mutex::new(None);

/// Runs `op` on the engine `engine` names, opening the wasm kernel on first
/// use and reusing it after.
pub fn run(engine: &EngineArgs, op: u32, input: &[u8]) -> Result<Response> {
    let op = Op::try_from(op).map_err(|e| anyhow!("{e}"))?;
    match engine.engine {
        EngineKind::Native => Native.call(op, input),
        EngineKind::Wasm => {
            let key = Key { blob: engine.blob.blob.clone(), bounds: engine.blob.bounds() };
            let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
            let kernel = match &mut *open {
                Some((k, w)) if *k == key => w,
                slot => {
                    let path = wasm::find_blob(key.blob.as_deref())?;
                    let blob = Blob::load(&path, key.bounds)?;
                    &mut slot.insert((key, Wasm(blob))).1
                }
            };
            kernel.call(op, input)
        }
    }
}
