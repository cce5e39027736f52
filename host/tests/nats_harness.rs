//! The NATS test harness itself (tests/common/nats.rs): real nats-server
//! processes start, answer, restart on the same ports with the same store,
//! form a JetStream cluster, enforce the users' permissions, and are gone
//! (process and folder) after drop, also when the test panics.
//!
//! Skipped when there is no nats-server, unless OMEGA_REQUIRE_NATS=1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use common::nats::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A raw NATS protocol session: the server's INFO line, then `CONNECT`
/// (with `user`/`pass` when given), then `lines` and a `PING`; everything
/// the server answered up to its `PONG` or its first `-ERR`.
fn session(port: u16, auth: Option<(&str, &str)>, lines: &[&str]) -> (String, Vec<String>) {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the client port");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut info = String::new();
    r.read_line(&mut info).unwrap();
    let connect = match auth {
        Some((u, p)) => serde_json::json!({"verbose": false, "pedantic": false, "user": u, "pass": p}),
        None => serde_json::json!({"verbose": false, "pedantic": false}),
    };
    let mut w = s;
    let mut out = format!("CONNECT {connect}\r\n");
    for l in lines {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out.push_str("PING\r\n");
    w.write_all(out.as_bytes()).unwrap();
    let mut answers = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim_end().to_string();
        let end = line == "PONG" || line.starts_with("-ERR 'Authorization");
        answers.push(line);
        if end {
            break;
        }
    }
    (info, answers)
}

#[test]
fn a_server_starts_answers_and_is_gone_after_drop() {
    let Some(_) = require_nats() else { return };
    let server = NatsServer::start(&NatsOptions::default());
    assert_eq!(server.url, format!("nats://127.0.0.1:{}", server.port));
    assert_eq!(server.ws_url, format!("ws://127.0.0.1:{}", server.ws_port));
    let (info, answers) = session(server.port, None, &[]);
    assert!(info.starts_with("INFO {"), "{info}");
    let info: serde_json::Value = serde_json::from_str(info.trim_start_matches("INFO ").trim()).unwrap();
    assert_eq!(info["jetstream"], true, "{info}");
    assert_eq!(info["host"], "127.0.0.1", "{info}");
    assert_eq!(answers, ["PONG"]);
    let (status, body) = server.healthz().expect("/healthz answers");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"ok\""), "{body}");
    assert!(port_open(server.ws_port), "the WebSocket port is closed");
    let jsz = server.monitor("/jsz").expect("/jsz");
    assert_eq!(jsz["config"]["store_dir"].as_str().map(std::path::PathBuf::from), Some(server.store.clone()), "{jsz}");

    let (pid, port, ws, dir) = (server.pid().unwrap(), server.port, server.ws_port, server.dir.clone());
    assert!(pid_alive(pid));
    drop(server);
    assert!(!pid_alive(pid), "nats-server {pid} still runs after drop");
    assert!(!port_open(port) && !port_open(ws), "a port is still open after drop");
    assert!(!dir.exists(), "{} is still there after drop", dir.display());
}

#[test]
fn restart_keeps_the_ports_and_the_store() {
    let Some(_) = require_nats() else { return };
    let mut server = NatsServer::start(&NatsOptions::default());
    let (port, ws, first) = (server.port, server.ws_port, server.pid().unwrap());
    // a stream, created over the raw protocol's JetStream API, must survive the kill
    let config = r#"{"name":"KEPT","subjects":["kept.>"]}"#;
    let publish = format!("PUB $JS.API.STREAM.CREATE.KEPT {}", config.len());
    let (_, answers) = session(server.port, None, &[&publish, config]);
    assert_eq!(answers, ["PONG"]);
    server.kill();
    assert!(server.pid().is_none() && !pid_alive(first));
    assert!(!port_open(port), "the port is open after kill");
    assert!(server.store.is_dir(), "kill removed the store");
    server.restart();
    assert_eq!((server.port, server.ws_port), (port, ws));
    assert_ne!(server.pid(), Some(first));
    assert!(server.is_ready());
    let jsz = server.monitor("/jsz").expect("/jsz");
    assert_eq!(jsz["streams"], 1, "the stream did not survive the restart: {jsz}");
    // restart of a running server works too
    let second = server.pid();
    server.restart();
    assert_ne!(server.pid(), second);
    assert_eq!(server.port, port);
}

