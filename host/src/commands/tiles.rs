//! The tile store: a log's Merkle tree and entries as C2SP tlog-tiles
//! (docs/FORMATS.md, "Tiled log"), written beside the `.omega` log.
//!
//! ```text
//! DIR/tile/<L>/<N>[.p/<W>]        hash tiles (omega_core::tree::tiles)
//! DIR/tile/entries/<N>[.p/<W>]    entry bundles: the canonical event bytes, in tree order
//! DIR/checkpoint                  the signed checkpoint (`omega tiles --cert`), when given
//! DIR/omega-tiles.json            omega's own record: size, root, the log bytes covered, the prior
//! ```
//!
//! Every file is written whole (temporary name, fsync, rename); the folders
//! are fsynced before `omega-tiles.json` names the new size, and that record
//! is written last. So a crash at any point leaves tiles that are either
//! right or not there, and a record that names a size whose tiles are all
//! durable. What the log holds beyond the record is caught up at the next
//! `append --tiles` or `omega tiles`. A full tile replaces the partial tiles
//! of its index once it is durable.
use crate::json_out::J;
use crate::{EngineArgs, report_error, run_op};
use anyhow::{Context, Result, anyhow, bail};
use omega_core::api::Op;
use omega_core::api::abi;
use omega_core::api::ops::make_fields;
use omega_core::tree::tiles::{self, Edge, Tile};
use omega_core::{ErrorCode, Event, Hash};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The record's file name in the store.
pub(crate) const RECORD: &str = "omega-tiles.json";
/// Leaves hashed and written per step of a rebuild (bounds its memory).
const CHUNK: usize = 1 << 18;

/// `omega-tiles.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Record {
    /// Format of this record: 1.
    pub version: u32,
    /// Entries the store holds.
    pub size: u64,
    /// The tree's root at `size` (64 hex).
    pub root: String,
    /// Bytes of the log (header and frames) whose events the store holds.
    pub log_bytes: u64,
    /// The reconcile result of those events: the prior of the next batch.
    pub prior: serde_json::Value,
}

/// A failure the user can act on: a stable code and a message (exit 2).
#[derive(Debug)]
pub(crate) struct Refusal {
    pub code: u16,
    pub message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error {}: {}", self.code, self.message)
    }
}

impl std::error::Error for Refusal {}

fn refuse(code: u16, message: String) -> anyhow::Error {
    anyhow::Error::new(Refusal { code, message })
}

fn mismatch(message: String) -> anyhow::Error {
    refuse(omega_core::api::code::TILE_MISMATCH, message)
}

/// A tile store folder.
pub(crate) struct Store {
    dir: PathBuf,
    /// Folders a rename went into since the last sync.
    dirty: BTreeSet<PathBuf>,
    /// Files written (new, or replacing other bytes) and left as they were.
    pub written: u64,
    pub kept: u64,
    pub replaced: Vec<String>,
    /// Whether to fsync (off only for a store opened to read).
    durable: bool,
}

impl Store {
    pub fn open(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create the tile folder {}", dir.display()))?;
        Ok(Store { dir: dir.to_path_buf(), dirty: BTreeSet::new(), written: 0, kept: 0, replaced: Vec::new(), durable: true })
    }

