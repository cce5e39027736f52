//! The `wasm` engine: the blob in wasmtime, called through its raw C-ABI.
//!
//! The blob is the wasm-bindgen `_bg.wasm` file the npm package ships. Its
//! wasm-bindgen imports are defined as traps (the raw exports never call
//! them); NaNs are canonicalised; memory and fuel are bounded.
//!
//! Compiling the blob (Cranelift) takes about a second, so it happens at most
//! once per process (one `Engine` for the process, one `Module` per blob) and,
//! with the module cache on, once per machine: the compiled module is kept in
//! `<cache>/omega/modules/` ([`module_cache_dir`]). The `crate::kernel` docs
//! say where, what is cached, and why loading a cached module is safe.
use anyhow::{Context, Result, anyhow, bail};
use omega_core::api::abi::Response;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use wasmtime::{Config, Engine, Instance, Linker, Memory, Module, ModuleVersionStrategy, ResourceLimiter, Store, Trap, TypedFunc};

/// Bounds for one blob instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// The `Config` flags omega sets; part of the cache file name, with the
/// engine's own compatibility hash (which covers these and the target CPU).
const CONFIG_FLAGS: &str = "cranelift_nan_canonicalization,consume_fuel,simd,no_relaxed_simd";

/// The one wasmtime engine of the process (every blob compiles with it).
fn engine() -> Result<&'static Engine> {
    static ENGINE: OnceLock<std::result::Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            let mut config = Config::new();
            config.cranelift_nan_canonicalization(true);
            // The blob uses SIMD (simd128, integer only); relaxed SIMD may answer
            // differently on different CPUs, so a blob that used it would not load.
            config.wasm_simd(true);
            config.wasm_relaxed_simd(false);
            config.consume_fuel(true);
            // For profiling the blob: `perf` names its functions from the
            // map file this writes (docs/PERFORMANCE.md, "How to reproduce").
            if std::env::var_os("OMEGA_PERFMAP").is_some_and(|v| !v.is_empty() && v != "0") {
                config.profiler(wasmtime::ProfilingStrategy::PerfMap);
            }
            Engine::new(&config).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| anyhow!("{e}"))
}

/// Whether `OMEGA_VERBOSE` asks for a line about the module cache.
fn verbose() -> bool {
    std::env::var_os("OMEGA_VERBOSE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Where compiled modules are kept, or `None` when the cache is off
/// (`OMEGA_NO_MODULE_CACHE` set to anything but empty or `0`) or no folder
/// is known: `$OMEGA_CACHE_DIR/omega/modules`, else
/// `$XDG_CACHE_HOME/omega/modules` (when absolute), else
/// `$HOME/.cache/omega/modules`.
pub fn module_cache_dir() -> Option<PathBuf> {
    if std::env::var_os("OMEGA_NO_MODULE_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = var("OMEGA_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").filter(|p| p.is_absolute()))
        .or_else(|| var("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("omega").join("modules"))
}

/// Feeds `Hash` output into SHA-256: a hash that is the same in every
/// process (std's `DefaultHasher` promises no such thing).
struct Sha256Hasher(sha2::Sha256);

impl std::hash::Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        sha2::Digest::update(&mut self.0, bytes);
    }
    fn finish(&self) -> u64 {
        let d = sha2::Digest::finalize(self.0.clone());
        u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
    }
}

/// The cache file name of a blob: `<blob sha256>-wasmtime<major>-<config hash>.cwasm`,
/// the config hash covering [`CONFIG_FLAGS`] and the engine's
/// `precompile_compatibility_hash` (full wasmtime version, target, CPU
/// features, tunables), so a file is only ever offered to an engine that
/// can run it.
fn cache_file_name(engine: &Engine, blob_sha256: &str) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = Sha256Hasher(<sha2::Sha256 as sha2::Digest>::new());
    CONFIG_FLAGS.hash(&mut h);
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{blob_sha256}-wasmtime{}-{:016x}.cwasm", ModuleVersionStrategy::WasmtimeVersion.as_str(), h.finish())
}

/// First bytes of a cache file; then the SHA-256 of the rest (the bytes
/// `Module::serialize` gave), then those bytes.
const CACHE_MAGIC: &[u8; 16] = b"omega cwasm v1\n\0";

/// The module in a cache file, if the file is whole: its recorded SHA-256
/// must match its bytes. Err says why not (for `OMEGA_VERBOSE`).
fn read_cached(engine: &Engine, path: &Path) -> std::result::Result<Module, String> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => "absent".to_string(),
        _ => format!("unreadable ({e})"),
    })?;
    let head = CACHE_MAGIC.len() + 32;
    if bytes.len() < head || &bytes[..CACHE_MAGIC.len()] != CACHE_MAGIC {
        return Err("not an omega module cache file".into());
    }
    let payload = &bytes[head..];
    if omega_core::sha256(payload)[..] != bytes[CACHE_MAGIC.len()..head] {
        return Err("corrupt (its SHA-256 does not match the one recorded when it was written)".into());
    }
    // SAFETY: `Module::deserialize` may only be given bytes `Module::serialize`
    // produced. These bytes hash to the SHA-256 that `write_cached` recorded
    // beside them, computed from `Module::serialize`'s output just before the
    // file was written (atomically, under a name keyed by the engine's
    // compatibility hash), so they are those bytes, unchanged: a truncated,
    // half-written or bit-flipped file fails the check above and is never
    // deserialized. The very bytes that were hashed are the ones deserialized
    // (copied into wasmtime's own memory, not mapped from the file), so the
    // file changing afterwards cannot affect the module. Wasmtime itself
    // rejects, with an error, output of another version or configuration.
    // The cache folder is trusted like the user's other files: whoever can
    // write it can write a matching hash too.
    unsafe { Module::deserialize(engine, payload) }.map_err(|e| format!("not loadable: {e}"))
}

