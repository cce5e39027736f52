//! What a node keeps in its `--data DIR` (docs/CLUSTER.md, "What a node stores"):
//!
//! ```text
//! node.json                  identity: log, origin, signer name, committee hash (checked at every start)
//! log.omega                  the appended events, canonical order, framed (fsync per batch)
//! cursor.json                where the node is: last seal's stream sequence, prior result, carry, open heights
//! mine/<height>.cert         the checkpoint this node signed at each height (its one signature)
//! world/<height>.omgw        with --ecs: the world after each height (the last few kept)
//! chain/<height>.cert        the quorum certificate of each height (verified before it is written)
//! fraud/<height>-<id>.json   double-signing proofs this node caught
//! ```
//!
//! Every file is written whole and durably (temporary name, fsync, rename,
//! fsync of the folder), except `log.omega`, which is appended and fsynced;
//! the cursor records its length, so frames a crash left beyond it are cut
//! at the next start. The order per batch is: log, mine, cursor; only then
//! is the signature published. So after `kill -9` the node resumes from its
//! cursor and, because the kernel is deterministic and Ed25519 signing is
//! too, signs exactly what it signed before.
use crate::commands::certify::write_atomic;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `node.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Identity {
    pub log: String,
    pub origin: String,
    pub signer: String,
    pub committee: String,
    /// With `--ecs`: SHA-256 of the world genesis file (a node keeps one world for life).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub world: Option<String>,
}

/// `cursor.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Cursor {
    /// Stream sequence of the last seal processed (0: none yet).
    pub seal_seq: u64,
    /// Seals processed.
    pub seals: u64,
    /// The height the next non-empty batch gets.
    pub next_height: u64,
    /// Bytes of log.omega that belong to the history.
    pub log_bytes: u64,
    /// The prior (the last ok result JSON), or null for the empty history.
    pub prior: Option<serde_json::Value>,
    /// The carry (base64 OMGP), empty for none.
    pub carry: String,
    /// Heights signed but not yet quorum-certified, with the seal sequence that made each.
    pub open: BTreeMap<u64, u64>,
    /// With `--ecs`: the last checkpoint's world line (`<tick> <64 hex>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub world: Option<String>,
}

pub(crate) struct Store {
    pub dir: PathBuf,
}

fn name(h: u64) -> String {
    format!("{h:012}.cert")
}

impl Store {
    pub fn open(dir: &Path, id: &Identity) -> Result<Store> {
        for sub in ["mine", "chain", "fraud", "world"] {
            std::fs::create_dir_all(dir.join(sub)).with_context(|| format!("cannot create {}", dir.join(sub).display()))?;
            // A write a crash interrupted leaves its temporary file (never read): remove it.
            for e in std::fs::read_dir(dir.join(sub))?.flatten() {
                if e.file_name().to_string_lossy().ends_with(".tmp") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let idf = dir.join("node.json");
        match std::fs::read(&idf) {
            Ok(b) => {
                let old: Identity = serde_json::from_slice(&b).with_context(|| format!("{} is not a node identity file", idf.display()))?;
                if &old != id {
                    bail!(
                        "{} belongs to another node or log ({}); give each node its own --data folder",
                        dir.display(),
                        serde_json::to_string(&old)?
                    );
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => write_atomic(&idf, &serde_json::to_vec_pretty(id)?, false)?,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", idf.display())),
        }
        Ok(Store { dir: dir.to_path_buf() })
    }

    pub fn cursor(&self) -> Result<Cursor> {
        match std::fs::read(self.dir.join("cursor.json")) {
            Ok(b) => serde_json::from_slice(&b).context("cursor.json is damaged"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Cursor::default()),
            Err(e) => Err(e).context("cannot read cursor.json"),
        }
    }

    pub fn save_cursor(&self, c: &Cursor) -> Result<()> {
        write_atomic(&self.dir.join("cursor.json"), &serde_json::to_vec(c)?, false)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("log.omega")
    }

    /// Cuts frames a crash left beyond the cursor, creating the log when absent; returns its length.
    pub fn settle_log(&self, c: &Cursor) -> Result<u64> {
        let p = self.log_path();
        let f = OpenOptions::new().create(true).truncate(false).read(true).write(true).open(&p).with_context(|| format!("cannot open {}", p.display()))?;
        let len = f.metadata()?.len();
        if c.log_bytes == 0 {
            f.set_len(0)?;
            let mut f = f;
            f.write_all(&omega_core::event::frame::header(omega_core::event::frame::DEFAULT_MAX_FRAME))?;
            f.sync_all()?;
            return Ok(omega_core::event::frame::HEADER_LEN as u64);
        }
        if len < c.log_bytes {
            bail!("{} is {len} bytes but the cursor says {} are certified history: the folder was damaged", p.display(), c.log_bytes);
        }
        if len > c.log_bytes {
            f.set_len(c.log_bytes)?;
            f.sync_all()?;
        }
        Ok(c.log_bytes)
    }

    /// Appends canonical events (one frame each); returns the new length.
    pub fn append(&self, events: &[Vec<u8>]) -> Result<u64> {
        let mut frames = Vec::new();
        for e in events {
            omega_core::event::frame::push_frame(&mut frames, e);
        }
        let mut f = OpenOptions::new().append(true).open(self.log_path())?;
        f.write_all(&frames)?;
        f.sync_all()?;
        Ok(f.metadata()?.len())
    }

    pub fn put_mine(&self, h: u64, cert: &[u8]) -> Result<()> {
        write_atomic(&self.dir.join("mine").join(name(h)), cert, false)
    }

    pub fn mine(&self, h: u64) -> Option<Vec<u8>> {
        std::fs::read(self.dir.join("mine").join(name(h))).ok()
    }

    /// The world after height `h` (written before the cursor names `h`); older ones are removed.
    pub fn put_world(&self, h: u64, world: &[u8]) -> Result<()> {
        write_atomic(&self.dir.join("world").join(format!("{h:012}.omgw")), world, false)?;
        if let Some(old) = h.checked_sub(3) {
            let _ = std::fs::remove_file(self.dir.join("world").join(format!("{old:012}.omgw")));
        }
        Ok(())
    }

    pub fn world(&self, h: u64) -> Result<Vec<u8>> {
        let p = self.dir.join("world").join(format!("{h:012}.omgw"));
        std::fs::read(&p).with_context(|| format!("cannot read {} (the world after height {h})", p.display()))
    }

    pub fn put_chain(&self, h: u64, cert: &[u8]) -> Result<()> {
        write_atomic(&self.dir.join("chain").join(name(h)), cert, false)
    }

    pub fn put_fraud(&self, h: u64, who: &str, proof: &[u8]) -> Result<PathBuf> {
        let p = self.dir.join("fraud").join(format!("{h:012}-{who}.json"));
        write_atomic(&p, proof, false)?;
        Ok(p)
    }

    /// The stored quorum certificates, by height.
    pub fn chain(&self) -> Result<BTreeMap<u64, Vec<u8>>> {
        chain_in(&self.dir.join("chain"))
    }
}

/// The `<height>.cert` files of a folder, by height.
pub(crate) fn chain_in(dir: &Path) -> Result<BTreeMap<u64, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for entry in rd.flatten() {
        let n = entry.file_name();
        let Some(h) = n.to_str().and_then(|s| s.strip_suffix(".cert")).and_then(|s| s.parse::<u64>().ok()) else { continue };
        out.insert(h, std::fs::read(entry.path())?);
    }
    Ok(out)
}
