//! `omega node`: one member of the live cluster (docs/CLUSTER.md).
//!
//! It reads the log's stream in order from where its `--data` folder says it
//! stopped (an ordered consumer: the folder, not the server, is the durable
//! cursor, so the two can never disagree after a crash), and for each message:
//!
//! - **event**: decoded and checked (a message that is not one canonical
//!   event is reported and skipped: every node skips the same ones), then
//!   queued for the next batch;
//! - **seal**: the batch is cut on the node's engine (op 23, the carry rule),
//!   with `--ecs` the world stepped through the batch (op 26), the checkpoint
//!   certified with the node's key (op 4; with `--ecs` its `omega-world`
//!   line), stored, and its signature published on `omega.<log>.sig`;
//! - **sig**: verified against the committee (op 6); a member's signature on
//!   the node's own checkpoint counts toward the quorum, one on another
//!   checkpoint is dissent, two different checkpoints signed by one member at
//!   one height are fraud (a proof is written and checked, op 25), and
//!   signatures of keys outside the committee are reported and never count;
//! - **cert**: verified (op 6), compared with the node's own checkpoint, and
//!   stored in `chain/` when it is valid and equal.
//!
//! When a height has threshold-many agreeing member signatures and no
//! certificate yet, the node merges them (op 24) and publishes the quorum
//! certificate with message id `cert-<height>`; the first valid certificate
//! of a height in the stream is the one every node stores.
use super::publish::{self, Seal};
use super::store::{Cursor, Identity, Store};
use super::{Names, NatsArgs, Out, connect, field_b64, field_str, hex, runtime};
use crate::EngineArgs;
use anyhow::{Context, Result, anyhow, bail};
use async_nats::jetstream::{self, message::PublishMessage as Publish};
use futures_util::StreamExt;
use omega_core::api::Op;
use omega_core::api::abi::STATUS_ERROR;
use omega_core::api::ops::make_fields;
use omega_core::certify::cert::Certificate;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// How many messages behind the head a node may be and still publish quorum certificates.
const NEAR_HEAD: u64 = 2_000;

/// Deliberate misbehaviour, for the cluster's own tests of dissent and fraud.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Fault {
    /// Leave the first event of every batch out (so sign a wrong root).
    WrongRoot,
    /// Also sign a second, different checkpoint at every height.
    DoubleSign,
}

#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub nats: NatsArgs,
    pub key: PathBuf,
    pub committee: PathBuf,
    pub data: PathBuf,
    pub engine: EngineArgs,
    pub origin: Option<String>,
    pub seal_every: Option<u64>,
    pub seal_interval: Option<u64>,
    pub horizon: u32,
    pub delay: u32,
    pub replicas: usize,
    /// The world genesis (config JSON or snapshot) for `--ecs`.
    pub ecs: Option<PathBuf>,
    /// `--tiles`: keep a C2SP tile store of the node's log here, with the
    /// newest quorum certificate as its checkpoint.
    pub tiles: Option<PathBuf>,
    pub fault: Option<Fault>,
}

/// One engine call with fields; an error answer becomes an error.
fn call(engine: &EngineArgs, op: Op, fields: &[&[u8]]) -> Result<(u8, Value)> {
    let resp = crate::run_op(engine, op, &make_fields(fields))?;
    let v: Value = serde_json::from_slice(&resp.body).with_context(|| format!("{op}: the engine's answer is not JSON"))?;
    if resp.status == STATUS_ERROR {
        bail!("{op}: error {}: {}", v.get("code").and_then(Value::as_u64).unwrap_or(0), v.get("message").and_then(Value::as_str).unwrap_or("?"));
    }
    Ok((resp.status, v))
}

/// This node's checkpoint at one height.
#[derive(Debug, Clone)]
struct Mine {
    hash: String,
    root: String,
    /// The world line, with `--ecs`.
    world: Option<String>,
}

/// A member's signature seen at one height.
#[derive(Debug, Clone)]
struct Seen {
    hash: String,
    cert: Vec<u8>,
}