    /// A store only read from (a folder that must exist; nothing is written or synced).
    pub fn reader(dir: &Path) -> Result<Store> {
        if !dir.is_dir() {
            bail!("{} is not a folder", dir.display());
        }
        Ok(Store { dir: dir.to_path_buf(), dirty: BTreeSet::new(), written: 0, kept: 0, replaced: Vec::new(), durable: false })
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn read(&self, rel: &str) -> Option<Vec<u8>> {
        std::fs::read(self.path(rel)).ok()
    }

    /// A tile's bytes: the file at its own width, else the full tile of its
    /// index (which replaced it), else, for a partial tile above level 0 of
    /// a size the store never had, its hashes computed from the full tiles
    /// below it; else none.
    pub fn tile(&self, t: &Tile) -> Option<Vec<u8>> {
        if let Some(b) = self.read(&t.path()) {
            return Some(b);
        }
        if t.is_full() {
            return None;
        }
        if let Some(b) = self.read(&Tile { width: tiles::TILE_WIDTH, ..*t }.path()).or_else(|| self.wider(t, &t.path())) {
            return Some(b);
        }
        let below = t.level.checked_sub(1)?;
        let mut out = Vec::with_capacity(t.byte_len());
        for i in 0..u64::from(t.width) {
            let full = Tile { level: below, index: t.index * 256 + i, width: tiles::TILE_WIDTH };
            let b = self.read(&full.path()).filter(|b| b.len() == tiles::FULL_TILE_BYTES)?;
            let hashes: Vec<Hash> = b.chunks_exact(32).filter_map(|c| c.try_into().ok()).collect();
            out.extend_from_slice(&omega_core::tree::merkle::root(&hashes));
        }
        Some(out)
    }

    /// A partial file of `t`'s index wider than `t` (its first hashes or
    /// entries are `t`'s): the narrowest one there is. `path` is `t`'s.
    fn wider(&self, t: &Tile, path: &str) -> Option<Vec<u8>> {
        let dir = self.path(path.rsplit_once('/')?.0);
        let w = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u16>().ok())
            .filter(|w| *w > t.width && *w < tiles::TILE_WIDTH)
            .min()?;
        let mut p = path.rsplit_once('/')?.0.to_string();
        p.push_str(&format!("/{w}"));
        self.read(&p)
    }

    /// An entry bundle's bytes, likewise.
    pub fn bundle(&self, t: &Tile) -> Option<Vec<u8>> {
        self.read(&t.entries_path()).or_else(|| (!t.is_full()).then(|| self.read(&Tile { width: tiles::TILE_WIDTH, ..*t }.entries_path())).flatten())
    }

    /// Writes `rel` whole unless it already holds exactly `bytes`.
    pub fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(rel);
        match std::fs::read(&path) {
            Ok(old) if old == bytes => {
                self.kept += 1;
                return Ok(());
            }
            Ok(_) => self.replaced.push(rel.to_string()),
            Err(_) => {}
        }
        let parent = path.parent().map(Path::to_path_buf).unwrap_or_else(|| self.dir.clone());
        std::fs::create_dir_all(&parent).with_context(|| format!("cannot create {}", parent.display()))?;
        let mut tmp = path.clone().into_os_string();
        tmp.push(format!(".tmp-{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let done = (|| -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(bytes)?;
            if self.durable {
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &path)
        })();
        if let Err(e) = done {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
        self.written += 1;
        self.dirty.insert(parent);
        Ok(())
    }

    /// Makes every rename so far durable.
    pub fn sync(&mut self) -> Result<()> {
        if self.durable {
            for d in std::mem::take(&mut self.dirty) {
                File::open(&d).and_then(|f| f.sync_all()).with_context(|| format!("fsync of {}", d.display()))?;
            }
        }
        self.dirty.clear();
        Ok(())
    }

