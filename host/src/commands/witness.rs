//! `omega witness`: a C2SP witness (<https://c2sp.org/tlog-cosignature>).
//!
//! It cosigns a log's checkpoint only when a known log key signed it and
//! the tree is consistent with the largest tree it has cosigned for that
//! origin, which it keeps in its state file:
//!
//! ```json
//! {"version": 1, "logs": {"<origin>": {"size": 1234, "root": "<64 hex>"}}}
//! ```
//!
//! - no tree seen for the origin: the first one is taken as it is (trust on
//!   first use, as every witness starts);
//! - a smaller tree: refused (a rollback);
//! - the same size: cosigned again only with the same root (else a fork);
//! - a larger tree: cosigned when an RFC 9162 consistency proof from the
//!   last tree leads to it, taken from the log's tile store (`--tiles`, op
//!   29) or given (`--proof`), and checked by op 12 against the root the
//!   witness itself recorded.
//!
//! The state is written (atomically, synced) before the cosignature leaves,
//! so a crash never lets the witness cosign two trees it has not checked
//! against each other; runs on one state file take turns on its lock file.
use crate::commands::certify::{read_key, timestamp_field, write_atomic};
use crate::commands::tiles::{Store, proof_via_op, refusal_exit};
use crate::{EngineArgs, read_input, report_error, run_op};
use anyhow::{Context, Result, anyhow, bail};
use omega_core::api::Op;
use omega_core::api::abi;
use omega_core::api::ops::make_fields;
use omega_core::hex;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `omega witness`'s arguments.
pub(crate) struct Args<'a> {
    pub key: &'a Path,
    pub state: &'a Path,
    pub logs: &'a [String],
    pub input: &'a str,
    pub tiles: Option<&'a Path>,
    pub proof: Option<&'a Path>,
    pub time: Option<u64>,
    pub out: Option<&'a Path>,
}

/// The last tree cosigned for an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    size: u64,
    root: [u8; 32],
}

/// Why the witness does not cosign (exit 1).
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Refused {}

fn refused(why: String) -> anyhow::Error {
    anyhow::Error::new(Refused(why))
}

fn read_state(path: &Path) -> Result<BTreeMap<String, Seen>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read the witness state {}", path.display())),
    };
    let bad = |why: &str| anyhow!("the witness state {} is not a state this command wrote ({why}); it is left as it is", path.display());
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| bad("not JSON"))?;
    if v.get("version").and_then(Value::as_u64) != Some(1) {
        return Err(bad("no `version: 1`"));
    }
    let mut out = BTreeMap::new();
    for (origin, s) in v.get("logs").and_then(Value::as_object).ok_or_else(|| bad("no `logs` object"))? {
        let size = s.get("size").and_then(Value::as_u64).ok_or_else(|| bad("a log with no `size`"))?;
        let root = s.get("root").and_then(Value::as_str).and_then(hex::decode_array::<32>).ok_or_else(|| bad("a log with no 64-hex `root`"))?;
        out.insert(origin.clone(), Seen { size, root });
    }
    Ok(out)
}

fn write_state(path: &Path, state: &BTreeMap<String, Seen>) -> Result<()> {
    let logs: serde_json::Map<String, Value> =
        state.iter().map(|(o, s)| (o.clone(), json!({"size": s.size, "root": hex::encode(&s.root)}))).collect();
    let mut text = serde_json::to_vec_pretty(&json!({"version": 1, "logs": logs}))?;
    text.push(b'\n');
    write_atomic(path, &text, false)
}

/// The lock file beside the state, held for the whole run.
fn lock(state: &Path) -> Result<std::fs::File> {
    let mut name = state.file_name().ok_or_else(|| anyhow!("{} does not name a file", state.display()))?.to_os_string();
    name.push(".lock");
    let path: PathBuf = state.with_file_name(name);
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the witness lock {}", path.display()))?;
    f.lock().with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(f)
}

/// Runs an op, turning an error body into an error that keeps its line.
fn op(engine: &EngineArgs, op: Op, fields: &[&[u8]]) -> Result<abi::Response> {
    let r = run_op(engine, op, &make_fields(fields))?;
    if r.status == abi::STATUS_ERROR {
        report_error(&r.body);
        bail!(Malformed);
    }
    Ok(r)
}

/// An error already reported on stderr (exit 2).
#[derive(Debug)]
struct Malformed;
impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("malformed input (reported above)")
    }
}
impl std::error::Error for Malformed {}

/// The checkpoint's origin, size and root, from its text, read as op 30
/// reads them (a size with a sign or a leading zero, an empty origin or a
/// root that is not 32 bytes of base64 is refused, exit 2).
fn head(text: &str) -> Result<(String, u64, [u8; 32])> {
    omega_core::certify::policy::checkpoint_head(text).map_err(|e| {
        eprintln!("omega: error {}: {e}", omega_core::ErrorCode::code(&e));
        anyhow::Error::new(Malformed)
    })
}

/// `omega witness`.
pub(crate) fn run(a: &Args<'_>, engine: &EngineArgs) -> Result<ExitCode> {
    match cosign(a, engine) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.is::<Refused>() => {
            eprintln!("omega: witness refuses to cosign: {e}");
            Ok(ExitCode::from(1))
        }
        Err(e) if e.is::<Malformed>() => Ok(ExitCode::from(2)),
        Err(e) => refusal_exit(e),
    }
}

