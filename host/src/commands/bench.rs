//! `omega bench`: the kernel's headline workloads on both engines, in one
//! process, side by side.
//!
//! Every workload is one byte-ABI request, built once from a seed; the very
//! same request bytes go to the native core (`abi::call`) and to the blob in
//! wasmtime (`Blob::call`), and the two responses must be byte-identical
//! before any time is reported. Each run times a loop of calls (calibrated
//! so that a run of a fast op lasts long enough to measure); a row shows the
//! median time per call over the runs, the spread (fastest and slowest run),
//! the wasm/native ratio, and the throughput in the unit people compare.
//!
//! A second table times the `omega` binary itself, spawned whole, start-up
//! included: `omega reconcile` on a 10-event file and `omega ecs` for 1,000
//! ticks of a 1,000-entity world, `--engine native` against `--engine wasm`
//! (after one warm-up run each, which fills the module cache; see
//! `crate::kernel`). Both engines must print the same bytes there too.
// Timing statistics are floats by nature; nothing here feeds a state or a hash.
#![allow(clippy::float_arithmetic)]
use crate::kernel::{Kernel, Native, Wasm};
use crate::wasm::{self, Blob};
use anyhow::{Result, anyhow, bail};
use omega_core::api::abi;
use omega_core::api::Op;
use omega_core::certify::cert::{self, Committee};
use omega_core::ecs::{Config, World};
use omega_core::certify::note::SignerKey;
use omega_core::api::ops::{self, make_fields};
use omega_core::event::sample::{self, Shape};
use omega_core::api::json;
use omega_core::event::frame;
use omega_core::{Event, EventId, Outcome, State};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// What to run, from the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// Events for the reconcile, Merkle, proof and ingest rows.
    pub events: u64,
    /// Entities of the ECS world (edges are three per entity).
    pub entities: u32,
    /// ECS ticks per timed call.
    pub ticks: u64,
    /// Timed runs per engine and workload.
    pub runs: usize,
    /// Smallest wall time of one run of a fast op (calls are repeated until it is reached).
    pub min_run: Duration,
    /// The seed of every generated input.
    pub seed: u64,
    /// Print JSON instead of the table.
    pub json: bool,
}

impl Options {
    /// The full run: 1M events, 100k entities, 5 runs.
    pub fn full(seed: u64) -> Self {
        Options { events: 1_000_000, entities: 100_000, ticks: 5, runs: 5, min_run: Duration::from_millis(300), seed, json: false }
    }

    /// `--quick`: a few seconds per engine.
    pub fn quick(seed: u64) -> Self {
        Options { events: 100_000, entities: 100_000, ticks: 2, runs: 3, min_run: Duration::from_millis(60), seed, json: false }
    }
}

/// One workload: an op, its request, and what one call amounts to.
struct Workload {
    name: &'static str,
    size: String,
    op: Op,
    request: Vec<u8>,
    /// The status a correct answer has.
    status: u8,
    /// Units one call processes (events, signatures, bytes, ticks...).
    amount: f64,
    unit: &'static str,
    /// Divide `amount` by this for display (1e6 for MB/s).
    scale: f64,
    /// Subtract a baseline request's time (the same op doing everything but the measured part).
    baseline: Option<Vec<u8>>,
}

/// Times of one engine on one workload, in seconds per call.
#[derive(Debug, Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(mut v: Vec<f64>) -> Stats {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n == 0 {
        0.0
    } else if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Stats { median, min: v.first().copied().unwrap_or(0.0), max: v.last().copied().unwrap_or(0.0) }
}

fn reconcile_events(opts: &Options) -> Vec<Event> {
    let per_stream = opts.events.div_ceil(64).max(1);
    let mut evs = sample::history(opts.seed, Shape { nodes: 16, streams: 4, per_stream, payload: 100 });
    evs.truncate(usize::try_from(opts.events).unwrap_or(usize::MAX));
    sample::shuffle(&mut evs, opts.seed);
    evs
}

