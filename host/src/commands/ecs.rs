//! `omega ecs`: run the world (one JSON line per tick) and `omega ecs diff`.
use crate::{EngineArgs, kernel, report_error, run_op};
use anyhow::{Context, Result, anyhow, bail};
use omega_core::api::Op;
use omega_core::api::abi;
use omega_core::api::ops::make_fields;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The world a run starts from, and where its commands come from.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Ticks to run.
    #[arg(long, default_value_t = 100)]
    pub ticks: u64,
    /// Seed of the world.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Entities at tick 0 (at most 10,000,000, and the world within its memory budget).
    #[arg(long, default_value_t = 1000)]
    pub entities: u32,
    /// Topology nodes (1 to 1,048,576).
    #[arg(long, default_value_t = 5)]
    pub nodes: u32,
    /// Random edges per initial entity (at most 64).
    #[arg(long, default_value_t = 3)]
    pub edges_per_entity: u32,
    /// A JSON event history whose payloads are world commands (reconciled first).
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Continue from a world snapshot instead of a new world.
    #[arg(long, value_name = "S.omgw")]
    pub from: Option<PathBuf>,
    /// Write the world after the last tick here.
    #[arg(long, value_name = "S.omgw")]
    pub snapshot: Option<PathBuf>,
    /// Flip one bit at the start of a tick: TICK:INDEX:GEN:COMPONENT:BIT (desync tests).
    #[arg(long, value_name = "SPEC")]
    pub inject: Option<String>,
    /// Print only the header and the summary line, not one line per tick.
    #[arg(long)]
    pub quiet: bool,
}

fn header(a: &RunArgs) -> Result<serde_json::Value> {
    let events = match &a.events {
        Some(p) => {
            let b = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            Some(serde_json::json!({ "path": std::fs::canonicalize(p).unwrap_or(p.clone()).display().to_string(), "sha256": omega_core::hex::encode(&omega_core::sha256(&b)) }))
        }
        None => None,
    };
    let mut head = serde_json::json!({
        "omega_ecs": 1,
        "seed": a.seed, "entities": a.entities, "nodes": a.nodes, "edges_per_entity": a.edges_per_entity,
        "from": a.from.as_ref().map(|p| p.display().to_string()),
        "events": events,
        "inject": a.inject,
        "ticks": a.ticks,
    });
    if let (Some(p), Some(o)) = (&a.from, head.as_object_mut()) {
        // the world is the snapshot's, not the defaults of --seed/--entities/--nodes:
        // say what it holds (null when the bytes are not a snapshot; the engine
        // then refuses them with the reason)
        let b = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
        let info = omega_core::ecs::World::peek(&b);
        o.insert("seed".into(), info.map(|i| i.seed).into());
        o.insert("entities".into(), info.map(|i| i.entities).into());
        o.insert("nodes".into(), info.map(|i| i.nodes).into());
        o.insert("edges_per_entity".into(), serde_json::Value::Null);
        o.insert("edges".into(), info.map(|i| i.edges).into());
        o.insert("start_tick".into(), info.map(|i| i.tick).into());
    }
    Ok(head)
}