struct Node {
    o: Options,
    out: Out,
    names: Names,
    id: Identity,
    key_text: Vec<u8>,
    committee: Vec<u8>,
    threshold: usize,
    store: Store,
    cursor: Cursor,
    fresh: Vec<u8>,
    fresh_count: u64,
    mine: BTreeMap<u64, Mine>,
    chain: BTreeSet<u64>,
    chain_hash: BTreeMap<u64, String>,
    /// height -> member ("name+keyid") -> first signature seen.
    sigs: BTreeMap<u64, BTreeMap<String, Seen>>,
    reported: BTreeSet<(u64, String, &'static str)>,
    published: BTreeSet<u64>,
    /// For the sealer: events since the last seal, the last seal number, a seal on its way.
    since_seal: u64,
    last_seal_n: u64,
    seal_sent: bool,
    live: bool,
    /// Messages in the stream after the last one read (its stream info's pending count).
    behind: u64,
    announced: bool,
    /// Event id -> leaf hash of every event in the history, so a re-send from beyond the
    /// stream's duplicate window is dropped here (every node has the same history, so
    /// every node drops the same messages).
    history: std::collections::HashMap<[u8; 14], [u8; 32]>,
    resent: u64,
    /// Events the last cut carried (waiting or held): the interval sealer keeps sealing while any are.
    carried: u64,
    /// With `--ecs`: the world genesis bytes and its world line (what an obstruction at height 0 attests).
    world_genesis: Option<(Vec<u8>, String)>,
}

fn member_of(name: &str, key_id: &Value) -> String {
    match key_id {
        Value::String(s) => format!("{name}+{s}"),
        v => format!("{name}+{v}"),
    }
}

impl Node {
    /// With `--tiles`: brings the tile store up to log.omega (after the
    /// cursor is saved, so the store never holds more than a restart keeps)
    /// and, given a quorum certificate that is the chain's newest, makes it
    /// the store's checkpoint. A failure is reported as a `tiles` warning and
    /// caught up at the next batch; signing goes on.
    fn tile_up(&mut self, quorum: Option<&[u8]>) {
        let Some(dir) = self.o.tiles.clone() else { return };
        let log = self.o.data.join("log.omega");
        let done = (|| -> Result<Value> {
            let bytes = crate::commands::log::map(&log)?;
            let mut store = crate::commands::tiles::Store::open(&dir)?;
            let rec = crate::commands::tiles::catch_up(&mut store, &log, &bytes, &self.o.engine)?;
            if let Some(cert) = quorum {
                crate::commands::tiles::put_checkpoint_bytes(&mut store, &rec, cert, &self.o.engine)?;
            }
            Ok(json!({"size": rec.size, "root": rec.root}))
        })();
        match done {
            Ok(v) if quorum.is_some() => self.out.emit("tiles", v),
            Ok(_) => {}
            Err(e) => self.out.emit("warning", json!({"detail": format!("the tile store in {} was not brought up to date: {e:#}; it is caught up at the next batch", dir.display())})),
        }
    }

    fn cert_fields(&self, c: &[u8]) -> Result<(u64, String, String)> {
        let cert = Certificate::read(c).map_err(|e| anyhow!("not a certificate: {e}"))?;
        Ok((cert.checkpoint.height, hex(&cert.checkpoint.hash()), hex(&cert.checkpoint.root)))
    }

    /// A certificate's world line, if it has one.
    fn world_of(c: &[u8]) -> Option<String> {
        Certificate::read(c).ok().and_then(|c| c.checkpoint.world).map(|w| w.to_string())
    }

    fn origin_of(c: &[u8]) -> Option<String> {
        Certificate::read(c).ok().map(|c| c.checkpoint.origin)
    }

    async fn on_event(&mut self, seq: u64, payload: &[u8]) {
        if seq <= self.cursor.seal_seq {
            return;
        }
        self.since_seal += 1;
        // One canonical event per message, or it is skipped (every node skips the same messages).
        let limits = omega_core::Limits::default();
        match omega_core::Event::decode_all(payload, &limits) {
            Ok(evs) if evs.len() == 1 && evs.first().is_some_and(|e| {
                let mut b = Vec::new();
                e.encode_into(&mut b);
                b == payload
            }) => {
                if let Some(e) = evs.first() {
                    let id: [u8; 14] = *e.key().event_id().as_bytes();
                    if self.history.get(&id) == Some(&e.leaf_hash()) {
                        self.resent += 1;
                        return;
                    }
                }
                self.fresh.extend_from_slice(payload);
                self.fresh_count += 1;
            }
            _ => self.out.emit("bad_event", json!({"seq": seq, "reason": "the message is not exactly one canonical event; skipped"})),
        }
    }