/// Op 29's requests over a tree of `size` leaves (leaf `i` the hash of
/// `i`'s 8 little-endian bytes): an inclusion proof of leaf `size / 3` and a
/// consistency proof from `size / 2`, each with the tiles it needs and the
/// trusted root, as `omega prove --tiles` sends them. The tree is hashed
/// once, keeping only those tiles (its full store would be 32 bytes a leaf).
fn tile_requests(size: u64) -> Result<(Vec<u8>, Vec<u8>)> {
    use omega_core::tree::tiles::{Edge, Tile, consistency_tiles, inclusion_tiles, root_tiles};
    let (index, old) = (size / 3, size / 2);
    let mut keep: std::collections::BTreeSet<Tile> = inclusion_tiles(index, size)?.into_iter().chain(consistency_tiles(old, size)?).chain(root_tiles(size)).chain(root_tiles(old)).collect();
    // a tile of the old size is given as the wider one of its index at the new size, as a store holds it
    let at_size: Vec<Tile> = keep.iter().map(|t| omega_core::tree::tiles::Tile::holding(t.level, t.index * 256, size).unwrap_or(*t)).collect();
    keep.extend(at_size);
    let mut have = std::collections::BTreeMap::new();
    let mut e = Edge::new();
    let mut i = 0u64;
    while i < size {
        let n = (size - i).min(1 << 16);
        let leaves: Vec<omega_core::Hash> = (i..i + n).map(|k| omega_core::tree::merkle::leaf_hash(&k.to_le_bytes())).collect();
        for (t, b) in e.extend(&leaves) {
            if keep.contains(&t) {
                have.insert(t, b);
            }
        }
        i += n;
    }
    let root = omega_core::hex::encode(&e.root());
    let request = |kind: &str, at: u64| -> Result<Vec<u8>> {
        let (a, n) = (at.to_string(), size.to_string());
        let head: Vec<&[u8]> = vec![kind.as_bytes(), a.as_bytes(), n.as_bytes(), root.as_bytes()];
        let need = abi::call(Op::ProveTiles.code(), &make_fields(&head));
        let v: serde_json::Value = serde_json::from_slice(&need.body)?;
        let paths: Vec<String> = v["tiles"].as_array().ok_or_else(|| anyhow!("op 29 named no tiles: {v}"))?.iter().filter_map(|p| p.as_str().map(str::to_string)).collect();
        let mut tiles = Vec::new();
        for p in &paths {
            let (t, _) = Tile::parse(p)?;
            let b = have.range(t..=Tile { width: 256, ..t }).next().ok_or_else(|| anyhow!("bench: no tile {p}"))?.1;
            tiles.push((p.clone(), b.clone()));
        }
        let mut f = head.clone();
        for (p, b) in &tiles {
            f.push(p.as_bytes());
            f.push(b);
        }
        Ok(make_fields(&f))
    };
    Ok((request("inclusion", index)?, request("consistency", old)?))
}

/// (5-of-7 certificate, its committee JSON, 1-of-1 certificate, its committee JSON).
type Certs = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);

/// Signatures under each of the 7 keys in the Ed25519 workload.
const PER_KEY: usize = 143;

/// Op 28's input: `PER_KEY` signatures under each of 7 keys, each over its
/// own message (enough per key that the op builds each key's fixed-base tables).
fn signatures(seed: u64) -> Result<Vec<u8>> {
    let mut list = Vec::with_capacity(7 * PER_KEY);
    for i in 0..7u8 {
        let mut s = [i + 1; 32];
        s[..8].copy_from_slice(&seed.to_le_bytes());
        let key = SignerKey::from_seed(&format!("bench.example/m{i}"), s).map_err(|e| anyhow!("{e}"))?;
        for j in 0..PER_KEY {
            let msg = format!("bench.example/log {j}\n");
            list.push(format!(
                "{{\"key\":\"{}\",\"msg\":\"{}\",\"sig\":\"{}\"}}",
                omega_core::hex::encode(key.verifier().public()),
                omega_core::hex::encode(msg.as_bytes()),
                omega_core::hex::encode(&key.sign(msg.as_bytes()))
            ));
        }
    }
    Ok(format!("[{}]", list.join(",")).into_bytes())
}

