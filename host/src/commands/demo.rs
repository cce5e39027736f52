//! `omega demo`: the main job on the embedded sample.
use crate::BlobArgs;
use anyhow::{Result, anyhow, bail};
use omega_core::api::Op;
use omega_core::api::abi::{self, Response};
use omega_core::api::json;
use omega_core::{Event, Limits};
use std::process::ExitCode;
use std::time::Instant;

/// 3,000 events from 4 nodes × 3 streams, in shuffled arrival order: the golden
/// vector `demo-sample`, checked on every engine.
const SAMPLE: &[u8] = include_bytes!("../../../tests/vectors/reconcile/demo-sample.in.json");

fn field<'a>(v: &'a serde_json::Value, k: &str) -> &'a str {
    v.get(k).and_then(|x| x.as_str()).unwrap_or("?")
}

fn show(label: &str, resp: &Response, secs: f64) -> Result<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&resp.body)?;
    match resp.status {
        abi::STATUS_OK => println!(
            "  {label:<7} ok    tree_size {}  root {}  ({:.1} ms)",
            v.get("tree_size").and_then(|x| x.as_u64()).unwrap_or(0),
            field(&v, "root"),
            secs * 1000.0
        ),
        abi::STATUS_OBSTRUCTION => println!(
            "  {label:<7} obstruction  {} violations  evidence {}  ({:.1} ms)",
            v.get("violations").and_then(|x| x.as_array()).map_or(0, Vec::len),
            field(&v, "evidence_hash"),
            secs * 1000.0
        ),
        _ => bail!("{label}: error: {}", field(&v, "message")),
    }
    Ok(v)
}

fn both(blob: &mut crate::wasm::Blob, events: &[u8]) -> Result<(Response, serde_json::Value)> {
    let req = abi::make_request(events, &[]);
    let t = Instant::now();
    let native = abi::call(Op::ReconcileJson.code(), &req);
    let vn = show("native", &native, t.elapsed().as_secs_f64())?;
    let t = Instant::now();
    let wasm = blob.call(Op::ReconcileJson.code(), &req)?;
    show("wasm", &wasm, t.elapsed().as_secs_f64())?;
    if native != wasm {
        bail!("the engines disagree: this is a bug in omega; please report it with this input");
    }
    println!("  identical bytes from both engines ({} bytes of result JSON)", native.body.len());
    Ok((native, vn))
}

pub(crate) fn run(blob_args: &BlobArgs) -> Result<ExitCode> {
    let mut blob = blob_args.load()?;
    let mut events = json::parse_events(SAMPLE, &Limits::default()).map_err(|e| anyhow!("embedded sample: {e}"))?;
    println!("omega demo: {} events from 4 nodes × 3 streams, arriving shuffled (embedded sample)", events.len());
    println!("blob: {} (sha256 {})", blob.source, blob.sha256);

    println!("\n1. reconcile the sample on both engines");
    let (first, v) = both(&mut blob, SAMPLE)?;
    println!("  state hash {}", field(&v, "state_hash"));

    println!("\n2. the same events in reverse arrival order, plus 50 re-deliveries");
    let mut again = events.clone();
    again.reverse();
    again.extend(events.iter().take(50).cloned());
    let (second, v2) = both(&mut blob, &json::events_to_json(&again))?;
    println!("  duplicates dropped: {}", v2.get("duplicates").and_then(|x| x.as_u64()).unwrap_or(0));
    let same_root = v.get("root") == v2.get("root") && v.get("state_hash") == v2.get("state_hash");
    println!("  same root and state hash as step 1: {}", if same_root { "yes" } else { "NO" });
    if !same_root || first.status != second.status {
        bail!("arrival order changed the result: this is a bug in omega");
    }

    println!("\n3. a tampered copy: node 2 equivocates on stream 1 seq 100, and node 3 stream 0 seq 7 is lost");
    let pos = events.iter().position(|e| (e.node(), e.stream(), e.seq()) == (2, 1, 100));
    if let Some(p) = pos {
        let e = &events[p];
        let mut payload = e.payload().to_vec();
        if let Some(b) = payload.first_mut() {
            *b ^= 0xff;
        }
        let forged = Event::new(e.lamport(), e.node(), e.stream(), e.id(), e.seq(), e.deps().to_vec(), payload);
        events.push(forged);
    }
    events.retain(|e| (e.node(), e.stream(), e.seq()) != (3, 0, 7));
    let (bad, vb) = both(&mut blob, &json::events_to_json(&events))?;
    if bad.status != abi::STATUS_OBSTRUCTION {
        bail!("the tampered copy was not caught: this is a bug in omega");
    }
    for viol in vb.get("violations").and_then(|x| x.as_array()).into_iter().flatten() {
        println!(
            "  {} {:<12} {}",
            viol.get("code").and_then(|x| x.as_u64()).unwrap_or(0),
            field(viol, "reason"),
            field(viol, "message")
        );
    }
    println!("\nomega demo: done. native and wasm agree byte for byte; the tampered history is obstructed with evidence.");
    Ok(ExitCode::SUCCESS)
}