#[test]
fn a_three_server_cluster_routes_and_elects_a_meta_leader() {
    let Some(_) = require_nats() else { return };
    let cluster = NatsCluster::start(3);
    assert_eq!(cluster.servers.len(), 3);
    assert_eq!(cluster.urls().split(',').count(), 3);
    assert_eq!(cluster.urls().split(',').next(), Some(cluster.servers[0].url.as_str()));
    for s in &cluster.servers {
        let (status, body) = s.healthz().expect("/healthz answers");
        assert_eq!(status, 200, "{}: {body}", s.server_name);
        let jsz = s.monitor("/jsz").expect("/jsz");
        let meta = &jsz["meta_cluster"];
        assert_eq!(meta["cluster_size"], 3, "{}: {jsz}", s.server_name);
        assert!(meta["leader"].as_str().is_some_and(|l| !l.is_empty()), "{}: no meta leader: {jsz}", s.server_name);
    }
    // kill a member mid-run (not the meta leader: no election to wait for):
    // the other two keep a quorum; it comes back on its ports
    let mut cluster = cluster;
    let leader = cluster.servers[0].meta_leader().expect("a meta leader");
    let i = cluster.servers.iter().position(|s| s.server_name != leader).expect("a follower");
    let port = cluster.servers[i].port;
    cluster.servers[i].kill();
    assert!(!port_open(port));
    cluster.wait_ready(READY_TIMEOUT);
    cluster.servers[i].restart();
    assert_eq!(cluster.servers[i].port, port);
    cluster.wait_ready(READY_TIMEOUT);
    let routez = cluster.servers[i].monitor("/routez").expect("/routez");
    assert_eq!(routez["num_routes"], 2, "{routez}");
}

#[test]
fn users_get_their_passwords_and_permissions() {
    let Some(_) = require_nats() else { return };
    let opts = NatsOptions {
        auth: Some(AuthConfig {
            users: vec![
                User::new("admin", "s3cret"),
                User::new("writer", "w \"quoted\" pw").publish(&["omega.in.>"]).subscribe(&["_INBOX.>"]),
            ],
        }),
        ..NatsOptions::default()
    };
    let server = NatsServer::start(&opts);
    assert_eq!(server.url_as("admin", "s3cret"), format!("nats://admin:s3cret@127.0.0.1:{}", server.port));
    let (_, a) = session(server.port, None, &[]);
    assert!(a.iter().any(|l| l.contains("Authorization Violation")), "no credentials, yet: {a:?}");
    let (_, a) = session(server.port, Some(("admin", "wrong")), &[]);
    assert!(a.iter().any(|l| l.contains("Authorization Violation")), "a wrong password, yet: {a:?}");
    let (_, a) = session(server.port, Some(("admin", "s3cret")), &["PUB anything 0", "", "SUB omega.> 1"]);
    assert_eq!(a, ["PONG"]);
    let (_, a) = session(server.port, Some(("writer", "w \"quoted\" pw")), &["PUB omega.in.x 0", "", "PUB omega.out.x 0", "", "SUB omega.> 1"]);
    assert!(a.iter().any(|l| l.contains("Permissions Violation for Publish to \"omega.out.x\"")), "{a:?}");
    assert!(a.iter().any(|l| l.contains("Permissions Violation for Subscription to \"omega.>\"")), "{a:?}");
    assert!(!a.iter().any(|l| l.contains("omega.in.x")), "{a:?}");
    assert_eq!(a.last().map(String::as_str), Some("PONG"));
}

#[test]
fn a_panicking_test_leaves_no_server_behind() {
    let Some(_) = require_nats() else { return };
    let (tx, rx) = std::sync::mpsc::channel();
    let joined = std::thread::spawn(move || {
        let server = NatsServer::start(&NatsOptions::default());
        tx.send((server.pid().unwrap(), server.port, server.dir.clone())).unwrap();
        panic!("a failing test");
    })
    .join();
    assert!(joined.is_err());
    let (pid, port, dir) = rx.recv().unwrap();
    assert!(!pid_alive(pid), "nats-server {pid} outlived the panic");
    assert!(!port_open(port));
    assert!(!dir.exists());
}

/// The official client (async-nats, as the cluster commands use it) works on
/// what the harness starts: a replicated stream on a fresh 3-server cluster at
/// once, and the WebSocket listener of a single server.
#[test]
fn async_nats_uses_jetstream_on_a_fresh_cluster_and_over_websocket() {
    use async_nats::jetstream::{self, stream};
    let Some(_) = require_nats() else { return };
    let cluster = NatsCluster::start(3);
    let single = NatsServer::start(&NatsOptions::default());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        for (urls, replicas) in [(cluster.url_list(), 3), (vec![single.ws_url.clone()], 1)] {
            let client = async_nats::connect(urls.clone()).await.unwrap_or_else(|e| panic!("connect {urls:?}: {e}"));
            let js = jetstream::new(client);
            let config = stream::Config { name: "R".into(), subjects: vec!["r.>".into()], num_replicas: replicas, ..Default::default() };
            let mut s = js.create_stream(config).await.unwrap_or_else(|e| panic!("{urls:?}: create stream: {e}"));
            let ack = js.publish("r.a", "hello".into()).await.unwrap().await.unwrap_or_else(|e| panic!("{urls:?}: publish: {e}"));
            assert_eq!(ack.sequence, 1, "{urls:?}");
            let info = s.info().await.unwrap();
            assert_eq!((info.state.messages, info.config.num_replicas), (1, replicas), "{urls:?}");
        }
    });
}