/// A 5-of-7 certificate and a 1-of-1 over a small batch, with their committees as JSON.
fn certificates(seed: u64) -> Result<Certs> {
    let keys: Vec<SignerKey> = (0..7u8)
        .map(|i| {
            let mut s = [i + 1; 32];
            s[..8].copy_from_slice(&seed.to_le_bytes());
            SignerKey::from_seed(&format!("bench.example/m{i}"), s)
        })
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow!("{e}"))?;
    let batch: Vec<Event> = (1..=2u32)
        .flat_map(|node| (0..2u16).map(move |stream| Event::new(1, node, stream, EventId::derived(node, stream, 0), 0, Vec::new(), b"payload".to_vec())))
        .collect();
    let outcome = omega_core::reconcile(&State::new(), &batch);
    if !matches!(outcome, Outcome::Ok(_)) {
        bail!("the certificate batch obstructed");
    }
    let att = ops::parse_result(&json::outcome_to_json(&outcome)).map_err(|e| anyhow!("{e}"))?;
    let committee_json = |k: u32, members: &[SignerKey]| {
        let m: Vec<String> = members.iter().map(|s| format!("\"{}\"", s.verifier())).collect();
        format!("{{\"threshold\":{k},\"members\":[{}]}}", m.join(",")).into_bytes()
    };
    let members: Vec<_> = keys.iter().map(|k| k.verifier().clone()).collect();
    let committee = Committee::new(5, members).map_err(|e| anyhow!("{e}"))?;
    let mut five = cert::certify(&att, "bench.example/log", None, Some(&committee), &keys[0]).map_err(|e| anyhow!("{e}"))?;
    for k in &keys[1..5] {
        five.cosign(k).map_err(|e| anyhow!("{e}"))?;
    }
    let solo = Committee::new(1, vec![keys[0].verifier().clone()]).map_err(|e| anyhow!("{e}"))?;
    let one = cert::certify(&att, "bench.example/log", None, Some(&solo), &keys[0]).map_err(|e| anyhow!("{e}"))?;
    let (five, one) = (five.encode().map_err(|e| anyhow!("{e}"))?, one.encode().map_err(|e| anyhow!("{e}"))?);
    Ok((five, committee_json(5, &keys), one, committee_json(1, &keys[..1])))
}

