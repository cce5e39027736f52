//! The live cluster across processes: real `nats-server`s (started here on
//! free loopback ports, stopped by pid), real `omega node` processes on both
//! engines, real `omega publish` producers (docs/CLUSTER.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use common::cluster::{NodeProc, chain_files, committee, node_args, tree_size_reached, write_binary};
use common::nats::{NatsOptions, NatsServer, require_nats};
use common::{blob, code, err, omega, s, tmp};
use omega_core::Event;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("chain")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// 3 nodes (2 native, 1 on the blob when it is built), threshold 2, 4 producers publishing
/// 20,000 events with cross-producer dependencies at once; one node is killed with SIGKILL
/// mid-run and restarted. Every node ends with the same certified chain, it verifies on both
/// engines, and its roots are those of `omega reconcile` over the same events.
#[test]
fn nodes_on_two_engines_certify_one_history_and_survive_kill_9() {
    let Some(_) = require_nats() else { return };
    let dir = tmp("agree");
    let server = NatsServer::start(&NatsOptions::default());
    let comm = committee(&dir, &["n1", "n2", "n3"], 2, &[]);
    let shape = omega_core::event::sample::Shape { nodes: 4, streams: 5, per_stream: 1000, payload: 32 };
    let all = omega_core::event::sample::history(2026, shape);
    // Producer i publishes node i's events; about half of all events depend on another node's.
    let mut files = Vec::new();
    for p in 1..=4u32 {
        let mine: Vec<Event> = all.iter().filter(|e| e.key().node() == p).cloned().collect();
        let f = dir.join(format!("producer{p}.bin"));
        write_binary(&f, &mine);
        files.push(f);
    }
    let third = if blob().is_some() { "wasm" } else { "native" };
    let seal = ["--seal-every", "1000", "--seal-interval", "200", "--delay", "3", "--horizon", "8"];
    let mut n1 = NodeProc::start("n1", node_args(&server.url, "agree", &dir, "n1", &comm, "native", &seal), &dir);
    n1.wait_for("start", 30, |v| v["event"] == "started");
    // n2 (killed with SIGKILL below) and n3 (on the blob) also keep a tile store of their log
    let (t2, t3) = (dir.join("tiles-n2"), dir.join("tiles-n3"));
    let mut n2 = NodeProc::start("n2", node_args(&server.url, "agree", &dir, "n2", &comm, "native", &["--tiles", s(&t2)]), &dir);
    let mut n3 = NodeProc::start("n3", node_args(&server.url, "agree", &dir, "n3", &comm, third, &["--tiles", s(&t3)]), &dir);
    n2.wait_for("start", 60, |v| v["event"] == "started");
    n3.wait_for("start", 60, |v| v["event"] == "started");

    let producers: Vec<Child> = files
        .iter()
        .map(|f| {
            Command::new(common::bin())
                .args(["publish", "--nats", &server.url, "--log", "agree", "--format", "binary", "--input", s(f)])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Kill node 2 once the first certificate formed; the other two keep certifying.
    n2.wait_for("a first certificate", 60, |v| v["event"] == "quorum");
    n2.kill9();
    for p in producers {
        let o = p.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "publish failed: {}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["acked"], 5000, "{v}");
    }
    n1.wait_for("the whole history certified", 120, tree_size_reached(20_000));
    // Restarted after SIGKILL: it verifies its chain, resumes and catches up.
    n2.spawn();
    n2.wait_for("catch-up", 120, tree_size_reached(20_000));
    n3.wait_for("the whole history certified", 120, tree_size_reached(20_000));
    std::thread::sleep(Duration::from_millis(500));
    for n in [&mut n1, &mut n2, &mut n3] {
        assert_eq!(n.term(), 0, "node {} did not stop cleanly: {}", n.name, n.stderr());
        assert!(n.events("sealed").iter().all(|v| v["status"] != "obstruction"), "node {} obstructed: {:?}", n.name, n.events("sealed"));
        assert!(n.events("dissent").is_empty() && n.events("fraud").is_empty(), "node {}: {:?}", n.name, n.lines());
        assert!(n.events("warning").is_empty(), "node {}: {:?}", n.name, n.events("warning"));
    }
    // A write that SIGKILL interrupted leaves a temporary file; the restarted node removed it.
    for d in ["data-n1", "data-n2", "data-n3"] {
        assert!(names(&dir.join(d)).iter().all(|n| n.ends_with(".cert")), "{d}: {:?}", names(&dir.join(d)));
    }
    // One chain, byte for byte, on every node.
    let c1 = chain_files(&dir.join("data-n1"));
    assert!(!c1.is_empty(), "no certificate");
    for other in ["data-n2", "data-n3"] {
        assert!(chain_files(&dir.join(other)) == c1, "{other}'s chain differs: {:?} vs {:?}", names(&dir.join(other)), names(&dir.join("data-n1")));
        assert_eq!(std::fs::read(dir.join(other).join("log.omega")).unwrap(), std::fs::read(dir.join("data-n1/log.omega")).unwrap());
    }
    // The chain verifies on both engines, exported as `omega chain` writes it.
    let out = dir.join("export");
    let o = omega(&["chain", "--data", s(&dir.join("data-n1")), "--committee", s(&comm), "--out", s(&out)]);
    assert_eq!(code(&o), 0, "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let mut certs: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.path()).collect();
    certs.sort();
    let last = certs.pop().unwrap();
    for engine in common::engines() {
        let mut args = vec!["verify", "--engine", engine, "--cert", s(&last), "--committee", s(&comm)];
        for c in &certs {
            args.push("--chain");
            args.push(s(c));
        }
        let o = omega(&args);
        assert_eq!(code(&o), 0, "{engine}: {}", String::from_utf8_lossy(&o.stdout));
    }
    // Batch by batch, the certified roots are `omega reconcile`'s over the same events.
    let log = omega_core::event::frame::read_events(&std::fs::read(dir.join("data-n1/log.omega")).unwrap()).unwrap();
    let leaves: Vec<[u8; 32]> = log.iter().map(|e| e.leaf_hash()).collect();
    for (_, bytes) in &c1 {
        let c = omega_core::certify::cert::Certificate::read(bytes).unwrap();
        let n = usize::try_from(c.checkpoint.tree_size).unwrap();
        assert_eq!(c.checkpoint.root, omega_core::tree::merkle::root(&leaves[..n]), "height {}", c.checkpoint.height);
    }
    // The tile stores are complete and right (checking every file rewrites none), and
    // their checkpoint is the newest quorum certificate's note.
    let note = omega(&["note", "--cert", s(&out.join(last.file_name().unwrap()))]);
    for (t, d) in [(&t2, "data-n2"), (&t3, "data-n3")] {
        let o = omega(&["tiles", "--log", s(&dir.join(d).join("log.omega")), "--out", s(t)]);
        assert_eq!(code(&o), 0, "{}", err(&o));
        let v = common::json(&o);
        assert_eq!((v["size"].as_u64(), v["written"].as_u64(), v["replaced"].as_array().map(Vec::len)), (Some(20_000), Some(0), Some(0)), "{d}: {v}");
        assert_eq!(std::fs::read(t.join("checkpoint")).unwrap(), note.stdout, "{d}");
    }
    let whole = dir.join("all.bin");
    write_binary(&whole, &all);
    let o = omega(&["reconcile", "--format", "binary", "--input", s(&whole)]);
    assert_eq!(code(&o), 0);
    let last = omega_core::certify::cert::Certificate::read(&c1.last().unwrap().1).unwrap();
    let root_hex: String = last.checkpoint.root.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(common::json(&o)["root"], root_hex.as_str());
    drop(server);
}

/// Dissent, fraud, strangers and equivocation, each seen by an honest node:
/// a member that signs a wrong root is reported and never counted; a member
/// that signs two checkpoints at one height is caught with a proof that
/// `omega verify-fraud` accepts offline; a key outside the committee never
/// counts; two events for one id obstruct at once and the quorum certifies
/// the obstruction.
#[test]
fn dissent_fraud_strangers_and_equivocation_are_caught() {
    let Some(_) = require_nats() else { return };
    let dir = tmp("faults");
    let server = NatsServer::start(&NatsOptions::default());
    let comm = committee(&dir, &["f1", "f2", "f3", "f4"], 2, &["x1"]);
    let seal = ["--seal-every", "500", "--seal-interval", "200", "--delay", "1"];
    let mut n1 = NodeProc::start("f1", node_args(&server.url, "faults", &dir, "f1", &comm, "native", &seal), &dir);
    n1.wait_for("start", 30, |v| v["event"] == "started");
    let _n2 = NodeProc::start("f2", node_args(&server.url, "faults", &dir, "f2", &comm, "native", &[]), &dir);
    let _n3 = NodeProc::start("f3", node_args(&server.url, "faults", &dir, "f3", &comm, "native", &["--fault", "wrong-root"]), &dir);
    let _n4 = NodeProc::start("f4", node_args(&server.url, "faults", &dir, "f4", &comm, "native", &["--fault", "double-sign"]), &dir);
    let _x = NodeProc::start("x1", node_args(&server.url, "faults", &dir, "x1", &comm, "native", &[]), &dir);
    std::thread::sleep(Duration::from_millis(500));
    let h = omega_core::event::sample::history(7, omega_core::event::sample::Shape { nodes: 3, streams: 2, per_stream: 250, payload: 16 });
    let f = dir.join("events.bin");
    write_binary(&f, &h);
    let o = omega(&["publish", "--nats", &server.url, "--log", "faults", "--format", "binary", "--input", s(&f)]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    n1.wait_for("the history certified", 60, tree_size_reached(1500));
    n1.wait_for("dissent from f3", 30, |v| v["event"] == "dissent" && v["signer"].as_str().is_some_and(|s| s.starts_with("f3+")));
    n1.wait_for("fraud by f4", 30, |v| v["event"] == "fraud" && v["signer"].as_str().is_some_and(|s| s.starts_with("f4+")) && v["verified"] == true);
    n1.wait_for("the stranger", 30, |v| v["event"] == "stranger" && v["signer"].as_str().is_some_and(|s| s.starts_with("x1+")));
    let fraud = n1.events("fraud").into_iter().find(|v| v["signer"].as_str().is_some_and(|s| s.starts_with("f4+"))).unwrap();
    let proof = fraud["proof"].as_str().unwrap().to_string();
    for engine in common::engines() {
        let o = omega(&["verify-fraud", "--engine", engine, "--committee", s(&comm), "--proof", &proof]);
        assert_eq!(code(&o), 0, "{engine}: {}", String::from_utf8_lossy(&o.stdout));
    }
    // No stored certificate counts f3 (wrong root) or x1 (stranger).
    for (name, bytes) in chain_files(&dir.join("data-f1")) {
        let c = omega_core::certify::cert::Certificate::read(&bytes).unwrap();
        assert!(c.signatures.iter().all(|sig| !sig.name.starts_with("f3") && !sig.name.starts_with("x1")), "{name}");
    }

    // Equivocation: two events for one id, different payloads.
    let next = |p: &[u8]| Event::new(100_000, 1, 0, omega_core::EventId::derived(1, 0, 250), 250, vec![], p.to_vec());
    let eq = dir.join("equivocation.bin");
    write_binary(&eq, &[next(b"pay alice"), next(b"pay bob")]);
    let o = omega(&["publish", "--nats", &server.url, "--log", "faults", "--format", "binary", "--input", s(&eq), "--keep-order"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(common::json(&o)["duplicates"], 0, "JetStream must not hide the second version");
    n1.wait_for("the obstruction", 60, |v| v["event"] == "root" && v["status"] == "obstruction");
    let height = n1.events("root").into_iter().find(|v| v["status"] == "obstruction").unwrap()["height"].as_u64().unwrap();
    n1.wait_for("the obstruction certified", 60, |v| v["event"] == "quorum" && v["height"].as_u64() == Some(height));
    let cert = std::fs::read(dir.join("data-f1/chain").join(format!("{height:012}.cert"))).unwrap();
    let c = omega_core::certify::cert::Certificate::read(&cert).unwrap();
    assert_eq!(c.checkpoint.kind.as_str(), "obstruction");
    assert!(c.checkpoint.evidence.is_some());
    drop(server);
}

/// `omega cluster-demo` (what a newcomer runs) starts its own server and nodes, prints the
/// certificates as they form, ends with the whole sample certified, and leaves nothing running.
#[test]
fn the_cluster_demo_runs_and_cleans_up() {
    let Some(server) = require_nats() else { return };
    let o = Command::new(common::bin()).args(["cluster-demo", "--events", "1200"]).env("OMEGA_NATS_SERVER", &server).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("tree size 1200"), "{out}");
    assert!(out.contains("all three nodes hold the same certified chain of 1200 events"), "{out}");
    let left = Command::new("pgrep").args(["-f", "omega-cluster-demo-"]).output().unwrap();
    assert!(left.stdout.is_empty(), "processes left running: {}", String::from_utf8_lossy(&left.stdout));
}

/// A write that SIGKILL interrupted leaves `<file>.<pid>.<random>.tmp` in `mine/` or `chain/`;
/// the node removes such files when it opens its folder (before it connects anywhere), and
/// keeps everything else.
#[test]
fn a_node_removes_the_temporary_files_a_crash_left() {
    let dir = tmp("leftovers");
    let comm = committee(&dir, &["t1"], 1, &[]);
    let data = dir.join("data-t1");
    for sub in ["mine", "chain"] {
        std::fs::create_dir_all(data.join(sub)).unwrap();
        std::fs::write(data.join(sub).join("000000000003.cert.4242.00ff00ff00ff00ff.tmp"), b"half a certificate").unwrap();
    }
    std::fs::write(data.join("chain/notes.txt"), b"not ours to remove").unwrap();
    // No server listens on port 1: the node opens its folder, then fails to connect.
    let o = omega(&["node", "--nats", "nats://127.0.0.1:1", "--log", "left", "--key", s(&dir.join("t1.key")), "--committee", s(&comm), "--data", s(&data)]);
    assert_eq!(code(&o), 2, "{}", String::from_utf8_lossy(&o.stderr));
    for sub in ["mine", "chain"] {
        let left: Vec<String> = std::fs::read_dir(data.join(sub)).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert!(left.iter().all(|n| !n.ends_with(".tmp")), "{sub}: {left:?}");
    }
    assert!(data.join("chain/notes.txt").is_file());
}

/// `omega node --ecs`: the world follows the stream. Three members on both engines
/// (threshold 3, so the blob's world must agree with the native ones) step one world per
/// batch and sign its tick and hash on each checkpoint's `omega-world` line; a fourth,
/// given another world, dissents at every height (both worlds named) and never counts; a
/// member killed with SIGKILL resumes from its stored world. The last certified world is
/// checked independently: the batch rule replayed here over the certified log, then the
/// applied commands run in one go by op 19 (`omega ecs`'s run) to the same tick and hash.
#[test]
fn the_world_follows_the_stream_and_a_desync_is_dissent() {
    use omega_core::ecs::{Command as WorldCommand, Entity, Op as Cmd, fx::Fx};
    let Some(_) = require_nats() else { return };
    let dir = tmp("world");
    let server = NatsServer::start(&NatsOptions::default());
    let comm = committee(&dir, &["w1", "w2", "w3", "w4"], 3, &[]);
    let cfg = r#"{"seed": 5, "entities": 50, "nodes": 4, "edges_per_entity": 2}"#;
    let world = dir.join("world.json");
    std::fs::write(&world, cfg).unwrap();
    let other = dir.join("other-world.json");
    std::fs::write(&other, r#"{"seed": 6, "entities": 50, "nodes": 4, "edges_per_entity": 2}"#).unwrap();
    // 600 commands (tick about i / 2, so a batch's later commands run ahead of the next
    // batch's first: some are late) and 600 plain events, published by two producers at once
    let cmds: Vec<Event> = (0..600u64)
        .map(|i| {
            let e = Entity { index: (i % 50) as u32, generation: 0 };
            let v = Fx::from_bits(((i % 17) as i64 - 8) << 28);
            let op = match i % 3 {
                0 => Cmd::Sensor { entity: e, value: v },
                1 => Cmd::SetTarget { entity: e, value: v },
                _ => Cmd::Link { a: e, b: Entity { index: ((i * 7) % 50) as u32, generation: 0 }, weight: Fx::from_bits(1 << 30) },
            };
            Event::new(i + 1, 9, 0, omega_core::EventId::derived(9, 0, i), i, vec![], WorldCommand { tick: 2 + i / 2, op }.encode())
        })
        .collect();
    let plain = omega_core::event::sample::history(11, omega_core::event::sample::Shape { nodes: 2, streams: 3, per_stream: 100, payload: 16 });
    let (fc, fp) = (dir.join("commands.bin"), dir.join("plain.bin"));
    write_binary(&fc, &cmds);
    write_binary(&fp, &plain);
    let third = if blob().is_some() { "wasm" } else { "native" };
    let ecs = ["--ecs", s(&world)];
    let seal = ["--seal-every", "150", "--seal-interval", "200", "--delay", "1", "--ecs", s(&world)];
    let mut n1 = NodeProc::start("w1", node_args(&server.url, "world", &dir, "w1", &comm, "native", &seal), &dir);
    n1.wait_for("start", 30, |v| v["event"] == "started");
    let mut n2 = NodeProc::start("w2", node_args(&server.url, "world", &dir, "w2", &comm, third, &ecs), &dir);
    let mut n3 = NodeProc::start("w3", node_args(&server.url, "world", &dir, "w3", &comm, "native", &ecs), &dir);
    let _n4 = NodeProc::start("w4", node_args(&server.url, "world", &dir, "w4", &comm, "native", &["--ecs", s(&other)]), &dir);
    n2.wait_for("start", 60, |v| v["event"] == "started");
    let producers: Vec<Child> = [&fc, &fp]
        .iter()
        .map(|f| {
            Command::new(common::bin())
                .args(["publish", "--nats", &server.url, "--log", "world", "--format", "binary", "--input", s(f)])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    n3.wait_for("a first certificate", 60, |v| v["event"] == "quorum");
    n3.kill9();
    for p in producers {
        let o = p.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "publish failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    n3.spawn();
    let total = (cmds.len() + plain.len()) as u64;
    for n in [&mut n1, &mut n2, &mut n3] {
        n.wait_for("the whole history certified", 120, tree_size_reached(total));
    }
    n1.wait_for("w4's dissent", 30, |v| {
        v["event"] == "dissent" && v["signer"].as_str().is_some_and(|s| s.starts_with("w4+")) && v["our_world"].is_string() && v["their_world"] != v["our_world"]
    });
    assert!(n1.events("world").iter().any(|v| v["late"].as_u64() > Some(0)), "no batch had a late command: the test does not exercise the rule");
    let c1 = chain_files(&dir.join("data-w1"));
    for d in ["data-w2", "data-w3"] {
        assert!(chain_files(&dir.join(d)) == c1, "{d}'s chain differs");
    }
    // Every certificate carries the world line; none counts w4.
    let certs: Vec<omega_core::certify::cert::Certificate> = c1.iter().map(|(_, b)| omega_core::certify::cert::Certificate::read(b).unwrap()).collect();
    for c in &certs {
        assert!(c.checkpoint.world.is_some(), "height {} has no world line", c.checkpoint.height);
        assert!(c.signatures.iter().all(|sig| !sig.name.starts_with("w4")), "height {} counts w4", c.checkpoint.height);
    }
    // The chain verifies on both engines.
    let files: Vec<PathBuf> = c1.iter().map(|(n, _)| dir.join("data-w1/chain").join(n)).collect();
    for engine in common::engines() {
        let (last, rest) = files.split_last().unwrap();
        let mut args = vec!["verify", "--engine", engine, "--cert", s(last), "--committee", s(&comm)];
        for c in rest {
            args.push("--chain");
            args.push(s(c));
        }
        let o = omega(&args);
        assert_eq!(code(&o), 0, "{engine}: {}", String::from_utf8_lossy(&o.stdout));
    }
    // Independently: replay the batch rule over the certified log (batches = the chain's
    // tree sizes), collect the commands it applies, and run them in one go with op 19.
    let log = omega_core::event::frame::read_events(&std::fs::read(dir.join("data-w1/log.omega")).unwrap()).unwrap();
    let (mut tick, mut from, mut applied) = (0u64, 0usize, Vec::new());
    for c in &certs {
        let to = usize::try_from(c.checkpoint.tree_size).unwrap();
        if to == from {
            continue; // an obstruction: the world stands
        }
        let mut batch: Vec<&Event> = log[from..to].iter().collect();
        batch.sort_by_key(|e| e.key());
        let t0 = tick;
        for e in batch {
            if let Ok(cmd) = WorldCommand::decode(e.payload()) {
                if cmd.tick > t0 && cmd.tick <= t0 + 1000 {
                    tick = tick.max(cmd.tick);
                    applied.push(cmd);
                }
            }
        }
        tick = tick.max(t0 + 1);
        assert_eq!(c.checkpoint.world.unwrap().tick, tick, "height {}", c.checkpoint.height);
        from = to;
    }
    let history: Vec<Event> = applied.iter().enumerate().map(|(i, c)| Event::new(i as u64 + 1, 1, 0, omega_core::EventId::derived(1, 0, i as u64), i as u64, vec![], c.encode())).collect();
    let evs_json = omega_core::api::json::events_to_json(&history);
    let r = omega_core::api::ops::run(
        omega_core::api::Op::EcsRun,
        &omega_core::api::ops::make_fields(&[cfg.as_bytes(), tick.to_string().as_bytes(), &evs_json, b"summary", b""]),
    );
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    let w = certs.last().unwrap().checkpoint.world.unwrap();
    assert_eq!(v["end_tick"].as_u64(), Some(w.tick));
    assert_eq!(v["state_hash"].as_str().unwrap(), omega_core::hex::encode(&w.state_hash), "the certified world is not op 19's");
    drop(server);
}

/// `omega certify --world` writes the golden `certify-world` certificate (binary version 2)
/// on both engines, `omega explain` names the world, and a malformed line is refused (3606,
/// exit 2) with nothing written.
#[test]
fn certify_with_a_world_line_from_the_cli() {
    let dir = tmp("certify-world");
    let v = common::vectors().join("certify");
    let f = |ext: &str| v.join(format!("certify-world.{ext}"));
    let want: Value = serde_json::from_slice(&std::fs::read(f("out.json")).unwrap()).unwrap();
    let origin = std::fs::read_to_string(f("origin.txt")).unwrap();
    let world = std::fs::read_to_string(f("world.txt")).unwrap();
    // a signer key must be private to its owner: a copy with mode 600
    let key = dir.join("signer.key");
    std::fs::copy(f("key.txt"), &key).unwrap();
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    for engine in common::engines() {
        let out = dir.join(format!("{engine}.cert"));
        let o = omega(&[
            "certify", "--engine", engine, "--result", s(&f("result.json")), "--key", s(&key), "--origin", &origin,
            "--committee", s(&f("committee.json")), "--world", &world, "--out", s(&out),
        ]);
        assert_eq!(code(&o), 0, "{engine}: {}", String::from_utf8_lossy(&o.stderr));
        use base64::Engine as _;
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(base64::engine::general_purpose::STANDARD.encode(&bytes), want["certificate"].as_str().unwrap(), "{engine}");
        let o = omega(&["explain", "--engine", engine, "--cert", s(&out)]);
        assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("world        tick {}", want["world"]["tick"])), "{engine}: {}", String::from_utf8_lossy(&o.stdout));
        let bad = dir.join(format!("{engine}-bad.cert"));
        let o = omega(&[
            "certify", "--engine", engine, "--result", s(&f("result.json")), "--key", s(&key), "--origin", &origin, "--world", "8 nothex",
            "--out", s(&bad),
        ]);
        assert_eq!(code(&o), 2, "{engine}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("error 3606"), "{engine}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(!bad.exists());
    }
}
