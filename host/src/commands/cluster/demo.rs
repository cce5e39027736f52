//! `omega cluster-demo`: the live cluster on one machine, in one command.
//! Starts a nats-server on free loopback ports with a temporary JetStream
//! store, three nodes (two native, one on the blob when it can be found), a
//! producer, and prints the quorum certificates as they form; then stops
//! everything it started (by pid), whatever happens.
use anyhow::{Context, Result, anyhow, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The nats-server to start: `$OMEGA_NATS_SERVER`, Debian's, or one on PATH.
pub(crate) fn nats_server() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("OMEGA_NATS_SERVER") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    for p in ["/usr/sbin/nats-server", "/usr/bin/nats-server"] {
        if Path::new(p).is_file() {
            return Some(PathBuf::from(p));
        }
    }
    std::env::var_os("PATH").and_then(|path| std::env::split_paths(&path).map(|d| d.join("nats-server")).find(|p| p.is_file()))
}

/// Children killed when this goes out of scope (SIGTERM for nodes, then SIGKILL).
struct Procs(Vec<(String, Child)>);

impl Drop for Procs {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            // SAFETY: kill(2) on a child's pid this process started and has not reaped.
            unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        }
        let t = Instant::now();
        for (_, c) in &mut self.0 {
            while t.elapsed() < Duration::from_secs(5) {
                if matches!(c.try_wait(), Ok(Some(_))) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `omega cluster-demo [--events N] [--keep DIR] [--blob PATH]`.
pub fn run(events: u64, keep: Option<&Path>, blob: Option<&Path>) -> Result<ExitCode> {
    let Some(server) = nats_server() else {
        bail!("no nats-server found ($OMEGA_NATS_SERVER, /usr/sbin/nats-server, or on PATH); install Debian's: apt-get install -y nats-server");
    };
    let me = std::env::current_exe().context("cannot find this program")?;
    let dir = match keep {
        Some(d) => {
            std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
            d.to_path_buf()
        }
        None => std::env::temp_dir().join(format!("omega-cluster-demo-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(dir.join("nats"));
    std::fs::create_dir_all(dir.join("nats"))?;
    let result = demo(&server, &me, &dir, events, blob, keep.is_some());
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn demo(server: &Path, me: &Path, dir: &Path, events: u64, blob: Option<&Path>, keep: bool) -> Result<ExitCode> {
    let port = free_port()?;
    let conf = dir.join("nats/server.conf");
    std::fs::write(&conf, format!("listen: 127.0.0.1:{port}\njetstream {{ store_dir: {:?} }}\n", dir.join("nats/store")))?;
    let mut procs = Procs(Vec::new());
    let log = std::fs::File::create(dir.join("nats/server.log"))?;
    procs.0.push(("nats-server".into(), Command::new(server).arg("-c").arg(&conf).stdout(log.try_clone()?).stderr(log).spawn().context("cannot start nats-server")?));
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if t.elapsed() > Duration::from_secs(10) {
            bail!("nats-server did not start (see {})", dir.join("nats/server.log").display());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("nats://127.0.0.1:{port}");
    eprintln!("omega: nats-server {} on {url} (JetStream store in {})", server.display(), dir.join("nats/store").display());

    // Keys and a 2-of-3 committee.
    let mut members = Vec::new();
    for n in ["node1", "node2", "node3"] {
        let key = dir.join(format!("{n}.key"));
        let _ = std::fs::remove_file(&key);
        let o = Command::new(me).args(["keygen", "--name", n, "--out"]).arg(&key).output()?;
        if !o.status.success() {
            bail!("keygen failed: {}", String::from_utf8_lossy(&o.stderr));
        }
        members.push(String::from_utf8_lossy(&o.stdout).trim().to_string());
    }
    let committee = dir.join("committee.json");
    std::fs::write(&committee, serde_json::json!({"threshold": 2, "members": members}).to_string())?;

    // The third node runs on the blob when there is one.
    let blob = crate::wasm::find_blob(blob).ok();
    let (tx, rx) = mpsc::channel::<String>();
    for (i, n) in ["node1", "node2", "node3"].iter().enumerate() {
        let mut c = Command::new(me);
        c.args(["node", "--nats", &url, "--log", "demo", "--committee"]).arg(&committee).arg("--key").arg(dir.join(format!("{n}.key")));
        c.arg("--data").arg(dir.join(format!("data-{n}")));
        if i == 0 {
            c.args(["--seal-every", "500", "--seal-interval", "250", "--delay", "1"]);
        }
        let engine = match (&blob, i) {
            (Some(b), 2) => {
                c.args(["--engine", "wasm"]);
                if let Some(f) = b.file() {
                    c.arg("--blob").arg(f);
                }
                "wasm"
            }
            _ => "native",
        };
        c.env("OMEGA_JSON", "1").stdout(Stdio::piped()).stderr(Stdio::null()).stdin(Stdio::null());
        let mut child = c.spawn().context("cannot start a node")?;
        let out = child.stdout.take().ok_or_else(|| anyhow!("no node output"))?;
        let tx = tx.clone();
        let name = n.to_string();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(format!("{name}\t{line}"));
            }
        });
        eprintln!("omega: {n} started ({engine} engine, data in {})", dir.join(format!("data-{n}")).display());
        procs.0.push((n.to_string(), child));
    }
    drop(tx);

    // A producer with a sample history.
    let shape = omega_core::event::sample::Shape { nodes: 4, streams: 3, per_stream: events.div_ceil(12).max(1), payload: 32 };
    let total = shape.len();
    // Published in 8 parts a moment apart (in a thread, while certificates are printed), so
    // certificates form one after another.
    let all: Vec<omega_core::Event> = omega_core::event::sample::History::new(2026, shape).collect();
    std::thread::sleep(Duration::from_millis(300));
    eprintln!("omega: publishing {total} events in 8 parts");
    let (me2, dir2, url2) = (me.to_path_buf(), dir.to_path_buf(), url.clone());
    let producer = std::thread::spawn(move || -> Result<()> {
        for (i, part) in all.chunks(all.len().div_ceil(8).max(1)).enumerate() {
            let mut bytes = Vec::new();
            for e in part {
                e.encode_into(&mut bytes);
            }
            let input = dir2.join(format!("events-{i}.bin"));
            std::fs::write(&input, bytes)?;
            let o = Command::new(&me2).args(["publish", "--nats", &url2, "--log", "demo", "--format", "binary", "--input"]).arg(&input).output()?;
            if !o.status.success() {
                bail!("publish failed: {}", String::from_utf8_lossy(&o.stderr));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    });

    // Certificates as they form, until every node has the whole history certified.
    let mut done = std::collections::BTreeSet::new();
    let t = Instant::now();
    while done.len() < 3 {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(60).saturating_sub(t.elapsed())) else {
            if producer.is_finished() {
                producer.join().map_err(|_| anyhow!("the producer thread failed"))??;
            }
            bail!("the certificates did not cover all {total} events within 60 s (node folders in {})", dir.display());
        };
        let (node, json) = line.split_once('\t').unwrap_or(("?", &line));
        let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else { continue };
        match v["event"].as_str() {
            Some("quorum") => {
                if node == "node1" {
                    println!(
                        "certificate  height {:>3}  tree size {:>6}  root {}  signers {}  ({} ms)",
                        v["height"],
                        v["tree_size"],
                        v["root"].as_str().unwrap_or("?"),
                        v["signers"],
                        t.elapsed().as_millis()
                    );
                }
                if v["tree_size"].as_u64() == Some(total) {
                    done.insert(node.to_string());
                }
            }
            Some(kind @ ("dissent" | "fraud" | "stranger" | "bad_event" | "invalid_certificate")) => println!("{node}: {kind} {v}"),
            _ => {}
        }
    }
    producer.join().map_err(|_| anyhow!("the producer thread failed"))??;
    println!("all three nodes hold the same certified chain of {total} events");
    if keep {
        println!("verify it: omega chain --data {} --committee {} --out chain/", dir.join("data-node2").display(), committee.display());
    } else {
        println!("(run with --keep DIR to keep the keys, the server's store and the nodes' folders)");
    }
    drop(procs);
    Ok(ExitCode::SUCCESS)
}