/// Writes `module` to the cache file `path`: to a unique temporary file in
/// the same folder, renamed into place (so readers see the old file, no
/// file, or the whole new one).
fn write_cached(module: &Module, path: &Path) -> Result<()> {
    let payload = module.serialize().map_err(|e| anyhow!("{e}"))?;
    let dir = path.parent().ok_or_else(|| anyhow!("no folder"))?;
    std::fs::create_dir_all(dir)?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("module");
    let tmp = dir.join(format!(".{name}.{}.{nanos}.tmp", std::process::id()));
    let written = (|| -> Result<()> {
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(CACHE_MAGIC)?;
        f.write_all(&omega_core::sha256(&payload))?;
        f.write_all(&payload)?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    } else {
        prune_cache(dir);
    }
    written
}

/// Compiled modules kept in the cache folder; when a new one is written the
/// older ones beyond this many (by modification time) are removed, so
/// rebuilding the blob again and again does not fill the disk.
const CACHE_KEEP: usize = 8;

/// Removes the cache files beyond the newest [`CACHE_KEEP`], and temporary
/// files left by a process that died while writing (older than an hour).
/// Best effort: a reader that loses its file to this just compiles.
fn prune_cache(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let now = std::time::SystemTime::now();
    let mut modules = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let Ok(modified) = e.metadata().and_then(|m| m.modified()) else { continue };
        if name.ends_with(".cwasm") && !name.starts_with('.') {
            modules.push((modified, path));
        } else if name.starts_with('.') && name.ends_with(".tmp") && now.duration_since(modified).is_ok_and(|d| d.as_secs() > 3600) {
            let _ = std::fs::remove_file(&path);
        }
    }
    modules.sort_by_key(|m| std::cmp::Reverse(m.0));
    for (_, path) in modules.iter().skip(CACHE_KEEP) {
        let _ = std::fs::remove_file(path);
    }
}