    async fn on_seal(&mut self, js: &jetstream::Context, seq: u64, payload: &[u8]) -> Result<()> {
        let (seal, _) = Seal::parse(payload);
        self.last_seal_n = self.last_seal_n.max(seal.n);
        self.since_seal = 0;
        self.seal_sent = false;
        if seq <= self.cursor.seal_seq {
            return Ok(());
        }
        let mut fresh = std::mem::take(&mut self.fresh);
        self.fresh_count = 0;
        if self.o.fault == Some(Fault::WrongRoot) {
            if let Ok(evs) = omega_core::Event::decode_all(&fresh, &omega_core::Limits::default()) {
                let mut b = Vec::new();
                for e in evs.iter().skip(1) {
                    e.encode_into(&mut b);
                }
                fresh = b;
            }
        }
        let prior = match &self.cursor.prior {
            Some(p) => serde_json::to_vec(p)?,
            None => Vec::new(),
        };
        let carry = if self.cursor.carry.is_empty() {
            Vec::new()
        } else {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.decode(&self.cursor.carry).context("cursor.json: carry is not base64")?
        };
        let (_, body) = call(
            &self.o.engine,
            Op::Cut,
            &[&prior, &carry, &fresh, seal.horizon.to_string().as_bytes(), seal.delay.to_string().as_bytes()],
        )?;
        let status = field_str(&body, "status")?.to_string();
        let count = |k: &str| body.get(k).cloned().unwrap_or(Value::Null);
        let num = |k: &str| body.get(k).and_then(Value::as_u64).unwrap_or(0);
        self.carried = num("waiting") + num("held");
        self.out.emit(
            "sealed",
            json!({"resent": self.resent, "seq": seq, "seal": seal.n, "status": status, "batch": count("batch"), "waiting": count("waiting"),
                   "held": count("held"), "expired": count("expired"), "rejected": count("rejected"), "duplicates": count("duplicates")}),
        );
        self.cursor.seal_seq = seq;
        self.cursor.seals += 1;
        self.cursor.carry = field_str(&body, "carry")?.to_string();
        if status == "empty" {
            self.store.save_cursor(&self.cursor)?;
            return Ok(());
        }
        let result = body.get("result").cloned().ok_or_else(|| anyhow!("cut: no result"))?;
        let h = self.cursor.next_height;
        let events = if status == "ok" { field_b64(&body, "events")? } else { Vec::new() };
        if status == "ok" {
            let evs = omega_core::Event::decode_all(&events, &omega_core::Limits::default()).map_err(|(i, _, e)| anyhow!("cut: event {i}: {e}"))?;
            for e in &evs {
                self.history.insert(*e.key().event_id().as_bytes(), e.leaf_hash());
            }
            let encoded: Vec<Vec<u8>> = evs
                .iter()
                .map(|e| {
                    let mut b = Vec::new();
                    e.encode_into(&mut b);
                    b
                })
                .collect();
            self.cursor.log_bytes = self.store.append(&encoded)?;
        }
        let world = self.step_world(h, &status, &events)?;
        let result_bytes = serde_json::to_vec(&result)?;
        let prev = if h == 0 { Vec::new() } else { self.store.mine(h - 1).ok_or_else(|| anyhow!("mine/{} is missing", h - 1))? };
        let mut fields: Vec<&[u8]> = vec![&result_bytes, self.id.origin.as_bytes(), &self.key_text, &prev, &self.committee];
        if let Some(w) = &world {
            fields.push(w.as_bytes());
        }
        let (_, c) = call(&self.o.engine, Op::Certify, &fields)?;
        let cert = field_b64(&c, "certificate")?;
        let hash = field_str(&c, "hash")?.to_string();
        let root = field_str(&c, "root")?.to_string();
        self.store.put_mine(h, &cert)?;
        if status == "ok" {
            self.cursor.prior = Some(result);
        }
        self.cursor.next_height = h + 1;
        self.cursor.open.insert(h, seq);
        self.store.save_cursor(&self.cursor)?;
        self.tile_up(None);
        let mut line = json!({"height": h, "status": status, "tree_size": c.get("tree_size"), "root": root, "hash": hash});
        if let (Some(w), Some(o)) = (&world, line.as_object_mut()) {
            o.insert("world".into(), json!(w));
        }
        self.out.emit("root", line);
        self.mine.insert(h, Mine { hash: hash.clone(), root, world: world.clone() });
        self.publish_sig(js, h, &hash, cert).await?;
        if self.o.fault == Some(Fault::DoubleSign) {
            // The same batch, certified without the committee line: another checkpoint at this height.
            let mut f2: Vec<&[u8]> = vec![&result_bytes, self.id.origin.as_bytes(), &self.key_text, &prev, b""];
            if let Some(w) = &world {
                f2.push(w.as_bytes());
            }
            let (_, c2) = call(&self.o.engine, Op::Certify, &f2)?;
            let cert2 = field_b64(&c2, "certificate")?;
            let hash2 = field_str(&c2, "hash")?.to_string();
            self.publish_sig(js, h, &hash2, cert2).await?;
        }
        self.out.emit("signed", json!({"height": h, "hash": hash}));
        // Signatures that arrived before this node's own checkpoint.
        let members: Vec<String> = self.sigs.get(&h).map(|m| m.keys().cloned().collect()).unwrap_or_default();
        for m in members {
            self.judge(h, &m);
        }
        self.try_quorum(js, h).await
    }

