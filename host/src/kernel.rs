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
//! makes many calls (`omega ecs` opens an ECS session and steps it in
//! chunks, a reconcile that obstructs also makes its crash bundle) loads the
//! blob once. A call that traps or fails drops the blob's instance (and the
//! ECS session in it); the next call gets a fresh instance of the same
//! compiled module (no recompilation).
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
use anyhow::Result;
use omega_core::api::abi::{self, Response};
use omega_core::api::{Op, session};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// An engine that runs the kernel's ops on request bytes.
///
/// Besides the ops, a kernel holds at most one resident ECS session
/// (`omega_core::api::session`): `ecs_open` takes op 19's request bytes,
/// `ecs_step` runs more ticks of that world and answers op 19's body for the
/// run so far (its `reports` this step's only), `ecs_close` drops it. The
/// world stays in the kernel between steps (in the blob's instance on the
/// wasm engine), so `omega ecs` sends it once. Every engine answers the same
/// bytes, refusals included.
pub trait Kernel: Send {
    /// Runs one op; the response is byte-identical on every engine.
    fn call(&mut self, op: Op, input: &[u8]) -> Result<Response>;
    /// Opens the ECS session from op 19's request bytes (replacing the open
    /// one; a refused open leaves none): op 19's body for 0 ticks in mode
    /// `summary`, or op 19's error.
    fn ecs_open(&mut self, request: &[u8]) -> Result<Response>;
    /// Runs `ticks` more ticks of the open session; `mode` is op 19's mode
    /// field (empty: `reports`). Refused (3301) when none is open.
    fn ecs_step(&mut self, ticks: u64, mode: &str) -> Result<Response>;
    /// Drops the open session, if any.
    fn ecs_close(&mut self) -> Result<()>;
    /// The engine's name, as `--engine` spells it.
    fn name(&self) -> &'static str;
}

/// omega-core linked into this program. Its ECS session is the process's
/// (one for every `Native`, as the blob has one per instance).
#[derive(Debug, Clone, Copy, Default)]
pub struct Native;

/// The native engine's ECS session.
static NATIVE_ECS: Mutex<session::Slot> = Mutex::new(session::Slot::new());

fn native_ecs() -> std::sync::MutexGuard<'static, session::Slot> {
    NATIVE_ECS.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Kernel for Native {
    fn call(&mut self, op: Op, input: &[u8]) -> Result<Response> {
        Ok(abi::call(op.code(), input))
    }
    fn ecs_open(&mut self, request: &[u8]) -> Result<Response> {
        Ok(native_ecs().open(request))
    }
    fn ecs_step(&mut self, ticks: u64, mode: &str) -> Result<Response> {
        Ok(native_ecs().step(ticks, mode.as_bytes()))
    }
    fn ecs_close(&mut self) -> Result<()> {
        native_ecs().close();
        Ok(())
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
    fn ecs_open(&mut self, request: &[u8]) -> Result<Response> {
        self.0.ecs_open(request)
    }
    fn ecs_step(&mut self, ticks: u64, mode: &str) -> Result<Response> {
        self.0.ecs_step(ticks, mode.as_bytes())
    }
    fn ecs_close(&mut self) -> Result<()> {
        self.0.ecs_close()
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
pub fn run(engine: &EngineArgs, op: Op, input: &[u8]) -> Result<Response> {
    with(engine, |k| k.call(op, input))
}

/// Runs `f` on the kernel `engine` names: the native one, or the wasm kernel
/// of this process (opened on first use, kept after, so an ECS session
/// opened in one call is there in the next). `f` must not call [`run`] or
/// `with` itself (the wasm kernel is locked while it runs).
pub fn with<R>(engine: &EngineArgs, f: impl FnOnce(&mut dyn Kernel) -> Result<R>) -> Result<R> {
    match engine.engine {
        EngineKind::Native => f(&mut Native),
        EngineKind::Wasm => {
            let key = Key { blob: engine.blob.blob.clone(), bounds: engine.blob.bounds() };
            let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
            let kernel = match &mut *open {
                Some((k, w)) if *k == key => w,
                slot => {
                    let source = wasm::find_blob(key.blob.as_deref())?;
                    let blob = Blob::open(&source, key.bounds)?;
                    &mut slot.insert((key, Wasm(blob))).1
                }
            };
            f(kernel)
        }
    }
}
