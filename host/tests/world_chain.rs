//! The ECS world on the certified chain (issue 18): a history written to a
//! `.omega` log in three batches, each certified with its world line
//! (`omega ecs step` → `omega certify --world`), replays from a genesis
//! snapshot on both engines and matches every certificate; a bit flipped in
//! the world is named by tick, entity and component.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
mod common;
use base64::Engine as _;
use common::{code, engines, err, json, omega_in, tmp};
use std::path::Path;

/// An event of node `node` whose payload is the JSON world command `cmd`.
fn ev(node: u32, seq: u64, lamport: u64, cmd: serde_json::Value) -> serde_json::Value {
    let payload = base64::engine::general_purpose::STANDARD.encode(cmd.to_string());
    serde_json::json!({ "lamport": lamport, "node": node, "stream": 0, "seq": seq, "payload": payload })
}

/// Three batches of world commands (b1.json …) and the genesis world (w0.omgw,
/// s0.omsn); then, batch by batch: append to l.omega, reconcile on the
/// previous result, step the world, certify with the world line and `--prev`.
/// Returns the world lines.
fn build(d: &Path) -> Vec<String> {
    use serde_json::json;
    let batches = [
        vec![
            ev(1, 0, 1, json!({"tick": 2, "op": "set_target", "entity": "3:0", "value": "0.5"})),
            ev(2, 0, 1, json!({"tick": 3, "op": "spawn", "node": 1, "target": "0.25"})),
            ev(1, 1, 2, json!({"tick": 4, "op": "link", "a": "1:0", "b": "5:0", "weight": "0.2"})),
        ],
        vec![ev(1, 2, 3, json!({"tick": 6, "op": "set_target", "entity": "2:0", "value": "-0.5"})), ev(2, 1, 4, json!({"tick": 9, "op": "despawn", "entity": "4:0"}))],
        vec![ev(1, 3, 5, json!({"tick": 12, "op": "sensor", "entity": "6:0", "value": "0.9"})), ev(2, 2, 6, json!({"tick": 14, "op": "unlink", "a": "1:0", "b": "5:0"}))],
    ];
    let ok = |args: &[&str]| {
        let o = omega_in(d, args);
        assert_eq!(code(&o), 0, "omega {args:?}: {}", err(&o));
        o
    };
    ok(&["ecs", "--entities", "20", "--nodes", "3", "--edges-per-entity", "2", "--ticks", "0", "--quiet", "--snapshot", "w0.omgw"]);
    let snap = json(&ok(&["snapshot", "--world", "w0.omgw", "--out", "s0.omsn"]));
    assert_eq!((snap["tree_size"].as_u64(), snap["world"]["tick"].as_u64()), (Some(0), Some(0)), "{snap}");
    ok(&["keygen", "--name", "alice", "--out", "alice.key"]);
    let mut lines = Vec::new();
    for (i, b) in batches.iter().enumerate() {
        let n = i + 1;
        std::fs::write(d.join(format!("b{n}.json")), serde_json::to_vec(b).unwrap()).unwrap();
        let bf = format!("b{n}.json");
        ok(&["append", "--log", "l.omega", "--input", &bf]);
        let mut rec = vec!["reconcile".to_string(), "-i".into(), bf.clone()];
        if n > 1 {
            rec.extend(["--prior".into(), format!("r{}.json", n - 1)]);
        }
        let r = ok(&rec.iter().map(String::as_str).collect::<Vec<_>>());
        std::fs::write(d.join(format!("r{n}.json")), &r.stdout).unwrap();
        let step = json(&ok(&["ecs", "step", "--world", &format!("w{}.omgw", n - 1), "--events", &bf, "--out", &format!("w{n}.omgw")]));
        let line = step["world_line"].as_str().unwrap().to_string();
        assert_eq!(line, format!("{} {}", step["end_tick"], step["state_hash"].as_str().unwrap()));
        let mut cert = vec!["certify".to_string(), "--result".into(), format!("r{n}.json"), "--key".into(), "alice.key".into()];
        cert.extend(["--origin".into(), "example.org/world-log".into(), "--world".into(), line.clone(), "--out".into(), format!("c{n}.cert")]);
        if n > 1 {
            cert.extend(["--prev".into(), format!("c{}.cert", n - 1)]);
        }
        ok(&cert.iter().map(String::as_str).collect::<Vec<_>>());
        lines.push(line);
    }
    lines
}