/// The compiled module of a blob: from this process's table, else from the
/// module cache, else compiled (and then written to the cache). The cache
/// never fails the call: any trouble with it means compiling.
fn module(engine: &Engine, bytes: &[u8], sha256: &str, source: &BlobSource) -> Result<Module> {
    static MODULES: Mutex<Vec<(String, Module)>> = Mutex::new(Vec::new());
    let mut modules = MODULES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, m)) = modules.iter().find(|(s, _)| s == sha256) {
        return Ok(m.clone());
    }
    let file = module_cache_dir().map(|d| d.join(cache_file_name(engine, sha256)));
    let cached = file.as_deref().map(|f| read_cached(engine, f));
    let m = match cached {
        Some(Ok(m)) => {
            if verbose() {
                eprintln!("omega: module cache: loaded {}", file.as_deref().map_or_else(|| source.to_string(), |f| f.display().to_string()));
            }
            m
        }
        _ => {
            let m = Module::from_binary(engine, bytes)
                .map_err(|e| anyhow!("{e}"))
                .with_context(|| format!("{source} is not a valid wasm module"))?;
            match (&file, cached) {
                (Some(f), Some(Err(why))) => {
                    let wrote = write_cached(&m, f);
                    if verbose() {
                        let was = if why == "absent" { String::new() } else { format!("{} was {why}; ", f.display()) };
                        match wrote {
                            Ok(()) => eprintln!("omega: module cache: {was}compiled the blob and wrote {}", f.display()),
                            Err(e) => eprintln!("omega: module cache: {was}compiled the blob, but could not write {}: {e}", f.display()),
                        }
                    }
                }
                _ => {
                    if verbose() {
                        eprintln!("omega: module cache: off (OMEGA_NO_MODULE_CACHE, or no cache folder); compiled the blob");
                    }
                }
            }
            m
        }
    };
    modules.push((sha256.to_string(), m.clone()));
    Ok(m)
}

/// One instance of the blob and its typed exports.
struct Live {
    store: Store<Limiter>,
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    call: TypedFunc<(u32, u32, u32), u32>,
    /// The ECS session exports (`None` in a blob from before them).
    ecs: Option<EcsExports>,
}

/// The raw exports of the resident ECS session (see `wasm/src/raw.rs`).
struct EcsExports {
    open: TypedFunc<(u32, u32), u32>,
    step: TypedFunc<(u32, u32, u32, u32), u32>,
    close: TypedFunc<(), ()>,
}

/// A loaded blob, ready for calls: the compiled module and (between calls
/// that succeed) one live instance.
pub struct Blob {
    module: Module,
    /// The instance calls run in; `None` after a failed call (the next call
    /// instantiates the module again).
    live: Option<Live>,
    bounds: Bounds,
    fuel: u64,
    /// Where it was loaded from.
    pub source: BlobSource,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob").field("source", &self.source).field("sha256", &self.sha256).finish()
    }
}

/// The blob built into this `omega` (host/build.rs), empty when it was built without one.
const EMBEDDED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/blob.wasm"));
/// The stamp `cargo xtask blob` wrote beside the embedded blob, empty when there was none.
pub const EMBEDDED_STAMP: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/blob.wasm.sources"));

/// The blob built into this `omega`, if it was built with one.
pub fn embedded() -> Option<&'static [u8]> {
    (cfg!(omega_embedded_blob) && !EMBEDDED.is_empty()).then_some(EMBEDDED)
}

/// Where a blob comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobSource {
    /// A file: `--blob PATH` or `$OMEGA_BLOB`.
    File(PathBuf),
    /// The blob built into this `omega`.
    Embedded,
}

impl BlobSource {
    /// The file, when the blob is one (so a spawned `omega` can be given `--blob`).
    pub fn file(&self) -> Option<&Path> {
        match self {
            BlobSource::File(p) => Some(p),
            BlobSource::Embedded => None,
        }
    }
}

impl std::fmt::Display for BlobSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlobSource::File(p) => write!(f, "{}", p.display()),
            BlobSource::Embedded => write!(f, "the blob embedded in this omega"),
        }
    }
}

