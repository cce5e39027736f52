//! The live cluster's benchmark (issue 14, "Benchmarks"; docs/PERFORMANCE.md,
//! "Cluster"). Measured, never asserted on speed: the one test here is
//! `#[ignore]`, so `cargo test` never runs it. Run it with
//!
//! ```sh
//! OMEGA_REQUIRE_NATS=1 cargo test --release -p omega-host --test cluster_bench -- --ignored --nocapture
//! ```
//!
//! One nats-server (started here, killed by pid at the end) serves every part, in one run:
//!
//! 1. plain JetStream, no omega: async-nats publishes 100,000 150-byte messages with
//!    `Nats-Msg-Id` (acks awaited, at most 4096 in flight), then a pull consumer consumes and
//!    acks them;
//! 2. omega end to end, twice (`--seal-every 1000` and `--seal-every 10000`): 3 nodes (2 native,
//!    1 on the blob when it is built), threshold 2, node 1 the sealer; `omega publish` of
//!    100,000 sample events (100-byte payloads); the time from the publish start to the first
//!    quorum certificate with tree_size 100,000 on the sealer;
//! 3. seal-to-certificate latency, per height, on the sealer: from its `sealed` line to its
//!    `quorum` line (same node, same clock), and from the seal message (seen by a plain NATS
//!    subscription here) to the `quorum` line. Under load (from the runs of 2) and closed
//!    loop: a batch of exactly N events published, sealed, certified, then the next.
//!
//! Every node line is timestamped here as it arrives (one reader thread per node); the CPU
//! time of every process comes from /proc. `OMEGA_BENCH_EVENTS` changes the 100,000.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic, clippy::cast_precision_loss)]
mod common;
use async_nats::jetstream::{self, message::PublishMessage as Publish};
use common::nats::{NatsOptions, NatsServer, require_nats};
use common::{blob, code, omega, s, tmp};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const INFLIGHT: usize = 4096;