fn workloads(opts: &Options) -> Result<Vec<Workload>> {
    let events = reconcile_events(opts);
    let n = events.len();
    let binary: Vec<u8> = events.iter().flat_map(Event::encode).collect();
    let leaves = omega_core::history_leaves(&events).map_err(|_| anyhow!("the generated history obstructed"))?;
    let leaf_bytes: Vec<u8> = leaves.concat();
    let log = frame::encode_log(&events);
    let index = (n / 3).to_string();
    let proof = abi::call(Op::ProveInclusion.code(), &make_fields(&[&leaf_bytes, b"leaves", index.as_bytes()]));
    if proof.status != abi::STATUS_OK {
        bail!("could not make the inclusion proof: {}", String::from_utf8_lossy(&proof.body));
    }
    let (five, committee5, one, committee1) = certificates(opts.seed)?;
    let world = World::try_new(opts.seed, Config { nodes: 5, entities: opts.entities, edges_per_entity: 3 }).map_err(|e| anyhow!("--entities {}: {e}", opts.entities))?.encode();
    // One tick more than the ticks timed: the baseline is the same world
    // run one tick, so that what differs is exactly `opts.ticks` ticks (a
    // baseline of no tick would also take away the hash the summary of an
    // unstepped world computes, which a stepped world reuses from its last
    // tick, and flatter every tick by that hash over the ticks).
    let ticks = (opts.ticks + 1).to_string();
    // ten times the events: 10,000,000 leaves in the full run
    let tree = opts.events.saturating_mul(10).max(2);
    let (tile_inclusion, tile_consistency) = tile_requests(tree)?;
    let ev = format!("{} events", thousands(n as u64));
    let nf = n as f64;
    Ok(vec![
        Workload {
            name: "reconcile",
            size: format!("{ev}, 100-byte payloads, shuffled"),
            op: Op::ReconcileBinary,
            request: abi::make_request(&binary, &[]),
            status: abi::STATUS_OK,
            amount: nf,
            unit: "events/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "merkle root",
            size: format!("{} leaf hashes", thousands(n as u64)),
            op: Op::MerkleRoot,
            request: make_fields(&[&leaf_bytes]),
            status: abi::STATUS_OK,
            amount: nf,
            unit: "leaves/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "inclusion proof",
            size: format!("leaf {index} of {}, with the root", thousands(n as u64)),
            op: Op::ProveInclusion,
            request: make_fields(&[&leaf_bytes, b"leaves", index.as_bytes()]),
            status: abi::STATUS_OK,
            amount: 1.0,
            unit: "proofs/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "verify inclusion",
            size: format!("a proof in a tree of {}", thousands(n as u64)),
            op: Op::VerifyInclusion,
            request: make_fields(&[&proof.body]),
            status: abi::STATUS_OK,
            amount: 1.0,
            unit: "proofs/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "proof from tiles",
            size: format!("inclusion, leaf {} of {}", thousands(tree / 3), thousands(tree)),
            op: Op::ProveTiles,
            request: tile_inclusion,
            status: abi::STATUS_OK,
            amount: 1.0,
            unit: "proofs/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "proof from tiles",
            size: format!("consistency, {} to {}", thousands(tree / 2), thousands(tree)),
            op: Op::ProveTiles,
            request: tile_consistency,
            status: abi::STATUS_OK,
            amount: 1.0,
            unit: "proofs/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "verify certificate",
            size: "1 of 1, one signature".into(),
            op: Op::Verify,
            request: make_fields(&[&one, &committee1]),
            status: abi::STATUS_OK,
            amount: 1.0,
            unit: "signatures/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "verify certificate",
            size: "5 of 7".into(),
            op: Op::Verify,
            request: make_fields(&[&five, &committee5]),
            status: abi::STATUS_OK,
            amount: 5.0,
            unit: "signatures/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "verify Ed25519",
            size: format!("{} signatures under 7 keys (tables)", thousands(7 * PER_KEY as u64)),
            op: Op::Ed25519Verify,
            request: make_fields(&[&signatures(opts.seed)?]),
            status: abi::STATUS_OK,
            amount: (7 * PER_KEY) as f64,
            unit: "signatures/s",
            scale: 1.0,
            baseline: None,
        },
        Workload {
            name: "ingest",
            size: format!("framed log, {ev}, {:.1} MB", log.len() as f64 / 1e6),
            op: Op::Ingest,
            amount: log.len() as f64,
            request: make_fields(&[&log]),
            status: abi::STATUS_OK,
            unit: "MB/s",
            scale: 1e6,
            baseline: None,
        },
        Workload {
            name: "ecs tick",
            size: format!("{} entities, {} edges", thousands(u64::from(opts.entities)), thousands(u64::from(opts.entities) * 3)),
            op: Op::EcsRun,
            request: make_fields(&[&world, ticks.as_bytes(), b"", b"summary", b""]),
            status: abi::STATUS_OK,
            amount: 1.0,
            unit: "ticks/s",
            scale: 1.0,
            // the same world restored, ticked once and summarised: the run less `opts.ticks` ticks
            baseline: Some(make_fields(&[&world, b"1", b"", b"summary", b""])),
        },
    ])
}

/// Seconds per call of `req` on `engine`: `calls` calls in a row.
fn time_calls(engine: &mut dyn Kernel, op: Op, req: &[u8], calls: u32) -> Result<f64> {
    let t = Instant::now();
    for _ in 0..calls {
        std::hint::black_box(engine.call(op, req)?);
    }
    Ok(t.elapsed().as_secs_f64() / f64::from(calls.max(1)))
}

/// One engine's runs of one workload: seconds per unit of `w.amount`.
fn measure(engine: &mut dyn Kernel, w: &Workload, opts: &Options, bar: &indicatif::ProgressBar) -> Result<Stats> {
    // calibrate: enough calls that a run lasts `min_run`
    let once = time_calls(engine, w.op, &w.request, 1)?;
    let calls = if once >= opts.min_run.as_secs_f64() { 1 } else { (opts.min_run.as_secs_f64() / once.max(1e-9)).ceil().min(1e6) as u32 };
    let mut per_call = Vec::with_capacity(opts.runs);
    for _ in 0..opts.runs {
        let mut t = time_calls(engine, w.op, &w.request, calls)?;
        if let Some(base) = &w.baseline {
            t -= time_calls(engine, w.op, base, calls)?;
            t /= opts.ticks.max(1) as f64;
        }
        per_call.push(t.max(0.0));
        bar.inc(1);
    }
    Ok(stats(per_call))
}