/// `$OMEGA_BLOB`, when set and not empty.
pub fn env_blob() -> Option<PathBuf> {
    std::env::var_os("OMEGA_BLOB").filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// Every place a blob is looked for, in order, and what was found there:
/// `--blob`, `$OMEGA_BLOB`, the embedded blob. No path of the build machine
/// is ever looked at.
pub fn looked_at(explicit: Option<&Path>) -> Vec<String> {
    let file = |p: &Path| if p.is_file() { "a file" } else { "not a file" };
    vec![
        match explicit {
            Some(p) => format!("--blob {} ({})", p.display(), file(p)),
            None => "--blob (not given)".to_string(),
        },
        match env_blob() {
            Some(p) => format!("$OMEGA_BLOB={} ({})", p.display(), file(&p)),
            None => "$OMEGA_BLOB (not set)".to_string(),
        },
        match embedded() {
            Some(b) => format!("embedded in this omega ({} bytes)", b.len()),
            None => "embedded in this omega (none: it was built without a blob)".to_string(),
        },
    ]
}

/// Resolves the blob: `--blob` (which must be a file), else `$OMEGA_BLOB`
/// when it names a file, else the embedded blob.
pub fn find_blob(explicit: Option<&Path>) -> Result<BlobSource> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(BlobSource::File(p.to_path_buf()));
        }
        bail!("no blob at {} (from --blob)", p.display());
    }
    if let Some(p) = env_blob().filter(|p| p.is_file()) {
        return Ok(BlobSource::File(p));
    }
    if embedded().is_some() {
        return Ok(BlobSource::Embedded);
    }
    let tried: Vec<String> = looked_at(explicit).iter().map(|p| format!("  {p}")).collect();
    Err(anyhow!(
        "the blob (omega_wasm_bg.wasm) was not found; looked at:\n{}\npass --blob PATH or set $OMEGA_BLOB; in an omega checkout, `cargo xtask blob` and rebuild omega to embed it",
        tried.join("\n")
    ))
}

impl Blob {
    /// Loads the blob at `path` (compiled at most once per process, and
    /// taken from the module cache when it is there) and instantiates it.
    #[cfg(test)]
    pub fn load(path: &Path, bounds: Bounds) -> Result<Blob> {
        Blob::open(&BlobSource::File(path.to_path_buf()), bounds)
    }

    /// Loads the blob from `source`, as [`Blob::load`] does.
    pub fn open(source: &BlobSource, bounds: Bounds) -> Result<Blob> {
        let bytes = match source {
            BlobSource::File(path) => std::fs::read(path).with_context(|| format!("reading the blob {}", path.display()))?,
            BlobSource::Embedded => embedded().ok_or_else(|| anyhow!("this omega was built without a blob"))?.to_vec(),
        };
        let sha256 = omega_core::hex::encode(&omega_core::sha256(&bytes));
        let module = module(engine()?, &bytes, &sha256, source)?;
        let mut blob = Blob { module, live: None, bounds, fuel: bounds.fuel, source: source.clone(), sha256 };
        blob.live = Some(blob.instantiate()?);
        Ok(blob)
    }

    /// A fresh instance of the module, in a fresh store (instantiation is cheap).
    fn instantiate(&self) -> Result<Live> {
        let engine = self.module.engine();
        let mut linker: Linker<Limiter> = Linker::new(engine);
        linker.define_unknown_imports_as_traps(&self.module).map_err(|e| anyhow!("{e}"))?;
        let mut store = Store::new(engine, Limiter { max_memory: self.bounds.max_memory, refused: None });
        store.limiter(|l| l);
        store.set_fuel(self.bounds.fuel).map_err(|e| anyhow!("{e}"))?;
        let instance: Instance = linker.instantiate(&mut store, &self.module).map_err(|e| anyhow!("instantiating the blob: {e}"))?;
        let memory = instance.get_memory(&mut store, "memory").ok_or_else(|| anyhow!("the blob exports no memory"))?;
        let f = |name: &str| anyhow!("the blob lacks the raw export `{name}`; is it an omega blob of this version?");
        let alloc = instance.get_typed_func::<u32, u32>(&mut store, "omega_alloc").map_err(|_| f("omega_alloc"))?;
        let free = instance.get_typed_func::<(u32, u32), ()>(&mut store, "omega_free").map_err(|_| f("omega_free"))?;
        let call = instance.get_typed_func::<(u32, u32, u32), u32>(&mut store, "omega_call").map_err(|_| f("omega_call"))?;
        let ecs = (|| {
            Some(EcsExports {
                open: instance.get_typed_func(&mut store, "omega_ecs_open").ok()?,
                step: instance.get_typed_func(&mut store, "omega_ecs_step").ok()?,
                close: instance.get_typed_func(&mut store, "omega_ecs_close").ok()?,
            })
        })();
        Ok(Live { store, memory, alloc, free, call, ecs })
    }