/// Runs the world; returns the summary and the final snapshot. `each` gets
/// every tick's JSON line (in order, as it is computed), unless `--quiet`.
///
/// Both engines run it the same way: an ECS session is opened in the kernel
/// (`crate::kernel::Kernel::ecs_open`, op 19's request: the world is sent
/// once) and stepped in chunks (see [`chunk_ticks`]) that only stream the
/// tick lines and move the progress bar; the world stays in the kernel (in
/// the blob's instance on the wasm engine) between chunks. The last step's
/// body is op 19's for the whole run (digest, state hash, history), so both
/// engines print the bytes one op-19 call would give.
pub fn run(a: &RunArgs, engine: &EngineArgs, mut each: impl FnMut(&serde_json::Value) -> Result<()>) -> Result<std::result::Result<(serde_json::Value, Vec<u8>), ExitCode>> {
    let start = match &a.from {
        Some(p) => std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        None => serde_json::to_vec(&serde_json::json!({ "seed": a.seed, "entities": a.entities, "nodes": a.nodes, "edges_per_entity": a.edges_per_entity }))?,
    };
    let events = a.events.as_ref().map(std::fs::read).transpose().context("cannot read the events")?.unwrap_or_default();
    let inject = a.inject.clone().unwrap_or_default();
    let bar = (a.ticks >= 2000).then(|| {
        let b = indicatif::ProgressBar::new(a.ticks);
        b.set_style(indicatif::ProgressStyle::with_template("{spinner} ecs [{bar:40}] {pos}/{len} ticks {per_sec} eta {eta}").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
        b
    });
    let request = make_fields(&[&start, a.ticks.to_string().as_bytes(), &events, b"reports,snapshot", inject.as_bytes()]);
    let out = kernel::with(engine, |k| k.ecs_open(&request)).and_then(|opened| {
        if opened.status == abi::STATUS_ERROR {
            return Ok(Err(opened.body));
        }
        run_session(a, engine, chunk_ticks(a, &start), bar.as_ref(), &mut each)
    });
    // the world is dropped from the kernel whatever happened
    let closed = kernel::with(engine, |k| k.ecs_close());
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let out = out?;
    closed?;
    if let Err(body) = &out {
        report_error(body);
    }
    Ok(out.map_err(|_| ExitCode::from(2)))
}

/// What a run returns: (summary, snapshot), or the engine's error body.
type Ran = std::result::Result<(serde_json::Value, Vec<u8>), Vec<u8>>;

/// Steps the open session `chunk` ticks at a time to `a.ticks`: every step
/// in mode `reports` (`summary` when `--quiet`), the last one with the
/// snapshot too.
fn run_session(a: &RunArgs, engine: &EngineArgs, chunk: u64, bar: Option<&indicatif::ProgressBar>, each: &mut impl FnMut(&serde_json::Value) -> Result<()>) -> Result<Ran> {
    let mut done = 0u64;
    loop {
        let n = chunk.min(a.ticks - done);
        let last = done + n >= a.ticks;
        let mode = match (a.quiet, last) {
            (false, false) => "reports",
            (false, true) => "reports,snapshot",
            (true, false) => "summary",
            (true, true) => "snapshot",
        };
        let r = kernel::with(engine, |k| k.ecs_step(n, mode))?;
        if r.status == abi::STATUS_ERROR {
            return Ok(Err(r.body));
        }
        let mut v: serde_json::Value = serde_json::from_slice(&r.body)?;
        if let Some(lines) = v.get("reports").and_then(|x| x.as_array()) {
            for line in lines {
                each(line)?;
            }
        }
        done += n;
        if let Some(b) = bar {
            b.set_position(done);
        }
        if last {
            let b64 = v.get("snapshot").and_then(|s| s.as_str()).unwrap_or_default();
            let snapshot = omega_core::certify::note::b64_decode(b64).ok_or_else(|| anyhow!("the engine returned a snapshot that is not base64"))?;
            if let Some(o) = v.as_object_mut() {
                o.remove("reports");
                o.remove("snapshot");
            }
            return Ok(Ok((summarize(v, a.ticks), snapshot)));
        }
    }
}

/// Ticks per session step. A step returns its ticks' reports in one body,
/// has the fuel budget of one call on the wasm engine, and moves the
/// progress bar once. So a step covers about [`CHUNK_WORK`] slot and edge
/// updates, a few seconds of wasm: 1,000 ticks for worlds up to 1,000
/// entities with 3 edges each, 100 at 10,000, 10 at 100,000, and at least
/// [`CHUNK_MIN`]. The size changes no output byte: a session stepped in any
/// chunks answers what one op-19 call does.
fn chunk_ticks(a: &RunArgs, start: &[u8]) -> u64 {
    let size = match omega_core::ecs::World::peek(start) {
        Some(i) => u64::from(i.slots) + u64::from(i.edges),
        None => u64::from(a.entities).saturating_mul(1 + u64::from(a.edges_per_entity)),
    };
    (CHUNK_WORK / size.max(1)).clamp(CHUNK_MIN, CHUNK_MAX)
}

/// Slot and edge updates per step (see [`chunk_ticks`]).
const CHUNK_WORK: u64 = 4_000_000;
/// The fewest ticks per step.
const CHUNK_MIN: u64 = 4;
/// The most ticks per step.
const CHUNK_MAX: u64 = 1000;

/// The summary line's object from op 19's body for the whole run: the run's
/// `ticks` in, `start_tick` and the checkpoints out.
fn summarize(mut v: serde_json::Value, ticks: u64) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.insert("ticks".into(), ticks.into());
        o.remove("start_tick");
        o.remove("checkpoints");
    }
    v
}