    /// Removes the partial tiles (and entry bundles) of `t`'s index, once
    /// its full tile is durable.
    fn drop_partials(&self, t: &Tile) {
        let mut dirs = vec![self.path(&format!("{}.p", t.path()))];
        if t.level == 0 {
            dirs.push(self.path(&format!("{}.p", t.entries_path())));
        }
        for d in dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    /// The record, when there is a readable one.
    pub fn record(&self) -> Option<Record> {
        let b = self.read(RECORD)?;
        let r: Record = serde_json::from_slice(&b).ok()?;
        (r.version == 1).then_some(r)
    }

    fn save_record(&mut self, r: &Record) -> Result<()> {
        let mut b = serde_json::to_vec_pretty(r)?;
        b.push(b'\n');
        // not a tile: not counted among the files written
        let (w, k, n) = (self.written, self.kept, self.replaced.len());
        self.put(RECORD, &b)?;
        (self.written, self.kept) = (w, k);
        self.replaced.truncate(n);
        self.sync()
    }
}

fn hex32(s: &str) -> Option<Hash> {
    let v = omega_core::hex::decode(s)?;
    v.try_into().ok()
}

/// The events of a clean history in tree order (canonical key order, each
/// once): what its leaves and entries are.
fn tree_order(mut events: Vec<Event>) -> Vec<Event> {
    events.sort_by_key(|e| (e.key(), e.leaf_hash()));
    events.dedup();
    events
}

fn encode(e: &Event) -> Vec<u8> {
    let mut b = Vec::new();
    e.encode_into(&mut b);
    b
}

/// Reconciles `events` (canonical binary, concatenated) against `prior`
/// (an ok result JSON, or empty) on the engine: the ok result, or a refusal
/// that says why the batch cannot be tiled.
fn reconcile(engine: &EngineArgs, events: &[u8], prior: &[u8]) -> Result<serde_json::Value> {
    let mut req = u32::try_from(events.len()).context("a batch over 4 GiB")?.to_le_bytes().to_vec();
    req.extend_from_slice(events);
    req.extend_from_slice(prior);
    let r = run_op(engine, Op::ReconcileBinary, &req)?;
    let v: serde_json::Value = serde_json::from_slice(&r.body).context("the engine's answer is not JSON")?;
    match r.status {
        abi::STATUS_OK => Ok(v),
        abi::STATUS_OBSTRUCTION => {
            let reasons: Vec<String> = v
                .get("violations")
                .and_then(|a| a.as_array())
                .map(|a| a.iter().take(3).map(|x| format!("{} {}", x.get("code").and_then(|c| c.as_u64()).unwrap_or(0), x.get("reason").and_then(|r| r.as_str()).unwrap_or("?"))).collect())
                .unwrap_or_default();
            let code = v.pointer("/violations/0/code").and_then(|c| c.as_u64()).unwrap_or(1001) as u16;
            Err(refuse(code, format!("the events obstruct against the tiled history ({}); a tile store holds only a clean history, so nothing was written (see `omega reconcile --prior` for the evidence)", reasons.join(", "))))
        }
        _ => Err(refuse(
            v.get("code").and_then(|c| c.as_u64()).unwrap_or(3301) as u16,
            v.get("message").and_then(|m| m.as_str()).unwrap_or("the engine refused the batch").to_string(),
        )),
    }
}

/// Extends the store from `size` (its record) by `events`, which a
/// reconcile against the record's prior accepted with result `result`.
/// Checks the store's edge against the record first, and the new root
/// against the result after.
fn extend(store: &mut Store, record: Option<&Record>, events: Vec<Event>, result: serde_json::Value, log_bytes: u64) -> Result<Record> {
    let (size, root) = match record {
        Some(r) => (r.size, hex32(&r.root).ok_or_else(|| mismatch(format!("{RECORD}: the root is not 64 hex")))?),
        None => (0, omega_core::tree::merkle::empty_root()),
    };
    let mut get = |t: &Tile| store.tile(t);
    let edge = edge_from(size, &mut get)?;
    if edge.root() != root {
        return Err(mismatch(format!("the partial tiles of size {size} lead to another root than {RECORD} names")));
    }
    // The entries of the partial bundle, checked against the level-0 tile.
    let mut pending: Vec<Vec<u8>> = Vec::new();
    if let Some((t, hashes)) = edge.partial(0) {
        let b = store.bundle(&t).ok_or_else(|| mismatch(format!("{} is missing", t.entries_path())))?;
        let entries = tiles::parse_bundle(&b).map_err(|e| refuse(e.code(), format!("{}: {e}", t.entries_path())))?;
        let entries = entries.get(..usize::from(t.width)).ok_or_else(|| mismatch(format!("{} holds fewer than {} entries", t.entries_path(), t.width)))?;
        for (e, h) in entries.iter().zip(hashes.chunks_exact(32)) {
            if tiles::entry_hash(e) != h {
                return Err(mismatch(format!("an entry of {} does not hash to its leaf in {}", t.entries_path(), t.path())));
            }
        }
        pending = entries.iter().map(|e| e.to_vec()).collect();
    }
    let events = tree_order(events);
    let frontier = record.and_then(|r| r.prior.get("frontier").and_then(|f| f.as_str()).map(str::to_string));
    // Only the events after the prior frontier are new leaves (the others
    // were dropped as duplicates of the prior heads).
    let new: Vec<&Event> = events.iter().filter(|e| frontier.as_deref().is_none_or(|f| e.key().to_hex().as_str() > f)).collect();
    let appended = result.get("appended").and_then(|a| a.as_u64()).unwrap_or(u64::MAX);
    if new.len() as u64 != appended {
        return Err(mismatch(format!("{} new leaves, but the reconcile appended {appended}", new.len())));
    }
    let leaves: Vec<Hash> = new.iter().map(|e| e.leaf_hash()).collect();
    let want = result.get("root").and_then(|r| r.as_str()).and_then(hex32).ok_or_else(|| anyhow!("the reconcile result has no root"))?;
    let mut next = edge.clone();
    let out = next.extend(&leaves);
    if next.root() != want {
        return Err(mismatch("the tiles' new root is not the reconciled root".to_string()));
    }
    for e in &new {
        let b = encode(e);
        if b.len() > tiles::MAX_ENTRY {
            return Err(refuse(
                omega_core::api::code::TILE_BUNDLE,
                format!("event {} is {} bytes; a C2SP entry bundle holds at most {} bytes per entry, so it cannot be tiled and nothing was written", e.key().to_hex(), b.len(), tiles::MAX_ENTRY),
            ));
        }
        pending.push(b);
    }
    write(store, size, out, pending)?;
    let edge = next;
    let rec = Record { version: 1, size: edge.size(), root: omega_core::hex::encode(&edge.root()), log_bytes, prior: result };
    store.save_record(&rec)?;
    Ok(rec)
}

/// Reads the edge at `size`, as a refusal (3410, 3411) when its tiles are missing or short.
fn edge_from(size: u64, get: &mut impl FnMut(&Tile) -> Option<Vec<u8>>) -> Result<Edge> {
    // Edge::from_tiles borrows; collect the partial tiles first.
    let parts: Vec<(Tile, Vec<u8>)> = tiles::partial_tiles(size).into_iter().filter_map(|t| get(&t).map(|b| (t, b))).collect();
    let mut look = |t: &Tile| parts.iter().find(|(p, _)| p == t).map(|(_, b)| b.as_slice());
    Edge::from_tiles(size, &mut look).map_err(|e| refuse(e.code(), format!("the tile store at size {size}: {e}")))
}

/// Writes the tiles `out` (an [`Edge::extend`] result from `size`) and the
/// entry bundles of `pending` (the entries from the start of the partial
/// bundle at `size` on), then syncs, then drops replaced partials.
fn write(store: &mut Store, size: u64, out: Vec<(Tile, Vec<u8>)>, pending: Vec<Vec<u8>>) -> Result<()> {
    let first = size / 256;
    let full: Vec<Tile> = out.iter().filter(|(t, _)| t.is_full()).map(|(t, _)| *t).collect();
    for (t, b) in &out {
        store.put(&t.path(), b)?;
    }
    for (i, chunk) in pending.chunks(256).enumerate() {
        let index = first + i as u64;
        let t = Tile { level: 0, index, width: chunk.len() as u16 };
        // the partial bundle at `size` is already there unless it grew
        if !t.is_full() && index == first && u64::from(t.width) == size % 256 {
            continue;
        }
        let b = tiles::bundle(chunk.iter().map(Vec::as_slice)).map_err(|e| refuse(e.code(), e.to_string()))?;
        store.put(&t.entries_path(), &b)?;
    }
    store.sync()?;
    for t in &full {
        store.drop_partials(t);
    }
    Ok(())
}

/// What `omega tiles` and `append --tiles` report.
fn report(store: &Store, rec: &Record, extra: Vec<(&'static str, J)>) -> J {
    let mut m = vec![
        ("status", "ok".into()),
        ("dir", store.dir.display().to_string().into()),
        ("size", rec.size.into()),
        ("root", rec.root.clone().into()),
        ("written", store.written.into()),
        ("kept", store.kept.into()),
        ("replaced", J::A(store.replaced.iter().map(|s| s.clone().into()).collect())),
    ];
    m.extend(extra);
    J::O(m)
}

/// The events of `log`'s frames from byte `from` on, and the log's valid
/// length: refused (with `omega ingest`'s advice) when the log is damaged.
fn log_events(log: &Path, bytes: &[u8], from: u64) -> Result<Vec<Event>> {
    let r = omega_core::event::frame::scan(bytes);
    if let Some(e) = &r.error {
        return Err(refuse(
            e.code(),
            format!("{} is damaged ({e}); run `omega ingest --input {} --repair` (or --salvage) first: tiles are written only over a valid log", log.display(), log.display()),
        ));
    }
    let h = omega_core::event::frame::HEADER_LEN;
    let from = usize::try_from(from).unwrap_or(usize::MAX).max(h);
    // The header, then the frames from `from` on: a log of just those.
    let mut part = bytes.get(..h).unwrap_or_default().to_vec();
    part.extend_from_slice(bytes.get(from..).unwrap_or_default());
    omega_core::event::frame::read_events(&part)
        .map_err(|e| mismatch(format!("{RECORD} says the store covers {from} bytes of {}, but no frame starts there ({e})", log.display())))
}

/// Brings the store up to the log: the frames past the record's
/// `log_bytes` are reconciled against its prior and tiled. With no usable
/// record, the store is rebuilt from the whole log (every file checked,
/// missing or wrong ones rewritten).
pub(crate) fn catch_up(store: &mut Store, log: &Path, bytes: &[u8], engine: &EngineArgs) -> Result<Record> {
    let len = bytes.len() as u64;
    match store.record() {
        Some(rec) if rec.log_bytes == len => Ok(rec),
        Some(rec) if rec.log_bytes > len => Err(mismatch(format!(
            "the tile store holds {} entries from {} bytes of {}, but the log now has only {len} bytes: it was truncated or replaced. Nothing was changed; the store's entry bundles still hold every entry",
            rec.size,
            rec.log_bytes,
            log.display()
        ))),
        Some(rec) => {
            let events = log_events(log, bytes, rec.log_bytes)?;
            let mut batch = Vec::new();
            for e in &events {
                e.encode_into(&mut batch);
            }
            let prior = serde_json::to_vec(&rec.prior)?;
            let result = reconcile(engine, &batch, &prior)?;
            extend(store, Some(&rec), events, result, len)
        }
        None => rebuild(store, log, bytes, engine),
    }
}

/// Writes every tile and bundle of the whole log's tree, keeping files that
/// already hold the right bytes and naming the ones it replaces.
fn rebuild(store: &mut Store, log: &Path, bytes: &[u8], engine: &EngineArgs) -> Result<Record> {
    let events = log_events(log, bytes, 0)?;
    let r = run_op(engine, Op::ReconcileLog, &make_fields(&[bytes, b""]))?;
    let result: serde_json::Value = serde_json::from_slice(&r.body).context("the engine's answer is not JSON")?;
    match r.status {
        abi::STATUS_OK => {}
        abi::STATUS_OBSTRUCTION => {
            return Err(refuse(
                result.pointer("/violations/0/code").and_then(|c| c.as_u64()).unwrap_or(1001) as u16,
                format!("{} obstructs (`omega reconcile --format omega --input {}` shows the evidence); a tile store holds only a clean history", log.display(), log.display()),
            ));
        }
        _ => {
            report_error(&r.body);
            bail!("the log could not be reconciled");
        }
    }
    let events = tree_order(events);
    for e in &events {
        let n = e.encoded_len();
        if n > tiles::MAX_ENTRY {
            return Err(refuse(omega_core::api::code::TILE_BUNDLE, format!("event {} is {n} bytes; a C2SP entry bundle holds at most {} bytes per entry", e.key().to_hex(), tiles::MAX_ENTRY)));
        }
    }
    let leaves: Vec<Hash> = events.iter().map(Event::leaf_hash).collect();
    let want = result.get("root").and_then(|r| r.as_str()).and_then(hex32).ok_or_else(|| anyhow!("the reconcile result has no root"))?;
    if omega_core::tree::merkle::root(&leaves) != want {
        bail!("the log's leaves in tree order do not give the reconciled root (a defect: please report it)");
    }
    // A store that holds another history, or more than the log, is refused untouched.
    if let Some(old) = store.record() {
        let n = leaves.len() as u64;
        if old.size > n {
            return Err(mismatch(format!("the tile store holds {} entries but {} has {n}; nothing was changed", old.size, log.display())));
        }
        let prefix = omega_core::tree::merkle::root(leaves.get(..old.size as usize).unwrap_or_default());
        if Some(prefix) != hex32(&old.root) {
            return Err(mismatch(format!(
                "the tile store holds another history (its root at size {} is not the log's); nothing was changed: give another --out",
                old.size
            )));
        }
    }
    let mut edge = Edge::new();
    for chunk in leaves.chunks(CHUNK) {
        // full tiles as they complete; the partial ones of the final size below
        for (t, b) in edge.extend(chunk).iter().filter(|(t, _)| t.is_full()) {
            store.put(&t.path(), b)?;
        }
    }
    for level in 0..=tiles::MAX_LEVEL {
        if let Some((t, b)) = edge.partial(level) {
            store.put(&t.path(), &b)?;
        }
    }
    for (n, chunk) in events.chunks(256).enumerate() {
        let t = Tile { level: 0, index: n as u64, width: chunk.len() as u16 };
        let enc: Vec<Vec<u8>> = chunk.iter().map(encode).collect();
        let b = tiles::bundle(enc.iter().map(Vec::as_slice)).map_err(|e| refuse(e.code(), e.to_string()))?;
        store.put(&t.entries_path(), &b)?;
    }
    store.sync()?;
    for t in tiles::all_tiles(edge.size()).filter(Tile::is_full) {
        if store.path(&format!("{}.p", t.path())).exists() || (t.level == 0 && store.path(&format!("{}.p", t.entries_path())).exists()) {
            store.drop_partials(&t);
        }
    }
    let rec = Record { version: 1, size: edge.size(), root: omega_core::hex::encode(&edge.root()), log_bytes: bytes.len() as u64, prior: result };
    store.save_record(&rec)?;
    Ok(rec)
}

/// Prints a refusal as `omega: error CODE: …` and gives exit 2; other errors pass.
pub(crate) fn refusal_exit(e: anyhow::Error) -> Result<ExitCode> {
    match e.downcast_ref::<Refusal>() {
        Some(r) => {
            eprintln!("omega: {r}");
            Ok(ExitCode::from(2))
        }
        None => Err(e),
    }
}

/// `omega tiles --log L --out DIR [--cert C]`.
pub fn tiles_cmd(log: &Path, out: &Path, cert: Option<&Path>, engine: &EngineArgs) -> Result<ExitCode> {
    let run = || -> Result<J> {
        let bytes = crate::commands::log::map(log)?;
        let mut store = Store::open(out)?;
        // Every file of the tree is checked, and written when missing or wrong.
        let rec = rebuild(&mut store, log, &bytes, engine)?;
        let mut extra = Vec::new();
        if let Some(c) = cert {
            extra.push(("checkpoint", put_checkpoint(&mut store, &rec, c, engine)?));
        }
        Ok(report(&store, &rec, extra))
    };
    match run() {
        Ok(j) => {
            std::io::stdout().write_all(j.pretty().as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => refusal_exit(e),
    }
}

/// Writes `DIR/checkpoint`: the signed note of certificate `cert`, once its
/// tree (size and root) is checked against the tiles.
fn put_checkpoint(store: &mut Store, rec: &Record, cert: &Path, engine: &EngineArgs) -> Result<J> {
    let c = std::fs::read(cert).with_context(|| format!("cannot read {}", cert.display()))?;
    put_checkpoint_bytes(store, rec, &c, engine).with_context(|| cert.display().to_string())
}

/// [`put_checkpoint`] of a certificate's bytes.
pub(crate) fn put_checkpoint_bytes(store: &mut Store, rec: &Record, c: &[u8], engine: &EngineArgs) -> Result<J> {
    let r = run_op(engine, Op::Note, &make_fields(&[c]))?;
    if r.status == abi::STATUS_ERROR {
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        return Err(refuse(v.get("code").and_then(|c| c.as_u64()).unwrap_or(3301) as u16, v.get("message").and_then(|m| m.as_str()).unwrap_or("not a certificate").to_string()));
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body).context("the engine's answer is not JSON")?;
    let text = v.get("note").and_then(|t| t.as_str()).ok_or_else(|| anyhow!("the engine gave no note"))?;
    let note = text.as_bytes().to_vec();
    let mut lines = text.lines();
    let (_, size, root) = (lines.next(), lines.next(), lines.next());
    let size: u64 = size.and_then(|s| s.parse().ok()).ok_or_else(|| anyhow!("the checkpoint has no tree size"))?;
    let root = root.and_then(omega_core::certify::note::b64_decode).ok_or_else(|| anyhow!("the checkpoint has no root"))?;
    if size > rec.size {
        return Err(mismatch(format!("the certificate is for {size} entries; the tile store holds {}", rec.size)));
    }
    let mut get = |t: &Tile| store.tile(t);
    let got = root_at(size, &mut get)?;
    if got.as_slice() != root.as_slice() {
        return Err(mismatch(format!("the certificate's root at size {size} is not the root of the tiles ({})", omega_core::hex::encode(&got))));
    }
    store.put("checkpoint", &note)?;
    store.sync()?;
    Ok(J::O(vec![("size", size.into()), ("root", omega_core::hex::encode(&got).into())]))
}

/// The root at `size` from the tile files.
pub(crate) fn root_at(size: u64, get: &mut impl FnMut(&Tile) -> Option<Vec<u8>>) -> Result<Hash> {
    let tiles: Vec<(Tile, Vec<u8>)> = tiles::root_tiles(size).into_iter().filter_map(|t| get(&t).map(|b| (t, b))).collect();
    let mut look = |t: &Tile| tiles.iter().find(|(p, _)| p == t).map(|(_, b)| b.as_slice());
    tiles::root(size, &mut look).map_err(|e| refuse(e.code(), e.to_string()))
}

/// The size to prove at: `--size`, else the record's, else the checkpoint's.
fn store_size(store: &Store) -> Option<u64> {
    store.record().map(|r| r.size).or_else(|| {
        let c = store.read("checkpoint")?;
        String::from_utf8(c).ok()?.lines().nth(1)?.parse().ok()
    })
}

/// `omega prove --tiles DIR (--index I | --old-size M) [--size N]`: reads
/// only the tiles the proof needs.
pub fn prove(dir: &Path, index: Option<u64>, old_size: Option<u64>, size: Option<u64>, engine: &EngineArgs) -> Result<ExitCode> {
    let run = || -> Result<abi::Response> {
        let store = Store::reader(dir)?;
        let have = store_size(&store);
        let n = size.or(have).ok_or_else(|| anyhow!("{} has no {RECORD} and no checkpoint; give --size", dir.display()))?;
        if let Some(h) = have.filter(|h| n > *h) {
            return Err(refuse(omega_core::api::code::TILE_MISSING, format!("the tile store holds {h} entries; it has no tree of size {n}")));
        }
        proof_via_op(&store, index, old_size, n, None, engine)
    };
    match run() {
        Ok(r) if r.status == abi::STATUS_OK => {
            std::io::stdout().write_all(&r.body)?;
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => {
            report_error(&r.body);
            Ok(ExitCode::from(2))
        }
        Err(e) => refusal_exit(e),
    }
}

/// The root the store claims at size `n`: its record's, or its
/// checkpoint's, when either is of that size.
fn trusted_root(store: &Store, n: u64) -> Option<Hash> {
    if let Some(r) = store.record().filter(|r| r.size == n) {
        return hex32(&r.root);
    }
    let c = String::from_utf8(store.read("checkpoint")?).ok()?;
    let mut l = c.lines().skip(1);
    (l.next()?.parse::<u64>().ok()? == n).then_some(())?;
    omega_core::certify::note::b64_decode(l.next()?)?.try_into().ok()
}

/// The proof (op 29 on `engine`, the body `omega prove` prints) from the
/// store's tiles: the op names the tiles it needs, they are read (each the
/// file at its width, or a stand-in, see [`Store::tile`]), and the op
/// computes the proof, checked against `root` when given (a witness gives
/// the root of the checkpoint it was handed), else against the root the
/// store claims at that size (its record or checkpoint), when it claims one.
pub(crate) fn proof_via_op(
    store: &Store,
    index: Option<u64>,
    old_size: Option<u64>,
    n: u64,
    root: Option<Hash>,
    engine: &EngineArgs,
) -> Result<abi::Response> {
    let (kind, at) = match (index, old_size) {
        (Some(i), None) => ("inclusion", i),
        (None, Some(m)) => ("consistency", m),
        _ => bail!("give exactly one of --index (inclusion proof) or --old-size (consistency proof)"),
    };
    let root = root.or_else(|| trusted_root(store, n)).map(|h| omega_core::hex::encode(&h)).unwrap_or_default();
    let (a, size) = (at.to_string(), n.to_string());
    let head: Vec<&[u8]> = vec![kind.as_bytes(), a.as_bytes(), size.as_bytes(), root.as_bytes()];
    let r = run_op(engine, Op::ProveTiles, &make_fields(&head))?;
    if r.status != abi::STATUS_OBSTRUCTION {
        return Ok(r);
    }
    let v: serde_json::Value = serde_json::from_slice(&r.body).context("the engine's answer is not JSON")?;
    let mut given: Vec<(String, Vec<u8>)> = Vec::new();
    for p in v.get("tiles").and_then(|t| t.as_array()).into_iter().flatten().filter_map(|p| p.as_str()) {
        let (t, _) = Tile::parse(p).map_err(|e| refuse(e.code(), e.to_string()))?;
        let b = store.tile(&t).ok_or_else(|| refuse(omega_core::api::code::TILE_MISSING, format!("tile {p} is missing from {}", store.dir.display())))?;
        given.push((p.to_string(), b));
    }
    let mut fields = head;
    for (p, b) in &given {
        fields.push(p.as_bytes());
        fields.push(b);
    }
    let r = run_op(engine, Op::ProveTiles, &make_fields(&fields))?;
    if r.status == abi::STATUS_OBSTRUCTION {
        bail!("the engine still needs tiles after it was given every one it named (a defect: please report it)");
    }
    Ok(r)
}

/// An `append --tiles` between its check and its write: the store caught
/// up with the log, and the batch's reconcile result against it.
pub(crate) struct Pending {
    store: Store,
    record: Record,
    result: serde_json::Value,
}

/// Before `append --tiles` writes anything: brings the store in `dir` up
/// to the log (`bytes`, its current contents) and reconciles `events`
/// against it. Any refusal here leaves the log untouched.
pub(crate) fn prepare(dir: &Path, log: &Path, bytes: &[u8], events: &[Event], engine: &EngineArgs) -> Result<Pending> {
    for e in events {
        let n = e.encoded_len();
        if n > tiles::MAX_ENTRY {
            return Err(refuse(
                omega_core::api::code::TILE_BUNDLE,
                format!("event {} is {n} bytes; a C2SP entry bundle holds at most {} bytes per entry, so it cannot be tiled and nothing was appended", e.key().to_hex(), tiles::MAX_ENTRY),
            ));
        }
    }
    let mut store = Store::open(dir)?;
    let record = catch_up(&mut store, log, bytes, engine)?;
    let mut batch = Vec::new();
    for e in events {
        e.encode_into(&mut batch);
    }
    let result = reconcile(engine, &batch, &serde_json::to_vec(&record.prior)?)?;
    Ok(Pending { store, record, result })
}

impl Pending {
    /// After the frames are durable (the log is now `log_bytes` long): the
    /// new tiles, bundles and record.
    pub(crate) fn finish(mut self, events: Vec<Event>, log_bytes: u64) -> Result<J> {
        let rec = extend(&mut self.store, Some(&self.record), events, self.result, log_bytes)?;
        Ok(report(&self.store, &rec, Vec::new()))
    }
}