/// One row of the report.
struct Row {
    name: &'static str,
    size: String,
    unit: &'static str,
    native: Stats,
    wasm: Stats,
    native_rate: f64,
    wasm_rate: f64,
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(|s| s.trim().to_string()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cpu}, {cores} cores, {} {}", std::env::consts::OS, std::env::consts::ARCH)
}

fn fmt_time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn fmt_rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2}M", r / 1e6)
    } else if r >= 1e4 {
        format!("{:.1}k", r / 1e3)
    } else {
        format!("{r:.1}")
    }
}

/// One workload of the end-to-end table: `omega ARGS --engine E`, spawned.
struct CliCase {
    name: &'static str,
    size: String,
    args: Vec<String>,
    /// Timed runs per engine.
    runs: usize,
}

/// One row of the end-to-end table: seconds per run of the whole process.
struct CliRow {
    name: &'static str,
    size: String,
    runs: usize,
    native: Stats,
    wasm: Stats,
}

/// Runs `exe args --engine engine` once: its wall time and standard output
/// (it must exit 0).
/// `blob` is the file the parent loaded; without one, the child (the same
/// program) finds the same blob the same way: `$OMEGA_BLOB` or its own embedded one.
fn spawn_once(exe: &Path, args: &[String], engine: &str, blob: Option<&Path>) -> Result<(f64, Vec<u8>)> {
    let mut cmd = Command::new(exe);
    cmd.args(args).args(["--engine", engine]).stdin(Stdio::null()).stderr(Stdio::piped());
    if let (Some(blob), "wasm") = (blob, engine) {
        cmd.arg("--blob").arg(blob);
    }
    let t = Instant::now();
    let o = cmd.output().map_err(|e| anyhow!("running {}: {e}", exe.display()))?;
    let secs = t.elapsed().as_secs_f64();
    if !o.status.success() {
        bail!("`omega {} --engine {engine}` failed ({}): {}", args.join(" "), o.status, String::from_utf8_lossy(&o.stderr).trim());
    }
    Ok((secs, o.stdout))
}

/// The end-to-end workloads: their inputs are written to `dir`.
fn cli_cases(opts: &Options, dir: &Path) -> Result<Vec<CliCase>> {
    let mut events = sample::history(opts.seed, Shape { nodes: 2, streams: 1, per_stream: 5, payload: 32 });
    sample::shuffle(&mut events, opts.seed);
    let input = dir.join("sample-10.json");
    std::fs::write(&input, json::events_to_json(&events)).map_err(|e| anyhow!("writing {}: {e}", input.display()))?;
    let input = input.to_str().ok_or_else(|| anyhow!("the temporary folder {} is not UTF-8", dir.display()))?.to_string();
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    Ok(vec![
        CliCase {
            name: "start-up",
            size: format!("omega reconcile, {} events", events.len()),
            args: strings(&["reconcile", "--no-bundle", "--input", &input]),
            runs: (opts.runs * 4).max(10),
        },
        CliCase {
            name: "ecs run",
            size: "omega ecs, 1,000 ticks, 1,000 entities".into(),
            args: strings(&["ecs", "--quiet", "--ticks", "1000", "--entities", "1000", "--seed", &opts.seed.to_string()]),
            runs: opts.runs,
        },
    ])
}