    /// With `--ecs`: steps the world through the batch at height `h` (op 26) and stores it
    /// (before the cursor names `h`); returns the checkpoint's world line. An obstruction
    /// leaves the world as it was, and its checkpoint says so.
    fn step_world(&mut self, h: u64, status: &str, events: &[u8]) -> Result<Option<String>> {
        let Some((genesis, genesis_line)) = &self.world_genesis else { return Ok(None) };
        let before = if h == 0 { genesis.clone() } else { self.store.world(h - 1)? };
        let line = if status == "ok" {
            let (_, w) = call(&self.o.engine, Op::EcsBatch, &[&before, events])?;
            self.store.put_world(h, &field_b64(&w, "world")?)?;
            let tick = w.get("end_tick").and_then(Value::as_u64).ok_or_else(|| anyhow!("op 26: no end_tick"))?;
            let state = field_str(&w, "state_hash")?;
            let n = |k: &str| w.get(k).and_then(Value::as_array).map_or(0, Vec::len);
            self.out.emit(
                "world",
                json!({"height": h, "tick": tick, "state_hash": state, "scheduled": w.get("scheduled"), "refused": w.get("refused"),
                       "late": n("late"), "too_far": n("too_far"), "plain": w.get("plain")}),
            );
            format!("{tick} {state}")
        } else {
            self.store.put_world(h, &before)?;
            self.cursor.world.clone().unwrap_or_else(|| genesis_line.clone())
        };
        self.cursor.world = Some(line.clone());
        Ok(Some(line))
    }

    async fn publish_sig(&self, js: &jetstream::Context, h: u64, hash: &str, cert: Vec<u8>) -> Result<()> {
        let id = format!("sig-{h}-{}-{}", &hash[..16.min(hash.len())], hex(self.id.signer.as_bytes()));
        js.send_publish(self.names.sig.clone(), Publish::build().payload(cert.into()).message_id(id))
            .await
            .map_err(|e| anyhow!("publishing a signature: {e}"))?
            .await
            .map_err(|e| anyhow!("publishing a signature: {e}"))?;
        Ok(())
    }

    /// Reports member `m`'s signature at `h` as dissent when it is on another checkpoint than ours.
    fn judge(&mut self, h: u64, m: &str) {
        let (Some(mine), Some(seen)) = (self.mine.get(&h), self.sigs.get(&h).and_then(|s| s.get(m))) else { return };
        if seen.hash != mine.hash && self.reported.insert((h, m.to_string(), "dissent")) {
            let their_root = self.cert_fields(&seen.cert).map(|x| x.2).unwrap_or_default();
            let mut line = json!({"height": h, "signer": m, "their_root": their_root, "our_root": mine.root, "their_hash": seen.hash, "our_hash": mine.hash});
            if let (Some(o), Some(ours)) = (line.as_object_mut(), &mine.world) {
                o.insert("our_world".into(), json!(ours));
                o.insert("their_world".into(), json!(Self::world_of(&seen.cert)));
            }
            self.out.emit("dissent", line);
        }
    }

    async fn on_sig(&mut self, js: &jetstream::Context, seq: u64, payload: &[u8]) -> Result<()> {
        if Self::origin_of(payload).as_deref() != Some(self.id.origin.as_str()) {
            self.out.emit("bad_signature", json!({"seq": seq, "reason": "not a certificate of this log's origin"}));
            return Ok(());
        }
        let (h, hash, _) = self.cert_fields(payload)?;
        if self.chain.contains(&h) && seq <= self.cursor.seal_seq {
            return Ok(());
        }
        let (_, v) = match call(&self.o.engine, Op::Verify, &[payload, &self.committee]) {
            Ok(x) => x,
            Err(e) => {
                self.out.emit("bad_signature", json!({"seq": seq, "height": h, "reason": e.to_string()}));
                return Ok(());
            }
        };
        let sigs = v.get("signatures").and_then(Value::as_array).cloned().unwrap_or_default();
        for s in sigs {
            let name = s.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
            let m = member_of(&name, s.get("key_id").unwrap_or(&Value::Null));
            match s.get("status").and_then(Value::as_str).unwrap_or("") {
                "valid" => {
                    let prior = self.sigs.get(&h).and_then(|x| x.get(&m)).cloned();
                    match prior {
                        Some(p) if p.hash != hash => self.fraud(h, &m, &p.cert, payload)?,
                        Some(_) => {}
                        None => {
                            self.sigs.entry(h).or_default().insert(m.clone(), Seen { hash: hash.clone(), cert: payload.to_vec() });
                            self.out.emit("signature", json!({"height": h, "signer": m, "hash": hash}));
                            self.judge(h, &m);
                        }
                    }
                }
                "unknown_key" => {
                    if self.reported.insert((h, m.clone(), "stranger")) {
                        self.out.emit("stranger", json!({"height": h, "signer": m, "detail": "a key outside the committee signed; it never counts"}));
                    }
                }
                "bad_signature" => {
                    if self.reported.insert((h, m.clone(), "bad")) {
                        self.out.emit("bad_signature", json!({"height": h, "signer": m, "detail": "carries a member's name and key id but does not verify"}));
                    }
                }
                _ => {}
            }
        }
        self.try_quorum(js, h).await
    }

