//! Real `nats-server` processes for the cluster tests: one server, or a
//! cluster of n routed servers, each with JetStream, a WebSocket listener and
//! a monitoring port, everything on 127.0.0.1 only.
//!
//! ```ignore
//! mod common;
//! use common::nats::*;
//!
//! let Some(_) = require_nats() else { return };   // skips (or fails under OMEGA_REQUIRE_NATS=1)
//! let server = NatsServer::start(&NatsOptions::default());
//! // server.url = "nats://127.0.0.1:PORT", server.ws_url = "ws://127.0.0.1:WSPORT"
//! let cluster = NatsCluster::start(3);              // cluster.urls() = "nats://..,nats://..,nats://.."
//! ```
//!
//! The server is Debian's nats-server (2.9.10): `$OMEGA_NATS_SERVER`, else
//! /usr/sbin/nats-server, else /usr/bin/nats-server, else `nats-server` on
//! the PATH. `cargo xtask test` installs it and sets OMEGA_REQUIRE_NATS=1, so
//! a missing server fails there instead of skipping.
//!
//! Dropping a [`NatsServer`] (also while a failing test unwinds) kills its
//! process and removes its folder (config, log, JetStream store).
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a server (or a whole cluster) may take to be ready.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// Where Debian's nats-server package installs the server.
const DEBIAN_NATS_SERVER: &str = "/usr/sbin/nats-server";

/// The nats-server to launch: `$OMEGA_NATS_SERVER`, else Debian's
/// /usr/sbin/nats-server, else /usr/bin/nats-server, else `nats-server` on the PATH.
pub fn nats_server_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("OMEGA_NATS_SERVER").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return p.is_file().then_some(p);
    }
    [DEBIAN_NATS_SERVER, "/usr/bin/nats-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("nats-server")).find(|p| p.is_file()))
}

/// The nats-server to launch, or None (after a skip note) when there is none.
/// Panics instead under OMEGA_REQUIRE_NATS=1 (`cargo xtask test` sets it).
/// Tests start with `let Some(_) = require_nats() else { return };`.
pub fn require_nats() -> Option<PathBuf> {
    if let Some(p) = nats_server_binary() {
        return Some(p);
    }
    let what = match std::env::var_os("OMEGA_NATS_SERVER").filter(|p| !p.is_empty()) {
        Some(p) => format!("OMEGA_NATS_SERVER={}: no such file", PathBuf::from(p).display()),
        None => format!("no nats-server ({DEBIAN_NATS_SERVER}, /usr/bin/nats-server or on the PATH)"),
    };
    let fix = "apt-get install -y nats-server (or `cargo xtask setup` as root, or set OMEGA_NATS_SERVER)";
    if std::env::var("OMEGA_REQUIRE_NATS").is_ok_and(|v| v == "1") {
        panic!("OMEGA_REQUIRE_NATS=1 but {what}: {fix}");
    }
    eprintln!("note: {what}; the NATS cluster checks are skipped ({fix})");
    None
}

// ---- configuration ---------------------------------------------------------

/// Allowed and denied subjects for publishing or subscribing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subjects {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

impl Subjects {
    /// Only these subjects.
    pub fn allow(subjects: &[&str]) -> Subjects {
        Subjects { allow: subjects.iter().map(|s| (*s).to_string()).collect(), deny: Vec::new() }
    }
    /// Everything but these subjects.
    pub fn deny(subjects: &[&str]) -> Subjects {
        Subjects { allow: Vec::new(), deny: subjects.iter().map(|s| (*s).to_string()).collect() }
    }
}

/// One user: a password and, to test least privilege, what it may publish
/// and subscribe to (None: no restriction).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub user: String,
    pub password: String,
    pub publish: Option<Subjects>,
    pub subscribe: Option<Subjects>,
    /// `allow_responses: true`: may publish replies to the requests it received.
    pub allow_responses: bool,
}