/// `omega ecs`.
pub fn ecs(a: &RunArgs, engine: &EngineArgs) -> Result<ExitCode> {
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    // The header goes out with the first tick the engine ran (or with the
    // summary): a run the engine refuses prints nothing on stdout.
    let mut head = Some(serde_json::to_string(&header(a)?)?);
    let quiet = a.quiet;
    let res = run(a, engine, |line| {
        if let Some(h) = head.take() {
            writeln!(out, "{h}")?;
        }
        if !quiet {
            writeln!(out, "{}", serde_json::to_string(line)?)?;
        }
        Ok(())
    })?;
    let (summary, snapshot) = match res {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    if let Some(h) = head.take() {
        writeln!(out, "{h}")?;
    }
    writeln!(out, "{}", serde_json::to_string(&serde_json::json!({ "summary": summary }))?)?;
    out.flush()?;
    if let Some(p) = &a.snapshot {
        std::fs::write(p, &snapshot).with_context(|| format!("cannot write {}", p.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

fn read_log(p: &Path) -> Result<(serde_json::Value, Vec<(u64, String)>)> {
    let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
    let mut lines = text.lines();
    // Strict JSON (a repeated key is refused, 3007), like every JSON input omega reads.
    let strict = |n: usize, l: &str| {
        omega_core::api::json::parse_strict(l.as_bytes()).map_err(|e| match e {
            omega_core::api::json::JsonError::Syntax { detail } if n == 1 => {
                anyhow!("{}: the first line is not an omega ecs header ({detail})", p.display())
            }
            e => anyhow!("error {}: {}, line {n}: {e}", omega_core::ErrorCode::code(&e), p.display()),
        })
    };
    let head = strict(1, lines.next().unwrap_or_default())?;
    if head.get("omega_ecs").is_none() {
        bail!("{} is neither a world snapshot nor an `omega ecs` log", p.display());
    }
    let mut ticks = Vec::new();
    for (n, l) in lines.enumerate() {
        let v = strict(n + 2, l)?;
        if let (Some(t), Some(h)) = (v.get("tick").and_then(|t| t.as_u64()), v.get("state_hash").and_then(|h| h.as_str())) {
            ticks.push((t, h.to_string()));
        }
    }
    if ticks.is_empty() {
        bail!("{} has no tick lines (was it written with --quiet?); diff needs the per-tick hashes", p.display());
    }
    Ok((head, ticks))
}

fn args_of(head: &serde_json::Value, ticks: u64) -> Result<RunArgs> {
    let u = |k: &str| head.get(k).and_then(|x| x.as_u64()).ok_or_else(|| anyhow!("log header has no `{k}`"));
    if head.get("from").is_some_and(|f| !f.is_null()) {
        bail!("a log that continued from a snapshot cannot be re-run for diffing; diff the snapshots instead");
    }
    Ok(RunArgs {
        ticks,
        seed: u("seed")?,
        entities: u("entities")? as u32,
        nodes: u("nodes")? as u32,
        edges_per_entity: u("edges_per_entity")? as u32,
        events: head.get("events").and_then(|e| e.get("path")).and_then(|p| p.as_str()).map(PathBuf::from),
        from: None,
        snapshot: None,
        inject: head.get("inject").and_then(|i| i.as_str()).map(str::to_string),
        quiet: true,
    })
}

/// One op call for the whole run (no chunking, no per-tick output): the final snapshot.
fn run_mode(a: &RunArgs, engine: &EngineArgs, mode: &str) -> Result<std::result::Result<Vec<u8>, ExitCode>> {
    let start = serde_json::to_vec(&serde_json::json!({ "seed": a.seed, "entities": a.entities, "nodes": a.nodes, "edges_per_entity": a.edges_per_entity }))?;
    let events = a.events.as_ref().map(std::fs::read).transpose().context("cannot read the events")?.unwrap_or_default();
    let inject = a.inject.clone().unwrap_or_default();
    let r = run_op(engine, Op::EcsRun, &make_fields(&[&start, a.ticks.to_string().as_bytes(), &events, mode.as_bytes(), inject.as_bytes()]))?;
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        return Ok(Err(ExitCode::from(2)));
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let b64 = v.get("snapshot").and_then(|s| s.as_str()).unwrap_or_default();
    Ok(Ok(omega_core::certify::note::b64_decode(b64).ok_or_else(|| anyhow!("the engine returned a snapshot that is not base64"))?))
}

/// `omega ecs diff A B`: two snapshots, or two `omega ecs` logs (their
/// first differing tick is re-run on both sides to name the entity and component).
pub fn diff(a: &Path, b: &Path, engine: &EngineArgs) -> Result<ExitCode> {
    let (ba, bb) = (std::fs::read(a)?, std::fs::read(b)?);
    let (sa, sb, tick) = if ba.starts_with(b"OMGW") && bb.starts_with(b"OMGW") {
        (ba, bb, None)
    } else {
        let ((ha, ta), (hb, tb)) = (read_log(a)?, read_log(b)?);
        let Some(((t, _), _)) = ta.iter().zip(&tb).find(|(x, y)| x != y) else {
            let same = ta.len() == tb.len();
            println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "same": same, "ticks": ta.len().min(tb.len()) }))?);
            return Ok(if same { ExitCode::SUCCESS } else { ExitCode::from(1) });
        };
        let t = *t;
        // Re-run both to the start of tick t (its commands and injected flips
        // applied, no system run yet): a difference there is where it began.
        // If the starts agree, the difference arose inside tick t's systems.
        let snap = |h: &serde_json::Value, ticks: u64, prestep: bool| -> Result<Vec<u8>> {
            let mut a = args_of(h, ticks)?;
            a.quiet = true;
            match run_mode(&a, engine, if prestep { "snapshot,prestep" } else { "snapshot" })? {
                Ok(s) => Ok(s),
                Err(_) => bail!("re-running a log to tick {t} failed"),
            }
        };
        let (pa, pb) = (snap(&ha, t - 1, true)?, snap(&hb, t - 1, true)?);
        if pa != pb { (pa, pb, Some(t)) } else { (snap(&ha, t, false)?, snap(&hb, t, false)?, Some(t)) }
    };
    let r = run_op(engine, Op::EcsDiff, &make_fields(&[&sa, &sb]))?;
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        return Ok(ExitCode::from(2));
    }
    let mut v: serde_json::Value = serde_json::from_slice(&r.body)?;
    if let (Some(t), Some(o)) = (tick, v.as_object_mut()) {
        o.insert("first_differing_tick".into(), t.into());
    }
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(crate::exit_for(&r))
}

