//! The live cluster on NATS JetStream (docs/CLUSTER.md): one log is one
//! JetStream stream; producers publish canonical events into it
//! (`omega publish`), seal messages in the same stream cut batches
//! (`omega seal`, or a node with `--seal-every`/`--seal-interval`), and every
//! node (`omega node`) reconciles each batch on its own engine, signs the
//! checkpoint, exchanges signatures through the stream and stores the
//! quorum certificates. `omega chain` exports a certified chain and
//! `omega verify-fraud` checks a double-signing proof offline.
//!
//! Everything kernel-side (the batch cut, certify, merge, verify, fraud) is
//! an op of the engine the node runs (`--engine native|wasm`); this module
//! is transport, storage and bookkeeping only.
pub(crate) mod chain;
pub(crate) mod demo;
pub(crate) mod node;
pub(crate) mod publish;
pub(crate) mod store;

use anyhow::{Context, Result, anyhow, bail};
use async_nats::jetstream;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the NATS servers and which log to use.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct NatsArgs {
    /// NATS server URL(s), comma-separated (`nats://host:4222`; `tls://` requires TLS).
    #[arg(long, value_name = "URL", env = "OMEGA_NATS_URL")]
    pub nats: String,
    /// The log's name: 1 to 64 of A-Z a-z 0-9 _ -. Its stream is `OMEGA_<NAME>`,
    /// its subjects `omega.<NAME>.{events,seal,sig,cert}`.
    #[arg(long, value_name = "NAME")]
    pub log: String,
    #[command(flatten)]
    pub auth: NatsAuth,
}

/// How to authenticate to the NATS servers (every cluster command takes these).
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct NatsAuth {
    /// A NATS credentials file (JWT + nkey seed), as `nsc` writes it.
    #[arg(long, value_name = "FILE")]
    pub creds: Option<PathBuf>,
    /// A token to authenticate with.
    #[arg(long, env = "OMEGA_NATS_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// A user name to authenticate with (with --password).
    #[arg(long, env = "OMEGA_NATS_USER", requires = "password")]
    pub user: Option<String>,
    /// The password for --user.
    #[arg(long, env = "OMEGA_NATS_PASSWORD", hide_env_values = true, requires = "user")]
    pub password: Option<String>,
    /// A file holding an nkey seed (`SU...`) to authenticate with.
    #[arg(long, value_name = "FILE")]
    pub nkey: Option<PathBuf>,
    /// A PEM file of CA certificates to trust for TLS.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
}

/// The stream and subjects of one log.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub log: String,
    pub stream: String,
    pub events: String,
    pub seal: String,
    pub sig: String,
    pub cert: String,
}

impl Names {
    pub fn new(log: &str) -> Result<Names> {
        let ok = !log.is_empty() && log.len() <= 64 && log.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            bail!("--log {log:?}: a log name is 1 to 64 characters of A-Z a-z 0-9 _ - (it names a JetStream stream and subjects)");
        }
        let s = |part: &str| format!("omega.{log}.{part}");
        Ok(Names {
            log: log.to_string(),
            stream: format!("OMEGA_{log}"),
            events: s("events"),
            seal: s("seal"),
            sig: s("sig"),
            cert: s("cert"),
        })
    }

    /// The stream's configuration (what `omega node` creates when it is missing).
    pub fn stream_config(&self, replicas: usize) -> jetstream::stream::Config {
        jetstream::stream::Config {
            name: self.stream.clone(),
            subjects: vec![self.events.clone(), self.seal.clone(), self.sig.clone(), self.cert.clone()],
            storage: jetstream::stream::StorageType::File,
            num_replicas: replicas.max(1),
            duplicate_window: Duration::from_secs(120),
            allow_direct: true,
            ..Default::default()
        }
    }
}

/// Connects with the credentials the flags give; `name` is the connection name servers show.
pub(crate) async fn connect(a: &NatsArgs, name: &str) -> Result<async_nats::Client> {
    let mut o = async_nats::ConnectOptions::new().name(name).connection_timeout(Duration::from_secs(10));
    if let Some(c) = &a.auth.creds {
        o = o.credentials_file(c).await.with_context(|| format!("cannot read the NATS credentials file {}", c.display()))?;
    }
    if let Some(t) = &a.auth.token {
        o = o.token(t.clone());
    }
    if let (Some(u), Some(p)) = (&a.auth.user, &a.auth.password) {
        o = o.user_and_password(u.clone(), p.clone());
    }
    if let Some(k) = &a.auth.nkey {
        let seed = std::fs::read_to_string(k).with_context(|| format!("cannot read the nkey seed file {}", k.display()))?;
        o = o.nkey(seed.trim().to_string());
    }
    if let Some(ca) = &a.auth.tls_ca {
        o = o.add_root_certificates(ca.clone());
    }
    if a.nats.split(',').any(|u| u.trim().starts_with("tls://")) {
        o = o.require_tls(true);
    }
    let urls: Vec<async_nats::ServerAddr> = a
        .nats
        .split(',')
        .map(|u| u.trim().parse::<async_nats::ServerAddr>().map_err(|e| anyhow!("--nats {u:?}: {e}")))
        .collect::<Result<_>>()?;
    o.connect(urls.as_slice()).await.with_context(|| format!("cannot connect to NATS at {}", a.nats))
}

/// A single-threaded runtime for one command (the kernel calls run inline).
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start the async runtime")
}

/// One line per event of interest on stdout: JSON, or a readable line on a terminal.
#[derive(Debug)]
pub(crate) struct Out {
    tty: bool,
}

impl Out {
    pub fn new() -> Out {
        Out { tty: std::io::stdout().is_terminal() && std::env::var_os("OMEGA_JSON").is_none() }
    }

    pub fn emit(&self, event: &str, fields: serde_json::Value) {
        let mut obj = serde_json::Map::new();
        obj.insert("event".into(), event.into());
        if let serde_json::Value::Object(m) = fields {
            obj.extend(m);
        }
        let line = if self.tty {
            let rest: Vec<String> = obj
                .iter()
                .filter(|(k, _)| *k != "event")
                .map(|(k, v)| match v {
                    serde_json::Value::String(s) => format!("{k}={s}"),
                    v => format!("{k}={v}"),
                })
                .collect();
            format!("{event:>12}  {}", rest.join(" "))
        } else {
            serde_json::Value::Object(obj).to_string()
        };
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{line}");
        let _ = o.flush();
    }
}

/// Hex of bytes.
pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A JSON body's field as a string, or an error naming it.
pub(crate) fn field_str<'a>(v: &'a serde_json::Value, k: &str) -> Result<&'a str> {
    v.get(k).and_then(serde_json::Value::as_str).ok_or_else(|| anyhow!("the engine's answer has no {k:?}"))
}

/// Standard base64 decoding of an engine answer's field.
pub(crate) fn field_b64(v: &serde_json::Value, k: &str) -> Result<Vec<u8>> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(field_str(v, k)?).map_err(|e| anyhow!("the engine's {k:?} is not base64: {e}"))
}