impl User {
    /// A user with no permission limits.
    pub fn new(user: &str, password: &str) -> User {
        User { user: user.to_string(), password: password.to_string(), publish: None, subscribe: None, allow_responses: false }
    }
    /// May publish only to `subjects`.
    pub fn publish(mut self, subjects: &[&str]) -> User {
        self.publish = Some(Subjects::allow(subjects));
        self
    }
    /// May subscribe only to `subjects`.
    pub fn subscribe(mut self, subjects: &[&str]) -> User {
        self.subscribe = Some(Subjects::allow(subjects));
        self
    }
    /// May publish replies to requests it received.
    pub fn allow_responses(mut self) -> User {
        self.allow_responses = true;
        self
    }
}

/// `authorization { users = [...] }`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    pub users: Vec<User>,
}

/// A server's cluster block: its cluster's name, its route port, and the
/// route ports of the other members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    pub name: String,
    pub port: u16,
    pub routes: Vec<u16>,
}

/// What to start. `NatsOptions::default()`: one standalone server, no auth.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NatsOptions {
    pub auth: Option<AuthConfig>,
    pub cluster: Option<ClusterConfig>,
    /// `server_name` (required for clustered JetStream; default `omega-test-<port>`).
    pub server_name: Option<String>,
    /// Lines appended to the config file as they are (e.g. `max_payload: 2MB`).
    pub extra_config: String,
}

/// A config string, quoted (JSON quoting is valid NATS config quoting).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn q_list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", v.join(", "))
}

fn subjects_block(key: &str, s: &Subjects) -> String {
    let mut parts = Vec::new();
    if !s.allow.is_empty() {
        parts.push(format!("allow: {}", q_list(&s.allow)));
    }
    if !s.deny.is_empty() {
        parts.push(format!("deny: {}", q_list(&s.deny)));
    }
    if parts.is_empty() {
        // an empty allow list: nothing is allowed
        parts.push("allow: []".to_string());
    }
    format!("{key}: {{ {} }}", parts.join(", "))
}

/// The ports one server listens on.
#[derive(Debug, Clone, Copy)]
struct Ports {
    client: u16,
    ws: u16,
    http: u16,
}

/// The config file's text.
/// `store_dir` is `dir`: nats-server keeps its JetStream files in `dir/jetstream`.
fn config_text(opts: &NatsOptions, ports: Ports, name: &str, dir: &Path) -> String {
    let mut c = String::new();
    let _ = writeln!(c, "server_name: {}", q(name));
    let _ = writeln!(c, "listen: \"127.0.0.1:{}\"", ports.client);
    let _ = writeln!(c, "http: \"127.0.0.1:{}\"", ports.http);
    let _ = writeln!(c, "jetstream {{ store_dir: {} }}", q(&dir.to_string_lossy()));
    let _ = writeln!(c, "websocket {{ listen: \"127.0.0.1:{}\", no_tls: true }}", ports.ws);
    if let Some(cl) = &opts.cluster {
        let routes: Vec<String> = cl.routes.iter().map(|p| format!("nats-route://127.0.0.1:{p}")).collect();
        let _ = writeln!(c, "cluster {{ name: {}, listen: \"127.0.0.1:{}\", routes: {} }}", q(&cl.name), cl.port, q_list(&routes));
    }
    if let Some(auth) = &opts.auth {
        let _ = writeln!(c, "authorization {{\n  users = [");
        for u in &auth.users {
            let mut perms = Vec::new();
            if let Some(p) = &u.publish {
                perms.push(subjects_block("publish", p));
            }
            if let Some(s) = &u.subscribe {
                perms.push(subjects_block("subscribe", s));
            }
            if u.allow_responses {
                perms.push("allow_responses: true".to_string());
            }
            let perms = if perms.is_empty() { String::new() } else { format!(", permissions: {{ {} }}", perms.join(", ")) };
            let _ = writeln!(c, "    {{ user: {}, password: {}{perms} }}", q(&u.user), q(&u.password));
        }
        let _ = writeln!(c, "  ]\n}}");
    }
    if !opts.extra_config.is_empty() {
        let _ = writeln!(c, "{}", opts.extra_config);
    }
    c
}

// ---- ports and folders -------------------------------------------------------