/// Times the end-to-end workloads: for each, one warm-up run per engine
/// (same output required; the wasm one fills the module cache), then the
/// timed runs, engines alternating.
fn measure_cli(cases: &[CliCase], blob: Option<&Path>, bar: &indicatif::ProgressBar) -> Result<Vec<CliRow>> {
    let exe = std::env::current_exe().map_err(|e| anyhow!("where is this omega? {e}"))?;
    let mut rows = Vec::new();
    for c in cases {
        bar.set_message(format!("{} ({})", c.name, c.size));
        let (_, native) = spawn_once(&exe, &c.args, "native", blob)?;
        let (_, wasm) = spawn_once(&exe, &c.args, "wasm", blob)?;
        if native != wasm {
            bail!("{}: `--engine native` and `--engine wasm` printed different bytes (a determinism bug; run `omega crosscheck`)", c.name);
        }
        let (mut n, mut w) = (Vec::with_capacity(c.runs), Vec::with_capacity(c.runs));
        for _ in 0..c.runs {
            n.push(spawn_once(&exe, &c.args, "native", blob)?.0);
            w.push(spawn_once(&exe, &c.args, "wasm", blob)?.0);
            bar.inc(2);
        }
        rows.push(CliRow { name: c.name, size: c.size.clone(), runs: c.runs, native: stats(n), wasm: stats(w) });
    }
    Ok(rows)
}

