//! The `wasm` engine: the blob in wasmtime, called through its raw C-ABI.
//!
//! The blob is the wasm-bindgen `_bg.wasm` file the npm package ships. Its
//! wasm-bindgen imports are defined as traps (the raw exports never call
//! them); NaNs are canonicalised; memory and fuel are bounded.
use anyhow::{Context, Result, anyhow, bail};
use omega_core::abi::Response;
use std::path::{Path, PathBuf};
use wasmtime::{Config, Engine, Instance, Linker, Memory, Module, ResourceLimiter, Store, Trap, TypedFunc};

/// Bounds for one blob instance.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Largest linear memory, in bytes.
    pub max_memory: usize,
    /// Fuel (roughly, wasm instructions) for one call.
    pub fuel: u64,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds { max_memory: 2 << 30, fuel: 2_000_000_000_000 }
    }
}

/// Bounds the blob's memory and remembers when a growth was refused, so a
/// trap that follows can be reported as what it is.
#[derive(Debug)]
struct Limiter {
    max_memory: usize,
    /// The size (bytes) a refused memory growth asked for.
    refused: Option<usize>,
}

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        let ok = desired <= self.max_memory;
        if !ok {
            self.refused = Some(desired);
        }
        Ok(ok)
    }
    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
    fn instances(&self) -> usize {
        1
    }
}

/// A loaded blob, ready for calls.
pub struct Blob {
    store: Store<Limiter>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    call: TypedFunc<(u32, u32, u32), u32>,
    fuel: u64,
    /// Where it was loaded from.
    pub path: PathBuf,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob").field("path", &self.path).field("sha256", &self.sha256).finish()
    }
}

/// Where the blob is looked for when `--blob` is not given, in order.
pub fn default_blob_candidates() -> Vec<PathBuf> {
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("OMEGA_BLOB") {
        v.push(PathBuf::from(p));
    }
    // target/<profile>/omega -> <repo>/wasm/dist/omega_wasm_bg.wasm
    if let Ok(exe) = std::env::current_exe() {
        if let Some(repo) = exe.parent().and_then(Path::parent).and_then(Path::parent) {
            v.push(repo.join("wasm/dist/omega_wasm_bg.wasm"));
        }
    }
    v.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm/dist/omega_wasm_bg.wasm"));
    v
}

/// Resolves the blob path: the explicit one, or the first default that exists.
pub fn find_blob(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        bail!("no blob at {} (from --blob)", p.display());
    }
    let cands = default_blob_candidates();
    cands.iter().find(|p| p.is_file()).map(|p| p.to_path_buf()).ok_or_else(|| {
        let tried: Vec<String> = cands.iter().map(|p| format!("  {}", p.display())).collect();
        anyhow!(
            "the blob (omega_wasm_bg.wasm) was not found; looked at:\n{}\nbuild it with `cargo xtask blob`, or pass --blob PATH",
            tried.join("\n")
        )
    })
}