    fn fraud(&mut self, h: u64, m: &str, a: &[u8], b: &[u8]) -> Result<()> {
        if !self.reported.insert((h, m.to_string(), "fraud")) {
            return Ok(());
        }
        let note = |c: &[u8]| Certificate::read(c).map(|c| c.to_note()).unwrap_or_default();
        let (na, nb) = (note(a), note(b));
        let (status, v) = call(&self.o.engine, Op::Fraud, &[&self.committee, na.as_bytes(), nb.as_bytes()])?;
        let proof = json!({"kind": "omega-fraud-v1", "log": self.names.log, "height": h, "signer": m, "a": na, "b": nb});
        let file = self.store.put_fraud(h, &hex(m.as_bytes())[..16.min(2 * m.len())], &serde_json::to_vec_pretty(&proof)?)?;
        self.out.emit(
            "fraud",
            json!({"height": h, "signer": m, "proof": file.display().to_string(), "verified": status == 0, "hashes": [v.get("a"), v.get("b")]}),
        );
        Ok(())
    }

    async fn try_quorum(&mut self, js: &jetstream::Context, h: u64) -> Result<()> {
        // Near the head only (under a steady load a node is rarely exactly at it): a node
        // catching up on old heights finds their certificates further on in the stream.
        if self.chain.contains(&h) || self.published.contains(&h) || self.behind > NEAR_HEAD {
            return Ok(());
        }
        let Some(mine) = self.mine.get(&h) else { return Ok(()) };
        let agreeing: Vec<&Seen> = self.sigs.get(&h).map(|s| s.values().filter(|x| x.hash == mine.hash).collect()).unwrap_or_default();
        if agreeing.len() < self.threshold {
            return Ok(());
        }
        let certs: Vec<&[u8]> = agreeing.iter().map(|s| s.cert.as_slice()).collect();
        let (_, merged) = call(&self.o.engine, Op::Merge, &certs)?;
        let cert = field_b64(&merged, "certificate")?;
        let (status, _) = call(&self.o.engine, Op::Verify, &[&cert, &self.committee])?;
        if status != 0 {
            return Ok(());
        }
        js.send_publish(self.names.cert.clone(), Publish::build().payload(cert.into()).message_id(format!("cert-{h}")))
            .await
            .map_err(|e| anyhow!("publishing a certificate: {e}"))?
            .await
            .map_err(|e| anyhow!("publishing a certificate: {e}"))?;
        self.published.insert(h);
        Ok(())
    }

    async fn on_cert(&mut self, seq: u64, payload: &[u8]) -> Result<()> {
        if Self::origin_of(payload).as_deref() != Some(self.id.origin.as_str()) {
            self.out.emit("invalid_certificate", json!({"seq": seq, "reason": "not a certificate of this log's origin"}));
            return Ok(());
        }
        let (h, hash, root) = self.cert_fields(payload)?;
        if let Some(have) = self.chain_hash.get(&h) {
            if *have != hash && self.reported.insert((h, hash.clone(), "fork")) {
                self.out.emit("fork", json!({"height": h, "stored": have, "other": hash}));
            }
            return Ok(());
        }
        let (status, v) = call(&self.o.engine, Op::Verify, &[payload, &self.committee])?;
        if status != 0 {
            self.out.emit("invalid_certificate", json!({"seq": seq, "height": h, "problems": v.get("problems")}));
            return Ok(());
        }
        match self.mine.get(&h) {
            Some(m) if m.hash == hash => {
                self.store.put_chain(h, payload)?;
                if self.chain.last().is_none_or(|top| h > *top) {
                    self.tile_up(Some(payload));
                }
                self.chain.insert(h);
                self.chain_hash.insert(h, hash.clone());
                self.cursor.open.remove(&h);
                self.store.save_cursor(&self.cursor)?;
                // What double-signing at long-certified heights needs is kept; older bookkeeping goes.
                let keep_from = h.saturating_sub(1024);
                self.sigs = self.sigs.split_off(&keep_from);
                self.mine = self.mine.split_off(&keep_from);
                self.out.emit(
                    "quorum",
                    json!({"height": h, "hash": hash, "root": root, "tree_size": v.get("tree_size"), "signers": v.get("valid_signers"), "seq": seq}),
                );
            }
            Some(m) => {
                if self.reported.insert((h, hash.clone(), "dissent-quorum")) {
                    let mut line = json!({"height": h, "signer": "quorum", "their_root": root, "our_root": m.root, "their_hash": hash, "our_hash": m.hash,
                               "detail": "the committee certified another checkpoint than this node computed"});
                    if let (Some(o), Some(ours)) = (line.as_object_mut(), &m.world) {
                        o.insert("our_world".into(), json!(ours));
                        o.insert("their_world".into(), json!(Self::world_of(payload)));
                    }
                    self.out.emit("dissent", line);
                }
            }
            None => {
                self.out.emit("dissent", json!({"height": h, "signer": "quorum", "their_root": root, "their_hash": hash, "detail": "this node has no checkpoint at this height"}));
            }
        }
        Ok(())
    }