const CERTS: [&str; 6] = ["--cert", "c1.cert", "--cert", "c2.cert", "--cert", "c3.cert"];

fn replay(d: &Path, engine: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec!["replay", "--snapshot", "s0.omsn", "--log", "l.omega", "--engine", engine];
    args.extend(CERTS);
    args.extend(extra);
    let o = omega_in(d, &args);
    (code(&o), json(&o))
}

#[test]
fn three_batches_certified_with_their_world_replay_on_both_engines() {
    let d = tmp("chain");
    let lines = build(&d);
    // the world moves at least a tick a batch, to the latest command's tick
    assert_eq!(lines.iter().map(|l| l.split(' ').next().unwrap().parse::<u64>().unwrap()).collect::<Vec<_>>(), [4, 9, 14]);
    let mut bodies = Vec::new();
    for e in engines() {
        let (c, v) = replay(&d, e, &[]);
        assert_eq!(c, 0, "{e}: {v:#}");
        assert_eq!(v["status"], "match", "{e}: {v:#}");
        let b = v["batches"].as_array().unwrap();
        assert_eq!(b.len(), 3);
        for (i, x) in b.iter().enumerate() {
            assert_eq!(x["status"], "match", "{e} batch {i}: {x}");
            assert_eq!(format!("{} {}", x["world"]["tick"], x["world"]["state_hash"].as_str().unwrap()), lines[i], "{e} batch {i}");
        }
        assert_eq!(b.iter().map(|x| x["events"].as_u64().unwrap()).collect::<Vec<_>>(), [3, 2, 2]);
        bodies.push(v);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "the engines disagree");
    // without the world lines' world (a snapshot of the empty history and no world), the
    // default world is replayed and every world line diverges at batch 1
    let o = omega_in(&d, &["replay", "--log", "l.omega", "--cert", "c1.cert", "--cert", "c2.cert"]);
    let v = json(&o);
    assert_eq!((code(&o), v["first_divergence"]["field"].as_str()), (1, Some("world")), "{v:#}");
}