impl Blob {
    /// Loads and instantiates the blob at `path`.
    pub fn load(path: &Path, bounds: Bounds) -> Result<Blob> {
        let bytes = std::fs::read(path).with_context(|| format!("reading the blob {}", path.display()))?;
        let sha256 = omega_core::hex::encode(&omega_core::sha256(&bytes));
        let mut config = Config::new();
        config.cranelift_nan_canonicalization(true);
        config.consume_fuel(true);
        let engine = Engine::new(&config).map_err(|e| anyhow!("{e}"))?;
        let module = Module::from_binary(&engine, &bytes)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("{} is not a valid wasm module", path.display()))?;
        let mut linker: Linker<Limiter> = Linker::new(&engine);
        linker.define_unknown_imports_as_traps(&module).map_err(|e| anyhow!("{e}"))?;
        let mut store = Store::new(&engine, Limiter { max_memory: bounds.max_memory, refused: None });
        store.limiter(|l| l);
        store.set_fuel(bounds.fuel).map_err(|e| anyhow!("{e}"))?;
        let instance: Instance = linker.instantiate(&mut store, &module).map_err(|e| anyhow!("instantiating the blob: {e}"))?;
        let memory = instance.get_memory(&mut store, "memory").ok_or_else(|| anyhow!("the blob exports no memory"))?;
        let f = |name: &str| anyhow!("the blob lacks the raw export `{name}`; is it an omega blob of this version?");
        let alloc = instance.get_typed_func::<u32, u32>(&mut store, "omega_alloc").map_err(|_| f("omega_alloc"))?;
        let free = instance.get_typed_func::<(u32, u32), ()>(&mut store, "omega_free").map_err(|_| f("omega_free"))?;
        let call = instance.get_typed_func::<(u32, u32, u32), u32>(&mut store, "omega_call").map_err(|_| f("omega_call"))?;
        Ok(Blob { store, memory, alloc, free, call, fuel: bounds.fuel, path: path.to_path_buf(), sha256 })
    }

    /// Why a call trapped, in words: out of fuel, the memory bound, or (a
    /// bug in omega) the trap itself. After a trap the instance is not
    /// used again (nothing is freed in it): the blob is loaded per command.
    fn trapped(&mut self, what: &str, e: &wasmtime::Error) -> anyhow::Error {
        if let Some(want) = self.store.data_mut().refused.take() {
            return anyhow!(
                "the blob reached its memory bound of {} MiB in {what} (it asked for {} MiB); raise --max-memory-mib (at most 4096) or give it a smaller input",
                self.store.data().max_memory >> 20,
                want.div_ceil(1 << 20)
            );
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => anyhow!("the blob ran out of fuel ({} units) in {what}; raise --fuel or give it a smaller input", self.fuel),
            Some(t) => anyhow!("the blob trapped in {what}: {t} (a bug in omega; please report it with the input)"),
            None => anyhow!("the blob failed in {what}: {e}"),
        }
    }

    /// Runs one op on request bytes in the blob.
    pub fn call(&mut self, op: u32, input: &[u8]) -> Result<Response> {
        self.store.set_fuel(self.fuel).map_err(|e| anyhow!("{e}"))?;
        self.store.data_mut().refused = None;
        let len = u32::try_from(input.len()).context("request over 4 GiB")?;
        let ptr = match self.alloc.call(&mut self.store, len) {
            Ok(p) => p,
            Err(e) => return Err(self.trapped("omega_alloc", &e)),
        };
        if ptr == 0 {
            bail!(
                "the blob could not allocate the {len}-byte request within its memory bound of {} MiB; raise --max-memory-mib (at most 4096)",
                self.store.data().max_memory >> 20
            );
        }
        self.memory
            .write(&mut self.store, ptr as usize, input)
            .map_err(|e| anyhow!("writing the request into the blob: {e}"))?;
        // A trap in the call is the error to report; the request is not freed then.
        let resp = match self.call.call(&mut self.store, (op, ptr, len)) {
            Ok(r) => r,
            Err(e) => return Err(self.trapped(&format!("op {op}"), &e)),
        };
        if let Err(e) = self.free.call(&mut self.store, (ptr, len)) {
            return Err(self.trapped("omega_free", &e));
        }
        if resp == 0 {
            bail!(
                "the blob could not allocate its response within its memory bound of {} MiB; raise --max-memory-mib (at most 4096)",
                self.store.data().max_memory >> 20
            );
        }
        let mut head = [0u8; 8];
        self.memory.read(&self.store, resp as usize, &mut head).map_err(|e| anyhow!("{e}"))?;
        let status = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let body_len = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let mut body = vec![0u8; body_len as usize];
        self.memory.read(&self.store, resp as usize + 8, &mut body).map_err(|e| anyhow!("{e}"))?;
        self.free.call(&mut self.store, (resp, body_len.saturating_add(8))).map_err(|e| anyhow!("{e}"))?;
        let status = u8::try_from(status).map_err(|_| anyhow!("the blob answered an unknown status {status}"))?;
        Ok(Response { status, body })
    }
}