    /// Runs one op on request bytes in the blob. A call that fails (a trap,
    /// a refused allocation) drops the instance; the next call gets a fresh
    /// one from the same compiled module.
    pub fn call(&mut self, op: u32, input: &[u8]) -> Result<Response> {
        let fuel = self.fuel;
        self.in_live(|live| live.call(op, input, fuel))
    }

    /// Opens the blob's ECS session (`omega_ecs_open`) from op 19's request
    /// bytes; see `crate::kernel::Kernel::ecs_open`. Failures as in [`Blob::call`].
    pub fn ecs_open(&mut self, request: &[u8]) -> Result<Response> {
        let fuel = self.fuel;
        // a trap is reported as op 19's (the session runs op 19 in parts)
        self.in_live(|live| {
            let open = live.ecs_exports("omega_ecs_open")?.open.clone();
            live.exchange("op 19", request, fuel, |l, ptr, len| open.call(&mut l.store, (ptr, len)))
        })
    }

    /// Runs `ticks` more ticks of the blob's ECS session (`omega_ecs_step`);
    /// `mode` is op 19's mode field. A failed step (a trap: out of fuel, the
    /// memory bound) drops the instance and the session in it, so the next
    /// step is refused (3301, no session open).
    pub fn ecs_step(&mut self, ticks: u64, mode: &[u8]) -> Result<Response> {
        let fuel = self.fuel;
        #[allow(clippy::cast_possible_truncation)] // the two halves of ticks
        let (lo, hi) = (ticks as u32, (ticks >> 32) as u32);
        self.in_live(|live| {
            let step = live.ecs_exports("omega_ecs_step")?.step.clone();
            live.exchange("op 19", mode, fuel, |l, ptr, len| step.call(&mut l.store, (lo, hi, ptr, len)))
        })
    }

    /// Drops the blob's ECS session, if any (nothing to do without an instance).
    pub fn ecs_close(&mut self) -> Result<()> {
        if self.live.is_none() {
            return Ok(());
        }
        let fuel = self.fuel;
        self.in_live(|live| {
            let close = live.ecs_exports("omega_ecs_close")?.close.clone();
            live.store.set_fuel(fuel).map_err(|e| anyhow!("{e}"))?;
            close.call(&mut live.store, ()).map_err(|e| live.trapped("omega_ecs_close", &e, fuel))
        })
    }

    /// Runs `f` in the live instance (a fresh one when there is none); a
    /// failure drops it.
    fn in_live<R>(&mut self, f: impl FnOnce(&mut Live) -> Result<R>) -> Result<R> {
        let mut live = match self.live.take() {
            Some(l) => l,
            None => self.instantiate()?,
        };
        let r = f(&mut live);
        if r.is_ok() {
            self.live = Some(live);
        }
        r
    }
}