/// Runs the benchmark and prints the table (or JSON).
pub fn run(opts: &Options, blob: Result<Blob>) -> Result<ExitCode> {
    let mut wasm_kernel = Wasm(blob?);
    let mut native_kernel = Native;
    let started = Instant::now();
    if !opts.json {
        eprintln!("omega bench: generating the inputs (seed {})...", opts.seed);
    }
    let work = workloads(opts)?;
    let tmp = std::env::temp_dir().join(format!("omega-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| anyhow!("creating {}: {e}", tmp.display()))?;
    let cases = cli_cases(opts, &tmp);
    let cases = match cases {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let cli_runs: usize = cases.iter().map(|c| c.runs * 2).sum();
    let bar = indicatif::ProgressBar::new((work.len() * opts.runs * 2 + cli_runs) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} bench [{bar:40}] {pos}/{len} runs {msg}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut rows = Vec::new();
    for w in &work {
        bar.set_message(format!("{} ({})", w.name, w.size));
        // the same bytes on both engines, before any timing
        let native = native_kernel.call(w.op, &w.request)?;
        let wasm = wasm_kernel.call(w.op, &w.request)?;
        if native.status != w.status {
            bar.abandon();
            bail!("{}: the {} engine answered status {}: {}", w.name, native_kernel.name(), native.status, String::from_utf8_lossy(&native.body));
        }
        if native.to_bytes() != wasm.to_bytes() {
            bar.abandon();
            bail!("{}: the engines gave different bytes for the same request (a determinism bug; run `omega crosscheck`)", w.name);
        }
        let n = measure(&mut native_kernel, w, opts, &bar)?;
        let b = measure(&mut wasm_kernel, w, opts, &bar)?;
        let rate = |s: &Stats| if s.median > 0.0 { w.amount / w.scale / s.median } else { 0.0 };
        rows.push(Row { name: w.name, size: w.size.clone(), unit: w.unit, native_rate: rate(&n), wasm_rate: rate(&b), native: n, wasm: b });
    }
    let cli = measure_cli(&cases, wasm_kernel.0.source.file(), &bar);
    let _ = std::fs::remove_dir_all(&tmp);
    let cli = match cli {
        Ok(c) => c,
        Err(e) => {
            bar.abandon();
            return Err(e);
        }
    };
    bar.finish_and_clear();
    let blob = &wasm_kernel.0;
    let cache = wasm::module_cache_dir();
    let elapsed = started.elapsed();
    let ratio = |n: &Stats, w: &Stats| if n.median > 0.0 { w.median / n.median } else { 0.0 };
    let mut out = std::io::stdout().lock();
    if opts.json {
        let st = |s: &Stats| serde_json::json!({ "median_s": s.median, "min_s": s.min, "max_s": s.max });
        let rows: Vec<_> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "workload": r.name, "size": r.size, "unit": r.unit,
                    "native": st(&r.native), "wasm": st(&r.wasm),
                    "ratio": ratio(&r.native, &r.wasm),
                    "native_throughput": r.native_rate, "wasm_throughput": r.wasm_rate,
                    "same_bytes": true,
                })
            })
            .collect();
        let cli: Vec<_> = cli
            .iter()
            .map(|r| {
                serde_json::json!({
                    "workload": r.name, "size": r.size, "runs": r.runs,
                    "native": st(&r.native), "wasm": st(&r.wasm),
                    "ratio": ratio(&r.native, &r.wasm),
                    "same_bytes": true,
                })
            })
            .collect();
        let v = serde_json::json!({
            "omega": omega_core::VERSION, "machine": machine(), "blob_sha256": blob.sha256,
            "runs": opts.runs, "events": opts.events, "entities": opts.entities, "seed": opts.seed,
            "elapsed_s": elapsed.as_secs_f64(), "rows": rows,
            "module_cache": cache.as_ref().map(|d| d.display().to_string()),
            "end_to_end": cli,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(out, "omega {} bench: {}", omega_core::VERSION, machine())?;
    writeln!(out, "blob {} (sha256 {})", blob.source, blob.sha256)?;
    writeln!(out, "median of {} runs per engine (fastest..slowest); both engines gave identical bytes on every workload\n", opts.runs)?;
    writeln!(
        out,
        "{:<19} {:<42} {:>30} {:>30} {:>7} {:>9} {:>9}  unit",
        "workload", "size", "native", "blob (wasmtime)", "ratio", "native", "blob"
    )?;
    let cell = |s: &Stats| format!("{} ({}..{})", fmt_time(s.median), fmt_short(s.min), fmt_short(s.max));
    for r in &rows {
        writeln!(
            out,
            "{:<19} {:<42} {:>30} {:>30} {:>6.2}x {:>9} {:>9}  {}",
            r.name,
            r.size,
            cell(&r.native),
            cell(&r.wasm),
            ratio(&r.native, &r.wasm),
            fmt_rate(r.native_rate),
            fmt_rate(r.wasm_rate),
            r.unit
        )?;
    }
    writeln!(out, "\ntimes are per call (per tick for `ecs tick`); ratio = blob / native")?;
    writeln!(
        out,
        "\nend to end: the omega binary spawned per run, start-up included, after one warm-up run per engine (module cache: {})\n",
        cache.as_ref().map_or_else(|| "off".to_string(), |d| d.display().to_string())
    )?;
    writeln!(out, "{:<19} {:<42} {:>30} {:>30} {:>7}  runs", "workload", "size", "--engine native", "--engine wasm", "ratio")?;
    for r in &cli {
        writeln!(out, "{:<19} {:<42} {:>30} {:>30} {:>6.2}x  {}", r.name, r.size, cell(&r.native), cell(&r.wasm), ratio(&r.native, &r.wasm), r.runs)?;
    }
    writeln!(out, "\ntimes are per process run; {:.1} s in all", elapsed.as_secs_f64())?;
    Ok(ExitCode::SUCCESS)
}

fn fmt_short(s: f64) -> String {
    fmt_time(s).replace(' ', "")
}

/// 1234567 -> "1,234,567".
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// The ECS row and its baseline differ by exactly the ticks it divides
    /// by: a baseline of no tick made `omega bench` subtract the world hash
    /// an unstepped summary computes (and a stepped run reuses), flattering
    /// every tick by a hash over the ticks.
    #[test]
    fn the_ecs_row_differs_from_its_baseline_by_exactly_the_timed_ticks() {
        let opts = Options { events: 64, entities: 40, ticks: 5, runs: 1, min_run: Duration::from_millis(1), seed: 3, json: false };
        let all = workloads(&opts).expect("workloads");
        let ecs = all.iter().find(|w| w.name == "ecs tick").expect("the ecs row");
        let ticks = |req: &[u8]| -> u64 {
            let f = omega_core::api::request::split_fields(req).expect("fields");
            std::str::from_utf8(f[1]).expect("utf-8").parse().expect("a tick count")
        };
        let base = ecs.baseline.as_deref().expect("a baseline");
        assert_eq!(ticks(&ecs.request) - ticks(base), opts.ticks);
        assert!(ticks(base) >= 1, "the baseline steps the world, so both summaries reuse a tick's hash");
        // and both runs answer on the native engine
        for req in [&ecs.request[..], base] {
            assert_eq!(abi::call(ecs.op.code(), req).status, abi::STATUS_OK);
        }
    }
}
