//! The live cluster against what NATS itself does: a three-server NATS
//! cluster losing a server, least-privilege users, re-sends inside and beyond
//! JetStream's duplicate window, and a node killed again and again while
//! producers keep publishing (docs/CLUSTER.md). Real `nats-server`s, real
//! `omega node` and `omega publish` processes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use common::cluster::{NodeProc, chain_files, check_roots, committee, node_args, tree_size_reached, write_binary};
use common::nats::{AuthConfig, NatsCluster, NatsOptions, NatsServer, READY_TIMEOUT, User, require_nats};
use common::{blob, code, omega, s, tmp};
use omega_core::Event;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A sample history in canonical (key) order.
fn history(seed: u64, nodes: u32, streams: u16, per_stream: u64) -> Vec<Event> {
    let shape = omega_core::event::sample::Shape { nodes, streams, per_stream, payload: 16 };
    let mut h = omega_core::event::sample::history(seed, shape);
    h.sort_by_cached_key(|e| (e.key(), e.leaf_hash()));
    h
}

/// `omega publish --nats URL --log LOG --format binary --input FILE EXTRA...`: must exit 0; its JSON.
fn publish(url: &str, log: &str, file: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["publish", "--nats", url, "--log", log, "--format", "binary", "--input", s(file)];
    args.extend_from_slice(extra);
    let o = omega(&args);
    assert_eq!(code(&o), 0, "publish {}: {}", file.display(), String::from_utf8_lossy(&o.stderr));
    common::json(&o)
}

/// The root `omega reconcile` gives for `events` (hex).
fn reconcile_root(dir: &Path, events: &[Event]) -> String {
    let f = dir.join("all-events.bin");
    write_binary(&f, events);
    let o = omega(&["reconcile", "--format", "binary", "--input", s(&f)]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    common::json(&o)["root"].as_str().unwrap().to_string()
}

/// Stops every node (SIGTERM: a clean stop) and checks what all tests want: no obstruction,
/// dissent, fraud or fork; one chain and one log, byte for byte, on every node; each
/// certificate's root is the Merkle root of the log's prefix. Returns the last certified root.
fn stop_and_compare(dir: &Path, nodes: &mut [&mut NodeProc]) -> String {
    for n in nodes.iter_mut() {
        assert_eq!(n.term(), 0, "node {} did not stop cleanly: {}", n.name, n.stderr());
        assert!(n.events("sealed").iter().all(|v| v["status"] != "obstruction"), "node {} obstructed: {:?}", n.name, n.events("sealed"));
        for bad in ["dissent", "fraud", "fork", "invalid_certificate", "bad_event"] {
            assert!(n.events(bad).is_empty(), "node {}: {bad}: {:?}", n.name, n.events(bad));
        }
    }
    let data = |n: &NodeProc| dir.join(format!("data-{}", n.name));
    let first = data(nodes[0]);
    let c1 = chain_files(&first);
    let root = check_roots(&first);
    for n in nodes.iter().skip(1) {
        assert_eq!(chain_files(&data(n)), c1, "{}'s chain differs from {}'s", n.name, nodes[0].name);
        assert_eq!(std::fs::read(data(n).join("log.omega")).unwrap(), std::fs::read(first.join("log.omega")).unwrap(), "{}'s log differs", n.name);
    }
    root
}

/// A runtime for the test's own NATS clients.
fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Connects as a test client to these URLs (`user`/`password` optional); server errors
/// (permission violations) are collected into the returned list.
async fn client(urls: &[String], user: Option<(&str, &str)>) -> (async_nats::Client, Arc<std::sync::Mutex<Vec<String>>>) {
    let errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let e2 = errors.clone();
    let mut o = async_nats::ConnectOptions::new().event_callback(move |ev| {
        let e2 = e2.clone();
        async move {
            if let async_nats::Event::ServerError(e) = ev {
                e2.lock().unwrap().push(e.to_string());
            }
        }
    });
    if let Some((u, p)) = user {
        o = o.user_and_password(u.into(), p.into());
    }
    let addrs: Vec<async_nats::ServerAddr> = urls.iter().map(|u| u.parse().unwrap()).collect();
    (o.connect(addrs.as_slice()).await.unwrap(), errors)
}

/// The server names of the leaders of a stream's consumers (one per reading node).
async fn consumer_leaders(urls: &[String], stream: &str) -> Vec<String> {
    use futures_util::StreamExt;
    let (c, _) = client(urls, None).await;
    let st = async_nats::jetstream::new(c).get_stream(stream).await.unwrap();
    let mut cs = st.consumers();
    let mut v = Vec::new();
    while let Some(ci) = cs.next().await {
        v.extend(ci.unwrap().cluster.and_then(|c| c.leader));
    }
    v
}

/// The names of the `omega node` connections a server holds (its `/connz`).
fn node_connections(server: &NatsServer) -> Vec<String> {
    let connz = server.monitor("/connz").unwrap_or_default();
    connz["connections"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str()).filter(|n| n.starts_with("omega node")).map(str::to_string).collect())
        .unwrap_or_default()
}