fn cosign(a: &Args<'_>, engine: &EngineArgs) -> Result<()> {
    let key = read_key(a.key)?;
    let key_text = String::from_utf8_lossy(&key).trim().to_string();
    match omega_core::certify::note::SignerKey::parse(&key_text) {
        Ok(k) if k.is_cosigner() => {}
        Ok(k) => bail!("{} is a note key (type 0x01); a witness cosigns with a witness key: make one with `omega keygen --witness`", k.name()),
        Err(e) => bail!("the key file {}: {e}", a.key.display()),
    }
    let note = read_input(a.input)?;
    let _lock = lock(a.state)?;

    // 1. signed by a known log, whose key name is the origin
    let mut fields: Vec<&[u8]> = vec![&note];
    fields.extend(a.logs.iter().map(|k| k.trim().as_bytes()));
    let r = op(engine, Op::NoteVerify, &fields)?;
    let v: Value = serde_json::from_slice(&r.body).context("the engine's answer is not JSON")?;
    let text = v.get("text").and_then(Value::as_str).unwrap_or_default().to_string();
    let (origin, size, root) = head(&text)?;
    let by_origin = v.get("verified_by").and_then(Value::as_array).is_some_and(|b| b.iter().any(|n| n.as_str() == Some(origin.as_str())));
    if r.status != abi::STATUS_OK || !by_origin {
        let problem = if r.status != abi::STATUS_OK { "a line by a given log key does not verify" } else { "no given log key of that origin signed it" };
        return Err(refused(format!("the checkpoint of {origin} is not signed by a known log: {problem}")));
    }

    // 2. consistent with the largest tree seen of that origin
    let mut state = read_state(a.state)?;
    let last = state.get(&origin).cloned();
    let was = match &last {
        None => "first tree seen of this log".to_string(),
        Some(s) if size < s.size => return Err(refused(format!("{origin} rolled back: size {size} is smaller than the {} already cosigned", s.size))),
        Some(s) if size == s.size && root != s.root => {
            return Err(refused(format!(
                "{origin} forked: size {size} has root {}, and the root already cosigned at that size is {}",
                hex::encode(&root),
                hex::encode(&s.root)
            )));
        }
        Some(s) if size == s.size || s.size == 0 => format!("was {}", s.size),
        Some(s) => {
            let path = consistency(a, engine, s, size, &root)?;
            let req = json!({"old_size": s.size, "new_size": size, "old_root": hex::encode(&s.root), "new_root": hex::encode(&root), "proof": path});
            let check = op(engine, Op::VerifyConsistency, &[serde_json::to_string(&req)?.as_bytes()])?;
            if check.status != abi::STATUS_OK {
                return Err(refused(format!(
                    "{origin} at size {size} is not consistent with the tree of size {} already cosigned: {}",
                    s.size,
                    String::from_utf8_lossy(&check.body).trim()
                )));
            }
            format!("was {}, proven consistent", s.size)
        }
    };

    // 3. the cosignature, made before the state moves and released after it does
    let time = timestamp_field(&key, a.time)?;
    let r = op(engine, Op::NoteSign, &[&note, key_text.as_bytes(), time.as_bytes()])?;
    let v: Value = serde_json::from_slice(&r.body).context("the engine's answer is not JSON")?;
    let signed = v.get("note").and_then(Value::as_str).ok_or_else(|| anyhow!("no note in the engine's answer"))?;
    state.insert(origin.clone(), Seen { size, root });
    write_state(a.state, &state)?;
    match a.out {
        Some(p) => write_atomic(p, signed.as_bytes(), false)?,
        None => std::io::stdout().write_all(signed.as_bytes()).context("writing standard output")?,
    }
    eprintln!("omega: witness cosigned {origin} at size {size} ({was}), time {time}");
    Ok(())
}

/// The consistency proof from the tree `s` to `size` with `root`: from the
/// tile store (op 29, which refuses tiles that do not lead to `root`), or
/// from a proof file.
fn consistency(a: &Args<'_>, engine: &EngineArgs, s: &Seen, size: u64, root: &[u8; 32]) -> Result<Value> {
    if let Some(dir) = a.tiles {
        let store = Store::reader(dir)?;
        let r = proof_via_op(&store, None, Some(s.size), size, Some(*root), engine)
            .map_err(|e| refused(format!("the tile store {} gives no consistency proof to this checkpoint: {e}", dir.display())))?;
        if r.status != abi::STATUS_OK {
            let v: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            return Err(refused(format!(
                "the tile store {} gives no consistency proof to this checkpoint: {}",
                dir.display(),
                v.get("message").and_then(Value::as_str).unwrap_or_default()
            )));
        }
        let v: Value = serde_json::from_slice(&r.body).context("the engine's answer is not JSON")?;
        return v.get("proof").cloned().ok_or_else(|| anyhow!("no proof in the engine's answer"));
    }
    let Some(p) = a.proof else {
        bail!(
            "a consistency proof from size {} (the last tree cosigned) to {size} is needed: give --tiles DIR (the log's tile store) or --proof P.json (`omega prove --old-size {}`)",
            s.size,
            s.size
        );
    };
    let v: Value = serde_json::from_slice(&std::fs::read(p).with_context(|| format!("cannot read the proof {}", p.display()))?)
        .with_context(|| format!("the proof {} is not JSON", p.display()))?;
    for (k, want) in [("old_size", s.size), ("new_size", size)] {
        if let Some(got) = v.get(k).and_then(Value::as_u64).filter(|g| *g != want) {
            bail!("the proof {} is {k} {got}; this witness needs {k} {want}", p.display());
        }
    }
    v.get("proof").cloned().ok_or_else(|| anyhow!("the proof {} has no `proof` list", p.display()))
}