#[test]
fn a_flipped_bit_is_named_by_tick_entity_and_component() {
    let d = tmp("flip");
    build(&d);
    for e in engines() {
        // a flip while replaying: batch 2 (ticks 5 to 9) diverges on its world line,
        // and the report names the tick, entity and component of the flip
        let (c, v) = replay(&d, e, &["--inject", "7:3:0:field:40"]);
        assert_eq!(c, 1, "{e}: {v:#}");
        assert_eq!(v["status"], "diverged");
        assert_eq!(v["batches"].as_array().unwrap().len(), 2, "the replay stops at the batch that diverges");
        assert_eq!(v["first_divergence"]["field"], "world");
        assert!(v["first_divergence"]["certified"].as_str().unwrap().starts_with("9 "));
        let w = &v["world_departure"];
        assert_eq!(w["against"], "uninjected");
        let x = &w["difference"];
        assert_eq!((x["tick"].as_u64(), x["entity"].as_str(), x["component"].as_str(), x["stage"].as_str()), (Some(7), Some("3:0"), Some("field"), Some("inputs")), "{e}: {w}");
        assert_ne!(x["world"], x["reference"]);
    }
    // a flipped bit in the snapshot's world itself: against the good world, named at the start
    let mut w0 = std::fs::read(d.join("w0.omgw")).unwrap();
    w0[200] ^= 0x10;
    std::fs::write(d.join("w0bad.omgw"), &w0).unwrap();
    let o = omega_in(&d, &["snapshot", "--world", "w0bad.omgw", "--out", "s0bad.omsn"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    for e in engines() {
        let mut args = vec!["replay", "--snapshot", "s0bad.omsn", "--log", "l.omega", "--world", "w0.omgw", "--engine", e];
        args.extend(CERTS);
        let o = omega_in(&d, &args);
        let v = json(&o);
        assert_eq!(code(&o), 1, "{e}: {v:#}");
        assert_eq!((v["first_divergence"]["field"].as_str(), v["batches"].as_array().map(Vec::len)), (Some("world"), Some(1)), "{e}: {v:#}");
        let x = &v["world_departure"]["difference"];
        assert_eq!((x["tick"].as_u64(), x["stage"].as_str()), (Some(0), Some("start")), "{e}: {v:#}");
        assert!(x["entity"].as_str().unwrap().ends_with(":0") && !x["component"].as_str().unwrap().is_empty(), "{x}");
    }
    // the good snapshot against its own world: no departure anywhere
    let (c, v) = replay(&d, "native", &["--world", "w0.omgw"]);
    assert_eq!((c, &v["world_departure"]["difference"]), (0, &serde_json::Value::Null), "{v:#}");
}

#[test]
fn a_kind_ecs_certificate_replays_and_a_bad_request_is_refused() {
    let d = tmp("ecs-cert");
    build(&d);
    let all: Vec<serde_json::Value> = (1..=3).flat_map(|n| serde_json::from_slice::<Vec<serde_json::Value>>(&std::fs::read(d.join(format!("b{n}.json"))).unwrap()).unwrap()).collect();
    std::fs::write(d.join("all.json"), serde_json::to_vec(&all).unwrap()).unwrap();
    let o = omega_in(&d, &["ecs", "--from", "w0.omgw", "--events", "all.json", "--ticks", "14", "--quiet"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    let summary = String::from_utf8_lossy(&o.stdout).lines().last().unwrap().to_string();
    std::fs::write(d.join("sum.json"), &summary).unwrap();
    let o = omega_in(&d, &["certify", "--result", "sum.json", "--key", "alice.key", "--origin", "example.org/world", "--out", "e.cert"]);
    assert_eq!(code(&o), 0, "{}", err(&o));
    for e in engines() {
        let o = omega_in(&d, &["replay", "--snapshot", "s0.omsn", "--log", "l.omega", "--cert", "e.cert", "--engine", e]);
        let v = json(&o);
        assert_eq!((code(&o), v["status"].as_str(), v["kind"].as_str()), (0, Some("match"), Some("ecs")), "{e}: {v:#}");
        // one history, two ways: stepped batch by batch, or run in one go to the same tick
        assert_eq!(v["world"]["tick"], 14);
        let o = omega_in(&d, &["replay", "--snapshot", "s0.omsn", "--log", "l.omega", "--cert", "e.cert", "--inject", "12:6:0:phase:3", "--engine", e]);
        let v = json(&o);
        assert_eq!((code(&o), v["first_divergence"]["field"].as_str()), (1, Some("state_hash")), "{e}: {v:#}");
        let x = &v["world_departure"]["difference"];
        assert_eq!((x["tick"].as_u64(), x["entity"].as_str(), x["component"].as_str()), (Some(12), Some("6:0"), Some("phase")), "{e}: {v:#}");
        // refusals: a malformed injection, a reference that is not a world
        let o = omega_in(&d, &["replay", "--log", "l.omega", "--inject", "12:6:0:nothing:3", "--engine", e]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("3301") && err(&o).contains("inject"), "{}", err(&o));
        let o = omega_in(&d, &["replay", "--log", "l.omega", "--world", "b1.json", "--engine", e]);
        assert_eq!(code(&o), 2);
        assert!(err(&o).contains("reference world"), "{}", err(&o));
    }
}