/// Every port this process has handed out: never handed out twice.
static PORTS: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());

/// `n` distinct free ports on 127.0.0.1 (all held open until all are chosen).
pub fn free_ports(n: usize) -> Vec<u16> {
    let mut taken = PORTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut held = Vec::new();
    let mut ports = Vec::new();
    while ports.len() < n {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 for a free port");
        let port = l.local_addr().expect("a bound listener's address").port();
        held.push(l);
        if taken.insert(port) {
            ports.push(port);
        }
    }
    ports
}

static DIRS: AtomicU64 = AtomicU64::new(0);

/// A fresh folder under the temp dir, unique per process, call and time.
fn unique_dir(what: &str) -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let d = std::env::temp_dir().join(format!(
        "omega-nats-{what}-{}-{}-{nanos}",
        std::process::id(),
        DIRS.fetch_add(1, Ordering::Relaxed)
    ));
    fs::create_dir_all(&d).unwrap_or_else(|e| panic!("cannot create {}: {e}", d.display()));
    d
}

// ---- probes ------------------------------------------------------------------

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Does 127.0.0.1:`port` accept a TCP connection?
pub fn port_open(port: u16) -> bool {
    TcpStream::connect_timeout(&addr(port), Duration::from_millis(500)).is_ok()
}

/// `GET path` on 127.0.0.1:`port` over raw HTTP/1.0: the status code and body.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr(port), Duration::from_millis(500)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.set_write_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let status = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_string();
    Some((status, body))
}

/// Is the process `pid` alive (not reaped, not a zombie)?
pub fn pid_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // the state follows the command name in parentheses: `Z` is a zombie
        Ok(stat) => stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().next()).is_some_and(|st| st != "Z" && st != "X"),
        Err(_) => false,
    }
}