    async fn maybe_seal(&mut self, js: &jetstream::Context, by_count: bool) -> Result<()> {
        // By count: after every N events this node has read since the last seal (a seal lands at
        // the stream's head, wherever the reader is). By time: only at the head (a node catching
        // up must not seal on the clock), and also while the last cut carried events, so held
        // and waiting events are appended or given up within `delay` / `horizon` seals.
        let something = self.since_seal > 0 || (!by_count && self.carried > 0);
        if (!by_count && !self.live) || self.seal_sent || !something {
            return Ok(());
        }
        if by_count && self.o.seal_every.is_none_or(|n| self.since_seal < n) {
            return Ok(());
        }
        let seal = Seal { n: self.last_seal_n + 1, horizon: self.o.horizon, delay: self.o.delay };
        publish::send_seal(js, &self.names, seal).await?;
        self.seal_sent = true;
        Ok(())
    }
}

/// `omega node ...`: runs until SIGTERM or SIGINT.
pub fn run(o: Options) -> Result<ExitCode> {
    let names = Names::new(&o.nats.log)?;
    let key_text = crate::commands::certify::read_key(&o.key)?;
    let key_str = String::from_utf8(key_text.clone()).map_err(|_| anyhow!("{} is not a signer key file", o.key.display()))?;
    let parts: Vec<&str> = key_str.trim().split('+').collect();
    let (Some(&"PRIVATE"), Some(&"KEY"), Some(signer), Some(key_id)) = (parts.first(), parts.get(1), parts.get(2), parts.get(3)) else {
        bail!("{} is not a signer key (PRIVATE+KEY+<name>+<id>+<key>, as `omega keygen` writes)", o.key.display());
    };
    if omega_core::certify::note::SignerKey::parse(key_str.trim()).is_ok_and(|k| k.is_cosigner()) {
        bail!(
            "{} is a witness key (type 0x04): a node certifies with a note key (`omega keygen` without --witness); a witness cosigns the cluster's certificates with `omega witness` or `omega cosign`",
            o.key.display()
        );
    }
    let signer = format!("{signer}+{key_id}");
    let committee = std::fs::read(&o.committee).with_context(|| format!("cannot read the committee file {}", o.committee.display()))?;
    let cj: Value = serde_json::from_slice(&committee).with_context(|| format!("{} is not a committee (JSON)", o.committee.display()))?;
    let threshold = cj.get("threshold").and_then(Value::as_u64).ok_or_else(|| anyhow!("{}: no threshold", o.committee.display()))?;
    let is_member = cj.get("members").and_then(Value::as_array).is_some_and(|m| m.iter().any(|k| k.as_str().is_some_and(|k| k.starts_with(&format!("{signer}+")))));
    let origin = o.origin.clone().unwrap_or_else(|| format!("omega/{}", names.log));
    let comm_hash = {
        use sha2::Digest as _;
        hex(&sha2::Sha256::digest(&committee))
    };
    // The world genesis, checked (and its world line taken) before anything is stored.
    let world_genesis = match &o.ecs {
        None => None,
        Some(p) => {
            let g = std::fs::read(p).with_context(|| format!("cannot read the world genesis {}", p.display()))?;
            let (_, v) = call(&o.engine, Op::EcsRun, &[&g, b"0", b"", b"summary", b""]).with_context(|| format!("--ecs {}", p.display()))?;
            let tick = v.get("end_tick").and_then(Value::as_u64).ok_or_else(|| anyhow!("op 19: no end_tick"))?;
            let line = format!("{tick} {}", field_str(&v, "state_hash")?);
            Some((g, line))
        }
    };
    let id = Identity {
        log: names.log.clone(),
        origin,
        signer: signer.clone(),
        committee: comm_hash,
        world: world_genesis.as_ref().map(|(g, _)| {
            use sha2::Digest as _;
            hex(&sha2::Sha256::digest(g))
        }),
    };
    let store = Store::open(&o.data, &id)?;
    let o_data = o.data.clone();
    let cursor = store.cursor()?;
    store.settle_log(&cursor)?;
    let out = Out::new();

    // The stored chain is verified before anything else is trusted.
    let chain = store.chain()?;
    let mut chain_hash = BTreeMap::new();
    for (h, c) in &chain {
        let (status, v) = call(&o.engine, Op::Verify, &[c, &committee])?;
        if status != 0 {
            bail!("chain/{h:012}.cert in {} does not verify for the committee: {}", o.data.display(), v.get("problems").cloned().unwrap_or_default());
        }
        chain_hash.insert(*h, field_str(&v, "hash")?.to_string());
    }
    let prefix: Vec<&Vec<u8>> = chain.iter().enumerate().take_while(|(i, (h, _))| *i as u64 == **h).map(|(_, (_, c))| c).collect();
    if let Some((last, rest)) = prefix.split_last() {
        let mut f: Vec<&[u8]> = vec![last, &committee];
        f.extend(rest.iter().map(|c| c.as_slice()));
        let (status, v) = call(&o.engine, Op::Verify, &f)?;
        if status != 0 {
            bail!("the chain stored in {} is not a valid chain: {}", o.data.display(), v.get("chain").cloned().unwrap_or_default());
        }
    }

    let mut node = Node {
        threshold: usize::try_from(threshold).unwrap_or(usize::MAX),
        key_text,
        committee,
        names: names.clone(),
        out,
        store,
        cursor,
        fresh: Vec::new(),
        fresh_count: 0,
        mine: BTreeMap::new(),
        chain: chain_hash.keys().copied().collect(),
        chain_hash,
        sigs: BTreeMap::new(),
        reported: BTreeSet::new(),
        published: BTreeSet::new(),
        since_seal: 0,
        last_seal_n: 0,
        seal_sent: false,
        live: false,
        behind: u64::MAX,
        announced: false,
        carried: 0,
        history: std::collections::HashMap::new(),
        resent: 0,
        world_genesis,
        id,
        o,
    };
    for h in node.cursor.open.keys().copied().collect::<Vec<_>>() {
        let cert = node.store.mine(h).ok_or_else(|| anyhow!("mine/{h:012}.cert is missing though cursor.json lists height {h} as signed"))?;
        let (_, hash, root) = node.cert_fields(&cert)?;
        node.mine.insert(h, Mine { hash, root, world: Node::world_of(&cert) });
    }
    if let Ok(bytes) = std::fs::read(o_data.join("log.omega")) {
        let evs = omega_core::event::frame::read_events(&bytes).map_err(|e| anyhow!("log.omega in {}: {e}", o_data.display()))?;
        for e in &evs {
            node.history.insert(*e.key().event_id().as_bytes(), e.leaf_hash());
        }
    }
    // a crash after the cursor but before the tiles: caught up before anything new
    node.tile_up(None);
    let resume = node.cursor.open.values().copied().min().unwrap_or(node.cursor.seal_seq).min(node.cursor.seal_seq) + 1;

    runtime()?.block_on(async move {
        let client = connect(&node.o.nats, &format!("omega node {signer}")).await?;
        let js = jetstream::new(client);
        // A NATS cluster that has just lost or regained servers answers "temporarily
        // unavailable" until it has elected its leaders: the stream and the reader are tried
        // again for up to 60 s before the node gives up.
        let since = tokio::time::Instant::now();
        let patience = Duration::from_secs(60);
        let _stream = loop {
            match js.get_or_create_stream(names.stream_config(node.o.replicas)).await {
                Ok(s) => break s,
                Err(e) if since.elapsed() < patience => {
                    node.out.emit("nats_error", json!({"detail": format!("cannot open or create the stream {} yet: {e}; trying again", names.stream)}));
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => bail!("cannot open or create the stream {} (a node needs the right to): {e}", names.stream),
            }
        };
        node.last_seal_n = publish::last_seal(&js, &names).await.unwrap_or(0);
        // The reader: an ordered consumer from `from`. Ordered consumers have one replica, on
        // one server; when that server dies the reader is re-created (see the watchdog below).
        let stream_name = names.stream.clone();
        let reader = |from: u64, timeout: Duration| {
            let mut js = js.clone();
            js.set_timeout(timeout);
            let stream_name = stream_name.clone();
            async move {
                let config = jetstream::consumer::pull::OrderedConfig {
                    deliver_policy: jetstream::consumer::DeliverPolicy::ByStartSequence { start_sequence: from },
                    ..Default::default()
                };
                let consumer: jetstream::consumer::Consumer<jetstream::consumer::pull::OrderedConfig> =
                    js.create_consumer_on_stream(config, &stream_name).await.map_err(|e| anyhow!("cannot read the stream {stream_name}: {e}"))?;
                consumer.messages().await.map_err(|e| anyhow!("cannot read the stream {stream_name}: {e}"))
            }
        };
        let mut messages = loop {
            match reader(resume, Duration::from_secs(10)).await {
                Ok(m) => break m,
                Err(e) if since.elapsed() < patience => {
                    node.out.emit("nats_error", json!({"detail": format!("{e}; trying again")}));
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => return Err(e),
            }
        };
        let mut last_read = resume.saturating_sub(1);
        let mut last_at = tokio::time::Instant::now();
        node.out.emit(
            "started",
            json!({"node": signer, "member": is_member, "log": names.log, "engine": match node.o.engine.engine { crate::EngineKind::Native => "native", crate::EngineKind::Wasm => "wasm" }, "height": node.cursor.next_height,
                   "certified": node.chain.len(), "resume_seq": resume}),
        );
        if !is_member {
            node.out.emit("warning", json!({"detail": "this node's key is not in the committee: its signatures will never count"}));
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).context("cannot watch SIGTERM")?;
        let mut tick = tokio::time::interval(Duration::from_millis(node.o.seal_interval.unwrap_or(3_600_000).max(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Every second: is the reader stalled? (async-nats's own recovery of an ordered consumer
        // whose server died takes two missed 15 s heartbeats, a minute or more, and stalls for
        // good in a task nothing else wakes.)
        let mut watchdog = tokio::time::interval(Duration::from_secs(1));
        watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // A stream with nothing pending yet: the node is at the head at once.
        let info = js.get_stream(&names.stream).await.ok();
        if let Some(mut s) = info {
            if s.info().await.map(|i| i.state.last_sequence < resume).unwrap_or(false) {
                node.live = true;
            }
        }
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = term.recv() => break,
                _ = tick.tick(), if node.o.seal_interval.is_some() => node.maybe_seal(&js, false).await?,
                _ = watchdog.tick() => {
                    // Nothing read for 3 s while the stream (whose leader answers from any
                    // surviving server) holds more: the reader died with its server; read again
                    // from the next sequence on a new one.
                    if last_at.elapsed() > Duration::from_secs(3) {
                        let head = match js.get_stream(&names.stream).await {
                            Ok(mut s) => s.info().await.map(|i| i.state.last_sequence).ok(),
                            Err(_) => None,
                        };
                        if head.is_some_and(|h| h > last_read) {
                            node.out.emit("nats_error", json!({"detail": format!("the stream reader stalled at seq {last_read} (the stream is at {}); reading again from {}", head.unwrap_or(0), last_read + 1)}));
                            // A short timeout: the server may place the new reader on the dead server (it
                            // is still one of the stream's peers); the next try lands elsewhere.
                            match reader(last_read + 1, Duration::from_secs(2)).await {
                                Ok(m) => {
                                    messages = m;
                                    last_at = tokio::time::Instant::now();
                                }
                                // tried again at the next tick
                                Err(e) => node.out.emit("nats_error", json!({"detail": e.to_string()})),
                            }
                        } else {
                            last_at = tokio::time::Instant::now();
                        }
                    }
                }
                m = messages.next() => {
                    let Some(m) = m else { bail!("the stream {} ended", names.stream) };
                    let m = match m {
                        Ok(m) => m,
                        Err(e) => {
                            node.out.emit("nats_error", json!({"detail": e.to_string()}));
                            continue;
                        }
                    };
                    let (seq, pending) = match m.info() {
                        Ok(i) => (i.stream_sequence, i.pending),
                        Err(e) => {
                            node.out.emit("nats_error", json!({"detail": format!("a message without stream info: {e}")}));
                            continue;
                        }
                    };
                    last_read = seq;
                    let subject = m.subject.as_str();
                    if subject == names.events {
                        node.on_event(seq, &m.payload).await;
                    } else if subject == names.seal {
                        node.on_seal(&js, seq, &m.payload).await?;
                    } else if subject == names.sig {
                        if let Err(e) = node.on_sig(&js, seq, &m.payload).await {
                            node.out.emit("bad_signature", json!({"seq": seq, "reason": e.to_string()}));
                        }
                    } else if subject == names.cert {
                        if let Err(e) = node.on_cert(seq, &m.payload).await {
                            node.out.emit("invalid_certificate", json!({"seq": seq, "reason": e.to_string()}));
                        }
                    }
                    let was_live = node.live;
                    node.live = pending == 0;
                    node.behind = pending;
                    if node.live && !was_live {
                        if !node.announced {
                            node.announced = true;
                            node.out.emit("live", json!({"seq": seq, "height": node.cursor.next_height}));
                        }
                        for h in node.cursor.open.keys().copied().collect::<Vec<_>>() {
                            node.try_quorum(&js, h).await?;
                        }
                    }
                    node.maybe_seal(&js, true).await?;
                    // after the work, so a long batch is not taken for a stalled reader
                    last_at = tokio::time::Instant::now();
                }
            }
        }
        node.out.emit("stopped", json!({"height": node.cursor.next_height, "certified": node.chain.len()}));
        Ok(ExitCode::SUCCESS)
    })
}
