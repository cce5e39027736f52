//! `omega ecs` end to end: per-tick lines, snapshot and continue on the other
//! engine, `ecs diff` localising an injected bit flip, and certifying a tick.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn omega_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omega")).current_dir(dir).args(args).output().expect("run omega")
}

fn lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn blob() -> bool {
    let ok = Path::new(env!("CARGO_MANIFEST_DIR")).join("../wasm/dist/omega_wasm_bg.wasm").is_file();
    assert!(ok || std::env::var_os("OMEGA_REQUIRE_BLOB").is_none(), "no blob: run `cargo xtask blob`");
    ok
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("omega-ecs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn lines_snapshot_continue_on_the_other_engine() {
    let dir = tmp("run");
    let full = omega_in(&dir, &["ecs", "--ticks", "60", "--entities", "200"]);
    assert_eq!(full.status.code(), Some(0), "{}", String::from_utf8_lossy(&full.stderr));
    let l = lines(&full);
    assert_eq!(l.len(), 62, "header, 60 ticks, summary");
    assert_eq!(l[0]["omega_ecs"], 1);
    assert_eq!(l[60]["tick"], 60);
    let other = if blob() { "wasm" } else { "native" };
    let half = omega_in(&dir, &["ecs", "--ticks", "30", "--entities", "200", "--snapshot", "s30.omgw", "--quiet"]);
    assert_eq!(half.status.code(), Some(0));
    let rest = omega_in(&dir, &["ecs", "--ticks", "30", "--from", "s30.omgw", "--engine", other]);
    let r = lines(&rest);
    assert_eq!(r[30]["state_hash"], l[60]["state_hash"], "restore on {other} then continue = never stopping");
    assert_eq!(r[1]["tick"], 31);
}

#[test]
fn diff_names_the_injected_tick_entity_and_component() {
    let dir = tmp("diff");
    let base = omega_in(&dir, &["ecs", "--ticks", "80", "--entities", "120"]);
    std::fs::write(dir.join("a.jsonl"), &base.stdout).unwrap();
    for (i, comp) in ["node", "target", "pid", "field", "phase"].iter().enumerate() {
        let spec = format!("{}:{}:0:{comp}:{}", 30 + i, 11 + i, 3 + i);
        let o = omega_in(&dir, &["ecs", "--ticks", "80", "--entities", "120", "--inject", &spec]);
        std::fs::write(dir.join("b.jsonl"), &o.stdout).unwrap();
        let d = omega_in(&dir, &["ecs", "diff", "a.jsonl", "b.jsonl"]);
        assert_eq!(d.status.code(), Some(1), "{}", String::from_utf8_lossy(&d.stderr));
        let v: serde_json::Value = serde_json::from_slice(&d.stdout).unwrap();
        assert_eq!(v["first_differing_tick"], 30 + i as u64, "{spec}: {v}");
        assert_eq!(v["first_difference"]["entity"], format!("{}:0", 11 + i), "{spec}: {v}");
        assert_eq!(v["first_difference"]["component"], *comp, "{spec}: {v}");
    }
    let same = omega_in(&dir, &["ecs", "diff", "a.jsonl", "a.jsonl"]);
    assert_eq!(same.status.code(), Some(0));
}

#[test]
fn certify_a_world_tick() {
    let dir = tmp("cert");
    assert_eq!(omega_in(&dir, &["keygen", "--name", "t.example/w", "--out", "w.key"]).status.code(), Some(0));
    let run = omega_in(&dir, &["ecs", "--ticks", "25", "--entities", "50", "--quiet"]);
    let summary = String::from_utf8_lossy(&run.stdout).lines().last().unwrap().to_string();
    std::fs::write(dir.join("summary.json"), &summary).unwrap();
    let o = omega_in(&dir, &["certify", "--result", "summary.json", "--key", "w.key", "--origin", "t.example/world", "--out", "w.cert"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((v["kind"].as_str(), v["tick"].as_u64()), (Some("ecs"), Some(25)));
    let note = omega_in(&dir, &["note", "--cert", "w.cert"]);
    assert!(String::from_utf8_lossy(&note.stdout).contains("omega-kind ecs\n") && String::from_utf8_lossy(&note.stdout).contains("omega-tick 25\n"));
}

/// A snapshot (OMSN) holds a history's state and the world it drives: the
/// world runs on from it as from its own bytes, on either engine, a replay
/// reads its state, and a snapshot of it keeps the world.
#[test]
fn a_snapshot_holds_the_world_and_the_world_runs_on_from_it() {
    let dir = tmp("omsn");
    let ok = |o: &Output| assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&omega_in(&dir, &["ecs", "--ticks", "20", "--entities", "100", "--snapshot", "w20.omgw", "--quiet"]));
    ok(&omega_in(&dir, &["sample", "--seed", "4", "--nodes", "2", "--streams", "2", "--per-stream", "5", "--out", "h.json"]));
    let r = omega_in(&dir, &["reconcile", "-i", "h.json"]);
    ok(&r);
    std::fs::write(dir.join("r.json"), &r.stdout).unwrap();
    let o = omega_in(&dir, &["snapshot", "--state", "r.json", "--world", "w20.omgw", "--out", "s.omsn"]);
    ok(&o);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["world"]["tick"], 20);
    assert_eq!(v["tree_size"], 20);
    let other = if blob() { "wasm" } else { "native" };
    let a = omega_in(&dir, &["ecs", "--ticks", "10", "--from", "w20.omgw"]);
    let b = omega_in(&dir, &["ecs", "--ticks", "10", "--from", "s.omsn", "--engine", other]);
    ok(&b);
    assert_eq!(lines(&a).last().unwrap()["state_hash"], lines(&b).last().unwrap()["state_hash"]);
    // a snapshot of the snapshot keeps its world, byte for byte
    ok(&omega_in(&dir, &["snapshot", "--state", "s.omsn", "--out", "s2.omsn", "--engine", other]));
    assert_eq!(std::fs::read(dir.join("s.omsn")).unwrap(), std::fs::read(dir.join("s2.omsn")).unwrap());
    // a snapshot with no world is not a world (4001)
    ok(&omega_in(&dir, &["snapshot", "--state", "r.json", "--out", "plain.omsn"]));
    let o = omega_in(&dir, &["ecs", "--ticks", "1", "--from", "plain.omsn"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("4001"), "{}", String::from_utf8_lossy(&o.stderr));
}