/// `omega ecs step`: one batch through op 26. Prints op 26's answer without
/// the world's base64 (`--out` writes the world), with `world_line`, the
/// checkpoint's `omega-world` value.
pub fn step(world: Option<&Path>, events: Option<&str>, format: crate::InputFormat, out: Option<&Path>, engine: &EngineArgs) -> Result<ExitCode> {
    let before = world.map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))).transpose()?.unwrap_or_default();
    let mut batch = Vec::new();
    if let Some(input) = events {
        for e in super::cluster::publish::read_events(input, format)? {
            e.encode_into(&mut batch);
        }
    }
    let r = run_op(engine, Op::EcsBatch, &make_fields(&[&before, &batch]))?;
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        return Ok(ExitCode::from(2));
    }
    let mut v: serde_json::Value = serde_json::from_slice(&r.body)?;
    let b64 = v.get("world").and_then(|s| s.as_str()).unwrap_or_default();
    let after = omega_core::certify::note::b64_decode(b64).ok_or_else(|| anyhow!("the engine returned a world that is not base64"))?;
    if let Some(p) = out {
        std::fs::write(p, &after).with_context(|| format!("cannot write {}", p.display()))?;
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("world");
        let line = format!("{} {}", o.get("end_tick").and_then(serde_json::Value::as_u64).unwrap_or(0), o.get("state_hash").and_then(|h| h.as_str()).unwrap_or_default());
        o.insert("world_line".into(), line.into());
    }
    println!("{}", serde_json::to_string_pretty(&v)?);
    Ok(ExitCode::SUCCESS)
}