/// 3 routed nats-servers, the stream with 3 replicas; 3 nodes (one on the blob), each given
/// the server list starting at another server; 6,000 events in two halves, and between them
/// the server holding the most node connections is killed (SIGKILL). Every node certifies
/// all 6,000 events, the chains are identical, nothing obstructs; the server restarts and
/// catches up on the stream.
#[test]
fn a_three_server_nats_cluster_loses_a_server_and_nothing_is_lost() {
    let Some(_) = require_nats() else { return };
    let dir = tmp("three");
    let mut cluster = NatsCluster::start(3);
    let urls = cluster.url_list();
    let rotated = |i: usize| (0..3).map(|j| urls[(i + j) % 3].clone()).collect::<Vec<_>>().join(",");
    let comm = committee(&dir, &["c1", "c2", "c3"], 2, &[]);
    let third = if blob().is_some() { "wasm" } else { "native" };
    let seal = ["--seal-every", "1000", "--seal-interval", "300", "--replicas", "3"];
    let mut n1 = NodeProc::start("c1", node_args(&rotated(0), "three", &dir, "c1", &comm, "native", &seal), &dir);
    n1.wait_for("start", 30, |v| v["event"] == "started");
    let mut n2 = NodeProc::start("c2", node_args(&rotated(1), "three", &dir, "c2", &comm, "native", &[]), &dir);
    let mut n3 = NodeProc::start("c3", node_args(&rotated(2), "three", &dir, "c3", &comm, third, &[]), &dir);
    n2.wait_for("start", 30, |v| v["event"] == "started");
    n3.wait_for("start", 30, |v| v["event"] == "started");

    // The stream the first node created is replicated on all three servers.
    let runtime = rt();
    let (leader, replicas) = runtime.block_on(async {
        let (c, _) = client(&urls, None).await;
        let js = async_nats::jetstream::new(c);
        let mut st = js.get_stream("OMEGA_three").await.unwrap();
        let info = st.info().await.unwrap().clone();
        assert_eq!(info.config.num_replicas, 3);
        let cl = info.cluster.clone().unwrap();
        (cl.leader.unwrap_or_default(), cl.replicas.len())
    });
    assert_eq!(replicas, 2, "the stream's leader and two replicas");

    let all = history(14, 3, 4, 500);
    assert_eq!(all.len(), 6000);
    let (a, b) = all.split_at(3000);
    let (fa, fb) = (dir.join("first.bin"), dir.join("second.bin"));
    write_binary(&fa, a);
    write_binary(&fb, b);
    let v = publish(&rotated(0), "three", &fa, &[]);
    assert_eq!(v["acked"], 3000, "{v}");
    for n in [&mut n1, &mut n2, &mut n3] {
        n.wait_for("the first half certified", 30, tree_size_reached(3000));
    }

    // Kill the server that hosts the most of the nodes' stream readers (their ordered
    // consumers are single-replica, so those must be recreated elsewhere), then the most node
    // connections (those nodes must reconnect to another server).
    let consumers = runtime.block_on(consumer_leaders(&urls, "OMEGA_three"));
    let score = |i: usize| {
        let name = &cluster.servers[i].server_name;
        (consumers.iter().filter(|l| *l == name).count(), node_connections(&cluster.servers[i]).len())
    };
    let victim = (0..3).max_by_key(|&i| score(i)).unwrap();
    let victim_name = cluster.servers[victim].server_name.clone();
    eprintln!(
        "killing {victim_name} (stream leader {leader}; node readers on {consumers:?}; it holds {:?})",
        node_connections(&cluster.servers[victim])
    );
    cluster.servers[victim].kill();
    let killed_at = Instant::now();
    cluster.wait_ready(READY_TIMEOUT);
    let live: Vec<String> = urls.iter().enumerate().filter(|(i, _)| *i != victim).map(|(_, u)| u.clone()).collect();
    // A stream whose leader died has none until the two others elect one.
    runtime.block_on(async {
        let (c, _) = client(&live, None).await;
        let js = async_nats::jetstream::new(c);
        loop {
            if let Ok(mut st) = js.get_stream("OMEGA_three").await
                && let Ok(i) = st.info().await
                && i.cluster.as_ref().and_then(|c| c.leader.as_deref()).is_some_and(|l| l != victim_name)
            {
                break;
            }
            assert!(killed_at.elapsed() < Duration::from_secs(30), "the stream has no leader 30 s after losing a server");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    // The second half goes to whichever server answers (the dead one is in the list too).
    let v = publish(&urls.join(","), "three", &fb, &[]);
    assert_eq!(v["acked"], 3000, "{v}");
    assert_eq!(v["duplicates"], 0, "{v}");
    for n in [&mut n1, &mut n2, &mut n3] {
        n.wait_for("all 6000 events certified after losing a server", 30, tree_size_reached(6000));
    }
    eprintln!("all certified {:?} after the kill", killed_at.elapsed());

    // The server comes back and catches up on the stream.
    let last_seq = runtime.block_on(async {
        let (c, _) = client(&live, None).await;
        let mut st = async_nats::jetstream::new(c).get_stream("OMEGA_three").await.unwrap();
        st.info().await.unwrap().state.last_sequence
    });
    cluster.servers[victim].restart_no_wait();
    cluster.wait_ready(READY_TIMEOUT);
    let t = Instant::now();
    let replica_seq = || -> Option<u64> {
        let jsz = cluster.servers[victim].monitor("/jsz?accounts=true&streams=true")?;
        jsz["account_details"].as_array()?.iter().flat_map(|a| a["stream_detail"].as_array().cloned().unwrap_or_default()).find(|s| s["name"] == "OMEGA_three")?["state"]["last_seq"].as_u64()
    };
    while replica_seq() != Some(last_seq) {
        assert!(t.elapsed() < Duration::from_secs(30), "the restarted server's replica: last_seq {:?}, the stream's {last_seq}", replica_seq());
        std::thread::sleep(Duration::from_millis(100));
    }

    let root = stop_and_compare(&dir, &mut [&mut n1, &mut n2, &mut n3]);
    assert_eq!(root, reconcile_root(&dir, &all));
    let n = omega_core::event::frame::read_events(&std::fs::read(dir.join("data-c1/log.omega")).unwrap()).unwrap().len();
    assert_eq!(n, 6000);
}

/// Least privilege, as docs/CLUSTER.md's permission table grants it: the producer may only
/// publish events. Its events land; `omega seal` as the producer fails; raw seals,
/// signatures and certificates it sends are refused by the server and never reach the
/// stream; then a node (with the node role) seals and the committee certifies the
/// producer's events, and a reader (the reader role) exports the chain from the stream.
#[test]
fn a_producer_without_permission_cannot_seal_or_sign() {
    let Some(_) = require_nats() else { return };
    let dir = tmp("perm");
    let auth = AuthConfig {
        users: vec![
            User::new("node", "node-pw").publish(&["omega.perm.>", "$JS.API.>"]).subscribe(&["_INBOX.>"]),
            User::new("producer", "producer-pw").publish(&["omega.perm.events"]).subscribe(&["_INBOX.>"]),
            User::new("reader", "reader-pw").publish(&["$JS.API.>"]).subscribe(&["_INBOX.>"]),
        ],
    };
    let server = NatsServer::start(&NatsOptions { auth: Some(auth), ..Default::default() });
    let urls = vec![server.url.clone()];
    let comm = committee(&dir, &["p1", "p2"], 2, &[]);
    let as_node = ["--user", "node", "--password", "node-pw"];
    // p1 creates the stream but does not seal (so whatever seal lands would be the producer's).
    let mut p1 = NodeProc::start("p1", node_args(&server.url, "perm", &dir, "p1", &comm, "native", &as_node), &dir);
    p1.wait_for("start", 30, |v| v["event"] == "started");

    let events = history(21, 2, 3, 100);
    let f = dir.join("events.bin");
    write_binary(&f, &events);
    let v = publish(&server.url, "perm", &f, &["--user", "producer", "--password", "producer-pw"]);
    assert_eq!(v["acked"], 600, "{v}");

    let o = omega(&["seal", "--nats", &server.url, "--log", "perm", "--user", "producer", "--password", "producer-pw"]);
    assert_ne!(code(&o), 0, "the producer sealed: {}", String::from_utf8_lossy(&o.stdout));

    // Raw messages on the other subjects, as the producer: each one refused by the server.
    let rt = rt();
    let refused = rt.block_on(async {
        let (c, errors) = client(&urls, Some(("producer", "producer-pw"))).await;
        let forged = std::fs::read(dir.join("p1.key")).unwrap(); // any bytes: they must not land
        for subject in ["omega.perm.seal", "omega.perm.sig", "omega.perm.cert"] {
            let body: Vec<u8> = if subject.ends_with("seal") { br#"{"n":1,"horizon":8,"delay":0}"#.to_vec() } else { forged.clone() };
            c.publish(subject, body.into()).await.unwrap();
            c.flush().await.unwrap();
        }
        let t = Instant::now();
        while errors.lock().unwrap().len() < 3 && t.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        errors.lock().unwrap().clone()
    });
    assert_eq!(refused.len(), 3, "the server refused: {refused:?}");
    for (e, subject) in refused.iter().zip(["omega.perm.seal", "omega.perm.sig", "omega.perm.cert"]) {
        assert!(e.contains("Permissions Violation") && e.contains(subject), "{e}");
    }
    // As the node user: the stream holds the 600 events and nothing else.
    let per_subject = rt.block_on(async {
        let (c, _) = client(&urls, Some(("node", "node-pw"))).await;
        let st = async_nats::jetstream::new(c).get_stream("OMEGA_perm").await.unwrap();
        let info = st.info_with_subjects("omega.perm.>").await.unwrap();
        use futures_util::StreamExt;
        let subjects: Vec<(String, usize)> = info.map(|x| x.unwrap()).collect().await;
        let last_seal = st.get_last_raw_message_by_subject("omega.perm.seal").await;
        assert!(last_seal.is_err(), "a seal is in the stream: {last_seal:?}");
        subjects
    });
    assert_eq!(per_subject, vec![("omega.perm.events".to_string(), 600)]);
    assert!(p1.events("sealed").is_empty() && p1.events("signature").is_empty(), "{:?}", p1.lines());

    // The node role seals; the committee certifies the producer's events.
    let seal = ["--user", "node", "--password", "node-pw", "--seal-interval", "200"];
    let mut p2 = NodeProc::start("p2", node_args(&server.url, "perm", &dir, "p2", &comm, "native", &seal), &dir);
    for n in [&mut p1, &mut p2] {
        n.wait_for("the producer's events certified", 30, tree_size_reached(600));
    }
    let root = stop_and_compare(&dir, &mut [&mut p1, &mut p2]);
    assert_eq!(root, reconcile_root(&dir, &events));

    // The reader role exports the chain from the stream.
    let out = dir.join("export");
    let o = std::process::Command::new(common::bin())
        .args(["chain", "--nats", &server.url, "--log", "perm", "--committee", s(&comm), "--out", s(&out)])
        .env("OMEGA_NATS_USER", "reader")
        .env("OMEGA_NATS_PASSWORD", "reader-pw")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let exported: Vec<Vec<u8>> = {
        let mut v: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().map(|e| e.path()).collect();
        v.sort();
        v.iter().map(|p| std::fs::read(p).unwrap()).collect()
    };
    let stored: Vec<Vec<u8>> = chain_files(&dir.join("data-p1")).into_iter().map(|(_, b)| b).collect();
    assert_eq!(exported, stored, "the reader's export differs from the node's chain");
}

/// Re-sends never change a root. Inside JetStream's duplicate window the server drops them
/// (`omega publish` reports every one as a duplicate); beyond it (sent here without a
/// message id, which is what such a re-send looks like) every node drops them itself: each
/// counts them as `resent`, nothing obstructs, no height is added, the tree stays N events.
#[test]
fn re_sent_events_never_change_a_root() {
    let Some(_) = require_nats() else { return };
    let dir = tmp("resend");
    let server = NatsServer::start(&NatsOptions::default());
    let comm = committee(&dir, &["r1", "r2", "r3"], 2, &[]);
    let third = if blob().is_some() { "wasm" } else { "native" };
    let mut r1 = NodeProc::start("r1", node_args(&server.url, "resend", &dir, "r1", &comm, "native", &["--seal-interval", "200"]), &dir);
    r1.wait_for("start", 30, |v| v["event"] == "started");
    let mut r2 = NodeProc::start("r2", node_args(&server.url, "resend", &dir, "r2", &comm, "native", &[]), &dir);
    let mut r3 = NodeProc::start("r3", node_args(&server.url, "resend", &dir, "r3", &comm, third, &[]), &dir);
    let events = history(33, 3, 3, 100);
    let n = events.len() as u64;
    let f = dir.join("events.bin");
    write_binary(&f, &events);
    let v = publish(&server.url, "resend", &f, &[]);
    assert_eq!((v["acked"].as_u64(), v["duplicates"].as_u64()), (Some(n), Some(0)), "{v}");
    for r in [&mut r1, &mut r2, &mut r3] {
        r.wait_for("the history certified", 30, tree_size_reached(n));
    }
    let roots_before: Vec<usize> = [&r1, &r2, &r3].iter().map(|r| r.events("root").len()).collect();

    // Inside the window: JetStream drops every one.
    let v = publish(&server.url, "resend", &f, &[]);
    assert_eq!((v["acked"].as_u64(), v["duplicates"].as_u64()), (Some(n), Some(n)), "{v}");
    // Beyond it: they reach the stream, and every node drops every one.
    let v = publish(&server.url, "resend", &f, &["--no-msg-id"]);
    assert_eq!((v["acked"].as_u64(), v["duplicates"].as_u64()), (Some(n), Some(0)), "{v}");
    for r in [&mut r1, &mut r2, &mut r3] {
        r.wait_for("a seal after the re-sends, counting them", 30, |v| v["event"] == "sealed" && v["resent"].as_u64() == Some(n));
    }
    std::thread::sleep(Duration::from_millis(1000)); // a few more seals' time: nothing may follow
    for (r, before) in [&r1, &r2, &r3].iter().zip(&roots_before) {
        assert_eq!(r.events("root").len(), *before, "node {} added a height: {:?}", r.name, r.events("root"));
        assert!(r.events("quorum").iter().all(|q| q["tree_size"].as_u64() <= Some(n)), "node {}", r.name);
        let last = r.events("sealed").last().cloned().unwrap();
        assert_eq!((last["status"].as_str(), last["batch"].as_u64()), (Some("empty"), Some(0)), "node {}: {last}", r.name);
    }
    let root = stop_and_compare(&dir, &mut [&mut r1, &mut r2, &mut r3]);
    assert_eq!(root, reconcile_root(&dir, &events));
    let log = omega_core::event::frame::read_events(&std::fs::read(dir.join("data-r1/log.omega")).unwrap()).unwrap();
    assert_eq!(log.len() as u64, n);
}

/// A node killed with SIGKILL twice while producers keep publishing small files: each time
/// it restarts from its folder and catches up while events still flow; at the end every node
/// holds the same chain, and its root is `omega reconcile`'s over all the events.
#[test]
fn a_node_restarted_mid_stream_catches_up_while_events_still_flow() {
    let Some(_) = require_nats() else { return };
    let dir = tmp("restart");
    let server = NatsServer::start(&NatsOptions::default());
    let comm = committee(&dir, &["s1", "s2", "s3"], 2, &[]);
    let third = if blob().is_some() { "wasm" } else { "native" };
    let seal = ["--seal-every", "300", "--seal-interval", "150"];
    let mut s1 = NodeProc::start("s1", node_args(&server.url, "restart", &dir, "s1", &comm, "native", &seal), &dir);
    s1.wait_for("start", 30, |v| v["event"] == "started");
    let mut s2 = NodeProc::start("s2", node_args(&server.url, "restart", &dir, "s2", &comm, "native", &[]), &dir);
    let mut s3 = NodeProc::start("s3", node_args(&server.url, "restart", &dir, "s3", &comm, third, &[]), &dir);
    s2.wait_for("start", 30, |v| v["event"] == "started");
    s3.wait_for("start", 30, |v| v["event"] == "started");

    // 3,600 events in key order, as 30 files of 120, published one `omega publish` after another.
    let events = history(44, 4, 3, 300);
    let total = events.len() as u64;
    let files: Vec<std::path::PathBuf> = events
        .chunks(120)
        .enumerate()
        .map(|(i, c)| {
            let f = dir.join(format!("part-{i:02}.bin"));
            write_binary(&f, c);
            f
        })
        .collect();
    let parts = files.len();
    let done = Arc::new(AtomicUsize::new(0));
    let producer = {
        let (done, url) = (done.clone(), server.url.clone());
        std::thread::spawn(move || {
            for f in &files {
                let v = publish(&url, "restart", f, &[]);
                assert_eq!(v["acked"], 120, "{v}");
                done.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    let wait_parts = |k: usize| {
        let t = Instant::now();
        while done.load(Ordering::SeqCst) < k {
            assert!(t.elapsed() < Duration::from_secs(30), "the producer is stuck at {} files", done.load(Ordering::SeqCst));
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    for (round, at) in [(1usize, parts / 3), (2, 2 * parts / 3)] {
        wait_parts(at);
        s2.kill9();
        std::thread::sleep(Duration::from_millis(300));
        s2.spawn();
        s2.wait_until("the restart", 30, |l| l.iter().filter(|v| v["event"] == "started").count() == round + 1);
        // It resumed where its folder says, then read on while the producer kept publishing.
        let sealed = s2.events("sealed").len();
        s2.wait_until("a batch after the restart", 30, |l| l.iter().filter(|v| v["event"] == "sealed").count() > sealed);
        assert!(done.load(Ordering::SeqCst) < parts, "the producer finished before restart {round} had caught on");
    }
    producer.join().expect("the producer failed");
    for n in [&mut s1, &mut s2, &mut s3] {
        n.wait_for("every event certified", 30, tree_size_reached(total));
    }
    let starts = s2.events("started");
    assert_eq!(starts.len(), 3);
    assert!(starts[1]["resume_seq"].as_u64() > Some(1) && starts[2]["resume_seq"] .as_u64() > starts[1]["resume_seq"].as_u64(), "{starts:?}");
    let root = stop_and_compare(&dir, &mut [&mut s1, &mut s2, &mut s3]);
    assert_eq!(root, reconcile_root(&dir, &events));
}

/// `omega publish` rides out a stream with no leader: two of three servers die (no JetStream
/// quorum, every publish fails), the producer keeps re-sending each event for `--retry-for`,
/// one server comes back, a leader is elected, and every event lands exactly once (its message
/// id drops the copies a failed ack hid); a node started afterwards certifies all of them.
#[test]
fn publish_retries_while_the_stream_has_no_leader() {
    let Some(_) = require_nats() else { return };
    let dir = tmp("no-leader");
    let mut cluster = NatsCluster::start(3);
    let urls = cluster.url_list();
    let comm = committee(&dir, &["r1"], 1, &[]);
    // a node creates the stream (3 replicas) and stops
    let args = node_args(&urls.join(","), "noleader", &dir, "r1", &comm, "native", &["--replicas", "3", "--seal-every", "500", "--seal-interval", "200"]);
    let mut n1 = NodeProc::start("r1", args, &dir);
    n1.wait_for("start", 30, |v| v["event"] == "started");
    assert_eq!(n1.term(), 0);

    cluster.servers[1].kill();
    cluster.servers[2].kill();
    let all = history(21, 2, 2, 500);
    let f = dir.join("events.bin");
    write_binary(&f, &all);
    let producer = std::process::Command::new(common::bin())
        .args(["publish", "--nats", &urls[0], "--log", "noleader", "--format", "binary", "--input", s(&f), "--retry-for", "120"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut producer = KillOnDrop(Some(producer));
    // No quorum: nothing can be stored while the two are down (longer than the 5 s an ack is
    // awaited after the 5 s its stream lookup waits, so publishes fail and are re-sent).
    std::thread::sleep(Duration::from_secs(15));
    assert!(producer.running(), "publish ended without a stream leader");
    cluster.servers[1].restart_no_wait();
    let o = producer.take().wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["acked"], 2000, "{v}");
    assert!(v["retries"].as_u64().unwrap() > 0, "no event was re-sent: {v}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("retrying for up to 120 s"), "{}", String::from_utf8_lossy(&o.stderr));
    // every event stored once: a node certifies exactly the history
    cluster.servers[1].wait_ready(READY_TIMEOUT);
    n1.spawn();
    n1.wait_for("all 2000 certified", 60, tree_size_reached(2000));
    assert_eq!(n1.term(), 0);
    let n = omega_core::event::frame::read_events(&std::fs::read(dir.join("data-r1/log.omega")).unwrap()).unwrap().len();
    assert_eq!(n, 2000);
    assert_eq!(check_roots(&dir.join("data-r1")), reconcile_root(&dir, &all));
}

/// A child process killed (by pid) when the guard drops, unless taken.
struct KillOnDrop(Option<std::process::Child>);
impl KillOnDrop {
    fn running(&mut self) -> bool {
        self.0.as_mut().is_some_and(|c| c.try_wait().unwrap().is_none())
    }
    fn take(&mut self) -> std::process::Child {
        self.0.take().unwrap()
    }
}
impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `omega publish` puts the events in the stream in the file's (canonical) order, acks awaited
/// thousands at a time: the stream read back is the file, message for message. (Sending each
/// event from its own task once scrambled the order under load, which the cut then carried.)
#[test]
fn publish_keeps_the_order_of_its_events() {
    let Some(_) = require_nats() else { return };
    let dir = tmp("order");
    let server = NatsServer::start(&NatsOptions::default());
    let comm = committee(&dir, &["o1"], 1, &[]);
    let mut n1 = NodeProc::start("o1", node_args(&server.url, "order", &dir, "o1", &comm, "native", &[]), &dir);
    n1.wait_for("start", 30, |v| v["event"] == "started");
    assert_eq!(n1.term(), 0);
    let all = history(5, 4, 5, 1000);
    let f = dir.join("events.bin");
    write_binary(&f, &all);
    // 8,192 in flight, above async-nats's own 5,000 (which once made publish wait on itself
    // forever): bounded here, so that defect fails the test instead of hanging it
    let child = std::process::Command::new(common::bin())
        .args(["publish", "--nats", &server.url, "--log", "order", "--format", "binary", "--input", s(&f), "--max-inflight", "8192"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut p = KillOnDrop(Some(child));
    let t = Instant::now();
    while p.running() {
        assert!(t.elapsed() < Duration::from_secs(120), "publish --max-inflight 8192 did not finish in 120 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    let o = p.take().wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["acked"], 20_000, "{v}");
    let got: Vec<Vec<u8>> = rt().block_on(async {
        use futures_util::StreamExt;
        let (c, _) = client(std::slice::from_ref(&server.url), None).await;
        let js = async_nats::jetstream::new(c);
        let config = async_nats::jetstream::consumer::pull::OrderedConfig { filter_subject: "omega.order.events".into(), ..Default::default() };
        let consumer: async_nats::jetstream::consumer::Consumer<async_nats::jetstream::consumer::pull::OrderedConfig> =
            js.create_consumer_on_stream(config, "OMEGA_order").await.unwrap();
        let mut m = consumer.messages().await.unwrap();
        let mut out = Vec::new();
        while out.len() < 20_000 {
            out.push(m.next().await.unwrap().unwrap().payload.to_vec());
        }
        out
    });
    for (i, (e, p)) in all.iter().zip(&got).enumerate() {
        let mut b = Vec::new();
        e.encode_into(&mut b);
        assert!(b == *p, "stream message {i} is not event {i} of the file");
    }
}