/// The last `n` lines of `file`.
fn tail(file: &Path, n: usize) -> String {
    let text = fs::read_to_string(file).unwrap_or_else(|e| format!("(cannot read {}: {e})", file.display()));
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// ---- one server --------------------------------------------------------------

/// One running nats-server. Dropping it kills the process and removes `dir`.
#[derive(Debug)]
pub struct NatsServer {
    /// `nats://127.0.0.1:PORT`
    pub url: String,
    /// `ws://127.0.0.1:WSPORT`
    pub ws_url: String,
    pub port: u16,
    pub ws_port: u16,
    /// The monitoring port (`/healthz`, `/jsz`, `/varz`, ...).
    pub http_port: u16,
    /// The route port, when clustered.
    pub route_port: Option<u16>,
    pub server_name: String,
    /// This server's folder: `server.conf`, `server.log`, `jetstream/`.
    pub dir: PathBuf,
    /// The JetStream store (`dir/jetstream`), kept across `kill` and `restart`.
    pub store: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    binary: PathBuf,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts one server and waits until it is ready (see [`NatsServer::wait_ready`]).
    /// Panics (with the server's log) when there is no nats-server or it does not get ready.
    pub fn start(opts: &NatsOptions) -> NatsServer {
        let mut last = String::new();
        for _ in 0..3 {
            let mut s = NatsServer::spawn(opts);
            match s.wait_ready_or_exit(READY_TIMEOUT) {
                Ok(()) => return s,
                Err(log) => last = log,
            }
        }
        panic!("nats-server exited at once, three times (ports taken?); last log:\n{last}");
    }

    /// Writes the config and launches the process; does not wait.
    /// With `opts.cluster`, its ports are used as given.
    fn spawn(opts: &NatsOptions) -> NatsServer {
        let binary = nats_server_binary().unwrap_or_else(|| {
            panic!("no nats-server: call `require_nats()` first (apt-get install -y nats-server, or set OMEGA_NATS_SERVER)")
        });
        let p = free_ports(3);
        let ports = Ports { client: p[0], ws: p[1], http: p[2] };
        let name = opts.server_name.clone().unwrap_or_else(|| format!("omega-test-{}", ports.client));
        let dir = unique_dir(&name);
        let store = dir.join("jetstream");
        let config = dir.join("server.conf");
        fs::write(&config, config_text(opts, ports, &name, &dir)).unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
        let mut s = NatsServer {
            url: format!("nats://127.0.0.1:{}", ports.client),
            ws_url: format!("ws://127.0.0.1:{}", ports.ws),
            port: ports.client,
            ws_port: ports.ws,
            http_port: ports.http,
            route_port: opts.cluster.as_ref().map(|c| c.port),
            server_name: name,
            log: dir.join("server.log"),
            dir,
            store,
            config,
            binary,
            child: None,
        };
        s.launch();
        s
    }

    fn launch(&mut self) {
        let log = OpenOptions::new().create(true).append(true).open(&self.log).unwrap_or_else(|e| panic!("cannot open {}: {e}", self.log.display()));
        let err = log.try_clone().unwrap_or_else(|e| panic!("cannot reopen {}: {e}", self.log.display()));
        let child = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.binary.display()));
        self.child = Some(child);
    }

    /// The process id, None once killed.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `nats://user:password@127.0.0.1:PORT`
    pub fn url_as(&self, user: &str, password: &str) -> String {
        format!("nats://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// `GET /healthz` on the monitoring port: 200 once JetStream is up and, in a
    /// cluster, in contact with a meta leader. None when it does not answer.
    pub fn healthz(&self) -> Option<(u16, String)> {
        http_get(self.http_port, "/healthz")
    }

    /// Any monitoring endpoint (`/jsz`, `/varz`, `/routez`, ...): its JSON.
    pub fn monitor(&self, path: &str) -> Option<serde_json::Value> {
        let (status, body) = http_get(self.http_port, path)?;
        (status == 200).then(|| serde_json::from_str(&body).ok()).flatten()
    }

    /// The JetStream meta leader's name, as this server's `/jsz` has it.
    pub fn meta_leader(&self) -> Option<String> {
        let jsz = self.monitor("/jsz")?;
        jsz["meta_cluster"]["leader"].as_str().filter(|l| !l.is_empty()).map(str::to_string)
    }

    /// The last `n` lines of the server's log.
    pub fn log_tail(&self, n: usize) -> String {
        tail(&self.log, n)
    }

    /// Ready: the client port accepts TCP and `/healthz` says 200.
    pub fn is_ready(&self) -> bool {
        port_open(self.port) && self.healthz().is_some_and(|(s, _)| s == 200)
    }

    /// Is it running (launched, not killed)?
    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// Did the launched process exit by itself? (False once killed.)
    fn exited(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| !matches!(c.try_wait(), Ok(None)))
    }

    /// Waits until ready; Err(log tail) when the process exits first (a port
    /// taken meanwhile, most likely); panics with the log tail after `timeout`.
    fn wait_ready_or_exit(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.is_ready() {
                return Ok(());
            }
            if self.exited() || !self.running() {
                return Err(self.log_tail(40));
            }
            if Instant::now() > deadline {
                panic!(
                    "nats-server {} (port {}) not ready after {timeout:?}; /healthz: {:?}\nconfig {}:\n{}\nlog tail:\n{}",
                    self.server_name,
                    self.port,
                    self.healthz(),
                    self.config.display(),
                    fs::read_to_string(&self.config).unwrap_or_default(),
                    self.log_tail(40)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until [`NatsServer::is_ready`], panicking with the log tail after `timeout`
    /// or when the process exits.
    pub fn wait_ready(&mut self, timeout: Duration) {
        if let Err(log) = self.wait_ready_or_exit(timeout) {
            panic!("nats-server {} (port {}) exited; log tail:\n{log}", self.server_name, self.port);
        }
    }

    /// SIGKILL now (no clean shutdown), keeping the store and the ports for [`NatsServer::restart`].
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills the server if it runs, then starts it again on the same ports with
    /// the same store, and waits until it is ready.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
        self.wait_ready(READY_TIMEOUT);
    }

    /// Starts it again without waiting (for cluster restarts where readiness needs peers).
    pub fn restart_no_wait(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

// ---- a cluster ---------------------------------------------------------------

/// n routed servers with clustered JetStream. Dropping it stops them all.
#[derive(Debug)]
pub struct NatsCluster {
    pub servers: Vec<NatsServer>,
    pub name: String,
}

/// How many polls in a row (50 ms apart) a cluster must be ready on.
const SETTLED_POLLS: u32 = 6;

static CLUSTERS: AtomicU64 = AtomicU64::new(0);

impl NatsCluster {
    /// `n` servers routed to each other, waited for until each `/healthz` says
    /// 200 (JetStream up, meta leader known).
    pub fn start(n: usize) -> NatsCluster {
        NatsCluster::start_with(n, &NatsOptions::default())
    }

    /// Like [`NatsCluster::start`], each server with `opts`' auth and extra config
    /// (its cluster and server name are set here).
    pub fn start_with(n: usize, opts: &NatsOptions) -> NatsCluster {
        let name = format!("omega-c{}-{}", std::process::id(), CLUSTERS.fetch_add(1, Ordering::Relaxed));
        let mut last = String::new();
        for _ in 0..3 {
            let routes = free_ports(n);
            let servers: Vec<NatsServer> = (0..n)
                .map(|i| {
                    let mut o = opts.clone();
                    o.server_name = Some(format!("{name}-n{i}"));
                    o.cluster = Some(ClusterConfig {
                        name: name.clone(),
                        port: routes[i],
                        routes: routes.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| *p).collect(),
                    });
                    NatsServer::spawn(&o)
                })
                .collect();
            let mut c = NatsCluster { servers, name: name.clone() };
            match c.wait_ready_or_exit(READY_TIMEOUT) {
                Ok(()) => return c,
                Err(log) => last = log,
            }
        }
        panic!("a nats-server of cluster {name} exited at once, three times (ports taken?); last log:\n{last}");
    }

    fn wait_ready_or_exit(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        // just after an election a member may still say "not current with the
        // meta leader" for a moment: ready means ready on several polls in a row
        let mut settled = 0;
        loop {
            if self.is_ready() {
                settled += 1;
                if settled >= SETTLED_POLLS {
                    return Ok(());
                }
            } else {
                settled = 0;
            }
            for s in &mut self.servers {
                if s.exited() {
                    return Err(format!("{}:\n{}", s.server_name, s.log_tail(40)));
                }
            }
            if Instant::now() > deadline {
                let mut report = String::new();
                for s in &self.servers {
                    let _ = write!(report, "\n--- {} (port {}): /healthz {:?}\n{}", s.server_name, s.port, s.healthz(), s.log_tail(20));
                }
                panic!("cluster {} not ready after {timeout:?}:{report}", self.name);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Every running server answers `/healthz` with 200 and they all name the
    /// same meta leader in `/jsz`.
    pub fn is_ready(&self) -> bool {
        let mut leaders = BTreeSet::new();
        for s in self.servers.iter().filter(|s| s.running()) {
            if !s.is_ready() {
                return false;
            }
            match s.meta_leader() {
                Some(l) => leaders.insert(l),
                None => return false,
            };
        }
        leaders.len() == 1
    }

    /// Waits until every running server is ready (e.g. after a restart;
    /// killed servers are left out).
    pub fn wait_ready(&mut self, timeout: Duration) {
        if let Err(log) = self.wait_ready_or_exit(timeout) {
            panic!("a nats-server of cluster {} exited; log tail of {log}", self.name);
        }
    }

    /// The client URLs, comma-joined (what a `--server` list takes; async-nats's
    /// `connect` wants [`NatsCluster::url_list`] instead: it reads a string as one URL).
    pub fn urls(&self) -> String {
        self.url_list().join(",")
    }

    /// The client URLs, one per server.
    pub fn url_list(&self) -> Vec<String> {
        self.servers.iter().map(|s| s.url.clone()).collect()
    }

    /// The WebSocket URLs, comma-joined.
    pub fn ws_urls(&self) -> String {
        self.servers.iter().map(|s| s.ws_url.as_str()).collect::<Vec<_>>().join(",")
    }
}
