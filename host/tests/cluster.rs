//! The live cluster across processes: real `nats-server`s (started here on
//! free loopback ports, stopped by pid), real `omega node` processes on both
//! engines, real `omega publish` producers (docs/CLUSTER.md).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use common::cluster::{NodeProc, chain_files, committee, node_args, tree_size_reached, write_binary};
use common::nats::{NatsOptions, NatsServer, require_nats};
use common::{blob, code, omega, s, tmp};
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
    let mut n2 = NodeProc::start("n2", node_args(&server.url, "agree", &dir, "n2", &comm, "native", &[]), &dir);
    let mut n3 = NodeProc::start("n3", node_args(&server.url, "agree", &dir, "n3", &comm, third, &[]), &dir);
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