fn events_wanted() -> u64 {
    std::env::var("OMEGA_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

fn rt() -> tokio::runtime::Runtime {
    // what `omega publish` and `omega node` run on: one thread
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// CPU seconds (user + system) a process has used so far, from /proc.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest.split_whitespace().map(|x| x.parse().unwrap_or(0)).collect();
    // after the name: state(0) ppid(1) ... utime(11) stime(12), in clock ticks
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / ticks
}

/// CPU seconds used by the reaped children of this process so far.
fn children_cpu() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// CPU seconds used by this process (all its threads) so far.
fn self_cpu() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The p-th percentile (nearest rank) of `v`, in ms.
fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
    s[rank.min(s.len()) - 1]
}

fn median(v: &[f64]) -> f64 {
    pct(v, 50.0)
}

// ---- 1. plain JetStream ----------------------------------------------------------------

struct Plain {
    publish: Duration,
    consume: Duration,
    /// CPU s of (this client, nats-server) while publishing, then while consuming.
    publish_cpu: (f64, f64),
    consume_cpu: (f64, f64),
}

/// A file-stored stream `name` on `subject` (dedupe window 2 min), and `n` messages for it:
/// 150 bytes each, all different, with message ids as long as omega's (28 + 1 + 64 hex).
async fn plain_stream(js: &jetstream::Context, name: &str, subject: &str, n: u64) -> (jetstream::stream::Stream, Vec<(Vec<u8>, String)>) {
    let stream = js
        .create_stream(jetstream::stream::Config {
            name: name.into(),
            subjects: vec![subject.into()],
            storage: jetstream::stream::StorageType::File,
            duplicate_window: Duration::from_secs(120),
            ..Default::default()
        })
        .await
        .unwrap();
    let msgs = (0..n)
        .map(|i| {
            let mut p = vec![b'x'; 150];
            p[..8].copy_from_slice(&i.to_be_bytes());
            (p, format!("{i:028x}-{:064x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        })
        .collect();
    (stream, msgs)
}

fn plain_jetstream(url: &str, server_pid: u32, n: u64) -> Plain {
    rt().block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = jetstream::new(client.clone());
        let (stream, msgs) = plain_stream(&js, "PLAIN", "plain.events", n).await;
        let (c0, s0) = (self_cpu(), cpu_secs(server_pid));
        let t = Instant::now();
        let mut inflight = FuturesUnordered::new();
        let mut acked = 0u64;
        for (p, id) in msgs {
            let ack = js.send_publish("plain.events", Publish::build().payload(p.into()).message_id(id)).await.unwrap();
            inflight.push(ack.into_future());
            while inflight.len() >= INFLIGHT {
                let a = inflight.next().await.unwrap().unwrap();
                assert!(!a.duplicate);
                acked += 1;
            }
        }
        while let Some(a) = inflight.next().await {
            assert!(!a.unwrap().duplicate);
            acked += 1;
        }
        let publish = t.elapsed();
        let publish_cpu = (self_cpu() - c0, cpu_secs(server_pid) - s0);
        assert_eq!(acked, n);

        let consumer = stream
            .create_consumer(jetstream::consumer::pull::Config {
                durable_name: Some("plain".into()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ..Default::default()
            })
            .await
            .unwrap();
        let (c0, s0) = (self_cpu(), cpu_secs(server_pid));
        let t = Instant::now();
        let mut messages = consumer.messages().await.unwrap();
        let mut got = 0u64;
        while got < n {
            let m = messages.next().await.unwrap().unwrap();
            m.ack().await.unwrap();
            got += 1;
        }
        client.flush().await.unwrap();
        // consumed *and acked*: until the server's ack floor is the last message
        let mut consumer = consumer;
        loop {
            let info = consumer.info().await.unwrap();
            if info.ack_floor.stream_sequence >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let consume = t.elapsed();
        let consume_cpu = (self_cpu() - c0, cpu_secs(server_pid) - s0);
        drop(messages);
        Plain { publish, consume, publish_cpu, consume_cpu }
    })
}

/// Plain JetStream in the cluster's shape, no omega: three ordered pull consumers (what an
/// `omega node` reads with) follow a stream while one client publishes `n` 150-byte messages
/// as above; the time from the publish start until all three have read the last. The readers
/// are three tasks of this process's runtime, each on its own connection (as each node has
/// one); on this 2-core machine that costs the CPU separate processes would. Returns (wall
/// time, CPU s of this process, of the server).
fn plain_fanout(url: &str, server_pid: u32, n: u64) -> (Duration, f64, f64) {
    rt().block_on(async {
        let client = async_nats::connect(url).await.unwrap();
        let js = jetstream::new(client.clone());
        let (_stream, msgs) = plain_stream(&js, "FANOUT", "fanout.events", n).await;
        let (c0, s0) = (self_cpu(), cpu_secs(server_pid));
        let t = Instant::now();
        let mut readers = Vec::new();
        for _ in 0..3 {
            // each reader on its own connection, as each node has one
            let c = async_nats::connect(url).await.unwrap();
            let js = jetstream::new(c);
            readers.push(tokio::spawn(async move {
                let config = jetstream::consumer::pull::OrderedConfig { deliver_policy: jetstream::consumer::DeliverPolicy::All, ..Default::default() };
                let consumer: jetstream::consumer::Consumer<jetstream::consumer::pull::OrderedConfig> =
                    js.create_consumer_on_stream(config, "FANOUT").await.unwrap();
                let mut m = consumer.messages().await.unwrap();
                let mut got = 0u64;
                while got < n {
                    let msg = m.next().await.unwrap().unwrap();
                    std::hint::black_box(msg.payload.len());
                    got += 1;
                }
                Instant::now()
            }));
        }
        let mut inflight = FuturesUnordered::new();
        for (p, id) in msgs {
            let ack = js.send_publish("fanout.events", Publish::build().payload(p.into()).message_id(id)).await.unwrap();
            inflight.push(ack.into_future());
            while inflight.len() >= INFLIGHT {
                inflight.next().await.unwrap().unwrap();
            }
        }
        while let Some(a) = inflight.next().await {
            a.unwrap();
        }
        let mut last = t;
        for r in readers {
            last = last.max(r.await.unwrap());
        }
        (last - t, self_cpu() - c0, cpu_secs(server_pid) - s0)
    })
}

/// `omega publish` into a log's stream (created here as `omega node` creates it) that no node
/// reads: the producer alone. Wall time, and its CPU s.
fn omega_publish_alone(url: &str, events: &Path, n: u64) -> (Duration, f64) {
    let log = "alone";
    rt().block_on(async {
        let js = jetstream::new(async_nats::connect(url).await.unwrap());
        let sub = |p: &str| format!("omega.{log}.{p}");
        js.create_stream(jetstream::stream::Config {
            name: format!("OMEGA_{log}"),
            subjects: vec![sub("events"), sub("seal"), sub("sig"), sub("cert")],
            storage: jetstream::stream::StorageType::File,
            duplicate_window: Duration::from_secs(120),
            allow_direct: true,
            ..Default::default()
        })
        .await
        .unwrap();
    });
    let c0 = children_cpu();
    let t = Instant::now();
    let o = omega(&["publish", "--nats", url, "--log", log, "--format", "binary", "--input", s(events)]);
    let d = t.elapsed();
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(common::json(&o)["acked"].as_u64(), Some(n));
    (d, children_cpu() - c0)
}

// ---- omega nodes, their lines timestamped ------------------------------------------------

type Lines = Arc<Mutex<Vec<(Instant, Value)>>>;

/// One `omega node` whose stdout is read line by line in a thread, each line stamped with
/// the instant it arrived. Killed when dropped.
struct Node {
    name: String,
    child: Child,
    lines: Lines,
    err: PathBuf,
}

impl Node {
    fn start(name: &str, args: Vec<String>, dir: &Path) -> Node {
        let err = dir.join(format!("{name}.err"));
        let mut child = Command::new(common::bin())
            .args(&args)
            .env("OMEGA_JSON", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let lines: Lines = Arc::default();
        let out = child.stdout.take().unwrap();
        let l = lines.clone();
        let raw = dir.join(format!("{name}.out"));
        std::thread::spawn(move || {
            let mut keep = std::fs::File::create(raw).unwrap();
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let at = Instant::now();
                let _ = std::io::Write::write_all(&mut keep, format!("{line}\n").as_bytes());
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    l.lock().unwrap().push((at, v));
                }
            }
        });
        Node { name: name.into(), child, lines, err }
    }

    fn find(&self, f: &impl Fn(&Value) -> bool) -> Option<Instant> {
        self.lines.lock().unwrap().iter().find(|(_, v)| f(v)).map(|(t, _)| *t)
    }

    fn wait_for(&mut self, what: &str, secs: u64, f: impl Fn(&Value) -> bool) -> Instant {
        let t = Instant::now();
        loop {
            if let Some(at) = self.find(&f) {
                return at;
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("node {} exited ({st}) waiting for {what}: {}", self.name, std::fs::read_to_string(&self.err).unwrap_or_default());
            }
            if t.elapsed() > Duration::from_secs(secs) {
                let l = self.lines.lock().unwrap();
                let tail: Vec<String> = l.iter().rev().take(10).map(|(_, v)| v.to_string()).collect();
                panic!("node {}: no {what} after {secs} s; last lines {tail:#?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn cpu(&self) -> f64 {
        cpu_secs(self.child.id())
    }

    /// Per height: (seal number, `sealed` line, `root` line, `signed` line, `quorum` line).
    fn heights(&self) -> BTreeMap<u64, Height> {
        let mut out: BTreeMap<u64, Height> = BTreeMap::new();
        let mut last_sealed: Option<(Instant, u64)> = None;
        for (t, v) in self.lines.lock().unwrap().iter() {
            let h = v["height"].as_u64();
            match v["event"].as_str().unwrap_or("") {
                "sealed" => last_sealed = Some((*t, v["seal"].as_u64().unwrap_or(0))),
                "root" => {
                    let (st, n) = last_sealed.expect("a root line after a sealed line");
                    let e = out.entry(h.unwrap()).or_default();
                    e.seal = n;
                    e.sealed = Some(st);
                    e.root = Some(*t);
                    e.tree_size = v["tree_size"].as_u64().unwrap_or(0);
                }
                "signed" => out.entry(h.unwrap()).or_default().signed = Some(*t),
                "quorum" => {
                    out.entry(h.unwrap()).or_default().quorum.get_or_insert(*t);
                }
                _ => {}
            }
        }
        out
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Default, Clone)]
struct Height {
    seal: u64,
    tree_size: u64,
    sealed: Option<Instant>,
    root: Option<Instant>,
    signed: Option<Instant>,
    quorum: Option<Instant>,
}

/// Seal messages as a plain NATS subscriber sees them: seal number -> when it arrived.
struct SealWatch {
    seen: Arc<Mutex<BTreeMap<u64, Instant>>>,
}

impl SealWatch {
    fn start(url: &str, subject: String) -> SealWatch {
        let seen: Arc<Mutex<BTreeMap<u64, Instant>>> = Arc::default();
        let s = seen.clone();
        let url = url.to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            rt().block_on(async move {
                let client = async_nats::connect(url).await.unwrap();
                let mut sub = client.subscribe(subject).await.unwrap();
                client.flush().await.unwrap();
                tx.send(()).unwrap();
                while let Some(m) = sub.next().await {
                    let at = Instant::now();
                    let v: Value = serde_json::from_slice(&m.payload).unwrap_or_default();
                    if let Some(n) = v["n"].as_u64() {
                        s.lock().unwrap().entry(n).or_insert(at);
                    }
                }
            });
        });
        rx.recv_timeout(Duration::from_secs(10)).unwrap();
        SealWatch { seen }
    }

    fn get(&self, n: u64) -> Option<Instant> {
        self.seen.lock().unwrap().get(&n).copied()
    }
}

/// `omega node` arguments (common::cluster's), with a data folder per log, as one run holds several.
fn node_args(url: &str, log: &str, dir: &Path, name: &str, committee: &Path, engine: &str, extra: &[String]) -> Vec<String> {
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let mut a = common::cluster::node_args(url, log, dir, name, committee, engine, &extra);
    if let Some(i) = a.iter().position(|x| x == "--data") {
        a[i + 1] = s(&dir.join(format!("data-{log}-{name}"))).to_string();
    }
    a
}

/// Three nodes (n1 the sealer, native; n2 native; n3 on the blob when there is one).
fn cluster(url: &str, log: &str, dir: &Path, comm: &Path, sealer: &[String]) -> Vec<Node> {
    let third = if blob().is_some() { "wasm" } else { "native" };
    let mut n1 = Node::start(&format!("{log}-n1"), node_args(url, log, dir, "n1", comm, "native", sealer), dir);
    n1.wait_for("start", 60, |v| v["event"] == "started");
    let mut n2 = Node::start(&format!("{log}-n2"), node_args(url, log, dir, "n2", comm, "native", &[]), dir);
    let mut n3 = Node::start(&format!("{log}-n3-{third}"), node_args(url, log, dir, "n3", comm, third, &[]), dir);
    n2.wait_for("start", 60, |v| v["event"] == "started");
    n3.wait_for("start", 120, |v| v["event"] == "started");
    vec![n1, n2, n3]
}

fn quorum_at(n: u64) -> impl Fn(&Value) -> bool {
    move |v: &Value| v["event"] == "quorum" && v["tree_size"].as_u64() == Some(n)
}

/// Latencies of the heights in `hs` (ms): sealed line -> quorum line, seal message -> quorum
/// line, and the phases on the sealer between.
#[derive(Debug, Default)]
struct Lat {
    sealed_to_quorum: Vec<f64>,
    seal_to_quorum: Vec<f64>,
    seal_to_sealed: Vec<f64>,
    sealed_to_root: Vec<f64>,
    root_to_signed: Vec<f64>,
    signed_to_quorum: Vec<f64>,
    batch: Vec<f64>,
}

fn latencies(hs: &BTreeMap<u64, Height>, seals: &SealWatch) -> Lat {
    let mut l = Lat::default();
    let mut prev_size = 0u64;
    for h in hs.values() {
        let (Some(sd), Some(r), Some(sg), Some(q)) = (h.sealed, h.root, h.signed, h.quorum) else { continue };
        l.sealed_to_quorum.push(ms(q - sd));
        l.sealed_to_root.push(ms(r - sd));
        l.root_to_signed.push(ms(sg - r));
        l.signed_to_quorum.push(ms(q - sg));
        if let Some(seen) = seals.get(h.seal) {
            l.seal_to_quorum.push(ms(q - seen));
            l.seal_to_sealed.push(ms(sd.saturating_duration_since(seen)));
        }
        l.batch.push((h.tree_size - prev_size) as f64);
        prev_size = h.tree_size;
    }
    l
}

// ---- 2. omega end to end ---------------------------------------------------------------

struct EndToEnd {
    every: u64,
    total: Duration,
    publish: Duration,
    publish_cpu: f64,
    others: Vec<(String, Option<Duration>)>,
    lat: Lat,
    cpu: Vec<(String, f64)>,
    server_cpu: f64,
    tail_seals: usize,
    before_last: Option<Duration>,
}

fn end_to_end(server: &NatsServer, dir: &Path, comm: &Path, events: &Path, n: u64, every: u64) -> EndToEnd {
    let log = format!("e2e{every}");
    let sealer = ["--seal-every".to_string(), every.to_string(), "--seal-interval".into(), "100".into()];
    let mut nodes = cluster(&server.url, &log, dir, comm, &sealer);
    let seals = SealWatch::start(&server.url, format!("omega.{log}.seal"));
    let server_cpu0 = cpu_secs(server.pid().unwrap());
    let children0 = children_cpu();
    let t0 = Instant::now();
    let publisher = Command::new(common::bin())
        .args(["publish", "--nats", &server.url, "--log", &log, "--format", "binary", "--input", s(events)])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let o = publisher.wait_with_output().unwrap();
    let publish = t0.elapsed();
    // the only child reaped meanwhile is the publisher
    let publish_cpu = children_cpu() - children0;
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["acked"].as_u64(), Some(n), "{v}");
    let at = nodes[0].wait_for("the whole history certified", 600, quorum_at(n));
    let total = at - t0;
    let mut others = Vec::new();
    for node in nodes.iter_mut().skip(1) {
        let got = node.wait_for("the whole history certified", 600, quorum_at(n));
        others.push((node.name.clone(), Some(got - t0)));
    }
    for node in &nodes {
        let lines = node.lines.lock().unwrap();
        assert!(lines.iter().all(|(_, v)| !matches!(v["event"].as_str(), Some("dissent" | "fraud" | "bad_event"))), "{}", node.name);
        assert!(lines.iter().all(|(_, v)| v["status"] != "obstruction"), "{} obstructed", node.name);
    }
    let hs = nodes[0].heights();
    let lat = latencies(&hs, &seals);
    // the tail: seals after the publisher finished, and when all but the newest Lamport time was certified
    let published_at = t0 + publish;
    let tail_seals = seals.seen.lock().unwrap().values().filter(|t| **t > published_at).count();
    let before_last = hs.values().filter(|h| h.tree_size < n).filter_map(|h| h.quorum).max().map(|q| q - t0);
    let cpu = nodes.iter().map(|n| (n.name.clone(), n.cpu())).collect();
    let server_cpu = cpu_secs(server.pid().unwrap()) - server_cpu0;
    EndToEnd { every, total, publish, publish_cpu, others, lat, cpu, server_cpu, tail_seals, before_last }
}

// ---- 3. closed loop: one batch at a time -------------------------------------------------

fn closed_loop(server: &NatsServer, dir: &Path, comm: &Path, all: &[omega_core::Event], every: u64, batches: u64) -> (Lat, Vec<(String, f64)>) {
    let log = format!("loop{every}");
    let sealer = ["--seal-every".to_string(), every.to_string()];
    let mut nodes = cluster(&server.url, &log, dir, comm, &sealer);
    let seals = SealWatch::start(&server.url, format!("omega.{log}.seal"));
    let n = usize::try_from(every).unwrap();
    assert!(all.len() >= n * usize::try_from(batches).unwrap(), "the closed-loop sample is too small");
    for i in 0..batches {
        let i = usize::try_from(i).unwrap();
        let mut b = Vec::new();
        for e in &all[i * n..(i + 1) * n] {
            e.encode_into(&mut b);
        }
        let f = dir.join(format!("{log}-{i}.bin"));
        std::fs::write(&f, b).unwrap();
        let o = omega(&["publish", "--nats", &server.url, "--log", &log, "--format", "binary", "--input", s(&f)]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        // height i is this batch (the newest Lamport time of a batch is held for the next one)
        let h = i as u64;
        nodes[0].wait_for("the batch certified", 120, move |v: &Value| v["event"] == "quorum" && v["height"].as_u64() == Some(h));
        let _ = std::fs::remove_file(f);
    }
    let last = batches - 1;
    for node in nodes.iter_mut().skip(1) {
        node.wait_for("every batch certified", 300, move |v: &Value| v["event"] == "quorum" && v["height"].as_u64() == Some(last));
    }
    let hs = nodes[0].heights();
    let cpu = nodes.iter().map(|n| (n.name.clone(), n.cpu())).collect();
    (latencies(&hs, &seals), cpu)
}

// ---- 4. the kernel's share, native, in this process ---------------------------------------

/// Median time (ms) of each step a node takes per seal, as node.rs takes it, on the native
/// kernel in this process: the cut op (its JSON and base64 included), the pure cut function
/// on the same input, reading the answer, certify, one signature's verify, merge.
#[derive(Debug, Default)]
struct Kernel {
    cut_op: Vec<f64>,
    cut_pure: Vec<f64>,
    parse_answer: Vec<f64>,
    events_b64_decode_reencode: Vec<f64>,
    certify: Vec<f64>,
    verify_one: Vec<f64>,
    merge_verify: Vec<f64>,
    answer_bytes: Vec<f64>,
    prior_bytes: Vec<f64>,
}

fn kernel_profile(dir: &Path, comm: &Path, sorted: &[omega_core::Event], every: usize, batches: usize) -> Kernel {
    use base64::Engine as _;
    use omega_core::api::Op;
    use omega_core::api::ops::{make_fields, run};
    let b64 = base64::engine::general_purpose::STANDARD;
    let committee = std::fs::read(comm).unwrap();
    let k1 = std::fs::read(dir.join("n1.key")).unwrap();
    let k2 = std::fs::read(dir.join("n2.key")).unwrap();
    let (mut prior, mut carry) = (Vec::new(), Vec::new());
    let mut state = omega_core::reconcile::State::default();
    let mut pure_carry = Vec::new();
    let mut prev = Vec::new();
    let mut k = Kernel::default();
    for i in 0..batches {
        let chunk = &sorted[i * every..(i + 1) * every];
        let mut fresh = Vec::new();
        for e in chunk {
            e.encode_into(&mut fresh);
        }
        let t = Instant::now();
        let resp = run(Op::Cut, &make_fields(&[&prior, &carry, &fresh, b"8", b"0"]));
        k.cut_op.push(ms(t.elapsed()));
        k.answer_bytes.push(resp.body.len() as f64);
        k.prior_bytes.push(prior.len() as f64);
        let t = Instant::now();
        let c = omega_core::api::cut::cut(&state, pure_carry, chunk.to_vec(), 8, 0);
        k.cut_pure.push(ms(t.elapsed()));
        pure_carry = c.carry;
        if let Some(omega_core::reconcile::Outcome::Ok(sum)) = c.outcome {
            state = sum.state;
        }
        let t = Instant::now();
        let v: Value = serde_json::from_slice(&resp.body).unwrap();
        carry = b64.decode(v["carry"].as_str().unwrap()).unwrap();
        let result = serde_json::to_vec(&v["result"]).unwrap();
        k.parse_answer.push(ms(t.elapsed()));
        assert_eq!(v["status"], "ok", "{}", String::from_utf8_lossy(&resp.body[..resp.body.len().min(500)]));
        let t = Instant::now();
        let evs = omega_core::Event::decode_all(&b64.decode(v["events"].as_str().unwrap()).unwrap(), &omega_core::Limits::default()).unwrap();
        let encoded: Vec<Vec<u8>> = evs.iter().map(omega_core::Event::encode).collect();
        k.events_b64_decode_reencode.push(ms(t.elapsed()));
        assert_eq!(encoded.len() as u64, v["batch"].as_u64().unwrap());
        let t = Instant::now();
        let r = run(Op::Certify, &make_fields(&[&result, b"omega/profile", &k1, &prev, &committee]));
        let c1: Value = serde_json::from_slice(&r.body).unwrap();
        let cert1 = b64.decode(c1["certificate"].as_str().unwrap()).unwrap();
        k.certify.push(ms(t.elapsed()));
        let r = run(Op::Certify, &make_fields(&[&result, b"omega/profile", &k2, &prev, &committee]));
        let c2: Value = serde_json::from_slice(&r.body).unwrap();
        let cert2 = b64.decode(c2["certificate"].as_str().unwrap()).unwrap();
        let t = Instant::now();
        let r = run(Op::Verify, &make_fields(&[&cert2, &committee]));
        let _: Value = serde_json::from_slice(&r.body).unwrap();
        k.verify_one.push(ms(t.elapsed()));
        let t = Instant::now();
        let r = run(Op::Merge, &make_fields(&[&cert1, &cert2]));
        let m: Value = serde_json::from_slice(&r.body).unwrap();
        let merged = b64.decode(m["certificate"].as_str().unwrap()).unwrap();
        let r = run(Op::Verify, &make_fields(&[&merged, &committee]));
        assert_eq!(r.status, 0);
        k.merge_verify.push(ms(t.elapsed()));
        prior = result;
        prev = cert1;
    }
    k
}

// ---- the report ----------------------------------------------------------------------------

fn lat_row(what: &str, v: &[f64]) {
    if v.is_empty() {
        println!("| {what} | - | - | - | - |");
    } else {
        println!("| {what} | {:.1} | {:.1} | {:.1} | {} |", pct(v, 50.0), pct(v, 99.0), v.iter().copied().fold(0.0, f64::max), v.len());
    }
}

fn lat_table(title: &str, l: &Lat) {
    println!("\n{title} (batch sizes: median {:.0}, largest {:.0})", median(&l.batch), l.batch.iter().copied().fold(0.0, f64::max));
    println!("| on the sealer (ms) | p50 | p99 | max | heights |");
    println!("|---|---:|---:|---:|---:|");
    lat_row("`sealed` line -> `quorum` line", &l.sealed_to_quorum);
    lat_row("seal message -> `quorum` line", &l.seal_to_quorum);
    lat_row("  seal message -> `sealed` (read up to the seal, cut)", &l.seal_to_sealed);
    lat_row("  `sealed` -> `root` (append, fsync, certify, store)", &l.sealed_to_root);
    lat_row("  `root` -> `signed` (signature published, acked)", &l.root_to_signed);
    lat_row("  `signed` -> `quorum` (others' signatures, merge, cert)", &l.signed_to_quorum);
}

#[test]
#[ignore = "a benchmark (about 20 s, more on a busy machine): run with --ignored --nocapture"]
fn cluster_bench() {
    let Some(_) = require_nats() else { return };
    let n = events_wanted();
    let dir = tmp("bench");
    let server = NatsServer::start(&NatsOptions::default());
    let comm = common::cluster::committee(&dir, &["n1", "n2", "n3"], 2, &[]);
    // 16 nodes x 5 streams, 100-byte payloads, canonical order
    let per_stream = n / 80;
    assert_eq!(per_stream * 80, n, "OMEGA_BENCH_EVENTS must be a multiple of 80");
    let events = dir.join("events.bin");
    let ps = per_stream.to_string();
    let o = omega(&["sample", "--nodes", "16", "--streams", "5", "--per-stream", &ps, "--payload", "100", "--format", "binary", "--out", s(&events)]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&events).unwrap();
    println!("omega cluster bench: {n} events ({} bytes encoded, {:.0} per event), server {}", bytes.len(), bytes.len() as f64 / n as f64, server.url);

    // 1. plain JetStream
    println!("load average at the start: {}", loadavg());
    let plain = plain_jetstream(&server.url, server.pid().unwrap(), n);
    let plain_pub = rate(n, plain.publish);
    let plain_con = rate(n, plain.consume);
    println!("plain JetStream: publish {:.0} msgs/s ({:.2} s), consume+ack {:.0} msgs/s ({:.2} s)", plain_pub, plain.publish.as_secs_f64(), plain_con, plain.consume.as_secs_f64());

    let fanout = plain_fanout(&server.url, server.pid().unwrap(), n);
    println!("plain JetStream fan-out (1 publisher, 3 ordered readers): {:.0} msgs/s ({:.2} s)", rate(n, fanout.0), fanout.0.as_secs_f64());

    let alone = omega_publish_alone(&server.url, &events, n);
    println!("omega publish, no node reading: {:.0} ev/s ({:.2} s, {:.2} s CPU)", rate(n, alone.0), alone.0.as_secs_f64(), alone.1);

    // 2. omega end to end, at two batch sizes
    let mut runs = Vec::new();
    for every in [1000u64, 10_000] {
        let r = end_to_end(&server, &dir, &comm, &events, n, every);
        println!(
            "  tail: {} seals after the publisher finished; the height before the last certified at {:?} s",
            r.tail_seals,
            r.before_last.map(|d| (d.as_secs_f64() * 100.0).round() / 100.0)
        );
        println!(
            "omega --seal-every {every}: publish {:.0} ev/s ({:.2} s, {:.2} s CPU), publish -> certificate of {n}: {:.0} ev/s ({:.2} s); others: {:?}",
            rate(n, r.publish),
            r.publish.as_secs_f64(),
            r.publish_cpu,
            rate(n, r.total),
            r.total.as_secs_f64(),
            r.others.iter().map(|(k, d)| (k.clone(), d.map(|d| format!("{:.2} s", d.as_secs_f64())))).collect::<Vec<_>>()
        );
        runs.push(r);
    }

    // 3. closed loop
    let loop_events = omega_core::event::sample::history(
        1,
        omega_core::event::sample::Shape { nodes: 16, streams: 5, per_stream: 2500, payload: 100 },
    );
    let mut sorted = loop_events;
    sorted.sort_by_cached_key(|e| (e.key(), e.leaf_hash()));
    let mut loops = Vec::new();
    for (every, batches) in [(1000u64, (n / 1000).max(2)), (10_000, (n / 5000).max(2))] {
        let (l, cpu) = closed_loop(&server, &dir, &comm, &sorted, every, batches);
        println!("closed loop --seal-every {every}: {} batches, sealed -> quorum p50 {:.1} ms p99 {:.1} ms", l.sealed_to_quorum.len(), pct(&l.sealed_to_quorum, 50.0), pct(&l.sealed_to_quorum, 99.0));
        loops.push((every, l, cpu));
    }

    // 4. the kernel's share
    let mut kernels = Vec::new();
    for (every, batches) in [(1000usize, 100usize), (10_000, 20)] {
        kernels.push((every, kernel_profile(&dir, &comm, &sorted, every, batches)));
    }

    // the table
    println!("\n| what | rate | time | vs plain publish |");
    println!("|---|---:|---:|---:|");
    println!("| plain JetStream publish, {n} x 150 B, Nats-Msg-Id, {INFLIGHT} in flight | {plain_pub:.0} msgs/s | {:.2} s | 1.00 |", plain.publish.as_secs_f64());
    println!("| plain JetStream pull consume + ack | {plain_con:.0} msgs/s | {:.2} s | |", plain.consume.as_secs_f64());
    println!(
        "| plain JetStream fan-out: 1 publisher, 3 ordered readers (the cluster's shape, no omega), publish start -> all read | {:.0} msgs/s | {:.2} s | {:.2} |",
        rate(n, fanout.0),
        fanout.0.as_secs_f64(),
        rate(n, fanout.0) / plain_pub
    );
    println!(
        "| `omega publish`, no node reading (same stream config) | {:.0} events/s | {:.2} s | {:.2} |",
        rate(n, alone.0),
        alone.0.as_secs_f64(),
        rate(n, alone.0) / plain_pub
    );
    for r in &runs {
        println!(
            "| `omega publish` while 3 nodes read, --seal-every {} | {:.0} events/s | {:.2} s | {:.2} |",
            r.every,
            rate(n, r.publish),
            r.publish.as_secs_f64(),
            rate(n, r.publish) / plain_pub
        );
        println!(
            "| omega end to end (publish start -> certificate of {n}), --seal-every {} | {:.0} events/s | {:.2} s | {:.2} |",
            r.every,
            rate(n, r.total),
            r.total.as_secs_f64(),
            rate(n, r.total) / plain_pub
        );
    }
    let us = |cpu: f64| cpu * 1e6 / n as f64;
    for r in &runs {
        println!("omega end to end / plain fan-out, --seal-every {}: {:.2}", r.every, rate(n, r.total) / rate(n, fanout.0));
    }
    println!("CPU per message (µs), plain fan-out: clients {:.1}, nats-server {:.1}", us(fanout.1), us(fanout.2));
    println!("\nCPU per event (µs): plain publish: client {:.1}, nats-server {:.1}; plain consume+ack: client {:.1}, nats-server {:.1}; omega publish alone {:.1}",
        us(plain.publish_cpu.0), us(plain.publish_cpu.1), us(plain.consume_cpu.0), us(plain.consume_cpu.1), us(alone.1));
    for r in &runs {
        println!(
            "CPU per event (µs), --seal-every {}: publish {:.1}, nats-server {:.1}, {}; total {:.1} (= {:.0} events/s on 2 cores at best)",
            r.every,
            us(r.publish_cpu),
            us(r.server_cpu),
            r.cpu.iter().map(|(k, c)| format!("{k} {:.1}", us(*c))).collect::<Vec<_>>().join(", "),
            us(r.publish_cpu + r.server_cpu + r.cpu.iter().map(|x| x.1).sum::<f64>()),
            2.0 * n as f64 / (r.publish_cpu + r.server_cpu + r.cpu.iter().map(|x| x.1).sum::<f64>())
        );
    }
    for r in &runs {
        lat_table(&format!("under load: --seal-every {}, {n} events published at once", r.every), &r.lat);
        println!(
            "CPU s: publish {:.2}, nats-server {:.2}, {}",
            r.publish_cpu,
            r.server_cpu,
            r.cpu.iter().map(|(k, c)| format!("{k} {c:.2}")).collect::<Vec<_>>().join(", ")
        );
    }
    for (every, l, cpu) in &loops {
        lat_table(&format!("closed loop: --seal-every {every}, one batch of {every} published, sealed and certified at a time"), l);
        println!("CPU s: {}", cpu.iter().map(|(k, c)| format!("{k} {c:.2}")).collect::<Vec<_>>().join(", "));
    }
    println!("\nper seal on the native kernel in this process (median ms; batches after the first few)");
    println!("| step | 1,000 events | 10,000 events |");
    println!("|---|---:|---:|");
    let row = |what: &str, f: &dyn Fn(&Kernel) -> &Vec<f64>| {
        let cells: Vec<String> = kernels.iter().map(|(_, k)| format!("{:.2}", median(&f(k)[2..]))).collect();
        println!("| {what} | {} |", cells.join(" | "));
    };
    row("cut op (op 23: prior JSON in, JSON + base64 out)", &|k| &k.cut_op);
    row("  of which the cut itself (pure function, same input)", &|k| &k.cut_pure);
    row("node: parse the answer, carry base64, result to bytes", &|k| &k.parse_answer);
    row("node: events base64 -> decode -> encode again", &|k| &k.events_b64_decode_reencode);
    row("certify (op 4)", &|k| &k.certify);
    row("verify one signature message (op 6)", &|k| &k.verify_one);
    row("merge 2 + verify the certificate (ops 24, 6)", &|k| &k.merge_verify);
    row("cut answer size (bytes)", &|k| &k.answer_bytes);
    row("prior JSON size (bytes)", &|k| &k.prior_bytes);
    println!("load average at the end: {}", loadavg());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
