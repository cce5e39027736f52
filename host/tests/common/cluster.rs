//! What the live-cluster test files share: `omega node` processes that are
//! killed when dropped, a committee of fresh keys, node arguments, events
//! files, and the certified chain a node stored (docs/CLUSTER.md).
use super::{blob, code, omega, s};
use omega_core::Event;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One `omega node` process; killed (SIGKILL) when dropped, whatever happens.
/// Its JSON lines go to `DIR/<name>.out` (appended across restarts), its stderr to `DIR/<name>.err`.
pub struct NodeProc {
    pub name: String,
    pub args: Vec<String>,
    pub out: PathBuf,
    child: Option<Child>,
}

impl NodeProc {
    pub fn start(name: &str, args: Vec<String>, dir: &Path) -> NodeProc {
        let mut n = NodeProc { name: name.into(), args, out: dir.join(format!("{name}.out")), child: None };
        n.spawn();
        n
    }

    /// Starts the process (again, after [`NodeProc::kill9`] or [`NodeProc::term`]) with the same arguments.
    pub fn spawn(&mut self) {
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&self.out).unwrap();
        let err = std::fs::OpenOptions::new().create(true).append(true).open(self.out.with_extension("err")).unwrap();
        let child = Command::new(super::bin()).args(&self.args).env("OMEGA_JSON", "1").stdout(out).stderr(err).stdin(Stdio::null()).spawn().unwrap();
        self.child = Some(child);
    }

    /// Every JSON line the node printed so far (all its runs).
    pub fn lines(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// The lines of one kind (`sealed`, `root`, `quorum`, ...).
    pub fn events(&self, kind: &str) -> Vec<Value> {
        self.lines().into_iter().filter(|v| v["event"] == kind).collect()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.out.with_extension("err")).unwrap_or_default()
    }

    /// Waits until some output line satisfies `f`; panics with the node's output after `secs`.
    pub fn wait_for(&mut self, what: &str, secs: u64, f: impl Fn(&Value) -> bool) {
        self.wait_until(what, secs, |lines| lines.iter().any(&f));
    }

    /// Waits until the node's output lines (all runs) satisfy `f`; panics with the node's
    /// output after `secs`, or at once when the process exits.
    pub fn wait_until(&mut self, what: &str, secs: u64, f: impl Fn(&[Value]) -> bool) {
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(secs) {
            if f(&self.lines()) {
                return;
            }
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(st)) = c.try_wait()
            {
                panic!("node {} exited ({st}) while waiting for {what}\nstderr: {}", self.name, self.stderr());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let all = std::fs::read_to_string(&self.out).unwrap_or_default();
        let tail: Vec<&str> = all.lines().rev().take(30).collect();
        panic!("node {}: no {what} after {secs} s\nlast lines: {:#?}\nstderr: {}", self.name, tail, self.stderr());
    }

    /// SIGTERM, then the exit status (0 is a clean stop).
    pub fn term(&mut self) -> i32 {
        let mut c = self.child.take().unwrap();
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        let t = Instant::now();
        loop {
            if let Ok(Some(st)) = c.try_wait() {
                return st.code().unwrap_or(-1);
            }
            if t.elapsed() > Duration::from_secs(20) {
                let _ = c.kill();
                panic!("node {} did not stop on SIGTERM", self.name);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL (no clean stop), and reaps the process.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Keys and a committee of `members` (threshold `k`), plus any `strangers` (keys outside it).
pub fn committee(dir: &Path, members: &[&str], k: u32, strangers: &[&str]) -> PathBuf {
    let mut vkeys = Vec::new();
    for m in members.iter().chain(strangers) {
        let o = omega(&["keygen", "--name", m, "--out", s(&dir.join(format!("{m}.key")))]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        if members.contains(m) {
            vkeys.push(String::from_utf8(o.stdout).unwrap().trim().to_string());
        }
    }
    let p = dir.join("committee.json");
    std::fs::write(&p, serde_json::json!({"threshold": k, "members": vkeys}).to_string()).unwrap();
    p
}

/// `omega node` arguments for member `name` (key `DIR/<name>.key`, data `DIR/data-<name>`).
pub fn node_args(url: &str, log: &str, dir: &Path, name: &str, committee: &Path, engine: &str, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "node", "--nats", url, "--log", log, "--key", s(&dir.join(format!("{name}.key"))), "--committee", s(committee),
        "--data", s(&dir.join(format!("data-{name}"))), "--engine", engine,
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    if engine == "wasm" {
        a.push("--blob".into());
        a.push(s(&blob().unwrap()).into());
    }
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

/// Events as concatenated canonical binary (`--format binary`).
pub fn write_binary(path: &Path, events: &[Event]) {
    let mut b = Vec::new();
    for e in events {
        e.encode_into(&mut b);
    }
    std::fs::write(path, b).unwrap();
}

/// A `quorum` line certifying a tree of `n` events.
pub fn tree_size_reached(n: u64) -> impl Fn(&Value) -> bool {
    move |v: &Value| v["event"] == "quorum" && v["tree_size"].as_u64() == Some(n)
}

/// A node folder's `chain/*.cert` files, by name.
pub fn chain_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("chain"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".cert"))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    v.sort();
    v
}

/// Checks one node folder's certified chain against its `log.omega`, batch by batch (each
/// certificate's root is the Merkle root of the log's prefix of its tree size), and returns
/// the last certificate's root as hex.
pub fn check_roots(data: &Path) -> String {
    let log = omega_core::event::frame::read_events(&std::fs::read(data.join("log.omega")).unwrap()).unwrap();
    let leaves: Vec<[u8; 32]> = log.iter().map(|e| e.leaf_hash()).collect();
    let chain = chain_files(data);
    assert!(!chain.is_empty(), "{}: no certificate", data.display());
    let mut last = String::new();
    for (name, bytes) in &chain {
        let c = omega_core::certify::cert::Certificate::read(bytes).unwrap();
        let n = usize::try_from(c.checkpoint.tree_size).unwrap();
        assert!(n <= leaves.len(), "{name}: tree size {n} > {} events in log.omega", leaves.len());
        assert_eq!(c.checkpoint.root, omega_core::tree::merkle::root(&leaves[..n]), "{name}");
        last = c.checkpoint.root.iter().map(|b| format!("{b:02x}")).collect();
    }
    last
}