impl Live {
    /// Why a call trapped, in words: out of fuel, the memory bound, or (a
    /// bug in omega) the trap itself. After a trap the instance is not
    /// used again (nothing is freed in it): `Blob::call` drops it.
    fn trapped(&mut self, what: &str, e: &wasmtime::Error, fuel: u64) -> anyhow::Error {
        if let Some(want) = self.store.data_mut().refused.take() {
            return anyhow!(
                "the blob reached its memory bound of {} MiB in {what} (it asked for {} MiB); raise --max-memory-mib (at most 4096) or give it a smaller input",
                self.store.data().max_memory >> 20,
                want.div_ceil(1 << 20)
            );
        }
        match e.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => anyhow!("the blob ran out of fuel ({fuel} units) in {what}; raise --fuel or give it a smaller input"),
            Some(t) => anyhow!("the blob trapped in {what}: {t} (a bug in omega; please report it with the input)"),
            None => anyhow!("the blob failed in {what}: {e}"),
        }
    }

    /// One op in this instance, with `fuel` for the call.
    fn call(&mut self, op: u32, input: &[u8], fuel: u64) -> Result<Response> {
        let call = self.call.clone();
        self.exchange(&format!("op {op}"), input, fuel, |l, ptr, len| call.call(&mut l.store, (op, ptr, len)))
    }

    /// The ECS session exports, or why there are none.
    fn ecs_exports(&self, name: &str) -> Result<&EcsExports> {
        self.ecs.as_ref().ok_or_else(|| anyhow!("the blob lacks the raw export `{name}`; is it an omega blob of this version? (rebuild it with `cargo xtask blob`)"))
    }

    /// One raw call in this instance, with `fuel` for it: `input` written
    /// into a buffer from `omega_alloc`, `export` called with that buffer
    /// (pointer, length) and returning a response buffer (status u32 | body
    /// length u32 | body), the input freed, the response read and freed.
    fn exchange(&mut self, what: &str, input: &[u8], fuel: u64, export: impl FnOnce(&mut Live, u32, u32) -> wasmtime::Result<u32>) -> Result<Response> {
        self.store.set_fuel(fuel).map_err(|e| anyhow!("{e}"))?;
        self.store.data_mut().refused = None;
        let len = u32::try_from(input.len()).context("request over 4 GiB")?;
        let ptr = match self.alloc.call(&mut self.store, len) {
            Ok(p) => p,
            Err(e) => return Err(self.trapped("omega_alloc", &e, fuel)),
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
        let resp = match export(self, ptr, len) {
            Ok(r) => r,
            Err(e) => return Err(self.trapped(what, &e, fuel)),
        };
        if let Err(e) = self.free.call(&mut self.store, (ptr, len)) {
            return Err(self.trapped("omega_free", &e, fuel));
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn blob_path() -> Option<PathBuf> {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm/dist/omega_wasm_bg.wasm");
        p.is_file().then_some(p)
    }

    const SAMPLE: &[u8] = include_bytes!("../../tests/vectors/reconcile/demo-sample.in.json");

    /// After a trap (here: out of fuel) the instance is dropped and the next
    /// call runs in a fresh one from the same compiled module.
    #[test]
    fn a_trap_drops_the_instance_and_the_next_call_gets_a_fresh_one() {
        let Some(path) = blob_path() else { return };
        let req = omega_core::api::abi::make_request(SAMPLE, &[]);
        let want = omega_core::api::abi::call(omega_core::api::Op::ReconcileJson.code(), &req);
        let version = omega_core::api::abi::call(0, &[]);
        let mut blob = Blob::load(&path, Bounds { fuel: 2_000_000, ..Bounds::default() }).unwrap();
        assert!(blob.live.is_some());
        assert_eq!(blob.call(0, &[]).unwrap(), version);
        let e = blob.call(omega_core::api::Op::ReconcileJson.code(), &req).unwrap_err().to_string();
        assert!(e.contains("ran out of fuel (2000000 units) in op 1"), "{e}");
        assert!(blob.live.is_none(), "the trapped instance must not be reused");
        assert_eq!(blob.call(0, &[]).unwrap(), version);
        assert!(blob.live.is_some());
        // the same compiled module, enough fuel: the right answer
        let mut big = Blob::load(&path, Bounds::default()).unwrap();
        assert_eq!(big.call(omega_core::api::Op::ReconcileJson.code(), &req).unwrap(), want);
        assert_eq!(big.call(omega_core::api::Op::ReconcileJson.code(), &req).unwrap(), want);
    }

    /// A refused memory growth is reported as the memory bound, and the
    /// instance (grown to its bound) is replaced.
    #[test]
    fn the_memory_bound_is_reported_and_the_next_call_works() {
        let Some(path) = blob_path() else { return };
        let mut blob = Blob::load(&path, Bounds { max_memory: 24 << 20, ..Bounds::default() }).unwrap();
        let huge = vec![b' '; 40 << 20];
        let e = blob.call(omega_core::api::Op::ReconcileJson.code(), &huge).unwrap_err().to_string();
        assert!(e.contains("memory bound of 24 MiB"), "{e}");
        assert!(blob.live.is_none());
        let req = omega_core::api::abi::make_request(b"[]", &[]);
        assert_eq!(blob.call(omega_core::api::Op::ReconcileJson.code(), &req).unwrap(), omega_core::api::abi::call(omega_core::api::Op::ReconcileJson.code(), &req));
    }

    /// The blob's ECS session answers the bytes the native one does (the
    /// same `session::Slot` code), refusals included, and lives in the instance.
    #[test]
    fn the_ecs_session_in_the_blob_answers_the_native_bytes() {
        let Some(path) = blob_path() else { return };
        use omega_core::api::ops::make_fields;
        let mut blob = Blob::load(&path, Bounds::default()).unwrap();
        let mut native = omega_core::api::session::Slot::new();
        let config: &[u8] = br#"{"seed":5,"entities":40,"nodes":3,"edges_per_entity":2}"#;
        let open = make_fields(&[config, b"0", b"", b"", b"3:1:0:pid:5"]);
        // no session yet: refused alike
        assert_eq!(blob.ecs_step(3, b"").unwrap(), native.step(3, b""));
        assert_eq!(blob.ecs_step(3, b"").unwrap().status, omega_core::api::abi::STATUS_ERROR);
        assert_eq!(blob.ecs_open(&open).unwrap(), native.open(&open));
        for (ticks, mode) in [(0, &b"summary"[..]), (7, b""), (1, b"reports,loud"), (1500, b"summary"), (3, b"reports,snapshot,prestep"), (296, b"snapshot")] {
            assert_eq!(blob.ecs_step(ticks, mode).unwrap(), native.step(ticks, mode), "{ticks} {}", String::from_utf8_lossy(mode));
        }
        // another op in between leaves the session where it was
        assert_eq!(blob.call(0, &[]).unwrap(), omega_core::api::abi::call(0, &[]));
        assert_eq!(blob.ecs_step(2, b"reports").unwrap(), native.step(2, b"reports"));
        // a refused open closes the session
        let bad = make_fields(&[b"{\"nodes\":0}", b"0", b"", b"", b""]);
        assert_eq!(blob.ecs_open(&bad).unwrap(), native.open(&bad));
        assert_eq!(blob.ecs_step(1, b"").unwrap(), native.step(1, b""));
        assert_eq!(blob.ecs_open(&open).unwrap(), native.open(&open));
        blob.ecs_close().unwrap();
        native.close();
        assert_eq!(blob.ecs_step(1, b"").unwrap(), native.step(1, b""));
        blob.ecs_close().unwrap();
    }

    /// A step that traps (out of fuel) drops the instance and the session in
    /// it: the next step is refused as having no session, and a new open works.
    #[test]
    fn a_trapped_step_drops_the_session() {
        let Some(path) = blob_path() else { return };
        use omega_core::api::ops::make_fields;
        let mut blob = Blob::load(&path, Bounds { fuel: 50_000_000, ..Bounds::default() }).unwrap();
        let open = make_fields(&[br#"{"entities":200}"#, b"0", b"", b"", b""]);
        assert_eq!(blob.ecs_open(&open).unwrap().status, omega_core::api::abi::STATUS_OK);
        // 2^32 ticks (ticks_hi 1, ticks_lo 0): far past the fuel
        let e = blob.ecs_step(1 << 32, b"summary").unwrap_err().to_string();
        assert!(e.contains("ran out of fuel (50000000 units) in op 19;"), "{e}");
        assert!(blob.live.is_none());
        let r = blob.ecs_step(1, b"").unwrap();
        assert_eq!(r.status, omega_core::api::abi::STATUS_ERROR);
        assert!(String::from_utf8_lossy(&r.body).contains("no ECS session is open"));
        blob.ecs_close().unwrap();
        assert_eq!(blob.ecs_open(&open).unwrap().status, omega_core::api::abi::STATUS_OK);
        assert_eq!(blob.ecs_step(2, b"summary").unwrap().status, omega_core::api::abi::STATUS_OK);
    }

    #[test]
    fn the_cache_file_name_is_stable_and_keyed() {
        let Ok(engine) = engine() else { return };
        let a = cache_file_name(engine, "ab");
        assert_eq!(a, cache_file_name(engine, "ab"));
        assert_ne!(a, cache_file_name(engine, "cd"));
        assert!(a.starts_with("ab-wasmtime") && a.ends_with(".cwasm"), "{a}");
    }
}
